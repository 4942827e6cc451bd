"""Faults of the database file, its folder and its disk, in words a user can act on.

DuckDB reports a truncated file, a flipped bit, a full disk or a read-only folder as an
``IOException`` (or, at commit, a ``TransactionException``) whose text says what happened; this
module checks a path before DuckDB opens it, and turns those errors into the subclasses of
:class:`~gapmodel.core.errors.DatabaseFault`, each message naming the file and the next step.
Every other part of gapmodel only prints ``str(exc)``.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from gapmodel.core.errors import (
    DamagedDatabaseError,
    DatabaseFault,
    DatabasePathError,
    DiskFullError,
    ReadOnlyDatabaseError,
    WriteAheadLogError,
)

MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
# What DuckDB says (2.0) -> what it means, for a damaged database file.
_DAMAGE = (
    ("Could not read enough bytes", "the file ends early: it was cut short"),
    ("checksum", "a block's checksum does not match: its content was corrupted"),
    ("not a valid DuckDB database file", "its header is not a DuckDB header"),  # see prepare
)


def restore_hint(path: Path) -> str:
    """The restore command for the database at ``path``."""
    return f"`python -m gapmodel restore BACKUP_FOLDER --db {path} --force`"


def _damaged(path: Path, detail: str) -> DamagedDatabaseError:
    return DamagedDatabaseError(
        f"The database {path} is damaged ({detail}) and cannot be read. Restore it from your "
        f"latest backup with {restore_hint(path)} (copy the damaged file elsewhere first if you "
        "want to keep it)."
    )


def has_database_header(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts with a DuckDB header (False for a
    folder, a device, a missing or unreadable file)."""
    try:
        if not Path(path).is_file():  # opening a named pipe would wait for a writer forever
            return False
        with Path(path).open("rb") as file:
            return file.read(12)[8:12] == MAGIC
    except OSError:
        return False


def _not_a_database(path: Path, size: int) -> DamagedDatabaseError:
    """An existing path without a DuckDB header. Only an empty regular file (all a database
    cut to nothing leaves) is worth restoring over; anything else may be someone's data (a CSV,
    a device), so the advice is to point GAPMODEL_DB at the database, never to overwrite it."""
    if not path.is_file():
        return DamagedDatabaseError(
            f"{path} is not a regular file (a device or a pipe), so it cannot be a gapmodel "
            "database. Set GAPMODEL_DB (or --db) to the database file."
        )
    if size == 0:
        return DamagedDatabaseError(
            f"The file {path} is empty, so it is not a gapmodel database. If it was your "
            f"database, restore it from a backup with {restore_hint(path)}; otherwise set "
            "GAPMODEL_DB (or --db) to the database file."
        )
    return DamagedDatabaseError(
        f"The file {path} does not start with a DuckDB header, so it is not a gapmodel "
        "database. Set GAPMODEL_DB (or --db) to the database file; if this was your database, "
        "restore a backup into a new file (`python -m gapmodel restore BACKUP_FOLDER --db "
        "NEW_FILE`) and leave this one as it is."
    )


