"""Altair chart builders: a labelled table in, a chart out (pure, no Streamlit).

The dashboard pages and the exports draw the same specifications. Conventions shared by every
chart: a gap below zero (a shortfall) is red, above zero blue, centred on zero; "significant"
means adjusted p below alpha and is marked with a filled symbol or an asterisk; suppressed
groups are never drawn with numbers.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from gapmodel import settings
from gapmodel.instrument import DIMENSIONS, STAGE_LABELS, STAGES

SHORTFALL, NEUTRAL, EXCEEDS = "#c0392b", "#9e9e9e", "#2e6da4"
STATUS_COLORS = {
    "Significantly below expectation": SHORTFALL,
    "No significant gap": NEUTRAL,
    "Significantly above expectation": EXCEEDS,
}
STAGE_ORDER = [STAGE_LABELS[s] for s in STAGES]
FONT_SIZE = 13
ROW_HEIGHT = 24  # pixels per bar, so that labels never overlap
AXIS_ROOM = 60  # pixels for an axis with its title


def _frame(table: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The columns a chart needs, with enums as plain text (Vega-Lite sees strings)."""
    present = [c for c in columns if c in table.columns]
    return table.select(present).with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))


def _status() -> pl.Expr:
    """Significance status of a row: shortfall, no significant gap, or exceeds."""
    return (
        pl.when(~pl.col("significant"))
        .then(pl.lit("No significant gap"))
        .when(pl.col("gap") < 0)
        .then(pl.lit("Significantly below expectation"))
        .otherwise(pl.lit("Significantly above expectation"))
    )


def _status_color(legend: bool = True) -> alt.Color:
    return alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(domain=list(STATUS_COLORS), range=list(STATUS_COLORS.values())),
        legend=alt.Legend(orient="top", labelFontSize=FONT_SIZE, labelLimit=320)
        if legend
        else None,
    )


def _gap_tooltip(extra: list[alt.Tooltip] | None = None) -> list[alt.Tooltip]:
    return [
        *(extra or []),
        alt.Tooltip("gap:Q", title="Gap (P - E)", format="+.2f"),
        alt.Tooltip("ci_low:Q", title="95% CI from", format="+.2f"),
        alt.Tooltip("ci_high:Q", title="95% CI to", format="+.2f"),
        alt.Tooltip("mean_e:Q", title="Expected (E)", format=".2f"),
        alt.Tooltip("mean_p:Q", title="Perceived (P)", format=".2f"),
        alt.Tooltip("p_adj:Q", title="Adjusted p", format=".2g"),
        alt.Tooltip("n:Q", title="Respondents", format=","),
        alt.Tooltip("flag:N", title="Flag"),
    ]


# Shared typography: readable axis, legend and title sizes.
CONFIG = alt.Config(
    axis=alt.AxisConfig(
        labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE, labelLimit=260, titlePadding=8
    ),
    legend=alt.LegendConfig(labelFontSize=FONT_SIZE, titleFontSize=FONT_SIZE),
    title=alt.TitleConfig(fontSize=FONT_SIZE + 2, anchor="start"),
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
        .mark_text(fontSize=FONT_SIZE + 1, color="#555555")
        .encode(text="message:N")
        .properties(width="container", height=80)
    )


