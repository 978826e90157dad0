"""Reads for measurement tests and the data-collection monitor.

Dates are the centre's local calendar dates; ``local_minute`` is minutes after local midnight;
datetimes are UTC. Volumes come from the interval rollups (never a scan of raw contacts), except
the segmentation check, which must look at the contacts themselves.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

from django.conf import settings
from django.db import connections
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from ..constants import INTERVAL_S, BatchStatus, Cadence
from ..models import (
    Alert,
    ClosedDay,
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
            .select_related("config__metric", "config__step__pathway", "pathway", "source")
            .order_by("name", "pk"))


def test_latest_runs(centre, tests=None) -> dict[int, TestRun]:
    """The latest run of each test of the centre (or of the ``tests`` queryset), by test id."""
    tests = MeasurementTest.objects.filter(centre=centre) if tests is None else tests
    newest = TestRun.objects.filter(test=OuterRef("pk")).order_by("-started_at", "-pk")
    ids = [i for i in tests.annotate(last=Subquery(newest.values("pk")[:1]))
           .values_list("last", flat=True) if i]
    return {r.test_id: r for r in TestRun.objects.filter(pk__in=ids).select_related("test")}


def closed_days(centre, first: dt.date | None = None, last: dt.date | None = None
                ) -> set[dt.date]:
    """The centre's closed days (holidays, closures) from ``first`` to ``last`` inclusive."""
    qs = ClosedDay.objects.filter(centre=centre)
    if first:
        qs = qs.filter(date__gte=first)
    if last:
        qs = qs.filter(date__lte=last)
    return set(qs.values_list("date", flat=True))


def closed_day_list(centre):
    return ClosedDay.objects.filter(centre=centre).order_by("date")


def opening_minutes(centre, day: dt.date, closed: set | frozenset = frozenset()) -> list[int]:
    """Interval starts (minutes after local midnight) within the centre's opening hours; none
    on a day in ``closed`` (see :func:`closed_days`)."""
    if day in closed:
        return []
    spans = (centre.opening_hours or {}).get(str(day.weekday()), [])
    out = []
    for begin, end in spans:
        b = int(begin[:2]) * 60 + int(begin[3:])
        e = int(end[:2]) * 60 + int(end[3:])
        out += list(range(b - b % STEP_MIN, e, STEP_MIN))
    return sorted(set(out))


def volume_rows(source) -> list[tuple[dt.date, int, int, int]]:
    """``(local date, local minute, IVR sessions, offered)`` of every interval ``source`` has
    data for, summed over its segments, in date and minute order: what the monitor's volume
    checks (:func:`daily_volume`, :func:`missing_intervals`, :func:`usual_interval_volume`,
    :func:`hourly_volume`) count, read once for all of them. Read by the cursor: a feed's
    year is tens of thousands of rows, and a date is parsed once, not once a row."""
    qs = (IntervalStat.objects.filter(source=source).values("local_date", "local_minute")
          .annotate(ivr=Sum("ivr_sessions"), off=Sum("offered")).order_by("local_date",
                                                                          "local_minute"))
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    days = {}
    out = []
    for day, minute, ivr, off in raw:
        if day not in days:
            days[day] = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
        out.append((days[day], int(minute), int(ivr or 0), int(off or 0)))
    return out


def _rows_between(rows, first=None, last=None):
    return [r for r in rows if (first is None or r[0] >= first) and (last is None or r[0] <= last)]


def daily_volume(source, first=None, last=None, rows=None) -> dict[dt.date, int]:
    """Contacts per local date: IVR sessions where the source has an IVR, else offered.
    ``rows``: the source's :func:`volume_rows` when already read."""
    if rows is None:
        qs = IntervalStat.objects.filter(source=source)
        if first:
            qs = qs.filter(local_date__gte=first)
        if last:
            qs = qs.filter(local_date__lte=last)
        rows = list(qs.values("local_date").annotate(ivr=Sum("ivr_sessions"),
                                                      off=Sum("offered"))
                    .order_by("local_date"))
        use_ivr = any(r["ivr"] for r in rows)
        return {r["local_date"]: int((r["ivr"] if use_ivr else r["off"]) or 0) for r in rows}
    rows = _rows_between(rows, first, last)
    use_ivr = any(r[2] for r in rows)
    out = {}
    for day, _, ivr, off in rows:
        out[day] = out.get(day, 0) + (ivr if use_ivr else off)
    return out


