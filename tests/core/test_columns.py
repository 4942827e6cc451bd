"""The column registry: every column a view or table emits is registered with a title, a help
text, a number format and a glossary entry, and nothing is registered that nothing emits."""

from __future__ import annotations

import io

import openpyxl
import polars as pl
import pytest

from gapmodel import views
from gapmodel.core.columns import COLUMNS, REGISTRY, glossary
from gapmodel.model.compare import segment_differences, segment_gaps, trend
from gapmodel.model.gaps import gap_table, group_keys
from gapmodel.model.priorities import fix_first, importance_performance, weighted_gap
from gapmodel.model.quality import reliability, zone_of_tolerance
from gapmodel.render.report import build_briefing
from gapmodel.render.view_export import view_tables, view_workbook
from gapmodel.storage.store import Store


@pytest.fixture(scope="module")
def survey(demo_db):
    with Store.open(demo_db, read_only=True) as store:
        return views.load_survey(store)


def emitted_tables(survey: views.Survey) -> dict[str, pl.DataFrame]:
    """Every table the pages, the report and the model commands emit, by a name for messages."""
    tables: dict[str, pl.DataFrame] = {}
    for filters in (views.Filters(), views.Filters(compare="", stages=("encounter",))):
        pages = [
            views.overview(survey, filters),
            views.journey(survey, filters),
            views.trends(survey, filters),
            views.priorities(survey, filters),
            *(views.segments(survey, filters, a) for a in survey.attributes),
            *(views.details(survey, filters, g) for g in views.detail_groupings(survey)),
        ]
        for page in pages:
            tables |= {f"{type(page).__name__}: {k}": t for k, t in view_tables(page).items()}
        briefing = build_briefing(survey, filters)
        tables |= {f"report: {k}": t for k, t in briefing.tables().items()}
        tables["report: Findings"] = briefing.findings_table()
    data = views.select(survey, views.Filters(), survey.waves)
    first, last = survey.waves[0], survey.waves[-1]
    tables |= {
        "gaps by every key": gap_table(data, list(group_keys(data))),
        "alpha": reliability(data, ("stage", "dimension")),
        "ipa": importance_performance(data),
        "fix first": fix_first(data),
        "trend": trend(data, first, last, ("stage", "item")),
        "segments": segment_gaps(data, "segment", ("dimension",)),
        "segments across": segment_differences(data, "channel", ("dimension",)),
        "zone": zone_of_tolerance(data, ("stage", "item")),
        "weighted": weighted_gap(data, None, ("wave",)),
    }
    return tables


def test_every_emitted_column_is_registered_and_every_registered_one_is_emitted(survey):
    tables = emitted_tables(survey)
    emitted = {c: name for name, t in tables.items() if t is not None for c in t.columns}
    attributes = set(survey.attributes)  # named by the survey, not by gapmodel
    unregistered = {
        c: where for c, where in emitted.items() if c not in REGISTRY and c not in attributes
    }
    assert unregistered == {}
    assert [c.name for c in COLUMNS if c.name not in emitted] == []


@pytest.mark.parametrize("column", COLUMNS, ids=lambda c: c.name)
def test_a_registered_column_has_a_title_help_and_formats(column):
    assert column.title.strip() and column.help.strip()
    assert column.kind in ("text", "number", "check")
    if column.kind == "number":
        assert column.display, "numbers need a dashboard format"
    else:
        assert column.display is None and column.excel is None
    assert sum(c.name == column.name for c in COLUMNS) == 1


def test_the_dashboard_shows_every_shown_column_as_registered():
    from ui import components

    shown = [c for c in COLUMNS if c.shown]
    assert set(components.COLUMNS) == {c.name for c in shown}
    assert set(components.HIDDEN) == {c.name for c in COLUMNS if not c.shown}
    for column in shown:
        config = components.COLUMNS[column.name]
        assert config["label"] == column.title and config["help"] == column.help


def test_the_method_sheet_explains_every_column_of_its_tables(survey):
    view = views.trends(survey, views.Filters())
    book = openpyxl.load_workbook(io.BytesIO(view_workbook(view)))
    rows = [r for r in book["Method"].iter_rows(values_only=True)]
    start = [r[0] for r in rows].index("Columns")
    explained = dict(rows[start + 1 :])
    written = {c for t in view_tables(view).values() for c in t.columns}
    assert explained == dict(glossary(sorted(written)))
    assert set(explained) == written
