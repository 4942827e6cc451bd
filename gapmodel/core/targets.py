"""Targets for the gaps: one default (a setting) and, optionally, a file per dimension or item.

A target is the gap a dimension or item should reach, e.g. ``-0.25``: at or above it the
result is on target. The file is a CSV with the columns ``name`` (a dimension's name or an
item's code, as the questionnaire writes them) and ``target``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from gapmodel.core import settings
from gapmodel.core.errors import SettingsError
from gapmodel.core.vocabulary import name_key

MAX_TARGETS_BYTES = 1_000_000


def default_target() -> float:
    """The target of every dimension and item the file does not name (``GAPMODEL_TARGET_GAP``)."""
    return float(settings.get("target_gap"))


def read_targets(path: str | Path | None = None) -> dict[str, float]:
    """The targets of the file at ``path`` (default ``GAPMODEL_TARGETS``), keyed by
    :func:`~gapmodel.core.vocabulary.name_key` of the name; empty without a file.

    Raises
    ------
    SettingsError
        When the file cannot be read, lacks the columns, or a target is not a number of 0 or
        below; the message names the row.
    """
    path = path if path is not None else settings.get("targets")
    if not path:
        return {}
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
    targets: dict[str, float] = {}
    for number, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        try:
            value = float(row["target"])
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and -100 < value <= 0):
            raise SettingsError(
                f"Row {number} of the targets file {path}: the target of {row['name']!r} must be "
                f"a gap of 0 or below, e.g. -0.25. Got {row['target']!r}."
            )
        targets[name_key(row["name"])] = value
    return targets
