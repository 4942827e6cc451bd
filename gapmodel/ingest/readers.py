"""Reading an upload's bytes into a table of text cells: CSV, Excel (.xlsx) or Parquet.

The format is recognised from the bytes, not the file name. Every cell comes back as text (or
null) so that validation can report the value exactly as the file had it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass

import polars as pl

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


class ReadError(Exception):
    """The file cannot be read as a table at all; ``problem`` says why and what to do."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


@dataclass(frozen=True)
class RawTable:
    """An upload as text cells.

    Attributes
    ----------
    frame : pl.DataFrame
        All columns String; column names as in the file (stripped).
    kind : str
        ``csv``, ``xlsx`` or ``parquet``.
    notes : list of Problem
        Warnings about how the file was read (encoding, delimiter, extra sheets) and row-level
        problems found while reading (ragged rows).
    """

    frame: pl.DataFrame
    kind: str
    notes: list[Problem]


def _fail(rule: str, message: str, **where: object) -> ReadError:
    return ReadError(Problem(rule=rule, message=message, **where))


def read_table(data: bytes, filename: str) -> RawTable:
    """Read an upload into text cells.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        The file's name (used in messages and as a hint only).

    Returns
    -------
    RawTable

    Raises
    ------
    ReadError
        Empty file, a file that is not a spreadsheet, a damaged or oversized Excel file,
        an unreadable CSV. The problem names the rule and the next step.
    """
    if not _CONTENT.search(data):
        raise _fail(
            "empty_file", "The file is empty. Export the survey wave again and upload that file."
        )
    for magic, kind in _NOT_TABLES.items():
        if data.startswith(magic):
            raise _fail(
                "not_a_table",
                f"This file is {kind}, not a survey table. Upload the survey export as .csv, "
                ".xlsx or .parquet.",
            )
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _read_xlsx(data, filename)
    if data[:4] == b"PAR1":
        return _read_parquet(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _fail(
            "unsupported_format",
            "This is an old Excel .xls file. Save it as .xlsx or CSV and upload that.",
        )
    if filename.lower().endswith(".parquet"):
        raise _fail("damaged_file", "The file is named .parquet but is not a valid Parquet file.")
    return _read_csv(data)


# -- Excel -------------------------------------------------------------------------------------
def _read_xlsx(data: bytes, filename: str) -> RawTable:
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
    if "xl/workbook.xml" not in names:
        raise _fail(
            "unsupported_format",
            f"{filename} is a zip archive but not an Excel workbook. Upload .xlsx, .csv or .parquet.",
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
    notes: list[Problem] = []
    try:
        sheets = pl.read_excel(
            io.BytesIO(data), sheet_id=0, engine="calamine", infer_schema_length=0
        )
    except Exception as exc:  # noqa: BLE001 - any reader failure means the same to the user
        raise _fail(
            "damaged_file", f"{filename} could not be read as a workbook ({shorten(exc)})."
        ) from None
    if not sheets:
        raise _fail("empty_file", f"{filename} has no worksheets.")
    first_name, frame = next(iter(sheets.items()))
    if len(sheets) > 1:
        notes.append(
            Problem(
                rule="extra_sheets",
                message=f"Only the first worksheet ({first_name!r}) was read; "
                f"{len(sheets) - 1} other sheet(s) were ignored.",
                severity="warning",
            )
        )
    return RawTable(_as_text(frame), "xlsx", notes)


# -- Parquet -----------------------------------------------------------------------------------
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
    columns = []
    for position, dtype in enumerate(frame.dtypes):
        col = pl.nth(position)
        if dtype.is_float():
            col = (
                pl.when(col == col.round(0))
                .then(col.cast(pl.Int64).cast(pl.String))
                .otherwise(col.cast(pl.String))
            )
        elif dtype != pl.String:
            col = col.cast(pl.String)
        columns.append(col.alias(f"column_{position}"))
    out = frame.select(columns)
    out.columns = _unique([str(name).strip() for name in frame.columns])
    return out


def _unique(names: list[str]) -> list[str]:
    """Names made unique the way polars marks a repeated CSV header (``name_duplicated_0``), so
    that names equal only after stripping spaces are reported as duplicates, not raised on."""
    seen: set[str] = set()
    out = []
    for name in names:
        unique, k = name, 0
        while unique in seen:
            unique, k = f"{name}_duplicated_{k}", k + 1
        seen.add(unique)
        out.append(unique)
    return out


# -- CSV ---------------------------------------------------------------------------------------
def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: BOMs, UTF-16 without BOM, UTF-8, then Windows-1252 / Latin-1.

    Returns
    -------
    (text, encoding name)
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\x00") >= len(head) // 3:
        even_zero = head[0::2].count(0) > head[1::2].count(0)
        encoding = "utf-16-be" if even_zero else "utf-16-le"
        return data.decode(encoding, errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab |`` that splits the first lines most consistently."""
    lines = [line for line in text[:200_000].splitlines()[:50] if line.strip()]
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:  # e.g. a field beyond the csv module's size limit: not this one
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes) -> RawTable:
    text, encoding = decode(data)
    printable = sum(1 for ch in text[:4096] if ch.isprintable() or ch in "\r\n\t")
    if printable < 0.9 * min(len(text), 4096):
        raise _fail(
            "not_a_table",
            "This file is not a spreadsheet (it looks like binary data). Upload .csv, .xlsx or .parquet.",
        )
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise _fail(
            "null_byte",
            f"The file contains a NULL byte at line {line}, so it is damaged. Remove it, or "
            "export the survey again as .csv, .xlsx or .parquet.",
            row=line,
        )
    delimiter = sniff_delimiter(text)
    notes: list[Problem] = []
    if encoding != "UTF-8":
        notes.append(
            Problem(
                rule="encoding",
                message=f"The file was read as {encoding}.",
                severity="warning",
            )
        )
    if delimiter != ",":
        notes.append(
            Problem(
                rule="delimiter",
                message=f"Columns are separated by {_DELIMITER_NAMES[delimiter]}s.",
                severity="warning",
            )
        )
    if len(data) <= _SCAN_BYTES:
        notes.extend(_ragged_rows(text, delimiter))
    try:
        frame = pl.read_csv(
            data if encoding == "UTF-8" else text.encode("utf-8"),
            separator=delimiter,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.PolarsError as exc:
        ragged = _ragged_rows(text, delimiter)
        if ragged:
            raise ReadError(ragged[0]) from None
        raise _fail("unreadable_csv", f"The CSV could not be parsed ({shorten(exc)}).") from None
    frame.columns = _header_names(text, delimiter, frame.columns)
    return RawTable(frame, "csv", notes)


def _header_names(text: str, delimiter: str, columns: list[str]) -> list[str]:
    """Column names as the header spells them, stripped and unique.

    polars keeps the doubled quote characters inside a quoted header cell (a header cell
    written as say ""hi"" inside quotes becomes a name with both quote pairs, not one), so a
    name that differs from Python's CSV reading of the header only in that is taken from the
    latter.
    """
    try:
        header = next(csv.reader(io.StringIO(text[:1_000_000]), delimiter=delimiter), [])
    except csv.Error:
        header = []
    names = []
    for position, column in enumerate(columns):
        name = column
        if position < len(header) and column != header[position]:
            if column == header[position].replace('"', '""'):
                name = header[position]
        names.append(name.strip())
    return _unique(names)


def _ragged_rows(text: str, delimiter: str, limit: int = 50) -> list[Problem]:
    """Rows whose number of fields differs from the header's."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
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
                        row=reader.line_num,
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
                    row=reader.line_num,
                )
            )
        else:
            problems.append(
                Problem(
                    rule="unreadable_csv", message=f"Malformed CSV: {exc}.", row=reader.line_num
                )
            )
    return problems
