"""A dashboard's comparison drawn on its charts: time series draw the comparable span as a
dashed, muted second line at the current period's positions (day 3 of the previous span over
day 3 of this one), each point keeping its own date for hover and drill; the target stays the
resolver's horizontal line. The clock is Friday 20 November 2026."""
import base64
import datetime as dt
import json

import numpy as np
import pytest
from django.utils import timezone

from contactmis.scope import Scope
from pathways.models import Queue
from stakeholders.figures import COMPARISON_COLOUR
from stakeholders.widgets import widget_result, with_period
from tests.reports.factories import interval_row

pytestmark = pytest.mark.django_db


def _values(values):
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


@pytest.fixture
def series(centre):
    from stakeholders.services import stakeholder_create, widget_add

    queue = Queue.objects.create(centre=centre, code="S", name="Sales")
    # This week (13–19 Nov) and the week before (6–12 Nov) and a year before (13 Nov 2025).
    for day, offered in ((dt.date(2026, 11, 13), 10), (dt.date(2026, 11, 16), 12),
                         (dt.date(2026, 11, 6), 4), (dt.date(2026, 11, 9), 6),
                         (dt.date(2025, 11, 13), 20)):
        interval_row(centre, queue, dt.datetime.combine(day, dt.time(9)), offered=offered,
                     answered=offered, abandoned=0, within={20: offered},
                     abandoned_within={})
    holder = stakeholder_create(name="Managers", kind="own_team")
    return widget_add(holder.dashboards.get(), kind="time_series", title="Offered",
                      metrics=["offered"], period="today", granularity="hour")


def _figure(result):
    return json.loads(result.figure) if isinstance(result.figure, str) else result.figure


def _traces(widget, compare=""):
    shown = with_period(widget, ("last_7_days", None, None), timezone.now(), compare=compare)
    result = widget_result(shown, Scope.everything(), timezone.now())
    return _figure(result)["data"], result


def test_previous_week_is_drawn_on_this_weeks_days(series):
    traces, result = _traces(series)
    actual = next(t for t in traces if t.get("meta") != "comparison")
    compared = next(t for t in traces if t.get("meta") == "comparison")
    this_week = dict(zip(actual["x"], _values(actual["y"]), strict=True))
    assert this_week["2026-11-13T00:00:00"] == 10 and this_week["2026-11-16T00:00:00"] == 12
    # 6 Nov (4) is drawn over 13 Nov, 9 Nov (6) over 16 Nov; each keeps its own date.
    previous = dict(zip(compared["x"], _values(compared["y"]), strict=True))
    assert previous["2026-11-13T00:00:00"] == 4 and previous["2026-11-16T00:00:00"] == 6
    own = dict(zip(compared["x"], compared["customdata"], strict=True))
    assert own["2026-11-13T00:00:00"] == ["2026-11-06T00:00:00", "Fri 06 Nov 2026"]
    assert compared["line"] == {"color": COMPARISON_COLOUR, "dash": "dash", "width": 1.5}
    assert compared["name"].startswith("vs ") and "Nov 2026" in compared["name"]
    assert any("Dashed grey line" in n for n in result.notes)


def test_same_week_last_year(series):
    traces, _ = _traces(series, compare="year")
    compared = next(t for t in traces if t.get("meta") == "comparison")
    previous = dict(zip(compared["x"], _values(compared["y"]), strict=True))
    assert previous["2026-11-13T00:00:00"] == 20
    assert "2025" in compared["name"]


def test_no_comparison_line_until_the_viewer_picks(series):
    result = widget_result(series, Scope.everything(), timezone.now())
    if result.figure:
        assert not any(t.get("meta") == "comparison" for t in _figure(result)["data"])
