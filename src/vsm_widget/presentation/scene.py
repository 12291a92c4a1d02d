"""The scene: the whole map laid out once, as plain data every view draws.

:func:`build_scene` turns a map state and its metrics into a :class:`Scene`: every drawn
element as a :class:`Node` with its box, its accessible name and its shapes, each shape
with its geometry, its text already formatted (by :mod:`vsm_widget.core.display`), wrapped and
cut (by :mod:`vsm_widget.presentation.text`), and its *role* classes, which
:mod:`vsm_widget.presentation.palette` maps to colours, sizes and weights. The canvas
draws a scene as it is; :mod:`vsm_widget.presentation.svg` writes the same scene as a
static SVG. Nothing is laid out twice, so an element sits at the same place, with the
same text, everywhere.

Positions: an element's stored ``x``/``y`` is the top-left corner of its main box
(``Node.box``); elements without one are placed from their order alone, so moving one
element never moves another.

Shapes are dicts, ready for JSON: ``t`` is the SVG tag (``rect``, ``path``, ``line``,
``circle``, ``text``, ``g``), ``c`` the role classes (a text's size and weight follow its
class, see :data:`~vsm_widget.presentation.text.TEXT_STYLES`), ``f`` the field a text shows
(the canvas edits it on double-click), ``m`` the metric it shows, ``tip`` a tooltip,
``text`` a single line, ``spans`` lines as ``[x, y, text]``, ``kids`` the shapes of a
group; every other key is an SVG attribute. A fill of ``"@stripes"`` or ``"@hatch"``
names a shared pattern, and a ``marker`` of ``"@arrow"`` the arrow head: each view gives
them ids of its own.

A :class:`SceneCache` keeps the nodes of the last scene: a node whose inputs did not
change is reused as the same object, so an edit re-lays out the whole map in a few
milliseconds and the views learn exactly which nodes changed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..core import fields
from ..core.display import Display, auto_unit
from ..core.fields import MAIN, SPREAD_FIELDS, Branch, Field, Rework, Spread, given, unit_of
from ..core.flow import flow_edges
from ..core.frozen import builder
from ..core.metrics import GapMetrics, Metrics, StepMetrics, compute, path_totals
from ..core.model import Burst, Control, Customer, Gap, InfoFlow, MapState, Process, Shipment, Supplier
from .lanes import CONNECTOR_STEP, lay_out_lanes
from .text import Font, text_style, text_width, truncate, wrap

__all__ = ["SCENE_VERSION", "Box", "Node", "Scene", "SceneCache", "build_scene", "display_for"]

#: Version of the scene's JSON shape (the canvas refuses a scene it does not know).
SCENE_VERSION = 1

MARGIN = 24.0
TOP_ROW = 64.0
FACTORY_W = 150.0
FACTORY_ICON_H = 66.0
ROW_H = 16.0
CONTROL_W = 184.0
CONTROL_H = 62.0
STREAM_TOP = 296.0
PROCESS_W = 140.0
PROCESS_HEAD_H = 52.0
CLASS_STRIP_H = 14.0
PROCESS_COL = 172.0
GAP_COL = 110.0
GAP_ICON_W = 50.0
GAP_ICON_H = 44.0
GAP_ICON_TOP = 64.0
BURST_W = 150.0
BURST_H = 88.0
BURST_MAX_W = 260.0
#: Room kept on each side of a burst in the lane, so that two stars never touch.
BURST_GAP = 4.0
TOTALS_W = 172.0
TOTALS_H = 96.0
TIMELINE_H = 112.0
#: Room between two lanes of the stream (a branch's name stands in it).
LANE_GAP = 40.0
#: Height of one row of rework loops under a lane.
REWORK_ROW = 20.0
PATHS_W = 360.0
STREAM_LEFT = MARGIN + 24
LADDER_UPPER = 24.0
LADDER_LOWER = 66.0

VALUE_LABELS = {"value-adding": "VALUE-ADDING", "necessary": "NECESSARY NVA", "waste": "WASTE"}
VALUE_NAMES = {"value-adding": "value-adding", "necessary": "necessary, not value-adding", "waste": "waste"}
FLOW_NAMES = {"push": "Push", "pull": "Pull (supermarket)", "fifo": "FIFO lane"}
DASH = "–"

Shape = dict[str, Any]


# A scene rounds some 25,000 coordinates, a sixth of them distinct, and round() to a
# tenth is slow (it goes through the decimal digits): each value's rounding, and its text
# in a path, are remembered. Equal values round alike (0.0 and -0.0 both to 0.0), so a
# remembered one is the very one round() gives. Emptied at each scene's start.
_ROUNDED: dict[float, float] = {}
_POINTS: dict[float, str] = {}
# Likewise texts as one line, and texts cut to a width in a style.
_LINES: dict[str, str] = {}
_FITTED: dict[tuple[str, float, str], str] = {}
_REMEMBERED = 1 << 16


def _r(value: float) -> float:
    """A coordinate rounded to a tenth of a unit (small, stable JSON and SVG)."""
    found = _ROUNDED.get(value)
    if found is None:
        if len(_ROUNDED) >= _REMEMBERED:
            _ROUNDED.clear()
        # Adding 0.0 turns a rounded -0.0 into 0.0.
        found = _ROUNDED[value] = round(value, 1) + 0.0
    return found


def _g(value: float) -> str:
    """A coordinate rounded as :func:`_r` does, as a path writes it."""
    found = _POINTS.get(value)
    if found is None:
        if len(_POINTS) >= _REMEMBERED:
            _POINTS.clear()
        found = _POINTS[value] = f"{_r(value):g}"
    return found


def _forget_coordinates() -> None:
    """Empty the remembered coordinates and texts (a scene is built from nothing)."""
    for remembered in (_ROUNDED, _POINTS, _LINES, _FITTED):
        remembered.clear()


def _font(classes: str) -> Font:
    """How text with these classes is drawn (see :func:`~.text.text_style`)."""
    return text_style(classes.split())


def measure(content: str, classes: str) -> float:
    """Width of ``content`` drawn with these classes."""
    return text_width(content, *_font(classes))


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in map units: top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        """Centre, horizontally."""
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        """Centre, vertically."""
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        """Right edge."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """Bottom edge."""
        return self.y + self.h

    def overlaps(self, other: Box, pad: float = 0.0) -> bool:
        """Whether the two boxes share more than an edge (each grown by ``pad``)."""
        return (
            self.x - pad < other.right + pad
            and other.x - pad < self.right + pad
            and self.y - pad < other.bottom + pad
            and other.y - pad < self.bottom + pad
        )

    def to_list(self) -> list[float]:
        """``[x, y, w, h]``, rounded."""
        return [_r(self.x), _r(self.y), _r(self.w), _r(self.h)]


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One drawn element of the map.

    ``key`` is unique in the scene (an element may draw several nodes: a gap draws its
    triangle, the arrow through it and its rung); ``id`` is the map element it belongs
    to (``data-vsm-id``; ``None`` for what is not an element); ``kind`` its kind
    (``data-vsm-kind``); ``layer`` one of ``timeline``, ``links``, ``nodes``, ``bursts``, ``slots``
    (drawing order); ``box`` its main shape; ``role`` role classes of the whole node;
    ``label`` its accessible name; ``drag`` whether it can be dragged; ``follows`` the
    element it moves with while that is dragged; ``ends`` the elements a connector joins.

    A node of kind ``slot`` is an insertion handle of the canvas, not part of the map:
    a "+" at a place of the stream (``place``) where a step, and a gap if ``gaps``, can
    be added in one action. Pictures leave slots out.
    """

    key: str
    id: str | None
    kind: str
    layer: str
    box: Box
    label: str
    shapes: tuple[Shape, ...]
    role: str = ""
    tip: str = ""
    drag: bool = False
    follows: str | None = None
    ends: tuple[str, ...] = ()
    #: Computed figures of the element as (label, text), for the details panel.
    figures: tuple[tuple[str, str], ...] = ()
    #: An insertion handle's place in the stream: ``("after", id)`` or ``("before", id)``.
    place: tuple[str, str] | None = None
    #: Whether a gap may go at this handle's place (two gaps never stand side by side).
    gaps: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The node as JSON-ready data (the canvas's input)."""
        data: dict[str, Any] = {
            "key": self.key,
            "id": self.id,
            "kind": self.kind,
            "layer": self.layer,
            "box": self.box.to_list(),
            "label": self.label,
            "shapes": list(self.shapes),
        }
        if self.role:
            data["role"] = self.role
        if self.tip:
            data["tip"] = self.tip
        if self.drag:
            data["drag"] = True
        if self.follows:
            data["follows"] = self.follows
        if self.ends:
            data["ends"] = list(self.ends)
        if self.figures:
            data["figures"] = [list(pair) for pair in self.figures]
        if self.place is not None:
            data["place"] = {self.place[0]: self.place[1]}
            data["gaps"] = self.gaps
        return data


# Some 1,350 nodes a scene, of 15 fields each: see vsm_widget.core.frozen.
_node = builder(Node)


@dataclass(frozen=True, slots=True)
class Scene:
    """A laid-out map: its nodes in drawing order and the extent of everything drawn."""

    title: str
    nodes: tuple[Node, ...]
    bounds: Box
    display: Display

    def to_dict(self, cache: SceneCache | None = None) -> dict[str, Any]:
        """The scene as JSON-ready data (node dicts reused from ``cache`` when it has them)."""
        dicts = cache.node_dict if cache is not None else Node.to_dict
        return {
            "version": SCENE_VERSION,
            "title": self.title,
            "bounds": self.bounds.to_list(),
            "nodes": [dicts(node) for node in self.nodes],
        }

    def node(self, key: str) -> Node:
        """The node with this key."""
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)


class SceneCache:
    """The nodes of the last scene built, reused while what they show is unchanged.

    Each node is made from a *signature* (every input it depends on); the same key with
    an equal signature gives back the very same node. Nodes not used by a build are
    forgotten, so the cache holds one scene's worth of nodes.
    """

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[Hashable, Node]] = {}
        self._used: dict[str, tuple[Hashable, Node]] = {}
        self._dicts: dict[int, tuple[Node, dict[str, Any]]] = {}

    def node(self, key: str, signature: Hashable, make: Callable[[], Node]) -> Node:
        """The node for ``key``: the cached one if its signature is equal, else a new one."""
        hit = self._nodes.get(key)
        if hit is None or hit[0] != signature:
            hit = (signature, make())
        self._used[key] = hit
        return hit[1]

    def finish(self) -> None:
        """End a build: keep only the nodes it used."""
        self._nodes, self._used = self._used, {}
        alive = {id(node) for _, node in self._nodes.values()}
        self._dicts = {k: v for k, v in self._dicts.items() if k in alive}

    def node_dict(self, node: Node) -> dict[str, Any]:
        """``node.to_dict()``, made once per node."""
        hit = self._dicts.get(id(node))
        if hit is None or hit[0] is not node:
            hit = (node, node.to_dict())
            self._dicts[id(node)] = hit
        return hit[1]


# --------------------------------------------------------------------------- shapes


# The commonest shapes (rectangles, texts) look their coordinates up in _ROUNDED before
# calling _r: a call costs more than the lookup. (0.0, which is false, takes _r.)


def rect(x: float, y: float, w: float, h: float, c: str, **attrs: Any) -> Shape:
    """A rectangle shape."""
    known = _ROUNDED.get
    return {
        "t": "rect",
        "x": known(x) or _r(x),
        "y": known(y) or _r(y),
        "width": known(w) or _r(w),
        "height": known(h) or _r(h),
        "c": c,
        **attrs,
    }


