"""KPIs from sums of additive interval components (DESIGN.md, "Metric definitions").

Input frames carry the additive columns of an interval rollup (``offered``, ``answered``,
``abandoned``, ``handled``, ``wait_answered_s``, ``talk_s`` …, and the cumulative wait buckets
``answered_le_<b>s`` / ``abandoned_le_<b>s``). Rows may be 15-minute intervals or already summed
in SQL; :func:`kpi_table` sums rows per group first and only then divides, so a daily service level
is never an average of interval service levels.

A KPI with nothing under it (zero denominator) is NaN, never 0.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Service-level variants (DESIGN.md). T = threshold, "short" = abandoned within the short-abandon
# threshold.
SL_VARIANTS = {
    "excl_short_abandons": "answered within T / (offered − short abandons)",
    "of_offered": "answered within T / offered",
    "excl_abandons_within_t": "answered within T / (offered − abandoned within T)",
    "abandons_within_t_positive": "(answered within T + abandoned within T) / offered",
    "of_answered": "answered within T / answered",
}
DEFAULT_SL_VARIANT = "excl_short_abandons"
# What a figure computed with parameters chosen in code (not from the metric catalogue) is
# labelled: users read metric names and versions, never file names.
DEFAULT_DEFINITION_VERSION = "standard definition (parameters chosen here)"

ADDITIVE_COLUMNS = (
    "offered", "answered", "abandoned", "flowed_out", "handled", "transfers", "escalations",
    "wait_answered_s", "wait_abandoned_s", "talk_s", "hold_s", "acw_s", "staffed_s",
    "available_s", "busy_s", "ivr_sessions", "ivr_contained", "ivr_to_queue", "ivr_abandoned",
)
_BUCKET_RE = re.compile(r"^(answered|abandoned)_le_(\d+)s$")


@dataclass(frozen=True)
class KpiParams:
    """Parameters of the metric definitions in force for a period.

    ``sl_threshold_s`` (T) and ``short_abandon_s`` are seconds and must be wait buckets of the
    rollup; ``sl_variant`` is a key of :data:`SL_VARIANTS`; ``definition_version`` labels the
    metric-catalogue version the parameters came from (shown on every chart and report). There
    are no default thresholds here: ``reports.semantics`` resolves them from the catalogue and
    the measurement configurations.
    """

    sl_threshold_s: int
    short_abandon_s: int
    sl_variant: str = DEFAULT_SL_VARIANT
    definition_version: str = ""

    def __deepcopy__(self, memo):
        # Frozen: a frame's attrs carry these, and pandas deep-copies attrs on every operation.
        return self

    def __post_init__(self):
        if self.sl_variant not in SL_VARIANTS:
            raise ValueError(
                f"sl_variant “{self.sl_variant}” is unknown; use one of {', '.join(SL_VARIANTS)}."
            )
        if self.sl_threshold_s <= 0:
            raise ValueError(f"sl_threshold_s must be positive, got {self.sl_threshold_s}.")
        if self.short_abandon_s < 0:
            raise ValueError(f"short_abandon_s must be ≥ 0, got {self.short_abandon_s}.")

    @property
    def label(self) -> str:
        """Human label, e.g. ``SL 20 s, answered within T / (offered − short abandons)``."""
        return (f"SL {self.sl_threshold_s} s, {SL_VARIANTS[self.sl_variant]}; short abandon ≤ "
                f"{self.short_abandon_s} s; {self.definition_version}")


def bucket_thresholds(columns) -> tuple[int, ...]:
    """The wait-bucket thresholds (seconds) present as ``answered_le_<b>s`` columns, sorted."""
    found = {int(m.group(2)) for c in columns if (m := _BUCKET_RE.match(str(c)))
             and m.group(1) == "answered"}
    return tuple(sorted(found))


def ratio(numerator, denominator):
    """``numerator / denominator`` elementwise; NaN where the denominator is 0."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _bucket(frame: pd.DataFrame, kind: str, seconds: int) -> pd.Series:
    col = f"{kind}_le_{seconds}s"
    if seconds == 0:
        return pd.Series(0, index=frame.index)
    if col not in frame.columns:
        have = ", ".join(str(b) for b in bucket_thresholds(frame.columns)) or "none"
        raise ValueError(f"No wait bucket for {seconds} s ({col}); available buckets: {have} s.")
    return frame[col]


PRECOMPUTED = ("answered_within_threshold", "abandoned_within_threshold", "short_abandoned")


