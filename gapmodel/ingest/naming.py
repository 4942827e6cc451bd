"""What a column's name says, in the words of the questionnaire: a wide score column as stage x
item x measure, the respondent id, importance points, and the aliases files use.

Wide layout: one row per respondent, one column per stage x item x measure, named
``<stage>.<item>.<measure>`` (for example ``post_purchase.kept_informed.E`` or
``Service encounter / courtesy / P``). The stage is any of the questionnaire's stage names, the
item its code, the measure ``E``/``P``/``A``/``I`` or a word for it (``expected``,
``perceived``, ``adequate``, ``importance``); case does not matter and any run of spaces or
punctuation separates the parts. A questionnaire with one stage may leave the stage out
(``courtesy.E``). The default questionnaire's stages also answer to ``pre``, ``post``,
``during`` and other short names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import token

# Short names of the default questionnaire's stages (tokens -> stage).
STAGE_ALIASES: dict[str, str] = {
    "pre_purchase": "pre_purchase",
    "prepurchase": "pre_purchase",
    "pre": "pre_purchase",
    "before": "pre_purchase",
    "encounter": "encounter",
    "service_encounter": "encounter",
    "during": "encounter",
    "service": "encounter",
    "post_purchase": "post_purchase",
    "postpurchase": "post_purchase",
    "post": "post_purchase",
    "after": "post_purchase",
}
MEASURE_ALIASES: dict[str, str] = {
    "e": "expectation",
    "exp": "expectation",
    "expected": "expectation",
    "expectation": "expectation",
    "desired": "expectation",
    "p": "perception",
    "perc": "perception",
    "perceived": "perception",
    "perception": "perception",
    "a": "adequate",
    "adequate": "adequate",
    "minimum": "adequate",
    "i": "importance",
    "imp": "importance",
    "importance": "importance",
}
ID_ALIASES = (
    "respondent_id",
    "respondent",
    "respondentid",
    "resp_id",
    "response_id",
    "responseid",
    "id",
)
POINTS_PREFIXES = ("points", "weight", "importance_points")
# Separators of the parts of a column name, besides the underscore inside a name.
SEPARATORS = re.compile(r"\s*(?:__|[.:|/\\]|\s)\s*")
# The separators no attribute name would use before a measure (``q9.E``, unlike ``Plan E``).
_DOTTED = re.compile(r"[.:|/\\]")


def listed(names: list[str] | tuple[str, ...], most: int = 8) -> str:
    """Names for a message: all of a few, or the first ``most`` and how many there are.

    Examples
    --------
    >>> listed(["a", "b"]), listed([f"q{i}" for i in range(30)], most=3)
    ('a, b', 'q0, q1, q2, ... (30 in all)')
    """
    if len(names) <= most:
        return ", ".join(names)
    return f"{', '.join(names[:most])}, ... ({len(names)} in all)"


@dataclass(frozen=True)
class ScoreColumn:
    """A wide column understood as stage x item x measure (stage and item as the questionnaire
    names them)."""

    name: str
    stage: str
    item: str
    measure: str


@dataclass(frozen=True)
class UnknownScore:
    """A wide column that looks like a score but cannot be one of the questionnaire's: what is
    wrong (``unknown`` is ``"stage"``, ``"item"`` or ``"no_stage"``: a known item without its
    stage in a survey of several), the parts understood (or None) and ``text``, the part that
    was not understood."""

    name: str
    stage: str | None
    item: str | None
    measure: str
    text: str
    unknown: str


class ColumnNames:
    """The questionnaire's names as file columns and cells spell them.

    Parameters
    ----------
    instrument : Instrument
        Its stage names, item codes and, for the default stages, their short names.
    """

    def __init__(self, instrument: Instrument):
        self.instrument = instrument
        self.stages: dict[str, str] = {token(s): s for s in instrument.stages}
        for alias, stage in STAGE_ALIASES.items():
            if stage in instrument.stages:
                self.stages.setdefault(alias, stage)
        self.items: dict[str, str] = {token(c): c for c in instrument.codes}
        self._stage_tokens = sorted(self.stages, key=len, reverse=True)
        self._measures = sorted(MEASURE_ALIASES, key=len, reverse=True)

    def stage(self, text: str) -> str | None:
        """The stage a cell or a header part names, or None."""
        return self.stages.get(token(text))

    def item(self, text: str) -> str | None:
        """The item code a cell or a header part names, or None."""
        return self.items.get(token(text))

    def score_column(self, name: str) -> ScoreColumn | UnknownScore | None:
        """What a wide column holds: a score, a score of an unknown stage or item, or None
        when the column is not a score at all.

        Examples
        --------
        >>> from gapmodel.core.instrument import default_instrument
        >>> names = ColumnNames(default_instrument())
        >>> names.score_column("Post-purchase.kept_informed.E")
        ScoreColumn(name='Post-purchase.kept_informed.E', stage='post_purchase', item='kept_informed', measure='expectation')
        >>> names.score_column("onboarding_courtesy_e").text
        'onboarding'
        >>> names.score_column("segment") is None
        True
        """
        text = token(name)
        for alias in self._measures:
            if text.endswith("_" + alias):
                return self._split(name, text[: -len(alias) - 1], MEASURE_ALIASES[alias])
        return None

    def _split(self, name: str, rest: str, measure: str) -> ScoreColumn | UnknownScore | None:
        for stage_token in self._stage_tokens:
            if rest.startswith(stage_token + "_"):
                item = self.items.get(rest[len(stage_token) + 1 :])
                if item is not None:
                    return ScoreColumn(name, self.stages[stage_token], item, measure)
        single = self.instrument.stages[0] if len(self.instrument.stages) == 1 else None
        if rest in self.items:  # the item alone: enough when the survey has one stage
            if single is not None:
                return ScoreColumn(name, single, self.items[rest], measure)
            return UnknownScore(name, None, self.items[rest], measure, "", "no_stage")
        for item_token, item in self.items.items():  # a known item after an unknown stage
            if rest.endswith("_" + item_token):
                unknown = rest[: -len(item_token) - 1]
                return UnknownScore(name, None, item, measure, unknown, "stage")
        for stage_token in self._stage_tokens:  # a known stage before an unknown item
            if rest.startswith(stage_token + "_"):
                unknown = rest[len(stage_token) + 1 :]
                return UnknownScore(name, self.stages[stage_token], None, measure, unknown, "item")
        parts = [p for p in SEPARATORS.split(name.strip()) if p]
        if len(parts) == 3:  # stage.item.measure with neither part known
            return UnknownScore(name, None, None, measure, parts[0], "stage")
        if len(parts) == 2 and _DOTTED.search(name):  # item.measure of an unknown item
            return UnknownScore(name, single, None, measure, parts[0], "item")
        return None
