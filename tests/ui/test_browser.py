"""The real dashboard (``streamlit run dashboard.py``) driven in headless Chromium.

Render times on a large database are measured and printed here (not asserted: machines are
shared and noisy).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_support import (
    VIEWPORT,
    choose,
    commit_wave,
    dashboard_on_copy,
    running_dashboard,
    upload_file,
    wait_for_caption,
    wait_until_idle,
)

from gapmodel.tools.demo import build_demo, generate_wave, wave_csv

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dashboard(demo_db, tmp_path_factory):
    """The dashboard serving a private copy of the demo database."""
    with dashboard_on_copy(demo_db, tmp_path_factory.mktemp("browser")) as url:
        yield url


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_until_idle(page)
    page.locator(".vega-embed").first.wait_for()


def gap_metric(page):
    metric = page.get_by_test_id("stMetric").filter(has_text="Overall gap")
    return metric.get_by_test_id("stMetricValue")


def overall_gap(page) -> str:
    return gap_metric(page).inner_text()


_GAP_SHOWN = """before => {
    const metric = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(m => m.innerText.includes("Overall gap"));
    const value = metric && metric.querySelector('[data-testid="stMetricValue"]');
    return value && value.innerText !== before;
}"""


def changes_from(page, before: str) -> str:
    """Wait until the headline gap shows another value than ``before`` (checked on every
    animation frame, so that the wait itself adds no delay) and the run is over; return it."""
    page.wait_for_function(_GAP_SHOWN, arg=before, polling="raf", timeout=60_000)
    wait_until_idle(page)
    return overall_gap(page)


def test_overview_renders_its_charts(page, dashboard):
    open_page(page, dashboard)
    assert page.get_by_role("heading", name="Where service falls short").is_visible()
    chart = page.locator(".vega-embed").first
    assert chart.locator("canvas, svg").count() >= 1
    assert chart.bounding_box()["width"] > 300
    assert overall_gap(page).startswith("-")
    assert page.get_by_text("kept informed about what happens and when” is").is_visible()
    assert page.get_by_test_id("stException").count() == 0


def test_a_filter_lands_in_the_url_and_a_reload_restores_it(page, dashboard):
    open_page(page, dashboard)
    everyone = overall_gap(page)
    choose(page, "Segment", "Small business")
    page.wait_for_url("**segment=Small*")
    filtered = changes_from(page, everyone)
    url = page.url
    assert "segment=Small+business" in url or "segment=Small%20business" in url
    page.reload()
    wait_until_idle(page)
    page.locator(".vega-embed").first.wait_for()
    main = page.get_by_test_id("stMain")
    assert "Segment Small business" in main.get_by_test_id("stCaptionContainer").first.inner_text()
    assert overall_gap(page) == filtered
    # The filters follow the user to another page, still in the URL.
    page.get_by_test_id("stSidebarNav").get_by_text("Journey").click()
    wait_until_idle(page)
    assert "segment=Small" in page.url
    caption = page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").first
    assert "Segment Small business" in caption.inner_text()


def test_an_upload_through_the_file_input_commits_a_wave(page, dashboard):
    upload_file(page, dashboard, "browser-wave.csv", wave_csv(generate_wave(120, 7, seed=123)))
    commit_wave(page, "2026-Q4")
    page.get_by_text("Committed wave 2026-Q4: 120 respondents").wait_for()
    page.get_by_role("tab", name="Stored waves").click()
    assert page.get_by_test_id("stDataFrame").first.is_visible()


def test_a_download_arrives(page, dashboard, tmp_path):
    page.goto(f"{dashboard}/data")
    wait_until_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Template (CSV)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    header = saved.read_text().splitlines()[0]
    assert header.startswith("respondent_id,segment,channel,region,")
    assert "post_purchase.kept_informed.E" in header


def test_clicking_a_journey_map_cell_opens_that_stage(page, dashboard):
    open_page(page, dashboard)
    chart = page.locator(".vega-embed").first
    box = chart.bounding_box()
    # The last column of cells is the post-purchase stage; its middle row is responsiveness.
    page.mouse.click(box["x"] + box["width"] * 0.68, box["y"] + box["height"] * 0.55)
    page.get_by_role("heading", name="The customer journey").wait_for(timeout=60_000)
    wait_until_idle(page)
    assert "stage=Post-purchase" in page.url
    caption = page.get_by_test_id("stMain").get_by_test_id("stCaptionContainer").first
    assert "Post-purchase" in caption.inner_text()


def test_the_report_and_the_page_workbook_download(page, dashboard, tmp_path):
    open_page(page, dashboard)
    page.get_by_role("button", name="Report").click()
    page.get_by_role("button", name="Prepare the report").click()
    button = page.get_by_role("button", name="Download the report (PDF)")
    button.wait_for(timeout=120_000)
    with page.expect_download() as report:
        button.click()
    name = report.value.suggested_filename  # the latest wave: another test may have added one
    assert name.startswith("gapmodel-report-2026-Q") and name.endswith(".pdf")
    assert Path(report.value.path()).read_bytes()[:5] == b"%PDF-"
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as workbook:
        page.get_by_role("button", name="Tables (Excel)").click()
    saved = tmp_path / workbook.value.suggested_filename
    workbook.value.save_as(saved)
    from openpyxl import load_workbook

    sheets = load_workbook(saved, read_only=True).sheetnames
    assert "Journey map" in sheets and "Method" in sheets


@pytest.mark.slow
def test_render_times_on_a_large_database(chromium, tmp_path_factory, capsys):
    """Times from the browser on 2 waves x 100,000 respondents, printed for the record:

    - the first complete Overview after the server starts (modules imported and the survey
      loaded from disk on the way);
    - a first Overview in a new browser session once the server has the data: from a browser
      that has never seen the dashboard (its scripts downloaded too) and in a new tab of one
      that has;
    - filter changes (a segment, a channel and a region nobody has chosen before, so nothing
      is cached), each from the click on the option to the finished page, then a stage.
    """
    db = tmp_path_factory.mktemp("large") / "large.duckdb"
    build_demo(db, n_respondents=100_000, n_waves=2)
    timings = {}

    def first_render(page) -> float:
        start = time.perf_counter()
        open_page(page, url)
        return time.perf_counter() - start

    with running_dashboard(db) as url:
        context = chromium.new_context(viewport=VIEWPORT)
        timings["first render, cold server"] = first_render(context.new_page())
        fresh = chromium.new_context(viewport=VIEWPORT)
        timings["first render, new browser"] = first_render(fresh.new_page())
        fresh.close()
        page = context.new_page()
        timings["first render, new tab"] = first_render(page)
        for label, option in [("Segment", "Enterprise"), ("Channel", "Web"), ("Region", "North")]:
            start = choose(page, label, option)
            wait_for_caption(page, f"{label} {option}")
            wait_until_idle(page)
            page.locator(".vega-embed").first.wait_for()
            timings[f"filter change ({label.lower()})"] = time.perf_counter() - start
        # A stage set chosen for the first time is prepared for the whole survey on the way.
        pill = page.get_by_test_id("stSidebar").get_by_role("button", name="Service encounter")
        pill.evaluate("pill => pill.scrollIntoView({block: 'center'})")
        start = time.perf_counter()
        pill.click()
        wait_for_caption(page, "Service encounter")
        wait_until_idle(page)
        page.locator(".vega-embed").first.wait_for()
        timings["stage change (a new stage set)"] = time.perf_counter() - start
        context.close()
    report = "; ".join(f"{k}: {v:.2f} s" for k, v in timings.items())
    Path(db).with_suffix(".timings.txt").write_text(report)
    with capsys.disabled():
        print(f"\n[render times, 2 x 100,000 respondents] {report}")
