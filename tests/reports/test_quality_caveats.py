"""A KPI figure built on data whose measurement test fails says so among its findings."""
import datetime as dt

import pytest

from contactmis.scope import Scope
from measurements.models import MeasurementTest
from measurements.services.testing import measurement_test_run, measurement_test_save
from reports.analyses import kpi_report
from tests.measurements.quality_fixtures import EXPECTED, SCRIPT, billing  # noqa: F401
from tests.measurements.test_measurement_tests import _live

pytestmark = pytest.mark.django_db


def test_kpi_findings_carry_failing_measurement_tests(centre, billing, tmp_path, settings):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    _live(centre, SCRIPT)
    test = measurement_test_save(MeasurementTest(
        centre=centre, name="Billing SL", kind="known_answer", config=billing["config"],
        script=SCRIPT, expected={**EXPECTED, "service_level": 80}))
    assert measurement_test_run(test).status == "failed"
    report = kpi_report(Scope.everything(), centre, dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    caveats = [f["text"] for f in report["findings"] if f["kind"] == "caveat"]
    assert any("Measurement test “Billing SL” failed" in c for c in caveats), caveats
    later = kpi_report(Scope.everything(), centre, dt.date(2026, 4, 1), dt.date(2026, 4, 2))
    assert not any("Billing SL" in f["text"] for f in later["findings"])
