"""Imports flow one way (stakeholders → reports → measurements → pathways → contactmis), and the
pure modules (ingest adapters, simulator, analysis, charts, periods, schedules, graph rules,
formulas) import nothing from Django or the apps — relative imports included.

Each guard is also fed a bad case (a small tree written to a temporary folder) to prove it fails.
"""
import ast
import re

import pytest

from tests.conftest import REPO

LAYERS = ["contactmis", "pathways", "measurements", "reports", "stakeholders"]
# Folders (whole packages) and single modules that must stay pure. Every entry must exist: a
# guard over a path that moved away guards nothing.
PURE = [
    "measurements/ingest",
    "measurements/simulator",
    "measurements/formula.py",
    "pathways/graph.py",
    "reports/analysis",
    "reports/charts.py",
    "reports/vocabulary.py",
    "reports/reporting/static_charts.py",
    "reports/periods.py",
    "stakeholders/schedules.py",
]
FORBIDDEN_IN_PURE = {"django", "rest_framework", "celery"}
# How a module (or a package, in its __init__) declares itself pure in its docstring.
PURE_DECLARATION = re.compile(r"\bPure(?: module| package| format adapters| analysis)?\b[:.( ]"
                              r"|\(pure:")


def module_name(path, root):
    """Dotted name of a source file under ``root`` (a package's ``__init__`` is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path, root):
    """``(line, dotted module)`` for every import in ``path``, relative imports resolved against
    the file's package (``from ..models import X`` in ``reports/analysis/kpis.py`` is
    ``reports.models``; ``from . import x`` is ``<package>.x``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > len(package):
                    yield node.lineno, "<beyond the top-level package>"
                    continue
                base = package[:len(package) - (node.level - 1)]
            else:
                base = []
            if node.module:
                yield node.lineno, ".".join([*base, node.module])
            else:
                for alias in node.names:
                    yield node.lineno, ".".join([*base, alias.name])


def python_files(path):
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.py") if "migrations" not in p.parts)


def _covered(dotted, pure_names):
    return any(dotted == name or dotted.startswith(name + ".") for name in pure_names)


def layer_offences(root, layers):
    """Imports of a higher layer from a lower one, as ``file:line imports module``."""
    offences = []
    for app in layers:
        higher = set(layers[layers.index(app) + 1:])
        for path in python_files(root / app):
            offences += [f"{path.relative_to(root)}:{line} imports {name}"
                         for line, name in imported_modules(path, root)
                         if name.split(".")[0] in higher]
    return offences


def pure_offences(root, pure, layers):
    """Imports from a pure module of Django, Celery, DRF, or any app module that is not itself
    pure (pure modules may use each other)."""
    pure_names = [module_name(root / p, root) for p in pure]
    offences = []
    for entry in pure:
        for path in python_files(root / entry):
            for line, name in imported_modules(path, root):
                top = name.split(".")[0]
                bad = (top in FORBIDDEN_IN_PURE or name.startswith("<")
                       or (top in layers and not _covered(name, pure_names)))
                if bad:
                    offences.append(f"{path.relative_to(root)}:{line} imports {name}")
    return offences


def missing_pure_paths(root, pure):
    return [p for p in pure if not (root / p).exists()]


def unguarded_pure_modules(root, pure, layers):
    """Modules whose docstring says they are pure but which no PURE entry covers."""
    pure_names = [module_name(root / p, root) for p in pure]
    out = []
    for app in layers:
        for path in python_files(root / app):
            doc = ast.get_docstring(ast.parse(path.read_text())) or ""
            if PURE_DECLARATION.search(doc) and not _covered(
                    module_name(path, root), pure_names):
                out.append(str(path.relative_to(root)))
    return out


# --- the guards, on the real tree --------------------------------------------------------------

def test_lower_apps_never_import_higher_ones():
    assert layer_offences(REPO, LAYERS) == []


def test_every_declared_pure_path_exists():
    assert missing_pure_paths(REPO, PURE) == []


def test_every_module_that_calls_itself_pure_is_guarded():
    assert unguarded_pure_modules(REPO, PURE, LAYERS) == []


def test_pure_modules_import_nothing_from_django_or_the_apps():
    assert pure_offences(REPO, PURE, LAYERS) == []


# --- each guard fed a bad case ----------------------------------------------------------------

def _tree(tmp_path, files):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in {p.parent for p in tmp_path.rglob("*.py")}:
        (folder / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize("source,expected", [
    ("from ..models import Contact\n", "reports.models"),
    ("from .. import models\n", "reports.models"),
    ("from reports.selectors import kpi_frame\n", "reports.selectors"),
    ("import django.db\n", "django.db"),
    ("from django.utils import timezone\n", "django.utils"),
    ("from .... import anything\n", "<beyond the top-level package>"),
])
def test_a_pure_module_importing_django_or_an_app_fails_the_guard(tmp_path, source, expected):
    root = _tree(tmp_path, {"reports/analysis/kpis.py": source, "reports/models.py": "",
                            "reports/selectors.py": ""})
    offences = pure_offences(root, ["reports/analysis"], ["reports"])
    assert offences == [f"reports/analysis/kpis.py:1 imports {expected}"]


def test_pure_modules_may_import_each_other_relatively(tmp_path):
    root = _tree(tmp_path, {"stakeholders/schedules.py": "from .periods import resolve\n",
                            "stakeholders/periods.py": "import datetime\n"})
    pure = ["stakeholders/periods.py", "stakeholders/schedules.py"]
    assert pure_offences(root, pure, ["stakeholders"]) == []
    assert pure_offences(root, ["stakeholders/schedules.py"], ["stakeholders"]) == [
        "stakeholders/schedules.py:1 imports stakeholders.periods"]


def test_an_import_of_a_higher_layer_fails_the_layer_guard(tmp_path):
    root = _tree(tmp_path, {"measurements/selectors.py": "from stakeholders.models import X\n",
                            "stakeholders/models.py": ""})
    assert layer_offences(root, ["measurements", "stakeholders"]) == [
        "measurements/selectors.py:1 imports stakeholders.models"]


def test_a_pure_path_that_no_longer_exists_fails_the_guard(tmp_path):
    root = _tree(tmp_path, {"reports/charts.py": ""})
    assert missing_pure_paths(root, ["reports/charts.py", "reports/analysis"]) == [
        "reports/analysis"]


def test_a_module_that_calls_itself_pure_but_is_not_listed_fails_the_guard(tmp_path):
    root = _tree(tmp_path, {
        "pathways/graph.py": '"""Graph rules. Pure: no Django."""\n',
        "pathways/views.py": '"""Views (they call the pure graph rules)."""\n',
    })
    assert unguarded_pure_modules(root, [], ["pathways"]) == ["pathways/graph.py"]
    assert unguarded_pure_modules(root, ["pathways/graph.py"], ["pathways"]) == []
