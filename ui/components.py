"""Building blocks the pages share: charts, result tables, downloads and guidance."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import polars as pl
import streamlit as st

from gapmodel.core.columns import COLUMNS as REGISTERED
from gapmodel.core.columns import Column
from gapmodel.core.vocabulary import VERDICTS, name_label, relabelled
from gapmodel.render import charts
from gapmodel.render.chart_images import chart_png, chart_svg
from gapmodel.render.media import MEDIA_TYPES
from gapmodel.render.tables import table_csv
from gapmodel.render.view_export import view_workbook
from gapmodel.views.findings import p_value
from gapmodel.views.targets import TARGET_STATUS
from ui.filters import method_note, share_link
from ui.navigation import current_filters
from ui.text import plain

# Altair checks every chart against the Vega-Lite schema as it is built, on every rerun; the
# tests validate every chart builder, so the dashboard skips the check.
alt.utils.schemapi.disable_debug_mode()


# p-values are shown as text ("< 0.001", "0.043"), never as 0 or 9e-257.
P_COLUMNS = ("p_val", "p_adj", "p_wilcoxon", "p_tost")


def _column_config(column: Column) -> object:
    """How the dashboard shows a registered column (:mod:`gapmodel.core.columns`); p-values
    as text (:func:`readable` writes them)."""
    if column.kind == "text" or column.name in P_COLUMNS:
        return st.column_config.TextColumn(column.title, help=column.help, width=column.width)
    if column.kind == "check":
        return st.column_config.CheckboxColumn(column.title, help=column.help)
    return st.column_config.NumberColumn(column.title, format=column.display, help=column.help)


FLAG_WORDS = {"ok": "", "small_n": "Small group", "suppressed": "Too few to show"}
STATUS_WORDS = {k: f"{mark} {v}" for (k, v), mark in zip(TARGET_STATUS.items(), "✓▲✕", strict=True)}
# How the result columns of the model's tables are shown (name -> column config).
COLUMNS: dict[str, object] = {c.name: _column_config(c) for c in REGISTERED if c.shown}
HIDDEN = tuple(c.name for c in REGISTERED if not c.shown)
KEYS_FIRST = ("rank", "wave", "stage_label", "label", "dimension", "element")
# Page layout: less empty space above the title, so that a page's point fits on a laptop screen.
_STYLE = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
h1 { padding-top: 0 !important; font-size: 2.2rem !important; }
/* Captions and secondary text at 7:1 on white (Streamlit's own grey is 3.9:1). */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * {
  color: #4d4f5c !important; opacity: 1 !important;
}
[data-testid="stMetricDelta"] * { opacity: 1 !important; }
</style>
"""


def page_style() -> None:
    """Tighten the page's top spacing (fixed markup of ours, never data)."""
    st.html(_STYLE)


def _table_key(table: pl.DataFrame) -> bytes:
    """A cache key that reads every row (Streamlit's own hash of a frame prints only the first
    and last rows of its row hashes, so two tables differing in the middle would share a key)."""
    return str(table.schema).encode() + table.hash_rows(seed=0).to_numpy().tobytes()


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False, hash_funcs={pl.DataFrame: _table_key})
def chart(builder: str, *args: object, **options: object) -> dict:
    """The finished Vega-Lite specification of ``gapmodel.render.charts.<builder>(*args, **options)``,
    cached by the content of its arguments: building a chart with Altair takes tens of
    milliseconds, on every rerun. Altair's schema validation is skipped here; the tests
    validate every chart builder."""
    return charts.finish(getattr(charts, builder)(*args, **options)).to_dict(validate=False)


def show_chart(
    spec: dict,
    alt_text: str,
    key: str | None = None,
    on_select=None,
    table: pl.DataFrame | None = None,
    columns: list[str] | None = None,
) -> object:
    """Draw a chart specification (:func:`chart`) across the container's width, with a text
    alternative for screen readers and, given ``table``, the numbers behind it as a table in
    a collapsed expander."""
    kwargs = {"key": key, "on_select": on_select} if on_select is not None else {"key": key}
    drawn = st.vega_lite_chart(spec=spec, width="stretch", alt=alt_text, **kwargs)
    if table is not None:
        with st.expander("The chart as a table"):
            show_table(table, columns, key=None if key is None else f"{key}_table")
    return drawn


def show_table(
    table: pl.DataFrame, columns: list[str] | None = None, height: int | str = "auto", key=None
) -> None:
    """A result table with readable headers and number formats; key columns first."""
    attributes = [c for c in table.columns if c not in COLUMNS and c not in HIDDEN]
    if columns is None:  # key columns and attributes first, then the statistics in table order
        columns = [k for k in KEYS_FIRST if k in table.columns] + attributes
        columns += [c for c in table.columns if c not in columns and c != "wording"]
        columns += ["wording"]
    shown = [c for c in columns if c in table.columns and c not in HIDDEN]
    frame = readable(table.select(shown))
    config = {c: COLUMNS[c] for c in shown if c in COLUMNS}
    config |= {a: st.column_config.TextColumn(name_label(a)) for a in attributes if a in shown}
    st.dataframe(frame, hide_index=True, column_config=config, height=height, key=key)


