"""The dashboard on surveys of their own shape: a single touchpoint and four stages, dimensions in
three scripts, attributes of the file's own. Every page renders without an exception, shows no
stage it does not have, and the sidebar offers the survey's attributes."""

from __future__ import annotations

import pytest
from app_support import PAGES
from app_support import run as run_app
from streamlit.testing.v1 import AppTest
from survey_support import QUESTIONNAIRES, build_survey

from gapmodel.core.vocabulary import stage_label

SURVEYS = {q.name: q for q in QUESTIONNAIRES if q.name in ("kiosk", "four")}


@pytest.fixture(scope="module", params=list(SURVEYS))
def survey_db(request, tmp_path_factory):
    q = SURVEYS[request.param]
    path = tmp_path_factory.mktemp(q.name) / "dashboard.duckdb"
    build_survey(q, path)
    return q, path


def run(path, monkeypatch, page: str | None = None, **query) -> AppTest:
    monkeypatch.setenv("GAPMODEL_DB", str(path))
    return run_app(page, **query)


def shown_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [h.value for h in at.header] + [s.value for s in at.subheader]
    return " ".join(parts).replace("\\", "")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(survey_db, monkeypatch, page):
    q, path = survey_db
    at = run(path, monkeypatch, page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    text = shown_text(at)
    for default in ("Pre-purchase", "Service encounter", "Post-purchase"):
        if default not in q.stages:  # no stage of the default questionnaire leaks in
            assert default not in text, (page, default)


def test_the_sidebar_offers_the_survey_attributes_and_stages(survey_db, monkeypatch):
    q, path = survey_db
    at = run(path, monkeypatch)
    keys = {box.key for box in at.sidebar.selectbox}
    assert {"Sex", "Age band", "Contacts"} <= keys
    contacts = at.sidebar.selectbox(key="Contacts")
    assert contacts.options[1:] == [str(k) for k in range(1, 13)]  # numeric order
    pills = [p for p in at.sidebar.get("button_group")]
    if len(q.stages) == 1:
        assert not pills  # one stage: nothing to choose
    else:
        assert pills and pills[0].proto.options[0].content == q.stages[0]
    at.sidebar.selectbox(key="Age band").set_value("55+").run()
    assert not at.exception
    assert "Age band 55+" in at.caption[0].value.replace("\\", "")


def test_the_journey_offers_each_stage(survey_db, monkeypatch):
    """One stage at a time, chosen among the survey's stages (none to choose with one)."""
    q, path = survey_db
    at = run(path, monkeypatch, "ui/pages/journey.py")
    choice = [c for c in at.get("button_group") if c.proto.label == "Stage"]
    if len(q.stages) == 1:
        assert not choice
    else:
        options = [o.content for o in choice[0].proto.options]
        assert [o.replace("\\", "") for o in options] == [stage_label(s) for s in q.stages]
    tabs = [t.label for t in at.tabs]
    assert ("Human vs technical" in tabs) == q.elements


def test_segments_compare_by_any_attribute(survey_db, monkeypatch):
    _, path = survey_db
    at = run(path, monkeypatch, "ui/pages/segments.py")
    control = at.get("button_group")[0]
    assert [o.content for o in control.proto.options] == ["Sex", "Age band", "Contacts"]
    assert not at.exception


def test_the_data_page_reads_new_waves_with_the_stored_questionnaire(survey_db, monkeypatch):
    q, path = survey_db
    at = run(path, monkeypatch, "ui/pages/data.py")
    first_stage = q.stages[0]
    assert any(f"{first_stage}.Q1.E" in m.value for m in at.markdown)  # the example column
    assert f"newest wave is used ({q.name}.csv, {q.items} items)" in shown_text(at)
