"""A backup checked as an upload is, before a restore writes it.

A backup is Parquet files anyone can edit; the database's own constraints catch only part of
what an upload would refuse (a score of 9 on a 1-5 wave, 4.5 where scores are whole, a stage x
item the questionnaire does not ask, one respondent twice under look-alike ids). So the tables a
restore would write are checked with the upload's rules first
(:func:`gapmodel.ingest.cells.score_schema` for the scores, the wave label, scale and
importance-point rules, the attribute-name rules, and look-alike text by
:func:`gapmodel.core.text.normal_text`), each problem with its table, row (1 = the file's first
row), column, value and rule. Text that merely starts like a formula is data, as in an upload.
The keys, the questionnaire's vocabulary, names in their normal form, the attributes each wave
lists, fielded dates, saved mappings and audit actions are checked by
:mod:`gapmodel.ingest.backup_rules`.

Only backups of today's table layout (schema version 3 and later) are checked; an older one is
restored through its migration and the database's constraints, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from gapmodel.core.columns import RESERVED_ATTRIBUTES
from gapmodel.core.text import normal_text
from gapmodel.core.vocabulary import MEASURES, name_key, relabelled
from gapmodel.ingest.attributes import pattern_name
from gapmodel.ingest.backup_report import BackupCheck
from gapmodel.ingest.backup_rules import check_rules, check_types
from gapmodel.ingest.cells import MAX_TEXT, schema_problems, score_schema
from gapmodel.ingest.prepare import parse_scale
from gapmodel.ingest.validation_report import ROWS_LISTED, Problem, ValidationReport, shorten
from gapmodel.storage.names import check_label, unsafe_character

FIRST_CHECKED_VERSION = 3
# The columns each checked table must have (those a restore writes and this check reads).
COLUMNS: dict[str, tuple[str, ...]] = {
    "instruments": ("instrument_id", "stages"),
    "items": ("instrument_id", "item"),
    "pairs": ("instrument_id", "pair", "stage", "item"),
    "waves": (
        "wave_id",
        "label",
        "scale_min",
        "scale_max",
        "instrument_id",
        "n_respondents",
        "n_responses",
    ),
    "respondents": ("wave_id", "respondent", "respondent_id"),
    "respondent_attributes": ("wave_id", "respondent", "attribute", "value"),
    "responses": ("wave_id", "respondent", "pair", *MEASURES),
    "allocations": ("wave_id", "respondent", "dimension", "points"),
}
# Tables checked when the backup has them (the audit trail from version 2, mappings from 4).
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "audit": ("audit_id", "action"),
    "mappings": ("name", "mapping"),
}
_SAME_TEXT = "differ only by invisible characters, spaces or the Unicode form of their accents"


def check_backup(tables: Mapping[str, pl.DataFrame], schema_version: int) -> BackupCheck:
    """Check the tables of a backup with the rules of an upload.

    Parameters
    ----------
    tables : mapping of str to pl.DataFrame
        Table -> its rows, as :func:`gapmodel.storage.backup.read_backup` read them.
    schema_version : int
        The backup's schema version; versions before 3 (another table layout) are not checked.

    Returns
    -------
    BackupCheck
        Empty (``ok``) when a restore may write the tables.
    """
    check = BackupCheck()
    if schema_version < FIRST_CHECKED_VERSION:
        return check
    frames: dict[str, pl.DataFrame] = {}
    for table, columns in (COLUMNS | OPTIONAL_COLUMNS).items():
        frame = tables.get(table)
        if frame is None:
            continue  # the restore names a missing table itself
        for column in (c for c in columns if c not in frame.columns):
            check.add(
                table,
                Problem(
                    rule="missing_column",
                    message=f"The table has no column {column}; restore another backup.",
                    column=column,
                ),
            )
        frames[table] = frame.with_row_index("row", offset=1).with_columns(
            pl.col("row").cast(pl.Int64)
        )
    check_types(check, frames)
    if not check.ok or not set(COLUMNS) <= set(frames):
        return check
    frames = _whole_numbers(check, frames)
    if any("not_whole_number" in r.rule_counts() for r in check.reports.values()):
        return check  # ids that are not numbers: nothing can be joined on them
    _labels(check, frames["waves"])
    _scales(check, frames["waves"])
    _counts(check, frames)
    _references(check, frames)
    _respondent_ids(check, frames["respondents"])
    _scores(check, frames)
    _attributes(check, frames["respondent_attributes"])
    _allocations(check, frames["allocations"])
    check_rules(check, frames)
    return check


# The id and count columns: whole numbers, counts not negative.
_IDS = {
    "instruments": ("instrument_id",),
    "items": ("instrument_id",),
    "pairs": ("instrument_id", "pair"),
    "waves": ("wave_id", "instrument_id", "n_respondents", "n_responses"),
    "respondents": ("wave_id", "respondent"),
    "respondent_attributes": ("wave_id", "respondent"),
    "responses": ("wave_id", "respondent", "pair"),
    "allocations": ("wave_id", "respondent"),
    "audit": ("audit_id",),
}


def _whole_numbers(check: BackupCheck, frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The id and count columns as Int64; text, fractions, empty cells and negative counts are
    reported."""
    out = {}
    for table, frame in frames.items():
        columns = _IDS.get(table, ())
        number = {c: frame[c].cast(pl.Float64, strict=False) for c in columns}
        for column in columns:
            bad = frame.filter(
                number[column].is_null() | (number[column] != number[column].round())
            )
            check.report(table).add_cells(
                bad.select("row", pl.col(column).cast(pl.String)),
                "not_whole_number",
                lambda v: (
                    f"'{shorten(v)}' is not a whole number; this column holds ids and counts."
                ),
                column,
            )
            if column.startswith("n_"):
                check.report(table).add_cells(
                    frame.filter(number[column] < 0).select("row", column),
                    "negative_count",
                    lambda v: f"A count cannot be negative (got {v}).",
                    column,
                )
        out[table] = frame.with_columns(number[c].cast(pl.Int64).alias(c) for c in columns)
    return out


