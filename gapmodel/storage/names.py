"""Names written into the store by people: wave labels and user names."""

from __future__ import annotations

import unicodedata

from gapmodel.core.text import (
    BIDI,
    as_latin,
    foreign_letters,
    invisible_in,
    mixed_script,
    normal_text,
)

MAX_USER = 200
# Bidirectional-text controls can make a label display as something else; never needed in names.
_BIDI_CONTROLS = frozenset(BIDI)


def unsafe_character(text: str) -> str | None:
    """The first control, surrogate or bidi-control character of ``text``, if any."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            return ch
    return None


def check_label(label: str) -> str:
    """A wave label in its normal form (:func:`~gapmodel.core.text.normal_text`: NFC, no
    zero-width characters, plain spaces): 1 to 80 characters, no control or text-direction
    characters."""
    if not isinstance(label, str):
        raise ValueError(f"The wave label must be text. Got {type(label).__name__}.")
    label_given, label = label, normal_text(label, keep_bidi=True)
    if not label and label_given.strip():
        raise ValueError(
            "The wave label holds only invisible characters or odd spaces "
            f"({', '.join(invisible_in(label_given)) or 'none printable'}); type a visible "
            "label such as 2026-Q1."
        )
    if not 1 <= len(label) <= 80:
        raise ValueError(f"The wave label must have 1 to 80 characters. Got {len(label)}.")
    bad = unsafe_character(label)
    if bad is not None:
        raise ValueError(
            f"The wave label contains the control character U+{ord(bad):04X} (such as a tab, a "
            "line break or a text-direction mark); use letters, digits, spaces and punctuation."
        )
    return label


def label_warning(label: str) -> str | None:
    """What to tell whoever gives the wave label ``label`` when a word of it mixes Latin letters
    with Cyrillic or Greek look-alikes (it looks like another label); None otherwise.

    Examples
    --------
    >>> label_warning("2026-Q3 Wаve")  # a Cyrillic а
    "The wave label '2026-Q3 Wаve' mixes Latin letters with Cyrillic or Greek look-alikes in 'Wаve' (U+0430 CYRILLIC SMALL LETTER A): it looks like '2026-Q3 Wave' but is another label. Retype it unless that is meant."
    >>> label_warning("2026-Q3"), label_warning("Волна 3")
    (None, None)
    """
    words = mixed_script(normal_text(str(label)))
    if not words:
        return None
    said = ", ".join(f"{w!r} ({foreign_letters(w)})" for w in words)
    return (
        f"The wave label {label!r} mixes Latin letters with Cyrillic or Greek look-alikes in "
        f"{said}: it looks like {as_latin(label)!r} but is another label. Retype it unless "
        "that is meant."
    )


def check_user(user: str | None) -> str | None:
    """A user name for the audit trail: None, or 1 to 200 characters without control ones."""
    if user is None:
        return None
    user = str(user).strip()
    if not user:
        return None
    if len(user) > MAX_USER or unsafe_character(user) is not None:
        raise ValueError(
            f"The user name must be 1 to {MAX_USER} characters without control characters. "
            f"Got {len(user)} characters."
        )
    return user
