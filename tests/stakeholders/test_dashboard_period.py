"""A viewer picks the period of a whole dashboard (kept in the URL): every widget shows it,
charts coarsen to fit, forecasts and staffing keep their own, drill-downs follow it, the scope
holds, and bad dates are named on the page. The clock is Friday 20 November 2026."""
import re

import pytest

from .conftest import SECRET

pytestmark = pytest.mark.django_db


def _periods(html):
    return re.findall(r'<span class="period"[^>]*>([^<]+)</span>', html)


def test_each_widget_keeps_its_own_period_until_one_is_picked(two_vendors, viewer_client):
    url = f"/present/dashboards/{two_vendors['dashboard_a'].pk}/"
    own = viewer_client.get(url).content.decode()
    assert any(p.startswith("Today") for p in _periods(own))
    picked = viewer_client.get(url, {"period": "last_7_days"})
    html = picked.content.decode()
    labels = set(_periods(html))
    assert labels == {"Last 7 days (13 Nov – 19 Nov 2026)"}
    assert "Every widget shows the period and comparison picked here" in html
    assert picked.context["period_query"] == "period=last_7_days"
    # Drill-downs follow the picked period.
    assert "drill/?period=last_7_days" in html
    assert SECRET not in html
    # The figures are the week's, not today's.
    assert own != html


def test_a_custom_period_and_bad_dates(two_vendors, viewer_client):
    url = f"/present/dashboards/{two_vendors['dashboard_a'].pk}/"
    html = viewer_client.get(url, {"period": "custom", "start": "2026-11-02",
                                   "end": "2026-11-06"}).content.decode()
    assert set(_periods(html)) == {"02 Nov 2026 – 06 Nov 2026"}
    assert "period=custom&amp;start=2026-11-02&amp;end=2026-11-06" in html
    for bad, words in (({"start": "2026-11-06", "end": "2026-11-02"}, "is before the first day"),
                       ({"start": "2026-11-06"}, "Custom dates need a last day"),
                       ({"start": "9999-12-31", "end": "9999-12-31"}, "outside 1990–2100")):
        response = viewer_client.get(url, {"period": "custom", **bad})
        assert response.status_code == 200
        text = response.content.decode()
        assert "The period was not changed" in text and words in text, bad
        assert any(p.startswith("Today") for p in _periods(text))  # own periods still shown
    text = viewer_client.get(url, {"period": "fortnight"}).content.decode()
    assert "Select a valid choice" in text


def test_charts_coarsen_to_the_picked_span_and_the_drill_follows(two_vendors, viewer_client):
    from django.utils import timezone

    from stakeholders.widgets import with_period

    widget = two_vendors["dashboard_a"].widgets.get(breakdown="queue", kind="time_series")
    assert widget.granularity == "hour"
    now = timezone.now()
    assert with_period(widget, ("last_7_days", None, None), now).granularity == "day"
    assert with_period(widget, ("yesterday", None, None), now).granularity == "hour"
    assert with_period(widget, ("rolling_13_months", None, None), now).granularity == "day"
    widget.refresh_from_db()
    assert (widget.period, widget.granularity) == ("today", "hour")  # never saved
    drill = viewer_client.get(f"/present/widgets/{widget.pk}/drill/",
                              {"period": "last_7_days"})
    assert drill.status_code == 200
    assert drill.context["result"].period.key == "last_7_days"
    assert drill.context["rows_grain"] == "day"
    assert viewer_client.get(f"/present/widgets/{widget.pk}/drill/",
                             {"period": "custom", "start": "x"}).status_code == 404


def test_forecast_and_staffing_widgets_keep_their_own_period(two_vendors):
    from django.utils import timezone

    from stakeholders.services import widget_add
    from stakeholders.widgets import with_period

    staffing = widget_add(two_vendors["dashboard_a"], kind="staffing", title="Staff",
                          metrics=["offered"], period="today", granularity="15min")
    assert with_period(staffing, ("last_7_days", None, None), timezone.now()) is staffing


def test_tiles_compare_with_the_previous_period_or_the_same_period_last_year(
        two_vendors, viewer_client):
    url = f"/present/dashboards/{two_vendors['dashboard_a'].pk}/"
    before = viewer_client.get(url, {"period": "last_7_days"}).content.decode()
    year = viewer_client.get(url, {"period": "last_7_days", "compare": "year"})
    html = year.content.decode()
    assert year.context["period_query"] == "period=last_7_days&compare=year"
    spans = set(re.findall(r'<div class="tile-compare muted small">vs ([^:]+):', html))
    assert spans and all("2025" in s for s in spans)  # 13–19 Nov 2025
    assert all("2026" in s for s in re.findall(
        r'<div class="tile-compare muted small">vs ([^:]+):', before))
    # Last year has no data in this fixture: said so, never a zero.
    assert "no data</div>" in html
    assert "compare=year" in html  # drill-downs carry the comparison too
    assert viewer_client.get(url, {"compare": "decade"}).status_code == 200
    assert "The period was not changed" in viewer_client.get(
        url, {"compare": "decade"}).content.decode()


@pytest.mark.parametrize(("title", "own", "picked", "shown"), [
    ("Handled, week to date", "week_to_date", "rolling_13_months", "Handled"),
    ("Calls: plan versus actual, month to date", "month_to_date", "year_to_date",
     "Calls: plan versus actual"),
    ("Service level, last 7 days", "last_7_days", "last_7_days", "Service level, last 7 days"),
    ("Service level, last 7 days", "last_7_days", "yesterday", "Service level"),
    ("Contacts handled by month", "rolling_13_months", "month_to_date",
     "Contacts handled by month"),
    ("Queue (month to date)", "month_to_date", "today", "Queue"),
])
def test_a_title_that_names_its_own_period_drops_it_for_a_picked_one(title, own, picked, shown):
    """A viewer who picks 13 months is not told "Handled, week to date": the card's period
    label says the span; the title no longer contradicts it."""
    import datetime as dt
    import zoneinfo

    from stakeholders.models import Widget
    from stakeholders.widgets import with_period

    widget = Widget(title=title, kind="kpi_tile", metrics=["handled"], period=own,
                    granularity="day")
    now = dt.datetime(2026, 11, 20, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    assert with_period(widget, (picked, None, None), now, "Europe/London").title == shown
    assert widget.title == title  # the stored widget is untouched