def readable(frame: pl.DataFrame) -> pl.DataFrame:
    """A table as the dashboard shows it: enums as text, dimensions as the charts name them,
    p-values as text (``< 0.001``), flags, verdicts and target status in words."""
    frame = frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    if "dimension" in frame.columns:
        frame = frame.with_columns(relabelled("dimension", name_label))
    words = {"flag": FLAG_WORDS, "verdict": VERDICTS, "status": STATUS_WORDS}
    frame = frame.with_columns(
        pl.col(c).replace_strict(w, default=pl.col(c)) for c, w in words.items() if c in frame
    )
    return frame.with_columns(
        pl.col(c).map_elements(p_value, return_dtype=pl.String, skip_nulls=False)
        for c in P_COLUMNS
        if c in frame.columns
    )


def download(
    label: str,
    data: bytes | str | Callable[[], bytes | str],
    file_name: str,
    mime: str,
    key: str,
    where=st,
    icon: str | None = ":material/download:",
    **style: object,
) -> None:
    """A download button that does not rerun the page; give ``data`` as a function to make the
    file only when it is clicked."""
    where.download_button(
        label,
        data=data,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        icon=icon,
        **style,
    )


def csv_download(label: str, table: Callable[[], pl.DataFrame], file_name: str, key: str) -> None:
    """A table as a CSV download, written only when clicked."""
    download(label, lambda: table_csv(table()), file_name, MEDIA_TYPES["csv"], key)


def page_header(
    title: str, caption: str, view=None, chart=None, stem: str = "", report=None
) -> None:
    """The page title with its caption and, at the right, an Export menu for what it shows.

    Parameters
    ----------
    view : a page view of ``gapmodel.views``, optional
        Every table of it goes into the Excel download (with a Method sheet).
    chart : dict, optional
        The page's main chart specification (:func:`chart`), offered as PNG and SVG.
    stem : str
        File name stem, e.g. ``overview-2026-Q3``.
    report : callable, optional
        Opens the management report dialog; adds a Report button.
    """
    filters = current_filters() if view is not None else None
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.title(title, help=None if filters is None else method_note(filters))
    left.caption(caption)
    if view is None and chart is None:
        return
    actions = right.container(horizontal=True, horizontal_alignment="right")
    if report is not None and actions.button(
        "Report", icon=":material/description:", key=f"{stem}_report"
    ):
        report()
    if filters is not None:
        share_button(actions, filters)
    with actions.popover("Export", icon=":material/download:"):
        files = []
        if view is not None:
            files.append(("Tables (Excel)", lambda: view_workbook(view), "xlsx"))
        if chart is not None:
            files.append(("Chart (PNG)", lambda: chart_png(chart), "png"))
            files.append(("Chart (SVG)", lambda: chart_svg(chart), "svg"))
        for label, make, suffix in files:
            download(
                label,
                make,
                f"{stem}.{suffix}",
                MEDIA_TYPES[suffix],
                f"{stem}_{suffix}",
                icon=None,
                width="stretch",
            )


def share_button(where, filters) -> None:
    """A Share menu with the link to this exact view, ready to copy."""
    with where.popover("Share", icon=":material/share:"):
        st.markdown("**Share this view**")
        st.caption(
            "The link opens this page with the same wave, comparison, filters and choices, "
            "even after new waves are uploaded."
        )
        st.code(share_link(filters), language=None, wrap_lines=True)


def sentences(lines: list[str | None], numbered: bool = True) -> None:
    """Findings as a list; their text (item names come from the instrument) is escaped."""
    shown = [line for line in lines if line]
    if not shown:
        return
    if len(shown) == 1 and not numbered:
        st.markdown(plain(shown[0]))
        return
    prefix = (lambda i: f"{i}. ") if numbered else (lambda i: "- ")
    st.markdown("\n".join(prefix(i) + plain(line) for i, line in enumerate(shown, 1)))


def too_few_selected(count: int, smallest: int) -> None:
    """The guidance when the filters leave no respondent, or too few to show figures."""
    found = "No respondents match" if count == 0 else f"Only {count} respondent(s) match"
    st.warning(
        f"{found} these filters in this wave (with answers at the chosen stages); figures are "
        f"shown for {smallest} or more. Widen the filters in the sidebar (for example set "
        "Segment, Channel and Region back to All, or choose more stages)."
    )
