"""Large synthetic response frames for the benchmark and for tests, generated in memory.

Unlike :mod:`gapmodel.tools.demo` (which writes realistic waves into a database), this builds a
``Store.responses``-shaped frame directly, with categorical columns as ``Enum`` so that tens of
millions of rows fit in memory.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from gapmodel.core.instrument import default_instrument
from gapmodel.core.vocabulary import DEFAULT_STAGES

SEGMENTS = ("Consumer", "Small business", "Enterprise", "Public sector")
CHANNELS = ("Phone", "Web", "Store", "Chat")
REGIONS = ("North", "South", "East", "West")


def synthetic_responses(
    respondents: int, waves: int = 2, scale: int = 7, seed: int = 0, missing: float = 0.0
) -> pl.DataFrame:
    """Every respondent answers every stage x item pair of the default instrument.

    Parameters
    ----------
    respondents : int
        Total respondents, split evenly over the waves.
    waves : int
        Number of waves, labelled ``W1, W2, ...``.
    scale : int
        Scores run from 1 to ``scale``.
    seed : int
        Random seed.
    missing : float
        Share of pairs whose perception is missing (null).

    Returns
    -------
    pl.DataFrame
        ``wave, respondent, stage, item, dimension, element, expectation, perception, segment,
        channel, region``, sorted by wave and respondent.
    """
    rng = np.random.default_rng(seed)
    instrument = default_instrument()
    pairs = instrument.pairs()
    items = instrument.items
    n_pairs = pairs.height
    rows = respondents * n_pairs
    wave_of = np.minimum(np.arange(respondents) * waves // max(respondents, 1), waves - 1)
    segment_of = rng.integers(0, len(SEGMENTS), respondents)
    mood = rng.normal(0, 0.6, respondents) - 0.4 * (segment_of == 2)
    pair_effect = rng.normal(-0.3, 0.5, n_pairs)
    expectation = np.clip(
        np.rint(scale - 1.5 + 0.2 * wave_of[:, None] + rng.normal(0, 1.0, (respondents, n_pairs))),
        1,
        scale,
    ).astype(np.uint8)
    perception = np.clip(
        np.rint(
            expectation
            + pair_effect[None, :]
            + mood[:, None]
            + rng.normal(0, 1.1, (respondents, n_pairs))
        ),
        1,
        scale,
    ).astype(np.uint8)
    codes = items["code"].to_list()
    dims = sorted(set(items["dimension"]))
    dimension = dict(zip(codes, items["dimension"], strict=True))
    element = dict(zip(codes, items["element"], strict=True))
    pair_item = pairs["item"].to_list()
    tile = np.tile(np.arange(n_pairs), respondents)
    repeat = np.repeat(np.arange(respondents), n_pairs)

    def enum_column(name: str, labels, per_row: np.ndarray) -> pl.Series:
        return pl.Series(name, per_row, dtype=pl.UInt32).cat.to(pl.Enum(list(labels)))

    def per_pair(name: str, labels, values: list[str]) -> pl.Series:
        return enum_column(name, labels, np.array([list(labels).index(v) for v in values])[tile])

    perception_col = pl.Series("perception", perception.ravel())
    if missing:
        perception_col = perception_col.scatter(np.flatnonzero(rng.random(rows) < missing), None)
    return pl.DataFrame(
        [
            enum_column("wave", [f"W{w + 1}" for w in range(waves)], wave_of[repeat]),
            pl.Series("respondent", repeat + 1, dtype=pl.Int32),
            per_pair("stage", DEFAULT_STAGES, pairs["stage"].to_list()),
            per_pair("item", codes, pair_item),
            per_pair("dimension", dims, [dimension[i] for i in pair_item]),
            per_pair("element", ("human", "technical"), [element[i] for i in pair_item]),
            pl.Series("expectation", expectation.ravel()),
            perception_col,
            enum_column("segment", SEGMENTS, segment_of[repeat]),
            enum_column("channel", CHANNELS, rng.integers(0, len(CHANNELS), respondents)[repeat]),
            enum_column("region", REGIONS, rng.integers(0, len(REGIONS), respondents)[repeat]),
        ]
    )
