"""Data-collection monitor: turn each source's health into alerts, and email new ones to the
centre's managers (text and HTML parts). Thresholds are the manager's
(:class:`measurements.models.MonitorSettings`)."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from contactmis.roles import MANAGER

from ..models import Alert, AlertSeverity, ClosedDay, RunStatus
from ..selectors.quality import (
    live_sources,
    monitor_settings,
    source_health,
    unassigned_share_limit,
)

# Importer notes that describe defects in the data itself (not what the importer did for
# housekeeping), raised as alerts with their counts.
DEFECT_NOTES = {
    "negative_vru_time": "negative IVR times (IVR exit before entry)",
    "no_server_agent": "agent records without an agent",
    "very_long_span": "queue waits or service times over 3 hours",
    "agent_zero_service": "agent-served records with 0 s service",
    "hang_with_service": "hang-ups with a service time",
}


def monitor_settings_update(centre, **values):
    obj = monitor_settings(centre)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj


def closed_day_save(closed_day: ClosedDay) -> ClosedDay:
    """Validate and save a closed day (a second entry for the same date is refused with a
    message naming the date)."""
    clash = ClosedDay.objects.filter(centre=closed_day.centre, date=closed_day.date).exclude(
        pk=closed_day.pk).first()
    if clash is not None:
        raise ValidationError({"date": f"{closed_day.date:%a %d %b %Y} is already a closed day"
                                       f"{' (' + clash.name + ')' if clash.name else ''}."})
    closed_day.full_clean(validate_constraints=False)
    closed_day.save()
    return closed_day


def closed_days_load(centre, days: dict[dt.date, str]) -> int:
    """Mark ``days`` (date → name) closed; dates already marked keep their entry. Returns how
    many were added."""
    have = set(ClosedDay.objects.filter(centre=centre, date__in=list(days))
               .values_list("date", flat=True))
    new = [ClosedDay(centre=centre, date=d, name=name[:120]) for d, name in sorted(days.items())
           if d not in have]
    ClosedDay.objects.bulk_create(new)
    return len(new)


def closed_day_delete(closed_day: ClosedDay) -> None:
    closed_day.delete()


def _midnight(day: dt.date, tz) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def findings(health: dict, thresholds) -> list[dict]:
    """The alert-worthy findings of one source's health: ``{"code", "key", "severity",
    "message", "period_start", "period_end"}``."""
    source = health["source"]
    tz = source.centre.tz
    out = []

    def add(code, key, message, severity=AlertSeverity.WARNING, day=None, last=None):
        start = _midnight(day, tz) if day else None
        end = _midnight((last or day) + dt.timedelta(days=1), tz) if day else None
        out.append({"code": code, "key": f"{source.pk}:{code}:{key}"[:200],
                    "severity": severity, "message": f"{source.name}: {message}",
                    "period_start": start, "period_end": end})

    if health["stale"]:
        add("stale", f"{health['last'].pk}",
            f"no data received for {health['age_h']:.0f} h (expected every "
            f"{health['due_h'] - thresholds.stale_after_h} h plus {thresholds.stale_after_h} h "
            "grace)", AlertSeverity.FAILURE)
    for day in health["missing_days"]:
        add("missing_day", f"{day}", f"no data at all on {day:%a %d %b %Y}, a day with "
            "opening hours", AlertSeverity.FAILURE, day)
    for first, last in health["uncovered"]:
        add("uncovered", f"{first}:{last}",
            f"no file covers {first:%d %b %Y} – {last:%d %b %Y} (between the periods of the "
            "files received)", AlertSeverity.WARNING, first, last)
    if health["missing_intervals"] > thresholds.missing_intervals:
        add("missing_intervals", "open",
            f"{health['missing_intervals']} of {health['expected_intervals']} intervals in "
            "opening hours have no data")
    for a in health["anomalies"]:
        when = f"{a['date']:%a %d %b %Y}" + (f" {a['hours']}" if a["hours"] else "")
        add("volume_anomaly", f"{a['date']}",
            f"{a['volume']:,} contacts on {when}, {a['ratio']}× the usual for that "
            f"{'weekday and hour' if a['hours'] else 'weekday'} ({a['usual']:,.0f})",
            AlertSeverity.WARNING, a["date"])
    # Rejected rows are judged per file against the source's own limit when the file is
    # loaded (:func:`batch_rejects_alert`), not here.
    if health["failed"]:
        add("failed_imports", "open", f"{health['failed']} import(s) failed",
            AlertSeverity.FAILURE)
    for code, label in DEFECT_NOTES.items():
        note = health["notes"].get(code)
        if note and note["count"]:
            add("ingest_note", code,
                f"{note['count']:,} {label} — {note['action']}")
    limit = unassigned_share_limit(thresholds)
    for seg in health["segmentation"]:
        found = unassigned_finding(seg, limit)
        if found:
            add("unassigned", seg["key"], found["message"], AlertSeverity.WARNING,
                found["first"], found["last"])
    return out


# Dimensions whose values another feed can carry to a feed's calls (the IVR's chosen reason
# and the segment of the customer it identified).
CARRIED_BY_IVR = {"contact_type", "customer_segment"}


def unassigned_finding(seg: dict, limit: float) -> dict | None:
    """The alert, in plain words, for one dimension of a feed's segmentation check (see
    :func:`measurements.selectors.quality.segmentation_check`) when more than ``limit`` (0..1)
    of a month's contacts have no value: ``{"message", "first", "last"}`` (first and last local
    day of the months above the limit), else ``None``."""
    above = [(month, n, total) for month, n, total in seg["months"]
             if total and n / total > limit]
    if not above:
        return None
    month, n, total = above[-1]
    label = seg["dimension"]
    message = (f"{label} is unassigned for {_percent(n / total)} % of the contacts of "
               f"{month:%B %Y} ({n:,} of {total:,}), above the {_percent(limit)} % limit")
    if len(above) > 1:
        message += (f"; also above it in {len(above) - 1} earlier month(s), since "
                    f"{above[0][0]:%B %Y}")
    if seg["key"] == "site":  # a queue's site is the manager's to set, not the feed's
        message += ". Their queues are not placed at a site yet (set it on each queue)"
    elif seg["unassigned"] == seg["total"]:
        message += ". This feed carries no " + label
        if seg["key"] in CARRIED_BY_IVR:
            message += ("; an IVR sessions export with the caller's reason and segment gives "
                        "them to its calls")
    message += (f". Reports and dashboards grouped by {label} show these contacts as "
                "unassigned.")
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return {"message": message[0].upper() + message[1:], "first": above[0][0], "last": last}


def monitor_check(centre, *, now=None, email=True, recount=True) -> list[Alert]:
    """Check every source of ``centre``; store new alerts and email them. Returns new alerts.
    ``recount`` false (the check after an import): the segmentation check counts again only
    the months imports touched since the last check; true: every month."""
    thresholds = monitor_settings(centre)
    # Alerts raised when a file was loaded (too many rejected rows) go out with this check.
    new = list(Alert.objects.filter(centre=centre, code=BATCH_REJECTS, emailed_at__isnull=True,
                                    resolved_at__isnull=True))
    for source in live_sources(centre):
        health = source_health(source, now=now, recount=recount)
        found = findings(health, thresholds)
        # A dimension now assigned well enough (the IVR's values carried, a mapping fixed):
        # its alert is resolved.
        Alert.objects.filter(centre=centre, source=source, code="unassigned",
                             resolved_at__isnull=True).exclude(
            key__in=[f["key"] for f in found]).update(resolved_at=timezone.now())
        for f in found:
            alert, created = Alert.objects.get_or_create(
                centre=centre, key=f["key"],
                defaults={"source": source, "source_name": source.name, "code": f["code"],
                          "severity": f["severity"], "message": f["message"],
                          "period_start": f["period_start"], "period_end": f["period_end"]})
            if created:
                new.append(alert)
            elif f["code"] == "unassigned" and alert.resolved_at is not None:
                # Unassigned again after it was resolved: the same alert, open and new again.
                alert.message, alert.resolved_at, alert.emailed_at = f["message"], None, None
                alert.period_start, alert.period_end = f["period_start"], f["period_end"]
                alert.save()
                new.append(alert)
            elif alert.message != f["message"] and alert.resolved_at is None:
                # The same problem with new figures (counts grow as files arrive): keep one
                # alert up to date rather than raising another.
                alert.message = f["message"]
                alert.period_start, alert.period_end = f["period_start"], f["period_end"]
                alert.save(update_fields=["message", "period_start", "period_end"])
    from ..models import SourceFollow

    for follow in SourceFollow.objects.filter(source__centre=centre, enabled=True) \
            .select_related("source__centre"):
        alert = follow_silence_alert(follow, now=now)
        if alert is not None and alert.emailed_at is None:
            new.append(alert)
    if email and thresholds.email:
        alerts_email(centre, new)
    return new


BATCH_REJECTS = "batch_rejects"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}".rstrip("0").rstrip(".")


def batch_rejects_alert(batch) -> Alert | None:
    """Raise (or update) the data-collection alert of a loaded ``batch`` whose share of
    rejected rows is above its source's limit (``DataSource.reject_alert_share``); resolve it
    when a reload brings the share under the limit. Returns the open alert or ``None``."""
    source = batch.source
    key = f"{source.pk}:{BATCH_REJECTS}:{batch.pk}"
    share = batch.reject_share
    limit = source.reject_alert_share
    if share is None or share <= limit:
        Alert.objects.filter(centre=source.centre, key=key, resolved_at__isnull=True) \
            .update(resolved_at=timezone.now())
        return None
    message = (f"{source.name}: {batch.original_name} — {batch.rows_rejected:,} of "
               f"{batch.rows_read:,} rows rejected ({_percent(share)} %), above the source's "
               f"limit of {_percent(limit)} %")
    alert, created = Alert.objects.get_or_create(
        centre=source.centre, key=key,
        defaults={"source": source, "source_name": source.name, "code": BATCH_REJECTS,
                  "severity": AlertSeverity.WARNING, "message": message,
                  "period_start": batch.period_start, "period_end": batch.period_end})
    if not created and (alert.message != message or alert.resolved_at is not None):
        alert.message, alert.resolved_at = message, None
        alert.save(update_fields=["message", "resolved_at"])
    return alert


FOLLOW_SILENT = "follow_silent"


def follow_silence_alert(follow, now=None) -> Alert | None:
    """Raise the data-collection alert of a followed source silent longer than its quiet time
    (``SourceFollow.quiet_s``), emailed to the managers once; resolve it when lines flow again.
    Returns the open alert or ``None``."""
    from ..selectors.live import source_follow_health

    source = follow.source
    health = source_follow_health(follow, now or timezone.now())
    key = f"{source.pk}:{FOLLOW_SILENT}"
    if not health.stale:
        Alert.objects.filter(centre=source.centre, key=key, resolved_at__isnull=True) \
            .update(resolved_at=timezone.now())
        return None
    silent = ("has sent no line since it was first followed" if health.silent_s is None
              else f"has sent no new line for {int(health.silent_s):,} s")
    message = (f"{source.name} (followed live from its log) {silent}; its quiet time is "
               f"{follow.quiet_s:,} s. Live figures are stale.")
    alert, created = Alert.objects.get_or_create(
        centre=source.centre, key=key,
        defaults={"source": source, "source_name": source.name, "code": FOLLOW_SILENT,
                  "severity": AlertSeverity.FAILURE, "message": message})
    if not created and alert.resolved_at is not None:
        alert.message, alert.resolved_at, alert.emailed_at = message, None, None
        alert.save(update_fields=["message", "resolved_at", "emailed_at"])
        created = True
    if created and monitor_settings(source.centre).email:
        alerts_email(source.centre, [alert])
    return alert


def alert_for_run(run) -> Alert | None:
    """Open (or re-open) the alert of a failed/errored test run; resolve it when it passes."""
    test = run.test
    key = f"test:{test.pk}"
    if run.status == RunStatus.PASSED:
        Alert.objects.filter(centre=test.centre, key=key, resolved_at__isnull=True) \
            .update(resolved_at=timezone.now())
        return None
    message = f"Measurement test “{test.name}” {run.get_status_display().lower()}: {run.message}"
    alert, created = Alert.objects.get_or_create(
        centre=test.centre, key=key,
        defaults={"code": "test_failed", "severity": AlertSeverity.FAILURE, "message": message,
                  "source": test.source, "source_name": test.source_name,
                  "period_start": run.period_start, "period_end": run.period_end})
    if not created:
        reopened = alert.resolved_at is not None
        alert.message, alert.resolved_at = message, None
        alert.period_start, alert.period_end = run.period_start, run.period_end
        if reopened:
            alert.emailed_at = None
        alert.save()
    return alert


def alerts_email(centre, alerts) -> int:
    """Email ``alerts`` not yet emailed to the managers (one message); returns recipients."""
    alerts = [a for a in alerts if a.emailed_at is None]
    if not alerts:
        return 0
    users = get_user_model().objects.filter(is_active=True).exclude(email="").filter(
        Q(groups__name=MANAGER) | Q(is_superuser=True)).distinct()
    recipients = sorted({u.email for u in users})
    if not recipients:
        return 0
    context = {"centre": centre, "alerts": alerts}
    subject = f"[ContactMIS] {len(alerts)} data-collection alert(s) for {centre}"
    message = EmailMultiAlternatives(
        subject, render_to_string("measurements/quality/alerts_email.txt", context),
        to=recipients)
    message.attach_alternative(
        render_to_string("measurements/quality/alerts_email.html", context), "text/html")
    message.send()
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(emailed_at=timezone.now())
    return len(recipients)


def alert_resolve(alert) -> Alert:
    alert.resolved_at = timezone.now()
    alert.save(update_fields=["resolved_at"])
    return alert
