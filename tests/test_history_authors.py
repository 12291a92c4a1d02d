"""Who made each edit of a map's history (:meth:`Map.authored`), for per-person undo."""

from __future__ import annotations

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.core.model import Change


@pytest.fixture
def line() -> ValueStreamMap:
    m = ValueStreamMap("Line", demand=100, available_time="8 h")
    m.add_process("Cut", cycle_time="30 s", id="p1")
    m.add_process("Bend", cycle_time="40 s", id="p2")
    m.clear_history()
    return m


def test_edits_inside_authored_carry_the_author_and_python_edits_none(line: ValueStreamMap) -> None:
    with line.authored("ana"):
        line.update("p1", cycle_time="31 s")
    step = line.undo_step
    assert step is not None
    assert (step.op, step.author) == ("update", "ana")
    line.update("p2", cycle_time="41 s")
    step = line.undo_step
    assert step is not None
    assert step.author is None
    assert line.redo_step is None


def test_a_batch_is_one_step_of_its_author(line: ValueStreamMap) -> None:
    with line.authored("ben"), line.batch("two"):
        line.update("p1", cycle_time="32 s")
        line.update("p2", cycle_time="42 s")
    step = line.undo_step
    assert step is not None
    assert (step.op, step.label, step.author) == ("batch", "two", "ben")


def test_undo_and_redo_keep_the_author_of_the_step(line: ValueStreamMap) -> None:
    seen: list[Change] = []
    line.observe(seen.append)
    with line.authored("ana"):
        line.update("p1", cycle_time="31 s")
    line.undo()
    step = line.redo_step
    assert step is not None
    assert step.author == "ana"
    assert line.undo_step is None
    line.redo()
    assert [(c.op, c.author) for c in seen] == [("update", "ana"), ("undo", "ana"), ("redo", "ana")]


def test_authored_nests_and_restores_after_an_error(line: ValueStreamMap) -> None:
    with line.authored("ana"):
        with line.authored(None):
            line.update("p1", cycle_time="31 s")
        step = line.undo_step
        assert step is not None
        assert step.author is None
        with pytest.raises(ValueError, match="cycle_time"), line.authored("ben"):
            line.update("p1", cycle_time="fast")
        line.update("p2", cycle_time="41 s")
    step = line.undo_step
    assert step is not None
    assert step.author == "ana"
    line.update("p2", cycle_time="45 s")
    step = line.undo_step
    assert step is not None
    assert step.author is None
