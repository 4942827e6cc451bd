"""Real survey-tool exports in, without code: ``map`` proposes a mapping, ``ingest --mapping``
stores the wave (with no edits, or the edits an analyst makes to the CSV), and the gap tables
equal a plain scipy loop over the answers the file was built from. Personal data stays out of
the database unless it is mapped, and the next wave goes in with the same mapping."""

from __future__ import annotations

import csv
import io
import shlex
from pathlib import Path

import exports_support as ex
import polars as pl
import pytest
from reference_support import STATISTICS, close, loop_table

from gapmodel.cli import main
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.storage.store import Store


def _choice_text(**kwargs) -> ex.Export:
    return ex.qualtrics(choice_text=True, **kwargs)


def _fill_labels(rows: list[dict]) -> None:
    """What an analyst does to the proposal of a choice-text export: the score of each answer."""
    for row in rows:
        if row["role"] == "label":
            row["name"] = str(ex.QUALTRICS_LABELS[row["column"]])


def _map_email(rows: list[dict]) -> None:
    """An analyst who keeps the e-mail address on purpose."""
    for row in rows:
        if row["column"] == "RecipientEmail":
            row["role"], row["name"] = "attribute", "E-mail"


# name -> (builder, instrument file or None, the analyst's edits or None)
CASES = {
    "qualtrics": (ex.qualtrics, None, None),
    "qualtrics_choice_text": (_choice_text, None, _fill_labels),
    "qualtrics_legacy": (ex.qualtrics_legacy, None, None),
    "surveymonkey": (ex.surveymonkey, None, None),
    "limesurvey": (ex.limesurvey, None, None),
    "google_forms": (ex.google_forms, None, None),
    "google_forms_korean_cp949": (ex.google_forms_korean, ex.korean_instrument_csv, None),
    "shift_jis": (ex.japanese_sjis, ex.japanese_instrument_csv, None),
    "spss_sav": (ex.spss_sav, None, None),
    "excel_title_block_and_cover_sheet": (ex.excel_title_block, None, None),
}


def _edit(mapping: Path, change) -> None:
    text = mapping.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    mapping.write_text(out.getvalue(), encoding="utf-8")


def _write(tmp_path: Path, export: ex.Export) -> Path:
    path = tmp_path / export.filename
    path.write_bytes(export.data)
    return path


def _gaps(db: Path, by: str, capsys, wave: str) -> pl.DataFrame:
    capsys.readouterr()
    assert main(["gaps", "--db", str(db), "--by", by, "--wave", wave, "--format", "csv"]) == 0
    return pl.read_csv(io.StringIO(capsys.readouterr().out))


def _reference(export: ex.Export, wave: str) -> pl.DataFrame:
    return export.truth.with_columns(pl.lit(wave).alias("wave"))


def _assert_equal(table: pl.DataFrame, reference: dict, keys: list[str], item_of=None) -> None:
    assert table.height == len(reference)
    for row in table.iter_rows(named=True):
        key = tuple(str(item_of(row[k]) if k == "item" and item_of else row[k]) for k in keys)
        expected = reference[key]
        for column in STATISTICS:
            assert close(row[column], expected[column]), (key, column)


