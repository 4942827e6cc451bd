"""The project's exceptions. Each carries enough context for the UI to say what to do next."""

from __future__ import annotations


class GapmodelError(Exception):
    """Base class for errors a user can act on."""


class InstrumentError(GapmodelError, ValueError):
    """An instrument file is invalid; ``problems`` holds one sentence per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("Invalid instrument: " + " ".join(self.problems))


class SettingsError(GapmodelError, ValueError):
    """A settings file (such as the targets file) cannot be used; the message says why."""


class StoreError(GapmodelError):
    """A store operation was refused or failed."""


class DatabaseLockedError(StoreError):
    """Another process holds the database file."""


class DatabaseFault(StoreError):
    """The database file, its folder or its disk cannot be used as they are; the message names
    the file and the next step (restore from a backup, free space, fix the path)."""


class DamagedDatabaseError(DatabaseFault):
    """The database file is truncated, corrupted, or not a DuckDB file at all."""


class WriteAheadLogError(DatabaseFault):
    """The ``.wal`` file beside the database is damaged or belongs to another copy of it."""


class DiskFullError(DatabaseFault):
    """The disk holding the database has no space left; nothing was written."""


class ReadOnlyDatabaseError(DatabaseFault):
    """The database file or its folder cannot be written (read-only or not permitted)."""


class DatabasePathError(DatabaseFault):
    """The configured database path is a folder, or its folder cannot be created."""


class DuplicateWaveError(StoreError):
    """The same file, or the same wave label, is already stored."""

    def __init__(self, message: str, existing_label: str):
        self.existing_label = existing_label
        super().__init__(message)


class UnknownWaveError(StoreError):
    """A wave label that the store does not hold."""


class BackupError(StoreError):
    """A backup cannot be written or restored: damaged, incomplete, or the target holds data."""


class ValidationFailed(GapmodelError):
    """An upload did not pass validation; ``report`` lists every problem."""

    def __init__(self, report):
        self.report = report
        super().__init__(report.summary())
