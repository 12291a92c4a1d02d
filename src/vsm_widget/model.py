"""The value stream map: its elements, every edit, validation, history and observers.

The map is the single source of truth. Its state is an immutable :class:`MapState`;
every edit builds a new state, validates it as a whole and only then commits it, so a
rejected edit leaves the map exactly as it was. Undo and redo swap whole states, which
makes them exact and cheap (states share their unchanged elements).

This module is pure Python: no Jupyter, no widgets.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Union

from . import units

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .metrics import Metrics

__all__ = [
    "VALUE_CLASSES",
    "WASTE_TYPES",
    "FLOW_KINDS",
    "PERIODS",
    "ValidationError",
    "Customer",
    "Supplier",
    "Control",
    "Process",
    "Gap",
    "Shipment",
    "InfoFlow",
    "Burst",
    "MapState",
    "Change",
    "ValueStreamMap",
]

#: How a step is judged: would the customer pay for it?
VALUE_CLASSES = ("value-adding", "necessary", "waste")
#: The eight wastes (TIMWOODS), with "defects" standing for mistake resolution and rework.
WASTE_TYPES = (
    "transport",
    "inventory",
    "motion",
    "waiting",
    "overproduction",
    "overprocessing",
    "defects",
    "skills",
)
#: How material moves into the next step across a gap.
FLOW_KINDS = ("push", "pull", "fifo")
#: Periods that customer demand can be given per, with their most calendar days.
PERIODS: dict[str, int] = {"day": 1, "week": 7, "month": 31, "quarter": 92, "year": 366}
#: Kinds of information flow: manual (straight arrow) or electronic (lightning).
INFO_KINDS = ("manual", "electronic")
#: The state of a kaizen burst in the action plan.
BURST_STATUSES = ("idea", "planned", "doing", "done")
#: What a lead-time "day" means: a working day of the map's calendar, or 24 hours.
DAY_BASES = ("working", "calendar")
#: Which picture a map is: the stream as it is, or as it should become.
MAP_STATES = ("current", "future")

_VALUE_CLASS_ALIASES = {
    "value-adding": "value-adding",
    "value adding": "value-adding",
    "va": "value-adding",
    "necessary": "necessary",
    "necessary non-value-adding": "necessary",
    "necessary non value adding": "necessary",
    "nnva": "necessary",
    "business value-adding": "necessary",
    "waste": "waste",
    "nva": "waste",
    "non-value-adding": "waste",
}
_WASTE_ALIASES = {
    **{w: w for w in WASTE_TYPES},
    "transportation": "transport",
    "wait": "waiting",
    "defect": "defects",
    "rework": "defects",
    "mistake resolution": "defects",
    "mistakes": "defects",
    "over-processing": "overprocessing",
    "over-production": "overproduction",
    "unused skills": "skills",
    "skill": "skills",
    "talent": "skills",
}

#: The longest duration any field accepts (ten calendar years): more is a typing error.
MAX_DURATION = 10 * 366 * units.SECONDS_PER_CALENDAR_DAY
#: The largest count or quantity any field accepts.
MAX_QUANTITY = 1e12
#: The largest canvas coordinate.
MAX_COORDINATE = 1e6
MAX_NAME_LENGTH = 120
MAX_TEXT_LENGTH = 5000
DEFAULT_WORKING_DAY = 8 * 3600.0

_ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
_RESERVED_IDS = ("map", "customer", "supplier", "control")


class ValidationError(ValueError):
    """An edit or a document that the map refuses.

    ``field`` names the field (``"cycle_time"``, ``"customer.demand"``, or a JSON path
    for documents), ``value`` is what was given and ``reason`` what is allowed. The map
    is unchanged when this is raised.
    """

    def __init__(self, field: str, value: object, reason: str, target: str | None = None):
        self.field = field
        self.value = value
        self.reason = reason
        self.target = target
        where = f"{target}: " if target else ""
        super().__init__(f"{where}{field}: {reason}")

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data, for a front end or a log."""
        return {
            "field": self.field,
            "target": self.target,
            "value": _plain(self.value),
            "reason": self.reason,
            "message": str(self),
        }


def _plain(value: object) -> object:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


# --------------------------------------------------------------------------- elements


@dataclass(frozen=True, slots=True)
class Customer:
    """The customer icon: demand and the working calendar it is met in.

    ``demand`` is units per ``period``; ``working_days`` is how many working days the
    period has; available time per day is ``shifts x (shift_length - breaks)``.
    """

    kind: ClassVar[str] = "customer"
    name: str = "Customer"
    demand: float | None = None
    period: str = "day"
    working_days: float | None = None
    shifts: int = 1
    shift_length: float | None = None
    breaks: float = 0.0
    x: float | None = None
    y: float | None = None

    @property
    def id(self) -> str:
        """The fixed id of the customer."""
        return "customer"


@dataclass(frozen=True, slots=True)
class Supplier:
    """The supplier icon: who delivers what, how often."""

    kind: ClassVar[str] = "supplier"
    name: str = "Supplier"
    supplies: str = ""
    frequency: str = ""
    x: float | None = None
    y: float | None = None

    @property
    def id(self) -> str:
        """The fixed id of the supplier."""
        return "supplier"


@dataclass(frozen=True, slots=True)
class Control:
    """The production control box: who schedules the stream."""

    kind: ClassVar[str] = "control"
    name: str = "Production control"
    notes: str = ""
    x: float | None = None
    y: float | None = None

    @property
    def id(self) -> str:
        """The fixed id of production control."""
        return "control"


