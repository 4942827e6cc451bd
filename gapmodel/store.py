"""The DuckDB store: schema, locked-down connection, atomic wave ingestion and queries.

This is the only module that talks to DuckDB. Every value is bound as a parameter; the few
identifiers that vary (attribute columns) come from a whitelist.
"""

from __future__ import annotations

import copy
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from gapmodel.errors import DatabaseLockedError, DuplicateWaveError, StoreError, UnknownWaveError
from gapmodel.instrument import MEASURES, STAGES, Instrument

SCHEMA_VERSION = 2
ATTRIBUTES: tuple[str, ...] = ("segment", "channel", "region")
STAGE_DTYPE = pl.Enum(list(STAGES))

_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}

# The first schema, exactly as gapmodel created it at version 1. A new database is made from it
# followed by every step of _MIGRATIONS, the same steps an older database goes through on open.
_SCHEMA_V1: tuple[str, ...] = (
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
    "INSERT INTO schema_version VALUES (1)",
)
# Version -> the statements that take a database from the version before to this one. Each step
# runs in the transaction that migrates the file, followed by setting schema_version.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 2: who changed the data. Each wave records who ingested it; every ingest, replace and
    # delete leaves a row in the audit table, written in the same transaction as the change.
    2: (
        "ALTER TABLE waves ADD COLUMN ingested_by VARCHAR",
        """CREATE TABLE audit (
            audit_id BIGINT PRIMARY KEY,
            changed_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            action VARCHAR NOT NULL CHECK (action IN ('ingest', 'replace', 'delete')),
            wave VARCHAR NOT NULL,
            username VARCHAR CHECK (length(username) BETWEEN 1 AND 200),
            detail VARCHAR)""",
    ),
}
TABLES: tuple[str, ...] = (
    "instruments",
    "items",
    "waves",
    "respondents",
    "responses",
    "allocations",
)
ALL_TABLES: tuple[str, ...] = (*TABLES, "audit", "schema_version", "changes")
MAX_USER = 200
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


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A locked-down connection: no file or network access, no extensions, settings frozen."""
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=dict(_CONFIG))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseLockedError(_lock_message(path, exc)) from None
        raise StoreError(f"Cannot open the database {path}: {exc}") from None
    except duckdb.Error as exc:
        raise StoreError(
            f"Cannot open the database {path}: {exc}. Is it a gapmodel database file?"
        ) from None
    try:
        con.sql("SET enable_progress_bar = false")
        con.sql("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _create_schema(cur: duckdb.DuckDBPyConnection, version: int = SCHEMA_VERSION) -> None:
    """Create the tables of schema ``version`` (in the caller's transaction).

    The version 1 schema is created as it always was, then each migration step runs, exactly as
    it would on an older file: a new database and a migrated one cannot differ.
    """
    for statement in _SCHEMA_V1:
        cur.sql(statement)
    _migrate(cur, 1, version)


def _migrate(cur: duckdb.DuckDBPyConnection, from_version: int, to_version: int) -> None:
    """Run the migration steps after ``from_version`` up to ``to_version`` (caller's transaction)."""
    for version in range(from_version + 1, to_version + 1):
        for statement in _MIGRATIONS[version]:
            cur.sql(statement)
        cur.sql("UPDATE schema_version SET version = ?", params=[version])


def _schema_version(cur: duckdb.DuckDBPyConnection) -> int | None:
    """The file's schema version, or None when it has no gapmodel schema."""
    exists = cur.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return None
    return cur.sql("SELECT max(version) FROM schema_version").fetchall()[0][0]


def _base_tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the tables in the file (whatever its schema version), from DuckDB's catalogue."""
    rows = cur.sql(
        """SELECT table_name FROM information_schema.tables
           WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"""
    ).fetchall()
    return [row[0] for row in rows]


def _checksums(cur: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict[str, tuple[int, int]]:
    sql = "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {} t"
    # table names come from ALL_TABLES or DuckDB's own catalogue, never from input
    return {t: tuple(cur.sql(sql.format(t)).fetchall()[0]) for t in tables}


class Store:
    """A survey store in one DuckDB file: one connection per process, a cursor per caller.

    Use :meth:`open`; the store is a context manager that closes the connection. Every method
    may be called from many threads at once: each call reads through its own cursor, and writes
    are serialised. A read that takes several statements runs in one transaction, so it sees one
    committed state; use :meth:`snapshot` to make several calls see the same state.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self._con = con
        self.path = path
        self.read_only = read_only
        self._write_lock = threading.Lock()
        self._snapshot_cursor: duckdb.DuckDBPyConnection | None = None
        self.migrated_from: int | None = None

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
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect(path, read_only)
        try:
            store = cls(con, path, read_only)
            store._ensure_schema()
        except BaseException:
            con.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (and every cursor made from it); a snapshot closes nothing."""
        if self._snapshot_cursor is None:
            self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared connection: one per thread or script run.

        Inside :meth:`snapshot`, the snapshot's cursor (in its open read transaction).
        """
        if self._snapshot_cursor is not None:
            return self._snapshot_cursor
        return self._con.cursor()

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

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (``SCHEMA_VERSION`` once opened)."""
        return _schema_version(self.cursor())

    def _ensure_schema(self) -> None:
        cur = self.cursor()
        version = _schema_version(cur)
        if version is None:
            if self.read_only:
                raise StoreError(f"The file {self.path} is not a gapmodel database.")
            with self._transaction(cur):
                _create_schema(cur)
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
                _migrate(cur, version, SCHEMA_VERSION)
            self.migrated_from = version

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
            source_format, n_respondents, n_responses, ingested_at, ingested_by`` (who ingested
            the wave, null when not recorded).
        """
        return (
            self.cursor()
            .sql(
                """SELECT w.wave_id, w.label, w.fielded, w.scale_min, w.scale_max,
                      i.name AS instrument, w.source_name, w.sha256, w.source_format,
                      w.n_respondents, w.n_responses, w.ingested_at, w.ingested_by
               FROM waves w JOIN instruments i USING (instrument_id)
               ORDER BY w.fielded NULLS LAST, w.ingested_at, w.wave_id"""
            )
            .pl()
        )

    def wave_labels(self) -> list[str]:
        """Wave labels, oldest first."""
        return self.waves()["label"].to_list()

    def items(self, wave: str | None = None) -> pl.DataFrame:
        """Instrument items (``item, wording, dimension, element, stages``).

        Parameters
        ----------
        wave : str, optional
            Items of the instrument that wave was ingested with; default: the latest wave's.
        """
        if wave is None:
            sql = """SELECT it.item, it.wording, it.dimension, it.element,
                            CAST(it.stages AS VARCHAR[]) AS stages
                     FROM items it WHERE it.instrument_id = (
                        SELECT instrument_id FROM waves ORDER BY ingested_at DESC LIMIT 1)"""
            return self.cursor().sql(sql).pl()
        sql = """SELECT it.item, it.wording, it.dimension, it.element,
                        CAST(it.stages AS VARCHAR[]) AS stages
                 FROM items it JOIN waves w USING (instrument_id) WHERE w.label = ?"""
        with self._reading() as cur:
            self._wave_id(cur, wave)
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

        Raises
        ------
        UnknownWaveError
            If a label is not stored. All waves are read in one transaction.
        """
        labels = list(dict.fromkeys(waves))
        wave_dtype = pl.Enum(labels)
        parts = []
        with self._reading() as cur:
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
        with self._reading() as cur:
            return _checksums(cur, ALL_TABLES)

    def audit(self) -> pl.DataFrame:
        """Who changed the data: one row per ingest, replace and delete, oldest first.

        Returns
        -------
        pl.DataFrame
            ``audit_id`` (increasing), ``changed_at`` (time of the transaction), ``action``
            (``ingest``, ``replace`` or ``delete``), ``wave`` (label), ``username`` (null when
            not given), ``detail`` (source file and counts, or the waves replaced).
        """
        return (
            self.cursor()
            .sql(
                """SELECT audit_id, changed_at, action, wave, username, detail
                   FROM audit ORDER BY audit_id"""
            )
            .pl()
        )

    def export_tables(self) -> dict[str, pl.DataFrame]:
        """Every table of the store, read in one transaction (for backups).

        Returns
        -------
        dict of str to pl.DataFrame
            Table name (``ALL_TABLES``) -> its rows; enum columns (stages) as text.
        """
        out = {}
        with self._reading() as cur:
            for table in ALL_TABLES:
                frame = cur.sql(f"SELECT * FROM {table}").pl()  # noqa: S608 - fixed names
                out[table] = frame.with_columns(
                    pl.col(pl.Categorical, pl.Enum).cast(pl.String),
                    *[
                        pl.col(name).cast(pl.List(pl.String))
                        for name, dtype in frame.schema.items()
                        if isinstance(dtype, pl.List) and dtype.inner in (pl.Categorical, pl.Enum)
                    ],
                )
        return out

    @classmethod
    def create_from_tables(
        cls,
        path: str | Path,
        tables: Mapping[str, pl.DataFrame],
        schema_version: int = SCHEMA_VERSION,
        expected: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        """Create a new database file holding exactly ``tables``, in one transaction.

        The schema of ``schema_version`` is created, every table filled, the content checked,
        then the file is migrated to ``SCHEMA_VERSION``: a restore from an older backup ends up
        like an older file opened by this version.

        Parameters
        ----------
        path : str or Path
            Where to create the database; nothing may exist there yet.
        tables : mapping of str to pl.DataFrame
            One frame per table of that schema version (as :meth:`export_tables` returns),
            columns named as in the table.
        schema_version : int
            The schema version the frames were taken from.
        expected : mapping, optional
            Table -> (row count, checksum) as :meth:`checksums` gave them; checked before the
            transaction commits.

        Raises
        ------
        StoreError
            A table or column that the schema does not have, a missing table, content that
            does not match ``expected``, or a file already at ``path``. Nothing is left at
            ``path`` then.
        """
        path = Path(path)
        if not 1 <= schema_version <= SCHEMA_VERSION:
            raise StoreError(
                f"Schema version {schema_version} cannot be restored by this gapmodel, which "
                f"knows versions 1 to {SCHEMA_VERSION}. Upgrade gapmodel."
            )
        if path.exists():
            raise StoreError(f"{path} already exists; restore into a new file.")
        con = _connect(path, read_only=False)
        try:
            cur = con.cursor()
            cur.begin()
            _create_schema(cur, schema_version)
            names = _base_tables(cur)
            unknown = sorted(set(tables) - set(names))
            missing = sorted(set(names) - set(tables))
            if unknown or missing:
                raise StoreError(
                    f"The tables do not match schema version {schema_version}: "
                    f"unknown {unknown or 'none'}, missing {missing or 'none'}."
                )
            for table in names:  # identifiers from DuckDB's catalogue, values bound
                _load_table(cur, table, tables[table])
            if expected is not None:
                found = _checksums(cur, names)
                wrong = [t for t in names if tuple(expected.get(t, ())) != found[t]]
                if wrong:
                    raise StoreError(
                        f"The restored content of {', '.join(wrong)} does not match the "
                        "checksums recorded with it."
                    )
            _migrate(cur, schema_version, SCHEMA_VERSION)
            cur.commit()
        except BaseException:
            con.close()
            for leftover in (path, Path(f"{path}.wal")):
                leftover.unlink(missing_ok=True)
            raise
        con.close()

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
        if self._snapshot_cursor is not None:
            raise StoreError("A snapshot only reads; write through the store itself.")
        if self.read_only:
            raise StoreError(f"The database {self.path} is open read-only.")

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
            Output of :func:`gapmodel.ingest.prepare_wave`.
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
        label = _label(label)
        user = _user(user)
        _check_unique_responses(wave.responses, wave.instrument.codes)
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
        user = _user(user)
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


def _load_table(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Replace the rows of ``table`` (a name from the catalogue) with ``frame``'s."""
    columns = [
        row[0]
        for row in cur.sql(
            """SELECT column_name FROM information_schema.columns
               WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position""",
            params=[table],
        ).fetchall()
    ]
    if sorted(frame.columns) != sorted(columns):
        raise StoreError(
            f"The rows for table {table} have the columns {', '.join(frame.columns)}; the table "
            f"has {', '.join(columns)}."
        )
    names = ", ".join(f'"{c}"' for c in columns)  # from the catalogue, not from the frame
    cur.sql(f"DELETE FROM {table}")  # noqa: S608 - catalogue name
    cur.register("restored_rows", frame)
    try:
        cur.sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM restored_rows")  # noqa: S608
    finally:
        cur.unregister("restored_rows")


# Bidirectional-text controls can make a label display as something else; never needed in names.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _unsafe_character(text: str) -> str | None:
    """The first control, surrogate or bidi-control character of ``text``, if any."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            return ch
    return None


def _label(label: str) -> str:
    """A wave label, stripped: 1 to 80 characters, no control characters."""
    if not isinstance(label, str):
        raise ValueError(f"The wave label must be text. Got {type(label).__name__}.")
    label = label.strip()
    if not 1 <= len(label) <= 80:
        raise ValueError(f"The wave label must have 1 to 80 characters. Got {len(label)}.")
    bad = _unsafe_character(label)
    if bad is not None:
        raise ValueError(
            f"The wave label contains the control character U+{ord(bad):04X} (such as a tab, a "
            "line break or a text-direction mark); use letters, digits, spaces and punctuation."
        )
    return label


def _user(user: str | None) -> str | None:
    """A user name for the audit trail: None, or 1 to 200 characters without control ones."""
    if user is None:
        return None
    user = str(user).strip()
    if not user:
        return None
    if len(user) > MAX_USER or _unsafe_character(user) is not None:
        raise ValueError(
            f"The user name must be 1 to {MAX_USER} characters without control characters. "
            f"Got {len(user)} characters."
        )
    return user


def _attribute(name: str) -> str:
    if name not in ATTRIBUTES:
        raise ValueError(
            f"Unknown respondent attribute {name!r}; allowed: {', '.join(ATTRIBUTES)}."
        )
    return name
