"""One table as a file: the model's table made safe to write, and as CSV bytes.

Rules shared by every export:

- the numbers are the model's own (full precision; a workbook only formats how they look);
- text that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) is
  prefixed with ``'`` (:mod:`gapmodel.core.formulas`) and written as text; numbers stay numbers,
  so a negative gap is still a number;
- suppressed groups stay suppressed: their statistics are null in the model tables and are
  written as empty cells.
"""

from __future__ import annotations

import polars as pl

from gapmodel.core.formulas import csv_bytes, neutralise_frame


def export_frame(table: pl.DataFrame) -> pl.DataFrame:
    """A model table ready to write: text neutralised, numbers untouched.

    Parameters
    ----------
    table : pl.DataFrame
        Any table of :mod:`gapmodel.views` (or any frame).

    Returns
    -------
    pl.DataFrame
        The same rows and columns: enum and categorical columns as text, list columns joined
        with ``|``, other nested values as text, NaN as null; every text column and every column
        name neutralised against formula injection. Numeric and boolean columns keep their values and types.
    """
    out = []
    for name, dtype in table.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Enum | pl.Categorical):
            out.append(col.cast(pl.String))
        elif isinstance(dtype, pl.List | pl.Array):
            out.append(col.cast(pl.List(pl.String)).list.join("|"))
        elif isinstance(dtype, pl.Struct | pl.Object | pl.Binary):
            out.append(
                col.map_elements(lambda v: None if v is None else str(v), return_dtype=pl.String)
            )
        elif dtype.is_float():
            out.append(col.fill_nan(None))
        else:
            out.append(col)
    return neutralise_frame(table.select(out))


def table_csv(table: pl.DataFrame) -> bytes:
    """One table as CSV bytes (UTF-8, comma-separated, header row).

    For any single table a page shows, e.g. ``views.overview(...).journey`` (Overview: journey
    map), ``views.journey(...).items`` (Journey: items), ``views.details(...).gaps`` (Details),
    ``views.segments(...).by_dimension`` (Segments), ``views.trends(...).change_items``
    (Trends), ``views.priorities(...).fix_first`` (Priorities).

    Parameters
    ----------
    table : pl.DataFrame
        The model table, as the page got it.

    Returns
    -------
    bytes
        CSV with the table's columns; numbers at full precision, booleans ``true``/``false``,
        null (including suppressed statistics) as an empty field, formula-like text prefixed
        with ``'``.

    Examples
    --------
    >>> table_csv(pl.DataFrame({"segment": ["=cmd", "Retail"], "gap": [-0.5, 0.25]}))
    b"segment,gap\\n'=cmd,-0.5\\nRetail,0.25\\n"
    """
    return csv_bytes(export_frame(table))
