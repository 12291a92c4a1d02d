"""Editing a map: every edit, its undo and redo, batches, observers and whole-state checks."""

from __future__ import annotations

import dataclasses

import pytest

from vsm_widget import Change, Gap, MapState, Process, ValidationError, ValueStreamMap
from vsm_widget.core.model import validate_state


@pytest.fixture
def line() -> ValueStreamMap:
    m = ValueStreamMap("Line", demand=920, available_time="2 x 27600 s")
    m.add_process("Cut", cycle_time="30 s", id="cut")
    m.add_inventory({"LH": 300, "RH": 200}, id="wip")
    m.add_process("Weld", cycle_time="40 s", id="weld")
    m.add_process("Pack", cycle_time="20 s", id="pack")
    m.clear_history()
    return m


def names(m: ValueStreamMap) -> list[str]:
    return [item.name if isinstance(item, Process) else item.id for item in m.stream]


# --------------------------------------------------------------------------- construction


def test_constructor_sets_the_calendar() -> None:
    m = ValueStreamMap(
        "Brackets", demand="18,400", period="month", working_days=20, available_time="2 x 27600 s"
    )
    assert m.customer.demand == 18_400
    assert (m.customer.shifts, m.customer.shift_length, m.customer.breaks) == (2, 27_600, 0)
    assert m.state.available_time == 55_200
    assert m.state.daily_demand == 920
    assert not m.can_undo  # building a map is not an edit


def test_constructor_with_shifts_and_breaks() -> None:
    m = ValueStreamMap(shifts=2, shift_length="8 h", breaks="40 min")
    assert m.state.available_time == 2 * (28_800 - 2_400)
    # A working day is the available time, so "1 d" typed later means that many seconds.
    assert m.day_length == 52_800


def test_available_time_must_agree_with_shifts() -> None:
    # Two shifts given twice, consistently, is fine.
    assert ValueStreamMap(available_time="2 x 8 h", shifts=2).customer.shifts == 2
    with pytest.raises(ValidationError) as caught:
        ValueStreamMap(available_time="2 x 8 h", shifts=3)
    assert caught.value.field == "shifts"
    assert "contradicts available_time" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        ValueStreamMap(available_time="8 h", breaks="30 min")
    assert caught.value.field == "breaks"


def test_calendar_rules() -> None:
    with pytest.raises(ValidationError, match="exceed 24 hours") as caught:
        ValueStreamMap(available_time="4 x 7 h")
    assert caught.value.field == "shift_length"
    with pytest.raises(ValidationError, match="shorter than the shift"):
        ValueStreamMap(shift_length="8 h", breaks="8 h")
    with pytest.raises(ValidationError, match="at most 7 working days"):
        ValueStreamMap(demand=10, period="week", working_days=8)
    with pytest.raises(ValidationError, match="zero") as caught:
        ValueStreamMap(shift_length=0)
    assert caught.value.field == "shift_length"


def test_changing_the_period_alone_names_the_period() -> None:
    m = ValueStreamMap(demand=18_400, period="month", working_days=20)
    before = m.state
    with pytest.raises(ValidationError) as caught:
        m.update("customer", period="day")
    assert caught.value.field == "period"
    assert "working_days is 20" in str(caught.value)
    assert m.state is before
    m.update("customer", period="week", working_days=5)
    assert m.state.daily_demand == 18_400 / 5


# --------------------------------------------------------------------------- adding


def test_ids_are_handed_out_in_order_and_not_used_up_by_refused_edits() -> None:
    m = ValueStreamMap()
    assert m.add_process("A").id == "p1"
    with pytest.raises(ValidationError):
        m.add_process("B", cycle_time="5 parsecs")
    assert m.add_process("B").id == "p2"
    assert m.add_inventory(5, at=1).id == "g1"
    # A custom id that looks like a counted one moves the counter past it.
    m.add_process("C", id="p9")
    assert m.add_process("D").id == "p10"


