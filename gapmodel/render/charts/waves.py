"""Charts over waves: scores and gap per wave, and the change between two waves decomposed into
the change in expectations and in perceptions."""

from __future__ import annotations

import altair as alt
import polars as pl

from gapmodel.render.charts.style import (
    SHORTFALL,
    chart_frame,
    gap_tooltip,
)


def _wave_frame(table: pl.DataFrame) -> pl.DataFrame:
    return chart_frame(
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
        y="gap:Q", tooltip=gap_tooltip([alt.Tooltip("wave:N")])
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
    frame = chart_frame(
        table.filter(pl.col("flag") != "suppressed"),
        [label, "change", "change_e", "change_p", "ci_low", "ci_high", "p_adj", "significant"]
        + ["flag"],
    ).with_columns(
        (
            pl.col(label).cast(pl.String).str.to_titlecase()
            + pl.when(pl.col("flag") == "small_n")
            .then(pl.lit(" (small group)"))
            .otherwise(pl.lit(""))
        ).alias("row_label")
    )
    parts = frame.unpivot(
        on=["change_p", "change_e", "change"],
        index=["row_label", "p_adj", "p_adj_text", "significant"],
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
                alt.Tooltip("p_adj_text:N", title="Adjusted p (gap change)"),
                alt.Tooltip("significant:N", title="Gap change significant"),
            ],
        )
    )
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#555555").encode(x="zero:Q")
    return (bars + zero).properties(width="container", height=max(48 * frame.height, 80))
