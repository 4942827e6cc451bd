"""Saved column mappings: each by its name, with the file headers it was made for, so that the
next upload of the same survey is offered the mapping that fits it."""

from __future__ import annotations

import polars as pl

from gapmodel.storage.base import StoreBase
from gapmodel.storage.names import check_user, unsafe_character

MAX_MAPPING_NAME = 100
MAX_MAPPING_TEXT = 4_000_000


def mapping_name(text: str) -> str:
    """A name a mapping can be saved under, made from any text (a file name): control and bidi
    characters left out, at most 100 characters, ``mapping`` when nothing is left."""
    kept = "".join(ch for ch in str(text) if unsafe_character(ch) is None)
    return " ".join(kept.split())[:MAX_MAPPING_NAME].strip() or "mapping"


class StoreMappings(StoreBase):
    """The mappings part of :class:`gapmodel.storage.store.Store`."""

    def save_mapping(
        self, name: str, headers: list[str], text: str, user: str | None = None
    ) -> str:
        """Save (or replace) the mapping ``name`` (as :func:`mapping_name` cleans it): its CSV
        ``text`` and the ``headers`` of the file it was made for. Returns the name as stored.

        Raises
        ------
        ValueError
            For a mapping larger than 4 MB, or a user name the audit trail refuses.
        """
        self._require_writable()
        name, user = mapping_name(name), check_user(user)
        if len(text) > MAX_MAPPING_TEXT:
            raise ValueError("The mapping is larger than 4 MB.")
        with self._write_lock:
            cur = self.cursor()
            with self._transaction(cur):
                cur.sql("DELETE FROM mappings WHERE name = ?", params=[name])
                cur.sql(
                    "INSERT INTO mappings (name, headers, mapping, saved_by) VALUES (?, ?, ?, ?)",
                    params=[name, list(headers), text, user],
                )
        return name

    def mappings(self) -> pl.DataFrame:
        """Every saved mapping: ``name, headers, mapping, saved_at, saved_by``, newest first."""
        with self._reading() as cur:
            return cur.sql(
                "SELECT name, headers, mapping, saved_at, saved_by FROM mappings "
                "ORDER BY saved_at DESC, name"
            ).pl()

    def fitting_mapping(self, headers: list[str]) -> tuple[str, str] | None:
        """The saved mapping made for a file with exactly these headers (the newest, if several),
        as (name, CSV text), or None."""
        with self._reading() as cur:
            rows = cur.sql(
                "SELECT name, mapping FROM mappings WHERE headers = ? "
                "ORDER BY saved_at DESC, name LIMIT 1",
                params=[list(headers)],
            ).fetchall()
        return (rows[0][0], rows[0][1]) if rows else None
