"""Hostile upload files written as code: workbooks from their sheet XML, and a valid wide wave
to hide a stray cell or a formula in."""

from __future__ import annotations

import io
import zipfile

from gapmodel.core.instrument import default_instrument

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>'
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
INSTRUMENT = default_instrument()
E = f"{INSTRUMENT.stages[0]}.{INSTRUMENT.codes[0]}.E"
P = f"{INSTRUMENT.stages[0]}.{INSTRUMENT.codes[0]}.P"


def xlsx(
    sheet_data: str, dimension: str | None = None, sheet: str = "Sheet1", calc: str = ""
) -> bytes:
    """A one-sheet workbook whose ``<sheetData>`` is ``sheet_data``, declaring ``dimension``;
    ``calc`` is the workbook's ``<calcPr>`` element, if any."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    worksheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
        f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">{declared}'
        f"<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns='
        '"http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets>{calc}</workbook>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _PACKAGE_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", worksheet)
    return buffer.getvalue()


def two_sheets(first: tuple[str, str], second: tuple[str, str]) -> bytes:
    """A workbook of two sheets, each ``(name, sheet_data)``: :func:`xlsx` with a second
    worksheet added to the workbook, its relationships and its content types."""
    src = zipfile.ZipFile(io.BytesIO(xlsx(first[1])))
    sheet = zipfile.ZipFile(io.BytesIO(xlsx(second[1]))).read("xl/worksheets/sheet1.xml")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for info in src.infolist():
            part = src.read(info).decode()
            if info.filename == "xl/workbook.xml":
                part = part.replace('name="Sheet1"', f'name="{first[0]}"').replace(
                    "</sheets>", f'<sheet name="{second[0]}" sheetId="2" r:id="rId2"/></sheets>'
                )
            elif info.filename == "xl/_rels/workbook.xml.rels":
                part = part.replace(
                    "</Relationships>",
                    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/worksheet" Target="worksheets/'
                    'sheet2.xml"/></Relationships>',
                )
            elif info.filename == "[Content_Types].xml":
                part = part.replace(
                    "</Types>",
                    '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
                )
            out.writestr(info, part)
        out.writestr("xl/worksheets/sheet2.xml", sheet)
    return buffer.getvalue()


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def wave_rows(n: int = 10, last: str = "") -> str:
    """The sheet rows of a valid wide wave of ``n`` respondents (columns A-C: id, E, P of the
    first item), then ``last``: the header is row 1, respondent k is row k + 1."""
    header = "".join(
        text_cell(f"{c}1", h) for c, h in zip("ABC", ["respondent_id", E, P], strict=True)
    )
    rows = [f'<row r="1">{header}</row>']
    for k in range(2, n + 2):
        rows.append(
            f'<row r="{k}">{text_cell(f"A{k}", f"R{k}")}<c r="B{k}"><v>{k % 7 + 1}</v></c>'
            f'<c r="C{k}"><v>{(k + 3) % 7 + 1}</v></c></row>'
        )
    return "".join(rows) + last


STRAY_CELL = xlsx(wave_rows(last='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))


_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:'
    'tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:'
    'full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods(table: str) -> bytes:
    """An OpenDocument spreadsheet of one table whose rows are ``table``."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:'
        'names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:'
        'xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'office:version="1.2"><office:body><office:spreadsheet><table:table table:name="S">'
        f"{table}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
    return buffer.getvalue()
