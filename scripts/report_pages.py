"""Render the management report of the demo data to PNG pages under screenshots/report/.

    .venv/bin/python scripts/report_pages.py [--respondents 4000] [--out screenshots/report]

Builds the seeded demo (3 waves) in a temporary folder, writes the PDF report of the latest wave
against the one before, and renders each page with pypdfium2 (a development dependency) as a
PNG of 256 colours, small enough to keep in the repository. Prints the time each format took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gapmodel import views  # noqa: E402
from gapmodel.render import report as briefing  # noqa: E402
from gapmodel.storage.store import Store  # noqa: E402
from gapmodel.tools.demo import build_demo  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=4000, help="per wave (default 4000)")
    parser.add_argument("--out", default="screenshots/report", help="folder for the PNG pages")
    parser.add_argument("--scale", type=float, default=1.3, help="pixels per PDF point")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        build_demo(db, n_respondents=args.respondents, n_waves=3)
        with Store.open(db, read_only=True) as store:
            survey = views.load_survey(store)
        started = time.perf_counter()
        content = briefing.build_briefing(survey, views.Filters())
        print(f"tables and findings: {time.perf_counter() - started:.2f} s")
        files = {}
        for fmt in briefing.REPORT_FORMATS:
            started = time.perf_counter()
            files[fmt] = briefing.render(content, fmt)
            print(f"{fmt}: {time.perf_counter() - started:.2f} s, {len(files[fmt]):,} bytes")
    for old in out.glob("page-*.png"):
        old.unlink()
    document = pdfium.PdfDocument(files["pdf"])
    for number, page in enumerate(document, start=1):
        image = page.render(scale=args.scale).to_pil().convert("RGB")
        image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        path = out / f"page-{number}.png"
        image.save(path, optimize=True)
        print(f"{path}: {image.size[0]}x{image.size[1]}, {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
