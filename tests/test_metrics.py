"""Metrics against a published case, a hand-computed office map and the edge cases.

Expected figures are worked out by hand from VSM-DOMAIN.md section 3 (shown in the
comments) or taken from Rother and Shook, *Learning to See* (the stamping plant).
"""

from __future__ import annotations

import dataclasses
import json
import math

import pandas as pd
import pytest

from vsm_widget import Metrics, ValueStreamMap
from vsm_widget.core import metrics as mx

# --------------------------------------------------------------------------- Learning to See

# The current-state map of the stamping and welding plant (Learning to See):
# 18,400 brackets a month over 20 working days, two shifts of 27,600 s available.
STEPS = [
    # name, C/T, changeover, uptime
    ("Stamping", "1 s", "1 h", "85%"),
    ("S. Weld #1", "39 s", "10 min", "100%"),
    ("S. Weld #2", "46 s", "10 min", "80%"),
    ("Assembly #1", "62 s", "0 s", "100%"),
    ("Assembly #2", "40 s", "0 s", "100%"),
]
# Inventory before each step and after the last one (left-hand / right-hand parts).
INVENTORIES = [4600, {"LH": 4600, "RH": 2400}, {"LH": 1100, "RH": 600}, {"LH": 1600, "RH": 850}]
INVENTORIES += [{"LH": 1200, "RH": 640}, {"LH": 2700, "RH": 1440}]


def stamping_plant() -> ValueStreamMap:
    m = ValueStreamMap(
        "Steering brackets", demand=18400, period="month", working_days=20, available_time="2 x 27600 s"
    )
    for (name, cycle, changeover, uptime), stock in zip(STEPS, INVENTORIES, strict=False):
        m.add_inventory(stock)
        m.add_process(name, cycle_time=cycle, changeover=changeover, uptime=uptime)
    m.add_inventory(INVENTORIES[-1])
    return m


@pytest.fixture
def plant() -> ValueStreamMap:
    return stamping_plant()


def test_stamping_plant_takt_time_is_sixty_seconds(plant: ValueStreamMap) -> None:
    met = plant.metrics()
    # 2 x 27,600 s = 55,200 s a day; 18,400 / 20 = 920 parts a day; 55,200 / 920 = 60 s.
    assert met.available_time == 55_200
    assert met.daily_demand == 920
    assert met.takt_time == pytest.approx(60)


def test_stamping_plant_inventory_days_match_the_book(plant: ValueStreamMap) -> None:
    met = plant.metrics()
    # The book prints 5, 7.6, 1.8, 2.7, 2 and 4.5 days: (units summed over LH and RH) / 920.
    book = [5, 7.6, 1.8, 2.7, 2, 4.5]
    assert [round(g.inventory_days, 1) for g in met.gaps] == book
    # The sum of both variants is used, never one variant alone (7000 / 920, not 4600 / 920).
    assert met.gaps[1].quantity == 7000
    assert met.gaps[1].inventory_days == pytest.approx(7000 / 920)


def test_stamping_plant_lead_time_is_23_6_days_and_process_time_188_s(plant: ValueStreamMap) -> None:
    met = plant.metrics()
    # 4600 + 7000 + 1700 + 2450 + 1840 + 4140 = 21,730 units / 920 a day = 23.62 days.
    assert met.inventory_days == pytest.approx(21_730 / 920)
    assert round(met.inventory_days, 1) == 23.6
    assert met.process_time == 188
    # Lead time = waits (21,730 / 920 days x 55,200 s = 21,730 x 60 s) + the 188 s of the steps.
    assert met.lead_time == pytest.approx(21_730 * 60 + 188)
    assert round(met.in_days("lead_time"), 1) == 23.6
    assert met.format("lead_time", "d") == "23.6 d"
    assert met.lead_time_complete
    # Process cycle efficiency = 188 s / 1,303,988 s.
    assert met.efficiency == pytest.approx(188 / 1_303_988)


def test_stamping_plant_bottleneck_is_the_62_second_step(plant: ValueStreamMap) -> None:
    met = plant.metrics()
    # Effective C/T: 1/0.85 = 1.18, 39, 46/0.8 = 57.5, 62, 40 s. Only 62 s exceeds takt (60 s).
    assert met.bottleneck_name == "Assembly #1"
    assert met.bottleneck == plant.get("Assembly #1").id
    assert met.bottleneck_cycle_time == 62
    assert met.steps_over_takt == (plant.get("Assembly #1").id,)
    effective = {s.name: s.effective_cycle_time for s in met.steps}
    assert effective["Stamping"] == pytest.approx(1 / 0.85)
    assert effective["S. Weld #2"] == pytest.approx(57.5)
    assert [s.is_bottleneck for s in met.steps] == [False, False, False, True, False]


