"""Findings of the bad-input hunt on the command line: outputs that would overwrite the
database, labels and filter values typed with invisible characters, settings with outer
whitespace, control characters in stored text, and the wording of refusals."""

from __future__ import annotations

import hashlib
import os

import duckdb
import pytest
from cli_support import run_cli

from gapmodel.core import settings

ZWSP, NBSP = "\u200b", "\u00a0"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("hunt") / "x.duckdb"
    done = run_cli("demo", "--db", str(path), "--respondents", "60", "--waves", "2")
    assert done.returncode == 0, done.stderr
    return path


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(done, *says):
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1
    for text in says:
        assert text in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["export", "2026-Q3", "--format", "parquet", "--out"],
        ["report", "--format", "html", "--out"],
        ["map", "data/examples/kiosk/wave-2026-10.csv", "--out"],
        ["validate", "data/examples/kiosk/wave-2026-10.csv", "--report"],
    ],
    ids=lambda c: c[0],
)
@pytest.mark.parametrize("target", ["db", "wal", "other database", "folder"])
def test_f1_an_output_never_overwrites_a_database(db, tmp_path, command, target):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    path = {"db": db, "wal": f"{db}.wal", "other database": other, "folder": tmp_path}[target]
    before, other_before = _digest(db), _digest(other)
    done = run_cli(*command, str(path), "--db", str(db))
    _refused(done, "Nothing was written", "another path")
    assert _digest(db) == before and _digest(other) == other_before
    assert not os.path.exists(f"{db}.wal")


def test_f1_the_backup_folder_cannot_be_the_database(db):
    before = _digest(db)
    _refused(run_cli("backup", str(db), "--db", str(db)), "is the database")
    assert _digest(db) == before


