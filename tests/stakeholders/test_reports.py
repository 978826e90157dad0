"""Scheduled reports: content in scope, rendering, schedules across DST, exactly-once delivery,
retries."""
import io
import os
import re
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from stakeholders.models import ReportRun, ReportSchedule, RunStatus
from stakeholders.schedules import local_instant, next_run_at, report_period

from .conftest import SECRET

LONDON = ZoneInfo("Europe/London")


def _schedule(stakeholder, template="daily", **extra):
    from stakeholders.reporting import schedule_save

    fields = dict(stakeholder=stakeholder, name=f"{template} report", template=template,
                  cadence={"annual": "annually"}.get(template, template),
                  time_of_day=time(7, 0), time_zone="Europe/London", formats=["pdf", "csv"])
    fields.update(extra)
    return schedule_save(ReportSchedule(**fields), queues=None)


# --- periods and next run across DST (pure) ----------------------------------------------------

def test_yesterday_on_the_day_after_the_spring_change_is_23_hours():
    period = report_period("daily", date(2026, 3, 30), "Europe/London")
    assert period.first_day == period.last_day == date(2026, 3, 29)
    assert period.hours == 23
    assert report_period("daily", date(2026, 10, 26), "Europe/London").hours == 25
    assert report_period("daily", date(2026, 10, 28), "Europe/London").hours == 24


