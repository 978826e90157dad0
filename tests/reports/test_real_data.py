"""The analysis on the real Anonymous Bank call records (Technion SEE lab, 1999).

The facts frame is built here straight from the TSV with pandas (ingestion into the database is
a separate feature): one row per call that reached the queue, PHANTOM records dropped.
"""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports.analysis.kpis import KpiParams, kpi_table
from reports.analysis.patterns import intraday_profile
from reports.analysis.queueing import abandonment_hazard, lognormal_service_fit, patience

# The standard service-level definition: T = 20 s, short abandons ≤ 5 s.
T20 = {"sl_threshold_s": 20, "short_abandon_s": 5}

BUCKETS = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600)


@pytest.fixture(scope="module")
def calls():
    from tests.conftest import ANONYMOUS_BANK

    # A git worktree sits one level deeper than the main checkout; let it point at the data.
    folder = Path(os.environ.get("ANONYMOUS_BANK_DIR", ANONYMOUS_BANK))
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder} (set ANONYMOUS_BANK_DIR)")
    frames = [pd.read_csv(p, sep="\t", dtype=str) for p in sorted(folder.glob("*.tsv"))]
    df = pd.concat(frames, ignore_index=True)
    for c in ("q_time", "ser_time"):
        df[c] = df[c].astype(int)
    df = df[df["outcome"] != "PHANTOM"]
    queued = df[df["q_start"] != "0:00:00"].copy()
    clock = queued["q_start"].str.split(":", expand=True).astype(int)
    queued["local_date"] = pd.to_datetime("19" + queued["date"], format="%Y%m%d")
    queued["local_minute"] = (clock[0] * 60 + clock[1]) // 15 * 15
    queued["weekday"] = queued["local_date"].dt.day_of_week
    queued["abandoned"] = queued["outcome"].eq("HANG")
    queued["served"] = queued["outcome"].eq("AGENT") & queued["server"].ne("NO_SERVER")
    return queued


def _interval_facts(calls):
    """Per-call additive components, ready to be summed into intervals."""
    w = calls["q_time"]
    ans, ab = calls["served"], calls["abandoned"]
    f = pd.DataFrame({
        "month": calls["local_date"].dt.to_period("M").astype(str),
        "offered": 1, "answered": ans.astype(int), "abandoned": ab.astype(int),
        "handled": ans.astype(int), "wait_answered_s": w.where(ans, 0),
        "wait_abandoned_s": w.where(ab, 0), "talk_s": calls["ser_time"].where(ans, 0),
    })
    for b in BUCKETS:
        f[f"answered_le_{b}s"] = (ans & (w <= b)).astype(int)
        f[f"abandoned_le_{b}s"] = (ab & (w <= b)).astype(int)
    return f


def test_monthly_kpis_on_real_data(calls):
    monthly = kpi_table(_interval_facts(calls), KpiParams(**T20), by=["month"])
    assert monthly["month"].tolist() == ["1999-01", "1999-02", "1999-03", "1999-04", "1999-05",
                                         "1999-06", "1999-07", "1999-09", "1999-10"]
    assert (monthly["offered"] > 10_000).all()
    # Queued calls only, answered within 20 s: a busy centre (ASA 70–135 s).
    assert monthly["service_level"].between(0.05, 0.4).all()
    assert monthly["asa_s"].between(60, 150).all()
    assert monthly["abandon_rate"].between(0.1, 0.35).all()
    assert monthly["aht_s"].between(150, 260).all()
    # Cross-check one month against a direct count from the records.
    march = calls[calls["local_date"].dt.month == 3]
    short = (march["abandoned"] & (march["q_time"] <= 5)).sum()
    within = (march["served"] & (march["q_time"] <= 20)).sum()
    row = monthly.set_index("month").loc["1999-03"]
    assert row["service_level"] == pytest.approx(within / (len(march) - short))


def test_patience_kaplan_meier_with_service_as_censoring(calls):
    est = patience(calls.assign(wait_s=calls["q_time"]))
    assert est.n > 150_000 and est.abandons > 40_000
    # Callers of this bank are patient: several minutes on average, heavily censored by service.
    assert 250 < est.mean_patience_s < 500
    assert 200 < est.median_patience_s < 500
    km = est.survival
    assert (np.diff(km["survival"]) <= 1e-12).all()
    hazard = abandonment_hazard(calls.assign(wait_s=calls["q_time"]), bin_s=30, max_wait_s=300)
    assert hazard["hazard_per_s"].notna().all()


def test_service_times_are_lognormal_after_removing_short_calls(calls):
    fit = lognormal_service_fit(calls.loc[calls["served"], "ser_time"], min_s=10)
    assert fit.removed_short > 1_000
    assert 100 < fit.median_s < 150
    assert 170 < fit.mean_s < 240
    assert 0.8 < fit.sigma < 1.1
    assert fit.ks_statistic < 0.03  # close fit (the p-value is tiny at this n)
    assert fit.qq_correlation > 0.99


def test_weekday_intraday_profile_matches_opening_hours(calls):
    prof = intraday_profile(calls.assign(offered=1), "offered", interval_min=60)
    wide = prof.pivot_table(index="local_minute", columns="weekday",
                           values="mean_per_day", fill_value=0)
    # Sunday–Thursday (Python weekdays 6, 0–3): the classic two peaks, 10:00 in the morning and
    # 14:00–17:00 in the afternoon, with a lunchtime dip between them.
    for wd in (6, 0, 1, 2, 3):
        day = wide[wd]
        assert day.loc[:12 * 60].idxmax() == 10 * 60, wd
        afternoon = day.loc[14 * 60:17 * 60].max()
        assert day.loc[12 * 60] < 0.8 * min(day.loc[10 * 60], afternoon), wd
    friday = prof[prof["weekday"] == 4].set_index("local_minute")["mean_per_day"]
    assert friday.loc[15 * 60:].sum() < 0.05 * friday.sum()  # Friday closes at 14:00
    assert prof.groupby("weekday")["share_of_day"].sum().to_numpy() == pytest.approx(1.0)
