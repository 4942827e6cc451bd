"""The DuckDB store: schema guarantees, locked-down configuration, atomic writes."""

from __future__ import annotations

import dataclasses
from datetime import date

import duckdb
import polars as pl
import pytest
from cli_support import database_held

from gapmodel.core.errors import (
    DatabaseLockedError,
    DuplicateWaveError,
    StoreError,
    UnknownWaveError,
)
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv


def prepared(n: int = 50, index: int = 0, seed: int = 1):
    data = wave_csv(generate_wave(n, index, seed=seed))
    wave, report = prepare_wave(data, f"w{index}-{seed}.csv", default_instrument(), "1-7")
    assert wave is not None, report.to_text()
    return wave


def test_new_store_is_empty_with_schema_version(store):
    assert store.waves().is_empty()
    assert set(store.table_counts().values()) == {0}
    assert store.data_version == 0
    assert store.instrument() is None  # no wave: no questionnaire to read the next one with


def test_ingest_then_read_back(store):
    wave = prepared()
    result = store.ingest_wave(wave, "2026-Q1", date(2026, 2, 1))
    assert result["n_respondents"] == 50
    responses = store.responses(["2026-Q1"])
    assert responses.height == wave.responses.height
    assert responses["respondent"].n_unique() == 50
    assert store.data_version == 1
    assert store.waves()["fielded"].to_list() == [date(2026, 2, 1)]
    assert store.instrument().sha256 == default_instrument().sha256


def test_same_file_twice_is_refused_unless_replaced(store):
    wave = prepared()
    store.ingest_wave(wave, "A")
    before = store.checksums()
    with pytest.raises(DuplicateWaveError) as info:
        store.ingest_wave(wave, "B")
    assert info.value.existing_label == "A"
    assert store.checksums() == before
    store.ingest_wave(wave, "B", replace=True)
    assert store.wave_labels() == ["B"]


def test_same_label_is_refused_unless_replaced(store):
    store.ingest_wave(prepared(seed=1), "A")
    with pytest.raises(DuplicateWaveError, match="already exists"):
        store.ingest_wave(prepared(seed=2), "A")
    store.ingest_wave(prepared(n=20, seed=2), "A", replace=True)
    assert store.waves()["n_respondents"].to_list() == [20]


def test_delete_removes_every_row_of_the_wave(store):
    store.ingest_wave(prepared(seed=1), "A")
    after_a = store.checksums()
    store.ingest_wave(prepared(seed=2), "B")
    store.delete_wave("B")
    log = {"changes", "audit"}  # the change counter and the audit trail record the delete
    counts = {t: c for t, (c, _) in store.checksums().items() if t not in log}
    assert counts == {t: c for t, (c, _) in after_a.items() if t not in log}
    assert store.audit()["action"].to_list() == ["ingest", "ingest", "delete"]
    with pytest.raises(UnknownWaveError, match="python -m gapmodel waves"):
        store.delete_wave("B")


def test_failure_inside_the_transaction_writes_nothing(store, monkeypatch):
    store.ingest_wave(prepared(seed=1), "A")
    before = store.checksums()
    original = Store._insert_frame

    def fail_on_responses(cur, table, wave_id, frame):
        original(cur, table, wave_id, frame)
        if table == "responses":
            raise RuntimeError("disk full")

    monkeypatch.setattr(Store, "_insert_frame", staticmethod(fail_on_responses))
    with pytest.raises(RuntimeError, match="disk full"):
        store.ingest_wave(prepared(seed=2), "B")
    with pytest.raises(RuntimeError, match="disk full"):
        store.ingest_wave(prepared(seed=2), "A", replace=True)  # the delete is rolled back too
    assert store.checksums() == before


def test_store_refuses_scores_outside_the_declared_scale(store):
    wave = prepared()
    bad = wave.responses.with_columns(pl.lit(7, pl.UInt8).alias("perception"))
    narrow = dataclasses.replace(wave, responses=bad, scale=(1, 5))
    with pytest.raises(StoreError, match="outside the declared scale 1-5"):
        store.ingest_wave(narrow, "A")
    assert store.table_counts()["responses"] == 0


def test_store_refuses_duplicate_responses(store):
    wave = prepared()
    doubled = dataclasses.replace(
        wave, responses=pl.concat([wave.responses, wave.responses.head(3)])
    )
    with pytest.raises(StoreError, match="3 responses repeat"):
        store.ingest_wave(doubled, "A")
    assert store.table_counts()["responses"] == 0


def test_schema_refuses_duplicate_respondents_and_bad_values(store):
    store.ingest_wave(prepared(), "A")
    cur = store.cursor()
    with pytest.raises(duckdb.ConstraintException):
        cur.sql("INSERT INTO respondents VALUES (1, 1, 'dup')")
    with pytest.raises(duckdb.ConstraintException):
        cur.sql("INSERT INTO responses VALUES (1, 1, 0, 12, 3, NULL, NULL)")
    with pytest.raises(duckdb.ConstraintException):
        cur.sql("INSERT INTO respondent_attributes VALUES (1, 1, 'segment', '')")


def test_store_refuses_a_response_to_a_pair_the_questionnaire_does_not_ask(store):
    wave = prepared()
    renamed = wave.responses.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("checkout"))
        .otherwise(pl.col("stage").cast(pl.String))
        .alias("stage")
    )
    with pytest.raises(StoreError, match="1 responses name a stage and item the questionnaire"):
        store.ingest_wave(dataclasses.replace(wave, responses=renamed), "A")
    assert store.table_counts()["responses"] == 0


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY respondents TO '/tmp/gapmodel-leak.csv'",
        "ATTACH '/tmp/gapmodel-other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
    ],
)
def test_external_access_and_configuration_are_locked(store, statement):
    with pytest.raises(duckdb.Error):
        store.cursor().sql(statement)


@pytest.mark.parametrize(
    "label",
    ["'; DROP TABLE responses; --", 'Q1" OR 1=1 --', "Robert'); DELETE FROM waves;--"],
)
def test_hostile_labels_are_stored_as_text(store, label):
    store.ingest_wave(prepared(), label)
    assert store.wave_labels() == [label]
    assert store.responses([label]).height > 0
    assert store.responses(["x' OR '1'='1"]).is_empty()
    store.delete_wave(label)
    assert store.table_counts()["responses"] == 0


def test_filters_bind_values_and_whitelist_attributes(demo_db):
    with Store.open(demo_db, read_only=True) as store:
        hostile = store.responses(where={"segment": "Consumer' OR '1'='1"})
        assert hostile.is_empty()
        consumers = store.responses(where={"segment": "Consumer"})
        assert set(consumers["segment"]) == {"Consumer"}
        with pytest.raises(ValueError):
            store.responses(where={"segment; DROP TABLE waves": "x"})
        with pytest.raises(ValueError, match="Unknown stage"):
            store.responses(stages=["checkout"])


def test_read_only_open_of_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(StoreError, match="python -m gapmodel demo"):
        Store.open(tmp_path / "nothing.duckdb", read_only=True)


def test_a_held_database_names_the_holder(demo_copy):
    with database_held(demo_copy) as holder:
        with pytest.raises(DatabaseLockedError) as info:
            Store.open(demo_copy, read_only=True)
        assert f"PID {holder.pid}" in str(info.value)
        assert "Stop that process" in str(info.value)


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.duckdb"
    with Store.open(path) as store:
        store.cursor().sql("INSERT INTO schema_version VALUES (999)")
    with pytest.raises(StoreError, match="newer than this gapmodel"):
        Store.open(path)
