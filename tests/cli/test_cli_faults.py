"""The command line on a malformed setting or a database path that cannot be a database: exit
code 2, the one error line, no traceback."""

from __future__ import annotations

import os

import pytest
from cli_support import run_cli
from faults_support import BAD_SETTINGS, setting_message

from gapmodel.storage.store import Store


@pytest.mark.parametrize(("variable", "value"), BAD_SETTINGS, ids=lambda x: str(x))
def test_a_malformed_setting_stops_every_command_with_one_line(
    demo_db, monkeypatch, variable, value
):
    monkeypatch.setenv(variable, value)
    message = setting_message()
    for command in (["waves", "--db", str(demo_db)], ["gaps", "--db", str(demo_db)]):
        done = run_cli(*command, env={**os.environ, variable: value})
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr == f"error: {message}\n"


@pytest.mark.parametrize("kind", ["folder", "csv", "under a file", "missing folder"])
def test_gapmodel_db_that_cannot_be_a_database(tmp_path, kind):
    csv = tmp_path / "wave.csv"
    csv.write_text("a,b\n1,2\n")
    path = {
        "folder": tmp_path,
        "csv": csv,
        "under a file": csv / "gapmodel.duckdb",
        "missing folder": tmp_path / "no" / "such" / "gapmodel.duckdb",
    }[kind]
    env = {**os.environ, "GAPMODEL_DB": str(path)}
    command = ["waves"] if kind == "missing folder" else ["demo", "--respondents", "5"]
    done = run_cli(*command, env=env)
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1
    if kind == "missing folder":  # reading: nothing there yet, and it says how to make one
        assert done.returncode == 1 and "There is no database" in done.stderr
        done = run_cli("demo", "--respondents", "5", "--waves", "1", env=env)
        assert done.returncode == 0 and Store.open(path, read_only=True).wave_labels()
        return
    assert done.returncode == 1
    assert str(path) in done.stderr or str(csv) in done.stderr
    assert csv.read_text() == "a,b\n1,2\n"
