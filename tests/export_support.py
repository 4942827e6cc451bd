"""Helpers shared by the export and report tests: a wave of formula-like text, and checks."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import polars as pl

from gapmodel.core.formulas import FORMULA_PREFIXES
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv

HOSTILE = ['=HYPERLINK("http://evil.example","open")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
HOSTILE_WAVES = ("=W1", "@W2")
HOSTILE_NOTE = "=1+1"
PER_WAVE = 240


def build_hostile_db(path: Path) -> Path:
    """Two waves whose respondent ids, segment, channel and region values and an extra
    attribute (``note``) all start like spreadsheet formulas, as do the wave labels. Each value
    is shared by 60 respondents, so nothing is suppressed."""
    instrument = default_instrument()

    def cycle(shift: int) -> pl.Series:
        return pl.Series([HOSTILE[(i + shift) % len(HOSTILE)] for i in range(PER_WAVE)])

    with Store.open(path) as store:
        for index, label in enumerate(HOSTILE_WAVES):
            frame = generate_wave(PER_WAVE, index, instrument, seed=11).with_columns(
                respondent_id=cycle(0) + pl.Series([str(i) for i in range(PER_WAVE)]),
                segment=cycle(0),
                channel=cycle(1),
                region=cycle(2),
                note=pl.lit(HOSTILE_NOTE),
            )
            wave, report = prepare_wave(wave_csv(frame), f"{label}.csv", instrument, "1-7")
            if wave is None:
                raise AssertionError(report.to_text())
            if "formula_like_text" not in report.rule_counts():
                raise AssertionError("The ingest did not warn about formula-like text.")
            store.ingest_wave(wave, label, replace=True)
    return path


def assert_no_formula_text(value: str, where: str) -> None:
    """Text may not start like a formula; a value starting with '-' must be a number."""
    if value.startswith("-"):
        float(value)  # raises for text such as "-2+3"
    else:
        starts = tuple(p for p in FORMULA_PREFIXES if p != "-")
        assert not value.startswith(starts), where


def formula_cells(book: openpyxl.Workbook) -> list[str]:
    """Every cell of a workbook that holds a formula, as ``Sheet!A1``."""
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
