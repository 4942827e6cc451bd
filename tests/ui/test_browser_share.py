"""A shared link is the view: press Share, upload a newer wave, open the link in a fresh browser:
the page shows the same text and numbers."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_support import (
    VIEWPORT,
    choose,
    commit_wave,
    dashboard_on_copy,
    settle,
    upload_file,
    wait_for_caption,
    wait_until_idle,
)

from gapmodel.tools.demo import generate_wave, wave_csv

pytestmark = pytest.mark.browser

# The demo notice is the one thing a later upload rightly changes: the store then holds a wave
# that is not demo data, and the caption says so.
_DEMO_BADGE = re.compile(r"(Demo data|Includes demo waves)")


@pytest.fixture(scope="module")
def dashboard(demo_db, tmp_path_factory):
    with dashboard_on_copy(demo_db, tmp_path_factory.mktemp("share")) as url:
        yield url


def main_text(page) -> str:
    """What the page says: the main area's text, with the demo notice left out."""
    text = page.get_by_test_id("stMain").inner_text()
    return _DEMO_BADGE.sub("", text)


def share_link(page) -> str:
    page.get_by_test_id("stPopover").filter(has_text="Share").click()
    code = page.get_by_test_id("stCode").filter(has_text="http")
    code.wait_for()
    link = code.inner_text().strip()
    page.keyboard.press("Escape")
    return link


def upload_wave(page, url: str, label: str) -> None:
    upload_file(page, url, "later-wave.csv", wave_csv(generate_wave(150, 7, seed=321)))
    commit_wave(page, label)
    page.get_by_text(f"Committed wave {label}").wait_for()


def test_a_shared_link_shows_the_same_view_after_another_upload(chromium, dashboard):
    """Filters (a segment, two stages), the page's own choice (compare by channel) and the
    default wave ("Latest wave") go into the link by their labels; after a newer wave is
    committed, the link opened in a new browser shows the same text and numbers, while the
    page without the link has moved on to the new wave."""
    first = chromium.new_context(viewport=VIEWPORT)
    page = first.new_page()
    page.goto(f"{dashboard}/segments")
    settle(page)
    choose(page, "Segment", "Enterprise")
    wait_for_caption(page, "Segment Enterprise")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Service encounter", exact=True).click()
    wait_until_idle(page)
    page.get_by_test_id("stMain").get_by_test_id("stButtonGroup").get_by_text(
        "Channel", exact=True
    ).click()
    settle(page)
    before = main_text(page)
    link = share_link(page)
    params = parse_qs(urlsplit(link).query)
    assert urlsplit(link).path.endswith("/segments")
    assert params["wave"] == ["2026-Q3"] and params["compare"] == ["2026-Q2"]
    assert params["segment"] == ["Enterprise"]
    assert [v.casefold() for v in params["segments_attribute"]] == ["channel"]
    assert params["stage"] == ["Service encounter"]
    assert "Channel" in before and "Service encounter" in before

    upload_wave(page, dashboard, "2026-Q4")
    page.goto(f"{dashboard}/segments")  # without the link: the latest wave is the new one
    settle(page)
    wait_for_caption(page, "Wave 2026-Q4")
    first.close()

    fresh = chromium.new_context(viewport=VIEWPORT)
    other = fresh.new_page()
    other.goto(link)
    settle(other)
    wait_for_caption(other, "Wave 2026-Q3 vs 2026-Q2")
    after = main_text(other)
    fresh.close()
    assert after == before
