"""Data real users have: a wave fielded with another questionnaire (fewer items, one stage, no
segment/channel/region), tiny selections, a stage a wave never asked, markup in a wave label."""

from __future__ import annotations

import re
import shutil
from datetime import date

import numpy as np
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from gapmodel import views
from gapmodel.core.instrument import load_instrument
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.model.gapdata import GapData
from gapmodel.render import charts
from gapmodel.storage.store import Store

APP = str(PROJECT_ROOT / "dashboard.py")
CUSTOM = (
    b"code,wording,dimension,element,stages\n"
    b"courtesy,Staff show basic courtesy,assurance,human,encounter\n"
    b"kept_informed,I am kept informed,responsiveness,human,encounter\n"
    b"product_works,The product works as promised,reliability,technical,encounter\n"
    b"new_item,A question only this wave asks,empathy,human,encounter\n"
)
ODD_LABEL = "[Click me](https://evil.example) ![t](https://evil.example/t.png)"


def _custom_wave(n: int, seed: int = 1) -> bytes:
    """A wide wave of the custom questionnaire, with no attribute columns."""
    rng = np.random.default_rng(seed)
    columns = {"respondent_id": [f"C{i}" for i in range(n)]}
    for item in ("courtesy", "kept_informed", "product_works", "new_item"):
        columns[f"encounter.{item}.E"] = rng.integers(4, 8, n)
        columns[f"encounter.{item}.P"] = rng.integers(2, 8, n)
    buffer = pl.DataFrame(columns).write_csv()
    return buffer.encode()


@pytest.fixture(scope="module")
def mixed(demo_db, tmp_path_factory):
    """The demo, then (ingested last, fielded first) a 60-respondent wave of another
    questionnaire, and a wave labelled with markdown."""
    path = tmp_path_factory.mktemp("mixed") / "mixed.duckdb"
    shutil.copy(demo_db, path)
    instrument = load_instrument(CUSTOM, "custom.csv")
    wave, report = prepare_wave(_custom_wave(60), "custom-wave.csv", instrument, (1, 7))
    assert wave is not None, report.to_text()
    with Store.open(path) as store:
        store.ingest_wave(wave, "2025-Q4 custom", fielded=date(2025, 11, 15))
    return path


@pytest.fixture(scope="module")
def survey(mixed) -> views.Survey:
    with Store.open(mixed, read_only=True) as store:
        return views.load_survey(store)


def test_every_instrument_in_use_contributes_its_items(survey):
    codes = set(survey.items["item"])
    assert "new_item" in codes and "clear_materials" in codes
    custom = views.journey(survey, views.Filters(wave="2025-Q4 custom")).items
    assert set(custom["item"]) == {"courtesy", "kept_informed", "product_works", "new_item"}
    latest = views.journey(survey, views.Filters()).items
    assert latest.height == 66 - 1  # every demo pair but the one nobody answered


def test_attribute_filters_work_when_a_wave_has_no_attributes(survey):
    assert views.respondent_count(survey, views.Filters(attributes={"region": "North"})) > 0
    assert (
        views.respondent_count(
            survey, views.Filters(wave="2025-Q4 custom", attributes={"region": "North"})
        )
        == 0
    )


def test_a_stage_the_wave_never_asked_counts_nobody(survey):
    filters = views.Filters(wave="2025-Q4 custom", stages=("pre_purchase",))
    assert views.respondent_count(survey, filters) == 0
    assert views.respondent_count(survey, views.Filters(wave="2025-Q4 custom")) == 60


def test_segments_leave_out_respondents_without_a_value(survey):
    view = views.segments(survey, views.Filters(wave="2025-Q4 custom"))
    assert view.overall.is_empty()  # nobody in this wave has a segment: nothing to compare
    demo = views.segments(survey, views.Filters())
    assert demo.overall["segment"].null_count() == 0


def test_suppressed_items_show_no_importance_performance(survey):
    ipa = views.priorities(survey, views.Filters()).ipa
    hidden = ipa.filter(pl.col("flag") == "suppressed")
    assert hidden.height >= 1  # pre-purchase "asked feedback" in the 300-respondent demo
    assert hidden["performance"].null_count() == hidden.height
    assert hidden["quadrant"].null_count() == hidden.height
    shown = ipa.filter(pl.col("flag") == "ok")
    grand_i = shown["importance"].mean()
    for row in shown.iter_rows(named=True):  # the quadrant matches the chart's lines
        high_i, high_p = row["importance"] >= grand_i, row["verdict"] != "below"
        assert (
            row["quadrant"]
            == {
                (True, False): "Concentrate here",
                (True, True): "Keep up the good work",
                (False, False): "Low priority",
                (False, True): "Possible overkill",
            }[high_i, high_p]
        )


def test_the_ipa_chart_says_so_when_no_item_has_enough_respondents(survey):
    tiny = views.priorities(
        survey, views.Filters(attributes={"segment": "Enterprise", "channel": "Chat"})
    )
    chart = charts.ipa_chart(tiny.ipa.with_columns(flag=pl.lit("small_n"))).to_dict()
    assert "enough respondents" in str(chart)


