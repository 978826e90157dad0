"""Scheduled reports say what each figure means: headlines and findings per channel, each
service level at its queues' configured threshold and judged against the business plan's target
in force ("no target" where there is none), never an answer time averaged across calls in seconds
and e-mails in hours; cost per contact and volume against the plan's budget, only for a scope
that may see the centre's budget."""
import datetime as dt

import pytest

from contactmis.scope import Scope
from pathways.models import Queue

from .factories import interval_row

pytestmark = pytest.mark.django_db
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def _configured(queue, pathway_name, channel, threshold_s):
    from measurements.models import MeasurementConfig, MetricDefinition
    from pathways.models import Pathway, Step

    pathway = Pathway.objects.create(centre=queue.centre, name=pathway_name, channel=channel)
    step = Step.objects.create(pathway=pathway, name=pathway_name, kind="queue", queue=queue,
                               position=0, is_entry=True)
    MeasurementConfig.objects.create(
        metric=MetricDefinition.objects.filter(code="service_level").order_by("version").first(),
        step=step, parameters={"threshold_s": threshold_s})


@pytest.fixture
def channels(centre):
    """On Wed 14 Oct 2026: ten calls (8 answered, 6 within 20 s, ASA 10 s: the catalogue's
    20 s), ten e-mails configured at 24 h (all answered within 24 h, none within 20 s, ASA
    90 min) and ten web forms configured at 48 h (all within 48 h, ASA 30 h)."""
    calls = Queue.objects.create(centre=centre, code="Q1", name="Calls")
    mail = Queue.objects.create(centre=centre, code="MAIL", name="Mailbox", kind="cms",
                                channel="email")
    forms = Queue.objects.create(centre=centre, code="FORMS", name="Web forms", kind="cms",
                                 channel="web_form")
    at = dt.datetime(2026, 10, 14, 9, 0, tzinfo=centre.tz)
    interval_row(centre, calls, at, wait_answered_s=80, talk_s=1600)
    interval_row(centre, mail, at, offered=10, answered=10, abandoned=0, within={86400: 10},
                 abandoned_within={}, wait_answered_s=10 * 5400, talk_s=3000)
    interval_row(centre, forms, at, offered=10, answered=10, abandoned=0,
                 within={172800: 10}, abandoned_within={}, wait_answered_s=10 * 108000,
                 talk_s=3000)
    _configured(mail, "E-mail", "email", 86400)
    _configured(forms, "Web forms", "web_form", 172800)
    return {"calls": calls, "mail": mail, "forms": forms}


@pytest.fixture
def plan(centre):
    """A plan for 2026: service level 80 % for every channel, ASA 25 s for voice only."""
    from measurements.models import BusinessPlan, Kpi, Objective, Target

    plan = BusinessPlan.objects.create(centre=centre, name="Plan 2026",
                                       period_start=dt.date(2026, 1, 1),
                                       period_end=dt.date(2026, 12, 31))
    objective = Objective.objects.create(plan=plan, title="Answer in time")
    year = {"period_start": plan.period_start, "period_end": plan.period_end}
    Target.objects.create(kpi=Kpi.objects.create(objective=objective,
                                                 metric_code="service_level"), value=80, **year)
    Target.objects.create(kpi=Kpi.objects.create(objective=objective, metric_code="asa"),
                          channel="voice", value=25, **year)
    return plan


def _period(first, last, key="custom"):
    from reports.periods import resolve_period

    return resolve_period("custom", dt.datetime(2026, 11, 20, tzinfo=dt.UTC), "Europe/London",
                          first, last)


def _report(template="monthly", first_last=OCTOBER, scope=None):
    from contactmis.selectors import centre_current
    from reports.reporting.content import build_report

    return build_report(template, scope or Scope.everything(), centre_current(),
                        _period(*first_last))


def _table(report, section):
    return next(t for s, t in report.all_tables() if s.key == section)


