"""Reads for stakeholders and dashboards.

Every read of contact-centre data goes through ``.restrict(scope)``; the dashboard's scope is its
stakeholder's (``stakeholders.scope.stakeholder_scope``), so a manager's preview and the
stakeholder's own view read exactly the same rows.
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
from django.db.models import F, Max, Sum
from django.http import Http404

from contactmis.roles import can_read_all
from contactmis.selectors import centre_current
from measurements.models import AgentIntervalStat, Contact, IntervalStat
from measurements.models.facts import ADDITIVE_FIELDS
from pathways.models import Agent, Queue

from .models import Dashboard, Stakeholder, Widget
from .periods import ResolvedPeriod
from .scope import stakeholder_of_user, stakeholder_scope

AGENT_ADDITIVE = ("handled", "transfers", "escalations", "talk_s", "hold_s", "acw_s",
                  "staffed_s", "available_s", "busy_s")
# Breakdown key → IntervalStat lookup it groups by.
BREAKDOWN_LOOKUPS = {"queue": "queue_id", "channel": "channel", "contact_type": "contact_type",
                     "customer_segment": "customer_segment", "site": "queue__site"}
AGENT_BREAKDOWN_LOOKUPS = {"agent": "agent_id", "team": "agent__team"}


def centre_time_zone() -> str:
    centre = centre_current()
    return centre.time_zone if centre else "UTC"


# --- register -------------------------------------------------------------------------------

def stakeholder_list(user):
    return (Stakeholder.objects.visible_to(user)
            .prefetch_related("queues", "pathways", "members__user", "dashboards"))


def stakeholder_get(user, pk) -> Stakeholder:
    """The stakeholder ``pk`` if ``user`` may see it, else 404 (whether or not it exists)."""
    obj = stakeholder_list(user).filter(pk=pk).first()
    if obj is None:
        raise Http404("No such stakeholder.")
    return obj


def dashboard_list(user):
    return (Dashboard.objects.visible_to(user).select_related("stakeholder")
            .order_by("stakeholder__name", "-is_default", "name"))


def dashboard_get(user, pk) -> Dashboard:
    obj = dashboard_list(user).filter(pk=pk).first()
    if obj is None:
        raise Http404("No such dashboard.")
    return obj


def dashboard_landing(user) -> Dashboard | None:
    """The dashboard a viewer lands on: its stakeholder's default one."""
    if can_read_all(user):
        return None
    stakeholder = stakeholder_of_user(user)
    if stakeholder is None:
        return None
    return stakeholder.dashboards.order_by("-is_default", "name").first()


def widget_get(user, pk) -> Widget:
    obj = (Widget.objects.visible_to(user).select_related("dashboard__stakeholder")
           .filter(pk=pk).first())
    if obj is None:
        raise Http404("No such widget.")
    return obj


def dashboard_scope(dashboard: Dashboard):
    """The data scope every widget of ``dashboard`` is computed in: its stakeholder's."""
    return stakeholder_scope(dashboard.stakeholder)


def scope_queues(scope):
    """The queues visible in ``scope`` (for filter choices)."""
    return Queue.objects.restrict(scope).order_by("name", "code")


def scope_queue_get(scope, queue_id) -> Queue:
    """A queue filter value: the queue if it is inside ``scope``, else 404."""
    try:
        queue_id = int(queue_id)
    except (TypeError, ValueError) as exc:
        raise Http404("No such queue.") from exc
    queue = Queue.objects.restrict(scope).filter(pk=queue_id).first()
    if queue is None:
        raise Http404("No such queue.")
    return queue


def data_version():
    """Changes whenever interval data is added or rebuilt (the highest rollup row ids): part
    of every cached widget's key."""
    return (IntervalStat.objects.aggregate(m=Max("pk"))["m"],
            AgentIntervalStat.objects.aggregate(m=Max("pk"))["m"])


def latest_data_day(scope):
    """The last local date with interval data in ``scope`` (``None`` when there is none)."""
    return IntervalStat.objects.restrict(scope).aggregate(d=Max("local_date"))["d"]


# --- data for widgets -----------------------------------------------------------------------
# NOTE: ``interval_sums`` is the one place dashboards read IntervalStat; it is to be replaced by
# the reports app's selectors when they land (same contract: scope-restricted component sums).

def _bucket_fields(granularity):
    if granularity in ("15min", "30min", "hour"):
        return ["interval_start"]
    return ["local_date"]


def interval_sums(scope, period: ResolvedPeriod, granularity: str, breakdown: str = "",
                  queue=None, tz: str | None = None) -> pd.DataFrame:
    """Summed IntervalStat components for ``period`` within ``scope``, one row per time bucket
    (column ``period_start``: naive local time of the centre, start of the bucket) and breakdown
    value (column ``key``, with ``key_label``).

    Sub-daily buckets are taken from ``interval_start`` (UTC) converted to the centre's zone, so
    a DST day has 23 or 25 hours of buckets; daily and longer from ``local_date``. ``queue``
    narrows to one queue (already checked to be inside ``scope``). Returns an empty frame with
    the component columns when there is no data.
    """
    tz = tz or centre_time_zone()
    if breakdown in AGENT_BREAKDOWN_LOOKUPS:
        return _agent_sums(scope, period, granularity, breakdown, queue, tz)
    qs = IntervalStat.objects.restrict(scope).filter(
        local_date__gte=period.first_day, local_date__lte=period.last_day)
    if queue is not None:
        qs = qs.filter(queue=queue)
    group = _bucket_fields(granularity)
    if breakdown:
        qs = qs.annotate(key=F(BREAKDOWN_LOOKUPS[breakdown]))
        group = [*group, "key"]
    rows = list(qs.order_by().values(*group).annotate(
        **{f: Sum(f) for f in ADDITIVE_FIELDS}, wait_max_s=Max("wait_max_s")))
    frame = pd.DataFrame(rows, columns=[*group, *ADDITIVE_FIELDS, "wait_max_s"])
    return _finish(frame, granularity, breakdown, tz)


