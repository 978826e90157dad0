"""Imports flow one way (stakeholders → reports → measurements → pathways → contactmis), and the
pure modules (ingest adapters, analysis, charts) import nothing from Django or the apps."""
import ast

import pytest

from tests.conftest import REPO

LAYERS = ["contactmis", "pathways", "measurements", "reports", "stakeholders"]
PURE = [
    REPO / "measurements" / "ingest",
    REPO / "measurements" / "simulator",
    REPO / "reports" / "analysis",
    REPO / "reports" / "charts.py",
]
FORBIDDEN_IN_PURE = {"django", "rest_framework", "celery", *LAYERS}


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def _python_files(root):
    if root.is_file():
        return [root]
    return [p for p in root.rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("app", LAYERS)
def test_lower_apps_never_import_higher_ones(app):
    higher = set(LAYERS[LAYERS.index(app) + 1:])
    offences = [f"{path.relative_to(REPO)}:{line} imports {name}"
                for path in _python_files(REPO / app)
                for line, name in _imports(path) if name in higher]
    assert offences == []


def test_pure_modules_import_nothing_from_django_or_the_apps():
    offences = []
    for root in PURE:
        if not root.exists():
            continue
        for path in _python_files(root):
            offences += [f"{path.relative_to(REPO)}:{line} imports {name}"
                         for line, name in _imports(path) if name in FORBIDDEN_IN_PURE]
    assert offences == []
