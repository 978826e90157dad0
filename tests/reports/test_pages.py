"""Analysis pages: render with data, show clear empty states, name bad filter fields, and keep
viewers inside their scope."""
import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pathways.models import Queue
from reports.models import Forecast
from tests.reports.factories import interval_row, mailbox_measured_in_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(centre):
    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    start = dt.datetime(2026, 2, 2, 8, 0, tzinfo=centre.tz)
    for day in range(21):
        for slot in range(4):
            interval_row(centre, queue, start + dt.timedelta(days=day, minutes=15 * slot),
                         offered=10 + slot, answered=8 + slot, abandoned=2,
                         talk_s=1600, acw_s=300, wait_answered_s=90, staffed_s=2700)
    return queue


PERIOD = {"start": "2026-02-02", "end": "2026-02-23"}


@pytest.mark.parametrize("name", ["kpis", "patterns", "staffing", "queueing"])
def test_pages_show_charts_for_the_period(manager_client, data, name):
    # No plan target in this data: staffing is computed for a target chosen on the page.
    extra = {"target_sl": "0.8"} if name == "staffing" else {}
    response = manager_client.get(reverse(f"reports:{name}"), {**PERIOD, **extra})
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/plotly.min.js" in html
    if name != "queueing":  # queueing reads contact legs, none in this rollup-only data
        assert 'class="chart"' in html
        assert "No data for this period" not in html
        # Each chart's figure rides beside it as JSON (no attribute escaping every quote) and
        # the page's script draws it.
        figures = re.findall(r'<script type="application/json" class="chart-figure" '
                             r'data-for="(chart-[\w-]+)">(.*?)</script>', html, re.S)
        assert figures
        for chart_id, text in figures:
            assert f'id="{chart_id}"' in html
            assert json.loads(text)["data"]
        assert "js/analysis-charts.js" in html


def test_a_figure_cannot_close_the_script_element_that_carries_it():
    from reports.templatetags.report_format import figure_json

    text = json.dumps({"name": "</script><script>alert(1)</script> & <b>"})
    carried = figure_json(text)
    assert "<" not in carried and ">" not in carried and "&" not in carried
    assert json.loads(carried) == json.loads(text)


def test_kpi_page_lists_every_variant_and_names_its_definition(manager_client, data):
    html = manager_client.get(reverse("reports:kpis"), {**PERIOD, "granularity": "week",
                                                        "by": ["queue"]}).content.decode()
    assert "Service level (short abandons excluded)" in html
    assert "Service level (of answered)" in html
    assert ("Definitions: Service level, v1: answered within T / (offered − short abandons), "
            "T = 20 s") in html
    assert "Sales" in html


def test_empty_period_says_so(manager_client, data):
    html = manager_client.get(reverse("reports:kpis"),
                              {"start": "2025-01-01", "end": "2025-01-02"}).content.decode()
    assert "No data for this period" in html


def test_bad_filter_is_named_on_the_page(manager_client, data):
    html = manager_client.get(reverse("reports:kpis"),
                              {"start": "2026-02-10", "end": "2026-02-01"}).content.decode()
    assert "The end date must be after the start date." in html
    html = manager_client.get(reverse("reports:staffing"),
                              {**PERIOD, "target_sl": "1.5"}).content.decode()
    assert "Ensure this value is less than or equal to 0.999." in html


def test_viewer_without_scope_sees_no_data(viewer_client, data):
    html = viewer_client.get(reverse("reports:kpis"), PERIOD).content.decode()
    assert "No data for this period" in html
    assert viewer_client.get(reverse("reports:staffing"), PERIOD).status_code == 404


def test_forecast_issued_kept_and_measured(manager_client, data):
    response = manager_client.post(reverse("reports:forecasts"), {
        "history_start": "2026-02-02", "history_end": "2026-02-23", "horizon_days": 7,
        "method": "seasonal_naive"})
    assert response.status_code == 302
    forecast = Forecast.objects.get()
    assert forecast.horizon_start == dt.date(2026, 2, 23)
    assert len(forecast.values) == 7 * 96
    assert forecast.values[8 * 4]["offered"] == 10  # Monday 08:00 as the Monday before
    html = manager_client.get(response.url).content.decode()
    assert "No actual data for the forecast period yet." in html
    # The forecast downloads interval by interval, with what it is in a header sheet.
    assert "Excel workbook (all tables)" in html
    book = load_workbook(io.BytesIO(manager_client.get(
        response.url + "&export=xlsx").content))
    assert book.sheetnames == ["About", "Models compared", "Intervals"]
    assert book["About"]["A1"].value == "ContactMIS — Forecasts"
    assert book["Intervals"].max_row == 3 + 7 * 96  # title, blank row, header, 672 intervals


