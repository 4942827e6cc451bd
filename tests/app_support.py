"""Running the dashboard script in Streamlit's AppTest: its pages, and one run of a page."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from gapmodel.core.settings import PROJECT_ROOT

APP = str(PROJECT_ROOT / "dashboard.py")
PAGES = [
    "ui/pages/overview.py",
    "ui/pages/journey.py",
    "ui/pages/details.py",
    "ui/pages/segments.py",
    "ui/pages/trends.py",
    "ui/pages/priorities.py",
    "ui/pages/glossary.py",
    "ui/pages/data.py",
]


def run(page: str | None = None, **query) -> AppTest:
    """The dashboard run once with ``query`` as its URL parameters, then ``page`` opened."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    return at
