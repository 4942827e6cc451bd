"""The importance-performance chart (Martilla & James 1977) and the rule for its points."""

from __future__ import annotations

import altair as alt
import polars as pl

from gapmodel.core.vocabulary import QUADRANTS
from gapmodel.render.charts.style import (
    EXCEEDS,
    FONT_SIZE,
    NEUTRAL,
    SHORTFALL,
    chart_frame,
    not_enough_data,
)

QUADRANT_COLORS = {
    QUADRANTS[True, False]: SHORTFALL,
    QUADRANTS[True, True]: "#27ae60",
    QUADRANTS[False, False]: NEUTRAL,
    QUADRANTS[False, True]: EXCEEDS,
}


def ipa_points(table: pl.DataFrame) -> pl.DataFrame:
    """The rows :func:`ipa_chart` plots: an importance, and enough respondents (flag ``ok``)."""
    return table.filter(pl.col("importance").is_not_null(), pl.col("flag") == "ok")


def ipa_chart(table: pl.DataFrame, label: str = "label") -> alt.Chart:
    """Importance against performance per item at each stage, quadrants split at the grand
    means and labelled in their corners.

    Parameters
    ----------
    table : pl.DataFrame
        ``gapmodel.views.priorities(...).ipa``; rows with a ``rank`` (the fix-first rank) are
        tagged ``#rank`` so the chart reads together with the fix-first list. Rows flagged
        ``small_n`` or ``suppressed`` are left out (their position is too uncertain).
    """
    frame = chart_frame(
        ipa_points(table),
        [label, "stage_label", "dimension", "performance", "importance", "importance_source"]
        + ["gap", "n", "quadrant", "rank"],
    )
    named = (
        pl.col("stage_label") + ": " + pl.col(label)
        if "stage_label" in frame.columns
        else pl.col(label)
    )
    frame = frame.with_columns(name=named)
    if frame.is_empty():
        return not_enough_data("No item at a stage has enough respondents for this chart.")
    mean_p, mean_i = float(frame["performance"].mean()), float(frame["importance"].mean())
    p_lo, p_hi = float(frame["performance"].min()), float(frame["performance"].max())
    i_lo, i_hi = float(frame["importance"].min()), float(frame["importance"].max())
    pad_p, pad_i = (p_hi - p_lo) * 0.12 or 0.1, (i_hi - i_lo) * 0.12 or 0.05
    x_scale = alt.Scale(domain=[p_lo - pad_p, p_hi + pad_p], nice=False, zero=False)
    y_scale = alt.Scale(domain=[i_lo - pad_i, i_hi + pad_i], nice=False, zero=False)
    x, y = alt.X("performance:Q", scale=x_scale), alt.Y("importance:Q", scale=y_scale)
    source = frame["importance_source"][0] if frame.height else "derived"
    y_title = (
        "Importance (stated)" if source == "stated" else "Importance (derived: r with overall P)"
    )
    points = (
        alt.Chart(frame)
        .mark_circle(size=80, opacity=0.85)
        .encode(
            x=alt.X("performance:Q", title="Performance (mean P)", scale=x_scale),
            y=alt.Y("importance:Q", title=y_title, scale=y_scale),
            color=alt.Color(
                "quadrant:N",
                title=None,
                scale=alt.Scale(domain=list(QUADRANT_COLORS), range=list(QUADRANT_COLORS.values())),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=""),
                "dimension:N",
                alt.Tooltip("performance:Q", format=".2f"),
                alt.Tooltip("importance:Q", format=".2f"),
                alt.Tooltip("gap:Q", title="Gap (P - E)", format="+.2f"),
                alt.Tooltip("n:Q", title="Respondents", format=","),
                "quadrant:N",
            ],
        )
    )
    ranked = frame.filter(pl.col("rank").is_not_null()) if "rank" in frame.columns else frame[:0]
    names = (
        alt.Chart(ranked.with_columns(tag="#" + pl.col("rank").cast(pl.String)))
        .mark_text(align="left", dx=8, fontSize=12, fontWeight="bold", color=SHORTFALL)
        .encode(x=x, y=y, text="tag:N")
    )
    rules = alt.Chart(pl.DataFrame({"performance": [mean_p], "importance": [mean_i]}))
    dash = {"strokeDash": [4, 4], "color": "#555555"}
    lines = rules.mark_rule(**dash).encode(x=x) + rules.mark_rule(**dash).encode(y=y)
    labels = _corner_labels(x, y, (p_lo - pad_p, p_hi + pad_p), (i_lo - pad_i, i_hi + pad_i))
    return alt.layer(lines, points, names, *labels).properties(width="container", height=460)


def _corner_labels(
    x: alt.X, y: alt.Y, x_range: tuple[float, float], y_range: tuple[float, float]
) -> list[alt.Chart]:
    """The quadrant names in the corners of the plot area."""
    (left, right), (bottom, top) = x_range, y_range
    corners = pl.DataFrame(
        {
            "performance": [left, right, left, right],
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
            color="#444444",
        )
        .encode(x=x, y=y, text="text:N")
        for a, b in (("left", "top"), ("right", "top"), ("left", "bottom"), ("right", "bottom"))
    ]
