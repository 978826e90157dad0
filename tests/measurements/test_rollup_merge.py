"""The rollups an import writes from its own frames (its sums added to the stored rows, replaced
contacts subtracted) equal the rollups rebuilt from every stored leg — after a first load, an
overlapping re-import that moves, re-routes and shortens contacts, and a file repeating contact
ids across its chunks — and the pure sums equal hand-computed ones."""
import datetime as dt

import pandas as pd
import pytest

from measurements.constants import WAIT_BUCKETS_S
from measurements.ingest import interval_sums

MAPPING = {
    "columns": {"external_id": "id", "arrived_at": "arrived", "answered_at": "answered",
                "ended_at": "ended", "queue": "queue", "agent": "agent", "talk_s": "talk",
                "acw_s": "acw", "outcome": "outcome", "contact_type": "reason"},
    "datetime_format": "%Y-%m-%d %H:%M:%S", "queue_kind": "acd",
}
HEADER = "id,arrived,answered,ended,queue,agent,talk,acw,outcome,reason\n"


def _row(i, start, wait, talk, queue="sales", reason="billing", answered=True):
    arrived = start + dt.timedelta(seconds=i * 97)
    if not answered:
        ended = arrived + dt.timedelta(seconds=wait)
        return f"C{i},{arrived:%Y-%m-%d %H:%M:%S},,{ended:%Y-%m-%d %H:%M:%S},{queue},,0,0," \
               f"abandoned,{reason}\n"
    answer = arrived + dt.timedelta(seconds=wait)
    ended = answer + dt.timedelta(seconds=talk)
    return (f"C{i},{arrived:%Y-%m-%d %H:%M:%S},{answer:%Y-%m-%d %H:%M:%S},"
            f"{ended:%Y-%m-%d %H:%M:%S},{queue},a{i % 3},{talk},{i % 40},handled,{reason}\n")


def _snapshot(model, keys):
    from django.db.models import Max, Sum

    fields = [f.column for f in model._meta.concrete_fields if f.column not in (
        "id", "batch_id", *keys)]
    rows = model.objects.values(*keys).annotate(
        **{f"{f}_": (Max(f) if f == "wait_max_s" else Sum(f)) for f in fields})
    return {tuple(r[k] for k in keys): {k: v for k, v in r.items() if k not in keys}
            for r in rows}


INTERVAL_KEYS = ("source_id", "interval_start", "local_date", "local_minute", "weekday",
                 "queue_id", "channel", "contact_type", "customer_segment")
AGENT_KEYS = ("source_id", "interval_start", "local_date", "local_minute", "weekday",
              "agent_id", "queue_id")


def assert_rollups_equal_a_rebuild(source):
    """The source's interval and per-agent rollups (and the daily rollup) equal those rebuilt
    from every stored leg over the whole span."""
    from measurements.models import AgentIntervalStat, Contact, DailyStat, IntervalStat
    from measurements.services.rollup import agent_rollup_rebuild, rollup_rebuild

    merged = _snapshot(IntervalStat, INTERVAL_KEYS)
    agents = _snapshot(AgentIntervalStat, AGENT_KEYS)
    daily = _snapshot(DailyStat, ("source_id", "local_date", "queue_id", "channel",
                                  "contact_type", "customer_segment"))
    contacts = Contact.objects.filter(source=source)
    lo = contacts.order_by("arrived_at").first().arrived_at - dt.timedelta(days=1)
    hi = contacts.order_by("-ended_at").first().ended_at + dt.timedelta(days=1)
    rollup_rebuild(source, lo, hi)
    agent_rollup_rebuild(source, lo, hi)
    assert merged == _snapshot(IntervalStat, INTERVAL_KEYS)
    assert agents == _snapshot(AgentIntervalStat, AGENT_KEYS)
    assert daily == _snapshot(DailyStat, ("source_id", "local_date", "queue_id", "channel",
                                          "contact_type", "customer_segment"))
    assert merged and agents


def _files(tmp_path):
    # Written without an offset, read as London time: the night the clocks go forward.
    start = dt.datetime(2026, 3, 28, 23, 40, tzinfo=dt.UTC)
    first = [_row(i, start, wait=5 + i * 7 % 200, talk=60 + i, answered=i % 5 != 0)
             for i in range(120)]
    # Again: C0…C39 replaced (the longest waits of their intervals shortened, some moved to
    # another queue, reason or interval, some now abandoned), C120…C159 new.
    later = start + dt.timedelta(minutes=50)
    second = [_row(i, later if i % 4 == 0 else start, wait=1 + i % 9, talk=30,
                   queue="support" if i % 3 == 0 else "sales",
                   reason="fault" if i % 2 else "billing", answered=i % 6 != 0)
              for i in range(40)]
    second += [_row(i, start, wait=i % 50, talk=45) for i in range(120, 160)]
    # A file repeating ids across its chunks (the last row of an id wins).
    third = [_row(i, start, wait=i % 30, talk=20) for i in range(150, 170)]
    third += [_row(i, later, wait=3, talk=20, answered=False) for i in range(150, 160)]
    paths = []
    for n, rows in enumerate((first, second, third)):
        path = tmp_path / f"contacts-{n}.csv"
        path.write_text(HEADER + "".join(rows))
        paths.append(path)
    return paths


