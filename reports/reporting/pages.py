"""An analysis page (its ``report`` dict: Plotly charts, tables, findings) as a printable
``Report``, so the page downloads as an A4 PDF laid out like the scheduled reports: what the
figures are, the findings, each line chart drawn statically and each table formatted as on the
page. Charts that are not lines over time (heatmaps, flows) stay on the page and say so."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import numpy as np

from ..templatetags.report_format import kpi, label
from .content import Chart, Report, Section, Table

# A PDF is read, not searched: longer tables are cut with a note (the workbook holds them all).
PDF_TABLE_ROWS = 200


def _values(data):
    """A Plotly array: a list, or its typed-array encoding (``{"dtype", "bdata"}``)."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data or [])


def _dates(values: list, layout: dict) -> list:
    """A date axis's values as text: Plotly's milliseconds (the wall clock) as ISO text, text
    as it is."""
    if (layout.get("xaxis") or {}).get("type") != "date" or not values \
            or isinstance(values[0], str):
        return values
    ms = np.asarray(values, dtype="float64")
    known = ~np.isnan(ms)
    out = np.full(len(ms), "", dtype=object)
    out[known] = np.datetime_as_string(ms[known].astype("int64").astype("datetime64[ms]"),
                                       unit="m")
    return out.tolist()


def static_chart(chart_id: str, figure_json: str) -> Chart | None:
    """A line chart of the page as a static ``Chart`` (None for other kinds of chart)."""
    figure = json.loads(figure_json)
    traces = figure.get("data") or []
    if not traces or any(t.get("type", "scatter") != "scatter" for t in traces):
        return None
    layout = figure.get("layout") or {}
    x = [str(v).replace("T", " ")[:16].removesuffix(" 00:00")
         for v in _dates(_values(traces[0].get("x")), layout)]
    series = {}
    for i, trace in enumerate(traces):
        y = _values(trace.get("y"))
        if len(y) != len(x) or len(x) == 0:
            return None
        series[trace.get("name") or f"Series {i + 1}"] = [
            None if v is None or v != v else v for v in y]
    tickformat = ((layout.get("yaxis") or {}).get("tickformat") or "")
    unit = "ratio" if "%" in tickformat else "count"
    title, _, definition = ((layout.get("title") or {}).get("text") or chart_id).partition("<br>")
    return Chart(cid=chart_id, title=title, definition=re.sub(r"<[^>]+>", "", definition),
                 x=x, series=series, unit=unit)


def page_table(title: str, rows: list[dict]) -> tuple[Table, str]:
    """A page table formatted as the page formats it; a note when it is cut for print."""
    columns = list(rows[0]) if rows else []
    shown = rows[:PDF_TABLE_ROWS]
    table = Table(caption=title, columns=[label(c) for c in columns],
                  rows=[[kpi(row.get(c), c) for c in columns] for row in shown])
    note = (f"{title}: the first {PDF_TABLE_ROWS} of {len(rows):,} rows; the Excel download "
            "holds them all." if len(rows) > PDF_TABLE_ROWS else "")
    return table, note


def page_report(heading: str, about: list[str], report: dict, *, scope_label: str,
                period: tuple[dt.date, dt.date] | None, time_zone: str,
                generated_at: dt.datetime, table_titles: dict[str, str]) -> Report:
    """``report`` (an analysis page's dict) as a ``Report`` for :func:`render.pdf`."""
    zone = ZoneInfo(time_zone)
    if period is not None:
        start, end = period
        first, last = start, end - dt.timedelta(days=1)
        hours = (dt.datetime.combine(end, dt.time(), zone)
                 - dt.datetime.combine(start, dt.time(), zone)).total_seconds() / 3600
        period_label = f"{first:%d %b %Y} – {last:%d %b %Y}"
    else:
        first = last = generated_at.astimezone(zone).date()
        hours, period_label = 24.0, f"as of {first:%d %b %Y}"
    charts, skipped = [], []
    for item in report.get("charts") or []:
        chart = static_chart(item["id"], item["figure"])
        if chart is None:
            skipped.append(item.get("title") or item["id"])
        else:
            charts.append(chart)
    tables, notes = [], []
    for key, rows in (report.get("tables") or {}).items():
        if rows:
            table, note = page_table(table_titles.get(key) or label(key), rows)
            tables.append(table)
            if note:
                notes.append(note)
    if skipped:
        notes.append("Shown on the page only (not drawn for print): " + "; ".join(skipped) + ".")
    sections = [Section(key="about", title="About these figures", notes=list(about))]
    if charts:
        sections.append(Section(key="charts", title="Charts", charts=charts))
    if tables or notes:
        sections.append(Section(key="tables", title="Tables", tables=tables, notes=notes))
    return Report(template="page", title=heading, scope_label=scope_label or "Whole centre",
                  period_label=period_label, period_first_day=first, period_last_day=last,
                  time_zone=time_zone, hours=hours, definition=report.get("definition") or "",
                  generated_at=generated_at,
                  findings=[f["text"] for f in report.get("findings") or []],
                  sections=sections, empty=bool(report.get("empty")))