def path(d: str, c: str, **attrs: Any) -> Shape:
    """A path shape."""
    return {"t": "path", "d": d, "c": c, **attrs}


def line(x1: float, y1: float, x2: float, y2: float, c: str, **attrs: Any) -> Shape:
    """A line shape."""
    return {"t": "line", "x1": _r(x1), "y1": _r(y1), "x2": _r(x2), "y2": _r(y2), "c": c, **attrs}


def circle(cx: float, cy: float, r: float, c: str) -> Shape:
    """A circle shape."""
    return {"t": "circle", "cx": _r(cx), "cy": _r(cy), "r": _r(r), "c": c}


def one_line(content: str) -> str:
    """Text as one line, the way SVG draws it: every run of white space is one space."""
    found = _LINES.get(content)
    if found is None:
        if len(_LINES) >= _REMEMBERED:
            _LINES.clear()
        found = _LINES[content] = " ".join(content.split())
    return found


def text(
    x: float,
    y: float,
    content: str,
    c: str,
    *,
    anchor: str = "start",
    field: str | None = None,
    metric: str | None = None,
    tip: str | None = None,
) -> Shape:
    """One line of text; its size and weight come from its classes."""
    known = _ROUNDED.get
    shape: Shape = {
        "t": "text",
        "x": known(x) or _r(x),
        "y": known(y) or _r(y),
        "c": c,
        "text": _LINES.get(content) or one_line(content),
    }
    if anchor != "start":
        shape["text-anchor"] = anchor
    if field:
        shape["f"] = field
    if metric:
        shape["m"] = metric
    if tip:
        shape["tip"] = tip
    return shape


def fit_text(
    x: float,
    y: float,
    content: str,
    width: float,
    c: str,
    *,
    anchor: str = "start",
    field: str | None = None,
    metric: str | None = None,
) -> Shape:
    """Text cut to ``width``, with the whole text as its tooltip when it was cut."""
    key = (content, width, c)
    shown = _FITTED.get(key)
    if shown is None:
        if len(_FITTED) >= _REMEMBERED:
            _FITTED.clear()
        shown = _FITTED[key] = truncate(one_line(content), width, *_font(c))
    return text(
        x, y, shown, c, anchor=anchor, field=field, metric=metric, tip=content if shown != content else None
    )


def wrapped(
    cx: float,
    middle: float,
    content: str,
    width: float,
    c: str,
    max_lines: int,
    line_height: float,
    *,
    field: str | None = None,
) -> Shape:
    """Lines centred on ``cx``, the block's baselines centred on ``middle``."""
    font = _font(c)
    lines, cut = wrap(content, width, font.size, max_lines, font.weight, font.spacing)
    start = middle - (len(lines) - 1) * line_height / 2
    shape: Shape = {
        "t": "text",
        "c": c,
        "text-anchor": "middle",
        "spans": [[_r(cx), _r(start + i * line_height), value] for i, value in enumerate(lines)],
    }
    if field:
        shape["f"] = field
    if cut:
        shape["tip"] = content
    return shape


def group(kids: list[Shape], c: str = "", **attrs: Any) -> Shape:
    """A group of shapes (with a transform, say)."""
    return {"t": "g", "c": c, "kids": kids, **attrs}


def _pt(x: float, y: float) -> str:
    known = _POINTS.get
    return f"{known(x) or _g(x)},{known(y) or _g(y)}"


# --------------------------------------------------------------------------- icons


def factory_path(x: float, y: float, w: float, h: float) -> str:
    """A factory with a sawtooth roof (customer, supplier)."""
    roof = h * 0.42
    tooth = w / 3
    d = f"M{_pt(x, y + h)} L{_pt(x, y + roof)}"
    for i in range(3):
        left = x + i * tooth
        d += f" L{_pt(left + tooth, y)} L{_pt(left + tooth, y + roof)}"
    return d + f" L{_pt(x + w, y + h)} Z"


def burst_path(x: float, y: float, w: float, h: float) -> str:
    """A kaizen burst: a jagged star filling the box."""
    cx, cy = x + w / 2, y + h / 2
    points = 14
    parts = []
    for i in range(points * 2):
        angle = math.pi * i / points - math.pi / 2
        jitter = (1.0 if i % 4 == 0 else 0.9) if i % 2 == 0 else 0.74
        parts.append(
            f"{'M' if i == 0 else 'L'}"
            f"{_pt(cx + math.cos(angle) * w / 2 * jitter, cy + math.sin(angle) * h / 2 * jitter)}"
        )
    return " ".join(parts) + " Z"


def lightning_path(ax: float, ay: float, bx: float, by: float) -> str:
    """An electronic information flow: one sharp zigzag in the middle of the line."""
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    amp = min(11.0, length / 6)
    p1 = (ax + dx * 0.44 + nx * amp, ay + dy * 0.44 + ny * amp)
    p2 = (ax + dx * 0.56 - nx * amp, ay + dy * 0.56 - ny * amp)
    return f"M{_pt(ax, ay)} L{_pt(*p1)} L{_pt(*p2)} L{_pt(bx, by)}"


def broad_arrow(ax: float, ay: float, bx: float, by: float, width: float = 14.0) -> str:
    """A broad hollow shipment arrow from a to b."""
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    nx, ny = -uy, ux
    head = min(18.0, length / 2)
    neck = (bx - ux * head, by - uy * head)
    half = width / 2
    points = [
        (ax + nx * half, ay + ny * half),
        (neck[0] + nx * half, neck[1] + ny * half),
        (neck[0] + nx * (half + 7), neck[1] + ny * (half + 7)),
        (bx, by),
        (neck[0] - nx * (half + 7), neck[1] - ny * (half + 7)),
        (neck[0] - nx * half, neck[1] - ny * half),
        (ax - nx * half, ay - ny * half),
    ]
    return "M" + " L".join(_pt(px, py) for px, py in points) + " Z"


def truck(x: float, y: float, flip: bool) -> Shape:
    """A delivery truck with its box at (x, y), facing right (left when ``flip``)."""
    transform = f"translate({_pt(x + 62, y)}) scale(-1,1)" if flip else f"translate({_pt(x, y)})"
    return group(
        [
            rect(0, 0, 40, 24, "vsm-shape", rx=2),
            path("M40,8 L52,8 L60,16 L60,24 L40,24 Z", "vsm-shape"),
            path("M44,11 L51,11 L56,16 L44,16 Z", "vsm-window"),
            circle(11, 26, 4.5, "vsm-wheel"),
            circle(50, 26, 4.5, "vsm-wheel"),
        ],
        "vsm-truck",
        transform=transform,
    )


def operator_icon(x: float, y: float) -> list[Shape]:
    """Head and shoulders of an operator."""
    shoulders = (
        f"M{_pt(x - 5.5, y + 10)} Q{_pt(x - 5.5, y + 4)} {_pt(x, y + 4)} "
        f"Q{_pt(x + 5.5, y + 4)} {_pt(x + 5.5, y + 10)} Z"
    )
    return [circle(x, y, 3.2, "vsm-operator"), path(shoulders, "vsm-operator")]


def inventory_icon(x: float, y: float, w: float, h: float) -> list[Shape]:
    """The inventory triangle with its "I" (drawn as a shape: no font needed)."""
    cx = x + w / 2
    bottom = y + h - 6
    top = bottom - 14
    outline = [
        (cx - 4, top), (cx + 4, top), (cx + 4, top + 2), (cx + 1.3, top + 2), (cx + 1.3, bottom - 2),
        (cx + 4, bottom - 2), (cx + 4, bottom), (cx - 4, bottom), (cx - 4, bottom - 2),
        (cx - 1.3, bottom - 2),
        (cx - 1.3, top + 2), (cx - 4, top + 2),
    ]  # fmt: skip
    letter = "M" + " L".join(_pt(px, py) for px, py in outline) + " Z"
    return [
        path(f"M{_pt(cx, y)} L{_pt(x + w, y + h)} L{_pt(x, y + h)} Z", "vsm-shape vsm-triangle"),
        path(letter, "vsm-triangle-i"),
    ]


def clock_icon(cx: float, cy: float, r: float) -> list[Shape]:
    """The wait icon: a clock."""
    hands = f"M{_pt(cx, cy - r * 0.62)} L{_pt(cx, cy)} L{_pt(cx + r * 0.48, cy + r * 0.3)}"
    return [circle(cx, cy, r, "vsm-shape vsm-clock"), path(hands, "vsm-clock-hands")]


def push_arrow(x1: float, x2: float, y: float) -> Shape:
    """A striped push arrow (material pushed downstream)."""
    band = 6
    head = min(16.0, max(6.0, (x2 - x1) / 3))
    neck = x2 - head
    d = (
        f"M{_pt(x1, y - band)} L{_pt(neck, y - band)} L{_pt(neck, y - 12)} L{_pt(x2, y)} "
        f"L{_pt(neck, y + 12)} L{_pt(neck, y + band)} L{_pt(x1, y + band)} Z"
    )
    return path(d, "vsm-push", fill="@stripes")


def fifo_lane(x1: float, x2: float, y: float, maximum: str) -> list[Shape]:
    """A FIFO lane: two rails, "FIFO" and its maximum."""
    mid = (x1 + x2) / 2
    shapes = [
        line(x1, y - 11, x2, y - 11, "vsm-rail"),
        line(x1, y + 11, x2, y + 11, "vsm-rail"),
        line(x1 + 2, y, x2 - 2, y, "vsm-link vsm-fifo-arrow", marker="@arrow"),
        rect(mid - 20, y - 8, 40, 16, "vsm-fifo-tag", rx=2),
        text(mid, y + 4, "FIFO", "vsm-fifo-text", anchor="middle"),
    ]
    if maximum:
        shapes.append(text(mid, y - 16, maximum, "vsm-small", anchor="middle"))
    return shapes


def pull_icon(x1: float, x2: float, y: float) -> list[Shape]:
    """Pull: a supermarket open to the supplying side, and a withdrawal arrow."""
    mid = (x1 + x2) / 2
    w, h = 24.0, 30.0
    left, top = mid - w / 2, y - h / 2
    shelves = (
        f"M{_pt(left, top)} L{_pt(left + w, top)} L{_pt(left + w, top + h)} L{_pt(left, top + h)} "
        f"M{_pt(left, top + h / 3)} L{_pt(left + w, top + h / 3)} "
        f"M{_pt(left, top + 2 * h / 3)} L{_pt(left + w, top + 2 * h / 3)}"
    )
    fx, fy = x2 - 2, y + 4
    tx, ty = left + w + 4, y + 8
    withdrawal = f"M{_pt(fx, fy)} C{_pt(fx, y + 34)} {_pt(tx + 6, y + 34)} {_pt(tx, ty)}"
    return [
        path(shelves, "vsm-supermarket"),
        line(x1, y, left - 2, y, "vsm-link", marker="@arrow"),
        path(withdrawal, "vsm-link vsm-withdrawal", marker="@arrow"),
    ]


# --------------------------------------------------------------------------- data boxes

Row = tuple[str, str | None, str]


def value_text(spec: Field, element: Any, display: Display) -> str:
    """One field's value as its data-box row shows it, by the display rule.

    A duration reads in the unit it was typed in where it reads cleanly there (a shift
    never in days); a count says what it counts ("2 operators").
    """
    value = getattr(element, spec.name)
    if value is None or value == "":
        return DASH
    kind = spec.kind
    if kind == "duration":
        never = "d" if spec.reads == "shift" else ""
        shown = display.entered(value, unit_of(element, spec.name), never=never)
        # A duration given as a distribution holds its mean: the row says so.
        return f"{shown} mean" if fields.distribution_of(element, spec.name) is not None else shown
    if kind == "share":
        return display.share(value)
    if kind in ("number", "integer"):
        shown = display.number(value)
        return f"{shown} {spec.noun}{'' if shown == '1' else 's'}" if spec.noun else shown
    if kind == "waste":
        return ", ".join(value)
    return str(value)