# -- journey map ----------------------------------------------------------------------------------
def journey_map(table: pl.DataFrame, selectable: bool = True) -> alt.Chart:
    """Stage x dimension heatmap of gaps, diverging colours centred on zero.

    Parameters
    ----------
    table : pl.DataFrame
        Gap table by ``stage, dimension`` with ``stage_label`` (``gapmodel.views.overview``).
    selectable : bool
        Add a click selection named ``cell`` over ``stage, dimension``.

    Returns
    -------
    alt.Chart
        Cells show the gap; an asterisk marks a significant gap; suppressed cells are grey and
        show no number.
    """
    frame = _frame(
        table,
        ["stage", "stage_label", "dimension", "gap", "ci_low", "ci_high", "mean_e", "mean_p"]
        + ["p_adj", "n", "flag", "significant"],
    )
    extent = max(float(frame["gap"].abs().max() or 0.0), 0.5)
    frame = frame.with_columns(
        dimension_label=pl.col("dimension").str.to_titlecase(),
        cell_text=pl.when(pl.col("flag") == "suppressed")
        .then(pl.lit(f"n < {settings.get('suppress_n')}"))
        .otherwise(
            pl.col("gap").map_elements(lambda g: f"{g:+.2f}", return_dtype=pl.String)
            + pl.when(pl.col("significant")).then(pl.lit(" *")).otherwise(pl.lit(""))
        ),
        strong=pl.col("gap").abs().fill_null(0) > 0.55 * extent,
        # Vega-Lite drops marks whose colour value is null: suppressed cells get a stand-in
        # value and are painted grey by the condition below.
        gap_colour=pl.col("gap").fill_null(0.0),
    )
    dimensions = [d.title() for d in DIMENSIONS] + sorted(
        set(frame["dimension_label"]) - {d.title() for d in DIMENSIONS}
    )
    x = alt.X(
        "stage_label:N",
        sort=STAGE_ORDER,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=0,
            labelFontWeight="bold",
            labelOverlap=False,
            labelExpr="split(datum.label, ' ')",  # "Service encounter" on two lines
            # Vega draws the second line below the first: lift the labels by one line so it
            # does not run into the cells.
            labelPadding=FONT_SIZE + 4,
        ),
    )
    y = alt.Y("dimension_label:N", sort=dimensions, title=None)
    tooltip = _gap_tooltip(
        [
            alt.Tooltip("stage_label:N", title="Stage"),
            alt.Tooltip("dimension_label:N", title="Dimension"),
        ]
    )
    base = alt.Chart(frame).encode(x=x, y=y)
    # Conditions are given as channel objects: Altair resolves a condition dict against the
    # whole schema on every call, which made this chart slow to build.
    color = alt.Color(
        "gap_colour:Q",
        title="Gap (P - E)",
        scale=alt.Scale(scheme="redblue", domain=[-extent, extent], domainMid=0),
        legend=alt.Legend(orient="right", format="+.1f", gradientLength=180),
        condition={"test": "datum.flag == 'suppressed'", "value": "#e0e0e0"},
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(color=color, tooltip=tooltip)
    if selectable:
        pick = alt.selection_point(name="cell", fields=["stage", "dimension"], on="click")
        cells = cells.add_params(pick).encode(
            opacity=alt.OpacityValue(0.55, condition={"param": pick.name, "value": 1.0})
        )
    text = base.mark_text(fontSize=FONT_SIZE + 2, fontWeight="bold").encode(
        text="cell_text:N",
        color=alt.ColorValue("#222222", condition={"test": "datum.strong", "value": "white"}),
        tooltip=tooltip,
    )
    return (cells + text).properties(width="container", height=5 * 48)


# -- items ranked by gap ----------------------------------------------------------------------------
def ranked_gaps(
    table: pl.DataFrame, label: str = "label", selectable: bool = True, legend: bool = True
) -> alt.Chart:
    """Horizontal bars of the gap per row, worst first, with 95% CI error bars.

    Parameters
    ----------
    table : pl.DataFrame
        A gap table with a text column ``label`` naming each bar; suppressed rows are left out.
    label : str
        The column that names the bars.
    selectable : bool
        Add a click selection named ``bar`` over ``stage`` and ``item`` (when present).
    legend : bool
        Show the colour legend (leave it out where a caption explains the colours).

    Notes
    -----
    Rows flagged ``small_n`` have "(small n)" added to their label.
    """
    frame = _frame(
        table.filter(pl.col("flag") != "suppressed"),
        [label, "stage", "stage_label", "item", "dimension", "gap", "ci_low", "ci_high"]
        + ["mean_e", "mean_p", "p_adj", "n", "flag", "significant"],
    ).with_columns(
        pl.when(pl.col("flag") == "small_n")
        .then(pl.col(label) + " (small n)")
        .otherwise(pl.col(label))
        .alias(label),
        status=_status(),
    )
    order = frame.sort("gap")[label].to_list()
    y = alt.Y(
        f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelOverlap=False)
    )
    tooltip = _gap_tooltip([alt.Tooltip(f"{label}:N", title="")])
    base = alt.Chart(frame).encode(y=y)
    color = _status_color(legend)
    bars = base.mark_bar(height=ROW_HEIGHT - 8).encode(
        x=alt.X("gap:Q", title="Gap (P - E), 95% CI"),
        color=color,
        tooltip=tooltip,
    )
    if selectable:
        fields = [f for f in ("stage", "item") if f in frame.columns] or [label]
        pick = alt.selection_point(name="bar", fields=fields, on="click")
        bars = bars.add_params(pick).encode(
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5))
        )
    errors = base.mark_rule(color="#333333", strokeWidth=1.5).encode(x="ci_low:Q", x2="ci_high:Q")
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(x="zero:Q")
    return (bars + errors + zero).properties(
        width="container", height=ROW_HEIGHT * frame.height + AXIS_ROOM
    )


