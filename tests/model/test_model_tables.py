"""Trend, segments, reliability, zone of tolerance, weighted SERVQUAL, IPA and fix-first,
each against an independent reference computed respondent by respondent."""

from __future__ import annotations

import io
import warnings

import numpy as np
import polars as pl
import pytest
from scipy import stats

from gapmodel.cli import main
from gapmodel.core.vocabulary import QUADRANTS
from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TABLE_COLUMNS, TableOptions, gap_table
from gapmodel.model.priorities import fix_first, importance_performance, weighted_gap
from gapmodel.model.quality import reliability, zone_of_tolerance
from gapmodel.model.standard import GAP_TABLES, standard_tables
from gapmodel.storage.store import Store
from gapmodel.tools.synthetic import synthetic_responses

RTOL = 1e-9
LOOSE = TableOptions(min_n=1, suppress_n=1)


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    """1,500 respondents in three waves, 4% of perceptions missing."""
    return synthetic_responses(1500, waves=3, seed=11, missing=0.04)


@pytest.fixture(scope="module")
def data(frame) -> GapData:
    return GapData.from_responses(frame)


def respondent_gaps(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Each respondent's mean gap (and mean E, P) over the complete pairs of each group."""
    complete = frame.filter(pl.col("expectation").is_not_null(), pl.col("perception").is_not_null())
    keys = list(dict.fromkeys(["wave", "respondent", "segment", *by]))
    return (
        complete.with_columns(
            g=pl.col("perception").cast(pl.Float64) - pl.col("expectation").cast(pl.Float64)
        )
        .group_by(keys)
        .agg(pl.col("g").mean(), e=pl.col("expectation").mean(), p=pl.col("perception").mean())
        .with_columns(pl.col(c).cast(pl.String) for c in ("wave", "segment", *by))
    )


def as_text(table: pl.DataFrame) -> pl.DataFrame:
    return table.with_columns(pl.col(pl.Enum).cast(pl.String))


def test_trend_matches_welch_ttest_and_decomposes(frame, data):
    """Change in gap per dimension W1 -> W3: scipy ttest_ind(equal_var=False), its CI, and
    change = change in P - change in E."""
    table = as_text(trend(data, "W1", "W3", ["dimension"], LOOSE))
    per = respondent_gaps(frame, ["dimension"])
    assert table.height == 5
    for row in table.iter_rows(named=True):
        part = per.filter(pl.col("dimension") == row["dimension"])
        a = part.filter(pl.col("wave") == "W1")
        b = part.filter(pl.col("wave") == "W3")
        # scipy: stats.ttest_ind(b, a, equal_var=False)
        ref = stats.ttest_ind(b["g"].to_numpy(), a["g"].to_numpy(), equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert row["change"] == pytest.approx(b["g"].mean() - a["g"].mean(), rel=RTOL)
        assert row["t"] == pytest.approx(ref.statistic, rel=RTOL)
        assert row["dof"] == pytest.approx(ref.df, rel=RTOL)
        assert row["p_val"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=RTOL)
        assert row["change_e"] == pytest.approx(b["e"].mean() - a["e"].mean(), rel=RTOL)
        assert row["change"] == pytest.approx(row["change_p"] - row["change_e"], rel=RTOL)
    assert set(table["driver"]) <= {"expectations", "perceptions"}


def test_trend_refuses_unknown_and_equal_waves(data):
    """Unknown waves are named with the known ones; the same wave twice is refused."""
    with pytest.raises(ValueError, match="no wave 'W9'. Waves: W1, W2, W3"):
        trend(data, "W9", "W1")
    with pytest.raises(ValueError, match="two different waves"):
        trend(data, "W1", "W1")


def test_segments_against_rest_and_across(frame, data):
    """Each segment vs all others: Welch t-test; across segments: Welch ANOVA (scipy)."""
    per = respondent_gaps(frame, ["dimension"])
    own = as_text(segment_gaps(data, "segment", ["dimension"], LOOSE))
    for row in own.iter_rows(named=True):
        part = per.filter(pl.col("dimension") == row["dimension"])
        mine = part.filter(pl.col("segment") == row["segment"])["g"].to_numpy()
        rest = part.filter(pl.col("segment") != row["segment"])["g"].to_numpy()
        # scipy: stats.ttest_ind(mine, rest, equal_var=False)
        ref = stats.ttest_ind(mine, rest, equal_var=False)
        assert row["gap_rest"] == pytest.approx(rest.mean(), rel=RTOL)
        assert row["t"] == pytest.approx(ref.statistic, rel=RTOL)
        assert row["p_val"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
        assert row["worse"] == (row["significant"] and row["diff"] < 0)
    across = as_text(segment_differences(data, "segment", ["dimension"], LOOSE))
    for row in across.iter_rows(named=True):
        part = per.filter(pl.col("dimension") == row["dimension"])
        samples = [g["g"].to_numpy() for _, g in part.group_by("segment")]
        # scipy: stats.f_oneway(*samples, equal_var=False)
        ref = stats.f_oneway(*samples, equal_var=False)
        assert row["segments"] == len(samples)
        assert row["f"] == pytest.approx(ref.statistic, rel=RTOL)
        assert row["p_val"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)


def test_enterprise_segment_is_planted_worse(data):
    """The synthetic data makes Enterprise worse: the table must say so for every dimension."""
    own = as_text(segment_gaps(data, "segment", ["dimension"], LOOSE))
    enterprise = own.filter(pl.col("segment") == "Enterprise")
    assert enterprise["worse"].all()
    assert not own.filter(pl.col("segment") != "Enterprise")["worse"].any()


def textbook_alpha(scores: np.ndarray) -> float:
    k = scores.shape[1]
    return k / (k - 1) * (1 - scores.var(axis=0, ddof=1).sum() / scores.sum(axis=1).var(ddof=1))


def test_reliability_matches_textbook_alpha_listwise(frame, data):
    """Cronbach's alpha per stage x dimension for E and P on respondents with every item."""
    table = as_text(reliability(data))
    assert table.height == 2 * 15
    text = frame.with_columns(pl.col(pl.Enum).cast(pl.String))
    for row in table.iter_rows(named=True):
        part = text.filter(stage=row["stage"], dimension=row["dimension"])
        wide = part.pivot(
            on="item",
            index=["wave", "respondent"],
            values="perception" if row["measure"] == "perception" else "expectation",
        )
        complete = part.group_by("wave", "respondent").agg(
            ok=pl.col("perception").is_not_null().all()
        )
        wide = wide.join(complete, on=["wave", "respondent"]).filter("ok").drop("ok")
        scores = wide.drop("wave", "respondent").to_numpy().astype(float)
        assert row["n"] == scores.shape[0]
        assert row["items"] == scores.shape[1]
        if scores.shape[1] < 2:
            assert row["alpha"] is None
        else:
            assert row["alpha"] == pytest.approx(textbook_alpha(scores), rel=RTOL)


def test_reliability_hand_example():
    """By hand: items [1,2,3] and [1,2,3] have variances 1 and 1, totals [2,4,6] variance 4:
    alpha = 2 * (1 - 2/4) = 1. Items [1,2,3] and [2,1,3]: totals [3,3,6] variance 3:
    alpha = 2 * (1 - 2/3) = 2/3."""
    from gapmodel.model.stats import cronbach_alpha

    assert cronbach_alpha(np.array([[1, 1], [2, 2], [3, 3]])) == pytest.approx(1.0)
    assert cronbach_alpha(np.array([[1, 2], [2, 1], [3, 3]])) == pytest.approx(2 / 3)


def test_zone_of_tolerance_against_loop(demo_db):
    """MSA, MSS and zone shares per stage x dimension, respondent means first."""
    with Store.open(demo_db, read_only=True) as store:
        frame = store.responses()
    data = GapData.from_responses(frame)
    table = as_text(zone_of_tolerance(data, ["stage", "dimension"], LOOSE))
    rows = frame.filter(
        pl.all_horizontal(pl.col("adequate", "expectation", "perception").is_not_null())
    )
    per = (
        rows.group_by("wave", "respondent", "stage", "dimension")
        .agg(pl.col("adequate", "expectation", "perception").cast(pl.Float64).mean())
        .with_columns(pl.col("stage").cast(pl.String))
    )
    assert table.height == 15
    for row in table.iter_rows(named=True):
        part = per.filter(stage=row["stage"], dimension=row["dimension"])
        a, e, p = (part[c].to_numpy() for c in ("adequate", "expectation", "perception"))
        below, above = p < a, (p > e) & ~(p < a)
        assert row["n"] == part.height
        assert row["msa"] == pytest.approx(p.mean() - a.mean(), rel=RTOL)
        assert row["mss"] == pytest.approx(p.mean() - e.mean(), rel=RTOL)
        assert row["share_below"] == pytest.approx(below.mean(), rel=RTOL)
        assert row["share_above"] == pytest.approx(above.mean(), rel=RTOL)
        assert row["share_below"] + row["share_inside"] + row["share_above"] == pytest.approx(1)


def test_zone_of_tolerance_absent_without_adequate(data):
    """Synthetic data has no adequate scores: there is no zone table."""
    assert zone_of_tolerance(data) is None


def test_weighted_gap_against_loop(demo_db):
    """sum(w_d G_d) / sum(w_d) per respondent, then a t-test across respondents."""
    with Store.open(demo_db, read_only=True) as store:
        frame, allocations = store.responses(), store.allocations()
    data = GapData.from_responses(frame)
    table = weighted_gap(data, allocations, options=LOOSE)
    assert table["weighting"].to_list() == ["allocations"]
    g = (
        frame.filter(pl.col("expectation").is_not_null(), pl.col("perception").is_not_null())
        .with_columns(
            g=pl.col("perception").cast(pl.Float64) - pl.col("expectation").cast(pl.Float64)
        )
        .group_by("wave", "respondent", "dimension")
        .agg(pl.col("g").mean())
    )
    joined = g.join(allocations, on=["wave", "respondent", "dimension"])
    per = joined.group_by("wave", "respondent").agg(
        value=(pl.col("g") * pl.col("points")).sum() / pl.col("points").sum()
    )
    values = per["value"].to_numpy()
    # scipy: stats.ttest_1samp(values, 0)
    ref = stats.ttest_1samp(values, 0.0)
    row = table.row(0, named=True)
    assert row["n"] == values.size
    assert row["gap"] == pytest.approx(values.mean(), rel=RTOL)
    assert row["t"] == pytest.approx(ref.statistic, rel=RTOL)
    unweighted = weighted_gap(data, None, options=LOOSE)
    assert unweighted["weighting"].to_list() == ["unweighted"]
    plain = g.group_by("wave", "respondent").agg(pl.col("g").mean())["g"].to_numpy()
    assert unweighted["gap"][0] == pytest.approx(plain.mean(), rel=RTOL)


def test_importance_performance_derived_importance(frame, data):
    """Derived importance = Pearson r of item P with the respondent's mean P (scipy)."""
    table = as_text(importance_performance(data))
    complete = frame.filter(pl.col("perception").is_not_null()).with_columns(
        pl.col(pl.Enum).cast(pl.String), pl.col("perception").cast(pl.Float64)
    )
    overall = complete.group_by("wave", "respondent").agg(overall=pl.col("perception").mean())
    joined = complete.join(overall, on=["wave", "respondent"])
    for row in table.sample(8, seed=1).iter_rows(named=True):
        part = joined.filter(stage=row["stage"], item=row["item"])
        # scipy: stats.pearsonr(item P, overall P)
        ref = stats.pearsonr(part["perception"].to_numpy(), part["overall"].to_numpy())
        assert row["importance"] == pytest.approx(ref.statistic, rel=1e-9)
        assert row["performance"] == pytest.approx(part["perception"].mean(), rel=RTOL)
    # The rule: important at or above the mean importance of the items flagged ok; performing
    # unless clearly below expectations (adjusted p < alpha, CI below 0), from the gap table.
    gaps = as_text(gap_table(data, ["stage", "item"], TableOptions()))
    below = {
        (r["stage"], r["item"])
        for r in gaps.iter_rows(named=True)
        if r["p_adj"] < 0.05 and r["ci_high"] < 0
    }
    grand_i = table.filter(pl.col("flag") == "ok")["importance"].mean()
    for row in table.iter_rows(named=True):
        falls_short = (row["stage"], row["item"]) in below
        assert row["quadrant"] == QUADRANTS[row["importance"] >= grand_i, not falls_short]
    assert set(table["importance_source"]) == {"derived"}


def test_fix_first_orders_by_documented_score(data):
    """Only clear shortfalls; "Concentrate here" before the others, each group by
    score = -gap x importance weight x share of answers below."""
    table = fix_first(data, TableOptions())
    gaps = gap_table(data, ["stage", "item"], TableOptions())
    shortfalls = gaps.filter(pl.col("significant"), pl.col("gap") < 0)
    assert table.height == shortfalls.height > 0
    assert table["rank"].to_list() == list(range(1, table.height + 1))
    first = [q == QUADRANTS[True, False] for q in table["quadrant"]]
    assert first == sorted(first, reverse=True)  # no "Concentrate here" after another one
    for tier in (QUADRANTS[True, False], QUADRANTS[False, False]):
        assert table.filter(pl.col("quadrant") == tier)["score"].is_sorted(descending=True)
    expected = -table["gap"] * table["importance_weight"] * table["answers_below"]
    assert np.allclose(table["score"].to_numpy(), expected.to_numpy(), rtol=RTOL)
    assert table["importance_weight"].max() <= 1


def test_standard_tables_equal_individual_tables(data):
    """The shared-histogram standard set gives the same numbers as each table alone (to
    rounding: means of E are summed in a different order)."""
    fresh = GapData.from_responses(synthetic_responses(1500, waves=3, seed=11, missing=0.04))
    tables = standard_tables(fresh, LOOSE)
    for name, by in GAP_TABLES.items():
        alone = gap_table(data, list(by), LOOSE)
        shared = tables[name]
        assert shared.columns == alone.columns and shared.height == alone.height, name
        for column in shared.columns:
            if shared[column].dtype == pl.Float64:
                assert np.allclose(
                    shared[column].to_numpy(),
                    alone[column].to_numpy(),
                    rtol=1e-12,
                    atol=0,
                    equal_nan=True,
                ), (name, column)
            else:
                assert shared[column].equals(alone[column]), (name, column)
    assert {"trend_item_stage", "trend_dimension", "segments_dimension", "segments_across"} <= set(
        tables
    )


def test_cli_gaps_csv_has_documented_columns_and_matches(demo_db, capsys):
    """`gaps --by item,stage --format csv` prints the gap table, so it can be checked outside."""
    code = main(
        [
            "gaps",
            "--by",
            "item,stage",
            "--wave",
            "2026-Q3",
            "--where",
            "segment=Enterprise",
            "--padjust",
            "bh",
            "--format",
            "csv",
            "--db",
            str(demo_db),
        ]
    )
    assert code == 0
    printed = pl.read_csv(io.StringIO(capsys.readouterr().out))
    assert printed.columns == ["item", "stage", *TABLE_COLUMNS]
    assert set(printed["padjust"]) == {"bh"}
    with Store.open(demo_db, read_only=True) as store:
        frame = store.responses(waves=["2026-Q3"], where={"segment": "Enterprise"})
    expected = gap_table(
        GapData.from_responses(frame), ["item", "stage"], TableOptions(padjust="bh")
    )
    assert np.allclose(
        printed["gap"].to_numpy(), expected["gap"].to_numpy(), rtol=RTOL, equal_nan=True
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["alpha"],
        ["ipa"],
        ["ipa", "--fix-first"],
        ["trend", "--from", "2026-Q1", "--to", "2026-Q3", "--by", "dimension"],
        ["segments", "--by", "channel"],
        ["segments", "--by", "region", "--across", "--format", "json"],
    ],
)
def test_cli_model_commands_run(demo_db, capsys, argv):
    """Every model command prints a table and exits 0 on the demo data."""
    assert main([*argv, "--db", str(demo_db)]) == 0
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trend", "--from", "nope", "--to", "2026-Q3"], "There is no wave 'nope'"),
        (["gaps", "--wave", "nope"], "There is no wave 'nope'"),
        (
            ["gaps", "--where", "segment=Nobody"],
            "the attribute segment has no value 'Nobody'. Its values: Consumer",
        ),
    ],
)
def test_cli_model_refusals(demo_db, capsys, argv, message):
    """Bad requests exit non-zero with one line naming the problem."""
    assert main([*argv, "--db", str(demo_db)]) != 0
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bench_runs_and_prints_a_ratio(capsys):
    """The benchmark script runs end to end on a small size and prints both times and a ratio."""
    from gapmodel.tools.bench import run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run([3000]) == 0
    out = capsys.readouterr().out
    line = out.strip().splitlines()[-1].split()
    assert line[0] == "3,000" and line[4].endswith("x")
    assert float(line[4].rstrip("x")) > 0


def test_weighted_gap_of_nobody_is_an_empty_table():
    from gapmodel.model.priorities import weighted_gap

    data = GapData.from_responses(synthetic_responses(50, waves=1))
    nobody = weighted_gap(data.subset(np.zeros(data.n_respondents, bool)))
    assert nobody.is_empty() and {"gap", "mean_e", "weighting"} <= set(nobody.columns)
