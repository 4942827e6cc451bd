"""The management report: every sentence is written from a result row, follows the data, never
calls a non-significant change a change, and every format is self-contained and complete."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pypdfium2 as pdfium
import pytest
from export_support import HOSTILE, assert_no_formula_text, formula_cells

from gapmodel import cli, views
from gapmodel.core.instrument import default_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.render import report as briefing
from gapmodel.render.method import method_rows
from gapmodel.render.workbook import sheet_names
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv
from gapmodel.views import findings

ITEM = ("post_purchase", "kept_informed")
A4_POINTS = (595.28, 841.89)
MM = 72 / 25.4  # points per millimetre


def build_db(path: Path, frames: dict[str, pl.DataFrame]) -> views.Survey:
    """Ingest wide wave frames through the upload path and load the survey."""
    instrument = default_instrument()
    with Store.open(path) as store:
        for label, frame in frames.items():
            wave, report = prepare_wave(wave_csv(frame), f"{label}.csv", instrument, "1-7")
            assert wave is not None, report.to_text()
            store.ingest_wave(wave, label)
        return views.load_survey(store)


def item_gap(frame: pl.DataFrame, stage: str, item: str) -> float:
    """Mean P - E over the respondents who answered both (independent of the model)."""
    e, p = frame[f"{stage}.{item}.E"], frame[f"{stage}.{item}.P"]
    both = e.is_not_null() & p.is_not_null()
    return float((p.filter(both).cast(pl.Float64) - e.filter(both).cast(pl.Float64)).mean())


def stage_gap(frame: pl.DataFrame, stage: str) -> float:
    """Mean over respondents of each respondent's mean P - E over the stage's answered items."""
    items = sorted({c.split(".")[1] for c in frame.columns if c.startswith(f"{stage}.")})
    gaps = np.column_stack(
        [
            (
                frame[f"{stage}.{i}.P"].cast(pl.Float64) - frame[f"{stage}.{i}.E"].cast(pl.Float64)
            ).to_numpy()
            for i in items
            if f"{stage}.{i}.P" in frame.columns
        ]
    )
    per_person = np.nanmean(gaps, axis=1)
    return float(np.nanmean(per_person))


def finding(b: briefing.Briefing, source: str, key: str = "") -> findings.Finding | None:
    found = [f for f in b.findings if f.source == source and f.key == key]
    assert len(found) <= 1
    return found[0] if found else None


def number_after(text: str, words: str) -> float:
    match = re.search(re.escape(words) + r" (-?[\d.]+) points", text)
    assert match, f"{words!r} not in {text!r}"
    return float(match.group(1))


@pytest.fixture(scope="module")
def demo(demo_db) -> tuple[views.Survey, briefing.Briefing]:
    with Store.open(demo_db, read_only=True) as store:
        survey = views.load_survey(store)
    return survey, briefing.build_briefing(survey, views.Filters())


# -- findings follow the data ----------------------------------------------------------------------
def test_shifting_one_item_changes_its_sentences(tmp_path):
    """Raise perceptions of post-purchase "kept informed" by 2 points in the later wave: the
    item's change sentence, its pain-point sentence and the post-purchase stage sentence all
    move with the numbers, computed here from the raw wave frames."""
    first = generate_wave(400, 0, seed=3)
    second = generate_wave(400, 1, seed=3)
    column = ".".join((*ITEM, "P"))
    shifted = second.with_columns(pl.col(column).cast(pl.Int16).add(2).clip(1, 7).cast(pl.Int8))
    runs = {}
    for name, later in (("base", second), ("shifted", shifted)):
        survey = build_db(tmp_path / f"{name}.duckdb", {"W1": first, "W2": later})
        runs[name] = briefing.build_briefing(survey, views.Filters())
    key = f"stage={ITEM[0]}, item={ITEM[1]}"
    base, moved = runs["base"], runs["shifted"]
    # wave over wave: the item improved significantly, by the change in the raw data
    change = item_gap(shifted, *ITEM) - item_gap(first, *ITEM)
    text = finding(moved, "Change by item", key).text
    assert text.startswith(
        "Post-purchase: \u201cI am kept informed about what happens and when\u201d clearly improved, by"
    )
    assert number_after(text, "improved, by") == pytest.approx(change, abs=0.051)
    before = finding(base, "Change by item", key)
    assert before is None or before.text != text
    # the pain point: a large shortfall before, none after
    pain = finding(base, "Top pain points", key)
    assert pain is not None and "below expectation" in pain.text
    shortfall = number_after(pain.text, "clearly below expectations, by")
    assert shortfall == pytest.approx(-item_gap(second, *ITEM), abs=0.051)
    assert finding(moved, "Top pain points", key) is None
    # the post-purchase stage: its sentence carries the new stage gap
    sentences = [finding(r, "Gap by stage", "stage=post_purchase").text for r in (base, moved)]
    assert sentences[0] != sentences[1]
    for text, frame in zip(sentences, (second, shifted), strict=True):
        assert number_after(text, "expectations, by") == pytest.approx(
            abs(stage_gap(frame, "post_purchase")), abs=0.0051
        )


def test_a_non_significant_change_is_reported_as_no_significant_change(tmp_path):
    """The later wave repeats the earlier one (new ids) with 8 of 400 respondents rating one
    item a point higher: a small change that is not significant."""
    first = generate_wave(400, 0, seed=4)
    column = ".".join((*ITEM, "P"))
    nudged = pl.Series([1] * 8 + [0] * (first.height - 8), dtype=pl.Int16)
    second = first.with_columns(
        respondent_id=pl.col("respondent_id").str.replace("W1-", "X-"),
        **{column: (pl.col(column).cast(pl.Int16) + nudged).clip(1, 7).cast(pl.Int8)},
    )
    survey = build_db(tmp_path / "flat.duckdb", {"W1": first, "W2": second})
    b = briefing.build_briefing(survey, views.Filters())
    row = b.overview.change.row(0, named=True)
    assert row["change"] != 0 and not row["significant"]
    text = finding(b, "Overall change").text
    assert "shows no clear change from W1 to W2" in text
    assert not re.search(r"improved|worsened|rose|fell", text)
    assert findings.points(row["change"]) in text and f"based on {row['n_from']:,}" in text
    changes = b.section("Change")
    assert changes and all("no clear change" in f.text for f in changes)
    assert all(f.source == "Change by dimension" for f in changes)  # no item changed
    figures = {label: (value, detail) for label, value, detail in briefing.headline_figures(b)}
    assert figures["Change since W1"][0] == "none"
    assert figures["Change since W1"][1].startswith("no clear change")
    page = briefing.render(b, "html").decode()
    assert html.escape(text) in page


def test_every_finding_traces_to_its_row(demo):
    _, b = demo
    tables = b.tables()
    assert {f.section for f in b.findings} == set(briefing.SECTIONS)
    for f in b.findings:
        table = tables[f.source].with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String))
        for pair in filter(None, f.key.split(", ")):
            name, value = pair.split("=", 1)
            table = table.filter(pl.col(name).cast(pl.String) == value)
        assert table.height == 1, (f.source, f.key)
        row = table.row(0, named=True)
        assert row.get("flag") != "suppressed"
        assert f.n == row["n"] and f"{row['n']:,}" in f.text
        assert "p =" not in f.text and "p <" not in f.text and "CI" not in f.text  # plain words
        if "of all their answers" in f.text:  # the customer and answer shares
            assert f.p_adj is None and f.effect == row["people_below"]
            assert findings.percent(row["people_below"]) in f.text
        elif f.p_adj is not None:
            assert f.p_adj == row["p_adj"]
        if f.ci_low is not None:
            assert (f.ci_low, f.ci_high) == (row["ci_low"], row["ci_high"])
        if row.get("significant") is False and f.section in ("Change", "Headline"):
            assert "clearly" not in f.text and "no clear" in f.text or "meets" in f.text


# -- formats ---------------------------------------------------------------------------------------
def pdf_text(data: bytes) -> tuple[str, list[tuple[float, float]]]:
    document = pdfium.PdfDocument(data)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    sizes = [tuple(page.get_size()) for page in document]
    return " ".join(text.split()), sizes


def test_report_formats_are_complete_and_self_contained(demo):
    _, b = demo
    page = briefing.render(b, "html").decode()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and not re.search(r"url\((?!#chart\d+-)", page)
    assert page.count("<svg") == len(briefing.report_charts(b)) >= 5
    for f in b.findings:
        assert html.escape(f.text) in page
    for topic, _ in method_rows(b.filters, b.waves, b.options):
        assert f"<td>{html.escape(topic)}</td>" in page
    text, sizes = pdf_text(briefing.render(b, "pdf"))
    assert len(sizes) >= 4
    assert all(s == pytest.approx(A4_POINTS, abs=0.5) for s in sizes)
    for f in b.findings:
        assert " ".join(f.text.split()) in text, f.text
    book = openpyxl.load_workbook(io.BytesIO(briefing.render(b, "xlsx")))
    assert book.sheetnames[0] == "Findings" and book.sheetnames[-1] == "Method"
    assert set(sheet_names(list(b.tables()))) <= set(book.sheetnames)
    rows = list(book["Findings"].iter_rows(values_only=True))
    assert list(rows[0]) == b.findings_table().columns
    assert [r[1] for r in rows[1:]] == [f.text for f in b.findings]
    assert formula_cells(book) == []


def test_pdf_pages_keep_their_margins(demo):
    """Nothing runs off a page: the 10 mm band along each edge is blank (the footer sits
    inside the bottom margin, above the band)."""
    _, b = demo
    document = pdfium.PdfDocument(briefing.render(b, "pdf"))
    for number, page in enumerate(document, start=1):
        image = np.asarray(page.render(scale=1).to_pil().convert("L"))
        band = int(10 * MM)
        edges = {
            "left": image[:, :band],
            "right": image[:, -band:],
            "top": image[:band, :],
            "bottom": image[-int(4 * MM) :, :],
        }
        for side, pixels in edges.items():
            assert pixels.min() > 240, f"page {number}: ink in the {side} margin"


def test_report_bytes_reports_progress_and_checks_the_format(demo):
    survey, _ = demo
    seen: list[tuple[float, str]] = []
    data = briefing.report_bytes(
        survey, views.Filters(), "xlsx", progress=lambda f, m: seen.append((f, m))
    )
    assert data[:2] == b"PK"
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) >= 5
    assert all(isinstance(m, str) and m for _, m in seen)
    with pytest.raises(ValueError, match="html, pdf, xlsx"):
        briefing.report_bytes(survey, views.Filters(), "docx")


def test_a_view_of_fewer_than_five_respondents_stays_suppressed(demo):
    survey, _ = demo
    options = views.Filters().options()
    tiny = None
    for segment in survey.attribute_values["segment"]:
        for channel in survey.attribute_values["channel"]:
            for region in survey.attribute_values["region"]:
                f = views.Filters(
                    attributes={"segment": segment, "channel": channel, "region": region}
                )
                n = views.overview(survey, f).overall["n"][0]
                if 0 < n < options.suppress_n:
                    tiny = f
                    break
    assert tiny is not None, "the demo should hold a combination of fewer than 5 respondents"
    b = briefing.build_briefing(survey, tiny)
    assert b.overview.overall["gap"][0] is None
    assert all(f.n is None or f.n >= options.suppress_n for f in b.findings)
    assert not [f for f in b.findings if f.source in ("Overall gap", "Gap by stage")]
    figures = {label: value for label, value, _ in briefing.headline_figures(b)}
    assert figures["Overall gap (P - E)"] == "suppressed"
    for fmt in briefing.REPORT_FORMATS:
        assert briefing.render(b, fmt)  # every format still renders
    book = openpyxl.load_workbook(io.BytesIO(briefing.render(b, "xlsx")))
    header, values = list(book["Overall gap"].iter_rows(values_only=True))[:2]
    assert values[header.index("gap")] is None and values[header.index("flag")] == "suppressed"


def test_inline_svg_is_cleaned_and_its_ids_are_made_distinct():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="300" height="100" viewBox="0 0 300 100" onload="alert(1)">'
        '<defs><linearGradient id="gradient_0"/></defs><script>alert(2)</script>'
        '<rect fill="url(#gradient_0)" style="fill:url(http://evil.example/x)"/>'
        '<a xlink:href="http://evil.example"><text>link</text></a>'
        "<text>&lt;b&gt;label&lt;/b&gt; &amp; more</text></svg>"
    )
    clean = briefing.safe_svg(svg, "chart3")
    assert "script" not in clean and "onload" not in clean and "evil" not in clean
    assert 'id="chart3-gradient_0"' in clean and 'fill="url(#chart3-gradient_0)"' in clean
    assert "&lt;b&gt;label&lt;/b&gt; &amp; more" in clean
    assert 'width="100%"' in clean and 'viewBox="0 0 300 100"' in clean


# -- hostile text ----------------------------------------------------------------------------------
def test_hostile_text_in_the_report(hostile_db):
    with Store.open(hostile_db, read_only=True) as store:
        survey = views.load_survey(store)
    b = briefing.build_briefing(survey, views.Filters())
    book = openpyxl.load_workbook(io.BytesIO(briefing.render(b, "xlsx")))
    assert formula_cells(book) == []
    values = {v for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r}
    assert "'" + HOSTILE[0] in values  # a segment name, as text
    for value in values:
        if isinstance(value, str):
            assert_no_formula_text(value, repr(value))
    page = briefing.render(b, "html").decode()
    assert "<script" not in page.lower()
    assert 'href="http' not in page
    assert html.escape(HOSTILE[0]) in page  # shown as text, escaped


# -- command line ----------------------------------------------------------------------------------
def test_report_command_writes_each_format(demo_db, tmp_path, capsys):
    for fmt in briefing.REPORT_FORMATS:
        out = tmp_path / f"report.{fmt}"
        code = cli.main(["report", "--db", str(demo_db), "--out", str(out), "--compare", "none"])
        assert code == 0, capsys.readouterr().err
        assert out.stat().st_size > 1000
        assert f"Wrote the {fmt} report of wave 2026-Q3 (" in capsys.readouterr().out
    out = tmp_path / "small.html"
    argv = ["report", "--db", str(demo_db), "--out", str(out), "--where", "segment=Small business"]
    assert cli.main([*argv, "--wave", "2026-Q2", "--compare", "2026-Q1"]) == 0
    page = out.read_text()
    assert "segment = Small business" in page and "compared with 2026-Q1" in page
    assert "Each of the channels against everyone else" in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--wave", "1999-Q1"], "--wave: there is no wave '1999-Q1'. Waves: 2026-Q1"),
        (["--compare", "2026-Q3"], "--compare must name another wave"),
        (
            ["--where", "region=Atlantis"],
            "the attribute region has no value 'Atlantis'. Its values: East, North",
        ),
        (["--where", "region=North", "--where", "region=South"], "is given twice"),
    ],
)
def test_report_command_refuses_what_it_cannot_do(demo_db, tmp_path, capsys, extra, message):
    out = tmp_path / "r.html"
    assert cli.main(["report", "--db", str(demo_db), "--out", str(out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_report_command_needs_a_known_format(demo_db, tmp_path, capsys):
    assert cli.main(["report", "--db", str(demo_db), "--out", str(tmp_path / "r.docx")]) == 2
    assert "Give --format html / pdf / xlsx" in capsys.readouterr().err
