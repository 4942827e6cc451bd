"""The problems a check finds in a backup's tables, one validation report per table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from gapmodel.ingest.validation_report import Problem, ValidationReport


@dataclass
class BackupCheck:
    """The problems found in a backup's tables: one validation report per table."""

    reports: dict[str, ValidationReport] = field(default_factory=dict)

    def report(self, table: str) -> ValidationReport:
        return self.reports.setdefault(table, ValidationReport(source_name=table))

    def add(self, table: str, problem: Problem) -> None:
        self.report(table).add(problem)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports.values())

    def error_count(self) -> int:
        return sum(r.error_count() for r in self.reports.values())

    def lines(self, severity: str = "error") -> Iterator[str]:
        """One line per problem of ``severity`` (``error`` or ``warning``): table, row,
        column, value, what is wrong, the rule."""
        for table, report in self.reports.items():
            for p in report.errors if severity == "error" else report.warnings:
                where = [f"table {table}"]
                if p.row is not None:
                    where.append(f"row {p.row:,}")
                if p.column is not None:
                    where.append(f"column {p.column}")
                if p.value is not None:
                    where.append(f"value '{p.value}'")
                yield f"{', '.join(where)}: {p.message} [{p.rule}]"
            for rule, n in sorted(report.omitted.items()) if severity == "error" else ():
                yield f"table {table}: ... and {n:,} more of rule {rule}"
