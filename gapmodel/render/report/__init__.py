"""The management report: headline figures, journey map, pain points, change, segments,
priorities and the method for one view, as HTML, PDF or an Excel workbook.

Every sentence is written from one result row by :mod:`gapmodel.views.findings` and keeps a
record of that row (:class:`gapmodel.views.findings.Finding`: source table, keys, effect, CI,
adjusted p, n); a change that is not significant is reported as no clear change, and
suppressed groups give no sentence and no numbers.

Use :func:`report_bytes` (dashboard and command line alike); :func:`build_briefing` computes
the content once if several formats are wanted. The parts: :mod:`.content` (tables, findings),
:mod:`.sentences`, :mod:`.figures` (charts, headline, small tables), :mod:`.html`, :mod:`.pdf`,
:mod:`.xlsx`, :mod:`.svg` (SVG made safe to inline) and :mod:`.files`.
"""

from gapmodel.render.report.briefing import SECTIONS, Briefing
from gapmodel.render.report.content import build_briefing, segment_attribute
from gapmodel.render.report.figures import headline_figures, report_charts, report_tables
from gapmodel.render.report.files import REPORT_FORMATS, render, report_bytes
from gapmodel.render.report.svg import safe_svg

__all__ = [
    "REPORT_FORMATS",
    "SECTIONS",
    "Briefing",
    "build_briefing",
    "headline_figures",
    "render",
    "report_bytes",
    "report_charts",
    "report_tables",
    "safe_svg",
    "segment_attribute",
]
