"""What a figure means, resolved in one place.

A figure is a metric over a scope, a period and a grouping. Every surface (KPI page, analysis
pages, widgets, wallboard, findings, reports, API, CLI) asks this module what its figures mean:

- **Definition versions** (:func:`definition_periods`): the metric-catalogue version of the
  service level in force on each day of the period, its variant and short-abandon threshold, split
  where a version changes mid-period, each with a label users read ("Service level, v2 since
  1 Mar 2026").
- **Thresholds** (:func:`sl_thresholds`): the service-level threshold each queue and channel is
  measured at, from its active service-level measurement configuration (calls in seconds,
  e-mails in hours). Queues without one are measured at the catalogue version's threshold. A row
  that covers queues with different thresholds counts "answered within each contact's own queue
  threshold" — a ratio of sums, never a blend of percentages — and says so (:data:`OWN_BASIS`).
- **Targets** (:func:`targets_in_force`): the business plan's target in force for the slice a
  row covers (one queue, one channel, or the whole scope), in the figure's unit (service level as
  a fraction 0..1, times in seconds), with the plan, objective and KPI it comes from. A figure
  with no target has none: nothing here, and nothing elsewhere, invents one.

Explicit overrides (a page form's threshold, a widget's option, a CLI flag) are passed in by the
caller and reported back as overrides, so a figure judged otherwise than configured says so.

Dates are centre-local calendar dates; ``end`` is exclusive unless named ``last_day``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db.models import Q

from measurements.models import MeasurementConfig, MetricDefinition, Target
from measurements.selectors import metric_definition_in_force, metric_versions_between
from pathways.models import Queue

from .analysis.kpis import DEFAULT_SL_VARIANT, SL_VARIANTS, KpiParams
from .vocabulary import METRICS, fmt_duration

OWN_BASIS = "each queue's own threshold"
# Waiting-time figures: seconds for calls and chat, hours for e-mail and web forms.
WAIT_COLUMNS = frozenset({"asa_s", "wait_max_s"})
# The service-level threshold and short-abandon threshold of the catalogue's first versions
# (seeded with the catalogue): used only for days no catalogue version covers, and labelled so.
CATALOGUE_GAP_LABEL = "standard definition (no catalogue version in force)"
_SEED = KpiParams(sl_threshold_s=20, short_abandon_s=5, definition_version=CATALOGUE_GAP_LABEL)
# Catalogue metric code (and variant) → column of the KPI tables.
CODE_COLUMNS = {
    "service_level": "service_level", "asa": "asa_s", "aht": "aht_s",
    "abandon_rate": "abandon_rate", "occupancy": "occupancy", "transfer_rate": "transfer_rate",
    "escalation_rate": "escalation_rate", "ivr_containment": "ivr_containment",
    "cost_per_contact": "cost_per_contact", "offered": "offered", "answered": "answered",
    "abandoned": "abandoned", "talk_time": "avg_talk_s", "hold_time": "avg_hold_s",
    "acw_time": "avg_acw_s", "csat": "csat", "nps": "nps", "fcr": "fcr",
}


# --- definition versions ------------------------------------------------------------------------

@dataclass(frozen=True)
class ParamsPeriod:
    """Metric parameters in force from ``start`` (inclusive) to ``end`` (exclusive)."""

    start: dt.date
    end: dt.date
    params: KpiParams


def definition_label(definition: MetricDefinition | None) -> str:
    """How users read a catalogue version: "Service level, v1", or "…, v2 since 1 Mar 2026"
    for a version that replaced another."""
    if definition is None:
        return f"Service level, {CATALOGUE_GAP_LABEL}"
    since = ""
    if definition.version > 1:
        since = f" since {definition.effective_from.day} {definition.effective_from:%b %Y}"
    return f"{definition.name}, v{definition.version}{since}"


def definition_periods(centre, start: dt.date, end: dt.date) -> list[ParamsPeriod]:
    """The service-level definition in force for each sub-period of [start, end): one
    :class:`ParamsPeriod` per catalogue version of the default ``service_level`` variant, in
    date order, covering [start, end) without gaps. Each carries the version's threshold (for
    queues with no measurement configuration of their own), its short-abandon threshold (else
    the ``abandon_rate`` definition's in force then), its variant and label. ``centre`` is taken
    for per-centre catalogues; there is one catalogue today."""
    if end <= start:
        return [ParamsPeriod(start, end, _SEED)]
    periods: list[ParamsPeriod] = []
    cursor = start
    for version in metric_versions_between("service_level", start, end - dt.timedelta(days=1)):
        if version.start_date > cursor:
            periods.append(ParamsPeriod(cursor, version.start_date, _SEED))
        parameters = version.definition.parameters or {}
        short = parameters.get("short_abandon_s")
        if short is None:
            short = _abandon_rate_short_threshold(version.start_date)
        params = KpiParams(
            sl_threshold_s=parameters.get("threshold_s", _SEED.sl_threshold_s),
            short_abandon_s=short,
            sl_variant=version.definition.variant or DEFAULT_SL_VARIANT,
            definition_version=definition_label(version.definition),
        )
        stop = version.end_date + dt.timedelta(days=1)
        periods.append(ParamsPeriod(version.start_date, stop, params))
        cursor = stop
    if cursor < end:
        periods.append(ParamsPeriod(cursor, end, _SEED))
    return periods


def _abandon_rate_short_threshold(on_date: dt.date) -> int:
    try:
        definition = metric_definition_in_force("abandon_rate", on_date)
    except MetricDefinition.DoesNotExist:
        return _SEED.short_abandon_s
    return (definition.parameters or {}).get("short_abandon_s", _SEED.short_abandon_s)


def periods_label(periods: list[ParamsPeriod]) -> str:
    """The definitions used, for captions: one label, or one per sub-period."""
    if len(periods) == 1:
        return periods[0].params.definition_version

    def day(d):
        return f"{d.day} {d:%b %Y}"

    return "; ".join(f"{day(p.start)}–{day(p.end - dt.timedelta(days=1))}: "
                     f"{p.params.definition_version}" for p in periods)


# --- thresholds ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Thresholds:
    """Service-level thresholds (seconds) configured per queue and per channel. ``by_channel``
    holds thresholds of measurements at steps without a queue (a web-form pathway, say), and the
    threshold most of a channel's queues use (so a channel-level row can name it)."""

    by_queue: dict = field(default_factory=dict)
    by_channel: dict = field(default_factory=dict)
    override_s: int | None = None

    @property
    def slow_channels(self) -> list[str]:
        """Channels measured in hours (a configured threshold of an hour or more: e-mail, web
        forms): their waiting and handling times are never averaged with those of channels
        measured in seconds."""
        return sorted(c for c, t in self.by_channel.items() if t >= 3600)

    def for_row(self, queue_id, channel, default_s: int) -> int:
        if self.override_s is not None:
            return self.override_s
        if queue_id in self.by_queue:
            return self.by_queue[queue_id]
        return self.by_channel.get(channel, default_s)

    def groups(self, default_s: int) -> list[tuple[int, Q]]:
        """``(threshold, condition on a rollup row)`` pairs, most specific first; rows matching
        none are measured at ``default_s``. Used to build SQL that picks each row's own wait
        bucket."""
        if self.override_s is not None:
            return []
        out = []
        queues: dict[int, list] = {}
        for queue_id, seconds in self.by_queue.items():
            queues.setdefault(seconds, []).append(queue_id)
        for seconds, ids in sorted(queues.items()):
            out.append((seconds, Q(queue_id__in=sorted(ids))))
        configured = Q(queue_id__in=sorted(self.by_queue)) if self.by_queue else Q(pk__in=[])
        channels: dict[int, list] = {}
        for channel, seconds in self.by_channel.items():
            if seconds != default_s:
                channels.setdefault(seconds, []).append(channel)
        for seconds, names in sorted(channels.items()):
            out.append((seconds, Q(channel__in=sorted(names)) & ~configured))
        return out


def sl_thresholds(centre, override_s: int | None = None) -> Thresholds:
    """The service-level threshold each queue and channel of ``centre`` is measured at, from the
    active service-level measurement configurations (the configuration's own ``threshold_s``,
    else its metric version's). ``override_s`` (an explicit choice of the caller) replaces them
    all and is reported as an override."""
    if override_s is not None:
        return Thresholds(override_s=int(override_s))
    by_queue: dict[int, int] = {}
    counts: dict[str, dict[int, int]] = {}
    configs = (MeasurementConfig.objects.filter(step__pathway__centre=centre,
                                                 metric__code="service_level", active=True)
               .select_related("metric", "step__queue", "step__pathway").order_by("pk"))
    for cfg in configs:
        seconds = cfg.effective_parameters.get("threshold_s")
        if not isinstance(seconds, int) or seconds <= 0:
            continue
        queue = cfg.step.queue
        channel = (queue.channel if queue else "") or cfg.step.pathway.channel
        if queue is not None:
            by_queue.setdefault(queue.pk, seconds)
        if channel:
            counts.setdefault(channel, {}).setdefault(seconds, 0)
            counts[channel][seconds] += 1
    by_channel = {channel: max(found, key=lambda t: (found[t], -t))
                  for channel, found in counts.items()}
    return Thresholds(by_queue=by_queue, by_channel=by_channel)


def threshold_basis(threshold_s, thresholds: Thresholds | None = None) -> str:
    """The words under a service level: "20 s", "24 h", "each queue's own threshold", or
    "20 s (chosen here, not the configured thresholds)" for an override."""
    if thresholds is not None and thresholds.override_s is not None:
        return f"{fmt_duration(thresholds.override_s)} (chosen here, not the configured " \
               "thresholds)"
    if threshold_s is None:
        return OWN_BASIS
    return fmt_duration(threshold_s)


# --- targets ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResolvedTarget:
    """A target in force for a figure, in the figure's unit (fractions 0..1 for percentages,
    seconds, counts, currency). ``source`` is "plan" or "override"."""

    metric: str
    value: float
    kpi: str = ""
    objective: str = ""
    plan: str = ""
    applies_to: str = "whole scope"
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    source: str = "plan"
    # Read by a viewer who may not see the centre's plan (a vendor): the target of its own
    # queue, described without the plan's, objective's or KPI's names.
    private: bool = False

    @property
    def higher_is_better(self) -> bool:
        metric = METRICS.get(self.metric)
        return metric is None or metric.higher_is_better is not False

    def met(self, actual) -> bool | None:
        if actual is None or actual != actual:  # None or NaN
            return None
        return actual >= self.value if self.higher_is_better else actual <= self.value

    def describe(self) -> str:
        where = f" ({self.applies_to})" if self.applies_to else ""
        if self.source == "override":
            return f"target {METRICS[self.metric].fmt(self.value)} chosen here{where}"
        if self.private:
            return f"contract target {METRICS[self.metric].fmt(self.value)}{where}"
        return f"target {METRICS[self.metric].fmt(self.value)} from “{self.plan}” › " \
               f"{self.objective} › {self.kpi}{where}"

    def as_dict(self) -> dict:
        hidden = self.private
        return {"metric": self.metric, "value": self.value, "kpi": "" if hidden else self.kpi,
                "objective": "" if hidden else self.objective,
                "plan": "" if hidden else self.plan, "applies_to": self.applies_to,
                "period_start": self.period_start.isoformat() if self.period_start else None,
                "period_end": self.period_end.isoformat() if self.period_end else None,
                "source": self.source}


def _column(kpi_code: str, variant: str) -> str | None:
    column = CODE_COLUMNS.get(kpi_code)
    if column == "service_level" and variant and variant != DEFAULT_SL_VARIANT \
            and variant in SL_VARIANTS:
        return f"service_level__{variant}"
    return column


def _unit_value(value: Decimal, unit: str) -> float:
    return float(value) / 100 if unit == "percent" else float(value)


@dataclass
class TargetBook:
    """Every plan target of a centre overlapping a period, read once; :meth:`for_slice` picks
    the one in force for a slice. Build it with :func:`target_book`."""

    centre: object
    last_day: dt.date
    targets: list
    units: dict
    queue_channels: dict
    thresholds: Thresholds = field(default_factory=Thresholds)
    private: bool = False

    def for_slice(self, *, queue_id=None, channel="", customer_segment="",
                  metrics=None, on_day: dt.date | None = None) -> dict[str, ResolvedTarget]:
        """metric column → target in force on ``on_day`` (default: the period's last day; else
        the latest that overlaps) for the slice: one queue (its own target, else its
        channel's, else the general one), one channel (its target, else the general one) or
        the whole scope (the general target only). Customer-segment targets apply only to a
        row of that segment. A channel measured in hours (e-mail, web forms) takes time
        targets (seconds) only from targets set for it or its queues, never the general one."""
        if queue_id is not None and not channel:
            channel = self.queue_channels.get(queue_id, "")
        # A centre-wide target of a time (ASA 25 s, AHT 420 s) is about the channels answered
        # in seconds: it never judges e-mails or web forms, answered within hours.
        slow = (self.thresholds.by_queue.get(queue_id, 0) >= 3600 if queue_id in
                self.thresholds.by_queue else channel in self.thresholds.slow_channels)
        day = on_day or self.last_day
        best: dict[str, tuple] = {}
        for t in self.targets:
            if t.queue_id is not None and t.queue_id != queue_id:
                continue
            if t.channel and t.channel != channel:
                continue
            if t.customer_segment and t.customer_segment != customer_segment:
                continue
            column = _column(t.kpi.metric_code, t.kpi.metric_variant)
            if column is None or (metrics is not None and column not in metrics):
                continue
            if (column in WAIT_COLUMNS and slow and not t.channel
                    and t.queue_id is None):
                continue
            rank = (bool(t.queue_id) * 4 + bool(t.channel) * 2 + bool(t.customer_segment),
                    t.period_start <= day <= t.period_end, t.period_start, t.pk)
            if column not in best or rank > best[column][0]:
                best[column] = (rank, t)
        out = {}
        for column, (_, t) in best.items():
            unit = self.units.get((t.kpi.metric_code, t.kpi.metric_variant), "")
            applies = (str(t.queue) if t.queue_id else t.get_channel_display() if t.channel
                       else "whole centre")
            if t.customer_segment:
                applies += f", segment {t.customer_segment}"
            out[column] = ResolvedTarget(
                metric=column, value=_unit_value(t.value, unit), kpi=str(t.kpi),
                objective=str(t.kpi.objective), plan=str(t.kpi.objective.plan),
                applies_to=applies, period_start=t.period_start, period_end=t.period_end,
                private=self.private)
        return out


def sees_whole_plan(scope) -> bool:
    """Whether a viewer of ``scope`` may read the centre's business plan: the whole centre or
    whole channels. A scope of some queues, sites, pathways or segments (a vendor's) reads only
    the targets set for its own queues, and not the plan they belong to."""
    return scope is None or all(v is None for v in (scope.queue_ids, scope.sites,
                                                      scope.pathway_ids, scope.segments))


def target_book(centre, start: dt.date, end: dt.date, scope=None) -> TargetBook:
    """Targets of ``centre``'s business plans whose period overlaps [start, end) that a viewer
    of ``scope`` may be judged by (:func:`sees_whole_plan`: else its own queues' targets)."""
    last_day = end - dt.timedelta(days=1) if end > start else start
    qs = Target.objects.filter(kpi__objective__plan__centre=centre, period_start__lte=last_day,
                               period_end__gte=start)
    private = not sees_whole_plan(scope)
    if private:  # the targets of the queues this viewer sees
        qs = qs.filter(queue__in=Queue.objects.restrict(scope))
    targets = list(qs.select_related("kpi__objective__plan", "queue").order_by("pk"))
    units = {}
    keys = {(t.kpi.metric_code, t.kpi.metric_variant) for t in targets}
    # Each key's unit: its variant's latest version (no variant: the default variant's), all
    # read in one query.
    definitions = list(MetricDefinition.objects.filter(code__in={c for c, _ in keys})
                       .values_list("code", "variant", "is_default_variant", "version", "unit",
                                    "pk")) if keys else []
    for code, variant in keys:
        found = [d for d in definitions if d[0] == code
                 and (d[1] == variant if variant else d[2])]
        units[(code, variant)] = max(found, key=lambda d: (d[3], -d[5]))[4] if found else ""
    queue_channels = {}
    if targets:
        queue_channels = dict(Queue.objects.filter(centre=centre).values_list("pk", "channel"))
    return TargetBook(centre, last_day, targets, units, queue_channels,
                      sl_thresholds(centre) if targets else Thresholds(), private)


def targets_in_force(centre, start: dt.date, end: dt.date, *, queue_id=None, channel="",
                     customer_segment="", overrides: dict | None = None, scope=None,
                     ) -> dict[str, ResolvedTarget]:
    """The targets in force for one slice over [start, end) (see :meth:`TargetBook.for_slice`),
    with ``overrides`` (metric column → value in the figure's unit, an explicit choice of the
    caller) replacing the plan's and marked as such."""
    found = target_book(centre, start, end, scope).for_slice(
        queue_id=queue_id, channel=channel, customer_segment=customer_segment)
    return apply_overrides(found, overrides)


def apply_overrides(found: dict, overrides: dict | None) -> dict[str, ResolvedTarget]:
    out = dict(found)
    for metric, value in (overrides or {}).items():
        if value is None or value == "":
            continue
        out[metric] = ResolvedTarget(metric=metric, value=float(value), source="override",
                                     applies_to="")
    return out


def row_slice(row) -> dict:
    """The slice a KPI-table row covers, from the single-queue / single-channel markers the
    selectors add (``only_queue_id``, ``only_channel``) or its own ``queue_id``/``channel``."""
    def clean(v):
        return None if v is None or v != v or v == "" else v

    queue_id = clean(row.get("queue_id")) if "queue_id" in row else None
    queue_id = queue_id if queue_id is not None else clean(row.get("only_queue_id"))
    channel = clean(row.get("channel_code")) or clean(row.get("only_channel")) or ""
    return {"queue_id": int(queue_id) if queue_id is not None else None, "channel": channel,
            "customer_segment": clean(row.get("customer_segment")) or ""}


def frame_targets(frame, centre, start: dt.date, end: dt.date, *, overrides: dict | None = None,
                  scope=None) -> list[dict[str, ResolvedTarget]]:
    """The targets in force for each row of a KPI table from :mod:`reports.selectors` (its
    slice from :func:`row_slice`, its day from ``period_start`` when it has one), with
    ``overrides`` applied. One list item per row, in order."""
    book = target_book(centre, start, end, scope)
    if frame.empty:
        return []
    # Only the columns that say which slice and day a row covers are read, and each distinct
    # combination once (a month of 15-minute rows per agent is tens of thousands of rows and a
    # few thousand combinations). Rows of one slice whose day has the same targets in force
    # share one answer (a year of daily rows is a handful of distinct questions).
    columns = [c for c in _SLICE_COLUMNS if c in frame.columns]
    if columns:
        keys = frame[columns]
        if "period_start" in columns and hasattr(keys["period_start"], "dt"):
            # Targets are in force by the day: the hours of a day share one question.
            keys = keys.assign(period_start=keys["period_start"].dt.normalize())
        group = keys.groupby(columns, dropna=False, sort=False, observed=True).ngroup().to_numpy()
        firsts = keys[~pd.Series(group).duplicated().to_numpy()].to_dict("records")
    else:
        group, firsts = np.zeros(len(frame), dtype=int), [{}]
    found, answers = {}, []
    for row in firsts:  # in the order of their group numbers (first appearance)
        day = row.get("period_start")
        on_day = day.date() if hasattr(day, "date") and day == day else None
        if on_day is not None and not (start <= on_day < end):
            on_day = None
        where = row_slice(row)
        when = book.last_day if on_day is None else on_day
        key = (tuple(where.values()), on_day is None,
               tuple(t.period_start <= when <= t.period_end for t in book.targets))
        if key not in found:
            found[key] = apply_overrides(book.for_slice(**where, on_day=on_day), overrides)
        answers.append(found[key])
    return [dict(answers[g]) for g in group.tolist()]


# What :func:`frame_targets` reads of a row: its day and the slice :func:`row_slice` makes of it.
_SLICE_COLUMNS = ("period_start", "queue_id", "only_queue_id", "channel_code", "only_channel",
                  "customer_segment")


# --- everything a KPI table needs ---------------------------------------------------------------

@dataclass(frozen=True)
class Resolution:
    """The definition periods and thresholds a KPI table over [start, end) is computed with,
    and what the caller overrode (``overrides``: name → value, shown with the figures)."""

    periods: list
    thresholds: Thresholds
    overrides: dict

    def __deepcopy__(self, memo):
        # pandas deep-copies a frame's attrs on every operation on it; a resolution is never
        # changed once made, so its copy is itself (copying it cost half a second on a page).
        return self

    @property
    def label(self) -> str:
        """E.g. "Service level, v1: answered within T / (offered − short abandons), T = each
        queue's configured threshold; short abandon ≤ 5 s"."""
        last = self.periods[-1].params
        if self.thresholds.override_s is not None:
            t = f"T = {fmt_duration(self.thresholds.override_s)} chosen here (not the " \
                "configured thresholds)"
        elif self.thresholds.by_queue or self.thresholds.by_channel:
            t = "T = each queue's configured threshold"
        else:
            t = f"T = {fmt_duration(last.sl_threshold_s)}"
        variant = SL_VARIANTS[last.sl_variant]
        if "sl_variant" in self.overrides:
            variant += " (variant chosen here)"
        return (f"{periods_label(self.periods)}: {variant}, {t}; short abandon ≤ "
                f"{fmt_duration(last.short_abandon_s)}")


def resolve(centre, start: dt.date, end: dt.date, *, sl_threshold_s: int | None = None,
            sl_variant: str | None = None, short_abandon_s: int | None = None,
            params: KpiParams | None = None) -> Resolution:
    """Definition periods and thresholds for [start, end). ``sl_threshold_s`` and
    ``sl_variant`` are explicit overrides of the configured threshold and the catalogue's
    variant; ``params`` overrides every parameter at once (kept for callers that build a whole
    :class:`KpiParams`)."""
    overrides = {}
    if params is not None:
        periods = [ParamsPeriod(start, end, params)]
        return Resolution(periods, Thresholds(override_s=params.sl_threshold_s),
                          {"sl_threshold_s": params.sl_threshold_s,
                           "sl_variant": params.sl_variant})
    periods = definition_periods(centre, start, end)
    if sl_variant:
        if sl_variant not in SL_VARIANTS:
            raise ValueError(f"sl_variant “{sl_variant}” is unknown; use one of "
                             f"{', '.join(SL_VARIANTS)}.")
        periods = [replace(p, params=replace(p.params, sl_variant=sl_variant)) for p in periods]
        overrides["sl_variant"] = sl_variant
    if short_abandon_s is not None:
        periods = [replace(p, params=replace(p.params, short_abandon_s=int(short_abandon_s)))
                   for p in periods]
        overrides["short_abandon_s"] = int(short_abandon_s)
    if sl_threshold_s:
        periods = [replace(p, params=replace(p.params, sl_threshold_s=int(sl_threshold_s)))
                   for p in periods]
        overrides["sl_threshold_s"] = int(sl_threshold_s)
        return Resolution(periods, Thresholds(override_s=int(sl_threshold_s)), overrides)
    return Resolution(periods, sl_thresholds(centre), overrides)


# --- what the figures' meaning depends on -------------------------------------------------------

def meaning_version() -> str:
    """A token that changes whenever anything a figure's meaning is resolved from changes: the
    business plans' targets (value, dates, slice, KPI, objective and plan names), the
    service-level measurement configurations and the metric catalogue. Caches of judged figures
    (RAG colours, targets, thresholds) put it in their keys, so a plan edit shows at once.
    Three small reads: plans, configurations and the catalogue hold tens of rows, not data."""
    import hashlib

    digest = hashlib.sha1()
    reads = (
        Target.objects.order_by("pk").values_list(
            "pk", "value", "period_start", "period_end", "queue_id", "channel",
            "customer_segment", "kpi__metric_code", "kpi__metric_variant", "kpi__name",
            "kpi__objective__title", "kpi__objective__plan__name"),
        MeasurementConfig.objects.order_by("pk").values_list(
            "pk", "parameters", "active", "metric_id", "step__queue_id", "step__pathway_id"),
        MetricDefinition.objects.order_by("pk").values_list(
            "pk", "parameters", "variant", "version", "effective_from", "effective_to",
            "is_default_variant", "name", "unit"),
    )
    for read in reads:
        for row in read:
            digest.update(repr(row).encode())
        digest.update(b"|")
    return digest.hexdigest()[:16]
