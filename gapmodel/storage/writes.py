"""Writing the store: a wave ingested, replaced or deleted in one transaction, with its audit row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import numpy as np
import polars as pl

from gapmodel.core.errors import DuplicateWaveError, StoreError
from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import STAGES
from gapmodel.storage.base import StoreBase
from gapmodel.storage.names import check_label, check_user
from gapmodel.storage.prepared_wave import PreparedWave


class StoreWrites(StoreBase):
    """The writing half of :class:`gapmodel.storage.store.Store`."""

    def ingest_wave(
        self,
        wave: PreparedWave,
        label: str,
        fielded: date | None = None,
        replace: bool = False,
        user: str | None = None,
    ) -> dict[str, object]:
        """Write a validated wave in one transaction: all of it or nothing.

        Parameters
        ----------
        wave : PreparedWave
            Output of :func:`gapmodel.ingest.prepare.prepare_wave`.
        label : str
            The wave's label (1-80 characters), unique in the store.
        fielded : date, optional
            When the survey was in the field; orders waves in trends.
        replace : bool
            Replace an existing wave with the same label, or one ingested from the same file.
        user : str, optional
            Who ingests the wave (1-200 characters); stored as ``waves.ingested_by`` and in the
            audit table, which gets an ``ingest`` or ``replace`` row in the same transaction.

        Returns
        -------
        dict
            ``label, wave_id, n_respondents, n_responses, replaced`` (the replaced label or None).

        Raises
        ------
        DuplicateWaveError
            The same file (by SHA-256) or the same label is already stored and ``replace`` is
            false.
        ValueError
            A label or user name that is empty or too long.
        """
        self._require_writable()
        label = check_label(label)
        user = check_user(user)
        check_unique_responses(wave.responses, wave.instrument.codes)
        with self._write_lock:
            cur = self.cursor()
            with self._transaction(cur):
                same_file = cur.sql(
                    "SELECT label FROM waves WHERE sha256 = ?", params=[wave.sha256]
                ).fetchall()
                same_file = same_file[0][0] if same_file else None
                same_label = cur.sql(
                    "SELECT label FROM waves WHERE label = ?", params=[label]
                ).fetchall()
                if not replace:
                    if same_file is not None:
                        raise DuplicateWaveError(
                            f"This file ({wave.source_name}) was already ingested as wave "
                            f"{same_file!r}.",
                            same_file,
                        )
                    if same_label:
                        raise DuplicateWaveError(
                            f"A wave labelled {label!r} already exists.",
                            label,
                        )
                # Past the checks above, anything stored under this file or label is replaced.
                replaced = label if same_label else same_file
                old_waves = sorted({x for x in (same_file, label if same_label else None) if x})
                for old in old_waves:
                    self._delete(cur, old)
                instrument_id = self._instrument_id(cur, wave.instrument)
                wave_id = cur.sql("SELECT coalesce(max(wave_id), 0) + 1 FROM waves").fetchall()[0][
                    0
                ]
                cur.sql(
                    """INSERT INTO waves (wave_id, label, fielded, scale_min, scale_max,
                           instrument_id, source_name, sha256, source_format, n_respondents,
                           n_responses, ingested_by)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    params=[
                        wave_id,
                        label,
                        fielded,
                        wave.scale[0],
                        wave.scale[1],
                        instrument_id,
                        wave.source_name,
                        wave.sha256,
                        wave.source_format,
                        wave.respondents.height,
                        wave.responses.height,
                        user,
                    ],
                )
                self._insert_frame(cur, "respondents", wave_id, wave.respondents)
                self._insert_frame(cur, "responses", wave_id, wave.responses)
                if wave.allocations.height:
                    self._insert_frame(cur, "allocations", wave_id, wave.allocations)
                self._check_scale(cur, wave_id, wave.scale)
                detail = (
                    f"{wave.source_name}: {wave.respondents.height} respondents, "
                    f"{wave.responses.height} responses"
                )
                if old_waves:
                    detail += "; replaced " + ", ".join(repr(x) for x in old_waves)
                action = "replace" if old_waves else "ingest"
                self._audit(cur, action, label, user, detail)
                cur.sql("UPDATE changes SET version = version + 1")
        return {
            "label": label,
            "wave_id": wave_id,
            "n_respondents": wave.respondents.height,
            "n_responses": wave.responses.height,
            "replaced": replaced if replace else None,
        }

    def delete_wave(self, label: str, user: str | None = None) -> None:
        """Delete a wave and all its rows in one transaction.

        Parameters
        ----------
        label : str
            The wave to delete.
        user : str, optional
            Who deletes it; recorded in the audit table in the same transaction.

        Raises
        ------
        UnknownWaveError
            If no wave has that label.
        """
        self._require_writable()
        user = check_user(user)
        with self._write_lock:
            cur = self.cursor()
            with self._transaction(cur):
                counts = cur.sql(
                    "SELECT n_respondents, n_responses FROM waves WHERE label = ?", params=[label]
                ).fetchall()
                self._delete(cur, label)
                detail = f"{counts[0][0]} respondents, {counts[0][1]} responses"
                self._audit(cur, "delete", label, user, detail)
                cur.sql("UPDATE changes SET version = version + 1")

    @staticmethod
    def _audit(
        cur: duckdb.DuckDBPyConnection, action: str, label: str, user: str | None, detail: str
    ) -> None:
        cur.sql(
            """INSERT INTO audit (audit_id, action, wave, username, detail)
               SELECT coalesce(max(audit_id), 0) + 1, ?, ?, ?, ? FROM audit""",
            params=[action, label, user, detail],
        )

    def _delete(self, cur: duckdb.DuckDBPyConnection, label: str) -> None:
        wave_id = self._wave_id(cur, label)
        for table in ("responses", "allocations", "respondents", "waves"):
            cur.sql(f"DELETE FROM {table} WHERE wave_id = ?", params=[wave_id])  # noqa: S608
        cur.sql(
            """DELETE FROM items WHERE instrument_id NOT IN (SELECT instrument_id FROM waves)"""
        )
        cur.sql(
            "DELETE FROM instruments WHERE instrument_id NOT IN (SELECT instrument_id FROM waves)"
        )

    @staticmethod
    def _instrument_id(cur: duckdb.DuckDBPyConnection, instrument: Instrument) -> int:
        rows = cur.sql(
            "SELECT instrument_id FROM instruments WHERE sha256 = ?", params=[instrument.sha256]
        ).fetchall()
        if rows:
            return rows[0][0]
        new_id = cur.sql("SELECT coalesce(max(instrument_id), 0) + 1 FROM instruments").fetchall()[
            0
        ][0]
        cur.sql(
            "INSERT INTO instruments (instrument_id, name, sha256) VALUES (?, ?, ?)",
            params=[new_id, instrument.name, instrument.sha256],
        )
        items = instrument.items.rename({"code": "item"}).with_columns(
            pl.lit(new_id, pl.Int32).alias("instrument_id")
        )
        cur.register("new_items", items)
        try:
            cur.sql(
                """INSERT INTO items SELECT instrument_id, item, wording, dimension, element,
                       CAST(stages AS stage[]) FROM new_items"""
            )
        finally:
            cur.unregister("new_items")
        return new_id

    @staticmethod
    def _insert_frame(
        cur: duckdb.DuckDBPyConnection, table: str, wave_id: int, frame: pl.DataFrame
    ) -> None:
        columns = ", ".join(frame.columns)
        view = f"new_{table}"
        cur.register(view, frame)
        try:
            cur.sql(
                f"INSERT INTO {table} (wave_id, {columns}) SELECT ?, {columns} FROM {view}",  # noqa: S608
                params=[wave_id],
            )
        finally:
            cur.unregister(view)

    @staticmethod
    def _check_scale(cur: duckdb.DuckDBPyConnection, wave_id: int, scale: tuple[int, int]) -> None:
        """Refuse, inside the transaction, any score outside the wave's declared scale."""
        bad = cur.sql(
            """SELECT count(*) FROM responses WHERE wave_id = ? AND NOT (
                   coalesce(expectation BETWEEN ? AND ?, TRUE) AND
                   coalesce(perception BETWEEN ? AND ?, TRUE) AND
                   coalesce(adequate BETWEEN ? AND ?, TRUE) AND
                   coalesce(importance BETWEEN ? AND ?, TRUE))""",
            params=[wave_id, *scale, *scale, *scale, *scale],
        ).fetchall()[0][0]
        if bad:
            raise StoreError(f"{bad} scores lie outside the declared scale {scale[0]}-{scale[1]}.")


def check_unique_responses(responses: pl.DataFrame, items: Sequence[str]) -> None:
    """Refuse a wave that answers one respondent x stage x item twice.

    The responses table has no index (it would make deleting a large wave take minutes), so the
    store checks the new rows before they are written: each row marks its cell in a bitmap of
    respondents x stages x items, and a duplicate marks a cell twice.
    """
    if responses.is_empty():
        return
    cell = responses["respondent"].to_numpy().astype(np.int64)  # in place: no temporaries
    cell *= len(STAGES)
    cell += responses["stage"].to_physical().to_numpy()
    cell *= len(items)
    cell += responses["item"].cast(pl.Enum(list(items))).to_physical().to_numpy()
    seen = np.zeros(int(cell.max()) + 1, bool)
    seen[cell] = True
    duplicated = responses.height - int(np.count_nonzero(seen))
    if duplicated:
        raise StoreError(
            f"{duplicated} responses repeat a respondent, stage and item; nothing was written."
        )
