"""A column mapping: what each column of a survey export holds, as an editable CSV.

One row per source column: ``column`` (the header text exactly as in the file), ``role`` (``id``,
``score``, ``attribute``, ``comment``, ``ignore``; blank is ``ignore``), for scores ``stage``,
``item`` and ``measure`` (``E``, ``P``, ``A``, ``I``), for attributes ``name``. A score row whose
item the questionnaire lacks may carry ``wording`` and ``dimension``: then the questionnaire is
drafted from the mapping. ``confidence`` (0-100) and ``reason`` say how sure a proposal is and
why; ``question`` and ``samples`` show what the column holds, and are not read back.

File-level settings are rows of their own: role ``option`` with ``column`` one of ``encoding``,
``sheet``, ``header_row`` and the value in ``name``; role ``label`` with an answer text in
``column`` and its score in ``name`` (``Strongly agree`` -> ``7``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from gapmodel.core.formulas import rows_csv, unneutralise
from gapmodel.core.text import code_points
from gapmodel.core.vocabulary import MEASURES, clean_name, name_key
from gapmodel.ingest.encodings import EncodingUnknown, decode
from gapmodel.ingest.naming import MEASURE_ALIASES
from gapmodel.ingest.readers import ReadOptions
from gapmodel.ingest.validation_report import Problem
from gapmodel.storage.mappings import MAX_MAPPING_TEXT

ROLES = ("id", "score", "attribute", "comment", "ignore")
SETTING_ROLES = ("option", "label")
OPTIONS = ("encoding", "sheet", "header_row")
FIELDS = (
    "column",
    "role",
    "stage",
    "item",
    "measure",
    "name",
    "wording",
    "dimension",
    "confidence",
    "reason",
    "question",
    "samples",
)
MEASURE_LETTERS = {m: m[0].upper() for m in MEASURES}
MISSING = "missing"  # a label's score for an answer that means no score ("Don't know")
_WHOLE = re.compile(r"-?[0-9]{1,9}")
# what the settings rows say in their reason cell, for whoever edits the CSV
_OPTION_HELP = "how the file is read (encoding, sheet or header_row): the value in name"
_LABEL_HELP = f"an answer text in the score columns: its score in name, or {MISSING}"


class MappingError(Exception):
    """A mapping file that cannot be used; ``problems`` name each row and rule."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


@dataclass(frozen=True)
class ColumnMap:
    """What one source column holds (see the module's description of the fields)."""

    column: str
    role: str = "ignore"
    stage: str = ""
    item: str = ""
    measure: str = ""
    name: str = ""
    wording: str = ""
    dimension: str = ""
    confidence: int | None = None
    reason: str = ""
    question: str = ""
    samples: str = ""


@dataclass(frozen=True)
class Mapping:
    """A whole mapping: the columns, the reading options and the answer labels."""

    columns: tuple[ColumnMap, ...]
    options: ReadOptions = field(default_factory=ReadOptions)
    labels: dict[str, int | str | None] = field(default_factory=dict)

    def by_role(self, role: str) -> list[ColumnMap]:
        """The columns of one role, in file order."""
        return [c for c in self.columns if c.role == role]

    def headers(self) -> list[str]:
        """The source columns the mapping names, in its order."""
        return [c.column for c in self.columns]

    def with_columns(self, columns: list[ColumnMap]) -> Mapping:
        """The same mapping with other column rows (an edited table)."""
        return replace(self, columns=tuple(columns))


def mapping_summary(mapping: Mapping) -> str:
    """What a mapping maps, in one sentence.

    Examples
    --------
    >>> m = Mapping((ColumnMap("id", "id"), ColumnMap("q.E", "score", "s", "q", "E")))
    >>> mapping_summary(m)
    'Mapped: 1 score column(s) (1 stage x item pair(s)), 1 id, 0 attribute(s), 0 comment(s), 0 left out (0 with personal data).'
    """
    roles = Counter(c.role for c in mapping.columns)
    personal = sum(
        1 for c in mapping.columns if c.role == "ignore" and c.reason.startswith("personal")
    )
    pairs = {(name_key(c.stage), name_key(c.item)) for c in mapping.by_role("score")}
    return (
        f"Mapped: {roles['score']} score column(s) ({len(pairs)} stage x item pair(s)), "
        f"{roles['id']} id, {roles['attribute']} attribute(s), {roles['comment']} comment(s), "
        f"{roles['ignore']} left out ({personal} with personal data)."
    )


