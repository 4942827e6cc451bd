"""From an upload's bytes to a validated wave: layout detection, parsing, validation.

Wide layout: one row per respondent, one column per stage x item x measure, named
``<stage>.<item>.<measure>`` (for example ``post_purchase.kept_informed.E``). Separators
``.`` ``:`` ``|`` ``/`` ``__`` or a space are accepted, as are ``pre``/``post`` for the stages and
``expected``/``perceived``/``adequate``/``importance`` for the measures.

Long layout: ``respondent_id, stage, item, expectation, perception[, adequate, importance]``,
one row per respondent x stage x item.

Both may carry respondent attributes (``segment``, ``channel``, ``region``, anything else is
kept as extra) and importance points per dimension (``points.<dimension>``, summing to 100).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

import dataframely as dy
import polars as pl

from gapmodel import settings
from gapmodel.instrument import STAGES, Instrument
from gapmodel.readers import MAX_COLUMNS, ReadError, read_table
from gapmodel.report import PREVIEW_ROWS, Problem, ValidationReport, shorten
from gapmodel.store import ATTRIBUTES, MEASURES, STAGE_DTYPE, PreparedWave

STAGE_ALIASES: dict[str, str] = {
    "pre_purchase": "pre_purchase",
    "prepurchase": "pre_purchase",
    "pre": "pre_purchase",
    "before": "pre_purchase",
    "encounter": "encounter",
    "service_encounter": "encounter",
    "during": "encounter",
    "service": "encounter",
    "post_purchase": "post_purchase",
    "postpurchase": "post_purchase",
    "post": "post_purchase",
    "after": "post_purchase",
}
MEASURE_ALIASES: dict[str, str] = {
    "e": "expectation",
    "exp": "expectation",
    "expected": "expectation",
    "expectation": "expectation",
    "desired": "expectation",
    "p": "perception",
    "perc": "perception",
    "perceived": "perception",
    "perception": "perception",
    "a": "adequate",
    "adequate": "adequate",
    "minimum": "adequate",
    "i": "importance",
    "imp": "importance",
    "importance": "importance",
}
ID_ALIASES = (
    "respondent_id",
    "respondent",
    "respondentid",
    "resp_id",
    "response_id",
    "responseid",
    "id",
)
POINTS_PREFIXES = ("points", "weight", "importance_points")
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "-", ".", "#n/a", "missing")
MAX_TEXT = 200
MAX_EXTRA_COLUMNS = 50
_SEPARATORS = re.compile(r"\s*(?:__|[.:|/\\]|\s)\s*")
_DUPLICATED = re.compile(r"_duplicated_\d+$")


@dataclass(frozen=True)
class ScoreColumn:
    """A wide column understood as stage x item x measure."""

    name: str
    stage: str
    item: str
    measure: str


def parse_scale(text: str | tuple[int, int]) -> tuple[int, int]:
    """Parse a declared scale such as ``"1-7"``.

    Raises
    ------
    ValueError
        Unless the scale is ``min-max`` with min 0 or 1 and max an integer from 3 to 11.

    Examples
    --------
    >>> parse_scale("1-7")
    (1, 7)
    """
    if isinstance(text, tuple):
        low, high = text
    else:
        match = re.fullmatch(r"\s*(\d+)\s*(?:-|to|\.\.)\s*(\d+)\s*", str(text))
        if not match:
            raise ValueError(f"The scale must look like 1-7 (minimum-maximum). Got {text!r}.")
        low, high = int(match[1]), int(match[2])
    if low not in (0, 1) or not 3 <= high <= 11:
        raise ValueError(
            f"The scale must start at 0 or 1 and end at an integer from 3 to 11. Got {low}-{high}."
        )
    return low, high


def _canonical(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def parse_score_column(name: str) -> tuple[str, str, str] | None:
    """Split a wide column name into (stage, item, measure), or None if it is not a score.

    The stage is returned as written (normalised) when unknown, so that it can be reported.

    Examples
    --------
    >>> parse_score_column("Post-purchase.kept_informed.E")
    ('post_purchase', 'kept_informed', 'expectation')
    >>> parse_score_column("pre_purchase_courtesy_p")
    ('pre_purchase', 'courtesy', 'perception')
    >>> parse_score_column("segment") is None
    True
    """
    text = _canonical(name)
    parts = [p for p in _SEPARATORS.split(text) if p]
    if len(parts) == 3 and parts[2] in MEASURE_ALIASES:
        stage, item, measure = parts
        return STAGE_ALIASES.get(stage, stage), item, MEASURE_ALIASES[measure]
    # Underscores only (pre_purchase_courtesy_e): known stage prefix and measure suffix.
    for alias in sorted(STAGE_ALIASES, key=len, reverse=True):
        if text.startswith(alias + "_"):
            rest = text[len(alias) + 1 :]
            item, _, measure = rest.rpartition("_")
            if item and measure in MEASURE_ALIASES:
                return STAGE_ALIASES[alias], item, MEASURE_ALIASES[measure]
    return None


def _numeric(column: str) -> pl.Expr:
    """Text cell -> Float64: missing tokens to null, decimal comma to point."""
    text = pl.col(column).str.strip_chars()
    missing = text.str.to_lowercase().is_in(MISSING_TOKENS) | text.is_null()
    value = text.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return pl.when(missing).then(None).otherwise(value).alias(column)


def _missing(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return text.is_null() | text.str.to_lowercase().is_in(MISSING_TOKENS)


def _score_schema(columns: list[str], scale: tuple[int, int], key: list[str]) -> type[dy.Schema]:
    """A dataframely schema: scores within the declared scale and whole; keys unique, bounded."""
    low, high = scale
    members: dict[str, object] = {
        "row": dy.Int64(nullable=False),
    }
    for name in key:
        members[name] = dy.String(
            nullable=False, primary_key=True, min_length=1, max_length=MAX_TEXT
        )
    for name in columns:
        members[name] = dy.Float64(
            nullable=True, min=low, max=high, check={"whole": lambda c: c == c.round(0)}
        )
    return type("WaveScores", (dy.Schema,), members)


_RULE_TEXT = {
    "min": ("out_of_scale", "Score {value} is below the declared scale {low}-{high}."),
    "max": ("out_of_scale", "Score {value} is above the declared scale {low}-{high}."),
    "check__whole": (
        "not_whole_number",
        "Score {value} is not a whole number on the scale {low}-{high}.",
    ),
    "nullability": ("missing_value", "This value is required but empty."),
    "min_length": ("missing_value", "This value is required but empty."),
    "max_length": ("too_long", "The value is longer than 200 characters; shorten it."),
}


def _key_text(row: dict, key: list[str]) -> str:
    """``respondent_id=R1, stage=encounter`` for a duplicate-key message."""
    return ", ".join(f"{k.lstrip('_')}={shorten(row[k])}" for k in key)


def _schema_problems(
    report: ValidationReport,
    parsed: pl.DataFrame,
    raw: pl.DataFrame,
    schema: type[dy.Schema],
    scale: tuple[int, int],
    key: list[str],
    key_label: str,
    duplicate_rule: str,
    file_columns: dict[str, str] | None = None,
) -> None:
    """Run the dataframely schema and turn each failed rule into (row, column, value) problems.

    ``file_columns`` names the file's column for a derived one (``_stage`` -> ``stage``): the
    problem shows that column and its value as the file had it.
    """
    file_columns = file_columns or {}
    _, failure = schema.filter(parsed)
    if not len(failure):
        return
    details = failure.details()
    low, high = scale
    for rule, total in failure.counts().items():
        if rule == "primary_key":
            dup = details.filter(pl.col(rule) == "invalid").select("row", *key)
            shown = dup.head(200)
            problems = [
                Problem(
                    rule=duplicate_rule,
                    message=f"This {key_label} appears more than once "
                    f"({_key_text(r, key)}); "
                    "each must be unique.",
                    row=r["row"],
                    column=key[0],
                    value=shorten(r[key[0]]),
                )
                for r in shown.iter_rows(named=True)
            ]
            report.add_many(problems, total)
            continue
        column, _, check = rule.partition("|")
        column = file_columns.get(column, column)
        name, template = _RULE_TEXT.get(check, ("invalid_value", f"Fails the rule {check}."))
        bad = details.filter(pl.col(rule) == "invalid").select("row").head(200)
        rows = bad["row"].to_list()
        values = raw.filter(pl.col("row").is_in(rows)).select("row", column)
        by_row = dict(values.iter_rows())
        problems = [
            Problem(
                rule=name,
                message=template.format(value=shorten(by_row.get(r)), low=low, high=high),
                row=r,
                column=column,
                value=shorten(by_row.get(r)),
            )
            for r in rows
        ]
        report.add_many(problems, total)


def _parse_scores(report: ValidationReport, raw: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The ``columns`` of ``raw`` as Float64; cells with text where a number belongs are reported.

    Most survey exports hold plain numbers, so each column is first cast directly; only a column
    where that loses values (missing-value tokens, decimal commas, spaces, text) takes the
    careful path of :func:`_numeric`.
    """
    if not columns:
        return pl.DataFrame(height=raw.height)
    quick = raw.select(pl.col(c).cast(pl.Float64, strict=False).fill_nan(None) for c in columns)
    before = raw.select(columns).null_count().row(0)
    lost = zip(columns, quick.null_count().row(0), before, strict=True)
    careful = [c for c, after, was in lost if after != was]
    if not careful:
        return quick
    parsed = raw.select(_numeric(c) for c in careful)
    _non_numeric(report, raw, parsed, careful)
    return quick.with_columns(parsed)


