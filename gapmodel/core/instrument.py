"""The questionnaire as data: its items, their dimension and element, and the stages they are
asked at. The questionnaire names the survey's vocabulary: its stages, in the order they first
appear, and its dimensions, in any script."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from gapmodel.core.errors import InstrumentError
from gapmodel.core.settings import DATA_DIR
from gapmodel.core.text import code_points, foreign_letters, mixed_script, normal_text
from gapmodel.core.vocabulary import (
    ELEMENTS,
    MAX_ITEMS,
    MAX_STAGES,
    bad_name,
    clean_name,
    name_key,
    token,
)

DEFAULT_INSTRUMENT_PATH = DATA_DIR / "instrument.csv"

_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_REQUIRED = ("code", "wording", "dimension", "stages")
_COLUMNS = ("code", "wording", "dimension", "element", "stages")
_MAX_BYTES = 4_000_000
_MAX_WORDING = 1000
ITEM_SCHEMA = {
    "code": pl.String,
    "wording": pl.String,
    "dimension": pl.String,
    "element": pl.String,
    "stages": pl.List(pl.String),
}


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire.

    Attributes
    ----------
    name : str
        File name it was read from.
    items : pl.DataFrame
        One row per item, in file order: ``code, wording, dimension, element, stages``
        (``element`` null when the item has none; ``stages`` a list in the instrument's order).
    sha256 : str
        Hash of the normalised item table, so the same instrument is stored once.
    stages : tuple of str
        The stages, in the order they first appear in the file.
    dimensions : tuple of str
        The dimensions, in the order they first appear in the file.
    notes : tuple of str
        Warnings on how the file was read, one sentence each: a code, stage or dimension name
        with invisible or control characters, odd spaces or a decomposed accent (read in its
        normal form), or mixing Latin letters with Cyrillic or Greek look-alikes (kept).
    """

    name: str
    items: pl.DataFrame
    sha256: str
    stages: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def codes(self) -> list[str]:
        return self.items["code"].to_list()

    @property
    def has_elements(self) -> bool:
        """Whether any item is classed as human or technical."""
        return self.items["element"].null_count() < self.items.height

    def pairs(self) -> pl.DataFrame:
        """Every (stage, item) pair the instrument asks, with dimension and element: item by
        item in file order, each item's stages in the instrument's order."""
        return (
            self.items.explode("stages")
            .rename({"stages": "stage", "code": "item"})
            .select("stage", "item", "dimension", "element")
        )