def test_forecast_with_too_little_history_is_refused_by_field(manager_client, data):
    html = manager_client.post(reverse("reports:forecasts"), {
        "history_start": "2026-02-16", "history_end": "2026-02-23", "horizon_days": 7,
        "method": "holt_winters"}).content.decode()
    assert "Give at least 14 days of history." in html
    assert not Forecast.objects.exists()


def test_home_panel_shows_the_last_seven_days(manager_client, centre, time_machine):
    time_machine.move_to(dt.datetime(2026, 2, 20, 12, 0, tzinfo=dt.UTC))
    queue = Queue.objects.create(centre=centre, code="Q1", name="Q1")
    interval_row(centre, queue, dt.datetime(2026, 2, 18, 9, 0, tzinfo=centre.tz), talk_s=1600,
                 wait_answered_s=80)
    html = manager_client.get("/").content.decode()
    assert "Last 7 days" in html
    assert "Voice: 10 offered; service level 66.7 % within 20 s" in html


def _calls_and_emails(centre):
    """Ten calls (the catalogue's 20 s) and ten e-mails whose measurement says 24 h, on
    18 February 2026."""
    calls = Queue.objects.create(centre=centre, code="Q1", name="Q1")
    mail = mailbox_measured_in_hours(centre)
    interval_row(centre, calls, dt.datetime(2026, 2, 18, 9, 0, tzinfo=centre.tz), talk_s=1600,
                 wait_answered_s=80)
    interval_row(centre, mail, dt.datetime(2026, 2, 18, 9, 0, tzinfo=centre.tz), offered=10,
                 answered=10, abandoned=0, within={86400: 10}, abandoned_within={},
                 wait_answered_s=10 * 5400, talk_s=3000)


def test_kpi_page_judges_each_contact_at_its_own_queue_threshold_and_says_so(
        manager_client, centre):
    _calls_and_emails(centre)
    url = "/analysis/kpis/?start=2026-02-16&end=2026-02-20&granularity=day"
    html = manager_client.get(url).content.decode()
    findings = html[html.index("Findings"):]
    first = findings[findings.index("<li"):findings.index("</li>")]
    assert ("where a row covers queues with different service-level thresholds (20 s, 24 h), "
            "its service level counts each contact against its own queue") in first
    assert "ASA and AHT are left out of rows that mix channels answered in seconds" in html
    html = manager_client.get(url + "&by=channel").content.decode()
    assert "where a row covers queues with different" not in html
    assert "ASA and AHT are left out" not in html


def test_kpi_page_opens_per_channel(manager_client, centre, time_machine):
    time_machine.move_to(dt.datetime(2026, 2, 19, 12, 0, tzinfo=dt.UTC))
    _calls_and_emails(centre)
    response = manager_client.get("/analysis/kpis/")
    rows = response.context["report"]["tables"]["kpis"]
    assert sorted((r["channel"], r["sl_basis"]) for r in rows) == [("email", "24 h"),
                                                                    ("voice", "20 s")]
    assert "where a row covers queues with different" not in response.content.decode()


def test_home_panel_takes_each_channel_at_its_configured_threshold(manager_client, centre,
                                                                    time_machine):
    time_machine.move_to(dt.datetime(2026, 2, 20, 12, 0, tzinfo=dt.UTC))
    _calls_and_emails(centre)
    html = manager_client.get("/").content.decode()
    assert "Voice: 10 offered; service level 66.7 % within 20 s" in html
    assert "E-mail: 10 offered; service level 100.0 % within 24 h; ASA 90 min; AHT 300 s." \
        in html


def test_staffing_with_erlang_a_estimates_patience_from_the_period(manager_client, data,
                                                                  centre):
    from measurements.models import Contact, DataSource, Segment

    source = DataSource.objects.create(centre=centre, name="ACD")
    at = dt.datetime(2026, 2, 2, 8, 5, tzinfo=centre.tz)
    for i, (wait, abandoned) in enumerate([(30, True), (60, False), (90, True), (20, False)]):
        contact = Contact.objects.create(centre=centre, source=source, external_id=str(i),
                                         queue=data, arrived_at=at, outcome="handled")
        Segment.objects.create(contact=contact, seq=1, kind="queue", queue=data, entered_at=at,
                               wait_s=wait, outcome="abandoned" if abandoned else "answered")
    html = manager_client.get(reverse("reports:staffing"), {
        "start": "2026-02-02", "end": "2026-02-03", "patience": "estimate",
        "target_sl": "0.8"}).content.decode()
    # Patience = Σ wait / abandons = 200 / 2 = 100 s.
    assert "Erlang A (patience 100 s estimated from the period" in html


