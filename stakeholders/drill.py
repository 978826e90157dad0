"""The drill path behind a figure: the period split one level finer (months → days → hours →
15-minute intervals), each row a link one level down, then the contacts behind the span — paged,
sortable and filterable (abandoned only, waited over T, by agent) — and each contact's journey.

Every read is within the dashboard's scope (``.restrict(scope)``, the widget's channels); a
contact leg in a queue outside the scope shows as such, never by name."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from django.core.paginator import Paginator
from django.db.models import Exists, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from measurements.constants import ContactOutcome, SegmentKind
from measurements.models import Contact, Segment, SurveyResponse
from pathways.models import Agent, Queue
from reports.analyses import narrowed_to_queues
from reports.periods import local_midnight
from reports.selectors import kpi_frame

# From coarse to fine: the rows of a span are one level finer than the span itself.
LEVELS = ("month", "day", "hour", "15min")
LEVEL_WORDS = {"month": "month", "day": "day", "hour": "hour", "15min": "15 minutes"}
CONTACTS_PER_PAGE = 100
SORTS = {"arrived": ("arrived_at", "pk"), "-arrived": ("-arrived_at", "-pk"),
         "-wait": ("-queue_wait_s", "arrived_at", "pk"), "wait": ("queue_wait_s", "arrived_at",
                                                                  "pk")}


def rows_grain(start: datetime, end: datetime) -> str | None:
    """The level a span's rows are cut at; ``None`` below 15 minutes (contacts only)."""
    hours = (end - start).total_seconds() / 3600
    if hours > 62 * 24:
        return "month"
    if hours > 25:
        return "day"
    if hours > 1:
        return "hour"
    if hours > 0.25:
        return "15min"
    return None


