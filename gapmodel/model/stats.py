"""Test statistics computed from histograms of respondent-level gaps.

A group's gaps take few distinct values (Likert answers are small integers), so a group is
described by a histogram ``value -> count``. Everything a gap table reports follows from it
exactly: n, mean, sd, the paired t-test, the Wilcoxon signed-rank test with tie correction, the
equivalence test and the shares of respondents below, within and above the tolerance band.
Histograms of partitions add up, so they can be built in one pass over any amount of data.

The functions here are pure: frames or arrays in, frames or arrays out.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats as sps

from gapmodel.core.vocabulary import PADJUST_METHODS
from gapmodel.model.layout import group_codes

CONFIDENCE = 0.95

STAT_COLUMNS: tuple[str, ...] = (
    "n",
    "gap",
    "sd",
    "se",
    "ci_low",
    "ci_high",
    "t",
    "dof",
    "p_val",
    "w",
    "p_wilcoxon",
    "p_tost",
    "dz",
    "people_below",
    "people_within",
    "people_above",
)
# A respondent's mean gap within this distance of a tolerance bound counts as on it (the means
# are ratios of small integers, so float rounding must not move them across the bound).
_BOUND_SLACK = 1e-9


def histogram_stats(hist: pl.DataFrame, keys: list[str], tolerance: float = 0.0) -> pl.DataFrame:
    """Gap statistics of each group from its histogram of respondent gaps.

    Parameters
    ----------
    hist : pl.DataFrame
        ``keys + [value, count]``: ``value`` is a respondent's gap (Float64), ``count`` how many
        respondents of the group have it. A value may appear more than once per group.
    keys : list of str
        Columns that identify a group (may be empty: one group).
    tolerance : float
        Half-width of the band around zero within which a respondent's gap counts as meeting
        expectations (scale points; 0: exactly zero).

    Returns
    -------
    pl.DataFrame
        One row per group: ``keys`` then

        - ``n``: respondents;
        - ``gap``: mean gap; ``sd``: its standard deviation (ddof 1); ``se = sd / sqrt(n)``;
        - ``ci_low, ci_high``: 95% t interval ``gap -/+ t(0.975, n - 1) * se``;
        - ``t = gap / se``, ``dof = n - 1``, ``p_val``: two-sided paired t-test;
        - ``w``: Wilcoxon signed-rank statistic ``min(R+, R-)``; ``p_wilcoxon``: its two-sided
          p-value;
        - ``p_tost``: p-value of the two one-sided t-tests (TOST) that the mean gap lies within
          ``(-tolerance, tolerance)``; small when the group clearly meets expectations;
        - ``dz = gap / sd`` (Cohen's dz);
        - ``people_below, people_within, people_above``: shares of respondents whose gap is
          below ``-tolerance``, within ``[-tolerance, tolerance]`` and above ``tolerance``.

    Notes
    -----
    The Wilcoxon test follows ``scipy.stats.wilcoxon(g, zero_method="pratt", correction=False,
    method="asymptotic")``: zero gaps are ranked with the others and then left out of the rank
    sums (Pratt 1959), and the normal approximation is adjusted for them and for ties (Cureton
    1967): ``z = (R+ - mu) / s`` with ``mu = (n(n+1) - n0(n0+1)) / 4`` and
    ``s^2 = (n(n+1)(2n+1) - n0(n0+1)(2n0+1) - sum(t^3 - t) / 2) / 24`` over tie groups ``t`` of
    non-zero |gap|. When every gap is zero, ``s = 0`` and the p-value is undefined (NaN), as in
    scipy. A constant non-zero gap has ``sd = 0``: ``t`` is infinite and ``p_val = 0``, as in
    ``scipy.stats.ttest_rel``.

    References
    ----------
    Pratt, J. W. (1959). Remarks on zeros and ties in the Wilcoxon signed rank procedures.
    JASA 54(287), 655-667. Cureton, E. E. (1967). The normal approximation to the signed-rank
    sampling distribution when zero differences are present. JASA 62(319), 1068-1069.
    Schuirmann, D. J. (1987). A comparison of the two one-sided tests procedure and the power
    approach for assessing the equivalence of average bioavailability. J. Pharmacokinet.
    Biopharm. 15, 657-680 (TOST: ``max(P(T > (gap + tol) / se), P(T < (gap - tol) / se))``
    on ``n - 1`` degrees of freedom, as ``statsmodels.stats.weightstats.ttost_paired``).

    Examples
    --------
    >>> hist = pl.DataFrame({"value": [-1.0, 0.0, 2.0], "count": [3, 1, 1]})
    >>> histogram_stats(hist, [], tolerance=0.5).select("n", "gap", "people_below")
    shape: (1, 3)
    ┌─────┬──────┬──────────────┐
    │ n   ┆ gap  ┆ people_below │
    │ --- ┆ ---  ┆ ---          │
    │ i64 ┆ f64  ┆ f64          │
    ╞═════╪══════╪══════════════╡
    │ 5   ┆ -0.2 ┆ 0.6          │
    └─────┴──────┴──────────────┘
    """
    codes, groups = _group_codes(hist, keys)
    size = groups.height if keys else int(hist.height > 0)
    value = hist["value"].to_numpy().astype(np.float64)
    count = hist["count"].to_numpy().astype(np.float64)
    n = np.bincount(codes, count, size)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.bincount(codes, value * count, size) / n
        ss = np.bincount(codes, (value - gap[codes]) ** 2 * count, size)
        sd = np.sqrt(ss / (n - 1))
        se = sd / np.sqrt(n)
        t = gap / se
        dz = gap / sd
        half = sps.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * se
        p_val = 2 * sps.t.sf(np.abs(t), n - 1)
        p_tost = np.maximum(
            sps.t.sf((gap + tolerance) / se, n - 1), sps.t.cdf((gap - tolerance) / se, n - 1)
        )
        bound = tolerance + _BOUND_SLACK
        shares = [
            np.bincount(codes, np.where(side, count, 0.0), size) / n
            for side in (value < -bound, np.abs(value) <= bound, value > bound)
        ]
        zeros = np.bincount(codes, np.where(value == 0, count, 0.0), size)
        w, p_wilcoxon = _wilcoxon(n, zeros, *_signed_ranks(codes, value, count, size))
    sd[n < 2] = np.nan
    columns = {
        "n": n.astype(np.int64),
        "gap": gap,
        "sd": sd,
        "se": se,
        "ci_low": gap - half,
        "ci_high": gap + half,
        "t": t,
        "dof": (n - 1).astype(np.int64),
        "p_val": p_val,
        "w": w,
        "p_wilcoxon": p_wilcoxon,
        "p_tost": p_tost,
        "dz": dz,
        "people_below": shares[0],
        "people_within": shares[1],
        "people_above": shares[2],
    }
    result = pl.concat(
        [groups, pl.DataFrame({k: pl.Series(k, v) for k, v in columns.items()})],
        how="horizontal",
    )
    return result.with_columns(pl.col(pl.Float64).fill_nan(None))


def _group_codes(hist: pl.DataFrame, keys: list[str]) -> tuple[np.ndarray, pl.DataFrame]:
    """The group of each histogram row (an index into the groups), and the groups' keys in
    sorted order (nulls last)."""
    if not keys:
        return np.zeros(hist.height, np.int64), pl.DataFrame()
    column = hist[keys[0]]
    if len(keys) == 1 and column.dtype.is_integer() and column.null_count() == 0:
        values, codes = np.unique(column.to_numpy(), return_inverse=True)
        return codes.astype(np.int64), pl.DataFrame([pl.Series(keys[0], values, column.dtype)])
    return group_codes(hist.select(keys))


def _signed_ranks(
    codes: np.ndarray, value: np.ndarray, count: np.ndarray, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group, the rank sums of positive and negative gaps (|gap| ranked with the zeros,
    ties at their average rank) and the tie term ``sum(t^3 - t)`` over non-zero |gap|."""
    if codes.size == 0:
        return np.zeros(size), np.zeros(size), np.zeros(size)
    magnitude = np.abs(value)
    order = np.lexsort((magnitude, codes))
    group, magnitude, count, value = codes[order], magnitude[order], count[order], value[order]
    starts = np.ones(group.size, bool)  # the first row of each tie (group, |gap|)
    starts[1:] = (group[1:] != group[:-1]) | (magnitude[1:] != magnitude[:-1])
    tie = np.cumsum(starts) - 1
    ties = np.bincount(tie, count)
    tie_group, tie_magnitude = group[starts], magnitude[starts]
    through = np.cumsum(ties)  # respondents up to the end of each tie, over all groups
    first = np.flatnonzero(np.r_[True, tie_group[1:] != tie_group[:-1]])
    before = np.repeat(through[first] - ties[first], np.diff(np.r_[first, tie_group.size]))
    rank = (through - before - (ties - 1) / 2)[tie]
    r_plus = np.bincount(group, np.where(value > 0, count * rank, 0.0), size)
    r_minus = np.bincount(group, np.where(value < 0, count * rank, 0.0), size)
    tie_term = np.bincount(tie_group, np.where(tie_magnitude > 0, ties**3 - ties, 0.0), size)
    return r_plus, r_minus, tie_term


def _wilcoxon(
    n: np.ndarray, n_zero: np.ndarray, r_plus: np.ndarray, r_minus: np.ndarray, tie_term
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided asymptotic Wilcoxon p-value with Pratt zeros and tie correction."""
    mean = n * (n + 1.0) * 0.25 - n_zero * (n_zero + 1.0) * 0.25
    var = n * (n + 1.0) * (2.0 * n + 1.0) - n_zero * (n_zero + 1.0) * (2.0 * n_zero + 1.0)
    se = np.sqrt((var - tie_term / 2) / 24)
    z = (r_plus - mean) / se
    return np.minimum(r_plus, r_minus), 2 * sps.norm.sf(np.abs(z))


def adjust_pvalues(p: np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons within one table.

    Parameters
    ----------
    p : array of float
        Raw p-values; NaN entries (untested groups) are left out and stay NaN.
    method : {"holm", "bh"}
        Holm's step-down family-wise method or Benjamini-Hochberg's false discovery rate.

    Returns
    -------
    np.ndarray
        Adjusted p-values, each at least the raw one and at most 1.

    Notes
    -----
    Holm: sort ascending, ``p_adj(i) = max_{j <= i} min(1, (m - j + 1) p(j))``.
    Benjamini-Hochberg: ``p_adj(i) = min_{j >= i} min(1, m p(j) / j)``. These equal
    ``statsmodels.stats.multitest.multipletests`` with ``method="holm"`` and ``"fdr_bh"``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scand. J. Statist.
    6, 65-70. Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate.
    JRSS B 57, 289-300.

    Examples
    --------
    >>> adjust_pvalues(np.array([0.01, 0.04, np.nan, 0.03]), "holm")
    array([0.03, 0.06,  nan, 0.06])
    """
    if method not in PADJUST_METHODS:
        allowed = " or ".join(repr(m) for m in PADJUST_METHODS)
        raise ValueError(f"The 'padjust' method must be {allowed}. Got {method!r}.")
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = tested.size
    if m == 0:
        return out
    order = np.argsort(p[tested], kind="stable")
    ranked = p[tested][order]
    if method == "holm":
        adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * ranked))
    else:
        scaled = ranked / (np.arange(1, m + 1) / m)  # as statsmodels: exact p at the top
        adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out[tested[order]] = adjusted
    return out