def _mount_point(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not os.path.ismount(path):
        path = path.parent
    return path


def disk_full(path: Path, outcome: str) -> DiskFullError:
    """The fault of a full disk under ``path``: what was not done, and where to free space."""
    folder = Path(os.path.abspath(path)).parent
    mount = _mount_point(folder)
    return DiskFullError(
        f"The disk holding {folder} (mounted at {mount}) has no space left: {outcome}, "
        f"and the database {path} is unchanged. Free space on {mount} (or set GAPMODEL_DB to a "
        "file on another disk), then try again."
    )


def not_writable(
    path: Path, outcome: str, read_only_fs: bool | None = None
) -> ReadOnlyDatabaseError:
    """The fault of a database that cannot be written: why (a read-only file system, or
    permissions; found out when ``read_only_fs`` is None), what that means, and what to do."""
    folder = Path(os.path.abspath(path)).parent
    if read_only_fs is None:
        read_only_fs = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    reason = (
        f"{folder} is on a read-only file system"
        if read_only_fs
        else f"this user may not write to {path} or its folder {folder}"
    )
    return ReadOnlyDatabaseError(
        f"The database {path} cannot be written: {reason}, so {outcome}. Make {folder} writable, "
        "or set GAPMODEL_DB (or --db) to a file in a writable folder."
    )


def _wal(path: Path, text: str) -> WriteAheadLogError:
    wal = Path(f"{path}.wal")
    if "does not match" in text and "checksum" not in text:  # written for another copy
        what = "belongs to another copy of the database (a newer one, or another file)"
        after = "the database opens as it was last saved"
    else:
        what = "is damaged"
        after = "changes not yet saved into the database file are lost"
    return WriteAheadLogError(
        f"The write-ahead log {wal} beside the database {path} {what}, so the database was not "
        f"opened. Move {wal} aside and try again ({after}), or restore from a backup with "
        f"{restore_hint(path)}."
    )


def fault(exc: Exception, path: Path, outcome: str) -> DatabaseFault | None:
    """The :class:`DatabaseFault` that a DuckDB or OS error at ``path`` means, or None.

    Parameters
    ----------
    exc : Exception
        A ``duckdb.Error`` or ``OSError`` raised while opening, reading or writing ``path``.
    path : Path
        The database file.
    outcome : str
        What the failure means for the operation, e.g. ``"the wave was not stored"``.

    Returns
    -------
    DatabaseFault or None
        None for errors that are not faults of the file, its folder or its disk (the caller
        re-raises those).
    """
    if isinstance(exc, OSError):
        code = exc.errno
        text = os.strerror(code) if code else str(exc)
    else:
        code, text = None, str(exc)
    if code == errno.ENOSPC or "No space left on device" in text:
        return disk_full(path, outcome)
    if code == errno.EROFS or "Read-only file system" in text:
        return not_writable(path, outcome, read_only_fs=True)
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return not_writable(path, outcome, read_only_fs=False)
    if "replaying WAL" in text or "Corrupt WAL" in text:
        return _wal(path, text)
    for needle, detail in _DAMAGE:
        if needle in text:
            return _damaged(path, detail)
    if "invalidated" in text:  # DuckDB stops a connection after a fatal error
        return DatabaseFault(
            f"The database {path} stopped after an earlier error, so {outcome}; the next try "
            f"opens it afresh. If that fails too, restore it from a backup with "
            f"{restore_hint(path)}."
        )
    return None


def prepare(path: Path, read_only: bool) -> None:
    """Check ``path`` before DuckDB opens it; for a writable open, create its folder.

    Raises
    ------
    DatabasePathError
        A folder, or a folder that cannot be created (a file is in the way).
    DamagedDatabaseError
        A file that is empty or does not start with a DuckDB header (DuckDB 2 would open a CSV
        or Parquet file as an empty in-memory database instead of refusing it).
    ReadOnlyDatabaseError, DiskFullError
        A new file whose folder cannot be written.
    """
    if path.is_dir():
        raise DatabasePathError(
            f"The database path {path} is a folder, not a file. Set GAPMODEL_DB (or --db) to a "
            f"file, e.g. {path / 'gapmodel.duckdb'}."
        )
    if path.exists():
        if not path.is_file():  # a device or a named pipe (opening one waits for a writer)
            raise _not_a_database(path, 0)
        try:
            with path.open("rb") as file:
                head = file.read(12)
        except OSError as exc:  # a file this user may not even read
            raise _cannot(path, exc) from None
        if head[8:12] != MAGIC:
            raise _not_a_database(path, len(head))
        return
    if read_only:
        return
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocking = next(p for p in (folder, *folder.parents) if p.exists())
        reason = (
            f"{blocking} is a file, not a folder"
            if not blocking.is_dir()
            else (os.strerror(exc.errno) if exc.errno else str(exc))
        )
        raise fault(exc, path, "the database was not created") or DatabasePathError(
            f"The folder {folder} for the database cannot be created: {reason}. Set GAPMODEL_DB "
            "(or --db) to a file in an existing folder."
        ) from None
    if not os.access(folder, os.W_OK):  # root too is refused on a read-only file system
        raise not_writable(path, "the database was not created")


def _cannot(path: Path, exc: OSError) -> DatabaseFault:
    return DatabaseFault(
        f"The database {path} cannot be read ({exc.strerror or exc}). Let this user read it, or "
        "set GAPMODEL_DB (or --db) to another file."
    )
