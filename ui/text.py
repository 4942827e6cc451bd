"""Show text from uploads and data safely: as literal text, never as markdown or HTML."""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Escape markdown so that uploaded text is shown literally by ``st.error`` and friends.

    Examples
    --------
    >>> print(plain("![x](http://evil/p.png) *bold*"))
    \\!\\[x\\]\\(http\\://evil/p\\.png\\) \\*bold\\*
    """
    return _MARKDOWN.sub(r"\\\1", str(text))
