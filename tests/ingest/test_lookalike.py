"""Look-alike text: values that print alike are one value.

Ids, attribute names and values, the long layout's stage and item cells, mapped names,
questionnaire codes and wave labels are taken in their normal form (NFC, no zero-width or
text-direction characters, odd spaces as plain ones); the report says how many values of which
column were normalised, and two ids that only look different are the duplicate they are.
"""

from __future__ import annotations

import unicodedata

import polars as pl
import pytest
from app_support import run
from cli_support import run_cli

from gapmodel.core.errors import DuplicateWaveError
from gapmodel.core.instrument import default_instrument, load_instrument
from gapmodel.core.text import find_text, normal_text
from gapmodel.ingest.mapping import read_mapping
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.ingest.validation_report import shorten
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv

INSTRUMENT = default_instrument()
# Characters that print as nothing, or make text display as something else.
HIDDEN = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u2066", "\u200f"]
NFD = unicodedata.normalize("NFD", "Zürich")
NFC = unicodedata.normalize("NFC", "Zürich")


def wide(n: int = 8, **columns: list[str]) -> pl.DataFrame:
    """A demo wave of ``n`` respondents with some columns replaced."""
    frame = generate_wave(n, 0, seed=5)
    return frame.with_columns(pl.Series(name, values) for name, values in columns.items())


def ids(n: int = 8) -> list[str]:
    return [f"R{k}" for k in range(1, n + 1)]


def problems(report, rule: str) -> list:
    return [p for p in report.problems if p.rule == rule]


@pytest.mark.parametrize("hidden", HIDDEN)
def test_ids_that_differ_by_an_invisible_character_are_one_duplicated_respondent(hidden):
    given = ids()
    given[1] = "R" + hidden + "1"
    wave, report = prepare_wave(wave_csv(wide(respondent_id=given)), "w.csv", INSTRUMENT)
    assert wave is None
    dup = problems(report, "duplicate_respondent_id")
    assert [p.row for p in dup] == [2, 3]
    assert f"The file writes it '{shorten('R' + hidden + '1')}'" in dup[1].message
    assert "so it is the same as 'R1'" in dup[1].message
    note = problems(report, "normalised_text")[0]
    assert (note.column, note.row, note.severity) == ("respondent_id", 3, "warning")
    assert note.message.startswith(
        "1 value(s) of column 'respondent_id' were not in their normal form"
    )
    assert f"U+{ord(hidden):04X}" in note.message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (NFC, NFD),  # composed and decomposed ü
        ("R 1", "R\u00a01"),  # plain and no-break space
        ("R 1", "R\u202f1"),  # narrow no-break space
        ("R 1", "R\u20071"),  # figure space
        ("R 1", "R  1"),  # two spaces
    ],
)
def test_ids_that_differ_in_their_unicode_form_or_spaces_are_duplicates(first, second):
    given = ids()
    given[:2] = [first, second]
    wave, report = prepare_wave(wave_csv(wide(respondent_id=given)), "w.csv", INSTRUMENT)
    assert wave is None
    assert [p.row for p in problems(report, "duplicate_respondent_id")] == [2, 3]


def test_distinct_ids_are_stored_in_their_normal_form_with_a_warning_per_column():
    given = ids()
    given[0], given[3] = "R\u200b1", "R\u00a04"
    segments = [NFD, NFC, "North\u00a0 East", "North East", "B", "B", "B", "B"]
    frame = wide(respondent_id=given, segment=segments)
    wave, report = prepare_wave(wave_csv(frame), "w.csv", INSTRUMENT)
    assert wave is not None, report.to_text()
    assert wave.respondents["respondent_id"].to_list() == ["R1", "R2", "R3", "R 4", *given[4:]]
    assert sorted(set(wave.respondents["segment"])) == sorted({NFC, "North East", "B"})
    notes = {p.column: p for p in problems(report, "normalised_text")}
    assert set(notes) == {"respondent_id", "segment"}
    assert notes["respondent_id"].message.startswith("2 value(s)")
    assert notes["segment"].message.startswith("2 value(s)")
    assert "decomposed accents, not Unicode NFC" in notes["segment"].message
    assert notes["segment"].row == 2


