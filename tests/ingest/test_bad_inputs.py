"""The bad-input corpus: every malformed file is refused with a report naming the problem,
and the database content is unchanged afterwards (same row counts and checksums)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_inputs.make_corpus import ACCEPTED, HERE, REFUSED, build

from gapmodel.cli import main
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store


def test_corpus_is_large_and_reproducible():
    assert len(REFUSED) >= 30
    files = build()
    for name, data in files.items():
        stored = (HERE / name).read_bytes()
        if name.endswith(".xlsx"):  # workbooks carry a creation time; compare sizes only
            assert abs(len(stored) - len(data)) < 64, name
        else:
            assert stored == data, f"{name} differs: run make_corpus.py"


@pytest.fixture(scope="module")
def corpus_db(demo_db, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.duckdb"
    path.write_bytes(demo_db.read_bytes())
    return path


@pytest.mark.parametrize(("name", "rule"), sorted(REFUSED.items()))
def test_refused_file_names_the_problem_and_changes_nothing(corpus_db, capsys, name, rule):
    with Store.open(corpus_db, read_only=True) as store:
        before = store.checksums()
    report_path = corpus_db.parent / f"{name}.report.csv"
    code = main(
        [
            "ingest",
            str(HERE / name),
            "--wave",
            "bad",
            "--db",
            str(corpus_db),
            "--report",
            str(report_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"[{rule}]" in err or rule in report_path.read_text()
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: Nothing was written")
    with Store.open(corpus_db, read_only=True) as store:
        assert store.checksums() == before


@pytest.mark.parametrize(("name", "note"), sorted(ACCEPTED.items()))
def test_awkward_but_valid_file_is_accepted_with_a_note(name, note):
    wave, report = prepare_wave((HERE / name).read_bytes(), name, default_instrument(), "1-7")
    assert wave is not None, report.to_text()
    assert note in report.rule_counts()
    assert wave.respondents.height == 30
    assert report.n_pairs == 270
