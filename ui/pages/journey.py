"""Journey: items ranked by gap at each stage, human vs technical, and the snake plot."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import STAGES
from gapmodel.views.findings import gap_sentence, stage_name
from ui import cache, components
from ui.page import start_page
from ui.text import plain

TITLE = "The customer journey"
filters, caption = start_page(TITLE)

view = cache.journey(filters)
split_chart = components.chart("element_split", view.elements)
components.page_header(TITLE, caption, view, split_chart, f"journey-{filters.wave}")
stages = [s for s in STAGES if s in set(view.items["stage"].cast(pl.String))]


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
            st.markdown(f"**{stage_name(row['stage'])}: {plain(row['label'])}**")
            st.caption(plain(row["wording"]))
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

ranked, split, snake = st.tabs(["Items ranked by gap", "Human vs technical", "Snake plot"])
with ranked:
    st.caption(
        "Gap P - E per item with its 95% CI; red: significantly below expectation, blue: above, "
        "grey: no significant gap. Click a bar for the item's detail."
    )
    columns = st.columns(len(stages), gap="medium")
    for column, stage in zip(columns, stages, strict=True):
        with column:
            st.markdown(f"**{stage_name(stage)}**")
            part = view.items.filter(pl.col("stage").cast(pl.String) == stage)
            components.show_chart(
                components.chart("ranked_gaps", part, legend=False),
                key=f"journey_bars_{stage}",
                on_select=lambda stage=stage: _focus(stage),
            )
with split:
    st.caption(
        "Human element: how the customer was treated. Technical element: whether the product "
        "or result worked. Each respondent's gaps are averaged over the element's items first."
    )
    components.show_chart(split_chart)
    components.show_table(
        view.elements,
        ["stage_label", "element", "n", "mean_e", "mean_p", "gap", "ci_low", "ci_high", "p_adj"]
        + ["significant", "flag"],
    )
with snake:
    stage = (
        st.segmented_control(
            "Stage", stages, default=stages[0], format_func=stage_name, key="journey_snake_stage"
        )
        or stages[0]
    )
    st.caption("Mean expectation (grey) and perception (orange) per item, grouped by dimension.")
    part = view.items.filter(pl.col("stage").cast(pl.String) == stage).sort("dimension")
    components.show_chart(components.chart("snake_plot", part))

components.csv_download(
    "Items table (CSV)", lambda: view.items, f"journey-{filters.wave}.csv", key="journey_csv"
)
