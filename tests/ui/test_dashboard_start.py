"""The dashboard starts on the embedded default: demo data on first start, guidance when empty."""

from __future__ import annotations

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, running_dashboard, wait_until_idle
from cli_support import run_cli
from streamlit.testing.v1 import AppTest

from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.storage.store import Store
from ui.store import open_store

APP = str(PROJECT_ROOT / "dashboard.py")


def test_first_start_builds_the_demo_database_and_says_so(tmp_path, monkeypatch):
    db = tmp_path / "first.duckdb"
    monkeypatch.setenv("GAPMODEL_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert db.exists()
    notice = at.sidebar.info[0].value
    assert "demo data" in notice and "Data page" in notice
    assert "python -m gapmodel ingest" in notice
    assert len(open_store(str(db.resolve())).wave_labels()) == 3  # the dashboard's own store


def test_empty_database_tells_what_to_do_next(tmp_path, monkeypatch):
    db = tmp_path / "empty.duckdb"
    Store.open(db).close()
    monkeypatch.setenv("GAPMODEL_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert not at.sidebar.info  # no demo notice
    assert at.warning[0].value.startswith("No waves yet.")


@pytest.mark.browser
def test_dashboard_serves_demo_data_on_localhost(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "browser.duckdb"
    with running_dashboard(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url)
        wait_until_idle(page)
        page.get_by_text("This is demo data").wait_for()
        assert page.get_by_text("Where service falls short").is_visible()
        browser.close()
        # While the dashboard holds the file, the CLI says so in one line.
        cli = run_cli("waves", "--db", str(db), timeout=120)
        assert cli.returncode == 1
        assert "is held by the dashboard (streamlit)" in cli.stderr
        assert "Traceback" not in cli.stderr