def test_monthly_headlines_are_per_channel_at_each_channels_threshold(channels, plan):
    from reports.reporting import render

    report = _report()
    groups = report.headline_groups
    assert list(groups) == ["Voice", "E-mail", "Web form"]
    assert [groups[c]["sl_basis"] for c in groups] == ["20 s", "24 h", "48 h"]
    assert groups["Voice"]["service_level"] == "66.7 %"  # 6 / (10 − 1 short abandon)
    assert groups["E-mail"]["service_level"] == "100.0 %"
    assert groups["Web form"]["service_level"] == "100.0 %"
    assert (groups["Voice"]["asa_s"], groups["Voice"]["asa_s_target"]) == ("10 s", "25 s")
    assert (groups["E-mail"]["asa_s"], groups["E-mail"]["asa_s_target"]) == ("90 min",
                                                                            "no target")
    assert groups["Web form"]["asa_s"] == "30 h"
    # The tiles hold counts only: no ASA over calls and e-mails together.
    assert set(report.headline) == {"offered", "answered", "abandoned", "handled"}
    assert report.headline["offered"] == "30"
    findings = report.findings
    assert ("Service level was 100.0 %, meeting its target of 80.0 % (E-mail, answered within "
            "24 h) [figure: Headline figures].") in findings
    assert ("Service level was 100.0 %, meeting its target of 80.0 % (Web form, answered "
            "within 48 h) [figure: Headline figures].") in findings
    assert ("Service level was 66.7 % against a target of 80.0 % (Voice, answered within "
            "20 s) [figure: Headline figures].") in findings
    assert "ASA was 10 s, meeting its target of 25 s (Voice) [figure: Headline figures]." \
        in findings
    # Every time and service level found is one channel's (or one queue's), never a blend.
    slices = ("(Voice", "(E-mail", "(Web form", "(Calls", "(Mailbox")
    assert all(any(w in f for w in slices) for f in findings
               if f.startswith(("ASA", "AHT", "Service level")))
    assert not any(f.startswith("Service level was 0.0") for f in findings)
    summary = _table(report, "summary")
    assert summary.columns[:5] == ["Channel", "Offered", "Answered", "Service level",
                                   "Answered within"]
    assert summary.rows[1][3:5] == ["100.0 % (target 80.0 %)", "24 h"]
    assert summary.rows[1][6] == "90 min (no target)"
    plan_rows = {r[0]: r for r in _table(report, "plan").rows}
    assert plan_rows["Service level (E-mail, within 24 h)"][1:4] == ["80.0 %", "100.0 %", "met"]
    assert plan_rows["Service level (Web form, within 48 h)"][2] == "100.0 %"
    assert "ASA (E-mail)" not in plan_rows
    html, text = render.html(report, inline=True), render.text(report)
    blended = (80 + 10 * 5400 + 10 * 108000) / 28  # what one headline ASA over all would be
    for body in (html, text):
        assert f"{blended:.0f}" not in body and "DESIGN.md" not in body
        assert "2000-01-01" not in body and "within 24 h" in body


def test_daily_report_judges_e_mails_at_24_hours(channels, plan):
    report = _report("daily", (dt.date(2026, 10, 14), dt.date(2026, 10, 14)))
    assert not any("0.0 %" in f and "E-mail" in f and "against" in f for f in report.findings)
    assert report.findings[0] in (
        "Service level was 66.7 % against a target of 80.0 % (Voice, answered within 20 s) "
        "[figure: Headline figures].",
        "Service level was 66.7 % against a target of 80.0 % (Calls, answered within 20 s) "
        "[figure: By queue].")
    assert all("answered within" in f for f in report.findings if "Service level" in f)
    hourly = _table(report, "intervals")
    # The whole-scope hour mixes calls and e-mails: its ASA is not an average of both.
    assert hourly.columns == ["When", "Offered", "Answered", "Abandoned", "Service level",
                              "Abandon rate"]
    assert hourly.definition.endswith("ASA and AHT are shown by channel (Headline figures): "
                                      "calls and chat are answered in seconds, e-mails and web "
                                      "forms in hours")


def test_a_plan_target_change_moves_every_comparison_and_finding(channels, plan):
    from measurements.models import Target

    before = _report()
    assert before.headline_groups["Voice"]["service_level_target"] == "80.0 %"
    Target.objects.filter(kpi__metric_code="service_level").update(value=60)
    after = _report()
    assert after.headline_groups["Voice"]["service_level_target"] == "60.0 %"
    assert ("Service level was 66.7 %, meeting its target of 60.0 % (Voice, answered within "
            "20 s) [figure: Headline figures].") in after.findings
    assert not any("against a target of 80.0 %" in f for f in after.findings)
    assert _table(after, "summary").rows[0][3] == "66.7 % (target 60.0 %)"
    plan_rows = {r[0]: r for r in _table(after, "plan").rows}
    assert plan_rows["Service level (Voice, within 20 s)"][1:4] == ["60.0 %", "66.7 %", "met"]


