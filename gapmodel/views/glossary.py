"""Every term the dashboard still shows, in plain words: the manager's register first, then the
analyst's columns (from the column registry, so that a new column cannot go unexplained)."""

from __future__ import annotations

from gapmodel.core import settings
from gapmodel.core.columns import COLUMNS


def glossary_terms() -> list[tuple[str, str]]:
    """``(term, meaning)`` for the Glossary page: the words of sentences and cards, then every
    column a table shows, by its header."""
    band = settings.get("tolerance")
    words = [
        (
            "Gap",
            "Perceived minus expected score (P - E). Below 0: service falls short of what "
            "customers expected; above 0: it exceeds it. Each customer's gaps are averaged first, "
            "then the customers.",
        ),
        (
            "Clearly below / above expectations",
            "The gap differs from 0 even after allowing for "
            "the many comparisons a page makes at once. It can still be small: the sentence "
            "says by how much.",
        ),
        (
            "Probably below / above expectations",
            "The gap differs from 0 when this result is "
            "taken alone, but not once the many comparisons on the page are allowed for.",
        ),
        (
            "Meets expectations",
            f"The gap is shown to lie within {band:g} points of 0 (an "
            "equivalence test: two one-sided tests at that margin).",
        ),
        (
            "No clear difference",
            "None of the above: the data cannot tell whether service "
            "falls short or meets expectations.",
        ),
        ("Based on N customers", "How many customers answered the items behind the result."),
        (
            "Small group",
            f"Fewer than {settings.get('min_n')} customers: the result is shown but "
            "uncertain. Groups below "
            f"{settings.get('suppress_n')} are not shown at all.",
        ),
        (
            "Customers below / within / above",
            f"Each customer's average gap over the items "
            f"against a band of {band:g} points around 0: more than {band:g} below, within it, "
            f"or more than {band:g} above (customer level).",
        ),
        (
            "Answers below / meeting / above",
            "Each answered question on its own: perceived "
            "below, equal to or above expected (answer level).",
        ),
        (
            "95% range (confidence interval)",
            "Where the true gap lies with 95% confidence, "
            "given how many customers answered and how much they differ.",
        ),
        (
            "Fix first",
            "Items clearly below expectations; the important ones first, then by "
            "how far below, how important and how many answers fall short.",
        ),
        (
            "Concentrate here / Keep up the good work / Low priority / Possible overkill",
            "The priority quadrants: important (at or above the average importance) or not, and "
            "clearly below expectations or not.",
        ),
        (
            "Human and technical elements",
            "Human: how the customer was treated. Technical: whether the product or result worked.",
        ),
        (
            "On target / Near target / Below target",
            "A dimension's gap against its target: at "
            "or above it; below it but within the 95% range; wholly below it.",
        ),
        (
            "Alpha (Cronbach's)",
            "Whether the items of a dimension agree with each other; below "
            "0.7 they may not measure one thing.",
        ),
        (
            "Zone of tolerance",
            "Between the adequate (minimum) and the desired level. MSA: "
            "perceived minus adequate; MSS: perceived minus desired.",
        ),
    ]
    columns = [(c.title, c.help[:1].upper() + c.help[1:] + ".") for c in COLUMNS if c.shown]
    return words + columns
