"""The content of the management report for one view: every table and finding, computed once."""

from __future__ import annotations

from dataclasses import replace

from gapmodel import views
from gapmodel.model.gaps import gap_table
from gapmodel.render.method import describe_filters
from gapmodel.render.progress import Progress, quiet
from gapmodel.render.report.briefing import Briefing
from gapmodel.render.report.sentences import write_findings


def segment_attribute(survey: views.Survey, filters: views.Filters) -> str | None:
    """The attribute to compare in a report: the first the survey offers that the view does not
    fix (comparing the one segment chosen with itself says nothing); None without attributes."""
    free = [a for a in survey.attributes if a not in filters.where]
    return (free or survey.attributes or [None])[0]


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
    attribute : str, optional
        The respondent attribute compared in the Segments section; default
        :func:`segment_attribute`. A survey without attributes has no Segments section.
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
    attribute = attribute or segment_attribute(survey, f)
    if attribute is not None and attribute not in survey.attributes:
        raise ValueError(
            f"Compare by one of {', '.join(survey.attributes) or 'no attribute'}. "
            f"Got {attribute!r}."
        )
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
    segments = None if attribute is None else views.segments(survey, f, attribute)
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
