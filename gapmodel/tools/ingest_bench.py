"""Benchmark: ingesting a wide survey CSV, against a plain pandas load of the same file.

``python -m gapmodel bench-ingest`` writes a demo wave of N respondents (3 stages x 22 items,
E and P) as a wide CSV, then times, each in a fresh process so that peak memory is its own:

- gapmodel: read the bytes, :func:`gapmodel.ingest.prepare.prepare_wave` (sniff, decode, validate every
  cell) and :meth:`gapmodel.storage.store.Store.ingest_wave` into a new database file (one transaction);
- baseline: ``pandas.read_csv``, ``melt`` to long and an insert into DuckDB, with no
  validation at all.

It prints both times, their ratio and each process's peak resident memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gapmodel.core.instrument import default_instrument
from gapmodel.core.memory import peak_mb
from gapmodel.tools.demo import generate_wave, wave_csv

HEADER = (
    "respondents  file_mb  prepare_s  store_s  total_s  baseline_s  ratio  peak_mb  base_peak_mb"
)


def gapmodel_ingest(csv_path: str, db_path: str) -> dict[str, float]:
    """The timed path: validate the file and store it as a wave."""
    from gapmodel.ingest.prepare import prepare_wave
    from gapmodel.storage.store import Store

    start = time.perf_counter()
    data = Path(csv_path).read_bytes()
    wave, report = prepare_wave(data, Path(csv_path).name, default_instrument(), (1, 7))
    if wave is None:
        raise RuntimeError(report.to_text())
    prepared = time.perf_counter()
    with Store.open(db_path) as store:
        store.ingest_wave(wave, "bench")
    done = time.perf_counter()
    return {"prepare_s": prepared - start, "store_s": done - prepared, "total_s": done - start}


def baseline_ingest(csv_path: str, db_path: str) -> dict[str, float]:
    """pandas read_csv, melt to long, insert into DuckDB: no validation."""
    import duckdb
    import pandas as pd

    start = time.perf_counter()
    wide = pd.read_csv(csv_path)
    scores = [c for c in wide.columns if c.count(".") == 2]
    long = wide.melt(id_vars=["respondent_id"], value_vars=scores, var_name="column")
    column = long.pop("column").astype(pd.CategoricalDtype(scores))
    for position, name in enumerate(("stage", "item", "measure")):
        parts = [c.split(".")[position] for c in scores]
        long[name] = column.cat.rename_categories(range(len(scores))).map(dict(enumerate(parts)))
    con = duckdb.connect(db_path)
    con.register("long_scores", long)
    con.sql("CREATE TABLE responses AS SELECT * FROM long_scores")
    con.close()
    return {"total_s": time.perf_counter() - start}


def _child(kind: str, csv_path: str) -> None:
    """Run one timed ingest in this process and print its figures as JSON."""
    with tempfile.TemporaryDirectory() as folder:
        run = gapmodel_ingest if kind == "gapmodel" else baseline_ingest
        figures = run(csv_path, os.path.join(folder, "bench.duckdb"))
    print(json.dumps({**figures, "peak_mb": peak_mb()}))


def in_child(module: str, kind: str, path: str) -> dict[str, float]:
    """Run ``python -m module --child kind path`` (one timed run in a fresh process, so that its
    peak memory is its own) and return the figures it prints as JSON."""
    env = {  # the benchmarks' files are beyond the upload limits: they time, not refuse
        **os.environ,
        "GAPMODEL_MAX_UPLOAD_MB": "100000",
        "GAPMODEL_MAX_ROWS": "100000000",
        "GAPMODEL_READ_MEMORY_MB": "65536",
    }
    out = subprocess.run(
        [sys.executable, "-m", module, "--child", kind, path],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(sizes: list[int]) -> int:
    """Print, for each size, the gapmodel and baseline times, their ratio and peak memory."""
    print(HEADER)
    instrument = default_instrument()
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            csv_path = os.path.join(folder, f"wave-{size}.csv")
            frame = generate_wave(size, 0, instrument, with_adequate=False, with_points=False)
            Path(csv_path).write_bytes(wave_csv(frame))
            del frame
            ours = in_child("gapmodel.tools.ingest_bench", "gapmodel", csv_path)
            base = in_child("gapmodel.tools.ingest_bench", "baseline", csv_path)
            size_mb = os.path.getsize(csv_path) / 1e6
        print(
            f"{size:>11,}  {size_mb:7.0f}  {ours['prepare_s']:9.2f}  {ours['store_s']:7.2f}  "
            f"{ours['total_s']:7.2f}  {base['total_s']:10.2f}  "
            f"{base['total_s'] / ours['total_s']:5.2f}x  {ours['peak_mb']:7.0f}  "
            f"{base['peak_mb']:12.0f}"
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
    else:
        run([int(x) for x in sys.argv[1:]] or [100_000, 1_000_000])
