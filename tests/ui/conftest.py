"""Fixtures of the page tests: a private demo database for the dashboard; for the browser
tests one headless Chromium per module and a fresh page per test."""

from __future__ import annotations

import shutil

import pytest
from browser_support import CHROMIUM, CHROMIUM_ARGS, VIEWPORT


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def demo(demo_db, tmp_path, monkeypatch):
    """A private copy of the demo database, configured as the dashboard's database."""
    path = tmp_path / "dashboard.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    return path
