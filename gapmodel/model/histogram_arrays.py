"""Array steps of the histogram cache: score ranges, per-pair sums of a respondent's mean
perception, sums over respondent-group axes, and histogram frames with their labels."""

from __future__ import annotations

import numpy as np
import polars as pl

from gapmodel.model.gapdata import GapData

HIST_SCHEMA = {"_group": pl.Int64, "value": pl.Float64, "count": pl.Int64}
MEAN_SCHEMA = {"_group": pl.Int64, "mean_e": pl.Float64}


def score_range(data: GapData) -> tuple[int, int]:
    """The lowest score (0 at most: unanswered pairs hold 0) and the number of scores."""
    low = int(min(data.e.min(initial=0), data.p.min(initial=0)))
    return low, int(max(data.e.max(initial=0), data.p.max(initial=0))) - low + 1


def y_terms(data: GapData, rows: np.ndarray) -> np.ndarray:
    """Per pair, over some respondents (integer positions) who answered it: the sums of Y,
    Y^2 and P*Y, Y being a respondent's mean perception over their answered pairs."""
    p = data.p[rows].astype(np.float64)  # 0 where unanswered
    if data.answered is None:
        y = p.sum(axis=1) / p.shape[1]
        return np.stack([np.full(p.shape[1], y.sum()), np.full(p.shape[1], y @ y), y @ p], 1)
    answered = data.answered[rows].astype(np.float64)
    count = answered.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(count > 0, p.sum(axis=1) / count, 0.0)
    return np.stack([y @ answered, (y * y) @ answered, y @ p], axis=1)


def reduce_groups(
    array: np.ndarray, cached_keys: tuple[str, ...], keys: tuple[str, ...]
) -> np.ndarray:
    """Sum the leading group axes of ``array`` down to ``keys`` and flatten them into one."""
    lead = len(cached_keys)
    keep = [cached_keys.index(k) for k in keys]
    drop = tuple(i for i in range(lead) if i not in keep)
    reduced = array.sum(axis=drop) if drop else array
    remaining = [i for i in range(lead) if i in keep]  # axes left, in cached order
    reduced = np.moveaxis(reduced, [remaining.index(i) for i in keep], list(range(len(keep))))
    groups = int(np.prod([array.shape[i] for i in keep])) if keep else 1
    return reduced.reshape(groups, *array.shape[lead:])


def membership(codes: np.ndarray, n_cells: int, dtype=np.float64) -> np.ndarray:
    """The 0/1 matrix ``(pairs, cells)`` of which cell each pair (row) belongs to."""
    member = np.zeros((codes.size, n_cells), dtype)
    member[np.arange(codes.size), codes] = 1
    return member


def cell_counts(array: np.ndarray, cell_of_pair: np.ndarray) -> np.ndarray:
    """Per-pair counts ``(groups, pairs, bins)`` summed into cells: ``(groups, cells, bins)``."""
    n_cells = int(cell_of_pair.max(initial=0)) + 1
    return np.einsum("gps,pc->gcs", array, membership(cell_of_pair, n_cells, array.dtype))


def pair_frames(array, cell_of_pair, low, width):
    """Per cell, the histogram of gaps and the mean E, from per-pair (E, P) counts."""
    cells = cell_counts(array, cell_of_pair)
    index = np.flatnonzero(cells)
    group, joint = np.divmod(index, width * width)
    e, p = np.divmod(joint, width)
    counts = cells.ravel()[index]
    frame = pl.DataFrame(
        {"_group": group, "value": (p - e).astype(np.float64), "count": counts, "e": e + low},
        schema={**HIST_SCHEMA, "e": pl.Float64},
    )
    means = frame.group_by("_group").agg(
        mean_e=(pl.col("e") * pl.col("count")).sum() / pl.col("count").sum()
    )
    return frame.drop("e"), means


def cell_frames(counts, e_sums, g_low):
    """Histogram frame (value = sum / count) and mean E of every group x cell."""
    _, n_cells, k_top, g_width = counts.shape
    index = np.flatnonzero(counts)
    group, rest = np.divmod(index, k_top * g_width)
    k, g = np.divmod(rest, g_width)
    hist = pl.DataFrame(
        {"_group": group, "value": (g + g_low) / k, "count": counts.ravel()[index]},
        schema=HIST_SCHEMA,
    )
    n = counts.sum(axis=(2, 3)).ravel()
    present = np.flatnonzero(n)
    means = pl.DataFrame(
        {"_group": present, "mean_e": e_sums.ravel()[present] / n[present]}, schema=MEAN_SCHEMA
    )
    return hist, means


def cross_labels(
    group_labels: pl.DataFrame, cell_labels: pl.DataFrame, n_cells: int
) -> pl.DataFrame:
    """Labels of every (respondent group, item cell), coded ``group * n_cells + cell``."""
    groups = (
        group_labels.with_row_index("_g")
        if group_labels.width
        else pl.DataFrame({"_g": [0]}, schema={"_g": pl.UInt32})
    )
    cells = (
        cell_labels.with_row_index("_c")
        if cell_labels.width
        else pl.DataFrame({"_c": [0]}, schema={"_c": pl.UInt32})
    )
    return (
        groups.join(cells, how="cross")
        .with_columns(_group=pl.col("_g").cast(pl.Int64) * n_cells + pl.col("_c"))
        .drop("_g", "_c")
    )
