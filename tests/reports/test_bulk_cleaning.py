"""Table cells and period labels are cleaned once per distinct value, then spread to the rows:
the result is the one the cell-by-cell cleaning gives, for every kind of column a table holds."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from reports.analyses import _as_text, _clean, _clean_column, records

LONDON_SPRING = pd.date_range("2026-03-29", periods=5, freq="h", tz="Europe/London")
COLUMNS = {
    "local instants with a gap": pd.Series(LONDON_SPRING.insert(2, pd.NaT)),
    "naive days": pd.Series(pd.date_range("2026-12-30", periods=4, freq="D")).repeat(3),
    "text with missing": pd.Series(["voice", None, "email", "voice", np.nan]),
    "string dtype": pd.Series(["a", pd.NA, "b"], dtype="string"),
    "nullable booleans": pd.Series([True, None, False], dtype="boolean"),
    "categories": pd.Series(pd.Categorical(["Mon", "Tue", None, "Mon"])),
    "dates": pd.Series([dt.date(2026, 1, 1), None, dt.date(2026, 1, 1)]),
    "mixed (1 and True are not merged)": pd.Series([1, True, "x", 1.0], dtype=object),
    "floats": pd.Series([1.5, np.nan, np.inf]),
    "integers": pd.Series([1, 2, 3]),
    "empty": pd.Series([], dtype=object),
}


@pytest.mark.parametrize("column", COLUMNS.values(), ids=COLUMNS.keys())
def test_a_column_cleaned_in_bulk_is_the_column_cleaned_cell_by_cell(column):
    expected = [_clean(v) for v in column.to_list()]
    got = _clean_column(column)
    assert got == expected
    assert [type(v) for v in got] == [type(v) for v in expected]


def test_records_of_a_kpi_like_frame():
    frame = pd.DataFrame({"period_start": LONDON_SPRING, "channel": ["voice"] * 5,
                          "service_level": [0.8, np.nan, 0.9, 1.0, 0.5]})
    rows = records(frame)
    assert rows[1] == {"period_start": "2026-03-29T02:00:00+01:00", "channel": "voice",
                       "service_level": None}


@pytest.mark.parametrize("length", [10, 16])
@pytest.mark.parametrize("column", [COLUMNS["local instants with a gap"], COLUMNS["naive days"],
                                    pd.Series([], dtype="datetime64[ns, UTC]"),
                                    pd.Series([pd.Timestamp("2026-01-01"), None], dtype=object)])
def test_period_labels_written_once_per_value_are_the_labels_astype_writes(column, length):
    pd.testing.assert_series_equal(_as_text(column, length), column.astype(str).str[:length])
