"""The static SVG: valid XML, every map element drawn once with the canvas's hooks, text escaped."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.core.model import MapState
from vsm_widget.data.templates import load_template, template_names
from vsm_widget.presentation.render import render_svg, save_svg

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<img src=x onerror=alert(1)>"


def _kinds(root: ET.Element) -> Counter[str]:
    return Counter(e.get("data-vsm-kind") for e in root.iter() if e.get("data-vsm-kind"))


def _expected_kinds(m: ValueStreamMap) -> Counter[str]:
    """What the protocol says the canvas draws for this map, counted from the map itself."""
    state = m.state
    counts: Counter[str] = Counter({"customer": 1})
    counts["supplier"] = int(state.supplier is not None)
    counts["control"] = int(state.control is not None)
    counts["process"] = len(state.all_steps)
    counts["inventory"] = sum(1 for g in state.all_gaps if g.quantity is not None)
    counts["wait"] = sum(1 for g in state.all_gaps if g.quantity is None)
    for kind in ("push", "pull", "fifo"):
        counts[kind] = sum(1 for g in state.all_gaps if g.flow == kind)
    counts["info"] = len(state.flows)
    counts["burst"] = len(state.bursts)
    counts["rung"] = len(_critical_route(m))
    counts["shipment"] = len(state.shipments)
    # Two steps with nothing between them are joined by a plain arrow.
    counts["direct"] = sum(
        1
        for _, items in state.by_path
        for a, b in itertools.pairwise(items)
        if a.kind == "process" and b.kind == "process"
    )
    # Each branch: its lane, the connector into the step it feeds, and one out of the step
    # a parallel path leaves; each loop its return arrow; the totals of every path.
    counts["lane"] = counts["merge"] = len(state.branches)
    counts["split"] = sum(1 for b in state.branches if b.after is not None)
    counts["rework"] = len(state.reworks)
    counts["paths"] = int(bool(state.branches))
    counts["title"] = 1
    counts["totals"] = 1
    return +counts


def _critical_route(m: ValueStreamMap) -> list[str]:
    """The ids of the items along the critical path, for maps whose branches start and end
    on the main line: the main line's items up to a parallel path's split, the branch's,
    then the main line's from the step the branch feeds.
    """
    path = m.metrics().critical_path
    stream = [i.id for i in m.stream]
    if path == "main":
        return stream
    branch = m.get(path)
    assert branch.into in stream
    assert branch.after is None or branch.after in stream
    head = [] if branch.after is None else stream[: stream.index(branch.after) + 1]
    return head + [i.id for i in branch.items] + stream[stream.index(branch.into) :]


def _texts(root: ET.Element) -> list[str]:
    """Every line of text drawn: a text element's own text, or each of its lines."""
    lines: list[str] = []
    for e in root.iter(f"{NS}text"):
        spans = e.findall(f"{NS}tspan")
        lines.extend([span.text or "" for span in spans] if spans else [e.text or ""])
    return lines


@pytest.mark.parametrize("name", template_names())
def test_templates_render_as_valid_svg_with_every_element(name: str) -> None:
    m = load_template(name)
    root = ET.fromstring(render_svg(m))
    assert root.tag == f"{NS}svg"
    width, height = float(root.get("width")), float(root.get("height"))
    assert width > 800
    assert height > 400
    assert _kinds(root) == _expected_kinds(m)
    # the ids on the drawing are the model's ids, each element of the map drawn
    drawn = {e.get("data-vsm-id") for e in root.iter() if e.get("data-vsm-id")} - {"map"}
    model_ids = {i.id for i in m.state.all_items} | {f.id for f in m.flows} | {b.id for b in m.bursts}
    model_ids |= {s.id for s in m.shipments} | {"customer", "supplier", "control"}
    model_ids |= {b.id for b in m.branches} | {r.id for r in m.reworks}
    assert drawn == model_ids
    rungs = [e.get("data-vsm-id") for e in root.iter() if e.get("data-vsm-kind") == "rung"]
    assert rungs == _critical_route(m)


