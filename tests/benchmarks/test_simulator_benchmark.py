"""Benchmark: simulate the default 13 months of the default centre, write every export, and
check the centre's KPIs are plausible. Prints the figures and appends them to
docs/benchmarks.md. Run with ``make bench``."""
import os
import time
from datetime import UTC, datetime

import pytest

from measurements.simulator import default_period, simulate, write_exports
from tests.conftest import REPO

ZONE = "Europe/London"


@pytest.mark.benchmark
def test_thirteen_months_default_centre(tmp_path):
    start, end = default_period(ZONE)
    began = time.perf_counter()
    result = simulate(start, end, seed=1)
    simulated = time.perf_counter() - began
    manifest = write_exports(result, tmp_path)
    total = time.perf_counter() - began
    size_mb = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file()) / 1e6
    days = len(result.calendar.days)
    rows = [("period", f"{start} to {end} ({days} days)"),
            ("contacts", f"{len(result.contacts):,} ({len(result.contacts) / days:,.0f} a day)"),
            ("queue legs", f"{len(result.legs):,}"),
            ("survey responses", f"{len(result.surveys):,}"),
            ("files", f"{sum(len(s['files']) for s in manifest['sources'])} ({size_mb:,.0f} MB)"),
            ("simulation", f"{simulated:.1f} s"), ("simulation + export", f"{total:.1f} s")]
    for label, system in (("in-house voice (Asterisk)", "asterisk"),
                          ("vendor voice (Connect)", "connect")):
        k = result.kpis("voice", system)
        rows.append((label, f"SL {k['service_level']:.1%}, abandon {k['abandon_rate']:.1%}, "
                            f"occupancy {k['occupancy']:.1%}, ASA {k['asa_s']:.0f} s, "
                            f"AHT {k['aht_s']:.0f} s"))
    for channel in ("chat", "email", "web_form"):
        k = result.kpis(channel)
        rows.append((channel, f"SL {k['service_level']:.1%}, abandon {k['abandon_rate']:.1%}"))
    width = max(len(label) for label, _ in rows)
    print("\nSimulator, default centre, 13 months, seed 1, "
          f"{os.cpu_count()} CPUs")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")

    docs = REPO / "docs" / "benchmarks.md"
    docs.parent.mkdir(exist_ok=True)
    if not docs.exists():
        docs.write_text("# Benchmarks\n\nFigures appended by `make bench` "
                        "(tests/benchmarks/).\n", encoding="utf-8")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with docs.open("a", encoding="utf-8") as fh:
        fh.write(f"\n## Simulator: 13 months, default centre ({stamp})\n\n"
                 "| measure | value |\n|---|---|\n")
        fh.writelines(f"| {label} | {value} |\n" for label, value in rows)

    inhouse = result.kpis("voice", "asterisk")
    assert 0.60 <= inhouse["service_level"] <= 0.95
    assert 0.02 <= inhouse["abandon_rate"] <= 0.15
    assert 0.70 <= inhouse["occupancy"] <= 0.92
    voice = result.kpis("voice")
    assert 0.60 <= voice["service_level"] <= 0.95
    assert 0.02 <= voice["abandon_rate"] <= 0.15
