"""Each dimension (and each item a targets file names) against its target: on, near or below."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from gapmodel.core.targets import TargetRow
from gapmodel.core.text import foreign_letters, mixed_script
from gapmodel.core.vocabulary import name_key

NAMES_LISTED = 5

TARGET_STATUS = {
    "on": "On target",
    "near": "Near target",
    "below": "Below target",
}


def target_status(table: pl.DataFrame, key: str, targets: dict[str, float], default: float):
    """``table`` (a gap table by ``key``) with ``target`` and ``status``.

    Parameters
    ----------
    table : pl.DataFrame
        Gap table with ``key, gap, ci_high, flag``.
    key : str
        ``dimension`` or ``item``.
    targets : dict
        :func:`gapmodel.core.targets.by_name_key` of the targets file's rows:
        ``name_key(name) -> target``.
    default : float
        The target of names the dict lacks.

    Returns
    -------
    pl.DataFrame
        The table with ``target`` and ``status``: ``on`` (gap at or above the target),
        ``near`` (below it, but the 95% interval reaches it: not clearly below), ``below``
        (the whole interval is below the target); null for suppressed groups.

    Examples
    --------
    >>> table = pl.DataFrame({"dimension": ["a", "b", "c"], "gap": [-0.1, -0.3, -0.9],
    ...                       "ci_high": [0.0, -0.2, -0.7], "flag": "ok"})
    >>> target_status(table, "dimension", {"c": -1.0}, -0.25)["status"].to_list()
    ['on', 'near', 'on']
    """
    names = table[key].cast(pl.String).to_list()
    target = pl.Series("target", [targets.get(name_key(n), default) for n in names], pl.Float64)
    table = table.with_columns(target)
    status = (
        pl.when(pl.col("flag") == "suppressed")
        .then(None)
        .when(pl.col("gap") >= pl.col("target"))
        .then(pl.lit("on"))
        .when(pl.col("ci_high") >= pl.col("target"))
        .then(pl.lit("near"))
        .otherwise(pl.lit("below"))
    )
    return table.with_columns(status=status)


def unmatched_targets(
    rows: Iterable[TargetRow], known: Iterable[str], path: str | Path
) -> str | None:
    """What to say about the rows of the targets file that name no dimension or item.

    Parameters
    ----------
    rows : iterable of TargetRow
        :func:`gapmodel.core.targets.read_target_rows`.
    known : iterable of str
        The survey's dimensions and item codes.
    path : str or Path
        The targets file, for the message.

    Returns
    -------
    str or None
        One sentence per unmatched name (the first five): its row, the nearest known name by
        :func:`~gapmodel.core.vocabulary.name_key`, and the code points of Cyrillic or Greek
        look-alikes in a word that mixes them with Latin letters; None when every name matches.

    Examples
    --------
    >>> rows = [TargetRow(2, "Empathy", -0.5), TargetRow(3, "Empaty", -0.5)]
    >>> unmatched_targets(rows, ["empathy"], "t.csv")  # doctest: +NORMALIZE_WHITESPACE
    "The targets file t.csv names 1 dimension or item the survey does not have; its target is
    not used: 'Empaty' (row 3; did you mean 'empathy'?). Correct the name or remove the row."
    """
    keys = {name_key(k): k for k in known}
    missing = [r for r in rows if name_key(r.name) not in keys]
    if not missing:
        return None
    said = []
    for r in missing[:NAMES_LISTED]:
        notes = [f"row {r.row}"]
        near = difflib.get_close_matches(name_key(r.name), list(keys), n=1, cutoff=0.6)
        if near:
            notes.append(f"did you mean {keys[near[0]]!r}?")
        for word in mixed_script(r.name):
            notes.append(f"{word!r} mixes Latin with look-alike letters: {foreign_letters(word)}")
        said.append(f"{r.name!r} ({'; '.join(notes)})")
    more = f", and {len(missing) - NAMES_LISTED} more" if len(missing) > NAMES_LISTED else ""
    return (
        f"The targets file {path} names {len(missing)} dimension or item the survey does not "
        f"have; its target is not used: {', '.join(said)}{more}. Correct the name or remove "
        "the row."
    )
