"""Plan versus actual: KPIs against business-plan targets, cost per contact against budget."""
from __future__ import annotations

import numpy as np
import pandas as pd

# For each KPI whether higher is better ("min" target) or lower is better ("max" target).
DIRECTION = {
    "service_level": "min", "ivr_containment": "min", "occupancy": "max",
    "asa_s": "max", "aht_s": "max", "abandon_rate": "max", "transfer_rate": "max",
    "escalation_rate": "max", "offered": "max", "cost_per_contact": "max",
}


def plan_vs_actual(actual: pd.DataFrame, targets: pd.DataFrame, on: list[str] | None = None
                   ) -> pd.DataFrame:
    """Compare KPI values with targets.

    ``actual`` is a KPI table (keys + KPI columns). ``targets`` has ``kpi``, ``target`` and
    optionally ``direction`` (``min``: at least the target, ``max``: at most; default from
    :data:`DIRECTION`) and key columns ``on`` for per-segment targets. Returns one row per key and
    KPI with ``actual``, ``target``, ``gap`` (actual − target), ``met`` (bool; NA when the KPI is
    empty) and ``attainment`` (actual ÷ target for ``min``, target ÷ actual for ``max``).
    """
    on = on or []
    keys = [c for c in actual.columns if c in on]
    long = actual.melt(id_vars=keys, value_vars=[k for k in targets["kpi"].unique()
                                                 if k in actual.columns],
                       var_name="kpi", value_name="actual")
    t = targets.copy()
    if "direction" not in t.columns:
        t["direction"] = t["kpi"].map(DIRECTION).fillna("min")
    m = long.merge(t, on=[*[k for k in on if k in t.columns], "kpi"], how="inner")
    a = m["actual"].astype(float)
    tg = m["target"].astype(float)
    m["gap"] = a - tg
    is_min = m["direction"] == "min"
    met = np.where(is_min, a >= tg, a <= tg)
    m["met"] = pd.array(np.where(a.isna(), None, met), dtype="boolean")
    with np.errstate(divide="ignore", invalid="ignore"):
        m["attainment"] = np.where(is_min, a / tg, tg / a)
    return m


def cost_per_contact(costs: pd.DataFrame, handled: pd.DataFrame) -> pd.DataFrame:
    """Cost per handled contact per channel, actual and budgeted.

    ``costs``: ``channel``, ``budget`` and optionally ``actual_cost`` (currency units);
    ``handled``: ``channel``, ``handled`` (and optionally ``planned_handled``). Returns
    ``cost_per_contact`` (actual cost, or budget when no actual, ÷ handled),
    ``budget_per_contact`` (budget ÷ planned handled, or ÷ handled), ``variance`` and
    ``over_budget``. Channels with nothing handled have an empty (NaN) cost per contact.
    """
    m = costs.merge(handled, on="channel", how="outer")
    h = m["handled"].fillna(0).astype(float)
    spent = m["actual_cost"] if "actual_cost" in m.columns else m["budget"]
    planned = m["planned_handled"] if "planned_handled" in m.columns else h
    with np.errstate(divide="ignore", invalid="ignore"):
        m["cost_per_contact"] = np.where(h > 0, spent.astype(float) / h, np.nan)
        m["budget_per_contact"] = np.where(planned > 0, m["budget"].astype(float) / planned,
                                           np.nan)
    m["variance"] = m["cost_per_contact"] - m["budget_per_contact"]
    m["over_budget"] = m["variance"] > 0
    return m
