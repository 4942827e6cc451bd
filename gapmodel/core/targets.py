"""Targets for the gaps: one default (a setting) and, optionally, a file per dimension or item.

A target is the gap a dimension or item should reach, e.g. ``-0.25``: at or above it the
result is on target. The file is a CSV with the columns ``name`` (a dimension's name or an
item's code, as the questionnaire writes them) and ``target``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import NamedTuple

from gapmodel.core import settings
from gapmodel.core.errors import SettingsError
from gapmodel.core.text import code_points, normal_text
from gapmodel.core.vocabulary import name_key

MAX_TARGETS_BYTES = 1_000_000


def default_target() -> float:
    """The target of every dimension and item the file does not name (``GAPMODEL_TARGET_GAP``)."""
    return float(settings.get("target_gap"))


class TargetRow(NamedTuple):
    """One row of the targets file: its number (the header is row 1), the name as written, the
    target."""

    row: int
    name: str
    target: float


def by_name_key(rows: list[TargetRow]) -> dict[str, float]:
    """The targets of ``rows`` keyed by :func:`~gapmodel.core.vocabulary.name_key` of the name."""
    return {name_key(r.name): r.target for r in rows}


def read_target_rows(path: str | Path | None = None) -> list[TargetRow]:
    """The rows of the targets file at ``path`` (default ``GAPMODEL_TARGETS``); empty without a
    file.

    Raises
    ------
    SettingsError
        When the file cannot be read, lacks the columns, a name is empty, two rows name the
        same dimension or item (also when they differ only by case, spacing, invisible
        characters or how an accent is encoded), or a target is not a finite number of 0 or
        below; the message names the rows.
    """
    path = path if path is not None else settings.get("targets")
    if not path:
        return []
    path = Path(path)
    try:
        if path.stat().st_size > MAX_TARGETS_BYTES:
            raise SettingsError(f"The targets file {path} is over 1 MB; it holds one row per name.")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"The targets file {path} cannot be read as UTF-8 text: {exc}."
        ) from None
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or not {"name", "target"} <= {f.strip() for f in rows.fieldnames}:
        raise SettingsError(f"The targets file {path} needs the columns name and target.")
    out: list[TargetRow] = []
    seen: dict[str, TargetRow] = {}
    for number, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        name = row.get("name", "")
        if not normal_text(name):
            raise SettingsError(
                f"Row {number} of the targets file {path} has no name (got {name!r}); give "
                "the dimension's name or the item's code."
            )
        try:
            value = float(row["target"])
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and -100 < value <= 0):
            raise SettingsError(
                f"Row {number} of the targets file {path}: the target of {name!r} must be "
                f"a gap of 0 or below, e.g. -0.25. Got {row['target']!r}."
            )
        here = TargetRow(number, name, value)
        first = seen.setdefault(name_key(name), here)
        if first is not here:
            raise SettingsError(_duplicate(path, first, here))
        out.append(here)
    return out


def _duplicate(path: Path, first: TargetRow, again: TargetRow) -> str:
    """Why two rows of the targets file are one name, with the code points that differ."""
    names = f"{first.name!r} and {again.name!r}" if first.name != again.name else repr(first.name)
    hidden = code_points(first.name + again.name)
    why = ""
    if first.name != again.name:
        why = " (the same name once case, spacing, invisible characters and accents are set aside"
        why += f": {hidden})" if hidden else ")"
    return (
        f"Rows {first.row} and {again.row} of the targets file {path} both name {names}{why}. "
        "Keep one row per dimension or item."
    )
