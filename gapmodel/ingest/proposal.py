"""A proposed mapping for a survey export: what each column most likely holds, and how sure
that guess is.

In this order: gapmodel's own column names; the respondent id (gapmodel's names and the survey
tools'); personal data (by header, then by content); the survey tools' own metadata columns;
scores, from the question text: an expectation or perception cue in the question ("what did
you expect?", "how was it actually?", "(perceived)", 기대 / 실제, 期待 / 実際...), the
sub-question (a matrix row: ``Question - row`` or ``Question [row]``) matched to the
questionnaire's wording with rapidfuzz, and the stage named in the question; then respondent
attributes and free-text comments. When the questionnaire fits few of the scores, a draft of one
is proposed from the file: an item per sub-question, paired across E and P.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process, utils

from gapmodel.core import settings
from gapmodel.core.instrument import Instrument
from gapmodel.core.vocabulary import MAX_NAME, clean_name, stage_label, token
from gapmodel.ingest.attributes import MAX_ATTRIBUTES
from gapmodel.ingest.headers import TIMESTAMP_HEADERS
from gapmodel.ingest.long import is_long
from gapmodel.ingest.mapped import DRAFT_STAGE
from gapmodel.ingest.mapping import MEASURE_LETTERS, MISSING, ColumnMap, Mapping
from gapmodel.ingest.naming import ID_ALIASES, STAGE_ALIASES, ColumnNames, ScoreColumn
from gapmodel.ingest.personal import personal_by_content, personal_by_header, personal_in_text
from gapmodel.ingest.readers import DUPLICATED, RawTable, ReadOptions

MATCH = 80  # rapidfuzz score (0-100) from which a sub-question is taken as an item
SAMPLES = 3
# Words that say which measure a question asks for, in several languages.
CUES = {
    "expectation": re.compile(
        r"expect|erwart|attendu|attente|esperad|expectativ|aspettativ|verwacht|"
        r"desired|ideal|excellent compan|기대|期待|期望|预期",
        re.IGNORECASE,
    ),
    "perception": re.compile(
        r"perceiv|perception|actual|experienc|received|wahrgenommen|erleb|tatsächlich|"
        r"perçu|réel|percibid|real\b|percepit|ervaren|실제|경험|実際|体験|实际|感知",
        re.IGNORECASE,
    ),
    "adequate": re.compile(r"adequate|minimum|acceptable|mindest|최소|最低", re.IGNORECASE),
    "importance": re.compile(r"importan|wichtig|중요|重要", re.IGNORECASE),
}
# Columns the survey tools add about the response, not about the respondent (header tokens).
TOOL_COLUMNS = {
    "startdate",
    "enddate",
    "status",
    "progress",
    "duration_in_seconds",
    "finished",
    "recordeddate",
    "externalreference",
    "externaldatareference",
    "distributionchannel",
    "userlanguage",
    "responseset",
    "response_type",
    "collector_id",
    "start_date",
    "end_date",
    "custom_data_1",
    "submitdate",
    "lastpage",
    "startlanguage",
    "seed",
    "token",
    "datestamp",
    "refurl",
    "interviewtime",
    "q_recaptchascore",
    "q_relevantidduplicate",
    "q_relevantidduplicatescore",
    "q_relevantidfraudscore",
    "q_relevantidlaststartdate",
}
TOOL_IDS = {"responseid", "response_id", "respondent_id", "id", "_recordid", "回答id", "응답_id"}
_SUB_BRACKET = re.compile(r"^(?P<stem>.+?)\s*\[(?P<sub>[^\[\]]+)\]\s*$")
_QUESTION_TAIL = re.compile(r"\s+(?:what|how|which|did|do|were|was|would)\b", re.IGNORECASE)
_NOT_IN_NAME = re.compile(r"[^\w &'-]")  # what a stage name may not hold
_SCORE_TEXT = r"^\s*\d{1,2}(?:[.,]0+)?\s*$"  # a score as a cell writes it: 7, 7.0, 7,0
_NUMERIC = re.compile(r"^\s*\d+(?:[.,]\d+)?\s*$")
_LABELLED = re.compile(r"^\s*(?P<n>\d{1,2})\s*(?:[-–=:.)]\s*\S.*)?$|^.*\((?P<m>\d{1,2})\)\s*$")
_NO_ANSWER = re.compile(
    r"don.?t know|not applicable|prefer not|no answer|no opinion|weiß nicht|keine angabe|"
    r"ne sais pas|no sé|모르겠|해당 없음|わからない|該当なし|不知道|不适用",
    re.IGNORECASE,
)
_CODE_LIKE = re.compile(r"^(?:[A-Za-z]{1,4}\d+(?:[_.]\w+)?|V\d+)$")
_QUESTION_WORDS = re.compile(
    r"^(?:what\s+is\s+your|what's\s+your|which\s+is\s+your|please\s+(?:select|enter|give)\s+"
    r"your|your)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Question:
    """A column's question text split into the block's stem and the sub-question (a matrix
    row), with the measure its cue words name."""

    stem: str
    sub: str
    measure: str | None


def split_question(text: str) -> _Question:
    """The stem, sub-question and measure of a question text.

    Examples
    --------
    >>> q = split_question("Before you bought: what did you expect? - Staff were courteous")
    >>> q.stem, q.sub, q.measure
    ('Before you bought: what did you expect?', 'Staff were courteous', 'expectation')
    >>> split_question("기대: 어떤 서비스를 기대하셨나요? [직원이 친절하다]").sub
    '직원이 친절하다'
    """
    text = clean_name(text)
    match = _SUB_BRACKET.match(text)
    dash = max(text.rfind(" - "), text.rfind(" – "))
    if match:
        stem, sub = match["stem"], match["sub"]
    elif dash > 0:
        stem, sub = text[:dash].strip(), text[dash + 3 :].strip()
    else:
        stem, sub = text, ""
    found = [m for m, cue in CUES.items() if cue.search(stem)]
    if not found and sub:
        found = [m for m, cue in CUES.items() if cue.search(sub)]
    return _Question(stem, sub, found[0] if len(found) == 1 else None)


def propose(table: RawTable, instrument: Instrument, options: ReadOptions | None = None) -> Mapping:
    """A proposed mapping for a file read with :func:`gapmodel.ingest.readers.read_table`.

    Parameters
    ----------
    table : RawTable
    instrument : Instrument
        The questionnaire the scores are matched to; when it fits fewer than half of the
        columns that look like scores, a draft questionnaire is proposed instead.
    options : ReadOptions, optional
        How the file was read (kept in the mapping, so the next wave is read the same way).
    """
    frame = table.frame
    names = ColumnNames(instrument)
    rows, candidates = _roles(table, names)
    for column, _ in [c for c in candidates if not _in_a_block(c, candidates, frame)]:
        candidates = [c for c in candidates if c[0] != column]  # a single question in words
        rows[column] = _other(rows[column], column, rows[column].question, frame[column])
    scored = _match_items(candidates, names)
    if sum(1 for row in scored if row is not None) * 2 < len(candidates):
        scored = _draft(candidates)
    for (column, _), row in zip(candidates, scored, strict=True):
        rows[column] = _merge(rows[column], row) if row else _unmatched(rows[column])
    labels = _labels(frame, [c for c, _ in candidates])
    return Mapping(_capped(rows[c] for c in frame.columns), options or ReadOptions(), labels)


def _roles(
    table: RawTable, names: ColumnNames
) -> tuple[dict[str, ColumnMap], list[tuple[str, _Question]]]:
    """Each column's role where its name or content says it, and the columns whose question
    text and answers look like scores (to be matched to the questionnaire)."""
    rows: dict[str, ColumnMap] = {}
    candidates: list[tuple[str, _Question]] = []
    has_id = False
    for column in table.frame.columns:
        question = table.questions.get(column, column)
        values = table.frame[column]
        base = ColumnMap(
            column, question=question if question != column else "", samples=_samples(values)
        )
        parsed = names.score_column(column)
        if isinstance(parsed, ScoreColumn):
            reason = "gapmodel's own column name"
            rows[column] = _score(base, parsed.stage, parsed.item, parsed.measure, 100, reason)
        elif DUPLICATED.search(column):
            reason = "a second column with the same header: map it only if it asks another question"
            rows[column] = _with(base, role="ignore", confidence=60, reason=reason)
        elif not has_id and _is_id(column, question, values):
            rows[column] = _with(
                base, role="id", confidence=95, reason="the survey's respondent id"
            )
            has_id = True
        elif kind := personal_by_header(column, question, words=False):
            rows[column] = _personal(base, kind)
        elif token(column) in TOOL_COLUMNS | TIMESTAMP_HEADERS or token(question) in TOOL_COLUMNS:
            rows[column] = _with(base, role="ignore", confidence=90, reason="survey-tool metadata")
        elif (split := split_question(question)).measure and _score_like(
            values, table.value_labels.get(column)
        ):
            candidates.append((column, split))
            rows[column] = base
        else:
            kind = personal_by_header(column, question) or personal_by_content(values)
            rows[column] = _personal(base, kind) if kind else _other(base, column, question, values)
    return rows, candidates


def _in_a_block(
    candidate: tuple[str, _Question], candidates: list[tuple[str, _Question]], frame: pl.DataFrame
) -> bool:
    """Whether a column that looks like a score is one: numbers, or answers in words in a block
    of questions (a matrix); one question answered in words ("What is your sex?") is not."""
    column, q = candidate
    filled = frame[column].drop_nulls().head(2000)
    if filled.is_empty() or filled.str.contains(_SCORE_TEXT).sum() * 2 > filled.len():
        return True
    return sum(1 for _, other in candidates if other.stem == q.stem) >= 2


def _unmatched(row: ColumnMap) -> ColumnMap:
    reason = (
        "looks like a score, but matches no item of the questionnaire: fill in stage, item and "
        "measure to use it"
    )
    return _with(row, role="ignore", confidence=30, reason=reason)


def _capped(rows) -> tuple[ColumnMap, ...]:
    """The rows, with attributes beyond the most a wave keeps proposed as ignore."""
    out, attributes = [], 0
    for row in rows:
        if row.role == "attribute":
            attributes += 1
            if attributes > MAX_ATTRIBUTES:
                reason = f"more than {MAX_ATTRIBUTES} attributes: map it instead of another"
                row = _with(row, role="ignore", confidence=40, reason=reason)
        out.append(row)
    return tuple(out)


def _with(base: ColumnMap, **changes: object) -> ColumnMap:
    return ColumnMap(**{**base.__dict__, **changes})


def _personal(base: ColumnMap, kind: str) -> ColumnMap:
    return _with(
        base,
        role="ignore",
        confidence=90,
        reason=f"personal data ({kind}): not stored unless you map it",
    )


def _merge(base: ColumnMap, row: ColumnMap) -> ColumnMap:
    return _with(row, question=base.question, samples=base.samples)


def _score(
    base: ColumnMap, stage: str, item: str, measure: str, confidence: int, reason: str, **extra: str
) -> ColumnMap:
    return _with(
        base,
        role="score",
        stage=stage,
        item=item,
        measure=MEASURE_LETTERS[measure],
        confidence=confidence,
        reason=reason,
        **extra,
    )


def _samples(values: pl.Series) -> str:
    """A few distinct answers, for a person to see what the column holds."""
    seen = values.drop_nulls().head(500).unique(maintain_order=True).head(SAMPLES).to_list()
    return " | ".join(str(v)[:40] for v in seen)


def _is_id(column: str, question: str, values: pl.Series) -> bool:
    """gapmodel's id names, the tools' response-id columns, and only if the values differ."""
    if not ({token(column), token(question)} & (set(ID_ALIASES) | TOOL_IDS)):
        return False
    filled = values.drop_nulls()
    return filled.len() > 0 and filled.n_unique() == filled.len()


def _score_like(values: pl.Series, value_labels: dict[str, str] | None) -> bool:
    """Most answered cells are small whole numbers, or numbered answer texts ("7 - Excellent"),
    or answer texts of few kinds (a rating scale written out)."""
    filled = (
        values.drop_nulls().str.strip_chars().filter(values.drop_nulls().str.strip_chars() != "")
    )
    if filled.is_empty():
        return False
    head = filled.head(2000)
    numbers = head.str.contains(_SCORE_TEXT).sum()
    if numbers * 2 > head.len() or value_labels:
        return True
    return head.n_unique() <= 11


def _labels(frame: pl.DataFrame, columns: list[str]) -> dict[str, int | str | None]:
    """Scores for answer texts in score columns: the number an answer text begins with
    (``7 - Excellent``) or ends with (``Excellent (7)``)."""
    if not columns:
        return {}
    texts = pl.concat([frame[c].drop_nulls().head(5000).str.strip_chars() for c in columns])
    texts = texts.unique()
    labels: dict[str, int | str | None] = {}
    for text in sorted(t for t in texts.to_list() if t and not _NUMERIC.match(t)):
        match = _LABELLED.match(text)
        if match:
            labels[text] = int(match["n"] or match["m"])
        else:  # an answer that means no score, or one for the analyst to score
            labels[text] = MISSING if _NO_ANSWER.search(text) else None
    return labels


def _match_items(
    candidates: list[tuple[str, _Question]], names: ColumnNames
) -> list[ColumnMap | None]:
    """Each candidate's item (its sub-question, or else its stem, matched to the wordings, all
    at once) and stage (named in the stem, or the only stage that asks the item). A tie between
    two wordings is a guess of low confidence."""
    if not candidates:
        return []
    instrument = names.instrument
    wordings = instrument.items["wording"].to_list()
    codes = instrument.codes
    asked = dict(instrument.items.select("code", "stages").iter_rows())
    stage_words = _stage_words(instrument)
    texts = [q.sub or _without_cue(q.stem, q.measure) for _, q in candidates]
    scores = process.cdist(
        texts,
        wordings,
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        dtype=np.uint8,
        workers=-1,
    )
    best = scores.argmax(axis=1)
    top = scores[np.arange(len(texts)), best]
    runner_up = np.sort(scores, axis=1)[:, -2] if len(wordings) > 1 else np.zeros_like(top)
    out: list[ColumnMap | None] = []
    for k, (column, q) in enumerate(candidates):
        by_code = names.item(q.sub) if q.sub else None
        if by_code:
            item, score = by_code, 100
        elif top[k] >= MATCH:
            item, score = codes[best[k]], int(top[k])
        else:
            out.append(None)
            continue
        stage = _stage_in(q.stem, stage_words, asked[item])
        if stage is None:
            reason = f"item from the wording ({score}% alike); the stage is not named in the question: choose it"
            out.append(_score(ColumnMap(column), "", item, q.measure, 40, reason))
            continue
        tied = not by_code and runner_up[k] == top[k]
        reason = (
            f"question text: {MEASURE_LETTERS[q.measure]} of {item!r} ({score}% alike) at "
            f"{stage_label(stage)}"
            + ("; another item's wording is as alike: check it" if tied else "")
        )
        out.append(
            _score(
                ColumnMap(column), stage, item, q.measure, 45 if tied else min(score, 95), reason
            )
        )
    return out


def _stage_words(instrument: Instrument) -> dict[str, list[tuple[str, ...]]]:
    """Stage -> the word sequences that name it (its name, its label, the default short names)."""
    words: dict[str, list[tuple[str, ...]]] = {s: [] for s in instrument.stages}
    for stage in instrument.stages:
        for text in {stage, stage_label(stage)}:
            words[stage].append(tuple(token(text).split("_")))
    for alias, stage in STAGE_ALIASES.items():
        if stage in words:
            words[stage].append(tuple(alias.split("_")))
    return words


def _stage_in(
    text: str, stage_words: dict[str, list[tuple[str, ...]]], asked: list[str]
) -> str | None:
    """The stage a question's text names (the longest name found wins), else the item's only
    stage, else None."""
    if len(asked) == 1:
        return asked[0]
    words = token(text).split("_")
    best, best_len, tied = None, 0, False
    for stage, sequences in stage_words.items():
        if stage not in asked:
            continue
        for seq in sequences:
            n = len(seq)
            if any(tuple(words[k : k + n]) == seq for k in range(len(words) - n + 1)):
                if n > best_len:
                    best, best_len, tied = stage, n, False
                elif n == best_len and stage != best:
                    tied = True
    return None if tied else best


def _without_cue(text: str, measure: str | None) -> str:
    return CUES[measure].sub(" ", text) if measure else text


def _draft(candidates: list[tuple[str, _Question]]) -> list[ColumnMap | None]:
    """A draft questionnaire: one item per sub-question (the E and P columns of a sub-question
    share it, at every stage that asks it); one stage per block of questions, the k-th
    expectation block with the k-th perception block, named by the block's text before its
    colon (a single stage when there is one block per measure); one dimension to rename."""
    blocks: dict[str | None, list[str]] = {}
    texts: dict[str, str] = {}
    for _, q in candidates:
        seen = blocks.setdefault(q.measure, [])
        if _block(q) not in seen:
            seen.append(_block(q))
            texts[_block(q)] = q.stem
    first = blocks.get("expectation") or next(iter(blocks.values()))
    single = max(len(b) for b in blocks.values()) <= 1
    stages = [] if single else _stage_names([texts[b] for b in first])
    codes: dict[str, str] = {}
    out: list[ColumnMap | None] = []
    for column, q in candidates:
        k = blocks[q.measure].index(_block(q))
        stage = DRAFT_STAGE if single else stages[k] if k < len(stages) else f"Stage {k + 1}"
        wording = q.sub or _without_cue(q.stem, q.measure).strip(" :?-")
        code = codes.get(token(wording)) or _code(wording, set(codes.values()), len(codes) + 1)
        codes[token(wording)] = code
        out.append(
            _score(
                ColumnMap(column),
                stage,
                code,
                q.measure,
                50,
                "draft questionnaire: no item of the current questionnaire fits; check the "
                "item, its wording and dimension",
                wording=wording,
                dimension="General",
            )
        )
    return out


def _block(q: _Question) -> str:
    """A block's stem without its cue words: the same for the E and the P block of a stage."""
    return token(_without_cue(q.stem, q.measure))


