"""Dashboards judge each figure as the resolver (``reports.semantics``) says: each queue at its
configured service-level threshold and against the business plan's target in force; a widget's
own target or threshold is an explicit override and says so. The clock is the suite's FIXED_NOW
(Friday 20 November 2026, 12:00 UTC): "last 7 days" is 13–19 November, "today" 20 November."""
import base64
import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from stakeholders.scope import stakeholder_scope
from stakeholders.widgets import widget_result
from tests.reports.factories import interval_row

from .factories import business_plan

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")  # the test centre's zone
WEDNESDAY = dt.datetime(2026, 11, 18, 9, 0, tzinfo=LONDON)
TODAY = dt.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)


def _configured(centre, queue, threshold_s):
    """A pathway step for ``queue`` whose service-level measurement says ``threshold_s``."""
    from measurements.models import MeasurementConfig, MetricDefinition
    from pathways.models import Pathway, Step

    pathway = Pathway.objects.create(centre=centre, name=f"{queue.name} pathway",
                                     channel=queue.channel)
    step = Step.objects.create(pathway=pathway, name=queue.name, kind="queue", queue=queue,
                               position=0, is_entry=True)
    MeasurementConfig.objects.create(
        metric=MetricDefinition.objects.filter(code="service_level").order_by("version").first(),
        step=step, parameters={"threshold_s": threshold_s})


def _vendor_call_rows(centre, queue, day):
    """20 calls: 14 answered within 20 s, 17 within 60 s, 19 in all; one abandon after 60 s
    (not a short abandon). SL at 20 s = 14/20 = 70 %, at 60 s = 17/20 = 85 %."""
    interval_row(centre, queue, day, offered=20, answered=19, abandoned=1,
                 within={5: 5, 20: 14, 30: 15, 60: 17}, abandoned_within={5: 0, 60: 0},
                 wait_answered_s=19 * 25, talk_s=19 * 200)


@pytest.fixture
def centre_with_plan(centre):
    """The sales vendor's queue (configured at 60 s, plan target 80 %), an e-mail queue (24 h,
    plan target 90 %) and a web-form queue (48 h, no target), with data on Wednesday 18 and
    Friday 20 November; the vendor as a stakeholder with its default dashboard."""
    from pathways.models import Queue
    from stakeholders.services import stakeholder_create

    vendor = Queue.objects.create(centre=centre, code="SALES-V", name="Sales – Vendor",
                                  site="Vendor site")
    mail = Queue.objects.create(centre=centre, code="MAIL", name="E-mail", kind="cms",
                                channel="email")
    web = Queue.objects.create(centre=centre, code="WEB", name="Web forms", kind="cms",
                               channel="web_form")
    _configured(centre, vendor, 60)
    _configured(centre, mail, 86400)
    _configured(centre, web, 172800)
    for day in (WEDNESDAY, TODAY):
        _vendor_call_rows(centre, vendor, day)
        # E-mails: 2 of 10 answered within 10 min, 9 within 24 h (90 %).
        interval_row(centre, mail, day, offered=10, answered=10, abandoned=0,
                     within={600: 2, 86400: 9}, abandoned_within={}, wait_answered_s=10 * 7200)
        # Web forms: 6 of 10 within 24 h, all 10 within 48 h (100 %).
        interval_row(centre, web, day, offered=10, answered=10, abandoned=0,
                     within={86400: 6, 172800: 10}, abandoned_within={},
                     wait_answered_s=10 * 90000)
    plan = business_plan(centre, TODAY.date(), [("service_level", 80, vendor),
                                                 ("service_level", 90, mail)])
    stakeholder = stakeholder_create(name="Sales vendor", kind="vendor", queues=[vendor])
    return {"vendor": vendor, "mail": mail, "web": web, "plan": plan,
            "stakeholder": stakeholder, "dashboard": stakeholder.dashboards.get()}


def _widget(dashboard, title):
    return dashboard.widgets.get(title=title)


def _kpis_cli(*args):
    out = StringIO()
    call_command("kpis", *args, stdout=out)
    return json.loads(out.getvalue())


