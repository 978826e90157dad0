"""The binary COPY payloads the PostgreSQL loader sends, checked byte for byte against the
format written out field by field with ``struct`` (the server side is exercised by the
integration suite)."""
import datetime as dt
import struct

import numpy as np
import pandas as pd

from measurements.services import pgcopy
from measurements.services.ingest import _lookup

EPOCH_2000_US = 946_684_800 * 1_000_000


def _expected(rows, kinds):
    out = bytearray(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
    for row in rows:
        out += struct.pack(">h", len(row))
        for value, kind in zip(row, kinds, strict=True):
            if value is None:
                out += struct.pack(">i", -1)
            elif kind == "text":
                data = value.encode()
                out += struct.pack(">i", len(data)) + data
            elif kind == "date":
                out += struct.pack(">ii", 4, (value - dt.date(2000, 1, 1)).days)
            elif kind == "timestamptz":
                micros = int(pd.Timestamp(value).value // 1000) - EPOCH_2000_US
                out += struct.pack(">iq", 8, micros)
            else:
                fmt = {"int2": ">ih", "int4": ">ii", "int8": ">iq"}[kind]
                out += struct.pack(fmt, struct.calcsize(fmt) - 4, value)
    return bytes(out + struct.pack(">h", -1))


def test_payload_matches_the_format_field_by_field():
    spec = [("id", "int8"), ("seq", "int2"), ("kind", "text"), ("wait_s", "int4"),
            ("at", "timestamptz"), ("note", "text")]
    frame = pd.DataFrame({
        "id": [1, 2**40, 3],
        "seq": [0, 1, 2],
        "kind": pd.Series(["queue", "agent", "queue"], dtype="str"),
        "wait_s": pd.array([12, None, -5], dtype="Int64"),
        "at": pd.to_datetime(["2026-03-29T00:59:59Z", "1999-12-31T23:59:59Z", None], utc=True),
        "note": ["", "Zürich – café", None],
    })
    assert pgcopy.copy_payload(frame, spec) == _expected([
        (1, 0, "queue", 12, "2026-03-29T00:59:59Z", ""),
        (2**40, 1, "agent", None, "1999-12-31T23:59:59Z", "Zürich – café"),
        (3, 2, "queue", -5, None, ""),  # a missing text is stored as an empty text
    ], [k for _, k in spec])


def test_payload_of_a_slice_and_of_all_distinct_texts():
    ids = pd.Series([f"C{i:05d}" for i in range(10)], dtype="str")
    frame = pd.DataFrame({"external_id": ids, "n": np.arange(10)}).iloc[3:7]
    assert pgcopy.copy_payload(frame, [("external_id", "text"), ("n", "int8")]) == _expected(
        [(f"C{i:05d}", i) for i in range(3, 7)], ["text", "int8"])


def test_column_types_follow_the_model_fields():
    from measurements.models import Segment

    assert pgcopy.column_types(Segment, ["contact_id", "seq", "kind", "entered_at",
                                         "wait_s"]) == [
        ("contact_id", "int8"), ("seq", "int2"), ("kind", "text"),
        ("entered_at", "timestamptz"), ("wait_s", "int4")]


def test_lookup_maps_each_distinct_value_and_leaves_unknown_ones_empty():
    values = pd.Series(["Q1", "Q2", "", "Q1", None, "Q9"], dtype="str", index=range(10, 16))
    out = _lookup(values, {"Q1": 7, "Q2": 8})
    assert list(out.index) == list(range(10, 16))
    assert out.iloc[[0, 1, 3]].tolist() == [7, 8, 7]
    assert out.iloc[[2, 4, 5]].isna().all()


def test_rows_all_alike_and_dates_match_the_format():
    """Fixed-width values without NULL (the rollup rows) take the record-array layout; dates
    are days since 2000-01-01."""
    spec = [("id", "int8"), ("minute", "int2"), ("n", "int4"), ("at", "timestamptz"),
            ("day", "date")]
    frame = pd.DataFrame({
        "id": [1, 2**40, -3], "minute": [0, 1425, 7], "n": [5, 0, 2**31 - 1],
        "at": pd.to_datetime(["2026-03-29 00:45:00", "1999-12-31 23:59:59",
                              "2000-01-01 00:00:00"], utc=True),
        "day": [dt.date(2026, 3, 29), dt.date(1999, 12, 31), dt.date(2000, 1, 1)],
    })
    rows = [(1, 0, 5, frame["at"][0], dt.date(2026, 3, 29)),
            (2**40, 1425, 0, frame["at"][1], dt.date(1999, 12, 31)),
            (-3, 7, 2**31 - 1, frame["at"][2], dt.date(2000, 1, 1))]
    kinds = [k for _, k in spec]
    assert pgcopy.copy_payload(frame, spec) == _expected(rows, kinds)
    # One NULL and the same rows go value by value: the same bytes but for that field.
    with_null = frame.assign(n=frame["n"].astype("float").where(frame.index != 1))
    rows[1] = (2**40, 1425, None, frame["at"][1], dt.date(1999, 12, 31))
    assert pgcopy.copy_payload(with_null, spec) == _expected(rows, kinds)


def test_rows_cut_into_pieces_whatever_the_order_of_their_columns():
    """A column with NULLs first, texts side by side and last, fixed values between: each row
    is joined from its pieces in column order; no rows give the header and trailer alone."""
    spec = [("queue_id", "int8"), ("kind", "text"), ("outcome", "text"), ("wait_s", "int4"),
            ("seq", "int2"), ("answered_at", "timestamptz"), ("agent", "text")]
    frame = pd.DataFrame({
        "queue_id": [None, 4.0, None, 2.0], "kind": ["queue", "agent", "ivr", "queue"],
        "outcome": ["", "completed", "contained", "abandoned"], "wait_s": [0, 3, 70000, 5],
        "seq": [1, 2, 1, 1],
        "answered_at": pd.to_datetime([None, "2026-01-01T08:00:00Z", None, None], utc=True),
        "agent": ["", "Åsa", "", "b"],
    })
    rows = [(None, "queue", "", 0, 1, None, ""),
            (4, "agent", "completed", 3, 2, "2026-01-01T08:00:00Z", "Åsa"),
            (None, "ivr", "contained", 70000, 1, None, ""),
            (2, "queue", "abandoned", 5, 1, None, "b")]
    kinds = [k for _, k in spec]
    assert pgcopy.copy_payload(frame, spec) == _expected(rows, kinds)
    assert pgcopy.copy_payload(frame.iloc[1:3], spec) == _expected(rows[1:3], kinds)
    assert pgcopy.copy_payload(frame.iloc[:0], spec) == _expected([], kinds)