def _labels(check: BackupCheck, waves: pl.DataFrame) -> None:
    """Each label as an ingest takes it (1-80 characters, no control or direction characters),
    and unique also when compared in its normal form."""
    seen: dict[str, tuple[int, str]] = {}
    for row, label in waves.select("row", pl.col("label").cast(pl.String)).iter_rows():
        try:
            check_label(label or "")
        except ValueError as exc:
            check.add("waves", _problem("invalid_label", str(exc), row, "label", label))
            continue
        first = seen.setdefault(normal_text(label), (row, label))
        if first[0] == row:
            continue
        if first[1] == label:
            message = f"The label is also the label of row {first[0]}; each wave's is unique."
            check.add("waves", _problem("duplicate_label", message, row, "label", label))
        else:
            message = (
                f"The label and '{shorten(first[1])}' (row {first[0]}) {_SAME_TEXT}: they would "
                "show as one wave. Rename one of them."
            )
            check.add("waves", _problem("lookalike_label", message, row, "label", label))


def _scales(check: BackupCheck, waves: pl.DataFrame) -> None:
    """The declared scale as an upload declares it (min 0 or 1, max 3 to 11)."""
    for row, low, high in waves.select("row", "scale_min", "scale_max").iter_rows():
        try:
            parse_scale((int(low), int(high)))
        except (ValueError, TypeError) as exc:
            message = str(exc) if isinstance(exc, ValueError) else "The scale is missing."
            check.add(
                "waves", _problem("invalid_scale", message, row, "scale_max", f"{low}-{high}")
            )


