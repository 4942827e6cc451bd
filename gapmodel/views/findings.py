"""Plain-language findings, each written from one result row and carrying its numbers.

Every sentence states the effect, its 95% confidence interval, the adjusted p-value (naming the
adjustment) and n. A result that is not significant is never described as a difference or a
change, and a suppressed group gives no sentence at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from gapmodel.core.vocabulary import PADJUST_SHORT, name_label, stage_label


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


def p_text(p_adj: float | None, padjust: str) -> str:
    """``Holm p < 0.001`` or ``BH p = 0.034``.

    Examples
    --------
    >>> p_text(0.00002, "holm"), p_text(0.0342, "bh")
    ('Holm p < 0.001', 'BH p = 0.034')
    """
    name = PADJUST_SHORT.get(padjust, padjust)
    if p_adj is None or math.isnan(p_adj):
        return f"{name} p not available"
    return f"{name} p < 0.001" if p_adj < 0.001 else f"{name} p = {p_adj:.3f}"


def evidence(row: Mapping, estimate: str = "gap", n: str | None = None) -> str:
    """``95% CI -1.3 to -0.9, Holm p < 0.001, n = 2,914`` for a result row."""
    decimals = _decimals(row, estimate, "ci_low", "ci_high")
    n_text = n if n is not None else f"n = {row['n']:,}"
    return (
        f"95% CI {points(row['ci_low'], decimals)} to {points(row['ci_high'], decimals)}, "
        f"{p_text(row['p_adj'], row['padjust'])}, {n_text}"
    )


def _usable(row: Mapping, *fields: str) -> bool:
    if row.get("flag") == "suppressed":
        return False
    return all(row.get(f) is not None and not math.isnan(row[f]) for f in fields)


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
    """Whether ``subject`` falls short of, meets or exceeds expectations, from a gap-table row.

    Examples
    --------
    >>> row = {"gap": -1.12, "ci_low": -1.31, "ci_high": -0.93, "p_adj": 1e-9,
    ...        "padjust": "holm", "n": 2914, "significant": True, "flag": "ok"}
    >>> gap_sentence(row, "Post-purchase: “I am kept informed”")
    'Post-purchase: “I am kept informed” is 1.1 points below expectation (95% CI -1.3 to -0.9, Holm p < 0.001, n = 2,914).'
    """
    if not _usable(row, "gap", "ci_low", "ci_high"):
        return None
    size = points(abs(row["gap"]), _decimals(row, "gap", "ci_low", "ci_high"))
    if not row["significant"]:
        return (
            f"{subject} shows no significant gap between expectation and perception "
            f"(gap {points(row['gap'])}, {evidence(row)})."
        )
    where = "below" if row["gap"] < 0 else "above"
    return f"{subject} is {size} points {where} expectation ({evidence(row)})."


def pain_point_sentence(row: Mapping) -> str | None:
    """One fix-first row as a sentence: ``Post-purchase: “I am kept informed” is 1.1 points
    below expectation (95% CI ..., Holm p < 0.001, n = 2,914).``"""
    return gap_sentence({**row, "significant": True}, subject_of(row))


def change_sentence(row: Mapping, subject: str, wave_from: str, wave_to: str) -> str | None:
    """A wave-over-wave row (``gapmodel.model.compare.trend``) as a sentence with its decomposition.

    A significant change says whether the gap improved or worsened and whether expectations or
    perceptions moved; otherwise the sentence says there was no significant change.

    Examples
    --------
    >>> row = {"change": -0.21, "ci_low": -0.3, "ci_high": -0.12, "p_adj": 0.0004,
    ...        "padjust": "holm", "n_from": 4000, "n_to": 4000, "significant": True,
    ...        "flag": "ok", "change_e": 0.25, "change_p": 0.04}
    >>> change_sentence(row, "The overall gap", "2026-Q2", "2026-Q3")
    'The overall gap worsened by 0.21 points from 2026-Q2 to 2026-Q3 (95% CI -0.30 to -0.12, Holm p < 0.001, n = 4,000 and 4,000): expectations rose by 0.25 while perceptions rose by 0.04.'
    """
    if not _usable(row, "change", "ci_low", "ci_high"):
        return None
    n = f"n = {row['n_from']:,} and {row['n_to']:,}"
    proof = evidence(row, "change", n)
    if not row["significant"]:
        return (
            f"{subject} shows no significant change from {wave_from} to {wave_to} "
            f"(change {points(row['change'])}, {proof})."
        )
    verb = "improved" if row["change"] > 0 else "worsened"
    size = points(abs(row["change"]), _decimals(row, "change", "ci_low", "ci_high"))
    drift = _movement("expectations", row["change_e"])
    seen = _movement("perceptions", row["change_p"])
    return (
        f"{subject} {verb} by {size} points from {wave_from} to {wave_to} ({proof}): "
        f"{drift} while {seen}."
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
    'Segment Small business: the gap is 0.46 points worse than for everyone else (-1.1 against -0.64, Holm p < 0.001, n = 1,200).'
    """
    if not _usable(row, "diff", "gap", "gap_rest"):
        return None
    who = f"{name_label(attribute)} {row[attribute]}"
    p = p_text(row["p_adj"], row["padjust"])
    numbers = f"{points(row['gap'])} against {points(row['gap_rest'])}, {p}, n = {row['n']:,}"
    return _versus(row, who, numbers)


