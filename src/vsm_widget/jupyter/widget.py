"""The map canvas as a Jupyter widget: traits and messages between the front end and the map.

:class:`MapWidget` adapts a :class:`~vsm_widget.ValueStreamMap` to Jupyter. The map
stays the single source of truth: the widget sends its document and metrics to the
canvas as synced traits, and the canvas sends back small edit messages (see
``docs/sync-protocol.md``), which the widget applies through the map's own API. Every
edit made in Python, by the canvas or by pandas, reaches the canvas through one path:
the map's change notices.

>>> from vsm_widget import ValueStreamMap
>>> m = ValueStreamMap("Brackets", demand=920, available_time="2 x 27600 s")
>>> w = m.editor(height=600)        # doctest: +SKIP
>>> w.selection = ["p1"]            # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import difflib
import logging
import math
import re
import sys
import threading
import time
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, TypedDict, Union

import anywidget
import ipywidgets
import traitlets

from ..core import units
from ..core.fields import panel_fields
from ..core.model import MAIN, BranchBuilder, Change, Map, ValidationError, _closest, new_map
from ..core.workshop import Workshop
from ..data import io
from ..presentation.fallback import fallback_html
from .presence import Role, presence_for

__all__ = [
    "FLUSH_SECONDS",
    "MAX_OPEN_CHARS",
    "MOVE_MERGE_SECONDS",
    "OVERWRITE_SECONDS",
    "PROTOCOL_OPS",
    "FACILITATOR_WORKSHOP_OPS",
    "LOCKED_REASON",
    "PARTICIPANT_WORKSHOP_OPS",
    "EditMessage",
    "ErrorInfo",
    "ExportRequest",
    "MapWidget",
    "PresenceMessage",
    "ResultMessage",
    "display_with_fallback",
]

_log = logging.getLogger(__name__)

_STATIC = Path(__file__).parents[1] / "static"  # the built front end, at the package root
# Shown when the package was installed without its built front end (a source checkout
# where `npm run build` has not run yet), so the notebook says what to do instead of
# failing to import.
_MISSING_BUNDLE = """
function render({ el }) {
  el.className = "vsm-canvas vsm-missing-bundle";
  el.textContent = "vsm_widget: the front end is not built. Run `npm install && npm run build` "
    + "in the repository (or reinstall with pip) and restart the kernel.";
}
export default { render };
"""


def _bundle(name: str, fallback: str) -> Path | str:
    path = _STATIC / name
    return path if path.is_file() else fallback


# --------------------------------------------------------------------------- message shapes
#
# One TypedDict per front-end message. They document the protocol for type checkers and
# are also read at run time (see _check_shape) so that the shapes live in one place.


class _Edit(TypedDict):
    kind: Literal["edit"]
    seq: int
    #: The view that sent it (one canvas on one page): its result, ``created`` and error
    #: are for that view only. Left out by older front ends and by Python callers.
    client: str | None
    #: Who sent it (the browser's person key, never shown): per-person undo and the
    #: notice to the one whose write was overwritten.
    person: str | None


class UpdateMessage(_Edit):
    """Set one field of an element to what the user typed (``None`` clears it)."""

    op: Literal["update"]
    id: str
    field: str
    value: str | float | bool | list[Any] | None


class AddProcessMessage(_Edit):
    """Add a process box ``after`` or ``before`` a stream item, named by id (neither: at the end).

    Places are ids, never positions: an index worked out in one browser would be wrong
    once someone else's edit arrives first.
    """

    op: Literal["add_process"]
    after: str | None
    before: str | None
    name: str | None
    #: An empty branch to add the first item to (its "+" handle), instead of a place.
    branch: str | None


class AddInventoryMessage(_Edit):
    """Add an inventory triangle after or before a stream item."""

    op: Literal["add_inventory"]
    after: str | None
    before: str | None
    quantity: float | str | None
    #: An empty branch to add the first item to (its "+" handle), instead of a place.
    branch: str | None


class AddWaitMessage(_Edit):
    """Add a gap given as a wait time after or before a stream item."""

    op: Literal["add_wait"]
    after: str | None
    before: str | None
    wait_time: str | float | None
    #: An empty branch to add the first item to (its "+" handle), instead of a place.
    branch: str | None


class AddBranchMessage(_Edit):
    """Add a branch feeding step ``into``: a feeder line, or with ``after`` a parallel path
    that splits off after that step; ``step`` names a first process box put on it in the
    same edit (``""``: "Process N"; ``None``: the branch starts empty).
    """

    op: Literal["add_branch"]
    into: str
    after: str | None
    name: str | None
    step: str | None


class AddReworkMessage(_Edit):
    """Add a rework loop: ``share`` of the items leaving step ``source`` go back to ``target``."""

    op: Literal["add_rework"]
    source: str
    target: str
    share: str | float


class MoveToPathMessage(_Edit):
    """Move step ``id`` onto ``path`` (``"main"`` or a branch id), after the step or gap
    ``after`` of that path, or first on it when ``after`` is ``None``.
    """

    op: Literal["move_to_path"]
    id: str
    path: str
    after: str | None


class AddBurstMessage(_Edit):
    """Add a kaizen burst on an element (``None``: on the whole map)."""

    op: Literal["add_burst"]
    target: str | None
    text: str | None


class AddFlowMessage(_Edit):
    """Add an information flow between two elements."""

    op: Literal["add_flow"]
    source: str
    target: str
    medium: Literal["manual", "electronic"]


class RemoveMessage(_Edit):
    """Remove an element."""

    op: Literal["remove"]
    id: str


class MoveMessage(_Edit):
    """Place an element on the canvas (layout only: metrics are not recomputed)."""

    op: Literal["move"]
    id: str
    x: float
    y: float


class ReorderMessage(_Edit):
    """Move a step or gap to another stream position."""

    op: Literal["reorder"]
    id: str
    index: int


class SwapMessage(_Edit):
    """Swap two steps (or two gaps); what lies between them stays in place."""

    op: Literal["swap"]
    id: str
    other: str


class UndoMessage(_Edit):
    """Undo the last edit."""

    op: Literal["undo"]


class RedoMessage(_Edit):
    """Redo the last undone edit."""

    op: Literal["redo"]


class LayoutMessage(_Edit):
    """Forget every position, so the canvas lays the map out automatically."""

    op: Literal["layout"]


class OpenMessage(_Edit):
    """Put a map document (the text of a ``.json`` file) in place of the map, as one undoable edit."""

    op: Literal["open"]
    text: str
    name: str | None


#: Any edit message the front end may send.
EditMessage = (
    UpdateMessage
    | AddProcessMessage
    | AddInventoryMessage
    | AddWaitMessage
    | AddBurstMessage
    | AddFlowMessage
    | AddBranchMessage
    | AddReworkMessage
    | MoveToPathMessage
    | RemoveMessage
    | MoveMessage
    | ReorderMessage
    | SwapMessage
    | UndoMessage
    | RedoMessage
    | LayoutMessage
    | OpenMessage
)


class ErrorInfo(TypedDict):
    """Why an edit was refused: the element, the field and the reason to show next to it."""

    target: str | None
    field: str
    reason: str
    message: str


class ResultMessage(TypedDict, total=False):
    """Python's answer to every edit message: ``ok`` (with the ids an add ``created``), or the error.

    ``client`` repeats the sender's, when it gave one: every page hears every answer.
    """

    kind: Literal["result"]
    seq: int | None
    client: str
    ok: bool
    error: ErrorInfo
    created: list[str]


class ExportRequest(TypedDict):
    """The canvas asks for the map as an SVG picture (the toolbar's Export)."""

    kind: Literal["export"]
    seq: int
    palette: Literal["light", "dark", "print"]
    embed_font: bool


class PresenceMessage(TypedDict, total=False):
    """A canvas says who is looking and what they have selected (join or update), or
    ``leave: true`` that it is going. ``key`` is the person's secret (never shown to
    others); ``client``, ``key``, ``name`` and ``color`` are required unless leaving;
    a ``selection`` or ``editing`` left out stays as it was.
    """

    kind: Literal["presence"]
    client: str
    key: str
    name: str
    color: str
    selection: list[str]
    editing: str | None
    leave: bool


_PRESENCE_FIELDS = typing.get_type_hints(PresenceMessage)
_PRESENCE_NEEDS = ("client", "key", "name", "color")


def _check_presence(content: Any) -> dict[str, Any]:
    """The presence message as a dict if its fields have their types; raises :class:`_MessageError`."""
    if not isinstance(content, Mapping):
        raise _MessageError("message", "a presence message is a JSON object")
    for name, value in content.items():
        hint = _PRESENCE_FIELDS.get(name) if isinstance(name, str) else None
        if hint is None:
            shown = units._show(name, 60)
            raise _MessageError(
                name if isinstance(name, str) else shown, f"presence messages have no field {shown}"
            )
        if not _matches(value, hint):
            raise _MessageError(name, f"{name!r} must be {_type_name(hint)}, not {units._show(value)}")
    selection = content.get("selection")
    if isinstance(selection, list) and not all(isinstance(i, str) for i in selection):
        raise _MessageError("selection", "a selection is a list of element ids (text)")
    needs = ("client",) if content.get("leave") else _PRESENCE_NEEDS
    for name in needs:
        if name not in content:
            raise _MessageError(name, f"presence messages need {name!r} (text)")
    return dict(content)


def presence_refusal(field: str, reason: str) -> dict[str, Any]:
    """The answer to a refused presence message (nothing answers an accepted one)."""
    return {"kind": "presence", "ok": False, "error": {"field": field, "reason": reason}}


_MESSAGES: dict[str, type] = {
    "update": UpdateMessage,
    "add_process": AddProcessMessage,
    "add_inventory": AddInventoryMessage,
    "add_wait": AddWaitMessage,
    "add_burst": AddBurstMessage,
    "add_flow": AddFlowMessage,
    "add_branch": AddBranchMessage,
    "add_rework": AddReworkMessage,
    "move_to_path": MoveToPathMessage,
    "remove": RemoveMessage,
    "move": MoveMessage,
    "reorder": ReorderMessage,
    "swap": SwapMessage,
    "undo": UndoMessage,
    "redo": RedoMessage,
    "layout": LayoutMessage,
    "open": OpenMessage,
}
#: The edit operations of the sync protocol.
PROTOCOL_OPS = tuple(_MESSAGES)

# Fields whose key may be left out of a message (treated as null): every field whose type
# admits None. Everything else must be present.
_SHAPES: dict[str, dict[str, Any]] = {op: typing.get_type_hints(cls) for op, cls in _MESSAGES.items()}


# --------------------------------------------------------------------------- workshop messages
#
# A canvas's facilitation messages: {kind: "workshop", seq, client, op, ...}, answered by
# {kind: "workshop_result", seq, client, ok, error?} (docs/sync-protocol.md). Who sent one is
# the map's presence hub's participant for ``client``; the facilitator's ops are refused
# from a participant, and a participant's votes and whys while the map is locked.


class _Workshop(TypedDict):
    kind: Literal["workshop"]
    seq: int
    client: str


class VoteMessage(_Workshop):
    """Put one of the sender's dots on a kaizen burst."""

    op: Literal["vote"]
    burst: str


class UnvoteMessage(_Workshop):
    """Take one of the sender's dots back from a kaizen burst."""

    op: Literal["unvote"]
    burst: str


class WhyMessage(_Workshop):
    """Add a "why?" to a step (``step`` null: the step the walk is on)."""

    op: Literal["why"]
    step: str | None
    text: str


class RemoveWhyMessage(_Workshop):
    """Remove a why (the facilitator's, or one the sender asked)."""

    op: Literal["remove_why"]
    id: str


class _Bare(_Workshop):
    op: Literal[
        "lock",
        "unlock",
        "timer_pause",
        "timer_resume",
        "timer_stop",
        "walk_next",
        "walk_back",
        "walk_stop",
        "clear_votes",
    ]


class TimerStartMessage(_Workshop):
    """Start the timer: ``minutes`` labelled ``label`` (a workshop step)."""

    op: Literal["timer_start"]
    label: str
    minutes: float


class WalkStartMessage(_Workshop):
    """Start a walk through the steps, ``forward`` or in ``reverse``."""

    op: Literal["walk_start"]
    direction: Literal["forward", "reverse"]


class FollowMessage(_Workshop):
    """Turn follow mode on or off."""

    op: Literal["follow"]
    on: bool


class ViewportMessage(_Workshop):
    """The facilitator's view: the map point at its centre and its zoom."""

    op: Literal["viewport"]
    x: float
    y: float
    zoom: float


class DotsMessage(_Workshop):
    """Give each person this many dots (1 to 20)."""

    op: Literal["dots"]
    dots: int


_BARE_OPS = typing.get_args(typing.get_type_hints(_Bare)["op"])
_WORKSHOP_MESSAGES: dict[str, type] = {
    "vote": VoteMessage,
    "unvote": UnvoteMessage,
    "why": WhyMessage,
    "remove_why": RemoveWhyMessage,
    **dict.fromkeys(_BARE_OPS, _Bare),
    "timer_start": TimerStartMessage,
    "walk_start": WalkStartMessage,
    "follow": FollowMessage,
    "viewport": ViewportMessage,
    "dots": DotsMessage,
}
_WORKSHOP_SHAPES: dict[str, dict[str, Any]] = {
    op: {**typing.get_type_hints(cls), "op": Literal[op]} for op, cls in _WORKSHOP_MESSAGES.items()
}
#: What anyone in the room may do; every other workshop op is the facilitator's.
PARTICIPANT_WORKSHOP_OPS = ("vote", "unvote", "why", "remove_why")
#: The facilitator's ops (refused from a participant, naming ``role``).
FACILITATOR_WORKSHOP_OPS = tuple(op for op in _WORKSHOP_MESSAGES if op not in PARTICIPANT_WORKSHOP_OPS)
#: What a locked map refuses from a participant: the map's own edits too (``field: "lock"``).
LOCKED_REASON = "the facilitator has locked the map"


class _MessageError(Exception):
    """A message that does not follow the protocol (not a refused edit).

    Like a ValidationError, it is kept short and sendable whatever the message held.
    """

    def __init__(self, field: str, reason: str, target: str | None = None):
        super().__init__(reason)
        self.field = units._printable(field, 200)
        self.reason = units._printable(reason)
        self.target = None if target is None else units._printable(target, 200)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(hint))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if hint is type(None):
        return "null"
    if hint is float:
        return "a number"
    if hint is int:
        return "a whole number"
    if hint is str:
        return "text"
    if hint is bool:
        return "true or false"
    if origin is list or hint is list:
        return "a list"
    return "any value"


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin is Literal:
        return value in typing.get_args(hint) and not isinstance(value, bool)
    if origin in (Union, types.UnionType):
        return any(_matches(value, a) for a in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        # A JavaScript number is exact up to 2**53; a larger integer was not sent by the canvas.
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _MAX_SAFE_INTEGER
    if hint is float:
        # JSON has one number type; reject NaN and infinities, which JSON cannot carry, and
        # integers past the float range (math.isfinite would overflow on them).
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return abs(value) <= sys.float_info.max if isinstance(value, int) else math.isfinite(value)
    if hint is str:
        return isinstance(value, str)
    if origin is list or hint is list:
        return isinstance(value, list)
    return False


_MAX_SAFE_INTEGER = 2**53 - 1


def _seq(content: Any) -> int | None:
    """The sequence number of a message, if it has a valid one (to answer it by)."""
    seq = content.get("seq") if isinstance(content, Mapping) else None
    return seq if _matches(seq, int) else None


# A client id or a person key: short, and plain enough to compare and to log.
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _client(content: Any) -> str | None:
    """The sending view's client id, if the message has a valid one (to address the answer)."""
    client = content.get("client") if isinstance(content, Mapping) else None
    return client if isinstance(client, str) and _KEY.fullmatch(client) else None


def _check_shape(content: Any, shapes: Mapping[str, Mapping[str, Any]] = _SHAPES) -> dict[str, Any]:
    """The message as a dict if it follows the protocol (``shapes``: the edit messages' by
    default, or the workshop's); raises :class:`_MessageError`.
    """
    if not isinstance(content, Mapping):
        raise _MessageError("message", f"an edit message is a JSON object, not {type(content).__name__}")
    op = content.get("op")
    known = ", ".join(shapes)
    if not isinstance(op, str):
        raise _MessageError("op", f"the op must be text, not {units._show(op)}; known: {known}")
    if op not in shapes:
        close = _closest(op, tuple(shapes))
        hint = f"did you mean {close!r}? " if close else ""
        raise _MessageError("op", f"unknown op {units._show(op)}; {hint}known: {known}")
    shape = shapes[op]
    unknown = [name for name in content if name not in shape]
    if unknown:
        field = units._show(unknown[0], 60) if not isinstance(unknown[0], str) else unknown[0]
        raise _MessageError(field, f"{op!r} messages have no field {units._show(unknown[0], 60)}")
    message = dict(content)
    for name, hint in shape.items():
        if name not in message:
            if _matches(None, hint):
                message[name] = None
                continue
            raise _MessageError(name, f"{op!r} messages need {name!r} ({_type_name(hint)})")
        value = message[name]
        if not _matches(value, hint):
            big = isinstance(value, int) and abs(value) > _MAX_SAFE_INTEGER
            size = " (too large for a message)" if big else ""
            raise _MessageError(name, f"{name!r} must be {_type_name(hint)}, not {units._show(value)}{size}")
    for name in ("client", "person"):
        value = message.get(name)  # the workshop's messages carry no person
        if value is not None and not _KEY.fullmatch(value):
            raise _MessageError(name, f"{name!r} must be 1 to 64 letters, digits, '-' or '_'")
    return message


# --------------------------------------------------------------------------- the widget

_HISTORY_EMPTY = {"can_undo": False, "can_redo": False}
#: The message kinds a canvas sends, as a refusal of any other names them.
_KINDS = "'edit', 'export', 'presence', 'refresh' or 'workshop'"
#: The longest map document the canvas may open (characters). Real maps are a few hundred
#: kB; the kernel connection refuses messages over 10 MiB, so the canvas checks first too.
MAX_OPEN_CHARS = 4 * 1024 * 1024
#: Moves of one element closer together than this (seconds) are one drag: one undo step.
MOVE_MERGE_SECONDS = 1.0
#: Two people setting one field of one element within this many seconds: the later value
#: stands and the earlier writer's view is told (a ``notice``).
OVERWRITE_SECONDS = 10.0
#: After edits pause this long (seconds), the scene and document are sent whole once, so
#: that saved widget state and late-joining views hold the map as it is.
FLUSH_SECONDS = 3.0
#: Traits sent whole only on display and on a flush; every edit sends a patch instead.
_PATCHED = ("scene", "document", "metrics")
#: Lists of a map document whose items have ids (patched item by item).
_DOCUMENT_LISTS = frozenset({"stream", "shipments", "flows", "bursts"})


def _css() -> str:
    """The canvas's stylesheet: the palette's drawn shapes (generated), then the widget's own."""
    from ..presentation.palette import canvas_css

    own = _STATIC / "widget.css"
    return canvas_css() + (own.read_text(encoding="utf-8") if own.is_file() else "")


def _order(previous: list[str], now: list[str]) -> list[str] | None:
    """``now`` if it is not simply ``previous`` without the removed and with new ones appended."""
    kept = set(now)
    old = set(previous)
    expected = [i for i in previous if i in kept] + [i for i in now if i not in old]
    return None if expected == now else now


def _same_item(old: Any, new: Any) -> bool:
    return old is new or old == new


def _diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What changed between two map documents: top-level values, and list items by id."""
    top: dict[str, Any] = {}
    lists: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if key in _DOCUMENT_LISTS and isinstance(value, list) and isinstance(before, list):
            previous = {item["id"]: item for item in before}
            # Items of unchanged elements are the same objects (io.DocumentCache): compare
            # by identity first, by value only where that fails.
            upsert = [item for item in value if not _same_item(previous.get(item["id"]), item)]
            ids = [item["id"] for item in value]
            present = set(ids)
            remove = [i for i in previous if i not in present]
            order = _order(list(previous), ids)
            if upsert or remove or order is not None:
                lists[key] = {
                    "upsert": upsert,
                    "remove": remove,
                    **({"order": order} if order is not None else {}),
                }
        elif before is not value and before != value:
            top[key] = value
    for key, value in old.items():
        # A document leaves out what is empty or absent (the last branch removed, the
        # supplier taken off): say so, or the canvas would keep the old value.
        if key not in new:
            top[key] = [] if isinstance(value, list) else None
    return {"top": top, "lists": lists}


class MapWidget(anywidget.AnyWidget):
    """The editable canvas of a value stream map.

    Make one with ``MapWidget(m)`` or, better, ``m.editor()`` (one editor per map);
    ``MapWidget()`` starts an empty map. Python lays the map out (its *scene*, see
    :mod:`vsm_widget.presentation.scene`) and the canvas draws it; edits on the canvas go
    through the map (validated, undoable), and edits made in Python show on the canvas
    at once, as a patch of the nodes that changed.

    Keyword arguments: ``height`` (canvas height in pixels) and ``selection`` (ids to
    select), plus the usual ``layout`` of ipywidgets.
    """

    _esm = _bundle("widget.js", _MISSING_BUNDLE)
    _css = _css()

    #: The laid-out map the canvas draws (:meth:`vsm_widget.presentation.scene.Scene.to_dict`).
    #: Owned by Python; sent whole on display and once edits pause, as patches in between.
    scene = traitlets.Dict().tag(sync=True)
    #: The map as a versioned JSON document (:func:`vsm_widget.data.io.to_document`), for the
    #: details panel. Owned by Python; synced so that "Save widget state" keeps the map.
    document = traitlets.Dict().tag(sync=True)
    #: Every metric of the map (:meth:`vsm_widget.core.metrics.Metrics.to_dict`). Owned by Python.
    metrics = traitlets.Dict().tag(sync=True)
    #: Ids of the selected elements; the canvas and Python may both set it. Unknown ids
    #: are dropped. Not echoed back to the front end that set it (it changes on every
    #: click, and the front end already shows what it sent).
    selection = traitlets.List(traitlets.Unicode()).tag(sync=True, echo_update=False)
    #: The last refused edit as ``{seq, target, field, reason, message}``; ``{}`` after a
    #: successful one. Owned by Python.
    error = traitlets.Dict().tag(sync=True)
    #: ``{"can_undo": bool, "can_redo": bool}``. Owned by Python.
    history = traitlets.Dict(_HISTORY_EMPTY).tag(sync=True)
    #: The fields of each element kind, as the details panel and the inline editors show
    #: them (:func:`vsm_widget.core.fields.panel_fields`): derived from the field declarations,
    #: so the canvas has no field list of its own. Owned by Python; set once.
    fields = traitlets.Dict().tag(sync=True)
    #: Height of the canvas in pixels.
    height = traitlets.Int(560, min=120, max=10_000).tag(sync=True)
    #: Rises with every change the map commits (each edit, undo and redo, made on the
    #: canvas or in Python); a refused edit leaves it as it was. Owned by Python. Code that
    #: must re-run after a canvas edit reads it (marimo: ``editor =
    #: mo.ui.anywidget(m.editor())``, then ``editor.value["revision"]``; docs/canvas.md).
    revision = traitlets.Int(0).tag(sync=True)
    #: Who is looking at the map and what each has selected or is editing: the map's
    #: presence hub as views get it (:meth:`vsm_widget.jupyter.presence.Presence.to_list`),
    #: the same for every canvas of the map and its room. Owned by Python. Never part of
    #: the map's document or history.
    presence = traitlets.List(traitlets.Dict()).tag(sync=True)
    #: The map's workshop as every view gets it (:meth:`vsm_widget.core.workshop.Workshop.to_dict`):
    #: votes, whys, walk, timer, lock, follow mode. Owned by Python; never in the document.
    workshop = traitlets.Dict().tag(sync=True)

    #: Keyword arguments the constructor and :meth:`configure` accept.
    OPTIONS = ("height", "selection", "layout")
    # Traits that mirror the map; setting them by hand would make the canvas disagree with it.
    _DERIVED = (
        "scene",
        "document",
        "metrics",
        "error",
        "history",
        "revision",
        "fields",
        "presence",
        "workshop",
    )
    _unobserve: Callable[[], None] | None = None
    _unobserve_presence: Callable[[], None] | None = None
    # (id, state after the move, when): the last move applied, to merge the steps of a drag.
    _last_move: tuple[str, Any, float] | None = None
    _flush_handle: Any = None
    _patching = False
    # Changes made elsewhere this turn, laid out together once it is done (_on_map_change).
    _held: Change | None = None
    _held_count = 0
    _home: tuple[int, asyncio.AbstractEventLoop] | None = None

    def __init__(self, map: Map | Mapping[str, Any] | None = None, **options: Any) -> None:
        from ..presentation.scene import SceneCache, build_scene

        _check_options(options, self.OPTIONS, self._DERIVED, "MapWidget()")
        if map is None:
            map = new_map()
        elif isinstance(map, Mapping):
            map = io.from_document(map)
        elif not isinstance(map, Map):
            raise TypeError(
                f"MapWidget() takes a ValueStreamMap (or a map document), not {type(map).__name__}; "
                "try ValueStreamMap('My stream') or m.editor()"
            )
        self._map = map
        self._cache = SceneCache()
        self._documents = io.DocumentCache()
        self._build_scene = build_scene
        self._scene = build_scene(map.state, map.metrics(), self._cache)
        # How many patches the canvas has been sent: a whole scene with the same number is
        # one the canvas already has (it is sent again once edits pause).
        self._revision_sent = 0
        self._created: list[str] = []
        # The last browser write of each (element, field): (person, client, when).
        self._writes: dict[tuple[str, str], tuple[str, str | None, float]] = {}
        selection = options.pop("selection", None)
        super().__init__(
            scene={**self._scene.to_dict(self._cache), "rev": 0},
            document=io.to_document(map.state, cache=self._documents),
            metrics=map.metrics().to_dict(),
            history=self._history(),
            fields=panel_fields(),
            **options,
        )
        if selection is not None:
            self.selection = list(selection)
        self._unobserve = map.observe(self._on_map_change)
        self._hub = presence_for(map)
        # The clients that joined through this widget: they leave with it.
        self._presence_clients: set[str] = set()
        self._unobserve_presence = self._hub.observe(self._on_presence)
        self.presence = self._hub.to_list()
        self._unobserve_workshop = map.workshop.observe(self._on_workshop_change)
        self.workshop = map.workshop.to_dict()
        self.on_msg(self._on_custom_msg)
        # The thread (and its loop) that owns the map: front ends' messages are handled there.
        try:
            self._home = (threading.get_ident(), asyncio.get_running_loop())
        except RuntimeError:
            self._home = None

    def _handle_msg(self, msg: dict[str, Any]) -> None:
        """Take a message from a front end on the thread that owns the map.

        JupyterLab (4.4 and later, with ipykernel 7) sends each page's widget messages
        over a kernel subshell of that page's own, each on a thread of its own: two
        pages' edits, and a running cell, would change the map from several threads at
        once. Every message is handled on the loop of the thread that made the widget
        (the kernel's main thread), in the order received and after the cell that runs,
        as without subshells: the map is only ever changed from one thread.
        """
        home = self._home
        handle = super()._handle_msg
        if home is not None and threading.get_ident() != home[0]:
            try:
                home[1].call_soon_threadsafe(handle, msg)
            except RuntimeError:  # the loop is closed: the kernel is going
                _log.warning("vsm_widget: a front end's message came after the kernel's loop closed")
            return
        handle(msg)

    # ----------------------------------------------------------------- public API

    @property
    def map(self) -> Map:
        """The map this canvas edits (the same object: edit it in Python and the canvas follows)."""
        return self._map

    def configure(self, **options: Any) -> MapWidget:
        """Set ``height``, ``selection`` or ``layout`` and return the widget (for chaining)."""
        _check_options(options, self.OPTIONS, self._DERIVED, "configure()")
        with self.hold_sync():
            for name, value in options.items():
                setattr(self, name, value)
        return self

    def select(self, *targets: str) -> MapWidget:
        """Select elements by id or step name (none: clear the selection); returns the widget."""
        ids = []
        for target in targets:
            element = self._map.get(target) if target in self._map else None
            ids.append(getattr(element, "id", target))
        self.selection = ids
        return self

    def refresh(self) -> None:
        """Send the map's scene, document, metrics and history to the canvas again (normally automatic)."""
        self._update(patch=False)
        # Also when nothing changed: a front end that lost its state gets it back.
        self.send_state([*_PATCHED, "history", "error", "selection", "revision", "fields"])

    def to_svg(self, palette: str = "light", *, embed_font: bool = False) -> str:
        """The map as the canvas draws it now, as SVG text.

        ``palette`` is ``"light"``, ``"dark"`` or ``"print"`` (see
        :func:`vsm_widget.presentation.svg.scene_svg`).
        """
        from ..presentation.svg import scene_svg

        return scene_svg(self._scene, palette=palette, embed_font=embed_font)

    def handle_edit(self, content: Any) -> ResultMessage:
        """Apply one edit message of the sync protocol and return the result message.

        The canvas calls this through the widget's message channel; it is public so that
        the protocol can be driven from Python (tests, scripts). A refused or malformed
        edit never raises: it sets :attr:`error` and returns ``ok: false``.

        The answer is true to the map: ``ok: false`` means the map is exactly as before.
        If anything fails after the edit was applied (the sync to the canvas, an
        observer), the edit is taken back and the canvas shown the map as it is.
        """
        seq, client = _seq(content), _client(content)
        self._created = []
        notice = None
        try:
            with self._map.all_or_nothing(), self.hold_sync():
                message = _check_shape(content)
                before = self._map.state
                with self._map.authored(message["person"]):
                    self._apply(message)
                self.error = {}
                if message["op"] == "update" and self._map.state is not before:
                    notice = self._overwrite_notice(message)
        except ValidationError as error:
            return self._refuse(seq, error.target, error.field, error.reason, str(error), client)
        except _MessageError as error:
            where = f"{error.target}: " if error.target else ""
            return self._refuse(
                seq, error.target, error.field, error.reason, f"{where}{error.field}: {error.reason}", client
            )
        except Exception as error:
            _log.exception("vsm_widget: edit %s failed", _summary(content))
            detail = units._printable(str(error), 300)
            reason = f"internal error ({type(error).__name__}: {detail}); the map is unchanged"
            return self._refuse(seq, None, "edit", reason, reason, client)
        if notice is not None:
            self.send(notice)
        result: ResultMessage = {"kind": "result", "seq": seq, "ok": True}
        if client is not None:
            result["client"] = client
        if self._created:
            result["created"] = list(self._created)
        return result

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Take a state update from the front end: only the traits it owns.

        The traits that mirror the map stay as Python has them: a front end that writes
        one (marimo sends back every trait it has ever received) gets the true value again.
        """
        owned = {name: value for name, value in sync_data.items() if name not in self._DERIVED}
        stale = [name for name in sync_data.keys() - owned.keys() if sync_data[name] != getattr(self, name)]
        super().set_state(owned)
        if stale:
            self.send_state(stale)

    def _ipython_display_(self) -> None:
        """Show the canvas, then a static picture of the map for readers without JavaScript."""
        display_with_fallback(self, fallback_html(self._map))

    def close(self) -> None:
        """Stop following the map and close the widget's connection to the front end."""
        if self._unobserve is not None:
            self._unobserve()
            self._unobserve = None
            self._unobserve_workshop()
        if self._unobserve_presence is not None:
            self._unobserve_presence()
            self._unobserve_presence = None
            for client in self._presence_clients:
                self._hub.leave(client)
            self._presence_clients.clear()
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        super().close()

    # ----------------------------------------------------------------- traits

    @traitlets.validate("selection")
    def _valid_selection(self, proposal: traitlets.Bunch) -> list[str]:
        # Unknown ids (a removed step, a typo) are dropped rather than refused, so a
        # selection never blocks an edit that removes what it holds.
        known = self._known_ids()
        return list(dict.fromkeys(i for i in proposal["value"] if i in known))

    def _known_ids(self) -> set[str]:
        m = getattr(self, "_map", None)  # None while traitlets sets defaults in __init__
        return set() if m is None else m.state.ids() - {"map"}

    def _history(self) -> dict[str, bool]:
        return {"can_undo": self._map.can_undo, "can_redo": self._map.can_redo}

    def _should_send_property(self, key: str, value: Any) -> bool:
        # Between flushes, the scene and document travel as patches (see _update).
        if self._patching and key in _PATCHED:
            return False
        return bool(super()._should_send_property(key, value))

    def _on_map_change(self, change: Change) -> None:
        """Lay the map out again and tell the canvas what changed.

        An edit made elsewhere (a live room's participant, see :func:`edits_from_elsewhere`)
        is laid out once the event loop's turn is done, with every other such edit of the
        turn: thirty participants' edits read in one turn are one layout and one patch.
        """
        held = self._held
        layout_only = change.layout_only and (held is None or held.layout_only)
        if _ELSEWHERE.get():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                pass  # no loop to come back to: at once, as any edit
            else:
                if held is None:
                    loop.call_soon(self._release)
                self._held = Change(op=change.op, layout_only=layout_only)
                self._held_count += 1
                return
        # An edit of its own: laid out now, with any held back (the patch covers them all).
        count = self._held_count + 1
        self._held, self._held_count = None, 0
        self._relay(layout_only, count)

    def _release(self) -> None:
        held, count = self._held, self._held_count
        self._held, self._held_count = None, 0
        if held is not None and self._unobserve is not None:
            self._relay(held.layout_only, count)

    def _relay(self, layout_only: bool, changes: int) -> None:
        self._update(patch=True, layout_only=layout_only)
        with self.hold_sync():
            self.history = self._history()
            self.revision += changes
            known = self._known_ids()
            if any(i not in known for i in self.selection):
                self.selection = [i for i in self.selection if i in known]
            # A burst or step removed takes its votes or whys out of view (undo brings them back).
            self._on_workshop_change("map")

    def _update(self, *, patch: bool, layout_only: bool = False) -> None:
        """Rebuild scene, document and metrics; send a patch of the scene and document."""
        m = self._map
        before, old_document = self._scene, self.document
        metrics = m.metrics()
        self._scene = self._build_scene(m.state, metrics, self._cache)
        document = io.to_document(m.state, cache=self._documents)
        if patch:
            # The canvas first: the traits below are for Python and for later views.
            self._send_patch(before, old_document, document)
        self._patching = patch
        try:
            with self.hold_sync():
                self.scene = {**self._scene.to_dict(self._cache), "rev": self._revision_sent}
                self.document = document
                if not layout_only:
                    self.metrics = metrics.to_dict()
        finally:
            self._patching = False
        if patch:
            self._schedule_flush()

    def _send_patch(self, before: Any, old_document: Mapping[str, Any], document: Mapping[str, Any]) -> None:
        after = self._scene
        old_nodes = {node.key: node for node in before.nodes}
        upsert = [self._cache.node_dict(n) for n in after.nodes if old_nodes.get(n.key) is not n]
        keys = [n.key for n in after.nodes]
        present = set(keys)
        remove = [k for k in old_nodes if k not in present]
        order = _order(list(old_nodes), keys)
        self._revision_sent += 1
        scene_patch: dict[str, Any] = {
            "rev": self._revision_sent,
            "upsert": upsert,
            "remove": remove,
            "bounds": after.bounds.to_list(),
            "title": after.title,
            "day": after.display.day_length,
        }
        if order is not None:
            scene_patch["order"] = order
        self.send(
            {"kind": "patch", "scene": scene_patch, "document": _diff_documents(old_document, document)}
        )

    def _schedule_flush(self) -> None:
        """Send the scene and document whole once edits pause (or now, outside an event loop)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # No event loop, so no kernel and no front end to keep in step: the traits
            # already hold the map, and refresh() sends them whole when asked.
            return
        self._flush_handle = loop.call_later(FLUSH_SECONDS, self._flush)
        _flush_after_cell(self)

    def _flush(self) -> None:
        self._flush_handle = None
        if self.comm is not None:
            self.send_state(list(_PATCHED))

    # ----------------------------------------------------------------- messages

    def _on_custom_msg(self, widget: Any, content: Any, buffers: Any) -> None:
        kind = content.get("kind") if isinstance(content, Mapping) else None
        if kind == "export":
            self.send(self._export(content))
            return
        if kind == "presence":
            # In a notebook every view has the kernel: each is a facilitator.
            refused = self.handle_presence(content, role="facilitator")
            if refused is not None:
                self.send(refused)
            return
        if kind == "refresh":
            reply = self.catch_up(content)
            self.send(reply)
            if "scene" in reply:
                # The undo buttons too; the same values for every page, so sent to all.
                self.send_state(["history", "revision"])
            return
        if kind == "workshop":
            self.send(self.handle_workshop(content))
            return
        if isinstance(content, Mapping) and kind != "edit":
            # Answered like a refused edit, by its sequence number, so the canvas can match it.
            kind = units._show(kind)
            result = self._refuse(
                _seq(content),
                None,
                "kind",
                f"unknown message kind {kind}; expected {_KINDS}",
                f"kind: unknown message kind {kind}; expected {_KINDS}",
                _client(content),
            )
        else:
            result = self.handle_edit(content)
        self.send(result)

    def handle_presence(self, content: Any, *, role: Role = "facilitator") -> dict[str, Any] | None:
        """Apply one presence message (join, update or leave) to the map's presence hub.

        Returns ``None`` when it is taken (every view hears the change through the
        ``presence`` trait), else the refusal to send back, naming the field. The person
        is told apart by ``key``: a message whose key is not the client's own joins
        anew, which the hub refuses for a client that is another person's.
        """
        hub = self._hub
        try:
            message = _check_presence(content)
            client = message["client"]
            if message.get("leave"):
                hub.leave(client)
                self._presence_clients.discard(client)
                return None
            here = hub.participant(client)
            if here is None or here.id != hub.person_id(message["key"]) or here.role != role:
                hub.join(client, key=message["key"], name=message["name"], color=message["color"], role=role)
                self._presence_clients.add(client)
                here = None
            changes: dict[str, Any] = {}
            if here is not None:
                changes = {"name": message["name"], "color": message["color"]}
            if "selection" in message:
                changes["selection"] = message["selection"]
            if "editing" in message:
                changes["editing"] = message["editing"]
            hub.update(client, **changes)
        except ValidationError as error:
            return presence_refusal(error.field, error.reason)
        except _MessageError as error:
            return presence_refusal(error.field, error.reason)
        return None

    def _on_presence(self) -> None:
        self.presence = self._hub.to_list()

    def catch_up(self, request: Any) -> dict[str, Any]:
        """The answer to a view's ``refresh`` request: the map whole, for a view that missed patches.

        ``request`` is ``{"kind": "refresh", "client", "rev"}``; a view whose ``rev`` is the
        latest gets only ``rev`` back (it missed nothing). Every page hears the answer;
        ``client`` says whose it is.
        """
        reply: dict[str, Any] = {"kind": "state", "rev": self._revision_sent}
        client = _client(request)
        if client is not None:
            reply["client"] = client
        rev = request.get("rev") if isinstance(request, Mapping) else None
        if not (_matches(rev, int) and rev == self._revision_sent):
            reply.update(scene=self.scene, document=self.document)
        return reply

    def _export(self, content: Mapping[str, Any]) -> dict[str, Any]:
        """Answer an export request with the map's SVG picture, or why it cannot be made."""
        seq = content.get("seq")
        palette = content.get("palette", "light")
        client = _client(content)
        to: dict[str, Any] = {"client": client} if client is not None else {}
        try:
            svg = self.to_svg(
                palette if isinstance(palette, str) else "light", embed_font=bool(content.get("embed_font"))
            )
        except Exception as error:
            _log.exception("vsm_widget: export failed")
            reason = f"{type(error).__name__}: {error}"
            return {"kind": "exported", "seq": seq, **to, "ok": False, "reason": reason}
        return {
            "kind": "exported",
            "seq": seq,
            **to,
            "ok": True,
            "svg": '<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
        }

    def _refuse(
        self,
        seq: int | None,
        target: str | None,
        field: str,
        reason: str,
        message: str,
        client: str | None = None,
    ) -> ResultMessage:
        info: ErrorInfo = {"target": target, "field": field, "reason": reason, "message": message}
        to: dict[str, Any] = {"client": client} if client is not None else {}
        # The trait reaches every page: `client` says which one shows it.
        self.error = {"seq": seq, **to, **info}
        result: ResultMessage = {"kind": "result", "seq": seq, "ok": False, "error": info}
        if client is not None:
            result["client"] = client
        return result

    def _overwrite_notice(self, message: Mapping[str, Any]) -> dict[str, Any] | None:
        """Record a browser's write of a field; the notice for the other person whose write
        of the same field it replaced within :data:`OVERWRITE_SECONDS`, if there is one.
        """
        person, client = message["person"], message["client"]
        if person is None:
            return None
        key = (message["id"], message["field"])
        now = time.monotonic()
        earlier = self._writes.get(key)
        self._writes[key] = (person, client, now)
        if earlier is None or earlier[0] == person or earlier[1] is None:
            return None
        if now - earlier[2] > OVERWRITE_SECONDS:
            return None
        target, field = key
        element = self._map.get(target) if target in self._map else None
        kind = getattr(element, "kind", target)
        label = next((f["label"] for f in self.fields.get(kind, ()) if f["name"] == field), field)
        name = getattr(element, "name", None) or target
        value = message["value"]
        shown = "empty" if value is None or value == "" else units._printable(str(value), 60)
        return {
            "kind": "notice",
            "client": earlier[1],
            "target": target,
            "field": field,
            "text": f"{label} of {name} was changed again by someone else: now {shown}",
        }

    def _undo_redo(self, op: str, person: str | None) -> None:
        """Undo or redo; from a person, only their own edit (or one made in Python), never
        someone else's: that is refused, saying so.
        """
        m = self._map
        step = m.undo_step if op == "undo" else m.redo_step
        if person is not None and step is not None and step.author not in (None, person):
            if op == "undo":
                reason = (
                    "not undone: a later edit by someone else is in the way; "
                    "undo takes back your own edit only while it is the map's latest"
                )
            else:
                reason = "not redone: the edit to redo is someone else's; only they can redo it"
            raise ValidationError(op, op, reason)
        if op == "undo":
            m.undo()
        else:
            m.redo()

    # ----------------------------------------------------------------- the workshop

    def _on_workshop_change(self, op: str) -> None:
        shown = self._map.workshop.to_dict()
        if shown != self.workshop:
            self.workshop = shown

    def handle_workshop(self, content: Any, *, role: str | None = None) -> dict[str, Any]:
        """Carry out one workshop message (``{kind: "workshop", seq, client, op, ...}``) and
        return its answer, ``{kind: "workshop_result", seq, client, ok, error?}``.

        The sender is the map's presence participant for ``client`` (its public id and
        name vote and ask); ``role`` (``"facilitator"`` or ``"participant"``) is the one
        the connection has, by default the participant's own (a notebook's views are
        facilitators). The facilitator's ops are refused from a participant naming
        ``role``, and a participant's votes and whys while the map is locked naming
        ``lock``. Like :meth:`handle_edit`, it never raises.
        """
        seq = _seq(content)
        client = content.get("client") if isinstance(content, Mapping) else None
        client = client if isinstance(client, str) else None
        try:
            message = _check_shape(content, _WORKSHOP_SHAPES)
            self._apply_workshop(message, role)
        except (ValidationError, _MessageError) as error:
            return _workshop_result(seq, client, {"field": error.field, "reason": error.reason})
        except Exception as error:
            _log.exception("vsm_widget: workshop message %s failed", _summary(content))
            reason = f"internal error ({type(error).__name__}: {units._printable(str(error), 300)})"
            return _workshop_result(seq, client, {"field": "workshop", "reason": reason})
        return _workshop_result(seq, client, None)

    def _apply_workshop(self, message: Mapping[str, Any], role: str | None) -> None:
        op = message["op"]
        w = self._map.workshop
        who = None
        if role is None or op in PARTICIPANT_WORKSHOP_OPS:
            # Votes and whys are someone's; the facilitator's ops need only the connection's role.
            from .presence import presence_for

            who = presence_for(self._map).participant(message["client"])
            if who is None:
                raise ValidationError(
                    "client", message["client"], "this view has not joined the map; reload the page"
                )
            role = role or who.role
        if op in FACILITATOR_WORKSHOP_OPS and role != "facilitator":
            raise ValidationError("role", role, f"only the facilitator may {op.replace('_', ' ')}")
        if op in PARTICIPANT_WORKSHOP_OPS and role != "facilitator" and w.locked:
            raise ValidationError("lock", True, f"{LOCKED_REASON}: view only")
        if op in FACILITATOR_WORKSHOP_OPS:
            _facilitate(w, message)
            return
        assert who is not None  # looked up above for every participant's op
        if op == "vote":
            w.vote(message["burst"], who.id, who.name)
        elif op == "unvote":
            w.unvote(message["burst"], who.id)
        elif op == "why":
            step = message["step"] if message["step"] is not None else w.current
            if step is None:
                raise ValidationError("step", None, "no walk is under way; name the step to ask about")
            w.add_why(step, message["text"], who.name, person=who.id)
        elif op == "remove_why":
            asked = next((why for why in w.whys() if why["id"] == message["id"]), None)
            if asked is not None and role != "facilitator" and asked["person"] != who.id:
                raise ValidationError(
                    "why", message["id"], "only the facilitator or whoever asked it may remove a why"
                )
            w.remove_why(message["id"])

    def _place(self, message: Mapping[str, Any]) -> tuple[Map | BranchBuilder, int | str | None]:
        """Where a model add goes from a message's ``before`` / ``after`` ids: the map or the
        builder of the branch the element named is on, and the ``at`` there.
        """
        before, after = message.get("before"), message.get("after")
        m = self._map
        branch = message.get("branch")
        if branch is not None:
            # An empty branch's "+" handle: the add is the branch's first item.
            if branch not in m:
                raise ValidationError("branch", branch, "no branch with this id on the map")
            return m.branch(branch), None
        if before is not None:
            if before not in m:
                raise ValidationError("before", before, "no step or gap with this id on the map")
            # The model puts an add before an element on that element's path.
            return m, before
        if after is None:
            return m, None
        if after not in m:
            raise ValidationError("after", after, "no step or gap with this id on the map")
        element = m.get(after)
        path = m.state.path_of(element.id)
        if path is None:
            raise ValidationError("after", after, "name a step or gap to add after")
        adder: Map | BranchBuilder = m if path == MAIN else m.branch(path)
        items = dict(m.state.by_path)[path]
        return adder, 1 + next(i for i, item in enumerate(items) if item.id == element.id)

    def _apply(self, message: dict[str, Any]) -> None:
        m = self._map
        op = message["op"]
        if op == "update":
            # An update that changes nothing (an input committing on Enter and again on
            # blur) commits nothing in the map: no undo step, nothing sent.
            target, field = message["id"], message["field"]
            try:
                m.update(target, **{field: message["value"]})
            except KeyError as error:
                raise ValidationError("id", target, str(error.args[0]), target) from None
        elif op == "add_process":
            adder, at = self._place(message)
            self._created = [adder.add_process(message["name"] or self._free_name(), at=at).id]
        elif op == "add_inventory":
            adder, at = self._place(message)
            self._created = [adder.add_gap(quantity=message["quantity"], at=at).id]
        elif op == "add_wait":
            adder, at = self._place(message)
            self._created = [adder.add_gap(wait_time=message["wait_time"], at=at).id]
        elif op == "add_branch":
            self._add_branch(message)
        elif op == "add_rework":
            try:
                self._created = [m.add_rework(message["source"], message["target"], message["share"]).id]
            except ValidationError as error:
                # Shown on the panel of the step the loop leaves from.
                raise _on_step(error, message["source"]) from None
        elif op == "move_to_path":
            target = message["id"]
            if target not in m or m.get(target).kind != "process":
                raise ValidationError(
                    "id", target, "name a step on this map: only steps move between paths", target
                )
            m.move_to_path(target, message["path"], after=message["after"])
        elif op == "add_burst":
            self._created = [m.add_burst(message["text"] or "Improvement idea", target=message["target"]).id]
        elif op == "add_flow":
            self._created = [m.add_flow(message["source"], message["target"], medium=message["medium"]).id]
        elif op in ("remove", "move", "reorder", "swap"):
            target = message["id"]
            if target not in m:
                raise ValidationError("id", target, f"no element {target!r} on this map", target)
            if op == "remove":
                m.remove(target)
            elif op == "move":
                self._move(target, message["x"], message["y"])
            elif op == "reorder":
                m.reorder(target, message["index"])
            else:
                if message["other"] not in m:
                    raise ValidationError("other", message["other"], "no such element on this map", target)
                m.swap(target, message["other"])
        elif op in ("undo", "redo"):
            self._undo_redo(op, message["person"])
        elif op == "open":
            self._open(message["text"], message["name"])
        else:
            self._forget_layout()

    def _add_branch(self, message: Mapping[str, Any]) -> None:
        """A branch, and its first step when the message names one, as one undo step."""
        m = self._map
        try:
            with m.batch("add branch"):
                branch = m.add_branch(message["into"], after=message["after"], name=message["name"] or "")
                self._created = [branch.id]
                if message["step"] is not None:
                    self._created.append(branch.add_process(message["step"] or self._free_name()).id)
        except ValidationError as error:
            # Shown on the panel of the step it was asked from: the split's, else the one fed.
            raise _on_step(error, message["after"] or message["into"]) from None

    def _move(self, target: str, x: float, y: float) -> None:
        """Move an element; the canvas sends a drag as several moves, kept as one undo step."""
        m = self._map
        now = time.monotonic()
        last = self._last_move
        merge = (
            last is not None
            and last[0] == target
            and last[1] is m.state  # nothing else happened since
            and now - last[2] < MOVE_MERGE_SECONDS
            and m.can_undo
        )
        if merge:
            m.undo()
        try:
            m.move(target, x, y)
        except Exception:
            if merge:
                m.redo()
            raise
        self._last_move = (target, m.state, now)

    def _open(self, text: str, name: str | None) -> None:
        """Replace the map by a document's map; a bad document changes nothing and says why."""
        source = name or "the document"
        if len(text) > MAX_OPEN_CHARS:
            raise ValidationError(
                "open",
                f"{len(text):,} characters",
                f"{source} was not opened: it is larger than a map document can be "
                f"({MAX_OPEN_CHARS // 1024 // 1024} MB); the map is unchanged",
            )
        try:
            opened = io.from_json(text)
        except ValidationError as error:
            where = "" if error.field == "$" else f" ({error.field})"
            raise ValidationError(
                error.field,
                error.value,
                f"{source} was not opened{where}: {error.reason}; the map is unchanged",
            ) from None
        self._map.replace_state(opened.state, label=f"open {source}")

    def _free_name(self) -> str:
        names = {s.name for s in self._map.state.all_steps}  # names are unique over every path
        n = len(names) + 1
        while f"Process {n}" in names:
            n += 1
        return f"Process {n}"

    def _forget_layout(self) -> None:
        m = self._map
        state = m.state
        placed = [
            element.id
            for element in (state.customer, state.supplier, state.control, *state.stream, *state.bursts)
            if element is not None and (element.x is not None or element.y is not None)
        ]
        if not placed:
            return
        with m.batch("layout"):
            for target in placed:
                m.update(target, x=None, y=None)


def _facilitate(w: Workshop, message: Mapping[str, Any]) -> None:
    """Carry out one of the facilitator's workshop ops (the role was checked)."""
    op = message["op"]
    if op == "timer_start":
        w.timer_start(message["label"], message["minutes"])
    elif op == "walk_start":
        w.walk_start(message["direction"])
    elif op == "follow":
        w.follow(message["on"])
    elif op == "viewport":
        w.set_viewport(message["x"], message["y"], message["zoom"])
    elif op == "dots":
        w.set_dots(message["dots"])
    else:  # the ops without fields are the workshop's methods of the same name
        getattr(w, op)()


def _workshop_result(seq: int | None, client: str | None, error: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answer to a workshop message, for the view that sent it (``client``)."""
    result: dict[str, Any] = {"kind": "workshop_result", "seq": seq, "client": client, "ok": error is None}
    if error is not None:
        result["error"] = {**error, "message": f"{error['field']}: {error['reason']}"}
    return result


def _on_step(error: ValidationError, step: str) -> ValidationError:
    """``error`` placed on ``step``, so that the canvas shows it on that step's panel
    (the branch or loop the error was about was never added).
    """
    return ValidationError(error.field, error.value, error.reason, step)


#: Set while the map is changed by an edit from elsewhere: a live room's participant.
_ELSEWHERE: contextvars.ContextVar[bool] = contextvars.ContextVar("vsm_edits_from_elsewhere", default=False)


@contextlib.contextmanager
def edits_from_elsewhere() -> Iterator[None]:
    """Mark the map's changes in this block as made elsewhere (a live room applies its
    participants' edits in one): the map's canvases lay them out once the event loop's
    turn is done, all of the turn's together, instead of once per edit. Without a running
    loop, changes are laid out at once as usual.
    """
    token = _ELSEWHERE.set(True)
    try:
        yield
    finally:
        _ELSEWHERE.reset(token)


_AFTER_CELL: set[int] = set()


def _flush_after_cell(widget: MapWidget) -> None:
    """Flush a widget's state when the running cell ends, so the notebook saves the map as it is."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - a kernel always has IPython
        return
    shell = get_ipython()
    if shell is None or id(widget) in _AFTER_CELL or not _in_a_cell(shell):
        return
    _AFTER_CELL.add(id(widget))

    def flush(*_: Any) -> None:
        shell.events.unregister("post_execute", flush)
        _AFTER_CELL.discard(id(widget))
        if widget._flush_handle is not None:
            widget._flush_handle.cancel()
            widget._flush()

    shell.events.register("post_execute", flush)


def _in_a_cell(shell: Any) -> bool:
    """Whether the kernel is running a cell now (not handling a widget's message).

    The comm package fires ``post_execute`` after every widget message too; a canvas edit
    would then send the whole map (hundreds of kB) after its patch. Edits from the canvas
    are flushed once they pause instead.
    """
    kernel = getattr(shell, "kernel", None)
    get_parent = getattr(kernel, "get_parent", None)
    if get_parent is None:
        return True  # not an ipykernel: flush after every run, as before
    try:
        parent = get_parent("shell")
    except TypeError:  # an ipykernel before 6.0 takes no channel
        parent = get_parent()
    msg_type = (parent or {}).get("header", {}).get("msg_type")
    return msg_type in (None, "execute_request")


def display_with_fallback(widget: ipywidgets.DOMWidget, fallback: str, *, text: str | None = None) -> None:
    """Show ``widget`` (with ``text`` as its plain-text form, if given), then ``fallback``
    as an output of its own.

    The fallback (:func:`vsm_widget.presentation.fallback.fallback_html`) is for readers without
    JavaScript: exported HTML, GitHub, nbviewer. nbconvert keeps only the widget view of
    an output that has one, so the picture cannot share the widget's output; next to a
    live canvas, the canvas's stylesheet hides it.
    """
    from IPython.display import publish_display_data

    bundle = widget._repr_mimebundle_()
    data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
    if text is not None:
        data = {**data, "text/plain": text}
    publish_display_data(data, metadata)
    publish_display_data({"text/html": fallback})


def _summary(content: Any) -> str:
    """A message for the log: an opened document is named and sized, not copied whole,
    and nothing else is logged longer than a few lines.
    """
    if isinstance(content, Mapping) and content.get("op") == "open":
        text = content.get("text")
        size = len(text) if isinstance(text, str) else "?"
        return f"{{'op': 'open', 'name': {units._show(content.get('name'))}, 'text': <{size} characters>}}"
    return units._show(content, 500)


def _check_options(
    options: Mapping[str, Any], allowed: tuple[str, ...], derived: tuple[str, ...], where: str
) -> None:
    """Refuse misspelt or read-only keyword arguments with a hint, as a TypeError."""
    for name in options:
        if name in allowed:
            continue
        if name in derived:
            raise TypeError(f"{where} got {name!r}, which follows the map; edit the map instead")
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(
            f"{where} got an unexpected keyword argument {name!r}{hint} (allowed: {', '.join(allowed)})"
        )


def editor_for(map: Map, **options: Any) -> MapWidget:
    """The one editable canvas of ``map`` (made on first use), with ``options`` applied.

    A map has one editor: every cell showing the map shows the same canvas, and no stale
    canvas keeps following the map. A closed editor is replaced by a fresh one.
    """
    widget: MapWidget | None = getattr(map, "_editor_widget", None)
    if widget is None or widget.comm is None:
        widget = MapWidget(map, **options)
        map._editor_widget = widget  # type: ignore[attr-defined]
    elif options:
        widget.configure(**options)
    return widget
