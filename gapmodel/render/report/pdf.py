"""The report as an A4 portrait PDF with PNG charts (fpdf2, pure Python).

This module imports fpdf2 and Pillow; import it only when a PDF is wanted.
"""

from __future__ import annotations

import io
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image

from gapmodel.render.chart_images import chart_png
from gapmodel.render.method import method_rows
from gapmodel.render.progress import Progress, quiet
from gapmodel.render.report.briefing import SECTION_ORDER, SECTION_TITLES, Briefing
from gapmodel.render.report.figures import (
    headline_figures,
    report_charts,
    report_tables,
    section_intro,
)
from gapmodel.views.findings import Finding

PDF_CHART_WIDTH = 760  # CSS pixels over the 180 mm text width: chart text about 9 pt
PDF_CHART_SCALE = 2.0
# Heights in CSS pixels that let these charts share a page; other charts keep their own.
PDF_CHART_HEIGHTS = {"Segments": 320, "Priorities": 440}
# Column widths in mm of the small table of each section.
TABLE_WIDTHS = {
    "Pain points": (7, 67, 15, 31, 15, 25, 20),
    "Change": (29, 16, 16, 16, 29, 18, 18, 15, 23),
    "Segments": (44, 18, 34, 18, 22, 20, 24),
}
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
# Chinese, Japanese and Korean text (names from a questionnaire, labels from a file), when the
# system has the fonts (Debian: fonts-noto-cjk); face 1 of the collection is the Korean one.
_CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)