def threshold_components(frame: pd.DataFrame, threshold_s: int, short_abandon_s: int):
    """(answered within T, abandoned within T, short abandons) per row.

    Taken from the columns ``answered_within_threshold``, ``abandoned_within_threshold`` and
    ``short_abandoned`` when the frame already has them (a selector summed them in SQL with the
    threshold in force on each day), otherwise from the wait buckets for ``threshold_s`` and
    ``short_abandon_s``.
    """
    if all(c in frame.columns for c in PRECOMPUTED):
        return tuple(frame[c] for c in PRECOMPUTED)
    return (_bucket(frame, "answered", threshold_s), _bucket(frame, "abandoned", threshold_s),
            _bucket(frame, "abandoned", short_abandon_s))


def service_level(frame: pd.DataFrame, threshold_s: int, short_abandon_s: int,
                  variant: str = DEFAULT_SL_VARIANT) -> np.ndarray:
    """Service level (0..1) of each row of summed components, in ``variant`` (SL_VARIANTS)."""
    ans_t, ab_t, short = threshold_components(frame, threshold_s, short_abandon_s)
    offered = frame["offered"]
    if variant == "excl_short_abandons":
        return ratio(ans_t, offered - short)
    if variant == "of_offered":
        return ratio(ans_t, offered)
    if variant == "excl_abandons_within_t":
        return ratio(ans_t, offered - ab_t)
    if variant == "abandons_within_t_positive":
        return ratio(ans_t + ab_t, offered)
    if variant == "of_answered":
        return ratio(ans_t, frame["answered"])
    raise ValueError(f"sl_variant “{variant}” is unknown; use one of {', '.join(SL_VARIANTS)}.")


def kpis_from_sums(sums: pd.DataFrame, params: KpiParams | None = None,
                   all_variants: bool = False) -> pd.DataFrame:
    """KPIs for rows that already hold summed components (one row per period/segment).

    Returns ``sums``' non-additive columns (keys) plus: ``offered``, ``answered``, ``abandoned``,
    ``short_abandoned``, ``answered_within_threshold``, ``abandoned_within_threshold``,
    ``handled``, ``service_level`` (0..1, ``params.sl_variant``), ``asa_s``, ``aht_s``,
    ``avg_talk_s``, ``avg_hold_s``, ``avg_acw_s``, ``abandon_rate`` (0..1), ``transfer_rate``,
    ``escalation_rate``, ``ivr_containment``, ``occupancy`` (0..1, busy / (busy + available)),
    ``wait_max_s`` when present, and with ``all_variants`` one ``service_level__<variant>`` column
    per variant side by side. Missing component columns count as 0.
    """
    missing = [col for col in ADDITIVE_COLUMNS if col not in sums.columns]
    f = sums.assign(**dict.fromkeys(missing, 0)) if missing else sums
    if params is None:
        # Without parameters only rows whose within-threshold counts were summed already (by
        # the selectors, each at its own threshold) can give a service level.
        if not all(c in f.columns for c in PRECOMPUTED):
            raise ValueError("KPIs need the metric parameters in force "
                             "(reports.semantics.resolve) or precomputed threshold counts.")
        params = KpiParams(sl_threshold_s=1, short_abandon_s=0)
    # The columns are gathered first and framed once: setting them one by one on a frame
    # cost more than the arithmetic.
    out = {}
    keys = [c for c in f.columns if c not in ADDITIVE_COLUMNS and not _BUCKET_RE.match(str(c))
            and c != "wait_max_s" and c not in PRECOMPUTED]
    for key in keys:
        out[key] = f[key].array
    ans_t, ab_t, short = threshold_components(f, params.sl_threshold_s, params.short_abandon_s)
    out["offered"] = f["offered"].to_numpy("int64")
    out["answered"] = f["answered"].to_numpy("int64")
    out["abandoned"] = f["abandoned"].to_numpy("int64")
    out["short_abandoned"] = np.asarray(short, dtype="int64")
    out["answered_within_threshold"] = np.asarray(ans_t, dtype="int64")
    out["abandoned_within_threshold"] = np.asarray(ab_t, dtype="int64")
    out["handled"] = f["handled"].to_numpy("int64")
    out["service_level"] = service_level(f, params.sl_threshold_s, params.short_abandon_s,
                                         params.sl_variant)
    if all_variants:
        for variant in SL_VARIANTS:
            out[f"service_level__{variant}"] = service_level(
                f, params.sl_threshold_s, params.short_abandon_s, variant)
    handle = f["talk_s"] + f["hold_s"] + f["acw_s"]
    out["asa_s"] = ratio(f["wait_answered_s"], f["answered"])
    out["aht_s"] = ratio(handle, f["handled"])
    out["avg_talk_s"] = ratio(f["talk_s"], f["handled"])
    out["avg_hold_s"] = ratio(f["hold_s"], f["handled"])
    out["avg_acw_s"] = ratio(f["acw_s"], f["handled"])
    out["abandon_rate"] = ratio(f["abandoned"] - short, f["offered"] - short)
    out["transfer_rate"] = ratio(f["transfers"], f["handled"])
    out["escalation_rate"] = ratio(f["escalations"], f["handled"])
    out["ivr_containment"] = ratio(f["ivr_contained"], f["ivr_sessions"])
    out["occupancy"] = ratio(f["busy_s"], f["busy_s"] + f["available_s"])
    if "wait_max_s" in f.columns:
        out["wait_max_s"] = f["wait_max_s"].where(f["offered"] > 0).array
    return pd.DataFrame(out, index=f.index)


