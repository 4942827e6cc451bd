"""The gap table against scipy and statsmodels, a plain loop over respondents, edge cases and
Hypothesis properties."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_support import STATISTICS, close, loop_table
from scipy import stats
from statsmodels.stats.multitest import multipletests

from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TABLE_COLUMNS, TableOptions, gap_table
from gapmodel.model.stats import adjust_pvalues, histogram_stats
from gapmodel.tools.synthetic import synthetic_responses

LOOSE = TableOptions(min_n=1, suppress_n=1)
GROUPINGS = [
    ["stage", "item"],
    ["stage", "dimension"],
    ["stage"],
    [],
    ["element", "stage"],
    ["segment", "dimension"],
    ["wave", "dimension"],
    ["item"],
    ["segment", "stage", "item"],
]


@pytest.fixture(scope="module")
def small() -> pl.DataFrame:
    return synthetic_responses(240, waves=2, seed=5, missing=0.05)


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("by", GROUPINGS, ids=lambda b: "x".join(b) or "overall")
def test_gap_table_matches_loop(small, by, shuffled):
    """Every group, both layouts (complete-sorted and shuffled): n, means, t, Wilcoxon, shares."""
    frame = small.sample(fraction=1.0, shuffle=True, seed=3) if shuffled else small
    table = gap_table(GapData.from_responses(frame), by, LOOSE)
    reference = loop_table(small, by)
    assert table.height == len(reference)
    for row in table.iter_rows(named=True):
        ref = reference[tuple(str(row[k]) for k in by)]
        for column in (*STATISTICS, "people_above", "answers_above"):
            assert close(row[column], ref[column]), (by, column, row[column], ref[column])
        assert row["mean_p"] == pytest.approx(row["mean_e"] + row["gap"], rel=1e-12)


def test_p_adj_matches_statsmodels(small):
    """Holm and BH over the table's p-values equal statsmodels' multipletests (method given)."""
    data = GapData.from_responses(small)
    for method, name in (("holm", "holm"), ("bh", "fdr_bh")):
        table = gap_table(
            data, ["stage", "item"], TableOptions(padjust=method, min_n=1, suppress_n=1)
        )
        # statsmodels: multipletests(p, method=name)
        expected = multipletests(table["p_val"].to_numpy(), method=name)[1]
        assert np.allclose(table["p_adj"].to_numpy(), expected, rtol=1e-12)
        assert set(table["padjust"]) == {method}


def test_histogram_stats_ci_and_dz_by_hand():
    """CI = gap -/+ t(0.975, n-1) sd / sqrt(n); dz = gap / sd; repeated values add up."""
    values = np.array([-2.0, -1.0, -1.0, 0.0, 0.5, 1.0, 2.0, -0.5])
    hist = pl.DataFrame({"value": [*values, -1.0], "count": [1] * 8 + [2]})
    full = np.concatenate([values, [-1.0, -1.0]])
    row = histogram_stats(hist, []).row(0, named=True)
    sd = full.std(ddof=1)
    half = stats.t.ppf(0.975, full.size - 1) * sd / np.sqrt(full.size)
    assert row["n"] == full.size
    assert row["sd"] == pytest.approx(sd, rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        (full.mean() - half, full.mean() + half), rel=1e-12
    )
    assert row["dz"] == pytest.approx(full.mean() / sd, rel=1e-12)


@pytest.mark.parametrize(
    ("gaps", "expect"),
    [
        ([1.0], {"sd": None, "t": None, "p_val": None}),
        ([1.0, 3.0], {"dof": 1}),
        ([0.0] * 6, {"t": None, "p_val": None, "p_wilcoxon": None, "people_within": 1.0}),
        ([2.0] * 6, {"sd": 0.0, "p_val": 0.0}),
    ],
    ids=["n1", "n2", "all-zero", "constant"],
)
def test_histogram_stats_edge_cases(gaps, expect):
    """n = 1 and 2, all gaps zero, constant gaps: as scipy says (NaN shown as null)."""
    row = histogram_stats(pl.DataFrame({"value": gaps, "count": [1] * len(gaps)}), []).row(
        0, named=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = stats.wilcoxon(gaps, zero_method="pratt", correction=False, method="asymptotic")
    assert close(row["p_wilcoxon"], float(w.pvalue))
    for column, value in expect.items():
        assert row[column] == value, column


def test_empty_frame_gives_empty_table_with_columns(small):
    """n = 0: no rows, the documented columns."""
    table = gap_table(GapData.from_responses(small.head(0)), ["stage", "dimension"], LOOSE)
    assert table.height == 0
    assert table.columns == ["stage", "dimension", *TABLE_COLUMNS]


def test_missing_score_drops_only_that_pair_and_partial_respondent():
    """A missing P drops one pair; a respondent answering only some items still counts."""
    frame = pl.DataFrame(
        {
            "wave": "w",
            "respondent": [1, 1, 2, 3, 3],
            "stage": "encounter",
            "item": ["a", "b", "a", "a", "b"],
            "dimension": ["d1", "d1", "d1", "d1", "d1"],
            "element": "human",
            "expectation": [5, 5, 6, 4, 4],
            "perception": [4, None, 7, 4, 6],
        },
        schema_overrides={"expectation": pl.UInt8, "perception": pl.UInt8},
    )
    table = gap_table(GapData.from_responses(frame), ["dimension"], LOOSE)
    # respondent gaps: 1 -> -1 (b dropped), 2 -> +1, 3 -> mean(0, 2) = 1
    assert table["n"][0] == 3
    assert table["gap"][0] == pytest.approx(1 / 3)
    items = gap_table(GapData.from_responses(frame), ["item"], LOOSE)
    assert items["n"].to_list() == [3, 1]


def test_suppression_and_flags(small):
    """Below suppress_n statistics are null and not adjusted; below min_n flagged small_n."""
    table = gap_table(
        GapData.from_responses(small),
        ["segment", "stage", "item"],
        TableOptions(min_n=40, suppress_n=35),
    )
    suppressed = table.filter(pl.col("flag") == "suppressed")
    assert (suppressed["n"] < 35).all() and suppressed["gap"].is_null().all()
    assert suppressed["p_adj"].is_null().all() and not suppressed["significant"].any()
    assert ((table.filter(pl.col("flag") == "small_n")["n"]).is_between(35, 39)).all()


def frames():
    """Small random long frames: 2-12 respondents, 1-3 stages, a few items, some nulls."""
    score = st.one_of(st.none(), st.integers(1, 5))

    @st.composite
    def build(draw):
        people = draw(st.integers(2, 12))
        items = draw(
            st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True)
        )
        stages = draw(
            st.lists(
                st.sampled_from(["pre_purchase", "encounter", "post_purchase"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
        rows = []
        for r in range(people):
            for stage in stages:
                for item in items:
                    if draw(st.booleans()) or (r == 0):
                        rows.append(
                            {
                                "wave": "w",
                                "respondent": r,
                                "stage": stage,
                                "item": item,
                                "dimension": "d" + str("abcd".index(item) % 2),
                                "element": "human",
                                "expectation": draw(score),
                                "perception": draw(score),
                                "segment": "s" + str(r % 2),
                            }
                        )
        return pl.DataFrame(
            rows,
            schema_overrides={
                "expectation": pl.UInt8,
                "perception": pl.UInt8,
                "respondent": pl.Int32,
            },
        )

    return build()


@settings(max_examples=40, deadline=None)
@given(frame=frames(), method=st.sampled_from(["holm", "bh"]))
def test_properties(frame, method):
    """vs the loop; E <-> P flips the gap and keeps p; 0 <= p <= p_adj <= 1; shares sum to 1;
    no group that was not in the input."""
    options = TableOptions(padjust=method, min_n=1, suppress_n=1)
    data = GapData.from_responses(frame)
    table = gap_table(data, ["stage", "dimension"], options)
    reference = loop_table(frame, ["stage", "dimension"])
    assert {
        tuple(str(v) for v in r) for r in table.select("stage", "dimension").iter_rows()
    } == set(reference)
    for row in table.iter_rows(named=True):
        ref = reference[(str(row["stage"]), row["dimension"])]
        assert row["gap"] == pytest.approx(ref["gap"], rel=1e-9, abs=1e-12)
        assert row["people_below"] + row["people_within"] + row["people_above"] == pytest.approx(1)
        if row["p_val"] is not None:
            assert 0 <= row["p_val"] <= row["p_adj"] <= 1
    swapped = frame.rename({"expectation": "perception", "perception": "expectation"})
    flipped = gap_table(GapData.from_responses(swapped), ["stage", "dimension"], options)
    assert np.allclose(flipped["gap"].to_numpy(), -table["gap"].to_numpy(), atol=1e-12)
    for a, b in zip(flipped["p_val"], table["p_val"], strict=True):
        assert close(a, b, rel=1e-12) if b is not None else a is None
    for a, b in zip(flipped["p_wilcoxon"], table["p_wilcoxon"], strict=True):
        assert close(a, b, rel=1e-12) if b is not None else a is None


def test_adjust_pvalues_edge_cases():
    """NaNs stay out, m = 1 unchanged, empty input, unknown method refused."""
    assert np.isnan(adjust_pvalues(np.array([np.nan]))).all()
    assert adjust_pvalues(np.array([0.2]), "bh").tolist() == [0.2]
    assert adjust_pvalues(np.array([])).size == 0
    with pytest.raises(ValueError, match="'holm' or 'bh'"):
        adjust_pvalues(np.array([0.1]), "sidak")