@functools.cache
def _rows_of(kind: str) -> tuple[Field, ...]:
    """:func:`vsm_widget.core.fields.rows`, sorted once per kind (every box asks for them)."""
    return fields.rows(kind)


def _row_template(spec: Field, element: Any) -> str | None:
    """The text template of a field's row, or None when the row is left out."""
    row = spec.row
    assert row is not None  # fields.rows() lists fields with a row only
    return row.text if given(spec, getattr(element, spec.name)) else row.empty


#: The step fields with a data-box row (a distribution on one adds its range row).
_ROW_FIELDS = frozenset(spec.name for spec in fields.rows("process"))


@functools.lru_cache(maxsize=8192)
def row_count(kind: str, element: Any) -> int:
    """How many rows an element's data box has (as :func:`element_rows`, without formatting)."""
    return sum(_row_template(spec, element) is not None for spec in _rows_of(kind))


@functools.cache
def _named_in(kind: str, template: str) -> tuple[Field, ...]:
    """The fields of ``kind`` a row's template names (``{name}``), in declared order: the
    declarations do not change, so each template is read once.
    """
    return tuple(other for other in fields.declared(kind) if f"{{{other.name}}}" in template)


def element_rows(kind: str, element: Any, display: Display) -> list[Row]:
    """``(label, field, text)`` of each row of an element's data box, from the fields'
    declarations (:func:`vsm_widget.core.fields.rows`): only what is given, unless a row says
    what it reads when not given.
    """
    rows: list[Row] = []
    for spec in _rows_of(kind):
        template = _row_template(spec, element)
        if template is None:
            continue
        others = {other.name: value_text(other, element, display) for other in _named_in(kind, template)}
        rows.append(
            (spec.row.label, spec.name, template.format(value_text(spec, element, display), **others))
        )  # type: ignore[union-attr]
    return rows


def process_rows(step: Process, display: Display, spreads: Sequence[Spread] = ()) -> list[Row]:
    """``(label, field, text)`` of each row of a step's data box: only what is given (a
    box with nothing given shows its first row with a dash), then two rows per measured
    spread: the measured median, and its spread bar (field ``"spread:<figure>"``, no text).
    """
    rows = element_rows("process", step, display)
    if not rows:
        first = fields.rows("process")[0]
        rows.append((first.row.label, first.name, DASH))  # type: ignore[union-attr]
    labels = {spec.name: spec.row.label for spec in fields.rows("process") if spec.row is not None}
    for name, held in step.distributions:
        # A duration given as a distribution: its row shows the mean, and a row under it
        # the range a tenth to nine tenths of the times fall in.
        if name not in labels:
            continue
        shown = display.range(held.p10, held.p90, unit_of(step, name))
        at = next((i + 1 for i, row in enumerate(rows) if row[1] == name), len(rows))
        rows.insert(at, (f"{labels[name]} range", f"range:{name}", shown))
    for spread in spreads:
        unit = spread_unit(step, spread, display)
        shown = display.spread(spread.median, spread.p15, spread.p85, unit)
        rows.append((f"{labels.get(spread.field, '')} meas.", f"measured:{spread.field}", shown))
        rows.append(("", f"spread:{spread.field}", ""))
    return rows


def spread_unit(step: Process, spread: Spread, display: Display) -> str:
    """The unit a measured spread reads in: the one its drawn figure was typed in, where
    it was, else the one that suits the median.
    """
    return unit_of(step, spread.field) or auto_unit(spread.median, display.day_length)


def measured_spreads(state: MapState) -> dict[str, tuple[Spread, ...]]:
    """The measured spreads of each step's figures, by step id, in the data box's order."""
    if not state.measured:
        return {}
    by_step: dict[str, dict[str, Spread]] = {}
    for spread in state.spreads():
        by_step.setdefault(spread.target, {})[spread.field] = spread
    order = SPREAD_FIELDS["process"]
    return {step: tuple(found[n] for n in order if n in found) for step, found in by_step.items()}


def spread_bar(x: float, y: float, width: float, spread: Spread, estimate: float | None) -> list[Shape]:
    """The spread bar of one measured figure, in a data-box row at baseline ``y``: a track
    from 0 to the largest value shown, p15 to p85 as a thick bar, the median as a tick and
    the drawn estimate (where the step has one) as a small triangle under the track.
    """
    top = max(spread.p85, estimate or 0.0) * 1.05 or 1.0
    mid = y - 4.0

    def at(seconds: float) -> float:
        return _r(x + width * min(seconds, top) / top)

    shapes = [
        line(x, mid, x + width, mid, "vsm-spread-track"),
        line(at(spread.p15), mid, max(at(spread.p85), at(spread.p15) + 1), mid, "vsm-spread-range"),
        line(at(spread.median), mid - 5, at(spread.median), mid + 5, "vsm-spread-median"),
    ]
    if estimate is not None:
        e = at(estimate)
        shapes.append(
            path(
                f"M{e},{_r(mid + 3)} L{_r(e - 3.5)},{_r(mid + 8)} L{_r(e + 3.5)},{_r(mid + 8)} Z",
                "vsm-spread-estimate",
            )
        )
    return shapes


def customer_rows(customer: Customer, metrics: Metrics, display: Display) -> list[Row]:
    """Rows under the customer icon: its fields' rows (demand, calendar, shifts), then the
    figures that follow from them: available time and takt.
    """
    rows = element_rows("customer", customer, display)
    if metrics.available_time is not None:
        rows.append(("Avail.", None, f"{display.duration(metrics.available_time, 'h')} / day"))
    rows.append(("Takt", None, display.duration(metrics.takt_time)))
    return rows


def supplier_rows(supplier: Supplier, display: Display) -> list[Row]:
    """Rows under the supplier icon: what it supplies, how often."""
    return element_rows("supplier", supplier, display)


def _rows_height(rows: int) -> float:
    return rows * ROW_H + 10


def data_box(
    box: Box,
    rows: Sequence[Row],
    label_width: float,
    bars: Mapping[str, Callable[[float, float, float], list[Shape]]] | None = None,
) -> list[Shape]:
    """A data box: a frame and one row per line, labels on the left, values after them.
    A row whose field is in ``bars`` holds a drawing instead of text: ``bars[field](x, y,
    width)`` across the row, ``y`` its baseline.
    """
    shapes = [rect(box.x, box.y, box.w, box.h, "vsm-databox")]
    for i, (label, name, shown) in enumerate(rows):
        y = box.y + 5 + ROW_H * i + 11.5
        if bars is not None and name in bars:
            shapes.append(group(bars[name](box.x + 7, y, box.w - 14), "vsm-spread"))
            continue
        value_x = box.x + label_width if label else box.x + 7
        if name == "operators":
            # An operator icon in place of a label; the text says "2 operators".
            shapes.extend(operator_icon(box.x + 12, y - 9))
            value_x = box.x + 24
        elif label:
            shapes.append(text(box.x + 7, y, label, "vsm-label"))
        shapes.append(fit_text(value_x, y, shown, box.right - 6 - value_x, "vsm-value", field=name))
    return shapes


def pills(x: float, y: float, width: float, tags: Sequence[str]) -> list[Shape]:
    """Waste tags as pills in a row; what does not fit is counted in a last "+n" pill."""
    shapes: list[Shape] = []
    cursor = x
    room = x + width
    for i, tag in enumerate(tags):
        w = measure(tag, "vsm-pill-text") + 12
        rest = len(tags) - i
        if cursor + w > room or (rest > 1 and cursor + w + 26 > room and i > 0):
            more = f"+{rest}"
            pill = rect(cursor, y, measure(more, "vsm-pill-text") + 10, 16, "vsm-pill vsm-pill-waste", rx=8)
            shapes.append(
                group([pill, text(cursor + 5, y + 11.5, more, "vsm-pill-text")], tip=", ".join(tags[i:]))
            )
            break
        shapes.append(rect(cursor, y, w, 16, "vsm-pill vsm-pill-waste", rx=8))
        shapes.append(text(cursor + 6, y + 11.5, tag, "vsm-pill-text"))
        cursor += w + 4
    return shapes


def _badge_width(label: str) -> float:
    return measure(label, "vsm-badge-text") + 12


def badge_top(box: Box, over: bool, bottleneck: bool) -> float | None:
    """The top of a step's badges over its box (None without badges): one row, or the
    bottleneck's above the over-takt one when both do not fit side by side.
    """
    if not (over or bottleneck):
        return None
    both = bottleneck and over and _badge_width("Bottleneck") + _badge_width("Over takt") + 4 > box.w
    return box.y - (40 if both else 21)


def badge(x: float, y: float, label: str, c: str, *, right: bool = False) -> list[Shape]:
    """A small labelled mark over a box (bottleneck, over takt)."""
    w = _badge_width(label)
    left = x - w if right else x
    return [
        rect(left, y, w, 17, f"vsm-badge {c}", rx=3),
        text(left + w / 2, y + 12.5, label, f"vsm-badge-text {c}-text", anchor="middle"),
    ]


# --------------------------------------------------------------------------- elements


@functools.lru_cache(maxsize=8192)
def step_figures(figures: StepMetrics | None, display: Display) -> tuple[tuple[str, str], ...]:
    """What the details panel shows of a step's computed figures (remembered: an edit
    changes the figures of a few steps, and every step's are needed to know which).
    """
    if figures is None:
        return ()
    rows = [
        ("Effective C/T", display.duration(figures.effective_cycle_time)),
        ("Capacity / day", display.number(figures.capacity_per_day)),
        ("Time on the ladder", display.process(figures.lead_time)),
        ("EPEI", display.days_of_demand(figures.epei_days)),
    ]
    return tuple((label, text) for label, text in rows if text != DASH)


@functools.lru_cache(maxsize=8192)
def gap_figures(figures: GapMetrics | None, display: Display) -> tuple[tuple[str, str], ...]:
    """What the details panel shows of a gap's computed figures."""
    if figures is None:
        return ()
    rows = [
        ("Days of demand", display.days_of_demand(figures.inventory_days)),
        ("Wait on the ladder", display.lead(figures.wait_time)),
    ]
    return tuple((label, text) for label, text in rows if text != DASH)


