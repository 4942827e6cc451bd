"""The dashboard's page views: filters, overall comparisons, findings and chart specifications.

Numbers are checked against an independent path: ``Store.responses`` (joined in SQL), filtered
and reduced respondent by respondent with polars, and tested with scipy.
"""

from __future__ import annotations

import polars as pl
import pytest
from scipy import stats

from gapmodel import views
from gapmodel.model.compare import segment_gaps, trend
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions
from gapmodel.render import charts
from gapmodel.storage.store import Store
from gapmodel.tools.synthetic import synthetic_responses
from gapmodel.views import findings

RTOL = 1e-9
LOOSE = TableOptions(min_n=1, suppress_n=1)


@pytest.fixture(scope="module")
def survey(demo_db) -> views.Survey:
    with Store.open(demo_db, read_only=True) as store:
        return views.load_survey(store)


@pytest.fixture(scope="module")
def responses(demo_db) -> pl.DataFrame:
    with Store.open(demo_db, read_only=True) as store:
        return store.responses()


def respondent_gaps(frame: pl.DataFrame) -> pl.DataFrame:
    """Each respondent's mean gap, mean E and mean P over their complete pairs."""
    complete = frame.filter(pl.col("expectation").is_not_null(), pl.col("perception").is_not_null())
    return complete.group_by("wave", "respondent", "segment").agg(
        g=(pl.col("perception").cast(pl.Float64) - pl.col("expectation")).mean(),
        e=pl.col("expectation").cast(pl.Float64).mean(),
        p=pl.col("perception").cast(pl.Float64).mean(),
    )


