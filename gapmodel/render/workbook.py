"""Tables as an Excel workbook: one sheet per table, then a Method sheet with the column glossary.

Every function returns bytes and takes plain values, so the dashboard can hand it to
``st.download_button(data=callable, on_click="ignore")`` and the command line can write it.
Numbers are written as numbers with the formats of the column registry
(:mod:`gapmodel.core.columns`); text is neutralised against formula injection.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime

import polars as pl
import xlsxwriter

from gapmodel.core.columns import COUNT, FLOAT, excel_format, glossary
from gapmodel.core.formulas import neutralise, new_workbook
from gapmodel.model.gaps import TableOptions
from gapmodel.render.method import method_rows
from gapmodel.render.progress import Progress
from gapmodel.render.tables import export_frame
from gapmodel.views import Filters

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
SHEET_NAME_CHARS = 31
METHOD_SHEET = "Method"


def sheet_names(names: Sequence[str]) -> list[str]:
    """Valid, distinct Excel sheet names for ``names`` (at most 31 characters, no ``[]:*?/\\``).

    Examples
    --------
    >>> sheet_names(["Gap by wave x dimension (all waves)", "a/b", "a/b"])
    ['Gap by wave x dimension (all wa', 'a-b', 'a-b (2)']
    """
    used: set[str] = {METHOD_SHEET.lower()}
    out = []
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "-", str(name)).strip().strip("'") or "Table"
        base = base[:SHEET_NAME_CHARS]
        candidate, k = base, 1
        while candidate.lower() in used or candidate.lower() == "history":
            k += 1
            suffix = f" ({k})"
            candidate = base[: SHEET_NAME_CHARS - len(suffix)] + suffix
        used.add(candidate.lower())
        out.append(candidate)
    return out


@dataclasses.dataclass
class _Styles:
    book: xlsxwriter.Workbook
    cache: dict[str, object] = dataclasses.field(default_factory=dict)

    def get(self, key: str, **props: object) -> object:
        if key not in self.cache:
            self.cache[key] = self.book.add_format(props)
        return self.cache[key]

    def number(self, fmt: str) -> object:
        return self.get(f"num:{fmt}", num_format=fmt)


def _column_format(name: str, dtype: pl.DataType) -> str | None:
    """The registry's number format of a column, else one by its type."""
    registered = excel_format(name)
    if registered is not None:
        return registered
    if dtype.is_integer():
        return COUNT
    if dtype.is_float():
        return FLOAT
    return None


def _text_width(series: pl.Series) -> int:
    head = series.head(2000).drop_nulls()
    return int(head.str.len_chars().max() or 0) if head.len() else 0


def _write_table(sheet, styles: _Styles, frame: pl.DataFrame) -> None:
    if frame.height + 1 > EXCEL_MAX_ROWS:
        raise ValueError(
            f"A sheet holds at most {EXCEL_MAX_ROWS - 1:,} rows; this table has "
            f"{frame.height:,}. Export it as CSV instead, or filter it."
        )
    header = styles.get("header", bold=True, text_wrap=True, valign="top", bottom=1)
    wrap = styles.get("wrap", text_wrap=True, valign="top")
    sheet.set_row(0, None, header)
    for j, (name, dtype) in enumerate(frame.schema.items()):
        sheet.write_string(0, j, name, header)
        series = frame[name]
        fmt = _column_format(name, dtype)
        style = styles.number(fmt) if fmt else None
        width = max(len(name), 6)
        if dtype == pl.String:
            values = [None if v is None else v[:EXCEL_MAX_TEXT] for v in series.to_list()]
            longest = _text_width(series)
            style = wrap if longest > 60 else None
            width = max(width, min(longest, 80))
            for i, value in enumerate(values, start=1):
                if value is not None:
                    sheet.write_string(i, j, value, style)
        elif dtype == pl.Boolean:
            for i, value in enumerate(series.to_list(), start=1):
                if value is not None:
                    sheet.write_boolean(i, j, value)
        elif dtype.is_numeric():
            width = max(width, 10)
            for i, value in enumerate(series.to_list(), start=1):
                if value is not None:
                    sheet.write_number(i, j, value, style)
        elif dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
            date_style = styles.number("yyyy-mm-dd" if dtype == pl.Date else "yyyy-mm-dd hh:mm")
            width = max(width, 16)
            for i, value in enumerate(series.to_list(), start=1):
                if isinstance(value, date | datetime):
                    sheet.write_datetime(i, j, value, date_style)
        else:  # anything else is written as (neutralised) text
            for i, value in enumerate(series.to_list(), start=1):
                if value is not None:
                    sheet.write_string(i, j, neutralise(str(value))[:EXCEL_MAX_TEXT])
        sheet.set_column(j, j, width + 2)
    sheet.freeze_panes(1, 0)
    if frame.width:
        sheet.autofilter(0, 0, max(frame.height, 1), frame.width - 1)


