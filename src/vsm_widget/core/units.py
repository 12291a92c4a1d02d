"""Durations, ratios and quantities: read what people type.

Every duration is stored in seconds. A "day" is not always 24 hours: on a value stream
map it is usually a *working* day, whose length is the map's available time per day.
The parsers therefore take the length of a day (and of a week) as arguments; the map
passes its own calendar.

Besides numbers and text, the parsers take the values analysts have at hand: a
:class:`decimal.Decimal` wherever a number goes, and as a duration a
:class:`datetime.timedelta` (``pandas.Timedelta`` is one) or a ``numpy.timedelta64``.
A timedelta is an exact length of time: ``timedelta(days=1)`` is 86,400 s, never a
working day.

Numbers in text: the decimal separator is a point. A comma is read in the two ways that
cannot be confused: as a thousands separator when every group after it has three digits
(``"1,200"``, ``"12,345.5"``), and as a decimal comma when it is the only separator and one
or two digits follow it (``"1,5 h"`` is 1.5 hours). Any other comma (``"1,2345"``,
``"1.200,5"``) is refused rather than guessed. An underscore may group digits
(``"27_600"``), as in Python. Thin or plain spaces inside a number are not accepted.

Showing a value is :mod:`vsm_widget.core.display`'s job (one rule for every view); this module
only reads. It uses the standard library only (numpy is read only from a value that is
already one of its objects).
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
import reprlib
import sys
from numbers import Real

__all__ = [
    "SECONDS_PER_CALENDAR_DAY",
    "DURATION_UNITS",
    "UnitError",
    "parse_duration",
    "parse_ratio",
    "parse_number",
    "parse_shifts",
    "to_unit",
    "typed_unit",
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
_DURATION_PART = re.compile(rf"({_NUMBER})\s*([a-zA-Z]+)?")
_SPACES = re.compile(r"\s+")
_SHIFTS = re.compile(rf"^\s*({_NUMBER})\s*[x×*]\s*(.+)$")


class UnitError(ValueError):
    """A value that cannot be read as the kind of quantity asked for.

    The message says what was given and what is accepted; callers add the field name.
    """


class _ShortRepr(reprlib.Repr):
    """``repr`` that stays short and never fails: deep or huge values are cut early."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdeque = 6
        self.maxdict = 4
        self.maxstring = self.maxother = 60

    def repr_int(self, x: int, level: int) -> str:
        return _show_int(x)

    def repr_str(self, x: str, level: int) -> str:
        # A prefix, as people read text: the start of what they typed.
        return repr(x) if len(x) <= self.maxstring else f"{repr(x[: self.maxstring])[:-1]}..."


_SHORT = _ShortRepr()


def _show_int(value: int) -> str:
    """An integer as digits, or by its length when it has too many to read (or to convert)."""
    bits = value.bit_length()
    if bits <= 128:
        return repr(value)
    # str() of more than 4,300 digits raises; the bit length gives the size within a digit.
    digits = len(str(abs(value))) if bits < 14_000 else int(bits * math.log10(2)) + 1
    sign = "-" if value < 0 else ""
    about = "" if bits < 14_000 else "about "
    return f"<{sign}integer of {about}{digits:,} digits>"


