"""Fault injection: damaged database files, a full disk, a read-only folder, a stale write-ahead
log. Every fault gives one sentence naming the file and the next step (library and command
line: exit code 2, one line on stderr, no traceback) and leaves the database as it was.

The disk-full and read-only cases mount a tmpfs and a read-only bind mount, so they need root
(skipped with that reason otherwise); root ignores permission bits, which is why a chmod would
not do. One case also runs the command line as the unprivileged user ``nobody`` (setpriv).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cli_support import run_cli
from faults_support import (
    content,
    cut,
    digest,
    fill,
    flip,
    leave_wal,
    read_only_folder,
    small_disk,
    stale_wal,
)

from gapmodel.core.errors import (
    DamagedDatabaseError,
    DatabasePathError,
    DiskFullError,
    ReadOnlyDatabaseError,
    WriteAheadLogError,
)
from gapmodel.core.instrument import default_instrument
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage import backup
from gapmodel.storage.faults import has_database_header
from gapmodel.storage.store import Store
from gapmodel.tools.demo import SCALE, generate_wave, wave_csv

BLOCK = 4096  # DuckDB: a 4 KiB file header, two 4 KiB database headers, then 256 KiB blocks
CUTS = [0, 100, BLOCK, 2 * BLOCK, 3 * BLOCK, 3 * BLOCK + 1, 64 * BLOCK]
CUT_SHARES = [0.25, 0.5, 0.75, 0.95]
SEED = 16


def _flips() -> list[tuple[str, int | float]]:
    """Seeded offsets: the headers, the first block (the catalogue) and the data blocks (as a
    share of the file)."""
    rng = random.Random(SEED)
    header = [("header", o) for o in (0, 8, 16, 40, BLOCK + 8, 2 * BLOCK + 8)]
    catalog = [("catalog", 3 * BLOCK + rng.randrange(64, 4096)) for _ in range(3)]
    data = [("data", rng.uniform(0.1, 0.9)) for _ in range(6)]
    return header + catalog + data


def _cli_refusal(done: subprocess.CompletedProcess, *words: str) -> str:
    """The error line of a refused command; it exited 1 without a traceback."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:], done.stderr  # one error line, the last (after any notes)
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


def _read_everything(path: Path) -> dict:
    with Store.open(path, read_only=True) as store:
        store.export_tables()  # every row of every table: every block in use is read
        return store.checksums()


def _damage_checked(path: Path, expected: dict, counter: dict) -> None:
    """The damaged file is refused with the restore step, or (damage in unused space) reads
    exactly what it held; never different content."""
    before = digest(path)
    try:
        found = _read_everything(path)
    except DamagedDatabaseError as exc:
        message = str(exc)
        assert str(path) in message
        # without its DuckDB header the file might be anything, so the restore goes to a new file
        restore = "--db NEW_FILE`" if "DuckDB header" in message else f"--db {path} --force"
        assert f"python -m gapmodel restore BACKUP_FOLDER {restore}" in message
        counter["refused"] += 1
    else:
        assert found == expected
        counter["same content"] += 1
    assert digest(path) == before  # a read-only open never writes


@pytest.fixture(scope="module")
def original(demo_db) -> dict:
    return _read_everything(demo_db)


@pytest.mark.parametrize("where", CUTS + CUT_SHARES, ids=str)
def test_a_truncated_database_is_refused_or_unchanged(demo_db, tmp_path, original, where, tally):
    path = tmp_path / "cut.duckdb"
    shutil.copy(demo_db, path)
    cut(path, where if isinstance(where, int) else int(path.stat().st_size * where))
    counter = {"refused": 0, "same content": 0}
    _damage_checked(path, original, counter)
    tally("faults: truncated database", *(k for k, v in counter.items() if v))
    if isinstance(where, int):  # the headers and the catalogue: always needed
        assert counter["refused"] == 1


@pytest.mark.parametrize(("region", "offset"), _flips(), ids=lambda x: str(x)[:8])
def test_a_bit_flipped_database_is_refused_or_unchanged(
    demo_db, tmp_path, original, region, offset, tally
):
    path = tmp_path / "flipped.duckdb"
    shutil.copy(demo_db, path)
    at = offset if isinstance(offset, int) else int(path.stat().st_size * offset)
    flip(path, at)
    counter = {"refused": 0, "same content": 0}
    _damage_checked(path, original, counter)
    tally("faults: bit-flipped database", *(k for k, v in counter.items() if v))
    if region != "data":  # every header and catalogue byte is checked
        assert counter["refused"] == 1