@pytest.mark.django_db
@pytest.mark.parametrize(("min_legs", "flush_rows"), [(0, 400_000), (0, 10), (5_000, 10)],
                         ids=["merged-once", "merged-often", "small-batches-rebuilt"])
def test_rollups_merged_from_the_batches_frames_equal_a_rebuild_from_the_legs(
        centre, tmp_path, settings, monkeypatch, min_legs, flush_rows):
    from measurements.services import ingest
    from measurements.services.ingest import batch_create, batch_process, source_create

    settings.CONTACTMIS_INGEST_CHUNK_ROWS = 16
    # These files are small batches over an hour: summed only when the minimum is lowered.
    monkeypatch.setattr(ingest, "MERGE_MIN_LEGS", min_legs)
    # Often: the running sums are merged into the stored rows after every chunk.
    monkeypatch.setattr(ingest, "SUMS_FLUSH_ROWS", flush_rows)
    source = source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                           time_zone="Europe/London", column_mapping=MAPPING)
    first, second, third = _files(tmp_path)
    batch = batch_process(batch_create(source=source, file=first, enqueue=False).pk)
    assert batch.status == "loaded", batch.error
    assert_rollups_equal_a_rebuild(source)
    again = batch_process(batch_create(source=source, file=second, enqueue=False).pk)
    assert again.status == "loaded", again.error
    assert again.contacts_replaced == 40
    assert_rollups_equal_a_rebuild(source)
    repeated = batch_process(batch_create(source=source, file=third, enqueue=False).pk)
    assert repeated.status == "loaded", repeated.error
    assert_rollups_equal_a_rebuild(source)


def _legs(rows):
    columns = ["contact", "seq", "kind", "queue_id", "agent_id", "entered_at", "wait_s",
               "talk_s", "hold_s", "acw_s", "outcome", "channel", "contact_type",
               "customer_segment"]
    legs = pd.DataFrame(rows, columns=columns)
    legs["entered_at"] = pd.to_datetime(legs["entered_at"], utc=True)
    return legs


def test_interval_sums_follow_the_documented_semantics():
    legs = _legs([
        # Answered after 12 s by agent 7, transferred; 100 s talk, 5 hold, 20 ACW.
        (1, 1, "queue", 3, None, "2026-03-02 09:01:00", 12, 0, 0, 0, "answered", "voice",
         "billing", ""),
        (1, 2, "agent", 3, 7, "2026-03-02 09:01:12", 0, 100, 5, 20, "transferred", "voice",
         "billing", ""),
        # Abandoned after 40 s in the same interval and key.
        (2, 1, "queue", 3, None, "2026-03-02 09:14:59", 40, 0, 0, 0, "abandoned", "voice",
         "billing", ""),
        # Overflowed out of the queue in the next interval.
        (3, 1, "queue", 3, None, "2026-03-02 09:15:00", 300, 0, 0, 0, "timed_out", "voice",
         "billing", ""),
        # An IVR session that self-served, on the IVR's routing point (no queue id).
        (4, 1, "ivr", None, None, "2026-03-02 09:02:00", 0, 0, 0, 0, "contained", "voice",
         "", ""),
    ])
    sums = interval_sums.interval_sums(legs, WAIT_BUCKETS_S, 900)
    first = sums[(sums["iv"] == 1772442000) & (sums["queue_id"] == 3)].iloc[0]
    assert (first["offered"], first["answered"], first["abandoned"], first["handled"],
            first["transfers"], first["wait_answered_s"], first["wait_abandoned_s"],
            first["wait_max_s"], first["talk_s"], first["hold_s"], first["acw_s"]) == (
        2, 1, 1, 1, 1, 12, 40, 40, 100, 5, 20)
    assert (first["answered_le_10s"], first["answered_le_15s"], first["abandoned_le_30s"],
            first["abandoned_le_45s"]) == (0, 1, 0, 1)
    second = sums[sums["iv"] == 1772442900].iloc[0]
    assert (second["offered"], second["flowed_out"], second["wait_max_s"]) == (1, 1, 300)
    ivr = sums[sums["queue_id"] == interval_sums.NO_ID].iloc[0]
    assert (ivr["ivr_sessions"], ivr["ivr_contained"], ivr["offered"]) == (1, 1, 0)
    agents = interval_sums.agent_sums(legs, 900)
    assert agents.to_dict("records") == [{"iv": 1772442000, "agent_id": 7, "queue_id": 3,
                                          "handled": 1, "transfers": 1, "escalations": 0,
                                          "talk_s": 100, "hold_s": 5, "acw_s": 20}]
    # Subtracting the same legs leaves nothing but zeros.
    both = interval_sums.combine([sums, sums], interval_sums.INTERVAL_KEYS, [1, -1])
    assert not both.drop(columns=[*interval_sums.INTERVAL_KEYS, "wait_max_s"]).any().any()


