"""Reading durations, shares and numbers, with hand-written expectations (showing them is
display.py's, tested in test_display.py)."""

from __future__ import annotations

import datetime
import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from vsm_widget.core import units
from vsm_widget.core.units import (
    UnitError,
    parse_duration,
    parse_number,
    parse_ratio,
    parse_shifts,
    to_unit,
)

WORKING_DAY = 55_200.0  # two shifts of 27,600 s


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (90, 90.0),
        (2.5, 2.5),
        (Fraction(3, 2), 1.5),
        ("45", 45.0),
        ("90 s", 90.0),
        ("90s", 90.0),
        ("90 sec", 90.0),
        ("90 seconds", 90.0),
        ("250 ms", 0.25),
        ("1.5 min", 90.0),
        ("2 m", 120.0),  # "m" is minutes, never months or metres
        ("1.5 h", 5400.0),
        ("1 hr", 3600.0),
        ("2 hours", 7200.0),
        ("1 h 30 min", 5400.0),
        ("1h 30m", 5400.0),
        ("1 h  30 min", 5400.0),
        ("1 d 2 h 30 min 15 s", 86_400.0 + 9015.0),
        ("1 h 7.5 min", 3600.0 + 450.0),  # a fraction in the last part
        ("1 s 500 ms", 1.5),
        ("  3 H  ", 10_800.0),
        ("1 d", 86_400.0),  # a calendar day unless the caller gives its working day
        ("1 wk", 5 * 86_400.0),  # a week is five days
        ("0", 0.0),
        ("0 s", 0.0),
        ("1e3 s", 1000.0),
        ("1,200 s", 1200.0),  # thousands separator
        ("27_600 s", 27_600.0),  # Python-style digit grouping
        ("1,5 h", 5400.0),  # decimal comma: only separator, one or two digits after it
        ("0,25 h", 900.0),
        ("+5 min", 300.0),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_day_and_week_follow_the_given_working_day() -> None:
    assert parse_duration("2 d", day=WORKING_DAY) == 110_400
    assert parse_duration("1 wk", day=WORKING_DAY) == 5 * WORKING_DAY
    assert parse_duration("1 wk", day=WORKING_DAY, week=4 * WORKING_DAY) == 4 * WORKING_DAY
    assert parse_duration("1 d 2 h", day=8 * 3600) == 10 * 3600


