"""Realistic synthetic survey waves: the embedded default database on first start.

Planted effects, so that every view has something true to find:

- post-purchase "kept informed" falls clearly short of expectations;
- courtesy in the service encounter exceeds expectations;
- expectations rise from wave to wave while perceptions rise less;
- the "Small business" segment perceives service worse than the others;
- customers who needed more contacts to get an answer rate first-contact resolution and not
  being passed around lower (``contacts``: 1 to 4, a numeric attribute);
- a few stage x item pairs are answered by few respondents (flagged or suppressed).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from gapmodel.core.errors import DiskFullError
from gapmodel.core.instrument import Instrument, default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.connection import remove_database
from gapmodel.storage.faults import disk_full, prepare
from gapmodel.storage.store import Store

SEGMENTS = ("Consumer", "Small business", "Enterprise")
CHANNELS = ("Store", "Phone", "Web", "Chat")
REGIONS = ("North", "South", "East", "West")
CONTACTS = (1, 2, 3, 4)  # contacts the customer needed before the request was resolved
# Items that suffer when a customer is passed from one contact to the next.
PASSED_AROUND = ("first_contact_resolution", "not_passed_around")
SCALE = (1, 7)
# (stage, item) -> (kept fraction of respondents): small-n pairs for flags and suppression.
SPARSE_PAIRS = {
    ("pre_purchase", "asked_feedback"): 0.006,
    ("post_purchase", "safe_transactions"): 0.001,
}


def wave_labels(n_waves: int, last_year: int = 2026) -> list[tuple[str, date]]:
    """Quarterly labels ending in Q3 of ``last_year``, oldest first."""
    out = []
    year, quarter = last_year, 3
    for _ in range(n_waves):
        out.append((f"{year}-Q{quarter}", date(year, 3 * quarter - 1, 15)))
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
    return out[::-1]


def generate_wave(
    n_respondents: int,
    wave_index: int,
    instrument: Instrument | None = None,
    seed: int = 2026,
    with_adequate: bool = True,
    with_points: bool = True,
) -> pl.DataFrame:
    """One wide wave as a survey tool would export it (columns ``stage.item.E`` etc.).

    Parameters
    ----------
    n_respondents : int
        Respondents in the wave.
    wave_index : int
        0 for the first wave; expectations drift upwards with it.
    instrument : Instrument, optional
        Defaults to the shipped instrument.
    seed : int
        Seeds the generator together with ``wave_index``.
    with_adequate, with_points : bool
        Include adequate-level scores and importance points per dimension.

    Returns
    -------
    pl.DataFrame
        ``respondent_id, segment, channel, region, contacts, points.<dimension>...,
        <stage>.<item>.E/P[/A]``.
    """
    instrument = instrument or default_instrument()
    rng = np.random.default_rng([seed, wave_index])
    n = n_respondents
    lo, hi = SCALE
    segment = rng.choice(len(SEGMENTS), n, p=[0.55, 0.30, 0.15])
    columns: dict[str, object] = {
        "respondent_id": [f"W{wave_index + 1}-{i:06d}" for i in range(1, n + 1)],
        "segment": np.array(SEGMENTS)[segment],
        "channel": np.array(CHANNELS)[rng.choice(len(CHANNELS), n, p=[0.3, 0.3, 0.25, 0.15])],
        "region": np.array(REGIONS)[rng.integers(0, len(REGIONS), n)],
    }
    # Drawn apart, so that adding it left every other draw of the demo as it was.
    contacts = np.random.default_rng([seed, wave_index, 1]).choice(
        CONTACTS, n, p=[0.5, 0.25, 0.15, 0.1]
    )
    columns["contacts"] = contacts.astype(str)
    dims = instrument.dimensions
    if with_points:
        raw = rng.dirichlet(np.full(len(dims), 4.0), n) * 100
        points = np.floor(raw)
        points[:, 0] += 100 - points.sum(axis=1)  # whole points that total exactly 100
        for j, d in enumerate(dims):
            columns[f"points.{d}"] = points[:, j].astype(int)
    leniency_e = rng.normal(0, 0.5, n)
    leniency_p = rng.normal(0, 0.6, n)
    small_business = segment == SEGMENTS.index("Small business")
    drift = 0.2 * wave_index
    item_rng = np.random.default_rng(seed)
    pairs = instrument.pairs()
    base_e = {
        (s, i): 5.2 + item_rng.normal(0, 0.3) for s, i in pairs.select("stage", "item").iter_rows()
    }
    base_gap = {
        (s, i): item_rng.normal(-0.1, 0.35) for s, i in pairs.select("stage", "item").iter_rows()
    }
    base_gap[("post_purchase", "kept_informed")] = -1.4
    base_gap[("encounter", "courtesy")] = 1.1
    for stage in instrument.stages:
        for item in pairs.filter(pl.col("stage") == stage)["item"]:
            key = (stage, item)
            e = base_e[key] + drift + leniency_e + rng.normal(0, 0.7, n)
            p = base_e[key] + base_gap[key] + 0.12 * wave_index + leniency_p + rng.normal(0, 0.9, n)
            p = p - 0.45 * small_business
            if item in PASSED_AROUND:
                p = p - 0.35 * (contacts - 1)
            a = e - 1.3 + rng.normal(0, 0.5, n)
            answered = rng.random(n) < SPARSE_PAIRS.get(key, 0.97)
            for measure, values in (("E", e), ("P", p), ("A", a)):
                if measure == "A" and not with_adequate:
                    continue
                score = np.clip(np.rint(values), lo, hi).astype(float)
                score[~answered] = np.nan
                columns[f"{stage}.{item}.{measure}"] = score
    frame = pl.DataFrame(columns)
    score_cols = [c for c in frame.columns if c.count(".") == 2]
    return frame.with_columns([pl.col(c).fill_nan(None).cast(pl.Int8) for c in score_cols])


def wave_csv(frame: pl.DataFrame) -> bytes:
    """A wide wave frame as CSV bytes, as it would be uploaded."""
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


def build_demo(
    path: str | Path,
    n_respondents: int = 4000,
    n_waves: int = 3,
    seed: int = 2026,
) -> list[str]:
    """Create (or add to) a database with demo waves, through the normal upload path.

    Returns
    -------
    list of str
        Labels of the waves ingested.
    """
    if n_respondents < 1 or n_waves < 1:
        raise ValueError(
            f"The demo needs at least 1 respondent and 1 wave. Got {n_respondents} and {n_waves}."
        )
    instrument = default_instrument()
    labels = []
    with Store.open(path) as store:
        for index, (label, fielded) in enumerate(wave_labels(n_waves)):
            data = wave_csv(generate_wave(n_respondents, index, instrument, seed))
            wave, report = prepare_wave(data, f"demo-{label}.csv", instrument, SCALE)
            if wave is None:
                raise RuntimeError(f"Demo wave {label} failed validation: {report.to_text()}")
            store.ingest_wave(wave, label, fielded, replace=True)
            labels.append(label)
    return labels


def ensure_demo_database(path: str | Path) -> bool:
    """Create the demo database at ``path`` if no file is there. Returns True if created.

    Raises
    ------
    DatabaseFault
        ``path`` is a folder or a damaged file, or the demo cannot be written there (a
        read-only folder; a full disk, after which nothing is left behind).
    """
    path = Path(path)
    prepare(path, read_only=False)  # checks the file, or that its folder can take a new one
    if path.exists():
        return False
    tmp = path.with_name(path.name + ".building")
    remove_database(tmp)
    try:
        build_demo(tmp)
        with Store.open(tmp) as store:
            store.checkpoint()  # all in the file: a .wal would not follow the rename
    except DiskFullError:
        remove_database(tmp)
        raise disk_full(path, "the demo database was not created") from None
    tmp.rename(path)  # the file appears whole or not at all
    return True