def bucket(start_local: datetime, grain: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` (aware, local) of the ``grain`` bucket that contains ``start_local``."""
    # The wall-clock time asked for, in the centre's zone (a link carries local times).
    start_local = start_local.replace(tzinfo=tz)
    day = start_local.date()
    if grain == "month":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return local_midnight(first, tz), local_midnight(nxt, tz)
    if grain == "day":
        return local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    minutes = {"hour": 60, "15min": 15}[grain]
    floor = start_local.replace(minute=start_local.minute - start_local.minute % minutes,
                                second=0, microsecond=0)
    return floor, (floor.astimezone(ZoneInfo("UTC")) + timedelta(minutes=minutes)).astimezone(tz)


def label(start: datetime, grain: str) -> str:
    if grain == "month":
        return f"{start:%B %Y}"
    if grain == "day":
        return f"{start:%a %d %b %Y}"
    return f"{start:%a %d %b %H:%M}"


def crumbs(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[str, str, str]]:
    """``(label, at, grain)`` of the span's ancestors and the span itself (a month, its day,
    its hour, …); none for a span that is not one calendar bucket (a widget's whole period)."""
    own = _span_grain(start, end)
    if own is None:
        return []
    out = []
    for level in LEVELS[:LEVELS.index(own) + 1]:
        b_start, _ = bucket(start, level, tz)
        out.append((label(b_start, level), b_start.strftime("%Y-%m-%dT%H:%M"), level))
    return out


def _span_grain(start: datetime, end: datetime) -> str | None:
    """The calendar bucket the span is (a month, a day, …), ``None`` for any other span."""
    hours = (end - start).total_seconds() / 3600
    local = start.replace(tzinfo=None)
    if hours <= 0.25:
        return "15min"
    if hours <= 1:
        return "hour"
    if hours <= 25 and local.hour == 0 and local.minute == 0:
        return "day"
    if 27 * 24 < hours <= 31 * 24 + 1 and local.day == 1 and local.hour == 0:
        return "month"
    return None


@dataclass
class DrillRow:
    start: datetime
    label: str
    at: str
    offered: int
    answered: int
    abandoned: int
    service_level: float | None
    basis: str
    asa_s: float | None


def breakdown(scope, centre, start: datetime, end: datetime, queue=None) -> tuple[str | None,
                                                                                  list[DrillRow]]:
    """The span's figures one level finer (each service level at its queues' own thresholds),
    periods with no data left out (they are gaps, not zeros)."""
    grain = rows_grain(start, end)
    if grain is None:
        return None, []
    if queue is not None:
        scope = narrowed_to_queues(scope, [queue.pk])
    first_day = start.date()
    end_day = (end - timedelta(microseconds=1)).date() + timedelta(days=1)
    frame = kpi_frame(scope, centre, first_day, end_day, grain)
    if frame.empty:
        return grain, []
    inside = frame[(frame["period_start"] >= pd.Timestamp(start))
                   & (frame["period_start"] < pd.Timestamp(end))
                   & ((frame["offered"] > 0) | (frame["handled"] > 0))]
    rows = []
    for rec in inside.to_dict("records"):
        when = rec["period_start"].to_pydatetime()
        rows.append(DrillRow(
            start=when, label=label(when, grain), at=when.strftime("%Y-%m-%dT%H:%M"),
            offered=int(rec["offered"]), answered=int(rec["answered"]),
            abandoned=int(rec["abandoned"]), service_level=_num(rec["service_level"]),
            basis=rec["sl_basis"], asa_s=_num(rec["asa_s"])))
    return grain, rows


def _num(value):
    return None if value is None or pd.isna(value) else float(value)


@dataclass(frozen=True)
class ContactFilter:
    abandoned: bool = False
    waited_over_s: int | None = None
    agent: Agent | None = None
    sort: str = "arrived"


def contacts(scope, start: datetime, end: datetime, queue=None,
             filters: ContactFilter = ContactFilter()):
    """The contacts that arrived in ``[start, end)`` within ``scope``, with their time in
    queue (``queue_wait_s``, Σ of queue legs) and first agent, filtered and sorted."""
    legs = Segment.objects.filter(contact=OuterRef("pk"))
    allowed = _queues_in(scope)
    named = legs if allowed is None else legs.filter(queue_id__in=allowed)
    qs = (Contact.objects.restrict(scope)
          .filter(arrived_at__gte=start, arrived_at__lt=end)
          .select_related("queue")
          .annotate(queue_wait_s=Coalesce(
              Subquery(legs.filter(kind=SegmentKind.QUEUE).values("contact")
                       .annotate(w=Sum("wait_s")).values("w")[:1],
                       output_field=IntegerField()), Value(0)),
              # Only agents of the scope's own queues are named.
              first_agent=Subquery(named.filter(agent__isnull=False).order_by("seq")
                                   .values("agent__name")[:1])))
    if queue is not None:
        qs = qs.filter(queue=queue)
    if filters.abandoned:
        qs = qs.filter(outcome=ContactOutcome.ABANDONED)
    if filters.waited_over_s is not None:
        qs = qs.filter(queue_wait_s__gt=filters.waited_over_s)
    if filters.agent is not None:
        qs = qs.filter(Exists(legs.filter(agent=filters.agent)))
    return qs.order_by(*SORTS.get(filters.sort, SORTS["arrived"]))


def contacts_page(qs, number: int):
    return Paginator(qs, CONTACTS_PER_PAGE).get_page(number)


def agents_in(scope, start: datetime, end: datetime):
    """Agents who handled a contact of the scope in the span (the agent filter's choices)."""
    legs = (Segment.objects.restrict(scope)
            .filter(entered_at__gte=start, entered_at__lt=end, agent__isnull=False))
    allowed = _queues_in(scope)
    if allowed is not None:
        legs = legs.filter(queue_id__in=allowed)
    return Agent.objects.filter(pk__in=legs.values("agent_id")).order_by("name")


def _queues_in(scope) -> set | None:
    """The ids of the queues ``scope`` covers (``None``: every queue)."""
    if scope is None or scope.is_unrestricted:
        return None
    return set(Queue.objects.restrict(scope).values_list("pk", flat=True))


@dataclass
class JourneyLeg:
    seq: int
    kind: str
    where: str
    agent: str
    entered_at: datetime
    wait_s: int
    handle_s: int
    outcome: str
    visible: bool


def journey(scope, contact) -> tuple[list[JourneyLeg], list]:
    """``contact``'s legs in order across IVR, queues, agents, transfers and escalations, and
    its survey answers. A leg in a queue outside ``scope`` is shown as such, not by name."""
    allowed = _queues_in(scope)
    legs = []
    for seg in (contact.segments.select_related("queue", "agent", "step").order_by("seq")):
        # Segments are scoped by their contact; a leg is shown by name only when its own
        # queue is in the scope too (a transfer to another vendor's queue is not).
        shown = seg.queue_id is None or allowed is None or seg.queue_id in allowed
        where = (str(seg.queue or seg.step or "—") if shown else "outside your view")
        legs.append(JourneyLeg(
            seq=seg.seq, kind=seg.get_kind_display(), where=where,
            agent=(seg.agent.name if seg.agent and shown else ""), entered_at=seg.entered_at,
            wait_s=seg.wait_s, handle_s=seg.talk_s + seg.hold_s + seg.acw_s,
            outcome=seg.get_outcome_display(), visible=shown))
    surveys = list(SurveyResponse.objects.filter(contact=contact).order_by("responded_at"))
    return legs, surveys
