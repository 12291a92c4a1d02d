"""The value stream map: its elements, every edit, validation, history and observers.

The map is the single source of truth. Its state is an immutable :class:`MapState`;
every edit builds a new state, validates it as a whole and only then commits it, so a
rejected edit leaves the map exactly as it was. Undo and redo swap whole states, which
makes them exact and cheap (states share their unchanged elements).

This module is pure Python: no Jupyter, no widgets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from . import display, units
from . import distributions as dists
from .errors import ValidationError
from .fields import (
    FLOW_KINDS,
    ID_PATTERN,
    KINDS,
    MAIN,
    MAX_COORDINATE,
    MAX_DURATION,
    MAX_NAME_LENGTH,
    MAX_QUANTITY,
    MAX_VARIANTS,
    PERIODS,
    RESERVED_IDS,
    SPREAD_FIELDS,
    TYPED_UNITS,
    VALUE_CLASSES,
    VARYING_KINDS,
    WASTE_ALIASES,
    WASTE_TYPES,
    Branch,
    Burst,
    Control,
    Customer,
    Element,
    Field,
    Gap,
    InfoFlow,
    MapState,
    Process,
    Rework,
    Shipment,
    Spread,
    StreamItem,
    Supplier,
    declared,
)
from .flow import downstream, flow_edges, step_order, successors

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .metrics import Metrics
    from .workshop import Workshop

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
    "Branch",
    "Rework",
    "MAIN",
    "Spread",
    "MapState",
    "Change",
    "Map",
    "BranchBuilder",
    "map_from_state",
    "new_map",
    "register_map_class",
    "validate_state",
    "parse_field",
    "editable_fields",
]


_ID_PATTERN = re.compile(ID_PATTERN)
_RESERVED_IDS = RESERVED_IDS


@dataclass(frozen=True, slots=True)
class Change:
    """What one committed edit did, as told to observers.

    ``op`` is ``add``, ``update``, ``remove``, ``reorder``, ``move``, ``replace``,
    ``undo``, ``redo`` or ``revert`` (a failed :meth:`Map.all_or_nothing`);
    ``ids`` the elements touched; ``fields`` the fields set.
    ``layout_only`` is true when only canvas positions changed, so metrics and
    charts need no recompute. ``author`` is who made it, where a front end said so
    (:meth:`Map.authored`; a key, never shown); edits made in Python have none.
    """

    op: str
    ids: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    layout_only: bool = False
    label: str = ""
    author: str | None = None


Observer = Callable[[Change], None]

# --------------------------------------------------------------------------- parsers

# A parser turns what a user typed into the stored value, or raises units.UnitError
# (a ValueError) whose message is the reason. It gets the map state for the calendar.
Parser = Callable[[Any, MapState], Any]


# A parser may carry ``accepts``: a quick test that a value is already what the parser
# would store. validate_state uses it to check a whole loaded map without re-parsing.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Everything text may not hold, in one pattern for the quick checks of stored values.
_BAD_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def _text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored (control characters, or characters no file can
    hold), or None.
    """
    if _BAD_TEXT.search(text) is None:
        return None
    if _CONTROL_CHARACTERS.search(text):
        return "it contains control characters"
    return units._unwritable(text)


_CLEARING_TEXTS = ("", "none", "-", "–")
# How error messages show a shift or break length (by the one display rule; never in days).
_SHOWN = display.Display()


def _accepting(parser: Parser, accepts: Callable[[Any], bool]) -> Parser:
    parser.accepts = accepts  # type: ignore[attr-defined]
    return parser


def _optional(parser: Parser) -> Parser:
    """``parser`` that also takes None (or empty text, "none", "-") to clear the field."""

    def parse(value: Any, state: MapState) -> Any:
        if value is None or (isinstance(value, str) and value.strip().lower() in _CLEARING_TEXTS):
            return None
        if isinstance(value, float) and math.isnan(value):
            # NaN is what a failed computation leaves; a missing value is None.
            raise units.UnitError("NaN is not a value; give None to clear the field")
        return parser(value, state)

    inner = getattr(parser, "accepts", None)
    if inner is not None:
        _accepting(parse, lambda value: value is None or inner(value))
    return parse


def _duration(value: Any, state: MapState) -> float:
    seconds = units.parse_duration(value, day=state.day_length)
    if seconds > MAX_DURATION:
        raise units.UnitError(f"{units._show(value)} is longer than ten years; check the unit")
    return seconds


_accepting(_duration, lambda value: value.__class__ is float and 0.0 <= value <= MAX_DURATION)


def _varying_duration(value: Any, state: MapState) -> float:
    """A step's or a gap's duration: seconds, or a distribution (or its text), whose mean
    the field keeps (:func:`_distributed` records the distribution itself).
    """
    if isinstance(value, dists.Distribution):
        return _distribution(value).mean
    if dists.is_text(value):
        return _distribution_text(value, state).mean
    return _duration(value, state)


_accepting(_varying_duration, _duration.accepts)  # type: ignore[attr-defined]


def _distribution(value: dists.Distribution) -> dists.Distribution:
    """A distribution a field may keep: an empirical one of at most MAX_FIELD_VALUES readings."""
    if isinstance(value, dists.Empirical) and len(value.values) > dists.MAX_FIELD_VALUES:
        raise units.UnitError(
            f"an empirical distribution of {len(value.values):,} readings is too long for a map's field "
            f"(at most {dists.MAX_FIELD_VALUES:,}, so that it fits a spreadsheet cell); "
            "pass it to simulate(durations=...) instead"
        )
    return value


def _distribution_text(text: str, state: MapState) -> dists.Distribution:
    try:
        return dists.parse(text, day=state.day_length)
    except ValidationError as error:
        raise units.UnitError(error.reason) from None


def _positive_duration(value: Any, state: MapState) -> float:
    seconds = _duration(value, state)
    if seconds == 0:
        raise units.UnitError(f"{units._show(value)} is zero; a shift needs some working time")
    return seconds


_accepting(_positive_duration, lambda value: value.__class__ is float and 0.0 < value <= MAX_DURATION)


def _ratio(value: Any, state: MapState) -> float:
    return units.parse_ratio(value)


_accepting(_ratio, lambda value: value.__class__ is float and 0.0 <= value <= 1.0)


def _ratio_below(value: Any, state: MapState) -> float:
    """A share less than 1: a rework loop's, which 100% would make endless."""
    share = units.parse_ratio(value)
    if share >= 1:
        raise units.UnitError(f"{units._show(value)} would send every item back forever; give less than 100%")
    return share


_accepting(_ratio_below, lambda value: value.__class__ is float and 0.0 <= value < 1.0)


def _bounded(low: float, high: float, *, integer: bool = False, above: bool = False) -> Parser:
    """A number from ``low`` (excluded when ``above``) to ``high``; whole if ``integer``."""
    relation = "more than" if above else "at least"

    def parse(value: Any, state: MapState) -> float | int:
        number = units.parse_number(value, integer=integer)
        if number < low or (above and number == low):
            raise units.UnitError(
                f"{units._show(value)} is too small; it must be {relation} {display.format_number(low)}"
            )
        if number > high:
            raise units.UnitError(
                f"{units._show(value)} is too large; it must be at most {display.format_number(high)}"
            )
        return int(number) if integer else number

    kind = int if integer else float
    if above:
        return _accepting(parse, lambda value: value.__class__ is kind and low < value <= high)
    return _accepting(parse, lambda value: value.__class__ is kind and low <= value <= high)


def _text(limit: int, *, required: bool = False) -> Parser:
    """Text of at most ``limit`` characters without control characters (tabs and newlines
    are fine) or characters no file can hold (lone surrogates, U+FFFE, U+FFFF);
    ``required`` text is stripped and must not be empty.
    """

    def parse(value: Any, state: MapState) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise units.UnitError(f"{units._show(value)} is not text")
        text = value.strip() if required else value
        if required and not text:
            raise units.UnitError("it must not be empty")
        if len(text) > limit:
            raise units.UnitError(f"it is {len(text):,} characters long; at most {limit} are allowed")
        problem = _text_problem(text)
        if problem is not None:
            raise units.UnitError(problem)
        return text

    def accepts(value: Any) -> bool:
        if value.__class__ is not str or len(value) > limit or _BAD_TEXT.search(value):
            return False
        return not required or (bool(value) and value == value.strip())

    return _accepting(parse, accepts)


def _choice(options: Iterable[str], aliases: Mapping[str, str] | None = None) -> Parser:
    """One of ``options`` (any case; ``aliases`` maps other spellings to an option)."""
    options = tuple(options)
    table = dict(aliases or {o: o for o in options})
    canonical = frozenset(options)

    def parse(value: Any, state: MapState) -> str:
        key = value.strip().lower() if isinstance(value, str) else value
        if isinstance(key, str) and key in table:
            return table[key]
        raise units.UnitError(f"{units._show(value)} is not one of {', '.join(options)}")

    return _accepting(parse, lambda value: value.__class__ is str and value in canonical)


def _waste(value: Any, state: MapState) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = [part for part in re.split(r"[,;]", value) if part.strip()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    else:
        raise units.UnitError(f"{units._show(value)} is not a list of waste types")
    found: list[str] = []
    for item in items:
        key = item.strip().lower() if isinstance(item, str) else item
        if not isinstance(key, str) or key not in WASTE_ALIASES:
            raise units.UnitError(f"{units._show(item)} is not a waste type; use {', '.join(WASTE_TYPES)}")
        if WASTE_ALIASES[key] not in found:
            found.append(WASTE_ALIASES[key])
    return tuple(sorted(found, key=WASTE_TYPES.index))


def _coordinate(value: Any, state: MapState) -> float:
    number = units.parse_number(value)
    if abs(number) > MAX_COORDINATE:
        raise units.UnitError(f"{units._show(value)} is off the canvas; use -1e6 to 1e6")
    return number


_accepting(_coordinate, lambda value: value.__class__ is float and -MAX_COORDINATE <= value <= MAX_COORDINATE)


def _pairs(value: Any, what: str) -> list[tuple[Any, ...]]:
    """``(key, value)`` pairs from a mapping or a list of pairs; else "... is not ``what``"."""
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, (list, tuple)) and all(
        isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in value
    ):
        return [tuple(pair) for pair in value]
    raise units.UnitError(f"{units._show(value)} is not {what}")


