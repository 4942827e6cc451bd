"""Cached access to the survey and to each page's view, keyed on small values.

The survey (every wave as matrices) is one shared, read-only resource per data version; page
views are cached per (data version, filters). The data version grows with every ingest,
replace or delete, so nothing stale is ever shown.
"""

from __future__ import annotations

import streamlit as st

from gapmodel import views
from ui.store import store

CACHE = {"max_entries": 64, "ttl": 3600, "show_spinner": False}


def data_version() -> int:
    """The store's current data version (one cheap query)."""
    return store().data_version


@st.cache_resource(max_entries=2, show_spinner="Loading the survey waves…")
def _survey(path: str, version: int) -> views.Survey:
    return views.load_survey(store())


def survey() -> views.Survey:
    """Every stored wave, ready for the model (shared by all sessions)."""
    return _survey(str(store().path), data_version())


@st.cache_data(**CACHE)
def _overview(path: str, version: int, filters: views.Filters) -> views.Overview:
    return views.overview(_survey(path, version), filters)


@st.cache_data(**CACHE)
def _journey(path: str, version: int, filters: views.Filters) -> views.Journey:
    return views.journey(_survey(path, version), filters)


@st.cache_data(**CACHE)
def _details(path: str, version: int, filters: views.Filters, grouping: str) -> views.Details:
    return views.details(_survey(path, version), filters, grouping)


@st.cache_data(**CACHE)
def _segments(path: str, version: int, filters: views.Filters, attribute: str) -> views.Segments:
    return views.segments(_survey(path, version), filters, attribute)


@st.cache_data(**CACHE)
def _trends(path: str, version: int, filters: views.Filters) -> views.Trends:
    return views.trends(_survey(path, version), filters)


@st.cache_data(**CACHE)
def _priorities(path: str, version: int, filters: views.Filters) -> views.Priorities:
    return views.priorities(_survey(path, version), filters)


@st.cache_data(**CACHE)
def _count(path: str, version: int, filters: views.Filters) -> int:
    return views.respondent_count(_survey(path, version), filters)


def _key() -> tuple[str, int]:
    return str(store().path), data_version()


def overview(filters: views.Filters) -> views.Overview:
    """The Overview page's tables."""
    return _overview(*_key(), filters)


def journey(filters: views.Filters) -> views.Journey:
    """The Journey page's tables."""
    return _journey(*_key(), filters)


def details(filters: views.Filters, grouping: str) -> views.Details:
    """The Dimensions & items page's tables."""
    return _details(*_key(), filters, grouping)


def segments(filters: views.Filters, attribute: str) -> views.Segments:
    """The Segments page's tables."""
    return _segments(*_key(), filters, attribute)


def trends(filters: views.Filters) -> views.Trends:
    """The Trends page's tables."""
    return _trends(*_key(), filters)


def priorities(filters: views.Filters) -> views.Priorities:
    """The Priorities page's tables."""
    return _priorities(*_key(), filters)


def respondent_count(filters: views.Filters) -> int:
    """Respondents selected by ``filters`` in the chosen wave."""
    return _count(*_key(), filters)
