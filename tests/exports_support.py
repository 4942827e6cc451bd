"""Survey-tool export files built in memory, with the answers they hold, for the import tests.

Each builder draws one wave of answers to the questionnaire (``data/instrument.csv``, or the
small Korean and Japanese questionnaires of this module) and writes it as a survey tool exports
it: Qualtrics (current and legacy CSV, SPSS), SurveyMonkey, LimeSurvey, Google Forms (English,
Korean in CP949, Japanese in Shift-JIS) and a workbook with a title block. The builder returns
the file's bytes with the truth: the long answers, the respondent attributes, the columns that
hold personal data and the respondent ids as written in the file.

The same arguments give the same file; ``wave=2`` gives the same headers with other answers
and other respondent ids.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pyreadstat
import xlsxwriter

INSTRUMENT_PATH = Path(__file__).resolve().parents[1] / "data" / "instrument.csv"
DEFAULT_STAGES: tuple[str, ...] = ("pre_purchase", "encounter", "post_purchase")
DEFAULT_ITEMS = 6
MISSING = 0.03  # share of scores skipped, at random

# How the questions name the stages, and the cue words of the expectation and perception blocks.
STAGE_TEXT: dict[str, str] = {
    "pre_purchase": "Before you bought (pre-purchase)",
    "encounter": "During the service (service encounter)",
    "post_purchase": "After the purchase (post-purchase)",
}
CUES: tuple[str, str] = ("what did you expect?", "how was it actually?")
SEX_QUESTION = "What is your sex?"
AGE_QUESTION = "Your age band"
COMMENT_QUESTION = "Anything else you want to tell us?"

SEXES: tuple[str, ...] = ("Female", "Male", "Diverse")
AGE_BANDS: tuple[str, ...] = ("18-29", "30-49", "50-64", "65+")
ATTRIBUTES: dict[str, tuple[str, ...]] = {"Sex": SEXES, "Age band": AGE_BANDS}

# The choice texts of the 1-7 scale, as Qualtrics writes them with "use choice text".
QUALTRICS_LABELS: dict[str, int] = {
    "Very poor": 1,
    "Poor": 2,
    "Fair": 3,
    "Good": 4,
    "Very good": 5,
    "Excellent": 6,
    "Outstanding": 7,
}
SCORE_LABELS: dict[int, str] = {v: k for k, v in QUALTRICS_LABELS.items()}

KOREAN_STAGE = "매장 방문"
KOREAN_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("k1", "직원이 친절하다", "공감"),
    ("k2", "대기 시간이 짧다", "신속성"),
    ("k3", "설명이 이해하기 쉽다", "신뢰성"),
    ("k4", "문제가 한 번에 해결된다", "신뢰성"),
    ("k5", "매장이 깨끗하다", "유형성"),
)
KOREAN_CUES: tuple[str, str] = ("기대: 어떤 서비스를 기대하셨나요?", "실제: 실제로 어떠셨나요?")
KOREAN_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "성별": ("여성", "남성"),
    "연령대": ("20대", "30대", "40대", "50대 이상"),
}

JAPANESE_STAGE = "店舗来店"
JAPANESE_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("j1", "スタッフが親切だ", "共感性"),
    ("j2", "待ち時間が短い", "迅速性"),
    ("j3", "説明がわかりやすい", "信頼性"),
    ("j4", "問題が一度で解決する", "信頼性"),
    ("j5", "店内が清潔だ", "有形性"),
)
JAPANESE_CUES: tuple[str, str] = (
    "期待: どのようなサービスを期待しましたか？",
    "実際: 実際はどうでしたか？",
)
JAPANESE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "性別": ("女性", "男性"),
    "年代": ("20代", "30代", "40代", "50代以上"),
}

_ALPHANUMERIC = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_FIRST_NAMES = ("Anna", "Luca", "Mia", "Noah", "Léa", "Jonas", "Sofia", "Elias", "Emma", "Marco")
_LAST_NAMES = ("Berg", "Müller", "Meier", "Keller", "Rossi", "Weber", "Huber", "Frei", "Brunner")
_ASCII = str.maketrans({"ü": "ue", "é": "e", "ö": "oe", "ä": "ae"})
_COMMENTS = (
    "Friendly staff, but the checkout took ages.",
    'The "express" lane was closed, so I waited 20 minutes.',
    "Please call me back on +41 44 668 18 00 about my refund.",
    "Nothing to add.",
    "Delivery was late;\nthe driver was polite though.",
    "You can reach me at 079 123 45 67 if you need details.",
    "Great service, thank you!",
)
_LIMESURVEY_STAGES = {"pre_purchase": "PRE", "encounter": "ENC", "post_purchase": "POST"}
_QUALTRICS_META: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "America/Denver"}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "America/Denver"}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "America/Denver"}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
)
QUALTRICS_PERSONAL = (
    "IPAddress",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "LocationLatitude",
    "LocationLongitude",
)


@dataclass(frozen=True)
class Export:
    """One export file and what it holds.

    Attributes
    ----------
    data : bytes
        The file's bytes.
    filename : str
        Its name, as the tool would name it.
    truth : pl.DataFrame
        The answers, long: ``respondent`` (Int64, 1..n in file order), ``stage``, ``item``,
        ``expectation``, ``perception`` (Int64, null when the respondent skipped it); one row
        per respondent, stage and item.
    attributes : pl.DataFrame
        ``respondent`` (1..n) and one String column per respondent attribute, named by the
        attribute's display name (``Sex``, ``Age band``).
    personal : tuple of str
        Header texts (as in the file's first header row) of the columns holding personal data.
    ids : list of str or None
        The respondent ids as written in the file; None when the file has no id column.
    """

    data: bytes
    filename: str
    truth: pl.DataFrame
    attributes: pl.DataFrame
    personal: tuple[str, ...]
    ids: list[str] | None


@dataclass(frozen=True)
class _Sample:
    """One wave of drawn answers: ``scores[r, s, i, m]`` (m 0 expectation, 1 perception; 0 when
    skipped) and the attribute values by display name; ``rng`` draws the rest of the file."""

    stages: tuple[str, ...]
    codes: tuple[str, ...]
    wordings: tuple[str, ...]
    scores: np.ndarray
    attributes: dict[str, list[str]]
    rng: np.random.Generator
    wave: int

    @property
    def n(self) -> int:
        return self.scores.shape[0]

    def by_block(self, r: int) -> list[int]:
        """Respondent ``r``'s scores in block order: stage, then measure, then item."""
        return self.scores[r].transpose(0, 2, 1).ravel().tolist()

    def by_pair(self, r: int) -> list[int]:
        """Respondent ``r``'s scores in pair order: stage, then item, then measure."""
        return self.scores[r].ravel().tolist()

    def blocks(self) -> list[tuple[str, int]]:
        """The (stage, measure) matrices in file order."""
        return [(stage, m) for stage in self.stages for m in (0, 1)]


# --- the questionnaires ---------------------------------------------------------------------


def _instrument_items() -> pl.DataFrame:
    """The items of ``data/instrument.csv``: ``code, wording, stages`` (stages a list)."""
    items = pl.read_csv(INSTRUMENT_PATH, infer_schema=False)
    return items.select("code", "wording", pl.col("stages").str.split("|"))


def _choose(
    items: Sequence[str] | None, stages: Sequence[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The chosen item codes, their wordings and the chosen stages, checked."""
    table = _instrument_items()
    codes = tuple(items) if items is not None else tuple(table["code"][:DEFAULT_ITEMS])
    stages = tuple(stages) if stages is not None else DEFAULT_STAGES
    rows = {row["code"]: row for row in table.iter_rows(named=True)}
    for code in codes:
        if code not in rows:
            raise ValueError(f"{code!r} is not an item of {INSTRUMENT_PATH.name}")
        if not set(stages) <= set(rows[code]["stages"]) or not set(stages) <= set(STAGE_TEXT):
            raise ValueError(f"{code!r} is not asked at all of {stages}")
    return codes, tuple(rows[c]["wording"] for c in codes), stages


def _local_items(
    table: tuple[tuple[str, str, str], ...], items: Sequence[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Item codes and wordings chosen from one of this module's small questionnaires."""
    wordings = {code: wording for code, wording, _ in table}
    codes = tuple(items) if items is not None else tuple(wordings)
    unknown = [c for c in codes if c not in wordings]
    if unknown:
        raise ValueError(f"unknown items {unknown}; the questionnaire has {list(wordings)}")
    return codes, tuple(wordings[c] for c in codes)


def _instrument_csv(table: tuple[tuple[str, str, str], ...], stage: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["code", "wording", "dimension", "stages"])
    writer.writerows([code, wording, dimension, stage] for code, wording, dimension in table)
    return buffer.getvalue().encode("utf-8")


def korean_instrument_csv() -> bytes:
    """The questionnaire of :func:`google_forms_korean`, as an instrument file (UTF-8).

    Returns
    -------
    bytes
        CSV with ``code, wording, dimension, stages``: items ``k1..k5`` with Korean wordings
        and dimensions, all asked at the one stage ``매장 방문``.
    """
    return _instrument_csv(KOREAN_ITEMS, KOREAN_STAGE)


def japanese_instrument_csv() -> bytes:
    """The questionnaire of :func:`japanese_sjis`, as an instrument file (UTF-8).

    Returns
    -------
    bytes
        CSV with ``code, wording, dimension, stages``: items ``j1..j5`` with Japanese wordings
        and dimensions, all asked at the one stage ``店舗来店``.
    """
    return _instrument_csv(JAPANESE_ITEMS, JAPANESE_STAGE)


# --- drawing the answers --------------------------------------------------------------------


def _scores(rng: np.random.Generator, n: int, n_stages: int, n_items: int) -> np.ndarray:
    """Integer scores 1..7, shape ``(n, stages, items, 2)``; about 3 % set to 0 (skipped).
    Expectations run high, perceptions a little lower, both with a respondent effect."""
    shape = (n, n_stages, n_items)
    person = rng.normal(0.0, 0.6, (n, 1, 1))
    expect = rng.uniform(5.0, 6.3, (1, n_stages, n_items)) + person + rng.normal(0, 0.9, shape)
    gap = rng.uniform(0.2, 1.4, (1, n_stages, n_items))
    perceive = expect - gap + rng.normal(0.0, 1.1, shape)
    scores = np.clip(np.rint(np.stack([expect, perceive], axis=-1)), 1, 7).astype(np.int64)
    scores[rng.random(scores.shape) < MISSING] = 0
    return scores


def _sample(
    codes: tuple[str, ...],
    wordings: tuple[str, ...],
    stages: tuple[str, ...],
    attributes: dict[str, tuple[str, ...]],
    n: int,
    seed: int,
    wave: int,
) -> _Sample:
    if n < 1 or wave < 1:
        raise ValueError("n and wave must be at least 1")
    rng = np.random.default_rng([seed, wave])
    scores = _scores(rng, n, len(stages), len(codes))
    drawn = {name: rng.choice(values, n).tolist() for name, values in attributes.items()}
    return _Sample(stages, codes, wordings, scores, drawn, rng, wave)


def _truth(sample: _Sample) -> pl.DataFrame:
    n, n_stages, n_items, _ = sample.scores.shape
    flat = sample.scores.reshape(-1, 2)
    frame = pl.DataFrame(
        {
            "respondent": np.repeat(np.arange(1, n + 1), n_stages * n_items),
            "stage": np.tile(np.repeat(sample.stages, n_items), n).tolist(),
            "item": np.tile(sample.codes, n * n_stages).tolist(),
            "expectation": flat[:, 0],
            "perception": flat[:, 1],
        }
    )
    scores = [pl.when(pl.col(c) > 0).then(pl.col(c)) for c in ("expectation", "perception")]
    return frame.with_columns(*scores).cast(
        {"respondent": pl.Int64, "expectation": pl.Int64, "perception": pl.Int64}
    )


def _attributes(sample: _Sample) -> pl.DataFrame:
    columns = {name: pl.Series(name, v, dtype=pl.String) for name, v in sample.attributes.items()}
    return pl.DataFrame(
        {"respondent": pl.Series(range(1, sample.n + 1), dtype=pl.Int64)}
    ).with_columns(**columns)


def _export(
    sample: _Sample, data: bytes, filename: str, personal: Sequence[str], ids: list[str] | None
) -> Export:
    return Export(data, filename, _truth(sample), _attributes(sample), tuple(personal), ids)


def _times(sample: _Sample) -> list[datetime]:
    """Start times in file order: the first at 09:12:44 on the wave's first day, then on."""
    first = datetime(2026, 10, 3, 9, 12, 44) + timedelta(days=154 * (sample.wave - 1))
    gaps = np.concatenate([[0.0], sample.rng.exponential(4 * 3600, sample.n - 1)])
    return [first + timedelta(seconds=int(s)) for s in np.cumsum(gaps)]


def _durations(sample: _Sample) -> list[int]:
    return sample.rng.integers(140, 1300, sample.n).tolist()


def _ips(sample: _Sample) -> list[str]:
    octets = sample.rng.integers(1, 255, (sample.n, 2))
    return [f"84.17.{a}.{b}" for a, b in octets]


def _names(sample: _Sample) -> tuple[list[str], list[str], list[str]]:
    """First names, last names and their e-mail addresses (``anna.berg@example.com``)."""
    first = sample.rng.choice(_FIRST_NAMES, sample.n).tolist()
    last = sample.rng.choice(_LAST_NAMES, sample.n).tolist()
    mail = [
        f"{f}.{s}@example.com".lower().translate(_ASCII) for f, s in zip(first, last, strict=True)
    ]
    return first, last, mail


def _response_ids(sample: _Sample) -> list[str]:
    """Qualtrics response ids: ``R_`` and 15 letters and digits."""
    chars = sample.rng.choice(_ALPHANUMERIC, (sample.n, 15))
    return ["R_" + "".join(row) for row in chars]


def _comments(sample: _Sample) -> list[str]:
    """An open comment for about a third of the respondents, some with a phone number."""
    picks = sample.rng.integers(0, len(_COMMENTS), sample.n)
    given = sample.rng.random(sample.n) < 0.35
    return [_COMMENTS[p] if g else "" for p, g in zip(picks, given, strict=True)]


# --- writing the files ----------------------------------------------------------------------


def _csv(rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> bytes:
    """CSV bytes (minimal quoting, CRLF line ends as the tools write them)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def _cells(scores: Sequence[int], write: Callable[[int], str] = str) -> list[str]:
    """Score cells: skipped scores empty."""
    return [write(v) if v else "" for v in scores]


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _hour12(t: datetime) -> int:
    return t.hour % 12 or 12


def _stem(stage: str, measure: int) -> str:
    return f"{STAGE_TEXT[stage]}: {CUES[measure]}"


def _qualtrics_ids(sample: _Sample) -> list[str]:
    """Qualtrics column ids: ``Q{m}_{j}`` per matrix and item, then the two attributes."""
    k = len(sample.codes)
    ids = [f"Q{m}_{j}" for m in range(1, len(sample.blocks()) + 1) for j in range(1, k + 1)]
    return [*ids, f"Q{2 * len(sample.stages) + 1}", f"Q{2 * len(sample.stages) + 2}"]


def _matrix_texts(sample: _Sample, join: str = " - ") -> list[str]:
    return [_stem(s, m) + join + w for s, m in sample.blocks() for w in sample.wordings]


def _qualtrics_header(sample: _Sample) -> list[list[str]]:
    """The three header rows of a current Qualtrics export."""
    questions = _qualtrics_ids(sample)
    comment_id = f"Q{2 * len(sample.stages) + 3}"
    ids = [m[0] for m in _QUALTRICS_META] + questions + [comment_id]
    texts = [m[1] for m in _QUALTRICS_META] + _matrix_texts(sample)
    texts += [SEX_QUESTION, AGE_QUESTION, COMMENT_QUESTION]
    imports = [m[2] for m in _QUALTRICS_META]
    imports += [{"ImportId": "QID" + q[1:]} for q in questions]
    imports.append({"ImportId": f"QID{comment_id[1:]}_TEXT"})
    return [ids, texts, [json.dumps(i, separators=(",", ":")) for i in imports]]


def _grid_texts(sample: _Sample, cues: Sequence[str] | None = None) -> list[str]:
    """Grid question texts ``{question} [{wording}]``: per stage the two cues' questions when
    ``cues`` is None, else the given cues (a one-stage questionnaire)."""
    questions = [_stem(s, m) for s, m in sample.blocks()] if cues is None else list(cues)
    return [f"{q} [{w}]" for q in questions for w in sample.wordings]


def _attribute_cells(sample: _Sample, r: int) -> list[str]:
    return [values[r] for values in sample.attributes.values()]


# --- the builders ---------------------------------------------------------------------------


def qualtrics(
    *,
    items: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    n: int = 60,
    seed: int = 0,
    wave: int = 1,
    choice_text: bool = False,
) -> Export:
    """A current Qualtrics CSV export: UTF-8 with BOM and three header rows.

    Parameters
    ----------
    items : sequence of str, optional
        Item codes of ``data/instrument.csv``; the first six by default.
    stages : sequence of str, optional
        Stage codes, in the order asked; all three by default.
    n : int
        Respondents.
    seed : int
        Seed of the draw (with ``wave``).
    wave : int
        1, 2, ...: the same headers, other answers and other response ids.
    choice_text : bool
        Write the scores (and Status, Finished) as choice text (``"Very poor"`` ..
        ``"Outstanding"``, see :data:`QUALTRICS_LABELS`) instead of numbers.

    Returns
    -------
    Export
        Row 1 holds the column ids (``StartDate`` .. ``UserLanguage``, ``Q1_1`` .. per matrix,
        ``Q7`` sex, ``Q8`` age band and ``Q9`` an open comment, for three stages), row 2 the
        question texts (``"{stage}: what did you expect? - {wording}"``), row 3 the import ids
        as JSON. The comment sometimes holds a phone number.

    Notes
    -----
    Sex and age band are written as choice text in both modes.
    """
    sample = _sample(*_choose(items, stages), ATTRIBUTES, n, seed, wave)
    starts, durations, ips = _times(sample), _durations(sample), _ips(sample)
    first, last, mail = _names(sample)
    ids, comments = _response_ids(sample), _comments(sample)
    latitude = sample.rng.normal(47.3769, 0.03, n)
    longitude = sample.rng.normal(8.5417, 0.05, n)
    write = SCORE_LABELS.__getitem__ if choice_text else str
    status, finished = ("IP Address", "True") if choice_text else ("0", "1")
    rows = _qualtrics_header(sample)
    for r in range(n):
        end = starts[r] + timedelta(seconds=durations[r])
        meta = [_iso(starts[r]), _iso(end), status, ips[r], "100", str(durations[r]), finished]
        meta += [_iso(end + timedelta(seconds=1)), ids[r], last[r], first[r], mail[r], ""]
        meta += [f"{latitude[r]:.4f}", f"{longitude[r]:.4f}", "anonymous", "EN"]
        answers = _cells(sample.by_block(r), write) + _attribute_cells(sample, r)
        rows.append([*meta, *answers, comments[r]])
    name = f"qualtrics-wave{wave}{'-choice-text' if choice_text else ''}.csv"
    return _export(sample, _csv(rows, "utf-8-sig"), name, QUALTRICS_PERSONAL, ids)


def qualtrics_legacy(
    *,
    items: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    n: int = 60,
    seed: int = 0,
    wave: int = 1,
) -> Export:
    """A legacy Qualtrics CSV export: two header rows, the meta columns named ``V1`` .. ``V10``.

    Parameters
    ----------
    items, stages, n, seed, wave
        As for :func:`qualtrics`.

    Returns
    -------
    Export
        Row 1 ``V1`` .. ``V10`` (ResponseID, ResponseSet, Name, ExternalDataReference,
        EmailAddress, IPAddress, Status, StartDate, EndDate, Finished), then ``Q1_1`` .. and
        the two attributes; row 2 the question texts. Personal: ``V3``, ``V5``, ``V6``.
    """
    sample = _sample(*_choose(items, stages), ATTRIBUTES, n, seed, wave)
    starts, durations, ips = _times(sample), _durations(sample), _ips(sample)
    first, last, mail = _names(sample)
    ids = _response_ids(sample)
    meta_texts = ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress"]
    meta_texts += ["IPAddress", "Status", "StartDate", "EndDate", "Finished"]
    rows = [
        [f"V{k}" for k in range(1, 11)] + _qualtrics_ids(sample),
        meta_texts + _matrix_texts(sample) + [SEX_QUESTION, AGE_QUESTION],
    ]
    for r in range(n):
        end = starts[r] + timedelta(seconds=durations[r])
        meta = [ids[r], "Default Response Set", f"{last[r]}, {first[r]}", "", mail[r], ips[r]]
        meta += ["0", _iso(starts[r]), _iso(end), "1"]
        rows.append(meta + _cells(sample.by_block(r)) + _attribute_cells(sample, r))
    return _export(sample, _csv(rows), f"qualtrics-legacy-wave{wave}.csv", ("V3", "V5", "V6"), ids)


def surveymonkey(
    *,
    items: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    n: int = 60,
    seed: int = 0,
    wave: int = 1,
) -> Export:
    """A SurveyMonkey CSV export (UTF-8, no BOM): two header rows.

    Parameters
    ----------
    items, stages, n, seed, wave
        As for :func:`qualtrics`.

    Returns
    -------
    Export
        Row 1 the meta columns (``Respondent ID`` .. ``Custom Data 1``), then each matrix's
        stem (``"{stage}: what did you expect?"``) over its first column and empty cells over
        the rest, then the two attribute questions; row 2 empty over the meta columns, the
        wording over each matrix column and ``Response`` under single questions. Scores as
        ``"7 - Outstanding"``; respondent ids of 11 digits.
    """
    sample = _sample(*_choose(items, stages), ATTRIBUTES, n, seed, wave)
    starts, durations, ips = _times(sample), _durations(sample), _ips(sample)
    first, last, mail = _names(sample)
    start = 11_400_000_000 + 300_000_000 * (wave - 1)
    ids = [str(i) for i in start + np.cumsum(sample.rng.integers(900, 90_000, n))]
    meta = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address"]
    meta += ["Email Address", "First Name", "Last Name", "Custom Data 1"]
    stems = [[_stem(s, m)] + [""] * (len(sample.codes) - 1) for s, m in sample.blocks()]
    rows = [
        meta + [text for stem in stems for text in stem] + [SEX_QUESTION, AGE_QUESTION],
        [""] * len(meta) + list(sample.wordings) * len(stems) + ["Response", "Response"],
    ]
    stamp = "%m/%d/%Y %I:%M:%S %p"
    for r in range(n):
        end = starts[r] + timedelta(seconds=durations[r])
        cells = [ids[r], "431067295", starts[r].strftime(stamp), end.strftime(stamp), ips[r]]
        cells += [mail[r], first[r], last[r], ""]
        scores = _cells(sample.by_block(r), lambda v: f"{v} - {SCORE_LABELS[v]}")
        rows.append(cells + scores + _attribute_cells(sample, r))
    personal = ("IP Address", "Email Address", "First Name", "Last Name")
    return _export(sample, _csv(rows), f"surveymonkey-wave{wave}.csv", personal, ids)


def limesurvey(
    *,
    items: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    n: int = 60,
    seed: int = 0,
    wave: int = 1,
) -> Export:
    """A LimeSurvey CSV export with "question code & question text" headers (one header row).

    Parameters
    ----------
    items, stages, n, seed, wave
        As for :func:`qualtrics`.

    Returns
    -------
    Export
        Columns ``id, submitdate, lastpage, startlanguage, seed, token, ipaddr``, then
        ``EXPPRE[SQ001]. {stage}: what did you expect? [{wording}]``, ``PERPRE[SQ001]. ..``
        per stage (``PRE``, ``ENC``, ``POST``), ``SEX. What is your sex?`` and
        ``AGE. Your age band``. Ids ``1..n`` in wave 1, ``n+1..2n`` in wave 2 (and so on).
    """
    sample = _sample(*_choose(items, stages), ATTRIBUTES, n, seed, wave)
    starts, durations, ips = _times(sample), _durations(sample), _ips(sample)
    seeds = sample.rng.integers(100_000_000, 2_000_000_000, n)
    questions = [
        f"{('EXP', 'PER')[m]}{_LIMESURVEY_STAGES[s]}[SQ{j:03d}]. {_stem(s, m)} [{w}]"
        for s, m in sample.blocks()
        for j, w in enumerate(sample.wordings, start=1)
    ]
    meta = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "ipaddr"]
    rows = [meta + questions + [f"SEX. {SEX_QUESTION}", f"AGE. {AGE_QUESTION}"]]
    ids = [str(n * (wave - 1) + r + 1) for r in range(n)]
    for r in range(n):
        submitted = _iso(starts[r] + timedelta(seconds=durations[r]))
        cells = [ids[r], submitted, "3", "en", str(seeds[r]), "", ips[r]]
        rows.append(cells + _cells(sample.by_block(r)) + _attribute_cells(sample, r))
    name = f"results-survey{482915 + wave}.csv"
    return _export(sample, _csv(rows), name, ("ipaddr",), ids)


def google_forms(
    *,
    items: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    n: int = 60,
    seed: int = 0,
    wave: int = 1,
    email: bool = False,
) -> Export:
    """A Google Forms response sheet downloaded as CSV (UTF-8): one header row, no id column.

    Parameters
    ----------
    items, stages, n, seed, wave
        As for :func:`qualtrics`.
    email : bool
        Whether the form collected e-mail addresses (an ``Email Address`` column, personal).

    Returns
    -------
    Export
        ``Timestamp`` (``2026/10/03 9:12:44 AM GMT+1``), maybe ``Email Address``, the grid
        questions ``"{stage}: what did you expect? [{wording}]"`` and
        ``"{stage}: how was it actually? [{wording}]"``, the two attribute questions.
    """
    sample = _sample(*_choose(items, stages), ATTRIBUTES, n, seed, wave)
    starts = _times(sample)
    _, _, mail = _names(sample)
    head = ["Timestamp", "Email Address"] if email else ["Timestamp"]
    rows = [head + _grid_texts(sample) + [SEX_QUESTION, AGE_QUESTION]]
    for r, t in enumerate(starts):
        stamp = f"{t:%Y/%m/%d} {_hour12(t)}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'} GMT+1"
        cells = [stamp, mail[r]] if email else [stamp]
        rows.append(cells + _cells(sample.by_block(r)) + _attribute_cells(sample, r))
    name = f"Customer survey wave {wave} (Responses) - Form Responses 1.csv"
    return _export(sample, _csv(rows), name, ("Email Address",) if email else (), None)


def google_forms_korean(
    *, items: Sequence[str] | None = None, n: int = 60, seed: int = 0, wave: int = 1
) -> Export:
    """A Korean Google Forms response sheet saved as CP949: one stage, no id column.

    Parameters
    ----------
    items : sequence of str, optional
        Codes of :func:`korean_instrument_csv` (``k1`` .. ``k5``); all five by default.
    n, seed, wave
        As for :func:`qualtrics`.

    Returns
    -------
    Export
        ``타임스탬프`` (``2026. 10. 3 오전 9:12:44``), ``"기대: 어떤 서비스를 기대하셨나요?
        [{wording}]"`` and ``"실제: 실제로 어떠셨나요? [{wording}]"`` per item, ``성별`` and
        ``연령대``; the truth's stage is ``매장 방문``.
    """
    codes, wordings = _local_items(KOREAN_ITEMS, items)
    sample = _sample(codes, wordings, (KOREAN_STAGE,), KOREAN_ATTRIBUTES, n, seed, wave)
    rows = [["타임스탬프", *_grid_texts(sample, KOREAN_CUES), *KOREAN_ATTRIBUTES]]
    for r, t in enumerate(_times(sample)):
        stamp = f"{t.year}. {t.month}. {t.day} {'오전' if t.hour < 12 else '오후'} "
        stamp += f"{_hour12(t)}:{t:%M:%S}"
        rows.append([stamp, *_cells(sample.by_block(r)), *_attribute_cells(sample, r)])
    name = f"고객 설문 {wave}차 (응답) - 설문지 응답 시트1.csv"
    return _export(sample, _csv(rows, "cp949"), name, (), None)


def japanese_sjis(
    *, items: Sequence[str] | None = None, n: int = 60, seed: int = 0, wave: int = 1
) -> Export:
    """A Japanese form export saved as Shift-JIS (CP932): one stage, a ``回答ID`` column.

    Parameters
    ----------
    items : sequence of str, optional
        Codes of :func:`japanese_instrument_csv` (``j1`` .. ``j5``); all five by default.
    n, seed, wave
        As for :func:`qualtrics`.

    Returns
    -------
    Export
        ``回答ID`` (``J0001`` ..; ``J5001`` .. in wave 2), ``タイムスタンプ``
        (``2026/10/03 9:12:44``), ``"期待: どのようなサービスを期待しましたか？ [{wording}]"``
        and ``"実際: 実際はどうでしたか？ [{wording}]"`` per item, ``性別`` and ``年代``; the
        truth's stage is ``店舗来店``.
    """
    codes, wordings = _local_items(JAPANESE_ITEMS, items)
    sample = _sample(codes, wordings, (JAPANESE_STAGE,), JAPANESE_ATTRIBUTES, n, seed, wave)
    ids = [f"J{5000 * (wave - 1) + r + 1:04d}" for r in range(n)]
    rows = [["回答ID", "タイムスタンプ", *_grid_texts(sample, JAPANESE_CUES), *JAPANESE_ATTRIBUTES]]
    for r, t in enumerate(_times(sample)):
        stamp = f"{t:%Y/%m/%d} {t.hour}:{t:%M:%S}"
        rows.append([ids[r], stamp, *_cells(sample.by_block(r)), *_attribute_cells(sample, r)])
    return _export(sample, _csv(rows, "cp932"), f"顧客アンケート_第{wave}回.csv", (), ids)


def _coded(values: list[str], labels: tuple[str, ...]) -> list[float]:
    return [float(labels.index(v) + 1) for v in values]


def spss_sav(
    *,
    items: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    n: int = 60,
    seed: int = 0,
    wave: int = 1,
) -> Export:
    """An SPSS ``.sav`` file as Qualtrics exports it, written with ``pyreadstat``.

    Parameters
    ----------
    items, stages, n, seed, wave
        As for :func:`qualtrics`.

    Returns
    -------
    Export
        Variables ``ResponseId`` and ``RecipientEmail`` (strings, the e-mail personal), the
        score variables ``Q1_1`` .. (numeric, skipped as missing, variable label
        ``"{stage}: what did you expect? - {wording}"``, value labels ``1 "Very poor"`` ..
        ``7 "Outstanding"``), ``Sex`` (1 Female, 2 Male, 3 Diverse; label ``Sex``) and
        ``AgeBand`` (1 ``18-29`` ..; label ``Age band``). The truth's attributes hold the
        value labels.
    """
    sample = _sample(*_choose(items, stages), ATTRIBUTES, n, seed, wave)
    ids = _response_ids(sample)
    _, _, mail = _names(sample)
    questions = _qualtrics_ids(sample)[:-2]
    scores = np.array([sample.by_block(r) for r in range(n)], dtype=float)
    scores[scores == 0] = np.nan
    frame = pl.DataFrame(
        {
            "ResponseId": ids,
            "RecipientEmail": mail,
            **{q: scores[:, j] for j, q in enumerate(questions)},
            "Sex": _coded(sample.attributes["Sex"], SEXES),
            "AgeBand": _coded(sample.attributes["Age band"], AGE_BANDS),
        }
    )
    labels = {"ResponseId": "Response ID", "RecipientEmail": "Recipient Email"}
    labels |= dict(zip(questions, _matrix_texts(sample), strict=True))
    labels |= {"Sex": "Sex", "AgeBand": "Age band"}
    value_labels: dict[str, dict[int | float, str]] = {q: dict(SCORE_LABELS) for q in questions}
    value_labels["Sex"] = dict(enumerate(SEXES, start=1))
    value_labels["AgeBand"] = dict(enumerate(AGE_BANDS, start=1))
    measures = {q: "ordinal" for q in questions} | {"Sex": "nominal", "AgeBand": "nominal"}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.sav"
        pyreadstat.write_sav(
            frame,
            path,
            file_label=f"Customer survey wave {wave}",
            column_labels=labels,
            variable_value_labels=value_labels,
            variable_measure=measures,
            variable_format={v: "F1.0" for v in [*questions, "Sex", "AgeBand"]},
        )
        data = path.read_bytes()
    return _export(sample, data, f"qualtrics-wave{wave}.sav", ("RecipientEmail",), ids)


def excel_title_block(
    *,
    items: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    n: int = 60,
    seed: int = 0,
    wave: int = 1,
) -> Export:
    """A workbook in gapmodel's own column naming, behind a cover sheet and a title block.

    Parameters
    ----------
    items, stages, n, seed, wave
        As for :func:`qualtrics`.

    Returns
    -------
    Export
        Sheet ``About`` with three cover lines; sheet ``Responses`` with a title and an
        export date on rows 1-2, row 3 blank, the header on row 4 (``respondent_id, Sex,
        Age band, {stage}.{code}.E, {stage}.{code}.P, ..``) and the answers below (numbers as
        numbers, skipped scores as empty cells). Ids ``CX{wave}-0001`` ..
    """
    sample = _sample(*_choose(items, stages), ATTRIBUTES, n, seed, wave)
    ids = [f"CX{wave}-{r + 1:04d}" for r in range(n)]
    pairs = [f"{s}.{c}.{m}" for s in sample.stages for c in sample.codes for m in "EP"]
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    about = book.add_worksheet("About")
    for row, line in enumerate(("Customer survey", f"Wave {wave} export", "Prepared by CX team")):
        about.write_string(row, 0, line)
    sheet = book.add_worksheet("Responses")
    bold = book.add_format({"bold": True})
    sheet.write_string(0, 0, "Customer experience survey — raw responses", bold)
    sheet.write_string(1, 0, "Exported 30 Nov 2026")
    sheet.write_row(3, 0, ["respondent_id", *ATTRIBUTES, *pairs], bold)
    for r in range(n):
        sheet.write_row(4 + r, 0, [ids[r], *_attribute_cells(sample, r)])
        for j, value in enumerate(sample.by_pair(r)):
            if value:
                sheet.write_number(4 + r, 3 + j, value)
    book.close()
    name = f"cx-survey-wave{wave}.xlsx"
    return _export(sample, buffer.getvalue(), name, (), ids)


# Every builder by name; the Korean and Japanese ones take no ``stages``.
BUILDERS: dict[str, Callable[..., Export]] = {
    "qualtrics": qualtrics,
    "qualtrics_legacy": qualtrics_legacy,
    "surveymonkey": surveymonkey,
    "limesurvey": limesurvey,
    "google_forms": google_forms,
    "google_forms_korean": google_forms_korean,
    "japanese_sjis": japanese_sjis,
    "spss_sav": spss_sav,
    "excel_title_block": excel_title_block,
}
