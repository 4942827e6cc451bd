"""Cached access to the survey and to each page's view, keyed on small values.

The survey (every wave as matrices) is one shared, read-only resource per data version; page
views are cached per (data version, page, filters). The data version grows with every ingest,
replace or delete, so nothing stale is ever shown. It is read once per script run
(:func:`begin_run`), not once per cached call.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from gapmodel import views
from gapmodel.core.instrument import Instrument
from ui.store import demo_waves, store

CACHE = {"max_entries": 64, "ttl": 3600, "show_spinner": False}
_VERSION = "_data_version"
# page name -> the view function of gapmodel.views that computes it
_VIEWS: dict[str, Callable] = {
    "overview": views.overview,
    "journey": views.journey,
    "details": views.details,
    "segments": views.segments,
    "trends": views.trends,
    "priorities": views.priorities,
    "count": views.respondent_count,
}


def begin_run() -> None:
    """Read the store's data version for this script run (every write is followed by a rerun)."""
    st.session_state[_VERSION] = store().data_version


def data_version() -> int:
    """The store's data version as of this run (:func:`begin_run`)."""
    return st.session_state[_VERSION]


def _key() -> tuple[str, int]:
    return str(store().path), data_version()


@st.cache_resource(max_entries=2, show_spinner="Loading the survey waves…")
def _survey(path: str, version: int) -> views.Survey:
    return views.load_survey(store())


@st.cache_data(**CACHE)
def _view(path: str, version: int, page: str, filters: views.Filters, *extra: str):
    return _VIEWS[page](_survey(path, version), filters, *extra)


@st.cache_data(**CACHE)
def _demo(path: str, version: int) -> tuple[list[str], int]:
    waves = store().waves()
    return demo_waves(waves), waves.height


def survey() -> views.Survey:
    """Every stored wave, ready for the model (shared by all sessions)."""
    return _survey(*_key())


def questionnaire() -> Instrument | None:
    """The newest stored wave's questionnaire (None before the first wave)."""
    return _questionnaire(*_key())


@st.cache_resource(max_entries=2, show_spinner=False)
def _questionnaire(path: str, version: int) -> Instrument | None:
    return store().instrument()


def demo_data() -> str | None:
    """``all`` when every stored wave is a generated demo wave, ``some`` when some are, else
    None: real data compared with demo waves must still say so."""
    demo, total = _demo(*_key())
    if not demo:
        return None
    return "all" if len(demo) == total else "some"


def demo_wave_labels() -> list[str]:
    """The labels of the stored demo waves."""
    return _demo(*_key())[0]


def overview(filters: views.Filters) -> views.Overview:
    """The Overview page's tables."""
    return _view(*_key(), "overview", filters)


def journey(filters: views.Filters) -> views.Journey:
    """The Journey page's tables."""
    return _view(*_key(), "journey", filters)


def details(filters: views.Filters, grouping: str) -> views.Details:
    """The Dimensions & items page's tables."""
    return _view(*_key(), "details", filters, grouping)


def segments(filters: views.Filters, attribute: str) -> views.Segments:
    """The Segments page's tables."""
    return _view(*_key(), "segments", filters, attribute)


def trends(filters: views.Filters) -> views.Trends:
    """The Trends page's tables."""
    return _view(*_key(), "trends", filters)


def priorities(filters: views.Filters) -> views.Priorities:
    """The Priorities page's tables."""
    return _view(*_key(), "priorities", filters)


def respondent_count(filters: views.Filters) -> int:
    """Respondents selected by ``filters`` in the chosen wave."""
    return _view(*_key(), "count", filters)
