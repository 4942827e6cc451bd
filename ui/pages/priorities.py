"""Priorities: importance-performance quadrants and the fix-first list."""

import streamlit as st

from gapmodel.render import charts
from gapmodel.views.findings import pain_point_sentence
from ui import cache, components
from ui.page import start_page

TITLE = "Priorities"
filters, caption = start_page(TITLE)

view = cache.priorities(filters)
ipa = components.chart("ipa_chart", view.ipa)
components.page_header(TITLE, caption, view, ipa, f"priorities-{filters.wave}")
chart, ranking = st.columns([3, 2], gap="large")
with chart:
    st.subheader("Importance and performance")
    source = view.ipa["importance_source"][0] if view.ipa.height else "derived"
    st.caption(
        "Each dot is an item at a stage (groups under the minimum n are left out); lines mark "
        "the grand means; #1-#5 are the top of the fix-first list. "
        + (
            "Importance is the mean stated importance."
            if source == "stated"
            else "Importance is derived: the correlation of the item's perception with the "
            "respondent's overall perception."
        )
    )
    if charts.ipa_points(view.ipa).is_empty():
        st.info(
            "No item at a stage has enough respondents for importance-performance (the "
            "minimum n). Widen the filters in the sidebar."
        )
    else:
        components.show_chart(ipa)
with ranking:
    st.subheader("Fix first")
    st.caption(
        "Significant shortfalls ranked by score = shortfall x importance weight x share "
        "dissatisfied."
    )
    if view.fix_first.is_empty():
        st.success("No significant shortfall in this view.")
    else:
        components.sentences(
            [pain_point_sentence(r) for r in view.fix_first.head(5).iter_rows(named=True)]
        )
        components.show_table(
            view.fix_first,
            [
                "rank",
                "stage_label",
                "label",
                "gap",
                "share_dissatisfied",
                "importance",
                "score",
                "n",
            ],
            height=300,
            key="priorities_table",
        )
components.csv_download(
    "Fix-first list (CSV)", lambda: view.fix_first, f"fix-first-{filters.wave}.csv", key="fix_csv"
)
