"""The schema as frozen DDL: version 1 as first created, then each migration step.

A new database is made from the version 1 statements followed by every migration step, the same
steps an older database goes through on open, so a new file and a migrated one cannot differ.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import duckdb
import polars as pl

from gapmodel.core.errors import StoreError

SCHEMA_VERSION = 5

# The first schema, exactly as gapmodel created it at version 1.
_SCHEMA_V1: tuple[str, ...] = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "CREATE TYPE stage AS ENUM ('pre_purchase', 'encounter', 'post_purchase')",
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
# The names version 3 keeps for its own columns (frozen here as they were then): an ``extra``
# attribute of an older file with one of these names is renamed by the migration.
_V3_RESERVED = ", ".join(
    f"'{name}'"
    for name in (
        "segment channel region adequate alpha alpha_e alpha_p attribute change change_e "
        "change_p ci_high ci_low count df1 df2 diff dimension dof driver dz element expectation "
        "f flag gap gap_from gap_rest gap_to importance importance_source importance_weight item "
        "items label mean_a mean_e mean_p measure msa mss n n_e n_from n_p n_rest n_to p_adj "
        "p_val p_wilcoxon padjust pair perception performance quadrant rank respondent "
        "respondent_id row score sd sd_rest se segments share_above share_below share_delighted "
        "share_dissatisfied share_inside share_satisfied significant stage stage_label t value w "
        "wave weighting wording worse"
    ).split()
)
# The columns that record when something happened (frozen: version 5 converts them to UTC).
_TIME_COLUMNS = (
    ("instruments", "created_at"),
    ("waves", "ingested_at"),
    ("audit", "changed_at"),
    ("mappings", "saved_at"),
)
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
    # 3: the survey's vocabulary as data. Stages are names (no ENUM whose codes follow code
    # order): each instrument stores its stage and dimension order, its items in file order
    # (element optional) and its stage x item pairs, which responses name by number; every
    # respondent attribute is a (name, value) row. Old attribute columns and the extra JSON
    # become such rows; every score is carried over, or the migration stops.
    3: (
        "ALTER TABLE instruments ADD COLUMN stages VARCHAR[]",
        "ALTER TABLE instruments ADD COLUMN dimensions VARCHAR[]",
        """UPDATE instruments SET stages = (
            SELECT list(s ORDER BY list_position(['pre_purchase', 'encounter', 'post_purchase'], s))
            FROM (SELECT DISTINCT CAST(unnest(it.stages) AS VARCHAR) AS s
                  FROM items it WHERE it.instrument_id = instruments.instrument_id))""",
        """UPDATE instruments SET dimensions = (
            SELECT list(d ORDER BY coalesce(list_position(
                ['tangibles', 'reliability', 'responsiveness', 'assurance', 'empathy'], d), 99), d)
            FROM (SELECT DISTINCT it.dimension AS d
                  FROM items it WHERE it.instrument_id = instruments.instrument_id))""",
        "ALTER TABLE items ADD COLUMN position INTEGER",
        """UPDATE items SET position = numbered.position FROM (
            SELECT instrument_id, item,
                   row_number() OVER (PARTITION BY instrument_id ORDER BY rowid) - 1 AS position
            FROM items) numbered
           WHERE items.instrument_id = numbered.instrument_id AND items.item = numbered.item""",
        "ALTER TABLE items ALTER stages TYPE VARCHAR[]",
        "ALTER TABLE items ALTER element DROP NOT NULL",
        """CREATE TABLE pairs (
            instrument_id INTEGER NOT NULL,
            pair INTEGER NOT NULL,
            stage VARCHAR NOT NULL,
            item VARCHAR NOT NULL,
            PRIMARY KEY (instrument_id, pair),
            UNIQUE (instrument_id, stage, item))""",
        """INSERT INTO pairs
           SELECT instrument_id,
                  row_number() OVER (PARTITION BY instrument_id ORDER BY position, k) - 1,
                  stages[k], item
           FROM (SELECT instrument_id, item, position, stages,
                        generate_subscripts(stages, 1) AS k FROM items)""",
        """CREATE TABLE responses_v3 (
            wave_id INTEGER NOT NULL,
            respondent INTEGER NOT NULL,
            pair INTEGER NOT NULL,
            expectation UTINYINT CHECK (expectation <= 11),
            perception UTINYINT CHECK (perception <= 11),
            adequate UTINYINT CHECK (adequate <= 11),
            importance UTINYINT CHECK (importance <= 11))""",
        """INSERT INTO responses_v3
           SELECT r.wave_id, r.respondent, p.pair, r.expectation, r.perception, r.adequate,
                  r.importance
           FROM responses r
           JOIN waves w ON w.wave_id = r.wave_id
           JOIN pairs p ON p.instrument_id = w.instrument_id AND p.item = r.item
                       AND p.stage = CAST(r.stage AS VARCHAR)
           ORDER BY r.wave_id, p.pair, r.respondent""",
        """SELECT error('Some stored responses name a stage and item their wave''s questionnaire '
                        || 'does not ask; the database was left as it was.')
           WHERE (SELECT count(*) FROM responses) <> (SELECT count(*) FROM responses_v3)""",
        "DROP TABLE responses",
        "ALTER TABLE responses_v3 RENAME TO responses",
        """CREATE TABLE respondent_attributes (
            wave_id INTEGER NOT NULL,
            respondent INTEGER NOT NULL,
            attribute VARCHAR NOT NULL CHECK (length(attribute) BETWEEN 1 AND 200),
            value VARCHAR NOT NULL CHECK (length(value) BETWEEN 1 AND 200))""",
        f"""INSERT INTO respondent_attributes
           SELECT wave_id, respondent, 'segment', segment FROM respondents
           WHERE segment IS NOT NULL AND segment <> ''
           UNION ALL
           SELECT wave_id, respondent, 'channel', channel FROM respondents
           WHERE channel IS NOT NULL AND channel <> ''
           UNION ALL
           SELECT wave_id, respondent, 'region', region FROM respondents
           WHERE region IS NOT NULL AND region <> ''
           UNION ALL
           SELECT wave_id, respondent,
                  -- a name of gapmodel's own columns, or one a respondent has twice in other
                  -- case, is kept under a name of its own: "n (extra)", "Tier (2)"
                  CASE WHEN lower(key) IN ({_V3_RESERVED}) THEN left(key, 190) || ' (extra)'
                       WHEN twin > 1 THEN left(key, 190) || ' (' || twin || ')' ELSE key END,
                  value
           FROM (SELECT wave_id, respondent, key, value,
                        row_number() OVER (PARTITION BY wave_id, respondent, lower(key)
                                           ORDER BY key) AS twin
                 FROM (SELECT wave_id, respondent, trim(e.key) AS key, trim(e.value) AS value
                       FROM (SELECT wave_id, respondent,
                                    unnest(map_entries(CAST(extra::JSON
                                                            AS MAP(VARCHAR, VARCHAR)))) AS e
                             FROM respondents WHERE extra IS NOT NULL))
                 WHERE value IS NOT NULL AND value <> '' AND key <> '')""",  # noqa: S608 - fixed names
        "ALTER TABLE waves ADD COLUMN attributes VARCHAR[]",
        """UPDATE waves SET attributes = (
            SELECT coalesce(list(attribute ORDER BY coalesce(
                list_position(['segment', 'channel', 'region'], attribute),
                3 + list_position((SELECT json_keys(r.extra) FROM respondents r
                                   WHERE r.wave_id = waves.wave_id AND r.extra IS NOT NULL
                                   LIMIT 1), attribute)), attribute), [])
            FROM (SELECT DISTINCT attribute FROM respondent_attributes ra
                  WHERE ra.wave_id = waves.wave_id))""",
        "ALTER TABLE respondents DROP COLUMN segment",
        "ALTER TABLE respondents DROP COLUMN channel",
        "ALTER TABLE respondents DROP COLUMN region",
        "ALTER TABLE respondents DROP COLUMN extra",
        "DROP TYPE stage",
    ),
    # 4: saved column mappings, by name, with the headers of the file each was made for.
    4: (
        """CREATE TABLE mappings (
            name VARCHAR PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
            headers VARCHAR[] NOT NULL,
            mapping VARCHAR NOT NULL,
            saved_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            saved_by VARCHAR CHECK (length(saved_by) BETWEEN 1 AND 200))""",
    ),
    # 5: times in UTC. ``current_timestamp`` as a TIMESTAMP is the writer's local time, so the
    # latest wave depended on the time zone of whoever ingested it. Every time column now
    # defaults to UTC, and the times stored so far are taken as the migrating process's local
    # time (DuckDB's TimeZone: the TZ of the process) and converted to UTC.
    5: tuple(
        statement
        for table, column in _TIME_COLUMNS
        for statement in (
            f"ALTER TABLE {table} ALTER {column} SET DEFAULT "
            "(current_timestamp AT TIME ZONE 'UTC')",
            f"UPDATE {table} SET {column} = CAST({column} AS TIMESTAMPTZ) AT TIME ZONE 'UTC'",  # noqa: S608 - fixed names
        )
    ),
}
TABLES: tuple[str, ...] = (
    "instruments",
    "items",
    "pairs",
    "waves",
    "respondents",
    "respondent_attributes",
    "responses",
    "allocations",
)
ALL_TABLES: tuple[str, ...] = (*TABLES, "audit", "schema_version", "changes", "mappings")


def create_schema(cur: duckdb.DuckDBPyConnection, version: int = SCHEMA_VERSION) -> None:
    """Create the tables of schema ``version`` (in the caller's transaction).

    The version 1 schema is created as it always was, then each migration step runs, exactly as
    it would on an older file: a new database and a migrated one cannot differ.
    """
    for statement in _SCHEMA_V1:
        cur.sql(statement)
    migrate(cur, 1, version)


def migrate(cur: duckdb.DuckDBPyConnection, from_version: int, to_version: int) -> None:
    """Run the migration steps after ``from_version`` up to ``to_version`` (caller's transaction)."""
    for version in range(from_version + 1, to_version + 1):
        for statement in _MIGRATIONS[version]:
            cur.sql(statement)
        cur.sql("UPDATE schema_version SET version = ?", params=[version])


def stored_version(cur: duckdb.DuckDBPyConnection) -> int | None:
    """The file's schema version, or None when it has no gapmodel schema."""
    exists = cur.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return None
    return cur.sql("SELECT max(version) FROM schema_version").fetchall()[0][0]


def base_tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the tables in the file (whatever its schema version), from DuckDB's catalogue."""
    rows = cur.sql(
        """SELECT table_name FROM information_schema.tables
           WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"""
    ).fetchall()
    return [row[0] for row in rows]


def table_checksums(
    cur: duckdb.DuckDBPyConnection, tables: Sequence[str]
) -> dict[str, tuple[int, int]]:
    sql = "SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0) FROM {} t"
    # table names come from ALL_TABLES or DuckDB's own catalogue, never from input
    return {t: tuple(cur.sql(sql.format(t)).fetchall()[0]) for t in tables}


@contextlib.contextmanager
def registered(cur: duckdb.DuckDBPyConnection, view: str, frame: pl.DataFrame) -> Iterator[None]:
    """``frame`` visible as ``view`` inside the block. After a failed statement the transaction
    is aborted and unregistering fails too; the first error (say, a full disk) is the one
    raised."""
    cur.register(view, frame)
    try:
        yield
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.unregister(view)
        raise
    cur.unregister(view)


def load_table(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
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
    with registered(cur, "restored_rows", frame):
        try:
            cur.sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM restored_rows")  # noqa: S608
        except duckdb.Error as exc:  # a constraint or a type the rows break
            raise StoreError(
                f"The rows for table {table} break a rule of the database: {exc}"
            ) from None
