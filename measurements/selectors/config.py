"""Reads of measurement configurations and the coverage of pathways by measurements."""
from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from pathways.constants import StepKind

from ..models import MeasurementConfig, MetricDefinition

EXIT_KINDS = {StepKind.EXIT, StepKind.SELF_SERVICE_END}


def config_list(scope=None, **filters):
    """Measurement configurations visible in ``scope`` (``filters`` are ORM lookups such as
    ``step__pathway=…``)."""
    return (MeasurementConfig.objects.restrict(scope).filter(**filters)
            .select_related("metric", "step__pathway", "step__queue", "source",
                            "kpi__objective__plan", "target__kpi__objective__plan"))


def configs_with_current_version(configs, on_date=None):
    """The configurations as a list, each with ``current_metric``: the version of its metric in
    force on ``on_date`` (default: today, centre-local) when that is not the configured one."""
    on_date = on_date or timezone.localdate()
    current = {(d.code, d.variant): d for d in
               MetricDefinition.objects.in_force(on_date).order_by("version")}
    configs = list(configs)
    for cfg in configs:
        now = current.get((cfg.metric.code, cfg.metric.variant))
        cfg.current_metric = now if now and now.pk != cfg.metric_id else None
    return configs


def pathway_coverage(pathway, scope=None):
    """Per step of ``pathway``: which measurements capture it, from which system, and whether
    any does.

    Returns ``{"rows": [...], "unmeasured": [Step], "measured_count": int}`` where each row is
    ``{"step", "role" ("entry"/"step"/"exit"), "configs", "systems", "methods", "measured"}``.
    ``systems`` are the data sources of its measurements plus the step's system of record; an
    exit is a step of an exit kind or with no way out.
    """
    steps = list(pathway.steps.select_related("queue").order_by("position", "pk"))
    with_exit = set(pathway.transitions.values_list("source_id", flat=True))
    configs = defaultdict(list)
    for cfg in config_list(scope, step__pathway=pathway, active=True):
        configs[cfg.step_id].append(cfg)
    rows = []
    for step in steps:
        found = configs.get(step.pk, [])
        role = "entry" if step.is_entry else (
            "exit" if step.kind in EXIT_KINDS or step.pk not in with_exit else "step")
        systems = sorted({f"{c.source.name} ({c.source.get_kind_display()})"
                          for c in found if c.source_id})
        rows.append({"step": step, "role": role, "configs": found, "systems": systems,
                     "system_of_record": step.system_of_record,
                     "methods": sorted({c.get_method_display() for c in found}),
                     "measured": bool(found)})
    unmeasured = [r["step"] for r in rows if not r["measured"]]
    return {"rows": rows, "unmeasured": unmeasured,
            "measured_count": len(rows) - len(unmeasured)}


def service_level_thresholds_by_channel(centre) -> dict[str, int]:
    """The service-level threshold (seconds) each channel is measured at: the one most of the
    channel's configured service-level measurements use (queues of one channel usually share
    it; e-mail is answered within hours, calls within seconds). Channels without such a
    measurement are absent: the metric catalogue's default applies to them."""
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    configs = MeasurementConfig.objects.filter(
        step__pathway__centre=centre, metric__code="service_level", active=True).values_list(
        "step__queue__channel", "step__pathway__channel", "parameters")
    for queue_channel, pathway_channel, parameters in configs:
        threshold = (parameters or {}).get("threshold_s")
        channel = queue_channel or pathway_channel
        if channel and isinstance(threshold, int) and threshold > 0:
            counts[channel][threshold] += 1
    return {channel: max(found, key=lambda t: (found[t], -t))
            for channel, found in counts.items()}
