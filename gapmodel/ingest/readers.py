"""Reading an upload's bytes into a table of text cells: CSV, Excel (.xlsx, .xlsm), OpenDocument
(.ods), SPSS (.sav) or Parquet.

The format is recognised from the bytes, not the file name. Every cell comes back as text (or
null) so that validation can report the value exactly as the file had it. The header is found
where the survey tool put it (:mod:`gapmodel.ingest.headers`), and each column keeps its
question text beside its name.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import astuple, dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from gapmodel.ingest.encodings import Decoded, EncodingUnknown, decode
from gapmodel.ingest.headers import LOOK_AT, Header, find_header
from gapmodel.ingest.sheet_scan import (
    SheetScan,
    SheetTooLarge,
    calculates_on_load,
    column_letters,
    scan_sheet,
    sheet_parts,
)
from gapmodel.ingest.validation_report import Problem, shorten

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
XLSX_MAX_UNCOMPRESSED = 500 * 1024 * 1024
XLSX_MAX_RATIO = 200
MAX_COLUMNS = 20_000  # 5,000 items x 2 stages x E and P
# Leading bytes of common files that are not tables, for a message that names them.
_NOT_TABLES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\x7fELF": "a program",
}
_CONTENT = re.compile(rb"[^ \t\r\n\x00]")  # any byte that is not blank
_SCAN_BYTES = 20 * 1024 * 1024  # below this, CSV rows are checked for ragged lines up front
_SEP_HINT = re.compile(r"^sep=(.)\s*$")  # Excel's first line "sep=;"
DUPLICATED = re.compile(r"_duplicated_\d+$")  # how a repeated header is named (see _unique)
FORMATS = ".csv, .xlsx, .ods, .sav or .parquet"
_SAVE_AS = "Open it in its application and save it as .xlsx (Excel workbook), or export CSV."
# Zip archives that are workbooks gapmodel does not read: a member that tells them, their name.
_OTHER_WORKBOOKS = {
    "xl/workbook.bin": "an Excel binary workbook (.xlsb)",
    "Index/Document.iwa": "an Apple Numbers document",
    "Index.zip": "an Apple Numbers document",
}


class ReadError(Exception):
    """The file cannot be read as a table at all; ``problem`` says why and what to do.

    ``choices`` lists what the analyst may pick to read it (the encodings that fit), if any;
    ``peak_mb`` is the reading process's peak memory when it was read in one
    (:mod:`gapmodel.ingest.isolated`).
    """

    peak_mb: float | None = None

    def __init__(self, problem: Problem, choices: list[str] | None = None):
        self.problem = problem
        self.choices = choices or []
        super().__init__(problem.message)


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file where its bytes do not say: the analyst's choices.

    Attributes
    ----------
    encoding : str, optional
        A CSV's text encoding (``cp949``); else it is detected.
    sheet : str, optional
        A workbook's sheet, by name or number from 1; else the first that holds a table.
    header_row : int, optional
        The header's row, from 1; else it is found.
    """

    encoding: str | None = None
    sheet: str | None = None
    header_row: int | None = None

    def over(self, base: ReadOptions) -> ReadOptions:
        """These options, and ``base``'s where these leave one unset (the analyst's choice over
        a mapping's)."""
        return ReadOptions(
            *(
                mine if mine is not None else theirs
                for mine, theirs in zip(astuple(self), astuple(base), strict=True)
            )
        )


@dataclass(frozen=True)
class FormulaCell:
    """A workbook cell of a formula whose value no spreadsheet calculated.

    Attributes
    ----------
    column : str
        The table's column it is in.
    row : int
        Its row as the validation report numbers rows.
    cell : str
        Where it is in the workbook, ``Sheet1!D7``.
    formula : str
        The formula, ``=B7*2`` (empty for a shared formula's copy).
    """

    column: str
    row: int
    cell: str
    formula: str