def _non_numeric(
    report: ValidationReport, raw: pl.DataFrame, parsed: pl.DataFrame, columns: list[str]
) -> None:
    """Cells with text where a score should be."""
    if not columns:
        return
    flags = raw.select([(~_missing(c) & parsed[c].is_null()).alias(c) for c in columns])
    counts = flags.sum().row(0, named=True)
    for column, total in counts.items():
        if not total:
            continue
        rows = raw.filter(flags[column]).select("row", column).head(200)
        report.add_many(
            [
                Problem(
                    rule="non_numeric",
                    message=f"{shorten(value)!r} is not a number; scores must be whole numbers.",
                    row=row,
                    column=column,
                    value=shorten(value),
                )
                for row, value in rows.iter_rows()
            ],
            total,
        )


def _text_limits(report: ValidationReport, raw: pl.DataFrame, columns: list[str]) -> None:
    for column in columns:
        too_long = raw.filter(pl.col(column).str.len_chars() > MAX_TEXT).select("row", column)
        report.add_many(
            [
                Problem(
                    rule="too_long",
                    message=f"The value has {len(v):,} characters; at most {MAX_TEXT} are allowed.",
                    row=r,
                    column=column,
                    value=shorten(v),
                )
                for r, v in too_long.head(200).iter_rows()
            ],
            too_long.height,
        )