def test_stamping_plant_line_balance_capacity_and_littles_law(plant: ValueStreamMap) -> None:
    met = plant.metrics()
    # Work content 188 s / takt 60 s = 3.13 operators; line efficiency 188 / (5 x 60).
    assert met.work_content == 188
    assert met.operators_needed == pytest.approx(188 / 60)
    assert met.line_efficiency == pytest.approx(188 / 300)
    assert met.balance_delay == pytest.approx(1 - 188 / 300)
    # Capacity = 55,200 s / effective C/T: Assembly #1 makes 890 a day, short of 920.
    capacity = {s.name: s.capacity_per_day for s in met.steps}
    assert capacity["Assembly #1"] == pytest.approx(55_200 / 62)
    assert capacity["Stamping"] == pytest.approx(55_200 * 0.85)
    # Little's law: 21,730 units of WIP / 920 a day = the same 23.6 days of inventory.
    assert met.littles_law_days == pytest.approx(21_730 / 920)
    assert met.total_inventory == 21_730


def test_stamping_plant_epei(plant: ValueStreamMap) -> None:
    # EPEI = changeovers of both parts (LH, RH) / (available time - daily run time).
    # The book's data box says "EPE 2 weeks" for stamping: that is the interval the plant
    # practises, not this capacity figure (the shortest interval the press could run).
    epei = {s.name: s.epei_days for s in plant.metrics().steps}
    # Stamping: 2 x 3600 s / (55,200 - 920 x 1/0.85 s) = 0.133 days.
    assert epei["Stamping"] == pytest.approx(7200 / (55_200 - 920 / 0.85))
    # S. Weld #1: 2 x 600 / (55,200 - 920 x 39) = 1200 / 19,320.
    assert epei["S. Weld #1"] == pytest.approx(1200 / 19_320)
    # S. Weld #2: 1200 / (55,200 - 920 x 57.5) = 1200 / 2300.
    assert epei["S. Weld #2"] == pytest.approx(1200 / 2300)
    # Assembly #1 has no time left at all (920 x 62 s > 55,200 s): no interval is possible.
    assert epei["Assembly #1"] == math.inf
    assert epei["Assembly #2"] == 0


def test_the_function_forms_agree_with_compute(plant: ValueStreamMap) -> None:
    state = plant.state
    met = plant.metrics()
    assert mx.takt_time(state) == met.takt_time
    assert mx.lead_time(state) == pytest.approx(met.lead_time)
    assert mx.process_time(state) == met.process_time
    assert mx.bottleneck(state).id == met.bottleneck
    assert mx.available_time_per_day(state) == 55_200
    assert mx.daily_demand(state) == 920
    assert mx.inventory_days(state.gaps[0], state) == 5
    assert mx.gap_wait_time(state.gaps[0], state) == 5 * 55_200
    stamping = state.steps[0]
    assert mx.capacity_per_day(stamping, state) == pytest.approx(met.steps[0].capacity_per_day)
    assert mx.epei(stamping, state, parts=2) == pytest.approx(met.steps[0].epei_days)
    assert mx.rolled_complete_accurate(state) is None  # no step has a %C&A


# --------------------------------------------------------------------------- an office map


def order_to_cash() -> ValueStreamMap:
    # 40 orders a week over 5 working days = 8 a day; one 8 h shift with 30 min of breaks
    # gives 27,000 s a working day, so "1 d" below is 27,000 s.
    m = ValueStreamMap(
        "Order to cash",
        demand=40,
        period="week",
        working_days=5,
        shifts=1,
        shift_length="8 h",
        breaks="30 min",
    )
    m.add_process(
        "Enter order",
        process_time="10 min",
        lead_time="2 h",
        complete_accurate="90%",
        value_class="value-adding",
    )
    m.add_wait("3 d", waste="waiting")
    m.add_process(
        "Credit check",
        process_time="15 min",
        lead_time="1 d",
        complete_accurate="80%",
        value_class="necessary",
    )
    m.add_inventory(16)
    m.add_process(
        "Schedule",
        process_time="20 min",
        lead_time="4 h",
        complete_accurate="95%",
        value_class="value-adding",
    )
    return m