def test_a_figure_without_a_target_says_no_target(channels):
    report = _report()
    assert report.headline_groups["Voice"]["service_level_target"] == "no target"
    assert _table(report, "summary").rows[0][3] == "66.7 % (no target)"
    assert not any("target of" in f for f in report.findings)
    notes = next(s for s in report.sections if s.key == "plan").notes
    assert "No business-plan target is in force" in notes[0]


def test_cost_per_contact_and_volume_against_the_budget_per_channel(channels, plan):
    from measurements.models import BudgetLine, PlannedVolume

    # October: 3,100 for voice and 6,200 shared by volume (voice 20, e-mail 10 planned):
    # voice 3,100 + 4,133.33, e-mail 2,066.67.
    BudgetLine.objects.create(plan=plan, category="labour", period_start=OCTOBER[0],
                              period_end=OCTOBER[1], channel="voice", amount=3_100)
    BudgetLine.objects.create(plan=plan, category="it", period_start=OCTOBER[0],
                              period_end=OCTOBER[1], amount=6_200)
    PlannedVolume.objects.create(plan=plan, period_start=OCTOBER[0], period_end=OCTOBER[1],
                                 channel="voice", contacts=20)
    PlannedVolume.objects.create(plan=plan, period_start=OCTOBER[0], period_end=OCTOBER[1],
                                 channel="email", contacts=10)
    report = _report()
    cost = {r[0]: r for r in _table(report, "cost").rows}
    # Voice: 7,233.33 / 8 handled = 904.17 against 7,233.33 / 20 planned = 361.67.
    assert cost["Voice"] == ["Voice", "7,233.33", "8", "904.17", "361.67", "+542.50"]
    assert cost["E-mail"] == ["E-mail", "2,066.67", "10", "206.67", "206.67", "+0.00"]
    assert "Web form" not in cost  # no budget: not measured
    volume = next(t for s, t in report.all_tables() if t.caption.startswith("Volume"))
    assert {r[0]: r[1:] for r in volume.rows} == {"Voice": ["20", "8", "-12", "-60.0 %"],
                                                 "E-mail": ["10", "10", "+0", "+0.0 %"]}
    assert any(f.startswith("Cost per contact (Voice) was 904.17 against a budgeted 361.67")
               for f in report.findings)
    # A scope of chosen queues (a vendor's) never sees the centre's budget.
    vendor = _report(scope=Scope(queue_ids=frozenset({channels["calls"].pk}), label="Vendor"))
    assert not next(s for s in vendor.sections if s.key == "cost").tables
    assert not any(t.caption.startswith("Volume") for _, t in vendor.all_tables())
    from reports.reporting import render

    body = render.text(vendor)
    assert "7,233.33" not in body and "904.17" not in body and "361.67" not in body
    assert "shows no budget or cost per contact" in body


def test_a_whole_centre_waiting_time_target_does_not_judge_e_mails(channels, plan):
    from measurements.models import Kpi, Target

    kpi = Kpi.objects.get(metric_code="asa")
    Target.objects.create(kpi=kpi, period_start=plan.period_start, period_end=plan.period_end,
                          value=30)  # set for the whole centre, in seconds: meant for calls
    groups = _report().headline_groups
    assert groups["Voice"]["asa_s_target"] == "25 s"  # the channel's own target
    assert groups["E-mail"]["asa_s_target"] == "no target"
    assert groups["Web form"]["asa_s_target"] == "no target"
    Target.objects.create(kpi=kpi, period_start=plan.period_start, period_end=plan.period_end,
                          channel="email", value=4 * 3600)
    assert _report().headline_groups["E-mail"]["asa_s_target"] == "4 h"


def test_reports_and_findings_share_the_one_number_formatter():
    from reports import vocabulary
    from reports.analysis import interpret
    from reports.reporting import content

    for key, value, text in (("service_level", 0.123, "12.3 %"), ("asa_s", 25, "25 s"),
                             ("asa_s", 5400, "90 min"), ("offered", 1234, "1,234"),
                             ("cost_per_contact", 1.456, "1.46"),
                             ("service_level", None, "no data"),
                             ("aht_s", float("nan"), "no data")):
        assert content.fmt(key, value) == interpret.fmt(key, value) == \
            vocabulary.fmt(key, value) == text
    assert interpret.PERCENT_KPIS == vocabulary.PERCENT_METRICS
    assert interpret.KPI_NAMES["service_level"] == "service level"
    assert interpret.KPI_NAMES["asa_s"] == "ASA"
