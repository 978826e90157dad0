"""Widget data: for one widget, its period and its dashboard's scope, the frame behind it (what is
exported and drilled into) and the figure or tile shown.

All arithmetic comes from the analysis engine (``reports.analysis``): KPIs are ratios of sums
(``kpi_table``/``kpis_from_sums``), control charts, staffing, patterns, forecasts and
plan-versus-actual are its functions. This module only chooses the inputs and labels the output.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.cache import cache

from contactmis.selectors import centre_current
from measurements.selectors.plan import channel_budgets, scope_sees_budget
from pathways.models import Queue
from reports import intraday
from reports.analyses import plan_versus_actual
from reports.analysis import control, erlang, forecast, patterns, plan
from reports.analysis.kpis import kpis_from_sums, ratio, sum_components
from reports.periods import ResolvedPeriod, comparable_previous, fit_granularity, resolve_period
from reports.selectors import (
    MIXED_UNITS,
    TIME_AVERAGES,
    closed_days,
    local_hour_sums,
    scope_forecast,
)
from reports.semantics import (
    OWN_BASIS,
    Resolution,
    apply_overrides,
    resolve,
    sl_thresholds,
    target_book,
    threshold_basis,
)
from reports.vocabulary import METRICS, NO_DATA, NO_TARGET, Metric, column_label, fmt_percent

from . import figures, frames, selectors
from .constants import Period
from .selectors import centre_day_start, centre_time_zone


def interval_sums(scope, period: ResolvedPeriod, granularity: str, breakdown: str = "",
                  queue=None, tz: str | None = None, resolution=None, agent_time: bool = True
                  ) -> pd.DataFrame:
    """Component sums of ``period`` (``reports.selectors.component_sums``: the daily rollup for
    days and longer, the interval rollup below; shared by a request's widgets,
    :mod:`stakeholders.frames`) for one widget, with each contact's
    within-threshold counts taken at its own queue's threshold (``resolution``); the
    agent-state feeds' seconds only with ``agent_time`` (:func:`_agent_time`)."""
    if period.shifted:
        return _business_day_sums(scope, period, granularity, breakdown, queue, tz, resolution,
                                  agent_time)
    return frames.sums(scope, period.first_day, period.last_day + timedelta(days=1),
                       granularity, breakdown, queue_id=queue.pk if queue is not None else None,
                       tz=tz or centre_time_zone(), resolution=resolution, agent_time=agent_time)


def _business_day_sums(scope, period, granularity, breakdown, queue, tz, resolution,
                       agent_time) -> pd.DataFrame:
    """:func:`interval_sums` of a business day whose boundary is not midnight: the interval
    rows of the two local dates it touches, kept from its start to its end; a day (or longer)
    grain sums them into one bucket at the business date (the daily rollup cannot be cut)."""
    sub_day = granularity in ("15min", "30min", "hour")
    first, last = period.local_dates
    sums = frames.sums(scope, first, last + timedelta(days=1),
                       granularity if sub_day else "15min", breakdown,
                       queue_id=queue.pk if queue is not None else None,
                       tz=tz or centre_time_zone(), resolution=resolution, agent_time=agent_time)
    if sums.empty:
        return sums
    start, end = (t.replace(tzinfo=None) for t in (period.start, period.end))
    sums = sums[(sums["period_start"] >= start) & (sums["period_start"] < end)]
    if sub_day or sums.empty:
        return sums.reset_index(drop=True)
    keys = ["key"] if breakdown else []
    labels = sums[["key", "key_label"]].drop_duplicates("key") if breakdown else None
    parts = sums.drop(columns=["period_start", "key_label"], errors="ignore")
    grouped = parts.groupby(keys, sort=True) if keys else parts.groupby(lambda _: 0)
    out = grouped[[c for c in parts.columns if c not in keys and c != "wait_max_s"]].sum()
    out["wait_max_s"] = grouped["wait_max_s"].max()
    out = out.reset_index(drop=not keys)
    out.insert(0, "period_start", pd.Timestamp(period.first_day))
    if labels is not None:
        out = out.merge(labels, on="key", how="left")
    return out


# Figures read from the agent-state feeds: other widgets skip reading the per-agent rollup.
AGENT_TIME_METRICS = frozenset({"occupancy", "actual_agents"})


def _agent_time(widget) -> bool:
    return widget.kind == "staffing" or bool(AGENT_TIME_METRICS & set(widget.metrics or ()))


@dataclass
class WidgetResult:
    """What a widget shows. ``table`` is the data behind it (exported as CSV/XLSX); ``figure``
    a Plotly figure as a dict; ``tile`` the KPI tile's values; ``empty`` says why there is
    nothing to show."""

    widget: object
    period: ResolvedPeriod
    definitions: list[str]
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    figure: dict | None = None
    tile: dict | None = None
    empty: str | None = None
    notes: list[str] = field(default_factory=list)
    # What the figures mean: sl_threshold_s, sl_basis and the targets in force (metric →
    # ResolvedTarget), from reports.semantics; widget options override them explicitly.
    meaning: dict = field(default_factory=dict)
    # The cache key of these figures (None when not cached): equal keys, equal figures.
    key: str | None = None

    @property
    def metric_labels(self):
        return [METRICS[m].label for m in self.widget.metrics if m in METRICS]


def widget_resolution(widget, centre, period: ResolvedPeriod) -> Resolution:
    """The definitions and thresholds of ``widget``'s figures (``reports.semantics``): each
    queue's configured threshold unless the widget's options choose one explicitly."""
    opts = widget.options or {}

    def chosen(name):
        value = opts.get(name)
        return None if value in (None, "") else value

    return resolve(centre, period.first_day, period.last_day + timedelta(days=1),
                   sl_threshold_s=chosen("sl_threshold_s"), sl_variant=chosen("sl_variant"),
                   short_abandon_s=chosen("short_abandon_s"))


def target_overrides(widget) -> dict:
    """Targets typed into the widget (explicit overrides of the business plan's, shown so)."""
    opts = widget.options or {}
    out = dict(opts.get("targets") or {})
    if opts.get("target") not in (None, "") and widget.metrics:
        out[widget.metrics[0]] = opts["target"]
    return out


def widget_scope(widget, scope):
    """``scope`` narrowed to the widget's channels (``options["channels"]``), if it names any: a
    widget can only look at less than its viewer may see, never more."""
    channels = (widget.options or {}).get("channels")
    if not channels:
        return scope
    wanted = frozenset(channels)
    return replace(scope, channels=wanted if scope.channels is None else scope.channels & wanted)


def definitions(widget, resolution: Resolution) -> list[str]:
    params = resolution.periods[-1].params
    out = []
    # A judged figure's definition first: it is the one shown under the widget's title.
    for key in sorted(widget.metrics, key=lambda k: k != "service_level"):
        metric = METRICS.get(key)
        if metric is None:
            continue
        text = f"{metric.label}: {metric.definition}"
        if key == "service_level":
            text = resolution.label  # names the metric and its version itself
        elif key == "abandon_rate":
            text += f" Short abandon ≤ {params.short_abandon_s} s."
        out.append(text)
    out.append("Each contact counts in the interval in which it arrived at the step; "
               "times are the centre's local time.")
    return out