@dataclass(frozen=True, slots=True)
class Process:
    """A process box with its data box.

    Times are seconds. ``cycle_time`` is C/T (manufacturing), ``process_time`` the
    hands-on time (office maps; defaults to C/T in metrics), ``lead_time`` the elapsed
    time through the step including its own queue (office maps). ``uptime`` and
    ``complete_accurate`` are shares from 0 to 1; ``None`` means not measured.
    ``parallel`` is how many stations share the work.
    """

    kind: ClassVar[str] = "process"
    id: str
    name: str
    cycle_time: float | None = None
    process_time: float | None = None
    lead_time: float | None = None
    changeover: float | None = None
    uptime: float | None = None
    operators: float | None = None
    shifts: int | None = None
    batch_size: float | None = None
    parallel: int = 1
    complete_accurate: float | None = None
    value_class: str | None = None
    waste: tuple[str, ...] = ()
    notes: str = ""
    x: float | None = None
    y: float | None = None

    @property
    def touch_time(self) -> float | None:
        """Time on the lower rung of the timeline: process time, else cycle time."""
        return self.process_time if self.process_time is not None else self.cycle_time


@dataclass(frozen=True, slots=True)
class Gap:
    """What lies between two steps: an inventory triangle, a queue, or a FIFO lane.

    ``quantity`` is the units waiting (the sum of ``variants`` where those are given);
    ``wait_time`` a measured wait in seconds, which takes precedence over the quantity
    in lead time. ``flow`` is how material moves on: push, pull or fifo (with
    ``fifo_max``).
    """

    kind: ClassVar[str] = "gap"
    id: str
    quantity: float | None = None
    variants: tuple[tuple[str, float], ...] = ()
    wait_time: float | None = None
    flow: str = "push"
    fifo_max: float | None = None
    waste: tuple[str, ...] = ()
    notes: str = ""
    x: float | None = None
    y: float | None = None

    @property
    def icon(self) -> str:
        """``"inventory"`` when units are counted, else ``"wait"``."""
        return "inventory" if self.quantity is not None else "wait"


@dataclass(frozen=True, slots=True)
class Shipment:
    """A truck (or other delivery) in from the supplier or out to the customer."""

    kind: ClassVar[str] = "shipment"
    id: str
    direction: str = "out"
    frequency: str = ""
    mode: str = "truck"
    notes: str = ""


@dataclass(frozen=True, slots=True)
class InfoFlow:
    """An information arrow, manual or electronic, between two map elements."""

    kind: ClassVar[str] = "flow"
    id: str
    source: str
    target: str
    medium: str = "manual"
    label: str = ""


@dataclass(frozen=True, slots=True)
class Burst:
    """A kaizen burst: an improvement idea on a step, a gap, or the whole map."""

    kind: ClassVar[str] = "burst"
    id: str
    text: str
    target: str | None = None
    owner: str = ""
    due: str = ""
    status: str = "idea"
    x: float | None = None
    y: float | None = None


StreamItem = Union[Process, Gap]
Element = Union[Customer, Supplier, Control, Process, Gap, Shipment, InfoFlow, Burst]


@dataclass(frozen=True, slots=True)
class MapState:
    """One immutable version of a whole map. Edits make new states; history keeps old."""

    title: str = "Value stream"
    scope: str = ""
    state: str = "current"
    day_basis: str = "working"
    customer: Customer = field(default_factory=Customer)
    supplier: Supplier | None = None
    control: Control | None = None
    stream: tuple[StreamItem, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    flows: tuple[InfoFlow, ...] = ()
    bursts: tuple[Burst, ...] = ()

    @property
    def steps(self) -> tuple[Process, ...]:
        """The process boxes, in stream order."""
        return tuple(item for item in self.stream if isinstance(item, Process))

    @property
    def gaps(self) -> tuple[Gap, ...]:
        """The gaps, in stream order."""
        return tuple(item for item in self.stream if isinstance(item, Gap))

    @property
    def available_time(self) -> float | None:
        """Available time per working day in seconds: shifts x (shift length - breaks)."""
        customer = self.customer
        if customer.shift_length is None:
            return None
        return customer.shifts * (customer.shift_length - customer.breaks)

    @property
    def day_length(self) -> float:
        """Seconds in one lead-time day.

        A working day is the available time per day (eight hours where the map has no
        calendar); on a calendar-day map it is 24 hours.
        """
        if self.day_basis == "calendar":
            return units.SECONDS_PER_CALENDAR_DAY
        return self.available_time or DEFAULT_WORKING_DAY

    @property
    def daily_demand(self) -> float | None:
        """Units per working day: demand per period / working days in that period."""
        customer = self.customer
        if customer.demand is None:
            return None
        days = customer.working_days
        if days is None:
            days = 1.0 if customer.period == "day" else None
        if not days:
            return None
        return customer.demand / days

    def ids(self) -> set[str]:
        """Every id in use, fixed ones included."""
        found = {"map", "customer"}
        if self.supplier is not None:
            found.add("supplier")
        if self.control is not None:
            found.add("control")
        for group in (self.stream, self.shipments, self.flows, self.bursts):
            found.update(item.id for item in group)
        return found


@dataclass(frozen=True, slots=True)
class Change:
    """What one committed edit did, as told to observers.

    ``op`` is ``add``, ``update``, ``remove``, ``reorder``, ``move``, ``replace``,
    ``undo`` or ``redo``; ``ids`` the elements touched; ``fields`` the fields set.
    ``layout_only`` is true when only canvas positions changed, so metrics and
    charts need no recompute.
    """

    op: str
    ids: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    layout_only: bool = False
    label: str = ""


Observer = Callable[[Change], None]

# --------------------------------------------------------------------------- parsers

# A parser turns what a user typed into the stored value, or raises units.UnitError
# (a ValueError) whose message is the reason. It gets the map state for the calendar.
Parser = Callable[[Any, MapState], Any]


def _optional(parser: Parser) -> Parser:
    def parse(value: Any, state: MapState) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "-", "–")):
            return None
        if isinstance(value, float) and math.isnan(value):
            return None
        return parser(value, state)

    parse.optional = True  # type: ignore[attr-defined]
    return parse


