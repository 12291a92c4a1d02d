"""Traps in the drawing, checked on the scene Python lays out: nothing hides a label, a
gap is named by the step it feeds (never by its id), a burst's status is written in words.

Expectations are worked out from the map in each test (which step a gap feeds, where a
step's badges are), not read back from the layout code.
"""

from __future__ import annotations

import itertools

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.data.templates import load_template, template_names
from vsm_widget.presentation.scene import Box, Node, Scene, build_scene, measure

LONG_IDEA = "Cut the changeover to ten minutes with a second die cart and a checklist at the press"


def _box(shape: dict[str, object]) -> Box:
    return Box(float(shape["x"]), float(shape["y"]), float(shape["width"]), float(shape["height"]))  # type: ignore[arg-type]


def _text_boxes(shape: dict[str, object]) -> list[Box]:
    """Where each line of a text shape is drawn, from its anchor, baseline and measured width."""
    if shape["t"] != "text":
        return []
    lines = shape.get("spans") or [[shape["x"], shape["y"], shape["text"]]]
    anchor = shape.get("text-anchor", "start")
    boxes = []
    for x, y, content in lines:  # type: ignore[union-attr]
        width = measure(str(content), str(shape.get("c", "")))
        left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
        boxes.append(Box(left, y - 9, width, 12))
    return boxes


def _text_box(shape: dict[str, object]) -> Box:
    """Where a one-line text shape is drawn."""
    (box,) = _text_boxes(shape)
    return box


def _nodes(scene: Scene, kind: str) -> list[Node]:
    return [n for n in scene.nodes if n.kind == kind]


def _badges(node: Node) -> list[Box]:
    return [_box(s) for s in node.shapes if s["t"] == "rect" and "vsm-badge" in str(s.get("c", "")).split()]


def _three_steps_with_bursts() -> ValueStreamMap:
    m = ValueStreamMap("Cell", demand=460, available_time="8 h")
    for name in ("Cut", "Bend", "Weld"):
        m.add_process(name, cycle_time="30 s")
    for name in ("Cut", "Bend", "Weld"):
        m.add_burst(LONG_IDEA, target=name)
    return m


def test_bursts_on_neighbouring_steps_never_cover_each_other() -> None:
    m = _three_steps_with_bursts()
    m.add_burst("Second idea for bending", target="Bend")
    scene = build_scene(m.state)
    bursts = {n.id: n.box for n in _nodes(scene, "burst")}
    assert len(bursts) == 4
    for (a, one), (b, other) in itertools.combinations(bursts.items(), 2):
        assert not one.overlaps(other), (a, b, one, other)
    # Each stays centred on its own step, under every data box.
    steps = {n.id: n.box for n in _nodes(scene, "process")}
    for burst in m.bursts:
        step = steps[burst.target]
        assert bursts[burst.id].cx == pytest.approx(step.cx, abs=0.5)
        assert bursts[burst.id].y > step.bottom
    # Bend's second idea goes under its first.
    first, second = (b.id for b in m.bursts if b.target == m.get("Bend").id)
    assert bursts[second].y >= bursts[first].bottom


def test_dragging_a_step_moves_its_own_bursts_and_no_other() -> None:
    m = _three_steps_with_bursts()
    before = {n.id: n.box for n in _nodes(build_scene(m.state), "burst")}
    bend = m.get("Bend")
    box = build_scene(m.state).node(bend.id).box
    m.move(bend.id, box.x + 120, box.y)
    after = {n.id: n.box for n in _nodes(build_scene(m.state), "burst")}
    for burst in m.bursts:
        if burst.target == bend.id:
            assert after[burst.id].x == pytest.approx(before[burst.id].x + 120)
        else:
            assert after[burst.id] == before[burst.id]


