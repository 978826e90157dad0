"""Report templates: the content of a short-term (daily, weekly) or long-term (monthly,
quarterly, annual) report for a data scope and a period.

Who receives a report and when is the stakeholders app's business (``ReportSchedule``); this
module only builds what the report says. Every figure comes from the same selectors as the
dashboards and analysis pages (``reports.selectors.kpi_frame`` and friends, always restricted to
the scope) and the analysis engine's arithmetic (KPIs as ratios of summed components), so a
report shows the dashboard's numbers for the same period and scope. Each report opens with the
analysis engine's plain-language findings (``reports.analysis.interpret``), and every table and
chart names the metric definitions (catalogue version) it uses.

Times are the centre's local time; a period is ``reports.periods.ResolvedPeriod`` (local
midnights, so a DST day has 23 or 25 hours).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from measurements.selectors.plan import channel_budgets, scope_sees_budget
from pathways.constants import Channel

from .. import vocabulary
from ..analyses import plan_versus_actual, single_target, staffing_report
from ..analysis import control, interpret, patterns
from ..analysis import forecast as fc
from ..analysis.kpis import ratio
from ..selectors import (
    MIXED_UNITS,
    TIME_AVERAGES,
    channel_kpi_frame,
    flow_frame,
    kpi_frame,
    period_kpi_frame,
    scope_forecast,
)
from ..semantics import frame_targets

SHORT_TERM = ("daily", "weekly")
LONG_TERM = ("monthly", "quarterly", "annual")
TEMPLATE_TITLES = {"daily": "Daily service report", "weekly": "Weekly service report",
                   "monthly": "Monthly performance report",
                   "quarterly": "Quarterly performance report",
                   "annual": "Annual performance report"}
# Section keys of each template, in order (a schedule may pick a subset).
SECTIONS = {
    "daily": ("summary", "queues", "intervals", "breaches", "staffing", "quality"),
    "weekly": ("summary", "queues", "days", "worst_intervals", "forecast", "quality"),
    "monthly": ("summary", "queues", "trend", "plan", "cost", "forecast", "control",
                "pathways", "quality"),
}
SECTIONS["quarterly"] = SECTIONS["annual"] = SECTIONS["monthly"]
SECTION_TITLES = {
    "summary": "Headline figures", "queues": "By queue", "intervals": "Yesterday by interval",
    "breaches": "Target breaches: when and where", "staffing": "Staffing gaps",
    "quality": "Data quality", "days": "Day by day", "worst_intervals": "Worst intervals",
    "forecast": "Forecast versus actual", "trend": "Trend and seasonality",
    "plan": "Plan versus actual", "cost": "Cost per contact against budget",
    "control": "Control-chart signals", "pathways": "Pathway changes",
}
HEADLINE = ("offered", "answered", "abandoned", "service_level", "abandon_rate", "asa_s",
            "aht_s")
# The tiles above the sections: counts, which add up across channels. Service levels and times
# are headlines per channel (or per queue), each judged at its own threshold and target.
HEADLINE_COUNTS = ("offered", "answered", "abandoned", "handled")
JUDGED = ("service_level", "abandon_rate", "asa_s", "aht_s")
COLUMN_LABELS = {**{key: m.label for key, m in vocabulary.METRICS.items()},
                 "queue": "Queue", "channel": "Channel", "period_start": "When",
                 "sl_basis": "Answered within"}
MONEY = ("cost", "budget", "budget_per_contact", "cost_per_contact")
MIN_HOURLY_CONTACTS = 5


@dataclass
class Table:
    """A table as shown: ``columns`` labels and ``rows`` of display strings; ``frame`` keeps the
    raw figures for CSV/XLSX."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    definition: str = ""


@dataclass
class Chart:
    """A static chart: ``kind`` line/bar/combo, ``x`` labels, ``series`` {name: values},
    ``bars`` {name: values} drawn on a second axis for "combo", ``unit`` of the series
    (ratio/seconds/count), an optional ``target`` line. ``cid`` names its inline image."""

    cid: str
    title: str
    definition: str
    x: list
    series: dict
    unit: str = "count"
    bars: dict = field(default_factory=dict)
    target: float | None = None
    x_label: str = ""
    png: bytes = b""


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    template: str
    title: str
    scope_label: str
    period_label: str
    period_first_day: dt.date
    period_last_day: dt.date
    time_zone: str
    hours: float
    definition: str
    generated_at: dt.datetime
    findings: list[str] = field(default_factory=list)
    headline: dict = field(default_factory=dict)
    # The headline figures unformatted (for comparison with the dashboard).
    headline_raw: dict = field(default_factory=dict)
    # Per channel (or per queue of a scope of chosen queues): label → {column: display text},
    # service level at its queues' thresholds and each figure's target in force.
    headline_groups: dict = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    empty: bool = False

    def all_tables(self):
        return [(s, t) for s in self.sections for t in s.tables]

    def all_charts(self):
        return [c for s in self.sections for c in s.charts]


# --- formatting -----------------------------------------------------------------------------

def _nan(value) -> bool:
    return vocabulary.is_missing(value)


def fmt(kpi: str, value) -> str:
    """A figure as printed in every report format (and asserted equal to the dashboard's):
    :func:`reports.vocabulary.fmt`, money columns in the plan's currency."""
    if kpi in MONEY:
        return vocabulary.METRICS["cost_per_contact"].fmt(value)
    return vocabulary.fmt(kpi, value)