def sum_components(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Sum the additive columns (and wait buckets; ``wait_max_s`` by max) per ``by`` group."""
    additive = [c for c in frame.columns if c in ADDITIVE_COLUMNS or _BUCKET_RE.match(str(c))
                or c in PRECOMPUTED]
    agg = dict.fromkeys(additive, "sum")
    if "wait_max_s" in frame.columns:
        agg["wait_max_s"] = "max"
    if not by:
        summed = frame.agg(agg)
        return summed.to_frame().T if isinstance(summed, pd.Series) else summed
    return frame.groupby(by, dropna=False, sort=True).agg(agg).reset_index()


def kpi_table(frame: pd.DataFrame, params: KpiParams | None = None, by: list[str] | None = None,
              all_variants: bool = False) -> pd.DataFrame:
    """Sum components per ``by`` group, then compute :func:`kpis_from_sums`."""
    return kpis_from_sums(sum_components(frame, by), params, all_variants=all_variants)


def service_level_curve(sums: pd.Series | pd.DataFrame, short_abandon_s: int,
                        variant: str = DEFAULT_SL_VARIANT) -> pd.DataFrame:
    """Service level at every wait bucket of one total (a row of summed components).

    Returns columns ``threshold_s`` and ``service_level`` (0..1, NaN with nothing offered).
    """
    row = sums.to_frame().T if isinstance(sums, pd.Series) else sum_components(sums)
    thresholds = bucket_thresholds(row.columns)
    levels = [float(service_level(row, t, short_abandon_s, variant)[0]) for t in thresholds]
    return pd.DataFrame({"threshold_s": list(thresholds), "service_level": levels})


def wait_percentiles(sums: pd.DataFrame, quantiles=(0.5, 0.8, 0.9, 0.95)) -> pd.DataFrame:
    """Percentiles of the wait of answered contacts from the cumulative buckets, per row.

    Linear interpolation inside a bucket (the wait distribution is assumed uniform within it, 0 s
    at the start of the first). Columns ``wait_p<q>_s``; NaN where nothing was answered; a
    percentile above the last bucket is reported as that bucket and flagged in
    ``wait_p<q>_beyond_last_bucket``.
    """
    thresholds = bucket_thresholds(sums.columns)
    edges = np.array((0, *thresholds), dtype=float)
    cum = np.column_stack([np.zeros(len(sums))]
                          + [sums[f"answered_le_{b}s"].to_numpy(float) for b in thresholds])
    answered = sums["answered"].to_numpy(float)
    out = pd.DataFrame(index=sums.index)
    for q in quantiles:
        name = f"wait_p{round(q * 100)}_s"
        target = q * answered
        values = np.full(len(sums), np.nan)
        beyond = np.zeros(len(sums), dtype=bool)
        for i in range(len(sums)):
            if answered[i] <= 0:
                continue
            j = int(np.searchsorted(cum[i], target[i], side="left"))
            if j >= len(edges):
                values[i], beyond[i] = edges[-1], True
            elif j == 0:
                values[i] = 0.0
            else:
                lo, hi = cum[i, j - 1], cum[i, j]
                frac = (target[i] - lo) / (hi - lo) if hi > lo else 1.0
                values[i] = edges[j - 1] + frac * (edges[j] - edges[j - 1])
        out[name] = values
        out[f"{name.removesuffix('_s')}_beyond_last_bucket"] = beyond
    return out


def is_empty(value) -> bool:
    """True for a KPI with nothing under it (NaN/None)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
