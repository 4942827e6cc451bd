"""Every text cell of an upload in its normal form, before anything compares it.

Ids, attribute values and the long layout's stage and item cells are compared as text: a value
copied through another program with a zero-width space, a no-break space or a decomposed accent
would otherwise count as another respondent or another segment. Each cell is replaced by its
:func:`gapmodel.core.text.normal_text`, and each column where that changed more than outer
spaces gets one warning: how many values, and an example. The cells as the file wrote them are
kept on the report (``ValidationReport.originals``), so that a duplicate id can say that two
ids which look different are one.

Before that, a ``'`` that gapmodel's own exports write before text starting like a formula
(:func:`gapmodel.core.formulas.neutralise`) is removed from cells and column names, so an export
read back in holds the values it was made of. Column names not in their normal form, and words
that mix Latin letters with Cyrillic or Greek look-alikes (``Sеx``), get a warning too.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from gapmodel.core.formulas import unneutralise, unneutralise_expr
from gapmodel.core.text import (
    ANY_CONTROL,
    foreign_letters,
    invisible_in,
    maybe_not_normal,
    mixed_script,
    normal_text,
    normal_text_expr,
)
from gapmodel.ingest.validation_report import Problem, ValidationReport, shorten


def normalise_cells(report: ValidationReport, raw: pl.DataFrame) -> pl.DataFrame:
    """``raw`` with every text cell in its normal form; a warning per column that changed.

    Parameters
    ----------
    report : ValidationReport
        Gets a ``normalised_text`` warning per changed column, and the changed cells as the
        file wrote them (``originals``: column -> ``row`` and that column).
    raw : pl.DataFrame
        The file's text cells with their ``row`` numbers.

    Notes
    -----
    Plain ASCII cells without two spaces in a row are already normal (but for outer spaces,
    which every check strips), so only columns holding other cells are rewritten.
    """
    raw = _unneutralised(report, raw)
    _header_warnings(report, [c for c in raw.columns if c != "row"])
    text = [c for c, dtype in raw.schema.items() if c != "row" and dtype == pl.String]
    if not text:
        return raw
    flagged = raw.select(maybe_not_normal(c).any() for c in text).row(0)
    candidates = [c for c, flag in zip(text, flagged, strict=True) if flag]
    if not candidates:
        return raw
    normal = raw.select(normal_text_expr(c) for c in candidates)
    changed = normal.select(
        pl.col(c).ne_missing(raw[c].str.strip_chars()).alias(c) for c in candidates
    )
    for column in candidates:
        cells = raw.filter(changed[column]).select("row", column)
        if cells.height:
            report.originals[column] = cells
            report.add(_warning(column, cells))
    for column in candidates:
        _mixed_warning(report, column, normal.select(pl.col(column)).with_columns(raw["row"]))
    return raw.with_columns(normal)


def _unneutralised(report: ValidationReport, raw: pl.DataFrame) -> pl.DataFrame:
    """``raw`` without the ``'`` an export put before formula-like names and cells."""
    renamed = {
        c: new for c in raw.columns if (new := unneutralise(c)) != c and new not in raw.columns
    }
    for old, new in renamed.items():
        report.add(
            Problem(
                rule="unneutralised_text",
                message=f"The column name '{shorten(old)}' starts with the ' that exports "
                f"write before formula-like text; it is read as '{shorten(new)}'.",
                column=new,
                value=shorten(old),
                severity="warning",
            )
        )
    raw = raw.rename(renamed)
    text = [c for c, dtype in raw.schema.items() if c != "row" and dtype == pl.String]
    if not text:
        return raw
    counts = raw.select(unneutralise_expr(c).ne_missing(pl.col(c)).sum() for c in text).row(0)
    fixed = {c: n for c, n in zip(text, counts, strict=True) if n}
    for column, count in fixed.items():
        first = raw.filter(unneutralise_expr(column).ne_missing(pl.col(column)))
        row, value = first["row"][0], first[column][0]
        report.add(
            Problem(
                rule="unneutralised_text",
                message=f"{count:,} value(s) of column '{shorten(column)}' start with the ' "
                "that exports write before formula-like text; it is removed, for example "
                f"'{shorten(value)}' is stored as '{shorten(unneutralise(value))}'.",
                row=row,
                column=column,
                value=shorten(value),
                severity="warning",
            )
        )
    return raw.with_columns(unneutralise_expr(c) for c in fixed) if fixed else raw


def _header_warnings(report: ValidationReport, columns: list[str]) -> None:
    """A warning for each column name not in its normal form or mixing scripts."""
    for column in columns:
        new = normal_text(column)
        if new != column.strip():
            report.add(
                Problem(
                    rule="normalised_text",
                    message=f"The column name '{shorten(column)}' was not in its normal form "
                    f"({_what(column)}); it is read as '{shorten(new)}'.",
                    column=shorten(column),
                    severity="warning",
                )
            )
        for word in mixed_script(new)[:1]:
            report.add(_mixed(f"The column name '{shorten(column)}'", word, column))


def _mixed_warning(report: ValidationReport, column: str, cells: pl.DataFrame) -> None:
    """One warning for a column whose values have words mixing Latin with Cyrillic or Greek.

    Only the distinct values holding both a Latin and a Cyrillic or Greek letter are split into
    words (:func:`mixed_script`, about 10 microseconds a value, is too slow for every cell).
    U+0374 is named GREEK but is of no script.
    """
    value = pl.col(column)
    maybe = cells.filter(
        value.str.contains(r"\p{Latin}") & value.str.contains(r"[\p{Greek}\p{Cyrillic}\x{374}]")
    )
    mixed = [v for v in maybe.get_column(column).unique().to_list() if mixed_script(v)]
    if mixed:
        hits = maybe.filter(value.is_in(mixed))
        first, row = hits.row(0)
        word = mixed_script(first)[0]
        what = (
            f"{hits.height:,} value(s) of column '{shorten(column)}', such as '{shorten(first)}',"
        )
        report.add(_mixed(what, word, column, row))


def _mixed(what: str, word: str, column: str, row: int | None = None) -> Problem:
    return Problem(
        rule="mixed_script",
        message=f"{what} mix Latin letters with look-alike Cyrillic or Greek ones: "
        f"'{shorten(word)}' holds {foreign_letters(word)}. It is kept as written, as another "
        "word than its Latin look-alike; retype it if it should be the same.",
        row=row,
        column=shorten(column),
        value=shorten(word),
        severity="warning",
    )


def _warning(column: str, cells: pl.DataFrame) -> Problem:
    """The warning for a column whose ``cells`` (as the file wrote them) were normalised."""
    row, value = cells.row(0)
    new = normal_text(value)
    return Problem(
        rule="normalised_text",
        message=f"{cells.height:,} value(s) of column '{shorten(column)}' were not in their "
        "normal form and "
        f"are stored in it, for example '{shorten(value)}' ({_what(value)}) as "
        f"'{shorten(new)}'. Values that differ only so are the same value (the same "
        "respondent id, the same segment).",
        row=row,
        column=column,
        value=shorten(value),
        severity="warning",
    )


def _what(value: str) -> str:
    """What a value held that its normal form has not, in words."""
    parts = []
    hidden = invisible_in(value)
    if hidden:
        parts.append(f"invisible characters or odd spaces: {', '.join(dict.fromkeys(hidden))}")
    if ANY_CONTROL.search(value):
        parts.append("control characters such as a tab, a line break or an escape")
    if unicodedata.normalize("NFC", value) != value:
        parts.append("decomposed accents, not Unicode NFC")
    if not parts:
        parts.append("runs of spaces")
    return " and ".join(parts)
