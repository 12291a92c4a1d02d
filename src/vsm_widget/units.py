"""Durations, ratios and quantities: parse what people type, format what they read.

Every duration is stored in seconds. A "day" is not always 24 hours: on a value stream
map it is usually a *working* day, whose length is the map's available time per day.
The parsers therefore take the length of a day (and of a week) as arguments; the map
passes its own calendar.

This module uses the standard library only.
"""

from __future__ import annotations

import math
import re
from numbers import Real

__all__ = [
    "SECONDS_PER_CALENDAR_DAY",
    "DURATION_UNITS",
    "UnitError",
    "parse_duration",
    "parse_ratio",
    "parse_number",
    "parse_shifts",
    "format_duration",
    "format_ratio",
    "format_number",
    "to_unit",
]

SECONDS_PER_CALENDAR_DAY = 86_400.0

#: Spellings accepted for each unit, mapped to the canonical unit name.
_UNIT_ALIASES: dict[str, str] = {}
for _canonical, _spellings in {
    "ms": ("ms", "msec", "millisecond", "milliseconds"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "min": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "d": ("d", "day", "days"),
    "wk": ("w", "wk", "wks", "week", "weeks"),
}.items():
    for _spelling in _spellings:
        _UNIT_ALIASES[_spelling] = _canonical

#: Canonical duration units, in the order a person would list them.
DURATION_UNITS = ("ms", "s", "min", "h", "d", "wk")

_FIXED_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}

_NUMBER = r"[+-]?(?:\d+(?:[.,_]\d+)*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION_PART = re.compile(rf"\s*({_NUMBER})\s*([a-zA-Z]+)?\s*")
_SHIFTS = re.compile(rf"^\s*({_NUMBER})\s*[x×*]\s*(.+)$")


class UnitError(ValueError):
    """A value that cannot be read as the kind of quantity asked for.

    The message says what was given and what is accepted; callers add the field name.
    """


def _seconds_per_unit(unit: str, day: float, week: float) -> float:
    if unit in _FIXED_SECONDS:
        return _FIXED_SECONDS[unit]
    if unit == "d":
        return day
    return week


def _read_number(text: str) -> float:
    cleaned = text.replace("_", "")
    # A comma is a thousands separator ("1,200") unless it is the only separator and
    # is followed by one or two digits, as in the decimal comma of "1,5".
    if re.fullmatch(r"[+-]?\d+,\d{1,2}", cleaned):
        cleaned = cleaned.replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    return float(cleaned)


def _check_finite(value: float, original: object) -> float:
    if math.isnan(value):
        raise UnitError(f"{original!r} is not a number")
    if math.isinf(value):
        raise UnitError(f"{original!r} is infinite; give a finite amount")
    return value


def parse_duration(
    value: object,
    *,
    day: float = SECONDS_PER_CALENDAR_DAY,
    week: float | None = None,
) -> float:
    """Read a duration and return it in seconds.

    Accepts a number (seconds) or a string of one or more amounts with units:
    ``"90 s"``, ``"1.5 h"``, ``"2 d"``, ``"1 h 30 min"``, ``"45"`` (seconds).
    ``day`` is the length of one day in seconds (a working day on a map);
    ``week`` defaults to five such days. Negative, NaN and infinite values are refused.

    >>> parse_duration("1 h 30 min")
    5400.0
    >>> parse_duration("2 d", day=8 * 3600)
    57600.0
    """
    week_seconds = 5 * day if week is None else week
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a duration; give seconds or text such as '90 s'")
    if isinstance(value, Real):
        seconds = _check_finite(float(value), value)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value, day, week_seconds)
    else:
        raise UnitError(
            f"{value!r} is not a duration; give seconds or text such as '90 s', '1.5 h', '2 d'"
        )
    if seconds < 0:
        raise UnitError(f"{value!r} is negative; a duration must be zero or more")
    return seconds


def _parse_duration_text(text: str, day: float, week: float) -> float:
    stripped = text.strip()
    if not stripped:
        raise UnitError("an empty text is not a duration; give e.g. '90 s', '1.5 h', '2 d'")
    total = 0.0
    position = 0
    parts = 0
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        if match is None or match.end() == position:
            raise UnitError(_duration_hint(text))
        amount = _read_number(match.group(1))
        unit_text = match.group(2)
        if unit_text is None:
            if parts or match.end() != len(stripped):
                raise UnitError(_duration_hint(text))
            unit = "s"
        else:
            unit = _UNIT_ALIASES.get(unit_text.lower(), "")
            if not unit:
                raise UnitError(
                    f"{text!r} has the unknown unit {unit_text!r}; "
                    f"use one of {', '.join(DURATION_UNITS)}"
                )
        total += amount * _seconds_per_unit(unit, day, week)
        position = match.end()
        parts += 1
    return _check_finite(total, text)


