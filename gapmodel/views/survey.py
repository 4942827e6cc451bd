"""The stored survey ready for every page, the view a user chose, and selections of it.

A :class:`Survey` is a snapshot of the store (every wave as one :class:`GapData`, plus the
importance allocations and the items); :class:`Filters` is what the sidebar chose.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from gapmodel.core import settings
from gapmodel.core.columns import RESERVED_ATTRIBUTES
from gapmodel.core.vocabulary import WAVE, name_key, ordered_enum, relabelled, stage_label
from gapmodel.model.gapdata import GapData, attribute_values
from gapmodel.model.gaps import TableOptions, attach_histograms, histograms
from gapmodel.model.priorities import attach_allocations, respondent_weighted_gaps
from gapmodel.storage.store import Store

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
        Journey stages included, by name; empty for all.
    attributes : mapping or tuple of (str, str)
        Respondent attribute -> the value to keep, e.g. ``{"segment": "Consumer"}``; kept as
        sorted pairs (so that filters are hashable). Attributes left out keep everyone.
    alpha : float
        Significance level for adjusted p-values.
    padjust : {"holm", "bh"}
        Multiple-comparison adjustment within each table.
    """

    wave: str | None = None
    compare: str | None = None
    stages: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    alpha: float = 0.05
    padjust: str = "holm"

    def __post_init__(self) -> None:
        pairs = self.attributes.items() if isinstance(self.attributes, Mapping) else self.attributes
        chosen = tuple(sorted((str(a), str(v)) for a, v in pairs if v is not None))
        object.__setattr__(self, "attributes", chosen)
        object.__setattr__(self, "stages", tuple(self.stages))
        TableOptions(padjust=self.padjust, alpha=self.alpha)  # validates both

    @property
    def where(self) -> dict[str, str]:
        """The attribute filters that are set, e.g. ``{"segment": "Consumer"}``."""
        return dict(self.attributes)

    def without(self, attribute: str) -> Filters:
        """The same view with every value of ``attribute``."""
        return replace(self, attributes=tuple((a, v) for a, v in self.attributes if a != attribute))

    def options(self) -> TableOptions:
        """Table options: these alpha and adjustment, thresholds from the settings."""
        return TableOptions.from_settings(padjust=self.padjust, alpha=self.alpha)


