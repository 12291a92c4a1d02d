"""Distributions of durations: the variability a duration field may hold instead of a number.

``exponential("4 min")``, ``triangular("3 min", "4 min", "8 min")``,
``lognormal("4 min", "1 min")`` (mean and standard deviation) and ``empirical(series)``
(measured times, resampled) each know their mean (what a map's static figures use), their
spread for display (:attr:`~Distribution.p10`, :attr:`~Distribution.p90`), how to draw
samples (:meth:`~Distribution.sample`), and how to travel in a document
(:meth:`~Distribution.to_dict`, :func:`from_dict`). They are immutable and compare equal
by value.

Each has a text form a coach types in a map's details panel or a frame's cell:
``"triangular(40 s, 55 s, 90 s)"``, ``"exponential(1 min)"``, ``"lognormal(4 min, 1 min)"``,
``"empirical(40 s, 52 s, 61 s)"``. :func:`parse` reads it and :meth:`Distribution.text`
writes it, exactly (the text reads back to the same seconds). Arguments are separated by
commas, so an amount in it is written without a thousands separator.

Every duration is stored in seconds. Arguments are read by
:func:`vsm_widget.core.units.parse_duration`: numbers are seconds, text carries its unit
(``"90 s"``, ``"1.5 h"``), a ``timedelta`` is exact. Text in days or weeks is refused:
outside a map a day has no length (a map's day is a *working* day), so give hours.

A refused argument raises :class:`~vsm_widget.core.model.ValidationError` naming the
parameter and the reason.

This module is pure Python (standard library beside :mod:`vsm_widget.core.units`); numpy is
used only through the generator handed to :meth:`~Distribution.sample`.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, ClassVar

from . import units
from .errors import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "KINDS",
    "MAX_VALUES",
    "Distribution",
    "Empirical",
    "Exponential",
    "Lognormal",
    "Triangular",
    "empirical",
    "exponential",
    "from_dict",
    "is_text",
    "lognormal",
    "parse",
    "triangular",
]

#: The longest duration a distribution takes (ten calendar years, as any field).
MAX_SECONDS = 10 * 366 * units.SECONDS_PER_CALENDAR_DAY
#: The most measured values an empirical distribution keeps.
MAX_VALUES = 1_000_000
#: The most measured values an empirical distribution keeps in a map's field: its text
#: form must fit one spreadsheet cell (32,767 characters) in a frame or a workbook.
MAX_FIELD_VALUES = 1_000
_STANDARD_NORMAL = NormalDist()


def _error(kind: str, field: str, value: object, reason: str) -> ValidationError:
    return ValidationError(field, value, reason, kind)


def _seconds(kind: str, field: str, value: object) -> float:
    """``value`` as seconds, by :func:`units.parse_duration`, without day or week units."""
    try:
        seconds = units.parse_duration(value)
        if isinstance(value, str) and units.parse_duration(value, day=1.0, week=1.0) != seconds:
            # Its amount changed with the length of a day: it counts days or weeks.
            raise units.UnitError(
                f"{units._show(value)} counts days or weeks, which have no length outside a map "
                "(a map's day is a working day); give hours, e.g. '16 h'"
            )
    except units.UnitError as error:
        raise _error(kind, field, value, str(error)) from None
    if seconds > MAX_SECONDS:
        raise _error(kind, field, value, f"{units._show(value)} is longer than ten years; check the unit")
    return seconds


def _check_stored(kind: str, field: str, value: object, *, positive: bool = False) -> float:
    """A stored parameter: a finite float of seconds within the limits."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _error(kind, field, value, f"{units._show(value)} is not a number of seconds")
    number = float(value)
    if not math.isfinite(number):
        raise _error(kind, field, value, f"{units._show(value)} is not a finite number of seconds")
    if number < 0:
        raise _error(kind, field, value, f"{units._show(value)} is negative; a duration must be zero or more")
    if positive and number == 0:
        raise _error(kind, field, value, "it must be more than zero")
    if number > MAX_SECONDS:
        raise _error(kind, field, value, f"{units._show(value)} is longer than ten years")
    return number + 0.0


_SECONDS_PER = (("h", 3600.0), ("min", 60.0), ("s", 1.0))


def _duration_text(seconds: float) -> str:
    """``seconds`` as the shortest exact text: ``"4 min"``, ``"1.5 h"``, ``"247.3 s"``.

    Exact, so that the text reads back to the same float; never in days (see the module).
    """
    for unit, size in _SECONDS_PER:
        if seconds < size and unit != "s":
            continue
        amount = seconds / size
        text = repr(amount)
        text = text[:-2] if text.endswith(".0") else text
        if float(text) * size == seconds and len(text) <= 6:
            return f"{text} {unit}"
    text = repr(seconds)
    return f"{text[:-2] if text.endswith('.0') else text} s"


