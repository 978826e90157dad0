"""Rendering a ``Report``: HTML e-mail with inline chart images (CID), a plain-text alternative,
a print-ready PDF (reportlab) and the figures as CSV/XLSX.

The HTML refers to each chart as ``cid:<chart.cid>@contactmis``; ``email_message`` attaches the
PNGs with those Content-IDs. For the archive page ``html(report, inline=True)`` embeds the same
PNGs as data: URIs so a stored run shows without its attachments.
"""
from __future__ import annotations

import base64
import io
import re

import pandas as pd
from django.template.loader import render_to_string

from ..vocabulary import label

CID_DOMAIN = "contactmis"


def cid(chart) -> str:
    return f"{chart.cid}@{CID_DOMAIN}"


def draw_charts(report) -> None:
    """Render each chart's PNG once (used by the e-mail, the archive and the PDF)."""
    # matplotlib is imported by the reports that draw with it, not by every page that may
    # export one (importing it was most of a web process's first request).
    from .static_charts import render_png

    for chart in report.all_charts():
        if not chart.png:
            chart.png = render_png(chart)


def html(report, inline: bool = False) -> str:
    """The report as an HTML document for an e-mail (``inline=False``: images by CID) or for the
    browser archive (``inline=True``: images as data: URIs)."""
    draw_charts(report)
    sources = {}
    for chart in report.all_charts():
        sources[chart.cid] = ("data:image/png;base64," + base64.b64encode(chart.png).decode()
                              if inline else f"cid:{cid(chart)}")
    return render_to_string("reports/reporting/email.html",
                            {"report": report, "sources": sources})


