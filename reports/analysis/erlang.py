"""Erlang C and Erlang A staffing, exact, numerically stable and vectorised.

All inputs broadcast as numpy arrays, so a year of 15-minute intervals for 50 queues (1.75 M
problems) is solved in one call. Units: ``calls`` per interval, ``interval_s``, ``aht_s``,
``threshold_s``, ``patience_s`` in seconds; probabilities and service levels 0..1.

Stability: Erlang B is never computed from factorials or powers. For given agent counts it is
evaluated in log space as ``B(N, A) = P(X = N) / P(X ≤ N)`` for ``X ~ Poisson(A)`` (``gammaln``
and the regularised upper incomplete gamma); the staffing search uses the recursion
``B(k) = A·B(k−1) / (k + A·B(k−1))``, whose terms stay in (0, 1]. Both are exact to double
precision for thousands of agents. Erlang C follows as ``C = B / (1 − ρ(1 − B))``, ``ρ = A/N``.

Erlang A (M/M/N+M, Palm's model with exponential patience of mean ``patience_s``) uses the
closed forms of Mandelbaum & Zeltyn (2004) with ``J(x, y) = x·e^y·y^(−x)·γ(x, y)`` evaluated in log
space. Definitions used by Erlang A here:

* ``prob_wait`` = P(an arriving call finds all agents busy);
* ``abandon_prob`` = P(an arriving call abandons);
* ``service_level`` = answered within T / offered: P(V ≤ T and patience > V), where V is the
  *offered wait* (the wait a caller with unlimited patience would have); callers who abandon
  count against it whenever they abandon (the "offered" variant of DESIGN.md);
* ``asa_s`` = E[W], the mean wait of all offered calls (answered and abandoned), which by Little's
  law equals ``abandon_prob × patience_s``.
"""
from __future__ import annotations

import numpy as np

# Values within this relative distance of an integer are that integer when rounding up staff:
# 21 / (1 − 0.3) = 30.000000000000004 in binary floating point and must give 30 agents.
ROUNDING_RTOL = 1e-9


def ceil_safe(x):
    """Round up; values within ``ROUNDING_RTOL`` (relative) of an integer are that integer."""
    x = np.asarray(x, dtype=float)
    nearest = np.round(x)
    close = np.abs(x - nearest) <= ROUNDING_RTOL * np.maximum(1.0, np.abs(x))
    return np.where(close, nearest, np.ceil(x)).astype(np.int64)


def traffic_erlangs(calls, interval_s, aht_s):
    """Offered traffic A = calls × AHT / interval length (Erlangs)."""
    return np.asarray(calls, float) * np.asarray(aht_s, float) / np.asarray(interval_s, float)


