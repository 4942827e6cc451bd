"""Text found by the bad-input hunt: control characters, exports read back, look-alike scripts,
invisible characters in headers and the messages that name them."""

from __future__ import annotations

import pathlib
import unicodedata

import polars as pl
import pytest

from gapmodel.core.errors import InstrumentError
from gapmodel.core.formulas import csv_bytes, neutralise, unneutralise
from gapmodel.core.instrument import default_instrument, load_instrument
from gapmodel.core.text import code_points, mixed_script, normal_text
from gapmodel.ingest import normalise
from gapmodel.ingest.mapping import MappingError, mapping_csv, read_mapping
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.ingest.proposal import propose
from gapmodel.ingest.readers import ReadOptions, read_table
from gapmodel.storage.names import check_label, label_warning
from gapmodel.tools.demo import generate_wave, wave_csv

INSTRUMENT = default_instrument()


def wide(n: int = 8, **columns: list[str]) -> pl.DataFrame:
    frame = generate_wave(n, 0, seed=5)
    return frame.with_columns(pl.Series(name, values) for name, values in columns.items())


def prepare(frame: pl.DataFrame):
    return prepare_wave(wave_csv(frame), "w.csv", INSTRUMENT)


def rules(report, rule: str) -> list:
    return [p for p in report.problems if p.rule == rule]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("Fe\x07male\x1b[31m", "Female[31m"),
        ("Ma\rle", "Ma le"),
        ("x\x85y\x9f", "xy"),
        ("D\x7fE", "DE"),
        ("a\tb\nc", "a b c"),
    ],
)
def test_control_characters_are_dropped_and_reported(raw, normal):
    assert normal_text(raw) == normal
    values = [raw] + ["Male"] * 7
    wave, report = prepare(wide(segment=values))
    assert wave is not None, report.problems
    assert wave.respondents["segment"][0] == normal
    (warning,) = rules(report, "normalised_text")
    assert warning.column == "segment" and "1 value(s)" in warning.message


def test_a_nul_is_dropped_from_the_normal_form():
    # A CSV with a NUL is refused as damaged before this; other readers reach it.
    assert normal_text("a\x00b") == "ab"


def test_wave_label_still_refuses_control_characters():
    with pytest.raises(ValueError, match="U\\+0009"):
        check_label("2026\tQ1")
    with pytest.raises(ValueError, match="only invisible characters"):
        check_label("\u200b\u2060")


def test_unneutralise_is_the_inverse_of_neutralise():
    for text in ["+SUM(A1)", "@cmd", "=1", "-x", "\tx", "'quoted", "plain", "'"]:
        assert unneutralise(neutralise(text)) == text


def test_an_export_read_back_keeps_names_and_values():
    frame = wide(**{"@cmd": ["+SUM(A1)"] * 4 + ["Retail"] * 4})
    exported = pl.read_csv(csv_bytes(frame), infer_schema=False)
    assert "'@cmd" in exported.columns
    wave, report = prepare_wave(csv_bytes(frame), "export.csv", INSTRUMENT)
    assert wave is not None, report.problems
    assert wave.respondents["@cmd"].to_list() == ["+SUM(A1)"] * 4 + ["Retail"] * 4
    marked = rules(report, "unneutralised_text")
    assert {p.column for p in marked} == {"@cmd"}
    assert any("4 value(s)" in p.message for p in marked)


def test_mixed_script_words_are_named_with_code_points():
    assert mixed_script("Fеmale Женщина Γυναίκα Female") == ["Fеmale"]
    wave, report = prepare(wide(segment=["Fеmale"] * 2 + ["Female"] * 6, **{"Sеx": ["a"] * 8}))
    assert wave is not None
    mixed = rules(report, "mixed_script")
    assert {p.column for p in mixed} == {"segment", "Sеx"}
    assert all("U+0435 CYRILLIC SMALL LETTER IE" in p.message for p in mixed)