def _show(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut short so that a pasted novel does not flood an error message.

    Safe on anything: huge integers, deep or self-containing lists and objects whose
    ``repr`` fails are shown briefly rather than raising or taking long.
    """
    try:
        text = _SHORT.repr(value)
    except Exception:  # a broken __repr__ of a user object must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


#: Characters that no file can hold: lone surrogate halves (not encodable as UTF-8) and
#: the two non-characters XML 1.0 forbids (an SVG or Excel file holding one is unreadable).
_UNWRITABLE = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _unwritable(text: str) -> str | None:
    """Why ``text`` cannot be saved, or None when every character can be."""
    found = _UNWRITABLE.search(text)
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    if found.group() in "\ufffe\uffff":
        return f"it contains {code}, a non-character that SVG and Excel files cannot hold"
    return f"it contains {code}, half of a surrogate pair, which no file can hold (broken text?)"


def _printable(text: str, limit: int = 1000) -> str:
    """``text`` safe to send and save: unwritable characters escaped, at most ``limit`` long.

    For messages about values, which must reach a browser even when the value cannot.
    """
    if len(text) > limit:
        text = f"{text[: limit - 3]}..."
    if _UNWRITABLE.search(text) is None:
        return text
    return _UNWRITABLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def _seconds_per_unit(unit: str, day: float, week: float) -> float:
    if unit in _FIXED_SECONDS:
        return _FIXED_SECONDS[unit]
    if unit == "d":
        return day
    return week


_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d{1,2}")


def _read_number(text: str) -> float:
    """A float from text, by the comma rules in the module docstring; raises UnitError."""
    cleaned = text.strip()
    if _GROUPED.fullmatch(cleaned):
        return float(cleaned.replace(",", ""))
    if _DECIMAL_COMMA.fullmatch(cleaned):
        return float(cleaned.replace(",", "."))
    if "," in cleaned:
        raise UnitError(
            f"{_show(text)} is ambiguous: a comma groups thousands ('1,200') or is a decimal comma "
            "before one or two digits ('1,5'); write the number with a decimal point"
        )
    try:
        return float(cleaned)
    except ValueError:
        raise UnitError(f"{_show(text)} is not a number") from None


def _to_float(value: Real) -> float:
    """A Python float from any real number; a huge integer is refused, not an overflow."""
    try:
        return float(value)
    except OverflowError:
        raise UnitError(f"{_show(value)} is far too large") from None
    except (TypeError, ValueError):
        # numpy counts a timedelta64 as an integer, but float() refuses it
        raise UnitError(f"{_show(value)} is not a number") from None


def _real(value: object) -> float | None:
    """``value`` as a float if it is a real number (a Decimal included), else None.

    Booleans are not numbers here. NaN and infinity come back as they are, for the
    caller to refuse with its own words.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, Real):
        return _to_float(value)
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return math.nan  # float() refuses a signalling NaN; either is not a number
        number = float(value)
        if math.isinf(number) and value.is_finite():
            raise UnitError(f"{_show(value)} is far too large")
        return number
    return None


_TIMEDELTA64_SECONDS = {
    "W": 604_800.0,
    "D": 86_400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "ns": 1e-9,
    "ps": 1e-12,
    "fs": 1e-15,
    "as": 1e-18,
}


def _timedelta_seconds(value: object) -> float | None:
    """Seconds in a ``datetime.timedelta`` (``pandas.Timedelta`` is one) or a
    ``numpy.timedelta64``; None for any other value.
    """
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    kind = type(value)
    if kind.__name__ == "NaTType":
        raise UnitError("NaT (not a time) is not a duration; give None to clear the field")
    if kind.__name__ != "timedelta64" or kind.__module__ != "numpy":
        return None
    numpy = sys.modules["numpy"]  # the value is a numpy object, so numpy is loaded
    if numpy.isnat(value):
        raise UnitError("NaT (not a time) is not a duration; give None to clear the field")
    unit, count = numpy.datetime_data(value.dtype)
    if unit == "generic":
        raise UnitError(f"{_show(value)} has no unit; give a timedelta64 in seconds, hours, days...")
    if unit not in _TIMEDELTA64_SECONDS:
        raise UnitError(
            f"{_show(value)} is in months or years, which have no fixed length; "
            "give a timedelta64 in seconds, hours, days or weeks"
        )
    return int(value.astype("int64")) * count * _TIMEDELTA64_SECONDS[unit]


#: Text longer than this is no number or duration anyone types (``"1 h 30 min"``).
_MAX_NUMBER_TEXT = 200


def _check_length(text: str) -> None:
    if len(text) > _MAX_NUMBER_TEXT:
        raise UnitError(f"{_show(text)} is {len(text):,} characters long; that is no number or duration")


def _check_finite(value: float, original: object) -> float:
    if math.isnan(value):
        raise UnitError(f"{_show(original)} is not a number")
    if math.isinf(value):
        raise UnitError(f"{_show(original)} is infinite; give a finite amount")
    return value


