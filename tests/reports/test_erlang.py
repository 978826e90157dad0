"""Erlang C against the published worked example, Erlang A against a birth–death chain solved
numerically, large agent counts, and rounding that floating point cannot fool."""
import math

import numpy as np
import pytest
from scipy.linalg import solve

from reports.analysis.erlang import (
    ceil_safe,
    erlang_a,
    erlang_a_agents,
    erlang_c,
    erlang_c_agents,
    erlang_c_asa,
    erlang_c_service_level,
    scheduled_agents,
    staffing_table,
    traffic_erlangs,
)


def test_published_worked_example_100_calls_in_30_minutes():
    # Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example":
    # 100 calls / 30 min, AHT 180 s, 80 % in 20 s → A = 10 Erlangs; with 11 agents the
    # probability of waiting is 68.21 %; 14 agents are needed; with 30 % shrinkage 20 agents.
    a = traffic_erlangs(100, 1800, 180)
    assert a == pytest.approx(10.0)
    assert erlang_c(11, a) == pytest.approx(0.6821, abs=5e-5)
    assert erlang_c_service_level(11, a, 180, 20) == pytest.approx(0.3896, abs=5e-4)
    assert erlang_c_asa(11, a, 180) == pytest.approx(122.8, abs=0.05)
    assert erlang_c_service_level(13, a, 180, 20) < 0.8 < erlang_c_service_level(14, a, 180, 20)
    assert erlang_c_agents(a, 180, 20, target_sl=0.8) == 14
    occupancy = staffing_table(100, 1800, 180, 20, target_sl=0.8)["occupancy"]
    assert float(occupancy) == pytest.approx(0.7143, abs=1e-4)  # under the 85 % cap
    assert erlang_c_agents(a, 180, 20, target_sl=0.8, max_occupancy=0.85) == 14
    assert scheduled_agents(14, 0.3) == 20


def test_rounding_up_is_not_fooled_by_floating_point():
    assert 21 / (1 - 0.3) > 30  # 30.000000000000004 in binary floating point
    assert scheduled_agents(21, 0.3) == 30
    assert ceil_safe(30.2) == 31
    assert scheduled_agents(np.array([21, 14, 0]), 0.3).tolist() == [30, 20, 0]
    # A/max_occupancy exactly integral after floating point: 8.5 / 0.85 = 10 agents, not 11.
    assert erlang_c_agents(8.5, 180, 20, max_occupancy=0.85) == 10


def test_asa_target_and_no_traffic():
    a = 10.0
    n = erlang_c_agents(a, 180, target_asa_s=15)
    assert erlang_c_asa(n, a, 180) <= 15 < erlang_c_asa(n - 1, a, 180)
    assert erlang_c_agents(0.0, 180, 20, 0.8) == 0
    assert erlang_c(5, 6.0) == 1.0  # overloaded: everyone waits


def _erlang_c_by_recursion(n, a):
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b / (1 - (a / n) * (1 - b))


def test_more_than_a_thousand_agents_is_exact_and_finite():
    a = 1500.0
    n = erlang_c_agents(a, 240, 20, target_sl=0.8)
    assert 1500 < n < 1560
    assert erlang_c(n, a) == pytest.approx(_erlang_c_by_recursion(int(n), a), rel=1e-9)
    assert erlang_c_service_level(n, a, 240, 20) >= 0.8 > erlang_c_service_level(n - 1, a, 240,
                                                                                   20)
    # Factorial formulas overflow long before this; the log-space form stays finite.
    assert math.isfinite(float(erlang_c(5000, 4900.0)))


def test_vectorised_matches_scalar_for_every_interval():
    rng = np.random.default_rng(7)
    a = rng.uniform(0.1, 80, 300)
    n = erlang_c_agents(a, 300, 30, target_sl=0.9)
    for ai, ni in zip(a, n, strict=True):
        assert erlang_c_service_level(ni, ai, 300, 30) >= 0.9
        assert ni - 1 <= ai or erlang_c_service_level(ni - 1, ai, 300, 30) < 0.9


def _birth_death(n, lam, mu, theta, k_max=2000):
    """Stationary distribution of the M/M/n+M chain solved as a linear system."""
    size = k_max + 1
    q = np.zeros((size, size))
    for k in range(size):
        if k < k_max:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k, k] = -q[k].sum()
    lhs = np.vstack([q.T[:-1], np.ones(size)])
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = solve(lhs, rhs)
    k = np.arange(size)
    queue = np.maximum(k - n, 0)
    prob_wait = pi[n:].sum()
    abandon = theta * (pi * queue).sum() / lam
    return prob_wait, abandon, (pi * queue).sum() / lam


@pytest.mark.parametrize(("agents", "calls", "aht_s", "patience_s"),
                         [(14, 100, 180, 120), (9, 100, 180, 60), (30, 500, 200, 300),
                          (5, 60, 300, 90)])
def test_erlang_a_matches_a_birth_death_chain(agents, calls, aht_s, patience_s):
    lam, mu, theta = calls / 1800, 1 / aht_s, 1 / patience_s
    prob_wait, abandon, mean_wait = _birth_death(agents, lam, mu, theta, k_max=600)
    m = erlang_a(agents, calls, 1800, aht_s, patience_s, 20)
    assert m["prob_wait"] == pytest.approx(prob_wait, rel=1e-6)
    assert m["abandon_prob"] == pytest.approx(abandon, rel=1e-6)
    assert m["asa_s"] == pytest.approx(mean_wait, rel=1e-6)


