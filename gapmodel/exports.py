"""Tables as files: CSV bytes of one table, and an Excel workbook of several with a Method sheet.

Every function returns bytes and takes plain values, so the dashboard can hand it to
``st.download_button(data=callable, on_click="ignore")`` and the command line can write it.

Rules shared by every export:

- the numbers are the model's own (full precision; the workbook only formats how they look);
- text that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) is
  prefixed with ``'`` (:mod:`gapmodel.safe_export`) and written as text; numbers stay numbers,
  so a negative gap is still a number;
- suppressed groups stay suppressed: their statistics are null in the model tables and are
  written as empty cells.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

import polars as pl
import xlsxwriter

from gapmodel import views
from gapmodel.gaps import TableOptions
from gapmodel.instrument import STAGE_LABELS
from gapmodel.safe_export import neutralise, neutralise_frame
from gapmodel.stats import PADJUST_NAMES

Progress = Callable[[float, str], None]

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
SHEET_NAME_CHARS = 31
METHOD_SHEET = "Method"

# Number formats by column name (the model's column names are fixed and documented).
P_VALUE = '[<0.001]"<0.001";0.000'
SIGNED = "+0.00;-0.00;0.00"
SHARE = "0.0%"
COUNT = "#,##0"
_FORMATS: dict[str, str] = {
    **dict.fromkeys(("p_val", "p_adj", "p_wilcoxon"), P_VALUE),
    **dict.fromkeys(
        (
            "gap",
            "ci_low",
            "ci_high",
            "gap_from",
            "gap_to",
            "gap_rest",
            "change",
            "change_e",
            "change_p",
            "diff",
            "msa",
            "mss",
            "dz",
            "t",
        ),
        SIGNED,
    ),
    **dict.fromkeys(
        (
            "share_dissatisfied",
            "share_satisfied",
            "share_delighted",
            "share_below",
            "share_inside",
            "share_above",
        ),
        SHARE,
    ),
    **dict.fromkeys(("mean_e", "mean_p", "mean_a", "performance", "sd", "se"), "0.00"),
    **dict.fromkeys(("importance", "importance_weight", "alpha_e", "alpha_p"), "0.00"),
    **dict.fromkeys(("score", "f"), "0.000"),
    **dict.fromkeys(("df1", "df2", "w"), "#,##0.0"),
}
_FLOAT_FORMAT = "0.000"

# What each column means, for the Method sheet.
COLUMN_GLOSSARY: dict[str, str] = {
    "n": "respondents in the group (for a change: the smaller of the two waves)",
    "mean_e, mean_p": "mean expectation and mean perception (each respondent's mean first)",
    "gap": "mean gap P - E; below 0: perception falls short of expectation",
    "sd, se": "standard deviation and standard error of the respondent gaps",
    "ci_low, ci_high": "95% t confidence interval of the gap (or of the change)",
    "t, dof, p_val": "t statistic, degrees of freedom and two-sided p-value before adjustment",
    "w, p_wilcoxon": "Wilcoxon signed-rank statistic and two-sided p (Pratt zeros)",
    "dz": "Cohen's dz = gap / sd",
    "share_dissatisfied, share_satisfied, share_delighted": (
        "share of respondents with a gap below, equal to and above 0"
    ),
    "p_adj": "p-value adjusted within the table (the method is in the padjust column)",
    "significant": "p_adj below alpha",
    "flag": "ok; small_n (below the minimum n: unreliable); suppressed (statistics removed)",
    "gap_from, gap_to, change": "gap in each wave and its change (later minus earlier wave)",
    "change_e, change_p": "change in mean expectation and in mean perception",
    "driver": "whichever of expectations and perceptions moved more",
    "gap_rest, diff, worse": (
        "gap of everyone else, difference segment - rest, and significantly worse"
    ),
    "segments, f, df1, df2": "groups tested and Welch's F with its degrees of freedom",
    "performance, importance, quadrant": "importance-performance analysis per item at a stage",
    "score, rank": "fix-first score (shortfall x importance weight x share dissatisfied)",
    "alpha_e, alpha_p": "Cronbach's alpha of the expectation and of the perception items",
    "mean_a, msa, mss": "adequate level, P - A and P - E (zone of tolerance)",
}


# -- preparing a table ------------------------------------------------------------------------------
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
        with ``|``, other nested values as text, NaN as null; every text column neutralised
        against formula injection. Numeric and boolean columns keep their values and types.
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
    buffer = io.BytesIO()
    export_frame(table).write_csv(buffer)
    return buffer.getvalue()


# -- the workbook -------------------------------------------------------------------------------------
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


def describe_filters(filters: views.Filters | None) -> str:
    """The view in words: ``wave 2026-Q3, compared with 2026-Q2; segment = Consumer; ...``."""
    if filters is None:
        return "not stated"
    wave = filters.wave or "the latest wave"
    if filters.compare:
        compare = f"compared with {filters.compare}"
    elif filters.compare == "":
        compare = "no comparison wave"
    else:
        compare = "compared with the wave before it"
    who = "; ".join(f"{k} = {v}" for k, v in filters.where.items()) or "all respondents"
    stages = ", ".join(STAGE_LABELS[s] for s in filters.stages) or "all stages"
    return f"wave {wave}, {compare}; {who}; {stages}"


def method_rows(
    filters: views.Filters | None = None,
    waves: Sequence[str] | None = None,
    options: TableOptions | None = None,
) -> list[tuple[str, str]]:
    """The method, as ``(topic, statement)`` rows for the Method sheet and the report.

    Parameters
    ----------
    filters : views.Filters, optional
        The view exported (resolved, so that the wave and comparison are explicit).
    waves : sequence of str, optional
        The waves the tables draw on; default: the wave and comparison of ``filters``.
    options : TableOptions, optional
        Adjustment, alpha and thresholds; default: those of ``filters`` (or the settings).

    Returns
    -------
    list of (str, str)
        Topics: gap, unit of analysis, tests, multiple comparisons, small groups, waves,
        filters, wave over wave, segments, weighting, importance-performance, reliability.
    """
    if options is None:
        options = filters.options() if filters is not None else TableOptions.from_settings()
    if waves is None:
        waves = [w for w in (filters.wave, filters.compare) if w] if filters else []
    adjustment = PADJUST_NAMES[options.padjust]
    return [
        ("Gap", "G = P - E: perception minus expectation. Below 0 the service falls short of "
         "what customers expected (dissatisfied), 0 meets it (satisfied), above 0 exceeds it "
         "(delighted)."),
        ("Unit of analysis", "The respondent. For an item at a stage each respondent gives one "
         "gap; for a dimension, a stage, an element or overall, each respondent's gaps over the "
         "group's items are averaged first and the test runs across respondents. Only complete "
         "E/P pairs count."),
        ("Tests", "Paired t-test of the respondent gaps against 0 (df = n - 1, two-sided) with "
         "its 95% t confidence interval; Wilcoxon signed-rank test (two-sided, normal "
         "approximation with tie correction, zero differences treated by Pratt's method); "
         "Cohen's dz = gap / sd."),
        ("Multiple comparisons", f"p-values are adjusted within each table by the {adjustment} "
         f"method; 'significant' means adjusted p below alpha = {options.alpha:g}."),
        ("Small groups", f"Groups with fewer than {options.min_n} respondents are flagged "
         f"small_n (unreliable); groups with fewer than {options.suppress_n} are suppressed: "
         "their statistics are left empty and they take no part in the adjustment."),
        ("Waves", ", ".join(waves) if waves else "not stated"),
        ("Filters", describe_filters(filters)),
        ("Wave over wave", "Change in the mean gap between two waves with Welch's t-test "
         "(independent samples of respondents) and its 95% CI; decomposed as change in gap = "
         "change in P - change in E (expectation drift against perception change)."),
        ("Segments", "Each segment against everyone else with Welch's t-test; across segments "
         "with Welch's ANOVA."),
        ("Weighted gap", "Per respondent, the sum over dimensions of (importance points x "
         "dimension gap) / 100, from the 100 points each respondent allocated; unweighted (the mean of "
         "the dimension gaps) when there are no allocations, and the table says which."),
        ("Importance-performance", "Performance is the mean P; importance is stated, or derived "
         "as the correlation of the item's P with the respondent's mean P; quadrants split at "
         "the grand means (Martilla & James 1977)."),
        ("Reliability", "Cronbach's alpha per stage and dimension, for E and for P."),
    ]  # fmt: skip


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
    if name in _FORMATS:
        return _FORMATS[name]
    if dtype.is_integer():
        return COUNT
    if dtype.is_float():
        return _FLOAT_FORMAT
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


def _write_method(sheet, styles: _Styles, rows: list[tuple[str, str]]) -> None:
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
    for names, meaning in COLUMN_GLOSSARY.items():
        sheet.write_string(row, 0, names, wrap)
        sheet.write_string(row, 1, meaning, wrap)
        row += 1
    sheet.freeze_panes(1, 0)


def workbook(
    tables: Mapping[str, pl.DataFrame],
    filters: views.Filters | None = None,
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
    filters : views.Filters, optional
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
        rows (:func:`method_rows`) and a glossary of the columns.
    """
    present = {k: v for k, v in tables.items() if v is not None}
    names = sheet_names(list(present))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    styles = _Styles(book)
    total = len(present) + 1
    for k, (name, table) in enumerate(zip(names, present.values(), strict=True)):
        _write_table(book.add_worksheet(name), styles, export_frame(table))
        if progress is not None:
            progress((k + 1) / total, f"Wrote sheet {name}")
    _write_method(book.add_worksheet(METHOD_SHEET), styles, method_rows(filters, waves, options))
    book.close()
    if progress is not None:
        progress(1.0, "Workbook ready")
    return buffer.getvalue()


