"""Text that looks the same is the same text: one normal form for ids, labels and names.

A value copied through another program can carry characters nobody sees (zero-width spaces, a
soft hyphen, a byte-order mark, text-direction marks), odd spaces (no-break, figure, narrow
no-break) or a decomposed accent (``u`` + U+0308 instead of ``ü``). Such values print alike but
compare as different: one respondent counted twice, one segment split in two. Their normal form
(:func:`normal_text`) is Unicode NFC, without invisible characters, with odd spaces as plain
ones, runs of spaces as one and no outer whitespace. Control characters (C0, DEL, C1: a bell,
an escape sequence that recolours a terminal, a NUL) are dropped; a tab, CR or line feed becomes
a space.

NFC, not NFKC: NFKC would also fold fullwidth digits, superscripts, circled numbers and
ligatures into plain ones (``R１`` -> ``R1``, ``²`` -> ``2``), which changes what the text says,
not only how it is encoded. Ids and labels keep such characters; a name's identity
(:func:`gapmodel.core.vocabulary.name_key`) folds them, as before.

A zero-width joiner or non-joiner (U+200D, U+200C) is kept between two non-ASCII characters,
where it is part of the writing (emoji sequences such as 👩‍👩‍👧, Persian, Indic scripts), and
removed elsewhere (``R‍1``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import polars as pl

# Never visible, never meaningful in an id or a label: zero-width space, word joiner and the
# invisible operators, soft hyphen, Mongolian vowel separator, byte-order mark.
INVISIBLE = "\u00ad\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff"
# Text-direction marks, embeddings, overrides and isolates: they can make text display as
# something else.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
JOINERS = "\u200c\u200d"
# Spaces that look like a plain space: no-break, en/em and other typographic spaces, figure,
# narrow no-break, medium mathematical, Ogham.
ODD_SPACES = (
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
)

# C0 controls but tab, line feed and CR (which become spaces), DEL, C1 controls.
CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_LINE_CONTROLS = re.compile("[\\t\\n\\r]")
# Any control character: the above, tab, line feed and CR.
ANY_CONTROL = re.compile(f"[{CONTROLS}\\t\\n\\r]")
_REMOVED = re.compile(f"[{INVISIBLE}{BIDI}{CONTROLS}]")
_REMOVED_KEEP_BIDI = re.compile(f"[{INVISIBLE}]")
_REMOVED_KEEP_CONTROLS = re.compile(f"[{INVISIBLE}{BIDI}]")
_JOINER_AFTER_ASCII = re.compile(f"(^|[\\x00-\\x7f])[{JOINERS}]+")
_JOINER_BEFORE_ASCII = re.compile(f"[{JOINERS}]+([\\x00-\\x7f]|$)")
_ODD_SPACE = re.compile(f"[{ODD_SPACES}]")
_RUN_OF_SPACES = re.compile(" {2,}")
# Text that may need more than stripping: anything outside printable ASCII, or two spaces in a
# row.
_MAYBE_NOT_NORMAL = r"[^\x20-\x7e]|  "


def normal_text(text: str, keep_bidi: bool = False, keep_controls: bool = False) -> str:
    """The normal form of a piece of text (see the module's docstring).

    Parameters
    ----------
    text : str
    keep_bidi : bool
        Keep text-direction and control characters (tab, CR and LF too), for a caller that
        refuses them with a message of its own (wave labels).
    keep_controls : bool
        Keep control characters (tab, CR and LF too) but not text-direction ones: the normal
        form of releases before control characters were dropped, which their backups hold.

    Examples
    --------
    >>> normal_text("R\\u200b1"), normal_text("Zu\\u0308rich") == "Z\\u00fcrich"
    ('R1', True)
    >>> normal_text("  North\\u00a0\\u00a0 East "), normal_text("\\u202eevil")
    ('North East', 'evil')
    >>> normal_text("Fe\\x07male\\x1b[31m"), normal_text("Ma\\rle")
    ('Female[31m', 'Ma le')
    >>> normal_text("North\\n\\u200bEast", keep_controls=True)
    'North\\nEast'
    """
    removed = _REMOVED_KEEP_CONTROLS if keep_controls else _REMOVED
    text = (_REMOVED_KEEP_BIDI if keep_bidi else removed).sub("", str(text))
    if not (keep_bidi or keep_controls):
        text = _LINE_CONTROLS.sub(" ", text)
    text = _JOINER_BEFORE_ASCII.sub(r"\1", _JOINER_AFTER_ASCII.sub(r"\1", text))
    text = unicodedata.normalize("NFC", _ODD_SPACE.sub(" ", text))
    return _RUN_OF_SPACES.sub(" ", text).strip()


def normal_text_expr(column: str, keep_controls: bool = False) -> pl.Expr:
    """:func:`normal_text` of every cell of a text column, as a polars expression."""
    if keep_controls:
        text = pl.col(column).str.replace_all(_REMOVED_KEEP_CONTROLS.pattern, "")
    else:
        text = pl.col(column).str.replace_all(_REMOVED.pattern, "")
        text = text.str.replace_all(_LINE_CONTROLS.pattern, " ")
    text = text.str.replace_all(_JOINER_AFTER_ASCII.pattern, "${1}")
    text = text.str.replace_all(_JOINER_BEFORE_ASCII.pattern, "${1}")
    text = text.str.replace_all(_ODD_SPACE.pattern, " ").str.normalize("NFC")
    return text.str.replace_all(_RUN_OF_SPACES.pattern, " ").str.strip_chars().alias(column)


def maybe_not_normal(column: str) -> pl.Expr:
    """Whether a cell may differ from its normal form by more than outer whitespace: a cheap
    test that lets plain ASCII columns skip :func:`normal_text_expr`."""
    return pl.col(column).str.contains(_MAYBE_NOT_NORMAL)


def invisible_in(text: str) -> list[str]:
    """The invisible and text-direction characters of ``text`` as ``U+200B`` names, in order.

    Examples
    --------
    >>> invisible_in("R\\u200b1\\u202e")
    ['U+200B', 'U+202E']
    """
    hidden = INVISIBLE + BIDI + JOINERS + ODD_SPACES
    return [f"U+{ord(ch):04X}" for ch in str(text) if ch in hidden]


def find_text(typed: str, known: Iterable[str]) -> str | None:
    """The text of ``known`` that ``typed`` names: ``typed`` itself, else the one with the same
    normal form (a label typed with a zero-width space finds the stored one); None if none.

    Examples
    --------
    >>> find_text("Q1\\u200b", ["Q1", "Q2"]), find_text("Q3", ["Q1"])
    ('Q1', None)
    """
    known = list(known)
    if typed in known:
        return typed
    normal = normal_text(typed)
    return next((k for k in known if normal_text(k) == normal), None)


def code_points(text: str) -> str:
    """The characters of ``text`` outside printable ASCII (so also ASCII control characters),
    each once, as its code point and Unicode name.

    Examples
    --------
    >>> code_points("Sеx")
    'U+0435 CYRILLIC SMALL LETTER IE'
    >>> code_points("Zu\\u0308rich")
    'U+0308 COMBINING DIAERESIS'
    """
    seen = dict.fromkeys(ch for ch in str(text) if ord(ch) > 0x7F or not ch.isprintable())
    return ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED CHARACTER')}" for ch in seen)


_WORD = re.compile(r"\w+")


def _script(ch: str) -> str | None:
    """``LATIN``, ``CYRILLIC`` or ``GREEK`` for a letter of those scripts, else None."""
    if not ch.isalpha():
        return None
    if ch.isascii():
        return "LATIN"
    name = unicodedata.name(ch, "")
    return next((s for s in ("LATIN", "CYRILLIC", "GREEK") if name.startswith(s)), None)


def mixed_script(text: str) -> list[str]:
    """The words of ``text`` that mix Latin letters with Cyrillic or Greek ones (``Sеx`` with a
    Cyrillic ``е`` looks like ``Sex`` but is another word); pure Cyrillic or Greek words are
    fine.

    Examples
    --------
    >>> mixed_script("Fеmale Женщина Γυναίκα Female")
    ['Fеmale']
    """
    out = []
    for word in _WORD.findall(str(text)):
        scripts = {_script(ch) for ch in word} - {None}
        if "LATIN" in scripts and len(scripts) > 1:
            out.append(word)
    return out


def foreign_letters(word: str) -> str:
    """:func:`code_points` of the Cyrillic and Greek letters of a word that mixes scripts."""
    return code_points("".join(ch for ch in word if _script(ch) in ("CYRILLIC", "GREEK")))


# Cyrillic and Greek letters drawn like a Latin one (Unicode's confusables, the common ones).
_AS_LATIN = str.maketrans(
    "аеорсухіјѕԁԛԝһӏАВЕЅІЈКМНОРСТХУαεικνορυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdqwhlABESIJKMHOPCTXYaeikvopuxABEZHIKMNOPTYX",
)


def as_latin(text: str) -> str:
    """``text`` with each Cyrillic or Greek look-alike of a Latin letter replaced by that letter,
    to tell what a word that mixes scripts was meant to be.

    Examples
    --------
    >>> as_latin("kept_infоrmed")  # a Cyrillic о
    'kept_informed'
    """
    return str(text).translate(_AS_LATIN)


def lookalike_of(text: str, known: Iterable[str]) -> str | None:
    """The text of ``known`` that ``text`` differs from only by look-alike letters or invisible
    characters (after :func:`normal_text`), and how: ``"it looks like 'x' but holds U+043E
    CYRILLIC SMALL LETTER O"``, or the look-alikes of the known text when ``text`` has none;
    None when there is no such text or ``text`` is one of them.

    Examples
    --------
    >>> lookalike_of("Sеx", ["Sex", "Age"])
    "it looks like 'Sex' but holds U+0435 CYRILLIC SMALL LETTER IE"
    >>> lookalike_of("Sex", ["Sеx", "Age"])
    "it looks like 'Sеx', which holds U+0435 CYRILLIC SMALL LETTER IE"
    """
    text, known = str(text), list(known)
    if text in known:
        return None
    wanted = as_latin(normal_text(text))
    for k in known:
        if as_latin(normal_text(k)) == wanted:
            mine = code_points("".join(ch for ch in text if ch not in k))
            theirs = code_points("".join(ch for ch in k if ch not in text))
            if mine:
                return f"it looks like {k!r} but holds {mine}"
            if theirs:  # the known text holds the look-alikes: 'Sex' beside a known 'Sеx'
                return f"it looks like {k!r}, which holds {theirs}"
            return f"it looks like {k!r} but differs from it in spacing or invisible characters"
    return None
