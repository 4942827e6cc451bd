"""Any questionnaire, as data: 1, 3, 4 and 12 stages, dimensions named in three scripts, items
without elements, 2,000 items, attributes of the file's own; the gap tables through the store,
the library and the command line against a plain loop over respondents with scipy."""

from __future__ import annotations

import io
import shutil

import polars as pl
import pytest
from reference_support import STATISTICS, close, loop_table
from survey_support import (
    DIMENSIONS,
    QUESTIONNAIRES,
    Questionnaire,
    build_survey,
    instrument_csv,
    responses,
    upload,
)

from gapmodel import views
from gapmodel.cli import main
from gapmodel.core.instrument import load_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.model.gaps import TableOptions, gap_table
from gapmodel.render.report import REPORT_FORMATS, build_briefing, render
from gapmodel.storage.store import Store

LOOSE = TableOptions(min_n=1, suppress_n=1)


@pytest.fixture(scope="module", params=QUESTIONNAIRES, ids=lambda q: q.name)
def stored(request, tmp_path_factory):
    """A store holding two waves of the questionnaire, and the reference's long responses."""
    q = request.param
    path = tmp_path_factory.mktemp(q.name) / "survey.duckdb"
    instrument, frame = build_survey(q, path)
    return q, instrument, path, frame


def _check(table: pl.DataFrame, reference: dict, by: list[str]) -> None:
    assert table.height == len(reference)
    for row in table.iter_rows(named=True):
        ref = reference[tuple(str(row[k]) for k in by)]
        for column in STATISTICS:
            assert close(row[column], ref[column]), (by, column, row[column], ref[column])


GROUPINGS = [["item", "stage"], ["dimension", "stage"], ["stage"], ["Sex"], ["Age band"]]
GROUPINGS += [["Contacts"], ["Sex", "dimension"]]


@pytest.mark.parametrize("by", GROUPINGS, ids=lambda b: "x".join(b))
def test_gap_tables_through_the_store_equal_the_loop(stored, by):
    q, _, path, frame = stored
    with Store.open(path, read_only=True) as store:
        survey = views.load_survey(store)
    data = views.select(survey, views.Filters(), survey.waves)
    _check(gap_table(data, by, LOOSE), loop_table(frame, by), by)


@pytest.mark.parametrize("by", GROUPINGS, ids=lambda b: "x".join(b))
def test_gap_tables_through_the_command_line_equal_the_loop(stored, by, capsys, monkeypatch):
    q, _, path, frame = stored
    monkeypatch.setenv("GAPMODEL_MIN_N", "1")
    monkeypatch.setenv("GAPMODEL_SUPPRESS_N", "1")
    # attribute names as typed by someone else: case and spacing do not matter
    typed = ",".join(k.upper() if k == "Age band" else k for k in by)
    argv = ["gaps", "--db", str(path), "--by", typed, "--wave", "all", "--format", "csv"]
    assert main(argv) == 0
    table = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema=False)
    numbers = [c for c in STATISTICS if c in table.columns]
    table = table.with_columns(pl.col(c).cast(pl.Float64) for c in numbers)
    _check(table.with_columns(pl.col("n").cast(pl.Int64)), loop_table(frame, by), by)


def test_the_survey_names_what_its_questionnaire_names(stored):
    q, instrument, path, _ = stored
    with Store.open(path, read_only=True) as store:
        survey = views.load_survey(store)
    assert survey.stages == list(q.stages)  # in the questionnaire's order
    assert survey.dimensions == list(DIMENSIONS)  # as written, in order of first appearance
    assert survey.single_stage == (len(q.stages) == 1)
    assert survey.has_elements == q.elements
    assert survey.attributes == ["Sex", "Age band", "Contacts"]
    assert survey.attribute_values["Contacts"] == [str(k) for k in range(1, 13)]  # numeric order
    assert survey.items.height == q.items
    assert set(survey.items["label"]) == set(instrument.items["wording"])


def test_every_page_renders_for_the_questionnaire(stored):
    q, instrument, path, _ = stored
    with Store.open(path, read_only=True) as store:
        survey = views.load_survey(store)
    filters = views.Filters(attributes={"Sex": "F"})
    overview = views.overview(survey, filters)
    journey = views.journey(survey, filters)
    assert ("stage_label" in journey.items.columns) == (len(q.stages) > 1)
    assert (journey.elements is None) == (not q.elements)
    for grouping in views.detail_groupings(survey):
        assert views.details(survey, filters, grouping).gaps.height > 0
    segments = views.segments(survey, filters, "Age band")
    assert set(segments.overall["Age band"].cast(pl.String)) == {"18-24", "25-34", "35-54", "55+"}
    assert views.trends(survey, filters).change_dimensions is not None
    assert views.priorities(survey, filters).ipa.height > 0
    cells = instrument.pairs().select("stage", "dimension").unique().height
    assert overview.journey.height == cells  # every stage x dimension asked, no empty one