def process_node(
    step: Process,
    box: Box,
    display: Display,
    over: bool,
    bottleneck: bool,
    panel: tuple[tuple[str, str], ...] = (),
    spreads: tuple[Spread, ...] = (),
) -> Node:
    """A process box with its data box, value class, marks, waste tags and the spreads
    measured of its figures (from an event log).
    """
    role = " ".join(
        r
        for r in (
            f"vsm-vc-{step.value_class}" if step.value_class else "vsm-vc-none",
            "vsm-over-takt" if over else "",
            "vsm-is-bottleneck" if bottleneck else "",
        )
        if r
    )
    head = f"vsm-head vsm-head-{step.value_class}" if step.value_class else "vsm-head"
    shapes: list[Shape] = [
        rect(box.x - 4, box.y - 4, box.w + 8, box.h + 8, "vsm-halo-sel", rx=4),
        rect(box.x, box.y, box.w, PROCESS_HEAD_H, head),
    ]
    if step.value_class:
        shapes.append(rect(box.x, box.y, box.w, CLASS_STRIP_H, f"vsm-strip vsm-strip-{step.value_class}"))
        if step.value_class == "waste":
            shapes.append(rect(box.x, box.y, box.w, CLASS_STRIP_H, "vsm-strip-hatch", fill="@hatch"))
        shapes.append(
            text(box.cx, box.y + 10.5, VALUE_LABELS[step.value_class], "vsm-strip-text", anchor="middle")
        )
    name_top = box.y + CLASS_STRIP_H if step.value_class else box.y
    name_mid = (name_top + box.y + PROCESS_HEAD_H) / 2 + 4.5
    shapes.append(wrapped(box.cx, name_mid, step.name, box.w - 12, "vsm-name", 2, 14, field="name"))
    rows = process_rows(step, display, spreads)
    bars = {
        f"spread:{m.field}": lambda x, y, w, m=m: spread_bar(x, y, w, m, getattr(step, m.field))
        for m in spreads
    }
    data = data_box(Box(box.x, box.y + PROCESS_HEAD_H, box.w, _rows_height(len(rows))), rows, 62, bars)
    if over:
        for shape in data:
            if shape.get("f") == "cycle_time":
                shape["c"] += " vsm-strong vsm-value-over"
    shapes.extend(data)
    shapes.append(
        rect(box.x, box.y, box.w, box.h, "vsm-frame vsm-frame-bottleneck" if bottleneck else "vsm-frame")
    )
    if bottleneck:
        top = badge_top(box, over, bottleneck)
        shapes.extend(badge(box.x, box.y - 21 if top is None else top, "Bottleneck", "vsm-badge-bottleneck"))
    if over:
        shapes.extend(badge(box.right, box.y - 21, "Over takt", "vsm-badge-over", right=True))
    if step.waste:
        shapes.extend(pills(box.x, box.bottom + 5, box.w, step.waste))
    figures = ", ".join(f"{label} {shown}".strip() for label, _, shown in rows if shown not in (DASH, ""))
    measured = []
    for m in spreads:
        unit = spread_unit(step, m, display)
        measured.append(
            f"measured {m.field.replace('_', ' ')} median {display.duration(m.median, unit)}, 15th to 85th "
            f"percentile {display.duration(m.p15, unit)} to {display.duration(m.p85, unit)} over {m.n}"
        )
    marks = [VALUE_NAMES[step.value_class]] if step.value_class else []
    marks += [m for m, on in (("bottleneck", bottleneck), ("over takt", over)) if on]
    if step.waste:
        marks.append(f"waste: {', '.join(step.waste)}")
    label = ", ".join(part for part in (f"Process {step.name}", figures, *marks, *measured) if part)
    tip = "\n".join(
        part for part in (step.name if step.notes or measured else "", step.notes, *measured) if part
    )
    return _node(
        step.id,
        step.id,
        "process",
        "nodes",
        box,
        label,
        tuple(shapes),
        role=role,
        tip=tip,
        drag=True,
        figures=panel,
    )


def gap_node(gap: Gap, box: Box, display: Display, figures: GapMetrics | None, called: str = "") -> Node:
    """An inventory triangle (quantity, days of demand, variants) or a wait clock.

    ``called`` is how the gap is named in a sentence ("inventory before Assembly #1").
    """
    kind = "inventory" if gap.quantity is not None else "wait"
    shapes: list[Shape] = [rect(box.x - 16, box.y - 4, box.w + 32, box.h + 58, "vsm-halo-sel", rx=4)]
    lines: list[tuple[str, str | None, str]] = []
    if kind == "inventory":
        shapes.extend(inventory_icon(box.x, box.y, box.w, box.h))
        lines.append((display.count(gap.quantity), "quantity", "vsm-value vsm-strong"))
        if gap.wait_time is not None:
            lines.append(
                (display.entered(gap.wait_time, unit_of(gap, "wait_time")), "wait_time", "vsm-value")
            )
        else:
            lines.append(
                (display.days_of_demand(figures.inventory_days if figures else None), None, "vsm-value")
            )
        if gap.variants:
            lines.append(
                (" / ".join(f"{name} {display.number(q)}" for name, q in gap.variants), None, "vsm-small")
            )
    else:
        shapes.extend(clock_icon(box.cx, box.cy, min(box.w, box.h) / 2 - 1))
        held = fields.distribution_of(gap, "wait_time")
        shown = display.entered(gap.wait_time, unit_of(gap, "wait_time"))
        lines.append((f"{shown} mean" if held else shown, "wait_time", "vsm-value vsm-strong"))
        lines.append(("wait", None, "vsm-small"))
        if held is not None:
            # The range a tenth to nine tenths of the waits fall in, under the mean.
            lines.append((display.range(held.p10, held.p90, unit_of(gap, "wait_time")), None, "vsm-small"))
    for i, (content, name, c) in enumerate(lines):
        shapes.append(
            fit_text(box.cx, box.bottom + 15 + i * 15, content, GAP_COL - 4, c, anchor="middle", field=name)
        )
    if gap.waste:
        shapes.extend(
            pills(box.cx - (GAP_COL - 10) / 2, box.bottom + 9 + len(lines) * 15, GAP_COL - 10, gap.waste)
        )
    called = called or kind
    name = f"{called[:1].upper()}{called[1:]}"
    if kind == "inventory":
        label = f"{name}, {lines[0][0]} units, {lines[1][0]}" + (f", {lines[2][0]}" if gap.variants else "")
    else:
        label = f"{name}, {lines[0][0]}"
    if gap.waste:
        label += f", waste: {', '.join(gap.waste)}"
    return _node(
        gap.id, gap.id, kind, "nodes", box, label, tuple(shapes),
        tip=gap.notes, drag=True, figures=gap_figures(figures, display),
    )  # fmt: skip


def factory_node(kind: str, box: Box, name: str, rows: Sequence[Row]) -> Node:
    """The customer or supplier: a factory icon with its data box."""
    shapes: list[Shape] = [
        rect(box.x - 4, box.y - 4, box.w + 8, box.h + 8, "vsm-halo-sel", rx=4),
        path(factory_path(box.x, box.y, box.w, FACTORY_ICON_H), "vsm-shape vsm-factory"),
    ]
    roof = FACTORY_ICON_H * 0.42
    middle = box.y + roof + (FACTORY_ICON_H - roof) / 2 + 4.5
    shapes.append(wrapped(box.cx, middle, name, box.w - 14, "vsm-name", 2, 13.5, field="name"))
    if rows:
        shapes.extend(data_box(Box(box.x, box.y + FACTORY_ICON_H, box.w, _rows_height(len(rows))), rows, 52))
    figures = ", ".join(f"{label} {shown}".strip() for label, _, shown in rows)
    label = f"{kind.capitalize()} {name}" + (f", {figures}" if figures else "")
    return _node(kind, kind, kind, "nodes", box, label, tuple(shapes), drag=True)


def control_node(control: Control, box: Box) -> Node:
    """The production control box."""
    notes = bool(control.notes)
    shapes = [
        rect(box.x - 4, box.y - 4, box.w + 8, box.h + 8, "vsm-halo-sel", rx=4),
        rect(box.x, box.y, box.w, box.h, "vsm-shape vsm-control-box"),
        fit_text(
            box.cx,
            box.y + (25 if notes else 36),
            control.name,
            box.w - 14,
            "vsm-name",
            anchor="middle",
            field="name",
        ),
    ]
    if notes:
        shapes.append(
            fit_text(
                box.cx, box.y + 44, control.notes, box.w - 14, "vsm-small", anchor="middle", field="notes"
            )
        )
    label = f"Production control {control.name}" + (f": {control.notes}" if notes else "")
    return _node("control", "control", "control", "nodes", box, label, tuple(shapes), drag=True)


def burst_node(burst: Burst, box: Box, follows: str | None, target_name: str | None) -> Node:
    """A kaizen burst with its idea."""
    # A status other than a plain idea is written in the star, not told by its colour alone.
    marked = burst.status != "idea"
    shapes = [
        path(burst_path(box.x, box.y, box.w, box.h), f"vsm-burst-shape vsm-burst-{burst.status}"),
        wrapped(
            box.cx, box.cy - (3 if marked else -4), burst.text, box.w * 0.6, "vsm-burst-text",
            3 if marked else 4, 12, field="text",
        ),
    ]  # fmt: skip
    if marked:
        shapes.append(
            text(
                box.cx, box.cy + 23, burst.status.upper(), "vsm-burst-status", anchor="middle", field="status"
            ),
        )
    details = (burst.text, burst.owner and f"Owner: {burst.owner}", burst.due and f"Due: {burst.due}")
    tip = "\n".join((*(d for d in details if d), f"Status: {burst.status}"))
    on = f" on {target_name}" if target_name else ""
    label = f"Kaizen burst{on}: {burst.text} ({burst.status})"
    return _node(
        burst.id, burst.id, "burst", "bursts", box, label, tuple(shapes),
        role=f"vsm-status-{burst.status}", tip=tip, drag=True, follows=follows,
    )  # fmt: skip


# --------------------------------------------------------------------------- connectors

Point = tuple[float, float]
#: A neighbour of a flow arrow: id, whether it is a step, its box, its name in a sentence.
Side = tuple[str, bool, Box, str]


def _ports(is_step: bool, box: Box) -> dict[str, Point]:
    """Where material enters and leaves a stream item, and its flow-arrow lane."""
    if is_step:
        y = box.y + PROCESS_HEAD_H / 2
        return {"left": (box.x, y), "right": (box.right, y), "lane": (box.cx, y), "top": (box.cx, box.y)}
    lane = (box.cx, box.y - GAP_ICON_TOP + PROCESS_HEAD_H / 2)
    return {"left": lane, "right": lane, "lane": lane, "top": (box.cx, box.y)}


def _along(a: Point, z: Point) -> tuple[str, float]:
    """A transform that puts a horizontal shape on the segment a→z, and its length."""
    length = math.hypot(z[0] - a[0], z[1] - a[1])
    rotate = round(math.degrees(math.atan2(z[1] - a[1], z[0] - a[0])), 2)
    return f"translate({_pt(*a)})" + (f" rotate({rotate:g})" if rotate else ""), length


def _span(a: Point, z: Point, pad: float) -> Box:
    return Box(min(a[0], z[0]), min(a[1], z[1]) - pad, abs(z[0] - a[0]), abs(z[1] - a[1]) + 2 * pad)


def flow_node(gap: Gap, own: Box, display: Display, before: Side | None, after: Side | None) -> Node:
    """The material-flow arrow through a gap: push, pull (supermarket) or a FIFO lane."""
    lane = _ports(False, own)["lane"]
    if before is not None:
        start = _ports(before[1], before[2])["right" if before[1] else "lane"]
        start = (start[0] + 3, start[1])
    else:
        start = (lane[0] + 10, lane[1])
    if after is not None:
        end = _ports(after[1], after[2])["left" if after[1] else "lane"]
        end = (end[0] - 3, end[1])
    else:
        end = lane
    transform, length = _along(start, end)
    kids: list[Shape] = []
    if length >= 8:
        kids.append(rect(0, -14, length, 28, "vsm-hit"))
        if gap.flow == "push":
            kids.append(push_arrow(0, length, 0))
        elif gap.flow == "fifo":
            kids.extend(
                fifo_lane(0, length, 0, "" if gap.fifo_max is None else f"max {display.number(gap.fifo_max)}")
            )
        else:
            kids.extend(pull_icon(0, length, 0))
    source, target = (before[3] if before else "the start"), (after[3] if after else "the end")
    label = f"{FLOW_NAMES[gap.flow]} from {source} to {target}"
    ends = tuple(e for e in (before[0] if before else None, gap.id, after[0] if after else None) if e)
    return _node(
        f"{gap.id}/flow", gap.id, gap.flow, "links", _span(start, end, 14), label,
        (group(kids, transform=transform),),
        role=f"vsm-flow vsm-{gap.flow}", tip=FLOW_NAMES[gap.flow], ends=ends,
    )  # fmt: skip


