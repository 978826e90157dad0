"""The canonical contact model every adapter maps into, and the interval rollups.

All timestamps are UTC (tz-aware). Durations are whole seconds (``*_s``).
"""
from django.db import models

from contactmis.models import Centre
from contactmis.scope import ScopedQuerySet
from pathways.constants import Channel
from pathways.models import Agent, Pathway, Queue, Step

from ..constants import (
    WAIT_BUCKETS_S,
    AgentStateKind,
    ContactOutcome,
    SegmentKind,
    SegmentOutcome,
)
from .sources import DataSource, ImportBatch


class ContactQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "queue_id", "channel": "channel", "site": "queue__site",
                   "pathway": "pathway_id", "segment": "customer_segment"}


class Contact(models.Model):
    """One customer contact end to end, unique per (source, external id).

    ``queue`` is the first ACD/digital queue the contact reached (``None`` when it never queued);
    it decides which scope the contact belongs to.
    """

    # Fact-table foreign keys carry no database constraint (``db_constraint=False``): the loader
    # resolves every id itself inside the batch's transaction and deletes through the ORM
    # collector, and ten million deferred checks at COMMIT were most of a large batch's load
    # time (docs/ingestion.md, "Fact tables without database foreign keys"). Every index is
    # paid for on every contact loaded, so only those the product reads by are kept: arrival
    # time (periods, drill-down), queue (scope), batch, the unique (source, external_id)
    # (which also serves source); a centre's contacts are read by time, never by centre alone.
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="contacts",
                               db_constraint=False, db_index=False)
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="contacts",
                               db_constraint=False, db_index=False)
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL,
                              related_name="contacts", db_constraint=False)
    external_id = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.VOICE)
    pathway = models.ForeignKey(Pathway, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="contacts", db_constraint=False, db_index=False)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="contacts", db_constraint=False)
    arrived_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    customer_ref = models.CharField(max_length=200, blank=True)
    customer_segment = models.CharField(max_length=60, blank=True)
    contact_type = models.CharField(max_length=60, blank=True)
    outcome = models.CharField(max_length=16, choices=ContactOutcome.choices)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["arrived_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"],
                                    name="contact_unique_external_id"),
        ]
        indexes = [
            # Few contacts name a pathway: a partial index serves the lookups by pathway at a
            # fraction of the size (and of the cost of loading).
            models.Index(fields=["pathway"], condition=models.Q(pathway__isnull=False),
                         name="contact_pathway_set"),
        ]

    def __str__(self):
        return f"{self.source}:{self.external_id}"


class SegmentQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "contact__queue_id", "channel": "contact__channel",
                   "site": "contact__queue__site", "pathway": "contact__pathway_id",
                   "segment": "contact__customer_segment"}


class Segment(models.Model):
    """One leg of a contact at one pathway step: IVR, queue, agent, transfer, escalation, ...

    ``wait_s`` is the time queued before answer or abandonment; ``talk_s``/``hold_s``/``acw_s``
    are the handling parts. A contact counts in the interval in which it entered the step.
    """

    # No database constraints (see Contact); contact → the unique (contact, seq) and queue →
    # (queue, entered_at) serve as their indexes.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="segments",
                                db_constraint=False, db_index=False)
    seq = models.PositiveSmallIntegerField(help_text="Order of the leg within the contact.")
    kind = models.CharField(max_length=12, choices=SegmentKind.choices)
    step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="segments", db_constraint=False, db_index=False)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="segments", db_constraint=False, db_index=False)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="segments", db_constraint=False)
    entered_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    wait_s = models.IntegerField(default=0)
    talk_s = models.IntegerField(default=0)
    hold_s = models.IntegerField(default=0)
    acw_s = models.IntegerField(default=0)
    outcome = models.CharField(max_length=12, choices=SegmentOutcome.choices)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["contact", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "seq"], name="segment_unique_seq"),
        ]
        indexes = [
            models.Index(fields=["queue", "entered_at"]),
            models.Index(fields=["step"], condition=models.Q(step__isnull=False),
                         name="segment_step_set"),
        ]

    def __str__(self):
        return f"{self.contact} #{self.seq} {self.kind}"


class SurveyResponseQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "contact__queue_id", "channel": "contact__channel",
                   "site": "contact__queue__site", "pathway": "contact__pathway_id",
                   "segment": "contact__customer_segment"}


