"""The locked-down DuckDB connection: no file or network access, no extensions, settings frozen."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from gapmodel.core.errors import DatabaseLockedError, StoreError
from gapmodel.storage import faults

_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def _lock_message(path: Path, exc: Exception) -> str:
    text = str(exc)
    match = _LOCK_HOLDER.search(text)
    if not match:
        return f"The database {path} is in use by another process and cannot be opened."
    pid = int(match["pid"])
    holder = match["exe"]
    try:
        import psutil

        proc = psutil.Process(pid)
        cmd = " ".join(" ".join(proc.cmdline()).split()) or holder
        holder = "the dashboard (streamlit)" if "streamlit" in cmd else cmd[:80]
    except Exception:  # noqa: BLE001 - the process may be gone or hidden; keep what DuckDB said
        pass
    return (
        f"The database {path} is held by {holder} (PID {pid}). Stop that process, or point "
        "--db / GAPMODEL_DB at another file, then try again."
    )


def remove_database(path: Path) -> None:
    """Remove the database file ``path`` and its write-ahead log, where they exist (a file
    being built that is given up)."""
    for file in (path, Path(f"{path}.wal")):
        file.unlink(missing_ok=True)


def connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A locked-down connection: no file or network access, no extensions, settings frozen.

    Raises
    ------
    DatabaseLockedError
        Another process holds the file; the message names it.
    DatabaseFault
        The file is damaged, not a database, beside a foreign write-ahead log, or its folder or
        disk cannot be written (:mod:`gapmodel.storage.faults`).
    """
    faults.prepare(path, read_only)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))
    except duckdb.Error as exc:
        if "Could not set lock" in str(exc) or _LOCK_HOLDER.search(str(exc)):
            raise DatabaseLockedError(_lock_message(path, exc)) from None
        raise faults.fault(exc, path, "the database was not opened") or StoreError(
            f"Cannot open the database {path}: {exc}. Is it a gapmodel database file?"
        ) from None
    try:
        con.sql("SET enable_progress_bar = false")
        con.sql("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con
