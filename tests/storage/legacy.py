"""Database files as older gapmodel versions wrote them, and read back as those versions read them.

The writer and the reader are frozen here on purpose: they write the rows of schema versions 1
and 2 (stage as an ENUM, attributes as segment/channel/region columns plus an ``extra`` JSON
text) with plain SQL over the frozen DDL of ``gapmodel.storage.schema``, not with today's
ingest and store code, so that a migration test compares today's reading of a migrated file
with what was written, not today's code with itself.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from gapmodel.core.instrument import Instrument
from gapmodel.storage import schema
from gapmodel.storage.connection import connect
from gapmodel.tools.demo import generate_wave, wave_labels

MEASURES = {"E": "expectation", "P": "perception", "A": "adequate", "I": "importance"}
ATTRIBUTES = ("segment", "channel", "region")


# The attributes of :func:`legacy_waves`, in the order of their columns.
LEGACY_ATTRIBUTES = ("segment", "channel", "region", "contacts", "Tenure (years)", "loyalty tier")


def legacy_waves(n: int = 300, count: int = 2, seed: int = 7, gold_every: int = 3) -> list[tuple]:
    """Demo waves ``(label, fielded, wide)`` as a survey tool exports them, with two attribute
    columns beyond segment, channel and region (stored as ``extra`` by versions 1 and 2)."""
    waves = []
    for k, (label, fielded) in enumerate(wave_labels(count)):
        wide = generate_wave(n, k, seed=seed + k).with_columns(
            (pl.int_range(pl.len()) % 12 + 1).cast(pl.String).alias("Tenure (years)"),
            pl.when(pl.int_range(pl.len()) % gold_every == 0)
            .then(None)
            .otherwise(pl.lit("Gold"))
            .alias("loyalty tier"),
        )
        waves.append((label, fielded, wide))
    return waves


def legacy_rows(label: str, wide: pl.DataFrame, instrument: Instrument) -> dict[str, pl.DataFrame]:
    """The rows one wide wave became in schema versions 1 and 2: ``respondents`` (with the
    attribute columns and ``extra`` JSON of every other column) ``responses`` and
    ``allocations``."""
    scores = [c for c in wide.columns if c.count(".") == 2 and not c.startswith("points.")]
    points = [c for c in wide.columns if c.startswith("points.")]
    extras = [c for c in wide.columns if c not in (*scores, *points, "respondent_id", *ATTRIBUTES)]
    extra = [None] * wide.height
    if extras:
        extra = [
            json.dumps({c: (None if v is None else str(v)) for c, v in zip(extras, r, strict=True)})
            for r in wide.select(extras).iter_rows()
        ]
    wide = wide.select("respondent_id", *ATTRIBUTES, *scores, *points).with_row_index(
        "respondent", offset=1
    )
    wide = wide.with_columns(pl.col("respondent").cast(pl.Int32))
    respondents = wide.select(
        "respondent",
        pl.col("respondent_id").cast(pl.String),
        *(pl.col(a).cast(pl.String) for a in ATTRIBUTES),
        pl.Series("extra", extra, pl.String),
    )
    long = wide.select("respondent", *scores).unpivot(index="respondent", variable_name="column")
    long = long.with_columns(
        pl.col("column").str.split(".").list.to_struct(fields=["stage", "item", "measure"])
    ).unnest("column")
    responses = long.with_columns(pl.col("measure").replace_strict(MEASURES)).pivot(
        on="measure", index=["respondent", "stage", "item"], values="value"
    )
    responses = responses.with_columns(
        pl.lit(None, pl.Float64).alias(m) for m in MEASURES.values() if m not in responses.columns
    )
    responses = responses.filter(
        pl.any_horizontal(pl.col(m).is_not_null() for m in MEASURES.values())
    ).select("respondent", "stage", "item", *(pl.col(m).cast(pl.UInt8) for m in MEASURES.values()))
    allocations = (
        wide.select("respondent", *points)
        .unpivot(index="respondent", variable_name="dimension", value_name="points")
        .with_columns(
            pl.col("dimension").str.strip_prefix("points."), pl.col("points").cast(pl.Float64)
        )
        .drop_nulls("points")
    )
    return {"respondents": respondents, "responses": responses, "allocations": allocations}


def write_legacy(path: Path, version: int, instrument: Instrument, waves: list[tuple]) -> None:
    """A database of schema ``version`` (1 or 2) at ``path`` holding ``waves``: (label, fielded
    date, wide frame) each, fielded with ``instrument`` on a 1-7 scale."""
    con = connect(path, read_only=False)
    cur = con.cursor()
    cur.begin()
    schema.create_schema(cur, version)
    cur.sql(
        "INSERT INTO instruments (instrument_id, name, sha256) VALUES (1, ?, ?)",
        params=[instrument.name, instrument.sha256],
    )
    for row in instrument.items.iter_rows(named=True):
        cur.sql(
            """INSERT INTO items VALUES (1, ?, ?, ?, ?, CAST(? AS stage[]))""",
            params=[row["code"], row["wording"], row["dimension"], row["element"], row["stages"]],
        )
    for wave_id, (label, fielded, wide) in enumerate(waves, start=1):
        rows = legacy_rows(label, wide, instrument)
        digest = hashlib.sha256(f"{label}:{wide.height}".encode()).hexdigest()
        columns = "wave_id, label, fielded, scale_min, scale_max, instrument_id, source_name, "
        columns += "sha256, source_format, n_respondents, n_responses"
        values = [wave_id, label, fielded, 1, 7, 1, f"{label}.csv", digest, "wide csv"]
        values += [rows["respondents"].height, rows["responses"].height]
        if version >= 2:
            columns += ", ingested_by"
            values.append("legacy")
        marks = ", ".join("?" for _ in values)
        cur.sql(f"INSERT INTO waves ({columns}) VALUES ({marks})", params=values)  # noqa: S608
        for table, frame in rows.items():
            if frame.is_empty():
                continue
            names = ", ".join(frame.columns)
            cur.register("legacy_rows", frame)
            cur.sql(
                f"INSERT INTO {table} (wave_id, {names}) SELECT ?, {names} FROM legacy_rows",  # noqa: S608
                params=[wave_id],
            )
            cur.unregister("legacy_rows")
    cur.sql("UPDATE changes SET version = ?", params=[len(waves)])
    cur.commit()
    con.close()


def read_legacy(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """A version 1 or 2 file read as those versions read it: the long responses with every
    attribute as a column (``extra`` decoded), the allocations, and the wave labels in order."""
    con = connect(path, read_only=True)
    cur = con.cursor()
    waves = [
        r[0]
        for r in cur.sql(
            "SELECT label FROM waves ORDER BY fielded NULLS LAST, ingested_at, wave_id"
        ).fetchall()
    ]
    long = cur.sql(
        """SELECT w.label AS wave, r.respondent, CAST(r.stage AS VARCHAR) AS stage, r.item,
                  it.dimension, it.element, r.expectation, r.perception, r.adequate,
                  r.importance, p.respondent_id, p.segment, p.channel, p.region, p.extra
           FROM responses r
           JOIN waves w ON w.wave_id = r.wave_id
           JOIN respondents p ON p.wave_id = r.wave_id AND p.respondent = r.respondent
           JOIN items it ON it.instrument_id = w.instrument_id AND it.item = r.item"""
    ).pl()
    allocations = cur.sql(
        """SELECT w.label AS wave, a.respondent, a.dimension, a.points
           FROM allocations a JOIN waves w ON w.wave_id = a.wave_id"""
    ).pl()
    con.close()
    extras = [json.loads(e) if e else {} for e in long["extra"]]
    names = list(dict.fromkeys(k for e in extras for k in e))
    long = long.drop("extra").with_columns(
        pl.Series(n, [e.get(n) for e in extras], pl.String) for n in names
    )
    return long, allocations.with_columns(pl.col("respondent").cast(pl.Int32)), waves


def legacy_backup(path: Path, directory: Path) -> None:
    """A backup folder of a version 1 or 2 file, as those versions wrote backups: every table
    as Parquet (enums as text) and a manifest, its checksums marked as from another engine so
    that only file hashes and row counts are checked on restore."""
    directory.mkdir(parents=True)
    con = connect(path, read_only=True)
    cur = con.cursor()
    version = cur.sql("SELECT max(version) FROM schema_version").fetchall()[0][0]
    entries = {}
    for table in schema.base_tables(cur):
        frame = cur.sql(f"SELECT * FROM {table}").pl()  # noqa: S608 - catalogue names
        frame = frame.with_columns(
            pl.col(pl.Enum, pl.Categorical).cast(pl.String),
            *[
                pl.col(n).cast(pl.List(pl.String))
                for n, t in frame.schema.items()
                if isinstance(t, pl.List) and isinstance(t.inner, pl.Enum | pl.Categorical)
            ],
        )
        file = directory / f"{table}.parquet"
        frame.write_parquet(file)
        entries[table] = {
            "file": file.name,
            "rows": frame.height,
            "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
            "checksum": [0, 0],
        }
    con.close()
    manifest = {
        "format": "gapmodel-backup",
        "format_version": 1,
        "schema_version": version,
        "duckdb_version": "other",
        "created_at": "2026-01-01T00:00:00+00:00",
        "source": str(path),
        "tables": entries,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