def test_plain_files_get_no_normalisation_warning():
    wave, report = prepare_wave(wave_csv(wide()), "w.csv", INSTRUMENT)
    assert wave is not None
    assert "normalised_text" not in report.rule_counts()


def test_joiners_inside_emoji_and_persian_are_kept_fullwidth_digits_too():
    """A zero-width joiner between two non-ASCII characters is writing, not a trick; NFC keeps
    fullwidth digits, so ``R１`` and ``R1`` stay two respondents (NFKC would merge them)."""
    family = "👩\u200d👩\u200d👧"
    persian = "می\u200cخواهم"
    given = ids()
    given[1] = "R\uff11"  # fullwidth digit one
    frame = wide(respondent_id=given, segment=[family, persian, *"ABCDEF"])
    wave, report = prepare_wave(wave_csv(frame), "w.csv", INSTRUMENT)
    assert wave is not None, report.to_text()
    assert wave.respondents["segment"].to_list()[:2] == [family, persian]
    assert wave.respondents["respondent_id"].to_list()[:2] == ["R1", "R\uff11"]
    assert "normalised_text" not in report.rule_counts()
    assert normal_text("x\u200dy") == "xy" and normal_text("\u200d👩") == "👩"


def test_attribute_names_with_invisible_characters_are_one_attribute():
    frame = wide().with_columns(pl.col("segment").alias("segment\u200b"))
    wave, report = prepare_wave(wave_csv(frame), "w.csv", INSTRUMENT)
    assert wave is None
    assert [(p.rule, p.column) for p in report.errors] == [("duplicate_column", "segment\\u200b")]
    renamed = wide().rename({"region": "Reg\u00adion\ufeff"})
    wave, report = prepare_wave(wave_csv(renamed), "w.csv", INSTRUMENT)
    assert wave is not None, report.to_text()
    assert "Region" in wave.attributes


def test_long_files_stage_and_item_cells_are_read_in_their_normal_form():
    rows = [
        ("R1", "encounter\u200b", "courtesy", "5", "4"),
        ("R1", "pre_purchase", "cour\u00adtesy", "6", "6"),
        ("R2", "encounter", "courtesy\u2060", "3", "5"),
        ("R2", "encounter", "courtesy", "3", "5"),
    ]
    frame = pl.DataFrame(
        rows, schema=["respondent_id", "stage", "item", "expectation", "perception"], orient="row"
    )
    wave, report = prepare_wave(frame.write_csv().encode(), "long.csv", INSTRUMENT)
    assert wave is None  # R2's two rows are one respondent, stage and item
    dup = problems(report, "duplicate_row")
    assert [p.row for p in dup] == [4, 5]
    assert {p.column for p in problems(report, "normalised_text")} == {"stage", "item"}
    wave, report = prepare_wave(frame.head(3).write_csv().encode(), "long.csv", INSTRUMENT)
    assert wave is not None, report.to_text()
    assert wave.responses["stage"].cast(pl.String).to_list() == [
        "encounter",
        "pre_purchase",
        "encounter",
    ]
    assert set(wave.responses["item"].cast(pl.String)) == {"courtesy"}


def test_questionnaire_codes_and_names_are_taken_in_their_normal_form():
    text = (
        "code,wording,dimension,stages\n"
        "q\u200b1,Friendly staff,Empa\u00adthy,Kiosk\u00a0desk\n"
        f"q2,Clean,{NFD},Kiosk desk\n"
    )
    instrument = load_instrument(text.encode(), "q.csv")
    assert instrument.codes == ["q1", "q2"]
    assert instrument.stages == ("Kiosk desk",)
    assert instrument.dimensions == ("Empathy", NFC)


