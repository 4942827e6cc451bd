"""Plain-language findings, each written from one result row and carrying its numbers.

Every sentence states the effect, its 95% confidence interval, the adjusted p-value (naming the
adjustment) and n. A result that is not significant is never described as a difference or a
change, and a suppressed group gives no sentence at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from gapmodel.instrument import STAGE_LABELS

ADJUSTMENT_NAMES = {"holm": "Holm", "bh": "BH"}


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


def _decimals(row: Mapping, estimate: str, *_: str) -> int:
    """Decimals for an estimate and its interval: those of the estimate."""
    return 1 if abs(row[estimate]) >= 0.95 else 2


def p_text(p_adj: float | None, padjust: str) -> str:
    """``Holm p < 0.001`` or ``BH p = 0.034``.

    Examples
    --------
    >>> p_text(0.00002, "holm"), p_text(0.0342, "bh")
    ('Holm p < 0.001', 'BH p = 0.034')
    """
    name = ADJUSTMENT_NAMES.get(padjust, padjust)
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


def stage_name(stage: str) -> str:
    """``Post-purchase`` for ``post_purchase``."""
    return STAGE_LABELS.get(str(stage), str(stage))


def gap_sentence(row: Mapping, subject: str) -> str | None:
    """Whether ``subject`` falls short of, meets or exceeds expectations, from a gap-table row.

    Examples
    --------
    >>> row = {"gap": -1.12, "ci_low": -1.31, "ci_high": -0.93, "p_adj": 1e-9,
    ...        "padjust": "holm", "n": 2914, "significant": True, "flag": "ok"}
    >>> gap_sentence(row, "Post-purchase: kept informed")
    'Post-purchase: kept informed is 1.1 points below expectation (95% CI -1.3 to -0.9, Holm p < 0.001, n = 2,914).'
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
    """One fix-first row as a sentence: ``Post-purchase: kept informed is 1.1 points below
    expectation (95% CI ..., Holm p < 0.001, n = 2,914).``"""
    label = row.get("label") or str(row["item"])
    subject = f"{stage_name(row['stage'])}: {label[:1].lower() + label[1:]}"
    return gap_sentence({**row, "significant": True}, subject)


def change_sentence(row: Mapping, subject: str, wave_from: str, wave_to: str) -> str | None:
    """A wave-over-wave row (``gapmodel.compare.trend``) as a sentence with its decomposition.

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
    """A segment-against-the-rest row (``gapmodel.compare.segment_gaps``) as a sentence.

    Examples
    --------
    >>> row = {"segment": "Small business", "diff": -0.46, "p_adj": 0.0001, "padjust": "holm",
    ...        "n": 1200, "significant": True, "flag": "ok", "gap": -1.1, "gap_rest": -0.64}
    >>> segment_sentence(row, "segment")
    'Segment Small business: the gap is 0.46 points worse than for everyone else (-1.1 against -0.64, Holm p < 0.001, n = 1,200).'
    """
    if not _usable(row, "diff", "gap", "gap_rest"):
        return None
    who = f"{attribute.capitalize()} {row[attribute]}"
    p = p_text(row["p_adj"], row["padjust"])
    numbers = f"{points(row['gap'])} against {points(row['gap_rest'])}, {p}, n = {row['n']:,}"
    if not row["significant"]:
        return f"{who}: no significant difference from everyone else ({numbers})."
    direction = "worse" if row["diff"] < 0 else "better"
    return (
        f"{who}: the gap is {points(abs(row['diff']))} points {direction} than for everyone "
        f"else ({numbers})."
    )