def test_vendor_dashboard_judges_its_queue_at_its_configured_60_s_against_the_plan(
        centre_with_plan, client, viewer):
    from stakeholders.models import StakeholderMember

    vendor, dashboard = centre_with_plan["vendor"], centre_with_plan["dashboard"]
    tile = widget_result(_widget(dashboard, "Service level, last 7 days"),
                         stakeholder_scope(centre_with_plan["stakeholder"]), timezone.now())
    # What the CLI says for the vendor queue over the same days (13–19 November).
    rows = _kpis_cli("--start", "2026-11-13", "--end", "2026-11-20", "--granularity", "month",
                     "--by", "queue")
    row = next(r for r in rows if r["queue"] == vendor.name)
    assert row["sl_threshold_s"] == 60 and row["targets"]["service_level"] == 0.8
    assert row["service_level"] == pytest.approx(17 / 20)
    at_20 = _kpis_cli("--start", "2026-11-13", "--end", "2026-11-20", "--granularity",
                      "month", "--by", "queue", "--sl-threshold", "20")
    assert next(r for r in at_20 if r["queue"] == vendor.name)["service_level"] == \
        pytest.approx(14 / 20)  # 70 %: below the 80 % target at 20 s, above it at 60 s

    assert tile.tile["value"] == pytest.approx(row["service_level"])
    assert tile.tile["value_text"] == "85.0 %"
    assert tile.tile["target"] == pytest.approx(0.8)
    assert tile.tile["rag"] == "green"
    assert tile.tile["sl_threshold_s"] == 60
    assert tile.tile["basis"] == "answered within 60 s"
    # A vendor reads its contract target, not the centre's plan it belongs to.
    assert tile.tile["target_from"] == "contract target 80.0 % (Sales – Vendor)"

    # And the page the vendor reads says so.
    StakeholderMember.objects.create(stakeholder=centre_with_plan["stakeholder"], user=viewer)
    client.force_login(viewer)
    html = client.get(f"/present/dashboards/{dashboard.pk}/").content.decode()
    card = html[html.index("Service level, last 7 days"):]
    card = card[:card.index("</section>")]
    assert "85.0 %" in card and "answered within 60 s" in card
    assert "Target 80.0 %" in card and "GREEN" in card


def test_email_and_web_form_tiles_are_judged_at_24_h_and_48_h(centre_with_plan):
    from stakeholders.models import Dashboard
    from stakeholders.services import stakeholder_create, widget_add

    digital = stakeholder_create(name="Digital team", kind="own_team",
                                 queues=[centre_with_plan["mail"], centre_with_plan["web"]],
                                 with_dashboard=False)
    dashboard = Dashboard.objects.create(stakeholder=digital, name="Written contacts")
    scope = stakeholder_scope(digital)
    now = timezone.now()
    found = {}
    for channel in ("email", "web_form"):
        widget = widget_add(dashboard, kind="kpi_tile", title=f"SL {channel}",
                            metrics=["service_level"], period="last_7_days",
                            granularity="day", options={"channels": [channel]})
        found[channel] = widget_result(widget, scope, now).tile
    assert (found["email"]["value"], found["email"]["sl_threshold_s"]) == \
        (pytest.approx(0.9), 86400)
    assert found["email"]["basis"] == "answered within 24 h"
    assert (found["email"]["target"], found["email"]["rag"]) == (pytest.approx(0.9), "green")
    assert (found["web_form"]["value"], found["web_form"]["sl_threshold_s"]) == \
        (pytest.approx(1.0), 172800)
    assert found["web_form"]["basis"] == "answered within 48 h"
    # No target in the plan for web forms: none is made up.
    assert found["web_form"]["target"] is None and found["web_form"]["rag"] == ""
    assert found["web_form"]["target_text"] == "no target"
    # Both channels in one tile: each contact within its own queue's threshold, said so.
    both = widget_add(dashboard, kind="kpi_tile", title="SL written", metrics=["service_level"],
                      period="last_7_days", granularity="day")
    tile = widget_result(both, scope, now).tile
    assert tile["value"] == pytest.approx((9 + 10) / 20)
    assert tile["sl_threshold_s"] is None
    assert tile["basis"] == "answered within each queue's own threshold"


def test_wallboard_has_a_tile_per_channel_at_its_threshold_and_plan_target(
        centre_with_plan, manager_client):
    response = manager_client.get("/present/wallboard/")
    assert response.status_code == 200
    channels = {label: {t.widget.metrics[0]: t.tile for t in tiles}
                for label, tiles in response.context["channels"]}
    assert list(channels) == ["Voice", "E-mail", "Web form"]
    voice, mail, web = channels["Voice"], channels["E-mail"], channels["Web form"]
    assert (voice["service_level"]["value"], voice["service_level"]["basis"]) == \
        (pytest.approx(0.85), "answered within 60 s")
    assert voice["service_level"]["target"] == pytest.approx(0.8)
    assert voice["service_level"]["rag"] == "green"
    assert (mail["service_level"]["value"], mail["service_level"]["basis"]) == \
        (pytest.approx(0.9), "answered within 24 h")
    assert mail["service_level"]["target"] == pytest.approx(0.9)
    assert (web["service_level"]["value"], web["service_level"]["basis"]) == \
        (pytest.approx(1.0), "answered within 48 h")
    assert web["service_level"]["target_text"] == "no target"
    # Times per channel, never calls and e-mails in one average.
    assert voice["asa_s"]["value"] == pytest.approx(25)
    assert mail["asa_s"]["value_text"] == "120 min"
    totals = {t.widget.metrics[0] for t in response.context["totals"]}
    assert totals == {"offered", "handled"}
    body = response.content.decode()
    assert "answered within 48 h" in body and "no target" in body
    assert "0.8" not in body.replace("80.0 %", "")  # no default target of its own


