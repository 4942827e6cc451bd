"""The wide layout: one row per respondent, one column per stage x item x measure."""

from __future__ import annotations

import polars as pl

from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import STAGE_DTYPE, STAGES
from gapmodel.ingest.attributes import allocations, classify_columns, respondent_frame
from gapmodel.ingest.cells import formula_like
from gapmodel.ingest.naming import ScoreColumn, parse_score_column
from gapmodel.ingest.respondents import check_respondent_cells, measure_columns, require_id
from gapmodel.ingest.validation_report import Problem, ValidationReport, shorten


def build(
    report: ValidationReport, raw: pl.DataFrame, instrument: Instrument, scale: tuple[int, int]
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
    """
    scores = _score_columns(report, raw, instrument)
    by_pair = _measures_by_pair(report, scores)
    if not scores and not report.errors:
        report.add(
            Problem(
                rule="no_score_columns",
                message="No score columns found. Name them <stage>.<item>.<E|P>, for example "
                "post_purchase.kept_informed.E, or upload a long file with stage, item, "
                "expectation and perception columns.",
            )
        )
    roles = classify_columns(report, raw.columns, {"row", *(s.name for s in scores)}, instrument)
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
    keyed = parsed.with_columns(respondents["respondent"]).lazy()
    item_dtype = pl.Enum(instrument.codes)
    responses = pl.concat(
        [
            keyed.select(
                "respondent",
                pl.lit(stage).cast(STAGE_DTYPE).alias("stage"),
                pl.lit(item).cast(item_dtype).alias("item"),
                *measure_columns(measures),
            ).filter(pl.any_horizontal(pl.col(m).is_not_null() for m in measures))
            for (stage, item), measures in by_pair.items()
        ]
    ).collect()
    return respondents, responses, allocations(report, raw, roles, respondents)


def _score_columns(
    report: ValidationReport, raw: pl.DataFrame, instrument: Instrument
) -> list[ScoreColumn]:
    """The score columns of a wide file; unknown stages and items, pairs the instrument does not
    ask and measures given twice are reported."""
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
