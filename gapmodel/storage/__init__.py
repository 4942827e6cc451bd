"""DuckDB: the frozen schema and its migrations, the locked-down connection, reads, writes and
backups. The only layer that talks to DuckDB."""