def _stage_names(stems: list[str]) -> list[str]:
    """A stage name per block: its text before the colon, in the characters a name may have
    (``Before you bought (pre-purchase): what did you expect?`` -> ``Before you bought
    pre-purchase``), else ``Stage k``; each distinct."""
    names: list[str] = []
    for k, stem in enumerate(stems, start=1):
        head = stem.split(":", 1)[0] if ":" in stem else _QUESTION_TAIL.split(stem, 1)[0]
        name = clean_name(_NOT_IN_NAME.sub(" ", head))[:MAX_NAME].strip(" -_'&")
        if not name or not name[0].isalnum() or name in names:
            name = f"Stage {k}"
        names.append(name)
    return names


def _code(wording: str, used: set[str], k: int) -> str:
    """An item code from the wording's first words (letters a-z only), else ``item_k``."""
    words = re.findall(r"[a-z]+", wording.casefold())[:3]
    code = "_".join(words) or f"item_{k}"
    base, n = code, 2
    while code in used:
        code, n = f"{base}_{n}", n + 1
    return code


def _other(base: ColumnMap, column: str, question: str, values: pl.Series) -> ColumnMap:
    """A column that is not a score: an attribute (few distinct values or short ones), a
    comment (free text), or empty."""
    filled = values.drop_nulls().str.strip_chars()
    filled = filled.filter(filled != "")
    if filled.is_empty():
        return _with(base, role="ignore", confidence=95, reason="empty")
    distinct = filled.n_unique()
    length = filled.str.len_chars().mean()
    if length > 40 or (length > 12 and distinct > max(10, filled.len() * 3 // 10)):
        inside = personal_in_text(filled)
        note = f"; some answers contain {inside}" if inside else ""
        return _with(base, role="comment", confidence=80, reason=f"free text, not analysed{note}")
    limit = settings.get("max_filter_values")
    reason = "respondent attribute" + (
        "" if distinct <= limit else f" ({distinct:,} values: stored, not offered as a filter)"
    )
    return _with(
        base,
        role="attribute",
        name=_attribute_name(column, question),
        confidence=80 if distinct <= limit else 50,
        reason=reason,
    )


def _attribute_name(column: str, question: str) -> str:
    """The attribute's name: the column's, unless that is a code (``Q7``, ``V12``,
    ``SEX. What is your sex?``) or a question, and the question says it in fewer words
    (``What is your sex?`` -> ``Sex``; an SPSS variable label such as ``Age band``)."""
    name = clean_name(column)
    text = clean_name(question or column)
    short = _QUESTION_WORDS.sub("", text).rstrip(" ?:.!")
    coded = _CODE_LIKE.match(name) or len(name) <= 3 or ". " in name
    asked = name.endswith("?") or _QUESTION_WORDS.match(name)
    labelled = text != name and len(text) <= 30 and "?" not in text
    if short and len(short) <= MAX_NAME and (coded or asked or labelled):
        return short[0].upper() + short[1:]
    return name[:MAX_NAME]


def in_own_layout(columns: list[str], instrument: Instrument) -> bool:
    """Whether a file's columns are named as gapmodel reads them without a mapping: a score
    column of the questionnaire, or the long layout's stage and item."""
    if is_long(columns):
        return True
    names = ColumnNames(instrument)
    return any(isinstance(names.score_column(c), ScoreColumn) for c in columns)