def _ingest(tmp_path, name, wave, capsys, extra_edit=None):
    builder, instrument, edit = CASES[name]
    export = builder(wave=wave)
    path = _write(tmp_path, export)
    db, mapping = tmp_path / "survey.duckdb", tmp_path / "mapping.csv"
    options = []
    if instrument is not None:
        (tmp_path / "instrument.csv").write_bytes(instrument())
        options = ["--instrument", str(tmp_path / "instrument.csv")]
    if wave == 1:
        assert main(["map", str(path), "--out", str(mapping), "--db", str(db), *options]) == 0
        for change in (edit, extra_edit):
            if change is not None:
                _edit(mapping, change)
    capsys.readouterr()
    label = f"w{wave}"
    code = main(
        ["ingest", str(path), "--mapping", str(mapping), "--wave", label, "--db", str(db)] + options
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return export, db, captured


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_export_gets_in_through_map_and_ingest_and_its_gaps_equal_scipy(name, tmp_path, capsys):
    export, db, _ = _ingest(tmp_path, name, 1, capsys)
    reference = loop_table(_reference(export, "w1"), ["stage", "item"])
    _assert_equal(_gaps(db, "stage,item", capsys, "w1"), reference, ["stage", "item"])
    overall = loop_table(_reference(export, "w1").with_columns(all=pl.lit("x")), ["all"])
    table = _gaps(db, "wave", capsys, "w1")
    for column in STATISTICS:
        assert close(table[column][0], overall[("x",)][column]), column


@pytest.mark.parametrize("name", sorted(CASES))
def test_attributes_arrive_by_their_names_and_personal_data_stays_out(name, tmp_path, capsys):
    export, db, _ = _ingest(tmp_path, name, 1, capsys)
    with Store.open(db, read_only=True) as store:
        people = store.respondents(["w1"]).sort("respondent")
        with store.snapshot() as snap:
            stored = snap.cursor().sql("SELECT attribute, value FROM respondent_attributes").pl()
    truth = export.attributes.sort("respondent")
    assert sorted(people.columns[3:]) == sorted(truth.columns[1:])
    for column in truth.columns[1:]:
        assert people[column].to_list() == truth[column].to_list(), column
    if export.ids is not None:
        assert people["respondent_id"].to_list() == export.ids
    else:  # numbered by their rows, below the one header row
        assert people["respondent_id"].to_list() == [f"row {k + 2}" for k in range(people.height)]
    for column in export.personal:
        assert column not in set(stored["attribute"])
    values = set(stored["value"].to_list())
    assert not any("@" in v for v in values)  # e-mail addresses
    assert not any(v.count(".") == 3 and v.replace(".", "").isdigit() for v in values)  # IPs


def test_a_personal_column_the_analyst_maps_is_stored_with_a_warning(tmp_path, capsys):
    export, db, captured = _ingest(tmp_path, "qualtrics", 1, capsys, _map_email)
    assert "looks like personal data (e-mail addresses)" in captured.err
    with Store.open(db, read_only=True) as store:
        assert store.attribute_values("E-mail")[0].endswith("@example.com")


@pytest.mark.parametrize(
    "name", ["qualtrics", "surveymonkey", "google_forms_korean_cp949", "spss_sav"]
)
def test_the_next_wave_goes_in_with_the_same_mapping(name, tmp_path, capsys):
    _ingest(tmp_path, name, 1, capsys)
    export, db, captured = _ingest(tmp_path, name, 2, capsys)
    assert "Saved the mapping as 'mapping'" in captured.out
    reference = loop_table(_reference(export, "w2"), ["stage", "item"])
    _assert_equal(_gaps(db, "stage,item", capsys, "w2"), reference, ["stage", "item"])
    with Store.open(db, read_only=True) as store:
        assert store.wave_labels() == ["w1", "w2"]
        assert store.mappings()["name"].to_list() == ["mapping"]


def test_a_file_no_questionnaire_fits_gets_a_draft_questionnaire(tmp_path, capsys):
    """The Korean export with the default (English) questionnaire: no wording fits, so the
    mapping drafts one, item per question, and the wave is stored with it."""
    export = ex.google_forms_korean()
    path = _write(tmp_path, export)
    db, mapping = tmp_path / "survey.duckdb", tmp_path / "mapping.csv"
    assert main(["map", str(path), "--out", str(mapping), "--db", str(db)]) == 0
    proposal = pl.read_csv(mapping, infer_schema=False).filter(pl.col("role") == "score")
    assert proposal.height == 10 and proposal["wording"].n_unique() == 5
    assert (
        main(["ingest", str(path), "--mapping", str(mapping), "--wave", "w1", "--db", str(db)]) == 0
    )
    assert "drafted from the mapping: 5 items" in capsys.readouterr().err
    with Store.open(db, read_only=True) as store:
        drafted = store.instrument()
    korean = dict(
        pl.read_csv(io.BytesIO(ex.korean_instrument_csv())).select("wording", "code").iter_rows()
    )
    code_of = {c: korean[w] for c, w in drafted.items.select("code", "wording").iter_rows()}
    reference = loop_table(_reference(export, "w1"), ["item"])
    _assert_equal(_gaps(db, "item", capsys, "w1"), reference, ["item"], item_of=code_of.get)


def test_the_readme_commands_for_a_survey_tool_export_run_as_written(tmp_path, capsys):
    readme = (PROJECT_ROOT / "README.md").read_text()
    block = readme.split("### Survey-tool exports")[1].split("```bash\n")[1].split("```")[0]
    prefix = ".venv/bin/python -m gapmodel "
    lines = [shlex.split(line[len(prefix) :].split("   #")[0]) for line in block.splitlines()]
    assert [line[0] for line in lines] == ["map", "validate", "ingest", "ingest"]
    files = {
        "export.csv": _write(tmp_path, ex.qualtrics()),
        "next-export.csv": tmp_path / "next.csv",
        "mapping.csv": tmp_path / "mapping.csv",
    }
    files["next-export.csv"].write_bytes(ex.qualtrics(wave=2).data)
    db = tmp_path / "readme.duckdb"
    for line in lines:
        args = [str(files.get(a, a)) for a in line if not a.startswith("[") and not a.endswith("]")]
        assert main([*args, "--db", str(db)]) == 0, (line, capsys.readouterr().err)
    with Store.open(db, read_only=True) as store:
        assert store.wave_labels() == ["2026-10", "2027-01"]
