"""Charts as image files: the Altair specifications of :mod:`gapmodel.render.charts`, rendered to PNG
and SVG without a browser (vl-convert renders Vega-Lite in-process).

The pages draw charts with ``width="container"`` (they fill the column they sit in); a file
needs a fixed size, so :func:`sized_spec` fixes it. ``width`` and ``height`` are the size of the
whole image in CSS pixels, axes, legends and titles included; a PNG has ``scale`` image pixels
per CSS pixel (2 by default, sharp on high-density screens and in print).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import altair as alt
import vl_convert as vlc

from gapmodel.render import charts

DEFAULT_WIDTH = 900
_CONCAT_KEYS = ("hconcat", "vconcat", "concat")
_SVG_SIZE = re.compile(r'<svg[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"')
_MIN_SIDE, _MAX_SIDE = 50, 10_000


def _check(width: int, height: int | None, scale: float = 1.0) -> None:
    for name, value in (("width", width), ("height", height)):
        if value is None and name == "height":
            continue
        if not isinstance(value, int) or not _MIN_SIDE <= value <= _MAX_SIDE:
            raise ValueError(
                f"The chart {name} must be a whole number of pixels from {_MIN_SIDE} to "
                f"{_MAX_SIDE}. Got {value!r}."
            )
    if not 0.25 <= scale <= 8:
        raise ValueError(f"The PNG scale must be between 0.25 and 8. Got {scale!r}.")


def _svg_size(svg: str) -> tuple[float, float]:
    match = _SVG_SIZE.search(svg)
    if match is None:
        raise RuntimeError("The chart renderer returned an SVG without a width and height.")
    return float(match.group(1)), float(match.group(2))


def _spec(chart: alt.TopLevelMixin | dict) -> dict[str, Any]:
    """The chart's Vega-Lite dictionary, with the shared typography when it has none yet."""
    if isinstance(chart, dict):
        return copy.deepcopy(chart)
    if getattr(chart, "config", alt.Undefined) is alt.Undefined:
        chart = charts.finish(chart)
    return chart.to_dict()


def sized_spec(
    chart: alt.TopLevelMixin | dict, width: int = DEFAULT_WIDTH, height: int | None = None
) -> dict[str, Any]:
    """The Vega-Lite specification of ``chart`` drawn ``width`` x ``height`` pixels in all.

    Parameters
    ----------
    chart : altair chart or dict
        A chart of :mod:`gapmodel.render.charts` (``charts.finish`` is applied if it was not), or its
        Vega-Lite dictionary.
    width : int
        Width of the whole image in CSS pixels (50 to 10,000).
    height : int, optional
        Height of the whole image; None keeps the chart's own height (charts with one bar per
        row grow with their rows, so that labels never overlap).

    Returns
    -------
    dict
        A copy of the specification with a fixed size. A single or layered chart is fitted
        with Vega-Lite's ``autosize: fit``; side-by-side charts (which Vega-Lite cannot fit)
        share the width equally, measured once and corrected so the image is the size asked.
    """
    _check(width, height)
    spec = _spec(chart)
    concat = next((k for k in _CONCAT_KEYS if k in spec), None)
    if concat is None:
        spec["width"] = width
        if height is None:
            spec["autosize"] = {"type": "fit-x", "contains": "padding"}
        else:
            spec["height"] = height
            spec["autosize"] = {"type": "fit", "contains": "padding"}
        return spec
    parts = spec[concat]
    across = len(parts) if concat != "vconcat" else 1
    down = len(parts) if concat == "vconcat" else 1
    for part in parts:
        part["width"] = max(int(width / across) - 120, 40)
        if height is not None:
            part["height"] = max(int(height / down) - 80, 40)
    # The space taken by axes, legends and titles does not depend on the plot size: measure it
    # once and give the difference to the plots.
    got_w, got_h = _svg_size(vlc.vegalite_to_svg(spec))
    for part in parts:
        part["width"] = max(part["width"] + (width - got_w) / across, 20)
        if height is not None:
            part["height"] = max(part["height"] + (height - got_h) / down, 20)
    return spec


def chart_svg(
    chart: alt.TopLevelMixin | dict, width: int = DEFAULT_WIDTH, height: int | None = None
) -> str:
    """The chart as an SVG document (text), ``width`` x ``height`` CSS pixels.

    Parameters
    ----------
    chart : altair chart or dict
        Any chart of :mod:`gapmodel.render.charts`, as drawn on a page (e.g. ``charts.journey_map``
        for the Overview's journey map); see :func:`sized_spec`.
    width, height : int
        Size of the whole image; ``height=None`` keeps the chart's own height.

    Returns
    -------
    str
        A standalone SVG document whose ``width`` attribute is ``width``. Text (labels,
        uploaded segment names) is escaped by the renderer; the SVG holds no script.
    """
    return vlc.vegalite_to_svg(sized_spec(chart, width, height))


def chart_png(
    chart: alt.TopLevelMixin | dict,
    width: int = DEFAULT_WIDTH,
    height: int | None = None,
    scale: float = 2.0,
) -> bytes:
    """The chart as a PNG image of ``width * scale`` x ``height * scale`` pixels.

    Parameters
    ----------
    chart : altair chart or dict
        Any chart of :mod:`gapmodel.render.charts`, as drawn on a page; see :func:`sized_spec`.
    width, height : int
        Size of the whole image in CSS pixels; ``height=None`` keeps the chart's own height.
    scale : float
        Image pixels per CSS pixel (0.25 to 8); 2 is sharp on screens and in print.

    Returns
    -------
    bytes
        The PNG file, white background.
    """
    _check(width, height, scale)
    return vlc.vegalite_to_png(sized_spec(chart, width, height), scale=scale)
