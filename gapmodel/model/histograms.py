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

A selection of respondents by attribute values (some waves, one segment, ...) is a set of whole
groups by all respondent keys: :meth:`Histograms.partition` builds those arrays once, and the
selection's histograms (:meth:`Histograms.select`) are slices of them, with no pass over the
respondents.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from gapmodel.core.vocabulary import ITEM_KEYS
from gapmodel.model.gapdata import GapData
from gapmodel.model.histogram_arrays import (
    cell_counts,
    cell_frames,
    cross_labels,
    membership,
    pair_frames,
    reduce_groups,
    score_range,
    y_terms,
)
from gapmodel.model.layout import group_codes

_ROWS = 1 << 16  # respondents per bincount pass: bounds the temporary arrays
# Largest array kept by all respondent keys: 32 MB of counts (twice that while built).
_PARTITION_BINS = 1 << 22
MOMENTS = ("n", "sum_p", "sum_pp", "sum_y", "sum_yy", "sum_py", "sum_e")


class Histograms:
    """Cache of dense histograms for one :class:`GapData`, by respondent keys and item keys."""

    def __init__(self, data: GapData):
        self.data = data
        self._pairs: dict[tuple[str, ...], tuple] = {}
        self._cells: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple] = {}
        self._keys: dict[str, tuple[np.ndarray, pl.DataFrame]] = {}
        self._moments: dict[tuple[str, ...], np.ndarray] = {}
        # The respondent keys of the arrays that selections are sliced from (see partition).
        self._partition: tuple[str, ...] = ()

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
            respondent = [k for k in by if k in self.data.respondent_keys]
            items = tuple(k for k in by if k in ITEM_KEYS)
            if {"stage", "item"} <= set(items):
                need_pairs = True
                pair_keys.update(dict.fromkeys(respondent))
            else:
                cell_keys.setdefault(items, {}).update(dict.fromkeys(respondent))
        if need_pairs or (cell_keys and self.data.answered is None):
            self._pair_array(tuple(pair_keys))
        self.data.respondent_cells_many([k for k in cell_keys if not self._sliceable(k)])
        for items, respondent in cell_keys.items():
            self._cell_array(tuple(respondent), items)

    def partition(self, item_groupings: Sequence[Sequence[str]]) -> None:
        """Build the arrays by respondent keys that selections are sliced from: the pair array
        and the cell arrays of ``item_groupings``, each if it fits in memory.

        The keys are the wave and as many attributes, fewest values first, as keep the pair
        array within bounds; a selection that picks only their values is sliced, any other is
        built from its own respondents.
        """
        keys, data = self._partition_keys(), self.data
        self._partition = keys
        groups = int(np.prod([self._key(k)[1].height for k in keys]))
        if keys not in self._pairs and data.n_respondents and data.pairs.height:
            _, width = score_range(data)
            if groups * data.pairs.height * (width * width + 1) <= _PARTITION_BINS:
                self._pair_array(keys)
        fits = groups * data.pairs.height * len(MOMENTS) <= _PARTITION_BINS
        if keys in self._pairs and keys not in self._moments and fits:  # moments use the pairs
            self._moments[keys] = self._group_moments(keys)
        groupings = [tuple(g) for g in item_groupings]
        cells = data.respondent_cells_many(groupings)
        for items, (count, sum_g, _, _) in zip(groupings, cells, strict=True):
            span = int(sum_g.max(initial=0)) - int(sum_g.min(initial=0)) + 1
            if groups * sum_g.shape[0] * (int(count.max(initial=0)) + 1) * span <= _PARTITION_BINS:
                self._cell_array(keys, items)

    def _partition_keys(self) -> tuple[str, ...]:
        """The wave and the attributes that fit the partition's bound, in the data's order."""
        data = self.data
        _, width = score_range(data) if data.n_respondents else (0, 1)
        per_group = max(data.pairs.height, 1) * (width * width + 1)
        sizes = {k: self._key(k)[1].height for k in data.respondent_keys}
        groups, chosen = sizes[data.respondent_keys[0]], {data.respondent_keys[0]}
        for key in sorted(data.attributes, key=sizes.__getitem__):
            if groups * sizes[key] * per_group <= _PARTITION_BINS:
                groups *= sizes[key]
                chosen.add(key)
        return tuple(k for k in data.respondent_keys if k in chosen)

    def _sliceable(self, item_keys: tuple[str, ...]) -> bool:
        """Whether the cell arrays of ``item_keys`` come ready (sliced from a parent)."""
        return False

    def adopt(self, whole: Histograms, pairs: np.ndarray) -> None:
        """Take what ``whole`` (the same respondents with more pairs) has built and still holds
        for this data's ``pairs`` (a boolean mask over whole's pairs): the respondent codes,
        the pair arrays, and the cell arrays of cells within one stage."""
        self._keys, self._partition = whole._keys, whole._partition
        for keys, (array, low, width) in list(whole._pairs.items()):
            self._pairs[keys] = (array[..., pairs, :], low, width)
        stages = self.data.pairs["stage"].cast(pl.String).unique().to_list()
        for (keys, items), (counts, e_sums, g_low, labels) in list(whole._cells.items()):
            if "stage" in items:
                kept = labels["stage"].cast(pl.String).is_in(stages).to_numpy()
                cells = counts[..., kept, :, :], e_sums[..., kept], g_low, labels.filter(kept)
                self._cells[(keys, items)] = cells

    def rows(self, picks: dict[str, Sequence[str]]) -> np.ndarray:
        """Boolean mask of the respondents whose attributes take the picked values.

        Parameters
        ----------
        picks : dict
            Respondent key -> the values kept; keys left out keep every respondent.
        """
        mask = np.ones(self.data.n_respondents, bool)
        for key, values in picks.items():
            codes, labels = self._key(key)
            kept = np.zeros(labels.height, bool)
            kept[self._picked(key, values)] = True
            mask &= kept[codes]
        return mask

    def select(self, data: GapData, picks: dict[str, Sequence[str]], rows: np.ndarray):
        """Histograms of ``data``: the ``rows`` (:meth:`rows` of ``picks``) of this one's data,
        every pair kept.

        Arrays built by :meth:`partition` are sliced; anything else is built from ``data``.
        """
        return _Selection(self, data, picks, rows)

    def _picked(self, key: str, values: Sequence[str] | None) -> np.ndarray:
        """Codes of ``key``'s picked values (every code for None)."""
        _, labels = self._key(key)
        column = labels[key]
        if values is None:
            return np.arange(labels.height)
        return np.flatnonzero(column.cast(pl.String).is_in(list(values)).fill_null(False))

    def pair_moments(self) -> np.ndarray:
        """Sums over the respondents who answered each pair, shape ``(pairs, 7)``, in the order
        of :data:`MOMENTS`: count, sums of P, P^2, Y, Y^2 and P*Y, and the sum of E, where Y
        is the respondent's mean perception over all their answered pairs."""
        if () not in self._moments:
            self._moments[()] = self._group_moments(())
        return self._moments[()]

    def _group_moments(self, keys: tuple[str, ...]) -> np.ndarray:
        """:meth:`pair_moments` per respondent group, shape ``(*group sizes, pairs, 7)``: the
        sums of P, P^2 and E from the pair array, the terms in Y from the matrices."""
        data = self.data
        code, sizes = self._respondent_codes(keys)
        counts, low, width = self._pair_array(keys)  # (groups, pairs, E x P)
        e_value, p_value = np.divmod(np.arange(width * width), width)
        e_value, p_value = e_value + low, p_value + low
        y_sums = np.zeros((*counts.shape[:2], 3))
        order = np.argsort(code, kind="stable")
        bounds = np.flatnonzero(np.diff(code[order], prepend=-1, append=-1))
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            for part in range(start, stop, _ROWS):
                rows = order[part : min(part + _ROWS, stop)]
                y_sums[code[rows[0]]] += y_terms(data, rows)
        moments = np.stack(
            [
                counts.sum(axis=-1),
                counts @ p_value,
                counts @ (p_value * p_value),
                *np.moveaxis(y_sums, -1, 0),
                counts @ e_value,
            ],
            axis=-1,
        ).astype(np.float64)
        return moments.reshape(*sizes, data.pairs.height, len(MOMENTS))

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
            hist, means = pair_frames(array, cell_of_pair, low, width)
            n_cells = int(cell_of_pair.max(initial=0)) + 1
        else:
            array, sum_e, g_low, cell_labels = self._cell_array(
                tuple(respondent_keys), tuple(item_keys)
            )
            hist, means = cell_frames(array, sum_e, g_low)
            n_cells = array.shape[1]
        return hist, means, cross_labels(groups, cell_labels, n_cells)

    def answer_shares(self, respondent_keys: list[str], item_keys: list[str]) -> pl.DataFrame:
        """Per group (coded as in :meth:`frames`), the shares of answered pairs with P < E,
        P = E and P > E: ``_group, answers_below, answers_equal, answers_above``."""
        array, _, width = self._pair_array(tuple(respondent_keys))  # (groups, pairs, E x P)
        cell_of_pair, _ = self.data.pair_cells(item_keys)
        e_value, p_value = np.divmod(np.arange(width * width), width)
        sides = np.stack([p_value < e_value, p_value == e_value, p_value > e_value], 1)
        per_pair = array @ sides.astype(array.dtype)  # (groups, pairs, 3)
        counts = cell_counts(per_pair, cell_of_pair).reshape(-1, 3)
        total = counts.sum(axis=1)
        present = np.flatnonzero(total)
        shares = counts[present] / total[present, None]
        return pl.DataFrame(
            {
                "_group": present.astype(np.int64),
                "answers_below": shares[:, 0],
                "answers_equal": shares[:, 1],
                "answers_above": shares[:, 2],
            }
        )

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
        for cached_keys, (array, low, width) in list(self._pairs.items()):
            if set(keys) <= set(cached_keys):
                return reduce_groups(array, cached_keys, keys), low, width
        data = self.data
        low, width = score_range(data)
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
        for (cached_keys, cached_items), (counts, e_sums, g_low, labels) in list(
            self._cells.items()
        ):
            if cached_items == item_keys and set(keys) <= set(cached_keys):
                return (
                    reduce_groups(counts, cached_keys, keys),
                    reduce_groups(e_sums, cached_keys, keys),
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
            return (e_total @ membership(cell_of_pair, count.shape[0])) / count[:, 0]
        n_cells = count.shape[0]
        group = code[None, :] * n_cells + np.arange(n_cells)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_e = np.where(count > 0, sum_e / count, 0.0)
        size = int(np.prod(self._respondent_codes(keys)[1])) * n_cells
        return np.bincount(group.ravel(), weights=mean_e.ravel(), minlength=size)


class _Selection(Histograms):
    """Histograms of a selection of whole respondent groups of a parent, sliced from the
    parent's arrays by all respondent keys where it has them (see :meth:`Histograms.select`).

    A key's groups are the parent's picked values, in the parent's order, so that sliced and
    newly built arrays share one coding.
    """

    def __init__(self, parent: Histograms, data: GapData, picks, rows):
        super().__init__(data)
        self._parent = parent
        self._codes = {k: parent._picked(k, picks.get(k)) for k in data.respondent_keys}
        self._rows = rows
        self._sliced: set = set()
        # Sliceable when the picks are whole groups of the parent's partition.
        partition = parent._partition
        self._slices = tuple(partition) if partition and set(picks) <= set(partition) else None

    def _key(self, key: str) -> tuple[np.ndarray, pl.DataFrame]:
        if key not in self._keys:
            codes, labels = self._parent._key(key)
            kept = self._codes[key]
            recode = np.full(labels.height, -1, np.int64)
            recode[kept] = np.arange(kept.size)
            self._keys[key] = (recode[codes[self._rows]], labels[kept])
        return self._keys[key]

    def _slice(self, array: np.ndarray) -> np.ndarray:
        """The picked groups of an array by all respondent keys (leading axes)."""
        for axis, key in enumerate(self._slices):
            codes = self._codes[key]
            if codes.size < array.shape[axis]:  # a single value is a view, not a copy
                picked = slice(codes[0], codes[0] + 1) if codes.size == 1 else codes
                array = array[(slice(None),) * axis + (picked,)]
        return array

    def _pair_array(self, keys: tuple[str, ...]) -> tuple[np.ndarray, int, int]:
        partition = self._slices
        whole = self._parent._pairs.get(partition) if partition else None
        if whole is not None and "pairs" not in self._sliced:
            self._sliced.add("pairs")
            array, low, width = whole
            self._pairs[partition] = (self._slice(array), low, width)
        return super()._pair_array(keys)

    def pair_moments(self) -> np.ndarray:
        whole = self._parent._moments.get(self._slices) if self._slices else None
        if () not in self._moments and whole is not None:
            sliced = self._slice(whole)
            self._moments[()] = sliced.reshape(-1, *sliced.shape[-2:]).sum(axis=0)
        return super().pair_moments()

    def _sliceable(self, item_keys: tuple[str, ...]) -> bool:
        return self._slices is not None and (self._slices, item_keys) in self._parent._cells

    def _cell_array(self, keys: tuple[str, ...], item_keys: tuple[str, ...]):
        partition = self._slices
        if self._sliceable(item_keys) and item_keys not in self._sliced:
            self._sliced.add(item_keys)
            counts, e_sums, g_low, labels = self._parent._cells[(partition, item_keys)]
            sliced = (self._slice(counts), self._slice(e_sums), g_low, labels)
            self._cells[(partition, item_keys)] = sliced
        return super()._cell_array(keys, item_keys)
