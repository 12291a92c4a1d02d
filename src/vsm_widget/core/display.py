"""How every quantity of a map is shown: one rule for every view.

The canvas, the static SVG, the metric cards, the charts, the details panel,
:meth:`Metrics.format <vsm_widget.core.metrics.Metrics.format>`, the comparison and the Excel
summary all format through a :class:`Display`, so one figure reads the same everywhere.

The rules:

- **A duration on its own** (a C/T, a wait, takt) reads in the unit that suits its
  size: seconds below 10 minutes, minutes below 2 hours, hours below one lead-time day,
  days beyond; from 10 minutes on, a value that is a whole number of a larger unit reads
  in it (3,600 s is "1 h", not "60 min").
- **The timeline ladder** reads in two units chosen once per map: waits and the lead
  time in the *lead unit*, step times and the process time in the *process unit*, so
  every rung and its total read alike ("23.6 d" over "188 s", as in *Learning to See*).
  Each is chosen from its total by the rule above (``"auto"``) unless the map sets it.
- **A day** is the map's lead-time day: a working day (its available time) unless the
  map counts calendar days; short texts write ``d``, long ones ("working days") say
  which.
- **Shares** are percentages with three significant digits ("85%", "0.0144%").
- **Counts and quantities** are whole numbers with thousands separators; fractions keep
  three significant digits ("1,200", "2.5").
- **A value the user typed in one unit** reads back in it where it reads cleanly there
  (a C/O typed "1 h" reads "1 h", "90 s" reads "90 s", "16 h" on a map of 8-hour days
  reads "16 h", not "2 d"): see :meth:`Display.entered`. Ladder rungs and totals keep the
  map's ladder units, so they read alike.
- A missing value is an en dash ("–").

Every text of the package is formatted here: the model's error messages too. This module
is pure Python, standard library only (beside :mod:`vsm_widget.core.units`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import units

__all__ = ["DASH", "TIME_UNITS", "Display", "auto_unit", "format_duration", "format_number", "format_ratio"]

DASH = "–"
#: The units a map may fix for its ladder, besides ``"auto"``.
TIME_UNITS = ("s", "min", "h", "d")
_SECONDS = {"s": 1.0, "min": 60.0, "h": 3600.0}


def _finite(value: float | None) -> bool:
    return value is not None and not isinstance(value, bool) and math.isfinite(value)


def _clean(amount: float) -> bool:
    """At most one decimal: 1.5, 10, 4.5 (a value a person would type)."""
    return abs(amount * 10 - round(amount * 10)) < 1e-6


def format_number(value: float, digits: int = 3) -> str:
    """A number for a person: ``1200`` → ``"1,200"``, ``0.123456`` → ``"0.123"``; from 100
    on no decimals; otherwise ``digits`` significant digits.
    """
    if not _finite(value):
        return DASH
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(magnitude))) if magnitude else 0
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_duration(
    seconds: float | None, unit: str | None = None, *, day: float = units.SECONDS_PER_CALENDAR_DAY
) -> str:
    """A duration by the display rule, in ``unit`` (any spelling: ``"minutes"``) or in the
    unit that suits it; ``day`` is the length of a day in seconds.

    >>> format_duration(5400), format_duration(5460)
    ('1.5 h', '91 min')
    """
    basis = "calendar" if day == units.SECONDS_PER_CALENDAR_DAY else "working"
    canonical = None
    if unit is not None:
        canonical = units._UNIT_ALIASES.get(unit.lower())
        if canonical not in TIME_UNITS:
            raise units.UnitError(
                f"{unit!r} is not a unit to show a duration in; use one of {', '.join(TIME_UNITS)}"
            )
    return Display(day, basis).duration(seconds, canonical)


def format_ratio(ratio: float | None) -> str:
    """A share as a percentage: ``0.853`` → ``"85.3%"``."""
    return Display().share(ratio)


def auto_unit(seconds: float, day: float) -> str:
    """The unit a duration reads best in (see the module's rules)."""
    magnitude = abs(seconds)
    if magnitude < 600:
        base = "s"
    elif magnitude < 7200:
        base = "min"
    elif magnitude < day:
        base = "h"
    else:
        base = "d"
    if base == "s":
        # Cycle times and takt read in seconds, as on a data box ("60 s", "188 s").
        return base
    # A whole number of a larger unit reads in it: 3,600 s is "1 h", 2 working days "2 d".
    for unit in ("d", "h"):
        if unit == base:
            break
        size = day if unit == "d" else _SECONDS[unit]
        amount = magnitude / size
        if amount >= 1 and _clean(amount):
            return unit
    return base


@dataclass(frozen=True, slots=True)
class Display:
    """The display rule of one map: its day, and the units of its ladder.

    ``day_length`` is the lead-time day in seconds; ``day_basis`` is ``"working"`` or
    ``"calendar"``; ``lead_unit`` and ``process_unit`` are ``"auto"`` or one of
    :data:`TIME_UNITS`, resolved with :meth:`resolve` against the map's totals.
    """

    day_length: float = 8 * 3600.0
    day_basis: str = "working"
    lead_unit: str = "auto"
    process_unit: str = "auto"

    # ----------------------------------------------------------------- units

    def resolve(self, lead_time: float | None, process_time: float | None) -> Display:
        """The same rule with ``"auto"`` ladder units fixed from the map's totals."""
        lead = self.lead_unit
        if lead == "auto":
            lead = auto_unit(lead_time, self.day_length) if _finite(lead_time) else "d"
        process = self.process_unit
        if process == "auto":
            process = auto_unit(process_time, self.day_length) if _finite(process_time) else "s"
        return Display(self.day_length, self.day_basis, lead, process)

    def seconds_per(self, unit: str) -> float:
        """Seconds in one ``unit`` (a day is the map's lead-time day)."""
        return self.day_length if unit == "d" else _SECONDS[unit]

    def in_unit(self, seconds: float, unit: str) -> float:
        """``seconds`` expressed in ``unit``."""
        return seconds / self.seconds_per(unit)

    # ----------------------------------------------------------------- texts

    def number(self, value: float | None) -> str:
        """A number for a person: ``1200`` → ``"1,200"``, ``0.123456`` → ``"0.123"``."""
        return format_number(value)  # type: ignore[arg-type]

    def duration(self, seconds: float | None, unit: str | None = None) -> str:
        """A duration in ``unit`` (``"s"``, ``"min"``, ``"h"``, ``"d"``), else in the unit that suits it."""
        if not _finite(seconds):
            return DASH
        chosen = unit or auto_unit(seconds, self.day_length)  # type: ignore[arg-type]
        return f"{self.number(self.in_unit(seconds, chosen))} {chosen}"  # type: ignore[arg-type]

    def spread(self, median: float, low: float, high: float, unit: str) -> str:
        """A measured figure with its spread, all in ``unit``: ``"8 h (4–12 h)"`` (the
        median, then the low to the high percentile).
        """
        return f"{self.duration(median, unit)} ({self.range(low, high, unit)})"

    def range(self, low: float, high: float, unit: str | None = None) -> str:
        """Two durations as one range in one unit: ``"4–12 h"`` (``unit`` None: the unit
        that suits ``high``).
        """
        unit = unit or auto_unit(high, self.day_length)
        return f"{self.number(self.in_unit(low, unit))}{DASH}{self.duration(high, unit)}"

    def reads_cleanly(self, seconds: float, unit: str) -> bool:
        """Whether ``seconds`` shown in ``unit`` is exact: the text reads back as the value
        (7,200 s in h is "2 h"; 4,442.4 s in h would be a rounded "1.23 h").
        """
        if unit not in TIME_UNITS or not _finite(seconds):
            return False
        shown = format_number(self.in_unit(seconds, unit)).replace(",", "")
        return math.isclose(float(shown) * self.seconds_per(unit), seconds, rel_tol=1e-9, abs_tol=1e-9)

    def entered(self, seconds: float | None, unit: str | None, *, never: str = "") -> str:
        """A duration the user typed in ``unit``, shown in it where it reads cleanly there;
        else (or without a unit) by the rule, as :meth:`duration`. ``never`` is a unit it
        must not read in (a shift is never shown in days).
        """
        if unit and unit != never and _finite(seconds) and self.reads_cleanly(seconds, unit):  # type: ignore[arg-type]
            return self.duration(seconds, unit)
        return self.shift(seconds) if never == "d" else self.duration(seconds)

    def duration_long(self, seconds: float | None, unit: str | None = None) -> str:
        """A duration whose days say which (``"23.6 working days"``), for cards and tables."""
        text = self.duration(seconds, unit)
        if text.endswith(" d"):
            return f"{text[:-2]} {self.day_word(text[:-2])}"
        return text

    def day_word(self, amount: str = "2") -> str:
        """``"working days"`` or ``"days"`` (singular for one)."""
        word = "working day" if self.day_basis == "working" else "day"
        return word if amount == "1" else f"{word}s"

    def lead(self, seconds: float | None) -> str:
        """A wait or a lead time, in the map's lead unit (call :meth:`resolve` first)."""
        return self.duration(seconds, None if self.lead_unit == "auto" else self.lead_unit)

    def process(self, seconds: float | None) -> str:
        """A step time or the process time, in the map's process unit."""
        return self.duration(seconds, None if self.process_unit == "auto" else self.process_unit)

    def shift(self, seconds: float | None) -> str:
        """A shift or break length: never in days (a shift of 8 h is not "1 d")."""
        if not _finite(seconds):
            return DASH
        unit = auto_unit(seconds, math.inf)  # type: ignore[arg-type]
        return self.duration(seconds, unit)

    def share(self, ratio: float | None) -> str:
        """A share as a percentage: ``0.853`` → ``"85.3%"``."""
        if not _finite(ratio):
            return DASH
        return f"{self.number(ratio * 100)}%"  # type: ignore[operator]

    def capacity_share(self, ratio: float | None) -> str:
        """Line efficiency: above 100% the line cannot meet demand, and says so."""
        text = self.share(ratio)
        if _finite(ratio) and ratio > 1 + 1e-9:  # type: ignore[operator]
            return f"{text} (over capacity)"
        return text

    def balance_delay(self, ratio: float | None) -> str:
        """Balance delay: a negative delay means the work exceeds the line's capacity."""
        if _finite(ratio) and ratio < -1e-9:  # type: ignore[operator]
            return "over capacity"
        return self.share(ratio)

    def count(self, value: float | None, noun: str = "") -> str:
        """A count or quantity, with its noun: ``"1,200 units"``."""
        text = self.number(value)
        return f"{text} {noun}" if noun and text != DASH else text

    def days_of_demand(self, days: float | None, *, long: bool = False) -> str:
        """Inventory as days of demand: ``"4.5 d"`` (``long``: ``"4.5 days of demand"``)."""
        if not _finite(days):
            return DASH
        text = self.number(days)
        if long:
            return f"{text} day{'' if text == '1' else 's'} of demand"
        return f"{text} d"

    def day_note(self) -> str:
        """What one "d" means on this map: ``"1 d = 8 h working day"``."""
        if self.day_basis == "calendar":
            return "1 d = 24 h (calendar)"
        return f"1 d = {self.duration(self.day_length, 'h')} working day"
