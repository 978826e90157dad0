"""The daily rollup follows every way interval rows are written (contact imports through the
rollup, interval reports, replacements), and reports read the same figures from it as from the
interval rows."""
import datetime as dt

import pandas as pd
import pytest
from django.db.models import Max, Sum

from contactmis.scope import Scope
from measurements.models import DailyStat, ImportBatch, IntervalStat
from measurements.models.facts import ADDITIVE_FIELDS
from measurements.selectors.versions import data_version
from measurements.services.daily import daily_rollup_rebuild, daily_rollup_refresh
from measurements.services.ingest import batch_create, source_create
from pathways.models import Queue
from tests.stakeholders.factories import interval_rows

from . import samples

pytestmark = pytest.mark.django_db
SUMS = {f: Sum(f) for f in ADDITIVE_FIELDS}


def _same_totals(**filters):
    """Per-day sums of every component (and the max wait) agree between the two rollups."""
    key = ("local_date", "queue_id", "channel", "contact_type", "customer_segment")
    daily = {tuple(r[k] for k in key): r for r in DailyStat.objects.filter(**filters)
             .values(*key).annotate(**SUMS, m=Max("wait_max_s"))}
    interval = {tuple(r[k] for k in key): r for r in IntervalStat.objects.filter(**filters)
                .values(*key).annotate(**SUMS, m=Max("wait_max_s"))}
    assert daily.keys() == interval.keys()
    for k, row in interval.items():
        assert daily[k] == row, k
    return len(daily)


def _load(capture, source, path):
    with capture(execute=True):
        batch = batch_create(source=source, file=path)
    return ImportBatch.objects.get(pk=batch.pk)


def test_contact_import_and_its_replacement_keep_the_daily_rollup_equal(
        centre, tmp_path, django_capture_on_commit_callbacks):
    source = source_create(centre=centre, name="Bank ACD", kind="acd_ivr",
                           export_format="anonymous_bank", time_zone="Asia/Jerusalem")
    before = data_version()
    batch = _load(django_capture_on_commit_callbacks, source, samples.ab_file(tmp_path))
    assert batch.status == "loaded", batch.error
    assert data_version() != before
    assert DailyStat.objects.filter(source=source).exists()
    assert _same_totals(source=source) > 0
    # The same file again under another name replaces its contacts: still equal, not doubled.
    rows = [r.replace("\t1\t", "\t2\t", 1) for r in samples.AB_ROWS]
    _load(django_capture_on_commit_callbacks, source,
          samples.ab_file(tmp_path, rows=rows, name="ab2.tsv"))
    _same_totals(source=source)


def test_interval_report_updates_the_daily_rollup(centre, tmp_path,
                                                  django_capture_on_commit_callbacks):
    src = source_create(centre=centre, name="CMS", kind="acd", export_format="interval_report",
                        time_zone="Europe/London")
    (tmp_path / "cms.csv").write_text(samples.INTERVAL_CSV)
    _load(django_capture_on_commit_callbacks, src, tmp_path / "cms.csv")
    day = DailyStat.objects.get(source=src, queue__code="Sales")
    assert (day.local_date, day.offered, day.answered_le_20s, day.wait_max_s) == (
        dt.date(2026, 3, 2), 90, 68, 120)
    again = tmp_path / "cms2.csv"
    again.write_text(samples.INTERVAL_CSV + "2026-03-02,10:30,Sales,1,1,0,1,20,60,0,10,5\n")
    _load(django_capture_on_commit_callbacks, src, again)
    assert DailyStat.objects.get(source=src, queue__code="Sales").offered == 91
    _same_totals(source=src)


def test_refresh_replaces_the_days_and_rebuild_matches(centre):
    queue = Queue.objects.create(centre=centre, code="S", name="Sales")
    today = dt.date(2026, 3, 20)
    interval_rows(centre, queue, 10, today)
    _same_totals()
    IntervalStat.objects.filter(local_date=today).delete()
    daily_rollup_refresh(None, [today])
    assert not DailyStat.objects.filter(local_date=today).exists()
    _same_totals()
    DailyStat.objects.all().delete()
    assert daily_rollup_rebuild() == DailyStat.objects.count() > 0
    _same_totals()


