"""Start ``streamlit run dashboard.py`` on a free localhost port and drive it with chromium."""

from __future__ import annotations

import contextlib
import os
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_dashboard(db: Path, timeout: float = 120) -> Iterator[str]:
    """Run the dashboard on ``db``; yield its URL; stop it afterwards."""
    port = free_port()
    env = dict(os.environ, GAPMODEL_DB=str(db))
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
            "127.0.0.1",
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


def wait_until_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the app has finished its script run."""
    page.wait_for_selector("[data-test-script-state=notRunning]", timeout=timeout_ms)


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
