"""Every text cell of an upload in its normal form, before anything compares it.

Ids, attribute values and the long layout's stage and item cells are compared as text: a value
copied through another program with a zero-width space, a no-break space or a decomposed accent
would otherwise count as another respondent or another segment. Each cell is replaced by its
:func:`gapmodel.core.text.normal_text`, and each column where that changed more than outer
spaces gets one warning: how many values, and an example. The cells as the file wrote them are
kept on the report (``ValidationReport.originals``), so that a duplicate id can say that two
ids which look different are one.
"""

from __future__ import annotations

import unicodedata

import polars as pl

from gapmodel.core.text import invisible_in, maybe_not_normal, normal_text, normal_text_expr
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
    return raw.with_columns(normal)


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
    if unicodedata.normalize("NFC", value) != value:
        parts.append("decomposed accents, not Unicode NFC")
    if not parts:
        parts.append("runs of spaces")
    return " and ".join(parts)
