"""What every chart shares: colours by significance, typography, sizes, tooltips and the frame a
chart reads. Conventions: a gap below zero (a shortfall) is red, above zero blue, centred on
zero; "significant" means adjusted p below alpha; suppressed groups are never drawn with
numbers."""

from __future__ import annotations

import altair as alt
import polars as pl

from gapmodel.core.vocabulary import name_label, relabelled, stage_label
from gapmodel.views.findings import p_value

# ColorBrewer RdBu ends (colour-blind safe as a pair), a grey dark enough for its labels.
SHORTFALL, NEUTRAL, EXCEEDS = "#b2182b", "#8c8c8c", "#2166ac"
TEXT, MUTED = "#31333f", "#4a4a4a"  # chart text: 12.5:1 and 8.9:1 on white
# The diverging scale of the gap, centred on 0: RdBu's five-class stops at -1, -1/2, 0, 1/2, 1
# of the extent, interpolated in RGB both by Vega and by :func:`diverging_colour`.
DIVERGING = ("#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac")
STATUS_COLORS = {
    "Clearly below expectations": SHORTFALL,
    "No clear gap": NEUTRAL,
    "Clearly above expectations": EXCEEDS,
}
FONT_SIZE = 13
ROW_HEIGHT = 24  # pixels per bar, so that labels never overlap
AXIS_ROOM = 60  # pixels for an axis with its title


def order_of(table: pl.DataFrame, column: str) -> list[str]:
    """The values of a column in the survey's order: an Enum's categories that occur, else the
    values in order of first appearance."""
    series = table[column]
    present = series.cast(pl.String).drop_nulls().unique(maintain_order=True).to_list()
    if isinstance(series.dtype, pl.Enum):
        wanted = set(present)
        return [c for c in series.dtype.categories.to_list() if c in wanted]
    return present


def stage_labels(table: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """``table`` with ``stage_label`` (added for a survey of one stage, whose tables leave it
    out), and the labels in the survey's stage order."""
    if "stage_label" not in table.columns:
        table = table.with_columns(stage_label=relabelled("stage", stage_label))
    return table, [stage_label(s) for s in order_of(table, "stage")]


def dimension_labels(table: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """``table`` with ``dimension_label`` (as pages write a dimension), and the labels in the
    survey's dimension order."""
    order = [name_label(d) for d in order_of(table, "dimension")]
    labelled = table.with_columns(dimension_label=relabelled("dimension", name_label))
    return labelled, order


def chart_frame(table: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The columns a chart needs, with enums as plain text (Vega-Lite sees strings), and the
    adjusted p as tooltips print it (``p_adj_text``: ``< 0.001``, never ``9e-257``)."""
    present = [c for c in columns if c in table.columns]
    frame = table.select(present).with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    if "p_adj" in frame.columns:
        frame = frame.with_columns(
            p_adj_text=pl.col("p_adj").map_elements(
                p_value, return_dtype=pl.String, skip_nulls=False
            )
        )
    return frame


def status() -> pl.Expr:
    """Status of a row as the verdict's first part: clearly below, no clear gap, or clearly
    above (``significant`` and the sign of the gap, as ``gapmodel.model.gaps.verdict``)."""
    return (
        pl.when(~pl.col("significant"))
        .then(pl.lit("No clear gap"))
        .when(pl.col("gap") < 0)
        .then(pl.lit("Clearly below expectations"))
        .otherwise(pl.lit("Clearly above expectations"))
    )


def status_color(legend: bool = True) -> alt.Color:
    return alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
        legend=alt.Legend(orient="top", labelFontSize=FONT_SIZE, labelLimit=320)
        if legend
        else None,
    )


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def luminance(colour: str) -> float:
    """WCAG 2.2 relative luminance of a ``#rrggbb`` colour."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21).

    Examples
    --------
    >>> round(contrast("#ffffff", "#000000"), 1), round(contrast("#31333f", "#ffffff"), 1)
    (21.0, 12.5)
    """
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def diverging_colour(value: float, extent: float) -> str:
    """The fill :data:`DIVERGING` gives ``value`` on a scale from ``-extent`` to ``extent``
    (clamped), as Vega draws it with ``interpolate="rgb"``."""
    position = (min(max(value / extent, -1.0), 1.0) + 1) * 2  # 0 .. 4 over the five stops
    low = min(int(position), 3)
    a, b, t = _rgb(DIVERGING[low]), _rgb(DIVERGING[low + 1]), position - low
    mixed = [round((x + (y - x) * t) * 255) for x, y in zip(a, b, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (at least 4.5:1 on any colour)."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#ffffff") else "#ffffff"


def gap_tooltip(extra: list[alt.Tooltip] | None = None) -> list[alt.Tooltip]:
    return [
        *(extra or []),
        alt.Tooltip("gap:Q", title="Gap (P - E)", format="+.2f"),
        alt.Tooltip("ci_low:Q", title="95% CI from", format="+.2f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format="+.2f"),
        alt.Tooltip("mean_e:Q", title="Expected (E)", format=".2f"),
        alt.Tooltip("mean_p:Q", title="Perceived (P)", format=".2f"),
        alt.Tooltip("p_adj_text:N", title="Adjusted p"),
        alt.Tooltip("n:Q", title="Respondents", format=","),
        alt.Tooltip("flag:N", title="Flag"),
    ]


# Shared typography: readable axis, legend and title sizes.
CONFIG = alt.Config(
    axis=alt.AxisConfig(
        labelFontSize=FONT_SIZE,
        titleFontSize=FONT_SIZE,
        labelLimit=260,
        titlePadding=8,
        labelColor=TEXT,
        titleColor=TEXT,
    ),
    legend=alt.LegendConfig(
        labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelColor=TEXT, titleColor=TEXT
    ),
    title=alt.TitleConfig(fontSize=FONT_SIZE + 2, anchor="start", color=TEXT),
    view=alt.ViewConfig(stroke=None),
)


def finish(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart with the shared typography (:data:`CONFIG`)."""
    finished = chart.copy(deep=False)
    finished.config = CONFIG
    return finished


def not_enough_data(message: str) -> alt.Chart:
    """A chart that says, in place of the chart, why there is nothing to draw."""
    return (
        alt.Chart(pl.DataFrame({"message": [message]}))
        .mark_text(fontSize=FONT_SIZE + 1, color=MUTED)
        .encode(text="message:N")
        .properties(width="container", height=80)
    )