def test_long_term_periods_are_the_last_complete_calendar_period():
    assert (report_period("weekly", date(2026, 11, 25), "UTC").first_day,
            report_period("weekly", date(2026, 11, 25), "UTC").last_day) == (
        date(2026, 11, 16), date(2026, 11, 22))
    monthly = report_period("monthly", date(2026, 3, 1), "UTC")
    assert (monthly.first_day, monthly.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    quarterly = report_period("quarterly", date(2026, 4, 2), "UTC")
    assert (quarterly.first_day, quarterly.last_day, quarterly.label) == (
        date(2026, 1, 1), date(2026, 3, 31), "Q1 2026")
    annual = report_period("annual", date(2026, 1, 1), "UTC")
    assert (annual.first_day, annual.last_day) == (date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValueError, match="Unknown report template “hourly”"):
        report_period("hourly", date(2026, 1, 1), "UTC")


def test_next_run_keeps_local_time_across_both_dst_changes():
    after = datetime(2026, 3, 28, 7, 30, tzinfo=UTC)  # Saturday, GMT
    first = next_run_at("daily", time(7), "Europe/London", after)
    second = next_run_at("daily", time(7), "Europe/London", first)
    assert first == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # Sunday 07:00 BST
    assert second == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    autumn = next_run_at("daily", time(7), "Europe/London", datetime(2026, 10, 25, 5, tzinfo=UTC))
    assert autumn == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 07:00 GMT
    weekly = next_run_at("weekly", time(8), "UTC", datetime(2026, 11, 23, 9, tzinfo=UTC),
                         weekday=0)
    assert weekly == datetime(2026, 11, 30, 8, tzinfo=UTC)
    monthly = next_run_at("monthly", time(6), "UTC", datetime(2026, 4, 1, tzinfo=UTC),
                          day_of_month=31)
    assert monthly == datetime(2026, 4, 30, 6, tzinfo=UTC)  # clamped to the month's last day
    quarterly = next_run_at("quarterly", time(6), "UTC", datetime(2026, 2, 1, tzinfo=UTC))
    assert quarterly == datetime(2026, 4, 1, 6, tzinfo=UTC)
    # A wall-clock time skipped by the spring change runs just after the gap.
    assert local_instant(date(2026, 3, 29), time(1, 30), LONDON).utcoffset() == timedelta(hours=1)


# --- content ---------------------------------------------------------------------------------

def _day_with_data(centre, back=1):
    """A recent local day the factories filled (they skip Sundays), as a resolved period of
    ``back`` days ending there."""
    from reports.periods import resolve_period

    today = datetime.now(UTC).astimezone(centre.tz).date()
    last = today - timedelta(days=1)
    while last.weekday() == 6:
        last -= timedelta(days=1)
    return resolve_period("custom", datetime.now(UTC), centre.time_zone,
                          last - timedelta(days=back - 1), last)


def test_a_vendors_report_contains_only_the_vendors_queues(two_vendors, centre):
    from reports.reporting import render
    from stakeholders.reporting import build

    schedule = _schedule(two_vendors["a"], "weekly", weekday=0)
    for template in ("daily", "weekly", "monthly"):
        period = _day_with_data(centre, 1 if template == "daily" else 8)
        report = build(schedule, template, period)
        assert not report.empty
        out = render.html(report, inline=True) + render.text(report)
        pdf = render.pdf(report)
        assert "Vendor A sales" in out
        assert SECRET not in out and "Vendor B" not in out
        from pypdf import PdfReader

        pdf_text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
        assert "Vendor A sales" in pdf_text and SECRET not in pdf_text
        if os.environ.get("CONTACTMIS_REPORT_DUMP"):  # to look at the output as images
            out_dir = Path(os.environ["CONTACTMIS_REPORT_DUMP"])
            (out_dir / f"{template}.pdf").write_bytes(pdf)
            (out_dir / f"{template}.html").write_text(render.html(report, inline=True))


# --- delivery ------------------------------------------------------------------------------------

def _run_minutes(start, hours, step_min=30):
    """Call the sender every ``step_min`` minutes of frozen time; return (instant, new mails)."""
    from stakeholders.reporting import send_due_reports

    sent = []
    at = start
    while at < start + timedelta(hours=hours):
        with time_machine.travel(at, tick=False):
            before = len(mail.outbox)
            send_due_reports()
            sent += [(at, m) for m in mail.outbox[before:]]
        at += timedelta(minutes=step_min)
    return sent


def test_a_daily_schedule_sends_once_a_day_at_local_time_across_the_spring_change(
        two_vendors, centre):
    with time_machine.travel(datetime(2026, 3, 27, 12, tzinfo=UTC), tick=False):
        schedule = _schedule(two_vendors["a"], formats=["pdf"])
    assert schedule.next_run_at == datetime(2026, 3, 28, 7, tzinfo=UTC)  # 07:00 GMT
    sent = _run_minutes(datetime(2026, 3, 27, 12, tzinfo=UTC), 4 * 24)
    local_times = [at.astimezone(LONDON) for at, _ in sent]
    assert [t.strftime("%d %H:%M") for t in local_times] == [
        "28 07:00", "29 07:00", "30 07:00", "31 07:00"]
    assert [at.hour for at, _ in sent] == [7, 6, 6, 6]  # UTC: the clocks went forward on the 29th
    runs = ReportRun.objects.filter(schedule=schedule).order_by("period_first_day")
    assert [r.period_first_day for r in runs] == [date(2026, 3, d) for d in (27, 28, 29, 30)]
    hours = [(r.period_end - r.period_start).total_seconds() / 3600 for r in runs]
    assert hours == [24, 24, 23, 24]  # "yesterday" on 30 March is the 23-hour day
    assert all(r.status == RunStatus.SENT and r.attempts == 1 for r in runs)
    assert sent[0][1].to == ["ops@vendor-a.example"]


def test_two_senders_racing_for_the_same_schedule_send_one_email(two_vendors, monkeypatch):
    """Worker B runs completely between worker A reading the due schedule and claiming it; A's
    conditional update then matches nothing, so the period goes out once."""
    from stakeholders import reporting

    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        schedule = _schedule(two_vendors["a"])
    real = reporting.compute_next_run
    calls = []

    def interleaved(schedule_, after):
        calls.append(after)
        if len(calls) == 1:
            reporting.send_due_reports()  # worker B, while A holds its stale copy
        return real(schedule_, after)

    monkeypatch.setattr(reporting, "compute_next_run", interleaved)
    with time_machine.travel(datetime(2026, 11, 21, 7, 5, tzinfo=UTC), tick=False):
        reporting.send_due_reports()  # worker A
    assert len(mail.outbox) == 1
    assert ReportRun.objects.filter(schedule=schedule).count() == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at == datetime(2026, 11, 22, 7, tzinfo=UTC)


def test_the_same_period_is_never_built_twice_even_after_an_edit(two_vendors):
    from stakeholders.reporting import schedule_save, send_due_reports

    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        schedule = _schedule(two_vendors["a"])
    with time_machine.travel(datetime(2026, 11, 21, 7, 1, tzinfo=UTC), tick=False):
        send_due_reports()
        schedule.time_of_day = time(7, 30)  # edited: due again today at 07:30 ...
        schedule_save(schedule)
    with time_machine.travel(datetime(2026, 11, 21, 7, 31, tzinfo=UTC), tick=False):
        send_due_reports()  # ... but yesterday was already sent
    assert len(mail.outbox) == 1


def test_a_failed_smtp_delivery_is_retried_with_backoff_and_recorded(two_vendors, manager,
                                                                      monkeypatch, settings,
                                                                      client):
    import smtplib

    from django.core.mail import EmailMultiAlternatives

    from stakeholders.reporting import send_due_reports

    manager.email = "boss@centre.example"
    manager.save()
    settings.CONTACTMIS_REPORT_RETRY_BACKOFF_S = (60, 300)
    real_send = EmailMultiAlternatives.send
    failures = {"left": 1}

    def flaky(self, *args, **kwargs):
        if self.subject.startswith("Daily") and failures["left"]:
            failures["left"] -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky)
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        schedule = _schedule(two_vendors["a"])
    with time_machine.travel(datetime(2026, 11, 21, 7, 0, tzinfo=UTC), tick=False):
        send_due_reports()
    run = ReportRun.objects.get(schedule=schedule)
    assert (run.status, run.attempts, len(mail.outbox)) == (RunStatus.RETRYING, 1, 0)
    assert "SMTPServerDisconnected" in run.error
    assert run.next_attempt_at == datetime(2026, 11, 21, 7, 1, tzinfo=UTC)
    assert run.html and run.pdf  # rendered before the send failed; viewable in the archive
    with time_machine.travel(datetime(2026, 11, 21, 7, 0, 30, tzinfo=UTC), tick=False):
        send_due_reports()  # backoff not over
    assert ReportRun.objects.get(pk=run.pk).attempts == 1
    with time_machine.travel(datetime(2026, 11, 21, 7, 1, tzinfo=UTC), tick=False):
        send_due_reports()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (RunStatus.SENT, 2, "")
    assert len(mail.outbox) == 1

    # Every try failing: after the last one the run is failed and the managers are told.
    failures["left"] = 99
    with time_machine.travel(datetime(2026, 11, 22, 7, 0, tzinfo=UTC), tick=False):
        send_due_reports()
    for minute in (1, 7):
        with time_machine.travel(datetime(2026, 11, 22, 7, minute, tzinfo=UTC), tick=False):
            send_due_reports()
    failed = ReportRun.objects.get(schedule=schedule, period_first_day=date(2026, 11, 21))
    assert (failed.status, failed.attempts) == (RunStatus.FAILED, 3)
    alert = mail.outbox[-1]
    assert alert.to == ["boss@centre.example"] and "not delivered" in alert.subject
    assert "SMTPServerDisconnected" in alert.body
    client.force_login(manager)
    page = client.get(reverse("stakeholders:schedule-list")).content.decode()
    assert "Reports that could not be delivered" in page and "SMTPServerDisconnected" in page
    detail = client.get(reverse("stakeholders:run-detail", args=[failed.pk])).content.decode()
    assert "Send again" in detail


