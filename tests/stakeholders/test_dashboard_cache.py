"""The shared widget cache: keyed by a data version every import bumps (new data shows at once),
computed once when many ask at the same moment, and warmed after an import when enabled."""
import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache

from measurements.services.ingest import batch_create, source_create
from stakeholders import widgets
from tests.measurements import samples

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 3, 10, 30, tzinfo=ZoneInfo("Europe/London"))


def _import(capture, source, path):
    with capture(execute=True):
        batch_create(source=source, file=path)


@pytest.fixture
def cms(centre):
    return source_create(centre=centre, name="CMS", kind="acd", export_format="interval_report",
                         time_zone="Europe/London")


@pytest.fixture
def tile(db):
    from stakeholders.services import stakeholder_create, widget_add

    s = stakeholder_create(name="Board", kind="executive", sees_whole_centre=True,
                           with_dashboard=False)
    from stakeholders.models import Dashboard

    dashboard = Dashboard.objects.create(stakeholder=s, name="Check")
    return widget_add(dashboard, kind="kpi_tile", title="Offered on 2 March",
                      metrics=["offered"], period="custom", granularity="day",
                      custom_start=dt.date(2026, 3, 2), custom_end=dt.date(2026, 3, 2))


def _count_builds(monkeypatch):
    calls = []
    original = widgets._BUILDERS["kpi_tile"]

    def counted(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setitem(widgets._BUILDERS, "kpi_tile", counted)
    return calls


def test_a_new_batch_is_visible_at_once_and_unchanged_data_is_served_from_the_cache(
        centre, cms, tile, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    from contactmis.scope import Scope

    calls = _count_builds(monkeypatch)
    (tmp_path / "cms.csv").write_text(samples.INTERVAL_CSV)
    _import(django_capture_on_commit_callbacks, cms, tmp_path / "cms.csv")
    first = widgets.widget_result(tile, Scope.everything(), NOW)
    again = widgets.widget_result(tile, Scope.everything(), NOW)
    assert first.tile["value"] == again.tile["value"] == 110  # Sales 90 + Support 20
    assert len(calls) == 1  # the second came from the cache
    later = tmp_path / "cms2.csv"
    later.write_text(samples.INTERVAL_CSV + "2026-03-02,10:30,Sales,7,7,0,7,20,60,0,10,5\n")
    _import(django_capture_on_commit_callbacks, cms, later)
    assert widgets.widget_result(tile, Scope.everything(), NOW).tile["value"] == 117
    assert len(calls) == 2


def test_the_cache_key_separates_scopes_and_settings(centre, cms, tile, tmp_path,
                                                     django_capture_on_commit_callbacks):
    from contactmis.scope import Scope
    from pathways.models import Queue

    (tmp_path / "cms.csv").write_text(samples.INTERVAL_CSV)
    _import(django_capture_on_commit_callbacks, cms, tmp_path / "cms.csv")
    sales = Queue.objects.get(code="Sales")
    everything = widgets.widget_result(tile, Scope.everything(), NOW)
    only_sales = widgets.widget_result(tile, Scope(queue_ids=frozenset({sales.pk})), NOW)
    assert (everything.tile["value"], only_sales.tile["value"]) == (110, 90)
    tile.metrics = ["answered"]
    assert widgets.widget_result(tile, Scope.everything(), NOW).tile["value"] == 97


def test_many_requests_for_a_cold_widget_compute_it_once():
    cache.clear()
    calls, results = [], []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return {"tile": {"value": 42}}

    def ask():
        value = cache.get("contactmis:widget:test")
        results.append(value or widgets._single_flight("contactmis:widget:test", 60, compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [{"tile": {"value": 42}}] * 8


def test_a_failed_computation_lets_the_waiters_compute_for_themselves():
    cache.clear()
    cache.add("contactmis:widget:failed:lock", 1, 1)  # a holder that died without a result
    value = widgets._single_flight("contactmis:widget:failed", 60, lambda: {"empty": "x"})
    assert value == {"empty": "x"}
    assert cache.get("contactmis:widget:failed") == {"empty": "x"}


def test_the_default_dashboards_are_warmed_after_an_import(
        centre, cms, tmp_path, settings, monkeypatch, django_capture_on_commit_callbacks):
    from stakeholders.selectors import dashboard_scope
    from stakeholders.services import stakeholder_create

    settings.CONTACTMIS_DASHBOARD_WARM = True
    board = stakeholder_create(name="Board", kind="executive", sees_whole_centre=True)
    staff = stakeholder_create(name="Floor", kind="centre_staff", sees_whole_centre=True)
    (tmp_path / "cms.csv").write_text(samples.INTERVAL_CSV)
    with time_machine.travel(NOW, tick=False):
        _import(django_capture_on_commit_callbacks, cms, tmp_path / "cms.csv")

        def not_again(*args):
            raise AssertionError("computed again although warmed")

        for kind in widgets._BUILDERS:
            monkeypatch.setitem(widgets._BUILDERS, kind, not_again)
        results = []
        for s in (board, staff):
            dashboard = s.dashboards.get()
            rendered = widgets.dashboard_render(dashboard, dashboard_scope(dashboard), NOW)
            assert len(rendered) == dashboard.widgets.count() > 0
            results += rendered
    handled = [r.tile["value"] for r in results if r.tile and r.tile["metric"].key == "handled"]
    assert handled == [97]  # the board's month to date, from the warmed cache


def test_no_warming_unless_enabled(centre, cms, tmp_path, settings, monkeypatch,
                                   django_capture_on_commit_callbacks):
    from stakeholders import tasks

    settings.CONTACTMIS_DASHBOARD_WARM = False
    monkeypatch.setattr(tasks, "dashboards_warm", lambda: pytest.fail("warmed"))
    (tmp_path / "cms.csv").write_text(samples.INTERVAL_CSV)
    _import(django_capture_on_commit_callbacks, cms, tmp_path / "cms.csv")


def test_a_dashboard_skips_widgets_being_computed_elsewhere_then_waits_for_them(
        centre, cms, tile, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    from contactmis.scope import Scope
    from stakeholders.services import widget_add

    (tmp_path / "cms.csv").write_text(samples.INTERVAL_CSV)
    _import(django_capture_on_commit_callbacks, cms, tmp_path / "cms.csv")
    dashboard = tile.dashboard
    second = widget_add(dashboard, kind="kpi_tile", title="Answered", metrics=["answered"],
                        period="custom", granularity="day", custom_start=dt.date(2026, 3, 2),
                        custom_end=dt.date(2026, 3, 2))
    busy = widgets._cache_key(tile, Scope.everything(), widgets.resolve_period(
        "custom", NOW, "Europe/London", tile.custom_start, tile.custom_end), None, NOW,
        widgets.selectors.data_version())
    cache.add(f"{busy}:lock", 1, 5)  # another process holds the first widget
    order = []
    original = widgets._single_flight

    def recording(key, timeout, compute, wait=True):
        order.append((key == busy, wait))
        if key == busy and wait:
            cache.set(key, {"tile": None, "empty": "from elsewhere", "table": None,
                            "figure": None, "notes": []}, 60)
        return original(key, timeout, compute, wait)

    monkeypatch.setattr(widgets, "_single_flight", recording)
    results = widgets.dashboard_render(dashboard, Scope.everything(), NOW)
    assert order == [(True, False), (False, False), (True, True)]
    assert [r.widget.pk for r in results] == [tile.pk, second.pk]
    assert results[0].empty == "from elsewhere" and results[1].tile["value"] == 97
