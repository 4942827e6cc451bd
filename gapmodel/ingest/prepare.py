"""From an upload's bytes to a validated wave: file checks, layout detection, the wave to store.

Wide layout (:mod:`gapmodel.ingest.wide`): one row per respondent, one column per stage x item x
measure. Long layout (:mod:`gapmodel.ingest.long`): ``respondent_id, stage, item, expectation,
perception[, adequate, importance]``, one row per respondent x stage x item.

Both may carry respondent attributes (every other column is an attribute by its own name:
segment, channel, age band, ...) and importance points per dimension (``points.<dimension>``,
summing to 100).
"""

from __future__ import annotations

import hashlib
import re

import polars as pl

from gapmodel.core import settings
from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import clean_name
from gapmodel.ingest import long, wide
from gapmodel.ingest.attributes import pattern_name
from gapmodel.ingest.cells import MAX_TEXT
from gapmodel.ingest.isolated import read_table
from gapmodel.ingest.mapped import mapped_columns, mapping_instrument
from gapmodel.ingest.mapping import Mapping
from gapmodel.ingest.normalise import normalise_cells
from gapmodel.ingest.readers import (
    DUPLICATED,
    MAX_COLUMNS,
    RawTable,
    ReadError,
    ReadOptions,
)
from gapmodel.ingest.validation_report import PREVIEW_ROWS, Problem, ValidationReport, shorten
from gapmodel.storage.prepared_wave import PreparedWave


def parse_scale(text: str | tuple[int, int]) -> tuple[int, int]:
    """Parse a declared scale such as ``"1-7"``.

    Raises
    ------
    ValueError
        Unless the scale is ``min-max`` with min 0 or 1 and max an integer from 3 to 11.

    Examples
    --------
    >>> parse_scale("1-7")
    (1, 7)
    """
    if isinstance(text, tuple):
        low, high = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*(?:-|to|\.\.)\s*(\d+)\s*", str(text))
        if not match:
            raise ValueError(f"The scale must look like 1-7 (minimum-maximum). Got {text!r}.")
        low, high = int(match[1]), int(match[2])
    if low not in (0, 1) or not 3 <= high <= 11:
        raise ValueError(
            f"The scale must start at 0 or 1 and end at an integer from 3 to 11. Got {low}-{high}."
        )
    return low, high


def prepare_wave(
    data: bytes,
    filename: str,
    instrument: Instrument,
    scale: str | tuple[int, int] = (1, 7),
    options: ReadOptions | None = None,
    mapping: Mapping | None = None,
) -> tuple[PreparedWave | None, ValidationReport]:
    """Read, validate and normalise one survey wave; write nothing.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    filename : str
        Its name, for messages.
    instrument : Instrument
        The questionnaire the wave was fielded with.
    scale : str or (int, int)
        Declared scale, e.g. ``"1-7"``.
    options : ReadOptions, optional
        The analyst's encoding, sheet and header row; where one is not set, the mapping's.
    mapping : Mapping, optional
        What each column holds (:mod:`gapmodel.ingest.mapping`); else the columns are read by
        their names.

    Returns
    -------
    (PreparedWave or None, ValidationReport)
        The prepared wave is None when the report has errors.

    Notes
    -----
    A pair with E or P missing is kept (the other score is data) but only complete pairs
    count in the analysis. Missing-value tokens: empty, NA, N/A, NaN, null, none, -, ., #N/A.
    """
    report = ValidationReport(source_name=filename)
    too_large = size_problem(len(data))
    if too_large is not None:
        report.add(too_large)
        return None, report
    base = mapping.options if mapping is not None else ReadOptions()
    try:
        table = read_table(data, filename, (options or ReadOptions()).over(base))
    except ReadError as exc:
        report.add(exc.problem)
        return None, report
    return prepare_table(table, data, filename, instrument, scale, mapping)


def size_problem(size: int) -> Problem | None:
    """The problem of a file of ``size`` bytes above the upload limit, or None."""
    limit_mb = settings.get("max_upload_mb")
    if size <= limit_mb * 1024 * 1024:
        return None
    return Problem(
        rule="file_too_large",
        message=f"The file is {size / 1e6:,.0f} MB; the limit is {limit_mb} MB "
        "(GAPMODEL_MAX_UPLOAD_MB). Split the wave or export Parquet.",
    )


def prepare_table(
    table: RawTable,
    data: bytes,
    filename: str,
    instrument: Instrument,
    scale: str | tuple[int, int] = (1, 7),
    mapping: Mapping | None = None,
) -> tuple[PreparedWave | None, ValidationReport]:
    """:func:`prepare_wave` of a file already read (``table``, from its bytes ``data``)."""
    scale = parse_scale(scale)
    report = ValidationReport(source_name=filename)
    for note in table.notes:
        report.add(note)
    report.preview = table.frame.head(PREVIEW_ROWS)
    report.formula_cells = table.formulas
    raw = _rows(report, table.frame, table.first_row, mapped=mapping is not None)
    if raw is None or report.errors:
        return None, report
    raw = normalise_cells(report, raw)
    if mapping is not None:
        report.layout = "mapped"
        instrument = mapping_instrument(report, mapping, instrument)
        columns = (
            None
            if instrument is None
            else mapped_columns(report, raw, mapping, instrument, table.value_labels)
        )
        if columns is None or report.errors:
            return None, report
        raw, scores, roles = columns
        built = wide.build(report, raw, instrument, scale, (scores, roles))
    else:
        report.layout = "long" if long.is_long(raw.columns) else "wide"
        layout = long if report.layout == "long" else wide
        built = layout.build(report, raw, instrument, scale)
    if built is None or report.errors:
        return None, report
    respondents, responses, allocations = built
    if not _count_pairs(report, respondents, responses):
        return None, report
    wave = PreparedWave(
        respondents=respondents,
        responses=responses,
        allocations=allocations,
        scale=scale,
        instrument=instrument,
        source_name=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        source_format=f"{report.layout} {table.kind}",
    )
    return wave, report


