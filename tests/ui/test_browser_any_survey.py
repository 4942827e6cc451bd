"""The real dashboard in headless Chromium on surveys of their own shape: a single touchpoint
(24 items, no elements) and four stages (a long file). Every page renders without an exception
and with its charts, the journey has one column per stage and no empty one, and the sidebar
offers the file's own attributes."""

from __future__ import annotations

import pytest
from browser_support import (
    choose,
    running_dashboard,
    wait_for_caption,
    wait_for_drawn,
    wait_until_idle,
)
from survey_support import QUESTIONNAIRES, build_survey

pytestmark = pytest.mark.browser
SURVEYS = {q.name: q for q in QUESTIONNAIRES if q.name in ("kiosk", "four")}
PAGES = ["", "journey", "details", "segments", "trends", "priorities", "data"]
TABLE_PAGES = ("details", "data")
DEFAULT_STAGES = ("Pre-purchase", "Service encounter", "Post-purchase")
ATTRIBUTES = ("Sex", "Age band", "Contacts")


@pytest.fixture(scope="module", params=list(SURVEYS))
def survey_dashboard(request, tmp_path_factory):
    q = SURVEYS[request.param]
    db = tmp_path_factory.mktemp(f"browser-{q.name}") / "dashboard.duckdb"
    build_survey(q, db)
    with running_dashboard(db) as url:
        yield q, url


def open_path(page, url: str) -> None:
    page.goto(url)
    wait_until_idle(page)
    page.get_by_test_id("stMain").get_by_role("heading").first.wait_for()
    wait_until_idle(page)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(page, survey_dashboard, path):
    q, url = survey_dashboard
    open_path(page, f"{url}/{path}")
    main = page.get_by_test_id("stMain")
    assert page.get_by_test_id("stException").count() == 0
    assert main.get_by_test_id("stAlertContentError").count() == 0
    if path == "data":  # the stored waves, one tab away from the upload
        main.get_by_test_id("stFileUploaderDropzone").first.wait_for()
        main.get_by_role("tab", name="Stored waves").click()
        wait_until_idle(page)
    # Every page shows its chart (the tables of the details and the data) at a readable width.
    wait_for_drawn(page, "[data-testid=stDataFrame]" if path in TABLE_PAGES else ".vega-embed", 200)
    text = main.inner_text()
    for stage in DEFAULT_STAGES:
        if stage not in q.stages:
            assert stage not in text, (path, stage)


def test_the_journey_draws_each_stage_across_the_page(page, survey_dashboard):
    """One stage at a time, its chart across the page; every stage can be chosen."""
    q, url = survey_dashboard
    open_path(page, f"{url}/journey")
    panel = page.get_by_role("tabpanel").first
    # One chart, drawn and across the page: waited for, since under load the rerun after a
    # click may still be replacing the previous stage's chart when the app reads idle.
    drawn = """() => {
        const charts = document.querySelectorAll('[role=tabpanel] .vega-embed');
        const drawn = document.querySelectorAll(
            '[role=tabpanel] .vega-embed svg, [role=tabpanel] .vega-embed canvas');
        return charts.length === 1 && drawn.length === 1
            && charts[0].getBoundingClientRect().width > 500;
    }"""
    for stage in q.stages:
        if len(q.stages) > 1:
            panel.get_by_test_id("stButtonGroup").get_by_text(stage, exact=True).click()
            wait_until_idle(page)
        page.wait_for_function(drawn, timeout=60_000)
    tabs = [t.inner_text() for t in page.get_by_role("tab").all()]
    assert ("Human vs technical" in tabs) == q.elements


def test_the_sidebar_offers_the_survey_attributes(page, survey_dashboard):
    q, url = survey_dashboard
    open_path(page, url)
    sidebar = page.get_by_test_id("stSidebar")
    for name in ATTRIBUTES:
        box = sidebar.get_by_test_id("stSelectbox").filter(has_text=name)
        box.wait_for()
        assert box.count() == 1, name
    stage_buttons = sidebar.get_by_role("button", name=q.stages[0], exact=True)
    assert stage_buttons.count() == (0 if len(q.stages) == 1 else 1)
    box = sidebar.get_by_test_id("stSelectbox").filter(has_text="Contacts")
    box.evaluate("box => box.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("option", name="3", exact=True).wait_for()
    options = [o.inner_text() for o in page.get_by_role("option").all()]
    assert options[1:4] == ["1", "2", "3"]  # numeric order, not 1, 10, 11
    page.keyboard.press("Escape")
    choose(page, "Contacts", "3")
    page.wait_for_url("**Contacts=3*")
    wait_for_caption(page, "Contacts 3")  # the page now shows the filtered respondents
    assert page.get_by_test_id("stException").count() == 0
