"""Show text from uploads and data safely: as literal text, never as markdown, HTML or a link."""

from __future__ import annotations

import re

from gapmodel.core.vocabulary import stage_label

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
# Streamlit's markdown turns bare "www.", "http://" and "name@host.tld" into links after the
# escapes are read (an escaped "\." or "\:" is linked all the same: measured in the browser,
# tests/ui/test_browser_plain_text.py), so a word joiner (U+2060, invisible, no width) goes
# where such a link would start: between "www" and its dot, before "://" and before "@".
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?=://)|(?=@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Escape markdown and break autolinks so that uploaded text is shown literally by
    ``st.markdown``, ``st.caption``, ``st.error``, widget labels, ``help=`` and friends.

    Examples
    --------
    >>> print(plain("![x](http://evil/p.png) *bold*").replace(WORD_JOINER, "^"))
    \\!\\[x\\]\\(http^\\://evil/p\\.png\\) \\*bold\\*
    >>> plain("www.evil.example").replace(WORD_JOINER, "^"), plain("a@b.c").replace(WORD_JOINER, "^")
    ('www^\\\\.evil\\\\.example', 'a^@b\\\\.c')
    """
    return _MARKDOWN.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


def stage_option(stage: str) -> str:
    """A stage as an option of a widget that renders markdown (pills, segmented control): its
    label with ``_`` escaped, the one markdown character the instrument lets a stage name hold
    (letters, digits, spaces and ``& - _ '``), so that ``_x_`` is not set in italics."""
    return stage_label(stage).replace("_", "\\_")