@dataclass(frozen=True)
class Survey:
    """Every stored wave, ready for the model.

    Attributes
    ----------
    data : GapData
        All respondents of all waves, with the attributes offered as filters.
    waves : list of str
        Wave labels, oldest first.
    allocations : pl.DataFrame
        ``wave, respondent, dimension, points`` (may be empty).
    items : pl.DataFrame
        ``item, wording, dimension, element, label`` of every questionnaire in use (a code in
        several keeps the newest); ``label`` is what pages show: the wording.
    attribute_values : dict
        Each attribute offered as a filter and breakdown -> its values, in their order.
    stages, dimensions : list of str
        The questionnaires' stages and dimensions, in their order (the newest's first).
    unoffered : dict
        Attributes stored but not offered -> why (too many values, or a reserved name).
    staged : dict
        Stages -> every respondent at those stages, prepared (see :meth:`at_stages`).
    """

    data: GapData
    waves: list[str]
    allocations: pl.DataFrame
    items: pl.DataFrame
    attribute_values: dict[str, list[str]] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    unoffered: dict[str, str] = field(default_factory=dict)
    staged: dict[tuple[str, ...], GapData] = field(default_factory=dict, repr=False, compare=False)
    _staging: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.stages:  # a survey put together by hand: the data's stages, in order
            object.__setattr__(self, "stages", self.data.stages)
        if not self.dimensions:
            dimensions = self.items["dimension"].unique(maintain_order=True).to_list()
            object.__setattr__(self, "dimensions", dimensions)

    @property
    def is_empty(self) -> bool:
        return not self.waves

    @property
    def attributes(self) -> list[str]:
        """The attributes offered as filters and breakdowns, in order."""
        return list(self.attribute_values)

    @property
    def single_stage(self) -> bool:
        """True when the questionnaires have one stage: pages then leave the stage out."""
        return len(self.stages) <= 1

    @property
    def has_elements(self) -> bool:
        """True when some item is classed as human or technical."""
        return self.items["element"].null_count() < self.items.height

    def at_stages(self, stages: Sequence[str]) -> GapData:
        """Every respondent at some stages (all for none), prepared as ``data`` is for
        selections; built on first use and kept (the three built last)."""
        present = set(self.data.pairs["stage"].cast(pl.String))
        if not stages or set(stages) >= present:
            return self.data
        kept = tuple(s for s in self.stages if s in stages and s in present)
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
        prepare_selections(staged)
        while len(self.staged) >= _STAGE_SETS_KEPT:
            self.staged.pop(next(iter(self.staged)))
        self.staged[kept] = staged
        return staged

    def resolve(self, filters: Filters) -> Filters:
        """``filters`` with the wave and comparison made explicit and checked against the data.

        An unknown wave falls back to the latest and an unknown comparison to the previous
        wave; stages, attributes and values the survey does not have are dropped (names match
        whatever their case), so that an old shared link still opens.
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
        stages = {name_key(s): s for s in self.stages}
        kept_stages = tuple(stages[name_key(s)] for s in filters.stages if name_key(s) in stages)
        names = {name_key(a): a for a in self.attribute_values}
        chosen = {}
        for attribute, value in filters.attributes:
            name = names.get(name_key(attribute))
            if name is not None and value in self.attribute_values[name]:
                chosen[name] = value
        return replace(filters, wave=wave, compare=compare, stages=kept_stages, attributes=chosen)


def load_survey(store: Store) -> Survey:
    """Read every wave of the store into a :class:`Survey`, from one consistent snapshot (a
    wave committed meanwhile is either wholly in or wholly out)."""
    with store.snapshot() as snap:
        waves = snap.wave_labels()
        vocabulary = snap.vocabulary(waves)
        # Every item of the instruments in use; a code in several keeps the newest wording.
        items = snap.survey_items(waves)
        pairs = snap.pairs(waves)
        scores = snap.scores(waves, pairs.select("stage", "item").rows())
        respondents = snap.respondents(waves)
        allocations = snap.allocations(waves)
    typed, unoffered = _offered(respondents, vocabulary["attributes"])
    values = {name: column.dtype.categories.to_list() for name, column in typed.items()}
    people = respondents.select("wave", "respondent").with_columns(*typed.values())
    data = GapData.from_scores(scores, people, pairs)
    attach_allocations(data, allocations)
    prepare_selections(data)
    items = items.select("item", "wording", "dimension", "element", label=pl.col("wording"))
    dimensions = (
        vocabulary["dimensions"] or items["dimension"].unique(maintain_order=True).to_list()
    )
    return Survey(
        data,
        waves,
        allocations,
        items,
        values,
        stages=vocabulary["stages"],
        dimensions=dimensions,
        unoffered=unoffered,
    )


def _offered(
    respondents: pl.DataFrame, attributes: list[str]
) -> tuple[dict[str, pl.Series], dict[str, str]]:
    """The attributes offered as filters (name -> the column as an Enum of its values in their
    order, :func:`attribute_values`) and the others (name -> why not): too many values, none at
    all, or a name the tables use."""
    limit = settings.get("max_filter_values")
    offered: dict[str, pl.Series] = {}
    unoffered: dict[str, str] = {}
    for name in attributes:
        column = respondents[name]
        count = column.drop_nulls().n_unique()
        if name_key(name) in RESERVED_ATTRIBUTES or name.startswith("_"):
            unoffered[name] = "its name is a column of the tables"
        elif count == 0:
            unoffered[name] = "no respondent has a value"
        elif count > limit:
            unoffered[name] = f"{count:,} values (filters offer at most {limit})"
        else:
            offered[name] = attribute_values(column)
    return offered, unoffered


def prepare_selections(data: GapData) -> None:
    """Compute once what every selection of ``data`` slices: the cell sums, the arrays by
    respondent group and each respondent's weighted gap."""
    histograms(data).partition(CELL_GROUPINGS)
    respondent_weighted_gaps(data, weighted=False)
    if data.points is not None:
        respondent_weighted_gaps(data, weighted=True)


# -- selections ---------------------------------------------------------------------------------
def _picks(filters: Filters, waves: Sequence[str]) -> dict[str, list[str]]:
    """The respondent attribute values a selection keeps."""
    return {WAVE: list(waves), **{a: [v] for a, v in filters.attributes}}


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


def labelled(table: pl.DataFrame, survey: Survey) -> pl.DataFrame:
    """Add readable labels: ``stage_label`` (left out when the survey has one stage), and
    ``label, wording`` where items are listed; ``dimension`` as an Enum in the survey's order."""
    if "stage" in table.columns and not survey.single_stage:
        table = table.with_columns(stage_label=relabelled("stage", stage_label))
    if "item" in table.columns:
        table = table.join(survey.items.select("item", "label", "wording"), on="item", how="left")
    if "dimension" in table.columns and survey.dimensions:
        order = ordered_enum([*survey.dimensions, *table["dimension"].cast(pl.String).drop_nulls()])
        table = table.with_columns(pl.col("dimension").cast(pl.String).cast(order))
    return table