# -- human vs technical --------------------------------------------------------------------------
def element_split(table: pl.DataFrame) -> alt.Chart:
    """Gap of the human and the technical element at each stage, with 95% CIs."""
    frame = _frame(
        table.filter(pl.col("flag") != "suppressed"),
        ["stage_label", "element", "gap", "ci_low", "ci_high", "mean_e", "mean_p"]
        + ["p_adj", "n", "flag", "significant"],
    ).with_columns(element=pl.col("element").str.to_titlecase())
    x = alt.X("stage_label:N", sort=STAGE_ORDER, title=None, axis=alt.Axis(labelAngle=0))
    base = alt.Chart(frame).encode(x=x, xOffset=alt.XOffset("element:N"))
    colors = alt.Scale(domain=["Human", "Technical"], range=["#8e44ad", "#16a085"])
    bars = base.mark_bar().encode(
        y=alt.Y("gap:Q", title="Gap (P - E), 95% CI"),
        color=alt.Color("element:N", title=None, scale=colors, legend=alt.Legend(orient="top")),
        tooltip=_gap_tooltip([alt.Tooltip("stage_label:N", title="Stage"), "element:N"]),
    )
    errors = base.mark_rule(color="#333333", strokeWidth=1.5).encode(y="ci_low:Q", y2="ci_high:Q")
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(y="zero:Q")
    return (bars + errors + zero).properties(width="container", height=260)


# -- snake plot ----------------------------------------------------------------------------------
def snake_plot(table: pl.DataFrame, label: str = "label") -> alt.Chart:
    """Mean expectation and perception per item (the SERVQUAL snake plot).

    Items run down the page in instrument order, grouped by dimension; a line joins each
    measure so that the two "snakes" show where perception falls below expectation.
    """
    frame = _frame(
        table.filter(pl.col("flag") != "suppressed"),
        [label, "dimension", "mean_e", "mean_p", "gap", "n"],
    )
    frame = frame.with_row_index("position").unpivot(
        on=["mean_e", "mean_p"],
        index=["position", label, "dimension", "gap", "n"],
        variable_name="measure",
        value_name="score",
    )
    frame = frame.with_columns(
        measure=pl.col("measure").replace_strict(
            {"mean_e": "Expected (E)", "mean_p": "Perceived (P)"}
        )
    )
    order = frame.sort("position")[label].unique(maintain_order=True).to_list()
    colors = alt.Scale(domain=["Expected (E)", "Perceived (P)"], range=["#7f8c8d", "#e67e22"])
    base = alt.Chart(frame).encode(
        x=alt.X("score:Q", title="Mean score", scale=alt.Scale(zero=False)),
        y=alt.Y(f"{label}:N", sort=order, title=None),
        color=alt.Color("measure:N", title=None, scale=colors, legend=alt.Legend(orient="top")),
        tooltip=[
            alt.Tooltip(f"{label}:N", title=""),
            "dimension:N",
            "measure:N",
            alt.Tooltip("score:Q", format=".2f"),
            alt.Tooltip("gap:Q", title="Gap (P - E)", format="+.2f"),
            alt.Tooltip("n:Q", title="Respondents", format=","),
        ],
    )
    lines = base.mark_line(strokeWidth=2).encode(order="position:Q")
    dots = base.mark_point(filled=True, size=70)
    return (lines + dots).properties(width="container", height=ROW_HEIGHT * len(order) + AXIS_ROOM)