def load_instrument(source: str | Path | bytes, name: str | None = None) -> Instrument:
    """Read and validate an instrument file (CSV with ``code, wording, dimension, stages`` and
    optionally ``element``).

    Parameters
    ----------
    source : str, Path or bytes
        A path to the CSV, or its bytes.
    name : str, optional
        Display name; defaults to the file name.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        With one sentence per problem found, naming the line and what is allowed (missing
        column, bad or repeated code, a stage or dimension name that cannot be used, an
        element other than human or technical, empty wording, too many stages or items).

    Notes
    -----
    ``stages`` lists the stages an item is asked at, separated by ``|`` (for example
    ``Pre-purchase|Service encounter``). The survey's stages are taken in the order in which
    they first appear, reading the file row by row; to set the order, list every stage in that
    order on the first row. Stage and dimension names may be written in any script, with
    spaces, ``&``, ``-``, ``_`` and ``'``; two names that differ only in case, spacing or
    punctuation are the same name, written as first seen. ``element`` is optional: blank (or no such column) means
    the item is not classed as human or technical. Item codes start with a letter and use
    letters, digits and ``_``, so that they can name the columns of a wide file; they are
    matched without regard to case.
    """
    data, name = _read(source, name)
    try:
        text = data.decode("utf-8-sig")
        raw = pl.read_csv(io.StringIO(text), infer_schema=False)
    except (UnicodeDecodeError, pl.exceptions.PolarsError) as exc:
        raise InstrumentError(
            [f"The instrument file {name} is not a readable UTF-8 CSV ({exc})."]
        ) from None
    header = next(csv.reader(io.StringIO(text)), [])
    names = [h.strip().lower() for h in header]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InstrumentError(
            [
                f"The instrument file {name} has the column {', '.join(twice)} more than once; keep one."
            ]
        )
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    missing = [c for c in _REQUIRED if c not in raw.columns]
    if missing:
        raise InstrumentError(
            [
                f"The instrument file {name} lacks the column(s) {', '.join(missing)}; "
                f"it needs {', '.join(_REQUIRED)} and may have element."
            ]
        )
    if "element" not in raw.columns:
        raw = raw.with_columns(element=pl.lit(None, pl.String))
    problems: list[str] = []
    notes: dict[str, None] = {}  # one note per name, in order
    rows, vocabulary = _items(raw.select(_COLUMNS), problems, notes)
    if not rows:
        problems.append(f"The instrument file {name} lists no items.")
    if len(rows) > MAX_ITEMS:
        problems.append(
            f"The instrument file {name} has {len(rows):,} items; at most {MAX_ITEMS:,}."
        )
    stages = tuple(vocabulary["stages"].values())
    if len(stages) > MAX_STAGES:
        problems.append(
            f"The instrument file {name} names {len(stages)} stages; at most {MAX_STAGES}."
        )
    if problems:
        raise InstrumentError(problems)
    order = {s: k for k, s in enumerate(stages)}
    rows = [(c, w, d, e, sorted(s, key=order.__getitem__)) for c, w, d, e, s in rows]
    items = pl.DataFrame(rows, schema=ITEM_SCHEMA, orient="row")
    digest = hashlib.sha256(
        "\n".join(f"{c}\t{w}\t{d}\t{e or ''}\t{'|'.join(s)}" for c, w, d, e, s in rows).encode()
    ).hexdigest()
    return Instrument(
        name=name,
        items=items,
        sha256=digest,
        stages=stages,
        dimensions=tuple(vocabulary["dimensions"].values()),
        notes=tuple(notes),
    )