def test_a_damaged_database_on_the_command_line_and_the_restore_that_fixes_it(
    demo_db, tmp_path, original
):
    good = tmp_path / "backup"
    with Store.open(demo_db, read_only=True) as store:
        backup.backup(store, good)
    path = tmp_path / "damaged.duckdb"
    shutil.copy(demo_db, path)
    cut(path, 3 * BLOCK + 1)
    before = digest(path)
    for command in (["waves"], ["delete", "2026-Q1"], ["backup", str(tmp_path / "b2")]):
        done = run_cli(*command, "--db", str(path))
        _cli_refusal(done, f"The database {path} is damaged", "python -m gapmodel restore")
        assert digest(path) == before
    # The restore the message names: refused without --force (and says so), done with it.
    done = run_cli("restore", str(good), "--db", str(path))
    _cli_refusal(done, "--force")
    assert digest(path) == before
    done = run_cli("restore", str(good), "--db", str(path), "--force")
    assert done.returncode == 0, done.stderr
    assert _read_everything(path) == original


def test_a_file_that_is_not_a_database_is_refused_and_kept(tmp_path):
    """DuckDB 2 opens a .csv or .parquet path as an empty in-memory database; the store
    refuses it before DuckDB sees it."""
    for name, data in (("wave.csv", b"a,b\n1,2\n"), ("empty.duckdb", b"")):
        path = tmp_path / name
        path.write_bytes(data)
        for read_only in (False, True):
            with pytest.raises(DamagedDatabaseError, match="GAPMODEL_DB") as caught:
                Store.open(path, read_only=read_only)
            assert str(path) in str(caught.value)
        assert path.read_bytes() == data
        _cli_refusal(run_cli("waves", "--db", str(path)), str(path), "not a gapmodel database")


def _header_refuses(fifo: Path) -> bool:
    return not has_database_header(fifo)


def _open_refuses(fifo: Path) -> bool:
    try:
        Store.open(fifo, read_only=True)
    except DamagedDatabaseError as exc:
        return "is not a regular file (a device or a pipe)" in str(exc)
    return False


@pytest.mark.parametrize("refuses", [_header_refuses, _open_refuses], ids=["header", "open"])
def test_a_named_pipe_is_refused_without_being_opened(tmp_path, refuses):
    """Opening a FIFO for reading waits for a writer: neither the header check nor the
    database's opening may open it."""
    fifo = tmp_path / "pipe.duckdb"
    os.mkfifo(fifo)
    answers = []
    checking = threading.Thread(target=lambda: answers.append(refuses(fifo)))
    checking.daemon = True
    checking.start()
    checking.join(5)
    waited = checking.is_alive()
    if waited:  # let the blocked reader go before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        checking.join(5)
    assert not waited, "the header check waited on the named pipe"
    assert answers == [True]


def test_a_folder_or_a_path_under_a_file_is_refused(tmp_path):
    with pytest.raises(DatabasePathError, match="is a folder, not a file"):
        Store.open(tmp_path)
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    with pytest.raises(DatabasePathError, match=f"{blocker} is a file, not a folder"):
        Store.open(blocker / "sub" / "db.duckdb")
    done = run_cli("ingest", "none.csv", "--wave", "x", "--db", str(tmp_path))
    _cli_refusal(done, "is a folder, not a file")


def test_a_missing_folder_is_created_for_a_new_database(tmp_path):
    path = tmp_path / "new" / "folder" / "db.duckdb"
    Store.open(path).close()
    assert content(path)[0] == []


# -- a full disk ----------------------------------------------------------------------------
@pytest.fixture
def full_disk(demo_db, tmp_path):
    """A 24 MB disk holding a copy of the demo database; ``fill`` it in the test."""
    with small_disk(tmp_path / "disk", 24) as disk:
        path = disk / "gapmodel.duckdb"
        shutil.copy(demo_db, path)
        yield path


def _big_wave(n: int = 20_000):
    instrument = default_instrument()
    data = wave_csv(generate_wave(n, 7, instrument, seed=77))
    wave, report = prepare_wave(data, "big.csv", instrument, SCALE)
    assert wave is not None, report.to_text()
    return wave, data


