"""The report as one self-contained HTML page: inline CSS and SVG charts, no scripts."""

from __future__ import annotations

import html

from gapmodel.render.chart_images import chart_svg
from gapmodel.render.method import method_rows
from gapmodel.render.progress import Progress, quiet
from gapmodel.render.report.briefing import SECTION_ORDER, SECTION_TITLES, Briefing
from gapmodel.render.report.figures import (
    headline_figures,
    report_charts,
    report_tables,
    section_intro,
)
from gapmodel.render.report.svg import safe_svg
from gapmodel.views.findings import Finding

HTML_CHART_WIDTH = 900
CSS = """
body{font-family:"DejaVu Sans","Liberation Sans",Arial,Helvetica,sans-serif;color:#222;
 margin:0 auto;max-width:980px;padding:24px 28px;line-height:1.45;font-size:15px}
h1{font-size:26px;margin:0 0 4px} h2{font-size:20px;margin:32px 0 8px;border-bottom:2px solid #ddd;
 padding-bottom:4px} .sub{color:#555;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 12px;background:#fafafa}
.card .label{font-size:13px;color:#555} .card .value{font-size:24px;font-weight:bold}
.card .detail{font-size:12.5px;color:#444}
ul.findings{padding-left:20px} ul.findings li{margin:4px 0}
figure{margin:12px 0;page-break-inside:avoid;break-inside:avoid}
figure svg{max-width:100%;height:auto} figcaption{font-size:13px;color:#555}
table{border-collapse:collapse;font-size:13.5px;margin:10px 0;width:100%}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0} td.num,th.num{text-align:right} td.num{white-space:nowrap}
table.method td:first-child{font-weight:bold;width:190px}
.note{color:#555;font-size:13.5px}
@media print{body{max-width:none;padding:0} h2{page-break-after:avoid}}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(
        f'<th class="num">{_esc(h)}</th>' if j >= numeric_from else f"<th>{_esc(h)}</th>"
        for j, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_esc(c)}</td>' if j >= numeric_from else f"<td>{_esc(c)}</td>"
            for j, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(b: Briefing, progress: Progress | None = None) -> str:
    """The report as one self-contained HTML page.

    Returns
    -------
    str
        HTML5 with inline CSS and inline SVG charts; no scripts and no external resources
        (fonts, images, styles); every data text (labels, segment names, wave labels) escaped.
    """
    progress = progress or quiet
    chart_list = report_charts(b)
    tables = report_tables(b)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(b.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(b.title)}</h1>",
        f'<p class="sub">{_esc(b.view_text)}. Generated {b.generated:%Y-%m-%d %H:%M}.</p>',
        *(f'<p class="note">{_esc(note)}</p>' for note in b.notes),
        '<div class="cards">',
    ]
    for label, value, detail in headline_figures(b):
        parts.append(
            f'<div class="card"><div class="label">{_esc(label)}</div>'
            f'<div class="value">{_esc(value)}</div><div class="detail">{_esc(detail)}</div></div>'
        )
    parts.append("</div>")
    parts.append(_html_findings(b.section("Headline")))
    for k, section in enumerate(SECTION_ORDER):
        if section == "Trend" and "Trend" not in chart_list:
            continue
        parts.append(f"<h2>{_esc(SECTION_TITLES[section])}</h2>")
        intro = section_intro(b, section)
        if intro:
            parts.append(f'<p class="note">{_esc(intro)}</p>')
        if section in chart_list:
            caption, chart = chart_list[section]
            svg = chart_svg(chart, HTML_CHART_WIDTH)
            parts.append(
                f"<figure>{safe_svg(svg, f'chart{k}')}<figcaption>{_esc(caption)}</figcaption></figure>"
            )
        if section in tables and tables[section][1]:
            parts.append(
                _html_table(*tables[section], numeric_from=2 if section == "Pain points" else 1)
            )
        parts.append(_html_findings(b.section(section)))
        progress(
            0.5 + 0.45 * (k + 1) / len(SECTION_ORDER), f"Drew {SECTION_TITLES[section].lower()}"
        )
    parts.append('<h2>Method</h2><table class="method"><tbody>')
    for topic, text in method_rows(b.filters, b.waves, b.options):
        parts.append(f"<tr><td>{_esc(topic)}</td><td>{_esc(text)}</td></tr>")
    parts.append("</tbody></table></body></html>")
    progress(1.0, "Report ready")
    return "\n".join(parts)


def _html_findings(items: list[Finding]) -> str:
    if not items:
        return ""
    return '<ul class="findings">' + "".join(f"<li>{_esc(f.text)}</li>" for f in items) + "</ul>"
