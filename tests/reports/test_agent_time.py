"""The agent-time read (:func:`reports.selectors.agent_time_frame`): the database shares each
agent's queue-less state time among the queues the agent handled contacts on and sums it, and
its result equals the row-by-row read it replaced (every rollup row through the ORM, shares
spread in pandas) for every grouping, scope and narrowing the pages use."""
import datetime as dt

import pandas as pd
import pytest
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth

from contactmis.scope import Scope
from measurements.models import AgentIntervalStat
from pathways.models import Agent, Queue
from reports.selectors import AGENT_TIME, agent_time_frame

pytestmark = pytest.mark.django_db

DAYS = (dt.date(2026, 3, 2), dt.date(2026, 4, 7))  # a winter and a summer-time day (London)


def _row_by_row(scope, centre, start, end, group=None, fields=(), by_agent=False):
    """The read before: every (group, agent, queue) row of the per-agent rollup through the
    ORM, queue-less time spread over the agent's queues in pandas."""
    group = dict(group or {})
    agent_key = ["agent_id"] if by_agent else []
    columns = [*group, *fields, *agent_key, "queue_id", "channel", "site", *AGENT_TIME]
    qs = AgentIntervalStat.objects.filter(local_date__gte=start, local_date__lt=end,
                                          centre=centre)
    queues_qs = Queue.objects.filter(centre=centre)
    rows = list(qs.annotate(**group).values(*group, *fields, "agent_id", "queue_id")
                .annotate(**{f"t_{f}": Sum(f) for f in AGENT_TIME})
                .filter(Q(t_staffed_s__gt=0) | Q(t_available_s__gt=0) | Q(t_busy_s__gt=0))
                .order_by())
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame.from_records(rows).rename(columns=lambda c: c.removeprefix("t_"))
    for f in AGENT_TIME:
        frame[f] = pd.to_numeric(frame[f]).astype(float)
    loose = frame["queue_id"].isna()
    if loose.any():
        handling = pd.DataFrame.from_records(list(
            qs.filter(queue__isnull=False, agent_id__in=set(frame.loc[loose, "agent_id"]))
            .values("agent_id", "queue_id")
            .annotate(h=Sum(F("talk_s") + F("hold_s") + F("acw_s")), n=Sum("handled"))
            .filter(n__gt=0).order_by()), columns=["agent_id", "queue_id", "h", "n"])
        if not handling.empty:
            handling["w"] = pd.to_numeric(handling["h"]).astype(float)
            no_time = handling.groupby("agent_id")["w"].transform("sum") <= 0
            handling.loc[no_time, "w"] = pd.to_numeric(handling.loc[no_time, "n"]).astype(float)
            handling["share"] = handling["w"] / handling.groupby("agent_id")["w"].transform("sum")
            spread = frame[loose].drop(columns=["queue_id"]).merge(
                handling[["agent_id", "queue_id", "share"]], on="agent_id", how="left")
            spread["share"] = spread["share"].fillna(1.0)
            for f in AGENT_TIME:
                spread[f] = spread[f] * spread["share"]
            frame = pd.concat([frame[~loose], spread.drop(columns=["share"])],
                              ignore_index=True)
    queues = {pk: (channel, site) for pk, channel, site in
              queues_qs.values_list("pk", "channel", "site")}
    if scope is not None and not scope.is_unrestricted:
        allowed = set(queues_qs.restrict(scope).values_list("pk", flat=True))
        frame = frame[frame["queue_id"].isin(allowed)]
    frame = frame.astype({"queue_id": "object"})
    frame["queue_id"] = [None if pd.isna(q) else int(q) for q in frame["queue_id"]]
    frame["channel"] = [queues.get(q, ("", ""))[0] for q in frame["queue_id"]]
    frame["site"] = [queues.get(q, ("", ""))[1] or "" for q in frame["queue_id"]]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    keys = [*group, *fields, *agent_key, "queue_id", "channel", "site"]
    return (frame.groupby(keys, dropna=False, sort=False)[list(AGENT_TIME)].sum()
            .reset_index()[columns])


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order with times of one type (the ORM gives dates and datetimes, the
    cursor may give text)."""
    frame = frame.copy()
    for column in frame.columns:
        if column in ("interval_start",):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
        elif column in ("local_date", "p_month"):
            when = pd.to_datetime(frame[column].astype(str).str[:10])
            frame[column] = when.dt.date
    frame["queue_id"] = [-1 if pd.isna(q) else int(q) for q in frame["queue_id"]]
    keys = [c for c in frame.columns if c not in AGENT_TIME]
    return frame.sort_values(keys).reset_index(drop=True)


@pytest.fixture
def floor(centre):
    """Four agents on two days; the workforce feed gives their states without a queue (Cy's
    and Dee's too), the agent legs say who handled what:

    - Ann handled on Sales only: all her queue-less time is Sales';
    - Bob handled on Sales and Support with 1,000 s each, then 2,000 s more on Support on the
      second day: his queue-less time is shared 1/4 and 3/4 over the two days, 1/2 and 1/2 on
      the first day alone;
    - Dee handled contacts on both queues with no handling seconds recorded: shared by the
      contacts handled (1 and 3);
    - Cy handled nothing: his time is nobody's queue's (unattributed), and a scope of some
      queues does not count it;
    - Ann also has time the feed gives on Sales directly (kept on Sales)."""
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales", site="Leeds")
    support = Queue.objects.create(centre=centre, code="SUP", name="Support", channel="chat")
    agents = {name: Agent.objects.create(centre=centre, code=name[0], name=name, team=team)
              for name, team in (("Ann", "Red"), ("Bob", "Blue"), ("Cy", "Blue"),
                                 ("Dee", "Red"))}

    def row(day, agent, minute, queue=None, **values):
        AgentIntervalStat.objects.create(
            centre=centre, agent=agents[agent], queue=queue, local_date=day, local_minute=minute,
            weekday=day.weekday(),
            interval_start=dt.datetime.combine(day, dt.time(minute // 60, minute % 60),
                                               centre.tz).astimezone(dt.UTC), **values)

    first, second = DAYS
    row(first, "Ann", 540, sales, handled=10, talk_s=3000, staffed_s=300, busy_s=200,
        available_s=100)
    row(first, "Bob", 540, sales, handled=2, talk_s=1000)
    row(first, "Bob", 540, support, handled=3, talk_s=600, hold_s=100, acw_s=300)
    row(second, "Bob", 555, support, handled=4, talk_s=2000)
    row(first, "Dee", 570, sales, handled=1)
    row(first, "Dee", 570, support, handled=3)
    for day in DAYS:
        for minute in (540, 555, 570):
            row(day, "Ann", minute, staffed_s=900, busy_s=600, available_s=250)
            row(day, "Bob", minute, staffed_s=900, busy_s=301, available_s=499)
            row(day, "Cy", minute, staffed_s=900, busy_s=0, available_s=900)
            row(day, "Dee", minute, staffed_s=450, busy_s=120, available_s=330)
    return sales, support


SCOPES = {"everything": Scope.everything(), "support": lambda s: Scope(
    queue_ids=frozenset({s.pk})), "voice": Scope(channels=frozenset({"voice"})),
    "leeds": Scope(sites=frozenset({"Leeds"}))}


@pytest.mark.parametrize("scope_name", list(SCOPES))
@pytest.mark.parametrize("shape", [
    {}, {"fields": ("interval_start",)}, {"fields": ("local_date",)},
    {"group": {"p_month": TruncMonth("local_date")}}, {"by_agent": True},
    {"fields": ("local_date",), "by_agent": True}])
@pytest.mark.parametrize("span", ["both days", "first day"])
def test_agent_time_read_in_sql_equals_the_row_by_row_read(centre, floor, scope_name, shape,
                                                          span):
    sales, support = floor
    scope = SCOPES[scope_name]
    scope = scope(support) if callable(scope) else scope
    start, end = (DAYS[0], DAYS[1] + dt.timedelta(days=1)) if span == "both days" else (
        DAYS[0], DAYS[0] + dt.timedelta(days=1))
    new = agent_time_frame(scope, centre, start, end, **shape)
    old = _row_by_row(scope, centre, start, end, **shape)
    assert list(new.columns) == list(old.columns)
    assert len(new) == len(old) > 0
    pd.testing.assert_frame_equal(_comparable(new), _comparable(old), check_dtype=False,
                                  rtol=1e-12)
    if scope_name == "everything":  # every second counts once
        total = AgentIntervalStat.objects.filter(local_date__gte=start, local_date__lt=end
                                                 ).aggregate(s=Sum("staffed_s"))["s"]
        assert new["staffed_s"].sum() == pytest.approx(total)
        assert None in set(new["queue_id"])  # Cy's time: nobody's queue's


def test_queue_less_time_is_shared_by_handling_seconds_then_by_contacts(centre, floor):
    sales, support = floor
    frame = agent_time_frame(Scope.everything(), centre, DAYS[0], DAYS[0] + dt.timedelta(1),
                             by_agent=True)
    agents = dict(Agent.objects.values_list("name", "pk"))
    got = {(a, q): s for a, q, s in frame[["agent_id", "queue_id", "staffed_s"]].itertuples(
        index=False)}
    assert got[(agents["Bob"], sales.pk)] == pytest.approx(2700 / 2)
    assert got[(agents["Bob"], support.pk)] == pytest.approx(2700 / 2)
    assert got[(agents["Dee"], sales.pk)] == pytest.approx(1350 * 1 / 4)
    assert got[(agents["Dee"], support.pk)] == pytest.approx(1350 * 3 / 4)
    assert got[(agents["Ann"], sales.pk)] == pytest.approx(2700 + 300)
    assert got[(agents["Cy"], None)] == pytest.approx(2700)


def test_narrowed_to_queues_keeps_only_their_share(centre, floor):
    sales, support = floor
    whole = agent_time_frame(Scope.everything(), centre, DAYS[0], DAYS[1] + dt.timedelta(1),
                             fields=("interval_start",))
    narrow = agent_time_frame(Scope.everything(), centre, DAYS[0], DAYS[1] + dt.timedelta(1),
                              fields=("interval_start",), queue_ids=[support.pk])
    assert set(narrow["queue_id"]) == {support.pk}
    assert narrow[list(AGENT_TIME)].sum().to_dict() == pytest.approx(
        whole[whole["queue_id"] == support.pk][list(AGENT_TIME)].sum().to_dict())
    assert agent_time_frame(Scope(queue_ids=frozenset({sales.pk})), centre, DAYS[0],
                            DAYS[1] + dt.timedelta(1), queue_ids=[support.pk]).empty