@dataclass(frozen=True)
class RawTable:
    """An upload as text cells.

    Attributes
    ----------
    frame : pl.DataFrame
        All columns String; column names as in the file (stripped).
    kind : str
        ``csv``, ``xlsx``, ``ods``, ``sav`` or ``parquet``.
    notes : list of Problem
        Warnings about how the file was read (encoding, delimiter, header rows, sheets) and
        row-level problems found while reading (ragged rows).
    questions : dict
        Column -> its question text, where the file gives one.
    first_row : int
        The file's row number of the first data row (the header is row 1 in a plain file).
    tool : str or None
        The survey tool whose export layout was recognised.
    sheets : tuple of str
        A workbook's sheets; ``sheet`` the one read.
    value_labels : dict
        Column -> code -> label, from an SPSS file.
    encoding : str or None
        The codec a CSV was read with when it was detected, not certain (it may be wrong).
    formulas : tuple of FormulaCell
        A workbook's formula cells without a calculated value (validation refuses those in
        score columns: the reader would read them as empty or 0).
    """

    frame: pl.DataFrame
    kind: str
    notes: list[Problem]
    questions: dict[str, str] = field(default_factory=dict)
    first_row: int = 2
    tool: str | None = None
    sheets: tuple[str, ...] = ()
    sheet: str | None = None
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    encoding: str | None = None
    formulas: tuple[FormulaCell, ...] = ()


def _fail(rule: str, message: str, **where: object) -> ReadError:
    return ReadError(Problem(rule=rule, message=message, **where))


def _warning(rule: str, message: str) -> Problem:
    return Problem(rule=rule, message=message, severity="warning")


def read_table(data: bytes, filename: str, options: ReadOptions | None = None) -> RawTable:
    """Read an upload into text cells.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The file's name (used in messages and as a hint only).
    options : ReadOptions, optional
        The analyst's encoding, sheet and header row.

    Returns
    -------
    RawTable

    Raises
    ------
    ReadError
        Empty file, a file that is not a spreadsheet, a damaged or oversized Excel file,
        an unreadable CSV or one whose encoding cannot be told. The problem names the rule and
        the next step.
    """
    options = options or ReadOptions()
    if not _CONTENT.search(data):
        raise _fail(
            "empty_file", "The file is empty. Export the survey wave again and upload that file."
        )
    for magic, kind in _NOT_TABLES.items():
        if data.startswith(magic):
            raise _fail(
                "not_a_table",
                f"This file is {kind}, not a survey table. Upload the survey export as {FORMATS}.",
            )
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _fail(  # an OLE container: Excel 97-2003, or a workbook with a password
            "unsupported_format",
            f"{filename} is an old Excel .xls file, or a workbook protected by a password. "
            f"Remove the password if it has one. {_SAVE_AS}",
        )
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm", ".ods")):
        return _read_workbook(data, filename, options)
    if data[:4] == b"PAR1":
        return _read_parquet(data)
    if data[:4] in (b"$FL2", b"$FL3"):
        return _read_sav(data, filename)
    if filename.lower().endswith(".xls") and _plain_text(data):
        table = _read_csv(data, options)  # survey tools download TSV named .xls
        table.notes.insert(
            0,
            _warning(
                "text_named_xls",
                f"{filename} is a text file named .xls, not an Excel workbook; it was read as "
                "delimited text.",
            ),
        )
        return table
    if filename.lower().endswith((".xls", ".xlsb", ".numbers")):
        raise _fail(  # survey tools' ".xls" downloads are often web pages
            "unsupported_format",
            f"{filename} is not a workbook gapmodel can read (it may be a web page or a text "
            f"file named {Path(filename).suffix}). {_SAVE_AS}",
        )
    if filename.lower().endswith(".parquet"):
        raise _fail("damaged_file", "The file is named .parquet but is not a valid Parquet file.")
    if filename.lower().endswith((".sav", ".zsav")):
        raise _fail("damaged_file", f"{filename} is named .sav but is not an SPSS data file.")
    return _read_csv(data, options)


def _plain_text(data: bytes) -> bool:
    """Whether the bytes look like delimited text: no NUL byte, and not markup (a web page or
    XML, whose first non-blank character is ``<``)."""
    if b"\x00" in data:
        return False
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return not start.startswith(b"<")


