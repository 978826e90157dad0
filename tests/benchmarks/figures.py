"""Append benchmark figures to docs/benchmarks.md (one section per run)."""
import datetime as dt
import platform

from tests.conftest import REPO

BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"


def record(title: str, lines: list[str]):
    """Print ``lines`` and append them under ``title`` with the date and machine."""
    text = "\n".join(lines)
    print(f"\n{title}\n{text}")
    if not BENCHMARKS_MD.exists():
        BENCHMARKS_MD.write_text("# Benchmarks\n\nFigures appended by `make bench` "
                                 "(tests/benchmarks/).\n")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with BENCHMARKS_MD.open("a") as fh:
        fh.write(f"\n## {title}\n\n_{stamp}, {platform.machine()}, "
                 f"Python {platform.python_version()}_\n\n{text}\n")