def test_the_report_renders_for_the_questionnaire(stored):
    q, _, path, _ = stored
    with Store.open(path, read_only=True) as store:
        survey = views.load_survey(store)
    briefing = build_briefing(survey, views.Filters())
    for fmt in REPORT_FORMATS:
        assert len(render(briefing, fmt)) > 1000
    html = render(briefing, "html").decode()
    for stage in q.stages if len(q.stages) > 1 else ():
        assert stage.replace("&", "&amp;") in html
    if len(q.stages) == 1:  # a single touchpoint: no sentence per stage, no "Kiosk:" prefix
        assert not briefing.section("Journey") or all(
            not f.text.startswith(f"{q.stages[0]}:") for f in briefing.findings
        )
    assert {f.section for f in briefing.findings} >= {"Headline", "Pain points"}


def test_the_next_wave_is_read_with_the_stored_questionnaire(stored, tmp_path, capsys):
    """A third wave of the same survey goes in without its questionnaire given again: the
    newest stored wave's is used (the very one: same hash, items, order), and the CLI says so."""
    q, instrument, path, _ = stored
    copy = tmp_path / "survey.duckdb"
    shutil.copy(path, copy)
    with Store.open(copy, read_only=True) as store:
        read_back = store.instrument()
    assert read_back.sha256 == instrument.sha256
    assert (read_back.stages, read_back.dimensions) == (instrument.stages, instrument.dimensions)
    assert read_back.items.equals(instrument.items)
    third = tmp_path / "third.csv"
    third.write_bytes(upload(q, responses(q, instrument, 3, seed=7)))
    assert main(["ingest", str(third), "--db", str(copy), "--wave", "W3"]) == 0
    assert f"questionnaire of the newest stored wave ({q.name}.csv" in capsys.readouterr().err
    with Store.open(copy, read_only=True) as store:
        assert store.wave_labels() == ["W1", "W2", "W3"]
        assert store.cursor().sql("SELECT count(*) FROM instruments").fetchall() == [(1,)]


def test_where_any_attribute_filters_the_command_line_tables(stored, capsys, monkeypatch):
    q, _, path, frame = stored
    monkeypatch.setenv("GAPMODEL_MIN_N", "1")
    monkeypatch.setenv("GAPMODEL_SUPPRESS_N", "1")
    argv = ["gaps", "--db", str(path), "--by", "dimension", "--wave", "all", "--format", "csv"]
    assert main([*argv, "--where", "age-BAND=55+", "--where", "Sex=F"]) == 0
    table = pl.read_csv(io.StringIO(capsys.readouterr().out))
    chosen = frame.filter((pl.col("Age band") == "55+") & (pl.col("Sex") == "F"))
    _check(table, loop_table(chosen, ["dimension"]), ["dimension"])


def test_two_questionnaires_of_2500_items_in_all_are_read_as_their_union(tmp_path):
    """Wave 1 asks Q1..Q1500, wave 2 Q1001..Q2500: the survey holds 2,500 items and every gap
    by item x stage equals the loop over both waves."""
    q = Questionnaire("union", ("Web",), 2500, elements=False, respondents=12)
    lines = instrument_csv(q).decode().splitlines()
    header, rows = lines[0], lines[1:]
    parts = {1: rows[:1500], 2: rows[1000:]}
    frames = []
    path = tmp_path / "union.duckdb"
    with Store.open(path) as store:
        for wave, part in parts.items():
            instrument = load_instrument("\n".join([header, *part]).encode(), f"union-{wave}.csv")
            frame = responses(q, instrument, wave, seed=wave)
            prepared, report = prepare_wave(upload(q, frame), f"w{wave}.csv", instrument)
            assert prepared is not None, report.to_text()
            store.ingest_wave(prepared, f"W{wave}")
            frames.append(frame)
    with Store.open(path, read_only=True) as store:
        survey = views.load_survey(store)
    assert survey.items.height == 2500
    data = views.select(survey, views.Filters(), survey.waves)
    by = ["item", "stage"]
    _check(gap_table(data, by, LOOSE), loop_table(pl.concat(frames), by), by)
