"""A dashboard's widgets share their reads (stakeholders.frames): the same component sums as
reading widget by widget, for every bucket size and span, pieced together or not; fewer reads;
and each scope keeps its own figures."""
import datetime as dt

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from contactmis.scope import Scope
from reports.selectors import component_sums
from reports.semantics import resolve
from stakeholders import frames
from stakeholders.scope import stakeholder_scope
from stakeholders.widgets import dashboard_render, widget_result

pytestmark = pytest.mark.django_db


def _direct(*args, **kwargs):
    return component_sums(*args, **kwargs)


@pytest.mark.parametrize("breakdown", ["", "channel", "queue", "contact_type", "agent",
                                       "team"])
@pytest.mark.parametrize("agent_time", [True, False])
def test_shared_sums_equal_direct_reads_for_every_grain_and_span(two_vendors, today, centre,
                                                                  breakdown, agent_time):
    scope = Scope.everything()
    tz = centre.time_zone
    first = today - dt.timedelta(days=9)
    resolution = resolve(centre, first, today + dt.timedelta(days=1))
    spans = [  # overlapping, nested and disjoint spans, asked in an awkward order
        (today - dt.timedelta(days=3), today + dt.timedelta(days=1)),
        (first, today - dt.timedelta(days=5)),
        (first, today + dt.timedelta(days=1)),
        (today - dt.timedelta(days=6), today - dt.timedelta(days=2)),
        (today - dt.timedelta(days=40), today - dt.timedelta(days=30)),  # no data
    ]
    with frames.shared_reads() as reads:
        for start, end in spans:
            for grain in ("day", "week", "month", "quarter", "year", "hour", "15min"):
                shared = frames.sums(scope, start, end, grain, breakdown, tz=tz,
                                     resolution=resolution, agent_time=agent_time)
                direct = _direct(scope, start, end, grain, breakdown, tz=tz,
                                 resolution=resolution, agent_time=agent_time)
                assert_frame_equal(shared, direct, check_dtype=False, check_exact=False,
                                   rtol=1e-12)
                if not direct.empty:
                    assert list(shared.columns) == list(direct.columns)
    # Every grain of a span came from one read of its days (daily grains), at most one per span
    # and sub-daily grain, and spans whose days were read before read nothing again.
    assert reads.reads < len(spans) * 7


def test_spans_are_pieced_together_from_days_already_read(two_vendors, today, centre):
    scope = Scope.everything()
    tz = centre.time_zone
    with frames.shared_reads() as reads:
        frames.sums(scope, today - dt.timedelta(days=9), today + dt.timedelta(days=1), "day",
                    tz=tz, agent_time=False)
        assert reads.reads == 1
        week = frames.sums(scope, today - dt.timedelta(days=6), today + dt.timedelta(days=1),
                           "week", tz=tz, agent_time=False)
        month = frames.sums(scope, today - dt.timedelta(days=9), today, "month", tz=tz,
                            agent_time=False)
        assert reads.reads == 1
        # Agent-state time is attributed over the span read: never pieced together.
        frames.sums(scope, today - dt.timedelta(days=6), today + dt.timedelta(days=1), "day",
                    tz=tz, agent_time=True)
        assert reads.reads == 2
    assert_frame_equal(week, component_sums(scope, today - dt.timedelta(days=6),
                                            today + dt.timedelta(days=1), "week", tz=tz,
                                            agent_time=False))
    assert_frame_equal(month, component_sums(scope, today - dt.timedelta(days=9), today,
                                             "month", tz=tz, agent_time=False))


def test_a_widget_narrowed_to_a_channel_is_cut_from_the_scope_by_channel(two_vendors, today,
                                                                         centre):
    from pathways.models import Queue

    from .factories import interval_rows

    chat = Queue.objects.create(centre=centre, code="CHAT", name="Chat", channel="chat")
    interval_rows(centre, chat, 10, today, seed=5, pk_start=950_000)
    whole = Scope.everything()
    start, end = today - dt.timedelta(days=9), today + dt.timedelta(days=1)
    resolution = resolve(centre, start, end)
    with frames.shared_reads() as reads:
        for scope in (whole, Scope(channels=frozenset({"voice"})),
                      Scope(channels=frozenset({"chat"})), Scope(channels=frozenset({"sms"}))):
            for breakdown in ("", "channel"):
                for grain in ("day", "month", "hour", "15min"):
                    shared = frames.sums(scope, start, end, grain, breakdown,
                                         tz=centre.time_zone, resolution=resolution,
                                         agent_time=False)
                    direct = component_sums(scope, start, end, grain, breakdown,
                                            tz=centre.time_zone, resolution=resolution,
                                            agent_time=False)
                    assert_frame_equal(shared, direct, check_dtype=False)
                    if not direct.empty:
                        assert list(shared.columns) == list(direct.columns)
                    if breakdown == "channel":
                        assert set(shared["key"]) <= (scope.channels or {"voice", "chat"})
        # One read by channel of the days and one of each sub-daily grain (the wallboard's
        # tile per channel), plus the direct reads of the empty answers (no sms).
        assert reads.reads == 1 + 2 + 8
        before = reads.reads
        frames.sums(Scope(channels=frozenset({"sms"})), start, end, "day", tz=centre.time_zone,
                    resolution=resolution, agent_time=False)
        assert reads.reads == before  # an empty answer is read once too


