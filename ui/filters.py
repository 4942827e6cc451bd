"""The shared sidebar: filters kept in the URL, read into a frozen :class:`Filters` value.

Every widget is bound to a query parameter (``bind="query-params"``), so a view can be shared as
a link and survives a refresh. Values a link carries that the data does not know (a deleted
wave, a segment that no longer exists) are ignored by ``Survey.resolve``.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from gapmodel.core import settings
from gapmodel.core.vocabulary import PADJUST_NAMES, name_label, stage_label
from gapmodel.views import Filters, Survey
from ui.choices import Word, options
from ui.text import plain, stage_option

# The sidebar's own choices: values no data value equals (see ui.choices).
ALL, PREVIOUS, NO_COMPARISON = Word("All"), Word("Previous wave"), Word("No comparison")
LATEST = "Latest wave"
_NO_COMPARISON_LABEL = "_filters_no_comparison"  # how this run's sidebar names No comparison
ALPHAS = (0.01, 0.05, 0.10)
SHOWN_ATTRIBUTES = 3  # attribute filters shown at once; the others wait in an expander
# Keys an attribute's filter may not take: the sidebar's other widgets and Streamlit's own
# query parameters. Every other widget key of the dashboard holds an underscore.
_KEYS = frozenset({"wave", "compare", "stage", "alpha", "padjust", "embed", "embed_options"})


def filter_key(attribute: str) -> str:
    """The widget and query-parameter key of an attribute's filter: its own name (so a link
    reads ``?segment=Consumer``) unless that could be another widget's key, then prefixed."""
    if "_" in attribute or attribute.casefold() in _KEYS:
        return f"attribute:{attribute}"
    return attribute


def _default_alpha() -> float:
    alpha = settings.get("alpha")
    return alpha if alpha in ALPHAS else 0.05


def sidebar_filters(survey: Survey) -> Filters:
    """Draw the filter widgets in the sidebar and return what they say.

    Parameters
    ----------
    survey : Survey
        Supplies the waves and the attribute values to choose from.

    Returns
    -------
    Filters
        Resolved against the survey (explicit wave and comparison).
    """
    bar = st.sidebar
    bar.header("Filters")
    waves = survey.waves
    latest = Word(f"{LATEST} ({waves[-1]})")
    listed, label = options([latest], list(reversed(waves)))
    wave = bar.selectbox(
        "Wave",
        listed,
        format_func=label,
        key="wave",
        bind="query-params",
        help="The survey wave shown on every page. The latest wave follows new uploads.",
    )
    listed, label = options([PREVIOUS, NO_COMPARISON], waves)
    st.session_state[_NO_COMPARISON_LABEL] = label(NO_COMPARISON)
    compare = bar.selectbox(
        "Compare with",
        listed,
        format_func=label,
        key="compare",
        bind="query-params",
        help="Changes are measured from this wave to the chosen one (Welch's t-test).",
    )
    stages = []
    if not survey.single_stage:
        stages = bar.pills(
            "Journey stages",
            survey.stages,
            selection_mode="multi",
            format_func=stage_option,
            key="stage",
            bind="query-params",
            help="None selected means all stages.",
        )
    chosen = _attribute_filters(bar, survey)
    with bar.expander("Significance", expanded=False):
        alpha = st.select_slider(
            "Significance level (alpha)",
            ALPHAS,
            value=_default_alpha(),
            key="alpha",
            bind="query-params",
            help="A result is significant when its adjusted p-value is below alpha.",
        )
        padjust = st.radio(
            "Adjustment for many comparisons",
            list(PADJUST_NAMES),
            index=list(PADJUST_NAMES).index(settings.get("padjust")),
            format_func=PADJUST_NAMES.get,
            key="padjust",
            bind="query-params",
            help="Applied within each table: Holm controls the family-wise error rate, "
            "Benjamini-Hochberg the false discovery rate.",
        )
    compare_value = {PREVIOUS: None, NO_COMPARISON: ""}.get(compare, compare)
    filters = Filters(
        wave=None if isinstance(wave, Word) else wave,
        compare=compare_value,
        stages=tuple(s for s in survey.stages if s in (stages or [])),
        attributes=chosen,
        alpha=float(alpha),
        padjust=padjust,
    )
    return survey.resolve(filters)


def _attribute_filters(bar, survey: Survey) -> dict[str, str]:
    """A choice of value per attribute the survey offers: the first few in the sidebar, the
    others in an expander, with a note of the attributes that are not offered."""
    chosen: dict[str, str] = {}
    names = survey.attributes
    more = None
    for k, attribute in enumerate(names):
        if k == SHOWN_ATTRIBUTES:  # below the first few
            more = bar.expander(f"More filters ({len(names) - SHOWN_ATTRIBUTES})")
        listed, label = options([ALL], survey.attribute_values[attribute])
        value = (more or bar).selectbox(
            plain(name_label(attribute)),  # a label renders markdown; the name is the file's
            listed,
            format_func=label,
            key=filter_key(attribute),
            bind="query-params",
        )
        if not isinstance(value, Word):
            chosen[attribute] = value
    if survey.unoffered:
        listed = "; ".join(f"{plain(a)}: {plain(why)}" for a, why in survey.unoffered.items())
        (more or bar).caption(f"Stored but not offered as filters: {listed}.")
    return chosen


def share_link(filters: Filters) -> str:
    """The address of this view for someone else: this page with every query parameter the
    widgets keep (sidebar filters and the page's own choices), the wave and the comparison
    pinned by their labels, so that a later upload does not move what the link shows (a wave
    labelled "No comparison" stays apart from the choice: the choice is then "(No comparison)")."""
    address = urlsplit(st.context.url or "")
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    params["wave"] = [filters.wave]
    none = st.session_state.get(_NO_COMPARISON_LABEL, NO_COMPARISON.text)
    params["compare"] = [filters.compare or none]
    query = urlencode(params, doseq=True)
    return urlunsplit((address.scheme, address.netloc, address.path, query, ""))


def method_note(filters: Filters) -> str:
    """The one sentence of method behind the page title's help icon."""
    name, options = PADJUST_NAMES[filters.padjust], filters.options()
    band = options.tolerance
    return (
        "**Clearly** below or above expectations: the difference holds after allowing for the "
        f"many comparisons on the page ({name} adjustment, p below {filters.alpha:g}). "
        "**Probably**: it holds only without that allowance. "
        f"**Meets expectations**: the gap is shown to lie within {band:g} points of zero "
        "(an equivalence test). **No clear difference**: none of these. A **small group** has "
        f"fewer than {options.min_n} customers. The Glossary page explains every term."
    )


def describe(filters: Filters, demo: str | None = None) -> str:
    """One line that says what the page shows, e.g. ``2026-Q3 vs 2026-Q2 · Segment Consumer``;
    led by a "Demo data" badge while any demo wave is stored (``demo``: ``all`` or ``some``)."""
    badge = {"all": "Demo data", "some": "Includes demo waves"}.get(demo or "")
    parts = [f":material/science: **{badge}**"] if badge else []
    parts.append(
        f"Wave {plain(filters.wave)}" + (f" vs {plain(filters.compare)}" if filters.compare else "")
    )
    if filters.stages:
        parts.append(", ".join(plain(stage_label(s)) for s in filters.stages))
    parts += [f"{plain(name_label(a))} {plain(v)}" for a, v in filters.where.items()]
    return " · ".join(parts)
