"""One definition of each name the layers share, and how the survey's own names are written.

A survey's stages, dimensions, items and respondent attributes are data: they come from its
questionnaire and its files, in any script. What is fixed is named here once: the measures, the
item-level keys, the elements of the Gaps Model, the adjustments and the quadrants, plus the
rules that turn a name into its identity (case, spacing and punctuation do not matter), into the token a
column header uses, and into the label a page shows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

import polars as pl

from gapmodel.core.text import normal_text

# What a respondent gives for an item at a stage: expected, perceived, adequate, importance.
MEASURES: tuple[str, ...] = ("expectation", "perception", "adequate", "importance")
# The two kinds of element (optional per item): how the customer was treated, whether it worked.
ELEMENTS: tuple[str, ...] = ("human", "technical")
# Item-level keys of a group; respondent-level keys are the wave and the survey's attributes.
ITEM_KEYS: tuple[str, ...] = ("stage", "item", "dimension", "element")
WAVE = "wave"

# The stages of the default questionnaire, and how pages name them.
DEFAULT_STAGE_LABELS: dict[str, str] = {
    "pre_purchase": "Pre-purchase",
    "encounter": "Service encounter",
    "post_purchase": "Post-purchase",
}
DEFAULT_STAGES: tuple[str, ...] = tuple(DEFAULT_STAGE_LABELS)
# The five SERVQUAL dimensions, in their usual order (the default questionnaire's).
DEFAULT_DIMENSIONS: tuple[str, ...] = (
    "tangibles",
    "reliability",
    "responsiveness",
    "assurance",
    "empathy",
)

# Limits a questionnaire and a survey keep to.
MAX_STAGES = 24
MAX_ITEMS = 5000
MAX_NAME = 60  # characters of a stage, dimension or attribute name

# Multiple-comparison adjustments: code -> name in full, and the short name in sentences.
PADJUST_NAMES: dict[str, str] = {"holm": "Holm", "bh": "Benjamini-Hochberg"}
PADJUST_METHODS: tuple[str, ...] = tuple(PADJUST_NAMES)

# Priority quadrants by (important, not clearly below expectations), named as Martilla &
# James (1977) named theirs (see gapmodel.model.priorities.priority_rule).
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, False): "Concentrate here",
    (True, True): "Keep up the good work",
    (False, False): "Low priority",
    (False, True): "Possible overkill",
}
CONCENTRATE_HERE = QUADRANTS[True, False]

# What a group's gap says, in the manager's words (see ``gapmodel.model.gaps.verdict``).
VERDICTS: dict[str, str] = {
    "below": "clearly below expectations",
    "probably_below": "probably below expectations",
    "meets": "meets expectations",
    "unclear": "no clear difference from expectations",
    "probably_above": "probably above expectations",
    "above": "clearly above expectations",
}

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
# Besides letters, marks and digits of any script, a stage or dimension name may hold these.
_NAME_PUNCTUATION = frozenset(" &-_'")


def clean_name(text: str) -> str:
    """A name as it is kept: its :func:`~gapmodel.core.text.normal_text` (NFC, no invisible
    or text-direction characters), any run of whitespace as one space.

    Examples
    --------
    >>> clean_name("  Speed   &  responsiveness ")
    'Speed & responsiveness'
    """
    return _SPACES.sub(" ", normal_text(text)).strip()


def name_key(text: str) -> str:
    """The identity of a name: two names with the same key are the same stage, dimension, item
    or attribute. It is the name as file columns spell it (:func:`token`), so case, width,
    spacing and punctuation do not matter; a name of punctuation alone keys as itself.

    Examples
    --------
    >>> name_key("Age  Band") == name_key("age band") == name_key("Age-band")
    True
    """
    return token(text) or clean_name(unicodedata.normalize("NFKC", str(text))).casefold()


def unlisted_attributes(listed: Iterable[str], stored: Iterable[str]) -> list[str]:
    """The names of ``stored`` that no name of ``listed`` is (by :func:`name_key`), in their
    order: the respondent attributes stored for a wave that its list of attributes lacks,
    which every read of the wave refuses (and so a restore too).

    Examples
    --------
    >>> unlisted_attributes(["Age band", "Region"], ["age_band", "region", "tier"])
    ['tier']
    """
    keys = {name_key(name) for name in listed}
    return [name for name in stored if name_key(name) not in keys]


def token(text: str) -> str:
    """A name as a column header spells it: lower case, anything but letters and digits as one
    ``_`` (``Speed & responsiveness`` -> ``speed_responsiveness``).

    Examples
    --------
    >>> token("Post-purchase"), token("Zuverlässigkeit"), token("공감 (empathy)")
    ('post_purchase', 'zuverlässigkeit', '공감_empathy')
    """
    text = unicodedata.normalize("NFKC", normal_text(text)).casefold()
    return _NOT_WORD.sub("_", text).strip("_")


def bad_name(text: str) -> str | None:
    """Why ``text`` cannot name a stage or a dimension, or None when it can.

    Examples
    --------
    >>> bad_name("Speed & responsiveness"), bad_name("हिन्दी"), bad_name("a|b")
    (None, None, "holds '|'; a name may hold letters, digits, spaces and & - _ '")
    """
    if not text:
        return "is empty"
    if len(text) > MAX_NAME:
        return f"is longer than {MAX_NAME} characters"
    for ch in text:
        if unicodedata.category(ch)[0] not in "LMN" and ch not in _NAME_PUNCTUATION:
            return f"holds {ch!r}; a name may hold letters, digits, spaces and & - _ '"
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        return "needs at least one letter or digit"
    return None


def stage_label(stage: str) -> str:
    """How a page names a stage: the default questionnaire's stages in words, others as written.

    Examples
    --------
    >>> stage_label("post_purchase"), stage_label("Kiosk")
    ('Post-purchase', 'Kiosk')
    """
    return DEFAULT_STAGE_LABELS.get(str(stage), str(stage))


def name_label(name: str) -> str:
    """How a page names a dimension, an element or an attribute: a name written all in lower
    case gets a capital first letter; any other name is shown as written.

    Examples
    --------
    >>> name_label("responsiveness"), name_label("Speed & responsiveness"), name_label("공감")
    ('Responsiveness', 'Speed & responsiveness', '공감')
    """
    text = str(name)
    return text[:1].upper() + text[1:] if text == text.lower() else text


def distinct_word(word: str, taken: Iterable[str]) -> str:
    """A word of the dashboard's own ("All", "All stages", ...) that no name in ``taken`` equals:
    bracketed until it differs, so that a segment named "All" stays apart from every segment.

    Examples
    --------
    >>> distinct_word("All", ["Retail"]), distinct_word("All", ["All", "(All)"])
    ('All', '((All))')
    """
    names = set(taken)
    while word in names:
        word = f"({word})"
    return word


def relabelled(column: str, label: Callable[[str], str]) -> pl.Expr:
    """``label`` of each value of a text (or Enum) column, as text: worked out once per distinct
    value, not once per row (tables of responses have millions of rows and a few stages).

    Examples
    --------
    >>> frame = pl.DataFrame({"s": ["encounter", "Kiosk", "encounter"]})
    >>> frame.select(relabelled("s", stage_label))["s"].to_list()
    ['Service encounter', 'Kiosk', 'Service encounter']
    """

    def relabel(values: pl.Series) -> pl.Series:
        text = values.cast(pl.String)
        names = {v: label(v) for v in text.unique().drop_nulls().to_list()}
        return text.replace_strict(names, default=None, return_dtype=pl.String)

    return pl.col(column).map_batches(relabel, return_dtype=pl.String)


def ordered_enum(names: Iterable[str]) -> pl.Enum:
    """An Enum of distinct names in the order given (the survey's order, never code order)."""
    return pl.Enum(list(dict.fromkeys(names)))
