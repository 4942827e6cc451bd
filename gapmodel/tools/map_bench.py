"""Benchmark: proposing the mapping of a Qualtrics export, against a plain pandas load of it.

``python -m gapmodel bench-map`` writes a demo wave of N respondents as Qualtrics exports it
(3 header rows; response metadata, personal data and one ``Q{k}_{i}`` matrix per stage and
measure: 3 stages x 22 items, E and P), then times, each in a fresh process:

- gapmodel: what ``python -m gapmodel map FILE --out M.csv`` does: read the bytes, find the
  header rows, read the table (in a child process under the memory cap, as every upload is),
  propose the mapping and write it;
- baseline: ``pandas.read_csv`` of the same file, the two header-text rows skipped.

It prints both times, their ratio (baseline / gapmodel: above 1 is faster than the baseline) and
each process's peak resident memory (for gapmodel, the larger of the process and the reading
child).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from gapmodel.core.instrument import default_instrument
from gapmodel.core.memory import peak_mb
from gapmodel.core.vocabulary import stage_label
from gapmodel.tools.demo import generate_wave
from gapmodel.tools.ingest_bench import in_child

HEADER = "respondents  file_mb  columns  map_s  baseline_s  ratio  peak_mb  base_peak_mb"
_META = {
    "StartDate": ("Start Date", "startDate"),
    "EndDate": ("End Date", "endDate"),
    "Status": ("Response Type", "status"),
    "IPAddress": ("IP Address", "ipAddress"),
    "Progress": ("Progress", "progress"),
    "Finished": ("Finished", "finished"),
    "ResponseId": ("Response ID", "_recordId"),
    "RecipientEmail": ("Recipient Email", "recipientEmail"),
    "LocationLatitude": ("Location Latitude", "locationLatitude"),
    "UserLanguage": ("User Language", "userLanguage"),
}
_CUES = {"E": "what did you expect?", "P": "how was it actually?"}


def qualtrics_export(n_respondents: int) -> bytes:
    """A demo wave in Qualtrics's export layout, as bytes (UTF-8 with BOM)."""
    instrument = default_instrument()
    wide = generate_wave(n_respondents, 0, instrument, with_adequate=False, with_points=False)
    wording = dict(instrument.items.select("code", "wording").iter_rows())
    names, texts, columns = list(_META), [t for t, _ in _META.values()], []
    ids = [json.dumps({"ImportId": i}, separators=(",", ":")) for _, i in _META.values()]
    block = 0
    for stage in instrument.stages:
        for measure in ("E", "P"):
            block += 1
            scores = [c for c in wide.columns if c.startswith(f"{stage}.") and c.endswith(measure)]
            for k, column in enumerate(scores, start=1):
                item = column.split(".")[1]
                names.append(f"Q{block}_{k}")
                texts.append(f"{stage_label(stage)}: {_CUES[measure]} - {wording[item]}")
                ids.append(json.dumps({"ImportId": f"QID{block}_{k}"}, separators=(",", ":")))
                columns.append(pl.col(column).alias(names[-1]))
    n = wide.height
    meta = [
        pl.lit("2026-10-03 09:12:44").alias("StartDate"),
        pl.lit("2026-10-03 09:20:04").alias("EndDate"),
        pl.lit("0").alias("Status"),
        pl.format("84.17.{}.{}", pl.int_range(n) // 250 % 250, pl.int_range(n) % 250).alias(
            "IPAddress"
        ),
        pl.lit("100").alias("Progress"),
        pl.lit("1").alias("Finished"),
        pl.format("R_{}", pl.int_range(n).cast(pl.String).str.zfill(15)).alias("ResponseId"),
        pl.format("person{}@example.com", pl.int_range(n)).alias("RecipientEmail"),
        pl.lit("47.3769").alias("LocationLatitude"),
        pl.lit("EN").alias("UserLanguage"),
    ]
    head = io.StringIO()
    writer = csv.writer(head, lineterminator="\n")
    for row in (names, texts, ids):
        writer.writerow(row)
    body = wide.select(*meta, *columns).write_csv(include_header=False)
    return ("\ufeff" + head.getvalue() + body).encode("utf-8")


def gapmodel_map(path: str) -> dict[str, float]:
    """The timed path: what the ``map`` command does."""
    from gapmodel.ingest.isolated import read_with_peak
    from gapmodel.ingest.mapping import mapping_csv
    from gapmodel.ingest.proposal import propose

    start = time.perf_counter()
    table, child_mb = read_with_peak(Path(path).read_bytes(), Path(path).name)
    mapping = propose(table, default_instrument())
    Path(path).with_suffix(".mapping.csv").write_bytes(mapping_csv(mapping))
    scores = len(mapping.by_role("score"))
    if scores != 132:
        raise RuntimeError(f"The proposal mapped {scores} score columns, not 132.")
    elapsed = time.perf_counter() - start
    return {"map_s": elapsed, "columns": table.frame.width, "child_mb": child_mb}


def baseline_read(path: str) -> dict[str, float]:
    """pandas read_csv of the same file, the two header-text rows skipped: no proposal."""
    import pandas as pd

    start = time.perf_counter()
    pd.read_csv(path, skiprows=[1, 2], dtype=str)
    return {"map_s": time.perf_counter() - start}


def run(sizes: list[int]) -> int:
    """Print, for each size, the map and baseline times, their ratio and peak memory."""
    print(HEADER)
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, f"qualtrics-{size}.csv")
            Path(path).write_bytes(qualtrics_export(size))
            ours = in_child("gapmodel.tools.map_bench", "gapmodel", path)
            base = in_child("gapmodel.tools.map_bench", "baseline", path)
            size_mb = os.path.getsize(path) / 1e6
        print(
            f"{size:>11,}  {size_mb:7.0f}  {ours['columns']:7.0f}  {ours['map_s']:5.2f}  "
            f"{base['map_s']:10.2f}  {base['map_s'] / ours['map_s']:5.2f}x  "
            f"{max(ours['peak_mb'], ours['child_mb']):7.0f}  {base['peak_mb']:12.0f}"
        )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        run_one = gapmodel_map if sys.argv[2] == "gapmodel" else baseline_read
        print(json.dumps({**run_one(sys.argv[3]), "peak_mb": peak_mb()}))
    else:
        run([int(x) for x in sys.argv[1:]] or [100_000])