def test_a_plan_target_change_moves_the_tile_and_the_plan_versus_actual_table(
        centre_with_plan):
    from measurements.models import Target

    dashboard = centre_with_plan["dashboard"]
    scope = stakeholder_scope(centre_with_plan["stakeholder"])
    tile = _widget(dashboard, "Service level, last 7 days")
    table = _widget(dashboard, "Queues against contract targets, month to date")
    series = _widget(dashboard, "Daily service level against contract")

    def judged():
        now = timezone.now()
        t = widget_result(tile, scope, now)
        rows = widget_result(table, scope, now).table
        sl = rows[rows["kpi"] == "service_level"].iloc[0]
        return t.tile["rag"], t.tile["target"], bool(sl["met"]), sl["target"], sl["judged_at"]

    def target_line():
        chart = widget_result(series, scope, timezone.now())
        return [n for n in chart.notes if n.startswith(("Target", "Contract target"))]

    assert judged() == ("green", pytest.approx(0.8), True, pytest.approx(0.8), "60 s")
    assert target_line()[0].startswith("Contract target 80.0 % (Sales – Vendor)")
    target = Target.objects.get(queue=centre_with_plan["vendor"])
    target.value = Decimal("90")
    target.save()
    # The cached figures are not served: the plan edit shows at once.
    assert judged() == ("red", pytest.approx(0.9), False, pytest.approx(0.9), "60 s")
    assert target_line()[0].startswith("Contract target 90.0 % (Sales – Vendor)")


def test_a_changed_threshold_configuration_shows_at_once(centre_with_plan):
    from measurements.models import MeasurementConfig

    scope = stakeholder_scope(centre_with_plan["stakeholder"])
    tile = _widget(centre_with_plan["dashboard"], "Service level, last 7 days")
    assert widget_result(tile, scope, timezone.now()).tile["value"] == pytest.approx(0.85)
    config = MeasurementConfig.objects.get(step__queue=centre_with_plan["vendor"])
    config.parameters = {"threshold_s": 20}
    config.save()
    result = widget_result(tile, scope, timezone.now()).tile
    assert (result["value"], result["basis"], result["rag"]) == \
        (pytest.approx(0.7), "answered within 20 s", "red")


def test_a_target_typed_into_a_widget_is_an_override_and_says_so(centre_with_plan,
                                                                   manager_client):
    tile = _widget(centre_with_plan["dashboard"], "Service level, last 7 days")
    tile.options = {**tile.options, "target": 0.9}
    tile.save()
    result = widget_result(tile, stakeholder_scope(centre_with_plan["stakeholder"]),
                           timezone.now()).tile
    assert (result["target"], result["rag"]) == (pytest.approx(0.9), "red")
    assert result["override"]
    assert result["target_from"].startswith("target 90.0 % chosen on this widget")
    html = manager_client.get(
        f"/present/dashboards/{centre_with_plan['dashboard'].pk}/").content.decode()
    assert "target 90.0 % chosen on this widget" in html


