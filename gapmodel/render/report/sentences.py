"""The report's findings, section by section, each written from one result row and keeping a
record of that row (source table, keys, effect, CI, adjusted p, n)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from gapmodel.core.vocabulary import CONCENTRATE_HERE
from gapmodel.render.report.briefing import Briefing, table_rows, usable
from gapmodel.render.view_export import VIEW_SHEETS, sheet_title
from gapmodel.views import Segments, findings
from gapmodel.views.findings import Finding

TOP = 5  # rows per list of findings (pain points, changed items, segment cells, IPA items)


def _number(value: object) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _key(row: Mapping, keys: Iterable[str]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in keys if row.get(k) is not None)


class _Writer:
    """Collects findings, each with the row it came from."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(
        self,
        section: str,
        text: str | None,
        source: str,
        row: Mapping,
        keys: Iterable[str] = (),
        effect: str | None = "gap",
        p: str | None = "p_adj",
        ci: bool = True,
    ) -> None:
        if text is None:  # suppressed or not computable: no sentence
            return
        self.items.append(
            Finding(
                section=section,
                text=text,
                source=source,
                key=_key(row, keys),
                effect=_number(row.get(effect)) if effect else None,
                ci_low=_number(row.get("ci_low")) if ci else None,
                ci_high=_number(row.get("ci_high")) if ci else None,
                p_adj=_number(row.get(p)) if p else None,
                n=None if row.get("n") is None else int(row["n"]),
            )
        )


def write_findings(b: Briefing) -> tuple[Finding, ...]:
    """Every sentence of the report, section by section, each with the row it came from."""
    w = _Writer()
    for section in (_headline, _journey, _pain_points, _change, _segments, _priorities):
        section(w, b)
    return tuple(w.items)


def _headline(w: _Writer, b: Briefing) -> None:
    o, f = b.overview, b.filters
    for row in table_rows(o.overall):
        w.add("Headline", findings.gap_sentence(row, "Overall, service"), "Overall gap", row)
        w.add(
            "Headline",
            findings.shares_sentence(row),
            "Overall gap",
            row,
            effect="people_below",
            p=None,
            ci=False,
        )
    for row in table_rows(o.weighted):
        w.add("Headline", findings.weighted_sentence(row), "Weighted gap", row)
    for row in table_rows(o.change):
        text = findings.change_sentence(row, "The overall gap", f.compare, f.wave)
        w.add("Headline", text, "Overall change", row, effect="change")


def _journey(w: _Writer, b: Briefing) -> None:
    """Each stage (not for a survey of one stage: that is the headline), then the largest
    significant shortfall and exceedance on the map."""
    if "stage_label" in b.stages.columns:
        for row in table_rows(b.stages):
            text = findings.gap_sentence(row, findings.subject_of(row))
            w.add("Journey", text, "Gap by stage", row, ["stage"])
    cells = [r for r in table_rows(b.overview.journey) if usable(r) and r["significant"]]
    worst = min((r for r in cells if r["gap"] < 0), key=lambda r: r["gap"], default=None)
    best = max((r for r in cells if r["gap"] > 0), key=lambda r: r["gap"], default=None)
    for row in (worst, best):
        if row is not None:
            text = findings.gap_sentence(row, findings.subject_of(row))
            w.add("Journey", text, "Journey map", row, ["stage", "dimension"])


def _pain_points(w: _Writer, b: Briefing) -> None:
    for row in table_rows(b.overview.pain_points):
        text = findings.pain_point_sentence(row)
        w.add("Pain points", text, "Top pain points", row, ["stage", "item"])


def _change(w: _Writer, b: Briefing) -> None:
    """Every dimension, then the items that changed significantly since the compared wave."""
    f = b.filters
    if not f.compare:
        return
    for row in table_rows(b.trends.change_dimensions):
        text = findings.change_sentence(row, findings.subject_of(row), f.compare, f.wave)
        w.add("Change", text, "Change by dimension", row, ["dimension"], effect="change")
    changed = [r for r in table_rows(b.trends.change_items) if usable(r) and r["significant"]]
    for row in sorted(changed, key=lambda r: -abs(r["change"]))[:TOP]:
        text = findings.change_sentence(row, findings.subject_of(row), f.compare, f.wave)
        w.add("Change", text, "Change by item", row, ["stage", "item"], effect="change")


def _segments(w: _Writer, b: Briefing) -> None:
    a, s = b.attribute, b.segments
    if s is None:
        return
    sheets = {field: sheet_title(title, a) for field, title in VIEW_SHEETS[Segments].items()}
    for row in table_rows(s.across_overall):
        text = findings.across_sentence(row, a)
        w.add("Segments", text, sheets["across_overall"], row, effect="f", ci=False)
    for row in table_rows(s.overall):
        text = findings.segment_versus_sentence(row, a)
        w.add("Segments", text, sheets["overall"], row, [a], effect="diff")
    worse = [r for r in table_rows(s.by_dimension) if usable(r) and r["worse"]]
    for row in sorted(worse, key=lambda r: r["diff"])[:TOP]:
        text = findings.segment_versus_sentence(row, a)
        w.add("Segments", text, sheets["by_dimension"], row, [a, "dimension"], effect="diff")


def _priorities(w: _Writer, b: Briefing) -> None:
    """The pain points that sit in "Concentrate here", in fix-first order: the same rule and
    the same order as the Pain points section."""
    focus = [
        r
        for r in table_rows(b.ipa)
        if r.get("quadrant") == CONCENTRATE_HERE and r.get("rank") is not None
    ]
    for row in sorted(focus, key=lambda r: r["rank"])[:TOP]:
        text = findings.ipa_sentence(row)
        w.add("Priorities", text, "Importance-performance", row, ["stage", "item"])
