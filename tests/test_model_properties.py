"""Property tests: random edit sequences, valid and invalid, never break the map.

After every edit (applied or refused) the whole-map invariants hold; undoing every
applied edit restores the first state exactly, and redoing them all restores the last.
The invariants are checked here independently of the model's own checks.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vsm_widget import Gap, Process, ValidationError, ValueStreamMap, model
from vsm_widget.model import validate_state

BAD_TARGETS = ["nowhere", "map", "", "Cutt"]
NAMES = ["Cut", "Weld", "Paint", "Pack", "Ship", "Test", "Sort", "Kit", "p1", "g2", "customer", ""]
DURATIONS: list[Any] = ["30 s", "1.5 min", 45, 0, "2 h", "1 d", None, -5, "5 parsecs", math.nan, "85%"]
SHARES: list[Any] = ["85%", 0.9, 1, 0, None, "85", 1.5, -0.1, math.inf]
QUANTITIES: list[Any] = [0, 10, "1,200", {"LH": 5, "RH": 7}, None, -1, math.nan, {"LH": -1}]
COORDINATES: list[Any] = [0, 10.5, None, 2e6, math.nan]
TEXTS: list[Any] = ["note", "", None, 5, "x" * 6000]

# Values per field: valid ones first, then bad ones (drawn alike).
VALUES: dict[str, list[Any]] = {
    "cycle_time": DURATIONS,
    "process_time": DURATIONS,
    "lead_time": DURATIONS,
    "changeover": DURATIONS,
    "wait_time": DURATIONS,
    "uptime": SHARES,
    "complete_accurate": SHARES,
    "name": NAMES,
    "quantity": [q for q in QUANTITIES if not isinstance(q, dict)],
    "variants": [{"LH": 5, "RH": 7}, {"A": 1}, None, {}, {"LH": -1}, 5],
    "x": COORDINATES,
    "y": COORDINATES,
    "demand": [0, 100, None, -5],
    "available_time": ["8 h", "2 x 27600 s", None, "2 x 13 h"],
    "working_days": [1, None, 0, 2],
    "period": ["day", "week", "fortnight"],
    "title": ["A map", "", None],
    "day_basis": ["working", "calendar", "lunar"],
    "flow": ["push", "pull", "fifo", "shove"],
    "fifo_max": [5, None, 0, 2.5],
    "waste": ["waiting", ["transport", "motion"], None, "laziness"],
    "value_class": ["value-adding", "nva", None, "bogus"],
    "medium": ["manual", "electronic", "pigeon"],
    "status": ["idea", "done", "maybe"],
    "direction": ["in", "out", "up"],
}

OPS = [
    "add_process",
    "add_inventory",
    "add_wait",
    "update",
    "update",
    "update",
    "remove",
    "move",
    "reorder",
    "swap",
    "add_flow",
    "add_burst",
    "set_supplier",
    "set_control",
    "add_shipment",
    "batch",
]
edits = st.sampled_from(OPS)


def known_targets(m: ValueStreamMap) -> list[str]:
    state = m.state
    found = [
        item.id for group in (state.stream, state.shipments, state.flows, state.bursts) for item in group
    ]
    found += [step.name for step in state.steps]
    found += ["customer", "map"] + [n for n in ("supplier", "control") if getattr(state, n) is not None]
    return found


def draw_target(m: ValueStreamMap, data: st.DataObject) -> str:
    """Mostly an element on the map, sometimes one that is not."""
    return data.draw(st.sampled_from(known_targets(m) * 3 + BAD_TARGETS))


def draw_position(m: ValueStreamMap, data: st.DataObject) -> Any:
    size = len(m.stream)
    return data.draw(st.one_of(st.none(), st.integers(-size - 2, size + 2), st.just(draw_target(m, data))))


def draw_fields(kind: str, data: st.DataObject) -> dict[str, Any]:
    allowed = [*model._FIELDS[kind], "bogus"]
    names = data.draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3, unique=True))
    return {name: data.draw(st.sampled_from(VALUES.get(name, TEXTS))) for name in names}


def apply(m: ValueStreamMap, op: str, data: st.DataObject) -> None:
    """Apply one edit; refused edits raise ValidationError or KeyError."""
    if op == "add_process":
        fields = draw_fields("process", data)
        fields.pop("name", None)
        name = data.draw(st.sampled_from(NAMES))
        m.add_process(name, at=draw_position(m, data), **fields)
    elif op == "add_inventory":
        m.add_inventory(data.draw(st.sampled_from(QUANTITIES)), at=draw_position(m, data))
    elif op == "add_wait":
        m.add_wait(data.draw(st.sampled_from(DURATIONS)), at=draw_position(m, data))
    elif op == "update":
        target = draw_target(m, data)
        try:
            kind = m.get(target).kind
        except (KeyError, AttributeError):
            kind = "map" if target == "map" else "process"
        m.update(target, **draw_fields(kind, data))
    elif op == "remove":
        m.remove(draw_target(m, data))
    elif op == "move":
        value = data.draw(st.sampled_from(COORDINATES))
        m.move(draw_target(m, data), value, value)
    elif op == "reorder":
        m.reorder(draw_target(m, data), data.draw(st.integers(-len(m.stream) - 1, len(m.stream))))
    elif op == "swap":
        # Mostly two steps or two gaps (what can be swapped), sometimes anything at all.
        steps = [item.id for item in m.stream if isinstance(item, Process)]
        gaps = [item.id for item in m.stream if isinstance(item, Gap)]
        pool = data.draw(st.sampled_from([steps, gaps, steps, gaps, []]))
        if len(pool) >= 2:
            first, second = data.draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True))
        else:
            first, second = draw_target(m, data), draw_target(m, data)
        m.swap(first, second)
    elif op == "add_flow":
        m.add_flow(
            draw_target(m, data), draw_target(m, data), medium=data.draw(st.sampled_from(VALUES["medium"]))
        )
    elif op == "add_burst":
        m.add_burst("Idea", target=data.draw(st.one_of(st.none(), st.just(draw_target(m, data)))))
    elif op == "set_supplier":
        m.set_supplier(data.draw(st.sampled_from(["Steel Co", ""])))
    elif op == "set_control":
        m.set_control(data.draw(st.sampled_from(["MRP", None])))
    elif op == "add_shipment":
        m.add_shipment(data.draw(st.sampled_from(VALUES["direction"])))
    else:
        # A batch of two inner edits: all or nothing.
        with m.batch():
            apply(m, data.draw(st.sampled_from(OPS[:-1])), data)
            apply(m, data.draw(st.sampled_from(OPS[:-1])), data)


def check_invariants(m: ValueStreamMap) -> None:
    state = m.state
    stream = state.stream
    groups = [*stream, *state.shipments, *state.flows, *state.bursts]
    ids = [item.id for item in groups]
    assert len(ids) == len(set(ids)), "ids are unique"
    assert not set(ids) & {"map", "customer", "supplier", "control"}
    step_names = [item.name for item in stream if isinstance(item, Process)]
    assert len(step_names) == len(set(step_names)), "step names are unique"
    for before, after in itertools.pairwise(stream):
        assert not (isinstance(before, Gap) and isinstance(after, Gap)), "no two gaps side by side"
    for gap in (item for item in stream if isinstance(item, Gap)):
        if gap.variants:
            assert gap.quantity == math.fsum(q for _, q in gap.variants), "quantity is the sum of variants"
        assert gap.quantity is None or gap.quantity >= 0
    ends = {item.id for item in [*stream, *state.shipments]} | {"customer"}
    ends |= {name for name in ("supplier", "control") if getattr(state, name) is not None}
    for flow in state.flows:
        assert flow.source in ends, "flows start at an element"
        assert flow.target in ends, "flows end at an element"
        assert flow.source != flow.target
    everything = ends | {item.id for item in [*state.flows, *state.bursts]}
    for burst in state.bursts:
        assert burst.target is None or burst.target in everything, "bursts sit on an element"
    for step in (item for item in stream if isinstance(item, Process)):
        for share in (step.uptime, step.complete_accurate):
            assert share is None or 0 <= share <= 1
        for time in (step.cycle_time, step.process_time, step.lead_time):
            assert time is None or (math.isfinite(time) and time >= 0)
    assert validate_state(state) is state
    json.dumps(m.metrics().to_dict(), allow_nan=False)


def start() -> ValueStreamMap:
    m = ValueStreamMap("Random", demand=100, available_time="8 h")
    m.add_process("Cut", cycle_time="30 s")
    m.add_inventory({"LH": 10, "RH": 5})
    m.add_process("Weld", cycle_time="40 s")
    m.add_wait("2 h")
    m.add_process("Pack", cycle_time="20 s")
    m.clear_history()
    return m


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(edits, min_size=1, max_size=12), data=st.data())
def test_random_edits_keep_the_map_valid_and_undo_restores_it(
    sequence: list[str], data: st.DataObject
) -> None:
    m = start()
    original = m.state
    applied = 0
    for edit in sequence:
        before = m.state
        try:
            apply(m, edit, data)
        except (ValidationError, KeyError):
            # A refused edit changes nothing at all.
            assert m.state is before
        else:
            applied += 1
        check_invariants(m)
    end = m.state
    undone = 0
    while m.can_undo:
        m.undo()
        undone += 1
        check_invariants(m)
    assert m.state is original
    # One undo step per applied edit (a batch is one; a batch that did nothing is none).
    assert undone <= applied
    while m.can_redo:
        m.redo()
    assert m.state is end


@settings(max_examples=50, deadline=None)
@given(sequence=st.lists(edits, min_size=1, max_size=8), data=st.data())
def test_refused_edits_leave_history_and_ids_alone(sequence: list[str], data: st.DataObject) -> None:
    m = start()
    for edit in sequence:
        before = m.state
        could_undo, could_redo = m.can_undo, m.can_redo
        try:
            apply(m, edit, data)
        except (ValidationError, KeyError):
            assert m.state is before
            assert (m.can_undo, m.can_redo) == (could_undo, could_redo)
    # Whatever happened, a fresh step gets an id no element has.
    step = m.add_process("Brand new step")
    assert [item.id for item in m.stream].count(step.id) == 1
