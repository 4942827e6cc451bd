"""What matters most: weighted SERVQUAL, importance-performance analysis and the fix-first list."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from gapmodel.core.vocabulary import QUADRANTS
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, finish_table, flag_small_groups, gap_table, histograms
from gapmodel.model.histogram_arrays import membership
from gapmodel.model.stats import STAT_COLUMNS, histogram_stats


def weighted_gap(
    data: GapData,
    allocations: pl.DataFrame | None = None,
    by: Sequence[str] = (),
    options: TableOptions | None = None,
) -> pl.DataFrame:
    """The overall SERVQUAL gap per respondent, weighted by the importance they allocated.

    Parameters
    ----------
    data : GapData
        Prepared responses.
    allocations : pl.DataFrame, optional
        ``wave, respondent, dimension, points`` (as ``Store.allocations``): each respondent's
        100 points over the dimensions. None: the points attached to ``data``
        (:func:`attach_allocations`), if any; else unweighted.
    by : sequence of str
        Respondent keys (``wave`` and attribute names); empty for one row.
    options : TableOptions, optional
        Adjustment, alpha and small-group thresholds.

    Returns
    -------
    pl.DataFrame
        The gap table columns (see :func:`gapmodel.model.gaps.gap_table`) plus ``weighting``:
        ``allocations`` or ``unweighted``. ``mean_e`` and ``mean_p`` are weighted the same way.

    Notes
    -----
    A respondent's dimension gap ``G_d`` is the mean of their gaps over the dimension's items
    (all stages). Weighted: ``sum_d(w_d G_d) / sum_d(w_d)`` over the dimensions the respondent
    answered (``/ 100`` when all were answered, as in Parasuraman et al. 1988); respondents
    without allocations are left out. Unweighted: the mean of ``G_d`` over the dimensions.
    """
    options = options or TableOptions.from_settings()
    if any(k not in data.respondent_keys for k in by):
        raise ValueError(
            f"Weighted gaps are grouped by {', '.join(data.respondent_keys)}. Got {list(by)}."
        )
    if allocations is not None and allocations.height:
        weighting = "allocations"
        keep, value, mean_e = _respondent_gaps(data, allocations)
    else:  # the attached points, if the respondents have any
        weighted = data.points is not None and bool(data.points[1].any())
        weighting = "allocations" if weighted else "unweighted"
        keep, value, mean_e = respondent_weighted_gaps(data, weighted)
    value, mean_e = value[keep], mean_e[keep]
    people = pl.DataFrame({"value": value, "e": mean_e})
    if by:
        attributes = data.respondents.filter(pl.Series(keep)).select(list(by))
        people = pl.concat([attributes, people], how="horizontal")
    hist = people.group_by(*by, "value").agg(count=pl.len())
    stats = histogram_stats(hist, list(by), options.tolerance)
    if by:
        means = people.group_by(by).agg(mean_e=pl.col("e").mean())
        table = stats.join(means, on=list(by), nulls_equal=True).sort(list(by), nulls_last=True)
    else:  # one group, or none when nobody counts
        table = stats.with_columns(mean_e=pl.lit(people["e"].mean(), pl.Float64))
    table = table.with_columns(mean_p=pl.col("mean_e") + pl.col("gap"))
    table = table.select(*by, "n", "mean_e", "mean_p", *STAT_COLUMNS[1:])
    return finish_table(table, list(by), options).with_columns(weighting=pl.lit(weighting))


def respondent_weighted_gaps(
    data: GapData, weighted: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each respondent's SERVQUAL gap and mean E, weighted by their attached points or not.

    Computed once per data and kept (a subset takes its parent's, see
    ``GapData.per_respondent``).

    Returns
    -------
    (keep, gap, mean_e)
        Per respondent: whether they count (they have a positive total weight), and their
        weighted mean gap and E over the dimensions they answered.
    """
    if weighted:
        return data.per_respondent("weighted gaps", lambda d: _respondent_gaps(d, d.points))
    return data.per_respondent("unweighted gaps", lambda d: _respondent_gaps(d, None))