def direct_node(step: Process, box: Box, nxt: Process, next_box: Box) -> Node:
    """A plain material arrow between two steps with nothing between them."""
    start, end = _ports(True, box)["right"], _ports(True, next_box)["left"]
    transform, length = _along(start, end)
    kids = [line(0, 0, length - 2, 0, "vsm-link", marker="@arrow")] if length > 6 else []
    label = f"Material moves from {step.name} to {nxt.name}"
    return _node(
        f"{step.id}/next", None, "direct", "links", _span(start, end, 6), label,
        (group(kids, transform=transform),),
        role="vsm-flow vsm-direct", ends=(step.id, nxt.id),
    )  # fmt: skip


def shipment_place(
    inbound: bool,
    index: int,
    party: tuple[str, Box] | None,
    end: tuple[str, bool, Box] | None,
    customer: Box,
    badges: float | None = None,
) -> tuple[Point, Point, Box]:
    """Where a shipment's broad arrow runs (from, to) and where its truck sits.

    ``badges`` is the top of the end step's badges, if it has any: the arrow ends above
    them, and the truck and its caption stay above the step and its badges.
    """
    clear: float | None = None
    if end is not None:
        top = _ports(end[1], end[2])["top"]
        shift = end[2].w / 2 - 26 if end[1] else 14
        y = top[1] - (26 if end[1] else 6)
        if end[1]:
            clear = (end[2].y if badges is None else badges) - 4
            y = min(y, clear - 9)  # the arrow's tail is 7 wide either side of its line
        stream_point = (top[0] + (-shift if inbound else shift), y)
    else:
        stream_point = (customer.x - 80, customer.bottom + 80)
    party_point = (party[1].cx, party[1].bottom + 6) if party else (stream_point[0], stream_point[1] - 140)
    a, z = (party_point, stream_point) if inbound else (stream_point, party_point)
    mid = ((a[0] + z[0]) / 2, (a[1] + z[1]) / 2 + index * 44)
    tx = mid[0] + (16 if inbound else -16 - 62)
    ty = mid[1] - 18
    if clear is not None and ty + 50 > clear:
        # The party is too close for the truck to sit by the middle of the arrow without
        # covering the step or its badges (the caption ends 50 below the truck's top): it
        # goes beside the arrow's end instead, above the step, its caption over the tail.
        tx = stream_point[0] + (10 if inbound else -10 - 62)
        ty = clear - 66 - index * 44
    return a, z, Box(tx - 4, ty - 4, 70, 38)


def shipment_node(shipment: Shipment, a: Point, z: Point, box: Box, ends: tuple[str, ...]) -> Node:
    """A truck and its broad arrow, from the supplier or to the customer."""
    inbound = shipment.direction == "in"
    tx, ty = box.x + 4, box.y + 4
    caption = shipment.frequency or ("Shipment in" if inbound else "Shipment out")
    shapes = (
        path(broad_arrow(*a, *z), "vsm-shipment-arrow"),
        group([rect(box.x, box.y, box.w, box.h, "vsm-hit"), truck(tx, ty, not inbound)]),
        fit_text(
            tx + 31, ty + 46, caption, 110, "vsm-small vsm-halo-text", anchor="middle", field="frequency"
        ),
    )
    direction = "Shipment in" if inbound else "Shipment out"
    tip = " · ".join(p for p in (direction, shipment.mode, shipment.frequency, shipment.notes) if p)
    label = f"{direction} by {shipment.mode or 'truck'}" + (
        f", {shipment.frequency}" if shipment.frequency else ""
    )
    return _node(shipment.id, shipment.id, "shipment", "links", box, label, shapes, tip=tip, ends=ends)


def _clip(box: Box, toward: Point, pad: float) -> Point:
    """Where the segment from the centre of ``box`` towards ``toward`` leaves the box."""
    cx, cy = box.cx, box.cy
    dx, dy = toward[0] - cx, toward[1] - cy
    if dx == 0 and dy == 0:
        return (cx, cy)
    t = min((box.w / 2 + pad) / abs(dx) if dx else math.inf, (box.h / 2 + pad) / abs(dy) if dy else math.inf)
    return (cx + dx * t, cy + dy * t)


#: Where along its arrow an information flow's label may sit, in order of preference.
_LABEL_PLACES = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)


def _flow_label_at(a: Point, z: Point, content: str, avoid: Sequence[Box]) -> tuple[float, float, str]:
    """Where an information flow's label goes: by the middle of its arrow, or the nearest
    place along it that no burst or badge in ``avoid`` covers.
    """
    horizontal = abs(z[0] - a[0]) > abs(z[1] - a[1])
    first: tuple[float, float, str] | None = None
    for t in _LABEL_PLACES:
        px, py = a[0] + (z[0] - a[0]) * t, a[1] + (z[1] - a[1]) * t
        x, y, anchor = (px, py - 12, "middle") if horizontal else (px + 10, py + 4, "start")
        first = first or (x, y, anchor)
        box = flow_label_box(x, y, anchor, content)
        if not any(box.overlaps(other, 2) for other in avoid):
            return x, y, anchor
    assert first is not None
    return first


def flow_label_box(x: float, y: float, anchor: str, content: str) -> Box:
    """The box an information flow's label takes, written at ``(x, y)`` (its baseline)."""
    width = min(150.0, measure(content, "vsm-small"))
    return Box(x - width / 2 if anchor == "middle" else x, y - 10, width, 14)


def info_node(
    flow: InfoFlow,
    source: Box,
    target: Box,
    shift: float,
    names: tuple[str, str],
    avoid: Sequence[Box] = (),
) -> Node:
    """An information arrow: straight (manual) or with a lightning zigzag (electronic).

    Its label stays clear of the bursts and badges in ``avoid``.
    """
    # Schedules come down onto a step's roof, as drawn on paper maps.
    from_above = source.bottom < target.y
    onto = (target.cx, target.y - 6) if from_above else _clip(target, (source.cx, source.cy), 6)
    a = _clip(source, onto if from_above else (target.cx, target.cy), 4)
    z = onto
    if shift:
        length = math.hypot(z[0] - a[0], z[1] - a[1]) or 1.0
        nx, ny = -(z[1] - a[1]) / length * shift, (z[0] - a[0]) / length * shift
        a, z = (a[0] + nx, a[1] + ny), (z[0] + nx, z[1] + ny)
    d = lightning_path(*a, *z) if flow.medium == "electronic" else f"M{_pt(*a)} L{_pt(*z)}"
    shapes: list[Shape] = [path(d, "vsm-hit-line"), path(d, "vsm-info-line", marker="@arrow")]
    if flow.label:
        x, y, anchor = _flow_label_at(a, z, flow.label, avoid)
        shapes.append(
            fit_text(x, y, flow.label, 150, "vsm-small vsm-halo-text", anchor=anchor, field="label")
        )
    medium = "Electronic" if flow.medium == "electronic" else "Manual"
    said = f": {flow.label}" if flow.label else ""
    label = f"{medium} information flow from {names[0]} to {names[1]}{said}"
    return _node(
        flow.id, flow.id, "info", "links", _span(a, z, 0), label, tuple(shapes),
        role=f"vsm-info vsm-{flow.medium}", tip=f"{medium} information{said}",
        ends=(flow.source, flow.target),
    )  # fmt: skip


# --------------------------------------------------------------------------- timeline


def rung_node(
    item_id: str,
    name: str | None,
    left: float,
    right: float,
    y: float,
    previous: float | None,
    texts: tuple[str, str | None],
    called: str = "wait",
) -> Node:
    """One rung of the timeline ladder: a wait on the upper level, a step's time below.

    ``called`` names a gap's rung for screen readers and its tooltip ("inventory before
    Assembly #1").
    """
    upper = name is None
    shapes: list[Shape] = [rect(left, y - 10, right - left, 20, "vsm-hit")]
    if previous is not None and previous != y:
        shapes.append(line(left, previous, left, y, "vsm-ladder"))
    shapes.append(line(left, y, right, y, "vsm-ladder"))
    cx, width = (left + right) / 2, right - left - 6
    shown, touch = texts
    if upper:
        shapes.append(fit_text(cx, y - 7, shown, width, "vsm-rung-text vsm-rung-wait", anchor="middle"))
        label, tip = f"Timeline, {called}: {shown}", f"{called[:1].upper()}{called[1:]}: {shown}"
    else:
        shapes.append(fit_text(cx, y + 16, shown, width, "vsm-rung-text", anchor="middle"))
        if touch is not None:
            shapes.append(fit_text(cx, y + 30, touch, width, "vsm-small", anchor="middle"))
        label, tip = f"Timeline, {name}: {shown}", name or ""
    role = f"vsm-rung vsm-rung-{'wait' if upper else 'step'}"
    return _node(
        f"{item_id}/rung",
        item_id,
        "rung",
        "timeline",
        Box(left, y - 10, right - left, 20),
        label,
        tuple(shapes),
        role=role,
        tip=tip,
    )


def totals_node(
    left: float, top: float, metrics: Metrics, display: Display, critical: str | None = None
) -> Node:
    """The box at the right end of the ladder: lead time, process time, efficiency (of
    the critical path, named by ``critical`` where the stream branches).
    """
    complete = metrics.lead_time_complete
    rows = (
        ("Lead time", ("" if complete else "≥ ") + display.lead(metrics.lead_time), "lead_time"),
        ("Process time", display.process(metrics.process_time), "process_time"),
        ("Efficiency", display.share(metrics.efficiency), "efficiency"),
    )
    shapes = [rect(left, top, TOTALS_W, 96, "vsm-totals-box", rx=3)]
    for i, (name, value, metric) in enumerate(rows):
        y = top + 22 + i * 20
        shapes.append(text(left + 10, y, name, "vsm-label"))
        tip = (
            "Some gaps have no quantity or wait: lead time is at least this."
            if i == 0 and not complete
            else None
        )
        shapes.append(
            text(
                left + TOTALS_W - 10,
                y,
                value,
                f"vsm-total vsm-total-{metric}",
                anchor="end",
                metric=metric,
                tip=tip,
            )
        )
    note = display.day_note() if critical is None else f"Critical path: {critical}"
    shapes.append(fit_text(left + 10, top + 86, note, TOTALS_W - 20, "vsm-tag vsm-small"))
    label = ", ".join(f"{name} {value}" for name, value, _ in rows)
    if critical is not None:
        label += f", along the critical path, {critical}"
    return _node(
        "totals", None, "totals", "timeline", Box(left, top, TOTALS_W, TOTALS_H), label, tuple(shapes)
    )


#: One path's line under the totals: its name, lead time, process time, and whether it
#: is the critical path.
PathRow = tuple[str, str, str, bool]


def _paths_height(count: int) -> float:
    return 30.0 + count * 17.0


def paths_node(left: float, top: float, rows: Sequence[PathRow]) -> Node:
    """Every path's totals, the critical path first (as mapping suites print one summary
    per path): a branched stream's other routes are not lost behind the critical one.
    """
    height = _paths_height(len(rows))
    shapes: list[Shape] = [rect(left, top, PATHS_W, height, "vsm-totals-box", rx=3)]
    shapes.append(text(left + 10, top + 18, "Path", "vsm-label"))
    shapes.append(text(left + 270, top + 18, "Lead time", "vsm-label", anchor="end"))
    shapes.append(text(left + PATHS_W - 10, top + 18, "Process", "vsm-label", anchor="end"))
    said = []
    for i, (name, lead, process, critical) in enumerate(rows):
        y = top + 36 + i * 17
        shown = f"{name} (critical)" if critical else name
        weight = "vsm-value vsm-strong" if critical else "vsm-value"
        shapes.append(fit_text(left + 10, y, shown, 190, weight))
        shapes.append(text(left + 270, y, lead, weight, anchor="end"))
        shapes.append(text(left + PATHS_W - 10, y, process, weight, anchor="end"))
        said.append(f"{shown}: lead time {lead}, process time {process}")
    label = "Paths: " + "; ".join(said)
    return _node("paths", None, "paths", "timeline", Box(left, top, PATHS_W, height), label, tuple(shapes))