def _rows(
    report: ValidationReport, raw: pl.DataFrame, first_row: int = 2, mapped: bool = False
) -> pl.DataFrame | None:
    """The data rows numbered as in the file (``first_row`` is the first data row's number),
    blank rows dropped; None when the header has names validation cannot work with or is too
    long (unless ``mapped``: a mapping names each attribute and says which of two columns of
    the same header to read, so long question texts and repeated headers are fine)."""
    if not _header_problems(report, raw.columns, mapped):
        return None
    raw = _drop_blank_rows(
        raw.with_row_index("row", offset=first_row).with_columns(pl.col("row").cast(pl.Int64))
    )
    raw = _unnamed_columns(report, raw)
    report.n_rows = raw.height
    max_rows = settings.get("max_rows")
    if raw.height == 0:
        report.add(
            Problem(
                rule="no_data_rows",
                message="The file has a header but no data rows. Export the responses too.",
            )
        )
    elif raw.height > max_rows:
        report.add(
            Problem(
                rule="too_many_rows",
                message=f"The file has {raw.height:,} rows; the limit is {max_rows:,} "
                "(GAPMODEL_MAX_ROWS). Split the wave.",
            )
        )
    return raw


def _unnamed_columns(report: ValidationReport, raw: pl.DataFrame) -> pl.DataFrame:
    """Columns without a name: dropped when they are empty too (spreadsheets often have some),
    reported when they hold values (nothing says what those values are)."""
    unnamed = [c for c in raw.columns if not clean_name(c)]
    for position, column in ((raw.columns.index(c), c) for c in unnamed):
        values = raw[column].cast(pl.String).str.strip_chars().replace("", None).drop_nulls()
        if values.len():
            report.add(
                Problem(
                    rule="unnamed_column",
                    message=f"Column {position} has no name but holds values such as "
                    f"{shorten(values[0])!r}. Name it (for example after the attribute it "
                    "holds) or remove it.",
                    column=f"column {position}",
                )
            )
    return raw.drop(unnamed)


def _header_problems(report: ValidationReport, columns: list[str], mapped: bool = False) -> bool:
    """Report reserved, overlong, repeated and too many column names; False when validation
    cannot go on (reserved or overlong names)."""
    reserved = [c for c in columns if _reserved_name(c)]
    for column in reserved:
        report.add(
            Problem(
                rule="reserved_column",
                message=f"The column name {shorten(column)!r} is reserved ('row' holds row "
                "numbers in this report; '*' and names between ^ and $ are patterns). Rename "
                "or remove that column.",
                column=shorten(column),
            )
        )
    if reserved:
        return False
    long_names = [] if mapped else [c for c in columns if len(c) > MAX_TEXT]
    for column in long_names[:20]:  # extra columns are stored by name on every respondent
        report.add(
            Problem(
                rule="too_long",
                message=f"A column name has {len(column):,} characters; at most {MAX_TEXT} are "
                "allowed. Shorten it, or map the columns (python -m gapmodel map FILE).",
                column=shorten(column),
            )
        )
    if long_names:
        return False
    for column in (c for c in columns if DUPLICATED.search(c) and not mapped):
        report.add(
            Problem(
                rule="duplicate_column",
                message=f"The column name {DUPLICATED.sub('', column)!r} appears more than once.",
                column=DUPLICATED.sub("", column),
            )
        )
    if len(columns) > MAX_COLUMNS:
        report.add(
            Problem(
                rule="too_many_columns",
                message=f"The file has {len(columns):,} columns; at most {MAX_COLUMNS:,} are accepted.",
            )
        )
    return True


def _count_pairs(
    report: ValidationReport, respondents: pl.DataFrame, responses: pl.DataFrame
) -> bool:
    """Count respondents and complete pairs into the report; False when no pair is complete."""
    complete = responses.select(
        (pl.col("expectation").is_not_null() & pl.col("perception").is_not_null()).sum()
    ).item()
    report.n_respondents = respondents.height
    report.n_pairs = complete
    incomplete = responses.height - complete
    if incomplete:
        report.add(
            Problem(
                rule="incomplete_pairs",
                message=f"{incomplete:,} answers have E or P missing; they are stored but only "
                "complete pairs are analysed.",
                severity="warning",
            )
        )
    if complete == 0:
        report.add(
            Problem(
                rule="no_complete_pairs",
                message="No respondent answered both E and P for any item.",
            )
        )
        return False
    return True


def _drop_blank_rows(raw: pl.DataFrame) -> pl.DataFrame:
    """Rows whose every cell is empty or blank are not data (spreadsheets often end with some).

    A blank row has a blank first column, so only those few rows get the full check.
    """

    def blank(columns: list[str]) -> pl.Expr:
        return pl.all_horizontal(
            pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in columns
        )

    cells = [c for c in raw.columns if c != "row"]
    if not cells:
        return raw
    candidates = raw.filter(blank(cells[:1]))
    if candidates.is_empty():
        return raw
    blank_rows = candidates.filter(blank(cells))["row"]
    return raw.filter(~pl.col("row").is_in(blank_rows.implode())) if blank_rows.len() else raw


def _reserved_name(name: str) -> bool:
    """Column names validation cannot work with: its own ``row`` column, and names that polars
    reads as a pattern instead of a name (``*``, ``^...$``)."""
    return name == "row" or pattern_name(name)
