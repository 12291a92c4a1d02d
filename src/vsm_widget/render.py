"""A static SVG picture of a map, drawn in Python with no browser.

:func:`render_svg` draws the standard value stream map: supplier and customer factory
icons with their data, production control, trucks, process boxes with data boxes,
inventory triangles (quantity, variants, days) or wait clocks, push / pull / FIFO
arrows, manual and electronic (zigzag) information arrows, kaizen bursts, and the
timeline ladder with lead time, process time and efficiency at its right end.

Elements are laid out left to right (or placed at their stored ``x``/``y``, read as the
top-left corner in canvas units). Every drawn element carries the same hooks as the
interactive canvas: ``data-vsm-kind`` and ``data-vsm-id``. The document is built with
:mod:`xml.etree.ElementTree`, which escapes every user string.

This module is pure Python: no Jupyter, no widgets, no browser.
"""

from __future__ import annotations

import hashlib
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import units
from .files import write_text_atomic
from .metrics import Metrics, compute
from .model import Gap, MapState, Process, ValueStreamMap

__all__ = ["render_svg", "save_svg"]

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
#: Average glyph width as a share of the font size, used to wrap text (no font metrics here).
CHAR = 0.6

MARGIN = 20.0
SIDE = 180.0  # supplier / customer columns
PROC_W = 140.0
GAP_W = 120.0
LINK_W = 50.0  # between two steps with no gap
LINE = 14
HEAD_H = 46.0
BURST_RX, BURST_RY = 62, 44

INK = "#1f2933"
MUTED = "#52606d"
PAPER = "#ffffff"
BOX_FILL = "#eef2f7"
DATA_FILL = "#ffffff"
ALERT = "#c92a2a"
VALUE_COLOURS = {"value-adding": "#2f9e44", "necessary": "#f08c00", "waste": "#e03131", None: "#adb5bd"}
VALUE_LABELS = {"value-adding": "value-adding", "necessary": "necessary, not value-adding", "waste": "waste"}


