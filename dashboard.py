"""gapmodel dashboard: where service falls short of, meets or exceeds expectations.

The entry point only routes: page config, sign-in, the shared sidebar filters, the page list for
the user's role, then the chosen page.
"""

import streamlit as st

from gapmodel.core import settings
from gapmodel.core.errors import GapmodelError
from gapmodel.ingest.isolated import keep_spares
from ui import cache, components
from ui.auth import REMOTE_VIEWER, current_user, login_configured, warn_if_exposed
from ui.filters import sidebar_filters
from ui.navigation import follow, pages_for, share_filters
from ui.store import store
from ui.text import plain

st.set_page_config(
    page_title="gapmodel · expectation gaps",
    page_icon=":material/insights:",
    layout="wide",
    initial_sidebar_state="expanded",
)

components.page_style()
warn_if_exposed()
keep_spares()  # uploads are read one after another: start each reading process ahead
user = current_user()
if user is None:
    st.title("Expectation gaps")
    st.info("Sign in to see where service falls short of, meets or exceeds expectations.")
    st.button("Sign in", on_click=st.login, type="primary")
    st.stop()

try:
    settings.check()  # a malformed GAPMODEL_* variable: one sentence, not a crash on a page
    cache.begin_run()
    survey = cache.survey()
    demo = cache.demo_data()
except GapmodelError as exc:
    st.error(plain(str(exc)))
    st.stop()

pages = pages_for(user)
navigation = st.navigation(list(pages.values()))
share_filters(None if survey.is_empty else sidebar_filters(survey))

with st.sidebar:
    if reason := store().read_only_reason:
        st.warning(plain(reason))
    if demo == "all":
        st.info(
            "This is **demo data**: synthetic survey waves generated on first start. "
            + (
                "To use your own surveys, upload a wave on the Data page (or run "
                "`python -m gapmodel ingest FILE --wave LABEL`) and delete the demo waves there."
                if user.is_analyst
                else "An analyst replaces them with your organisation's surveys."
            )
        )
    elif demo == "some":
        listed = ", ".join(plain(w) for w in cache.demo_wave_labels())
        st.warning(
            f"**Demo waves are still stored** ({listed}): your data is compared with "
            "synthetic waves. "
            + (
                "Delete them on the Data page (Stored waves)."
                if user.is_analyst
                else "An analyst can delete them."
            )
        )
    if user.name == REMOTE_VIEWER:
        st.info(
            "You are viewing from another computer, without sign-in: the analysis pages are "
            "read-only here. Uploading and deleting waves is possible on the computer that runs "
            "the dashboard, or once an administrator sets up sign-in."
        )
    else:
        st.caption(f"Signed in as {plain(user.name)} ({user.role})")
    if login_configured():
        st.button("Sign out", on_click=st.logout)

follow(pages)
navigation.run()