def _respondent_gaps(data: GapData, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`respondent_weighted_gaps` with ``points``: an allocations frame, the attached
    ``(dimensions, matrix)`` or None (unweighted)."""
    count, sum_g, sum_e, labels = data.respondent_cells_many([("dimension",)])[0]
    count = np.broadcast_to(count, sum_g.shape)
    if sum_e is None:  # complete data: recover E sums from the matrices
        codes, _ = data.pair_cells(["dimension"])
        sum_e = (data.e.astype(np.float32) @ membership(codes, labels.height)).T
    answered = count > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        gap_d, e_d = sum_g / count, sum_e / count
    weights = answered.astype(np.float64)
    dimensions = labels["dimension"].cast(pl.String)
    if isinstance(points, pl.DataFrame):
        weights = np.where(answered, _allocation_matrix(data, points, dimensions), 0.0)
    elif points is not None:
        weights = np.where(answered, points[1][[points[0].index(d) for d in dimensions]], 0.0)
    total = weights.sum(axis=0)
    keep = total > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (np.where(answered, gap_d, 0) * weights).sum(axis=0) / total
        mean_e = (np.where(answered, e_d, 0) * weights).sum(axis=0) / total
    return keep, value, mean_e


def attach_allocations(data: GapData, allocations: pl.DataFrame) -> None:
    """Keep each respondent's importance points with ``data`` (sliced along by subsets), so
    that :func:`weighted_gap` needs no join for every selection."""
    if allocations.height == 0:
        return
    _, labels = data.pair_cells(["dimension"])
    dimensions = labels["dimension"].cast(pl.String)
    data.points = (dimensions.to_list(), _allocation_matrix(data, allocations, dimensions))


def _allocation_matrix(
    data: GapData, allocations: pl.DataFrame, dimensions: pl.Series
) -> np.ndarray:
    """Points of each respondent (columns) for each dimension (rows); 0 when not allocated."""
    index = data.respondents.select(
        pl.col("wave").cast(pl.String), pl.col("respondent").cast(pl.Int64)
    ).with_row_index("_row")
    dims = pl.DataFrame({"dimension": dimensions}).with_row_index("_dim")
    joined = (
        allocations.select(
            pl.col("wave").cast(pl.String),
            pl.col("respondent").cast(pl.Int64),
            pl.col("dimension").cast(pl.String),
            pl.col("points").cast(pl.Float64),
        )
        .join(index, on=["wave", "respondent"])
        .join(dims, on="dimension")
    )
    matrix = np.zeros((dims.height, data.n_respondents))
    matrix[joined["_dim"].to_numpy(), joined["_row"].to_numpy()] = joined["points"].to_numpy()
    return matrix


def importance_performance(data: GapData, options: TableOptions | None = None) -> pl.DataFrame:
    """Importance against performance per item at each stage, in four quadrants.

    Parameters
    ----------
    data : GapData
        Prepared responses.
    options : TableOptions, optional
        Adjustment, alpha and small-group thresholds (the settings by default).

    Returns
    -------
    pl.DataFrame
        ``stage, item, dimension, element, n, performance`` (mean P), ``importance``,
        ``importance_source`` (``stated``: mean stated importance; ``derived``: correlation of
        the item's P with the respondent's mean P over all items), ``gap`` (mean P - mean E)
        with ``ci_low, ci_high, p_adj, verdict, answers_below`` of the item's gap table (what
        :func:`fix_first` ranks by), ``flag`` (``ok``,
        ``small_n``, ``suppressed``: statistics null) and ``quadrant`` by :func:`priority_rule`.

    Notes
    -----
    Martilla & James (1977), Journal of Marketing 41(1), 77-79, split performance at the grand
    mean of P. Here performance is judged against what customers expected: an item performs
    when its gap is not clearly below zero (the verdict of its test), so that the quadrants and
    the fix-first list follow one rule. Derived importance is the Pearson correlation over
    respondents who answered the item (``scipy.stats.pearsonr``); the overall P includes the
    item itself, a common and documented simplification.
    """
    n, sum_p, sum_pp, sum_y, sum_yy, sum_py, sum_e = histograms(data).pair_moments().T
    count = n.astype(np.int64)
    performance = sum_p / np.maximum(n, 1)
    stated = data.importance is not None and data.importance_given.any()
    if stated:
        given = data.importance_given
        answers = given.sum(axis=0)
        importance = data.importance.sum(axis=0, dtype=np.int64) / np.maximum(answers, 1)
        importance[answers == 0] = np.nan
    else:
        importance = _pearson(n, sum_p, sum_pp, sum_y, sum_yy, sum_py)
    options = options or TableOptions.from_settings()
    frame = data.pairs.with_columns(
        n=pl.Series(count.astype(np.int64)),
        performance=pl.Series(performance),
        importance=pl.Series(importance).fill_nan(None),
        importance_source=pl.lit("stated" if stated else "derived"),
    ).filter(pl.col("n") > 0)
    tests = gap_table(data, ["stage", "item"], options).select(
        "stage", "item", *_TESTED, "answers_below"
    )
    frame = frame.join(tests, on=["stage", "item"], how="left")
    frame = flag_small_groups(frame, options, ("performance", "importance", *_TESTED))
    return frame.with_columns(quadrant=priority_rule(frame))


_TESTED = ("gap", "ci_low", "ci_high", "p_adj", "verdict")


def priority_rule(frame: pl.DataFrame) -> pl.Expr:
    """The quadrant of each item: important or not, and clearly below expectations or not.

    An item is *important* when its importance is at least the mean importance of the items
    flagged ``ok`` (of all items not suppressed when none is); it *falls short* when its
    verdict is ``below`` (adjusted p below alpha, gap below zero). Important and falling
    short: ``Concentrate here``; falling short only: ``Low priority``; important only: ``Keep
    up the good work``; neither: ``Possible overkill``. None without an importance or for
    suppressed items. The same rule orders :func:`fix_first`.
    """
    basis = frame.filter(pl.col("flag") == "ok", pl.col("importance").is_not_null())
    if basis.is_empty():
        basis = frame.filter(pl.col("importance").is_not_null())
    if basis.is_empty():  # no item with an importance: no quadrants
        return pl.lit(None, pl.String)
    important = pl.col("importance") >= basis["importance"].mean()
    performs = pl.col("verdict") != "below"
    return (
        pl.when(pl.col("importance").is_null() | pl.col("verdict").is_null())
        .then(None)
        .when(important)
        .then(
            pl.when(performs)
            .then(pl.lit(QUADRANTS[True, True]))
            .otherwise(pl.lit(QUADRANTS[True, False]))
        )
        .otherwise(
            pl.when(performs)
            .then(pl.lit(QUADRANTS[False, True]))
            .otherwise(pl.lit(QUADRANTS[False, False]))
        )
    )


def _pearson(n, sx, sxx, sy, syy, sxy) -> np.ndarray:
    """Pearson r from sums over the rows; NaN where fewer than 3 rows or either side is
    constant (scores are small integers, so the sums of x and x^2 are exact)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        vx, vy = n * sxx - sx * sx, n * syy - sy * sy
        r = (n * sxy - sx * sy) / np.sqrt(vx * vy)
    r[(n < 3) | (vx <= 0) | (vy <= 0)] = np.nan
    return r


