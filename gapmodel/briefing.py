"""The management report: headline figures, journey map, pain points, change, segments,
priorities and the method for one view, as HTML, PDF or an Excel workbook.

Every sentence is written from one result row by :mod:`gapmodel.findings` and keeps a record
of that row (:class:`gapmodel.findings.Finding`: source table, keys, effect, CI, adjusted p,
n); a change that is not significant is reported as no significant change, and suppressed
groups give no sentence and no numbers.

Use :func:`report_bytes` (dashboard and command line alike); :func:`build_briefing` computes
the content once if several formats are wanted.
"""

from __future__ import annotations

import html
import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import altair as alt
import polars as pl

from gapmodel import chart_export, charts, exports, findings, views
from gapmodel.findings import Finding
from gapmodel.gaps import TableOptions, gap_table
from gapmodel.store import ATTRIBUTES

Progress = exports.Progress
REPORT_FORMATS = ("html", "pdf", "xlsx")
MEDIA_TYPES = {
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SECTIONS = ("Headline", "Journey", "Pain points", "Change", "Segments", "Priorities")
TOP = 5  # rows per list of findings (pain points, changed items, segment cells, IPA items)
HTML_CHART_WIDTH = 900
PDF_CHART_WIDTH = 760  # CSS pixels over the 180 mm text width: chart text about 9 pt
PDF_CHART_SCALE = 2.0
# Heights in CSS pixels that let these charts share a page; other charts keep their own.
PDF_CHART_HEIGHTS = {"Segments": 320, "Priorities": 440}
_SVG_NS, _XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def _quiet(fraction: float, message: str) -> None:
    """The default progress callback: does nothing."""


# -- content ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Briefing:
    """Everything a report shows for one view, computed once.

    Attributes
    ----------
    filters : views.Filters
        The resolved view (explicit wave and comparison; ``compare == ""`` for none).
    waves : list of str
        Every stored wave, oldest first (the trend chart shows them all).
    attribute : str
        The respondent attribute whose values are compared in the Segments section.
    options : TableOptions
        Adjustment, alpha and small-group thresholds used.
    overview, trends, segments, priorities : page views
        As the dashboard pages show them (:mod:`gapmodel.views`).
    stages : pl.DataFrame
        Gap table by stage.
    items : pl.DataFrame
        Gap table by stage and item (the Journey page's items).
    ipa : pl.DataFrame
        Importance-performance per stage x item joined with the item's gap, CI and test.
    findings : tuple of Finding
        The sentences, in report order.
    notes : tuple of str
        What the report could not do for this view (e.g. a comparison wave with no respondent
        in it), printed under the title.
    generated : datetime
        When the report was computed (local time, to the second).
    """

    filters: views.Filters
    waves: list[str]
    attribute: str
    options: TableOptions
    overview: views.Overview
    trends: views.Trends
    segments: views.Segments
    priorities: views.Priorities
    stages: pl.DataFrame
    items: pl.DataFrame
    ipa: pl.DataFrame
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    generated: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def title(self) -> str:
        return f"Service gap report: wave {self.filters.wave}"

    @property
    def view_text(self) -> str:
        """The view in words: ``Wave 2026-Q3, compared with 2026-Q2; all respondents; ...``."""
        text = exports.describe_filters(self.filters)
        return text[:1].upper() + text[1:]

    def section(self, name: str) -> list[Finding]:
        """The findings of one section, in order."""
        return [f for f in self.findings if f.section == name]

    def tables(self) -> dict[str, pl.DataFrame]:
        """Every table the report draws on, titled as the findings' ``source``.

        Returns
        -------
        dict of str to pl.DataFrame
            ``Overall gap, Weighted gap, Overall change`` (with a comparison), ``Gap by stage,
            Journey map, Items by stage, Top pain points, Gap by wave, Change by dimension,
            Change by item`` (with a comparison), ``<Attribute> vs rest``, ``<Attribute> vs
            rest by dimension``, ``Across <attribute>s``, ``Across <attribute>s by dimension``,
            ``Importance-performance``, ``Fix first``.
        """
        o, t, s, p = self.overview, self.trends, self.segments, self.priorities
        a = self.attribute
        tables = {
            "Overall gap": o.overall,
            "Weighted gap": o.weighted,
            "Overall change": o.change,
            "Gap by stage": self.stages,
            "Journey map": o.journey,
            "Items by stage": self.items,
            "Top pain points": o.pain_points,
            "Gap by wave": t.by_wave,
            "Change by dimension": t.change_dimensions,
            "Change by item": t.change_items,
            f"{a.capitalize()} vs rest": s.overall,
            f"{a.capitalize()} vs rest by dimension": s.by_dimension,
            f"Across {a}s": s.across_overall,
            f"Across {a}s by dimension": s.across_dimensions,
            "Importance-performance": self.ipa,
            "Fix first": p.fix_first,
        }
        return {k: v for k, v in tables.items() if v is not None}

    def findings_table(self) -> pl.DataFrame:
        """The findings as a table.

        Returns
        -------
        pl.DataFrame
            ``section, finding, source, key, effect, ci_low, ci_high, p_adj, n``: the sentence
            and the row it was written from (``source`` names a sheet of the workbook).
        """
        return pl.DataFrame(
            [
                {
                    "section": f.section,
                    "finding": f.text,
                    "source": f.source,
                    "key": f.key,
                    "effect": f.effect,
                    "ci_low": f.ci_low,
                    "ci_high": f.ci_high,
                    "p_adj": f.p_adj,
                    "n": f.n,
                }
                for f in self.findings
            ],
            schema={
                "section": pl.String,
                "finding": pl.String,
                "source": pl.String,
                "key": pl.String,
                "effect": pl.Float64,
                "ci_low": pl.Float64,
                "ci_high": pl.Float64,
                "p_adj": pl.Float64,
                "n": pl.Int64,
            },
        )


def _number(value: object) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _key(row: Mapping, keys: Iterable[str]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in keys if row.get(k) is not None)


class _Writer:
    """Collects findings, each with the row it came from."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(
        self,
        section: str,
        text: str | None,
        source: str,
        row: Mapping,
        keys: Iterable[str] = (),
        effect: str | None = "gap",
        p: str = "p_adj",
        ci: bool = True,
    ) -> None:
        if text is None:  # suppressed or not computable: no sentence
            return
        self.items.append(
            Finding(
                section=section,
                text=text,
                source=source,
                key=_key(row, keys),
                effect=_number(row.get(effect)) if effect else None,
                ci_low=_number(row.get("ci_low")) if ci else None,
                ci_high=_number(row.get("ci_high")) if ci else None,
                p_adj=_number(row.get(p)),
                n=None if row.get("n") is None else int(row["n"]),
            )
        )


def _rows(table: pl.DataFrame | None) -> list[dict]:
    if table is None:
        return []
    return table.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String)).to_dicts()


def _usable(row: Mapping) -> bool:
    return row.get("flag") != "suppressed"


def _write_findings(b: Briefing) -> tuple[Finding, ...]:
    w = _Writer()
    o, f = b.overview, b.filters
    # Headline
    for row in _rows(o.overall):
        w.add("Headline", findings.gap_sentence(row, "Overall, service"), "Overall gap", row)
        w.add(
            "Headline",
            findings.shares_sentence(row),
            "Overall gap",
            row,
            effect="share_dissatisfied",
            p="p_wilcoxon",
            ci=False,
        )
    for row in _rows(o.weighted):
        w.add("Headline", findings.weighted_sentence(row), "Weighted gap", row)
    for row in _rows(o.change):
        text = findings.change_sentence(row, "The overall gap", f.compare, f.wave)
        w.add("Headline", text, "Overall change", row, effect="change")
    # Journey: each stage, then the largest significant shortfall and exceedance on the map
    for row in _rows(b.stages):
        w.add(
            "Journey",
            findings.gap_sentence(row, findings.subject_of(row)),
            "Gap by stage",
            row,
            ["stage"],
        )
    cells = [r for r in _rows(o.journey) if _usable(r) and r["significant"]]
    worst = min((r for r in cells if r["gap"] < 0), key=lambda r: r["gap"], default=None)
    best = max((r for r in cells if r["gap"] > 0), key=lambda r: r["gap"], default=None)
    for row in (worst, best):
        if row is not None:
            text = findings.gap_sentence(row, findings.subject_of(row))
            w.add("Journey", text, "Journey map", row, ["stage", "dimension"])
    # Pain points
    for row in _rows(o.pain_points):
        text = findings.pain_point_sentence(row)
        w.add("Pain points", text, "Top pain points", row, ["stage", "item"])
    # Change since the compared wave: every dimension, then the items that changed significantly
    if f.compare:
        for row in _rows(b.trends.change_dimensions):
            text = findings.change_sentence(row, findings.subject_of(row), f.compare, f.wave)
            w.add("Change", text, "Change by dimension", row, ["dimension"], effect="change")
        changed = [r for r in _rows(b.trends.change_items) if _usable(r) and r["significant"]]
        for row in sorted(changed, key=lambda r: -abs(r["change"]))[:TOP]:
            text = findings.change_sentence(row, findings.subject_of(row), f.compare, f.wave)
            w.add("Change", text, "Change by item", row, ["stage", "item"], effect="change")
    # Segments
    a, s = b.attribute, b.segments
    for row in _rows(s.across_overall):
        text = findings.across_sentence(row, a)
        w.add("Segments", text, f"Across {a}s", row, effect="f", ci=False)
    for row in _rows(s.overall):
        text = findings.segment_versus_sentence(row, a)
        w.add("Segments", text, f"{a.capitalize()} vs rest", row, [a], effect="diff")
    worse = [r for r in _rows(s.by_dimension) if _usable(r) and r["worse"]]
    for row in sorted(worse, key=lambda r: r["diff"])[:TOP]:
        text = findings.segment_versus_sentence(row, a)
        source = f"{a.capitalize()} vs rest by dimension"
        w.add("Segments", text, source, row, [a, "dimension"], effect="diff")
    # Priorities: what sits in "Concentrate here", largest shortfall first
    focus = [
        r
        for r in _rows(b.ipa)
        if r.get("quadrant") == "Concentrate here" and r.get("flag", "ok") == "ok"
    ]
    for row in sorted(focus, key=lambda r: r["gap"] if r["gap"] is not None else 0)[:TOP]:
        text = findings.ipa_sentence(row)
        w.add("Priorities", text, "Importance-performance", row, ["stage", "item"])
    return tuple(w.items)


def segment_attribute(filters: views.Filters) -> str:
    """The attribute to compare in a report: the first of segment, channel, region that the view
    does not fix (comparing the one segment chosen with itself says nothing)."""
    return next((a for a in ATTRIBUTES if getattr(filters, a) is None), ATTRIBUTES[0])


def build_briefing(
    survey: views.Survey,
    filters: views.Filters,
    attribute: str | None = None,
    progress: Progress | None = None,
) -> Briefing:
    """Compute every table and finding of the report for one view.

    Parameters
    ----------
    survey : views.Survey
        The stored waves (:func:`gapmodel.views.load_survey`).
    filters : views.Filters
        The view: wave, comparison wave, respondent filters, stages, alpha and adjustment.
    attribute : {"segment", "channel", "region"}, optional
        Compared in the Segments section; default :func:`segment_attribute`.
    progress : callable, optional
        Called as ``progress(fraction, message)`` while it works (fractions 0 to 0.5).

    Returns
    -------
    Briefing
    """
    if survey.is_empty:
        raise ValueError("There are no waves to report on. Ingest a wave first.")
    progress = progress or _quiet
    f = survey.resolve(filters)
    attribute = attribute or segment_attribute(f)
    if attribute not in ATTRIBUTES:
        raise ValueError(f"Compare by one of {', '.join(ATTRIBUTES)}. Got {attribute!r}.")
    options = f.options()
    data = views.select(survey, f)
    if data.n_respondents == 0:
        raise ValueError(
            f"No respondent of wave {f.wave} matches this view ({exports.describe_filters(f)}). "
            "Widen the filters."
        )
    notes: list[str] = []
    if f.compare and views.select(survey, f, [f.compare]).n_respondents == 0:
        notes.append(
            f"No respondent of wave {f.compare} matches this view, so nothing is compared."
        )
        f = replace(f, compare="")
    progress(0.05, "Headline figures and journey map")
    overview = views.overview(survey, f)
    stages = views._labelled(gap_table(data, ["stage"], options), survey)
    items = views.journey(survey, f).items
    progress(0.2, "Change since the compared wave")
    trends = views.trends(survey, f)
    progress(0.3, "Segment differences")
    segments = views.segments(survey, f, attribute)
    progress(0.4, "Priorities")
    priorities = views.priorities(survey, f)
    wanted = ["gap", "ci_low", "ci_high", "p_adj", "padjust", "significant", "flag"]
    extra = [c for c in wanted if c not in priorities.ipa.columns]
    ipa = priorities.ipa.join(
        items.select("stage", "item", *extra), on=["stage", "item"], how="left"
    )
    briefing = Briefing(
        filters=f,
        waves=list(survey.waves),
        attribute=attribute,
        options=options,
        overview=overview,
        trends=trends,
        segments=segments,
        priorities=priorities,
        stages=stages,
        items=items,
        ipa=ipa,
        notes=tuple(notes),
    )
    progress(0.5, "Findings")
    return replace(briefing, findings=_write_findings(briefing))


# -- charts and figures ---------------------------------------------------------------------------
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
    out: dict[str, tuple[str, alt.TopLevelMixin]] = {
        "Journey": (
            "Gap (P - E) by stage and dimension; * significant, grey: fewer than "
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
    if b.segments.by_dimension.filter(pl.col("flag") != "suppressed").height:
        out["Segments"] = (
            f"Gap per dimension by {b.attribute}, 95% CI; filled diamonds are significantly "
            "worse than everyone else.",
            charts.segment_dots(b.segments.by_dimension, b.attribute),
        )
    if charts.ipa_points(b.priorities.ipa).height >= 2:
        out["Priorities"] = (
            "Importance against performance per item at each stage; lines at the grand means; "
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
    the shares dissatisfied / satisfied / delighted and the change since the compared wave."""
    suppressed = ("suppressed", f"fewer than {b.options.suppress_n} respondents")
    out = []
    overall = _rows(b.overview.overall)[0]
    if _usable(overall):
        sig = "significant" if overall["significant"] else "not significant"
        out.append(
            (
                "Overall gap (P - E)",
                f"{overall['gap']:+.2f}",
                f"95% CI {_ci(overall)}; {sig}; n = {overall['n']:,}",
            )
        )
        out.append(
            (
                "Dissatisfied / satisfied / delighted",
                " / ".join(
                    findings.percent(overall[k])
                    for k in ("share_dissatisfied", "share_satisfied", "share_delighted")
                ),
                "respondents with P < E, P = E, P > E",
            )
        )
    else:
        out.append(("Overall gap (P - E)", *suppressed))
    weighted = _rows(b.overview.weighted)
    if weighted and _usable(weighted[0]):
        row = weighted[0]
        how = (
            "weighted by allocated importance"
            if row["weighting"] == "allocations"
            else "no importance points: unweighted"
        )
        out.append(("Weighted gap", f"{row['gap']:+.2f}", f"95% CI {_ci(row)}; {how}"))
    change = _rows(b.overview.change)
    if not b.filters.compare:
        out.append(("Change", "-", "no comparison wave"))
    elif change and _usable(change[0]):
        row = change[0]
        verdict = (
            ("improved" if row["change"] > 0 else "worsened")
            if row["significant"]
            else "no significant change"
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
    for row in _rows(table):
        if _usable(row):
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
        return f"{row.get('stage_label') or ''}: {row.get('label') or row.get('item')}"

    out = {
        "Pain points": _table(
            b.overview.pain_points,
            [
                ("#", "key", lambda r: str(r["rank"])),
                ("Item at stage", "key", label),
                ("Gap", "gap", lambda r: f"{r['gap']:+.2f}"),
                ("95% CI", "ci", _ci),
                ("Adj. p", "p", lambda r: _p(r["p_adj"])),
                ("Dissatisfied", "share", lambda r: findings.percent(r["share_dissatisfied"])),
                ("n", "n", lambda r: f"{r['n']:,}"),
            ],
        )
    }
    if b.trends.change_dimensions is not None:
        out["Change"] = _table(
            b.trends.change_dimensions,
            [
                ("Dimension", "key", lambda r: str(r["dimension"]).capitalize()),
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
    out["Segments"] = _table(
        b.segments.overall,
        [
            (a.capitalize(), "key", lambda r: str(r[a])),
            ("Gap", "gap", lambda r: _fmt(r["gap"], "+.2f")),
            ("95% CI", "ci", _ci),
            ("Rest", "rest", lambda r: _fmt(r["gap_rest"], "+.2f")),
            ("Difference", "diff", lambda r: _fmt(r["diff"], "+.2f")),
            ("Adj. p", "p", lambda r: _p(r["p_adj"])),
            ("n", "n", lambda r: f"{r['n']:,}"),
        ],
    )
    return out


SECTION_TITLES = {
    "Headline": "Headline",
    "Journey": "The customer journey",
    "Pain points": "Top pain points",
    "Change": "What changed",
    "Trend": "Waves over time",
    "Segments": "Segment differences",
    "Priorities": "Importance and performance",
}


def _section_intro(b: Briefing, section: str) -> str | None:
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
            return "No item falls significantly short of expectations in this view."
        return (
            "Significant shortfalls ranked by fix-first score (shortfall x importance weight x "
            "share dissatisfied)."
        )
    if section == "Segments":
        unfiltered = (
            f" (the {b.attribute} filter is not applied here)"
            if getattr(b.filters, b.attribute)
            else ""
        )
        text = f"Each {b.attribute} against everyone else in this view{unfiltered}."
        return text if b.section("Segments") else f"{text} No difference can be shown: {small}."
    if section == "Priorities" and not b.section("Priorities"):
        return 'No item sits in "Concentrate here" with a gap that can be shown.'
    return None


# -- HTML ------------------------------------------------------------------------------------------
CSS = """
body{font-family:"DejaVu Sans","Liberation Sans",Arial,Helvetica,sans-serif;color:#222;
 margin:0 auto;max-width:980px;padding:24px 28px;line-height:1.45;font-size:15px}
h1{font-size:26px;margin:0 0 4px} h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #ddd;
 padding-bottom:4px} .sub{color:#555;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 12px;background:#fafafa}
.card .label{font-size:13px;color:#555} .card .value{font-size:24px;font-weight:bold}
.card .detail{font-size:12.5px;color:#444}
ul.findings{padding-left:20px} ul.findings li{margin:4px 0}
figure{margin:12px 0;page-break-inside:avoid;break-inside:avoid}
figure svg{max-width:100%;height:auto} figcaption{font-size:13px;color:#555}
table{border-collapse:collapse;font-size:13.5px;margin:10px 0;width:100%}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.num,th.num{text-align:right} td.num{white-space:nowrap}
table.method td:first-child{font-weight:bold;width:190px}
.note{color:#555;font-size:13.5px}
@media print{body{max-width:none;padding:0} h2{page-break-after:avoid}}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def safe_svg(svg: str, prefix: str = "chart") -> str:
    """An SVG from the chart renderer, re-serialised for inlining in HTML.

    Parsed as XML (so all text is escaped); scripts, foreign objects, images, event handlers,
    links and ``url()`` references that leave the document are removed; element ids get
    ``prefix`` so that several charts on one page do not share a gradient or clip path; the
    size follows the container (the ``viewBox`` keeps the aspect ratio).
    """
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    root = ET.fromstring(svg)
    ids = {e.get("id") for e in root.iter() if e.get("id")}

    def local_ref(match: re.Match) -> str:
        name = match.group(1)
        return f"url(#{prefix}-{name})" if name in ids else "none"

    for parent in root.iter():
        for child in list(parent):
            tag = child.tag.rsplit("}", 1)[-1].lower()
            if tag in ("script", "foreignobject", "iframe", "image", "a", "use"):
                parent.remove(child)
        for name in list(parent.attrib):
            local = name.rsplit("}", 1)[-1].lower()
            value = parent.attrib[name].strip()
            if local.startswith("on") or local == "href":
                del parent.attrib[name]
            elif local == "id":
                parent.set(name, f"{prefix}-{value}")
            elif "url(" in value.lower():
                fixed = re.sub(r"url\(\s*#([^)\s]+)\s*\)", local_ref, value)
                parent.set(name, re.sub(r"url\((?!#)[^)]*\)", "none", fixed))
    root.set("width", "100%")
    root.attrib.pop("height", None)
    root.set("role", "img")
    return ET.tostring(root, encoding="unicode")


def _html_table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(
        f'<th class="num">{_esc(h)}</th>' if j >= numeric_from else f"<th>{_esc(h)}</th>"
        for j, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_esc(c)}</td>' if j >= numeric_from else f"<td>{_esc(c)}</td>"
            for j, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(b: Briefing, progress: Progress | None = None) -> str:
    """The report as one self-contained HTML page.

    Returns
    -------
    str
        HTML5 with inline CSS and inline SVG charts; no scripts and no external resources
        (fonts, images, styles); every data text (labels, segment names, wave labels) escaped.
    """
    progress = progress or _quiet
    chart_list = report_charts(b)
    tables = report_tables(b)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(b.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(b.title)}</h1>",
        f'<p class="sub">{_esc(b.view_text)}. Generated {b.generated:%Y-%m-%d %H:%M}.</p>',
        *(f'<p class="note">{_esc(note)}</p>' for note in b.notes),
        '<div class="cards">',
    ]
    for label, value, detail in headline_figures(b):
        parts.append(
            f'<div class="card"><div class="label">{_esc(label)}</div>'
            f'<div class="value">{_esc(value)}</div><div class="detail">{_esc(detail)}</div></div>'
        )
    parts.append("</div>")
    parts.append(_html_findings(b.section("Headline")))
    order = ["Journey", "Pain points", "Change", "Trend", "Segments", "Priorities"]
    for k, section in enumerate(order):
        if section == "Trend" and "Trend" not in chart_list:
            continue
        parts.append(f"<h2>{_esc(SECTION_TITLES[section])}</h2>")
        intro = _section_intro(b, section)
        if intro:
            parts.append(f'<p class="note">{_esc(intro)}</p>')
        if section in chart_list:
            caption, chart = chart_list[section]
            svg = chart_export.chart_svg(chart, HTML_CHART_WIDTH)
            parts.append(
                f"<figure>{safe_svg(svg, f'chart{k}')}<figcaption>{_esc(caption)}</figcaption></figure>"
            )
        if section in tables and tables[section][1]:
            parts.append(
                _html_table(*tables[section], numeric_from=2 if section == "Pain points" else 1)
            )
        parts.append(_html_findings(b.section(section)))
        progress(0.5 + 0.45 * (k + 1) / len(order), f"Drew {SECTION_TITLES[section].lower()}")
    parts.append('<h2>Method</h2><table class="method"><tbody>')
    for topic, text in exports.method_rows(b.filters, b.waves, b.options):
        parts.append(f"<tr><td>{_esc(topic)}</td><td>{_esc(text)}</td></tr>")
    parts.append("</tbody></table></body></html>")
    progress(1.0, "Report ready")
    return "\n".join(parts)


def _html_findings(items: list[Finding]) -> str:
    if not items:
        return ""
    return '<ul class="findings">' + "".join(f"<li>{_esc(f.text)}</li>" for f in items) + "</ul>"


# -- PDF -------------------------------------------------------------------------------------------
def _unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, when the system has them (Debian: fonts-dejavu-core)."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def render_pdf(b: Briefing, progress: Progress | None = None) -> bytes:
    """The report as an A4 portrait PDF with PNG charts.

    Text uses DejaVu Sans when the system has it (any language); otherwise the built-in
    Helvetica, and characters outside Latin-1 print as ``?``.

    Returns
    -------
    bytes
        The PDF file: title and view, headline figures, then one section per topic (chart,
        table, findings), and the method; page numbers in the footer.
    """
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    progress = progress or _quiet
    font = _unicode_font()

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(family, "", 8)
            self.set_text_color(110)
            self.cell(0, 6, text(f"{b.title} - page {self.page_no()}/{{nb}}"), align="C")
            self.set_text_color(0)

    if font is not None:
        family = "DejaVu"

        def text(value: object) -> str:
            return str(value)
    else:
        family = "Helvetica"

        def text(value: object) -> str:
            return str(value).encode("latin-1", "replace").decode("latin-1")

    pdf = Report(orientation="P", unit="mm", format="A4")
    pdf.set_title(text(b.title))
    pdf.set_creator("gapmodel")
    if font is not None:
        pdf.add_font(family, "", str(font[0]))
        pdf.add_font(family, "B", str(font[1]))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    width = pdf.epw

    def png_size(png: bytes) -> tuple[float, float]:
        """Width and height in mm of a chart placed across the text width (shrunk to fit a
        page if it is taller)."""
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            w_px, h_px = im.size
        w, h = width, width * h_px / w_px
        most = pdf.eph - 30  # a heading and the caption share the page
        if h > most:
            w, h = w * most / h, most
        return w, h

    def heading(title: str, keep: float = 30.0, size: float = 14) -> None:
        """A section heading, on a new page unless ``keep`` mm fit below it."""
        if pdf.get_y() + 14 + keep > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(family, "B", size)
        pdf.multi_cell(width, size * 0.5, text(title), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(200)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + width, pdf.get_y() + 0.5)
        pdf.ln(2.5)

    def paragraph(value: str, size: float = 9.5, color: int = 0) -> None:
        pdf.set_font(family, "", size)
        pdf.set_text_color(color)
        pdf.multi_cell(width, size * 0.48, text(value), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.ln(1.2)

    def bullets(items: list[Finding]) -> None:
        pdf.set_font(family, "", 9.5)
        for finding in items:
            if pdf.get_y() + 10 > pdf.h - pdf.b_margin:
                pdf.add_page()
            pdf.set_x(pdf.l_margin)
            pdf.cell(4, 4.6, text("-"))
            pdf.multi_cell(
                width - 4, 4.6, text(finding.text), align="L", new_x="LMARGIN", new_y="NEXT"
            )
            pdf.ln(0.8)
        pdf.ln(1)

    def image(png: bytes, caption: str) -> None:
        w, h = png_size(png)
        if pdf.get_y() + h + 8 > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin + (width - w) / 2, y=pdf.get_y(), w=w, h=h)
        pdf.set_y(pdf.get_y() + h + 1)
        paragraph(caption, size=8.5, color=90)

    def table(
        headers: list[str],
        rows: list[list[str]],
        widths: tuple[float, ...],
        align: tuple[str, ...] | None = None,
    ) -> None:
        pdf.set_font(family, "", 8.5)
        if pdf.get_y() + 20 > pdf.h - pdf.b_margin:  # the header with at least two rows
            pdf.add_page()
        with pdf.table(
            col_widths=widths,
            width=width,
            text_align=align or ("LEFT",) * 2 + ("RIGHT",) * (len(headers) - 2),
            headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240)),
            line_height=4.4,
            borders_layout="HORIZONTAL_LINES",
            padding=0.8,
        ) as grid:
            for cells in [headers, *rows]:
                line = grid.row()
                for cell in cells:
                    line.cell(text(cell))
        pdf.ln(2)

    # Title and headline
    pdf.set_font(family, "B", 18)
    pdf.multi_cell(width, 9, text(b.title), align="L", new_x="LMARGIN", new_y="NEXT")
    paragraph(
        f"{b.view_text}. Generated {b.generated:%Y-%m-%d %H:%M}.",
        size=9.5,
        color=80,
    )
    for note in b.notes:
        paragraph(note, color=60)
    table(
        ["Headline figure", "Value", "Detail"],
        [list(figure) for figure in headline_figures(b)],
        (52, 30, 98),
        ("LEFT", "RIGHT", "LEFT"),
    )
    bullets(b.section("Headline"))
    chart_list = report_charts(b)
    tables = report_tables(b)
    widths = {
        "Pain points": (7, 67, 15, 31, 15, 25, 20),
        "Change": (29, 16, 16, 16, 29, 18, 18, 15, 23),
        "Segments": (44, 18, 34, 18, 22, 20, 24),
    }
    order = ["Journey", "Pain points", "Change", "Trend", "Segments", "Priorities"]
    for k, section in enumerate(order):
        if section == "Trend" and "Trend" not in chart_list:
            continue
        png = None
        if section in chart_list:
            png = chart_export.chart_png(
                chart_list[section][1],
                PDF_CHART_WIDTH,
                PDF_CHART_HEIGHTS.get(section),
                scale=PDF_CHART_SCALE,
            )
        intro = _section_intro(b, section)
        heading(SECTION_TITLES[section], keep=png_size(png)[1] + 12 if png else 30)
        if intro:
            paragraph(intro, color=70)
        if png is not None:
            image(png, chart_list[section][0])
        if section in tables and tables[section][1]:
            table(*tables[section], widths[section])
        bullets(b.section(section))
        progress(0.5 + 0.45 * (k + 1) / len(order), f"Drew {SECTION_TITLES[section].lower()}")
    heading("Method")
    pdf.set_font(family, "", 8.5)
    with pdf.table(
        col_widths=(44, 136),
        width=width,
        text_align=("LEFT", "LEFT"),
        line_height=4.2,
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=False,
        padding=0.8,
    ) as grid:
        for topic, statement in exports.method_rows(b.filters, b.waves, b.options):
            line = grid.row()
            line.cell(text(topic), style=FontFace(emphasis="BOLD"))
            line.cell(text(statement))
    progress(1.0, "Report ready")
    return bytes(pdf.output())


# -- workbook --------------------------------------------------------------------------------------
def render_xlsx(b: Briefing, progress: Progress | None = None) -> bytes:
    """The report as a workbook: a Findings sheet, every table it draws on, and the Method.

    Returns
    -------
    bytes
        The .xlsx file of :func:`gapmodel.exports.workbook`: sheet ``Findings`` (``section,
        finding, source, key, effect, ci_low, ci_high, p_adj, n``: each sentence and the row it
        was written from; ``source`` names the sheet), the sheets of :meth:`Briefing.tables`,
        and ``Method``.
    """
    progress = progress or _quiet

    def step(fraction: float, message: str) -> None:
        progress(0.5 + 0.5 * fraction, message)

    tables = {"Findings": b.findings_table(), **b.tables()}
    return exports.workbook(tables, b.filters, b.waves, b.options, progress=step)


# -- entry point -----------------------------------------------------------------------------------
def report_bytes(
    survey: views.Survey,
    filters: views.Filters,
    fmt: str = "html",
    attribute: str | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The management report of one view as a file.

    For the dashboard's "Report" download (and ``python -m gapmodel report``). ``progress`` has
    the signature of Streamlit's ``st.progress(value, text)`` bar's ``.progress``: pass
    ``bar.progress`` to show how far it got.

    Parameters
    ----------
    survey : views.Survey
        The stored waves (:func:`gapmodel.views.load_survey`).
    filters : views.Filters
        The view (the sidebar's filters).
    fmt : {"html", "pdf", "xlsx"}
        File format; ``MEDIA_TYPES[fmt]`` is its media type.
    attribute : {"segment", "channel", "region"}, optional
        Compared in the Segments section; default :func:`segment_attribute`.
    progress : callable, optional
        Called as ``progress(fraction, message)``, fraction from 0 to 1.

    Returns
    -------
    bytes
        HTML (UTF-8, self-contained), PDF (A4 portrait) or XLSX (Findings, tables, Method).
    """
    if fmt not in REPORT_FORMATS:
        raise ValueError(
            f"The report format must be one of {', '.join(REPORT_FORMATS)}. Got {fmt!r}."
        )
    return render(build_briefing(survey, filters, attribute, progress), fmt, progress)


def render(b: Briefing, fmt: str, progress: Progress | None = None) -> bytes:
    """A computed :class:`Briefing` as a file: ``html`` (UTF-8), ``pdf`` or ``xlsx`` bytes."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(
            f"The report format must be one of {', '.join(REPORT_FORMATS)}. Got {fmt!r}."
        )
    if fmt == "html":
        return render_html(b, progress).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(b, progress)
    return render_xlsx(b, progress)