def test_sendreports_command_runs_the_same_service(two_vendors):
    from django.core.management import call_command

    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        _schedule(two_vendors["a"])
    out = io.StringIO()
    with time_machine.travel(datetime(2026, 11, 21, 7, 0, tzinfo=UTC), tick=False):
        call_command("sendreports", stdout=out)
        call_command("sendreports", stdout=out)
    assert "Vendor A: Daily" in out.getvalue() and "Sent" in out.getvalue()
    assert "No report is due." in out.getvalue()
    assert len(mail.outbox) == 1


def test_the_beat_runs_the_thin_task_every_minute_with_expiry():
    from contactmis.celery import app

    entry = app.conf.beat_schedule["send-due-reports"]
    assert entry["task"] == "stakeholders.tasks.send_due_reports"
    assert entry["options"]["expires"] < 60


def test_the_email_has_inline_images_a_text_part_and_the_pdf(two_vendors):
    from stakeholders.reporting import send_due_reports

    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        _schedule(two_vendors["a"], formats=["pdf", "csv", "xlsx"])
    with time_machine.travel(datetime(2026, 11, 21, 7, 0, tzinfo=UTC), tick=False):
        send_due_reports()
    parsed = message_from_bytes(mail.outbox[0].message().as_bytes())
    parts = list(parsed.walk())
    html = next(p for p in parts if p.get_content_type() == "text/html").get_payload(
        decode=True).decode()
    text = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(
        decode=True).decode()
    cids = {p["Content-ID"].strip("<>") for p in parts if p["Content-ID"]}
    referenced = set(re.findall(r'src="cid:([^"]+)"', html))
    assert referenced and referenced <= cids
    assert "<script" not in html
    names = {p.get_filename() for p in parts if p.get_filename()}
    assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".csv") for n in names)
    assert any(n.endswith(".xlsx") for n in names)
    assert "What the figures say" in text


