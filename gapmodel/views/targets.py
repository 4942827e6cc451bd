"""Each dimension (and each item a targets file names) against its target: on, near or below."""

from __future__ import annotations

import polars as pl

from gapmodel.core.vocabulary import name_key

TARGET_STATUS = {
    "on": "On target",
    "near": "Near target",
    "below": "Below target",
}


def target_status(table: pl.DataFrame, key: str, targets: dict[str, float], default: float):
    """``table`` (a gap table by ``key``) with ``target`` and ``status``.

    Parameters
    ----------
    table : pl.DataFrame
        Gap table with ``key, gap, ci_high, flag``.
    key : str
        ``dimension`` or ``item``.
    targets : dict
        :func:`gapmodel.core.targets.read_targets`: ``name_key(name) -> target``.
    default : float
        The target of names the dict lacks.

    Returns
    -------
    pl.DataFrame
        The table with ``target`` and ``status``: ``on`` (gap at or above the target),
        ``near`` (below it, but the 95% interval reaches it: not clearly below), ``below``
        (the whole interval is below the target); null for suppressed groups.

    Examples
    --------
    >>> table = pl.DataFrame({"dimension": ["a", "b", "c"], "gap": [-0.1, -0.3, -0.9],
    ...                       "ci_high": [0.0, -0.2, -0.7], "flag": "ok"})
    >>> target_status(table, "dimension", {"c": -1.0}, -0.25)["status"].to_list()
    ['on', 'near', 'on']
    """
    names = table[key].cast(pl.String).to_list()
    target = pl.Series("target", [targets.get(name_key(n), default) for n in names], pl.Float64)
    table = table.with_columns(target)
    status = (
        pl.when(pl.col("flag") == "suppressed")
        .then(None)
        .when(pl.col("gap") >= pl.col("target"))
        .then(pl.lit("on"))
        .when(pl.col("ci_high") >= pl.col("target"))
        .then(pl.lit("near"))
        .otherwise(pl.lit("below"))
    )
    return table.with_columns(status=status)
