"""A widget may be limited to some channels (the executive's call figures): it then shows those
channels within its viewer's scope, and never more than the viewer may see."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contactmis.scope import Scope
from stakeholders import widgets
from tests.reports.factories import interval_row

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 3, 10, 30, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def tile(centre):
    from pathways.models import Queue
    from stakeholders.models import Dashboard
    from stakeholders.services import stakeholder_create, widget_add

    calls = Queue.objects.create(centre=centre, code="CALLS", name="Calls")
    mail = Queue.objects.create(centre=centre, code="MAIL", name="Mailbox", kind="cms",
                                channel="email")
    day = dt.datetime(2026, 3, 2, 9, 0, tzinfo=centre.tz)
    interval_row(centre, calls, day, offered=10, answered=8, abandoned=2)
    interval_row(centre, mail, day, offered=30, answered=30, abandoned=0, within={},
                 abandoned_within={})
    board = stakeholder_create(name="Board", kind="executive", sees_whole_centre=True,
                               with_dashboard=False)
    dashboard = Dashboard.objects.create(stakeholder=board, name="Check")
    return widget_add(dashboard, kind="kpi_tile", title="Calls offered on 2 March",
                      metrics=["offered"], period="custom", granularity="day",
                      custom_start=dt.date(2026, 3, 2), custom_end=dt.date(2026, 3, 2),
                      options={"channels": ["voice"]})


def test_a_widget_limited_to_calls_counts_calls_only(tile):
    assert widgets.widget_result(tile, Scope.everything(), NOW).tile["value"] == 10
    tile.options = {}
    assert widgets.widget_result(tile, Scope.everything(), NOW).tile["value"] == 40


def test_the_widget_never_sees_more_than_its_viewer(tile):
    assert widgets.widget_scope(tile, Scope(channels=frozenset({"email"}))).channels == \
        frozenset()
    assert widgets.widget_scope(tile, Scope(channels=frozenset({"voice", "chat"}))).channels \
        == frozenset({"voice"})
    result = widgets.widget_result(tile, Scope(channels=frozenset({"email"})), NOW)
    assert not (result.tile or {}).get("value")


def test_the_widget_form_keeps_the_channels(tile):
    from stakeholders.forms import WidgetForm

    form = WidgetForm(instance=tile)
    assert form.initial["channels"] == ["voice"]
    data = {"title": tile.title, "kind": "kpi_tile", "metrics": ["offered"],
            "period": "custom", "custom_start": "2026-03-02", "custom_end": "2026-03-02",
            "granularity": "day", "sl_threshold_s": 20, "short_abandon_s": 5,
            "sl_variant": "excl_short_abandons", "channels": ["voice", "chat"]}
    form = WidgetForm(data, instance=tile)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["options"]["channels"] == ["chat", "voice"]
