"""Awkward and hostile mappings and exports: each refused with one sentence naming the row or
column and the rule, or read as it means; nothing is lost, nothing is stored that the mapping
does not map, and a wave is never refused after it was written."""

from __future__ import annotations

import csv
import io
import unicodedata

import exports_support as ex
import polars as pl
import pytest
from cli_support import run_cli

from gapmodel.cli import main
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.mapping import MappingError, mapping_csv, read_mapping
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.ingest.proposal import propose
from gapmodel.ingest.readers import ReadError, read_table
from gapmodel.storage.store import Store

INSTRUMENT = default_instrument()


def _proposal(export: ex.Export):
    return propose(read_table(export.data, export.filename), INSTRUMENT)


def _rows(mapping):
    return {c.column: c for c in mapping.columns}


def _with(mapping, column: str, **changes):
    from dataclasses import replace

    return mapping.with_columns(
        [replace(c, **changes) if c.column == column else c for c in mapping.columns]
    )


def test_a_plain_file_with_a_response_id_keeps_its_first_respondent():
    data = b"response_id,pre_purchase.courtesy.E,pre_purchase.courtesy.P\nR1,5,4\nR2,6,3\nR3,7,7\n"
    wave, report = prepare_wave(data, "w.csv", INSTRUMENT)
    assert wave is not None and wave.respondents.height == 3, report.to_text()


def test_a_qualtrics_export_without_its_question_text_rows_keeps_every_respondent():
    export = ex.qualtrics()
    lines = export.data.split(b"\n")
    data = b"\n".join([lines[0], *lines[3:]])
    # the comment column holds a quoted line break, so count the respondents, not the lines
    table = read_table(data, "q.csv")
    assert table.frame.height == 60 and table.first_row == 2


@pytest.mark.parametrize("name", ["*", "^$", "^Age.*$", "Age\u202eband", "Age\x07"])
def test_an_attribute_name_that_is_a_pattern_or_holds_control_characters_is_refused(name):
    export = ex.qualtrics()
    mapping = _with(_proposal(export), "Q8", name=name)
    wave, report = prepare_wave(export.data, export.filename, INSTRUMENT, mapping=mapping)
    assert wave is None
    assert [(p.rule, p.column) for p in report.errors] == [("invalid_mapping", "Q8")]


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ("Very good,label,,,,--1", "needs its score"),
        ("Very good,label,,,,²", "needs its score"),
        ("header_row,option,,,,²", "header_row must be a row number"),
    ],
)
def test_numbers_in_a_mapping_are_whole_numbers_in_ascii_digits(row, says):
    with pytest.raises(MappingError) as caught:
        read_mapping(f"column,role,stage,item,measure,name\n{row}\n".encode())
    assert caught.value.problems[0].row == 2 and says in caught.value.problems[0].message


def test_a_confidence_a_spreadsheet_mangled_is_not_read_back():
    mapping = read_mapping(b"column,role,confidence\nQ7,attribute,\xc2\xb2\n")
    assert mapping.columns[0].confidence is None


def test_a_mapping_with_an_excel_sep_line_is_read():
    mapping = read_mapping(b"sep=;\ncolumn;role;name\nQ7;attribute;Sex\n")
    assert mapping.columns[0].name == "Sex"


def test_dont_know_answers_are_missing_not_scores():
    frame = pl.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "Before you bought: what did you expect? - Staff are courteous": [
                "5",
                "Don't know",
                "7",
            ],
            "Before you bought: how was it actually? - Staff are courteous": [
                "6",
                "4",
                "Don't know",
            ],
        }
    )
    table = read_table(frame.write_csv().encode(), "w.csv")
    instrument = default_instrument()
    mapping = propose(table, instrument)
    assert mapping.labels == {"Don't know": "missing"}
    text = mapping_csv(mapping)
    assert b"Don't know,label,,,,missing" in text
    wave, report = prepare_wave(
        frame.write_csv().encode(), "w.csv", instrument, mapping=read_mapping(text)
    )
    assert wave is not None, report.to_text()
    courtesy = wave.responses.sort("respondent")
    assert courtesy["expectation"].to_list() == [5, None, 7]
    assert courtesy["perception"].to_list() == [6, 4, None]