def _table(caption, frame: pd.DataFrame, columns: list[str], definition="",
           when_format="%a %d %b %H:%M") -> Table:
    if "time_basis" in frame.columns and len(frame) and \
            (frame["time_basis"] == MIXED_UNITS).any():
        # Rows that mix calls (seconds) and e-mails (hours) have no one ASA or AHT: a column
        # with some of them would compare unlike figures, so times are shown by channel.
        dropped = [c for c in columns if c in TIME_AVERAGES]
        if dropped:
            columns = [c for c in columns if c not in dropped]
            names = " and ".join(COLUMN_LABELS.get(c, c) for c in dropped)
            definition = (f"{definition}; " if definition else "") + \
                f"{names} are shown by channel (Headline figures): calls and chat are answered " \
                "in seconds, e-mails and web forms in hours"
    rows = []
    for _, r in frame.iterrows():
        row = []
        mixed = r.get("time_basis") == MIXED_UNITS
        for c in columns:
            v = r[c]
            if c == "period_start" and not _nan(v):
                row.append(pd.Timestamp(v).strftime(when_format))
            elif c in TIME_AVERAGES and mixed and _nan(v):
                # Seconds (calls, chat) and hours (e-mail, web forms) are not averaged.
                row.append("mixed units: see by channel")
            elif isinstance(v, str):
                row.append(v)
            else:
                row.append(fmt(c, v))
        rows.append(row)
    raw = frame[columns].copy()
    if "period_start" in raw.columns and len(raw):
        raw["period_start"] = pd.to_datetime(raw["period_start"]).dt.tz_localize(None) \
            if getattr(raw["period_start"].dt, "tz", None) is not None else raw["period_start"]
    return Table(caption, [COLUMN_LABELS.get(c) or vocabulary.column_label(c)
                           for c in columns], rows, raw, definition)


def _x_labels(series: pd.Series, fmt_: str) -> list[str]:
    return [pd.Timestamp(v).strftime(fmt_) for v in series]


# --- building blocks --------------------------------------------------------------------------

def _against_plan(ctx, frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame``'s figures against the business-plan targets in force for each row (its queue,
    channel or the whole scope): :func:`reports.analyses.plan_versus_actual`."""
    if frame.empty:
        return plan_versus_actual(frame, [], keys)
    found = frame_targets(frame, ctx.centre, ctx.start, ctx.end, scope=ctx.scope)
    return plan_versus_actual(frame, found, keys)


def _target_line(ctx, frame: pd.DataFrame, metric="service_level"):
    """The one plan target every row of ``frame`` shares, for a chart's target line."""
    if frame.empty:
        return None
    found = frame_targets(frame, ctx.centre, ctx.start, ctx.end, scope=ctx.scope)
    return single_target(found, metric)


def _totals(ctx, by: list[str] | None = None, start=None, end=None) -> pd.DataFrame:
    """KPIs over the whole period (per ``by``): components summed over the period, then the
    ratios (``reports.selectors.period_kpi_frame``), as the dashboard's KPI tiles do."""
    return period_kpi_frame(ctx.scope, ctx.centre, start or ctx.start, end or ctx.end, by or ())


def _caveats(frame: pd.DataFrame, period, granularity: str) -> list[str]:
    """Gaps in the data: local days (or hours of a single day) with no interval rows."""
    out = []
    if granularity == "hour":
        # Gaps inside the hours the centre was open (first to last hour with data).
        starts = sorted(pd.to_datetime(frame["period_start"]).unique()) if len(frame) else []
        if starts:
            span = int((starts[-1] - starts[0]) / pd.Timedelta(hours=1)) + 1
            if len(starts) < span:
                out.append(f"{span - len(starts)} of the {span} hours between the first and "
                           "the last contact have no interval data")
    else:
        present = set(pd.to_datetime(frame["period_start"]).dt.date) if len(frame) else set()
        days = [period.first_day + dt.timedelta(days=i) for i in range(period.days)]
        missing = [d for d in days if d not in present]
        if missing:
            calendar = pd.Series([np.nan if d in missing else 1.0 for d in days],
                                 index=pd.DatetimeIndex(days))
            out.append(f"{len(missing)} of {len(days)} days have no interval data: "
                       f"{patterns.gaps_text(calendar)}; the totals and means leave them out")
    return out


def build_report(template: str, scope, centre, period, sections=None, now=None) -> Report:
    """The report ``template`` for ``scope`` over ``period`` (a ResolvedPeriod in the centre's
    zone). ``sections`` (keys of ``SECTIONS[template]``) picks and orders the sections; empty or
    None means all. Raises ``ValueError`` for an unknown template or section."""
    if template not in SECTIONS:
        raise ValueError(f"Unknown report template “{template}”; use one of "
                         f"{', '.join(SECTIONS)}.")
    wanted = list(sections or SECTIONS[template])
    unknown = [s for s in wanted if s not in SECTIONS[template]]
    if unknown:
        raise ValueError(f"Section “{unknown[0]}” is not part of the {template} report; use any "
                         f"of {', '.join(SECTIONS[template])}.")
    start, end = period.first_day, period.last_day + dt.timedelta(days=1)
    daily = kpi_frame(scope, centre, start, end, "day")
    definition = daily.attrs.get("definition", "")
    params = daily.attrs["params"][-1]
    ctx = _Context(scope, centre, period, start, end, daily, params, definition)
    report = Report(template=template, title=TEMPLATE_TITLES[template],
                    scope_label=getattr(scope, "label", "") or "Whole centre",
                    period_label=period.label, period_first_day=period.first_day,
                    period_last_day=period.last_day, time_zone=centre.time_zone,
                    hours=period.hours, definition=definition,
                    generated_at=now or dt.datetime.now(dt.UTC))
    if daily.empty or int(daily["offered"].sum()) + int(daily["handled"].sum()) == 0:
        report.empty = True
        report.findings = ["No contacts were recorded in this scope and period, so there are no "
                           "figures to report [figure: Data quality]."]
        if "quality" in wanted:
            report.sections.append(Section("quality", SECTION_TITLES["quality"],
                                           notes=_caveats(daily, period, "day")))
        return report
    total = _totals(ctx).iloc[0]
    report.headline = {k: fmt(k, total[k]) for k in HEADLINE_COUNTS}
    report.headline_raw = {k: total[k] for k in HEADLINE}
    report.headline_groups = ctx.report_groups = _headline_groups(ctx)
    found: list[interpret.Finding] = []
    for key in wanted:
        section = Section(key, SECTION_TITLES[key])
        found += _BUILDERS[key](ctx, section) or []
        report.sections.append(section)
    found += _overall_findings(ctx)
    # The same judgement reached by two sections (a channel's headline and its plan row) is
    # said once.
    said, unique = set(), []
    for finding in interpret.rank(found, limit=None):
        claim = finding.text.split(" [figure:")[0]
        if claim not in said:
            said.add(claim)
            unique.append(finding)
    report.findings = [f.text for f in unique[:8]]
    if not report.findings:
        report.findings = ["Every KPI met its target and no unusual change was detected "
                           "[figure: Headline figures]."]
    return report


