"""Table, workbook and chart exports: the numbers are the model's, text never runs as a formula,
suppressed groups stay empty, images have the size asked.

Every exported table is read back (CSV with polars, XLSX with openpyxl) and compared with the
model table it came from, value by value.
"""

from __future__ import annotations

import csv
import io
import math
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import altair as alt
import openpyxl
import polars as pl
import pytest
from export_support import HOSTILE, assert_no_formula_text, formula_cells
from PIL import Image

from gapmodel import views
from gapmodel.core.columns import P_VALUE, SIGNED
from gapmodel.ingest.wave_export import wave_frame
from gapmodel.render import chart_images as chart_export
from gapmodel.render import charts
from gapmodel.render.tables import table_csv
from gapmodel.render.view_export import view_tables, view_workbook
from gapmodel.render.workbook import sheet_names, workbook
from gapmodel.storage.store import Store

PAGES = {
    "overview": lambda s, f: views.overview(s, f),
    "journey": lambda s, f: views.journey(s, f),
    "details": lambda s, f: views.details(s, f, "Item at each stage"),
    "segments": lambda s, f: views.segments(s, f, "channel"),
    "trends": lambda s, f: views.trends(s, f),
    "priorities": lambda s, f: views.priorities(s, f),
}


@pytest.fixture(scope="module")
def survey(demo_db) -> views.Survey:
    with Store.open(demo_db, read_only=True) as store:
        return views.load_survey(store)


def plain(table: pl.DataFrame) -> pl.DataFrame:
    """The model table with enums as text, as an export writes it (independent of exports.py)."""
    return table.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))


def assert_same_value(got, want, where: str) -> None:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        assert got in (None, ""), f"{where}: expected an empty cell, got {got!r}"
    elif isinstance(want, bool):
        assert got is want, f"{where}: {got!r} != {want!r}"
    elif isinstance(want, int | float):
        assert isinstance(got, int | float) and not isinstance(got, bool), (
            f"{where}: {got!r} is not a number"
        )
        assert got == pytest.approx(want, rel=1e-12, abs=1e-300), where
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def sheet_rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


# -- CSV ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", list(PAGES))
def test_csv_of_every_page_table_equals_the_model_table(survey, page):
    view = PAGES[page](survey, views.Filters())
    for title, table in view_tables(view).items():
        want = plain(table)
        got = pl.read_csv(io.BytesIO(table_csv(table)), infer_schema_length=None)
        assert got.columns == want.columns, title
        assert got.height == want.height, title
        for name in want.columns:
            for i, (g, w) in enumerate(zip(got[name].to_list(), want[name].to_list(), strict=True)):
                assert_same_value(g, w, f"{page}/{title}/{name}[{i}]")


def test_suppressed_groups_stay_empty_in_csv_and_workbook(survey):
    """The demo answers two stage x item pairs so rarely that they are suppressed."""
    items = views.journey(survey, views.Filters()).items
    suppressed = items.filter(pl.col("flag") == "suppressed")
    assert suppressed.height > 0
    got = pl.read_csv(io.BytesIO(table_csv(items)), infer_schema_length=None)
    hidden = got.filter(pl.col("flag") == "suppressed")
    assert hidden.height == suppressed.height
    for name in ("gap", "ci_low", "ci_high", "p_val", "p_adj", "mean_e", "people_below"):
        assert hidden[name].null_count() == hidden.height, name
    book = openpyxl.load_workbook(io.BytesIO(workbook({"Items": items})))
    rows = sheet_rows(book["Items"])
    header = rows[0]
    flag, gap = header.index("flag"), header.index("gap")
    empty = [r[gap] for r in rows[1:] if r[flag] == "suppressed"]
    assert len(empty) == suppressed.height and all(v is None for v in empty)