def _duration(value: Any, state: MapState) -> float:
    seconds = units.parse_duration(value, day=state.day_length)
    if seconds > MAX_DURATION:
        raise units.UnitError(f"{value!r} is longer than ten years; check the unit")
    return seconds


def _ratio(value: Any, state: MapState) -> float:
    return units.parse_ratio(value)


def _bounded(low: float, high: float, *, integer: bool = False, above: bool = False) -> Parser:
    def parse(value: Any, state: MapState) -> float | int:
        number = units.parse_number(value, integer=integer)
        if number < low or (above and number == low):
            relation = "more than" if above else "at least"
            raise units.UnitError(f"{value!r} is too small; it must be {relation} {low:g}")
        if number > high:
            raise units.UnitError(f"{value!r} is too large; it must be at most {high:g}")
        return int(number) if integer else number

    return parse


def _text(limit: int, *, required: bool = False) -> Parser:
    def parse(value: Any, state: MapState) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise units.UnitError(f"{value!r} is not text")
        text = value.strip() if required else value
        if required and not text:
            raise units.UnitError("it must not be empty")
        if len(text) > limit:
            raise units.UnitError(f"it is {len(text)} characters long; at most {limit} are allowed")
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
            raise units.UnitError("it contains control characters")
        return text

    return parse


def _choice(options: Iterable[str], aliases: Mapping[str, str] | None = None) -> Parser:
    options = tuple(options)
    table = dict(aliases or {o: o for o in options})

    def parse(value: Any, state: MapState) -> str:
        key = value.strip().lower() if isinstance(value, str) else value
        if isinstance(key, str) and key in table:
            return table[key]
        raise units.UnitError(f"{value!r} is not one of {', '.join(options)}")

    return parse