# -- the tables of each page ----------------------------------------------------------------------
VIEW_SHEETS: dict[type, dict[str, str]] = {
    views.Overview: {
        "overall": "Overall gap",
        "weighted": "Weighted gap",
        "change": "Overall change",
        "journey": "Journey map",
        "pain_points": "Top pain points",
    },
    views.Journey: {"items": "Items by stage", "elements": "Human vs technical"},
    views.Details: {
        "gaps": "Gap table",
        "reliability": "Reliability",
        "zone_items": "Zone of tolerance - items",
        "zone_dimensions": "Zone of tolerance - dimensions",
    },
    views.Segments: {
        "overall": "{A} vs rest",
        "by_dimension": "{A} vs rest by dimension",
        "across_overall": "Across {a}s",
        "across_dimensions": "Across {a}s by dimension",
    },
    views.Trends: {
        "by_wave": "Gap by wave",
        "by_wave_dimension": "Gap by wave and dimension",
        "change_dimensions": "Change by dimension",
        "change_items": "Change by item",
    },
    views.Priorities: {"ipa": "Importance-performance", "fix_first": "Fix first"},
}


def view_tables(view: object) -> dict[str, pl.DataFrame]:
    """Every table of a page view, titled for sheets, in the order the page shows them.

    Parameters
    ----------
    view : views.Overview, Journey, Details, Segments, Trends or Priorities
        What a page function of :mod:`gapmodel.views` returned.

    Returns
    -------
    dict of str to pl.DataFrame
        Title -> table; tables that are None (no comparison wave, no adequate scores) are
        left out.
    """
    titles = VIEW_SHEETS.get(type(view))
    if titles is None:
        raise ValueError(
            "Give a page view of gapmodel.views (Overview, Journey, Details, Segments, Trends "
            f"or Priorities). Got {type(view).__name__}."
        )
    attribute = getattr(view, "attribute", "")
    out = {}
    for field, title in titles.items():
        table = getattr(view, field)
        if table is not None:
            out[title.format(A=attribute.capitalize(), a=attribute)] = table
    return out


def view_waves(view: object) -> list[str]:
    """The waves a page view draws on: its wave, its comparison, and any ``wave`` column."""
    filters: views.Filters = view.filters
    waves = [w for w in (filters.compare, filters.wave) if w]
    for table in view_tables(view).values():
        if "wave" in table.columns:
            waves += table["wave"].cast(pl.String).unique(maintain_order=True).to_list()
    return list(dict.fromkeys(waves))


def view_workbook(view: object, progress: Progress | None = None) -> bytes:
    """The workbook of one page: every table the page shows, plus the Method sheet.

    For the download button of each page: pass what ``views.overview`` (Overview),
    ``views.journey`` (Journey), ``views.details`` (Details), ``views.segments`` (Segments),
    ``views.trends`` (Trends) or ``views.priorities`` (Priorities) returned.

    Returns
    -------
    bytes
        The .xlsx file of :func:`workbook`: sheets named as in ``VIEW_SHEETS`` (e.g. Overview:
        ``Overall gap, Weighted gap, Overall change, Journey map, Top pain points``), then
        ``Method`` stating the view's filters and waves.
    """
    return workbook(view_tables(view), view.filters, view_waves(view), progress=progress)
