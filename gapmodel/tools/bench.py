"""Benchmark: the standard model set against a plain pandas groupby + scipy per-group loop.

``python -m gapmodel bench`` generates synthetic respondents (3 stages x 22 items, 2 waves),
times :func:`gapmodel.model.standard.standard_tables` (preparation included) and a baseline that
computes the same t-tests group by group with pandas and scipy, in the same run, and prints
both times, their ratio and the peak memory of the process.
"""

from __future__ import annotations

import gc
import time
import warnings

from scipy import stats

from gapmodel.core.memory import peak_mb
from gapmodel.model.gapdata import GapData
from gapmodel.model.gaps import TableOptions
from gapmodel.model.standard import GAP_TABLES, standard_tables
from gapmodel.tools.synthetic import synthetic_responses


def model(frame) -> dict:
    """The timed model: prepare the responses and compute the standard set."""
    return standard_tables(GapData.from_responses(frame), TableOptions())


def baseline(frame) -> int:
    """The same t-tests with pandas groupby and a scipy call per group; returns tests run."""
    df = frame.to_pandas()
    df["g"] = df["perception"].astype("float64") - df["expectation"].astype("float64")
    tests = 0
    respondent = ["wave", "respondent"]

    def respondent_means(by):
        keys = respondent + [k for k in by if k not in respondent]
        extra = [k for k in ("segment",) if k not in keys]
        means = df.groupby(keys + extra, observed=True)["g"].mean().reset_index()
        return means

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for by in GAP_TABLES.values():
            means = respondent_means(by)
            groups = means.groupby(list(by), observed=True)["g"] if by else [((), means["g"])]
            for _, values in groups:
                stats.ttest_1samp(values.to_numpy(), 0.0)
                tests += 1
        waves = sorted(df["wave"].astype(str).unique())
        for by in (["stage", "item"], ["dimension"]):
            means = respondent_means(by)
            for _, part in means.groupby(by, observed=True):
                a = part.loc[part["wave"].astype(str) == waves[-2], "g"].to_numpy()
                b = part.loc[part["wave"].astype(str) == waves[-1], "g"].to_numpy()
                stats.ttest_ind(b, a, equal_var=False)
                tests += 1
        means = respondent_means(["dimension"])
        for _, part in means.groupby("dimension", observed=True):
            samples = [v["g"].to_numpy() for _, v in part.groupby("segment", observed=True)]
            stats.f_oneway(*samples, equal_var=False)
            for segment, own in part.groupby("segment", observed=True):
                rest = part.loc[part["segment"] != segment, "g"].to_numpy()
                stats.ttest_ind(own["g"].to_numpy(), rest, equal_var=False)
                tests += 1
            tests += 1
    return tests


def run(sizes: list[int], baseline_limit: int | None = None) -> int:
    """Print, for each size, the model and baseline times, the ratio and the peak memory."""
    print("respondents  rows        model_s  baseline_s  ratio   peak_rss_mb")
    for size in sizes:
        frame = synthetic_responses(size, waves=2, seed=1)
        gc.collect()
        model(synthetic_responses(1000, waves=2, seed=2))  # warm imports and caches
        start = time.perf_counter()
        tables = model(frame)
        model_s = time.perf_counter() - start
        peak = peak_mb()
        base_frame, scale = frame, 1.0
        if baseline_limit and size > baseline_limit:
            base_frame = synthetic_responses(baseline_limit, waves=2, seed=1)
            scale = size / baseline_limit
        start = time.perf_counter()
        baseline(base_frame)
        baseline_s = (time.perf_counter() - start) * scale
        note = f"  (baseline on {baseline_limit:,} respondents x {scale:g})" if scale != 1 else ""
        print(
            f"{size:>11,}  {frame.height:>10,}  {model_s:7.3f}  {baseline_s:10.2f}  "
            f"{baseline_s / model_s:6.1f}x  {peak:9.0f}{note}"
        )
        del frame, tables, base_frame
        gc.collect()
    return 0


if __name__ == "__main__":
    run([100_000, 1_000_000])