def _counts(check: BackupCheck, frames: dict[str, pl.DataFrame]) -> None:
    """Each wave's respondent and response counts are those of its rows."""
    waves = frames["waves"]
    for column, table in (("n_respondents", "respondents"), ("n_responses", "responses")):
        actual = frames[table].group_by("wave_id").len("actual")
        wrong = (
            waves.join(actual, on="wave_id", how="left")
            .with_columns(pl.col("actual").fill_null(0))
            .filter((pl.col(column) >= 0) & (pl.col(column) != pl.col("actual")))
        )
        for row, stated, found in wrong.select("row", column, "actual").iter_rows():
            message = f"The wave has {found:,} rows in table {table}, not {stated:,}."
            check.add("waves", _problem("count_mismatch", message, row, column, stated))


def _references(check: BackupCheck, frames: dict[str, pl.DataFrame]) -> None:
    """Every row names a wave, respondent, questionnaire, stage and item that exist."""
    waves, respondents, pairs = frames["waves"], frames["respondents"], frames["pairs"]
    instruments = frames["instruments"]
    known = {
        "wave": waves.select("wave_id"),
        "respondent": respondents.select("wave_id", "respondent"),
        "instrument": instruments.select("instrument_id"),
    }
    needs = [
        ("waves", "instrument", "instrument_id", "unknown_instrument", "questionnaire"),
        ("items", "instrument", "instrument_id", "unknown_instrument", "questionnaire"),
        ("pairs", "instrument", "instrument_id", "unknown_instrument", "questionnaire"),
        ("respondents", "wave", "wave_id", "unknown_wave", "wave"),
        ("responses", "respondent", "respondent", "unknown_respondent", "respondent"),
        ("respondent_attributes", "respondent", "respondent", "unknown_respondent", "respondent"),
        ("allocations", "respondent", "respondent", "unknown_respondent", "respondent"),
    ]
    for table, kind, column, rule, noun in needs:
        key = known[kind].columns
        orphans = frames[table].join(known[kind], on=key, how="anti")
        check.report(table).add_cells(
            orphans.select("row", column),
            rule,
            lambda v, noun=noun, kind=kind: (
                f"No {noun} {v} is in the backup's {kind}s table; the row belongs to nothing."
            ),
            column,
        )
    asked = pairs.select("instrument_id", "pair").join(
        waves.select("wave_id", "instrument_id"), on="instrument_id"
    )
    unknown = frames["responses"].join(asked, on=["wave_id", "pair"], how="anti")
    check.report("responses").add_cells(
        unknown.select("row", "pair"),
        "unknown_pair",
        lambda v: f"The wave's questionnaire has no stage x item pair {v} (table pairs).",
        "pair",
    )
    stages = instruments.select("instrument_id", pl.col("stages").alias("_stages"))
    items = frames["items"].select("instrument_id", pl.col("item").alias("_item"))
    named = pairs.join(stages, on="instrument_id", how="left")
    off_stage = named.filter(~pl.col("_stages").list.contains(pl.col("stage")).fill_null(False))
    check.report("pairs").add_cells(
        off_stage.select("row", "stage"),
        "unknown_stage",
        lambda v: f"Unknown stage '{shorten(v)}': the questionnaire (table instruments) lacks it.",
        "stage",
    )
    off_item = pairs.join(
        items, left_on=["instrument_id", "item"], right_on=["instrument_id", "_item"], how="anti"
    )
    check.report("pairs").add_cells(
        off_item.select("row", "item"),
        "unknown_item",
        lambda v: f"Unknown item '{shorten(v)}': the questionnaire (table items) lacks it.",
        "item",
    )