def test_overall_trend_matches_welch():
    """trend() with no item keys: one row, scipy ttest_ind(to, from, equal_var=False)."""
    frame = synthetic_responses(600, waves=2, seed=5, missing=0.03)
    table = trend(GapData.from_responses(frame), "W1", "W2", (), LOOSE)
    per = respondent_gaps(frame.with_columns(pl.col("wave").cast(pl.String)))
    a = per.filter(pl.col("wave") == "W1")
    b = per.filter(pl.col("wave") == "W2")
    ref = stats.ttest_ind(b["g"].to_numpy(), a["g"].to_numpy(), equal_var=False)
    row = table.row(0, named=True)
    assert table.height == 1
    assert row["t"] == pytest.approx(ref.statistic, rel=RTOL)
    assert row["p_val"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
    assert row["change_e"] == pytest.approx(b["e"].mean() - a["e"].mean(), rel=RTOL)
    assert row["change"] == pytest.approx(row["change_p"] - row["change_e"], rel=RTOL)


def test_overall_segments_match_welch():
    """segment_gaps() with no item keys: each segment against the rest over all items."""
    frame = synthetic_responses(600, waves=1, seed=6)
    table = segment_gaps(GapData.from_responses(frame), "segment", (), LOOSE)
    per = respondent_gaps(frame.with_columns(pl.col("segment").cast(pl.String)))
    assert table.height == per["segment"].n_unique()
    for row in table.iter_rows(named=True):
        mine = per.filter(pl.col("segment") == row["segment"])["g"].to_numpy()
        rest = per.filter(pl.col("segment") != row["segment"])["g"].to_numpy()
        ref = stats.ttest_ind(mine, rest, equal_var=False)
        assert row["t"] == pytest.approx(ref.statistic, rel=RTOL)
        assert row["gap_rest"] == pytest.approx(rest.mean(), rel=RTOL)


def test_filters_resolve_against_the_data(survey):
    latest, previous = survey.waves[-1], survey.waves[-2]
    resolved = survey.resolve(views.Filters())
    assert (resolved.wave, resolved.compare) == (latest, previous)
    old_link = survey.resolve(views.Filters(wave="1999-Q1", attributes={"segment": "Nobody"}))
    assert old_link.wave == latest and "segment" not in old_link.where
    assert survey.resolve(views.Filters(compare="")).compare == ""
    first = survey.resolve(views.Filters(wave=survey.waves[0]))
    assert first.compare == ""  # nothing before the first wave
    # a stage the questionnaires do not name is dropped, as in an old link
    assert survey.resolve(views.Filters(stages=("checkout", "ENCOUNTER"))).stages == ("encounter",)


@pytest.mark.parametrize(
    "filters",
    [
        views.Filters(),
        views.Filters(attributes={"segment": "Small business"}),
        views.Filters(stages=("post_purchase",), attributes={"channel": "Web"}),
    ],
    ids=["everyone", "segment", "channel+stage"],
)
def test_overview_headline_equals_an_independent_reduction(survey, responses, filters):
    """The headline gap is the mean of respondent gaps over the filtered responses; its p-value
    is scipy's one-sample t-test of those gaps."""
    view = views.overview(survey, filters)
    wave = view.filters.wave
    part = responses.filter(pl.col("wave") == wave)
    for attribute, value in filters.where.items():
        part = part.filter(pl.col(attribute) == value)
    if filters.stages:
        part = part.filter(pl.col("stage").cast(pl.String).is_in(filters.stages))
    per = respondent_gaps(part)
    row = view.overall.row(0, named=True)
    assert row["n"] == per.height
    assert row["gap"] == pytest.approx(per["g"].mean(), rel=RTOL)
    assert row["mean_e"] == pytest.approx(per["e"].mean(), rel=RTOL)
    assert row["p_val"] == pytest.approx(
        stats.ttest_1samp(per["g"].to_numpy(), 0.0).pvalue, rel=1e-8, abs=1e-300
    )
    assert view.journey.height == 5 * (len(filters.stages) or 3)
    assert view.change is not None and view.change.height == 1


def test_filters_change_the_numbers(survey):
    everyone = views.overview(survey, views.Filters()).overall.row(0, named=True)
    small = views.overview(
        survey, views.Filters(attributes={"segment": "Small business"})
    ).overall.row(0, named=True)
    assert small["n"] < everyone["n"]
    assert small["gap"] < everyone["gap"]  # the demo's planted weak segment


def test_every_page_view_builds(survey):
    f = views.Filters()
    assert views.journey(survey, f).items.height > 0
    details = views.details(survey, f, "Dimension at each stage")
    assert {"alpha_e", "alpha_p"} <= set(details.reliability.columns)
    assert details.zone_items is not None
    seg = views.segments(survey, f, "channel")
    assert seg.across_overall.height == 1
    assert set(seg.overall["channel"]) == set(survey.attribute_values["channel"])
    assert views.trends(survey, f).by_wave["wave"].cast(pl.String).to_list() == survey.waves
    assert views.priorities(survey, f).ipa.height > 0
    with pytest.raises(ValueError, match="Group by one of"):
        views.details(survey, f, "Nonsense")


def test_pain_point_sentences_carry_their_row(survey):
    pains = views.overview(survey, views.Filters()).pain_points
    assert pains.height > 0
    for row in pains.iter_rows(named=True):
        text = findings.pain_point_sentence(row)
        assert text.startswith(findings.stage_label(row["stage"]))
        assert findings.points(abs(row["gap"])) in text
        assert f"based on {row['n']:,} customers" in text
        assert "clearly below expectations" in text


def test_change_sentence_follows_significance():
    row = {
        "change": 0.3,
        "ci_low": 0.1,
        "ci_high": 0.5,
        "p_adj": 0.004,
        "padjust": "bh",
        "n_from": 100,
        "n_to": 120,
        "significant": True,
        "flag": "ok",
        "change_e": -0.1,
        "change_p": 0.2,
    }
    text = findings.change_sentence(row, "The gap", "Q1", "Q2")
    assert "clearly improved, by 0.30 points" in text and "based on 100 and 120 customers" in text
    assert "expectations fell by 0.10 while perceptions rose by 0.20" in text
    flat = findings.change_sentence(
        {**row, "significant": False, "p_adj": 0.4}, "The gap", "Q1", "Q2"
    )
    assert "no clear change" in flat and "improved" not in flat
    assert findings.change_sentence({**row, "flag": "suppressed"}, "The gap", "Q1", "Q2") is None


def test_charts_are_valid_specifications_of_the_tables(survey):
    f = views.Filters()
    overview = views.overview(survey, f)
    journey = views.journey(survey, f)
    built = {
        "journey": charts.journey_map(overview.journey),
        "ranked": charts.ranked_gaps(journey.items),
        "elements": charts.element_split(journey.elements),
        "snake": charts.snake_plot(journey.items),
        "segments": charts.segment_dots(views.segments(survey, f).by_dimension, "segment"),
        "trend": charts.wave_trend(views.trends(survey, f).by_wave, survey.waves),
        "change": charts.change_decomposition(views.trends(survey, f).change_dimensions),
        "ipa": charts.ipa_chart(views.priorities(survey, f).ipa),
    }
    for name, chart in built.items():
        spec = charts.finish(chart).to_dict()  # validates against the Vega-Lite schema
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/"), name
    cells = {
        (c["stage"], c["dimension"]): c["gap"]
        for c in built["journey"].to_dict()["datasets"].popitem()[1]
    }
    for row in overview.journey.iter_rows(named=True):
        assert cells[(row["stage"], row["dimension"])] == pytest.approx(row["gap"])


def test_a_segment_only_in_the_latest_wave_and_tiny(demo_copy):
    """A new 3-respondent segment: no comparison (nobody before), every cell suppressed, and
    the journey map still draws the cells (grey), with no numbers."""
    from gapmodel.core.instrument import default_instrument
    from gapmodel.ingest.prepare import prepare_wave
    from gapmodel.tools.demo import generate_wave, wave_csv

    frame = generate_wave(3, 3, seed=5).with_columns(pl.lit("Pilot").alias("segment"))
    wave, report = prepare_wave(wave_csv(frame), "pilot.csv", default_instrument(), (1, 7))
    assert wave is not None, report.to_text()
    with Store.open(demo_copy) as store:
        store.ingest_wave(wave, "2026-Q4")
        survey = views.load_survey(store)
    view = views.overview(survey, views.Filters(attributes={"segment": "Pilot"}))
    assert view.filters.compare == "2026-Q3"
    assert view.change is None
    assert set(view.journey["flag"]) == {"suppressed"}
    assert view.journey["gap"].null_count() == view.journey.height
    cells = charts.journey_map(view.journey).to_dict()["datasets"].popitem()[1]
    assert {c["cell_text"] for c in cells} == {"n < 5"}
    assert all(c["gap_colour"] == 0 for c in cells)
    assert views.priorities(
        survey, views.Filters(attributes={"segment": "Pilot"})
    ).fix_first.is_empty()


@pytest.mark.parametrize(
    "filters",
    [
        views.Filters(attributes={"channel": "Phone"}),
        views.Filters(attributes={"segment": "Enterprise", "region": "North"}),
        views.Filters(stages=("encounter",)),
    ],
)
def test_attached_points_weight_like_the_allocations_table(survey, filters):
    """The overview's weighted gap (per-respondent gaps of the survey, sliced) equals
    weighted_gap given the wave's allocations table directly."""
    from gapmodel.model.priorities import weighted_gap

    filters = survey.resolve(filters)
    data = views.select(survey, filters)
    table = survey.allocations.filter(pl.col("wave") == filters.wave)
    direct = weighted_gap(data, table, (), filters.options()).row(0, named=True)
    shown = views.overview(survey, filters).weighted.row(0, named=True)
    assert shown["weighting"] == direct["weighting"] == "allocations"
    for column in ("n", "gap", "mean_e", "ci_low", "p_val"):
        assert shown[column] == pytest.approx(direct[column], rel=1e-12)


@pytest.mark.parametrize(
    "filters",
    [
        views.Filters(),
        views.Filters(attributes={"segment": "Consumer"}),
        views.Filters(stages=("pre_purchase",)),
        views.Filters(stages=("encounter", "post_purchase"), attributes={"channel": "Web"}),
        views.Filters(stages=("pre_purchase",), attributes={"region": "North"}),
    ],
)
def test_the_respondent_count_is_the_overall_n(survey, filters):
    """Respondents counted for the guidance are those the overall gap is computed over."""
    assert survey.data.answered is not None  # some pairs are unanswered in the demo
    count = views.respondent_count(survey, filters)
    assert count == views.respondent_count(survey, filters)  # again, from the kept answers
    assert count == views.overview(survey, filters).overall["n"][0] > 0


def test_stage_sets_are_prepared_once_and_a_few_are_kept(survey):
    """A stage filter's data is built on first use and reused; all stages or none is the
    survey itself; only the latest few stage sets are kept."""
    survey.staged.clear()  # other tests of the module may have filtered by stage
    encounter = survey.at_stages(("encounter",))
    assert survey.at_stages(["encounter"]) is encounter
    assert encounter.pairs["stage"].cast(pl.String).unique().to_list() == ["encounter"]
    assert survey.at_stages(()) is survey.data
    assert survey.at_stages(("post_purchase", "encounter", "pre_purchase")) is survey.data
    for stages in [("pre_purchase",), ("post_purchase",), ("pre_purchase", "post_purchase")]:
        survey.at_stages(stages)
    assert len(survey.staged) == 3 and ("encounter",) not in survey.staged


def test_sessions_asking_for_a_stage_set_at_once_share_one_build(survey):
    """Several sessions filtering by the same new stages at the same moment: one prepared
    stage set, and each gets the numbers it would get alone."""
    from concurrent.futures import ThreadPoolExecutor

    survey.staged.clear()
    chosen = [
        views.Filters(stages=("encounter",), attributes={"segment": s})
        for s in survey.attribute_values["segment"]
    ] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda f: views.overview(survey, f).journey, chosen))
    assert list(survey.staged) == [("encounter",)]
    for filters, table in zip(chosen, together, strict=True):
        assert table.equals(views.overview(survey, filters).journey)
