"""The DuckDB store: one locked-down connection per process, a cursor per caller.

The store's operations are grouped by job: reading the questionnaires
(:mod:`gapmodel.storage.questionnaires`) and the answers (:mod:`gapmodel.storage.reads`),
writing (:mod:`gapmodel.storage.writes`), saved column mappings
(:mod:`gapmodel.storage.mappings`) and whole tables for backups
(:mod:`gapmodel.storage.tables`).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from gapmodel.core.errors import ReadOnlyDatabaseError, StoreError
from gapmodel.storage import faults
from gapmodel.storage.connection import connect
from gapmodel.storage.mappings import StoreMappings
from gapmodel.storage.reads import StoreReads
from gapmodel.storage.schema import SCHEMA_VERSION, create_schema, migrate, stored_version
from gapmodel.storage.tables import StoreTables
from gapmodel.storage.writes import StoreWrites


class Store(StoreReads, StoreWrites, StoreTables, StoreMappings):
    """A survey store in one DuckDB file: one connection per process, a cursor per caller.

    Use :meth:`open`; the store is a context manager that closes the connection. Every method
    may be called from many threads at once: each call reads through its own cursor, and writes
    are serialised. A read that takes several statements runs in one transaction, so it sees one
    committed state; use :meth:`snapshot` to make several calls see the same state.
    """

    _broken = False  # set after DuckDB's fatal error; the next call opens the file afresh

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> Store:
        """Open (and if needed create and migrate) the store at ``path``.

        A writable open of a file made by an older gapmodel migrates it to ``SCHEMA_VERSION``
        in one transaction (``migrated_from`` then holds the old version). A read-only open
        never changes the file, so it refuses an older file and says how to migrate it.

        Raises
        ------
        DatabaseLockedError
            If another process holds the file; the message names that process.
        StoreError
            If a read-only open finds no database or an older schema, or the file is from a
            newer version.
        """
        path = Path(path)
        if read_only and not path.exists():
            raise StoreError(
                f"There is no database at {path}. Create one with `python -m gapmodel demo` "
                "or `python -m gapmodel ingest FILE --wave LABEL`."
            )
        con = connect(path, read_only)  # creates a missing folder for a writable open
        try:
            store = cls(con, path, read_only)
            store._ensure_schema()
        except duckdb.Error as exc:
            con.close()
            raise _translated(exc, path, "the database was not opened") from None
        except BaseException:
            con.close()
            raise
        return store

    @classmethod
    def open_or_read(cls, path: str | Path) -> Store:
        """Open the store at ``path`` for writing or, where the file or its folder cannot be
        written, for reading, with ``read_only_reason`` saying why; writes then raise it.

        Raises
        ------
        ReadOnlyDatabaseError
            If there is no file yet and its folder cannot be written.
        """
        try:
            return cls.open(path)
        except ReadOnlyDatabaseError:
            if not Path(path).exists():
                raise
        store = cls.open(path, read_only=True)
        store.read_only_reason = str(
            faults.not_writable(Path(path), "it is open read-only: uploads and deletes are refused")
        )
        return store

    def checkpoint(self) -> None:
        """Write every committed change into the database file itself, emptying its ``.wal``.

        DuckDB does this when the last connection closes, but says nothing if it fails (on a
        full disk the changes then stay in the ``.wal``); call this before moving the file.

        Raises
        ------
        DiskFullError
            If the disk has no space for it; the ``.wal`` still holds the changes.
        """
        self._require_writable()
        with self._write_lock:
            self.cursor().sql("CHECKPOINT")

    def _drop_connection(self) -> None:
        """After a fatal error (a checkpoint that found the disk full, say) DuckDB refuses
        every further call on the connection; close it, so that the next call reopens the file
        (everything committed is in the file or its ``.wal``)."""
        self._broken = True
        with suppress(duckdb.Error):
            self._con.close()

    def _revive(self) -> None:
        with self._write_lock:
            if self._broken:  # another thread may have reopened it meanwhile
                self._con = connect(self.path, self.read_only)  # or the fault that remains
                self._broken = False

    def close(self) -> None:
        """Close the connection (and every cursor made from it); a snapshot closes nothing."""
        if self._snapshot_cursor is None:
            self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """A read-only view of the store in which every call sees the same committed state.

        Waves ingested, replaced or deleted meanwhile (by another thread) stay invisible until
        the ``with`` block ends, so a page built from several queries is never half old, half
        new.

        Yields
        ------
        Store
            Has every reading method of the store; writing through it raises ``StoreError``.

        A snapshot belongs to one thread; each thread takes its own.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> store = Store.open(pathlib.Path(tempfile.mkdtemp()) / "example.duckdb")
        >>> with store.snapshot() as snap:
        ...     labels = snap.wave_labels()
        ...     version = snap.data_version
        >>> labels, version
        ([], 0)
        >>> store.close()
        """
        if self._snapshot_cursor is not None:
            yield self
            return
        if self._broken:
            self._revive()
        cur = self._con.cursor()
        cur.begin()
        view = copy.copy(self)
        view.read_only = True
        view._snapshot_cursor = cur
        try:
            yield view
        finally:
            cur.rollback()  # it only read
            cur.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (``SCHEMA_VERSION`` once opened)."""
        return stored_version(self.cursor())

    def _ensure_schema(self) -> None:
        cur = self.cursor()
        version = stored_version(cur)
        if version is None:
            if self.read_only:
                raise StoreError(f"The file {self.path} is not a gapmodel database.")
            with self._transaction(cur):
                create_schema(cur)
            return
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The database {self.path} has schema version {version}, newer than this "
                f"gapmodel ({SCHEMA_VERSION}). Upgrade gapmodel to open it."
            )
        if version < SCHEMA_VERSION:
            if self.read_only:
                raise StoreError(
                    f"The database {self.path} has schema version {version} and needs a one-time "
                    f"upgrade to version {SCHEMA_VERSION}. Run `python -m gapmodel migrate --db "
                    f"{self.path}` (or start the dashboard), then try again."
                )
            with self._transaction(cur):
                migrate(cur, version, SCHEMA_VERSION)
            self.migrated_from = version


