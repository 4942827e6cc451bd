"""Start ``streamlit run dashboard.py`` on a free localhost port and drive it with chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from gapmodel.core.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1440, "height": 900}
# The dashboard's pages: name -> URL path.
PAGES = {
    "overview": "",
    "journey": "journey",
    "details": "details",
    "segments": "segments",
    "trends": "trends",
    "priorities": "priorities",
    "glossary": "glossary",
    "data": "data",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_dashboard(
    db: Path, timeout: float = 120, address: str = "127.0.0.1", env: dict | None = None
) -> Iterator[str]:
    """Run the dashboard on ``db``, listening on ``address``; yield its URL on 127.0.0.1; stop
    it afterwards (its output is in ``db`` with the suffix ``.log``)."""
    port = free_port()
    env = dict(os.environ, GAPMODEL_DB=str(db), **(env or {}))
    log = open(db.with_suffix(".log"), "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            "--server.port",
            str(port),
            "--server.address",
            address,
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {db.with_suffix('.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextlib.contextmanager
def dashboard_on_copy(source: Path, folder: Path) -> Iterator[str]:
    """Run the dashboard on a private copy of the database ``source`` (placed in ``folder``),
    so that what a test writes stays its own; yield its URL."""
    db = folder / "dashboard.duckdb"
    shutil.copy(source, db)
    with running_dashboard(db) as url:
        yield url


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the app has finished its script run."""
    page.wait_for_selector("[data-test-script-state=notRunning]", timeout=timeout_ms)


# True once the page has stopped moving: the script run over, the page's title drawn (every
# page has one), fonts loaded, no skeleton left (Streamlit shows one while the code of a chart
# or table is still loading, after the run is over), every visible chart drawn, and the boxes of
# the charts, grids and expanders the same at three polls in a row.
_SETTLED_JS = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const ready = document.fonts.status === 'loaded'
        && document.querySelector('[data-test-script-state=notRunning]')
        && main && main.querySelector('h1, [data-testid=stHeading]')
        && !document.querySelector('[data-testid=stSkeleton]');
    const boxes = [...document.querySelectorAll(
        '.vega-embed, [data-testid=stDataFrame], [data-testid=stExpanderDetails]')]
        .filter(e => e.offsetParent !== null);
    const drawn = boxes.every(e => !e.classList.contains('vega-embed')
        || e.querySelector('svg.marks > g, canvas.marks'));
    const signature = boxes.map(e => {
        const r = e.getBoundingClientRect();
        const inside = e.querySelectorAll('svg.marks text, canvas').length;
        return [r.x, r.y, r.width, r.height, inside].map(Math.round).join(',');
    }).join(';');
    if (!ready || !drawn || window.__auditSignature !== signature) {
        window.__auditSignature = signature;
        window.__auditStill = 0;
        return false;
    }
    return ++window.__auditStill >= 2;
}"""


def settle(page) -> None:
    """Wait until the app's run is over and its charts and tables are drawn and still."""
    wait_until_idle(page)
    page.evaluate("() => { window.__auditSignature = undefined; }")
    page.wait_for_function(_SETTLED_JS, polling=250, timeout=60_000)


def upload_file(page, url: str, name: str, data: bytes) -> None:
    """Open the Data page and give its uploader a file, as a user does; return once the
    uploader holds it and the page's run is over."""
    page.goto(f"{url}/data")
    # The page is drawn and its first run over (the script state reads "not running" before
    # the first run starts too): a file given to an uploader that a rerun replaces is lost.
    page.get_by_test_id("stFileUploaderDropzone").first.wait_for()
    wait_until_idle(page)
    page.locator("input[type=file]").first.set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_text(name).first.wait_for()  # the uploader holds the file
    wait_until_idle(page)


# True once the run that took the typed label is over: the label box holds it, no run is
# going on, and the Commit button is enabled (the script state reads "not running" for a moment
# before the rerun that Enter asks for has started).
_LABEL_TAKEN_JS = """label => {
    const box = document.querySelector('[data-testid=stTextInput] input[aria-label="Wave label"]');
    const button = [...document.querySelectorAll('button')]
        .find(b => b.innerText.trim() === 'Commit wave');
    const ready = box && box.value === label && button && !button.disabled
        && document.querySelector('[data-test-script-state=notRunning]');
    window.__labelStill = ready ? (window.__labelStill || 0) + 1 : 0;
    return window.__labelStill >= 3;
}"""


def commit_wave(page, label: str) -> None:
    """Once the uploaded file is valid, name its wave ``label``, press Commit wave and wait
    until the page says the wave is committed (raise with what it said otherwise)."""
    page.get_by_text("The file is valid.").wait_for(timeout=60_000)
    box = page.get_by_label("Wave label")
    box.fill(label)
    box.press("Enter")
    page.evaluate("() => { window.__labelStill = 0; }")
    page.wait_for_function(_LABEL_TAKEN_JS, arg=label, polling=250, timeout=60_000)
    page.get_by_role("button", name="Commit wave").click()
    outcome = page.get_by_text(f"Committed wave {label}").or_(page.get_by_text("Not committed"))
    outcome.first.wait_for(timeout=120_000)
    if not page.get_by_text(f"Committed wave {label}").count():
        raise AssertionError(page.get_by_test_id("stMain").inner_text())
    wait_until_idle(page)


def choose(page, label: str, option: str) -> float:
    """Pick an option of a sidebar selectbox, as a user does; return when the option was
    clicked (perf_counter), the start of the change as the user sees it."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=label)
    box.evaluate("box => box.scrollIntoView({block: 'center'})")  # the user scrolls down to it
    box.click()
    choice = page.get_by_role("option", name=option, exact=True)
    choice.wait_for()
    clicked = time.perf_counter()
    choice.click()
    wait_until_idle(page)
    return clicked


# The page caption describes the filters; it is drawn by the run that uses them.
_CAPTION_SHOWS = """text => {
    const caption = document.querySelector(
        '[data-testid="stMain"] [data-testid="stCaptionContainer"]');
    return caption !== null && caption.innerText.includes(text);
}"""


def wait_for_caption(page, text: str) -> None:
    """Wait until the page's caption names ``text`` (checked on every animation frame)."""
    page.wait_for_function(_CAPTION_SHOWS, arg=text, polling="raf", timeout=60_000)


# The first visible chart or table of the page, once laid out at least ``width`` pixels wide.
_DRAWN_WIDER_THAN = """([selector, width]) => [...document.querySelectorAll(
    '[data-testid="stMain"] ' + selector)].some(
        e => e.offsetParent !== null && e.getBoundingClientRect().width > width)"""


def wait_for_drawn(page, selector: str, width: int) -> None:
    """Wait until an element of ``selector`` in the page is visible and wider than ``width``
    pixels (a chart or table is laid out after it appears); time out otherwise."""
    page.wait_for_function(_DRAWN_WIDER_THAN, arg=[selector, width], timeout=60_000)
