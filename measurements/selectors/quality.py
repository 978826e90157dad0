"""Reads for measurement tests and the data-collection monitor.

Dates are the centre's local calendar dates; ``local_minute`` is minutes after local midnight;
datetimes are UTC. Volumes come from the interval rollups (never a scan of raw contacts), except
the segmentation check, which must look at the contacts themselves.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.db.models import Count, Q, Sum
from django.utils import timezone

from ..constants import INTERVAL_S, BatchStatus, Cadence
from ..models import (
    Alert,
    Contact,
    DataSource,
    ImportBatch,
    IntervalStat,
    MeasurementConfig,
    MeasurementTest,
    MonitorSettings,
    RejectedRow,
    RunStatus,
    SurveyResponse,
    TestRun,
)

CADENCE_HOURS = {Cadence.HOURLY: 1, Cadence.DAILY: 24, Cadence.WEEKLY: 168,
                 Cadence.MONTHLY: 24 * 31}
STEP_MIN = INTERVAL_S // 60
EXAMPLES = 5


def live_sources(centre):
    """The centre's data sources (sandboxes of known-answer tests never persist)."""
    return DataSource.objects.filter(centre=centre).order_by("name")


def monitor_settings(centre) -> MonitorSettings:
    return MonitorSettings.objects.get_or_create(centre=centre)[0]


def test_list(centre):
    return (MeasurementTest.objects.filter(centre=centre)
            .select_related("config__metric", "config__step", "pathway", "source")
            .prefetch_related("runs").order_by("name", "pk"))


def test_latest_runs(centre) -> dict[int, TestRun]:
    """The latest run of each test of the centre, by test id."""
    latest = {}
    for run in TestRun.objects.filter(test__centre=centre).order_by("test_id", "-started_at",
                                                                    "-pk"):
        latest.setdefault(run.test_id, run)
    return latest


def opening_minutes(centre, day: dt.date) -> list[int]:
    """Interval starts (minutes after local midnight) within the centre's opening hours."""
    spans = (centre.opening_hours or {}).get(str(day.weekday()), [])
    out = []
    for begin, end in spans:
        b = int(begin[:2]) * 60 + int(begin[3:])
        e = int(end[:2]) * 60 + int(end[3:])
        out += list(range(b - b % STEP_MIN, e, STEP_MIN))
    return sorted(set(out))


def daily_volume(source, first=None, last=None) -> dict[dt.date, int]:
    """Contacts per local date: IVR sessions where the source has an IVR, else offered."""
    qs = IntervalStat.objects.filter(source=source)
    if first:
        qs = qs.filter(local_date__gte=first)
    if last:
        qs = qs.filter(local_date__lte=last)
    rows = list(qs.values("local_date").annotate(ivr=Sum("ivr_sessions"), off=Sum("offered"))
                .order_by("local_date"))
    use_ivr = any(r["ivr"] for r in rows)
    return {r["local_date"]: int((r["ivr"] if use_ivr else r["off"]) or 0) for r in rows}


def missing_intervals(source, first: dt.date, last: dt.date):
    """``(missing, expected)``: the (local date, local minute) intervals within opening hours
    from ``first`` to ``last`` with no data from ``source``, and how many were expected."""
    have = set(IntervalStat.objects.filter(source=source, local_date__gte=first,
                                           local_date__lte=last)
               .filter(Q(offered__gt=0) | Q(ivr_sessions__gt=0))
               .values_list("local_date", "local_minute").distinct())
    centre = source.centre
    missing, expected = [], 0
    day = first
    while day <= last:
        for minute in opening_minutes(centre, day):
            expected += 1
            if (day, minute) not in have:
                missing.append((day, minute))
        day += dt.timedelta(days=1)
    return missing, expected


