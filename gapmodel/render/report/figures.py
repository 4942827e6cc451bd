"""What the report prints besides its sentences: the charts by section, the headline figures,
the small tables as text, and the sentence under each section heading."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import altair as alt
import polars as pl

from gapmodel.core.vocabulary import CONCENTRATE_HERE, VERDICTS, name_label
from gapmodel.render import charts
from gapmodel.render.report.briefing import Briefing, table_rows, usable
from gapmodel.views import findings
from gapmodel.views.findings import groups_of


def report_charts(b: Briefing) -> dict[str, tuple[str, alt.TopLevelMixin]]:
    """The charts of the report, by section: ``section -> (caption, chart)``.

    Returns
    -------
    dict
        ``Journey`` (journey map), ``Change`` (decomposition by dimension, with a comparison),
        ``Trend`` (gap per wave, with two or more waves), ``Segments`` (gap per dimension by
        value of the attribute) and ``Priorities`` (importance-performance, when importance
        is known); charts of empty tables are left out.
    """
    one_stage = "stage_label" not in b.overview.journey.columns
    out: dict[str, tuple[str, alt.TopLevelMixin]] = {
        "Journey": (
            f"Gap (P - E) by {'dimension' if one_stage else 'stage and dimension'}; "
            "* significant, grey: fewer than "
            f"{b.options.suppress_n} respondents (suppressed).",
            charts.journey_map(b.overview.journey, selectable=False),
        )
    }
    change = b.trends.change_dimensions
    if change is not None and change.filter(pl.col("flag") != "suppressed").height:
        out["Change"] = (
            f"Change from {b.filters.compare} to {b.filters.wave} by dimension: change in gap "
            "= change in perceptions - change in expectations.",
            charts.change_decomposition(change),
        )
    if b.trends.by_wave.filter(pl.col("flag") != "suppressed").height >= 2:
        out["Trend"] = (
            "Mean expectation, perception and gap (95% CI) per wave.",
            charts.wave_trend(b.trends.by_wave, b.waves),
        )
    segments = b.segments
    if segments is not None and segments.by_dimension.filter(pl.col("flag") != "suppressed").height:
        out["Segments"] = (
            f"Gap per dimension by {b.attribute}, 95% CI; filled diamonds are clearly worse "
            "than everyone else; a dashed range is a small group.",
            charts.segment_dots(b.segments.by_dimension, b.attribute),
        )
    if charts.ipa_points(b.priorities.ipa).height >= 2:
        out["Priorities"] = (
            "Importance against the gap per item at each stage; lines at the mean importance "
            "and at a gap of 0; colour and shape give the quadrant; "
            f"#n: rank on the fix-first list; items with fewer than {b.options.min_n} "
            "respondents are left out.",
            charts.ipa_chart(b.priorities.ipa),
        )
    return out


def _fmt(value: object, spec: str, empty: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return empty
    return format(value, spec)


def _p(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _ci(row: Mapping) -> str:
    if row.get("ci_low") is None:
        return ""
    return f"{row['ci_low']:+.2f} to {row['ci_high']:+.2f}"


def _n_pair(row: Mapping) -> str:
    """``4,000 / 3,998`` respondents in the two waves (the smaller n once they are suppressed)."""
    if row.get("n_from") is None or row.get("n_to") is None:
        return _fmt(row.get("n"), ",")
    return f"{row['n_from']:,} / {row['n_to']:,}"


def headline_figures(b: Briefing) -> list[tuple[str, str, str]]:
    """The headline panel: ``(label, value, detail)`` for the overall gap, the weighted gap,
    the customer and answer shares and the change since the compared wave."""
    suppressed = ("suppressed", f"fewer than {b.options.suppress_n} respondents")
    out = []
    overall = table_rows(b.overview.overall)[0]
    if usable(overall):
        sig = VERDICTS.get(overall.get("verdict") or "", "")
        out.append(
            (
                "Overall gap (P - E)",
                f"{overall['gap']:+.2f}",
                f"95% CI {_ci(overall)}; {sig}; n = {overall['n']:,}",
            )
        )
        band = f"{overall['tolerance']:g}"
        out.append(
            (
                "Customers below / within / above",
                " / ".join(
                    findings.percent(overall[k])
                    for k in ("people_below", "people_within", "people_above")
                ),
                f"customers whose mean gap is below -{band}, within +/-{band}, above +{band}",
            )
        )
        out.append(
            (
                "Answers below / meeting / above",
                " / ".join(
                    findings.percent(overall[k])
                    for k in ("answers_below", "answers_equal", "answers_above")
                ),
                "answered pairs with P < E, P = E, P > E",
            )
        )
    else:
        out.append(("Overall gap (P - E)", *suppressed))
    weighted = table_rows(b.overview.weighted)
    if weighted and usable(weighted[0]):
        row = weighted[0]
        how = (
            "weighted by allocated importance"
            if row["weighting"] == "allocations"
            else "no importance points: unweighted"
        )
        out.append(("Weighted gap", f"{row['gap']:+.2f}", f"95% CI {_ci(row)}; {how}"))
    change = table_rows(b.overview.change)
    if not b.filters.compare:
        out.append(("Change", "-", "no comparison wave"))
    elif change and usable(change[0]):
        row = change[0]
        verdict = (
            ("improved" if row["change"] > 0 else "worsened")
            if row["significant"]
            else "no clear change"
        )
        out.append(
            (
                f"Change since {b.filters.compare}",
                f"{row['change']:+.2f}" if row["significant"] else "none",
                f"{verdict}: {row['change']:+.2f}, 95% CI {_ci(row)}, adjusted p "
                f"{_p(row['p_adj'])}",
            )
        )
    else:
        out.append((f"Change since {b.filters.compare}", *suppressed))
    return out


def _table(
    table: pl.DataFrame | None, columns: list[tuple[str, str, Callable[[dict], str]]]
) -> tuple[list[str], list[list[str]]]:
    """Headers and formatted text rows of a table; suppressed rows show no statistics."""
    headers = [title for title, _, _ in columns]
    rows = []
    for row in table_rows(table):
        if usable(row):
            rows.append([show(row) for _, _, show in columns])
        else:  # the statistics of a suppressed group are null: say so in the widest column
            rows.append(
                [
                    show(row) if name in ("key", "n") else ("suppressed" if name == "ci" else "")
                    for _, name, show in columns
                ]
            )
    return headers, rows


def report_tables(b: Briefing) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The small tables printed in the report, as text: section -> (headers, rows)."""

    def label(row: dict) -> str:
        item = row.get("label") or row.get("item")
        return f"{row['stage_label']}: {item}" if row.get("stage_label") else str(item)

    out = {
        "Pain points": _table(
            b.overview.pain_points,
            [
                ("#", "key", lambda r: str(r["rank"])),
                (
                    "Item at stage" if "stage_label" in b.overview.pain_points.columns else "Item",
                    "key",
                    label,
                ),
                ("Gap", "gap", lambda r: f"{r['gap']:+.2f}"),
                ("95% CI", "ci", _ci),
                ("Adj. p", "p", lambda r: _p(r["p_adj"])),
                ("Answers below", "share", lambda r: findings.percent(r["answers_below"])),
                ("n", "n", lambda r: f"{r['n']:,}"),
            ],
        )
    }
    if b.trends.change_dimensions is not None:
        out["Change"] = _table(
            b.trends.change_dimensions,
            [
                ("Dimension", "key", lambda r: name_label(r["dimension"])),
                ("Gap then", "g0", lambda r: _fmt(r["gap_from"], "+.2f")),
                ("Gap now", "g1", lambda r: _fmt(r["gap_to"], "+.2f")),
                ("Change", "c", lambda r: _fmt(r["change"], "+.2f")),
                ("95% CI", "ci", _ci),
                ("Change in E", "e", lambda r: _fmt(r["change_e"], "+.2f")),
                ("Change in P", "p", lambda r: _fmt(r["change_p"], "+.2f")),
                ("Adj. p", "padj", lambda r: _p(r["p_adj"])),
                ("n then / now", "n", _n_pair),
            ],
        )
    a = b.attribute
    if b.segments is None:
        return out
    out["Segments"] = _table(
        b.segments.overall,
        [
            (name_label(a), "key", lambda r: str(r[a])),
            ("Gap", "gap", lambda r: _fmt(r["gap"], "+.2f")),
            ("95% CI", "ci", _ci),
            ("Rest", "rest", lambda r: _fmt(r["gap_rest"], "+.2f")),
            ("Difference", "diff", lambda r: _fmt(r["diff"], "+.2f")),
            ("Adj. p", "p", lambda r: _p(r["p_adj"])),
            ("n", "n", lambda r: f"{r['n']:,}"),
        ],
    )
    return out