# -- Excel and OpenDocument workbooks ------------------------------------------------------------
def _read_workbook(data: bytes, filename: str, options: ReadOptions) -> RawTable:
    kind, archive = _check_archive(data, filename)
    scans = _SheetScans(archive, filename) if kind == "xlsx" else None
    try:
        reader = fastexcel.read_excel(data)
        sheets = tuple(reader.sheet_names)
    except Exception as exc:  # noqa: BLE001 - any reader failure means the same to the user
        raise _fail(
            "damaged_file", f"{filename} could not be read as a workbook ({shorten(exc)})."
        ) from None
    if not sheets:
        raise _fail("empty_file", f"{filename} has no worksheets.")
    try:
        name, skipped, oversized = _choose_sheet(reader, sheets, options, scans)
        scan = scans.check(name) if scans else SheetScan()
        grid = reader.load_sheet(name, header_row=None, dtypes="string").to_polars()
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _fail(
            "damaged_file", f"{filename} could not be read as a workbook ({shorten(exc)})."
        ) from None
    header = _header(grid.head(LOOK_AT).rows(), options)
    notes = oversized + _header_notes(header)
    if len(sheets) > 1:
        others = [s for s in sheets if s != name]
        why = f" (no table on {', '.join(map(repr, skipped))})" if skipped else ""
        notes.append(
            _warning(
                "extra_sheets",
                f"Read the worksheet {name!r} ({sheets.index(name) + 1} of {len(sheets)}); "
                f"{len(others)} other sheet(s) were not read{why}. To read another, choose it "
                "(the sheet choice on the Data page, --sheet on the command line).",
            )
        )
    frame = grid.slice(header.first_data_row)
    frame.columns = _unique(header.names + [""] * (frame.width - len(header.names)))
    uncalculated = scans is not None and scans.calculates_on_load
    return RawTable(
        frame,
        kind,
        notes,
        questions=_questions(frame.columns, header),
        first_row=header.first_data_row + 1,
        tool=header.tool,
        sheets=sheets,
        sheet=name,
        formulas=_formula_cells(scan, name, frame.columns, header, uncalculated),
    )


class _SheetScans:
    """Each worksheet of an .xlsx scanned (:func:`scan_sheet`) before the reader loads it."""

    def __init__(self, archive: zipfile.ZipFile, filename: str):
        self.archive, self.filename = archive, filename
        self.parts = sheet_parts(archive)
        self.calculates_on_load = calculates_on_load(archive)
        self.done: dict[str, SheetScan] = {}

    def check(self, sheet: str) -> SheetScan:
        """The scan of ``sheet``; ReadError when it is too large to read or cannot be found."""
        if sheet not in self.done:
            try:
                self.done[sheet] = scan_sheet(self.archive, self.parts[sheet], sheet)
            except SheetTooLarge as exc:
                raise _fail("sheet_too_large", f"{self.filename}: {exc}") from None
            except (KeyError, zipfile.BadZipFile, OSError, zlib.error):
                raise _fail(
                    "damaged_file",
                    f"{self.filename} is damaged: its sheet {sheet!r} cannot be found in the "
                    "workbook. Open it in Excel, save it again as .xlsx, or export CSV.",
                ) from None
        return self.done[sheet]


def _formula_cells(
    scan: SheetScan, sheet: str, columns: list[str], header: Header, uncalculated: bool
) -> tuple[FormulaCell, ...]:
    """The formula cells of the table without a calculated value (all of them when the
    workbook asks to be calculated on opening: the values it holds are placeholders)."""
    cells = []
    for formula in scan.formulas:
        if formula.calculated and not uncalculated:
            continue
        row = formula.row - scan.first_row - header.first_data_row  # row in the table
        column = formula.column - scan.first_column
        if row < 0 or not 0 <= column < len(columns):
            continue
        cells.append(
            FormulaCell(
                columns[column],
                header.first_data_row + 1 + row,
                f"{sheet}!{column_letters(formula.column)}{formula.row}",
                f"={formula.formula}" if formula.formula else "",
            )
        )
    return tuple(cells)