def welch_t(n1, mean1, var1, n2, mean2, var2) -> dict[str, np.ndarray]:
    """Welch's two-sample t-test of ``mean2 - mean1`` from group summaries (vectorised).

    Parameters
    ----------
    n1, mean1, var1, n2, mean2, var2 : array of float
        Size, mean and variance (ddof 1) of the two samples.

    Returns
    -------
    dict of np.ndarray
        ``diff = mean2 - mean1``, ``se``, ``t``, ``dof`` (Welch-Satterthwaite), ``p_val``
        (two-sided) and the 95% interval ``ci_low, ci_high`` of the difference.

    Notes
    -----
    ``se^2 = v1/n1 + v2/n2``; ``dof = se^4 / ((v1/n1)^2/(n1-1) + (v2/n2)^2/(n2-1))``. Equals
    ``scipy.stats.ttest_ind(sample2, sample1, equal_var=False)``.
    """
    n1, n2 = np.asarray(n1, np.float64), np.asarray(n2, np.float64)
    a, b = np.asarray(var1) / n1, np.asarray(var2) / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(a + b)
        dof = (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))
        diff = np.asarray(mean2) - np.asarray(mean1)
        t = diff / se
        p_val = 2 * sps.t.sf(np.abs(t), dof)
        half = sps.t.ppf(0.5 + CONFIDENCE / 2, dof) * se
    return {
        "diff": diff,
        "se": se,
        "t": t,
        "dof": dof,
        "p_val": p_val,
        "ci_low": diff - half,
        "ci_high": diff + half,
    }