def missing_intervals(source, first: dt.date, last: dt.date, rows=None):
    """``(missing, expected)``: the (local date, local minute) intervals within opening hours
    from ``first`` to ``last`` with no data from ``source``, and how many were expected.
    ``rows``: the source's :func:`volume_rows` when already read."""
    if rows is None:
        have = set(IntervalStat.objects.filter(source=source, local_date__gte=first,
                                               local_date__lte=last)
                   .filter(Q(offered__gt=0) | Q(ivr_sessions__gt=0))
                   .values_list("local_date", "local_minute").distinct())
    else:
        have = {(day, minute) for day, minute, ivr, off in _rows_between(rows, first, last)
                if off > 0 or ivr > 0}
    centre = source.centre
    closed = closed_days(centre, first, last)
    missing, expected = [], 0
    day = first
    while day <= last:
        for minute in opening_minutes(centre, day, closed):
            expected += 1
            if (day, minute) not in have:
                missing.append((day, minute))
        day += dt.timedelta(days=1)
    return missing, expected


def missing_days(source, first: dt.date, last: dt.date, rows=None) -> list[dt.date]:
    """Days with opening hours between ``first`` and ``last`` on which the source sent nothing
    (closed days excepted). ``rows``: the source's :func:`volume_rows` when already read."""
    volume = daily_volume(source, first, last, rows=rows)
    closed = closed_days(source.centre, first, last)
    out, day = [], first
    while day <= last:
        if opening_minutes(source.centre, day, closed) and not volume.get(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


#: An empty interval in opening hours counts as missing data only where the feed usually has at
#: least this many contacts in that interval of that weekday: an empty interval then happens by
#: chance less than 1 % of the time (Poisson). The quiet intervals of a small centre are often
#: empty for real, and an alert about them would be a false alarm.
MIN_USUAL_PER_INTERVAL = 5


def usual_interval_volume(source, days: set[dt.date], rows=None
                          ) -> dict[tuple[int, int], float]:
    """Mean contacts per (weekday, local minute) over ``days`` (counted like
    :func:`daily_volume`; a day of that weekday without any contact in it counts as 0).
    ``rows``: the source's :func:`volume_rows` when already read."""
    if not days:
        return {}
    if rows is None:
        rows = list(IntervalStat.objects.filter(source=source, local_date__gte=min(days),
                                                local_date__lte=max(days))
                    .values("local_date", "local_minute")
                    .annotate(ivr=Sum("ivr_sessions"), off=Sum("offered")))
    else:
        rows = [{"local_date": d, "local_minute": m, "ivr": i, "off": o}
                for d, m, i, o in _rows_between(rows, min(days), max(days))]
    use_ivr = any(r["ivr"] for r in rows)
    sums = defaultdict(int)
    for r in rows:
        if r["local_date"] in days:
            sums[(r["local_date"].weekday(), r["local_minute"])] += int(
                (r["ivr"] if use_ivr else r["off"]) or 0)
    per_weekday = defaultdict(int)
    for d in days:
        per_weekday[d.weekday()] += 1
    return {key: n / per_weekday[key[0]] for key, n in sums.items()}


def hourly_volume(source, rows=None) -> dict[tuple[dt.date, int], int]:
    """Contacts per (local date, local hour), counted like :func:`daily_volume`. ``rows``:
    the source's :func:`volume_rows` when already read."""
    if rows is None:
        rows = list(IntervalStat.objects.filter(source=source)
                    .values("local_date", "local_minute")
                    .annotate(ivr=Sum("ivr_sessions"), off=Sum("offered")))
    else:
        rows = [{"local_date": d, "local_minute": m, "ivr": i, "off": o} for d, m, i, o in rows]
    use_ivr = any(r["ivr"] for r in rows)
    out = defaultdict(int)
    for r in rows:
        out[(r["local_date"], r["local_minute"] // 60)] += int(
            (r["ivr"] if use_ivr else r["off"]) or 0)
    return dict(out)


# An hour or a day is only unusual when it is off by at least this many contacts as well (small
# numbers at night, or on a small queue, swing by large factors without meaning anything), and a
# day is only reported for its unusual hours when their excess is at least this share of the
# usual volume of that weekday.
MIN_EXCESS = 50
MIN_DAY_SHARE = 0.2


def volume_anomalies(volume: dict[dt.date, int], ratio: float,
                     hourly: dict | None = None) -> list[dict]:
    """Days whose volume departs from the usual pattern, each ``{"date", "volume", "usual",
    "ratio", "hours"}``:

    - the day's total is above ``ratio`` × or below 1/``ratio`` × the median of the same weekday
      (over the days given, at least three of them) and at least ``MIN_EXCESS`` contacts off
      it, or
    - some hours of the day (interval-of-week pattern, hourly) are above ``ratio`` × the median
      of the same weekday and hour and at least ``MIN_EXCESS`` contacts over it, together at
      least ``MIN_DAY_SHARE`` of the weekday's usual daily volume over; then
      ``volume``/``usual`` are the sums over those hours and ``hours`` names them.
    """
    by_weekday = defaultdict(list)
    for day, n in volume.items():
        if n:
            by_weekday[day.weekday()].append(n)
    found = {}
    for day, n in sorted(volume.items()):
        sample = by_weekday[day.weekday()]
        if len(sample) < 3:
            continue
        usual = statistics.median(sample)
        if usual > 0 and (n / usual > ratio or n / usual < 1 / ratio) and \
                abs(n - usual) >= MIN_EXCESS:
            found[day] = {"date": day, "volume": n, "usual": usual,
                          "ratio": round(n / usual, 2), "hours": ""}
    if hourly:
        by_slot = defaultdict(list)
        for (day, hour), n in hourly.items():
            by_slot[(day.weekday(), hour)].append(n)
        days_per_weekday = defaultdict(int)
        for d in {d for d, _ in hourly}:
            days_per_weekday[d.weekday()] += 1
        usual_of_slot = {}  # (weekday, hour) → median over that weekday's days (None: < 3)
        flagged = defaultdict(list)
        for (day, hour), n in sorted(hourly.items()):
            slot = (day.weekday(), hour)
            if slot not in usual_of_slot:
                weeks = list(by_slot[slot])
                weeks += [0] * (days_per_weekday[slot[0]] - len(weeks))
                usual_of_slot[slot] = statistics.median(weeks) if len(weeks) >= 3 else None
            usual = usual_of_slot[slot]
            if usual is None:
                continue
            if n > ratio * max(usual, 1) and n - usual >= MIN_EXCESS:
                flagged[day].append((hour, n, usual))
        for day, hours in flagged.items():
            n = sum(h[1] for h in hours)
            usual = sum(h[2] for h in hours)
            day_usual = statistics.median(by_weekday[day.weekday()] or [0])
            if day in found or n - usual < MIN_DAY_SHARE * day_usual:
                continue
            found[day] = {"date": day, "volume": n, "usual": usual,
                          "ratio": round(n / usual, 2) if usual else float(n),
                          "hours": ", ".join(f"{h:02d}:00–{h + 1:02d}:00" for h, _, _ in hours)}
    return [found[d] for d in sorted(found)]


#: The dimensions reports and widgets group contacts by (``reports.selectors.DIMENSIONS``, the
#: widgets' breakdowns) that a feed's contacts must carry: key → (words, "has no value"
#: condition on Contact). ``step`` and ``pathway`` come from the pathway map, ``agent`` and
#: ``team`` from agent legs, so the contacts cannot lack them.
SEGMENT_DIMENSIONS = {
    # A contact that ended in the IVR needs no queue.
    "queue": ("queue", Q(queue__isnull=True) & ~Q(outcome__in=("self_served", "abandoned"))),
    "channel": ("channel", Q(channel="")),
    "contact_type": ("contact type", Q(contact_type="")),
    "customer_segment": ("customer segment", Q(customer_segment="")),
    "site": ("site", Q(queue__isnull=False, queue__site="")),
}


def unassigned_share_limit(thresholds: MonitorSettings) -> float:
    """The share (0..1) of a month's contacts without a value above which the monitor alerts:
    the centre's own, else the installation's ``CONTACTMIS_UNASSIGNED_ALERT_SHARE``."""
    if thresholds.unassigned_share is not None:
        return thresholds.unassigned_share
    return settings.CONTACTMIS_UNASSIGNED_ALERT_SHARE


def segmentation_check(source, *, recount: bool = False) -> list[dict]:
    """Per dimension reports group by (:data:`SEGMENT_DIMENSIONS`), the contacts of ``source``
    that could not be assigned to it: ``{"key", "dimension", "unassigned", "total", "share",
    "examples", "months"}`` (share 0..1; ``months``: ``(first local day of the month,
    unassigned, total)`` in order, in the centre's time zone). An IVR session export is not
    checked for queues (the ACD export has them).

    From the monthly counts kept per source (:mod:`measurements.services.segmentation_months`):
    only the months an import touched since the last check are counted again, every month
    when ``recount``."""
    from pathways.models import Queue

    from ..services.segmentation_months import COUNTED, NO_QUEUE, segmentation_months

    contacts = Contact.objects.filter(source=source)
    dims = {k: v for k, v in SEGMENT_DIMENSIONS.items()
            if not (k == "queue" and source.kind == "ivr")}  # the queue is the ACD's business
    stored = segmentation_months(source, recount=recount)
    queues = {q for counts in stored.values() for q in counts if q != NO_QUEUE}
    no_site = {str(pk) for pk in Queue.objects.filter(pk__in=[int(q) for q in queues], site="")
               .values_list("pk", flat=True)}
    monthly = []
    for month, counts in stored.items():
        row = {"month": month, "total": sum(c[0] for c in counts.values()),
               **{f"u_{k}": sum(c[1 + i] for c in counts.values())
                  for i, k in enumerate(COUNTED)},
               "u_site": sum(c[0] for q, c in counts.items() if q in no_site)}
        monthly.append(row)
    total = sum(m["total"] for m in monthly)
    out = []
    for key, (label, cond) in dims.items():
        n = sum(m[f"u_{key}"] for m in monthly)
        out.append({"key": key, "dimension": label, "unassigned": n, "total": total,
                    "share": n / total if total else 0.0,
                    "examples": list(contacts.filter(cond).values_list(
                        "external_id", flat=True)[:EXAMPLES]) if n else [],
                    "months": [(m["month"], m[f"u_{key}"], m["total"]) for m in monthly]})
    return out


def _local_month(contacts, tz):
    """The first local day of the month each contact arrived in (``tz``), as a comparison of
    ``arrived_at`` with the months' first instants (UTC): the database compares, where a
    truncation in a time zone costs a call into Python per contact on SQLite."""
    span = contacts.aggregate(first=Min("arrived_at"), last=Max("arrived_at"))
    if span["first"] is None:
        return Value(None, output_field=DateField())
    first = timezone.localtime(span["first"], tz).date().replace(day=1)
    last = timezone.localtime(span["last"], tz).date()
    months = [first]
    while months[-1] <= last:
        month = months[-1]
        months.append(month.replace(year=month.year + month.month // 12,
                                    month=month.month % 12 + 1))
    rules = [When(arrived_at__lt=dt.datetime.combine(following, dt.time(), tz),
                  then=Value(month)) for month, following in zip(months, months[1:], strict=False)]
    return Case(*rules, default=Value(None), output_field=DateField())


def _month_day(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def source_health(source, now=None, *, recount: bool = False) -> dict:
    """Everything the monitor shows for one source (see the monitor page); ``recount``: the
    segmentation check counts every month again (:func:`segmentation_check`)."""
    now = now or timezone.now()
    settings_ = monitor_settings(source.centre)
    batches = list(ImportBatch.objects.filter(source=source).order_by("created_at", "pk"))
    loaded = [b for b in batches if b.status == BatchStatus.LOADED]
    last = batches[-1] if batches else None
    due_h = CADENCE_HOURS.get(source.expected_cadence, 24) + settings_.stale_after_h
    age_h = (now - last.created_at).total_seconds() / 3600 if last else None
    rows = volume_rows(source)  # one read for every volume check below
    volume = daily_volume(source, rows=rows)
    first_day = min(volume) if volume else None
    last_day = max(volume) if volume else None
    covered = _covered_days(loaded, source.centre.tz)
    gaps = [d for d in missing_days(source, first_day, last_day, rows=rows) if d in covered] \
        if volume else []
    missing, expected = (missing_intervals(source, first_day, last_day, rows=rows) if volume
                         else ([], 0))
    missing = [m for m in missing if m[0] in covered]
    closed = closed_days(source.centre, first_day, last_day) if volume else set()
    usual = usual_interval_volume(source, {d for d in covered if d not in closed
                                           and d in volume}, rows=rows)
    quiet = [m for m in missing
             if usual.get((m[0].weekday(), m[1]), 0.0) < MIN_USUAL_PER_INTERVAL]
    missing = [m for m in missing
               if usual.get((m[0].weekday(), m[1]), 0.0) >= MIN_USUAL_PER_INTERVAL]
    expected -= sum(len(opening_minutes(source.centre, d, closed))
                    for d in _days(first_day, last_day) if d not in covered) if volume else 0
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
        "reject_pct": round(100 * rejected / rows_read, 2) if rows_read else 0.0,
        "rejected_reasons": rejected_reasons,
        "duplicates": sum(b.duplicates_skipped for b in batches),
        "duplicate_files": sum(1 for b in batches if b.status == BatchStatus.DUPLICATE),
        "corrected": sum(b.contacts_replaced for b in loaded),
        "late": late,
        "notes": dict(notes),
        "volume": volume,
        "missing_days": gaps,
        # Days between two files' periods matter only when the centre was open on them (a
        # month's file of an ACD ends with its last call, often before a closed Sunday).
        "uncovered": _spans(sorted(d for d in set(_days(first_day, last_day)) - covered
                                   if opening_minutes(source.centre, d, closed))) if volume
        else [],
        "missing_intervals": len(missing),
        "quiet_intervals": len(quiet),
        "min_usual_per_interval": MIN_USUAL_PER_INTERVAL,
        "expected_intervals": expected,
        # A closed day's volume (the IVR's closed message, a trickle of e-mail) is neither
        # compared with the usual weekday nor part of what is usual.
        "anomalies": volume_anomalies(
            {d: n for d, n in volume.items() if d not in closed}, settings_.volume_ratio,
            {k: n for k, n in hourly_volume(source, rows=rows).items()
             if k[0] not in closed}),
        "closed_days": sorted(closed),
        "surveys": surveys["n"],
        "survey_matched": surveys["matched"],
        "survey_response_rate": (surveys["matched"] / handled) if handled and surveys["n"]
        else None,
        "comment_coverage": (surveys["commented"] / surveys["n"]) if surveys["n"] else None,
        "segmentation": segmentation_check(source, recount=recount),
    }


def _days(first, last):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _covered_days(batches, tz) -> set[dt.date]:
    """Local dates inside the data period of at least one loaded file."""
    out = set()
    for b in batches:
        if b.period_start and b.period_end:
            first = timezone.localtime(b.period_start, tz).date()
            last = timezone.localtime(b.period_end - dt.timedelta(seconds=1), tz).date()
            out.update(_days(first, last))
    return out


def _spans(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive runs of dates as (first, last) pairs."""
    spans = []
    for day in days:
        if spans and spans[-1][1] + dt.timedelta(days=1) == day:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


# Completeness heatmap codes: one cell per source and day.
DAY_MISSING, DAY_UNUSUAL, DAY_OK = 0, 1, 2


def monitor_timeline(healths: list[dict]) -> dict:
    """A Plotly heatmap (plain JSON) of completeness: a row per source, a column per day, each
    cell a day with data (green), with unusual volume for its weekday (amber) or with opening
    hours and no data (red); blank where no data is expected (closed, or outside the feed's
    files). Readable for thirteen months of several feeds, unlike overlaid bars."""
    days = sorted({d for h in healths for d in h["volume"]} |
                  {d for h in healths for d in h["missing_days"]})
    if not days:
        return {"data": [], "layout": {}}
    first, last = days[0], days[-1]
    axis = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    z, text, names = [], [], []
    for h in healths:
        unusual = {a["date"]: a for a in h["anomalies"] if not a.get("hours")}
        missing = set(h["missing_days"])
        row, words = [], []
        for d in axis:
            if d in missing:
                row.append(DAY_MISSING)
                words.append(f"{d:%a %d %b %Y}: no data (opening hours)")
            elif d in unusual:
                a = unusual[d]
                row.append(DAY_UNUSUAL)
                words.append(f"{d:%a %d %b %Y}: {a['volume']:,} contacts, {a['ratio']}× the "
                             f"usual {d:%A}")
            elif d in h["volume"]:
                row.append(DAY_OK)
                words.append(f"{d:%a %d %b %Y}: {h['volume'][d]:,} contacts")
            else:
                row.append(None)
                words.append(f"{d:%a %d %b %Y}: no data expected")
        z.append(row)
        text.append(words)
        names.append(h["source"].name)
    colours = [[0.0, "#b42318"], [0.33, "#b42318"], [0.34, "#f79009"], [0.66, "#f79009"],
               [0.67, "#2e7d32"], [1.0, "#2e7d32"]]
    data = [{"type": "heatmap", "z": z, "x": [f"{d:%Y-%m-%d}" for d in axis], "y": names,
             "text": text, "hoverinfo": "text", "zmin": 0, "zmax": 2, "colorscale": colours,
             "showscale": False, "xgap": 1, "ygap": 3}]
    layout = {"height": 80 + 34 * len(names), "margin": {"l": 190, "r": 10, "t": 10, "b": 40},
              "xaxis": {"type": "date"}, "yaxis": {"autorange": "reversed"}}
    return {"data": data, "layout": layout}


def monitor_summary(healths: list[dict]) -> list[dict]:
    """A line per source for the monitor's overview: is it late, how complete, how clean."""
    rows = []
    for h in healths:
        expected = h["expected_intervals"] or 0
        shares = [(s["unassigned"] / s["total"], s["dimension"])
                  for s in h.get("segmentation", []) if s["total"]]
        unassigned, dimension = max(shares, default=(0.0, ""))
        rows.append({
            "source": h["source"], "stale": h["stale"], "received": h["last"] is not None,
            "age_h": h["age_h"], "missing_days": len(h["missing_days"]),
            "missing_intervals": h["missing_intervals"], "expected_intervals": expected,
            "complete_pct": (100.0 * (expected - h["missing_intervals"]) / expected)
            if expected else None,
            "reject_pct": h["reject_pct"], "anomalies": len(h["anomalies"]),
            "unassigned_pct": 100.0 * unassigned, "unassigned_dimension": dimension,
            "attention": bool(h["stale"] or h["missing_days"] or h["missing_intervals"]
                              or h["anomalies"] or h["failed"]),
        })
    return rows


def alerts_open(centre):
    return Alert.objects.filter(centre=centre, resolved_at__isnull=True).order_by(
        "severity", "-created_at")  # failures ("fail") before warnings ("warn")


def quality_caveats(scope, start, end, centre=None) -> list[str]:
    """Sentences a KPI figure for ``start``–``end`` (local dates, inclusive, or UTC datetimes)
    must carry: failed or errored measurement tests whose data period overlaps it (within
    ``scope``), and open data-collection alerts for it. Empty when the data is sound.

    A restricted scope (a stakeholder's) sees only tests of measurement configurations inside
    it, and only alerts of the data sources that feed its queues: tests and alerts with nothing
    tying them to the scope belong to the centre, not to the viewer."""
    if isinstance(start, dt.datetime):
        start, end = start.date(), end.date()
    restricted = scope is not None and not scope.is_unrestricted
    configs = MeasurementConfig.objects.restrict(scope).values("pk")
    tests = MeasurementTest.objects.filter(config__in=configs) if restricted else \
        MeasurementTest.objects.filter(Q(config__isnull=True) | Q(config__in=configs))
    if centre is not None:
        tests = tests.filter(centre=centre)
    latest = test_latest_runs(centre, tests)
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
    if restricted:
        alerts = alerts.filter(Exists(Contact.objects.restrict(scope).filter(
            source_id=OuterRef("source_id"))))
    for alert in alerts.exclude(code="test_failed"):
        if alert.period_start and alert.period_end and (
                alert.period_end.date() < start or alert.period_start.date() > end):
            continue
        out.append(f"Data collection: {alert.message}")
    return out


def quality_lines(centre) -> dict:
    """Home-page lines: failing measurement tests (by name) and open alerts.
    ``{"status": "ok"|"warn"|"fail", "lines": [...]}``; no lines when nothing is configured."""
    if centre is None:
        return {"status": "ok", "lines": [], "link": "measurements:monitor",
                "link_label": "Collection monitor"}
    latest = test_latest_runs(centre)
    bad = [r for r in latest.values() if r.status != RunStatus.PASSED]
    alerts = Alert.objects.filter(centre=centre, resolved_at__isnull=True) \
        .exclude(code="test_failed").count()
    lines = []
    if bad:
        names = ", ".join(f"“{r.test.name}” {r.get_status_display().lower()}" for r in bad[:3])
        lines.append(f"{len(bad)} measurement test(s) not passing: {names}"
                     f"{' …' if len(bad) > 3 else ''}.")
    elif latest:
        lines.append(f"All {len(latest)} measurement test(s) passed on their last run.")
    if alerts:
        lines.append(f"{alerts} open data-collection alert(s).")
    status = "fail" if bad else ("warn" if alerts else "ok")
    link = ("measurements:test-list", "Measurement tests") if bad else \
        ("measurements:monitor", "Collection monitor")
    return {"status": status, "lines": lines, "link": link[0], "link_label": link[1]}
