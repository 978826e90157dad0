"""Writes for measurement design: plans, objectives, KPIs, targets, budget lines, planned
volumes, metric definitions (with new versions from a date) and measurement configurations.

Every write validates with the model rules (``full_clean``) inside a transaction, so the browser
forms and the REST API refuse the same bad input with the same field-named messages, and nothing
is half-written.
"""
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError

from ..models import (
    BudgetLine,
    BusinessPlan,
    Kpi,
    MeasurementConfig,
    MetricDefinition,
    Objective,
    PlannedVolume,
    Target,
)

MODELS = {
    "plan": BusinessPlan, "objective": Objective, "kpi": Kpi, "target": Target,
    "budget_line": BudgetLine, "planned_volume": PlannedVolume, "config": MeasurementConfig,
}


def _save(instance, fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def design_object_create(kind, **fields):
    """Create a plan, objective, kpi, target, budget_line, planned_volume or config."""
    return _save(MODELS[kind](), fields)


@transaction.atomic
def design_object_update(instance, **fields):
    return _save(instance, fields)


@transaction.atomic
def design_object_delete(instance):
    """Delete; refused (ValidationError listing them) while protected rows refer to it, for
    example a metric definition version that measurement configurations use."""
    try:
        instance.delete()
    except ProtectedError as exc:
        used = sorted({str(obj) for obj in exc.protected_objects})
        shown = ", ".join(used[:5]) + (", …" if len(used) > 5 else "")
        raise ValidationError(
            f"“{instance}” cannot be deleted: {len(used)} other record(s) use it ({shown})."
        ) from exc


@transaction.atomic
def metric_definition_create(**fields):
    return _save(MetricDefinition(), fields)


@transaction.atomic
def metric_definition_update(definition, **fields):
    """Correct a version in place (typo in a description, say). Changing what a figure means —
    formula, parameters, unit, range — must be a new version instead."""
    meaning = {"formula", "parameters", "unit", "components", "valid_min", "valid_max"}
    changed = [f for f in meaning & set(fields) if fields[f] != getattr(definition, f)]
    if changed and definition.configs.exists():
        raise ValidationError({changed[0]: (
            "Measurements already use this version; start a new version from a date instead "
            "so earlier figures keep their meaning.")})
    return _save(definition, fields)


@transaction.atomic
def metric_definition_new_version(definition, *, effective_from, change_note="", **changes):
    """Start a new version of ``definition``'s metric on ``effective_from`` (centre-local date).

    The version in force the day before is closed on ``effective_from − 1 day``; the new version
    copies it with ``changes`` applied (for example ``parameters={"threshold_s": 30, …}``) and
    stays open-ended, or ends where the next later version begins. Refused (ValidationError on
    ``effective_from``) when that day is not after the start of the version it would close.
    """
    latest = (MetricDefinition.objects.select_for_update()
              .filter(code=definition.code, variant=definition.variant)
              .in_force(effective_from).order_by("-version").first())
    if latest is None:
        latest = definition
    if effective_from <= latest.effective_from:
        raise ValidationError({"effective_from": (
            f"A new version must start after {latest.effective_from:%Y-%m-%d}, the first day of "
            f"version {latest.version} it replaces.")})
    later = (MetricDefinition.objects.filter(code=definition.code, variant=definition.variant,
                                             effective_from__gt=effective_from)
             .order_by("effective_from").first())
    previous_end = latest.effective_to
    latest.effective_to = effective_from - datetime.timedelta(days=1)
    latest.full_clean()
    latest.save(update_fields=["effective_to"])
    top = MetricDefinition.objects.filter(code=definition.code, variant=definition.variant) \
        .order_by("-version").first()
    new = MetricDefinition(
        code=latest.code, variant=latest.variant, is_default_variant=latest.is_default_variant,
        name=latest.name, description=latest.description, formula=latest.formula,
        components=latest.components, unit=latest.unit, valid_min=latest.valid_min,
        valid_max=latest.valid_max, higher_is_better=latest.higher_is_better,
        parameters=dict(latest.parameters or {}), version=top.version + 1,
        effective_from=effective_from,
        effective_to=(later.effective_from - datetime.timedelta(days=1)) if later
        else previous_end,
        change_note=change_note,
    )
    return _save(new, changes)
