"""Everything the management report shows for one view, computed once (:class:`Briefing`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from gapmodel import views
from gapmodel.model.gaps import TableOptions
from gapmodel.render.method import describe_filters
from gapmodel.render.view_export import view_tables
from gapmodel.views.findings import Finding

# The sections after the headline, in the order a report prints them.
SECTION_ORDER = ("Journey", "Pain points", "Change", "Trend", "Segments", "Priorities")
SECTION_TITLES = {
    "Headline": "Headline",
    "Journey": "The customer journey",
    "Pain points": "Top pain points",
    "Change": "What changed",
    "Trend": "Waves over time",
    "Segments": "Segment differences",
    "Priorities": "Importance and performance",
}
# The sections that hold findings: the headline, and every section but the chart of waves.
SECTIONS = ("Headline", *(s for s in SECTION_ORDER if s != "Trend"))


@dataclass(frozen=True)
class Briefing:
    """Everything a report shows for one view, computed once.

    Attributes
    ----------
    filters : views.Filters
        The resolved view (explicit wave and comparison; ``compare == ""`` for none).
    waves : list of str
        Every stored wave, oldest first (the trend chart shows them all).
    attribute : str or None
        The respondent attribute whose values are compared in the Segments section (None for
        a survey without attributes: no Segments section).
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
    attribute: str | None
    options: TableOptions
    overview: views.Overview
    trends: views.Trends
    segments: views.Segments | None
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
        text = describe_filters(self.filters)
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
            Change by item`` (with a comparison), the Segments page's sheets (``Segment vs
            rest``, ...; :func:`gapmodel.render.view_export.sheet_title`),
            ``Importance-performance``, ``Fix first``.
        """
        o, t, s, p = self.overview, self.trends, self.segments, self.priorities
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
            **(view_tables(s) if s is not None else {}),
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


def table_rows(table: pl.DataFrame | None) -> list[dict]:
    """The rows of a report table as dicts, enums as text (none for a missing table)."""
    if table is None:
        return []
    return table.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String)).to_dicts()


def usable(row: Mapping) -> bool:
    """Whether a row may be reported: a suppressed group gives no sentence and no number."""
    return row.get("flag") != "suppressed"
