"""What an .xlsx worksheet holds before a reader opens it: its used range, and its formula cells.

The Excel reader (calamine, behind fastexcel) allocates one cell for every position of a
sheet's used range, so one stray cell at XFD1048576 makes it allocate hundreds of GiB and abort
the process. The sheet's XML is therefore streamed first, a megabyte at a time, and the used
range it declares (``<dimension ref=...>``) and the one its cells span (``<row r=...>``,
``<c r=...>``) are bounded. Formula cells are noted too: a workbook written by a program
rather than by a spreadsheet holds no calculated value for them (or a 0), and such a cell must
not be read as a score.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

MAX_SHEET_CELLS = 30_000_000  # columns x rows of the used range: 2,000,000 rows x 15 columns
_CHUNK = 1 << 20
_MAX_PART = 20 * 1024 * 1024  # workbook.xml and its relationships: small in any real workbook
# Row digits without leading zeros, so that the longest is the largest ("000000001" is row 1).
_CELL_REF = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br\s*=\s*[\"']([A-Z]{1,4})0*(\d{1,9})[\"']")
_ROW_REF = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br\s*=\s*[\"'](\d{1,9})[\"']")
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_ROW = re.compile(rb"<(?:\w+:)?row[\s>/]")
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([A-Z]+\d+)(?::([A-Z]+\d+))?[\"']"
)
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ELEMENT = re.compile(rb"<((?:\w+:)?)c\b([^>]*?)(?:/>|>(.*?)</\1c>)", re.DOTALL)
_ATTRIBUTE = re.compile(rb"\s(r|t)\s*=\s*[\"']([^\"']*)[\"']")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]+)</")
_INLINE = re.compile(rb"<(?:\w+:)?is[\s>]")
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)</)")


class SheetTooLarge(Exception):
    """A sheet's used range is beyond :data:`MAX_SHEET_CELLS`; the message says where and what
    to do."""


@dataclass(frozen=True)
class Formula:
    """A formula cell: where it is (``D7``, row 7, column 4 from 1), its formula, and whether
    the workbook holds a value calculated for it."""

    ref: str
    row: int
    column: int
    formula: str
    calculated: bool


@dataclass
class SheetScan:
    """What :func:`scan_sheet` found in one worksheet.

    Attributes
    ----------
    first_row, first_column : int
        The row and column (from 1) of the top-left cell holding a value, where the reader's
        grid starts; 1 when no cell holds one.
    formulas : list of Formula
        Formula cells, in the order of the file.
    """

    first_row: int = 1
    first_column: int = 1
    formulas: list[Formula] = field(default_factory=list)


def column_number(letters: str) -> int:
    """``A`` -> 1, ``XFD`` -> 16384.

    Examples
    --------
    >>> column_number("AB")
    28
    """
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    """``28`` -> ``AB``.

    Examples
    --------
    >>> column_letters(16384)
    'XFD'
    """
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its worksheet part in the archive (``xl/worksheets/sheet1.xml``), from
    ``xl/workbook.xml`` and its relationships; empty when they cannot be read. Elements are
    matched by their local names: Strict Open XML workbooks use other namespaces."""
    try:
        workbook = _small_xml(archive, "xl/workbook.xml")
        rels = _small_xml(archive, "xl/_rels/workbook.xml.rels")
    except (KeyError, ElementTree.ParseError, ValueError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in _named(rels, "Relationship")}
    parts = {}
    for sheet in _named(workbook, "sheet"):
        rel = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(rel)
        if sheet.get("name") is None or not target:
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        parts[sheet.get("name")] = posixpath.normpath(path)
    return parts