def test_bursts_on_the_whole_map_stand_clear_of_flows_trucks_and_labels() -> None:
    m = load_template("stamping_plant")
    for idea in ("Level the schedule at the pacemaker", "Weekly milk run from the supplier", "Kanban"):
        m.add_burst(idea)
    scene = build_scene(m.state)
    stream_bottom = max(n.box.bottom for n in scene.nodes if n.kind in ("process", "inventory", "wait"))
    totals = scene.node("totals").box
    whole = [n for n in _nodes(scene, "burst") if n.follows is None]
    assert len(whole) == 4  # the template's own and three more
    others = [n for n in scene.nodes if n.kind in ("info", "shipment", "customer", "control", "supplier")]
    for burst in whole:
        assert stream_bottom < burst.box.y
        assert burst.box.bottom < totals.y
        for node in others:
            for shape in node.shapes:
                if shape["t"] == "text":
                    assert not _text_box(shape).overlaps(burst.box), (burst.label, shape["text"])
        for node in _nodes(scene, "shipment"):
            assert not node.box.overlaps(burst.box)


@pytest.mark.parametrize("name", template_names())
def test_trucks_and_their_captions_clear_the_badges_of_their_step(name: str) -> None:
    scene = build_scene(load_template(name).state)
    badges = [b for n in _nodes(scene, "process") for b in _badges(n)]
    steps = [n.box for n in _nodes(scene, "process")]
    for truck in _nodes(scene, "shipment"):
        caption = next(s for s in truck.shapes if s["t"] == "text")
        for cover in badges + steps:
            assert not truck.box.overlaps(cover), (name, truck.key)
            assert not _text_box(caption).overlaps(cover), (name, caption["text"])


def test_the_order_to_cash_pickup_no_longer_hides_under_over_takt() -> None:
    m = load_template("order_to_cash")
    last = m.steps[-1]
    metrics = m.metrics()
    # The trap as found: the last step is both the bottleneck and over takt...
    assert metrics.bottleneck == last.id
    assert last.id in metrics.steps_over_takt
    scene = build_scene(m.state)
    badges = _badges(scene.node(last.id))
    assert len(badges) == 2
    # ...and the outbound truck's caption sat on its "Over takt" badge.
    truck = next(n for n in _nodes(scene, "shipment") if "Shipment out" in n.label)
    caption = next(s for s in truck.shapes if s["t"] == "text")
    assert caption["text"] == "Daily 16:00 pickup"
    assert all(_text_box(caption).bottom < b.y for b in badges)


def test_an_information_label_moves_along_its_arrow_clear_of_a_burst() -> None:
    m = ValueStreamMap("Office", demand=40, available_time="8 h")
    m.set_control("Planning")
    m.add_process("Check", cycle_time="5 min")
    m.add_flow("control", "Check", label="daily plan")
    scene = build_scene(m.state)
    label = next(s for s in scene.node(m.flows[0].id).shapes if s["t"] == "text")
    where = _text_box(label)
    # A burst put by hand over the label and the lower half of the arrow.
    burst = m.add_burst("Plan by pull")
    m.move(burst.id, where.cx - 75, where.y - 20)
    scene = build_scene(m.state)
    star = scene.node(burst.id).box
    assert star.overlaps(where)
    moved = next(s for s in scene.node(m.flows[0].id).shapes if s["t"] == "text")
    assert moved["text"] == "daily plan"
    assert not _text_box(moved).overlaps(star)


def _arrow_end(node: Node) -> tuple[float, float]:
    """Where an information arrow's line ends (its last point)."""
    d = next(s["d"] for s in node.shapes if s.get("c") == "vsm-info-line")
    x, y = d.replace("L", " ").replace("M", " ").split()[-1].split(",")
    return float(x), float(y)


def test_a_flow_onto_a_step_with_badges_ends_above_them_not_between() -> None:
    # Takt 60 s (480 a day in 8 h): Cut at 62 s is over takt and the bottleneck, so both
    # badges stand over its box, with a narrow gap between them.
    m = ValueStreamMap("Badges", demand=480, available_time="8 h")
    m.add_process("Cut", id="cut", cycle_time="62 s")
    m.add_process("Bend", id="bend", cycle_time="40 s")
    m.add_flow("customer", "cut")
    m.add_flow("customer", "bend")
    scene = build_scene(m.state, m.metrics())
    badges = [s for s in scene.node("cut").shapes if "vsm-badge " in f"{s.get('c', '')} "]
    assert len(badges) == 2
    badge_top = min(s["y"] for s in badges)
    onto_cut = _arrow_end(scene.node(m.flows[0].id))
    assert onto_cut[1] < badge_top
    # A step without badges still takes the arrow onto its own roof.
    onto_bend = _arrow_end(scene.node(m.flows[1].id))
    box = scene.node("bend").box
    assert box.y - 10 < onto_bend[1] < box.y


