"""The statistics of gapmodel.model.stats against independent references (scipy, statsmodels, the
textbook formulas), on seeded data, to 1e-9 where both are exact.

Null in a frame stands for NaN in scipy: ``histogram_stats`` turns every NaN into null.
"""

from __future__ import annotations

import math
import statistics
import warnings

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttost_paired

from gapmodel.model.stats import (
    STAT_COLUMNS,
    adjust_pvalues,
    cronbach_alpha,
    histogram_stats,
    welch_anova,
    welch_t,
)

RTOL = 1e-9
ATOL = 1e-12  # only matters for p-values near 0


# builders and reference -----------------------------------------------------------------------


def respondent_means(rng: np.random.Generator, n: int, k: int, shift: float = 0.0):
    """E, P and gap means of ``n`` respondents over ``k`` items each (1..7 scores).

    The gap of a respondent is the mean of its P - E (sum / k), as the gap model takes it, so
    values like 2/3 and 1/2 come out with many ties.
    """
    e = rng.integers(1, 8, (n, k))
    p = np.clip(e + rng.integers(-2, 3, (n, k)) + np.rint(shift * rng.random((n, k))), 1, 7)
    return e.sum(1) / k, p.sum(1) / k, (p - e).sum(1) / k


def split_histogram(
    rng: np.random.Generator, groups: dict[tuple, np.ndarray], keys: list[str]
) -> pl.DataFrame:
    """Histogram ``keys, value, count`` of each group's values, each count split at random over
    one to three rows (so a value appears in several rows of its group) and rows shuffled."""
    rows = []
    for key, values in groups.items():
        uniq, counts = np.unique(values, return_counts=True)
        for value, count in zip(uniq, counts, strict=True):
            cuts = np.sort(rng.integers(0, count + 1, rng.integers(0, 3)))
            parts = np.diff(np.concatenate([[0], cuts, [count]]))
            rows += [(*key, float(value), int(part)) for part in parts if part > 0]
    order = rng.permutation(len(rows))
    schema = {**{k: pl.String for k in keys}, "value": pl.Float64, "count": pl.Int64}
    return pl.DataFrame([rows[i] for i in order], schema=schema, orient="row")


def scipy_row(g: np.ndarray) -> dict[str, float]:
    """Every statistic of one group from scipy and numpy, written out independently."""
    n = g.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = stats.ttest_1samp(g, 0.0)  # scipy: stats.ttest_1samp(g, 0)
        w = stats.wilcoxon(g, zero_method="pratt", correction=False, method="asymptotic")
        sd = float(np.std(g, ddof=1)) if n > 1 else math.nan
        se = sd / math.sqrt(n)
        half = stats.t.ppf(0.975, n - 1) * se if n > 1 else math.nan
        dz = g.mean() / sd if n > 1 else math.nan  # +-inf when sd is 0 and the mean is not
        # statsmodels: TOST of mean(g) within (0, 0), the default tolerance of histogram_stats
        tost = ttost_paired(g, np.zeros(n), 0.0, 0.0)[0] if n > 1 else math.nan
    return {
        "n": n,
        "gap": g.mean(),
        "sd": sd,
        "se": se,
        "ci_low": g.mean() - half,
        "ci_high": g.mean() + half,
        "t": float(t.statistic),
        "dof": int(t.df),
        "p_val": float(t.pvalue),
        "w": float(w.statistic),
        "p_wilcoxon": float(w.pvalue),
        "p_tost": float(tost),
        "dz": float(dz),
        "people_below": float(np.mean(g < 0)),
        "people_within": float(np.mean(g == 0)),
        "people_above": float(np.mean(g > 0)),
    }


def assert_same(got, expected, what="") -> None:
    """``got`` (None for null) equals ``expected`` (NaN for undefined) to RTOL / ATOL."""
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        assert got is None, f"{what}: expected null, got {got!r}"
        return
    assert got is not None, f"{what}: expected {expected!r}, got null"
    if math.isinf(expected):
        assert got == expected, f"{what}: expected {expected!r}, got {got!r}"
        return
    assert got == pytest.approx(expected, rel=RTOL, abs=ATOL), what


