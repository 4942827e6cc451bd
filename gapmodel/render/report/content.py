"""The content of the management report for one view: every table and finding, computed once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import polars as pl

from gapmodel import views
from gapmodel.core.vocabulary import ATTRIBUTES
from gapmodel.model.gaps import TableOptions, gap_table
from gapmodel.render.method import describe_filters
from gapmodel.render.progress import Progress, quiet
from gapmodel.render.report.sentences import write_findings
from gapmodel.views.findings import Finding

SECTIONS = ("Headline", "Journey", "Pain points", "Change", "Segments", "Priorities")


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
    progress = progress or quiet
    f = survey.resolve(filters)
    attribute = attribute or segment_attribute(f)
    if attribute not in ATTRIBUTES:
        raise ValueError(f"Compare by one of {', '.join(ATTRIBUTES)}. Got {attribute!r}.")
    options = f.options()
    data = views.select(survey, f)
    if data.n_respondents == 0:
        raise ValueError(
            f"No respondent of wave {f.wave} matches this view ({describe_filters(f)}). "
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
    stages = views.labelled(gap_table(data, ["stage"], options), survey)
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
    return replace(briefing, findings=write_findings(briefing))
