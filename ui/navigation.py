"""The page list (built from the user's role), drill-down jumps, and the filters pages read."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gapmodel.views import Filters
from ui.auth import User

PAGE_DIR = Path(__file__).resolve().parent / "pages"
# name -> (file, title, icon); the analysis pages, in menu order.
ANALYSIS_PAGES = {
    "overview": ("overview.py", "Overview", ":material/dashboard:"),
    "journey": ("journey.py", "Journey", ":material/route:"),
    "details": ("details.py", "Dimensions & items", ":material/table_chart:"),
    "segments": ("segments.py", "Segments", ":material/groups:"),
    "trends": ("trends.py", "Trends", ":material/trending_up:"),
    "priorities": ("priorities.py", "Priorities", ":material/flag:"),
    "glossary": ("glossary.py", "Glossary", ":material/menu_book:"),
}
DATA_PAGE = ("data.py", "Data", ":material/upload_file:")
_FILTERS, _GOTO = "_filters", "_goto"


def pages_for(user: User) -> dict[str, st.Page]:
    """The pages this user may open: analysts also get the Data page."""
    listed = dict(ANALYSIS_PAGES)
    if user.is_analyst:
        listed["data"] = DATA_PAGE
    return {
        name: st.Page(str(PAGE_DIR / file), title=title, icon=icon, default=name == "overview")
        for name, (file, title, icon) in listed.items()
    }


def go_to(name: str) -> None:
    """Ask for a jump to another page (safe inside widget callbacks)."""
    st.session_state[_GOTO] = name


def follow(pages: dict[str, st.Page]) -> None:
    """Carry out a jump asked for by :func:`go_to`, if any."""
    name = st.session_state.pop(_GOTO, None)
    if name in pages:
        st.switch_page(pages[name], query_params={})


def share_filters(filters: Filters | None) -> None:
    """Hand this run's filters to the page (None: no data yet)."""
    st.session_state[_FILTERS] = filters


def current_filters() -> Filters | None:
    """The filters of this run, quietly (None before the first wave)."""
    return st.session_state.get(_FILTERS)


def page_filters() -> Filters | None:
    """The filters of this run; None, with guidance on screen, when there is no data yet."""
    filters = st.session_state.get(_FILTERS)
    if filters is None:
        st.title("No survey data yet")
        st.warning(
            "No waves yet. An analyst can upload one on the Data page, or with "
            "`python -m gapmodel ingest FILE --wave LABEL`."
        )
    return filters
