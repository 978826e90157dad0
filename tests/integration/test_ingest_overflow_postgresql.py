"""The overflow probes on the real PostgreSQL: the same rejects and the same loaded figures as
on SQLite (``tests/measurements/test_ingest_overflow.py`` runs the same body and asserts the same
numbers)."""

import pytest

from tests.measurements.overflow_probes import EXPECTED, EXPECTED_REJECTS, run_overflow_probes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_overflow_probes_give_the_same_figures_on_postgresql(
    tmp_path, api_client, manager, monkeypatch, settings
):
    from django.db import connection

    from contactmis.models import Centre

    assert connection.vendor == "postgresql"
    settings.MEDIA_ROOT = tmp_path / "media"
    centre = Centre.objects.create(name="Probe centre", time_zone="Europe/London")
    figures = run_overflow_probes(centre, tmp_path, api_client, manager, monkeypatch)
    assert figures.pop("rejects") == EXPECTED_REJECTS
    assert figures == EXPECTED