def _choose_sheet(
    reader: fastexcel.ExcelReader,
    sheets: tuple[str, ...],
    options: ReadOptions,
    scans: _SheetScans | None,
) -> tuple[str, list[str], list[Problem]]:
    """The sheet the analyst named, else the first that holds a table (a header of two or more
    named columns with a row under it); the sheets skipped before it for holding no table, and
    a note for each skipped for being too large to read (refused if no other holds a table)."""
    if options.sheet:
        wanted = options.sheet.strip()
        by_name = {s.casefold(): s for s in sheets}
        if wanted.casefold() in by_name:
            return by_name[wanted.casefold()], [], []
        if wanted.isdigit() and 1 <= int(wanted) <= len(sheets):
            return sheets[int(wanted) - 1], [], []
        raise _fail(
            "unknown_sheet",
            f"The workbook has no sheet {wanted!r}; its sheets are "
            f"{', '.join(map(repr, sheets))}. Name one of them, or its number from 1.",
        )
    skipped, oversized = [], []
    for name in sheets:
        if scans is not None:  # the reader loads the whole sheet to give its first rows
            try:
                scans.check(name)
            except ReadError as exc:
                if exc.problem.rule != "sheet_too_large":
                    raise
                oversized.append(exc)  # a cover sheet formatted to XFD1048576: look further
                continue
        head = reader.load_sheet(name, header_row=None, dtypes="string", n_rows=LOOK_AT)
        rows = head.to_polars().rows()
        header = find_header(rows) if rows else None
        if header and sum(1 for n in header.names if n) >= 2 and len(rows) > header.first_data_row:
            return name, skipped, [_oversized_note(exc) for exc in oversized]
        skipped.append(name)
    if oversized:  # no other sheet holds a table: it may be in the one too large to read
        raise oversized[0]
    return sheets[0], [], []


def _oversized_note(refused: ReadError) -> Problem:
    return _warning(
        "sheet_too_large",
        f"A sheet was skipped, too large to read: {refused.problem.message}",
    )


def _check_archive(data: bytes, filename: str) -> tuple[str, zipfile.ZipFile]:
    """``xlsx`` or ``ods``, and the archive, after checking the zip archive: its members, the
    size it would expand to (decompression bombs) and every member's checksum (truncation)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _fail(
            "damaged_file",
            f"{filename} is not a valid .xlsx file (it may be truncated or damaged). "
            "Open it in Excel, save it again as .xlsx, or export CSV.",
        ) from None
    names = {i.filename for i in infos}
    other = next((kind for member, kind in _OTHER_WORKBOOKS.items() if member in names), None)
    if other is not None:
        raise _fail("unsupported_format", f"{filename} is {other}. {_SAVE_AS}")
    if "xl/workbook.xml" in names:
        kind = "xlsx"
    elif "content.xml" in names and b"opendocument.spreadsheet" in archive.read("mimetype")[:100]:
        kind = "ods"
    else:
        raise _fail(
            "unsupported_format",
            f"{filename} is a zip archive but not an Excel or OpenDocument workbook. Upload "
            f"{FORMATS}.",
        )
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > XLSX_MAX_UNCOMPRESSED:
        raise _fail(
            "xlsx_too_large",
            f"{filename} would expand to {total / 1e6:,.0f} MB when opened (compressed "
            f"{packed / 1e6:,.1f} MB); the limit is {XLSX_MAX_UNCOMPRESSED / 1e6:,.0f} MB. "
            "Export the wave as CSV or Parquet instead.",
        )
    if total > 50 * 1024 * 1024 and total / packed > XLSX_MAX_RATIO:
        raise _fail(
            "xlsx_too_large",
            f"{filename} would expand {total / packed:,.0f} times to {total / 1e6:,.0f} MB when "
            "opened, far more than a real workbook does; it was not opened. "
            "Export the wave as CSV or Parquet instead.",
        )
    try:
        for info in infos:  # CRC check of every member catches truncation inside the archive
            with archive.open(info) as member:
                while member.read(1 << 20):
                    pass
    # zlib.error: a damaged deflate stream; NotImplementedError: a damaged compression method;
    # RuntimeError: a member marked as encrypted.
    except (
        zipfile.BadZipFile,
        OSError,
        EOFError,
        ValueError,
        zlib.error,
        NotImplementedError,
        RuntimeError,
    ):
        raise _fail(
            "damaged_file",
            f"{filename} is damaged (a part of the workbook fails its checksum). Save it again.",
        ) from None
    return kind, archive


# -- SPSS and Parquet ----------------------------------------------------------------------------
def _read_sav(data: bytes, filename: str) -> RawTable:
    """An SPSS file: its variables, their labels as question texts and their value labels."""
    import pyreadstat  # imported here: only SPSS uploads need it

    try:
        frame, meta = pyreadstat.read_sav(io.BytesIO(data), output_format="polars")
    except Exception as exc:  # noqa: BLE001
        raise _fail(
            "damaged_file",
            f"{filename} could not be read as an SPSS file ({shorten(exc)}). Export it from "
            "SPSS or the survey tool again, or export CSV.",
        ) from None
    table = _as_text(frame)
    labels = meta.column_names_to_labels or {}
    value_labels = {
        str(column).strip(): {_code_text(code): str(label) for code, label in codes.items()}
        for column, codes in (meta.variable_value_labels or {}).items()
    }
    questions = {str(c).strip(): str(t) for c, t in labels.items() if t}
    return RawTable(table, "sav", [], questions=questions, value_labels=value_labels)


def _code_text(code: object) -> str:
    """A value label's code as the cell text reads it (``1.0`` -> ``1``)."""
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code).strip()