# --- pages -----------------------------------------------------------------------------------

def test_schedule_pages_create_and_name_what_is_wrong(two_vendors, manager_client):
    url = reverse("stakeholders:schedule-create")
    assert manager_client.get(url).status_code == 200
    data = {"stakeholder": two_vendors["a"].pk, "name": "Ops daily", "template": "daily",
            "cadence": "weekly", "time_of_day": "07:00", "time_zone": "Mars/Olympus",
            "send_to_contacts": "on", "extra_recipients": "not-an-address",
            "queues": [two_vendors["queue_b"].pk], "formats": ["pdf"], "active": "on"}
    response = manager_client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "“Mars/Olympus” is not a time zone" in body
    assert "is outside Vendor A" in body
    assert "not a valid e-mail address" in body
    assert "needs a day of the week" in body
    data.update(time_zone="Europe/London", extra_recipients="boss@vendor-a.example",
                queues=[two_vendors["queue_a"].pk], weekday="0")
    response = manager_client.post(url, data)
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get(name="Ops daily")
    assert schedule.recipients() == ["ops@vendor-a.example", "boss@vendor-a.example"]
    assert schedule.next_run_at.astimezone(LONDON).weekday() == 0
    page = manager_client.get(reverse("stakeholders:schedule-list")).content.decode()
    assert "Ops daily" in page and "Send now" in page


def test_archive_viewers_see_only_their_stakeholders_runs(two_vendors, client, viewer, manager):
    from stakeholders.reporting import preview

    run_a = preview(_schedule(two_vendors["a"]))
    run_b = preview(_schedule(two_vendors["b"]))
    client.force_login(viewer)
    listing = client.get(reverse("stakeholders:run-list")).content.decode()
    assert "Vendor A" in listing and SECRET not in listing
    assert client.get(reverse("stakeholders:run-detail", args=[run_a.pk])).status_code == 200
    html = client.get(reverse("stakeholders:run-html", args=[run_a.pk])).content.decode()
    assert "Vendor A" in html and SECRET not in html
    assert client.get(reverse("stakeholders:run-pdf", args=[run_a.pk]))["Content-Type"] == \
        "application/pdf"
    for name in ("run-detail", "run-html", "run-pdf"):
        assert client.get(reverse(f"stakeholders:{name}", args=[run_b.pk])).status_code == 404
    assert client.get(reverse("stakeholders:schedule-list")).status_code == 404
    url = reverse("stakeholders:schedule-send-now", args=[run_a.schedule_id])
    assert client.get(url).status_code in (403, 404)  # a viewer sends nothing
    client.force_login(manager)
    # "Send now" first says what goes to whom; a POST without the confirmation sends nothing.
    page = client.get(url).content.decode()
    assert "ops@vendor-a.example" in page and "Send to 1 person" in page
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == url and not mail.outbox
    response = client.post(url, {"confirm": "yes"})
    assert response.status_code == 302 and len(mail.outbox) == 1


