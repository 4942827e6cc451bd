"""Schema migration: a version 1 file is migrated in one transaction when opened writable; a
read-only open says how to migrate it; a file from a newer version is refused.

"A version 1 database" here is one created with the version 1 DDL only (``_create_schema(cur,
1)``), which is exactly what gapmodel 1 created; the demo data are copied into it table by
table, without the columns and tables version 2 added.
"""

from __future__ import annotations

import getpass
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from cli_support import run_cli
from legacy import LEGACY_ATTRIBUTES, legacy_waves, read_legacy, write_legacy

from gapmodel.cli import main
from gapmodel.core.errors import StoreError
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage import schema
from gapmodel.storage.schema import SCHEMA_VERSION
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv


def make_v1(path: Path, with_data: bool = True) -> None:
    """A version 1 database at ``path`` (written as version 1 wrote it), with two demo waves."""
    write_legacy(path, 1, default_instrument(), legacy_waves() if with_data else [])


def catalogue(path: Path) -> tuple[list, list]:
    """Every column (name, type, nullability, default) and constraint of a database file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        columns = con.sql(
            """SELECT table_name, column_name, ordinal_position, data_type, is_nullable,
                      column_default
               FROM information_schema.columns WHERE table_schema = 'main'
               ORDER BY table_name, ordinal_position"""
        ).fetchall()
        constraints = con.sql(
            """SELECT table_name, constraint_type, constraint_text FROM duckdb_constraints()
               ORDER BY ALL"""
        ).fetchall()
    finally:
        con.close()
    return columns, constraints


def version_of(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("SELECT max(version) FROM schema_version").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture
def v1_db(tmp_path) -> Path:
    path = tmp_path / "v1.duckdb"
    make_v1(path)
    return path


def test_the_current_version_is_5_with_names_not_positions_mappings_and_utc_times():
    assert SCHEMA_VERSION == 5
    assert sorted(schema._MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1))
    names = "\n".join(schema._MIGRATIONS[3])
    assert "DROP TYPE stage" in names and "ENUM" not in names
    assert "CREATE TABLE mappings" in "\n".join(schema._MIGRATIONS[4])
    assert "AT TIME ZONE 'UTC'" in "\n".join(schema._MIGRATIONS[5])


def test_a_migrated_file_saves_and_offers_mappings(v1_db):
    with Store.open(v1_db) as store:
        assert store.mappings().is_empty()
        store.save_mapping("cx survey", ["a", "b"], "column,role\na,id\n", "ana")
        store.save_mapping("cx survey", ["a", "b", "c"], "column,role\nc,id\n", "ana")
        assert store.mappings()["name"].to_list() == ["cx survey"]  # saved again, replaced
        assert store.fitting_mapping(["a", "b", "c"]) == ("cx survey", "column,role\nc,id\n")
        assert store.fitting_mapping(["a", "b"]) is None


def test_a_v1_file_really_is_version_1(v1_db):
    columns, _ = catalogue(v1_db)
    assert version_of(v1_db) == 1
    assert "audit" not in {c[0] for c in columns}
    assert ("waves", "ingested_by") not in {(c[0], c[1]) for c in columns}


def test_a_migrated_file_has_exactly_the_schema_of_a_new_one(v1_db, tmp_path):
    with Store.open(v1_db) as store:
        assert store.migrated_from == 1
        assert store.schema_version == SCHEMA_VERSION
    new = tmp_path / "new.duckdb"
    with Store.open(new) as store:
        assert store.migrated_from is None
    assert catalogue(v1_db) == catalogue(new)


def test_migration_keeps_every_row_and_starts_an_empty_audit_trail(v1_db):
    before, allocations, labels = read_legacy(v1_db)
    with Store.open(v1_db) as store:
        assert store.wave_labels() == labels
        after = store.responses()
        people = store.respondents()
        assert (
            store.allocations()
            .sort("wave", "respondent", "dimension")
            .equals(allocations.sort("wave", "respondent", "dimension"))
        )
        assert store.waves()["ingested_by"].null_count() == len(labels)
        assert store.audit().is_empty()
        # the migrated store works like a new one: a delete is recorded with its user
        store.delete_wave(labels[0], user="ana")
        assert store.audit().select("action", "wave", "username").rows() == [
            ("delete", labels[0], "ana")
        ]
    after = after.join(
        people.select("wave", "respondent", "respondent_id"), on=["wave", "respondent"]
    )
    columns = before.columns
    assert set(after.columns) == set(before.columns)
    key = ["wave", "respondent", "stage", "item"]
    got = after.select(columns).with_columns(pl.col("stage").cast(pl.String)).sort(key)
    assert got.equals(before.select(columns).sort(key))
    assert people.columns[3:] == list(LEGACY_ATTRIBUTES)


def test_a_failing_migration_step_leaves_the_file_at_version_1(v1_db, monkeypatch):
    before = catalogue(v1_db)
    steps = schema._MIGRATIONS[2]
    monkeypatch.setitem(
        schema._MIGRATIONS, 2, (*steps, "ALTER TABLE no_such_table ADD COLUMN x INTEGER")
    )
    with pytest.raises(duckdb.CatalogException):
        Store.open(v1_db)
    assert version_of(v1_db) == 1
    assert catalogue(v1_db) == before  # the column and the audit table were rolled back
    monkeypatch.undo()
    with Store.open(v1_db) as store:
        assert store.migrated_from == 1


def test_a_read_only_open_of_a_v1_file_says_how_to_migrate_and_changes_nothing(v1_db):
    data = v1_db.read_bytes()
    with pytest.raises(StoreError, match="python -m gapmodel migrate --db") as info:
        Store.open(v1_db, read_only=True)
    assert "schema version 1" in str(info.value)
    assert v1_db.read_bytes() == data


def test_cli_migrate_then_read(v1_db, capsys):
    assert main(["waves", "--db", str(v1_db)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "python -m gapmodel migrate" in err
    assert main(["migrate", "--db", str(v1_db)]) == 0
    assert f"from schema version 1 to {SCHEMA_VERSION}" in capsys.readouterr().out
    assert main(["migrate", "--db", str(v1_db)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["waves", "--db", str(v1_db)]) == 0
    assert "2026-Q3" in capsys.readouterr().out


def test_cli_migrate_of_a_missing_file_is_refused(tmp_path, capsys):
    assert main(["migrate", "--db", str(tmp_path / "none.duckdb")]) == 1
    assert "There is no database" in capsys.readouterr().err
    assert not (tmp_path / "none.duckdb").exists()


def test_an_empty_v1_file_migrates_too(tmp_path):
    path = tmp_path / "empty-v1.duckdb"
    make_v1(path, with_data=False)
    with Store.open(path) as store:
        assert store.migrated_from == 1
        assert store.waves().is_empty()
        assert "ingested_by" in store.waves().columns


def newer_copy(source: Path, path: Path, version: int) -> Path:
    """A copy of ``source`` at ``path`` that says it has schema ``version``."""
    shutil.copy(source, path)
    con = duckdb.connect(str(path))
    con.sql("UPDATE schema_version SET version = ?", params=[version])
    con.close()
    return path


@pytest.mark.parametrize("read_only", [False, True])
def test_a_newer_file_is_refused_and_left_alone(demo_db, tmp_path, read_only):
    path = newer_copy(demo_db, tmp_path / "future.duckdb", SCHEMA_VERSION + 1)
    data = path.read_bytes()
    with pytest.raises(StoreError, match="newer than this gapmodel") as info:
        Store.open(path, read_only=read_only)
    assert "Upgrade gapmodel" in str(info.value)
    assert path.read_bytes() == data


def test_cli_refuses_a_newer_file_in_one_line(demo_db, tmp_path):
    path = newer_copy(demo_db, tmp_path / "future.duckdb", 99)
    for command in (["waves"], ["migrate"], ["gaps", "--by", "stage"]):
        result = run_cli(*command, "--db", str(path))
        assert result.returncode == 1, command
        assert result.stderr.count("\n") == 1, result.stderr
        assert f"schema version 99, newer than this gapmodel ({SCHEMA_VERSION})" in result.stderr
        assert "Traceback" not in result.stderr


# -- what version 2 adds: who changed the data ----------------------------------------------
def _prepared(n: int, seed: int):
    data = wave_csv(generate_wave(n, 0, seed=seed))
    wave, report = prepare_wave(data, f"wave-{seed}.csv", default_instrument(), "1-7")
    assert wave is not None, report.to_text()
    return wave


def test_ingest_replace_and_delete_are_audited_with_their_user(store):
    store.ingest_wave(_prepared(20, 1), "A", user="ana")
    store.ingest_wave(_prepared(30, 2), "B")
    store.ingest_wave(_prepared(25, 3), "A", replace=True, user="bo")
    store.delete_wave("B", user="cy")
    log = store.audit()
    assert log.select("audit_id", "action", "wave", "username").rows() == [
        (1, "ingest", "A", "ana"),
        (2, "ingest", "B", None),
        (3, "replace", "A", "bo"),
        (4, "delete", "B", "cy"),
    ]
    assert log["detail"].to_list()[2].endswith("replaced 'A'")
    assert "wave-3.csv: 25 respondents" in log["detail"].to_list()[2]
    assert store.waves().select("label", "ingested_by").rows() == [("A", "bo")]


def test_a_failed_ingest_leaves_no_audit_row(store, monkeypatch):
    store.ingest_wave(_prepared(20, 1), "A", user="ana")
    before = store.checksums()

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Store, "_check_scale", staticmethod(fail))
    with pytest.raises(RuntimeError):
        store.ingest_wave(_prepared(20, 2), "B", user="bo")
    with pytest.raises(RuntimeError):
        store.ingest_wave(_prepared(20, 2), "A", replace=True, user="bo")
    assert store.checksums() == before
    assert store.audit().height == 1


@pytest.mark.parametrize("user", ["x" * 201, "tab\there", "bidi\u202eevil"])
def test_a_bad_user_name_is_refused_before_anything_is_written(store, user):
    before = store.checksums()
    with pytest.raises(ValueError, match="user name"):
        store.ingest_wave(_prepared(20, 1), "A", user=user)
    assert store.checksums() == before


def test_cli_records_the_user_and_lists_the_audit_trail(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    upload = tmp_path / "w.csv"
    upload.write_bytes(wave_csv(generate_wave(20, 0, seed=4)))
    assert main(["ingest", str(upload), "--wave", "Q1", "--db", db, "--user", "ana"]) == 0
    assert main(["delete", "Q1", "--db", db]) == 0  # no --user: the login name, if any
    capsys.readouterr()
    assert main(["audit", "--db", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].split("\t")[1:4] == ["ingest", "Q1", "ana"]
    assert lines[1].split("\t")[1:3] == ["delete", "Q1"]
    with Store.open(db, read_only=True) as store:
        assert store.audit()["username"][1] == _login_name()
    assert main(["audit", "--db", db, "--last", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1


def _login_name() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None
