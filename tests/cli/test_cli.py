"""python -m gapmodel: each command, and one-line refusals with non-zero exit codes."""

from __future__ import annotations

import pytest
from bad_inputs.make_corpus import HERE, base_wide, csv_text
from cli_support import database_held, run_cli

from gapmodel.cli import main

run = run_cli


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "wave.csv"
    path.write_text(csv_text(base_wide()))
    return path


def test_ingest_list_and_delete(tmp_path, good_file, capsys):
    db = str(tmp_path / "cli.duckdb")
    assert main(["validate", str(good_file), "--db", db]) == 0
    assert "valid wide file, 30 respondents" in capsys.readouterr().out
    assert (
        main(["ingest", str(good_file), "--wave", "2026-Q4", "--fielded", "2026-11-01", "--db", db])
        == 0
    )
    assert "Ingested wave '2026-Q4': 30 respondents" in capsys.readouterr().out
    assert main(["waves", "--db", db]) == 0
    assert "2026-Q4\tfielded 2026-11-01" in capsys.readouterr().out
    assert main(["ingest", str(good_file), "--wave", "again", "--db", db]) == 1
    assert "already ingested as wave '2026-Q4'. Add --replace" in capsys.readouterr().err
    assert main(["ingest", str(good_file), "--wave", "again", "--replace", "--db", db]) == 0
    assert "replaced wave '2026-Q4'" in capsys.readouterr().out
    assert main(["delete", "again", "--db", db]) == 0
    assert main(["delete", "again", "--db", db]) == 1
    assert "There is no wave labelled 'again'" in capsys.readouterr().err
    assert main(["waves", "--db", db]) == 0
    assert "No waves yet" in capsys.readouterr().out


def test_validate_writes_nothing_and_exits_1_on_errors(tmp_path, capsys):
    db = tmp_path / "never.duckdb"
    code = main(["validate", str(HERE / "above_scale.csv"), "--db", str(db)])
    assert code == 1
    assert "Score 8 is above the declared scale 1-7" in capsys.readouterr().out
    assert not db.exists()


def test_custom_instrument_and_invalid_instrument(tmp_path, good_file, capsys):
    bad = tmp_path / "bad_instrument.csv"
    bad.write_text("code,wording\nx,y\n")
    assert main(["validate", str(good_file), "--instrument", str(bad)]) == 1
    assert capsys.readouterr().err.startswith("error: Invalid instrument")
    mini = tmp_path / "mini.csv"
    mini.write_text(
        "code,wording,dimension,element,stages\n"
        "courtesy,Courtesy,assurance,human,pre_purchase|encounter|post_purchase\n"
    )
    assert main(["validate", str(good_file), "--instrument", str(mini)]) == 1
    assert "Unknown item 'kept_informed'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "missing.csv", "--wave", "x"], "There is no file missing.csv"),
        (["ingest", "{good}", "--wave", "x", "--scale", "seven"], "The scale must look like 1-7"),
        (["ingest", "{good}", "--wave", "x", "--fielded", "last week"], "The date must look like"),
        (["ingest", "{good}", "--wave", " "], "The wave label must have 1 to 80 characters"),
        (["waves"], "There is no database at"),
        (["export", "nope", "--out", "x.txt"], "Give --format"),
    ],
)
def test_refusals_are_one_line_without_traceback(tmp_path, good_file, args, message):
    db = str(tmp_path / "none.duckdb")
    args = [a.replace("{good}", str(good_file)) for a in args]
    result = run(*args, "--db", db)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_db_from_environment(tmp_path, good_file):
    import os

    env = dict(os.environ, GAPMODEL_DB=str(tmp_path / "env.duckdb"))
    assert run("ingest", str(good_file), "--wave", "E1", env=env).returncode == 0
    listed = run("waves", env=env)
    assert listed.returncode == 0 and listed.stdout.startswith("E1\t")


def test_cli_names_the_process_holding_the_database(demo_copy):
    with database_held(demo_copy) as holder:
        result = run("waves", "--db", str(demo_copy))
    assert result.returncode == 1
    assert f"(PID {holder.pid})" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_demo_command(tmp_path):
    db = tmp_path / "demo.duckdb"
    result = run("demo", "--respondents", "50", "--waves", "2", "--db", str(db))
    assert result.returncode == 0, result.stderr
    listed = run("waves", "--db", str(db))
    assert listed.stdout.count("50 respondents") == 2
