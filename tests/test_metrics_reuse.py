"""compute() reuses the figures of the steps and gaps an edit did not touch: the figures
after any edit sequence are those of a computation that has seen nothing before.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_model_properties import BRANCH_OPS, apply_branching, branching_start
from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core import metrics as mx
from vsm_widget.core.model import MapState


def fresh(state: MapState) -> mx.Metrics:
    """The metrics of ``state`` by a computation with no figures made before (and the
    figures made before put back after, so that the next computation reuses them).
    """
    kept = list(mx._made)
    mx._made[:] = [((), None, {})]
    try:
        return mx.compute(state)
    finally:
        mx._made[:] = kept


@pytest.fixture
def line() -> ValueStreamMap:
    m = ValueStreamMap("Reuse", demand=920, period="day", available_time="8 h")
    m.add_inventory(460)
    m.add_process("Cut", cycle_time="30 s", uptime="90%", changeover="10 min", complete_accurate="95%")
    m.add_inventory({"LH": 100, "RH": 60})
    m.add_process("Weld", cycle_time="40 s")
    m.add_wait("2 h")
    m.add_process("Pack", cycle_time="20 s")
    m.add_inventory(300)
    m.add_branch(into="Weld").add_process("Bend", cycle_time="25 s")
    return m


def test_the_figures_of_a_state_seen_before_are_the_same_objects(line: ValueStreamMap) -> None:
    first = mx.compute(line.state)
    again = mx.compute(line.state)
    assert again == first
    # Made once: the figures of a step that is not the bottleneck are the very object.
    plain = next(i for i, s in enumerate(first.steps) if not s.is_bottleneck and s.epei_days is None)
    assert again.steps[plain] is first.steps[plain]
    assert again.gaps[0] is first.gaps[0]


def test_an_edit_remakes_the_figures_it_changes(line: ValueStreamMap) -> None:
    before = mx.compute(line.state)
    line.update("Weld", cycle_time="70 s")
    after = mx.compute(line.state)
    weld = next(s for s in after.steps if s.name == "Weld")
    assert weld.effective_cycle_time == 70
    assert weld.over_takt  # takt is 8 h / 920 = 31.3 s
    assert after.bottleneck_name == "Weld"
    assert after.lead_time == before.lead_time + 30
    assert after == fresh(line.state)


@pytest.mark.parametrize(
    ("target", "fields"),
    [
        # What every gap's figures are made from: daily demand and the length of a day.
        ("customer", {"demand": 460}),
        ("customer", {"available_time": "7 h"}),
        ("customer", {"demand": None}),
        ("customer", {"working_days": 5, "period": "week", "demand": 2300}),
        ("map", {"day_basis": "calendar"}),
    ],
)
def test_a_change_of_calendar_or_demand_remakes_every_figure(
    line: ValueStreamMap, target: str, fields: dict[str, Any]
) -> None:
    before = mx.compute(line.state)
    line.update(target, **fields)
    after = mx.compute(line.state)
    assert after == fresh(line.state)
    assert after != before


def test_a_new_part_named_by_a_gap_remakes_every_epei() -> None:
    # EPEI counts the parts the gaps name: LH and RH, then a third, on another gap.
    m = ValueStreamMap("Parts", demand=400, period="day", available_time="8 h")
    m.add_inventory(460)
    m.add_process("Cut", cycle_time="30 s", uptime="90%", changeover="10 min")
    m.add_inventory({"LH": 100, "RH": 60})
    m.add_process("Weld", cycle_time="40 s")
    before = mx.compute(m.state)
    cut = before.steps[0].epei_days
    assert cut is not None
    assert 0 < cut < math.inf
    m.update(m.stream[0].id, variants={"LH": 200, "RH": 160, "XL": 100})
    after = mx.compute(m.state)
    assert after.steps[0].epei_days == pytest.approx(cut * 3 / 2)
    assert after == fresh(m.state)


def test_a_step_moved_to_another_path_and_a_gap_before_another_step_are_made_again(
    line: ValueStreamMap,
) -> None:
    line.remove(line.stream[-1].id)  # the last inventory, which the wait would meet
    mx.compute(line.state)
    bend = line.branches[0].items[0].id
    line.move_to_path("Pack", line.branches[0].id, after=bend)
    after = mx.compute(line.state)
    pack = next(s for s in after.steps if s.name == "Pack")
    assert pack.path == line.branches[0].id
    # The wait before Pack now waits for the step after it on the main line: the end.
    assert [g.downstream for g in after.gaps if g.path == "main"][-1] is None
    assert after == fresh(line.state)


def test_the_figures_of_the_last_map_computed_are_kept_and_no_more(line: ValueStreamMap) -> None:
    other = ValueStreamMap("Other", demand=100, available_time="8 h")
    other.add_wait("1 h")
    other.add_process("Sort", cycle_time="12 s")
    kept = mx.compute(line.state)
    assert mx.compute(line.state).gaps[0] is kept.gaps[0]
    assert sum(len(made) for _, _, made in mx._made) == len(line.state.all_items)
    mx.compute(other.state)
    # Only the last map's items are held: its state and its figures.
    assert [(state, len(made)) for _, state, made in mx._made] == [(other.state, 2)]
    assert mx.compute(line.state) == kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(st.sampled_from([*BRANCH_OPS, "calendar"]), min_size=1, max_size=14), data=st.data())
def test_random_edits_give_the_figures_of_a_computation_that_has_seen_nothing(
    sequence: list[str], data: st.DataObject
) -> None:
    m = branching_start()
    mx.compute(m.state)
    for edit in sequence:
        try:
            if edit == "calendar":
                field = data.draw(st.sampled_from(["demand", "available_time", "working_days"]))
                value = data.draw(
                    st.sampled_from(
                        {
                            "demand": [50, 100, 0, None],
                            "available_time": ["8 h", "7.5 h", None],
                            "working_days": [1, 2, None],
                        }[field]
                    )
                )
                m.update("customer", **{field: value})
            else:
                apply_branching(m, edit, data)
        except (ValidationError, KeyError):
            pass
        assert mx.compute(m.state) == fresh(m.state)