def test_gaps_are_named_by_the_step_they_feed_never_by_their_id() -> None:
    m = load_template("stamping_plant")
    scene = build_scene(m.state)
    stream = m.stream
    first_gap, last_gap = stream[0], stream[-1]
    assert (first_gap.kind, stream[1].name, last_gap.kind, stream[-2].name) == (
        "gap",
        "Stamping",
        "gap",
        "Assembly #2",
    )
    assert scene.node(first_gap.id).label.startswith("Inventory before Stamping, 4,600 units")
    assert scene.node(last_gap.id).label.startswith("Inventory after Assembly #2, 4,140 units")
    rung = scene.node(f"{first_gap.id}/rung")
    assert rung.label == "Timeline, inventory before Stamping: 5 d"
    assert rung.tip == "Inventory before Stamping: 5 d"


@pytest.mark.parametrize("name", template_names())
def test_no_label_or_tooltip_shows_an_internal_id(name: str) -> None:
    m = load_template(name)
    # Gaps, shipments, flows and bursts have ids nobody named; steps' ids may be their names.
    hidden = [g.id for g in m.gaps] + [s.id for s in m.state.shipments] + [f.id for f in m.flows]
    hidden += [b.id for b in m.bursts]
    for node in build_scene(m.state).nodes:
        said = [node.label, node.tip] + [str(s.get("tip", "")) for s in node.shapes]
        for ident in hidden:
            assert not any(ident in text for text in said), (node.key, ident)


@pytest.mark.parametrize(("status", "word"), [("planned", "PLANNED"), ("doing", "DOING"), ("done", "DONE")])
def test_a_burst_says_its_status_in_words_not_only_in_colour(status: str, word: str) -> None:
    m = ValueStreamMap("Line", demand=100, available_time="8 h")
    m.add_process("Cut", cycle_time="30 s")
    idea = m.add_burst("Quick die change", target="Cut")
    plain = [s for s in build_scene(m.state).node(idea.id).shapes if s["t"] == "text"]
    assert [s.get("text") for s in plain] == [None]  # the idea's wrapped lines only
    m.update(idea.id, status=status)
    shapes = build_scene(m.state).node(idea.id).shapes
    written = [s["text"] for s in shapes if s["t"] == "text" and "text" in s]
    assert written == [word]
    # It is inside the star, under the idea's lines.
    star = build_scene(m.state).node(idea.id).box
    status_shape = next(s for s in shapes if s.get("text") == word)
    lines = next(s for s in shapes if "spans" in s)
    assert star.y < float(status_shape["y"]) < star.bottom
    assert all(float(status_shape["y"]) > span[1] for span in lines["spans"])


def test_a_handle_stands_at_every_place_of_the_stream_and_says_what_may_go_there() -> None:
    m = ValueStreamMap("Line", demand=480, available_time="8 h")
    for name in ("Cut", "Bend", "Weld"):
        m.add_process(name, id=name.lower(), cycle_time="30 s")
    m.add_wait("2 h", at="weld", id="queue")
    scene = build_scene(m.state)
    slots = _nodes(scene, "slot")
    # cut, bend, queue, weld: before the first, then after each.
    assert [(n.key, n.place, n.gaps) for n in slots] == [
        ("start/slot", ("before", "cut"), True),
        ("cut/slot", ("after", "cut"), True),
        ("bend/slot", ("after", "bend"), False),
        ("queue/slot", ("after", "queue"), False),
        ("weld/slot", ("after", "weld"), True),
    ]
    assert [n.label for n in slots] == [
        "Add a step or a gap before Cut",
        "Add a step or a gap between Cut and Bend",
        "Add a step after Bend, before the wait",
        "Add a step before Weld, after the wait",
        "Add a step or a gap after Weld",
    ]
    # Each sits on the material flow, between the boxes around it.
    boxes = {n.id: n.box for n in scene.nodes if n.kind in ("process", "wait")}
    between = next(n for n in slots if n.key == "cut/slot").box
    assert boxes["cut"].right < between.x < between.right < boxes["bend"].x
    assert boxes["cut"].y < between.cy < boxes["cut"].y + 52  # the head row, where the arrow runs
    assert between.right <= next(n for n in slots if n.key == "bend/slot").box.x
    # The canvas's own buttons: no element, in no picture.
    assert all(n.id is None for n in slots)
    assert 'data-vsm-kind="slot"' not in m.to_svg()
    assert "vsm-slot" not in m.to_svg()


