"""The priority chart: importance against the gap per item, in the quadrants of the priority
rule (``gapmodel.model.priorities.priority_rule``) that also orders the fix-first list."""

from __future__ import annotations

import altair as alt
import polars as pl

from gapmodel.core.vocabulary import QUADRANTS
from gapmodel.render.charts.style import (
    EXCEEDS,
    FONT_SIZE,
    MUTED,
    NEUTRAL,
    SHORTFALL,
    TEXT,
    chart_frame,
    not_enough_data,
)

# Colour and shape both tell the quadrants apart (red and orange merge for some readers).
QUADRANT_COLORS = {
    QUADRANTS[True, False]: SHORTFALL,
    QUADRANTS[False, False]: "#e08214",
    QUADRANTS[True, True]: EXCEEDS,
    QUADRANTS[False, True]: NEUTRAL,
}
QUADRANT_SHAPES = {
    QUADRANTS[True, False]: "square",
    QUADRANTS[False, False]: "triangle-down",
    QUADRANTS[True, True]: "circle",
    QUADRANTS[False, True]: "diamond",
}


def ipa_points(table: pl.DataFrame) -> pl.DataFrame:
    """The rows :func:`ipa_chart` plots: an importance, and enough respondents (flag ``ok``)."""
    return table.filter(pl.col("importance").is_not_null(), pl.col("flag") == "ok")


def ipa_chart(table: pl.DataFrame, label: str = "label") -> alt.Chart:
    """Importance against the gap per item at each stage, each point in its quadrant.

    Parameters
    ----------
    table : pl.DataFrame
        ``gapmodel.views.priorities(...).ipa``; rows with a ``rank`` (the fix-first rank) are
        tagged ``#rank`` so the chart reads together with the fix-first list. Rows flagged
        ``small_n`` or ``suppressed`` are left out (their position is too uncertain).

    Notes
    -----
    The horizontal line is the mean importance (important above it); the vertical line is a
    gap of zero. An item falls short when it is clearly below expectations, which a point just
    left of zero may not be: its colour and shape give its quadrant.
    """
    frame = chart_frame(
        ipa_points(table),
        [label, "stage_label", "dimension", "performance", "importance", "importance_source"]
        + ["gap", "ci_low", "ci_high", "n", "quadrant", "rank"],
    )
    named = (
        pl.col("stage_label") + ": " + pl.col(label)
        if "stage_label" in frame.columns
        else pl.col(label)
    )
    frame = frame.with_columns(name=named)
    if frame.is_empty():
        return not_enough_data("No item at a stage has enough respondents for this chart.")
    mean_i = float(frame["importance"].mean())
    g_lo, g_hi = min(float(frame["gap"].min()), 0.0), max(float(frame["gap"].max()), 0.0)
    i_lo, i_hi = float(frame["importance"].min()), float(frame["importance"].max())
    pad_g, pad_i = (g_hi - g_lo) * 0.12 or 0.1, (i_hi - i_lo) * 0.12 or 0.05
    x_scale = alt.Scale(domain=[g_lo - pad_g, g_hi + pad_g], nice=False, zero=False)
    y_scale = alt.Scale(domain=[i_lo - pad_i, i_hi + pad_i], nice=False, zero=False)
    x, y = alt.X("gap:Q", scale=x_scale), alt.Y("importance:Q", scale=y_scale)
    source = frame["importance_source"][0] if frame.height else "derived"
    y_title = "Importance (stated)" if source == "stated" else "Importance (derived from ratings)"
    present = [q for q in QUADRANT_COLORS if q in set(frame["quadrant"].drop_nulls())]
    points = (
        alt.Chart(frame)
        .mark_point(size=90, filled=True, opacity=0.9)
        .encode(
            x=alt.X("gap:Q", title="Gap (P - E)", scale=x_scale),
            y=alt.Y("importance:Q", title=y_title, scale=y_scale),
            color=alt.Color(
                "quadrant:N",
                title=None,
                scale=alt.Scale(domain=present, range=[QUADRANT_COLORS[q] for q in present]),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=0, symbolSize=120),
            ),
            shape=alt.Shape(
                "quadrant:N",
                title=None,
                scale=alt.Scale(domain=present, range=[QUADRANT_SHAPES[q] for q in present]),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=""),
                "dimension:N",
                alt.Tooltip("gap:Q", title="Gap (P - E)", format="+.2f"),
                alt.Tooltip("importance:Q", format=".2f"),
                alt.Tooltip("performance:Q", title="Perceived (P)", format=".2f"),
                alt.Tooltip("n:Q", title="Respondents", format=","),
                "quadrant:N",
            ],
        )
    )
    ranked = frame.filter(pl.col("rank").is_not_null()) if "rank" in frame.columns else frame[:0]
    names = (
        alt.Chart(ranked.with_columns(tag="#" + pl.col("rank").cast(pl.String)))
        .mark_text(align="left", dx=8, fontSize=12, fontWeight="bold", color=TEXT)
        .encode(x=x, y=y, text="tag:N")
    )
    rules = alt.Chart(pl.DataFrame({"gap": [0.0], "importance": [mean_i]}))
    dash = {"strokeDash": [4, 4], "color": MUTED}
    lines = rules.mark_rule(**dash).encode(x=x) + rules.mark_rule(**dash).encode(y=y)
    labels = _corner_labels(x, y, (g_lo - pad_g, g_hi + pad_g), (i_lo - pad_i, i_hi + pad_i))
    return alt.layer(lines, points, names, *labels).properties(width="container", height=420)


def _corner_labels(
    x: alt.X, y: alt.Y, x_range: tuple[float, float], y_range: tuple[float, float]
) -> list[alt.Chart]:
    """The quadrant names in the corners of the plot area."""
    (left, right), (bottom, top) = x_range, y_range
    corners = pl.DataFrame(
        {
            "gap": [left, right, left, right],
            "importance": [top, top, bottom, bottom],
            "text": [
                QUADRANTS[True, False],
                QUADRANTS[True, True],
                QUADRANTS[False, False],
                QUADRANTS[False, True],
            ],
            "align": ["left", "right", "left", "right"],
            "baseline": ["top", "top", "bottom", "bottom"],
        }
    )
    return [
        alt.Chart(corners.filter(pl.col("align") == a, pl.col("baseline") == b))
        .mark_text(
            align=a,
            baseline=b,
            dx=6 if a == "left" else -6,
            dy=6 if b == "top" else -6,
            fontSize=FONT_SIZE,
            fontWeight="bold",
            color=MUTED,
        )
        .encode(x=x, y=y, text="text:N")
        for a, b in (("left", "top"), ("right", "top"), ("left", "bottom"), ("right", "bottom"))
    ]
