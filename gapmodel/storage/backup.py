"""Backups of a store as Parquet files plus a manifest, and restores into a new database file.

The store runs DuckDB without file access (``enable_external_access=false``, configuration
locked), so DuckDB's own ``EXPORT DATABASE`` cannot write through it. Instead every table is
read through the store in one transaction and written with polars, one Parquet file per table,
and ``manifest.json`` last: a folder without a manifest is not a (complete) backup.

The manifest records the schema version, each file's SHA-256, row count and the table checksum
of :meth:`gapmodel.storage.store.Store.checksums`. A restore checks every file against it, builds the new
database in a temporary file in one transaction, checks the content against the recorded
checksums, then moves the file into place: the target is never left half restored.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from gapmodel.core.errors import (
    BackupError,
    DamagedDatabaseError,
    DatabaseFault,
    DiskFullError,
    ReadOnlyDatabaseError,
    StoreError,
    WriteAheadLogError,
)
from gapmodel.storage.connection import remove_database
from gapmodel.storage.faults import disk_full, fault, not_writable
from gapmodel.storage.schema import SCHEMA_VERSION
from gapmodel.storage.store import Store

MANIFEST = "manifest.json"
FORMAT = "gapmodel-backup"
FORMAT_VERSION = 1


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(store: Store, directory: str | Path) -> dict:
    """Write every table of ``store`` to ``directory`` as Parquet, with a manifest.

    Parameters
    ----------
    store : Store
        The store to back up (read-only is enough). All tables are read in one snapshot, so a
        wave ingested meanwhile is either wholly in the backup or not at all.
    directory : str or Path
        A new or empty folder.

    Returns
    -------
    dict
        The manifest: ``format, format_version, schema_version, duckdb_version, created_at,
        tables`` (table -> ``file, rows, sha256, checksum``).

    Raises
    ------
    BackupError
        If ``directory`` is a file or a folder that is not empty.
    """
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(
            f"{directory} is not an empty folder. Give a new or empty folder for the backup, "
            "so that no older backup file is mixed into it."
        )
    directory.mkdir(parents=True, exist_ok=True)
    with store.snapshot() as snap:
        tables = snap.export_tables()
        checksums = snap.checksums()
        version = snap.schema_version
    entries = {}
    for name, frame in tables.items():
        file = directory / f"{name}.parquet"
        frame.write_parquet(file, compression="zstd")
        entries[name] = {
            "file": file.name,
            "rows": frame.height,
            "sha256": _sha256(file),
            "checksum": [int(x) for x in checksums[name]],
        }
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": version,
        "duckdb_version": duckdb.__version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": str(store.path),
        "tables": entries,
    }
    partial = directory / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    partial.replace(directory / MANIFEST)  # the manifest appears last, and whole
    return manifest


def read_backup(directory: str | Path) -> tuple[dict, dict[str, pl.DataFrame]]:
    """Read and check a backup folder: the manifest, then every file against it.

    Returns
    -------
    (dict, dict of str to pl.DataFrame)
        The manifest and the table frames.

    Raises
    ------
    BackupError
        No manifest, a manifest that is not one of ours or from a newer gapmodel, a missing or
        damaged file (SHA-256 or row count differs from the manifest).
    """
    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(
            f"There is no {MANIFEST} in {directory}: it is not a gapmodel backup, or the backup "
            "did not finish. Give the folder that `python -m gapmodel backup` wrote."
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        tables = manifest["tables"]
        version = manifest["schema_version"]
        if manifest["format"] != FORMAT or not isinstance(tables, dict):
            raise ValueError("not a gapmodel backup manifest")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"schema_version must be a whole number from 1; got {version!r}")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise BackupError(
            f"{manifest_path} is damaged or not a gapmodel backup manifest ({exc}). Restore "
            "from another backup."
        ) from None
    if manifest.get("format_version", 0) > FORMAT_VERSION or version > SCHEMA_VERSION:
        raise BackupError(
            f"The backup in {directory} was made by a newer gapmodel (schema version {version}; "
            f"this one knows up to {SCHEMA_VERSION}). Upgrade gapmodel to restore it."
        )
    frames: dict[str, pl.DataFrame] = {}
    for name, entry in tables.items():
        try:
            file_name, rows, sha256 = entry["file"], entry["rows"], entry["sha256"]
        except (KeyError, TypeError):
            raise BackupError(f"{manifest_path} is damaged (entry {name!r}).") from None
        if isinstance(rows, bool) or not isinstance(rows, int) or not isinstance(sha256, str):
            raise BackupError(
                f"{manifest_path} is damaged: the rows of table {name!r} must be a whole number "
                f"and its sha256 text (got rows {rows!r}, sha256 {sha256!r}). Restore from "
                "another backup."
            )
        if not isinstance(file_name, str):
            raise BackupError(f"{manifest_path} names an unexpected file {file_name!r}.")
        if Path(file_name).name != file_name or not file_name.endswith(".parquet"):
            raise BackupError(f"{manifest_path} names an unexpected file {file_name!r}.")
        file = directory / file_name
        if not file.is_file():
            raise BackupError(
                f"The backup file {file} is missing, so the backup is incomplete. Restore from "
                "another backup."
            )
        if _sha256(file) != sha256:
            raise BackupError(
                f"The backup file {file} is damaged: its content differs from what the manifest "
                "recorded (SHA-256). Restore from another backup."
            )
        try:
            frame = pl.read_parquet(file)
        except Exception as exc:  # noqa: BLE001 - any reader failure means a damaged file
            raise BackupError(f"The backup file {file} cannot be read ({exc}).") from None
        if frame.height != rows:
            raise BackupError(
                f"The backup file {file} holds {frame.height} rows; the manifest says {rows}."
            )
        frames[name] = frame
    _same_version(frames, version, directory)
    return manifest, frames


def _same_version(frames: dict[str, pl.DataFrame], version: int, directory: Path) -> None:
    """The schema_version table holds the manifest's version, once (a restore would otherwise
    build a file that this gapmodel refuses to open)."""
    table = frames.get("schema_version")
    if table is None:
        return  # a missing table is named when the tables are matched to the schema
    stored = table["version"].to_list() if "version" in table.columns else []
    if stored != [version]:
        raise BackupError(
            f"The backup in {directory} is inconsistent: its table schema_version holds "
            f"{stored or 'no version'}, its manifest says schema version {version}. One of them "
            "was edited; restore from another backup."
        )


def restore(directory: str | Path, db: str | Path, force: bool = False) -> dict:
    """Restore a backup into the database file ``db``.

    Parameters
    ----------
    directory : str or Path
        A folder written by :func:`backup`.
    db : str or Path
        The database file to create. An existing file is replaced only when it holds no data,
        or when ``force`` is true.
    force : bool
        Replace a database that holds data, or one that is damaged or beside a foreign
        write-ahead log.

    Returns
    -------
    dict
        ``db, schema_version`` (of the backup), ``waves`` (labels restored), ``rows`` (table ->
        row count).

    Raises
    ------
    BackupError
        A damaged or incomplete backup, or a target that holds data without ``force``.
    DatabaseLockedError
        If another process (the dashboard) holds the target file.
    DatabaseFault
        A damaged target without ``force``, a full disk or a read-only folder; the target is
        unchanged.

    Notes
    -----
    The new database is built next to the target (``<db>.restoring``) in one transaction and
    checked against the manifest's checksums (when the backup was made with the same DuckDB
    version, whose row hash they use), then renamed over the target.
    """
    manifest, frames = read_backup(directory)
    return restore_tables(directory, manifest, frames, db, force)


def restore_tables(
    directory: str | Path,
    manifest: dict,
    frames: dict[str, pl.DataFrame],
    db: str | Path,
    force: bool = False,
) -> dict:
    """:func:`restore` of a backup already read (``manifest, frames`` from :func:`read_backup`
    of ``directory``): a caller that checks the tables first (the command line checks them with
    the upload's rules, :mod:`gapmodel.ingest.backup_check`) reads them once."""
    target = Path(db)
    if target.exists():
        try:
            with Store.open(target) as existing:  # refuses a file held by another process
                counts = existing.table_counts()
        except (DamagedDatabaseError, WriteAheadLogError):
            if not force:  # the message says to restore with --force
                raise
            counts = {}  # a damaged file is what a forced restore replaces
        if any(counts.values()) and not force:
            raise BackupError(
                f"The database {target} already holds {counts['waves']} wave(s) and "
                f"{counts['responses']:,} responses. Restore into a new file with --db, or add "
                "--force to replace it."
            )
    building = target.with_name(target.name + ".restoring")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_database(building)  # left by a restore that was interrupted
    except OSError as exc:  # a read-only folder refuses even removing what is not there
        problem = fault(exc, target, "the backup was not restored")
        if problem is None:
            raise
        raise problem from None
    same_engine = manifest.get("duckdb_version") == duckdb.__version__
    expected = {t: e["checksum"] for t, e in manifest["tables"].items()} if same_engine else None
    try:
        Store.create_from_tables(building, frames, manifest["schema_version"], expected)
        result = _verified(building, manifest, expected)
    except DiskFullError:  # named for the target, not the file built beside it
        remove_database(building)
        raise disk_full(target, "the backup was not restored") from None
    except ReadOnlyDatabaseError:
        remove_database(building)
        raise not_writable(target, "the backup was not restored") from None
    except DatabaseFault:  # the message says what to do
        remove_database(building)
        raise
    except StoreError as exc:
        remove_database(building)
        raise BackupError(
            f"The backup in {directory} cannot be restored: {exc} {target} is unchanged. "
            "Restore from another backup."
        ) from None
    # The old file was closed cleanly above, so it has no write-ahead log that could be
    # replayed onto the restored file; remove one left by a crash all the same.
    Path(f"{target}.wal").unlink(missing_ok=True)
    os.replace(building, target)
    return {"db": str(target), "schema_version": manifest["schema_version"], **result}


def _verified(building: Path, manifest: dict, expected: dict | None) -> dict:
    """Open the built file as the dashboard will and check it, before it replaces anything:
    today's schema version and, for a backup of today's version made by this DuckDB, the
    recorded checksums of what was written."""
    with Store.open(building, read_only=True) as built:
        if built.schema_version != SCHEMA_VERSION:
            raise StoreError(
                f"The database built from it has schema version {built.schema_version}, not "
                f"{SCHEMA_VERSION}."
            )
        if expected is not None and manifest["schema_version"] == SCHEMA_VERSION:
            found = built.checksums()
            wrong = [t for t in found if tuple(expected.get(t, ())) != found[t]]
            if wrong:
                raise StoreError(
                    f"The database built from it differs from the backup in {', '.join(wrong)}."
                )
        return {"waves": built.wave_labels(), "rows": built.table_counts()}