def missing_days(source, first: dt.date, last: dt.date) -> list[dt.date]:
    """Days with opening hours between ``first`` and ``last`` on which the source sent nothing."""
    volume = daily_volume(source, first, last)
    out, day = [], first
    while day <= last:
        if opening_minutes(source.centre, day) and not volume.get(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def volume_anomalies(volume: dict[dt.date, int], ratio: float) -> list[dict]:
    """Days whose volume is above ``ratio`` × or below 1/``ratio`` × the median volume of the
    same weekday (over the days given); each ``{"date", "volume", "usual", "ratio"}``."""
    by_weekday = defaultdict(list)
    for day, n in volume.items():
        if n:
            by_weekday[day.weekday()].append(n)
    out = []
    for day, n in sorted(volume.items()):
        usual = statistics.median(by_weekday[day.weekday()]) if by_weekday[day.weekday()] else 0
        if usual <= 0 or len(by_weekday[day.weekday()]) < 3:
            continue
        r = n / usual
        if r > ratio or r < 1 / ratio:
            out.append({"date": day, "volume": n, "usual": usual, "ratio": round(r, 2)})
    return out


def segmentation_check(source) -> list[dict]:
    """Per segment dimension, the contacts of ``source`` that could not be assigned to it:
    ``{"dimension", "unassigned", "total", "share", "examples"}`` (share 0..1). A contact that
    ended in the IVR needs no queue; any other contact without one is unassigned."""
    contacts = Contact.objects.filter(source=source)
    total = contacts.count()
    dims = [
        ("queue", Q(queue__isnull=True) & ~Q(outcome__in=("self_served", "abandoned"))),
        ("channel", Q(channel="")),
        ("contact type", Q(contact_type="")),
        ("customer segment", Q(customer_segment="")),
    ]
    out = []
    for label, cond in dims:
        hits = contacts.filter(cond)
        n = hits.count()
        out.append({"dimension": label, "unassigned": n, "total": total,
                    "share": n / total if total else 0.0,
                    "examples": list(hits.values_list("external_id", flat=True)[:EXAMPLES])})
    return out


def source_health(source, now=None) -> dict:
    """Everything the monitor shows for one source (see the monitor page)."""
    now = now or timezone.now()
    settings_ = monitor_settings(source.centre)
    batches = list(ImportBatch.objects.filter(source=source).order_by("created_at", "pk"))
    loaded = [b for b in batches if b.status == BatchStatus.LOADED]
    last = batches[-1] if batches else None
    due_h = CADENCE_HOURS.get(source.expected_cadence, 24) + settings_.stale_after_h
    age_h = (now - last.created_at).total_seconds() / 3600 if last else None
    volume = daily_volume(source)
    first_day = min(volume) if volume else None
    last_day = max(volume) if volume else None
    gaps = missing_days(source, first_day, last_day) if volume else []
    missing, expected = (missing_intervals(source, first_day, last_day) if volume
                         else ([], 0))
    rejected_reasons = list(
        RejectedRow.objects.filter(batch__source=source).values("reason")
        .annotate(n=Count("id")).order_by("-n")[:10])
    notes = defaultdict(lambda: {"count": 0, "action": ""})
    for b in loaded:
        for note in b.notes or []:
            notes[note["code"]]["count"] += note.get("count", 0)
            notes[note["code"]]["action"] = note.get("action", "")
    late = []
    latest_end = None
    for b in loaded:
        if latest_end and b.period_end and b.period_end < latest_end:
            late.append(b)
        if b.period_end:
            latest_end = max(latest_end, b.period_end) if latest_end else b.period_end
    rows_read = sum(b.rows_read for b in batches)
    rejected = sum(b.rows_rejected for b in batches)
    surveys = SurveyResponse.objects.filter(source=source).aggregate(
        n=Count("id"), matched=Count("id", filter=Q(contact__isnull=False)),
        commented=Count("id", filter=~Q(comment="")))
    handled = IntervalStat.objects.filter(source=source).aggregate(h=Sum("handled"))["h"] or 0
    return {
        "source": source,
        "last": last,
        "age_h": age_h,
        "due_h": due_h,
        "stale": age_h is not None and age_h > due_h,
        "period_start": min((b.period_start for b in loaded if b.period_start), default=None),
        "period_end": max((b.period_end for b in loaded if b.period_end), default=None),
        "batches": len(batches),
        "failed": sum(1 for b in batches if b.status == BatchStatus.FAILED),
        "rows_read": rows_read,
        "rejected": rejected,
        "reject_share": rejected / rows_read if rows_read else 0.0,
        "rejected_reasons": rejected_reasons,
        "duplicates": sum(b.duplicates_skipped for b in batches),
        "duplicate_files": sum(1 for b in batches if b.status == BatchStatus.DUPLICATE),
        "corrected": sum(b.contacts_replaced for b in loaded),
        "late": late,
        "notes": dict(notes),
        "volume": volume,
        "missing_days": gaps,
        "missing_intervals": len(missing),
        "expected_intervals": expected,
        "anomalies": volume_anomalies(volume, settings_.volume_ratio),
        "surveys": surveys["n"],
        "survey_matched": surveys["matched"],
        "survey_response_rate": (surveys["matched"] / handled) if handled and surveys["n"]
        else None,
        "comment_coverage": (surveys["commented"] / surveys["n"]) if surveys["n"] else None,
        "segmentation": segmentation_check(source),
    }


def monitor_timeline(healths: list[dict]) -> dict:
    """A Plotly figure (plain JSON) of contacts per day for each source, with missing days and
    volume anomalies marked."""
    data = []
    for h in healths:
        days = sorted(h["volume"])
        name = h["source"].name
        data.append({"type": "bar", "name": f"{name}: contacts per day",
                     "x": [f"{d:%Y-%m-%d}" for d in days], "y": [h["volume"][d] for d in days]})
        if h["missing_days"]:
            data.append({"type": "scatter", "mode": "markers", "name": f"{name}: no data",
                         "x": [f"{d:%Y-%m-%d}" for d in h["missing_days"]],
                         "y": [0] * len(h["missing_days"]),
                         "marker": {"symbol": "x", "size": 12, "color": "#b42318"}})
        if h["anomalies"]:
            data.append({"type": "scatter", "mode": "markers", "name": f"{name}: unusual volume",
                         "x": [f"{a['date']:%Y-%m-%d}" for a in h["anomalies"]],
                         "y": [a["volume"] for a in h["anomalies"]],
                         "text": [f"{a['ratio']}× the usual {a['date']:%A}"
                                  for a in h["anomalies"]],
                         "marker": {"symbol": "diamond", "size": 11, "color": "#b54708"}})
    layout = {"barmode": "group", "height": 360, "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
              "legend": {"orientation": "h"}, "yaxis": {"title": "contacts"},
              "xaxis": {"type": "date"}}
    return {"data": data, "layout": layout}


def alerts_open(centre):
    return Alert.objects.filter(centre=centre, resolved_at__isnull=True).order_by("-created_at")


def quality_caveats(scope, start, end, centre=None) -> list[str]:
    """Sentences a KPI figure for ``start``–``end`` (local dates, inclusive, or UTC datetimes)
    must carry: failed or errored measurement tests whose data period overlaps it (within
    ``scope``), and open data-collection alerts for it. Empty when the data is sound."""
    if isinstance(start, dt.datetime):
        start, end = start.date(), end.date()
    configs = MeasurementConfig.objects.restrict(scope).values("pk")
    runs = TestRun.objects.filter(status__in=(RunStatus.FAILED, RunStatus.ERRORED))
    if centre is not None:
        runs = runs.filter(test__centre=centre)
    latest = {}
    for run in (TestRun.objects.filter(test__in=runs.values("test"))
                .filter(Q(test__config__isnull=True) | Q(test__config__in=configs))
                .select_related("test").order_by("test_id", "-started_at", "-pk")):
        latest.setdefault(run.test_id, run)
    out = []
    for run in latest.values():
        if run.status == RunStatus.PASSED:
            continue
        if run.period_start and run.period_end:
            tz = run.test.centre.tz
            rs = timezone.localtime(run.period_start, tz).date()
            re_ = timezone.localtime(run.period_end, tz).date()
            if re_ < start or rs > end:
                continue
        out.append(f"Measurement test “{run.test.name}” {run.get_status_display().lower()} on "
                   f"{timezone.localtime(run.started_at):%Y-%m-%d %H:%M}: {run.message}")
    alerts = Alert.objects.filter(resolved_at__isnull=True)
    if centre is not None:
        alerts = alerts.filter(centre=centre)
    for alert in alerts.exclude(code="test_failed"):
        if alert.period_start and alert.period_end and (
                alert.period_end.date() < start or alert.period_start.date() > end):
            continue
        out.append(f"Data collection: {alert.message}")
    return out