def test_an_empty_map_has_no_handles() -> None:
    scene = build_scene(ValueStreamMap("Empty").state)
    assert _nodes(scene, "slot") == []
    assert _nodes(scene, "empty")


def _without_colour(
    shapes: tuple[dict[str, object], ...] | list[dict[str, object]],
) -> list[dict[str, object]]:
    """The shapes as a picture printed in one ink: no classes (colours follow them), no
    fill or stroke colours, no tooltips."""
    plain = []
    for shape in shapes:
        kept = {k: v for k, v in shape.items() if k not in ("c", "fill", "stroke", "tip")}
        if "kids" in shape:
            kept["kids"] = _without_colour(shape["kids"])  # type: ignore[arg-type]
        plain.append(kept)
    return plain


def _one_gap_map(**gap: object) -> tuple[ValueStreamMap, Scene]:
    m = ValueStreamMap("Line", demand=480, available_time="8 h")
    m.add_process("Cut", id="cut", cycle_time="30 s")
    m.add_inventory(100, id="stock", **gap)
    m.add_process("Bend", id="bend", cycle_time="30 s")
    m.add_flow("customer", "cut", id="orders", label="orders")
    return m, build_scene(m.state)


def test_colour_is_never_the_only_carrier_of_meaning() -> None:
    # Push, pull and FIFO lanes differ in one ink.
    flows = {}
    for kind in ("push", "pull", "fifo"):
        _, scene = _one_gap_map(flow=kind)
        flows[kind] = _without_colour(scene.node("stock/flow").shapes)
    assert flows["push"] != flows["pull"] != flows["fifo"] != flows["push"]
    # Manual and electronic information flows: a straight arrow and a lightning.
    m, scene = _one_gap_map()
    manual = _without_colour(scene.node("orders").shapes)
    m.update("orders", medium="electronic")
    assert _without_colour(build_scene(m.state).node("orders").shapes) != manual
    # An inventory and a wait.
    m.update("stock", quantity=None, wait_time="2 h")
    assert _without_colour(build_scene(m.state).node("stock").shapes) != _without_colour(
        scene.node("stock").shapes
    )
    # Value classes are written on their strip, waste tags are words.
    for value_class, word in (
        ("value-adding", "VALUE-ADDING"),
        ("necessary", "NECESSARY NVA"),
        ("waste", "WASTE"),
    ):
        m.update("cut", value_class=value_class, waste="motion, waiting")
        texts = [s.get("text") for s in build_scene(m.state).node("cut").shapes]
        assert word in texts
        assert {"motion", "waiting"} <= set(texts)
    # Over takt and the bottleneck carry their word, not just a red or an orange.
    m.update("bend", cycle_time="75 s")  # takt is 60 s; Bend is now the slowest
    scene = build_scene(m.state)
    bend = [s.get("text") for s in scene.node("bend").shapes]
    cut = [s.get("text") for s in scene.node("cut").shapes]
    assert {"Bottleneck", "Over takt"} <= set(bend)
    assert "Bottleneck" not in cut
    assert "Over takt" not in cut


# --------------------------------------------------------------------------- measured spreads


def _measured_build() -> ValueStreamMap:
    import dataclasses

    from vsm_widget.core.fields import Spread

    m = ValueStreamMap("Delivery", demand=10, available_time="8 h")
    m.add_process("Build", process_time="4 h")
    m.add_wait("2 h")
    m.add_process("Review", process_time="2 h")
    measured = (Spread("p1", "process_time", 4 * 3600.0, 8 * 3600.0, 12 * 3600.0, 20),)
    return ValueStreamMap.from_state(dataclasses.replace(m.state, measured=measured))


def _texts(node: Node) -> list[str]:
    found = []
    for shape in node.shapes:
        if shape["t"] == "text":
            spans = shape.get("spans") or [[0, 0, shape.get("text", "")]]
            found += [str(content) for _, _, content in spans]  # type: ignore[union-attr]
    return found


