"""What the headlines rest on, each against an independent reference: the shares at answer and
customer level (a plain loop), the verdicts (statsmodels' TOST), human against technical
(scipy's paired tests), targets, and one priority rule for chart, list, Overview and report."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import ttost_paired

from gapmodel import views
from gapmodel.core.vocabulary import CONCENTRATE_HERE, QUADRANTS
from gapmodel.model.elements import element_difference
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table
from gapmodel.model.priorities import fix_first, importance_performance
from gapmodel.render import report as briefing
from gapmodel.render.charts.priorities import ipa_points
from gapmodel.storage.store import Store
from gapmodel.tools.synthetic import synthetic_responses

RTOL = 1e-9


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    """900 respondents in two waves, 5% of perceptions missing."""
    return synthetic_responses(900, waves=2, seed=5, missing=0.05)


@pytest.fixture(scope="module")
def data(frame) -> GapData:
    return GapData.from_responses(frame)


def _people(frame: pl.DataFrame, by: list[str]) -> dict[tuple, dict[tuple, list[int]]]:
    """Per group and respondent, the gaps of their complete pairs (a plain loop)."""
    groups: dict[tuple, dict[tuple, list[int]]] = {}
    for row in frame.iter_rows(named=True):
        if row["expectation"] is None or row["perception"] is None:
            continue
        key = tuple(str(row[k]) for k in by)
        person = groups.setdefault(key, {}).setdefault((row["wave"], row["respondent"]), [])
        person.append(int(row["perception"]) - int(row["expectation"]))
    return groups


@pytest.mark.parametrize("tolerance", [0.0, 0.25, 0.5, 1.0])
@pytest.mark.parametrize(
    "by",
    [
        [],
        ["stage"],
        ["dimension"],
        ["segment", "stage"],
        ["stage", "item"],
        ["segment", "stage", "item"],
    ],
    ids=str,
)
def test_shares_match_a_plain_loop(frame, data, by, tolerance):
    """Answer level: the share of answered pairs with P < E, = E, > E. Customer level: the
    share of respondents whose mean gap (an exact fraction) is below -t, within [-t, t],
    above t; the three of each add up to 1."""
    table = gap_table(data, by, TableOptions(min_n=1, suppress_n=1, tolerance=tolerance))
    band = Fraction(tolerance).limit_denominator(100)
    groups = _people(frame, by)
    assert table.height == len(groups)
    for row in table.iter_rows(named=True):
        people = groups[tuple(str(row[k]) for k in by)]
        answers = [g for gaps in people.values() for g in gaps]
        means = [Fraction(sum(gaps), len(gaps)) for gaps in people.values()]
        expected = {
            "answers_below": np.mean([g < 0 for g in answers]),
            "answers_equal": np.mean([g == 0 for g in answers]),
            "answers_above": np.mean([g > 0 for g in answers]),
            "people_below": np.mean([m < -band for m in means]),
            "people_within": np.mean([abs(m) <= band for m in means]),
            "people_above": np.mean([m > band for m in means]),
        }
        for column, value in expected.items():
            assert row[column] == pytest.approx(value, rel=1e-12), (by, column)
        assert row["tolerance"] == tolerance
        assert row["people_below"] + row["people_within"] + row["people_above"] == pytest.approx(1)


def test_a_respondent_level_exact_zero_is_not_the_satisfied_share(data):
    """The headline that misled: almost no respondent's mean gap over many items is exactly 0,
    while many of their answers meet expectations exactly."""
    exact = gap_table(data, [], TableOptions(tolerance=0.0)).row(0, named=True)
    banded = gap_table(data, [], TableOptions(tolerance=0.5)).row(0, named=True)
    assert exact["people_within"] < 0.1 < exact["answers_equal"]
    assert banded["people_within"] > 3 * exact["people_within"]


@pytest.mark.parametrize(("alpha", "padjust"), [(0.05, "holm"), (0.10, "bh")])
def test_verdicts_follow_the_tests(data, alpha, padjust):
    """below/above: adjusted p < alpha and the gap's sign; meets: TOST at +/-tolerance
    (statsmodels ttost_paired) rejects after the same adjustment (statsmodels multipletests);
    probably: raw p only. Verdicts agree with "significant" at any alpha."""
    options = TableOptions(min_n=1, suppress_n=1, tolerance=0.3, alpha=alpha, padjust=padjust)
    table = gap_table(data, ["segment", "stage", "item"], options)
    method = {"holm": "holm", "bh": "fdr_bh"}[padjust]
    # statsmodels: multipletests(p_tost, method=...)
    tost_adj = multipletests(table["p_tost"].to_numpy(), method=method)[1]
    for row, p_tost in zip(table.iter_rows(named=True), tost_adj, strict=True):
        if row["p_adj"] < alpha:
            expected = "below" if row["gap"] < 0 else "above"
        elif p_tost < alpha:
            expected = "meets"
        elif row["p_val"] < alpha:
            expected = "probably_below" if row["gap"] < 0 else "probably_above"
        else:
            expected = "unclear"
        assert row["verdict"] == expected
        assert row["significant"] == (expected in ("below", "above"))
    seen = set(table["verdict"])
    assert {"below", "above", "meets"} <= seen
    if padjust == "holm":  # (BH at 0.10 leaves no result only raw-significant here)
        assert {"unclear", "probably_below", "probably_above"} <= seen


def test_a_constant_gap_has_a_verdict():
    """Every respondent with the same gap: sd 0. A gap of 0 meets expectations (TOST p 0), a
    constant shortfall is clearly below (t infinite, p 0)."""
    rows = []
    for shift, stage in ((0, "a"), (-1, "b")):
        for r in range(8):
            rows.append({"wave": "w", "respondent": r, "stage": stage, "item": "q",
                         "dimension": "d", "element": "human", "expectation": 4,
                         "perception": 4 + shift})  # fmt: skip
    table = gap_table(GapData.from_responses(pl.DataFrame(rows)), ["stage"], TableOptions())
    assert table["verdict"].to_list() == ["meets", "below"]


def test_tost_equals_statsmodels(frame, data):
    """p_tost of each dimension equals statsmodels' ttost_paired on the respondent means,
    over a range of p-values (not only 0 or 1)."""
    table = gap_table(data, ["dimension"], TableOptions(tolerance=0.6))
    assert any(0.001 < p < 0.99 for p in table["p_tost"])
    for row in table.iter_rows(named=True):
        part = frame.filter(
            pl.col("dimension").cast(pl.String) == str(row["dimension"]),
            pl.col("expectation").is_not_null(),
            pl.col("perception").is_not_null(),
        )
        means = part.group_by("wave", "respondent").agg(
            pl.col("perception").cast(pl.Float64).mean(),
            pl.col("expectation").cast(pl.Float64).mean(),
        )
        # statsmodels: ttost_paired(P means, E means, -0.6, 0.6)
        ref = ttost_paired(
            means["perception"].to_numpy(), means["expectation"].to_numpy(), -0.6, 0.6
        )
        assert row["p_tost"] == pytest.approx(ref[0], rel=RTOL)


@pytest.mark.parametrize("by", [(), ("stage",)], ids=["overall", "by-stage"])
def test_human_against_technical_equals_scipy_paired_tests(frame, data, by):
    """Each respondent's mean human gap and mean technical gap (respondents with both);
    scipy ttest_rel and wilcoxon(pratt) on them."""
    table = element_difference(data, by, TableOptions(min_n=1, suppress_n=1))
    complete = frame.filter(pl.col("expectation").is_not_null(), pl.col("perception").is_not_null())
    per = (
        complete.with_columns(
            g=pl.col("perception").cast(pl.Float64) - pl.col("expectation").cast(pl.Float64),
            stage=pl.col("stage").cast(pl.String),
            element=pl.col("element").cast(pl.String),
        )
        .group_by("wave", "respondent", *by, "element")
        .agg(pl.col("g").mean())
        .pivot(on="element", index=["wave", "respondent", *by], values="g")
        .drop_nulls(["human", "technical"])
    )
    assert table.height == (per["stage"].n_unique() if by else 1)
    for row in table.iter_rows(named=True):
        part = per.filter(pl.col("stage") == str(row["stage"])) if by else per
        human, technical = part["human"].to_numpy(), part["technical"].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = stats.ttest_rel(human, technical)  # scipy: ttest_rel(human, technical)
            w = stats.wilcoxon(
                human - technical, zero_method="pratt", correction=False, method="asymptotic"
            )
        assert row["n"] == human.size
        assert row["gap_human"] == pytest.approx(human.mean(), rel=RTOL)
        assert row["gap_technical"] == pytest.approx(technical.mean(), rel=RTOL)
        assert row["diff"] == pytest.approx((human - technical).mean(), rel=RTOL)
        assert row["t"] == pytest.approx(t.statistic, rel=RTOL)
        assert row["p_val"] == pytest.approx(t.pvalue, rel=1e-8, abs=1e-300)
        assert row["w"] == pytest.approx(w.statistic, rel=RTOL)
        assert row["p_wilcoxon"] == pytest.approx(w.pvalue, rel=1e-8, abs=1e-300)
        ci = t.confidence_interval(0.95)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=RTOL)


def test_elements_need_both_kinds(frame):
    """With technical items only, or when no respondent answered both (a split ballot),
    there is nothing to pair: an empty table, no error."""
    data = GapData.from_responses(frame.filter(pl.col("element") == "technical"))
    assert element_difference(data).is_empty()
    split = frame.filter(
        (pl.col("element") == "human") == (pl.col("respondent").cast(pl.Int64) % 2 == 0)
    )
    for by in [(), ("stage",)]:
        assert element_difference(GapData.from_responses(split), by).is_empty()


def test_one_priority_rule_for_chart_list_overview_and_report(demo_db):
    """The quadrant of every item follows the documented rule; the fix-first list is exactly
    the items clearly below expectations, "Concentrate here" first; the chart colours each
    item by that quadrant; the Overview's top pain points are the top of the list, and the
    report's priorities are its "Concentrate here" items in the same order."""
    with Store.open(demo_db, read_only=True) as store:
        survey = views.load_survey(store)
    filters = views.Filters()
    page = views.priorities(survey, filters)
    ipa, ranking = page.ipa, page.fix_first
    ok = ipa.filter(pl.col("flag") == "ok", pl.col("importance").is_not_null())
    mean_importance = ok["importance"].mean()
    for row in ipa.filter(pl.col("quadrant").is_not_null()).iter_rows(named=True):
        important = row["importance"] >= mean_importance
        assert row["quadrant"] == QUADRANTS[important, row["verdict"] != "below"]
    below = ipa.filter(pl.col("verdict") == "below")
    assert set(zip(ranking["stage"], ranking["item"], strict=True)) == set(
        zip(below["stage"], below["item"], strict=True)
    )
    order = [q == CONCENTRATE_HERE for q in ranking["quadrant"]]
    assert order == sorted(order, reverse=True) and order[0]  # Concentrate here first
    # the chart plots each item in its quadrant, tagged with its fix-first rank
    plotted = ipa_points(ipa).filter(pl.col("rank").is_not_null())
    assert plotted.height > 0
    assert set(plotted["quadrant"]) <= {CONCENTRATE_HERE, QUADRANTS[False, False]}
    for row in plotted.iter_rows(named=True):
        listed = ranking.filter(pl.col("rank") == row["rank"]).row(0, named=True)
        assert (listed["stage"], listed["item"], listed["quadrant"]) == (
            row["stage"],
            row["item"],
            row["quadrant"],
        )
    overview = views.overview(survey, filters)
    top = ranking.head(overview.pain_points.height)
    assert overview.pain_points.select("stage", "item").equals(top.select("stage", "item"))
    report = briefing.build_briefing(survey, filters)
    pains = [f.key for f in report.findings if f.section == "Pain points"]
    focus = [f.key for f in report.findings if f.section == "Priorities"]
    ranked_keys = [f"stage={s}, item={i}" for s, i in ranking.select("stage", "item").iter_rows()]
    assert pains == ranked_keys[: len(pains)]
    concentrate = [
        f"stage={s}, item={i}"
        for s, i, q in ranking.select("stage", "item", "quadrant").iter_rows()
        if q == CONCENTRATE_HERE
    ]
    assert focus == [k for k in concentrate if k in focus] and focus[:1] == concentrate[:1]


def test_fix_first_without_importances_ranks_every_shortfall(data):
    """When the IPA gives no importance, the list still holds every clear shortfall."""
    ipa = importance_performance(data).with_columns(importance=pl.lit(None, pl.Float64))
    ipa = ipa.with_columns(quadrant=pl.lit(None, pl.String))
    ranking = fix_first(data, ipa=ipa)
    gaps = gap_table(data, ["stage", "item"])
    assert ranking.height == gaps.filter(pl.col("verdict") == "below").height > 0
    assert ranking["gap"].is_sorted()