def test_mapped_stage_item_and_attribute_names_are_taken_in_their_normal_form():
    frame = pl.DataFrame(
        {"id": ["A", "B"], "q1e": ["5", "4"], "q1p": ["6", "4"], "grp": ["x", "y"]}
    )
    mapping = read_mapping(
        (
            "column,role,stage,item,measure,name\n"
            "id,id,,,,\n"
            "q1e,score,encounter\u200b,court\u00adesy,E,\n"
            "q1p,score,encounter,courtesy\ufeff,P,\n"
            "grp,attribute,,,,Gr\u200boup\n"
        ).encode()
    )
    wave, report = prepare_wave(frame.write_csv().encode(), "m.csv", INSTRUMENT, mapping=mapping)
    assert wave is not None, report.to_text()
    assert wave.attributes == ["Group"]
    assert wave.responses.select("stage", "item").unique().rows() == [("encounter", "courtesy")]


def test_find_text_prefers_the_exact_spelling():
    assert find_text("Q1", ["Q1\u200b", "Q1"]) == "Q1"
    assert find_text("Q1\u200b", ["Q1\u200b", "Q1"]) == "Q1\u200b"
    assert find_text(NFD, [NFC]) == NFC
    assert find_text("Q9", ["Q1"]) is None


# -- wave labels ---------------------------------------------------------------------------


def _prepared(seed: int):
    wave, report = prepare_wave(
        wave_csv(generate_wave(20, 0, seed=seed)), f"{seed}.csv", INSTRUMENT
    )
    assert wave is not None, report.to_text()
    return wave


@pytest.mark.parametrize("typed", ["Q1\u200b", "\u2060Q1", "Q\u00ad1", "Q1\ufeff"])
def test_a_label_with_an_invisible_character_is_the_stored_label(store, typed):
    store.ingest_wave(_prepared(1), "Q1")
    before = store.checksums()
    with pytest.raises(DuplicateWaveError) as refused:
        store.ingest_wave(_prepared(2), typed)
    assert refused.value.existing_label == "Q1"
    assert "A wave labelled 'Q1' already exists (you typed" in str(refused.value)
    assert store.checksums() == before
    assert store.items(typed).height == INSTRUMENT.items.height
    result = store.ingest_wave(_prepared(2), typed, replace=True)
    assert result["replaced"] == "Q1" and store.wave_labels() == ["Q1"]
    store.delete_wave(typed)
    assert store.wave_labels() == []


def test_a_decomposed_label_is_stored_composed_and_found_either_way(store):
    store.ingest_wave(_prepared(1), NFD)
    assert store.wave_labels() == [NFC]
    with pytest.raises(DuplicateWaveError):
        store.ingest_wave(_prepared(2), NFC)
    assert store.require_wave(NFD) == store.require_wave(NFC)


@pytest.mark.parametrize("typed", ["Q1\u202e", "Q\u20661", "Q1\u200f"])
def test_a_label_with_a_direction_character_is_refused(store, typed):
    with pytest.raises(ValueError, match="control character U\\+2"):
        store.ingest_wave(_prepared(1), typed)
    assert store.wave_labels() == []


def test_cli_labels_with_a_zero_width_space_find_the_stored_wave(tmp_path):
    db = str(tmp_path / "cli.duckdb")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    generate_wave(40, 0, seed=1).write_csv(first)
    generate_wave(40, 1, seed=2).write_csv(second)
    assert run_cli("ingest", str(first), "--wave", "Q1", "--db", db).returncode == 0
    twin = run_cli("ingest", str(second), "--wave", "Q1\u200b", "--db", db)
    assert twin.returncode == 1 and "Traceback" not in twin.stderr
    assert "A wave labelled 'Q1' already exists (you typed 'Q1\\u200b'" in twin.stderr
    gaps = run_cli("gaps", "--wave", "Q\u200b1", "--db", db, "--format", "csv")
    assert gaps.returncode == 0, gaps.stderr
    assert gaps.stderr.startswith("Wave Q1\n")
    deleted = run_cli("delete", "\ufeffQ1", "--db", db)
    assert deleted.returncode == 0, deleted.stderr
    waves = run_cli("waves", "--db", db)
    assert waves.stdout.startswith("No waves yet.")


