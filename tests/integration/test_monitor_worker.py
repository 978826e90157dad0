"""All nine real months through the real worker: every import triggers the measurement tests and
the collection monitor (enqueued when the load commits), which find the README's defects.
Figures: Anonymous Bank call-center data, Technion SEE lab."""
import datetime as dt

import pytest

from measurements.models import Alert, ImportBatch, MeasurementTest, TestRun
from measurements.selectors.quality import source_health
from measurements.services.ingest import batch_create
from measurements.services.testing import measurement_test_save
from tests.integration.conftest import wait_for
from tests.measurements.test_monitor_real_data import bank_source, check_known_defects

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
MONTHS = ("01", "02", "03", "04", "05", "06", "07", "09", "10")


def test_every_import_runs_the_checks_and_the_monitor_finds_the_defects(
        celery_worker_process, centre, anonymous_bank_dir, manager, mailoutbox):
    source = bank_source(centre)
    conservation = measurement_test_save(MeasurementTest(
        centre=centre, name="Bank conservation", kind="conservation", source=source))
    completeness = measurement_test_save(MeasurementTest(
        centre=centre, name="Bank completeness", kind="completeness", source=source,
        tolerance=1000))
    for month in MONTHS:
        batch_create(source=source, file=anonymous_bank_dir / f"1999-{month}.tsv")
    wait_for(lambda: ImportBatch.objects.filter(status="loaded").count() == len(MONTHS), 1500,
          "nine months to load", every=0.5)
    wait_for(lambda: TestRun.objects.filter(test=conservation).count() == len(MONTHS), 600,
          "a conservation run after each import", every=0.5)
    runs = TestRun.objects.filter(test=conservation)
    assert {r.status for r in runs} == {"passed"}, [r.message for r in runs]
    assert all(r.trigger.startswith("after import #") for r in runs)
    jan = TestRun.objects.filter(test=completeness, period_start__lt=dt.datetime(
        1999, 1, 31, tzinfo=dt.UTC)).get()
    assert "1999-01-11, 1999-01-12" in jan.comparisons[0]["detail"]
    alerts = list(Alert.objects.exclude(code="test_failed"))
    health = source_health(source)
    check_known_defects(source, health, alerts)
    print("missing days:", [f"{d:%Y-%m-%d}" for d in health["missing_days"]])
    print("anomalies:", [(f"{a['date']:%Y-%m-%d}", a["ratio"], a["hours"])
                         for a in health["anomalies"]])
    print("notes:", {k: v["count"] for k, v in health["notes"].items()})
