"""Targets: the default setting, a file per dimension or item, its refusals, and the status."""

from __future__ import annotations

import polars as pl
import pytest

from gapmodel import views
from gapmodel.core.errors import SettingsError
from gapmodel.core.targets import by_name_key, default_target, read_target_rows
from gapmodel.storage.store import Store
from gapmodel.views.targets import target_status


@pytest.fixture(scope="module")
def survey(demo_db):
    with Store.open(demo_db, read_only=True) as store:
        return views.load_survey(store)


def test_the_default_target_is_a_setting(monkeypatch):
    assert default_target() == -0.25
    monkeypatch.setenv("GAPMODEL_TARGET_GAP", "-0.5")
    assert default_target() == -0.5
    monkeypatch.setenv("GAPMODEL_TARGET_GAP", "0.3")
    with pytest.raises(
        ValueError, match="GAPMODEL_TARGET_GAP is .0.3.; it must be a gap of 0 or below"
    ):
        default_target()


def test_a_targets_file_names_dimensions_and_items_by_their_key(tmp_path):
    path = tmp_path / "targets.csv"
    path.write_text("\ufeffname,target\nResponsiveness,-0.5\nkept_informed , -0.1\n", "utf-8")
    assert by_name_key(read_target_rows(path)) == {
        "responsiveness": -0.5,
        "kept_informed": -0.1,
    }
    assert read_target_rows("") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dimension,goal\nEmpathy,-0.2\n", "needs the columns name and target"),
        ("name,target\nEmpathy,high\n", "Row 2 .*'Empathy' must be a gap of 0 or below"),
        ("name,target\nEmpathy,0.4\n", "Row 2 .*Got '0.4'"),
        ("name,target\nEmpathy,nan\n", "Row 2"),
    ],
    ids=["columns", "text", "positive", "nan"],
)
def test_a_bad_targets_file_is_refused_with_its_row(tmp_path, text, message):
    path = tmp_path / "targets.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(SettingsError, match=message):
        read_target_rows(path)


def test_a_missing_or_binary_file_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="cannot be read"):
        read_target_rows(tmp_path / "none.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(SettingsError, match="cannot be read as UTF-8"):
        read_target_rows(binary)


def test_status_follows_the_gap_and_its_interval():
    """on: gap >= target; near: below it but the CI reaches it; below: all of the CI below."""
    table = pl.DataFrame(
        {
            "dimension": ["a", "b", "c", "d"],
            "gap": [-0.2, -0.3, -0.6, None],
            "ci_high": [-0.1, -0.2, -0.4, None],
            "flag": ["ok", "ok", "small_n", "suppressed"],
        }
    )
    status = target_status(table, "dimension", {}, -0.25)
    assert status["status"].to_list() == ["on", "near", "below", None]
    assert status["target"].to_list() == [-0.25] * 4


def test_the_overview_shows_every_dimension_and_the_named_items(survey, tmp_path, monkeypatch):
    path = tmp_path / "targets.csv"
    path.write_text("name,target\nempathy,-1.5\nkept_informed,-0.1\n", "utf-8")
    monkeypatch.setenv("GAPMODEL_TARGETS", str(path))
    targets = views.overview(survey, views.Filters()).targets
    dimensions = targets.filter(pl.col("dimension").is_not_null())
    assert dimensions.height == len(survey.dimensions)
    empathy = dimensions.filter(pl.col("dimension").cast(pl.String) == "empathy").row(0, named=True)
    assert empathy["target"] == -1.5 and empathy["status"] == "on"
    item = targets.filter(pl.col("item") == "kept_informed").row(0, named=True)
    assert item["target"] == -0.1 and item["status"] == "below"


def test_a_bad_targets_file_leaves_the_default_and_says_why(survey, tmp_path, monkeypatch):
    path = tmp_path / "targets.csv"
    path.write_text("name,target\nempathy,good\n", "utf-8")
    monkeypatch.setenv("GAPMODEL_TARGETS", str(path))
    view = views.overview(survey, views.Filters())
    assert "Row 2" in view.targets_problem and "default target applies" in view.targets_problem
    assert set(view.targets["target"]) == {-0.25}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name,target\nEmpathy,-0.2\nEmpathy,-0.3\n",
            "Rows 2 and 3 .* both name 'Empathy'\\. Keep",
        ),
        (
            "name,target\nEmpathy,-0.2\nempathy\u200b,-0.3\n",
            "Rows 2 and 3 .*'Empathy' and 'empathy\\\\u200b' \\(the same name .*U\\+200B ZERO",
        ),
        (
            "name,target\nZu\u0308verlassig,-0.2\nZ\u00fcverlassig,-0.3\n",
            "Rows 2 and 3 .*U\\+0308 COMBINING DIAERESIS",
        ),
        ("name,target\n\u200b,-0.2\n", "Row 2 .* has no name"),
        ("name,target\nEmpathy,inf\n", "Row 2 .*Got 'inf'"),
        ("name,target\nEmpathy,-inf\n", "Row 2 .*Got '-inf'"),
        ("name,target\nEmpathy,\n", "Row 2 .*Got ''"),
    ],
    ids=["duplicate", "zero_width", "nfd", "no_name", "inf", "minus_inf", "empty"],
)
def test_duplicate_empty_and_non_finite_rows_are_refused(tmp_path, text, message):
    path = tmp_path / "targets.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(SettingsError, match=message):
        read_target_rows(path)


def test_names_matching_nothing_are_said_with_the_nearest_and_the_rest_apply(
    survey, tmp_path, monkeypatch
):
    path = tmp_path / "targets.csv"
    # 'Emp\u0430thy' has a Cyrillic a; 'kept_infromed' is a typo; 'zzz' is near nothing
    path.write_text(
        "name,target\nempathy,-1.5\nEmp\u0430thy,-0.1\nkept_infromed,-0.1\nzzz,-0.2\n", "utf-8"
    )
    monkeypatch.setenv("GAPMODEL_TARGETS", str(path))
    view = views.overview(survey, views.Filters())
    said = view.targets_problem
    assert said.startswith(f"The targets file {path} names 3 dimension or item")
    assert "'Empаthy' (row 3; did you mean 'empathy'?; 'Empаthy' mixes Latin" in said
    assert "U+0430 CYRILLIC SMALL LETTER A" in said
    assert "'kept_infromed' (row 4; did you mean 'kept_informed'?)" in said
    assert "'zzz' (row 5)" in said and "Correct the name or remove the row." in said
    empathy = view.targets.filter(pl.col("dimension").cast(pl.String) == "empathy")
    assert empathy["target"].to_list() == [-1.5]  # the rows that match still apply


def test_a_file_whose_names_all_match_says_nothing(survey, tmp_path, monkeypatch):
    path = tmp_path / "targets.csv"
    path.write_text("name,target\nEmpathy,-0.5\nKept informed,-0.1\n", "utf-8")
    monkeypatch.setenv("GAPMODEL_TARGETS", str(path))
    assert views.overview(survey, views.Filters()).targets_problem is None
