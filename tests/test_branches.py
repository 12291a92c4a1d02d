"""Branches and rework loops in the model: adding, editing, removing, undo, and every
shape the model refuses (a refused edit names the field and leaves the map as it was).
"""

from __future__ import annotations

import dataclasses

import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.model import MAIN, Branch, BranchBuilder, Gap, Process, Rework, validate_state


def line() -> ValueStreamMap:
    """Cut, a wait, Weld, Paint, Pack: four steps on the main line, no history."""
    m = ValueStreamMap("Line", demand=480, available_time="8 h")
    m.add_process("Cut", cycle_time="30 s")
    m.add_wait("1 h")
    m.add_process("Weld", cycle_time="40 s")
    m.add_process("Paint", cycle_time="20 s")
    m.add_process("Pack", cycle_time="10 s")
    m.clear_history()
    return m


def refused(m: ValueStreamMap, edit, field: str) -> ValidationError:  # type: ignore[no-untyped-def]
    """Run ``edit``; it must be refused naming ``field``, with the map and history as they were."""
    before, could_undo = m.state, m.can_undo
    with pytest.raises(ValidationError) as caught:
        edit()
    assert caught.value.field == field
    assert m.state is before
    assert m.can_undo == could_undo
    return caught.value


# --------------------------------------------------------------------------- adding


def test_a_feeder_holds_its_own_steps_and_gaps_and_the_main_line_stays_as_it_was() -> None:
    m = line()
    main = m.state.stream
    b = m.add_branch(into="Weld", name="Brackets")
    assert isinstance(b, BranchBuilder)
    stock = b.add_inventory(300)
    bend = b.add_process("Bend", cycle_time="20 s")
    wait = b.add_wait("30 min")
    branch = m.branches[0]
    assert branch == Branch(
        b.id, into=m.get("Weld").id, after=None, items=(stock, bend, wait), name="Brackets"
    )
    # The main line's steps and gaps are those of before; "all" adds the branch's.
    assert m.state.stream == main
    assert [s.name for s in m.steps] == ["Cut", "Weld", "Paint", "Pack"]
    assert [s.name for s in m.all_steps] == ["Cut", "Weld", "Paint", "Pack", "Bend"]
    assert [g.id for g in m.all_gaps] == [m.gaps[0].id, stock.id, wait.id]
    assert b.steps == (bend,)
    # A branch's step is found by name and id like any other, and knows its path.
    assert m.get("Bend") == bend
    assert m.state.path_of(bend.id) == b.id
    assert m.state.path_of(m.get("Cut").id) == MAIN
    # Ids stay unique across every path.
    ids = [item.id for item in m.state.all_items] + [b.id]
    assert len(ids) == len(set(ids))


def test_each_add_is_one_undo_step_and_undo_restores_exactly() -> None:
    m = line()
    states = [m.state]
    b = m.add_branch(into="Paint", after="Cut")
    states.append(m.state)
    b.add_process("Inspect", cycle_time="5 min")
    states.append(m.state)
    b.add_wait("2 h")
    states.append(m.state)
    m.add_rework(source="Pack", target="Weld", share="25%")
    states.append(m.state)
    assert m.reworks == (Rework("r1", source=m.get("Pack").id, target=m.get("Weld").id, share=0.25),)
    for expected in reversed(states[:-1]):
        m.undo()
        assert m.state is expected
    assert not m.can_undo
    for expected in states[1:]:
        m.redo()
        assert m.state is expected


def test_a_parallel_path_splits_after_one_step_and_rejoins_at_another() -> None:
    m = line()
    b = m.add_branch(into="Pack", after="Weld")
    b.add_process("Label", cycle_time="15 s")
    branch = m.branches[0]
    assert (branch.after, branch.into) == (m.get("Weld").id, m.get("Pack").id)


def test_branches_nest_into_a_step_of_a_branch() -> None:
    m = line()
    outer = m.add_branch(into="Weld")
    frame = outer.add_process("Frame", cycle_time="50 s")
    inner = m.add_branch(into="Frame")
    tube = inner.add_process("Tube", cycle_time="25 s")
    assert m.branches[1].into == frame.id
    assert m.state.path_of(tube.id) == inner.id
    # A parallel path inside a branch, too.
    side = m.add_branch(into="Frame", after="Tube")
    side.add_wait("10 min")
    assert m.branches[2].after == tube.id


def test_at_places_a_step_on_the_branch_of_the_element_named() -> None:
    m = line()
    b = m.add_branch(into="Weld")
    bend = b.add_process("Bend", cycle_time="20 s")
    first = m.add_process("Shear", cycle_time="5 s", at="Bend")
    assert m.branches[0].items == (first, bend)
    stock = b.add_inventory(100, at=0)
    assert m.branches[0].items == (stock, first, bend)
    refused(m, lambda: b.add_process("Elsewhere", at="Cut"), "at")


