"""Working calendars: count the durations of an event log in working time.

A log's timestamps are calendar time: a ticket that waits over a weekend has waited
two days. A :class:`WorkCalendar` says when work happens (opening hours, working
weekdays, holidays, the time zone), and every duration of the log is then the working
time between its two ends: the part of the interval that falls in opening hours.

Example::

    cal = WorkCalendar(hours="09:00-17:00", weekdays="Mon-Fri",
                       holidays=["2024-12-25"], tz="Europe/Berlin")
    cal.working_time("2024-03-01 16:00", "2024-03-04 10:00")   # 7200.0 (Fri 1 h + Mon 1 h)

The calendar works on real elapsed time: across a daylight-saving change a day's
opening hours still last what the clock shows (an 09:00-17:00 day is eight hours), and
a night across the change counts nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.model import ValidationError

__all__ = ["WorkCalendar"]

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_NS = 1_000_000_000
_DAY_NS = 86_400 * _NS


def _clock_seconds(text: str, value: Any) -> int:
    match = _CLOCK.match(text)
    if not match:
        raise ValidationError(
            "calendar.hours", value, f"{text.strip()!r} is not a time of day such as '09:00'"
        )
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise ValidationError("calendar.hours", value, f"{text.strip()!r} is not a time of day")
    return hour * 3600 + minute * 60


def _parse_hours(value: Any) -> tuple[tuple[int, int], ...]:
    parts = [p for p in value.split(",")] if isinstance(value, str) else list(value)
    if not parts or any(not isinstance(p, str) for p in parts):
        raise ValidationError("calendar.hours", value, "give opening hours such as '09:00-17:00'")
    spans: list[tuple[int, int]] = []
    for part in parts:
        begin, sep, end = part.partition("-")
        if not sep:
            raise ValidationError(
                "calendar.hours", value, f"{part.strip()!r} is not a span such as '09:00-17:00'"
            )
        low, high = _clock_seconds(begin, value), _clock_seconds(end, value)
        if high <= low:
            raise ValidationError(
                "calendar.hours",
                value,
                f"{part.strip()!r} ends before it starts; a span runs within one day "
                "(split a night shift as '22:00-24:00, 00:00-06:00')",
            )
        spans.append((low, high))
    spans.sort()
    for (_, high), (low, _) in itertools.pairwise(spans):
        if low < high:
            raise ValidationError("calendar.hours", value, "the spans overlap")
    return tuple(spans)


def _day_number(text: Any, value: Any) -> int:
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool) and 0 <= int(text) <= 6:
        return int(text)
    key = str(text).strip().lower()[:3]
    if key not in _DAY_NAMES:
        raise ValidationError(
            "calendar.weekdays", value, f"{text!r} is not a weekday (Mon..Sun, or 0 = Monday .. 6 = Sunday)"
        )
    return _DAY_NAMES.index(key)


def _parse_weekdays(value: Any) -> frozenset[int]:
    parts = value.split(",") if isinstance(value, str) else list(value)
    days: set[int] = set()
    for part in parts:
        if isinstance(part, str) and "-" in part:
            begin, _, end = part.partition("-")
            low, high = _day_number(begin, value), _day_number(end, value)
            span = range(low, high + 1) if low <= high else [*range(low, 7), *range(0, high + 1)]
            days.update(span)
        else:
            days.add(_day_number(part, value))
    if not days:
        raise ValidationError("calendar.weekdays", value, "name at least one working weekday")
    return frozenset(days)


def _parse_holidays(value: Any) -> frozenset[np.datetime64]:
    if isinstance(value, (str, bytes)):
        raise ValidationError("calendar.holidays", value, "give a list of dates such as ['2024-12-25']")
    found: set[np.datetime64] = set()
    for day in value:
        try:
            stamp = pd.Timestamp(day)
        except (ValueError, TypeError):
            raise ValidationError("calendar.holidays", day, "not a date (write it as '2024-12-25')") from None
        if stamp is pd.NaT:
            raise ValidationError("calendar.holidays", day, "not a date")
        found.add(np.datetime64(stamp.date(), "D"))
    return frozenset(found)


@dataclass(frozen=True)
class WorkCalendar:
    """When work happens: opening ``hours`` on working ``weekdays``, minus ``holidays``.

    ``hours`` is ``"09:00-17:00"`` or several spans (``"08:00-12:00, 13:00-17:00"``);
    ``weekdays`` is ``"Mon-Fri"``, ``"Sun-Thu"``, ``"Mon,Wed,Fri"`` or a list of names or
    numbers (0 = Monday); ``holidays`` are dates; ``tz`` the time zone the hours are in
    (an IANA name such as ``"Europe/Berlin"``). Time-zone-aware logs need ``tz``; naive
    times are read as wall-clock times in ``tz`` (or as they stand without one).

    A refused value raises :class:`~vsm_widget.core.model.ValidationError` naming the field.
    """

    hours: str | Sequence[str] = "09:00-17:00"
    weekdays: str | Sequence[Any] = "Mon-Fri"
    holidays: Sequence[Any] = ()
    tz: str | None = None
    _spans: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)
    _days: frozenset[int] = field(init=False, repr=False, compare=False)
    _holidays: frozenset[np.datetime64] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_spans", _parse_hours(self.hours))
        object.__setattr__(self, "_days", _parse_weekdays(self.weekdays))
        object.__setattr__(self, "_holidays", _parse_holidays(self.holidays))
        if self.tz is not None:
            try:
                pd.Timestamp("2024-01-01").tz_localize(self.tz)
            except Exception:  # pytz and zoneinfo raise different errors
                raise ValidationError(
                    "calendar.tz", self.tz, "not a time zone (use a name such as 'Europe/Berlin')"
                ) from None

    @classmethod
    def coerce(cls, value: Any) -> WorkCalendar | None:
        """A calendar from a :class:`WorkCalendar`, a dict of its fields, or ``None``."""
        if value is None or isinstance(value, WorkCalendar):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(set(map(str, value)) - {"hours", "weekdays", "holidays", "tz"})
            if unknown:
                raise ValidationError("calendar", unknown, "a calendar has hours, weekdays, holidays and tz")
            return cls(**value)
        raise ValidationError(
            "calendar", value, "give a WorkCalendar or a dict with hours, weekdays, holidays, tz"
        )

    @property
    def hours_per_day(self) -> float:
        """Seconds of opening hours in one working day (as the clock shows them)."""
        return float(sum(high - low for low, high in self._spans))

    def describe(self) -> str:
        """The calendar in words, such as ``"working time (Mon-Fri 09:00-17:00, Europe/Berlin)"``."""
        names = ",".join(_DAY_NAMES[d].title() for d in sorted(self._days))
        days = {frozenset(range(5)): "Mon-Fri", frozenset(range(7)): "every day"}.get(self._days, names)
        spans = ", ".join(
            f"{lo // 3600:02d}:{lo % 3600 // 60:02d}-{hi // 3600:02d}:{hi % 3600 // 60:02d}"
            for lo, hi in self._spans
        )
        extra = (
            [f"{len(self._holidays)} holiday{'s' if len(self._holidays) != 1 else ''}"]
            if self._holidays
            else []
        )
        if self.tz:
            extra.append(str(self.tz))
        return f"working time ({days} {spans}{'; ' + ', '.join(extra) if extra else ''})"

    # ----------------------------------------------------------------- counting

    def working_time(self, start: Any, end: Any) -> float:
        """Working seconds from ``start`` to ``end`` (timestamps or text), 0 if end <= start."""
        a, b = pd.Timestamp(start), pd.Timestamp(end)
        aware = a.tzinfo is not None
        if aware != (b.tzinfo is not None):
            raise ValidationError("end", end, "start and end must both be naive or both time-zone aware")
        values = pd.DatetimeIndex([a, b])
        if aware:
            values = values.tz_convert("UTC").tz_localize(None)
        ns = np.asarray(values.as_unit("ns").asi8, dtype=np.int64)
        clock = self.clock(ns, aware=aware)
        return max(float(clock[1] - clock[0]) / _NS, 0.0)

    def clock(self, ns: np.ndarray, *, aware: bool, span: tuple[int, int] | None = None) -> np.ndarray:
        """Working nanoseconds elapsed since an origin at each instant ``ns``.

        ``ns`` are int64 nanoseconds since the epoch: UTC when ``aware``, else wall-clock
        times (local in ``tz`` when the calendar has one). The result does not decrease,
        so the working time between two instants is the difference of their clocks. The
        origin is the day before the earliest instant of ``span`` (``(lowest, highest)``
        ns, which must hold every instant; by default those of ``ns``): clocks of calls
        with one ``span`` can be subtracted from each other.
        """
        ns = np.asarray(ns, dtype=np.int64)
        if aware and self.tz is None:
            raise ValidationError(
                "calendar.tz",
                None,
                "the log's times are time-zone aware: say which zone the working hours are in",
            )
        if len(ns) == 0:
            return ns.copy()
        bounds = np.array(span if span is not None else (ns.min(), ns.max()), dtype=np.int64)
        if not aware and self.tz is not None:
            ns = self._naive_to_utc(ns)
            bounds = self._naive_to_utc(bounds)
        zone = self.tz if self.tz is not None else None
        # Local calendar days from one before the first instant to one after the last.
        if zone is None:
            first_day, last_day = int(bounds[0] // _DAY_NS) - 1, int(bounds[1] // _DAY_NS) + 1
        else:
            lo = pd.Timestamp(int(bounds[0]), tz="UTC").tz_convert(zone)
            hi = pd.Timestamp(int(bounds[1]), tz="UTC").tz_convert(zone)
            first_day = int(np.datetime64(lo.date(), "D").astype(np.int64)) - 1
            last_day = int(np.datetime64(hi.date(), "D").astype(np.int64)) + 1
        days = np.arange(first_day, last_day + 1, dtype=np.int64)
        dates = days.astype("datetime64[D]")
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
        working = np.isin(weekday, list(self._days))
        if self._holidays:
            working &= ~np.isin(dates, np.array(sorted(self._holidays), dtype="datetime64[D]"))

        def instants(offset_seconds: int) -> np.ndarray:
            wall = days * _DAY_NS + offset_seconds * _NS
            if zone is None:
                return wall
            local = pd.DatetimeIndex(wall.view("datetime64[ns]")).tz_localize(
                zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
            )
            return np.asarray(local.tz_convert("UTC").tz_localize(None).as_unit("ns").asi8, dtype=np.int64)

        midnights = instants(0)
        opens = [instants(low) for low, _ in self._spans]
        closes = [instants(high) for _, high in self._spans]
        length = sum((c - o for o, c in zip(opens, closes, strict=True)), np.zeros(len(days), np.int64))
        length = np.where(working, length, 0)
        before = np.concatenate(([0], np.cumsum(length)[:-1]))
        d = np.searchsorted(midnights, ns, side="right") - 1
        result = before[d].copy()
        works = working[d]
        for o, c in zip(opens, closes, strict=True):
            part = np.clip(ns - o[d], 0, (c - o)[d])
            result += np.where(works, part, 0)
        return result

    def _naive_to_utc(self, ns: np.ndarray) -> np.ndarray:
        local = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize(
            self.tz, ambiguous=np.ones(len(ns), dtype=bool), nonexistent="shift_forward"
        )
        return np.asarray(local.tz_convert("UTC").tz_localize(None).as_unit("ns").asi8, dtype=np.int64)
