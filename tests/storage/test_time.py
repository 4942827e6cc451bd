"""Times are stored in UTC, so the latest wave does not depend on the writer's time zone.

``ingested_at`` used to be ``current_timestamp`` as a TIMESTAMP: the writer's local time. A wave
ingested in Kiritimati (UTC+14) then stayed "later" for a day than one ingested afterwards in
Los Angeles (UTC-8). Schema version 5 makes every time column default to UTC and converts the
times stored so far from the migrating process's zone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from app_support import run
from cli_support import run_cli

from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave

EAST, WEST = "Pacific/Kiritimati", "America/Los_Angeles"  # UTC+14 and UTC-8
TIME_COLUMNS = {
    ("instruments", "created_at"),
    ("waves", "ingested_at"),
    ("audit", "changed_at"),
    ("mappings", "saved_at"),
}


def in_zone(zone: str) -> dict:
    return {**os.environ, "TZ": zone}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def close_to_now(value: datetime, within: timedelta = timedelta(minutes=1)) -> bool:
    return abs(value - utc_now()) < within


@pytest.fixture
def uploads(tmp_path) -> list[Path]:
    files = []
    for k in range(2):
        path = tmp_path / f"w{k}.csv"
        generate_wave(30, k, seed=40 + k).write_csv(path)
        files.append(path)
    return files


def test_the_latest_wave_is_the_last_ingested_whatever_the_writers_zone(tmp_path, uploads):
    db = str(tmp_path / "tz.duckdb")
    first = run_cli("ingest", str(uploads[0]), "--wave", "east", "--db", db, env=in_zone(EAST))
    assert first.returncode == 0, first.stderr
    second = run_cli("ingest", str(uploads[1]), "--wave", "west", "--db", db, env=in_zone(WEST))
    assert second.returncode == 0, second.stderr
    for zone in (EAST, WEST, "UTC"):
        shown = run_cli("gaps", "--db", db, "--format", "csv", env=in_zone(zone))
        assert shown.returncode == 0, shown.stderr
        assert shown.stderr.startswith("Wave west (the latest of 2"), (zone, shown.stderr)
    with Store.open(db, read_only=True) as store:
        waves = store.waves()
        assert waves["label"].to_list() == ["east", "west"]
        times = waves["ingested_at"].to_list()
        assert times[0] <= times[1]
        assert all(close_to_now(t) for t in times), times
        audit = store.audit()["changed_at"].to_list()
        assert len(audit) == 2 and all(close_to_now(t) for t in audit), audit


@pytest.mark.parametrize("zone", [EAST, WEST, "UTC"])
def test_every_time_column_is_utc_now_in_any_zone(tmp_path, uploads, zone):
    db = tmp_path / "z.duckdb"
    made = run_cli("ingest", str(uploads[0]), "--wave", "W", "--db", str(db), env=in_zone(zone))
    assert made.returncode == 0, made.stderr
    script = textwrap.dedent(
        f"""
        from gapmodel.storage.store import Store
        with Store.open({str(db)!r}) as store:
            store.save_mapping("m", ["a"], "column,role\\na,id\\n", "ana")
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=PROJECT_ROOT, env=in_zone(zone))
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, column in TIME_COLUMNS:
            (value,) = con.sql(f"SELECT max({column}) FROM {table}").fetchall()[0]  # noqa: S608
            assert close_to_now(value), (zone, table, value)
    finally:
        con.close()


def test_every_time_column_defaults_to_utc(store):
    defaults = dict(
        ((t, c), d)
        for t, c, d in store.cursor()
        .sql(
            """SELECT table_name, column_name, column_default FROM information_schema.columns
               WHERE data_type = 'TIMESTAMP'"""
        )
        .fetchall()
    )
    assert set(defaults) == TIME_COLUMNS
    assert all(d == "timezone('UTC', current_timestamp)" for d in defaults.values()), defaults


_V4_FILE = """
import sys
from pathlib import Path
from gapmodel.storage import schema
from gapmodel.storage.connection import connect
con = connect(Path(sys.argv[1]), read_only=False)
cur = con.cursor()
cur.begin()
schema.create_schema(cur, 4)
cur.sql("INSERT INTO instruments (instrument_id, name, sha256) VALUES (1, 'q', 'x')")
cur.sql('''INSERT INTO waves (wave_id, label, scale_min, scale_max, instrument_id, source_name,
           sha256, source_format, n_respondents, n_responses)
           VALUES (1, 'old', 1, 7, 1, 'old.csv', 'y', 'wide csv', 0, 0)''')
cur.sql('''INSERT INTO audit (audit_id, action, wave) VALUES (1, 'ingest', 'old')''')
cur.sql('''INSERT INTO mappings (name, headers, mapping) VALUES ('m', ['a'], 'column,role')''')
cur.commit()
print(cur.sql("SELECT CAST(ingested_at AS VARCHAR) FROM waves").fetchall()[0][0])
con.close()
"""


@pytest.mark.parametrize("zone", [EAST, WEST])
def test_migration_converts_local_times_to_utc_in_the_migrating_process_zone(tmp_path, zone):
    """A version 4 file written in ``zone`` holds local times; migrated in the same zone they
    become UTC now (the migration takes stored times as the migrating process's local time)."""
    db = tmp_path / "v4.duckdb"
    written = subprocess.run(
        [sys.executable, "-c", _V4_FILE, str(db)],
        check=True,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=in_zone(zone),
    )
    local = datetime.fromisoformat(written.stdout.strip())
    offset = round((local - utc_now()) / timedelta(hours=1))
    assert offset == (14 if zone == EAST else -8)  # the old schema stored local time
    migrated = run_cli("migrate", "--db", str(db), env=in_zone(zone))
    assert migrated.returncode == 0, migrated.stderr
    assert "from schema version 4 to 5" in migrated.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, column in TIME_COLUMNS:
            (value,) = con.sql(f"SELECT {column} FROM {table}").fetchall()[0]  # noqa: S608
            assert close_to_now(value), (table, value)
            assert abs((local - value) / timedelta(hours=1) - offset) < 0.1
    finally:
        con.close()


def test_the_data_page_says_the_times_are_utc(demo_copy, monkeypatch):
    monkeypatch.setenv("GAPMODEL_DB", str(demo_copy))
    at = run("ui/pages/data.py")
    assert not at.exception
    table = next(d for d in at.dataframe if "ingested_at" in d.value.columns)
    config = json.loads(table.proto.columns)
    assert config["ingested_at"]["label"] == "Ingested (UTC)"