# -- segments ------------------------------------------------------------------------------------
def segment_dots(table: pl.DataFrame, attribute: str) -> alt.Chart:
    """Gap per dimension for each value of ``attribute``, with 95% CIs; segments significantly
    worse than the rest are drawn filled and large."""
    frame = _frame(
        table.filter(pl.col("flag") != "suppressed"),
        [attribute, "dimension", "gap", "ci_low", "ci_high", "gap_rest", "diff", "p_adj", "n"]
        + ["flag", "worse"],
    ).with_columns(
        dimension=pl.col("dimension").str.to_titlecase(),
        versus=pl.when(pl.col("worse"))
        .then(pl.lit("Significantly worse than the rest"))
        .otherwise(pl.lit("Not significantly worse")),
    )
    y = alt.Y("dimension:N", title=None, sort=[d.title() for d in DIMENSIONS])
    base = alt.Chart(frame).encode(y=y, yOffset=alt.YOffset(f"{attribute}:N"))
    color = alt.Color(
        f"{attribute}:N",
        title=attribute.capitalize(),
        scale=alt.Scale(scheme="dark2"),  # distinct hues, none of them the shortfall red
        legend=alt.Legend(orient="top"),
    )
    tooltip = [
        alt.Tooltip(f"{attribute}:N"),
        "dimension:N",
        alt.Tooltip("gap:Q", title="Gap (P - E)", format="+.2f"),
        alt.Tooltip("gap_rest:Q", title="Gap of the rest", format="+.2f"),
        alt.Tooltip("diff:Q", title="Difference", format="+.2f"),
        alt.Tooltip("p_adj:Q", title="Adjusted p", format=".2g"),
        alt.Tooltip("n:Q", title="Respondents", format=","),
        "versus:N",
    ]
    errors = base.mark_rule(strokeWidth=1.5).encode(x="ci_low:Q", x2="ci_high:Q", color=color)
    fill = alt.Fill(f"{attribute}:N", legend=None)
    dots = base.mark_point(size=110, strokeWidth=2).encode(
        x=alt.X("gap:Q", title="Gap (P - E), 95% CI"),
        color=color,
        fill=alt.condition("datum.worse", fill, alt.value("white")),
        shape=alt.Shape(
            "versus:N",
            title=None,
            scale=alt.Scale(
                domain=["Significantly worse than the rest", "Not significantly worse"],
                range=["diamond", "circle"],
            ),
            legend=None,
        ),
        tooltip=tooltip,
    )
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(x="zero:Q")
    return (errors + dots + zero).properties(width="container", height=5 * 64)


# -- trends --------------------------------------------------------------------------------------
def _wave_frame(table: pl.DataFrame) -> pl.DataFrame:
    return _frame(
        table.filter(pl.col("flag") != "suppressed"),
        ["wave", "mean_e", "mean_p", "gap", "ci_low", "ci_high", "p_adj", "n", "significant"],
    )


def _wave_axis(waves: list[str]) -> alt.X:
    return alt.X("wave:N", sort=waves, title=None, axis=alt.Axis(labelAngle=0))


def wave_scores(table: pl.DataFrame, waves: list[str]) -> alt.Chart:
    """Mean expectation and mean perception per wave (a gap table by wave)."""
    scores = (
        _wave_frame(table)
        .unpivot(
            on=["mean_e", "mean_p"],
            index=["wave", "n"],
            variable_name="measure",
            value_name="score",
        )
        .with_columns(
            measure=pl.col("measure").replace_strict(
                {"mean_e": "Expected (E)", "mean_p": "Perceived (P)"}
            )
        )
    )
    colors = alt.Scale(domain=["Expected (E)", "Perceived (P)"], range=["#7f8c8d", "#e67e22"])
    return (
        alt.Chart(scores)
        .mark_line(point=alt.OverlayMarkDef(size=70, filled=True), strokeWidth=2.5)
        .encode(
            x=_wave_axis(waves),
            y=alt.Y("score:Q", title="Mean score", scale=alt.Scale(zero=False)),
            color=alt.Color("measure:N", title=None, scale=colors, legend=alt.Legend(orient="top")),
            tooltip=["wave:N", "measure:N", alt.Tooltip("score:Q", format=".2f"), "n:Q"],
        )
        .properties(width="container", height=280)
    )