def test_a_branch_builder_of_an_existing_branch() -> None:
    m = line()
    b = m.add_branch(into="Weld")
    again = m.branch(b.id)
    again.add_process("Bend", cycle_time="20 s")
    assert b.steps == again.steps
    refused(m, lambda: m.branch("Cut"), "branch")


# --------------------------------------------------------------------------- editing and removing


def test_a_branch_and_a_loop_are_edited_like_any_element() -> None:
    m = line()
    b = m.add_branch(into="Weld")
    b.add_process("Bend", cycle_time="20 s")
    loop = m.add_rework(source="Paint", target="Weld", share="10%")
    m.update(b.id, name="Brackets", into="Paint")
    assert m.branches[0].name == "Brackets"
    assert m.branches[0].into == m.get("Paint").id
    m.update(loop.id, share="20%")
    assert m.reworks[0].share == 0.2
    m.update("Bend", cycle_time="25 s")
    assert m.get("Bend").cycle_time == 25
    m.undo()
    assert m.get("Bend").cycle_time == 20


def test_removing_a_branch_takes_its_items_nested_branches_flows_and_loops_with_it() -> None:
    m = line()
    outer = m.add_branch(into="Weld")
    outer.add_process("Frame", cycle_time="50 s")
    inner = m.add_branch(into="Frame")
    inner.add_process("Tube", cycle_time="25 s")
    m.add_flow("customer", "Tube")
    m.add_rework(source="Frame", target="Tube", share="5%")
    burst = m.add_burst("Buy tubes in", target="Tube")
    before = m.state
    m.remove(outer.id)
    assert m.branches == ()
    assert m.reworks == ()
    assert m.flows == ()
    assert m.get(burst.id).target is None  # the idea stays, on the whole map
    assert "Tube" not in m
    m.undo()
    assert m.state is before


def test_removing_a_loop_end_removes_the_loop() -> None:
    m = line()
    m.add_rework(source="Pack", target="Paint", share="5%")
    m.remove("Paint")
    assert m.reworks == ()


def test_a_step_a_branch_hangs_on_is_not_removed() -> None:
    m = line()
    b = m.add_branch(into="Pack", after="Weld")
    error = refused(m, lambda: m.remove("Pack"), "target")
    assert b.id in error.reason
    refused(m, lambda: m.remove("Weld"), "target")


def test_reorder_moves_a_step_within_its_own_branch() -> None:
    m = line()
    b = m.add_branch(into="Weld")
    bend = b.add_process("Bend", cycle_time="20 s")
    drill = b.add_process("Drill", cycle_time="20 s")
    m.reorder("Drill", 0)
    assert m.branches[0].items == (drill, bend)
    assert [s.name for s in m.steps] == ["Cut", "Weld", "Paint", "Pack"]


def test_swap_between_paths() -> None:
    m = line()
    b = m.add_branch(into="Pack")
    bend = b.add_process("Bend", cycle_time="20 s")
    m.swap("Bend", "Cut")
    assert m.branches[0].items[0].name == "Cut"
    assert m.steps[0] == dataclasses.replace(bend, x=None, y=None)


# --------------------------------------------------------------------------- shapes refused


def test_a_branch_into_or_after_a_step_that_does_not_exist_is_refused() -> None:
    m = line()
    refused(m, lambda: m.add_branch(into="Nowhere"), "into")
    refused(m, lambda: m.add_branch(into=m.gaps[0].id), "into")  # a gap is no step
    refused(m, lambda: m.add_branch(into="customer"), "into")
    refused(m, lambda: m.add_branch(into="Pack", after="Nowhere"), "after")
    refused(m, lambda: m.add_branch(into="Pack", after=m.gaps[0].id), "after")
    b = m.add_branch(into="Pack")
    refused(m, lambda: m.update(b.id, into="Nowhere"), "into")


def test_a_cycle_of_branches_is_refused() -> None:
    m = line()
    # Splitting off after Pack and going back into Cut would be a loop, not a branch.
    error = refused(m, lambda: m.add_branch(into="Cut", after="Pack"), "after")
    assert "rework" in error.reason
    refused(m, lambda: m.add_branch(into="Weld", after="Weld"), "after")
    # Two feeders into each other's steps.
    first = m.add_branch(into="Pack")
    first.add_process("A", cycle_time="1 s")
    second = m.add_branch(into="A")
    second.add_process("B", cycle_time="1 s")
    refused(m, lambda: m.update(first.id, into="B"), "into")
    # A branch into a step of its own.
    refused(m, lambda: m.update(second.id, into="B"), "into")
    # Two parallel paths each splitting off after a step of the other.
    p = m.add_branch(into="Pack", after="Cut")
    p.add_process("P", cycle_time="1 s")
    q = m.add_branch(into="Pack", after="P")
    q.add_process("Q", cycle_time="1 s")
    refused(m, lambda: m.update(p.id, after="Q"), "after")
    # Reordering the main line so that a parallel path would run backwards.
    r = m.add_branch(into="Paint", after="Weld")
    r.add_wait("1 h")
    refused(m, lambda: m.reorder("Paint", 0), "after")