@pytest.mark.parametrize("typed", [f"2026-Q3{ZWSP}", f"2026-Q3{NBSP}"])
def test_f4_export_of_a_label_typed_with_invisible_characters(db, tmp_path, typed):
    out = tmp_path / "e.csv"
    done = run_cli("export", typed, "--db", str(db), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "'2026-Q3'" in done.stdout and " 60 rows" in done.stdout
    assert len(out.read_text().splitlines()) == 61


@pytest.mark.parametrize(
    "command",
    [
        ["gaps", "--wave", "W"],
        ["alpha", "--wave", "W"],
        ["ipa", "--wave", "W"],
        ["segments", "--wave", "W"],
        ["trend", "--from", "2026-Q2", "--to", "W"],
    ],
    ids=lambda c: c[0],
)
def test_f4_model_commands_read_the_stored_wave(db, command):
    plain = run_cli(
        *[c.replace("W", "2026-Q3") for c in command], "--db", str(db), "--format", "csv"
    )
    typed = run_cli(
        *[c.replace("W", f"2026-Q3{ZWSP}") for c in command], "--db", str(db), "--format", "csv"
    )
    assert plain.returncode == typed.returncode == 0, typed.stderr
    # the same rows (the last digits of a float may differ from run to run)
    rows = [[line.split(",")[:3] for line in done.stdout.splitlines()] for done in (plain, typed)]
    assert rows[0] == rows[1] and len(rows[0]) > 1


def test_f4_report_wave_and_compare(db, tmp_path):
    out = tmp_path / "r.html"
    done = run_cli(
        "report",
        "--wave",
        f"2026-Q3{ZWSP}",
        "--compare",
        f"2026-Q2{NBSP}",
        "--db",
        str(db),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert "wave 2026-Q3 against 2026-Q2" in done.stdout and out.stat().st_size > 0


def test_f5_settings_drop_outer_whitespace(monkeypatch, db, tmp_path):
    monkeypatch.setenv("GAPMODEL_DB", f"{db} ")
    assert settings.get("db") == str(db)
    monkeypatch.setenv("GAPMODEL_ALPHA", " 0.1\n")
    assert settings.get("alpha") == 0.1
    done = run_cli("waves", env={**os.environ, "GAPMODEL_DB": f"{db} "})
    assert done.returncode == 0 and "2026-Q3" in done.stdout
    assert not os.path.exists(f"{db} ")
    done = run_cli("waves", "--db", f" {db} ")
    assert done.returncode == 0 and "2026-Q3" in done.stdout


@pytest.mark.parametrize("name", ["alpha", "db", "min_n"])
@pytest.mark.parametrize("blank", ["   ", " \t\n"])
def test_f5_a_setting_of_only_spaces_is_unset(monkeypatch, name, blank):
    setting = next(s for s in settings.SETTINGS if s.name == name)
    monkeypatch.setenv(setting.env_var, blank)
    assert settings.get(name) == setting.default
    settings.check()


@pytest.mark.parametrize("value", [f"Con{ZWSP}sumer", f"Consumer{NBSP}"])
def test_f9_where_values_in_their_normal_form(db, value):
    plain = run_cli("gaps", "--db", str(db), "--where", "segment=Consumer", "--format", "csv")
    typed = run_cli("gaps", "--db", str(db), "--where", f"segment={value}", "--format", "csv")
    assert plain.returncode == typed.returncode == 0, typed.stderr
    assert typed.stdout == plain.stdout


def test_f9_an_unknown_value_lists_the_attributes_values(db, tmp_path):
    done = run_cli("gaps", "--db", str(db), "--where", "segment=Consumr")
    assert done.returncode == 2 and "list the waves" not in done.stderr.lower()
    assert "has no value 'Consumr'" in done.stderr and "Consumer" in done.stderr
    done = run_cli(
        "report", "--db", str(db), "--where", "segment=Consumr", "--out", str(tmp_path / "r.html")
    )
    assert "has no value 'Consumr'" in done.stderr and not (tmp_path / "r.html").exists()


def test_f8_control_characters_are_shown_escaped_on_a_terminal(tmp_path):
    path = tmp_path / "ctl.duckdb"
    assert run_cli("demo", "--db", str(path), "--respondents", "40", "--waves", "1").returncode == 0
    con = duckdb.connect(str(path))
    con.execute(
        "UPDATE respondent_attributes SET value = 'Fe\x07male\x1b[31m' WHERE value = 'Consumer'"
    )
    con.execute("UPDATE waves SET source_name = 'a\x1b[2Jb.csv'")
    con.close()
    for command in (["waves"], ["audit"], ["gaps", "--by", "segment"]):
        done = run_cli(*command, "--db", str(path))
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "a\\x1b[2Jb.csv" in run_cli("waves", "--db", str(path)).stdout
    assert "Fe\\x07" in run_cli("gaps", "--by", "segment", "--db", str(path)).stdout
    csv = run_cli("gaps", "--by", "segment", "--db", str(path), "--format", "csv").stdout
    assert "Fe\x07male\x1b[31m" in csv  # data stays data


def test_f14_switch_message(monkeypatch):
    monkeypatch.setenv("GAPMODEL_ALLOW_REMOTE_ANALYSTS", "on")
    assert settings.get("allow_remote_analysts") is True
    monkeypatch.setenv("GAPMODEL_ALLOW_REMOTE_ANALYSTS", "maybe")
    with pytest.raises(ValueError) as caught:
        settings.get("allow_remote_analysts")
    text = str(caught.value)
    assert "must be must" not in text and ".." not in text and "the default 0." in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to any folder")
def test_f14_a_folder_that_cannot_be_written(db, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        done = run_cli("export", "2026-Q3", "--db", str(db), "--out", str(folder / "x.csv"))
        _refused(done, "Choose a writable folder for --out")
        done = run_cli("backup", str(folder / "b"), "--db", str(db))
        _refused(done, "Choose a writable folder")
    finally:
        folder.chmod(0o700)


def test_f14_a_file_that_is_not_a_database_is_never_advised_to_be_overwritten(tmp_path):
    csv = tmp_path / "w.csv"
    csv.write_text("a,b\n1,2\n")
    for path in ("/dev/null", str(csv)):
        done = run_cli("waves", "--db", path)
        _refused(done, "GAPMODEL_DB (or --db) to the database file")
        assert "--force" not in done.stderr
