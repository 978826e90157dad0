"""Benchmark figures in docs/benchmarks.md: one current section per benchmark — a new run
replaces the previous run's section — under a table of every benchmark's headline figure, each
with its date, the machine's load when it ran and the command that reproduces it."""
import datetime as dt
import os
import platform
import re

from tests.conftest import REPO

BENCHMARKS_MD = REPO / "docs" / "benchmarks.md"
TABLE_START = "<!-- current figures: rebuilt from the sections below by every benchmark run -->"
TABLE_END = "<!-- end of current figures -->"
HEADER = """# Benchmarks

`make bench` runs every benchmark in `tests/benchmarks/`; each prints its figures beside a
reference measured in the same run and replaces its own section below. The machine is named in
each section with its load average when the run started: on the shared 2-core machine these
figures are taken on, a load above 2 means other work competed for the cores, and wall-clock
figures are then pessimistic (CPU seconds are given where it matters).

"""
META = re.compile(r"<!-- figure: (?P<json>\{.*\}) -->")


def _command() -> str:
    """The command that reruns the benchmark being recorded (from pytest's current test)."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    node = current.rsplit(" (", 1)[0] if current else "tests/benchmarks"
    return f".venv/bin/python -m pytest '{node}' -m benchmark -s -p no:cacheprovider"


def _headline(lines: list[str]) -> str:
    """The first bold figure of the section, else its first bullet."""
    text = "\n".join(lines)
    bold = re.search(r"\*\*(.+?)\*\*", text)
    if bold:
        line = next(line for line in lines if bold.group(0) in line)
        return line.lstrip("- ").strip()
    bullet = next((line[2:].strip() for line in lines if line.startswith("- ")), "")
    return bullet or "see the section"


def _sections(doc: str) -> list[tuple[str, str]]:
    """(title, body) of every ``## `` section, in order."""
    parts = re.split(r"^## (.+)$", doc, flags=re.M)
    return [(parts[i].strip(), parts[i + 1].strip("\n")) for i in range(1, len(parts), 2)]


def _table(sections: list[tuple[str, str]], link: str = "") -> str:
    import json

    rows = ["| benchmark | headline figure | measured | load average (1 min) | reproduce |",
            "|---|---|---|---|---|"]
    for title, body in sections:
        meta = META.search(body)
        if not meta:
            continue
        m = json.loads(meta.group("json"))
        anchor = re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")
        headline = m["headline"].replace("|", "/")
        rows.append(f"| [{title}]({link}#{anchor}) | {headline} | {m['when']} | {m['load']} "
                    f"| `{m['command']}` |")
    return "\n".join([TABLE_START, "", *rows, "", TABLE_END])


def write(sections: list[tuple[str, str]]) -> None:
    """docs/benchmarks.md from its sections, the table of headline figures first; the same
    table replaces the one in the README (between the same markers)."""
    body = "\n\n".join(f"## {title}\n\n{text}" for title, text in sections)
    BENCHMARKS_MD.write_text(f"{HEADER}{_table(sections)}\n\n{body}\n")
    readme = REPO / "README.md"
    text = readme.read_text()
    if TABLE_START in text and TABLE_END in text:
        before, rest = text.split(TABLE_START, 1)
        after = rest.split(TABLE_END, 1)[1]
        readme.write_text(before + _table(sections, "docs/benchmarks.md") + after)


def record(title: str, lines: list[str], headline: str | None = None) -> None:
    """Print ``lines`` and make them the current section ``title`` of docs/benchmarks.md (the
    previous run's section of that title is replaced), with the date, machine, load and the
    command that reproduces them; ``headline`` (default: the first bold figure) goes into the
    table at the top."""
    import json

    text = "\n".join(lines)
    print(f"\n{title}\n{text}")
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    meta = {"headline": headline or _headline(lines), "when": when, "load": load,
            "command": _command()}
    body = (f"<!-- figure: {json.dumps(meta, ensure_ascii=False)} -->\n"
            f"_{when}, {platform.machine()}, Python {platform.python_version()}, "
            f"load average {load}_ · reproduce: `{meta['command']}`\n\n{text}")
    sections = _sections(BENCHMARKS_MD.read_text()) if BENCHMARKS_MD.exists() else []
    for i, (existing, _) in enumerate(sections):
        if existing == title:
            sections[i] = (title, body)
            break
    else:
        sections.append((title, body))
    write(sections)


def previous(title: str) -> tuple[dict, str] | None:
    """(figure metadata, body) of the section ``title`` as docs/benchmarks.md holds it now —
    the previous run's, for a benchmark to print beside its own — or ``None``."""
    import json

    if not BENCHMARKS_MD.exists():
        return None
    for name, body in _sections(BENCHMARKS_MD.read_text()):
        meta = META.search(body)
        if name == title and meta:
            return json.loads(meta.group("json")), body
    return None
