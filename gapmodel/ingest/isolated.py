"""Reading an upload in a process of its own, under a memory cap (``read_memory_mb``).

A file can make a reader allocate far more than it holds: a workbook whose used range is the
whole sheet, a Parquet file of a billion compressed nulls, a CSV of millions of tiny columns.
The Excel reader then aborts the process (a Rust abort, which nothing can catch). Read in the
dashboard's process, one such upload would stop the dashboard for every user; read here, in a
child process (:mod:`gapmodel.ingest.read_child`) that caps its own address space before it
imports a reader, it ends that child only, and the analyst is told.

Each file is read by a process of its own, never one that read another file. In a process that
reads files one after another (the dashboard: :func:`keep_spares`), the next one is started
ahead after each read (caps set, reader imported), so that a read costs the transfer of its
table back (Arrow IPC) rather than a Python start.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict
from typing import IO

import polars as pl

from gapmodel.core import settings
from gapmodel.core.memory import peak_mb
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.ingest.read_child import EXIT_MEMORY, PEAK_LINE
from gapmodel.ingest.readers import FormulaCell, RawTable, ReadError, ReadOptions
from gapmodel.ingest.validation_report import Problem, shorten

CPU_SECONDS = 300  # processor time a read may take; a real 200 MB file takes under a minute
_MEMORY_WORDS = ("MemoryError", "Cannot allocate memory", "memory allocation", "jemalloc")
_THREADS = "4"  # polars threads in the child: each thread's allocator arena counts to the cap


def read_table(data: bytes, filename: str, options: ReadOptions | None = None) -> RawTable:
    """:func:`gapmodel.ingest.readers.read_table`, in a child process under the memory cap.

    Raises
    ------
    ReadError
        As the reader does; and when the child ran out of memory or time, or ended otherwise
        (the problem says which, and what to do).
    """
    table, _ = read_with_peak(data, filename, options)
    return table


def read_with_peak(
    data: bytes, filename: str, options: ReadOptions | None = None
) -> tuple[RawTable, float]:
    """:func:`read_table`, and the child's peak resident memory in MB.

    Raises
    ------
    ReadError
        As :func:`read_table`; its ``peak_mb`` attribute holds the child's peak.
    """
    limit = settings.get("read_memory_mb")
    spec = {"filename": filename, "options": asdict(options or ReadOptions())}
    out, code, peak, said = _run((limit, CPU_SECONDS), json.dumps(spec).encode() + b"\n", data)
    try:
        if code == 0 and out:
            return _table(out), peak
        raise _ended(filename, code, limit, said, peak)
    except ReadError as exc:
        exc.peak_mb = peak
        raise


def _run(caps: tuple[int, int], head: bytes, data: bytes) -> tuple[bytes, int, float, str]:
    """Run a child under ``caps`` (MB, seconds) on ``head`` and ``data``: its output, exit code
    (minus a signal number), peak resident memory in MB and the last line of its error
    output."""
    child, errors = _child(caps)
    peaks = [0.0]
    done = threading.Event()
    try:
        feeder = threading.Thread(target=_feed, args=(child.stdin, head, data), daemon=True)
        sampler = threading.Thread(target=_sample, args=(child.pid, peaks, done), daemon=True)
        feeder.start()
        sampler.start()
        out = child.stdout.read()
        feeder.join()
        child.wait()
        done.set()
        sampler.join()
        errors.seek(max(0, errors.tell() - 2000))
        lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    finally:  # whatever happened here, the child does not read on
        done.set()
        _discard(child, errors)
    if _KEEP_SPARES:
        _start_spare(caps)  # after this read, so as not to slow it
    if lines and lines[-1].startswith(PEAK_LINE):  # the child's own last word: its peak
        peaks.append(float(lines.pop()[len(PEAK_LINE) :]))
    return out, child.returncode, max(peaks), lines[-1] if lines else ""


def _sample(pid: int, peaks: list[float], done: threading.Event) -> None:
    """Record the child's peak memory every 20 ms until it ends (a child killed by a signal
    cannot say its own)."""
    while not done.wait(0.02):
        peak = peak_mb(pid)
        if peak is None:
            return
        peaks.append(peak)


# One child started ahead for the next file, its caps set and its reader imported (that takes
# about 0.3 s): the process that reads a file is never one that read another.
_SPARE: dict[tuple[int, int], tuple[subprocess.Popen, IO[bytes]]] = {}
_SPARE_LOCK = threading.Lock()
_KEEP_SPARES = False


def keep_spares() -> None:
    """Start the reading process for the next file ahead from now on: for a process that reads
    many files (the dashboard), not for a command that reads one and ends."""
    global _KEEP_SPARES
    _KEEP_SPARES = True


def _child(caps: tuple[int, int]) -> tuple[subprocess.Popen, IO[bytes]]:
    """A reading process under ``caps`` and the file of its error output: the one started
    ahead if it is still waiting, else a new one."""
    with _SPARE_LOCK:
        spare = _SPARE.pop(caps, None)
    if spare is not None and spare[0].poll() is None:
        return spare
    if spare is not None:
        _discard(*spare)
    return _start(caps)


def _start_spare(caps: tuple[int, int]) -> None:
    """Start the process for the next file under ``caps``, unless one waits already; stop any
    started under other caps (the setting changed)."""
    with _SPARE_LOCK:
        if caps in _SPARE:
            return
        _stop_spares()
        try:
            _SPARE[caps] = _start(caps)
        except ReadError:  # no process to start now: the next read will say so
            pass


def _start(caps: tuple[int, int]) -> tuple[subprocess.Popen, IO[bytes]]:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
        MALLOC_ARENA_MAX="2",  # glibc reserves 64 MB of address space per arena otherwise
        POLARS_MAX_THREADS=_THREADS,
    )
    errors = None
    try:
        errors = tempfile.TemporaryFile()
        child = subprocess.Popen(
            [sys.executable, "-m", "gapmodel.ingest.read_child", *map(str, caps)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=PROJECT_ROOT,
            env=env,
        )
    except OSError as exc:  # no process left, no memory or temporary space to start one
        if errors is not None:
            errors.close()
        raise ReadError(
            Problem(
                rule="read_process",
                message=f"The file could not be read now: no process could be started to "
                f"read it ({exc.strerror or exc}). Try again in a moment.",
            )
        ) from None
    return child, errors


def _discard(child: subprocess.Popen, errors: IO[bytes]) -> None:
    """End ``child`` if it still runs, and close its pipes and error file."""
    if child.poll() is None:
        child.kill()
        child.wait()
    for stream in (child.stdin, child.stdout, errors):
        try:
            stream.close()
        except OSError:  # a pipe the child left unread
            pass


def _stop_spares() -> None:
    """End the processes started ahead (they hold no file yet: nothing is lost). The caller
    holds ``_SPARE_LOCK``."""
    for spare in _SPARE.values():
        _discard(*spare)
    _SPARE.clear()


@atexit.register
def _stop_spares_at_exit() -> None:
    with _SPARE_LOCK:
        _stop_spares()


def _feed(pipe: IO[bytes], head: bytes, data: bytes) -> None:
    try:
        pipe.write(head)
        pipe.write(data)
    except BrokenPipeError:  # the child ended before reading it all; its exit code says why
        pass
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass


def _table(out: bytes) -> RawTable:
    """The table (or the ReadError) the child wrote."""
    stream = io.BytesIO(out)  # shares the bytes: the table is not copied once more
    try:
        head = json.loads(stream.readline())
        if "problem" in head:
            raise ReadError(Problem(**head["problem"]), head["choices"])
        head["notes"] = [Problem(**p) for p in head["notes"]]
        head["formulas"] = tuple(FormulaCell(**c) for c in head["formulas"])
        head["sheets"] = tuple(head["sheets"])
        return RawTable(pl.read_ipc_stream(stream), **head)
    except (ValueError, TypeError, KeyError, pl.exceptions.PolarsError) as exc:
        raise ReadError(
            Problem(
                rule="read_process",
                message="The file could not be read now: the reading process answered in a "
                f"way gapmodel does not understand ({type(exc).__name__}). Try again; if it "
                "happens again, export the survey as CSV and upload that.",
            )
        ) from None


def _ended(filename: str, code: int, limit: int, said: str, peak: float) -> ReadError:
    """The refusal for a child that ended without a table: out of memory, out of time, or
    otherwise (``said``: the last line of its error output; ``peak``: its peak memory, MB)."""
    name = shorten(filename)
    # Out of memory shows as a MemoryError, as an abort (Rust, C++), as a crash of a library
    # that did not check its allocation, or as a library's own error about memory.
    # A crash is taken for want of memory when the child came near its cap.
    memory = code in (EXIT_MEMORY, -signal.SIGABRT, -signal.SIGKILL) or (
        code in (-signal.SIGSEGV, -signal.SIGBUS) and peak >= 0.9 * limit
    )
    if memory or any(word in said for word in _MEMORY_WORDS):
        return ReadError(
            Problem(
                rule="read_memory",
                message=f"{name} could not be read within the memory limit of {limit:,} MB "
                "(GAPMODEL_READ_MEMORY_MB): reading it needs more than its size suggests. "
                "If it is a workbook, delete the empty rows and columns around the table and "
                "save it again, or export the survey as CSV; if the file is as large as it "
                "should be, ask the administrator to raise the limit.",
            )
        )
    if code == -signal.SIGXCPU:
        return ReadError(
            Problem(
                rule="read_time",
                message=f"{name} could not be read within {CPU_SECONDS} s of processing. "
                "Export the survey as CSV and upload that.",
            )
        )
    if code < 0:
        return ReadError(
            Problem(
                rule="read_crash",
                message=f"{name} could not be read: the reader stopped unexpectedly (signal "
                f"{-code}). Export the survey again, as CSV if it was a workbook, and upload "
                "that.",
            )
        )
    return ReadError(
        Problem(
            rule="damaged_file",
            message=f"{name} could not be read (the reader stopped with code {code}: "
            f"{shorten(said) or 'no reason given'}). Export the survey again, as CSV if it was a "
            "workbook, and upload that.",
        )
    )