def welch_anova(n, mean, var) -> tuple[float, float, float, float]:
    """Welch's one-way ANOVA across k groups from their summaries.

    Parameters
    ----------
    n, mean, var : array of float
        Size, mean and variance (ddof 1) of each group; groups with n < 2 must be left out.

    Returns
    -------
    (F, df1, df2, p_val)
        NaN when fewer than two groups or a group has zero variance.

    Notes
    -----
    ``w_i = n_i / v_i``, ``m = sum(w_i mean_i) / sum(w_i)``,
    ``A = sum(w_i (mean_i - m)^2) / (k - 1)``,
    ``lam = 3 sum((1 - w_i / W)^2 / (n_i - 1)) / (k^2 - 1)``,
    ``F = A / (1 + 2 lam (k - 2) / 3)`` on ``(k - 1, 1 / lam)`` degrees of freedom. Equals
    ``scipy.stats.f_oneway(*samples, equal_var=False)``.

    References
    ----------
    Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
    Biometrika 38, 330-336.
    """
    n, mean, var = (np.asarray(x, np.float64) for x in (n, mean, var))
    k = n.size
    if k < 2 or np.any(var <= 0) or np.any(n < 2):
        return (np.nan, np.nan, np.nan, np.nan)
    w = n / var
    total = w.sum()
    grand = (w * mean).sum() / total
    between = (w * (mean - grand) ** 2).sum() / (k - 1)
    lam = 3 * ((1 - w / total) ** 2 / (n - 1)).sum() / (k**2 - 1)
    f = between / (1 + 2 * lam * (k - 2) / 3)
    df1, df2 = k - 1.0, 1 / lam
    return (float(f), df1, float(df2), float(sps.f.sf(f, df1, df2)))


def cronbach_alpha(scores: np.ndarray) -> float:
    """Cronbach's alpha of a respondents x items matrix with no missing values.

    Notes
    -----
    ``alpha = k / (k - 1) * (1 - sum(var(item_i)) / var(sum of items))`` with ddof 1 (the
    textbook formula; Cronbach 1951). NaN with fewer than 2 items or 2 respondents.
    """
    scores = np.asarray(scores, np.float64)
    n, k = scores.shape
    if k < 2 or n < 2:
        return float("nan")
    total_var = scores.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - scores.var(axis=0, ddof=1).sum() / total_var))
