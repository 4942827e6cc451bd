"""Options that mix the dashboard's own words (All, Latest wave, No comparison) with data values.

A widget's option is a value, never its label: the dashboard's own choices are :class:`Word`
objects, which no data value (a ``str``) equals, so a segment named "All" or a wave labelled
"Latest wave" is chosen like any other. A widget bound to the URL keeps its *label* there, so
labels are made distinct as well: a word is bracketed ("(All)") when a data value is shown as
it, while data values are always shown as they are, and a link that names a value by its text
(``?segment=All``) selects that value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gapmodel.core.vocabulary import distinct_word


@dataclass(frozen=True)
class Word:
    """One of the dashboard's own options; ``text`` is how it reads when no value collides."""

    text: str


def options(
    words: Sequence[Word], values: Sequence[str], show: Callable[[str], str] = str
) -> tuple[list[object], Callable[[object], str]]:
    """The options of a widget: ``words`` first, then ``values``, and its ``format_func``.

    Parameters
    ----------
    words : sequence of Word
        The dashboard's own choices.
    values : sequence of str
        The data's values, shown as ``show(value)``.
    show : callable, optional
        How a value reads (e.g. :func:`gapmodel.core.vocabulary.stage_label`).

    Examples
    --------
    >>> ALL = Word("All")
    >>> listed, label = options([ALL], ["All", "Retail"])
    >>> [label(o) for o in listed], listed[0] == "All"
    (['(All)', 'All', 'Retail'], False)
    """
    taken = [show(v) for v in values]
    labels: dict[Word, str] = {}
    for word in words:
        labels[word] = distinct_word(word.text, [*taken, *labels.values()])

    def label(option: object) -> str:
        if isinstance(option, Word):  # a word of an earlier run (another latest wave) as it read
            return labels.get(option, option.text)
        return show(option)

    return [*words, *values], label
