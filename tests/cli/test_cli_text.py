"""Look-alike and hostile text on the command line: control characters in ids and values, an
export read back as the next wave (CSV and XLSX), words mixing Latin with Cyrillic look-alikes
(values, the wave label, a long file's item, a questionnaire's dimension), a mapping attribute
name of invisible characters and a mapping measure with a look-alike. Each case asserts the
message, no traceback, the exit code (1 refused, 0 with warnings) and, when refused, that the
database is unchanged."""

from __future__ import annotations

import hashlib
import subprocess

import polars as pl
import pytest
from cli_support import run_cli

from gapmodel.core.instrument import load_instrument
from gapmodel.ingest.mapping import mapping_csv
from gapmodel.ingest.proposal import propose
from gapmodel.ingest.readers import ReadOptions, read_table
from gapmodel.ingest.wave_export import wave_frame
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv

KIOSK = "data/examples/kiosk"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ok(done: subprocess.CompletedProcess, *warned: str) -> None:
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    for text in warned:
        assert text in done.stderr, done.stderr


def _refused(done: subprocess.CompletedProcess, *says: str) -> None:
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    for text in says:
        assert text in done.stderr + done.stdout, done.stderr


def _stored(db, label: str) -> pl.DataFrame:
    with Store.open(db, read_only=True) as store:
        return wave_frame(store, label)


def _wave(tmp_path, name: str = "wave.csv", **columns: list[str]):
    frame = generate_wave(6, 0, seed=7)
    frame = frame.with_columns(pl.Series(c, v) for c, v in columns.items())
    path = tmp_path / name
    path.write_bytes(wave_csv(frame))
    return path


def test_control_characters_in_ids_and_values_are_dropped_with_a_warning(demo_copy, tmp_path):
    ids = ["R\x071", "R2\x1b[31m", "R3", "R4", "R5", "R6"]
    path = _wave(tmp_path, respondent_id=ids, segment=["Ret\x85ail", "Tab\there"] + ["B"] * 4)
    done = run_cli("validate", str(path), "--db", str(demo_copy))
    _ok(done)
    assert "control characters" in done.stdout
    done = run_cli("ingest", str(path), "--wave", "ctl", "--db", str(demo_copy))
    _ok(done, "control characters")
    stored = _stored(demo_copy, "ctl")
    assert stored["respondent_id"].to_list()[:2] == ["R1", "R2[31m"]
    assert stored["segment"].to_list()[:2] == ["Retail", "Tab here"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_ingested_as_the_next_wave_keeps_its_values(demo_copy, tmp_path, fmt):
    formula_like = ["=1+1", "+SUM(A1)", "-x", "@cmd", "Retail", "Retail"]
    path = _wave(tmp_path, segment=formula_like)
    _ok(run_cli("ingest", str(path), "--wave", "first", "--db", str(demo_copy)))
    out = tmp_path / f"export.{fmt}"
    _ok(run_cli("export", "first", "--out", str(out), "--db", str(demo_copy)))
    done = run_cli("ingest", str(out), "--wave", "again", "--db", str(demo_copy))
    _ok(done, "start with the ' that exports write before formula-like text")
    assert _stored(demo_copy, "again")["segment"].to_list() == formula_like


def test_a_mixed_script_value_is_warned_with_its_code_point(demo_copy, tmp_path):
    path = _wave(tmp_path, segment=["Rеtail"] * 3 + ["Retail"] * 3)  # a Cyrillic е
    done = run_cli("ingest", str(path), "--wave", "mixed", "--db", str(demo_copy))
    _ok(done, "U+0435 CYRILLIC SMALL LETTER IE")
    assert _stored(demo_copy, "mixed")["segment"].to_list()[0] == "Rеtail"  # kept


def test_a_mixed_script_wave_label_is_warned(demo_copy, tmp_path):
    path = _wave(tmp_path)
    done = run_cli("ingest", str(path), "--wave", "2026-Q4 Wаve", "--db", str(demo_copy))
    _ok(done, "'Wаve' (U+0430 CYRILLIC SMALL LETTER A)", "looks like '2026-Q4 Wave'")
    with Store.open(demo_copy, read_only=True) as store:
        assert "2026-Q4 Wаve" in store.wave_labels()


def test_a_long_file_item_with_a_look_alike_is_refused_with_its_code_point(demo_copy, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "respondent_id,stage,item,expectation,perception\n"
        "r1,pre_purchase,clear_materials,5,4\nr1,pre_purchase,clear_mаterials,5,4\n",
        "utf-8",
    )
    before = _digest(demo_copy)
    done = run_cli("ingest", str(path), "--wave", "long", "--db", str(demo_copy))
    _refused(done, "it looks like 'clear_materials' but holds U+0430 CYRILLIC SMALL LETTER A")
    assert _digest(demo_copy) == before


def test_a_questionnaire_with_hidden_or_mixed_names_is_read_with_warnings(tmp_path):
    text = (
        open(f"{KIOSK}/instrument.csv", encoding="utf-8")
        .read()
        .replace("Ease of use", "Ease of\u200b use", 1)
        .replace("Speed & responsiveness", "Speed & rеsponsiveness", 1)
    )
    instrument = tmp_path / "mine.csv"
    instrument.write_text(text, "utf-8")
    done = run_cli(
        "validate", f"{KIOSK}/wave-2026-10.csv", "--instrument", str(instrument),
        "--db", str(tmp_path / "none.duckdb"),
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    assert "U+200B ZERO WIDTH SPACE); it is read as 'Ease of use'" in done.stderr
    assert "'rеsponsiveness' (U+0435 CYRILLIC SMALL LETTER IE)" in done.stderr


def _kiosk_mapping(tmp_path, old: str, new: str):
    table = read_table(open(f"{KIOSK}/wave-2026-10.csv", "rb").read(), "w.csv", ReadOptions())
    mapping = propose(table, load_instrument(f"{KIOSK}/instrument.csv"), ReadOptions())
    text = mapping_csv(mapping).decode("utf-8-sig")
    assert old in text
    path = tmp_path / "mapping.csv"
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "said"),
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
def test_a_bad_mapping_is_refused_and_nothing_written(tmp_path, old, new, said):
    db = tmp_path / "k.duckdb"
    wave = f"{KIOSK}/wave-2026-10.csv"
    common = ["--instrument", f"{KIOSK}/instrument.csv", "--db", str(db)]
    _ok(run_cli("ingest", wave, "--wave", "k1", *common))
    mapping = _kiosk_mapping(tmp_path, old, new)
    before = _digest(db)
    _refused(run_cli("validate", wave, "--mapping", str(mapping), *common), said)
    done = run_cli("ingest", wave, "--wave", "k2", "--mapping", str(mapping), *common)
    _refused(done, said)
    assert _digest(db) == before
