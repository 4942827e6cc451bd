"""Which text encoding a CSV file is in: certain (a byte-order mark, valid UTF-8, UTF-16, or the
encoding the analyst names), detected (chardet, when the alternatives read the same text), or
not known, and then the analyst is asked.

Text decoded with a detected codepage is always reported as such; a file whose encoding cannot
be told for sure is refused with the candidates and the way to name the right one.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import chardet

_SAMPLE = 200_000  # detection looks at the first 200 kB (chardet's own limit)
# Where the detector cannot tell these apart, the Windows codepage is the one spreadsheets on
# Windows write; the others are DOS, Mac and HP codepages of the same letters.
_WESTERN = {"cp1252", "iso8859-1", "iso8859-15"}
_WESTERN_LOOKALIKES = _WESTERN | {
    "mac-roman",
    "hp-roman8",
    "iso8859-3",
    *(f"cp{n}" for n in (437, 850, 858, 860, 861, 863, 865)),
}
_LANGUAGES = {
    "ko": "Korean",
    "ja": "Japanese",
    "zh": "Chinese",
    "ru": "Russian",
    "uk": "Ukrainian",
    "el": "Greek",
    "tr": "Turkish",
    "pl": "Polish",
    "cs": "Czech",
    "he": "Hebrew",
    "ar": "Arabic",
    "th": "Thai",
    "vi": "Vietnamese",
}


class EncodingUnknown(Exception):
    """The file is not UTF-8 and its encoding cannot be told for sure.

    Attributes
    ----------
    candidates : list of str
        The encodings that fit, most likely first (names a user can pass back).
    """

    def __init__(self, candidates: list[str], message: str):
        self.candidates = candidates
        super().__init__(message)


@dataclass(frozen=True)
class Decoded:
    """A file's text and how it was decoded.

    Attributes
    ----------
    text : str
    encoding : str
        Its name for people (``UTF-8``, ``CP949 (Korean)``).
    detected : bool
        True when the encoding is the detector's reading of the bytes, not certain.
    """

    text: str
    encoding: str
    detected: bool = False


def codec_name(name: str) -> str:
    """The codec of an encoding name a user typed (``cp949``, ``Shift-JIS``, ``latin1``).

    Raises
    ------
    LookupError
        For a name Python does not know, with the way to find a valid one.
    """
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise LookupError(
            f"{name!r} is not an encoding name. Use one such as utf-8, cp1252, cp949, "
            "shift_jis, gb18030 or utf-16."
        ) from None


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """Decode CSV bytes.

    Parameters
    ----------
    data : bytes
    encoding : str, optional
        The encoding the analyst named; then nothing is guessed.

    Raises
    ------
    EncodingUnknown
        When the file is not UTF-8 and the detector's candidates read it differently.
    UnicodeDecodeError
        When the named encoding does not fit the bytes.
    LookupError
        For an unknown encoding name.
    """
    if encoding:
        codec = codec_name(encoding)
        body = data[3:] if codec == "utf-8" and data.startswith(b"\xef\xbb\xbf") else data
        return Decoded(body.decode(codec), encoding.strip())
    if data.startswith(b"\xef\xbb\xbf"):
        return Decoded(data[3:].decode("utf-8", errors="replace"), "UTF-8 with BOM")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoded(data.decode("utf-16", errors="replace"), "UTF-16")
    head = data[:4096]
    if len(head) >= 4 and head.count(b"\x00") >= len(head) // 3:
        even_zero = head[0::2].count(0) > head[1::2].count(0)
        return Decoded(
            data.decode("utf-16-be" if even_zero else "utf-16-le", errors="replace"), "UTF-16"
        )
    try:
        return Decoded(data.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        pass
    return _detect(data)


def _detect(data: bytes) -> Decoded:
    """The detector's encoding, when every close candidate reads the same text."""
    sample = _cut(data[:_SAMPLE])
    fitting = []
    for guess in chardet.detect_all(sample, ignore_threshold=True):
        name = guess.get("encoding")
        if not name:
            continue
        try:
            codec = codecs.lookup(name).name
            text = data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
        fitting.append((guess["confidence"], name, codec, guess.get("language"), text))
    if not fitting:
        raise EncodingUnknown([], _unknown_message([]))
    confidence, name, codec, language, text = fitting[0]
    rivals = [
        f for f in fitting[1:] if f[0] >= 0.9 * confidence and f[4][:_SAMPLE] != text[:_SAMPLE]
    ]
    western = codec in _WESTERN and all(f[2] in _WESTERN_LOOKALIKES for f in rivals)
    if rivals and not western:
        names = [name, *(f[1] for f in rivals)]
        raise EncodingUnknown(names, _unknown_message(names))
    label = f"{name} ({_LANGUAGES[language]})" if language in _LANGUAGES else name
    return Decoded(text, label, detected=True)


def _cut(sample: bytes) -> bytes:
    """The sample up to its last line break, so that no character is cut in half."""
    end = sample.rfind(b"\n")
    return sample[: end + 1] if end > 0 else sample


def _unknown_message(candidates: list[str]) -> str:
    fits = f" It could be {' or '.join(candidates[:3])}." if candidates else ""
    return (
        "The file is not UTF-8, and its encoding cannot be told for sure from its bytes."
        f"{fits} Name it (--encoding on the command line, the encoding choice on the Data "
        "page), or save the file as UTF-8 and upload it again."
    )
