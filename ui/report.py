"""The management report dialog: choose a format, watch it being built, download it."""

from __future__ import annotations

import streamlit as st

from gapmodel.render.media import MEDIA_TYPES
from gapmodel.render.report import report_bytes
from gapmodel.views import Filters
from ui import cache, components
from ui.text import plain

FORMATS = {"pdf": "PDF", "html": "HTML", "xlsx": "Excel"}
_READY = "report_ready"


@st.dialog("Management report", width="medium")
def report_dialog(filters: Filters) -> None:
    """Build the report of the current view with a progress bar, then offer it for download."""
    st.caption(
        "Headline figures, the journey map, the top pain points, what changed since the "
        "compared wave, segment differences, priorities and the method, for the current view."
    )
    fmt = (
        st.segmented_control(
            "Format", list(FORMATS), default="pdf", format_func=FORMATS.get, key="report_format"
        )
        or "pdf"
    )
    if st.button("Prepare the report", type="primary", key="report_prepare"):
        bar = st.progress(0.0, text="Starting…")
        try:
            data = report_bytes(
                cache.survey(),
                filters,
                fmt,
                progress=lambda done, what: bar.progress(done, text=what),
            )
        except ValueError as exc:
            bar.empty()
            st.error(f"{plain(exc)} Widen the filters in the sidebar and try again.")
        else:
            bar.progress(1.0, text="Ready.")
            st.session_state[_READY] = (filters, fmt, data, cache.data_version())
    ready = st.session_state.get(_READY)
    if ready and ready[:2] == (filters, fmt) and ready[3] == cache.data_version():
        components.download(
            f"Download the report ({FORMATS[fmt]})",
            ready[2],
            f"gapmodel-report-{filters.wave}.{fmt}",
            MEDIA_TYPES[fmt],
            "report_download",
            type="primary",
        )