def _named(root: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    """The elements under ``root`` whose local name is ``name``, in any namespace."""
    return [e for e in root.iter() if e.tag == name or e.tag.endswith("}" + name)]


def _small_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    if archive.getinfo(name).file_size > _MAX_PART:
        raise ValueError(f"{name} is larger than any workbook's")
    return ElementTree.fromstring(archive.read(name))


def calculates_on_load(archive: zipfile.ZipFile) -> bool:
    """True when the workbook asks to be calculated when opened (``fullCalcOnLoad``): a program
    wrote it, and the values it holds for its formulas were not calculated."""
    try:
        workbook = _small_xml(archive, "xl/workbook.xml")
    except (KeyError, ElementTree.ParseError, ValueError):
        return False
    return any(c.get("fullCalcOnLoad") in ("1", "true") for c in _named(workbook, "calcPr"))


def scan_sheet(archive: zipfile.ZipFile, part: str, sheet: str) -> SheetScan:
    """Bound the used range of the worksheet ``part`` (named ``sheet``) and note its formulas.

    Raises
    ------
    SheetTooLarge
        When the range it declares, or the one its cells span, has more than
        :data:`MAX_SHEET_CELLS` cells.
    KeyError
        When the archive has no such part.
    """
    rows = columns = tagged_rows = 0  # the largest row and column a cell names; a row names
    far_row = far_column = ""  # the cells that name them
    unnamed_cells = unnamed_rows = 0  # cells and rows without r: placed after the one before
    declared = None
    has_formulas = False
    tail = b""
    with archive.open(part) as member:
        while chunk := member.read(_CHUNK):
            text = tail + chunk
            # The last tag may go on in the next chunk: it is read with that one.
            cut = text.rfind(b"<")
            if cut <= 0 or len(text) - cut > _CHUNK:
                cut = len(text)
            body, tail = text[:cut], text[cut:]
            if declared is None:
                found = _DIMENSION.search(body)
                declared = found.groups() if found else ()
            refs = _CELL_REF.findall(body)
            if refs:
                letters = max({c for c, _ in refs}, key=lambda c: (len(c), c))
                digits = max({r for _, r in refs}, key=lambda r: (len(r), r))
                if column_number(letters.decode()) > columns:
                    columns = column_number(letters.decode())
                    far_column = next(c + r for c, r in refs if c == letters).decode()
                if int(digits) > rows:
                    rows = int(digits)
                    far_row = next(c + r for c, r in refs if r == digits).decode()
            row_refs = _ROW_REF.findall(body)
            if row_refs:
                tagged_rows = max(tagged_rows, max(int(r) for r in row_refs))
            unnamed_cells += len(_CELL.findall(body)) - len(refs)
            unnamed_rows += len(_ROW.findall(body)) - len(row_refs)
            has_formulas = has_formulas or _FORMULA.search(body) is not None
    _bound_declared(sheet, declared)
    if unnamed_cells:  # each is placed after the cell before it in its row
        columns += _widest_row(archive, part)
    rows = max(rows, tagged_rows) + unnamed_rows
    if columns * rows > MAX_SHEET_CELLS:
        stray = far_row if rows > columns else far_column
        raise SheetTooLarge(
            f"The sheet {sheet!r} uses the range A1:{column_letters(columns)}{rows} "
            f"({columns:,} columns x {rows:,} rows, more than {MAX_SHEET_CELLS:,} cells): "
            + (f"the cell {stray} holds something, far from the table. " if stray else "")
            + "Delete the empty rows below the table and the columns to its right (select "
            "them and delete them, not just their contents), save the workbook and upload it "
            "again, or export the sheet as CSV."
        )
    return _cells(archive, part) if has_formulas else SheetScan()


def _widest_row(archive: zipfile.ZipFile, part: str) -> int:
    """The most cells in one row (for a sheet whose cells do not all name their place)."""
    widest = counted = 0  # counted: the cells of the current row in text already let go
    tail = b""
    with archive.open(part) as member:
        while chunk := member.read(_CHUNK):
            rows = (tail + chunk).split(b"</row>")
            tail = rows.pop()  # the row still open
            for k, row in enumerate(rows):
                widest = max(widest, len(_CELL.findall(row)) + (counted if k == 0 else 0))
            counted = 0 if rows else counted
            if len(tail) > _CHUNK:  # a long row: count what it has so far, let its text go
                cut = tail.rfind(b"<")
                counted += len(_CELL.findall(tail[:cut]))
                tail = tail[cut:]
    return max(widest, counted + len(_CELL.findall(tail)))


def _bound_declared(sheet: str, declared: tuple | None) -> None:
    """Refuse a declared used range (``<dimension ref="A1:XFD1048576"/>``) beyond the bound."""
    if not declared or declared[1] is None:
        return
    (c1, r1), (c2, r2) = (re.fullmatch(r"([A-Z]+)(\d+)", ref.decode()).groups() for ref in declared)
    width = abs(column_number(c2) - column_number(c1)) + 1
    height = abs(int(r2) - int(r1)) + 1
    if width * height > MAX_SHEET_CELLS:
        raise SheetTooLarge(
            f"The sheet {sheet!r} declares its used range as {c1}{r1}:{c2}{r2} ({width:,} "
            f"columns x {height:,} rows, more than {MAX_SHEET_CELLS:,} cells). Delete the empty "
            "rows below the table and the columns to its right, save the workbook and upload "
            "it again, or export the sheet as CSV."
        )


def _cells(archive: zipfile.ZipFile, part: str) -> SheetScan:
    """The grid's origin and the formula cells, read cell by cell (only for a sheet with
    formulas: this pass is slower). Cells without ``r`` are not placed (no spreadsheet writes
    formulas without it)."""
    scan = SheetScan(first_row=0, first_column=0)
    tail = b""
    with archive.open(part) as member:
        while chunk := member.read(_CHUNK):
            text = tail + chunk
            end = text.rfind(b"</row>")
            if end < 0 and len(text) < 64 * _CHUNK:
                tail = text
                continue
            body, tail = (text, b"") if end < 0 else (text[: end + 6], text[end + 6 :])
            for element in _ELEMENT.finditer(body):
                _cell(scan, element)
    scan.first_row, scan.first_column = scan.first_row or 1, scan.first_column or 1
    return scan


def _cell(scan: SheetScan, element: re.Match) -> None:
    attributes = dict(_ATTRIBUTE.findall(element[2]))
    ref = re.fullmatch(rb"([A-Z]{1,4})(\d{1,9})", attributes.get(b"r", b""))
    if ref is None:
        return
    inner = element[3] or b""
    row, column = int(ref[2]), column_number(ref[1].decode())
    valued = _VALUE.search(inner) is not None or _INLINE.search(inner) is not None
    if valued:  # where the reader's grid starts: the first row and column holding a value
        scan.first_row = min(scan.first_row or row, row)
        scan.first_column = min(scan.first_column or column, column)
    formula = _FORMULA_TEXT.search(inner)
    if formula is not None:
        text = (formula[1] or b"").decode("utf-8", "replace")
        scan.formulas.append(Formula(ref[0].decode(), row, column, text, valued))