def measure_of(text: str) -> str | None:
    """The stored measure a mapping's ``measure`` cell names (``E``, ``expected``...), or None.

    Examples
    --------
    >>> measure_of("E"), measure_of("perceived"), measure_of("x")
    ('expectation', 'perception', None)
    """
    return MEASURE_ALIASES.get(name_key(text)) if text.strip() else None


def label_key(text: str) -> str:
    """How an answer text is matched to a label: case, spacing and punctuation do not matter."""
    return name_key(clean_name(text))


# -- Reading and writing the CSV ----------------------------------------------------------------
def mapping_csv(mapping: Mapping) -> bytes:
    """The mapping as a UTF-8 CSV (with a BOM, so that spreadsheets read it as UTF-8); every cell
    that a spreadsheet would run as a formula is written as text."""
    rows = ([record[f] for f in FIELDS] for record in mapping_records(mapping))
    return ("\ufeff" + rows_csv(FIELDS, rows)).encode("utf-8")


def read_mapping(data: bytes, name: str = "mapping") -> Mapping:
    """Parse a mapping CSV (as :func:`mapping_csv` writes it, or edited in a spreadsheet).

    Raises
    ------
    MappingError
        Naming each row (the header is row 1), the column and the rule it breaks.
    """
    if len(data) > MAX_MAPPING_TEXT:
        raise MappingError([_problem(None, f"The mapping {name} is larger than 4 MB.")])
    try:  # a spreadsheet on Windows saves CSV in its codepage
        text = decode(data).text
    except (EncodingUnknown, UnicodeDecodeError):
        raise MappingError(
            [_problem(None, f"The mapping {name} is not UTF-8 text. Save it as CSV UTF-8.")]
        ) from None
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    if text.startswith("sep=") and "\n" in text:  # Excel's hint line
        delimiter, text = text[4:5], text.split("\n", 1)[1]
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise MappingError([_problem(None, f"The mapping {name} is empty.")])
    header = [clean_name(h).casefold() for h in rows[0]]
    missing = [f for f in ("column", "role") if f not in header]
    if missing:
        raise MappingError(
            [
                _problem(
                    1,
                    f"The mapping {name} has no {' or '.join(missing)} column; its first row "
                    f"must name the fields ({', '.join(FIELDS[:6])}, ...).",
                )
            ]
        )
    records = (
        (
            number,
            {
                f: unneutralise(cells[k]).strip() if k < len(cells) else ""
                for k, f in enumerate(header)
            },
        )
        for number, cells in enumerate(rows[1:], start=2)
    )
    return mapping_from_records(records)


def mapping_from_records(records: Iterable[tuple[int, dict[str, str]]]) -> Mapping:
    """A mapping from its rows (row number, field -> text), options and labels included.

    Raises
    ------
    MappingError
        Naming each row, the column and the rule it breaks.
    """
    problems: list[Problem] = []
    columns: list[tuple[int, ColumnMap]] = []
    options: dict[str, str] = {}
    labels: dict[str, int | str | None] = {}
    for number, record in records:
        record = {k: ("" if v is None else str(v).strip()) for k, v in record.items()}
        if not any(record.values()):
            continue
        parsed = _parse_row(record, number, problems)
        if parsed is None:
            continue
        if parsed.role == "option":
            options[parsed.column] = parsed.name
        elif parsed.role == "label":
            labels[parsed.column] = (
                MISSING if parsed.name.casefold() == MISSING else int(parsed.name)
            )
        else:
            columns.append((number, parsed))
    _check_repeats(columns, problems)
    if problems:
        raise MappingError(problems)
    header_row = options.get("header_row")
    return Mapping(
        tuple(c for _, c in columns),
        ReadOptions(
            encoding=options.get("encoding") or None,
            sheet=options.get("sheet") or None,
            header_row=int(header_row) if header_row else None,
        ),
        labels,
    )