def test_each_scope_keeps_its_own_figures_inside_one_request(two_vendors, today, centre):
    a = stakeholder_scope(two_vendors["a"])
    b = stakeholder_scope(two_vendors["b"])
    start, end = today - dt.timedelta(days=9), today + dt.timedelta(days=1)
    with frames.shared_reads():
        seen_a = frames.sums(a, start, end, "day", "queue", tz=centre.time_zone)
        seen_b = frames.sums(b, start, end, "day", "queue", tz=centre.time_zone)
    assert set(seen_a["key"]) == {two_vendors["queue_a"].pk}
    assert set(seen_b["key"]) == {two_vendors["queue_b"].pk}


def _figures(results):
    return [(r.widget.pk, r.empty, r.tile and {k: v for k, v in r.tile.items()
                                               if k not in ("metric", "trend")},
             r.figure, r.table.to_dict("list"), r.notes, r.meaning) for r in results]


@pytest.mark.parametrize("picked", [None, "month_to_date", "year_to_date"])
def test_a_dashboard_with_shared_reads_shows_the_figures_of_separate_reads(
        two_vendors, settings, picked):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    dashboard = two_vendors["dashboard_a"]
    scope = stakeholder_scope(two_vendors["a"])
    now = two_vendors["now"]
    period = None
    if picked:
        from reports.periods import resolve_period
        p = resolve_period(picked, now, two_vendors["queue_a"].centre.time_zone)
        period = (picked, p.first_day, p.last_day)
    shared = dashboard_render(dashboard, scope, now, picked=period)
    from stakeholders.widgets import with_period
    separate = [widget_result(with_period(w, period, now), scope, now)
                for w in dashboard.widgets.order_by("position", "pk")]
    assert _figures(shared) == _figures(separate)
    assert any(r.tile for r in shared) and any(r.figure for r in shared if not r.tile)
    pd.testing.assert_frame_equal(shared[0].table, separate[0].table)


def test_local_hour_sums_are_the_hourly_component_sums(two_vendors, today, centre):
    from reports.selectors import local_hour_sums

    start, end = today - dt.timedelta(days=9), today + dt.timedelta(days=1)
    resolution = resolve(centre, start, end)
    for scope in (Scope.everything(), stakeholder_scope(two_vendors["a"])):
        for queue_id in (None, two_vendors["queue_a"].pk):
            assert_frame_equal(
                local_hour_sums(scope, start, end, queue_id=queue_id, resolution=resolution),
                component_sums(scope, start, end, "hour", queue_id=queue_id,
                               tz=centre.time_zone, resolution=resolution, agent_time=False),
                check_dtype=False)


def test_teams_are_the_sums_of_their_agents(two_vendors, today, centre):
    from pathways.models import Agent

    from .factories import interval_rows

    second = Agent.objects.create(centre=centre, code="A2", name="Ann", team="Team A")
    interval_rows(centre, two_vendors["queue_a"], 10, today, seed=4, agent=second,
                  pk_start=960_000)
    start, end = today - dt.timedelta(days=9), today + dt.timedelta(days=1)
    for scope in (Scope.everything(), stakeholder_scope(two_vendors["a"])):
        with frames.shared_reads() as reads:
            for grain in ("day", "week", "month"):
                shared = frames.sums(scope, start, end, grain, "team", tz=centre.time_zone)
                direct = component_sums(scope, start, end, grain, "team", tz=centre.time_zone)
                assert_frame_equal(shared, direct, check_dtype=False, check_exact=False,
                                   rtol=1e-12)
            assert reads.reads == 1  # the read by agent
        assert "Team A" in set(shared["key"])
