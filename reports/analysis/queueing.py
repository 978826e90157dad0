"""Queueing science on contact facts: patience, abandonment hazard, service times.

Facts frames have one row per queued contact: ``wait_s`` (seconds in queue), ``abandoned``
(bool: left the queue by hanging up) and, for service times, ``service_s`` (seconds with an
agent). Patience is estimated with abandonment as the event and service as right-censoring (a
served caller's patience is at least their wait).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def kaplan_meier(duration_s, event) -> pd.DataFrame:
    """Kaplan–Meier survival: ``time_s``, ``at_risk``, ``events``, ``censored``, ``survival`` and
    a 95 % log-log (Greenwood) interval ``ci_low``/``ci_high`` at each distinct time."""
    d = pd.DataFrame({"t": np.asarray(duration_s, float), "e": np.asarray(event, bool)})
    d = d[d["t"] >= 0]
    g = d.groupby("t")["e"].agg(events="sum", n="count").sort_index()
    g["censored"] = g["n"] - g["events"]
    g["at_risk"] = len(d) - g["n"].cumsum().shift(1, fill_value=0)
    q = 1 - g["events"] / g["at_risk"]
    surv = q.cumprod()
    with np.errstate(divide="ignore", invalid="ignore"):
        var_terms = g["events"] / (g["at_risk"] * (g["at_risk"] - g["events"]))
        gw = var_terms.replace([np.inf], np.nan).cumsum()
        log_s = np.log(surv)
        se = np.sqrt(gw) / np.abs(log_s)
        ci_low = np.exp(-np.exp(np.log(-log_s) + 1.96 * se))
        ci_high = np.exp(-np.exp(np.log(-log_s) - 1.96 * se))
    return pd.DataFrame({"time_s": g.index.to_numpy(), "at_risk": g["at_risk"].to_numpy(),
                         "events": g["events"].to_numpy(), "censored": g["censored"].to_numpy(),
                         "survival": surv.to_numpy(), "ci_low": np.asarray(ci_low),
                         "ci_high": np.asarray(ci_high)})


@dataclass
class PatienceEstimate:
    """Patience of queued callers.

    ``mean_patience_s`` is the exponential MLE Σwait / #abandons (the θ⁻¹ Erlang A uses);
    ``median_patience_s`` the Kaplan–Meier median (NaN when survival never reaches 0.5);
    ``restricted_mean_s`` the area under the KM curve up to the longest observed wait.
    """

    n: int
    abandons: int
    mean_patience_s: float
    median_patience_s: float
    restricted_mean_s: float
    survival: pd.DataFrame


def patience(facts: pd.DataFrame) -> PatienceEstimate:
    """Estimate patience from ``wait_s`` and ``abandoned`` of queued contacts."""
    f = facts[facts["wait_s"] >= 0]
    km = kaplan_meier(f["wait_s"], f["abandoned"])
    abandons = int(f["abandoned"].sum())
    mean = float(f["wait_s"].sum() / abandons) if abandons else float("nan")
    below = km[km["survival"] <= 0.5]
    median = float(below["time_s"].iloc[0]) if not below.empty else float("nan")
    times = np.concatenate([[0.0], km["time_s"].to_numpy(float)])
    surv = np.concatenate([[1.0], km["survival"].to_numpy(float)])
    rmean = float(np.sum(np.diff(times) * surv[:-1])) if len(times) > 1 else float("nan")
    return PatienceEstimate(n=len(f), abandons=abandons, mean_patience_s=mean,
                            median_patience_s=median, restricted_mean_s=rmean, survival=km)


def abandonment_hazard(facts: pd.DataFrame, bin_s: int = 10, max_wait_s: int = 600
                       ) -> pd.DataFrame:
    """Abandonment hazard by wait: per ``bin_s`` bin, callers still waiting at its start
    (``at_risk``), ``abandons`` in it, exposure seconds, and ``hazard_per_s`` = abandons ÷
    exposure (NaN without exposure)."""
    w = facts["wait_s"].to_numpy(float)
    ab = facts["abandoned"].to_numpy(bool)
    edges = np.arange(0, max_wait_s + bin_s, bin_s, dtype=float)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        at_risk = int((w >= lo).sum())
        exposure = float(np.clip(w - lo, 0, hi - lo).sum())
        abandons = int(((w >= lo) & (w < hi) & ab).sum())
        rows.append((int(lo), int(hi), at_risk, abandons, exposure,
                     abandons / exposure if exposure > 0 else np.nan))
    return pd.DataFrame(rows, columns=["wait_from_s", "wait_to_s", "at_risk", "abandons",
                                       "exposure_s", "hazard_per_s"])


@dataclass
class LognormalFit:
    """Lognormal fit of service times (seconds): ln S ~ N(mu, sigma²).

    ``ks_statistic``/``ks_pvalue``: Kolmogorov–Smirnov against the fitted law (with many
    thousands of calls the p-value is tiny even for a good fit; judge by the statistic);
    ``qq_correlation``: correlation of sorted log times with normal quantiles (1 = perfect).
    """

    n: int
    removed_short: int
    mu: float
    sigma: float
    median_s: float
    mean_s: float
    ks_statistic: float
    ks_pvalue: float
    qq_correlation: float


def lognormal_service_fit(service_s, min_s: float = 10) -> LognormalFit:
    """Fit a lognormal to service times ≥ ``min_s`` seconds (shorter ones are removed as
    non-service: misroutes, hang-ups at answer)."""
    s = np.asarray(service_s, float)
    s = s[np.isfinite(s)]
    keep = s[s >= min_s]
    if len(keep) < 3:
        raise ValueError(f"Need at least 3 service times ≥ {min_s} s, got {len(keep)}.")
    logs = np.log(keep)
    mu, sigma = float(logs.mean()), float(logs.std(ddof=1))
    ks = stats.kstest(logs, "norm", args=(mu, sigma))
    osm, osr = stats.probplot(logs, dist="norm", fit=False)
    qq = float(np.corrcoef(osm, osr)[0, 1])
    return LognormalFit(n=len(keep), removed_short=int(len(s) - len(keep)), mu=mu, sigma=sigma,
                        median_s=float(np.exp(mu)), mean_s=float(np.exp(mu + sigma ** 2 / 2)),
                        ks_statistic=float(ks.statistic), ks_pvalue=float(ks.pvalue),
                        qq_correlation=qq)


def abandonment_vs_wait(sums: pd.DataFrame) -> pd.DataFrame:
    """Abandon share against mean wait per row of summed components (e.g. per day or hour).

    Returns ``mean_wait_s`` (Σ waits of answered and abandoned ÷ offered), ``abandon_share``
    (abandoned ÷ offered) and, in ``attrs``, the least-squares slope through the origin
    (``slope_per_s``) and the implied mean patience ``implied_patience_s`` = 1/slope (the
    linear relation P(Ab) ≈ E[W]/mean patience of exponential patience).
    """
    off = sums["offered"].to_numpy(float)
    waits = (sums["wait_answered_s"] + sums["wait_abandoned_s"]).to_numpy(float)
    ok = off > 0
    out = sums.loc[ok].copy()
    out["mean_wait_s"] = waits[ok] / off[ok]
    out["abandon_share"] = sums["abandoned"].to_numpy(float)[ok] / off[ok]
    x, y = out["mean_wait_s"].to_numpy(), out["abandon_share"].to_numpy()
    slope = float((x * y).sum() / (x * x).sum()) if (x * x).sum() > 0 else float("nan")
    out.attrs["slope_per_s"] = slope
    out.attrs["implied_patience_s"] = 1 / slope if slope and slope == slope else float("nan")
    return out
