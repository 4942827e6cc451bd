"""The management report of one view as a file: HTML, PDF or XLSX bytes."""

from __future__ import annotations

from gapmodel import views
from gapmodel.render.progress import Progress
from gapmodel.render.report.briefing import Briefing
from gapmodel.render.report.content import build_briefing
from gapmodel.render.report.html import render_html
from gapmodel.render.report.xlsx import render_xlsx

REPORT_FORMATS = ("html", "pdf", "xlsx")


def report_bytes(
    survey: views.Survey,
    filters: views.Filters,
    fmt: str = "html",
    attribute: str | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The management report of one view as a file.

    For the dashboard's "Report" download (and ``python -m gapmodel report``). ``progress`` has
    the signature of Streamlit's ``st.progress(value, text)`` bar's ``.progress``: pass
    ``bar.progress`` to show how far it got.

    Parameters
    ----------
    survey : views.Survey
        The stored waves (:func:`gapmodel.views.load_survey`).
    filters : views.Filters
        The view (the sidebar's filters).
    fmt : {"html", "pdf", "xlsx"}
        File format; ``gapmodel.render.media.MEDIA_TYPES[fmt]`` is its media type.
    attribute : str, optional
        Compared in the Segments section; default
        :func:`gapmodel.render.report.content.segment_attribute`.
    progress : callable, optional
        Called as ``progress(fraction, message)``, fraction from 0 to 1.

    Returns
    -------
    bytes
        HTML (UTF-8, self-contained), PDF (A4 portrait) or XLSX (Findings, tables, Method).
    """
    if fmt not in REPORT_FORMATS:
        raise ValueError(
            f"The report format must be one of {', '.join(REPORT_FORMATS)}. Got {fmt!r}."
        )
    return render(build_briefing(survey, filters, attribute, progress), fmt, progress)


def render(b: Briefing, fmt: str, progress: Progress | None = None) -> bytes:
    """A computed :class:`Briefing` as a file: ``html`` (UTF-8), ``pdf`` or ``xlsx`` bytes."""
    if fmt not in REPORT_FORMATS:
        raise ValueError(
            f"The report format must be one of {', '.join(REPORT_FORMATS)}. Got {fmt!r}."
        )
    if fmt == "html":
        return render_html(b, progress).encode("utf-8")
    if fmt == "pdf":
        from gapmodel.render.report.pdf import render_pdf  # fpdf2 and Pillow: only for a PDF

        return render_pdf(b, progress)
    return render_xlsx(b, progress)