def _formula_like(report: ValidationReport, raw: pl.DataFrame, columns: list[str]) -> None:
    for column in columns:
        hits = (
            raw.filter(pl.col(column).str.contains(r"^[=+\-@\t\r]")).select("row", column).head(5)
        )
        for row, value in hits.iter_rows():
            report.add(
                Problem(
                    rule="formula_like_text",
                    message="Text starting like a spreadsheet formula is stored as plain text; "
                    "exports neutralise it.",
                    row=row,
                    column=column,
                    value=shorten(value),
                    severity="warning",
                )
            )


@dataclass(frozen=True)
class _Columns:
    respondent_id: str | None
    attributes: dict[str, str]  # canonical attribute -> column in file
    points: dict[str, str]  # dimension -> column
    extra: list[str]


def _classify_columns(
    report: ValidationReport, columns: list[str], reserved: set[str], instrument: Instrument
) -> _Columns:
    """Find the id, attribute, points and extra columns among the non-score columns."""
    canonical = {c: _canonical(c) for c in columns}
    respondent_id = next(
        (c for alias in ID_ALIASES for c in columns if canonical[c] == alias and c not in reserved),
        None,
    )
    attributes, points, extra = {}, {}, []
    dimensions = set(instrument.dimensions)
    for column in columns:
        if column in reserved or column == respondent_id:
            continue
        name = canonical[column]
        if name in ATTRIBUTES:
            attributes[name] = column
            continue
        parts = [p for p in _SEPARATORS.split(name) if p]
        if len(parts) == 2 and parts[0] in POINTS_PREFIXES:
            if parts[1] in dimensions:
                points[parts[1]] = column
            else:
                report.add(
                    Problem(
                        rule="unknown_dimension",
                        message=f"Importance points for {parts[1]!r}, which is not a dimension of "
                        f"the instrument ({', '.join(instrument.dimensions)}).",
                        column=column,
                    )
                )
            continue
        extra.append(column)
    if len(extra) > MAX_EXTRA_COLUMNS:
        report.add(
            Problem(
                rule="too_many_columns",
                message=f"{len(extra)} columns are neither scores nor known attributes; at most "
                f"{MAX_EXTRA_COLUMNS} extra attributes are kept. Remove unneeded columns.",
            )
        )
    return _Columns(respondent_id, attributes, points, extra)


