"""A layout and contrast audit of every page of the real dashboard in headless Chromium.

Every page, with each of its tabs open (and its expanders), at 1280x720 and 1440x900: no text
cut short or drawn past a chart's edge, no chart squeezed to nothing by its labels, no chart
text over other chart text, and every text at the WCAG 2.2 AA contrast ratio. What is checked, and how, is in tests/audit_support.py; for the
full report without pytest, run ``.venv/bin/python tests/audit_support.py``.
"""

from __future__ import annotations

import pytest
from audit_support import PAGES, SIZES, audit_dashboard, count, report
from browser_support import dashboard_on_copy

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def dashboard(demo_db, tmp_path_factory):
    """The dashboard serving a private copy of the demo database."""
    with dashboard_on_copy(demo_db, tmp_path_factory.mktemp("audit")) as url:
        yield url


def test_every_page_is_legible_at_laptop_sizes(chromium, dashboard):
    found = audit_dashboard(dashboard, chromium)
    seen = {(page, size) for page, size, _ in found}
    assert seen == {(page, f"{w}x{h}") for page in PAGES for w, h in SIZES}
    offenders = count(found)
    assert offenders == 0, (
        f"{offenders} offenders (page at size: kind, selector, text):\n{report(found)}"
    )
