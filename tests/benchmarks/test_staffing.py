"""Staffing for every 15-minute interval of a year for 50 queues (1.75 M problems), side by side
with a peer on the same problems in one run:

* Erlang C against pyworkforce 0.5.1 (``pyworkforce.queuing.ErlangC``, the open-source WFM
  library; installed by the ``bench`` extra, never a runtime dependency);
* Erlang A against an independent exact method — the M/M/N+M birth–death chain solved state by
  state, one agent count at a time — since pyworkforce has no Erlang A.

The peers run on a random sample of the problems and their time is scaled to all of them.
"""
import math
import time

import numpy as np
import pytest

from reports.analysis.erlang import (
    erlang_a,
    erlang_a_agents,
    erlang_c_agents,
    erlang_c_service_level,
    scheduled_agents,
    traffic_erlangs,
)
from tests.benchmarks.figures import record

pytestmark = pytest.mark.benchmark
PROBLEMS = 50 * 365 * 96
INTERVAL_S = 900
THRESHOLD_S, TARGET_SL, SHRINKAGE = 20, 0.8, 0.3
PYWORKFORCE_SAMPLE = 20_000
CHAIN_SAMPLE = 2_000


def _problems(seed=42):
    """A year of 15-minute intervals for 50 queues: busy 08:00–20:00, quiet otherwise."""
    rng = np.random.default_rng(seed)
    slot = np.tile(np.arange(96), PROBLEMS // 96)
    shape = np.where((slot >= 32) & (slot < 80), 1.0, 0.15)
    calls = rng.poisson(60 * shape * rng.uniform(0.5, 1.5, PROBLEMS)).astype(float)
    aht = rng.uniform(180, 420, PROBLEMS).round()
    patience = rng.uniform(60, 300, PROBLEMS).round()
    return rng, calls, aht, patience


def _best_of(n, fn):
    best, out = float("inf"), None
    for _ in range(n):  # the machine is shared: the best of n runs
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def test_erlang_c_staffing_against_pyworkforce():
    pyworkforce = pytest.importorskip("pyworkforce.queuing", reason="pip install -e '.[bench]'")
    rng, calls, aht, _ = _problems()

    def vectorised():
        agents = erlang_c_agents(traffic_erlangs(calls, INTERVAL_S, aht), aht, THRESHOLD_S,
                                 target_sl=TARGET_SL)
        return agents, scheduled_agents(agents, SHRINKAGE)

    vector_s, (agents, scheduled) = _best_of(3, vectorised)

    # pyworkforce refuses an interval without calls (it needs none: 0 agents either way).
    busy = np.flatnonzero(calls > 0)
    sample = rng.choice(busy, PYWORKFORCE_SAMPLE, replace=False)
    t = time.perf_counter()
    peer = []
    for i in sample:
        # pyworkforce takes minutes: AHT, the service-level threshold ("asa") and the interval.
        answer = pyworkforce.ErlangC(transactions=calls[i], aht=aht[i] / 60,
                                     asa=THRESHOLD_S / 60, interval=INTERVAL_S / 60,
                                     shrinkage=SHRINKAGE).required_positions(TARGET_SL)
        peer.append((answer["raw_positions"], answer["positions"]))
    peer_sample_s = time.perf_counter() - t
    peer_total_s = peer_sample_s * busy.size / PYWORKFORCE_SAMPLE
    peer_raw = np.array([p[0] for p in peer])
    peer_scheduled = np.array([p[1] for p in peer])

    ours = agents[sample]
    same = ours == peer_raw
    # Where the answers differ, which one is the fewest agents meeting the target? pyworkforce
    # starts its search at round(A + 1), one above ⌊A⌋ + 1 when A's fraction is ≥ ½, and so can
    # never answer ⌊A⌋ + 1 in those intervals.
    a = traffic_erlangs(calls[sample], INTERVAL_S, aht[sample])
    sl_at = erlang_c_service_level(ours, a, aht[sample], THRESHOLD_S)
    sl_below = erlang_c_service_level(ours - 1, a, aht[sample], THRESHOLD_S)
    ours_is_fewest = (sl_at >= TARGET_SL - 1e-12) & ((ours - 1 <= a) | (sl_below < TARGET_SL))
    peer_started_above = peer_raw > np.round(a + 1) - 1
    explained = ~same & ours_is_fewest & (peer_raw == ours + 1) & peer_started_above
    # Scheduled agents: ⌈N / (1 − shrinkage)⌉. In binary floating point 21 / 0.7 is
    # 30.000000000000004, which pyworkforce rounds up to 31; ContactMIS rounds values within
    # 1e-9 of an integer to that integer.
    sched_same = scheduled[sample][same] == peer_scheduled[same]
    exact = ours[same] / (1 - SHRINKAGE)
    float_artefact = ~sched_same & (np.abs(exact - np.round(exact)) < 1e-9) & (
        peer_scheduled[same] == np.round(exact) + 1)
    speedup = peer_total_s / vector_s
    record("Erlang C staffing for 1.75 M interval problems", [
        f"- problems: {PROBLEMS:,} (50 queues × 365 days × 96 intervals, {busy.size:,} with "
        f"calls), target {TARGET_SL:.0%} in {THRESHOLD_S} s, {SHRINKAGE:.0%} shrinkage; traffic "
        f"up to {traffic_erlangs(calls, INTERVAL_S, aht).max():.0f} Erlangs",
        "",
        "| method | time for 1.75 M problems |",
        "|---|---|",
        f"| ContactMIS `erlang_c_agents` + `scheduled_agents` (vectorised, best of 3) "
        f"| {vector_s:.2f} s |",
        f"| pyworkforce 0.5.1 `ErlangC(...).required_positions` (measured on "
        f"{PYWORKFORCE_SAMPLE:,} random problems with calls, scaled) | {peer_total_s:.0f} s "
        f"({peer_sample_s:.2f} s measured) |",
        "",
        f"- speed-up: **{speedup:.0f}×** on the same problems",
        f"- agents identical on {int(same.sum()):,} of {PYWORKFORCE_SAMPLE:,} sampled problems"
        + ("" if same.all() else
           f"; on the other {int((~same).sum()):,} pyworkforce answers one agent more, and in "
           f"{int(explained.sum()):,} of them ContactMIS's answer meets the target (checked with "
           "the service-level formula) while pyworkforce began its search above it "
           "(at round(A + 1))"),
        f"- scheduled agents after {SHRINKAGE:.0%} shrinkage, where the agents are identical: "
        f"identical on {int(sched_same.sum()):,}; on the other {int((~sched_same).sum()):,} "
        f"pyworkforce schedules one more because N / (1 − shrinkage) is a whole number that "
        f"binary floating point puts a hair above it (e.g. 21 / 0.7 = 30.000000000000004 → 31): "
        f"{int(float_artefact.sum()):,} of them",
        f"- scheduled agents total {int(scheduled.sum()):,}",
    ], headline=f"Erlang C, 1.75 M problems: {vector_s:.2f} s vs pyworkforce {peer_total_s:.0f} s"
                f" ({speedup:.0f}×); agents identical on {int(same.sum()):,} of "
                f"{PYWORKFORCE_SAMPLE:,} sampled problems")
    assert (explained | same).all()
    assert (sched_same | float_artefact).all()
    assert speedup >= 100


def _chain_asa(n, lam, mu, theta):
    """Mean wait of all offered calls (s) in the M/M/n+M chain, by its stationary distribution
    built state by state in log space (truncated where the tail is negligible)."""
    k_max = n + int(lam / theta + 12 * math.sqrt(lam / theta + 1) + 50)
    log_p, log_pi = 0.0, [0.0]
    for k in range(1, k_max + 1):
        log_p += math.log(lam) - math.log(min(k, n) * mu + max(k - n, 0) * theta)
        log_pi.append(log_p)
    top = max(log_pi)
    weights = [math.exp(v - top) for v in log_pi]
    total = sum(weights)
    queue = sum(w * max(k - n, 0) for k, w in enumerate(weights)) / total
    return queue / lam  # Little's law: E[W] = E[queue] / λ


def _chain_agents(calls, aht_s, patience_s, target_asa_s):
    """Fewest agents with ASA ≤ target by the chain, one agent count at a time from 1."""
    lam, mu, theta = calls / INTERVAL_S, 1 / aht_s, 1 / patience_s
    n = 1
    while _chain_asa(n, lam, mu, theta) > target_asa_s + 1e-12:
        n += 1
    return n


def test_erlang_a_staffing_against_the_birth_death_chain():
    rng, calls, aht, patience = _problems(7)
    target_asa_s = 15.0

    asa_s, by_asa = _best_of(1, lambda: erlang_a_agents(calls, INTERVAL_S, aht, patience,
                                                        THRESHOLD_S, target_asa_s=target_asa_s))
    sl_s, by_sl = _best_of(1, lambda: erlang_a_agents(calls, INTERVAL_S, aht, patience,
                                                      THRESHOLD_S, target_sl=TARGET_SL))
    busy = np.flatnonzero(calls > 0)
    sample = rng.choice(busy, CHAIN_SAMPLE, replace=False)
    t = time.perf_counter()
    chain = np.array([_chain_agents(calls[i], aht[i], patience[i], target_asa_s)
                      for i in sample])
    chain_sample_s = time.perf_counter() - t
    chain_total_s = chain_sample_s * busy.size / CHAIN_SAMPLE
    same = int((chain == by_asa[sample]).sum())
    # The service-level answers: the fewest agents by the model's own measure, at and below.
    sl = erlang_a(by_sl[sample], calls[sample], INTERVAL_S, aht[sample], patience[sample],
                  THRESHOLD_S)["service_level"]
    sl_below = erlang_a(np.maximum(by_sl[sample] - 1, 0), calls[sample], INTERVAL_S,
                        aht[sample], patience[sample], THRESHOLD_S)["service_level"]
    fewest = int(((sl >= TARGET_SL - 1e-12) & ((by_sl[sample] == 1) | (sl_below < TARGET_SL)))
                 .sum())
    speedup = chain_total_s / asa_s
    record("Erlang A staffing for 1.75 M interval problems", [
        f"- problems: {PROBLEMS:,} (50 queues × 365 days × 96 intervals), patience 60–300 s "
        "(exponential, mean per interval), AHT 180–420 s",
        "",
        "| method | target | time for 1.75 M problems |",
        "|---|---|---|",
        f"| ContactMIS `erlang_a_agents` (vectorised, exact) | ASA ≤ {target_asa_s:.0f} s "
        f"| {asa_s:.1f} s |",
        f"| birth–death chain, one agent count at a time (measured on {CHAIN_SAMPLE:,} random "
        f"problems with calls, scaled) | ASA ≤ {target_asa_s:.0f} s | {chain_total_s:.0f} s "
        f"({chain_sample_s:.1f} s measured) |",
        f"| ContactMIS `erlang_a_agents` (vectorised, exact) | {TARGET_SL:.0%} answered within "
        f"{THRESHOLD_S} s | {sl_s:.1f} s |",
        "",
        f"- speed-up against the chain: **{speedup:.0f}×**; identical agents on {same:,} of "
        f"{CHAIN_SAMPLE:,} sampled problems",
        f"- service-level target: the answer is the fewest agents meeting it (met at N, missed "
        f"at N − 1) on {fewest:,} of {CHAIN_SAMPLE:,} sampled problems",
        "- pyworkforce has no Erlang A; the chain is an independent exact method (a different "
        "computation from the closed forms the solver uses).",
    ], headline=f"Erlang A, 1.75 M problems: {asa_s:.1f} s (ASA target) vs birth–death chain "
                f"{chain_total_s:.0f} s ({speedup:.0f}×), {same:,} of {CHAIN_SAMPLE:,} identical;"
                f" {sl_s:.1f} s for a service-level target")
    assert same == CHAIN_SAMPLE
    assert fewest == CHAIN_SAMPLE
    assert speedup >= 100