@dataclass
class _Context:
    scope: object
    centre: object
    period: object
    start: dt.date
    end: dt.date
    daily: pd.DataFrame
    params: object
    definition: str
    _groups: tuple | None = None
    report_groups: dict = field(default_factory=dict)

    @property
    def tz(self):
        return self.centre.time_zone

    @property
    def groups(self) -> tuple[str, pd.DataFrame]:
        """The headline rows of the period (see :func:`_group_frame`), computed once."""
        if self._groups is None:
            self._groups = _group_frame(self, self.start, self.end)
        return self._groups


def _per_queue(scope) -> bool:
    """A scope of chosen queues (a vendor's, a schedule's) is reported queue by queue; any
    other per channel."""
    return scope.queue_ids is not None


def _group_frame(ctx, start, end) -> tuple[str, pd.DataFrame]:
    """``(key, frame)``: one KPI row per channel (``key`` "channel": the channel's name, its
    code in ``channel_code``) or, for a scope of chosen queues, per queue, over [start, end).
    Each row's service level is at its queues' configured thresholds (``sl_basis``) and its
    times in its own unit: never one figure that averages e-mail answer times in hours into
    phone answer times in seconds."""
    if _per_queue(ctx.scope):
        frame = _totals(ctx, ["queue"], start=start, end=end)
        frame = frame[frame["offered"] + frame["handled"] > 0]
        return "queue", frame.reset_index(drop=True)
    frame = channel_kpi_frame(ctx.scope, ctx.centre, start, end)
    if frame.empty:
        return "channel", frame
    frame = frame.assign(channel_code=frame["channel"],
                         channel=frame["channel"].map(_channel_label))
    return "channel", frame


def _channel_label(code) -> str:
    try:
        return str(Channel(code).label)
    except ValueError:
        return str(code) or "(no channel)"


def _headline_groups(ctx) -> dict:
    """label → {column: text} of the headline rows, with each judged figure's target in force
    ("no target" where the plan sets none) and the threshold its service level is judged at."""
    key, frame = ctx.groups
    if frame.empty:
        return {}
    found = frame_targets(frame, ctx.centre, ctx.start, ctx.end, scope=ctx.scope)
    out = {}
    for (_, row), targets in zip(frame.iterrows(), found, strict=True):
        figures = {c: _cell(row, c) for c in ("offered", "answered", *JUDGED)}
        figures["sl_basis"] = row["sl_basis"]
        for c in JUDGED:
            figures[f"{c}_target"] = (fmt(c, targets[c].value) if c in targets
                                      else vocabulary.NO_TARGET)
        out[str(row[key])] = figures
    return out


def _cell(row, column) -> str:
    if column in TIME_AVERAGES and row.get("time_basis") == MIXED_UNITS and _nan(row[column]):
        return "mixed units: see by channel"
    return fmt(column, row[column])


def _overall_findings(ctx) -> list:
    """Each headline row (channel or queue) against the plan's targets in force for it, and
    its change against the previous period of the same length."""
    key, frame = ctx.groups
    if frame.empty:
        return []
    keys = [key, "sl_basis"]
    pva = _against_plan(ctx, frame, keys)
    found = interpret.breach_findings(pva, keys, figure="Headline figures")
    for finding in found:  # a channel's miss comes before the same miss of one of its queues
        finding.importance = min(100.0, finding.importance + 10)
    for _, r in pva[pva["met"].fillna(False)].iterrows():
        name = interpret.KPI_NAMES.get(r["kpi"], r["kpi"])
        where = str(r[key])
        if r["kpi"] == "service_level" and r["sl_basis"]:
            where += f", answered within {r['sl_basis']}"
        found.append(interpret.Finding(
            importance=25, kind="met", figure="Headline figures",
            values={"kpi": r["kpi"], "actual": r["actual"], "target": r["target"],
                    key: str(r[key])},
            text=(f"{name[0].upper()}{name[1:]} was {interpret.fmt(r['kpi'], r['actual'])}, "
                  f"meeting its target of {interpret.fmt(r['kpi'], r['target'])} ({where}) "
                  "[figure: Headline figures].")))
    # The comparable previous span: the previous week/month/quarter/year, cut to the same
    # elapsed days while the period runs (one rule for every comparison).
    span = patterns.period_comparison(ctx.period.key, ctx.period.first_day,
                                      ctx.period.last_day, ctx.period.partial)
    _, prev = _group_frame(ctx, span.previous_start, span.previous_end)
    if not prev.empty and prev["offered"].sum() > 0:
        cols = ["offered", "service_level", "aht_s", "abandon_rate"]
        changes = patterns.period_change(frame, prev, [key], cols)
        found += interpret.change_findings(
            changes, cols, [key], figure=f"Headline figures versus {span.previous_label}")
    return found


# --- sections -------------------------------------------------------------------------------

