"""Hostile uploads on the Data page: a workbook whose used range is the whole sheet, a formula
score and a Parquet column of records are refused with a sentence, nothing is written, and the
dashboard goes on serving this session and the others (the file is read in a process of its
own: the Excel reader's abort ends that process, not the server)."""

from __future__ import annotations

import io
import re
import zipfile

import polars as pl
import pytest
from app_support import run
from browser_support import VIEWPORT, running_dashboard, upload_file, wait_until_idle
from hostile_support import STRAY_CELL, E, P, text_cell, wave_rows, xlsx

from gapmodel.storage.store import Store
from ui.store import open_store


def _parquet_of_records() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame(
        {"respondent_id": ["a", "b"], E: [1, 2], P: [3, 4], "meta": [{"k": 1}, {"k": 2}]}
    ).write_parquet(buffer)
    return buffer.getvalue()


FORMULA = xlsx(
    wave_rows(
        last=f'<row r="12">{text_cell("A12", "R12")}<c r="B12"><f>B11+1</f></c>'
        '<c r="C12"><v>4</v></c></row>'
    )
)


def _numbers() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Index/Document.iwa", b"\x00")
    return buffer.getvalue()


NUMBERS = _numbers()
WIDE_CSV = b"respondent_id," + b",".join(b"c%d" % k for k in range(400)) + b"\n"


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("wave.xlsx", STRAY_CELL, "uses the range A1:XFD1048576"),
        ("wave.xlsx", FORMULA, "The cell Sheet1!B12 holds a formula (=B11+1)"),
        ("wave.parquet", _parquet_of_records(), "'meta' hold nested lists or records"),
        ("wave.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel .xls file"),
        ("wave.numbers", NUMBERS, "is an Apple Numbers document. Open it in its application"),
        ("big.csv", None, "could not be read within the memory limit of 600 MB"),
    ],
    ids=["stray_cell", "formula", "records", "xls", "numbers", "memory"],
)
def test_the_data_page_refuses_a_hostile_file_and_writes_nothing(
    demo, monkeypatch, name, data, said
):
    if data is None:  # 60 million cells under a cap of 600 MB, made when needed
        monkeypatch.setenv("GAPMODEL_READ_MEMORY_MB", "600")
        data = WIDE_CSV + b"\n".join(b"r" + b",1" * 400 for _ in range(150_000))
    store = open_store(str(demo.resolve()))
    before = store.checksums()
    at = run("ui/pages/data.py")
    at.get("file_uploader")[0].set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    shown = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]
    frames = [d.value for d in at.dataframe if "message" in d.value.columns]
    messages = shown + [m for f in frames for m in f["message"].to_list()]
    assert any(said in m for m in messages), messages
    commit = [b for b in at.button if b.key == "data_commit"]
    assert not commit or commit[0].disabled
    assert store.checksums() == before
    at.switch_page("ui/pages/overview.py").run()  # the same session goes on
    assert not at.exception and at.metric


@pytest.mark.browser
def test_a_stray_cell_workbook_leaves_the_server_serving_every_session(chromium, demo_db, tmp_path):
    db = tmp_path / "dashboard.duckdb"
    db.write_bytes(demo_db.read_bytes())
    with Store.open(db, read_only=True) as store:
        before = store.checksums()
    with running_dashboard(db) as url:
        analyst = chromium.new_context(viewport=VIEWPORT).new_page()
        upload_file(analyst, url, "wave.xlsx", STRAY_CELL)
        analyst.get_by_text("uses the range A1:XFD1048576").first.wait_for(timeout=60_000)
        assert analyst.get_by_test_id("stException").count() == 0
        manager = chromium.new_context(viewport=VIEWPORT).new_page()  # another session
        manager.goto(url)
        wait_until_idle(manager)
        manager.get_by_test_id("stMetric").filter(has_text="Overall gap").first.wait_for()
        analyst.get_by_role("link", name="Overview").click()  # and the same one
        wait_until_idle(analyst)
        analyst.get_by_test_id("stMetric").filter(has_text="Overall gap").first.wait_for()
    with Store.open(db, read_only=True) as store:
        assert store.checksums() == before
