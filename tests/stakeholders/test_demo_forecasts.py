"""The demo issues the whole centre's forecast by back-test and one per queue that took
contacts, each by the model the centre's back-test chose (one comparison of models, not one
per queue) — on four weeks of made-up history (fixed dates)."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reports.models import Forecast
from tests.stakeholders.test_business_day import _row

pytestmark = pytest.mark.django_db

FIRST, LAST = date(2026, 2, 2), date(2026, 3, 1)  # four whole weeks, Monday to Sunday


def test_forecasts_for_the_centre_and_every_queue_that_took_contacts(centre, monkeypatch):
    from measurements.models import IntervalStat
    from measurements.services.daily import daily_rollup_refresh
    from pathways.models import Queue
    from stakeholders import demo

    london = ZoneInfo("Europe/London")
    billing = Queue.objects.create(centre=centre, code="BILL", name="Billing")
    sales = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    Queue.objects.create(centre=centre, code="EMPTY", name="Never called")
    Queue.objects.create(centre=centre, code="IVR", name="IVR", kind="ivr")
    rows, day = [], FIRST
    while day <= LAST:
        for hour in range(9, 17):
            at = datetime(day.year, day.month, day.day, hour, tzinfo=london)
            rows += [_row(centre, billing, at, 4 + day.weekday()),
                     _row(centre, sales, at, 2 + hour % 3)]
        day += timedelta(days=1)
    IntervalStat.objects.bulk_create(rows)
    daily_rollup_refresh(None, [FIRST + timedelta(days=n) for n in range(28)])
    monkeypatch.setattr(demo, "DEMO_HOLDOUT_WEEKS", 1)
    said = []
    manifest = {"period": {"start": f"{FIRST}", "end": f"{LAST}"}}
    centre_wide = demo._forecast(centre, manifest, said.append)
    assert centre_wide is not None and centre_wide.queue is None, said
    assert centre_wide.scope_label == "Whole centre"
    per_queue = Forecast.objects.filter(queue__isnull=False)
    assert set(per_queue.values_list("queue__code", flat=True)) == {"BILL", "SALES"}
    assert set(per_queue.values_list("method", flat=True)) == {centre_wide.method}
    assert all(len(f.backtest) == 1 for f in per_queue)
    assert len(centre_wide.backtest) >= 2
    assert any(line.startswith("  Forecasts per queue: 2 issued") and "Never called" in line
               for line in said), said