def _agent_sums(scope, period, granularity, breakdown, queue, tz):
    qs = AgentIntervalStat.objects.restrict(scope).filter(
        local_date__gte=period.first_day, local_date__lte=period.last_day)
    if queue is not None:
        qs = qs.filter(queue=queue)
    group = [*_bucket_fields(granularity), "key"]
    qs = qs.annotate(key=F(AGENT_BREAKDOWN_LOOKUPS[breakdown]))
    rows = list(qs.order_by().values(*group).annotate(**{f: Sum(f) for f in AGENT_ADDITIVE}))
    frame = pd.DataFrame(rows, columns=[*group, *AGENT_ADDITIVE])
    # Agent rows carry handling and state time only; queue quantities are zero on them.
    for name in ADDITIVE_FIELDS:
        if name not in frame.columns:
            frame[name] = 0
    return _finish(frame, granularity, breakdown, tz)


_FREQ = {"15min": "15min", "30min": "30min", "hour": "h", "day": "D", "week": "W-MON",
         "month": "MS", "quarter": "QS", "year": "YS"}


def _finish(frame, granularity, breakdown, tz):
    if "interval_start" in frame.columns:
        utc = pd.to_datetime(frame["interval_start"], utc=True)
        # Floor in UTC (whole-hour offsets), then show local wall time.
        floored = utc.dt.floor(_FREQ[granularity]) if granularity != "15min" else utc
        frame["period_start"] = floored.dt.tz_convert(tz).dt.tz_localize(None)
        frame = frame.drop(columns=["interval_start"])
    else:
        day = pd.to_datetime(frame["local_date"])
        if granularity == "week":
            day = day - pd.to_timedelta(day.dt.weekday, unit="D")
        elif granularity in ("month", "quarter", "year"):
            day = day.dt.to_period({"month": "M", "quarter": "Q", "year": "Y"}[granularity]
                                   ).dt.start_time
        frame["period_start"] = day
        frame = frame.drop(columns=["local_date"])
    keys = ["period_start", *(["key"] if breakdown else [])]
    if breakdown:
        frame["key"] = frame["key"].fillna("")
    if len(frame):
        grouped = frame.groupby(keys, sort=True)
        summed = grouped[[c for c in frame.columns if c not in keys and c != "wait_max_s"]].sum()
        if "wait_max_s" in frame.columns:
            summed["wait_max_s"] = grouped["wait_max_s"].max()
        frame = summed.reset_index()
    if breakdown:
        frame["key_label"] = breakdown_labels(breakdown, frame["key"])
    return frame.reset_index(drop=True)


def breakdown_labels(breakdown, keys: pd.Series) -> list[str]:
    """Human labels for breakdown keys (queue/agent names; blanks shown as "(none)")."""
    if breakdown == "queue":
        names = {q.pk: str(q) for q in Queue.objects.filter(pk__in=set(keys.dropna()))}
        return [names.get(k, "(no queue)") for k in keys]
    if breakdown == "agent":
        names = {a.pk: str(a) for a in Agent.objects.filter(pk__in=set(keys.dropna()))}
        return [names.get(k, "(no agent)") for k in keys]
    return [str(k) if k not in (None, "") else "(none)" for k in keys]


# --- drill-down -----------------------------------------------------------------------------

DRILL_LIMIT = 500


def drill_intervals(scope, start_utc, end_utc, queue=None, limit=DRILL_LIMIT):
    """The interval rows (within ``scope``) whose interval started in ``[start_utc, end_utc)``."""
    qs = (IntervalStat.objects.restrict(scope)
          .filter(interval_start__gte=start_utc, interval_start__lt=end_utc)
          .select_related("queue").order_by("interval_start", "queue__code", "pk"))
    if queue is not None:
        qs = qs.filter(queue=queue)
    return qs[:limit]


def drill_contacts(scope, start_utc, end_utc, queue=None, limit=DRILL_LIMIT):
    """The contacts (within ``scope``) that arrived in ``[start_utc, end_utc)``."""
    qs = (Contact.objects.restrict(scope)
          .filter(arrived_at__gte=start_utc, arrived_at__lt=end_utc)
          .select_related("queue").order_by("arrived_at", "pk"))
    if queue is not None:
        qs = qs.filter(queue=queue)
    return qs[:limit]


def bucket_span(period_start_local, granularity, tz):
    """``[start, end)`` in UTC of the bucket that starts at naive local ``period_start_local``."""
    import zoneinfo

    from .periods import local_midnight

    zone = zoneinfo.ZoneInfo(tz)
    ts = pd.Timestamp(period_start_local)
    if granularity in ("15min", "30min", "hour"):
        length = {"15min": 15, "30min": 30, "hour": 60}[granularity]
        start = ts.to_pydatetime().replace(tzinfo=zone)
        return start, start + timedelta(minutes=length)
    first = ts.date()
    if granularity == "day":
        last = first + timedelta(days=1)
    elif granularity == "week":
        last = first + timedelta(days=7)
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[granularity]
        index = first.year * 12 + first.month - 1 + months
        last = first.replace(year=index // 12, month=index % 12 + 1, day=1)
    return local_midnight(first, zone), local_midnight(last, zone)
