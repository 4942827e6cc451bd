"""The files the command line writes (``export``, ``report`` and ``map --out``, ``validate`` /
``ingest --report``, the ``backup`` folder), and text printed to a terminal.

One guard for every output path: it is refused, before anything is computed or written, when
it is the database (``--db``, or its write-ahead log), any other DuckDB database, or a folder;
a folder that cannot be written is refused with the next step instead of the system's words.
"""

from __future__ import annotations

import os
from pathlib import Path

from gapmodel.cli.uploads import Refusal
from gapmodel.core.text import ANY_CONTROL
from gapmodel.storage.faults import has_database_header


def _same(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def check_output(path: str, db: str | None, option: str, folder: bool = False) -> Path:
    """Refuse an output path that would overwrite a database (or, unless ``folder``, that is
    a folder); return it as a Path.

    Parameters
    ----------
    path : str
        The path given to ``option``.
    db : str or None
        The database file of the command (``--db`` / ``GAPMODEL_DB``).
    option : str
        The option or argument that named the path, for the message (``--out``).
    folder : bool
        The output is a folder (``backup``), which may exist.

    Raises
    ------
    Refusal
        When the path is the database or its ``.wal``, a file with a DuckDB header, or a
        folder (for a file output).
    """
    out = Path(path)
    choose = f"Nothing was written; give {option} another path."
    if db is not None:
        for guarded, what in ((Path(db), ""), (Path(f"{db}.wal"), "the write-ahead log of ")):
            if _same(out, guarded):
                raise Refusal(f"{option} {path} is {what}the database {db}. {choose}")
    if out.is_file() and has_database_header(out):
        raise Refusal(f"{option} {path} is a DuckDB database, which it would overwrite. {choose}")
    if out.is_dir() and not folder:
        raise Refusal(f"{option} {path} is a folder; it takes a file name. {choose}")
    return out


def write_output(path: Path, data: bytes, option: str) -> None:
    """Write ``data`` to ``path``; a folder that cannot be written is a refusal that says so."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise cannot_write(path, exc, option) from None


def cannot_write(path: Path, exc: OSError, option: str) -> Refusal:
    """The refusal for an output that the system would not write."""
    reason = exc.strerror or str(exc)
    return Refusal(
        f"{path} cannot be written ({reason}); nothing was written. Choose a writable folder "
        f"for {option}."
    )


def printable(text: object) -> str:
    """``text`` for a terminal: control characters (C0, DEL, C1), which could move the cursor,
    clear the screen or recolour it, shown as ``\\x1b``; everything else as it is."""
    return ANY_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
