"""The long layout: one row per respondent x stage x item, with expectation and perception."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from gapmodel.core.instrument import Instrument
from gapmodel.core.text import lookalike_of
from gapmodel.core.vocabulary import MEASURES, token
from gapmodel.ingest.attributes import (
    ColumnRoles,
    allocations,
    classify_columns,
    respondent_frame,
    without_personal,
)
from gapmodel.ingest.cells import formula_like
from gapmodel.ingest.naming import MEASURE_ALIASES, ColumnNames, listed
from gapmodel.ingest.respondents import check_respondent_cells, measure_columns, require_id
from gapmodel.ingest.validation_report import ROWS_LISTED, Problem, ValidationReport, shorten


def is_long(columns: list[str]) -> bool:
    """Whether a file's columns are the long layout's: it has stage and item columns."""
    return {"stage", "item"} <= {token(c) for c in columns}


def build(
    report: ValidationReport, raw: pl.DataFrame, instrument: Instrument, scale: tuple[int, int]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None:
    """Respondents, responses and allocations of a long file, or None when it has errors.

    The parameters are those of :func:`gapmodel.ingest.wide.build`; here ``raw`` has ``stage``
    and ``item`` columns and one row per respondent x stage x item.
    """
    names = {token(c): c for c in raw.columns if c != "row"}
    measure_cols = _measure_columns(report, names)
    stage_col, item_col = names["stage"], names["item"]
    roles = classify_columns(
        report, raw.columns, {"row", stage_col, item_col, *measure_cols.values()}, instrument
    )
    roles = without_personal(report, raw, roles)
    require_id(report, roles)
    if report.errors:
        return None
    spelled = ColumnNames(instrument)
    keyed = raw.with_columns(
        _named(raw, stage_col, spelled.stage).alias("_stage"),
        _named(raw, item_col, spelled.item).alias("_item"),
    )
    _pair_problems(report, keyed, instrument, stage_col, item_col)
    keys = keyed.select("row", pl.col(roles.respondent_id).str.strip_chars(), "_stage", "_item")
    parsed = check_respondent_cells(
        report,
        raw,
        keys,
        roles,
        list(measure_cols.values()),
        scale,
        "respondent, stage and item",
        "duplicate_row",
        {"_stage": stage_col, "_item": item_col},
    )
    _inconsistent_attributes(report, raw, roles)
    formula_like(report, raw, [roles.respondent_id, *roles.attributes.values()])
    if report.errors:
        return None
    first_rows = raw.with_columns(pl.col(roles.respondent_id).str.strip_chars()).unique(
        roles.respondent_id, keep="first", maintain_order=True
    )
    respondents = respondent_frame(first_rows, roles)
    key = respondents.select("respondent", "respondent_id")
    responses = (
        parsed.rename({roles.respondent_id: "respondent_id"})
        .join(key, on="respondent_id", how="left")
        .select(
            "respondent",
            pl.col("_stage").cast(pl.Enum(list(instrument.stages))).alias("stage"),
            pl.col("_item").cast(pl.Enum(instrument.codes)).alias("item"),
            *measure_columns(measure_cols),
        )
        .filter(pl.any_horizontal([pl.col(m).is_not_null() for m in MEASURES]))
    )
    return respondents, responses, allocations(report, first_rows, roles, respondents)


def _named(raw: pl.DataFrame, column: str, meaning: Callable[[str], str | None]) -> pl.Expr:
    """The cells of ``column`` as the questionnaire names them (stripped; a cell it does not
    know stays as written, and is reported)."""
    text = pl.col(column).str.strip_chars()
    values = raw.select(text.unique().drop_nulls())[column].to_list()
    mapping = {v: meaning(v) or v for v in values}
    return text.replace_strict(mapping, default=None, return_dtype=pl.String)


def _lookalike(value: str, known: list[str]) -> str:
    """`` (it looks like 'x' but holds U+...)`` when ``value`` differs from a known name only by
    Cyrillic or Greek look-alike letters or invisible characters; else nothing."""
    said = lookalike_of(value, known)
    return f" ({said})" if said else ""


def _measure_columns(report: ValidationReport, names: dict[str, str]) -> dict[str, str]:
    """Measure -> the file's column (by its name as a token); E and P are required."""
    measure_cols: dict[str, str] = {}
    for name, column in names.items():
        measure = MEASURE_ALIASES.get(name)
        if measure and len(name) > 1 and measure not in measure_cols:
            measure_cols[measure] = column
    for needed in ("expectation", "perception"):
        if needed not in measure_cols:
            report.add(
                Problem(
                    rule="missing_column",
                    message=f"There is no {needed} column. A long file needs respondent_id, "
                    "stage, item, expectation and perception.",
                    column=needed,
                )
            )
    return measure_cols


def _pair_problems(
    report: ValidationReport,
    keyed: pl.DataFrame,
    instrument: Instrument,
    stage_col: str,
    item_col: str,
) -> None:
    """Rows with a stage or item the instrument lacks, or an item it does not ask there."""
    pairs = instrument.pairs().select(
        pl.col("stage").alias("_stage"), pl.col("item").alias("_item")
    )
    report.add_cells(
        keyed.filter(~pl.col("_stage").is_in(instrument.stages)).select("row", stage_col),
        "unknown_stage",  # blank cells are reported as missing values
        lambda v: (
            f"Unknown stage {shorten(v)!r}{_lookalike(v, instrument.stages)}; use one of "
            f"{', '.join(instrument.stages)}."
        ),
        stage_col,
    )
    report.add_cells(
        keyed.filter(~pl.col("_item").is_in(instrument.codes)).select("row", item_col),
        "unknown_item",
        lambda v: (
            f"Unknown item {shorten(v)!r}{_lookalike(v, instrument.codes)}: it is not in the "
            f"instrument ({instrument.name}: "
            f"{listed(instrument.codes)})."
        ),
        item_col,
    )
    not_asked = keyed.filter(
        pl.col("_stage").is_in(instrument.stages) & pl.col("_item").is_in(instrument.codes)
    ).join(pairs, on=["_stage", "_item"], how="anti")
    report.add_many(
        [
            Problem(
                rule="item_not_asked_at_stage",
                message=f"The instrument does not ask {i!r} at stage {s!r}.",
                row=r,
                column=item_col,
                value=shorten(i),
            )
            for r, s, i in not_asked.select("row", "_stage", "_item").head(ROWS_LISTED).iter_rows()
        ],
        not_asked.height,
    )


def _inconsistent_attributes(
    report: ValidationReport, raw: pl.DataFrame, roles: ColumnRoles
) -> None:
    """A respondent whose rows disagree on an attribute or on importance points."""
    for column in [*roles.attributes.values(), *roles.points.values()]:
        conflict = raw.group_by(roles.respondent_id).agg(
            pl.col(column).n_unique().alias("k"), pl.col("row").min()
        )
        conflict = conflict.filter(pl.col("k") > 1).sort("row")
        report.add_many(
            [
                Problem(
                    rule="inconsistent_attribute",
                    message="This respondent has different values of this attribute on different rows.",
                    row=r,
                    column=column,
                    value=shorten(rid),
                )
                for rid, _, r in conflict.head(ROWS_LISTED).iter_rows()
            ],
            conflict.height,
        )
