"""Naming look-alike text: :func:`gapmodel.core.text.lookalike_of` and ``code_points``."""

from __future__ import annotations

import pytest

from gapmodel.core.text import code_points, lookalike_of

CYRILLIC_IE = "U+0435 CYRILLIC SMALL LETTER IE"


@pytest.mark.parametrize(
    ("text", "known", "said"),
    [
        ("Sеx", ["Sex", "Age"], f"it looks like 'Sex' but holds {CYRILLIC_IE}"),
        ("Sex", ["Sеx", "Age"], f"it looks like 'Sеx', which holds {CYRILLIC_IE}"),
        ("Sex", ["Sex", "Sеx"], None),  # it is one of the known texts
        ("Sеx", iter(["Age", "Sеx", "Sex"]), None),  # also when known is an iterator
        ("Age", ["Sex"], None),
        ("Se\u200bx", ["Sex"], "it looks like 'Sex' but holds U+200B ZERO WIDTH SPACE"),
        ("Sex", ["Se\u200bx"], "it looks like 'Se\\u200bx', which holds U+200B ZERO WIDTH SPACE"),
    ],
    ids=["holds", "known_holds", "is_known", "iterator", "unlike", "invisible", "known_invisible"],
)
def test_lookalike_of_names_the_foreign_characters_on_the_side_that_has_them(text, known, said):
    assert lookalike_of(text, known) == said


def test_code_points_names_ascii_control_characters_too():
    assert code_points("a\tb\x1bc") == "U+0009 UNNAMED CHARACTER, U+001B UNNAMED CHARACTER"
