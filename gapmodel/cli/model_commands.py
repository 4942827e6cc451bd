"""The model commands of ``python -m gapmodel``: gaps, alpha, ipa, trend, segments, report,
bench.

The table commands (gaps, alpha, ipa, segments) show one wave, as the dashboard does: the latest
stored (the last in the store's wave order) unless ``--wave`` names others, and ``--wave all``
pools every wave. A table grouped by wave (``gaps --by wave``, ``segments --by wave``) takes
every wave by default, one group each. The waves used are said in one line on standard error,
so that standard output stays the table.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from gapmodel.cli.outputs import check_output, printable, write_output
from gapmodel.core import settings
from gapmodel.core.formulas import csv_bytes
from gapmodel.core.text import find_text
from gapmodel.core.vocabulary import ITEM_KEYS, PADJUST_METHODS, WAVE, name_key
from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table, group_keys
from gapmodel.model.priorities import fix_first, importance_performance
from gapmodel.model.quality import reliability
from gapmodel.storage.store import Store


def _keys(allowed: tuple[str, ...] | None = None):
    """A parser of comma-separated keys; ``allowed`` None leaves the check to the data (the
    respondent attributes are the survey's)."""

    def parse(text: str) -> list[str]:
        keys = [k.strip() for k in text.split(",") if k.strip()]
        bad = [k for k in keys if allowed is not None and k not in allowed]
        if bad or len(set(keys)) != len(keys) or not keys:
            known = f"among {', '.join(allowed)}" if allowed else "separated by commas"
            raise argparse.ArgumentTypeError(f"choose distinct keys {known}. Got {text!r}.")
        return keys

    return parse


def _where(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value:
        raise argparse.ArgumentTypeError(
            f"--where takes ATTRIBUTE=VALUE, for example segment=Business. Got {text!r}."
        )
    return name.strip(), value


def _named(data: GapData, keys: list[str]) -> list[str]:
    """Keys as the data names them: attributes match whatever their case, spacing or punctuation."""
    known = {name_key(k): k for k in group_keys(data)}
    return [known.get(name_key(k), k) for k in keys]


POOL_ALL = "all"  # ``--wave all``: every wave pooled, unless a stored wave has this label
NO_COMPARE = "none"  # ``report --compare none``: no comparison, unless a wave has this label


@dataclass(frozen=True)
class _Waves:
    """The waves a table is computed on (None: whatever the store holds, which is nothing),
    and the line that says which on standard error ("" for none)."""

    labels: list[str] | None
    note: str = ""


def _waves(args: argparse.Namespace, store: Store, *, by_wave: bool = False) -> _Waves:
    """The waves of ``--wave``: the latest stored when none is given (every wave when the table
    is grouped by wave), every wave for ``--wave all``; unknown labels are refused.

    A stored wave labelled ``all`` is what ``--wave all`` names (the label wins); the line on
    standard error then says how to pool every wave instead.
    """
    known = store.wave_labels()
    # a label typed with a zero-width space or decomposed accents names the stored one
    given = list(dict.fromkeys(find_text(w, known) or w for w in args.wave or []))
    pool = given == [POOL_ALL] and POOL_ALL not in known
    if not known and (not given or pool):
        return _Waves(None)  # an empty store: the caller says there is nothing to show
    if not given and not by_wave:
        latest, count = known[-1], len(known)
        if count == 1:
            return _Waves([latest], f"Wave {latest} (the only stored wave)")
        return _Waves(
            [latest], f"Wave {latest} (the latest of {count}; choose another with --wave)"
        )
    if not given or pool:
        if len(known) == 1:
            return _Waves(known, f"Wave {known[0]} (the only stored wave)")
        every = f"all {len(known)}, {'one group each' if by_wave else 'pooled'}"
        tail = "; choose some with --wave" if not given else ""
        return _Waves(known, f"Waves {', '.join(known)} ({every}{tail})")
    if POOL_ALL in given and POOL_ALL not in known:
        raise ValueError(
            "--wave all pools every wave; give it alone, or name each wave with --wave."
        )
    for wave in given:
        if wave not in known:
            hint = "" if POOL_ALL in known else " `--wave all` pools every wave."
            raise ValueError(
                f"There is no wave {wave!r}. Waves: {', '.join(known) or 'none'}.{hint}"
            )
    if given == [POOL_ALL]:
        return _Waves(
            given,
            f"Wave {POOL_ALL} (a stored wave is labelled {POOL_ALL!r}; to pool every wave, "
            "name each with --wave)",
        )
    if len(given) == 1:
        return _Waves(given, f"Wave {given[0]}")
    return _Waves(given, f"Waves {', '.join(given)} ({'one group each' if by_wave else 'pooled'})")


def _data(
    args: argparse.Namespace, store: Store, chosen: _Waves | None = None
) -> tuple[GapData, str]:
    """The responses of the chosen waves (by default those of ``--wave``, see :func:`_waves`)
    under ``--where`` and ``--stage``, and the line that names the waves."""
    chosen = chosen or _waves(args, store)
    where: dict[str, list[str]] = {}
    for name, value in args.where or []:
        where.setdefault(name, []).append(_stored_value(name, value, store.attribute_values(name)))
    frame = store.responses(waves=chosen.labels, where=where or None, stages=args.stage or None)
    if frame.is_empty():
        within = f" in {chosen.note[0].lower()}{chosen.note[1:]}" if chosen.note else ""
        raise ValueError(f"No responses match these filters{within}. List the waves with `waves`.")
    return GapData.from_responses(frame), chosen.note


def _stored_value(name: str, value: str, known: list[str]) -> str:
    """The stored value ``--where NAME=VALUE`` names: itself, else the one with its normal form
    (typed with a zero-width or no-break space); an unknown value is refused with the values.
    An attribute with no values is left to the store, which says which attributes there are."""
    if not known:
        return value
    stored = find_text(value, known)
    if stored is None:
        shown = ", ".join(printable(v) for v in known[:10])
        more = f" and {len(known) - 10} more" if len(known) > 10 else ""
        raise ValueError(
            f"--where {name}={value!r}: the attribute {name} has no value {value!r}. Its "
            f"values: {shown}{more}."
        )
    return stored


def _options(args: argparse.Namespace) -> TableOptions:
    return TableOptions.from_settings(padjust=args.padjust, alpha=args.alpha)


def _print(frame: pl.DataFrame, fmt: str, note: str = "") -> int:
    """The table on standard output; ``note`` (the waves used) on standard error before it."""
    if note:
        print(note, file=sys.stderr, flush=True)
    frame = frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    if fmt == "csv":
        sys.stdout.write(csv_bytes(frame).decode("utf-8"))
    elif fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:  # a terminal: control characters in stored text are shown, not run
        frame = frame.with_columns(
            pl.col(pl.String).map_elements(printable, return_dtype=pl.String)
        )
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=250, fmt_str_lengths=60):
            print(frame)
    return 0


def _is_wave(key: str) -> bool:
    return name_key(key) == name_key(WAVE)


def cmd_gaps(args, store):
    """The gap table for a grouping."""
    data, note = _data(args, store, _waves(args, store, by_wave=any(map(_is_wave, args.by))))
    return _print(gap_table(data, _named(data, args.by), _options(args)), args.format, note)


def cmd_alpha(args, store):
    """Cronbach's alpha per dimension and stage."""
    data, note = _data(args, store)
    return _print(reliability(data, args.by), args.format, note)


def cmd_ipa(args, store):
    """Importance-performance analysis, or the fix-first list with --fix-first."""
    data, note = _data(args, store)
    table = (
        fix_first(data, _options(args))
        if args.fix_first
        else importance_performance(data, _options(args))
    )
    return _print(table, args.format, note)


def cmd_trend(args, store):
    """Change in gap between two waves (--from and --to; --wave is not used)."""
    known = store.wave_labels()
    waves = [find_text(w, known) or w for w in (args.wave_from, args.wave_to)]
    for wave in waves:
        if wave not in known:
            raise ValueError(f"There is no wave {wave!r}. Waves: {', '.join(known) or 'none'}.")
    data, _ = _data(args, store, _Waves(waves))
    return _print(trend(data, *waves, args.by, _options(args)), args.format)


def cmd_segments(args, store):
    """Gap by segment against the rest, or the test across segments with --across."""
    by_wave = args.by is not None and _is_wave(args.by)
    data, note = _data(args, store, _waves(args, store, by_wave=by_wave))
    attribute = _named(data, [args.by])[0] if args.by else _first_offered(data)
    compute = segment_differences if args.across else segment_gaps
    return _print(compute(data, attribute, args.items, _options(args)), args.format, note)


def _first_offered(data: GapData) -> str:
    """The first attribute with few enough values to compare its groups, as the dashboard
    offers them (``GAPMODEL_MAX_FILTER_VALUES``)."""
    limit = settings.get("max_filter_values")
    for attribute in data.attributes:
        if data.respondents[attribute].drop_nulls().n_unique() <= limit:
            return attribute
    raise ValueError(
        "These waves have no respondent attribute with at most "
        f"{limit} values to compare groups by; name one with --by."
    )


def _report_filters(args: argparse.Namespace, survey) -> object:
    """The report's view from the command line, checked against the stored waves and values."""
    from gapmodel.views import Filters

    waves = survey.waves
    if not waves:
        raise ValueError("There are no waves yet. Add one with `ingest` (or `demo`).")
    if args.no_compare and args.compare is not None:
        raise ValueError("Give --compare WAVE or --no-compare, not both.")
    named_none = args.compare == NO_COMPARE and NO_COMPARE in waves
    if named_none:  # the stored wave wins over the word, as with --wave all
        print(
            f"Comparing with the wave labelled {NO_COMPARE!r}; for no comparison give "
            "--no-compare.",
            file=sys.stderr,
        )
    # a label typed with a zero-width or no-break space names the stored one
    args.wave, args.compare = (
        None if w is None else (find_text(w, waves) or w) for w in (args.wave, args.compare)
    )
    for name, wave in (("--wave", args.wave), ("--compare", args.compare)):
        if wave is not None and wave != NO_COMPARE and wave not in waves:
            raise ValueError(f"{name}: there is no wave {wave!r}. Waves: {', '.join(waves)}.")
    if args.compare is not None and args.compare == (args.wave or waves[-1]):
        raise ValueError("--compare must name another wave than the one reported.")
    where: dict[str, str] = {}
    offered = {name_key(a): a for a in survey.attributes}
    for given, value in args.where or []:
        name = offered.get(name_key(given))
        if name is None:
            raise ValueError(
                f"--where {given}=...: the survey offers no attribute {given!r}; it offers "
                f"{', '.join(survey.attributes) or 'none'}."
            )
        if name in where:
            raise ValueError(f"--where {name}=... is given twice; a report keeps one {name}.")
        where[name] = _stored_value(name, value, list(survey.attribute_values[name]))
    stages = {name_key(st): st for st in survey.stages}
    unknown = [st for st in args.stage or () if name_key(st) not in stages]
    if unknown:
        raise ValueError(
            f"--stage {unknown[0]!r}: the survey has the stages {', '.join(survey.stages)}."
        )
    none = args.no_compare or (args.compare == NO_COMPARE and not named_none)
    compare = "" if none else args.compare
    options = _options(args)  # the arguments given, else the settings
    return Filters(
        wave=args.wave,
        compare=compare,
        stages=tuple(stages[name_key(st)] for st in args.stage or ()),
        attributes=where,
        alpha=options.alpha,
        padjust=options.padjust,
    )


def cmd_report(args, store):
    """Write the management report of one view as HTML, PDF or XLSX."""
    from gapmodel.render.report import REPORT_FORMATS, build_briefing, render
    from gapmodel.views import load_survey

    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    if fmt not in REPORT_FORMATS:
        raise ValueError(
            f"Give --format {' / '.join(REPORT_FORMATS)} or an --out name ending in one. "
            f"Got {args.out!r}."
        )
    out = check_output(args.out, args.db, "--out")
    survey = load_survey(store)
    attribute = args.segments_by
    if attribute is not None:
        attribute = {name_key(a): a for a in survey.attributes}.get(name_key(attribute), attribute)
    briefing = build_briefing(survey, _report_filters(args, survey), attribute)
    write_output(out, render(briefing, fmt), "--out")
    f = briefing.filters
    versus = f" against {f.compare}" if f.compare else ""
    print(
        f"Wrote the {fmt} report of wave {f.wave}{versus} ({len(briefing.findings)} findings) "
        f"to {args.out}."
    )
    return 0


def cmd_bench(args, store):
    """Time the model against a pandas + scipy loop."""
    from gapmodel.tools.bench import run

    return run(args.sizes, args.baseline_limit)


def cmd_bench_ingest(args, store):
    """Time the ingestion of a wide CSV against a plain pandas load."""
    from gapmodel.tools.ingest_bench import run

    return run(args.sizes)


def cmd_bench_map(args, store):
    """Time the mapping proposal of a Qualtrics export against a plain pandas load."""
    from gapmodel.tools.map_bench import run

    return run(args.sizes)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the model commands to the ``python -m gapmodel`` parser."""
    table = argparse.ArgumentParser(add_help=False)
    table.add_argument(
        "--wave",
        action="append",
        help="wave label, repeat to pool several (default: the latest; 'all' pools every wave)",
    )
    table.add_argument(
        "--where", action="append", type=_where, help="respondent filter, e.g. segment=Business"
    )
    table.add_argument("--stage", action="append", help="journey stage, by name (repeatable)")
    table.add_argument("--padjust", choices=PADJUST_METHODS, default=None, help="default: holm")
    table.add_argument("--alpha", type=float, default=None, help="significance level")
    table.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = sub.add_parser("gaps", parents=[table], help="the gap table with its tests")
    p.add_argument(
        "--by",
        type=_keys(),
        default=["stage", "dimension"],
        help="comma-separated keys among wave, the respondent attributes and "
        f"{', '.join(ITEM_KEYS)} (default stage,dimension)",
    )
    p.set_defaults(handler=cmd_gaps, needs_store=True)

    p = sub.add_parser("alpha", parents=[table], help="Cronbach's alpha of E and P")
    p.add_argument("--by", type=_keys(ITEM_KEYS), default=["stage", "dimension"])
    p.set_defaults(handler=cmd_alpha, needs_store=True)

    p = sub.add_parser("ipa", parents=[table], help="importance-performance analysis")
    p.add_argument("--fix-first", action="store_true", help="the ranked list of pain points")
    p.set_defaults(handler=cmd_ipa, needs_store=True)

    p = sub.add_parser("trend", parents=[table], help="change between two waves")
    p.add_argument("--from", dest="wave_from", required=True, help="earlier wave")
    p.add_argument("--to", dest="wave_to", required=True, help="later wave")
    p.add_argument("--by", type=_keys(ITEM_KEYS), default=["stage", "item"])
    p.set_defaults(handler=cmd_trend, needs_store=True)

    p = sub.add_parser("segments", parents=[table], help="gap by segment against the rest")
    p.add_argument(
        "--by", default=None, help="the respondent attribute (default: the first), or wave"
    )
    p.add_argument(
        "--items",
        type=_keys(ITEM_KEYS),
        default=["dimension"],
        help="item keys within each segment (default dimension)",
    )
    p.add_argument("--across", action="store_true", help="Welch ANOVA across the segments")
    p.set_defaults(handler=cmd_segments, needs_store=True)

    p = sub.add_parser("report", help="the management report of one view (html, pdf, xlsx)")
    p.add_argument("--wave", help="the wave reported (default: the latest)")
    p.add_argument(
        "--compare",
        help="the wave compared with (default: the one before); 'none' for none, unless a "
        "wave is labelled so",
    )
    p.add_argument("--no-compare", action="store_true", help="compare with no other wave")
    p.add_argument(
        "--where", action="append", type=_where, help="respondent filter, e.g. segment=Business"
    )
    p.add_argument("--stage", action="append", help="journey stage, by name (repeatable)")
    p.add_argument(
        "--segments-by",
        default=None,
        help="attribute compared in the segments section (default: the first not filtered)",
    )
    p.add_argument("--padjust", choices=PADJUST_METHODS, default=None, help="default: holm")
    p.add_argument("--alpha", type=float, default=None, help="significance level")
    p.add_argument("--format", choices=("html", "pdf", "xlsx"), help="default: from --out")
    p.add_argument("--out", required=True, help="the file to write (.html, .pdf or .xlsx)")
    p.set_defaults(handler=cmd_report, needs_store=True)

    sizes = argparse.ArgumentParser(add_help=False)
    sizes.add_argument(
        "--sizes",
        type=lambda t: [int(x) for x in t.split(",")],
        default=[100_000, 1_000_000],
        help="respondents (default 100000,1000000)",
    )
    p = sub.add_parser(
        "bench", parents=[sizes], help="benchmark the model against a pandas + scipy loop"
    )
    p.add_argument(
        "--baseline-limit",
        type=int,
        default=None,
        help="run the slow baseline on at most this many respondents and scale",
    )
    p.set_defaults(handler=cmd_bench, needs_store=False)

    p = sub.add_parser(
        "bench-ingest", parents=[sizes], help="benchmark ingesting a wide CSV against pandas"
    )
    p.set_defaults(handler=cmd_bench_ingest, needs_store=False)

    p = sub.add_parser(
        "bench-map", parents=[sizes], help="benchmark proposing a Qualtrics export's mapping"
    )
    p.set_defaults(handler=cmd_bench_map, needs_store=False)
