"""What every part of the store shares: the connection, a cursor per caller, read and write
transactions, and finding a wave by its label."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from gapmodel.core.errors import ReadOnlyDatabaseError, StoreError, UnknownWaveError
from gapmodel.core.text import find_text


class StoreBase:
    """The state and transactions of :class:`gapmodel.storage.store.Store`, which its reading,
    writing and backup parts (:mod:`.reads`, :mod:`.writes`, :mod:`.tables`) build on."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self._con = con
        self.path = path
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._snapshot_cursor: duckdb.DuckDBPyConnection | None = None
        self.migrated_from: int | None = None
        self.read_only_reason: str | None = None  # why a writable open fell back to reading

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared connection: one per thread or script run.

        Inside :meth:`snapshot`, the snapshot's cursor (in its open read transaction).
        """
        if self._snapshot_cursor is not None:
            return self._snapshot_cursor
        return self._con.cursor()

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor whose statements all read the same committed state."""
        if self._snapshot_cursor is not None:
            yield self._snapshot_cursor
            return
        cur = self._con.cursor()
        cur.begin()
        try:
            yield cur
        finally:
            cur.rollback()
            cur.close()

    @contextmanager
    def _transaction(self, cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
        cur.begin()
        try:
            yield
        except BaseException:
            cur.rollback()
            raise
        cur.commit()

    def _require_writable(self) -> None:
        if self._snapshot_cursor is not None:
            raise StoreError("A snapshot only reads; write through the store itself.")
        if self.read_only_reason:
            raise ReadOnlyDatabaseError(self.read_only_reason)
        if self.read_only:
            raise StoreError(f"The database {self.path} is open read-only.")

    def require_wave(self, label: str) -> int:
        """The id of the wave labelled ``label``.

        Raises
        ------
        UnknownWaveError
            If there is none; the message says how to list the waves.
        """
        return self._wave_id(self.cursor(), label)

    @staticmethod
    def _stored_label(cur: duckdb.DuckDBPyConnection, label: str) -> str | None:
        """The stored label ``label`` names: itself, or the one with its normal form (typed
        with a zero-width space or decomposed accents, it still finds the stored wave)."""
        labels = [row[0] for row in cur.sql("SELECT label FROM waves").fetchall()]
        return find_text(label, labels)

    @classmethod
    def _wave_id(cls, cur: duckdb.DuckDBPyConnection, label: str) -> int:
        stored = cls._stored_label(cur, label)
        if stored is None:
            raise UnknownWaveError(
                f"There is no wave labelled {label!r}. List waves with `python -m gapmodel waves`."
            )
        rows = cur.sql("SELECT wave_id FROM waves WHERE label = ?", params=[stored]).fetchall()
        return rows[0][0]
