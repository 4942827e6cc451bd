"""The process-wide store: created from the demo on first start, cached for every session."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from gapmodel.core import settings
from gapmodel.storage.store import Store
from gapmodel.tools.demo import ensure_demo_database


@st.cache_resource(show_spinner="Opening the survey database…")
def open_store(path: str) -> Store:
    """Open the database at ``path``, building the demo database there if no file exists; a
    database in a folder that cannot be written is shown read-only."""
    ensure_demo_database(Path(path))
    return Store.open_or_read(path)


def store() -> Store:
    """The store for the configured database (``GAPMODEL_DB``)."""
    return open_store(str(Path(settings.get("db")).resolve()))


def demo_waves(waves) -> list[str]:
    """The labels of the stored waves that came from the demo generator."""
    return [
        label
        for label, name in zip(waves["label"], waves["source_name"], strict=True)
        if name.startswith("demo-")
    ]