@pytest.mark.parametrize("by", ["team", "agent", "site", "channel", "customer_segment"])
def test_kpi_page_by_every_kind_of_dimension(manager_client, data, centre, by):
    from measurements.models import AgentIntervalStat
    from pathways.models import Agent

    agent = Agent.objects.create(centre=centre, code="A1", name="Ann", team="Red")
    AgentIntervalStat.objects.create(
        centre=centre, interval_start=dt.datetime(2026, 2, 2, 8, 0, tzinfo=dt.UTC),
        local_date=dt.date(2026, 2, 2), local_minute=480, weekday=0, agent=agent,
        queue=data, handled=5, talk_s=1000, busy_s=600, available_s=300)
    response = manager_client.get(reverse("reports:kpis"), {**PERIOD, "by": by,
                                                            "granularity": "week"})
    assert response.status_code == 200
    assert "KPIs by period and segment" in response.content.decode()


@pytest.mark.parametrize("granularity", ["15min", "30min", "hour", "month", "quarter", "year"])
def test_kpi_page_at_every_granularity(manager_client, data, granularity):
    response = manager_client.get(reverse("reports:kpis"), {**PERIOD,
                                                            "granularity": granularity})
    assert response.status_code == 200
    assert "No data for this period" not in response.content.decode()


def test_kpi_page_splits_the_figure_where_the_definition_changes(manager_client, data):
    """A new service-level version from 4 February (T = 5 s): the days before are counted at
    20 s, the days after at 5 s, and the page names both versions and where they change."""
    from measurements.selectors import metric_definition_in_force
    from measurements.services.design import metric_definition_new_version

    current = metric_definition_in_force("service_level", dt.date(2026, 2, 2))
    metric_definition_new_version(current, effective_from=dt.date(2026, 2, 4),
                                  parameters={**current.parameters, "threshold_s": 5})
    response = manager_client.get(reverse("reports:kpis"), {**PERIOD, "granularity": "day",
                                                            "by": ["queue"]})
    body = response.content.decode()
    assert ("the service-level definition changed during the period (2 Feb 2026–3 Feb 2026: "
            "Service level, v1; 4 Feb 2026–") in body
    assert "Service level, v2 since 4 Feb 2026" in body
    rows = response.context["report"]["tables"]["kpis"]
    bases = {r["period_start"][:10]: r["sl_basis"] for r in rows if r["offered"]}
    assert bases["2026-02-02"] == "20 s" and bases["2026-02-04"] == "5 s"


def test_fine_granularity_over_a_long_period_is_refused_by_field(manager_client, data):
    """15-minute periods over 13 months were a 15.7 MB page: the form names the field."""
    response = manager_client.get(reverse("reports:kpis"), {
        "start": "2025-11-01", "end": "2026-12-01", "granularity": "15min"})
    html = response.content.decode()
    assert response.status_code == 200 and len(response.content) < 200_000
    assert ("Periods of 15 minutes are shown for up to 31 days at a time (this period has "
            "395 days)") in html
    assert 'class="chart"' not in html
    ok = manager_client.get(reverse("reports:kpis"), {**PERIOD, "granularity": "15min"})
    assert 'class="chart"' in ok.content.decode()


def test_daily_rows_read_as_dates_and_interval_rows_keep_their_time(manager_client, data):
    daily = manager_client.get(reverse("reports:kpis"), PERIOD).context["report"]
    assert daily["tables"]["kpis"][0]["period_start"] == "2026-02-02"
    html = manager_client.get(reverse("reports:kpis"), PERIOD).content.decode()
    assert "<td>2026-02-02</td>" in html and "2026-02-02 00:00" not in html
    hourly = manager_client.get(reverse("reports:kpis"), {**PERIOD, "granularity": "hour"})
    assert hourly.context["report"]["tables"]["kpis"][0]["period_start"].startswith(
        "2026-02-02T08:00")


def test_home_tiles_show_each_channel_against_its_target_with_a_sparkline(
        manager_client, centre, time_machine):
    from tests.stakeholders.factories import business_plan

    time_machine.move_to(dt.datetime(2026, 2, 20, 12, 0, tzinfo=dt.UTC))
    _calls_and_emails(centre)
    calls = Queue.objects.get(code="Q1")
    interval_row(centre, calls, dt.datetime(2026, 2, 10, 9, 0, tzinfo=centre.tz))
    business_plan(centre, dt.date(2026, 2, 20), [("service_level", 80, None)])
    panel = next(p for p in manager_client.get("/").context["panels"] if p.get("tiles"))
    tiles = {t["label"]: t for t in panel["tiles"]}
    voice, mail = tiles["Voice"], tiles["E-mail"]
    # 18 Feb only in the last 7 days: 6 of 9 within 20 s (one short abandon left out).
    assert (voice["value"], voice["basis"], voice["target"]) == ("66.7 %", "20 s", "80.0 %")
    assert (voice["gap"], voice["rag"]) == ("13.3 pts below target", "warn")
    assert (mail["value"], mail["basis"], mail["gap"], mail["rag"]) == (
        "100.0 %", "24 h", "20.0 pts above target", "ok")
    # Two days with data in four weeks: two separate dots, the days between are not zeros.
    assert voice["days_with_data"] == 2 and voice["spark"].count("M") == 2
    assert "L" not in voice["spark"] and voice["spark"].count("h0.1") == 2  # dots
    html = manager_client.get("/").content.decode()
    assert 'class="sparkline"' in html and "13.3 pts below target" in html


