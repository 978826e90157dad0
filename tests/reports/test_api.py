"""Analysis endpoints: validated parameters with named errors, data within the scope."""
import datetime as dt

import pytest

from pathways.models import Queue
from tests.reports.factories import interval_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(centre):
    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    start = dt.datetime(2026, 2, 2, 9, 0, tzinfo=centre.tz)
    for day in range(15):
        interval_row(centre, queue, start + dt.timedelta(days=day), talk_s=1600,
                     wait_answered_s=80, staffed_s=1800)
    return queue


@pytest.fixture
def manager_api(api_client, manager):
    api_client.force_authenticate(manager)
    return api_client


def test_kpis_endpoint_returns_rows_and_definition(manager_api, data):
    r = manager_api.get("/api/v1/analysis/kpis/", {"start": "2026-02-02", "end": "2026-02-09",
                                                  "by": "queue", "granularity": "week"})
    assert r.status_code == 200
    body = r.json()
    assert body["definition"].startswith("Service level, v1: answered within T")
    assert body["rows"][0]["sl_threshold_s"] == 20 and body["rows"][0]["targets"] == {}
    row = body["rows"][0]
    assert row["queue"] == "Sales" and row["offered"] == 70
    assert row["service_level"] == pytest.approx(6 / 9)
    assert row["ivr_containment"] is None


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "2026-02-09", "end": "2026-02-02"}, "end"),
    ({"start": "2026-02-02", "end": "2026-02-09", "granularity": "fortnight"}, "granularity"),
    ({"start": "2026-02-02", "end": "2026-02-09", "by": "colour"}, "by"),
    ({"start": "2026-02-02", "end": "2026-02-09", "sl_threshold": "25"}, "sl_threshold"),
    ({"start": "nope", "end": "2026-02-09"}, "start"),
    ({"start": "2026-02-02", "end": "2026-02-09", "timezone": "Mars/Base"}, "timezone"),
])
def test_bad_parameters_are_named(manager_api, data, params, field):
    r = manager_api.get("/api/v1/analysis/kpis/", params)
    assert r.status_code == 400
    assert field in r.json()


def test_other_endpoints_answer(manager_api, data):
    period = {"start": "2026-02-02", "end": "2026-02-17"}
    patterns = manager_api.get("/api/v1/analysis/patterns/", period).json()
    assert patterns["tables"]["peaks"]
    # No service-level target in the plan and none given: nothing is computed, and it says so.
    untargeted = manager_api.get("/api/v1/analysis/staffing/", period).json()
    assert untargeted["tables"] == {} and "No service-level target" in untargeted["prompt"]
    staffing = manager_api.get("/api/v1/analysis/staffing/", {**period, "shrinkage": "0.3",
                                                                "target_sl": "0.8"})
    assert staffing.status_code == 200
    assert staffing.json()["tables"]["intervals"][0]["required_agents"] >= 1
    assert staffing.json()["queues"][0]["target_from"] == "target 80.0 % chosen here"
    assert manager_api.get("/api/v1/analysis/queueing/", period).json()["empty"] is True
    calc = manager_api.post("/api/v1/analysis/staffing/calculate/", {
        "calls": 100, "interval_s": 1800, "aht_s": 180, "threshold_s": 20, "target_sl": 0.8,
        "shrinkage": 0.3}, format="json").json()
    assert (calc["agents"], calc["scheduled_agents"]) == (14, 20)
    bad = manager_api.post("/api/v1/analysis/staffing/calculate/", {
        "calls": 100, "interval_s": 1800, "aht_s": 180, "threshold_s": 20, "shrinkage": 2},
        format="json")
    assert bad.status_code == 400 and "shrinkage" in bad.json()


def test_forecast_issue_and_accuracy(manager_api, data):
    r = manager_api.post("/api/v1/analysis/forecasts/", {
        "history_start": "2026-02-02", "history_end": "2026-02-16", "horizon_days": 1,
        "method": "seasonal_naive"}, format="json")
    assert r.status_code == 201, r.json()
    detail = manager_api.get(f"/api/v1/analysis/forecasts/{r.json()['id']}/").json()
    assert detail["accuracy"]["wape"] == pytest.approx(0.0)
    short = manager_api.post("/api/v1/analysis/forecasts/", {
        "history_start": "2026-02-10", "history_end": "2026-02-16"}, format="json")
    assert short.status_code == 400 and "history_start" in short.json()


def test_forecast_by_back_test_keeps_every_models_figures(manager_api, centre):
    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    for day in range(28):  # Mon 2 Feb – Sun 1 Mar: 10 calls at 09:00 every day but Sunday
        at = dt.datetime(2026, 2, 2, 9, 0, tzinfo=centre.tz) + dt.timedelta(days=day)
        if at.weekday() != 6:
            interval_row(centre, queue, at, talk_s=1600)
    r = manager_api.post("/api/v1/analysis/forecasts/", {
        "history_start": "2026-02-02", "history_end": "2026-03-02", "horizon_days": 7,
        "holdout_weeks": 1}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert [m["method"] for m in body["backtest"]] == ["holt_winters", "stl_ets",
                                                        "seasonal_naive"]
    assert body["holdout_weeks"] == 1 and body["selection"].startswith(
        next(m["label"] for m in body["backtest"] if m["method"] == body["method"]))
    # The same traffic every week: the held-out week is forecast exactly by the one chosen.
    assert body["backtest_daily_wape"] == pytest.approx(0.0, abs=1e-3)
    # Four weeks asked of four weeks' history: two can be held out (each needs two weeks
    # before it); those are the ones recorded.
    four = manager_api.post("/api/v1/analysis/forecasts/", {
        "history_start": "2026-02-02", "history_end": "2026-03-02", "holdout_weeks": 4},
        format="json").json()
    assert four["holdout_weeks"] == 2
    assert [m["method"] for m in four["backtest"]] == ["holt_winters", "seasonal_naive"]
    too_short = manager_api.post("/api/v1/analysis/forecasts/", {
        "history_start": "2026-02-02", "history_end": "2026-02-16", "holdout_weeks": 1},
        format="json")
    assert too_short.status_code == 400
    assert "Too little history to back-test" in too_short.json()["history_start"][0]


def test_viewer_sees_nothing_outside_scope(api_client, viewer, data):
    api_client.force_authenticate(viewer)
    r = api_client.get("/api/v1/analysis/kpis/", {"start": "2026-02-02", "end": "2026-02-09"})
    assert r.status_code == 200 and r.json()["rows"] == []
    assert api_client.get("/api/v1/analysis/staffing/",
                          {"start": "2026-02-02", "end": "2026-02-09"}).status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/analysis/kpis/").status_code == 401