def _variants(value: Any, state: MapState) -> tuple[tuple[str, float], ...]:
    """Variants of a product family as ``((name, quantity), ...)``, from a mapping or pairs.

    At most :data:`MAX_VARIANTS` of them, and their sum (the gap's quantity) at most
    :data:`MAX_QUANTITY`, like any quantity.
    """
    if value is None:
        return ()
    pairs = _pairs(value, "variants; give {name: quantity} or [(name, quantity), ...]")
    if len(pairs) > MAX_VARIANTS:
        raise units.UnitError(f"{len(pairs):,} variants are too many; at most {MAX_VARIANTS} are allowed")
    parsed: dict[str, float] = {}
    for name, quantity in pairs:
        if not isinstance(name, str) or not name.strip():
            raise units.UnitError(f"variant name {units._show(name)} must be non-empty text")
        if len(name) > MAX_NAME_LENGTH or _text_problem(name) is not None:
            raise units.UnitError(
                f"variant name {units._show(name)} must be at most {MAX_NAME_LENGTH} characters, "
                f"without control characters or characters no file can hold"
            )
        if name in parsed:
            raise units.UnitError(f"variant {units._show(name)} is given twice")
        try:
            parsed[name] = _QUANTITY(quantity, state)
        except units.UnitError as error:
            raise units.UnitError(f"variant {units._show(name)}: {error}") from None
    total = math.fsum(parsed.values())
    if total > MAX_QUANTITY:
        raise units.UnitError(
            f"the variants add up to {display.format_number(total)} units; "
            f"a gap holds at most {display.format_number(MAX_QUANTITY)} in all"
        )
    return tuple(parsed.items())


def _variants_stored(value: Any) -> bool:
    if value.__class__ is not tuple or len(value) > MAX_VARIANTS:
        return False
    seen: set[str] = set()
    for pair in value:
        if pair.__class__ is not tuple or len(pair) != 2:
            return False
        name, quantity = pair
        if name.__class__ is not str or name in seen or not name.strip() or len(name) > MAX_NAME_LENGTH:
            return False
        if _BAD_TEXT.search(name):
            return False
        if quantity.__class__ is not float or not 0.0 <= quantity <= MAX_QUANTITY:
            return False
        seen.add(name)
    return math.fsum(q for _, q in value) <= MAX_QUANTITY


_accepting(_variants, _variants_stored)

# Every stored waste value is a subset of WASTE_TYPES in their order: all 256 of them.
_WASTE_TUPLES = frozenset(
    tuple(w for i, w in enumerate(WASTE_TYPES) if mask >> i & 1) for mask in range(2 ** len(WASTE_TYPES))
)
_accepting(
    _waste,
    lambda value: (
        value == ()
        or (
            value.__class__ is tuple
            and all(item.__class__ is str for item in value)
            and value in _WASTE_TUPLES
        )
    ),
)

_QUANTITY = _bounded(0, MAX_QUANTITY)
# The spellings of the units a typed duration is remembered in ("minutes" is "min").
_TYPED_ALIASES = {spelling: unit for spelling, unit in units._UNIT_ALIASES.items() if unit in TYPED_UNITS}


def _per_duration(
    kind: str,
    what: str,
    hint: str,
    read: Callable[[str, Any, MapState], Any],
    good: Callable[[Any], bool],
) -> Parser:
    """The parser of a record kept per duration field (typed units, distributions): from
    a mapping or pairs to ``((field, x), ...)`` in the fields' declared order, each ``x``
    made by ``read(field, given, state)``; a field that is no duration of the kind, or
    given twice, is refused. ``what`` names one entry ("the unit"), ``hint`` the form.
    """
    durations = tuple(spec.name for spec in declared(kind) if spec.kind == "duration")
    order = {name: i for i, name in enumerate(durations)}

    def parse(value: Any, state: MapState) -> tuple[tuple[str, Any], ...]:
        if value is None:
            return ()
        found: dict[str, Any] = {}
        for name, given in _pairs(value, hint):
            if name not in order:
                shown, listed = units._show(name), ", ".join(durations)
                raise units.UnitError(f"{shown} is not a duration of a {kind}; durations: {listed}")
            if name in found:
                raise units.UnitError(f"{what} of {name} is given twice")
            found[name] = read(name, given, state)
        return tuple(sorted(found.items(), key=lambda pair: order[pair[0]]))

    def accepts(value: Any) -> bool:
        return _in_order(value, order, good)

    return _accepting(parse, accepts)


def _typed_units(kind: str) -> Parser:
    """The units an element's durations were typed in, as ``((field, unit), ...)`` in the
    fields' declared order, from a mapping (``{"changeover": "h"}``) or pairs.
    """

    def read(name: str, unit: Any, state: MapState) -> str:
        key = unit.strip().lower() if isinstance(unit, str) else unit
        if not isinstance(key, str) or key not in _TYPED_ALIASES:
            listed = ", ".join(TYPED_UNITS)
            raise units.UnitError(f"{units._show(unit)} is not a unit; use one of {listed}")
        return _TYPED_ALIASES[key]

    hint = "units; give {field: unit} such as {'changeover': 'h'}"
    return _per_duration(kind, "the unit", hint, read, lambda unit: unit in TYPED_UNITS)


def _in_order(value: Any, order: Mapping[str, int], good: Callable[[Any], bool]) -> bool:
    """Whether ``value`` is a tuple of ``(field, x)`` pairs, the fields in ``order`` and
    each ``x`` ``good``: how a per-field record (typed units, distributions) is stored.
    """
    if value.__class__ is not tuple:
        return False
    last = -1
    for pair in value:
        if pair.__class__ is not tuple or len(pair) != 2 or not good(pair[1]):
            return False
        place = order.get(pair[0], -1) if pair[0].__class__ is str else -1
        if place <= last:
            return False
        last = place
    return True


def _distributions(kind: str) -> Parser:
    """The distributions an element's durations were given as, as ``((field, distribution), ...)``
    in the fields' declared order, from a mapping (``{"cycle_time": triangular(...)}``; a
    value may also be the text form or a :meth:`~vsm_widget.core.distributions.Distribution.to_dict`)
    or pairs.
    """

    def read(name: str, given: Any, state: MapState) -> dists.Distribution:
        try:
            if isinstance(given, dists.Distribution):
                dist = given
            elif isinstance(given, Mapping):
                dist = dists.from_dict(given)
            elif dists.is_text(given):
                dist = dists.parse(given, day=state.day_length)
            else:
                raise units.UnitError(f"{units._show(given)} is not a distribution")
        except ValidationError as error:
            raise units.UnitError(f"{name}: {error.reason}") from None
        return _distribution(dist)

    def good(dist: Any) -> bool:
        if not isinstance(dist, dists.Distribution):
            return False
        return not isinstance(dist, dists.Empirical) or len(dist.values) <= dists.MAX_FIELD_VALUES

    return _per_duration(kind, "the distribution", "distributions; give {field: distribution}", read, good)


def _parser(kind: str, spec: Field) -> Parser:
    """The parser of one declared field (see :mod:`vsm_widget.core.fields`)."""
    value_kind = spec.kind
    parser: Parser
    if value_kind == "duration":
        parser = _positive_duration if spec.above else _duration
        if kind in VARYING_KINDS:
            parser = _varying_duration
    elif value_kind == "share":
        parser = _ratio_below if spec.below else _ratio
    elif value_kind in ("number", "integer"):
        low = 0.0 if spec.low is None else spec.low
        high = MAX_QUANTITY if spec.high is None else spec.high
        parser = _bounded(low, high, integer=value_kind == "integer", above=spec.above)
    elif value_kind in ("text", "longtext", "reference"):
        parser = _text(spec.length or MAX_NAME_LENGTH, required=spec.required)
    elif value_kind == "choice":
        parser = _choice(spec.choices, dict(spec.aliases) or None)
    elif value_kind == "waste":
        parser = _waste
    elif value_kind == "variants":
        parser = _variants
    elif value_kind == "coordinate":
        parser = _coordinate
    elif value_kind == "units":
        parser = _typed_units(kind)
    elif value_kind == "distributions":
        parser = _distributions(kind)
    else:  # pragma: no cover - fields.VALUE_KINDS lists every kind above
        raise ValueError(f"no parser for the kind of value {value_kind!r}")
    return _optional(parser) if spec.clears else parser


#: Per kind: each field's parser, derived from its declaration in :mod:`vsm_widget.core.fields`.
_FIELDS: dict[str, dict[str, Parser]] = {
    kind: {spec.name: _parser(kind, spec) for spec in declared(kind)} for kind in KINDS
}

#: Per kind: (field, parser, quick acceptance test or None), for validate_state.
_FIELD_CHECKS: dict[str, tuple[tuple[str, Parser, Callable[[Any], bool] | None], ...]] = {
    kind: tuple((name, parser, getattr(parser, "accepts", None)) for name, parser in table.items())
    for kind, table in _FIELDS.items()
}

#: Per kind: one getter of all field values, and their quick tests in the same order.
_QUICK_CHECKS: dict[str, tuple[Callable[[Any], tuple[Any, ...]], tuple[Callable[[Any], bool], ...]]] = {
    kind: (
        operator.attrgetter(*(name for name, _, _ in checks)),
        tuple(accepts or (lambda value: False) for _, _, accepts in checks),
    )
    for kind, checks in _FIELD_CHECKS.items()
}


@functools.cache
def _quick_checks(
    kind: str, proven: frozenset[str]
) -> tuple[Callable[[Any], tuple[Any, ...]], tuple[Callable[[Any], bool], ...]] | None:
    """:data:`_QUICK_CHECKS` of ``kind`` without the fields of the ``proven`` kinds of
    value; None when no field is left.
    """
    if not proven:
        return _QUICK_CHECKS[kind]
    left = [spec.name for spec in declared(kind) if spec.kind not in proven]
    if not left:
        return None
    tests = dict(zip((name for name, _, _ in _FIELD_CHECKS[kind]), _QUICK_CHECKS[kind][1], strict=True))
    # attrgetter of one name gives the value itself, not a tuple of one.
    getter = operator.attrgetter(*left) if len(left) > 1 else (lambda element: (getattr(element, left[0]),))
    return getter, tuple(tests[name] for name in left)


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


