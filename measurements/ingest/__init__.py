"""Pure format adapters: export file → canonical DataFrames (see ``base.py`` for the frames).

Nothing here imports Django or the apps. ``read(path, format, options)`` yields chunks;
``detect_format(path)`` sniffs the format for ``--format auto``.
"""
from __future__ import annotations

from . import (
    amazon_connect,
    anonymous_bank,
    asterisk,
    generic,
    interval_report,
    scripted,
    survey,
    tabular,
)
from .base import Chunk, FormatError, Notes, Options, concat

ADAPTERS = {
    anonymous_bank.NAME: anonymous_bank,
    asterisk.NAME: asterisk,
    amazon_connect.NAME: amazon_connect,
    interval_report.NAME: interval_report,
    generic.NAME: generic,
    survey.NAME: survey,
    scripted.NAME: scripted,  # scripted test contacts (measurement-test sandbox only)
}
FORMATS = tuple(ADAPTERS)

__all__ = ["ADAPTERS", "FORMATS", "Chunk", "FormatError", "Notes", "Options", "concat",
           "detect_format", "read"]


def detect_format(path, name="", mapping=None) -> str:
    """The format of the file at ``path`` from its first bytes/lines; raises FormatError."""
    name = name or str(path)
    if tabular.is_xlsx(path):
        columns, _, _ = tabular.header(path, name)
        return _by_columns(columns, name, mapping)
    from .base import check_text, head_lines

    encoding = check_text(path, name, ("utf-8-sig", "cp1252"))
    lines = head_lines(path, 3, encoding)
    first = lines[0].lstrip("\ufeff") if lines else ""
    if anonymous_bank.sniff(first):
        return anonymous_bank.NAME
    if asterisk.sniff(first):
        return asterisk.NAME
    if amazon_connect.sniff(first):
        return amazon_connect.NAME
    columns, _, _ = tabular.header(path, name)
    return _by_columns(columns, name, mapping)


def _by_columns(columns, name, mapping):
    if survey.sniff_columns(columns):
        return survey.NAME
    if interval_report.sniff_columns(columns):
        return interval_report.NAME
    if mapping and all(c in columns for c in (mapping.get("columns") or {}).values() if c):
        return generic.NAME
    raise FormatError(
        f"{name}: could not recognise the format. Expected one of: Anonymous Bank TSV header "
        f"(vru+line, call_id, …), Asterisk queue_log lines (epoch|callid|queue|agent|event), "
        f"Amazon Connect JSON records, an interval report (queue, offered, abandoned, …), a "
        f"survey (contact_ref, csat/nps) or a CSV matching the source's saved column mapping; "
        f"found columns {columns[:15]}.")


def read(path, fmt: str, options: Options):
    """Yield :class:`Chunk` objects for ``path`` read as ``fmt`` (``auto`` sniffs)."""
    if fmt in ("", "auto", None):
        fmt = detect_format(path, options.name, options.mapping)
    try:
        adapter = ADAPTERS[fmt]
    except KeyError:
        raise FormatError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}") from None
    yield from adapter.read(path, options)
