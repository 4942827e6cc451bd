"""What each dashboard page shows, computed from the gap model: pure functions, no Streamlit.

Each page function takes the :class:`~gapmodel.views.survey.Survey` and the
:class:`~gapmodel.views.survey.Filters` and returns the tables the page lays out, already
labelled for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from gapmodel.core import settings
from gapmodel.core.errors import SettingsError
from gapmodel.core.targets import by_name_key, default_target, read_target_rows
from gapmodel.core.vocabulary import distinct_word, name_key
from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.elements import element_difference
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table, histograms
from gapmodel.model.priorities import fix_first, importance_performance, weighted_gap
from gapmodel.model.quality import reliability, zone_of_tolerance
from gapmodel.views.survey import Filters, Survey, labelled, select
from gapmodel.views.targets import target_status, unmatched_targets

TOP_PAIN_POINTS = 5
LOW_ALPHA = 0.7  # Cronbach's alpha below this is flagged (Nunnally 1978)


@dataclass(frozen=True)
class Overview:
    """The manager's first screen.

    Attributes
    ----------
    filters : Filters
        The resolved filters (explicit wave and comparison).
    overall : pl.DataFrame
        One-row gap table of everyone selected.
    weighted : pl.DataFrame
        One-row weighted SERVQUAL gap, with ``weighting``.
    change : pl.DataFrame or None
        One-row trend table from the comparison wave, or None without a comparison.
    journey : pl.DataFrame
        Gap table by stage and dimension (the journey map).
    pain_points : pl.DataFrame
        The top of the fix-first list, labelled.
    targets : pl.DataFrame
        Gap table by dimension (and by each item the targets file names) with ``target`` and
        ``status`` (:func:`gapmodel.views.targets.target_status`).
    targets_problem : str or None
        Why the targets file was not used (the default target applies), or which of its names
        match no dimension or item (their targets are not used); None without a problem.
    """

    filters: Filters
    overall: pl.DataFrame
    weighted: pl.DataFrame
    change: pl.DataFrame | None
    journey: pl.DataFrame
    pain_points: pl.DataFrame
    targets: pl.DataFrame
    targets_problem: str | None = None


def overview(survey: Survey, filters: Filters, top: int = TOP_PAIN_POINTS) -> Overview:
    """Headline figures, the journey map and the top pain points of the chosen view."""
    filters = survey.resolve(filters)
    options = filters.options()
    data = select(survey, filters)
    histograms(data).warm([[], ["stage", "dimension"], ["stage", "item"], ["dimension"]])
    targets, problem = _targets(survey, data, options)
    return Overview(
        filters=filters,
        overall=gap_table(data, [], options),
        weighted=weighted_gap(data, None, (), options),
        change=_change(survey, filters, (), options, _both_waves(survey, filters)),
        journey=labelled(gap_table(data, ["stage", "dimension"], options), survey),
        pain_points=labelled(fix_first(data, options).head(top), survey),
        targets=targets,
        targets_problem=problem,
    )


def _targets(
    survey: Survey, data: GapData, options: TableOptions
) -> tuple[pl.DataFrame, str | None]:
    """Every dimension, then every item the targets file names, against its target; and why
    the file was not used, if it could not be."""
    try:
        rows = read_target_rows()
    except SettingsError as exc:
        rows, problem = [], f"{exc} The default target applies until it is fixed."
    else:
        known = [*survey.dimensions, *survey.items["item"].to_list()]
        problem = unmatched_targets(rows, known, settings.get("targets"))
    targets = by_name_key(rows)
    default = default_target()
    dimensions = target_status(
        gap_table(data, ["dimension"], options), "dimension", targets, default
    )
    table = labelled(dimensions, survey)
    items = gap_table(data, ["item"], options) if targets else pl.DataFrame()
    if items.height:
        named = [i for i in items["item"].cast(pl.String).to_list() if name_key(i) in targets]
        items = items.filter(pl.col("item").cast(pl.String).is_in(named))
    if items.height:
        items = labelled(target_status(items, "item", targets, default), survey)
        table = pl.concat([table, items], how="diagonal_relaxed")
    return table, problem


def _both_waves(survey: Survey, filters: Filters) -> GapData | None:
    """The selection in the comparison wave and the chosen one (None without a comparison)."""
    return select(survey, filters, [filters.compare, filters.wave]) if filters.compare else None


def _change(
    survey: Survey,
    filters: Filters,
    by: Sequence[str],
    options: TableOptions,
    data: GapData | None,
) -> pl.DataFrame | None:
    """The trend table from the comparison wave to the chosen one, over ``data`` (a selection
    holding both waves); None without a comparison or when a wave has nobody."""
    if not filters.compare or data is None:
        return None
    present = set(data.respondents["wave"].unique().cast(pl.String).to_list())
    if not {filters.compare, filters.wave} <= present:  # nobody in one of the waves
        return None
    table = trend(data, filters.compare, filters.wave, by, options)
    return labelled(table, survey)


@dataclass(frozen=True)
class Journey:
    """Items along the journey.

    Attributes
    ----------
    items : pl.DataFrame
        Gap table by stage and item, labelled (``stage_label, label, wording, dimension,
        element``).
    elements : pl.DataFrame or None
        Gap table by stage and element (human / technical); None when no item has an element.
    element_test : pl.DataFrame or None
        Human against technical, paired across respondents: one overall row, then one per
        stage (:func:`gapmodel.model.elements.element_difference`); None without both elements.
    """

    filters: Filters
    items: pl.DataFrame
    elements: pl.DataFrame | None
    element_test: pl.DataFrame | None = None


def journey(survey: Survey, filters: Filters) -> Journey:
    """Items ranked by gap at each stage, and the human vs technical split."""
    filters = survey.resolve(filters)
    options = filters.options()
    data = select(survey, filters)
    items = gap_table(data, ["stage", "item", "dimension", "element"], options)
    if not survey.has_elements:
        return Journey(filters, labelled(items, survey), None)
    elements = gap_table(data, ["stage", "element"], options)
    elements = elements.filter(pl.col("element").is_not_null())
    test = element_difference(data, (), options)
    if not survey.single_stage and test.height:
        test = pl.concat([test, element_difference(data, ("stage",), options)], how="diagonal")
    test = labelled(test, survey) if test.height else None
    if test is not None and "stage_label" in test.columns:  # the overall row: every stage
        overall = distinct_word("All stages", test["stage_label"].drop_nulls())
        test = test.with_columns(pl.col("stage_label").fill_null(overall))
    return Journey(filters, labelled(items, survey), labelled(elements, survey), test)


DETAIL_GROUPINGS: dict[str, tuple[str, ...]] = {
    "Item at each stage": ("stage", "dimension", "item"),
    "Dimension at each stage": ("stage", "dimension"),
    "Dimension": ("dimension",),
    "Stage": ("stage",),
    "Element at each stage": ("stage", "element"),
}
# The same groupings for a survey of one stage, where "at each stage" says nothing.
_ONE_STAGE_GROUPINGS: dict[str, str] = {
    "Item": "Item at each stage",
    "Dimension": "Dimension",
    "Element": "Element at each stage",
}


def detail_groupings(survey: Survey) -> dict[str, tuple[str, ...]]:
    """The groupings the Details page offers for this survey: no stage groupings when it has
    one stage, no element grouping when no item has an element."""
    if survey.single_stage:
        named = {k: DETAIL_GROUPINGS[v] for k, v in _ONE_STAGE_GROUPINGS.items()}
    else:
        named = dict(DETAIL_GROUPINGS)
    if not survey.has_elements:
        named = {k: v for k, v in named.items() if "element" not in v}
    return named


@dataclass(frozen=True)
class Details:
    """The full tables for analysts.

    Attributes
    ----------
    gaps : pl.DataFrame
        The gap table by the chosen grouping.
    reliability : pl.DataFrame
        Cronbach's alpha by stage and dimension, for E and P (wide: ``alpha_e, alpha_p``),
        with ``low_alpha`` where either is below :data:`LOW_ALPHA`.
    zone_items, zone_dimensions : pl.DataFrame or None
        Zone of tolerance by stage x item and stage x dimension; None without adequate scores.
    """

    filters: Filters
    gaps: pl.DataFrame
    reliability: pl.DataFrame
    zone_items: pl.DataFrame | None
    zone_dimensions: pl.DataFrame | None


def details(survey: Survey, filters: Filters, grouping: str | None = None) -> Details:
    """The gap table by a grouping of :func:`detail_groupings` (default the first), reliability
    and the zone of tolerance."""
    groupings = detail_groupings(survey)
    grouping = grouping or next(iter(groupings))
    if grouping not in groupings:
        raise ValueError(f"Group by one of {', '.join(groupings)}. Got {grouping!r}.")
    filters = survey.resolve(filters)
    options = filters.options()
    data = select(survey, filters)
    alpha = reliability(data, ("stage", "dimension")).pivot(
        on="measure", index=["stage", "dimension", "items"], values=["alpha", "n"]
    )
    alpha = alpha.rename(
        {
            "alpha_expectation": "alpha_e",
            "alpha_perception": "alpha_p",
            "n_expectation": "n_e",
            "n_perception": "n_p",
        },
        strict=False,
    )
    alpha = alpha.with_columns(
        low_alpha=pl.any_horizontal(
            pl.col(c) < LOW_ALPHA for c in ("alpha_e", "alpha_p") if c in alpha.columns
        ).fill_null(False)
    )
    zone_items = zone_of_tolerance(data, ("stage", "item"), options)
    zone_dims = zone_of_tolerance(data, ("stage", "dimension"), options)
    return Details(
        filters,
        labelled(gap_table(data, groupings[grouping], options), survey),
        labelled(alpha, survey),
        None if zone_items is None else labelled(zone_items, survey),
        None if zone_dims is None else labelled(zone_dims, survey),
    )


@dataclass(frozen=True)
class Segments:
    """Gaps by a respondent attribute.

    Attributes
    ----------
    attribute : str
        The respondent attribute compared (``segment``, ``Age band``, ...).
    overall : pl.DataFrame
        Each value of the attribute against the rest, over all items.
    by_dimension : pl.DataFrame
        The same per dimension.
    across_overall, across_dimensions : pl.DataFrame
        Welch ANOVA across the attribute's values, over all items (one row) and per dimension
        (adjusted within that table).
    by_stage : pl.DataFrame
        Gap table by the attribute's value and stage: where in the journey each group suffers.
    """

    filters: Filters
    attribute: str
    overall: pl.DataFrame
    by_dimension: pl.DataFrame
    across_overall: pl.DataFrame
    across_dimensions: pl.DataFrame
    by_stage: pl.DataFrame


def segments(survey: Survey, filters: Filters, attribute: str | None = None) -> Segments:
    """Each value of ``attribute`` (default the first offered) against the rest, and the test
    across values.

    The attribute's own filter is ignored here (comparing one segment with itself says
    nothing), and respondents without a value of the attribute are left out.
    """
    if not survey.attributes:
        raise ValueError("This survey has no respondent attribute to compare groups by.")
    attribute = attribute or survey.attributes[0]
    if attribute not in survey.attribute_values:
        raise ValueError(f"Compare by one of {', '.join(survey.attributes)}. Got {attribute!r}.")
    filters = survey.resolve(filters)
    options = filters.options()
    every = {attribute: survey.attribute_values.get(attribute, [])}
    data = select(survey, filters.without(attribute), among=every)
    return Segments(
        filters,
        attribute,
        segment_gaps(data, attribute, (), options),
        labelled(segment_gaps(data, attribute, ("dimension",), options), survey),
        segment_differences(data, attribute, (), options),
        labelled(segment_differences(data, attribute, ("dimension",), options), survey),
        labelled(gap_table(data, [attribute, "stage"], options), survey),
    )


@dataclass(frozen=True)
class Trends:
    """Waves over time.

    Attributes
    ----------
    by_wave : pl.DataFrame
        Gap table by wave (overall), in wave order.
    by_wave_dimension : pl.DataFrame
        Gap table by wave and dimension.
    change_dimensions, change_items : pl.DataFrame or None
        Trend tables (change with Welch's test and its E / P decomposition) from the
        comparison wave to the chosen wave; None without a comparison.
    """

    filters: Filters
    by_wave: pl.DataFrame
    by_wave_dimension: pl.DataFrame
    change_dimensions: pl.DataFrame | None
    change_items: pl.DataFrame | None


def trends(survey: Survey, filters: Filters) -> Trends:
    """Gap, E and P per wave, and the change between the two chosen waves."""
    filters = survey.resolve(filters)
    options = filters.options()
    data = select(survey, filters, survey.waves)
    order = pl.Enum(survey.waves)

    def in_order(table: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
        table = labelled(table, survey).with_columns(pl.col("wave").cast(pl.String).cast(order))
        return table.sort(keys)

    return Trends(
        filters,
        in_order(gap_table(data, ["wave"], options), ["wave"]),
        in_order(gap_table(data, ["wave", "dimension"], options), ["wave", "dimension"]),
        _change(survey, filters, ("dimension",), options, data),
        _change(survey, filters, ("stage", "item"), options, data),
    )


@dataclass(frozen=True)
class Priorities:
    """What to fix first.

    Attributes
    ----------
    ipa : pl.DataFrame
        Importance-performance per stage x item, with ``quadrant``, ``flag`` and the fix-first
        ``rank`` of the top pain points, labelled.
    fix_first : pl.DataFrame
        Every item clearly below expectations, in fix-first order, labelled.
    """

    filters: Filters
    ipa: pl.DataFrame
    fix_first: pl.DataFrame


def priorities(survey: Survey, filters: Filters) -> Priorities:
    """Importance-performance analysis and the full fix-first list.

    The IPA table gets ``rank``, the item's place among the top fix-first pain points.
    """
    filters = survey.resolve(filters)
    options = filters.options()
    data = select(survey, filters)
    ipa = importance_performance(data, options)
    ranking = fix_first(data, options, ipa)
    top = ranking.head(TOP_PAIN_POINTS).select("stage", "item", "rank")
    ipa = ipa.join(top, on=["stage", "item"], how="left")
    return Priorities(filters, labelled(ipa, survey), labelled(ranking, survey))
