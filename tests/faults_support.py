"""Faults made on purpose: a small disk that fills up, a read-only folder, a cut or bit-flipped
database file, a write-ahead log left beside an older copy of the database."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gapmodel.core import settings
from gapmodel.core.errors import SettingsError
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.storage.store import Store

# A malformed value of every setting (and one pair that contradicts itself).
BAD_SETTINGS = [
    ("GAPMODEL_ALPHA", "abc"),
    ("GAPMODEL_ALPHA", "1.5"),
    ("GAPMODEL_MIN_N", "-3"),
    ("GAPMODEL_SUPPRESS_N", "many"),
    ("GAPMODEL_PADJUST", "xyz"),
    ("GAPMODEL_TOLERANCE", "-1"),
    ("GAPMODEL_TARGET_GAP", "0.3"),
    ("GAPMODEL_TARGETS", "/no/such/targets.csv"),
    ("GAPMODEL_TARGETS", "/tmp"),
    ("GAPMODEL_MAX_UPLOAD_MB", "0"),
    ("GAPMODEL_MAX_FILTER_VALUES", "1e3"),
    ("GAPMODEL_MAX_ROWS", "lots"),
    ("GAPMODEL_MIN_N", "3"),  # below GAPMODEL_SUPPRESS_N (5)
]


def setting_message() -> str:
    """What the settings now in the environment are refused with."""
    with pytest.raises(SettingsError) as caught:
        settings.check()
    return str(caught.value)


def digest(path: Path) -> str | None:
    """SHA-256 of the file's bytes (None when there is no file)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def content(path: Path) -> tuple[list[str], dict]:
    """The waves and every table's (rows, checksum), read through a fresh read-only open."""
    with Store.open(path, read_only=True) as store:
        return store.wave_labels(), store.checksums()


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode:
        raise OSError(done.stderr.strip() or f"mount {' '.join(args)} failed")


def _need_root(what: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"{what} needs root (mount); this run is not root.")


@contextmanager
def small_disk(folder: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` mounted on ``folder`` for the ``with`` block."""
    _need_root("A small disk")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder))
    except OSError as exc:
        pytest.skip(f"Cannot mount a tmpfs for the disk-full tests: {exc}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill ``disk`` up to ``leave`` free bytes with one file; delete it to free the space."""
    filler = disk / "filler"
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    with filler.open("ab") as file:
        chunk = b"\0" * (1 << 20)
        remaining = free - leave
        while remaining > 0:
            try:
                remaining -= file.write(chunk[: min(len(chunk), remaining)])
                file.flush()
            except OSError:
                break
    return filler


@contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """``folder`` bind-mounted read-only onto itself: real for root, whom permission bits do
    not stop."""
    _need_root("A read-only folder")
    try:
        _mount("--bind", str(folder), str(folder))
    except OSError as exc:
        pytest.skip(f"Cannot bind-mount a folder read-only: {exc}")
    try:
        _mount("-o", "remount,ro,bind", str(folder))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)  # the dashboard may hold it


def cut(path: Path, size: int) -> None:
    """Truncate the file at ``path`` to ``size`` bytes."""
    os.truncate(path, size)


def flip(path: Path, offset: int) -> None:
    """Invert every bit of the byte at ``offset``."""
    with path.open("r+b") as file:
        file.seek(offset)
        byte = file.read(1)
        file.seek(offset)
        file.write(bytes([byte[0] ^ 0xFF]))


def leave_wal(path: Path, label: str) -> Path:
    """Delete wave ``label`` in a process that dies before checkpointing, so that the change
    is only in ``<path>.wal``; returns that file."""
    child = textwrap.dedent(
        f"""
        import os
        from gapmodel.storage.store import Store
        store = Store.open({str(path)!r})
        store.delete_wave({label!r})
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", child], check=True, cwd=PROJECT_ROOT)
    wal = Path(f"{path}.wal")
    assert wal.exists(), "the child was meant to leave its change in the write-ahead log"
    return wal


def stale_wal(older: Path, path: Path, label: str) -> Path:
    """``path`` holding ``older`` (a copy from before a checkpoint) with the ``.wal`` of a later
    change beside it, as when a backup copy of the file is put back and the log is not."""
    with Store.open(path) as store:  # one more checkpoint: the log now follows a newer file
        store.delete_wave(store.wave_labels()[0])
    wal = leave_wal(path, label)
    shutil.copy(older, path)
    return wal
