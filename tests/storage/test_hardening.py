"""Hardening: DuckDB is locked down, every value is a bound parameter, errors stay private.

Through the store's own cursors (writable, read-only and in a snapshot) DuckDB cannot read or
write files, attach databases, load extensions or change its configuration. Hostile and
unusual text used as a wave label, in an uploaded file (segment, channel, region, respondent
id, extra attribute) and as a filter is stored and returned as the very same text, and the
rest of the data stays intact.
"""

from __future__ import annotations

import io
import tomllib
import unicodedata

import duckdb
import polars as pl
import pytest

from gapmodel.cli import main
from gapmodel.core.instrument import default_instrument
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.core.text import normal_text
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.schema import ALL_TABLES
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave

INSTRUMENT = default_instrument()

REFUSED = [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM read_json('/etc/passwd')",
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM sniff_csv('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM read_csv('https://example.com/data.csv')",
    "SELECT getenv('HOME')",
    "COPY respondents TO '{tmp}/leak.csv'",
    "COPY (SELECT * FROM waves) TO '{tmp}/leak.parquet' (FORMAT parquet)",
    "COPY respondents FROM '/etc/passwd'",
    "EXPORT DATABASE '{tmp}/dump'",
    "IMPORT DATABASE '{tmp}'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "LOAD '{tmp}/evil.duckdb_extension'",
    "CREATE SECRET leak (TYPE s3, KEY_ID 'k', SECRET 's')",
    "SET enable_external_access = true",
    "SET GLOBAL enable_external_access = true",
    "RESET enable_external_access",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET allow_community_extensions = true",
    "SET autoinstall_known_extensions = true",
    "SET autoload_known_extensions = true",
    "SET temp_directory = '{tmp}/spill'",
]

# Injection attempts and awkward text: quotes, comments, wildcards, placeholders, markup,
# non-Latin scripts, emoji (with joiners), combining marks, look-alike keywords.
HOSTILE = [
    "'; DROP TABLE responses; --",
    "Robert'); DELETE FROM waves;--",
    "x' OR '1'='1",
    '" OR ""="',
    "\\'; SELECT 1; --",
    "1; DROP TABLE waves",
    "') UNION SELECT label FROM waves --",
    "%",
    "_",
    "*",
    "?",
    "$1",
    ":label",
    "{label}",
    "NULL",
    'O\'Brien & "Sons" <b>bold</b>',
    "<script>alert(1)</script>",
    "Zoë «café» — 東京 🚀",
    "👩\u200d👩\u200d👧 family",
    "e\u0301 (combining)",
    "مرحبا",
    "—".join(["a"] * 20),
]


@pytest.fixture
def locked(tmp_path):
    with Store.open(tmp_path / "locked.duckdb") as store:
        store.ingest_wave(_prepared(12, 1), "control")
        yield store


def _prepared(n: int, seed: int, frame: pl.DataFrame | None = None):
    frame = generate_wave(n, 0, seed=seed) if frame is None else frame
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    wave, report = prepare_wave(buffer.getvalue(), f"w{seed}.csv", INSTRUMENT, "1-7")
    assert wave is not None, report.to_text()
    return wave


def _execute(cur: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run a statement to the end (a SELECT is lazy until its rows are fetched)."""
    relation = cur.sql(statement)
    if relation is not None:
        relation.fetchall()


@pytest.mark.parametrize("cursor", ["writable", "read-only", "snapshot"])
def test_duckdb_refuses_files_extensions_and_settings(locked, tmp_path, cursor):
    if cursor == "read-only":
        path = locked.path
        locked.close()
        store = Store.open(path, read_only=True)
    else:
        store = locked
    before = sorted(p.name for p in tmp_path.iterdir())
    allowed = []
    try:
        for statement in REFUSED:
            statement = statement.format(tmp=tmp_path)
            try:
                if cursor == "snapshot":
                    with store.snapshot() as snap:
                        _execute(snap.cursor(), statement)
                else:
                    _execute(store.cursor(), statement)
            except duckdb.Error:
                continue
            allowed.append(statement)
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing was written
        assert store.wave_labels() == ["control"]  # and the store still works
    finally:
        if cursor == "read-only":
            store.close()
    assert not allowed, f"DuckDB ran: {allowed}"


def test_the_settings_are_really_off(locked):
    rows = locked.cursor().sql(
        """SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access',
           'lock_configuration', 'autoload_known_extensions', 'autoinstall_known_extensions',
           'allow_community_extensions') ORDER BY name"""
    )
    assert dict(rows.fetchall()) == {
        "allow_community_extensions": "false",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "enable_external_access": "false",
        "lock_configuration": "true",
    }


def _intact(store: Store, control_sums: dict) -> None:
    """Every table is still there and the control wave is untouched."""
    assert set(store.checksums()) == set(ALL_TABLES)
    assert "control" in store.wave_labels()
    assert store.respondents(["control"]).height == 12
    assert _wave_sums(store, "control") == control_sums


def _wave_sums(store: Store, label: str) -> tuple:
    responses = store.responses([label]).drop("wave")
    people = store.respondents([label]).drop("wave")
    return (responses.hash_rows().sum(), people.hash_rows().sum(), responses.height)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_as_a_wave_label_is_stored_in_its_normal_form(locked, text):
    """Stored as typed but in its normal form (NFC: the combining accent composed); the label as
    typed still names the wave for a delete."""
    control = _wave_sums(locked, "control")
    wave = _prepared(15, 2)
    locked.ingest_wave(wave, text, user=text)
    label = normal_text(text)
    assert (label == text) == (text != "e\u0301 (combining)")
    assert label in locked.wave_labels()
    row = locked.waves().filter(pl.col("label") == label).row(0, named=True)
    assert row["ingested_by"] == text
    assert locked.responses([label]).height == wave.responses.height == row["n_responses"]
    assert set(locked.responses([label])["wave"]) == {label}
    assert locked.respondents([label]).height == 15
    assert locked.items(text).height == INSTRUMENT.items.height
    scores = locked.scores([text, "control"], INSTRUMENT.pairs().select("stage", "item").rows())
    assert scores["wave"].cast(pl.String).unique().sort().to_list() == sorted([text, "control"])
    assert locked.audit().filter(pl.col("wave") == label)["username"].to_list() == [text]
    assert locked.responses([label + "x"]).is_empty()
    _intact(locked, control)
    locked.delete_wave(text, user=text)
    assert label not in locked.wave_labels()
    _intact(locked, control)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_an_uploaded_file_and_as_a_filter(locked, text, measure):
    control = _wave_sums(locked, "control")
    frame = generate_wave(10, 0, seed=3)
    first = pl.int_range(pl.len()) == 0
    frame = frame.with_columns(
        pl.when(first).then(pl.lit(text)).otherwise(pl.col(c)).alias(c)
        for c in ("segment", "channel", "region")
    ).with_columns(
        pl.when(first).then(pl.lit("id " + text)).otherwise("respondent_id").alias("respondent_id"),
        pl.lit(text).alias(f"note {text}"),  # an extra attribute named and valued with it
    )
    wave = _prepared(10, 3, frame)
    locked.ingest_wave(wave, "upload")
    person = locked.respondents(["upload"]).row(0, named=True)
    text = normal_text(text)  # values are stored in their normal form (NFC), as names are
    assert (person["segment"], person["channel"], person["region"]) == (text, text, text)
    assert person["respondent_id"] == "id " + text
    assert person[f"note {text}"] == text
    for attribute in ("segment", "channel", "region"):
        picked = locked.responses(where={attribute: text})
        assert picked.height > 0
        assert set(picked[attribute]) == {text} and set(picked["respondent"]) == {1}
        assert text in locked.attribute_values(attribute)
        both = locked.responses(["upload"], where={attribute: [text, "no such value"]})
        assert both.equals(picked)
    assert locked.allocations(where={"segment": text})["respondent"].unique().to_list() == [1]
    _intact(locked, control)
    measure("injection-strings", f"{len(HOSTILE)} strings x (label, 5 upload fields, filters)")


@pytest.mark.parametrize("name", ["*", "^.*$", "^segment$", "row"])
def test_column_names_that_polars_reads_as_patterns_are_refused(locked, name):
    """``pl.col("*")`` means every column and ``pl.col("^...$")`` a regex: a column with such a
    name used to make validation raise (or read other columns) instead of reporting."""
    frame = generate_wave(5, 0, seed=8).with_columns(pl.lit("x").alias(name))
    data = frame.write_csv().encode()
    wave, report = prepare_wave(data, "patterns.csv", INSTRUMENT, "1-7")
    assert wave is None
    assert report.rule_counts() == {"reserved_column": 1}
    assert "Rename or remove that column" in report.problems[0].message


def test_control_characters_in_labels_are_refused_not_stored(locked):
    before = locked.checksums()
    for text in ("tab\there", "line\nbreak", "nul\x00byte", "bidi\u202eflip", "\x1b[31mred"):
        with pytest.raises(ValueError, match="control character"):
            locked.ingest_wave(_prepared(5, 4), text)
        assert any(unicodedata.category(c) in ("Cc", "Cf") for c in text)
    assert locked.checksums() == before


def test_filter_keys_are_whitelisted(locked):
    for key in ("segment; DROP TABLE waves", "p.segment", "1=1 OR segment", "extra"):
        with pytest.raises(ValueError, match="Unknown respondent attribute"):
            locked.responses(where={key: "x"})
        with pytest.raises(ValueError, match="Unknown respondent attribute"):
            locked.attribute_values(key)
    with pytest.raises(ValueError, match="Unknown stage"):
        locked.responses(stages=["encounter' OR '1'='1"])
    assert locked.scores(["control"], [("encounter", "courtesy' OR '1'='1")]).is_empty()


def test_the_cli_takes_hostile_labels_and_filters_as_text(tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    upload = tmp_path / "w.csv"
    generate_wave(40, 0, seed=6).write_csv(upload)
    label = "'; DROP TABLE responses; --"
    assert main(["ingest", str(upload), "--wave", label, "--db", db]) == 0
    assert main(["waves", "--db", db]) == 0
    assert capsys.readouterr().out.count(label) == 2  # the ingest line and the list
    assert main(["gaps", "--by", "stage", "--wave", label, "--format", "csv", "--db", db]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4  # header and three stages
    code = main(["gaps", "--wave", label, "--where", f"segment={label}", "--db", db])
    assert code == 2
    assert f'the attribute segment has no value "{label}"' in capsys.readouterr().err
    assert main(["delete", label, "--db", db]) == 0
    with Store.open(db, read_only=True) as store:
        assert set(store.checksums()) == set(ALL_TABLES)


def test_the_shipped_config_hides_error_details_and_listens_locally():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["server"]["address"] == "127.0.0.1"
    assert config["browser"]["gatherUsageStats"] is False
