"""Branches and rework loops in the picture: lanes under the main line, connectors that
cross nothing, return arrows with their share, the ladder along the critical path.

Expectations come from the map in each test (which path a step is on, which path is
critical by hand), and geometry is checked on the drawn shapes, not on the layout code's
own numbers.
"""

from __future__ import annotations

import itertools
import re

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.core.display import Display
from vsm_widget.presentation.scene import Box, Node, Scene, build_scene

Segment = tuple[tuple[float, float], tuple[float, float]]


def _nodes(scene: Scene, kind: str) -> list[Node]:
    return [n for n in scene.nodes if n.kind == kind]


def _element_boxes(scene: Scene) -> dict[str, Box]:
    return {n.id: n.box for n in scene.nodes if n.kind in ("process", "inventory", "wait") and n.id}


def _polyline(node: Node) -> list[Segment]:
    """The segments of a connector's drawn line (its path's M/L points)."""
    (line,) = [s for s in node.shapes if s["t"] == "path" and "vsm-hit" not in s["c"]]
    points = [tuple(map(float, p.split(","))) for p in re.findall(r"[ML]\s*([-\d.]+,[-\d.]+)", line["d"])]
    return list(itertools.pairwise(points))  # type: ignore[arg-type]


def _crosses(a: Segment, b: Segment) -> bool:
    """Whether two axis-parallel segments cross inside both (touching ends do not count)."""
    (ax1, ay1), (ax2, ay2) = a
    (bx1, by1), (bx2, by2) = b
    a_vertical, b_vertical = ax1 == ax2, bx1 == bx2
    if a_vertical == b_vertical:
        return False
    (vx, vy1, vy2), (hy, hx1, hx2) = (
        ((ax1, ay1, ay2), (by1, bx1, bx2)) if a_vertical else ((bx1, by1, by2), (ay1, ax1, ax2))
    )
    return min(hx1, hx2) + 0.5 < vx < max(hx1, hx2) - 0.5 and min(vy1, vy2) + 0.5 < hy < max(vy1, vy2) - 0.5


def _through(segment: Segment, box: Box) -> bool:
    """Whether a segment runs through the inside of a box."""
    (x1, y1), (x2, y2) = segment
    inner = Box(box.x + 1, box.y + 1, box.w - 2, box.h - 2)
    lo_x, hi_x, lo_y, hi_y = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    return lo_x < inner.right and hi_x > inner.x and lo_y < inner.bottom and hi_y > inner.y


def _flow_segments(scene: Scene) -> list[tuple[Node, Segment]]:
    """Each material arrow along a path, as the segment through its box's middle."""
    found = []
    for node in scene.nodes:
        if node.layer == "links" and node.kind in ("push", "pull", "fifo", "direct"):
            y = node.box.cy
            found.append((node, ((node.box.x, y), (node.box.right, y))))
    return found


def _stamping_with_feeder() -> ValueStreamMap:
    m = ValueStreamMap("Brackets", demand=460, available_time="8 h")
    m.add_inventory(400)
    m.add_process("Stamp", cycle_time="1 s")
    m.add_inventory(1200)
    m.add_process("Weld", cycle_time="40 s")
    m.add_wait("1 h")
    m.add_process("Assemble", cycle_time="60 s")
    m.add_inventory(900)
    feeder = m.add_branch(into="Assemble", name="Purchased brackets")
    feeder.add_inventory(300)
    feeder.add_process("Bend", cycle_time="20 s")
    feeder.add_wait("2 h")
    return m


def test_a_feeder_runs_in_a_lane_under_the_main_line_and_joins_its_step() -> None:
    m = _stamping_with_feeder()
    scene = build_scene(m.state)
    boxes = _element_boxes(scene)
    main = {item.id for item in m.stream}
    branch = m.branches[0]
    feeder = {item.id for item in branch.items}
    assemble = m.get("Assemble").id  # type: ignore[union-attr]
    # Every feeder item lies below every main-line item, left of the step it feeds.
    assert min(boxes[i].y for i in feeder) > max(boxes[i].bottom for i in main)
    assert max(boxes[i].right for i in feeder) < boxes[assemble].x
    # In flow order, left to right.
    xs = [boxes[item.id].x for item in branch.items]
    assert xs == sorted(xs)
    # One connector, from the feeder's last item up into the step it joins, ending with
    # an arrow at the step's left edge.
    (merge,) = _nodes(scene, "merge")
    segments = _polyline(merge)
    end = segments[-1][1]
    assert merge.ends == (assemble,)
    assert end[0] == pytest.approx(boxes[assemble].x - 2)
    assert boxes[assemble].y < end[1] < boxes[assemble].bottom
    assert any("@arrow" in str(s.get("marker")) for s in merge.shapes)
    # The lane carries the branch's name.
    (lane,) = _nodes(scene, "lane")
    assert lane.label == "Branch Purchased brackets"
    # No two elements overlap.
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b), (a, b)


