"""Property tests: random edit sequences, valid and invalid, never break the map.

After every edit (applied or refused) the whole-map invariants hold; undoing every
applied edit restores the first state exactly, and redoing them all restores the last.
The invariants are checked here independently of the model's own checks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import slow_paths
from vsm_widget import Gap, Process, ValidationError, ValueStreamMap
from vsm_widget.core import model
from vsm_widget.core.metrics import compute, paths
from vsm_widget.core.model import MAIN, validate_state
from vsm_widget.data import io

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
    "notes": TEXTS,
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


def draw_fields(kind: str, data: st.DataObject, values: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    table = VALUES if values is None else values
    allowed = [*model._FIELDS[kind], "bogus"]
    names = data.draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3, unique=True))
    return {name: data.draw(st.sampled_from(table.get(name, table["notes"]))) for name in names}


def apply(
    m: ValueStreamMap, op: str, data: st.DataObject, values: dict[str, list[Any]] | None = None
) -> None:
    """Apply one edit; refused edits raise ValidationError or KeyError.

    ``values`` are the values drawn per field (default :data:`VALUES`).
    """
    table = VALUES if values is None else values
    if op == "add_process":
        fields = draw_fields("process", data, table)
        fields.pop("name", None)
        name = data.draw(st.sampled_from(table["name"]))
        m.add_process(name, at=draw_position(m, data), **fields)
    elif op == "add_inventory":
        quantity = data.draw(st.sampled_from([*table["quantity"], *table["variants"]]))
        m.add_inventory(quantity, at=draw_position(m, data))
    elif op == "add_wait":
        m.add_wait(data.draw(st.sampled_from(table["wait_time"])), at=draw_position(m, data))
    elif op == "update":
        target = draw_target(m, data)
        try:
            kind = m.get(target).kind
        except (KeyError, AttributeError):
            kind = "map" if target == "map" else "process"
        m.update(target, **draw_fields(kind, data, table))
    elif op == "remove":
        m.remove(draw_target(m, data))
    elif op == "move":
        value = data.draw(st.sampled_from(table["x"]))
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
        text = data.draw(st.sampled_from(["Idea", *table["notes"]]))
        m.add_burst(text, target=data.draw(st.one_of(st.none(), st.just(draw_target(m, data)))))
    elif op == "set_supplier":
        m.set_supplier(data.draw(st.sampled_from(["Steel Co", "", *table["name"]])))
    elif op == "set_control":
        m.set_control(data.draw(st.sampled_from(["MRP", None, *table["name"]])))
    elif op == "add_shipment":
        m.add_shipment(data.draw(st.sampled_from(VALUES["direction"])))
    else:
        # A batch of two inner edits: all or nothing.
        with m.batch():
            apply(m, data.draw(st.sampled_from(OPS[:-1])), data, values)
            apply(m, data.draw(st.sampled_from(OPS[:-1])), data, values)


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


# --------------------------------------------------------------------------- hostile values

# Text people paste: halves of surrogate pairs, what XML refuses, formulas a spreadsheet
# would run, control characters, long texts, and text from every script.
HOSTILE_TEXTS: list[Any] = [
    "a\ud800b",
    "\udfff",
    "\udc80\udcff",
    "end\ufffe",
    "\uffff",
    "=1+1",
    "=cmd|' /C calc'!A0",
    "+1",
    "-2",
    "@SUM(A1)",
    "#N/A",
    "bell\x07",
    "nul\x00",
    "cr\r",
    "\x85next line\u2028separator",
    "\u202eright to left",
    "tab\tand\nnewline",
    "🏭 ✂ 切断",
    "x" * 120,
    "y" * 121,
    "z" * 5000,
    "w" * 5001,
    "",
    " ",
]
# Numbers at the edges of floats, integers and Decimals.
EXTREME_NUMBERS: list[Any] = [
    1e308,
    -1e308,
    1.7976931348623157e308,
    1e-308,
    5e-324,
    10**400,
    -(10**400),
    10**20,
    2**53 + 1,
    1e12,
    1e12 + 1,
    999_999_999_999.9999,
    Decimal("1e12"),
    Decimal("0.85"),
    Decimal("1e-400"),
    Decimal("NaN"),
    Decimal("-0"),
    -0.0,
]
HOSTILE_VALUES: dict[str, list[Any]] = {
    **{name: [*values, *EXTREME_NUMBERS] for name, values in VALUES.items() if name not in ("name", "title")},
    "name": [*NAMES, *HOSTILE_TEXTS],
    "title": ["A map", *HOSTILE_TEXTS],
    "notes": [*TEXTS, *HOSTILE_TEXTS],
    "variants": [
        *VALUES["variants"],
        {"a\ud800": 1},
        {"=SUM(A1)": 1e12},
        {"LH": 6e11, "RH": 6e11},
        {"LH": 5e11, "RH": 5e11},
        {f"V{i}": 1e-308 for i in range(100)},
        {f"V{i}": 1 for i in range(101)},
    ],
    "quantity": [*VALUES["quantity"], *EXTREME_NUMBERS],
    "wait_time": [*DURATIONS, *EXTREME_NUMBERS],
    "x": [*COORDINATES, *EXTREME_NUMBERS],
    "demand": [*VALUES["demand"], *EXTREME_NUMBERS, 2.88e-292],
    "available_time": [*VALUES["available_time"], "1e-300 s", "2 x 1e-9 s", 1e-300],
}
HOSTILE_OPS = [op for op in OPS if op not in ("swap", "reorder")] + ["update"] * 4


def check_the_map_can_go_everywhere(m: ValueStreamMap, folder: Path) -> None:
    """Saved, it loads back equal; its document and metrics can be sent; it renders and exports."""
    path = folder / "map.json"
    m.save(path)
    assert ValueStreamMap.load(path) == m
    assert io.from_json(io.to_json(m)).state == m.state
    json.dumps(io.to_document(m.state), ensure_ascii=False, allow_nan=False).encode("utf-8")
    metrics = m.metrics()
    json.dumps(metrics.to_dict(), ensure_ascii=False, allow_nan=False).encode("utf-8")
    for name in metrics.DURATIONS:
        metrics.format(name)
    ElementTree.fromstring(m.to_svg().encode("utf-8"))  # well-formed XML, every text escaped
    m.to_svg(folder / "map.svg")
    m.to_excel(folder / "map.xlsx")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(st.sampled_from(HOSTILE_OPS), min_size=1, max_size=10), data=st.data())
def test_random_hostile_edits_leave_a_map_that_saves_loads_syncs_and_renders(
    sequence: list[str], data: st.DataObject
) -> None:
    m = start()
    for edit in sequence:
        before = m.state
        try:
            apply(m, edit, data, HOSTILE_VALUES)
        except (ValidationError, KeyError) as error:
            assert m.state is before
            # The refusal itself can be sent and shown, whatever value it was about.
            told = str(error)
            message = error.to_dict() if isinstance(error, ValidationError) else told
            json.dumps(message, ensure_ascii=False).encode("utf-8")
            assert len(told) < 1_500
        check_invariants(m)
    with tempfile.TemporaryDirectory() as folder:
        check_the_map_can_go_everywhere(m, Path(folder))


# --------------------------------------------------------------------------- branches and loops

BRANCH_OPS = [
    "add_branch",
    "add_branch",
    "branch_process",
    "branch_process",
    "branch_gap",
    "add_rework",
    "update_branch",
    "remove_branch",
    "add_process",
    "add_wait",
    "update",
    "remove",
    "reorder",
    "swap",
    "move_to_path",
    "move_to_path",
]
SHARES_OF_LOOPS: list[Any] = ["25%", 0.5, 0, "100%", 1, -0.1, "99.9%"]


def draw_step(m: ValueStreamMap, data: st.DataObject) -> Any:
    """Mostly a step on any path (by id or name), sometimes a gap or nothing."""
    steps = [s.id for s in m.all_steps] + [s.name for s in m.all_steps]
    others = [g.id for g in m.all_gaps] + ["nowhere", "customer"]
    return data.draw(st.sampled_from(steps * 3 + others) if steps else st.sampled_from(others))


def apply_branching(m: ValueStreamMap, op: str, data: st.DataObject) -> None:
    """Apply one branching edit (or an edit of :func:`apply`); refused ones raise."""
    branches = [b.id for b in m.branches]
    if op == "add_branch":
        after = data.draw(st.one_of(st.none(), st.just(draw_step(m, data))))
        m.add_branch(into=draw_step(m, data), after=after)
    elif op in ("branch_process", "branch_gap"):
        if not branches:
            return
        b = m.branch(data.draw(st.sampled_from(branches)))
        size = len(b.branch.items)
        at = data.draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
        # Mostly fresh names and good times, so that branches grow; sometimes bad ones.
        time = data.draw(st.sampled_from(["30 s", 45, "2 h", "1 d", None, -5, "5 parsecs"]))
        if op == "branch_process":
            name = data.draw(st.one_of(st.integers(1, 40).map(lambda n: f"Sub {n}"), st.sampled_from(NAMES)))
            b.add_process(name, at=at, cycle_time=time)
        else:
            b.add_wait(time, at=at)
    elif op == "add_rework":
        m.add_rework(draw_step(m, data), draw_step(m, data), data.draw(st.sampled_from(SHARES_OF_LOOPS)))
    elif op == "update_branch":
        if not branches:
            return
        field = data.draw(st.sampled_from(["into", "after", "name"]))
        value = "Sub line" if field == "name" else draw_step(m, data)
        m.update(data.draw(st.sampled_from(branches)), **{field: value})
    elif op == "remove_branch":
        if branches or m.reworks:
            m.remove(data.draw(st.sampled_from(branches + [r.id for r in m.reworks])))
    elif op == "move_to_path":
        # Any step onto any path (or a path that is not there), after any of its items,
        # first on it, or after an element of another path.
        path = data.draw(st.sampled_from([MAIN, *branches, "b99"]))
        anchors = [item.id for p, items in m.state.by_path if p == path for item in items]
        others = [item.id for item in m.state.all_items]
        after = data.draw(st.one_of(st.none(), st.sampled_from(anchors * 3 + others + ["nowhere"])))
        m.move_to_path(draw_step(m, data), path, after=after)
    elif op in ("update", "remove", "reorder", "swap"):
        # Aim at branch elements as often as at the main line's.
        targets = [item.id for item in m.state.all_items]
        if op == "update" and targets:
            target = data.draw(st.sampled_from(targets))
            m.update(target, **draw_fields(m.get(target).kind, data))
        elif op == "remove" and targets:
            m.remove(data.draw(st.sampled_from(targets)))
        elif op == "reorder" and targets:
            m.reorder(data.draw(st.sampled_from(targets)), data.draw(st.integers(-3, 3)))
        elif op == "swap" and len(m.all_steps) >= 2:
            first, second = data.draw(
                st.lists(st.sampled_from([s.id for s in m.all_steps]), min_size=2, max_size=2, unique=True)
            )
            m.swap(first, second)
    else:
        apply(m, op, data)


def check_branch_invariants(m: ValueStreamMap) -> None:
    """The whole-map rules over every path, checked here without the model's own checks."""
    state = m.state
    paths = [state.stream, *(b.items for b in state.branches)]
    items = [item for path in paths for item in path]
    ids = [item.id for item in items] + [x.id for x in (*state.branches, *state.reworks)]
    ids += [x.id for x in (*state.shipments, *state.flows, *state.bursts)]
    assert len(ids) == len(set(ids)), "ids are unique across every path"
    names = [item.name for item in items if isinstance(item, Process)]
    assert len(names) == len(set(names)), "step names are unique across every path"
    for path in paths:
        for before, after in itertools.pairwise(path):
            assert not (isinstance(before, Gap) and isinstance(after, Gap)), "no two gaps side by side"
    steps = {item.id for item in items if isinstance(item, Process)}
    following: dict[str, set[str]] = {s: set() for s in steps}
    for path, head, tail in [
        (state.stream, None, None),
        *((b.items, b.after, b.into) for b in state.branches),
    ]:
        assert head is None or head in steps, "a branch splits off after a step"
        assert tail is None or tail in steps, "a branch feeds a step"
        chain = [head, *(i.id for i in path if isinstance(i, Process)), tail]
        for a, b in itertools.pairwise(chain):
            if a is not None and b is not None:
                following[a].add(b)

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in following[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    for step in steps:
        assert step not in reach(step), "branches never flow in a circle"
    for loop in state.reworks:
        assert loop.source in steps, "a loop runs between steps"
        assert loop.target in steps, "a loop runs between steps"
        assert loop.source == loop.target or loop.source in reach(loop.target), "a loop goes back upstream"
        assert 0 <= loop.share < 1
    met = m.metrics()
    assert met.lead_time_with_rework >= met.lead_time - 1e-6 * max(1.0, met.lead_time)
    assert met.critical_path in {MAIN, *(b.id for b in state.branches)}
    frame = m.paths()
    assert len(frame) == 1 + len(state.branches)
    assert frame["critical"].sum() == 1
    assert frame.loc[met.critical_path, "lead_time"] == pytest.approx(met.lead_time)
    assert frame["lead_time"].max() == pytest.approx(met.lead_time)


def check_branch_round_trips(m: ValueStreamMap) -> None:
    """The JSON document round trips exactly; a frame keeps every path with a step or gap."""
    assert io.from_json(io.to_json(m)).state == m.state

    def plain(items: Any) -> tuple[Any, ...]:
        return tuple(dataclasses.replace(item, units=()) for item in items)

    back = ValueStreamMap.from_frame(m.steps_frame(), title=m.title, demand=100, available_time="8 h")
    assert plain(back.stream) == plain(m.stream)
    kept = [(b.id, b.into, b.after, plain(b.items)) for b in m.branches if b.items]
    assert [(b.id, b.into, b.after, plain(b.items)) for b in back.branches] == kept


def branching_start() -> ValueStreamMap:
    """The start map with a feeder into Weld and a parallel path from Cut to Pack."""
    m = start()
    m.add_branch(into="Weld").add_process("Bend", cycle_time="20 s")
    m.add_branch(into="Pack", after="Cut").add_wait("3 h")
    m.clear_history()
    return m


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(st.sampled_from(BRANCH_OPS), min_size=1, max_size=14), data=st.data())
def test_random_branching_edits_keep_the_map_valid_and_undo_restores_it(
    sequence: list[str], data: st.DataObject
) -> None:
    m = branching_start()
    original = m.state
    states = [original]
    for edit in sequence:
        before = m.state
        try:
            apply_branching(m, edit, data)
        except (ValidationError, KeyError):
            assert m.state is before
        if m.state is not before:
            states.append(m.state)
        check_invariants(m)
        check_branch_invariants(m)
    check_branch_round_trips(m)
    # Each applied edit is one undo step, and undo goes back through the very states.
    for expected in reversed(states[:-1]):
        m.undo()
        assert m.state is expected
    assert not m.can_undo
    for expected in states[1:]:
        m.redo()
        assert m.state is expected


