"""A file read through a mapping: the mapping's rows checked against the file and the
questionnaire, answer texts turned into scores, and the columns handed to the wide layout as
scores, id and attributes.

A file without an id column gets ids from its row numbers (``row 4``), and the report says so.
Personal-data columns the mapping keeps are stored, with a warning naming them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import polars as pl

from gapmodel.core.errors import InstrumentError
from gapmodel.core.instrument import Instrument, load_instrument
from gapmodel.core.text import normal_text
from gapmodel.core.vocabulary import clean_name
from gapmodel.ingest.attributes import ColumnRoles, add_attribute
from gapmodel.ingest.mapping import MISSING, ColumnMap, Mapping, label_key, measure_of
from gapmodel.ingest.naming import ColumnNames, ScoreColumn, listed
from gapmodel.ingest.personal import personal_by_content, personal_by_header, personal_in_text
from gapmodel.ingest.validation_report import Problem, ValidationReport, shorten

ROW_ID = "_row_id"
DRAFT_STAGE = "Survey"  # the stage of a drafted questionnaire whose rows name none


def _error(message: str, column: str | None = None, rule: str = "invalid_mapping") -> Problem:
    return Problem(rule=rule, message=message, column=column)


def mapping_instrument(
    report: ValidationReport, mapping: Mapping, instrument: Instrument
) -> Instrument | None:
    """The questionnaire of a mapped file: ``instrument`` when it has every mapped item, else
    the one the mapping drafts (its score rows with wording and dimension), else None with the
    rows that name unknown stages or items reported."""
    names = ColumnNames(instrument)
    scores = mapping.by_role("score")
    unknown = [s for s in scores if names.item(s.item) is None or not _stage_known(names, s)]
    if not unknown:
        return instrument
    if not any(s.wording for s in scores):
        for s in unknown[:20]:
            if names.item(s.item) is not None and not s.stage.strip():
                message = (
                    f"The score column {s.column!r} needs a stage: one of "
                    f"{', '.join(instrument.stages)}."
                )
            else:
                what = "item" if names.item(s.item) is None else "stage"
                there = listed(instrument.codes) if what == "item" else ", ".join(instrument.stages)
                message = (
                    f"The mapping maps {s.column!r} to the {what} "
                    f"{(s.item if what == 'item' else s.stage)!r}, which the questionnaire "
                    f"({instrument.name}) does not have ({there}). Correct the row, give the "
                    "questionnaire that has it, or fill in wording and dimension to draft a new "
                    "questionnaire from the mapping."
                )
            report.add(_error(message, s.column))
        return None
    return _draft(report, scores, instrument)


def stage_of(names: ColumnNames, row: ColumnMap) -> str | None:
    """The stage a score row names, or for a blank stage the questionnaire's only one (a draft
    names blank stages ``Survey``); None when the questionnaire has no such stage."""
    if row.stage.strip():
        return names.stage(row.stage)
    stages = names.instrument.stages
    return stages[0] if len(stages) == 1 else names.stage(DRAFT_STAGE)


def _stage_known(names: ColumnNames, row: ColumnMap) -> bool:
    return stage_of(names, row) is not None


def _draft(
    report: ValidationReport, scores: list[ColumnMap], base: Instrument
) -> Instrument | None:
    """The questionnaire the mapping's score rows describe; items the base questionnaire has keep
    its wording and dimension where the row leaves them blank."""
    known = {c: r for c, r in zip(base.codes, base.items.iter_rows(named=True), strict=True)}
    names = ColumnNames(base)
    items: dict[str, dict] = {}
    for s in scores:
        code = names.item(s.item) or s.item.strip()
        item = items.setdefault(code, {"wording": "", "dimension": "", "stages": []})
        old = known.get(code, {})
        item["wording"] = item["wording"] or clean_name(s.wording) or old.get("wording") or ""
        item["dimension"] = (
            item["dimension"] or clean_name(s.dimension) or old.get("dimension") or ""
        )
        stage = names.stage(s.stage) or clean_name(s.stage) or DRAFT_STAGE
        if stage not in item["stages"]:
            item["stages"].append(stage)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "wording", "dimension", "stages"])
    for code, item in items.items():
        writer.writerow([code, item["wording"], item["dimension"], "|".join(item["stages"])])
    try:
        drafted = load_instrument(out.getvalue().encode(), "questionnaire drafted from the mapping")
    except InstrumentError as exc:
        for problem in exc.problems:
            report.add(_error(f"The drafted questionnaire cannot be used: {problem}"))
        return None
    report.add(
        Problem(
            rule="draft_questionnaire",
            message=f"The questionnaire is drafted from the mapping: {len(items)} items in "
            f"{len(drafted.dimensions)} dimension(s) at {len(drafted.stages)} stage(s) "
            f"({', '.join(drafted.stages)}). It is stored with the wave.",
            severity="warning",
        )
    )
    return drafted


def mapped_columns(
    report: ValidationReport,
    raw: pl.DataFrame,
    mapping: Mapping,
    instrument: Instrument,
    value_labels: dict[str, dict[str, str]] | None = None,
) -> tuple[pl.DataFrame, list[ScoreColumn], ColumnRoles] | None:
    """The file's cells ready for the wide layout, its score columns and its column roles.

    Parameters
    ----------
    raw : pl.DataFrame
        The file's text cells with their ``row`` numbers.
    mapping : Mapping
    instrument : Instrument
        The wave's questionnaire (:func:`mapping_instrument`).
    value_labels : dict, optional
        Column -> code -> label from an SPSS file; attributes are stored by their labels.

    Returns
    -------
    (raw, scores, roles) or None when the mapping does not fit the file.
    """
    mapping = _as_in_file(mapping, raw.columns)
    present = set(raw.columns)
    missing = [  # comments are never stored: one the next wave lacks does not matter
        c.column
        for c in mapping.columns
        if c.role not in ("ignore", "comment") and c.column not in present
    ]
    for column in missing[:20]:
        report.add(
            _error(
                f"The mapping names the column {shorten(column)!r}, which this file does not "
                f"have. Check that the file is an export of the same survey, or correct the "
                "mapping.",
                shorten(column),
                "mapping_column_missing",
            )
        )
    known = set(mapping.headers())
    unmapped = [c for c in raw.columns if c != "row" and c not in known]
    if unmapped:
        report.add(
            Problem(
                rule="unmapped_columns",
                message=f"{len(unmapped)} column(s) of the file are not in the mapping and were "
                f"not read: {listed([shorten(c) or '' for c in unmapped], 5)}.",
                severity="warning",
            )
        )
    if report.errors:
        return None
    names = ColumnNames(instrument)
    scores = [
        ScoreColumn(s.column, stage_of(names, s), names.item(s.item), measure_of(s.measure))
        for s in mapping.by_role("score")
    ]
    raw = _scores_from_labels(raw, [s.name for s in scores], mapping.labels)
    raw, respondent_id = _respondent_id(report, raw, mapping)
    attributes: dict[str, str] = {}
    for a in mapping.by_role("attribute"):
        add_attribute(report, attributes, a.column, a.name)
    for a in mapping.by_role("attribute") + mapping.by_role("id"):
        values = raw[a.column]
        kind = (
            personal_by_header(a.column, a.question)
            or personal_by_content(values)
            or personal_in_text(values)
        )
        if kind:
            report.add(
                Problem(
                    rule="personal_data",
                    message=f"The column {shorten(a.column)!r} looks like personal data ({kind}); "
                    "it is stored because the mapping maps it. Set its role to ignore unless "
                    "the analysis needs it.",
                    column=shorten(a.column),
                    severity="warning",
                )
            )
    raw = _attribute_labels(raw, attributes, value_labels or {})
    return raw, scores, ColumnRoles(respondent_id, attributes, {})


def _as_in_file(mapping: Mapping, columns: list[str]) -> Mapping:
    """The mapping's columns named as the file spells them, where they differ only in Unicode
    normalisation or outer spaces (a header copied through another program)."""
    spelled = {clean_name(c): c for c in columns}
    return mapping.with_columns(
        [
            c
            if c.column in spelled.values()
            else replace(c, column=spelled.get(clean_name(c.column), c.column))
            for c in mapping.columns
        ]
    )


def _scores_from_labels(
    raw: pl.DataFrame, columns: list[str], labels: dict[str, int | str | None]
) -> pl.DataFrame:
    """Score cells that hold an answer text of the mapping's labels, as their scores."""
    known = {label_key(text): score for text, score in labels.items() if score is not None}
    if not known or not columns:
        return raw
    texts = pl.concat([raw[c].drop_nulls().unique() for c in columns]).unique().to_list()
    scores = {t: known[label_key(t)] for t in texts if label_key(t) in known}
    missing = [t for t, s in scores.items() if s == MISSING]  # "Don't know": no score
    scores = {t: str(s) for t, s in scores.items() if s != MISSING}
    return raw.with_columns(
        pl.when(pl.col(c).is_in(missing)).then(None).otherwise(pl.col(c).replace(scores)).alias(c)
        for c in columns
    )


