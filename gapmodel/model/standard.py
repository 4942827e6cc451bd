"""The standard set of tables the dashboard shows, computed together from shared histograms."""

from __future__ import annotations

import polars as pl

from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table, histograms

GAP_TABLES: dict[str, tuple[str, ...]] = {
    "item_stage": ("stage", "item"),
    "dimension_stage": ("stage", "dimension"),
    "stage": ("stage",),
    "overall": (),
    "element_stage": ("element", "stage"),
    "segment_dimension": ("segment", "dimension"),
    "wave_dimension": ("wave", "dimension"),
    "segment_item_stage": ("segment", "stage", "item"),
    "wave_item_stage": ("wave", "stage", "item"),
}


def standard_tables(
    data: GapData, options: TableOptions | None = None, attribute: str = "segment"
) -> dict[str, pl.DataFrame]:
    """Every gap table of the standard set, the trend between the last two waves, and segments.

    Parameters
    ----------
    data : GapData
        Prepared responses.
    options : TableOptions, optional
        Adjustment, alpha and small-group thresholds.
    attribute : str
        The respondent attribute compared in the segment tables.

    Returns
    -------
    dict of str to pl.DataFrame
        The gap tables named in ``GAP_TABLES``; ``trend_item_stage`` and ``trend_dimension``
        (only with two or more waves: earliest-to-latest in the order of the data is not
        assumed, the last two labels in sorted order are compared); ``segments_dimension``
        (each segment against the rest) and ``segments_across`` (Welch ANOVA).
    """
    options = options or TableOptions.from_settings()
    groupings = [list(by) for by in GAP_TABLES.values()]
    groupings += [[attribute, "dimension"], ["dimension"], ["wave", "dimension"]]
    histograms(data).warm(groupings)
    tables = {name: gap_table(data, by, options) for name, by in GAP_TABLES.items()}
    waves = sorted(data.respondents["wave"].unique().cast(pl.String).to_list())
    if len(waves) >= 2:
        tables["trend_item_stage"] = trend(data, waves[-2], waves[-1], ("stage", "item"), options)
        tables["trend_dimension"] = trend(data, waves[-2], waves[-1], ("dimension",), options)
    tables["segments_dimension"] = segment_gaps(data, attribute, ("dimension",), options)
    tables["segments_across"] = segment_differences(data, attribute, ("dimension",), options)
    return tables
