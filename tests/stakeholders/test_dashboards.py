"""Dashboards: the manager's preview equals the stakeholder's view, the editor's operations,
exports with formula injection neutralised, drill-down and the wallboard."""
import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine

from reports.exports import neutralise
from stakeholders.widgets import widget_cache_clear

pytestmark = pytest.mark.django_db


def _widgets_html(response):
    body = response.content.decode()
    start = body.index('<div class="dash-grid"')
    end = body.index("</main>")
    # The data version a live dashboard compares against moves with every cache clear.
    return re.sub(r' data-version="[^"]*"', "", body[start:end])


def test_the_managers_preview_equals_what_the_stakeholder_sees(two_vendors, client, viewer,
                                                               manager):
    dashboard = two_vendors["dashboard_a"]
    with time_machine.travel(two_vendors["now"], tick=False):
        client.force_login(viewer)
        seen = client.get(f"/present/dashboards/{dashboard.pk}/")
        widget_cache_clear()  # computed afresh for the manager, not from the viewer's cache
        client.force_login(manager)
        preview = client.get(f"/present/dashboards/{dashboard.pk}/")
    assert seen.status_code == preview.status_code == 200
    assert "Preview — exactly what" in preview.content.decode()
    assert "Preview — exactly what" not in seen.content.decode()
    assert _widgets_html(seen) == _widgets_html(preview)
    assert "Vendor A sales" in _widgets_html(preview)
    assert "ZZSECRETB" not in _widgets_html(preview)


def test_widget_services_add_move_remove_and_reorder(two_vendors):
    from stakeholders.services import dashboard_reorder, widget_add, widget_move, widget_remove

    dashboard = two_vendors["dashboard_a"]
    first = list(dashboard.widgets.values_list("pk", flat=True))
    added = widget_add(dashboard, kind="heatmap", title="Heat", metrics=["offered"],
                       period="last_7_days", granularity="hour")
    assert added.position == len(first)
    widget_move(added, -1)
    order = list(dashboard.widgets.values_list("pk", flat=True))
    assert order[-2] == added.pk
    widget_move(dashboard.widgets.first(), -1)  # already first: stays
    assert list(dashboard.widgets.values_list("pk", flat=True)) == order
    dashboard_reorder(dashboard, list(reversed(order)))
    assert list(dashboard.widgets.values_list("pk", flat=True)) == list(reversed(order))
    widget_remove(added)
    assert list(dashboard.widgets.values_list("position", flat=True)) == list(range(len(first)))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="every widget"):
        dashboard_reorder(dashboard, order[:2])


def test_editor_pages_add_configure_and_remove(two_vendors, manager_client):
    dashboard = two_vendors["dashboard_a"]
    count = dashboard.widgets.count()
    response = manager_client.post(f"/present/dashboards/{dashboard.pk}/widgets/new/", {
        "title": "SL by hour", "kind": "time_series", "metrics": ["service_level"],
        "period": "yesterday", "granularity": "hour", "target": "85", "sl_threshold_s": "30",
        "short_abandon_s": "5", "sl_variant": "of_offered"})
    assert response.status_code == 302, response.context["form"].errors
    widget = dashboard.widgets.get(title="SL by hour")
    assert widget.options["target"] == pytest.approx(0.85)
    assert widget.options["sl_threshold_s"] == 30 and widget.options["sl_variant"] == "of_offered"
    assert dashboard.widgets.count() == count + 1
    page = manager_client.get(f"/present/dashboards/{dashboard.pk}/").content.decode()
    assert ("answered within T / offered (variant chosen here), T = 30 s chosen here (not the "
            "configured thresholds)") in page
    bad = manager_client.post(f"/present/widgets/{widget.pk}/edit/", {
        "title": "SL by hour", "kind": "time_series", "metrics": ["service_level"],
        "period": "custom", "custom_start": "2026-03-10", "custom_end": "2026-03-01",
        "granularity": "hour", "target": "150", "sl_threshold_s": "20",
        "short_abandon_s": "30", "sl_variant": "of_offered"})
    assert bad.status_code == 400
    errors = bad.context["form"].errors
    assert "The last day is before the first day." in errors["custom_end"]
    assert "Give a percentage between 0 and 100." in errors["target"]
    assert "cannot exceed T" in errors["short_abandon_s"][0]
    assert manager_client.post(f"/present/widgets/{widget.pk}/delete/").status_code == 302
    assert dashboard.widgets.count() == count


def test_viewer_cannot_open_the_editor_even_of_its_own_dashboard(two_vendors, viewer_client):
    dashboard = two_vendors["dashboard_a"]
    assert viewer_client.get(f"/present/dashboards/{dashboard.pk}/edit/").status_code == 404
    widget = dashboard.widgets.first()
    assert viewer_client.post(f"/present/widgets/{widget.pk}/delete/").status_code == 404
    assert dashboard.widgets.filter(pk=widget.pk).exists()


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("Sales", "Sales"),
    (-5, -5), (1.5, 1.5),
])
def test_formula_injection_is_neutralised(value, expected):
    assert neutralise(value) == expected