def test_minus_zero_is_stored_as_plain_zero() -> None:
    value = parse_duration(-0.0)
    assert value == 0
    assert math.copysign(1, value) == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-5, "negative"),
        ("-5 s", "negative"),
        ("1 h -30 min", "negative"),  # a sign inside compound text is a typing error
        (math.nan, "not a number"),
        (math.inf, "infinite"),
        ("inf s", "not a duration"),
        ("1e400 s", "infinite"),
        (10**400, "far too large"),
        ("", "empty"),
        ("   ", "empty"),
        ("5 parsecs", "unknown unit 'parsecs'"),
        ("85%", "not a duration"),
        ("5 s 3", "not a duration"),  # a bare number after a unit
        ("1.2.3 s", "not a number"),
        ("1,2345 s", "ambiguous"),
        ("1.200,5 s", "ambiguous"),
        ("1:30", "not a duration"),  # clock notation is not read (mm:ss or hh:mm?)
        (True, "not a duration"),
        (None, "not a duration"),
        ([90], "not a duration"),
    ],
)
def test_parse_duration_refuses(value: object, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_duration(value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # Typed over an old value that was not selected: "3.75 h" + "1 d" is no duration.
        ("3.75 h1 d", "put a space between '3.75 h' and what follows"),
        ("1h30m", "put a space between '1h' and what follows"),
        ("2 d4 h", "put a space between '2 d' and what follows"),
        ("30 min 1 h", "has '1 h' after '30 min'; give the larger unit first"),
        ("5 s 2 min", "has '2 min' after '5 s'"),
        ("1 h 2 d", "has '2 d' after '1 h'"),
        ("1 h 1 h", "gives h twice"),
        ("1 h 2 hours", "gives h twice"),  # two spellings of one unit
        ("10 m 5 min", "gives min twice"),
        ("1.5 h 30 min", "a fraction in '1.5 h', which is not its last part"),
        ("0.5 d 2 h", "a fraction in '0.5 d'"),
        ("1,5 h 10 min", "a fraction in '1,5 h'"),  # a decimal comma is a fraction too
    ],
)
def test_compound_durations_are_read_only_as_written(text: str, reason: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_duration(text, day=7.5 * 3600)
    message = str(caught.value)
    assert reason in message
    # The message quotes what was typed, so the user sees what was refused.
    assert repr(text) in message


def test_a_refused_compound_duration_leaves_the_step_as_it_was() -> None:
    from vsm_widget import ValidationError, ValueStreamMap

    m = ValueStreamMap("Line", demand=100, available_time="7.5 h")
    step = m.add_process("Weld", cycle_time="3.75 h")
    with pytest.raises(ValidationError) as caught:
        m.update(step.id, cycle_time="3.75 h1 d")
    assert caught.value.field == "cycle_time"
    assert "put a space" in caught.value.reason
    assert m.get(step.id).cycle_time == 3.75 * 3600
    # Written as intended, the same parts are read: 1 d of 7.5 h plus 3.75 h.
    m.update(step.id, cycle_time="1 d 3.75 h")
    assert m.get(step.id).cycle_time == (7.5 + 3.75) * 3600


def test_error_messages_cut_long_values_short() -> None:
    with pytest.raises(UnitError) as caught:
        parse_duration("9" * 500 + " parsecs")
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("value", "share"),
    [
        ("85%", 0.85),
        ("85 %", 0.85),
        (" 100% ", 1.0),
        ("0%", 0.0),
        ("12.5%", 0.125),
        ("99,5%", 0.995),  # decimal comma
        (0.85, 0.85),
        ("0.85", 0.85),
        (1, 1.0),
        (0, 0.0),
    ],
)
def test_parse_ratio(value: object, share: float) -> None:
    assert parse_ratio(value) == pytest.approx(share)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("85", "more than 1"),  # a percentage needs its % sign: 85 is not read as 85%
        (85, "more than 1"),
        ("150%", "outside 0% to 100%"),
        (-0.1, "outside"),
        ("-5%", "outside"),
        (math.nan, "not a number"),
        (math.inf, "infinite"),
        ("", "not a share"),
        ("%", "not a share"),
        ("85 parsecs", "not a share"),
        ("eighty", "not a share"),
        (True, "not a share"),
        (None, "not a share"),
    ],
)
def test_parse_ratio_refuses(value: object, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_ratio(value)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("1,200", 1200.0),
        ("12,345,678", 12_345_678.0),
        ("1,200.5", 1200.5),
        ("1,5", 1.5),
        ("-3", -3.0),
        (" 42 ", 42.0),
        ("1e3", 1000.0),
        (7, 7.0),
    ],
)
def test_parse_number(value: object, number: float) -> None:
    assert parse_number(value) == number


@pytest.mark.parametrize(
    "value", ["1,2345", "1.200,5", "1,20,000", "12 000", "abc", "", "nan", "inf", True, None]
)
def test_parse_number_refuses(value: object) -> None:
    with pytest.raises(UnitError):
        parse_number(value)


def test_parse_number_whole() -> None:
    assert parse_number("3", integer=True) == 3
    with pytest.raises(UnitError, match="whole number"):
        parse_number(2.5, integer=True)


def test_parse_shifts() -> None:
    assert parse_shifts("2 x 27600 s") == (2, 27_600.0)
    assert parse_shifts("2x8h") == (2, 28_800.0)
    assert parse_shifts("3 × 7.5 h") == (3, 27_000.0)
    assert parse_shifts("8 h") == (1, 28_800.0)
    assert parse_shifts(28_800) == (1, 28_800.0)
    with pytest.raises(UnitError, match="at least 1"):
        parse_shifts("0 x 8 h")
    with pytest.raises(UnitError, match="whole number"):
        parse_shifts("1.5 x 8 h")


def test_to_unit() -> None:
    assert to_unit(5400, "h") == 1.5
    assert to_unit(5400, "minutes") == 90
    assert to_unit(110_400, "d", day=WORKING_DAY) == 2
    with pytest.raises(UnitError, match="unknown unit"):
        to_unit(1, "fortnight")


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("1 h", "h"),
        ("90 s", "s"),
        (" 2 days ", "d"),
        ("1.5 hours", "h"),
        ("1,5 h", "h"),
        ("10 min", "min"),
        ("250 ms", "ms"),
        ("1 h 30 min", None),  # two units: none of them is "the" unit
        ("45", None),  # a bare number is seconds, but no unit was typed
        (45, None),
        (datetime.timedelta(hours=1), None),
        ("soon", None),
        ("1 parsec", None),
    ],
)
def test_typed_unit(typed: object, unit: str | None) -> None:
    assert units.typed_unit(typed) == unit


def test_units_reads_and_display_writes() -> None:
    # One display rule: formatting is display's alone, units only reads what was typed.
    assert not {name for name in dir(units) if name.startswith("format")}