def wave_gap(table: pl.DataFrame, waves: list[str]) -> alt.Chart:
    """The gap per wave with its 95% confidence band (a gap table by wave)."""
    base = alt.Chart(_wave_frame(table)).encode(x=_wave_axis(waves))
    band = base.mark_area(opacity=0.25, color=SHORTFALL).encode(
        y=alt.Y("ci_low:Q", title="Gap (P - E), 95% CI"), y2="ci_high:Q"
    )
    marker = alt.OverlayMarkDef(size=70, filled=True, color=SHORTFALL)
    line = base.mark_line(point=marker, color=SHORTFALL).encode(
        y="gap:Q", tooltip=_gap_tooltip([alt.Tooltip("wave:N")])
    )
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(y="zero:Q")
    return (band + line + zero).properties(width="container", height=280)


def wave_trend(table: pl.DataFrame, waves: list[str]) -> alt.HConcatChart:
    """:func:`wave_scores` and :func:`wave_gap` side by side, each 420 pixels wide."""
    width = 420
    left = wave_scores(table, waves).properties(title="Expectation and perception", width=width)
    right = wave_gap(table, waves).properties(title="Gap", width=width)
    return alt.hconcat(left, right).resolve_scale(color="independent")


def change_decomposition(table: pl.DataFrame, label: str = "dimension") -> alt.Chart:
    """Change in the gap between two waves, split into the change in perceptions and in
    expectations (change in gap = change in P - change in E), per row of a trend table."""
    frame = _frame(
        table.filter(pl.col("flag") != "suppressed"),
        [label, "change", "change_e", "change_p", "ci_low", "ci_high", "p_adj", "significant"],
    ).with_columns(pl.col(label).cast(pl.String).str.to_titlecase().alias("row_label"))
    parts = frame.unpivot(
        on=["change_p", "change_e", "change"],
        index=["row_label", "p_adj", "significant"],
        variable_name="component",
        value_name="value",
    ).with_columns(
        component=pl.col("component").replace_strict(
            {
                "change_p": "Change in P",
                "change_e": "Change in E",
                "change": "Change in gap",
            }
        )
    )
    domain = ["Change in P", "Change in E", "Change in gap"]
    y = alt.Y("row_label:N", title=None)
    bars = (
        alt.Chart(parts)
        .mark_bar(height=10)
        .encode(
            y=y,
            yOffset=alt.YOffset("component:N", sort=domain),
            x=alt.X("value:Q", title="Change in scale points"),
            color=alt.Color(
                "component:N",
                title=None,
                sort=domain,
                scale=alt.Scale(domain=domain, range=["#e67e22", "#7f8c8d", "#34495e"]),
                legend=alt.Legend(orient="top", labelLimit=320),
            ),
            tooltip=[
                alt.Tooltip("row_label:N", title=""),
                "component:N",
                alt.Tooltip("value:Q", format="+.2f"),
                alt.Tooltip("p_adj:Q", title="Adjusted p (gap change)", format=".2g"),
                alt.Tooltip("significant:N", title="Gap change significant"),
            ],
        )
    )
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(x="zero:Q")
    return (bars + zero).properties(width="container", height=max(48 * frame.height, 80))


# -- importance-performance -----------------------------------------------------------------------
QUADRANT_COLORS = {
    "Concentrate here": SHORTFALL,
    "Keep up the good work": "#27ae60",
    "Low priority": NEUTRAL,
    "Possible overkill": EXCEEDS,
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
    frame = _frame(
        ipa_points(table),
        [label, "stage_label", "dimension", "performance", "importance", "importance_source"]
        + ["gap", "n", "quadrant", "rank"],
    ).with_columns(name=pl.col("stage_label") + ": " + pl.col(label))
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
    corners = pl.DataFrame(
        {
            "performance": [p_lo - pad_p, p_hi + pad_p, p_lo - pad_p, p_hi + pad_p],
            "importance": [i_hi + pad_i, i_hi + pad_i, i_lo - pad_i, i_lo - pad_i],
            "text": [
                "Concentrate here",
                "Keep up the good work",
                "Low priority",
                "Possible overkill",
            ],
            "align": ["left", "right", "left", "right"],
            "baseline": ["top", "top", "bottom", "bottom"],
        }
    )
    labels = [
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
    return alt.layer(lines, points, names, *labels).properties(width="container", height=460)