# histogram_stats ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_histogram_stats_matches_scipy_per_group(seed):
    """Several groups in one histogram, fractional gaps with ties, values split over rows:
    every column equals scipy's ttest_1samp / wilcoxon(pratt) and the hand formulas."""
    rng = np.random.default_rng(seed)
    sizes = {("encounter", "a"): (40, 3), ("encounter", "b"): (7, 2), ("post", "a"): (120, 4)}
    sizes[("post", "b")] = (25, 1)
    sizes[("pre", None)] = (60, 6)  # a null key is a group of its own
    groups = {
        key: respondent_means(rng, n, k, shift=0.8 * i)[2]
        for i, (key, (n, k)) in enumerate(sizes.items())
    }
    keys = ["stage", "segment"]
    table = histogram_stats(split_histogram(rng, groups, keys), keys)
    assert table.columns == [*keys, *STAT_COLUMNS]
    assert table.height == len(groups)
    for row in table.iter_rows(named=True):
        expected = scipy_row(groups[(row["stage"], row["segment"])])
        for column in STAT_COLUMNS:
            assert_same(row[column], expected[column], f"{row['stage']}/{column}")


@pytest.mark.parametrize("seed", [3, 4])
def test_histogram_stats_equals_ttest_rel_of_e_and_p(seed):
    """The t-test of the respondent gaps is the paired test of respondent mean P and mean E.
    scipy computes P - E itself, which may differ from the gap in the last bit, so this holds to
    1e-9 rather than exactly."""
    rng = np.random.default_rng(seed)
    e, p, g = respondent_means(rng, 80, 3, shift=0.5)
    row = histogram_stats(split_histogram(rng, {(): g}, []), []).row(0, named=True)
    ref = stats.ttest_rel(p, e)  # scipy: stats.ttest_rel(p, e)
    assert row["t"] == pytest.approx(ref.statistic, rel=RTOL)
    assert row["p_val"] == pytest.approx(ref.pvalue, rel=RTOL, abs=ATOL)
    assert row["dof"] == ref.df


def test_histogram_stats_split_rows_and_partitions_add_up():
    """The same group given as one row per value, one row per respondent, or as the
    concatenated histograms of two partitions of its respondents gives identical statistics."""
    rng = np.random.default_rng(5)
    g = respondent_means(rng, 90, 2)[2]
    merged = histogram_stats(split_histogram(rng, {(): g}, []), [])
    singles = histogram_stats(pl.DataFrame({"value": g, "count": np.ones(g.size, np.int64)}), [])
    halves = pl.concat(
        [split_histogram(rng, {(): g[:30]}, []), split_histogram(rng, {(): g[30:]}, [])]
    )
    parts = histogram_stats(halves, [])
    for other in (singles, parts):
        for column in STAT_COLUMNS:
            assert_same(other[column][0], merged[column][0], column)


def test_histogram_stats_docstring_example_by_hand():
    """-1 x 3, 0, 2: n 5, mean -0.2, sum of squares 3 * 0.64 + 0.04 + 4.84 = 6.8 so
    sd = sqrt(6.8 / 4); |gaps| ranked 1 (the zero), 3, 3, 3, 5 so W = min(R+ = 5, R- = 9)."""
    hist = pl.DataFrame({"value": [-1.0, 0.0, 2.0], "count": [3, 1, 1]})
    row = histogram_stats(hist, []).row(0, named=True)
    assert row["n"] == 5
    assert row["gap"] == pytest.approx(-0.2, rel=RTOL)
    assert row["sd"] == pytest.approx(math.sqrt(6.8 / 4), rel=RTOL)
    assert row["w"] == 5.0
    assert (row["people_below"], row["people_within"], row["people_above"]) == (
        pytest.approx(0.6),
        pytest.approx(0.2),
        pytest.approx(0.2),
    )


