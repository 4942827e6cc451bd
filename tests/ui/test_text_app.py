"""Look-alike and hostile text in the dashboard (AppTest): the targets file on the Overview, and
on the Data page control characters, an export uploaded as the next wave (CSV and XLSX), words
mixing Latin with Cyrillic look-alikes (a value, the wave label, a long file's item, a
questionnaire's dimension), a mapping attribute name of invisible characters and a mapping
measure with a look-alike. Each asserts the message, no exception, and for a refusal that the
commit is disabled and the database unchanged."""

from __future__ import annotations

import re

import polars as pl
import pytest
from app_support import run
from streamlit.testing.v1 import AppTest

from gapmodel.core.instrument import load_instrument
from gapmodel.ingest.mapping import mapping_csv
from gapmodel.ingest.proposal import propose
from gapmodel.ingest.readers import ReadOptions, read_table
from gapmodel.ingest.wave_export import wave_frame, write_frame
from gapmodel.tools.demo import generate_wave, wave_csv
from ui.store import open_store

KIOSK = "data/examples/kiosk"


def shown(text: str) -> str:
    """Text as the user reads it: without the markdown escapes and the autolink breakers."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def said(at: AppTest) -> list[str]:
    """Every error, warning, info and success, and every message of the validation report."""
    boxes = [shown(e.value) for kind in (at.error, at.warning, at.info, at.success) for e in kind]
    frames = [d.value for d in at.dataframe if "message" in d.value.columns]
    return boxes + [m for f in frames for m in f["message"].to_list()]


def uploader(at: AppTest, key: str):
    """The file uploader whose key starts with ``key``."""
    return next(u for u in at.get("file_uploader") if f"-{key}" in u.proto.id)


def upload(at: AppTest, name: str, data: bytes, label: str | None = None) -> AppTest:
    uploader(at, "data_file_").set_value((name, data, "application/octet-stream")).run()
    if label is not None:
        field = next(t for t in at.text_input if t.key.startswith("data_label_"))
        field.set_value(label).run()
    assert not at.exception
    return at


def commit(at: AppTest) -> None:
    at.button(key="data_commit").click().run()
    assert not at.exception


def refused(at: AppTest, store, before) -> None:
    assert at.button(key="data_commit").disabled
    assert store.checksums() == before


def stored(store, label: str) -> pl.DataFrame:
    return wave_frame(store, label)


def _wave(**columns: list[str]) -> bytes:
    frame = generate_wave(6, 0, seed=7)
    return wave_csv(frame.with_columns(pl.Series(c, v) for c, v in columns.items()))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name,target\nEmpathy,-0.2\nempathy\u200b,-0.3\n",
            "Rows 2 and 3 of the targets file",
        ),
        ("name,target\nEmpathy,-inf\n", "Row 2 of the targets file"),
        (
            "name,target\nEmpathy,-0.5\nEmpаthy,-0.1\n",
            "'Empаthy' (row 3; did you mean 'empathy'?; 'Empаthy' mixes Latin with look-alike "
            "letters: U+0430 CYRILLIC SMALL LETTER A)",
        ),
    ],
    ids=["duplicate", "non_finite", "unmatched"],
)
def test_the_overview_says_what_is_wrong_with_the_targets_file(
    demo, tmp_path, monkeypatch, text, message
):
    path = tmp_path / "targets.csv"
    path.write_text(text, "utf-8")
    monkeypatch.setenv("GAPMODEL_TARGETS", str(path))
    at = run()
    assert not at.exception
    warnings = [shown(w.value) for w in at.warning]
    assert any(message in w for w in warnings), warnings


def test_control_characters_are_dropped_and_said(demo):
    data = _wave(
        respondent_id=["R\x071", "R2\x1b[31m", "R3", "R4", "R5", "R6"],
        segment=["Ret\x85ail", "Tab\there"] + ["B"] * 4,
    )
    at = upload(run("ui/pages/data.py"), "ctl.csv", data, "ctl")
    assert sum("control characters" in m for m in said(at)) == 2  # one a column
    commit(at)
    wave = stored(open_store(str(demo.resolve())), "ctl")
    assert wave["respondent_id"].to_list()[:2] == ["R1", "R2[31m"]
    assert wave["segment"].to_list()[:2] == ["Retail", "Tab here"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_uploaded_as_the_next_wave_keeps_its_values(demo, fmt):
    formula_like = ["=1+1", "+SUM(A1)", "-x", "@cmd", "Retail", "Retail"]
    at = upload(run("ui/pages/data.py"), "first.csv", _wave(segment=formula_like), "first")
    commit(at)
    store = open_store(str(demo.resolve()))
    exported = write_frame(wave_frame(store, "first"), fmt)  # what `gapmodel export` writes
    upload(at, f"first.{fmt}", exported, "again")
    assert any("start with the ' that exports write" in m for m in said(at)), said(at)
    commit(at)
    assert stored(store, "again")["segment"].to_list() == formula_like


def test_a_mixed_script_value_and_wave_label_are_warned(demo):
    at = upload(
        run("ui/pages/data.py"),
        "mixed.csv",
        _wave(segment=["Rеtail"] * 3 + ["Retail"] * 3),
        "2026-Q4 Wаve",
    )
    messages = said(at)
    assert any("U+0435 CYRILLIC SMALL LETTER IE" in m for m in messages), messages
    assert any("'Wаve' (U+0430 CYRILLIC SMALL LETTER A)" in m for m in messages), messages
    commit(at)
    assert "2026-Q4 Wаve" in open_store(str(demo.resolve())).wave_labels()


def test_a_long_file_item_with_a_look_alike_is_refused(demo):
    store = open_store(str(demo.resolve()))
    before = store.checksums()
    data = (
        "respondent_id,stage,item,expectation,perception\n"
        "r1,pre_purchase,clear_materials,5,4\nr1,pre_purchase,clear_mаterials,5,4\n"
    ).encode()
    at = upload(run("ui/pages/data.py"), "long.csv", data, "long")
    messages = said(at)
    assert any(
        "it looks like 'clear_materials' but holds U+0430 CYRILLIC SMALL LETTER A" in m
        for m in messages
    ), messages
    refused(at, store, before)


def _kiosk(at: AppTest, instrument: str | None = None) -> AppTest:
    text = instrument or open(f"{KIOSK}/instrument.csv", encoding="utf-8").read()
    uploader(at, "data_instrument_").set_value(("kiosk.csv", text.encode(), "text/csv")).run()
    return upload(at, "wave-2026-10.csv", open(f"{KIOSK}/wave-2026-10.csv", "rb").read(), "k")


def test_a_questionnaire_with_hidden_or_mixed_names_is_used_with_warnings(demo):
    text = (
        open(f"{KIOSK}/instrument.csv", encoding="utf-8")
        .read()
        .replace("Ease of use", "Ease of\u200b use", 1)
        .replace("Speed & responsiveness", "Speed & rеsponsiveness", 1)
    )
    at = _kiosk(run("ui/pages/data.py"), text)
    warnings = [shown(w.value) for w in at.warning]
    assert any("U+200B ZERO WIDTH SPACE); it is read as 'Ease of use'" in w for w in warnings)
    assert any("'rеsponsiveness' (U+0435 CYRILLIC SMALL LETTER IE)" in w for w in warnings)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "Sex,attribute,,,,Sex,",
            "Sex,attribute,,,,\u200b\u2060,",
            "holds only invisible characters or spaces. Give the attribute a name",
        ),
        (
            "menu_clear.E,score,Kiosk,menu_clear,E,",
            "menu_clear.E,score,Kiosk,menu_clear,Е,",
            "Got 'Е' (U+0415 CYRILLIC CAPITAL LETTER IE).",
        ),
    ],
    ids=["attribute_name", "measure"],
)
def test_a_bad_mapping_file_is_refused(demo, old, new, message):
    store = open_store(str(demo.resolve()))
    before = store.checksums()
    table = read_table(open(f"{KIOSK}/wave-2026-10.csv", "rb").read(), "w.csv", ReadOptions())
    mapping = propose(table, load_instrument(f"{KIOSK}/instrument.csv"), ReadOptions())
    text = mapping_csv(mapping).decode("utf-8-sig")
    assert old in text
    at = _kiosk(run("ui/pages/data.py"))
    mapped = text.replace(old, new, 1).encode()
    uploader(at, "data_mapping_file_").set_value(("mapping.csv", mapped, "text/csv")).run()
    assert not at.exception
    messages = said(at)
    assert any(message in m for m in messages), messages
    commit_buttons = [b for b in at.button if b.key == "data_commit"]
    assert not commit_buttons or commit_buttons[0].disabled
    assert store.checksums() == before