_TRICKY = [
    "Fеmale",  # Cyrillic e in a Latin word
    "Γυναίκα café",  # both scripts, in different words: not mixed
    "Zürich͵x",  # a Latin letter beside U+0375, of no script
    "Aʹb",  # U+02B9 MODIFIER LETTER PRIME: neither
    "niͼ",  # U+037C GREEK SMALL DOTTED LUNATE SIGMA SYMBOL
    "ǅеlo",  # a Latin titlecase digraph with a Cyrillic e
    "abʹ\u0374c",  # U+0374 GREEK NUMERAL SIGN, named Greek but of no script
    "Ⅻa",  # a Roman numeral: not a letter of these scripts
    "ÆѢ",  # a Latin and a Cyrillic letter, one word
]


@pytest.mark.parametrize("value", _TRICKY)
def test_the_mixed_script_prefilter_keeps_every_value_a_plain_loop_flags(value):
    """The warning filters values in polars before splitting words: it finds what a loop of
    :func:`mixed_script` over every value finds, and counts rows as that loop does."""
    values = [value, "plain", value, None, "Женщина"]
    cells = pl.DataFrame({"c": values, "row": [2, 3, 4, 5, 6]})
    found = []

    class Report:
        def add(self, problem):
            found.append(problem)

    normalise._mixed_warning(Report(), "c", cells)
    looped = [row for v, row in cells.iter_rows() if v and mixed_script(v)]
    assert [(p.row, p.message.split(" value(s)")[0]) for p in found] == (
        [(looped[0], f"{len(looped)}")] if looped else []
    )


def test_pure_cyrillic_and_greek_are_not_warned():
    wave, report = prepare(wide(segment=["Женщина"] * 4 + ["Γυναίκα"] * 4))
    assert wave is not None and not rules(report, "mixed_script")


def test_invisible_characters_in_a_header_are_reported_once():
    wave, report = prepare(wide(**{"Se\u200bx": ["a"] * 8, "\u202eabc": ["b"] * 8}))
    assert wave is not None
    named = [p for p in rules(report, "normalised_text") if "column name" in p.message]
    assert len(named) == 2
    assert any("U+200B" in p.message for p in named)


def test_duplicate_column_message_escapes_once():
    frame = wide(Sex=["a"] * 8).with_columns(pl.lit("b").alias("Se\u200bx"))
    _, report = prepare(frame)
    (dup,) = rules(report, "duplicate_column")
    assert "'Se\\u200bx'" in dup.message and "\\\\" not in dup.message


def test_nfc_nfd_collision_says_accents_differ():
    nfd, nfc = unicodedata.normalize("NFD", "Zürich"), "Zürich"
    frame = wide(**{nfc: ["a"] * 8}).with_columns(pl.lit("b").alias(nfd))
    _, report = prepare(frame)
    (dup,) = rules(report, "duplicate_column")
    assert "how accents are encoded" in dup.message and "U+0308" in dup.message


def test_formula_warning_once_per_column_naming_it():
    _, report = prepare(wide(segment=["=1"] * 8, note=["@x"] * 8))
    formula = rules(report, "formula_like_text")
    assert sorted(p.column for p in formula) == ["note", "segment"]
    assert all("8 value(s)" in p.message for p in formula)


def test_code_points_names_characters():
    assert code_points("mеnu") == "U+0435 CYRILLIC SMALL LETTER IE"


KIOSK = "data/examples/kiosk"
KIOSK_INSTRUMENT = load_instrument(f"{KIOSK}/instrument.csv")


def long_csv(items: list[str]) -> bytes:
    """A long file of two respondents answering ``items`` at the default first stage."""
    lines = ["respondent_id,stage,item,expectation,perception"]
    lines += [f"r{r},pre_purchase,{item},5,4" for r in (1, 2) for item in items]
    return ("\n".join(lines) + "\n").encode()


def test_an_unknown_item_that_looks_like_a_known_one_shows_its_code_points():
    wave, report = prepare_wave(
        long_csv(["clear_materials", "clear_mаterials"]), "l.csv", INSTRUMENT
    )
    assert wave is None
    unknown = rules(report, "unknown_item")
    assert unknown and all(
        "(it looks like 'clear_materials' but holds U+0430 CYRILLIC SMALL LETTER A)" in p.message
        for p in unknown
    )
    wave, report = prepare_wave(long_csv(["clear_stuff"]), "l.csv", INSTRUMENT)
    assert "looks like" not in rules(report, "unknown_item")[0].message  # a plain typo


