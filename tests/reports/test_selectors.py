"""KPI selectors: SQL aggregation by granularity and dimension, always within the scope."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from contactmis.scope import Scope
from pathways.models import Queue
from reports.analysis.kpis import KpiParams
from reports.selectors import bucket_totals, interval_frame, kpi_frame
from reports.semantics import definition_periods as kpi_params_for_period
from tests.reports.factories import interval_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def queues(centre):
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales", site="Leeds")
    support = Queue.objects.create(centre=centre, code="SUP", name="Support", site="York")
    return sales, support


@pytest.fixture
def rows(centre, queues):
    sales, support = queues
    day = dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz)
    interval_row(centre, sales, day, talk_s=1600, hold_s=80, acw_s=320, wait_answered_s=80)
    interval_row(centre, sales, day + dt.timedelta(minutes=15), offered=90, answered=60,
                 abandoned=30, within={5: 10, 20: 30}, abandoned_within={5: 10, 20: 15},
                 talk_s=12000, acw_s=3000, wait_answered_s=3000)
    interval_row(centre, support, day + dt.timedelta(days=1), offered=20, answered=20,
                 abandoned=0, within={5: 20}, abandoned_within={5: 0}, talk_s=4000)
    return sales, support


def test_day_kpis_sum_components_in_sql(centre, rows):
    k = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8))
    assert len(k) == 2
    monday = k.iloc[0]
    assert monday["period_start"].isoformat() == "2026-03-02T00:00:00+00:00"
    assert (monday["offered"], monday["short_abandoned"]) == (100, 11)
    assert monday["service_level"] == pytest.approx(36 / 89)
    assert monday["asa_s"] == pytest.approx(3080 / 68)
    assert k.attrs["definition"] == ("Service level, v1: answered within T / (offered − short "
                                     "abandons), T = 20 s; short abandon ≤ 5 s")


def test_kpis_by_queue_and_site(centre, rows):
    k = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8),
                  granularity="week", by=["queue"])
    assert k["queue"].tolist() == ["Sales", "Support"]
    assert k["offered"].tolist() == [100, 20]
    assert k["period_start"].dt.date.astype(str).tolist() == ["2026-03-02", "2026-03-02"]
    by_site = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8),
                        granularity="month", by=["site"])
    assert by_site.set_index("site")["offered"].to_dict() == {"Leeds": 100, "York": 20}


def test_scope_is_always_applied(centre, rows):
    sales, _ = rows
    k = kpi_frame(Scope(queue_ids=frozenset({sales.pk})), centre, dt.date(2026, 3, 1),
                  dt.date(2026, 3, 8), granularity="year")
    assert k["offered"].tolist() == [100]
    nothing = kpi_frame(Scope.nothing(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8))
    assert nothing.empty
    assert interval_frame(Scope.nothing(), centre, dt.date(2026, 3, 1),
                          dt.date(2026, 3, 8)).empty


def test_interval_granularities(centre, rows):
    scope = Scope.everything()
    q = kpi_frame(scope, centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3), granularity="15min")
    assert [p.strftime("%H:%M") for p in q["period_start"]] == ["09:00", "09:15"]
    h = kpi_frame(scope, centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3), granularity="hour")
    assert len(h) == 1 and h["offered"].iloc[0] == 100
    half = kpi_frame(scope, centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3),
                     granularity="30min")
    assert half["offered"].tolist() == [100]


def test_end_date_is_exclusive_and_empty_kpis_are_nan(centre, rows):
    k = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 3), dt.date(2026, 3, 4))
    assert k["offered"].tolist() == [20]
    assert k["abandon_rate"].iloc[0] == 0.0  # nothing abandoned: a real 0
    assert np.isnan(k["ivr_containment"].iloc[0])  # no IVR sessions: empty, not 0
    assert kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 4),
                     dt.date(2026, 3, 5)).empty


def test_explicit_params_and_all_variants(centre, rows):
    k = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3),
                  sl_threshold_s=5, sl_variant="of_offered", all_variants=True)
    assert k["service_level"].iloc[0] == pytest.approx(13 / 100)
    assert k["service_level__of_answered"].iloc[0] == pytest.approx(13 / 68)


def test_bad_parameters_are_named(centre, rows):
    with pytest.raises(ValueError, match="granularity “fortnight” is unknown"):
        kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3),
                  granularity="fortnight")
    with pytest.raises(ValueError, match="Unknown dimension “colour”"):
        kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3),
                  by=["colour"])
    with pytest.raises(ValueError, match="Service-level threshold 25 s is not a wait bucket"):
        kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3),
                  sl_threshold_s=25)


def test_params_for_period_default_to_design_and_cover_the_period(centre):
    periods = kpi_params_for_period(centre, dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert [(p.start, p.end) for p in periods] == [(dt.date(2026, 1, 1), dt.date(2026, 2, 1))]
    p = periods[0].params
    assert (p.sl_threshold_s, p.short_abandon_s, p.sl_variant) == (20, 5, "excl_short_abandons")


def test_bucket_totals_for_the_service_level_curve(centre, rows):
    totals = bucket_totals(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8),
                           by=["queue"])
    sales = totals.set_index("queue").loc["Sales"]
    assert sales["answered_le_20s"] == 36 and sales["answered_le_600s"] == 68


def test_other_time_zone_cuts_days_there(centre, rows):
    k = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8),
                  tz="Asia/Tokyo")
    assert k["period_start"].iloc[0].isoformat() == "2026-03-02T00:00:00+09:00"
    assert k["offered"].sum() == 120


def test_team_and_agent_kpis_come_from_the_agent_rollup(centre, queues):
    from measurements.models import AgentIntervalStat
    from pathways.models import Agent

    sales, support = queues
    ann = Agent.objects.create(centre=centre, code="A1", name="Ann", team="Red", site="Leeds")
    bob = Agent.objects.create(centre=centre, code="B2", name="Bob", team="Red", site="York")
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    for agent, queue, handled, talk in ((ann, sales, 10, 2000), (bob, support, 30, 3000)):
        AgentIntervalStat.objects.create(
            centre=centre, interval_start=start, local_date=dt.date(2026, 3, 2),
            local_minute=540, weekday=0, agent=agent, queue=queue, handled=handled,
            talk_s=talk, busy_s=600, available_s=300)
    team = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8),
                     granularity="week", by=["team"]).iloc[0]
    assert team["team"] == "Red" and team["handled"] == 40
    assert team["aht_s"] == pytest.approx(5000 / 40)  # not the mean of 200 and 100
    assert team["occupancy"] == pytest.approx(1200 / 1800)
    assert np.isnan(team["service_level"])
    agents = kpi_frame(Scope(queue_ids=frozenset({sales.pk})), centre, dt.date(2026, 3, 1),
                       dt.date(2026, 3, 8), by=["agent"])
    assert agents["agent"].tolist() == ["Ann"]


def test_each_sub_period_uses_the_parameters_in_force(centre, rows, monkeypatch):
    from reports import semantics

    def two_versions(centre, start, end):
        boundary = dt.date(2026, 3, 3)
        return [semantics.ParamsPeriod(start, boundary, KpiParams(
                    sl_threshold_s=5, short_abandon_s=5, definition_version="v1")),
                semantics.ParamsPeriod(boundary, end, KpiParams(
                    sl_threshold_s=20, short_abandon_s=5, definition_version="v2"))]

    monkeypatch.setattr(semantics, "definition_periods", two_versions)
    week = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8),
                     granularity="week").iloc[0]
    # Monday (v1, T = 5 s): 3 + 10 answered within 5 s; Tuesday (v2, T = 20 s): 20.
    assert week["answered_within_threshold"] == 33
    assert kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 8)
                     ).attrs["definition"].startswith(
        "1 Mar 2026–2 Mar 2026: v1; 3 Mar 2026–7 Mar 2026: v2: answered within T")


def test_autumn_dst_night_keeps_both_quarter_hours_at_1_15(centre, queues):
    sales, _ = queues
    for fold in (0, 1):  # 01:15 BST, then 01:15 GMT an hour later
        interval_row(centre, sales, dt.datetime(2026, 10, 25, 1, 15, fold=fold,
                                                tzinfo=centre.tz))
    q = kpi_frame(Scope.everything(), centre, dt.date(2026, 10, 25), dt.date(2026, 10, 26),
                  granularity="15min")
    assert [p.isoformat() for p in q["period_start"]] == ["2026-10-25T01:15:00+01:00",
                                                          "2026-10-25T01:15:00+00:00"]
    day = kpi_frame(Scope.everything(), centre, dt.date(2026, 10, 25), dt.date(2026, 10, 26))
    assert day["offered"].tolist() == [20]


def test_params_follow_the_metric_catalogue_across_a_threshold_change(centre, rows):
    """A new service-level version from 3 March (T = 5 s) applies from that day only; the figure
    for 2 March keeps the 20 s threshold of the version in force then."""
    from measurements.selectors import metric_definition_in_force
    from measurements.services.design import metric_definition_new_version

    current = metric_definition_in_force("service_level", dt.date(2026, 3, 2))
    metric_definition_new_version(current, effective_from=dt.date(2026, 3, 3),
                                  parameters={**current.parameters, "threshold_s": 5})
    periods = kpi_params_for_period(centre, dt.date(2026, 3, 1), dt.date(2026, 3, 5))
    assert [(p.start, p.end, p.params.sl_threshold_s) for p in periods] == [
        (dt.date(2026, 3, 1), dt.date(2026, 3, 3), 20),
        (dt.date(2026, 3, 3), dt.date(2026, 3, 5), 5),
    ]
    assert periods[1].params.definition_version == "Service level, v2 since 3 Mar 2026"
    before = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    assert before.attrs["definition"].startswith("Service level, v1: ")
    both = kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 1), dt.date(2026, 3, 5))
    assert both.attrs["definition"].startswith(
        "1 Mar 2026–2 Mar 2026: Service level, v1; 3 Mar 2026–4 Mar 2026: Service level, v2 "
        "since 3 Mar 2026: ")
    assert before["service_level"].iloc[0] == pytest.approx(
        kpi_frame(Scope.everything(), centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3),
                  sl_threshold_s=20)["service_level"].iloc[0])


def test_sums_read_by_the_cursor_are_numbers_whatever_the_database():
    """PostgreSQL's cursor gives sums of 8-byte integers as Decimal (the ORM would convert
    them): a frame read by the cursor has ints where every value is whole and present, floats
    otherwise, so pandas' numeric sums keep every column (a forecast once lost ``offered``)."""
    from decimal import Decimal

    from reports.selectors import _decimals_as_numbers

    frame = _decimals_as_numbers(pd.DataFrame({
        "offered": [Decimal(3), Decimal(40)], "talk_s": [Decimal("1.5"), Decimal(2)],
        "gap": [Decimal(1), None], "queue": ["a", "b"]}))
    assert frame["offered"].dtype == "int64" and frame["offered"].tolist() == [3, 40]
    assert frame["talk_s"].dtype == "float64" and frame["talk_s"].tolist() == [1.5, 2.0]
    assert frame["gap"].dtype == "float64" and frame["gap"].isna().tolist() == [False, True]
    assert frame["queue"].tolist() == ["a", "b"]
    assert list(frame.groupby("queue").sum(numeric_only=True).columns) == [
        "offered", "talk_s", "gap"]