def _path_rows(
    state: MapState, metrics: Metrics, display: Display, names: Mapping[str, str]
) -> tuple[PathRow, ...]:
    """Each path's line for :func:`paths_node`, the critical path first (``names``: each
    branch's, from :func:`_names`).
    """
    rows = []
    for row in path_totals(state, metrics):
        name = _path_name(state, row.path, names)
        rows.append((name, display.lead(row.lead_time), display.process(row.process_time), row.critical))
    rows.sort(key=lambda r: not r[3])
    return tuple(rows)


def _critical_route(state: MapState, metrics: Metrics) -> list[str]:
    """The ids of the steps and gaps along the critical path, in flow order (a straight
    map's whole stream).
    """
    if not state.branches or not metrics.critical_steps:
        return [item.id for item in state.stream]
    waits = {g.id: g.wait_time or 0.0 for g in metrics.gaps}
    gap_on: dict[tuple[str | None, str | None], Gap] = {}
    for source, target, gap, _ in flow_edges(state):
        if gap is not None:
            known = gap_on.get((source, target))
            if known is None or waits.get(gap.id, 0.0) > waits.get(known.id, 0.0):
                gap_on[(source, target)] = gap
    steps = metrics.critical_steps
    route: list[str] = []
    for i, step in enumerate(steps):
        gap = gap_on.get((steps[i - 1] if i else None, step))
        if gap is not None:
            route.append(gap.id)
        route.append(step)
    gap = gap_on.get((steps[-1], None))
    if gap is not None:
        route.append(gap.id)
    return route


# --------------------------------------------------------------------------- header


def header_node(state: MapState, metrics: Metrics, width: float) -> Node:
    """The title, which picture this is (current or future state), scope and warnings."""
    room = max(360.0, width - 320)
    shown = truncate(one_line(state.title), room, *_font("vsm-title"))
    future = state.timeframe == "future"
    tag = "FUTURE STATE" if future else "CURRENT STATE"
    title_width = measure(shown, "vsm-title")
    shapes: list[Shape] = [
        text(
            24,
            32,
            shown,
            "vsm-title",
            field="title",
            tip=state.title if shown != one_line(state.title) else None,
        ),
        text(24 + title_width + 12, 32, tag, f"vsm-state-tag vsm-state-{'future' if future else 'current'}"),
    ]
    cursor = 24.0
    if state.scope:
        scope = truncate(one_line(state.scope), room * 0.6, *_font("vsm-scope"))
        cut = scope != one_line(state.scope)
        shapes.append(text(24, 50, scope, "vsm-scope", field="scope", tip=state.scope if cut else None))
        cursor += measure(scope, "vsm-scope") + 14
    warnings = metrics.warnings
    if warnings:
        plural = "" if len(warnings) == 1 else "s"
        message = truncate(
            f"⚠ {len(warnings)} warning{plural}: {warnings[0].message}", room * 0.4, *_font("vsm-warning")
        )
        shapes.append(text(cursor, 50, message, "vsm-warning", tip="\n".join(w.message for w in warnings)))
    label = f"{state.title}, {tag.lower()}" + (f": {state.scope}" if state.scope else "")
    return _node("title", "map", "title", "nodes", Box(24, 16, title_width, 22), label, tuple(shapes))


def empty_node() -> Node:
    """What an empty map shows: how to start."""
    x, y = STREAM_LEFT, STREAM_TOP
    shapes = (
        rect(x, y, 420, 64, "vsm-empty-box", rx=6),
        text(x + 210, y + 28, "No steps yet", "vsm-name", anchor="middle"),
        text(
            x + 210,
            y + 47,
            "Use “+ Process” to add the first step of the stream.",
            "vsm-small",
            anchor="middle",
        ),
    )
    return _node("empty", None, "empty", "nodes", Box(x, y, 420, 64), "No steps yet", shapes)


SLOT_R = 9.0


def slot_node(key: str, point: Point, place: tuple[str, str], gaps: bool, where: str) -> Node:
    """An insertion handle: a "+" in the stream where the canvas adds a step or a gap."""
    cx, cy = point
    plus = f"M{_pt(cx - 4.5, cy)} L{_pt(cx + 4.5, cy)} M{_pt(cx, cy - 4.5)} L{_pt(cx, cy + 4.5)}"
    shapes = (circle(cx, cy, SLOT_R, "vsm-slot-ring"), path(plus, "vsm-slot-plus"))
    what = "a step or a gap" if gaps else "a step"
    box = Box(cx - SLOT_R, cy - SLOT_R, 2 * SLOT_R, 2 * SLOT_R)
    return _node(
        key, None, "slot", "slots", box, f"Add {what} {where}", shapes,
        role="vsm-slot", place=place, gaps=gaps,
    )  # fmt: skip


def _slot_where(prev: Process | Gap | None, nxt: Process | Gap | None) -> str:
    """Where a handle adds, in words: by the steps around it ("after Cut, before its wait")."""

    def kind(gap: Gap) -> str:
        return "inventory" if gap.quantity is not None else "wait"

    if isinstance(prev, Process) and isinstance(nxt, Process):
        return f"between {prev.name} and {nxt.name}"
    if isinstance(prev, Process):
        return f"after {prev.name}" + (f", before the {kind(nxt)}" if isinstance(nxt, Gap) else "")
    if isinstance(nxt, Process):
        return f"before {nxt.name}" + (f", after the {kind(prev)}" if isinstance(prev, Gap) else "")
    if isinstance(nxt, Gap):
        return f"at the start, before the {kind(nxt)}"
    return f"at the end, after the {kind(prev)}" if isinstance(prev, Gap) else "at the end"


def _end_point(item: Process | Gap, boxes: Mapping[str, Box], *, left: bool) -> Point:
    """Where a connector meets a branch's first item (``left``) or leaves its last."""
    box = boxes[item.id]
    y = _lane(item, box)
    if isinstance(item, Process):
        return (box.x - 2, y) if left else (box.right, y)
    # A gap's own flow arrow ends at its middle (or starts just after it, at a path's
    # start): the connector carries on from there.
    return (box.cx + 10, y) if left else (box.cx + 1, y)


def split_node(
    branch: Branch,
    after: Box,
    split: tuple[int, int],
    start: Point | None,
    lane_y: float,
    after_name: str,
    first_is_step: bool,
) -> Node:
    """The arrow down from the step a parallel path splits off after, to its first item.

    Of several paths leaving one step, the one in the farthest lane leaves farthest from
    the main flow and turns nearest the box, so that no two cross.
    """
    index, count = split
    # Into a lane above, out of the upper half of the box; below, out of the lower half.
    up = lane_y < after.y + PROCESS_HEAD_H / 2
    y = after.y + PROCESS_HEAD_H / 2 + (14 + 10 * index) * (-1 if up else 1)
    x = after.right + CONNECTOR_STEP * (count - index)
    points = [(after.right, y), (x, y), (x, lane_y)]
    if start is not None:
        points += [(x, start[1]), start]
    d = "M" + " L".join(_pt(*p) for p in _dedupe(points))
    # Into a step, an arrow; into a gap, the gap's own flow arrow carries on.
    head = start is not None and first_is_step
    arrow = path(d, "vsm-link", marker="@arrow") if head else path(d, "vsm-link")
    shapes = (path(d, "vsm-hit-line"), arrow)
    label = f"Material splits from {after_name} onto the parallel path"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    box = Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    return _node(
        f"{branch.id}/split", branch.id, "split", "links", box, label, shapes,
        role="vsm-flow vsm-split", ends=tuple(e for e in (branch.after,) if e),
    )  # fmt: skip


def merge_node(
    branch: Branch, into: Box, merge: tuple[int, int], end: Point, into_name: str, _name: str
) -> Node:
    """The arrow from a branch's last item up into the step it joins.

    Of several branches joining one step, the one in the farthest lane turns nearest the
    box and enters it farthest from the main flow, so that no two cross.
    """
    index, count = merge
    up = end[1] < into.y + PROCESS_HEAD_H / 2
    y = into.y + PROCESS_HEAD_H / 2 + (14 + 10 * index) * (-1 if up else 1)
    x = into.x - CONNECTOR_STEP * (count - index)
    points = [end, (x, end[1]), (x, y), (into.x - 2, y)]
    d = "M" + " L".join(_pt(*p) for p in _dedupe(points))
    shapes = (path(d, "vsm-hit-line"), path(d, "vsm-link", marker="@arrow"))
    kind = "parallel path" if branch.after else "feeder"
    label = f"Material from the {kind} joins {into_name}"
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    box = Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
    return _node(
        f"{branch.id}/merge", branch.id, "merge", "links", box, label, shapes,
        role="vsm-flow vsm-merge", ends=(branch.into,),
    )  # fmt: skip


def _dedupe(points: list[Point]) -> list[Point]:
    """The points without repeats in a row (a zero-length leg draws nothing)."""
    kept: list[Point] = []
    for p in points:
        if not kept or (abs(kept[-1][0] - p[0]) > 0.01 or abs(kept[-1][1] - p[1]) > 0.01):
            kept.append(p)
    return kept


def lane_node(branch: Branch, x: float, top: float, called: str) -> Node:
    """A branch's name over its lane, so the coach reads what each line is."""
    shown = called[:1].upper() + called[1:]
    width = min(measure(shown, "vsm-lane-label"), 300.0)
    shapes = (fit_text(x, top - 12, shown, 300, "vsm-lane-label", field="name"),)
    return _node(
        f"{branch.id}/lane", branch.id, "lane", "links", Box(x, top - 24, width, 16),
        f"Branch {shown}", shapes, role="vsm-lane",
    )  # fmt: skip


def rework_node(
    loop: Rework,
    source: Box,
    target: Box,
    row: int,
    y: float,
    ends: tuple[str, str],
    share: str,
) -> Node:
    """A rework loop: an arrow back under the boxes, from the step whose output is sent
    back to the step it goes back to, with the share written on it.

    Its legs attach at the right of each box (waste tags fill from the left); a loop in a
    lower row attaches further out on both sides, so nested loops never cross.
    """
    sx = min(source.right - 4, source.right - 18 + 5 * row)
    tx = max(target.x + 4, target.right - 36 - 5 * row)
    if tx >= sx - 8:
        tx = sx - 18
    points = [(sx, source.bottom), (sx, y), (tx, y), (tx, target.bottom + 2)]
    d = "M" + " L".join(_pt(*p) for p in points)
    content = f"{share} rework"
    classes = "vsm-small vsm-halo-text vsm-rework-text"
    if sx - tx >= measure(content, classes) + 12:
        said = text((sx + tx) / 2, y - 4, content, classes, anchor="middle", field="share")
    else:
        # A short loop (a step sending work back to itself): the share beside it.
        said = text(tx - 5, y + 4, content, classes, anchor="end", field="share")
    shapes = (path(d, "vsm-hit-line"), path(d, "vsm-rework-line", marker="@arrow"), said)
    label = f"Rework loop: {share} of the items leaving {ends[0]} go back to {ends[1]}"
    left, right = min(tx, sx), max(tx, sx)
    top = min(source.bottom, target.bottom)
    return _node(
        loop.id, loop.id, "rework", "links", Box(left, top, right - left, y - top + 2), label, shapes,
        role="vsm-rework", tip=label, ends=(loop.source, loop.target),
    )  # fmt: skip