class SurveyResponse(models.Model):
    """A post-contact survey answer. ``contact`` is set when ``contact_ref`` matched a contact;
    unmatched responses are kept (and counted) rather than dropped."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="survey_responses")
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="surveys")
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL,
                              related_name="surveys")
    external_id = models.CharField(max_length=200)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="surveys")
    contact_ref = models.CharField(max_length=200, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    csat = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 (worst) to 5.")
    nps = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 to 10.")
    resolved_first_time = models.BooleanField(null=True, blank=True)
    comment = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        ordering = ["responded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"],
                                    name="survey_unique_external_id"),
        ]

    def __str__(self):
        return f"survey {self.external_id}"


class AgentStateQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "queue_id", "site": "agent__site"}


class AgentState(models.Model):
    """A span of time an agent spent in one state (staffed, available, busy, paused)."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="agent_states")
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="agent_states")
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL,
                              related_name="agent_states")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="states")
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="agent_states")
    state = models.CharField(max_length=10, choices=AgentStateKind.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    reason = models.CharField(max_length=120, blank=True)

    objects = AgentStateQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "agent", "state", "started_at"],
                                    name="agentstate_unique_start"),
        ]

    def __str__(self):
        return f"{self.agent} {self.state} {self.started_at:%Y-%m-%d %H:%M}"


class IntervalStatQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "queue_id", "channel": "channel", "site": "queue__site",
                   "pathway": "step__pathway_id", "segment": "customer_segment"}


class IntervalStat(models.Model):
    """Additive quantities for one 15-minute interval (or the source's interval length) of one
    routing point and segment. Every KPI at every granularity is a ratio of sums of these.

    ``interval_start`` is UTC; ``local_date``, ``local_minute`` (minutes after local midnight)
    and ``weekday`` (0 = Monday) are the same instant in the centre's time zone, stored so that
    days, weeks and months group in SQL. A contact counts in the interval in which it arrived at
    the step.

    Queue quantities (``offered`` … ``wait_*``, wait buckets) come from queue segments:
    ``offered`` = entered the queue; ``answered``/``abandoned`` there; ``flowed_out`` = left the
    queue unanswered without abandoning (overflow, timeout, transfer out of queue). Handling
    quantities (``handled``, ``talk_s``, ``hold_s``, ``acw_s``, ``transfers``, ``escalations``)
    come from the agent legs that answered those queue contacts and sit on the same row. IVR
    quantities (``ivr_*``) come from IVR segments and sit on rows of the IVR routing point, whose
    queue quantities stay zero — so any sum over any rows is correct. Staffing seconds are carried
    on rows with empty contact type and customer segment.
    """

    # Rollups are written only by the rollup services from ids they resolved; like the fact
    # tables their foreign keys carry no database constraint (see Contact).
    # centre and source are served by the (centre, local_date) and (source, interval_start)
    # indexes, queue by (queue, local_date); each extra index is paid on every rollup row
    # written. Contact-derived rows name no step: the step's index holds only the rows that do.
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="interval_stats",
                               db_constraint=False, db_index=False)
    source = models.ForeignKey(DataSource, null=True, on_delete=models.CASCADE,
                               related_name="interval_stats", db_constraint=False,
                               db_index=False)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_constraint=False)
    interval_start = models.DateTimeField()
    interval_s = models.PositiveIntegerField(default=900)
    local_date = models.DateField()
    local_minute = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField()
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="interval_stats", db_constraint=False,
                              db_index=False)
    step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="interval_stats", db_constraint=False,
                             db_index=False)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.VOICE)
    contact_type = models.CharField(max_length=60, blank=True)
    customer_segment = models.CharField(max_length=60, blank=True)

    offered = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)
    flowed_out = models.PositiveIntegerField(default=0)
    handled = models.PositiveIntegerField(default=0)
    transfers = models.PositiveIntegerField(default=0)
    escalations = models.PositiveIntegerField(default=0)
    wait_answered_s = models.BigIntegerField(default=0, help_text="Σ wait of answered contacts.")
    wait_abandoned_s = models.BigIntegerField(default=0, help_text="Σ wait of abandons.")
    wait_max_s = models.PositiveIntegerField(default=0)
    talk_s = models.BigIntegerField(default=0)
    hold_s = models.BigIntegerField(default=0)
    acw_s = models.BigIntegerField(default=0)
    staffed_s = models.BigIntegerField(default=0)
    available_s = models.BigIntegerField(default=0)
    busy_s = models.BigIntegerField(default=0)
    ivr_sessions = models.PositiveIntegerField(default=0)
    ivr_contained = models.PositiveIntegerField(default=0, help_text="Ended in self-service.")
    ivr_to_queue = models.PositiveIntegerField(default=0, help_text="Passed to a queue/agent.")
    ivr_abandoned = models.PositiveIntegerField(default=0, help_text="Hung up in the IVR.")

    objects = IntervalStatQuerySet.as_manager()

    class Meta:
        ordering = ["interval_start", "pk"]
        indexes = [
            models.Index(fields=["centre", "local_date"]),
            models.Index(fields=["source", "interval_start"]),
            models.Index(fields=["queue", "local_date"]),
            models.Index(fields=["step"], condition=models.Q(step__isnull=False),
                         name="intervalstat_step_set"),
        ]

    def __str__(self):
        return f"{self.queue or '-'} {self.interval_start:%Y-%m-%d %H:%M}"


