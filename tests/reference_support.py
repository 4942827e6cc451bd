"""The gap table's reference: a plain loop over respondents with scipy, and a tolerance."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from scipy import stats


def loop_table(frame: pl.DataFrame, by: list[str]) -> dict[tuple, dict]:
    """Plain loop: per group, each respondent's mean gap over complete pairs, then scipy."""
    groups: dict[tuple, dict[tuple, list]] = {}
    for row in frame.iter_rows(named=True):
        if row["expectation"] is None or row["perception"] is None:
            continue
        key = tuple(str(row[k]) for k in by)
        person = groups.setdefault(key, {}).setdefault((row["wave"], row["respondent"]), [])
        person.append((row["expectation"], row["perception"]))
    out = {}
    for key, people in groups.items():
        g = np.array([np.mean([p - e for e, p in pairs]) for pairs in people.values()])
        e = np.array([np.mean([e for e, _ in pairs]) for pairs in people.values()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = stats.ttest_1samp(g, 0.0)  # = stats.ttest_rel(p_means, e_means)
            w = stats.wilcoxon(g, zero_method="pratt", correction=False, method="asymptotic")
        out[key] = {
            "n": g.size,
            "gap": g.mean(),
            "mean_e": e.mean(),
            "t": t.statistic,
            "p_val": t.pvalue,
            "w": w.statistic,
            "p_wilcoxon": w.pvalue,
            "share_dissatisfied": (g < 0).mean(),
            "share_satisfied": (g == 0).mean(),
        }
    return out


def close(a, b, rel=1e-9) -> bool:
    if a is None or (isinstance(b, float) and np.isnan(b)):
        return a is None and (b is None or np.isnan(b))
    return a == pytest.approx(b, rel=rel, abs=1e-300)