def _summary(ctx, section):
    key, frame = ctx.groups
    if frame.empty:
        section.notes.append("No contacts were offered in this period.")
        return
    what = "queue" if key == "queue" else "channel"
    section.intro = (f"By {what}: each service level is judged at its queues' configured "
                     "threshold and each figure against the business-plan target in force for "
                     f"that {what}. Times are shown per {what}, never averaged across channels "
                     "measured in seconds and in hours.")
    columns = [COLUMN_LABELS[key], "Offered", "Answered", "Service level", "Answered within",
               "Abandon rate", "ASA", "AHT"]
    rows = []
    for label, g in ctx.report_groups.items():
        def judged(c, g=g):
            return f"{g[c]} (target {g[f'{c}_target']})" \
                if g[f"{c}_target"] != vocabulary.NO_TARGET else f"{g[c]} (no target)"
        rows.append([label, g["offered"], g["answered"], judged("service_level"), g["sl_basis"],
                     judged("abandon_rate"), judged("asa_s"), judged("aht_s")])
    raw = frame[[key, "offered", "answered", "handled", *JUDGED, "sl_basis"]].copy()
    section.tables.append(Table(f"Headline figures by {what}, {ctx.period.label}", columns,
                                rows, raw, ctx.definition))


def _queues(ctx, section):
    per_queue = _totals(ctx, ["queue"])
    per_queue = per_queue[per_queue["offered"] + per_queue["handled"] > 0]
    section.tables.append(_table("KPIs per queue", per_queue,
                                 ["queue", *HEADLINE[:4], "sl_basis", *HEADLINE[4:]],
                                 ctx.definition))
    pva = _against_plan(ctx, per_queue.reset_index(drop=True), ["queue", "sl_basis"])
    # The largest misses, weighted by the queue's share of the contacts: a queue of 63
    # contacts missing by half matters less than one of 1,000 missing by a third.
    found = interpret.breach_findings(pva, ["queue", "sl_basis"], figure="By queue")
    share = dict(zip(per_queue["queue"].astype(str),
                     per_queue["offered"] / max(float(per_queue["offered"].sum()), 1.0),
                     strict=True))
    for finding in found:
        finding.importance *= 0.5 + 0.5 * min(1.0, 4 * share.get(finding.values["queue"], 0))
    return interpret.rank(found, limit=3)


def _interval_frame(ctx, by=()):
    return kpi_frame(ctx.scope, ctx.centre, ctx.start, ctx.end, "hour", list(by))


def _intervals(ctx, section):
    hourly = _interval_frame(ctx)
    if hourly.empty:
        section.notes.append("No interval data.")
        return
    x = _x_labels(hourly["period_start"], "%H:%M")
    section.charts.append(Chart(
        "intervals", "Offered contacts and service level by hour", ctx.definition, x,
        {"Service level": hourly["service_level"].tolist()}, unit="ratio",
        bars={"Offered": hourly["offered"].tolist()},
        target=_target_line(ctx, hourly),
        x_label=f"Local hour ({ctx.tz}); {len(hourly)} hours with data"))
    section.tables.append(_table("By hour", hourly, ["period_start", *HEADLINE],
                                 ctx.definition, when_format="%H:%M"))


def _breaches(ctx, section):
    hourly = _interval_frame(ctx, ["queue"])
    if hourly.empty:
        section.notes.append("No interval data.")
        return []
    # An hour with one or two contacts "misses" by chance: judge hours with at least five.
    volume = hourly["offered"].fillna(0)
    if "ivr_sessions" in hourly.columns:
        volume = np.maximum(volume, hourly["ivr_sessions"].fillna(0))
    hourly = hourly[volume >= MIN_HOURLY_CONTACTS]
    pva = _against_plan(ctx, hourly.reset_index(drop=True),
                        ["period_start", "queue", "sl_basis"])
    if pva.empty:
        section.intro = ("Hours and queues (with at least five contacts) in which a KPI "
                         "missed its business-plan target.")
        section.notes.append("No business-plan target is in force for these queues, so no "
                             "hour is judged against one.")
        return []
    missed = pva[pva["met"].fillna(True) == False].copy()  # noqa: E712
    described = sorted(set(pva["target_from"]))
    section.intro = ("Hours and queues (with at least five contacts) in which a KPI missed "
                     "its business-plan target ("
                     + "; ".join(described) + ").")
    if missed.empty:
        section.notes.append("No target was missed in any hour.")
        return []
    missed["shortfall"] = (1 - missed["attainment"]).abs()
    missed = missed.sort_values("shortfall", ascending=False).head(15)
    missed["kpi_name"] = missed["kpi"].map(lambda k: interpret.KPI_NAMES.get(k, k))
    rows = [[pd.Timestamp(r["period_start"]).strftime("%a %d %b %H:%M"), str(r["queue"]),
             r["kpi_name"], fmt(r["kpi"], r["actual"]), fmt(r["kpi"], r["target"])]
            for _, r in missed.iterrows()]
    frame = missed[["period_start", "queue", "kpi", "actual", "target"]].copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.tz_localize(None)
    section.tables.append(Table("Worst breaches (largest shortfall first)",
                                ["When", "Queue", "KPI", "Actual", "Target"], rows, frame,
                                ctx.definition))
    return interpret.breach_findings(missed.assign(
        period_start=pd.to_datetime(missed["period_start"]).dt.strftime("%H:%M")),
        ["period_start", "queue", "sl_basis"], figure="Target breaches")[:2]


