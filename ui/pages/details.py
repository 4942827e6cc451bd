"""Dimensions & items: the full gap table, Cronbach's alpha and the zone of tolerance."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import PADJUST_NAMES
from gapmodel.views import detail_groupings
from ui import cache, components
from ui.page import start_page

TITLE = "Dimensions & items"
filters, caption = start_page(TITLE)

header = st.container()  # filled once the view is known
groupings = list(detail_groupings(cache.survey()))
grouping = (
    st.segmented_control(
        "Group by",
        groupings,
        default=groupings[0],
        key="details_grouping",
        bind="query-params",
    )
    or groupings[0]
)
view = cache.details(filters, grouping)
with header:
    components.page_header(TITLE, caption, view, None, f"details-{filters.wave}")
table = view.gaps.sort("gap", nulls_last=True)
st.caption(
    f"{table.height} groups, worst gap first. The analyst's columns: t-test (t, df, p), p "
    f"adjusted within this table ({PADJUST_NAMES[filters.padjust]}), Wilcoxon (W), effect size "
    "(dz); the Glossary page explains each. Small groups are marked; groups too small show no "
    "numbers."
)
components.show_table(table, height=420, key="details_gaps")
components.csv_download(
    "Gap table (CSV)", lambda: table, f"gaps-{filters.wave}.csv", key="details_csv"
)

reliability, zone = st.columns(2, gap="large")
with reliability:
    st.subheader(
        "Do the items of a dimension agree?",
        help="Cronbach's alpha per dimension and stage, for expectations (E) and perceptions "
        "(P), over the customers who answered every item of the dimension. 0.7 or more is "
        "usually taken as acceptable.",
    )
    low = view.reliability.filter(pl.col("low_alpha"))
    if low.height:
        st.warning(
            f"{low.height} dimension(s) at a stage have an alpha below 0.7: their items may not "
            "measure one thing, so read their dimension gap with care (see Low alpha below)."
        )
    components.show_table(
        view.reliability,
        ["stage_label", "dimension", "items", "n_e", "alpha_e", "alpha_p", "low_alpha"],
        key="details_alpha",
    )
with zone:
    st.subheader("Zone of tolerance")
    if view.zone_items is None:
        st.info(
            "This wave has no adequate (minimum) scores. Add columns named "
            "<stage>.<item>.A to an upload to see the zone of tolerance."
        )
    else:
        level = st.segmented_control(
            "Level",
            ["Dimension", "Item"],
            default="Dimension",
            key="details_zone_level",
            bind="query-params",
        )
        shown = view.zone_items if level == "Item" else view.zone_dimensions
        st.caption(
            "MSA = P - adequate, MSS = P - desired; shares of respondents below, inside and "
            "above the zone."
        )
        components.show_table(
            shown,
            ["stage_label", "dimension", "label", "n", "mean_a", "mean_e", "mean_p", "msa", "mss"]
            + ["share_below", "share_inside", "share_above", "flag"],
            key="details_zone",
        )
