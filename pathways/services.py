"""Writes for pathways: every change is validated by the model rules (``full_clean``) first, so
the browser forms and the REST API refuse the same bad input with the same messages."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from .graph import unreachable_cycles
from .models import Pathway, Step, Transition
from .selectors import step_references


def _save(instance, fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def pathway_create(**fields):
    return _save(Pathway(), fields)


@transaction.atomic
def pathway_update(pathway, **fields):
    return _save(pathway, fields)


@transaction.atomic
def pathway_delete(pathway):
    """Delete a pathway with its steps; refused while any step is referred to."""
    for step in pathway.steps.all():
        _refuse_if_referenced(step)
    pathway.delete()


@transaction.atomic
def step_create(*, pathway, **fields):
    if "position" not in fields or fields["position"] in (None, 0):
        last = pathway.steps.aggregate(m=Max("position"))["m"]
        fields["position"] = 0 if last is None else last + 1
    if not pathway.steps.exists() and "is_entry" not in fields:
        fields["is_entry"] = True
    return _save(Step(pathway=pathway), fields)


@transaction.atomic
def step_update(step, **fields):
    return _save(step, fields)


def _refuse_if_referenced(step):
    refs = step_references(step)
    if refs:
        listing = "; ".join(f"{count} {what} ({', '.join(examples)}"
                            f"{', …' if count > len(examples) else ''})"
                            for what, count, examples in refs)
        raise ValidationError(
            {"step": f"Step “{step.name}” cannot be deleted: it is referred to by {listing}. "
                     "Remove or move those first."},
            code="referenced", params={"references": refs},
        )


@transaction.atomic
def step_delete(step):
    """Delete a step and its transitions; refused (``ValidationError`` listing what refers to
    it) while measurements or data point at it, or when it would strand a loop."""
    _refuse_if_referenced(step)
    pathway = step.pathway
    remaining = dict(pathway.steps.exclude(pk=step.pk).values_list("pk", "is_entry"))
    edges = list(pathway.transitions.exclude(source=step).exclude(target=step)
                 .values_list("source_id", "target_id"))
    _refuse_stranded_loops(pathway, remaining, edges, "step",
                           f"Deleting “{step.name}” would leave")
    step.delete()


@transaction.atomic
def transition_create(**fields):
    return _save(Transition(), fields)


@transaction.atomic
def transition_update(transition, **fields):
    return _save(transition, fields)


@transaction.atomic
def transition_delete(transition):
    """Delete a transition; refused when it is the only way into a loop from an entry."""
    pathway = transition.pathway
    steps = dict(pathway.steps.values_list("pk", "is_entry"))
    edges = list(pathway.transitions.exclude(pk=transition.pk)
                 .values_list("source_id", "target_id"))
    _refuse_stranded_loops(pathway, steps, edges, "transition",
                           f"Deleting “{transition}” would leave")
    transition.delete()


def _refuse_stranded_loops(pathway, steps, edges, field, prefix):
    before = unreachable_cycles(
        list(pathway.steps.values_list("pk", flat=True)),
        list(pathway.transitions.values_list("source_id", "target_id")),
        set(pathway.steps.filter(is_entry=True).values_list("pk", flat=True)))
    after = unreachable_cycles(list(steps), edges, {pk for pk, e in steps.items() if e})
    new = [c for c in after if c not in before]
    if new:
        names = dict(pathway.steps.values_list("pk", "name"))
        loop = " → ".join(names[pk] for pk in new[0])
        raise ValidationError({field: f"{prefix} the loop {loop} unreachable from every entry "
                                      "step."})
