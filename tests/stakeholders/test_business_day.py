"""A centre whose business day starts at 06:00: today's widgets (the wallboard's, the intraday
dashboards') add up from 06:00 to 06:00 the next morning, not from midnight (fixed instants; the
real clock is never read)."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from contactmis.scope import Scope
from stakeholders.models import Widget
from stakeholders.widgets import widget_result

LONDON = ZoneInfo("Europe/London")


def _row(centre, queue, local: datetime, offered: int):
    from measurements.models import IntervalStat
    from measurements.services.rollup import local_fields

    start = local.astimezone(UTC)
    return IntervalStat(centre=centre, queue=queue, channel="voice", interval_start=start,
                        **local_fields(start, LONDON), offered=offered, answered=offered,
                        handled=offered, talk_s=offered * 100)


@pytest.fixture
def night_and_day(db, centre):
    """Offered calls around two boundaries: 1 at 05:45 on the 9th (the business day before),
    10 at 06:00 and 100 at 23:45 on the 9th, 1,000 at 05:45 on the 10th (all the business day
    of the 9th), 10,000 at 06:00 on the 10th (the next)."""
    from measurements.models import IntervalStat
    from measurements.services.daily import daily_rollup_refresh
    from pathways.models import Queue

    centre.day_starts_at = time(6)
    centre.save()
    queue = Queue.objects.create(centre=centre, code="Q1", name="Sales")
    rows = [(datetime(2026, 3, 9, 5, 45, tzinfo=LONDON), 1),
            (datetime(2026, 3, 9, 6, 0, tzinfo=LONDON), 10),
            (datetime(2026, 3, 9, 23, 45, tzinfo=LONDON), 100),
            (datetime(2026, 3, 10, 5, 45, tzinfo=LONDON), 1000),
            (datetime(2026, 3, 10, 6, 0, tzinfo=LONDON), 10000)]
    IntervalStat.objects.bulk_create([_row(centre, queue, at, n) for at, n in rows])
    daily_rollup_refresh(None, [date(2026, 3, 9), date(2026, 3, 10)])
    return queue


def _offered(period, granularity, now, breakdown=""):
    widget = Widget(kind="table" if breakdown else "kpi_tile", title="t", metrics=["offered"],
                    period=period, granularity=granularity, breakdown=breakdown)
    return widget_result(widget, Scope.everything(), now)


@pytest.mark.parametrize("granularity", ["15min", "hour", "day"])
def test_today_sums_the_business_day_from_its_boundary(night_and_day, settings, granularity):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    now = datetime(2026, 3, 10, 5, 59, tzinfo=UTC)  # 05:59 GMT: still the 9th's business day
    result = _offered("today", granularity, now)
    assert result.tile["value"] == 1110
    assert result.period.first_day == date(2026, 3, 9)


def test_yesterday_after_the_boundary_is_the_business_day_just_ended(night_and_day, settings):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    now = datetime(2026, 3, 10, 6, 30, tzinfo=UTC)
    assert _offered("yesterday", "day", now).tile["value"] == 1110
    assert _offered("today", "15min", now).tile["value"] == 10000


def test_a_table_of_the_business_day_has_one_row_per_queue(night_and_day, settings):
    settings.CONTACTMIS_DASHBOARD_CACHE_S = 0
    now = datetime(2026, 3, 10, 5, 59, tzinfo=UTC)
    table = _offered("today", "day", now, breakdown="queue").table
    assert list(table["offered"]) == [1110]
