"""Crash safety: SIGKILL the process that ingests, replaces or deletes a large wave, mid-write.

After the kill the database opens, holds exactly what it held before (same waves, same
``Store.checksums``) and takes a new ingest. The large wave (20,000 respondents, about 1.2
million responses) makes DuckDB write row groups to the database file *during* the
transaction, before it commits, so a kill there leaves written-but-uncommitted blocks in the
file that recovery must ignore.

How we know the kill lands in the middle:

- ``inside``: the child prints ``written`` only after every row of the change is in its open
  transaction (and reports how far the database file has grown), then blocks until killed. The
  kill cannot miss: the transaction is open and all its rows are written.
- ``during writes``: the child prints ``begin`` when its transaction starts; the parent kills it
  after a fraction of the begin-to-written time measured in this run. The child's own output
  shows whether it had reached ``commit`` when it died; if not, the old state must be intact.
- ``during commit``: the child prints ``commit`` just before committing; the parent kills it
  after a fraction (0 to 1.5) of the commit time measured in this run. A kill there may land
  before or after the commit is durable, so the database must hold wholly the old or wholly the
  new state, never a mix; and the new one if the child had printed ``committed``.

``GAPMODEL_CRASH_KILLS`` sets how many timed kills per operation and phase (default 1); for
example ``GAPMODEL_CRASH_KILLS=10 .venv/bin/python -m pytest tests/storage/test_crash.py``.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from gapmodel.core.instrument import default_instrument
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv

BIG = 20_000
KILLS = int(os.environ.get("GAPMODEL_CRASH_KILLS", "1"))
OPERATIONS = ("ingest", "replace", "delete")

# The child mirrors Store._transaction, adding the signals the parent times its kill by.
CHILD = textwrap.dedent(
    """
    import os, pickle, sys, time
    from contextlib import contextmanager
    from gapmodel.storage.store import Store

    db, operation, wave_file, block = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
    wave = pickle.loads(open(wave_file, "rb").read())

    def say(*words):
        print(*words, flush=True)

    def size(path):
        return os.path.getsize(path) if os.path.exists(path) else 0

    @contextmanager
    def transaction(self, cur):
        cur.begin()
        say("begin", time.perf_counter())
        try:
            yield
        except BaseException:
            cur.rollback()
            raise
        say("written", time.perf_counter(), size(db), size(db + ".wal"))
        if block:
            sys.stdin.readline()
        say("commit", time.perf_counter())
        cur.commit()
        say("committed", time.perf_counter())

    store = Store.open(db)
    Store._transaction = transaction
    say("ready", size(db))
    if operation == "ingest":
        store.ingest_wave(wave, "big-new", user="crash")
    elif operation == "replace":
        store.ingest_wave(wave, "big-old", replace=True, user="crash")
    else:
        store.delete_wave("big-old", user="crash")
    store.close()
    say("closed")
    if block:
        sys.stdin.read()  # stay alive to be killed, however late the kill comes
    """
)


def _prepared(n: int, seed: int, name: str):
    data = wave_csv(generate_wave(n, 0, seed=seed))
    wave, report = prepare_wave(data, name, default_instrument(), "1-7")
    assert wave is not None, report.to_text()
    return wave


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> dict:
    """A base database (two small waves and a large one) and a pickled large new wave."""
    folder = tmp_path_factory.mktemp("crash")
    base = folder / "base.duckdb"
    with Store.open(base) as store:
        store.ingest_wave(_prepared(40, 1, "small-1.csv"), "small-1")
        store.ingest_wave(_prepared(50, 2, "small-2.csv"), "small-2")
        store.ingest_wave(_prepared(BIG, 3, "big-old.csv"), "big-old")
    wave_file = folder / "big-new.pickle"
    wave_file.write_bytes(pickle.dumps(_prepared(BIG, 4, "big-new.csv")))
    return {"folder": folder, "base": base, "wave": wave_file}


def _fingerprint(path: Path) -> dict:
    """The content apart from the times of ingestion (which differ from run to run)."""
    with Store.open(path, read_only=True) as store:
        sums = store.checksums()
        waves = store.waves().drop("ingested_at", "wave_id").sort("label")
        audit = store.audit().drop("changed_at")
    data = {t: sums[t] for t in ("respondents", "responses", "allocations", "items")}
    return {"tables": data, "waves": waves.rows(), "audit": audit.rows()}


def _start(db: Path, operation: str, wave_file: Path, block: bool) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), operation, str(wave_file), "1" if block else "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    )


def _read_until(child: subprocess.Popen, word: str, printed: list[str]) -> list[str]:
    """Read the child's lines up to the one starting with ``word``, noting each line's word."""
    while True:
        line = child.stdout.readline()
        assert line, f"the child ended before {word!r}: {child.stderr.read()}"
        parts = line.split()
        printed.append(parts[0])
        if parts[0] == word:
            return parts


@contextmanager
def _killed(child: subprocess.Popen):
    """Kill the child with SIGKILL at the end of the block; yields the words it printed (the
    first of each line), those read in the block and those still in the pipe."""
    printed: list[str] = []
    try:
        yield printed
    finally:
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate()
        printed.extend(line.split()[0] for line in out.splitlines() if line.strip())
        assert child.returncode == -signal.SIGKILL


def _calibrate(setup: dict, operation: str, folder: Path) -> dict:
    """Run the operation to the end once: its phase durations and the state it leaves."""
    db = folder / f"calibrate-{operation}.duckdb"
    shutil.copy(setup["base"], db)
    child = _start(db, operation, setup["wave"], block=False)
    out, err = child.communicate()
    assert child.returncode == 0, err
    times = {line.split()[0]: float(line.split()[1]) for line in out.splitlines()[1:-1]}
    return {
        "writing": times["written"] - times["begin"],
        "commit": times["committed"] - times["commit"],
        "after": _fingerprint(db),
    }


def _check_reopened(db: Path, before_sums: dict, before: dict, after: dict, printed: list[str]):
    """The database opens, holds wholly the old state (or, once the commit began, wholly the
    old or wholly the new one; once it returned, the new one), and takes a new ingest."""
    with Store.open(db) as store:
        state_sums = store.checksums()
    state = _fingerprint(db)
    if "commit" not in printed:
        assert state_sums == before_sums, "a kill before the commit changed the database"
    if "committed" in printed:
        assert state == after, "a committed change was lost"
    assert state in (before, after), "the database holds a mix of the old and the new state"
    with Store.open(db) as store:
        labels = set(store.wave_labels())
        store.ingest_wave(_prepared(30, 9, "after-crash.csv"), "after-crash")
        assert set(store.wave_labels()) == labels | {"after-crash"}
        n = store.waves().filter(pl.col("label") == "after-crash")["n_responses"].item()
        assert store.responses(["after-crash"]).height == n
    return "before" if state == before else "after"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_kill_mid_write_leaves_the_database_as_it_was(setup, tmp_path, operation, measure):
    with Store.open(setup["base"], read_only=True) as store:
        before_sums = store.checksums()
    before = _fingerprint(setup["base"])
    timing = _calibrate(setup, operation, tmp_path)
    assert timing["after"] != before
    outcomes = []

    # inside: every row written in the open transaction, the child blocked before commit
    db = tmp_path / "inside.duckdb"
    shutil.copy(setup["base"], db)
    start_size = db.stat().st_size
    child = _start(db, operation, setup["wave"], block=True)
    with _killed(child) as printed:
        written = _read_until(child, "written", printed)
    assert "commit" not in printed
    if operation != "delete":  # the uncommitted rows reached the file before the kill
        assert int(written[2]) > start_size
    outcomes.append(("inside", _check_reopened(db, before_sums, before, timing["after"], printed)))

    # timed kills: a fraction of the measured time into the writes, and into the commit (up to
    # half as long again: past the commit, into closing, when the checkpoint runs)
    for phase, word, duration, span in (
        ("writes", "begin", timing["writing"], 1.0),
        ("commit", "commit", timing["commit"], 1.5),
    ):
        for fraction in [span * (k + 0.5) / KILLS for k in range(KILLS)]:
            db = tmp_path / f"{phase}-{fraction:.3f}.duckdb"
            shutil.copy(setup["base"], db)
            child = _start(db, operation, setup["wave"], block=True)
            with _killed(child) as printed:
                child.stdin.write("\n")  # pass the pause after the writes: commit at once
                child.stdin.flush()
                _read_until(child, word, printed)
                time.sleep(duration * fraction)
            outcome = _check_reopened(db, before_sums, before, timing["after"], printed)
            outcomes.append((f"{phase}+{fraction:.2f}", outcome))
    measure(
        f"crash-{operation}",
        f"{len(outcomes)} kills survived (writes {timing['writing']:.2f} s, commit "
        f"{timing['commit']:.2f} s): "
        + ", ".join(f"{phase}->{outcome}" for phase, outcome in outcomes),
    )
    assert len(outcomes) == 1 + 2 * KILLS
