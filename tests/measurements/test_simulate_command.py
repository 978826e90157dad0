"""``manage.py simulate``: writes the files and manifest, and refuses bad options clearly."""
import json

import pytest
from django.core.management import CommandError, call_command


def test_simulate_writes_monthly_files_and_a_manifest(tmp_path, capsys):
    call_command("simulate", "--out", str(tmp_path), "--start", "2026-04-27", "--end",
                 "2026-05-03", "--seed", "5", "--scale", "0.3", "--timezone", "Europe/Paris")
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["centre"]["time_zone"] == "Europe/Paris"
    assert manifest["period"] == {"start": "2026-04-27", "end": "2026-05-03"}
    months = {f["month"] for s in manifest["sources"] for f in s["files"]}
    assert months == {"2026-04", "2026-05"}
    for source in manifest["sources"]:
        for f in source["files"]:
            assert (tmp_path / f["path"]).stat().st_size == f["size_bytes"]
    out = capsys.readouterr().out
    assert "Voice: service level" in out and "manifest.json" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--start", "2026-13-01", "--end", "2026-05-03"], "--start '2026-13-01' is not a date"),
    (["--start", "2026-05-03", "--end", "yesterday"], "--end 'yesterday' is not a date"),
    (["--start", "2026-05-03", "--end", "2026-05-01"], "--start 2026-05-03 is after --end"),
    (["--timezone", "Mars/Olympus"], "'Mars/Olympus' is not a known IANA time zone"),
    (["--scale", "0"], "--scale must be greater than 0"),
])
def test_simulate_refuses_bad_options_with_a_clear_message(tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate", "--out", str(tmp_path / "out"), *args)
    assert not (tmp_path / "out").exists()


def test_simulate_refuses_an_out_path_that_is_a_file(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("simulate", "--out", str(target), "--start", "2026-05-01", "--end",
                     "2026-05-01")
    assert target.read_text() == "keep me"
