"""``python -m gapmodel map FILE``: propose a column mapping for a survey export, as a CSV to
check and edit, then ``validate`` / ``ingest --mapping``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gapmodel.cli.outputs import check_output, write_output
from gapmodel.cli.uploads import (
    Refusal,
    add_read_options,
    instrument_for,
    read_options,
    read_upload,
)
from gapmodel.ingest.isolated import read_table
from gapmodel.ingest.mapping import Mapping, mapping_csv, mapping_records, mapping_summary
from gapmodel.ingest.proposal import propose
from gapmodel.ingest.readers import ReadError
from gapmodel.storage.store import Store

INSTRUMENT_HELP = (
    "instrument CSV (default: the newest stored wave's questionnaire, else data/instrument.csv)"
)
UNSURE = 60  # proposals below this confidence are listed for a look


def cmd_map(args: argparse.Namespace) -> int:
    """Write the proposed mapping of a file and say what it found."""
    out_file = check_output(args.out, args.db, "--out") if args.out else None
    data = read_upload(args.file)
    options = read_options(args, None)
    if Path(args.db).exists():
        with Store.open(args.db, read_only=True) as store:
            instrument = instrument_for(args, store)
    else:
        instrument = instrument_for(args, None)
    try:
        table = read_table(data, Path(args.file).name, options)
    except ReadError as exc:
        choices = f" Candidates: {', '.join(exc.choices)}." if exc.choices else ""
        raise Refusal(f"{exc.problem.message}{choices}") from None
    if table.frame.height == 0:
        raise Refusal(
            f"{args.file} has a header but no answers under it (rows of question texts are not "
            "answers). Export the responses too, or name the header row with --header-row."
        )
    mapping = propose(table, instrument, options)
    out = mapping_csv(mapping)
    if out_file is not None:
        write_output(out_file, out, "--out")
        stream = sys.stdout
    else:
        sys.stdout.buffer.write(out)
        sys.stdout.flush()
        stream = sys.stderr
    for note in table.notes:
        print(f"note: {note.message}", file=stream)
    print(_summary(mapping, args), file=stream)
    return 0


def _summary(mapping: Mapping, args: argparse.Namespace) -> str:
    """What the proposal holds, what needs a look (by the mapping file's row) and the next step."""
    lines = [mapping_summary(mapping), "Personal data is not stored unless you map it."]
    rows = list(enumerate(mapping_records(mapping), start=2))  # row 1 is the header
    blank = [n for n, r in rows if r["role"] == "label" and not r["name"]]
    if blank:
        listed = ", ".join(map(str, blank[:10])) + (", ..." if len(blank) > 10 else "")
        lines.append(
            f"{len(blank)} answer text(s) need their score: rows {listed} (role label, the "
            "score in name, or missing)."
        )
    unsure = [
        (n, r)
        for n, r in rows
        if r["role"] not in ("option", "label")
        and r["confidence"]
        and int(r["confidence"]) < UNSURE
    ]
    for n, r in unsure[:15]:
        lines.append(f"  check row {n} ({r['column'][:60]}): {r['reason']}")
    if len(unsure) > 15:
        lines.append(f"  ... and {len(unsure) - 15} more rows below {UNSURE}% confidence.")
    if not mapping.by_role("id"):
        lines.append("No respondent id column: respondents will be numbered by their row.")
    target = args.out or "MAPPING.csv"
    lines.append(
        f"Next: check {target} (any spreadsheet), then python -m gapmodel validate {args.file} "
        f"--mapping {target}"
    )
    return "\n".join(lines)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``map`` to the ``python -m gapmodel`` parser."""
    p = sub.add_parser(
        "map", parents=[common], help="propose a column mapping for a survey tool's export"
    )
    p.add_argument("file", help="CSV, XLSX, ODS, SPSS .sav or Parquet export")
    p.add_argument("--instrument", help=INSTRUMENT_HELP)
    p.add_argument("--out", help="write the mapping CSV here (default: standard output)")
    add_read_options(p)
    p.set_defaults(handler=cmd_map)
