"""Every CSV and XLSX file gapmodel writes, made safe from formula injection.

A spreadsheet runs text starting with ``= + - @``, tab or CR as a formula (``=cmd|' /C
calc'!A0``, ``=HYPERLINK(...)``). Every writer of a CSV or XLSX file goes through this module:
text cells *and* header names that start so are prefixed with ``'`` and stay text; numeric
columns are left alone, so a negative gap stays the number it is. A test
(``tests/core/test_writers.py``) fails when a CSV or XLSX writer appears anywhere else.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import polars as pl
import xlsxwriter

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


def unneutralise(text: str) -> str:
    """Text as written before :func:`neutralise` marked it: a ``'`` directly before ``= + - @``,
    tab or CR is removed, so that an export read back in gives the values it was made of.

    Examples
    --------
    >>> unneutralise("'+SUM(A1)"), unneutralise("'quoted"), unneutralise("@cmd")
    ('+SUM(A1)', "'quoted", '@cmd')
    """
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text


def unneutralise_expr(column: str) -> pl.Expr:
    """The same rule as :func:`unneutralise`, as a polars expression on a string column."""
    col = pl.col(column)
    marked = pl.any_horizontal([col.str.starts_with("'" + p) for p in FORMULA_PREFIXES])
    return pl.when(marked).then(col.str.slice(1)).otherwise(col).alias(column)


def neutralise_expr(column: str) -> pl.Expr:
    """The same rule as :func:`neutralise`, as a polars expression on a string column."""
    col = pl.col(column)
    starts = pl.any_horizontal([col.str.starts_with(p) for p in FORMULA_PREFIXES])
    return pl.when(starts).then(pl.lit("'") + col).otherwise(col).alias(column)


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Neutralise every string column and every column name of a frame; numbers stay numbers.

    Examples
    --------
    >>> neutralise_frame(pl.DataFrame({"=cmd": ["@SUM(1)"], "gap": [-2.0]})).rows(named=True)
    [{"'=cmd": "'@SUM(1)", 'gap': -2.0}]
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    out = frame.with_columns([neutralise_expr(c) for c in text]) if text else frame
    renamed = {c: neutralise(c) for c in out.columns if neutralise(c) != c}
    if renamed:
        clash = set(renamed.values()) & set(out.columns)
        if clash:
            raise ValueError(
                f"The column {sorted(clash)[0]!r} exists twice once formula-like names are "
                "marked as text. Rename one of the columns."
            )
        out = out.rename(renamed)
    return out


def csv_bytes(frame: pl.DataFrame, bom: bool = False) -> bytes:
    """A frame as UTF-8 CSV bytes with a header row, neutralised (``bom``: lead with a BOM).

    Examples
    --------
    >>> csv_bytes(pl.DataFrame({"+1": ["=1+1", "Retail"], "gap": [-0.5, 0.25]}))
    b"'+1,gap\\n'=1+1,-0.5\\nRetail,0.25\\n"
    """
    buffer = io.BytesIO()
    if bom:
        buffer.write("\ufeff".encode())
    neutralise_frame(frame).write_csv(buffer)
    return buffer.getvalue()


def rows_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Rows of text as CSV (``\\n`` line ends), every cell and header neutralised.

    Examples
    --------
    >>> rows_csv(["column", "name"], [["-x", "@a"], ["b", None]])
    "column,name\\n'-x,'@a\\nb,\\n"
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in [header, *rows]:
        writer.writerow(["" if v is None else neutralise(str(v)) for v in row])
    return out.getvalue()


def excel_bytes(frame: pl.DataFrame, worksheet: str) -> bytes:
    """A frame as one sheet of an .xlsx file, neutralised, text written as text."""
    buffer = io.BytesIO()
    neutralise_frame(frame).write_excel(buffer, worksheet=worksheet, autofit=False)
    return buffer.getvalue()


def new_workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    """An in-memory xlsxwriter workbook that never turns text into formulas or links; write
    text cells of :func:`neutralise_frame` frames (or :func:`neutralise` strings) into it."""
    return xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