def _staffing(ctx, section):
    result = staffing_report(ctx.scope, ctx.centre, ctx.start, ctx.end)
    if result["empty"]:
        section.notes.append("No interval data.")
        return []
    table = pd.DataFrame(result["tables"]["intervals"])
    table["period_start"] = pd.to_datetime(table["period_start"])
    table = table.dropna(subset=["actual_agents"])
    section.intro = f"Required agents: {result['definition']}."
    if table.empty:
        section.notes.append("No agent state data, so staffed agents are unknown.")
        return []
    short = table[table["actual_agents"] < table["required_agents"]].copy()
    short["gap_agents"] = short["required_agents"] - short["actual_agents"]
    if short.empty:
        section.notes.append("Every interval had at least the agents required.")
    else:
        short = short.nlargest(12, "gap_agents").sort_values("period_start")
        rows = [[r["period_start"].strftime("%H:%M"), f"{r['offered']:,.0f}",
                 f"{r['required_agents']:.0f}", f"{r['actual_agents']:.1f}",
                 f"{r['gap_agents']:.1f}"] for _, r in short.iterrows()]
        frame = short[["period_start", "offered", "required_agents", "actual_agents",
                       "gap_agents"]].copy()
        frame["period_start"] = frame["period_start"].dt.tz_localize(None)
        section.tables.append(Table("Understaffed intervals (largest gaps)",
                                    ["Interval", "Offered", "Required", "Staffed", "Gap"],
                                    rows, frame, result["definition"]))
    hourly = table.set_index("period_start").resample("h")[
        ["required_agents", "actual_agents"]].mean().dropna(how="all")
    section.charts.append(Chart(
        "staffing", "Required versus staffed agents (hourly mean)", result["definition"],
        [t.strftime("%H:%M") for t in hourly.index],
        {"Required": hourly["required_agents"].round(1).tolist(),
         "Staffed": hourly["actual_agents"].round(1).tolist()}, unit="count",
        x_label=f"Local hour ({ctx.tz})"))
    gaps = table.assign(period_start=table["period_start"].dt.strftime("%H:%M"))
    return interpret.staffing_findings(gaps, figure="Staffing gaps")


def _quality(ctx, section):
    grain = "hour" if ctx.period.days == 1 else "day"
    frame = _interval_frame(ctx) if grain == "hour" else ctx.daily
    caveats = _caveats(frame, ctx.period, grain)
    if ctx.period.hours not in (24.0, 24.0 * ctx.period.days):
        caveats.append(f"the period has {ctx.period.hours:.0f} hours because the clocks changed")
    section.notes.extend(c[0].upper() + c[1:] + "." for c in caveats)
    if not caveats:
        section.notes.append("Every day of the period has interval data.")
    return interpret.caveat_findings(caveats, figure="Data quality")


def _days(ctx, section):
    d = ctx.daily
    section.charts.append(Chart(
        "days", "Offered contacts and service level by day", ctx.definition,
        _x_labels(d["period_start"], "%a %d"), {"Service level": d["service_level"].tolist()},
        unit="ratio", bars={"Offered": d["offered"].tolist()},
        target=_target_line(ctx, d),
        x_label=f"Local day ({ctx.tz})"))
    section.tables.append(_table("Day by day", d, ["period_start", *HEADLINE], ctx.definition,
                                 when_format="%a %d %b"))


def _worst_intervals(ctx, section):
    hourly = _interval_frame(ctx, ["queue"])
    hourly = hourly[hourly["offered"] >= 5]
    if hourly.empty:
        section.notes.append("No hour had five or more contacts offered.")
        return []
    worst = hourly.nsmallest(10, "service_level")
    section.intro = "The ten queue-hours with the lowest service level (at least 5 offered)."
    section.tables.append(_table("Lowest service level by queue and hour", worst,
                                 ["period_start", "queue", "offered", "service_level",
                                  "abandon_rate", "asa_s"], ctx.definition))
    return []


def _forecast(ctx, section):
    """Daily offered contacts against the issued forecast that describes the report's scope
    (:func:`reports.selectors.scope_forecast`, the one lookup)."""
    found = scope_forecast(ctx.scope, ctx.centre, ctx.period.first_day, ctx.period.last_day)
    if found.empty:
        section.notes.append(found.empty + " Forecast accuracy cannot be measured.")
        return []
    values = found.values
    values = values.assign(day=pd.to_datetime(values["period_start"]).dt.date)
    predicted = values.groupby("day")["offered"].sum()
    actual = ctx.daily.assign(day=pd.to_datetime(ctx.daily["period_start"]).dt.date
                              ).set_index("day")["offered"]
    both = pd.DataFrame({"forecast": predicted, "actual": actual}).dropna()
    both = both[(both.index >= ctx.period.first_day) & (both.index <= ctx.period.last_day)]
    forecast = found.describe()
    if both.empty:
        section.notes.append(f"The forecast ({forecast}) has no day in this period with data.")
        return []
    wape = (both["actual"] - both["forecast"]).abs().sum() / max(both["actual"].sum(), 1)
    bias = (both["forecast"].sum() - both["actual"].sum()) / max(both["actual"].sum(), 1)
    definition = (f"{forecast}; WAPE = Σ|actual − forecast| / Σ actual = {wape * 100:.1f} %; "
                  f"bias = {bias * 100:+.1f} %")
    section.intro = f"Daily offered contacts against {forecast}."
    section.charts.append(Chart(
        "forecast", "Offered contacts: forecast versus actual", definition,
        [d.strftime("%d %b") for d in both.index],
        {"Actual": both["actual"].tolist(), "Forecast": both["forecast"].round(0).tolist()},
        x_label=f"Local day ({ctx.tz})"))
    frame = both.reset_index().rename(columns={"index": "day"})
    rows = [[f"{r['day']:%a %d %b}", f"{r['forecast']:,.0f}", f"{r['actual']:,.0f}",
             f"{(r['actual'] - r['forecast']) / r['forecast'] * 100:+.1f} %" if r["forecast"]
             else vocabulary.NO_DATA]
            for _, r in frame.iterrows()]
    section.tables.append(Table("Forecast accuracy by day", ["Day", "Forecast", "Actual",
                                                               "Error"], rows, frame, definition))
    methods = {f.method for f in found.forecasts}
    summary = pd.DataFrame([{"method": methods.pop() if len(methods) == 1 else "queues'",
                             "wape": wape, "bias": bias}])
    return interpret.forecast_findings(summary, figure="Forecast versus actual")