def _read_parquet(data: bytes) -> RawTable:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception:  # noqa: BLE001
        raise _fail(
            "damaged_file",
            "The Parquet file could not be read (it may be truncated). Export it again.",
        ) from None
    return RawTable(_as_text(frame), "parquet", [])


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text; whole floats (4.0) read back as integers (4).

    Columns are taken by position: a name such as ``*`` or ``^a$`` is a pattern to ``pl.col``.
    """
    flat = [(n, t) for n, t in frame.schema.items() if t.is_nested() or t in (pl.Binary, pl.Object)]
    if flat:
        kinds = sorted(
            {"nested lists or records" if t.is_nested() else "binary data" for _, t in flat}
        )
        raise _fail(
            "unsupported_column",
            f"The column(s) {', '.join(repr(shorten(n)) for n, _ in flat[:10])}"
            f"{f' and {len(flat) - 10} more' if len(flat) > 10 else ''} hold "
            f"{' and '.join(kinds)}, not answers. Export the survey as a flat table (one value "
            "per cell), or drop those columns.",
            column=shorten(flat[0][0]),
        )
    columns = []
    for position, dtype in enumerate(frame.dtypes):
        col = pl.nth(position)
        if dtype.is_float():  # whole numbers as integers; inf, NaN and 1e20 as written
            whole = (col == col.round(0)) & (col.abs() < 1e15)
            col = (
                pl.when(whole)
                .then(col.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(col.cast(pl.String))
            )
        elif dtype == pl.Duration:  # no cast to text: ISO 8601 (P1DT2H)
            col = col.dt.to_string("iso")
        elif dtype != pl.String:
            col = col.cast(pl.String)
        columns.append(col.alias(f"column_{position}"))
    try:
        out = frame.select(columns)
    except _CAST_ERRORS:
        bad = _uncastable(frame, columns)
        raise _fail(
            "unsupported_column",
            f"The column(s) {', '.join(repr(shorten(c)) for c in bad[:5])} hold values of a type "
            f"({', '.join(str(frame.schema[c]) for c in bad[:5])}) that cannot be read as "
            "answers. Export the survey as a flat table of numbers and text.",
            column=shorten(bad[0]) if bad else None,
        ) from None
    out.columns = _unique([str(name).strip() for name in frame.columns])
    return out


# A value the cast cannot take (a date 5 million years on) makes polars panic, not raise.
_CAST_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException)


def _uncastable(frame: pl.DataFrame, columns: list[pl.Expr]) -> list[str]:
    """The columns whose cast to text fails: in the first 100 rows, else in the whole column,
    else (if each casts alone) every column that is not already text or a number."""
    pairs = list(zip(frame.columns, columns, strict=True))
    for sample in (frame.head(100), frame):
        bad = [name for name, expr in pairs if not _casts(sample, expr)]
        if bad:
            return bad
    return [
        name
        for name, dtype in frame.schema.items()
        if dtype != pl.String and not dtype.is_numeric()
    ]


def _casts(frame: pl.DataFrame, expr: pl.Expr) -> bool:
    try:
        frame.select(expr)
    except _CAST_ERRORS:
        return False
    return True


def _unique(names: list[str]) -> list[str]:
    """Names made unique the way polars marks a repeated CSV header (``name_duplicated_0``), so
    that names equal only after stripping spaces are reported as duplicates, not raised on."""
    seen: set[str] = set()
    tried: dict[str, int] = {}  # name -> the next number to try: linear for 16,384 blanks
    out = []
    for name in names:
        unique, k = name, tried.get(name, 0)
        while unique in seen:
            unique, k = f"{name}_duplicated_{k}", k + 1
        tried[name] = k
        seen.add(unique)
        out.append(unique)
    return out


# -- The header ----------------------------------------------------------------------------------
def _header(rows: list[tuple], options: ReadOptions) -> Header:
    """The header of the first rows, at the analyst's row when named."""
    if options.header_row is not None:
        if not 1 <= options.header_row <= max(1, len(rows)):
            raise _fail(
                "header_row",
                f"The header row {options.header_row} is not among the first {len(rows)} rows.",
            )
        return find_header([list(r) for r in rows], options.header_row - 1)
    return find_header([list(r) for r in rows])