def _respondent_frame(raw: pl.DataFrame, cols: _Columns) -> pl.DataFrame:
    """respondent (1..n, in file order), respondent_id, segment, channel, region, extra (JSON)."""
    attrs = [
        (
            pl.col(cols.attributes[a]).str.strip_chars().replace("", None)
            if a in cols.attributes
            else pl.lit(None, pl.String)
        ).alias(a)
        for a in ATTRIBUTES
    ]
    if cols.extra:
        extra = pl.struct([pl.col(c).alias(c) for c in cols.extra]).struct.json_encode()
    else:
        extra = pl.lit(None, pl.String)
    return raw.select(
        pl.col(cols.respondent_id).str.strip_chars().alias("respondent_id"),
        *attrs,
        extra.alias("extra"),
    ).with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("respondent"))


def _allocations(
    report: ValidationReport, raw: pl.DataFrame, cols: _Columns, key: pl.DataFrame
) -> pl.DataFrame:
    """Points per dimension, long; checks 0-100 and a total of 100 per respondent."""
    empty = pl.DataFrame(
        schema={"respondent": pl.Int32, "dimension": pl.String, "points": pl.Float64}
    )
    if not cols.points:
        return empty
    parsed = pl.concat(
        [raw.select("row"), _parse_scores(report, raw, list(cols.points.values()))],
        how="horizontal",
    )
    total = parsed.select(pl.sum_horizontal(list(cols.points.values())).alias("total"), "row")
    answered = parsed.select(
        pl.any_horizontal([pl.col(c).is_not_null() for c in cols.points.values()])
    )
    bad = total.filter(answered.to_series() & ((pl.col("total") - 100).abs() > 0.5))
    report.add_many(
        [
            Problem(
                rule="points_not_100",
                message=f"Importance points add up to {t:g}; they must total 100.",
                row=r,
                column=", ".join(cols.points.values()),
                value=f"{t:g}",
            )
            for t, r in bad.head(200).iter_rows()
        ],
        bad.height,
    )
    out_of_range = parsed.filter(
        pl.any_horizontal([(pl.col(c) < 0) | (pl.col(c) > 100) for c in cols.points.values()])
    )
    report.add_many(
        [
            Problem(
                rule="points_out_of_range",
                message="Importance points must lie between 0 and 100.",
                row=r,
            )
            for r in out_of_range["row"].head(200)
        ],
        out_of_range.height,
    )
    frames = [
        parsed.select(
            key["respondent"], pl.lit(dimension).alias("dimension"), pl.col(column).alias("points")
        )
        for dimension, column in cols.points.items()
    ]
    return pl.concat(frames).filter(pl.col("points").is_not_null())


def _check_ids(report: ValidationReport, raw: pl.DataFrame, column: str) -> None:
    missing = raw.filter(pl.col(column).str.strip_chars().replace("", None).is_null())
    report.add_many(
        [
            Problem(
                rule="missing_respondent_id",
                message="This row has no respondent id; every row needs one.",
                row=r,
                column=column,
            )
            for r in missing["row"].head(200)
        ],
        missing.height,
    )


