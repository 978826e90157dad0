"""One meaning per figure: no module but the resolver (``reports/semantics.py``) supplies a
service-level threshold, short-abandon threshold or target of its own. Thresholds come from the
measurement configurations and the metric catalogue, targets from the business plan; pages,
widgets, the API and the CLI pass explicit overrides, never defaults.

The guard walks every module of the apps with ``ast`` and reports any number (or dict of numbers)
given as a default to a name that means a threshold or target: parameter defaults, dataclass
field defaults, ``.get("target", 0.8)``-style fallbacks, form ``initial=`` values and module
constants. It is fed bad cases to prove it fails.
"""
import ast
import re

import pytest

from tests.conftest import REPO

APPS = ["contactmis", "pathways", "measurements", "reports", "stakeholders"]
RESOLVER = {"reports/semantics.py"}
# A simulation of a centre plans its own staff against its own service goal: it is a data
# generator, not a surface that judges figures.
EXEMPT_FOLDERS = ("measurements/simulator/",)
MEANING = re.compile(r"(^|_)(targets?|threshold_s|short_abandon_s)($|_)|sl_threshold",
                     re.IGNORECASE)


def _is_number(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
            and not isinstance(node.value, bool):
        return node.value != 0  # 0 stands for "none given", not for a threshold
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_number(node.operand)
    if isinstance(node, ast.Dict):
        return bool(node.values) and all(_is_number(v) for v in node.values)
    return False


def _name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""


def offences(source: str) -> list[str]:
    """``line: what`` for every number given as a default to a threshold- or target-like
    name in ``source``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):  # remember what a call's result is assigned to
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            node.value.assigned_to = " ".join(_name(t) for t in node.targets)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults,
                             strict=True))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                      if d is not None]
            found += [f"{d.lineno}: parameter {a.arg} = {ast.unparse(d)}"
                      for a, d in pairs if MEANING.search(a.arg) and _is_number(d)]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            if MEANING.search(_name(node.target)) and _is_number(node.value):
                found.append(f"{node.lineno}: field {_name(node.target)} = "
                             f"{ast.unparse(node.value)}")
        elif isinstance(node, ast.Assign):
            found += [f"{node.lineno}: {_name(t)} = {ast.unparse(node.value)}"
                      for t in node.targets
                      if MEANING.search(_name(t)) and _is_number(node.value)]
        elif isinstance(node, ast.Call):
            # .get("target", 0.8), _opt(widget, "target", 0.8)
            found += [f"{node.lineno}: {ast.unparse(node)}"
                      for arg, after in zip(node.args, node.args[1:], strict=False)
                      if isinstance(arg, ast.Constant) and MEANING.search(_name(arg))
                      and _is_number(after)]
            # target_sl = forms.FloatField(initial=0.8)
            parent = getattr(node, "assigned_to", "")
            found += [f"{node.lineno}: {parent} {kw.arg}={ast.unparse(kw.value)}"
                      for kw in node.keywords
                      if kw.arg in ("initial", "default") and _is_number(kw.value)
                      and MEANING.search(parent)]
    return found


def app_modules():
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            rel = str(path.relative_to(REPO))
            if "migrations" in path.parts or rel in RESOLVER or rel.startswith(EXEMPT_FOLDERS):
                continue
            yield path


def test_no_module_but_the_resolver_supplies_a_threshold_or_target_default():
    found = [f"{path.relative_to(REPO)}:{line}" for path in app_modules()
             for line in offences(path.read_text())]
    assert found == []


@pytest.mark.parametrize("source", [
    "def staffing(scope, target_sl=0.8):\n    pass\n",
    "def staffing(scope, *, threshold_s=20):\n    pass\n",
    "from dataclasses import dataclass\n@dataclass\nclass P:\n    sl_threshold_s: int = 20\n",
    "SL_TARGET = 0.8\n",
    "DEFAULT_TARGETS = {'service_level': 0.8, 'asa_s': 30}\n",
    "value = options.get('sl_threshold_s', 20)\n",
    "value = _opt(widget, 'target', 0.8)\n",
    "from django import forms\nclass F(forms.Form):\n"
    "    target_sl = forms.FloatField(initial=0.8)\n",
])
def test_the_guard_finds_a_default_threshold_or_target(source):
    assert offences(source), source


@pytest.mark.parametrize("source", [
    "def staffing(scope, target_sl=None):\n    pass\n",
    "value = options.get('sl_threshold_s')\n",
    "shrinkage = forms.FloatField(initial=0.3)\n",
    "def kpis(frame, quantiles=(0.5, 0.8)):\n    pass\n",
    "def anomalies(frame, threshold=3.5):\n    pass\n",
    "threshold_s = int(row.get('threshold_s', 0) or 0)\n",
])
def test_the_guard_lets_overrides_and_other_parameters_be(source):
    assert offences(source) == []