@pytest.fixture
def year_of_segments(centre):
    """Two sites, three queues, two channels, two segments; 70 days crossing a month end and
    the spring DST change (Europe/London), with agents for the team breakdown."""
    from pathways.models import Agent

    queues = [Queue.objects.create(centre=centre, code=f"Q{i}", name=f"Queue {i}",
                                   site=("Leeds", "Cork")[i % 2]) for i in range(3)]
    agent = Agent.objects.create(centre=centre, code="A1", name="Alice", team="Red")
    today = dt.date(2026, 4, 20)
    for i, q in enumerate(queues):
        interval_rows(centre, q, 70, today, seed=i, agent=agent if i == 0 else None,
                      contact_type=("billing", "sales")[i % 2],
                      segment=("retail", "business")[i // 2], channel=("voice", "chat")[i % 2])
    return {"queues": queues, "first": today - dt.timedelta(days=69),
            "end": today + dt.timedelta(days=1)}


def _both(settings, fn):
    settings.CONTACTMIS_DAILY_ROLLUP = True
    daily = fn()
    settings.CONTACTMIS_DAILY_ROLLUP = False
    interval = fn()
    return daily, interval


@pytest.mark.parametrize("granularity", ["day", "week", "month", "quarter"])
@pytest.mark.parametrize("by", [(), ("queue",), ("channel", "customer_segment"), ("site",)])
def test_kpi_frame_is_the_same_from_daily_and_interval_rows(centre, settings, year_of_segments,
                                                            granularity, by):
    from reports.selectors import kpi_frame

    d = year_of_segments
    for scope in (Scope.everything(), Scope(queue_ids=frozenset({d["queues"][1].pk}))):
        daily, interval = _both(settings, lambda s=scope: kpi_frame(
            s, centre, d["first"], d["end"], granularity, by))
        assert len(daily) > 0
        pd.testing.assert_frame_equal(daily, interval, check_dtype=False)


def test_period_figures_buckets_and_flows_are_the_same_both_ways(centre, settings,
                                                                  year_of_segments):
    from reports.selectors import bucket_totals, flow_frame, period_kpi_frame

    d = year_of_segments
    args = (Scope.everything(), centre, d["first"], d["end"])
    for fn in (lambda: period_kpi_frame(*args, by=["queue"]), lambda: period_kpi_frame(*args),
               lambda: bucket_totals(*args, by=["channel"]), lambda: flow_frame(*args)):
        daily, interval = _both(settings, fn)
        assert len(daily) > 0
        pd.testing.assert_frame_equal(daily, interval, check_dtype=False)


@pytest.mark.parametrize("granularity", ["day", "week", "month", "year"])
@pytest.mark.parametrize("breakdown", ["", "queue", "contact_type", "site", "team"])
def test_dashboard_sums_are_the_same_both_ways(centre, settings, year_of_segments, granularity,
                                               breakdown):
    from reports.selectors import component_sums

    d = year_of_segments
    daily, interval = _both(settings, lambda: component_sums(
        Scope.everything(), d["first"], d["end"], granularity, breakdown,
        tz=centre.time_zone))
    assert len(daily) > 0 and daily["offered"].sum() + daily["handled"].sum() > 0
    pd.testing.assert_frame_equal(daily, interval, check_dtype=False)


def test_daily_rows_are_scope_restricted_like_interval_rows(centre, year_of_segments):
    d = year_of_segments
    scope = Scope(sites=frozenset({"Cork"}), segments=frozenset({"retail"}))
    assert (DailyStat.objects.restrict(scope).aggregate(n=Sum("offered"))["n"]
            == IntervalStat.objects.restrict(scope).aggregate(n=Sum("offered"))["n"] > 0)
    assert set(DailyStat.objects.restrict(scope).values_list("queue_id", flat=True)) == {
        d["queues"][1].pk}


def test_rebuild_command_restores_a_damaged_daily_rollup(centre):
    from io import StringIO

    from django.core.management import call_command

    queue = Queue.objects.create(centre=centre, code="S", name="Sales")
    interval_rows(centre, queue, 5, dt.date(2026, 3, 20))
    DailyStat.objects.update(offered=0)
    out = StringIO()
    call_command("daily_rollup_rebuild", stdout=out)
    assert "Daily rollup rebuilt: 5 rows." in out.getvalue()  # Monday 16 to Friday 20
    _same_totals()
