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

from .erlang import erlang_a, erlang_a_agents


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
    # Imported here: scipy.stats takes most of a second to import, and every process that
    # loads the Celery tasks (an import included) would pay it at start.
    from scipy import stats

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


# The abandonment hazard is read in 10-second bins; its peak is sought after the first 30 s (the
# early drop-off of the most impatient callers is a different phenomenon from the peak near 60 s
# the literature reports) and within the first 10 minutes, where enough callers still wait.
HAZARD_BIN_S = 10
HAZARD_PEAK_AFTER_S = 30
HAZARD_HORIZON_S = 600
# A service shorter than this is not a conversation (misroute, hang-up at answer): it is shown
# as the short-service share and left out of the lognormal fit.
SHORT_SERVICE_S = 10


def hazard_peak_s(hazard: pd.DataFrame, after_s: int = HAZARD_PEAK_AFTER_S) -> float:
    """Start (seconds) of the bin of :func:`abandonment_hazard` where the hazard peaks among bins
    starting at or after ``after_s`` (NaN when no such bin has exposure)."""
    later = hazard[(hazard["wait_from_s"] >= after_s) & hazard["hazard_per_s"].notna()]
    if later.empty or not (later["hazard_per_s"] > 0).any():
        return float("nan")
    return float(later.loc[later["hazard_per_s"].idxmax(), "wait_from_s"])


def km_median_interval(km: pd.DataFrame) -> tuple[float, float]:
    """95 % interval of the Kaplan–Meier median read off the pointwise band: the first times the
    lower and the upper band fall to 0.5 (NaN when a band never does)."""
    def first(col):
        below = km[km[col] <= 0.5]
        return float(below["time_s"].iloc[0]) if not below.empty else float("nan")
    return first("ci_low"), first("ci_high")


def short_service_share(service_s, short_s: float = SHORT_SERVICE_S) -> tuple[float, int]:
    """Share of served calls whose service lasted under ``short_s`` seconds, and how many served
    calls it is taken over (calls with a known service time only)."""
    s = np.asarray(service_s, float)
    s = s[np.isfinite(s)]
    return (float((s < short_s).mean()) if len(s) else float("nan")), int(len(s))


def interval_sums(facts: pd.DataFrame) -> pd.DataFrame:
    """Per ``period_start``: ``offered``, ``answered``, ``abandoned``, waits of answered and of
    abandoned calls, ``service_s`` summed over served calls and ``served`` (with a known service
    time) — additive components, ready for ratios of sums."""
    f = facts.assign(
        offered=1, answered_n=facts["answered"].astype(int),
        abandoned_n=facts["abandoned"].astype(int),
        wait_answered_s=facts["wait_s"].where(facts["answered"], 0),
        wait_abandoned_s=facts["wait_s"].where(facts["abandoned"], 0),
        served=facts["service_s"].notna().astype(int),
        service_sum_s=facts["service_s"].fillna(0))
    out = f.groupby("period_start", as_index=False).agg(
        offered=("offered", "sum"), answered=("answered_n", "sum"),
        abandoned=("abandoned_n", "sum"), wait_answered_s=("wait_answered_s", "sum"),
        wait_abandoned_s=("wait_abandoned_s", "sum"), served=("served", "sum"),
        service_s=("service_sum_s", "sum"))
    return out


