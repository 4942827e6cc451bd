"""The stored survey ready for every page, the view a user chose, and selections of it.

A :class:`Survey` is a snapshot of the store (every wave as one :class:`GapData`, plus the
importance allocations and the items); :class:`Filters` is what the sidebar chose.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from gapmodel.core.vocabulary import ATTRIBUTES, STAGE_LABELS, STAGES
from gapmodel.model.gapdata import GapData
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
        prepare_selections(staged)
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
    prepare_selections(data)
    values = {
        a: sorted(v for v in respondents[a].unique().to_list() if v is not None) for a in ATTRIBUTES
    }
    return Survey(data, waves, allocations, items, values)


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


def labelled(table: pl.DataFrame, survey: Survey) -> pl.DataFrame:
    """Add readable labels: ``stage_label``, and ``label, wording`` where items are listed."""
    if "stage" in table.columns:
        table = table.with_columns(
            stage_label=pl.col("stage").cast(pl.String).replace_strict(STAGE_LABELS, default=None)
        )
    if "item" in table.columns:
        table = table.join(survey.items.select("item", "label", "wording"), on="item", how="left")
    return table
