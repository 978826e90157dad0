"""PostgreSQL binary ``COPY`` payloads built by numpy, a whole column at a time.

The loader writes millions of contacts and legs per batch. Formatting them as CSV text costs the
client one Python-level conversion per value and the server a text parse per value (timestamps
above all); the binary format is fixed-width big-endian integers, which numpy lays out in bulk and
the server copies as they are. Rows of varying width (texts, NULLs) are joined from those blocks
and their variable pieces by Arrow, in native code.

Format (PostgreSQL "COPY … WITH (FORMAT binary)"): the 19-byte header, then per row a 16-bit
field count and per field a 32-bit length (−1 for NULL) followed by the value's bytes, then a
16-bit −1 trailer. Values: ``int2``/``int4``/``int8`` big-endian; ``timestamptz`` as 64-bit
microseconds since 2000-01-01 00:00 UTC; ``date`` as 32-bit days since 2000-01-01;
``text``/``varchar`` as UTF-8 bytes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def copy_payload(frame: pd.DataFrame, spec: list[tuple[str, str]]) -> memoryview:
    """The binary COPY payload of ``frame``'s columns named in ``spec`` (``(name, type)``), as
    a view of its bytes (compares equal to them)."""
    n = len(frame)
    columns = [_column(frame[name], kind) for name, kind in spec]
    if n and all(kind != "text" and lengths.min() >= 0
                 for (lengths, _), (_, kind) in zip(columns, spec, strict=True)):
        return _fixed_rows(n, columns, spec)
    return _payload_joined(n, columns, spec)


_NOTHING = pa.scalar(b"", type=pa.large_binary())


def _pieces(lengths: np.ndarray, data: np.ndarray) -> pa.Array:
    """A binary array of ``len(lengths)`` values: ``data`` cut in row order into pieces of
    ``lengths`` bytes (no copy)."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return pa.Array.from_buffers(pa.large_binary(), len(lengths),
                                 [None, pa.py_buffer(offsets),
                                  pa.py_buffer(np.ascontiguousarray(data))])


def _payload_joined(n, columns, spec) -> memoryview:
    """The payload of any rows. Each row is cut into pieces: runs of fixed-width bytes (the
    field count, every value's length, the values of columns without NULL) laid out by numpy
    as an n × width block, between the variable ones (texts, values of columns with NULLs);
    Arrow joins the pieces of each row end to end, a row at a time in native code, into the
    payload itself (the header rides on the first row's first piece, the trailer on the last
    row's last piece)."""
    if not n:
        return memoryview(HEADER + TRAILER)
    cuts = []  # (bytes per row, the rows' bytes back to back) of each piece
    block = [np.full(n, len(spec), dtype=">i2").view(np.uint8).reshape(n, 2)]
    for (lengths, payload), (_, kind) in zip(columns, spec, strict=True):
        block.append(lengths.astype(">i4").view(np.uint8).reshape(n, 4))
        present = lengths >= 0
        if kind != "text" and present.all():
            block.append(payload)
            continue
        fixed = np.hstack(block)
        cuts.append((np.full(n, fixed.shape[1], dtype=np.int64), fixed.reshape(-1)))
        block = []
        if kind == "text":
            cuts.append((lengths.copy(), payload))
        else:
            cuts.append((np.where(present, WIDTH[kind], 0), payload[present].reshape(-1)))
    if block:
        fixed = np.hstack(block)
        cuts.append((np.full(n, fixed.shape[1], dtype=np.int64), fixed.reshape(-1)))
    (first_lengths, first), (last_lengths, last) = cuts[0], cuts[-1]
    first_lengths[0] += len(HEADER)
    cuts[0] = (first_lengths, np.concatenate([np.frombuffer(HEADER, dtype=np.uint8), first]))
    if len(cuts) == 1:
        last_lengths, last = cuts[0]
    last_lengths[-1] += len(TRAILER)
    cuts[-1] = (last_lengths, np.concatenate([last, np.frombuffer(TRAILER, dtype=np.uint8)]))
    pieces = [_pieces(lengths, data) for lengths, data in cuts]
    rows = pc.binary_join_element_wise(*pieces, _NOTHING) if len(pieces) > 1 else pieces[0]
    _, offsets, data = rows.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[rows.offset:rows.offset + n + 1]
    return memoryview(data).cast("B")[bounds[0]:bounds[-1]]


def _framed(body: np.ndarray) -> memoryview:
    """Header, ``body`` (the rows' bytes) and trailer in one buffer, copied once."""
    out = np.empty(len(HEADER) + len(body) + len(TRAILER), dtype=np.uint8)
    out[:len(HEADER)] = np.frombuffer(HEADER, dtype=np.uint8)
    out[len(HEADER):len(out) - len(TRAILER)] = body
    out[len(out) - len(TRAILER):] = np.frombuffer(TRAILER, dtype=np.uint8)
    return memoryview(out)


def _fixed_rows(n, columns, spec) -> memoryview:
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
    return _framed(rows.view(np.uint8))


def copy_sql(table: str, spec: list[tuple[str, str]]) -> str:
    return f"COPY {table} ({', '.join(n for n, _ in spec)}) FROM STDIN WITH (FORMAT binary)"


class _Reader:
    """A payload read as a file, a block at a time (never copied whole)."""

    def __init__(self, payload):
        self.view = memoryview(payload).cast("B")
        self.at = 0

    def read(self, size=-1) -> bytes:
        end = len(self.view) if size is None or size < 0 else self.at + size
        block = self.view[self.at:end].tobytes()
        self.at += len(block)
        return block


def copy_payload_send(cursor, sql: str, payload):
    """Send a payload built by :func:`copy_payload` (``cursor``: a psycopg2 cursor)."""
    cursor.copy_expert(sql, _Reader(payload), size=1 << 20)


def copy_frame(cursor, table: str, frame: pd.DataFrame, spec: list[tuple[str, str]]):
    """``COPY table (spec columns) FROM STDIN`` in binary from ``frame`` (``cursor`` is a
    psycopg2 cursor, e.g. Django's ``cursor.cursor``)."""
    if not frame.empty:
        copy_payload_send(cursor, copy_sql(table, spec), copy_payload(frame, spec))
