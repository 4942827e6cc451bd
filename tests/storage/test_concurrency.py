"""Many readers, one writer, one store: no errors, and no reader ever sees half a wave.

The dashboard serves every session from one process with one DuckDB connection; each call
reads through its own cursor. Here 8 reader threads run dashboard queries in a loop while one
writer thread ingests, replaces and deletes waves. Each label has two versions (files of
different sizes and content), so a reader can tell which version it saw: every wave it sees
must be wholly one of them, in its counts and in its gap statistics.

``GAPMODEL_STRESS_WRITES`` sets the number of writes (default 24, a few seconds); for example
``GAPMODEL_STRESS_WRITES=600 .venv/bin/python -m pytest tests/storage/test_concurrency.py``.

The other test shows that the command line, started while another *process* holds the
database file, says so in one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import traceback
from collections import Counter
from dataclasses import dataclass, field

import polars as pl
import pytest
from cli_support import run_cli

from gapmodel.core.errors import UnknownWaveError
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table
from gapmodel.storage.backup import backup
from gapmodel.storage.store import Store
from gapmodel.tools.demo import SEGMENTS, generate_wave, wave_csv

READERS = 8
WRITES = int(os.environ.get("GAPMODEL_STRESS_WRITES", "24"))
LABELS = ("2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")
OPTIONS = TableOptions(min_n=5, suppress_n=2)
STATS = ("n", "mean_e", "mean_p", "gap", "sd")


@dataclass(frozen=True)
class Version:
    """One version of a wave and what any complete read of it must show."""

    wave: object
    n_respondents: int
    n_responses: int
    stats: tuple  # the overall gap table row (n, mean_e, mean_p, gap, sd)


def _versions(tmp_path) -> dict[str, list[Version]]:
    instrument = default_instrument()
    out: dict[str, list[Version]] = {}
    for k, label in enumerate(LABELS):
        versions = []
        for v in range(2):
            n = 30 + 17 * k + 11 * v
            data = wave_csv(generate_wave(n, k, instrument, seed=100 + 10 * k + v))
            wave, report = prepare_wave(data, f"{label}-v{v}.csv", instrument, "1-7")
            assert wave is not None, report.to_text()
            with Store.open(tmp_path / f"ref-{k}-{v}.duckdb") as ref:
                ref.ingest_wave(wave, label)
                table = _gap_table(ref, [label])
            versions.append(
                Version(wave, wave.respondents.height, wave.responses.height, _row(table, label))
            )
        assert versions[0].n_responses != versions[1].n_responses
        out[label] = versions
    return out


def _gap_table(store: Store, labels: list[str]) -> pl.DataFrame:
    pairs = store.pairs(labels)
    scores = store.scores(labels, pairs.select("stage", "item").rows())
    data = GapData.from_scores(scores, store.respondents(labels), pairs)
    return gap_table(data, ["wave"], OPTIONS)


def _row(table: pl.DataFrame, label: str) -> tuple:
    row = table.filter(pl.col("wave").cast(pl.String) == label).select(STATS).row(0)
    return tuple(round(x, 12) for x in row)


@dataclass
class Tally:
    pages: int = 0
    single_reads: int = 0
    versions_seen: set = field(default_factory=set)
    during_write: int = 0
    gone: int = 0  # single reads of a wave deleted meanwhile: UnknownWaveError, as documented
    errors: list = field(default_factory=list)


def _reader(store: Store, versions, tally: Tally, done: threading.Event, writing) -> None:
    by_size = {
        (label, v.n_responses): v for label, vs in versions.items() for v in vs
    }  # the version a read shows is recognised by its size, then checked in full
    while not done.is_set():
        try:
            started_during_write = writing.is_set()
            # A page: several queries that must agree, read in one snapshot.
            with store.snapshot() as snap:
                waves = snap.waves()
                tally.versions_seen.add(snap.data_version)
                labels = waves["label"].to_list()
                for row in waves.iter_rows(named=True):
                    version = by_size[(row["label"], row["n_responses"])]
                    assert row["n_respondents"] == version.n_respondents
                if labels:
                    pairs = snap.pairs(labels)
                    scores = snap.scores(labels, pairs.select("stage", "item").rows())
                    people = snap.respondents(labels)
                    per_wave = dict(scores.group_by("wave").len().iter_rows())
                    people_per_wave = dict(people.group_by("wave").len().iter_rows())
                    table = gap_table(GapData.from_scores(scores, people, pairs), ["wave"], OPTIONS)
                    for row in waves.iter_rows(named=True):
                        label = row["label"]
                        version = by_size[(label, row["n_responses"])]
                        assert per_wave[label] == row["n_responses"], "scores half written"
                        assert people_per_wave[label] == row["n_respondents"]
                        assert _row(table, label) == version.stats, "gap table of a mixed wave"
                    first = snap.responses([labels[0]], where={"segment": list(SEGMENTS)})
                    assert first.height == waves["n_responses"][0]
            tally.pages += 1
            tally.during_write += started_during_write
            # Single calls outside a snapshot: each one alone is whole.
            for label in LABELS:
                height = store.responses([label]).height
                assert height == 0 or (label, height) in by_size, f"{label}: {height} rows"
                try:
                    scores = store.scores([label], [("encounter", "courtesy")])
                except UnknownWaveError:
                    tally.gone += 1
                tally.single_reads += 2
            for row in store.waves().iter_rows(named=True):
                assert (row["label"], row["n_responses"]) in by_size
            tally.single_reads += 1
        except BaseException:  # noqa: BLE001 - every failure is collected and reported
            tally.errors.append(traceback.format_exc())
            return


def _writer(store: Store, versions, plan: list[tuple[str, str, int]], writing, counts) -> None:
    for action, label, v in plan:
        writing.set()
        try:
            if action == "delete":
                store.delete_wave(label, user="writer")
            else:
                store.ingest_wave(
                    versions[label][v].wave, label, replace=action == "replace", user="writer"
                )
        finally:
            writing.clear()
        counts[action] += 1


def _plan(n: int) -> list[tuple[str, str, int]]:
    """Ingest, replace (by the other version) and delete, cycling over the labels."""
    stored = {LABELS[0]: 0, LABELS[1]: 0}  # label -> version held
    plan = []
    for i in range(n):
        label = LABELS[i % len(LABELS)]
        if label not in stored:
            plan.append(("ingest", label, i % 2))
            stored[label] = i % 2
        elif (i // len(LABELS)) % 3 == 2:
            plan.append(("delete", label, -1))
            del stored[label]
        else:
            stored[label] = 1 - stored[label]
            plan.append(("replace", label, stored[label]))
    return plan


def test_readers_never_see_half_a_wave_while_a_writer_works(tmp_path, measure):
    versions = _versions(tmp_path)
    plan = _plan(WRITES)
    assert {a for a, _, _ in plan} == {"ingest", "replace", "delete"}
    with Store.open(tmp_path / "shared.duckdb") as store:
        for label in LABELS[:2]:
            store.ingest_wave(versions[label][0].wave, label)
        done, writing = threading.Event(), threading.Event()
        tallies = [Tally() for _ in range(READERS)]
        readers = [
            threading.Thread(target=_reader, args=(store, versions, t, done, writing))
            for t in tallies
        ]
        for thread in readers:
            thread.start()
        counts: Counter = Counter()
        try:
            _writer(store, versions, plan, writing, counts)
        finally:
            done.set()
            for thread in readers:
                thread.join()
        errors = [e for t in tallies for e in t.errors]
        assert not errors, errors[0]
        # the end state is exactly what the plan says, and the audit trail has every write
        final = {}
        for action, label, v in plan:
            if action == "delete":
                final.pop(label)
            else:
                final[label] = v
        waves = store.waves()
        assert dict(zip(waves["label"], waves["n_responses"], strict=True)) == {
            label: versions[label][v].n_responses for label, v in final.items()
        }
        assert store.audit().filter(pl.col("username") == "writer").height == len(plan)
    pages = sum(t.pages for t in tallies)
    singles = sum(t.single_reads for t in tallies)
    seen = set().union(*(t.versions_seen for t in tallies))
    assert all(t.pages > 0 for t in tallies)
    assert len(seen) > 2, "the readers never saw the data change"
    assert sum(t.during_write for t in tallies) > 0, "no read overlapped a write"
    measure(
        "concurrency",
        f"{READERS} readers ran {pages:,} pages (5 queries + a gap table each) and "
        f"{singles:,} single reads while 1 writer ran {len(plan)} writes "
        f"({dict(counts)}); {sum(t.during_write for t in tallies):,} pages began during a "
        f"write; {len(seen)} data versions seen; 0 errors",
    )


def test_a_snapshot_does_not_see_a_write_until_it_ends(store):
    wave = _versions_small()
    with store.snapshot() as snap:
        assert snap.waves().is_empty()
        store.ingest_wave(wave, "A")
        assert snap.waves().is_empty()
        assert snap.responses(["A"]).is_empty()
        with pytest.raises(UnknownWaveError):
            snap.scores(["A"], [("encounter", "courtesy")])
    assert store.wave_labels() == ["A"]


def test_a_snapshot_refuses_writes(store):
    with store.snapshot() as snap:
        with pytest.raises(Exception, match="A snapshot only reads"):
            snap.delete_wave("A")
        snap.close()  # closes nothing: the store stays usable
    assert store.waves().is_empty()


def _versions_small():
    data = wave_csv(generate_wave(20, 0, seed=5))
    wave, _ = prepare_wave(data, "small.csv", default_instrument(), "1-7")
    return wave


HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    print("holding", flush=True)
    sys.stdin.read()
    """
)


def test_cli_says_in_one_line_that_another_process_holds_the_database(demo_copy, tmp_path):
    with Store.open(demo_copy, read_only=True) as store:
        backup(store, tmp_path / "saved")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(demo_copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    upload = tmp_path / "w.csv"
    upload.write_bytes(wave_csv(generate_wave(20, 0, seed=9)))
    try:
        assert holder.stdout.readline().strip() == "holding"
        commands = [
            ["waves"],
            ["ingest", str(upload), "--wave", "new"],
            ["delete", "2026-Q1"],
            ["gaps", "--by", "stage"],
            ["backup", str(tmp_path / "backup")],
            ["restore", str(tmp_path / "saved"), "--force"],
            ["migrate"],
        ]
        for command in commands:
            result = run_cli(*command, "--db", str(demo_copy))
            assert result.returncode == 1, (command, result.stderr)
            assert "Traceback" not in result.stderr
            assert result.stderr.count("\n") == 1, result.stderr
            assert f"is held by {sys.executable}" in result.stderr or "python" in result.stderr
            assert f"(PID {holder.pid})" in result.stderr
            assert "Stop that process" in result.stderr
    finally:
        holder.communicate("")
    assert holder.returncode == 0
