"""Data (analysts): upload, validate and commit a survey wave; list, replace and delete waves."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from gapmodel.core.errors import (
    DatabaseFault,
    DuplicateWaveError,
    GapmodelError,
    InstrumentError,
    StoreError,
)
from gapmodel.core.fielded import FIRST_FIELDED, last_fielded
from gapmodel.core.instrument import Instrument, default_instrument, load_instrument
from gapmodel.ingest.mapping import mapping_csv
from gapmodel.ingest.prepare import prepare_table
from gapmodel.ingest.wave_export import template_frame, write_frame
from gapmodel.storage.names import label_warning
from ui import cache, components
from ui.auth import current_user, require_analyst
from ui.mapping_step import MappingChoice, mapping_step
from ui.store import store
from ui.text import plain

SCALES = ["1-5", "1-7", "1-9", "1-10", "0-10"]
_VALIDATED, _DONE, _GENERATION = "data_validated", "data_done", "data_upload_generation"

require_analyst()
st.title("Survey data")

if done := st.session_state.pop(_DONE, None):
    st.success(done)


@st.cache_data(max_entries=4, show_spinner=False, hash_funcs={Instrument: lambda i: i.sha256})
def _template(instrument: Instrument, attributes: dict[str, list[str]] | None) -> bytes:
    return write_frame(template_frame(instrument, attributes=attributes), "csv")


def _validate(file, scale: str, instrument: Instrument, choice: MappingChoice):
    """Validate the file the mapping step read, once per upload, scale, questionnaire and
    mapping (not on every rerun); keep the result for the commit button."""
    mapping = choice.mapping
    key = (
        file.file_id,
        scale,
        instrument.sha256,
        choice.options,
        None if mapping is None else mapping_csv(mapping),
    )
    cached = st.session_state.get(_VALIDATED)
    if cached is None or cached[0] != key:
        with st.spinner(f"Validating {plain(file.name)}…"):
            wave, report = prepare_table(
                choice.table, file.getvalue(), file.name, instrument, scale, mapping
            )
        st.session_state[_VALIDATED] = (key, wave, report)
    return st.session_state[_VALIDATED][1:]


def _save_mapping(choice: MappingChoice, user: str | None) -> str:
    """Save the mapping the committed wave was read with; what to tell the analyst."""
    if choice.mapping is None:
        return ""
    text = mapping_csv(choice.mapping).decode("utf-8-sig")
    try:
        name = store().save_mapping(choice.name, choice.headers, text, user)
    except (GapmodelError, ValueError) as exc:
        return f" The mapping was not saved: {plain(exc)}"
    return f" The mapping is saved as {plain(name)}."


try:
    newest = cache.questionnaire()  # a new wave of the stored survey is read with it
except StoreError as exc:  # one an older gapmodel stored and today's rules refuse
    newest = None
    st.warning(f"{plain(exc)} Until then, the default questionnaire is used.")
survey = cache.survey()
upload, stored = st.tabs(["Upload a wave", "Stored waves"])
with upload:
    intro, template = st.columns([4, 1], vertical_alignment="bottom")
    default = newest or default_instrument()
    stage, item = default.pairs().row(0)[:2]  # names without backticks (the instrument's rule)
    intro.markdown(
        "One file is one wave: **wide** (one row per respondent, columns "
        f"`<stage>.<item>.E` and `.P`, e.g. `{stage}.{item}.E`) or **long** "
        "(`respondent_id, stage, item, expectation, perception`). Every other column is a "
        "respondent attribute. A survey tool's export (Qualtrics, SurveyMonkey, LimeSurvey, "
        "Google Forms, SPSS) is mapped column by column in the next step. CSV, Excel, "
        "OpenDocument, SPSS or Parquet. Nothing is stored until you commit, and a wave is "
        "stored whole or not at all."
    )
    attributes = survey.attribute_values if newest is not None else None
    components.download(
        "Template (CSV)",
        lambda: _template(default, attributes),
        "gapmodel-template.csv",
        "text/csv",
        "data_template",
        template,
    )
    generation = st.session_state.setdefault(_GENERATION, 0)
    file = st.file_uploader(
        "Survey file",
        # .xls, .xlsb and .numbers are taken to say how to save them (as .xlsx or CSV).
        type=["csv", "tsv", "txt", "xlsx", "xlsm", "ods", "sav", "zsav", "parquet"]
        + ["xls", "xlsb", "numbers"],
        key=f"data_file_{generation}",
        help="Exports from Qualtrics, SurveyMonkey, LimeSurvey, Google Forms or SPSS, or a file "
        "in gapmodel's layout: header rows, the delimiter, the encoding and decimal commas are "
        "detected, and the columns are mapped in the next step.",
    )
    verdict = st.empty()  # whether the file can be stored, next to it (filled once validated)
    label_col, scale_col, date_col, replace_col = st.columns([2, 1, 1, 1.4])
    label_key = f"data_label_{generation}"
    if file is not None and not st.session_state.get(label_key):
        st.session_state[label_key] = Path(file.name).stem[:80]  # until the analyst names it
    label = label_col.text_input("Wave label", max_chars=80, key=label_key)
    if said := label_warning(label):
        label_col.warning(plain(said))
    scale = scale_col.selectbox("Scale", SCALES, index=1, key="data_scale")
    fielded = date_col.date_input(
        "Fielded on",
        value=None,
        min_value=FIRST_FIELDED,
        max_value=last_fielded(),
        key="data_fielded",
    )
    replace = replace_col.toggle(
        "Replace a wave",
        key="data_replace",
        help="Replace the wave with this label, or the one ingested from the same file.",
    )

    with st.expander("Questionnaire (optional): for a wave fielded with another instrument"):
        st.caption(
            "A CSV with code, wording, dimension, element (optional) and stages (separated "
            "by |), like data/instrument.csv. Without one, "
            + (
                f"the questionnaire of the newest wave is used ({plain(newest.name)}, "
                f"{len(newest.codes)} items)."
                if newest is not None
                else "the default questionnaire is used (data/instrument.csv)."
            )
        )
        custom = st.file_uploader(
            "Questionnaire file", type=["csv"], key=f"data_instrument_{generation}"
        )
    instrument = default
    if custom is not None:
        try:
            instrument = load_instrument(custom.getvalue(), custom.name)
        except InstrumentError as exc:
            st.error(
                "This questionnaire cannot be used: "
                + " ".join(plain(p) for p in exc.problems)
                + " Fix the file and upload it again."
            )
            file = None
        else:
            st.caption(f"Using {plain(custom.name)}: {len(instrument.codes)} items.")
            for note in instrument.notes:
                st.warning(plain(note))

    choice = mapping_step(file, instrument, generation, verdict) if file is not None else None
    if choice is not None:
        wave, report = _validate(file, scale, instrument, choice)
        figures = st.columns(4)
        figures[0].metric("Rows", f"{report.n_rows:,}")
        figures[1].metric("Respondents", f"{report.n_respondents:,}")
        figures[2].metric("Complete E/P pairs", f"{report.n_pairs:,}")
        figures[3].metric("Layout", report.layout or "–")
        preview = report.preview
        if preview is not None:
            with st.expander(f"Preview: the first {preview.height} rows"):
                st.dataframe(preview, hide_index=True, key="data_preview")
        if not report.ok:
            count = report.error_count()
            first = report.errors[0] if report.errors else None  # errors may all be omitted
            where = f" (row {first.row:,})" if first and first.row else ""
            verdict.error(
                f"{count:,} problem{'s' if count != 1 else ''} found, so nothing can be stored "
                "until they are fixed."
                + (f" The first{where}: {plain(first.message)}" if first else "")
                + " The list below names each one's row, column, value and rule; correct the "
                "file and upload it again."
            )
        elif report.warnings:
            verdict.info(
                "The file is valid. Give the wave its label and commit it below, after the "
                "notes on how it was read."
            )
        else:
            verdict.success("The file is valid. Give the wave its label and commit it below.")
        if report.errors or report.warnings:
            st.dataframe(
                report.to_frame(),
                hide_index=True,
                key="data_report",
                height=min(400, 38 + 35 * len(report.problems)),
            )
            components.download(
                "Validation report (CSV)",
                report.to_csv_bytes,
                f"{Path(file.name).stem}-validation.csv",
                "text/csv",
                "data_report_csv",
            )
        if st.button(
            "Commit wave",
            type="primary",
            disabled=wave is None or not label.strip(),
            key="data_commit",
            help=None if label.strip() else "Give the wave a label first.",
        ):
            require_analyst()  # checked again right before writing
            user = current_user()
            with st.status(f"Committing wave {plain(label.strip())}…", expanded=True) as status:
                try:
                    st.write(
                        f"Writing {wave.respondents.height:,} respondents and "
                        f"{wave.responses.height:,} answers in one transaction…"
                    )
                    result = store().ingest_wave(
                        wave, label, fielded, replace=replace, user=user.name
                    )
                    saved = _save_mapping(choice, user.name)
                except DuplicateWaveError as exc:
                    status.update(label="Not committed", state="error")
                    st.error(
                        f"{plain(exc)} Nothing was written. Switch on **Replace a wave** to "
                        "replace it, or give this wave another label."
                    )
                except DatabaseFault as exc:  # says itself that nothing was written
                    status.update(label="Not committed", state="error")
                    st.error(plain(exc))
                except (GapmodelError, ValueError) as exc:
                    status.update(label="Not committed", state="error")
                    st.error(f"{plain(exc)} Nothing was written.")
                else:
                    status.update(label="Committed", state="complete")
                    replaced = f" (replacing {result['replaced']})" if result["replaced"] else ""
                    st.session_state[_DONE] = (
                        f"Committed wave {plain(result['label'])}{plain(replaced)}: "
                        f"{result['n_respondents']:,} respondents, "
                        f"{result['n_responses']:,} answers.{saved}"
                    )
                    st.session_state[_GENERATION] = generation + 1
                    st.session_state.pop(_VALIDATED, None)
                    st.rerun()

with stored:
    waves = store().waves()
    if waves.is_empty():
        st.info("No waves stored yet. Upload one in the first tab.")
    else:
        st.dataframe(
            waves.select(
                "label",
                "fielded",
                "n_respondents",
                "n_responses",
                "scale_min",
                "scale_max",
                "source_name",
                "ingested_at",
            ),
            hide_index=True,
            key="data_waves",
            column_config={
                "label": "Wave",
                "fielded": st.column_config.DateColumn("Fielded", format="YYYY-MM-DD"),
                "n_respondents": st.column_config.NumberColumn("Respondents", format="localized"),
                "n_responses": st.column_config.NumberColumn("Answers", format="localized"),
                "scale_min": "Scale min",
                "scale_max": "Scale max",
                "source_name": "Source file",
                "ingested_at": st.column_config.DatetimeColumn(
                    "Ingested (UTC)", format="YYYY-MM-DD HH:mm"
                ),
            },
        )
        components.csv_download(
            "Wave list (CSV)", lambda: waves, "gapmodel-waves.csv", key="data_waves_csv"
        )
        mappings = store().mappings()
        if not mappings.is_empty():
            st.subheader("Saved mappings")
            st.caption("Each is offered for the next upload with the same columns.")
            st.dataframe(
                mappings.select(
                    "name", pl.col("headers").list.len().alias("columns"), "saved_at", "saved_by"
                ),
                hide_index=True,
                key="data_mappings",
                column_config={
                    "name": "Mapping",
                    "columns": st.column_config.NumberColumn("Columns", format="localized"),
                    "saved_at": st.column_config.DatetimeColumn(
                        "Saved (UTC)", format="YYYY-MM-DD HH:mm"
                    ),
                    "saved_by": "By",
                },
            )
        st.subheader("Delete a wave")
        doomed = st.selectbox("Wave", waves["label"].to_list(), index=None, key="data_delete_wave")
        sure = st.checkbox(
            "I understand that the wave and all its answers are deleted for everyone.",
            key="data_delete_sure",
        )
        if st.button("Delete wave", disabled=not (doomed and sure), key="data_delete"):
            require_analyst()
            try:
                store().delete_wave(doomed, user=current_user().name)
            except GapmodelError as exc:
                st.error(plain(exc))
            else:
                st.session_state[_DONE] = f"Deleted wave {plain(doomed)}."
                st.session_state.pop("data_delete_sure", None)
                st.rerun()
