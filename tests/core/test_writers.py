"""Every CSV and XLSX writer goes through :mod:`gapmodel.core.formulas`: the source holds no other
writer (an ast scan), and every public writer, fed formula-like attribute names and values,
writes no cell and no header that a spreadsheet would run."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from gapmodel.cli import main
from gapmodel.core.formulas import FORMULA_PREFIXES, neutralise, neutralise_frame
from gapmodel.core.instrument import default_instrument
from gapmodel.core.settings import PROJECT_ROOT
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.ingest.wave_export import template_frame, write_frame
from gapmodel.render.tables import table_csv
from gapmodel.render.view_export import view_workbook
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv
from gapmodel.views import Filters, journey, load_survey, overview, segments

# -- 1. No writer outside the neutraliser ------------------------------------------------------
NEUTRALISER = Path("gapmodel/core/formulas.py")
WRITER_CALLS = {"write_csv", "write_excel", "to_csv", "DictWriter", "Workbook", "writer"}
# Writers that must keep text as it is, with the reason. Keyed by file and enclosing function,
# so that a new writer anywhere else (even in the same file) fails the test.
RAW_WRITERS = {
    ("gapmodel/storage/questionnaires.py", "instrument"): "read back by load_instrument at once",
    ("gapmodel/ingest/mapped.py", "_draft"): "read back by load_instrument at once",
    ("gapmodel/tools/demo.py", "wave_csv"): "an upload (input), never an export",
    ("gapmodel/tools/map_bench.py", "qualtrics_export"): "benchmark input, never an export",
}
SOURCES = [*sorted(PROJECT_ROOT.glob("gapmodel/**/*.py")), *sorted(PROJECT_ROOT.glob("ui/**/*.py"))]
SOURCES.append(PROJECT_ROOT / "dashboard.py")


def _writer_calls(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of each call of a CSV or XLSX writer in a file."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = function
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                inner = child.name
            if isinstance(child, ast.Call):
                func = child.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                owner = getattr(getattr(func, "value", None), "id", "")
                if name in WRITER_CALLS and (name != "writer" or owner == "csv"):
                    found.append((inner, child.lineno))
            visit(child, inner)

    visit(ast.parse(path.read_text()), "<module>")
    return found


def test_every_csv_and_xlsx_writer_is_in_the_neutraliser():
    outside, raw_seen, inside = [], set(), 0
    for path in SOURCES:
        relative = path.relative_to(PROJECT_ROOT)
        for function, line in _writer_calls(path):
            if relative == NEUTRALISER:
                inside += 1
            elif (str(relative), function) in RAW_WRITERS:
                raw_seen.add((str(relative), function))
            else:
                outside.append(f"{relative}:{line} ({function})")
    assert not outside, f"CSV/XLSX written outside gapmodel.core.formulas: {outside}"
    assert inside >= 4  # csv_bytes, rows_csv, excel_bytes, new_workbook: the scan sees calls
    assert raw_seen == set(RAW_WRITERS), "an allowed raw writer is gone: drop it from the list"


# -- 2. The rule itself -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Retail", "Retail"),
        ("a=b", "a=b"),
        ("'=already", "'=already"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert neutralise(text) == expected


def test_numbers_stay_numbers_and_headers_are_neutralised():
    frame = pl.DataFrame({"=x": ["=1"], "gap": [-2.5], "n": [-3], "ok": [True]})
    out = neutralise_frame(frame)
    assert out.columns == ["'=x", "gap", "n", "ok"]
    assert out.row(0) == ("'=1", -2.5, -3, True)
    assert out.schema["gap"] == pl.Float64 and out.schema["n"] == pl.Int64


def test_a_header_clash_after_neutralising_is_refused_with_the_name():
    with pytest.raises(ValueError, match='=x" exists twice'):
        neutralise_frame(pl.DataFrame({"=x": [1], "'=x": [2]}))


# -- 3. Every public writer, fed formula-like names and values --------------------------------
NAMES = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)"]
VALUES = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)"]
HEADER_NAME = NAMES[0]


def _hostile_wide(index: int) -> pl.DataFrame:
    wide = generate_wave(160, index, seed=5).drop("segment", "channel", "region", strict=False)
    return wide.with_columns(
        pl.Series(name, [VALUES[(k + j) % len(VALUES)] for k in range(wide.height)])
        for j, name in enumerate(NAMES)
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A database of two waves (labelled like formulas) whose attribute names and values start
    like formulas; the upload file it came from."""
    folder = tmp_path_factory.mktemp("writers")
    upload = folder / "hostile.csv"
    db = folder / "hostile.duckdb"
    with Store.open(db) as store:
        for index, label in enumerate(("=W1", "@W2")):
            upload.write_bytes(wave_csv(_hostile_wide(index)))
            wave, report = prepare_wave(upload.read_bytes(), "hostile.csv", default_instrument())
            assert wave is not None, report.to_text()
            store.ingest_wave(wave, label)
    return db, upload


def _cells(data: bytes, fmt: str) -> list[str]:
    """Every header and text cell of a CSV or XLSX file, as the file holds it."""
    if fmt == "csv":
        rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        return [cell for row in rows for cell in row]
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]