@dataclass
class _Box:
    """Where an element was drawn: its bounding box, for arrows between elements."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def _num(value: float) -> str:
    """A coordinate as short text (SVG files stay small and stable)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _wrap(text: str, width: float, size: float, max_lines: int) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines that fit ``width`` px."""
    limit = max(4, int(width / (size * CHAR)))
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            while len(word) > limit:  # a word longer than a line is cut, not overflowed
                if current:
                    lines.append(current)
                    current = ""
                lines.append(word[: limit - 1] + "-")
                word = word[limit - 1 :]
            candidate = f"{current} {word}" if current else word
            if len(candidate) <= limit:
                current = candidate
            else:
                lines.append(current)
                current = word
        lines.append(current)
    lines = [line for line in lines if line] or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        lines[-1] = (last[: limit - 1] if len(last) >= limit else last) + "…"
    return lines


class _Canvas:
    """Builds the SVG tree; keeps the extent of everything drawn for the view box."""

    def __init__(self, state: MapState, metrics: Metrics, prefix: str) -> None:
        self.state = state
        self.metrics = metrics
        self.prefix = prefix
        self.root = ET.Element(
            "svg", {"xmlns": SVG_NS, "version": "1.1", "font-family": FONT, "class": "vsm-svg"}
        )
        self.defs = ET.SubElement(self.root, "defs")
        self.layer_flows = ET.Element("g", {"class": "vsm-flows"})
        self.layer_items = ET.Element("g", {"class": "vsm-items"})
        self.extent = [math.inf, math.inf, -math.inf, -math.inf]
        self.boxes: dict[str, _Box] = {}
        times = [t for s in state.steps for t in (s.cycle_time, s.process_time) if t is not None]
        self.seconds_map = bool(times) and max(times) < 600
        self._make_defs()

    # ------------------------------------------------------------- primitives

    def grow(self, x: float, y: float, w: float = 0, h: float = 0) -> None:
        """Count a rectangle into the drawing's extent."""
        e = self.extent
        e[0], e[1] = min(e[0], x), min(e[1], y)
        e[2], e[3] = max(e[2], x + w), max(e[3], y + h)

    def group(self, parent: ET.Element, kind: str | None, element_id: str | None, **attrs: str) -> ET.Element:
        """A ``<g>`` carrying the canvas's data hooks."""
        base: dict[str, str] = {}
        if kind is not None:
            base["data-vsm-kind"] = kind
        if element_id is not None:
            base["data-vsm-id"] = element_id
        base.update(attrs)
        return ET.SubElement(parent, "g", base)

    def shape(self, parent: ET.Element, tag: str, **attrs: Any) -> ET.Element:
        """Any SVG shape; numbers become short text, ``class_`` becomes ``class``."""
        clean = {
            k.rstrip("_").replace("_", "-"): _num(v) if isinstance(v, float | int) else str(v)
            for k, v in attrs.items()
        }
        return ET.SubElement(parent, tag, clean)

    def text(
        self,
        parent: ET.Element,
        x: float,
        y: float,
        content: str,
        *,
        size: float = 11,
        anchor: str = "start",
        weight: str | None = None,
        fill: str = INK,
        style: str | None = None,
        field: str | None = None,
    ) -> ET.Element:
        """A text node; ElementTree escapes ``content``."""
        attrs: dict[str, str] = {
            "x": _num(x),
            "y": _num(y),
            "font-size": _num(size),
            "fill": fill,
        }
        if anchor != "start":
            attrs["text-anchor"] = anchor
        if weight:
            attrs["font-weight"] = weight
        if style:
            attrs["font-style"] = style
        if field:
            attrs["data-vsm-field"] = field
        node = ET.SubElement(parent, "text", attrs)
        node.text = content
        self.grow(x - (len(content) * size * CHAR if anchor == "end" else 0), y - size, 0, size)
        return node

    def lines(
        self,
        parent: ET.Element,
        x: float,
        y: float,
        rows: list[str],
        *,
        size: float = 11,
        anchor: str = "middle",
        **kw: Any,
    ) -> float:
        """Several lines of text from baseline ``y``; returns the y below the last line."""
        for row in rows:
            self.text(parent, x, y, row, size=size, anchor=anchor, **kw)
            y += size * 1.25
        return y

    def dur(self, seconds: float | None, *, touch: bool = False) -> str:
        """A duration in the unit that reads best on a map.

        ``touch`` marks process times: on a map whose step times are all under ten
        minutes (a manufacturing line) they stay in seconds, as the books print them.
        """
        if seconds is None or not math.isfinite(seconds):
            return "–"
        day = self.state.day_length
        if seconds < 60 or (touch and self.seconds_map and seconds < 600):
            unit = "s"
        elif seconds < 3600:
            unit = "min"
        elif seconds < day:
            unit = "h"
        else:
            unit = "d"
        return units.format_duration(seconds, unit, day=day)

    def _make_defs(self) -> None:
        p = self.prefix
        for name, colour in (("arrow", INK), ("arrow-muted", MUTED)):
            marker = self.shape(
                self.defs,
                "marker",
                id=f"{p}-{name}",
                viewBox="0 0 10 10",
                refX=9,
                refY=5,
                markerWidth=7,
                markerHeight=7,
                orient="auto-start-reverse",
                markerUnits="userSpaceOnUse",
            )
            self.shape(marker, "path", d="M0,0 L10,5 L0,10 Z", fill=colour)
        pattern = self.shape(
            self.defs, "pattern", id=f"{p}-stripes", patternUnits="userSpaceOnUse", width=10, height=10
        )
        self.shape(pattern, "rect", width=10, height=10, fill=PAPER)
        self.shape(pattern, "rect", width=5, height=10, fill=INK)

    def marker(self, name: str = "arrow") -> str:
        """``url(#...)`` of an arrowhead defined in this drawing."""
        return f"url(#{self.prefix}-{name})"

    # ------------------------------------------------------------- finish

    def finish(self) -> str:
        """The SVG document as text, sized to what was drawn."""
        self.root.append(self.layer_flows)
        self.root.append(self.layer_items)
        x0, y0, x1, y1 = self.extent
        x0, y0 = min(x0, 0), min(y0, 0)
        w, h = x1 - x0 + MARGIN, y1 - y0 + MARGIN
        self.root.set("viewBox", f"{_num(x0)} {_num(y0)} {_num(w)} {_num(h)}")
        self.root.set("width", _num(w))
        self.root.set("height", _num(h))
        background = ET.Element("rect", {"x": _num(x0), "y": _num(y0), "width": _num(w), "height": _num(h)})
        background.set("fill", PAPER)
        self.root.insert(1, background)
        ET.indent(self.root, space=" ")
        return ET.tostring(self.root, encoding="unicode")


# --------------------------------------------------------------------------- icons


def _factory(c: _Canvas, g: ET.Element, x: float, y: float, name: str) -> _Box:
    w, h = 110, 66
    d = (
        f"M{_num(x)},{_num(y + h)} V{_num(y + 22)} L{_num(x + 27)},{_num(y + 6)} V{_num(y + 22)} "
        f"L{_num(x + 54)},{_num(y + 6)} V{_num(y + 22)} L{_num(x + 81)},{_num(y + 6)} V{_num(y + 22)} "
        f"L{_num(x + w)},{_num(y + 6)} V{_num(y + h)} Z"
    )
    c.shape(g, "path", d=d, fill=BOX_FILL, stroke=INK, stroke_width=1.5, stroke_linejoin="round")
    rows = _wrap(name, w - 10, 11, 2)
    c.lines(g, x + w / 2, y + 38 + (0 if len(rows) > 1 else 6), rows, size=11, weight="bold")
    c.grow(x, y, w, h)
    return _Box(x, y, w, h)


