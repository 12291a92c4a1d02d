"""Write a scene as a standalone SVG picture: the canvas's drawing, made in Python.

:func:`scene_svg` writes every node of a :class:`~vsm_widget.presentation.scene.Scene`
with the same hooks as the canvas (``data-vsm-id``, ``data-vsm-kind``, ``data-vsm-node``,
``data-vsm-field``), and resolves each shape's role classes into colours of one palette
(``light``, ``dark`` or ``print``), so the file needs no stylesheet. The document is
built with :mod:`xml.etree.ElementTree`, which escapes every user string.
"""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
from functools import lru_cache
from typing import Any

from .palette import PALETTES, resolve_style
from .scene import Scene
from .text import FONT_FAMILY, FONTS

__all__ = ["SVG_NS", "scene_svg", "font_face_css"]

SVG_NS = "http://www.w3.org/2000/svg"
_META = frozenset({"t", "c", "f", "m", "tip", "text", "spans", "kids", "marker"})
_LAYERS = ("timeline", "links", "nodes", "bursts")


@lru_cache(maxsize=1)
def font_face_css() -> str:
    """``@font-face`` rules that carry the shipped Inter font inside a picture."""
    rules = []
    for weight in (400, 600):
        data = (FONTS / f"inter-latin-{weight}-normal.woff2").read_bytes()
        encoded = base64.b64encode(data).decode("ascii")
        rules.append(
            "@font-face { font-family: 'VSM Inter'; font-style: normal; "
            f"font-weight: {weight}; src: url(data:font/woff2;base64,{encoded}) format('woff2'); }}"
        )
    return "\n".join(rules)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    return str(value)


class _Writer:
    def __init__(self, palette: dict[str, str], prefix: str) -> None:
        self.palette = palette
        self.prefix = prefix
        self.styles: dict[tuple[str, bool], dict[str, str]] = {}

    def style(self, classes: str, text: bool) -> dict[str, str]:
        key = (classes, text)
        cached = self.styles.get(key)
        if cached is None:
            cached = resolve_style(classes.split(), self.palette, text=text)
            self.styles[key] = cached
        return cached

    def shape(self, parent: ET.Element, shape: dict[str, Any]) -> None:
        tag = shape["t"]
        classes = shape.get("c", "")
        attrs: dict[str, str] = {}
        if classes or tag == "text":
            if classes:
                attrs["class"] = classes
            attrs.update(self.style(classes, tag == "text"))
        for key, value in shape.items():
            if key in _META:
                continue
            if isinstance(value, str) and value.startswith("@"):
                value = f"url(#{self.prefix}-{value[1:]})"
            attrs[key] = _number(value)
        if "marker" in shape:
            attrs["marker-end"] = f"url(#{self.prefix}-{shape['marker'][1:]})"
        if "f" in shape:
            attrs["data-vsm-field"] = shape["f"]
        if "m" in shape:
            attrs["data-vsm-metric"] = shape["m"]
        element = ET.SubElement(parent, tag, attrs)
        if tag == "text":
            if "spans" in shape:
                for x, y, content in shape["spans"]:
                    span = ET.SubElement(element, "tspan", {"x": _number(x), "y": _number(y)})
                    span.text = content
            else:
                element.text = shape.get("text", "")
        for kid in shape.get("kids", ()):
            self.shape(element, kid)
        if shape.get("tip"):
            ET.SubElement(element, "title").text = shape["tip"]

    def defs(self, root: ET.Element) -> None:
        defs = ET.SubElement(root, "defs")
        marker = ET.SubElement(
            defs,
            "marker",
            {
                "id": f"{self.prefix}-arrow",
                "viewBox": "0 0 10 10",
                "refX": "9",
                "refY": "5",
                "markerWidth": "8",
                "markerHeight": "8",
                "orient": "auto-start-reverse",
                "markerUnits": "userSpaceOnUse",
            },
        )
        self.shape(marker, {"t": "path", "d": "M0,0 L10,5 L0,10 Z", "c": "vsm-marker"})
        stripes = ET.SubElement(
            defs,
            "pattern",
            {"id": f"{self.prefix}-stripes", "width": "8", "height": "8", "patternUnits": "userSpaceOnUse"},
        )
        self.shape(stripes, {"t": "rect", "width": 8, "height": 8, "c": "vsm-stripe-bg"})
        self.shape(stripes, {"t": "rect", "width": 4, "height": 8, "c": "vsm-stripe"})
        hatch = ET.SubElement(
            defs,
            "pattern",
            {
                "id": f"{self.prefix}-hatch",
                "width": "6",
                "height": "6",
                "patternUnits": "userSpaceOnUse",
                "patternTransform": "rotate(45)",
            },
        )
        self.shape(hatch, {"t": "line", "x1": 0, "y1": 0, "x2": 0, "y2": 6, "c": "vsm-hatch"})