def fix_first(
    data: GapData, options: TableOptions | None = None, ipa: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Pain points (item at a stage) in the order to fix them.

    Returns
    -------
    pl.DataFrame
        Items at a stage clearly below expectations, first to fix first: ``rank, stage, item,
        dimension, element, n, gap, ci_low, ci_high, p_adj, padjust, answers_below,
        importance, importance_source, importance_weight, score, quadrant``.

    Notes
    -----
    The list holds the items of the two quadrants of :func:`priority_rule` that fall short:
    ``Concentrate here`` (important) first, then ``Low priority``; within each, by
    ``score = shortfall x importance_weight x answers_below`` where ``shortfall = -gap``
    (scale points below expectation), ``importance_weight`` is the item's importance divided
    by the largest importance among the items (derived importances below zero count as 0),
    and ``answers_below`` is the share of the item's answers with P < E (how many it touches).
    Without importances every shortfall is in one group. Equal scores are ordered by the larger
    shortfall.
    """
    options = options or TableOptions.from_settings()
    if ipa is None:
        ipa = importance_performance(data, options)
    # the item tests come with the importance-performance table (one gap table for both)
    table = ipa.with_columns(padjust=pl.lit(options.padjust))
    top = table["importance"].clip(lower_bound=0).max() or 1.0
    table = table.with_columns(
        importance_weight=pl.col("importance").clip(lower_bound=0).fill_null(0) / top,
        # "Concentrate here" first; Low priority, and items without importance, after
        _later=pl.col("quadrant").fill_null("") != QUADRANTS[True, False],
    ).with_columns(score=-pl.col("gap") * pl.col("importance_weight") * pl.col("answers_below"))
    pain = table.filter(pl.col("verdict") == "below").sort(
        ["_later", "score", "gap"],
        descending=[False, True, False],  # ties (no importance): larger shortfall first
    )
    return pain.with_row_index("rank", offset=1).select(
        "rank",
        "stage",
        "item",
        "dimension",
        "element",
        "n",
        "gap",
        "ci_low",
        "ci_high",
        "p_adj",
        "padjust",
        "answers_below",
        "importance",
        "importance_source",
        "importance_weight",
        "score",
        "quadrant",
    )
