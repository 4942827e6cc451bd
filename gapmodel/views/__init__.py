"""What each page shows and the sentences that state its findings.

The page functions and their views are one namespace: ``views.overview(survey, filters)``
returns a ``views.Overview``.
"""

from gapmodel.views.pages import (
    DETAIL_GROUPINGS,
    TOP_PAIN_POINTS,
    Details,
    Journey,
    Overview,
    Priorities,
    Segments,
    Trends,
    detail_groupings,
    details,
    journey,
    overview,
    priorities,
    segments,
    trends,
)
from gapmodel.views.survey import (
    Filters,
    Survey,
    labelled,
    load_survey,
    respondent_count,
    select,
)

__all__ = [
    "DETAIL_GROUPINGS",
    "TOP_PAIN_POINTS",
    "Details",
    "Filters",
    "Journey",
    "Overview",
    "Priorities",
    "Segments",
    "Survey",
    "Trends",
    "detail_groupings",
    "details",
    "journey",
    "labelled",
    "load_survey",
    "overview",
    "priorities",
    "respondent_count",
    "segments",
    "select",
    "trends",
]
