"""The gap table's reference: a plain loop over respondents with scipy, and a tolerance."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.weightstats import ttost_paired

TOLERANCE = Fraction(1, 2)  # the default band of the customer shares and the TOST margin
# The statistics of a gap table that the loop checks (the third shares follow from the others).
STATISTICS = (
    "n",
    "gap",
    "mean_e",
    "t",
    "p_val",
    "w",
    "p_wilcoxon",
    "people_below",
    "people_within",
    "answers_below",
    "answers_equal",
    "p_tost",
)


def loop_table(frame: pl.DataFrame, by: list[str]) -> dict[tuple, dict]:
    """Plain loop: per group, each respondent's mean gap over complete pairs, then scipy; the
    answer shares over the pairs, the customer shares against the +/-0.5 band in exact
    fractions, the equivalence test with statsmodels."""
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
        p_means = np.array([np.mean([p for _, p in pairs]) for pairs in people.values()])
        exact = [Fraction(sum(p - e for e, p in pairs), len(pairs)) for pairs in people.values()]
        answers = [p - e for pairs in people.values() for e, p in pairs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = stats.ttest_1samp(g, 0.0)  # = stats.ttest_rel(p_means, e_means)
            w = stats.wilcoxon(g, zero_method="pratt", correction=False, method="asymptotic")
            # statsmodels: TOST of mean(P - E) within (-0.5, 0.5)
            tost = ttost_paired(p_means, e, -float(TOLERANCE), float(TOLERANCE))[0]
        out[key] = {
            "n": g.size,
            "gap": g.mean(),
            "mean_e": e.mean(),
            "t": t.statistic,
            "p_val": t.pvalue,
            "w": w.statistic,
            "p_wilcoxon": w.pvalue,
            "p_tost": tost,
            "people_below": np.mean([x < -TOLERANCE for x in exact]),
            "people_within": np.mean([abs(x) <= TOLERANCE for x in exact]),
            "people_above": np.mean([x > TOLERANCE for x in exact]),
            "answers_below": np.mean([d < 0 for d in answers]),
            "answers_equal": np.mean([d == 0 for d in answers]),
            "answers_above": np.mean([d > 0 for d in answers]),
        }
    return out


def close(a, b, rel=1e-9) -> bool:
    if a is None or (isinstance(b, float) and np.isnan(b)):
        return a is None and (b is None or np.isnan(b))
    return a == pytest.approx(b, rel=rel, abs=1e-300)