# -- layouts -----------------------------------------------------------------------------------
def _wide(
    report: ValidationReport, raw: pl.DataFrame, instrument: Instrument, scale: tuple[int, int]
):
    pairs = {(s, i) for s, i in instrument.pairs().select("stage", "item").iter_rows()}
    known_items = set(instrument.codes)
    scores: list[ScoreColumn] = []
    for column in raw.columns:
        if column == "row":
            continue
        parsed_name = parse_score_column(column)
        if parsed_name is None:
            continue
        stage, item, measure = parsed_name
        if stage not in STAGES:
            report.add(
                Problem(
                    rule="unknown_stage",
                    message=f"Unknown stage {stage!r}; use one of {', '.join(STAGES)}.",
                    column=column,
                    value=shorten(stage),
                )
            )
        elif item not in known_items:
            report.add(
                Problem(
                    rule="unknown_item",
                    message=f"Unknown item {item!r}: it is not in the instrument "
                    f"({instrument.name}). Rename the column or upload with the right instrument.",
                    column=column,
                    value=shorten(item),
                )
            )
        elif (stage, item) not in pairs:
            report.add(
                Problem(
                    rule="item_not_asked_at_stage",
                    message=f"The instrument does not ask {item!r} at stage {stage!r}.",
                    column=column,
                )
            )
        else:
            scores.append(ScoreColumn(column, stage, item, measure))
    seen: dict[tuple[str, str, str], str] = {}
    for s in scores:
        key = (s.stage, s.item, s.measure)
        if key in seen:
            report.add(
                Problem(
                    rule="duplicate_column",
                    message=f"Columns {seen[key]!r} and {s.name!r} both hold {s.measure} of "
                    f"{s.item} at {s.stage}.",
                    column=s.name,
                )
            )
        seen[key] = s.name
    by_pair: dict[tuple[str, str], dict[str, str]] = {}
    for s in scores:
        by_pair.setdefault((s.stage, s.item), {})[s.measure] = s.name
    for (stage, item), measures in sorted(by_pair.items()):
        for needed in ("expectation", "perception"):
            if needed not in measures:
                other = next(iter(measures.values()))
                report.add(
                    Problem(
                        rule="missing_column",
                        message=f"There is no {needed} column for {item!r} at {stage!r} "
                        f"(found {other!r}). Add a column named {stage}.{item}.{needed[0].upper()}.",
                        column=other,
                    )
                )
    if not scores and not report.errors:
        report.add(
            Problem(
                rule="no_score_columns",
                message="No score columns found. Name them <stage>.<item>.<E|P>, for example "
                "post_purchase.kept_informed.E, or upload a long file with stage, item, "
                "expectation and perception columns.",
            )
        )
    cols = _classify_columns(report, raw.columns, {"row", *(s.name for s in scores)}, instrument)
    if cols.respondent_id is None:
        report.add(
            Problem(
                rule="missing_column",
                message="There is no respondent id column. Add one named respondent_id.",
                column="respondent_id",
            )
        )
    if report.errors:
        return None
    score_names = [s.name for s in scores]
    parsed = pl.concat(
        [
            raw.select("row", pl.col(cols.respondent_id).str.strip_chars()),
            _parse_scores(report, raw, score_names),
        ],
        how="horizontal",
    )
    _check_ids(report, raw, cols.respondent_id)
    _schema_problems(
        report,
        parsed,
        raw,
        _score_schema(score_names, scale, [cols.respondent_id]),
        scale,
        [cols.respondent_id],
        "respondent id",
        "duplicate_respondent_id",
    )
    _text_limits(report, raw, [cols.respondent_id, *cols.attributes.values(), *cols.extra])
    _formula_like(report, raw, [cols.respondent_id, *cols.attributes.values()])
    if report.errors:
        return None
    respondents = _respondent_frame(raw, cols)
    keyed = parsed.with_columns(respondents["respondent"]).lazy()
    item_dtype = pl.Enum(instrument.codes)
    long = pl.concat(
        [
            keyed.select(
                "respondent",
                pl.lit(stage).cast(STAGE_DTYPE).alias("stage"),
                pl.lit(item).cast(item_dtype).alias("item"),
                *[
                    (pl.col(measures[m]) if m in measures else pl.lit(None, pl.Float64))
                    .cast(pl.UInt8)
                    .alias(m)
                    for m in MEASURES
                ],
            ).filter(pl.any_horizontal(pl.col(m).is_not_null() for m in measures))
            for (stage, item), measures in by_pair.items()
        ]
    ).collect()
    allocations = _allocations(report, raw, cols, respondents)
    return respondents, long, allocations


