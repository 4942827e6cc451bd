"""Whole tables in and out of the store, for backups: every table read in one transaction, and a
new database file created holding exactly some tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from gapmodel.core.errors import StoreError
from gapmodel.storage.base import StoreBase
from gapmodel.storage.connection import connect, remove_database
from gapmodel.storage.schema import (
    ALL_TABLES,
    SCHEMA_VERSION,
    base_tables,
    create_schema,
    load_table,
    migrate,
    table_checksums,
)


class StoreTables(StoreBase):
    """The backup half of :class:`gapmodel.storage.store.Store`."""

    def export_tables(self) -> dict[str, pl.DataFrame]:
        """Every table of the store, read in one transaction (for backups).

        Returns
        -------
        dict of str to pl.DataFrame
            Table name (``ALL_TABLES``) -> its rows; enum columns (stages) as text.
        """
        out = {}
        with self._reading() as cur:
            for table in ALL_TABLES:
                frame = cur.sql(f"SELECT * FROM {table}").pl()  # noqa: S608 - fixed names
                out[table] = frame.with_columns(
                    pl.col(pl.Categorical, pl.Enum).cast(pl.String),
                    *[
                        pl.col(name).cast(pl.List(pl.String))
                        for name, dtype in frame.schema.items()
                        if isinstance(dtype, pl.List) and dtype.inner in (pl.Categorical, pl.Enum)
                    ],
                )
        return out

    @classmethod
    def create_from_tables(
        cls,
        path: str | Path,
        tables: Mapping[str, pl.DataFrame],
        schema_version: int = SCHEMA_VERSION,
        expected: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        """Create a new database file holding exactly ``tables``, in one transaction.

        The schema of ``schema_version`` is created, every table filled, the content checked,
        then the file is migrated to ``SCHEMA_VERSION``: a restore from an older backup ends up
        like an older file opened by this version.

        Parameters
        ----------
        path : str or Path
            Where to create the database; nothing may exist there yet.
        tables : mapping of str to pl.DataFrame
            One frame per table of that schema version (as :meth:`export_tables` returns),
            columns named as in the table.
        schema_version : int
            The schema version the frames were taken from.
        expected : mapping, optional
            Table -> (row count, checksum) as :meth:`checksums` gave them; checked before the
            transaction commits.

        Raises
        ------
        StoreError
            A table or column that the schema does not have, a missing table, content that
            does not match ``expected``, or a file already at ``path``. Nothing is left at
            ``path`` then.
        """
        path = Path(path)
        if not 1 <= schema_version <= SCHEMA_VERSION:
            raise StoreError(
                f"Schema version {schema_version} cannot be restored by this gapmodel, which "
                f"knows versions 1 to {SCHEMA_VERSION}. Upgrade gapmodel."
            )
        if path.exists():
            raise StoreError(f"{path} already exists; restore into a new file.")
        con = None
        try:
            con = connect(path, read_only=False)  # may make the file before the disk runs full
            cur = con.cursor()
            cur.begin()
            create_schema(cur, schema_version)
            names = base_tables(cur)
            unknown = sorted(set(tables) - set(names))
            missing = sorted(set(names) - set(tables))
            if unknown or missing:
                raise StoreError(
                    f"The tables do not match schema version {schema_version}: "
                    f"unknown {unknown or 'none'}, missing {missing or 'none'}."
                )
            for table in names:  # identifiers from DuckDB's catalogue, values bound
                load_table(cur, table, tables[table])
            if expected is not None:
                found = table_checksums(cur, names)
                wrong = [t for t in names if tuple(expected.get(t, ())) != found[t]]
                if wrong:
                    raise StoreError(
                        f"The restored content of {', '.join(wrong)} does not match the "
                        "checksums recorded with it."
                    )
            migrate(cur, schema_version, SCHEMA_VERSION)
            cur.commit()
        except BaseException:
            if con is not None:
                con.close()
            remove_database(path)
            raise
        con.close()