def _read(source: str | Path | bytes, name: str | None) -> tuple[bytes, str]:
    """The bytes of an instrument file and the name it goes by."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InstrumentError(
                [f"Cannot read the instrument file {path}: {exc.strerror}."]
            ) from None
    else:
        data, name = source, name or "instrument"
    if len(data) > _MAX_BYTES:
        raise InstrumentError(
            [f"The instrument file {name} is larger than 4 MB; it should be a short CSV."]
        )
    return data, name


def _items(
    raw: pl.DataFrame, problems: list[str], notes: dict[str, None]
) -> tuple[list[tuple], dict[str, dict[str, str]]]:
    """The item rows, and the stages and dimensions (key -> name as first written) in order of
    first appearance; problems and notes (:func:`_note`) are added as sentences."""
    vocabulary: dict[str, dict[str, str]] = {"stages": {}, "dimensions": {}}
    seen: set[str] = set()
    rows = []
    for line, rec in enumerate(raw.iter_rows(named=True), start=2):
        where = f"line {line}"
        code = normal_text(rec["code"] or "")
        _note(notes, "item code", rec["code"] or "", code)
        if not _CODE.match(code):
            held = f" (it holds {code_points(code)})" if not code.isascii() else ""
            problems.append(
                f"{where}: item code {code!r}{held} must start with a letter and use only "
                "ASCII letters, digits and _ (at most 64 characters)."
            )
        elif token(code) in seen:  # Q1, q1 and Q1_ name the same columns
            problems.append(f"{where}: item code {code!r} appears twice.")
        seen.add(token(code))
        wording = clean_name(rec["wording"] or "")
        if not wording:
            problems.append(f"{where}: item {code!r} has no wording.")
        elif len(wording) > _MAX_WORDING:
            problems.append(f"{where}: item {code!r} has a wording over {_MAX_WORDING} characters.")
        dimension = _vocabulary_name(
            rec["dimension"] or "",
            vocabulary["dimensions"],
            f"{where}: item {code!r} has the dimension",
            problems,
        )
        _note(notes, "dimension", rec["dimension"] or "", dimension)
        element = (rec["element"] or "").strip().lower() or None
        if element is not None and element not in ELEMENTS:
            problems.append(
                f"{where}: item {code!r} has element {rec['element']!r}; leave it blank or "
                f"write {' or '.join(ELEMENTS)}."
            )
        stages = []
        parts = [p for p in (rec["stages"] or "").split("|") if p.strip()]
        if not parts:
            problems.append(
                f"{where}: item {code!r} lists no stage; name the stages it is asked at, "
                "separated by '|' (for example Pre-purchase|Service encounter)."
            )
        for part in parts:
            stage = _vocabulary_name(
                part, vocabulary["stages"], f"{where}: item {code!r} has the stage", problems
            )
            _note(notes, "stage", part, stage)
            if stage is not None and stage not in stages:
                stages.append(stage)
        rows.append((code, wording, dimension, element, stages))
    _check_spellings(rows, vocabulary, problems)
    return rows, vocabulary


_SPACES = re.compile(" {2,}")  # plain spaces in a row, read as one without a note


def _note(notes: dict[str, None], kind: str, given: str, read: str | None) -> None:
    """Note a name read other than as written (invisible or control characters, odd spaces, a
    decomposed accent), or mixing Latin letters with Cyrillic or Greek look-alikes."""
    if read is None:
        return
    if read != _SPACES.sub(" ", given.strip()):  # a no-break space in it is noted
        held = code_points("".join(ch for ch in given if ch not in read)) or code_points(given)
        notes[
            f"The {kind} {given.strip()!r} holds invisible or control characters, odd spaces "
            f"or an accent encoded apart ({held}); it is read as {read!r}."
        ] = None
    for word in mixed_script(read):
        notes[
            f"The {kind} {read!r} mixes Latin letters with Cyrillic or Greek look-alikes in "
            f"{word!r} ({foreign_letters(word)}); it is kept as written, so a file must write "
            "it the same way."
        ] = None


def _check_spellings(
    rows: list[tuple], vocabulary: dict[str, dict[str, str]], problems: list[str]
) -> None:
    """A file's columns spell names as tokens (``Pre-purchase`` as ``pre_purchase``): two stages
    or dimensions with one spelling, or two stage x item pairs whose columns would read alike
    (stage ``a`` with item ``b_c``, stage ``a_b`` with item ``c``), cannot be told apart."""
    for kind, names in vocabulary.items():
        spelled: dict[str, str] = {}
        for name in names.values():
            other = spelled.setdefault(token(name), name)
            if other != name:
                problems.append(
                    f"The {kind} {other!r} and {name!r} are spelled alike in file columns "
                    f"({token(name)}); rename one."
                )
    columns: dict[str, tuple[str, str]] = {}
    for code, _, _, _, stages in rows:
        for stage in stages:
            pair = columns.setdefault(f"{token(stage)}_{token(code)}", (stage, code))
            if token(pair[0]) != token(stage):  # (the same parts are reported above)
                problems.append(
                    f"Item {pair[1]!r} at stage {pair[0]!r} and item {code!r} at stage "
                    f"{stage!r} would have the same column names; rename one of them."
                )


def _vocabulary_name(
    text: str, known: dict[str, str], context: str, problems: list[str]
) -> str | None:
    """The stage or dimension ``text`` names, as first written (added to ``known`` when new);
    None, with a problem, when it cannot be a name."""
    name = clean_name(text)
    why = bad_name(name)
    if why is not None:
        problems.append(f"{context} {text.strip()!r}, which {why}.")
        return None
    return known.setdefault(name_key(name), name)


def default_instrument() -> Instrument:
    """The questionnaire shipped in ``data/instrument.csv`` (22 items, 5 dimensions, 3 stages)."""
    return load_instrument(DEFAULT_INSTRUMENT_PATH)
