"""Shared fixtures: a small seeded demo database, built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gapmodel.demo import build_demo
from gapmodel.store import Store

DEMO_RESPONDENTS = 300
DEMO_WAVES = 3


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database (3 waves x 300 respondents). Read-only use: copy it to write."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, n_respondents=DEMO_RESPONDENTS, n_waves=DEMO_WAVES)
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the demo database."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def store(tmp_path: Path):
    """An empty, writable store."""
    with Store.open(tmp_path / "empty.duckdb") as opened:
        yield opened