def _closest(word: str, options: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The option most like ``word`` (a misspelling's fix), or None.

    A long word is no misspelling of a name, and comparing it would take long.
    """
    if len(word) > 2 * MAX_NAME_LENGTH:
        return None
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    return close[0] if close else None


def _unknown_field_reason(name: str, allowed: tuple[str, ...]) -> str:
    close = _closest(name, allowed)
    hint = f"did you mean {close!r}? " if close else ""
    return f"unknown field; {hint}allowed: {', '.join(allowed)}"


# --------------------------------------------------------------------------- the map


class Map:
    """A value stream map: customer, calendar, steps and gaps, flows and kaizen bursts.

    The core of :class:`vsm_widget.ValueStreamMap`: the state, the edits, their history and
    the figures, with nothing of files, pictures or Jupyter (the layers above add those).

    >>> m = Map("Steering brackets", demand=18400, period="month",
    ...                    working_days=20, available_time="2 x 27600 s")
    >>> m.add_process("Stamping", cycle_time="1 s", changeover="1 h", uptime="85%").id
    'p1'

    Every edit is validated (a :class:`ValidationError` names the field and leaves the
    map unchanged), recorded for :meth:`undo` and :meth:`redo`, and told to observers.
    An edit that changes nothing is none of these: :attr:`state` stays the same object.
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
        timeframe: str = "current",
    ) -> None:
        self._state = MapState()
        self._undo: list[tuple[MapState, Change]] = []
        self._redo: list[tuple[MapState, Change]] = []
        self._observers: list[Observer] = []
        self._batch: list[Change] | None = None
        self._counters: dict[str, int] = {}
        self._author: str | None = None
        self._metrics_cache: tuple[MapState, Metrics] | None = None
        self._index_cache: tuple[MapState, set[str], set[str]] | None = None
        base = self._apply_fields(
            self._state,
            "map",
            "map",
            {"title": title, "scope": scope, "day_basis": day_basis, "timeframe": timeframe},
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
    def lead_unit(self) -> str:
        """The unit of the timeline's waits and the lead time: ``"auto"`` (chosen from the
        lead time) or ``"s"``, ``"min"``, ``"h"``, ``"d"``, so rungs and totals read alike.
        """
        return self._state.lead_unit

    @lead_unit.setter
    def lead_unit(self, value: str) -> None:
        self.update("map", lead_unit=value)

    @property
    def process_unit(self) -> str:
        """The unit of the timeline's step times and the process time (as :attr:`lead_unit`)."""
        return self._state.process_unit

    @process_unit.setter
    def process_unit(self, value: str) -> None:
        self.update("map", process_unit=value)

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
        if not isinstance(other, Map):
            return NotImplemented
        return self._state == other._state

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        steps = len(self.steps)
        gaps = len(self.gaps)
        plural = ("s" * (steps != 1), "s" * (gaps != 1))
        return f"<{type(self).__name__} {self.title!r}: {steps} step{plural[0]}, {gaps} gap{plural[1]}>"

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
        """Every metric of the map (see :mod:`vsm_widget.core.metrics`), cached per state."""
        from .metrics import compute

        cached = self._metrics_cache
        if cached is not None and cached[0] is self._state:
            return cached[1]
        result = compute(self._state)
        self._metrics_cache = (self._state, result)
        return result

    # ----------------------------------------------------------------- adding

    def add_process(
        self, name: str, *, at: int | str | None = None, id: str | None = None, **fields: Any
    ) -> Process:
        """Add a process box; ``at`` is a stream index or the id/name to insert before.

        Fields: cycle_time, process_time, lead_time, changeover (durations such as
        ``"45 s"``), uptime, complete_accurate (``"85%"``), operators, shifts,
        batch_size, parallel, value_class, waste, notes, x, y.
        """
        return self._add_step(name, at, id, fields, None)

    def _add_step(
        self, name: str, at: int | str | None, id: str | None, fields: Mapping[str, Any], path: str | None
    ) -> Process:
        item = Process(id=self._new_id(id, "p"), name="?")
        item = self._fill(item, "process", {"name": name, **fields})
        self._insert(item, at, path)
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
        return self._add_gap(_inventory_fields(quantity, fields), at, id)

    def add_wait(
        self, wait_time: float | str, *, at: int | str | None = None, id: str | None = None, **fields: Any
    ) -> Gap:
        """Add a gap given as a wait time (``"3 d"``), such as a queue in an office map."""
        return self._add_gap({"wait_time": wait_time, **fields}, at, id)

    def add_gap(self, *, at: int | str | None = None, id: str | None = None, **fields: Any) -> Gap:
        """Add a gap with any gap fields (quantity, variants, wait_time, flow, ...)."""
        return self._add_gap(fields, at, id)

    def _add_gap(
        self, fields: dict[str, Any], at: int | str | None, id: str | None, path: str | None = None
    ) -> Gap:
        item = self._fill(Gap(id=self._new_id(id, "g")), "gap", fields)
        self._insert(item, at, path)
        return item

    def add_branch(
        self, into: str, *, after: str | None = None, name: str = "", id: str | None = None
    ) -> BranchBuilder:
        """Add a branch that feeds step ``into`` (an id or a step name, on any path).

        Without ``after`` it is a feeder line with its own start (a sub-assembly, a
        purchased part); ``after="Step"`` makes it a parallel path that splits off after
        that step and rejoins at ``into``. Returns a builder whose ``add_process``,
        ``add_inventory`` and ``add_wait`` add to the branch, in flow order, as the
        map's own do to the main stream::

            b = m.add_branch(into="Final assembly", name="Brackets")
            b.add_inventory(300)
            b.add_process("Bend", cycle_time="20 s")

        A branch into a step of a branch nests. Branches never flow in a circle: only
        rework loops (:meth:`add_rework`) go back upstream.
        """
        fields: dict[str, Any] = {"into": into, "after": after, "name": name}
        item = self._fill(Branch(id=self._new_id(id, "b"), into="?"), "branch", fields)
        state = self._state
        item = dataclasses.replace(
            item,
            into=self._step_ref(state, item.into, "into", None),
            after=None if item.after is None else self._step_ref(state, item.after, "after", None),
        )
        new = dataclasses.replace(state, branches=(*state.branches, item))
        _check_shape(new)
        self._commit(new, Change("add", (item.id,)))
        return BranchBuilder(self, item.id)

    def branch(self, target: str) -> BranchBuilder:
        """The builder of a branch already on the map (by id), to add steps and gaps to it."""
        kind, element = self._find(self._state, target)
        if kind != "branch":
            raise ValidationError("branch", target, f"name a branch, not the {kind}")
        return BranchBuilder(self, element.id)

    def add_rework(self, source: str, target: str, share: float | str, *, id: str | None = None) -> Rework:
        """Add a rework loop: ``share`` (``"25%"``) of the items leaving step ``source`` go
        back to step ``target``, the same step or one upstream of it.

        The expected passes through the loop's steps and the waits between them are
        1 / (1 - share), so a share of 100% or more is refused (see
        :attr:`Metrics.lead_time_with_rework`).
        """
        item = self._fill(
            Rework(id=self._new_id(id, "r"), source="?", target="?", share=0.0),
            "rework",
            {"source": source, "target": target, "share": share},
        )
        state = self._state
        item = dataclasses.replace(
            item,
            source=self._step_ref(state, item.source, "source", None),
            target=self._step_ref(state, item.target, "target", None),
        )
        new = dataclasses.replace(state, reworks=(*state.reworks, item))
        _check_shape(new)
        self._commit(new, Change("add", (item.id,)))
        return item

    @property
    def branches(self) -> tuple[Branch, ...]:
        """The branches: feeder lines and parallel paths, in the order they were added."""
        return self._state.branches

    @property
    def reworks(self) -> tuple[Rework, ...]:
        """The rework loops."""
        return self._state.reworks

    @property
    def all_steps(self) -> tuple[Process, ...]:
        """The process boxes of every path: the main stream's, then each branch's."""
        return self._state.all_steps

    @property
    def all_gaps(self) -> tuple[Gap, ...]:
        """The gaps of every path: the main stream's, then each branch's."""
        return self._state.all_gaps

    def paths(self) -> pd.DataFrame:
        """One row per path of the stream, with its totals (see :func:`vsm_widget.metrics.paths`)."""
        from .metrics import paths

        return paths(self._state)

    def set_supplier(self, name: str = "Supplier", **fields: Any) -> Supplier:
        """Put a supplier on the map (or replace its data): name, supplies, frequency."""
        supplier = self._fill(Supplier(), "supplier", {"name": name, **fields})
        self._commit(
            dataclasses.replace(self._state, supplier=supplier), Change("add", ("supplier",), tuple(fields))
        )
        return supplier

    def set_control(self, name: str = "Production control", **fields: Any) -> Control:
        """Put a production control box on the map (or replace it)."""
        control = self._fill(Control(), "control", {"name": name, **fields})
        self._commit(
            dataclasses.replace(self._state, control=control), Change("add", ("control",), tuple(fields))
        )
        return control

    def add_shipment(self, direction: str = "out", *, id: str | None = None, **fields: Any) -> Shipment:
        """Add a shipment: ``"in"`` from the supplier or ``"out"`` to the customer."""
        item = self._fill(Shipment(id=self._new_id(id, "s")), "shipment", {"direction": direction, **fields})
        self._commit(
            dataclasses.replace(self._state, shipments=(*self._state.shipments, item)),
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
        state = self._state
        item = dataclasses.replace(
            item,
            source=self._resolve(state, item.source, "source", None, flow=True),
            target=self._resolve(state, item.target, "target", None, flow=True),
        )
        if item.source == item.target:
            raise ValidationError("target", target, "a flow needs two different ends")
        self._commit(
            dataclasses.replace(self._state, flows=(*self._state.flows, item)), Change("add", (item.id,))
        )
        return item

    def add_burst(
        self, text: str, *, target: str | None = None, id: str | None = None, **fields: Any
    ) -> Burst:
        """Add a kaizen burst on a step or gap (id or step name), or on the whole map."""
        item = self._fill(
            Burst(id=self._new_id(id, "k"), text="?"), "burst", {"text": text, "target": target, **fields}
        )
        if item.target is not None:
            item = dataclasses.replace(item, target=self._resolve(self._state, item.target, "target", None))
        self._commit(
            dataclasses.replace(self._state, bursts=(*self._state.bursts, item)), Change("add", (item.id,))
        )
        return item

    # ----------------------------------------------------------------- editing

    def update(self, target: str, /, **fields: Any) -> Element | MapState:
        """Change fields of an element, found by id or (for steps) by name.

        ``target`` may also be ``"map"`` (title, scope, state, day_basis, lead_unit,
        process_unit) or
        ``"customer"`` (demand, period, working_days, shifts, shift_length, breaks,
        and the shorthand available_time such as ``"2 x 27600 s"``).
        An unknown target raises :class:`KeyError` (with the closest name or id).

        An edit that leaves the map as it is (a field set to the value it holds, a
        burst put on the step it is on, by name or id) commits nothing: no undo step,
        no change notice, and :attr:`state` stays the same object, which is how a caller
        tells (``m.state is before``). So do the other edits.
        """
        state = self._state
        kind, element = self._find(state, target)
        element_id = "map" if kind == "map" else element.id
        if not fields:
            raise ValidationError("fields", None, "give at least one field to change", element_id)
        new_state = self._apply_fields(state, kind, element_id, fields)
        layout = set(fields) <= _LAYOUT_FIELDS
        self._commit(new_state, Change("update", (element_id,), tuple(fields), layout_only=layout))
        return new_state if kind == "map" else self._find(new_state, element_id)[1]

    def move(self, target: str, x: float, y: float) -> None:
        """Place an element on the canvas at ``(x, y)``; metrics are unaffected."""
        self.update(target, x=x, y=y)

    def reorder(self, target: str, index: int) -> None:
        """Move a step or gap to position ``index`` of its path (the main stream, or its
        branch; negative counts from the end).
        """
        state = self._state
        kind, element = self._find(state, target)
        if kind not in ("process", "gap"):
            raise ValidationError(
                "index", index, f"only steps and gaps can be reordered, not the {kind}", target
            )
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValidationError("index", index, "give a whole number position in the stream", element.id)
        path, line = _path_items(state, element.id)
        size = len(line)
        if not -size <= index < size:
            raise ValidationError(
                "index", index, f"the stream has positions {-size} to {size - 1}", element.id
            )
        items = [item for item in line if item.id != element.id]
        items.insert(index % size, element)
        new = _with_path(state, path, tuple(items))
        _check_stream(new, element.id)
        self._commit(new, Change("reorder", (element.id,)))

    def swap(self, first: str, second: str) -> None:
        """Swap two steps (or two gaps) of the stream; everything between them stays put.

        ``m.swap("Costing", "Engineering review")`` puts each step where the other was,
        inventories and waits keeping their places between the steps. Positions moved by
        hand on the canvas are swapped too, so the picture follows the new order.
        """
        state = self._state
        kind, a = self._find(state, first)
        other_kind, b = self._find(state, second)
        if kind not in ("process", "gap"):
            raise ValidationError(
                "first", first, f"only steps and gaps can be swapped, not the {kind}", getattr(a, "id", kind)
            )
        if other_kind != kind:
            raise ValidationError(
                "second", second, f"a {kind} swaps with another {kind}, not with the {other_kind}", a.id
            )
        if a.id == b.id:
            raise ValidationError("second", second, "give two different elements to swap", a.id)
        new = _replaced(
            state, {a.id: dataclasses.replace(b, x=a.x, y=a.y), b.id: dataclasses.replace(a, x=b.x, y=b.y)}
        )
        _check_stream(new, a.id)
        self._commit(new, Change("reorder", (a.id, b.id), label="swap"))

    def move_to_path(self, target: str, path: str, *, after: str | None = None) -> None:
        """Move step ``target`` (id or name) onto ``path``: :data:`MAIN` (``"main"``) or a
        branch's id, right after the step or gap ``after`` of that path (id or name), or
        first on it when ``after`` is None.

        ``m.move_to_path("Deburr", "b1", after="Bend")`` takes Deburr off its path and puts
        it after Bend on branch b1. Only the step moves: its id, fields and position stay,
        the gaps around it stay on their path, and branches and rework loops that name it
        follow it. A move along its own path is a reorder. One edit, one undo step.

        A branch left with no step or gap at all is no path any more and is removed with
        the move (undo brings it back), unless a kaizen burst sits on it: then the move is
        refused. Refused too, naming ``path`` (or ``after``) and leaving the map as it was:
        a gap, not a step; two gaps that would stand side by side where the step was; a
        branch that would flow into itself or the branches in a circle; a rework loop that
        would no longer go back upstream.
        """
        state = self._state
        try:
            kind, step = self._find(state, target)
        except KeyError as error:
            raise ValidationError("target", target, str(error.args[0])) from None
        if kind != "process":
            owner = step.id if kind in ("gap", "shipment", "flow", "burst", "branch", "rework") else kind
            raise ValidationError("target", target, f"only a step moves between paths, not the {kind}", owner)
        paths = [name for name, _ in state.by_path]
        if not isinstance(path, str) or path not in paths:
            raise ValidationError(
                "path", path, f"no path with this id; give one of {', '.join(paths)}", step.id
            )
        source, line = _path_items(state, step.id)
        index = next(i for i, item in enumerate(line) if item.id == step.id)
        left = line[:index] + line[index + 1 :]
        if 0 < index < len(left) and isinstance(left[index - 1], Gap) and isinstance(left[index], Gap):
            raise ValidationError(
                "path",
                path,
                f"moving {step.name} off {source} would leave the gaps {left[index - 1].id} and "
                f"{left[index].id} side by side; remove one of them first",
                step.id,
            )
        new = _with_path(state, source, left)
        moved = [step.id]
        if source != MAIN and source != path and not left:
            on_it = [burst.id for burst in state.bursts if burst.target == source]
            if on_it:
                raise ValidationError(
                    "path",
                    path,
                    f"branch {source} would be left empty and go, but the kaizen burst {on_it[0]} "
                    "sits on it; move the burst first",
                    step.id,
                )
            new = dataclasses.replace(new, branches=tuple(b for b in new.branches if b.id != source))
            moved.append(source)
        items = list(new.stream if path == MAIN else next(b.items for b in new.branches if b.id == path))
        position = 0
        if after is not None:
            try:
                after_kind, anchor = self._find(state, after)
            except KeyError as error:
                raise ValidationError("after", after, str(error.args[0]), step.id) from None
            if after_kind not in ("process", "gap"):
                raise ValidationError(
                    "after", after, f"name a step or gap to land after, not the {after_kind}", step.id
                )
            if anchor.id == step.id:
                raise ValidationError(
                    "after", after, "a step cannot land after itself; name another", step.id
                )
            found = state.path_of(anchor.id)
            if found != path:
                raise ValidationError(
                    "after", after, f"this element is on the path {found}, not on {path}", step.id
                )
            position = 1 + next(i for i, item in enumerate(items) if item.id == anchor.id)
        items.insert(position, step)
        new = _with_path(new, path, tuple(items))
        try:
            _check_stream(new, step.id)
        except ValidationError as error:
            raise ValidationError(
                "path",
                path,
                f"moving {step.name} there would break {error.target}: {error.reason}",
                step.id,
            ) from None
        self._commit(new, Change("move", tuple(moved), label="move to path"))

    def remove(self, target: str) -> None:
        """Remove an element. Flows and rework loops to or from it go too; bursts on it
        move to the map.

        Removing a step that stands between two gaps also removes the gap before it,
        since two gaps side by side would be one gap. A step that a branch feeds or splits
        off after is not removed (remove the branch, or change it, first). Removing a
        branch removes its steps and gaps, every branch nested on them, and the rework
        loops that ran back along it. Undo brings all of it back.
        """
        state = self._state
        kind, element = self._find(state, target)
        if kind in ("map", "customer"):
            raise ValidationError("target", target, f"the {kind} cannot be removed; update it instead", kind)
        removed = [element.id]
        if kind == "supplier":
            new = dataclasses.replace(state, supplier=None)
        elif kind == "control":
            new = dataclasses.replace(state, control=None)
        elif kind in ("process", "gap"):
            for branch in state.branches:
                for end in ("into", "after"):
                    if getattr(branch, end) == element.id:
                        raise ValidationError(
                            "target",
                            target,
                            f"branch {branch.id} {'feeds' if end == 'into' else 'splits off after'} "
                            "this step; "
                            f"remove the branch or change its {end} first",
                            element.id,
                        )
            path, line = _path_items(state, element.id)
            stream = list(line)
            index = next(i for i, item in enumerate(stream) if item.id == element.id)
            del stream[index]
            if (
                0 < index < len(stream)
                and isinstance(stream[index - 1], Gap)
                and isinstance(stream[index], Gap)
            ):
                removed.append(stream.pop(index - 1).id)
            new = _with_path(state, path, tuple(stream))
        elif kind == "branch":
            # The branch goes with its steps and gaps, and so does every branch that feeds
            # one of them or splits off after one.
            gone_branches = _nested(state, element.id)
            for branch in state.branches:
                if branch.id in gone_branches:
                    removed.append(branch.id)
                    removed.extend(item.id for item in branch.items)
            new = dataclasses.replace(
                state, branches=tuple(b for b in state.branches if b.id not in gone_branches)
            )
        elif kind == "rework":
            new = dataclasses.replace(state, reworks=tuple(r for r in state.reworks if r.id != element.id))
        elif kind == "shipment":
            new = dataclasses.replace(
                state, shipments=tuple(s for s in state.shipments if s.id != element.id)
            )
        elif kind == "flow":
            new = dataclasses.replace(state, flows=tuple(f for f in state.flows if f.id != element.id))
        else:
            new = dataclasses.replace(state, bursts=tuple(b for b in state.bursts if b.id != element.id))
        gone = set(removed)
        flows = tuple(f for f in new.flows if f.source not in gone and f.target not in gone)
        dropped = [f.id for f in new.flows if f.source in gone or f.target in gone]
        # A rework loop goes with either of its steps, or with the branch it ran back along.
        loops = tuple(r for r in new.reworks if r.source not in gone and r.target not in gone)
        if loops and kind == "branch":
            following = successors(flow_edges(new))
            loops = tuple(r for r in loops if r.source in downstream(following, r.target))
        dropped += [r.id for r in new.reworks if r not in loops]
        new = dataclasses.replace(new, reworks=loops)
        removed.extend(dropped)
        # A burst on a flow that just went with its step must not point at nothing.
        gone.update(dropped)
        bursts = tuple(dataclasses.replace(b, target=None) if b.target in gone else b for b in new.bursts)
        new = dataclasses.replace(new, flows=flows, bursts=bursts)
        self._commit(new, Change("remove", tuple(removed)))

    def replace_state(self, state: MapState, *, label: str = "replace") -> None:
        """Swap in a whole new state, as one undoable edit.

        Every field and every whole-map rule is checked first (see :func:`validate_state`).
        """
        self._commit(validate_state(state), Change("replace", label=label))

    @contextmanager
    def batch(self, label: str = "batch") -> Iterator[Map]:
        """Group edits into one undo step and one change notice.

        If anything inside raises, every edit of the batch is rolled back (an inner
        batch rolls back only its own edits). Undo and redo are refused inside a batch.
        """
        if self._batch is not None:
            before, mark, counters = self._state, len(self._batch), dict(self._counters)
            try:
                yield self
            except BaseException:
                self._state, self._counters = before, counters
                del self._batch[mark:]
                raise
            return
        before, counters = self._state, dict(self._counters)
        self._batch = []
        try:
            yield self
        except BaseException:
            self._state, self._counters, self._batch = before, counters, None
            raise
        changes, self._batch = self._batch, None
        if self._state == before:
            # Edits that undid each other: as if the batch had not been.
            self._state = before
            return
        ids = tuple(dict.fromkeys(i for c in changes for i in c.ids))
        fields = tuple(dict.fromkeys(f for c in changes for f in c.fields))
        layout = all(c.layout_only for c in changes)
        change = Change("batch", ids, fields, layout_only=layout, label=label, author=self._author)
        self._push_undo(before, change)
        self._notify(change)

    @contextmanager
    def all_or_nothing(self, label: str = "revert") -> Iterator[Map]:
        """Run edits, undo and redo included, so that a failure leaves nothing behind.

        If anything inside raises, an observer's error on a committed edit included
        (which otherwise lets the edit stand), the map, its history and its id counters
        are put back exactly as they were; observers are then told with a ``revert``
        change, and the error is raised. For callers that must answer "refused" only
        when nothing changed, such as the canvas widget.
        """
        self._refuse_in_batch("all_or_nothing")
        state, undo, redo, counters = self._state, list(self._undo), list(self._redo), dict(self._counters)
        try:
            yield self
        except BaseException:
            changed = self._state is not state
            self._state, self._counters = state, counters
            self._undo[:], self._redo[:] = undo, redo
            if changed:
                # Views that saw the failed edit must see the map as it is again. Their
                # own failure now would hide the error that matters: the one raised.
                with contextlib.suppress(Exception):
                    self._notify(Change("revert", label=label))
            raise

    # ----------------------------------------------------------------- history

    #: How many edits :meth:`undo` can go back; older ones are forgotten.
    history_limit: ClassVar[int] = 10_000

    @property
    def can_undo(self) -> bool:
        """Whether there is an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone edit to redo."""
        return bool(self._redo)

    @property
    def undo_step(self) -> Change | None:
        """The edit :meth:`undo` would take back (its ``author`` says whose), or ``None``."""
        return self._undo[-1][1] if self._undo else None

    @property
    def redo_step(self) -> Change | None:
        """The edit :meth:`redo` would make again (its ``author`` says whose), or ``None``."""
        return self._redo[-1][1] if self._redo else None

    @contextmanager
    def authored(self, author: str | None) -> Iterator[Map]:
        """Record ``author`` on every edit committed inside (``None``: no author, as in Python).

        The canvas widget wraps each browser's edit in it, so that undo from a browser can
        take back that person's own edit (see ``docs/live.md``).
        """
        outer, self._author = self._author, author
        try:
            yield self
        finally:
            self._author = outer

    def undo(self) -> Change | None:
        """Undo the last edit; returns what was undone, or ``None`` if nothing was."""
        self._refuse_in_batch("undo")
        if not self._undo:
            return None
        before, change = self._undo.pop()
        self._redo.append((self._state, change))
        self._state = before
        self._notify(dataclasses.replace(change, op="undo", label=change.op))
        return change

    def redo(self) -> Change | None:
        """Redo the last undone edit; returns it, or ``None`` if nothing was undone."""
        self._refuse_in_batch("redo")
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

        Returns a function that stops the calls. An observer that raises does not undo
        the edit: the edit stands, every other observer is still called, and then the
        first observer error is raised to the caller of the edit.
        """
        self._observers.append(callback)
        return lambda: self.unobserve(callback)

    def unobserve(self, callback: Observer) -> None:
        """Stop calling ``callback``; unknown callbacks are ignored."""
        if callback in self._observers:
            self._observers.remove(callback)

    # ----------------------------------------------------------------- the workshop

    @property
    def workshop(self) -> Workshop:
        """The facilitation of this map (:class:`~vsm_widget.core.workshop.Workshop`): dot
        votes, walks with their whys, timer, lock and follow mode. Made on first use; it is
        not part of the map's state, history or copies.
        """
        found: Workshop | None = self.__dict__.get("_workshop")
        if found is None:
            from .workshop import Workshop

            found = self.__dict__["_workshop"] = Workshop(self)
        return found

    # ----------------------------------------------------------------- copies, files and frames

    def copy(self, *, title: str | None = None, timeframe: str | None = None) -> Map:
        """An independent copy with the same elements and ids, and no history."""
        other = type(self).__new__(type(self))
        other.__init_empty()
        other._state = self._state
        other._counters = dict(self._counters)
        changes = {k: v for k, v in (("title", title), ("timeframe", timeframe)) if v is not None}
        if changes:
            other._state = other._apply_fields(other._state, "map", "map", changes)
        return other

    def future(self, title: str | None = None) -> Map:
        """A future-state copy to edit: same stream and ids, marked ``timeframe="future"``.

        Its ladder units are fixed to the units this map reads in now (its ``"auto"``
        ones resolved), so both canvases and the comparison read in one unit however the
        future map's totals shrink.
        """
        other = self.copy(title=title or f"{self.title} (future state)", timeframe="future")
        shown = self.metrics().display
        units_now = {"lead_unit": shown.lead_unit, "process_unit": shown.process_unit}
        other._state = other._apply_fields(other._state, "map", "map", units_now)
        return other

    def __init_empty(self) -> None:
        self._state = MapState()
        self._undo = []
        self._redo = []
        self._observers = []
        self._batch = None
        self._counters: dict[str, int] = {}
        self._author = None
        self._metrics_cache = None
        self._index_cache = None

    @classmethod
    def from_state(cls, state: MapState, *, proven: frozenset[str] = frozenset()) -> Map:
        """A map holding ``state`` (checked by :func:`validate_state`, ``proven`` as
        there), with no history.
        """
        m = cls.__new__(cls)
        m.__init_empty()
        m._state = validate_state(state, proven=proven)
        return m

    # ----------------------------------------------------------------- internals

    def _new_id(self, wanted: str | None, prefix: str) -> str:
        """A free id: ``wanted`` if it is valid and free, else the next ``p1``, ``p2``...

        The counter moves on only when the edit is committed (see :meth:`_commit`), so a
        refused edit does not use up an id.
        """
        taken, names = self._index()
        if wanted is not None:
            if not isinstance(wanted, str) or not _ID_PATTERN.match(wanted) or wanted in _RESERVED_IDS:
                raise ValidationError(
                    "id",
                    wanted,
                    "an id starts with a letter and has at most 64 letters, digits or _ . : - "
                    f"(and is none of {', '.join(_RESERVED_IDS)})",
                )
            if wanted in taken:
                raise ValidationError("id", wanted, "that id is already used on this map")
            if wanted in names:
                raise ValidationError("id", wanted, "that is the name of a step; ids and names must not mix")
            return wanted
        number = self._counters.get(prefix, 0)
        while True:
            number += 1
            candidate = f"{prefix}{number}"
            if candidate not in taken and candidate not in names:
                return candidate

    def _index(self) -> tuple[set[str], set[str]]:
        """Every id and every step name of the current state, cached until it changes.

        Adding a step to a long map would otherwise rebuild both sets on every add.
        """
        cached = self._index_cache
        state = self._state
        if cached is None or cached[0] is not state:
            names = {item.name for item in state.all_items if isinstance(item, Process)}
            cached = (state, state.ids(), names)
            self._index_cache = cached
        return cached[1], cached[2]

    def _find(self, state: MapState, target: str) -> tuple[str, Any]:
        if not isinstance(target, str):
            raise KeyError(f"{units._show(target)}: give an element's id or a step's name")
        if target == "map":
            return "map", state
        if target == "customer":
            return "customer", state.customer
        if target == "supplier" and state.supplier is not None:
            return "supplier", state.supplier
        if target == "control" and state.control is not None:
            return "control", state.control
        everything = state.all_items
        for group in (everything, state.shipments, state.flows, state.bursts, state.branches, state.reworks):
            for item in group:
                if item.id == target:
                    return item.kind, item
        for item in everything:
            if isinstance(item, Process) and item.name == target:
                return "process", item
        known = [s.name for s in state.all_steps] + sorted(state.ids())
        close = _closest(target, known)
        hint = f"; did you mean {close!r}?" if close else ""
        raise KeyError(f"no step, gap or element {units._show(target, 130)} on this map{hint}")

    def _resolve(
        self, state: MapState, target: str, field_name: str, owner: str | None, *, flow: bool = False
    ) -> str:
        """The id of the element ``target`` names, for a flow's end or a burst's target.

        A burst may sit on any element; a flow runs between the customer, supplier,
        production control, steps, gaps and shipments (not to another flow or a burst).
        """
        try:
            kind, element = self._find(state, target)
        except KeyError as error:
            raise ValidationError(field_name, target, str(error.args[0]), owner) from None
        if kind == "map":
            raise ValidationError(field_name, target, "name an element of the map, not the map", owner)
        if flow and kind not in _FLOW_END_KINDS:
            raise ValidationError(
                field_name, target, f"a flow connects {', '.join(_FLOW_END_KINDS)}; not a {kind}", owner
            )
        return element.id

    def _fill(self, element: Any, kind: str, fields: Mapping[str, Any]) -> Any:
        """A new element of ``kind`` with ``fields`` parsed (nothing is committed)."""
        state = self._state
        values = {name: parse_field(kind, name, value, state) for name, value in fields.items()}
        values = _typed(kind, element, fields, values)
        if kind in VARYING_KINDS:
            values = _distributed(kind, element, fields, values, state)
        if kind == "gap":
            values = _settle_variants(element, values)
        return dataclasses.replace(element, **values)

    def _apply_fields(self, state: MapState, kind: str, target: str, fields: Mapping[str, Any]) -> MapState:
        """Validate ``fields`` for ``target`` and return the new state (not committed)."""
        try:
            if kind == "customer" and "available_time" in fields:
                fields = _expand_available_time(fields, state)
            values = {name: parse_field(kind, name, value, state) for name, value in fields.items()}
        except ValidationError as error:
            raise error.at(target) from None
        if kind in _DURATIONS:
            element = self._find(state, target)[1]
            values = _typed(kind, element, fields, values)
            if kind in VARYING_KINDS:
                values = _distributed(kind, element, fields, values, state, target)
        if kind == "map":
            return dataclasses.replace(state, **values)
        if kind == "customer":
            customer = dataclasses.replace(state.customer, **values)
            try:
                _check_calendar(customer, set(values))
            except ValidationError as error:
                if error.field in fields:
                    # Show the value as the user gave it ("25 h"), not as stored.
                    raise ValidationError(error.field, fields[error.field], error.reason, target) from None
                raise
            return dataclasses.replace(state, customer=customer)
        if kind == "supplier":
            return dataclasses.replace(state, supplier=dataclasses.replace(state.supplier, **values))
        if kind == "control":
            return dataclasses.replace(state, control=dataclasses.replace(state.control, **values))
        return self._replace_item(state, kind, target, values)

    def _replace_item(self, state: MapState, kind: str, target: str, values: dict[str, Any]) -> MapState:
        if kind in ("flow", "burst"):
            for key in ("source", "target"):
                if values.get(key) is not None:
                    values[key] = self._resolve(state, values[key], key, target, flow=kind == "flow")
        if kind in ("branch", "rework"):
            for key in ("into", "after", "source", "target"):
                if values.get(key) is not None:
                    values[key] = self._step_ref(state, values[key], key, target)
        group_name = _GROUPS[kind]
        if group_name == "stream":
            group_name, items_of = _path_items(state, target)
            items = list(items_of)
        else:
            items = list(getattr(state, group_name))
        index = next(i for i, item in enumerate(items) if item.id == target)
        item = items[index]
        if kind == "gap":
            values = _settle_variants(item, values)
        new_item = dataclasses.replace(item, **values)
        if kind == "flow" and new_item.source == new_item.target:
            field_name = "target" if "target" in values else "source"
            raise ValidationError(field_name, values[field_name], "a flow needs two different ends", target)
        items[index] = new_item
        if kind in ("process", "gap"):
            new = _with_path(state, group_name, tuple(items))
        else:
            new = dataclasses.replace(state, **{group_name: tuple(items)})
        if kind in ("branch", "rework") and set(values) & {"into", "after", "source", "target"}:
            _check_shape(new, target)
        if kind == "process" and "name" in values:
            _check_step_name(new, new_item)
        if kind == "burst" and new_item.target is not None:
            _check_burst_chain(new, new_item)
        return new

    def _step_ref(self, state: MapState, value: str, field_name: str, owner: str | None) -> str:
        """The id of the step ``value`` names (by id or name), for a branch's or a loop's end."""
        try:
            kind, element = self._find(state, value)
        except KeyError as error:
            raise ValidationError(field_name, value, str(error.args[0]), owner) from None
        if kind != "process":
            raise ValidationError(field_name, value, f"name a step, not the {kind}", owner)
        return str(element.id)

    def _insert(self, item: StreamItem, at: int | str | None, path: str | None = None) -> None:
        """Insert a new step or gap on ``path`` (the main stream unless ``at`` names an
        element of a branch) before ``at``, or at its end.
        """
        state = self._state
        if path is not None and not any(b.id == path for b in state.branches) and path != MAIN:
            raise ValidationError("branch", path, "this branch is no longer on the map")
        if isinstance(at, str):
            try:
                kind, element = self._find(state, at)
            except KeyError as error:
                raise ValidationError("at", at, str(error.args[0])) from None
            if kind not in ("process", "gap"):
                raise ValidationError("at", at, f"name a step or gap to insert before, not the {kind}")
            found, _ = _path_items(state, element.id)
            if path is not None and found != path:
                raise ValidationError("at", at, f"this element is on the path {found}, not on {path}")
            path = found
        path = path or MAIN
        stream = list(state.stream if path == MAIN else next(b.items for b in state.branches if b.id == path))
        if at is None:
            index = len(stream)
        elif isinstance(at, str):
            index = next(i for i, other in enumerate(stream) if other.id == element.id)
        elif isinstance(at, int) and not isinstance(at, bool):
            if not -len(stream) - 1 <= at <= len(stream):
                raise ValidationError(
                    "at", at, f"the stream has positions {-len(stream) - 1} to {len(stream)}"
                )
            index = at if at >= 0 else len(stream) + 1 + at
        else:
            raise ValidationError("at", at, "give a stream position or the id or name of a step or gap")
        stream.insert(index, item)
        # Only the new item's rules can break: its neighbours, its name. Its id is fresh
        # (see _new_id), so there is no need to recheck the whole stream.
        if isinstance(item, Gap):
            for neighbour in (
                stream[index - 1] if index else None,
                stream[index + 1] if index + 1 < len(stream) else None,
            ):
                if isinstance(neighbour, Gap):
                    raise ValidationError(
                        "stream",
                        item.id,
                        f"two gaps ({neighbour.id}, {item.id}) would stand side by side; "
                        "update the gap that is there instead",
                    )
        ids, names = self._index()
        if isinstance(item, Process):
            if item.name in names:
                raise ValidationError("name", item.name, "another step already has this name")
            if item.name != item.id and (item.name in ids or item.name in _RESERVED_IDS):
                raise ValidationError(
                    "name", item.name, "that is the id of another element; pick another name"
                )
        new = _with_path(state, path, tuple(stream))
        ids.add(item.id)
        if isinstance(item, Process):
            names.add(item.name)
        self._index_cache = (new, ids, names)
        self._commit(new, Change("add", (item.id,)))

    def _refuse_in_batch(self, what: str) -> None:
        if self._batch is not None:
            raise RuntimeError(f"{what} is not possible inside a batch; finish the batch first")

    def _push_undo(self, before: MapState, change: Change) -> None:
        self._undo.append((before, change))
        if len(self._undo) > self.history_limit:
            del self._undo[: len(self._undo) - self.history_limit]
        self._redo.clear()

    def _commit(self, state: MapState, change: Change) -> None:
        if state == self._state:
            # Nothing changed: no undo step, no notice, and m.state stays the same object.
            return
        if change.op == "add":
            # Move the id counters past the new ids, so that no id is handed out twice.
            for new_id in change.ids:
                match = _COUNTED_ID.match(new_id)
                if match:
                    prefix, number = match.group(1), int(match.group(2))
                    self._counters[prefix] = max(self._counters.get(prefix, 0), number)
        if self._batch is not None:
            self._state = state
            self._batch.append(change)
            return
        if self._author is not None:
            change = dataclasses.replace(change, author=self._author)
        self._push_undo(self._state, change)
        self._state = state
        self._notify(change)

    def _notify(self, change: Change) -> None:
        errors: list[Exception] = []
        for callback in tuple(self._observers):
            try:
                callback(change)
            except Exception as error:  # re-raised below, after every observer ran
                errors.append(error)
        if errors:
            raise errors[0]


def _inventory_fields(quantity: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An inventory's fields: its units, or its variants given as ``{variant: units}``."""
    if isinstance(quantity, Mapping):
        return {"variants": quantity, **fields}
    return {"quantity": quantity, **fields}


class BranchBuilder:
    """Adds steps and gaps to one branch of a map, in flow order: what
    :meth:`ValueStreamMap.add_branch` returns.

    Its methods take what the map's own take (``at`` is a position on the branch, or an
    element of it to insert before) and go through the map's edits: each is validated,
    is one undo step, and is told to observers.
    """

    def __init__(self, m: Map, branch_id: str) -> None:
        self._map = m
        self._id = branch_id

    @property
    def id(self) -> str:
        """The branch's id."""
        return self._id

    @property
    def map(self) -> Map:
        """The map the branch is on."""
        return self._map

    @property
    def branch(self) -> Branch:
        """The branch as it is now on the map."""
        element = self._map.get(self._id)
        assert isinstance(element, Branch)
        return element

    @property
    def steps(self) -> tuple[Process, ...]:
        """The branch's steps, in flow order."""
        return tuple(item for item in self.branch.items if isinstance(item, Process))

    def add_process(
        self, name: str, *, at: int | str | None = None, id: str | None = None, **fields: Any
    ) -> Process:
        """Add a process box to the branch (see :meth:`ValueStreamMap.add_process`)."""
        return self._map._add_step(name, at, id, fields, self._id)

    def add_inventory(
        self,
        quantity: float | str | Mapping[str, float],
        *,
        at: int | str | None = None,
        id: str | None = None,
        **fields: Any,
    ) -> Gap:
        """Add an inventory to the branch (see :meth:`ValueStreamMap.add_inventory`)."""
        return self._map._add_gap(_inventory_fields(quantity, fields), at, id, self._id)

    def add_wait(
        self, wait_time: float | str, *, at: int | str | None = None, id: str | None = None, **fields: Any
    ) -> Gap:
        """Add a wait to the branch (see :meth:`ValueStreamMap.add_wait`)."""
        return self._map._add_gap({"wait_time": wait_time, **fields}, at, id, self._id)

    def add_gap(self, *, at: int | str | None = None, id: str | None = None, **fields: Any) -> Gap:
        """Add a gap with any gap fields to the branch (see :meth:`ValueStreamMap.add_gap`)."""
        return self._map._add_gap(fields, at, id, self._id)

    def __repr__(self) -> str:
        branch = self.branch
        how = f"after {branch.after} " if branch.after else ""
        return f"<Branch {self._id} {how}into {branch.into}: {len(self.steps)} steps>"


_FLOW_END_KINDS = ("customer", "supplier", "control", "process", "gap", "shipment")
_GROUPS = {
    "process": "stream",
    "gap": "stream",
    "shipment": "shipments",
    "flow": "flows",
    "burst": "bursts",
    "branch": "branches",
    "rework": "reworks",
}
_COUNTED_ID = re.compile(r"^([pgsfkbr])(\d{1,9})$")


def _path_items(state: MapState, item_id: str) -> tuple[str, tuple[StreamItem, ...]]:
    """The id of the path a step or gap is on, and that path's items."""
    for path, items in state.by_path:
        if any(item.id == item_id for item in items):
            return path, items
    raise KeyError(item_id)  # pragma: no cover - callers found the item first


def _with_path(state: MapState, path: str, items: tuple[StreamItem, ...]) -> MapState:
    """``state`` with the items of one path (the main stream or a branch) replaced."""
    if path == MAIN:
        return dataclasses.replace(state, stream=items)
    branches = tuple(dataclasses.replace(b, items=items) if b.id == path else b for b in state.branches)
    return dataclasses.replace(state, branches=branches)


def _replaced(state: MapState, replacements: Mapping[str, StreamItem]) -> MapState:
    """``state`` with the steps or gaps of these ids replaced, on whichever paths they are."""
    new = state
    for path, items in state.by_path:
        if any(item.id in replacements for item in items):
            new = _with_path(new, path, tuple(replacements.get(item.id, item) for item in items))
    return new


def _nested(state: MapState, branch_id: str) -> set[str]:
    """The branch and every branch that feeds, or splits off after, a step on one of them."""
    found = {branch_id}
    grew = True
    while grew:
        steps = {item.id for b in state.branches if b.id in found for item in b.items}
        more = {b.id for b in state.branches if b.into in steps or b.after in steps} - found
        found |= more
        grew = bool(more)
    return found


def _settle_variants(gap: Gap, values: dict[str, Any]) -> dict[str, Any]:
    """Keep a gap's quantity equal to the sum of its variants.

    New variants set the quantity (a quantity given with them must match their sum).
    A quantity alone on a gap that counts variants must match their sum too: changing
    the total would silently drop the breakdown, so the user is told to change the
    variants, or to clear them with ``variants=None`` in the same edit.
    """
    if "variants" in values:
        variants = values["variants"]
        if not variants:
            return values
        total = math.fsum(q for _, q in variants)
        given = values.get("quantity")
        if given is not None and not math.isclose(given, total):
            raise ValidationError(
                "quantity",
                given,
                f"it differs from the sum of the variants ({display.format_number(total)})",
                gap.id,
            )
        return {**values, "quantity": total}
    if "quantity" in values and gap.variants:
        total = math.fsum(q for _, q in gap.variants)
        given = values["quantity"]
        if given is None or not math.isclose(given, total):
            listed = ", ".join(f"{name} {display.format_number(q)}" for name, q in gap.variants)
            raise ValidationError(
                "quantity",
                given,
                f"this gap counts variants ({listed}); change the variants, "
                "or give variants=None with the new quantity",
                gap.id,
            )
        return {**values, "quantity": total}
    return values


#: Per kind with durations: their names, in declared order (the typed units' order).
_DURATIONS: dict[str, tuple[str, ...]] = {
    kind: names
    for kind in KINDS
    if (names := tuple(spec.name for spec in declared(kind) if spec.kind == "duration"))
}


def _typed(kind: str, element: Any, given: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the element's typed units brought up to date.

    A duration given as text in one unit ("1 h", "90 s") remembers that unit, so views
    show it back in it; text in other units ("1 h 30 min", "2 wk") or clearing the field
    forgets it. A plain number of seconds (from Python, a frame, a bare "45") says nothing
    about how to show it, so the unit stays. Units given outright (``units={...}``) are
    taken as they are.
    """
    durations = _DURATIONS.get(kind, ())
    touched = [name for name in given if name in durations]
    if not touched or "units" in given:
        return values
    record = dict(getattr(element, "units", ()))
    for name in touched:
        raw = given[name]
        unit = None if values[name] is None else units.typed_unit(raw)
        if unit in TYPED_UNITS:
            record[name] = unit
        elif values[name] is None or (isinstance(raw, str) and not _bare_number(raw)):
            record.pop(name, None)
    order = {name: i for i, name in enumerate(durations)}
    return {**values, "units": tuple(sorted(record.items(), key=lambda pair: order[pair[0]]))}


def _distributed(
    kind: str,
    element: Any,
    given: Mapping[str, Any],
    values: dict[str, Any],
    state: MapState,
    target: str | None = None,
) -> dict[str, Any]:
    """``values`` with the element's distributions brought up to date.

    A duration given as a distribution (or its text) keeps its mean in the field (the
    parser stored it) and the distribution in ``distributions``; one given as a plain
    duration, or cleared, forgets its distribution. ``distributions`` given outright
    replace the record, and each field named there takes its distribution's mean (a
    field given beside it must hold that mean).
    """
    durations = _DURATIONS[kind]
    if "distributions" in given:
        record = dict(values["distributions"])
        for name, dist in record.items():
            # A mean written through a spreadsheet may come back rounded in its last digit.
            if name in given and (values[name] is None or not math.isclose(values[name], dist.mean)):
                raise ValidationError(
                    name,
                    given[name],
                    f"it is given beside a distribution of {name} whose mean is "
                    f"{dist.mean!r} s; give one of them",
                    target,
                )
            values[name] = dist.mean
        return values
    touched = [name for name in given if name in durations]
    if not touched:
        return values
    record = dict(getattr(element, "distributions", ()))
    for name in touched:
        raw = given[name]
        if isinstance(raw, dists.Distribution):
            record[name] = raw
        elif dists.is_text(raw):
            record[name] = _distribution_text(raw, state)
        else:
            record.pop(name, None)
    order = {name: i for i, name in enumerate(durations)}
    return {**values, "distributions": tuple(sorted(record.items(), key=lambda pair: order[pair[0]]))}


def _check_means(item: Process | Gap) -> None:
    """Each duration given as a distribution holds its mean (validate_state's rule)."""
    for name, dist in item.distributions:
        if getattr(item, name) != dist.mean:
            raise ValidationError(
                name,
                getattr(item, name),
                f"it must be the mean of its distribution {dist.text()} ({dist.mean!r} s)",
                item.id,
            )


_BARE_NUMBER = re.compile(r"\s*[+-]?[\d.,_]+(?:[eE][+-]?\d+)?\s*")


def _bare_number(text: str) -> bool:
    """Text of a number alone (seconds, with no unit typed)."""
    return _BARE_NUMBER.fullmatch(text) is not None


def _expand_available_time(fields: Mapping[str, Any], state: MapState) -> dict[str, Any]:
    """Turn the ``available_time`` shorthand into shifts, shift length and zero breaks.

    Available time is net working time (breaks already taken off), as in *Learning to
    See*'s "27,600 seconds available per shift". A shift count, shift length or break
    given alongside it must agree with it.
    """
    fields = dict(fields)
    raw = fields.pop("available_time")
    try:
        shifts, length = (1, None) if raw is None else units.parse_shifts(raw)
        if length is not None and length <= 0:
            raise units.UnitError(f"{units._show(raw)} has no working time; give e.g. '2 x 27600 s' or '8 h'")
    except units.UnitError as error:
        raise ValidationError("available_time", raw, str(error)) from None
    implied: dict[str, Any] = {"shifts": shifts, "shift_length": length, "breaks": 0.0}
    for name, meant in implied.items():
        given = fields.get(name)
        if given is None:
            continue
        parsed = parse_field("customer", name, given, state)
        same = parsed == meant if meant is None or parsed is None else math.isclose(parsed, meant)
        if not same:
            raise ValidationError(
                name,
                given,
                f"it contradicts available_time {units._show(raw)}; give available_time alone "
                "(net of breaks, e.g. '2 x 27600 s'), or shifts, shift_length and breaks",
            )
    fields.update(implied)
    return fields


def _check_calendar(customer: Customer, changed: set[str] | None = None) -> None:
    """The customer's calendar is possible: breaks fit in a shift, shifts fit in a day."""
    changed = changed or set()
    if customer.shift_length is not None:
        if customer.breaks >= customer.shift_length:
            raise ValidationError(
                "breaks",
                customer.breaks,
                f"breaks must be shorter than the shift ({_SHOWN.shift(customer.shift_length)})",
                "customer",
            )
        if customer.shifts * customer.shift_length > units.SECONDS_PER_CALENDAR_DAY + 1e-9:
            field_name = "shifts" if "shifts" in changed and "shift_length" not in changed else "shift_length"
            raise ValidationError(
                field_name,
                getattr(customer, field_name),
                f"{customer.shifts} shifts of {_SHOWN.shift(customer.shift_length)} exceed 24 hours a day",
                "customer",
            )
    most = PERIODS[customer.period]
    if customer.working_days is not None and customer.working_days > most:
        field_name = "period" if "period" in changed and "working_days" not in changed else "working_days"
        raise ValidationError(
            field_name,
            getattr(customer, field_name),
            f"a {customer.period} has at most {most} working day{'s' * (most != 1)}, "
            f"but working_days is {display.format_number(customer.working_days)}",
            "customer",
        )


def _check_step_name(state: MapState, step: Process) -> None:
    """A step's name is unique among steps and is not another element's id."""
    for other in state.all_items:
        if isinstance(other, Process) and other.name == step.name and other.id != step.id:
            raise ValidationError("name", step.name, "another step already has this name", step.id)
    if step.name != step.id and (step.name in state.ids() or step.name in _RESERVED_IDS):
        raise ValidationError(
            "name", step.name, "that is the id of another element; pick another name", step.id
        )


def _check_burst_chain(state: MapState, burst: Burst, on: Mapping[str, str | None] | None = None) -> None:
    """A burst sits on an element, or on a burst that does: never on itself, in a ring.

    ``on`` maps each burst's id to its target (built from ``state`` if not given).
    """
    if burst.target == burst.id:
        raise ValidationError("target", burst.target, "a kaizen burst cannot sit on itself", burst.id)
    if on is None:
        on = {other.id: other.target for other in state.bursts}
    seen = [burst.id]
    target = burst.target
    while target in on:
        if target in seen:
            ring = ", ".join(seen)
            raise ValidationError(
                "target",
                burst.target,
                f"the bursts {ring} would sit on each other in a ring; "
                "put one on a step, a gap or the whole map",
                burst.id,
            )
        seen.append(target)
        target = on[target]


def _check_stream(state: MapState, target: str | None = None) -> None:
    """Stream rules: unique ids and step names, never two gaps side by side on one path,
    and branches and rework loops in a shape the figures can follow (see :func:`_check_shape`).
    """
    seen: set[str] = set(_RESERVED_IDS)
    for group in (state.shipments, state.flows, state.bursts, state.branches, state.reworks):
        for other in group:
            if other.id in seen:
                raise ValidationError("id", other.id, "that id is used twice", other.id)
            seen.add(other.id)
    names: dict[str, str] = {}
    for _, items in state.by_path:
        previous_gap: Gap | None = None
        for item in items:
            if item.id in seen:
                raise ValidationError("id", item.id, "that id is used twice", item.id)
            seen.add(item.id)
            if isinstance(item, Process):
                if item.name in names:
                    raise ValidationError("name", item.name, "another step already has this name", item.id)
                names[item.name] = item.id
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
    for name, owner in names.items():
        if name != owner and name in seen:
            raise ValidationError("name", name, "that is the id of another element; pick another name", owner)
    _check_shape(state, target)


def _check_shape(state: MapState, target: str | None = None) -> None:
    """Branches feed and split off after steps that exist, and never form a loop; a rework
    loop runs from a step back to the same step or to one upstream of it, and sends
    back less than all of its items.

    ``target`` is the element being edited, named by the error where the error is its.
    """
    if not state.branches and not state.reworks:
        return
    steps = {step.id for step in state.all_steps}
    for branch in state.branches:
        if branch.into not in steps:
            raise ValidationError(
                "into", branch.into, "no step with this id on the map; a branch feeds a step", branch.id
            )
        if branch.after is not None and branch.after not in steps:
            raise ValidationError(
                "after",
                branch.after,
                "no step with this id on the map; a branch splits off after a step",
                branch.id,
            )
    hops = flow_edges(state)
    following = successors(hops)
    circle = step_order(hops)[1]
    if circle:
        # Blame the branch being edited if it is in the circle, else the first one that is.
        suspects = sorted(state.branches, key=lambda b: b.id != target)
        for branch in suspects:
            own = {item.id for item in branch.items} | {branch.after, branch.into}
            if own & circle:
                field_name = "after" if branch.after in circle else "into"
                raise ValidationError(
                    field_name,
                    getattr(branch, field_name),
                    "the branches would flow in a circle; only a rework loop (add_rework) goes back upstream",
                    branch.id,
                )
    for loop in state.reworks:
        for end in ("source", "target"):
            if getattr(loop, end) not in steps:
                raise ValidationError(
                    end,
                    getattr(loop, end),
                    "a rework loop runs between two steps: no step with this id",
                    loop.id,
                )
        if loop.source not in downstream(following, loop.target):
            raise ValidationError(
                "target",
                loop.target,
                f"a rework loop goes back to {loop.source} itself or to a step upstream of it; "
                "this one is not",
                loop.id,
            )


def validate_state(state: MapState, *, proven: frozenset[str] = frozenset()) -> MapState:
    """Check a whole state made outside the editing methods; return it unchanged.

    Every field of every element must be a value its parser would store (seconds,
    shares from 0 to 1, known choices...), every id valid and unique, step names
    unique, no two gaps side by side, each gap's quantity the sum of its variants, and
    every flow and burst must point at an element on the map (no burst on itself,
    nor bursts on each other in a ring). Raises
    :class:`ValidationError` naming the element and field at fault.

    ``proven`` names kinds of value (:data:`~vsm_widget.core.fields.VALUE_KINDS`) whose
    fields the caller has already checked to hold what their parsers store: the
    document loader, whose JSON Schema check proves every number's type and range and
    every choice, and which stores them as the parsers do. Those fields are not read
    again; every other field and every whole-map rule is.
    """
    if not isinstance(state, MapState):
        raise ValidationError("state", state, "give a MapState (such as another map's .state)")
    _check_fields(state, "map", state, "map", proven)
    if not isinstance(state.customer, Customer):
        raise ValidationError("customer", state.customer, "give a Customer", "customer")
    _check_fields(state, "customer", state.customer, "customer", proven)
    _check_calendar(state.customer)
    for name, cls in (("supplier", Supplier), ("control", Control)):
        element = getattr(state, name)
        if element is not None:
            if not isinstance(element, cls):
                raise ValidationError(name, element, f"give a {cls.__name__} or None", name)
            _check_fields(state, name, element, name, proven)
    branches = state.branches
    if not isinstance(branches, tuple) or not all(isinstance(b, Branch) for b in branches):
        raise ValidationError("branches", branches, "give a tuple of Branch")
    for group, allowed in (
        ("stream", (Process, Gap)),
        ("shipments", (Shipment,)),
        ("flows", (InfoFlow,)),
        ("bursts", (Burst,)),
        ("branches", (Branch,)),
        ("reworks", (Rework,)),
        *((f"branches[{b.id}].items", (Process, Gap)) for b in branches),
    ):
        items = _group(state, group)
        if not isinstance(items, tuple):
            raise ValidationError(group, items, "give a tuple of elements")
        for item in items:
            if not isinstance(item, allowed):
                raise ValidationError(group, item, f"holds only {' and '.join(c.__name__ for c in allowed)}")
            if not isinstance(item.id, str) or not _ID_PATTERN.match(item.id):
                raise ValidationError(
                    "id", item.id, "an id starts with a letter and has at most 64 characters", group
                )
            _check_fields(state, item.kind, item, item.id, proven)
            if item.__class__ in (Process, Gap) and item.distributions:
                _check_means(item)
            if isinstance(item, Gap) and item.variants:
                total = math.fsum(q for _, q in item.variants)
                if item.quantity is None or not math.isclose(item.quantity, total):
                    raise ValidationError(
                        "quantity",
                        item.quantity,
                        f"it must be the sum of the variants ({display.format_number(total)})",
                        item.id,
                    )
    _check_stream(state)
    known = state.ids()
    ends = known - {"map"}
    ends -= {
        item.id for group in (state.flows, state.bursts, state.branches, state.reworks) for item in group
    }
    for flow in state.flows:
        for end in ("source", "target"):
            if getattr(flow, end) not in ends:
                raise ValidationError(
                    end, getattr(flow, end), "no element with this id that a flow can connect", flow.id
                )
        if flow.source == flow.target:
            raise ValidationError("target", flow.target, "a flow needs two different ends", flow.id)
    on = {burst.id: burst.target for burst in state.bursts}
    for burst in state.bursts:
        if burst.target is not None and (burst.target not in known or burst.target == "map"):
            raise ValidationError("target", burst.target, "no element with this id on the map", burst.id)
        if burst.target is not None:
            _check_burst_chain(state, burst, on)
    _check_spreads(state)
    return state


def _group(state: MapState, group: str) -> Any:
    """One group of elements of ``state`` by name (``"branches[b1].items"`` for a branch's)."""
    if group.startswith("branches["):
        wanted = group[len("branches[") : group.index("]")]
        return next(b.items for b in state.branches if b.id == wanted)
    return getattr(state, group)


def _check_spreads(state: MapState) -> None:
    """Each measured spread is well formed; one per element and field.

    A spread whose element was removed by a later edit is allowed here (it is not
    drawn, and documents leave it out), so that copying an edited map's state works.
    """
    if not isinstance(state.measured, tuple):
        raise ValidationError("measured", state.measured, "give a tuple of Spread")
    seen: set[tuple[str, str]] = set()
    for spread in state.measured:
        if not isinstance(spread, Spread):
            raise ValidationError("measured", spread, "holds only Spread")
        kinds = [kind for kind, fields in SPREAD_FIELDS.items() if spread.field in fields]
        if not kinds:
            allowed = ", ".join(f for fields in SPREAD_FIELDS.values() for f in fields)
            raise ValidationError(
                "measured", spread.field, f"a spread belongs to one of {allowed}", spread.target
            )
        values = (spread.p15, spread.median, spread.p85)
        if not all(v.__class__ is float and 0.0 <= v <= MAX_DURATION for v in values):
            raise ValidationError(
                "measured", values, "p15, median and p85 are seconds (floats)", spread.target
            )
        if not spread.p15 <= spread.median <= spread.p85:
            raise ValidationError("measured", values, "p15 <= median <= p85", spread.target)
        if spread.n.__class__ is not int or spread.n < 1:
            raise ValidationError(
                "measured", spread.n, "n counts the measured values: at least 1", spread.target
            )
        if spread.basis.__class__ is not str or len(spread.basis) > MAX_NAME_LENGTH:
            raise ValidationError("measured", spread.basis, "the basis is a short text", spread.target)
        if (spread.target, spread.field) in seen:
            raise ValidationError("measured", spread.field, "one spread per element and field", spread.target)
        seen.add((spread.target, spread.field))


def _check_fields(
    state: MapState, kind: str, element: Any, target: str, proven: frozenset[str] = frozenset()
) -> None:
    """Each field of ``element`` holds exactly what its parser would store (those of the
    ``proven`` kinds of value are taken as checked).
    """
    quick = _quick_checks(kind, proven)
    if quick is None:
        return  # every field is of a proven kind
    getter, tests = quick
    # Fast path: every value already in stored form (a map loaded from a document).
    for test, value in zip(tests, getter(element), strict=True):
        if not test(value):
            break
    else:
        return
    for name, parser, accepts in _FIELD_CHECKS[kind]:
        value = getattr(element, name)
        if accepts is not None and accepts(value):
            continue
        try:
            parsed = parser(value, state)
        except (units.UnitError, ValueError, TypeError) as error:
            raise ValidationError(name, value, str(error), target) from None
        if parsed != value:
            raise ValidationError(name, value, f"store it as {parsed!r}", target)


# --------------------------------------------------------------------------- the map class in use

# The class the lower layers make maps of: the core's Map until the package's top layer
# registers ValueStreamMap (vsm_widget/__init__.py imports it), so a map read from a file,
# a frame or an event log is the coach-facing class without those layers importing it.
_map_class: type[Map] = Map


def register_map_class(cls: type[Map]) -> None:
    """Make ``cls`` (a subclass of :class:`Map`) the class :func:`new_map` builds."""
    global _map_class
    if not (isinstance(cls, type) and issubclass(cls, Map)):
        raise TypeError(f"register_map_class() takes a subclass of Map, not {cls!r}")
    _map_class = cls


def new_map(title: str = "Value stream", **options: Any) -> Map:
    """A new empty map of the registered class (see :class:`Map` for the options)."""
    return _map_class(title, **options)


def map_from_state(state: MapState, *, proven: frozenset[str] = frozenset()) -> Map:
    """A map of the registered class holding ``state`` (validated, ``proven`` as in
    :func:`validate_state`), with no history.
    """
    return _map_class.from_state(state, proven=proven)
