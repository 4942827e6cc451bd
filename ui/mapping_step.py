"""The Data page's mapping step: how the file was read (encoding, sheet), what each column holds
(an editable table, proposed by gapmodel or taken from a saved mapping), and the answer labels."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st

from gapmodel.core.errors import StoreError
from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import MEASURES, stage_label
from gapmodel.ingest.encodings import codec_name
from gapmodel.ingest.mapping import (
    FIELDS,
    MISSING,
    ROLES,
    Mapping,
    MappingError,
    mapping_csv,
    mapping_from_records,
    mapping_records,
    mapping_summary,
    read_mapping,
)
from gapmodel.ingest.proposal import in_own_layout, propose
from gapmodel.ingest.readers import RawTable, ReadError, ReadOptions, read_table
from ui import components
from ui.store import store
from ui.text import plain

ENCODINGS = ["utf-8", "cp1252", "cp949", "shift_jis", "gb18030", "big5", "cp1251", "utf-16"]
_READ, _PROPOSAL = "mapping_read", "mapping_proposal"
_LETTERS = [m[0].upper() for m in MEASURES]


@dataclass(frozen=True)
class MappingChoice:
    """What the step decided: the mapping (None: read the columns by their names), its name,
    the headers it was made for, and the reading options."""

    mapping: Mapping | None
    name: str
    headers: list[str]
    options: ReadOptions


def _read(file, options: ReadOptions) -> RawTable | ReadError:
    """The upload read once per file and options (kept across reruns)."""
    key = (file.file_id, options)
    cached = st.session_state.get(_READ)
    if cached is None or cached[0] != key:
        try:
            result: RawTable | ReadError = read_table(file.getvalue(), file.name, options)
        except ReadError as exc:
            result = exc
        st.session_state[_READ] = (key, result)
    return st.session_state[_READ][1]


def _encoding_choice(key: str, candidates: list[str]) -> None:
    """The analyst's choice of encoding, the detector's candidates first."""
    choices = list(dict.fromkeys(codec_name(c) for c in [*candidates, *ENCODINGS]))
    st.selectbox(
        "Encoding of the file",
        choices,
        index=None,
        key=key,
        help="The encoding the survey tool saved the file in; check the names in the preview.",
    )


def _proposal(table: RawTable, instrument: Instrument, options: ReadOptions) -> Mapping:
    """The proposal for the table read last, made once (not on every edit of the table)."""
    key = (st.session_state[_READ][0], instrument.sha256)
    cached = st.session_state.get(_PROPOSAL)
    if cached is None or cached[0] != key:
        st.session_state[_PROPOSAL] = (key, propose(table, instrument, options))
    return st.session_state[_PROPOSAL][1]


def _saved(headers: list[str]) -> tuple[str, Mapping] | None:
    try:
        found = store().fitting_mapping(headers)
        return None if found is None else (found[0], read_mapping(found[1].encode(), found[0]))
    except (StoreError, MappingError):  # a saved mapping today's rules refuse: propose anew
        return None


def mapping_step(file, instrument: Instrument, generation: int) -> MappingChoice | None:
    """Lay out the step; None while the file cannot be read (the page shows why)."""
    encoding = st.session_state.get(f"data_encoding_{generation}")
    sheet = st.session_state.get(f"data_sheet_{generation}")
    options = ReadOptions(encoding=encoding, sheet=sheet)
    table = _read(file, options)
    if isinstance(table, ReadError):
        if table.problem.rule == "encoding_unknown":
            could = f" (it could be {' or '.join(table.choices[:3])})" if table.choices else ""
            st.error(
                f"This file is not UTF-8, and its encoding cannot be told for sure{could}. "
                "Choose the encoding below and check the names in the preview, or save the "
                "file as UTF-8 and upload it again."
            )
        else:
            st.error(plain(table.problem.message))
        if table.choices or table.problem.rule.startswith("encoding"):
            _encoding_choice(f"data_encoding_{generation}", table.choices)
        return None
    if encoding is not None:  # shown again, so that the choice is kept and can be changed
        _encoding_choice(f"data_encoding_{generation}", [encoding])
    if len(table.sheets) > 1:
        st.selectbox(
            "Sheet",
            table.sheets,
            index=table.sheets.index(table.sheet),
            key=f"data_sheet_{generation}",
        )
    headers = table.frame.columns
    own = st.file_uploader(
        "Mapping file (optional)",
        type=["csv"],
        key=f"data_mapping_file_{generation}",
        help="A mapping downloaded here before, or written by python -m gapmodel map and "
        "edited in a spreadsheet. Without one, a saved mapping that fits the file is used, "
        "else gapmodel proposes one.",
    )
    if own is not None:
        try:
            mapping = read_mapping(own.getvalue(), own.name)
        except MappingError as exc:
            for problem in exc.problems:
                where = f"Row {problem.row} of {plain(own.name)}: " if problem.row else ""
                st.error(f"{where}{plain(problem.message)}")
            return None
        return _editor(table, instrument, (Path(own.name).stem[:100], mapping), options, generation)
    saved = _saved(headers)
    if saved is None and in_own_layout(headers, instrument):
        if not st.toggle(
            "Map the columns myself",
            key=f"data_map_{generation}",
            help="The columns are named as gapmodel reads them; map them to change that.",
        ):
            return MappingChoice(None, "", headers, options)
    if saved is not None:
        st.success(
            f"This file has the columns of the saved mapping **{plain(saved[0])}**; it is used "
            "below. Change any row if this wave differs."
        )
    return _editor(table, instrument, saved, options, generation)


def _editor(
    table: RawTable,
    instrument: Instrument,
    saved: tuple[str, Mapping] | None,
    options: ReadOptions,
    generation: int,
) -> MappingChoice | None:
    base = saved[1] if saved is not None else _proposal(table, instrument, options)
    # the tables' edits belong to this base: another base (a mapping file) starts afresh
    version = f"{generation}_{hashlib.sha256(mapping_csv(base)).hexdigest()[:12]}"
    st.markdown(
        "**What each column holds.** gapmodel proposed a role for every column from its header, "
        "its question text and its answers; *confidence* says how sure it is. Correct any row "
        "in the table (personal data is not stored unless you give it a role)."
    )
    draft = any(c.wording for c in base.by_role("score"))
    if draft:
        st.info(
            "No item of the current questionnaire fits these questions, so a draft "
            "questionnaire is proposed: one item per question, named in *wording*, in the "
            "dimension *General*. Rename items, dimensions and stages as you like; the draft is "
            "stored with the wave."
        )
    frame = pl.DataFrame(
        [r for r in mapping_records(base) if r["role"] not in ("option", "label")],
        schema={f: pl.String for f in FIELDS},
        orient="row",
    ).with_columns(pl.col("confidence").cast(pl.Int64, strict=False))
    edited = st.data_editor(
        frame,
        hide_index=True,
        key=f"data_mapping_{version}",
        column_order=_order(draft),
        disabled=["column", "confidence", "reason", "question", "samples"],
        column_config=_config(instrument, draft),
        height=min(560, 38 + 35 * frame.height),
    )
    labels = _labels(base, version)
    blank = sum(1 for _, score in labels if not score)
    if blank:
        st.warning(
            f"Give each answer text its score in the table above: {blank} of {len(labels)} "
            "have none yet."
        )
        return None
    rows = [(k + 1, r) for k, r in enumerate(_dicts(edited))]
    rows += [(0, {"column": t, "role": "label", "name": s}) for t, s in labels]
    rows += [(0, r) for r in mapping_records(base) if r["role"] == "option"]
    try:
        mapping = mapping_from_records(rows)
    except MappingError as exc:
        for problem in exc.problems:
            where = f"Row {problem.row} of the table: " if problem.row else ""
            st.error(f"{where}{plain(problem.message)}")
        return None
    st.caption(mapping_summary(mapping))
    name_col, download_col = st.columns([3, 1], vertical_alignment="bottom")
    default = saved[0] if saved is not None else f"{table.tool or 'Survey'} mapping"
    name = name_col.text_input(
        "Save the mapping as",
        value=default,
        max_chars=100,
        key=f"data_mapping_name_{generation}",
        help="Saved when you commit, and offered for the next file with the same columns.",
    )
    components.download(
        "Mapping (CSV)",
        lambda: mapping_csv(mapping),
        f"{Path(name or 'mapping').stem}.csv",
        "text/csv",
        f"data_mapping_csv_{generation}",
        download_col,
    )
    return MappingChoice(mapping, name.strip() or default, table.frame.columns, options)


def _order(draft: bool) -> list[str]:
    """Role and confidence first (what to check), then what a score or attribute needs."""
    middle = ["wording", "dimension"] if draft else []
    return [
        "column",
        "role",
        "confidence",
        "stage",
        "item",
        "measure",
        "name",
        *middle,
        "reason",
        "question",
        "samples",
    ]


def _config(instrument: Instrument, draft: bool) -> dict:
    text, choice = st.column_config.TextColumn, st.column_config.SelectboxColumn
    stages, codes = list(instrument.stages), instrument.codes
    return {
        "column": text("Column", pinned=True, width=150),
        "role": choice("Role", options=ROLES, required=True, width=95),
        "stage": text("Stage", width=125)
        if draft
        else choice("Stage", options=stages, format_func=stage_label, width=125),
        "item": text("Item", width=150) if draft else choice("Item", options=codes, width=150),
        "measure": choice(
            "Measure",
            options=_LETTERS,
            help="E expected, P perceived, A adequate, I importance",
            width=85,
        ),
        "name": text("Attribute name", width=130),
        "wording": text("Wording", width="medium"),
        "dimension": text("Dimension", width=120),
        "confidence": st.column_config.ProgressColumn(
            "Confidence", min_value=0, max_value=100, format="%d%%", width=100, color="blue"
        ),
        "reason": text("Why", width="large"),
        "question": text("Question text", width="large"),
        "samples": text("Sample answers", width="medium"),
    }


def _labels(base: Mapping, version: str) -> list[tuple[str, str]]:
    """The answer texts of the score columns and their scores, editable."""
    if not base.labels:
        return []
    st.markdown(
        "**Answer texts.** The score columns hold answers as text; give each its score "
        f"(the number on the scale), or *{MISSING}* for an answer that means no score."
    )
    frame = pl.DataFrame(
        {
            "text": list(base.labels),
            "score": [None if s is None else str(s) for s in base.labels.values()],
        },
        schema={"text": pl.String, "score": pl.String},
    )
    edited = st.data_editor(
        frame,
        hide_index=True,
        key=f"data_labels_{version}",
        disabled=["text"],
        column_config={
            "text": st.column_config.TextColumn("Answer text"),
            "score": st.column_config.TextColumn(
                "Score", help=f"A whole number on the scale, or {MISSING}", max_chars=9
            ),
        },
    )
    return [(r["text"], (r["score"] or "").strip()) for r in _dicts(edited)]


def _dicts(frame) -> list[dict]:
    """An edited table's rows (Streamlit returns the type it was given)."""
    if isinstance(frame, pl.DataFrame):
        return frame.to_dicts()
    return frame.to_dict("records")