@pytest.mark.parametrize("leave", [0, 64_000, 2_000_000], ids=["0 B", "64 KB", "2 MB"])
def test_ingest_and_delete_on_a_full_disk_change_nothing(full_disk, leave):
    before = content(full_disk)
    disk = full_disk.parent
    wave, _ = _big_wave()
    filler = fill(disk, leave)
    with Store.open(full_disk) as store:
        with pytest.raises(DiskFullError) as caught:
            store.ingest_wave(wave, "2026-Q4")
        message = str(caught.value)
        assert f"The disk holding {disk} (mounted at {disk}) has no space left" in message
        assert "the wave was not stored" in message and f"Free space on {disk}" in message
        assert store.wave_labels() == before[0]  # the same connection goes on serving
        if leave == 0:
            with pytest.raises(DiskFullError, match="the wave was not deleted"):
                store.delete_wave("2026-Q1")
    filler.unlink()
    assert content(full_disk) == before
    with Store.open(full_disk) as store:  # with space freed, the same writes succeed
        store.delete_wave("2026-Q1")
        assert store.wave_labels() == ["2026-Q2", "2026-Q3"]


def test_at_any_free_space_a_refused_ingest_stored_nothing_and_a_stored_one_all(full_disk, measure):
    """Free space from none to more than the wave needs, in steps: each ingest either raises
    DiskFullError and the file holds what it held, or succeeds and the wave is there whole."""
    disk = full_disk.parent
    original = content(full_disk)
    spare = disk.parent / "original.duckdb"
    shutil.copy(full_disk, spare)
    wave, _ = _big_wave(5_000)
    with Store.open(full_disk) as store:  # what the wave takes on this disk
        free = shutil.disk_usage(disk).free
        store.ingest_wave(wave, "2026-Q4")
        store.checkpoint()
        needed = free - shutil.disk_usage(disk).free
    outcomes = []
    for step in range(9):
        shutil.copy(spare, full_disk)
        Path(f"{full_disk}.wal").unlink(missing_ok=True)
        filler = fill(disk, needed * step // 6)
        with Store.open(full_disk) as store:
            try:
                store.ingest_wave(wave, "2026-Q4")
            except DiskFullError as exc:
                assert "the wave was not stored" in str(exc)
                outcomes.append("refused")
            else:
                outcomes.append("stored")
            store.wave_labels()  # the connection still serves
        filler.unlink()
        labels, _ = content(full_disk)
        if outcomes[-1] == "refused":
            assert content(full_disk) == original
        else:
            assert labels == [*original[0], "2026-Q4"]
            with Store.open(full_disk, read_only=True) as store:
                assert store.table_counts()["respondents"] == 3 * 300 + 5_000
    measure("faults: ingest on a full disk, 9 free-space steps", " ".join(outcomes))
    assert outcomes[0] == "refused" and outcomes[-1] == "stored", outcomes


def test_a_checkpoint_on_a_full_disk_stops_the_connection_until_the_next_call(full_disk):
    """DuckDB invalidates a connection whose checkpoint failed; the store reopens the file on
    the next call, and nothing committed is lost (it was in the .wal)."""
    disk = full_disk.parent
    with Store.open(full_disk) as store:
        store.delete_wave("2026-Q1")  # committed to the .wal
        filler = fill(disk)
        with pytest.raises(DiskFullError, match="the changes stay in the write-ahead log"):
            store.checkpoint()
        filler.unlink()
        with store.snapshot() as snap:  # the dashboard reads through a snapshot first
            assert snap.wave_labels() == ["2026-Q2", "2026-Q3"]  # opened afresh
        store.delete_wave("2026-Q2")
    assert content(full_disk)[0] == ["2026-Q3"]


def test_the_command_line_on_a_full_disk(full_disk, tmp_path):
    before = content(full_disk)
    disk = full_disk.parent
    _, data = _big_wave()
    upload = tmp_path / "big.csv"
    upload.write_bytes(data)
    good = tmp_path / "backup"
    with Store.open(full_disk, read_only=True) as store:
        backup.backup(store, good)
    filler = fill(disk)
    db, new = ["--db", str(full_disk)], ["--db", str(disk / "new.duckdb")]
    for command, outcome in (
        (["ingest", str(upload), "--wave", "2026-Q4", *db], "the wave was not stored"),
        (["delete", "2026-Q1", *db], "the wave was not deleted"),
        (["restore", str(good), "--force", *db], "the backup was not restored"),
        (["restore", str(good), *new], "the backup was not restored"),
    ):
        _cli_refusal(run_cli(*command), "has no space left", outcome, f"Free space on {disk}")
    assert sorted(p.name for p in disk.iterdir()) == ["filler", full_disk.name]  # no leftovers
    filler.unlink()
    assert content(full_disk) == before


# -- a read-only folder ---------------------------------------------------------------------
def test_a_read_only_folder_refuses_writes_and_keeps_reads(demo_db, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "gapmodel.duckdb"
    shutil.copy(demo_db, path)
    before = digest(path)
    with read_only_folder(folder):
        for target in (path, folder / "new.duckdb"):  # an existing file, a first start
            with pytest.raises(ReadOnlyDatabaseError) as caught:
                Store.open(target)
            message = str(caught.value)
            assert f"The database {target} cannot be written: {folder} is on a read-only" in message
            assert f"Make {folder} writable, or set GAPMODEL_DB" in message
        assert content(path)[0] == ["2026-Q1", "2026-Q2", "2026-Q3"]  # reading still works
        done = run_cli("waves", "--db", str(path))
        assert done.returncode == 0 and "2026-Q3" in done.stdout
        done = run_cli("delete", "2026-Q1", "--db", str(path))
        _cli_refusal(done, "read-only file system", "the database was not opened")
        done = run_cli("demo", "--respondents", "5", "--waves", "1", "--db", str(folder / "d.db"))
        _cli_refusal(done, "read-only file system", "the database was not created")
    assert digest(path) == before
    assert sorted(p.name for p in folder.iterdir()) == [path.name]


def test_an_unprivileged_user_in_a_folder_without_write_permission(tmp_path):
    """chmod 0555 stops everyone but root; the command runs as ``nobody`` through setpriv."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or subprocess.run(["id", "nobody"], capture_output=True).returncode:
        pytest.skip("setpriv or the user nobody is missing")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    for parent in (tmp_path, *tmp_path.parents):  # nobody must reach the folder
        parent.chmod(parent.stat().st_mode | 0o005)
    done = subprocess.run(
        [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
        + ["-m", "gapmodel", "demo", "--waves", "1", "--db", str(folder / "g.duckdb")],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(folder)},
    )
    _cli_refusal(done, f"this user may not write to {folder / 'g.duckdb'} or its folder")
    assert list(folder.iterdir()) == []


# -- a write-ahead log beside an older copy ---------------------------------------------------
@pytest.fixture
def older_with_wal(demo_db, tmp_path):
    """``(path, wal, older content)``: an older copy of the file with a newer copy's log."""
    path = tmp_path / "gapmodel.duckdb"
    shutil.copy(demo_db, path)
    older = tmp_path / "older.duckdb"
    shutil.copy(demo_db, older)
    wal = stale_wal(older, path, "2026-Q2")
    return path, wal, content(older)


def test_a_stale_wal_is_refused_and_naming_it_and_the_way_out(older_with_wal, tmp_path):
    path, wal, older = older_with_wal
    before = digest(path), digest(wal)
    for read_only in (True, False):
        with pytest.raises(WriteAheadLogError) as caught:
            Store.open(path, read_only=read_only)
        message = str(caught.value)
        assert f"The write-ahead log {wal} beside the database {path} belongs to another" in message
        assert f"Move {wal} aside and try again" in message and "restore" in message
    _cli_refusal(run_cli("waves", "--db", str(path)), f"Move {wal} aside")
    assert (digest(path), digest(wal)) == before  # DuckDB replayed nothing
    wal.rename(tmp_path / "aside.wal")  # the step the message gives
    assert content(path) == older


def test_a_stale_wal_is_replaced_by_a_forced_restore(older_with_wal, demo_db, tmp_path):
    path, wal, _ = older_with_wal
    good = tmp_path / "backup"
    with Store.open(demo_db, read_only=True) as store:
        backup.backup(store, good)
    _cli_refusal(run_cli("restore", str(good), "--db", str(path)), "Move")
    done = run_cli("restore", str(good), "--db", str(path), "--force")
    assert done.returncode == 0, done.stderr
    assert not wal.exists() and content(path) == content(demo_db)


@pytest.mark.parametrize("damage", ["flip 100", "flip middle", "cut 10", "cut middle"])
def test_a_damaged_wal_is_refused_or_dropped_whole(demo_db, tmp_path, damage):
    """A flipped bit fails the log's checksums: refused. A log cut short (a torn last write)
    is dropped by DuckDB: the file opens as last checkpointed, never half-applied."""
    path = tmp_path / "gapmodel.duckdb"
    shutil.copy(demo_db, path)
    wal = leave_wal(path, "2026-Q2")
    kind, where = damage.split()
    at = wal.stat().st_size // 2 if where == "middle" else int(where)
    (flip if kind == "flip" else cut)(wal, at)
    if kind == "flip":
        with pytest.raises(WriteAheadLogError, match=f"The write-ahead log {wal} .* is damaged"):
            Store.open(path)
    else:
        assert content(path) == content(demo_db)
