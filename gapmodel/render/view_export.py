"""The tables of one dashboard page as a workbook, named as the page names them."""

from __future__ import annotations

import polars as pl

from gapmodel import views
from gapmodel.core.vocabulary import name_label
from gapmodel.render.progress import Progress
from gapmodel.render.workbook import workbook
from gapmodel.views.findings import groups_of

VIEW_SHEETS: dict[type, dict[str, str]] = {
    views.Overview: {
        "overall": "Overall gap",
        "weighted": "Weighted gap",
        "change": "Overall change",
        "journey": "Journey map",
        "pain_points": "Top pain points",
        "targets": "Targets",
    },
    views.Journey: {
        "items": "Items by stage",
        "elements": "Human vs technical",
        "element_test": "Human against technical",
    },
    views.Details: {
        "gaps": "Gap table",
        "reliability": "Reliability",
        "zone_items": "Zone of tolerance - items",
        "zone_dimensions": "Zone of tolerance - dimensions",
    },
    views.Segments: {
        "overall": "{A} vs rest",
        "by_dimension": "{A} vs rest by dimension",
        "across_overall": "Across {a}",
        "across_dimensions": "Across {a} by dimension",
        "by_stage": "{A} by stage",
    },
    views.Trends: {
        "by_wave": "Gap by wave",
        "by_wave_dimension": "Gap by wave and dimension",
        "change_dimensions": "Change by dimension",
        "change_items": "Change by item",
    },
    views.Priorities: {"ipa": "Importance-performance", "fix_first": "Fix first"},
}


def view_tables(view: object) -> dict[str, pl.DataFrame]:
    """Every table of a page view, titled for sheets, in the order the page shows them.

    Parameters
    ----------
    view : views.Overview, Journey, Details, Segments, Trends or Priorities
        What a page function of :mod:`gapmodel.views` returned.

    Returns
    -------
    dict of str to pl.DataFrame
        Title -> table; tables that are None (no comparison wave, no adequate scores) are
        left out.
    """
    titles = VIEW_SHEETS.get(type(view))
    if titles is None:
        raise ValueError(
            "Give a page view of gapmodel.views (Overview, Journey, Details, Segments, Trends "
            f"or Priorities). Got {type(view).__name__}."
        )
    attribute = getattr(view, "attribute", "")
    out = {}
    for field, title in titles.items():
        table = getattr(view, field)
        if table is not None:
            out[sheet_title(title, attribute)] = table
    return out


def sheet_title(template: str, attribute: str) -> str:
    """A sheet title of ``VIEW_SHEETS`` for an attribute: ``{A} vs rest`` -> ``Segment vs rest``,
    ``Across {a}`` -> ``Across segments`` or ``Across groups of Age band``.

    Examples
    --------
    >>> sheet_title("Across {a} by dimension", "Age band")
    'Across groups of Age band by dimension'
    """
    return template.format(A=name_label(attribute), a=groups_of(attribute))


def view_waves(view: object) -> list[str]:
    """The waves a page view draws on: its wave, its comparison, and any ``wave`` column."""
    filters: views.Filters = view.filters
    waves = [w for w in (filters.compare, filters.wave) if w]
    for table in view_tables(view).values():
        if "wave" in table.columns:
            waves += table["wave"].cast(pl.String).unique(maintain_order=True).to_list()
    return list(dict.fromkeys(waves))


def view_workbook(view: object, progress: Progress | None = None) -> bytes:
    """The workbook of one page: every table the page shows, plus the Method sheet.

    For the download button of each page: pass what ``views.overview`` (Overview),
    ``views.journey`` (Journey), ``views.details`` (Details), ``views.segments`` (Segments),
    ``views.trends`` (Trends) or ``views.priorities`` (Priorities) returned.

    Returns
    -------
    bytes
        The .xlsx file of :func:`workbook`: sheets named as in ``VIEW_SHEETS`` (e.g. Overview:
        ``Overall gap, Weighted gap, Overall change, Journey map, Top pain points``), then
        ``Method`` stating the view's filters and waves.
    """
    return workbook(view_tables(view), view.filters, view_waves(view), progress=progress)