def _calendar(ctx) -> pd.Series:
    """Offered per local day of the period: NaN on a day with no data (a gap, not zero)."""
    d = ctx.daily
    frame = pd.DataFrame({"local_date": pd.to_datetime(d["period_start"]).dt.date,
                          "offered": d["offered"].astype(float)})
    return patterns.daily_series(frame, "offered", start=ctx.period.first_day,
                                 end=ctx.period.last_day + dt.timedelta(days=1))


def _trend(ctx, section):
    daily = _calendar(ctx)
    average = patterns.moving_average(daily, 7, centered=False)
    section.charts.append(Chart(
        "trend", "Daily offered contacts with 7-day moving average", ctx.definition,
        [t.strftime("%d %b") for t in daily.index],
        {"7-day average": average.round(1).tolist()}, unit="count",
        bars={"Offered": daily.tolist()},
        x_label=f"Local day ({ctx.tz}); days with no data are gaps; the average is of the days "
                "with data in the 7 days to each day (at least 4)"))
    weekday = patterns.weekday_means(daily)
    weekday = weekday[weekday["days_with_data"] > 0]
    names = dict(zip(patterns.WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                         "Saturday", "Sunday"), strict=True))
    rows = [[names[r["weekday_name"]], f"{r['mean_per_day']:,.0f}", f"{r['seasonal_index']:.2f}",
             f"{r['days_with_data']}", f"{r['days_without_data']}"]
            for _, r in weekday.iterrows()]
    frame = weekday[["weekday_name", "mean_per_day", "seasonal_index", "days_with_data",
                     "days_without_data"]].rename(columns={"weekday_name": "weekday",
                                                           "mean_per_day": "mean_offered"})
    section.tables.append(Table(
        "Weekly seasonality (mean offered per weekday over the days with data; index 1.00 = "
        "average day)", ["Weekday", "Mean offered", "Index", "Days with data", "Days without"],
        rows, frame, "Seasonal index = weekday mean / mean over all days with data; days with "
                     "no data are left out of both"))
    section.notes.extend(c + "." for c in patterns.gap_caveats(daily))
    granularity = "month" if ctx.period.days > 62 else "week"
    grouped = kpi_frame(ctx.scope, ctx.centre, ctx.start, ctx.end, granularity)
    section.tables.append(_table(f"By {granularity}", grouped, ["period_start", *HEADLINE],
                                 ctx.definition, when_format="%d %b %Y"))


def _plan(ctx, section):
    total = _totals(ctx, ["channel"])
    total = total[total["offered"] + total["handled"] > 0].reset_index(drop=True)
    order = {c: i for i, c in enumerate(Channel.values)}
    total = total.sort_values("channel", key=lambda c: c.map(order)).reset_index(drop=True)
    total = total.assign(channel_code=total["channel"],
                         channel=total["channel"].map(_channel_label))
    pva = _against_plan(ctx, total, ["channel", "sl_basis"])
    # Misses against the plan are said once, by the headline findings (per channel, or per
    # queue of a vendor's scope); this section adds only what volume and budget show.
    found: list = []
    unmeasured = pva[pva["actual"].isna()]
    if not unmeasured.empty:
        gaps = {}
        for _, r in unmeasured.iterrows():
            gaps.setdefault(interpret.KPI_NAMES.get(r["kpi"], r["kpi"]), []).append(r["channel"])
        section.notes.append("The plan sets targets with no figure in this report: " + "; ".join(
            f"{name} ({', '.join(where)})" for name, where in gaps.items()) + ".")
        pva = pva[pva["actual"].notna()].reset_index(drop=True)
    if pva.empty:
        section.notes.append("No business-plan target is in force for this period and scope, "
                             "so no figure is judged against one.")
    else:
        rows = []
        for _, r in pva.iterrows():
            met = r["met"]
            name = interpret.KPI_NAMES.get(r["kpi"], r["kpi"])
            where = r["channel"]
            if r["kpi"].startswith("service_level") and r["sl_basis"]:
                where += f", within {r['sl_basis']}"
            rows.append([f"{name[0].upper()}{name[1:]} ({where})",
                         fmt(r["kpi"], r["target"]), fmt(r["kpi"], r["actual"]),
                         vocabulary.NO_DATA if pd.isna(met) else ("met" if met else "missed"),
                         r["target_from"]])
        section.tables.append(Table(
            "Business-plan KPIs by channel", ["KPI", "Target", "Actual", "Status",
                                              "Target from"], rows,
            pva[["channel", "sl_basis", "kpi", "target", "actual", "gap", "met"]],
            ctx.definition))
    budgets = _budgets(ctx, section)
    _forecast_against_plan(ctx, section, budgets is not None)
    if budgets is None:
        return found
    rows, frames = [], []
    for _, r in total.iterrows():
        budget = budgets.get(r["channel_code"])
        if budget is None or not budget.covers_period or not budget.planned_contacts:
            continue
        planned, handled = budget.planned_contacts, float(r["handled"])
        rows.append([r["channel"], f"{planned:,.0f}", f"{handled:,.0f}",
                     f"{handled - planned:+,.0f}", f"{(handled - planned) / planned * 100:+.1f} %"])
        frames.append({"channel": r["channel"], "planned": planned, "handled": handled,
                       "variance": handled - planned,
                       "variance_rel": (handled - planned) / planned})
    if rows:
        section.tables.append(Table(
            "Volume: contacts handled against the plan's volumes",
            ["Channel", "Planned", "Handled", "Variance", "Variance %"], rows,
            pd.DataFrame(frames), "Planned = the plan's volumes pro rata to the days of the "
                                  "period; variance = handled − planned."))
    else:
        section.notes.append("No planned volumes cover the whole period for the channels in "
                             "this report, so volume is not compared with a plan.")
    return found