EDGE_CASES = {
    "n1": [1.0],
    "n1-zero": [0.0],
    "n2": [1.0, 3.0],
    "n2-fraction": [-0.5, 2 / 3],
    "all-zero": [0.0] * 6,
    "constant-positive": [2.0] * 6,
    "constant-negative": [-1.0] * 3,
    "zero-mean": [-0.5, 0.5, -0.5, 0.5],
    "mostly-zero": [0.0, 0.0, 0.0, 1.0],
}


@pytest.mark.parametrize("gaps", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_histogram_stats_edge_cases_as_scipy(gaps):
    """n = 1 (sd, se, t, p null; Wilcoxon as scipy), n = 2, all gaps zero (t and p_wilcoxon
    null like scipy's NaN), constant non-zero gaps (sd 0, t infinite, p_val 0 like
    scipy.stats.ttest_rel). dz = mean / sd by hand: +-inf for a constant non-zero gap, null
    for all-zero gaps."""
    g = np.array(gaps)
    row = histogram_stats(pl.DataFrame({"value": g, "count": [1] * g.size}), []).row(0, named=True)
    expected = scipy_row(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paired = stats.ttest_rel(g + 3.0, np.full(g.size, 3.0))  # scipy: stats.ttest_rel(p, e)
    assert_same(row["t"], float(paired.statistic), "t vs ttest_rel")
    assert_same(row["p_val"], float(paired.pvalue), "p_val vs ttest_rel")
    for column in STAT_COLUMNS:
        assert_same(row[column], expected[column], column)


def test_histogram_stats_n1_and_all_zero_nulls():
    """The documented nulls spelled out: n = 1 has null sd, se, t, p_val; all-zero gaps have
    null t, p_val and p_wilcoxon but sd 0 and w 0."""
    one = histogram_stats(pl.DataFrame({"value": [1.5], "count": [1]}), []).row(0, named=True)
    assert [one[c] for c in ("sd", "se", "t", "p_val", "dof")] == [None, None, None, None, 0]
    zero = histogram_stats(pl.DataFrame({"value": [0.0], "count": [6]}), []).row(0, named=True)
    assert [zero[c] for c in ("t", "p_val", "p_wilcoxon", "sd", "w")] == [None, None, None, 0, 0]
    assert zero["people_within"] == 1.0


# adjust_pvalues -------------------------------------------------------------------------------


def reference_adjust(p: np.ndarray, method: str) -> np.ndarray:
    """statsmodels on the non-NaN entries, NaN elsewhere."""
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        name = {"holm": "holm", "bh": "fdr_bh"}[method]
        out[tested] = multipletests(p[tested], method=name)[1]  # statsmodels: method given
    return out


P_CASES = {
    "random": np.random.default_rng(6).random(25) ** 3,
    "ties": np.array([0.01, 0.04, 0.01, 0.04, 0.03, 0.5, 0.03, 0.01]),
    "with-nan": np.array([0.2, np.nan, 0.001, 0.049, np.nan, 0.9, 0.0]),
    "near-one": np.array([0.9, 0.95, 0.99, 1.0, 0.7]),
    "tiny": np.array([1e-300, 0.0, 1e-20, 5e-3]),
    "m1": np.array([0.037]),
    "m1-nan": np.array([np.nan, 0.2, np.nan]),
    "all-nan": np.array([np.nan, np.nan]),
    "empty": np.array([], dtype=np.float64),
}


@pytest.mark.parametrize("method", ["holm", "bh"])
@pytest.mark.parametrize("p", P_CASES.values(), ids=P_CASES.keys())
def test_adjust_pvalues_matches_statsmodels(p, method):
    """Holm and BH equal statsmodels' multipletests(method="holm" / "fdr_bh"); NaNs are left
    out of m and stay NaN; ties, m = 1 and an empty input."""
    got = adjust_pvalues(p, method)
    expected = reference_adjust(p, method)
    assert got.shape == p.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(p))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True)
    tested = ~np.isnan(p)
    assert np.all(got[tested] >= p[tested]) and np.all(got[tested] <= 1)