# -- workbook --------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", list(PAGES))
def test_workbook_of_every_page_equals_the_model_tables(survey, page):
    view = PAGES[page](survey, views.Filters())
    tables = view_tables(view)
    book = openpyxl.load_workbook(io.BytesIO(view_workbook(view)))
    assert book.sheetnames == [*sheet_names(list(tables)), "Method"]
    assert formula_cells(book) == []
    for name, (title, table) in zip(book.sheetnames, tables.items(), strict=False):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", title
        rows = sheet_rows(sheet)
        want = plain(table)
        assert list(rows[0]) == want.columns, title
        assert len(rows) - 1 == want.height, title
        for i, row in enumerate(want.iter_rows(), start=1):
            for j, value in enumerate(row):
                assert_same_value(rows[i][j], value, f"{page}/{title}/{want.columns[j]}[{i}]")


def test_workbook_number_formats_and_negative_gaps_stay_numbers(survey):
    journey = views.overview(survey, views.Filters()).journey
    book = openpyxl.load_workbook(io.BytesIO(workbook({"Journey map": journey})))
    sheet = book["Journey map"]
    header = [c.value for c in sheet[1]]
    cell = {name: sheet.cell(row=2, column=header.index(name) + 1) for name in header}
    assert cell["p_adj"].number_format == P_VALUE
    assert cell["people_below"].number_format == "0.0%"
    assert cell["gap"].number_format == SIGNED
    assert cell["n"].number_format == "#,##0"
    gaps = [r[header.index("gap")] for r in sheet_rows(sheet)[1:]]
    assert any(isinstance(g, float) and g < 0 for g in gaps)  # negative gaps, as numbers
    assert all(isinstance(g, float) for g in gaps if g is not None)
    widths = [sheet.column_dimensions[c].width for c in ("A", "B")]
    assert all(w and w >= 8 for w in widths)


@pytest.mark.parametrize(
    "filters",
    [views.Filters(), views.Filters(padjust="bh", alpha=0.01, attributes={"segment": "Consumer"})],
    ids=["default", "bh-consumer"],
)
def test_method_sheet_states_the_method_and_the_view(survey, filters):
    view = views.overview(survey, filters)
    book = openpyxl.load_workbook(io.BytesIO(view_workbook(view)))
    rows = {r[0]: r[1] for r in sheet_rows(book["Method"])[1:] if r[0]}
    assert "G = P - E" in rows["Gap"]
    assert "respondent" in rows["Unit of analysis"].lower()
    assert "averaged first" in rows["Unit of analysis"]
    assert "Wilcoxon" in rows["Tests"] and "Pratt" in rows["Tests"]
    assert "Welch" in rows["Wave over wave"] and "Welch" in rows["Segments"]
    name = {"holm": "Holm", "bh": "Benjamini-Hochberg"}[filters.padjust]
    assert name in rows["Multiple comparisons"]
    assert f"alpha = {filters.alpha:g}" in rows["Multiple comparisons"]
    options = view.filters.options()
    assert f"fewer than {options.min_n}" in rows["Small groups"]
    assert f"fewer than {options.suppress_n}" in rows["Small groups"]
    assert rows["Waves"] == f"{view.filters.compare}, {view.filters.wave}"
    assert view.filters.wave in rows["Filters"]
    who = "segment = Consumer" if filters.where.get("segment") else "all respondents"
    assert who in rows["Filters"]


def test_sheet_names_are_valid_and_distinct():
    names = sheet_names(["Method", "a" * 40, "a" * 40, "x[1]:y*?", "History"])
    assert len(set(n.lower() for n in names)) == len(names)
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    assert "method" not in [n.lower() for n in names]  # the Method sheet keeps its name


def test_view_tables_refuses_other_objects():
    with pytest.raises(ValueError, match="page view of gapmodel.views"):
        view_tables(pl.DataFrame({"a": [1]}))