def parse_duration(
    value: object,
    *,
    day: float = SECONDS_PER_CALENDAR_DAY,
    week: float | None = None,
) -> float:
    """Read a duration and return it in seconds.

    Accepts a number (seconds; a Decimal too), a ``datetime.timedelta`` (and so a
    ``pandas.Timedelta``), a ``numpy.timedelta64``, or a string of one or more amounts
    with units: ``"90 s"``, ``"1.5 h"``, ``"2 d"``, ``"1 h 30 min"``, ``"45"`` (seconds).
    A compound text has its parts separated by spaces, larger units first, each unit
    once, and a fraction only in its last part (``"1 d 2.5 h"``); ``"3.75 h1 d"`` or
    ``"30 min 1 h"`` are refused, never added up.
    ``day`` is the length of one day in seconds (a working day on a map) for text;
    ``week`` defaults to five such days. Negative, NaN and infinite values are refused.

    >>> parse_duration("1 h 30 min")
    5400.0
    >>> parse_duration("2 d", day=8 * 3600)
    57600.0
    """
    week_seconds = 5 * day if week is None else week
    if isinstance(value, bool):
        raise UnitError(f"{_show(value)} is not a duration; give seconds or text such as '90 s'")
    # A timedelta64 first: numpy registers it as an integer, a count of its unit.
    number = _timedelta_seconds(value)
    if number is None:
        number = _real(value)
    if number is not None:
        seconds = _check_finite(number, value)
    elif isinstance(value, str):
        seconds = _parse_duration_text(value, day, week_seconds)
    else:
        raise UnitError(
            f"{_show(value)} is not a duration; give seconds or text such as '90 s', '1.5 h', '2 d'"
        )
    if seconds < 0:
        raise UnitError(f"{_show(value)} is negative; a duration must be zero or more")
    # Adding 0.0 turns -0.0 into 0.0, so a stored zero always reads back as "0 s".
    return seconds + 0.0


def _parse_duration_text(text: str, day: float, week: float) -> float:
    """Seconds in a text of one or more amounts with units, read strictly.

    A compound duration reads as people write it, "1 h 30 min": its parts are separated
    by white space, in decreasing units, each unit at most once, and only the last part
    may have a fraction. Anything else parses only by accident ("3.75 h1 d", typed over
    an old value, would be 3.75 h + 1 d) and is refused with the reason.
    """
    _check_length(text)
    stripped = text.strip()
    if not stripped:
        raise UnitError("an empty text is not a duration; give e.g. '90 s', '1.5 h', '2 d'")
    total = 0.0
    position = 0
    previous: tuple[str, float, str] | None = None  # the part before: as typed, amount, unit
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        if match is None:
            raise UnitError(_duration_hint(text))
        amount = _read_number(match.group(1))
        if amount < 0:
            # Also in compound text: "1 h -30 min" is a typing error, not 30 minutes.
            raise UnitError(f"{_show(text)} is negative; a duration must be zero or more")
        unit_text = match.group(2)
        end = match.end()
        if unit_text is None:
            if previous is not None or end != len(stripped):
                raise UnitError(_duration_hint(text))
            unit = "s"
        else:
            unit = _UNIT_ALIASES.get(unit_text.lower(), "")
            if not unit:
                raise UnitError(
                    f"{_show(text)} has the unknown unit {unit_text!r}; "
                    f"use one of {', '.join(DURATION_UNITS)}"
                )
        typed = match.group(0)
        if previous is not None:
            _check_next_part(text, previous, (typed, amount, unit))
        if end < len(stripped):
            space = _SPACES.match(stripped, end)
            if space is None:
                raise UnitError(
                    f"{_show(text)} is not a duration: put a space between {typed!r} and what follows "
                    "it, as in '1 h 30 min'"
                )
            end = space.end()
        total += amount * _seconds_per_unit(unit, day, week)
        previous = (typed, amount, unit)
        position = end
    return _check_finite(total, text)


