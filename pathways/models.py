"""Pathway models, and the queues and agents that pathway steps are observed through."""
from django.core.exceptions import ValidationError
from django.db import models

from contactmis.models import Centre
from contactmis.scope import ScopedQuerySet

from .constants import Channel, MeasurementMethod, QueueKind, StepKind, TransitionKind


class QueueQuerySet(ScopedQuerySet):
    scope_paths = {"queue": "pk", "channel": "channel", "site": "site"}


class Queue(models.Model):
    """A routing point as named in the source data: an ACD queue (skill/split), an IVR application,
    a digital queue or a case-management work basket. Created by ingestion the first time a code
    is seen, then named and placed (site, vendor) by the manager.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="queues")
    code = models.CharField(max_length=120, help_text="The queue's identifier in the source data.")
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=QueueKind.choices, default=QueueKind.ACD)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.VOICE)
    site = models.CharField(max_length=120, blank=True, help_text="Site or operator running it.")

    objects = QueueQuerySet.as_manager()

    class Meta:
        ordering = ["centre", "code"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="queue_unique_code"),
        ]

    def __str__(self):
        return self.name or self.code


class AgentQuerySet(ScopedQuerySet):
    scope_paths = {"site": "site"}


class Agent(models.Model):
    """A person (or login) who handles contacts, as identified in the source data."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="agents")
    code = models.CharField(max_length=120, help_text="The agent's identifier in the source data.")
    name = models.CharField(max_length=200, blank=True)
    team = models.CharField(max_length=120, blank=True)
    site = models.CharField(max_length=120, blank=True)

    objects = AgentQuerySet.as_manager()

    class Meta:
        ordering = ["centre", "code"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="agent_unique_code"),
        ]

    def __str__(self):
        return self.name or self.code


class PathwayQuerySet(ScopedQuerySet):
    scope_paths = {"pathway": "pk", "channel": "channel"}


class Pathway(models.Model):
    """A route customers take through the centre: a directed graph of steps from an entry."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="pathways")
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.VOICE)
    description = models.TextField(blank=True)

    objects = PathwayQuerySet.as_manager()

    class Meta:
        ordering = ["centre", "name"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "name"], name="pathway_unique_name"),
        ]

    def __str__(self):
        return self.name


class StepQuerySet(ScopedQuerySet):
    scope_paths = {"pathway": "pathway_id", "channel": "pathway__channel", "queue": "queue_id"}


class Step(models.Model):
    """One step of a pathway, the system that records it, and how it is measured.

    ``queue`` ties the step to the routing point whose data observes it (an IVR application, an
    ACD queue, a digital queue); ``system_of_record`` names the system that holds its records.
    """

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    is_entry = models.BooleanField(default=False, help_text="Contacts enter the pathway here.")
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="steps",
        help_text="The routing point in the data that observes this step.",
    )
    system_of_record = models.CharField(
        max_length=200, blank=True, help_text="Which ACD, IVR, CRM or web platform records it."
    )
    measurement_methods = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["pathway", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["pathway", "name"], name="step_unique_name"),
        ]

    def __str__(self):
        return f"{self.pathway}: {self.name}"

    @property
    def measurement_method_labels(self):
        labels = dict(MeasurementMethod.choices)
        return [labels.get(m, m) for m in self.measurement_methods or []]

    def clean(self):
        """Measurement methods come from the vocabulary; taking the entry mark off a step must not
        leave a loop that no entry reaches."""
        methods = self.measurement_methods or []
        unknown = [m for m in methods if m not in MeasurementMethod.values] \
            if isinstance(methods, list) else [methods]
        if unknown:
            raise ValidationError({"measurement_methods": (
                f"Unknown measurement method {unknown[0]!r}; choose from "
                f"{', '.join(MeasurementMethod.values)}.")})
        if not self.pk or self.is_entry or not self.pathway_id:
            return
        from .graph import unreachable_cycles

        steps = dict(self.pathway.steps.values_list("pk", "is_entry"))
        steps[self.pk] = False
        edges = list(self.pathway.transitions.values_list("source_id", "target_id"))
        cycles = unreachable_cycles(list(steps), edges, {pk for pk, e in steps.items() if e})
        if cycles:
            names = dict(self.pathway.steps.values_list("pk", "name"))
            loop = " → ".join(names[pk] for pk in cycles[0])
            raise ValidationError({"is_entry": (
                f"Without this entry the loop {loop} can no longer be reached from any entry "
                "step; keep it as an entry or mark another step of the loop as one.")})


class TransitionQuerySet(ScopedQuerySet):
    scope_paths = {"pathway": "pathway_id", "channel": "pathway__channel"}


class Transition(models.Model):
    """A directed edge between two steps of the same pathway, with its label."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="transitions")
    source = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="incoming")
    kind = models.CharField(max_length=12, choices=TransitionKind.choices,
                            default=TransitionKind.ROUTE)
    label = models.CharField(max_length=200, blank=True,
                             help_text="Menu option, overflow rule, transfer or escalation reason.")

    objects = TransitionQuerySet.as_manager()

    class Meta:
        ordering = ["pathway", "source", "target"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "label"],
                                    name="transition_unique_edge"),
        ]

    def __str__(self):
        label = f" ({self.label})" if self.label else ""
        return f"{self.source.name} → {self.target.name}{label}"

    def clean(self):
        """Both ends belong to this pathway, and the edge closes no loop that no entry reaches."""
        if not (self.pathway_id and self.source_id and self.target_id):
            return
        for field in ("source", "target"):
            step = getattr(self, field)
            if step.pathway_id != self.pathway_id:
                raise ValidationError({field: (
                    f"Step “{step.name}” belongs to pathway “{step.pathway}”; a transition of "
                    f"“{self.pathway}” can only join steps of that pathway.")})
        from .graph import unreachable_cycles

        steps = dict(self.pathway.steps.values_list("pk", "is_entry"))
        edges = list(self.pathway.transitions.exclude(pk=self.pk)
                     .values_list("source_id", "target_id"))
        edges.append((self.source_id, self.target_id))
        entries = {pk for pk, is_entry in steps.items() if is_entry}
        for cycle in unreachable_cycles(list(steps), edges, entries):
            if self.source_id in cycle and self.target_id in cycle:
                names = dict(self.pathway.steps.values_list("pk", "name"))
                loop = " → ".join(names[pk] for pk in cycle)
                raise ValidationError({"target": (
                    f"This transition closes the loop {loop}, which no entry step reaches, so "
                    "no contact could ever take it. Connect the loop from an entry step first "
                    "(or mark one of its steps as an entry).")})
