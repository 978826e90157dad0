"""Numbers are parsed by Arrow in C for the common case (a column of plain integers or
decimals, blanks allowed); anything else goes through pandas as before. Odd inputs — blanks,
words, decimal commas, clock times — give the same values, and a file of odd rows (30
February, unpadded fields, the nights the clocks change) the same contacts and the same
rejects (line, field, reason), either way. (Times in the mapping's format were tried through
Arrow's strptime too: slower than pandas' own ISO path once checked, so left to pandas.)"""
import pandas as pd
import pytest

from measurements.ingest import generic, tabular
from measurements.ingest.base import Options

FMT = "%Y-%m-%d %H:%M:%S"
ODD_NUMBERS = [["12", "0", "", "7"], ["12", "0", "7"], ["1.5", "", "2"], ["1,5", "2", ""],
               ["00:01:30", "5", ""], ["abc", "3"], ["nan", "1"], ["-4", "1e3", "+5"],
               ["", ""], ["inf", "2"]]


@pytest.fixture
def pandas_only(monkeypatch):
    """The parsers with the Arrow paths switched off: pandas alone, as before."""
    def use():
        monkeypatch.setattr(tabular, "_numbers", lambda s: pd.to_numeric(s, errors="coerce"))
    return use


@pytest.mark.parametrize("values", ODD_NUMBERS)
def test_odd_numbers_parse_the_same_with_and_without_arrow(values, pandas_only):
    texts = pd.Series(values, dtype="str")
    fast = tabular.parse_seconds(texts)
    pandas_only()
    pd.testing.assert_series_equal(fast, tabular.parse_seconds(texts))


MAPPING = {
    "columns": {"external_id": "id", "arrived_at": "arrived", "answered_at": "answered",
                "ended_at": "ended", "queue": "queue", "agent": "agent", "talk_s": "talk",
                "acw_s": "acw", "outcome": "outcome"},
    "datetime_format": FMT, "queue_kind": "acd",
}


def _read(path):
    chunks = list(generic.read(str(path), Options(time_zone="Europe/London", mapping=MAPPING,
                                                  name="odd.csv")))
    contacts = pd.concat([c.contacts for c in chunks], ignore_index=True)
    rejects = pd.concat([c.rejects for c in chunks], ignore_index=True)
    return contacts, rejects.sort_values(["line", "field"]).reset_index(drop=True)


def test_a_file_of_odd_rows_gives_the_same_contacts_and_rejects(tmp_path, pandas_only):
    rows = [
        "C1,2026-03-29 00:30:00,2026-03-29 00:31:00,2026-03-29 00:35:00,sales,a1,240,10,handled",
        "C2,2026-02-30 10:00:00,,2026-02-30 10:01:00,sales,,0,0,abandoned",
        "C3,2026-03-29 01:30:00,,2026-03-29 02:31:00,sales,,0,0,abandoned",
        "C4,2026-10-25 01:30:00,2026-10-25 01:31:00,2026-10-25 01:40:00,sales,a2,540,x,handled",
        "C5,,,,sales,,0,0,abandoned",
        "C6,yesterday,,2026-01-05 10:00:00,sales,,0,0,abandoned",
        "C7,2026-1-5 9:0:0,2026-01-05 09:01:00,2026-01-05 09:05:00,sales,a1,1.5,0,handled",
        "C8,2026-01-05 09:00:00,2026-01-05 09:01:00,2026-01-05 09:05:00,sales,a1,00:04:00,,handled",
    ]
    path = tmp_path / "odd.csv"
    path.write_text("id,arrived,answered,ended,queue,agent,talk,acw,outcome\n"
                    + "\n".join(rows) + "\n")
    fast_contacts, fast_rejects = _read(path)
    pandas_only()
    slow_contacts, slow_rejects = _read(path)
    pd.testing.assert_frame_equal(fast_contacts, slow_contacts)
    pd.testing.assert_frame_equal(fast_rejects, slow_rejects)
    reasons = {(r.line, r.field): r.reason for r in fast_rejects.itertuples()}
    # Line 3 (C2): 30 February is not a date (Arrow alone would have rolled it into March).
    assert reasons[(3, "arrived")] == f"not a date/time in format {FMT} between 1990 and 2100"
    assert (7, "arrived") in reasons  # "yesterday"
    assert (6, "arrived") in reasons  # blank arrival
    assert set(fast_contacts["external_id"]) >= {"C1", "C7", "C8"}
