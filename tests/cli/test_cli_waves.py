"""The model commands show one wave by default, as the dashboard does: the latest stored. They
say which on standard error, so that standard output stays the table; `--wave all` pools every
wave, unless a stored wave is labelled "all"."""

from __future__ import annotations

import io
import json

import numpy as np
import polars as pl
import pytest
from cli_support import run_cli
from polars.testing import assert_frame_equal

from gapmodel.cli import main
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions, gap_table
from gapmodel.model.priorities import importance_performance
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave

LATEST = "2026-Q3"
DEFAULTED = f"Wave {LATEST} (the latest of 3; choose another with --wave)\n"
POOLED = "Waves 2026-Q1, 2026-Q2, 2026-Q3 (all 3, pooled)\n"


def table(capsys, db, *argv: str) -> tuple[pl.DataFrame, str]:
    """The CSV a model command prints, read back, and what it said on standard error."""
    assert main([*argv, "--format", "csv", "--db", str(db)]) == 0
    printed = capsys.readouterr()
    return pl.read_csv(io.StringIO(printed.out), infer_schema_length=None), printed.err


def computed(db, waves: list[str] | None, compute) -> pl.DataFrame:
    """The table the library computes on some waves (None: every wave), as the CLI prints it."""
    with Store.open(db, read_only=True) as store:
        data = GapData.from_responses(store.responses(waves=waves))
    frame = compute(data, TableOptions.from_settings())
    return frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))


def same_table(got: pl.DataFrame, want: pl.DataFrame) -> bool:
    """The same rows, in the order of their text columns, and numbers (the segment tables' row
    order and last bits vary from run to run)."""
    try:
        assert_frame_equal(ordered(got), ordered(want), rel_tol=1e-12, abs_tol=1e-12)
    except AssertionError:
        return False
    return True


def ordered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.select(pl.col(pl.String)).columns)


def same_numbers(got: pl.DataFrame, want: pl.DataFrame, column: str) -> bool:
    """The same ``column``, row for row in the order of the text columns."""
    got, want = ordered(got), ordered(want)
    return got.height == want.height and np.allclose(
        got[column].to_numpy(), want[column].to_numpy(), rtol=1e-12, equal_nan=True
    )


def test_the_demo_store_has_three_waves_in_order(demo_db):
    with Store.open(demo_db, read_only=True) as store:
        assert store.wave_labels() == ["2026-Q1", "2026-Q2", LATEST]


def test_gaps_default_to_the_latest_wave_and_say_so(demo_db, capsys):
    by = ["--by", "stage,dimension"]
    default, said = table(capsys, demo_db, "gaps", *by)
    chosen, said_chosen = table(capsys, demo_db, "gaps", *by, "--wave", LATEST)
    pooled, said_pooled = table(capsys, demo_db, "gaps", *by, "--wave", "all")
    assert said == DEFAULTED
    assert said_chosen == f"Wave {LATEST}\n"
    assert said_pooled == POOLED
    assert same_table(default, chosen)
    assert not same_numbers(default, pooled, "gap")
    by_keys = lambda d, o: gap_table(d, ["stage", "dimension"], o)  # noqa: E731
    assert same_numbers(default, computed(demo_db, [LATEST], by_keys), "gap")
    assert same_numbers(pooled, computed(demo_db, None, by_keys), "gap")
    assert default["n"].max() == pooled["n"].max() // 3  # 300 respondents a wave


def test_ipa_defaults_to_the_latest_wave_and_says_so(demo_db, capsys):
    default, said = table(capsys, demo_db, "ipa")
    chosen, said_chosen = table(capsys, demo_db, "ipa", "--wave", LATEST)
    pooled, said_pooled = table(capsys, demo_db, "ipa", "--wave", "all")
    assert (said, said_chosen, said_pooled) == (DEFAULTED, f"Wave {LATEST}\n", POOLED)
    assert same_table(default, chosen)
    assert not same_numbers(default, pooled, "gap")
    assert same_numbers(default, computed(demo_db, [LATEST], importance_performance), "gap")
    assert same_numbers(pooled, computed(demo_db, None, importance_performance), "gap")


