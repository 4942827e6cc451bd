"""The store's compact scores give the same gap model as the joined long responses."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, attach_histograms, gap_table, histograms
from gapmodel.model.layout import Take as _Take
from gapmodel.model.priorities import (
    attach_allocations,
    importance_performance,
    respondent_weighted_gaps,
    weighted_gap,
)
from gapmodel.storage.store import Store
from gapmodel.tools.synthetic import synthetic_responses

GROUPINGS = [
    ["stage", "item"],
    ["stage", "dimension"],
    [],
    ["wave", "dimension"],
    ["segment", "stage"],
    ["element", "stage"],
]


def _both(store: Store, waves: list[str]) -> tuple[GapData, GapData]:
    pairs = store.pairs(waves)
    joined = GapData.from_responses(store.responses(waves))
    compact = GapData.from_scores(
        store.scores(waves, pairs.select("stage", "item").rows()), store.respondents(waves), pairs
    )
    return joined, compact


def _canonical(table: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    table = table.with_columns(pl.col(k).cast(pl.String) for k in by)
    return table.sort(by) if by else table


@pytest.mark.parametrize("by", GROUPINGS, ids=lambda by: ",".join(by) or "overall")
def test_compact_scores_give_the_same_tables(demo_db, by):
    with Store.open(demo_db, read_only=True) as store:
        joined, compact = _both(store, store.wave_labels())
    options = TableOptions(min_n=30, suppress_n=5)
    assert_frame_equal(
        _canonical(gap_table(compact, by, options), by),
        _canonical(gap_table(joined, by, options), by),
        check_dtypes=False,
    )


def test_compact_scores_keep_missing_and_optional_measures(demo_copy):
    with Store.open(demo_copy) as store:
        cur = store.cursor()
        # Knock out some perceptions and adequate scores: those pairs no longer count.
        cur.sql(
            """UPDATE responses SET perception = NULL WHERE respondent % 7 = 0
               AND pair IN (SELECT pair FROM pairs WHERE stage = 'encounter')"""
        )
        cur.sql("UPDATE responses SET adequate = NULL WHERE respondent % 5 = 0")
        waves = store.wave_labels()[-1:]
        joined, compact = _both(store, waves)
    assert compact.answered is not None
    assert compact.answered.sum() == joined.answered.sum()
    assert compact.adequate_given.sum() == joined.adequate_given.sum()
    by = ["stage", "dimension"]
    assert_frame_equal(
        _canonical(gap_table(compact, by), by), _canonical(gap_table(joined, by), by)
    )


def test_scores_code_pairs_by_their_names(demo_db):
    with Store.open(demo_db, read_only=True) as store:
        wave = store.wave_labels()[0]
        wanted = store.pairs([wave]).select("stage", "item").rows()[5:8]
        # the same names written otherwise, and a pair no wave has
        asked = [(s.upper(), i.upper()) for s, i in wanted] + [("nowhere", "nothing")]
        scores = store.scores([wave], asked)
        responses = store.responses([wave])
    assert scores["pair"].max() <= 2
    picked = pl.DataFrame(wanted, schema=["stage", "item"], orient="row")
    kept = responses.with_columns(pl.col("stage").cast(pl.String)).join(
        picked, on=["stage", "item"]
    )
    assert scores.height == kept.height
    assert scores["wave"].cast(pl.String).unique().to_list() == [wave]


@pytest.mark.parametrize("by", [[], ["stage", "dimension"], ["segment", "dimension"]])
def test_a_subset_reuses_cell_sums_correctly(demo_db, by):
    """Cell sums computed on everyone and sliced to a subset give the subset's own tables."""
    with Store.open(demo_db, read_only=True) as store:
        _, compact = _both(store, store.wave_labels())
        responses = store.responses(where={"channel": "Web"})
    compact.respondent_cells_many([(), ("stage", "dimension"), ("dimension",)])
    reused = compact.subset(histograms(compact).rows({"channel": ["Web"]}))
    fresh = GapData.from_responses(responses)
    options = TableOptions(min_n=30, suppress_n=5)
    assert_frame_equal(
        _canonical(gap_table(reused, by, options), by),
        _canonical(gap_table(fresh, by, options), by),
        check_dtypes=False,
    )
    assert reused._cells
    for keys, (*_, labels) in reused._cells.items():  # sliced from everyone's, not recomputed
        assert labels is compact._cells[keys][3]


CELLS = [(), ("stage", "dimension"), ("dimension",), ("stage", "element"), ("element",)]
SELECTIONS = [
    ({"wave": ["W2"]}, None),
    ({"wave": ["W1", "W2"], "segment": ["Consumer"]}, None),
    ({"wave": ["W2"], "channel": ["Web"], "region": ["North"]}, None),
    ({"wave": ["W1"], "segment": ["Enterprise"]}, ("encounter",)),
    ({"wave": ["W2"]}, ("pre_purchase", "post_purchase")),
    ({"region": ["Nowhere"]}, None),  # nobody
]