def mapping_records(mapping: Mapping) -> list[dict[str, str]]:
    """The mapping's rows as :func:`mapping_csv` writes them (options, labels, then columns), as
    field -> text: what :func:`mapping_from_records` reads back."""
    rows = [
        ColumnMap(name, "option", name=str(getattr(mapping.options, name)), reason=_OPTION_HELP)
        for name in OPTIONS
        if getattr(mapping.options, name) is not None
    ]
    rows += [
        ColumnMap(text, "label", name="" if score is None else str(score), reason=_LABEL_HELP)
        for text, score in mapping.labels.items()
    ]
    rows += mapping.columns
    return [{f: "" if getattr(r, f) is None else str(getattr(r, f)) for f in FIELDS} for r in rows]


def _parse_row(record: dict[str, str], number: int, problems: list[Problem]) -> ColumnMap | None:
    """One mapping row, or None (with the problem) when it breaks a rule."""
    column = record.get("column", "")
    role = (record.get("role", "") or "ignore").casefold()
    if not column:
        problems.append(_problem(number, "The row names no column.", "column"))
        return None
    if role not in ROLES + SETTING_ROLES:
        problems.append(
            _problem(
                number,
                f"The role {record['role']!r} is not one of {', '.join(ROLES + SETTING_ROLES)}.",
                "role",
                record["role"],
            )
        )
        return None
    value = record.get("name", "")
    if role == "option":
        if column not in OPTIONS:
            problems.append(
                _problem(
                    number, f"{column!r} is not an option; use {', '.join(OPTIONS)}.", "column"
                )
            )
            return None
        if column == "header_row" and value and not (_WHOLE.fullmatch(value) and int(value) >= 1):
            problems.append(
                _problem(number, "header_row must be a row number from 1.", "name", value)
            )
            return None
    if role == "label" and not (_WHOLE.fullmatch(value) or value.casefold() == MISSING):
        problems.append(
            _problem(
                number,
                f"The answer text {column!r} needs its score: a whole number in name (or "
                f'{MISSING!r}, when the answer means no score, such as "Don\'t know").',
                "name",
                value,
            )
        )
        return None
    confidence = record.get("confidence", "")
    parsed = ColumnMap(
        column=column,
        role=role,
        stage=record.get("stage", ""),
        item=record.get("item", ""),
        measure=record.get("measure", ""),
        name=value,
        wording=record.get("wording", ""),
        dimension=record.get("dimension", ""),
        confidence=int(confidence) if _WHOLE.fullmatch(confidence) else None,
        reason=record.get("reason", ""),
    )
    if role == "score":
        if not parsed.item:
            problems.append(_problem(number, f"The score column {column!r} needs an item.", "item"))
            return None
        if measure_of(parsed.measure) is None:
            problems.append(
                _problem(
                    number,
                    f"The score column {column!r} needs a measure: E (expected), P (perceived), "
                    f"A (adequate) or I (importance). Got {parsed.measure!r}"
                    + (
                        f" ({code_points(parsed.measure)})."
                        if not parsed.measure.isascii()
                        else "."
                    ),
                    "measure",
                    parsed.measure,
                )
            )
            return None
    return parsed


def _check_repeats(columns: list[tuple[int, ColumnMap]], problems: list[Problem]) -> None:
    """A source column mapped twice, two ids, or one score cell from two columns."""
    seen: dict[str, int] = {}
    scores: dict[tuple[str, str, str | None], str] = {}
    for number, column in columns:
        if column.column in seen:
            problems.append(
                _problem(
                    number,
                    f"The column {column.column!r} is mapped twice (also in row "
                    f"{seen[column.column]}); keep one row.",
                    "column",
                )
            )
        seen[column.column] = number
        if column.role == "score":
            key = (name_key(column.stage), name_key(column.item), measure_of(column.measure))
            if key in scores:
                problems.append(
                    _problem(
                        number,
                        f"The columns {scores[key]!r} and {column.column!r} are both mapped to "
                        f"{column.measure} of {column.item!r} at {column.stage or 'the stage'}; "
                        "map one of them.",
                        "column",
                    )
                )
            scores[key] = column.column
    ids = [(n, c.column) for n, c in columns if c.role == "id"]
    if len(ids) > 1:
        problems.append(
            _problem(
                ids[1][0],
                f"{len(ids)} columns are mapped as id ({', '.join(c for _, c in ids)}); map one.",
                "role",
            )
        )


def _problem(
    row: int | None, message: str, column: str | None = None, value: str | None = None
) -> Problem:
    return Problem(rule="invalid_mapping", message=message, row=row, column=column, value=value)
