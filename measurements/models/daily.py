"""The daily rollup: IntervalStat summed per centre, source, queue, step, channel, contact type,
customer segment and local date.

Only the additive components (and the wait buckets, generated from ``WAIT_BUCKETS_S``) and the
largest wait are kept, so a period of a week or more reads a few hundred rows instead of hundreds
of thousands of interval rows. It is derived data: ``measurements.services.daily`` rebuilds the
days a batch touched from IntervalStat, and any sum over its rows equals the same sum over the
interval rows of those days.
"""
from django.db import models

from contactmis.models import Centre
from contactmis.scope import ScopedQuerySet
from pathways.constants import Channel
from pathways.models import Queue, Step

from .facts import ADDITIVE_FIELDS
from .sources import DataSource


class DailyStatQuerySet(ScopedQuerySet):
    # The same scope dimensions as IntervalStat: a scope restricts both alike.
    scope_paths = {"queue": "queue_id", "channel": "channel", "site": "queue__site",
                   "pathway": "step__pathway_id", "segment": "customer_segment"}


class DailyStat(models.Model):
    """One local day of interval rollups for one segment (see the module docstring)."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)
    source = models.ForeignKey(DataSource, null=True, on_delete=models.CASCADE,
                               related_name="+", db_constraint=False)
    local_date = models.DateField()
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", db_constraint=False)
    step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", db_constraint=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.VOICE)
    contact_type = models.CharField(max_length=60, blank=True)
    customer_segment = models.CharField(max_length=60, blank=True)
    wait_max_s = models.PositiveIntegerField(default=0)

    objects = DailyStatQuerySet.as_manager()

    class Meta:
        ordering = ["local_date", "pk"]
        indexes = [
            models.Index(fields=["centre", "local_date"]),
            models.Index(fields=["source", "local_date"]),
            models.Index(fields=["queue", "local_date"]),
        ]

    def __str__(self):
        return f"{self.queue or '-'} {self.local_date}"


# Every additive component of IntervalStat, wait buckets included (so a bucket added to
# WAIT_BUCKETS_S appears here too).
for _name in ADDITIVE_FIELDS:
    DailyStat.add_to_class(_name, models.BigIntegerField(default=0))
