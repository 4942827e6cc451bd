"""The model commands of ``python -m gapmodel``: gaps, alpha, ipa, trend, segments, report,
bench."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from gapmodel.core.vocabulary import ATTRIBUTES, ITEM_KEYS, PADJUST_METHODS, RESPONDENT_KEYS, STAGES
from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import GROUP_KEYS, TableOptions, gap_table
from gapmodel.model.priorities import fix_first, importance_performance
from gapmodel.model.quality import reliability
from gapmodel.storage.store import Store


def _keys(allowed: tuple[str, ...]):
    def parse(text: str) -> list[str]:
        keys = [k.strip() for k in text.split(",") if k.strip()]
        bad = [k for k in keys if k not in allowed]
        if bad or len(set(keys)) != len(keys):
            raise argparse.ArgumentTypeError(
                f"choose distinct keys among {', '.join(allowed)}. Got {text!r}."
            )
        return keys

    return parse


def _where(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or name.strip() not in ATTRIBUTES or not value:
        raise argparse.ArgumentTypeError(
            f"--where takes ATTRIBUTE=VALUE with ATTRIBUTE one of {', '.join(ATTRIBUTES)}. "
            f"Got {text!r}."
        )
    return name.strip(), value


def _data(args: argparse.Namespace, store: Store) -> GapData:
    where: dict[str, list[str]] = {}
    for name, value in args.where or []:
        where.setdefault(name, []).append(value)
    waves = args.wave or None
    known = store.wave_labels()
    for wave in waves or []:
        if wave not in known:
            raise ValueError(f"There is no wave {wave!r}. Waves: {', '.join(known) or 'none'}.")
    frame = store.responses(waves=waves, where=where or None, stages=args.stage or None)
    if frame.is_empty():
        raise ValueError("No responses match these filters. List the waves with `waves`.")
    return GapData.from_responses(frame)


def _options(args: argparse.Namespace) -> TableOptions:
    return TableOptions.from_settings(padjust=args.padjust, alpha=args.alpha)


def _print(frame: pl.DataFrame, fmt: str) -> int:
    frame = frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
    elif fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=250, fmt_str_lengths=60):
            print(frame)
    return 0


def cmd_gaps(args, store):
    """The gap table for a grouping."""
    return _print(gap_table(_data(args, store), args.by, _options(args)), args.format)


def cmd_alpha(args, store):
    """Cronbach's alpha per dimension and stage."""
    return _print(reliability(_data(args, store), args.by), args.format)


def cmd_ipa(args, store):
    """Importance-performance analysis, or the fix-first list with --fix-first."""
    data = _data(args, store)
    table = (
        fix_first(data, _options(args))
        if args.fix_first
        else importance_performance(data, _options(args))
    )
    return _print(table, args.format)


def cmd_trend(args, store):
    """Change in gap between two waves."""
    args.wave = [args.wave_from, args.wave_to]
    data = _data(args, store)
    return _print(trend(data, args.wave_from, args.wave_to, args.by, _options(args)), args.format)


def cmd_segments(args, store):
    """Gap by segment against the rest, or the test across segments with --across."""
    data = _data(args, store)
    attribute = args.by
    compute = segment_differences if args.across else segment_gaps
    return _print(compute(data, attribute, args.items, _options(args)), args.format)


def _report_filters(args: argparse.Namespace, survey) -> object:
    """The report's view from the command line, checked against the stored waves and values."""
    from gapmodel.views import Filters

    waves = survey.waves
    if not waves:
        raise ValueError("There are no waves yet. Add one with `ingest` (or `demo`).")
    for name, wave in (("--wave", args.wave), ("--compare", args.compare)):
        if wave is not None and wave != "none" and wave not in waves:
            raise ValueError(f"{name}: there is no wave {wave!r}. Waves: {', '.join(waves)}.")
    if args.compare is not None and args.compare == (args.wave or waves[-1]):
        raise ValueError("--compare must name another wave than the one reported.")
    where: dict[str, str] = {}
    for name, value in args.where or []:
        if name in where:
            raise ValueError(f"--where {name}=... is given twice; a report keeps one {name}.")
        known = survey.attribute_values.get(name, [])
        if value not in known:
            raise ValueError(
                f"--where {name}={value!r} matches no respondent. Values: {', '.join(known)}."
            )
        where[name] = value
    compare = "" if args.compare == "none" else args.compare
    options = _options(args)  # the arguments given, else the settings
    return Filters(
        wave=args.wave,
        compare=compare,
        stages=tuple(args.stage or ()),
        alpha=options.alpha,
        padjust=options.padjust,
        **where,
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
    survey = load_survey(store)
    briefing = build_briefing(survey, _report_filters(args, survey), args.segments_by)
    Path(args.out).write_bytes(render(briefing, fmt))
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


def register(sub: argparse._SubParsersAction) -> None:
    """Add the model commands to the ``python -m gapmodel`` parser."""
    table = argparse.ArgumentParser(add_help=False)
    table.add_argument("--wave", action="append", help="wave label (repeat for several)")
    table.add_argument(
        "--where", action="append", type=_where, help="respondent filter, e.g. segment=Business"
    )
    table.add_argument("--stage", action="append", choices=STAGES, help="journey stage")
    table.add_argument("--padjust", choices=PADJUST_METHODS, default=None, help="default: holm")
    table.add_argument("--alpha", type=float, default=None, help="significance level")
    table.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = sub.add_parser("gaps", parents=[table], help="the gap table with its tests")
    p.add_argument(
        "--by",
        type=_keys(GROUP_KEYS),
        default=["stage", "dimension"],
        help=f"comma-separated keys among {', '.join(GROUP_KEYS)} (default stage,dimension)",
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
    p.add_argument("--by", choices=RESPONDENT_KEYS, default="segment", help="the attribute")
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
        "--compare", help="the wave compared with (default: the one before); 'none' for none"
    )
    p.add_argument(
        "--where", action="append", type=_where, help="respondent filter, e.g. segment=Business"
    )
    p.add_argument("--stage", action="append", choices=STAGES, help="journey stage (repeatable)")
    p.add_argument(
        "--segments-by",
        choices=ATTRIBUTES,
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