def test_adjust_pvalues_default_is_holm():
    """Without a method, Holm (not statsmodels' default Holm-Sidak)."""
    p = P_CASES["random"]
    np.testing.assert_allclose(adjust_pvalues(p), reference_adjust(p, "holm"), rtol=RTOL)


@pytest.mark.parametrize("method", ["fdr_bh", "Holm", "sidak", "", "holm-sidak"])
def test_adjust_pvalues_rejects_unknown_method(method):
    """Anything but "holm" and "bh" raises ValueError naming the allowed values."""
    with pytest.raises(ValueError, match="'holm' or 'bh'"):
        adjust_pvalues(np.array([0.1, 0.2]), method)


# welch_t --------------------------------------------------------------------------------------


def summaries(samples: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = np.array([s.size for s in samples], np.float64)
    mean = np.array([s.mean() for s in samples])
    var = np.array([s.var(ddof=1) for s in samples])
    return n, mean, var


def test_welch_t_matches_scipy_vectorised():
    """Many pairs at once: diff, t, dof, p_val equal scipy's ttest_ind(b, a, equal_var=False)
    and the interval its confidence_interval(0.95)."""
    rng = np.random.default_rng(7)
    pairs = []
    for i in range(12):
        a = rng.normal(0, 1 + i % 3, 5 + 7 * i)
        b = rng.normal(0.4 * (i % 4), 0.5 + i % 2, 40 - 3 * i)
        pairs.append((a, b))
    n1, mean1, var1 = summaries([a for a, _ in pairs])
    n2, mean2, var2 = summaries([b for _, b in pairs])
    got = welch_t(n1, mean1, var1, n2, mean2, var2)
    for i, (a, b) in enumerate(pairs):
        ref = stats.ttest_ind(
            b, a, equal_var=False
        )  # scipy: stats.ttest_ind(b, a, equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert got["diff"][i] == pytest.approx(b.mean() - a.mean(), rel=RTOL)
        assert got["se"][i] == pytest.approx(math.sqrt(var1[i] / n1[i] + var2[i] / n2[i]), rel=RTOL)
        assert got["t"][i] == pytest.approx(ref.statistic, rel=RTOL)
        assert got["dof"][i] == pytest.approx(ref.df, rel=RTOL)
        assert got["p_val"][i] == pytest.approx(ref.pvalue, rel=RTOL, abs=ATOL)
        assert got["ci_low"][i] == pytest.approx(ci.low, rel=RTOL)
        assert got["ci_high"][i] == pytest.approx(ci.high, rel=RTOL)


def test_welch_t_scalars_and_direction():
    """Scalar summaries work; the difference is mean2 - mean1 (swapping flips t, keeps p)."""
    rng = np.random.default_rng(8)
    a, b = rng.normal(0, 1, 9), rng.normal(1, 3, 31)
    forward = welch_t(a.size, a.mean(), a.var(ddof=1), b.size, b.mean(), b.var(ddof=1))
    backward = welch_t(b.size, b.mean(), b.var(ddof=1), a.size, a.mean(), a.var(ddof=1))
    ref = stats.ttest_ind(b, a, equal_var=False)  # scipy: stats.ttest_ind(b, a, equal_var=False)
    assert float(forward["t"]) == pytest.approx(ref.statistic, rel=RTOL)
    assert float(backward["t"]) == pytest.approx(-ref.statistic, rel=RTOL)
    assert float(backward["p_val"]) == pytest.approx(float(forward["p_val"]), rel=RTOL)


# welch_anova ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sizes",
    [(12, 30), (8, 15, 40), (5, 9, 20, 33, 61)],
    ids=["k2", "k3", "k5"],
)
@pytest.mark.parametrize("seed", [9, 10])
def test_welch_anova_matches_scipy(sizes, seed):
    """F and p equal scipy's f_oneway(*samples, equal_var=False); df1 = k - 1; for k = 2, F is
    the square of Welch's t."""
    rng = np.random.default_rng(seed)
    samples = [rng.normal(0.3 * i, 0.5 + i, size) for i, size in enumerate(sizes)]
    f, df1, df2, p = welch_anova(*summaries(samples))
    ref = stats.f_oneway(*samples, equal_var=False)  # scipy: f_oneway(*samples, equal_var=False)
    assert f == pytest.approx(ref.statistic, rel=RTOL)
    assert p == pytest.approx(ref.pvalue, rel=RTOL, abs=ATOL)
    assert df1 == len(sizes) - 1
    if len(sizes) == 2:
        t = welch_t(
            *(x[0] for x in summaries(samples[:1])), *(x[0] for x in summaries(samples[1:]))
        )
        assert f == pytest.approx(float(t["t"]) ** 2, rel=RTOL)
        assert df2 == pytest.approx(float(t["dof"]), rel=RTOL)


