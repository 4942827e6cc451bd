"""Where a table's header is, and what the survey tool that wrote it put around it.

Survey tools export more than one header row: Qualtrics writes the column ids, then the question
texts, then ``{"ImportId": ...}`` (older Qualtrics: ``V1, V2, ...`` then the texts);
SurveyMonkey writes the questions, then the sub-questions under them; LimeSurvey and Google Forms
write one row. Spreadsheets add title rows above the header. This module finds the header row,
the rows of header text under it, and names every column by its header and its question text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gapmodel.core.vocabulary import token

LOOK_AT = 30  # rows looked at to find the header
_NUMBER = re.compile(r"\s*[-+]?\d+(?:[.,]\d+)?\s*")
TIMESTAMP_HEADERS = {
    "timestamp",
    "zeitstempel",
    "horodateur",
    "marca_temporal",
    "marca_de_temporal",
    "carimbo_de_data_hora",
    "타임스탬프",
    "タイムスタンプ",
    "时间戳记",
    "时间戳",
}
_SURVEYMONKEY_ANSWER = {"response", "open_ended_response", "other_please_specify"}


@dataclass(frozen=True)
class Header:
    """A table's header.

    Attributes
    ----------
    row : int
        The header row, counted from 0 among the rows looked at.
    text_rows : int
        Rows under the header that are header text too (question texts, import ids).
    tool : str or None
        The survey tool whose layout this is (``Qualtrics``, ``SurveyMonkey``, ...).
    names : list of str
        Each column's name (the header cell; for SurveyMonkey the question and sub-question).
    questions : list of str
        Each column's question text, where the file gives one, else its name.
    """

    row: int
    text_rows: int
    tool: str | None
    names: list[str]
    questions: list[str]

    @property
    def first_data_row(self) -> int:
        """The first data row, counted from 0."""
        return self.row + 1 + self.text_rows


def _cell(value: object) -> str:
    return "" if value is None else str(value).strip()


def _filled(row: list[object]) -> int:
    return sum(1 for value in row if _cell(value))


def header_row(rows: list[list[object]]) -> int:
    """The first row that fills at least half as many cells as the fullest row (title rows above
    a header fill one or two), or 0.

    Examples
    --------
    >>> header_row([["Survey export"], [], ["id", "a.E", "a.P"], ["R1", "5", "6"]])
    2
    """
    counts = [_filled(r) for r in rows[:LOOK_AT]]
    if not counts:
        return 0
    needed = max(2, (max(counts) + 1) // 2)
    for k, count in enumerate(counts):
        if count >= needed:
            cells = [_cell(v) for v in rows[k] if _cell(v)]
            if sum(1 for c in cells if _NUMBER.fullmatch(c)) * 2 <= len(cells):
                return k
            return 0  # the first full row is data: the file has no title rows
    return 0


def find_header(rows: list[list[object]], row: int | None = None) -> Header:
    """The header of a table given its first rows (cells as text or None).

    Parameters
    ----------
    rows : list of list
        The first rows of the table, as read, header included.
    row : int, optional
        The header row (from 0) when the analyst names it; else it is found.
    """
    if row is None:
        row = next((k for k, r in enumerate(rows[:LOOK_AT]) if _tool_header(r)), None)
    at = header_row(rows) if row is None else row
    names = [_cell(v) for v in rows[at]] if at < len(rows) else []
    below = [[_cell(v) for v in r] for r in rows[at + 1 : at + 3]]
    below += [[]] * (2 - len(below))
    width = len(names)
    below = [r + [""] * (width - len(r)) for r in below]
    tokens = {token(n) for n in names if n}
    texts = _texts_below(names, below[0])
    if tokens & {"responseid", "response_id"} or {"startdate", "enddate"} <= tokens:
        if any(c.startswith('{"ImportId"') for c in below[1]):
            return Header(at, 2, "Qualtrics", names, _or_names(below[0], names))
        if texts and "V1" not in names:  # the question texts' row, unless it was deleted
            return Header(at, 1, "Qualtrics", names, _or_names(below[0], names))
    if names[:2] == ["V1", "V2"]:
        return Header(
            at,
            int(texts),
            "Qualtrics (legacy)",
            names,
            _or_names(below[0], names) if texts else list(names),
        )
    if {"respondent_id", "collector_id"} <= tokens:
        at_id = [token(n) for n in names].index("respondent_id")
        if not below[0][at_id]:  # the sub-questions' row leaves the id column empty
            joined = _surveymonkey_names(names, below[0])
            return Header(at, 1, "SurveyMonkey", joined, joined)
        return Header(at, 0, "SurveyMonkey", names, list(names))
    if {"submitdate", "lastpage"} <= tokens or {"submitdate", "startlanguage"} <= tokens:
        return Header(at, 0, "LimeSurvey", names, [_limesurvey_text(n) for n in names])
    if names and token(names[0]) in TIMESTAMP_HEADERS:
        return Header(at, 0, "Google Forms", names, list(names))
    return Header(at, 0, None, names, list(names))


def _texts_below(names: list[str], below: list[str]) -> bool:
    """Whether the row under a Qualtrics header holds the question texts (``Response ID``
    under ``ResponseId``, ``Start Date`` under ``StartDate``, ``ResponseID`` under ``V1``), not
    the first answers."""
    pairs = {"responseid": "response_id", "startdate": "start_date", "v1": "responseid"}
    return any(
        token(below[k]) in (pairs[token(n)], token(n))
        for k, n in enumerate(names)
        if token(n) in pairs and k < len(below) and below[k]
    )


def _tool_header(row: list[object]) -> bool:
    """Whether a row is the first header row of a survey tool's export."""
    tokens = {token(_cell(v)) for v in row if _cell(v)}
    if [_cell(v) for v in row[:2]] == ["V1", "V2"]:  # older Qualtrics
        return True
    return bool(
        {"respondent_id", "collector_id"} <= tokens
        or {"responseid", "startdate"} <= tokens
        or {"submitdate", "lastpage"} <= tokens
    )


def _or_names(texts: list[str], names: list[str]) -> list[str]:
    return [text or name for text, name in zip(texts, names, strict=False)]


def _surveymonkey_names(questions: list[str], answers: list[str]) -> list[str]:
    """SurveyMonkey's two header rows as one name per column: the question (carried over the
    empty cells of a matrix), then `` - `` and the sub-question, unless that only says
    ``Response``."""
    out, current = [], ""
    for question, answer in zip(questions, answers, strict=False):
        current = question or current
        if answer and token(answer) not in _SURVEYMONKEY_ANSWER:
            out.append(f"{current} - {answer}" if current else answer)
        else:
            out.append(current if question else "")
    return out


def _limesurvey_text(name: str) -> str:
    """The question text of a LimeSurvey header ``CODE[SQ]. Question text [sub-question]``
    (exports with codes only give the code)."""
    match = re.match(r"^[A-Za-z][\w\[\]]*\.\s+(.+)$", name)
    return match[1] if match else name