def test_cli_ids_that_differ_by_a_zero_width_space_are_refused_as_duplicates(tmp_path):
    given = ids(40)
    given[5] = "R\u200b1"
    upload = tmp_path / "twins.csv"
    upload.write_bytes(wave_csv(wide(40, respondent_id=given)))
    db = tmp_path / "cli.duckdb"
    result = run_cli("ingest", str(upload), "--wave", "W", "--db", str(db))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "row 7, column 'respondent_id': This respondent id appears more than once" in (
        result.stderr
    )
    assert "The file writes it 'R\\u200b1'" in result.stderr
    assert not db.exists()


# -- the Data page ---------------------------------------------------------------------------


@pytest.fixture
def dashboard_db(tmp_path, monkeypatch):
    path = tmp_path / "dashboard.duckdb"
    with Store.open(path) as store:
        store.ingest_wave(_prepared(1), "Q1")
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    return path


def _uploaded(data: bytes, label: str):
    at = run("ui/pages/data.py")
    at.get("file_uploader")[0].set_value(("twins.csv", data, "text/csv")).run()
    at.text_input(key="data_label_0").set_value(label).run()
    return at


def _report(at) -> pl.DataFrame:
    return pl.from_pandas(next(d.value for d in at.dataframe if "rule" in d.value.columns))


def test_data_page_reports_ids_that_only_look_different_as_duplicates(dashboard_db):
    given = ids(40)
    given[1] = unicodedata.normalize("NFD", "Rü")
    given[2] = unicodedata.normalize("NFC", "Rü")
    at = _uploaded(wave_csv(wide(40, respondent_id=given)), "Q2")
    assert not at.exception
    assert at.error[0].value.startswith("2 problems found, so nothing can be stored until")
    report = _report(at)
    dup = report.filter(pl.col("rule") == "duplicate_respondent_id")
    assert dup["row"].to_list() == [3, 4]
    assert (
        "not in their normal form"
        in report.filter(pl.col("rule") == "normalised_text")["message"][0]
    )
    assert at.button(key="data_commit").disabled


def test_data_page_stores_values_in_their_normal_form_and_refuses_a_look_alike_label(
    dashboard_db,
):
    given = ids(40)
    given[0] = "R\u200b1"
    frame = wide(40, respondent_id=given, segment=[NFD] * 20 + [NFC] * 20)
    at = _uploaded(wave_csv(frame), "Q1\u200b")
    assert not at.exception
    assert "The file is valid." in at.info[0].value
    assert set(_report(at)["rule"]) == {"normalised_text"}
    at.button(key="data_commit").click().run()
    assert not at.exception
    message = at.error[0].value
    assert "A wave labelled" in message and "already exists" in message
    assert "Nothing was written" in message
    at.text_input(key="data_label_0").set_value("Q2").run()
    at.button(key="data_commit").click().run()
    assert not at.exception and not at.error
    from ui.store import open_store

    store = open_store(str(dashboard_db.resolve()))
    people = store.respondents(["Q2"])
    assert people["respondent_id"][0] == "R1"
    assert set(people["segment"]) == {NFC}
    assert store.wave_labels() == ["Q1", "Q2"]


def test_spss_value_labels_are_taken_in_their_normal_form():
    from gapmodel.ingest.mapped import _attribute_labels

    raw = pl.DataFrame({"Sex": ["1", "2", " 1"]})
    labelled = _attribute_labels(raw, {"Sex": "Sex"}, {"Sex": {"1": "Fe\u00admale", "2": NFD}})
    assert labelled["Sex"].to_list() == ["Female", NFC, "Female"]