def test_a_whole_state_with_a_cycle_is_refused() -> None:
    m = line()
    b = m.add_branch(into="Pack")
    b.add_process("A", cycle_time="1 s")
    c = m.add_branch(into="A")
    c.add_process("B", cycle_time="1 s")
    circle = dataclasses.replace(m.branches[0], into=m.get("B").id)
    state = dataclasses.replace(m.state, branches=(circle, m.branches[1]))
    with pytest.raises(ValidationError, match="circle"):
        validate_state(state)
    refused(m, lambda: m.replace_state(state), "into")


def test_two_gaps_side_by_side_on_a_branch_are_refused() -> None:
    m = line()
    b = m.add_branch(into="Paint")
    b.add_inventory(100)
    refused(m, lambda: b.add_wait("1 h"), "stream")
    b.add_process("Bend", cycle_time="20 s")
    b.add_wait("1 h")
    refused(m, lambda: b.add_inventory(5), "stream")
    refused(m, lambda: b.add_inventory(5, at=0), "stream")
    # A gap at the end of a branch and one before its step on the main line are on two paths.
    m.add_wait("5 min", at="Paint")


@pytest.mark.parametrize("share", ["100%", 1, "150%", -0.1, "-5%", None, ""])
def test_a_rework_share_of_100_percent_or_more_or_below_0_is_refused(share: object) -> None:
    m = line()
    error = refused(m, lambda: m.add_rework(source="Pack", target="Weld", share=share), "share")
    assert error.value is share
    loop = m.add_rework(source="Pack", target="Weld", share="99%")
    refused(m, lambda: m.update(loop.id, share=share), "share")


def test_a_rework_loop_whose_ends_are_not_steps_or_that_goes_forward_is_refused() -> None:
    m = line()
    refused(m, lambda: m.add_rework(source="Nowhere", target="Cut", share="5%"), "source")
    refused(m, lambda: m.add_rework(source="Pack", target=m.gaps[0].id, share="5%"), "target")
    refused(m, lambda: m.add_rework(source="customer", target="Cut", share="5%"), "source")
    error = refused(m, lambda: m.add_rework(source="Cut", target="Pack", share="5%"), "target")
    assert "upstream" in error.reason
    # Two steps on paths that never meet on the way: no loop between them.
    b = m.add_branch(into="Pack", after="Cut")
    b.add_process("Side", cycle_time="1 s")
    refused(m, lambda: m.add_rework(source="Paint", target="Side", share="5%"), "target")
    # A loop on one step, and one from a branch step back upstream on the main line.
    m.add_rework(source="Side", target="Side", share="5%")
    m.add_rework(source="Side", target="Cut", share="5%")
    assert len(m.reworks) == 2


def test_a_whole_state_with_a_bad_loop_is_refused() -> None:
    m = line()
    loop = Rework("r9", source=m.get("Cut").id, target=m.get("Pack").id, share=0.5)
    with pytest.raises(ValidationError, match="upstream"):
        validate_state(dataclasses.replace(m.state, reworks=(loop,)))
    endless = Rework("r9", source=m.get("Pack").id, target=m.get("Cut").id, share=1.0)
    with pytest.raises(ValidationError) as caught:
        validate_state(dataclasses.replace(m.state, reworks=(endless,)))
    assert caught.value.field == "share"


def test_a_branch_step_name_must_be_unique_across_paths() -> None:
    m = line()
    b = m.add_branch(into="Weld")
    refused(m, lambda: b.add_process("Cut"), "name")
    bend = b.add_process("Bend")
    refused(m, lambda: m.update("Cut", name="Bend"), "name")
    refused(m, lambda: m.add_process("Bend"), "name")
    assert isinstance(m.get(bend.id), Process)
    assert isinstance(m.all_gaps[0], Gap)


def test_removing_a_branch_removes_the_loops_that_ran_back_along_it() -> None:
    m = line()
    f = m.add_branch(into="Pack")
    f.add_process("X", cycle_time="1 s")
    # Cut is upstream of X only through this parallel path from Cut into X.
    p = m.add_branch(into="X", after="Cut")
    p.add_wait("1 h")
    loop = m.add_rework(source="X", target="Cut", share="10%")
    other = m.add_rework(source="Pack", target="Weld", share="10%")
    before = m.state
    m.remove(p.id)
    assert m.reworks == (other,)
    assert m.state.path_of(m.get("X").id) == f.id
    m.undo()
    assert m.state is before
    assert loop in m.reworks