def log_erlang_b(agents, traffic):
    """log of Erlang B blocking probability, stable for any number of agents."""
    # scipy is imported when first needed, not by every process that loads the tasks (an
    # import's worker process included): scipy.special alone takes a quarter of a second.
    from scipy.special import gammaincc, gammaln

    n = np.asarray(agents, float)
    a = np.asarray(traffic, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = n * np.log(a) - a - gammaln(n + 1)
        log_cdf = np.log(gammaincc(n + 1, a))
        out = log_pmf - log_cdf
    out = np.where(a <= 0, np.where(n <= 0, 0.0, -np.inf), out)
    return np.minimum(out, 0.0)


def erlang_c(agents, traffic):
    """Probability that an arriving call waits (Erlang C); 1 where agents ≤ traffic."""
    n = np.asarray(agents, float)
    a = np.asarray(traffic, float)
    b = np.exp(log_erlang_b(n, a))
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = a / n
        c = b / (1.0 - rho * (1.0 - b))
    c = np.where(n > a, np.clip(c, 0.0, 1.0), 1.0)
    return np.where(a <= 0, 0.0, c)


def erlang_c_service_level(agents, traffic, aht_s, threshold_s):
    """SL(T) = 1 − C·exp(−(N − A)·T/AHT) (answered within T / offered); 0 where N ≤ A."""
    n = np.asarray(agents, float)
    a = np.asarray(traffic, float)
    c = erlang_c(n, a)
    sl = 1.0 - c * np.exp(-(n - a) * np.asarray(threshold_s, float) / np.asarray(aht_s, float))
    return np.where(n > a, sl, np.where(a <= 0, 1.0, 0.0))


def erlang_c_asa(agents, traffic, aht_s):
    """ASA = C·AHT/(N − A) seconds over all calls; inf where N ≤ A."""
    n = np.asarray(agents, float)
    a = np.asarray(traffic, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = erlang_c(n, a) * np.asarray(aht_s, float) / (n - a)
    return np.where(n > a, asa, np.where(a <= 0, 0.0, np.inf))


def _erlang_b_at(n0, a):
    """Erlang B at integer ``n0`` (≥ 1) for every element, by the stable recursion
    ``B(k) = A·B(k−1) / (k + A·B(k−1))`` from B(0) = 1.

    Problems are sorted by ``n0`` (descending) so that step k touches only the contiguous
    prefix of problems that still need it: total work is Σ n0 cheap flops, with no masks.
    """
    if n0.size == 0:
        return np.ones_like(a, dtype=float)
    # Small non-negative integers: a stable sort is a radix sort (linear time) in numpy.
    key = (n0.max() - n0).astype(np.int16 if n0.max() < 32_000 else np.int64)
    order = np.argsort(key, kind="stable")
    a_s = a[order]
    n_s = n0[order]
    b = np.ones_like(a_s)
    tmp = np.empty_like(a_s)
    den = np.empty_like(a_s)
    # active[k] = number of problems with n0 ≥ k (a prefix, thanks to the sort).
    top = int(n_s[0]) if n_s.size else 0
    active = np.searchsorted(-n_s, -np.arange(1, top + 1), side="right")
    for k in range(1, top + 1):
        m = active[k - 1]
        bm, tm, dm = b[:m], tmp[:m], den[:m]
        np.multiply(a_s[:m], bm, out=tm)
        np.add(tm, k, out=dm)
        np.divide(tm, dm, out=bm)
    out = np.empty_like(b)
    out[order] = b
    return out


def erlang_c_agents(traffic, aht_s, threshold_s=None, target_sl=None, target_asa_s=None,
                    max_occupancy=None):
    """Fewest agents meeting every given target (Erlang C), elementwise.

    ``target_sl`` (0..1) within ``threshold_s``; ``target_asa_s`` seconds; ``max_occupancy`` (0..1)
    caps A/N. With no target the result is the fewest agents that keep the queue stable (N > A).
    Zero traffic needs zero agents. ``threshold_s`` is required with ``target_sl`` (there is
    no default threshold: the caller's queue configuration supplies it).

    Method: Erlang B at the first candidate N0 = ⌊A⌋ + 1 (or the occupancy floor) by the stable
    recursion for all problems at once (:func:`_erlang_b_at`), then stepped up (two candidates a
    pass) only for the problems still short of their targets. Exact (no approximation), and
    stable for thousands of agents.
    """
    if threshold_s is None:
        if target_sl is not None:
            raise ValueError("threshold_s is required with target_sl.")
        threshold_s = 0.0
    shape = np.shape(np.asarray(traffic))
    a, aht, t = (np.ravel(v).astype(float) for v in np.broadcast_arrays(
        np.asarray(traffic, float), np.asarray(aht_s, float), np.asarray(threshold_s, float)))
    for name, values in (("traffic", a), ("aht_s", aht), ("threshold_s", t)):
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"{name} must be finite and ≥ 0 for every interval.")
    result = np.empty(a.size, dtype=np.int64)
    # Chunks small enough for the CPU cache: the work is a few flops per element and step, so
    # memory traffic, not arithmetic, would otherwise set the pace.
    for lo in range(0, a.size, CHUNK):
        hi = lo + CHUNK
        result[lo:hi] = _erlang_c_agents_chunk(a[lo:hi], aht[lo:hi], t[lo:hi], target_sl,
                                               target_asa_s, max_occupancy)
    return result.reshape(shape) if shape else result[0]


CHUNK = 32768


def _erlang_c_agents_chunk(a, aht, t, target_sl, target_asa_s, max_occupancy):
    n0 = np.floor(a).astype(np.int64) + 1
    if max_occupancy is not None:
        n0 = np.maximum(n0, ceil_safe(a / max_occupancy))
    result = np.where(a <= 0, 0, -1).astype(np.int64)
    idx = np.flatnonzero(a > 0)
    n = n0[idx].astype(float)
    aa, hh, tt = a[idx], aht[idx], t[idx]
    b = _erlang_b_at(n0[idx], aa)
    kk = tt / hh  # T / AHT, used in every service-level check
    log_miss = np.log1p(-target_sl) if target_sl is not None else None

    def meets(n, b, aa, hh, kk):
        diff = n - aa
        c = b / (1.0 - (aa / n) * (1.0 - b))
        ok = np.ones(n.size, dtype=bool)
        if target_sl is not None:
            # 1 − C·e^(−(N−A)·T/AHT) ≥ target  ⇔  log C − (N−A)·T/AHT ≤ log(1 − target)
            ok = np.log(c) - diff * kk <= log_miss + 1e-12
        if target_asa_s is not None:
            ok &= c * hh / diff <= target_asa_s + 1e-12
        return ok

    # Two candidate agent counts per pass (N and N + 1), so the arrays are compacted half as
    # often: most problems need 2–5 steps above ⌊A⌋ + 1.
    for _ in range(1_000_000):
        if idx.size == 0:
            break
        ok0 = meets(n, b, aa, hh, kk)
        n1 = n + 1
        b1 = aa * b / (n1 + aa * b)
        ok1 = meets(n1, b1, aa, hh, kk)
        found = ok0 | ok1
        result[idx[found]] = np.where(ok0, n, n1)[found].astype(np.int64)
        if found.all():
            break
        keep = ~found
        idx, aa, hh, kk = idx[keep], aa[keep], hh[keep], kk[keep]
        n, b = n1[keep] + 1, b1[keep]
        b = aa * b / (n + aa * b)
    return result


def scheduled_agents(required, shrinkage):
    """Agents to schedule so ``required`` remain after ``shrinkage`` (0..1): ⌈N / (1 − s)⌉."""
    s = np.asarray(shrinkage, float)
    if np.any((s < 0) | (s >= 1)):
        raise ValueError("shrinkage must be in [0, 1).")
    return ceil_safe(np.asarray(required, float) / (1.0 - s))


# ---------------------------------------------------------------- Erlang A (M/M/N+M)

def _log_j(x, y):
    """log J(x, y), J(x, y) = x·e^y·y^(−x)·γ(x, y) = Σ_k y^k / ((x+1)…(x+k)), γ the lower
    incomplete gamma.

    Where the regularised γ does not underflow it is used directly (log space); where it does
    (far more agents than traffic, y ≪ x) the series converges fast and is summed instead.
    """
    from scipy.special import gammainc, gammaln

    x, y = (np.atleast_1d(v) for v in np.broadcast_arrays(np.asarray(x, float),
                                                          np.asarray(y, float)))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = gammainc(x, y)
        out = np.log(x) + y - x * np.log(y) + np.log(p) + gammaln(x)
    small = ~(p > 1e-250) & (y > 0)
    if small.any():
        xs, ys = x[small], y[small]
        term = np.ones_like(xs)
        total = np.ones_like(xs)
        for k in range(1, 2000):
            term = term * ys / (xs + k)
            total += term
            if np.all(term < 1e-17 * total):
                break
        out = out.copy()
        out[small] = np.log(total)
    return np.where(y <= 0, 0.0, out)


def erlang_a(agents, calls, interval_s, aht_s, patience_s, threshold_s, *,
             service_level=True):
    """Erlang A measures, elementwise. Returns a dict of arrays: ``prob_wait``,
    ``abandon_prob``, ``service_level`` (answered within T / offered), ``asa_s`` (E[W] over all
    offered calls), ``occupancy`` (carried traffic / N). Definitions in the module docstring.

    ``service_level=False`` leaves the service level out (NaN): it is the one measure that needs
    a numerical integral (25 incomplete-gamma evaluations instead of one), and a staffing search
    for an ASA or occupancy target has no use for it."""
    n, calls, interval, aht, pat, t = np.broadcast_arrays(
        *(np.asarray(v, float) for v in (agents, calls, interval_s, aht_s, patience_s,
                                         threshold_s)))
    lam = calls / interval
    mu = 1.0 / aht
    theta = 1.0 / pat
    a = lam / mu
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = n * mu / theta
        y = lam / theta
        log_e = log_erlang_b(n, a)
        log_j = np.where(n > 0, _log_j(x, y), np.inf)
        # P(W > 0) = J·E / (1 + (J − 1)·E), written to avoid overflow of J.
        log_je = log_j + log_e
        prob_wait = np.where(
            n > 0, 1.0 / (1.0 + np.exp(np.log1p(-np.exp(log_e)) - log_je)), 1.0)
        prob_wait = np.where(np.exp(log_e) >= 1.0, 1.0, prob_wait)
        rho = lam / (n * mu)
        ab_given_wait = np.where(n > 0, 1.0 / (rho * np.exp(log_j)) + 1.0 - 1.0 / rho, 1.0)
        abandon = np.clip(prob_wait * ab_given_wait, 0.0, 1.0)
        # Offered-wait tail P(V > s | V > 0) = γ(x, y·e^(−θs)) / γ(x, y), in logs via J:
        # log γ(x, y) = log J(x, y) + x·log y − y − log x.
        def tail(s):
            y_s = y * np.exp(-theta * s)
            log_tail = _log_j(x, y_s).reshape(y.shape) - log_j - x * theta * s - y_s + y
            return np.where(n > 0, np.exp(np.minimum(log_tail, 0.0)), 1.0)

        def cdf(s):
            return 1.0 - prob_wait * tail(s)

        # P(answered within T) = P(V ≤ T, patience > V)
        #   = e^(−θT)·F(T) + θ·∫₀ᵀ e^(−θs)·F(s) ds   (integration by parts, F the cdf of V).
        if service_level:
            nodes, weights = np.polynomial.legendre.leggauss(24)
            integral = np.zeros_like(y)
            for node, weight in zip(nodes, weights, strict=True):
                s_k = t * (node + 1) / 2
                integral = integral + weight * t / 2 * np.exp(-theta * s_k) * cdf(s_k)
            sl = np.exp(-theta * t) * cdf(t) + theta * integral
        else:
            sl = np.full_like(y, np.nan)
        asa = abandon / theta
        occupancy = np.where(n > 0, lam * (1.0 - abandon) / (n * mu), np.nan)
    zero = lam <= 0
    out = {
        "prob_wait": np.where(zero, 0.0, prob_wait),
        "abandon_prob": np.where(zero, 0.0, abandon),
        "service_level": np.where(zero, 1.0, sl),
        "asa_s": np.where(zero, 0.0, asa),
        "occupancy": np.where(zero, 0.0, occupancy),
    }
    return {k: np.reshape(v, lam.shape) for k, v in out.items()}


def _search_from(meets, guess):
    """Smallest integer n ≥ 1 with ``meets(n, sel)`` true, elementwise, for a monotone ``meets``
    evaluated only on the problems ``sel`` (indices) still searching.

    From ``guess``: step down (or up) by 1, 1, 2, 4, … until the answer is bracketed, then
    bisect the bracket. When the guess is within an agent or two of the answer — the usual case
    — a problem costs two or three evaluations, and each evaluation touches only the problems
    still undecided.
    """
    guess = np.maximum(np.asarray(guess, np.int64), 1)
    everyone = np.arange(guess.size)
    ok = meets(guess, everyone)
    # Bracket: lo fails (0 agents always fails with traffic), hi meets.
    lo = np.where(ok, 0, guess)
    hi = np.where(ok, guess, -1)
    step = np.ones_like(guess)
    tries = np.zeros_like(guess)
    down = np.flatnonzero(ok)   # hi known; looking for a failing lo below it
    up = np.flatnonzero(~ok)    # lo known; looking for a meeting hi above it
    while down.size or up.size:
        if down.size:
            m = np.maximum(hi[down] - step[down], 0)
            zero = m == 0
            lo[down[zero]] = 0
            test = down[~zero]
            met = meets(m[~zero], test)
            lo[test[~met]] = m[~zero][~met]
            hi[test[met]] = m[~zero][met]
            down = test[met]
            step[down] = np.where(tries[down] >= 1, step[down] * 2, 1)
            tries[down] += 1
        if up.size:
            m = lo[up] + step[up]
            met = meets(m, up)
            hi[up[met]] = m[met]
            lo[up[~met]] = m[~met]
            up = up[~met]
            step[up] = np.where(tries[up] >= 1, step[up] * 2, 1)
            tries[up] += 1
    active = np.flatnonzero(hi - lo > 1)
    while active.size:
        mid = (lo[active] + hi[active]) // 2
        met = meets(mid, active)
        hi[active[met]] = mid[met]
        lo[active[~met]] = mid[~met]
        active = active[hi[active] - lo[active] > 1]
    return hi


def erlang_a_agents(calls, interval_s, aht_s, patience_s, threshold_s, target_sl=None,
                    target_asa_s=None, max_occupancy=None):
    """Fewest agents meeting every given target under Erlang A, elementwise (≥ 1 with traffic).

    Exact: every candidate is checked with :func:`erlang_a`. The search starts from the Erlang C
    answer for the same targets (abandonment lowers the need, usually by at most an agent or
    two) and gallops and bisects from there (:func:`_search_from`), evaluating only the problems
    still undecided.
    """
    c, i, h, p, t = (np.ravel(v).astype(float) for v in np.broadcast_arrays(
        *(np.asarray(v, float) for v in (calls, interval_s, aht_s, patience_s, threshold_s))))
    a = c * h / i
    n = np.zeros(a.size, dtype=np.int64)
    busy = np.flatnonzero(a > 0)
    if busy.size:
        c, i, h, p, t, a = (v[busy] for v in (c, i, h, p, t, a))

        def meets(k, sel):
            m = erlang_a(k, c[sel], i[sel], h[sel], p[sel], t[sel],
                         service_level=target_sl is not None)
            ok = k >= 1
            if target_sl is not None:
                ok &= m["service_level"] >= target_sl - 1e-12
            if target_asa_s is not None:
                ok &= m["asa_s"] <= target_asa_s + 1e-12
            if max_occupancy is not None:
                ok &= m["occupancy"] <= max_occupancy * (1 + ROUNDING_RTOL)
            return ok

        # Abandonment lowers the need: on typical problems the answer is one agent under the
        # Erlang C answer more often than anything else.
        guess = erlang_c_agents(a, h, t if target_sl is not None else None, target_sl,
                                target_asa_s, max_occupancy) - 1
        n[busy] = _search_from(meets, guess)
    return n.reshape(np.shape(np.asarray(calls))) if np.ndim(calls) else n[0]


def staffing_table(calls, interval_s, aht_s, threshold_s, target_sl=None, target_asa_s=None,
                   shrinkage=0.0, max_occupancy=None, patience_s=None, agents=None):
    """Per-interval staffing as a dict of arrays (the ``staffing`` command and page use it).

    ``threshold_s`` (the service level's T, seconds) is required and there is no default
    target: both come from the queue's configuration and the business plan
    (:mod:`reports.semantics`) or from the caller's explicit choice.

    ``agents`` given → measures for those agents; otherwise the fewest meeting every target.
    Keys: ``traffic_erlangs``, ``agents``, ``scheduled_agents``, ``prob_wait``,
    ``service_level``, ``asa_s``, ``occupancy`` and, with ``patience_s``, ``abandon_prob`` (the
    Erlang A measures then replace the Erlang C ones).
    """
    a = traffic_erlangs(calls, interval_s, aht_s)
    if agents is None:
        if patience_s is None:
            n = erlang_c_agents(a, aht_s, threshold_s, target_sl, target_asa_s, max_occupancy)
        else:
            n = erlang_a_agents(calls, interval_s, aht_s, patience_s, threshold_s, target_sl,
                                target_asa_s, max_occupancy)
    else:
        n = np.asarray(agents, np.int64)
    out = {"traffic_erlangs": a, "agents": n, "scheduled_agents": scheduled_agents(n, shrinkage)}
    if patience_s is None:
        out.update(prob_wait=erlang_c(n, a), service_level=erlang_c_service_level(
            n, a, aht_s, threshold_s), asa_s=erlang_c_asa(n, a, aht_s),
            occupancy=np.where(n > 0, np.minimum(a / np.maximum(n, 1), 1.0), np.nan))
    else:
        out.update(erlang_a(n, calls, interval_s, aht_s, patience_s, threshold_s))
    return out
