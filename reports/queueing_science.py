"""Queueing science per group of calls, for the queueing page, ``/api/v1/analysis/queueing/``
and ``manage.py queueing``: one read of the period's queue legs (within the caller's scope),
split by customer segment, contact type, queue or channel, each group analysed on its own by
:mod:`reports.analysis.queueing`.

Populations: every call that reached the queue (offered, including those answered at once), or
with ``queued_only`` the calls that waited (wait > 0). Patience is Kaplan–Meier with abandonment
as the event and service as censoring; its headline is the restricted mean (the area under the
survival curve up to the longest observed wait).

Every sentence written here about a figure is built by :func:`sentences` from the figure it
names, and tested against a recomputation of that figure.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
import pandas as pd
from django.core.exceptions import EmptyResultSet
from django.db import connections

from measurements.models import Contact, Segment
from pathways.models import Queue

from .analysis import queueing
from .selectors import UNASSIGNED
from .semantics import definition_periods, sl_thresholds, target_book, threshold_basis
from .vocabulary import fmt_duration

BY = ("customer_segment", "contact_type", "queue", "channel")
BY_LABELS = {
    "customer_segment": "customer segment",
    "contact_type": "contact type",
    "queue": "queue",
    "channel": "channel",
}
# Individual legs are read (distributions need them): a period beyond this many is cut.
LEG_LIMIT = 600_000
INTERVAL_S = 3600
# What a group of contacts with no identified customer is called (a gap in the data, not a
# segment); contacts with no recorded value are UNASSIGNED.
UNIDENTIFIED = "unidentified"
SHORT_SERVICE_POPULATION = (
    f"share of answered calls served in under {queueing.SHORT_SERVICE_S} s, among the answered "
    "calls with an agent's service time (records without a named agent, NO_SERVER, are not "
    "agent-served and excluded)"
)
POPULATIONS = {
    False: "every call that reached the queue (offered, including those answered at once)",
    True: "calls that queued (waited more than 0 s)",
}


def queue_legs(
    scope, centre, start: dt.date, end: dt.date, *, source=None, tz=None, limit: int = LEG_LIMIT
) -> pd.DataFrame:
    """Queue legs of contacts arriving in local days [start, end) (``tz`` or the centre's):
    ``wait_s``, ``abandoned``, ``answered``, ``service_s`` (talk + hold of the agent leg that
    followed, NaN when none), ``agent_id``, ``service_start``/``service_end`` (local),
    ``period_start`` (local hour of queue entry) and the
    dimensions of :data:`BY`. ``attrs["truncated"]`` when more than ``limit`` legs matched."""
    zone = zoneinfo.ZoneInfo(tz) if tz else centre.tz
    lo = dt.datetime.combine(start, dt.time(), zone)
    hi = dt.datetime.combine(end, dt.time(), zone)
    # The legs of the period's contacts by a join on the contact (its arrival index); a scope
    # that restricts contacts adds them as a subquery (a join alone cost SQLite a quarter less
    # than the subquery over a year of legs).
    legs = Segment.objects.restrict(scope).filter(
        contact__centre=centre, contact__arrived_at__gte=lo, contact__arrived_at__lt=hi
    )
    if source is not None:
        legs = legs.filter(contact__source=source)
    if scope is not None and not scope.is_unrestricted:
        legs = legs.filter(contact__in=Contact.objects.restrict(scope))
    cols = [
        "contact_id",
        "wait_s",
        "outcome",
        "entered_at",
        "queue_id",
        "contact__customer_segment",
        "contact__contact_type",
        "contact__channel",
    ]
    rows = _fetch(legs.filter(kind="queue").values_list(*cols).order_by("entered_at")[: limit + 1])
    q = pd.DataFrame(rows[:limit], columns=cols)
    agent_cols = ["contact_id", "talk_s", "hold_s", "agent_id", "entered_at", "left_at"]
    agent = pd.DataFrame(_fetch(legs.filter(kind="agent").values_list(*agent_cols)),
                         columns=agent_cols)
    agent = agent.groupby("contact_id", as_index=False).first()
    agent["service_s"] = (agent["talk_s"] + agent["hold_s"]).astype(float)
    agent = agent.rename(columns={"entered_at": "service_start", "left_at": "service_end"})
    q = q.merge(agent.drop(columns=["talk_s", "hold_s"]), on="contact_id", how="left")
    names = (
        dict(Queue.objects.filter(pk__in=q["queue_id"].dropna().unique()).values_list("pk", "name"))
        if len(q)
        else {}
    )
    codes = (
        dict(Queue.objects.filter(pk__in=list(names)).values_list("pk", "code")) if names else {}
    )
    out = pd.DataFrame(
        {
            "wait_s": q["wait_s"].astype(float),
            "abandoned": q["outcome"].eq("abandoned"),
            "answered": q["outcome"].eq("answered"),
            "service_s": q["service_s"].where(q["outcome"].eq("answered")),
            "agent_id": q["agent_id"],
            "service_start": _local(q["service_start"], zone),
            "service_end": _local(q["service_end"], zone),
            "period_start": _local(q["entered_at"], zone).dt.floor("h"),
            "customer_segment": q["contact__customer_segment"].replace("", UNASSIGNED),
            "contact_type": q["contact__contact_type"].replace("", UNASSIGNED),
            "queue": [names.get(i) or codes.get(i) or UNASSIGNED for i in q["queue_id"]],
            "queue_id": q["queue_id"],
            "channel": q["contact__channel"].replace("", UNASSIGNED),
        }
    )
    out.attrs["truncated"] = len(rows) > limit
    out.attrs["time_zone"] = str(zone)
    return out


def _fetch(values_qs) -> list[tuple]:
    """The rows of a ``values_list`` queryset as the database cursor gives them (instants may
    be text on SQLite: :func:`_local` reads both): a year of legs is a hundred thousand rows,
    and the ORM's conversion of each value cost most of the page."""
    try:
        sql, params = values_qs.query.sql_with_params()
    except EmptyResultSet:  # a scope that admits nothing
        return []
    with connections[values_qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _local(values, zone) -> pd.Series:
    """UTC instants (aware, or text as SQLite gives them) → naive local clock times of
    ``zone``."""
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.tz_convert(zone) \
        .dt.tz_localize(None)


def _num(value, digits=None):
    """JSON-safe float (None for NaN/inf), rounded to ``digits`` when given."""
    if value is None:
        return None
    value = float(value)
    if not np.isfinite(value):
        return None
    return round(value, digits) if digits is not None else value


def _pool_agents(legs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Agents at work for the whole selection per interval
    (:func:`reports.analysis.queueing.agents_present`, from their service legs) and the
    selection's service seconds per interval."""
    served = legs.dropna(subset=["agent_id"])
    present = queueing.agents_present(
        served.rename(columns={"service_start": "start", "service_end": "end"}), INTERVAL_S
    )
    return present, served.groupby("period_start")["service_s"].sum()


def _staffing_basis(centre, start, end, scope, group: pd.DataFrame, memo: dict | None = None):
    """The service-level threshold and target in force for a group's calls (one queue: its
    own; else one channel: the channel's; else the centre's), from :mod:`reports.semantics`.
    Returns ``(threshold_s, basis words, target or None)``. ``memo`` keeps the thresholds,
    definitions and targets read for the first group for the others of one analysis."""
    memo = {} if memo is None else memo
    if "thresholds" not in memo:
        memo["thresholds"] = sl_thresholds(centre)
        memo["default_s"] = definition_periods(centre, start, end)[-1].params.sl_threshold_s
        memo["book"] = target_book(centre, start, end, scope)
    thresholds, default_s = memo["thresholds"], memo["default_s"]
    queue_ids = group["queue_id"].dropna().unique()
    channels = group["channel"].unique()
    queue_id = int(queue_ids[0]) if len(queue_ids) == 1 else None
    channel = str(channels[0]) if len(channels) == 1 else ""
    threshold_s = thresholds.for_row(queue_id, channel, default_s)
    found = (
        memo["book"]
        .for_slice(queue_id=queue_id, channel=channel, metrics={"service_level"})
        .get("service_level")
    )
    return threshold_s, threshold_basis(threshold_s, thresholds), found


def analyse(
    legs: pd.DataFrame,
    by: str | None,
    queued_only: bool,
    *,
    centre=None,
    start=None,
    end=None,
    scope=None,
    with_detail: bool = False,
) -> dict:
    """Groups of :func:`queue_legs` with every figure. ``groups`` hold the fields of the CLI
    contract (``key``, ``calls``, ``abandoned``, ``patience``, ``abandon_hazard_peak_s``,
    ``wait_mean_s``, ``short_service_share``, ``service_lognormal``) and more; with
    ``with_detail`` each group also carries its KM curve, hazard and interval tables (for
    charts), and with a ``centre`` its Erlang A check (threshold and target from the resolver).
    """
    offered = legs  # Erlang A models every arrival, whatever the population shown
    if queued_only:
        legs = legs[legs["wait_s"] > 0]
    total = len(legs)
    if by is None:
        parts = [("all", legs)] if total else []
    else:
        parts = sorted(legs.groupby(by, sort=False), key=lambda kv: -len(kv[1]))
    pool_agents, pool_service = _pool_agents(offered) if centre is not None else (None, None)
    groups = []
    memo = {}  # what the groups' Erlang A checks read once: thresholds, definitions, targets
    for key, g in parts:
        sci = queueing.group_science(g)
        groups.append(
            _record(
                str(key),
                sci,
                total,
                g,
                offered if by is None else offered[offered[by] == key],
                pool_agents,
                pool_service,
                centre,
                start,
                end,
                scope,
                with_detail,
                memo=memo,
            )
        )
    gaps = [g for g in groups if g["key"] in (UNASSIGNED, UNIDENTIFIED)]
    return {
        "by": by or "",
        "queued_only": queued_only,
        "population": POPULATIONS[queued_only],
        "calls": total,
        "groups": groups,
        "unassigned_share": _num(sum(g["calls"] for g in gaps) / total)
        if total and by
        else (0.0 if total else None),
        "unassigned_keys": [g["key"] for g in gaps],
    }


def _record(
    key,
    sci: queueing.GroupScience,
    total,
    group,
    offered_group,
    pool_agents,
    pool_service,
    centre,
    start,
    end,
    scope,
    with_detail,
    memo=None,
) -> dict:
    est, fit = sci.patience, sci.service_fit
    rec = {
        "key": key,
        "calls": sci.calls,
        "share_of_calls": _num(sci.calls / total) if total else None,
        "answered": sci.answered,
        "abandoned": sci.abandoned,
        "abandon_share": _num(sci.abandoned / sci.calls) if sci.calls else None,
        "patience": {
            "km_restricted_mean_s": _num(est.restricted_mean_s, 1),
            "km_restricted_to_s": _num(est.survival["time_s"].max(), 1)
            if len(est.survival)
            else None,
            "km_median_s": _num(est.median_patience_s, 1),
            "km_median_ci_s": [_num(v, 1) for v in sci.median_ci_s],
            "exponential_mean_s": _num(est.mean_patience_s, 1),
            "regression_s": _num(sci.regression_patience_s, 1),
        },
        "abandon_hazard_peak_s": _num(sci.hazard_peak_s),
        "wait_mean_s": _num(sci.wait_mean_s, 2),
        "wait_answered_mean_s": _num(sci.wait_answered_mean_s, 2),
        "wait_abandoned_mean_s": _num(sci.wait_abandoned_mean_s, 2),
        "short_service_share": _num(sci.short_service_share, 4),
        "short_service_population": f"{SHORT_SERVICE_POPULATION}: {sci.served_with_time:,}",
        "service_lognormal": (
            {
                "mu": _num(fit.mu, 4),
                "sigma": _num(fit.sigma, 4),
                "median_s": _num(fit.median_s, 1),
                "mean_s": _num(fit.mean_s, 1),
                "n": fit.n,
                "ks_statistic": _num(fit.ks_statistic, 4),
            }
            if fit
            else {"mu": None, "sigma": None}
        ),
    }
    load = queueing.service_against_load(sci.sums)
    rec["service_against_load"] = [
        {
            "offered_from": int(r.offered_from),
            "offered_to": int(r.offered_to),
            "intervals": int(r.intervals),
            "mean_service_s": _num(r.mean_service_s, 1),
        }
        for r in load.itertuples()
    ]
    if centre is not None:
        rec["erlang_a"] = _erlang_a(
            sci, offered_group, pool_agents, pool_service, centre, start, end, scope, with_detail,
            memo,
        )
    rec["sentences"] = sentences(rec)
    if with_detail:
        rec["_km"] = est.survival
        rec["_hazard"] = sci.hazard
        rec["_fit"] = fit
        rec["_service"] = group["service_s"].dropna()
    return rec


def _erlang_a(sci, group, pool_agents, pool_service, centre, start, end, scope, with_detail,
              memo=None):
    """Erlang A with the group's own patience (exponential estimate) and service times, over
    every call of the group that reached the queue (``group``: the model's arrivals, whichever
    population the page shows). The agents of a group are the selection's agents in the
    interval times the group's share of the service seconds given in it (agents serve every
    group from one pool)."""
    patience_s = sci.patience.mean_patience_s  # the same over offered and queued calls
    threshold_s, basis, target = _staffing_basis(centre, start, end, scope, group, memo)
    sums = queueing.interval_sums(group)
    own = sums.set_index("period_start")["service_s"]
    share = (own / pool_service.reindex(own.index)).fillna(0)
    agents = pool_agents.reindex(own.index).fillna(0) * share
    check = queueing.erlang_a_check(
        sums, agents, INTERVAL_S, patience_s, threshold_s, target.value if target else None
    )
    out = {
        "patience_s": _num(patience_s, 1),
        "threshold_s": threshold_s,
        "threshold_basis": basis,
        "target_sl": target.value if target else None,
        "target_from": target.describe() if target else None,
        **{
            k: _num(v, 4) if isinstance(v, float) else v
            for k, v in queueing.erlang_a_summary(check).items()
        },
    }
    if check.empty:
        out["prompt"] = (
            "No hour of the period has both calls and service legs of named agents: the "
            "agents at work, and so Erlang A, cannot be computed."
        )
    elif target is None:
        out["prompt"] = (
            "No service-level target is in force in the business plan for these "
            "calls: set one to compute the agents they need."
        )
    if with_detail:
        out["_intervals"] = check
    return out


def sentences(rec: dict) -> list[str]:
    """The sentences the product writes about a group's figures. Each names its figure by
    what it is: patience estimates are never called a wait, and waits are never called
    patience."""
    p = rec["patience"]
    out = []
    if rec["abandoned"] and p["km_restricted_mean_s"] is not None:
        out.append(
            f"Estimated mean patience (Kaplan–Meier restricted mean): "
            f"{fmt_duration(p['km_restricted_mean_s'])}; half of the callers would "
            f"abandon within {fmt_duration(p['km_median_s'])} (Kaplan–Meier median) if "
            "never answered."
        )
        out.append(
            f"Exponential estimate of mean patience (Σ wait ÷ abandons, the θ⁻¹ of "
            f"Erlang A): {fmt_duration(p['exponential_mean_s'])} — a check, not the "
            "headline."
        )
    if rec["wait_abandoned_mean_s"] is not None:
        out.append(
            f"Callers who abandoned waited "
            f"{fmt_duration(rec['wait_abandoned_mean_s'])} on average before hanging "
            "up; answered callers waited "
            f"{fmt_duration(rec['wait_answered_mean_s'])} on average."
        )
    if rec["abandon_hazard_peak_s"] is not None:
        peak = rec["abandon_hazard_peak_s"]
        out.append(
            f"After the first {queueing.HAZARD_PEAK_AFTER_S} s the abandonment hazard "
            f"peaks between {peak:.0f} and {peak + queueing.HAZARD_BIN_S:.0f} s of "
            "waiting."
        )
    return out
