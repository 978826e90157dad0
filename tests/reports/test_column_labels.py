"""Column headers are words: every column of every table on the analysis pages of a small centre
has a label in the one vocabulary (reports/vocabulary.py), and no header on the page reads like
a column name ("Change rel", "Aht s", "wait_p50_s")."""
import re

import pytest
from django.urls import reverse

from reports.models import Forecast
from reports.vocabulary import column_label, is_labelled
from tests.reports.test_pages import PERIOD, data  # noqa: F401 (the small centre's fixture)

pytestmark = pytest.mark.django_db

PAGES = [
    ("kpis", {}),
    ("kpis", {"granularity": "week", "by": ["queue"]}),
    ("kpis", {"granularity": "15min", "start": "2026-02-02", "end": "2026-02-04"}),
    ("patterns", {}),
    ("staffing", {"target_sl": "0.8"}),
    ("queueing", {}),
    ("forecasts", {}),
]
# Abbreviations that only a column name writes in lower case ("Aht s", "Change rel").
RAW_TOKENS = {"rel", "abs", "pct", "seaso", "wape", "aht", "asa", "sl", "acw", "avg", "ivr",
              "kpi", "n", "s", "id", "le", "pva", "erlangs", "p50", "p80", "p90", "p95"}


def raw_looking(header: str) -> bool:
    outside_units = re.sub(r"\([^)]*\)", "", header)
    words = re.findall(r"[A-Za-z0-9]+", outside_units)
    # The first word of a column name is capitalised: "Aht", "Sl" (an acronym would be "AHT").
    first = bool(words) and words[0].lower() in RAW_TOKENS and words[0] == words[0].capitalize()
    return "_" in header or first or any(w in RAW_TOKENS for w in words[1:])


def test_raw_header_detector():
    assert raw_looking("Change rel") and raw_looking("Aht s") and raw_looking("wait_p50_s")
    assert raw_looking("Wait p50 (s)") and raw_looking("Sl basis")
    assert not raw_looking("AHT") and not raw_looking("Wait, 50th percentile")
    assert not raw_looking("Traffic (Erlangs)") and not raw_looking("Service level (of offered)")


def test_analysis_tables_have_worded_headers(manager_client, data):  # noqa: F811
    Forecast.objects.all().delete()
    manager_client.post(reverse("reports:forecasts"), {
        "history_start": "2026-02-02", "history_end": "2026-02-16", "horizon_days": 7,
        "method": "seasonal_naive"})
    unlabelled, raw_headers, seen = set(), set(), 0
    for name, extra in PAGES:
        response = manager_client.get(reverse(f"reports:{name}"), {**PERIOD, **extra})
        assert response.status_code == 200
        report = response.context.get("report") or {}
        for table, rows in (report.get("tables") or {}).items():
            for key in (rows[0] if rows else {}):
                seen += 1
                if not is_labelled(key):
                    unlabelled.add(f"{name}/{table}: {key}")
        html = response.content.decode()
        for header in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S):
            text = re.sub(r"<[^>]+>", "", header).strip()
            if text and raw_looking(text):
                raw_headers.add(f"{name}: {text!r}")
    assert seen > 60  # the walk reached the tables
    assert unlabelled == set()
    assert raw_headers == set()


def test_labels_carry_units_in_exports_only():
    assert column_label("aht_s") == "AHT" and column_label("aht_s", raw=True) == "AHT (s)"
    assert column_label("change_rel") == "Change"
    assert column_label("change_rel", raw=True) == "Change (0–1)"
    assert column_label("wait_p90_s", raw=True) == "Wait, 90th percentile (s)"
    assert column_label("service_level__excl_short_abandons") == \
        "Service level (short abandons excluded)"
    assert column_label("offered_target") == "Offered target"
