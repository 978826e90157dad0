"""Segmentation that carries: the reason a caller chose in the IVR (contact type) and the
segment of the customer the IVR identified travel with the call to its queue legs.

The rule (also in docs/ingestion.md, "Segmentation that carries"):

* A *feeding* contact is a contact of an IVR session export (a data source of kind IVR); it
  names the IVR routing point it was observed at (its IVR leg's queue).
* It feeds the contact with the **same external id and channel** in every other data source of
  the centre (the IVR's session id is the ACD's call id, the Connect initial ContactId, …).
  All legs of the fed contact — its first queue, overflows, transfers and escalations — belong
  to that contact, so the rollup counts every one of them under the carried contact type and
  customer segment.
* **Pathway-aware**: when a pathway of the centre maps the IVR routing point (a step observed
  through it), the IVR feeds only contacts whose first queue is reachable from that step along
  the pathway's transitions; a call that reached a queue the IVR does not route to keeps its
  own (empty) values. When no pathway maps the IVR routing point, the id match alone decides.
* A fed contact that **carries its own** value keeps it: only empty contact types and customer
  segments are filled, each field on its own.
* It runs at ingest, whichever of the two files arrives first: a batch of the receiving source
  is filled from the IVR before its rollup is built; a batch of the IVR fills the contacts
  already loaded in other sources and rebuilds their rollups over the span it changed. Loading a
  file again gives the same result (the reloaded contacts are filled again from the IVR).
  :func:`segmentation_carry` (``manage.py segmentation_carry``) applies it to data loaded
  before the rule existed.

A value once carried is the fed contact's own until that contact is loaded again: an IVR export
reloaded with a different reason does not overwrite it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.utils.dateparse import parse_datetime

from pathways.constants import QueueKind
from pathways.models import Queue
from pathways.selectors import queues_fed_by

from ..constants import SourceKind
from ..models import DataSource
from .rollup import rollup_rebuild
from .segmentation_months import segmentation_months_mark

#: Contact fields the IVR's contacts hand on to the same call in other sources.
CARRIED_FIELDS = ("contact_type", "customer_segment")
#: Sources whose contacts feed the others: IVR session exports.
FEEDING_KINDS = (SourceKind.IVR,)


@dataclass
class CarryResult:
    """What one carry did: ``filled`` = field → contacts given a value; ``contacts`` = contacts
    changed (a contact given both counts once); ``rollups`` = interval rows rebuilt;
    ``sources`` = receiving source id → (first arrival, last end) changed, UTC."""

    filled: dict = field(default_factory=lambda: dict.fromkeys(CARRIED_FIELDS, 0))
    contacts: int = 0
    rollups: int = 0
    sources: dict = field(default_factory=dict)


def _ids(values) -> str:
    return ", ".join(str(int(v)) for v in values)


def _when(value) -> dt.datetime:
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _routes(centre) -> list[tuple[int | None, set[int] | None]]:
    """(IVR routing point, queues it feeds) for each IVR routing point a pathway of the centre
    maps, then (``None``, the mapped points): the IVR legs of any other routing point, which
    feed without a queue restriction."""
    points = Queue.objects.filter(centre=centre, kind=QueueKind.IVR).values_list("pk", flat=True)
    fed = queues_fed_by(centre, list(points))
    mapped = [(p, queues) for p, queues in fed.items() if queues is not None]
    return [*mapped, (None, {p for p, _ in mapped})]


def segmentation_carry(centre, *, batch=None, start: dt.datetime | None = None,
                       end: dt.datetime | None = None, rebuild: bool = True) -> CarryResult:
    """Carry contact types and customer segments from the IVR's contacts to the same calls in
    the centre's other sources (the rule is in the module docstring).

    ``batch``: only the contacts of that batch — as feeders when its source is an IVR export,
    else as receivers. ``start``/``end`` (UTC, end exclusive): only receiving contacts that
    arrived in that span. ``rebuild``: rebuild the receiving sources' interval rollups over
    the span changed (the ingest of a receiving batch builds its own rollup afterwards, so it
    passes ``False``). Call inside a transaction."""
    result = CarryResult()
    sources = list(DataSource.objects.filter(centre=centre).values_list("pk", "kind"))
    feeders = [pk for pk, kind in sources if kind in FEEDING_KINDS]
    receivers = [pk for pk, kind in sources if kind not in FEEDING_KINDS]
    if batch is not None:
        if batch.source.kind in FEEDING_KINDS:
            feeders = [batch.source_id]
        else:
            receivers = [batch.source_id] if batch.source_id in receivers else []
    if not feeders or not receivers:
        return result
    where = [f"f.source_id IN ({_ids(feeders)})", f"r.source_id IN ({_ids(receivers)})",
             "r.external_id = f.external_id", "r.channel = f.channel"]
    params: list = []
    if batch is not None:
        where.append(("f" if batch.source.kind in FEEDING_KINDS else "r") + ".batch_id = %s")
        params.append(batch.pk)
    if start is not None:
        where.append("r.arrived_at >= %s")
        params.append(start)
    if end is not None:
        where.append("r.arrived_at < %s")
        params.append(end)
    # Not a correlated EXISTS: SQLite would then walk every IVR leg of the routing point for
    # each IVR contact (through the queue index), quadratic over a year of calls.
    ivr_leg = ("f.id IN (SELECT s.contact_id FROM measurements_segment s "
               "WHERE s.kind = 'ivr' AND s.queue_id {})")
    changed = {}
    for point, queues in _routes(centre):
        if point is None:  # routing points no pathway maps: the id match alone decides
            route = [f"NOT {ivr_leg.format(f'IN ({_ids(queues)})')}"] if queues else []
        elif not queues:
            continue
        else:
            route = [ivr_leg.format(f"= {int(point)}"), f"r.queue_id IN ({_ids(queues)})"]
        for name in CARRIED_FIELDS:
            cond = " AND ".join([*where, *route, f"r.{name} = ''", f"f.{name} <> ''"])
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT r.id, r.source_id, r.arrived_at, COALESCE(r.ended_at, r.arrived_at), "
                    f"f.{name} FROM measurements_contact r, measurements_contact f WHERE {cond}",
                    params)
                rows = cursor.fetchall()
                if not rows:
                    continue
                if connection.vendor == "postgresql":
                    cursor.execute(
                        f"UPDATE measurements_contact AS r SET {name} = f.{name} "
                        f"FROM measurements_contact AS f WHERE {cond}", params)
                else:  # SQLite plans UPDATE … FROM badly over a year of calls: by id instead
                    cursor.executemany(f"UPDATE measurements_contact SET {name} = %s WHERE id = %s",
                                       [(row[4], row[0]) for row in rows])
            result.filled[name] += len(rows)
            for pk, source_id, arrived, ended, _value in rows:
                changed[pk] = True
                lo, hi = result.sources.get(source_id, (None, None))
                arrived, ended = _when(arrived), _when(ended)
                result.sources[source_id] = (min(lo, arrived) if lo else arrived,
                                             max(hi, ended) if hi else ended)
    result.contacts = len(changed)
    for source in DataSource.objects.filter(pk__in=list(result.sources)).select_related("centre"):
        # Their contacts' contact types and segments changed: counted again at the next check.
        segmentation_months_mark(source, *result.sources[source.pk])
    if rebuild:
        for source in DataSource.objects.filter(pk__in=list(result.sources)):
            lo, hi = result.sources[source.pk]
            result.rollups += rollup_rebuild(source, lo, hi)
    return result
