"""Hostile upload files: workbooks whose used range is the whole sheet, formula cells without a
calculated value, non-finite and exotic Parquet columns, workbook formats gapmodel does not
read, and files that need more memory than the reading process may take. Each is refused with a
sentence (no traceback, no crash of the process that asked), and nothing is written."""

from __future__ import annotations

import datetime
import decimal
import functools
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import polars as pl
import pytest
import xlsxwriter
from cli_support import run_cli
from hostile_support import (
    INSTRUMENT,
    STRAY_CELL,
    E,
    P,
    ods,
    text_cell,
    two_sheets,
    wave_rows,
    xlsx,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gapmodel.cli import main
from gapmodel.core.settings import get as settings_get
from gapmodel.ingest import isolated, readers, sheet_scan
from gapmodel.ingest.isolated import read_table, read_with_peak
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.ingest.readers import ReadError
from gapmodel.storage.store import Store

STRAY_ROW = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def refusal(data: bytes, name: str) -> ReadError:
    with pytest.raises(ReadError) as refused:
        read_table(data, name)
    return refused.value


def errors(data: bytes, name: str, scale: str = "1-7") -> list:
    wave, report = prepare_wave(data, name, INSTRUMENT, scale)
    assert wave is None
    return report.errors


# -- Used ranges: a stray cell far from the table ------------------------------------------------
@pytest.mark.parametrize(
    ("sheet_data", "dimension", "names"),
    [
        (wave_rows(last=STRAY_ROW), None, ["XFD1048576"]),  # the example
        (wave_rows(last='<row r="5000"><c r="XFD5000"><v>x</v></c></row>'), None, ["XFD5000"]),
        (wave_rows(last='<row r="20000000"><c r="A20000000"><v>1</v></c></row>'), None, ["A20"]),
        (wave_rows(), "A1:XFD1048576", ["declares", "A1:XFD1048576"]),  # cells fine, range not
        (wave_rows().replace('r="C2"', "r='XFD1048576'"), None, ["XFD1048576"]),  # quoted so
        (wave_rows(last='<x:row r="999999"><x:c r="XFD999999"/></x:row>'), None, ["XFD999999"]),
        # A row number with leading zeros beside the stray cell does not hide it.
        (
            wave_rows(last='<row><c r="A000000002"/><c r="XFD1048576"><v>1</v></c></row>'),
            None,
            ["XFD1048576"],
        ),
        # Cells without r are placed after the cell before: 16,000 of them make 16,000 columns.
        (wave_rows(last='<row r="9000">' + "<c><v>1</v></c>" * 16_000 + "</row>"), None, []),
    ],
    ids=[
        "xfd1048576",
        "far_column",
        "far_row",
        "declared",
        "quoted",
        "prefixed",
        "leading_zeros",
        "no_refs",
    ],
)
def test_a_sheet_whose_used_range_is_huge_is_refused_before_it_is_read(
    sheet_data, dimension, names
):
    data = xlsx(sheet_data, dimension, sheet="Wave 3")
    assert len(data) < 100_000
    problem = refusal(data, "wave.xlsx").problem
    assert problem.rule == "sheet_too_large"
    assert "The sheet 'Wave 3'" in problem.message
    assert "Delete the empty rows below the table" in problem.message
    assert "export the sheet as CSV" in problem.message
    for name in names:
        assert name in problem.message


@pytest.mark.parametrize("offset", range(0, 24, 3))
def test_a_stray_cell_across_the_scanners_chunk_boundary_is_found(offset):
    """The sheet is read a megabyte at a time: a reference cut in two is still seen."""
    stray = b'<row r="1048576"><c s="1" r="XFD1048576"><v>1</v></c></row>'
    head = b"<worksheet><sheetData>"
    filler = b" " * (sheet_scan._CHUNK - len(head) - offset)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("s.xml", head + filler + stray + b"</sheetData></worksheet>")
    with pytest.raises(sheet_scan.SheetTooLarge, match="the cell XFD1048576"):
        sheet_scan.scan_sheet(zipfile.ZipFile(buffer), "s.xml", "S")


def test_a_used_range_within_the_bound_is_read():
    """A million-row column of one stray value is within the bound (2 columns x 1,048,576
    rows): it is read, and the blank rows are dropped."""
    data = xlsx(wave_rows(last='<row r="1048576"><c r="A1048576"><v>R_end</v></c></row>'))
    wave, report = prepare_wave(data, "long.xlsx", INSTRUMENT, "1-7")
    assert report.n_rows == 11  # the 10 respondents and the one stray id


def test_a_workbook_whose_cells_do_not_name_their_place_is_read():
    """``r`` is optional: 3,000 cells without it in 1,000 rows are 3 columns, not 3,000."""
    rows = re.sub(r' r="[A-Z]*\d+"', "", wave_rows(999))
    wave, report = prepare_wave(xlsx(rows), "plain.xlsx", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()
    assert report.n_respondents == 999


def _strict(data: bytes) -> bytes:
    """The workbook as Excel saves it in 'Strict Open XML': the same parts, other namespaces."""
    names = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
            b"http://purl.oclc.org/ooxml/spreadsheetml/main"
        ),
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out, zipfile.ZipFile(io.BytesIO(data)) as src:
        for info in src.infolist():
            part = src.read(info)
            for old, new in names.items():
                part = part.replace(old, new)
            out.writestr(info, part)
    return buffer.getvalue()


def test_a_strict_open_xml_workbook_is_scanned_and_read():
    wave, report = prepare_wave(_strict(xlsx(wave_rows())), "strict.xlsx", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()
    assert "XFD1048576" in refusal(_strict(STRAY_CELL), "strict.xlsx").problem.message


def test_a_sheet_other_than_the_first_is_checked_before_it_is_read():
    """The reader loads every sheet to look for the table: each is scanned first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out, zipfile.ZipFile(io.BytesIO(STRAY_CELL)) as src:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData><row r='1'/>")
            out.writestr(info, data)
    problem = refusal(buffer.getvalue(), "w.xlsx").problem
    assert problem.rule == "sheet_too_large" and "XFD1048576" in problem.message


_COVER = f'<row r="1">{text_cell("A1", "Customer survey, wave 3")}</row>{STRAY_ROW}'


def test_an_oversized_cover_sheet_is_skipped_when_a_later_sheet_holds_the_table():
    """A cover sheet formatted out to XFD1048576 does not stop the automatic sheet choice: the
    table sheet after it is read, and a note names the sheet skipped."""
    data = two_sheets(("Cover", _COVER), ("Data", wave_rows()))
    table = readers.read_table(data, "wave.xlsx")
    assert table.sheet == "Data" and table.frame.height == 10
    note = next(n for n in table.notes if n.rule == "sheet_too_large")
    assert note.severity == "warning"
    assert "The sheet 'Cover'" in note.message and "XFD1048576" in note.message
    wave, report = prepare_wave(data, "wave.xlsx", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()


@pytest.mark.parametrize(
    ("sheets", "sheet", "refused"),
    [
        (
            (("Cover", _COVER), ("Notes", '<row r="1">' + text_cell("A1", "x") + "</row>")),
            None,
            "Cover",
        ),
        ((("Cover", _COVER), ("Data", wave_rows())), "Cover", "Cover"),
        ((("Cover", _COVER), ("Data", wave_rows())), "1", "Cover"),
        ((("Data", wave_rows(last=STRAY_ROW)), ("Notes", _COVER)), "Data", "Data"),
    ],
    ids=["no_other_table", "named", "numbered", "named_table_sheet"],
)
def test_an_oversized_sheet_is_refused_when_named_or_no_other_sheet_holds_a_table(
    sheets, sheet, refused
):
    with pytest.raises(ReadError) as error:
        readers.read_table(two_sheets(*sheets), "wave.xlsx", readers.ReadOptions(sheet=sheet))
    assert error.value.problem.rule == "sheet_too_large"
    assert f"The sheet {refused!r}" in error.value.problem.message


def _cli_cases(tmp_path, db):
    path = tmp_path / "wave.xlsx"
    path.write_bytes(STRAY_CELL)
    return path, [
        ["validate", str(path), "--db", str(db)],
        ["ingest", str(path), "--wave", "stray", "--db", str(db)],
        ["map", str(path), "--db", str(db), "--out", str(tmp_path / "m.csv")],
    ]


def test_the_command_line_refuses_the_stray_cell_workbook_and_writes_nothing(demo_copy, tmp_path):
    with Store.open(demo_copy, read_only=True) as store:
        before = store.checksums()
    _, commands = _cli_cases(tmp_path, demo_copy)
    for command in commands:
        done = run_cli(*command)
        said = done.stdout + done.stderr
        assert done.returncode == 1, (command, done.returncode, said)  # a refusal, not 134
        assert "Traceback" not in said and "panicked" not in said
        assert "uses the range A1:XFD1048576" in said
        assert "the cell XFD1048576 holds something" in said
    assert not (tmp_path / "m.csv").exists()
    with Store.open(demo_copy, read_only=True) as store:
        assert store.checksums() == before


# -- Formula cells -------------------------------------------------------------------------------
def _formula_row(k: int, cell: str) -> str:
    return f'<row r="{k}">{text_cell(f"A{k}", f"R{k}")}{cell}<c r="C{k}"><v>4</v></c></row>'


@pytest.mark.parametrize(
    ("cell", "calc", "shown"),
    [
        ('<c r="B12"><f>B11+1</f></c>', "", "(=B11+1)"),  # no value
        ('<c r="B12"><f>B11+1</f><v></v></c>', "", "(=B11+1)"),  # an empty value
        ('<c r="B12"><f t="shared" si="0"/></c>', "", "(a copy of a shared formula)"),
        # A program wrote the placeholder 0 and asks Excel to calculate on opening.
        ('<c r="B12"><f>B11+1</f><v>0</v></c>', '<calcPr fullCalcOnLoad="1"/>', "(=B11+1)"),
    ],
    ids=["no_value", "empty_value", "shared", "placeholder_zero"],
)
def test_a_formula_without_a_calculated_value_in_a_score_column_is_refused(cell, calc, shown):
    data = xlsx(wave_rows(last=_formula_row(12, cell)), sheet="Data", calc=calc)
    [problem] = errors(data, "wave.xlsx", "0-10")  # 0 is on the scale: only the formula fails
    assert problem.rule == "uncalculated_formula"
    assert problem.row == 12 and problem.column == E
    assert problem.message.startswith(f"The cell Data!B12 holds a formula {shown}")
    assert "let it calculate and save it" in problem.message
    assert "paste the score columns as values" in problem.message


def _moved(rows: str, columns: int, down: int) -> str:
    """``rows`` with every cell ``columns`` to the right and every row ``down`` lower."""

    def cell(match: re.Match) -> str:
        letter = chr(ord(match[1]) + columns)
        return f'r="{letter}{int(match[2]) + down}"'

    rows = re.sub(r'r="([A-Z])(\d+)"', cell, rows)
    return re.sub(r'<row r="(\d+)"', lambda m: f'<row r="{int(m[1]) + down}"', rows)


def test_a_formula_is_placed_in_a_table_that_starts_below_a_title_and_right_of_column_a():
    """The reader's grid starts at the first cell holding a value (B1 here), not A1."""
    rows = _moved(wave_rows(last=_formula_row(12, '<c r="B12"><f>B11+1</f></c>')), 1, 2)
    title = f'<row r="1">{text_cell("B1", "Customer survey, wave 3")}</row>'
    [problem] = errors(xlsx(title + rows), "wave.xlsx")
    assert problem.rule == "uncalculated_formula"
    assert problem.message.startswith("The cell Sheet1!C14 holds a formula (=B11+1)")
    assert problem.column == E and problem.row == 14


def test_a_workbook_written_by_xlsxwriter_with_formula_scores_is_refused():
    """XlsxWriter stores 0 for every formula and asks for a calculation on opening: without
    the check, each of these cells would be a valid score of 0 on a 0-10 scale."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as book:
        sheet = book.add_worksheet("Scores")
        sheet.write_row(0, 0, ["respondent_id", E, P])
        for k in range(1, 8):
            sheet.write_row(k, 0, [f"R{k}", k % 10, 5])
            sheet.write_formula(k, 2, f"=B{k + 1}+1")
    problems = errors(buffer.getvalue(), "wave.xlsx", "0-10")
    assert {p.rule for p in problems} == {"uncalculated_formula"}
    assert [p.value for p in problems] == [f"=B{k + 1}+1" for k in range(1, 8)]
    assert problems[0].message.startswith("The cell Scores!C2 holds a formula")


def test_calculated_formulas_and_formulas_outside_the_scores_are_read():
    """Excel stores each formula's value: it is the score. A formula in an attribute column is
    not a score."""
    rows = wave_rows(
        last='<row r="12">' + text_cell("A12", "R12") + '<c r="B12"><f>1+2</f><v>3</v></c>'
        '<c r="C12"><v>5</v></c><c r="D12"><f>NOW()</f></c></row>'
    ).replace("</c></row>", "</c>" + text_cell("D1", "segment") + "</row>", 1)
    wave, report = prepare_wave(xlsx(rows), "wave.xlsx", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()
    assert report.n_respondents == 11


def test_the_report_on_the_command_line_names_the_formula_cells(tmp_path, demo_copy):
    path = tmp_path / "f.xlsx"
    path.write_bytes(xlsx(wave_rows(last=_formula_row(12, '<c r="B12"><f>B11+1</f></c>'))))
    code = main(["validate", str(path), "--db", str(demo_copy), "--report", str(tmp_path / "r")])
    report = (tmp_path / "r").read_text()
    assert code == 1
    assert "uncalculated_formula" in report and "Sheet1!B12" in report


# -- Parquet: non-finite and exotic columns ------------------------------------------------------
def _parquet(**columns) -> bytes:
    frame = pl.DataFrame({"respondent_id": ["a", "b", "c", "d"], **columns})
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_nan_in_a_parquet_score_is_missing():
    nan = float("nan")
    data = _parquet(**{E: [1.0, nan, 3.0, nan], P: [2.0, 3.0, nan, 4.0]})
    wave, report = prepare_wave(data, "w.parquet", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()
    assert report.n_pairs == 1
    assert wave.responses["expectation"].null_count() == 2


@pytest.mark.parametrize("value", [float("inf"), -float("inf"), 1e300])
def test_an_infinite_or_huge_parquet_score_is_out_of_the_scale(value):
    problems = errors(_parquet(**{E: [1.0, value, 3.0, 2.0], P: [2.0, 3.0, 4.0, 5.0]}), "w.pq")
    assert [(p.rule, p.row, p.column) for p in problems] == [("out_of_scale", 3, E)]
    assert "the declared scale 1-7" in problems[0].message


@pytest.mark.parametrize(
    ("extra", "named", "kind"),
    [
        ({"tags": [[1], [2], [], None]}, ["'tags'"], "nested lists"),
        ({"s": [{"a": 1}] * 4, "t": [[1.0]] * 4}, ["'s'", "'t'"], "nested lists or records"),
        ({"blob": [b"\x00", b"x", b"", None]}, ["'blob'"], "binary data"),
        ({"pair": pl.Series([[1, 2]] * 4, dtype=pl.Array(pl.Int8, 2))}, ["'pair'"], "nested"),
    ],
    ids=["list", "struct_and_list", "binary", "array"],
)
def test_a_parquet_column_of_lists_records_or_bytes_is_refused_by_name(extra, named, kind):
    problem = refusal(_parquet(**{E: [1, 2, 3, 4], P: [1, 2, 3, 4]}, **extra), "w.parquet").problem
    assert problem.rule == "unsupported_column"
    for name in named:
        assert name in problem.message
    assert kind in problem.message and "Export the survey as a flat table" in problem.message


@pytest.mark.parametrize("at", [0, 150], ids=["first_row", "below_the_sample"])
def test_a_parquet_date_that_cannot_be_written_as_text_is_refused_by_column(at):
    """A date 5.8 million years on cannot be cast to text; the refusal names its column
    wherever in the column the value is (the first 100 rows are tried first)."""
    days = [0] * 200
    days[at] = 2**31 - 1
    fielded = pl.Series(days, dtype=pl.Int32).cast(pl.Date)
    buffer = io.BytesIO()
    pl.DataFrame({E: [1] * 200, P: [2] * 200, "fielded": fielded}).write_parquet(buffer)
    data = buffer.getvalue()
    with pytest.raises(ReadError) as refused:
        readers.read_table(data, "w.parquet")
    problem = refused.value.problem
    assert problem.rule == "unsupported_column"
    assert problem.column == "fielded"
    assert "The column(s) 'fielded' hold values of a type (Date)" in problem.message


def test_dates_times_durations_decimals_and_booleans_are_read_as_text():
    day = datetime.date(2026, 3, 1)
    data = _parquet(
        **{E: [decimal.Decimal(k) for k in "1234"], P: pl.Series([1, 2, 3, 4], dtype=pl.UInt8)},
        fielded=[day] * 4,
        at=[datetime.datetime(2026, 3, 1, 9, tzinfo=datetime.UTC)] * 4,
        took=[datetime.timedelta(minutes=k) for k in range(4)],
        clock=[datetime.time(9, 30)] * 4,
        finished=[True, False, True, None],
        nothing=pl.Series([None] * 4, dtype=pl.Null),
        segment=pl.Series(["x", "y", "x", "y"], dtype=pl.Categorical),
    )
    table = read_table(data, "w.parquet")
    assert table.frame.row(1, named=True)["took"] == "PT1M"
    assert table.frame.row(0, named=True)["fielded"] == "2026-03-01"
    wave, report = prepare_wave(data, "w.parquet", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()


def test_the_command_line_refuses_a_parquet_column_of_records(tmp_path, demo_copy, capsys):
    path = tmp_path / "w.parquet"
    path.write_bytes(_parquet(**{E: [1, 2, 3, 4], P: [1, 2, 3, 4], "meta": [{"a": 1}] * 4}))
    with Store.open(demo_copy, read_only=True) as store:
        before = store.checksums()
    code = main(["ingest", str(path), "--wave", "x", "--db", str(demo_copy)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "'meta' hold nested lists or records" in err
    with Store.open(demo_copy, read_only=True) as store:
        assert store.checksums() == before


# -- Workbook formats gapmodel does not read -----------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (OLE, "wave.xls", "an old Excel .xls file, or a workbook protected by a password"),
        (OLE, "wave.xlsx", "protected by a password"),  # an encrypted .xlsx is an OLE file
        (_zip({"xl/workbook.bin": b"\x83\x01"}), "wave.xlsb", "an Excel binary workbook"),
        (_zip({"Index/Document.iwa": b"x"}), "wave.numbers", "an Apple Numbers document"),
        (b"<html><table><tr><td>id</td></tr></table></html>", "wave.xls", "a web page"),
        (b"\x00\x01garbage", "wave.xlsb", "not a workbook gapmodel can read"),
    ],
    ids=["xls", "encrypted_xlsx", "xlsb", "numbers", "html_xls", "junk_xlsb"],
)
def test_a_workbook_format_not_read_says_to_save_as_xlsx_or_csv(data, name, said):
    problem = refusal(data, name).problem
    assert problem.rule == "unsupported_format"
    assert said in problem.message
    assert "save it as .xlsx (Excel workbook), or export CSV" in problem.message


@pytest.mark.parametrize(
    "data",
    [
        b"<?xml version='1.0'?><Workbook><Worksheet/></Workbook>",
        b"\xef\xbb\xbf \r\n<table><tr><td>id</td></tr></table>",
        b"respondent_id\tscore\r\nR1\t\x003\r\n",
    ],
    ids=["xml_spreadsheet", "html_after_bom_and_blanks", "nul_byte"],
)
def test_a_file_named_xls_that_is_markup_or_binary_is_refused_by_name(data):
    problem = refusal(data, "wave.xls").problem
    assert problem.rule == "unsupported_format"
    assert "not a workbook gapmodel can read" in problem.message


def test_a_tab_separated_text_file_named_xls_is_read_as_text_with_a_note():
    """Survey tools download TSV as .xls; the previous release read it through the CSV
    reader."""
    data = f"respondent_id\t{E}\t{P}\r\nR1\t5\t6\r\nR2\t3\t4\r\n".encode()
    table = readers.read_table(data, "export.xls")
    assert table.kind == "csv"
    assert table.frame.columns == ["respondent_id", E, P]
    assert table.frame.rows() == [("R1", "5", "6"), ("R2", "3", "4")]
    note = next(n for n in table.notes if n.rule == "text_named_xls")
    assert "export.xls is a text file named .xls" in note.message
    assert note.severity == "warning"


_ODS_VALUE = 'office:value-type="float" office:value="1"><text:p>1</text:p>'
_ODS_ONE = f"<table:table-cell {_ODS_VALUE}"
_ODS_ALL = f'<table:table-cell table:number-columns-repeated="16384" {_ODS_VALUE}'
_ODS_HEAD = (
    '<table:table-row><table:table-cell office:value-type="string"><text:p>id</text:p>'
    "</table:table-cell></table:table-row>"
)


@pytest.mark.parametrize(
    "rows",
    [
        f'<table:table-row table:number-rows-repeated="1048575">{_ODS_ALL}</table:table-cell>'
        "</table:table-row>",
        '<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-'
        'columns-repeated="16384"/></table:table-row><table:table-row><table:table-cell '
        f'table:number-columns-repeated="16383"/>{_ODS_ONE}</table:table-cell></table:table-row>',
    ],
    ids=["repeated_everywhere", "one_far_cell"],
)
def test_an_ods_whose_repeated_cells_fill_the_sheet_is_refused_not_a_crash(rows):
    """calamine refuses these itself (its error is shown); the process cap is the backstop."""
    problem = refusal(ods(_ODS_HEAD + rows), "w.ods").problem
    assert problem.rule == "damaged_file"
    assert problem.message.startswith("w.ods could not be read as a workbook")


def test_an_xlsm_workbook_is_read_like_an_xlsx():
    wave, report = prepare_wave(xlsx(wave_rows()), "wave.xlsm", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()


# -- The reading process and its memory cap ------------------------------------------------------
def test_a_reader_that_aborts_ends_its_own_process_not_the_caller(monkeypatch):
    """A used range within the bound can still need more than a small cap: the Excel reader
    aborts (Rust), the child dies of SIGABRT, and the caller gets a sentence."""
    monkeypatch.setenv("GAPMODEL_READ_MEMORY_MB", "700")
    rows = wave_rows(last='<row r="2000000"><c r="O2000000"><v>1</v></c></row>')  # 30M cells
    with pytest.raises(ReadError) as refused:
        read_with_peak(xlsx(rows), "big.xlsx")
    problem = refused.value.problem
    assert problem.rule == "read_memory"
    assert problem.message.startswith(
        "big.xlsx could not be read within the memory limit of 700 MB (GAPMODEL_READ_MEMORY_MB)"
    )
    assert refused.value.peak_mb < 700


def test_a_csv_that_needs_more_than_the_cap_is_refused_and_a_small_one_read(monkeypatch):
    monkeypatch.setenv("GAPMODEL_READ_MEMORY_MB", "600")
    with pytest.raises(ReadError) as refused:
        read_table(_wide_csv(400, 150_000), "big.csv")  # 60 million cells
    assert refused.value.problem.rule == "read_memory"
    table, peak = read_with_peak(_wide_csv(400, 1), "small.csv")
    assert table.frame.shape == (1, 401) and peak < 600


def test_the_peak_is_the_reading_process_own_not_its_callers():
    """The kernel's rusage peak of a child starts at its parent's (a child of an 800 MB
    dashboard reported 879 MB for a one-row CSV); the peak reported is the child's own."""
    script = (
        "import json; from gapmodel.core.memory import peak_mb;"
        "from gapmodel.ingest.isolated import read_with_peak;"
        "ballast = bytearray(900 * 2**20); ballast[::4096] = b'x' * len(ballast[::4096]);"
        "_, child = read_with_peak(b'id,a\\n1,2\\n', 'small.csv');"
        "print(json.dumps([peak_mb(), child]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    own, child = json.loads(done.stdout)
    assert own > 900 and 20 < child < 300, (own, child)


def test_a_cap_too_small_for_the_reader_itself_is_refused_as_a_setting(monkeypatch):
    monkeypatch.setenv("GAPMODEL_READ_MEMORY_MB", "100")  # polars alone needs more
    with pytest.raises(
        ValueError,
        match="GAPMODEL_READ_MEMORY_MB is .100.; it must be a whole number of megabytes from 512",
    ):
        read_table(b"a,b\n1,2\n", "tiny.csv")


@pytest.mark.parametrize(
    "said",
    [
        "MemoryError",
        "OSError: [Errno 12] Cannot allocate memory: 'polars.abi3.so'",
        "<jemalloc>: Error in mmap(): err: 12",
    ],
)
def test_a_reader_that_stopped_for_want_of_memory_is_a_memory_refusal(said):
    problem = isolated._ended("w.csv", 1, 600, said, 100).problem
    assert problem.rule == "read_memory" and "memory limit of 600 MB" in problem.message


def test_a_read_beyond_its_processor_time_is_refused(monkeypatch):
    monkeypatch.setattr(isolated, "CPU_SECONDS", 1)
    problem = refusal(_wide_csv(400, 150_000), "slow.csv").problem
    assert problem.rule == "read_time"
    assert problem.message.startswith("slow.csv could not be read within 1 s of processing")


def test_a_reader_that_stops_otherwise_is_refused_with_its_last_word():
    problem = isolated._ended("w.csv", 1, 8192, "ValueError: something unforeseen", 90).problem
    assert problem.message.startswith(
        "w.csv could not be read (the reader stopped with code 1: ValueError: something "
        "unforeseen)."
    )


def test_a_command_that_reads_one_file_starts_no_process_ahead(monkeypatch):
    monkeypatch.setattr(isolated, "_KEEP_SPARES", False)
    with isolated._SPARE_LOCK:
        isolated._stop_spares()
    read_table(b"a,b\n1,2\n", "one.csv")
    assert isolated._SPARE == {}


@pytest.mark.parametrize(
    ("code", "peak", "rule"),
    [
        (-11, 8000, "read_memory"),  # a crash at the cap: an allocation that was not checked
        (-11, 200, "read_crash"),  # a crash far from it: not memory
        (-7, 100, "read_crash"),
        (-6, 100, "read_memory"),  # an abort: Rust's and C++'s answer to a failed allocation
        (3, 100, "read_memory"),
    ],
)
def test_a_crash_is_taken_for_memory_only_near_the_cap(code, peak, rule):
    assert isolated._ended("w.csv", code, 8192, "", peak).problem.rule == rule


def test_the_caps_never_raise_a_hard_limit_set_before():
    """Under ulimit -v (or systemd's LimitAS=) below the cap, the child keeps the lower limit
    instead of failing every read."""
    script = (
        "import resource, sys;"
        "resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30));"
        "from gapmodel.ingest.isolated import read_table;"
        "print(read_table(b'id,a\\n1,2\\n', 'small.csv').frame.shape)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "(1, 2)", done.stderr


def test_each_file_gets_a_fresh_process_started_ahead_under_the_current_caps(monkeypatch):
    monkeypatch.setattr(isolated, "_KEEP_SPARES", True)
    read_table(b"a,b\n1,2\n", "one.csv")
    [(caps, (spare, _))] = isolated._SPARE.items()
    assert caps == (settings_get("read_memory_mb"), isolated.CPU_SECONDS)
    read_table(b"a,b\n1,2\n", "two.csv")  # read by that spare: a new one waits
    [(_, (second, _))] = isolated._SPARE.items()
    assert second.pid != spare.pid and spare.poll() is not None and second.poll() is None
    monkeypatch.setenv("GAPMODEL_READ_MEMORY_MB", "900")
    read_table(b"a,b\n1,2\n", "three.csv")  # a new process under the new cap
    assert second.poll() is not None  # started under the old cap: stopped
    assert list(isolated._SPARE) == [(900, isolated.CPU_SECONDS)]


def test_the_child_returns_what_the_reader_returns():
    data = xlsx(wave_rows(last=_formula_row(12, '<c r="B12"><f>B11+1</f></c>')), sheet="S")
    here, there = readers.read_table(data, "w.xlsx"), read_table(data, "w.xlsx")
    assert there.frame.equals(here.frame)
    assert (there.kind, there.notes, there.formulas, there.sheets, there.first_row) == (
        here.kind,
        here.notes,
        here.formulas,
        here.sheets,
        here.first_row,
    )


@functools.cache
def _wide_csv(columns: int, rows: int) -> bytes:
    head = ("respondent_id," + ",".join(f"c{k}" for k in range(columns)) + "\n").encode()
    return head + b"\n".join(b"r" + b",1" * columns for _ in range(rows))


@pytest.mark.parametrize(
    ("command", "name", "data", "env", "said"),
    [
        ("validate", "old.xls", OLE, {}, "is an old Excel .xls file"),
        ("map", "book.xlsb", _zip({"xl/workbook.bin": b"x"}), {}, "an Excel binary workbook"),
        (
            "validate",
            "w.parquet",
            _parquet(**{E: [1.0, float("inf"), 2, 3], P: [1, 2, 3, 4]}),
            {},
            "Score inf is above the declared scale 1-7",
        ),
        (
            "ingest",
            "big.csv",
            _wide_csv(400, 150_000),
            {"GAPMODEL_READ_MEMORY_MB": "600"},
            "could not be read within the memory limit of 600 MB",
        ),
        (
            "map",
            "big.csv",
            _wide_csv(400, 150_000),
            {"GAPMODEL_READ_MEMORY_MB": "600"},
            "could not be read within the memory limit of 600 MB",
        ),
    ],
    ids=["xls_validate", "xlsb_map", "inf_validate", "memory_ingest", "memory_map"],
)
def test_the_command_line_refuses_each_class_in_a_sentence(
    demo_copy, tmp_path, command, name, data, env, said
):
    path = tmp_path / name
    path.write_bytes(data() if callable(data) else data)  # the large ones made when needed
    with Store.open(demo_copy, read_only=True) as store:
        before = store.checksums()
    extra = {"ingest": ["--wave", "x"], "map": ["--out", str(tmp_path / "m.csv")]}
    done = run_cli(
        command,
        str(path),
        "--db",
        str(demo_copy),
        *extra.get(command, []),
        env={**os.environ, **env},
    )
    said_all = done.stdout + done.stderr
    assert done.returncode == 1, said_all
    assert said in said_all and "Traceback" not in said_all
    with Store.open(demo_copy, read_only=True) as store:
        assert store.checksums() == before


# -- Property: no file within the upload limit takes the reader past the cap ---------------------
CAP_MB = 1024
_cell = st.from_regex(r"[A-Z]{1,3}[1-9][0-9]{0,6}", fullmatch=True)


@st.composite
def hostile_file(draw) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["xlsx", "csv", "parquet", "bytes"]))
    if kind == "xlsx":
        stray = draw(st.lists(_cell, max_size=3))
        last = "".join(
            f'<row r="{c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{c}"><v>1</v></c></row>'
            for c in stray
        )
        dimension = draw(st.one_of(st.none(), st.builds(lambda a, b: f"{a}:{b}", _cell, _cell)))
        filler = "<row/>" * draw(st.integers(0, 200_000))  # sheet XML up to ~1.2 MB
        return xlsx(wave_rows(draw(st.integers(1, 50)), filler + last), dimension), "h.xlsx"
    if kind == "csv":
        columns = draw(st.integers(1, 100_000))
        field = draw(st.integers(0, 5_000_000))
        head = ",".join(f"c{k}" for k in range(columns)).encode()
        return head + b"\n" + b"x" * field + b"," * draw(st.integers(0, 100_000)), "h.csv"
    if kind == "parquet":
        value = draw(st.sampled_from([[1.5], {"a": 1}, b"\x00", float("nan"), float("inf")]))
        frame = pl.DataFrame({"x": [value] * draw(st.integers(1, 1000))})
        buffer = io.BytesIO()
        frame.write_parquet(buffer)
        return buffer.getvalue(), "h.parquet"
    return draw(st.binary(min_size=1, max_size=4096)), draw(st.sampled_from(["h.csv", "h.xlsx"]))


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(hostile_file())
def test_no_hostile_file_takes_the_reading_process_past_its_memory_cap(monkeypatch, upload):
    monkeypatch.setenv("GAPMODEL_READ_MEMORY_MB", str(CAP_MB))
    data, name = upload
    try:
        _, peak = read_with_peak(data, name)
        event(f"{name}: read")
    except ReadError as exc:
        peak = exc.peak_mb
        event(f"{name}: {exc.problem.rule}")
    assert peak < CAP_MB


def test_a_file_near_the_upload_limit_reads_within_the_cap(monkeypatch):
    """A 200 MB CSV (the default upload limit) of small cells: the largest a real upload is."""
    row = b"R," + b",".join(b"%d" % (k % 7 + 1) for k in range(100)) + b"\n"
    head = b"respondent_id," + b",".join(b"c%d" % k for k in range(100)) + b"\n"
    data = head + row * (200_000_000 // len(row))
    assert len(data) > 199_000_000
    table, peak = read_with_peak(data, "big.csv")
    assert table.frame.height == 200_000_000 // len(row)
    assert 2000 < peak < settings_get("read_memory_mb") / 2  # resident; address space is more
