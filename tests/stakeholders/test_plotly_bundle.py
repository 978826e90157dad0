"""Dashboards load a partial Plotly bundle (static/vendor/plotly-dashboards.min.js, built by
tools/plotly_bundle/build.sh): it must be the plotly.js version the installed plotly package
writes figures for, and hold every trace type a widget draws."""
import re

import pytest
from django.contrib.staticfiles import finders

from contactmis.staticfinders import PLOTLY_JS

pytestmark = pytest.mark.django_db


def _bundle():
    path = finders.find("vendor/plotly-dashboards.min.js")
    assert path, "static/vendor/plotly-dashboards.min.js is missing (tools/plotly_bundle)"
    return open(path, encoding="utf-8").read()  # noqa: SIM115


def test_the_bundle_is_the_plotly_js_of_the_installed_plotly():
    full = PLOTLY_JS.read_text(encoding="utf-8")
    expected = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", full[:200]).group(1)
    assert f'.version="{expected}"' in _bundle()


def test_every_trace_a_widget_draws_is_in_the_bundle(two_vendors, manager):
    from contactmis.scope import Scope
    from stakeholders.constants import WidgetKind
    from stakeholders.services import widget_add
    from stakeholders.widgets import widget_result

    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"', _bundle()))
    dashboard = two_vendors["dashboard_a"]
    specs = {
        WidgetKind.KPI_TILE: dict(metrics=["offered"], period="last_7_days", granularity="day"),
        WidgetKind.TIME_SERIES: dict(metrics=["offered"], period="last_7_days",
                                     granularity="day", breakdown="queue"),
        WidgetKind.HEATMAP: dict(metrics=["offered"], period="last_7_days", granularity="hour"),
        WidgetKind.SANKEY: dict(metrics=["offered"], period="last_7_days", granularity="day"),
        WidgetKind.STAFFING: dict(metrics=["offered"], period="today", granularity="15min"),
        WidgetKind.CONTROL_CHART: dict(metrics=["service_level"], period="last_7_days",
                                       granularity="day"),
        WidgetKind.FORECAST: dict(metrics=["offered"], period="last_7_days", granularity="day"),
    }
    drawn = {}
    for kind, spec in specs.items():
        widget = widget_add(dashboard, kind=kind, title=kind, **spec)
        result = widget_result(widget, Scope.everything(), two_vendors["now"])
        if result.figure:
            drawn[kind] = {trace.get("type", "scatter") for trace in result.figure["data"]}
    assert {"kpi_tile", "time_series", "heatmap", "staffing"} <= set(drawn)
    used = set().union(*drawn.values())
    assert used - registered == set(), drawn
    assert {"bar", "heatmap", "sankey", "scatter", "table"} <= registered