def test_office_map_figures_by_hand() -> None:
    met = order_to_cash().metrics()
    assert met.available_time == 27_000  # 1 x (28,800 - 1,800) s
    assert met.daily_demand == 8  # 40 / 5
    assert met.takt_time == pytest.approx(3375)  # 27,000 / 8
    # Waits: "3 d" = 3 x 27,000 = 81,000 s; 16 orders / 8 a day = 2 days = 54,000 s.
    assert [g.wait_time for g in met.gaps] == [81_000, 54_000]
    assert met.gaps[1].inventory_days == 2
    # Step lead times 7,200 + 27,000 + 14,400 s; lead time = 81,000 + 54,000 + 48,600.
    assert met.lead_time == 183_600
    assert met.in_days("lead_time") == pytest.approx(6.8)  # 183,600 / 27,000
    # Hands-on time 600 + 900 + 1,200 s; flow efficiency 2,700 / 183,600 = 1.47%.
    assert met.process_time == 2_700
    assert met.efficiency == pytest.approx(2_700 / 183_600)
    assert met.format("efficiency") == "1.47%"
    # Rolled %C&A = 0.90 x 0.80 x 0.95 = 0.684: only 68% passes clean end to end.
    assert met.rolled_complete_accurate == pytest.approx(0.684)
    # No C/T given: hands-on time stands in for it; Schedule (1,200 s) is the slowest.
    assert met.bottleneck_name == "Schedule"
    assert met.steps_over_takt == ()
    assert met.work_content == 2_700
    assert met.operators_needed == pytest.approx(0.8)  # 2,700 / 3,375
    # Ladder time by value class; gaps count as waiting.
    assert met.time_by_value_class["value-adding"] == 7_200 + 14_400
    assert met.time_by_value_class["necessary"] == 27_000
    assert met.time_by_value_class["waiting"] == 135_000
    # The queue is untagged inventory; the wait is tagged "waiting".
    assert met.time_by_waste["waiting"] == 81_000
    assert met.time_by_waste["inventory"] == 54_000
    assert met.littles_law_days == 2  # 16 orders / 8 a day


def test_calendar_day_map_counts_24_hour_days() -> None:
    m = ValueStreamMap("Tickets", day_basis="calendar", demand=10, available_time="8 h")
    m.add_process("Triage", process_time="30 min", lead_time="1 d")
    m.add_wait("2 d")
    m.add_process("Fix", process_time="2 h")
    met = m.metrics()
    assert met.day_length == 86_400
    # 1 d + 2 d at 86,400 s, plus 2 h of fixing.
    assert met.lead_time == 3 * 86_400 + 7_200
    assert met.in_days("lead_time") == pytest.approx(3 + 7_200 / 86_400)


# --------------------------------------------------------------------------- edge cases


def test_empty_map_has_zeros_and_no_ratios() -> None:
    met = ValueStreamMap("Empty").metrics()
    assert (met.lead_time, met.process_time, met.wait_time, met.step_count) == (0, 0, 0, 0)
    assert met.efficiency is None
    assert met.takt_time is None
    assert met.bottleneck is None
    assert met.rolled_complete_accurate is None
    assert met.inventory_days is None
    assert met.warnings == ()
    json.dumps(met.to_dict(), allow_nan=False)


def test_no_demand_means_no_takt_and_inventory_is_named_by_gap_id() -> None:
    m = ValueStreamMap("No demand", available_time="8 h")
    m.add_process("Cut", cycle_time="30 s")
    gap = m.add_inventory(500)
    m.add_process("Pack", cycle_time="20 s")
    timed = m.add_wait("1 h", quantity=40)
    met = m.metrics()
    assert met.takt_time is None
    assert met.steps_over_takt == ()
    assert met.operators_needed is None
    assert met.warning_for(gap.id) == ("inventory needs customer demand to become a time",)
    assert met.warning_for(timed.id) == ()
    assert met.warning_for("customer") == ("takt time needs customer demand",)
    assert not met.lead_time_complete
    # The known parts still add up: 3600 s of waiting and 50 s of work.
    assert met.lead_time == 3_650
    assert met.gaps[0].wait_time is None
    assert met.inventory_days is None


def test_demand_without_working_days_is_explained() -> None:
    m = ValueStreamMap("Monthly", demand=1000, period="month", available_time="8 h")
    m.add_process("Cut", cycle_time="30 s")
    met = m.metrics()
    assert met.daily_demand is None
    assert met.warning_for("customer") == ("takt time needs the working days in a month",)


