"""Presence: who is looking at a map, and what each of them has selected or is editing.

One :class:`Presence` hub per map (:func:`presence_for`), shared by every canvas of the
map in the notebook and by its live room, so that the notebook's canvas and the room's
participants see one another. A *client* is one canvas on one page; a *person* is the
one using the browser, known by a secret ``key`` kept in the browser. Others see a
person's public :attr:`Participant.id` (a keyed hash of the key, the same for every tab
of that person) and never the key itself.

Presence is not part of the map: it never goes into the map's document or its history.
Clients send a heartbeat every :data:`HEARTBEAT_SECONDS`; a client that sends nothing for
:data:`TIMEOUT_SECONDS` is dropped. This module imports no widget library.

>>> from vsm_widget import ValueStreamMap
>>> m = ValueStreamMap("Brackets")
>>> hub = presence_for(m)
>>> ana = hub.join("c1", key="0123456789abcdef", name="Ana  Lima", color="#1f77b4")
>>> (ana.name, ana.initials, len(ana.id))
('Ana Lima', 'AL', 12)
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ..core.model import Change, Map, ValidationError

__all__ = [
    "HEARTBEAT_SECONDS",
    "MAX_CLIENTS",
    "NAME_MAX",
    "TIMEOUT_SECONDS",
    "Participant",
    "Presence",
    "presence_for",
]

#: How often a canvas says it is still there (seconds).
HEARTBEAT_SECONDS = 20.0
#: A client that sends nothing for this long (seconds) is dropped.
TIMEOUT_SECONDS = 60.0
#: The most clients one map has at a time (a room of people, not a crowd).
MAX_CLIENTS = 100
#: The longest name (characters), as the canvas's ``cleanName`` keeps it.
NAME_MAX = 40
#: How many hex digits of the keyed hash make a person's public id.
_ID_DIGITS = 12

Role = Literal["facilitator", "participant"]
_ROLES = ("facilitator", "participant")
_CLIENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KEY = re.compile(r"[0-9a-fA-F]{16,64}")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
# What JavaScript's \s matches, so that names fold exactly as js/identity.ts cleanName does.
_SPACES = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


class _Unset:
    """The default of :meth:`Presence.update`'s ``editing``: left as it was (``None`` clears it)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Participant:
    """One client of a map as others see it (the person's secret key is not in it)."""

    #: The canvas's own id (one per view on a page).
    client: str
    #: The person's public id: the same for every client (tab) of one person, 12 hex digits.
    id: str
    #: The name others see (1 to 40 printable characters, spaces folded).
    name: str
    #: Up to two initials of the name ("Ana Lima": "AL"), shown on what they select.
    initials: str
    #: A ``#rrggbb`` colour (lower case).
    color: str
    #: ``"facilitator"`` (a canvas in the notebook, with the kernel) or ``"participant"`` (the room).
    role: Role
    #: The ids of what they have selected, known to the map.
    selection: tuple[str, ...]
    #: The id of the element whose inline editor or details panel they have open, or ``None``.
    editing: str | None
    #: When they were last heard from (the hub's monotonic clock, seconds).
    seen: float

    def to_dict(self) -> dict[str, Any]:
        """What views get: everything but :attr:`seen`."""
        return {
            "client": self.client,
            "id": self.id,
            "name": self.name,
            "initials": self.initials,
            "color": self.color,
            "role": self.role,
            "selection": list(self.selection),
            "editing": self.editing,
        }


def clean_name(name: Any) -> str:
    """``name`` cleaned as the canvas cleans it, or :class:`ValidationError` naming ``name``.

    Control characters become spaces, runs of spaces fold into one, the ends are trimmed;
    what is left must be 1 to :data:`NAME_MAX` printable characters.
    """
    if not isinstance(name, str):
        raise ValidationError("name", name, "a name is text")
    folded = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in name)
    folded = _SPACES.sub(" ", folded).strip(" ")
    if not folded:
        raise ValidationError("name", name, "give a name of 1 to 40 characters")
    if len(folded) > NAME_MAX:
        raise ValidationError("name", name, f"a name is at most {NAME_MAX} characters, not {len(folded)}")
    if not folded.isprintable():
        bad = next(ch for ch in folded if not ch.isprintable())
        raise ValidationError("name", name, f"a name cannot hold the character U+{ord(bad):04X}")
    return folded


