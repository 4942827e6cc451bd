"""The Data page's mapping step: how the file was read (encoding, sheet), what each column holds
(an editable table, proposed by gapmodel, taken from a saved mapping or from a mapping file), and
the answer labels. What does not change between reruns (the file read, the base mapping) is
made once per file and choice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from gapmodel.core.errors import StoreError
from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import MEASURES, stage_label
from gapmodel.ingest.encodings import codec_name
from gapmodel.ingest.isolated import read_table
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
from gapmodel.ingest.prepare import size_problem
from gapmodel.ingest.proposal import in_own_layout, propose
from gapmodel.ingest.readers import RawTable, ReadError, ReadOptions
from ui import components
from ui.store import store
from ui.text import plain

ENCODINGS = ["utf-8", "cp1252", "cp949", "shift_jis", "gb18030", "big5", "cp1251", "utf-16"]
_LETTERS = [m[0].upper() for m in MEASURES]


@dataclass(frozen=True)
class MappingChoice:
    """What the step decided: the file as read, the mapping (None: read the columns by their
    names), its name, and the reading options."""

    table: RawTable
    mapping: Mapping | None
    name: str
    options: ReadOptions

    @property
    def headers(self) -> list[str]:
        """The file's headers, which the mapping is saved for."""
        return self.table.frame.columns


@dataclass(frozen=True)
class _Base:
    """The mapping the table starts from, where it came from (``proposal``, ``saved`` or
    ``file``), its name, and what the editor shows of it."""

    mapping: Mapping
    source: str
    name: str
    version: str
    rows: pl.DataFrame
    options: list[dict[str, str]]


def _once(slot: str, key: object, make: Callable[[], object]) -> object:
    """``make()``, kept in the session until ``key`` changes (the file, the options, ...)."""
    cached = st.session_state.get(slot)
    if cached is None or cached[0] != key:
        st.session_state[slot] = (key, make())
    return st.session_state[slot][1]


def _read(file, options: ReadOptions) -> RawTable | ReadError:
    def read() -> RawTable | ReadError:
        too_large = size_problem(file.size)
        if too_large is not None:
            return ReadError(too_large)
        try:
            return read_table(file.getvalue(), file.name, options)
        except ReadError as exc:  # kept without its traceback, which holds the file's bytes
            return exc.with_traceback(None)

    return _once("mapping_read", (file.file_id, options), read)


def _encoding_choice(key: str, candidates: list[str]) -> None:
    """The analyst's choice of encoding, the detector's candidates first."""
    choices = list(dict.fromkeys(codec_name(c) for c in [*candidates, *ENCODINGS]))
    st.selectbox(
        "Encoding of the file",
        choices,
        index=None,
        key=key,
        placeholder="As detected",
        help="The encoding the survey tool saved the file in; check the names in the preview.",
    )


def mapping_step(
    file, instrument: Instrument, generation: int, verdict: DeltaGenerator
) -> MappingChoice | None:
    """Lay out the step; None while the file cannot be read (said in ``verdict``, the place
    beside the file) or the mapping is incomplete (the page says why)."""
    encoding_key = f"data_encoding_{generation}"
    ui = ReadOptions(
        encoding=st.session_state.get(encoding_key),
        sheet=st.session_state.get(f"data_sheet_{generation}"),
    )
    own = st.file_uploader(
        "Mapping file (optional)",
        type=["csv"],
        key=f"data_mapping_file_{generation}",
        help="A mapping downloaded here before, or written by python -m gapmodel map and "
        "edited in a spreadsheet. Without one, a saved mapping that fits the file is used, "
        "else gapmodel proposes one.",
    )
    uploaded = _uploaded(own)
    if isinstance(uploaded, MappingError):
        for problem in uploaded.problems:
            where = f"Row {problem.row} of {plain(own.name)}: " if problem.row else ""
            st.error(f"{where}{plain(problem.message)}")
        return None
    options = ui.over(uploaded.options) if uploaded is not None else ui
    table = _read(file, options)
    if isinstance(table, ReadError):
        _unreadable(table, encoding_key, verdict)
        return None
    if ui.encoding is not None or table.encoding is not None:  # detected: may be corrected
        _encoding_choice(encoding_key, [table.encoding or ui.encoding])
    if len(table.sheets) > 1:
        st.selectbox(
            "Sheet",
            table.sheets,
            index=table.sheets.index(table.sheet),
            key=f"data_sheet_{generation}",
        )
    key = (st.session_state["mapping_read"][0], instrument.sha256, own.file_id if own else None)
    base = _once("mapping_base", key, lambda: _base(table, instrument, options, own, uploaded))
    if base is None:  # the file is in gapmodel's own layout and no mapping is saved for it
        if not st.toggle(
            "Map the columns myself",
            key=f"data_map_{generation}",
            help="The columns are named as gapmodel reads them; map them to change that.",
        ):
            return MappingChoice(table, None, "", options)
        base = _once(
            "mapping_own_layout", key, lambda: _base(table, instrument, options, None, None, True)
        )
    return _editor(table, instrument, base, options, generation)


