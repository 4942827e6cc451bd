"""Plain-language findings, each written from one result row and carrying its numbers.

Sentences are in the manager's register: "clearly below expectations" (adjusted p below alpha
and the 95% interval below zero), "probably" (only the unadjusted p below alpha), "meets
expectations" (the equivalence test at the tolerance), "no clear difference", and the number of
customers behind the result, marked when the group is small. The interval, the test and the
adjustment stay in the row (:class:`Finding`) and the tables. A result that is not significant
is never described as a difference or a change, and a suppressed group gives no sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from gapmodel.core.vocabulary import name_label, stage_label


@dataclass(frozen=True)
class Finding:
    """One sentence of a report and the result row it was written from.

    Attributes
    ----------
    section : str
        Where it appears (``Headline``, ``Journey``, ``Pain points``, ``Change``,
        ``Segments``, ``Priorities``).
    text : str
        The sentence.
    source : str
        Title of the table the row comes from (a sheet of the report workbook).
    key : str
        The row's keys, e.g. ``stage=post_purchase, item=kept_informed`` (empty for a one-row
        table).
    effect, ci_low, ci_high, p_adj : float or None
        The numbers the sentence states: the effect (a gap, change or difference), its 95%
        CI and adjusted p (None where the result has none, e.g. an F test has no CI).
    n : int or None
        Respondents behind the result.
    """

    section: str
    text: str
    source: str
    key: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    p_adj: float | None
    n: int | None


def points(value: float, decimals: int | None = None) -> str:
    """A score difference with a sensible number of decimals (1 from 1 point up, else 2).

    Examples
    --------
    >>> points(-1.134), points(0.347), points(0.347, 1)
    ('-1.1', '0.35', '0.3')
    """
    if decimals is None:
        decimals = 1 if abs(value) >= 0.95 else 2
    return f"{value:.{decimals}f}"


def _decimals(row: Mapping, estimate: str, low: str = "ci_low", high: str = "ci_high") -> int:
    """Decimals for an estimate and its interval: 1 from 1 point up, unless the interval would
    then collapse to one number."""
    if abs(row[estimate]) < 0.95 or round(row[low], 1) == round(row[high], 1):
        return 2
    return 1


def p_value(p: float | None) -> str:
    """A p-value as people read it: ``< 0.001`` below 0.001, never ``0`` or ``9e-257``.

    Examples
    --------
    >>> p_value(3e-257), p_value(0.0), p_value(0.04321), p_value(None)
    ('< 0.001', '< 0.001', '0.043', '–')
    """
    if p is None or math.isnan(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def based_on(n: int, other: int | None = None) -> str:
    """``based on 3,892 customers`` (or ``4,000 and 3,950 customers`` for two waves).

    Examples
    --------
    >>> based_on(1), based_on(3892), based_on(4000, 3950)
    ('based on 1 customer', 'based on 3,892 customers', 'based on 4,000 and 3,950 customers')
    """
    if other is not None:
        return f"based on {n:,} and {other:,} customers"
    return f"based on {n:,} customer{'' if n == 1 else 's'}"


def caution(row: Mapping) -> str:
    """The small-group mark of a sentence: empty for a group flagged ``ok``.

    Examples
    --------
    >>> caution({"flag": "small_n", "n": 12}), caution({"flag": "ok", "n": 400})
    ('; a small group, so read it with care', '')
    """
    return "; a small group, so read it with care" if row.get("flag") == "small_n" else ""


def _usable(row: Mapping, *fields: str) -> bool:
    if row.get("flag") == "suppressed":
        return False
    return all(row.get(f) is not None and not math.isnan(row[f]) for f in fields)


def verdict_of(row: Mapping) -> str:
    """The row's verdict (see ``gapmodel.model.gaps.verdict``); a row without one is
    ``below`` / ``above`` by the sign of its gap when significant, else ``unclear``."""
    if row.get("verdict"):
        return row["verdict"]
    if not row.get("significant"):
        return "unclear"
    return "below" if row.get("gap", 0) < 0 else "above"


def item_phrase(label: str) -> str:
    """An item's wording as a sentence names it: in quotation marks.

    Examples
    --------
    >>> item_phrase("I am kept informed")
    '“I am kept informed”'
    """
    return f"\u201c{label}\u201d"


def groups_of(attribute: str) -> str:
    """The groups an attribute makes, in a sentence: ``segments``, ``groups of Age band``.

    Examples
    --------
    >>> groups_of("segment"), groups_of("Age band")
    ('segments', 'groups of Age band')
    """
    return (
        f"{attribute}s"
        if attribute.isidentifier() and attribute == attribute.lower()
        else (f"groups of {attribute}")
    )


def gap_sentence(row: Mapping, subject: str) -> str | None:
    """Whether ``subject`` falls short of, meets or exceeds expectations, in plain words.

    Examples
    --------
    >>> row = {"gap": -1.12, "ci_low": -1.31, "ci_high": -0.93, "p_adj": 1e-9,
    ...        "padjust": "holm", "n": 2914, "significant": True, "flag": "ok", "verdict": "below"}
    >>> gap_sentence(row, "Post-purchase: “I am kept informed”")
    'Post-purchase: “I am kept informed” is clearly below expectations, by 1.1 points (based on 2,914 customers).'
    >>> gap_sentence({**row, "gap": -0.04, "ci_low": -0.1, "ci_high": 0.02, "verdict": "meets",
    ...               "tolerance": 0.5, "flag": "small_n", "n": 24}, "Empathy")
    'Empathy meets expectations, within 0.5 points of them (based on 24 customers; a small group, so read it with care).'
    """
    if not _usable(row, "gap", "ci_low", "ci_high"):
        return None
    size = points(abs(row["gap"]), _decimals(row, "gap", "ci_low", "ci_high"))
    based = f"({based_on(row['n'])}{caution(row)})"
    verdict = verdict_of(row)
    if verdict == "meets":
        return f"{subject} meets expectations, within {row['tolerance']:g} points of them {based}."
    if verdict == "unclear":
        return (
            f"{subject} shows no clear difference from expectations "
            f"(gap {points(row['gap'])}, {based[1:]}."
        )
    where = "below" if row["gap"] < 0 else "above"
    how = "probably" if verdict.startswith("probably") else "clearly"
    return f"{subject} is {how} {where} expectations, by {size} points {based}."


def pain_point_sentence(row: Mapping) -> str | None:
    """One fix-first row as a sentence: ``Post-purchase: “I am kept informed” is clearly below
    expectations, by 1.1 points (based on 2,914 customers).``"""
    return gap_sentence({**row, "verdict": "below", "significant": True}, subject_of(row))


def change_sentence(row: Mapping, subject: str, wave_from: str, wave_to: str) -> str | None:
    """A wave-over-wave row (``gapmodel.model.compare.trend``) as a sentence with its decomposition.

    A significant change says whether the gap improved or worsened and whether expectations or
    perceptions moved; otherwise the sentence says there was no clear change.

    Examples
    --------
    >>> row = {"change": -0.21, "ci_low": -0.3, "ci_high": -0.12, "p_adj": 0.0004,
    ...        "padjust": "holm", "n_from": 4000, "n_to": 4000, "significant": True,
    ...        "flag": "ok", "change_e": 0.25, "change_p": 0.04}
    >>> change_sentence(row, "The overall gap", "2026-Q2", "2026-Q3")
    'The overall gap clearly worsened, by 0.21 points from 2026-Q2 to 2026-Q3: expectations rose by 0.25 while perceptions rose by 0.04 (based on 4,000 and 4,000 customers).'
    """
    if not _usable(row, "change", "ci_low", "ci_high"):
        return None
    based = f"({based_on(row['n_from'], row['n_to'])}{caution(row)})"
    if not row["significant"]:
        return (
            f"{subject} shows no clear change from {wave_from} to {wave_to} "
            f"(change {points(row['change'])}, {based[1:]}."
        )
    verb = "improved" if row["change"] > 0 else "worsened"
    size = points(abs(row["change"]), _decimals(row, "change", "ci_low", "ci_high"))
    drift = _movement("expectations", row["change_e"])
    seen = _movement("perceptions", row["change_p"])
    return (
        f"{subject} clearly {verb}, by {size} points from {wave_from} to {wave_to}: "
        f"{drift} while {seen} {based}."
    )


def _movement(what: str, delta: float) -> str:
    if abs(delta) < 0.005:
        return f"{what} held steady"
    return f"{what} {'rose' if delta > 0 else 'fell'} by {points(abs(delta))}"


def segment_sentence(row: Mapping, attribute: str) -> str | None:
    """A segment-against-the-rest row (``gapmodel.model.compare.segment_gaps``) as a sentence.

    Examples
    --------
    >>> row = {"segment": "Small business", "diff": -0.46, "p_adj": 0.0001, "padjust": "holm",
    ...        "n": 1200, "significant": True, "flag": "ok", "gap": -1.1, "gap_rest": -0.64}
    >>> segment_sentence(row, "segment")
    'Segment Small business: the gap is clearly worse than for everyone else, by 0.46 points (-1.1 against -0.64, based on 1,200 customers).'
    """
    if not _usable(row, "diff", "gap", "gap_rest"):
        return None
    who = f"{name_label(attribute)} {row[attribute]}"
    numbers = f"{points(row['gap'])} against {points(row['gap_rest'])}, {based_on(row['n'])}"
    return _versus(row, who, numbers + caution(row))


def _versus(row: Mapping, who: str, numbers: str) -> str:
    """The verdict of a group-against-the-rest row: clearly worse, clearly better or no clear
    difference, followed by the numbers."""
    if not row["significant"]:
        return f"{who}: no clear difference from everyone else ({numbers})."
    direction = "worse" if row["diff"] < 0 else "better"
    return (
        f"{who}: the gap is clearly {direction} than for everyone else, by "
        f"{points(abs(row['diff']))} points ({numbers})."
    )


def element_sentence(row: Mapping) -> str | None:
    """Human against technical (``gapmodel.model.elements.element_difference``) as a verdict.

    Examples
    --------
    >>> row = {"diff": -0.31, "gap_human": -0.7, "gap_technical": -0.39, "ci_low": -0.35,
    ...        "ci_high": -0.27, "p_adj": 1e-9, "padjust": "holm", "n": 3900,
    ...        "significant": True, "flag": "ok"}
    >>> element_sentence(row)
    'Customers rate the human side (how they were treated) clearly worse than the technical side (whether it worked), by 0.31 points: -0.70 against -0.39 (based on 3,900 customers who answered both).'
    """
    if not _usable(row, "diff", "gap_human", "gap_technical"):
        return None
    numbers = (
        f"{points(row['gap_human'], 2)} against {points(row['gap_technical'], 2)} "
        f"({based_on(row['n'])} who answered both{caution(row)})"
    )
    human, technical = "the human side (how they were treated)", "the technical side"
    if not row["significant"]:
        return (
            f"Customers rate {human} and {technical} (whether it worked) about the same: {numbers}."
        )
    how = "worse" if row["diff"] < 0 else "better"
    return (
        f"Customers rate {human} clearly {how} than {technical} (whether it worked), by "
        f"{points(abs(row['diff']))} points: {numbers}."
    )


# -- sentences for the management report -------------------------------------------------------
STAGE_PHRASES = {
    "pre_purchase": "before purchase",
    "encounter": "in the service encounter",
    "post_purchase": "after purchase",
}


def subject_of(row: Mapping) -> str:
    """What a result row is about, from its keys: ``Post-purchase: “I am kept informed”``,
    ``Responsiveness after purchase``, ``Human element in the service encounter``. The stage is
    named only when the row is labelled with it (a survey of one stage is not).

    Examples
    --------
    >>> subject_of({"stage": "post_purchase", "stage_label": "Post-purchase",
    ...             "item": "kept_informed", "label": "I am kept informed"})
    'Post-purchase: “I am kept informed”'
    >>> subject_of({"stage": "encounter", "stage_label": "Service encounter",
    ...             "dimension": "empathy"})
    'Empathy in the service encounter'
    >>> subject_of({"stage": "Kiosk", "stage_label": "Kiosk", "dimension": "Speed & ease"})
    'Speed & ease at Kiosk'
    >>> subject_of({"stage": "pre_purchase", "stage_label": "Pre-purchase"})
    'The pre-purchase stage'
    >>> subject_of({"stage": "Kiosk", "item": "q1", "label": "Easy to use"})
    '“Easy to use”'
    """
    stage = None if row.get("stage_label") is None else str(row["stage"])
    where = f" {STAGE_PHRASES.get(stage, 'at ' + stage_label(stage))}" if stage else ""
    if row.get("item") is not None:
        label = item_phrase(row.get("label") or str(row["item"]))
        return label if stage is None else f"{stage_label(stage)}: {label}"
    if row.get("dimension") is not None:
        return f"{name_label(row['dimension'])}{where}"
    if row.get("element") is not None:
        return f"{name_label(row['element'])} element{where}"
    if stage is not None:
        name = stage_label(stage)
        return f"The {name[:1].lower() + name[1:]} stage"
    return "Overall, service"


def percent(share: float) -> str:
    """``71%`` for 0.7084; ``<1%`` for a small non-zero share.

    Examples
    --------
    >>> percent(0.7084), percent(0.004), percent(0.0)
    ('71%', '<1%', '0%')
    """
    if 0 < share < 0.005:
        return "<1%"
    return f"{share * 100:.0f}%"


def shares_sentence(row: Mapping, subject: str = "customers") -> str | None:
    """The shares of a gap-table row, each with its unit: customers (each one's mean gap
    against the tolerance band) and answers (each answered pair's P against E).

    Examples
    --------
    >>> row = {"people_below": 0.708, "people_within": 0.28, "people_above": 0.012,
    ...        "answers_below": 0.47, "answers_equal": 0.33, "answers_above": 0.20,
    ...        "tolerance": 0.5, "n": 4000, "flag": "ok"}
    >>> shares_sentence(row)
    'Of 4,000 customers, 71% rated service more than 0.5 points below what they expected on average, 28% within 0.5 points and 1% more than 0.5 above; of all their answers, 47% fell short of expectations, 33% met them exactly and 20% exceeded them.'
    """
    fields = ("people_below", "people_within", "people_above")
    if not _usable(row, *fields):
        return None
    band = f"{row['tolerance']:g}"
    text = (
        f"Of {row['n']:,} {subject}, {percent(row['people_below'])} rated service more than "
        f"{band} points below what they expected on average, {percent(row['people_within'])} "
        f"within {band} points and {percent(row['people_above'])} more than {band} above"
    )
    if _usable(row, "answers_below", "answers_equal", "answers_above"):
        text += (
            f"; of all their answers, {percent(row['answers_below'])} fell short of "
            f"expectations, {percent(row['answers_equal'])} met them exactly and "
            f"{percent(row['answers_above'])} exceeded them"
        )
    return text + caution(row) + "."


def weighted_sentence(row: Mapping) -> str | None:
    """The weighted SERVQUAL gap row (``gapmodel.model.priorities.weighted_gap``) as a sentence; an
    unweighted row says that no importance points were allocated.

    Examples
    --------
    >>> row = {"gap": -0.43, "ci_low": -0.45, "ci_high": -0.41, "p_adj": 1e-9, "padjust": "holm",
    ...        "n": 4000, "significant": True, "flag": "ok", "weighting": "allocations"}
    >>> weighted_sentence(row)
    'Weighted by the importance points customers allocated, service is clearly below expectations, by 0.43 points (based on 4,000 customers).'
    """
    if row.get("weighting") == "allocations":
        subject = "Weighted by the importance points customers allocated, service"
    else:
        subject = "With no importance points allocated, the unweighted mean over dimensions"
    return gap_sentence(row, subject)


def across_sentence(row: Mapping, attribute: str, subject: str = "the overall gap") -> str | None:
    """A test across groups (``gapmodel.model.compare.segment_differences``) as a sentence.

    Examples
    --------
    >>> row = {"segments": 3, "f": 123.01, "df1": 2.0, "df2": 1512.98, "p_adj": 3e-50,
    ...        "padjust": "holm", "n": 4000, "significant": True, "flag": "ok"}
    >>> across_sentence(row, "segment")
    'The overall gap clearly differs across the 3 segments (based on 4,000 customers).'
    """
    if not _usable(row, "f", "df1", "df2"):
        return None
    groups = f"the {row['segments']} {groups_of(attribute)}"
    start = subject[:1].upper() + subject[1:]
    based = f"({based_on(row['n'])}{caution(row)})"
    if not row["significant"]:
        return f"{start} shows no clear difference across {groups} {based}."
    return f"{start} clearly differs across {groups} {based}."


def segment_versus_sentence(row: Mapping, attribute: str) -> str | None:
    """A segment-against-the-rest row as a sentence with the segment's gap and its CI.

    Like :func:`segment_sentence`, but it names the dimension when the row has one.

    Examples
    --------
    >>> row = {"segment": "Small business", "dimension": "empathy", "diff": -0.46,
    ...        "gap": -1.1, "ci_low": -1.2, "ci_high": -1.0, "gap_rest": -0.64,
    ...        "p_adj": 0.0001, "padjust": "holm", "n": 1200, "significant": True, "flag": "ok"}
    >>> segment_versus_sentence(row, "segment")
    'Segment Small business, empathy: the gap is clearly worse than for everyone else, by 0.46 points (-1.1 against -0.64 for the rest, based on 1,200 customers).'
    """
    if not _usable(row, "diff", "gap", "gap_rest", "ci_low", "ci_high"):
        return None
    who = f"{name_label(attribute)} {row[attribute]}"
    if row.get("dimension") is not None:
        who += f", {row['dimension']}"
    numbers = (
        f"{points(row['gap'], _decimals(row, 'gap'))} against {points(row['gap_rest'])} for "
        f"the rest, {based_on(row['n'])}{caution(row)}"
    )
    return _versus(row, who, numbers)


def ipa_sentence(row: Mapping) -> str | None:
    """An item's importance-performance quadrant with its gap, from a row joining
    ``importance_performance`` (``quadrant, importance, importance_source, performance``) and
    the gap table of items by stage (``gap, ci_low, ci_high, p_adj, padjust, n, significant``).

    Examples
    --------
    >>> row = {"stage": "post_purchase", "stage_label": "Post-purchase", "item": "kept_informed",
    ...        "label": "I am kept informed", "quadrant": "Concentrate here", "importance": 0.62, "importance_source": "derived",
    ...        "performance": 4.1, "gap": -1.4, "ci_low": -1.45, "ci_high": -1.35, "verdict": "below",
    ...        "p_adj": 1e-9, "padjust": "holm", "n": 3900, "significant": True, "flag": "ok"}
    >>> ipa_sentence(row)
    'Post-purchase: “I am kept informed” is in "Concentrate here" (importance 0.62, derived): it is clearly below expectations, by 1.40 points (based on 3,900 customers).'
    """
    if row.get("quadrant") is None or not _usable(row, "importance"):
        return None
    gap = gap_sentence(row, "it")
    if gap is None:
        return None
    return (
        f'{subject_of(row)} is in "{row["quadrant"]}" (importance {row["importance"]:.2f}, '
        f"{row['importance_source']}): {gap}"
    )
