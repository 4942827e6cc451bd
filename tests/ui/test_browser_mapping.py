"""A Qualtrics export through the Data page in Chromium, as an analyst does it: upload, fix one
proposed row in the mapping table, commit, see the wave on the Overview; then the next wave of
the same survey, committed with the saved mapping in one step."""

from __future__ import annotations

import exports_support as ex
import pytest
from browser_support import choose, running_dashboard, upload_file, wait_until_idle

from gapmodel.storage.store import Store

pytestmark = pytest.mark.browser
ROW_HEIGHT = 35  # the data editor's rows and header, in pixels


def _set_role(page, row: int, role: str) -> None:
    """Give the mapping table's row ``row`` (from 0) another role, with the keyboard: click the
    first row's role cell, go down, open the cell's choice, type, confirm."""
    table = page.locator("[data-testid=stDataFrame]:visible").first
    table.scroll_into_view_if_needed()
    box = _steady_box(page, table)
    page.mouse.click(box["x"] + 150 + 45, box["y"] + ROW_HEIGHT * 1.5)  # after the pinned column
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.type(role)
    page.keyboard.press("Enter")
    wait_until_idle(page)


def _steady_box(page, element) -> dict:
    """The element's box once the page has stopped moving it (a busy machine lays the page
    out late: a click aimed at a row of a box still growing lands on another row)."""
    box = element.bounding_box()
    for _ in range(40):
        page.wait_for_timeout(250)
        again = element.bounding_box()
        if again == box:
            return box
        box = again
    return box


def _commit(page, text: str) -> None:
    page.get_by_role("button", name="Commit wave").click()
    wait_until_idle(page)
    page.get_by_text(text).first.wait_for(timeout=60_000)


def test_a_qualtrics_export_is_mapped_fixed_committed_and_its_next_wave_goes_in_one_step(
    chromium, demo_db, tmp_path
):
    db = tmp_path / "dashboard.duckdb"
    db.write_bytes(demo_db.read_bytes())
    first, second = ex.qualtrics(n=120), ex.qualtrics(n=120, wave=2)
    page = chromium.new_context(viewport={"width": 1440, "height": 900}).new_page()
    with running_dashboard(db) as url:
        upload_file(page, url, first.filename, first.data)
        page.get_by_text("What each column holds").wait_for()
        metrics = page.get_by_test_id("stMetric")
        assert "120" in metrics.filter(has_text="Respondents").inner_text()
        row = [c for c in first.data.decode("utf-8-sig").split("\n")[0].split(",")].index(
            "UserLanguage"
        )
        page.get_by_text("2 attribute(s)").first.wait_for()
        # the verdict above the mapping table is drawn first, so the table no longer moves
        page.get_by_text("The file is valid").first.wait_for()
        _set_role(page, row, "attribute")  # the analyst keeps the survey language
        page.get_by_text("3 attribute(s)").first.wait_for()
        page.get_by_text("The file is valid").first.wait_for()
        _commit(page, "Committed wave qualtrics-wave1: 120 respondents")
        page.get_by_text("The mapping is saved as Qualtrics mapping").first.wait_for()

        page.get_by_role("link", name="Overview").click()
        wait_until_idle(page)
        choose(page, "Wave", "qualtrics-wave1")
        page.get_by_test_id("stMetric").filter(has_text="Overall gap").first.wait_for()
        assert "Wave qualtrics-wave1 vs" in page.get_by_test_id("stMain").inner_text()

        upload_file(page, url, second.filename, second.data)
        page.get_by_text("the saved mapping Qualtrics mapping").first.wait_for()
        _commit(page, "Committed wave qualtrics-wave2: 120 respondents")
    with Store.open(db, read_only=True) as store:
        assert store.wave_labels()[-2:] == ["qualtrics-wave1", "qualtrics-wave2"]
        people = store.respondents(["qualtrics-wave1", "qualtrics-wave2"])
        assert set(people["UserLanguage"].drop_nulls()) == {"EN"}  # the fixed row
        for column in first.personal:
            assert column not in people.columns
        assert store.mappings()["name"].to_list() == ["Qualtrics mapping"]


def test_a_file_whose_encoding_cannot_be_told_is_read_once_the_analyst_names_it(
    chromium, demo_db, tmp_path
):
    db = tmp_path / "dashboard.duckdb"
    db.write_bytes(demo_db.read_bytes())
    text = "respondent_id,City,pre_purchase.courtesy.E,pre_purchase.courtesy.P\n"
    text += "R1,서울,5,6\n" + "".join(f"R{k},x,5,6\n" for k in range(2, 8))
    raw = text.encode("cp949")  # one Korean word: Big5 and CP949 read it, differently
    export = ex.Export(raw, "kiosk-export.csv", None, None, (), None)
    page = chromium.new_context(viewport={"width": 1280, "height": 720}).new_page()
    with running_dashboard(db) as url:
        upload_file(page, url, export.filename, export.data)
        page.get_by_text("its encoding cannot be told for sure").wait_for()
        box = page.get_by_test_id("stSelectbox").filter(has_text="Encoding of the file")
        box.click()
        page.keyboard.type("cp949")
        page.get_by_role("option", name="cp949", exact=True).click()
        wait_until_idle(page)
        page.get_by_text("The file is valid").first.wait_for()
        _commit(page, "Committed wave kiosk-export: 7 respondents")
    with Store.open(db, read_only=True) as store:
        assert store.attribute_values("City") == ["x", "서울"]
