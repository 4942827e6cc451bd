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
        ``respondent`` (Int32, 1..n), ``respondent_id``, then one text column per respondent
        attribute (named as in ``attributes``; null where a respondent has no value).
    responses : pl.DataFrame
        ``respondent, stage, item, expectation, perception, adequate, importance``; ``stage``
        and ``item`` name a pair that ``instrument`` asks.
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

    @property
    def attributes(self) -> list[str]:
        """The respondent attributes, in the order of the file's columns."""
        return [c for c in self.respondents.columns if c not in ("respondent", "respondent_id")]
