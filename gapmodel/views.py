"""What each dashboard page shows, computed from the gap model: pure functions, no Streamlit.

A :class:`Survey` is a snapshot of the store (every wave as one :class:`GapData`, plus the
importance allocations and the items); :class:`Filters` is what the sidebar chose. Each page
function takes both and returns the tables the page lays out, already labelled for people.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from gapmodel.compare import segment_differences, segment_gaps, trend
from gapmodel.gapdata import GapData
from gapmodel.gaps import TableOptions, attach_histograms, gap_table, histograms
from gapmodel.instrument import STAGE_LABELS, STAGES
from gapmodel.priorities import (
    attach_allocations,
    fix_first,
    importance_performance,
    respondent_weighted_gaps,
    weighted_gap,
)
from gapmodel.quality import reliability, zone_of_tolerance
from gapmodel.store import ATTRIBUTES, Store

TOP_PAIN_POINTS = 5
# Item groupings whose per-respondent sums the survey keeps for every page to slice.
CELL_GROUPINGS = [(), ("stage", "dimension"), ("dimension",), ("stage", "element")]
_STAGE_SETS_KEPT = 3  # stage filters whose prepared data is kept (each costs a survey's arrays)


@dataclass(frozen=True)
class Filters:
    """The view a user chose: which wave, compared with which, for whom.

    Parameters
    ----------
    wave : str or None
        The wave shown; None for the latest.
    compare : str or None
        The wave it is compared with; None for the wave before ``wave`` (if any), ``""`` for
        no comparison.
    stages : tuple of str
        Journey stages included; empty for all.
    segment, channel, region : str or None
        Respondent attribute values to keep; None for everyone.
    alpha : float
        Significance level for adjusted p-values.
    padjust : {"holm", "bh"}
        Multiple-comparison adjustment within each table.
    """

    wave: str | None = None
    compare: str | None = None
    stages: tuple[str, ...] = ()
    segment: str | None = None
    channel: str | None = None
    region: str | None = None
    alpha: float = 0.05
    padjust: str = "holm"

    def __post_init__(self) -> None:
        unknown = [s for s in self.stages if s not in STAGES]
        if unknown:
            raise ValueError(f"Unknown stage(s) {unknown}; allowed: {', '.join(STAGES)}.")
        TableOptions(padjust=self.padjust, alpha=self.alpha)  # validates both

    @property
    def where(self) -> dict[str, str]:
        """The attribute filters that are set, e.g. ``{"segment": "Consumer"}``."""
        return {a: getattr(self, a) for a in ATTRIBUTES if getattr(self, a) is not None}

    def options(self) -> TableOptions:
        """Table options: these alpha and adjustment, thresholds from the settings."""
        return TableOptions.from_settings(padjust=self.padjust, alpha=self.alpha)


@dataclass(frozen=True)
class Survey:
    """Every stored wave, ready for the model.

    Attributes
    ----------
    data : GapData
        All respondents of all waves.
    waves : list of str
        Wave labels, oldest first.
    allocations : pl.DataFrame
        ``wave, respondent, dimension, points`` (may be empty).
    items : pl.DataFrame
        ``item, wording, dimension, element, label`` of the latest instrument.
    attribute_values : dict
        The values of each respondent attribute, sorted.
    staged : dict
        Stages -> every respondent at those stages, prepared (see :meth:`at_stages`).
    """

    data: GapData
    waves: list[str]
    allocations: pl.DataFrame
    items: pl.DataFrame
    attribute_values: dict[str, list[str]] = field(default_factory=dict)
    staged: dict[tuple[str, ...], GapData] = field(default_factory=dict, repr=False, compare=False)
    _staging: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.waves

    def at_stages(self, stages: Sequence[str]) -> GapData:
        """Every respondent at some stages (all for none), prepared as ``data`` is for
        selections; built on first use and kept (the three built last)."""
        present = set(self.data.pairs["stage"].cast(pl.String))
        if not stages or set(stages) >= present:
            return self.data
        kept = tuple(s for s in STAGES if s in stages and s in present)
        if not kept:  # only stages the questionnaires do not have: nobody, nothing to prepare
            return self.data.subset(None, ())
        staged = self.staged.get(kept)
        if staged is None:
            with self._staging:  # one build per stage set, even when several sessions ask
                staged = self.staged.get(kept)
                if staged is None:
                    staged = self._stage_set(kept)
        return staged

    def _stage_set(self, kept: tuple[str, ...]) -> GapData:
        staged = self.data.subset(None, kept)
        pairs = self.data.pairs["stage"].cast(pl.String).is_in(kept).to_numpy()
        histograms(staged).adopt(histograms(self.data), pairs)
        _prepare(staged)
        while len(self.staged) >= _STAGE_SETS_KEPT:
            self.staged.pop(next(iter(self.staged)))
        self.staged[kept] = staged
        return staged

    def resolve(self, filters: Filters) -> Filters:
        """``filters`` with the wave and comparison made explicit and checked against the data.

        An unknown wave falls back to the latest and an unknown comparison to the previous
        wave, so that an old shared link still opens.
        """
        if not self.waves:
            return filters
        wave = filters.wave if filters.wave in self.waves else self.waves[-1]
        index = self.waves.index(wave)
        previous = self.waves[index - 1] if index > 0 else ""
        if filters.compare == "":
            compare = ""
        elif filters.compare in self.waves and filters.compare != wave:
            compare = filters.compare
        else:
            compare = previous
        attributes = {
            a: getattr(filters, a)
            if getattr(filters, a) in self.attribute_values.get(a, [])
            else None
            for a in ATTRIBUTES
        }
        return replace(filters, wave=wave, compare=compare, **attributes)


def item_label(code: str) -> str:
    """A short readable label for an item code: ``kept_informed`` -> ``Kept informed``.

    Examples
    --------
    >>> item_label("first_contact_resolution")
    'First contact resolution'
    """
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def load_survey(store: Store) -> Survey:
    """Read every wave of the store into a :class:`Survey`, from one consistent snapshot (a
    wave committed meanwhile is either wholly in or wholly out)."""
    with store.snapshot() as snap:
        waves = snap.wave_labels()
        # Every item of the instruments in use; a code in several keeps the newest wording.
        per_wave = [snap.items(w) for w in reversed(waves)] or [snap.items()]
        items = pl.concat(per_wave).unique("item", keep="first", maintain_order=True)
        items = items.select("item", "wording", "dimension", "element")
        items = items.with_columns(
            label=pl.col("item").map_elements(item_label, return_dtype=pl.String)
        )
        scores = snap.scores(waves, items["item"].to_list())
        respondents = snap.respondents(waves)
        allocations = snap.allocations(waves)
    data = GapData.from_scores(scores, respondents, items.select("item", "dimension", "element"))
    attach_allocations(data, allocations)
    _prepare(data)
    values = {
        a: sorted(v for v in respondents[a].unique().to_list() if v is not None) for a in ATTRIBUTES
    }
    return Survey(data, waves, allocations, items, values)


def _prepare(data: GapData) -> None:
    """Compute once what every selection of ``data`` slices: the cell sums, the arrays by
    respondent group and each respondent's weighted gap."""
    histograms(data).partition(CELL_GROUPINGS)
    respondent_weighted_gaps(data, weighted=False)
    if data.points is not None:
        respondent_weighted_gaps(data, weighted=True)