def _uploaded(own) -> Mapping | MappingError | None:
    if own is None:
        return None

    def parse() -> Mapping | MappingError:
        try:
            return read_mapping(own.getvalue(), own.name)
        except MappingError as exc:
            return exc

    return _once("mapping_file", own.file_id, parse)


def _unreadable(error: ReadError, encoding_key: str, verdict: DeltaGenerator) -> None:
    if error.problem.rule == "encoding_unknown":
        could = f" (it could be {' or '.join(error.choices[:3])})" if error.choices else ""
        verdict.error(
            f"This file is not UTF-8, and its encoding cannot be told for sure{could}. "
            "Choose the encoding below and check the names in the preview, or save the file "
            "as UTF-8 and upload it again."
        )
    else:
        verdict.error(plain(error.problem.message))
    if error.choices or error.problem.rule.startswith("encoding"):
        _encoding_choice(encoding_key, error.choices)


def _saved(headers: list[str]) -> tuple[str, Mapping] | None:
    try:
        found = store().fitting_mapping(headers)
        return None if found is None else (found[0], read_mapping(found[1].encode(), found[0]))
    except (StoreError, MappingError):  # a saved mapping today's rules refuse: propose anew
        return None


def _base(
    table: RawTable,
    instrument: Instrument,
    options: ReadOptions,
    own,
    uploaded: Mapping | None,
    wanted: bool = False,
) -> _Base | None:
    """The mapping file, else the saved mapping for these headers, else the proposal (None for
    a file in gapmodel's own layout, unless the analyst ``wanted`` to map it)."""
    if uploaded is not None:
        mapping, source, name = uploaded, "file", Path(own.name).stem
    elif (saved := _saved(table.frame.columns)) is not None:
        mapping, source, name = saved[1], "saved", saved[0]
    elif not wanted and in_own_layout(table.frame.columns, instrument):
        return None
    else:
        mapping, source = propose(table, instrument, options), "proposal"
        name = f"{table.tool or 'Survey'} mapping"
    records = mapping_records(mapping)
    rows = pl.DataFrame(
        [r for r in records if r["role"] not in ("option", "label")],
        schema={f: pl.String for f in FIELDS},
        orient="row",
    ).with_columns(pl.col("confidence").cast(pl.Int64, strict=False))
    version = hashlib.sha256(mapping_csv(mapping)).hexdigest()[:12]
    options_rows = [r for r in records if r["role"] == "option"]
    return _Base(mapping, source, name, version, rows, options_rows)


_INTRO = {
    "proposal": "gapmodel proposed a role for every column from its header, its question text "
    "and its answers; *confidence* says how sure it is.",
    "saved": "This file has the columns of the saved mapping **{name}**, which is used here.",
    "file": "The mapping file **{name}** is used here.",
}


def _editor(
    table: RawTable, instrument: Instrument, base: _Base, options: ReadOptions, generation: int
) -> MappingChoice | None:
    version = f"{generation}_{base.version}"  # the tables' edits belong to this base
    st.markdown(
        "**What each column holds.** "
        + _INTRO[base.source].format(name=plain(base.name))
        + " Correct any row in the table (personal data is not stored unless you give it a "
        "role)."
    )
    draft = any(c.wording for c in base.mapping.by_role("score"))
    if draft and base.source == "proposal":
        st.info(
            "No item of the current questionnaire fits these questions, so a draft "
            "questionnaire is proposed: one item per question, named in *wording*, in the "
            "dimension *General*. Rename items, dimensions and stages as you like; the draft is "
            "stored with the wave."
        )
    edited = st.data_editor(
        base.rows,
        hide_index=True,
        key=f"data_mapping_{version}",
        column_order=_order(draft),
        disabled=["column", "confidence", "reason", "question", "samples"],
        column_config=_config(instrument, draft),
        height=min(560, 38 + 35 * base.rows.height),
    )
    labels = _labels(base.mapping, version)
    blank = sum(1 for _, score in labels if not score)
    if blank:
        st.warning(
            f"Give each answer text its score in the table above: {blank} of {len(labels)} "
            "have none yet."
        )
        return None
    rows = [(k + 1, r) for k, r in enumerate(_dicts(edited))]
    rows += [(0, {"column": t, "role": "label", "name": s}) for t, s in labels]
    rows += [(0, r) for r in base.options]
    try:
        mapping = mapping_from_records(rows)
    except MappingError as exc:
        for problem in exc.problems:
            where = f"Row {problem.row} of the table: " if problem.row else ""
            st.error(f"{where}{plain(problem.message)}")
        return None
    st.caption(mapping_summary(mapping))
    name_col, download_col = st.columns([3, 1], vertical_alignment="bottom")
    name = name_col.text_input(
        "Save the mapping as",
        value=base.name,
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
    return MappingChoice(table, mapping, name.strip() or base.name, options)


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
        "stage": text("Stage", width=120)
        if draft
        else choice("Stage", options=stages, format_func=stage_label, width=120),
        "item": text("Item", width=170) if draft else choice("Item", options=codes, width=170),
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
            "Confidence", min_value=0, max_value=100, format="%d%%", width=95, color="blue"
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