def test_zero_demand_has_no_takt_and_says_why() -> None:
    m = ValueStreamMap("Idle", demand=0, available_time="8 h")
    m.add_process("Cut", cycle_time="30 s")
    gap = m.add_inventory(10)
    met = m.metrics()
    assert met.daily_demand == 0
    assert met.takt_time is None
    assert met.littles_law_days is None
    assert met.warning_for("customer") == ("customer demand is zero: there is no takt time",)
    assert met.warning_for(gap.id) == ("inventory cannot become a time: customer demand is zero",)


def test_zero_uptime_step_never_produces_and_is_the_bottleneck() -> None:
    m = ValueStreamMap("Broken", demand=100, available_time="8 h")
    m.add_process("Press", cycle_time="10 s", uptime="0%", changeover="5 min")
    m.add_process("Pack", cycle_time="20 s")
    met = m.metrics()
    press = met.steps[0]
    assert press.effective_cycle_time == math.inf
    assert press.capacity_per_day == 0  # 28,800 s / infinity
    assert press.epei_days == math.inf
    assert met.bottleneck_name == "Press"
    assert met.steps_over_takt == (m.get("Press").id,)
    # JSON cannot carry infinity: it becomes null.
    data = met.to_dict()
    assert data["steps"][0]["effective_cycle_time"] is None
    assert data["bottleneck_cycle_time"] is None
    json.dumps(data, allow_nan=False)


def test_single_step_map() -> None:
    m = ValueStreamMap("One", demand=480, available_time="8 h")
    m.add_process("Only", cycle_time="45 s", complete_accurate="98%")
    met = m.metrics()
    assert met.takt_time == 60  # 28,800 / 480
    assert met.lead_time == 45
    assert met.efficiency == 1
    assert met.rolled_complete_accurate == pytest.approx(0.98)
    assert met.bottleneck_name == "Only"
    assert met.steps_over_takt == ()
    assert met.line_efficiency == pytest.approx(0.75)  # 45 / (1 x 60)


def test_step_without_any_time_is_warned_and_counted_as_zero() -> None:
    m = ValueStreamMap("Gaps", demand=10, available_time="8 h")
    blank = m.add_process("Unknown")
    m.add_gap()
    m.add_process("Known", cycle_time="1 min")
    met = m.metrics()
    assert met.warning_for(blank.id) == ("step has no cycle, process or lead time",)
    assert met.warning_for(m.gaps[0].id) == ("gap has neither an inventory quantity nor a wait time",)
    assert met.lead_time == 60
    assert not met.lead_time_complete
    assert met.bottleneck_name == "Known"


def test_parallel_stations_divide_the_effective_cycle_time() -> None:
    m = ValueStreamMap("Cells", demand=100, available_time="8 h")
    m.add_process("Two cells", cycle_time="90 s", uptime="90%", parallel=2)
    step = m.metrics().steps[0]
    assert step.effective_cycle_time == pytest.approx(50)  # 90 / 0.9 / 2
    assert step.capacity_per_day == pytest.approx(576)  # 28,800 / 50


# --------------------------------------------------------------------------- the result object


def test_metrics_turn_into_a_dict_and_a_one_row_frame(plant: ValueStreamMap) -> None:
    met = plant.metrics()
    assert isinstance(met, Metrics)
    data = met.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["takt_time"] == pytest.approx(60)
    assert len(data["steps"]) == 5
    assert data["steps"][3]["is_bottleneck"] is True
    frame = met.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 1
    assert frame.loc[0, "takt_time"] == pytest.approx(60)
    assert frame.loc[0, "bottleneck_name"] == "Assembly #1"
    steps = met.steps_frame()
    assert list(steps["name"]) == [name for name, *_ in STEPS]
    assert steps.index.name == "id"


def test_metrics_in_other_units(plant: ValueStreamMap) -> None:
    met = plant.metrics()
    assert met.in_minutes("takt_time") == pytest.approx(1)
    assert met.in_hours("available_time") == pytest.approx(55_200 / 3600)
    assert met.format("takt_time") == "60 s"
    assert met.format("bottleneck_cycle_time") == "62 s"
    assert met.format("steps_over_takt") == plant.get("Assembly #1").id
    with pytest.raises(KeyError, match="not a duration"):
        met.in_unit("efficiency", "h")


def test_metrics_are_cached_per_state_and_follow_edits(plant: ValueStreamMap) -> None:
    first = plant.metrics()
    assert plant.metrics() is first
    plant.update("Assembly #1", cycle_time="55 s")
    second = plant.metrics()
    assert second is not first
    assert second.bottleneck_name == "S. Weld #2"  # 57.5 s is now the slowest
    plant.undo()
    assert plant.metrics().bottleneck_name == "Assembly #1"