def _respondent_ids(check: BackupCheck, respondents: pl.DataFrame) -> None:
    """Ids present, at most 200 characters and unique in their wave, compared in their normal
    form as an upload compares them."""
    report = check.report("respondents")
    ids = respondents.with_columns(pl.col("respondent_id").cast(pl.String))
    missing = ids.filter(pl.col("respondent_id").str.strip_chars().replace("", None).is_null())
    report.add_cells(
        missing.select("row", "respondent_id"),
        "missing_respondent_id",
        lambda _: "This row has no respondent id; every row needs one.",
        "respondent_id",
    )
    report.add_cells(
        ids.filter(pl.col("respondent_id").str.len_chars() > MAX_TEXT).select(
            "row", "respondent_id"
        ),
        "too_long",
        lambda v: f"The value has {len(v):,} characters; at most {MAX_TEXT} are allowed.",
        "respondent_id",
    )
    twice = ids.filter(pl.struct("wave_id", "respondent").is_duplicated())
    report.add_cells(
        twice.select("row", "respondent"),
        "duplicate_respondent",
        lambda v: f"Respondent number {v} appears more than once in its wave.",
        "respondent",
    )
    _lookalikes(
        report, ids, ["wave_id"], "respondent_id", "respondent id", "duplicate_respondent_id", True
    )


def _lookalikes(
    report: ValidationReport,
    frame: pl.DataFrame,
    within: list[str],
    column: str,
    noun: str,
    rule: str,
    unique: bool = False,
    normal: Callable[[str], str] | None = None,
) -> None:
    """Values of ``column`` that are one value in their normal form within groups of
    ``within`` (``normal`` says when two are one): each spelling after the first is reported
    at its first row, and with ``unique`` (ids) every repeat of a value too.

    By default two values are one when their normal forms with control characters kept
    (:func:`_stored_form`) are."""
    normal = normal or _stored_form
    keyed = frame.drop_nulls(column).with_columns(relabelled(column, normal).alias("_normal"))
    group = [*within, "_normal"]
    keyed = keyed.with_columns(
        pl.col("row").min().over(group).alias("_first_row"),
        pl.col(column).sort_by("row").first().over(group).alias("_first"),
    ).filter(pl.col("row") != pl.col("_first_row"))
    if not unique:
        keyed = keyed.filter(pl.col(column) != pl.col("_first"))
        keyed = keyed.sort("row").unique([*group, column], keep="first", maintain_order=True)
    keyed = keyed.sort("row")

    def message(value: str, first: str, first_row: int) -> str:
        if value == first:
            return f"This {noun} appears more than once in its wave (first on row {first_row})."
        return (
            f"This {noun} and '{shorten(first)}' (row {first_row}) {_SAME_TEXT}, so an upload "
            f"takes them as one {noun}."
        )

    problems = [
        Problem(rule=rule, message=message(v, f, r0), row=r, column=column, value=shorten(v))
        for r, v, f, r0 in keyed.select("row", column, "_first", "_first_row")
        .head(ROWS_LISTED)
        .iter_rows()
    ]
    report.add_many(problems, keyed.height)


def _stored_form(text: str) -> str:
    """The normal form ids and values were stored in before control characters were dropped
    from it: those releases kept "A\\t1" and "A 1" as two ids, so their backups may hold both,
    and a restore keeps them apart rather than refuse the backup."""
    return normal_text(text, keep_controls=True)


def _scores(check: BackupCheck, frames: dict[str, pl.DataFrame]) -> None:
    """Scores of each wave as an upload's: numbers, within the wave's declared scale, whole;
    one row per respondent and stage x item."""
    report = check.report("responses")
    responses = frames["responses"]
    scores = responses.with_columns(pl.col(m).cast(pl.Float64, strict=False) for m in MEASURES)
    for m in MEASURES:
        report.add_cells(
            responses.filter(pl.col(m).is_not_null() & scores[m].is_null()).select("row", m),
            "non_numeric",
            lambda v: f"'{shorten(v)}' is not a number; scores must be whole numbers.",
            m,
        )
    text = responses.select("row", *(pl.col(m).cast(pl.String) for m in MEASURES))
    scales = frames["waves"].select("wave_id", "scale_min", "scale_max").unique("wave_id")
    for wave_id, low, high in scales.iter_rows():
        try:
            scale = parse_scale((int(low), int(high)))
        except (ValueError, TypeError):
            continue  # reported with the wave
        keys = ["respondent", "pair"]
        parsed = scores.filter(pl.col("wave_id") == wave_id).select(
            "row", *(pl.col(k).cast(pl.String) for k in keys), *MEASURES
        )
        schema = score_schema(list(MEASURES), scale, keys)
        schema_problems(
            report,
            parsed,
            text.filter(pl.col("row").is_in(parsed["row"].implode())),
            schema,
            scale,
            keys,
            "respondent and stage x item pair",
            "duplicate_row",
        )


