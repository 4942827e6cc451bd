"""Reading the store: responses, compact scores, respondents with their attributes, importance
allocations, counts and checksums, and the audit trail (the waves and their questionnaires are
read by :mod:`gapmodel.storage.questionnaires`).

Every value is bound as a parameter; no identifier comes from data. Stages, items and attributes
are names: a name written differently by two waves (case, spacing, punctuation) is one name, shown as the
newest wave writes it. A read of several statements runs in one transaction (``_reading``), so
it sees one committed state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import duckdb
import numpy as np
import polars as pl

from gapmodel.core.errors import StoreError
from gapmodel.core.vocabulary import (
    MEASURES,
    name_key,
    ordered_enum,
    relabelled,
    unlisted_attributes,
)
from gapmodel.storage.questionnaires import WAVE_ORDER, QuestionnaireReads, merge_names
from gapmodel.storage.schema import ALL_TABLES, TABLES, table_checksums


class StoreReads(QuestionnaireReads):
    """The reading half of :class:`gapmodel.storage.store.Store`."""

    @property
    def data_version(self) -> int:
        """A number that grows with every committed ingest, replace or delete."""
        return self.cursor().sql("SELECT max(version) FROM changes").fetchall()[0][0]

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
            Attribute filters by attribute name, e.g. ``{"segment": "Business"}`` or
            ``{"Age band": ["18-24", "25-34"]}``.
        stages : sequence of str, optional
            Journey stages to include, by name.

        Returns
        -------
        pl.DataFrame
            ``wave, respondent, stage`` (Enum in the questionnaires' order), ``item, dimension,
            element, expectation, perception, adequate, importance``, then one column per
            respondent attribute; one row per respondent x stage x item; ``respondent`` is
            unique within a wave.

        Raises
        ------
        ValueError
            An attribute or a stage the waves do not have.
        """
        with self._reading() as cur:
            vocabulary = self.vocabulary(waves, cur)
            clauses, params = self._filters(cur, waves, where, stages, pairs_alias="pr")
            sql = f"""
                SELECT w.label AS wave, r.respondent, pr.stage, pr.item, it.dimension,
                       it.element, r.expectation, r.perception, r.adequate, r.importance
                FROM responses r
                JOIN waves w ON w.wave_id = r.wave_id
                JOIN respondents p ON p.wave_id = r.wave_id AND p.respondent = r.respondent
                JOIN pairs pr ON pr.instrument_id = w.instrument_id AND pr.pair = r.pair
                JOIN items it ON it.instrument_id = w.instrument_id AND it.item = pr.item
                WHERE {clauses}
                ORDER BY {WAVE_ORDER}, r.respondent, r.pair"""  # noqa: S608 - fixed clauses, bound values
            frame = cur.sql(sql, params=params).pl()
            attributes = self._attributes(cur, waves, vocabulary["attributes"])
        stage_names = merge_names([vocabulary["stages"]])
        frame = frame.with_columns(
            pl.col("respondent").cast(pl.Int32),
            relabelled("stage", lambda s: stage_names[name_key(s)]).cast(
                ordered_enum(vocabulary["stages"])
            ),
        )
        return frame.join(attributes, on=["wave", "respondent"], how="left", maintain_order="left")

    def scores(self, waves: Sequence[str], pairs: Sequence[tuple[str, str]]) -> pl.DataFrame:
        """The raw scores of some waves, compactly coded for the gap model.

        Parameters
        ----------
        waves : sequence of str
            Wave labels, in the order wanted.
        pairs : sequence of (str, str)
            (stage, item) names; ``pair`` in the result is a position in this list, matched by
            name (case, spacing and punctuation do not matter). Responses to other pairs are left out.

        Returns
        -------
        pl.DataFrame
            ``wave`` (Enum of ``waves``), ``respondent`` (Int32), ``pair`` (UInt32),
            ``expectation, perception, adequate, importance`` (UInt8, null when not given);
            rows in no particular order.

        Raises
        ------
        UnknownWaveError
            If a label is not stored. All waves are read in one transaction.
        """
        labels = list(dict.fromkeys(waves))
        wave_dtype = pl.Enum(labels)
        code_of = {(name_key(s), name_key(i)): k for k, (s, i) in enumerate(pairs)}
        parts = []
        with self._reading() as cur:
            for label in labels:
                wave_id = self._wave_id(cur, label)
                stored = cur.sql(
                    """SELECT pr.pair, pr.stage, pr.item FROM pairs pr
                       JOIN waves w ON w.instrument_id = pr.instrument_id
                       WHERE w.wave_id = ? ORDER BY pr.pair""",
                    params=[wave_id],
                ).fetchall()
                lookup = np.full(stored[-1][0] + 1 if stored else 0, -1, np.int64)
                for pair, stage, item in stored:
                    lookup[pair] = code_of.get((name_key(stage), name_key(item)), -1)
                frame = cur.sql(
                    """SELECT respondent, pair, expectation, perception, adequate, importance
                       FROM responses WHERE wave_id = ?""",
                    params=[wave_id],
                ).pl()
                code = pl.Series("pair", lookup[frame["pair"].to_numpy()])
                coded = frame.with_columns(code).filter(pl.col("pair") >= 0)
                parts.append(
                    coded.select(
                        pl.lit(label, wave_dtype).alias("wave"),
                        "respondent",
                        pl.col("pair").cast(pl.UInt32),
                        *MEASURES,
                    )
                )
        if not parts:
            schema = {"wave": wave_dtype, "respondent": pl.Int32, "pair": pl.UInt32}
            return pl.DataFrame(schema=schema | dict.fromkeys(MEASURES, pl.UInt8))
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
        with self._reading() as cur:
            clauses, params = self._filters(cur, waves, where)
            sql = f"""
                SELECT w.label AS wave, a.respondent, a.dimension, a.points
                FROM allocations a
                JOIN waves w ON w.wave_id = a.wave_id
                JOIN respondents p ON p.wave_id = a.wave_id AND p.respondent = a.respondent
                WHERE {clauses}
                ORDER BY w.wave_id, a.respondent, a.dimension"""  # noqa: S608 - fixed clauses, bound values
            frame = cur.sql(sql, params=params).pl()
        return frame.with_columns(pl.col("respondent").cast(pl.Int32))

    def respondents(self, waves: Sequence[str] | None = None) -> pl.DataFrame:
        """Respondents with their attributes.

        Returns
        -------
        pl.DataFrame
            ``wave, respondent, respondent_id``, then one text column per attribute of these
            waves (:meth:`vocabulary`), null where a respondent has no value.
        """
        with self._reading() as cur:
            vocabulary = self.vocabulary(waves, cur)
            clauses, params = self._filters(cur, waves)
            sql = f"""
                SELECT w.label AS wave, p.respondent, p.respondent_id
                FROM respondents p JOIN waves w ON w.wave_id = p.wave_id
                WHERE {clauses} ORDER BY w.wave_id, p.respondent"""  # noqa: S608 - fixed clauses, bound values
            people = cur.sql(sql, params=params).pl()
            attributes = self._attributes(cur, waves, vocabulary["attributes"])
        people = people.with_columns(pl.col("respondent").cast(pl.Int32))
        return people.join(attributes, on=["wave", "respondent"], how="left", maintain_order="left")

    def _attributes(
        self, cur: duckdb.DuckDBPyConnection, waves: Sequence[str] | None, names: list[str]
    ) -> pl.DataFrame:
        """``wave, respondent`` and one column per attribute in ``names`` (their order), from
        the attribute rows of ``waves``; names stored in other spellings are merged."""
        clauses, params = self._filters(cur, waves)
        sql = f"""
            SELECT w.label AS wave, a.respondent, a.attribute, a.value
            FROM respondent_attributes a JOIN waves w ON w.wave_id = a.wave_id
            WHERE {clauses}"""  # noqa: S608 - fixed clauses, bound values
        rows = cur.sql(sql, params=params).pl()
        key = {name_key(n): n for n in names}
        empty = pl.DataFrame(schema={"wave": pl.String, "respondent": pl.Int32})
        if rows.is_empty():
            return empty.with_columns(pl.lit(None, pl.String).alias(n) for n in names)
        stored = rows["attribute"].unique().sort().to_list()
        unlisted = unlisted_attributes(names, stored)
        if unlisted:  # only a hand-edited database gets here; an ingest lists every name
            where = rows.filter(pl.col("attribute").is_in(unlisted))["wave"].unique().sort()
            raise StoreError(
                f"The database {self.path} is inconsistent: wave(s) {', '.join(where)} store "
                f"the respondent attribute(s) {', '.join(unlisted)}, which the wave does not "
                "list. Restore the database from a backup."
            )
        spelling = {a: key[name_key(a)] for a in stored}
        rows = rows.with_columns(
            pl.col("respondent").cast(pl.Int32), pl.col("attribute").replace_strict(spelling)
        )
        wide = rows.pivot(
            on="attribute", index=["wave", "respondent"], values="value", aggregate_function="first"
        )
        missing = [n for n in names if n not in wide.columns]
        wide = wide.with_columns(pl.lit(None, pl.String).alias(n) for n in missing)
        return wide.select("wave", "respondent", *names)

    def attribute_values(self, attribute: str) -> list[str]:
        """Distinct values of a respondent attribute (any spelling of its name), sorted."""
        with self._reading() as cur:
            spellings = self._spellings(cur, attribute)
            rows = cur.sql(
                """SELECT DISTINCT value FROM respondent_attributes
                   WHERE attribute IN (SELECT unnest(?::VARCHAR[])) ORDER BY 1""",
                params=[spellings],
            ).fetchall()
        return [row[0] for row in rows]

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

    def _spellings(self, cur: duckdb.DuckDBPyConnection, attribute: str) -> list[str]:
        """Every stored spelling of an attribute's name."""
        rows = cur.sql("SELECT DISTINCT unnest(attributes) FROM waves").fetchall()
        stored = [row[0] for row in rows]
        found = [a for a in stored if name_key(a) == name_key(attribute)]
        if not found:
            known = ", ".join(merge_names([stored]).values()) or "none"
            raise ValueError(
                f"Unknown respondent attribute {attribute!r}; the waves have: {known}."
            )
        return found

    def _filters(
        self,
        cur: duckdb.DuckDBPyConnection,
        waves: Sequence[str] | str | None = None,
        where: Mapping[str, str | Sequence[str]] | None = None,
        stages: Sequence[str] | None = None,
        pairs_alias: str | None = None,
    ) -> tuple[str, list[object]]:
        """WHERE clauses over ``w`` (waves) and ``p`` (respondents), and over ``pairs_alias``
        for stages; names are matched to their stored spellings, every value is bound and no
        identifier comes from data."""
        clauses = ["TRUE"]
        params: list[object] = []
        if waves is not None:
            labels = [waves] if isinstance(waves, str) else list(waves)
            clauses.append("w.label IN (SELECT unnest(?::VARCHAR[]))")
            params.append(labels)
        for name, value in (where or {}).items():
            values = [value] if isinstance(value, str) else list(value)
            clauses.append(
                """EXISTS (SELECT 1 FROM respondent_attributes a
                           WHERE a.wave_id = p.wave_id AND a.respondent = p.respondent
                             AND a.attribute IN (SELECT unnest(?::VARCHAR[]))
                             AND a.value IN (SELECT unnest(?::VARCHAR[])))"""
            )
            params += [self._spellings(cur, name), [str(v) for v in values]]
        if stages is not None and pairs_alias:
            stored = [row[0] for row in cur.sql("SELECT DISTINCT stage FROM pairs").fetchall()]
            known = merge_names([stored])
            unknown = [s for s in stages if name_key(s) not in known]
            if unknown:
                raise ValueError(
                    f"Unknown stage(s) {unknown}; the waves have: {', '.join(known.values())}."
                )
            wanted = {name_key(s) for s in stages}
            clauses.append(f"{pairs_alias}.stage IN (SELECT unnest(?::VARCHAR[]))")
            params.append([s for s in stored if name_key(s) in wanted])
        return " AND ".join(clauses), params
