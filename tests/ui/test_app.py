"""The dashboard in Streamlit's AppTest: every page, filters, the Data page and roles."""

from __future__ import annotations

import contextlib
import re

import polars as pl
import pytest
from app_support import APP, PAGES, run
from streamlit.testing.v1 import AppTest

from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv, wave_labels
from ui.store import open_store

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-secret-that-is-long-enough",
    "client_id": "gapmodel",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}


@pytest.fixture
def empty(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    Store.open(path).close()
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    return path


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@contextlib.contextmanager
def dashboard_store(path):
    """The store the dashboard holds open in this process (a second connection to a locked
    database cannot be configured again)."""
    yield open_store(str(path.resolve()))


def shown(text: str) -> str:
    """Text as the user reads it: the dashboard escapes markdown in data-bearing messages."""
    return re.sub(r"\\(.)", r"\1", text)


def errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def successes(at: AppTest) -> list[str]:
    return [shown(s.value) for s in at.success]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_demo_data(demo, page):
    at = run(page)
    assert not at.exception
    assert not errors(at)
    assert at.title[0].value


@pytest.mark.parametrize("page", [p for p in PAGES if not p.endswith(("data.py", "glossary.py"))])
def test_every_analysis_page_guides_on_an_empty_database(empty, page):
    at = run(page)
    assert not at.exception
    assert at.warning[0].value.startswith("No waves yet.")
    assert "Data page" in at.warning[0].value


def test_the_data_page_invites_an_upload_on_an_empty_database(empty):
    at = run("ui/pages/data.py")
    assert not at.exception
    assert at.get("file_uploader")
    assert "No waves stored yet" in at.info[0].value


def test_overview_states_the_headline_and_pain_points(demo):
    at = run()
    assert metric(at, "Overall gap").startswith("-")
    sentences = " ".join(m.value for m in at.markdown)
    assert "I am kept informed about what happens and when” is" in sentences
    assert "clearly below expectations" in sentences and "based on" in sentences
    assert "Holm" not in sentences and "p <" not in sentences  # the manager's words only
    assert "demo data" in at.sidebar.info[0].value


def test_filters_change_the_numbers(demo):
    """(That a filter lands in the URL is shown in the browser test: the browser writes it.)"""
    at = run()
    everyone = metric(at, "Overall gap")
    at.sidebar.selectbox(key="segment").set_value("Small business").run()
    assert not at.exception
    small = metric(at, "Overall gap")
    assert float(small) < float(everyone)  # the demo's planted weak segment
    at.sidebar.selectbox(key="wave").set_value("2026-Q1").run()
    assert "Wave 2026-Q1" in shown(at.caption[0].value)
    assert metric(at, "Overall gap") != small


def test_a_shared_link_restores_the_filters(demo):
    at = run(segment="Enterprise", wave="2026-Q2", alpha="0.01", padjust="Benjamini-Hochberg")
    assert not at.exception
    assert at.sidebar.selectbox(key="segment").value == "Enterprise"
    assert at.sidebar.selectbox(key="wave").value == "2026-Q2"
    caption = shown(at.caption[0].value)
    assert "Wave 2026-Q2 vs 2026-Q1" in caption and "Segment Enterprise" in caption
    assert at.sidebar.radio(key="padjust").value == "bh"
    assert "Benjamini-Hochberg adjustment, p below 0.01" in at.title[0].proto.help


def test_an_unknown_value_in_a_link_falls_back(demo):
    at = run(wave="1999-Q9", segment="'; DROP TABLE responses; --")
    assert not at.exception
    assert "Wave 2026-Q3" in shown(at.caption[0].value)


def _upload(at: AppTest, name: str, data: bytes, label: str | None = None) -> AppTest:
    at.get("file_uploader")[0].set_value((name, data, "text/csv")).run()
    if label is not None:
        at.text_input(key="data_label_0").set_value(label).run()
    return at


def test_uploading_a_good_file_commits_a_wave_and_changes_the_numbers(demo):
    at = run()
    before = metric(at, "Overall gap")
    at.switch_page("ui/pages/data.py").run()
    good = wave_csv(generate_wave(200, 5, seed=99))
    _upload(at, "wave-2026-Q4.csv", good, "2026-Q4")
    assert successes(at) == ["The file is valid. Give the wave its label and commit it below."]
    at.button(key="data_commit").click().run()
    assert not at.exception and not errors(at)
    assert "Committed wave 2026-Q4: 200 respondents" in successes(at)[0]
    with dashboard_store(demo) as store:
        assert store.wave_labels()[-1] == "2026-Q4"
        assert store.audit()["username"].to_list()[-1] == "Local analyst"
    at.switch_page("ui/pages/overview.py").run()
    assert "Wave 2026-Q4" in shown(at.caption[0].value)
    assert metric(at, "Overall gap") != before


def test_a_bad_file_shows_the_report_and_writes_nothing(demo):
    with dashboard_store(demo) as store:
        before = store.checksums()
    frame = generate_wave(50, 5, seed=3)
    bad = frame.with_columns(pl.lit(9).alias("encounter.courtesy.P"))  # scale is 1-7
    at = run("ui/pages/data.py")
    _upload(at, "bad.csv", wave_csv(bad), "bad")
    report = next(d.value for d in at.dataframe if "rule" in d.value.columns)
    first = report.iloc[0]
    assert errors(at)[0].startswith(
        "50 problems found, so nothing can be stored until they are fixed. "
        f"The first (row {first['row']}): {first['message']} The list below"
    ), errors(at)[0]
    assert set(report["rule"]) == {"out_of_scale"}
    assert report["column"][0] == "encounter.courtesy.P"
    assert at.button(key="data_commit").disabled
    with dashboard_store(demo) as store:
        assert store.checksums() == before


def test_a_duplicate_file_is_refused_unless_replaced(demo):
    label, _ = wave_labels(3)[0]
    same = wave_csv(generate_wave(300, 0, seed=2026))  # the bytes of the first demo wave
    at = run("ui/pages/data.py")
    _upload(at, "again.csv", same, "again")
    at.button(key="data_commit").click().run()
    assert f"already ingested as wave '{label}'" in errors(at)[0]
    assert "Replace a wave" in errors(at)[0]
    with dashboard_store(demo) as store:
        assert "again" not in store.wave_labels()
    at.toggle(key="data_replace").set_value(True).run()
    at.button(key="data_commit").click().run()
    assert f"(replacing {label})" in successes(at)[0]
    with dashboard_store(demo) as store:
        assert "again" in store.wave_labels() and label not in store.wave_labels()


def test_deleting_a_wave(demo):
    at = run("ui/pages/data.py")
    at.selectbox(key="data_delete_wave").set_value("2026-Q1").run()
    assert at.button(key="data_delete").disabled  # not confirmed yet
    at.checkbox(key="data_delete_sure").check().run()
    at.button(key="data_delete").click().run()
    assert "Deleted wave 2026-Q1." in successes(at)
    with dashboard_store(demo) as store:
        assert store.wave_labels() == ["2026-Q2", "2026-Q3"]


def _signed_in(email: str, groups: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.secrets["gapmodel"] = {"analysts": ["ana@example.com"], "analyst_group": "cx-analysts"}
    at.user = {"is_logged_in": True, "email": email, "name": email.split("@")[0]}
    if groups is not None:
        at.user["groups"] = groups
    return at


def test_a_viewer_cannot_reach_the_data_page(demo):
    at = _signed_in("manager@example.com").run()
    assert not at.exception
    assert "viewer" in at.sidebar.caption[-1].value
    assert not at.get("file_uploader")
    # The page is not in a viewer's navigation, so it cannot be opened at all.
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("ui/pages/data.py")
    # And no page a viewer can open offers a widget that writes.
    with dashboard_store(demo) as store:
        before = store.checksums()
    for page in PAGES[:-1]:
        at.switch_page(page).run()
        assert not at.exception
        assert not at.get("file_uploader")
        labels = {b.label for b in at.button}
        assert not labels & {"Commit wave", "Delete wave"}
        for button in at.button:  # press everything there is (Report opens a dialog)
            if button.label != "Sign out":
                button.click().run()
                assert not at.exception
    with dashboard_store(demo) as store:
        assert store.checksums() == before


def test_an_analyst_by_allowlist_or_group_sees_the_data_page(demo):
    for at in (_signed_in("ana@example.com"), _signed_in("bo@example.com", ["cx-analysts"])):
        at.run()
        at.switch_page("ui/pages/data.py").run()
        assert not at.exception
        assert at.get("file_uploader")


def test_a_signed_out_user_sees_only_the_sign_in_prompt(demo):
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.get("file_uploader")


def test_an_invalid_questionnaire_is_refused_with_its_problems(demo):
    at = run("ui/pages/data.py")
    bad = b"code,wording,dimension,element,stages\nBad Code,Words,tangibles,robotic,pre_purchase\n"
    at.get("file_uploader")[1].set_value(("mine.csv", bad, "text/csv")).run()
    message = errors(at)[0]
    assert message.startswith("This questionnaire cannot be used:")
    assert "robotic" in message