def _respondent_id(
    report: ValidationReport, raw: pl.DataFrame, mapping: Mapping
) -> tuple[pl.DataFrame, str]:
    """The id column the mapping names, else ids from the row numbers (with a note)."""
    ids = mapping.by_role("id")
    if ids:
        return raw, ids[0].column
    report.add(
        Problem(
            rule="ids_from_rows",
            message="The file has no respondent id column, so respondents are numbered by their "
            "row in the file ('row 2', 'row 3', ...). Map an id column if the survey has one.",
            severity="warning",
        )
    )
    return raw.with_columns(("row " + pl.col("row").cast(pl.String)).alias(ROW_ID)), ROW_ID


def _attribute_labels(
    raw: pl.DataFrame, attributes: dict[str, str], value_labels: dict[str, dict[str, str]]
) -> pl.DataFrame:
    """Attribute codes of an SPSS file as their value labels (``2`` -> ``Female``), the labels
    in their normal form as the file's own cells are."""
    coded = [c for c in attributes.values() if value_labels.get(c)]
    labels = {c: {k: normal_text(v) for k, v in value_labels[c].items()} for c in coded}
    return (
        raw.with_columns(pl.col(c).str.strip_chars().replace(labels[c]).alias(c) for c in coded)
        if coded
        else raw
    )