def _lane(item: Process | Gap, box: Box) -> float:
    """The height of the material flow through a stream item (the lane of :func:`_ports`,
    without making every port: a scene asks for two per slot between items).
    """
    if item.__class__ is Process:
        return box.y + PROCESS_HEAD_H / 2
    return box.y - GAP_ICON_TOP + PROCESS_HEAD_H / 2


# --------------------------------------------------------------------------- the scene


def burst_width(content: str) -> float:
    """Width of a burst star that holds its text in about three lines (the text uses 60%)."""
    line_width = measure(content, "vsm-burst-text") / 3 * 1.3
    return float(round(min(BURST_MAX_W, max(BURST_W, line_width / 0.6))))


def display_for(state: MapState, metrics: Metrics) -> Display:
    """The display rule of a map, its ladder units fixed from its totals."""
    return metrics.display


def _free_row(rows: list[list[tuple[float, float]]], left: float, right: float) -> int:
    """The first row whose spans leave ``left``..``right`` free; the span is taken there."""
    for index, spans in enumerate(rows):
        if all(right <= a or left >= b for a, b in spans):
            spans.append((left, right))
            return index
    rows.append([(left, right)])
    return len(rows) - 1


def _placed(x: float | None, y: float | None, auto: Point) -> Point:
    return (auto[0] if x is None else x, auto[1] if y is None else y)


def _names(state: MapState) -> dict[str, str]:
    """How each element is called in a sentence: a step by its name, a gap by the step it
    feeds ("inventory before Assembly #1"), others by their kind.
    """
    names = {"customer": state.customer.name, "control": "production control"}
    if state.supplier is not None:
        names["supplier"] = state.supplier.name
    steps = {step.id: step for step in state.all_steps}
    into = {branch.id: steps.get(branch.into) for branch in state.branches}
    for path, stream in state.by_path:
        for i, item in enumerate(stream):
            if isinstance(item, Process):
                names[item.id] = item.name
                continue
            # A gap by the step it feeds (or follows, at the end): never by its id. The
            # last gap of a branch feeds the step the branch joins.
            kind = "inventory" if item.quantity is not None else "wait"
            after = stream[i + 1] if i + 1 < len(stream) else into.get(path)
            before = stream[i - 1] if i else None
            if isinstance(after, Process):
                names[item.id] = f"{kind} before {after.name}"
            elif isinstance(before, Process):
                names[item.id] = f"{kind} after {before.name}"
            else:
                names[item.id] = kind
    for shipment in state.shipments:
        names[shipment.id] = f"shipment {shipment.direction}"
    for branch in state.branches:
        names[branch.id] = state.path_name(branch.id)
    return names


def _path_name(state: MapState, path: str, names: Mapping[str, str]) -> str:
    """A path's name as a title: "Main line", or its branch's name (see
    :meth:`~vsm_widget.core.fields.MapState.path_name`; a branch's as ``names`` has it).
    """
    found = names.get(path) if path != MAIN else None
    found = found if found is not None else state.path_name(path)
    return found[:1].upper() + found[1:]