@pytest.fixture(scope="module")
def partitioned() -> tuple[GapData, pl.DataFrame]:
    """Two waves with missing perceptions and some respondents without a segment: the data
    with its cell sums and partition arrays, and the responses it was made from."""
    frame = synthetic_responses(900, waves=2, seed=11, missing=0.08)
    frame = frame.with_columns(
        segment=pl.when(pl.col("respondent") % 17 == 0).then(None).otherwise(pl.col("segment"))
    )
    data = GapData.from_responses(frame)
    data.respondent_cells_many(CELLS)
    histograms(data).partition(CELLS)
    return data, frame


@pytest.mark.parametrize(("picks", "stages"), SELECTIONS)
def test_sliced_histograms_equal_those_of_the_selection_itself(partitioned, picks, stages):
    """A selection's tables, read off the survey's arrays by all respondent keys and its cell
    sums (added up over the kept stages), equal the tables of the selected responses alone."""
    data, frame = partitioned
    base = data
    if stages:  # every respondent at those stages, prepared like the survey
        base = data.subset(None, stages)
        base.respondent_cells_many(CELLS)  # from the survey's, added up over the kept stages
        histograms(base).partition(CELLS)
    whole = histograms(base)
    assert whole._pairs and whole._cells and whole._moments  # the partition arrays exist
    rows = whole.rows(picks)
    sliced = base.subset(rows)
    attach_histograms(sliced, whole.select(sliced, picks, rows))
    part = frame.filter(*(pl.col(k).is_in(v) for k, v in picks.items()))
    if stages:
        part = part.filter(pl.col("stage").cast(pl.String).is_in(stages))
    assert int(rows.sum()) == sliced.n_respondents == part["respondent"].n_unique()
    options = TableOptions(min_n=1, suppress_n=1)
    groupings = [
        [],
        ["stage", "dimension"],
        ["stage", "item"],
        ["dimension"],
        ["stage", "element"],
        ["element"],
        ["segment", "dimension"],
        ["wave", "stage", "item"],
        ["channel", "region"],
    ]
    if part.is_empty():
        assert all(gap_table(sliced, by, options).is_empty() for by in groupings)
        return
    alone = GapData.from_responses(part)
    for by in groupings:
        assert_frame_equal(
            _canonical(gap_table(sliced, by, options), by),
            _canonical(gap_table(alone, by, options), by),
            check_dtypes=False,
        )
    assert "pairs" in histograms(sliced)._sliced  # read off the survey's arrays
    ipa = [importance_performance(d, options).drop("quadrant") for d in (sliced, alone)]
    assert_frame_equal(*ipa, check_exact=False, rel_tol=1e-9, abs_tol=1e-12, check_dtypes=False)
    assert ipa[0]["importance"].null_count() < ipa[0].height
    weighted = [weighted_gap(d, None, (), options) for d in (sliced, alone)]
    assert_frame_equal(*weighted, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
    # Everything came from the arrays by respondent group: no matrix of the selection was taken.
    assert isinstance(sliced.__dict__["_p"], _Take)


def test_per_respondent_weighted_gaps_follow_the_subset_points():
    """Points only in one wave: a selection of the other wave is unweighted, as it would be on
    its own, although the survey's weighted gaps were kept for everyone."""
    frame = synthetic_responses(400, waves=2, seed=3, missing=0.05)
    people = frame.select("wave", "respondent").unique()
    dimensions = frame["dimension"].unique().sort().to_list()
    allocations = (
        people.filter(pl.col("wave") == "W2")
        .join(pl.DataFrame({"dimension": dimensions}), how="cross")
        .with_columns(points=pl.lit(100 / len(dimensions)) + pl.col("respondent") % 3)
    )
    data = GapData.from_responses(frame)
    attach_allocations(data, allocations)
    for weighted in (True, False):
        respondent_weighted_gaps(data, weighted)
    options = TableOptions(min_n=1, suppress_n=1)
    for wave in ("W1", "W2"):
        rows = histograms(data).rows({"wave": [wave]})
        sliced = weighted_gap(data.subset(rows), None, (), options)
        alone = GapData.from_responses(frame.filter(pl.col("wave") == wave))
        attach_allocations(alone, allocations.filter(pl.col("wave") == wave))
        assert_frame_equal(sliced, weighted_gap(alone, None, (), options), rel_tol=1e-12)
        assert sliced["weighting"][0] == ("allocations" if wave == "W2" else "unweighted")
