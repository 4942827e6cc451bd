"""The questionnaire as data: items, their dimension, element and the stages they are asked at."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from gapmodel.core.errors import InstrumentError
from gapmodel.core.settings import DATA_DIR
from gapmodel.core.vocabulary import DIMENSIONS, ELEMENTS, STAGES

DEFAULT_INSTRUMENT_PATH = DATA_DIR / "instrument.csv"

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_COLUMNS = ("code", "wording", "dimension", "element", "stages")
_MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire.

    Attributes
    ----------
    name : str
        File name it was read from.
    items : pl.DataFrame
        One row per item: ``code, wording, dimension, element, stages`` (``stages`` is a list).
    sha256 : str
        Hash of the normalised item table, so the same instrument is stored once.
    """

    name: str
    items: pl.DataFrame
    sha256: str

    @property
    def codes(self) -> list[str]:
        return self.items["code"].to_list()

    @property
    def dimensions(self) -> list[str]:
        """Dimensions in the instrument, in the default SERVQUAL order first."""
        present = set(self.items["dimension"])
        known = [d for d in DIMENSIONS if d in present]
        return known + sorted(present - set(known))

    def pairs(self) -> pl.DataFrame:
        """Every (stage, item) pair the instrument asks, with dimension and element."""
        return (
            self.items.explode("stages")
            .rename({"stages": "stage", "code": "item"})
            .select("stage", "item", "dimension", "element")
        )


def load_instrument(source: str | Path | bytes, name: str | None = None) -> Instrument:
    """Read and validate an instrument file (CSV with ``code,wording,dimension,element,stages``).

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
        With one sentence per problem found (missing column, bad code, duplicate code, unknown
        element or stage, empty wording or dimension).

    Notes
    -----
    ``stages`` lists the stages an item is asked at, separated by ``|`` (for example
    ``pre_purchase|encounter``). Codes are lower-case identifiers so they can name wide columns.
    """
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
        data = source
        name = name or "instrument"
    if len(data) > _MAX_BYTES:
        raise InstrumentError(
            [f"The instrument file {name} is larger than 1 MB; it should be a short CSV."]
        )
    try:
        text = data.decode("utf-8-sig")
        raw = pl.read_csv(io.StringIO(text), infer_schema=False)
    except (UnicodeDecodeError, pl.exceptions.PolarsError) as exc:
        raise InstrumentError(
            [f"The instrument file {name} is not a readable UTF-8 CSV ({exc})."]
        ) from None
    raw = raw.rename({c: c.strip().lower() for c in raw.columns})
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise InstrumentError(
            [
                f"The instrument file {name} lacks the column(s) {', '.join(missing)}; "
                f"it needs {', '.join(_COLUMNS)}."
            ]
        )
    problems: list[str] = []
    seen: set[str] = set()
    rows = []
    for line, rec in enumerate(raw.select(_COLUMNS).iter_rows(named=True), start=2):
        code = (rec["code"] or "").strip()
        where = f"line {line}"
        if not _CODE.match(code):
            problems.append(
                f"{where}: item code {code!r} must start with a lower-case letter and use only "
                "a-z, 0-9 and _ (at most 64 characters)."
            )
        elif code in seen:
            problems.append(f"{where}: item code {code!r} appears twice.")
        seen.add(code)
        wording = (rec["wording"] or "").strip()
        if not wording:
            problems.append(f"{where}: item {code!r} has no wording.")
        dimension = (rec["dimension"] or "").strip().lower()
        if not _CODE.match(dimension):
            problems.append(
                f"{where}: item {code!r} has dimension {dimension!r}; use a lower-case name."
            )
        element = (rec["element"] or "").strip().lower()
        if element not in ELEMENTS:
            problems.append(
                f"{where}: item {code!r} has element {element!r}; allowed: human, technical."
            )
        stages = [s.strip().lower() for s in (rec["stages"] or "").split("|") if s.strip()]
        bad = [s for s in stages if s not in STAGES]
        if not stages or bad:
            problems.append(
                f"{where}: item {code!r} has stages {rec['stages']!r}; list one or more of "
                f"{', '.join(STAGES)} separated by '|'."
            )
        stages = [s for s in STAGES if s in stages]
        rows.append((code, wording, dimension, element, stages))
    if not rows:
        problems.append(f"The instrument file {name} lists no items.")
    if problems:
        raise InstrumentError(problems)
    items = pl.DataFrame(
        rows,
        schema={
            "code": pl.String,
            "wording": pl.String,
            "dimension": pl.String,
            "element": pl.String,
            "stages": pl.List(pl.String),
        },
        orient="row",
    )
    digest = hashlib.sha256(
        "\n".join(f"{c}\t{w}\t{d}\t{e}\t{'|'.join(s)}" for c, w, d, e, s in rows).encode()
    ).hexdigest()
    return Instrument(name=name, items=items, sha256=digest)


def default_instrument() -> Instrument:
    """The questionnaire shipped in ``data/instrument.csv`` (22 items, 5 dimensions, 3 stages)."""
    return load_instrument(DEFAULT_INSTRUMENT_PATH)
