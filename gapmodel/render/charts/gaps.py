"""Charts of gaps: the journey map, items ranked by gap, human vs technical, the snake plot and
segments against the rest."""

from __future__ import annotations

import altair as alt
import polars as pl

from gapmodel.core import settings
from gapmodel.core.vocabulary import name_label
from gapmodel.render.charts.style import (
    AXIS_ROOM,
    DIVERGING,
    FONT_SIZE,
    ROW_HEIGHT,
    chart_frame,
    dimension_labels,
    diverging_colour,
    gap_tooltip,
    order_of,
    stage_labels,
    status,
    status_color,
    text_on,
)


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
        Cells show the gap; an asterisk marks a clear gap (significant), a dagger a small group;
        suppressed cells are grey and show no number.
    """
    table, stages = stage_labels(table)
    table, dimensions = dimension_labels(table)
    rows = alt.Tooltip("dimension_label:N", title="Dimension")
    return gap_heatmap(
        table, ("stage_label", stages), ("dimension_label", dimensions, rows), selectable
    )


def segment_map(table: pl.DataFrame, attribute: str) -> alt.Chart:
    """Attribute value x stage heatmap of gaps: where in the journey each group suffers.

    Parameters
    ----------
    table : pl.DataFrame
        Gap table by ``attribute, stage`` with ``stage_label`` (``views.segments(...).by_stage``).
    attribute : str
        The respondent attribute whose values make the rows.
    """
    table, stages = stage_labels(table)
    table = table.filter(pl.col(attribute).is_not_null()).with_columns(
        pl.col(attribute).cast(pl.String).alias(GROUP)
    )
    groups = order_of(table, GROUP)
    rows = alt.Tooltip(f"{GROUP}:N", title=name_label(attribute))
    return gap_heatmap(table.drop(attribute), ("stage_label", stages), (GROUP, groups, rows))


def gap_heatmap(
    table: pl.DataFrame,
    columns: tuple[str, list[str]],
    rows: tuple[str, list[str], alt.Tooltip],
    selectable: bool = False,
) -> alt.Chart:
    """A heatmap of gaps: ``columns`` and ``rows`` are (field, order[, tooltip]) of its axes.

    Cell text is black or white, whichever reads better on the cell's fill (WCAG 4.5:1 or
    more); the fill follows :data:`DIVERGING` (ColorBrewer RdBu, colour-blind safe).
    """
    x_field, x_order = columns
    y_field, y_order, y_tooltip = rows
    frame = chart_frame(
        table,
        ["stage", x_field, "dimension", y_field, "gap", "ci_low", "ci_high"]
        + ["mean_e", "mean_p", "p_adj", "n", "flag", "significant"],
    )
    extent = max(float(frame["gap"].abs().max() or 0.0), 0.5)
    frame = frame.with_columns(
        cell_text=pl.when(pl.col("flag") == "suppressed")
        .then(pl.lit(f"n < {settings.get('suppress_n')}"))
        .otherwise(
            pl.col("gap").map_elements(lambda g: f"{g:+.2f}", return_dtype=pl.String)
            + pl.when(pl.col("significant")).then(pl.lit(" *")).otherwise(pl.lit(""))
            + pl.when(pl.col("flag") == "small_n").then(pl.lit(" \u2020")).otherwise(pl.lit(""))
        ),
        # Black or white text, whichever reads better on the cell's own fill.
        ink=pl.col("gap")
        .map_elements(lambda g: text_on(diverging_colour(g, extent)), return_dtype=pl.String)
        .fill_null("#000000"),
        # Vega-Lite drops marks whose colour value is null: suppressed cells get a stand-in
        # value and are painted grey by the condition below.
        gap_colour=pl.col("gap").fill_null(0.0),
    )
    if len(x_order) <= 3:
        axis = alt.Axis(
            orient="top",
            labelAngle=0,
            labelFontWeight="bold",
            labelOverlap=False,
            # "Service encounter" and "Pre-purchase" on two lines each
            labelExpr="split(replace(datum.label, '-', '- '), ' ')",
            # Vega draws the second line below the first: lift the labels by one line so it
            # does not run into the cells.
            labelPadding=FONT_SIZE + 4,
        )
    else:  # many stages: narrow columns, slanted names that never run into each other
        axis = alt.Axis(
            orient="top",
            labelAngle=-35,
            labelAlign="left",
            labelFontWeight="bold",
            labelOverlap=False,
            labelLimit=160,
        )
    x = alt.X(f"{x_field}:N", sort=x_order, title=None, axis=axis)
    y = alt.Y(f"{y_field}:N", sort=y_order, title=None)
    tooltip = gap_tooltip([alt.Tooltip(f"{x_field}:N", title="Stage"), y_tooltip])
    base = alt.Chart(frame).encode(x=x, y=y)
    # Conditions are given as channel objects: Altair resolves a condition dict against the
    # whole schema on every call, which made this chart slow to build.
    room = 0 if len(x_order) <= 3 else 80  # for the slanted stage names
    height = max(len(y_order), 3) * 48 + room  # few rows still leave the legend its room
    color = alt.Color(
        "gap_colour:Q",
        title="Gap (P - E)",
        scale=alt.Scale(
            domain=[-extent, -extent / 2, 0, extent / 2, extent],
            range=list(DIVERGING),
            interpolate="rgb",
        ),
        legend=alt.Legend(orient="right", format="+.1f", gradientLength=min(180, height - 60)),
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
        color=alt.ColorValue(
            "#000000", condition={"test": "datum.ink == '#ffffff'", "value": "#ffffff"}
        ),
        tooltip=tooltip,
    )
    return (cells + text).properties(width="container", height=height)


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
    Rows flagged ``small_n`` have "(small group)" added to their label.
    """
    frame = chart_frame(
        table.filter(pl.col("flag") != "suppressed"),
        [label, "stage", "stage_label", "item", "dimension", "gap", "ci_low", "ci_high"]
        + ["mean_e", "mean_p", "p_adj", "n", "flag", "significant"],
    ).with_columns(
        pl.when(pl.col("flag") == "small_n")
        .then(pl.col(label) + " (small group)")
        .otherwise(pl.col(label))
        .alias(label),
        status=status(),
    )
    order = frame.sort("gap")[label].to_list()
    y = alt.Y(
        f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=420, labelOverlap=False)
    )
    tooltip = gap_tooltip([alt.Tooltip(f"{label}:N", title="")])
    base = alt.Chart(frame).encode(y=y)
    color = status_color(legend)
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
    table, stages = stage_labels(table.filter(pl.col("flag") != "suppressed"))
    frame = chart_frame(
        table,
        ["stage_label", "element", "gap", "ci_low", "ci_high", "mean_e", "mean_p"]
        + ["p_adj", "n", "flag", "significant"],
    ).with_columns(element=pl.col("element").str.to_titlecase())
    x = alt.X("stage_label:N", sort=stages, title=None, axis=alt.Axis(labelAngle=0))
    base = alt.Chart(frame).encode(x=x, xOffset=alt.XOffset("element:N"))
    colors = alt.Scale(domain=["Human", "Technical"], range=["#762a83", "#e08214"])
    bars = base.mark_bar().encode(
        y=alt.Y("gap:Q", title="Gap (P - E), 95% CI"),
        color=alt.Color("element:N", title=None, scale=colors, legend=alt.Legend(orient="top")),
        tooltip=gap_tooltip([alt.Tooltip("stage_label:N", title="Stage"), "element:N"]),
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
    frame = chart_frame(
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
    colors = alt.Scale(domain=["Expected (E)", "Perceived (P)"], range=["#5e5e5e", "#e08214"])
    shapes = alt.Scale(domain=["Expected (E)", "Perceived (P)"], range=["circle", "diamond"])
    base = alt.Chart(frame).encode(
        x=alt.X("score:Q", title="Mean score", scale=alt.Scale(zero=False)),
        y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=420)),
        color=alt.Color("measure:N", title=None, scale=colors, legend=alt.Legend(orient="top")),
        shape=alt.Shape("measure:N", title=None, scale=shapes, legend=None),
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
GROUP = "_group"  # the attribute's values in a chart (no attribute name starts with "_")


def segment_dots(table: pl.DataFrame, attribute: str) -> alt.Chart:
    """Gap per dimension for each value of ``attribute``, with 95% CIs; segments significantly
    worse than the rest are drawn filled and large."""
    table, dimensions = dimension_labels(table.filter(pl.col("flag") != "suppressed"))
    frame = chart_frame(
        table,
        [attribute, "dimension_label", "gap", "ci_low", "ci_high", "gap_rest", "diff", "p_adj"]
        + ["n", "flag", "worse"],
    ).with_columns(
        pl.col(attribute).alias(GROUP),  # a fixed field name: the attribute's may hold anything
        versus=pl.when(pl.col("worse"))
        .then(pl.lit("Clearly worse than the rest"))
        .otherwise(pl.lit("Not clearly worse")),
        small=pl.col("flag") == "small_n",
    )
    y = alt.Y("dimension_label:N", title=None, sort=dimensions)
    base = alt.Chart(frame.drop(attribute)).encode(y=y, yOffset=alt.YOffset(f"{GROUP}:N"))
    color = alt.Color(
        f"{GROUP}:N",
        title=name_label(attribute),
        scale=alt.Scale(scheme="dark2"),  # distinct hues, none of them the shortfall red
        legend=alt.Legend(orient="top"),
    )
    tooltip = [
        alt.Tooltip(f"{GROUP}:N", title=name_label(attribute)),
        alt.Tooltip("dimension_label:N", title="Dimension"),
        alt.Tooltip("gap:Q", title="Gap (P - E)", format="+.2f"),
        alt.Tooltip("gap_rest:Q", title="Gap of the rest", format="+.2f"),
        alt.Tooltip("diff:Q", title="Difference", format="+.2f"),
        alt.Tooltip("p_adj_text:N", title="Adjusted p"),
        alt.Tooltip("n:Q", title="Respondents", format=","),
        "versus:N",
    ]
    errors = base.mark_rule(strokeWidth=1.5).encode(
        x="ci_low:Q",
        x2="ci_high:Q",
        color=color,
        # a small group's interval is dashed
        strokeDash=alt.StrokeDash(
            "small:N", scale=alt.Scale(domain=[False, True], range=[[1, 0], [4, 3]]), legend=None
        ),
    )
    fill = alt.Fill(f"{GROUP}:N", legend=None)
    dots = base.mark_point(size=110, strokeWidth=2).encode(
        x=alt.X("gap:Q", title="Gap (P - E), 95% CI"),
        color=color,
        fill=alt.condition("datum.worse", fill, alt.value("white")),
        shape=alt.Shape(
            "versus:N",
            title=None,
            scale=alt.Scale(
                domain=["Clearly worse than the rest", "Not clearly worse"],
                range=["diamond", "circle"],
            ),
            legend=None,
        ),
        tooltip=tooltip,
    )
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(x="zero:Q")
    height = max(len(dimensions), 1) * 64
    return (errors + dots + zero).properties(width="container", height=height)
