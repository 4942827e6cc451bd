"""The standard set of tables the dashboard shows, computed together from shared histograms."""

from __future__ import annotations

import polars as pl

from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table, histograms


def gap_groupings(attribute: str | None) -> dict[str, tuple[str, ...]]:
    """The gap tables of the standard set, name -> keys; the ``segment_*`` tables break down by
    ``attribute`` and are left out without one."""
    tables = {
        "item_stage": ("stage", "item"),
        "dimension_stage": ("stage", "dimension"),
        "stage": ("stage",),
        "overall": (),
        "element_stage": ("element", "stage"),
        "segment_dimension": (attribute, "dimension"),
        "wave_dimension": ("wave", "dimension"),
        "segment_item_stage": (attribute, "stage", "item"),
        "wave_item_stage": ("wave", "stage", "item"),
    }
    return {name: by for name, by in tables.items() if None not in by}


GAP_TABLES = gap_groupings("segment")  # the demo's set, as the benchmark times it


def standard_tables(
    data: GapData, options: TableOptions | None = None, attribute: str | None = None
) -> dict[str, pl.DataFrame]:
    """Every gap table of the standard set, the trend between the last two waves, and segments.

    Parameters
    ----------
    data : GapData
        Prepared responses.
    options : TableOptions, optional
        Adjustment, alpha and small-group thresholds.
    attribute : str, optional
        The respondent attribute compared in the segment tables; default: the data's first
        (no segment tables when the data has none).

    Returns
    -------
    dict of str to pl.DataFrame
        The gap tables of :func:`gap_groupings`; ``trend_item_stage`` and ``trend_dimension``
        (only with two or more waves: earliest-to-latest in the order of the data is not
        assumed, the last two labels in sorted order are compared); ``segments_dimension``
        (each segment against the rest) and ``segments_across`` (Welch ANOVA).
    """
    options = options or TableOptions.from_settings()
    if attribute is None and data.attributes:
        attribute = data.attributes[0]
    named = gap_groupings(attribute)
    groupings = [list(by) for by in named.values()] + [["dimension"], ["wave", "dimension"]]
    histograms(data).warm(groupings)
    tables = {name: gap_table(data, by, options) for name, by in named.items()}
    waves = sorted(data.respondents["wave"].unique().cast(pl.String).to_list())
    if len(waves) >= 2:
        tables["trend_item_stage"] = trend(data, waves[-2], waves[-1], ("stage", "item"), options)
        tables["trend_dimension"] = trend(data, waves[-2], waves[-1], ("dimension",), options)
    if attribute is not None:
        tables["segments_dimension"] = segment_gaps(data, attribute, ("dimension",), options)
        tables["segments_across"] = segment_differences(data, attribute, ("dimension",), options)
    return tables
