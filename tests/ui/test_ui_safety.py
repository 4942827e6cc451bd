"""Uploaded text never reaches raw HTML: the UI code passes only fixed markup of its own to
``st.html`` or ``unsafe_allow_html``, and shows data as escaped text."""

from __future__ import annotations

import ast
from pathlib import Path

from gapmodel.core.settings import PROJECT_ROOT
from ui.text import plain

UI_FILES = sorted((PROJECT_ROOT / "ui").rglob("*.py")) + [PROJECT_ROOT / "dashboard.py"]


def _raw_html_calls(path: Path) -> list[ast.Call]:
    """Calls that render raw HTML: st.html(...) or anything with unsafe_allow_html=True."""
    calls = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        unsafe = any(
            k.arg == "unsafe_allow_html"
            and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in node.keywords
        )
        if name == "html" or unsafe:
            calls.append(node)
    return calls


def _module_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def test_raw_html_only_ever_gets_fixed_markup():
    checked = 0
    for path in UI_FILES:
        constants = _module_constants(path)
        for call in _raw_html_calls(path):
            argument = call.args[0]
            fixed = isinstance(argument, ast.Constant) or (
                isinstance(argument, ast.Name) and argument.id in constants
            )
            assert fixed, f"{path.name}:{call.lineno} passes computed text as raw HTML"
            checked += 1
    assert checked >= 1  # the page style: the check does look at real calls


def test_plain_makes_markup_inert():
    hostile = '<img src=x onerror="alert(1)"> [link](javascript:alert(1)) **bold** `code`'
    shown = plain(hostile)
    for character in "<>[]()*`":
        assert f"\\{character}" in shown
