"""Figures of streams that branch and loop, each computed by hand here.

Every map below works 8 hours a day (28,800 s) for 480 units a day: takt is 60 s, and
one unit of inventory is 1/480 of a day, 60 s.
"""

from __future__ import annotations

import json
import math

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.core.metrics import expected_passes

DAY = 8 * 3600.0
DEMAND = 480


def new_map(title: str) -> ValueStreamMap:
    return ValueStreamMap(title, demand=DEMAND, available_time="8 h")


# --------------------------------------------------------------------------- a feeder line


def feeder_map(stock: float) -> ValueStreamMap:
    """Main: Saw 50 s, 1 h wait, Assemble 40 s. A feeder into Assemble: ``stock`` units,
    Bend 70 s, a 30 min wait.
    """
    m = new_map("Feeder")
    m.add_process("Saw", cycle_time="50 s")
    m.add_wait("1 h")
    m.add_process("Assemble", cycle_time="40 s")
    b = m.add_branch(into="Assemble", name="Brackets")
    b.add_inventory(stock, id="brackets")
    b.add_process("Bend", cycle_time="70 s")
    b.add_wait("30 min", id="to_assembly")
    return m


def test_a_feeder_whose_wait_makes_it_critical_sets_the_lead_time() -> None:
    m = feeder_map(960)  # 960 / 480 = 2 days of demand
    met = m.metrics()
    main = 50 + 3600 + 40
    feeder = 2 * DAY + 70 + 1800 + 40  # the stock, Bend, the wait, then Assemble
    assert feeder > main
    assert met.lead_time == pytest.approx(feeder)
    assert met.process_time == pytest.approx(70 + 40)
    assert met.wait_time == pytest.approx(2 * DAY + 1800)
    assert met.efficiency == pytest.approx(110 / feeder)
    branch = m.branches[0].id
    assert met.critical_path == branch
    assert met.critical_steps == (m.get("Bend").id, m.get("Assemble").id)
    assert met.inventory_days == pytest.approx(2)
    assert met.path_count == 2
    # Takt, the bottleneck and capacity consider every step: Bend is over takt.
    assert met.takt_time == pytest.approx(60)
    assert met.bottleneck_name == "Bend"
    assert met.steps_over_takt == (m.get("Bend").id,)
    bend = next(s for s in met.steps if s.name == "Bend")
    assert bend.capacity_per_day == pytest.approx(DAY / 70)
    assert bend.path == branch
    assert met.work_content == pytest.approx(50 + 40 + 70)
    assert met.step_count == 3
    # Each gap follows its own path, to its own step downstream.
    gaps = {g.id: g for g in met.gaps}
    assert (gaps["brackets"].path, gaps["brackets"].downstream) == (branch, m.get("Bend").id)
    assert gaps["brackets"].inventory_days == pytest.approx(2)
    assert (gaps["to_assembly"].path, gaps["to_assembly"].downstream) == (branch, m.get("Assemble").id)
    assert (met.gaps[0].path, met.gaps[0].downstream) == ("main", m.get("Assemble").id)
    json.dumps(met.to_dict(), allow_nan=False)


def test_paths_give_one_row_per_path_with_its_totals() -> None:
    m = feeder_map(960)
    frame = m.paths()
    branch = m.branches[0].id
    assert list(frame.index) == ["main", branch]
    assert list(frame.columns) == ["steps", "lead_time", "process_time", "efficiency", "critical"]
    assert frame.loc["main", "steps"] == ("Saw", "Assemble")
    assert frame.loc["main", "lead_time"] == pytest.approx(50 + 3600 + 40)
    assert frame.loc["main", "process_time"] == pytest.approx(90)
    assert frame.loc["main", "efficiency"] == pytest.approx(90 / 3690)
    assert frame.loc[branch, "steps"] == ("Bend", "Assemble")
    assert frame.loc[branch, "lead_time"] == pytest.approx(2 * DAY + 1910)
    assert list(frame["critical"]) == [False, True]


def test_an_edit_on_a_branch_changes_the_lead_time_only_when_its_path_is_critical() -> None:
    m = feeder_map(1)  # one unit: 60 s of stock, the feeder is short
    short = 60 + 70 + 1800 + 40
    main = 50 + 3600 + 40
    assert short < main
    assert m.metrics().lead_time == pytest.approx(main)
    assert m.metrics().critical_path == "main"
    m.update("Bend", cycle_time="80 s")
    assert m.metrics().lead_time == pytest.approx(main)
    m.update("brackets", quantity=960)
    assert m.metrics().lead_time == pytest.approx(2 * DAY + 80 + 1800 + 40)
    m.update("Bend", cycle_time="90 s")
    assert m.metrics().lead_time == pytest.approx(2 * DAY + 90 + 1800 + 40)


