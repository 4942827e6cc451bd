"""``python -m gapmodel``: ingest, validate, list, delete, export and demo waves; back up,
restore and migrate the database; show the audit trail; plus the model commands (gaps, alpha,
ipa, trend, segments, bench) from :mod:`gapmodel.cli.model_commands`.

Every refusal exits non-zero with one line that says what is wrong and what to do next: 1 for a
refused input or operation (a database file, folder or disk that cannot be used as it is among
them: damaged, full, read-only), 2 for a malformed option or setting.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from gapmodel.cli import mapping_commands, model_commands
from gapmodel.cli.outputs import cannot_write, check_output, printable, write_output
from gapmodel.cli.uploads import (
    Refusal,
    add_read_options,
    instrument_for,
    mapping_for,
    read_options,
    read_upload,
)
from gapmodel.core import settings
from gapmodel.core.errors import DuplicateWaveError, GapmodelError, SettingsError
from gapmodel.core.fielded import fielded_problem
from gapmodel.core.text import find_text
from gapmodel.ingest.backup_check import check_backup
from gapmodel.ingest.mapping import Mapping, mapping_csv
from gapmodel.ingest.prepare import parse_scale, prepare_wave
from gapmodel.ingest.validation_report import ValidationReport
from gapmodel.ingest.wave_export import FORMATS, LAYOUTS, wave_frame, write_frame
from gapmodel.storage import backup
from gapmodel.storage.names import label_warning
from gapmodel.storage.prepared_wave import PreparedWave
from gapmodel.storage.store import Store

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
DB_HELP = "database file (default: GAPMODEL_DB or the embedded data/gapmodel.duckdb)"


def _scale(text: str) -> tuple[int, int]:
    try:
        return parse_scale(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"Give a positive whole number. Got {text!r}.")
    return value


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"The date must look like 2026-09-30. Got {text!r}."
        ) from None
    why = fielded_problem(day)
    if why is not None:
        raise argparse.ArgumentTypeError(why)
    return day


def _user(args: argparse.Namespace) -> str | None:
    """The name recorded in the audit trail: --user, else the operating-system login."""
    if args.user:
        return args.user
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment
        return None


def _prepare(args: argparse.Namespace, store: Store | None):
    """The wave, its report, and the mapping it was read with (its options those used)."""
    report_file = check_output(args.report, args.db, "--report") if args.report else None
    data = read_upload(args.file)
    mapping = mapping_for(args)
    instrument = instrument_for(args, store)
    options = read_options(args, mapping)
    wave, report = prepare_wave(
        data, Path(args.file).name, instrument, args.scale, options, mapping
    )
    if report_file is not None:
        write_output(report_file, report.to_csv_bytes(), "--report")
    return wave, report, None if mapping is None else replace(mapping, options=options)


def cmd_validate(args: argparse.Namespace) -> int:
    """Dry run: print the validation report, write nothing."""
    if Path(args.db).exists():
        with Store.open(args.db, read_only=True) as store:
            _, report, _ = _prepare(args, store)
    else:
        _, report, _ = _prepare(args, None)
    print(report.to_text())
    return EXIT_OK if report.ok else EXIT_REFUSED


def cmd_ingest(args: argparse.Namespace) -> int:
    """Validate a file and write it as one wave, in one transaction."""
    if said := label_warning(args.wave):
        print(f"warning: {said}", file=sys.stderr)
    new_file = not Path(args.db).exists()
    if new_file:  # checked first, so that a refused file leaves no empty database behind
        wave, report, mapping = _prepare(args, None)
        _refuse_invalid(wave, report)
    with Store.open(args.db) as store:
        if not new_file:  # read with the newest stored wave's questionnaire
            wave, report, mapping = _prepare(args, store)
            _refuse_invalid(wave, report)
        try:
            result = store.ingest_wave(
                wave, args.wave, args.fielded, replace=args.replace, user=_user(args)
            )
        except DuplicateWaveError as exc:
            raise Refusal(
                f"{exc} Add --replace to overwrite it, or choose another label."
            ) from None
        if mapping is not None:  # offered on the Data page for the next file with these headers
            _save_mapping(store, args, mapping, report.preview.columns)
    replaced = f" (replaced wave {result['replaced']!r})" if result["replaced"] else ""
    print(
        f"Ingested wave {result['label']!r}: {result['n_respondents']:,} respondents, "
        f"{result['n_responses']:,} responses{replaced}."
    )
    return EXIT_OK


def _save_mapping(
    store: Store, args: argparse.Namespace, mapping: Mapping, headers: list[str]
) -> None:
    """Save the mapping a wave was read with, under its file's name; the wave is stored already,
    so a mapping that cannot be saved is a warning, not a refusal."""
    text = mapping_csv(mapping).decode("utf-8-sig")
    try:
        name = store.save_mapping(Path(args.mapping).stem, headers, text, _user(args))
    except ValueError as exc:
        print(f"warning: the mapping was not saved: {exc}", file=sys.stderr)
        return
    print(f"Saved the mapping as {name!r} for the next wave of this survey.")


def _refuse_invalid(wave: PreparedWave | None, report: ValidationReport) -> None:
    """Stop with the report when the file cannot be stored; else print its warnings."""
    if wave is None:
        print(report.to_text(), file=sys.stderr)
        raise Refusal(f"Nothing was written: {report.summary()} Fix the file and ingest it again.")
    for problem in report.warnings:
        print(f"warning: {problem.message}", file=sys.stderr)


def cmd_waves(args: argparse.Namespace) -> int:
    """List the stored waves."""
    with Store.open(args.db, read_only=True) as store:
        waves = store.waves()
    if waves.is_empty():
        print("No waves yet. Add one with `python -m gapmodel ingest FILE --wave LABEL`.")
        return EXIT_OK
    columns = ["label", "fielded", "scale_min", "scale_max", "n_respondents", "n_responses"]
    for row in waves.select(*columns, "source_name").iter_rows(named=True):
        print(
            f"{printable(row['label'])}\tfielded {row['fielded'] or '-'}\tscale {row['scale_min']}-"
            f"{row['scale_max']}\t{row['n_respondents']:,} respondents\t"
            f"{row['n_responses']:,} responses\tfrom {printable(row['source_name'])}"
        )
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    """Delete one wave and everything stored with it."""
    with Store.open(args.db) as store:
        label = store.delete_wave(args.wave, user=_user(args))
    print(f"Deleted wave {label!r}.")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    """List who ingested, replaced and deleted which wave, newest last."""
    with Store.open(args.db, read_only=True) as store:
        log = store.audit()
    if log.is_empty():
        print("No changes recorded yet.")
        return EXIT_OK
    for row in log.tail(args.last).iter_rows(named=True):
        print(
            f"{row['changed_at']:%Y-%m-%d %H:%M:%S} UTC\t{row['action']}\t"
            + "\t".join(printable(row[k] or none) for k, none in _AUDIT_TEXT)
        )
    return EXIT_OK


_AUDIT_TEXT = (("wave", ""), ("username", "-"), ("detail", ""))


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database to the current schema version (one transaction)."""
    if not Path(args.db).exists():
        raise Refusal(f"There is no database at {args.db}. Check --db / GAPMODEL_DB.")
    with Store.open(args.db) as store:
        version, old = store.schema_version, store.migrated_from
    if old is None:
        print(f"The database {args.db} is at schema version {version}; nothing to do.")
    else:
        print(f"Migrated the database {args.db} from schema version {old} to {version}.")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    """Write every table as Parquet plus a manifest into a new folder."""
    target = check_output(args.dir, args.db, "the backup folder", folder=True)
    with Store.open(args.db, read_only=True) as store:
        try:
            manifest = backup.backup(store, target)
        except OSError as exc:
            raise cannot_write(Path(exc.filename or target), exc, "the backup") from None
    tables = manifest["tables"]
    print(
        f"Backed up {args.db} to {args.dir}: {tables['waves']['rows']} wave(s), "
        f"{tables['responses']['rows']:,} responses in {len(tables)} tables."
    )
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore a backup folder into a database file, once its tables pass the upload's rules."""
    manifest, frames = backup.read_backup(args.dir)
    check = check_backup(frames, manifest["schema_version"])
    if not check.ok:
        for line in check.lines():
            print(line, file=sys.stderr)
        print(
            f"error: the backup in {args.dir} was not restored: {check.error_count():,} "
            f"problem(s) above, each with its table, row, column, value and rule. {args.db} is "
            "unchanged. Restore another backup, or correct those rows (and the files' SHA-256 "
            "in manifest.json).",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    for line in check.lines("warning"):
        print(f"warning: {line}", file=sys.stderr)
    result = backup.restore_tables(args.dir, manifest, frames, args.db, force=args.force)
    print(
        f"Restored {len(result['waves'])} wave(s) ({result['rows']['responses']:,} responses) "
        f"from {args.dir} into {result['db']}."
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Write a stored wave as an upload file."""
    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise Refusal(f"Give --format {' / '.join(FORMATS)} or an --out name ending in one.")
    out = check_output(args.out, args.db, "--out")
    with Store.open(args.db, read_only=True) as store:
        # the label as stored; an unknown one wave_frame refuses, with the next step
        label = find_text(args.wave, store.wave_labels()) or args.wave
        frame = wave_frame(store, label, args.layout)
    write_output(out, write_frame(frame, fmt), "--out")
    print(f"Wrote wave {label!r} ({args.layout}, {frame.height:,} rows) to {args.out}.")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """Add seeded demo waves (replacing demo waves of the same labels)."""
    from gapmodel.tools.demo import build_demo

    labels = build_demo(args.db, n_respondents=args.respondents, n_waves=args.waves)
    print(f"Demo waves {', '.join(labels)} written to {args.db}.")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=None, help=DB_HELP)
    parser = argparse.ArgumentParser(
        prog="python -m gapmodel", description="Expectation-gap (SERVQUAL) survey analytics."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def upload_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", help="CSV, XLSX, ODS, SPSS .sav or Parquet file")
        p.add_argument("--scale", type=_scale, default=(1, 7), help="declared scale (default 1-7)")
        p.add_argument("--instrument", help=mapping_commands.INSTRUMENT_HELP)
        p.add_argument("--mapping", help="mapping CSV (from python -m gapmodel map FILE)")
        add_read_options(p)
        p.add_argument("--report", help="also write the validation report to this CSV file")

    p = sub.add_parser("validate", parents=[common], help="check a file; write nothing")
    upload_options(p)
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("ingest", parents=[common], help="validate a file and store it as a wave")
    upload_options(p)
    p.add_argument("--wave", required=True, help="label of the new wave, e.g. 2026-Q4")
    p.add_argument("--fielded", type=_date, help="date the wave was fielded (YYYY-MM-DD)")
    p.add_argument("--replace", action="store_true", help="replace a wave of that label or file")
    p.add_argument("--user", help="name for the audit trail (default: your login name)")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("waves", parents=[common], help="list the stored waves")
    p.set_defaults(handler=cmd_waves)

    p = sub.add_parser("delete", parents=[common], help="delete a wave")
    p.add_argument("wave", help="label of the wave to delete")
    p.add_argument("--user", help="name for the audit trail (default: your login name)")
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser("audit", parents=[common], help="who ingested, replaced, deleted waves")
    p.add_argument(
        "--last", type=_positive, default=50, help="show the last N changes (default 50)"
    )
    p.set_defaults(handler=cmd_audit)

    p = sub.add_parser("migrate", parents=[common], help="upgrade the database's schema")
    p.set_defaults(handler=cmd_migrate)

    p = sub.add_parser("backup", parents=[common], help="back up every table to a new folder")
    p.add_argument("dir", help="new or empty folder for the Parquet files and manifest")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", parents=[common], help="restore a backup into a database")
    p.add_argument("dir", help="folder written by the backup command")
    p.add_argument("--force", action="store_true", help="replace a database that holds data")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("export", parents=[common], help="write a stored wave as an upload file")
    p.add_argument("wave", help="label of the wave")
    p.add_argument("--out", required=True, help="output file (.csv, .xlsx or .parquet)")
    p.add_argument("--layout", choices=LAYOUTS, default="wide")
    p.add_argument("--format", choices=FORMATS, help="default: from the --out suffix")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("demo", parents=[common], help="add seeded demo waves")
    p.add_argument("--respondents", type=int, default=4000, help="per wave (default 4000)")
    p.add_argument("--waves", type=int, default=3, help="number of waves (default 3)")
    p.set_defaults(handler=cmd_demo)

    mapping_commands.register(sub, common)
    before = set(sub.choices)
    model_commands.register(sub)
    for name in set(sub.choices) - before:
        if sub.choices[name].get_default("needs_store"):
            sub.choices[name].add_argument("--db", default=None, help=DB_HELP)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings.check()
        # --db without outer whitespace, as GAPMODEL_DB (see settings.Setting)
        args.db = (getattr(args, "db", None) or "").strip() or settings.get("db")
        if not hasattr(args, "needs_store"):
            return args.handler(args)
        if not args.needs_store:  # model commands that make their own data
            return args.handler(args, None)
        with Store.open(args.db, read_only=True) as store:
            return args.handler(args, store)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except GapmodelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_REFUSED