@pytest.mark.parametrize(
    ("n", "mean", "var"),
    [([10], [1.0], [2.0]), ([10, 12], [1.0, 2.0], [0.0, 1.0]), ([1, 12], [1.0, 2.0], [1.0, 1.0])],
    ids=["one-group", "zero-variance", "n1"],
)
def test_welch_anova_undefined(n, mean, var):
    """Fewer than two groups, a zero variance or a group of one: every output NaN."""
    assert all(math.isnan(x) for x in welch_anova(n, mean, var))


# cronbach_alpha -------------------------------------------------------------------------------


def textbook_alpha(scores: list[list[float]]) -> float:
    """k / (k - 1) * (1 - sum of item variances / variance of the total), ddof 1, in plain
    Python (statistics.variance)."""
    k = len(scores[0])
    items = [statistics.variance([row[j] for row in scores]) for j in range(k)]
    total = statistics.variance([sum(row) for row in scores])
    return k / (k - 1) * (1 - sum(items) / total)


@pytest.mark.parametrize(("n", "k", "seed"), [(50, 3, 11), (200, 5, 12), (7, 2, 13), (30, 8, 14)])
def test_cronbach_alpha_matches_textbook(n, k, seed):
    """Correlated Likert items: alpha equals the textbook formula computed independently."""
    rng = np.random.default_rng(seed)
    trait = rng.normal(0, 1, n)[:, None]
    scores = np.clip(np.rint(4 + 1.2 * trait + rng.normal(0, 1, (n, k))), 1, 7)
    assert cronbach_alpha(scores) == pytest.approx(textbook_alpha(scores.tolist()), rel=RTOL)


def test_cronbach_alpha_by_hand():
    """Items (1, 2, 3) and (1, 3, 2): item variances 1 and 1, totals (2, 5, 5) with variance 3,
    so alpha = 2 * (1 - 2 / 3) = 2/3. Identical items give 1."""
    assert cronbach_alpha(np.array([[1, 1], [2, 3], [3, 2]])) == pytest.approx(2 / 3, rel=RTOL)
    assert cronbach_alpha(np.array([[1, 1], [2, 2], [3, 3]])) == pytest.approx(1.0, rel=RTOL)


@pytest.mark.parametrize(
    "scores",
    [[[1, 2, 3]], [[1], [2], [3]], [[2, 2], [2, 2], [2, 2]]],
    ids=["one-respondent", "one-item", "constant-total"],
)
def test_cronbach_alpha_undefined(scores):
    """Fewer than 2 respondents or items, or a total without variance: NaN."""
    assert math.isnan(cronbach_alpha(np.array(scores, np.float64)))
