"""The wide layout: one row per respondent, one column per stage x item x measure."""

from __future__ import annotations

import numpy as np
import polars as pl

from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import MEASURES
from gapmodel.ingest.attributes import (
    ColumnRoles,
    allocations,
    classify_columns,
    respondent_frame,
    without_personal,
)
from gapmodel.ingest.cells import formula_like
from gapmodel.ingest.naming import ColumnNames, ScoreColumn, UnknownScore, listed
from gapmodel.ingest.respondents import check_respondent_cells, require_id
from gapmodel.ingest.validation_report import Problem, ValidationReport, shorten

_NONE = 255  # no score: scores are at most 11


def build(
    report: ValidationReport,
    raw: pl.DataFrame,
    instrument: Instrument,
    scale: tuple[int, int],
    mapped: tuple[list[ScoreColumn], ColumnRoles] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None:
    """Respondents, responses and allocations of a wide file, or None when it has errors.

    Parameters
    ----------
    report : ValidationReport
        Gets every problem found.
    raw : pl.DataFrame
        The file's text cells with their ``row`` numbers.
    instrument : Instrument
        The questionnaire: which stage x item pairs may have columns.
    scale : (int, int)
        The declared scale.
    mapped : (list of ScoreColumn, ColumnRoles), optional
        The score columns and roles a mapping gives (:mod:`gapmodel.ingest.mapped`); else they
        are read from the column names.
    """
    if mapped is None:
        scores = _score_columns(report, raw, instrument)
    else:
        scores = _asked(report, mapped[0], instrument)
    by_pair = _measures_by_pair(report, scores)
    if not scores and not report.errors:
        report.add(
            Problem(
                rule="no_score_columns",
                message="No score columns found. For a survey tool's export (Qualtrics, "
                "SurveyMonkey, Google Forms, SPSS...), let gapmodel propose a mapping of its "
                "columns: python -m gapmodel map FILE, or the mapping step of the Data page. "
                "Otherwise name the columns <stage>.<item>.<E|P> with the stages and item codes "
                f"of the instrument, for example {_example(instrument)}, or upload a long file "
                "with stage, item, expectation and perception columns.",
            )
        )
    if mapped is None:
        roles = classify_columns(
            report, raw.columns, {"row", *(s.name for s in scores)}, instrument
        )
        roles = without_personal(report, raw, roles)
    else:
        roles = mapped[1]
    require_id(report, roles)
    if report.errors:
        return None
    keys = raw.select("row", pl.col(roles.respondent_id).str.strip_chars())
    score_names = [s.name for s in scores]
    parsed = check_respondent_cells(
        report, raw, keys, roles, score_names, scale, "respondent id", "duplicate_respondent_id"
    )
    formula_like(report, raw, [roles.respondent_id, *roles.attributes.values()])
    if report.errors:
        return None
    respondents = respondent_frame(raw, roles)
    responses = _responses(parsed, respondents["respondent"], by_pair, instrument)
    return respondents, responses, allocations(report, raw, roles, respondents)


def _responses(
    parsed: pl.DataFrame,
    respondent: pl.Series,
    by_pair: dict[tuple[str, str], dict[str, str]],
    instrument: Instrument,
) -> pl.DataFrame:
    """One row per respondent x pair with any score, pair by pair (the order in which the
    store reads a wave fastest), built as arrays so that thousands of pairs cost no more than a
    few."""
    n, pairs = parsed.height, list(by_pair)
    stage_of = {s: k for k, s in enumerate(instrument.stages)}
    item_of = {c: k for k, c in enumerate(instrument.codes)}
    columns = [c for measures in by_pair.values() for c in measures.values()]
    values = parsed.select(pl.col(c).cast(pl.UInt8).fill_null(_NONE) for c in columns)
    values = values.to_numpy(order="fortran")  # column by column: one copy
    position = {c: k for k, c in enumerate(columns)}
    scores = {}
    for measure in MEASURES:
        matrix = np.full((len(pairs), n), _NONE, np.uint8)
        for k, pair in enumerate(pairs):
            column = by_pair[pair].get(measure)
            if column is not None:
                matrix[k] = values[:, position[column]]
        scores[measure] = matrix.ravel()
    given = np.zeros(len(pairs) * n, bool)
    for values in scores.values():
        given |= values != _NONE
    frame = pl.DataFrame(
        {
            "respondent": np.tile(respondent.to_numpy(), len(pairs)),
            "stage": np.repeat(np.array([stage_of[s] for s, _ in pairs], np.uint32), n),
            "item": np.repeat(np.array([item_of[i] for _, i in pairs], np.uint32), n),
            **scores,
        }
    ).filter(pl.Series(given))
    return frame.with_columns(
        pl.col("stage").cat.to(pl.Enum(list(instrument.stages))),
        pl.col("item").cat.to(pl.Enum(instrument.codes)),
        *(pl.when(pl.col(m) != _NONE).then(pl.col(m)).alias(m) for m in MEASURES),
    )


def _example(instrument: Instrument) -> str:
    """A score column the instrument would understand, for messages."""
    stage, item = instrument.pairs().select("stage", "item").row(0)
    return f"{stage}.{item}.E"


def _unknown_score(parsed: UnknownScore, instrument: Instrument) -> Problem:
    """The error of a column that looks like a score the questionnaire does not have."""
    stages = ", ".join(instrument.stages)
    if parsed.unknown == "no_stage":
        asked = instrument.pairs().filter(pl.col("item") == parsed.item)["stage"].to_list()
        return Problem(
            rule="unknown_stage",
            message=f"The column names the item {parsed.item!r} but no stage; the instrument "
            f"({instrument.name}) asks it at {', '.join(asked)}. Name the column "
            f"<stage>.<item>.<E|P>, for example {asked[0]}.{parsed.item}.E.",
            column=parsed.name,
        )
    if parsed.unknown == "stage":
        return Problem(
            rule="unknown_stage",
            message=f"Unknown stage {parsed.text!r}: the column looks like a score, but the "
            f"instrument ({instrument.name}) has the stages {stages}. Rename the column "
            "<stage>.<item>.<E|P>, or upload with the instrument that has it.",
            column=parsed.name,
            value=shorten(parsed.text),
        )
    return Problem(
        rule="unknown_item",
        message=f"Unknown item {parsed.text!r}: the column looks like a score, but the item is "
        f"not in the instrument ({instrument.name}: {listed(instrument.codes)}). Rename the "
        "column or upload with the right instrument.",
        column=parsed.name,
        value=shorten(parsed.text),
    )


def _score_columns(
    report: ValidationReport, raw: pl.DataFrame, instrument: Instrument
) -> list[ScoreColumn]:
    """The score columns of a wide file; unknown stages and items, pairs the instrument does not
    ask and measures given twice are reported."""
    names = ColumnNames(instrument)
    parsed_columns: list[ScoreColumn] = []
    for column in raw.columns:
        if column == "row":
            continue
        parsed = names.score_column(column)
        if isinstance(parsed, UnknownScore):
            report.add(_unknown_score(parsed, instrument))
        elif parsed is not None:
            parsed_columns.append(parsed)
    return _asked(report, parsed_columns, instrument)


def _asked(
    report: ValidationReport, columns: list[ScoreColumn], instrument: Instrument
) -> list[ScoreColumn]:
    """The score columns of pairs the instrument asks; the others, and measures given twice, are
    reported."""
    pairs = {(s, i) for s, i in instrument.pairs().select("stage", "item").iter_rows()}
    scores: list[ScoreColumn] = []
    for parsed in columns:
        if (parsed.stage, parsed.item) not in pairs:
            report.add(
                Problem(
                    rule="item_not_asked_at_stage",
                    message=f"The instrument does not ask {parsed.item!r} at stage "
                    f"{parsed.stage!r}.",
                    column=parsed.name,
                )
            )
        else:
            scores.append(parsed)
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
    return scores


def _measures_by_pair(
    report: ValidationReport, scores: list[ScoreColumn]
) -> dict[tuple[str, str], dict[str, str]]:
    """Stage x item -> measure -> column; a pair without both E and P is reported."""
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
    return by_pair
