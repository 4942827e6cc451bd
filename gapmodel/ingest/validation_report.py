"""The validation report: every problem found in an upload, as row, column, value and rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from gapmodel.core.formulas import csv_bytes

MAX_LISTED = 1000  # problems kept in detail; the rest are counted per rule
ROWS_LISTED = 200  # rows listed per rule and column by one check; the rest are counted
PREVIEW_ROWS = 20  # rows of the file kept for a preview
_VALUE_CHARS = 80


@dataclass(frozen=True)
class Problem:
    """One finding about an upload.

    Attributes
    ----------
    rule : str
        Machine-readable rule name, e.g. ``out_of_scale``, ``unknown_item``.
    message : str
        A sentence for a person: what is wrong and what to do.
    row : int or None
        Spreadsheet row number (the header is row 1), when the problem is in one row.
    column : str or None
        Column name as it appears in the file.
    value : str or None
        The offending value, shortened to 80 characters.
    severity : str
        ``error`` blocks the ingest; ``warning`` is information.
    """

    rule: str
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"


def shorten(value: object) -> str | None:
    """Printable, bounded text of a value for a report (control characters made visible)."""
    if value is None:
        return None
    text = str(value)
    text = "".join(ch if ch.isprintable() else _escaped(ch) for ch in text)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _escaped(ch: str) -> str:
    """A character that does not print, as Python writes it: ``\\x09``, ``\\u200b``."""
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


@dataclass
class ValidationReport:
    """All problems of one upload, plus what was understood of it.

    Attributes
    ----------
    source_name : str
    layout : str or None
        ``wide`` or ``long`` once detected.
    n_rows, n_respondents, n_pairs : int
        Data rows read, distinct respondents, and complete E/P pairs.
    problems : list of Problem
        At most ``MAX_LISTED`` listed in detail.
    preview : pl.DataFrame or None
        The first ``PREVIEW_ROWS`` rows as read (text cells), when the file could be read.
    originals : dict of str to pl.DataFrame
        Column -> the cells (``row`` and the column) that were not in their normal form, as
        the file wrote them (:mod:`gapmodel.ingest.normalise`).
    omitted : dict
        Rule -> number of further problems of that rule not listed.
    formula_cells : tuple
        The file's formula cells without a calculated value
        (:class:`gapmodel.ingest.readers.FormulaCell`), for the score checks.
    """

    source_name: str
    layout: str | None = None
    n_rows: int = 0
    n_respondents: int = 0
    n_pairs: int = 0
    problems: list[Problem] = field(default_factory=list)
    omitted: dict[str, int] = field(default_factory=dict)
    preview: pl.DataFrame | None = field(default=None, compare=False, repr=False)
    originals: dict[str, pl.DataFrame] = field(default_factory=dict, compare=False, repr=False)
    formula_cells: tuple = field(default=(), compare=False, repr=False)

    def add(self, problem: Problem) -> None:
        """Record a problem (counted only, once ``MAX_LISTED`` are listed)."""
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)
        else:
            self.omitted[problem.rule] = self.omitted.get(problem.rule, 0) + 1

    def add_many(self, problems: list[Problem], total: int | None = None) -> None:
        """Record problems of one rule; ``total`` counts those not materialised."""
        for problem in problems:
            self.add(problem)
        if total is not None and problems and total > len(problems):
            rule = problems[0].rule
            self.omitted[rule] = self.omitted.get(rule, 0) + total - len(problems)

    def add_cells(
        self, cells: pl.DataFrame, rule: str, message: Callable[[object], str], column: str
    ) -> None:
        """One problem per bad cell: ``cells`` holds ``row`` and the cell's value (its second
        column); ``message(value)`` says what is wrong. The first ``ROWS_LISTED`` are listed,
        all are counted."""
        shown = cells.select("row", cells.columns[1]).head(ROWS_LISTED)
        problems = [
            Problem(rule=rule, message=message(v), row=r, column=column, value=shorten(v))
            for r, v in shown.iter_rows()
        ]
        self.add_many(problems, cells.height)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the ingest."""
        return not self.errors and not self.omitted_errors

    @property
    def omitted_errors(self) -> int:
        error_rules = {p.rule for p in self.problems if p.severity == "error"}
        return sum(n for rule, n in self.omitted.items() if rule in error_rules)

    def error_count(self) -> int:
        return len(self.errors) + self.omitted_errors

    def rule_counts(self) -> dict[str, int]:
        """Number of problems per rule, listed and omitted together."""
        counts: dict[str, int] = {}
        for p in self.problems:
            counts[p.rule] = counts.get(p.rule, 0) + 1
        for rule, n in self.omitted.items():
            counts[rule] = counts.get(rule, 0) + n
        return counts

    def summary(self) -> str:
        """One line: the verdict and the first problem."""
        if self.ok:
            extra = f" ({len(self.warnings)} warning(s))" if self.warnings else ""
            return (
                f"{self.source_name}: valid {self.layout} file, {self.n_respondents:,} respondents, "
                f"{self.n_pairs:,} complete pairs{extra}."
            )
        first = self.errors[0]
        where = _where(first)
        more = self.error_count() - 1
        tail = f" (and {more:,} more problem(s); see the full report)" if more else ""
        return f"{self.source_name}: {where}{first.message}{tail}"

    def to_frame(self) -> pl.DataFrame:
        """The listed problems as a table: ``severity, rule, row, column, value, message``."""
        return pl.DataFrame(
            {
                "severity": [p.severity for p in self.problems],
                "rule": [p.rule for p in self.problems],
                "row": [p.row for p in self.problems],
                "column": [p.column for p in self.problems],
                "value": [p.value for p in self.problems],
                "message": [p.message for p in self.problems],
            },
            schema={
                "severity": pl.String,
                "rule": pl.String,
                "row": pl.Int64,
                "column": pl.String,
                "value": pl.String,
                "message": pl.String,
            },
        )

    def to_text(self) -> str:
        """The report as plain text, one problem a line."""
        lines = [self.summary()]
        for p in self.problems:
            lines.append(f"  {p.severity}: {_where(p)}{p.message} [{p.rule}]")
        for rule, n in sorted(self.omitted.items()):
            lines.append(f"  ... and {n:,} more of rule {rule}")
        return "\n".join(lines)

    def to_csv_bytes(self) -> bytes:
        """The report as CSV for download (text cells neutralised against formula injection)."""
        return csv_bytes(self.to_frame())


def _where(p: Problem) -> str:
    parts = []
    if p.row is not None:
        parts.append(f"row {p.row:,}")
    if p.column is not None:
        parts.append(f"column {p.column!r}")
    return (", ".join(parts) + ": ") if parts else ""
