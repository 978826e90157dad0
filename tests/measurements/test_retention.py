"""Retention of the rollup tables on SQLite (no partitions: old rows deleted in batches), the
month arithmetic the partitions are named and bounded by, and the monthly task's schedule.
The PostgreSQL side (partitions archived and dropped) is in tests/integration."""
import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from measurements.models import AgentIntervalStat, DailyStat, IntervalStat
from measurements.selectors.versions import data_version
from measurements.services import partitions
from measurements.services.partitions import (
    month_add,
    months_between,
    partitions_ensure,
    retention_cutoff,
    retention_plan,
)
from pathways.models import Agent, Queue
from tests.stakeholders.factories import interval_rows


def test_months_between_crosses_the_year_end():
    assert months_between(dt.date(2026, 11, 30), dt.date(2027, 2, 1)) == [
        dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1), dt.date(2027, 2, 1)]


def test_month_add_goes_back_across_years():
    assert month_add(dt.date(2026, 1, 1), -13) == dt.date(2024, 12, 1)
    assert month_add(dt.date(2026, 12, 1), 1) == dt.date(2027, 1, 1)


@pytest.mark.parametrize(("today", "months", "cutoff"), [
    (dt.date(2026, 11, 20), 12, dt.date(2025, 11, 1)),
    (dt.date(2027, 1, 1), 1, dt.date(2026, 12, 1)),     # first day of a year
    (dt.date(2028, 2, 29), 24, dt.date(2026, 2, 1)),    # leap day
    (dt.date(2026, 12, 31), 0, dt.date(2026, 12, 1)),   # 0 keeps only the current month
])
def test_retention_cutoff_keeps_whole_months_before_the_current_one(today, months, cutoff):
    assert retention_cutoff(months, today) == cutoff


def test_retention_cutoff_reads_the_pinned_clock():
    # The suite's clock: Friday 20 November 2026.
    assert retention_cutoff(3) == dt.date(2026, 8, 1)


def test_partitions_ensure_does_nothing_on_sqlite(db):
    assert partitions_ensure(dt.date(2020, 1, 1), dt.date(2030, 1, 1)) == []


@pytest.fixture
def history(centre):
    """Sixty days of interval, per-agent and daily rows for one queue, to 20 November 2026."""
    queue = Queue.objects.create(centre=centre, code="Q1", name="Sales")
    agent = Agent.objects.create(centre=centre, code="a1", name="Ann")
    interval_rows(centre, queue, days=60, today=dt.date(2026, 11, 20), agent=agent)
    return queue


def _dates(model):
    return set(model.objects.values_list("local_date", flat=True))


def test_retention_dry_run_lists_old_rows_and_deletes_nothing(history, settings):
    settings.CONTACTMIS_RETENTION_MONTHS = 1
    before = IntervalStat.objects.count()
    out = StringIO()
    call_command("retention", stdout=out)
    text = out.getvalue()
    assert "data dated before 2026-10-01 goes" in text
    assert "Would remove delete rows: measurements_intervalstat" in text
    assert "Dry run: nothing changed" in text
    assert IntervalStat.objects.count() == before


def test_retention_apply_deletes_rows_before_the_cutoff_in_batches(history, settings,
                                                                   monkeypatch):
    settings.CONTACTMIS_RETENTION_MONTHS = 1
    monkeypatch.setattr(partitions, "DELETE_BATCH_ROWS", 50)  # many batches
    cutoff = dt.date(2026, 10, 1)
    old = IntervalStat.objects.filter(local_date__lt=cutoff).count()
    kept = IntervalStat.objects.filter(local_date__gte=cutoff).count()
    assert old > 50 and kept
    plan = {i.table: i.rows for i in retention_plan(cutoff)}
    assert plan["measurements_intervalstat"] == old
    version = data_version()
    out = StringIO()
    call_command("retention", "--apply", stdout=out)
    assert data_version() != version  # cached dashboards of those months are not served
    assert f"Removed delete rows: measurements_intervalstat, {old:,} rows" in out.getvalue()
    for model in (IntervalStat, AgentIntervalStat, DailyStat):
        dates = _dates(model)
        assert dates and min(dates) == cutoff, model
    assert IntervalStat.objects.count() == kept
    assert retention_plan(cutoff) == []


def test_retention_off_keeps_everything(history, settings):
    settings.CONTACTMIS_RETENTION_MONTHS = 0
    before = IntervalStat.objects.count()
    out = StringIO()
    call_command("retention", "--apply", stdout=out)
    assert "Retention is off" in out.getvalue()
    assert IntervalStat.objects.count() == before


def test_retention_months_option_overrides_the_setting(history, settings):
    settings.CONTACTMIS_RETENTION_MONTHS = 0
    call_command("retention", "--apply", "--months", "1", stdout=StringIO())
    assert min(_dates(DailyStat)) == dt.date(2026, 10, 1)


def test_retention_runs_monthly_from_beat_with_an_expiry():
    from celery.schedules import crontab

    from contactmis.celery import app

    entry = app.conf.beat_schedule["rollup-retention"]
    assert entry["task"] == "measurements.tasks.retention_monthly"
    assert entry["schedule"] == crontab(minute=30, hour=3, day_of_month=1)
    assert entry["options"]["expires"] > 0
