"""Settings as data: each one has a default, a help text and an environment variable."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        Turns the environment string into a value; raises ``ValueError`` on bad input.
    """

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str

    @property
    def env_var(self) -> str:
        return f"GAPMODEL_{self.name.upper()}"


def _probability(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise ValueError(f"must be a number between 0 and 1 (exclusive). Got {text!r}.")
    return value


def _padjust(text: str) -> str:
    value = text.strip().lower()
    if value not in PADJUST_METHODS:
        raise ValueError(f"must be {' or '.join(repr(m) for m in PADJUST_METHODS)}. Got {text!r}.")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"must be a positive integer. Got {text!r}.")
    return value


def _memory_mb(text: str) -> int:
    value = int(text)
    if value < 512:
        raise ValueError(
            f"must be a number of megabytes from 512 (the reader itself takes about 300). "
            f"Got {text!r}."
        )
    return value


def _tolerance(text: str) -> float:
    value = float(text)
    if not 0 <= value < 100:
        raise ValueError(f"must be a number of scale points from 0, e.g. 0.5. Got {text!r}.")
    return value


def _target(text: str) -> float:
    value = float(text)
    if not -100 < value <= 0:
        raise ValueError(f"must be a gap of 0 or below, e.g. -0.25. Got {text!r}.")
    return value


SETTINGS: tuple[Setting, ...] = (
    Setting("db", str(DATA_DIR / "gapmodel.duckdb"), "Path of the DuckDB database file.", str),
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
        str,
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
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """Return the value of a setting: the environment variable if set, else the default.

    Raises
    ------
    ValueError
        If the environment variable holds a value the setting does not accept.
    """
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env_var)
    if raw is None or raw == "":
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError as exc:
        raise ValueError(f"The environment variable {setting.env_var} {exc}") from None