def _long(
    report: ValidationReport, raw: pl.DataFrame, instrument: Instrument, scale: tuple[int, int]
):
    canonical = {_canonical(c): c for c in raw.columns if c != "row"}
    measure_cols: dict[str, str] = {}
    for name, column in canonical.items():
        measure = MEASURE_ALIASES.get(name)
        if measure and len(name) > 1 and measure not in measure_cols:
            measure_cols[measure] = column
    for needed in ("expectation", "perception"):
        if needed not in measure_cols:
            report.add(
                Problem(
                    rule="missing_column",
                    message=f"There is no {needed} column. A long file needs respondent_id, "
                    "stage, item, expectation and perception.",
                    column=needed,
                )
            )
    stage_col, item_col = canonical["stage"], canonical["item"]
    cols = _classify_columns(
        report, raw.columns, {"row", stage_col, item_col, *measure_cols.values()}, instrument
    )
    if cols.respondent_id is None:
        report.add(
            Problem(
                rule="missing_column",
                message="There is no respondent id column. Add one named respondent_id.",
                column="respondent_id",
            )
        )
    if report.errors:
        return None
    stage_text = pl.col(stage_col).str.strip_chars().str.to_lowercase().str.replace_all("-", "_")
    keyed = raw.with_columns(
        stage_text.replace(STAGE_ALIASES).alias("_stage"),
        pl.col(item_col).str.strip_chars().str.to_lowercase().alias("_item"),
    )
    pairs = instrument.pairs().select(
        pl.col("stage").alias("_stage"), pl.col("item").alias("_item")
    )
    bad_stage = keyed.filter(~pl.col("_stage").is_in(STAGES))  # blanks: missing_value
    report.add_many(
        [
            Problem(
                rule="unknown_stage",
                message=f"Unknown stage {shorten(v)!r}; use one of {', '.join(STAGES)}.",
                row=r,
                column=stage_col,
                value=shorten(v),
            )
            for r, v in bad_stage.select("row", stage_col).head(200).iter_rows()
        ],
        bad_stage.height,
    )
    bad_item = keyed.filter(~pl.col("_item").is_in(instrument.codes))  # blanks: missing_value
    report.add_many(
        [
            Problem(
                rule="unknown_item",
                message=f"Unknown item {shorten(v)!r}: it is not in the instrument ({instrument.name}).",
                row=r,
                column=item_col,
                value=shorten(v),
            )
            for r, v in bad_item.select("row", item_col).head(200).iter_rows()
        ],
        bad_item.height,
    )
    not_asked = keyed.filter(
        pl.col("_stage").is_in(STAGES) & pl.col("_item").is_in(instrument.codes)
    ).join(pairs, on=["_stage", "_item"], how="anti")
    report.add_many(
        [
            Problem(
                rule="item_not_asked_at_stage",
                message=f"The instrument does not ask {i!r} at stage {s!r}.",
                row=r,
                column=item_col,
                value=shorten(i),
            )
            for r, s, i in not_asked.select("row", "_stage", "_item").head(200).iter_rows()
        ],
        not_asked.height,
    )
    score_names = list(measure_cols.values())
    parsed = pl.concat(
        [
            keyed.select("row", pl.col(cols.respondent_id).str.strip_chars(), "_stage", "_item"),
            _parse_scores(report, raw, score_names),
        ],
        how="horizontal",
    )
    _check_ids(report, raw, cols.respondent_id)
    _schema_problems(
        report,
        parsed,
        raw,
        _score_schema(score_names, scale, [cols.respondent_id, "_stage", "_item"]),
        scale,
        [cols.respondent_id, "_stage", "_item"],
        "respondent, stage and item",
        "duplicate_row",
        {"_stage": stage_col, "_item": item_col},
    )
    attribute_cols = [*cols.attributes.values(), *cols.points.values(), *cols.extra]
    _text_limits(report, raw, [cols.respondent_id, *cols.attributes.values(), *cols.extra])
    for column in attribute_cols:
        conflict = raw.group_by(cols.respondent_id).agg(
            pl.col(column).n_unique().alias("k"), pl.col("row").min()
        )
        conflict = conflict.filter(pl.col("k") > 1).sort("row")
        report.add_many(
            [
                Problem(
                    rule="inconsistent_attribute",
                    message="This respondent has different values of this attribute on different rows.",
                    row=r,
                    column=column,
                    value=shorten(rid),
                )
                for rid, _, r in conflict.head(200).iter_rows()
            ],
            conflict.height,
        )
    _formula_like(report, raw, [cols.respondent_id, *cols.attributes.values()])
    if report.errors:
        return None
    first_rows = raw.with_columns(pl.col(cols.respondent_id).str.strip_chars()).unique(
        cols.respondent_id, keep="first", maintain_order=True
    )
    respondents = _respondent_frame(first_rows, cols)
    key = respondents.select("respondent", "respondent_id")
    long = (
        parsed.rename({cols.respondent_id: "respondent_id"})
        .join(key, on="respondent_id", how="left")
        .select(
            "respondent",
            pl.col("_stage").cast(STAGE_DTYPE).alias("stage"),
            pl.col("_item").cast(pl.Enum(instrument.codes)).alias("item"),
            *[
                (pl.col(measure_cols[m]) if m in measure_cols else pl.lit(None, pl.Float64))
                .cast(pl.UInt8)
                .alias(m)
                for m in MEASURES
            ],
        )
        .filter(pl.any_horizontal([pl.col(m).is_not_null() for m in MEASURES]))
    )
    allocations = _allocations(report, first_rows, cols, respondents)
    return respondents, long, allocations


