"""Running the command line in a process of its own, and holding a database from another one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gapmodel.core.settings import PROJECT_ROOT


def run_cli(
    *args: str, env: dict | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``python -m gapmodel ARGS`` from the project folder, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "gapmodel", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=timeout,
    )


@contextmanager
def database_held(path: Path) -> Iterator[subprocess.Popen]:
    """Another process that holds the DuckDB file at ``path`` open, as a dashboard would, until
    the ``with`` block ends; yields that process (its ``pid`` names it)."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, duckdb
                con = duckdb.connect({str(path)!r})
                print("ready", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        if holder.stdout.readline().strip() != "ready":
            raise RuntimeError(f"The process meant to hold {path} did not open it.")
        yield holder
    finally:
        holder.communicate("")
