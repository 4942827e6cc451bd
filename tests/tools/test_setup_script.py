"""scripts/setup.sh installs the requirements only when they changed since the last install."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Stands in for the virtual environment's python: logs each pip call instead of installing.
_FAKE_PYTHON = """#!/bin/sh
if [ "$1" = "--version" ]; then echo "Python 3.11.9"; exit 0; fi
echo "$@" >> "$(dirname "$0")/../pip-calls"
[ -f "$(dirname "$0")/../pip-fails" ] && exit 1
exit 0
"""


def _checkout(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    (tmp_path / "requirements.txt").write_text("polars==1.0\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\npytest==9.0\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(_FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def _setup(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(folder / "scripts" / "setup.sh"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": "python3"},
        check=False,
    )


def _calls(folder: Path) -> list[str]:
    log = folder / ".venv" / "pip-calls"
    return log.read_text().splitlines() if log.exists() else []


def test_a_second_start_skips_the_install_until_the_requirements_change(tmp_path):
    folder = _checkout(tmp_path)
    assert _setup(folder).returncode == 0
    assert _setup(folder).returncode == 0
    assert len(_calls(folder)) == 1 and _calls(folder)[0].endswith("-r requirements.txt")
    (folder / "requirements.txt").write_text("polars==1.1\n")
    assert _setup(folder).returncode == 0
    assert len(_calls(folder)) == 2


def test_the_dev_requirements_have_their_own_stamp(tmp_path):
    folder = _checkout(tmp_path)
    _setup(folder)
    _setup(folder, "dev")
    _setup(folder, "dev")
    assert [c.split()[-1] for c in _calls(folder)] == ["requirements.txt", "requirements-dev.txt"]
    # requirements-dev.txt includes requirements.txt: a runtime change reinstalls both.
    (folder / "requirements.txt").write_text("polars==1.1\n")
    _setup(folder, "dev")
    assert len(_calls(folder)) == 3


def test_a_failed_install_is_tried_again(tmp_path):
    folder = _checkout(tmp_path)
    (folder / ".venv" / "pip-fails").touch()
    assert _setup(folder).returncode != 0
    (folder / ".venv" / "pip-fails").unlink()
    assert _setup(folder).returncode == 0
    assert _setup(folder).returncode == 0
    assert len(_calls(folder)) == 2
