"""Altair chart builders: a labelled table in, a chart out (pure, no Streamlit).

The dashboard pages and the exports draw the same specifications; every builder is reachable
by name here (``charts.journey_map``), which is how the dashboard's chart cache calls them.
"""

from gapmodel.render.charts.gaps import (
    element_split,
    journey_map,
    ranked_gaps,
    segment_dots,
    segment_map,
    snake_plot,
)
from gapmodel.render.charts.priorities import QUADRANT_COLORS, ipa_chart, ipa_points
from gapmodel.render.charts.style import CONFIG, STATUS_COLORS, finish, not_enough_data
from gapmodel.render.charts.text import chart_text
from gapmodel.render.charts.waves import (
    change_decomposition,
    wave_gap,
    wave_scores,
    wave_trend,
)

__all__ = [
    "CONFIG",
    "QUADRANT_COLORS",
    "STATUS_COLORS",
    "change_decomposition",
    "chart_text",
    "element_split",
    "finish",
    "ipa_chart",
    "ipa_points",
    "journey_map",
    "not_enough_data",
    "ranked_gaps",
    "segment_dots",
    "segment_map",
    "snake_plot",
    "wave_gap",
    "wave_scores",
    "wave_trend",
]