def _eight_branches() -> ValueStreamMap:
    """A main line of ten steps with eight branches: feeders into four steps (two into
    the same step), a feeder into a feeder's step (nested), parallel paths side by side
    and a parallel path inside another's span.
    """
    m = ValueStreamMap("Eight", demand=460, available_time="8 h")
    for i in range(1, 11):
        m.add_process(f"S{i}", cycle_time=f"{10 + i} s")
        if i < 10:
            m.add_inventory(100 * i)
    outer = m.add_branch(into="S4", name="Frames")
    outer.add_process("F1", cycle_time="5 s")
    outer.add_inventory(50)
    outer.add_process("F2", cycle_time="5 s")
    m.add_branch(into="F2", name="Bolts").add_process("Bolt", cycle_time="4 s")
    m.add_branch(into="S4", name="Labels").add_process("Print", cycle_time="3 s")
    m.add_branch(into="S7", name="Covers").add_process("Mould", cycle_time="6 s")
    m.add_branch(into="S10", name="Manuals").add_process("Fold", cycle_time="2 s")
    wide = m.add_branch(into="S9", after="S5", name="Burn-in")
    wide.add_process("Burn in", cycle_time="30 s")
    wide.add_wait("4 h")
    wide.add_process("Inspect", cycle_time="9 s")
    m.add_branch(into="S7", after="S6", name="Quick check").add_process("Check", cycle_time="8 s")
    m.add_branch(into="S3", after="S1", name="Deburr").add_process("Deburr", cycle_time="7 s")
    return m


def test_eight_branches_lie_in_lanes_with_no_overlap_and_no_crossing() -> None:
    m = _eight_branches()
    assert len(m.branches) == 8
    scene = build_scene(m.state)
    boxes = _element_boxes(scene)
    assert len(boxes) == len(m.state.all_items)
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        assert not box_a.overlaps(box_b, 2), (a, b)
    connectors = _nodes(scene, "merge") + _nodes(scene, "split")
    # Each branch joins its step; each parallel path also leaves its step.
    assert len(_nodes(scene, "merge")) == 8
    assert len(_nodes(scene, "split")) == sum(1 for b in m.branches if b.after)
    for one, other in itertools.combinations(connectors, 2):
        for a in _polyline(one):
            for b in _polyline(other):
                assert not _crosses(a, b), (one.key, other.key)
    flows = _flow_segments(scene)
    for connector in connectors:
        ends = set(connector.ends)
        for segment in _polyline(connector):
            for node, flow in flows:
                assert not _crosses(segment, flow), (connector.key, node.key)
            for element, box in boxes.items():
                if element not in ends:
                    assert not _through(segment, box), (connector.key, element)


def test_a_parallel_path_splits_after_its_step_and_rejoins() -> None:
    m = ValueStreamMap("Office", demand=100, available_time="8 h")
    for name in ("Order", "Check credit", "Ship"):
        m.add_process(name, cycle_time="10 min")
    side = m.add_branch(into="Ship", after="Order", name="Stock check")
    side.add_process("Check stock", cycle_time="5 min")
    scene = build_scene(m.state)
    boxes = _element_boxes(scene)
    order, ship = m.get("Order").id, m.get("Ship").id  # type: ignore[union-attr]
    check = m.get("Check stock").id  # type: ignore[union-attr]
    (split,) = _nodes(scene, "split")
    (merge,) = _nodes(scene, "merge")
    start = _polyline(split)[0][0]
    assert start[0] == pytest.approx(boxes[order].right)
    assert _polyline(split)[-1][1][0] == pytest.approx(boxes[check].x - 2)
    assert _polyline(merge)[0][0][0] == pytest.approx(boxes[check].right)
    assert _polyline(merge)[-1][1][0] == pytest.approx(boxes[ship].x - 2)
    assert boxes[order].right < boxes[check].x
    assert boxes[check].right < boxes[ship].x


def test_the_ladder_follows_the_critical_path_and_every_path_has_its_totals() -> None:
    m = _stamping_with_feeder()
    # By hand: main line waits 400 + 1200 pieces over demand 460/day, plus 1 h, plus
    # 900; steps 1 + 40 + 60 s. The feeder: 300 pieces, 20 s, 2 h, then Assemble and the
    # 900 after it. Make the feeder critical with a long wait at its start.
    m.update(m.branches[0].items[0].id, quantity=30000)
    scene = build_scene(m.state)
    metrics = m.metrics()
    assert metrics.critical_path == m.branches[0].id
    rungs = [n.id for n in _nodes(scene, "rung")]
    feeder = [item.id for item in m.branches[0].items]
    assemble = m.get("Assemble").id  # type: ignore[union-attr]
    after = [item.id for item in m.stream][m.stream.index(m.get("Assemble")) :]  # type: ignore[arg-type]
    assert assemble in after
    # The rungs: the feeder's items, then Assemble and what follows it; none of the main
    # line's steps before Assemble.
    assert rungs == feeder + after
    (paths,) = _nodes(scene, "paths")
    texts = [s["text"] for s in paths.shapes if s["t"] == "text"]
    display: Display = scene.display
    # One line per path, the critical one first and saying so.
    table = m.paths()
    assert texts[3] == "Purchased brackets (critical)"
    assert display.lead(table.loc[m.branches[0].id, "lead_time"]) == texts[4]
    assert "Main line" in texts
    (totals,) = _nodes(scene, "totals")
    assert totals.label.endswith("along the critical path, Purchased brackets")
    assert any(str(s.get("text", "")).startswith("Critical path: Purch") for s in totals.shapes)


