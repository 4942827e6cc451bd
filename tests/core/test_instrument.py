"""The default instrument covers the design's dimensions, stages, elements and expectations."""

import pytest

from gapmodel.core.errors import InstrumentError
from gapmodel.core.instrument import default_instrument, load_instrument
from gapmodel.core.vocabulary import DEFAULT_DIMENSIONS, DEFAULT_STAGES, ELEMENTS

HEADER = "code,wording,dimension,element,stages\n"


def test_default_instrument_covers_the_design():
    instrument = default_instrument()
    items = instrument.items
    assert 20 <= items.height <= 25
    assert set(items["dimension"]) == set(DEFAULT_DIMENSIONS)
    assert set(items["element"]) == set(ELEMENTS)
    pairs = instrument.pairs()
    assert set(pairs["stage"]) == set(DEFAULT_STAGES)
    assert items["code"].n_unique() == items.height


@pytest.mark.parametrize(
    "words",
    [
        "seriously",
        "competent",
        "explained",
        "courtesy",
        "options",
        "passed around",
        "listened",
        "dedicated attention",
        "know the answers",
        "friendly",
        "kept informed",
        "do what they say",
        "honest",
        "feedback",
        "empathy and respect",
        "first contact",
        "works as promised",
    ],
)
def test_default_instrument_includes_common_expectations(words):
    wording = " ".join(default_instrument().items["wording"].str.to_lowercase())
    assert words in wording


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("", "no items"),
        ("a,Item A,reliability,human,tele/port\n", "stage"),
        ("a,Item A,Not A Name!,human,encounter\n", "dimension"),
        ("a,Item A,reliability,robotic,encounter\n", "element"),
        ("a,Item A,reliability,human,encounter\na,Item B,empathy,human,encounter\n", "twice"),
        ("A b!,Item,reliability,human,encounter\n", "code"),
        # names that file columns would spell alike
        ("Q1,Item A,reliability,,encounter\nQ1_,Item B,reliability,,encounter\n", "twice"),
        ("b_c,Item A,reliability,,a\nc,Item B,reliability,,a_b\n", "same column names"),
    ],
)
def test_invalid_instrument_is_refused_with_a_reason(tmp_path, body, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body)
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert fragment in str(info.value).lower()


def test_instrument_missing_a_column_is_refused():
    with pytest.raises(InstrumentError, match="stages"):
        load_instrument(b"code,wording,dimension,element\na,A,empathy,human\n")


def test_custom_dimensions_are_allowed():
    instrument = load_instrument((HEADER + "a,Item A,luck,human,encounter\n").encode())
    assert instrument.dimensions == ("luck",)


def test_custom_instrument_loads_from_bytes():
    instrument = load_instrument(
        (
            HEADER + "wait,Short waiting time,responsiveness,technical,encounter|post_purchase\n"
        ).encode(),
        name="mini",
    )
    assert instrument.codes == ["wait"]
    assert instrument.pairs().height == 2


def test_a_header_given_twice_is_refused_not_dropped():
    with pytest.raises(InstrumentError, match="column code more than once"):
        load_instrument(b"code,wording,dimension,stages,Code\nq,Q,D,A,x\n")


def test_names_spelled_alike_are_one_name_as_first_written():
    instrument = load_instrument(
        b"code,wording,dimension,stages\n"
        b"q,Q,Speed & responsiveness,Pre-purchase\nr,R,speed responsiveness,pre purchase|After\n"
    )
    assert instrument.stages == ("Pre-purchase", "After")
    assert instrument.dimensions == ("Speed & responsiveness",)
