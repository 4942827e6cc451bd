"""Settings as data: each one has a default, a help text and an environment variable."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gapmodel.core.errors import SettingsError
from gapmodel.core.vocabulary import PADJUST_METHODS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"


@dataclass(frozen=True)
class Setting:
    """One configurable value.

    Parameters
    ----------
    name : str
        Short name; the environment variable is ``GAPMODEL_`` + name in upper case.
    default : Any
        Value used when the environment variable is not set.
    help : str
        One sentence for the README and ``--help``.
    parse : callable
        Turns the environment string into a value; raises ``ValueError`` on bad input. It is
        given the string without outer whitespace: a value pasted or quoted with a trailing
        space (``GAPMODEL_DB="/tmp/k.duckdb "``) means the same as without it, rather than
        another file; no setting's value ends in a space on purpose.
    """

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env_var(self) -> str:
        return f"GAPMODEL_{self.name.upper()}"


def _number_in(rule: str, accepts: Callable[[float], bool]) -> Callable[[str], float]:
    """A parser of a finite number that ``accepts``; anything else is refused with ``rule``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and accepts(value)):
            raise ValueError(rule)
        return value

    return parse


_probability = _number_in("a number between 0 and 1 (exclusive), e.g. 0.05", lambda v: 0 < v < 1)


def _padjust(text: str) -> str:
    value = text.strip().lower()
    if value not in PADJUST_METHODS:
        raise ValueError(" or ".join(PADJUST_METHODS))
    return value


def _whole_from(least: int, rule: str) -> Callable[[str], int]:
    """A parser of a whole number of ``least`` or more; anything else is refused with ``rule``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(rule) from None
        if value < least:
            raise ValueError(rule)
        return value

    return parse


_positive_int = _whole_from(1, "a whole number of 1 or more")


_tolerance = _number_in(
    "a number of scale points from 0 to below 100, e.g. 0.5", lambda v: 0 <= v < 100
)
_target = _number_in("a gap of 0 or below (above -100), e.g. -0.25", lambda v: -100 < v <= 0)


_memory_mb = _whole_from(
    512, "a whole number of megabytes from 512 (the reader itself takes about 300)"
)


def _db_path(text: str) -> str:
    """The path as given; whether a database can live there, storage checks on opening."""
    if not text.strip():
        raise ValueError("the path of a database file, e.g. data/gapmodel.duckdb")
    return text


def _targets_file(text: str) -> str:
    if not Path(text).is_file():
        what = "is a folder" if Path(text).is_dir() else "does not exist"
        raise ValueError(f"the path of a CSV file with the columns name and target; {text} {what}")
    return text


_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value not in _ON + _OFF:
        raise ValueError("1 or 0 (or on/off, yes/no, true/false)")
    return value in _ON


def _shown(value: Any) -> str:
    """A default as it would be written in the environment variable."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


SETTINGS: tuple[Setting, ...] = (
    Setting("db", str(DATA_DIR / "gapmodel.duckdb"), "Path of the DuckDB database file.", _db_path),
    Setting("alpha", 0.05, "Significance level for adjusted p-values.", _probability),
    Setting("padjust", "holm", "Multiple-comparison adjustment: holm or bh.", _padjust),
    Setting("min_n", 30, "Groups with fewer respondents are flagged small_n.", _positive_int),
    Setting("suppress_n", 5, "Groups with fewer respondents are suppressed.", _positive_int),
    Setting(
        "tolerance",
        0.5,
        "Band around a gap of 0, in scale points, within which a customer's mean gap counts as "
        "meeting expectations; also the margin of the test behind 'meets expectations'.",
        _tolerance,
    ),
    Setting(
        "target_gap",
        -0.25,
        "Target for each dimension's gap on the Overview: on target at or above it.",
        _target,
    ),
    Setting(
        "targets",
        "",
        "A CSV file of targets per dimension or item (columns name, target), over target_gap.",
        _targets_file,
    ),
    Setting("max_upload_mb", 200, "Largest upload accepted, in megabytes.", _positive_int),
    Setting(
        "read_memory_mb",
        8192,
        "Memory (address space) an upload may take while it is read, in megabytes: each file "
        "is read in a process of its own under this cap, so that no file can take down the "
        "dashboard. A 200 MB CSV of 100 million one-digit cells, the largest upload of the "
        "default limit, peaks at about 3.2 GB resident and needs more than 4 GB of address "
        "space.",
        _memory_mb,
    ),
    Setting(
        "max_filter_values",
        60,
        "Respondent attributes with more values are stored but not offered as filters.",
        _positive_int,
    ),
    Setting(
        "max_rows",
        2_000_000,
        "Most respondents (wide) or rows (long) in one upload.",
        _positive_int,
    ),
    Setting(
        "allow_remote_analysts",
        False,
        "Without sign-in, let people on other computers upload and delete waves (1); by "
        "default they only view, and only the server's own computer may change data.",
        _switch,
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """Return the value of a setting: the environment variable if set, else the default.

    The variable's outer whitespace is dropped before it is parsed (see :class:`Setting`); a
    variable of only whitespace counts as unset.

    Raises
    ------
    SettingsError
        If the environment variable holds a value the setting does not accept; the message
        names the variable, what it must be, the value given and the default.
    """
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env_var)
    if raw is None or not raw.strip():  # empty or only spaces: as if unset
        return setting.default
    try:
        return setting.parse(raw.strip())
    except ValueError as exc:
        default = f"the default {_shown(setting.default)}" if setting.default != "" else "no file"
        raise SettingsError(
            f"The environment variable {setting.env_var} is {raw!r}; it must be {exc}. Set "
            f"{setting.env_var} to such a value, or unset it for {default}."
        ) from None


def check() -> None:
    """Read every setting once, so that a malformed one stops the program at its start.

    Raises
    ------
    SettingsError
        For the first setting whose environment variable is malformed, or when
        ``GAPMODEL_MIN_N`` is below ``GAPMODEL_SUPPRESS_N``.
    """
    for setting in SETTINGS:
        get(setting.name)
    min_n, suppress_n = get("min_n"), get("suppress_n")
    if min_n < suppress_n:
        raise SettingsError(
            f"GAPMODEL_MIN_N ({min_n}) must be at least GAPMODEL_SUPPRESS_N "
            f"({suppress_n}): smaller groups are suppressed, so none could be flagged. "
            "Set GAPMODEL_MIN_N higher or GAPMODEL_SUPPRESS_N lower."
        )
