"""Data text is shown as plain text on every page: a segment name, wave label, item wording or
attribute name holding a URL, an e-mail address or markdown never becomes a link, an image or
formatting in the browser (Streamlit's markdown autolinks bare URLs)."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import polars as pl
import pytest
from browser_support import PAGES, running_dashboard, settle

from gapmodel.core.instrument import load_instrument
from gapmodel.ingest.prepare import prepare_wave
from gapmodel.storage.store import Store
from gapmodel.tools.demo import generate_wave, wave_csv
from ui.text import WORD_JOINER

pytestmark = pytest.mark.browser

EVIL = "evil.example"
SEGMENTS = [
    "https://evil.example/login",
    "www.evil.example",
    "[x](http://evil.example)",
    "<http://evil.example>",
    "mail@evil.example",
    "![i](http://evil.example/p.png)",
]
CHANNELS = ["**bold**", "_it_", "~~gone~~"]
WAVES = ["http://evil.example/w1", "www.evil.example/w2"]
ATTRIBUTE = "see www.evil.example"
WORDINGS = {
    "a1": "Open https://evil.example/login now",
    "a2": "[click](http://evil.example) here",
    "t1": "Write to help@evil.example",
    "t2": "![pic](http://evil.example/p.png) <b>bold</b>",
}


def hostile_link_db(path):
    """Two waves labelled with URLs; segments, a channel, an attribute name and item wordings
    holding URLs, e-mail addresses and markdown."""
    text = "code,wording,dimension,element,stages\n" + "".join(
        f'{code},"{wording}",{"assurance" if code[0] == "a" else "tangibles"},'
        f"{'human' if code[0] == 'a' else 'technical'},Arrival|_Departure_\n"
        for code, wording in WORDINGS.items()
    )
    instrument = load_instrument(text.encode(), "links.csv")
    n = 40 * len(SEGMENTS)
    with Store.open(path) as store:
        for k, label in enumerate(WAVES):
            wide = generate_wave(n, k, instrument, seed=70 + k).with_columns(
                segment=pl.Series([SEGMENTS[i % len(SEGMENTS)] for i in range(n)]),
                channel=pl.Series([CHANNELS[i % len(CHANNELS)] for i in range(n)]),
                **{ATTRIBUTE: pl.Series([("one", "two")[i % 2] for i in range(n)])},
            )
            wave, report = prepare_wave(wave_csv(wide), f"{k}.csv", instrument, "1-7")
            assert wave is not None, report.to_text()
            store.ingest_wave(wave, label, date(2026, 1 + 3 * k, 1))
    return path


_LINKS_JS = """evil => [...document.querySelectorAll('a[href], img[src]')]
    .map(e => e.getAttribute('href') || e.getAttribute('src'))
    .filter(u => u.includes(evil))"""
_FORMATTED_JS = """() => [...document.querySelectorAll(
    'strong, em, del')]
    .map(e => e.innerText.trim())
    .filter(t => ['bold', 'it', 'gone', 'Departure'].includes(t))"""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    db = hostile_link_db(tmp_path_factory.mktemp("links") / "links.duckdb")
    with running_dashboard(db) as url:
        yield url


@pytest.mark.parametrize("segment", [SEGMENTS[0], SEGMENTS[1], SEGMENTS[4]])
@pytest.mark.parametrize("name", list(PAGES))
def test_no_link_image_or_formatting_from_data(page, dashboard, name, segment):
    query = f"?segment={quote(segment)}&compare={quote(WAVES[0])}&channel={quote(CHANNELS[0])}"
    page.goto(f"{dashboard}/{PAGES[name]}{query}")
    settle(page)
    text = page.get_by_test_id("stMain").inner_text().replace(WORD_JOINER, "")
    assert "Traceback" not in text
    if name not in ("glossary", "data"):  # (the Data page names no segment)
        assert segment in text  # shown, as written
    assert page.evaluate(_LINKS_JS, EVIL) == []
    assert page.evaluate(_FORMATTED_JS) == []
