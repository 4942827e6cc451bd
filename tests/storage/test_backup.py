"""Backup and restore: ``python -m gapmodel backup DIR`` / ``restore DIR``.

A round trip gives a database whose every table has the same rows (``Store.checksums``); a
damaged, incomplete or foreign backup is refused with a clear message and leaves the target
as it was.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from legacy import legacy_backup, read_legacy, write_legacy

from gapmodel.cli import main
from gapmodel.core.errors import BackupError
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.backup import MANIFEST, backup, read_backup, restore
from gapmodel.storage.schema import ALL_TABLES, SCHEMA_VERSION
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv, wave_labels


@pytest.fixture
def source(demo_copy) -> Path:
    """The demo database with an audit trail: one wave deleted, one replaced, by users."""
    data = wave_csv(generate_wave(40, 1, seed=7))
    wave, report = prepare_wave(data, "q2-fixed.csv", default_instrument(), "1-7")
    assert wave is not None, report.to_text()
    with Store.open(demo_copy) as store:
        store.delete_wave("2026-Q1", user="ana")
        store.ingest_wave(wave, "2026-Q2", replace=True, user="bo")
        assert store.audit()["action"].to_list()[-2:] == ["delete", "replace"]
    return demo_copy


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_round_trip_through_the_cli_keeps_every_table(source, tmp_path, capsys):
    with Store.open(source, read_only=True) as store:
        before = store.checksums()
        waves, audit = store.waves(), store.audit()
    folder = tmp_path / "backup"
    code, out, _ = run(capsys, "backup", str(folder), "--db", str(source))
    assert code == 0
    assert "2 wave(s)" in out
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MANIFEST, *(f"{t}.parquet" for t in ALL_TABLES)]
    )
    target = tmp_path / "restored.duckdb"
    code, out, _ = run(capsys, "restore", str(folder), "--db", str(target))
    assert code == 0, out
    assert "Restored 2 wave(s)" in out
    with Store.open(target, read_only=True) as store:
        assert set(store.checksums()) == set(ALL_TABLES)
        assert store.checksums() == before
        assert store.waves().equals(waves)
        assert store.audit().equals(audit)
        assert store.audit()["username"].to_list()[-2:] == ["ana", "bo"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "backup",
        "copy.duckdb",
        "restored.duckdb",
    ]


def test_a_restored_database_takes_new_waves(source, tmp_path):
    folder = tmp_path / "b"
    with Store.open(source, read_only=True) as store:
        backup(store, folder)
    target = tmp_path / "r.duckdb"
    restore(folder, target)
    with Store.open(target) as store:
        store.delete_wave("2026-Q2", user="cy")
        assert store.wave_labels() == ["2026-Q3"]
        assert store.audit()["audit_id"].to_list() == list(range(1, store.audit().height + 1))


def test_manifest_records_rows_hashes_and_checksums(source, tmp_path):
    with Store.open(source, read_only=True) as store:
        manifest = backup(store, tmp_path / "b")
        sums = store.checksums()
    assert manifest["schema_version"] == SCHEMA_VERSION
    for table, entry in manifest["tables"].items():
        assert entry["rows"] == sums[table][0]
        assert tuple(entry["checksum"]) == sums[table]
        assert len(entry["sha256"]) == 64
    on_disk = json.loads((tmp_path / "b" / MANIFEST).read_text())
    assert on_disk == manifest


def test_backup_refuses_a_folder_that_is_not_empty(source, tmp_path, capsys):
    folder = tmp_path / "used"
    folder.mkdir()
    (folder / "old.txt").write_text("x")
    code, _, err = run(capsys, "backup", str(folder), "--db", str(source))
    assert code == 1
    assert "is not an empty folder" in err
    assert [p.name for p in folder.iterdir()] == ["old.txt"]


def test_restore_refuses_to_overwrite_data_unless_forced(source, demo_db, tmp_path, capsys):
    folder = tmp_path / "b"
    with Store.open(source, read_only=True) as store:
        backup(store, folder)
        wanted = store.checksums()
    target = tmp_path / "target.duckdb"
    shutil.copy(demo_db, target)
    with Store.open(target, read_only=True) as store:
        held = store.checksums()
    code, _, err = run(capsys, "restore", str(folder), "--db", str(target))
    assert code == 1
    assert "already holds 3 wave(s)" in err and "--force" in err
    assert err.count("\n") == 1
    with Store.open(target, read_only=True) as store:
        assert store.checksums() == held
    code, _, _ = run(capsys, "restore", str(folder), "--db", str(target), "--force")
    assert code == 0
    with Store.open(target, read_only=True) as store:
        assert store.checksums() == wanted
    assert not list(tmp_path.glob("*.restoring*"))


def test_restore_into_an_existing_empty_database_needs_no_force(source, tmp_path):
    folder = tmp_path / "b"
    with Store.open(source, read_only=True) as store:
        backup(store, folder)
        wanted = store.checksums()
    target = tmp_path / "empty.duckdb"
    Store.open(target).close()
    restore(folder, target)
    with Store.open(target, read_only=True) as store:
        assert store.checksums() == wanted


@pytest.fixture
def backup_dir(source, tmp_path) -> Path:
    folder = tmp_path / "b"
    with Store.open(source, read_only=True) as store:
        backup(store, folder)
    return folder


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _rewrite_manifest(folder: Path, change) -> None:
    manifest = json.loads((folder / MANIFEST).read_text())
    change(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: _flip_byte(f / "responses.parquet"), "responses.parquet is damaged"),
        (lambda f: (f / "respondents.parquet").unlink(), "respondents.parquet is missing"),
        (lambda f: (f / MANIFEST).unlink(), "There is no manifest.json"),
        (lambda f: (f / MANIFEST).write_text("{not json"), "is damaged or not a gapmodel"),
        (
            lambda f: _rewrite_manifest(f, lambda m: m.update(format="something-else")),
            "not a gapmodel backup manifest",
        ),
        (
            lambda f: _rewrite_manifest(f, lambda m: m.update(schema_version=SCHEMA_VERSION + 1)),
            "made by a newer gapmodel",
        ),
        (
            lambda f: _rewrite_manifest(
                f, lambda m: m["tables"]["waves"].update(file="../../etc/passwd")
            ),
            "names an unexpected file",
        ),
        (
            lambda f: _rewrite_manifest(f, lambda m: m["tables"].pop("audit")),
            f"do not match schema version {SCHEMA_VERSION}: unknown none, missing ['audit']",
        ),
    ],
    ids=[
        "flipped-byte",
        "missing-file",
        "no-manifest",
        "broken-manifest",
        "foreign-manifest",
        "newer-version",
        "path-in-manifest",
        "table-left-out",
    ],
)
def test_a_damaged_backup_is_refused_and_nothing_is_written(
    backup_dir, tmp_path, capsys, damage, message
):
    damage(backup_dir)
    target = tmp_path / "target.duckdb"
    code, _, err = run(capsys, "restore", str(backup_dir), "--db", str(target))
    assert code == 1
    assert message in err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not target.exists()
    assert not list(tmp_path.glob("*.restoring*"))


def test_content_that_differs_from_the_recorded_checksums_is_refused(backup_dir, tmp_path):
    """A file rewritten with consistent hash and row count, but one score changed, is caught
    by the table checksum inside the restore transaction."""
    file = backup_dir / "responses.parquet"
    frame = pl.read_parquet(file)
    changed = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.col("perception").fill_null(1) % 7 + 1)
        .otherwise(pl.col("perception"))
        .alias("perception")
    )
    assert not changed.equals(frame)
    changed.write_parquet(file)
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    _rewrite_manifest(backup_dir, lambda m: m["tables"]["responses"].update(sha256=digest))
    target = tmp_path / "target.duckdb"
    with pytest.raises(BackupError, match="restored content of responses does not match"):
        restore(backup_dir, target)
    assert not target.exists()


def test_a_version_1_backup_is_restored_and_migrated(tmp_path):
    """Backups from an older schema restore as that version, then migrate like an old file.

    The version 1 file and its backup are written as version 1 wrote them (see ``legacy``);
    its checksums are marked as from another engine, so only file hashes and row counts are
    checked.
    """
    old = tmp_path / "v1.duckdb"
    waves = [
        (label, day, generate_wave(40, k, seed=k)) for k, (label, day) in enumerate(wave_labels(2))
    ]
    write_legacy(old, 1, default_instrument(), waves)
    legacy_backup(old, tmp_path / "v1-backup")
    target = tmp_path / "from-v1.duckdb"
    result = restore(tmp_path / "v1-backup", target)
    assert result["schema_version"] == 1
    with Store.open(target, read_only=True) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.audit().is_empty()
        assert store.wave_labels() == ["2026-Q2", "2026-Q3"]
        restored = store.responses()
    before, _, _ = read_legacy(old)
    key = ["wave", "respondent", "stage", "item"]
    columns = [*key, "expectation", "perception", "adequate", "importance", "segment"]
    got = restored.select(columns).with_columns(pl.col("stage").cast(pl.String)).sort(key)
    assert got.equals(before.select(columns).sort(key))


def test_read_backup_checks_row_counts(backup_dir):
    _rewrite_manifest(backup_dir, lambda m: m["tables"]["items"].update(rows=1))
    with pytest.raises(BackupError, match="holds 22 rows; the manifest says 1"):
        read_backup(backup_dir)
