"""Overview: the manager's first screen — headline figures, the journey map, top pain points."""

import polars as pl
import streamlit as st

from gapmodel.core.vocabulary import name_label, stage_label
from gapmodel.render.charts import chart_text
from gapmodel.views.findings import change_sentence, pain_point_sentence, percent, points
from ui import cache, components
from ui.navigation import go_to
from ui.page import start_page
from ui.report import report_dialog
from ui.text import plain

TITLE = "Where service falls short"
# How a verdict colours the headline card (blue and orange read apart for colour-blind eyes).
VERDICT_COLOURS = {"below": "orange", "above": "blue"}
SHORT_VERDICTS = {
    "below": "clearly below",
    "probably_below": "probably below",
    "meets": "meets expectations",
    "unclear": "no clear gap",
    "probably_above": "probably above",
    "above": "clearly above",
}
filters, caption = start_page(TITLE)

view = cache.overview(filters)
survey = cache.survey()
journey_map = components.chart("journey_map", view.journey)
components.page_header(
    TITLE,
    caption,
    view,
    journey_map,
    f"overview-{filters.wave}",
    report=lambda: report_dialog(filters),
)
overall = view.overall.row(0, named=True)
weighted = view.weighted.row(0, named=True)
change = view.change.row(0, named=True) if view.change is not None else None
band = f"{overall['tolerance']:g}"


def _open_stage(stage: str | None) -> None:
    if stage:
        st.session_state["stage"] = [stage]
        go_to("journey")


def _drill_into_stage() -> None:
    """A click on a journey-map cell opens the Journey page at that stage."""
    picked = st.session_state["overview_map"].selection.get("cell") or []
    if picked:
        _open_stage(picked[0]["stage"])


def _card(column, label: str, value: str, delta: str, help: str, colour: str = "gray") -> None:
    """A headline card: the figure, its verdict in words under it (no arrow), the method."""
    column.metric(label, value, delta=delta, delta_color=colour, delta_arrow="off", help=help)


headline = st.columns(4, border=True)
verdict = overall["verdict"] or "unclear"
weighted_text = (
    f" Weighted by the importance points customers gave: {points(weighted['gap'], 2)}."
    if weighted["weighting"] == "allocations" and weighted["gap"] is not None
    else ""
)
_card(
    headline[0],
    "Overall gap",
    points(overall["gap"], 2),
    SHORT_VERDICTS[verdict] + (" · small group" if overall["flag"] == "small_n" else ""),
    f"Perceived minus expected, averaged over {overall['n']:,} customers (each "
    f"customer's own mean first); below 0 means service falls short. 95% range "
    f"{overall['ci_low']:+.2f} to {overall['ci_high']:+.2f}.{weighted_text}",
    VERDICT_COLOURS.get(verdict, "gray"),
)
_card(
    headline[1],
    "Customers below",
    percent(overall["people_below"]),
    f"within ±{band}: {percent(overall['people_within'])}",
    f"Share of customers whose average gap is more than {band} points below what they "
    f"expected. {percent(overall['people_within'])} are within {band} points (they about get "
    f"what they expect) and {percent(overall['people_above'])} are more than {band} above.",
)
_card(
    headline[2],
    "Answers below",
    percent(overall["answers_below"]),
    f"meeting exactly: {percent(overall['answers_equal'])}",
    "Share of all answered questions where the perceived score is below the expected "
    f"one. {percent(overall['answers_equal'])} meet expectations exactly and "
    f"{percent(overall['answers_above'])} exceed them.",
)
if change is not None and change["flag"] != "suppressed":
    worse = change["change"] < 0
    _card(
        headline[3],
        f"Change since {plain(filters.compare)}",
        f"{change['change']:+.2f}",
        ("clearly worse" if worse else "clearly better")
        if change["significant"]
        else "no clear change",
        plain(change_sentence(change, "The overall gap", filters.compare, filters.wave)),
        ("orange" if worse else "blue") if change["significant"] else "gray",
    )
elif change is not None:  # a comparison, but too few customers in one of the waves
    _card(
        headline[3],
        f"Change since {plain(filters.compare)}",
        "–",
        "too few to compare",
        "One of the two waves has too few customers in this view to measure a change.",
    )
else:
    _card(
        headline[3],
        "Change",
        "–",
        "no comparison wave",
        "Choose a wave to compare with in the sidebar.",
    )

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(
        "Journey map",
        help="Each cell is the gap of a dimension at a stage. * a clear gap (after allowing "
        "for the many cells); † a small group; grey: too few customers to show.",
    )
    single = survey.single_stage
    st.caption(
        "Gap by dimension · red: below expectations, blue: above"
        if single
        else "Gap by stage and dimension · red: below expectations, blue: above · click a cell "
        "or choose a stage below to open it"
    )
    components.show_chart(
        journey_map,
        chart_text(
            "Journey map: gap by stage and dimension", view.journey, ["stage_label", "dimension"]
        ),
        key="overview_map",
        on_select=_drill_into_stage,
        table=view.journey,
        columns=["stage_label", "dimension", "n", "gap", "verdict", "flag"],
    )
    if not single:
        stages = view.journey["stage"].cast(pl.String).unique(maintain_order=True).to_list()
        st.selectbox(
            "Open a stage on the Journey page",
            stages,
            index=None,
            format_func=stage_label,
            placeholder="Choose a stage",
            key="overview_open_stage",
            on_change=lambda: _open_stage(st.session_state.get("overview_open_stage")),
        )
with right:
    st.subheader(
        "Fix first",
        help="Items clearly below expectations; the important ones (Priorities page) first, "
        "each by how far below, how important and how many answers fall short.",
    )
    if view.pain_points.is_empty():
        st.success("No item is clearly below expectations in this view.")
    else:
        components.sentences(
            [pain_point_sentence(r) for r in view.pain_points.iter_rows(named=True)]
        )
    if view.targets_problem:
        st.warning(plain(view.targets_problem))
    targets = view.targets.filter(pl.col("status").is_not_null())
    if targets.height:
        st.subheader(
            "Targets",
            help="Each dimension's gap against its target (GAPMODEL_TARGET_GAP, or a targets "
            "file). On target: at or above it. Near: below it, but within the 95% range. "
            "Below: the whole range is below the target.",
        )
        marks = components.STATUS_WORDS
        st.markdown(
            "  \n".join(
                f"{marks[r['status']]} · {plain(r.get('label') or name_label(r['dimension']))} "
                f"({r['gap']:+.2f} against {r['target']:+.2f})"
                for r in targets.iter_rows(named=True)
            )
        )
