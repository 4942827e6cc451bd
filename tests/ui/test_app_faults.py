"""The dashboard on a damaged database, a foreign write-ahead log, a read-only folder, a full
disk at first start or at a Data-page commit, and a malformed setting: one message (st.error),
no exception, the database unchanged, other sessions still served."""

from __future__ import annotations

import shutil

import pytest
from app_support import run
from faults_support import (
    BAD_SETTINGS,
    cut,
    digest,
    fill,
    read_only_folder,
    setting_message,
    small_disk,
    stale_wal,
)

from gapmodel.core.errors import DamagedDatabaseError, DatabaseFault
from gapmodel.storage import faults
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv
from ui.store import open_store
from ui.text import plain


@pytest.mark.parametrize(("variable", "value"), BAD_SETTINGS, ids=lambda x: str(x))
def test_a_malformed_setting_is_one_message(demo_db, monkeypatch, variable, value):
    monkeypatch.setenv("GAPMODEL_DB", str(demo_db))
    monkeypatch.setenv(variable, value)
    message = setting_message()
    assert variable in message and (value in message or "SUPPRESS_N" in message)
    at = run()
    assert not at.exception
    assert [e.value for e in at.error] == [plain(message)]


def test_a_damaged_database_is_one_message_and_stays_as_it_was(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "damaged.duckdb"
    shutil.copy(demo_db, path)
    cut(path, 3 * 4096 + 1)
    before = digest(path)
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    at = run()
    assert not at.exception
    with pytest.raises(DamagedDatabaseError) as caught:
        Store.open(path.resolve())
    assert [e.value for e in at.error] == [plain(caught.value)]
    assert "python -m gapmodel restore" in str(caught.value)
    assert digest(path) == before


def test_a_stale_wal_is_one_message(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "gapmodel.duckdb"
    shutil.copy(demo_db, path)
    older = tmp_path / "older.duckdb"
    shutil.copy(demo_db, older)
    wal = stale_wal(older, path, "2026-Q2")
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    at = run()
    assert not at.exception
    assert len(at.error) == 1 and f"Move {plain(wal)} aside" in at.error[0].value
    assert digest(path) == digest(older) and wal.exists()


def test_first_start_in_a_read_only_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "gapmodel.duckdb"
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    with read_only_folder(folder):
        at = run()
        assert not at.exception
        message = (
            f"The database {path} cannot be written: {folder} is on a read-only file system, so "
            f"the database was not created. Make {folder} writable, or set GAPMODEL_DB (or --db) "
            "to a file in a writable folder."
        )
        assert [e.value for e in at.error] == [plain(message)]
    assert list(folder.iterdir()) == []


def test_first_start_on_a_full_disk_leaves_nothing(tmp_path, monkeypatch):
    with small_disk(tmp_path / "disk", 8) as disk:
        path = disk / "gapmodel.duckdb"
        monkeypatch.setenv("GAPMODEL_DB", str(path))
        filler = fill(disk, 1_000_000)
        at = run()
        assert not at.exception
        message = faults.disk_full(path, "the demo database was not created")
        assert [e.value for e in at.error] == [plain(message)]
        assert sorted(p.name for p in disk.iterdir()) == [filler.name]


def test_a_commit_onto_a_full_disk_is_refused_and_the_dashboard_goes_on(
    demo_db, tmp_path, monkeypatch
):
    with small_disk(tmp_path / "disk", 24) as disk:
        path = disk / "gapmodel.duckdb"
        shutil.copy(demo_db, path)
        monkeypatch.setenv("GAPMODEL_DB", str(path))
        at = run("ui/pages/data.py")
        data = wave_csv(generate_wave(400, 5, seed=99))
        at.get("file_uploader")[0].set_value(("wave.csv", data, "text/csv")).run()
        at.text_input(key="data_label_0").set_value("2026-Q4").run()
        held = open_store(str(path.resolve()))  # the dashboard's store: a second one cannot open

        def held_content():
            return held.wave_labels(), held.checksums()

        before = held_content()
        filler = fill(disk)
        at.button(key="data_commit").click().run()
        assert not at.exception
        message = faults.disk_full(path, "the wave was not stored")
        assert plain(message) in [e.value for e in at.error]
        other = run("ui/pages/overview.py")  # another session, the same cached store
        assert not other.exception and not other.error
        filler.unlink()
        assert held_content() == before
        at.button(key="data_commit").click().run()  # with space freed, the same commit works
        assert not at.exception and not at.error
        assert held_content()[0] == [*before[0], "2026-Q4"]


@pytest.mark.parametrize("kind", ["folder", "csv", "under a file"])
def test_gapmodel_db_that_cannot_be_a_database_is_one_message(tmp_path, monkeypatch, kind):
    csv = tmp_path / "wave.csv"
    csv.write_text("a,b\n1,2\n")
    path = {"folder": tmp_path, "csv": csv, "under a file": csv / "gapmodel.duckdb"}[kind]
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    at = run()
    assert not at.exception
    with pytest.raises(DatabaseFault) as caught:
        faults.prepare(path.resolve(), read_only=False)
    assert [e.value for e in at.error] == [plain(caught.value)]
    assert csv.read_text() == "a,b\n1,2\n" and sorted(tmp_path.iterdir()) == [csv]


def test_a_delete_on_a_full_disk_is_refused_and_the_wave_stays(demo_db, tmp_path, monkeypatch):
    with small_disk(tmp_path / "disk", 24) as disk:
        path = disk / "gapmodel.duckdb"
        shutil.copy(demo_db, path)
        monkeypatch.setenv("GAPMODEL_DB", str(path))
        at = run("ui/pages/data.py")
        held = open_store(str(path.resolve()))
        before = held.checksums()
        at.selectbox(key="data_delete_wave").set_value("2026-Q1").run()
        at.checkbox(key="data_delete_sure").check().run()
        filler = fill(disk)
        at.button(key="data_delete").click().run()
        assert not at.exception
        assert [e.value for e in at.error] == [
            plain(faults.disk_full(path, "the wave was not deleted"))
        ]
        filler.unlink()
        assert held.checksums() == before
        at.button(key="data_delete").click().run()
        assert not at.exception and held.wave_labels() == ["2026-Q2", "2026-Q3"]


def test_a_database_in_a_read_only_folder_is_shown_read_only(demo_db, tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "gapmodel.duckdb"
    shutil.copy(demo_db, path)
    before = digest(path)
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    reason = (
        f"The database {path} cannot be written: {folder} is on a read-only file system, so it "
        f"is open read-only: uploads and deletes are refused. Make {folder} writable, or set "
        "GAPMODEL_DB (or --db) to a file in a writable folder."
    )
    with read_only_folder(folder):
        at = run()
        assert not at.exception and not at.error
        assert plain(reason) in [w.value for w in at.sidebar.warning]
        assert any(m.label == "Overall gap" for m in at.metric)
        at.switch_page("ui/pages/data.py").run()
        at.selectbox(key="data_delete_wave").set_value("2026-Q1").run()
        at.checkbox(key="data_delete_sure").check().run()
        at.button(key="data_delete").click().run()
        assert not at.exception
        assert [e.value for e in at.error] == [plain(reason)]
    assert digest(path) == before
