"""Scale reliability (Cronbach's alpha) and the zone of tolerance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, flag_small_groups
from gapmodel.model.stats import cronbach_alpha

ALPHA_COLUMNS = ("measure", "items", "n", "alpha")
ZONE_COLUMNS = (
    "n",
    "mean_a",
    "mean_e",
    "mean_p",
    "msa",
    "mss",
    "share_below",
    "share_inside",
    "share_above",
    "flag",
)


def reliability(data: GapData, by: Sequence[str] = ("stage", "dimension")) -> pl.DataFrame:
    """Cronbach's alpha of the items of each group, for expectations and for perceptions.

    Parameters
    ----------
    data : GapData
        Prepared responses.
    by : sequence of str
        Item-level keys that define a scale (default: each dimension at each stage).

    Returns
    -------
    pl.DataFrame
        ``by`` columns, ``measure`` (``expectation`` or ``perception``), ``items`` (k),
        ``n`` (respondents who answered every item of the group: listwise deletion) and
        ``alpha`` (null when k < 2 or n < 2).

    Notes
    -----
    ``alpha = k / (k - 1) * (1 - sum of item variances / variance of the sum score)``,
    variances with ddof 1 (Cronbach 1951, Psychometrika 16, 297-334).
    """
    codes, labels = data.pair_cells(list(by))
    rows = []
    for cell, label in enumerate(labels.iter_rows(named=True) if by else [{}]):
        columns = np.flatnonzero(codes == cell)
        complete = (
            np.ones(data.n_respondents, bool)
            if data.answered is None
            else data.answered[:, columns].all(axis=1)
        )
        for measure, matrix in (("expectation", data.e), ("perception", data.p)):
            scores = matrix[complete][:, columns]
            rows.append(
                {
                    **label,
                    "measure": measure,
                    "items": columns.size,
                    "n": int(complete.sum()),
                    "alpha": cronbach_alpha(scores),
                }
            )
    schema = {**labels.schema, "measure": pl.String, "items": pl.Int64, "n": pl.Int64}
    frame = pl.DataFrame(rows, schema={**schema, "alpha": pl.Float64})
    return frame.with_columns(pl.col("alpha").fill_nan(None))


def zone_of_tolerance(
    data: GapData, by: Sequence[str] = ("stage", "item"), options: TableOptions | None = None
) -> pl.DataFrame | None:
    """Where perceptions lie relative to the adequate (A) and desired (E) levels.

    Parameters
    ----------
    data : GapData
        Prepared responses; only pairs with an adequate score count.
    by : sequence of str
        Item-level keys (default: each item at each stage; ``("stage", "dimension")`` for
        dimensions, where each respondent's scores are averaged over the items first).
    options : TableOptions, optional
        Small-group thresholds.

    Returns
    -------
    pl.DataFrame or None
        None when the data holds no adequate scores. Otherwise ``by`` columns, ``n``,
        ``mean_a, mean_e, mean_p``, ``msa = mean_p - mean_a`` (measure of service adequacy),
        ``mss = mean_p - mean_e`` (measure of service superiority), the shares of respondents
        whose (mean) P is below A, inside [A, E] or above E, and ``flag``; suppressed groups
        keep only keys, n and flag.

    Notes
    -----
    Parasuraman, Zeithaml & Berry (1994), Journal of Retailing 70(3), 201-230. A respondent
    whose adequate level exceeds the desired level has an empty zone; P is then compared with
    A first (below A counts as below).
    """
    if data.adequate is None or not data.adequate_given.any():
        return None
    options = options or TableOptions.from_settings()
    codes, labels = data.pair_cells(list(by))
    given = data.adequate_given
    rows = []
    for cell, label in enumerate(labels.iter_rows(named=True) if by else [{}]):
        columns = np.flatnonzero(codes == cell)
        mask = given[:, columns]
        count = mask.sum(axis=1)
        answered = count > 0
        if not answered.any():
            continue

        def mean_of(matrix, mask=mask, columns=columns, count=count, answered=answered):
            return (np.where(mask, matrix[:, columns], 0).sum(axis=1)[answered]) / count[answered]

        a, e, p = mean_of(data.adequate), mean_of(data.e), mean_of(data.p)
        n = int(answered.sum())
        below, above = p < a, (p > e) & ~(p < a)
        rows.append(
            {
                **label,
                "n": n,
                "mean_a": a.mean(),
                "mean_e": e.mean(),
                "mean_p": p.mean(),
                "share_below": below.mean(),
                "share_inside": 1 - below.mean() - above.mean(),
                "share_above": above.mean(),
            }
        )
    floats = ("mean_a", "mean_e", "mean_p", "share_below", "share_inside", "share_above")
    schema = {**labels.schema, "n": pl.Int64, **dict.fromkeys(floats, pl.Float64)}
    frame = pl.DataFrame(rows, schema=schema).with_columns(
        msa=pl.col("mean_p") - pl.col("mean_a"), mss=pl.col("mean_p") - pl.col("mean_e")
    )
    statistics = [c for c in ZONE_COLUMNS if c not in ("n", "flag")]
    return flag_small_groups(frame, options, statistics).select(*by, *ZONE_COLUMNS)
