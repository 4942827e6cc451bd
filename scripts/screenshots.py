"""Screenshots of every dashboard page in headless Chromium (1440x900 unless told otherwise).

Usage: .venv/bin/python scripts/screenshots.py [--db PATH] [--out screenshots] [--full]
       [--size 1280x720]

Without --db a demo database is built in a temporary folder. Each page is saved as
``<out>/<page>.png``; --full also saves the whole scrolled page as ``<page>-full.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import CHROMIUM, CHROMIUM_ARGS, running_dashboard, wait_until_idle  # noqa: E402

PAGES = {
    "overview": "",
    "journey": "journey",
    "details": "details",
    "segments": "segments",
    "trends": "trends",
    "priorities": "priorities",
    "data": "data",
}


def capture(db: Path, out: Path, full: bool, size: tuple[int, int] = (1440, 900)) -> list[Path]:
    """Visit every page of the dashboard running on ``db`` and save its screenshot."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with running_dashboard(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        for name, path in PAGES.items():
            page.goto(f"{url}/{path}")
            wait_until_idle(page)
            page.wait_for_timeout(1500)  # let Vega finish drawing
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            saved.append(target)
            if full:
                page.screenshot(path=str(out / f"{name}-full.png"), full_page=True)
        browser.close()
    return saved


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(
            f"give the viewport as WIDTHxHEIGHT, e.g. 1280x720. Got {text!r}."
        )
    return int(width), int(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database to show (default: a fresh demo)")
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--full", action="store_true", help="also save full-page screenshots")
    parser.add_argument(
        "--size", type=_size, default=(1440, 900), help="viewport WIDTHxHEIGHT (default 1440x900)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "demo.duckdb"
        for path in capture(db, args.out, args.full, args.size):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