def _data_box(
    c: _Canvas, g: ET.Element, x: float, y: float, w: float, rows: Sequence[tuple[str, str, str | None]]
) -> float:
    """A data box of ``(label, value, field)`` rows; returns its bottom."""
    if not rows:
        return y
    # a row without a label is free text and may take two lines
    laid: list[tuple[str, str, str | None]] = []
    for label, value, field in rows:
        if label:
            laid.append((label, value, field))
        else:
            laid.extend(("", row, field) for row in _wrap(value, w - 12, 10, 3))
    h = len(laid) * LINE + 8
    c.shape(g, "rect", x=x, y=y, width=w, height=h, fill=DATA_FILL, stroke=INK, stroke_width=1)
    c.grow(x, y, w, h)
    for index, (label, value, field) in enumerate(laid):
        base = y + 4 + LINE * (index + 1) - 3
        fill = ALERT if field == "alert" else INK
        attribute = "cycle_time" if field == "alert" else field
        if label:
            c.text(g, x + 6, base, label, size=10, fill=MUTED)
            c.text(g, x + w - 6, base, value, size=10, anchor="end", fill=fill, field=attribute)
        else:
            c.text(g, x + 6, base, value, size=10, fill=fill, field=attribute)
    return y + h


def _truck(c: _Canvas, g: ET.Element, x: float, y: float) -> _Box:
    c.shape(g, "rect", x=x, y=y, width=38, height=24, fill=PAPER, stroke=INK, stroke_width=1.5)
    c.shape(
        g,
        "path",
        d=f"M{_num(x + 38)},{_num(y + 8)} h12 l8,8 v8 h-20 Z",
        fill=PAPER,
        stroke=INK,
        stroke_width=1.5,
    )
    for wx in (x + 9, x + 48):
        c.shape(g, "circle", cx=wx, cy=y + 27, r=4.5, fill=PAPER, stroke=INK, stroke_width=1.5)
    c.grow(x, y, 58, 32)
    return _Box(x, y, 58, 32)


def _wide_arrow(c: _Canvas, g: ET.Element, x0: float, x1: float, y: float) -> None:
    """The hollow shipment arrow from ``x0`` to ``x1`` (either direction)."""
    if abs(x1 - x0) < 16:
        return
    sign = 1 if x1 > x0 else -1
    neck = x1 - sign * 14
    d = (
        f"M{_num(x0)},{_num(y - 5)} L{_num(neck)},{_num(y - 5)} L{_num(neck)},{_num(y - 11)} "
        f"L{_num(x1)},{_num(y)} L{_num(neck)},{_num(y + 11)} L{_num(neck)},{_num(y + 5)} "
        f"L{_num(x0)},{_num(y + 5)} Z"
    )
    c.shape(g, "path", d=d, fill=PAPER, stroke=INK, stroke_width=1.3, stroke_linejoin="round")


def _burst_shape(c: _Canvas, g: ET.Element, cx: float, cy: float) -> None:
    points = []
    spikes = 14
    for i in range(spikes * 2):
        angle = math.pi * i / spikes
        outer = i % 2 == 0
        rx, ry = (BURST_RX, BURST_RY) if outer else (BURST_RX - 11, BURST_RY - 9)
        points.append(f"{_num(cx + rx * math.cos(angle))},{_num(cy + ry * math.sin(angle))}")
    c.shape(g, "polygon", points=" ".join(points), fill="#ffe066", stroke="#e8590c", stroke_width=1.5)
    c.grow(cx - BURST_RX, cy - BURST_RY, 2 * BURST_RX, 2 * BURST_RY)


def _zigzag(points: list[tuple[float, float]], segment: int, at: float) -> list[tuple[float, float]]:
    """Put a lightning bolt (an electronic flow) on segment ``segment``, ``at`` along it."""
    best = segment % (len(points) - 1)
    length = math.dist(points[best], points[best + 1])
    if length < 36:
        return points
    (ax, ay), (bx, by) = points[best], points[best + 1]
    ux, uy = (bx - ax) / length, (by - ay) / length
    px, py = -uy, ux
    mx, my = ax + (bx - ax) * at, ay + (by - ay) * at

    def point(along: float, side: float) -> tuple[float, float]:
        return (mx + ux * along + px * side, my + uy * along + py * side)

    bolt = [point(-12, 0), point(3, 9), point(-3, -9), point(12, 0)]
    return [*points[: best + 1], *bolt, *points[best + 1 :]]


def _process_rows(c: _Canvas, step: Process) -> list[tuple[str, str, str | None]]:
    rows: list[tuple[str, str, str | None]] = []
    over = set(c.metrics.steps_over_takt)
    if step.cycle_time is not None:
        rows.append(("C/T", c.dur(step.cycle_time, touch=True), "alert" if step.id in over else "cycle_time"))
    if step.process_time is not None:
        alert = step.cycle_time is None and step.id in over
        rows.append(("PT", c.dur(step.process_time, touch=True), "alert" if alert else "process_time"))
    if step.lead_time is not None:
        rows.append(("LT", c.dur(step.lead_time), "lead_time"))
    if step.changeover is not None:
        rows.append(("C/O", c.dur(step.changeover), "changeover"))
    if step.uptime is not None:
        rows.append(("Uptime", units.format_ratio(step.uptime), "uptime"))
    if step.complete_accurate is not None:
        rows.append(("%C&A", units.format_ratio(step.complete_accurate), "complete_accurate"))
    if step.batch_size is not None:
        rows.append(("Batch", units.format_number(step.batch_size), "batch_size"))
    if step.shifts is not None:
        rows.append(("Shifts", str(step.shifts), "shifts"))
    if step.parallel > 1:
        rows.append(("Parallel", str(step.parallel), "parallel"))
    if step.waste:
        rows.append(("", "Waste: " + ", ".join(step.waste), "waste"))
    return rows


