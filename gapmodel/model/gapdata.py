"""Responses as dense respondent x pair matrices: the input of every table of the gap model.

Each respondent is a row and each stage x item pair a column; scores are small unsigned
integers, so a million respondents x 66 pairs take 66 MB per measure. When the long frame is
already laid out that way (every respondent answers the same pairs in the same order, as the
store returns a complete wave) the matrices are views of its columns and cost nothing to build.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from gapmodel.core.vocabulary import DEFAULT_STAGES, ITEM_KEYS, MEASURES, WAVE, ordered_enum
from gapmodel.model.layout import (
    Take,
    Taken,
    both,
    codes_of,
    group_codes,
    irregular_layout,
    regular_width,
    row_lookup,
)

_ROWS = 1 << 17  # respondents per chunk when a pass builds temporaries
_SCATTER = 1 << 21  # score rows per slice when scattering into the matrices
# Columns of long responses that are not respondent attributes.
_LONG_COLUMNS = frozenset({WAVE, "respondent", *ITEM_KEYS, *MEASURES})


def attribute_values(values: pl.Series) -> pl.Series:
    """An attribute column as an Enum of its values in their natural order: numeric order when
    every value is a number (``2`` before ``10``), else alphabetical. An Enum keeps its order.

    Examples
    --------
    >>> attribute_values(pl.Series("contacts", ["10", "2", None, "1"])).dtype.categories.to_list()
    ['1', '2', '10']
    """
    if isinstance(values.dtype, pl.Enum):
        return values
    text = values.cast(pl.String)
    distinct = text.drop_nulls().unique()
    numbers = distinct.str.strip_chars().cast(pl.Float64, strict=False)
    if distinct.len() and numbers.null_count() == 0:
        order = pl.DataFrame({"v": distinct, "n": numbers}).sort("n", "v")["v"]
    else:
        order = distinct.sort()
    return text.cast(pl.Enum(order.to_list()))


def stage_order(stages: pl.Series) -> pl.Enum:
    """The stages of long responses as an Enum: kept if they are one already, else the default
    questionnaire's stages in their order, then others in order of first appearance."""
    if isinstance(stages.dtype, pl.Enum):
        return stages.dtype
    seen = stages.cast(pl.String).unique(maintain_order=True).drop_nulls().to_list()
    known = [s for s in DEFAULT_STAGES if s in seen]
    return ordered_enum(known + [s for s in seen if s not in known])


