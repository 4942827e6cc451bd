"""The rules of a backup's tables beyond the scores: unique keys, the questionnaire's vocabulary,
text in its normal form, the attributes each wave lists, fielded dates, saved mappings and the
audit trail's actions.

Each rule is one an upload (or the store's own writes) keeps, so a table that breaks one was
edited by hand. Found problems go into a :class:`gapmodel.ingest.backup_report.BackupCheck`, each
with its table, row, column, value and rule, before the database is built (whose own
constraints would stop at the first with DuckDB's "Constraint Error").
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping

import polars as pl

from gapmodel.core.fielded import fielded_problem
from gapmodel.core.text import BIDI, CONTROLS, maybe_not_normal, normal_text_expr
from gapmodel.core.vocabulary import unlisted_attributes
from gapmodel.ingest.backup_report import BackupCheck
from gapmodel.ingest.validation_report import ROWS_LISTED, Problem, shorten
from gapmodel.storage.names import unsafe_character

# The keys the database holds unique (and respondent_attributes, which it does not hold so: an
# upload stores one value per respondent and attribute). The respondents' and responses' keys
# and the wave labels are checked with the upload's rules in backup_check.
KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "instruments": (("instrument_id",), ("sha256",)),
    "items": (("instrument_id", "item"),),
    "pairs": (("instrument_id", "pair"), ("instrument_id", "stage", "item")),
    "waves": (("wave_id",), ("sha256",)),
    "respondent_attributes": (("wave_id", "respondent", "attribute"),),
    "allocations": (("wave_id", "respondent", "dimension"),),
    "audit": (("audit_id",),),
    "mappings": (("name",),),
}
AUDIT_ACTIONS = ("delete", "ingest", "replace")
# The characters :func:`gapmodel.storage.names.unsafe_character` refuses (surrogates aside,
# which polars text cannot hold), plus tab, CR and LF.
_UNSAFE = f"[\\t\\n\\r{CONTROLS}{BIDI}]"
# The types the rules need: names and values as text, the lists of names as lists of text.
_NAMES = pl.List(pl.String)
TYPES: dict[tuple[str, str], pl.DataType] = {
    ("instruments", "stages"): _NAMES,
    ("instruments", "dimensions"): _NAMES,
    ("items", "item"): pl.String(),
    ("items", "dimension"): pl.String(),
    ("items", "stages"): _NAMES,
    ("pairs", "stage"): pl.String(),
    ("pairs", "item"): pl.String(),
    ("allocations", "dimension"): pl.String(),
    ("respondent_attributes", "attribute"): pl.String(),
    ("respondent_attributes", "value"): pl.String(),
    ("waves", "attributes"): _NAMES,
}
# Names (single or lists) that uploads and questionnaire files store in their normal form.
NAMES = tuple(key for key in TYPES if key != ("waves", "attributes"))


def check_types(check: BackupCheck, frames: Mapping[str, pl.DataFrame]) -> None:
    """Each column of :data:`TYPES` a backup has holds its type (a hand-edited Parquet file
    can hold numbers where text belongs); every other rule needs them."""
    for (table, column), expected in TYPES.items():
        frame = frames.get(table)
        if frame is None or column not in frame.columns or frame.schema[column] == expected:
            continue
        found = frame.schema[column]
        kind = "text (String)" if expected == pl.String else "lists of text (List(String))"
        message = (
            f"The column holds {found}, not {kind}, as a backup writes it. Write the column "
            "as that type, or restore another backup."
        )
        check.add(
            table, Problem(rule="wrong_type", message=message, column=column, value=str(found))
        )


def check_rules(check: BackupCheck, frames: Mapping[str, pl.DataFrame]) -> None:
    """Every rule of this module on ``frames`` (table -> rows with a 1-based ``row`` column;
    ids already whole numbers); a table or column a backup lacks is skipped."""
    for table, keys in KEYS.items():
        for key in keys:
            if table in frames and set(key) <= set(frames[table].columns):
                _unique(check, table, frames[table], key)
    for table, column in NAMES:
        if table in frames and column in frames[table].columns:
            _normal(check, table, frames[table], column)
    _vocabulary(check, frames)
    _listed_attributes(check, frames["waves"], frames["respondent_attributes"])
    _waves(check, frames["waves"])
    if "audit" in frames and "action" in frames["audit"].columns:
        _actions(check, frames["audit"])
    if "mappings" in frames and "mapping" in frames["mappings"].columns:
        _mappings(check, frames["mappings"])


def _problem(
    rule: str, message: str, row: int, column: str, value: object, warning: bool = False
) -> Problem:
    return Problem(
        rule=rule,
        message=message,
        row=row,
        column=column,
        value=shorten(value),
        severity="warning" if warning else "error",
    )


def _unique(check: BackupCheck, table: str, frame: pl.DataFrame, key: tuple[str, ...]) -> None:
    """Each row after the first with the same ``key``, named with that first row."""
    keyed = frame.with_columns(pl.col("row").min().over(list(key)).alias("_first"))
    again = keyed.filter(pl.col("row") != pl.col("_first")).sort("row")
    shown = pl.concat_str([pl.col(c).cast(pl.String) for c in key], separator=", ")
    columns = ", ".join(key)
    problems = [
        _problem(
            "duplicate_key",
            f"This row repeats the key of row {first:,}; each {columns} appears once in table "
            f"{table}.",
            row,
            columns,
            value,
        )
        for row, value, first in again.select("row", shown, "_first").head(ROWS_LISTED).iter_rows()
    ]
    check.report(table).add_many(problems, again.height)


def _normal(check: BackupCheck, table: str, frame: pl.DataFrame, column: str) -> None:
    """Names and values as an upload stores them: in their normal form
    (:func:`gapmodel.core.text.normal_text`), which has no text-direction or invisible
    characters, no odd or doubled spaces and composed accents.

    Control characters (tab, CR, LF, an escape) are the exception: releases before they were
    dropped from the normal form kept them (an Excel line break in "North\\nEast"), so a value
    that differs from its normal form only by them is restored as stored, with one warning a
    column, not refused as hand-edited."""
    cells = frame.select("row", column)
    if cells.schema[column] == pl.List(pl.String):
        cells = cells.explode(column)
    cells = cells.drop_nulls(column).filter(
        maybe_not_normal(column) | pl.col(column).str.contains("^ | $")
    )
    cells = cells.with_columns(
        normal_text_expr(column).alias("_normal"),
        normal_text_expr(column, keep_controls=True).alias("_kept"),
    ).filter(pl.col("_normal") != pl.col(column))
    if column == "attribute":  # a name with control characters is reported as invalid_attribute
        cells = cells.filter(~pl.col(column).str.contains(_UNSAFE))
    cells = cells.sort("row")
    noun = "value" if column == "value" else "name"
    kept = cells.filter(pl.col("_kept") == pl.col(column))
    for row, text in kept.select("row", column).head(1).iter_rows():
        message = (
            f"The {noun} holds control characters (a tab, line break or escape), which an "
            "upload of this release turns into a space or drops but earlier releases kept; "
            f"restored as stored. {kept.height:,} value(s) of this column hold them."
        )
        check.add(table, _problem("control_characters_kept", message, row, column, text, True))
    cells = cells.filter(pl.col("_kept") != pl.col(column))
    cells = cells.unique(column, keep="first", maintain_order=True)  # first rows
    problems = [
        _problem(
            "not_normal_text",
            f"The {noun} is not in its normal form: {_difference(text, kept, normal)}",
            row,
            column,
            text,
        )
        for row, text, normal, kept in cells.select("row", column, "_normal", "_kept")
        .head(ROWS_LISTED)
        .iter_rows()
    ]
    check.report(table).add_many(problems, cells.height)


def _difference(text: str, kept: str, normal: str) -> str:
    """What tells ``text`` from its normal form ``normal`` (``kept`` with its control
    characters), and how an upload stores it."""
    if unicodedata.normalize("NFC", text) == kept:
        return (
            "its accents are decomposed (Unicode NFD), which prints alike but compares as other "
            "text; an upload stores the composed form (NFC)."
        )
    return (
        f"an upload stores it as '{shorten(normal)}' (without control, text-direction or "
        "invisible characters, with plain single spaces and composed accents)."
    )


def _vocabulary(check: BackupCheck, frames: Mapping[str, pl.DataFrame]) -> None:
    """Each questionnaire lists stages and dimensions; its items and the importance points name
    only those."""
    instruments = frames["instruments"]
    for column in ("stages", "dimensions"):
        if column not in instruments.columns:
            continue
        empty = instruments.filter(pl.col(column).list.len().fill_null(0) == 0)
        for (row,) in empty.select("row").iter_rows():
            check.add(
                "instruments",
                Problem(
                    rule="no_vocabulary",
                    message=f"The questionnaire lists no {column}; every questionnaire has some.",
                    row=row,
                    column=column,
                ),
            )
    if "dimensions" not in instruments.columns:
        return
    vocabulary = instruments.select("instrument_id", "stages", "dimensions")
    items = frames["items"]
    if {"dimension", "stages"} <= set(items.columns):
        named = items.join(vocabulary, on="instrument_id", how="inner", suffix="_known")
        _unlisted(
            check,
            "items",
            named.select("row", "dimension", "dimensions"),
            "unknown_dimension",
            "Unknown dimension '{}': the questionnaire (table instruments, column dimensions) "
            "lacks it.",
        )
        stages = named.select("row", pl.col("stages").alias("_stage"), "stages_known")
        _unlisted(
            check,
            "items",
            stages.explode("_stage").drop_nulls("_stage"),
            "unknown_stage",
            "Unknown stage '{}': the questionnaire (table instruments, column stages) lacks it.",
            "stages",
        )
    asked = frames["waves"].select("wave_id", "instrument_id").join(vocabulary, on="instrument_id")
    points = frames["allocations"].join(asked, on="wave_id", how="inner")
    _unlisted(
        check,
        "allocations",
        points.select("row", "dimension", "dimensions"),
        "unknown_dimension",
        "Unknown dimension '{}': the wave's questionnaire (table instruments) lacks it, so these "
        "importance points weigh nothing.",
    )


def _unlisted(
    check: BackupCheck,
    table: str,
    cells: pl.DataFrame,
    rule: str,
    message: str,
    column: str | None = None,
) -> None:
    """One problem per row of ``cells`` (``row``, a name, the list it must be in) whose name
    the list lacks; ``message`` has a ``{}`` for the name, ``column`` is the one named (the
    name's own by default)."""
    row, name, known = cells.columns
    off = cells.filter(~pl.col(known).list.contains(pl.col(name)).fill_null(False))
    check.report(table).add_cells(
        off.sort(row).select(row, name),
        rule,
        lambda v: message.format(shorten(v)),
        column or name,
    )


def _listed_attributes(check: BackupCheck, waves: pl.DataFrame, attributes: pl.DataFrame) -> None:
    """Every attribute stored for a wave's respondents is in the wave's list (``attributes``),
    by :func:`gapmodel.core.vocabulary.unlisted_attributes`, the rule every read follows. A
    listed attribute without stored values is allowed: an upload whose attribute column is
    empty stores it so."""
    if "attributes" not in waves.columns:
        return
    stored = attributes.group_by("wave_id").agg(pl.col("attribute").unique(maintain_order=True))
    listed = waves.select("row", "wave_id", "label", "attributes").join(
        stored.rename({"attribute": "_stored"}), on="wave_id", how="inner"
    )
    for row, label, names, found in listed.select(
        "row", "label", "attributes", "_stored"
    ).iter_rows():
        missing = unlisted_attributes(names or [], found)
        if not missing:
            continue
        message = (
            f"Wave '{shorten(label)}' stores the respondent attribute(s) {', '.join(missing)} in "
            "table respondent_attributes, which this list of its attributes lacks; every read "
            "of the wave would fail. Add them to the list, or restore another backup."
        )
        check.add(
            "waves", _problem("unlisted_attribute", message, row, "attributes", ", ".join(missing))
        )


def _waves(check: BackupCheck, waves: pl.DataFrame) -> None:
    """Fielded dates in the range an ingest takes; file names without control or
    text-direction characters (the name is shown as the file had it, so its Unicode form may
    be any)."""
    if "fielded" in waves.columns and waves.schema["fielded"] == pl.Date:
        for row, day in waves.select("row", "fielded").drop_nulls("fielded").iter_rows():
            why = fielded_problem(day)
            if why is not None:
                check.add("waves", _problem("fielded_out_of_range", why, row, "fielded", day))
    if "source_name" not in waves.columns:
        return
    for row, name in waves.select("row", pl.col("source_name").cast(pl.String)).iter_rows():
        bad = unsafe_character(name or "")
        if bad is not None:
            message = (
                f"The file name holds the control or text-direction character U+{ord(bad):04X}, "
                "which could print as another line or in another order."
            )
            check.add("waves", _problem("invalid_source_name", message, row, "source_name", name))


def _actions(check: BackupCheck, audit: pl.DataFrame) -> None:
    """Audit rows record what the store does: ingest, replace, delete."""
    check.report("audit").add_cells(
        audit.filter(
            ~pl.col("action").cast(pl.String).is_in(AUDIT_ACTIONS).fill_null(False)
        ).select("row", pl.col("action").cast(pl.String)),
        "unknown_action",
        lambda _: f"The action must be one of {', '.join(AUDIT_ACTIONS)}.",
        "action",
    )


def _mappings(check: BackupCheck, mappings: pl.DataFrame) -> None:
    """A saved mapping is a JSON object, as the Data page saves it."""
    for row, text in mappings.select("row", pl.col("mapping").cast(pl.String)).iter_rows():
        try:
            value = json.loads(text or "")
        except json.JSONDecodeError as exc:
            message = f"The saved mapping is not valid JSON ({exc.msg} at character {exc.pos})."
        else:
            if isinstance(value, dict):
                continue
            kinds = {list: "list", str: "text", bool: "true/false", type(None): "null"}
            kind = kinds.get(type(value), "number")
            message = f"The saved mapping is a JSON {kind}, not an object of settings."
        check.add("mappings", _problem("invalid_mapping", message, row, "mapping", text))