def _draw_process(c: _Canvas, step: Process, x: float, y: float) -> _Box:
    bottleneck = c.metrics.bottleneck == step.id
    g = c.group(c.layer_items, "process", step.id)
    colour = VALUE_COLOURS.get(step.value_class, VALUE_COLOURS[None])
    c.shape(
        g,
        "rect",
        x=x,
        y=y,
        width=PROC_W,
        height=HEAD_H,
        fill=BOX_FILL,
        stroke=ALERT if bottleneck else INK,
        stroke_width=2.5 if bottleneck else 1.5,
    )
    c.shape(g, "rect", x=x + 1, y=y + 1, width=PROC_W - 2, height=5, fill=colour)
    room = PROC_W - (44 if step.operators is not None else 12)
    # a long name gets a smaller font, then a third line, before it gets cut;
    # the full name stays in the tooltip
    ET.SubElement(g, "title").text = step.name
    size = 12.0
    rows = _wrap(step.name, room, size, 2)
    while rows[-1].endswith("…") and size > 10:
        size -= 1
        rows = _wrap(step.name, room, size, 2)
    if rows[-1].endswith("…"):
        rows = _wrap(step.name, room, size, 3)
    first = y + {1: 30, 2: 24, 3: 18}[len(rows)]
    for index, row in enumerate(rows):
        c.text(
            g,
            x + 6 + room / 2,
            first + index * (size + 2),
            row,
            size=size,
            anchor="middle",
            weight="bold",
            field="name" if index == 0 else None,
        )
    if step.operators is not None:
        # the operator icon: a head and shoulders, with the head count beside it
        ox, oy = x + PROC_W - 22, y + HEAD_H - 4
        c.shape(g, "circle", cx=ox, cy=oy - 11, r=3.2, fill="none", stroke=INK, stroke_width=1.2)
        c.shape(
            g,
            "path",
            d=f"M{_num(ox - 6)},{_num(oy)} a6,6 0 0 1 12,0",
            fill="none",
            stroke=INK,
            stroke_width=1.2,
        )
        c.text(g, ox + 9, oy, units.format_number(step.operators), size=9, field="operators")
    bottom = _data_box(c, g, x, y + HEAD_H, PROC_W, _process_rows(c, step))
    if bottleneck:
        c.text(
            g, x + PROC_W / 2, bottom + 12, "bottleneck", size=10, anchor="middle", fill=ALERT, weight="bold"
        )
        bottom += 14
    c.grow(x, y, PROC_W, HEAD_H)
    return _Box(x, y, PROC_W, bottom - y)


def _draw_gap(c: _Canvas, gap: Gap, x: float, y_mid: float, x_from: float, x_to: float) -> tuple[_Box, float]:
    """The triangle or clock of a gap and its flow arrow; returns the icon box and text bottom."""
    cx = x + GAP_W / 2
    info = next((gm for gm in c.metrics.gaps if gm.id == gap.id), None)
    icon = c.group(c.layer_items, gap.icon, gap.id)
    top = y_mid - 38
    if gap.icon == "inventory":
        tri = f"{_num(cx)},{_num(top)} {_num(cx - 22)},{_num(top + 38)} {_num(cx + 22)},{_num(top + 38)}"
        c.shape(
            icon, "polygon", points=tri, fill="#fff3bf", stroke=INK, stroke_width=1.5, stroke_linejoin="round"
        )
        c.text(icon, cx, top + 32, "I", size=15, anchor="middle", weight="bold")
        rows = [f"{name} {units.format_number(q)}" for name, q in gap.variants] if gap.variants else []
        if gap.quantity is not None and (not gap.variants or len(gap.variants) > 1):
            rows.append(("Σ " if gap.variants else "") + units.format_number(gap.quantity))
    else:
        c.shape(icon, "circle", cx=cx, cy=top + 19, r=17, fill=PAPER, stroke=INK, stroke_width=1.5)
        hands = f"M{_num(cx)},{_num(top + 8)} V{_num(top + 19)} H{_num(cx + 9)}"
        c.shape(icon, "path", d=hands, fill="none", stroke=INK, stroke_width=1.6, stroke_linecap="round")
        rows = []
    if gap.wait_time is not None:
        rows.append(c.dur(gap.wait_time))
    elif info is not None and info.inventory_days is not None:
        rows.append(f"{units.format_number(info.inventory_days)} d")
    if gap.quantity is None and gap.wait_time is None:
        rows.append("? no data")
    c.grow(cx - 24, top, 48, 40)
    text_bottom = c.lines(icon, cx, top + 54, rows, size=10)
    # the flow arrow: how material moves on from this gap
    arrow_y = max(text_bottom + 4, y_mid + 52)
    flow = c.group(c.layer_items, gap.flow, gap.id)
    a, b = x_from + 4, x_to - 4
    if gap.flow == "push":
        c.shape(
            flow,
            "rect",
            x=a,
            y=arrow_y - 5,
            width=max(b - a - 14, 4),
            height=10,
            fill=f"url(#{c.prefix}-stripes)",
            stroke=INK,
            stroke_width=1,
        )
        c.shape(
            flow,
            "path",
            d=f"M{_num(b - 14)},{_num(arrow_y - 10)} L{_num(b)},{_num(arrow_y)} "
            f"L{_num(b - 14)},{_num(arrow_y + 10)} Z",
            fill=INK,
        )
    elif gap.flow == "fifo":
        c.shape(
            flow,
            "path",
            d=f"M{_num(a)},{_num(arrow_y - 9)} H{_num(b - 12)} "
            f"M{_num(a)},{_num(arrow_y + 9)} H{_num(b - 12)}",
            stroke=INK,
            stroke_width=1.5,
            fill="none",
        )
        c.shape(
            flow,
            "path",
            d=f"M{_num(b - 30)},{_num(arrow_y)} H{_num(b)}",
            stroke=INK,
            stroke_width=1.5,
            fill="none",
            marker_end=c.marker(),
        )
        label = "FIFO" + ("" if gap.fifo_max is None else f" max {units.format_number(gap.fifo_max)}")
        c.text(flow, (a + b) / 2 - 8, arrow_y + 4, label, size=9, anchor="middle", weight="bold")
    else:
        # the pull (withdrawal) arrow: a circular arrow, drawn against the flow of material
        r = 12
        c.shape(
            flow,
            "path",
            d=f"M{_num(cx + r)},{_num(arrow_y)} A{r},{r} 0 1 1 "
            f"{_num(cx - r * 0.7)},{_num(arrow_y - r * 0.7)}",
            fill="none",
            stroke=INK,
            stroke_width=2,
            marker_end=c.marker(),
        )
        c.text(flow, cx, arrow_y + r + 12, "pull", size=9, anchor="middle", fill=MUTED)
    c.grow(a, arrow_y - 14, b - a, 40)
    return _Box(cx - 24, top, 48, 40), arrow_y + 24


