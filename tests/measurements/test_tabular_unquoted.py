"""Files without quotes are read a block at a time (numpy counts each line's fields, Arrow
splits the good lines): the frames, line numbers and rejected lines are those the record-by-
record reader gives, whatever the file's blank lines, line ends and defects."""
import pandas as pd
import pytest

from measurements.ingest import tabular

CASES = {
    "plain": "id,at,queue\n1,2026-03-02 09:00,sales\n2,2026-03-02 09:01,support\n",
    "crlf and no final newline": "id,at,queue\r\n1,x,sales\r\n2,y,support",
    "blank lines": "id,at,queue\n\n1,x,sales\n\n\n2,y,support\n\n",
    "too many and too few fields": "id,at,queue\n1,x,sales,extra\n2,y\n3,z,ok\n,,\n",
    "a cut-off last line": "id,at,queue\n1,x,sales\n2,y",
    "spaces after the delimiter": "id, at, queue\n1, x,  sales \n 2,y , z\n",
    "byte-order mark and accents": "\ufeffid,at,queue\n1,é,Ünïcode\n",
    "empty fields": "id,at,queue\n,,\n1,,\n",
    "header only": "id,at,queue\n",
    "a field over the csv module's limit": "id,at,queue\n1,x,y\n2," + "x" * 200_000
    + ",z\n3," + "y" * 200_000 + "\n4,x,y\n",
}


def _frames(path, delimiter=",", **kwargs):
    frames = list(tabular.chunks(path, "f.csv", delimiter, "utf-8-sig", 2, **kwargs))
    return [(f.astype(object).to_dict("split"), f.attrs.get("bad_lines")) for f in frames]


def _rows(frames):
    return [(line, tuple(row)) for split, _ in frames
            for line, row in zip(split["index"], split["data"], strict=True)]


@pytest.mark.parametrize("content", CASES.values(), ids=CASES.keys())
def test_unquoted_files_read_as_the_record_reader_reads_them(tmp_path, content):
    path = tmp_path / "f.csv"
    path.write_bytes(content.encode("utf-8"))
    assert tabular._unquoted(path)
    fast = _frames(path)
    slow = _frames(path, errors="replace")  # any other setting takes the record reader
    assert _rows(fast) == _rows(slow)
    assert [b for _, bad in fast for b in bad] == [b for _, bad in slow for b in bad]


def test_a_quote_or_a_lone_carriage_return_takes_the_record_reader(tmp_path):
    quoted = tmp_path / "q.csv"
    quoted.write_text('id,note\n1,"a, b"\n')
    lone = tmp_path / "r.csv"
    lone.write_bytes(b"id,note\r1,a\r")
    assert not tabular._unquoted(quoted) and not tabular._unquoted(lone)
    frame = next(tabular.chunks(quoted, "q.csv", ",", "utf-8", 10))
    assert frame.loc[2, "note"] == "a, b"


def test_tab_separated_values_with_a_bad_line(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\n1\t2\n3\n4\t5\n")
    frame = pd.concat(f for f in tabular.chunks(path, "t.tsv", "\t", "utf-8", 10))
    assert frame.index.tolist() == [2, 4]
    assert frame.attrs["bad_lines"] == [(3, "expected 2 fields, found 1 (the row is cut off)",
                                         "3")]
