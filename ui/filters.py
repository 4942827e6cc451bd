"""The shared sidebar: filters kept in the URL, read into a frozen :class:`Filters` value.

Every widget is bound to a query parameter (``bind="query-params"``), so a view can be shared as
a link and survives a refresh. Values a link carries that the data does not know (a deleted
wave, a segment that no longer exists) are ignored by ``Survey.resolve``.
"""

from __future__ import annotations

import streamlit as st

from gapmodel.core import settings
from gapmodel.core.vocabulary import (
    ATTRIBUTE_TITLES,
    PADJUST_NAMES,
    STAGE_LABELS,
    STAGES,
)
from gapmodel.views import Filters, Survey
from ui.text import plain

ALL = "All"
LATEST, PREVIOUS, NO_COMPARISON = "Latest wave", "Previous wave", "No comparison"
ALPHAS = (0.01, 0.05, 0.10)


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
    wave = bar.selectbox(
        "Wave",
        [LATEST, *reversed(waves)],
        format_func=lambda w: f"{LATEST} ({waves[-1]})" if w == LATEST else w,
        key="wave",
        bind="query-params",
        help="The survey wave shown on every page. The latest wave follows new uploads.",
    )
    compare = bar.selectbox(
        "Compare with",
        [PREVIOUS, NO_COMPARISON, *waves],
        key="compare",
        bind="query-params",
        help="Changes are measured from this wave to the chosen one (Welch's t-test).",
    )
    stages = bar.pills(
        "Journey stages",
        list(STAGES),
        selection_mode="multi",
        format_func=STAGE_LABELS.get,
        key="stage",
        bind="query-params",
        help="None selected means all stages.",
    )
    chosen: dict[str, str | None] = {}
    for attribute, title in ATTRIBUTE_TITLES.items():
        values = survey.attribute_values.get(attribute, [])
        if not values:
            chosen[attribute] = None
            continue
        value = bar.selectbox(title, [ALL, *values], key=attribute, bind="query-params")
        chosen[attribute] = None if value == ALL else value
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
        wave=None if wave == LATEST else wave,
        compare=compare_value,
        stages=tuple(s for s in STAGES if s in (stages or [])),
        alpha=float(alpha),
        padjust=padjust,
        **chosen,
    )
    return survey.resolve(filters)


def describe(filters: Filters, demo: bool = False) -> str:
    """One line that says what the page shows, e.g. ``2026-Q3 vs 2026-Q2 · Segment Consumer``;
    led by a "Demo data" badge when the store holds only demo waves."""
    parts = [":orange-badge[Demo data]"] if demo else []
    parts.append(
        f"Wave {plain(filters.wave)}" + (f" vs {plain(filters.compare)}" if filters.compare else "")
    )
    if filters.stages:
        parts.append(", ".join(STAGE_LABELS[s] for s in filters.stages))
    parts += [f"{ATTRIBUTE_TITLES[a]} {plain(v)}" for a, v in filters.where.items()]
    name = PADJUST_NAMES[filters.padjust]
    parts.append(f"significant: {name}-adjusted p < {filters.alpha:g}")
    return " · ".join(parts)
