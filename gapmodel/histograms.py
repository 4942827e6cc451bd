"""Histograms of respondent-level gaps per group, built in one pass and shared by the tables.

A group is a combination of respondent attributes (wave, segment, ...) and item attributes
(stage, item, dimension, element). Histograms are dense integer arrays with one axis per
respondent attribute, so the histogram of a coarser grouping is a sum over axes: one pass over
the data by wave x segment serves the tables by wave, by segment and overall.

Two kinds:

- pair histograms, when each respondent has at most one pair per group (the keys include stage
  and item): counts of each (E, P) combination per pair;
- cell histograms otherwise: each respondent's gap is the mean over the cell's answered pairs,
  ``sum / count``, so the counts are kept per (count, sum) combination.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from gapmodel.gapdata import ITEM_KEYS, RESPONDENT_KEYS, GapData, group_codes

_ROWS = 1 << 16  # respondents per bincount pass: bounds the temporary arrays
HIST_SCHEMA = {"_group": pl.Int64, "value": pl.Float64, "count": pl.Int64}
MEAN_SCHEMA = {"_group": pl.Int64, "mean_e": pl.Float64}


class Histograms:
    """Cache of dense histograms for one :class:`GapData`, by respondent keys and item keys."""

    def __init__(self, data: GapData):
        self.data = data
        self._pairs: dict[tuple[str, ...], tuple] = {}
        self._cells: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple] = {}
        self._keys: dict[str, tuple[np.ndarray, pl.DataFrame]] = {}

    def _key(self, key: str) -> tuple[np.ndarray, pl.DataFrame]:
        """Codes of one respondent attribute and its sorted values (cached)."""
        if key not in self._keys:
            self._keys[key] = group_codes(self.data.respondents.select(key))
        return self._keys[key]

    def warm(self, groupings: Sequence[Sequence[str]]) -> None:
        """Build in shared passes the histograms that the given tables will need.

        Parameters
        ----------
        groupings : sequence of sequence of str
            The ``by`` of each table to come. Tables at pair level share one pass by the union
            of their respondent keys; cell tables share one pass per item grouping.
        """
        pair_keys: dict[str, None] = {}
        cell_keys: dict[tuple[str, ...], dict[str, None]] = {}
        need_pairs = False
        for by in groupings:
            respondent = [k for k in by if k in RESPONDENT_KEYS]
            items = tuple(k for k in by if k in ITEM_KEYS)
            if {"stage", "item"} <= set(items):
                need_pairs = True
                pair_keys.update(dict.fromkeys(respondent))
            else:
                cell_keys.setdefault(items, {}).update(dict.fromkeys(respondent))
        if need_pairs or (cell_keys and self.data.answered is None):
            self._pair_array(tuple(pair_keys))
        self.data.respondent_cells_many(list(cell_keys))
        for items, respondent in cell_keys.items():
            self._cell_array(tuple(respondent), items)

    def frames(
        self, respondent_keys: list[str], item_keys: list[str]
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """Histogram, mean E and labels of every group with respondents.

        Returns
        -------
        (hist, means, labels)
            ``_group, value, count``; ``_group, mean_e``; ``_group`` and the key columns.
        """
        groups = self._respondent_labels(respondent_keys)
        if {"stage", "item"} <= set(item_keys):
            array, low, width = self._pair_array(tuple(respondent_keys))
            cell_of_pair, cell_labels = self.data.pair_cells(item_keys)
            hist, means = _pair_frames(array, cell_of_pair, low, width)
            n_cells = int(cell_of_pair.max(initial=0)) + 1
        else:
            array, sum_e, g_low, cell_labels = self._cell_array(
                tuple(respondent_keys), tuple(item_keys)
            )
            hist, means = _cell_frames(array, sum_e, g_low)
            n_cells = array.shape[1]
        return hist, means, _cross(groups, cell_labels, n_cells)

    # respondent groups -------------------------------------------------------------------

    def _respondent_codes(self, keys: tuple[str, ...]) -> tuple[np.ndarray, list[int]]:
        """Cartesian group code of each respondent, and the size of each key's axis."""
        code = np.zeros(self.data.n_respondents, np.int64)
        sizes = []
        for key in keys:
            key_code, labels = self._key(key)
            code = code * labels.height + key_code
            sizes.append(labels.height)
        return code, sizes

    def _respondent_labels(self, keys: list[str]) -> pl.DataFrame:
        """Labels of the Cartesian groups, in code order."""
        labels = pl.DataFrame()
        for key in keys:
            _, values = self._key(key)
            labels = values if labels.width == 0 else labels.join(values, how="cross")
        return labels

    # pairs -------------------------------------------------------------------------------

    def _pair_array(self, keys: tuple[str, ...]) -> tuple[np.ndarray, int, int]:
        """Counts of shape ``(groups, pairs, width * width)`` over (E - low, P - low)."""
        for cached_keys, (array, low, width) in self._pairs.items():
            if set(keys) <= set(cached_keys):
                return _reduce(array, cached_keys, keys), low, width
        data = self.data
        low = int(min(data.e.min(initial=0), data.p.min(initial=0)))
        width = int(max(data.e.max(initial=0), data.p.max(initial=0))) - low + 1
        square = width * width
        code, sizes = self._respondent_codes(keys)
        n_pairs = data.pairs.height
        bins = int(np.prod(sizes)) * n_pairs * (square + 1)  # + 1: unanswered
        counts = np.zeros(bins, np.int64)
        pair_offset = np.arange(n_pairs, dtype=np.int64) * (square + 1)
        small = np.uint8 if square < 255 else np.uint16
        for start in range(0, data.n_respondents, _ROWS):
            part = slice(start, start + _ROWS)
            joint = (data.e[part] - small(low)).astype(small) * small(width)
            joint += data.p[part] - small(low)
            if data.answered is not None:
                joint[~data.answered[part]] = square
            if keys:
                key = code[part, None] * (n_pairs * (square + 1)) + pair_offset[None, :]
                key += joint
            else:
                key = np.add(joint, pair_offset[None, :], dtype=np.int64)
            counts += np.bincount(key.ravel(), minlength=bins)
        self._pairs[keys] = (counts.reshape(*sizes, n_pairs, square + 1)[..., :square], low, width)
        return self._pair_array(keys)

    # cells -------------------------------------------------------------------------------

    def _cell_array(self, keys: tuple[str, ...], item_keys: tuple[str, ...]):
        """Counts of shape ``(groups, cells, count + 1, sum range)`` and sums of mean E."""
        for (cached_keys, cached_items), (counts, e_sums, g_low, labels) in self._cells.items():
            if cached_items == item_keys and set(keys) <= set(cached_keys):
                return (
                    _reduce(counts, cached_keys, keys),
                    _reduce(e_sums, cached_keys, keys),
                    g_low,
                    labels,
                )
        count, sum_g, sum_e, labels = self.data.respondent_cells_many([item_keys])[0]
        code, sizes = self._respondent_codes(keys)
        n_groups, n_cells = int(np.prod(sizes)), sum_g.shape[0]
        g_low = int(sum_g.min(initial=0))
        k_top = int(count.max(initial=0)) + 1
        g_width = int(sum_g.max(initial=0)) - g_low + 1
        block = n_cells * k_top * g_width  # bins per respondent group
        cell = np.arange(n_cells, dtype=np.int64)[:, None]
        if sum_e is None:  # every pair answered: a cell's count is its size
            key = ((cell * k_top + count) * g_width - g_low) + code[None, :] * block
            key += sum_g
        else:
            key = ((code[None, :] * n_cells + cell) * k_top + count) * g_width + (sum_g - g_low)
        counts = np.bincount(key.ravel(), minlength=n_groups * block)
        counts = counts.reshape(*sizes, n_cells, k_top, g_width)
        counts[..., 0, :] = 0  # respondents who answered nothing in the cell
        e_sums = self._cell_e_sums(keys, item_keys, code, count, sum_e)
        self._cells[(keys, item_keys)] = (counts, e_sums.reshape(*sizes, n_cells), g_low, labels)
        return self._cell_array(keys, item_keys)

    def _cell_e_sums(self, keys, item_keys, code, count, sum_e) -> np.ndarray:
        """Per group and cell, the sum over respondents of their mean E over the cell."""
        if sum_e is None:
            # Complete data: sum of respondent means = sum over the cell's pairs of E / size.
            pairs, low, width = self._pair_array(keys)
            e_value = np.arange(width * width) // width + low
            e_total = pairs @ e_value  # (groups, pairs)
            cell_of_pair, _ = self.data.pair_cells(item_keys)
            member = np.zeros((cell_of_pair.size, count.shape[0]))
            member[np.arange(cell_of_pair.size), cell_of_pair] = 1
            return (e_total @ member) / count[:, 0]
        n_cells = count.shape[0]
        group = code[None, :] * n_cells + np.arange(n_cells)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_e = np.where(count > 0, sum_e / count, 0.0)
        size = int(np.prod(self._respondent_codes(keys)[1])) * n_cells
        return np.bincount(group.ravel(), weights=mean_e.ravel(), minlength=size)


