"""The readiness check: each missing thing is reported for the right element and mapping step.

Start from a complete map (the published stamping plant, steps 1-9 done), take one thing
away, and check that exactly the step it belongs to is no longer done, with an item
naming the element and the field.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.core.readiness import MAPPING_STEPS, Readiness, readiness
from vsm_widget.data.templates import load_template

ALL_BUT_FUTURE = tuple(range(1, 10))


def _items(check: Readiness, step: int) -> set[tuple[str, str]]:
    return {(i.target, i.field) for i in check.missing if i.step == step}


def test_ten_mapping_steps_with_criteria() -> None:
    assert [s.number for s in MAPPING_STEPS] == list(range(1, 11))
    assert all(s.title and s.criterion for s in MAPPING_STEPS)


def test_complete_template_has_steps_one_to_nine_done() -> None:
    check = readiness(load_template("stamping_plant"))
    assert check.done == ALL_BUT_FUTURE
    assert not check.ready
    assert _items(check, 10) == {("map", "timeframe")}


def test_future_state_completes_step_ten() -> None:
    current = load_template("stamping_plant")
    future = current.future()
    assert readiness(future).step(10).done
    assert readiness(current, future=future).ready
    # advice (bursts without an owner) never holds a step back
    assert any(i.severity == "advice" and i.step == 10 for i in readiness(future).items)


def test_empty_map_reports_every_step_but_leaves_nothing_out() -> None:
    check = readiness(ValueStreamMap())
    assert check.done == ()
    assert _items(check, 1) == {("map", "title"), ("map", "scope")}
    assert _items(check, 2) == {("map", "stream")}
    assert _items(check, 3) == {("map", "bursts")}
    assert _items(check, 4) == {("map", "stream")}
    assert _items(check, 5) == {("customer", "demand"), ("customer", "available_time"), ("map", "stream")}
    assert _items(check, 6) == {("map", "stream")}
    assert _items(check, 7) == {("map", "stream")}
    assert _items(check, 8) == {("map", "lead_time")}
    assert _items(check, 9) == {("map", "bottleneck"), ("map", "waste")}
    assert _items(check, 10) == {("map", "timeframe")}


def _drop_times(m: ValueStreamMap) -> None:
    m.update("S. Weld #1", cycle_time=None)


def _empty_gap(m: ValueStreamMap) -> None:
    m.update("g_weld2", quantity=None, variants=None)


def _no_demand(m: ValueStreamMap) -> None:
    m.update("customer", demand=None)


def _no_calendar(m: ValueStreamMap) -> None:
    m.update("customer", shift_length=None)


def _unclassed(m: ValueStreamMap) -> None:
    m.update("Assembly #2", value_class=None)


def _two_steps_touching(m: ValueStreamMap) -> None:
    m.remove("g_assy1")


def _fifo_without_max(m: ValueStreamMap) -> None:
    m.update("g_assy2", flow="fifo")


def _no_flows(m: ValueStreamMap) -> None:
    with m.batch():
        for flow in m.flows:
            m.remove(flow.id)


def _no_bursts(m: ValueStreamMap) -> None:
    with m.batch():
        for burst in m.bursts:
            m.remove(burst.id)


def _no_waste(m: ValueStreamMap) -> None:
    with m.batch():
        for gap in m.gaps:
            m.update(gap.id, waste=[])


def _default_title(m: ValueStreamMap) -> None:
    m.update("map", title="Value stream")


def _no_scope(m: ValueStreamMap) -> None:
    m.update("map", scope="")


CASES: dict[str, tuple[Callable[[ValueStreamMap], None], dict[int, set[tuple[str, str]]]]] = {
    "step without times": (_drop_times, {5: {("weld1", "cycle_time")}, 8: {("map", "lead_time")}}),
    "gap without inventory or wait": (_empty_gap, {5: {("g_weld2", "quantity")}, 8: {("map", "lead_time")}}),
    "no demand, so no takt": (
        _no_demand,
        {
            5: {("customer", "demand")},
            8: {(g, "wait_time") for g in ("g_coils", "g_weld1", "g_weld2", "g_assy1", "g_assy2", "g_ship")},
        },
    ),
    "no available time": (_no_calendar, {5: {("customer", "available_time")}}),
    "no value class": (_unclassed, {6: {("assy2", "value_class")}}),
    "two steps with nothing between": (_two_steps_touching, {7: {("assy1", "stream")}}),
    "FIFO lane without its maximum": (_fifo_without_max, {7: {("g_assy2", "fifo_max")}}),
    "no information flow": (_no_flows, {7: {("map", "flows")}}),
    "no problem named": (_no_bursts, {3: {("map", "bursts")}}),
    "no waste tagged": (_no_waste, {9: {("map", "waste")}}),
    "default title": (_default_title, {1: {("map", "title")}}),
    "no scope": (_no_scope, {1: {("map", "scope")}}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_missing_thing_is_reported_for_the_right_step(case: str) -> None:
    change, expected = CASES[case]
    m = load_template("stamping_plant")
    change(m)
    check = readiness(m)
    for step in range(1, 10):
        assert _items(check, step) == expected.get(step, set()), f"step {step}"
        assert check.step(step).done == (step not in expected)
        assert check.step(step).missing == len(expected.get(step, ()))


def test_complete_accurate_is_asked_for_only_where_the_map_uses_it() -> None:
    software = load_template("software_delivery")
    software.update("test", complete_accurate=None)
    assert _items(readiness(software), 5) == {("test", "complete_accurate")}
    # the stamping map has no %C&A at all: nothing is asked
    stamping = readiness(load_template("stamping_plant"))
    assert not [i for i in stamping.items if i.field == "complete_accurate"]


def test_missing_step_lead_time_on_an_office_map_holds_back_the_timeline() -> None:
    software = load_template("software_delivery")
    software.update("develop", lead_time=None)
    check = readiness(software)
    assert _items(check, 8) == {("develop", "lead_time")}
    assert check.done == (1, 2, 3, 4, 5, 6, 7, 9)


def test_one_step_map_has_no_scope_and_no_first_and_last() -> None:
    m = ValueStreamMap("Claims", scope="Claims from receipt to payment")
    m.add_process("Assess", process_time="20 min", value_class="value-adding")
    check = readiness(m)
    assert check.step(1).done
    assert check.step(2).done
    assert _items(check, 4) == {("map", "stream")}


def test_gap_items_name_the_gap_by_its_neighbours() -> None:
    m = load_template("stamping_plant")
    m.update("g_weld2", quantity=None, variants=None)
    (item,) = [i for i in readiness(m).items if i.target == "g_weld2"]
    assert item.name == "Gap before S. Weld #2"
    assert readiness(m).for_target("g_weld2") == (item,)


def test_frames() -> None:
    check = readiness(ValueStreamMap())
    items = check.to_frame()
    assert isinstance(items, pd.DataFrame)
    assert list(items.columns) == ["step", "step_title", "target", "name", "field", "severity", "message"]
    assert len(items) == len(check.items)
    steps = check.steps_frame()
    assert list(steps["number"]) == list(range(1, 11))
    assert steps["done"].sum() == len(check.done)


def test_text_and_html_views_escape_user_text() -> None:
    m = ValueStreamMap("<b>Orders</b> & more", scope="x")
    m.add_process("<img src=x onerror=alert(1)>")
    check = readiness(m)
    text = str(check)
    assert text.startswith("Readiness of '<b>Orders</b> & more': ")
    assert "[ ]  5. Collect process data" in text
    page = check._repr_html_()
    assert "<img" not in page
    assert "<b>Orders" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Orders&lt;/b&gt; &amp; more" in page


def test_accepts_a_state_and_refuses_other_things() -> None:
    m = load_template("order_to_cash")
    assert readiness(m.state) == readiness(m)
    with pytest.raises(TypeError, match="ValueStreamMap or MapState"):
        readiness({"title": "x"})  # type: ignore[arg-type]


def test_a_branch_is_checked_as_the_main_line_is() -> None:
    m = load_template("stamping_plant_branched")
    assert not [i for i in readiness(m).missing if i.target.startswith(("bend", "g_"))]
    bend = m.get("Bend brackets").id  # type: ignore[union-attr]
    m.update(bend, cycle_time=None)
    feeder = m.branches[0]
    gap = feeder.items[-1].id
    m.update(gap, quantity=None)
    check = readiness(m)
    assert [(i.target, i.field) for i in check.missing if i.target == bend] == [(bend, "cycle_time")]
    # A branch's gap is named by the step it feeds on its own path, the step it joins.
    (item,) = [i for i in check.items if i.target == gap]
    assert item.name == "Gap before Assembly #1"
