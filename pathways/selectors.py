"""Reads for pathways: lists, the drawn graph, observed volumes and what refers to a step.

Observed volumes come from the interval rollups of each step's routing point (``Step.queue``),
reached through the queue's reverse relation so this app never imports the measurements app.
Dates are centre-local calendar dates, both ends inclusive.
"""
from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Max, Q, Sum
from django.http import Http404

from .constants import StepKind, TransitionKind
from .graph import NODE_H, NODE_W, layered_layout, reachable, unreachable_cycles
from .models import Pathway, Queue, Step, Transition

# Which rollup quantity counts the contacts at a step of each kind.
STEP_MEASURE = {
    StepKind.IVR: "ivr_sessions",
    StepKind.QUEUE: "offered",
    StepKind.WEB: "offered",
    StepKind.CMS: "offered",
    StepKind.CALLBACK: "offered",
    StepKind.AGENT: "handled",
    StepKind.TRANSFER: "transfers",
    StepKind.ESCALATION: "escalations",
    StepKind.SELF_SERVICE_END: "ivr_contained",
}
# Steps observed on the rows of the routing point before them (agents answer the queue's
# contacts; transfers, escalations, abandons and self-service ends are counted there too).
INHERITS_ROUTING_POINT = {StepKind.AGENT, StepKind.TRANSFER, StepKind.ESCALATION,
                          StepKind.EXIT, StepKind.SELF_SERVICE_END}
EDGE_MEASURE = {
    TransitionKind.OVERFLOW: "flowed_out",
    TransitionKind.TRANSFER: "transfers",
    TransitionKind.ESCALATION: "escalations",
}
ROLLUP_FIELDS = ("offered", "answered", "abandoned", "flowed_out", "handled", "transfers",
                 "escalations", "ivr_sessions", "ivr_contained", "ivr_to_queue", "ivr_abandoned")


def pathway_list(scope=None):
    """Pathways visible in ``scope`` with their step and transition counts."""
    return (Pathway.objects.restrict(scope)
            .annotate(step_count=Count("steps", distinct=True),
                      transition_count=Count("transitions", distinct=True))
            .order_by("name"))


def pathway_get(pk, scope=None):
    """The pathway, or 404 when it does not exist or lies outside ``scope``."""
    pathway = Pathway.objects.restrict(scope).filter(pk=pk).first()
    if pathway is None:
        raise Http404("No such pathway.")
    return pathway


def pathway_steps(pathway):
    return list(pathway.steps.select_related("queue").order_by("position", "pk"))


def pathway_transitions(pathway):
    return list(pathway.transitions.select_related("source", "target"))


def pathway_unreachable_steps(pathway, steps=None, transitions=None):
    """Steps no entry step reaches (a pathway under construction may have some)."""
    steps = steps if steps is not None else pathway_steps(pathway)
    transitions = transitions if transitions is not None else pathway_transitions(pathway)
    seen = reachable({s.pk for s in steps if s.is_entry},
                     [(t.source_id, t.target_id) for t in transitions])
    return [s for s in steps if s.pk not in seen]


def pathway_problems(pathway, steps, transitions):
    """Plain-language problems of the graph for the pathway page."""
    problems = []
    if steps and not any(s.is_entry for s in steps):
        problems.append("No step is marked as an entry: mark where contacts enter.")
    names = {s.pk: s.name for s in steps}
    for cycle in unreachable_cycles(list(names), [(t.source_id, t.target_id)
                                                  for t in transitions],
                                    {s.pk for s in steps if s.is_entry}):
        problems.append("Loop " + " → ".join(names[pk] for pk in cycle)
                        + " is not reachable from any entry step.")
    return problems


def _quantity_sums(queue_ids, start_date, end_date):
    flt = Q(interval_stats__local_date__gte=start_date,
            interval_stats__local_date__lte=end_date)
    rows = (Queue.objects.filter(pk__in=queue_ids)
            .annotate(**{f: Sum(f"interval_stats__{f}", filter=flt) for f in ROLLUP_FIELDS})
            .values("pk", *ROLLUP_FIELDS))
    return {r["pk"]: {f: r[f] or 0 for f in ROLLUP_FIELDS} for r in rows}