def _forecast_against_plan(ctx, section, budgets_visible: bool):
    """The latest forecast issued for the period: its volume against the actual volume per
    week (per day for a period of a fortnight or less), with its accuracy, next to the plan's
    volumes for the same days (the plan plans contacts handled; the forecast is of contacts
    offered, so both are labelled)."""
    found = scope_forecast(ctx.scope, ctx.centre, ctx.period.first_day, ctx.period.last_day)
    if found.empty:
        section.notes.append(found.empty + " The plan's volumes are not set against a "
                                           "forecast.")
        return
    forecast = found.describe()
    values = found.values
    first = pd.Timestamp(ctx.period.first_day)
    last = pd.Timestamp(ctx.period.last_day) + pd.Timedelta(days=1)
    values = values[(values["period_start"] >= first) & (values["period_start"] < last)]
    actual = ctx.daily
    days = pd.to_datetime(actual["period_start"]) if not actual.empty else pd.Series(
        dtype="datetime64[ns]")
    if getattr(days.dt, "tz", None) is not None:
        days = days.dt.tz_localize(None)  # the local wall day of each row
    daily = pd.DataFrame({"day": days.dt.normalize(), "offered": actual["offered"].astype(float)
                          if not actual.empty else pd.Series(dtype=float)})
    grain = "D" if ctx.period.days <= 14 else "W"
    acc = fc.accuracy_by_period(values.rename(columns={"offered": "offered_forecast"}),
                                daily, grain)
    if acc.empty:
        section.notes.append(f"The forecast ({forecast}) has no day in this period with actual "
                             "data yet.")
        return
    # The plan's volumes are per channel: set beside a forecast of the whole scope only.
    channels = ctx.scope.channels
    planned = []
    for _, r in acc.iterrows():
        p_first = max(r["period"].date(), ctx.period.first_day)
        p_last = min((r["period"] + pd.Timedelta(days=1 if grain == "D" else 7)).date()
                     - dt.timedelta(days=1), ctx.period.last_day)
        budgets = channel_budgets(ctx.centre, p_first, p_last, channels=channels) \
            if budgets_visible else {}
        covered = [b for b in budgets.values() if b.covers_period and b.planned_contacts]
        planned.append(sum(b.planned_contacts for b in covered) if covered else float("nan"))
    acc["planned_handled"] = planned
    label = "%a %d %b" if grain == "D" else "week of %d %b"
    rows = [[f"{r['period']:{label}}", f"{r['forecast']:,.0f}", f"{r['actual']:,.0f}",
             f"{r['error_rel'] * 100:+.1f} %" if not _nan(r["error_rel"]) else vocabulary.NO_DATA,
             f"{r['planned_handled']:,.0f}" if not _nan(r["planned_handled"])
             else vocabulary.NO_DATA] for _, r in acc.iterrows()]
    chosen = ("" if len(found.forecasts) != 1 else
              f", chosen {'by back-test' if found.forecasts[0].selection else 'by its issuer'}")
    definition = (f"{forecast[:1].upper()}{forecast[1:]}{chosen}; error = "
                  "(forecast − actual) / actual over the days with data; accuracy over the "
                  f"days compared: WAPE of daily totals {acc.attrs['wape'] * 100:.1f} %, bias "
                  f"{acc.attrs['bias'] * 100:+.1f} %; "
                  + ("planned = the plan's contacts handled, pro rata to the days"
                     if budgets_visible else "the plan's volumes are of whole channels, not "
                     "of this scope's queues, so none is shown"))
    section.tables.append(Table(
        "Volume: forecast against actual, next to the plan",
        ["Period", "Forecast offered", "Actual offered", "Error", "Planned (handled)"], rows,
        acc.assign(wape=acc.attrs["wape"], bias=acc.attrs["bias"]), definition))


def _budgets(ctx, section):
    """channel code → ChannelBudget for the channels of this report, or None (with a note
    saying why) when the scope may not see the centre's budget."""
    if not scope_sees_budget(ctx.scope):
        section.notes.append("The business plan budgets whole channels of the centre; this "
                             "report covers only part of them, so it shows no budget or cost "
                             "per contact.")
        return None
    return channel_budgets(ctx.centre, ctx.period.first_day, ctx.period.last_day,
                           channels=ctx.scope.channels)


def _cost(ctx, section):
    budgets = _budgets(ctx, section)
    if budgets is None:
        return []
    handled = _totals(ctx, ["channel"])
    handled = dict(zip(handled["channel"], handled["handled"], strict=True))
    rows, frames, found = [], [], []
    order = {c: i for i, c in enumerate(Channel.values)}
    for code, budget in sorted(budgets.items(), key=lambda item: order.get(item[0], 99)):
        label = _channel_label(code)
        done = float(handled.get(code, 0))
        if not budget.covers_period:
            rows.append([label, fmt("budget", budget.budget), f"{done:,.0f}", vocabulary.NO_DATA,
                         fmt("budget_per_contact", budget.budget_per_contact),
                         f"budget covers {budget.days_covered} of {budget.days} days"])
            continue
        actual = budget.budget / done if done else float("nan")
        planned = budget.budget_per_contact
        variance = actual - planned if planned is not None and done else float("nan")
        rows.append([label, fmt("budget", budget.budget), f"{done:,.0f}",
                     fmt("cost_per_contact", actual), fmt("budget_per_contact", planned),
                     vocabulary.NO_DATA if _nan(variance) else f"{variance:+,.2f}"])
        frames.append({"channel": label, "budget_in_period": budget.budget, "handled": done,
                       "cost_per_contact": actual, "budget_per_contact": planned,
                       "variance": variance, "plans": ", ".join(budget.plans)})
        if planned and not _nan(actual) and actual > planned * 1.1:
            found.append(interpret.Finding(
                importance=55, kind="cost", figure="Cost per contact against budget",
                values={"channel": label, "actual": actual, "budget": planned},
                text=(f"Cost per contact ({label}) was {fmt('cost_per_contact', actual)} "
                      f"against a budgeted {fmt('cost_per_contact', planned)}: "
                      f"{done:,.0f} contacts handled of {budget.planned_contacts:,.0f} "
                      "planned [figure: Cost per contact against budget].")))
    if not rows:
        section.notes.append("No business plan budgets the channels of this report for this "
                             "period: cost per contact is not measured.")
        return []
    section.intro = ("Per channel: cost = the plan's budget for the channel (its own lines and "
                     "its share of shared lines, by planned volume) pro rata to the days of the "
                     "period; cost per contact = cost / contacts handled; budgeted per contact = "
                     "budget / planned contacts.")
    section.tables.append(Table("Cost per contact against budget, by channel",
                                ["Channel", "Budget in period", "Handled", "Cost per contact",
                                 "Budgeted per contact", "Variance"], rows,
                                pd.DataFrame(frames), section.intro))
    return found