def _cost(frame: pd.DataFrame, granularity: str, period: ResolvedPeriod,
          now_local: datetime, scope) -> np.ndarray:
    """Cost of each row's bucket from the business plan's budget for the scope's channels
    (``measurements.selectors.plan.channel_budgets``: budget lines and planned volumes), for
    the days of the bucket that fall in the period and have begun (currency units). NaN — not
    measured — where no budget covers every channel on every such day, or where the scope
    covers part of the centre (a vendor's queues: the plan budgets whole channels)."""
    missing = np.full(len(frame), np.nan)
    if not scope_sees_budget(scope):
        return missing
    budgets = channel_budgets(centre_current(), period.first_day, period.last_day,
                              channels=scope.channels)
    if not budgets or (scope.channels and set(scope.channels) - set(budgets)):
        return missing
    covered = set.intersection(*(set(b.per_day) for b in budgets.values()))
    per_day = {day: sum(b.per_day[day] for b in budgets.values()) for day in covered}
    starts = frame["period_start"] if "period_start" in frame.columns else \
        [pd.Timestamp(period.first_day)] * len(frame)
    if granularity in ("15min", "30min", "hour"):
        per = {"15min": 96, "30min": 48, "hour": 24}[granularity]
        return np.asarray([per_day.get(pd.Timestamp(s).date(), np.nan) / per for s in starts],
                          float)
    out = []
    last = min(period.last_day, now_local.date())
    for start in starts:
        start = pd.Timestamp(start)
        first = max(start.date(), period.first_day)
        if "period_start" not in frame.columns:
            end = last
        elif granularity == "day":
            end = start.date()
        elif granularity == "week":
            end = (start + pd.Timedelta(days=6)).date()
        else:
            months = {"month": 1, "quarter": 3, "year": 12}[granularity]
            end = ((start + pd.DateOffset(months=months)) - pd.Timedelta(days=1)).date()
        days = [first + timedelta(days=i) for i in range((min(end, last) - first).days + 1)]
        out.append(sum(per_day[d] for d in days)
                   if days and all(d in per_day for d in days) else np.nan)
    return np.asarray(out, float)


def with_kpis(sums: pd.DataFrame, widget, params, period, now_local, scope=None
              ) -> pd.DataFrame:
    """KPI table from summed components (analysis engine), plus cost per contact when asked:
    the plan's budget for ``scope``'s channels over contacts handled (:func:`_cost`)."""
    table = kpis_from_sums(sums, params)
    if "cost_per_contact" in widget.metrics:
        table["cost"] = _cost(sums, widget.granularity, period, now_local, scope) \
            if len(sums) else np.array([], float)
        table["cost_per_contact"] = ratio(table["cost"], table["handled"])
    return table


def _scope_key(scope):
    return [None if v is None else sorted(v) for v in (
        scope.queue_ids, scope.channels, scope.sites, scope.pathway_ids, scope.segments)]


