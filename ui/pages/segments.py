"""Segments: gaps by segment, channel or region, with the test across them."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import ATTRIBUTE_TITLES
from gapmodel.views.findings import across_sentence, segment_sentence
from ui import cache, components
from ui.page import start_page

TITLE = "Segments"
filters, caption = start_page(TITLE)

header = st.container()  # filled once the view is known
attribute = (
    st.segmented_control(
        "Compare by",
        list(ATTRIBUTE_TITLES),
        default="segment",
        format_func=ATTRIBUTE_TITLES.get,
        key="segments_attribute",
    )
    or "segment"
)
view = cache.segments(filters, attribute)
dots = components.chart("segment_dots", view.by_dimension, attribute)
with header:
    components.page_header(TITLE, caption, view, dots, f"{attribute}-{filters.wave}")
title = ATTRIBUTE_TITLES[attribute]
if getattr(filters, attribute) is not None:
    st.caption(
        f"The {title} filter is not applied on this page: every {title.lower()} is compared."
    )
if view.overall.is_empty():
    st.info(f"This wave has no {title.lower()} values. Add a {attribute} column to uploads.")
    st.stop()

across = across_sentence(view.across_overall.row(0, named=True), attribute)
if across is None:
    st.info(f"Too few {title.lower()} groups with enough respondents to compare.")
else:
    components.sentences([across], numbered=False)
worse = view.overall.filter(pl.col("worse"))
if worse.height:
    with st.container(border=True):
        st.markdown(f"**{title}s significantly worse than the rest**")
        components.sentences(
            [segment_sentence(r, attribute) for r in worse.iter_rows(named=True)], numbered=False
        )

chart, table = st.columns([3, 2], gap="large")
with chart:
    st.caption(
        f"Gap per dimension for each {title.lower()} (95% CI); filled diamonds are "
        "significantly worse than everyone else."
    )
    components.show_chart(dots)
with table:
    st.caption(f"Each {title.lower()} against the rest, over all items (Welch's t-test).")
    components.show_table(
        view.overall,
        [attribute, "n", "gap", "gap_rest", "diff", "p_adj", "worse"],
        key="segments_overall",
    )
    st.caption("Across all groups, per dimension (Welch's ANOVA).")
    components.show_table(
        view.across_dimensions,
        ["dimension", "f", "df2", "p_adj", "significant"],
        key="segments_across",
    )
components.csv_download(
    f"{title} x dimension table (CSV)",
    lambda: view.by_dimension,
    f"{attribute}-{filters.wave}.csv",
    key="segments_csv",
)
