"""Limits on uploads: size (browser and server side), rows, columns, xlsx decompression and
long text. Each is refused before it can cost much, with a message that says what to change."""

from __future__ import annotations

import io
import struct
import tomllib
import zipfile

import polars as pl
import pytest

from gapmodel.cli import main
from gapmodel.core import settings
from gapmodel.core.instrument import default_instrument
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.ingest import readers
from gapmodel.ingest.attributes import MAX_ATTRIBUTES
from gapmodel.ingest.cells import MAX_TEXT
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.ingest.readers import MAX_COLUMNS, ReadError, read_table
from gapmodel.ingest.validation_report import shorten
from gapmodel.tools.demo import generate_wave, wave_csv

INSTRUMENT = default_instrument()
CONFIG = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
HEADER = "respondent_id,segment,encounter.courtesy.E,encounter.courtesy.P"


def rules(data: bytes, name: str = "upload.csv") -> dict[str, int]:
    wave, report = prepare_wave(data, name, INSTRUMENT, "1-7")
    assert wave is None, "expected a refusal"
    return report.rule_counts()


def problem(data: bytes, rule: str, name: str = "upload.csv"):
    _, report = prepare_wave(data, name, INSTRUMENT, "1-7")
    return next(p for p in report.problems if p.rule == rule)


def small_wave(rows: int = 3) -> str:
    return HEADER + "\n" + "".join(f"R{i},Consumer,5,6\n" for i in range(rows))


# -- upload size -------------------------------------------------------------------------------
def test_the_browser_limit_matches_the_server_limit():
    """Streamlit refuses larger files in the browser; the library checks the same number."""
    default = next(s for s in settings.SETTINGS if s.name == "max_upload_mb").default
    assert CONFIG["server"]["maxUploadSize"] == default == 200


def test_an_upload_over_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    monkeypatch.setenv("GAPMODEL_MAX_UPLOAD_MB", "1")
    garbage = b"\x00\xff" * (600 * 1024)  # 1.2 MB that would fail parsing, if it were parsed
    found = rules(garbage)
    assert found == {"file_too_large": 1}
    message = problem(garbage, "file_too_large").message
    assert "1 MB" in message and "GAPMODEL_MAX_UPLOAD_MB" in message
    valid = small_wave().encode()
    wave, _ = prepare_wave(valid, "small.csv", INSTRUMENT, "1-7")
    assert wave is not None  # a small file passes the same limit


def test_the_cli_refuses_a_large_file_without_reading_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GAPMODEL_MAX_UPLOAD_MB", "1")
    big = tmp_path / "big.csv"
    big.write_bytes(small_wave().encode() + b" " * (1024 * 1024))
    code = main(["ingest", str(big), "--wave", "w", "--db", str(tmp_path / "db.duckdb")])
    assert code == 1
    err = capsys.readouterr().err
    assert "the limit is 1 MB (GAPMODEL_MAX_UPLOAD_MB)" in err
    assert not (tmp_path / "db.duckdb").exists()


