"""Gap tables: expectation, perception and their gap by any grouping, with significance tests.

The respondent is the unit of analysis. For an item at a stage each respondent contributes one
gap ``G = P - E``; for a coarser group (a dimension, a stage, an element, overall) each
respondent's gaps over the items in the group are averaged first, and the tests run across
respondents. Only complete pairs count: a missing E or P drops that pair.

Responses are held as dense integer arrays (:class:`GapData`). A group's respondent-level gaps
are summarised as a histogram ``value -> count`` built with ``numpy.bincount`` in one pass, and
:func:`gapmodel.model.stats.histogram_stats` turns histograms into exact statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from gapmodel.core import settings
from gapmodel.core.vocabulary import ITEM_KEYS, PADJUST_METHODS
from gapmodel.model.gapdata import GapData
from gapmodel.model.histograms import Histograms
from gapmodel.model.stats import STAT_COLUMNS, adjust_pvalues, histogram_stats

ANSWER_SHARES = ("answers_below", "answers_equal", "answers_above")
TABLE_COLUMNS: tuple[str, ...] = (
    "n",
    "mean_e",
    "mean_p",
    *STAT_COLUMNS[1:],
    *ANSWER_SHARES,
    "p_adj",
    "significant",
    "verdict",
    "flag",
    "padjust",
    "tolerance",
)
FLAGS = ("ok", "small_n", "suppressed")


def gap() -> pl.Expr:
    """The gap ``P - E`` of one answered pair (the sign convention, written once)."""
    return pl.col("perception").cast(pl.Int16) - pl.col("expectation").cast(pl.Int16)


@dataclass(frozen=True)
class TableOptions:
    """How a table adjusts and flags its groups.

    Parameters
    ----------
    padjust : {"holm", "bh"}
        Multiple-comparison adjustment within the table.
    alpha : float
        Significance level for adjusted p-values.
    min_n : int
        Groups with fewer respondents are flagged ``small_n``.
    suppress_n : int
        Groups with fewer respondents are ``suppressed``: only their keys, n and flag are kept.
    tolerance : float
        Half-width, in scale points, of the band around zero where a respondent's gap counts as
        meeting expectations, and the margin of the equivalence test behind ``meets``.
    """

    padjust: str = "holm"
    alpha: float = 0.05
    min_n: int = 30
    suppress_n: int = 5
    tolerance: float = 0.5

    @classmethod
    def from_settings(cls, **overrides: object) -> TableOptions:
        """Options from the settings (environment), with explicit overrides where not None."""
        names = ("padjust", "alpha", "min_n", "suppress_n", "tolerance")
        values = {name: settings.get(name) for name in names}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        if self.padjust not in PADJUST_METHODS:
            allowed = " or ".join(repr(m) for m in PADJUST_METHODS)
            raise ValueError(f"The 'padjust' method must be {allowed}. Got {self.padjust!r}.")
        if not 0 < self.alpha < 1:
            raise ValueError(f"The 'alpha' level must be between 0 and 1. Got {self.alpha!r}.")
        if self.suppress_n < 0 or self.min_n < self.suppress_n:
            raise ValueError(
                "'min_n' must be at least 'suppress_n', both non-negative. "
                f"Got min_n={self.min_n}, suppress_n={self.suppress_n}."
            )
        if not 0 <= self.tolerance < 100:
            raise ValueError(
                f"The 'tolerance' must be a number of scale points from 0. Got {self.tolerance!r}."
            )


def gap_table(
    data: GapData,
    by: Sequence[str] = ("stage", "dimension"),
    options: TableOptions | None = None,
) -> pl.DataFrame:
    """Mean expectation, perception and gap per group, with paired tests.

    Parameters
    ----------
    data : GapData
        Prepared responses (:meth:`GapData.from_responses`).
    by : sequence of str
        Grouping keys, any of ``wave`` and the respondent attributes (``data.attributes``) and
        ``stage, item, dimension, element`` (item attributes); empty for one overall row.
    options : TableOptions, optional
        Adjustment method, alpha and small-group thresholds; the settings by default.

    Returns
    -------
    pl.DataFrame
        One row per group that has at least one respondent, sorted by the keys:

        - the ``by`` columns;
        - ``n``: respondents with at least one complete pair in the group;
        - ``mean_e, mean_p``: means over respondents of each respondent's mean E and mean P over
          the group's items; ``gap = mean_p - mean_e``;
        - ``sd, se, ci_low, ci_high, t, dof, p_val, w, p_wilcoxon, p_tost, dz, people_below,
          people_within, people_above``: see :func:`gapmodel.model.stats.histogram_stats`
          (respondent-level shares, band ``tolerance``);
        - ``answers_below, answers_equal, answers_above``: shares of the group's answered pairs
          with P < E, P = E and P > E (answer level);
        - ``p_adj``: ``p_val`` adjusted over the table's non-suppressed groups;
          ``significant``: ``p_adj < alpha``; ``verdict``: see :func:`verdict`;
        - ``flag``: ``ok``, ``small_n`` (n < min_n) or ``suppressed`` (n < suppress_n: every
          statistic is null);
        - ``padjust``: the adjustment used (``holm`` or ``bh``); ``tolerance``: the band used.

    Notes
    -----
    A respondent's gap for a group is ``mean over the group's answered items of (P - E)``;
    the t-test is the one-sample t-test of these gaps against zero, i.e. the paired t-test of
    the respondent means of P and E (``scipy.stats.ttest_rel``). See Parasuraman, Zeithaml &
    Berry (1988) for the gap score, and :func:`gapmodel.model.stats.histogram_stats` for the tests.

    Examples
    --------
    >>> frame = pl.DataFrame({
    ...     "wave": "w1", "respondent": [1, 1, 2, 2], "stage": "encounter",
    ...     "item": ["courtesy", "informed"] * 2, "dimension": ["empathy", "responsiveness"] * 2,
    ...     "element": "human", "expectation": [5, 6, 6, 7], "perception": [6, 4, 6, 4]})
    >>> table = gap_table(GapData.from_responses(frame), by=["stage"], options=TableOptions(
    ...     min_n=2, suppress_n=1))
    >>> table.select("stage", "n", "mean_e", "mean_p", "gap", "flag")
    shape: (1, 6)
    ┌───────────┬─────┬────────┬────────┬──────┬──────┐
    │ stage     ┆ n   ┆ mean_e ┆ mean_p ┆ gap  ┆ flag │
    │ ---       ┆ --- ┆ ---    ┆ ---    ┆ ---  ┆ ---  │
    │ enum      ┆ i64 ┆ f64    ┆ f64    ┆ f64  ┆ str  │
    ╞═══════════╪═════╪════════╪════════╪══════╪══════╡
    │ encounter ┆ 2   ┆ 6.0    ┆ 5.0    ┆ -1.0 ┆ ok   │
    └───────────┴─────┴────────┴────────┴──────┴──────┘
    """
    options = options or TableOptions.from_settings()
    return finish_table(summary_table(data, by, options.tolerance), list(by), options)


def summary_table(data: GapData, by: Sequence[str], tolerance: float) -> pl.DataFrame:
    """The statistics of :func:`gap_table` before flagging, suppression and adjustment."""
    respondent_keys, item_keys = split_keys(data, by)
    cache = histograms(data)
    hist, means, labels = cache.frames(respondent_keys, item_keys)
    table = histogram_stats(hist, ["_group"], tolerance).join(means, on="_group")
    table = table.join(cache.answer_shares(respondent_keys, item_keys), on="_group", how="left")
    table = table.with_columns(mean_p=pl.col("mean_e") + pl.col("gap"))
    table = labels.join(table, on="_group").sort("_group").drop("_group")
    return table.select(*by, "n", "mean_e", "mean_p", *STAT_COLUMNS[1:], *ANSWER_SHARES)


def histograms(data: GapData) -> Histograms:
    """The histogram cache of ``data`` (created on first use)."""
    if data.histogram_cache is None:
        data.histogram_cache = Histograms(data)
    return data.histogram_cache


def attach_histograms(data: GapData, cache: Histograms) -> None:
    """Use ``cache`` as the histogram cache of ``data`` (one sliced from a larger survey)."""
    data.histogram_cache = cache


def group_keys(data: GapData) -> tuple[str, ...]:
    """What a table of ``data`` can be grouped by: the respondent keys, then the item keys."""
    return (*data.respondent_keys, *ITEM_KEYS)


def split_keys(data: GapData, by: Sequence[str]) -> tuple[list[str], list[str]]:
    """``by`` as respondent keys and item keys; unknown or repeated keys are refused."""
    allowed = group_keys(data)
    unknown = [k for k in by if k not in allowed]
    if unknown or len(set(by)) != len(by):
        raise ValueError(
            f"A table can be grouped by distinct keys among {', '.join(allowed)}. Got {list(by)}."
        )
    return [k for k in by if k in data.respondent_keys], [k for k in by if k in ITEM_KEYS]


def flag_small_groups(
    table: pl.DataFrame, options: TableOptions, statistics: Sequence[str]
) -> pl.DataFrame:
    """Add ``flag`` (``ok``, ``small_n`` below ``min_n``, ``suppressed`` below ``suppress_n``
    respondents, from the ``n`` column) and blank the ``statistics`` of suppressed groups."""
    n = pl.col("n")
    flag = (
        pl.when(n < options.suppress_n)
        .then(pl.lit("suppressed"))
        .when(n < options.min_n)
        .then(pl.lit("small_n"))
        .otherwise(pl.lit("ok"))
    )
    suppressed = flag == "suppressed"
    return table.with_columns(
        *(pl.when(suppressed).then(None).otherwise(pl.col(c)).alias(c) for c in statistics),
        flag=flag,
    )


def verdict(p_tost_adj: pl.Series, alpha: float) -> pl.Expr:
    """What each group's gap says, a key of :data:`gapmodel.core.vocabulary.VERDICTS`.

    ``below`` / ``above``: the adjusted p is below alpha (``significant``) and the gap below /
    above zero (at alpha 0.05 the 95% interval then excludes zero); ``meets``: not that, and
    the equivalence test (TOST at +/-tolerance) rejects at alpha after the same adjustment;
    ``probably_below`` / ``probably_above``: only the unadjusted p is below alpha;
    ``unclear``: none of these. A gap can be clearly below yet small: the sentence gives its
    size. Null for suppressed groups (no gap).
    """
    gap = pl.col("gap")
    significant = pl.col("p_adj") < alpha
    return (
        pl.when(gap.is_null())
        .then(None)
        .when(significant & (gap < 0))
        .then(pl.lit("below"))
        .when(significant & (gap > 0))
        .then(pl.lit("above"))
        .when(pl.lit(p_tost_adj) < alpha)
        .then(pl.lit("meets"))
        .when((pl.col("p_val") < alpha) & (gap < 0))
        .then(pl.lit("probably_below"))
        .when((pl.col("p_val") < alpha) & (gap > 0))
        .then(pl.lit("probably_above"))
        .otherwise(pl.lit("unclear"))
    )


def finish_table(table: pl.DataFrame, keys: list[str], options: TableOptions) -> pl.DataFrame:
    """Flag small groups, suppress tiny ones, adjust p-values within the table, order columns.

    Parameters
    ----------
    table : pl.DataFrame
        ``keys`` plus ``n`` and statistics including ``p_val``.
    keys : list of str
        Group key columns, kept first.
    options : TableOptions
        Thresholds, adjustment method and alpha.

    Returns
    -------
    pl.DataFrame
        The table with ``p_adj, significant, flag, padjust`` (and ``verdict, tolerance`` when
        it has ``p_tost``); statistics of suppressed groups are null and they take no part in
        the adjustment.
    """
    statistics = [c for c in table.columns if c not in (*keys, "n")]
    table = flag_small_groups(table, options, statistics)
    p_adj = adjust_pvalues(table["p_val"].fill_null(np.nan).to_numpy(), options.padjust)
    table = table.with_columns(
        p_adj=pl.Series(p_adj).fill_nan(None),
        padjust=pl.lit(options.padjust),
    ).with_columns(significant=(pl.col("p_adj") < options.alpha).fill_null(False))
    if "p_tost" in table.columns:
        p_tost = adjust_pvalues(table["p_tost"].fill_null(np.nan).to_numpy(), options.padjust)
        table = table.with_columns(
            verdict=verdict(pl.Series(p_tost, dtype=pl.Float64).fill_nan(None), options.alpha),
            tolerance=pl.lit(options.tolerance),
        )
    ordered = [c for c in TABLE_COLUMNS if c in table.columns]
    rest = [c for c in table.columns if c not in (*keys, *ordered)]
    return table.select(*keys, *rest, *ordered)