def build_scene(state: MapState, metrics: Metrics | None = None, cache: SceneCache | None = None) -> Scene:
    """Lay the whole map out once: every element's box, shapes, texts and roles.

    With a ``cache`` (kept between builds of one map), nodes whose inputs are unchanged
    are reused; without one every node is made afresh.
    """
    metrics = metrics if metrics is not None else compute(state)
    display = display_for(state, metrics)
    cache = cache if cache is not None else SceneCache()
    _forget_coordinates()
    day = display.day_length
    step_figures_of: dict[str, StepMetrics] = {s.id: s for s in metrics.steps}
    gap_figures_of: dict[str, GapMetrics] = {g.id: g for g in metrics.gaps}
    spreads = measured_spreads(state)
    over = set(metrics.steps_over_takt)
    boxes: dict[str, Box] = {}
    paths = state.by_path
    branches = {branch.id: branch for branch in state.branches}

    # The stream: each path's items in their automatic columns and lanes (see lanes.py),
    # a stored place winning over the automatic one.
    lanes = lay_out_lanes(
        state, lambda item: PROCESS_COL if isinstance(item, Process) else GAP_COL, STREAM_LEFT
    )
    heights: dict[str, float] = {}
    for item in state.all_items:
        if isinstance(item, Process):
            rows = max(1, row_count("process", item)) + 2 * len(spreads.get(item.id, ()))
            rows += sum(name in _ROW_FIELDS for name, _ in item.distributions)
            heights[item.id] = PROCESS_HEAD_H + _rows_height(rows)
    tops: dict[int, float] = {}
    bands: dict[int, float] = {}
    lane_items: dict[int, list[Process | Gap]] = {}
    for path, items in paths:
        lane_items.setdefault(lanes.lane.get(path, 0), []).extend(items)

    def lane_height(depth: int) -> tuple[float, float]:
        """A lane's content height and the height of its band of rework loops."""
        low = PROCESS_HEAD_H + _rows_height(3 if depth == 0 else 2)
        for item in lane_items.get(depth, ()):
            if isinstance(item, Process):
                low = max(low, heights[item.id] + (24 if item.waste else 0))
            else:
                low = max(low, GAP_ICON_TOP + GAP_ICON_H + 14 + 3 * 15 + (20 if item.waste else 0))
        rows = lanes.rows.get(depth, 0)
        return low, rows * REWORK_ROW + (10 if rows else 0)

    y = STREAM_TOP
    bottom = STREAM_TOP + PROCESS_HEAD_H + _rows_height(3)
    for depth in lanes.depths:
        content, band = lane_height(depth)
        tops[depth] = y
        bands[depth] = y + content + 6
        bottom = max(bottom, y + content + band)
        y += content + band + LANE_GAP
    lane_of_item: dict[str, int] = {}
    for path, items in paths:
        depth = lanes.lane.get(path, 0)
        for item in items:
            lane_of_item[item.id] = depth
            left, _ = lanes.columns[item.id]
            top = tops[depth]
            if isinstance(item, Process):
                at = _placed(item.x, item.y, (left + (PROCESS_COL - PROCESS_W) / 2, top))
                boxes[item.id] = Box(at[0], at[1], PROCESS_W, heights[item.id])
                bottom = max(bottom, at[1] + heights[item.id] + (24 if item.waste else 0))
            else:
                at = _placed(item.x, item.y, (left + (GAP_COL - GAP_ICON_W) / 2, top + GAP_ICON_TOP))
                boxes[item.id] = Box(at[0], at[1], GAP_ICON_W, GAP_ICON_H)
                bottom = max(bottom, at[1] + GAP_ICON_H + 14 + 3 * 15 + (20 if item.waste else 0))
    stream_right = max((right for _, right in lanes.columns.values()), default=STREAM_LEFT)
    stream_right = max(stream_right, STREAM_LEFT + PROCESS_COL)
    totals_left = stream_right + 16
    content_right = max(totals_left + TOTALS_W, MARGIN + 2 * FACTORY_W + CONTROL_W + 160)

    customer = state.customer
    crows = customer_rows(customer, metrics, display)
    at = _placed(customer.x, customer.y, (content_right - FACTORY_W, TOP_ROW))
    boxes["customer"] = Box(at[0], at[1], FACTORY_W, FACTORY_ICON_H + _rows_height(len(crows)))
    supplier_right = MARGIN
    srows: list[Row] = []
    if state.supplier is not None:
        srows = supplier_rows(state.supplier, display)
        at = _placed(state.supplier.x, state.supplier.y, (MARGIN, TOP_ROW))
        boxes["supplier"] = Box(
            at[0], at[1], FACTORY_W, FACTORY_ICON_H + (_rows_height(len(srows)) if srows else 0)
        )
        supplier_right = MARGIN + FACTORY_W
    if state.control is not None:
        mid = (supplier_right + content_right - FACTORY_W) / 2
        at = _placed(state.control.x, state.control.y, (mid - CONTROL_W / 2, TOP_ROW))
        boxes["control"] = Box(at[0], at[1], CONTROL_W, CONTROL_H)

    # Kaizen bursts sit in a lane of their own under the stream's data boxes: above the
    # stream they would cover information arrows, their labels and the trucks. A burst on
    # an element is centred on it; a burst on the whole map stands at the right end, over
    # the ladder's totals. Each takes the first row where it covers no other burst; rows
    # are chosen from the automatic columns, so that dragging a step moves only its own
    # bursts.
    column_cx = {key: (left + right) / 2 for key, (left, right) in lanes.columns.items()}
    lane_rows: list[list[tuple[float, float]]] = []
    follows: dict[str, str | None] = {}
    for burst in state.bursts:
        w = burst_width(burst.text)
        target = boxes.get(burst.target) if burst.target else None
        auto_cx = content_right - w / 2 if target is None else column_cx.get(burst.target or "", target.cx)
        row = 0
        if burst.x is None or burst.y is None:
            row = _free_row(lane_rows, auto_cx - w / 2 - BURST_GAP, auto_cx + w / 2 + BURST_GAP)
        cx = auto_cx if target is None else target.cx
        auto = (cx - w / 2, bottom + 8 + row * (BURST_H + 4))
        at = _placed(burst.x, burst.y, auto)
        boxes[burst.id] = Box(at[0], at[1], w, BURST_H)
        by_hand = burst.x is not None and burst.y is not None
        follows[burst.id] = burst.target if target is not None and not by_hand else None

    max_x, max_y, min_x, min_y = content_right, bottom, 0.0, 0.0
    for box in boxes.values():
        max_x, min_x, min_y, max_y = (
            max(max_x, box.right),
            min(min_x, box.x),
            min(min_y, box.y),
            max(max_y, box.bottom),
        )
    timeline_top = max(bottom, max_y) + 34
    names = _names(state)
    path_rows = _path_rows(state, metrics, display, names) if branches else ()
    timeline_h = TIMELINE_H + (_paths_height(len(path_rows)) + 10 if path_rows else 0)
    bounds = Box(min_x, min_y, max_x + MARGIN - min_x, timeline_top + timeline_h - min_y)
    nodes: list[Node] = []
    add = nodes.append

    # The ladder, along the critical path (the whole stream of a straight map): segments
    # under the drawn boxes while they run left to right, else under the automatic columns.
    items_by_id = {item.id: item for item in state.all_items}
    route = [items_by_id[i] for i in _critical_route(state, metrics) if i in items_by_id]
    columns = [(item, *lanes.columns[item.id]) for item in route]
    centres = [boxes[item.id].cx for item, _, _ in columns]
    in_order = all(i == 0 or c > centres[i - 1] + 20 for i, c in enumerate(centres))
    previous: float | None = None
    previous_right = 0.0
    for i, (item, left, right) in enumerate(columns):
        if in_order:
            half = (right - left) / 2
            left = centres[i] - half if i == 0 else (centres[i - 1] + centres[i]) / 2
            right = centres[i] + half if i == len(centres) - 1 else (centres[i] + centres[i + 1]) / 2
        if isinstance(item, Gap):
            y = timeline_top + LADDER_UPPER
            figures = gap_figures_of.get(item.id)
            texts: tuple[str, str | None] = (display.lead(figures.wait_time if figures else None), None)
            rung_name = None
            called = names[item.id]
        else:
            y = timeline_top + LADDER_LOWER
            step = step_figures_of.get(item.id)
            own = step.lead_time if step else None
            touch = None
            if step and step.touch_time is not None and own is not None and abs(step.touch_time - own) > 1e-9:
                touch = f"PT {display.process(step.touch_time)}"
            texts = (display.process(own), touch)
            rung_name = item.name
            called = item.name
        signature = (left, right, y, previous, texts, rung_name, called)
        add(
            cache.node(
                f"{item.id}/rung",
                signature,
                lambda i=item.id, n=rung_name, lr=(left, right), yy=y, p=previous, t=texts, c=called: (
                    rung_node(i, n, lr[0], lr[1], yy, p, t, c)
                ),
            )
        )
        previous, previous_right = y, right
    totals_at = max(previous_right + 18, totals_left)
    add(
        totals_node(
            totals_at,
            timeline_top,
            metrics,
            display,
            _path_name(state, metrics.critical_path, names) if branches else None,
        )
    )
    if path_rows:
        add(paths_node(totals_at + TOTALS_W - PATHS_W, timeline_top + TOTALS_H + 10, path_rows))

    # Connectors: material flow along each path, where branches leave and join, rework
    # loops, shipments, information flows.
    for _, items in paths:
        for i, item in enumerate(items):
            prev = items[i - 1] if i else None
            nxt = items[i + 1] if i + 1 < len(items) else None
            if isinstance(item, Gap):
                before = (
                    (prev.id, isinstance(prev, Process), boxes[prev.id], names[prev.id]) if prev else None
                )
                after = (nxt.id, isinstance(nxt, Process), boxes[nxt.id], names[nxt.id]) if nxt else None
                own = boxes[item.id]
                signature = (item.flow, item.fifo_max, own, before, after)
                add(
                    cache.node(
                        f"{item.id}/flow",
                        signature,
                        lambda g=item, o=own, bf=before, af=after: flow_node(g, o, display, bf, af),
                    )
                )
            elif isinstance(nxt, Process):
                pair = (item, boxes[item.id], nxt, boxes[nxt.id])
                add(
                    cache.node(
                        f"{item.id}/next",
                        (item.name, pair[1], nxt.id, nxt.name, pair[3]),
                        lambda p=pair: direct_node(*p),
                    )
                )
    for branch in state.branches:
        depth = lanes.lane.get(branch.id, 1)
        lane_y = tops[depth] + PROCESS_HEAD_H / 2
        first = branch.items[0] if branch.items else None
        last = branch.items[-1] if branch.items else None
        split = lanes.splits.get(branch.id)
        merge = lanes.merges.get(branch.id)
        after_box = boxes.get(branch.after) if branch.after else None
        into_box = boxes.get(branch.into)
        start = _end_point(first, boxes, left=True) if first is not None else None
        end = _end_point(last, boxes, left=False) if last is not None else None
        if after_box is not None and split is not None:
            signature = (
                after_box, split, start, lane_y, names.get(branch.after or "", ""), isinstance(first, Process)
            )  # fmt: skip
            add(
                cache.node(
                    f"{branch.id}/split",
                    signature,
                    lambda b=branch, sig=signature: split_node(b, *sig),
                )
            )
            if end is None:
                end = (after_box.right + CONNECTOR_STEP * (split[1] - split[0]) + 1, lane_y)
        if into_box is not None and merge is not None and end is not None:
            signature = (into_box, merge, end, names.get(branch.into, ""), branch.name)
            add(
                cache.node(
                    f"{branch.id}/merge", signature, lambda b=branch, sig=signature: merge_node(b, *sig)
                )
            )
        if first is not None:
            label_x = boxes[first.id].x
        elif after_box is not None:
            label_x = after_box.right + 24
        else:
            label_x = lanes.columns.get(branch.into, (STREAM_LEFT, 0.0))[0] - 120
        called = names[branch.id]
        add(
            cache.node(
                f"{branch.id}/lane",
                (label_x, tops[depth], called),
                lambda b=branch, x=label_x, t=tops[depth], c=called: lane_node(b, x, t, c),
            )
        )
    for loop in state.reworks:
        source, target = boxes.get(loop.source), boxes.get(loop.target)
        row = lanes.rework_rows.get(loop.id)
        if source is None or target is None or row is None:
            continue
        depth = lane_of_item.get(loop.source, 0)
        row_y = max(bands[depth] + 10 + row * REWORK_ROW, source.bottom + 10, target.bottom + 10)
        ends = (names.get(loop.source, loop.source), names.get(loop.target, loop.target))
        signature = (loop, source, target, row, row_y, ends, display.share(loop.share))
        add(cache.node(loop.id, signature, lambda sig=signature: rework_node(*sig)))
    stream = state.stream
    first, last = (stream[0], stream[-1]) if stream else (None, None)
    counts = {"in": 0, "out": 0}
    for shipment in state.shipments:
        index = counts[shipment.direction]
        counts[shipment.direction] += 1
        inbound = shipment.direction == "in"
        end_item = first if inbound else last
        party_id = ("supplier" if state.supplier else None) if inbound else "customer"
        party = (party_id, boxes[party_id]) if party_id else None
        end = (end_item.id, isinstance(end_item, Process), boxes[end_item.id]) if end_item else None
        badges = (
            badge_top(boxes[end_item.id], end_item.id in over, metrics.bottleneck == end_item.id)
            if isinstance(end_item, Process)
            else None
        )
        a, z, truck_box = shipment_place(inbound, index, party, end, boxes["customer"], badges)
        # Information flows may start or end at a truck.
        boxes[shipment.id] = truck_box
        ends = tuple(e for e in (party_id, end_item.id if end_item else None) if e)
        signature = (shipment, a, z, truck_box, ends)
        add(
            cache.node(
                shipment.id, signature, lambda sh=shipment, p=(a, z, truck_box, ends): shipment_node(sh, *p)
            )
        )
    pair_total: dict[tuple[str, ...], int] = {}
    for flow in state.flows:
        key = tuple(sorted((flow.source, flow.target)))
        pair_total[key] = pair_total.get(key, 0) + 1
    pair_seen: dict[tuple[str, ...], int] = {}
    # What a flow's label must not hide under: every burst, and the badges over steps. A
    # flow's arrow treats a step's badges as part of the step: a schedule comes down onto
    # the badges' top, not between two badges onto the box.
    covers = [boxes[burst.id] for burst in state.bursts]
    with_badges: dict[str, Box] = {}
    for item in state.all_items:
        if isinstance(item, Process):
            box = boxes[item.id]
            top = badge_top(box, item.id in over, metrics.bottleneck == item.id)
            if top is not None:
                covers.append(Box(box.x, top, PROCESS_W, box.y - top))
                with_badges[item.id] = Box(box.x, top, box.w, box.bottom - top)
    for flow in state.flows:
        key = tuple(sorted((flow.source, flow.target)))
        index = pair_seen.get(key, 0)
        pair_seen[key] = index + 1
        source = with_badges.get(flow.source) or boxes.get(flow.source)
        target = with_badges.get(flow.target) or boxes.get(flow.target)
        if source is None or target is None:
            continue
        shift = (index - (pair_total[key] - 1) / 2) * 18
        ends = (names.get(flow.source, flow.source), names.get(flow.target, flow.target))
        # The arrow runs between the two boxes: only covers near them matter.
        left, top = min(source.x, target.x), min(source.y, target.y)
        right, low = max(source.right, target.right), max(source.bottom, target.bottom)
        reach = Box(left, top, right - left, low - top)
        near = tuple(c for c in covers if c.overlaps(reach, 160)) if flow.label else ()
        signature = (flow, source, target, shift, ends, near)
        node = cache.node(
            flow.id,
            signature,
            lambda f=flow, s=source, t=target, sh=shift, e=ends, n=near: info_node(f, s, t, sh, e, n),
        )
        add(node)
        # The next flows' labels keep clear of this one's.
        written = next((sh for sh in node.shapes if sh.get("f") == "label"), None)
        if written is not None:
            anchor = str(written.get("text-anchor", "start"))
            covers.append(flow_label_box(float(written["x"]), float(written["y"]), anchor, flow.label))

    # Elements.
    add(header_node(state, metrics, bounds.w))
    if state.supplier is not None:
        supplier = state.supplier
        add(
            cache.node(
                "supplier",
                (supplier, boxes["supplier"]),
                lambda: factory_node("supplier", boxes["supplier"], supplier.name, srows),
            )
        )
    if state.control is not None:
        control = state.control
        add(
            cache.node(
                "control", (control, boxes["control"]), lambda: control_node(control, boxes["control"])
            )
        )
    add(
        cache.node(
            "customer",
            (customer, boxes["customer"], tuple(crows)),
            lambda: factory_node("customer", boxes["customer"], customer.name, crows),
        )
    )
    if not stream and not branches:
        add(empty_node())
    # Insertion handles on each path: before the first item, between every two, after the
    # last (an empty map says to use the toolbar instead; an empty branch has one handle).
    for path, items in paths:
        if not items:
            if path in branches:
                depth = lanes.lane.get(path, 1)
                branch = branches[path]
                # The model keeps a branch's ends on steps of the map.
                x = boxes[branch.after].right + 40 if branch.after else boxes[branch.into].x - 60
                point = (x, tops[depth] + PROCESS_HEAD_H / 2)
                key = f"{path}/start/slot"
                where = f"on {names[branch.id]}"
                add(
                    cache.node(
                        key,
                        (point, path, where),
                        lambda k=key, pt=point, b=path, w=where: slot_node(k, pt, ("branch", b), True, w),
                    )
                )
            continue
        for i in range(len(items) + 1):
            prev = items[i - 1] if i else None
            nxt = items[i] if i < len(items) else None
            if prev is not None and nxt is not None:
                left, right = boxes[prev.id].right, boxes[nxt.id].x
                point = ((left + right) / 2, (_lane(prev, boxes[prev.id]) + _lane(nxt, boxes[nxt.id])) / 2)
            elif nxt is not None:
                point = (boxes[nxt.id].x - 18, _lane(nxt, boxes[nxt.id]))
            else:
                assert prev is not None
                point = (boxes[prev.id].right + 18, _lane(prev, boxes[prev.id]))
            place = ("after", prev.id) if prev is not None else ("before", nxt.id)  # type: ignore[union-attr]
            gaps = not isinstance(prev, Gap) and not isinstance(nxt, Gap)
            where = _slot_where(prev, nxt)
            if path in branches:
                where = f"{where} on {names[path]}"
            start_key = "start/slot" if path == MAIN else f"{path}/start/slot"
            key = f"{prev.id}/slot" if prev is not None else start_key
            add(
                cache.node(
                    key,
                    (point, place, gaps, where),
                    lambda k=key, pt=point, pl=place, g=gaps, w=where: slot_node(k, pt, pl, g, w),
                )
            )
    for item in state.all_items:
        box = boxes[item.id]
        if isinstance(item, Process):
            late, top = item.id in over, metrics.bottleneck == item.id
            shown = step_figures(step_figures_of.get(item.id), display)
            measured = spreads.get(item.id, ())
            add(
                cache.node(
                    item.id,
                    (item, box, day, late, top, shown, measured),
                    lambda s=item, b=box, o=late, t=top, f=shown, m=measured: process_node(
                        s, b, display, o, t, f, m
                    ),
                )
            )
        else:
            figures = gap_figures_of.get(item.id)
            add(
                cache.node(
                    item.id,
                    (item, box, day, figures, display.lead_unit, names[item.id]),
                    lambda g=item, b=box, f=figures, c=names[item.id]: gap_node(g, b, display, f, c),
                )
            )
    for burst in state.bursts:
        box = boxes[burst.id]
        target_name = names.get(burst.target) if burst.target else None
        signature = (burst, box, follows[burst.id], target_name)
        add(
            cache.node(
                burst.id,
                signature,
                lambda k=burst, b=box, f=follows[burst.id], t=target_name: burst_node(k, b, f, t),
            )
        )
    cache.finish()
    return Scene(state.title, tuple(nodes), bounds, display)