def _attributes(check: BackupCheck, attributes: pl.DataFrame) -> None:
    """Attribute names as an upload names attributes, values present and at most 200
    characters, and no two names or values of a wave that are one in their normal form."""
    report = check.report("respondent_attributes")
    frame = attributes.with_columns(pl.col("attribute", "value").cast(pl.String))
    names = frame.group_by("attribute").agg(pl.col("row").min()).sort("row")
    for name, row in names.iter_rows():
        why = _bad_attribute(name or "")
        if why is not None:
            report.add(_problem(why[0], why[1], row, "attribute", name))
    keyed = frame.with_columns(relabelled("attribute", name_key).alias("_key"))
    _lookalikes(
        report,
        frame,
        ["wave_id"],
        "attribute",
        "attribute name",
        "duplicate_column",
        normal=name_key,
    )
    for text, rule, message in (
        (
            pl.col("value").str.strip_chars().replace("", None).is_null(),
            "missing_value",
            lambda _: "This value is required but empty.",
        ),
        (
            pl.col("value").str.len_chars() > MAX_TEXT,
            "too_long",
            lambda v: f"The value has {len(v):,} characters; at most {MAX_TEXT} are allowed.",
        ),
    ):
        report.add_cells(frame.filter(text).select("row", "value"), rule, message, "value")
    _lookalikes(report, keyed, ["wave_id", "_key"], "value", "attribute value", "lookalike_value")


def _bad_attribute(name: str) -> tuple[str, str] | None:
    """The rule and sentence an attribute name breaks (as a mapping's would), or None."""
    if not name.strip():
        return "missing_value", "The attribute has no name."
    if pattern_name(name) or unsafe_character(name) is not None:
        return (
            "invalid_attribute",
            "The attribute name holds control or direction characters, or reads as a pattern.",
        )
    if len(name) > MAX_TEXT:
        return "too_long", f"The attribute name is longer than {MAX_TEXT} characters."
    if name_key(name) in RESERVED_ATTRIBUTES or name.startswith("_"):
        return "reserved_column", "The attribute name names a column of gapmodel's own tables."
    return None


def _allocations(check: BackupCheck, allocations: pl.DataFrame) -> None:
    """Importance points between 0 and 100, adding up to 100 for each respondent."""
    report = check.report("allocations")
    points = allocations.with_columns(pl.col("points").cast(pl.Float64, strict=False))
    report.add_cells(
        points.filter(pl.col("points").is_null() | ~pl.col("points").is_between(0, 100)).select(
            "row", pl.col("points").cast(pl.String)
        ),
        "points_out_of_range",
        lambda _: "Importance points must lie between 0 and 100.",
        "points",
    )
    totals = points.group_by("wave_id", "respondent").agg(
        pl.col("points").sum().alias("total"), pl.col("row").min()
    )
    report.add_cells(
        totals.filter((pl.col("total") - 100).abs() > 0.5).sort("row").select("row", "total"),
        "points_not_100",
        lambda t: f"Importance points add up to {t:g}; they must total 100.",
        "points",
    )


def _problem(rule: str, message: str, row: int, column: str, value: object) -> Problem:
    return Problem(rule=rule, message=message, row=row, column=column, value=shorten(value))