@pytest.mark.parametrize("name", template_names())
def test_the_map_s_picture_is_the_canvas_s_picture(name: str) -> None:
    # m.to_svg() lays the map out from nothing; the canvas widget keeps its scene, patched
    # edit by edit with what it remembers. Both write the same SVG, to the character.
    pytest.importorskip("anywidget")
    m = load_template(name)
    w = m.editor()
    assert w.to_svg() == m.to_svg()
    step = m.steps[len(m.steps) // 2]
    m.update(step.id, cycle_time="71 s", name=f"{step.name} and a much longer name than before")
    m.add_process("Kitting", at=0, cycle_time="20 s")
    m.add_burst("Level the schedule", target=step.id)
    assert w.to_svg() == m.to_svg()
    m.undo()
    assert w.to_svg() == m.to_svg()
    assert w.to_svg(palette="dark") == render_svg(m, palette="dark")


def test_stamping_figures_on_the_picture() -> None:
    root = ET.fromstring(render_svg(load_template("stamping_plant")))
    metric = {e.get("data-vsm-metric"): e.text for e in root.iter() if e.get("data-vsm-metric")}
    assert metric["lead_time"] == "23.6 d"
    assert metric["process_time"] == "188 s"
    texts = _texts(root)
    assert "60 s" in texts  # takt, under the customer
    texts = _texts(root)
    # inventory days as published, and the LH/RH split of a variant inventory
    for days in ("5 d", "7.61 d", "1.85 d", "2.66 d", "2 d", "4.5 d"):
        assert days in texts
    assert "LH 4,600 / RH 2,400" in texts
    assert "Bottleneck" in texts
    electronic = [e for e in root.iter() if "vsm-electronic" in (e.get("class") or "").split()]
    assert len(electronic) == 4


def test_user_text_is_escaped_and_injects_nothing() -> None:
    m = ValueStreamMap(
        f"Title {HOSTILE}", demand=10, working_days=1, available_time="8 h", customer='Cust "A" & <B>'
    )
    m.set_supplier("a & b", supplies="</text><script>alert(1)</script>")
    m.set_control("Ctl", notes="]]><evil/>")
    m.add_process(HOSTILE, cycle_time="30 s", notes="x")
    m.add_inventory({"<L>": 3, "R&R": 4})
    m.add_process("a & b", cycle_time="20 s", waste="waiting")
    m.add_flow("control", HOSTILE, label="<svg onload=alert(1)>")
    m.add_burst("<script>alert('x')</script>", target="a & b", owner="<o>")
    m.add_shipment("out", frequency="<daily>")
    text = render_svg(m)
    root = ET.fromstring(text)
    tags = {e.tag for e in root.iter()}
    assert not {f"{NS}img", f"{NS}script", f"{NS}evil", "img", "script", "evil"} & tags
    assert "<img" not in text
    assert "<script" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "a &amp; b" in text
    texts = _texts(root)
    # the parsed text is the user's text again, character for character
    assert any(HOSTILE[:10] in t for t in texts)
    assert "a & b" in texts
    assert "<L> 3 / R&R 4" in texts
    assert _kinds(root) == _expected_kinds(m)


def test_long_names_are_wrapped_not_lost() -> None:
    name = "Receive and register the incoming application form"
    m = ValueStreamMap("Long names")
    m.add_process(name, process_time="5 min")
    root = ET.fromstring(render_svg(m))
    process = next(e for e in root.iter() if e.get("data-vsm-kind") == "process")
    label = next(t for t in process.iter(f"{NS}text") if t.get("data-vsm-field") == "name")
    lines = [span.text for span in label.iter(f"{NS}tspan")]
    assert len(lines) == 2
    # The name does not fit two lines of a process box: it is cut, and the tooltip has it all.
    assert lines[-1].endswith("…")
    assert label.find(f"{NS}title").text == name
    assert name.startswith(" ".join(lines)[:-1].rstrip())


def test_stored_positions_are_used() -> None:
    m = load_template("stamping_plant")
    m.move("weld1", 2000, 900)
    root = ET.fromstring(render_svg(m))
    group = next(
        e for e in root.iter() if e.get("data-vsm-id") == "weld1" and e.get("data-vsm-kind") == "process"
    )
    frame = next(r for r in group.iter(f"{NS}rect") if "vsm-frame" in r.get("class", "").split())
    assert (float(frame.get("x")), float(frame.get("y"))) == (2000, 900)
    # the view box grows to hold it
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    assert x + w >= 2000 + 140
    assert y + h >= 900 + 46


def test_empty_map_and_state_input() -> None:
    m = ValueStreamMap()
    root = ET.fromstring(render_svg(m))
    assert _kinds(root) == Counter({"customer": 1, "title": 1, "totals": 1, "empty": 1})
    assert render_svg(m.state) == render_svg(m)
    with pytest.raises(TypeError, match="ValueStreamMap or MapState"):
        render_svg("not a map")  # type: ignore[arg-type]
    assert isinstance(m.state, MapState)


def test_flow_kinds_and_wait_icons() -> None:
    m = ValueStreamMap("Kinds", demand=100, working_days=1, available_time="8 h")
    m.add_process("A", cycle_time="10 s")
    m.add_wait("2 h", flow="fifo", fifo_max=5)
    m.add_process("B", cycle_time="10 s")
    m.add_inventory(20, flow="pull")
    m.add_process("C", cycle_time="10 s")
    m.add_process("D", cycle_time="10 s")
    root = ET.fromstring(render_svg(m))
    assert _kinds(root) == Counter(
        {"customer": 1, "process": 4, "wait": 1, "inventory": 1, "fifo": 1, "pull": 1, "rung": 6}
        | {"direct": 1, "title": 1, "totals": 1}
    )
    fifo = next(e for e in root.iter() if e.get("data-vsm-kind") == "fifo")
    assert [t.text for t in fifo.iter(f"{NS}text")] == ["FIFO", "max 5"]
    # the same content gives the same drawing: no random ids
    assert render_svg(m) == render_svg(m)


def test_two_maps_on_one_page_do_not_share_definition_ids() -> None:
    a = render_svg(load_template("stamping_plant"))
    b = render_svg(load_template("order_to_cash"))
    ids_a = {e.get("id") for e in ET.fromstring(a).iter() if e.get("id")}
    ids_b = {e.get("id") for e in ET.fromstring(b).iter() if e.get("id")}
    assert ids_a
    assert not ids_a & ids_b


def test_the_map_writes_its_picture_in_each_palette(tmp_path: Path) -> None:
    m = load_template("stamping_plant")
    light, dark, paper = (m.to_svg(palette=name) for name in ("light", "dark", "print"))
    assert light == m.to_svg() == render_svg(m)
    assert dark == render_svg(m, palette="dark")
    assert paper == render_svg(m, palette="print")
    assert len({light, dark, paper}) == 3
    # Saved to a file, in the palette asked for, with the font inside.
    assert m.to_svg(tmp_path / "dark.svg", palette="dark") is None
    saved = (tmp_path / "dark.svg").read_text(encoding="utf-8")
    save_svg(m, tmp_path / "same.svg", palette="dark")
    assert saved == (tmp_path / "same.svg").read_text(encoding="utf-8")
    assert "@font-face" in saved
    with pytest.raises(ValueError, match="palette"):
        m.to_svg(palette="sepia")


def test_save_svg_writes_atomically(tmp_path: Path) -> None:
    m = load_template("emergency_department")
    target = save_svg(m, tmp_path / "ed.svg")
    assert target == tmp_path / "ed.svg"
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<?xml")
    assert ET.fromstring(text.split("\n", 1)[1]).tag == f"{NS}svg"
    assert [p.name for p in tmp_path.iterdir()] == ["ed.svg"]
    # a failed write leaves the old file as it was and no temporary file behind
    with pytest.raises(TypeError):
        save_svg("not a map", target)  # type: ignore[arg-type]
    assert target.read_text(encoding="utf-8") == text
    with pytest.raises(FileNotFoundError):
        save_svg(m, tmp_path / "missing" / "x.svg")
    assert [p.name for p in tmp_path.iterdir()] == ["ed.svg"]


@pytest.mark.skipif(
    shutil.which("rsvg-convert") is None, reason="rsvg-convert (librsvg2-bin) is not installed"
)
def test_librsvg_draws_it(tmp_path: Path) -> None:
    source = save_svg(load_template("stamping_plant"), tmp_path / "map.svg")
    result = subprocess.run(
        ["rsvg-convert", "-o", str(tmp_path / "map.png"), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
