"""Writing the store: a wave ingested, replaced or deleted in one transaction, with its audit row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import numpy as np
import polars as pl

from gapmodel.core.errors import DuplicateWaveError, StoreError
from gapmodel.core.instrument import Instrument
from gapmodel.storage.base import StoreBase
from gapmodel.storage.names import check_label, check_user
from gapmodel.storage.prepared_wave import PreparedWave
from gapmodel.storage.schema import registered

_BITMAP_CELLS = 1 << 31  # respondents x pairs checked with a bitmap (2 GB at most)


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
        typed, label = label, check_label(label)
        user = check_user(user)
        responses = pair_responses(wave.responses, wave.instrument)
        with self._write_lock:
            cur = self.cursor()
            with self._transaction(cur):
                same_file = cur.sql(
                    "SELECT label FROM waves WHERE sha256 = ?", params=[wave.sha256]
                ).fetchall()
                same_file = same_file[0][0] if same_file else None
                same_label = self._stored_label(cur, label)
                if not replace:
                    if same_file is not None:
                        raise DuplicateWaveError(
                            f"This file ({wave.source_name}) was already ingested as wave "
                            f"{same_file!r}.",
                            same_file,
                        )
                    if same_label is not None:
                        raise DuplicateWaveError(
                            f"A wave labelled {same_label!r} already exists"
                            + _lookalike(typed, same_label),
                            same_label,
                        )
                # Past the checks above, anything stored under this file or label is replaced.
                replaced = same_label or same_file
                old_waves = sorted({x for x in (same_file, same_label) if x})
                for old in old_waves:
                    self._delete(cur, old)
                instrument_id = self._instrument_id(cur, wave.instrument)
                wave_id = cur.sql("SELECT coalesce(max(wave_id), 0) + 1 FROM waves").fetchall()[0][
                    0
                ]
                cur.sql(
                    """INSERT INTO waves (wave_id, label, fielded, scale_min, scale_max,
                           instrument_id, source_name, sha256, source_format, n_respondents,
                           n_responses, ingested_by, attributes)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
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
                        wave.attributes,
                    ],
                )
                people = wave.respondents.select("respondent", "respondent_id")
                self._insert_frame(cur, "respondents", wave_id, people)
                attributes = attribute_rows(wave.respondents, wave.attributes)
                if attributes.height:
                    self._insert_frame(cur, "respondent_attributes", wave_id, attributes)
                self._insert_frame(cur, "responses", wave_id, responses)
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

    def delete_wave(self, label: str, user: str | None = None) -> str:
        """Delete a wave and all its rows in one transaction.

        Parameters
        ----------
        label : str
            The wave to delete.
        user : str, optional
            Who deletes it; recorded in the audit table in the same transaction.

        Returns
        -------
        str
            The label as stored (``label`` may differ from it by invisible characters or the
            Unicode form of its accents).

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
                label = self._stored_label(cur, label) or label  # _delete refuses an unknown one
                counts = cur.sql(
                    "SELECT n_respondents, n_responses FROM waves WHERE label = ?", params=[label]
                ).fetchall()
                self._delete(cur, label)
                detail = f"{counts[0][0]} respondents, {counts[0][1]} responses"
                self._audit(cur, "delete", label, user, detail)
                cur.sql("UPDATE changes SET version = version + 1")
        return label

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
        tables = ("responses", "allocations", "respondent_attributes", "respondents", "waves")
        for table in tables:
            cur.sql(f"DELETE FROM {table} WHERE wave_id = ?", params=[wave_id])  # noqa: S608
        for table in ("pairs", "items", "instruments"):  # of instruments no wave uses any more
            cur.sql(
                f"DELETE FROM {table} WHERE instrument_id NOT IN (SELECT instrument_id FROM waves)"  # noqa: S608
            )

    @staticmethod
    def _instrument_id(cur: duckdb.DuckDBPyConnection, instrument: Instrument) -> int:
        """The stored instrument with this content (by hash), stored now if it is new: its
        stage and dimension order, its items in file order and its numbered pairs."""
        rows = cur.sql(
            "SELECT instrument_id FROM instruments WHERE sha256 = ?", params=[instrument.sha256]
        ).fetchall()
        if rows:
            return rows[0][0]
        new_id = cur.sql("SELECT coalesce(max(instrument_id), 0) + 1 FROM instruments").fetchall()
        new_id = new_id[0][0]
        cur.sql(
            """INSERT INTO instruments (instrument_id, name, sha256, stages, dimensions)
               VALUES (?, ?, ?, ?, ?)""",
            params=[
                new_id,
                instrument.name,
                instrument.sha256,
                list(instrument.stages),
                list(instrument.dimensions),
            ],
        )
        items = instrument.items.rename({"code": "item"}).with_row_index("position")
        pairs = instrument.pairs().select("stage", "item").with_row_index("pair")
        for table, frame in (("items", items), ("pairs", pairs)):
            frame = frame.with_columns(pl.lit(new_id, pl.Int32).alias("instrument_id"))
            columns = ", ".join(frame.columns)  # fixed names: ours, not the file's
            with registered(cur, "new_rows", frame):
                cur.sql(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM new_rows")  # noqa: S608
        return new_id

    @staticmethod
    def _insert_frame(
        cur: duckdb.DuckDBPyConnection, table: str, wave_id: int, frame: pl.DataFrame
    ) -> None:
        columns = ", ".join(frame.columns)
        view = f"new_{table}"
        with registered(cur, view, frame):
            cur.sql(
                f"INSERT INTO {table} (wave_id, {columns}) SELECT ?, {columns} FROM {view}",  # noqa: S608
                params=[wave_id],
            )

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


def _lookalike(typed: str, stored: str) -> str:
    """The end of a duplicate-label message: where the typed label only looks like the stored
    one, say so (it was compared in its normal form)."""
    if typed.strip() == stored:
        return "."
    return (
        f" (you typed {typed.strip()!r}, which differs from it only by invisible characters, "
        "spaces or the Unicode form of its accents, so it is the same label)."
    )


def pair_responses(responses: pl.DataFrame, instrument: Instrument) -> pl.DataFrame:
    """The responses as stored: ``respondent, pair`` (the row of the pair in
    ``instrument.pairs()``) and the measures.

    Raises
    ------
    StoreError
        A response to a stage and item the instrument does not ask, or one respondent, stage
        and item answered twice. The responses table has no index (it would make deleting a
        large wave take minutes), so the store checks the new rows before they are written:
        each row marks its cell in a bitmap of respondents x pairs, and a duplicate marks a
        cell twice.
    """
    stages = {s: k for k, s in enumerate(instrument.stages)}
    items = {c: k for k, c in enumerate(instrument.codes)}
    lookup = np.full((len(stages), len(items)), -1, np.int64)
    for k, (stage, item) in enumerate(instrument.pairs().select("stage", "item").iter_rows()):
        lookup[stages[stage], items[item]] = k
    stage = _codes(responses["stage"], stages)
    item = _codes(responses["item"], items)
    pair = np.full(stage.shape, -1, np.int64)
    known = (stage >= 0) & (item >= 0)
    if known.all():
        stage *= len(items)  # in place: the cell of stage x item, without temporaries
        stage += item
        pair = lookup.ravel()[stage]
    else:
        pair[known] = lookup[stage[known], item[known]]
    unasked = int(np.count_nonzero(pair < 0))
    if unasked:
        raise StoreError(
            f"{unasked} responses name a stage and item the questionnaire does not ask; "
            "nothing was written."
        )
    others = [c for c in responses.columns if c not in ("respondent", "stage", "item")]
    stored = responses.select("respondent", pl.Series("pair", pair, pl.Int32), *others)
    if stored.height:
        cell = stored["respondent"].to_numpy().astype(np.int64)  # in place from here
        cell *= int(lookup.max()) + 1
        cell += pair
        top = int(cell.max()) + 1
        if top <= _BITMAP_CELLS:
            seen = np.zeros(top, bool)
            seen[cell] = True
            distinct = int(np.count_nonzero(seen))
        else:  # a bitmap that large would not pay: sort instead
            distinct = int(np.unique(cell).size)
        duplicated = stored.height - distinct
        if duplicated:
            raise StoreError(
                f"{duplicated} responses repeat a respondent, stage and item; nothing was written."
            )
    return stored


def _codes(column: pl.Series, codes: dict[str, int]) -> np.ndarray:
    """The position in ``codes`` of each value of a column (-1 for others): an Enum of exactly
    those names gives its own codes, with no pass over the text."""
    if isinstance(column.dtype, pl.Enum) and column.dtype.categories.to_list() == list(codes):
        return column.to_physical().to_numpy().astype(np.int64)
    text = column.cast(pl.String).replace_strict(codes, default=-1, return_dtype=pl.Int64)
    return text.to_numpy()


def attribute_rows(respondents: pl.DataFrame, attributes: Sequence[str]) -> pl.DataFrame:
    """``respondent, attribute, value`` for every attribute a respondent has a value of."""
    if not attributes:
        return pl.DataFrame(
            schema={"respondent": pl.Int32, "attribute": pl.String, "value": pl.String}
        )
    return (
        respondents.select("respondent", *attributes)
        .unpivot(index="respondent", on=list(attributes), variable_name="attribute")
        .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
        .select("respondent", "attribute", pl.col("value").cast(pl.String))
    )
