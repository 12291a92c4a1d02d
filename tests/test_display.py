"""One display rule: every quantity reads one way, and every view reads it that way.

The table below is the rule, written down from the rule's own description (display.py's
module docstring), not from its output. Then one map is shown every way a coach sees it
(the scene the canvas draws, the static SVG, the metric cards, the details panel's
figures, Metrics.format and the comparison) and each figure must read the same in all.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.core import units
from vsm_widget.core.display import DASH, Display, auto_unit, format_duration, format_number, format_ratio
from vsm_widget.presentation.scene import build_scene

WORKING_DAY = 8 * 3600.0
RULE = Display(WORKING_DAY, "working")

DURATIONS = [
    (0, "0 s"),
    (45, "45 s"),
    (62, "62 s"),
    (188, "188 s"),  # under 10 minutes: seconds, as on a data box
    (599, "599 s"),
    (600, "10 min"),
    (3_600, "1 h"),  # a whole hour reads in hours, not "60 min"
    (5_400, "1.5 h"),
    (7_000, "117 min"),
    (30_000, "1.04 d"),  # beyond one working day: days (the same 30,000 s everywhere)
    (57_600, "2 d"),
    (23.6 * WORKING_DAY, "23.6 d"),
    (None, DASH),
    (math.nan, DASH),
]


@pytest.mark.parametrize(("seconds", "text"), DURATIONS)
def test_a_duration_on_its_own(seconds: float | None, text: str) -> None:
    assert RULE.duration(seconds) == text


@pytest.mark.parametrize(
    ("ratio", "text", "capacity"),
    [
        (0.853, "85.3%", "85.3%"),
        (0.000144, "0.0144%", "0.0144%"),
        (1.0, "100%", "100%"),
        (1.125, "112%", "112% (over capacity)"),
        (None, DASH, DASH),
    ],
)
def test_shares_and_line_efficiency(ratio: float | None, text: str, capacity: str) -> None:
    assert RULE.share(ratio) == text
    assert RULE.capacity_share(ratio) == capacity


def test_a_negative_balance_delay_says_over_capacity() -> None:
    assert RULE.balance_delay(-0.125) == "over capacity"
    assert RULE.balance_delay(0.25) == "25%"


@pytest.mark.parametrize(
    ("value", "text"), [(1200, "1,200"), (2.5, "2.5"), (0.123456, "0.123"), (21_730, "21,730")]
)
def test_counts(value: float, text: str) -> None:
    assert RULE.number(value) == text


def test_days_of_demand_and_shifts() -> None:
    assert RULE.days_of_demand(4.5) == "4.5 d"
    assert RULE.days_of_demand(4.5, long=True) == "4.5 days of demand"
    assert RULE.days_of_demand(1, long=True) == "1 day of demand"
    # A shift as long as the working day is still "8 h", never "1 d".
    assert RULE.shift(WORKING_DAY) == "8 h"
    assert RULE.duration(WORKING_DAY) == "1 d"


def test_the_ladder_reads_in_one_unit_per_level() -> None:
    # Learning to See: 23.6 days of lead time over 188 seconds of process time.
    ladder = RULE.resolve(23.6 * WORKING_DAY, 188)
    assert (ladder.lead_unit, ladder.process_unit) == ("d", "s")
    assert ladder.lead(5 * WORKING_DAY) == "5 d"
    assert ladder.lead(3_600) == "0.125 d"  # a short wait on a long ladder: still days
    assert ladder.process(62) == "62 s"
    # An office map: hours of work, weeks of waiting.
    office = RULE.resolve(40 * WORKING_DAY, 5 * 3600)
    assert office.process(1800) == "0.5 h"
    fixed = Display(WORKING_DAY, "working", lead_unit="h").resolve(23.6 * WORKING_DAY, 188)
    assert fixed.lead(5 * WORKING_DAY) == "40 h"


def test_a_calendar_day_map_says_so() -> None:
    calendar = Display(86_400.0, "calendar")
    assert calendar.duration(2 * 86_400) == "2 d"
    assert calendar.duration_long(2 * 86_400) == "2 days"
    assert RULE.duration_long(2 * WORKING_DAY) == "2 working days"
    assert RULE.duration_long(WORKING_DAY) == "1 working day"
    assert calendar.day_note() == "1 d = 24 h (calendar)"
    assert RULE.day_note() == "1 d = 8 h working day"


def test_auto_unit_thresholds() -> None:
    assert [auto_unit(s, WORKING_DAY) for s in (1, 599, 600, 7_199, 7_200, 28_799, 28_800)] == [
        "s", "s", "min", "min", "h", "h", "d",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1200, "1,200"),
        (0.123456, "0.123"),
        (12.34, "12.3"),
        (1234.5, "1,234"),  # from 100 up, no decimals
        (0.5, "0.5"),
        (-0.5, "-0.5"),
        (0, "0"),
        (math.inf, DASH),
        (math.nan, DASH),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("seconds", "unit", "text"),
    [
        (45, None, "45 s"),
        (120, None, "120 s"),  # seconds below 10 minutes, as on a data box
        (1800, None, "30 min"),
        (3600, None, "1 h"),
        (5400, None, "1.5 h"),  # 1.5 reads cleanly in hours
        (5460, None, "91 min"),
        (2 * 86_400, None, "2 d"),
        (60, "s", "60 s"),
        (5400, "minutes", "90 min"),
        (None, None, DASH),
    ],
)
def test_format_duration_is_the_rule(seconds: float | None, unit: str | None, text: str) -> None:
    assert format_duration(seconds, unit) == text


def test_format_duration_on_a_working_day() -> None:
    # 23.6 working days of 55,200 s, shown in days.
    day = 55_200.0
    assert format_duration(23.6 * day, day=day) == "23.6 d"
    assert format_duration(7200, day=day) == "2 h"
    with pytest.raises(units.UnitError, match="not a unit to show"):
        format_duration(60, "wk")


def test_format_ratio() -> None:
    assert format_ratio(0.853) == "85.3%"
    assert format_ratio(1) == "100%"
    assert format_ratio(None) == DASH


def test_formatted_durations_read_back() -> None:
    for seconds in (0.5, 45, 90, 5400, 3 * 86_400):
        assert units.parse_duration(format_duration(seconds)) == pytest.approx(seconds, rel=1e-3)


@pytest.mark.parametrize(
    ("seconds", "unit", "text"),
    [
        (3600, "h", "1 h"),
        (90, "s", "90 s"),
        (3600, "min", "60 min"),  # typed "60 min": it reads "60 min", not "1 h"
        (600, "s", "600 s"),  # typed "600 s": not "10 min"
        (5400, "min", "90 min"),  # typed "90 min": not "1.5 h"
        (16 * 3600, "h", "16 h"),  # typed "16 h" on 8-hour days: not "2 d"
        (4442.4, "h", "74 min"),  # 1.234 h would show rounded: the rule's choice instead
        (57_600, "d", "2 d"),
        (30_000, "d", "1.04 d"),  # 1.0417 d does not read cleanly in days: the rule (days)
        (None, "h", DASH),
        (3600, None, "1 h"),
    ],
)
def test_a_typed_unit_reads_back_where_it_reads_cleanly(
    seconds: float | None, unit: str | None, text: str
) -> None:
    assert RULE.entered(seconds, unit) == text


def test_a_shift_typed_in_days_still_reads_in_hours() -> None:
    assert RULE.entered(WORKING_DAY, "d", never="d") == "8 h"
    assert RULE.entered(7.5 * 3600, "min", never="d") == "450 min"


# --------------------------------------------------------------------------- every view


def _office_map() -> ValueStreamMap:
    """Lead time 30,000 s on an 8-hour day: "1.04 d" on every view (it once read "500 min",
    "1.04 d" and "1.04 working days")."""
    m = ValueStreamMap("Office", demand=16, working_days=1, available_time="8 h")
    m.add_wait("20000 s")
    m.add_process("Review", cycle_time="10 min", process_time="10 min", lead_time="10000 s")
    return m


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    lines: list[str] = []
    for e in root.iter("{http://www.w3.org/2000/svg}text"):
        spans = e.findall("{http://www.w3.org/2000/svg}tspan")
        lines.extend([s.text or "" for s in spans] if spans else [e.text or ""])
    return lines


def _node_texts(node: Any) -> list[str]:
    """Every line of text a scene node draws, in order."""
    texts: list[str] = []

    def walk(shape: dict) -> None:
        if shape.get("t") == "text":
            texts.extend([span[2] for span in shape["spans"]] if "spans" in shape else [shape["text"]])
        for kid in shape.get("kids", ()):
            walk(kid)

    for shape in node.shapes:
        walk(shape)
    return texts


def _scene_texts(m: ValueStreamMap) -> list[str]:
    return [text for node in build_scene(m.state, m.metrics()).nodes for text in _node_texts(node)]


def test_every_view_reads_the_lead_time_alike() -> None:
    m = _office_map()
    metrics = m.metrics()
    assert metrics.lead_time == 30_000
    expected = "1.04 d"
    # The canvas (the scene it draws) and the static SVG: the ladder's total.
    assert expected in _scene_texts(m)
    assert expected in _texts(m.to_svg())
    # Metrics.format, and a card (which spells out the day).
    assert metrics.format("lead_time") == expected
    pytest.importorskip("bqplot")
    from vsm_widget.jupyter.dashboard import MetricCards

    cards = MetricCards(m)
    assert cards.texts()["lead_time"] == "1.04 working days"
    # The comparison reads both maps in the current map's units.
    f = m.future()
    f.update("Review", lead_time="600 s")
    before, after, _ = m.compare(f)["lead_time"].texts(m.metrics(), f.metrics())
    assert before == "1.04 working days"
    assert after.endswith("working days")


def test_the_panel_figures_and_the_data_box_use_the_same_rule() -> None:
    m = ValueStreamMap.template("stamping_plant")
    scene = build_scene(m.state, m.metrics())
    node = scene.node("assy1")
    figures = dict(node.figures)
    # Effective C/T of Assembly #1: C/T 62 s at 100% uptime on one station.
    assert figures["Effective C/T"] == "62 s"
    assert figures["Time on the ladder"] == "62 s"
    data_box = [s["text"] for s in node.shapes if s.get("f") == "cycle_time"]
    assert data_box == ["62 s"]
    gap = dict(scene.node("g_coils").figures)
    # 4,600 coils' worth of parts / 920 a day.
    assert gap["Days of demand"] == "5 d"


#: A wait before one 10-second step, as typed, on an 8-hour working day or a calendar day;
#: what the wait reads on the ladder (the map's lead unit), what the lead time reads (wait
#: + 10 s), and what the lead-time card reads (the day spelt out). Worked by hand from the
#: rule: three significant figures, the ladder unit chosen once per map from its lead time.
LADDER_TABLE = [
    # 35 s + 10 s = 45 s: seconds.
    ("35 s", "working", "35 s", "45 s", "45 s"),
    # 590 s = 9.833 min; 600 s = 10 min.
    ("590 s", "working", "9.83 min", "10 min", "10 min"),
    # 5,390 s = 1.497 h; 5,400 s = 1.5 h.
    ("5390 s", "working", "1.5 h", "1.5 h", "1.5 h"),
    # 29,990 s / 28,800 s = 1.0413 d; 30,000 s = 1.0417 d (of 8 working hours).
    ("29990 s", "working", "1.04 d", "1.04 d", "1.04 working days"),
    # Two calendar days of 24 h; plus 10 s is 2.0001 d.
    ("2 d", "calendar", "2 d", "2 d", "2 days"),
]


def _ladder_map(wait: str, basis: str) -> ValueStreamMap:
    m = ValueStreamMap("Office", demand=16, working_days=1, available_time="8 h")
    if basis == "calendar":
        m.update("map", day_basis="calendar")
    m.add_wait(wait, id="queue")
    m.add_process("Review", id="review", cycle_time="10 s")
    return m


@pytest.mark.parametrize(("wait", "basis", "on_ladder", "lead", "card"), LADDER_TABLE)
def test_every_view_reads_the_ladder_by_one_rule(
    wait: str, basis: str, on_ladder: str, lead: str, card: str
) -> None:
    m = _ladder_map(wait, basis)
    metrics = m.metrics()
    scene = build_scene(m.state, metrics)
    # The canvas's scene and the static SVG: the wait's rung and the totals' lead time.
    rung = scene.node("queue/rung")
    assert rung.label.endswith(f": {on_ladder}")
    assert ("Lead time", lead) == tuple(_scene_row(scene.node("totals"), "Lead time"))
    svg = _texts(m.to_svg())
    assert on_ladder in svg
    assert svg[svg.index("Lead time") + 1] == lead
    # The details panel's figure of the wait, and Metrics.format.
    assert dict(scene.node("queue").figures)["Wait on the ladder"] == on_ladder
    assert metrics.format("lead_time") == lead
    # A card spells out the day.
    pytest.importorskip("bqplot")
    from vsm_widget.jupyter.dashboard import MetricCards

    assert MetricCards(m).texts()["lead_time"] == card


def _scene_row(node: Any, label: str) -> list[str]:
    """A label and the value after it in a scene node's texts (the totals box's rows)."""
    texts = _node_texts(node)
    at = texts.index(label)
    return texts[at : at + 2]


def test_a_count_of_working_days_says_day_or_days() -> None:
    one = ValueStreamMap("One day", demand=16, working_days=1, available_time="8 h")
    many = ValueStreamMap("A month", demand=18400, period="month", working_days=20, available_time="8 h")
    for m, expected in ((one, "1 working day"), (many, "20 working days")):
        assert expected in _scene_texts(m)
        assert expected in _texts(m.to_svg())


def test_a_line_over_capacity_says_so_in_metrics_format_and_the_excel_summary() -> None:
    # Takt 60 s (480 a day in 8 h); C/T 90 s + 80 s on two steps: line efficiency
    # 170 / (2 x 60) = 141.7%, balance delay 1 - 1.417 = -41.7%, neither read as normal.
    m = ValueStreamMap("Over", demand=480, available_time="8 h")
    m.add_process("Cut", cycle_time="90 s")
    m.add_process("Bend", cycle_time="80 s")
    metrics = m.metrics()
    assert metrics.line_efficiency == pytest.approx(170 / 120)
    assert metrics.format("line_efficiency") == "142% (over capacity)"
    assert metrics.format("balance_delay") == "over capacity"
    pytest.importorskip("pandas")
    from vsm_widget.data.export import metrics_frame

    shown = metrics_frame(m).set_index("metric")["display"]
    assert shown["line_efficiency"] == "142% (over capacity)"
    assert shown["balance_delay"] == "over capacity"
    # Within capacity, plain shares: 50 s + 40 s on two steps is 90 / 120 = 75%, delay 25%.
    m.update("Cut", cycle_time="50 s")
    m.update("Bend", cycle_time="40 s")
    assert (m.metrics().format("line_efficiency"), m.metrics().format("balance_delay")) == ("75%", "25%")
