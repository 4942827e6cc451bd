"""The demo data holds the effects it promises, so that every page has something true to find."""

from __future__ import annotations

import polars as pl
import pytest

from gapmodel import views
from gapmodel.storage.store import Store


@pytest.fixture(scope="module")
def survey(demo_db) -> views.Survey:
    with Store.open(demo_db, read_only=True) as store:
        return views.load_survey(store)


def test_post_purchase_kept_informed_is_the_worst_shortfall(survey):
    items = views.journey(survey, views.Filters()).items
    worst = items.filter(pl.col("flag") != "suppressed").sort("gap").row(0, named=True)
    assert (str(worst["stage"]), worst["item"]) == ("post_purchase", "kept_informed")
    assert worst["significant"] and worst["gap"] < -1


def test_courtesy_is_a_strength_in_the_encounter(survey):
    items = views.journey(survey, views.Filters()).items
    row = items.filter(pl.col("stage") == "encounter", pl.col("item") == "courtesy").row(
        0, named=True
    )
    assert row["significant"] and row["gap"] > 0.3


def test_expectations_rise_from_wave_to_wave(survey):
    by_wave = views.trends(survey, views.Filters()).by_wave
    means = by_wave["mean_e"].to_list()
    assert means == sorted(means) and means[-1] - means[0] > 0.2
    change = views.trends(survey, views.Filters()).change_dimensions
    assert (change["change_e"] > 0).all()


def test_small_business_is_worse_than_the_rest(survey):
    overall = views.segments(survey, views.Filters()).overall
    worse = overall.filter(pl.col("worse"))["segment"].to_list()
    assert worse == ["Small business"]


def test_some_pairs_have_small_n(survey):
    items = views.journey(survey, views.Filters()).items
    sparse = items.filter(pl.col("stage") == "pre_purchase", pl.col("item") == "asked_feedback")
    assert sparse["flag"].to_list()[0] in ("small_n", "suppressed")
    assert sparse["n"][0] < 30


def test_customers_passed_around_rate_first_contact_resolution_lower(survey):
    """contacts is a numeric attribute (shown 1, 2, 3, 4); more contacts, a wider gap."""
    assert survey.attribute_values["contacts"] == ["1", "2", "3", "4"]
    gaps = []
    for contacts in survey.attribute_values["contacts"]:
        filters = views.Filters(attributes={"contacts": contacts})
        items = views.journey(survey, filters).items
        row = items.filter(
            pl.col("stage") == "encounter", pl.col("item") == "first_contact_resolution"
        )
        gaps.append(row["gap"][0])
    assert gaps == sorted(gaps, reverse=True) and gaps[0] - gaps[-1] > 0.7