def test_the_widget_editor_labels_targets_and_thresholds_as_overrides(centre_with_plan,
                                                                      manager_client):
    tile = _widget(centre_with_plan["dashboard"], "Service level, last 7 days")
    html = manager_client.get(f"/present/widgets/{tile.pk}/edit/").content.decode()
    assert "Empty = the business plan&#x27;s target in force" in html
    assert "Empty = each queue&#x27;s configured threshold" in html
    # Saved with the overrides left empty, the widget keeps none of its own.
    data = {"title": tile.title, "kind": "kpi_tile", "metrics": ["service_level"],
            "period": "last_7_days", "granularity": "day", "target": "",
            "sl_threshold_s": "", "short_abandon_s": "", "sl_variant": ""}
    response = manager_client.post(f"/present/widgets/{tile.pk}/edit/", data)
    assert response.status_code == 302
    tile.refresh_from_db()
    assert not {"target", "sl_threshold_s", "short_abandon_s", "sl_variant"} & set(tile.options)
    # A threshold chosen on the widget is one, and the tile says so.
    response = manager_client.post(f"/present/widgets/{tile.pk}/edit/",
                                   {**data, "sl_threshold_s": "20"})
    tile.refresh_from_db()
    assert tile.options["sl_threshold_s"] == 20
    result = widget_result(tile, stakeholder_scope(centre_with_plan["stakeholder"]),
                           timezone.now()).tile
    assert result["value"] == pytest.approx(0.7)
    assert result["basis"] == "answered within 20 s (chosen here, not the configured " \
                              "thresholds)"


def test_widget_data_endpoints_state_the_threshold_and_target_of_each_value(
        centre_with_plan, api_client, manager):
    api_client.force_authenticate(manager)
    dashboard = centre_with_plan["dashboard"]
    tile = _widget(dashboard, "Service level, last 7 days")
    data = api_client.get(f"/api/v1/widgets/{tile.pk}/data/").json()
    assert data["meaning"]["sl_threshold_s"] == 60
    assert data["meaning"]["sl_basis"] == "60 s"
    target = data["meaning"]["targets"]["service_level"]
    # The vendor's dashboard names its contract target, not the centre's plan.
    assert (target["value"], target["source"], target["plan"]) == (0.8, "plan", "")
    assert target["applies_to"] == "Sales – Vendor"
    assert data["tile"]["target"] == target and data["tile"]["sl_threshold_s"] == 60
    handled = _widget(dashboard, "Handled, last 7 days")
    data = api_client.get(f"/api/v1/widgets/{handled.pk}/data/").json()
    assert data["meaning"]["targets"] == {"handled": None}  # no target, said so

    everything = api_client.get(f"/api/v1/dashboards/{dashboard.pk}/data/").json()
    by_title = {w["title"]: w for w in everything["widgets"]}
    assert by_title["Service level, last 7 days"]["meaning"]["sl_threshold_s"] == 60
    table = by_title["Queues against contract targets, month to date"]
    sl_row = next(r for r in table["rows"] if r["kpi"] == "service_level")
    assert (sl_row["target"], sl_row["judged_at"]) == (0.8, "60 s")


def test_a_general_time_target_never_judges_channels_measured_in_hours(centre_with_plan,
                                                                       manager_client):
    from measurements.models import Kpi, Target

    plan = centre_with_plan["plan"]
    kpi = Kpi.objects.create(objective=plan.objectives.get(), metric_code="asa")
    Target.objects.create(kpi=kpi, period_start=plan.period_start, period_end=plan.period_end,
                          value=25)
    channels = {label: {t.widget.metrics[0]: t.tile for t in tiles} for label, tiles in
                manager_client.get("/present/wallboard/").context["channels"]}
    assert channels["Voice"]["asa_s"]["target"] == pytest.approx(25)
    assert channels["E-mail"]["asa_s"]["target"] is None  # 2 h is not "against 25 s"
    assert channels["E-mail"]["asa_s"]["target_text"] == "no target"


@pytest.mark.parametrize("kind", ["centre_staff", "executive", "vendor", "department",
                                  "own_team"])
def test_dashboards_show_no_file_names_sentinel_dates_or_raw_gaps(centre_with_plan,
                                                                  manager_client, kind):
    from stakeholders.services import stakeholder_create

    stakeholder = stakeholder_create(name=f"Everyone {kind}", kind=kind,
                                     sees_whole_centre=True)
    pages = [manager_client.get(f"/present/dashboards/{stakeholder.dashboards.get().pk}/"),
             manager_client.get("/present/wallboard/")]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        for leak in ("DESIGN.md", "2000-01-01", ">nan<", ">None<", "NaN %"):
            assert leak not in html, (kind, leak)