def test_local_time_of_intervals_across_a_dst_change():
    starts = pd.Series([1774745100, 1774746000])  # 00:45 and 01:00 UTC, 29 March 2026
    local = interval_sums.local_time(starts, "Europe/London")
    assert local.to_dict("list") == {"local_date": [dt.date(2026, 3, 29)] * 2,
                                     "local_minute": [45, 120], "weekday": [6, 6]}


@pytest.mark.django_db
def test_a_merge_reads_only_the_rollup_rows_of_the_keys_it_touches(centre):
    """A batch's sums for one queue on one day read back only that queue's rows of those
    intervals (not the other queue, not the other day), and refresh only that (day, queue)'s
    daily row; the figures equal the stored rows plus the sums."""
    from measurements.models import AgentIntervalStat, DailyStat, IntervalStat
    from measurements.services import rollup
    from measurements.services.ingest import source_create
    from pathways.models import Agent, Queue

    source = source_create(centre=centre, name="CRM", kind="crm", export_format="generic",
                           time_zone="Europe/London", column_mapping=MAPPING)
    sales = Queue.objects.create(centre=centre, code="sales")
    support = Queue.objects.create(centre=centre, code="support")
    agent = Agent.objects.create(centre=centre, code="a1")
    day1 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    day2 = day1 + dt.timedelta(days=1)
    rows = [{"centre_id": centre.pk, "source_id": source.pk, "interval_start": start,
             "interval_s": 900, **rollup.local_fields(start, centre.tz), "queue_id": q.pk,
             "channel": "voice", "contact_type": "billing", "customer_segment": "",
             "offered": 10, "answered": 8, "wait_max_s": 30}
            for start in (day1, day2) for q in (sales, support)]
    rollup.interval_stats_insert(rows)
    rollup.rows_insert(AgentIntervalStat, [
        {"centre_id": centre.pk, "source_id": source.pk, "interval_start": start,
         **rollup.local_fields(start, centre.tz), "agent_id": agent.pk, "queue_id": q.pk,
         "handled": 4, "talk_s": 400} for start in (day1, day2) for q in (sales, support)])
    # A daily row the merge must not touch, made wrong on purpose: left as it is, it shows
    # that the refresh did not read or rewrite (day 1, support).
    DailyStat.objects.filter(local_date=day1.date(), queue=support).update(offered=999)
    iv = int(day1.timestamp())
    sums = pd.DataFrame([{"iv": iv, "queue_id": sales.pk, "channel": "voice",
                          "contact_type": "billing", "customer_segment": "",
                          **dict.fromkeys(rollup.QUANTITIES, 0), "offered": 2, "answered": 1,
                          "wait_max_s": 50}])
    keys = interval_sums.INTERVAL_KEYS
    read = rollup._stored(IntervalStat, source, keys, sums, where=" AND step_id IS NULL")
    assert read[keys].to_dict("records") == sums[keys].to_dict("records")
    agent_sums = pd.DataFrame([{"iv": iv, "agent_id": agent.pk, "queue_id": sales.pk,
                                "handled": 1, "transfers": 0, "escalations": 0, "talk_s": 50,
                                "hold_s": 0, "acw_s": 0}])
    read = rollup._stored(AgentIntervalStat, source, interval_sums.AGENT_KEYS, agent_sums)
    assert read[interval_sums.AGENT_KEYS].to_dict("records") == \
        agent_sums[interval_sums.AGENT_KEYS].to_dict("records")

    rollup.rollup_merge(source, sums)
    rollup.agent_rollup_merge(source, agent_sums)
    got = {(r.interval_start, r.queue_id): (r.offered, r.answered, r.wait_max_s)
           for r in IntervalStat.objects.all()}
    assert got == {(day1, sales.pk): (12, 9, 50), (day1, support.pk): (10, 8, 30),
                   (day2, sales.pk): (10, 8, 30), (day2, support.pk): (10, 8, 30)}
    handled = {(r.interval_start, r.queue_id): (r.handled, r.talk_s)
               for r in AgentIntervalStat.objects.all()}
    assert handled == {(day1, sales.pk): (5, 450), (day1, support.pk): (4, 400),
                       (day2, sales.pk): (4, 400), (day2, support.pk): (4, 400)}
    daily = {(r.local_date, r.queue_id): r.offered for r in DailyStat.objects.all()}
    assert daily == {(day1.date(), sales.pk): 12, (day1.date(), support.pk): 999,
                     (day2.date(), sales.pk): 10, (day2.date(), support.pk): 10}