def _draw_burst(c: _Canvas, parent: ET.Element, burst: Any, cx: float, cy: float) -> None:
    g = c.group(parent, "burst", burst.id)
    _burst_shape(c, g, cx, cy)
    rows = _wrap(burst.text, 2 * BURST_RX - 34, 9, 5)
    start = cy - (len(rows) - 1) * 11 / 2 + 3
    c.lines(g, cx, start, rows, size=9)
    detail = " · ".join(part for part in (burst.owner, burst.due) if part)
    if detail:
        c.text(
            g,
            cx,
            cy + BURST_RY + 10,
            _wrap(detail, 2 * BURST_RX, 8.5, 1)[0],
            size=8.5,
            anchor="middle",
            fill=MUTED,
        )


class _Route(NamedTuple):
    """How one information arrow is drawn."""

    points: list[tuple[float, float]]
    label: tuple[float, float]
    anchor: str
    segment: int
    at: float


def _route(
    source: _Box, target: _Box, s_top: bool, t_top: bool, bus_y: float, row_top: float, lane: int
) -> _Route:
    """An information arrow: its points, label position and anchor, and where its bolt goes.

    Flows between the top elements run straight across; flows from the top to the
    stream share a bus line and drop onto the right part of each box (the label sits at
    the box's top left); flows between two stream items arc above the row.
    """
    if s_top and t_top:
        y = min(source.bottom, target.bottom) - 22 + lane * 18
        if source.cx < target.cx:
            pts = [(source.right, y), (target.x, y)]
        else:
            pts = [(source.x, y), (target.right, y)]
        return _Route(pts, ((pts[0][0] + pts[1][0]) / 2, y - 5), "middle", 0, 0.8)
    if s_top:
        wide = target.w >= 100
        drop = target.right - 18 - lane * 8 if wide else target.cx
        pts = [
            (source.cx + lane * 4, source.bottom),
            (source.cx + lane * 4, bus_y),
            (drop, bus_y),
            (drop, target.y),
        ]
        label = (target.x + 2, target.y - 6) if wide else (target.cx - 5, target.y - 6)
        return _Route(pts, label, "start" if wide else "end", -1, 0.4)
    if t_top:
        wide = source.w >= 100
        rise = source.right - 18 if wide else source.cx
        x_end = target.cx - 12 - lane * 6
        pts = [(rise, source.y), (rise, bus_y + 8), (x_end, bus_y + 8), (x_end, target.bottom)]
        label = (source.x + 2, source.y - 6) if wide else (source.cx, source.y - 6)
        return _Route(pts, label, "start" if wide else "middle", 0, 0.55)
    lift = row_top - 24 - lane * 10
    pts = [
        (source.cx + 16, source.y),
        (source.cx + 16, lift),
        (target.cx - 16, lift),
        (target.cx - 16, target.y),
    ]
    middle = source.cx + 16 + (target.cx - source.cx - 32) * 0.6
    return _Route(pts, (middle, lift - 5), "middle", 1, 0.15)


