"""Segments: gaps by any respondent attribute (segment, channel, age band, ...), with the test
across its groups."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import name_label, token
from gapmodel.render.charts import chart_text
from gapmodel.views.findings import across_sentence, groups_of, segment_sentence
from ui import cache, components
from ui.page import start_page
from ui.text import plain

TITLE = "Segments"
filters, caption = start_page(TITLE)

header = st.container()  # filled once the view is known
attributes = cache.survey().attributes
if not attributes:
    with header:
        components.page_header(TITLE, caption)
    st.info(
        "This survey has no respondent attribute to compare groups by. Uploads with a column "
        "such as segment, channel or age band show their groups here."
    )
    st.stop()
if len(attributes) <= 6:  # a control's labels render markdown: the file's names are escaped
    attribute = st.segmented_control(
        "Compare by",
        attributes,
        default=attributes[0],
        format_func=lambda a: plain(name_label(a)),
        key="segments_attribute",
        bind="query-params",
    )
else:
    attribute = st.selectbox(
        "Compare by",
        attributes,
        format_func=name_label,
        key="segments_attribute",
        bind="query-params",
    )
attribute = attribute or attributes[0]
view = cache.segments(filters, attribute)
dots = components.chart("segment_dots", view.by_dimension, attribute)
with header:
    components.page_header(TITLE, caption, view, dots, f"{token(attribute)}-{filters.wave}")
title, groups = name_label(attribute), groups_of(attribute)
if attribute in filters.where:
    st.caption(
        f"The {plain(title)} filter is not applied on this page: all {plain(groups)} are compared."
    )
if view.overall.is_empty():
    st.info(f"This wave has no values of {plain(title)}.")
    st.stop()

across = across_sentence(view.across_overall.row(0, named=True), attribute)
if across is None:
    st.info(f"Too few {plain(groups)} with enough respondents to compare.")
else:
    components.sentences([across], numbered=False)
worse = view.overall.filter(pl.col("worse"))
if worse.height:
    with st.container(border=True):
        st.markdown(f"**{plain(name_label(groups))} clearly worse than the rest**")
        components.sentences(
            [segment_sentence(r, attribute) for r in worse.iter_rows(named=True)], numbered=False
        )

st.subheader(
    "Where in the journey each group falls short",
    help="The gap of each group at each stage. * a clear gap (after allowing for the many "
    "cells); † a small group; grey: too few customers to show.",
)
stage_map = components.chart("segment_map", view.by_stage, attribute)
components.show_chart(
    stage_map,
    chart_text(f"Gap by {title} and stage", view.by_stage, [attribute, "stage_label"]),
    table=view.by_stage,
    columns=[attribute, "stage_label", "n", "gap", "verdict", "flag"],
)

chart, table = st.columns([3, 2], gap="large")
with chart:
    st.subheader("By dimension")
    st.caption(
        f"Gap per dimension for each of the {plain(groups)} (95% range); filled diamonds are "
        "clearly worse than everyone else; a dashed range is a small group."
    )
    components.show_chart(
        dots,
        chart_text(f"Gap per dimension by {title}", view.by_dimension, [attribute, "dimension"]),
    )
with table:
    st.subheader("Each group against the rest")
    st.caption(f"Each of the {plain(groups)} against everyone else, over all items.")
    components.show_table(
        view.overall,
        [attribute, "n", "gap", "gap_rest", "diff", "p_adj", "worse", "flag"],
        key="segments_overall",
    )
    st.caption(f"Does the gap differ across the {plain(groups)}? Per dimension.")
    components.show_table(
        view.across_dimensions,
        ["dimension", "f", "p_adj", "significant"],
        key="segments_across",
    )
components.csv_download(
    f"{title} x dimension table (CSV)",
    lambda: view.by_dimension,
    f"{token(attribute)}-{filters.wave}.csv",
    key="segments_csv",
)
