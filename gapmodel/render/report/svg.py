"""SVG charts made safe to inline in an HTML page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_SVG_NS, _XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"


def safe_svg(svg: str, prefix: str = "chart") -> str:
    """An SVG from the chart renderer, re-serialised for inlining in HTML.

    Parsed as XML (so all text is escaped); scripts, foreign objects, images, event handlers,
    links and ``url()`` references that leave the document are removed; element ids get
    ``prefix`` so that several charts on one page do not share a gradient or clip path; the
    size follows the container (the ``viewBox`` keeps the aspect ratio).
    """
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", _XLINK_NS)
    root = ET.fromstring(svg)
    ids = {e.get("id") for e in root.iter() if e.get("id")}

    def local_ref(match: re.Match) -> str:
        name = match.group(1)
        return f"url(#{prefix}-{name})" if name in ids else "none"

    for parent in root.iter():
        for child in list(parent):
            tag = child.tag.rsplit("}", 1)[-1].lower()
            if tag in ("script", "foreignobject", "iframe", "image", "a", "use"):
                parent.remove(child)
        for name in list(parent.attrib):
            local = name.rsplit("}", 1)[-1].lower()
            value = parent.attrib[name].strip()
            if local.startswith("on") or local == "href":
                del parent.attrib[name]
            elif local == "id":
                parent.set(name, f"{prefix}-{value}")
            elif "url(" in value.lower():
                fixed = re.sub(r"url\(\s*#([^)\s]+)\s*\)", local_ref, value)
                parent.set(name, re.sub(r"url\((?!#)[^)]*\)", "none", fixed))
    root.set("width", "100%")
    root.attrib.pop("height", None)
    root.set("role", "img")
    return ET.tostring(root, encoding="unicode")
