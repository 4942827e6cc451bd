"""Reading the questionnaires of the store: the waves, their stages, dimensions and attributes
in order, each questionnaire's items and stage x item pairs, and a questionnaire as its file.

Names written differently by two waves (case, spacing, punctuation) are one name, shown as the
newest wave writes it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import duckdb
import polars as pl

from gapmodel.core.errors import InstrumentError, StoreError
from gapmodel.core.instrument import Instrument, load_instrument
from gapmodel.core.vocabulary import name_key, ordered_enum, relabelled
from gapmodel.storage.base import StoreBase

# Oldest first: by fielded date, then by ingestion time (UTC since schema version 5, so the
# order does not depend on the time zone of whoever ingested a wave).
WAVE_ORDER = "w.fielded NULLS LAST, w.ingested_at, w.wave_id"


def merge_names(lists_newest_first: Sequence[Sequence[str]]) -> dict[str, str]:
    """Names of several waves as one list: key -> name, in the newest wave's order, then names
    only older waves have; each written as the newest wave that has it writes it.

    Examples
    --------
    >>> list(merge_names([["Kiosk", "App"], ["kiosk", "Phone"]]).values())
    ['Kiosk', 'App', 'Phone']
    """
    merged: dict[str, str] = {}
    for names in lists_newest_first:
        for name in names or []:
            merged.setdefault(name_key(name), name)
    return merged


class QuestionnaireReads(StoreBase):
    """The waves and their questionnaires, part of :class:`gapmodel.storage.store.Store`."""

    def waves(self) -> pl.DataFrame:
        """The stored waves, oldest first (by fielded date, then ingestion time in UTC).

        Returns
        -------
        pl.DataFrame
            ``wave_id, label, fielded, scale_min, scale_max, instrument, source_name, sha256,
            source_format, n_respondents, n_responses, ingested_at`` (UTC), ``ingested_by``
            (who ingested the wave, null when not recorded), ``attributes`` (the wave's
            attribute names, in the order of its file), ``stages`` and ``dimensions`` (its
            questionnaire's, in order).
        """
        return self._waves(self.cursor())

    @staticmethod
    def _waves(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
        return cur.sql(
            f"""SELECT w.wave_id, w.label, w.fielded, w.scale_min, w.scale_max,
                      i.name AS instrument, w.source_name, w.sha256, w.source_format,
                      w.n_respondents, w.n_responses, w.ingested_at, w.ingested_by,
                      coalesce(w.attributes, []::VARCHAR[]) AS attributes,
                      i.stages, i.dimensions
               FROM waves w JOIN instruments i USING (instrument_id)
               ORDER BY {WAVE_ORDER}"""  # noqa: S608 - fixed order clause
        ).pl()

    def wave_labels(self) -> list[str]:
        """Wave labels, oldest first."""
        return self.waves()["label"].to_list()

    def vocabulary(
        self, waves: Sequence[str] | None = None, cur: duckdb.DuckDBPyConnection | None = None
    ) -> dict[str, list[str]]:
        """The stages, dimensions and attributes of some waves (all when omitted), each in the
        order of the newest wave's questionnaire and file, then names only older waves have.

        Returns
        -------
        dict
            ``stages``, ``dimensions``, ``attributes``: lists of names as the newest wave that
            has them writes them.
        """
        table = self._waves(cur or self.cursor())
        if waves is not None:
            table = table.filter(pl.col("label").is_in(list(waves)))
        newest = table.reverse()
        return {
            column: list(merge_names(newest[column].to_list()).values())
            for column in ("stages", "dimensions", "attributes")
        }

    def items(self, wave: str | None = None) -> pl.DataFrame:
        """Instrument items (``item, wording, dimension, element, stages``), in file order.

        Parameters
        ----------
        wave : str, optional
            Items of the instrument that wave was ingested with; default: the newest wave's.
        """
        with self._reading() as cur:
            return self._items(cur, wave)[1]

    def _items(self, cur: duckdb.DuckDBPyConnection, wave: str | None) -> tuple[str, pl.DataFrame]:
        """The name of a wave's questionnaire (the newest wave's when None) and its items."""
        if wave is None:
            labels = self._waves(cur)["label"].to_list()
            wave = labels[-1] if labels else ""
        else:
            self._wave_id(cur, wave)  # refuses an unknown label
            wave = self._stored_label(cur, wave)
        rows = cur.sql(
            """SELECT i.name, it.item, it.wording, it.dimension, it.element, it.stages
               FROM items it JOIN waves w USING (instrument_id)
               JOIN instruments i USING (instrument_id)
               WHERE w.label = ? ORDER BY it.position""",
            params=[wave],
        ).pl()
        return (rows["name"][0] if rows.height else ""), rows.drop("name")

    def instrument(self, wave: str | None = None) -> Instrument | None:
        """The questionnaire a wave was ingested with, as its file described it (the newest
        wave's when omitted; None when no wave is stored): what a new wave of the same survey
        is read with unless another questionnaire is given.

        Raises
        ------
        StoreError
            If the stored questionnaire breaks a rule of today's instrument files (one written
            by an older gapmodel); the message says what to do.
        """
        with self._reading() as cur:
            name, items = self._items(cur, wave)
        if items.is_empty():
            return None
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(["code", "wording", "dimension", "element", "stages"])
        for code, wording, dimension, element, stages in items.iter_rows():
            writer.writerow([code, wording, dimension, element or "", "|".join(stages)])
        try:
            return load_instrument(text.getvalue().encode(), name)
        except InstrumentError as exc:
            raise StoreError(
                f"The stored questionnaire {name} cannot be used for a new wave: "
                f"{' '.join(exc.problems)} Give the questionnaire file with the upload."
            ) from None

    def survey_items(self, waves: Sequence[str] | None = None) -> pl.DataFrame:
        """Every item of the questionnaires some waves (all when omitted) were fielded with,
        each once, as the newest of them names and classes it.

        Returns
        -------
        pl.DataFrame
            ``item, wording, dimension, element``, in the newest questionnaire's order, then
            the items only older ones have.
        """
        with self._reading() as cur:
            return self._survey_items(cur, waves).select("item", "wording", "dimension", "element")

    def _survey_items(
        self, cur: duckdb.DuckDBPyConnection, waves: Sequence[str] | None
    ) -> pl.DataFrame:
        """:meth:`survey_items` in one query, with ``_item`` (the item's key) as well."""
        labels = list(waves) if waves is not None else self._waves(cur)["label"].to_list()
        rows = cur.sql(
            """SELECT w.label AS wave, it.item, it.wording, it.dimension, it.element, it.position
               FROM items it JOIN waves w USING (instrument_id)
               WHERE w.label IN (SELECT unnest(?::VARCHAR[]))""",
            params=[labels],
        ).pl()
        newest = {label: k for k, label in enumerate(reversed(labels))}
        rows = rows.with_columns(
            _age=pl.col("wave").replace_strict(newest, return_dtype=pl.Int64),
            _item=relabelled("item", name_key),
        ).sort("_age", "position")
        return rows.unique("_item", keep="first", maintain_order=True)

    def pairs(self, waves: Sequence[str] | None = None) -> pl.DataFrame:
        """Every stage x item the questionnaires of some waves (all when omitted) ask.

        Returns
        -------
        pl.DataFrame
            ``stage`` (Enum of :meth:`vocabulary`'s stages), ``item, dimension, element``: by
            stage in the survey's order, then by item in the newest questionnaire's order; an
            item in several questionnaires is named and classed as the newest names it.
        """
        with self._reading() as cur:
            labels = waves if waves is not None else self._waves(cur)["label"].to_list()
            stages = self.vocabulary(labels, cur)["stages"]
            items = self._survey_items(cur, labels).with_row_index("_order")
            asked = cur.sql(
                """SELECT DISTINCT pr.stage, pr.item
                   FROM pairs pr JOIN waves w ON w.instrument_id = pr.instrument_id
                   WHERE w.label IN (SELECT unnest(?::VARCHAR[]))""",
                params=[list(labels)],
            ).pl()
        stage_of = merge_names([stages])
        pairs = (
            asked.select(
                relabelled("stage", lambda s: stage_of[name_key(s)]),
                relabelled("item", name_key).alias("_item"),
            )
            .unique()
            .join(items.select("_item", "_order", "item", "dimension", "element"), on="_item")
        )
        pairs = pairs.with_columns(pl.col("stage").cast(ordered_enum(stages)))
        return pairs.sort("stage", "_order").select("stage", "item", "dimension", "element")