def test_kpi_page_compares_a_running_month_with_the_same_elapsed_days(manager_client, centre,
                                                                      time_machine):
    """On 20 Feb the month of February is compared as 1–20 Feb with 1–20 Jan, not with all
    of January (a whole month against twenty days would read as a fall in volume)."""
    time_machine.move_to(dt.datetime(2026, 2, 20, 12, 0, tzinfo=dt.UTC))
    queue = Queue.objects.create(centre=centre, code="Q1", name="Q1")
    for day in (5, 25):  # 25 Jan is after the elapsed span: left out of the comparison
        interval_row(centre, queue, dt.datetime(2026, 1, day, 9, 0, tzinfo=centre.tz),
                     offered=10, answered=10, abandoned=0, within={20: 10},
                     abandoned_within={})
    interval_row(centre, queue, dt.datetime(2026, 2, 5, 9, 0, tzinfo=centre.tz), offered=10,
                 answered=10, abandoned=0, within={20: 5}, abandoned_within={})
    report = manager_client.get(reverse("reports:kpis"), {
        "start": "2026-02-01", "end": "2026-03-01", "by": "channel"}).context["report"]
    changes = [f for f in report["findings"] if "compared with" in f["text"]]
    texts = " ".join(f["text"] for f in report["findings"])
    assert "compared with" in texts and "the same elapsed days" in texts
    # Service level 50 % against 100 % is reported; 10 contacts against 10 (not 20) is no
    # change in volume.
    assert any("ervice level" in f["text"] for f in changes)
    assert not any("Offered" in f["text"] or "offered" in f["text"] for f in changes)


def test_staffing_chart_over_a_long_period_shows_each_days_busiest_interval(
        manager_client, data, monkeypatch):
    import base64
    import json

    import numpy as np

    from reports import analyses

    monkeypatch.setattr(analyses, "STAFFING_CHART_INTERVAL_DAYS", 7)
    response = manager_client.get(reverse("reports:staffing"), {**PERIOD, "target_sl": "0.8"})
    report = response.context["report"]
    required = json.loads(report["charts"][0]["figure"])["data"][0]
    y = required["y"]
    y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]) if "bdata" in y else y
    # 21 days of four intervals each: one point a day, at its busiest interval (the last,
    # 13 offered), the same requirement every day; the table keeps all 84 intervals.
    x = required["x"]
    x = np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]) if "bdata" in x else x
    assert len(x) == len(y) == 21
    busiest = max(r["required_agents"] for r in report["tables"]["intervals"])
    assert list(y) == [busiest] * 21
    assert len(report["tables"]["intervals"]) == 84
    assert "busiest interval (the table and downloads hold every interval)" in \
        response.content.decode()


@pytest.mark.parametrize("by", ["customer_segment", "contact_type"])
def test_kpi_page_names_contacts_without_a_segment_unassigned_not_no_data(manager_client,
                                                                           centre, by):
    """Contacts the source gave no customer segment or contact type are a segment of their
    own, counted: the row reads "unassigned", never "no data" (a gap in the data)."""
    from contactmis.scope import Scope
    from reports.selectors import kpi_frame, period_kpi_frame

    queue = Queue.objects.create(centre=centre, code="SALES", name="Sales")
    start = dt.datetime(2026, 2, 2, 9, 0, tzinfo=centre.tz)
    interval_row(centre, queue, start, offered=12, answered=10, abandoned=2, **{by: "Gold"})
    interval_row(centre, queue, start, offered=7, answered=7, abandoned=0, **{by: ""})
    end = dt.date(2026, 2, 3)
    whole = period_kpi_frame(Scope.everything(), centre, dt.date(2026, 2, 2), end, [by])
    assert dict(zip(whole[by], whole["offered"], strict=True)) == {"Gold": 12,
                                                                   "unassigned": 7}
    daily = kpi_frame(Scope.everything(), centre, dt.date(2026, 2, 2), end, "day", [by])
    assert sorted(daily[by]) == ["Gold", "unassigned"]
    html = manager_client.get(reverse("reports:kpis"), {
        "start": "2026-02-02", "end": "2026-02-03", "by": by}).content.decode()
    table = html[html.index("KPIs by period and segment"):]
    assert "<td>2026-02-02</td><td>unassigned</td>" in table
    assert "<td>2026-02-02</td><td>no data</td>" not in table
