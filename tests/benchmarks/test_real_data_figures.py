"""Figures from the real Anonymous Bank records (Technion SEE lab, 1999): monthly KPIs, weekday
intraday profile, lognormal fit of service times (calls under 10 s removed) and patience.
Documented in docs/benchmarks.md; the assertions live in tests/reports/test_real_data.py."""
import pytest

from reports.analysis.kpis import KpiParams, kpi_table
from reports.analysis.patterns import WEEKDAYS, intraday_profile
from reports.analysis.queueing import lognormal_service_fit, patience
from tests.benchmarks.figures import record
from tests.reports.test_real_data import _interval_facts, calls  # noqa: F401

# The standard service-level definition: T = 20 s, short abandons ≤ 5 s.
T20 = {"sl_threshold_s": 20, "short_abandon_s": 5}

pytestmark = pytest.mark.benchmark


def test_real_data_figures(calls):  # noqa: F811
    monthly = kpi_table(_interval_facts(calls), KpiParams(**T20), by=["month"])
    lines = ["Source: Anonymous Bank call-center data, Technion SEE lab (queued calls, PHANTOM "
             "records dropped; served = AGENT with a named server).", "",
             "| month | offered | SL (20 s, excl. short abandons) | ASA | AHT | abandon rate |",
             "|---|---|---|---|---|---|"]
    for r in monthly.itertuples():
        lines.append(f"| {r.month} | {r.offered:,} | {r.service_level:.1%} | {r.asa_s:.0f} s | "
                     f"{r.aht_s:.0f} s | {r.abandon_rate:.1%} |")
    est = patience(calls.assign(wait_s=calls["q_time"]))
    fit = lognormal_service_fit(calls.loc[calls["served"], "ser_time"], min_s=10)
    lines += ["", f"- Patience (abandonment = event, service = censoring): n = {est.n:,}, "
              f"abandons = {est.abandons:,}; exponential mean {est.mean_patience_s:.0f} s; "
              f"Kaplan–Meier median {est.median_patience_s:.0f} s; restricted mean "
              f"{est.restricted_mean_s:.0f} s",
              f"- Service times (≥ 10 s, {fit.removed_short:,} shorter removed): lognormal "
              f"μ = {fit.mu:.3f}, σ = {fit.sigma:.3f} (median {fit.median_s:.0f} s, mean "
              f"{fit.mean_s:.0f} s), n = {fit.n:,}; KS D = {fit.ks_statistic:.4f} "
              f"(p = {fit.ks_pvalue:.1e}), QQ correlation {fit.qq_correlation:.4f}"]
    prof = intraday_profile(calls.assign(offered=1), "offered", 60)
    wide = prof.pivot_table(index="local_minute", columns="weekday", values="mean_per_day",
                            fill_value=0)
    order = [6, 0, 1, 2, 3, 4, 5]
    lines += ["", "Weekday intraday profile (mean queued calls per day in each local hour):", "",
              "| hour | " + " | ".join(WEEKDAYS[d] for d in order) + " |",
              "|---|" + "---|" * len(order)]
    for minute in range(7 * 60, 24 * 60, 60):
        row = wide.loc[minute] if minute in wide.index else None
        cells = [f"{row.get(d, 0):.0f}" if row is not None else "0" for d in order]
        lines.append(f"| {minute // 60:02d}:00 | " + " | ".join(cells) + " |")
    record("Real data: Anonymous Bank 1999", lines)