def _draw_flows(c: _Canvas, bus_y: float, row_top: float) -> None:
    top_ids = {"customer", "supplier", "control"}
    shown: set[tuple[str, str]] = set()
    stacked: dict[str, int] = {}
    lanes: dict[frozenset[str], int] = {}
    for flow in c.state.flows:
        source, target = c.boxes.get(flow.source), c.boxes.get(flow.target)
        if source is None or target is None:
            continue
        pair = frozenset((flow.source, flow.target))
        lane = lanes.get(pair, 0)
        lanes[pair] = lane + 1
        across = flow.source in top_ids and flow.target in top_ids
        route = _route(source, target, flow.source in top_ids, flow.target in top_ids, bus_y, row_top, lane)
        pts = _zigzag(route.points, route.segment, route.at) if flow.medium == "electronic" else route.points
        g = c.group(c.layer_flows, "info", flow.id, **{"data-vsm-medium": flow.medium})
        d = "M" + " L".join(f"{_num(px)},{_num(py)}" for px, py in pts)
        c.shape(
            g,
            "path",
            d=d,
            fill="none",
            stroke=MUTED,
            stroke_width=1.4,
            stroke_linejoin="round",
            marker_end=c.marker("arrow-muted"),
        )
        for px, py in pts:
            c.grow(px, py)
        # the label names the flow once per box it reaches: a box gets one "Weekly schedule"
        near = flow.target if flow.source in top_ids else flow.source
        if not flow.label or (flow.label, near) in shown:
            continue
        shown.add((flow.label, near))
        lx, ly = route.label
        if not across:
            ly -= stacked.get(near, 0) * 11
            stacked[near] = stacked.get(near, 0) + 1
        width = max(abs(pts[-1][0] - pts[0][0]) - 10, 80) if across else PROC_W + 10
        c.text(
            g,
            lx,
            ly,
            _wrap(flow.label, width, 9, 1)[0],
            size=9,
            anchor=route.anchor,
            fill=MUTED,
            style="italic",
        )


def _layout_x(state: MapState) -> dict[str, tuple[float, float]]:
    """Left x and width of every stream item, left to right."""
    x = MARGIN + SIDE
    found: dict[str, tuple[float, float]] = {}
    previous: Process | Gap | None = None
    for item in state.stream:
        if isinstance(item, Process):
            if isinstance(previous, Process):
                x += LINK_W
            found[item.id] = (x, PROC_W)
            x += PROC_W
        else:
            found[item.id] = (x, GAP_W)
            x += GAP_W
        previous = item
    return found