# --------------------------------------------------------------------------- a parallel split


def parallel_map() -> ValueStreamMap:
    """Main: Order 10 s, 100 s wait, Check 20 s, 50 s wait, Ship 30 s. A parallel path
    splits off after Order and rejoins at Ship: Credit 200 s, a 10 s wait, Sign 5 s.
    """
    m = new_map("Parallel")
    m.add_process("Order", cycle_time="10 s")
    m.add_wait("100 s")
    m.add_process("Check", cycle_time="20 s")
    m.add_wait("50 s")
    m.add_process("Ship", cycle_time="30 s")
    b = m.add_branch(into="Ship", after="Order")
    b.add_process("Credit", cycle_time="200 s")
    b.add_wait("10 s")
    b.add_process("Sign", cycle_time="5 s")
    return m


def test_a_parallel_path_that_rejoins_counts_when_it_is_the_longer() -> None:
    m = parallel_map()
    met = m.metrics()
    main = 10 + 100 + 20 + 50 + 30  # 210
    side = 10 + 200 + 10 + 5 + 30  # 255: Order, the parallel path, then Ship
    assert met.lead_time == pytest.approx(side)
    assert met.process_time == pytest.approx(10 + 200 + 5 + 30)
    assert met.critical_path == m.branches[0].id
    assert [m.get(i).name for i in met.critical_steps] == ["Order", "Credit", "Sign", "Ship"]
    frame = m.paths()
    assert frame.loc["main", "lead_time"] == pytest.approx(main)
    assert frame.loc["main", "process_time"] == pytest.approx(60)
    assert frame.loc[m.branches[0].id, "lead_time"] == pytest.approx(side)
    # Shorten the parallel path below the main line: the main line is critical again.
    m.update("Credit", cycle_time="100 s")
    assert m.metrics().lead_time == pytest.approx(main)  # 10 + 100 + 10 + 5 + 30 = 155 < 210
    assert m.metrics().critical_path == "main"


def test_parallel_paths_one_after_another_make_one_critical_path() -> None:
    # A: 10, B: 10, C: 10, D: 10 on the main line; a path around B (after A, into C)
    # of 100 s, and one around C (after B, into D) of 100 s. The longest path takes
    # the first detour, then C's own 10 s... or B, then the second detour:
    # A + 100 + C + D = 130, or A + B + 100 + D = 130; never both detours at once.
    m = new_map("Detours")
    for name in "ABCD":
        m.add_process(name, cycle_time="10 s")
    m.add_branch(into="C", after="A").add_wait("100 s")
    m.add_branch(into="D", after="B").add_wait("100 s")
    met = m.metrics()
    assert met.lead_time == pytest.approx(130)
    assert met.process_time == pytest.approx(30)
    assert list(m.paths()["lead_time"]) == pytest.approx([40, 130, 130])


# --------------------------------------------------------------------------- nested branches


def test_nested_branches() -> None:
    # Main: A 10, B 20, C 30. A feeder into C: X 100, Y 50. A feeder into Y: a 1,000 s
    # wait, Z 5. A parallel path on the first feeder, after X into Y: 400 s.
    m = new_map("Nested")
    for name, seconds in (("A", 10), ("B", 20), ("C", 30)):
        m.add_process(name, cycle_time=seconds)
    outer = m.add_branch(into="C")
    outer.add_process("X", cycle_time=100)
    outer.add_process("Y", cycle_time=50)
    inner = m.add_branch(into="Y")
    inner.add_wait("1000 s")
    inner.add_process("Z", cycle_time=5)
    frame = m.paths()
    assert frame.loc["main", "lead_time"] == pytest.approx(60)
    assert frame.loc[outer.id, "lead_time"] == pytest.approx(100 + 50 + 30)
    assert frame.loc[inner.id, "lead_time"] == pytest.approx(1000 + 5 + 50 + 30)
    assert m.metrics().lead_time == pytest.approx(1085)
    assert m.metrics().critical_path == inner.id
    side = m.add_branch(into="Y", after="X")
    side.add_wait("400 s")
    assert m.paths().loc[side.id, "lead_time"] == pytest.approx(100 + 400 + 50 + 30)
    assert m.metrics().lead_time == pytest.approx(1085)
    side.add_process("Inspect", cycle_time=600)
    # X, the wait, Inspect, then Y and C: 100 + 400 + 600 + 50 + 30.
    assert m.metrics().lead_time == pytest.approx(1180)
    assert m.metrics().process_time == pytest.approx(100 + 600 + 50 + 30)
    assert m.metrics().rolled_complete_accurate is None


