"""Reading the store: waves, items, responses, compact scores, respondents and the audit trail.

Every value is bound as a parameter; the few identifiers that vary (attribute columns) come from
a whitelist. A read of several statements runs in one transaction (``_reading``), so it sees
one committed state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from gapmodel.core.vocabulary import MEASURES, STAGE_DTYPE, STAGES
from gapmodel.storage.base import StoreBase
from gapmodel.storage.names import check_attribute
from gapmodel.storage.schema import ALL_TABLES, TABLES, table_checksums


class StoreReads(StoreBase):
    """The reading half of :class:`gapmodel.storage.store.Store`."""

    @property
    def data_version(self) -> int:
        """A number that grows with every committed ingest, replace or delete."""
        return self.cursor().sql("SELECT max(version) FROM changes").fetchall()[0][0]

    def waves(self) -> pl.DataFrame:
        """The stored waves, oldest first (by fielded date, then ingestion time).

        Returns
        -------
        pl.DataFrame
            ``wave_id, label, fielded, scale_min, scale_max, instrument, source_name, sha256,
            source_format, n_respondents, n_responses, ingested_at, ingested_by`` (who ingested
            the wave, null when not recorded).
        """
        return (
            self.cursor()
            .sql(
                """SELECT w.wave_id, w.label, w.fielded, w.scale_min, w.scale_max,
                      i.name AS instrument, w.source_name, w.sha256, w.source_format,
                      w.n_respondents, w.n_responses, w.ingested_at, w.ingested_by
               FROM waves w JOIN instruments i USING (instrument_id)
               ORDER BY w.fielded NULLS LAST, w.ingested_at, w.wave_id"""
            )
            .pl()
        )

    def wave_labels(self) -> list[str]:
        """Wave labels, oldest first."""
        return self.waves()["label"].to_list()

    def items(self, wave: str | None = None) -> pl.DataFrame:
        """Instrument items (``item, wording, dimension, element, stages``).

        Parameters
        ----------
        wave : str, optional
            Items of the instrument that wave was ingested with; default: the latest wave's.
        """
        if wave is None:
            sql = """SELECT it.item, it.wording, it.dimension, it.element,
                            CAST(it.stages AS VARCHAR[]) AS stages
                     FROM items it WHERE it.instrument_id = (
                        SELECT instrument_id FROM waves ORDER BY ingested_at DESC LIMIT 1)"""
            return self.cursor().sql(sql).pl()
        sql = """SELECT it.item, it.wording, it.dimension, it.element,
                        CAST(it.stages AS VARCHAR[]) AS stages
                 FROM items it JOIN waves w USING (instrument_id) WHERE w.label = ?"""
        with self._reading() as cur:
            self._wave_id(cur, wave)
            return cur.sql(sql, params=[wave]).pl()

    def responses(
        self,
        waves: Sequence[str] | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        stages: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Paired scores joined with item metadata and respondent attributes.

        Parameters
        ----------
        waves : sequence of str, optional
            Wave labels to include; all waves when omitted.
        where : mapping, optional
            Attribute filters, e.g. ``{"segment": "Business"}`` or ``{"region": ["North", "East"]}``;
            keys must be among ``segment, channel, region``.
        stages : sequence of str, optional
            Journey stages to include.

        Returns
        -------
        pl.DataFrame
            ``wave, respondent, stage, item, dimension, element, expectation, perception,
            adequate, importance, segment, channel, region``; one row per respondent x stage x
            item; ``respondent`` is unique within a wave.
        """
        clauses, params = self._filters(waves, where, stages)
        sql = f"""
            SELECT w.label AS wave, r.respondent, CAST(r.stage AS VARCHAR) AS stage, r.item,
                   it.dimension, it.element, r.expectation, r.perception, r.adequate,
                   r.importance, p.segment, p.channel, p.region
            FROM responses r
            JOIN waves w ON w.wave_id = r.wave_id
            JOIN respondents p ON p.wave_id = r.wave_id AND p.respondent = r.respondent
            JOIN items it ON it.instrument_id = w.instrument_id AND it.item = r.item
            WHERE {clauses}
            ORDER BY w.fielded NULLS LAST, w.ingested_at, r.respondent, r.stage, r.item"""  # noqa: S608 - fixed clauses, bound values
        frame = self.cursor().sql(sql, params=params).pl()
        return frame.with_columns(
            pl.col("respondent").cast(pl.Int32), pl.col("stage").cast(STAGE_DTYPE)
        )

    def scores(self, waves: Sequence[str], items: Sequence[str]) -> pl.DataFrame:
        """The raw scores of some waves, compactly coded for the gap model (no joins).

        Parameters
        ----------
        waves : sequence of str
            Wave labels, in the order wanted.
        items : sequence of str
            Item codes; ``item`` in the result is a position in this list. Responses to other
            items are left out.

        Returns
        -------
        pl.DataFrame
            ``wave`` (Enum of ``waves``), ``respondent`` (Int32), ``stage`` (UInt8, position in
            ``STAGES``), ``item`` (UInt8, position in ``items``), ``expectation, perception,
            adequate, importance`` (UInt8, null when not given); rows in no particular order.

        Raises
        ------
        UnknownWaveError
            If a label is not stored. All waves are read in one transaction.
        """
        labels = list(dict.fromkeys(waves))
        wave_dtype = pl.Enum(labels)
        parts = []
        with self._reading() as cur:
            for label in labels:
                wave_id = self._wave_id(cur, label)
                frame = cur.sql(
                    """SELECT respondent, enum_code(stage)::UTINYINT AS stage,
                              (list_position(?::VARCHAR[], item) - 1)::UTINYINT AS item,
                              expectation, perception, adequate, importance
                       FROM responses
                       WHERE wave_id = ? AND list_position(?::VARCHAR[], item) > 0""",
                    params=[list(items), wave_id, list(items)],
                ).pl()
                parts.append(frame.select(pl.lit(label, wave_dtype).alias("wave"), pl.all()))
        if not parts:
            schema = {"wave": wave_dtype, "respondent": pl.Int32, "stage": pl.UInt8}
            schema |= {"item": pl.UInt8} | dict.fromkeys(MEASURES, pl.UInt8)
            return pl.DataFrame(schema=schema)
        return pl.concat(parts)

    def allocations(
        self,
        waves: Sequence[str] | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
    ) -> pl.DataFrame:
        """Importance points each respondent allocated over the dimensions (may be empty).

        Returns
        -------
        pl.DataFrame
            ``wave, respondent, dimension, points``.
        """
        clauses, params = self._filters(waves, where, None, responses_alias=None)
        sql = f"""
            SELECT w.label AS wave, a.respondent, a.dimension, a.points
            FROM allocations a
            JOIN waves w ON w.wave_id = a.wave_id
            JOIN respondents p ON p.wave_id = a.wave_id AND p.respondent = a.respondent
            WHERE {clauses}
            ORDER BY w.wave_id, a.respondent, a.dimension"""  # noqa: S608 - fixed clauses, bound values
        frame = self.cursor().sql(sql, params=params).pl()
        return frame.with_columns(pl.col("respondent").cast(pl.Int32))

    def respondents(self, waves: Sequence[str] | None = None) -> pl.DataFrame:
        """Respondents with their attributes: ``wave, respondent, respondent_id, segment,
        channel, region, extra``."""
        clauses, params = self._filters(waves, None, None, responses_alias=None)
        sql = f"""
            SELECT w.label AS wave, p.respondent, p.respondent_id, p.segment, p.channel,
                   p.region, p.extra
            FROM respondents p JOIN waves w ON w.wave_id = p.wave_id
            WHERE {clauses} ORDER BY w.wave_id, p.respondent"""  # noqa: S608 - fixed clauses, bound values
        return self.cursor().sql(sql, params=params).pl()

    def attribute_values(self, attribute: str) -> list[str]:
        """Distinct non-null values of a whitelisted respondent attribute, sorted."""
        column = check_attribute(attribute)
        sql = f"SELECT DISTINCT {column} FROM respondents WHERE {column} IS NOT NULL ORDER BY 1"  # noqa: S608 - whitelisted
        return [row[0] for row in self.cursor().sql(sql).fetchall()]

    def table_counts(self) -> dict[str, int]:
        """Row count of every data table (for checks and the CLI)."""
        cur = self.cursor()
        return {t: cur.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}  # noqa: S608

    def checksums(self) -> dict[str, tuple[int, int]]:
        """Row count and an order-independent checksum of the content of every table.

        Two stores with equal checksums hold the same rows (up to hash collisions); used to
        prove that a refused upload, or a backup and restore, changed nothing.
        """
        with self._reading() as cur:
            return table_checksums(cur, ALL_TABLES)

    def audit(self) -> pl.DataFrame:
        """Who changed the data: one row per ingest, replace and delete, oldest first.

        Returns
        -------
        pl.DataFrame
            ``audit_id`` (increasing), ``changed_at`` (time of the transaction), ``action``
            (``ingest``, ``replace`` or ``delete``), ``wave`` (label), ``username`` (null when
            not given), ``detail`` (source file and counts, or the waves replaced).
        """
        return (
            self.cursor()
            .sql(
                """SELECT audit_id, changed_at, action, wave, username, detail
                   FROM audit ORDER BY audit_id"""
            )
            .pl()
        )

    def _filters(self, waves, where, stages, responses_alias: str | None = "r"):
        clauses = ["TRUE"]
        params: list[object] = []
        if waves is not None:
            labels = [waves] if isinstance(waves, str) else list(waves)
            clauses.append("w.label IN (SELECT unnest(?::VARCHAR[]))")
            params.append(labels)
        for key, value in (where or {}).items():
            column = check_attribute(key)
            values = [value] if isinstance(value, str) else list(value)
            clauses.append(f"p.{column} IN (SELECT unnest(?::VARCHAR[]))")
            params.append([str(v) for v in values])
        if stages is not None and responses_alias:
            unknown = [s for s in stages if s not in STAGES]
            if unknown:
                raise ValueError(f"Unknown stage(s) {unknown}; allowed: {', '.join(STAGES)}.")
            clauses.append(
                f"CAST({responses_alias}.stage AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))"
            )
            params.append(list(stages))
        return " AND ".join(clauses), params