for _b in WAIT_BUCKETS_S:
    IntervalStat.add_to_class(
        f"answered_le_{_b}s",
        models.PositiveIntegerField(default=0, help_text=f"Answered with wait ≤ {_b} s."),
    )
    IntervalStat.add_to_class(
        f"abandoned_le_{_b}s",
        models.PositiveIntegerField(default=0, help_text=f"Abandoned with wait ≤ {_b} s."),
    )

# Quantities that add up across intervals and segments (``wait_max_s`` combines by max instead).
ADDITIVE_FIELDS = (
    "offered", "answered", "abandoned", "flowed_out", "handled", "transfers",
    "escalations", "wait_answered_s", "wait_abandoned_s", "talk_s", "hold_s", "acw_s",
    "staffed_s", "available_s", "busy_s", "ivr_sessions", "ivr_contained", "ivr_to_queue",
    "ivr_abandoned",
    *(f"answered_le_{b}s" for b in WAIT_BUCKETS_S),
    *(f"abandoned_le_{b}s" for b in WAIT_BUCKETS_S),
)


class AgentIntervalStatQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "queue_id", "site": "agent__site"}


class AgentIntervalStat(models.Model):
    """Additive per-agent quantities per interval: handled contacts, handling seconds, and the
    agent's staffed/available/busy seconds (for occupancy and team/agent performance)."""

    # As IntervalStat: centre and source are served by the composite indexes (the centre and
    # its dates by the leading columns of the covering index below), and the queue is always
    # filtered together with the centre and dates.
    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False, db_index=False)
    source = models.ForeignKey(DataSource, null=True, on_delete=models.CASCADE, related_name="+",
                               db_constraint=False, db_index=False)
    interval_start = models.DateTimeField()
    local_date = models.DateField()
    local_minute = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField()
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="interval_stats",
                              db_constraint=False)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="+", db_constraint=False, db_index=False)
    handled = models.PositiveIntegerField(default=0)
    transfers = models.PositiveIntegerField(default=0)
    escalations = models.PositiveIntegerField(default=0)
    talk_s = models.BigIntegerField(default=0)
    hold_s = models.BigIntegerField(default=0)
    acw_s = models.BigIntegerField(default=0)
    staffed_s = models.BigIntegerField(default=0)
    available_s = models.BigIntegerField(default=0)
    busy_s = models.BigIntegerField(default=0)

    objects = AgentIntervalStatQuerySet.as_manager()

    class Meta:
        ordering = ["interval_start", "pk"]
        indexes = [
            models.Index(fields=["source", "interval_start"]),
            # Covers the agent time read by day and longer (reports.selectors.agent_time_frame:
            # the handling shares and the per-agent sums of a centre's days) from the index
            # alone, in the order it groups by: a year of KPIs by day read it in a fifth of the
            # time a table scan took.
            models.Index(fields=["centre", "local_date", "agent", "queue", "staffed_s",
                                 "available_s", "busy_s", "talk_s", "hold_s", "acw_s",
                                 "handled"], name="agentstat_day_agent_time"),
        ]

    def __str__(self):
        return f"{self.agent} {self.interval_start:%Y-%m-%d %H:%M}"
