"""Text alternatives of charts: what a chart shows, in one or two sentences a screen reader
reads, written from the table it draws."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from gapmodel.core.vocabulary import name_label


def chart_text(
    title: str, table: pl.DataFrame, names: Sequence[str], value: str = "gap", unit: str = "gap"
) -> str:
    """``title``, how many values it shows, and the lowest and highest of them by name.

    Parameters
    ----------
    title : str
        What the chart shows, e.g. "Gap by stage and dimension".
    table : pl.DataFrame
        The rows the chart draws (suppressed rows are left out).
    names : sequence of str
        Columns whose values name a row, joined with ", " (e.g. ``dimension_label`` or
        ``stage_label, label``).
    value, unit : str
        The column drawn and how the sentence calls it.

    Examples
    --------
    >>> t = pl.DataFrame({"dimension": ["Empathy", "Tangibles"], "gap": [-0.9, 0.1], "flag": "ok"})
    >>> chart_text("Gap by dimension", t, ["dimension"])
    'Gap by dimension, 2 values. Lowest gap: Empathy, -0.90. Highest gap: Tangibles, +0.10.'
    """
    shown = table
    if "flag" in table.columns:
        shown = shown.filter(pl.col("flag") != "suppressed")
    shown = shown.filter(pl.col(value).is_not_null())
    if shown.is_empty():
        return f"{title}: no group has enough respondents to show."
    present = [c for c in names if c in shown.columns]

    def name(row: dict) -> str:
        return ", ".join(name_label(str(row[c])) for c in present if row[c] is not None)

    ordered = shown.sort(value)
    low, high = ordered.row(0, named=True), ordered.row(-1, named=True)
    text = f"{title}, {shown.height} values. Lowest {unit}: {name(low)}, {low[value]:+.2f}."
    if shown.height > 1:
        text += f" Highest {unit}: {name(high)}, {high[value]:+.2f}."
    return text
