"""Uploaded text never reaches raw HTML: the UI code passes only fixed markup of its own to
``st.html`` or ``unsafe_allow_html``, and shows data as escaped text."""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest
from app_support import run

from gapmodel.core.instrument import default_instrument
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv
from ui.filters import filter_key
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


HOSTILE_ATTRIBUTES = {
    "segments_attribute": ["A", "B"],  # a page widget's key
    "embed": ["yes", "no"],  # a query parameter of Streamlit's own
    "Region: EU": ["North", "South"],  # Altair shorthand would read a type after the colon
    "a.b": ["x", "y"],  # ... and a nested field in a dot
    "[x](http://e.vil)": ["1", "2"],  # a markdown link in a label
}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """A demo wave whose attribute columns are named to break the pages."""
    wide = generate_wave(240, 0, seed=3)
    wide = wide.with_columns(
        pl.Series(name, [values[k % 2] for k in range(wide.height)])
        for name, values in HOSTILE_ATTRIBUTES.items()
    )
    wave, report = prepare_wave(wave_csv(wide), "hostile.csv", default_instrument(), "1-7")
    assert wave is not None, report.to_text()
    path = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    with Store.open(path) as store:
        store.ingest_wave(wave, "W1")
    return path


@pytest.mark.parametrize("attribute", list(HOSTILE_ATTRIBUTES))
def test_attributes_named_to_break_the_pages_are_shown_as_text(hostile_db, monkeypatch, attribute):
    monkeypatch.setenv("GAPMODEL_DB", str(hostile_db))
    at = run("ui/pages/segments.py")
    assert not at.exception, [e.value for e in at.exception]
    box = at.sidebar.selectbox(key=filter_key(attribute))
    assert "](http" not in box.label  # the label's markdown is escaped
    box.set_value(HOSTILE_ATTRIBUTES[attribute][1]).run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="segments_attribute").set_value(attribute).run()  # compare its groups
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("vega_lite_chart")  # its chart is drawn
