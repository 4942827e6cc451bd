"""gapmodel dashboard: where service falls short of, meets or exceeds expectations."""

import streamlit as st

from gapmodel.errors import GapmodelError
from ui.store import is_demo, store

st.set_page_config(page_title="gapmodel · expectation gaps", page_icon="📊", layout="wide")
st.title("Expectation gaps")

try:
    waves = store().waves()
except GapmodelError as exc:
    st.error(str(exc))
    st.stop()

if is_demo(waves):
    st.info(
        "This is **demo data**: synthetic survey waves generated on first start. To use your "
        "own surveys, stop the dashboard, ingest a wave with "
        "`python -m gapmodel ingest FILE --wave LABEL` and delete the demo waves with "
        "`python -m gapmodel delete LABEL`; or point `GAPMODEL_DB` at another database file."
    )
if waves.is_empty():
    st.warning("No waves yet. Add one with `python -m gapmodel ingest FILE --wave LABEL`.")
    st.stop()

st.subheader(f"{waves.height} survey wave{'s' if waves.height != 1 else ''}")
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
    column_config={
        "label": "Wave",
        "fielded": st.column_config.DateColumn("Fielded", format="YYYY-MM-DD"),
        "n_respondents": st.column_config.NumberColumn("Respondents", format="localized"),
        "n_responses": st.column_config.NumberColumn("Responses", format="localized"),
        "scale_min": "Scale min",
        "scale_max": "Scale max",
        "source_name": "Source file",
        "ingested_at": st.column_config.DatetimeColumn("Ingested", format="YYYY-MM-DD HH:mm"),
    },
)
