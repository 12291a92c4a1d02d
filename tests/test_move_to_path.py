"""Moving a step between paths (``Map.move_to_path``): what moves, what stays, one undo
step, and every shape the move refuses (naming the field, the map left as it was).
"""

from __future__ import annotations

import pytest

from test_branches import line, refused
from vsm_widget import ValueStreamMap
from vsm_widget.core.model import MAIN
from vsm_widget.data import io


def with_feeder() -> tuple[ValueStreamMap, str]:
    """The line (Cut, 1 h wait, Weld, Paint, Pack) and a feeder of Bend (20 s) into Weld."""
    m = line()
    b = m.add_branch(into="Weld", name="Brackets")
    b.add_process("Bend", cycle_time="20 s")
    m.clear_history()
    return m, b.id


def names(items: tuple[object, ...]) -> list[str]:
    return [getattr(item, "name", None) or item.id for item in items]


def test_a_main_step_moves_onto_a_feeder_after_the_step_named_and_only_it_moves() -> None:
    m, feeder = with_feeder()
    paint = m.get("Paint")
    wait = m.gaps[0]
    before = m.state
    m.move_to_path("Paint", feeder, after="Bend")
    assert [s.name for s in m.steps] == ["Cut", "Weld", "Pack"]
    assert names(m.branches[0].items) == ["Bend", "Paint"]
    # The step keeps its id and fields; the wait stays where it was on the main line.
    assert m.get(paint.id) == paint
    assert m.state.path_of(paint.id) == feeder
    assert m.state.stream[1] == wait
    assert m.branches[0].into == m.get("Weld").id
    # Main line: 30 s + 1 h + 40 s + 10 s = 3680 s; the feeder Bend 20 + Paint 20 + Weld 40
    # + Pack 10 = 90 s. Before the move the main line was 3700 s.
    frame = m.paths()
    assert frame.loc[MAIN, "lead_time"] == pytest.approx(3680)
    assert frame.loc[feeder, "lead_time"] == pytest.approx(90)
    assert m.metrics().lead_time == pytest.approx(3680)
    # One edit, one undo step, restoring the very state.
    after = m.state
    m.undo()
    assert m.state is before
    assert not m.can_undo
    m.redo()
    assert m.state is after


def test_without_after_the_step_lands_first_on_the_path() -> None:
    m, feeder = with_feeder()
    m.move_to_path("Pack", feeder)
    assert names(m.branches[0].items) == ["Pack", "Bend"]
    m.move_to_path("Pack", MAIN)
    assert [s.name for s in m.steps] == ["Pack", "Cut", "Weld", "Paint"]


def test_a_move_along_its_own_path_is_a_reorder_and_after_may_be_a_gap() -> None:
    m = line()
    wait = m.gaps[0]
    m.move_to_path("Pack", MAIN, after=wait.id)
    assert names(m.stream) == ["Cut", wait.id, "Pack", "Weld", "Paint"]
    m.move_to_path("Pack", MAIN, after="Paint")
    assert names(m.stream) == ["Cut", wait.id, "Weld", "Paint", "Pack"]


def test_moving_the_last_item_off_a_branch_removes_the_branch_and_undo_brings_it_back() -> None:
    m, feeder = with_feeder()
    before = m.state
    m.move_to_path("Bend", MAIN, after="Cut")
    assert m.branches == ()
    assert [s.name for s in m.steps] == ["Cut", "Bend", "Weld", "Paint", "Pack"]
    assert feeder not in m
    # It round trips as a straight map now.
    assert io.from_json(io.to_json(m)).state == m.state
    m.undo()
    assert m.state is before
    assert m.branches[0].id == feeder


def test_a_branch_that_keeps_a_gap_stays() -> None:
    m, feeder = with_feeder()
    stock = m.branch(feeder).add_inventory(300, at=0)
    m.move_to_path("Bend", MAIN, after="Pack")
    assert m.branches[0].items == (stock,)


def test_a_branch_left_empty_with_a_burst_on_it_is_refused() -> None:
    m, feeder = with_feeder()
    m.add_burst("Second source", target=feeder)
    error = refused(m, lambda: m.move_to_path("Bend", MAIN), "path")
    assert "burst" in error.reason
    assert feeder in error.reason


def test_branches_and_loops_that_name_the_step_follow_it() -> None:
    m, feeder = with_feeder()
    sub = m.add_branch(into="Paint", name="Masking")
    sub.add_process("Mask", cycle_time="15 s")
    loop = m.add_rework(source="Paint", target="Paint", share="10%")
    m.move_to_path("Paint", feeder, after="Bend")
    # The sub-feeder still feeds Paint, now on the Brackets feeder; the loop still runs.
    assert m.get(sub.id).into == m.get("Paint").id
    assert m.reworks == (loop,)
    # Mask 15 + Paint 20 + Weld 40 + Pack 10 = 85 s on the sub-feeder's path.
    assert m.paths().loc[sub.id, "lead_time"] == pytest.approx(85)


def test_moving_a_step_from_between_two_gaps_is_refused() -> None:
    m = line()
    m.add_wait("2 h", at="Paint")  # Cut, 1 h, Weld, 2 h, Paint, Pack
    feeder = m.add_branch(into="Pack").id
    error = refused(m, lambda: m.move_to_path("Weld", feeder), "path")
    assert "side by side" in error.reason
    assert error.target == m.get("Weld").id


def test_a_branch_into_itself_is_refused() -> None:
    m, feeder = with_feeder()
    # The feeder flows into Weld: Weld on the feeder would flow into itself.
    error = refused(m, lambda: m.move_to_path("Weld", feeder, after="Bend"), "path")
    assert "circle" in error.reason


def test_a_cycle_of_branches_is_refused() -> None:
    m, _feeder = with_feeder()
    nested = m.add_branch(into="Bend", name="Blanks")
    nested.add_process("Blank", cycle_time="5 s")
    # Weld onto the nested branch: Blank -> Weld -> Bend -> Weld, a circle.
    error = refused(m, lambda: m.move_to_path("Weld", nested.id, after="Blank"), "path")
    assert "circle" in error.reason


def test_a_rework_loop_that_would_no_longer_go_back_upstream_is_refused() -> None:
    m = line()
    parallel = m.add_branch(into="Pack", after="Cut", name="Inspection")
    parallel.add_process("Inspect", cycle_time="5 min")
    m.add_rework(source="Paint", target="Weld", share="20%")
    # Weld on the inspection path: Weld -> Inspect -> Pack, and Paint is not after Weld.
    error = refused(m, lambda: m.move_to_path("Weld", parallel.id), "path")
    assert "upstream" in error.reason


@pytest.mark.parametrize(
    ("target", "path", "after", "field"),
    [
        ("nowhere", MAIN, None, "target"),
        ("g1", MAIN, None, "target"),
        ("customer", MAIN, None, "target"),
        ("Paint", "b9", None, "path"),
        ("Paint", "Brackets", None, "path"),
        ("Paint", 3, None, "path"),
        ("Paint", MAIN, "nowhere", "after"),
        ("Paint", MAIN, "Bend", "after"),
        ("Paint", MAIN, "Paint", "after"),
        ("Paint", MAIN, "b1", "after"),
    ],
)
def test_bad_targets_paths_and_anchors_are_refused_by_name(
    target: object, path: object, after: object, field: str
) -> None:
    m, _ = with_feeder()
    error = refused(m, lambda: m.move_to_path(target, path, after=after), field)  # type: ignore[arg-type]
    assert error.reason