# --------------------------------------------------------------------------- the paths' one pass


def assert_paths_as_step_by_step(state: model.MapState) -> None:
    """The figures of the paths, found in one pass over the chains, are those of the first
    edition's step-by-step walk (tests/slow_paths.py), to the last bit.
    """
    met = compute(state)
    expected = slow_paths.figures(state, met)
    if not state.branches:
        # A straight map's own figures come from its one pass over the stream.
        expected = {k: v for k, v in expected.items() if k in ("critical_path", "lead_time_with_rework")}
    assert {name: getattr(met, name) for name in expected} == expected
    rows = slow_paths.rows(state, met)
    expected_frame = pd.DataFrame(rows, columns=list(rows[0])).set_index("path")
    pd.testing.assert_frame_equal(paths(state), expected_frame, check_exact=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequence=st.lists(st.sampled_from(BRANCH_OPS), min_size=1, max_size=14), data=st.data())
def test_random_branching_edits_give_the_figures_of_a_step_by_step_walk(
    sequence: list[str], data: st.DataObject
) -> None:
    m = branching_start()
    for edit in sequence:
        with contextlib.suppress(ValidationError, KeyError):
            apply_branching(m, edit, data)
        assert_paths_as_step_by_step(m.state)


# Times that do not add up exactly in floating point, and equal ones, so that near-ties
# and rounding would show any sum taken in another order.
AWKWARD_TIMES = [0.1, 0.2, 0.3, 0.7, 1 / 3, 2 / 3, 1e-7, 3e7, 59.99999999999999, 60.0, 0, None]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_branching_maps_with_awkward_times_give_the_figures_of_a_step_by_step_walk(
    data: st.DataObject,
) -> None:
    times = st.sampled_from(AWKWARD_TIMES)
    m = ValueStreamMap("Awkward", demand=480, available_time="8 h")
    for i in range(data.draw(st.integers(1, 8))):
        if data.draw(st.booleans()):
            m.add_wait(data.draw(times))
        share = data.draw(st.sampled_from([None, 0.9, 1.0]))
        m.add_process(f"M{i}", cycle_time=data.draw(times), complete_accurate=share)
    if data.draw(st.booleans()):
        m.add_wait(data.draw(times))
    for k in range(data.draw(st.integers(0, 6))):
        steps = [s.id for s in m.all_steps]
        into = data.draw(st.sampled_from(steps))
        after = data.draw(st.one_of(st.none(), st.sampled_from(steps)))
        try:
            b = m.add_branch(into=into, after=after)
        except ValidationError:
            continue  # a circle, refused
        for j in range(data.draw(st.integers(0, 3))):
            if data.draw(st.booleans()):
                b.add_wait(data.draw(times))
            b.add_process(f"B{k}.{j}", cycle_time=data.draw(times))
        if data.draw(st.booleans()):
            with contextlib.suppress(ValidationError):
                b.add_wait(data.draw(times))
    for _ in range(data.draw(st.integers(0, 3))):
        steps = [s.id for s in m.all_steps]
        with contextlib.suppress(ValidationError):
            m.add_rework(data.draw(st.sampled_from(steps)), data.draw(st.sampled_from(steps)), "25%")
    assert_paths_as_step_by_step(m.state)
