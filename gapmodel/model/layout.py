"""How long rows of scores map onto respondent x pair matrices, group codes, and the deferred
takes that let a subset share its parent's matrices until it needs its own."""

from __future__ import annotations

import numpy as np
import polars as pl


class Taken:
    """A matrix attribute of a subset, taken from the original matrix on first use (a view
    may never need it: tables read the subset's histograms)."""

    def __set_name__(self, owner, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, data, owner=None):
        if data is None:
            return self
        value = data.__dict__[self.slot]
        if isinstance(value, Take):
            value = data.__dict__[self.slot] = value()
        return value

    def __set__(self, data, value) -> None:
        data.__dict__[self.slot] = value


class Take:
    """Rows (and columns) of a matrix, to be taken when asked for."""

    def __init__(self, matrix: np.ndarray, rows, columns):
        self.matrix, self.rows, self.columns = matrix, rows, columns

    def __call__(self) -> np.ndarray:
        taken = self.matrix[self.rows]
        return taken if self.columns is None else taken[:, self.columns]

    def then(self, rows, columns) -> Take:
        """The rows and columns of what this would take, taken in one step from the matrix."""
        if isinstance(self.rows, slice):
            combined_rows = rows
        else:
            combined_rows = self.rows[rows]
        if columns is None or self.columns is None:
            combined_columns = self.columns if columns is None else columns
        else:
            combined_columns = self.columns[columns]
        return Take(self.matrix, combined_rows, combined_columns)


def row_lookup(people: pl.DataFrame, scores: pl.DataFrame):
    """A function (wave codes, respondent numbers) -> matrix rows, -1 for unknown respondents.

    The store numbers each wave's respondents 1..n, so a row is usually the wave's offset plus
    the number; otherwise a lookup table maps them.
    """
    wave = people["wave"].to_physical().to_numpy().astype(np.int64)
    number = people["respondent"].to_numpy().astype(np.int64)
    n_waves = len(people["wave"].dtype.categories)
    sizes = np.bincount(wave, minlength=n_waves)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    expected = np.arange(number.size) - offsets[wave] + 1
    in_order = bool(np.all(np.diff(wave) >= 0)) if wave.size else True
    if in_order and np.array_equal(number, expected):

        def dense_rows(wave_code: np.ndarray, respondent: np.ndarray) -> np.ndarray:
            rows = offsets[wave_code]
            rows += respondent
            rows -= 1
            unknown = (respondent < 1) | (respondent > sizes[wave_code])
            if unknown.any():
                rows[unknown] = -1
            return rows

        return dense_rows
    top = max(int(number.max(initial=0)), int(scores["respondent"].max() or 0))
    table = np.full((n_waves, top + 1), -1, np.int64)
    table[wave, number] = np.arange(number.size)

    def looked_up(wave_code: np.ndarray, respondent: np.ndarray) -> np.ndarray:
        return table[wave_code, respondent]

    return looked_up


def codes_of(series: pl.Series) -> np.ndarray:
    """Dense integer codes of a column (its physical codes when it is already an Enum)."""
    if not isinstance(series.dtype, pl.Enum):
        series = series.cast(pl.String)
        series = series.cast(pl.Enum(series.unique().drop_nulls().sort().to_list()))
    return series.to_physical().to_numpy()


def regular_width(
    wave: np.ndarray, respondent: np.ndarray, stage: np.ndarray, item: np.ndarray
) -> int:
    """Pairs per respondent when rows are grouped by respondent, in increasing (wave,
    respondent) order, each with the same distinct pairs in the same order; else 0."""
    if respondent.size == 0:
        return 0
    prefix = slice(0, min(respondent.size, 4096))
    changes = np.flatnonzero((respondent[prefix] != respondent[0]) | (wave[prefix] != wave[0]))
    width = int(changes[0]) if changes.size else respondent.size
    first_pairs = stage[:width].astype(np.int64) * (int(item[:width].max()) + 1) + item[:width]
    if respondent.size % width or np.unique(first_pairs).size != width:
        return 0
    for per_respondent in (respondent, wave):
        matrix = per_respondent.reshape(-1, width)
        if not (matrix == matrix[:, :1]).all():
            return 0
    for per_pair in (stage, item):
        matrix = per_pair.reshape(-1, width)
        if not (matrix == matrix[:1]).all():
            return 0
    key = (wave[::width].astype(np.int64) << 32) + respondent[::width]
    return width if np.all(key[1:] > key[:-1]) else 0


def irregular_layout(wave, respondent, pair):
    """Row and column of each long row when respondents answer different pairs."""
    key = (wave.astype(np.int64) << 32) + respondent.astype(np.int64)
    order = None
    if key.size and np.any(key[1:] < key[:-1]):
        order = np.argsort(key, kind="stable")
        key, pair = key[order], pair[order]
    change = np.ones(key.size, bool)
    np.not_equal(key[1:], key[:-1], out=change[1:])
    rows = np.cumsum(change) - 1
    present, columns = np.unique(pair, return_inverse=True)
    pair_rows = np.zeros(present.size, np.int64)
    pair_rows[columns[::-1]] = np.arange(columns.size - 1, -1, -1)
    return rows, columns, order, np.flatnonzero(change), pair_rows


def both(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    return a if b is None else a & b


def group_codes(frame: pl.DataFrame) -> tuple[np.ndarray, pl.DataFrame]:
    """Dense codes of the rows of ``frame`` by all its columns, and the sorted labels.

    Examples
    --------
    >>> codes, labels = group_codes(pl.DataFrame({"segment": ["b", "a", "b"]}))
    >>> codes.tolist(), labels["segment"].to_list()
    ([1, 0, 1], ['a', 'b'])
    """
    keys = frame.columns
    labels = frame.unique().sort(keys, nulls_last=True).with_row_index("_code")
    codes = frame.join(labels, on=keys, how="left", nulls_equal=True, maintain_order="left")
    return codes["_code"].to_numpy().astype(np.int64), labels.drop("_code")