def initials_of(name: str) -> str:
    """Up to two initials, as the canvas's ``initialsOf``: "Ana Lima" reads "AL", "ana" reads "A"."""
    words = name.split()
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


def _check(pattern: re.Pattern[str], field: str, value: Any, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValidationError(field, value, what)
    return value


def _check_color(color: Any) -> str:
    return _check(_COLOR, "color", color, "a colour is '#rrggbb', six hex digits").lower()


class Presence:
    """Who is looking at one map (see the module's text); get it with :func:`presence_for`.

    Every change of what views get (:meth:`to_list`) calls the observers; a heartbeat
    that changes nothing else does not. Safe to call from several threads (a room
    serving from a thread of its own, the kernel's).
    """

    def __init__(self, map: Map, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._map = weakref.ref(map)
        #: The clock :attr:`Participant.seen` is read from (tests give one of their own).
        self.clock = clock
        self._secret = secrets.token_bytes(32)
        self._clients: dict[str, Participant] = {}
        self._observers: list[Callable[[], None]] = []
        self._lock = threading.RLock()
        self._unobserve_map: Callable[[], None] | None = None
        self._shown: list[dict[str, Any]] = []

    # ----------------------------------------------------------------- reading

    def participant(self, client: str) -> Participant | None:
        """The client's participant, or ``None`` if it has not joined (or has left)."""
        return self._clients.get(client)

    def participants(self) -> tuple[Participant, ...]:
        """Every client here now, in the order they joined."""
        return tuple(self._clients.values())

    def to_list(self) -> list[dict[str, Any]]:
        """What views get: :meth:`Participant.to_dict` of each client, in the order they joined."""
        return [p.to_dict() for p in self._clients.values()]

    def person_id(self, key: str) -> str:
        """The public id of the person with this secret ``key`` (checked: 16 to 64 hex digits)."""
        key = _check(_KEY, "key", key, "a key is 16 to 64 hex digits").lower()
        return hmac.new(self._secret, key.encode("ascii"), "sha256").hexdigest()[:_ID_DIGITS]

    def observe(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn()`` after every change of :meth:`to_list`; returns the function that stops it."""
        self._observers.append(fn)

        def unobserve() -> None:
            if fn in self._observers:
                self._observers.remove(fn)

        return unobserve

    # ----------------------------------------------------------------- changing

    def join(
        self, client: str, *, key: str, name: str, color: str, role: Role = "participant"
    ) -> Participant:
        """Add a client (or refresh one of the same person that is here already).

        Refused, naming the field: a malformed ``client``, ``key``, ``name`` or ``color``,
        an unknown ``role``, a client that is another person's (its key differs), or a
        client past :data:`MAX_CLIENTS`.
        """
        _check(_CLIENT, "client", client, "a client id is 1 to 64 letters, digits, '-' or '_'")
        person = self.person_id(key)
        clean = clean_name(name)
        color = _check_color(color)
        if role not in _ROLES:
            raise ValidationError("role", role, "a role is 'facilitator' or 'participant'")
        with self._lock:
            self._expire()
            old = self._clients.get(client)
            if old is not None and old.id != person:
                raise ValidationError("client", client, "this client id is another person's")
            if old is None and len(self._clients) >= MAX_CLIENTS:
                raise ValidationError("client", client, f"a map has at most {MAX_CLIENTS} clients at a time")
            joined = Participant(
                client=client,
                id=person,
                name=clean,
                initials=initials_of(clean),
                color=color,
                role=role,
                selection=old.selection if old else (),
                editing=old.editing if old else None,
                seen=self.clock(),
            )
            self._clients[client] = joined
            self._follow_map()
        self._changed()
        return joined

    def update(
        self,
        client: str,
        *,
        name: str | None = None,
        color: str | None = None,
        selection: Iterable[str] | None = None,
        editing: str | None = UNSET,
    ) -> Participant:
        """Change what a client shows and note it as heard from (a heartbeat: no arguments).

        ``None`` leaves ``name``, ``color`` and ``selection`` as they are; ``editing``
        left out stays, ``editing=None`` clears it. Ids the map does not know are dropped
        from ``selection`` (as the canvas's own selection drops them) and from ``editing``.
        A client that has not joined is refused naming ``client``.
        """
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = clean_name(name)
            changes["initials"] = initials_of(changes["name"])
        if color is not None:
            changes["color"] = _check_color(color)
        if selection is not None:
            changes["selection"] = self._known(selection)
        if editing is not UNSET:
            if editing is not None and not isinstance(editing, str):
                raise ValidationError("editing", editing, "editing is an element's id or null")
            changes["editing"] = editing if editing is not None and self._known([editing]) else None
        with self._lock:
            self._expire()
            old = self._clients.get(client)
            if old is None:
                raise ValidationError("client", client, "this client has not joined (or was dropped)")
            now = replace(old, seen=self.clock(), **changes)
            self._clients[client] = now
        self._changed()
        return now

    def leave(self, client: str) -> None:
        """Remove a client (one that is not here is ignored)."""
        with self._lock:
            self._clients.pop(client, None)
            self._expire()
        self._changed()

    def expire(self) -> None:
        """Drop every client not heard from for :data:`TIMEOUT_SECONDS` (joins and updates do it too)."""
        with self._lock:
            self._expire()
        self._changed()

    # ----------------------------------------------------------------- inside

    def _expire(self) -> None:
        now = self.clock()
        for client, p in list(self._clients.items()):
            if now - p.seen > TIMEOUT_SECONDS:
                del self._clients[client]
        if not self._clients and self._unobserve_map is not None:
            self._unobserve_map()
            self._unobserve_map = None

    def _known_ids(self) -> set[str]:
        m = self._map()
        return set() if m is None else m.state.ids() - {"map"}

    def _known(self, ids: Iterable[str]) -> tuple[str, ...]:
        if isinstance(ids, str) or not isinstance(ids, Iterable):
            raise ValidationError("selection", ids, "a selection is a list of element ids")
        ids = list(ids)
        if any(not isinstance(i, str) for i in ids):
            raise ValidationError("selection", ids, "a selection is a list of element ids (text)")
        known = self._known_ids()
        return tuple(dict.fromkeys(i for i in ids if i in known))

    def _follow_map(self) -> None:
        # Only while someone is here: a map nobody looks at has no observer for presence.
        m = self._map()
        if self._unobserve_map is None and m is not None:
            self._unobserve_map = m.observe(self._on_map_change)

    def _on_map_change(self, change: Change) -> None:
        # What was removed from the map leaves every selection.
        known = self._known_ids()
        with self._lock:
            for client, p in list(self._clients.items()):
                selection = tuple(i for i in p.selection if i in known)
                editing = p.editing if p.editing in known else None
                if selection != p.selection or editing != p.editing:
                    self._clients[client] = replace(p, selection=selection, editing=editing)
        self._changed()

    def _changed(self) -> None:
        with self._lock:
            shown = self.to_list()
            if shown == self._shown:
                return
            self._shown = shown
        for fn in list(self._observers):
            fn()


# Hubs by the map's identity: a map compares by value and is unhashable, so it cannot key a
# WeakKeyDictionary; the weak reference's callback drops the hub with its map.
_HUBS: dict[int, tuple[weakref.ref[Map], Presence]] = {}
_HUBS_LOCK = threading.Lock()


def presence_for(map: Map) -> Presence:
    """The one presence hub of ``map`` (made on first use, gone with the map)."""
    if not isinstance(map, Map):
        raise TypeError(f"presence_for() takes a ValueStreamMap, not {type(map).__name__}")
    with _HUBS_LOCK:
        found = _HUBS.get(id(map))
        if found is not None and found[0]() is map:
            return found[1]
        key = id(map)

        def gone(ref: weakref.ref[Map]) -> None:
            with _HUBS_LOCK:
                if _HUBS.get(key, (None,))[0] is ref:
                    del _HUBS[key]

        hub = Presence(map)
        _HUBS[key] = (weakref.ref(map, gone), hub)
        return hub
