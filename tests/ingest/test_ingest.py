"""Reading and validating uploads: layouts, formats, encodings, naming conventions, limits."""

from __future__ import annotations

import io

import polars as pl
import pytest
from bad_inputs.make_corpus import base_long, base_wide, csv_text, xlsx_bytes

from gapmodel.core.instrument import default_instrument, load_instrument
from gapmodel.ingest.naming import ColumnNames
from gapmodel.ingest.prepare import parse_scale, prepare_wave

INSTRUMENT = default_instrument()


def prepare(data: bytes, name: str = "wave.csv", scale="1-7"):
    return prepare_wave(data, name, INSTRUMENT, scale)


def canonical(wave) -> pl.DataFrame:
    """Responses keyed by respondent id, comparable across files."""
    ids = wave.respondents.select("respondent", "respondent_id")
    return (
        wave.responses.join(ids, on="respondent")
        .select(
            "respondent_id", pl.col("stage").cast(pl.String), "item", "expectation", "perception"
        )
        .sort("respondent_id", "stage", "item")
    )


@pytest.fixture(scope="module")
def reference():
    wave, report = prepare(csv_text(base_wide()).encode())
    assert report.ok, report.to_text()
    return canonical(wave)


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("wide.xlsx", lambda: xlsx_bytes(base_wide())),
        ("wide.parquet", lambda: _parquet(base_wide())),
        ("long.csv", lambda: csv_text(base_long(base_wide())).encode()),
        ("long.xlsx", lambda: xlsx_bytes(base_long(base_wide()))),
        ("long.parquet", lambda: _parquet(base_long(base_wide()))),
        ("semicolon.csv", lambda: csv_text(base_wide(), ";").encode()),
        ("tab.tsv", lambda: csv_text(base_wide(), "\t").encode()),
        ("bom.csv", lambda: b"\xef\xbb\xbf" + csv_text(base_wide()).encode()),
        ("utf16.csv", lambda: csv_text(base_wide()).encode("utf-16")),
        ("utf16le-no-bom.csv", lambda: csv_text(base_wide()).encode("utf-16-le")),
        ("latin1.csv", lambda: csv_text(base_wide()).encode("latin-1")),
        ("no-extension", lambda: csv_text(base_wide()).encode()),
        ("crlf.csv", lambda: csv_text(base_wide()).replace("\n", "\r\n").encode()),
    ],
)
def test_every_format_and_layout_gives_the_same_responses(reference, name, make):
    wave, report = prepare(make(), name)
    assert report.ok, report.to_text()
    assert canonical(wave).equals(reference)


def test_decimal_commas_and_quoted_scores_are_read(reference):
    text = csv_text(base_wide().with_columns(pl.col("^.*\\.E$").cast(pl.String) + ",0"), ";")
    wave, report = prepare(text.encode())
    assert report.ok, report.to_text()
    assert canonical(wave).equals(reference)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("post_purchase.kept_informed.E", ("post_purchase", "kept_informed", "expectation")),
        (
            "Post-Purchase: kept_informed: Perceived",
            ("post_purchase", "kept_informed", "perception"),
        ),
        ("pre|courtesy|A", ("pre_purchase", "courtesy", "adequate")),
        ("encounter / courtesy / importance", ("encounter", "courtesy", "importance")),
        ("service_encounter__courtesy__exp", ("encounter", "courtesy", "expectation")),
        (
            "pre_purchase_first_contact_resolution_p",
            ("pre_purchase", "first_contact_resolution", "perception"),
        ),
        ("segment", None),
        ("points.empathy", None),
    ],
)
def test_wide_column_naming_convention(column, expected):
    parsed = ColumnNames(default_instrument()).score_column(column)
    assert (parsed and (parsed.stage, parsed.item, parsed.measure)) == expected


@pytest.mark.parametrize(
    ("text", "scale"), [("1-5", (1, 5)), ("0 to 10", (0, 10)), ("1..9", (1, 9))]
)
def test_scales(text, scale):
    assert parse_scale(text) == scale


