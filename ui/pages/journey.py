"""Journey: items ranked by gap at each stage, human vs technical, and the snake plot."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import stage_label
from gapmodel.render.charts import chart_text
from gapmodel.views.findings import element_sentence, gap_sentence
from ui import cache, components
from ui.page import start_page
from ui.text import plain, stage_option

TITLE = "The customer journey"
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


def _stage_choice(key: str) -> str | None:
    """The stage a tab shows, one at a time (each wide enough for the items' names); the
    choice is kept in the URL. None when the view has no stage."""
    if len(stages) < 2:
        return stages[0] if stages else None
    chosen = st.segmented_control(
        "Stage", stages, default=stages[0], format_func=stage_option, key=key, bind="query-params"
    )
    return chosen or stages[0]


names = ["Items ranked by gap", "Human vs technical", "Snake plot"]
if view.elements is None:  # no item is classed as human or technical
    names.remove("Human vs technical")
tabs = dict(
    zip(
        names,
        st.tabs(names, key="journey_tab", on_change="rerun", bind="query-params"),
        strict=True,
    )
)
with tabs["Items ranked by gap"]:
    pick, detail = st.columns([3, 2], vertical_alignment="bottom")
    with pick:
        stage = _stage_choice("journey_stage")
    part = view.items.filter(pl.col("stage").cast(pl.String) == stage)
    shown = part.filter(pl.col("flag") != "suppressed").sort("gap")
    with detail:  # the keyboard's way to an item's detail (a click on a bar does the same)
        st.selectbox(
            "Show an item's detail",
            shown["item"].to_list(),
            index=None,
            format_func=dict(zip(shown["item"], shown["label"], strict=True)).get,
            placeholder="Choose an item",
            key="journey_item",
            on_change=lambda: st.session_state.update(
                journey_focus=(stage, st.session_state["journey_item"])
                if st.session_state.get("journey_item")
                else None
            ),
        )
    st.caption(
        "Gap P - E per item with its 95% range; red: clearly below expectations, blue: clearly "
        "above, grey: no clear gap; (small group): fewer customers than the minimum. Click a "
        "bar for the item's detail."
    )
    where = "" if survey.single_stage else f" at {stage_label(stage)}"
    components.show_chart(
        components.chart("ranked_gaps", part, legend=False),
        chart_text(f"Items ranked by gap{where}", part, ["label"]),
        key=f"journey_bars_{stage}",
        on_select=lambda stage=stage: _focus(stage),
    )
if "Human vs technical" in tabs:
    with tabs["Human vs technical"]:
        if view.element_test is not None:
            overall = view.element_test.row(0, named=True)
            components.sentences([element_sentence(overall)], numbered=False)
        st.caption(
            "Human element: how the customer was treated. Technical element: whether the "
            "product or result worked. Each customer's gaps are averaged over the element's "
            "items first; the comparison pairs each customer's two gaps."
        )
        components.show_chart(
            split_chart,
            chart_text(
                "Gap of the human and technical elements", view.elements, ["stage_label", "element"]
            ),
        )
        if view.element_test is not None:
            components.show_table(
                view.element_test,
                ["stage_label", "n", "gap_human", "gap_technical", "diff", "ci_low", "ci_high"]
                + ["p_adj", "significant", "flag"],
                key="journey_elements",
            )
with tabs["Snake plot"]:
    stage = _stage_choice("journey_snake_stage")
    st.caption(
        "Mean expectation (grey circles) and perception (orange diamonds) per item, grouped "
        "by dimension."
    )
    part = view.items.filter(pl.col("stage").cast(pl.String) == stage).sort("dimension")
    components.show_chart(
        components.chart("snake_plot", part),
        chart_text("Snake plot: expectation and perception per item", part, ["label"]),
        table=part,
        columns=["label", "dimension", "n", "mean_e", "mean_p", "gap"],
    )

components.csv_download(
    "Items table (CSV)", lambda: view.items, f"journey-{filters.wave}.csv", key="journey_csv"
)
