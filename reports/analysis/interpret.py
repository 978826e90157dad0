"""Plain-language findings, ranked by importance, each sentence citing the figure behind it."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..vocabulary import METRICS, PERCENT_METRICS
from ..vocabulary import fmt as _vocabulary_fmt

# Which KPIs are percentages and what a sentence calls them: the metric vocabulary's, so a
# finding reads "12.3 %" and names a metric as every page does.
PERCENT_KPIS = PERCENT_METRICS
KPI_NAMES = {key: m.label if m.label[:2].isupper() else m.label[0].lower() + m.label[1:]
             for key, m in METRICS.items()}
KPI_NAMES["offered"] = "offered contacts"


@dataclass(order=True)
class Finding:
    """One finding: ``text`` states it, ``figure`` names the figure/table it comes from and
    ``values`` holds the numbers cited; ``importance`` (0..100) orders the list."""

    importance: float
    text: str = field(compare=False)
    figure: str = field(compare=False)
    values: dict = field(compare=False, default_factory=dict)
    kind: str = field(compare=False, default="")


def fmt(kpi: str, value) -> str:
    """A KPI value for a sentence: :func:`reports.vocabulary.fmt`, the one formatter ("12.3 %",
    "45 s", "24 h", "no data")."""
    return _vocabulary_fmt(kpi, value)


def _sentence_case(name: str) -> str:
    """"ASA" stays "ASA", "service level" becomes "Service level"."""
    return name[:1].upper() + name[1:]


def _present(value) -> bool:
    """``pd.notna`` of one value, without pandas' dispatch (called per row and key)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return False
    if isinstance(value, float):
        return value == value
    return bool(pd.notna(value)) if isinstance(value, np.generic | np.ndarray) else True


def _where(row, keys) -> str:
    parts = [f"{row[k]}" for k in keys if k in row and _present(row[k]) and row[k] != ""]
    return " / ".join(parts)


def breach_findings(pva: pd.DataFrame, keys: list[str], figure: str = "KPIs against targets",
                    limit: int | None = None, worst_of_each_kpi: bool = False) -> list[Finding]:
    """Target breaches from :func:`plan.plan_vs_actual` output, in its order; with ``limit``,
    only the ``limit`` most important (as :func:`rank` orders them), each worded — a month of
    15-minute rows by queue can miss a target thousands of times; with ``worst_of_each_kpi``,
    only each KPI's biggest shortfall (the night hours of one KPI would otherwise fill the
    list)."""
    missed = pva[pva["met"].fillna(True) == False]  # noqa: E712
    attainment = missed["attainment"].to_numpy(dtype=float, na_value=np.nan)
    shortfall = np.where(np.isnan(attainment), 0.0, np.abs(1 - attainment))
    importance = np.minimum(100.0, 60 + 100 * shortfall)
    if limit is not None or worst_of_each_kpi:
        chosen = np.argsort(-importance, kind="stable")
        if worst_of_each_kpi:
            kpis = missed["kpi"].to_numpy()[chosen]
            chosen = chosen[~pd.Series(kpis).duplicated().to_numpy()]
        chosen = chosen[:limit]
        missed, importance = missed.iloc[chosen], importance[chosen]
    out = []
    for r, weight in zip(missed.to_dict("records"), importance.tolist(), strict=True):
        name = KPI_NAMES.get(r["kpi"], r["kpi"])
        where = _where(r, [k for k in keys if k != "sl_basis"])
        basis = r.get("sl_basis") if "sl_basis" in keys else None
        if r["kpi"].startswith("service_level") and isinstance(basis, str) and basis:
            where = f"{where}, answered within {basis}" if where else f"answered within {basis}"
        out.append(Finding(
            importance=weight,
            text=(f"{_sentence_case(name)} was {fmt(r['kpi'], r['actual'])} against a target of "
                  f"{fmt(r['kpi'], r['target'])}" + (f" ({where})" if where else "")
                  + f" [figure: {figure}]."),
            figure=figure, values={"kpi": r["kpi"], "actual": r["actual"],
                                   "target": r["target"], **{k: str(r[k]) for k in keys
                                                             if k in r}},
            kind="breach"))
    return out