def test_the_monthly_report_compares_with_the_business_plan_and_budget(two_vendors, centre):
    from contactmis.scope import Scope
    from measurements.models import BudgetLine, BusinessPlan, Kpi, Objective, PlannedVolume, Target
    from reports.reporting import render
    from stakeholders.reporting import build

    period = _day_with_data(centre, 8)
    first, last = period.first_day.replace(day=1), period.last_day
    plan = BusinessPlan.objects.create(centre=centre, name="FY plan", period_start=first,
                                       period_end=last)
    objective = Objective.objects.create(plan=plan, title="Answer quickly")
    Target.objects.create(kpi=Kpi.objects.create(objective=objective,
                                                 metric_code="service_level"),
                          period_start=first, period_end=last, value=99)
    Target.objects.create(kpi=Kpi.objects.create(objective=objective, metric_code="aht"),
                          period_start=first, period_end=last, value=300)
    BudgetLine.objects.create(plan=plan, category="labour", period_start=first,
                              period_end=last, amount=10_000)
    PlannedVolume.objects.create(plan=plan, period_start=first, period_end=last, channel="voice",
                                 contacts=2_000)
    report = build(_schedule(two_vendors["a"], "monthly", day_of_month=1), "monthly", period)
    plan_table = next(t for s, t in report.all_tables() if s.key == "plan")
    rows = {r[0]: r for r in plan_table.rows}
    own = report.headline_groups["Vendor A sales"]  # a vendor's headlines are per own queue
    # Vendor A's queue has a target of its own (80 %, in the fixture's plan): it is more
    # specific than the FY plan's centre-wide 99 %, so the vendor is judged by its own.
    assert rows["Service level (Voice, within 20 s)"][1:4] == ["80.0 %", own["service_level"],
                                                               "met"]
    assert own["service_level_target"] == "80.0 %" and own["sl_basis"] == "20 s"
    assert "Vendor A sales" in rows["Service level (Voice, within 20 s)"][4]
    # The centre-wide AHT target is the centre's plan, not the vendor's contract.
    assert "AHT (Voice)" not in rows and "FY plan" not in " ".join(map(str, rows.values()))
    assert not any("99.0" in f for f in report.findings)
    # The vendor never sees the centre's budget nor a cost per contact computed from it.
    cost_section = next(s for s in report.sections if s.key == "cost")
    assert not cost_section.tables and "shows no budget" in cost_section.notes[0]
    text = render.text(report) + render.html(report)
    assert "10,000" not in text and "5.00" not in text and SECRET not in text
    assert "Budget" not in render.figures_frame(report).to_csv()
    # The centre's own report does: the budget pro rata to the 8 of its 19 days (4,210.53),
    # over contacts handled on voice; 5.00 budgeted per contact (10,000 / 2,000 planned).
    centre_report = build(None, "monthly", period, scope=Scope.everything())
    handled = int(centre_report.headline["handled"].replace(",", ""))
    budget = 10_000 * period.days / ((last - first).days + 1)
    cost = next(t for s, t in centre_report.all_tables() if s.key == "cost")
    assert cost.rows[0][:5] == ["Voice", f"{budget:,.2f}", f"{handled:,}",
                                f"{budget / handled:,.2f}", "5.00"]