# -- driver errors as the project's own ------------------------------------------------------
# What a failed call means for the user; calls not named here only read.
_OUTCOMES = {
    "ingest_wave": "the wave was not stored",
    "delete_wave": "the wave was not deleted",
    "save_mapping": "the mapping was not saved",
    "create_from_tables": "the backup was not restored",
    "checkpoint": "the changes stay in the write-ahead log (.wal) beside it",
}


def _translated(exc: duckdb.Error, path: Path, outcome: str) -> Exception:
    """The fault ``exc`` means (see :mod:`gapmodel.storage.faults`), else ``exc`` itself."""
    return faults.fault(exc, path, outcome) or exc


def _guarded(method: Callable, outcome: str, classmethod_: bool = False) -> Callable:
    @functools.wraps(method)
    def call(first, *args, **kwargs):
        own = not classmethod_ and first._snapshot_cursor is None  # not a snapshot's view
        if own and first._broken:
            first._revive()
        try:
            return method(first, *args, **kwargs)
        except duckdb.Error as exc:
            path = Path(args[0] if classmethod_ else first.path)
            if own and isinstance(exc, duckdb.FatalException):
                first._drop_connection()
            raise _translated(exc, path, outcome) from None

    return call


def _guard(cls: type) -> None:
    """Every public operation of the store raises a fault of the file, folder or disk as a
    :class:`~gapmodel.core.errors.DatabaseFault` naming the file and the next step."""
    done = {"open", "close", "snapshot", "cursor"}  # open translates itself; the rest only wrap
    for base in cls.__mro__[:-1]:  # all but object
        for name, member in list(vars(base).items()):
            if name.startswith("_") or name in done:
                continue
            done.add(name)
            outcome = _OUTCOMES.get(name, "nothing was read")
            if isinstance(member, property):
                setattr(cls, name, property(_guarded(member.fget, outcome)))
            elif isinstance(member, classmethod):
                setattr(cls, name, classmethod(_guarded(member.__func__, outcome, True)))
            elif callable(member) and not isinstance(member, staticmethod):
                setattr(cls, name, _guarded(member, outcome))


_guard(Store)
