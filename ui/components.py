"""Building blocks the pages share: charts, result tables, downloads and guidance."""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import polars as pl
import streamlit as st

from gapmodel.core.columns import COLUMNS as REGISTERED
from gapmodel.core.columns import Column
from gapmodel.core.vocabulary import name_label, relabelled
from gapmodel.render import charts
from gapmodel.render.chart_images import chart_png, chart_svg
from gapmodel.render.media import MEDIA_TYPES
from gapmodel.render.tables import table_csv
from gapmodel.render.view_export import view_workbook
from ui.text import plain

# Altair checks every chart against the Vega-Lite schema as it is built, on every rerun; the
# tests validate every chart builder, so the dashboard skips the check.
alt.utils.schemapi.disable_debug_mode()


def _column_config(column: Column) -> object:
    """How the dashboard shows a registered column (:mod:`gapmodel.core.columns`)."""
    if column.kind == "text":
        return st.column_config.TextColumn(column.title, help=column.help, width=column.width)
    if column.kind == "check":
        return st.column_config.CheckboxColumn(column.title, help=column.help)
    return st.column_config.NumberColumn(column.title, format=column.display, help=column.help)


# How the result columns of the model's tables are shown (name -> column config).
COLUMNS: dict[str, object] = {c.name: _column_config(c) for c in REGISTERED if c.shown}
HIDDEN = tuple(c.name for c in REGISTERED if not c.shown)
KEYS_FIRST = ("rank", "wave", "stage_label", "label", "dimension", "element")
# Page layout: less empty space above the title, so that a page's point fits on a laptop screen.
_STYLE = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.2rem; padding-bottom: 2rem; }
h1 { padding-top: 0 !important; }
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


def show_chart(spec: dict, key: str | None = None, on_select=None) -> object:
    """Draw a chart specification (:func:`chart`) across the container's width."""
    kwargs = {"key": key, "on_select": on_select} if on_select is not None else {"key": key}
    return st.vega_lite_chart(spec=spec, width="stretch", **kwargs)


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
    frame = table.select(shown).with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    if "dimension" in shown:  # named as the charts name it
        frame = frame.with_columns(relabelled("dimension", name_label))
    config = {c: COLUMNS[c] for c in shown if c in COLUMNS}
    config |= {a: st.column_config.TextColumn(name_label(a)) for a in attributes if a in shown}
    st.dataframe(frame, hide_index=True, column_config=config, height=height, key=key)


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
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.title(title)
    left.caption(caption)
    if view is None and chart is None:
        return
    actions = right.container(horizontal=True, horizontal_alignment="right")
    if report is not None and actions.button(
        "Report", icon=":material/description:", key=f"{stem}_report"
    ):
        report()
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
