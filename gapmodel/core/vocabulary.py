"""One definition of each name the layers share: stages, measures, attributes, keys, methods.

Everything that says what a stored code or an emitted column means is named here once; the
other modules import it from here.
"""

from __future__ import annotations

import polars as pl

# The customer journey, in order.
STAGES: tuple[str, ...] = ("pre_purchase", "encounter", "post_purchase")
STAGE_LABELS: dict[str, str] = {
    "pre_purchase": "Pre-purchase",
    "encounter": "Service encounter",
    "post_purchase": "Post-purchase",
}
STAGE_DTYPE = pl.Enum(list(STAGES))
# The five SERVQUAL dimensions, in their usual order, and the two kinds of element.
DIMENSIONS: tuple[str, ...] = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
ELEMENTS: tuple[str, ...] = ("human", "technical")
# What a respondent gives for an item at a stage: expected, perceived, adequate, importance.
MEASURES: tuple[str, ...] = ("expectation", "perception", "adequate", "importance")

# Respondent attributes that filter and break down results.
ATTRIBUTES: tuple[str, ...] = ("segment", "channel", "region")
ATTRIBUTE_TITLES: dict[str, str] = {a: a.capitalize() for a in ATTRIBUTES}
# The keys of a group: respondent-level (a selection is a set of their values) and item-level.
RESPONDENT_KEYS: tuple[str, ...] = ("wave", *ATTRIBUTES)
ITEM_KEYS: tuple[str, ...] = ("stage", "item", "dimension", "element")

# Multiple-comparison adjustments: code -> name in full, and the short name in sentences.
PADJUST_NAMES: dict[str, str] = {"holm": "Holm", "bh": "Benjamini-Hochberg"}
PADJUST_METHODS: tuple[str, ...] = tuple(PADJUST_NAMES)
PADJUST_SHORT: dict[str, str] = {"holm": "Holm", "bh": "BH"}

# Importance-performance quadrants by (important, performing well), Martilla & James (1977).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}
CONCENTRATE_HERE = QUADRANTS[True, False]