# -- selections ---------------------------------------------------------------------------------
def _picks(filters: Filters, waves: Sequence[str]) -> dict[str, list[str]]:
    """The respondent attribute values a selection keeps."""
    return {"wave": list(waves), **{a: [v] for a, v in filters.where.items()}}


def select(
    survey: Survey,
    filters: Filters,
    waves: Sequence[str] | None = None,
    among: dict[str, list[str]] | None = None,
) -> GapData:
    """The respondents and stages of ``filters``, in ``waves`` (default: the chosen wave),
    and with the attribute values of ``among`` (e.g. every segment: no missing one).

    The selection's histograms are slices of the survey's at those stages (no pass over the
    respondents).
    """
    filters = survey.resolve(filters)
    picks = _picks(filters, [filters.wave] if waves is None else waves) | (among or {})
    base = survey.at_stages(filters.stages)
    whole = histograms(base)
    rows = whole.rows(picks)
    data = base.subset(rows)
    attach_histograms(data, whole.select(data, picks, rows))
    return data


def respondent_count(survey: Survey, filters: Filters) -> int:
    """How many respondents of the chosen wave the filters keep with at least one complete
    pair at the chosen stages (0 for an empty survey)."""
    if survey.is_empty:
        return 0
    filters = survey.resolve(filters)
    base = survey.at_stages(filters.stages)
    if base.pairs.is_empty():  # only stages the questionnaires do not have
        return 0
    rows = histograms(base).rows(_picks(filters, [filters.wave]))
    answered = base.respondent_cells_many([()])[0][0][0]  # pairs answered, per respondent
    if answered.size == 1:  # complete data: everyone answered the same pairs
        return int(rows.sum()) if answered[0] > 0 else 0
    return int((rows & (answered > 0)).sum())


def _labelled(table: pl.DataFrame, survey: Survey) -> pl.DataFrame:
    """Add readable labels: ``stage_label``, and ``label, wording`` where items are listed."""
    if "stage" in table.columns:
        table = table.with_columns(
            stage_label=pl.col("stage").cast(pl.String).replace_strict(STAGE_LABELS, default=None)
        )
    if "item" in table.columns:
        table = table.join(survey.items.select("item", "label", "wording"), on="item", how="left")
    return table


