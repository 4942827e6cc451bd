"""What a column's name says: a wide score column as stage x item x measure, the respondent id,
importance points, and the aliases survey files use for stages and measures.

Wide layout: one row per respondent, one column per stage x item x measure, named
``<stage>.<item>.<measure>`` (for example ``post_purchase.kept_informed.E``). Separators
``.`` ``:`` ``|`` ``/`` ``__`` or a space are accepted, as are ``pre``/``post`` for the stages and
``expected``/``perceived``/``adequate``/``importance`` for the measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
SEPARATORS = re.compile(r"\s*(?:__|[.:|/\\]|\s)\s*")


@dataclass(frozen=True)
class ScoreColumn:
    """A wide column understood as stage x item x measure."""

    name: str
    stage: str
    item: str
    measure: str


def canonical(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def parse_score_column(name: str) -> tuple[str, str, str] | None:
    """Split a wide column name into (stage, item, measure), or None if it is not a score.

    The stage is returned as written (normalised) when unknown, so that it can be reported.

    Examples
    --------
    >>> parse_score_column("Post-purchase.kept_informed.E")
    ('post_purchase', 'kept_informed', 'expectation')
    >>> parse_score_column("pre_purchase_courtesy_p")
    ('pre_purchase', 'courtesy', 'perception')
    >>> parse_score_column("segment") is None
    True
    """
    text = canonical(name)
    parts = [p for p in SEPARATORS.split(text) if p]
    if len(parts) == 3 and parts[2] in MEASURE_ALIASES:
        stage, item, measure = parts
        return STAGE_ALIASES.get(stage, stage), item, MEASURE_ALIASES[measure]
    # Underscores only (pre_purchase_courtesy_e): known stage prefix and measure suffix.
    for alias in sorted(STAGE_ALIASES, key=len, reverse=True):
        if text.startswith(alias + "_"):
            rest = text[len(alias) + 1 :]
            item, _, measure = rest.rpartition("_")
            if item and measure in MEASURE_ALIASES:
                return STAGE_ALIASES[alias], item, MEASURE_ALIASES[measure]
    return None