def _waste(value: Any, state: MapState) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = [part for part in re.split(r"[,;]", value) if part.strip()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    else:
        raise units.UnitError(f"{value!r} is not a list of waste types")
    found: list[str] = []
    for item in items:
        key = item.strip().lower() if isinstance(item, str) else item
        if not isinstance(key, str) or key not in _WASTE_ALIASES:
            raise units.UnitError(f"{item!r} is not a waste type; use {', '.join(WASTE_TYPES)}")
        if _WASTE_ALIASES[key] not in found:
            found.append(_WASTE_ALIASES[key])
    return tuple(sorted(found, key=WASTE_TYPES.index))


def _coordinate(value: Any, state: MapState) -> float:
    number = units.parse_number(value)
    if abs(number) > MAX_COORDINATE:
        raise units.UnitError(f"{value!r} is off the canvas; use -1e6 to 1e6")
    return number


def _variants(value: Any, state: MapState) -> tuple[tuple[str, float], ...]:
    if value is None:
        return ()
    if isinstance(value, Mapping):
        pairs = list(value.items())
    elif isinstance(value, (list, tuple)):
        pairs = [tuple(pair) for pair in value]
        if any(len(pair) != 2 for pair in pairs):
            raise units.UnitError("give variants as {name: quantity} or [(name, quantity), ...]")
    else:
        raise units.UnitError(f"{value!r} is not a mapping of variant to quantity")
    parsed: list[tuple[str, float]] = []
    for name, quantity in pairs:
        if not isinstance(name, str) or not name.strip():
            raise units.UnitError(f"variant name {name!r} must be non-empty text")
        number = _QUANTITY(quantity, state)
        if name in dict(parsed):
            raise units.UnitError(f"variant {name!r} is given twice")
        parsed.append((name, number))
    return tuple(parsed)


_QUANTITY = _bounded(0, MAX_QUANTITY)
_NAME = _text(MAX_NAME_LENGTH, required=True)
_LABEL = _text(MAX_NAME_LENGTH)
_NOTES = _text(MAX_TEXT_LENGTH)
_X = _optional(_coordinate)

_FIELDS: dict[str, dict[str, Parser]] = {
    "map": {
        "title": _NAME,
        "scope": _NOTES,
        "state": _choice(MAP_STATES),
        "day_basis": _choice(DAY_BASES),
    },
    "customer": {
        "name": _NAME,
        "demand": _optional(_bounded(0, MAX_QUANTITY)),
        "period": _choice(PERIODS),
        "working_days": _optional(_bounded(0, 366, above=True)),
        "shifts": _bounded(1, 24, integer=True),
        "shift_length": _optional(_duration),
        "breaks": _duration,
        "x": _X,
        "y": _X,
    },
    "supplier": {"name": _NAME, "supplies": _LABEL, "frequency": _LABEL, "x": _X, "y": _X},
    "control": {"name": _NAME, "notes": _NOTES, "x": _X, "y": _X},
    "process": {
        "name": _NAME,
        "cycle_time": _optional(_duration),
        "process_time": _optional(_duration),
        "lead_time": _optional(_duration),
        "changeover": _optional(_duration),
        "uptime": _optional(_ratio),
        "operators": _optional(_bounded(0, 100_000)),
        "shifts": _optional(_bounded(1, 24, integer=True)),
        "batch_size": _optional(_bounded(0, MAX_QUANTITY, above=True)),
        "parallel": _bounded(1, 10_000, integer=True),
        "complete_accurate": _optional(_ratio),
        "value_class": _optional(_choice(VALUE_CLASSES, _VALUE_CLASS_ALIASES)),
        "waste": _waste,
        "notes": _NOTES,
        "x": _X,
        "y": _X,
    },
    "gap": {
        "quantity": _optional(_QUANTITY),
        "variants": _variants,
        "wait_time": _optional(_duration),
        "flow": _choice(FLOW_KINDS),
        "fifo_max": _optional(_bounded(0, MAX_QUANTITY, integer=True, above=True)),
        "waste": _waste,
        "notes": _NOTES,
        "x": _X,
        "y": _X,
    },
    "shipment": {
        "direction": _choice(("in", "out")),
        "frequency": _LABEL,
        "mode": _LABEL,
        "notes": _NOTES,
    },
    "flow": {
        "source": _text(64, required=True),
        "target": _text(64, required=True),
        "medium": _choice(INFO_KINDS),
        "label": _LABEL,
    },
    "burst": {
        "text": _text(MAX_TEXT_LENGTH, required=True),
        "target": _optional(_text(64, required=True)),
        "owner": _LABEL,
        "due": _LABEL,
        "status": _choice(BURST_STATUSES),
        "x": _X,
        "y": _X,
    },
}

_LAYOUT_FIELDS = frozenset({"x", "y"})
#: Fields that are set through another name (the customer's available time per day).
_CUSTOMER_SHORTHANDS = ("available_time",)


def editable_fields(kind: str) -> tuple[str, ...]:
    """The fields a user may set on an element of ``kind`` (``"process"``, ``"gap"``...)."""
    return tuple(_FIELDS[kind])


def parse_field(kind: str, name: str, value: Any, state: MapState | None = None) -> Any:
    """Validate one value for one field of an element kind and return the stored value.

    Raises :class:`ValidationError` naming the field and the reason.
    """
    fields = _FIELDS[kind]
    if name not in fields:
        raise ValidationError(name, value, _unknown_field_reason(name, tuple(fields)))
    try:
        return fields[name](value, state or MapState())
    except (units.UnitError, ValueError, TypeError) as error:
        raise ValidationError(name, value, str(error)) from None


def _unknown_field_reason(name: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown field; {hint}allowed: {', '.join(allowed)}"


# --------------------------------------------------------------------------- the map


class ValueStreamMap:
    """A value stream map: customer, calendar, steps and gaps, flows and kaizen bursts.

    >>> m = ValueStreamMap("Steering brackets", demand=18400, period="month",
    ...                    working_days=20, available_time="2 x 27600 s")
    >>> m.add_process("Stamping", cycle_time="1 s", changeover="1 h", uptime="85%").id
    'p1'

    Every edit is validated (a :class:`ValidationError` names the field and leaves the
    map unchanged), recorded for :meth:`undo` and :meth:`redo`, and told to observers.
    """

    def __init__(
        self,
        title: str = "Value stream",
        *,
        demand: float | str | None = None,
        period: str = "day",
        working_days: float | str | None = None,
        available_time: float | str | None = None,
        shifts: int | None = None,
        shift_length: float | str | None = None,
        breaks: float | str | None = None,
        customer: str = "Customer",
        scope: str = "",
        day_basis: str = "working",
        state: str = "current",
    ) -> None:
        self._state = MapState()
        self._undo: list[tuple[MapState, Change]] = []
        self._redo: list[tuple[MapState, Change]] = []
        self._observers: list[Observer] = []
        self._batch: list[Change] | None = None
        self._counters: dict[str, int] = {}
        self._metrics_cache: tuple[MapState, Metrics] | None = None
        base = self._apply_fields(
            self._state, "map", "map", {"title": title, "scope": scope, "day_basis": day_basis, "state": state}
        )
        customer_fields: dict[str, Any] = {"name": customer, "period": period}
        for key, value in (
            ("demand", demand),
            ("working_days", working_days),
            ("available_time", available_time),
            ("shifts", shifts),
            ("shift_length", shift_length),
            ("breaks", breaks),
        ):
            if value is not None:
                customer_fields[key] = value
        self._state = self._apply_fields(base, "customer", "customer", customer_fields)

    # ----------------------------------------------------------------- reading

    @property
    def state(self) -> MapState:
        """The current immutable state (safe to keep: later edits make new states)."""
        return self._state

    @property
    def title(self) -> str:
        """The map's title: the product or product family it follows."""
        return self._state.title

    @title.setter
    def title(self, value: str) -> None:
        self.update("map", title=value)

    @property
    def scope(self) -> str:
        """What part of the stream the map covers, and the problems it addresses."""
        return self._state.scope

    @scope.setter
    def scope(self, value: str) -> None:
        self.update("map", scope=value)

    @property
    def customer(self) -> Customer:
        """The customer and the working calendar."""
        return self._state.customer

    @property
    def supplier(self) -> Supplier | None:
        """The supplier, if the map has one."""
        return self._state.supplier

    @property
    def control(self) -> Control | None:
        """Production control, if the map has it."""
        return self._state.control

    @property
    def stream(self) -> tuple[StreamItem, ...]:
        """Steps and gaps in order, from upstream to the customer."""
        return self._state.stream

    @property
    def steps(self) -> tuple[Process, ...]:
        """The process boxes in stream order."""
        return self._state.steps

    @property
    def gaps(self) -> tuple[Gap, ...]:
        """The gaps (inventories, waits, FIFO lanes) in stream order."""
        return self._state.gaps

    @property
    def shipments(self) -> tuple[Shipment, ...]:
        """Deliveries in and out."""
        return self._state.shipments

    @property
    def flows(self) -> tuple[InfoFlow, ...]:
        """Information flows."""
        return self._state.flows

    @property
    def bursts(self) -> tuple[Burst, ...]:
        """Kaizen bursts."""
        return self._state.bursts

    @property
    def available_time(self) -> float | None:
        """Available time per working day in seconds, or ``None`` without a calendar."""
        return self._state.available_time

    @property
    def day_length(self) -> float:
        """Seconds in one lead-time day (a working day unless the map uses calendar days)."""
        return self._state.day_length

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[StreamItem]:
        return iter(self._state.stream)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValueStreamMap):
            return NotImplemented
        return self._state == other._state

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        steps = len(self.steps)
        gaps = len(self.gaps)
        return f"<ValueStreamMap {self.title!r}: {steps} step{'s' * (steps != 1)}, {gaps} gap{'s' * (gaps != 1)}>"

    def get(self, target: str) -> Element:
        """The element with this id, or the step with this name."""
        return self._find(self._state, target)[1]

    def __getitem__(self, target: str) -> Element:
        return self.get(target)

    def __contains__(self, target: object) -> bool:
        if not isinstance(target, str):
            return False
        try:
            self.get(target)
        except KeyError:
            return False
        return True

    def metrics(self) -> Metrics:
        """Every metric of the map (see :mod:`vsm_widget.metrics`), cached per state."""
        from .metrics import compute

        cached = self._metrics_cache
        if cached is not None and cached[0] is self._state:
            return cached[1]
        result = compute(self._state)
        self._metrics_cache = (self._state, result)
        return result

    # ----------------------------------------------------------------- adding

    def add_process(self, name: str, *, at: int | str | None = None, id: str | None = None, **fields: Any) -> Process:
        """Add a process box; ``at`` is a stream index or the id/name to insert before.

        Fields: cycle_time, process_time, lead_time, changeover (durations such as
        ``"45 s"``), uptime, complete_accurate (``"85%"``), operators, shifts,
        batch_size, parallel, value_class, waste, notes, x, y.
        """
        item = Process(id=self._new_id(id, "p"), name="?")
        item = self._fill(item, "process", {"name": name, **fields})
        self._insert(item, at)
        return item

    def add_inventory(
        self,
        quantity: float | str | Mapping[str, float],
        *,
        at: int | str | None = None,
        id: str | None = None,
        **fields: Any,
    ) -> Gap:
        """Add an inventory triangle of ``quantity`` units (or ``{variant: units}``).

        Without ``at`` it goes after the last step. Fields: wait_time, flow
        (push/pull/fifo), fifo_max, waste, notes, x, y.
        """
        if isinstance(quantity, Mapping):
            fields = {"variants": quantity, **fields}
        else:
            fields = {"quantity": quantity, **fields}
        return self._add_gap(fields, at, id)

    def add_wait(self, wait_time: float | str, *, at: int | str | None = None, id: str | None = None, **fields: Any) -> Gap:
        """Add a gap given as a wait time (``"3 d"``), such as a queue in an office map."""
        return self._add_gap({"wait_time": wait_time, **fields}, at, id)

    def add_gap(self, *, at: int | str | None = None, id: str | None = None, **fields: Any) -> Gap:
        """Add a gap with any gap fields (quantity, variants, wait_time, flow, ...)."""
        return self._add_gap(fields, at, id)

    def _add_gap(self, fields: dict[str, Any], at: int | str | None, id: str | None) -> Gap:
        item = self._fill(Gap(id=self._new_id(id, "g")), "gap", fields)
        self._insert(item, at)
        return item

    def set_supplier(self, name: str = "Supplier", **fields: Any) -> Supplier:
        """Put a supplier on the map (or replace its data): name, supplies, frequency."""
        supplier = self._fill(Supplier(), "supplier", {"name": name, **fields})
        self._commit(dataclasses.replace(self._state, supplier=supplier), Change("add", ("supplier",), tuple(fields)))
        return supplier

    def set_control(self, name: str = "Production control", **fields: Any) -> Control:
        """Put a production control box on the map (or replace it)."""
        control = self._fill(Control(), "control", {"name": name, **fields})
        self._commit(dataclasses.replace(self._state, control=control), Change("add", ("control",), tuple(fields)))
        return control

    def add_shipment(self, direction: str = "out", *, id: str | None = None, **fields: Any) -> Shipment:
        """Add a shipment: ``"in"`` from the supplier or ``"out"`` to the customer."""
        item = self._fill(Shipment(id=self._new_id(id, "s")), "shipment", {"direction": direction, **fields})
        self._commit(
            dataclasses.replace(self._state, shipments=self._state.shipments + (item,)),
            Change("add", (item.id,)),
        )
        return item

    def add_flow(
        self, source: str, target: str, *, medium: str = "manual", id: str | None = None, **fields: Any
    ) -> InfoFlow:
        """Add an information flow between two elements (ids or step names).

        ``medium`` is ``"manual"`` (straight arrow) or ``"electronic"`` (lightning).
        """
        item = self._fill(
            InfoFlow(id=self._new_id(id, "f"), source="?", target="?"),
            "flow",
            {"source": source, "target": target, "medium": medium, **fields},
        )
        item = dataclasses.replace(
            item, source=self._resolve(item.source, "source"), target=self._resolve(item.target, "target")
        )
        self._commit(dataclasses.replace(self._state, flows=self._state.flows + (item,)), Change("add", (item.id,)))
        return item

    def add_burst(self, text: str, *, target: str | None = None, id: str | None = None, **fields: Any) -> Burst:
        """Add a kaizen burst on a step or gap (id or step name), or on the whole map."""
        item = self._fill(Burst(id=self._new_id(id, "k"), text="?"), "burst", {"text": text, "target": target, **fields})
        if item.target is not None:
            item = dataclasses.replace(item, target=self._resolve(item.target, "target"))
        self._commit(dataclasses.replace(self._state, bursts=self._state.bursts + (item,)), Change("add", (item.id,)))
        return item

    # ----------------------------------------------------------------- editing

    def update(self, target: str, **fields: Any) -> Element | MapState:
        """Change fields of an element, found by id or (for steps) by name.

        ``target`` may also be ``"map"`` (title, scope, state, day_basis) or
        ``"customer"`` (demand, period, working_days, shifts, shift_length, breaks,
        and the shorthand available_time such as ``"2 x 27600 s"``).
        """
        if not fields:
            raise ValidationError("fields", None, "give at least one field to change", target)
        state = self._state
        kind, element = self._find(state, target)
        new_state = self._apply_fields(state, kind, getattr(element, "id", target), fields)
        element_id = "map" if kind == "map" else element.id
        layout = set(fields) <= _LAYOUT_FIELDS
        self._commit(new_state, Change("update", (element_id,), tuple(fields), layout_only=layout))
        return self._state if kind == "map" else self.get(element_id)

    def move(self, target: str, x: float, y: float) -> None:
        """Place an element on the canvas at ``(x, y)``; metrics are unaffected."""
        self.update(target, x=x, y=y)

    def reorder(self, target: str, index: int) -> None:
        """Move a step or gap to position ``index`` of the stream (negative counts from the end)."""
        state = self._state
        kind, element = self._find(state, target)
        if kind not in ("process", "gap"):
            raise ValidationError("index", index, f"only steps and gaps can be reordered, not the {kind}", target)
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValidationError("index", index, "give a whole number position in the stream", target)
        stream = [item for item in state.stream if item.id != element.id]
        size = len(state.stream)
        if not -size <= index < size:
            raise ValidationError("index", index, f"the stream has positions 0 to {size - 1}", target)
        stream.insert(index % size, element)
        self._commit(self._checked(dataclasses.replace(state, stream=tuple(stream))), Change("reorder", (element.id,)))

    def remove(self, target: str) -> None:
        """Remove an element. Flows to or from it go too; bursts on it move to the map.

        Removing a step that stands between two gaps also removes the gap before it,
        since two gaps side by side would be one gap. Undo brings all of it back.
        """
        state = self._state
        kind, element = self._find(state, target)
        if kind in ("map", "customer"):
            raise ValidationError("target", target, f"the {kind} cannot be removed", target)
        removed = [element.id]
        if kind == "supplier":
            new = dataclasses.replace(state, supplier=None)
        elif kind == "control":
            new = dataclasses.replace(state, control=None)
        elif kind in ("process", "gap"):
            stream = list(state.stream)
            index = stream.index(element)
            del stream[index]
            if 0 < index < len(stream) and isinstance(stream[index - 1], Gap) and isinstance(stream[index], Gap):
                removed.append(stream.pop(index - 1).id)
            new = dataclasses.replace(state, stream=tuple(stream))
        elif kind == "shipment":
            new = dataclasses.replace(state, shipments=tuple(s for s in state.shipments if s.id != element.id))
        elif kind == "flow":
            new = dataclasses.replace(state, flows=tuple(f for f in state.flows if f.id != element.id))
        else:
            new = dataclasses.replace(state, bursts=tuple(b for b in state.bursts if b.id != element.id))
        gone = set(removed)
        flows = tuple(f for f in new.flows if f.source not in gone and f.target not in gone)
        removed.extend(f.id for f in new.flows if f not in flows)
        bursts = tuple(dataclasses.replace(b, target=None) if b.target in gone else b for b in new.bursts)
        new = dataclasses.replace(new, flows=flows, bursts=bursts)
        self._commit(new, Change("remove", tuple(removed)))

    def replace_state(self, state: MapState, *, label: str = "replace") -> None:
        """Swap in a whole new state (validated), as one undoable edit."""
        self._commit(self._checked(state), Change("replace", label=label))

    @contextmanager
    def batch(self, label: str = "batch") -> Iterator[ValueStreamMap]:
        """Group edits into one undo step and one change notice.

        If anything inside raises, every edit of the batch is rolled back.
        """
        if self._batch is not None:
            yield self
            return
        before = self._state
        self._batch = []
        try:
            yield self
        except BaseException:
            self._state = before
            self._batch = None
            raise
        changes, self._batch = self._batch, None
        if self._state is before:
            return
        ids = tuple(dict.fromkeys(i for c in changes for i in c.ids))
        fields = tuple(dict.fromkeys(f for c in changes for f in c.fields))
        layout = all(c.layout_only for c in changes)
        change = Change("batch", ids, fields, layout_only=layout, label=label)
        self._undo.append((before, change))
        self._redo.clear()
        self._notify(change)

    # ----------------------------------------------------------------- history

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self._redo)

    def undo(self) -> Change | None:
        """Undo the last edit; returns what was undone, or ``None`` if nothing was."""
        if not self._undo:
            return None
        before, change = self._undo.pop()
        self._redo.append((self._state, change))
        self._state = before
        notice = dataclasses.replace(change, op="undo", label=change.op)
        self._notify(notice)
        return change

    def redo(self) -> Change | None:
        """Redo the last undone edit; returns it, or ``None`` if nothing was undone."""
        if not self._redo:
            return None
        after, change = self._redo.pop()
        self._undo.append((self._state, change))
        self._state = after
        self._notify(dataclasses.replace(change, op="redo", label=change.op))
        return change

    def clear_history(self) -> None:
        """Forget undo and redo history (the map itself is unchanged)."""
        self._undo.clear()
        self._redo.clear()

    # ----------------------------------------------------------------- observers

    def observe(self, callback: Observer) -> Callable[[], None]:
        """Call ``callback(change)`` after every committed edit, undo and redo.

        Returns a function that stops the calls.
        """
        self._observers.append(callback)
        return lambda: self.unobserve(callback)

    def unobserve(self, callback: Observer) -> None:
        """Stop calling ``callback``; unknown callbacks are ignored."""
        if callback in self._observers:
            self._observers.remove(callback)

    # ----------------------------------------------------------------- copies, files and frames

    def copy(self, *, title: str | None = None, state: str | None = None) -> ValueStreamMap:
        """An independent copy with the same elements and ids, and no history."""
        other = ValueStreamMap.__new__(ValueStreamMap)
        other.__init_empty()
        other._state = self._state
        other._counters = dict(self._counters)
        changes = {k: v for k, v in (("title", title), ("state", state)) if v is not None}
        if changes:
            other._state = other._apply_fields(other._state, "map", "map", changes)
        return other

    def future(self, title: str | None = None) -> ValueStreamMap:
        """A future-state copy to edit: same stream and ids, marked ``state="future"``."""
        return self.copy(title=title or f"{self.title} (future state)", state="future")

    def __init_empty(self) -> None:
        self._state = MapState()
        self._undo = []
        self._redo = []
        self._observers = []
        self._batch = None
        self._counters: dict[str, int] = {}
        self._metrics_cache = None

    @classmethod
    def from_state(cls, state: MapState) -> ValueStreamMap:
        """A map holding ``state`` (validated), with no history."""
        m = cls.__new__(cls)
        m.__init_empty()
        m._state = m._checked(state)
        return m

    def to_dict(self) -> dict[str, Any]:
        """The map as a versioned JSON-ready document (see :mod:`vsm_widget.io`)."""
        from .io import to_document

        return to_document(self._state)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> ValueStreamMap:
        """A map from a document made by :meth:`to_dict` (validated, migrated)."""
        from .io import from_document

        return from_document(document)

    def save(self, path: Any) -> None:
        """Write the map as JSON atomically: a crash never leaves half a file."""
        from .io import save

        save(self, path)

    @classmethod
    def load(cls, path: Any) -> ValueStreamMap:
        """Read a map saved with :meth:`save`; errors name the JSON path at fault."""
        from .io import load

        return load(path)

    def steps_frame(self) -> pd.DataFrame:
        """One row per step, with the gap before it and derived figures (pandas)."""
        from .io import steps_frame

        return steps_frame(self)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, title: str = "Value stream", **calendar: Any) -> ValueStreamMap:
        """A map from a frame shaped like :meth:`steps_frame` (extra columns ignored)."""
        from .io import from_frame

        return from_frame(frame, title=title, **calendar)

    @classmethod
    def from_event_log(cls, frame: Any, **options: Any) -> ValueStreamMap:
        """A map drawn from an event log (see :func:`vsm_widget.eventlog.from_event_log`)."""
        from .eventlog import from_event_log

        return from_event_log(frame, **options)

    # ----------------------------------------------------------------- display

    def editor(self, **options: Any) -> Any:
        """The editable canvas for this map, as a Jupyter widget (needs anywidget)."""
        from .widget import MapWidget

        return MapWidget(self, **options)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """Show the editor in a notebook; plain text where widgets are unavailable."""
        try:
            widget = self.editor()
        except ImportError:
            return {"text/plain": repr(self)}
        return widget._repr_mimebundle_(include=include, exclude=exclude)

    # ----------------------------------------------------------------- internals

    def _new_id(self, wanted: str | None, prefix: str) -> str:
        taken = self._state.ids()
        if wanted is not None:
            if not isinstance(wanted, str) or not _ID_PATTERN.match(wanted) or wanted in _RESERVED_IDS:
                raise ValidationError(
                    "id", wanted, "an id starts with a letter and has at most 64 letters, digits or _ . : -"
                )
            if wanted in taken:
                raise ValidationError("id", wanted, "that id is already used on this map")
            return wanted
        while True:
            self._counters[prefix] = self._counters.get(prefix, 0) + 1
            candidate = f"{prefix}{self._counters[prefix]}"
            if candidate not in taken:
                return candidate

    def _find(self, state: MapState, target: str) -> tuple[str, Any]:
        if not isinstance(target, str):
            raise KeyError(f"{target!r}: give an element's id or a step's name")
        if target == "map":
            return "map", state
        if target == "customer":
            return "customer", state.customer
        if target == "supplier" and state.supplier is not None:
            return "supplier", state.supplier
        if target == "control" and state.control is not None:
            return "control", state.control
        for group in (state.stream, state.shipments, state.flows, state.bursts):
            for item in group:
                if item.id == target:
                    return item.kind, item
        for item in state.stream:
            if isinstance(item, Process) and item.name == target:
                return "process", item
        names = [s.name for s in state.steps] + [i.id for i in state.stream]
        close = difflib.get_close_matches(target, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"no step, gap or element {target!r} on this map{hint}")

    def _resolve(self, target: str, field_name: str) -> str:
        try:
            kind, element = self._find(self._state, target)
        except KeyError as error:
            raise ValidationError(field_name, target, str(error.args[0])) from None
        if kind == "map":
            raise ValidationError(field_name, target, "name an element of the map, not the map")
        return element.id

    def _fill(self, element: Any, kind: str, fields: Mapping[str, Any]) -> Any:
        values = {name: parse_field(kind, name, value, self._state) for name, value in fields.items()}
        if kind == "gap":
            values = _settle_variants(element, values)
        return dataclasses.replace(element, **values)

    def _apply_fields(self, state: MapState, kind: str, target: str, fields: Mapping[str, Any]) -> MapState:
        """Validate ``fields`` for ``target`` and return the new state (not committed)."""
        if kind == "customer":
            fields = dict(fields)
            if "available_time" in fields:
                raw = fields.pop("available_time")
                try:
                    if raw is None:
                        shifts, length = 1, None
                    else:
                        shifts, length = units.parse_shifts(raw)
                except units.UnitError as error:
                    raise ValidationError("available_time", raw, str(error), target) from None
                fields.setdefault("shifts", shifts)
                fields["shift_length"] = length
                fields.setdefault("breaks", 0)
        try:
            values = {name: parse_field(kind, name, value, state) for name, value in fields.items()}
        except ValidationError as error:
            error.target = target
            error.args = (f"{target}: {error.field}: {error.reason}",)
            raise
        if kind == "map":
            new = dataclasses.replace(state, **values)
        elif kind == "customer":
            new = dataclasses.replace(state, customer=dataclasses.replace(state.customer, **values))
        elif kind == "supplier":
            new = dataclasses.replace(state, supplier=dataclasses.replace(state.supplier, **values))
        elif kind == "control":
            new = dataclasses.replace(state, control=dataclasses.replace(state.control, **values))
        else:
            new = self._replace_item(state, kind, target, values)
        return self._checked(new, target)

    def _replace_item(self, state: MapState, kind: str, target: str, values: dict[str, Any]) -> MapState:
        if kind in ("flow", "burst"):
            for key in ("source", "target"):
                if values.get(key) is not None:
                    values[key] = self._resolve(values[key], key)
        group_name = {"process": "stream", "gap": "stream", "shipment": "shipments", "flow": "flows", "burst": "bursts"}[kind]
        group = getattr(state, group_name)
        items = list(group)
        for index, item in enumerate(items):
            if item.id == target:
                if kind == "gap":
                    values = _settle_variants(item, values)
                items[index] = dataclasses.replace(item, **values)
                break
        return dataclasses.replace(state, **{group_name: tuple(items)})

    def _insert(self, item: StreamItem, at: int | str | None) -> None:
        state = self._state
        stream = list(state.stream)
        if at is None:
            index = len(stream)
        elif isinstance(at, str):
            index = stream.index(self._find(state, at)[1]) if at in self else -1
            if index < 0 or self._find(state, at)[0] not in ("process", "gap"):
                raise ValidationError("at", at, "name a step or gap to insert before", item.id)
        elif isinstance(at, int) and not isinstance(at, bool):
            if not -len(stream) - 1 <= at <= len(stream):
                raise ValidationError("at", at, f"the stream has positions 0 to {len(stream)}", item.id)
            index = at if at >= 0 else len(stream) + 1 + at
        else:
            raise ValidationError("at", at, "give a stream position or the id of a step or gap", item.id)
        stream.insert(index, item)
        self._commit(self._checked(dataclasses.replace(state, stream=tuple(stream)), item.id), Change("add", (item.id,)))

    def _checked(self, state: MapState, target: str | None = None) -> MapState:
        """Whole-map rules that no single field can check."""
        customer = state.customer
        if customer.shift_length is not None:
            if customer.breaks >= customer.shift_length and customer.shift_length > 0:
                raise ValidationError("breaks", customer.breaks, "breaks must be shorter than the shift", "customer")
            if customer.shifts * customer.shift_length > units.SECONDS_PER_CALENDAR_DAY + 1e-9:
                raise ValidationError(
                    "shift_length",
                    customer.shift_length,
                    f"{customer.shifts} shifts of this length exceed 24 hours a day",
                    "customer",
                )
        if customer.working_days is not None and customer.working_days > PERIODS[customer.period]:
            raise ValidationError(
                "working_days",
                customer.working_days,
                f"a {customer.period} has at most {PERIODS[customer.period]} days",
                "customer",
            )
        names: set[str] = set()
        seen: set[str] = set()
        previous_gap: Gap | None = None
        for item in state.stream:
            if item.id in seen:
                raise ValidationError("id", item.id, "that id is used twice", item.id)
            seen.add(item.id)
            if isinstance(item, Process):
                if item.name in names:
                    raise ValidationError("name", item.name, "another step already has this name", item.id)
                names.add(item.name)
                previous_gap = None
            else:
                if previous_gap is not None:
                    raise ValidationError(
                        "stream",
                        item.id,
                        f"two gaps ({previous_gap.id}, {item.id}) would stand side by side; "
                        "update the gap that is there instead",
                        target or item.id,
                    )
                previous_gap = item
        return state

    def _commit(self, state: MapState, change: Change) -> None:
        if self._batch is not None:
            self._state = state
            self._batch.append(change)
            return
        self._undo.append((self._state, change))
        self._redo.clear()
        self._state = state
        self._notify(change)

    def _notify(self, change: Change) -> None:
        errors: list[BaseException] = []
        for callback in tuple(self._observers):
            try:
                callback(change)
            except Exception as error:  # noqa: BLE001 - re-raised below, after all observers ran
                errors.append(error)
        if errors:
            raise errors[0]


def _settle_variants(gap: Gap, values: dict[str, Any]) -> dict[str, Any]:
    """Keep a gap's quantity equal to the sum of its variants."""
    variants = values.get("variants", gap.variants if "quantity" not in values else ())
    if variants:
        total = math.fsum(q for _, q in variants)
        if "quantity" in values and values["quantity"] is not None and not math.isclose(values["quantity"], total):
            raise ValidationError(
                "quantity",
                values["quantity"],
                f"it differs from the sum of the variants ({units.format_number(total)})",
                gap.id,
            )
        values = {**values, "variants": variants, "quantity": total}
    return values


#: Literal type of element kinds, for type checkers.
ElementKind = Literal["map", "customer", "supplier", "control", "process", "gap", "shipment", "flow", "burst"]
