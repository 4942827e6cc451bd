"""Trends: gap, expectation and perception per wave; the change between two chosen waves."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import name_label
from gapmodel.render.charts import chart_text
from gapmodel.views.findings import change_sentence
from ui import cache, components
from ui.page import start_page
from ui.text import plain

filters, caption = start_page("Trends", need_respondents=False)
view = cache.trends(filters)
waves = view.by_wave["wave"].cast(pl.String).to_list()
components.page_header(
    "Trends",
    caption,
    view,
    components.chart("wave_trend", view.by_wave, waves),
    f"trends-{filters.wave}",
)
if len(waves) < 2:
    st.info("Trends need at least two waves. Upload another wave on the Data page.")
scores, gaps = st.columns(2, gap="large")
with scores:
    st.subheader("Expectation and perception")
    components.show_chart(
        components.chart("wave_scores", view.by_wave, waves),
        chart_text("Mean perception per wave", view.by_wave, ["wave"], "mean_p", "perception"),
        table=view.by_wave,
        columns=["wave", "n", "mean_e", "mean_p", "gap"],
    )
with gaps:
    st.subheader("Gap, with its 95% range")
    components.show_chart(
        components.chart("wave_gap", view.by_wave, waves),
        chart_text("Gap per wave", view.by_wave, ["wave"]),
    )

if view.change_dimensions is None:
    if filters.compare:
        st.info(
            f"Wave {plain(filters.compare)} or wave {plain(filters.wave)} has nobody who "
            "matches these filters, so there is nothing to compare. Widen the filters or "
            "compare other waves."
        )
    else:
        st.info("Choose a wave to compare with in the sidebar to see what changed.")
    st.stop()

st.subheader(f"What changed from {plain(filters.compare)} to {plain(filters.wave)}")
st.caption(
    "Change in gap = change in perceptions - change in expectations: did expectations rise, or "
    "did perceptions fall?"
)
chart, notes = st.columns([3, 2], gap="large")
with chart:
    components.show_chart(
        components.chart("change_decomposition", view.change_dimensions),
        chart_text(
            "Change in gap per dimension", view.change_dimensions, ["dimension"], "change", "change"
        ),
        table=view.change_dimensions,
        columns=["dimension", "n_from", "n_to", "change", "change_e", "change_p", "p_adj"],
    )
with notes:
    components.sentences(
        [
            change_sentence(r, name_label(r["dimension"]), filters.compare, filters.wave)
            for r in view.change_dimensions.iter_rows(named=True)
        ],
        numbered=False,
    )
with st.expander("Every item at every stage"):
    items = view.change_items.sort("p_adj", nulls_last=True)
    components.show_table(
        items,
        ["stage_label", "label", "n_from", "n_to", "gap_from", "gap_to", "change", "ci_low"]
        + ["ci_high", "change_e", "change_p", "driver", "p_adj", "significant", "flag"],
        key="trends_items",
    )
    components.csv_download(
        "Item changes (CSV)",
        lambda: items,
        f"changes-{filters.compare}-to-{filters.wave}.csv",
        key="trends_csv",
    )
