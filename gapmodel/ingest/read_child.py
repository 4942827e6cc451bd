"""The process that reads an upload (:mod:`gapmodel.ingest.isolated`): it caps its own memory and
processor time first (``python -m gapmodel.ingest.read_child MEMORY_MB CPU_SECONDS``), then
imports the readers, and then waits for a file: it may be started ahead of one.

It gets, on standard input, one line of JSON (``filename``, ``options``) and then the file's
bytes. It writes, on standard output, one line of JSON (the table's metadata, or the
ReadError's problem) and then the table as an Arrow IPC stream. Only the standard library is
imported before the caps are set.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import sys

EXIT_MEMORY = 3  # the cap was reached by Python code, or by a file or library to map
PEAK_LINE = "gapmodel-read-peak-mb: "  # the last line of the error output: this process's peak


def main() -> int:
    """Read the upload on standard input; write the table (or its refusal) to standard output."""
    cap, seconds = int(sys.argv[1]) * 1024 * 1024, int(sys.argv[2])
    _lower(resource.RLIMIT_AS, cap, cap)
    _lower(resource.RLIMIT_CPU, seconds, seconds + 5)
    # The table goes to a copy of standard output; what a library prints goes to errors.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        from dataclasses import asdict, fields

        from gapmodel.ingest.readers import ReadError, ReadOptions, read_table

        line = sys.stdin.buffer.readline()
        if not line:  # a process started ahead, not needed after all
            return 0
        spec = json.loads(line)
        data = sys.stdin.buffer.read()
        try:
            table = read_table(data, spec["filename"], ReadOptions(**spec["options"]))
        except ReadError as exc:
            head = {"problem": asdict(exc.problem), "choices": exc.choices}
            out.write(json.dumps(head).encode() + b"\n")
            out.flush()
            return 0
        del data
        head = {f.name: getattr(table, f.name) for f in fields(table) if f.name != "frame"}
        head["notes"] = [asdict(p) for p in table.notes]
        head["formulas"] = [asdict(c) for c in table.formulas]
        out.write(json.dumps(head).encode() + b"\n")
        table.frame.write_ipc_stream(out, compression="lz4")  # 7 times smaller, as fast
        out.flush()
    except MemoryError:
        return EXIT_MEMORY
    except OSError as exc:  # a file or library that could not be mapped into memory
        if exc.errno == errno.ENOMEM:
            return EXIT_MEMORY
        raise
    return 0


def _lower(limit: int, soft: int, hard: int) -> None:
    """Set ``limit`` to at most ``soft``/``hard``, never above a hard limit set before (a
    process may lower its hard limit but not raise it: ulimit, systemd LimitAS=)."""
    _, old_hard = resource.getrlimit(limit)
    if old_hard != resource.RLIM_INFINITY:
        hard = min(hard, old_hard)
    resource.setrlimit(limit, (min(soft, hard), hard))


def _say_peak() -> None:
    from gapmodel.core.memory import peak_mb

    sys.stderr.write(f"\n{PEAK_LINE}{peak_mb()}\n")


if __name__ == "__main__":
    code = main()
    _say_peak()
    sys.exit(code)
