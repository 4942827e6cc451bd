"""The checks both layouts make of their respondents' cells, and their scores as stored columns."""

from __future__ import annotations

import polars as pl

from gapmodel.core.vocabulary import MEASURES
from gapmodel.ingest.attributes import ColumnRoles
from gapmodel.ingest.cells import (
    check_ids,
    parse_scores,
    schema_problems,
    score_schema,
    text_limits,
    uncalculated_formulas,
)
from gapmodel.ingest.validation_report import Problem, ValidationReport


def require_id(report: ValidationReport, roles: ColumnRoles) -> None:
    """Report a file without a respondent id column."""
    if roles.respondent_id is None:
        report.add(
            Problem(
                rule="missing_column",
                message="There is no respondent id column. Add one named respondent_id.",
                column="respondent_id",
            )
        )


def check_respondent_cells(
    report: ValidationReport,
    raw: pl.DataFrame,
    keys: pl.DataFrame,
    roles: ColumnRoles,
    score_names: list[str],
    scale: tuple[int, int],
    key_label: str,
    duplicate_rule: str,
    file_columns: dict[str, str] | None = None,
) -> pl.DataFrame:
    """Parse the scores and check every cell that belongs to a respondent.

    Parameters
    ----------
    raw : pl.DataFrame
        The file's text cells, with its ``row`` numbers.
    keys : pl.DataFrame
        ``row``, the stripped respondent id and any further key columns (the long layout's
        stage and item), one row per row of ``raw``; together they must be unique.
    roles : ColumnRoles
        What each non-score column is.
    score_names : list of str
        The score columns of ``raw``.
    key_label, duplicate_rule : str
        How a repeated key is named in the report, and the rule it breaks.
    file_columns : dict, optional
        The file's column for a derived key column (``_stage`` -> ``stage``).

    Returns
    -------
    pl.DataFrame
        ``keys`` with the scores as Float64 (null where missing).

    Notes
    -----
    In this order: formula cells without a calculated value, text where a number belongs,
    missing ids, scores out of the scale or not whole, repeated keys, and text longer than
    allowed in the id and attribute columns.
    """
    uncalculated_formulas(report, score_names)
    parsed = pl.concat([keys, parse_scores(report, raw, score_names)], how="horizontal")
    check_ids(report, raw, roles.respondent_id)
    key = [c for c in keys.columns if c != "row"]
    schema_problems(
        report,
        parsed,
        raw,
        score_schema(score_names, scale, key),
        scale,
        key,
        key_label,
        duplicate_rule,
        file_columns,
    )
    text_limits(report, raw, [roles.respondent_id, *roles.attributes.values()])
    return parsed


def measure_columns(columns: dict[str, str]) -> list[pl.Expr]:
    """The stored measures (``MEASURES``) as UInt8 from their parsed columns; null where a
    measure has no column."""
    return [
        (pl.col(columns[m]) if m in columns else pl.lit(None, pl.Float64)).cast(pl.UInt8).alias(m)
        for m in MEASURES
    ]
