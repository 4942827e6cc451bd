"""The column registry: title, help text, number formats and glossary entry of every column a
table of gapmodel emits, besides the respondent attributes, which are named by the survey.

The dashboard's tables take their headers and formats from here, the workbooks their Excel
number formats and the Method sheet its glossary; a test checks that every column any view or
table emits is registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from gapmodel.core.vocabulary import MEASURES

# Excel number formats.
P_VALUE = '[<0.001]"<0.001";0.000'
SIGNED = "+0.00;-0.00;0.00"
SHARE = "0.0%"
COUNT = "#,##0"
DECIMAL = "0.00"
FLOAT = "0.000"
DEGREES = "#,##0.0"


@dataclass(frozen=True)
class Column:
    """One emitted column.

    Attributes
    ----------
    name : str
        The column's name in the model's tables (fixed, snake_case).
    title : str
        Its header on the dashboard.
    help : str
        What it means, in one line: the dashboard's header tooltip and the Method sheet's
        glossary entry.
    kind : {"text", "number", "check"}
        How the dashboard shows it.
    display : str or None
        The dashboard's number format (Streamlit's ``NumberColumn`` formats).
    excel : str or None
        The workbook's number format; None for text, or to format by the value type.
    shown : bool
        False for codes that a table also carries as a readable label (``stage`` beside
        ``stage_label``), which the dashboard does not show.
    width : str or None
        The dashboard's column width (``"large"`` for long text).
    """

    name: str
    title: str
    help: str
    kind: str = "number"
    display: str | None = None
    excel: str | None = None
    shown: bool = True
    width: str | None = None


def _text(name: str, title: str, help: str, **kw: object) -> Column:
    return Column(name, title, help, kind="text", **kw)


def _number(name: str, title: str, help: str, display: str, excel: str | None, **kw) -> Column:
    return Column(name, title, help, display=display, excel=excel, **kw)


def _check(name: str, title: str, help: str) -> Column:
    return Column(name, title, help, kind="check")


COLUMNS: tuple[Column, ...] = (
    # keys and labels
    _text("wave", "Wave", "the survey wave"),
    _text("stage", "Stage code", "journey stage code", shown=False),
    _text("stage_label", "Stage", "journey stage"),
    _text("item", "Item code", "item code of the questionnaire", shown=False),
    _text("label", "Item", "the item's short name"),
    _text("wording", "Wording", "the item's question as asked (pages show it as the item)", shown=False, width="large"),
    _text("dimension", "Dimension", "service-quality dimension of the item"),
    _text("element", "Element", "human (how the customer was treated) or technical (whether it worked)"),
    _text("measure", "Measure", "expectation or perception"),
    # the gap table
    _number("n", "n", "respondents in the group (for a change: the smaller of the two waves)", "localized", COUNT),
    _number("mean_e", "E", "mean expectation (each respondent's mean first)", "%.2f", DECIMAL),
    _number("mean_p", "P", "mean perception (each respondent's mean first)", "%.2f", DECIMAL),
    _number("gap", "Gap", "mean gap P - E; below 0: perception falls short of expectation", "%+.2f", SIGNED),
    _number("sd", "SD", "standard deviation of the respondent gaps", "%.2f", DECIMAL),
    _number("se", "SE", "standard error of the respondent gaps (or of the change)", "%.3f", DECIMAL),
    _number("ci_low", "CI low", "lower end of the 95% t confidence interval of the gap (or of the change)", "%+.2f", SIGNED),
    _number("ci_high", "CI high", "upper end of the 95% t confidence interval of the gap (or of the change)", "%+.2f", SIGNED),
    _number("t", "t", "t statistic", "%.2f", SIGNED),
    _number("dof", "df", "degrees of freedom of the t-test (whole for a paired test)", "%d", None),
    _number("p_val", "p", "two-sided p-value of the t-test, before adjustment", "%.2g", P_VALUE),
    _number("w", "W", "Wilcoxon signed-rank statistic (Pratt zeros)", "%.0f", DEGREES),
    _number("p_wilcoxon", "p (Wilcoxon)", "two-sided p of the Wilcoxon signed-rank test (Pratt zeros, normal approximation)", "%.2g", P_VALUE),
    _number("dz", "dz", "Cohen's dz = gap / sd", "%+.2f", SIGNED),
    _number("p_tost", "p (meets)", "p of the equivalence test (two one-sided t-tests) that the gap lies within +/- the tolerance, before adjustment", "%.2g", P_VALUE),
    _number("people_below", "Customers below", "share of respondents whose mean gap is below -tolerance (respondent level)", "percent", SHARE),
    _number("people_within", "Customers within", "share of respondents whose mean gap lies within +/- tolerance of 0 (respondent level)", "percent", SHARE),
    _number("people_above", "Customers above", "share of respondents whose mean gap is above +tolerance (respondent level)", "percent", SHARE),
    _number("answers_below", "Answers below", "share of answered pairs with P < E (answer level)", "percent", SHARE),
    _number("answers_equal", "Answers meeting", "share of answered pairs with P = E (answer level)", "percent", SHARE),
    _number("answers_above", "Answers above", "share of answered pairs with P > E (answer level)", "percent", SHARE),
    _number("p_adj", "Adj. p", "p-value adjusted within the table (the method is in the padjust column)", "%.2g", P_VALUE),
    _check("significant", "Significant", "adjusted p below alpha"),
    _text("verdict", "Verdict", "below / above: adjusted p below alpha, by the sign of the gap; meets: the equivalence test at +/- tolerance rejects after adjustment; probably: only the unadjusted p is below alpha; unclear: none"),
    _number("tolerance", "Tolerance", "half-width in scale points of the band around 0 used by the customer shares and the equivalence test", "%.2f", DECIMAL, shown=False),
    _text("flag", "Flag", "ok; small_n (below the minimum n: unreliable); suppressed (statistics removed)"),
    _text("padjust", "Adjustment", "multiple-comparison adjustment used in the table: holm or bh", shown=False),
    # wave over wave
    _number("n_from", "n before", "respondents in the earlier wave", "localized", COUNT),
    _number("n_to", "n after", "respondents in the later wave", "localized", COUNT),
    _number("gap_from", "Gap before", "gap in the earlier wave", "%+.2f", SIGNED),
    _number("gap_to", "Gap after", "gap in the later wave", "%+.2f", SIGNED),
    _number("change", "Change", "change in the gap (later minus earlier wave)", "%+.2f", SIGNED),
    _number("change_e", "Change in E", "change in mean expectation", "%+.2f", SIGNED),
    _number("change_p", "Change in P", "change in mean perception", "%+.2f", SIGNED),
    _text("driver", "Moved more", "whichever of expectations and perceptions moved more"),
    # segments
    _number("gap_rest", "Gap of the rest", "gap of everyone else in the view", "%+.2f", SIGNED),
    _number("diff", "Difference", "segments: gap of the group minus the gap of everyone else; elements: human minus technical gap of each respondent, averaged", "%+.2f", SIGNED),
    _check("worse", "Worse than the rest", "the group's gap is clearly below everyone else's (adjusted p below alpha)"),
    _number("segments", "Groups", "groups tested against each other", "%d", COUNT),
    _number("f", "F", "Welch's F across the groups", "%.2f", FLOAT),
    _number("df1", "df1", "numerator degrees of freedom of Welch's F", "%.1f", DEGREES),
    _number("df2", "df2", "denominator degrees of freedom of Welch's F", "%.1f", DEGREES),
    # priorities
    _number("performance", "Performance", "mean perception of the item at the stage", "%.2f", DECIMAL),
    _number("importance", "Importance", "stated importance, or the correlation of the item's P with the respondent's mean P", "%.2f", DECIMAL),
    _text("importance_source", "Importance from", "stated (asked) or derived (correlation)"),
    _text("quadrant", "Quadrant", "priority quadrant: important (at or above the mean importance) or not, and clearly below expectations or not"),
    _number("importance_weight", "Weight", "importance weight of the fix-first score", "%.2f", DECIMAL),
    _number("score", "Score", "fix-first score: shortfall x importance weight x share of answers below expectation", "%.2f", FLOAT),
    _number("rank", "Rank", "place on the fix-first list", "%d", COUNT),
    _text("weighting", "Weighting", "allocations (weighted by importance points) or unweighted"),
    # targets and the elements
    _number("target", "Target", "the gap the group should reach (GAPMODEL_TARGET_GAP or the targets file)", "%+.2f", SIGNED),
    _text("status", "Status", "on target (gap at or above it), near target (below, but the 95% CI reaches it), below target (the whole CI below it)"),
    _number("gap_human", "Human gap", "mean gap over the human items (how customers were treated), of respondents who answered both elements", "%+.2f", SIGNED),
    _number("gap_technical", "Technical gap", "mean gap over the technical items (whether it worked), of respondents who answered both elements", "%+.2f", SIGNED),
    _check("low_alpha", "Low alpha", "Cronbach's alpha below 0.7: the items may not measure one thing"),
    # reliability and the zone of tolerance
    _number("items", "Items", "items in the group", "%d", COUNT),
    _number("alpha", "Alpha", "Cronbach's alpha of the group's items", "%.2f", FLOAT),
    _number("alpha_e", "Alpha E", "Cronbach's alpha of the expectation items", "%.2f", DECIMAL),
    _number("alpha_p", "Alpha P", "Cronbach's alpha of the perception items", "%.2f", DECIMAL),
    _number("n_e", "n (E)", "respondents who answered every expectation item of the group", "localized", COUNT),
    _number("n_p", "n (P)", "respondents who answered every perception item of the group", "localized", COUNT),
    _number("mean_a", "Adequate", "mean adequate (minimum) level A", "%.2f", DECIMAL),
    _number("msa", "MSA", "measure of service adequacy P - A", "%+.2f", SIGNED),
    _number("mss", "MSS", "measure of service superiority P - E", "%+.2f", SIGNED),
    _number("share_below", "Below zone", "share of respondents with P below the adequate level", "percent", SHARE),
    _number("share_inside", "Inside zone", "share of respondents with P between the adequate and desired levels", "percent", SHARE),
    _number("share_above", "Above zone", "share of respondents with P above the desired level", "percent", SHARE),
    # the report's findings
    _text("section", "Section", "the report section of the finding"),
    _text("finding", "Finding", "the sentence as the report prints it", width="large"),
    _text("source", "Source", "the sheet the finding was written from"),
    _text("key", "Row", "the keys of the row the finding was written from"),
    _number("effect", "Effect", "the effect the finding states: a gap, change, difference, share or F", "%+.2f", FLOAT),
)  # fmt: skip

REGISTRY: dict[str, Column] = {c.name: c for c in COLUMNS}
# Columns of tables that are never keyed by a respondent attribute (the report's findings, the
# targets, the elements, reliability flags): an attribute may carry these names ("Status").
_NEVER_BESIDE_ATTRIBUTES = frozenset(
    {"section", "finding", "source", "key", "effect", "target", "status"}
    | {"gap_human", "gap_technical", "low_alpha"}
)
# Names a respondent attribute cannot have: the columns of the tables that attributes key, the
# names every row of a wave has, and the working columns of the model's group-bys. (Lower case:
# compare with ``vocabulary.name_key``.)
RESERVED_ATTRIBUTES: frozenset[str] = frozenset(
    {"row", "respondent", "respondent_id", "wave", "value", "count", "n_rest", "sd_rest"}
    | {"attribute", "pair", *MEASURES}
    | {c.name for c in COLUMNS if c.name not in _NEVER_BESIDE_ATTRIBUTES}
)


def excel_format(name: str) -> str | None:
    """The workbook number format of a registered column (None: format by the value type)."""
    entry = REGISTRY.get(name)
    return None if entry is None else entry.excel


def glossary(names: list[str] | None = None) -> list[tuple[str, str]]:
    """``(column, meaning)`` rows for a Method sheet, in registry order.

    Parameters
    ----------
    names : list of str, optional
        The columns of the tables written; all registered columns when omitted. Unregistered
        names are left out.

    Examples
    --------
    >>> glossary(["gap", "n"])[0]
    ('n', 'respondents in the group (for a change: the smaller of the two waves)')
    """
    wanted = None if names is None else set(names)
    return [(c.name, c.help) for c in COLUMNS if wanted is None or c.name in wanted]