def section_intro(b: Briefing, section: str) -> str | None:
    """The sentence under a section heading: what it shows, or why it shows nothing."""
    small = f"its groups are too small (fewer than {b.options.suppress_n} respondents)"
    if section == "Change":
        if not b.filters.compare:
            return "No comparison wave was chosen, so nothing is compared."
        text = (
            f"From {b.filters.compare} to {b.filters.wave}. Change in gap = change in "
            "perceptions - change in expectations: a gap can widen because expectations rose "
            "as well as because perceptions fell."
        )
        return text if b.section("Change") else f"{text} No change can be shown: {small}."
    if section == "Pain points":
        if b.overview.pain_points.is_empty():
            return "No item is clearly below expectations in this view."
        return (
            "Items clearly below expectations, important ones first, each by fix-first score "
            "(shortfall x importance weight x share of answers below expectations)."
        )
    if section == "Segments":
        if b.segments is None:
            return "The survey has no respondent attribute to compare groups by."
        unfiltered = (
            f" (the {b.attribute} filter is not applied here)"
            if b.attribute in b.filters.where
            else ""
        )
        text = (
            f"Each of the {groups_of(b.attribute)} against everyone else in this view{unfiltered}."
        )
        return text if b.section("Segments") else f"{text} No difference can be shown: {small}."
    if section == "Priorities" and not b.section("Priorities"):
        return f'No item sits in "{CONCENTRATE_HERE}" with a gap that can be shown.'
    return None