@pytest.fixture
def hostile_queue(two_vendors):
    queue = two_vendors["queue_a"]
    queue.name = "=cmd|' /C calc'!A0"
    queue.save()
    return queue


def test_csv_export_is_neutralised_and_holds_the_widget_data(two_vendors, hostile_queue,
                                                             viewer_client):
    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    response = viewer_client.get(f"/present/widgets/{widget.pk}/export.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0].startswith("Offered by queue")
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Period")
    assert rows[header][:4] == ["Period", "Queue code", "Queue", "Offered"]
    data = rows[header + 1:]
    assert data and all(r[rows[header].index("Queue")] == "'=cmd|' /C calc'!A0"
                        for r in data)
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)


def test_xlsx_export_is_neutralised(two_vendors, hostile_queue, viewer_client):
    from openpyxl import load_workbook

    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    response = viewer_client.get(f"/present/widgets/{widget.pk}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "'=cmd|' /C calc'!A0" in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert any(isinstance(v, int) and v > 0 for v in values)


def test_unknown_export_format_is_404(two_vendors, viewer_client):
    widget = two_vendors["dashboard_a"].widgets.first()
    assert viewer_client.get(f"/present/widgets/{widget.pk}/export.pdf").status_code == 404


def test_drill_down_to_one_interval_lists_its_rows_and_contacts(two_vendors, viewer_client):
    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    day = two_vendors["now"].date().isoformat()
    response = viewer_client.get(f"/present/widgets/{widget.pk}/drill/",
                                 {"at": f"{day}T09:00:00", "key": two_vendors["queue_a"].pk})
    assert response.status_code == 200
    intervals = list(response.context["intervals"])
    assert len(intervals) == 4  # an hourly point: four 15-minute intervals
    assert {i.queue_id for i in intervals} == {two_vendors["queue_a"].pk}
    assert len(list(response.context["contacts"])) == 5
    assert viewer_client.get(f"/present/widgets/{widget.pk}/drill/",
                             {"at": "not-a-time"}).status_code == 404


def test_dashboard_filtered_to_one_queue(two_vendors, viewer_client):
    dashboard = two_vendors["dashboard_a"]
    response = viewer_client.get(f"/present/dashboards/{dashboard.pk}/",
                                 {"queue": two_vendors["queue_a"].pk})
    assert response.status_code == 200
    assert re.search(r'<option value="\d+" selected>Vendor A sales', response.content.decode())


def test_wallboard_shows_today_in_large_type_and_refreshes(two_vendors, viewer_client):
    response = viewer_client.get("/present/wallboard/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'http-equiv="refresh"' in body
    assert "Vendor A sales" in body and "ZZSECRETB" not in body
    assert len(response.context["tiles"]) == 5


def test_dashboard_api_data_names_period_and_definitions(two_vendors, api_client, viewer):
    api_client.force_authenticate(viewer)
    data = api_client.get(f"/api/v1/dashboards/{two_vendors['dashboard_a'].pk}/data/").json()
    assert data["scope"] == "Vendor A"
    tile = data["widgets"][0]
    assert tile["period"]["key"] == "last_7_days"
    assert any("Service level" in d for d in tile["definitions"])
    assert tile["tile"]["rag"] in ("green", "amber", "red")


@pytest.mark.parametrize("kind,metrics,extra", [
    ("kpi_tile", ["service_level"], {"options": {"target": 0.8}}),
    ("time_series", ["asa_s"], {"breakdown": "channel"}),
    ("heatmap", ["abandon_rate"], {}),
    ("sankey", ["offered"], {}),
    ("staffing", ["offered"], {"granularity": "15min", "period": "custom"}),
    ("control_chart", ["abandon_rate"], {}),
    ("forecast", ["offered"], {"period": "last_7_days"}),
    ("table", ["offered", "occupancy"], {"breakdown": "agent"}),
])
def test_every_widget_kind_computes_within_the_scope(two_vendors, kind, metrics, extra):
    from django.utils import timezone

    from stakeholders.models import Widget
    from stakeholders.scope import stakeholder_scope
    from stakeholders.widgets import widget_result

    fields = {"period": "last_7_days", "granularity": "day", **extra}
    if fields["period"] == "custom":  # the latest day with data (the test data skips Sundays)
        day = two_vendors["now"].date() - timedelta(days=1)
        day -= timedelta(days=1) if day.weekday() == 6 else timedelta(0)
        fields.update(custom_start=day, custom_end=day)
    widget = Widget(dashboard=two_vendors["dashboard_a"], kind=kind, title=kind,
                    metrics=metrics, **fields)
    result = widget_result(widget, stakeholder_scope(two_vendors["a"]), timezone.now())
    assert result.empty is None
    assert len(result.table) > 0
    assert result.figure is not None or kind == "table"
    assert "ZZSECRETB" not in result.table.to_csv()
    assert result.definitions