def text(report) -> str:
    """Plain-text alternative: findings, then every table as aligned columns."""
    lines = [report.title, f"{report.scope_label} · {report.period_label} "
                           f"({report.time_zone}, {report.hours:.0f} h)", ""]
    lines.append("What the figures say")
    lines += [f"  - {f}" for f in report.findings]
    lines.append("")
    if report.headline:
        lines.append("Headline figures")
        for key, value in report.headline.items():
            lines.append(f"  {label(key):<16} {value}")
        lines.append("")
    for section in report.sections:
        lines.append(section.title.upper())
        if section.intro:
            lines.append(section.intro)
        for chart in section.charts:
            lines.append(f"[Chart: {chart.title} — see the HTML version or the PDF]")
        for table in section.tables:
            lines.append(table.caption)
            widths = [max(len(str(c)), *(len(str(r[i])) for r in table.rows)) if table.rows
                      else len(str(c)) for i, c in enumerate(table.columns)]
            lines.append("  " + "  ".join(str(c).ljust(w) for c, w in zip(
                table.columns, widths, strict=True)))
            for row in table.rows:
                lines.append("  " + "  ".join(str(v).ljust(w) for v, w in zip(
                    row, widths, strict=True)))
            if table.definition:
                lines.append(f"  Definition: {table.definition}")
        lines += [f"  {note}" for note in section.notes]
        lines.append("")
    lines.append(f"Metric definitions: {report.definition}")
    lines.append(f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC by ContactMIS.")
    return "\n".join(lines)


def figures_frame(report) -> pd.DataFrame:
    """Every table of the report stacked in one long frame (section, table, row, column,
    value) for CSV/XLSX: the displayed figures exactly as printed."""
    records = []
    for section, table in report.all_tables():
        for i, row in enumerate(table.rows, start=1):
            for column, value in zip(table.columns, row, strict=True):
                records.append({"section": section.title, "table": table.caption, "row": i,
                                "column": column, "value": value,
                                "definition": table.definition})
    return pd.DataFrame(records, columns=["section", "table", "row", "column", "value",
                                          "definition"])


def preamble(report) -> list[str]:
    """Lines above the figures in CSV/XLSX (written by the stakeholders app's exporter, which
    neutralises spreadsheet formulas)."""
    return [report.title, f"{report.scope_label} · {report.period_label} ({report.time_zone})",
            f"Metric definitions: {report.definition}"]


# --- PDF ------------------------------------------------------------------------------------

def pdf(report) -> bytes:
    """The whole report as an A4 PDF laid out for print: title block, findings, headline
    tiles, then each section's charts and tables, page numbers and the definitions in the
    footer."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    draw_charts(report)
    ink = colors.HexColor("#1d2733")
    muted = colors.HexColor("#5b6876")
    accent = colors.HexColor("#1f5f99")
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName="Helvetica", fontSize=9,
                          leading=12, textColor=ink, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=muted)
    h1 = ParagraphStyle("h1", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22,
                        textColor=accent, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=12, leading=15,
                        spaceBefore=10, spaceAfter=4, textColor=ink)
    h3 = ParagraphStyle("h3", parent=body, fontName="Helvetica-Bold", fontSize=9, leading=12,
                        spaceBefore=4, spaceAfter=2)
    cell = ParagraphStyle("cell", parent=body, fontSize=7.5, leading=9)
    width = A4[0] - 30 * mm

    def p(value, style=body):
        return Paragraph(escape(str(value)), style)

    story = [p(report.title, h1),
             p(f"{report.scope_label} · {report.period_label} · times in {report.time_zone} "
               f"({report.hours:.0f} hours)", small), Spacer(1, 6)]
    story.append(p("What the figures say", h2))
    for finding in report.findings:
        story.append(Paragraph("• " + escape(finding), body))
    if report.headline:
        tiles = Table([[p(label(k), small) for k in report.headline],
                       [Paragraph(f"<b>{escape(v)}</b>", ParagraphStyle(
                           "tile", parent=body, fontSize=12, leading=15))
                        for v in report.headline.values()]],
                      colWidths=[width / len(report.headline)] * len(report.headline))
        tiles.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#f3f6f9")),
            ("LINEABOVE", (0, 0), (-1, 0), 2, accent),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))
        story += [Spacer(1, 8), tiles]
    for section in report.sections:
        block = [p(section.title, h2)]
        if section.intro:
            block.append(p(section.intro, body))
        story.append(KeepTogether(block))
        for chart in section.charts:
            image = Image(io.BytesIO(chart.png), width=width, height=width * 2.9 / 7.2)
            story.append(KeepTogether([image, p(f"Definition: {chart.definition}", small),
                                       Spacer(1, 6)]))
        for table in section.tables:
            data = [[Paragraph(f"<b>{escape(str(c))}</b>", cell) for c in table.columns]]
            data += [[p(v, cell) for v in row] for row in table.rows]
            t = Table(data, repeatRows=1, hAlign="LEFT", colWidths=_col_widths(table, width))
            t.setStyle(TableStyle([
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f9fb")]),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, accent),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
            story += [p(table.caption, h3), t]
            if table.definition:
                story.append(p(f"Definition: {table.definition}", small))
            story.append(Spacer(1, 4))
        for note in section.notes:
            story.append(p(note, body))
    story += [Spacer(1, 10), p(f"Metric definitions: {report.definition}", small)]

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(muted)
        canvas.drawString(15 * mm, 10 * mm, f"ContactMIS · {report.title} · "
                                            f"{report.period_label} · {report.scope_label}"[:120])
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=16 * mm,
                            title=f"{report.title} — {report.period_label}",
                            author="ContactMIS", subject=report.scope_label)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()


def _col_widths(table, width: float) -> list[float]:
    """Columns as wide as their longest text (within limits), so a long "Target from" column
    does not squeeze every figure onto two lines."""
    weights = [min(36, max(11, len(str(c)), *(len(str(r[i])) for r in table.rows)))
               for i, c in enumerate(table.columns)]
    return [width * w / sum(weights) for w in weights]


def attachment_name(report, ext: str) -> str:
    base = f"{report.title} {report.period_label} {report.scope_label}"
    return re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-").lower()[:120] + f".{ext}"


