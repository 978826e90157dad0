"""CSV and XLSX exports (widgets, analysis pages, reports), safe to open in a spreadsheet.

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with an
apostrophe so a spreadsheet shows it as text instead of running it as a formula (names of queues,
contact types and segments come from source data and are not trusted). Numbers stay numbers.
"""
from __future__ import annotations

import csv
import io
import math
from datetime import date, datetime

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` made safe for a spreadsheet cell (see module docstring)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar → Python
    if isinstance(value, (int, float, bool, datetime, date)):
        return value
    return neutralise(str(value))


def json_value(value):
    """A table cell for a JSON answer: Python scalars, ``None`` for gaps and for non-finite
    numbers (JSON has none); texts as they are — neutralising formulas belongs to CSV/XLSX
    files, which a spreadsheet opens, not to API clients."""
    if isinstance(value, str):
        return value
    cell = _cell(value)
    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    if isinstance(cell, str):
        return str(value)
    return cell


def rows(frame: pd.DataFrame):
    """Header row then data rows, every cell neutralised."""
    yield [neutralise(str(c)) for c in frame.columns]
    for record in frame.itertuples(index=False, name=None):
        yield [_cell(v) for v in record]


def to_csv(frame: pd.DataFrame, preamble: list[str] = ()) -> bytes:
    """UTF-8 CSV (with BOM, so spreadsheets detect the encoding); ``preamble`` lines first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in preamble:
        writer.writerow([neutralise(line)])
    for row in rows(frame):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(frame: pd.DataFrame, title: str, preamble: list[str] = ()) -> bytes:
    """An XLSX workbook with one sheet: ``preamble`` lines, then the table with a bold header."""
    return to_workbook([(title, frame, preamble)])


def sheet_title(title: str, taken: set[str] = frozenset()) -> str:
    """``title`` as a worksheet name: no ``[]:*?/\\``, at most 31 characters, unique."""
    base = "".join(ch for ch in title if ch not in '[]:*?/\\')[:31].strip() or "Data"
    name, n = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    return name


def to_workbook(sheets) -> bytes:
    """An XLSX workbook, one sheet per ``(title, frame, preamble)``: the ``preamble`` lines, a
    blank row, then the table with a bold header (``frame`` None: the preamble alone)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for title, frame, preamble in sheets:
        ws = wb.create_sheet(sheet_title(title, taken))
        taken.add(ws.title)
        for line in preamble:
            ws.append([neutralise(line)])
        if frame is None:
            ws.column_dimensions["A"].width = 100
            continue
        if preamble:
            ws.append([])
        header_row = ws.max_row + 1 if preamble else 1
        for row in rows(frame):
            ws.append(row)
        for cell in ws[header_row]:
            cell.font = Font(bold=True)
        for col in ws.iter_cols(min_row=header_row, max_row=header_row):
            for cell in col:
                if cell.value is not None:
                    ws.column_dimensions[cell.column_letter].width = max(
                        12, len(str(cell.value)) + 2)
    if not wb.worksheets:
        wb.create_sheet("Data")
    # openpyxl writes a str starting with "=" as a formula; after neutralising none does.
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