def _draw(state: MapState, metrics: Metrics, prefix: str) -> str:
    c = _Canvas(state, metrics, prefix)
    columns = _layout_x(state)
    stream_left = MARGIN + SIDE
    stream_right = max((x + w for x, w in columns.values()), default=stream_left + PROC_W)
    right_col = stream_right + 20

    # title
    heading = state.title + (
        "  (future state)" if state.state == "future" and "future" not in state.title.lower() else ""
    )
    c.text(
        c.layer_items,
        MARGIN,
        MARGIN + 14,
        _wrap(heading, max(stream_right, 600), 16, 1)[0],
        size=16,
        weight="bold",
    )
    top_y = MARGIN + 40

    # supplier, customer, control
    top_bottom = top_y + 70
    if state.supplier is not None:
        s = state.supplier
        g = c.group(c.layer_items, "supplier", "supplier")
        sx, sy = (s.x, s.y) if s.x is not None and s.y is not None else (MARGIN + 20, top_y)
        box = _factory(c, g, sx, sy, s.name)
        supplier_rows: list[tuple[str, str, str | None]] = [
            ("", t, f) for t, f in ((s.supplies, "supplies"), (s.frequency, "frequency")) if t
        ]
        bottom = _data_box(c, g, sx - 10, box.bottom + 4, box.w + 20, supplier_rows)
        c.boxes["supplier"] = _Box(box.x, box.y, box.w, bottom - box.y)
        top_bottom = max(top_bottom, bottom)
    cu = state.customer
    g = c.group(c.layer_items, "customer", "customer")
    cx_, cy_ = (cu.x, cu.y) if cu.x is not None and cu.y is not None else (right_col + 30, top_y)
    box = _factory(c, g, cx_, cy_, cu.name)
    rows: list[tuple[str, str, str | None]] = []
    if cu.demand is not None:
        rows.append(("Demand", f"{units.format_number(cu.demand)}/{cu.period}", "demand"))
    if cu.working_days is not None:
        rows.append(("Days", units.format_number(cu.working_days), "working_days"))
    if cu.shift_length is not None:
        rows.append(
            (
                "Shifts",
                f"{cu.shifts} x {units.format_duration(cu.shift_length - cu.breaks, 'h')}",
                "shift_length",
            )
        )
    rows.append(("Takt", c.dur(metrics.takt_time, touch=True), "takt_time"))
    bottom = _data_box(c, g, cx_ - 10, box.bottom + 4, box.w + 20, rows)
    c.boxes["customer"] = _Box(box.x, box.y, box.w, bottom - box.y)
    top_bottom = max(top_bottom, bottom)
    if state.control is not None:
        ctl = state.control
        g = c.group(c.layer_items, "control", "control")
        w, h = 180.0, 58.0
        if ctl.x is not None and ctl.y is not None:
            kx, ky = ctl.x, ctl.y
        else:
            kx = max((stream_left + stream_right) / 2 - w / 2, MARGIN + SIDE)
            ky = top_y + 8
        c.shape(g, "rect", x=kx, y=ky, width=w, height=h, fill=BOX_FILL, stroke=INK, stroke_width=1.5)
        names = _wrap(ctl.name, w - 12, 12, 2 if not ctl.notes else 1)
        after = c.lines(g, kx + w / 2, ky + 22, names, size=12, weight="bold")
        if ctl.notes:
            c.lines(g, kx + w / 2, after + 1, _wrap(ctl.notes, w - 12, 10, 2), size=10, fill=MUTED)
        c.grow(kx, ky, w, h)
        c.boxes["control"] = _Box(kx, ky, w, h)
        top_bottom = max(top_bottom, ky + h)

    bus_y = top_bottom + 26
    row_top = bus_y + 64
    y_mid = row_top + HEAD_H / 2

    # the stream
    item_bottom = row_top + HEAD_H
    placed: dict[str, float] = {}
    stream = state.stream
    for index, item in enumerate(stream):
        x, w = columns[item.id]
        if isinstance(item, Process):
            px, py = (item.x, item.y) if item.x is not None and item.y is not None else (x, row_top)
            box = _draw_process(c, item, px, py)
            c.boxes[item.id] = box
            item_bottom = max(item_bottom, box.bottom)
            placed[item.id] = px + PROC_W / 2
            nxt = stream[index + 1] if index + 1 < len(stream) else None
            if isinstance(nxt, Process):
                # two steps with nothing between them: a plain arrow, no model element
                a = px + PROC_W
                c.shape(
                    c.layer_items,
                    "path",
                    d=f"M{_num(a + 3)},{_num(py + HEAD_H / 2)} H{_num(a + LINK_W - 3)}",
                    stroke=INK,
                    stroke_width=1.5,
                    marker_end=c.marker(),
                )
    for index, item in enumerate(stream):
        if isinstance(item, Gap):
            x, w = columns[item.id]
            gx, gy_mid = (item.x, item.y + 38) if item.x is not None and item.y is not None else (x, y_mid)
            prev_box = c.boxes.get(stream[index - 1].id) if index > 0 else None
            next_box = c.boxes.get(stream[index + 1].id) if index + 1 < len(stream) else None
            x_from = prev_box.right if prev_box is not None else gx
            x_to = next_box.x if next_box is not None else gx + w
            icon, bottom = _draw_gap(c, item, gx, gy_mid, x_from, x_to)
            c.boxes[item.id] = icon
            placed[item.id] = icon.cx
            item_bottom = max(item_bottom, bottom)

    # shipments: trucks in at the left, out at the right, with the wide arrow
    ship_y = row_top + 2
    first_box = c.boxes.get(stream[0].id) if stream else None
    last_box = c.boxes.get(stream[-1].id) if stream else None
    counts = {"in": 0, "out": 0}
    for shipment in state.shipments:
        g = c.group(c.layer_items, "shipment", shipment.id)
        k = counts[shipment.direction]
        counts[shipment.direction] += 1
        tx = MARGIN + 40 if shipment.direction == "in" else right_col + 56
        ty = ship_y + k * 74
        truck = _truck(c, g, tx, ty)
        text_rows = _wrap(shipment.frequency or shipment.mode, 150, 10, 2)
        c.lines(g, truck.cx, truck.bottom + 13, text_rows, size=10)
        if shipment.direction == "in" and first_box is not None:
            _wide_arrow(c, g, truck.right + 6, first_box.x - 6, truck.cy)
        elif shipment.direction == "out" and last_box is not None:
            _wide_arrow(c, g, last_box.right + 6, truck.x - 6, truck.cy)
        c.boxes[shipment.id] = truck
        item_bottom = max(item_bottom, truck.bottom + 14 * len(text_rows) + 6)

    _draw_flows(c, bus_y, row_top)

    # kaizen bursts, in a row under their targets (map-wide ones at the right)
    burst_top = item_bottom + 20
    stacks: dict[str, int] = {}
    burst_bottom = item_bottom
    bursts = c.group(c.layer_items, None, None, **{"class": "vsm-bursts"})
    for burst in state.bursts:
        key = burst.target if burst.target in placed else "map"
        k = stacks.get(key, 0)
        stacks[key] = k + 1
        if burst.x is not None and burst.y is not None:
            bx, by = burst.x + BURST_RX, burst.y + BURST_RY
        else:
            bx = placed[key] if key != "map" else right_col + 30 + 55
            by = burst_top + BURST_RY + k * (2 * BURST_RY + 16)
        _draw_burst(c, bursts, burst, bx, by)
        burst_bottom = max(burst_bottom, by + BURST_RY + 12)

    # the timeline ladder
    tl_top = burst_bottom + 30
    tl_low = tl_top + 42
    ladder = c.group(c.layer_items, None, None, **{"class": "vsm-timeline"})
    path: list[str] = []
    cursor = stream_left
    gm = {g.id: g for g in metrics.gaps}
    sm = {s.id: s for s in metrics.steps}

    def rung_line(rung: ET.Element, start: float, end: float, level: float) -> None:
        c.shape(
            rung,
            "path",
            d=f"M{_num(start)},{_num(level)} H{_num(end)}",
            stroke=INK,
            stroke_width=2,
            fill="none",
        )

    def rung_label(
        rung: ET.Element, start: float, end: float, y: float, seconds: float | None, text: str
    ) -> None:
        fill = INK if seconds is not None else ALERT
        c.text(rung, (start + end) / 2, y, text, size=11, anchor="middle", weight="bold", fill=fill)

    for index, item in enumerate(stream):
        x, w = columns[item.id]
        start = cursor if index == 0 else x
        # A step followed by a step (no gap between) carries its rung over the link.
        following = stream[index + 1] if index + 1 < len(stream) else None
        end = x + w + LINK_W if isinstance(item, Process) and isinstance(following, Process) else x + w
        rung = c.group(ladder, "rung", item.id)
        if isinstance(item, Gap):
            wait = gm[item.id].wait_time
            rung_line(rung, start, end, tl_top)
            rung_label(rung, start, end, tl_top - 6, wait, c.dur(wait) if wait is not None else "?")
            level = tl_top
        else:
            touch = sm[item.id].touch_time
            own = sm[item.id].lead_time
            rung_line(rung, start, end, tl_low)
            label = c.dur(touch, touch=True) if touch is not None else "?"
            rung_label(rung, start, end, tl_low + 15, touch, label)
            if item.lead_time is not None and own is not None:
                c.text(
                    rung,
                    (start + end) / 2,
                    tl_low - 6,
                    "LT " + c.dur(own),
                    size=9.5,
                    anchor="middle",
                    fill=MUTED,
                )
            level = tl_low
        if path:
            path.append(f"V{_num(level)}")
        path.append(f"M{_num(start)},{_num(level)}" if not path else f"H{_num(end)}")
        if len(path) == 1:
            path.append(f"H{_num(end)}")
        cursor = end
    if path:
        c.shape(
            ladder, "path", d=" ".join(path), stroke=INK, stroke_width=1, fill="none", stroke_dasharray="3 3"
        )
    # totals at the right end of the ladder
    totals = ET.SubElement(ladder, "g", {"class": "vsm-totals"})
    tx = max(cursor, stream_right) + 20
    complete = metrics.lead_time_complete
    box_h = 74 if complete else 88
    c.shape(
        totals,
        "rect",
        x=tx,
        y=tl_top - 22,
        width=190,
        height=box_h,
        fill=BOX_FILL,
        stroke=INK,
        stroke_width=1,
    )
    day_word = "working day" if state.day_basis == "working" else "calendar day"
    figures = [
        (
            "Lead time",
            c.dur(metrics.lead_time) + ("" if complete else " *"),
            "lead_time",
        ),
        ("Process time", c.dur(metrics.process_time, touch=True), "process_time"),
        ("Efficiency", units.format_ratio(metrics.efficiency), "efficiency"),
    ]
    for index, (label, value, field) in enumerate(figures):
        y = tl_top - 4 + index * 17
        c.text(totals, tx + 8, y, label, size=11, fill=MUTED)
        c.text(totals, tx + 182, y, value, size=11, anchor="end", weight="bold", field=field)
    c.text(
        totals,
        tx + 8,
        tl_top + 46,
        f"d = {day_word} ({units.format_duration(state.day_length, 'h')})",
        size=9,
        fill=MUTED,
    )
    if not complete:
        c.text(totals, tx + 8, tl_top + 59, "* incomplete: some times are missing", size=9, fill=ALERT)
    c.grow(tx, tl_top - 22, 190, box_h)

    # legend of value classes, when the map uses them
    used = [v for v in ("value-adding", "necessary", "waste") if any(s.value_class == v for s in state.steps)]
    if used:
        legend = ET.SubElement(c.layer_items, "g", {"class": "vsm-legend"})
        ly = tl_low + 40
        lx = stream_left
        for value in used:
            c.shape(legend, "rect", x=lx, y=ly - 9, width=18, height=9, fill=VALUE_COLOURS[value])
            c.text(legend, lx + 24, ly, VALUE_LABELS[value], size=10, fill=MUTED)
            lx += 40 + len(VALUE_LABELS[value]) * 10 * CHAR
    return c.finish()


def _prefix(state: MapState) -> str:
    """A short id prefix from the map's content: two maps on one page never share defs.

    The state's repr is deterministic (frozen dataclasses of plain values), so the same
    map always gives the same drawing.
    """
    digest = hashlib.sha1(repr(state).encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"vsm{digest[:8]}"


def render_svg(source: ValueStreamMap | MapState) -> str:
    """The map as a standalone SVG document (text), drawn without a browser.

    Every element carries ``data-vsm-kind`` and ``data-vsm-id`` like the canvas; every
    user string is escaped. Elements without stored positions are laid out left to
    right.
    """
    state = source.state if isinstance(source, ValueStreamMap) else source
    if not isinstance(state, MapState):
        raise TypeError(f"render_svg() needs a ValueStreamMap or MapState, not {type(source).__name__}")
    metrics = source.metrics() if isinstance(source, ValueStreamMap) else compute(state)
    return _draw(state, metrics, _prefix(state))


def save_svg(source: ValueStreamMap | MapState, path: str | os.PathLike[str]) -> Path:
    """Write :func:`render_svg` to ``path`` atomically (a crash never leaves half a file)."""
    return write_text_atomic(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + render_svg(source))
