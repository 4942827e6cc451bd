"""The non-score columns of an upload: respondent id, attributes, importance points and extras."""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import ATTRIBUTES
from gapmodel.ingest.cells import parse_scores
from gapmodel.ingest.naming import ID_ALIASES, POINTS_PREFIXES, SEPARATORS, canonical
from gapmodel.ingest.validation_report import ROWS_LISTED, Problem, ValidationReport

MAX_EXTRA_COLUMNS = 50


@dataclass(frozen=True)
class ColumnRoles:
    """What each non-score column of an upload is."""

    respondent_id: str | None
    attributes: dict[str, str]  # canonical attribute -> column in file
    points: dict[str, str]  # dimension -> column
    extra: list[str]


def classify_columns(
    report: ValidationReport, columns: list[str], reserved: set[str], instrument: Instrument
) -> ColumnRoles:
    """Find the id, attribute, points and extra columns among the non-score columns."""
    names = {c: canonical(c) for c in columns}
    respondent_id = next(
        (c for alias in ID_ALIASES for c in columns if names[c] == alias and c not in reserved),
        None,
    )
    attributes, points, extra = {}, {}, []
    dimensions = set(instrument.dimensions)
    for column in columns:
        if column in reserved or column == respondent_id:
            continue
        name = names[column]
        if name in ATTRIBUTES:
            attributes[name] = column
            continue
        parts = [p for p in SEPARATORS.split(name) if p]
        if len(parts) == 2 and parts[0] in POINTS_PREFIXES:
            if parts[1] in dimensions:
                points[parts[1]] = column
            else:
                report.add(
                    Problem(
                        rule="unknown_dimension",
                        message=f"Importance points for {parts[1]!r}, which is not a dimension of "
                        f"the instrument ({', '.join(instrument.dimensions)}).",
                        column=column,
                    )
                )
            continue
        extra.append(column)
    if len(extra) > MAX_EXTRA_COLUMNS:
        report.add(
            Problem(
                rule="too_many_columns",
                message=f"{len(extra)} columns are neither scores nor known attributes; at most "
                f"{MAX_EXTRA_COLUMNS} extra attributes are kept. Remove unneeded columns.",
            )
        )
    return ColumnRoles(respondent_id, attributes, points, extra)


def respondent_frame(raw: pl.DataFrame, roles: ColumnRoles) -> pl.DataFrame:
    """respondent (1..n, in file order), respondent_id, segment, channel, region, extra (JSON)."""
    attrs = [
        (
            pl.col(roles.attributes[a]).str.strip_chars().replace("", None)
            if a in roles.attributes
            else pl.lit(None, pl.String)
        ).alias(a)
        for a in ATTRIBUTES
    ]
    if roles.extra:
        extra = pl.struct([pl.col(c).alias(c) for c in roles.extra]).struct.json_encode()
    else:
        extra = pl.lit(None, pl.String)
    return raw.select(
        pl.col(roles.respondent_id).str.strip_chars().alias("respondent_id"),
        *attrs,
        extra.alias("extra"),
    ).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("respondent"))


def allocations(
    report: ValidationReport, raw: pl.DataFrame, roles: ColumnRoles, key: pl.DataFrame
) -> pl.DataFrame:
    """Points per dimension, long; checks 0-100 and a total of 100 per respondent."""
    empty = pl.DataFrame(
        schema={"respondent": pl.Int32, "dimension": pl.String, "points": pl.Float64}
    )
    if not roles.points:
        return empty
    parsed = pl.concat(
        [raw.select("row"), parse_scores(report, raw, list(roles.points.values()))],
        how="horizontal",
    )
    total = parsed.select(pl.sum_horizontal(list(roles.points.values())).alias("total"), "row")
    answered = parsed.select(
        pl.any_horizontal([pl.col(c).is_not_null() for c in roles.points.values()])
    )
    bad = total.filter(answered.to_series() & ((pl.col("total") - 100).abs() > 0.5))
    report.add_many(
        [
            Problem(
                rule="points_not_100",
                message=f"Importance points add up to {t:g}; they must total 100.",
                row=r,
                column=", ".join(roles.points.values()),
                value=f"{t:g}",
            )
            for t, r in bad.head(ROWS_LISTED).iter_rows()
        ],
        bad.height,
    )
    out_of_range = parsed.filter(
        pl.any_horizontal([(pl.col(c) < 0) | (pl.col(c) > 100) for c in roles.points.values()])
    )
    report.add_many(
        [
            Problem(
                rule="points_out_of_range",
                message="Importance points must lie between 0 and 100.",
                row=r,
            )
            for r in out_of_range["row"].head(ROWS_LISTED)
        ],
        out_of_range.height,
    )
    frames = [
        parsed.select(
            key["respondent"], pl.lit(dimension).alias("dimension"), pl.col(column).alias("points")
        )
        for dimension, column in roles.points.items()
    ]
    return pl.concat(frames).filter(pl.col("points").is_not_null())


def extra_attributes(extra: str | None) -> dict[str, str]:
    """Decode the ``extra`` JSON text of a respondent."""
    return json.loads(extra) if extra else {}