def _write_method(
    sheet, styles: _Styles, rows: list[tuple[str, str]], columns: list[tuple[str, str]]
) -> None:
    bold = styles.get("bold_top", bold=True, valign="top", text_wrap=True)
    wrap = styles.get("wrap", text_wrap=True, valign="top")
    header = styles.get("header", bold=True, text_wrap=True, valign="top", bottom=1)
    sheet.write_string(0, 0, "topic", header)
    sheet.write_string(0, 1, "statement", header)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 110)
    row = 1
    for topic, text in rows:
        sheet.write_string(row, 0, neutralise(topic), bold)
        sheet.write_string(row, 1, neutralise(text), wrap)
        row += 1
    row += 1
    sheet.write_string(row, 0, "Columns", bold)
    row += 1
    for name, meaning in columns:
        sheet.write_string(row, 0, name, wrap)
        sheet.write_string(row, 1, meaning, wrap)
        row += 1
    sheet.freeze_panes(1, 0)


def workbook(
    tables: Mapping[str, pl.DataFrame],
    filters: Filters | None = None,
    waves: Sequence[str] | None = None,
    options: TableOptions | None = None,
    progress: Progress | None = None,
) -> bytes:
    """An Excel workbook: one sheet per table, then a Method sheet.

    Parameters
    ----------
    tables : mapping of str to pl.DataFrame
        Sheet title -> model table, in the order wanted (titles are shortened to Excel's 31
        characters and made distinct). None values are skipped.
    filters : Filters, optional
        The view exported, stated on the Method sheet (pass the resolved filters, e.g. a
        view's ``.filters``).
    waves : sequence of str, optional
        The waves the tables draw on; default: the wave and comparison of ``filters``.
    options : TableOptions, optional
        Adjustment, alpha and thresholds stated; default: those of ``filters``.
    progress : callable, optional
        Called as ``progress(fraction, message)`` after each sheet.

    Returns
    -------
    bytes
        The .xlsx file. Each table sheet: a bold header row of the model's column names
        (frozen, with filter buttons), one row per table row, numbers as numbers with formats
        (p-values ``0.000`` and ``<0.001``, gaps and changes signed with 2 decimals, shares as
        %, counts with thousands separators), text as text (formula-like text prefixed with
        ``'``), suppressed statistics as empty cells. Sheet ``Method``: topic and statement
        rows (:func:`gapmodel.render.method.method_rows`) and the meaning of each column of the
        tables (:mod:`gapmodel.core.columns`).
    """
    present = {k: v for k, v in tables.items() if v is not None}
    names = sheet_names(list(present))
    buffer = io.BytesIO()
    book = new_workbook(buffer)
    styles = _Styles(book)
    total = len(present) + 1
    for k, (name, table) in enumerate(zip(names, present.values(), strict=True)):
        _write_table(book.add_worksheet(name), styles, export_frame(table))
        if progress is not None:
            progress((k + 1) / total, f"Wrote sheet {name}")
    columns = glossary([c for table in present.values() for c in table.columns])
    method = method_rows(filters, waves, options)
    _write_method(book.add_worksheet(METHOD_SHEET), styles, method, columns)
    book.close()
    if progress is not None:
        progress(1.0, "Workbook ready")
    return buffer.getvalue()
