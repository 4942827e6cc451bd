"""The method of an export in words: the view, the tests, the adjustment, the small-group rules."""

from __future__ import annotations

from collections.abc import Sequence

from gapmodel.core.vocabulary import PADJUST_NAMES, stage_label
from gapmodel.model.gaps import TableOptions
from gapmodel.views import Filters


def describe_filters(filters: Filters | None) -> str:
    """The view in words: ``wave 2026-Q3, compared with 2026-Q2; segment = Consumer; ...``."""
    if filters is None:
        return "not stated"
    wave = filters.wave or "the latest wave"
    if filters.compare:
        compare = f"compared with {filters.compare}"
    elif filters.compare == "":
        compare = "no comparison wave"
    else:
        compare = "compared with the wave before it"
    who = "; ".join(f"{k} = {v}" for k, v in filters.where.items()) or "all respondents"
    stages = ", ".join(stage_label(s) for s in filters.stages) or "all stages"
    return f"wave {wave}, {compare}; {who}; {stages}"


def method_rows(
    filters: Filters | None = None,
    waves: Sequence[str] | None = None,
    options: TableOptions | None = None,
) -> list[tuple[str, str]]:
    """The method, as ``(topic, statement)`` rows for the Method sheet and the report.

    Parameters
    ----------
    filters : Filters, optional
        The view exported (resolved, so that the wave and comparison are explicit).
    waves : sequence of str, optional
        The waves the tables draw on; default: the wave and comparison of ``filters``.
    options : TableOptions, optional
        Adjustment, alpha and thresholds; default: those of ``filters`` (or the settings).

    Returns
    -------
    list of (str, str)
        Topics: gap, unit of analysis, tests, multiple comparisons, small groups, waves,
        filters, wave over wave, segments, weighting, priorities, human against technical,
        reliability, and the shares and verdicts.
    """
    if options is None:
        options = filters.options() if filters is not None else TableOptions.from_settings()
    if waves is None:
        waves = [w for w in (filters.wave, filters.compare) if w] if filters else []
    adjustment = PADJUST_NAMES[options.padjust]
    return [
        ("Gap", "G = P - E: perception minus expectation. Below 0 the service falls short of "
         "what customers expected, 0 meets it, above 0 exceeds it."),
        ("Shares", "Answer level: the share of answered E/P pairs with P < E, P = E, P > E. "
         "Customer level: the share of respondents whose mean gap over the group's items is "
         f"below -{options.tolerance:g}, within +/-{options.tolerance:g} or above "
         f"+{options.tolerance:g} scale points (the tolerance band)."),
        ("Verdicts", "Clearly below / above expectations: adjusted p below alpha, by the sign of "
         "the gap (at alpha 0.05 the 95% CI then excludes 0). Meets expectations: not that, "
         f"and the two one-sided t-tests (TOST) at +/-{options.tolerance:g} reject after the "
         "same adjustment. Probably below / above: only the unadjusted p is below alpha. "
         "Otherwise: no clear difference."),
        ("Unit of analysis", "The respondent. For an item at a stage each respondent gives one "
         "gap; for a dimension, a stage, an element or overall, each respondent's gaps over the "
         "group's items are averaged first and the test runs across respondents. Only complete "
         "E/P pairs count."),
        ("Tests", "Paired t-test of the respondent gaps against 0 (df = n - 1, two-sided) with "
         "its 95% t confidence interval; Wilcoxon signed-rank test (two-sided, normal "
         "approximation with tie correction, zero differences treated by Pratt's method); "
         "Cohen's dz = gap / sd."),
        ("Multiple comparisons", f"p-values are adjusted within each table by the {adjustment} "
         f"method; 'significant' means adjusted p below alpha = {options.alpha:g}."),
        ("Small groups", f"Groups with fewer than {options.min_n} respondents are flagged "
         f"small_n (unreliable); groups with fewer than {options.suppress_n} are suppressed: "
         "their statistics are left empty and they take no part in the adjustment."),
        ("Waves", ", ".join(waves) if waves else "not stated"),
        ("Filters", describe_filters(filters)),
        ("Wave over wave", "Change in the mean gap between two waves with Welch's t-test "
         "(independent samples of respondents) and its 95% CI; decomposed as change in gap = "
         "change in P - change in E (expectation drift against perception change)."),
        ("Segments", "Each segment against everyone else with Welch's t-test; across segments "
         "with Welch's ANOVA."),
        ("Weighted gap", "Per respondent, the sum over dimensions of (importance points x "
         "dimension gap) / 100, from the 100 points each respondent allocated; unweighted (the mean of "
         "the dimension gaps) when there are no allocations, and the table says which."),
        ("Priorities", "Importance is stated, or derived as the correlation of the item's P "
         "with the respondent's mean P. An item is important at or above the mean importance "
         "of the items; it falls short when it is clearly below expectations. Quadrants: "
         "Concentrate here (both), Low priority (falls short only), Keep up the good work "
         "(important only), Possible overkill (neither). Unlike Martilla & James (1977), who "
         "split performance at the mean P, performance is judged against expectations, so "
         "that the same rule orders the fix-first list: Concentrate here first, then Low "
         "priority, each by shortfall x importance weight x share of answers below."),
        ("Human against technical", "Each respondent's mean gap over the human items minus "
         "their mean gap over the technical items, paired t-test and Wilcoxon signed-rank test "
         "across the respondents who answered both."),
        ("Reliability", "Cronbach's alpha per stage and dimension, for E and for P, over the "
         "respondents who answered every item of the scale; below 0.7 is flagged."),
    ]  # fmt: skip
