"""What the upload commands (``map``, ``validate``, ``ingest``) share: the file, the
questionnaire it is read with, how to read it, and its mapping."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gapmodel.core.errors import GapmodelError
from gapmodel.core.instrument import Instrument, default_instrument, load_instrument
from gapmodel.ingest.mapping import Mapping, MappingError, read_mapping
from gapmodel.ingest.prepare import size_problem
from gapmodel.ingest.readers import ReadOptions
from gapmodel.storage.store import Store


class Refusal(GapmodelError):
    """A command-line request that cannot be carried out; the message is shown as is."""


def read_upload(path: str) -> bytes:
    """The bytes of an upload file, within the size limit."""
    file = Path(path)
    if not file.is_file():
        raise Refusal(f"There is no file {path}. Check the path.")
    too_large = size_problem(file.stat().st_size)  # checked before the bytes are read
    if too_large is not None:
        raise Refusal(f"{path}: {too_large.message}")
    return file.read_bytes()


def instrument_for(args: argparse.Namespace, store: Store | None) -> Instrument:
    """The questionnaire a file is read with: --instrument, else the newest stored wave's,
    else the default one (data/instrument.csv). Said on stderr, so that nobody wonders."""
    if args.instrument is not None:
        if not Path(args.instrument).is_file():
            raise Refusal(f"There is no instrument file {args.instrument}. Check the path.")
        instrument = load_instrument(args.instrument)
        for note in instrument.notes:
            print(f"warning: {args.instrument}: {note}", file=sys.stderr)
        return instrument
    stored = store.instrument() if store is not None else None
    if stored is None:
        return default_instrument()
    print(
        f"Reading the file with the questionnaire of the newest stored wave ({stored.name}, "
        f"{len(stored.codes)} items); give --instrument FILE for another.",
        file=sys.stderr,
    )
    return stored


def _row_number(text: str) -> int:
    if not text.strip().isascii() or not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"Give a row number from 1. Got {text!r}.")
    return int(text)


def add_read_options(p: argparse.ArgumentParser) -> None:
    """The options that say how to read a file where its bytes do not."""
    p.add_argument("--encoding", help="the CSV's text encoding, e.g. cp949 (default: detected)")
    p.add_argument(
        "--sheet", help="the workbook's sheet, by name or number (default: the first with a table)"
    )
    p.add_argument(
        "--header-row", type=_row_number, help="the header's row number, from 1 (default: found)"
    )


def mapping_for(args: argparse.Namespace) -> Mapping | None:
    """The --mapping file, parsed; its problems refuse the command, row by row."""
    path = getattr(args, "mapping", None)
    if path is None:
        return None
    if not Path(path).is_file():
        raise Refusal(f"There is no mapping file {path}. Check the path.")
    try:
        return read_mapping(Path(path).read_bytes(), Path(path).name)
    except MappingError as exc:
        for problem in exc.problems:
            where = f"row {problem.row}: " if problem.row else ""
            print(f"{path}: {where}{problem.message} [{problem.rule}]", file=sys.stderr)
        raise Refusal(
            f"The mapping {path} cannot be used ({len(exc.problems)} problem(s) above). "
            "Correct those rows, or write a new proposal with python -m gapmodel map FILE."
        ) from None


def read_options(args: argparse.Namespace, mapping: Mapping | None) -> ReadOptions:
    """--encoding, --sheet and --header-row, else the mapping's own."""
    given = ReadOptions(args.encoding, args.sheet, args.header_row)
    return given.over(mapping.options if mapping is not None else ReadOptions())