# --------------------------------------------------------------------------- rework


def loop_map() -> ValueStreamMap:
    """Build 10 s, 100 s wait, Test 20 s, 40 s wait, Review 30 s: 200 s first pass."""
    m = new_map("Loop")
    m.add_process("Build", cycle_time="10 s")
    m.add_wait("100 s")
    m.add_process("Test", cycle_time="20 s")
    m.add_wait("40 s")
    m.add_process("Review", cycle_time="30 s")
    return m


def test_a_rework_loop_counts_its_segment_1_over_1_minus_share_times() -> None:
    m = loop_map()
    assert m.metrics().lead_time_with_rework == m.metrics().lead_time == pytest.approx(200)
    m.add_rework(source="Review", target="Test", share="25%")
    met = m.metrics()
    # Test, the wait after it and Review: (20 + 40 + 30) x 4/3 = 120; Build and its wait once.
    assert met.lead_time_with_rework == pytest.approx(10 + 100 + 120)
    assert met.lead_time == pytest.approx(200)  # the first pass, as before
    assert met.rework_estimated == ()
    # A second loop on Test alone (half comes back): Test counts 4/3 x 2 times.
    m.add_rework(source="Test", target="Test", share="50%")
    expected = 10 + 100 + 20 * 4 / 3 * 2 + (40 + 30) * 4 / 3
    assert m.metrics().lead_time_with_rework == pytest.approx(expected)
    assert expected_passes(0.25) == pytest.approx(4 / 3)
    assert math.isinf(expected_passes(1.0))


def test_rework_from_complete_and_accurate_is_an_estimate_where_no_loop_is_drawn() -> None:
    m = loop_map()
    m.update("Build", complete_accurate="90%")
    met = m.metrics()
    # 10% of Build's output comes back once: Build counts 1.1 times, the waits once.
    assert met.lead_time_with_rework == pytest.approx(11 + 100 + 20 + 40 + 30)
    assert met.rework_estimated == (m.get("Build").id,)
    # Review's %C&A is not estimated: a loop is drawn from it.
    m.update("Review", complete_accurate="50%")
    m.add_rework(source="Review", target="Test", share="25%")
    met = m.metrics()
    assert met.rework_estimated == (m.get("Build").id,)
    assert met.lead_time_with_rework == pytest.approx(11 + 100 + (20 + 40 + 30) * 4 / 3)
    assert met.format("lead_time_with_rework") == met.display.lead(met.lead_time_with_rework)


def test_a_step_a_loop_covers_is_not_estimated_from_its_complete_and_accurate_too() -> None:
    m = loop_map()
    # Test lies inside the loop from Review back to Test; Build lies outside it.
    m.update("Test", complete_accurate="80%")
    m.update("Build", complete_accurate="90%")
    m.add_rework(source="Review", target="Test", share="25%")
    met = m.metrics()
    # The loop reworks Test: its 80% is what the loop sends back, not counted twice.
    # Build 10 x 1.1, its 100 s wait once, then (20 + 40 + 30) x 4/3.
    assert met.rework_estimated == (m.get("Build").id,)
    assert met.lead_time_with_rework == pytest.approx(11 + 100 + (20 + 40 + 30) * 4 / 3)


def test_rework_can_make_another_path_the_longest() -> None:
    # Feeder (150 s) into Final, main line 100 s before Final; a loop on the main line's
    # Prep (60 s, 75% back: 4 passes, 240 s) makes the main line the longer with rework.
    m = new_map("Loop on a branch map")
    m.add_process("Prep", cycle_time="60 s")
    m.add_wait("40 s")
    m.add_process("Final", cycle_time="10 s")
    m.add_branch(into="Final").add_process("Feed", cycle_time="150 s")
    m.add_rework(source="Prep", target="Prep", share="75%")
    met = m.metrics()
    assert met.lead_time == pytest.approx(160)  # the feeder: 150 + 10
    assert met.lead_time_with_rework == pytest.approx(240 + 40 + 10)


def test_a_straight_map_has_one_path_its_whole_stream() -> None:
    m = loop_map()
    frame = m.paths()
    assert list(frame.index) == ["main"]
    assert frame.loc["main", "steps"] == ("Build", "Test", "Review")
    assert frame.loc["main", "lead_time"] == m.metrics().lead_time
    assert bool(frame.loc["main", "critical"])
    assert m.metrics().critical_steps == tuple(s.id for s in m.steps)
