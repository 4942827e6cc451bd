"""Glossary: every term the dashboard shows, in plain words."""

import streamlit as st

from gapmodel.views.glossary import glossary_terms
from ui import components

components.page_header("Glossary", "What the words and columns of the dashboard mean.")
words, columns = st.columns(2, gap="large")
terms = glossary_terms()
half = next(i for i, (term, _) in enumerate(terms) if term == "Wave")
with words:
    st.subheader("In sentences and cards")
    st.markdown("\n".join(f"- **{term}**: {meaning}" for term, meaning in terms[:half]))
with columns:
    st.subheader("Table columns")
    st.markdown("\n".join(f"- **{term}**: {meaning}" for term, meaning in terms[half:]))