def test_a_mapping_column_in_another_unicode_normalisation_is_matched():
    export = ex.google_forms_korean()
    instrument_csv = ex.korean_instrument_csv()
    from gapmodel.core.instrument import load_instrument

    korean = load_instrument(instrument_csv, "ko.csv")
    mapping = propose(read_table(export.data, export.filename), korean)
    nfd = mapping.with_columns(
        [
            type(c)(**{**c.__dict__, "column": unicodedata.normalize("NFD", c.column)})
            for c in mapping.columns
        ]
    )
    assert nfd.columns[1].column != mapping.columns[1].column
    wave, report = prepare_wave(export.data, export.filename, korean, mapping=nfd)
    assert wave is not None, report.to_text()


@pytest.mark.parametrize(
    ("frame", "says"),
    [
        (pl.DataFrame({"id": ["a"], "x": [[1, 2]]}), "nested lists"),
        (pl.DataFrame({"id": ["a"], "x": [b"\x00\x01"]}), "binary data"),
    ],
)
def test_parquet_columns_that_are_not_answers_are_refused_naming_them(frame, says):
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    with pytest.raises(ReadError) as caught:
        read_table(buffer.getvalue(), "w.parquet")
    assert says in caught.value.problem.message and caught.value.problem.column == "x"


def test_infinite_and_huge_scores_are_reported_as_out_of_scale():
    frame = pl.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "pre_purchase.courtesy.E": [float("inf"), 1e20, 5.0],
            "pre_purchase.courtesy.P": [4.0, 4.0, float("nan")],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    wave, report = prepare_wave(buffer.getvalue(), "w.parquet", INSTRUMENT)
    assert wave is None
    assert {p.row for p in report.errors} == {2, 3}


def test_personal_data_as_ids_or_in_mapped_free_text_is_warned(tmp_path):
    export = ex.qualtrics()
    mapping = _with(_proposal(export), "Q9", role="attribute", name="Comment")
    mapping = _with(mapping, "ResponseId", role="ignore")
    mapping = _with(mapping, "IPAddress", role="id")
    wave, report = prepare_wave(export.data, export.filename, INSTRUMENT, mapping=mapping)
    warned = {p.column for p in report.warnings if p.rule == "personal_data"}
    assert warned == {"Q9", "IPAddress"}, report.to_text()


def test_a_mapping_file_name_that_cannot_name_a_mapping_still_saves_it(tmp_path, capsys):
    export = ex.qualtrics()
    path = tmp_path / export.filename
    path.write_bytes(export.data)
    mapping = tmp_path / "cx\u202emapping.csv"
    db = tmp_path / "w.duckdb"
    assert main(["map", str(path), "--out", str(mapping), "--db", str(db)]) == 0
    assert (
        main(["ingest", str(path), "--mapping", str(mapping), "--wave", "w1", "--db", str(db)]) == 0
    )
    with Store.open(db, read_only=True) as store:
        assert store.mappings()["name"].to_list() == ["cxmapping"]


def test_map_refuses_an_export_with_no_answers_and_a_header_row_of_0(tmp_path):
    export = ex.qualtrics()
    path = tmp_path / "header-only.csv"
    path.write_bytes(b"\n".join(export.data.split(b"\n")[:3]) + b"\n")
    result = run_cli("map", str(path), "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 1 and "no answers under it" in result.stderr
    zero = run_cli("map", str(path), "--header-row", "0", "--db", str(tmp_path / "x.duckdb"))
    assert zero.returncode == 2 and "row number from 1" in zero.stderr


def test_a_single_question_answered_in_words_is_an_attribute_however_long():
    long_question = "What is your sex? " + "Please tell us, we expect nothing. " * 8
    frame = pl.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3", "R4"],
            long_question: ["Female", "Male", "Female", "Diverse"],
            "pre_purchase.courtesy.E": ["5", "6", "7", "5"],
            "pre_purchase.courtesy.P": ["6", "4", "5", "5"],
        }
    )
    table = read_table(frame.write_csv().encode(), "w.csv")
    mapping = propose(table, INSTRUMENT)
    assert _rows(mapping)[long_question.strip()].role == "attribute" and not mapping.labels
    wave, report = prepare_wave(frame.write_csv().encode(), "w.csv", INSTRUMENT, mapping=mapping)
    assert wave is not None, report.to_text()