def service_against_load(sums: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """Mean service time against offered load: intervals grouped into ``bins`` quantile classes
    of offered calls per interval; per class the range of offered calls, the intervals in it
    and the mean service time = Σ service ÷ served calls (a ratio of sums)."""
    s = sums[sums["served"] > 0]
    if len(s) < bins:
        return pd.DataFrame(columns=["offered_from", "offered_to", "intervals", "served",
                                     "mean_service_s"])
    cls = pd.qcut(s["offered"], bins, duplicates="drop")
    out = s.groupby(cls, observed=True).agg(
        offered_from=("offered", "min"), offered_to=("offered", "max"),
        intervals=("offered", "size"), served=("served", "sum"), service_s=("service_s", "sum"))
    out["mean_service_s"] = out["service_s"] / out["served"]
    return out.drop(columns="service_s").reset_index(drop=True)


@dataclass
class GroupScience:
    """Queueing figures of one group of calls (see :func:`group_science`)."""

    calls: int
    answered: int
    abandoned: int
    patience: PatienceEstimate
    median_ci_s: tuple[float, float]
    regression_patience_s: float
    hazard: pd.DataFrame
    hazard_peak_s: float
    wait_mean_s: float
    wait_answered_mean_s: float
    wait_abandoned_mean_s: float
    short_service_share: float
    served_with_time: int
    service_fit: LognormalFit | None
    sums: pd.DataFrame


def group_science(facts: pd.DataFrame) -> GroupScience:
    """Every figure of one group from its queue legs (``wait_s``, ``abandoned``, ``answered``,
    ``service_s``, ``period_start``): patience (exponential estimate Σwait ÷ abandons, KM
    median with its interval, KM restricted mean, the abandonment-vs-wait regression estimate
    over intervals), the hazard and its peak, mean waits (all, answered, abandoned), the
    short-service share and the lognormal fit of the remaining service times."""
    f = facts[facts["wait_s"] >= 0]
    est = patience(f)
    hazard = abandonment_hazard(f, bin_s=HAZARD_BIN_S, max_wait_s=HAZARD_HORIZON_S)
    sums = interval_sums(f)
    rel = abandonment_vs_wait(sums) if len(sums) else None
    w, ans, ab = f["wait_s"].astype(float), f["answered"], f["abandoned"]
    share, served = short_service_share(f["service_s"])
    try:
        fit = lognormal_service_fit(f["service_s"].dropna(), SHORT_SERVICE_S)
    except ValueError:
        fit = None

    def mean(v):
        return float(v.mean()) if len(v) else float("nan")

    return GroupScience(
        calls=len(f), answered=int(ans.sum()), abandoned=int(ab.sum()), patience=est,
        median_ci_s=km_median_interval(est.survival) if len(f) else (np.nan, np.nan),
        regression_patience_s=rel.attrs["implied_patience_s"] if rel is not None else np.nan,
        hazard=hazard, hazard_peak_s=hazard_peak_s(hazard), wait_mean_s=mean(w),
        wait_answered_mean_s=mean(w[ans]), wait_abandoned_mean_s=mean(w[ab]),
        short_service_share=share, served_with_time=served, service_fit=fit, sums=sums)


def erlang_a_check(sums: pd.DataFrame, agents: pd.Series, interval_s: float,
                   patience_s: float, threshold_s: float, target_sl: float | None
                   ) -> pd.DataFrame:
    """Erlang A calibrated from a group's own figures, per interval of ``sums``
    (:func:`interval_sums`): arrivals = offered calls, AHT = the interval's mean service time
    (the group's over all intervals where none was served), patience = ``patience_s`` (the
    exponential estimate, θ⁻¹ of the model). ``agents`` (indexed by ``period_start``) are the
    agents serving the group in each interval (agent equivalents: a share of a pool may be
    fractional, and the model is evaluated at that value); intervals without agents or calls are
    left out.

    Returns per interval ``offered``, ``agents``, observed ``abandon_share`` (abandoned ÷
    offered) and ``wait_s`` (Σ wait of answered and abandoned ÷ offered) beside the model's
    ``predicted_abandon`` and ``predicted_wait_s`` (E[W] over offered calls) for those agents,
    and ``required_agents``: the fewest agents meeting ``target_sl`` of calls answered within
    ``threshold_s`` under the same model (null without a target).
    """
    s = sums.merge(agents.rename("agents").reset_index(), on="period_start", how="inner")
    s = s[(s["offered"] > 0) & (s["agents"] > 0)].reset_index(drop=True)
    cols = ["period_start", "offered", "agents", "abandon_share", "predicted_abandon",
            "wait_s", "predicted_wait_s", "required_agents"]
    if s.empty or not np.isfinite(patience_s) or patience_s <= 0 or s["served"].sum() == 0:
        return pd.DataFrame(columns=cols)
    overall = s["service_s"].sum() / s["served"].sum()
    aht = np.where(s["served"] > 0, s["service_s"] / s["served"].clip(lower=1), overall)
    aht = np.where(aht > 0, aht, overall)
    calls = s["offered"].to_numpy(float)
    n = s["agents"].to_numpy(float)
    model = erlang_a(n, calls, interval_s, aht, patience_s, threshold_s)
    out = pd.DataFrame({
        "period_start": s["period_start"], "offered": s["offered"], "agents": n,
        "abandon_share": s["abandoned"] / s["offered"],
        "predicted_abandon": model["abandon_prob"],
        "wait_s": (s["wait_answered_s"] + s["wait_abandoned_s"]) / s["offered"],
        "predicted_wait_s": model["asa_s"]})
    out["required_agents"] = (erlang_a_agents(calls, interval_s, aht, patience_s, threshold_s,
                                              target_sl=target_sl)
                              if target_sl is not None else np.nan)
    return out[cols]


def erlang_a_summary(check: pd.DataFrame) -> dict:
    """Observed against predicted over all intervals of :func:`erlang_a_check`, weighted by
    offered calls (ratios of sums), and the staff required: peak and mean per interval."""
    if check.empty:
        return {"intervals": 0}
    off = check["offered"].sum()
    req = pd.to_numeric(check["required_agents"], errors="coerce")
    return {
        "intervals": len(check),
        "observed_abandon_share": float((check["abandon_share"] * check["offered"]).sum() / off),
        "predicted_abandon_share": float((check["predicted_abandon"] * check["offered"]).sum()
                                         / off),
        "observed_wait_s": float((check["wait_s"] * check["offered"]).sum() / off),
        "predicted_wait_s": float((check["predicted_wait_s"] * check["offered"]).sum() / off),
        "agents_mean": float(check["agents"].mean()),
        "required_agents_peak": float(req.max()) if req.notna().any() else None,
        "required_agents_mean": float(req.mean()) if req.notna().any() else None,
    }


def agents_present(service: pd.DataFrame, interval_s: int) -> pd.Series:
    """Agents at work per interval, estimated from their service legs (``agent_id``,
    ``start``, ``end``: naive local datetimes): for each agent and interval, the span from the
    first service start to the last service end inside the interval, as a share of it, summed
    over agents (a lower bound on presence: idle time before the first and after the last call
    of an interval is not seen). Indexed by interval start."""
    s = service.dropna(subset=["agent_id", "start", "end"])
    if s.empty:
        return pd.Series(dtype=float)
    freq = pd.Timedelta(seconds=interval_s)
    start = s["start"]
    bucket = start.dt.floor(freq)
    end = s["end"].where(s["end"] >= start, start).clip(upper=bucket + freq)
    span = pd.DataFrame({"agent": s["agent_id"], "bucket": bucket, "start": start, "end": end})
    per = span.groupby(["bucket", "agent"]).agg(first=("start", "min"), last=("end", "max"))
    share = ((per["last"] - per["first"]).dt.total_seconds() / interval_s).clip(0, 1)
    out = share.groupby(level="bucket").sum()
    out.index.name = "period_start"
    return out