class GapData:
    """Scores of each respondent for each stage x item pair.

    Build it with :meth:`from_responses`; treat it as read-only.

    Attributes
    ----------
    pairs : pl.DataFrame
        ``stage, item, dimension, element``; row ``j`` describes column ``j`` of the matrices.
    respondents : pl.DataFrame
        ``wave, respondent``, then one column per respondent attribute (an Enum of its values,
        null where a respondent has none); row ``i`` describes row ``i``.
    e, p : np.ndarray
        Expectation and perception, shape ``(respondents, pairs)``, uint8.
    answered : np.ndarray or None
        True where both E and P were given; None when every pair is complete.
    adequate, importance : np.ndarray or None
        Optional measures with the same layout; 0 where not given (see ``*_given``).
    adequate_given, importance_given : np.ndarray or None
        Where the optional measure was given (with E and P).
    """

    e = Taken()
    p = Taken()
    answered = Taken()
    adequate = Taken()
    adequate_given = Taken()
    importance = Taken()
    importance_given = Taken()

    def __init__(self, pairs, respondents, e, p, answered, optional):
        self.pairs, self.respondents = pairs, respondents.rechunk()  # one chunk: fast to slice
        self.e, self.p, self.answered = e, p, answered
        self.adequate, self.adequate_given = optional.get("adequate", (None, None))
        self.importance, self.importance_given = optional.get("importance", (None, None))
        self._cells: dict[tuple[str, ...], tuple] = {}
        self._per_respondent: dict[str, tuple[np.ndarray, ...]] = {}
        # A subset's parent, the rows taken and the stages kept (None: all), so that cell sums
        # and per-respondent values come from the parent's when first asked for.
        self._parent: tuple[GapData, np.ndarray | slice, tuple[str, ...] | None] | None = None
        # (dimensions, points of each respondent per dimension), see priorities.attach_allocations
        self.points: tuple[list[str], np.ndarray] | None = None
        # The histogram cache of this data (a gapmodel.model.histograms.Histograms), made or
        # attached by gapmodel.model.gaps.histograms / attach_histograms.
        self.histogram_cache = None

    @property
    def n_respondents(self) -> int:
        return self.respondents.height

    @property
    def attributes(self) -> list[str]:
        """The respondent attributes, in order."""
        return [c for c in self.respondents.columns if c not in (WAVE, "respondent")]

    @property
    def respondent_keys(self) -> tuple[str, ...]:
        """The keys that group respondents: the wave and every attribute."""
        return (WAVE, *self.attributes)

    @property
    def stages(self) -> list[str]:
        """Every stage of the survey, in its order (some may have no pair here)."""
        return self.pairs["stage"].dtype.categories.to_list()

    @classmethod
    def from_responses(cls, responses: pl.DataFrame) -> GapData:
        """Prepare responses for the gap model.

        Parameters
        ----------
        responses : pl.DataFrame
            ``wave, respondent, stage, item, dimension, element, expectation, perception`` and
            optionally ``adequate, importance``; any other column is a respondent attribute (as
            ``Store.responses`` returns them): one row per respondent x stage x item,
            ``respondent`` unique within a wave. A ``stage`` that is not an Enum is ordered by
            :func:`stage_order`.

        Returns
        -------
        GapData
        """
        required = ("wave", "respondent", "stage", "item", "dimension", "element")
        missing = set(required + ("expectation", "perception")) - set(responses.columns)
        if missing:
            raise ValueError(f"The responses lack the column(s) {', '.join(sorted(missing))}.")
        attributes = [c for c in responses.columns if c not in _LONG_COLUMNS]
        frame = responses
        if not isinstance(frame["stage"].dtype, pl.Enum):
            order = stage_order(frame["stage"])
            frame = frame.with_columns(pl.col("stage").cast(pl.String).cast(order))
        wave = codes_of(frame["wave"])
        respondent = frame["respondent"].to_numpy()
        item = codes_of(frame["item"])
        stage = frame["stage"].to_physical().to_numpy()
        width = regular_width(wave, respondent, stage, item)
        if width:
            rows, columns, order = None, None, None
            first = np.arange(0, frame.height, width)
            pairs = frame[:width]
        else:
            n_items = int(item.max(initial=0)) + 1
            pair_code = stage.astype(np.int64) * n_items + item
            rows, columns, order, first, pair_rows = irregular_layout(wave, respondent, pair_code)
            frame = frame[order] if order is not None else frame
            pairs = frame[pair_rows]
            width = pairs.height
        n = first.size

        def dense(column: str) -> tuple[np.ndarray, np.ndarray | None]:
            series = frame[column]
            given = series.is_not_null().to_numpy() if series.null_count() else None
            values = series.fill_null(0).to_numpy().astype(np.uint8, copy=False)
            if rows is None:
                return values.reshape(n, width), None if given is None else given.reshape(n, width)
            matrix = np.zeros((n, width), np.uint8)
            matrix[rows, columns] = values
            mask = np.zeros((n, width), bool)
            mask[rows, columns] = True if given is None else given
            return matrix, mask

        e, e_given = dense("expectation")
        p, p_given = dense("perception")
        answered = both(e_given, p_given)
        if answered is not None:
            e, p = np.where(answered, e, 0), np.where(answered, p, 0)
        optional = {}
        for measure in ("adequate", "importance"):
            if measure in frame.columns and frame[measure].null_count() < frame.height:
                values, given = dense(measure)
                given = both(given, answered)
                if given is None:
                    given = np.ones(values.shape, bool)
                optional[measure] = (np.where(given, values, 0), given)
        first_rows = frame[first]
        people = first_rows.select(
            WAVE, "respondent", *(attribute_values(first_rows[a]) for a in attributes)
        )
        return cls(
            pairs.select("stage", "item", "dimension", "element"),
            people,
            e,
            p,
            answered,
            optional,
        )

    @classmethod
    def from_scores(
        cls, scores: pl.DataFrame, respondents: pl.DataFrame, pairs: pl.DataFrame
    ) -> GapData:
        """Prepare the store's compact scores: one scatter into the matrices, no joins.

        Parameters
        ----------
        scores : pl.DataFrame
            As returned by ``Store.scores``: ``wave`` (Enum), ``respondent``, ``pair`` (row of
            ``pairs``), ``expectation, perception`` and optionally ``adequate, importance``;
            any row order.
        respondents : pl.DataFrame
            ``wave, respondent``, then the respondent attributes (text; typed here by
            :func:`attribute_values`); one row per respondent. Scores of respondents not listed
            here are left out. Other columns (``respondent_id``) are dropped.
        pairs : pl.DataFrame
            ``stage`` (Enum in the survey's order), ``item, dimension, element``; row ``k``
            describes pair code ``k``.

        Returns
        -------
        GapData
            Rows in the order of ``respondents``; columns (pairs) in the order of ``pairs``,
            those nobody answered left out.
        """
        waves = scores["wave"].dtype.categories.to_list()
        people = respondents.filter(pl.col(WAVE).cast(pl.String).is_in(waves))
        attributes = [c for c in people.columns if c not in (WAVE, "respondent", "respondent_id")]
        people = people.select(
            pl.col(WAVE).cast(pl.String).cast(pl.Enum(waves)),
            "respondent",
            *(attribute_values(people[a]) for a in attributes),
        )
        n, n_columns = people.height, pairs.height
        row_of = row_lookup(people, scores)
        wave_code = scores["wave"].to_physical().to_numpy()
        respondent = scores["respondent"].to_numpy()
        pair_codes = scores["pair"].to_numpy()
        measures = [  # E and P always; the optional ones when someone gave them
            m
            for m in MEASURES
            if m in MEASURES[:2] or (m in scores.columns and scores[m].null_count() < scores.height)
        ]
        # Filled transposed (pair-major), the order in which wide uploads are stored, so that
        # the scatter runs through memory mostly in sequence; in slices, because big
        # temporaries cost more than the work itself.
        matrices = {m: np.zeros(n_columns * n, np.uint8) for m in measures}
        given = {m: np.zeros(n_columns * n, bool) for m in measures if scores[m].null_count()}
        covered = np.zeros(n_columns * n, bool)
        answers = np.zeros(n_columns, np.int64)
        for start in range(0, scores.height, _SCATTER):
            part = slice(start, start + _SCATTER)
            code = pair_codes[part].astype(np.int64)
            row = row_of(wave_code[part], respondent[part])
            known = row >= 0
            every = bool(known.all())
            flat = code * n
            flat += row
            if not every:
                flat, code = flat[known], code[known]
            answers += np.bincount(code, minlength=n_columns)
            covered[flat] = True
            for m in measures:
                values = scores[m][part]
                filled = values.fill_null(0).to_numpy()
                matrices[m][flat] = filled if every else filled[known]
                if m in given:
                    mask = values.is_not_null().to_numpy()
                    given[m][flat] = mask if every else mask[known]
        present = answers > 0
        answered_pairs = pairs.filter(pl.Series(present)).select(
            "stage", "item", "dimension", "element"
        )

        def dense(flat_matrix: np.ndarray) -> np.ndarray:
            """Respondent x answered-pair layout of a pair-major flat matrix."""
            return np.ascontiguousarray(flat_matrix.reshape(n_columns, n)[present].T)

        complete = bool(covered.reshape(n_columns, n)[present].all())
        coverage = None if complete else dense(covered)
        e, p = dense(matrices["expectation"]), dense(matrices["perception"])
        answered = coverage
        for m in ("expectation", "perception"):
            if m in given:
                answered = both(answered, dense(given[m]))
        if any(m in given for m in ("expectation", "perception")):
            e, p = np.where(answered, e, 0), np.where(answered, p, 0)
        optional = {}
        for measure in measures[2:]:
            values = dense(matrices[measure])
            measure_given = dense(given[measure]) if measure in given else None
            measure_given = both(measure_given, answered)
            if measure_given is None:
                measure_given = np.ones(values.shape, bool)
            else:  # only where the measure and a complete pair were both given
                values = np.where(measure_given, values, 0)
            optional[measure] = (values, measure_given)
        return cls(
            answered_pairs,
            people,
            e,
            p,
            answered,
            optional,
        )

    def subset(self, respondents: np.ndarray | None = None, stages: Sequence[str] | None = None):
        """The same data restricted to some respondents (a boolean mask) and stages.

        Nothing is copied until it is used: the matrices are taken on first use, and cell sums
        and per-respondent values the parent has computed are sliced from its own (cell sums
        over several stages are added up from the parent's by stage).
        """
        # Integer positions: taking them along an axis is faster than a boolean mask.
        rows = slice(None) if respondents is None else np.flatnonzero(respondents)
        columns = None
        if stages is not None:
            columns = np.flatnonzero(self.pairs["stage"].cast(pl.String).is_in(list(stages)))

        def cut(name: str):
            matrix = self.__dict__[f"_{name}"]  # a pending take is composed, not run
            if matrix is None:
                return None
            return (
                matrix.then(rows, columns)
                if isinstance(matrix, Take)
                else Take(matrix, rows, columns)
            )

        optional = {
            m: (cut(m), cut(f"{m}_given"))
            for m in ("adequate", "importance")
            if self.__dict__[f"_{m}"] is not None
        }
        pairs = self.pairs if columns is None else self.pairs[columns]
        people = self.respondents if respondents is None else self.respondents[rows]
        subset = GapData(pairs, people, cut("e"), cut("p"), cut("answered"), optional)
        if self.points is not None:
            subset.points = (self.points[0], self.points[1][:, rows])
        subset._parent = (self, rows, None if stages is None else tuple(stages))
        return subset

    def per_respondent(
        self, name: str, compute: Callable[[GapData], tuple[np.ndarray, ...]]
    ) -> tuple[np.ndarray, ...]:
        """Arrays with one entry per respondent, ``compute(self)``, computed once and kept
        under ``name``; a subset with its parent's pairs slices the parent's if it has them."""
        if name not in self._per_respondent:
            parent, rows, stages = self._parent or (None, None, None)
            if parent is not None and stages is None and name in parent._per_respondent:
                self._per_respondent[name] = tuple(a[rows] for a in parent._per_respondent[name])
            else:
                self._per_respondent[name] = compute(self)
        return self._per_respondent[name]

    def _inherit_cells(self, keys: tuple[str, ...]) -> tuple | None:
        """A subset's cell sums from its parent's, if the parent has them: its rows, and with
        fewer stages, the kept stages' cells; cells over several stages are the sums of the
        parent's cells by stage (sums and counts add up over stages). None otherwise."""
        parent, rows, stages = self._parent
        if stages is None or "stage" in keys:
            source = keys
        else:  # the finest grouping by stage that the cells are made of
            finer = [g for g in parent._cells if "stage" in g and set(keys) <= set(g)]
            source = min(finer, key=lambda g: parent._cells[g][1].shape[0], default=None)
        if source not in parent._cells:
            return None
        count, sum_g, sum_e, labels = parent._cells[source]
        if stages is not None:
            kept = labels["stage"].cast(pl.String).is_in(list(stages)).to_numpy()
            count, sum_g = count[kept], sum_g[kept]
            sum_e = None if sum_e is None else sum_e[kept]
            labels = labels.filter(pl.Series(kept))
            if source != keys:  # add up the stages of each cell
                if keys:
                    codes, labels = group_codes(labels.select(keys))
                else:
                    codes, labels = np.zeros(labels.height, np.int64), pl.DataFrame()

                def add_up(a):
                    cells = range(int(codes.max(initial=-1)) + 1)
                    sums = [a[codes == c].sum(axis=0, dtype=np.int32) for c in cells]
                    return np.stack(sums) if sums else np.zeros((0, a.shape[1]), np.int32)

                count, sum_g = add_up(count), add_up(sum_g)
                sum_e = None if sum_e is None else add_up(sum_e)
        if count.shape[1] != 1:  # per respondent, not the cell sizes of complete data
            count = count[:, rows]
        return count, sum_g[:, rows], None if sum_e is None else sum_e[:, rows], labels

    def pair_cells(self, keys: Sequence[str]) -> tuple[np.ndarray, pl.DataFrame]:
        """Code each stage x item pair by the values of item-level ``keys``."""
        if not keys:
            return np.zeros(self.pairs.height, np.int64), pl.DataFrame()
        return group_codes(self.pairs.select(keys))

    def respondent_cells_many(self, keys_list: Sequence[tuple[str, ...]]) -> list[tuple]:
        """Per cell and respondent: pairs answered and the sums of E and P over them.

        Parameters
        ----------
        keys_list : sequence of tuple of str
            Item groupings; those not yet computed are computed together in one pass.

        Returns
        -------
        list of (count, sum_g, sum_e, labels)
            For each grouping: pairs answered, sum of gaps and sum of E per cell and respondent
            (int32, shape ``(cells, respondents)``) and the cell labels (row ``c`` describes
            cell ``c``). When every pair is complete, ``count`` has shape ``(cells, 1)`` (the
            cell sizes) and ``sum_e`` is None.
        """
        if self._parent is not None:
            for keys in keys_list:
                if keys not in self._cells:
                    inherited = self._inherit_cells(keys)
                    if inherited is not None:
                        self._cells[keys] = inherited
        missing = list(dict.fromkeys(k for k in keys_list if k not in self._cells))
        if missing:
            coded = [self.pair_cells(keys) for keys in missing]
            sizes = [int(codes.max(initial=0)) + 1 for codes, _ in coded]
            member = np.zeros((self.pairs.height, sum(sizes)), np.float32)
            start = 0
            for (codes, _), size in zip(coded, sizes, strict=True):
                member[np.arange(codes.size), start + codes] = 1
                start += size
            sums = self._sum_cells(member)
            start = 0
            for keys, (_, labels), size in zip(missing, coded, sizes, strict=True):
                part = slice(start, start + size)
                self._cells[keys] = (*(None if s is None else s[part] for s in sums), labels)
                start += size
        return [self._cells[k] for k in keys_list]

    def _sum_cells(self, member: np.ndarray) -> tuple[np.ndarray | None, ...]:
        n_cells, n = member.shape[1], self.n_respondents
        if self.answered is None:
            count = member.sum(0).astype(np.int32)[:, None]
            measures = {"gap": (self.e, self.p)}
        else:
            count = np.empty((n_cells, n), np.int32)
            measures = {
                "count": (None, self.answered),
                "gap": (self.e, self.p),
                "e": (None, self.e),
            }
        sums = {name: np.empty((n_cells, n), np.int32) for name in measures}
        for start in range(0, n, _ROWS):
            part = slice(start, start + _ROWS)
            for name, (minus, plus) in measures.items():
                values = plus[part].astype(np.float32)
                if minus is not None:
                    values -= minus[part]
                # float32 sums of small integers are exact below 2**24
                sums[name][:, part] = (values @ member).T
        return sums.get("count", count), sums["gap"], sums.get("e")
