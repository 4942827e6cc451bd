"""Screenshots of every dashboard page in headless Chromium (1440x900 unless told otherwise).

Usage: .venv/bin/python scripts/screenshots.py [--db PATH] [--out screenshots] [--full]
       [--size 1280x720] [--simulate deuteranopia|protanopia|tritanopia]

Without --db a demo database is built in a temporary folder. Each page is saved as
``<out>/<page>.png``; --full also saves the whole scrolled page as ``<page>-full.png``.
--simulate (repeatable) shows the page as a person with that colour-vision deficiency sees it
and saves ``<page>-<deficiency>.png`` (and ``<page>-<deficiency>-full.png``) instead.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import CHROMIUM, CHROMIUM_ARGS, PAGES, running_dashboard, settle  # noqa: E402

# Colour-vision deficiencies as Machado, Oliveira & Fernandes (2009) simulate them at severity
# 1.0: 3x3 matrices on linear RGB, rows giving the simulated red, green and blue.
DEFICIENCIES = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}

# An SVG filter applying the matrix (in linear RGB, as the matrices are defined) set as the
# CSS filter of the html element: everything drawn, canvas and SVG charts too, goes through it.
_SIMULATE = """values => {
    const ns = 'http://www.w3.org/2000/svg';
    let svg = document.getElementById('cvd-simulation');
    if (!svg) {
        svg = document.createElementNS(ns, 'svg');
        svg.id = 'cvd-simulation';
        svg.setAttribute('aria-hidden', 'true');
        svg.setAttribute('style', 'position:absolute;width:0;height:0;overflow:hidden');
        const filter = document.createElementNS(ns, 'filter');
        filter.id = 'cvd-filter';
        filter.setAttribute('color-interpolation-filters', 'linearRGB');
        filter.appendChild(document.createElementNS(ns, 'feColorMatrix'));
        svg.appendChild(filter);
        document.body.appendChild(svg);
    }
    const matrix = svg.querySelector('feColorMatrix');
    matrix.setAttribute('type', 'matrix');
    matrix.setAttribute('values', values);
    document.documentElement.style.filter = 'url(#cvd-filter)';
}"""


def simulate(page, deficiency: str) -> None:
    """Show ``page`` as seen with ``deficiency`` (a key of DEFICIENCIES) until it is reloaded."""
    rows = DEFICIENCIES[deficiency]
    values = " ".join(" ".join(f"{v:g}" for v in row) + " 0 0" for row in rows) + " 0 0 0 1 0"
    page.evaluate(_SIMULATE, values)
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def capture(
    db: Path,
    out: Path,
    full: bool,
    size: tuple[int, int] = (1440, 900),
    deficiencies: list[str] | None = None,
) -> list[Path]:
    """Visit every page of the dashboard running on ``db`` and save its screenshot; with
    ``deficiencies``, one screenshot per deficiency simulated instead."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with running_dashboard(db) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": size[0], "height": size[1]})
        for name, path in PAGES.items():
            page.goto(f"{url}/{path}")
            settle(page)  # the run over, every chart drawn and still
            for deficiency in deficiencies or [None]:
                stem = name
                if deficiency is not None:
                    simulate(page, deficiency)
                    stem = f"{name}-{deficiency}"
                target = out / f"{stem}.png"
                page.screenshot(path=str(target))
                saved.append(target)
                if full:
                    page.screenshot(path=str(out / f"{stem}-full.png"), full_page=True)
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
    parser.add_argument(
        "--simulate",
        action="append",
        choices=sorted(DEFICIENCIES),
        help="simulate a colour-vision deficiency (Machado et al. 2009, severity 1.0); repeatable",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "demo.duckdb"
        for path in capture(db, args.out, args.full, args.size, args.simulate):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
