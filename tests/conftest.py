"""Shared fixtures: a small seeded demo database, built once per test session."""

from __future__ import annotations

import collections
import hashlib
import json
import shutil
import time
from pathlib import Path

import pytest

from gapmodel.storage.store import Store
from gapmodel.tools.demo import build_demo

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


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose labels, segments and items are hostile text (formulas, markup, bidi
    controls): read-only use."""
    from export_support import build_hostile_db

    return build_hostile_db(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


@pytest.fixture
def store(tmp_path: Path):
    """An empty, writable store."""
    with Store.open(tmp_path / "empty.duckdb") as opened:
        yield opened


# -- measurements reported at the end of the run (cases fuzzed, operations run, ...) ----------
_MEASURES = "gapmodel-measures"
_STARTED = pytest.StashKey[float]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STARTED] = time.time()


@pytest.fixture
def measure(request: pytest.FixtureRequest):
    """Record a number or sentence, printed in the run's summary (also under pytest-xdist)."""

    def record(name: str, value: object) -> None:
        request.node.user_properties.append((name, value))
        cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
        if cache is not None:
            (cache.mkdir(_MEASURES) / f"{name}.json").write_text(json.dumps(value))

    return record


@pytest.fixture
def tally(request: pytest.FixtureRequest):
    """Count a case's outcome under a name; the summary prints each name's cases by outcome."""

    def record(name: str, outcome: str) -> None:
        cache = getattr(request.config, "cache", None)
        if cache is not None:
            folder = cache.mkdir(f"{_MEASURES}-tally") / name
            folder.mkdir(exist_ok=True)
            case = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
            (folder / f"{case}.json").write_text(json.dumps(outcome))

    return record


def _tallies(config: pytest.Config, started: float) -> list[str]:
    lines = []
    for folder in sorted(config.cache.mkdir(f"{_MEASURES}-tally").iterdir()):
        outcomes = collections.Counter(
            json.loads(f.read_text())
            for f in folder.glob("*.json")
            if f.stat().st_mtime >= started - 1
        )
        if outcomes:
            counts = ", ".join(f"{outcome} {n}" for outcome, n in sorted(outcomes.items()))
            lines.append(f"{folder.name}: {sum(outcomes.values())} cases ({counts})")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if getattr(config, "cache", None) is None:
        return
    started = config.stash.get(_STARTED, 0.0)
    files = [
        f
        for f in sorted(config.cache.mkdir(_MEASURES).glob("*.json"))
        if f.stat().st_mtime >= started - 1  # written by this run
    ]
    lines = [f"{file.stem}: {json.loads(file.read_text())}" for file in files]
    lines += _tallies(config, started)
    if lines:
        terminalreporter.section("gapmodel measurements")
        for line in lines:
            terminalreporter.write_line(line)
