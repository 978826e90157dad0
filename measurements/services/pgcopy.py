"""PostgreSQL binary ``COPY`` payloads built by numpy, a whole column at a time.

The loader writes millions of contacts and legs per batch. Formatting them as CSV text costs the
client one Python-level conversion per value and the server a text parse per value (timestamps
above all); the binary format is fixed-width big-endian integers, which numpy lays out in bulk and
the server copies as they are.

Format (PostgreSQL "COPY … WITH (FORMAT binary)"): the 19-byte header, then per row a 16-bit
field count and per field a 32-bit length (−1 for NULL) followed by the value's bytes, then a
16-bit −1 trailer. Values: ``int2``/``int4``/``int8`` big-endian; ``timestamptz`` as 64-bit
microseconds since 2000-01-01 00:00 UTC; ``date`` as 32-bit days since 2000-01-01;
``text``/``varchar`` as UTF-8 bytes.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in microseconds since 1970
PG_EPOCH_DAYS = 10_957  # 2000-01-01 in days since 1970-01-01
WIDTH = {"int2": 2, "int4": 4, "int8": 8, "timestamptz": 8, "date": 4}

# Django field type → binary COPY type of its column.
FIELD_TYPES = {
    "AutoField": "int4", "BigAutoField": "int8", "SmallAutoField": "int2",
    "IntegerField": "int4", "PositiveIntegerField": "int4",
    "BigIntegerField": "int8", "PositiveBigIntegerField": "int8",
    "SmallIntegerField": "int2", "PositiveSmallIntegerField": "int2",
    "DateTimeField": "timestamptz", "DateField": "date", "CharField": "text",
    "TextField": "text",
}


def column_types(model, columns) -> list[tuple[str, str]]:
    """``(column, binary type)`` for ``columns`` of ``model``'s table (a foreign key takes the
    type of the key it points at)."""
    out = []
    for name in columns:
        field = next(f for f in model._meta.concrete_fields if f.column == name)
        if field.is_relation:
            field = field.target_field
        out.append((name, FIELD_TYPES[field.get_internal_type()]))
    return out


def _fixed(values: np.ndarray, kind: str) -> np.ndarray:
    """One fixed-width column's values as big-endian bytes, an n × width uint8 array."""
    width = WIDTH[kind]
    return values.astype(f">i{width}").view(np.uint8).reshape(-1, width)


def _column(series: pd.Series, kind: str):
    """(lengths, payload) of one column: lengths an int64 array (−1 for NULL); payload either an
    n × width uint8 array (fixed width; rows of NULLs are ignored) or the concatenated UTF-8
    bytes of the texts in row order."""
    n = len(series)
    if kind == "text":
        # An Arrow string array is the payload already: its data buffer holds the UTF-8
        # bytes of the rows back to back, its offsets their boundaries.
        texts = pa.array(series.fillna("").to_numpy(dtype=object) if series.dtype == object
                         else series.fillna(""), type=pa.large_string())
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        _, offsets, data = texts.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int64)[texts.offset:texts.offset + n + 1]
        blob = np.frombuffer(data, dtype=np.uint8) if data is not None else \
            np.empty(0, dtype=np.uint8)
        return np.diff(bounds), blob[bounds[0]:bounds[-1]]
    if kind == "timestamptz":
        utc = series if series.dt.tz is None else series.dt.tz_convert("UTC").dt.tz_localize(None)
        raw = utc.to_numpy(dtype="datetime64[us]")
        null = np.isnat(raw)
        values = raw.astype(np.int64) - PG_EPOCH_US
    elif kind == "date":
        raw = pd.to_datetime(series).to_numpy(dtype="datetime64[D]")
        null = np.isnat(raw)
        values = raw.astype(np.int64) - PG_EPOCH_DAYS
    else:
        numbers = pd.to_numeric(series, errors="coerce")
        null = numbers.isna().to_numpy()
        values = numbers.fillna(0).to_numpy(dtype=np.int64)
    lengths = np.where(null, -1, WIDTH[kind]).astype(np.int64)
    return lengths, _fixed(values, kind)