def test_a_time_average_over_calls_and_e_mails_is_no_headline(centre_with_plan):
    from stakeholders.models import Dashboard
    from stakeholders.services import stakeholder_create, widget_add

    board = stakeholder_create(name="Board", kind="executive", sees_whole_centre=True,
                               with_dashboard=False)
    dashboard = Dashboard.objects.create(stakeholder=board, name="Check")
    scope, now = stakeholder_scope(board), timezone.now()
    asa = widget_add(dashboard, kind="kpi_tile", title="ASA", metrics=["asa_s"],
                     period="last_7_days", granularity="day")
    result = widget_result(asa, scope, now)
    assert result.tile["value_text"] == "mixed units: see each channel"
    assert result.tile["rag"] == "" and any("calls in seconds" in n for n in result.notes)
    table = widget_add(dashboard, kind="table", title="ASA by channel", metrics=["asa_s"],
                       period="last_7_days", granularity="day", breakdown="channel")
    rows = widget_result(table, scope, now).table.set_index("key")["asa_s"]
    assert rows["voice"] == pytest.approx(25) and rows["email"] == pytest.approx(7200)
    handled = widget_add(dashboard, kind="kpi_tile", title="Handled", metrics=["handled"],
                         period="last_7_days", granularity="day")
    result = widget_result(handled, scope, now)
    assert result.tile["value"] == 19 + 10 + 10 and not result.notes  # counts add up
    calls = widget_add(dashboard, kind="kpi_tile", title="ASA of calls", metrics=["asa_s"],
                       period="last_7_days", granularity="day", options={"channels": ["voice"]})
    assert widget_result(calls, scope, now).tile["value_text"] == "25 s"


def test_kpi_page_draws_call_and_e_mail_times_on_separate_axes(centre_with_plan):
    """Calls wait 25 s, e-mails 2 h, web forms 25 h: the KPI page by channel draws the ASA of
    calls in seconds and the ASA of e-mails and web forms in hours, never on one axis."""
    from contactmis.scope import Scope
    from reports.analyses import kpi_report

    day = WEDNESDAY.date()
    page = kpi_report(Scope.everything(), centre_with_plan["vendor"].centre, day,
                      day + dt.timedelta(days=3), "day", ["channel"])
    import plotly.io as pio

    charts = {c["id"]: pio.from_json(c["figure"]) for c in page["charts"]}
    seconds, hours = charts["asa_s"], charts["asa_s_hours"]

    def values(trace):
        y = trace.y
        if isinstance(y, dict):  # Plotly's typed-array encoding
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
        return [float(v) for v in y if v == v]  # NaN: a day without calls

    assert [t.name for t in seconds.data] == ["voice"]
    assert {t.name: values(t) for t in hours.data} == {"email": [2.0, 2.0],
                                                        "web_form": [25.0, 25.0]}
    assert values(seconds.data[0]) == [25.0, 25.0]
    assert "(h)" in hours.layout.yaxis.title.text and "(s)" in seconds.layout.yaxis.title.text
    # Handling an e-mail takes minutes, as a call does: one AHT chart, in seconds.
    assert {"aht_s", "offered", "abandon_rate"} <= set(charts) and "aht_s_hours" not in charts


def test_a_team_of_queues_with_different_targets_is_told_each_never_a_blend(centre):
    """A team leader's two call queues are held to 80 % and 85 %: the team's tile has no target
    of its own (none is blended from the two), and says the queues' targets where it would say
    "no target"."""
    from pathways.models import Queue
    from reports.vocabulary import METRICS
    from stakeholders.services import stakeholder_create
    from stakeholders.widgets import slice_target_words

    billing = Queue.objects.create(centre=centre, code="BILL", name="Billing")
    tier2 = Queue.objects.create(centre=centre, code="T2", name="Tier 2")
    for queue in (billing, tier2):
        _configured(centre, queue, 20)
        _vendor_call_rows(centre, queue, WEDNESDAY)
    business_plan(centre, TODAY.date(), [("service_level", 80, billing),
                                         ("service_level", 85, tier2)])
    team = stakeholder_create(name="Team leaders", kind="vendor", queues=[billing, tier2])
    tile = _widget(team.dashboards.get(), "Service level, last 7 days")
    result = widget_result(tile, stakeholder_scope(team), timezone.now())
    assert result.tile["target"] is None and not result.tile["rag"]
    assert result.tile["target_text"] == "no single target: 80.0 % for Billing; 85.0 % for Tier 2"
    # One queue alone is judged against its own target as before.
    alone = widget_result(tile, stakeholder_scope(team), timezone.now(), queue=tier2)
    assert alone.tile["target"] == pytest.approx(0.85)
    assert slice_target_words(METRICS["service_level"], []) == "no target"
    from types import SimpleNamespace as T
    five = [T(applies_to=name, value=value) for name, value in (
        ("Billing", 0.8), ("Tier 2", 0.85), ("Chat", 0.8), ("Support", 0.8), ("Voice", 0.9))]
    assert slice_target_words(METRICS["service_level"], five) == (
        "no single target: 80.0 % for Billing, Chat, Support; 85.0 % for Tier 2; 90.0 % for Voice")