def _cache_key(widget, scope, period, queue, now, data_version):
    """Everything a widget's figures depend on: its settings, the scope, the period's bounds,
    the queue filter and the data version (and, for a running period, the local hour: the tile's
    like-for-like comparison cuts the previous period at whole hours, and costs count days)."""
    local = now.astimezone(period.start.tzinfo)
    hour = local.replace(minute=0, second=0, microsecond=0)
    # Today against forecast: which intervals are over (and so re-forecast) moves every
    # 15 minutes.
    interval = (local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0)
                if widget.kind == "intraday" else None)
    spec = [widget.kind, widget.metrics, widget.granularity, widget.breakdown or "",
            widget.options or {}, period.key, period.start.isoformat(), period.end.isoformat(),
            _scope_key(scope), queue.pk if queue is not None else None, data_version,
            hour.isoformat() if period.partial else None,
            # A forecast widget shows the forecast issued last: a new one is new figures.
            selectors.forecasts_version() if widget.kind in ("forecast", "intraday") else None,
            interval.isoformat() if interval is not None else None]
    digest = hashlib.sha1(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
    return f"contactmis:widget:{digest}"


_CACHED = ("table", "figure", "tile", "empty", "notes", "meaning")


class LocalMemo:
    """A small per-process LRU in front of the shared cache: a warm dashboard is served without
    a round trip or unpickling its frames. Safe because its keys hold the data version."""

    def __init__(self, size=512):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def set(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self):
        with self.lock:
            self.items.clear()


local_results = LocalMemo()
# Rendered widget cards (HTML) of cached results, filled by the dashboard view.
local_cards = LocalMemo(size=1024)


# What widgets' figures mean (definition versions, thresholds) per data version: the data
# version holds the meaning version, so a plan, configuration or catalogue edit is never missed.
local_resolutions = LocalMemo(size=256)


def _resolution_for(widget, period, version):
    """(centre, :func:`widget_resolution`) for ``widget`` over ``period``, remembered for the
    data ``version`` (a warm dashboard reads no catalogue or configuration row)."""
    opts = widget.options or {}
    key = (version, period.first_day, period.last_day,
           *(str(opts.get(k, "")) for k in ("sl_threshold_s", "sl_variant", "short_abandon_s")))
    found = local_resolutions.get(key) if version is not None else None
    if found is None:
        centre = centre_current()
        found = (centre, widget_resolution(widget, centre, period))
        if version is not None:
            local_resolutions.set(key, found)
    return found


def widget_cache_clear():
    """Forget every computed widget: the shared cache and this process's memos."""
    cache.clear()
    local_results.clear()
    local_cards.clear()
    local_resolutions.clear()


# Single flight: the first request for a cold widget computes it under a short lock; the others
# wait for its result (polling the cache) rather than computing the same figures again.
LOCK_S = 30
POLL_S = 0.02


class Busy(Exception):
    """Another process is computing this widget right now (``wait=False``)."""


# ``cache.add`` is atomic on Redis; the file cache of the no-services set-up checks and writes
# in two steps, so threads of one process take their turn here (one process serves then).
_ADD_TURN = threading.Lock()


def _lock_take(lock: str) -> bool:
    with _ADD_TURN:
        return cache.add(lock, 1, LOCK_S)


def _single_flight(key: str, timeout: int, compute, wait: bool = True) -> dict:
    lock = f"{key}:lock"
    if _lock_take(lock):
        try:
            value = compute()
            cache.set(key, value, timeout)
            return value
        finally:
            cache.delete(lock)
    if not wait:
        raise Busy(key)
    deadline = time.monotonic() + LOCK_S
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        value = cache.get(key)
        if value is not None:
            return value
        if cache.get(lock) is None:  # the computation failed or its result was evicted
            break
    value = compute()
    cache.set(key, value, timeout)
    return value


# Widgets whose period belongs to what they show (a forecast looks ahead; staffing is per
# interval of its day): a period picked for the dashboard leaves them as they are.
OWN_PERIOD_KINDS = ("forecast", "staffing", "intraday")


def with_period(widget, picked, now: datetime, tz: str | None = None, compare: str = ""):
    """``widget`` as it shows the dashboard's picked period (``(key, first_day, last_day)``,
    or None for each widget's own) and comparison (``"year"``: the same span a year earlier;
    empty: the comparable span before): a copy, never saved, its grain fitted to the span."""
    if widget.kind in OWN_PERIOD_KINDS or (picked is None and not compare):
        return widget
    shown = copy.copy(widget)
    # A viewer who picks a period or a comparison sees it drawn: tiles say "vs <span>", time
    # series draw the comparable span as a second line (the previous span unless "year").
    shown.options = {**(widget.options or {}), "compare": compare or "previous"}
    if picked is not None:
        key, first, last = picked
        period = resolve_period(key, now, tz or centre_time_zone(), first, last,
                                day_start=centre_day_start())
        shown.period, shown.custom_start, shown.custom_end = key, first, last
        shown.granularity = fit_granularity(widget.granularity, period.days)
        if key != widget.period:
            shown.title = title_without_period(widget.title, widget.period)
    return shown


def title_without_period(title: str, period: str) -> str:
    """``title`` without the period it names at its end (", week to date"), for a widget the
    viewer has switched to another period: the card's period label then says which span it
    shows, and the title does not contradict it."""
    try:
        phrase = Period(period).label.lower()
    except ValueError:
        return title
    for tail in (f", {phrase}", f" ({phrase})", f" — {phrase}", f" {phrase}"):
        if title.lower().endswith(tail) and len(title) > len(tail):
            return title[:-len(tail)].rstrip(" ,—-")
    return title


def widget_result(widget, scope, now: datetime, queue=None, tz: str | None = None,
                  data_version=None, wait: bool = True) -> WidgetResult:
    """Compute ``widget`` within ``scope`` at instant ``now`` (optionally one ``queue`` inside
    the scope). The single code path for a stakeholder's view, the manager's preview, exports
    and drill-down links.

    Results are cached in the shared cache (``CACHES["default"]``: Redis when configured) for
    ``settings.CONTACTMIS_DASHBOARD_CACHE_S`` seconds (0 turns it off) under a key of everything
    they depend on, including the data version that every ingest and rollup bumps
    (``selectors.data_version``), so an import shows at once and everyone looking at the same
    dashboard shares one computation (computed once even when asked for at the same moment).
    With ``wait=False`` a widget another request is computing raises :class:`Busy` instead of
    waiting for it.
    """
    tz = tz or centre_time_zone()
    scope = widget_scope(widget, scope)
    period = resolve_period(widget.period, now, tz, widget.custom_start, widget.custom_end,
                            day_start=centre_day_start())
    timeout = getattr(settings, "CONTACTMIS_DASHBOARD_CACHE_S", 900)
    version = None
    if timeout:
        version = data_version if data_version is not None else selectors.data_version()
    centre, resolution = _resolution_for(widget, period, version)
    result = WidgetResult(widget=widget, period=period,
                          definitions=definitions(widget, resolution))
    now_local = now.astimezone(period.start.tzinfo).replace(tzinfo=None)

    def compute():
        with frames.shared_reads():
            result.meaning = frames.meaning(scope, centre, period.first_day,
                                            period.last_day + timedelta(days=1), resolution,
                                            queue_id=queue.pk if queue is not None else None,
                                            overrides=target_overrides(widget))
            _BUILDERS[widget.kind](result, widget, scope, period, resolution, queue, tz,
                                   now_local)
        return {name: getattr(result, name) for name in _CACHED}

    if not timeout:
        compute()
        return result
    key = _cache_key(widget, scope, period, queue, now, version)
    cached = local_results.get(key)
    if cached is None:
        cached = cache.get(key)
        if cached is None:
            cached = _single_flight(key, timeout, compute, wait)
        local_results.set(key, cached)
    for name, value in cached.items():
        setattr(result, name, value)
    result.key = key
    return result


def _metric(widget) -> Metric:
    return METRICS[widget.metrics[0]]


def _opt(widget, name, default=None):
    value = (widget.options or {}).get(name, default)
    return default if value in (None, "") else value


def _rag(metric: Metric, value, target, margin):
    if value is None or (isinstance(value, float) and math.isnan(value)) or target is None:
        return ""
    target = float(target)
    if margin is None:
        margin = 0.05 if metric.unit == "ratio" else abs(target) * 0.1
    # The analysis engine's direction of each target: "min" = at least, "max" = at most.
    direction = plan.DIRECTION.get(metric.key)
    better = metric.higher_is_better if direction is None else direction == "min"
    if better is None:
        better = True
    gap = value - target if better else target - value
    if gap >= 0:
        return "green"
    return "amber" if gap >= -float(margin) else "red"


def threshold_words(basis: str) -> str:
    """The words under a service level: "answered within 60 s", "… within each queue's own
    threshold" (``basis`` from ``reports.semantics.threshold_basis``)."""
    return f"answered within {basis}" if basis else ""


def target_words(resolved) -> str:
    """What a figure is judged against, in words: "no target", "target 85.0 % chosen on this
    widget", or the plan's target with where it comes from."""
    if resolved is None:
        return NO_TARGET
    if resolved.source == "override":
        return f"target {METRICS[resolved.metric].fmt(resolved.value)} chosen on this widget " \
               "(not the business plan's)"
    return resolved.describe()


def slice_target_words(metric: Metric, targets) -> str:
    """"no target", or for a figure over queues held to different targets (none for them as
    a whole) each target with the queues held to it: "no single target: 80.0 % for Billing,
    Chat; 85.0 % for Technical – Tier 2"."""
    if not targets:
        return NO_TARGET
    by_value: dict[str, list[str]] = {}
    for t in targets:  # queues held to the same target named together
        by_value.setdefault(metric.fmt(t.value), []).append(t.applies_to)
    return "no single target: " + "; ".join(
        f"{value} for {', '.join(names)}" for value, names in by_value.items())


def _meaning_target(result, metric_key):
    resolved = result.meaning.get("targets", {}).get(metric_key)
    return resolved.value if resolved is not None else None


def _row_targets(result, table, breakdown, widget, period, scope) -> list[dict]:
    """The targets in force for each row of a widget table: its queue's or channel's when the
    table is broken down by queue or channel, the dashboard scope's otherwise."""
    centre = centre_current()
    book = target_book(centre, period.first_day, period.last_day + timedelta(days=1), scope)
    overrides = target_overrides(widget)
    out = []
    for row in table.to_dict("records"):
        key = row.get("key")
        if breakdown == "queue":
            found = book.for_slice(queue_id=key)
        elif breakdown == "channel":
            found = book.for_slice(channel=key or "")
        else:  # the slice the scope's contacts fall in, as for the widget's tile
            out.append(dict(result.meaning.get("targets", {})))
            continue
        out.append(apply_overrides(found, overrides))
    return out


def _blank_mixed_times(result, table, breakdown) -> pd.DataFrame:
    """Time averages over channels measured in seconds and in hours (calls and e-mails) are no
    figure: blank them (a gap, never a blend) and say so, unless each row is one queue or
    channel."""
    if breakdown in ("queue", "channel") or not result.meaning.get("mixed_units"):
        return table
    # Only the figures the widget shows (its table keeps the others for the export).
    blanked = [c for c in TIME_AVERAGES if c in table.columns and c in result.widget.metrics]
    if blanked:
        table = table.assign(**{c: np.nan for c in blanked})
        result.notes.append(f"{', '.join(METRICS[c].label for c in blanked if c in METRICS)}: "
                            f"{MIXED_UNITS} (calls in seconds, e-mails in hours).")
    return table


def _row_thresholds(result, table, breakdown, resolution) -> tuple[list, list]:
    """The service-level threshold (seconds, None where a row mixes thresholds) and its words
    for each row of a widget table: a queue's own when broken down by queue, the scope's when
    all its contacts share one, "each queue's own threshold" otherwise."""
    whole = result.meaning.get("sl_threshold_s")
    whole_basis = result.meaning.get("sl_basis", "")
    if breakdown != "queue":
        if breakdown and whole is None:
            return [None] * len(table), [OWN_BASIS] * len(table)
        return [whole] * len(table), [whole_basis] * len(table)
    channels = selectors.queue_channels(table["key"].dropna().tolist())
    out, words = [], []
    for key in table["key"]:
        found = {resolution.thresholds.for_row(key, channels.get(key, ""),
                                               p.params.sl_threshold_s)
                 for p in resolution.periods}
        seconds = found.pop() if len(found) == 1 else None
        out.append(seconds)
        words.append(threshold_basis(seconds, resolution.thresholds))
    return out, words


# --- builders ---------------------------------------------------------------------------------

def _tile(result, widget, scope, period, resolution, queue, tz, now_local):
    params = resolution.periods[-1].params
    metric = _metric(widget)
    spark_grain = "hour" if period.days <= 2 else ("day" if period.days <= 92 else "week")
    sums = interval_sums(scope, period, spark_grain, queue=queue, tz=tz, resolution=resolution,
                         agent_time=_agent_time(widget))
    if sums.empty or sums["offered"].sum() + sums["handled"].sum() == 0:
        result.empty = "No contacts in this period."
        return
    total = sum_components(sums.drop(columns=["period_start"]))
    total["period_start"] = pd.Timestamp(period.first_day)
    value = _blank_mixed_times(result, with_kpis(total, widget, params, period, now_local, scope),
                               "")[metric.key].iloc[0]
    # Trend: the comparable previous span (the one rule, comparable_previous): the previous
    # week, month, quarter or year, cut to the same elapsed span while the period runs — month
    # to date on the 5th at noon against the 1st to the 5th at noon of the previous month;
    # today until now against yesterday until the same time.
    against = "year" if _opt(widget, "compare") == "year" else "previous"
    prev, span = comparable_previous(period, tz, as_of=pd.Timestamp(now_local).date(),
                                     against=against)
    previous = None
    if period.partial:
        # Whole days before the cut from the daily rollup, the day of the cut by the hour.
        elapsed = pd.Timestamp(now_local) - pd.Timestamp(period.first_day)
        cutoff = min(pd.Timestamp(prev.first_day) + elapsed,
                     pd.Timestamp(prev.last_day) + pd.Timedelta(days=1))
        cut_day = cutoff.normalize().date()
        queue_id = queue.pk if queue is not None else None
        parts = [frames.sums(scope, prev.first_day, cut_day, "day", queue_id=queue_id, tz=tz,
                             resolution=resolution, agent_time=_agent_time(widget))
                 if cut_day > prev.first_day else None]
        if cut_day <= prev.last_day:
            hours = frames.sums(scope, cut_day, cut_day + timedelta(days=1), "hour",
                                queue_id=queue_id, tz=tz, resolution=resolution,
                                agent_time=_agent_time(widget))
            parts.append(hours[hours["period_start"] < cutoff])
        parts = [p for p in parts if p is not None and not p.empty]
        prev_sums = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    else:
        prev_sums = interval_sums(scope, prev, "day", queue=queue, tz=tz, resolution=resolution,
                                  agent_time=_agent_time(widget))
    if not prev_sums.empty:
        prev_total = sum_components(prev_sums.drop(columns=["period_start"]))
        prev_total["period_start"] = pd.Timestamp(prev.first_day)
        previous = with_kpis(prev_total, widget, params, prev, now_local, scope)[metric.key].iloc[0]
    spark = with_kpis(sums, widget, params, period, now_local, scope)
    if result.meaning.get("mixed_units") and metric.key in TIME_AVERAGES:
        previous, spark = None, spark.assign(**{metric.key: np.nan})
    resolved = result.meaning.get("targets", {}).get(metric.key)
    target = resolved.value if resolved is not None else None
    result.tile = {
        "metric": metric, "value": value, "target": target, "previous": previous,
        "rag": _rag(metric, value, target, _opt(widget, "amber_margin")),
        "trend": figures.trend_arrow(metric, value, previous),
        "value_text": MIXED_UNITS if result.meaning.get("mixed_units")
        and metric.key in TIME_AVERAGES else metric.fmt(value),
        "target_text": metric.fmt(target) if target is not None else
        slice_target_words(metric, result.meaning.get("slice_targets", {}).get(metric.key)),
        "target_from": target_words(resolved),
        "override": resolved is not None and resolved.source == "override",
        "sl_threshold_s": result.meaning.get("sl_threshold_s")
        if metric.key == "service_level" else None,
        "basis": threshold_words(result.meaning.get("sl_basis", ""))
        if metric.key == "service_level" else "",
        "previous_text": metric.fmt(previous) if previous is not None else "",
        "previous_span": span.previous_label,
    }
    result.figure = figures.sparkline(spark["period_start"], spark[metric.key], metric)
    result.table = spark[["period_start", *_table_columns(widget, spark)]]


def _table_columns(widget, table):
    base = ["offered", "answered", "abandoned", "handled"]
    cols = [c for c in (*base, *widget.metrics) if c in table.columns]
    return list(dict.fromkeys(cols))


def _series(result, widget, scope, period, resolution, queue, tz, now_local):
    params = resolution.periods[-1].params
    breakdown = widget.breakdown or ""
    sums = interval_sums(scope, period, widget.granularity, breakdown, queue=queue, tz=tz,
                         resolution=resolution, agent_time=_agent_time(widget))
    if sums.empty:
        result.empty = "No data in this period."
        return
    table = _blank_mixed_times(result, with_kpis(sums, widget, params, period, now_local, scope),
                               breakdown)
    resolved = result.meaning.get("targets", {}).get(widget.metrics[0])
    if resolved is not None:  # the line drawn, and where it comes from
        words = target_words(resolved)
        result.notes.append(words[0].upper() + words[1:] + ".")
    keys = ["period_start", *(["key", "key_label"] if breakdown else [])]
    result.table = table[[*keys, *_table_columns(widget, table)]]
    comparison = None
    if _opt(widget, "compare") in ("previous", "year") and not breakdown:
        comparison = _comparison_series(result, widget, scope, period, resolution, queue, tz,
                                        now_local)
    result.figure = figures.time_series(
        table, [METRICS[m] for m in widget.metrics], breakdown=bool(breakdown),
        target=_meaning_target(result, widget.metrics[0]),
        amber_margin=_opt(widget, "amber_margin"), tz=tz, granularity=widget.granularity,
        comparison=comparison)


def _comparison_series(result, widget, scope, period, resolution, queue, tz, now_local):
    """The widget's metric over the span ``period`` is compared with (the one rule,
    :func:`reports.periods.comparable_previous`: the previous span, or the same span a
    year earlier), each point moved to the matching position of ``period`` — day 3 of last
    month over day 3 of this one, 09:00 yesterday over 09:00 today. ``(frame, name)`` with
    ``period_start`` (moved), ``compared_start`` (its own date) and the metric; None without
    data."""
    against = _opt(widget, "compare")
    prev, span = comparable_previous(period, tz, as_of=pd.Timestamp(now_local).date(),
                                     against=against)
    sums = interval_sums(scope, prev, widget.granularity, "", queue=queue, tz=tz,
                         resolution=resolution, agent_time=_agent_time(widget))
    if sums.empty:
        result.notes.append(f"No data for {span.previous_label} to compare with.")
        return None
    params = resolution.periods[-1].params
    metric = widget.metrics[0]
    frame = _blank_mixed_times(result, with_kpis(sums, widget, params, prev, now_local, scope),
                               "")
    own = pd.to_datetime(frame["period_start"])
    if own.dt.tz is not None:
        own = own.dt.tz_localize(None)  # wall-clock positions (a DST day keeps its hours)
    if widget.granularity in ("month", "quarter", "year"):
        months = ((period.first_day.year - prev.first_day.year) * 12
                  + period.first_day.month - prev.first_day.month)
        moved = own + pd.DateOffset(months=months)
    else:
        moved = own + pd.Timedelta(days=(period.first_day - prev.first_day).days)
    out = pd.DataFrame({"period_start": moved, "compared_start": own,
                        metric: frame[metric].to_numpy()})
    out = out[(out["period_start"] >= pd.Timestamp(period.first_day))
              & (out["period_start"] < pd.Timestamp(period.last_day + timedelta(days=1)))]
    name = span.previous_label or prev.label
    result.notes.append(f"Dashed grey line: {METRICS[metric].label.lower()} for {name}, "
                        "drawn at the matching positions of this period.")
    return out.reset_index(drop=True), name


def _table(result, widget, scope, period, resolution, queue, tz, now_local):
    params = resolution.periods[-1].params
    breakdown = widget.breakdown or ""
    sums = interval_sums(scope, period, "day", breakdown, queue=queue, tz=tz, resolution=resolution,
                         agent_time=_agent_time(widget))
    if sums.empty:
        result.empty = "No data in this period."
        return
    by = ["key", "key_label"] if breakdown else []
    summed = sum_components(sums.drop(columns=["period_start"]), by or None)
    summed["period_start"] = pd.Timestamp(period.first_day)
    table = _blank_mixed_times(result, with_kpis(summed, widget, params, period, now_local, scope),
                               breakdown)
    if breakdown:
        table = table.sort_values("key_label", kind="stable")
    cols = [*(["key", "key_label"] if breakdown else []),
            *[c for c in widget.metrics if c in table.columns]]
    idle = (table["offered"] == 0).to_numpy()  # nothing offered: judged at no threshold
    table = table[cols].reset_index(drop=True)
    judged = "service_level" in widget.metrics
    if judged:  # with each service level, the threshold it was judged at
        thresholds, bases = _row_thresholds(result, table, breakdown, resolution)
        thresholds = [None if i else t for t, i in zip(thresholds, idle, strict=True)]
        bases = ["" if i else b for b, i in zip(bases, idle, strict=True)]
        at = cols.index("service_level") + 1
        table.insert(at, "sl_threshold_s", pd.array(thresholds, dtype="Int64"))
        table.insert(at + 1, "sl_basis", bases)
    if _opt(widget, "plan_vs_actual"):
        found = _row_targets(result, table, breakdown, widget, period, scope)
        pva = plan_versus_actual(table, found, ["key", "key_label"] if breakdown else [])
        if judged and not pva.empty:
            by_row = dict(zip(table["key"] if breakdown else [None] * len(table),
                              table["sl_basis"], strict=True))
            pva.insert(pva.columns.get_loc("actual"), "judged_at", [
                by_row.get(k if breakdown else None, "") if kpi == "service_level" else ""
                for k, kpi in zip(pva["key"] if breakdown else [None] * len(pva), pva["kpi"],
                                  strict=True)])
        if pva.empty:
            result.table = table
            result.notes.append("No business-plan target is in force for these figures.")
        else:
            order = {k: i for i, k in enumerate(widget.metrics)}
            pva = pva.sort_values([*(["key_label"] if breakdown else []), "kpi"],
                                  key=lambda c: c.map(order) if c.name == "kpi" else c,
                                  kind="stable")
            result.table = pva.drop(columns=["target_from"]).reset_index(drop=True)
            result.notes.extend(sorted(set(pva["target_from"])))
    else:
        result.table = table
    result.figure = None


def _heatmap(result, widget, scope, period, resolution, queue, tz, now_local):
    params = resolution.periods[-1].params
    metric = _metric(widget)
    if _agent_time(widget):
        sums = interval_sums(scope, period, "hour", queue=queue, tz=tz, resolution=resolution)
    else:  # summed by local hour in the database: a quarter of the rows
        sums = local_hour_sums(scope, period.first_day, period.last_day + timedelta(days=1),
                               queue_id=queue.pk if queue is not None else None,
                               resolution=resolution)
    if sums.empty:
        result.empty = "No data in this period."
        return
    ts = pd.to_datetime(sums["period_start"])
    frame = sums.assign(local_date=ts.dt.date, weekday=ts.dt.day_of_week,
                        local_minute=ts.dt.hour * 60 + ts.dt.minute)
    if metric.unit == "count":
        grid = patterns.weekday_hour_heatmap(frame, metric.key)
        note = f"mean {metric.label.lower()} per day"
    else:
        cells = sum_components(frame.assign(hour=ts.dt.hour).drop(
            columns=["period_start", "local_date", "local_minute"]), ["weekday", "hour"])
        kpi = kpis_from_sums(cells, params)
        grid = kpi.pivot_table(index="weekday", columns="hour", values=metric.key,
                               aggfunc="first").reindex(index=range(7), columns=range(24))
        note = metric.label
    long = (grid.rename_axis(index="weekday", columns="hour").reset_index()
            .melt(id_vars="weekday", var_name="hour", value_name=metric.key))
    result.table = long
    result.figure = figures.heatmap(grid, metric, note)


def _sankey(result, widget, scope, period, resolution, queue, tz, now_local):
    sums = interval_sums(scope, period, "day", "queue", queue=queue, tz=tz, resolution=resolution,
                         agent_time=_agent_time(widget))
    if sums.empty:
        result.empty = "No data in this period."
        return
    per_queue = sum_components(sums.drop(columns=["period_start"]), ["key_label"])
    flows = patterns.pathway_flows(per_queue, label="key_label")
    if flows.empty:
        result.empty = "No flows in this period."
        return
    result.table = flows
    result.figure = figures.sankey(flows)


def _staffing(result, widget, scope, period, resolution, queue, tz, now_local):
    sums = interval_sums(scope, period, "15min", queue=queue, tz=tz, resolution=resolution,
                         agent_time=_agent_time(widget))
    if sums.empty:
        result.empty = "No data in this period."
        return
    interval_s = 900
    handle = (sums["talk_s"] + sums["hold_s"] + sums["acw_s"]).to_numpy(float)
    handled = sums["handled"].to_numpy(float)
    # AHT of the whole period (ratio of sums) where an interval handled nothing.
    period_aht = float(ratio(handle.sum(), handled.sum())) if handled.sum() else float("nan")
    aht = np.where(handled > 0, ratio(handle, handled), period_aht)
    if not np.isfinite(period_aht):
        result.empty = "No handled contacts: AHT, and so required staff, is unknown."
        return
    threshold_s = result.meaning.get("sl_threshold_s")
    resolved = result.meaning.get("targets", {}).get("service_level")
    if threshold_s is None:
        _staffing_per_queue(result, widget, scope, period, resolution, queue, tz, sums)
        return
    if resolved is None:
        result.empty = ("No service-level target is in force for these queues: set one in the "
                        "business plan (or on this widget) to compute the staff required.")
        return
    target = resolved.value
    staffing = erlang.staffing_table(
        sums["offered"].to_numpy(float), interval_s, aht, threshold_s=threshold_s,
        target_sl=target, shrinkage=float(_opt(widget, "shrinkage", 0.0)))
    table = pd.DataFrame({
        "period_start": sums["period_start"], "offered": sums["offered"],
        "aht_s": aht, "required_agents": staffing["agents"],
        "scheduled_agents": staffing["scheduled_agents"],
        # No agent-state feed for an interval is a gap, not zero agents.
        "actual_agents": np.where(sums["staffed_s"].to_numpy(float) > 0,
                                  sums["staffed_s"].to_numpy(float) / interval_s, np.nan),
    })
    table["gap_agents"] = table["actual_agents"] - table["scheduled_agents"]
    result.table = table
    result.notes.append(f"Erlang C for {resolved.describe()} in {result.meaning['sl_basis']}; "
                        "scheduled = "
                        f"required / (1 − shrinkage {float(_opt(widget, 'shrinkage', 0)):.0%}); "
                        "actual = staffed seconds / interval length.")
    result.figure = figures.staffing(table, tz)


def _staffing_per_queue(result, widget, scope, period, resolution, queue, tz, sums):
    """Required agents of queues answered at different thresholds: Erlang C queue by queue —
    its own offered contacts and handle time (a ratio of sums; an interval that handled
    nothing takes the queue's own for the period), its own threshold and the plan's target
    for it (:mod:`reports.semantics`) — then added up, never one Erlang problem over queues
    answered apart. No total (and the reasons) when a queue lacks a threshold, a target or
    any handled contact."""
    by_queue = interval_sums(scope, period, "15min", breakdown="queue", queue=queue, tz=tz,
                             resolution=resolution, agent_time=False)
    centre = centre_current()
    thresholds = sl_thresholds(centre)
    book = target_book(centre, period.first_day, period.last_day + timedelta(days=1), scope)
    ids = [int(k) for k in by_queue["key"].dropna().unique()]
    channels = dict(Queue.objects.filter(pk__in=ids).values_list("pk", "channel"))
    required = pd.Series(0.0, index=pd.Index(sums["period_start"]))
    lacking, basis = [], []
    for key, rows in by_queue.groupby("key", sort=True):
        queue_id, name = int(key), str(rows["key_label"].iloc[0])
        offered = rows["offered"].to_numpy(float)
        if not offered.sum():
            continue
        handle = (rows["talk_s"] + rows["hold_s"] + rows["acw_s"]).to_numpy(float)
        handled = rows["handled"].to_numpy(float)
        own_aht = float(ratio(handle.sum(), handled.sum())) if handled.sum() else float("nan")
        channel = channels.get(queue_id, "")
        threshold = thresholds.by_queue.get(queue_id, thresholds.by_channel.get(channel))
        target = book.for_slice(queue_id=queue_id, channel=channel).get("service_level")
        if not np.isfinite(own_aht):
            lacking.append(f"{name} handled nothing, so its handle time is unknown")
        elif threshold is None:
            lacking.append(f"{name} has no service-level threshold configured")
        elif target is None:
            lacking.append(f"no service-level target is in force for {name}")
        else:
            aht = np.where(handled > 0, ratio(handle, handled), own_aht)
            need = erlang.staffing_table(offered, 900, aht, threshold_s=threshold,
                                         target_sl=target.value)["agents"]
            required = required.add(pd.Series(need, index=pd.Index(rows["period_start"])),
                                    fill_value=0)
            basis.append(f"{name} {METRICS['service_level'].fmt(target.value)} within "
                         f"{threshold_basis(threshold)}")
    if lacking:
        result.empty = ("Required agents are worked out queue by queue, each at its own "
                        "threshold and target, and added up; " + "; ".join(lacking)
                        + " — so no total is given (filter to one queue).")
        return
    handle = (sums["talk_s"] + sums["hold_s"] + sums["acw_s"]).to_numpy(float)
    handled = sums["handled"].to_numpy(float)
    shrinkage = float(_opt(widget, "shrinkage", 0.0))
    need = required.reindex(pd.Index(sums["period_start"])).fillna(0).to_numpy(float)
    table = pd.DataFrame({
        "period_start": sums["period_start"], "offered": sums["offered"],
        "aht_s": np.where(handled > 0, ratio(handle, handled), np.nan),
        "required_agents": need, "scheduled_agents": erlang.scheduled_agents(need, shrinkage),
        "actual_agents": np.where(sums["staffed_s"].to_numpy(float) > 0,
                                  sums["staffed_s"].to_numpy(float) / 900, np.nan),
    })
    table["gap_agents"] = table["actual_agents"] - table["scheduled_agents"]
    result.table = table
    result.notes.append(
        "Erlang C queue by queue, each at its own threshold and the plan's target for it, "
        "then added up (queues answered apart are staffed apart): " + "; ".join(basis)
        + f". Scheduled = required / (1 − shrinkage {shrinkage:.0%}); actual = staffed "
        "seconds / interval length.")
    result.figure = figures.staffing(table, tz)


def _control(result, widget, scope, period, resolution, queue, tz, now_local):
    params = resolution.periods[-1].params
    metric = _metric(widget)
    sums = interval_sums(scope, period, widget.granularity, queue=queue, tz=tz,
                         resolution=resolution, agent_time=_agent_time(widget))
    if len(sums) < 3:
        result.empty = "A control chart needs at least 3 periods of data."
        return
    table = kpis_from_sums(sums, params)
    if metric.key == "service_level":
        if params.sl_variant != "excl_short_abandons":
            result.notes.append("p-chart uses answered within T / (offered − short abandons).")
        frame = table.assign(x=table["answered_within_threshold"],
                             n=table["offered"] - table["short_abandoned"])
        chart = control.p_chart(frame[["period_start", "x", "n"]], "x", "n")
        chart = chart.rename(columns={"p": "value"})
    elif metric.key == "abandon_rate":
        frame = table.assign(x=table["abandoned"] - table["short_abandoned"],
                             n=table["offered"] - table["short_abandoned"])
        chart = control.p_chart(frame[["period_start", "x", "n"]], "x", "n")
        chart = chart.rename(columns={"p": "value"})
    else:
        series = pd.Series(table[metric.key].to_numpy(float), index=table["period_start"])
        chart = control.xmr_chart(series).rename(columns={"at": "period_start"})
    result.table = chart
    result.notes.append("Special causes: " + "; ".join(control.RULES.values()) + ".")
    result.figure = figures.control_chart(chart, metric, tz)


# The forecast page's defaults: 13 weeks of history, the last 4 of them held out to choose the
# model by back-test.
FORECAST_HISTORY_WEEKS = 13
FORECAST_HOLDOUT_WEEKS = 4


def _fraction_text(value) -> str:
    return fmt_percent(value) if value is not None else NO_DATA


def _issued_forecast(found, period) -> tuple[pd.DataFrame, str]:
    """Daily totals of the issued forecast ``found`` (a
    :class:`reports.selectors.ScopeForecast`) over the days of ``period`` (NaN outside its
    horizon) and what it is, in words: which forecast, its model, why, and that model's
    back-test daily WAPE and bias (of one forecast; a sum of queues' forecasts names them)."""
    values = found.values
    days = pd.to_datetime(values["period_start"]).dt.normalize()
    daily = values["offered"].astype(float).groupby(days).sum()
    shown = pd.date_range(period.first_day, period.last_day, freq="D")
    frame = pd.DataFrame({"period_start": shown, "forecast": daily.reindex(shown).to_numpy()})
    forecasts = found.forecasts
    first = min(f.horizon_start for f in forecasts)
    last = min(f.horizon_end for f in forecasts) - timedelta(days=1)
    if len(forecasts) > 1:
        words = f"Forecast: {found.describe()}, for {first:%d %b} – {last:%d %b %Y}"
    else:
        issued = forecasts[0]
        whose = "" if found.total is not None else f" of {issued.queue}"
        words = (f"Forecast{whose}: {issued.method_label}, as issued on "
                 f"{issued.issued_at:%d %b %Y} for {first:%d %b} – {last:%d %b %Y}")
        if issued.holdout_weeks:
            weeks = (f"{issued.holdout_weeks} held-out week"
                     f"{'s' if issued.holdout_weeks != 1 else ''}")
            words += (f", chosen by back-test on {weeks}" if issued.selection else
                      f", named by the person who issued it (back-tested on {weeks})")
        words += (f"; its back-test daily WAPE {_fraction_text(issued.backtest_daily_wape)}, "
                  f"bias {_fraction_text(issued.backtest_daily_bias)}")
    if max(f.horizon_start for f in forecasts) > period.first_day or last < period.last_day:
        words += "; days of the period outside its horizon have no forecast"
    return frame, words + "."


def _chosen_forecast(result, grid, period) -> tuple[pd.DataFrame, str] | None:
    """A forecast of ``period`` by the model a back-test chooses on ``grid`` (daily history),
    as the forecast page chooses (``reports.analysis.forecast.choose``), and what it is in
    words; None (with ``result.empty`` set) when nothing can be forecast."""
    days = len(grid)
    backtest = forecast.backtest(grid, holdout_weeks=FORECAST_HOLDOUT_WEEKS,
                                 methods=forecast.backtest_methods(days,
                                                                   FORECAST_HOLDOUT_WEEKS))
    try:
        choice = forecast.choose(backtest.summary)
    except ValueError:
        choice = None
    method = choice.method if choice is not None else "seasonal_naive"
    try:
        fc = forecast.forecast(grid, horizon_days=period.days, method=method)
    except ValueError as exc:
        result.empty = f"Cannot forecast: {exc}"
        return None
    fc = fc.rename(columns={"offered_forecast": "forecast"})[["period_start", "forecast"]]
    if choice is None:
        words = (f"Forecast: {forecast.LABELS[method]} (same day last week): the "
                 f"{days} days before the period are too few to back-test the models on "
                 f"{FORECAST_HOLDOUT_WEEKS} held-out weeks")
    else:
        words = (f"Forecast: {forecast.LABELS[method]}, chosen by back-test over the "
                 f"{FORECAST_HISTORY_WEEKS} weeks before the period: {choice.reason[:-1]}")
    return fc, words + "."


def _forecast(result, widget, scope, period, resolution, queue, tz, now_local):
    """Daily volume against the forecast: the forecast issued for these contacts and days if
    there is one (:func:`reports.selectors.scope_forecast`, the one lookup), else one by the
    model a back-test on the scope's own weeks before the period chooses — the forecast page's
    rule either way — and why the issued one was not used."""
    metric = _metric(widget)
    if metric.key not in ("offered", "handled"):
        result.empty = "Forecast versus actual is available for offered and handled."
        return
    actual = interval_sums(scope, period, "day", queue=queue, tz=tz, resolution=resolution,
                           agent_time=_agent_time(widget))
    centre = centre_current()
    found = scope_forecast(scope, centre, period.first_day, period.last_day, queue=queue)
    gaps = 0
    if not found.empty:
        fc, words = _issued_forecast(found, period)
    else:
        result.notes.append(found.empty)
        history_period = resolve_period(
            "custom", period.start, tz,
            period.first_day - timedelta(weeks=FORECAST_HISTORY_WEEKS),
            period.first_day - timedelta(days=1))
        history = interval_sums(scope, history_period, "day", queue=queue, tz=tz,
                                resolution=resolution, agent_time=_agent_time(widget))
        if history.empty or actual.empty:
            result.empty = "Not enough history before the period to forecast it."
            return
        history = history.assign(handle_s=history["talk_s"] + history["hold_s"]
                                 + history["acw_s"])
        end = history_period.last_day + timedelta(days=1)
        # Days of the history with no data are gaps (NaN), not days without contacts; days the
        # centre was closed are zeros.
        grid = forecast.complete_grid(
            history[["period_start", "offered", "handled", "handle_s"]], interval_min=1440,
            start=history_period.first_day, end=end,
            closed=closed_days(centre, history_period.first_day, end))
        gaps = int(grid["offered"].isna().sum())
        chosen = _chosen_forecast(result, grid, period)
        if chosen is None:
            return
        fc, words = chosen
    merged = fc.merge(actual[["period_start", metric.key]].rename(columns={metric.key: "actual"}),
                      on="period_start", how="left")
    # A past day with no rows is a gap in the data (no data), not a day without contacts: it
    # stays empty and out of WAPE and bias; so does a day the forecast does not cover.
    past = merged["period_start"] < pd.Timestamp(now_local).normalize()
    done = merged[past & merged["actual"].notna() & merged["forecast"].notna()]
    missing = int((past & merged["actual"].isna()).sum())
    if metric.key != "offered":
        result.notes.append("The volume forecast is of offered contacts.")
    result.notes.append(
        words + (f" {gaps} day{'s' if gaps > 1 else ''} of the history had no data and "
                 "were left out." if gaps else ""))
    left_out = (f"; {missing} day{'s' if missing > 1 else ''} with no data left out"
                if missing else "")
    if done.empty:
        result.notes.append("No complete day of this period has both a forecast and data yet"
                            + left_out + ".")
    else:
        result.notes.append(
            f"This period so far: WAPE "
            f"{fmt_percent(forecast.wape(done['actual'], done['forecast']))}, bias "
            f"{fmt_percent(forecast.bias(done['actual'], done['forecast']))} over the "
            f"{len(done)} complete day{'s' if len(done) != 1 else ''} with data{left_out}.")
    result.table = merged
    result.figure = figures.forecast_vs_actual(merged, metric, tz)


def _intraday(result, widget, scope, period, resolution, queue, tz, now_local):
    """Today per 15-minute interval against the issued forecast, the rest of the day
    re-forecast from the error so far, and the agents Erlang C needs in each remaining interval
    (:func:`reports.intraday.today_against_forecast`)."""
    sums = interval_sums(scope, period, "15min", breakdown="queue", queue=queue, tz=tz,
                         resolution=resolution, agent_time=False)
    done = intraday.today_against_forecast(
        scope, centre_current(), period.start.replace(tzinfo=None),
        period.end.replace(tzinfo=None), sums, now_local, queue=queue)
    if done.empty:
        result.empty = done.empty
        return
    result.table = done.table
    result.notes.extend(done.notes)
    result.figure = figures.intraday(done.table, tz)


def rest_of_day(result, count: int = 6) -> list[dict]:
    """The running interval and the next ``count − 1`` of an intraday result, formatted for
    the wallboard: time, forecast, re-forecast and agents needed."""
    if result.empty or result.table is None or result.table.empty:
        return []
    rest = result.table[~result.table["complete"]].head(count)
    return [{"at": pd.Timestamp(r["period_start"]).strftime("%H:%M"),
             "forecast": f"{r['forecast']:,.1f}", "reforecast": f"{r['reforecast']:,.1f}",
             "agents": NO_DATA if pd.isna(r["required_agents"])
             else f"{int(r['required_agents']):,}"} for r in rest.to_dict("records")]


_BUILDERS = {
    "kpi_tile": _tile, "time_series": _series, "table": _table, "heatmap": _heatmap,
    "sankey": _sankey, "staffing": _staffing, "control_chart": _control, "forecast": _forecast,
    "intraday": _intraday,
}


def dashboard_render(dashboard, scope, now: datetime, queue=None, picked=None, compare=""
                     ) -> list[WidgetResult]:
    """Every widget of ``dashboard`` in order, computed within ``scope`` (for the period
    ``picked`` by the viewer, see :func:`with_period`, else each widget's own).

    Widgets someone else is computing are left to the end and then waited for, so people who
    open a cold dashboard together share out its widgets instead of queueing on each in turn."""
    tz = centre_time_zone()
    version = selectors.data_version()
    widgets = [with_period(w, picked, now, tz, compare)
               for w in dashboard.widgets.order_by("position", "pk")]
    results = []
    # The widgets share their reads (one per scope, span and breakdown: stakeholders.frames).
    with frames.shared_reads():
        for w in widgets:
            try:
                results.append(widget_result(w, scope, now, queue=queue, tz=tz,
                                             data_version=version, wait=False))
            except Busy:
                results.append(None)
        return [r or widget_result(w, scope, now, queue=queue, tz=tz, data_version=version)
                for w, r in zip(widgets, results, strict=True)]


def dashboards_warm(now: datetime | None = None) -> int:
    """Compute every default dashboard into the shared cache for the current data version (run
    after an import, so the first person to open a dashboard finds it ready). Returns the number
    of widgets computed."""
    from django.utils import timezone

    from .models import Widget

    now = now or timezone.now()
    tz = centre_time_zone()
    version = selectors.data_version()
    widgets = (Widget.objects.filter(dashboard__is_default=True)
               .select_related("dashboard__stakeholder").order_by("dashboard", "position", "pk"))
    scopes = {}
    for widget in widgets:
        dashboard = widget.dashboard
        if dashboard.pk not in scopes:
            scopes[dashboard.pk] = selectors.dashboard_scope(dashboard)
        widget_result(widget, scopes[dashboard.pk], now, tz=tz, data_version=version)
    return len(widgets)


# --- display ----------------------------------------------------------------------------------

_COLUMN_LABELS = {"period_start": "Period", "key_label": "", "kpi": "KPI", "actual": "Actual",
                  "target": "Target", "gap": "Gap", "met": "Met", "attainment": "Attainment",
                  "required_agents": "Required", "scheduled_agents": "Scheduled",
                  "actual_agents": "Actual", "gap_agents": "Gap", "forecast": "Forecast",
                  "direction": "Target is", "sl_basis": "Answered within",
                  "judged_at": "Answered within", "reforecast": "Re-forecast"}
_HIDDEN = {"key", "direction", "attainment", "sl_threshold_s", "complete"}


def table_display(result: WidgetResult, breakdown_label: str = "") -> dict:
    """Header and rows of formatted strings for an HTML table of ``result.table``; numeric
    cells are flagged for right alignment and plan-versus-actual rows carry a RAG class."""
    frame = result.table
    columns = [c for c in frame.columns if c not in _HIDDEN]
    header = []
    for c in columns:
        label = _COLUMN_LABELS.get(c, column_label(c))
        if c == "key_label":
            label = breakdown_label or "Group"
        header.append({"label": label, "num": c not in ("key_label", "kpi", "period_start",
                                                          "met", "sl_basis", "judged_at")})
    rows = []
    for record in frame.to_dict("records"):
        metric = METRICS.get(record.get("kpi")) if "kpi" in record else None
        cells = []
        for c in columns:
            v = record[c]
            if c == "kpi":
                text = METRICS[v].label if v in METRICS else str(v)
            elif c == "met":
                text = NO_DATA if v is None or v is pd.NA else ("Met" if bool(v) else "Missed")
            elif c == "period_start":
                text = pd.Timestamp(v).strftime("%d %b %Y %H:%M").replace(" 00:00", "")
            elif c == "gap" and metric is not None and metric.unit == "ratio":
                text = NO_DATA if v is None or math.isnan(v) else f"{v * 100:+.1f} pts"
            elif c in ("actual", "target", "gap") and metric is not None:
                text = metric.fmt(v)
            elif c in METRICS:
                text = METRICS[c].fmt(v)
            elif isinstance(v, float):
                text = NO_DATA if math.isnan(v) else f"{v:,.1f}"
            else:
                text = str(v)
            cells.append({"text": text, "num": header[len(cells)]["num"]})
        rag = ""
        if "met" in record and record["met"] is not None and record["met"] is not pd.NA:
            rag = "ok" if bool(record["met"]) else "fail"
        rows.append({"cells": cells, "rag": rag})
    return {"header": header, "rows": rows}