def _amount_text(seconds: float, size: float) -> str | None:
    """``seconds`` in units of ``size`` seconds, if that text reads back exactly."""
    text = repr(seconds / size)
    text = text[:-2] if text.endswith(".0") else text
    return text if float(text) * size == seconds and len(text) <= 6 else None


def _texts(values: tuple[float, ...]) -> list[str]:
    """Each of ``values`` as exact duration text, all in one unit where one suits them all."""
    for unit, size in _SECONDS_PER:
        if unit != "s" and min(values) < size:
            continue
        amounts = [_amount_text(v, size) for v in values]
        if all(a is not None for a in amounts):
            return [f"{a} {unit}" for a in amounts]
    return [_duration_text(v) for v in values]


class Distribution:
    """A distribution of a duration in seconds (base of the four kinds)."""

    kind: ClassVar[str] = ""

    @property
    def mean(self) -> float:
        """The mean duration in seconds: what a map's static figures use."""
        raise NotImplementedError

    @property
    def sd(self) -> float:
        """The standard deviation in seconds."""
        raise NotImplementedError

    @property
    def cv(self) -> float:
        """The coefficient of variation (standard deviation / mean); 0 for a zero mean."""
        return self.sd / self.mean if self.mean > 0 else 0.0

    def quantile(self, q: float) -> float:
        """The duration (s) below which a share ``q`` (0 to 1) of samples fall."""
        raise NotImplementedError

    @property
    def p10(self) -> float:
        """The 10th percentile (s): the short end of the range a data box shows."""
        return self.quantile(0.1)

    @property
    def p90(self) -> float:
        """The 90th percentile (s): the long end of the range a data box shows."""
        return self.quantile(0.9)

    @property
    def spread(self) -> tuple[float, float]:
        """``(p10, p90)`` in seconds: the range of the middle 80% of durations."""
        return self.p10, self.p90

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` durations (s) drawn with the numpy generator ``rng``, as a float array."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The distribution as plain, JSON-ready data (seconds), for documents."""
        raise NotImplementedError

    @property
    def parameters(self) -> tuple[float, ...]:
        """The figures (s) its text form lists, in order."""
        raise NotImplementedError

    def text(self) -> str:
        """The text form :func:`parse` reads back exactly: ``"triangular(40 s, 55 s, 90 s)"``,
        every figure in the largest unit that writes them all exactly.
        """
        return f"{self.kind}({', '.join(_texts(self.parameters))})"

    def _check_quantile(self, q: float) -> float:
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 <= q <= 1:
            raise _error(self.kind, "q", q, "a quantile's share must be a number from 0 to 1")
        return float(q)


@dataclass(frozen=True, slots=True, repr=False)
class Exponential(Distribution):
    """Exponential durations with mean ``mean`` seconds: memoryless, as in M/M/1 queues."""

    kind: ClassVar[str] = "exponential"
    mean_time: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean_time", _check_stored(self.kind, "mean", self.mean_time, positive=True))

    @property
    def mean(self) -> float:
        """The mean duration in seconds."""
        return self.mean_time

    @property
    def sd(self) -> float:
        """The standard deviation in seconds (equal to the mean)."""
        return self.mean_time

    def quantile(self, q: float) -> float:
        """``-mean x ln(1 - q)`` seconds."""
        q = self._check_quantile(q)
        return math.inf if q == 1 else -self.mean_time * math.log1p(-q)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` exponential durations (s)."""
        return rng.exponential(self.mean_time, n)

    def to_dict(self) -> dict[str, Any]:
        """``{"distribution": "exponential", "mean": seconds}``."""
        return {"distribution": self.kind, "mean": self.mean_time}

    @property
    def parameters(self) -> tuple[float, ...]:
        """``(mean,)``."""
        return (self.mean_time,)

    def __repr__(self) -> str:
        return f'exponential("{_duration_text(self.mean_time)}")'


@dataclass(frozen=True, slots=True, repr=False)
class Triangular(Distribution):
    """Triangular durations from ``low`` to ``high`` seconds, most often ``mode``.

    The three figures a team can estimate from experience: shortest, usual, longest.
    """

    kind: ClassVar[str] = "triangular"
    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        for name in ("low", "mode", "high"):
            object.__setattr__(self, name, _check_stored(self.kind, name, getattr(self, name)))
        if self.mode < self.low:
            raise _error(self.kind, "mode", self.mode, f"the mode is below low ({_duration_text(self.low)})")
        if self.mode > self.high:
            raise _error(
                self.kind, "mode", self.mode, f"the mode is above high ({_duration_text(self.high)})"
            )
        if self.high == self.low:
            raise _error(
                self.kind, "high", self.high, "high equals low: that is a fixed time, give it as a number"
            )

    @property
    def mean(self) -> float:
        """``(low + mode + high) / 3`` seconds."""
        return (self.low + self.mode + self.high) / 3

    @property
    def sd(self) -> float:
        """``sqrt((a² + b² + c² - ab - ac - bc) / 18)`` seconds."""
        a, c, b = self.low, self.mode, self.high
        return math.sqrt(max(0.0, (a * a + b * b + c * c - a * b - a * c - b * c) / 18))

    def quantile(self, q: float) -> float:
        """The inverse of the triangular distribution function, in seconds."""
        q = self._check_quantile(q)
        a, c, b = self.low, self.mode, self.high
        split = (c - a) / (b - a)
        if q <= split:
            return a + math.sqrt(q * (b - a) * (c - a))
        return b - math.sqrt((1 - q) * (b - a) * (b - c))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` triangular durations (s)."""
        return rng.triangular(self.low, self.mode, self.high, n)

    def to_dict(self) -> dict[str, Any]:
        """``{"distribution": "triangular", "low": s, "mode": s, "high": s}``."""
        return {"distribution": self.kind, "low": self.low, "mode": self.mode, "high": self.high}

    @property
    def parameters(self) -> tuple[float, ...]:
        """``(low, mode, high)``."""
        return (self.low, self.mode, self.high)

    def __repr__(self) -> str:
        parts = ", ".join(f'"{_duration_text(v)}"' for v in (self.low, self.mode, self.high))
        return f"triangular({parts})"