def _drop_blank_rows(raw: pl.DataFrame) -> pl.DataFrame:
    """Rows whose every cell is empty or blank are not data (spreadsheets often end with some).

    A blank row has a blank first column, so only those few rows get the full check.
    """

    def blank(columns: list[str]) -> pl.Expr:
        return pl.all_horizontal(
            pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in columns
        )

    cells = [c for c in raw.columns if c != "row"]
    if not cells:
        return raw
    candidates = raw.filter(blank(cells[:1]))
    if candidates.is_empty():
        return raw
    blank_rows = candidates.filter(blank(cells))["row"]
    return raw.filter(~pl.col("row").is_in(blank_rows.implode())) if blank_rows.len() else raw


def _reserved_name(name: str) -> bool:
    """Column names validation cannot work with: its own ``row`` column, and names that polars
    reads as a pattern instead of a name (``*``, ``^...$``)."""
    return name in ("row", "*") or (name.startswith("^") and name.endswith("$"))


# -- entry point -------------------------------------------------------------------------------
def prepare_wave(
    data: bytes,
    filename: str,
    instrument: Instrument,
    scale: str | tuple[int, int] = (1, 7),
) -> tuple[PreparedWave | None, ValidationReport]:
    """Read, validate and normalise one survey wave; write nothing.

    Parameters
    ----------
    data : bytes
        The uploaded file.
    filename : str
        Its name, for messages.
    instrument : Instrument
        The questionnaire the wave was fielded with.
    scale : str or (int, int)
        Declared scale, e.g. ``"1-7"``.

    Returns
    -------
    (PreparedWave or None, ValidationReport)
        The prepared wave is None when the report has errors.

    Notes
    -----
    A pair with E or P missing is kept (the other score is data) but only complete pairs
    count in the analysis. Missing-value tokens: empty, NA, N/A, NaN, null, none, -, ., #N/A.
    """
    scale = parse_scale(scale)
    report = ValidationReport(source_name=filename)
    limit_mb = settings.get("max_upload_mb")
    if len(data) > limit_mb * 1024 * 1024:
        report.add(
            Problem(
                rule="file_too_large",
                message=f"The file is {len(data) / 1e6:,.0f} MB; the limit is {limit_mb} MB "
                "(GAPMODEL_MAX_UPLOAD_MB). Split the wave or export Parquet.",
            )
        )
        return None, report
    try:
        table = read_table(data, filename)
    except ReadError as exc:
        report.add(exc.problem)
        return None, report
    for note in table.notes:
        report.add(note)
    raw = table.frame
    report.preview = raw.head(PREVIEW_ROWS)
    reserved = [c for c in raw.columns if _reserved_name(c)]
    for column in reserved:
        report.add(
            Problem(
                rule="reserved_column",
                message=f"The column name {shorten(column)!r} is reserved ('row' holds row "
                "numbers in this report; '*' and names between ^ and $ are patterns). Rename "
                "or remove that column.",
                column=shorten(column),
            )
        )
    if reserved:
        return None, report
    long_names = [c for c in raw.columns if len(c) > MAX_TEXT]
    for column in long_names[:20]:  # extra columns are stored by name on every respondent
        report.add(
            Problem(
                rule="too_long",
                message=f"A column name has {len(column):,} characters; at most {MAX_TEXT} are "
                "allowed. Shorten it.",
                column=shorten(column),
            )
        )
    if long_names:
        return None, report
    duplicated = [c for c in raw.columns if _DUPLICATED.search(c)]
    for column in duplicated:
        report.add(
            Problem(
                rule="duplicate_column",
                message=f"The column name {_DUPLICATED.sub('', column)!r} appears more than once.",
                column=_DUPLICATED.sub("", column),
            )
        )
    if len(raw.columns) > MAX_COLUMNS:
        report.add(
            Problem(
                rule="too_many_columns",
                message=f"The file has {len(raw.columns):,} columns; at most {MAX_COLUMNS:,} are accepted.",
            )
        )
    raw = _drop_blank_rows(
        raw.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))
    )
    report.n_rows = raw.height
    max_rows = settings.get("max_rows")
    if raw.height == 0:
        report.add(
            Problem(
                rule="no_data_rows",
                message="The file has a header but no data rows. Export the responses too.",
            )
        )
    elif raw.height > max_rows:
        report.add(
            Problem(
                rule="too_many_rows",
                message=f"The file has {raw.height:,} rows; the limit is {max_rows:,} "
                "(GAPMODEL_MAX_ROWS). Split the wave.",
            )
        )
    if report.errors:
        return None, report
    canonical = {_canonical(c) for c in raw.columns}
    report.layout = "long" if {"stage", "item"} <= canonical else "wide"
    builder = _long if report.layout == "long" else _wide
    built = builder(report, raw, instrument, scale)
    if built is None or report.errors:
        return None, report
    respondents, responses, allocations = built
    complete = responses.select(
        (pl.col("expectation").is_not_null() & pl.col("perception").is_not_null()).sum()
    ).item()
    report.n_respondents = respondents.height
    report.n_pairs = complete
    incomplete = responses.height - complete
    if incomplete:
        report.add(
            Problem(
                rule="incomplete_pairs",
                message=f"{incomplete:,} answers have E or P missing; they are stored but only "
                "complete pairs are analysed.",
                severity="warning",
            )
        )
    if complete == 0:
        report.add(
            Problem(
                rule="no_complete_pairs",
                message="No respondent answered both E and P for any item.",
            )
        )
        return None, report
    wave = PreparedWave(
        respondents=respondents.select("respondent", "respondent_id", *ATTRIBUTES, "extra"),
        responses=responses,
        allocations=allocations,
        scale=scale,
        instrument=instrument,
        source_name=filename,
        sha256=hashlib.sha256(data).hexdigest(),
        source_format=f"{report.layout} {table.kind}",
    )
    return wave, report


def extra_attributes(extra: str | None) -> dict[str, str]:
    """Decode the ``extra`` JSON text of a respondent."""
    return json.loads(extra) if extra else {}
