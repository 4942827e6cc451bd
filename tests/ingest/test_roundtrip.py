"""Demo waves exported to wide CSV/XLSX/Parquet and long CSV, re-ingested, are identical."""

from __future__ import annotations

import polars as pl
import pytest

from gapmodel.cli import main
from gapmodel.storage.store import Store

WAVE = "2026-Q2"


def stored(path, label=WAVE) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with Store.open(path, read_only=True) as store:
        responses = store.responses([label]).drop("wave")
        people = store.respondents([label]).drop("wave")
        points = store.allocations([label]).drop("wave")
    return responses, people, points


@pytest.mark.parametrize(
    ("layout", "suffix"),
    [("wide", "csv"), ("wide", "xlsx"), ("wide", "parquet"), ("long", "csv")],
)
def test_export_and_reingest_gives_identical_tables(demo_db, tmp_path, layout, suffix):
    out = tmp_path / f"wave.{suffix}"
    assert main(["export", WAVE, "--layout", layout, "--out", str(out), "--db", str(demo_db)]) == 0
    fresh = tmp_path / "fresh.duckdb"
    assert main(["ingest", str(out), "--wave", WAVE, "--db", str(fresh)]) == 0
    original, again = stored(demo_db), stored(fresh)
    for before, after in zip(original, again, strict=True):
        assert before.height > 0
        assert after.equals(before)