def _reduce(array: np.ndarray, cached_keys: tuple[str, ...], keys: tuple[str, ...]) -> np.ndarray:
    """Sum the leading group axes of ``array`` down to ``keys`` and flatten them into one."""
    lead = len(cached_keys)
    keep = [cached_keys.index(k) for k in keys]
    drop = tuple(i for i in range(lead) if i not in keep)
    reduced = array.sum(axis=drop) if drop else array
    remaining = [i for i in range(lead) if i in keep]  # axes left, in cached order
    reduced = np.moveaxis(reduced, [remaining.index(i) for i in keep], list(range(len(keep))))
    groups = int(np.prod([array.shape[i] for i in keep])) if keep else 1
    return reduced.reshape(groups, *array.shape[lead:])


def _pair_frames(array, cell_of_pair, low, width):
    """Per cell, the histogram of gaps and the mean E, from per-pair (E, P) counts."""
    n_cells = int(cell_of_pair.max(initial=0)) + 1
    member = np.zeros((cell_of_pair.size, n_cells), np.int64)
    member[np.arange(cell_of_pair.size), cell_of_pair] = 1
    cells = np.einsum("gps,pc->gcs", array, member)
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


def _cell_frames(counts, e_sums, g_low):
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


def _cross(group_labels: pl.DataFrame, cell_labels: pl.DataFrame, n_cells: int) -> pl.DataFrame:
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