def test_ids_never_clash_with_step_names() -> None:
    m = ValueStreamMap()
    m.add_process("p1", id="first")
    assert m.add_process("Next").id == "p2"  # "p1" is taken by a name
    with pytest.raises(ValidationError, match="name of a step"):
        m.add_process("Other", id="p1")
    with pytest.raises(ValidationError, match="id of another element"):
        m.add_process("p2")
    with pytest.raises(ValidationError, match="id of another element"):
        m.update("Next", name="first")


def test_insert_at_a_position_or_before_an_element(line: ValueStreamMap) -> None:
    line.add_process("Inspect", at="pack")
    assert names(line) == ["Cut", "wip", "Weld", "Inspect", "Pack"]
    line.add_process("Receive", at=0)
    line.add_process("Ship", at=-1)
    assert names(line)[0] == "Receive"
    assert names(line)[-1] == "Ship"
    with pytest.raises(ValidationError, match="not the customer") as caught:
        line.add_process("Nowhere", at="customer")
    assert caught.value.field == "at"
    with pytest.raises(ValidationError, match="did you mean 'Pack'"):
        line.add_process("Nowhere", at="Pak")


def test_two_gaps_never_stand_side_by_side(line: ValueStreamMap) -> None:
    before = line.state
    with pytest.raises(ValidationError, match="side by side"):
        line.add_inventory(10, at="weld")  # "wip" is already right before Weld
    assert line.state is before


def test_flows_and_bursts_point_at_elements(line: ValueStreamMap) -> None:
    flow = line.add_flow("customer", "Weld", medium="electronic")
    assert (flow.source, flow.target) == ("customer", "weld")
    burst = line.add_burst("Cut changeover to 10 min", target="Cut")
    assert burst.target == "cut"
    with pytest.raises(ValidationError, match="did you mean") as caught:
        line.add_flow("customer", "Wled")
    assert caught.value.field == "target"
    with pytest.raises(ValidationError, match="two different ends"):
        line.add_flow("Weld", "weld")
    with pytest.raises(ValidationError, match="not the map"):
        line.add_burst("x", target="map")


# --------------------------------------------------------------------------- updating


def test_update_by_name_or_id_and_undo_redo(line: ValueStreamMap) -> None:
    original = line.state
    step = line.update("Weld", cycle_time="45 s", uptime="90%")
    assert step.cycle_time == 45
    assert step.uptime == pytest.approx(0.9)
    edited = line.state
    assert line.undo().op == "update"
    assert line.state is original
    assert line.redo().op == "update"
    assert line.state is edited
    assert line.undo() is not None
    assert line.undo() is None  # nothing left


def test_update_needs_a_field_and_a_known_target(line: ValueStreamMap) -> None:
    with pytest.raises(ValidationError, match="at least one field"):
        line.update("Weld")
    with pytest.raises(KeyError, match="did you mean 'Weld'"):
        line.update("Wedl", cycle_time=3)


def test_gap_quantity_stays_the_sum_of_its_variants(line: ValueStreamMap) -> None:
    assert line.get("wip").quantity == 500
    line.update("wip", variants={"LH": 100, "RH": 50})
    assert line.get("wip").quantity == 150
    before = line.state
    with pytest.raises(ValidationError, match="counts variants") as caught:
        line.update("wip", quantity=400)
    assert caught.value.field == "quantity"
    assert line.state is before
    with pytest.raises(ValidationError, match="differs from the sum"):
        line.update("wip", variants={"LH": 1}, quantity=2)
    # Dropping the breakdown on purpose is one edit.
    line.update("wip", variants=None, quantity=400)
    assert (line.get("wip").quantity, line.get("wip").variants) == (400, ())


def test_map_and_customer_updates(line: ValueStreamMap) -> None:
    line.title = "Brackets"
    assert line.title == "Brackets"
    line.update("customer", available_time="3 x 7 h")
    assert line.state.available_time == 3 * 7 * 3600
    assert line.update("map", day_basis="calendar").day_length == 86_400


