"""Journey: items ranked by gap at each stage, human vs technical, and the snake plot."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import stage_label
from gapmodel.views.findings import gap_sentence
from ui import cache, components
from ui.page import start_page
from ui.text import plain

TITLE = "The customer journey"
MAX_COLUMNS = 4  # stages shown side by side; more are shown one at a time
filters, caption = start_page(TITLE)

view = cache.journey(filters)
survey = cache.survey()
split_chart = None if view.elements is None else components.chart("element_split", view.elements)
chart = split_chart or components.chart("ranked_gaps", view.items, legend=False)
components.page_header(TITLE, caption, view, chart, f"journey-{filters.wave}")
present = set(view.items["stage"].cast(pl.String))
stages = [s for s in survey.stages if s in present]


def _focus(stage: str) -> None:
    picked = st.session_state[f"journey_bars_{stage}"].selection.get("bar") or []
    st.session_state["journey_focus"] = (picked[0]["stage"], picked[0]["item"]) if picked else None


focus = st.session_state.get("journey_focus")
if focus:
    rows = view.items.filter(pl.col("item") == focus[1])
    picked = rows.filter(pl.col("stage").cast(pl.String) == focus[0])
    if picked.height:
        row = picked.row(0, named=True)
        with st.container(border=True):
            where = "" if survey.single_stage else f"{stage_label(row['stage'])}: "
            st.markdown(f"**{plain(where + row['label'])}**")
            components.sentences(
                [gap_sentence(row, "This item")] if row["flag"] != "suppressed" else [],
                numbered=False,
            )
            components.show_table(
                rows,
                ["stage_label", "n", "mean_e", "mean_p", "gap", "ci_low", "ci_high", "p_adj"]
                + ["significant", "flag"],
                key="journey_focus_table",
            )

names = ["Items ranked by gap", "Human vs technical", "Snake plot"]
if view.elements is None:  # no item is classed as human or technical
    names.remove("Human vs technical")
tabs = dict(zip(names, st.tabs(names), strict=True))
with tabs["Items ranked by gap"]:
    st.caption(
        "Gap P - E per item with its 95% CI; red: significantly below expectation, blue: above, "
        "grey: no significant gap. Click a bar for the item's detail."
    )
    shown = stages
    if len(stages) > MAX_COLUMNS:  # many stages: one at a time, each wide enough to read
        shown = [
            st.selectbox("Stage", stages, format_func=stage_label, key="journey_ranked_stage")
            or stages[0]
        ]
    columns = st.columns(max(len(shown), 1), gap="medium")
    for column, stage in zip(columns, shown, strict=False):
        with column:
            if 1 < len(shown):
                st.markdown(f"**{plain(stage_label(stage))}**")
            part = view.items.filter(pl.col("stage").cast(pl.String) == stage)
            components.show_chart(
                components.chart("ranked_gaps", part, legend=False),
                key=f"journey_bars_{stage}",
                on_select=lambda stage=stage: _focus(stage),
            )
if "Human vs technical" in tabs:
    with tabs["Human vs technical"]:
        st.caption(
            "Human element: how the customer was treated. Technical element: whether the "
            "product or result worked. Each respondent's gaps are averaged over the element's "
            "items first."
        )
        components.show_chart(split_chart)
        components.show_table(
            view.elements,
            ["stage_label", "element", "n", "mean_e", "mean_p", "gap", "ci_low", "ci_high"]
            + ["p_adj", "significant", "flag"],
        )
with tabs["Snake plot"]:
    stage = stages[0] if stages else None
    if len(stages) > 1:
        stage = (
            st.segmented_control(
                "Stage",
                stages,
                default=stages[0],
                format_func=stage_label,
                key="journey_snake_stage",
            )
            or stages[0]
        )
    st.caption("Mean expectation (grey) and perception (orange) per item, grouped by dimension.")
    part = view.items.filter(pl.col("stage").cast(pl.String) == stage).sort("dimension")
    components.show_chart(components.chart("snake_plot", part))

components.csv_download(
    "Items table (CSV)", lambda: view.items, f"journey-{filters.wave}.csv", key="journey_csv"
)