@pytest.mark.parametrize("text", ["seven", "1-2", "2-7", "1-12", "-1-5", ""])
def test_bad_scales_say_what_is_allowed(text):
    with pytest.raises(ValueError, match="scale"):
        parse_scale(text)


def test_scale_is_checked_against_the_declared_range():
    data = csv_text(base_wide()).encode()
    _, report = prepare(data, scale="1-5")
    assert report.rule_counts().get("out_of_scale", 0) > 0
    first = report.errors[0]
    assert first.row is not None and first.column and first.value in {"6", "7"}


def test_attributes_extra_columns_points_and_optional_measures_are_kept():
    wide = base_wide().with_columns(
        pl.lit("Gold").alias("loyalty_tier"),
        pl.lit(40).alias("points.reliability"),
        pl.lit(60).alias("points.empathy"),
        pl.lit(4).alias("encounter.courtesy.A"),
        pl.lit(6).alias("encounter.courtesy.I"),
    )
    wave, report = prepare(csv_text(wide).encode())
    assert report.ok, report.to_text()
    assert wave.respondents["loyalty_tier"].to_list() == ["Gold"] * 30
    assert wave.attributes == ["segment", "channel", "region", "loyalty_tier"]
    assert set(wave.respondents["segment"]) == set(base_wide()["segment"])
    assert wave.allocations.height == 2 * 30
    courtesy = wave.responses.filter(
        (pl.col("stage") == "encounter") & (pl.col("item") == "courtesy")
    )
    assert courtesy["adequate"].to_list() == [4] * 30
    assert courtesy["importance"].to_list() == [6] * 30


def test_missing_scores_keep_the_pair_but_warn():
    wide = base_wide().with_columns(
        pl.when(pl.int_range(pl.len()) < 3)
        .then(None)
        .otherwise(pl.col("encounter.courtesy.P"))
        .alias("encounter.courtesy.P")
    )
    text = csv_text(wide).replace(",,", ",NA,", 1)
    wave, report = prepare(text.encode())
    assert wave is not None
    assert "incomplete_pairs" in report.rule_counts()
    assert report.n_pairs == 270 - 3


def test_subset_of_items_is_accepted(reference):
    wave, report = prepare(csv_text(base_wide().select(pl.exclude("^encounter\\..*$"))).encode())
    assert report.ok
    assert set(wave.responses["stage"]) == {"pre_purchase", "post_purchase"}


def test_blank_rows_are_skipped(reference):
    text = csv_text(base_wide())
    lines = text.splitlines()
    padded = "\n".join([*lines[:5], ",,,,", *lines[5:], "", ""]) + "\n"
    wave, report = prepare(padded.encode())
    assert report.ok, report.to_text()
    assert canonical(wave).equals(reference)


def test_upload_size_limit(monkeypatch):
    monkeypatch.setenv("GAPMODEL_MAX_UPLOAD_MB", "1")
    _, report = prepare(b"x" * (2 * 1024 * 1024))
    assert report.rule_counts() == {"file_too_large": 1}
    assert "GAPMODEL_MAX_UPLOAD_MB" in report.errors[0].message


def test_row_limit(monkeypatch):
    monkeypatch.setenv("GAPMODEL_MAX_ROWS", "10")
    _, report = prepare(csv_text(base_wide()).encode())
    assert "too_many_rows" in report.rule_counts()


def test_report_lists_every_problem_with_row_column_value_rule():
    wide = base_wide().with_columns(pl.col("encounter.courtesy.E").cast(pl.String))
    wide = wide.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("9"))
        .when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("lots"))
        .otherwise(pl.col("encounter.courtesy.E"))
        .alias("encounter.courtesy.E")
    )
    _, report = prepare(csv_text(wide).encode())
    frame = report.to_frame()
    assert {"severity", "rule", "row", "column", "value", "message"} <= set(frame.columns)
    rows = {(r["rule"], r["row"], r["value"]) for r in frame.iter_rows(named=True)}
    assert ("out_of_scale", 2, "9") in rows
    assert ("non_numeric", 3, "lots") in rows
    back = pl.read_csv(report.to_csv_bytes())
    assert back.height == frame.height


