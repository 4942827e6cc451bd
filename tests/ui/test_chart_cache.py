"""The dashboard's cache of chart specifications is keyed by every row of the chart's table."""

from __future__ import annotations

import warnings

import polars as pl

from gapmodel.render import charts


def _bars(gaps: list[float]) -> pl.DataFrame:
    n = len(gaps)
    return pl.DataFrame(
        {
            "label": [f"Item {i:02d}" for i in range(n)],
            "gap": gaps,
            "ci_low": [g - 0.1 for g in gaps],
            "ci_high": [g + 0.1 for g in gaps],
            "mean_e": [5.0] * n,
            "mean_p": [5.0 + g for g in gaps],
            "p_adj": [0.01] * n,
            "n": [100] * n,
            "flag": ["ok"] * n,
            "significant": [True] * n,
        }
    )


def test_tables_differing_only_in_middle_rows_get_their_own_charts():
    with warnings.catch_warnings():  # no Streamlit runtime here: the cache is in memory
        warnings.simplefilter("ignore")
        from ui import components

        gaps = [-1.0 + i / 40 for i in range(40)]
        changed = [*gaps[:20], 0.75, *gaps[21:]]  # row 20 of 40 only
        first = components.chart("ranked_gaps", _bars(gaps), selectable=False)
        second = components.chart("ranked_gaps", _bars(changed), selectable=False)
        again = components.chart("ranked_gaps", _bars(gaps), selectable=False)
    assert first != second
    assert first == again
    direct = charts.finish(charts.ranked_gaps(_bars(changed), selectable=False))
    values = second["datasets"][second["data"]["name"]]
    assert values == direct.to_dict(validate=False)["datasets"][second["data"]["name"]]