def test_the_zone_of_tolerance_is_absent_for_a_wave_without_adequate_scores(survey):
    details = views.details(survey, views.Filters(wave="2025-Q4 custom"), "Dimension")
    assert details.zone_items is None and details.zone_dimensions is None


def test_scores_of_unlisted_respondents_are_left_out():
    """GapData.from_scores drops scores whose respondent is not listed, even when the listed
    respondents are numbered densely."""
    people = pl.DataFrame(
        {"wave": ["A"] * 3 + ["B"] * 2, "respondent": [1, 2, 3, 1, 2]},
    ).with_columns(pl.lit(None, pl.String).alias(a) for a in ("segment", "channel", "region"))
    scores = pl.DataFrame(
        {
            "wave": pl.Series(["A", "A", "A", "A", "B", "B"], dtype=pl.Enum(["A", "B"])),
            "respondent": pl.Series([1, 2, 3, 4, 1, 2], dtype=pl.Int32),
            "pair": pl.Series([0] * 6, dtype=pl.UInt32),
            "expectation": pl.Series([5, 5, 5, 5, 5, 5], dtype=pl.UInt8),
            "perception": pl.Series([5, 5, 5, 1, 7, 7], dtype=pl.UInt8),
        }
    )
    pairs = pl.DataFrame(
        {"stage": ["encounter"], "item": ["courtesy"], "dimension": ["assurance"]},
        schema_overrides={"stage": pl.Enum(["encounter"])},
    ).with_columns(element=pl.lit("human"))
    data = GapData.from_scores(scores, people, pairs)
    assert data.p[:, 0].tolist() == [5, 5, 5, 7, 7]  # A#4 (P = 1) went nowhere


def _app(path, monkeypatch, **query) -> AppTest:
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    return at.run()


def _text(at: AppTest, kind: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", e.value) for e in getattr(at, kind))


@pytest.mark.parametrize(
    "query",
    [
        {"segment": "Enterprise", "channel": "Chat", "region": "West"},  # 1 to 4 respondents
        {"wave": "2025-Q4 custom", "stage": "Pre-purchase"},  # a stage the wave never asked
    ],
)
def test_pages_explain_a_selection_too_small_to_show(mixed, tmp_path, monkeypatch, query):
    path = tmp_path / "copy.duckdb"
    shutil.copy(mixed, path)
    for page in ("overview", "journey", "details", "segments", "priorities"):
        at = _app(path, monkeypatch, **query)
        if page != "overview":
            at.switch_page(f"ui/pages/{page}.py").run()
        assert not at.exception, page
        assert "figures are shown for 5 or more" in _text(at, "warning"), page


def test_every_page_runs_on_the_wave_of_another_questionnaire(mixed, tmp_path, monkeypatch):
    path = tmp_path / "copy.duckdb"
    shutil.copy(mixed, path)
    at = _app(path, monkeypatch, wave="2025-Q4 custom")
    for page in ("overview", "journey", "details", "segments", "trends", "priorities"):
        at.switch_page(f"ui/pages/{page}.py").run()
        assert not at.exception, page


def test_markup_in_a_wave_label_is_shown_as_text(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "odd.duckdb"
    shutil.copy(demo_db, path)
    with Store.open(path) as store:
        store.delete_wave("2026-Q3")
        wave, _ = prepare_wave(_custom_wave(40), "odd.csv", load_instrument(CUSTOM), (1, 7))
        store.ingest_wave(wave, ODD_LABEL)
    at = _app(path, monkeypatch)
    caption = at.caption[0].value
    assert "\\[Click me\\]\\(https" in caption  # escaped: no link, no image
    at.switch_page("ui/pages/trends.py").run()
    assert not at.exception
    assert all("](https" not in s.value for s in at.subheader)


def test_stages_the_questionnaire_lacks():
    """A stage filter naming only stages the waves do not have leaves nobody (no error); with
    a stage they have, it is the same prepared stage set as that stage alone."""
    import polars as pl

    from gapmodel.model.gapdata import GapData
    from gapmodel.tools.synthetic import synthetic_responses
    from gapmodel.views.survey import prepare_selections

    frame = synthetic_responses(200, waves=2, missing=0.1)
    frame = frame.filter(pl.col("stage").cast(pl.String) != "post_purchase")
    data = GapData.from_responses(frame)
    prepare_selections(data)
    items = frame.select("item", "dimension", "element").unique("item")
    items = items.with_columns(wording=pl.col("item"), label=pl.col("item"))
    survey = views.Survey(data, ["W1", "W2"], pl.DataFrame(), items)
    absent = views.Filters(stages=("post_purchase",))
    assert views.respondent_count(survey, absent) == 0
    assert views.trends(survey, absent).by_wave.is_empty()
    both = survey.at_stages(("pre_purchase", "post_purchase"))
    assert survey.at_stages(("pre_purchase",)) is both and len(survey.staged) == 1
    assert survey.at_stages(("pre_purchase", "encounter", "post_purchase")) is data
