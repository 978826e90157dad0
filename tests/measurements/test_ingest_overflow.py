"""The overflow probes on SQLite; the same body runs on PostgreSQL in
``tests/integration/test_ingest_overflow_postgresql.py`` and must give the same figures."""

import pytest

from .overflow_probes import EXPECTED, EXPECTED_REJECTS, run_overflow_probes


@pytest.mark.django_db
def test_overflow_probes_are_rejects_and_the_good_rows_load(
    centre, tmp_path, api_client, manager, monkeypatch
):
    figures = run_overflow_probes(centre, tmp_path, api_client, manager, monkeypatch)
    assert figures.pop("rejects") == EXPECTED_REJECTS
    assert figures == EXPECTED
