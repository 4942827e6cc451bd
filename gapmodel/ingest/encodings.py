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
# Central European codepages: their letters (ő, ř, ł) read as other letters in Windows-1252.
_CENTRAL = {"cp1250", "iso8859-2", "iso8859-16", "mac-latin2", "cp852"}
# Languages the detector names that are not written in Latin letters.
_OTHER_SCRIPTS = {"ru", "uk", "bg", "mk", "be", "sr", "kk", "el", "he", "ar", "fa", "ur", "th"}
_OTHER_SCRIPTS |= {"ko", "ja", "zh", "hi"}
_WESTERN = {"cp1252", "iso8859-1", "iso8859-15"}
_WESTERN_LANGUAGES = {
    None,
    "en",
    "de",
    "fr",
    "es",
    "it",
    "nl",
    "pt",
    "da",
    "sv",
    "no",
    "nb",
    "fi",
    "is",
    "ga",
    "ca",
    "eu",
    "gl",
    "af",
    "id",
    "ms",
}
_CJK_LEAST = 20  # characters: fewer do not tell Chinese, Japanese and Korean codepages apart
_PUNCTUATION = set("–—‘’‚“”„…•·€£¥°«»§©®™±×÷¡¿\u00a0")
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
    codec : str
        Python's name of the codec (``cp949``), for a choice that names it again.
    """

    text: str
    encoding: str
    detected: bool = False
    codec: str = "utf-8"


def codec_name(name: str) -> str:
    """The codec of an encoding name a user typed (``cp949``, ``Shift-JIS``, ``latin1``).

    Raises
    ------
    LookupError
        For a name Python does not know, with the way to find a valid one.
    """
    try:
        info = codecs.lookup(name.strip())
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib...
        raise LookupError(
            f"{name!r} is not a text encoding name. Use one such as utf-8, cp1252, cp949, "
            "shift_jis, gb18030 or utf-16."
        )
    return info.name


def decode(data: bytes, encoding: str | None = None) -> Decoded:
    """Decode CSV bytes.

    Parameters
    ----------
    data : bytes
    encoding : str, optional
        The encoding the analyst named; then nothing is guessed (a byte-order mark still
        wins: it is certain).

    Raises
    ------
    EncodingUnknown
        When the file is not UTF-8 and the detector's candidates read it differently.
    UnicodeDecodeError
        When the named encoding does not fit the bytes.
    LookupError
        For an unknown encoding name.
    """
    if encoding and not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        codec = codec_name(encoding)
        if codec.startswith(("utf-16", "utf-32")) and b"\x00" not in data[:4096]:
            # every letter of a header takes a zero byte in UTF-16: this is another encoding
            raise UnicodeDecodeError(codec, data[:1], 0, 1, "no zero bytes")
        return Decoded(data.decode(codec), encoding.strip())
    if encoding:
        codec_name(encoding)  # a byte-order mark says more than the name, but the name is checked
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
    """The detector's encoding, when every close candidate reads the same text.

    Two readings are settled without asking: text the detector takes for a Latin-letter
    language other than a Central European one (or a Western codepage among the likeliest),
    which the Latin codepages read alike but for a few symbols, is read as Windows-1252 when that
    gives letters; and no Chinese, Japanese or Korean
    codepage is taken from fewer than ``_CJK_LEAST`` characters. The candidates are compared on
    the sample; only the one taken decodes the whole file.
    """
    fitting = _candidates(_cut(data[:_SAMPLE]))
    if not fitting:
        raise EncodingUnknown([], _unknown_message([]))
    confidence, name, codec, language, sample = fitting[0]
    close = [f for f in fitting if f[0] >= 0.9 * confidence]
    latin = language not in _OTHER_SCRIPTS and not _multibyte(codec) and codec not in _CENTRAL
    if latin or any(f[2] in _WESTERN and f[3] in _WESTERN_LANGUAGES for f in close):
        western = _whole(data, "cp1252")
        if western is not None and _reads_as_words(western[:_SAMPLE]):
            return Decoded(western, "Windows-1252 (Western European)", True, "cp1252")
    rivals = [f for f in close[1:] if f[4] != sample]
    few = language in ("ko", "ja", "zh") and sum(ord(ch) > 127 for ch in sample) < _CJK_LEAST
    text = _whole(data, codec)
    garbled = not _multibyte(codec) and not _reads_as_words(sample)
    if rivals or few or text is None or garbled:
        others = [f[1] for f in rivals] or [f[1] for f in fitting[1:] if f[2] != codec][:2]
        names = [name, *others]
        raise EncodingUnknown(names, _unknown_message(names))
    label = f"{name} ({_LANGUAGES[language]})" if language in _LANGUAGES else name
    return Decoded(text, label, True, codec)


def _multibyte(codec: str) -> bool:
    """Whether a codec writes characters in more than one byte (the Unicode and CJK ones)."""
    return codec.startswith(("utf", "cp949", "euc", "cp932", "shift", "gb", "big5", "iso2022"))


def _whole(data: bytes, codec: str) -> str | None:
    """The whole file in ``codec``, or None when some bytes beyond the sample do not fit it."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _candidates(sample: bytes) -> list[tuple[float, str, str, str | None, str]]:
    """The detector's guesses that decode the sample: (confidence, name, codec, language, the
    sample's text), most likely first."""
    fitting = []
    for guess in chardet.detect_all(sample, ignore_threshold=True):
        name = guess.get("encoding")
        if not name:
            continue
        try:
            codec = codecs.lookup(name).name
            text = sample.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
        fitting.append((guess["confidence"], name, codec, guess.get("language"), text))
    return fitting


def _reads_as_words(text: str) -> bool:
    """Whether a Latin codepage's reading of the bytes gives letters (ä, é, ß) and the usual
    punctuation (– ’ “ €), as Western text has, rather than a run of symbols (``¼­¿ï``, which is
    how a Korean word in CP949 reads in Windows-1252)."""
    others = [ch for ch in text[:_SAMPLE] if ord(ch) > 127]
    plain = sum(1 for ch in others if ch.isalpha() or ch in _PUNCTUATION)
    return plain >= 0.8 * len(others)


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