@dataclass(frozen=True, slots=True, repr=False)
class Lognormal(Distribution):
    """Lognormal durations with mean ``mean_time`` and standard deviation ``sd_time`` seconds.

    Skewed to the right, never negative: how hands-on times of office work usually look.
    """

    kind: ClassVar[str] = "lognormal"
    mean_time: float
    sd_time: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean_time", _check_stored(self.kind, "mean", self.mean_time, positive=True))
        object.__setattr__(self, "sd_time", _check_stored(self.kind, "sd", self.sd_time, positive=True))

    @property
    def mean(self) -> float:
        """The mean duration in seconds."""
        return self.mean_time

    @property
    def sd(self) -> float:
        """The standard deviation in seconds."""
        return self.sd_time

    @property
    def sigma(self) -> float:
        """The standard deviation of the log: ``sqrt(ln(1 + sd² / mean²))``."""
        return math.sqrt(math.log1p((self.sd_time / self.mean_time) ** 2))

    @property
    def mu(self) -> float:
        """The mean of the log: ``ln(mean) - sigma² / 2``."""
        return math.log(self.mean_time) - self.sigma**2 / 2

    def quantile(self, q: float) -> float:
        """``exp(mu + sigma x z_q)`` seconds."""
        q = self._check_quantile(q)
        if q in (0.0, 1.0):
            return 0.0 if q == 0 else math.inf
        return math.exp(self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(q))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` lognormal durations (s)."""
        return rng.lognormal(self.mu, self.sigma, n)

    def to_dict(self) -> dict[str, Any]:
        """``{"distribution": "lognormal", "mean": s, "sd": s}``."""
        return {"distribution": self.kind, "mean": self.mean_time, "sd": self.sd_time}

    @property
    def parameters(self) -> tuple[float, ...]:
        """``(mean, sd)``."""
        return (self.mean_time, self.sd_time)

    def __repr__(self) -> str:
        return f'lognormal("{_duration_text(self.mean_time)}", "{_duration_text(self.sd_time)}")'


@dataclass(frozen=True, slots=True, repr=False)
class Empirical(Distribution):
    """Measured durations (seconds), drawn again with replacement (a bootstrap).

    For the hands-on times of a stage taken from an event log, or stopwatch readings.
    ``values`` are kept sorted: two samples of the same readings are equal.
    """

    kind: ClassVar[str] = "empirical"
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        values = self.values
        if not isinstance(values, tuple):
            raise _error(self.kind, "values", values, "give the measured durations as a tuple of seconds")
        if not values:
            raise _error(self.kind, "values", values, "there are no measured durations")
        if len(values) > MAX_VALUES:
            raise _error(
                self.kind, "values", values, f"{len(values):,} values are too many; at most {MAX_VALUES:,}"
            )
        checked = [_check_stored(self.kind, f"values[{i}]", v) for i, v in enumerate(values)]
        object.__setattr__(self, "values", tuple(sorted(checked)))

    @property
    def mean(self) -> float:
        """The mean of the measured durations (s)."""
        return math.fsum(self.values) / len(self.values)

    @property
    def sd(self) -> float:
        """The standard deviation of the measured durations (s, the population figure:
        that of the samples drawn).
        """
        mean = self.mean
        return math.sqrt(math.fsum((v - mean) ** 2 for v in self.values) / len(self.values))

    def quantile(self, q: float) -> float:
        """The measured duration at share ``q``, interpolated linearly between readings
        (numpy's default ``linear`` method).
        """
        q = self._check_quantile(q)
        values = self.values
        position = q * (len(values) - 1)
        below = math.floor(position)
        above = min(below + 1, len(values) - 1)
        return values[below] + (values[above] - values[below]) * (position - below)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` of the measured durations, drawn with replacement."""
        import numpy as np

        return np.asarray(self.values, dtype=float)[rng.integers(0, len(self.values), n)]

    def to_dict(self) -> dict[str, Any]:
        """``{"distribution": "empirical", "values": [s, ...]}`` (sorted)."""
        return {"distribution": self.kind, "values": list(self.values)}

    @property
    def parameters(self) -> tuple[float, ...]:
        """The measured values, sorted."""
        return self.values

    def share_below(self, seconds: float) -> float:
        """The share of readings at or below ``seconds``."""
        return bisect.bisect_right(self.values, seconds) / len(self.values)

    def __repr__(self) -> str:
        shown = ", ".join(f'"{_duration_text(v)}"' for v in self.values[:3])
        more = f", ... ({len(self.values):,} values)" if len(self.values) > 3 else ""
        return f"empirical([{shown}{more}])"


#: The kinds, by the name documents give them.
KINDS: dict[str, type[Distribution]] = {
    cls.kind: cls for cls in (Exponential, Triangular, Lognormal, Empirical)
}


def exponential(mean: object) -> Exponential:
    """Exponential durations with this mean: ``exponential("4 min")``."""
    return Exponential(_seconds("exponential", "mean", mean))


def triangular(low: object, mode: object, high: object) -> Triangular:
    """Triangular durations: shortest, most usual, longest.

    >>> triangular("3 min", "4 min", "8 min").mean
    300.0
    """
    kind = "triangular"
    return Triangular(_seconds(kind, "low", low), _seconds(kind, "mode", mode), _seconds(kind, "high", high))


def lognormal(mean: object, sd: object) -> Lognormal:
    """Lognormal durations with this mean and standard deviation: ``lognormal("4 min", "1 min")``."""
    return Lognormal(_seconds("lognormal", "mean", mean), _seconds("lognormal", "sd", sd))


def empirical(values: Iterable[object]) -> Empirical:
    """Measured durations, resampled: ``empirical(log["hands_on"])`` (a Series, a list...).

    Each value is read as a duration (numbers are seconds; ``Timedelta`` values are exact);
    a missing value (``None``, NaN, NaT) is refused, not skipped: drop those first.
    """
    kind = "empirical"
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise _error(kind, "values", values, "give the measured durations as a list or a Series")
    seconds: list[float] = []
    for index, value in enumerate(values):
        if index >= MAX_VALUES:
            raise _error(kind, "values", values, f"more than {MAX_VALUES:,} values are too many")
        seconds.append(_seconds(kind, f"values[{index}]", value))
    return Empirical(tuple(seconds))


def from_dict(data: Mapping[str, Any]) -> Distribution:
    """The distribution a :meth:`Distribution.to_dict` wrote (seconds), validated."""
    if not isinstance(data, Mapping):
        raise _error(
            "distribution", "distribution", data, "a distribution is a mapping with a 'distribution' key"
        )
    kind = data.get("distribution")
    if kind not in KINDS:
        raise _error(
            "distribution", "distribution", kind, f"unknown distribution; use one of {', '.join(KINDS)}"
        )
    expected = {
        "exponential": ("mean",),
        "triangular": ("low", "mode", "high"),
        "lognormal": ("mean", "sd"),
        "empirical": ("values",),
    }[kind]
    keys = set(data) - {"distribution"}
    if keys != set(expected):
        raise _error(
            kind, "distribution", sorted(keys), f"a {kind} distribution has the keys {', '.join(expected)}"
        )
    if kind == "empirical":
        values = data["values"]
        if not isinstance(values, (list, tuple)):
            raise _error(kind, "values", values, "give the measured durations as a list of seconds")
        return Empirical(tuple(values))
    return KINDS[kind](*(data[key] for key in expected))


# A distribution's text: a known kind's name, then its arguments in brackets.
_TEXT = re.compile(r"\s*([A-Za-z]+)\s*\((.*)\)\s*", re.DOTALL)
_CALL = re.compile(r"\s*[A-Za-z]+\s*\(")
_ARITY = {
    "exponential": (1, "a mean"),
    "triangular": (3, "low, mode and high"),
    "lognormal": (2, "a mean and sd"),
}
_PARAMETERS = {"exponential": ("mean",), "triangular": ("low", "mode", "high"), "lognormal": ("mean", "sd")}
# The longest text parse reads: the longest empirical a field keeps, and some room.
_MAX_TEXT = MAX_FIELD_VALUES * 24 + 64


def is_text(value: object) -> bool:
    """Whether ``value`` is text written as a distribution (``"name(...)"``): what
    :func:`parse` reads, rather than a plain duration.
    """
    return isinstance(value, str) and _CALL.match(value) is not None


def parse(text: str, *, day: float | None = None, field: str = "distribution") -> Distribution:
    """The distribution ``text`` writes: ``"triangular(40 s, 55 s, 90 s)"``,
    ``"exponential(1 min)"``, ``"lognormal(4 min, 1 min)"``, ``"empirical(40 s, 52 s)"``.

    Each argument is a duration as :func:`units.parse_duration` reads it (a bare number is
    seconds). ``day`` is the length of a day in seconds where days may be given (a map's
    working day); without it, text in days or weeks is refused (see the module). A
    refused text raises :class:`~vsm_widget.core.model.ValidationError` on ``field``.

    >>> parse("triangular(3 min, 4 min, 8 min)").mean
    300.0
    """
    if not isinstance(text, str):
        raise _error("distribution", field, text, "a distribution's text is a string")
    if len(text) > _MAX_TEXT:
        raise _error(
            "distribution", field, text, f"it is {len(text):,} characters long; at most {_MAX_TEXT:,}"
        )
    match = _TEXT.fullmatch(text)
    if match is None:
        raise _error(
            "distribution",
            field,
            text,
            "write a distribution as name(durations), e.g. 'triangular(40 s, 55 s, 90 s)'",
        )
    kind, inside = match.group(1).lower(), match.group(2)
    if kind not in KINDS:
        raise _error(
            "distribution",
            field,
            text,
            f"{match.group(1)!r} is not a distribution; use one of {', '.join(KINDS)}",
        )
    parts = [part.strip() for part in inside.split(",")]
    if parts == [""] or any(not part for part in parts):
        raise _error(kind, field, text, "an argument is empty; separate durations by single commas")
    if kind in _ARITY and len(parts) != _ARITY[kind][0]:
        count, names = _ARITY[kind]
        raise _error(
            kind,
            field,
            text,
            f"a {kind} takes {count} duration{'s' if count > 1 else ''} ({names}); {len(parts)} given",
        )
    if kind == "empirical" and len(parts) > MAX_FIELD_VALUES:
        raise _error(kind, field, text, f"{len(parts):,} values are too many; at most {MAX_FIELD_VALUES:,}")
    names = _PARAMETERS.get(kind) or tuple(f"values[{i}]" for i in range(len(parts)))
    try:
        if day is None:
            seconds = [_seconds(kind, name, part) for name, part in zip(names, parts, strict=True)]
        else:
            seconds = [_day_seconds(kind, name, part, day) for name, part in zip(names, parts, strict=True)]
        if kind == "empirical":
            return Empirical(tuple(seconds))
        return KINDS[kind](*seconds)
    except ValidationError as error:
        # Name the field typed in, and in the reason the parameter at fault.
        raise _error(kind, field, text, f"its {error.field}: {error.reason}") from None


def _day_seconds(kind: str, field: str, value: str, day: float) -> float:
    """``value`` as seconds, days counted as ``day`` seconds (a map's working day)."""
    try:
        seconds = units.parse_duration(value, day=day)
    except units.UnitError as error:
        raise _error(kind, field, value, str(error)) from None
    if seconds > MAX_SECONDS:
        raise _error(kind, field, value, f"{units._show(value)} is longer than ten years; check the unit")
    return seconds
