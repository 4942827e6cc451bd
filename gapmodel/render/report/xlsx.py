"""The report as a workbook: the findings, every table they draw on, and the method."""

from __future__ import annotations

from gapmodel.render.progress import Progress, quiet
from gapmodel.render.report.briefing import Briefing
from gapmodel.render.workbook import workbook


def render_xlsx(b: Briefing, progress: Progress | None = None) -> bytes:
    """The report as a workbook: a Findings sheet, every table it draws on, and the Method.

    Returns
    -------
    bytes
        The .xlsx file of :func:`gapmodel.render.workbook.workbook`: sheet ``Findings`` (``section,
        finding, source, key, effect, ci_low, ci_high, p_adj, n``: each sentence and the row it
        was written from; ``source`` names the sheet), the sheets of :meth:`Briefing.tables`,
        and ``Method``.
    """
    progress = progress or quiet

    def step(fraction: float, message: str) -> None:
        progress(0.5 + 0.5 * fraction, message)

    tables = {"Findings": b.findings_table(), **b.tables()}
    return workbook(tables, b.filters, b.waves, b.options, progress=step)
