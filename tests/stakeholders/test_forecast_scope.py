"""Issued forecasts stay inside the scope that may see their queue: staffing to a forecast, the
forecast page and plan versus actual answer 404 or leave it out for anyone else."""
import datetime as dt

import pytest
from django.urls import reverse

from contactmis.scope import Scope
from reports.models import Forecast
from tests.reports.test_forecast_choice import _issued

pytestmark = pytest.mark.django_db


def test_forecasts_outside_the_scope_are_not_found(two_vendors, viewer, viewer_client):
    from contactmis.scope import scope_for_user
    from tests.reports.test_report_meaning import _report

    centre = two_vendors["queue_b"].centre
    theirs = _issued(centre, two_vendors["queue_b"], dt.date(2026, 11, 20))
    for name in ("staffing", "forecasts"):
        assert viewer_client.get(reverse(f"reports:{name}"),
                                 {"forecast": theirs.pk}).status_code == 404
    scope = scope_for_user(viewer)
    assert not Forecast.objects.restrict(scope).exists()
    assert Forecast.objects.restrict(Scope.everything()).get() == theirs
    # Vendor A's monthly report does not set vendor B's forecast against its volumes.
    report = _report("monthly", (dt.date(2026, 11, 1), dt.date(2026, 11, 20)), scope)
    assert not any(t.caption.startswith("Volume: forecast")
                   for s, t in report.all_tables() if s.key == "plan")
    # Vendor B's report sets its own queue's forecast against its volumes.
    theirs_only = Scope(queue_ids=frozenset({two_vendors["queue_b"].pk}), label="Vendor B")
    report = _report("monthly", (dt.date(2026, 11, 1), dt.date(2026, 11, 20)), theirs_only)
    assert any(t.caption.startswith("Volume: forecast")
               for s, t in report.all_tables() if s.key == "plan")
    # The whole centre's report is set against the whole centre's forecast, never against
    # one queue's.
    everything = _report("monthly", (dt.date(2026, 11, 1), dt.date(2026, 11, 20)))
    assert not any(t.caption.startswith("Volume: forecast")
                   for s, t in everything.all_tables() if s.key == "plan")
    whole = _issued(centre, None, dt.date(2026, 11, 20))
    Forecast.objects.filter(pk=whole.pk).update(scope_label=Scope.everything().label)
    everything = _report("monthly", (dt.date(2026, 11, 1), dt.date(2026, 11, 20)))
    assert any(t.caption.startswith("Volume: forecast") and "whole centre" in t.definition
               for s, t in everything.all_tables() if s.key == "plan")
