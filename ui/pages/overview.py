"""Overview: the manager's first screen — headline figures, the journey map, top pain points."""

import streamlit as st

from gapmodel.views.findings import change_sentence, pain_point_sentence, points
from ui import cache, components
from ui.navigation import go_to
from ui.page import start_page
from ui.report import report_dialog
from ui.text import plain

TITLE = "Where service falls short"
filters, caption = start_page(TITLE)

view = cache.overview(filters)
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


def _drill_into_stage() -> None:
    """A click on a journey-map cell opens the Journey page at that stage."""
    picked = st.session_state["overview_map"].selection.get("cell") or []
    if picked:
        st.session_state["stage"] = [picked[0]["stage"]]
        go_to("journey")


headline = st.columns(5, border=True)
delta, delta_text = None, None
if change is not None and change["flag"] != "suppressed":
    delta = f"{change['change']:+.2f}"
    delta_text = f"since {plain(filters.compare)}" + (
        "" if change["significant"] else " (not significant)"
    )
headline[0].metric(
    "Overall gap (P - E)",
    points(overall["gap"], 2),
    delta=delta,
    delta_description=delta_text,
    delta_color="normal" if change is not None and change["significant"] else "off",
    help=f"95% CI {overall['ci_low']:+.2f} to {overall['ci_high']:+.2f}, "
    f"n = {overall['n']:,} respondents. A negative gap means perceptions fall short of "
    "expectations.",
)
weighted_label = "Weighted gap" if weighted["weighting"] == "allocations" else "Unweighted gap"
headline[1].metric(
    weighted_label,
    points(weighted["gap"], 2) if weighted["gap"] is not None else "–",
    help="Each respondent's dimension gaps weighted by the 100 importance points they "
    "allocated; unweighted when the wave has no allocations.",
)
for column, (label, field, hint) in zip(
    headline[2:],
    [
        ("Dissatisfied", "share_dissatisfied", "Respondents whose perception is below expectation"),
        ("Satisfied", "share_satisfied", "Respondents whose perception equals expectation"),
        ("Delighted", "share_delighted", "Respondents whose perception exceeds expectation"),
    ],
    strict=True,
):
    column.metric(label, f"{overall[field]:.0%}", help=hint)

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Journey map")
    if cache.survey().single_stage:
        st.caption("Gap by dimension · * significant · click a cell to see its items")
    else:
        st.caption("Gap by stage and dimension · * significant · click a cell to open that stage")
    components.show_chart(journey_map, key="overview_map", on_select=_drill_into_stage)
    if change is not None:
        components.sentences(
            [change_sentence(change, "The overall gap", filters.compare, filters.wave)],
            numbered=False,
        )
with right:
    st.subheader("Fix first")
    if view.pain_points.is_empty():
        st.success("No significant shortfall in this view.")
    else:
        components.sentences(
            [pain_point_sentence(r) for r in view.pain_points.iter_rows(named=True)]
        )