def _prefix(scene: Scene) -> str:
    """Definition ids from the drawing's content: two maps on one page never share them."""
    digest = hashlib.sha1(
        repr([n.to_dict() for n in scene.nodes]).encode("utf-8", "replace"), usedforsecurity=False
    )
    return f"vsm{digest.hexdigest()[:8]}"


def scene_svg(
    scene: Scene,
    *,
    palette: str = "light",
    embed_font: bool = False,
    scalable: bool = False,
) -> str:
    """The scene as an SVG document (text).

    ``palette`` is ``"light"``, ``"dark"`` or ``"print"``; ``embed_font`` carries the
    Inter font inside the file (about 65 kB), so it looks the same on machines without
    it; ``scalable`` makes the picture shrink to the width of its container (notebook
    outputs), keeping its proportions.
    """
    if palette not in PALETTES:
        raise ValueError(f"unknown palette {palette!r}; use one of {', '.join(PALETTES)}")
    colours = PALETTES[palette]
    writer = _Writer(colours, _prefix(scene))
    b = scene.bounds
    attrs = {
        "xmlns": SVG_NS,
        "version": "1.1",
        "viewBox": f"{_number(b.x)} {_number(b.y)} {_number(b.w)} {_number(b.h)}",
        "font-family": FONT_FAMILY,
        "class": "vsm-svg",
        "role": "img",
        "aria-label": f"Value stream map: {scene.title}",
        "data-vsm-palette": palette,
    }
    features = (
        "font-kerning:none;font-variant-ligatures:none;font-feature-settings:'kern' 0,'liga' 0,'calt' 0;"
        "text-rendering:geometricPrecision"
    )
    if scalable:
        attrs["width"] = "100%"
        attrs["style"] = f"max-width:{_number(b.w)}px;height:auto;{features}"
        attrs["preserveAspectRatio"] = "xMinYMin meet"
    else:
        attrs["width"] = _number(b.w)
        attrs["height"] = _number(b.h)
        attrs["style"] = features
    root = ET.Element("svg", attrs)
    ET.SubElement(root, "title").text = scene.title
    if embed_font:
        ET.SubElement(root, "style").text = font_face_css()
    writer.defs(root)
    ET.SubElement(
        root,
        "rect",
        {
            "x": _number(b.x),
            "y": _number(b.y),
            "width": _number(b.w),
            "height": _number(b.h),
            "fill": colours["bg"],
        },
    )
    layers = {name: ET.SubElement(root, "g", {"class": f"vsm-layer-{name}"}) for name in _LAYERS}
    for node in scene.nodes:
        if node.kind == "slot":
            continue  # the canvas's insertion handles are no part of a picture
        classes = f"vsm-el vsm-{node.kind}" + (f" {node.role}" if node.role else "")
        attrs = {
            "class": classes,
            "data-vsm-kind": node.kind,
            "data-vsm-node": node.key,
            "aria-label": node.label,
        }
        if node.id is not None:
            attrs["data-vsm-id"] = node.id
        g = ET.SubElement(layers[node.layer], "g", attrs)
        for shape in node.shapes:
            writer.shape(g, shape)
        if node.tip:
            ET.SubElement(g, "title").text = node.tip
    return ET.tostring(root, encoding="unicode")
