"""Reading CSV/XLSX exports in chunks, with line numbers, header checks and value parsers."""
from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .base import FormatError, check_text, head_lines, localize, rejects_frame

XLSX_MAGIC = b"PK\x03\x04"
DELIMITERS = ",;\t|"


def is_xlsx(path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == XLSX_MAGIC


def norm(name) -> str:
    """Header name → lower snake case (``"Calls Offered"`` → ``calls_offered``)."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def sniff_delimiter(path, name, encoding) -> str:
    lines = head_lines(path, 5, encoding)
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS} if lines else {}
        best = max(counts, key=counts.get) if counts else ","
        return best if counts.get(best) else ","


def header(path, name, delimiter=None):
    """``(columns, delimiter, encoding)`` of a CSV/XLSX file; XLSX gives delimiter ``None``."""
    if is_xlsx(path):
        try:
            frame = pd.read_excel(path, nrows=0, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on bad files
            raise FormatError(f"{name}: expected an XLSX workbook, found a file openpyxl cannot "
                              f"read ({exc}).") from exc
        return [str(c) for c in frame.columns], None, None
    encoding = check_text(path, name, ("utf-8-sig", "cp1252"))
    delimiter = delimiter or sniff_delimiter(path, name, encoding)
    first = head_lines(path, 1, encoding)
    cols = next(csv.reader(first, delimiter=delimiter)) if first else []
    return [c.strip() for c in cols], delimiter, encoding


def require(name, found, required: dict[str, tuple[str, ...]], delimiter=None):
    """Match canonical fields to found columns by alias; raise naming expected vs found.

    ``required`` maps a canonical field to its accepted header aliases (normalised). Returns
    ``{field: found column}`` for the fields present.
    """
    by_norm = {norm(c): c for c in found}
    out = {}
    for fld, aliases in required.items():
        for alias in (fld, *aliases):
            if alias in by_norm:
                out[fld] = by_norm[alias]
                break
    return out


def missing_error(name, kind, missing, found, delimiter):
    hint = ""
    if len(found) == 1 and any(d in found[0] for d in DELIMITERS if d != delimiter):
        hint = (f" The header has a single column: the file seems to use a different "
                f"delimiter than {delimiter!r}.")
    return FormatError(f"{name}, line 1: expected {kind} columns {missing}; found "
                       f"{found[:25]}.{hint}")


def chunks(path, name, delimiter, encoding, chunk_rows, sheet=None, *, quoting=csv.QUOTE_MINIMAL,
           errors="strict", skipinitialspace=True):
    """Yield DataFrames of strings indexed by 1-based file line number (header is line 1).

    ``quoting``, ``errors`` (undecodable bytes) and ``skipinitialspace`` are passed to ``open``
    and ``csv.reader``."""
    if delimiter is None:
        frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        frame = frame.fillna("")
        frame.index = range(2, 2 + len(frame))
        yield frame
        return
    # Every data line is accounted for: a row with more or fewer fields than the header (an
    # extra delimiter, a line cut off at the end of the file) is never loaded and never
    # silently dropped — it is listed in ``frame.attrs["bad_lines"]`` as ``(line, reason,
    # raw)`` for the adapter to reject.
    if quoting == csv.QUOTE_MINIMAL and errors == "strict" and \
            encoding in ("utf-8", "utf-8-sig") and _unquoted(path):
        yield from _unquoted_chunks(path, name, delimiter, chunk_rows, skipinitialspace)
        return
    try:
        with open(path, encoding=encoding, errors=errors, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, quoting=quoting,
                                skipinitialspace=skipinitialspace)
            columns = [str(c).strip() for c in next(reader, [])]
            yield from _records(reader, columns, delimiter, chunk_rows)
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: expected text encoded as {encoding}, found bytes that are "
                          f"not ({exc.reason}).") from exc


def _records(reader, columns, delimiter, chunk_rows, first_line=0):
    """Frames of ``chunk_rows`` records read one by one from a ``csv.reader`` (numbered from
    ``first_line`` + its own line count)."""
    rows, lines, bad = [], [], []
    while True:
        start = first_line + reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            bad.append((start, f"unreadable row ({exc})", ""))
            continue
        if not record:
            continue  # a blank line is no data line
        if len(record) != len(columns):
            cut = first_line + reader.line_num == start and len(record) < len(columns)
            bad.append((start, f"expected {len(columns)} fields, found {len(record)}"
                        + (" (the row is cut off)" if cut else ""),
                        delimiter.join(record)[:500]))
            continue
        rows.append(record)
        lines.append(start)
        if len(rows) >= chunk_rows:
            yield _frame(rows, lines, columns, bad)
            rows, lines, bad = [], [], []
    if rows or bad:
        yield _frame(rows, lines, columns, bad)


READ_BYTES = 16 << 20


def _unquoted(path) -> bool:
    """Whether the file has no quote character and no carriage return other than before a
    line feed: then every line is one record, split at each delimiter."""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(READ_BYTES), b""):
            if b'"' in block or block.count(b"\r") != block.count(b"\r\n"):
                return False
    return True


def _unquoted_chunks(path, name, delimiter, chunk_rows, skipinitialspace):
    """:func:`chunks` for a file without quotes (see :func:`_unquoted`), vectorised: blocks of
    ``chunk_rows`` lines, each line's fields counted with numpy, the good lines split into
    columns by Arrow's CSV parser."""
    with open(path, "rb") as fh:
        header = fh.readline().decode("utf-8-sig").rstrip("\r\n")
        columns = [c.strip() for c in header.split(delimiter)] if header else []
        line, pending = 2, b""
        while True:
            data = fh.read(READ_BYTES)
            pending += data
            while pending and (not data or pending.count(b"\n") >= chunk_rows):
                ends = np.flatnonzero(np.frombuffer(pending, dtype=np.uint8) == 10)
                cut = int(ends[chunk_rows - 1]) + 1 if len(ends) >= chunk_rows else len(pending)
                block, pending = pending[:cut], pending[cut:]
                frame, lines = _unquoted_frame(block, line, columns, delimiter, name,
                                               skipinitialspace)
                line += lines
                yield frame
            if not data:
                return


def _unquoted_frame(block: bytes, first_line, columns, delimiter, name, skipinitialspace):
    """(frame, number of lines) of a block of whole lines (see :func:`_unquoted_chunks`)."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: expected text encoded as utf-8, found bytes that are "
                          f"not ({exc.reason}).") from exc
    if not block.endswith(b"\n"):
        block += b"\n"
    raw = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    starts = np.concatenate([[0], ends[:-1] + 1])
    stops = ends - ((ends > starts) & (raw[np.maximum(ends - 1, 0)] == 13))
    filled = stops > starts
    fields = np.bincount(np.searchsorted(ends, np.flatnonzero(raw == ord(delimiter))),
                         minlength=len(ends))[:len(ends)] + 1
    good = filled & (fields == len(columns))
    numbers = first_line + np.arange(len(ends))
    bad = []
    # The record reader refuses a field longer than the csv module's limit.
    limit = csv.field_size_limit()
    overlong = np.zeros(len(ends), dtype=bool)
    for i in np.flatnonzero(filled & (stops - starts > limit)):
        if any(len(f) > limit for f in block[starts[i]:stops[i]].decode("utf-8")
               .split(delimiter)):
            overlong[i] = True
            bad.append((int(numbers[i]), f"unreadable row (field larger than field limit "
                        f"({limit}))", ""))
    for i in np.flatnonzero(filled & ~good & ~overlong):
        found = int(fields[i])
        bad.append((int(numbers[i]), f"expected {len(columns)} fields, found {found}"
                    + (" (the row is cut off)" if found < len(columns) else ""),
                    block[starts[i]:stops[i]].decode("utf-8")[:500]))
    bad.sort()
    names = _unique(columns)
    table = pacsv.read_csv(
        io.BytesIO(block),
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False,
                                         ignore_empty_lines=True,
                                         invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                             strings_can_be_null=False))
    if table.num_rows != int(good.sum()):  # not one record a line after all: read as text
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                            skipinitialspace=skipinitialspace)
        frames = list(_records(reader, columns, delimiter, len(ends) + 1, first_line - 1))
        frame = frames[0] if frames else _frame([], [], columns, [])
        return frame, len(ends)
    frame = table.to_pandas()
    if overlong.any():
        frame = frame[~overlong[good]].reset_index(drop=True)
        good &= ~overlong
    if skipinitialspace and (text.startswith(" ") or f"{delimiter} " in text or "\n " in text):
        for c in names:  # as the record reader: spaces starting a field are skipped
            frame[c] = frame[c].str.lstrip(" ")
    frame.index = numbers[good]
    frame.attrs["bad_lines"] = bad
    return frame, len(ends)


def _frame(rows, lines, columns, bad) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=_unique(columns), index=lines, dtype=object)
    frame = frame.astype(str) if len(frame) else frame
    frame.attrs["bad_lines"] = bad
    return frame


def _unique(columns):
    seen, out = {}, []
    for c in columns:
        n = seen.get(c, 0)
        out.append(c if n == 0 else f"{c}.{n}")
        seen[c] = n + 1
    return out


def with_bad_lines(chunk, frame):
    """``chunk`` (mapped from ``frame``) with the lines of ``frame`` that could not be split
    into columns read and rejected, so each line of the file is accounted for."""
    bad = bad_line_rejects(frame)
    if bad:
        chunk.rows_read += len(bad)
        chunk.rejects = pd.concat([frame_ for frame_ in (chunk.rejects, rejects_frame(bad))
                                   if len(frame_)], ignore_index=True)
    return chunk


def bad_line_rejects(frame) -> list[tuple]:
    """The rows of ``frame``'s file that could not be split into its columns, as reject rows
    ``(line, field, reason, raw)``."""
    return [(line, "row", reason, raw) for line, reason, raw in frame.attrs.get("bad_lines", [])]


def _arrow_strings(s: pd.Series) -> pa.Array | None:
    """The Arrow array under a column of strings, or ``None`` (not a column of texts)."""
    if not isinstance(s.dtype, pd.StringDtype) and s.dtype != object:
        return None
    try:
        return pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def parse_times(series: pd.Series, fmt: str | None, time_zone: str) -> pd.Series:
    """Strings → UTC timestamps. Naive values are local to ``time_zone``; values with an
    offset keep it. Unparseable values give NaT (the caller rejects them)."""
    s = series.astype(str).str.strip()
    s = s.where(s != "", None)
    if fmt:
        parsed = pd.to_datetime(s, format=fmt, errors="coerce")
    else:
        try:
            parsed = pd.to_datetime(s, errors="coerce", format="mixed", utc=False)
        except ValueError:  # naive values and values with an offset in one column
            return _mixed_times(s, time_zone)
    if parsed.dtype == object:  # mixed offsets
        parsed = pd.to_datetime(s, errors="coerce", format="mixed", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        return parsed.dt.tz_convert("UTC")
    return localize(parsed, time_zone)


def _mixed_times(s: pd.Series, time_zone: str) -> pd.Series:
    """A column mixing naive times and times with an offset: each kind read on its own (naive
    ones local to ``time_zone``); a value that fits neither is NaT (the caller rejects it)."""
    aware = s.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
    with_offset = pd.to_datetime(s.where(aware), errors="coerce", format="mixed", utc=True)
    try:
        naive = pd.to_datetime(s.where(~aware), errors="coerce", format="mixed", utc=False)
        naive = localize(naive, time_zone) if naive.dtype != object else None
    except ValueError:
        naive = None
    if naive is None:
        return with_offset.where(aware)
    return naive.fillna(with_offset)


def _numbers(s: pd.Series) -> pd.Series:
    """``pd.to_numeric(s, errors="coerce")`` of stripped strings; a column of plain integers
    (blanks allowed) or of plain decimals is converted by Arrow in C, any other column (a
    decimal comma, a clock time, a word) by pandas as before."""
    arr = _arrow_strings(s)
    if arr is not None:
        blank = pc.equal(arr, "")
        nulled = pc.if_else(blank, pa.scalar(None, arr.type), arr)
        for kind in (pa.int64(), pa.float64()):
            try:
                values = pc.cast(nulled, kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
            if kind == pa.int64() and values.null_count == 0:
                return pd.Series(values.to_numpy(), index=s.index)
            return pd.Series(values.to_numpy(zero_copy_only=False).astype("float64"),
                             index=s.index)
    return pd.to_numeric(s, errors="coerce")


def parse_seconds(series: pd.Series, unit: str = "s") -> pd.Series:
    """Durations → float seconds: numbers in ``unit`` (s, ms, min) or ``[H:]MM:SS`` texts."""
    s = series.astype(str).str.strip()
    num = _numbers(s)
    comma = num.isna() & s.str.contains(",", regex=False)
    if comma.any():  # decimal commas (1,5): only those values are rewritten
        num = num.fillna(pd.to_numeric(s[comma].str.replace(",", ".", regex=False),
                                       errors="coerce"))
    factor = {"s": 1, "ms": 0.001, "min": 60, "h": 3600}.get(unit, 1)
    out = num * factor
    texts = num.isna() & s.ne("")
    if not texts.any():  # the common case: plain numbers, no regex pass over the column
        return out
    clock = s[texts].str.extract(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
    as_clock = clock[0].astype(float).fillna(0) * 3600 + clock[1].astype(float) * 60 + \
        clock[2].astype(float)
    return out.fillna(as_clock)
