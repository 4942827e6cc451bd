"""Comparisons between groups of respondents: wave over wave, and segments against the rest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from gapmodel.core.vocabulary import ITEM_KEYS
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, finish_table, histograms, summary_table
from gapmodel.model.stats import histogram_stats, welch_anova, welch_t

TREND_COLUMNS = (
    "n_from",
    "n_to",
    "gap_from",
    "gap_to",
    "change",
    "se",
    "ci_low",
    "ci_high",
    "t",
    "dof",
    "p_val",
    "change_e",
    "change_p",
    "driver",
)


def _check_item_keys(by: Sequence[str]) -> list[str]:
    if any(k not in ITEM_KEYS for k in by) or len(set(by)) != len(by):
        raise ValueError(f"Compare by distinct keys among {', '.join(ITEM_KEYS)}. Got {list(by)}.")
    return list(by)


def trend(
    data: GapData,
    wave_from: str,
    wave_to: str,
    by: Sequence[str] = ("stage", "item"),
    options: TableOptions | None = None,
) -> pl.DataFrame:
    """Change in the mean gap of each group from one wave to another.

    Parameters
    ----------
    data : GapData
        Responses including both waves.
    wave_from, wave_to : str
        The earlier and the later wave.
    by : sequence of str
        Item-level keys (``stage, item, dimension, element``); empty for overall.
    options : TableOptions, optional
        Adjustment, alpha and small-group thresholds (n is the smaller of the two waves).

    Returns
    -------
    pl.DataFrame
        ``by`` columns, ``n_from, n_to, gap_from, gap_to``; ``change = gap_to - gap_from``
        with Welch's ``se, ci_low, ci_high, t, dof, p_val``; the decomposition
        ``change = change_p - change_e`` (change in mean perception and in mean expectation);
        ``driver``: ``expectations`` when expectations moved more than perceptions, else
        ``perceptions``; then ``n`` (smaller wave), ``p_adj, significant, flag, padjust``.

    Notes
    -----
    The waves are independent samples of respondents, so the change is tested with Welch's
    t-test on respondent-level gaps (``scipy.stats.ttest_ind(to, from, equal_var=False)``);
    Welch (1947), Biometrika 34, 28-35.
    """
    options = options or TableOptions.from_settings()
    keys = _check_item_keys(by)
    waves = data.respondents["wave"].unique().cast(pl.String).to_list()
    for wave in (wave_from, wave_to):
        if wave not in waves:
            raise ValueError(f"There is no wave {wave!r}. Waves: {', '.join(sorted(waves))}.")
    if wave_from == wave_to:
        raise ValueError("Choose two different waves to compare.")
    table = summary_table(data, ["wave", *keys], options.tolerance).with_columns(
        pl.col("wave").cast(pl.String)
    )
    first = table.filter(pl.col("wave") == wave_from).drop("wave")
    second = table.filter(pl.col("wave") == wave_to).drop("wave")
    both = _join_on(first, second, keys, how="inner", suffix="_to")
    test = welch_t(
        both["n"].to_numpy(),
        both["gap"].to_numpy(),
        both["sd"].fill_null(np.nan).to_numpy() ** 2,
        both["n_to"].to_numpy(),
        both["gap_to"].to_numpy(),
        both["sd_to"].fill_null(np.nan).to_numpy() ** 2,
    )
    change_e = both["mean_e_to"] - both["mean_e"]
    change_p = both["mean_p_to"] - both["mean_p"]
    result = both.select(
        *keys,
        n_from=pl.col("n"),
        n_to=pl.col("n_to"),
        gap_from=pl.col("gap"),
        gap_to=pl.col("gap_to"),
    ).with_columns(
        change=pl.Series(test["diff"]),
        se=pl.Series(test["se"]),
        ci_low=pl.Series(test["ci_low"]),
        ci_high=pl.Series(test["ci_high"]),
        t=pl.Series(test["t"]),
        dof=pl.Series(test["dof"]),
        p_val=pl.Series(test["p_val"]),
        change_e=change_e,
        change_p=change_p,
        driver=pl.when(change_e.abs() > change_p.abs())
        .then(pl.lit("expectations"))
        .otherwise(pl.lit("perceptions")),
        n=pl.min_horizontal("n_from", "n_to"),
    )
    result = result.with_columns(pl.col(pl.Float64).fill_nan(None))
    return finish_table(result, keys, options).select(*keys, *TREND_COLUMNS, *_TAIL)


_TAIL = ("n", "p_adj", "significant", "flag", "padjust")


def _join_on(
    left: pl.DataFrame, right: pl.DataFrame, keys: list[str], how: str = "left", suffix="_right"
) -> pl.DataFrame:
    """Join on ``keys``, sorted by them; with no keys (one overall row each side), every left
    row takes every right row."""
    if not keys:
        return left.join(right, how="cross", suffix=suffix)
    return left.join(right, on=keys, how=how, suffix=suffix, nulls_equal=True).sort(keys)


def segment_gaps(
    data: GapData,
    attribute: str,
    by: Sequence[str] = ("dimension",),
    options: TableOptions | None = None,
) -> pl.DataFrame:
    """The gap of each segment, and each segment against all other respondents.

    Parameters
    ----------
    data : GapData
        Prepared responses.
    attribute : str
        The respondent attribute (or ``wave``) whose values define the segments.
    by : sequence of str
        Item-level keys; empty for the overall gap.
    options : TableOptions, optional
        Adjustment, alpha and small-group thresholds.

    Returns
    -------
    pl.DataFrame
        ``attribute``, ``by`` columns, the gap table columns of the segment
        (``n, mean_e, mean_p, gap, sd, ci_low, ci_high``), then ``gap_rest`` (all other
        respondents), ``diff = gap - gap_rest`` with Welch's ``t, dof, p_val``, ``p_adj``
        over the table, ``significant``, ``worse`` (significantly below the rest), ``flag``
        and ``padjust``.

    Notes
    -----
    The rest's histogram is the total's minus the segment's, so its statistics are exact.
    Segment and rest are independent samples: Welch's t-test
    (``scipy.stats.ttest_ind(segment, rest, equal_var=False)``).
    """
    options = options or TableOptions.from_settings()
    keys = _check_item_keys(by)
    if attribute not in data.respondent_keys:
        raise ValueError(
            f"Segments come from one of {', '.join(data.respondent_keys)}. Got {attribute!r}."
        )
    cache = histograms(data)
    seg_hist, _, seg_labels = cache.frames([attribute], keys)
    all_hist, _, all_labels = cache.frames([], keys)
    # one row per group and value: the same value can arise from several (sum, count) pairs
    seg_hist = (
        seg_hist.join(seg_labels, on="_group")
        .group_by(attribute, *keys, "value")
        .agg(pl.col("count").sum())
    )
    all_hist = (
        all_hist.join(all_labels, on="_group").group_by(*keys, "value").agg(pl.col("count").sum())
    )
    rest = (
        _join_on(seg_hist.select(attribute, *keys).unique(), all_hist, keys)
        .join(
            seg_hist.rename({"count": "own"}),
            on=[attribute, *keys, "value"],
            how="left",
            nulls_equal=True,
        )
        .with_columns(count=pl.col("count") - pl.col("own").fill_null(0))
        .filter(pl.col("count") > 0)
        .select(attribute, *keys, "value", "count")
    )
    rest_stats = histogram_stats(rest, [attribute, *keys]).select(
        attribute, *keys, n_rest="n", gap_rest="gap", sd_rest="sd"
    )
    own = summary_table(data, [attribute, *keys], options.tolerance)
    both = own.join(rest_stats, on=[attribute, *keys], how="left", nulls_equal=True)
    test = welch_t(
        both["n_rest"].fill_null(0).to_numpy(),
        both["gap_rest"].fill_null(np.nan).to_numpy(),
        both["sd_rest"].fill_null(np.nan).to_numpy() ** 2,
        both["n"].to_numpy(),
        both["gap"].to_numpy(),
        both["sd"].fill_null(np.nan).to_numpy() ** 2,
    )
    result = both.select(
        attribute, *keys, "n", "mean_e", "mean_p", "gap", "sd", "ci_low", "ci_high", "gap_rest"
    ).with_columns(
        diff=pl.Series(test["diff"]),
        t=pl.Series(test["t"]),
        dof=pl.Series(test["dof"]),
        p_val=pl.Series(test["p_val"]),
    )
    result = result.with_columns(pl.col(pl.Float64).fill_nan(None))
    result = finish_table(result, [attribute, *keys], options)
    return result.with_columns(worse=pl.col("significant") & (pl.col("diff") < 0)).select(
        attribute,
        *keys,
        "n",
        "mean_e",
        "mean_p",
        "gap",
        "sd",
        "ci_low",
        "ci_high",
        "gap_rest",
        "diff",
        "t",
        "dof",
        "p_val",
        "p_adj",
        "significant",
        "worse",
        "flag",
        "padjust",
    )


def segment_differences(
    data: GapData,
    attribute: str,
    by: Sequence[str] = ("dimension",),
    options: TableOptions | None = None,
) -> pl.DataFrame:
    """Does the mean gap differ across segments? Welch's ANOVA per group of items.

    Returns
    -------
    pl.DataFrame
        ``by`` columns, ``segments`` (how many were tested: those not suppressed, with n >= 2),
        ``f, df1, df2, p_val``, then ``n`` (respondents tested), ``p_adj, significant, flag,
        padjust``.

    Notes
    -----
    Welch (1951); equals ``scipy.stats.f_oneway(*groups, equal_var=False)`` on the segments'
    respondent-level gaps.
    """
    options = options or TableOptions.from_settings()
    keys = _check_item_keys(by)
    own = summary_table(data, [attribute, *keys], options.tolerance).filter(
        pl.col("n") >= max(options.suppress_n, 2)
    )
    rows = []
    for cell, part in own.group_by(keys, maintain_order=True) if keys else [((), own)]:
        f, df1, df2, p = welch_anova(part["n"], part["gap"], part["sd"].fill_null(np.nan) ** 2)
        rows.append(
            {
                **dict(zip(keys, cell, strict=True)),
                "segments": part.height,
                "f": f,
                "df1": df1,
                "df2": df2,
                "p_val": p,
                "n": int(part["n"].sum()),
            }
        )
    schema = {
        **{k: own.schema[k] for k in keys},
        "segments": pl.Int64,
        "f": pl.Float64,
        "df1": pl.Float64,
        "df2": pl.Float64,
        "p_val": pl.Float64,
        "n": pl.Int64,
    }
    result = pl.DataFrame(rows, schema=schema).with_columns(pl.col(pl.Float64).fill_nan(None))
    result = finish_table(result.sort(keys) if keys else result, keys, options)
    return result.select(*keys, "segments", "f", "df1", "df2", "p_val", *_TAIL)
