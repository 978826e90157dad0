"""Evaluates catalogue formulas such as ``100 × Σ answered_le_{T}s / (Σ offered − Σ
abandoned_le_{S}s)`` over summed components. Only numbers, component names, + − × / and
parentheses are allowed (parsed with ``ast``, never ``eval``); formulas written in words (for
example percentiles or Erlang C) are not arithmetic and give ``None``. Pure: no Django."""
from __future__ import annotations

import ast
import operator
import re

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv}


def resolve_components(names, parameters):
    """Component names with ``{T}``/``{S}`` replaced by ``threshold_s``/``short_abandon_s``."""
    return [resolve_name(n, parameters) for n in names]


def resolve_name(name, parameters):
    out = name
    if "{T}" in out and "threshold_s" in parameters:
        out = out.replace("{T}", str(parameters["threshold_s"]))
    if "{S}" in out and "short_abandon_s" in parameters:
        out = out.replace("{S}", str(parameters["short_abandon_s"]))
    return out


def to_python(formula, parameters):
    """The formula as a Python expression over component names, or ``None``."""
    text = resolve_name(formula, parameters)
    text = text.replace("Σ", "").replace("×", "*").replace("−", "-")
    if not re.fullmatch(r"[\w\s.*/+\-()]+", text):
        return None
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Expression, ast.BinOp, ast.Name, ast.Load, ast.Constant,
                                 ast.UnaryOp, ast.USub, *_OPS)):
            return None
    return tree


def evaluate(formula, parameters, sums):
    """The formula's value for ``sums`` (component name → summed value); ``None`` when the
    formula is not arithmetic or a denominator is zero."""
    tree = to_python(formula, parameters)
    if tree is None:
        return None

    def run(node):
        if isinstance(node, ast.Expression):
            return run(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return sums[node.id]
        if isinstance(node, ast.UnaryOp):
            return -run(node.operand)
        left, right = run(node.left), run(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise ZeroDivisionError
        return _OPS[type(node.op)](left, right)

    try:
        return run(tree)
    except ZeroDivisionError:
        return None


def formula_names(formula, parameters):
    tree = to_python(formula, parameters)
    if tree is None:
        return []
    return sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