# --------------------------------------------------------------------------- absurd but accepted values


def _floats(data: object) -> list[float]:
    """Every float in a nested dict/list."""
    if isinstance(data, float):
        return [data]
    if isinstance(data, dict):
        return [f for value in data.values() for f in _floats(value)]
    if isinstance(data, list):
        return [f for value in data for f in _floats(value)]
    return []


def overflowing_map() -> ValueStreamMap:
    """Two full inventories at a near-zero demand: each waits 1e308 s, their sum is past a float.

    Demand 2.88e-292 a day, 8 h a day: each gap's wait = 1e12 units / 2.88e-292 a day
    x 28,800 s = 1e308 s; two of them add up to 2e308, more than the largest float.
    """
    m = ValueStreamMap("Absurd", demand=2.88e-292, available_time="8 h")
    m.add_inventory(1e12)
    m.add_process("Cut", cycle_time="10 s")
    m.add_inventory(1e12)
    return m


def test_a_lead_time_past_the_float_range_is_infinite_not_an_error() -> None:
    met = overflowing_map().metrics()
    assert [g.wait_time for g in met.gaps] == [pytest.approx(1e308)] * 2
    assert met.lead_time == math.inf
    assert met.wait_time == math.inf
    assert met.efficiency == 0.0  # 10 s of process time in an endless lead time
    assert met.takt_time == pytest.approx(1e296)  # 28,800 s / 2.88e-292
    data = met.to_dict()
    assert data["lead_time"] is None
    json.dumps(data, allow_nan=False)


def test_a_takt_of_a_nanosecond_and_a_vanishing_uptime() -> None:
    # 1e12 units a day in 1,000 s: takt = 1,000 / 1e12 = 1e-9 s.
    m = ValueStreamMap("Absurd", demand=1e12, available_time="1000 s")
    m.add_process("Press", cycle_time="1 s", uptime=1e-300, changeover="1 h")
    met = m.metrics()
    press = met.steps[0]
    assert met.takt_time == pytest.approx(1e-9)
    assert press.effective_cycle_time == pytest.approx(1e300)  # 1 s / 1e-300
    assert press.capacity_per_day == pytest.approx(1e-297)  # 1,000 s / 1e300 s
    assert press.epei_days == math.inf  # the run time (1e12 x 1e300 s) leaves no time to change over
    assert met.operators_needed == pytest.approx(1e9)  # 1 s of work / 1e-9 s takt
    assert met.steps_over_takt == (press.id,)
    assert not any(math.isnan(f) for f in _floats(met.to_dict()))
    json.dumps(met.to_dict(), allow_nan=False)


def test_epei_without_demand_is_the_changeover_over_the_day_even_for_a_stopped_step() -> None:
    # Zero uptime makes the run time 0 x infinity: with no demand there is nothing to run,
    # so EPEI = 1 h of changeover / 8 h available = 0.125 days (not NaN, not infinity).
    m = ValueStreamMap("Idle", demand=0, available_time="8 h")
    step = m.add_process("Press", cycle_time="5 s", uptime="0%", changeover="1 h")
    met = m.metrics()
    assert met.steps[0].epei_days == pytest.approx(0.125)
    assert mx.epei(step, m.state) == pytest.approx(0.125)


def test_each_step_and_gap_figure_is_a_frozen_value_like_its_constructors(plant: ValueStreamMap) -> None:
    # compute() builds its per-element figures through a faster constructor: they must
    # be the very class, equal and hashed alike, and as frozen as the class's own.
    met = plant.metrics()
    step, gap = met.steps[3], met.gaps[1]
    assert type(step) is mx.StepMetrics
    assert type(gap) is mx.GapMetrics
    same_step = mx.StepMetrics(*(getattr(step, f.name) for f in dataclasses.fields(mx.StepMetrics)))
    same_gap = mx.GapMetrics(*(getattr(gap, f.name) for f in dataclasses.fields(mx.GapMetrics)))
    assert step == same_step
    assert hash(step) == hash(same_step)
    assert repr(step) == repr(same_step)
    assert gap == same_gap
    assert hash(gap) == hash(same_gap)
    assert step != dataclasses.replace(same_step, lead_time=1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.lead_time = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        gap.wait_time = 1.0  # type: ignore[misc]
    # The defaults of the last fields hold as in the class's own constructor.
    assert mx._gap_metrics("g", None, None, None) == mx.GapMetrics("g", None, None, None)
