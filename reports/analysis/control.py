"""Statistical process control: p-charts (service level, abandon rate), XmR (AHT), special-cause
rules, and anomalies against the same interval-of-week baseline.

p-charts take per-period numerators and denominators (e.g. answered within T and offered − short
abandons), so the centre line is Σx / Σn — never the mean of the period rates — and the limits
vary with each period's n.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

RULES = {
    "beyond_3_sigma": "a point beyond the 3-sigma control limits",
    "run_of_8": "8 points in a row on the same side of the centre line",
    "trend_of_6": "6 points in a row steadily rising or falling",
    "two_of_three_beyond_2_sigma": "2 of 3 points beyond 2 sigma on the same side",
}


def _spread(flag: np.ndarray, hits: np.ndarray, width: int) -> None:
    """Flag every point of each window of ``width`` points that starts where ``hits``."""
    flag |= np.convolve(hits.astype(int), np.ones(width, dtype=int))[: len(flag)] > 0


def special_causes(z: np.ndarray, values: np.ndarray | None = None) -> pd.DataFrame:
    """Flags per point for each rule of :data:`RULES`, from standardised distances ``z``
    ((value − centre) / sigma) and, for the trend rule, the ``values`` themselves."""
    z = np.asarray(z, float)
    v = z if values is None else np.asarray(values, float)
    n = len(z)
    flags = {k: np.zeros(n, dtype=bool) for k in RULES}
    flags["beyond_3_sigma"] = np.abs(z) > 3
    side = np.sign(z)
    # Each rule over every window at once (a month of 15-minute points is thousands of them).
    if n >= 8:
        w = sliding_window_view(side, 8)
        _spread(flags["run_of_8"], (w[:, -1] != 0) & np.all(w == w[:, -1:], axis=1), 8)
    if n >= 6:
        d = sliding_window_view(np.diff(v), 5)
        _spread(flags["trend_of_6"], np.all(d > 0, axis=1) | np.all(d < 0, axis=1), 6)
    if n >= 3:
        w = sliding_window_view(z, 3)
        flags["two_of_three_beyond_2_sigma"][2:] = ((np.sum(w > 2, axis=1) >= 2)
                                                    | (np.sum(-w > 2, axis=1) >= 2))
    out = pd.DataFrame(flags)
    out["special_cause"] = out.any(axis=1)
    return out


def p_chart(frame: pd.DataFrame, numerator: str, denominator: str) -> pd.DataFrame:
    """p-chart of ``numerator / denominator`` per row (rows in time order).

    Adds ``p``, ``centre`` (Σx/Σn), ``sigma``, ``ucl``, ``lcl`` (clipped to 0..1), ``z`` and the
    special-cause flags. Rows with a zero denominator have NaN ``p`` and are not flagged.
    """
    x = frame[numerator].to_numpy(float)
    n = frame[denominator].to_numpy(float)
    out = frame.copy()
    total = n.sum()
    pbar = x[n > 0].sum() / total if total > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, x / n, np.nan)
        sigma = np.where(n > 0, np.sqrt(pbar * (1 - pbar) / n), np.nan)
        z = np.where(sigma > 0, (p - pbar) / sigma, 0.0)
    out["p"] = p
    out["centre"] = pbar
    out["sigma"] = sigma
    out["ucl"] = np.clip(pbar + 3 * sigma, 0, 1)
    out["lcl"] = np.clip(pbar - 3 * sigma, 0, 1)
    out["z"] = np.nan_to_num(z)
    flags = special_causes(np.nan_to_num(z), np.nan_to_num(p, nan=pbar))
    flags.loc[np.isnan(p), :] = False
    return pd.concat([out.reset_index(drop=True), flags], axis=1)


def xmr_chart(values: pd.Series) -> pd.DataFrame:
    """Individuals and moving-range chart (e.g. daily AHT): ``value``, ``moving_range``,
    ``centre`` (mean), ``ucl``/``lcl`` = centre ± 2.66·MR̄, ``mr_ucl`` = 3.267·MR̄, flags.
    NaN values (periods with nothing handled) are skipped."""
    s = values.dropna().astype(float)
    mr = s.diff().abs()
    mrbar = mr.mean()
    centre = s.mean()
    sigma = mrbar / 1.128 if mrbar > 0 else np.nan
    z = ((s - centre) / sigma).fillna(0).to_numpy() if sigma == sigma else np.zeros(len(s))
    out = pd.DataFrame({"at": s.index, "value": s.to_numpy(), "moving_range": mr.to_numpy(),
                        "centre": centre, "ucl": centre + 2.66 * mrbar,
                        "lcl": centre - 2.66 * mrbar, "mr_ucl": 3.267 * mrbar})
    out["mr_beyond_limit"] = out["moving_range"] > out["mr_ucl"]
    return pd.concat([out, special_causes(z, s.to_numpy())], axis=1)


def interval_of_week_anomalies(frame: pd.DataFrame, value: str = "offered",
                               baseline_weeks: int = 8, threshold: float = 3.5) -> pd.DataFrame:
    """Flag intervals far from the same interval-of-week in earlier weeks.

    ``frame`` has ``period_start`` (local), ``weekday``, ``local_minute`` and ``value``. For each
    row the baseline is the median and MAD of the same (weekday, local_minute) over the previous
    ``baseline_weeks`` occurrences; robust z = 0.6745·(x − median)/MAD, with the Poisson spread
    √median as a floor for counts. Returns the rows with ``baseline``, ``robust_z``, ``anomaly``.
    """
    f = frame.sort_values("period_start").reset_index(drop=True).copy()
    keys = [f["weekday"], f["local_minute"]]

    def rolling_median(series):  # per interval-of-week, over its previous occurrences
        return (series.groupby(keys).rolling(baseline_weeks, min_periods=3).median()
                .reset_index(level=[0, 1], drop=True).sort_index())

    earlier = f.groupby(["weekday", "local_minute"])[value].shift(1).astype(float)
    med = rolling_median(earlier)
    mad = rolling_median((earlier - med).abs())
    spread = np.maximum(mad.to_numpy(float) / 0.6745, np.sqrt(np.maximum(med.to_numpy(float), 1)))
    f["baseline"] = med
    f["robust_z"] = (f[value].to_numpy(float) - med.to_numpy(float)) / spread
    f["anomaly"] = np.abs(f["robust_z"].fillna(0)) > threshold
    return f