# -- pages -------------------------------------------------------------------------------------
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
    """

    filters: Filters
    overall: pl.DataFrame
    weighted: pl.DataFrame
    change: pl.DataFrame | None
    journey: pl.DataFrame
    pain_points: pl.DataFrame


def overview(survey: Survey, filters: Filters, top: int = TOP_PAIN_POINTS) -> Overview:
    """Headline figures, the journey map and the top pain points of the chosen view."""
    filters = survey.resolve(filters)
    options = filters.options()
    data = select(survey, filters)
    histograms(data).warm([[], ["stage", "dimension"], ["stage", "item"]])
    return Overview(
        filters=filters,
        overall=gap_table(data, [], options),
        weighted=weighted_gap(data, None, (), options),
        change=_change(survey, filters, (), options, _both_waves(survey, filters)),
        journey=_labelled(gap_table(data, ["stage", "dimension"], options), survey),
        pain_points=_labelled(fix_first(data, options).head(top), survey),
    )


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
    return _labelled(table, survey)


@dataclass(frozen=True)
class Journey:
    """Items along the journey.

    Attributes
    ----------
    items : pl.DataFrame
        Gap table by stage and item, labelled (``stage_label, label, wording, dimension,
        element``).
    elements : pl.DataFrame
        Gap table by stage and element (human / technical).
    """

    filters: Filters
    items: pl.DataFrame
    elements: pl.DataFrame


def journey(survey: Survey, filters: Filters) -> Journey:
    """Items ranked by gap at each stage, and the human vs technical split."""
    filters = survey.resolve(filters)
    options = filters.options()
    data = select(survey, filters)
    items = gap_table(data, ["stage", "item", "dimension", "element"], options)
    elements = gap_table(data, ["stage", "element"], options)
    return Journey(filters, _labelled(items, survey), _labelled(elements, survey))


DETAIL_GROUPINGS: dict[str, tuple[str, ...]] = {
    "Item at each stage": ("stage", "dimension", "item"),
    "Dimension at each stage": ("stage", "dimension"),
    "Dimension": ("dimension",),
    "Stage": ("stage",),
    "Element at each stage": ("stage", "element"),
}


@dataclass(frozen=True)
class Details:
    """The full tables for analysts.

    Attributes
    ----------
    gaps : pl.DataFrame
        The gap table by the chosen grouping.
    reliability : pl.DataFrame
        Cronbach's alpha by stage and dimension, for E and P (wide: ``alpha_e, alpha_p``).
    zone_items, zone_dimensions : pl.DataFrame or None
        Zone of tolerance by stage x item and stage x dimension; None without adequate scores.
    """

    filters: Filters
    gaps: pl.DataFrame
    reliability: pl.DataFrame
    zone_items: pl.DataFrame | None
    zone_dimensions: pl.DataFrame | None


def details(survey: Survey, filters: Filters, grouping: str = "Item at each stage") -> Details:
    """The gap table by a grouping of ``DETAIL_GROUPINGS``, reliability and the zone of
    tolerance."""
    if grouping not in DETAIL_GROUPINGS:
        raise ValueError(f"Group by one of {', '.join(DETAIL_GROUPINGS)}. Got {grouping!r}.")
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
    zone_items = zone_of_tolerance(data, ("stage", "item"), options)
    zone_dims = zone_of_tolerance(data, ("stage", "dimension"), options)
    return Details(
        filters,
        _labelled(gap_table(data, DETAIL_GROUPINGS[grouping], options), survey),
        _labelled(alpha, survey),
        None if zone_items is None else _labelled(zone_items, survey),
        None if zone_dims is None else _labelled(zone_dims, survey),
    )


@dataclass(frozen=True)
class Segments:
    """Gaps by a respondent attribute.

    Attributes
    ----------
    attribute : str
        ``segment``, ``channel`` or ``region``.
    overall : pl.DataFrame
        Each value of the attribute against the rest, over all items.
    by_dimension : pl.DataFrame
        The same per dimension.
    across_overall, across_dimensions : pl.DataFrame
        Welch ANOVA across the attribute's values, over all items (one row) and per dimension
        (adjusted within that table).
    """

    filters: Filters
    attribute: str
    overall: pl.DataFrame
    by_dimension: pl.DataFrame
    across_overall: pl.DataFrame
    across_dimensions: pl.DataFrame


def segments(survey: Survey, filters: Filters, attribute: str = "segment") -> Segments:
    """Each value of ``attribute`` against the rest, and the test across values.

    The attribute's own filter is ignored here (comparing one segment with itself says
    nothing), and respondents without a value of the attribute are left out.
    """
    if attribute not in ATTRIBUTES:
        raise ValueError(f"Compare by one of {', '.join(ATTRIBUTES)}. Got {attribute!r}.")
    filters = survey.resolve(filters)
    options = filters.options()
    every = {attribute: survey.attribute_values.get(attribute, [])}
    data = select(survey, replace(filters, **{attribute: None}), among=every)
    return Segments(
        filters,
        attribute,
        segment_gaps(data, attribute, (), options),
        segment_gaps(data, attribute, ("dimension",), options),
        segment_differences(data, attribute, (), options),
        segment_differences(data, attribute, ("dimension",), options),
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
        return table.with_columns(pl.col("wave").cast(pl.String).cast(order)).sort(keys)

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
        Every significant shortfall, ranked, labelled.
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
    return Priorities(filters, _labelled(ipa, survey), _labelled(ranking, survey))