def _lines(node: Node, role: str) -> list[dict[str, object]]:
    found = []
    for shape in node.shapes:
        for kid in shape.get("kids", ()) if shape["t"] == "g" else ():  # type: ignore[union-attr]
            if kid["t"] == "line" and role in str(kid.get("c", "")).split():
                found.append(kid)
    return found


def test_a_measured_figure_shows_its_median_and_spread_bar_on_the_data_box() -> None:
    m = _measured_build()
    scene = build_scene(m.state, m.metrics())
    build, review = _nodes(scene, "process")
    # Typed in hours, so read in hours: median 8 h, p15 4 h to p85 12 h.
    assert "PT meas." in _texts(build)
    assert "8 h (4–12 h)" in _texts(build)
    assert "PT meas." not in _texts(review)
    # Two rows more than its neighbour (the median, and the bar).
    assert build.box.h - review.box.h == 2 * 16.0
    # The bar spans the data box less 7 units each side (140 - 14 = 126) over 0 to 1.05 x
    # the largest value (12 h): p15 at 126 x 4 / 12.6 = 40, p85 at 120, the median at 80.
    left = build.box.x + 7
    (bar,) = _lines(build, "vsm-spread-range")
    assert float(bar["x1"]) == pytest.approx(left + 40, abs=0.05)  # type: ignore[arg-type]
    assert float(bar["x2"]) == pytest.approx(left + 120, abs=0.05)  # type: ignore[arg-type]
    (median,) = _lines(build, "vsm-spread-median")
    assert float(median["x1"]) == pytest.approx(left + 80, abs=0.05)  # type: ignore[arg-type]
    # Said in words for screen readers and in the tooltip, not only drawn.
    assert "measured process time median 8 h" in build.label
    assert "4 h to 12 h over 20" in build.tip
    # The SVG draws the same bar.
    assert m.to_svg().count("vsm-spread-range") == 1


def test_a_spread_of_a_removed_step_draws_nothing() -> None:
    m = _measured_build()
    m.remove("p1")
    scene = build_scene(m.state, m.metrics())
    assert all("PT meas." not in _texts(node) for node in _nodes(scene, "process"))


def test_a_duration_given_as_a_distribution_shows_its_mean_and_range_on_the_data_box() -> None:
    m = ValueStreamMap("Variability", demand=10, available_time="8 h")
    m.add_process("Weld", cycle_time="triangular(40 s, 55 s, 90 s)", uptime="90%")
    m.add_wait("exponential(2 h)")
    m.add_process("Pack", cycle_time="30 s")
    scene = build_scene(m.state)
    weld = scene.node(m.steps[0].id)
    texts = _texts(weld)
    # By hand: the mean (40 + 55 + 90) / 3 = 61.67 s; the mode's share (55 - 40) / 50 =
    # 0.3, so p10 = 40 + sqrt(0.1 x 50 x 15) = 48.66 s and p90 = 90 - sqrt(0.1 x 50 x 35)
    # = 76.77 s. The range row stands right under the row of its field.
    assert texts[texts.index("C/T") + 1] == "61.7 s mean"
    assert texts[texts.index("C/T") + 2 : texts.index("C/T") + 4] == ["C/T range", "48.7–76.8 s"]
    assert "C/T 61.7 s mean, C/T range 48.7–76.8 s" in weld.label
    # An exponential wait of mean 2 h: p10 = -2 h x ln(0.9) = 0.211 h, p90 = 2 h x ln(10) = 4.61 h.
    wait = scene.node(m.gaps[0].id)
    assert _texts(wait)[:3] == ["2 h mean", "wait", "0.211–4.61 h"]
    # A step given a plain number keeps its plain row.
    assert "30 s" in _texts(scene.node(m.steps[1].id))


@pytest.mark.parametrize("name", template_names())
def test_the_flow_lane_of_every_item_is_its_ports_lane(name: str) -> None:
    # _lane is the lane of _ports written out (a scene asks for two per slot); both must agree.
    from vsm_widget.core.fields import Process
    from vsm_widget.presentation import scene as sc

    state = load_template(name).state
    for item in state.all_items:
        box = Box(100.0 + len(item.id), 37.5, 90.0, 60.0)
        assert sc._lane(item, box) == sc._ports(isinstance(item, Process), box)["lane"][1]