def _versus(row: Mapping, who: str, numbers: str) -> str:
    """The verdict of a group-against-the-rest row: worse, better or no significant
    difference, followed by the numbers."""
    if not row["significant"]:
        return f"{who}: no significant difference from everyone else ({numbers})."
    direction = "worse" if row["diff"] < 0 else "better"
    return (
        f"{who}: the gap is {points(abs(row['diff']))} points {direction} than for everyone "
        f"else ({numbers})."
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


def shares_sentence(row: Mapping, subject: str = "respondents") -> str | None:
    """The shares dissatisfied / satisfied / delighted of a gap-table row, with the Wilcoxon
    signed-rank test of whether shortfalls and exceedances balance.

    Examples
    --------
    >>> row = {"share_dissatisfied": 0.708, "share_satisfied": 0.08, "share_delighted": 0.212,
    ...        "p_wilcoxon": 1e-12, "n": 4000, "flag": "ok"}
    >>> shares_sentence(row)
    'Of 4,000 respondents, 71% were dissatisfied (P < E), 8% satisfied (P = E) and 21% delighted (P > E) (Wilcoxon signed-rank p < 0.001, n = 4,000).'
    """
    if not _usable(row, "share_dissatisfied", "share_satisfied", "share_delighted"):
        return None
    test = p_text(row.get("p_wilcoxon"), "Wilcoxon signed-rank")
    return (
        f"Of {row['n']:,} {subject}, {percent(row['share_dissatisfied'])} were dissatisfied "
        f"(P < E), {percent(row['share_satisfied'])} satisfied (P = E) and "
        f"{percent(row['share_delighted'])} delighted (P > E) ({test}, n = {row['n']:,})."
    )


def weighted_sentence(row: Mapping) -> str | None:
    """The weighted SERVQUAL gap row (``gapmodel.model.priorities.weighted_gap``) as a sentence; an
    unweighted row says that no importance points were allocated.

    Examples
    --------
    >>> row = {"gap": -0.43, "ci_low": -0.45, "ci_high": -0.41, "p_adj": 1e-9, "padjust": "holm",
    ...        "n": 4000, "significant": True, "flag": "ok", "weighting": "allocations"}
    >>> weighted_sentence(row)
    'Weighted by the importance points customers allocated, service is 0.43 points below expectation (95% CI -0.45 to -0.41, Holm p < 0.001, n = 4,000).'
    """
    if row.get("weighting") == "allocations":
        subject = "Weighted by the importance points customers allocated, service"
    else:
        subject = "With no importance points allocated, the unweighted mean over dimensions"
    return gap_sentence(row, subject)


def across_sentence(row: Mapping, attribute: str, subject: str = "the overall gap") -> str | None:
    """A Welch ANOVA row (``gapmodel.model.compare.segment_differences``) as a sentence.

    Examples
    --------
    >>> row = {"segments": 3, "f": 123.01, "df1": 2.0, "df2": 1512.98, "p_adj": 3e-50,
    ...        "padjust": "holm", "n": 4000, "significant": True, "flag": "ok"}
    >>> across_sentence(row, "segment")
    'The overall gap differs across the 3 segments (Welch F(2, 1513) = 123.01, Holm p < 0.001, n = 4,000).'
    """
    if not _usable(row, "f", "df1", "df2"):
        return None
    numbers = (
        f"Welch F({row['df1']:.0f}, {row['df2']:.0f}) = {row['f']:.2f}, "
        f"{p_text(row['p_adj'], row['padjust'])}, n = {row['n']:,}"
    )
    groups = f"the {row['segments']} {groups_of(attribute)}"
    start = subject[:1].upper() + subject[1:]
    if not row["significant"]:
        return f"{start} does not differ significantly across {groups} ({numbers})."
    return f"{start} differs across {groups} ({numbers})."


def segment_versus_sentence(row: Mapping, attribute: str) -> str | None:
    """A segment-against-the-rest row as a sentence with the segment's gap and its CI.

    Like :func:`segment_sentence`, but it also gives the segment's own gap with its 95% CI and
    names the dimension when the row has one.

    Examples
    --------
    >>> row = {"segment": "Small business", "dimension": "empathy", "diff": -0.46,
    ...        "gap": -1.1, "ci_low": -1.2, "ci_high": -1.0, "gap_rest": -0.64,
    ...        "p_adj": 0.0001, "padjust": "holm", "n": 1200, "significant": True, "flag": "ok"}
    >>> segment_versus_sentence(row, "segment")
    'Segment Small business, empathy: the gap is 0.46 points worse than for everyone else (gap -1.1, 95% CI -1.2 to -1.0, against -0.64 for the rest; Holm p < 0.001, n = 1,200).'
    """
    if not _usable(row, "diff", "gap", "gap_rest", "ci_low", "ci_high"):
        return None
    who = f"{name_label(attribute)} {row[attribute]}"
    if row.get("dimension") is not None:
        who += f", {row['dimension']}"
    decimals = _decimals(row, "gap")
    numbers = (
        f"gap {points(row['gap'], decimals)}, 95% CI {points(row['ci_low'], decimals)} to "
        f"{points(row['ci_high'], decimals)}, against {points(row['gap_rest'])} for the rest; "
        f"{p_text(row['p_adj'], row['padjust'])}, n = {row['n']:,}"
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
    ...        "performance": 4.1, "gap": -1.4, "ci_low": -1.45, "ci_high": -1.35,
    ...        "p_adj": 1e-9, "padjust": "holm", "n": 3900, "significant": True, "flag": "ok"}
    >>> ipa_sentence(row)
    'Post-purchase: “I am kept informed” is in "Concentrate here" (importance 0.62, derived; performance 4.10): it is 1.40 points below expectation (95% CI -1.45 to -1.35, Holm p < 0.001, n = 3,900).'
    """
    if row.get("quadrant") is None or not _usable(row, "importance", "performance"):
        return None
    gap = gap_sentence(row, "it")
    if gap is None:
        return None
    return (
        f'{subject_of(row)} is in "{row["quadrant"]}" (importance {row["importance"]:.2f}, '
        f"{row['importance_source']}; performance {row['performance']:.2f}): {gap}"
    )
