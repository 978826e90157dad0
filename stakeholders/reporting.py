"""Scheduled reports: schedules, building and sending runs, retries. Services write; reads for
pages are at the end.

Exactly once: ``send_due_reports`` claims a due schedule by moving its ``next_run_at`` forward
with a conditional update (``filter(pk=…, next_run_at=old).update(…) == 1``); a second worker or
beat that read the same old value updates nothing and skips it. The run row is unique per
schedule and period as well, so even a schedule edited in between cannot send a period twice.
A run's delivery is likewise claimed (``status`` pending/retrying → sending) before the e-mail
goes out.

Failures: a delivery that raises is retried after ``REPORT_RETRY_BACKOFF_S[attempt-1]`` seconds
(1, 5, 15 minutes by default) by the next ``send_due_reports``; after
``CONTACTMIS_REPORT_MAX_ATTEMPTS`` tries the run is ``failed``, shown in the archive and on the
schedule list, and the managers get an e-mail naming it and the error.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from contactmis.roles import MANAGER, can_read_all
from contactmis.scope import Scope
from contactmis.selectors import centre_current
from reports.exports import to_csv, to_xlsx

from .models import ReportRun, ReportSchedule, RunStatus, Stakeholder
from .schedules import next_run_at, report_period
from .scope import stakeholder_of_user, stakeholder_scope

log = logging.getLogger(__name__)

DEFAULT_BACKOFF_S = (60, 300, 900)


def max_attempts() -> int:
    return int(getattr(settings, "CONTACTMIS_REPORT_MAX_ATTEMPTS", 3))


def backoff_s(attempt: int) -> int:
    """Seconds to wait after failed try number ``attempt`` (1-based)."""
    steps = tuple(getattr(settings, "CONTACTMIS_REPORT_RETRY_BACKOFF_S", DEFAULT_BACKOFF_S))
    return int(steps[min(attempt, len(steps)) - 1])


# --- schedules ------------------------------------------------------------------------------

def schedule_scope(schedule: ReportSchedule) -> Scope:
    """The schedule's data scope: its stakeholder's, narrowed to the chosen queues (which the
    form and ``schedule_save`` keep inside the stakeholder's scope)."""
    scope = stakeholder_scope(schedule.stakeholder)
    queue_ids = frozenset(q.pk for q in schedule.queues.all())
    if not queue_ids:
        return scope
    if scope.queue_ids is not None:
        queue_ids = queue_ids & scope.queue_ids
    return Scope(queue_ids=queue_ids, pathway_ids=scope.pathway_ids, channels=scope.channels,
                 sites=scope.sites, segments=scope.segments,
                 label=f"{schedule.stakeholder.name}: {len(queue_ids)} queue"
                       f"{'s' if len(queue_ids) != 1 else ''}")


def compute_next_run(schedule: ReportSchedule, after: datetime) -> datetime:
    return next_run_at(schedule.cadence, schedule.time_of_day, schedule.time_zone, after,
                       weekday=schedule.weekday, day_of_month=schedule.day_of_month)


def schedule_save(schedule: ReportSchedule, queues=None, now: datetime | None = None
                  ) -> ReportSchedule:
    """Validate and store ``schedule`` (new or edited) and its queues; recompute
    ``next_run_at`` from ``now``. Raises ``ValidationError`` naming the field for a queue outside
    the stakeholder's scope, an unknown time zone, bad addresses, formats or sections."""
    from reports.reporting.content import SECTIONS

    from .models import ReportFormat, _clean_text_list

    errors = {}
    try:
        ZoneInfo(schedule.time_zone)
    except Exception:  # noqa: BLE001 - ZoneInfo raises several kinds for a bad key
        errors["time_zone"] = f"“{schedule.time_zone}” is not a time zone (e.g. Europe/Berlin)."
    from django.core.validators import validate_email
    try:
        schedule.extra_recipients = _clean_text_list(schedule.extra_recipients,
                                                     "extra_recipients", validator=validate_email)
        schedule.formats = _clean_text_list(schedule.formats, "formats",
                                            choices=set(ReportFormat.values))
        schedule.sections = _clean_text_list(schedule.sections, "sections",
                                             choices=set(SECTIONS.get(schedule.template, ())))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if schedule.cadence == "weekly" and schedule.weekday is None:
        errors["weekday"] = "A weekly schedule needs a day of the week."
    if schedule.day_of_month is not None and not 1 <= schedule.day_of_month <= 31:
        errors["day_of_month"] = "Give a day between 1 and 31."
    allowed = stakeholder_scope(schedule.stakeholder)
    if queues is not None:
        outside = [q for q in queues if not allowed.allows_queue(q)] \
            if hasattr(allowed, "allows_queue") else \
            [q for q in queues if allowed.queue_ids is not None and q.pk not in allowed.queue_ids]
        if outside:
            errors["queues"] = (f"{', '.join(str(q) for q in outside)} "
                                f"{'is' if len(outside) == 1 else 'are'} outside "
                                f"{schedule.stakeholder}'s data scope.")
    if errors:
        raise ValidationError(errors)
    if not schedule.recipients() and not errors:
        raise ValidationError({"extra_recipients": f"{schedule.stakeholder} has no contact "
                                                   "addresses; add at least one recipient."})
    schedule.next_run_at = compute_next_run(schedule, now or timezone.now())
    with transaction.atomic():
        schedule.save()
        if queues is not None:
            schedule.queues.set(queues)
    return schedule


# --- building and sending -------------------------------------------------------------------

def build(schedule_or_stakeholder, template, period, sections=None, scope=None, now=None):
    """Build a report (``reports.reporting.content.Report``) for a schedule's scope."""
    from reports.reporting.content import build_report

    centre = centre_current()
    if scope is None:
        scope = schedule_scope(schedule_or_stakeholder)
    return build_report(template, scope, centre, period, sections=sections, now=now)


def _centre_tz() -> str:
    centre = centre_current()
    return centre.time_zone if centre else "UTC"


def _period_for(schedule: ReportSchedule, run_at: datetime):
    """The period a run due at ``run_at`` covers, in the centre's time zone."""
    tz = _centre_tz()
    return report_period(schedule.template, run_at.astimezone(ZoneInfo(tz)).date(), tz)


def _new_run(schedule, period, trigger, now) -> ReportRun:
    return ReportRun(
        schedule=schedule, stakeholder=schedule.stakeholder, template=schedule.template,
        trigger=trigger, period_label=period.label, period_first_day=period.first_day,
        period_last_day=period.last_day, period_start=period.start_utc,
        period_end=period.end_utc, time_zone=_centre_tz(), recipients=schedule.recipients(),
        status=RunStatus.PREVIEW if trigger == "preview" else RunStatus.PENDING)


def render_run(run: ReportRun, schedule: ReportSchedule, period, now=None):
    """Build the report for ``run`` and store its HTML (images inline), text and PDF. Returns
    the Report (with chart PNGs drawn) for the e-mail."""
    from reports.reporting import render

    report = build(schedule, schedule.template, period, sections=schedule.sections or None,
                   now=now)
    run.title = report.title
    run.html = render.html(report, inline=True)
    run.text = render.text(report)
    run.pdf = render.pdf(report)
    return report


def email_message(run: ReportRun, report, formats) -> EmailMultiAlternatives:
    """The e-mail of ``run``: text body, HTML alternative referring to inline PNGs by CID
    (attached as a multipart/related part), the PDF and CSV/XLSX as chosen."""
    from email.mime.image import MIMEImage

    from reports.reporting import render

    message = EmailMultiAlternatives(
        subject=f"{report.title}: {report.period_label} — {report.scope_label}",
        body=render.text(report), from_email=settings.DEFAULT_FROM_EMAIL, to=run.recipients)
    message.attach_alternative(render.html(report, inline=False), "text/html")
    message.mixed_subtype = "related"
    for chart in report.all_charts():
        image = MIMEImage(chart.png, _subtype="png")
        image.add_header("Content-ID", f"<{render.cid(chart)}>")
        image.add_header("Content-Disposition", "inline", filename=f"{chart.cid}.png")
        message.attach(image)
    if "pdf" in formats or not formats:
        message.attach(render.attachment_name(report, "pdf"), bytes(run.pdf), "application/pdf")
    if "csv" in formats:
        message.attach(render.attachment_name(report, "csv"), figures_csv(report), "text/csv")
    if "xlsx" in formats:
        message.attach(render.attachment_name(report, "xlsx"), figures_xlsx(report),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return message


def figures_csv(report) -> bytes:
    """The report's figures as CSV, formulas neutralised (``reports.exports``)."""
    from reports.reporting import render

    return to_csv(render.figures_frame(report), render.preamble(report))


def figures_xlsx(report) -> bytes:
    from reports.reporting import render

    return to_xlsx(render.figures_frame(report), "Report figures", render.preamble(report))


def deliver(run_id: int, now: datetime | None = None) -> str:
    """One delivery try of run ``run_id`` if it is due: claim it (pending/retrying → sending),
    render if not yet rendered, send, and record the outcome. Returns the new status, or ""
    when another sender holds it or it is not due."""
    now = now or timezone.now()
    claimed = ReportRun.objects.filter(
        Q(status=RunStatus.PENDING) | Q(status=RunStatus.RETRYING,
                                        next_attempt_at__lte=now), pk=run_id,
    ).update(status=RunStatus.SENDING)
    if claimed != 1:
        return ""
    run = ReportRun.objects.select_related("schedule__stakeholder", "stakeholder").get(pk=run_id)
    schedule = run.schedule
    attempts = run.attempts + 1
    try:
        if schedule is None:
            raise RuntimeError("The schedule of this run was deleted.")
        period = _period_of_run(run)
        report = render_run(run, schedule, period, now=now)
        email_message(run, report, schedule.formats).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        log.warning("Report run %s failed (try %s): %s", run_id, attempts, exc)
        final = attempts >= max_attempts()
        fields = {"attempts": attempts, "error": f"Try {attempts}: {type(exc).__name__}: {exc}",
                  "status": RunStatus.FAILED if final else RunStatus.RETRYING,
                  "next_attempt_at": None if final else now + timedelta(
                      seconds=backoff_s(attempts))}
        if run.html:
            fields.update(html=run.html, text=run.text, pdf=run.pdf, title=run.title)
        ReportRun.objects.filter(pk=run_id).update(**fields)
        if final:
            _tell_managers(run, fields["error"])
        return fields["status"]
    ReportRun.objects.filter(pk=run_id).update(
        status=RunStatus.SENT, attempts=attempts, sent_at=now, error="", next_attempt_at=None,
        html=run.html, text=run.text, pdf=run.pdf, title=run.title)
    return RunStatus.SENT


def _period_of_run(run: ReportRun):
    from reports.periods import resolve_period

    resolved = resolve_period("custom", run.period_start, run.time_zone, run.period_first_day,
                              run.period_last_day)
    return type(resolved)(key=run.template, label=run.period_label, start=resolved.start,
                          end=resolved.end, first_day=resolved.first_day,
                          last_day=resolved.last_day, partial=False)


def _tell_managers(run: ReportRun, error: str) -> None:
    addresses = list(get_user_model().objects.filter(
        Q(groups__name=MANAGER) | Q(is_superuser=True), is_active=True)
        .exclude(email="").values_list("email", flat=True).distinct())
    if not addresses:
        return
    try:
        send_mail(f"ContactMIS: report not delivered — {run.stakeholder}: {run.period_label}",
                  f"The {run.get_template_display()} report for {run.stakeholder} covering "
                  f"{run.period_label} could not be sent to {', '.join(run.recipients)} after "
                  f"{max_attempts()} tries.\n\nLast error: {error}\n\nSee the report archive to "
                  "send it again.", settings.DEFAULT_FROM_EMAIL, addresses)
    except Exception:  # noqa: BLE001 - the mail server is likely the problem; the UI shows it
        log.exception("Could not tell the managers about failed report run %s", run.pk)


def send_due_reports(now: datetime | None = None) -> list[int]:
    """Claim every due schedule, create its run for the period just ended and deliver it; then
    retry runs whose backoff has passed. Returns the ids of runs tried. Safe to run in several
    workers at once (see module docstring)."""
    now = now or timezone.now()
    tried = []
    due = ReportSchedule.objects.filter(active=True, next_run_at__lte=now).select_related(
        "stakeholder").order_by("next_run_at", "pk")
    for schedule in due:
        old = schedule.next_run_at
        new = compute_next_run(schedule, max(now, old))
        if ReportSchedule.objects.filter(pk=schedule.pk, next_run_at=old).update(
                next_run_at=new) != 1:
            continue  # another sender claimed it
        period = _period_for(schedule, old)
        run = _new_run(schedule, period, "schedule", now)
        try:
            with transaction.atomic():
                run.save()
        except IntegrityError:
            continue  # this period was already sent
        deliver(run.pk, now=now)
        tried.append(run.pk)
    retry = ReportRun.objects.filter(status=RunStatus.RETRYING, next_attempt_at__lte=now
                                     ).values_list("pk", flat=True)
    for run_id in list(retry):
        if deliver(run_id, now=now):
            tried.append(run_id)
    return tried


def retry_failed(run: ReportRun, now: datetime | None = None) -> str:
    """Try a failed run once more, on a manager's request."""
    if ReportRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).update(
            status=RunStatus.PENDING) != 1:
        return ""
    return deliver(run.pk, now=now)


def send_now(schedule: ReportSchedule, now: datetime | None = None) -> ReportRun:
    """Build and send the report of the period that ended most recently, now, outside the
    schedule (does not move ``next_run_at``)."""
    now = now or timezone.now()
    period = _period_for(schedule, now)
    run = _new_run(schedule, period, "manual", now)
    run.save()
    deliver(run.pk, now=now)
    run.refresh_from_db()
    return run


def send_now_plan(schedule: ReportSchedule, now: datetime | None = None) -> dict:
    """What "Send now" would send, for the confirmation page: the period it covers and who
    receives it (nothing is built or sent)."""
    now = now or timezone.now()
    period = _period_for(schedule, now)
    return {"period_label": period.label, "recipients": schedule.recipients(),
            "template": schedule.get_template_display(), "stakeholder": schedule.stakeholder}


def preview(schedule: ReportSchedule, now: datetime | None = None) -> ReportRun:
    """Build the report as it would be sent now and keep it in the archive without sending."""
    now = now or timezone.now()
    period = _period_for(schedule, now)
    run = _new_run(schedule, period, "preview", now)
    render_run(run, schedule, period, now=now)
    run.save()
    return run


# --- reads ----------------------------------------------------------------------------------

def schedule_list(user):
    return (ReportSchedule.objects.filter(stakeholder__in=Stakeholder.objects.visible_to(user))
            .select_related("stakeholder").prefetch_related("queues"))


def schedule_get(user, pk) -> ReportSchedule:
    obj = schedule_list(user).filter(pk=pk).first()
    if obj is None:
        raise Http404("No such schedule.")
    return obj


def run_list(user):
    """Runs ``user`` may see: all for managers and analysts, a viewer only its stakeholder's."""
    qs = ReportRun.objects.select_related("stakeholder", "schedule").defer("html", "text", "pdf")
    if can_read_all(user):
        return qs
    stakeholder = stakeholder_of_user(user)
    if stakeholder is None:
        return qs.none()
    return qs.filter(stakeholder=stakeholder)


def run_get(user, pk) -> ReportRun:
    obj = ReportRun.objects.filter(pk__in=run_list(user).values("pk"), pk=pk).select_related(
        "stakeholder", "schedule").first()
    if obj is None:
        raise Http404("No such report.")
    return obj


def failed_runs(user):
    return run_list(user).filter(status=RunStatus.FAILED)


__all__ = ["UTC", "backoff_s", "deliver", "preview", "run_get", "run_list", "schedule_get",
           "schedule_list", "schedule_save", "send_due_reports", "send_now", "send_now_plan"]