def _assert_safe(cells: list[str], where: str) -> None:
    """No cell starts like a formula; one starting with '-' must be a number."""
    assert cells, f"{where} wrote nothing"
    for cell in cells:
        if cell.startswith("-"):
            float(cell)  # raises for text such as "-2+3"
        else:
            assert not cell.startswith(FORMULA_PREFIXES), f"{where}: {cell!r}"


def _cli(tmp_path, db, capsys, monkeypatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("GAPMODEL_DB", str(db))
    code = main(list(args))
    return code, capsys.readouterr().out


CLI_TABLES = [
    ("gaps", "--by", HEADER_NAME, "--format", "csv"),
    ("gaps", "--by", "+1,stage", "--wave", "all", "--format", "csv"),
    ("segments", "--by", "@SUM(1)", "--format", "csv"),
    ("segments", "--by", "-2", "--across", "--format", "csv"),
    ("ipa", "--where", "+1=+1+1", "--format", "csv"),
    ("ipa", "--fix-first", "--format", "csv"),
    ("alpha", "--wave", "=W1", "--format", "csv"),
    ("trend", "--from", "=W1", "--to", "@W2", "--format", "csv"),
]


@pytest.mark.parametrize("args", CLI_TABLES, ids=[" ".join(a[:3]) for a in CLI_TABLES])
def test_cli_tables_as_csv(hostile, tmp_path, capsys, monkeypatch, args):
    db, _ = hostile
    code, out = _cli(tmp_path, db, capsys, monkeypatch, *args)
    assert code == 0
    cells = _cells(out.encode(), "csv")
    _assert_safe(cells, " ".join(args))
    by = args[2].split(",")[0]
    if args[0] in ("gaps", "segments") and by in NAMES and "--across" not in args:
        assert neutralise(by) in cells  # the attribute's header, marked


@pytest.mark.parametrize(("layout", "fmt"), [("wide", "csv"), ("long", "csv"), ("wide", "xlsx")])
def test_cli_export(hostile, tmp_path, capsys, monkeypatch, layout, fmt):
    db, _ = hostile
    out = tmp_path / f"wave.{fmt}"
    code, said = _cli(
        tmp_path, db, capsys, monkeypatch, "export", "=W1", "--out", str(out), "--layout", layout
    )
    assert code == 0, said
    cells = _cells(out.read_bytes(), fmt)
    _assert_safe(cells, f"export {layout} {fmt}")
    assert {neutralise(n) for n in NAMES} <= set(cells)  # every attribute's header, marked
    assert neutralise(VALUES[0]) in cells


def test_cli_validate_report_and_map(hostile, tmp_path, capsys, monkeypatch):
    db, upload = hostile
    report = tmp_path / "report.csv"
    code, _ = _cli(
        tmp_path, db, capsys, monkeypatch, "validate", str(upload), "--report", str(report)
    )
    assert code == 0
    cells = _cells(report.read_bytes(), "csv")
    _assert_safe(cells, "validate --report")
    assert neutralise(HEADER_NAME) in cells  # the column named in the report
    mapping = tmp_path / "mapping.csv"
    code, _ = _cli(tmp_path, db, capsys, monkeypatch, "map", str(upload), "--out", str(mapping))
    assert code == 0
    cells = _cells(mapping.read_bytes(), "csv")
    _assert_safe(cells, "map --out")
    assert neutralise(HEADER_NAME) in cells


def test_cli_report_xlsx(hostile, tmp_path, capsys, monkeypatch):
    db, _ = hostile
    out = tmp_path / "report.xlsx"
    code, _ = _cli(
        tmp_path, db, capsys, monkeypatch, "report", "--segments-by", HEADER_NAME, "--out", str(out)
    )
    assert code == 0
    cells = _cells(out.read_bytes(), "xlsx")
    _assert_safe(cells, "report xlsx")
    assert neutralise(HEADER_NAME) in cells


def _page_files(db: Path) -> dict[str, tuple[bytes, str]]:
    """The Data page's and the analysis pages' downloads, made as the pages make them."""
    with Store.open(db, read_only=True) as store:
        survey = load_survey(store)
        waves = store.waves()
    filters = survey.resolve(Filters())
    seg = segments(survey, filters, HEADER_NAME)
    template = template_frame(default_instrument(), attributes=survey.attribute_values)
    return {
        "template": (write_frame(template, "csv"), "csv"),
        "wave list": (table_csv(waves), "csv"),
        "journey items": (table_csv(journey(survey, filters).items), "csv"),
        "segments csv": (table_csv(seg.by_dimension), "csv"),
        "segments workbook": (view_workbook(seg), "xlsx"),
        "overview workbook": (view_workbook(overview(survey, filters)), "xlsx"),
    }


def test_page_downloads(hostile):
    db, upload = hostile
    files = _page_files(db)
    wave, report = prepare_wave(upload.read_bytes(), "hostile.csv", default_instrument())
    files["validation report"] = (report.to_csv_bytes(), "csv")
    for name, (data, fmt) in files.items():
        _assert_safe(_cells(data, fmt), name)
    for name in ("template", "segments csv", "segments workbook", "validation report"):
        assert neutralise(HEADER_NAME) in _cells(*files[name]), name
