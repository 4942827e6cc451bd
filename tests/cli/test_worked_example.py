"""The README's worked example of a questionnaire of its own (a kiosk survey: one stage, no
elements, three attributes) runs as written, and its numbers equal a plain loop over the file."""

from __future__ import annotations

import io
import shlex

import polars as pl
from cli_support import run_cli
from reference_support import close, loop_table

from gapmodel.cli import main
from gapmodel.core.instrument import load_instrument
from gapmodel.core.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
EXAMPLE = PROJECT_ROOT / "data" / "examples" / "kiosk"


def example_commands() -> list[list[str]]:
    """The ``python -m gapmodel`` lines of the section's shell block, split as a shell would."""
    section = README.split("## Your own questionnaire")[1].split("\n## ")[0]
    block = section.split("```bash\n")[1].split("```")[0]
    prefix = ".venv/bin/python -m gapmodel "
    return [
        shlex.split(line[len(prefix) :]) for line in block.splitlines() if line.startswith(prefix)
    ]


def reference_frame() -> pl.DataFrame:
    """The example wave in the reference's long form, read straight from the CSV."""
    wide = pl.read_csv(EXAMPLE / "wave-2026-10.csv", infer_schema=False)
    items = load_instrument(EXAMPLE / "instrument.csv").items.select(
        pl.col("code").alias("item"), "dimension"
    )
    scores = [c for c in wide.columns if c.endswith((".E", ".P"))]
    long = wide.unpivot(index=["respondent_id", "Age band"], on=scores).with_columns(
        item=pl.col("variable").str.slice(0, pl.col("variable").str.len_chars() - 2),
        measure=pl.col("variable").str.slice(-1),
        value=pl.col("value").cast(pl.Int64),
    )
    pairs = long.pivot(on="measure", index=["respondent_id", "Age band", "item"], values="value")
    return pairs.join(items, on="item").select(
        pl.lit("2026-10").alias("wave"),
        pl.col("respondent_id").alias("respondent"),
        "Age band",
        "item",
        "dimension",
        pl.col("E").alias("expectation"),
        pl.col("P").alias("perception"),
    )


def test_the_worked_example_runs_as_written(tmp_path, capsys):
    db = tmp_path / "kiosk.duckdb"
    commands = example_commands()
    assert [c[0] for c in commands] == ["validate", "ingest", "gaps", "segments"]
    for command in commands:
        args = [str(db) if a == "data/kiosk.duckdb" else a for a in command]
        result = run_cli(*args)
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr
    gaps = next(c for c in commands if c[0] == "gaps")
    where = gaps[gaps.index("--where") + 1]
    assert (
        main(["gaps", "--db", str(db), "--by", "dimension", "--where", where, "--format", "csv"])
        == 0
    )
    table = pl.read_csv(io.StringIO(capsys.readouterr().out))
    frame = reference_frame().filter(pl.col("Age band") == where.split("=", 1)[1])
    reference = loop_table(frame, ["dimension"])
    assert table.height == len(reference) == 6
    for row in table.iter_rows(named=True):
        ref = reference[(row["dimension"],)]
        for column in ("n", "gap", "mean_e", "t", "p_val", "w", "p_wilcoxon"):
            assert close(row[column], ref[column]), (row["dimension"], column)