def _control(ctx, section):
    d = ctx.daily.copy()
    d["sl_denominator"] = d["offered"] - d["short_abandoned"]
    if len(d) < 3:
        section.notes.append("Fewer than three days of data: no control chart.")
        return []
    chart = control.p_chart(d, "answered_within_threshold", "sl_denominator")
    definition = f"p-chart of daily service level, 3σ limits; {ctx.definition}"
    section.charts.append(Chart(
        "control", "Service level p-chart (daily)", definition,
        _x_labels(chart["period_start"], "%d %b"),
        {"Service level": chart["p"].tolist(), "Centre line": chart["centre"].tolist(),
         "Upper limit": chart["ucl"].tolist(), "Lower limit": chart["lcl"].tolist()},
        unit="ratio", x_label=f"Local day ({ctx.tz})"))
    signals = chart[chart["special_cause"]]
    found = []
    if signals.empty:
        section.notes.append("No special-cause signal: the service level varied only as much "
                             "as its own history predicts.")
        return []
    rules = [c for c in ("beyond_3_sigma", "run_of_8", "trend_of_6",
                         "two_of_three_beyond_2_sigma") if c in chart.columns]
    rows = [[pd.Timestamp(r["period_start"]).strftime("%a %d %b"), fmt("service_level", r["p"]),
             ", ".join(c.replace("_", " ") for c in rules if r[c])]
            for _, r in signals.iterrows()]
    section.tables.append(Table("Days with a special-cause signal", ["Day", "Service level",
                                                                     "Rule"], rows,
                                signals[["period_start", "p", *rules]].assign(
                                    period_start=lambda f: pd.to_datetime(
                                        f["period_start"]).dt.tz_localize(None)), definition))
    found.append(interpret.Finding(
        importance=50, kind="control", figure="Control-chart signals",
        text=(f"The service level showed a special-cause signal on {len(signals)} of {len(d)} "
              "days [figure: Control-chart signals].")))
    return found


def _pathways(ctx, section):
    """How contacts moved through the pathways compared with the previous period of the same
    length: each routing point's share of offered contacts, transfer and IVR containment rates,
    and routing points that appeared or disappeared."""
    days = ctx.period.days
    prev_start = ctx.start - dt.timedelta(days=days)
    current = flow_frame(ctx.scope, ctx.centre, ctx.start, ctx.end)
    previous = flow_frame(ctx.scope, ctx.centre, prev_start, ctx.start)
    if current.empty:
        section.notes.append("No pathway flow data in this period.")
        return []

    def shares(frame):
        total = frame["offered"].sum() + frame["ivr_sessions"].sum()
        out = frame.set_index("step")
        return pd.DataFrame({
            "share": (out["offered"] + out["ivr_sessions"]) / total if total else np.nan,
            "transfer_rate": ratio(out["transfers"], out["answered"]),
            "ivr_containment": ratio(out["ivr_contained"], out["ivr_sessions"])})

    cur = shares(current)
    prev = shares(previous) if not previous.empty else cur.iloc[0:0]
    merged = cur.merge(prev, how="outer", left_index=True, right_index=True,
                       suffixes=("", "_previous"))
    merged["share_change"] = merged["share"].fillna(0) - merged["share_previous"].fillna(0)
    section.intro = (f"Each routing point's share of contacts (offered + IVR sessions) against "
                     f"the previous {days} days ({prev_start:%d %b} – "
                     f"{ctx.start - dt.timedelta(days=1):%d %b %Y}).")
    rows, found = [], []
    for step, r in merged.sort_values("share", ascending=False).iterrows():
        if pd.isna(r["share_previous"]) and not previous.empty:
            status = "new"
        elif pd.isna(r["share"]):
            status = "no longer used"
        elif abs(r["share_change"]) >= 0.05:
            status = f"{r['share_change'] * 100:+.1f} pts"
        else:
            status = "steady"
        rows.append([str(step), fmt("transfer_rate", r["share"]),
                     fmt("transfer_rate", r["share_previous"]),
                     fmt("transfer_rate", r["transfer_rate"]), status])
        if status not in ("steady",) and not previous.empty:
            found.append(interpret.Finding(
                importance=40, kind="pathway", figure="Pathway changes",
                text=(f"Routing point {step}: {status} in its share of contacts "
                      f"({fmt('transfer_rate', r['share_previous'])} → "
                      f"{fmt('transfer_rate', r['share'])}) [figure: Pathway changes].")))
    if previous.empty:
        section.notes.append("No flow data in the previous period to compare with.")
    section.tables.append(Table("Routing points", ["Routing point", "Share", "Share before",
                                                   "Transfer rate", "Change"], rows,
                                merged.reset_index(),
                                "Share = (offered + IVR sessions) / total; transfer rate = "
                                "transfers / answered"))
    return found[:3]


_BUILDERS = {
    "summary": _summary, "queues": _queues, "intervals": _intervals, "breaches": _breaches,
    "staffing": _staffing, "quality": _quality, "days": _days,
    "worst_intervals": _worst_intervals, "forecast": _forecast, "trend": _trend,
    "plan": _plan, "cost": _cost, "control": _control, "pathways": _pathways,
}