def test_clearing_an_optional_field(line: ValueStreamMap) -> None:
    for empty in (None, "", "-", "none"):
        line.update("Weld", uptime="90%")
        line.update("Weld", uptime=empty)
        assert line.get("Weld").uptime is None


def test_move_is_layout_only(line: ValueStreamMap) -> None:
    seen: list[Change] = []
    line.observe(seen.append)
    line.move("Weld", 120, 80.5)
    assert (line.get("weld").x, line.get("weld").y) == (120, 80.5)
    assert seen[-1].layout_only
    assert seen[-1].fields == ("x", "y")
    line.update("Weld", cycle_time=41)
    assert not seen[-1].layout_only


# --------------------------------------------------------------------------- reorder and remove


def test_reorder(line: ValueStreamMap) -> None:
    line.reorder("Pack", 0)
    assert names(line) == ["Pack", "Cut", "wip", "Weld"]
    line.reorder("pack", -1)
    assert names(line) == ["Cut", "wip", "Weld", "Pack"]
    before = line.state
    with pytest.raises(ValidationError) as caught:
        line.reorder("Pack", 9)
    assert caught.value.field == "index"
    with pytest.raises(ValidationError, match="whole number"):
        line.reorder("Pack", 1.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not the customer"):
        line.reorder("customer", 0)
    assert line.state is before


def test_swap_two_steps_keeps_the_gaps_in_place_and_undo_restores(line: ValueStreamMap) -> None:
    line.move("Cut", 40, 200)
    before = line.state
    line.swap("Cut", "weld")
    assert names(line) == ["Weld", "wip", "Cut", "Pack"]
    # The hand-placed position goes with the place in the stream, not with the step.
    assert (line.get("weld").x, line.get("weld").y) == (40, 200)
    assert (line.get("cut").x, line.get("cut").y) == (None, None)
    # Metrics follow the new order: still 30 + 40 + 20 s of process time.
    assert line.metrics().process_time == 90
    line.undo()
    assert line.state is before
    line.add_wait("1 h", id="queue")  # Cut, wip, Weld, Pack, queue
    line.swap("wip", "queue")
    assert names(line) == ["Cut", "queue", "Weld", "Pack", "wip"]


@pytest.mark.parametrize(
    ("first", "second", "field", "words"),
    [
        ("Cut", "wip", "second", "not with the gap"),
        ("Cut", "cut", "second", "two different"),
        ("customer", "Cut", "first", "not the customer"),
    ],
)
def test_swap_refuses_what_cannot_be_swapped(
    line: ValueStreamMap, first: str, second: str, field: str, words: str
) -> None:
    before = line.state
    with pytest.raises(ValidationError, match=words) as caught:
        line.swap(first, second)
    assert caught.value.field == field
    assert line.state is before


def test_remove_a_step_between_two_gaps_merges_them_and_undo_restores(line: ValueStreamMap) -> None:
    line.add_wait("2 h", at="pack", id="queue")
    flow = line.add_flow("Weld", "Pack")
    burst = line.add_burst("Automate", target="Weld")
    on_flow = line.add_burst("Electronic kanban", target=flow.id)
    before = line.state
    line.remove("Weld")
    assert names(line) == ["Cut", "queue", "Pack"]
    assert line.flows == ()
    assert line.get(burst.id).target is None
    assert line.get(on_flow.id).target is None  # its flow went with the step
    line.undo()
    assert line.state is before


def test_the_customer_cannot_be_removed(line: ValueStreamMap) -> None:
    with pytest.raises(ValidationError, match="cannot be removed"):
        line.remove("customer")


def test_supplier_and_control(line: ValueStreamMap) -> None:
    line.set_supplier("Michigan Steel", supplies="coils", frequency="Tue + Thu")
    line.set_control("MRP")
    line.add_flow("control", "supplier", medium="electronic")
    line.remove("supplier")
    assert line.supplier is None
    assert line.flows == ()


# --------------------------------------------------------------------------- batches


def test_batch_is_one_undo_step_and_one_notice(line: ValueStreamMap) -> None:
    seen: list[Change] = []
    line.observe(seen.append)
    original = line.state
    with line.batch("retime"):
        line.update("Cut", cycle_time=25)
        line.update("Weld", cycle_time=35)
    assert [c.op for c in seen] == ["batch"]
    assert seen[0].ids == ("cut", "weld")
    assert seen[0].label == "retime"
    line.undo()
    assert line.state is original


def test_batch_rolls_back_on_error(line: ValueStreamMap) -> None:
    original = line.state
    seen: list[Change] = []
    line.observe(seen.append)

    def edits() -> None:
        with line.batch():
            line.add_process("New")
            line.update("Cut", cycle_time="5 parsecs")

    with pytest.raises(ValidationError):
        edits()
    assert line.state is original
    assert not line.can_undo
    assert seen == []
    # The id of the rolled-back step is free again.
    assert line.add_process("New").id == "p1"


def test_inner_batch_rolls_back_only_its_own_edits(line: ValueStreamMap) -> None:

    def inner() -> None:
        with line.batch():
            line.update("Weld", cycle_time=35)
            line.update("Weld", uptime="85")

    with line.batch():
        line.update("Cut", cycle_time=25)
        with pytest.raises(ValidationError):
            inner()
        assert line.get("Weld").cycle_time == 40
    assert line.get("Cut").cycle_time == 25
    line.undo()
    assert line.get("Cut").cycle_time == 30


def test_undo_inside_a_batch_is_refused(line: ValueStreamMap) -> None:
    line.update("Cut", cycle_time=25)
    with line.batch():
        with pytest.raises(RuntimeError, match="inside a batch"):
            line.undo()
        with pytest.raises(RuntimeError, match="inside a batch"):
            line.redo()
    assert line.get("Cut").cycle_time == 25


# --------------------------------------------------------------------------- observers


def test_observers_see_every_edit_undo_and_redo(line: ValueStreamMap) -> None:
    seen: list[Change] = []
    stop = line.observe(seen.append)
    gap = line.add_wait("1 h", at="pack")
    line.update(gap.id, wait_time="2 h")
    line.reorder("Cut", -1)
    line.remove(gap.id)
    line.undo()
    line.redo()
    assert [c.op for c in seen] == ["add", "update", "reorder", "remove", "undo", "redo"]
    assert seen[0].ids == (gap.id,)
    assert seen[1].fields == ("wait_time",)
    assert seen[4].label == "remove"
    stop()
    line.update("Cut", cycle_time=1)
    assert len(seen) == 6


def test_a_failing_observer_neither_blocks_the_edit_nor_the_other_observers(line: ValueStreamMap) -> None:
    seen: list[str] = []

    def broken(change: Change) -> None:
        raise RuntimeError("observer bug")

    line.observe(broken)
    line.observe(lambda change: seen.append(change.op))
    original = line.state
    with pytest.raises(RuntimeError, match="observer bug"):
        line.update("Cut", cycle_time=25)
    # The edit stands, is undoable, and the second observer heard of it.
    assert line.get("Cut").cycle_time == 25
    assert seen == ["update"]
    edited = line.state
    with pytest.raises(RuntimeError, match="observer bug"):
        line.undo()
    assert line.state is original
    with pytest.raises(RuntimeError, match="observer bug"):
        line.redo()
    assert line.state is edited
    assert seen == ["update", "undo", "redo"]


# --------------------------------------------------------------------------- whole states


def test_copy_and_future_are_independent(line: ValueStreamMap) -> None:
    future = line.future()
    assert future.state.timeframe == "future"
    assert future.title == "Line (future state)"
    future.update("Weld", cycle_time=10)
    assert line.get("Weld").cycle_time == 40
    assert not future.can_undo or future.undo() is not None
    assert future.add_process("More").id == "p1"


def test_replace_state_is_checked_and_undoable(line: ValueStreamMap) -> None:
    original = line.state
    other = line.future().state
    line.replace_state(other)
    assert line.state is other
    line.undo()
    assert line.state is original


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: dataclasses.replace(s, stream=(*s.stream, Gap("g9"), Gap("g10"))), "stream"),
        (lambda s: dataclasses.replace(s, stream=(*s.stream, Process("cut", "Again"))), "id"),
        (lambda s: dataclasses.replace(s, stream=(*s.stream, Process("x1", "Cut"))), "name"),
        (
            lambda s: dataclasses.replace(s, stream=(dataclasses.replace(s.stream[0], cycle_time=-5),)),
            "cycle_time",
        ),
        (lambda s: dataclasses.replace(s, stream=(dataclasses.replace(s.stream[0], uptime=1.5),)), "uptime"),
        (lambda s: dataclasses.replace(s, stream=(dataclasses.replace(s.stream[0], name=" Cut"),)), "name"),
        (
            lambda s: dataclasses.replace(s, stream=(Gap("g1", quantity=5, variants=(("A", 1.0),)),)),
            "quantity",
        ),
        (lambda s: dataclasses.replace(s, title=""), "title"),
        (lambda s: dataclasses.replace(s, stream=("not an element",)), "stream"),
    ],
)
def test_replace_state_refuses_broken_states(line: ValueStreamMap, change, field: str) -> None:  # type: ignore[no-untyped-def]
    before = line.state
    with pytest.raises(ValidationError) as caught:
        line.replace_state(change(before))
    assert caught.value.field == field
    assert line.state is before
    assert not line.can_undo


