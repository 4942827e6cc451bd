"""The mapping file's rules (each refusal names the row and the rule), header-row detection,
encodings (detected, said, or refused with the way to name them) and personal data in a file
read without a mapping."""

from __future__ import annotations

import io
import zipfile

import exports_support as ex
import polars as pl
import pytest
from cli_support import run_cli

from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.encodings import EncodingUnknown, decode
from gapmodel.ingest.headers import find_header
from gapmodel.ingest.mapping import (
    ColumnMap,
    Mapping,
    MappingError,
    mapping_csv,
    read_mapping,
)
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.ingest.proposal import propose, split_question
from gapmodel.ingest.readers import ReadOptions, read_table

HEADER = "column,role,stage,item,measure,name\n"


def _problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(MappingError) as caught:
        read_mapping((HEADER + text).encode())
    return [(p.row, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("rows", "row", "says"),
    [
        ("a,boss,,,,\n", 2, "is not one of id, score"),
        ("a,score,pre_purchase,,E,\n", 2, "needs an item"),
        ("a,score,pre_purchase,courtesy,X,\n", 2, "needs a measure"),
        ("a,id,,,,\nb,attribute,,,,B\na,ignore,,,,\n", 4, "mapped twice"),
        ("a,id,,,,\nb,id,,,,\n", 3, "mapped as id"),
        (
            "a,score,pre_purchase,courtesy,E,\nb,score,Pre-purchase,courtesy,expected,\n",
            3,
            "both mapped to",
        ),
        ("Strongly agree,label,,,,\n", 2, "needs its score"),
        ("encoding,option,,,,\nsheet2,option,,,,x\n", 3, "is not an option"),
        ("header_row,option,,,,0\n", 2, "header_row must be a row number"),
        (",score,,,,\n", 2, "names no column"),
    ],
)
def test_an_invalid_mapping_is_refused_with_its_row_and_rule(rows, row, says):
    problems = _problems(rows)
    assert any(r == row and says in m for r, m in problems), problems


def test_a_mapping_without_its_fields_is_refused():
    with pytest.raises(MappingError, match="has no role column"):
        read_mapping(b"column,what\na,id\n")


def test_blank_roles_are_ignored_and_options_labels_and_rows_round_trip():
    mapping = read_mapping(
        (
            HEADER + "encoding,option,,,,cp949\nheader_row,option,,,,3\n"
            "Very good,label,,,,6\n=cmd,,,,,\nQ1,score,pre,courtesy,E,\nQ7,attribute,,,,Sex\n"
        ).encode()
    )
    assert mapping.options == ReadOptions(encoding="cp949", header_row=3)
    assert mapping.labels == {"Very good": 6}
    assert [c.role for c in mapping.columns] == ["ignore", "score", "attribute"]
    text = mapping_csv(mapping)
    assert b"'=cmd" in text  # written as text, not as a formula
    again = read_mapping(text)
    assert again.columns[0].column == "=cmd" and again == mapping


def test_a_mapping_naming_a_column_the_file_lacks_is_refused_naming_it():
    data = b"respondent_id,pre_purchase.courtesy.E,pre_purchase.courtesy.P\nR1,5,6\n"
    mapping = Mapping(
        (
            ColumnMap("respondent_id", "id"),
            ColumnMap("pre_purchase.courtesy.E", "score", "pre_purchase", "courtesy", "E"),
            ColumnMap("Q1_1", "score", "pre_purchase", "courtesy", "P"),
        )
    )
    wave, report = prepare_wave(data, "w.csv", default_instrument(), mapping=mapping)
    assert wave is None
    assert ("mapping_column_missing", "Q1_1") in [(p.rule, p.column) for p in report.errors]


def test_a_mapping_to_an_item_the_questionnaire_lacks_says_how_to_fix_it():
    data = b"id,x.E,x.P\nR1,5,6\n"
    mapping = Mapping(
        (
            ColumnMap("id", "id"),
            ColumnMap("x.E", "score", "pre_purchase", "no_such_item", "E"),
            ColumnMap("x.P", "score", "pre_purchase", "no_such_item", "P"),
        )
    )
    _, report = prepare_wave(data, "w.csv", default_instrument(), mapping=mapping)
    assert "fill in wording and dimension to draft" in report.errors[0].message


@pytest.mark.parametrize(
    ("rows", "row", "tool", "text_rows"),
    [
        ([["Customer survey"], [], ["id", "a.E", "a.P"], ["R1", "5", "6"]], 2, None, 0),
        ([["id", "a.E"], ["R1", "5"]], 0, None, 0),
        ([["1", "2", "3"], ["4", "5", "6"]], 0, None, 0),  # no header at all: row 1 is taken
        (
            [
                ["StartDate", "ResponseId", "Q1_1"],
                ["Start Date", "Response ID", "x - y"],
                ['{"ImportId":"a"}', '{"ImportId":"b"}', '{"ImportId":"c"}'],
            ],
            0,
            "Qualtrics",
            2,
        ),
        ([["V1", "V2", "Q1"], ["ResponseID", "ResponseSet", "x"]], 0, "Qualtrics (legacy)", 1),
        (
            [
                ["Respondent ID", "Collector ID", "Q1", ""],
                ["", "", "Response", "Sub"],
                ["1", "2", "3", "4"],
            ],
            0,
            "SurveyMonkey",
            1,
        ),
    ],
)
def test_the_header_row_is_found_where_the_tool_put_it(rows, row, tool, text_rows):
    header = find_header(rows)
    assert (header.row, header.tool, header.text_rows) == (row, tool, text_rows)


def test_surveymonkey_columns_are_named_by_question_and_sub_question():
    header = find_header(
        [["Respondent ID", "Collector ID", "How was it?", ""], ["", "", "Staff", "Shop"]]
    )
    assert header.names[2:] == ["How was it? - Staff", "How was it? - Shop"]


def test_a_sep_hint_line_and_title_rows_are_skipped():
    data = b"sep=;\nWave 3 export;;\n\nrespondent_id;pre_purchase.courtesy.E;pre_purchase.courtesy.P\nR1;5;6\n"
    table = read_table(data, "w.csv")
    assert table.frame.columns == [
        "respondent_id",
        "pre_purchase.courtesy.E",
        "pre_purchase.courtesy.P",
    ]
    assert table.first_row == 5 and table.frame.height == 1


@pytest.mark.parametrize(
    ("text", "encoding", "named"),
    [
        ("성별,연령대\n여성,20대\n남성,30대\n" * 20, "cp949", "CP949 (Korean)"),
        ("性別,年代\n女性,20代\n男性,30代\n" * 20, "cp932", "CP932 (Japanese)"),
        ("性别,年龄\n女,二十多岁\n男,三十多岁\n" * 20, "gb18030", "GB18030 (Chinese)"),
        ("пол,возраст\nженский,молодой\nмужской,старый\n" * 20, "cp1251", "Windows-1251"),
        ("Geschlecht,Größe\nweiblich,groß\nmännlich,mittel\n" * 20, "cp1252", "Windows-1252"),
    ],
)
def test_a_codepage_is_detected_and_said(text, encoding, named):
    decoded = decode(text.encode(encoding))
    assert decoded.text == text and decoded.detected
    assert decoded.encoding.startswith(named)


def test_an_encoding_that_cannot_be_told_is_refused_and_can_be_named(tmp_path):
    """One Korean word in a CP949 file: Big5 and CP949 both read it, differently."""
    data = "respondent_id,City\n" + "R1,서울\n" + "".join(f"R{k},x\n" for k in range(2, 9))
    raw = data.encode("cp949")
    with pytest.raises(EncodingUnknown) as caught:
        decode(raw)
    assert "CP949" in caught.value.candidates
    path = tmp_path / "w.csv"
    path.write_bytes(raw)
    result = run_cli("map", str(path), "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 1 and "--encoding" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("map", str(path), "--encoding", "cp949", "--db", str(tmp_path / "x.duckdb"))
    assert result.returncode == 0, result.stderr
    assert "서울" in result.stdout


def test_western_text_is_read_as_windows_1252_and_said():
    """The Latin codepages read 'Cañón' and 'Ærø' alike but for a few symbols: the spreadsheets'
    Windows-1252 is taken, and the report says the codepage was assumed."""
    text = "respondent_id,Name\nR1,Ærø\nR2,Cañón – Straße\n"
    decoded = decode(text.encode("cp1252"))
    assert decoded.text == text and decoded.detected
    assert decoded.encoding == "Windows-1252 (Western European)"
    with pytest.raises(EncodingUnknown):  # but a CJK word read as Latin symbols is not taken
        decode("respondent_id,City\nR1,서울\n".encode("cp949"))


def test_a_wrong_encoding_name_and_a_misfit_are_refused_in_one_sentence(tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes("id,x\n가,1\n".encode("cp949"))
    bad = run_cli("map", str(path), "--encoding", "klingon", "--db", str(tmp_path / "x.duckdb"))
    assert bad.returncode == 1 and "is not a text encoding name" in bad.stderr
    rot13 = run_cli("map", str(path), "--encoding", "rot13", "--db", str(tmp_path / "x.duckdb"))
    assert rot13.returncode == 1 and "is not a text encoding name" in rot13.stderr
    misfit = run_cli("map", str(path), "--encoding", "utf-8", "--db", str(tmp_path / "x.duckdb"))
    assert misfit.returncode == 1 and "cannot be read as utf-8" in misfit.stderr


def test_personal_data_in_a_file_read_without_a_mapping_is_left_out_and_said():
    frame = pl.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "segment": ["A", "B", "A"],
            "E-mail": ["a@x.org", "b@x.org", "c@x.org"],
            "contact": ["+41 44 668 18 00", "+41 79 123 45 67", "044 668 18 01"],
            "pre_purchase.courtesy.E": ["5", "6", "7"],
            "pre_purchase.courtesy.P": ["6", "6", "5"],
        }
    )
    wave, report = prepare_wave(frame.write_csv().encode(), "w.csv", default_instrument())
    assert wave is not None and wave.attributes == ["segment"]
    left_out = {p.column for p in report.warnings if p.rule == "personal_data"}
    assert left_out == {"E-mail", "contact"}


def test_question_texts_split_into_block_sub_question_and_measure():
    q = split_question("Après l'achat : qu'aviez-vous attendu ? [Le personnel est aimable]")
    assert (q.sub, q.measure) == ("Le personnel est aimable", "expectation")
    assert (
        split_question("How was it actually? - Staff are well-trained").sub
        == "Staff are well-trained"
    )
    assert split_question("What is your sex?").measure is None
    expected, perceived = (
        split_question(f"Staff were courteous ({m})") for m in ("expected", "perceived")
    )
    assert (expected.measure, perceived.measure) == ("expectation", "perception")


def test_the_proposal_marks_its_guesses_and_personal_data():
    export = ex.qualtrics()
    mapping = propose(read_table(export.data, export.filename), default_instrument())
    by_column = {c.column: c for c in mapping.columns}
    for column in export.personal:
        assert by_column[column].role == "ignore" and "personal data" in by_column[column].reason
    assert by_column["ResponseId"].role == "id"
    assert by_column["Q9"].role == "comment" and "phone numbers" in by_column["Q9"].reason
    assert all(0 <= (c.confidence or 0) <= 100 for c in mapping.columns)


def _ods(rows: list[list[str]]) -> bytes:
    """A minimal OpenDocument spreadsheet (what LibreOffice saves), one sheet of text cells."""
    cells = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
            for c in row
        )
        + "</table:table-row>"
        for row in rows
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Responses">'
        f"{cells}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return buffer.getvalue()


def test_an_opendocument_spreadsheet_is_read_like_a_workbook():
    rows = [
        ["Kiosk survey, wave 1"],
        ["respondent_id", "pre_purchase.courtesy.E", "pre_purchase.courtesy.P"],
        ["R1", "5", "6"],
        ["R2", "7", "4"],
    ]
    wave, report = prepare_wave(_ods(rows), "wave.ods", default_instrument())
    assert wave is not None, report.to_text()
    assert wave.responses["expectation"].to_list() == [5, 7]
    assert "header_row" in report.rule_counts()