def test_every_listed_unit_is_understood() -> None:
    for unit in units.DURATION_UNITS:
        assert parse_duration(f"1 {unit}", day=100) > 0


# --------------------------------------------------------------------------- values analysts have


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (Decimal("1.5"), 1.5),
        (Decimal("90"), 90.0),
        (Decimal("0"), 0.0),
        (datetime.timedelta(minutes=2), 120.0),
        (datetime.timedelta(days=1), 86_400.0),  # a timedelta is exact time, not a working day
        (datetime.timedelta(microseconds=250_000), 0.25),
        (pd.Timedelta("1h30min"), 5400.0),
        (pd.Timedelta(milliseconds=1500), 1.5),
        (np.timedelta64(45, "s"), 45.0),
        (np.timedelta64(3, "m"), 180.0),
        (np.timedelta64(2, "h"), 7200.0),
        (np.timedelta64(1, "D"), 86_400.0),
        (np.timedelta64(1, "W"), 604_800.0),
        (np.timedelta64(1500, "ms"), 1.5),
        (np.timedelta64(2_000_000_000, "ns"), 2.0),
    ],
)
def test_durations_from_decimals_and_timedeltas(value: object, seconds: float) -> None:
    assert parse_duration(value, day=WORKING_DAY) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("NaN"), "not a number"),
        (Decimal("sNaN"), "not a number"),
        (Decimal("Infinity"), "infinite"),
        (Decimal("1E+400"), "far too large"),
        (Decimal("-1"), "negative"),
        (datetime.timedelta(seconds=-5), "negative"),
        (pd.Timedelta("-1s"), "negative"),
        (pd.NaT, "NaT"),
        (np.timedelta64("NaT"), "NaT"),
        (np.timedelta64(3, "M"), "months or years"),
        (np.timedelta64(1, "Y"), "months or years"),
        (np.timedelta64(5), "no unit"),
    ],
)
def test_durations_from_decimals_and_timedeltas_refused(value: object, message: str) -> None:
    with pytest.raises(UnitError, match=message):
        parse_duration(value)


def test_decimals_are_shares_and_numbers() -> None:
    assert parse_ratio(Decimal("0.85")) == pytest.approx(0.85)
    assert parse_ratio(Decimal("1")) == 1.0
    assert parse_number(Decimal("1200")) == 1200.0
    assert parse_number(Decimal("3"), integer=True) == 3
    with pytest.raises(UnitError, match="more than 1"):
        parse_ratio(Decimal("85"))
    with pytest.raises(UnitError, match="whole number"):
        parse_number(Decimal("2.5"), integer=True)
    with pytest.raises(UnitError, match="not a number"):
        parse_number(Decimal("NaN"))
    # A timedelta is a duration, not a count (numpy calls timedelta64 an integer).
    with pytest.raises(UnitError, match="not a number"):
        parse_number(np.timedelta64(5, "s"))


def test_units_does_not_import_pandas() -> None:
    code = "import sys, vsm_widget.core.units; print('pandas' in sys.modules, 'numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_long_number_text_is_refused_at_once() -> None:
    with pytest.raises(UnitError, match="characters long") as caught:
        parse_number("1" * 10_000)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (10**30, "1000000000000000000000000000000"),
        (10**200, "<integer of 201 digits>"),
        (-(10**200), "<-integer of 201 digits>"),
        (10**5000, "<integer of about 5,001 digits>"),  # repr() itself refuses this one
        ([1] * 1_000_000, "[1, 1, 1, 1, 1, 1, ...]"),
        ({"a": {"b": {"c": {"d": 1}}}}, "{'a': {'b': {'c': {...}}}}"),
    ],
    ids=["30 digits", "201 digits", "negative", "5001 digits", "a million items", "deep dict"],
)
def test_show_is_short_and_never_fails(value: object, shown: str) -> None:
    assert units._show(value) == shown


def test_show_survives_deep_self_containing_and_broken_values() -> None:
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert units._show(deep) == "[[[[...]]]]"
    loop: list[object] = []
    loop.append(loop)
    assert units._show(loop) == "[[[[...]]]]"

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    assert units._show(Broken()).startswith("<")
    # 40 characters in all: the quote, 36 letters and the three dots.
    assert units._show("x" * 1000) == "'" + "x" * 36 + "..."


def test_printable_escapes_what_no_file_holds_and_cuts() -> None:
    assert units._printable("a\ud800b\ufffe") == "a\\ud800b\\ufffe"
    assert units._printable("x" * 2000, 100) == "x" * 97 + "..."
    assert units._printable("café ✓") == "café ✓"