def change_findings(changes: pd.DataFrame, columns: list[str], keys: list[str],
                    figure: str = "Change versus previous period", min_rel: float = 0.1
                    ) -> list[Finding]:
    """Biggest changes versus the previous period (relative change ≥ ``min_rel``)."""
    out = []
    for _, r in changes.iterrows():
        for c in columns:
            rel = r.get(f"{c}_change_rel")
            if rel is None or pd.isna(rel) or abs(rel) < min_rel:
                continue
            name = KPI_NAMES.get(c, c)
            where = _where(r, keys)
            direction = "rose" if rel > 0 else "fell"
            out.append(Finding(
                importance=min(90.0, 30 + 60 * abs(rel)),
                text=(f"{_sentence_case(name)} {direction} {abs(rel) * 100:.0f} % from "
                      f"{fmt(c, r[f'{c}_previous'])} to {fmt(c, r[c])}"
                      + (f" ({where})" if where else "") + f" [figure: {figure}]."),
                figure=figure, values={"kpi": c, "current": r[c],
                                       "previous": r[f"{c}_previous"], "change_rel": rel},
                kind="change"))
    return out


def staffing_findings(gaps: pd.DataFrame, figure: str = "Staffing required versus actual"
                      ) -> list[Finding]:
    """Intervals where actual agents fell short of the required (``period_start``,
    ``required_agents``, ``actual_agents``)."""
    short = gaps[gaps["actual_agents"] < gaps["required_agents"]]
    if short.empty:
        return []
    worst = short.assign(gap=short["required_agents"] - short["actual_agents"]).nlargest(1, "gap")
    w = worst.iloc[0]
    return [Finding(
        importance=min(95.0, 50 + 5 * len(short) / max(len(gaps), 1) * 100 / 10),
        text=(f"{len(short)} of {len(gaps)} intervals were understaffed; the largest gap was "
              f"{w['gap']:.1f} agents at {w['period_start']} ({w['actual_agents']:.1f} present, "
              f"{w['required_agents']:.0f} required) [figure: {figure}]."),
        figure=figure, values={"intervals_short": int(len(short)), "intervals": int(len(gaps)),
                               "largest_gap": float(w["gap"])}, kind="staffing")]


def forecast_findings(summary: pd.DataFrame, figure: str = "Forecast accuracy",
                      wape_limit: float = 0.15) -> list[Finding]:
    """Forecast misses: methods whose WAPE exceeds ``wape_limit`` (summary: ``method``, ``wape``,
    ``bias``)."""
    out = []
    for _, r in summary.iterrows():
        if pd.isna(r["wape"]) or r["wape"] <= wape_limit:
            continue
        lean = "over" if r["bias"] > 0 else "under"
        out.append(Finding(
            importance=min(80.0, 40 + 100 * (r["wape"] - wape_limit)),
            text=(f"The {r['method'].replace('_', ' ')} forecast missed by a WAPE of "
                  f"{r['wape'] * 100:.1f} % ({lean}-forecast, bias {r['bias'] * 100:+.1f} %) "
                  f"[figure: {figure}]."),
            figure=figure, values={"method": r["method"], "wape": r["wape"], "bias": r["bias"]},
            kind="forecast"))
    return out


def caveat_findings(caveats: list[str], figure: str = "Data quality") -> list[Finding]:
    """Data-quality caveats for the period (always listed, after the main findings)."""
    return [Finding(importance=20.0, text=f"Caveat: {c} [figure: {figure}].", figure=figure,
                    kind="caveat") for c in caveats]


def rank(findings: list[Finding], limit: int | None = 10) -> list[Finding]:
    """Most important first; ``limit`` caps the list."""
    ordered = sorted(findings, reverse=True)
    return ordered[:limit] if limit else ordered
