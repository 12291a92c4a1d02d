"""The facilitation of one map: dot voting, walking the stream with whys, timer, lock, follow.

A :class:`Workshop` belongs to one :class:`~vsm_widget.core.model.Map` (``m.workshop``,
made on first use). It holds what a facilitator runs a session with, beside the map and
never in it: edits of the map do not touch it, and it changes nothing of the map's
state, history or document. Every value is validated as the map validates its own: a
refused value raises :class:`~vsm_widget.core.errors.ValidationError` naming the field,
and leaves the workshop exactly as it was.

- **Dot voting**: each person has :attr:`Workshop.dots` dots (3 by default) to put on
  kaizen bursts, several on one burst if they like; :meth:`Workshop.vote` takes one,
  :meth:`Workshop.unvote` gives one back. Only bursts on the map count: a dot on a burst
  that was removed comes back to its person (and goes on it again if the removal is undone).
- **Walking the stream**: :meth:`Workshop.walk_start` starts a walk (numbered 1, 2...)
  forward or in reverse, and :meth:`Workshop.walk_next` / :meth:`Workshop.walk_back` step
  through the map's steps in stream order: the main line's steps first, then each
  branch's, in the order the branches were added (reversed for a reverse walk). Anyone
  adds a "why?" to a step (:meth:`Workshop.add_why`); each step keeps its chain of whys,
  each with the walk it was asked in.
- **Timer**, **lock** and **follow mode** (the facilitator's viewport) are the session's
  own and are never saved.

What may be saved with the map is :meth:`Workshop.record` (votes and whys only); see
:func:`vsm_widget.data.io.to_document`.

Pure Python: no widget library.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from . import units
from .errors import ValidationError
from .fields import MapState

__all__ = [
    "DEFAULT_DOTS",
    "MAX_DOTS",
    "MAX_LABEL_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PERSON_LENGTH",
    "MAX_TIMER_MINUTES",
    "MAX_WHY_LENGTH",
    "MAX_ZOOM",
    "MIN_DOTS",
    "MIN_ZOOM",
    "WORKSHOP_STEPS",
    "Workshop",
]

#: The ten steps of a mapping workshop, as a timer's label names them.
WORKSHOP_STEPS = (
    "Pick the product family",
    "Get leadership on board",
    "Name the problems",
    "Set the scope",
    "Collect process data",
    "Judge each step",
    "Map the flows",
    "Build the timeline",
    "Review the map",
    "Draw the future state",
)
#: Dots each person has to vote with, unless the facilitator says otherwise.
DEFAULT_DOTS = 3
#: The fewest and most dots a person may be given.
MIN_DOTS, MAX_DOTS = 1, 20
#: The longest "why?" kept (characters).
MAX_WHY_LENGTH = 500
#: The longest person's name (as the canvas keeps it, ``js/identity.ts``).
MAX_NAME_LENGTH = 40
#: The longest person id (the presence hub's public ids are far shorter).
MAX_PERSON_LENGTH = 64
#: The longest timer label.
MAX_LABEL_LENGTH = 80
#: The longest timer (minutes): a workshop day.
MAX_TIMER_MINUTES = 480
#: The zooms a facilitator's viewport may have (as the canvas allows, ``js/viewport.ts``).
MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
_MAX_COORDINATE = 1e6
_DIRECTIONS = ("forward", "reverse")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

WorkshopObserver = Callable[[str], None]


class _Map(Protocol):
    """What a workshop reads of its map (the model's ``Map``, which imports this module)."""

    @property
    def state(self) -> MapState: ...


def _text(field: str, value: Any, limit: int, *, required: bool) -> str:
    """``value`` as stored text (stripped), or a ValidationError naming ``field``."""
    if not isinstance(value, str):
        raise ValidationError(field, value, f"{units._show(value)} is not text")
    text = value.strip()
    if required and not text:
        raise ValidationError(field, value, "it must not be empty")
    if len(text) > limit:
        raise ValidationError(
            field, value, f"it is {len(text):,} characters long; at most {limit} are allowed"
        )
    # As the map's own text fields: no control characters (tabs and newlines are fine),
    # nothing a file cannot hold.
    problem = "it contains control characters" if _CONTROL.search(text) else units._unwritable(text)
    if problem is not None:
        raise ValidationError(field, value, problem)
    return text


def _number(field: str, value: Any, low: float, high: float, *, above: bool = False) -> float:
    """A finite number from ``low`` (excluded when ``above``) to ``high``, or a ValidationError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(field, value, f"{units._show(value)} is not a number")
    if isinstance(value, int) and abs(value) > 2**53:
        raise ValidationError(field, value, "it is far too large")
    number = float(value)
    low_ok = number > low if above else number >= low
    if not math.isfinite(number) or not low_ok or number > high:
        bound = f"more than {low:g}" if above else f"from {low:g}"
        raise ValidationError(field, value, f"it must be a number {bound} to {high:g}")
    return number


def _whole(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field, value, f"it must be a whole number from {low} to {high}")
    return value


class Workshop:
    """The facilitation state of one map (see the module): votes, whys, walk, timer, lock, follow.

    >>> from vsm_widget import ValueStreamMap
    >>> m = ValueStreamMap("Brackets")
    >>> step = m.add_process("Stamping")
    >>> idea = m.add_burst("Quick changeover", target=step.id)
    >>> m.workshop.vote(idea.id, "ana", "Ana")
    >>> m.workshop.totals()
    {'k1': 1}
    >>> m.workshop.dots_left("ana")
    2

    ``clock`` (seconds since the epoch, :func:`time.time` by default) times the timer
    and the whys; tests give one they control (it may also be set later, as :attr:`clock`).
    """

    def __init__(self, map: _Map, *, clock: Callable[[], float] = time.time) -> None:
        self._map = map
        #: The clock timing the timer and the whys (seconds since the epoch).
        self.clock = clock
        self._observers: list[WorkshopObserver] = []
        self._dots = DEFAULT_DOTS
        # burst id -> person -> dots on it; the order dots were first put on a burst.
        self._votes: dict[str, dict[str, int]] = {}
        self._names: dict[str, str] = {}
        self._whys: list[dict[str, Any]] = []
        self._why_counter = 0
        self._walks = 0
        # The walk under way: its number, direction, step id and index in its order.
        self._walk: dict[str, Any] | None = None
        self._timer: dict[str, Any] | None = None
        self._locked = False
        self._following = False
        self._viewport: dict[str, float] | None = None

    # ----------------------------------------------------------------- observers

    def observe(self, callback: WorkshopObserver) -> Callable[[], None]:
        """Call ``callback(op)`` after every change (``op`` names it: ``"vote"``, ``"lock"``...).

        Returns a function that stops the calls. Every observer is called even if one
        raises; the first error is then raised to the caller of the change.
        """
        self._observers.append(callback)
        return lambda: self._observers.remove(callback) if callback in self._observers else None

    def _changed(self, op: str) -> None:
        first: Exception | None = None
        for callback in tuple(self._observers):
            try:
                callback(op)
            except Exception as error:  # re-raised below, after every observer ran
                first = first or error
        if first is not None:
            raise first

    # ----------------------------------------------------------------- dot voting

    @property
    def dots(self) -> int:
        """Dots each person has to vote with (from 1 to 20)."""
        return self._dots

    @dots.setter
    def dots(self, value: int) -> None:
        self.set_dots(value)

    def set_dots(self, value: int) -> None:
        """Give each person ``value`` dots. Dots already on bursts stay there: someone who
        has used more than the new number has none left until they take some back.
        """
        value = _whole("dots", value, MIN_DOTS, MAX_DOTS)
        if value != self._dots:
            self._dots = value
            self._changed("dots")

    def _bursts(self) -> dict[str, Any]:
        return {b.id: b for b in self._map.state.bursts}

    def _counted(self) -> dict[str, dict[str, int]]:
        """Votes on bursts that are on the map now (a removed burst's dots are free again)."""
        present = self._bursts()
        return {burst: people for burst, people in self._votes.items() if burst in present and people}

    def used(self, person: str) -> int:
        """How many of ``person``'s dots are on bursts of the map."""
        return sum(people.get(person, 0) for people in self._counted().values())

    def dots_left(self, person: str) -> int:
        """How many dots ``person`` may still put on bursts."""
        return max(0, self._dots - self.used(person))

    def vote(self, burst: str, person: str, name: str = "") -> None:
        """Put one of ``person``'s dots on ``burst`` (``name``: how they are called).

        Refused naming ``burst`` when no burst of the map has that id, and ``dots`` when
        the person has none left.
        """
        person = _text("person", person, MAX_PERSON_LENGTH, required=True)
        name = _text("name", name, MAX_NAME_LENGTH, required=False)
        if not isinstance(burst, str) or burst not in self._bursts():
            raise ValidationError("burst", burst, "no kaizen burst with this id on the map")
        if self.dots_left(person) <= 0:
            raise ValidationError(
                "dots", self._dots, f"all {self._dots} of your dots are used; take one back to vote again"
            )
        people = self._votes.setdefault(burst, {})
        people[person] = people.get(person, 0) + 1
        if name or person not in self._names:
            self._names[person] = name
        self._changed("vote")

    def unvote(self, burst: str, person: str) -> None:
        """Take one of ``person``'s dots back from ``burst``; refused naming ``burst`` when
        they have none on it.
        """
        people = self._votes.get(burst) if isinstance(burst, str) else None
        if not people or people.get(person, 0) <= 0 or burst not in self._bursts():
            raise ValidationError("burst", burst, "you have no dot on this burst")
        people[person] -= 1
        if people[person] == 0:
            del people[person]
        self._changed("unvote")

    def totals(self) -> dict[str, int]:
        """Dots on each burst of the map that has any, by burst id."""
        return {burst: sum(people.values()) for burst, people in self._counted().items()}

    def voters(self, burst: str) -> dict[str, int]:
        """Dots each person put on ``burst``, by person id."""
        return dict(self._counted().get(burst, {}))

    def name_of(self, person: str) -> str:
        """The name ``person`` voted or asked under (``""`` if they gave none)."""
        return self._names.get(person, "")

    def clear_votes(self) -> None:
        """Take every dot back: everyone has all their dots again."""
        if self._votes:
            self._votes.clear()
            self._changed("clear_votes")

    # ----------------------------------------------------------------- walking the stream

    def order(self, direction: str = "forward") -> tuple[str, ...]:
        """The step ids a walk goes through: the main line's steps, then each branch's in
        the order the branches were added; the other way round for ``"reverse"``.
        """
        ids = tuple(step.id for step in self._map.state.all_steps)
        return ids[::-1] if direction == "reverse" else ids

    @property
    def walk(self) -> dict[str, Any] | None:
        """The walk under way, ``{number, direction, step}``, or None."""
        if self._walk is None:
            return None
        return {"number": self._walk["number"], "direction": self._walk["direction"], "step": self.current}

    @property
    def walks(self) -> int:
        """How many walks have been started."""
        return self._walks

    @property
    def current(self) -> str | None:
        """The step the walk is on, or None (no walk, or a map without steps).

        If that step was removed, the walk is on the step that took its place in the walk's order.
        """
        walk = self._walk
        if walk is None:
            return None
        order = self.order(walk["direction"])
        if walk["step"] in order:
            return str(walk["step"])
        if not order:
            return None
        return order[min(walk["index"], len(order) - 1)]

    def walk_start(self, direction: str = "forward") -> int:
        """Start a new walk at the first step (``"forward"``) or the last (``"reverse"``);
        returns its number (1 for the first walk of the session).
        """
        if direction not in _DIRECTIONS:
            raise ValidationError("direction", direction, "a walk goes 'forward' or 'reverse'")
        order = self.order(direction)
        self._walks += 1
        self._walk = {
            "number": self._walks,
            "direction": direction,
            "step": order[0] if order else None,
            "index": 0,
        }
        self._changed("walk_start")
        return self._walks

    def _step_walk(self, by: int) -> str | None:
        walk = self._walk
        if walk is None:
            raise ValidationError("walk", None, "no walk is under way; start one first")
        order = self.order(walk["direction"])
        if not order:
            return None
        here = self.current
        index = order.index(here) if here in order else 0
        index = min(max(index + by, 0), len(order) - 1)
        if order[index] != walk["step"]:
            walk["step"], walk["index"] = order[index], index
            self._changed("walk_next" if by > 0 else "walk_back")
        return order[index]

    def walk_next(self) -> str | None:
        """Go to the next step of the walk (the last step stays where it is); returns its id."""
        return self._step_walk(1)

    def walk_back(self) -> str | None:
        """Go back one step (the first stays where it is); returns its id."""
        return self._step_walk(-1)

    def walk_stop(self) -> None:
        """End the walk (its whys stay)."""
        if self._walk is not None:
            self._walk = None
            self._changed("walk_stop")

    # ----------------------------------------------------------------- whys

    def _steps(self) -> dict[str, Any]:
        return {step.id: step for step in self._map.state.all_steps}

    def add_why(self, step: str, text: str, author: str = "", *, person: str | None = None) -> dict[str, Any]:
        """Add a "why?" to ``step``'s chain: ``text`` of 1 to 500 characters, asked by
        ``author`` (a name) in the walk under way (None outside a walk). Returns the why.
        """
        if not isinstance(step, str) or step not in self._steps():
            raise ValidationError("step", step, "no step with this id on the map")
        text = _text("why", text, MAX_WHY_LENGTH, required=True)
        author = _text("author", author, MAX_NAME_LENGTH, required=False)
        if person is not None:
            person = _text("person", person, MAX_PERSON_LENGTH, required=True)
        self._why_counter += 1
        why = {
            "id": f"w{self._why_counter}",
            "step": step,
            "text": text,
            "author": author,
            "person": person,
            "walk": None if self._walk is None else self._walk["number"],
            "at": float(self.clock()),
        }
        self._whys.append(why)
        self._changed("why")
        return dict(why)

    def remove_why(self, why: str) -> None:
        """Remove a why by its id; refused naming ``why`` when there is none with it."""
        for index, item in enumerate(self._whys):
            if item["id"] == why:
                del self._whys[index]
                self._changed("remove_why")
                return
        raise ValidationError("why", why, "no why with this id")

    def whys(self, step: str | None = None) -> list[dict[str, Any]]:
        """The whys of steps on the map (of ``step`` only, if given), each step's in the
        order asked: ``{id, step, text, author, person, walk, at}``.
        """
        steps = self._steps()
        return [dict(w) for w in self._whys if w["step"] in steps and (step is None or w["step"] == step)]

    # ----------------------------------------------------------------- timer

    def timer_start(self, label: str, minutes: float) -> None:
        """Start a timer of ``minutes`` (more than 0, at most 480) named ``label`` (one of
        :data:`WORKSHOP_STEPS`, or any short text); it replaces a timer already running.
        """
        label = _text("label", label, MAX_LABEL_LENGTH, required=True)
        seconds = _number("minutes", minutes, 0, MAX_TIMER_MINUTES, above=True) * 60
        now = self.clock()
        self._timer = {"label": label, "seconds": seconds, "remaining": seconds, "ends_at": now + seconds}
        self._changed("timer_start")

    def _need_timer(self) -> dict[str, Any]:
        if self._timer is None:
            raise ValidationError("timer", None, "no timer is set; start one first")
        return self._timer

    def timer_pause(self) -> None:
        """Hold the timer where it is (a paused timer stays paused)."""
        timer = self._need_timer()
        if timer["ends_at"] is not None:
            timer["remaining"] = max(0.0, timer["ends_at"] - self.clock())
            timer["ends_at"] = None
            self._changed("timer_pause")

    def timer_resume(self) -> None:
        """Run a paused timer on from where it was held."""
        timer = self._need_timer()
        if timer["ends_at"] is None:
            timer["ends_at"] = self.clock() + timer["remaining"]
            self._changed("timer_resume")

    def timer_stop(self) -> None:
        """Take the timer away."""
        if self._timer is not None:
            self._timer = None
            self._changed("timer_stop")

    @property
    def timer(self) -> dict[str, Any] | None:
        """``{label, seconds, remaining, running, ends_at}`` (seconds; ``ends_at`` by the
        clock, None while paused), or None without a timer. ``remaining`` is 0 once time is up.
        """
        return self._timer_view(live=True)

    def _timer_view(self, *, live: bool) -> dict[str, Any] | None:
        # Not live: a running timer's remaining is the time left when it last started or
        # resumed, so the view stays the same until the timer changes (views count down
        # from ends_at themselves).
        timer = self._timer
        if timer is None:
            return None
        running = timer["ends_at"] is not None
        remaining = max(0.0, timer["ends_at"] - self.clock()) if running and live else timer["remaining"]
        return {
            "label": timer["label"],
            "seconds": timer["seconds"],
            "remaining": remaining,
            "running": running,
            "ends_at": timer["ends_at"],
        }

    # ----------------------------------------------------------------- lock and follow

    @property
    def locked(self) -> bool:
        """Whether the map is view only for everyone but the facilitator."""
        return self._locked

    def lock(self) -> None:
        """Make the map view only for participants (their edits and votes are refused)."""
        if not self._locked:
            self._locked = True
            self._changed("lock")

    def unlock(self) -> None:
        """Let participants edit and vote again."""
        if self._locked:
            self._locked = False
            self._changed("unlock")

    @property
    def following(self) -> bool:
        """Whether every view follows the facilitator's viewport."""
        return self._following

    def follow(self, on: bool = True) -> None:
        """Turn follow mode on (every participant's view shows what the facilitator's does) or off."""
        if not isinstance(on, bool):
            raise ValidationError("follow", on, "follow mode is on (true) or off (false)")
        if on != self._following:
            self._following = on
            self._changed("follow")

    @property
    def viewport(self) -> dict[str, float] | None:
        """The facilitator's view, ``{x, y, zoom}``: the map point at its centre and its zoom."""
        return None if self._viewport is None else dict(self._viewport)

    def set_viewport(self, x: float, y: float, zoom: float) -> None:
        """Set the facilitator's view (``x``, ``y``: the map point at its centre; ``zoom``
        from 0.1 to 3), which following views show.
        """
        view = {
            "x": _number("x", x, -_MAX_COORDINATE, _MAX_COORDINATE),
            "y": _number("y", y, -_MAX_COORDINATE, _MAX_COORDINATE),
            "zoom": _number("zoom", zoom, MIN_ZOOM, MAX_ZOOM),
        }
        if view != self._viewport:
            self._viewport = view
            self._changed("viewport")

    # ----------------------------------------------------------------- views and records

    def to_dict(self) -> dict[str, Any]:
        """The whole workshop as every view gets it (JSON-ready).

        ``{dots, votes: {burst: {total, by: {person: dots}}}, used: {person: dots},
        names: {person: name}, whys: [...], walk, timer, locked, following, viewport, steps}``
        (``steps``: :data:`WORKSHOP_STEPS`, which the views offer the timer). It
        changes only when the workshop (or a burst or step of the map) does: a running
        timer's ``remaining`` is the time left when it last started or resumed, and views
        count down to ``ends_at``.
        """
        counted = self._counted()
        used: dict[str, int] = {}
        for people in counted.values():
            for person, count in people.items():
                used[person] = used.get(person, 0) + count
        return {
            "dots": self._dots,
            "votes": {
                burst: {"total": sum(people.values()), "by": dict(people)}
                for burst, people in counted.items()
            },
            "used": used,
            "names": {person: self._names.get(person, "") for person in used},
            "whys": [{k: w[k] for k in ("id", "step", "text", "author", "walk", "at")} for w in self.whys()],
            "walk": self.walk,
            "timer": self._timer_view(live=False),
            "locked": self._locked,
            "following": self._following,
            "viewport": self.viewport,
            "steps": list(WORKSHOP_STEPS),
        }

    def record(self) -> dict[str, Any]:
        """What may be saved with the map: ``{votes, whys}`` (never the lock, timer or walk).

        Votes are ``[{burst, person, name, dots}]``, whys ``[{step, text, author, walk, at}]``;
        both only on bursts and steps the map has.
        """
        return {
            "votes": [
                {"burst": burst, "person": person, "name": self._names.get(person, ""), "dots": count}
                for burst, people in self._counted().items()
                for person, count in people.items()
            ],
            "whys": [{k: w[k] for k in ("step", "text", "author", "walk", "at")} for w in self.whys()],
        }

    def from_record(self, record: Mapping[str, Any], *, path: str = "workshop") -> None:
        """Put the votes and whys of ``record`` (as :meth:`record` makes) in place of these.

        Checked whole first: an error names the place at fault (``workshop.votes[2].burst``)
        and leaves the workshop as it was. A person's dots on the bursts may not exceed
        :attr:`dots` (20 at most); the walks counted go on from the highest walk recorded.
        """
        if not isinstance(record, Mapping):
            raise ValidationError(path, record, "the workshop record is an object with votes and whys")
        unknown = [k for k in record if k not in ("votes", "whys")]
        if unknown:
            raise ValidationError(
                f"{path}.{unknown[0]}", unknown[0], "a workshop record holds votes and whys only"
            )
        votes: dict[str, dict[str, int]] = {}
        names: dict[str, str] = {}
        bursts, steps = self._bursts(), self._steps()
        for index, vote in enumerate(_list(record, "votes", path)):
            where = f"{path}.votes[{index}]"
            _keys(vote, where, ("burst", "person", "name", "dots"))
            burst = vote["burst"]
            if not isinstance(burst, str) or burst not in bursts:
                raise ValidationError(f"{where}.burst", burst, "no kaizen burst with this id on the map")
            person = _text(f"{where}.person", vote["person"], MAX_PERSON_LENGTH, required=True)
            names[person] = _text(f"{where}.name", vote["name"], MAX_NAME_LENGTH, required=False)
            people = votes.setdefault(burst, {})
            people[person] = people.get(person, 0) + _whole(f"{where}.dots", vote["dots"], 1, MAX_DOTS)
            if sum(p.get(person, 0) for p in votes.values()) > MAX_DOTS:
                raise ValidationError(f"{where}.dots", vote["dots"], f"a person has at most {MAX_DOTS} dots")
        whys = []
        walks = 0
        for index, why in enumerate(_list(record, "whys", path)):
            where = f"{path}.whys[{index}]"
            _keys(why, where, ("step", "text", "author", "walk", "at"))
            if not isinstance(why["step"], str) or why["step"] not in steps:
                raise ValidationError(f"{where}.step", why["step"], "no step with this id on the map")
            walk = why["walk"]
            if walk is not None:
                walk = _whole(f"{where}.walk", walk, 1, 2**31)
                walks = max(walks, walk)
            whys.append(
                {
                    "step": why["step"],
                    "text": _text(f"{where}.text", why["text"], MAX_WHY_LENGTH, required=True),
                    "author": _text(f"{where}.author", why["author"], MAX_NAME_LENGTH, required=False),
                    "person": None,
                    "walk": walk,
                    "at": _number(f"{where}.at", why["at"], 0, 1e11),
                }
            )
        self._votes = votes
        self._names = names
        self._whys = []
        for why in whys:
            self._why_counter += 1
            self._whys.append({"id": f"w{self._why_counter}", **why})
        self._walks = max(self._walks, walks)
        self._changed("record")


def _list(record: Mapping[str, Any], key: str, path: str) -> list[Any]:
    value = record.get(key, [])
    if not isinstance(value, list):
        raise ValidationError(f"{path}.{key}", value, f"{key} are a list")
    return value


def _keys(item: Any, where: str, keys: tuple[str, ...]) -> None:
    if not isinstance(item, Mapping):
        raise ValidationError(where, item, f"an object with {', '.join(keys)}")
    for key in keys:
        if key not in item:
            raise ValidationError(f"{where}.{key}", None, f"{key!r} is missing")
    extra = [k for k in item if k not in keys]
    if extra:
        raise ValidationError(f"{where}.{extra[0]}", extra[0], f"no such key; the keys are {', '.join(keys)}")
