"""What the ingest layer hands to the store: one validated wave, ready to be written."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from gapmodel.core.instrument import Instrument


@dataclass(frozen=True)
class PreparedWave:
    """A validated wave, ready to be written.

    Attributes
    ----------
    respondents : pl.DataFrame
        ``respondent`` (Int32, 1..n), ``respondent_id``, ``segment``, ``channel``, ``region``,
        ``extra`` (JSON text of other attribute columns, or null).
    responses : pl.DataFrame
        ``respondent, stage, item, expectation, perception, adequate, importance``.
    allocations : pl.DataFrame
        ``respondent, dimension, points``; may be empty.
    scale : tuple of int
        Declared (min, max) of the wave's scale.
    instrument : Instrument
    source_name, sha256, source_format : str
        File name, hash of the file's bytes, and "wide" or "long".
    """

    respondents: pl.DataFrame
    responses: pl.DataFrame
    allocations: pl.DataFrame
    scale: tuple[int, int]
    instrument: Instrument
    source_name: str
    sha256: str
    source_format: str