def test_erlang_a_service_level_matches_a_simulation_of_the_chain():
    # Answered within T / offered, checked against the chain: an arrival that finds k ≥ n in
    # the system has an offered wait of k − n + 1 departures at rates n·μ + j·θ (j = queue
    # ahead), and is answered within T when that wait is ≤ T and shorter than its patience.
    agents, calls, aht_s, patience_s, t = 10, 100, 180, 100, 20
    lam, mu, theta = calls / 1800, 1 / aht_s, 1 / patience_s
    size = 400
    q = np.zeros((size, size))
    for k in range(size):
        if k < size - 1:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, agents) * mu + max(k - agents, 0) * theta
        q[k, k] = -q[k].sum()
    pi = solve(np.vstack([q.T[:-1], np.ones(size)]), np.r_[np.zeros(size - 1), 1.0])
    pi = np.clip(pi, 0, None) / np.clip(pi, 0, None).sum()
    rng = np.random.default_rng(3)
    ahead = rng.choice(size, p=pi, size=400_000) - agents
    waits = np.zeros(len(ahead))
    for j in range(int(ahead.max()), -1, -1):
        queued = ahead >= j
        waits[queued] += rng.exponential(1 / (agents * mu + j * theta), int(queued.sum()))
    patience = rng.exponential(patience_s, len(waits))
    answered_within_t = (waits <= t) & (patience > waits)
    sl = erlang_a(agents, calls, 1800, aht_s, patience_s, t)["service_level"]
    assert sl == pytest.approx(answered_within_t.mean(), abs=0.004)


def test_erlang_a_needs_fewer_agents_than_erlang_c_and_handles_thousands():
    n_a = erlang_a_agents(100, 1800, 180, 120, 20, target_sl=0.8)
    assert n_a <= erlang_c_agents(10.0, 180, 20, target_sl=0.8)
    big = erlang_a(1100, 5_400_000 / 900 * 0.15, 900, 180, 120, 20)
    assert all(math.isfinite(float(v)) for v in big.values())
    n_big = erlang_a_agents(6000, 1800, 360, 200, 20, target_sl=0.8)
    assert 1100 < n_big < 1260  # below A = 1200 Erlangs: abandonment relieves the queue
    _, abandon, _ = _birth_death(int(n_big), 6000 / 1800, 1 / 360, 1 / 200, k_max=1600)
    assert erlang_a(n_big, 6000, 1800, 360, 200, 20)["abandon_prob"] == pytest.approx(
        abandon, rel=1e-6)
    m = erlang_a(np.array([n_big - 1, n_big]), 6000, 1800, 360, 200, 20)
    assert m["service_level"][0] < 0.8 <= m["service_level"][1]


def test_staffing_table_reports_every_field():
    out = staffing_table(100, 1800, 180, 20, target_sl=0.8, shrinkage=0.3)
    assert (int(out["agents"]), int(out["scheduled_agents"])) == (14, 20)
    assert float(out["occupancy"]) == pytest.approx(10 / 14)
    with_patience = staffing_table(100, 1800, 180, 20, target_sl=0.8, patience_s=120)
    assert "abandon_prob" in with_patience
    with pytest.raises(ValueError, match="shrinkage"):
        scheduled_agents(10, 1.2)


def test_bad_inputs_are_refused_by_name():
    with pytest.raises(ValueError, match="aht_s must be finite"):
        erlang_c_agents(np.array([5.0, 6.0]), np.array([180.0, np.nan]), 20, target_sl=0.8)


@pytest.mark.parametrize("guess", [1, 2, 7, 8, 9, 40, 500])
def test_search_from_any_guess_finds_the_fewest_agents_that_meet(guess):
    from reports.analysis.erlang import _search_from

    need = np.array([1, 8, 8, 9, 37, 450])
    calls = []

    def meets(k, sel):
        calls.append(len(sel))
        return k >= need[sel]

    found = _search_from(meets, np.full(need.size, guess))
    np.testing.assert_array_equal(found, need)
    # Only the undecided problems are evaluated after the first pass.
    assert calls[0] == need.size and all(c <= need.size for c in calls[1:])


def test_erlang_a_staffing_for_an_asa_target_matches_the_birth_death_chain():
    # 300 calls in 30 minutes, AHT 240 s (40 Erlangs), patience 180 s, ASA at most 15 s: the
    # fewest agents by the chain, one candidate at a time, against the vectorised search.
    lam, mu, theta = 300 / 1800, 1 / 240, 1 / 180
    by_chain = next(n for n in range(1, 80)
                    if _birth_death(n, lam, mu, theta, k_max=400)[2] <= 15)
    assert erlang_a_agents(300, 1800, 240, 180, 20, target_asa_s=15) == by_chain
    assert erlang_a(by_chain, 300, 1800, 240, 180, 20, service_level=False)["asa_s"] <= 15
    assert np.isnan(erlang_a(by_chain, 300, 1800, 240, 180, 20,
                             service_level=False)["service_level"])
