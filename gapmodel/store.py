"""The DuckDB store: schema, locked-down connection, atomic wave ingestion and queries.

This is the only module that talks to DuckDB. Every value is bound as a parameter; the few
identifiers that vary (attribute columns) come from a whitelist.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from gapmodel.errors import DatabaseLockedError, DuplicateWaveError, StoreError, UnknownWaveError
from gapmodel.instrument import STAGES, Instrument

SCHEMA_VERSION = 1
ATTRIBUTES: tuple[str, ...] = ("segment", "channel", "region")
MEASURES: tuple[str, ...] = ("expectation", "perception", "adequate", "importance")
STAGE_DTYPE = pl.Enum(list(STAGES))

_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}

_SCHEMA = [
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    f"CREATE TYPE stage AS ENUM ({', '.join(repr(s) for s in STAGES)})",
    """CREATE TABLE instruments (
        instrument_id INTEGER PRIMARY KEY,
        name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL UNIQUE,
        created_at TIMESTAMP NOT NULL DEFAULT current_timestamp)""",
    """CREATE TABLE items (
        instrument_id INTEGER NOT NULL,
        item VARCHAR NOT NULL,
        wording VARCHAR NOT NULL,
        dimension VARCHAR NOT NULL,
        element VARCHAR NOT NULL CHECK (element IN ('human', 'technical')),
        stages stage[] NOT NULL,
        PRIMARY KEY (instrument_id, item))""",
    """CREATE TABLE waves (
        wave_id INTEGER PRIMARY KEY,
        label VARCHAR NOT NULL UNIQUE CHECK (length(label) BETWEEN 1 AND 80),
        fielded DATE,
        scale_min UTINYINT NOT NULL CHECK (scale_min IN (0, 1)),
        scale_max UTINYINT NOT NULL CHECK (scale_max BETWEEN 3 AND 11),
        instrument_id INTEGER NOT NULL,
        source_name VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL UNIQUE,
        source_format VARCHAR NOT NULL,
        n_respondents INTEGER NOT NULL,
        n_responses BIGINT NOT NULL,
        ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp)""",
    """CREATE TABLE respondents (
        wave_id INTEGER NOT NULL,
        respondent INTEGER NOT NULL,
        respondent_id VARCHAR NOT NULL CHECK (length(respondent_id) BETWEEN 1 AND 200),
        segment VARCHAR,
        channel VARCHAR,
        region VARCHAR,
        extra VARCHAR,
        PRIMARY KEY (wave_id, respondent),
        UNIQUE (wave_id, respondent_id))""",
    # No primary key here: on tens of millions of rows an index makes deletes take minutes.
    # Uniqueness of (respondent, stage, item) within a wave is enforced at ingestion.
    """CREATE TABLE responses (
        wave_id INTEGER NOT NULL,
        respondent INTEGER NOT NULL,
        stage stage NOT NULL,
        item VARCHAR NOT NULL,
        expectation UTINYINT CHECK (expectation <= 11),
        perception UTINYINT CHECK (perception <= 11),
        adequate UTINYINT CHECK (adequate <= 11),
        importance UTINYINT CHECK (importance <= 11))""",
    """CREATE TABLE allocations (
        wave_id INTEGER NOT NULL,
        respondent INTEGER NOT NULL,
        dimension VARCHAR NOT NULL,
        points DOUBLE NOT NULL CHECK (points BETWEEN 0 AND 100),
        PRIMARY KEY (wave_id, respondent, dimension))""",
    "CREATE TABLE changes (version BIGINT NOT NULL)",
    "INSERT INTO changes VALUES (0)",
]
TABLES: tuple[str, ...] = (
    "instruments",
    "items",
    "waves",
    "respondents",
    "responses",
    "allocations",
)
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class PreparedWave:
    """A validated wave, ready to be written.

    Attributes
    ----------
    respondents : pl.DataFrame
        ``respondent`` (Int32, 1..n), ``respondent_id``, ``segment``, ``channel``, ``region``,
        ``extra`` (JSON text of other attribute columns, or null).
    responses : pl.DataFrame
        ``respondent, stage, item, expectation, perception, adequate, importance``.
    allocations : pl.DataFrame
        ``respondent, dimension, points``; may be empty.
    scale : tuple of int
        Declared (min, max) of the wave's scale.
    instrument : Instrument
    source_name, sha256, source_format : str
        File name, hash of the file's bytes, and "wide" or "long".
    """

    respondents: pl.DataFrame
    responses: pl.DataFrame
    allocations: pl.DataFrame
    scale: tuple[int, int]
    instrument: Instrument
    source_name: str
    sha256: str
    source_format: str


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


class Store:
    """A survey store in one DuckDB file: one connection per process, a cursor per caller.

    Use :meth:`open`; the store is a context manager that closes the connection.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self._con = con
        self.path = path
        self.read_only = read_only
        self._write_lock = threading.Lock()

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> Store:
        """Open (and if needed create and migrate) the store at ``path``.

        Raises
        ------
        DatabaseLockedError
            If another process holds the file; the message names that process.
        StoreError
            If a read-only open finds no database, or the file is from a newer version.
        """
        path = Path(path)
        if read_only and not path.exists():
            raise StoreError(
                f"There is no database at {path}. Create one with `python -m gapmodel demo` "
                "or `python -m gapmodel ingest FILE --wave LABEL`."
            )
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseLockedError(_lock_message(path, exc)) from None
            raise StoreError(f"Cannot open the database {path}: {exc}") from None
        try:
            con.sql("SET enable_progress_bar = false")
            con.sql("SET lock_configuration = true")
            store = cls(con, path, read_only)
            store._ensure_schema()
        except BaseException:
            con.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (and every cursor made from it)."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared connection: one per thread or script run."""
        return self._con.cursor()

    def _ensure_schema(self) -> None:
        cur = self.cursor()
        exists = cur.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchall()[0][0]
        if not exists:
            if self.read_only:
                raise StoreError(f"The file {self.path} is not a gapmodel database.")
            with self._transaction(cur):
                for statement in _SCHEMA:
                    cur.sql(statement)
                cur.sql("INSERT INTO schema_version VALUES (?)", params=[SCHEMA_VERSION])
            return
        version = cur.sql("SELECT max(version) FROM schema_version").fetchall()[0][0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The database {self.path} has schema version {version}, newer than this "
                f"gapmodel ({SCHEMA_VERSION}). Upgrade gapmodel to open it."
            )

    @contextmanager
    def _transaction(self, cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
        cur.begin()
        try:
            yield
        except BaseException:
            cur.rollback()
            raise
        cur.commit()

    # -- reading -------------------------------------------------------------------------
    @property
    def data_version(self) -> int:
        """A number that grows with every committed ingest, replace or delete."""
        return self.cursor().sql("SELECT max(version) FROM changes").fetchall()[0][0]

    def waves(self) -> pl.DataFrame:
        """The stored waves, oldest first (by fielded date, then ingestion time).

        Returns
        -------
        pl.DataFrame
            ``wave_id, label, fielded, scale_min, scale_max, instrument, source_name, sha256,
            source_format, n_respondents, n_responses, ingested_at``.
        """
        return (
            self.cursor()
            .sql(
                """SELECT w.wave_id, w.label, w.fielded, w.scale_min, w.scale_max,
                      i.name AS instrument, w.source_name, w.sha256, w.source_format,
                      w.n_respondents, w.n_responses, w.ingested_at
               FROM waves w JOIN instruments i USING (instrument_id)
               ORDER BY w.fielded NULLS LAST, w.ingested_at, w.wave_id"""
            )
            .pl()
        )

    def wave_labels(self) -> list[str]:
        """Wave labels, oldest first."""
        return self.waves()["label"].to_list()

    def wave_with_hash(self, sha256: str) -> str | None:
        """The label of the wave ingested from a file with this hash, if any."""
        rows = (
            self.cursor()
            .sql("SELECT label FROM waves WHERE sha256 = ?", params=[sha256])
            .fetchall()
        )
        return rows[0][0] if rows else None

    def items(self, wave: str | None = None) -> pl.DataFrame:
        """Instrument items (``item, wording, dimension, element, stages``).

        Parameters
        ----------
        wave : str, optional
            Items of the instrument that wave was ingested with; default: the latest wave's.
        """
        cur = self.cursor()
        if wave is None:
            sql = """SELECT it.item, it.wording, it.dimension, it.element,
                            CAST(it.stages AS VARCHAR[]) AS stages
                     FROM items it WHERE it.instrument_id = (
                        SELECT instrument_id FROM waves ORDER BY ingested_at DESC LIMIT 1)"""
            return cur.sql(sql).pl()
        self._wave_id(cur, wave)
        sql = """SELECT it.item, it.wording, it.dimension, it.element,
                        CAST(it.stages AS VARCHAR[]) AS stages
                 FROM items it JOIN waves w USING (instrument_id) WHERE w.label = ?"""
        return cur.sql(sql, params=[wave]).pl()

    def responses(
        self,
        waves: Sequence[str] | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        stages: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Paired scores joined with item metadata and respondent attributes.

        Parameters
        ----------
        waves : sequence of str, optional
            Wave labels to include; all waves when omitted.
        where : mapping, optional
            Attribute filters, e.g. ``{"segment": "Business"}`` or ``{"region": ["North", "East"]}``;
            keys must be among ``segment, channel, region``.
        stages : sequence of str, optional
            Journey stages to include.

        Returns
        -------
        pl.DataFrame
            ``wave, respondent, stage, item, dimension, element, expectation, perception,
            adequate, importance, segment, channel, region``; one row per respondent x stage x
            item; ``respondent`` is unique within a wave.
        """
        clauses, params = self._filters(waves, where, stages)
        sql = f"""
            SELECT w.label AS wave, r.respondent, CAST(r.stage AS VARCHAR) AS stage, r.item,
                   it.dimension, it.element, r.expectation, r.perception, r.adequate,
                   r.importance, p.segment, p.channel, p.region
            FROM responses r
            JOIN waves w ON w.wave_id = r.wave_id
            JOIN respondents p ON p.wave_id = r.wave_id AND p.respondent = r.respondent
            JOIN items it ON it.instrument_id = w.instrument_id AND it.item = r.item
            WHERE {clauses}
            ORDER BY w.fielded NULLS LAST, w.ingested_at, r.respondent, r.stage, r.item"""  # noqa: S608 - fixed clauses, bound values
        frame = self.cursor().sql(sql, params=params).pl()
        return frame.with_columns(
            pl.col("respondent").cast(pl.Int32), pl.col("stage").cast(STAGE_DTYPE)
        )

    def scores(self, waves: Sequence[str], items: Sequence[str]) -> pl.DataFrame:
        """The raw scores of some waves, compactly coded for the gap model (no joins).

        Parameters
        ----------
        waves : sequence of str
            Wave labels, in the order wanted.
        items : sequence of str
            Item codes; ``item`` in the result is a position in this list. Responses to other
            items are left out.

        Returns
        -------
        pl.DataFrame
            ``wave`` (Enum of ``waves``), ``respondent`` (Int32), ``stage`` (UInt8, position in
            ``STAGES``), ``item`` (UInt8, position in ``items``), ``expectation, perception,
            adequate, importance`` (UInt8, null when not given); rows in no particular order.
        """
        cur = self.cursor()
        labels = list(dict.fromkeys(waves))
        wave_dtype = pl.Enum(labels)
        parts = []
        for label in labels:
            wave_id = self._wave_id(cur, label)
            frame = cur.sql(
                """SELECT respondent, enum_code(stage)::UTINYINT AS stage,
                          (list_position(?::VARCHAR[], item) - 1)::UTINYINT AS item,
                          expectation, perception, adequate, importance
                   FROM responses
                   WHERE wave_id = ? AND list_position(?::VARCHAR[], item) > 0""",
                params=[list(items), wave_id, list(items)],
            ).pl()
            parts.append(frame.select(pl.lit(label, wave_dtype).alias("wave"), pl.all()))
        if not parts:
            schema = {"wave": wave_dtype, "respondent": pl.Int32, "stage": pl.UInt8}
            schema |= {"item": pl.UInt8} | dict.fromkeys(MEASURES, pl.UInt8)
            return pl.DataFrame(schema=schema)
        return pl.concat(parts)

    def allocations(
        self,
        waves: Sequence[str] | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
    ) -> pl.DataFrame:
        """Importance points each respondent allocated over the dimensions (may be empty).

        Returns
        -------
        pl.DataFrame
            ``wave, respondent, dimension, points``.
        """
        clauses, params = self._filters(waves, where, None, responses_alias=None)
        sql = f"""
            SELECT w.label AS wave, a.respondent, a.dimension, a.points
            FROM allocations a
            JOIN waves w ON w.wave_id = a.wave_id
            JOIN respondents p ON p.wave_id = a.wave_id AND p.respondent = a.respondent
            WHERE {clauses}
            ORDER BY w.wave_id, a.respondent, a.dimension"""  # noqa: S608 - fixed clauses, bound values
        frame = self.cursor().sql(sql, params=params).pl()
        return frame.with_columns(pl.col("respondent").cast(pl.Int32))

    def respondents(self, waves: Sequence[str] | None = None) -> pl.DataFrame:
        """Respondents with their attributes: ``wave, respondent, respondent_id, segment,
        channel, region, extra``."""
        clauses, params = self._filters(waves, None, None, responses_alias=None)
        sql = f"""
            SELECT w.label AS wave, p.respondent, p.respondent_id, p.segment, p.channel,
                   p.region, p.extra
            FROM respondents p JOIN waves w ON w.wave_id = p.wave_id
            WHERE {clauses} ORDER BY w.wave_id, p.respondent"""  # noqa: S608 - fixed clauses, bound values
        return self.cursor().sql(sql, params=params).pl()

    def attribute_values(self, attribute: str) -> list[str]:
        """Distinct non-null values of a whitelisted respondent attribute, sorted."""
        column = _attribute(attribute)
        sql = f"SELECT DISTINCT {column} FROM respondents WHERE {column} IS NOT NULL ORDER BY 1"  # noqa: S608 - whitelisted
        return [row[0] for row in self.cursor().sql(sql).fetchall()]

    def table_counts(self) -> dict[str, int]:
        """Row count of every data table (for checks and the CLI)."""
        cur = self.cursor()
        return {t: cur.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}  # noqa: S608

    def checksums(self) -> dict[str, tuple[int, int]]:
        """Row count and an order-independent checksum of the content of every table.

        Two stores with equal checksums hold the same rows (up to hash collisions); used to
        prove that a refused upload, or a backup and restore, changed nothing.
        """
        cur = self.cursor()
        sql = "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {} t"
        return {
            t: tuple(cur.sql(sql.format(t)).fetchall()[0])  # table names are fixed, not input
            for t in (*TABLES, "schema_version", "changes")
        }

    def _filters(self, waves, where, stages, responses_alias: str | None = "r"):
        clauses = ["TRUE"]
        params: list[object] = []
        if waves is not None:
            labels = [waves] if isinstance(waves, str) else list(waves)
            clauses.append("w.label IN (SELECT unnest(?::VARCHAR[]))")
            params.append(labels)
        for key, value in (where or {}).items():
            column = _attribute(key)
            values = [value] if isinstance(value, str) else list(value)
            clauses.append(f"p.{column} IN (SELECT unnest(?::VARCHAR[]))")
            params.append([str(v) for v in values])
        if stages is not None and responses_alias:
            unknown = [s for s in stages if s not in STAGES]
            if unknown:
                raise ValueError(f"Unknown stage(s) {unknown}; allowed: {', '.join(STAGES)}.")
            clauses.append(
                f"CAST({responses_alias}.stage AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))"
            )
            params.append(list(stages))
        return " AND ".join(clauses), params

    @staticmethod
    def _wave_id(cur: duckdb.DuckDBPyConnection, label: str) -> int:
        rows = cur.sql("SELECT wave_id FROM waves WHERE label = ?", params=[label]).fetchall()
        if not rows:
            raise UnknownWaveError(
                f"There is no wave labelled {label!r}. List waves with `python -m gapmodel waves`."
            )
        return rows[0][0]

    # -- writing -------------------------------------------------------------------------
    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError(f"The database {self.path} is open read-only.")

    def ingest_wave(
        self,
        wave: PreparedWave,
        label: str,
        fielded: date | None = None,
        replace: bool = False,
    ) -> dict[str, object]:
        """Write a validated wave in one transaction: all of it or nothing.

        Parameters
        ----------
        wave : PreparedWave
            Output of :func:`gapmodel.ingest.prepare_wave`.
        label : str
            The wave's label (1-80 characters), unique in the store.
        fielded : date, optional
            When the survey was in the field; orders waves in trends.
        replace : bool
            Replace an existing wave with the same label, or one ingested from the same file.

        Returns
        -------
        dict
            ``label, wave_id, n_respondents, n_responses, replaced`` (the replaced label or None).

        Raises
        ------
        DuplicateWaveError
            The same file (by SHA-256) or the same label is already stored and ``replace`` is
            false.
        """
        self._require_writable()
        label = label.strip()
        if not 1 <= len(label) <= 80:
            raise ValueError(f"The wave label must have 1 to 80 characters. Got {len(label)}.")
        _check_unique_responses(wave.responses, wave.instrument.codes)
        with self._write_lock:
            cur = self.cursor()
            same_file = self.wave_with_hash(wave.sha256)
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
            replaced = same_label[0][0] if same_label else same_file
            with self._transaction(cur):
                if replace:
                    for old in {x for x in (same_file, label if same_label else None) if x}:
                        self._delete(cur, old)
                instrument_id = self._instrument_id(cur, wave.instrument)
                wave_id = cur.sql("SELECT coalesce(max(wave_id), 0) + 1 FROM waves").fetchall()[0][
                    0
                ]
                cur.sql(
                    """INSERT INTO waves (wave_id, label, fielded, scale_min, scale_max,
                           instrument_id, source_name, sha256, source_format, n_respondents,
                           n_responses)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
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
                    ],
                )
                self._insert_frame(cur, "respondents", wave_id, wave.respondents)
                self._insert_frame(cur, "responses", wave_id, wave.responses)
                if wave.allocations.height:
                    self._insert_frame(cur, "allocations", wave_id, wave.allocations)
                self._check_scale(cur, wave_id, wave.scale)
                cur.sql("UPDATE changes SET version = version + 1")
        return {
            "label": label,
            "wave_id": wave_id,
            "n_respondents": wave.respondents.height,
            "n_responses": wave.responses.height,
            "replaced": replaced if replace else None,
        }

    def delete_wave(self, label: str) -> None:
        """Delete a wave and all its rows in one transaction.

        Raises
        ------
        UnknownWaveError
            If no wave has that label.
        """
        self._require_writable()
        with self._write_lock:
            cur = self.cursor()
            with self._transaction(cur):
                self._delete(cur, label)
                cur.sql("UPDATE changes SET version = version + 1")

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


def _check_unique_responses(responses: pl.DataFrame, items: Sequence[str]) -> None:
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


def _attribute(name: str) -> str:
    if name not in ATTRIBUTES:
        raise ValueError(
            f"Unknown respondent attribute {name!r}; allowed: {', '.join(ATTRIBUTES)}."
        )
    return name