# -- rows and columns --------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["wide", "long"])
def test_rows_over_the_limit_are_refused_with_the_setting_named(monkeypatch, layout):
    monkeypatch.setenv("GAPMODEL_MAX_ROWS", "5")
    if layout == "wide":
        data = small_wave(6).encode()
    else:
        lines = [f"R{i},encounter,courtesy,5,6" for i in range(6)]
        data = ("respondent_id,stage,item,expectation,perception\n" + "\n".join(lines)).encode()
    message = problem(data, "too_many_rows").message
    assert message == "The file has 6 rows; the limit is 5 (GAPMODEL_MAX_ROWS). Split the wave."
    monkeypatch.setenv("GAPMODEL_MAX_ROWS", "6")
    wave, report = prepare_wave(data, "ok.csv", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()


def test_more_columns_than_the_limit_are_refused():
    names = [f"c{i}" for i in range(MAX_COLUMNS + 1 - 4)]
    data = (HEADER + "," + ",".join(names) + "\nR1,Consumer,5,6" + ",x" * len(names)).encode()
    message = problem(data, "too_many_columns").message
    assert f"{MAX_COLUMNS + 1:,} columns; at most {MAX_COLUMNS:,}" in message


def test_more_attributes_than_kept_are_refused():
    names = [f"attr{i}" for i in range(MAX_ATTRIBUTES)]  # and segment: one too many
    data = (HEADER + "," + ",".join(names) + "\nR1,Consumer,5,6" + ",x" * len(names)).encode()
    message = problem(data, "too_many_columns").message
    assert f"at most {MAX_ATTRIBUTES} respondent attributes" in message
    ok = HEADER + "," + ",".join(names[:-1]) + "\nR1,Consumer,5,6" + ",x" * (len(names) - 1)
    wave, report = prepare_wave(ok.encode(), "ok.csv", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()


# -- xlsx decompression ------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_opened():
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": bytes(60 << 20)})
    assert len(bomb) < 200_000  # 60 MB of zeros packs into a tiny file
    message = problem(bomb, "xlsx_too_large", "bomb.xlsx").message
    assert "would expand" in message and "Export the wave as CSV or Parquet" in message


def test_a_workbook_over_the_uncompressed_limit_is_refused(monkeypatch):
    buffer = io.BytesIO()
    generate_wave(50, 0).write_excel(buffer, autofit=False)
    monkeypatch.setattr(readers, "XLSX_MAX_UNCOMPRESSED", 100_000)  # in this process only
    with pytest.raises(readers.ReadError) as refused:
        readers.read_table(buffer.getvalue(), "big.xlsx")
    assert refused.value.problem.rule == "xlsx_too_large"
    message = refused.value.problem.message
    assert "would expand to" in message and "the limit is" in message
    monkeypatch.undo()
    wave, report = prepare_wave(buffer.getvalue(), "big.xlsx", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()


def test_a_workbook_that_lies_about_its_sizes_is_refused():
    """Sizes in the zip directory are what the bomb check reads; a member that claims 1,000
    bytes but inflates to 2 MB fails the size and checksum check, read in bounded chunks."""
    data = bytearray(
        _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": bytes(2 << 20)})
    )
    name = b"xl/worksheets/sheet1.xml"
    for signature, header, name_length_at, size_at in (
        (b"PK\x03\x04", 30, 26, 22),
        (b"PK\x01\x02", 46, 28, 24),
    ):
        pos = data.find(signature)
        while pos >= 0:
            (length,) = struct.unpack_from("<H", data, pos + name_length_at)
            if bytes(data[pos + header : pos + header + length]) == name:
                struct.pack_into("<I", data, pos + size_at, 1000)
            pos = data.find(signature, pos + 4)
    with pytest.raises(ReadError) as info:
        read_table(bytes(data), "liar.xlsx")
    assert info.value.problem.rule == "damaged_file"


# -- long text ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "row"),
    [
        ("respondent_id", "{long},Consumer,5,6"),
        ("segment", "R1,{long},5,6"),
    ],
)
def test_long_text_is_refused_and_shown_shortened(column, row):
    long = "L" * 10_000
    data = (HEADER + "\n" + row.format(long=long) + "\nR2,Consumer,4,4\n").encode()
    found = problem(data, "too_long")
    assert found.column == column and found.row == 2
    assert f" {MAX_TEXT} " in found.message and "characters" in found.message
    assert len(found.value) <= 80 and found.value == shorten(long)


def test_long_extra_attribute_is_refused():
    data = (HEADER + ",note\nR1,Consumer,5,6," + "n" * (MAX_TEXT + 1) + "\n").encode()
    assert problem(data, "too_long").column == "note"
    ok = (HEADER + ",note\nR1,Consumer,5,6," + "n" * MAX_TEXT + "\n").encode()
    wave, report = prepare_wave(ok, "ok.csv", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()


def test_a_long_column_name_is_refused():
    """Extra attributes are stored by name on every respondent: a 100,000-character header on a
    0.1 MB file used to become 200 MB of stored text."""
    name = "n" * 100_000
    rows = "".join(f"R{i},Consumer,5,6,x\n" for i in range(2000))
    data = f"{HEADER},{name}\n{rows}".encode()
    found = problem(data, "too_long")
    assert found.message.startswith("A column name has 100,000 characters")
    assert len(found.column) <= 80


def test_a_cell_beyond_the_csv_reader_limit_is_reported_as_too_long():
    data = (HEADER + "\nR1,Consumer,5,6\nR2," + "s" * 200_000 + ",5,6\n").encode()
    assert "too_long" in rules(data)


def test_labels_and_user_names_are_bounded(store):
    wave, _ = prepare_wave(wave_csv(generate_wave(10, 0)), "w.csv", INSTRUMENT, "1-7")
    with pytest.raises(ValueError, match="1 to 80 characters. Got 81"):
        store.ingest_wave(wave, "x" * 81)
    with pytest.raises(ValueError, match="1 to 200 characters"):
        store.ingest_wave(wave, "ok", user="u" * 201)
    store.ingest_wave(wave, "x" * 80, user="u" * 200)
    assert store.waves()["label"].to_list() == ["x" * 80]
    assert store.table_counts()["waves"] == 1
    frame = store.responses(["x" * 80])
    assert isinstance(frame, pl.DataFrame) and frame.height > 0
