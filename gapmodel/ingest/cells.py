"""Cell checks shared by both layouts: scores parsed as numbers, within the declared scale and
whole; keys present, unique and short; text that looks like a spreadsheet formula.

Each check adds (row, column, value, rule) problems to the validation report.
"""

from __future__ import annotations

import dataframely as dy
import polars as pl

from gapmodel.ingest.validation_report import ROWS_LISTED, Problem, ValidationReport, shorten

MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "-", ".", "#n/a", "missing")
MAX_TEXT = 200
SHARED = "a copy of a shared formula"


def _numeric(column: str) -> pl.Expr:
    """Text cell -> Float64: missing tokens to null, decimal comma to point."""
    text = pl.col(column).str.strip_chars()
    missing = text.str.to_lowercase().is_in(MISSING_TOKENS) | text.is_null()
    value = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return pl.when(missing).then(None).otherwise(value).alias(column)


def _missing(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return text.is_null() | text.str.to_lowercase().is_in(MISSING_TOKENS)


def score_schema(columns: list[str], scale: tuple[int, int], key: list[str]) -> type[dy.Schema]:
    """A dataframely schema: scores within the declared scale and whole; keys unique, bounded."""
    low, high = scale
    members: dict[str, object] = {
        "row": dy.Int64(nullable=False),
    }
    for name in key:
        members[name] = dy.String(
            nullable=False, primary_key=True, min_length=1, max_length=MAX_TEXT
        )
    for name in columns:
        members[name] = dy.Float64(  # inf is out of the scale, not a rule of its own
            nullable=True,
            allow_inf=True,
            min=low,
            max=high,
            check={"whole": lambda c: c == c.round(0)},
        )
    return type("WaveScores", (dy.Schema,), members)


_RULE_TEXT = {
    "min": ("out_of_scale", "Score {value} is below the declared scale {low}-{high}."),
    "max": ("out_of_scale", "Score {value} is above the declared scale {low}-{high}."),
    "check__whole": (
        "not_whole_number",
        "Score {value} is not a whole number on the scale {low}-{high}.",
    ),
    "nullability": ("missing_value", "This value is required but empty."),
    "min_length": ("missing_value", "This value is required but empty."),
    "max_length": ("too_long", "The value is longer than 200 characters; shorten it."),
}


def _key_text(row: dict, key: list[str]) -> str:
    """``respondent_id=R1, stage=encounter`` for a duplicate-key message."""
    return ", ".join(f"{k.lstrip('_')}={shorten(row[k])}" for k in key)


def _as_written(report: ValidationReport, column: str, rows: pl.Series) -> dict[int, str]:
    """Row -> the cell of ``column`` as the file wrote it, for the rows whose cell was not in
    its normal form (:mod:`gapmodel.ingest.normalise`)."""
    cells = report.originals.get(column)
    if cells is None:
        return {}
    return dict(cells.filter(pl.col("row").is_in(rows.implode())).iter_rows())


def _lookalike(written: str | None, value: str) -> str:
    """The end of a duplicate-key message for a value the file wrote differently."""
    if written is None:
        return ""
    return (
        f" The file writes it '{shorten(written)}': values are compared in their normal form "
        "(invisible characters removed, accents composed, spaces made plain), so it is the "
        f"same as '{shorten(value)}'."
    )


def schema_problems(
    report: ValidationReport,
    parsed: pl.DataFrame,
    raw: pl.DataFrame,
    schema: type[dy.Schema],
    scale: tuple[int, int],
    key: list[str],
    key_label: str,
    duplicate_rule: str,
    file_columns: dict[str, str] | None = None,
) -> None:
    """Run the dataframely schema and turn each failed rule into (row, column, value) problems.

    ``file_columns`` names the file's column for a derived one (``_stage`` -> ``stage``): the
    problem shows that column and its value as the file had it.
    """
    file_columns = file_columns or {}
    _, failure = schema.filter(parsed)
    if not len(failure):
        return
    details = failure.details()
    low, high = scale
    for rule, total in failure.counts().items():
        if rule == "primary_key":
            dup = details.filter(pl.col(rule) == "invalid").select("row", *key)
            shown = dup.head(ROWS_LISTED)
            written = _as_written(report, key[0], shown["row"])
            problems = [
                Problem(
                    rule=duplicate_rule,
                    message=f"This {key_label} appears more than once "
                    f"({_key_text(r, key)}); "
                    "each must be unique." + _lookalike(written.get(r["row"]), r[key[0]]),
                    row=r["row"],
                    column=key[0],
                    value=shorten(r[key[0]]),
                )
                for r in shown.iter_rows(named=True)
            ]
            report.add_many(problems, total)
            continue
        column, _, check = rule.partition("|")
        column = file_columns.get(column, column)
        name, template = _RULE_TEXT.get(check, ("invalid_value", f"Fails the rule {check}."))
        bad = details.filter(pl.col(rule) == "invalid").select("row").head(ROWS_LISTED)
        rows = bad["row"].to_list()
        values = raw.filter(pl.col("row").is_in(rows)).select("row", column)
        by_row = dict(values.iter_rows())
        problems = [
            Problem(
                rule=name,
                message=template.format(value=shorten(by_row.get(r)), low=low, high=high),
                row=r,
                column=column,
                value=shorten(by_row.get(r)),
            )
            for r in rows
        ]
        report.add_many(problems, total)


def parse_scores(report: ValidationReport, raw: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The ``columns`` of ``raw`` as Float64; cells with text where a number belongs are reported.

    Most survey exports hold plain numbers, so each column is first cast directly; only a column
    where that loses values (missing-value tokens, decimal commas, spaces, text) takes the
    careful path of :func:`_numeric`.
    """
    if not columns:
        return pl.DataFrame(height=raw.height)
    quick = raw.select(pl.col(c).cast(pl.Float64, strict=False).fill_nan(None) for c in columns)
    before = raw.select(columns).null_count().row(0)
    lost = zip(columns, quick.null_count().row(0), before, strict=True)
    careful = [c for c, after, was in lost if after != was]
    if not careful:
        return quick
    parsed = raw.select(_numeric(c) for c in careful)
    _non_numeric(report, raw, parsed, careful)
    return quick.with_columns(parsed)


def uncalculated_formulas(report: ValidationReport, columns: list[str]) -> None:
    """Formula cells without a calculated value in score ``columns``: the reader sees an empty
    cell or a placeholder 0 there, not the score."""
    scores = set(columns)
    cells = [c for c in report.formula_cells if c.column in scores]
    for column in dict.fromkeys(c.column for c in cells):
        hits = [c for c in cells if c.column == column]
        report.add_many(
            [
                Problem(
                    rule="uncalculated_formula",
                    message=f"The cell {c.cell} holds a formula ({shorten(c.formula) or SHARED}) "
                    "whose value no spreadsheet has calculated, so its score is "
                    "unknown. Open the workbook in Excel or LibreOffice, let it calculate and "
                    "save it, then upload it again; or paste the score columns as values.",
                    row=c.row,
                    column=column,
                    value=shorten(c.formula),
                )
                for c in hits[:ROWS_LISTED]
            ],
            len(hits),
        )


def _non_numeric(
    report: ValidationReport, raw: pl.DataFrame, parsed: pl.DataFrame, columns: list[str]
) -> None:
    """Cells with text where a score should be."""
    if not columns:
        return
    flags = raw.select([(~_missing(c) & parsed[c].is_null()).alias(c) for c in columns])
    counts = flags.sum().row(0, named=True)
    for column, total in counts.items():
        if total:
            report.add_cells(
                raw.filter(flags[column]).select("row", column),
                "non_numeric",
                lambda v: f"{shorten(v)!r} is not a number; scores must be whole numbers.",
                column,
            )


def text_limits(report: ValidationReport, raw: pl.DataFrame, columns: list[str]) -> None:
    """Text cells longer than ``MAX_TEXT`` characters."""
    for column in columns:
        report.add_cells(
            raw.filter(pl.col(column).str.len_chars() > MAX_TEXT).select("row", column),
            "too_long",
            lambda v: f"The value has {len(v):,} characters; at most {MAX_TEXT} are allowed.",
            column,
        )


def formula_like(report: ValidationReport, raw: pl.DataFrame, columns: list[str]) -> None:
    """Text that a spreadsheet would run as a formula: one warning a column."""
    for column in columns:
        hits = raw.filter(pl.col(column).str.contains(r"^[=+\-@\t\r]")).select("row", column)
        if hits.height:
            row, value = hits.row(0)
            report.add(
                Problem(
                    rule="formula_like_text",
                    message=f"{hits.height:,} value(s) of column '{shorten(column)}' start like "
                    f"a spreadsheet formula (such as '{shorten(value)}'); they are stored as "
                    "plain text and exports neutralise them.",
                    row=row,
                    column=column,
                    value=shorten(value),
                    severity="warning",
                )
            )


def check_ids(report: ValidationReport, raw: pl.DataFrame, column: str) -> None:
    """Rows without a respondent id."""
    missing = raw.filter(pl.col(column).str.strip_chars().replace("", None).is_null())
    report.add_many(
        [
            Problem(
                rule="missing_respondent_id",
                message="This row has no respondent id; every row needs one.",
                row=r,
                column=column,
            )
            for r in missing["row"].head(ROWS_LISTED)
        ],
        missing.height,
    )