def test_a_wave_label_mixing_scripts_is_warned_with_code_points():
    said = label_warning("2026-Q3 Wаve")
    assert "'Wаve' (U+0430 CYRILLIC SMALL LETTER A)" in said and "'2026-Q3 Wave'" in said
    assert label_warning("2026-Q3") is None and label_warning("Волна 3") is None
    assert check_label("2026-Q3 Wаve") == "2026-Q3 Wаve"  # kept as typed


def _instrument(old: str, new: str):
    text = (pathlib.Path(KIOSK) / "instrument.csv").read_text("utf-8")
    assert old in text
    return load_instrument(text.replace(old, new, 1).encode(), "mine.csv")


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "Ease of use",
            "Ease of\u200b use",
            "U+200B ZERO WIDTH SPACE); it is read as 'Ease of use'",
        ),
        ("Ease of use", "Ease of u\x07se", "U+0007"),
        ("Ease of use", "Ease of\u00a0use", "U+00A0 NO-BREAK SPACE); it is read as 'Ease of use'"),
        ("Kiosk", "Kio\u0301sk", "U+0301 COMBINING ACUTE ACCENT); it is read as 'Kiósk'"),
        ("Ease of use", "Ease оf use", "'оf' (U+043E CYRILLIC SMALL LETTER O); it is kept"),
    ],
    ids=["zero_width", "control", "no_break_space", "nfd", "mixed_script"],
)
def test_instrument_names_are_normalised_or_kept_with_a_note(old, new, said):
    instrument = _instrument(old, new)
    assert any(said in note for note in instrument.notes), instrument.notes
    assert len(instrument.notes) == 1  # once per name, not once per line


def test_an_instrument_code_with_a_look_alike_is_refused_with_its_code_points():
    with pytest.raises(InstrumentError, match="holds U\\+0430 CYRILLIC SMALL LETTER A"):
        _instrument("menu_clear,", "menu_cleаr,")


def test_the_shipped_instruments_have_no_notes():
    assert INSTRUMENT.notes == ()
    assert KIOSK_INSTRUMENT.notes == ()


def _kiosk_mapping(old: str, new: str) -> bytes:
    """The mapping gapmodel proposes for the kiosk example, with ``old`` replaced by ``new``."""
    data = (pathlib.Path(KIOSK) / "wave-2026-10.csv").read_bytes()
    table = read_table(data, "wave-2026-10.csv", ReadOptions())
    text = mapping_csv(propose(table, KIOSK_INSTRUMENT, ReadOptions())).decode("utf-8-sig")
    assert old in text
    return text.replace(old, new, 1).encode()


def test_a_mapping_attribute_name_of_invisible_characters_is_refused():
    data = (pathlib.Path(KIOSK) / "wave-2026-10.csv").read_bytes()
    mapping = read_mapping(
        _kiosk_mapping("Sex,attribute,,,,Sex,", "Sex,attribute,,,,\u200b\u2060,")
    )
    wave, report = prepare_wave(data, "k.csv", KIOSK_INSTRUMENT, mapping=mapping)
    assert wave is None
    (bad,) = rules(report, "invalid_mapping")
    assert "holds only invisible characters or spaces. Give the attribute a name" in bad.message
    assert bad.column == "Sex"


def test_a_mapping_measure_with_a_look_alike_names_its_code_point():
    data = _kiosk_mapping(
        "menu_clear.E,score,Kiosk,menu_clear,E,", "menu_clear.E,score,Kiosk,menu_clear,Е,"
    )
    with pytest.raises(MappingError) as caught:
        read_mapping(data)
    (problem,) = caught.value.problems
    assert "Got 'Е' (U+0415 CYRILLIC CAPITAL LETTER IE)." in problem.message