def pathway_observed_volumes(pathway, start_date=None, end_date=None, steps=None,
                             transitions=None):
    """Contacts observed at each step and along each transition, from the interval rollups.

    Returns ``{"start_date", "end_date", "steps": {step_id: int}, "transitions": {id: int},
    "measures": {step_id: field}}``, or ``None`` when no rollup rows exist for the pathway's
    routing points. Without dates, the 28 days up to the latest day with data are used. A step
    without a routing point is read from the nearest preceding step that has one (an agent step
    after its ACD queue). A transition's volume is its target's when it is the target's only way
    in (and not an entry step); otherwise overflow/transfer/escalation edges use the matching
    quantity of their source.
    """
    steps = steps if steps is not None else pathway_steps(pathway)
    transitions = transitions if transitions is not None else pathway_transitions(pathway)
    incoming = defaultdict(list)
    for t in transitions:
        incoming[t.target_id].append(t)
    by_pk = {s.pk: s for s in steps}

    def routing_point(step, seen=()):
        if step.queue_id:
            return step.queue_id
        if step.kind not in INHERITS_ROUTING_POINT:
            return None
        for t in incoming[step.pk]:
            if t.source_id not in seen:
                found = routing_point(by_pk[t.source_id], (*seen, step.pk))
                if found:
                    return found
        return None

    queue_of = {s.pk: routing_point(s) for s in steps}
    queue_ids = {q for q in queue_of.values() if q}
    if not queue_ids:
        return None
    if end_date is None:
        end_date = (Queue.objects.filter(pk__in=queue_ids)
                    .aggregate(last=Max("interval_stats__local_date"))["last"])
        if end_date is None:
            return None
    if start_date is None:
        start_date = end_date - datetime.timedelta(days=27)
    sums = _quantity_sums(queue_ids, start_date, end_date)
    step_volume, measures = {}, {}
    for s in steps:
        queue_id = queue_of[s.pk]
        measure = STEP_MEASURE.get(s.kind)
        if s.kind == StepKind.EXIT:
            sources = {by_pk[t.source_id].kind for t in incoming[s.pk]}
            measure = "ivr_abandoned" if sources == {StepKind.IVR} else "abandoned"
        if queue_id and measure:
            step_volume[s.pk] = sums[queue_id][measure]
            measures[s.pk] = measure
    edge_volume = {}
    for t in transitions:
        target_is_entry = by_pk[t.target_id].is_entry  # contacts also arrive from outside
        if len(incoming[t.target_id]) == 1 and t.target_id in step_volume \
                and not target_is_entry:
            edge_volume[t.pk] = step_volume[t.target_id]
        elif t.kind in EDGE_MEASURE and queue_of.get(t.source_id):
            edge_volume[t.pk] = sums[queue_of[t.source_id]][EDGE_MEASURE[t.kind]]
    return {"start_date": start_date, "end_date": end_date, "steps": step_volume,
            "transitions": edge_volume, "measures": measures}


def _short(text, limit):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pathway_diagram(pathway, volumes=None, steps=None, transitions=None, flagged=()):
    """Everything the SVG template needs: canvas size, node boxes and edge paths with labels.

    ``flagged`` step ids are drawn with a warning outline (for example steps with no
    measurement on the coverage view).
    """
    steps = steps if steps is not None else pathway_steps(pathway)
    transitions = transitions if transitions is not None else pathway_transitions(pathway)
    volumes = volumes or {"steps": {}, "transitions": {}}
    labels = {}
    for t in transitions:
        text = t.label or t.get_kind_display()
        if t.pk in volumes["transitions"]:
            text = f"{text} · {volumes['transitions'][t.pk]:,}"
        labels[t.pk] = _short(text, 40)
    layout = layered_layout([s.pk for s in steps],
                            [(t.pk, t.source_id, t.target_id) for t in transitions],
                            {s.pk for s in steps if s.is_entry}, labels)
    nodes = []
    for s in steps:
        box = layout.nodes[s.pk]
        volume = volumes["steps"].get(s.pk)
        nodes.append({
            "step": s, "x": box.x, "y": box.y, "w": NODE_W, "h": NODE_H,
            "cx": box.x + NODE_W / 2, "tx": box.x + 16, "ty1": box.y + 21, "ty2": box.y + 37,
            "ty3": box.y + 53, "flag_x": box.x + NODE_W - 12,
            "title": _short(s.name, 22 if s.pk in flagged else 24),
            "subtitle": _short(s.get_kind_display().split(" (")[0], 30),
            "system": _short((f"{volume:,} contacts · " if volume is not None else "")
                             + (s.system_of_record or "no system of record"), 32),
            "volume": volume, "reachable": box.reachable, "flagged": s.pk in flagged,
            "kind": s.kind,
        })
    edges = [{"d": e.d, "label": e.label, "x": e.label_x, "y": e.label_y, "w": e.label_w,
              "left": e.label_x - e.label_w / 2, "top": e.label_y - 9, "back": e.back}
             for e in layout.edges]
    # the drawing scales down to the page width, but not below 70 % (labels stay readable)
    return {"width": layout.width, "height": layout.height, "min_width": layout.width * 0.7,
            "nodes": nodes, "edges": edges}


def step_references(step):
    """What refers to ``step`` outside its own pathway graph: ``[(what, count, examples)]``.

    Transitions are part of the graph (they go with the step); everything else — measurement
    configurations, contact segments, interval rollups, … — is found through the step's reverse
    relations, so any app that points at steps is covered.
    """
    found = []
    for rel in Step._meta.related_objects:
        if rel.related_model is Transition or not (rel.one_to_many or rel.one_to_one):
            continue
        qs = rel.related_model._base_manager.filter(**{rel.field.name: step})
        count = qs.count()
        if count:
            examples = [str(obj) for obj in qs[:3]]
            found.append((str(rel.related_model._meta.verbose_name_plural), count, examples))
    return found


def queues_fed_by(centre, routing_point_ids) -> dict[int, set[int] | None]:
    """For each IVR routing point (queue id) of ``centre``, the queues its callers can reach
    according to the centre's pathways: the routing points of every step downstream of a step
    the IVR observes (menu options, queues, transfers and escalations, all transitively).
    ``None`` for a routing point no pathway maps (the pathways say nothing about it)."""
    out: dict[int, set[int] | None] = {}
    steps = list(Step.objects.filter(pathway__centre=centre)
                 .values_list("pk", "pathway_id", "queue_id"))
    edges = list(Transition.objects.filter(pathway__centre=centre)
                 .values_list("source_id", "target_id"))
    queue_of = {pk: queue_id for pk, _, queue_id in steps}
    for point in routing_point_ids:
        entries = [pk for pk, _, queue_id in steps if queue_id == point]
        if not entries:
            out[point] = None
            continue
        out[point] = {queue_of[pk] for pk in reachable(entries, edges)
                      if queue_of[pk] is not None and queue_of[pk] != point}
    return out
