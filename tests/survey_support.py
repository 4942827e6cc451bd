"""Questionnaires of any shape, as data: the instrument file, random waves of answers in the
reference's long form, and the waves as a survey tool exports them; stored in a database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from gapmodel.core.instrument import load_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store

DIMENSIONS = ("Zuverlässigkeit", "공감", "Speed & responsiveness", "Tangibles")


@dataclass(frozen=True)
class Questionnaire:
    name: str
    stages: tuple[str, ...]
    items: int
    elements: bool
    respondents: int = 60
    layout: str = "wide"
    sparse: bool = False  # each item asked at some stages only


QUESTIONNAIRES = [
    Questionnaire("kiosk", ("Kiosk",), 24, elements=False),
    Questionnaire("three", ("Booking", "Stay", "Checkout"), 9, elements=True),
    Questionnaire(
        "four",
        ("Onboarding", "Pre-purchase", "Service encounter", "Post-purchase"),
        8,
        elements=True,
        layout="long",
    ),
    Questionnaire("twelve", tuple(f"Step {k}" for k in range(1, 13)), 6, False, sparse=True),
    Questionnaire("large", ("Web", "Store"), 2000, elements=False, respondents=24, sparse=True),
]


def instrument_csv(q: Questionnaire) -> bytes:
    """The questionnaire file: items ``Q1..`` over the four dimensions; stage lists in order."""
    lines = ["code,wording,dimension,element,stages"]
    for k in range(q.items):
        stages = q.stages
        if q.sparse:  # every stage keeps at least its first item
            stages = [s for j, s in enumerate(q.stages) if (k + j) % 3 != 1 or k == 0]
        element = ("human", "technical")[k % 2] if q.elements else ""
        dimension = DIMENSIONS[k % len(DIMENSIONS)]
        lines.append(f'Q{k + 1},"Item {k + 1} was good",{dimension},{element},{"|".join(stages)}')
    return ("\n".join(lines) + "\n").encode()


def responses(q: Questionnaire, instrument, wave: int, seed: int) -> pl.DataFrame:
    """Long responses of one wave, as the reference sees them: ``wave, respondent, stage, item,
    dimension, element, expectation, perception`` and the attributes."""
    rng = np.random.default_rng(seed)
    pairs = instrument.pairs()
    n = q.respondents
    people = pl.DataFrame(
        {
            "respondent": np.arange(1, n + 1, dtype=np.int32),
            "Sex": rng.choice(["F", "M", "X"], n),
            "Age band": rng.choice(["18-24", "25-34", "35-54", "55+"], n),
            "Contacts": rng.integers(1, 13, n).astype(str),
        }
    )
    frame = people.join(pairs, how="cross").with_columns(
        pl.lit(f"W{wave}").alias("wave"),
        pl.Series("expectation", rng.integers(3, 8, n * pairs.height), pl.Int64),
        pl.Series("perception", rng.integers(1, 8, n * pairs.height), pl.Int64),
    )
    gone = rng.random(frame.height) < 0.1  # answers left blank
    return frame.with_columns(
        pl.when(pl.Series(gone)).then(None).otherwise(pl.col("perception")).alias("perception")
    )


def upload(q: Questionnaire, frame: pl.DataFrame) -> bytes:
    """The wave as a survey tool would export it, in the questionnaire's layout."""
    frame = frame.with_columns(respondent_id=pl.format("R{}", "respondent"))
    attributes = ["respondent_id", "Sex", "Age band", "Contacts"]
    if q.layout == "long":
        out = frame.select(*attributes, "stage", "item", "expectation", "perception")
    else:
        scores = frame.unpivot(
            index=[*attributes, "stage", "item"], on=["expectation", "perception"]
        ).with_columns(
            column=pl.concat_str(
                "stage",
                "item",
                pl.col("variable").str.slice(0, 1).str.to_uppercase(),
                separator=".",
            )
        )
        out = scores.pivot(on="column", index=attributes, values="value")
    buffer = io.BytesIO()
    out.write_csv(buffer)
    return buffer.getvalue()


def build_survey(q: Questionnaire, path: Path) -> tuple[object, pl.DataFrame]:
    """A store at ``path`` holding two waves of ``q``; the instrument and the long responses
    the reference computes from."""
    instrument = load_instrument(instrument_csv(q), f"{q.name}.csv")
    frames = []
    with Store.open(path) as store:
        for wave in (1, 2):
            frame = responses(q, instrument, wave, seed=wave * 31 + len(q.name))
            prepared, report = prepare_wave(upload(q, frame), f"{q.name}-{wave}.csv", instrument)
            if prepared is None:
                raise AssertionError(report.to_text())
            store.ingest_wave(prepared, f"W{wave}")
            frames.append(frame)
    return instrument, pl.concat(frames)
