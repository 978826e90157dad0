"""The segmentation check's monthly counts (:class:`measurements.models.SegmentationMonth`).

The collection monitor reports, per month of a source's contacts, how many could not be given
a queue, channel, contact type, customer segment or site. Counting every month of every
source after each import reads every contact stored; instead the counts of each month are
kept, an import (or the IVR's values carried to other sources) marks the months it touched
stale (:func:`segmentation_months_mark`, inside its transaction: a few rows), and the next
check recounts only the stale months (:func:`segmentation_months`). A full recount happens
when asked (the monitor's own run), when a source was never counted, or when the counts no
longer add up to the source's contacts (contacts changed some other way).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q

from ..models import Contact, SegmentationMonth

#: Dimensions counted per queue; "site" follows from the queues' sites when the check runs.
COUNTED = ("queue", "channel", "contact_type", "customer_segment")
NO_QUEUE = "none"


def _next_month(month: dt.date) -> dt.date:
    return month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of the months from the one holding ``first`` to the one holding ``last``."""
    months = [first.replace(day=1)]
    while _next_month(months[-1]) <= last:
        months.append(_next_month(months[-1]))
    return months


def segmentation_months_mark(source, start: dt.datetime, end: dt.datetime) -> int:
    """Mark stale the months of ``source`` (the centre's local months) whose contacts may have
    changed between ``start`` and ``end`` (UTC; a day more each side: arrivals precede the
    legs the span was taken from). Call inside the transaction that changed them."""
    tz = source.centre.tz
    day = dt.timedelta(days=1)
    months = _months((start - day).astimezone(tz).date(), (end + day).astimezone(tz).date())
    SegmentationMonth.objects.bulk_create(
        [SegmentationMonth(source_id=source.pk, month=m, stale=True) for m in months],
        update_conflicts=True, unique_fields=["source", "month"], update_fields=["stale"])
    return len(months)


def segmentation_months_count(source, months: list[dt.date] | None = None) -> int:
    """Count the contacts of ``source`` for the local ``months`` (first days), or every month
    (``None``), and store the counts (the months then not stale). Returns the months counted."""
    if months is not None:
        months = sorted(set(months))
        if not months:
            return 0
    with transaction.atomic():
        # The months' rows locked before counting: an import that marks one of them stale
        # meanwhile waits, so its mark is never overwritten by counts taken without its
        # contacts (and one that marked it first is committed, and counted, before this).
        # Locked in month order, as an import marks them: neither can wait for the other.
        locked = SegmentationMonth.objects.select_for_update().filter(source=source) \
            .order_by("month")
        list((locked if months is None else locked.filter(month__in=months))
             .values_list("pk", flat=True))
        return _count(source, months)


def _count(source, months) -> int:
    from ..selectors.quality import SEGMENT_DIMENSIONS, _local_month, _month_day

    tz = source.centre.tz
    contacts = Contact.objects.filter(source=source)
    if months is not None:
        span = Q()
        for month in months:
            span |= Q(arrived_at__gte=dt.datetime.combine(month, dt.time(), tz),
                      arrived_at__lt=dt.datetime.combine(_next_month(month), dt.time(), tz))
        contacts = contacts.filter(span)
    rows = (contacts.annotate(month=_local_month(contacts, tz)).values("month", "queue_id")
            .annotate(total=Count("id"), **{f"u_{k}": Count("id", filter=SEGMENT_DIMENSIONS[k][1])
                                            for k in COUNTED})
            .order_by())
    found: dict = defaultdict(dict)
    for r in rows:
        queue = NO_QUEUE if r["queue_id"] is None else str(r["queue_id"])
        found[_month_day(r["month"])][queue] = [r["total"], *(r[f"u_{k}"] for k in COUNTED)]
    gone = SegmentationMonth.objects.filter(source=source).exclude(month__in=list(found))
    if months is not None:
        gone = gone.filter(month__in=months)
    gone.delete()
    SegmentationMonth.objects.bulk_create(
        [SegmentationMonth(source_id=source.pk, month=m, counts=c, stale=False)
         for m, c in found.items()],
        update_conflicts=True, unique_fields=["source", "month"],
        update_fields=["counts", "stale"])
    return len(found)


def segmentation_months(source, *, recount: bool = False) -> dict[dt.date, dict]:
    """The counts of every month of ``source`` with contacts, ``{first local day: {queue key:
    [contacts, unassigned per dimension of COUNTED]}}``, recounting first the stale months —
    or every month when ``recount``, when none was ever counted, or when the stored months no
    longer add up to the source's contacts."""
    stale = list(SegmentationMonth.objects.filter(source=source, stale=True)
                 .values_list("month", flat=True))
    counted = SegmentationMonth.objects.filter(source=source).exists()
    if recount or not counted:
        segmentation_months_count(source)
    elif stale:
        segmentation_months_count(source, stale)
    stored = dict(SegmentationMonth.objects.filter(source=source).values_list("month", "counts"))
    total = sum(c[0] for counts in stored.values() for c in counts.values())
    if not recount and total != Contact.objects.filter(source=source).count():
        segmentation_months_count(source)
        stored = dict(SegmentationMonth.objects.filter(source=source)
                      .values_list("month", "counts"))
    return {m: c for m, c in sorted(stored.items()) if c}