def _unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, when the system has them (Debian: fonts-dejavu-core)."""
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class PdfReport(FPDF):
    """An A4 portrait page set with the report's building blocks: headings, paragraphs, bullet
    lists, chart images and tables, and the report title and page number in the footer.

    Text uses DejaVu Sans when the system has it (any language); otherwise the built-in
    Helvetica, and characters outside Latin-1 print as ``?``.
    """

    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        font = _unicode_font()
        self.family = "DejaVu" if font is not None else "Helvetica"
        self.unicode = font is not None
        if font is not None:
            self.add_font(self.family, "", str(font[0]))
            self.add_font(self.family, "B", str(font[1]))
            if all(f.is_file() for f in _CJK_FONTS):  # for what DejaVu Sans cannot print
                for style, file in zip(("", "B"), _CJK_FONTS, strict=True):
                    self.add_font("NotoSansCJK", style, str(file), collection_font_number=1)
                self.set_fallback_fonts(["NotoSansCJK"])
        self.set_title(self.printable(title))
        self.set_creator("gapmodel")
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.add_page()

    def printable(self, value: object) -> str:
        """``value`` as text the font can print."""
        if self.unicode:
            return str(value)
        return str(value).encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(110)
        self.cell(
            0, 6, self.printable(f"{self.report_title} - page {self.page_no()}/{{nb}}"), align="C"
        )
        self.set_text_color(0)

    def _fits(self, height: float) -> bool:
        return self.get_y() + height <= self.h - self.b_margin

    def title_block(self, subtitle: str, notes: tuple[str, ...]) -> None:
        """The report title, the view it describes and any notes."""
        self.set_font(self.family, "B", 18)
        self.multi_cell(
            self.epw, 9, self.printable(self.report_title), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        self.paragraph(subtitle, color=80)
        for note in notes:
            self.paragraph(note, color=60)

    def heading(self, title: str, keep: float = 30.0, size: float = 14) -> None:
        """A section heading, on a new page unless ``keep`` mm fit below it."""
        if not self._fits(14 + keep):
            self.add_page()
        self.ln(3)
        self.set_font(self.family, "B", size)
        self.multi_cell(
            self.epw, size * 0.5, self.printable(title), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        self.set_draw_color(200)
        self.line(self.l_margin, self.get_y() + 0.5, self.l_margin + self.epw, self.get_y() + 0.5)
        self.ln(2.5)

    def paragraph(self, value: str, size: float = 9.5, color: int = 0) -> None:
        self.set_font(self.family, "", size)
        self.set_text_color(color)
        self.multi_cell(
            self.epw, size * 0.48, self.printable(value), align="L", new_x="LMARGIN", new_y="NEXT"
        )
        self.set_text_color(0)
        self.ln(1.2)

    def bullets(self, items: list[Finding]) -> None:
        self.set_font(self.family, "", 9.5)
        for finding in items:
            if not self._fits(10):
                self.add_page()
            self.set_x(self.l_margin)
            self.cell(4, 4.6, self.printable("-"))
            self.multi_cell(
                self.epw - 4,
                4.6,
                self.printable(finding.text),
                align="L",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self.ln(0.8)
        self.ln(1)

    def image_size(self, png: bytes) -> tuple[float, float]:
        """Width and height in mm of a chart placed across the text width (shrunk to fit a
        page if it is taller)."""
        with Image.open(io.BytesIO(png)) as im:
            w_px, h_px = im.size
        w, h = self.epw, self.epw * h_px / w_px
        most = self.eph - 30  # a heading and the caption share the page
        if h > most:
            w, h = w * most / h, most
        return w, h

    def chart(self, png: bytes, caption: str) -> None:
        w, h = self.image_size(png)
        if not self._fits(h + 8):
            self.add_page()
        x = self.l_margin + (self.epw - w) / 2
        self.image(io.BytesIO(png), x=x, y=self.get_y(), w=w, h=h)
        self.set_y(self.get_y() + h + 1)
        self.paragraph(caption, size=8.5, color=90)

    def grid(
        self,
        headers: list[str],
        rows: list[list[str]],
        widths: tuple[float, ...],
        align: tuple[str, ...] | None = None,
    ) -> None:
        """A table with a bold header row; text columns left, numbers right."""
        self.set_font(self.family, "", 8.5)
        if not self._fits(20):  # the header with at least two rows
            self.add_page()
        with self.table(
            col_widths=widths,
            width=self.epw,
            text_align=align or ("LEFT",) * 2 + ("RIGHT",) * (len(headers) - 2),
            headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240)),
            line_height=4.4,
            borders_layout="HORIZONTAL_LINES",
            padding=0.8,
        ) as table:
            for cells in [headers, *rows]:
                line = table.row()
                for cell in cells:
                    line.cell(self.printable(cell))
        self.ln(2)

    def topics(self, statements: list[tuple[str, str]]) -> None:
        """Topic and statement rows, topics in bold (the method)."""
        self.set_font(self.family, "", 8.5)
        with self.table(
            col_widths=(44, 136),
            width=self.epw,
            text_align=("LEFT", "LEFT"),
            line_height=4.2,
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=False,
            padding=0.8,
        ) as table:
            for topic, statement in statements:
                line = table.row()
                line.cell(self.printable(topic), style=FontFace(emphasis="BOLD"))
                line.cell(self.printable(statement))


def render_pdf(b: Briefing, progress: Progress | None = None) -> bytes:
    """The report as an A4 portrait PDF with PNG charts.

    Returns
    -------
    bytes
        The PDF file: title and view, headline figures, then one section per topic (chart,
        table, findings), and the method; page numbers in the footer.
    """
    progress = progress or quiet
    pdf = PdfReport(b.title)
    pdf.title_block(f"{b.view_text}. Generated {b.generated:%Y-%m-%d %H:%M}.", b.notes)
    pdf.grid(
        ["Headline figure", "Value", "Detail"],
        [list(figure) for figure in headline_figures(b)],
        (52, 30, 98),
        ("LEFT", "RIGHT", "LEFT"),
    )
    pdf.bullets(b.section("Headline"))
    chart_list = report_charts(b)
    tables = report_tables(b)
    for k, section in enumerate(SECTION_ORDER):
        if section == "Trend" and "Trend" not in chart_list:
            continue
        png = None
        if section in chart_list:
            png = chart_png(
                chart_list[section][1],
                PDF_CHART_WIDTH,
                PDF_CHART_HEIGHTS.get(section),
                scale=PDF_CHART_SCALE,
            )
        intro = section_intro(b, section)
        pdf.heading(SECTION_TITLES[section], keep=pdf.image_size(png)[1] + 12 if png else 30)
        if intro:
            pdf.paragraph(intro, color=70)
        if png is not None:
            pdf.chart(png, chart_list[section][0])
        if section in tables and tables[section][1]:
            pdf.grid(*tables[section], TABLE_WIDTHS[section])
        pdf.bullets(b.section(section))
        done = 0.5 + 0.45 * (k + 1) / len(SECTION_ORDER)
        progress(done, f"Drew {SECTION_TITLES[section].lower()}")
    pdf.heading("Method")
    pdf.topics(method_rows(b.filters, b.waves, b.options))
    progress(1.0, "Report ready")
    return bytes(pdf.output())