# -- formula injection -----------------------------------------------------------------------------
def test_hostile_text_is_exported_as_text(hostile_db):
    with Store.open(hostile_db, read_only=True) as store:
        survey = views.load_survey(store)
        raw = {label: wave_frame(store, label) for label in survey.waves}
    assert survey.waves == ["=W1", "@W2"]
    tables: dict[str, pl.DataFrame] = {}
    for page, build in PAGES.items():
        for title, table in view_tables(build(survey, views.Filters())).items():
            tables[f"{page} {title}"] = table
    seg = views.segments(survey, views.Filters(), "segment").overall
    tables["segments by segment"] = seg
    tables.update({f"raw {k}": v for k, v in raw.items()})  # ids, attributes, extra attribute
    seen: set[str] = set()
    for title, table in tables.items():
        for row in csv.reader(io.StringIO(table_csv(table).decode())):
            for value in row:
                assert_no_formula_text(value, f"{title}: {value!r}")
                seen.add(value)
    expected = {"'" + v for v in HOSTILE} | {"'=W1", "'@W2", "'=1+1"}
    assert expected <= seen
    assert any(v.startswith("'=HYPERLINK") and v[-1].isdigit() for v in seen)  # an id
    book = openpyxl.load_workbook(
        io.BytesIO(workbook(tables, survey.resolve(views.Filters()), survey.waves))
    )
    assert formula_cells(book) == []
    texts = set()
    numbers = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert_no_formula_text(value, f"{sheet.title}: {value!r}")
                    texts.add(value)
                elif isinstance(value, float) and value < 0:
                    numbers += 1
    assert expected <= texts and numbers > 0
    method = {r[0]: r[1] for r in book["Method"].iter_rows(values_only=True)}
    assert method["Waves"] == "'=W1, @W2"


# -- charts ----------------------------------------------------------------------------------------
def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (IHDR), checking its CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16:29]
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(kind + body)
    return struct.unpack(">II", body[:8])


@pytest.fixture(scope="module")
def built_charts(survey) -> dict:
    f = views.Filters()
    overview, trend = views.overview(survey, f), views.trends(survey, f)
    journey = views.journey(survey, f)
    return {
        "journey": charts.journey_map(overview.journey),
        "ranked": charts.ranked_gaps(journey.items.filter(pl.col("stage") == "encounter")),
        "trend": charts.wave_trend(trend.by_wave, survey.waves),
        "change": charts.change_decomposition(trend.change_dimensions),
        "segments": charts.segment_dots(views.segments(survey, f).by_dimension, "segment"),
        "ipa": charts.ipa_chart(views.priorities(survey, f).ipa),
    }


@pytest.mark.parametrize("name", ["journey", "ranked", "trend", "change", "segments", "ipa"])
@pytest.mark.parametrize(("width", "height", "scale"), [(640, 360, 1.0), (900, None, 2.0)])
def test_chart_images_have_the_size_asked(built_charts, name, width, height, scale):
    chart = built_charts[name]
    png = chart_export.chart_png(chart, width, height, scale=scale)
    w, h = png_size(png)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()
    assert w == round(width * scale)
    if height is not None:
        assert h == round(height * scale)
    else:
        assert h > 50 * scale
    svg = chart_export.chart_svg(chart, width, height)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.get("width")) == width
    if height is not None:
        assert float(root.get("height")) == height
    else:
        assert float(root.get("height")) == pytest.approx(h / scale, abs=1)


@pytest.mark.parametrize("name", ["journey", "ipa"])
def test_a_finished_specification_exports_as_its_chart(built_charts, name):
    """The dashboard keeps charts as finished Vega-Lite dictionaries; they export the same."""
    chart = built_charts[name]
    spec = charts.finish(chart).to_dict(validate=False)
    svgs = [chart_export.chart_svg(c, 640, 360) for c in (spec, chart)]
    # The renderer numbers gradients as it goes: ids aside, the drawings are the same.
    assert len({re.sub(r"gradient_\d+", "gradient", svg) for svg in svgs}) == 1


def test_chart_svg_escapes_uploaded_text():
    frame = pl.DataFrame({"label": ["<script>alert(1)</script>", "B & C"], "value": [1, 2]})
    chart = alt.Chart(frame).mark_bar().encode(y="label:N", x="value:Q")
    svg = chart_export.chart_svg(chart, 300)
    assert "<script" not in svg and "&lt;script&gt;" in svg
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>alert(1)</script>" in "".join(texts)


@pytest.mark.parametrize("bad", [{"width": 0}, {"width": 20_000}, {"height": 10}, {"scale": 0}])
def test_chart_export_refuses_bad_sizes(built_charts, bad):
    with pytest.raises(ValueError, match="must be"):
        chart_export.chart_png(built_charts["change"], **{"width": 600, **bad})