def _spread(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indexes ``starts[i] … starts[i] + lengths[i] − 1`` for every i, concatenated."""
    total = int(lengths.sum())
    before = np.cumsum(lengths) - lengths
    return np.repeat(starts - before, lengths) + np.arange(total, dtype=np.int64)


def copy_payload(frame: pd.DataFrame, spec: list[tuple[str, str]]) -> bytes:
    """The binary COPY payload of ``frame``'s columns named in ``spec`` (``(name, type)``)."""
    n = len(frame)
    columns = [_column(frame[name], kind) for name, kind in spec]
    if n and all(kind != "text" and lengths.min() >= 0
                 for (lengths, _), (_, kind) in zip(columns, spec, strict=True)):
        return _fixed_rows(n, columns, spec)
    return _payload_by_value(n, columns, spec)


def _payload_by_value(n, columns, spec) -> bytes:
    """The payload of any rows: each value's length and bytes written at its own offset."""
    row_sizes = np.full(n, 2, dtype=np.int64)
    for lengths, _ in columns:
        row_sizes += 4 + np.maximum(lengths, 0)
    starts = np.empty(n, dtype=np.int64)
    starts[0:1] = len(HEADER)
    np.cumsum(row_sizes[:-1], out=starts[1:])
    if n > 1:
        starts[1:] += len(HEADER)
    total = len(HEADER) + int(row_sizes.sum()) + len(TRAILER)
    out = np.empty(total, dtype=np.uint8)
    out[:len(HEADER)] = np.frombuffer(HEADER, dtype=np.uint8)
    out[total - len(TRAILER):] = np.frombuffer(TRAILER, dtype=np.uint8)
    _scatter(out, starts, np.full(n, len(spec), dtype=">i2").view(np.uint8).reshape(n, 2))
    pos = starts + 2
    for (lengths, payload), (_, kind) in zip(columns, spec, strict=True):
        _scatter(out, pos, lengths.astype(">i4").view(np.uint8).reshape(n, 4))
        pos += 4
        if kind == "text":
            if len(payload):
                out[_spread(pos, lengths)] = payload
            pos += lengths
        else:
            present = lengths >= 0
            if present.all():
                _scatter(out, pos, payload)
            elif present.any():
                _scatter(out, pos[present], payload[present])
            pos += np.maximum(lengths, 0)
    return out.tobytes()


def _fixed_rows(n, columns, spec) -> bytes:
    """The payload of rows that are all alike (fixed-width values, no NULL): one record array
    whose fields are the row's field count, then each value's length and value (big-endian
    integers, copied a whole column at a time)."""
    fields = [("count", ">i2")]
    for i, (_, kind) in enumerate(spec):
        fields += [(f"len{i}", ">i4"), (f"val{i}", f">i{WIDTH[kind]}")]
    rows = np.empty(n, dtype=np.dtype(fields))
    rows["count"] = len(spec)
    for i, ((_, payload), (_, kind)) in enumerate(zip(columns, spec, strict=True)):
        rows[f"len{i}"] = WIDTH[kind]
        rows[f"val{i}"] = np.ascontiguousarray(payload).view(f">i{WIDTH[kind]}").reshape(n)
    return HEADER + rows.tobytes() + TRAILER


def _scatter(out: np.ndarray, starts: np.ndarray, rows: np.ndarray):
    """Write ``rows[i]`` (each ``width`` bytes) at ``out[starts[i]:starts[i] + width]``."""
    width = rows.shape[1]
    out[starts[:, None] + np.arange(width, dtype=np.int64)] = rows


def copy_sql(table: str, spec: list[tuple[str, str]]) -> str:
    return f"COPY {table} ({', '.join(n for n, _ in spec)}) FROM STDIN WITH (FORMAT binary)"


def copy_payload_send(cursor, sql: str, payload: bytes):
    """Send a payload built by :func:`copy_payload` (``cursor``: a psycopg2 cursor)."""
    cursor.copy_expert(sql, io.BytesIO(payload), size=1 << 20)


def copy_frame(cursor, table: str, frame: pd.DataFrame, spec: list[tuple[str, str]]):
    """``COPY table (spec columns) FROM STDIN`` in binary from ``frame`` (``cursor`` is a
    psycopg2 cursor, e.g. Django's ``cursor.cursor``)."""
    if not frame.empty:
        copy_payload_send(cursor, copy_sql(table, spec), copy_payload(frame, spec))