def _check_next_part(text: str, previous: tuple[str, float, str], part: tuple[str, float, str]) -> None:
    """Refuse a part of a compound duration that does not follow the one before it as written."""
    typed_before, amount_before, unit_before = previous
    typed, _, unit = part
    rank_before, rank = DURATION_UNITS.index(unit_before), DURATION_UNITS.index(unit)
    if rank == rank_before:
        raise UnitError(f"{_show(text)} gives {unit} twice; give each unit once, as in '1 h 30 min'")
    if rank > rank_before:
        raise UnitError(
            f"{_show(text)} has {typed!r} after {typed_before!r}; "
            "give the larger unit first, as in '1 h 30 min'"
        )
    if not amount_before.is_integer():
        raise UnitError(
            f"{_show(text)} has a fraction in {typed_before!r}, which is not its last part; "
            "only the last part may have one ('1 h 30 min' or '1.5 h')"
        )


def _duration_hint(text: str) -> str:
    return f"{_show(text)} is not a duration; give e.g. '90 s', '1.5 h', '2 d' or '1 h 30 min'"


def parse_ratio(value: object) -> float:
    """Read a share between 0 and 1: ``"85%"``, ``"85 %"``, ``0.85``, ``Decimal("0.85")``.

    A bare number must already be a fraction (0 to 1); a percentage needs its ``%``
    sign, so that ``85`` is refused rather than silently read as 8,500 %.
    """
    if isinstance(value, bool):
        raise UnitError(f"{_show(value)} is not a share; give e.g. '85%' or 0.85")
    number = _real(value)
    if number is not None:
        ratio = _check_finite(number, value)
        if ratio > 1:
            raise UnitError(f"{_show(value)} is more than 1; give a fraction (0.85) or a percentage ('85%')")
    elif isinstance(value, str):
        _check_length(value)
        text = value.strip()
        try:
            ratio = _read_number(text[:-1].strip()) / 100.0 if text.endswith("%") else _read_number(text)
        except UnitError:
            raise UnitError(f"{_show(value)} is not a share; give e.g. '85%' or 0.85") from None
        ratio = _check_finite(ratio, value)
        if not text.endswith("%") and ratio > 1:
            raise UnitError(f"{_show(value)} is more than 1; give a fraction (0.85) or a percentage ('85%')")
    else:
        raise UnitError(f"{_show(value)} is not a share; give e.g. '85%' or 0.85")
    if ratio < 0 or ratio > 1:
        raise UnitError(f"{_show(value)} is outside 0% to 100%")
    return ratio + 0.0


def parse_number(value: object, *, integer: bool = False) -> float:
    """Read a finite number from a number (a Decimal too) or a text such as ``"1,200"``.

    With ``integer=True`` the value must be a whole number. The sign is not checked
    here; the caller decides what range is allowed.
    """
    if isinstance(value, bool):
        raise UnitError(f"{_show(value)} is not a number")
    real = _real(value)
    if real is not None:
        number = real
    elif isinstance(value, str):
        _check_length(value)
        number = _read_number(value)
    else:
        raise UnitError(f"{_show(value)} is not a number")
    number = _check_finite(number, value)
    if integer and not number.is_integer():
        raise UnitError(f"{_show(value)} is not a whole number")
    return number + 0.0


def parse_shifts(value: object, *, day: float = SECONDS_PER_CALENDAR_DAY) -> tuple[int, float]:
    """Read available time per working day as ``(shifts, seconds per shift)``.

    ``"2 x 27600 s"`` is two shifts of 27,600 s; ``"8 h"`` or ``28800`` is one shift.
    """
    if isinstance(value, str):
        match = _SHIFTS.match(value)
        if match:
            shifts = parse_number(match.group(1), integer=True)
            if shifts < 1:
                raise UnitError(f"{_show(value)} has {shifts:g} shifts; give at least 1")
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


def typed_unit(value: object) -> str | None:
    """The unit a duration was typed in, when it was typed as one amount in one unit.

    ``"1 h"`` → ``"h"``, ``"90 s"`` → ``"s"``, ``"2 days"`` → ``"d"``; a number, a bare
    ``"45"``, ``"1 h 30 min"`` or anything that is not such a text → None.

    >>> typed_unit("1.5 h"), typed_unit("1 h 30 min")
    ('h', None)
    """
    if not isinstance(value, str) or len(value) > _MAX_NUMBER_TEXT:
        return None
    match = _DURATION_PART.fullmatch(value.strip())
    if match is None or match.group(2) is None:
        return None
    return _UNIT_ALIASES.get(match.group(2).lower())
