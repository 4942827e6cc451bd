"""The non-score columns of an upload: respondent id, attributes, importance points and extras."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import polars as pl

from gapmodel.core.columns import RESERVED_ATTRIBUTES
from gapmodel.core.instrument import Instrument
from gapmodel.core.text import code_points
from gapmodel.core.vocabulary import clean_name, name_key, token
from gapmodel.ingest.cells import MAX_TEXT, parse_scores
from gapmodel.ingest.naming import ID_ALIASES, POINTS_PREFIXES
from gapmodel.ingest.personal import personal_by_content, personal_by_header
from gapmodel.ingest.validation_report import ROWS_LISTED, Problem, ValidationReport, shorten
from gapmodel.storage.names import unsafe_character

MAX_ATTRIBUTES = 50


@dataclass(frozen=True)
class ColumnRoles:
    """What each non-score column of an upload is."""

    respondent_id: str | None
    attributes: dict[str, str]  # attribute name (as kept) -> column in file
    points: dict[str, str]  # dimension -> column


def classify_columns(
    report: ValidationReport, columns: list[str], reserved: set[str], instrument: Instrument
) -> ColumnRoles:
    """Find the id, the importance points and the attributes among the non-score columns: any
    other column is a respondent attribute by its own name."""
    tokens = {c: token(c) for c in columns}
    respondent_id = next(
        (c for alias in ID_ALIASES for c in columns if tokens[c] == alias and c not in reserved),
        None,
    )
    attributes: dict[str, str] = {}
    points: dict[str, str] = {}
    dimensions = {token(d): d for d in instrument.dimensions}
    for column in columns:
        if column in reserved or column == respondent_id:
            continue
        prefix = next((p for p in POINTS_PREFIXES if tokens[column].startswith(p + "_")), None)
        if prefix is not None:
            dimension = dimensions.get(tokens[column][len(prefix) + 1 :])
            if dimension is not None:
                points[dimension] = column
            else:
                report.add(
                    Problem(
                        rule="unknown_dimension",
                        message=f"Importance points for {column[len(prefix) + 1 :].strip()!r}, "
                        "which is not a dimension of the instrument "
                        f"({', '.join(instrument.dimensions)}).",
                        column=column,
                    )
                )
            continue
        add_attribute(report, attributes, column)
    if len(attributes) > MAX_ATTRIBUTES:
        report.add(
            Problem(
                rule="too_many_columns",
                message=f"{len(attributes)} columns are neither scores nor importance points; at "
                f"most {MAX_ATTRIBUTES} respondent attributes are kept. Remove unneeded columns.",
            )
        )
    return ColumnRoles(respondent_id, attributes, points)


def pattern_name(name: str) -> bool:
    """Whether polars would read a column name as a pattern, not a name (``*``, ``^...$``)."""
    return name == "*" or (name.startswith("^") and name.endswith("$"))


def add_attribute(
    report: ValidationReport, attributes: dict[str, str], column: str, name: str = ""
) -> None:
    """Take ``column`` as the attribute ``name`` (by default its own name), unless that name is
    one of the tables' own columns or another column's. A name a mapping gives must also be
    plain text: no control or bidi characters, no pattern (``*``, ``^...$``)."""
    given = clean_name(name)
    unsafe = unsafe_character(name) is not None  # direction marks the cleaning would drop
    if name and not given:
        report.add(
            Problem(
                rule="invalid_mapping",
                message=f"The attribute name '{shorten(name)}' (column '{shorten(column)}') "
                "holds only invisible characters or spaces. Give the attribute a name in the "
                "mapping.",
                column=shorten(column),
            )
        )
        return
    name = given or clean_name(column)
    if pattern_name(name) or (given and unsafe):
        report.add(
            Problem(
                rule="invalid_mapping",
                message=f"The attribute name {shorten(name)!r} (column {shorten(column)!r}) "
                "cannot be used: it holds control or direction characters, or reads as a "
                "pattern. Give the attribute a plain name in the mapping.",
                column=shorten(column),
            )
        )
        return
    if len(name) > MAX_TEXT:
        report.add(
            Problem(
                rule="too_long",
                message=f"The attribute name {shorten(name)!r} has {len(name):,} characters; at "
                f"most {MAX_TEXT} are allowed. Give it a shorter name in the mapping.",
                column=shorten(column),
            )
        )
        return
    if name_key(name) in RESERVED_ATTRIBUTES or name.startswith("_"):
        report.add(
            Problem(
                rule="reserved_column",
                message=f"The column {shorten(column)!r} would be a respondent attribute, but "
                f"{name!r} names a column of gapmodel's own tables. Rename it (for example "
                f"'{name} group') or remove it.",
                column=shorten(column),
            )
        )
        return
    same = next((a for a in attributes if name_key(a) == name_key(name)), None)
    if same is not None:
        report.add(
            Problem(
                rule="duplicate_column",
                message=f"The columns '{shorten(attributes[same])}' and '{shorten(column)}' "
                f"name the same attribute{_why_same(attributes[same], column, given)}; keep one.",
                column=shorten(column),
            )
        )
        return
    attributes[name] = column


def _why_same(first: str, column: str, given: str) -> str:
    """Why two columns name one attribute, when their names do not show it."""
    if given:
        return f" (the mapping names both {given!r})"
    if first != column and clean_name(first) == clean_name(column):
        if unicodedata.normalize("NFD", first) == unicodedata.normalize("NFD", column):
            return (
                ": they differ only by how accents are encoded "
                f"({code_points(first)} and {code_points(column)})"
            )
    return ""


def without_personal(
    report: ValidationReport, raw: pl.DataFrame, roles: ColumnRoles
) -> ColumnRoles:
    """The roles without the attributes that look like personal data (names, e-mail and IP
    addresses, phone numbers, coordinates: by header or by content); each one left out is
    reported. A mapping stores them when it maps them explicitly."""
    kept = {}
    for name, column in roles.attributes.items():
        kind = personal_by_header(column, words=False) or personal_by_content(raw[column])
        if kind is None:
            kept[name] = column
            continue
        report.add(
            Problem(
                rule="personal_data",
                message=f"The column {shorten(column)!r} looks like personal data ({kind}) and "
                "was not stored. To keep it, map it as an attribute (python -m gapmodel map, "
                "or the mapping step of the Data page).",
                column=shorten(column),
                severity="warning",
            )
        )
    return ColumnRoles(roles.respondent_id, kept, roles.points)


def respondent_frame(raw: pl.DataFrame, roles: ColumnRoles) -> pl.DataFrame:
    """``respondent`` (1..n, in file order), ``respondent_id``, then one column per attribute
    (its values stripped; empty cells null)."""
    attributes = [
        pl.col(column).str.strip_chars().replace("", None).alias(name)
        for name, column in roles.attributes.items()
    ]
    return raw.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("respondent"),
        pl.col(roles.respondent_id).str.strip_chars().alias("respondent_id"),
        *attributes,
    )


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