@pytest.mark.parametrize(
    ("argv", "column"),
    [
        (["alpha"], "alpha"),
        (["ipa", "--fix-first"], "gap"),
        (["segments", "--by", "channel"], "gap"),
        (["segments", "--by", "region", "--across"], "f"),
        (["segments"], "gap"),  # the first attribute, of the latest wave
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_every_table_command_defaults_to_the_latest_wave(demo_db, capsys, argv, column):
    default, said = table(capsys, demo_db, *argv)
    chosen, _ = table(capsys, demo_db, *argv, "--wave", LATEST)
    pooled, said_pooled = table(capsys, demo_db, *argv, "--wave", "all")
    assert (said, said_pooled) == (DEFAULTED, POOLED)
    assert same_table(default, chosen)
    assert not same_numbers(default, pooled, column)


def test_several_waves_are_pooled_and_named(demo_db, capsys):
    two, said = table(capsys, demo_db, "gaps", "--wave", "2026-Q1", "--wave", "2026-Q2")
    assert said == "Waves 2026-Q1, 2026-Q2 (pooled)\n"
    by_keys = lambda d, o: gap_table(d, ["stage", "dimension"], o)  # noqa: E731
    assert same_numbers(two, computed(demo_db, ["2026-Q1", "2026-Q2"], by_keys), "gap")


@pytest.mark.parametrize("argv", [["gaps", "--by", "Wave,dimension"], ["segments", "--by", "wave"]])
def test_a_table_grouped_by_wave_takes_every_wave(demo_db, capsys, argv):
    """One group per wave pools nothing, so every wave is shown unless --wave chooses some."""
    default, said = table(capsys, demo_db, *argv)
    assert said == (
        "Waves 2026-Q1, 2026-Q2, 2026-Q3 (all 3, one group each; choose some with --wave)\n"
    )
    assert same_table(default, table(capsys, demo_db, *argv, "--wave", "all")[0])
    assert default["wave"].unique().sort().to_list() == ["2026-Q1", "2026-Q2", LATEST]
    two, said = table(capsys, demo_db, *argv, "--wave", "2026-Q2", "--wave", LATEST)
    assert said == f"Waves 2026-Q2, {LATEST} (one group each)\n"
    assert two["wave"].unique().sort().to_list() == ["2026-Q2", LATEST]


def test_standard_output_stays_machine_readable(demo_db):
    """In a process of its own: the CSV and JSON are the whole of standard output, and the wave
    is one line on standard error."""
    csv = run_cli("gaps", "--by", "dimension", "--format", "csv", "--db", str(demo_db))
    assert csv.returncode == 0, csv.stderr
    assert csv.stderr == DEFAULTED
    assert csv.stdout.startswith("dimension,")
    assert pl.read_csv(io.StringIO(csv.stdout)).height == 5
    result = run_cli("ipa", "--format", "json", "--db", str(demo_db))
    assert result.returncode == 0, result.stderr
    assert result.stderr == DEFAULTED
    assert isinstance(json.loads(result.stdout), list)


def test_trend_keeps_its_two_waves_and_says_nothing_more(demo_db, capsys):
    argv = ["trend", "--from", "2026-Q1", "--to", "2026-Q2", "--by", "dimension"]
    got, said = table(capsys, demo_db, *argv)
    assert said == ""
    assert got.height == 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--wave", "all", "--wave", "2026-Q1"], "--wave all pools every wave; give it alone"),
        (["--wave", "nope"], "There is no wave 'nope'. Waves: 2026-Q1, 2026-Q2, 2026-Q3."),
        (
            ["--where", "segment=Nobody"],
            "--where segment='Nobody': the attribute segment has no value 'Nobody'. Its values:",
        ),
    ],
)
def test_refusals_are_one_line(demo_db, capsys, argv, message):
    assert main(["gaps", *argv, "--db", str(demo_db)]) == 2
    printed = capsys.readouterr()
    assert message in printed.err and printed.out == ""
    assert len(printed.err.splitlines()) == 1


@pytest.mark.parametrize("argv", [["gaps"], ["ipa"], ["gaps", "--wave", "all"], ["segments"]])
def test_an_empty_store_keeps_its_message(store, capsys, argv):
    store.close()
    assert main([*argv, "--db", str(store.path)]) == 2
    assert capsys.readouterr().err == (
        "error: No responses match these filters. List the waves with `waves`.\n"
    )


@pytest.fixture
def all_labelled(tmp_path):
    """A store whose older wave is labelled "all" and whose latest is 2026-Q2."""
    db = tmp_path / "all.duckdb"
    for index, (label, fielded) in enumerate([("all", "2026-03-31"), ("2026-Q2", "2026-06-30")]):
        upload = tmp_path / f"{label}.csv"
        generate_wave(60, index * 3, seed=11 + index).write_csv(upload)
        argv = ["ingest", str(upload), "--wave", label, "--fielded", fielded, "--db", str(db)]
        assert main(argv) == 0
    return db


def test_a_wave_labelled_all_is_what_wave_all_names(all_labelled, capsys):
    capsys.readouterr()
    by = ["gaps", "--by", "dimension"]
    labelled, said = table(capsys, all_labelled, *by, "--wave", "all")
    assert said == (
        "Wave all (a stored wave is labelled 'all'; to pool every wave, name each with --wave)\n"
    )
    by_keys = lambda d, o: gap_table(d, ["dimension"], o)  # noqa: E731
    assert same_numbers(labelled, computed(all_labelled, ["all"], by_keys), "gap")
    default, said = table(capsys, all_labelled, *by)
    assert said == "Wave 2026-Q2 (the latest of 2; choose another with --wave)\n"
    assert same_numbers(default, computed(all_labelled, ["2026-Q2"], by_keys), "gap")
    pooled, said = table(capsys, all_labelled, *by, "--wave", "all", "--wave", "2026-Q2")
    assert said == "Waves all, 2026-Q2 (pooled)\n"
    assert same_numbers(pooled, computed(all_labelled, None, by_keys), "gap")
    assert not same_numbers(pooled, labelled, "gap")
    assert main([*by, "--wave", "nope", "--db", str(all_labelled)]) == 2
    assert "--wave all" not in capsys.readouterr().err  # no pooling hint that would mislead


def test_a_single_wave_is_named_as_the_only_one(tmp_path, capsys):
    db = tmp_path / "one.duckdb"
    upload = tmp_path / "one.csv"
    generate_wave(40, 0, seed=5).write_csv(upload)
    assert main(["ingest", str(upload), "--wave", "W1", "--db", str(db)]) == 0
    capsys.readouterr()
    default, said = table(capsys, db, "ipa")
    assert said == "Wave W1 (the only stored wave)\n"
    assert same_table(default, table(capsys, db, "ipa", "--wave", "all")[0])
