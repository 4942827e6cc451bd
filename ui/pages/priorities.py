"""Priorities: importance-performance quadrants and the fix-first list."""

import streamlit as st

from gapmodel.render import charts
from gapmodel.render.charts import chart_text
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
    st.subheader(
        "Importance and gap",
        help="One rule orders both the chart and the list: an item is important when its "
        "importance is at least the average of the items, and falls short when it is clearly "
        "below expectations. Important and falling short: Concentrate here; falling short "
        "only: Low priority; important only: Keep up the good work; neither: Possible "
        "overkill. This differs from the classic importance-performance grid (split at the "
        "mean perception) so that the chart and the fix-first list never disagree.",
    )
    source = view.ipa["importance_source"][0] if view.ipa.height else "derived"
    st.caption(
        "Each mark is an item at a stage (small groups are left out); colour and shape give "
        "its quadrant; #1-#5 are the top of the fix-first list. "
        + (
            "Importance is the mean stated importance."
            if source == "stated"
            else "Importance is derived: how closely the item's rating follows the customer's "
            "overall rating."
        )
    )
    if charts.ipa_points(view.ipa).is_empty():
        st.info(
            "No item at a stage has enough respondents for this chart (the minimum n). Widen "
            "the filters in the sidebar."
        )
    else:
        components.show_chart(
            ipa,
            chart_text(
                "Importance against gap per item at each stage",
                charts.ipa_points(view.ipa),
                ["stage_label", "label"],
            ),
            table=charts.ipa_points(view.ipa),
            columns=["stage_label", "label", "importance", "gap", "quadrant", "rank"],
        )
with ranking:
    st.subheader(
        "Fix first",
        help="The items clearly below expectations: Concentrate here first, then Low "
        "priority; within each, by score = shortfall x importance weight x share of answers "
        "below expectations.",
    )
    if view.fix_first.is_empty():
        st.success("No item is clearly below expectations in this view.")
    else:
        components.sentences(
            [pain_point_sentence(r) for r in view.fix_first.head(5).iter_rows(named=True)]
        )
        components.show_table(
            view.fix_first,
            ["rank", "stage_label", "label", "gap", "answers_below", "quadrant", "score", "n"],
            height=300,
            key="priorities_table",
        )
components.csv_download(
    "Fix-first list (CSV)", lambda: view.fix_first, f"fix-first-{filters.wave}.csv", key="fix_csv"
)
