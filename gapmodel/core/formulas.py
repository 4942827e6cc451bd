"""Neutralise text that a spreadsheet would run as a formula."""

from __future__ import annotations

import polars as pl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str | None) -> str | None:
    """Prefix text starting with ``= + - @``, tab or CR with a quote so it stays text.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("Business")
    'Business'
    """
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def neutralise_expr(column: str) -> pl.Expr:
    """The same rule as :func:`neutralise`, as a polars expression on a string column."""
    col = pl.col(column)
    starts = pl.any_horizontal([col.str.starts_with(p) for p in FORMULA_PREFIXES])
    return pl.when(starts).then(pl.lit("'") + col).otherwise(col).alias(column)


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Neutralise every string column of a frame; numbers stay numbers."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns([neutralise_expr(c) for c in text]) if text else frame
