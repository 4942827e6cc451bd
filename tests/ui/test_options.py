"""Options are values, not labels: a wave labelled "Latest wave" or "No comparison" and a segment
named "All" are chosen like any other value, by the widget and by the link, and stay apart from
the sidebar's own choices; the Journey's overall row stays apart from a stage named "All
stages"."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest
from app_support import run

from gapmodel.core.instrument import default_instrument, load_instrument
from gapmodel.core.vocabulary import distinct_word
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv
from ui.choices import Word, options
from ui.filters import ALL, NO_COMPARISON, PREVIOUS

# Oldest first; the latest is 2026-Q4, the one before it is labelled "Latest wave".
WAVES = ["Previous wave", "No comparison", "Latest wave", "2026-Q4"]
SEGMENTS = ["All", "(All)", "Retail"]


@pytest.mark.parametrize(
    ("words", "values", "labels"),
    [
        (["All"], ["Retail"], ["All", "Retail"]),
        (["All"], ["All", "Retail"], ["(All)", "All", "Retail"]),
        (["All"], ["All", "(All)"], ["((All))", "All", "(All)"]),
        (
            ["Previous wave", "No comparison"],
            ["No comparison", "Previous wave"],
            ["(Previous wave)", "(No comparison)", "No comparison", "Previous wave"],
        ),
        (
            ["Latest wave (Q4)"],
            ["Latest wave (Q4)", "Q4"],
            ["(Latest wave (Q4))", *["Latest wave (Q4)", "Q4"]],
        ),
        (["All", "(All)"], [], ["All", "(All)"]),  # two words stay apart from each other too
    ],
)
def test_labels_are_distinct_and_values_read_as_they_are(words, values, labels):
    listed, label = options([Word(w) for w in words], values)
    shown = [label(o) for o in listed]
    assert shown == labels
    assert len(set(shown)) == len(shown)
    assert listed[len(words) :] == values
    assert not any(isinstance(o, Word) and o in values for o in listed)


def test_a_word_never_equals_a_value():
    assert ALL != "All" and NO_COMPARISON != "No comparison" and PREVIOUS != "Previous wave"
    assert distinct_word("All stages", ["Kiosk"]) == "All stages"
    assert distinct_word("All stages", ["All stages"]) == "(All stages)"


@pytest.fixture(scope="module")
def colliding_db(tmp_path_factory):
    """Four waves labelled like the sidebar's own choices (the latest is 2026-Q4), each with
    segments named "All", "(All)" and "Retail"."""
    path = tmp_path_factory.mktemp("collide") / "collide.duckdb"
    with Store.open(path) as store:
        for k, label in enumerate(WAVES):
            wide = generate_wave(240, k, seed=40 + k).with_columns(
                segment=pl.Series([SEGMENTS[i % 3] for i in range(240)])
            )
            wave, report = prepare_wave(wave_csv(wide), f"{k}.csv", default_instrument(), "1-7")
            assert wave is not None, report.to_text()
            store.ingest_wave(wave, label, date(2026, 3 * k + 1, 1))
    return path


def _caption(at) -> str:
    return at.main.caption[0].value


def _overview(monkeypatch, db, **query):
    monkeypatch.setenv("GAPMODEL_DB", str(db))
    at = run(**query)
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_defaults_are_the_sidebar_choices(colliding_db, monkeypatch):
    at = _overview(monkeypatch, colliding_db)
    assert _caption(at).startswith("Wave 2026\\-Q4 vs Latest wave")  # the previous wave
    assert "Segment" not in _caption(at)  # every segment
    box = at.sidebar.selectbox(key="segment")
    assert box.value == ALL and box.options[0] == "((All))"  # "(All)" is a segment too
    assert sorted(box.options[1:]) == sorted(SEGMENTS)
    assert at.sidebar.selectbox(key="compare").options[:2] == [
        "(Previous wave)",
        "(No comparison)",
    ]


@pytest.mark.parametrize(
    ("query", "caption"),
    [
        ({"segment": "All"}, "Segment All"),  # the segment named All, not every segment
        ({"segment": "(All)"}, "Segment \\(All\\)"),
        ({"wave": "Latest wave"}, "Wave Latest wave vs No comparison"),
        ({"compare": "No comparison"}, "Wave 2026\\-Q4 vs No comparison"),
        ({"compare": "Previous wave"}, "Wave 2026\\-Q4 vs Previous wave"),
    ],
)
def test_a_link_names_a_value_by_its_text(colliding_db, monkeypatch, query, caption):
    at = _overview(monkeypatch, colliding_db, **query)
    assert caption in _caption(at)


def test_a_link_names_the_choice_by_its_bracketed_label(colliding_db, monkeypatch):
    at = _overview(monkeypatch, colliding_db, compare="(No comparison)", segment="((All))")
    assert _caption(at) == "Wave 2026\\-Q4"  # no comparison, every segment


def test_the_widget_chooses_the_value_and_the_choice(colliding_db, monkeypatch):
    at = _overview(monkeypatch, colliding_db)
    at.sidebar.selectbox(key="segment").set_value("All").run()
    assert "Segment All" in _caption(at)
    at.sidebar.selectbox(key="segment").set_value(ALL).run()
    assert "Segment" not in _caption(at)
    at.sidebar.selectbox(key="compare").set_value(NO_COMPARISON).run()
    assert _caption(at) == "Wave 2026\\-Q4"
    at.sidebar.selectbox(key="compare").set_value("No comparison").run()
    assert _caption(at) == "Wave 2026\\-Q4 vs No comparison"
    assert not at.exception


def _share_link(at) -> str:
    return next(c.value for c in at.main.code if "wave=" in c.value)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"segment": "All"},
        {"wave": "Latest wave", "segment": "(All)"},
        {"compare": "(No comparison)"},
        {"compare": "No comparison", "segment": "All"},
    ],
)
def test_the_share_link_round_trips(colliding_db, monkeypatch, query):
    at = _overview(monkeypatch, colliding_db, **query)
    shown = _caption(at)
    params = {k: v[0] for k, v in parse_qs(urlsplit(_share_link(at)).query).items()}
    again = _overview(monkeypatch, colliding_db, **params)
    assert _caption(again) == shown


def test_a_stage_named_all_stages_stays_apart_from_the_overall_row(tmp_path, monkeypatch):
    from gapmodel import views

    text = (
        "code,wording,dimension,element,stages\n"
        "a1,Staff were courteous,assurance,human,All stages|Kiosk\n"
        "a2,Staff knew the answers,assurance,human,All stages|Kiosk\n"
        "t1,The kiosk worked,tangibles,technical,All stages|Kiosk\n"
        "t2,The receipt was right,tangibles,technical,All stages|Kiosk\n"
    )
    instrument = load_instrument(text.encode(), "stages.csv")
    wide = generate_wave(200, 0, instrument, seed=9)
    wave, report = prepare_wave(wave_csv(wide), "w.csv", instrument, "1-7")
    assert wave is not None, report.to_text()
    db = tmp_path / "stages.duckdb"
    with Store.open(db) as store:
        store.ingest_wave(wave, "W1")
        survey = views.load_survey(store)
    test = views.journey(survey, views.Filters()).element_test
    assert test["stage_label"].to_list() == ["(All stages)", "All stages", "Kiosk"]
    monkeypatch.setenv("GAPMODEL_DB", str(db))
    at = run("ui/pages/journey.py", stage="All stages")
    assert not at.exception, [e.value for e in at.exception]
    assert "All stages" in _caption(at)


# -- The command line's own words: --wave all, report --compare none ---------------------------
@pytest.fixture(scope="module")
def words_db(tmp_path_factory):
    """Three waves labelled 'all', 'none' and 2026-Q3 (the latest)."""
    path = tmp_path_factory.mktemp("words") / "words.duckdb"
    with Store.open(path) as store:
        for k, label in enumerate(["all", "none", "2026-Q3"]):
            wide = generate_wave(120, k, seed=60 + k)
            wave, report = prepare_wave(wave_csv(wide), f"{k}.csv", default_instrument(), "1-7")
            assert wave is not None, report.to_text()
            store.ingest_wave(wave, label, date(2026, 3 * k + 1, 1))
    return path


@pytest.mark.parametrize(
    ("args", "code", "out", "err"),
    [
        (["--compare", "none"], 0, "of wave 2026-Q3 against none", "for no comparison give"),
        (["--no-compare"], 0, "of wave 2026-Q3 (", ""),
        (["--compare", "all"], 0, "of wave 2026-Q3 against all", ""),
        (["--compare", "none", "--no-compare"], 2, "", "Give --compare WAVE or --no-compare"),
        (["--wave", "none", "--compare", "all"], 0, "of wave none against all", ""),
    ],
)
def test_cli_report_tells_a_wave_named_none_from_no_comparison(
    words_db, tmp_path, capsys, monkeypatch, args, code, out, err
):
    from gapmodel.cli import main

    monkeypatch.setenv("GAPMODEL_DB", str(words_db))
    target = tmp_path / "report.html"
    assert main(["report", *args, "--out", str(target)]) == code
    said = capsys.readouterr()
    assert out in said.out and err in said.err
    assert "Traceback" not in said.err
    assert target.exists() == (code == 0)


def test_cli_wave_all_is_the_wave_labelled_all(words_db, capsys, monkeypatch):
    from gapmodel.cli import main

    monkeypatch.setenv("GAPMODEL_DB", str(words_db))
    assert main(["gaps", "--wave", "all", "--by", "stage", "--format", "csv"]) == 0
    said = capsys.readouterr()
    assert "Wave all (a stored wave is labelled 'all'; to pool every wave" in said.err
    rows = said.out.strip().splitlines()
    assert rows[0].startswith("stage,n,") and len(rows) == 4  # header and three stages


def test_a_new_upload_moves_the_latest_wave_of_an_open_session(demo_copy, monkeypatch):
    """The session's choice "Latest wave (2026-Q3)" follows to the new latest wave."""
    from ui.store import open_store

    monkeypatch.setenv("GAPMODEL_DB", str(demo_copy))
    at = run()
    assert "Wave 2026\\-Q3 vs 2026\\-Q2" in _caption(at)
    at.sidebar.selectbox(key="segment").set_value("Enterprise").run()
    wide = generate_wave(150, 7, seed=321)
    wave, report = prepare_wave(wave_csv(wide), "new.csv", default_instrument(), "1-7")
    assert wave is not None, report.to_text()
    open_store(str(demo_copy.resolve())).ingest_wave(wave, "2026-Q4")  # the dashboard's store
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Wave 2026\\-Q4 vs 2026\\-Q3" in _caption(at)
    assert "Segment Enterprise" in _caption(at)
    assert at.sidebar.selectbox(key="wave").options[0] == "Latest wave (2026-Q4)"