def test_from_state_checks_flows(line: ValueStreamMap) -> None:
    from vsm_widget import Burst, InfoFlow

    broken = dataclasses.replace(line.state, flows=(InfoFlow("f1", "customer", "nowhere"),))
    with pytest.raises(ValidationError, match="no element") as caught:
        ValueStreamMap.from_state(broken)
    assert caught.value.field == "target"
    to_a_burst = dataclasses.replace(
        line.state, bursts=(Burst("k1", "Idea"),), flows=(InfoFlow("f1", "customer", "k1"),)
    )
    with pytest.raises(ValidationError, match="flow can connect") as caught:
        ValueStreamMap.from_state(to_a_burst)
    assert caught.value.field == "target"
    assert validate_state(line.state) is line.state
    with pytest.raises(ValidationError, match="MapState"):
        validate_state("not a state")  # type: ignore[arg-type]
    assert isinstance(ValueStreamMap.from_state(MapState()).state, MapState)


def test_validation_error_as_data(line: ValueStreamMap) -> None:
    with pytest.raises(ValidationError) as caught:
        line.update("Weld", uptime="85")
    data = caught.value.to_dict()
    assert data["field"] == "uptime"
    assert data["target"] == "weld"
    assert data["value"] == "85"
    assert "percentage" in data["reason"]
    assert data["message"].startswith("weld: uptime:")


def test_validation_error_survives_pickling(line: ValueStreamMap) -> None:
    import pickle

    with pytest.raises(ValidationError) as caught:
        line.update("Weld", cycle_time="5 parsecs")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.field, copy.value, copy.target, str(copy)) == (
        "cycle_time",
        "5 parsecs",
        "weld",
        str(caught.value),
    )


def test_history_keeps_the_last_edits_up_to_its_limit(line: ValueStreamMap) -> None:
    line.history_limit = 3
    for seconds in (31, 32, 33, 34, 35):
        line.update("Cut", cycle_time=seconds)
    undone = 0
    while line.undo() is not None:
        undone += 1
    assert undone == 3
    assert line.get("Cut").cycle_time == 32  # the two oldest edits are forgotten