def test_a_rework_loop_returns_under_the_boxes_with_its_share() -> None:
    m = ValueStreamMap("Delivery", demand=20, available_time="8 h")
    for name in ("Build", "Test", "Review"):
        m.add_process(name, cycle_time="1 h")
    m.add_rework(source="Review", target="Build", share="25%")
    m.add_rework(source="Test", target="Test", share="10%")
    scene = build_scene(m.state)
    boxes = _element_boxes(scene)
    loops = {n.ends: n for n in _nodes(scene, "rework")}
    review, build, test = (m.get(name).id for name in ("Review", "Build", "Test"))  # type: ignore[union-attr]
    wide, tight = loops[(review, build)], loops[(test, test)]
    segments = _polyline(wide)
    # Down from Review, back along under every box, up into Build, with an arrow.
    assert segments[0][0][1] == pytest.approx(boxes[review].bottom)
    assert segments[1][0][1] > max(b.bottom for b in boxes.values())
    assert boxes[build].x < segments[-1][1][0] < boxes[build].right
    assert segments[-1][1][1] == pytest.approx(boxes[build].bottom + 2)
    assert "25%" in " ".join(str(s.get("text", "")) for s in wide.shapes)
    assert wide.label == "Rework loop: 25% of the items leaving Review go back to Build"
    # The loop inside the other's span runs nearer the boxes, so the two never cross.
    assert _polyline(tight)[1][0][1] < segments[1][0][1]
    for a in _polyline(tight):
        for b in segments:
            assert not _crosses(a, b)


def test_a_straight_map_draws_no_lane_connector_or_paths_box() -> None:
    m = ValueStreamMap.template("stamping_plant")
    scene = build_scene(m.state)
    assert not [n for n in scene.nodes if n.kind in ("lane", "merge", "split", "rework", "paths")]
    assert len(_nodes(scene, "rung")) == len(m.stream)


def test_an_empty_branch_shows_its_lane_and_a_handle_to_add_its_first_step() -> None:
    m = ValueStreamMap("Cell", demand=10, available_time="8 h")
    m.add_process("Cut", cycle_time="1 min")
    m.add_process("Pack", cycle_time="1 min")
    branch = m.add_branch(into="Pack", name="Cartons")
    scene = build_scene(m.state)
    handles = [n for n in _nodes(scene, "slot") if n.place == ("branch", branch.id)]
    assert len(handles) == 1
    assert handles[0].label == "Add a step or a gap on Cartons"
    assert [n.label for n in _nodes(scene, "lane")] == ["Branch Cartons"]


def _interleaved(with_flow: bool) -> ValueStreamMap:
    """A feeder into Assemble, and a parallel path that leaves Order (inside the feeder's
    span: the feeder runs under Order) and joins Pack, past the feeder's end.
    """
    m = ValueStreamMap("Kits", demand=10, available_time="8 h")
    m.add_process("Order", cycle_time="1 h")
    m.add_wait("2 h")
    m.add_process("Assemble", cycle_time="1 h")
    m.add_process("Pack", cycle_time="30 min")
    parts = m.add_branch(into="Assemble", name="Parts")
    parts.add_process("Make part", cycle_time="1 h")
    parts.add_wait("1 h")
    m.add_branch(into="Pack", after="Order", name="Paperwork").add_process(
        "Print papers", cycle_time="10 min"
    )
    if with_flow:
        m.set_control("Planning")
        m.add_flow("control", "Assemble", label="schedule")
    return m


def test_interleaving_branches_go_either_side_of_the_main_line_without_crossing() -> None:
    m = _interleaved(with_flow=False)
    scene = build_scene(m.state)
    boxes = _element_boxes(scene)
    main = [boxes[i.id] for i in m.stream]
    feeder, paper = (boxes[b.items[0].id] for b in m.branches)
    assert feeder.y > max(b.bottom for b in main)
    assert paper.bottom < min(b.y for b in main)
    connectors = _nodes(scene, "merge") + _nodes(scene, "split")
    flows = _flow_segments(scene)
    for one, other in itertools.combinations(connectors, 2):
        for a in _polyline(one):
            assert not any(_crosses(a, b) for b in _polyline(other)), (one.key, other.key)
    for connector in connectors:
        for segment in _polyline(connector):
            assert not any(_crosses(segment, flow) for _, flow in flows), connector.key


def test_no_lane_goes_above_where_information_comes_down_onto_the_stream() -> None:
    m = _interleaved(with_flow=True)
    scene = build_scene(m.state)
    boxes = _element_boxes(scene)
    main_bottom = max(boxes[i.id].bottom for i in m.stream)
    assert all(boxes[b.items[0].id].y > main_bottom for b in m.branches)