def test_ingest_benchmark_runs_and_prints_a_ratio(capsys):
    """The ingest benchmark runs end to end on a small wave and prints both times and a ratio."""
    from gapmodel.tools.ingest_bench import HEADER, run

    assert run([300]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == HEADER
    fields = lines[1].split()
    assert fields[0] == "300"
    assert fields[6].endswith("x") and float(fields[6][:-1]) > 0


def test_a_stage_the_questionnaire_lacks_is_refused_in_any_spelling():
    """``onboarding_courtesy_e`` looks like a score of a stage the default questionnaire does not
    have: refused with the column and the stages it has, never stored as an attribute."""
    for column in ("onboarding_courtesy_e", "Onboarding.courtesy.P", "onboarding courtesy E"):
        wide = base_wide().with_columns(pl.lit(5).alias(column))
        wave, report = prepare(csv_text(wide).encode())
        assert wave is None, column
        problem = next(p for p in report.errors if p.rule == "unknown_stage")
        assert problem.column == column
        assert "pre_purchase, encounter, post_purchase" in problem.message


def test_a_questionnaire_that_names_the_stage_takes_it():
    instrument = load_instrument(
        b"code,wording,dimension,stages\n"
        b"courtesy,Staff are courteous,Assurance,Onboarding|Service encounter\n"
        b"informed,I am kept informed,Responsiveness,Onboarding\n"
    )
    data = (
        b"respondent_id,Age band,onboarding_courtesy_e,onboarding_courtesy_p,"
        b"Service encounter.courtesy.E,Service encounter.courtesy.P,onboarding.informed.E,"
        b"onboarding.informed.P\nR1,18-24,5,4,6,6,7,3\nR2,55+,4,4,5,6,6,4\n"
    )
    wave, report = prepare_wave(data, "onboarding.csv", instrument, "1-7")
    assert wave is not None, report.to_text()
    assert wave.attributes == ["Age band"]
    pairs = set(wave.responses.select(pl.col("stage").cast(pl.String), "item").iter_rows())
    assert pairs == {
        ("Onboarding", "courtesy"),
        ("Service encounter", "courtesy"),
        ("Onboarding", "informed"),
    }


@pytest.mark.parametrize(
    ("stages", "columns", "rule", "column"),
    [
        ("A|B", "A.y.E,A.y.P,y.E,y.P", "unknown_stage", "y.E"),  # an item without its stage
        ("Kiosk", "y.E,y.P,q9.E", "unknown_item", "q9.E"),  # item.measure of an unknown item
        ("A|B", "A.y.E,A.y.P,q9.P", "unknown_item", "q9.P"),
    ],
)
def test_a_score_column_the_questionnaire_lacks_is_an_error_not_an_attribute(
    stages, columns, rule, column
):
    instrument = load_instrument(f"code,wording,dimension,stages\ny,Y,D,{stages}\n".encode())
    n = columns.count(",") + 1
    data = f"id,{columns}\nR1,{','.join(['5'] * n)}\n".encode()
    wave, report = prepare_wave(data, "wave.csv", instrument, "1-7")
    assert wave is None
    problem = next(p for p in report.errors if p.column == column)
    assert problem.rule == rule
    if rule == "unknown_stage":  # says where the item is asked
        assert "asks it at A, B" in problem.message


def test_attribute_names_that_end_like_a_measure_stay_attributes():
    instrument = load_instrument(b"code,wording,dimension,stages\ny,Y,D,Kiosk\n")
    data = b"id,y.E,y.P,Plan E,Group_P\nR1,5,4,Gold,2\n"
    wave, report = prepare_wave(data, "wave.csv", instrument, "1-7")
    assert wave is not None, report.to_text()
    assert wave.attributes == ["Plan E", "Group_P"]
