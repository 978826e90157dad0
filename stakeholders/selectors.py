"""Reads for stakeholders and dashboards.

Every read of contact-centre data goes through ``.restrict(scope)``; the dashboard's scope is its
stakeholder's (``stakeholders.scope.stakeholder_scope``), so a manager's preview and the
stakeholder's own view read exactly the same rows.
"""
from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pandas as pd
from django.db.models import Max, Q
from django.http import Http404

from contactmis.roles import can_read_all
from contactmis.selectors import centre_current
from measurements.models import Contact, IntervalStat
from measurements.selectors.versions import data_version as measurement_data_version
from pathways.constants import Channel
from pathways.models import Agent, Queue
from reports.models import Forecast
from reports.semantics import meaning_version

from .models import Dashboard, Stakeholder, Widget
from .scope import stakeholder_of_user, stakeholder_scope


def centre_time_zone() -> str:
    centre = centre_current()
    return centre.time_zone if centre else "UTC"


def centre_day_start() -> dt.time:
    """Local time the centre's business day starts (midnight before set-up)."""
    centre = centre_current()
    return centre.day_starts_at if centre else dt.time(0)


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


def scope_channels(scope, queue=None) -> list[tuple[str, str]]:
    """``(code, label)`` of the channels of the queues visible in ``scope`` (or of ``queue``),
    in the order of :class:`pathways.constants.Channel`."""
    if queue is not None:
        found = {queue.channel}
    else:
        found = set(Queue.objects.restrict(scope).values_list("channel", flat=True).distinct())
    if scope.channels is not None:
        found &= set(scope.channels)
    return [(code, label) for code, label in Channel.choices if code in found]


def scope_queue_get(scope, queue_id) -> Queue:
    """A queue filter value: the queue if it is inside ``scope``, else 404."""
    try:
        queue_id = int(queue_id)
    except (TypeError, ValueError) as exc:
        raise Http404("No such queue.") from exc
    if not 0 < queue_id < 2**63:
        raise Http404("No such queue.")
    queue = Queue.objects.restrict(scope).filter(pk=queue_id).first()
    if queue is None:
        raise Http404("No such queue.")
    return queue


def queue_channels(queue_ids) -> dict:
    """Queue id → channel, for the queues named."""
    return dict(Queue.objects.filter(pk__in=list(queue_ids)).values_list("pk", "channel"))


def data_version() -> str:
    """Changes whenever rollup data is written (``measurements.selectors.versions``) or what the
    figures are judged by changes (plan targets, measurement configurations, the metric
    catalogue: ``reports.semantics.meaning_version``): part of every cached widget's key, so
    neither an import nor a plan edit is hidden by the cache."""
    return f"{measurement_data_version()}:{meaning_version()}"


def latest_data_day(scope):
    """The last local date with interval data in ``scope`` (``None`` when there is none)."""
    return IntervalStat.objects.restrict(scope).aggregate(d=Max("local_date"))["d"]


# Widget data comes from ``reports.selectors.component_sums`` (daily or interval rollup).


# --- drill-down -----------------------------------------------------------------------------

DRILL_LIMIT = 500


def drill_intervals(scope, start_utc, end_utc, queue=None, limit=DRILL_LIMIT):
    """The interval rows (within ``scope``) whose interval started in ``[start_utc, end_utc)``
    and counted something (an IVR menu option nobody chose is not a row worth reading)."""
    qs = (IntervalStat.objects.restrict(scope)
          .filter(interval_start__gte=start_utc, interval_start__lt=end_utc)
          .filter(Q(offered__gt=0) | Q(handled__gt=0) | Q(ivr_sessions__gt=0))
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

    from reports.periods import local_midnight

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


def forecasts_version() -> int:
    """Changes whenever a forecast is issued (the newest forecast's id; 0 with none)."""
    return Forecast.objects.aggregate(latest=Max("pk"))["latest"] or 0


def agent_teams(agent_ids) -> dict:
    """Agent id → its team ("" for none) for ``agent_ids``."""
    ids = {int(a) for a in agent_ids if a not in (None, "")}
    return dict(Agent.objects.filter(pk__in=ids).values_list("pk", "team"))