def _duration_hint(text: str) -> str:
    return f"{text!r} is not a duration; give e.g. '90 s', '1.5 h', '2 d' or '1 h 30 min'"


def parse_ratio(value: object) -> float:
    """Read a share between 0 and 1: ``"85%"``, ``"85 %"``, ``0.85``.

    A bare number must already be a fraction (0 to 1); a percentage needs its ``%``
    sign, so that ``85`` is refused rather than silently read as 8,500 %.
    """
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a share; give e.g. '85%' or 0.85")
    if isinstance(value, Real):
        ratio = _check_finite(float(value), value)
        if ratio > 1:
            raise UnitError(
                f"{value!r} is more than 1; give a fraction (0.85) or a percentage ('85%')"
            )
    elif isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                ratio = _read_number(text[:-1].strip()) / 100.0
            else:
                ratio = _read_number(text)
        except ValueError:
            raise UnitError(f"{value!r} is not a share; give e.g. '85%' or 0.85") from None
        ratio = _check_finite(ratio, value)
        if not text.endswith("%") and ratio > 1:
            raise UnitError(
                f"{value!r} is more than 1; give a fraction (0.85) or a percentage ('85%')"
            )
    else:
        raise UnitError(f"{value!r} is not a share; give e.g. '85%' or 0.85")
    if ratio < 0 or ratio > 1:
        raise UnitError(f"{value!r} is outside 0% to 100%")
    return ratio


def parse_number(value: object, *, integer: bool = False) -> float:
    """Read a finite number from a number or a text such as ``"1,200"``.

    With ``integer=True`` the value must be a whole number. The sign is not checked
    here; the caller decides what range is allowed.
    """
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a number")
    if isinstance(value, Real):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = _read_number(text)
        except ValueError:
            raise UnitError(f"{value!r} is not a number") from None
    else:
        raise UnitError(f"{value!r} is not a number")
    number = _check_finite(number, value)
    if integer and not number.is_integer():
        raise UnitError(f"{value!r} is not a whole number")
    return number


def parse_shifts(value: object, *, day: float = SECONDS_PER_CALENDAR_DAY) -> tuple[int, float]:
    """Read available time per working day as ``(shifts, seconds per shift)``.

    ``"2 x 27600 s"`` is two shifts of 27,600 s; ``"8 h"`` or ``28800`` is one shift.
    """
    if isinstance(value, str):
        match = _SHIFTS.match(value)
        if match:
            shifts = parse_number(match.group(1), integer=True)
            if shifts < 1:
                raise UnitError(f"{value!r} has {shifts:g} shifts; give at least 1")
            return int(shifts), parse_duration(match.group(2), day=day)
    return 1, parse_duration(value, day=day)


def to_unit(seconds: float, unit: str, *, day: float = SECONDS_PER_CALENDAR_DAY) -> float:
    """Express ``seconds`` in ``unit`` (``"s"``, ``"min"``, ``"h"``, ``"d"``, ``"wk"``).

    ``day`` is the length of a day in seconds (a working day on a map).
    """
    canonical = _UNIT_ALIASES.get(unit.lower())
    if canonical is None:
        raise UnitError(f"unknown unit {unit!r}; use one of {', '.join(DURATION_UNITS)}")
    return seconds / _seconds_per_unit(canonical, day, 5 * day)


def format_number(value: float, digits: int = 3) -> str:
    """Format a number for a person: ``1200`` → ``"1,200"``, ``0.123456`` → ``"0.123"``."""
    if not math.isfinite(value):
        return "–"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(magnitude)))) if magnitude else 0
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(
    seconds: float | None,
    unit: str | None = None,
    *,
    day: float = SECONDS_PER_CALENDAR_DAY,
) -> str:
    """Format a duration for display, in ``unit`` or in the largest unit that reads well.

    >>> format_duration(5400)
    '1.5 h'
    """
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if unit is None:
        magnitude = abs(seconds)
        if magnitude < 60:
            unit = "s"
        elif magnitude < 3600:
            unit = "min"
        elif magnitude < day:
            unit = "h"
        else:
            unit = "d"
    return f"{format_number(to_unit(seconds, unit, day=day))} {unit}"


def format_ratio(ratio: float | None) -> str:
    """Format a share as a percentage: ``0.853`` → ``"85.3%"``."""
    if ratio is None or not math.isfinite(ratio):
        return "–"
    return f"{format_number(ratio * 100)}%"