def test_a_repeated_header_is_left_to_the_mapping():
    export = ex.google_forms()
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8"))))
    out = io.StringIO()
    csv.writer(out).writerows(row + [row[1]] for row in rows)  # the first question again
    data = out.getvalue().encode()
    mapping = propose(read_table(data, "g.csv"), INSTRUMENT)
    repeated = [c for c in mapping.columns if c.column.endswith("_duplicated_0")]
    assert len(repeated) == 1 and repeated[0].role == "ignore"
    wave, report = prepare_wave(data, "g.csv", INSTRUMENT, mapping=mapping)
    assert wave is not None, report.to_text()


def test_dates_are_not_phone_numbers_and_stay_attributes():
    frame = pl.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "visit_date": ["01/02/2024", "03.11.2023", "2024-05-06"],
            "Smartphone owner": ["yes", "no", "yes"],
            "pre_purchase.courtesy.E": ["5", "6", "7"],
            "pre_purchase.courtesy.P": ["6", "6", "5"],
        }
    )
    wave, report = prepare_wave(frame.write_csv().encode(), "w.csv", INSTRUMENT)
    assert wave is not None and wave.attributes == ["visit_date", "Smartphone owner"]


def test_a_file_with_respondent_and_collector_ids_but_no_sub_question_row_keeps_its_first_row():
    data = b"respondent_id,collector_id,segment,pre_purchase.courtesy.E,pre_purchase.courtesy.P\n"
    data += b"1001,77,A,5,6\n1002,77,B,6,6\n"
    wave, report = prepare_wave(data, "w.csv", INSTRUMENT)
    assert wave is not None and wave.respondents.height == 2, report.to_text()


def test_a_blank_stage_is_the_only_stage_or_needs_a_stage():
    data = b"id,x.E,x.P\nR1,5,6\nR2,4,4\n"
    rows = "column,role,stage,item,measure,wording,dimension\nid,id,,,,,\n"
    blank = read_mapping((rows + "x.E,score,,courtesy,E,,\nx.P,score,,courtesy,P,,\n").encode())
    _, report = prepare_wave(data, "w.csv", INSTRUMENT, mapping=blank)
    assert (
        "needs a stage: one of pre_purchase, encounter, post_purchase" in report.errors[0].message
    )
    draft = read_mapping(
        (
            rows + "x.E,score,,q1,E,Staff are kind,Care\nx.P,score,,q1,P,Staff are kind,Care\n"
        ).encode()
    )
    wave, report = prepare_wave(data, "w.csv", INSTRUMENT, mapping=draft)
    assert wave is not None and wave.instrument.stages == ("Survey",), report.to_text()


def test_a_comment_column_the_next_wave_lacks_does_not_refuse_it():
    export = ex.qualtrics()
    mapping = _proposal(export)
    assert _rows(mapping)["Q9"].role == "comment"
    frame = read_table(export.data, export.filename).frame.drop("Q9")
    wave, report = prepare_wave(frame.write_csv().encode(), "w.csv", INSTRUMENT, mapping=mapping)
    assert wave is not None, report.to_text()


def test_a_draft_asks_one_sub_question_at_every_stage_as_one_item():
    frame = pl.DataFrame(
        {
            "id": ["R1", "R2"],
            "Booking what did you expect? [Zorbly gadgets hum]": ["5", "6"],
            "Booking how was it actually? [Zorbly gadgets hum]": ["4", "6"],
            "Delivery: what did you expect? [Zorbly gadgets hum]": ["7", "6"],
            "Delivery: how was it actually? [Zorbly gadgets hum]": ["5", "5"],
        }
    )
    mapping = propose(read_table(frame.write_csv().encode(), "w.csv"), INSTRUMENT)
    scores = mapping.by_role("score")
    assert {c.item for c in scores} == {"zorbly_gadgets_hum"}
    assert [c.stage for c in scores] == ["Booking", "Booking", "Delivery", "Delivery"]
    wave, report = prepare_wave(frame.write_csv().encode(), "w.csv", INSTRUMENT, mapping=mapping)
    assert wave is not None and wave.instrument.stages == ("Booking", "Delivery"), report.to_text()