def _header_notes(header: Header) -> list[Problem]:
    """What the report says about where the header was found."""
    notes = []
    if header.tool:
        notes.append(
            _warning(
                "survey_tool",
                f"Read as a {header.tool} export: the header is row {header.row + 1}"
                + (
                    f", and the {header.text_rows} row(s) under it are question texts, not answers."
                    if header.text_rows
                    else "."
                ),
            )
        )
    elif header.row:
        notes.append(
            _warning(
                "header_row",
                f"The header is row {header.row + 1}; the {header.row} row(s) above it (a title) "
                "were not read.",
            )
        )
    return notes


def _questions(columns: list[str], header: Header) -> dict[str, str]:
    """Column -> question text, where the question text says more than the column's name."""
    return {
        column: question
        for column, question in zip(columns, header.questions, strict=False)
        if question and question != column
    }


# -- CSV -----------------------------------------------------------------------------------------
def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab |`` that splits the first lines most consistently (title
    lines of one field do not count)."""
    lines = [line for line in text[:200_000].splitlines()[:50] if line.strip()]
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # e.g. a field beyond the csv module's size limit: not this one
            continue
        counts = [c for c in counts if c >= 2]
        if not counts:
            continue
        width = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(width), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _decode(data: bytes, options: ReadOptions) -> Decoded:
    try:
        return decode(data, options.encoding)
    except EncodingUnknown as exc:
        head = data[:4096]
        if sum(1 for b in head if b < 9 or 13 < b < 32) > len(head) // 20:  # control bytes
            raise _fail(
                "not_a_table",
                f"This file is not a spreadsheet (it looks like binary data). Upload {FORMATS}.",
            ) from None
        raise ReadError(
            Problem(rule="encoding_unknown", message=str(exc)), exc.candidates
        ) from None
    except LookupError as exc:
        raise _fail("encoding_unknown", str(exc)) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(
            "encoding_mismatch",
            f"The file cannot be read as {options.encoding}: the bytes at line {line} are not "
            f"text in that encoding. Name another encoding, or save the file as UTF-8.",
            row=line,
        ) from None


def _read_csv(data: bytes, options: ReadOptions) -> RawTable:
    decoded = _decode(data, options)
    text = decoded.text
    printable = sum(1 for ch in text[:4096] if ch.isprintable() or ch in "\r\n\t")
    if printable < 0.9 * min(len(text), 4096):
        raise _fail(
            "not_a_table",
            f"This file is not a spreadsheet (it looks like binary data). Upload {FORMATS}.",
        )
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _fail(
            "null_byte",
            f"The file contains a NULL byte at line {line}, so it is damaged. Remove it, or "
            f"export the survey again as {FORMATS}.",
            row=line,
        )
    notes: list[Problem] = []
    first_line = text[: text.find("\n")] if "\n" in text else text
    hint = _SEP_HINT.match(first_line)
    hint_lines = 1 if hint else 0
    if hint:
        text = text[len(first_line) + 1 :]
    delimiter = hint[1] if hint else sniff_delimiter(text)
    if decoded.detected:
        notes.append(
            _warning(
                "encoding",
                f"The file is not UTF-8; it was read as {decoded.encoding}, detected from its "
                "bytes. If names or labels look wrong, name the encoding (--encoding on the "
                "command line, the encoding choice on the Data page).",
            )
        )
    elif decoded.encoding != "UTF-8":
        notes.append(_warning("encoding", f"The file was read as {decoded.encoding}."))
    if delimiter != ",":
        notes.append(
            _warning(
                "delimiter",
                f"Columns are separated by {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}s.",
            )
        )
    header = _header(_head_rows(text, delimiter), options)
    notes += _header_notes(header)
    if len(data) <= _SCAN_BYTES:
        notes.extend(_ragged_rows(text, delimiter, header.row, hint_lines))
    try:
        frame = pl.read_csv(
            text.encode("utf-8") if hint or decoded.encoding != "UTF-8" else data,
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=True,
            skip_rows=header.row,
        )
    except pl.exceptions.PolarsError as exc:
        ragged = _ragged_rows(text, delimiter, header.row, hint_lines)
        if ragged:
            raise ReadError(ragged[0]) from None
        raise _fail("unreadable_csv", f"The CSV could not be parsed ({shorten(exc)}).") from None
    frame = frame.slice(header.text_rows)
    frame.columns = _header_names(header, frame.columns)
    return RawTable(
        frame,
        "csv",
        notes,
        questions=_questions(frame.columns, header),
        first_row=hint_lines + header.first_data_row + 1,
        tool=header.tool,
        encoding=decoded.codec if decoded.detected else None,
    )


def _head_rows(text: str, delimiter: str) -> list[list[str]]:
    """The first rows as the csv module reads them (quotes and doubled quotes resolved)."""
    try:
        reader = csv.reader(io.StringIO(text[:1_000_000]), delimiter=delimiter)
        return [row for _, row in zip(range(LOOK_AT), reader, strict=False)]
    except csv.Error:
        return []


def _header_names(header: Header, columns: list[str]) -> list[str]:
    """Column names as the header spells them (the csv module's reading: polars keeps doubled
    quote characters inside a quoted header cell), stripped and unique."""
    names = [
        header.names[k] if k < len(header.names) else column.strip()
        for k, column in enumerate(columns)
    ]
    return _unique([name.strip() for name in names])


def _ragged_rows(
    text: str, delimiter: str, header_row: int = 0, hint_lines: int = 0, limit: int = 50
) -> list[Problem]:
    """Rows whose number of fields differs from the header's."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for _ in range(header_row):
            next(reader)
        header = next(reader)
    except (StopIteration, csv.Error):
        return problems
    width = len(header)
    try:
        for row in reader:
            if row and len(row) != width and any(cell.strip() for cell in row):
                problems.append(
                    Problem(
                        rule="ragged_row",
                        message=f"This row has {len(row)} fields but the header has {width}. "
                        "Check for an unquoted delimiter or a missing value.",
                        row=reader.line_num + hint_lines,
                    )
                )
                if len(problems) >= limit:
                    break
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            problems.append(
                Problem(
                    rule="too_long",
                    message=f"A cell is longer than {csv.field_size_limit():,} characters (an "
                    "unclosed quote can cause this); cells may hold at most 200.",
                    row=reader.line_num + hint_lines,
                )
            )
        else:
            problems.append(
                Problem(
                    rule="unreadable_csv",
                    message=f"Malformed CSV: {exc}.",
                    row=reader.line_num + hint_lines,
                )
            )
    return problems
