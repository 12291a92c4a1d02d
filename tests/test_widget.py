"""The map widget's side of the sync protocol, driven without a browser.

Messages are the ones the canvas sends (docs/sync-protocol.md); the map and the synced
traits are then checked. Expected figures come from *Learning to See* (Rother and
Shook): 920 parts a day, 2 shifts of 27,600 s, so takt = 60 s and one day of demand
waiting is 55,200 s of lead time, i.e. one waiting part adds 60 s.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.data.io import SCHEMA_VERSION, to_json
from vsm_widget.jupyter.widget import MAX_OPEN_CHARS, PROTOCOL_OPS, MapWidget

TAKT = 27_600 * 2 / 920  # 60 s: also the lead time one waiting part adds
CYCLE_TIMES = {"Stamping": 1, "S. Weld #1": 39, "S. Weld #2": 46, "Assembly #1": 62, "Assembly #2": 40}
# Coils (5 days of demand at 920 a day), then the L + R counts in front of each later step.
INVENTORIES = [4600, 4600 + 2400, 1100 + 600, 1600 + 850, 1200 + 640, 2700 + 1440]
LEAD_TIME = sum(INVENTORIES) * TAKT + sum(CYCLE_TIMES.values())


def stamping_plant() -> ValueStreamMap:
    m = ValueStreamMap(
        "Steering brackets", demand=18_400, period="month", working_days=20, available_time="2 x 27600 s"
    )
    m.add_inventory(INVENTORIES[0], id="g0")
    for i, (name, ct) in enumerate(CYCLE_TIMES.items(), start=1):
        m.add_process(name, cycle_time=f"{ct} s", id=f"p{i}")
        m.add_inventory(INVENTORIES[i], id=f"g{i}")
    m.clear_history()
    return m


def edit(seq: int, op: str, **fields: Any) -> dict[str, Any]:
    return {"kind": "edit", "seq": seq, "op": op, **fields}


@pytest.fixture
def plant() -> ValueStreamMap:
    return stamping_plant()


@pytest.fixture
def widget(plant: ValueStreamMap) -> MapWidget:
    return MapWidget(plant)


def count_changes(w: MapWidget, name: str) -> list[Any]:
    seen: list[Any] = []
    w.observe(lambda change: seen.append(change["new"]), names=name)
    return seen


# --------------------------------------------------------------------------- construction


def test_traits_start_from_the_map(widget: MapWidget, plant: ValueStreamMap) -> None:
    doc = widget.document
    assert doc["schema"] == SCHEMA_VERSION
    assert [i["type"] for i in doc["stream"]] == ["gap", *["process", "gap"] * 5]
    assert [i["name"] for i in doc["stream"] if i["type"] == "process"] == list(CYCLE_TIMES)
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME)
    assert math.isclose(widget.metrics["takt_time"], 60.0)
    assert widget.history == {"can_undo": False, "can_redo": False}
    assert widget.error == {}
    assert widget.selection == []
    assert widget.height == 560
    assert widget.map is plant


def test_empty_widget_and_widget_from_a_document(plant: ValueStreamMap) -> None:
    empty = MapWidget()
    assert empty.document["stream"] == []
    assert len(empty.map) == 0
    copy = MapWidget(plant.to_dict())
    assert copy.map == plant
    assert copy.map is not plant


def test_a_wrong_first_argument_says_what_to_pass() -> None:
    with pytest.raises(TypeError, match="takes a ValueStreamMap"):
        MapWidget(["not", "a", "map"])  # type: ignore[arg-type]


def test_misspelt_keyword_gets_a_close_match_hint(plant: ValueStreamMap) -> None:
    with pytest.raises(TypeError, match=r"'hieght'; did you mean 'height'\?"):
        MapWidget(plant, hieght=600)
    with pytest.raises(TypeError, match="follows the map"):
        MapWidget(plant, document={})
    with pytest.raises(TypeError, match=r"'selektion'; did you mean 'selection'\?"):
        plant.editor().configure(selektion=["p1"])


def test_editor_is_one_widget_per_map_and_takes_options(plant: ValueStreamMap) -> None:
    w = plant.editor(height=600)
    assert w.height == 600
    assert plant.editor() is w
    assert plant.editor(height=400) is w
    assert w.height == 400
    w.close()
    assert plant.editor() is not w


def test_map_displays_as_its_editor(plant: ValueStreamMap) -> None:
    data, _ = plant._repr_mimebundle_()
    view = data["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == plant.editor().model_id
    assert data["text/plain"] == "<ValueStreamMap 'Steering brackets': 5 steps, 6 gaps>"


def test_saved_widget_state_holds_the_whole_map(widget: MapWidget, plant: ValueStreamMap) -> None:
    state = widget.get_state()
    assert ValueStreamMap.from_dict(state["document"]) == plant
    assert math.isclose(state["metrics"]["lead_time"], LEAD_TIME)


def test_importing_the_package_does_not_import_widgets() -> None:
    code = (
        "import sys, vsm_widget\n"
        "assert 'anywidget' not in sys.modules and 'ipywidgets' not in sys.modules\n"
        "assert vsm_widget.MapWidget.__name__ == 'MapWidget'\n"
        "assert 'anywidget' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- edits from the canvas


def test_cycle_time_edit_changes_lead_time_by_the_formula(widget: MapWidget, plant: ValueStreamMap) -> None:
    result = widget.handle_edit(edit(1, "update", id="p4", field="cycle_time", value="50 s"))
    assert result == {"kind": "result", "seq": 1, "ok": True}
    assert plant.get("p4").cycle_time == 50
    # Only the lower rung of Assembly #1 changed: 62 s -> 50 s.
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME - 12)
    assert math.isclose(widget.metrics["process_time"], 188 - 12)
    step = next(s for s in widget.document["stream"] if s["id"] == "p4")
    assert step["cycle_time"] == 50
    assert widget.history == {"can_undo": True, "can_redo": False}


def test_units_are_parsed_by_python(widget: MapWidget, plant: ValueStreamMap) -> None:
    widget.handle_edit(edit(1, "update", id="p1", field="changeover", value="1 h"))
    widget.handle_edit(edit(2, "update", id="p1", field="uptime", value="85%"))
    assert plant.get("p1").changeover == 3600
    assert plant.get("p1").uptime == pytest.approx(0.85)
    widget.handle_edit(edit(3, "update", id="p1", field="uptime", value=None))
    assert plant.get("p1").uptime is None


def test_inventory_edit_moves_lead_time_by_takt_per_part(widget: MapWidget) -> None:
    widget.handle_edit(edit(1, "update", id="g2", field="quantity", value=str(INVENTORIES[2] + 100)))
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME + 100 * TAKT)


def test_invalid_value_sets_error_and_changes_nothing(widget: MapWidget, plant: ValueStreamMap) -> None:
    before = plant.state
    metrics = widget.metrics
    result = widget.handle_edit(edit(7, "update", id="p4", field="cycle_time", value="fast"))
    assert result["ok"] is False
    assert result["seq"] == 7
    assert result["error"]["target"] == "p4"
    assert result["error"]["field"] == "cycle_time"
    assert "fast" in result["error"]["reason"]
    assert widget.error == {"seq": 7, **result["error"]}
    assert plant.state is before
    assert widget.metrics == metrics
    assert widget.history == {"can_undo": False, "can_redo": False}
    # The next good edit clears the error.
    assert widget.handle_edit(edit(8, "update", id="p4", field="cycle_time", value="61 s"))["ok"]
    assert widget.error == {}


def test_out_of_range_and_unknown_fields_are_refused(widget: MapWidget, plant: ValueStreamMap) -> None:
    before = plant.state
    result = widget.handle_edit(edit(1, "update", id="p1", field="uptime", value="150%"))
    assert result["error"]["field"] == "uptime"
    result = widget.handle_edit(edit(2, "update", id="p1", field="cycle_tme", value="5 s"))
    assert "cycle_time" in result["error"]["reason"]
    result = widget.handle_edit(edit(3, "update", id="nope", field="cycle_time", value="5 s"))
    assert result["error"]["field"] == "id"
    assert result["error"]["target"] == "nope"
    assert plant.state is before


def test_undo_and_redo_messages(widget: MapWidget, plant: ValueStreamMap) -> None:
    widget.handle_edit(edit(1, "update", id="p2", field="cycle_time", value="30 s"))
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME - 9)
    assert widget.handle_edit(edit(2, "undo"))["ok"]
    assert plant.get("p2").cycle_time == 39
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME)
    assert widget.history == {"can_undo": False, "can_redo": True}
    assert widget.handle_edit(edit(3, "redo"))["ok"]
    assert plant.get("p2").cycle_time == 30
    assert widget.history == {"can_undo": True, "can_redo": False}
    # Undo with nothing to undo is harmless.
    widget.handle_edit(edit(4, "undo"))
    assert widget.handle_edit(edit(5, "undo"))["ok"]
    assert plant.get("p2").cycle_time == 39


def test_move_is_layout_only(widget: MapWidget, plant: ValueStreamMap) -> None:
    metrics_sent = count_changes(widget, "metrics")
    documents_sent = count_changes(widget, "document")
    assert widget.handle_edit(edit(1, "move", id="p3", x=420.5, y=-30))["ok"]
    assert (plant.get("p3").x, plant.get("p3").y) == (420.5, -30)
    step = next(s for s in widget.document["stream"] if s["id"] == "p3")
    assert (step["x"], step["y"]) == (420.5, -30)
    assert len(documents_sent) == 1
    assert metrics_sent == []
    # Undoing a move is layout-only too.
    widget.handle_edit(edit(2, "undo"))
    assert plant.get("p3").x is None
    assert metrics_sent == []


def test_layout_forgets_every_position_in_one_undo_step(widget: MapWidget, plant: ValueStreamMap) -> None:
    widget.handle_edit(edit(1, "move", id="p1", x=10, y=20))
    widget.handle_edit(edit(2, "move", id="customer", x=900, y=0))
    metrics_sent = count_changes(widget, "metrics")
    assert widget.handle_edit(edit(3, "layout"))["ok"]
    assert plant.get("p1").x is None
    assert plant.customer.x is None
    assert metrics_sent == []
    widget.handle_edit(edit(4, "undo"))
    assert (plant.get("p1").x, plant.customer.x) == (10, 900)


def test_add_remove_and_reorder(widget: MapWidget, plant: ValueStreamMap) -> None:
    result = widget.handle_edit(edit(1, "add_process", name=None))
    assert result["ok"]
    assert plant.steps[-1].name == "Process 6"
    # The result names what the edit created, so the canvas that sent it selects it.
    assert result["created"] == [plant.steps[-1].id]
    assert widget.metrics["step_count"] == 6
    new = plant.steps[-1].id
    assert widget.handle_edit(edit(2, "reorder", id=new, index=1))["ok"]
    assert [i.id for i in plant.stream[:3]] == ["g0", new, "p1"]
    # A reorder that would leave two gaps side by side is refused with the reason.
    result = widget.handle_edit(edit(3, "reorder", id="p2", index=0))
    assert (result["ok"], result["error"]["field"]) == (False, "stream")
    assert widget.handle_edit(edit(4, "remove", id=new))["ok"]
    assert new not in plant
    assert widget.metrics["step_count"] == 5
    assert widget.handle_edit(edit(5, "add_process", name="Ship"))["ok"]
    assert widget.handle_edit(edit(6, "add_wait", wait_time="2 h"))["ok"]
    assert plant.stream[-1].wait_time == 7200
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME + 7200)
    result = widget.handle_edit(edit(7, "add_inventory", before="g0", quantity=10))
    assert (result["ok"], result["error"]["field"]) == (False, "stream")
    assert widget.handle_edit(edit(8, "add_burst", target="p4", text=None))["ok"]
    assert plant.bursts[-1].target == "p4"
    assert widget.handle_edit(edit(9, "add_flow", source="customer", target="p5", medium="electronic"))["ok"]
    assert plant.flows[-1].medium == "electronic"


def test_adds_name_their_place_by_id(widget: MapWidget, plant: ValueStreamMap) -> None:
    first = plant.steps[0].id
    # Before the first step, and between two steps: one message each, every other gap in place.
    gaps_before = [(g.id, g.quantity) for g in plant.gaps]
    assert widget.handle_edit(edit(1, "remove", id="g0"))["ok"]
    result = widget.handle_edit(edit(2, "add_wait", before=first, wait_time="1 d"))
    assert result["ok"]
    assert plant.stream[0].id == result["created"][0]
    assert [(g.id, g.quantity) for g in plant.gaps[1:]] == gaps_before[1:]
    added = widget.handle_edit(edit(3, "add_process", after=first, name="Deburr"))
    step = plant.get("Deburr")
    assert added["created"] == [step.id]
    ids = [item.id for item in plant.stream]
    assert ids[ids.index(first) + 1] == step.id
    # An id that is not on the map is refused with the field named, and nothing changes.
    before = plant.state
    result = widget.handle_edit(edit(4, "add_process", after="p99", name="Lost"))
    assert (result["ok"], result["error"]["field"]) == (False, "after")
    assert plant.state is before


def test_the_first_item_of_an_empty_branch_is_added_by_the_branch_id(
    widget: MapWidget, plant: ValueStreamMap
) -> None:
    branch = plant.add_branch(into=plant.steps[-1].id, name="Brackets")
    main = [item.id for item in plant.stream]
    added = widget.handle_edit(edit(1, "add_inventory", branch=branch.id, quantity=300))
    assert added["ok"]
    assert [item.id for item in plant.branches[0].items] == added["created"]
    assert plant.branches[0].items[0].quantity == 300
    assert [item.id for item in plant.stream] == main
    # A branch id that is not on the map, or not a branch, is refused; nothing changes.
    before = plant.state
    for wrong in ("b99", plant.steps[0].id):
        result = widget.handle_edit(edit(2, "add_process", branch=wrong, name="Lost"))
        assert (result["ok"], result["error"]["field"]) == (False, "branch")
        assert plant.state is before


def test_inventory_added_between_steps_counts_in_lead_time(widget: MapWidget, plant: ValueStreamMap) -> None:
    widget.handle_edit(edit(1, "add_process", name="Pack"))
    assert widget.handle_edit(edit(2, "add_inventory", quantity=92))["ok"]
    assert plant.stream[-1].quantity == 92
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME + 92 * TAKT)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (["op", "undo"], "message"),
        ({"kind": "edit", "seq": 1, "op": "explode"}, "op"),
        ({"kind": "edit", "seq": 1, "op": "updte", "id": "p1"}, "op"),
        ({"kind": "edit", "seq": 1, "op": "update", "id": "p1", "value": "3 s"}, "field"),
        ({"kind": "edit", "seq": 1, "op": "update", "id": 5, "field": "cycle_time", "value": "3 s"}, "id"),
        ({"kind": "edit", "seq": 1, "op": "move", "id": "p1", "x": "left", "y": 0}, "x"),
        ({"kind": "edit", "seq": 1, "op": "move", "id": "p1", "x": math.nan, "y": 0}, "x"),
        ({"kind": "edit", "seq": 1, "op": "reorder", "id": "p1", "index": True}, "index"),
        ({"kind": "edit", "seq": 1, "op": "reorder", "id": "p1", "index": 1.5}, "index"),
        ({"kind": "edit", "seq": 1, "op": "undo", "extra": 1}, "extra"),
        ({"kind": "edit", "op": "undo"}, "seq"),
        (
            {"kind": "edit", "seq": 1, "op": "add_flow", "source": "p1", "target": "p2", "medium": "pigeon"},
            "medium",
        ),
        ({"kind": "edit", "seq": 1, "op": "add_branch", "into": None}, "into"),
        ({"kind": "edit", "seq": 1, "op": "add_branch", "into": "p2", "step": 3}, "step"),
        ({"kind": "edit", "seq": 1, "op": "add_rework", "source": "p3", "target": "p2"}, "share"),
        (
            {"kind": "edit", "seq": 1, "op": "add_rework", "source": "p3", "target": "p2", "share": True},
            "share",
        ),
        ({"kind": "edit", "seq": 1, "op": "move_to_path", "id": "p3"}, "path"),
        ({"kind": "edit", "seq": 1, "op": "move_to_path", "id": "p3", "path": "main", "index": 0}, "index"),
    ],
)
def test_malformed_messages_are_refused_not_raised(
    widget: MapWidget, plant: ValueStreamMap, message: Any, field: str
) -> None:
    before = plant.state
    result = widget.handle_edit(message)
    assert result["ok"] is False
    assert result["error"]["field"] == field
    assert widget.error["field"] == field
    assert plant.state is before


def test_every_protocol_op_is_accepted(widget: MapWidget) -> None:
    opened = stamping_plant()
    opened.set_control("MRP")
    messages = {
        "open": {"text": to_json(opened), "name": "plant.json"},
        "update": {"id": "map", "field": "title", "value": "Brackets"},
        "add_process": {"after": "p1", "name": "Inspect"},
        "add_inventory": {"quantity": 5},
        "add_wait": {"after": "p1", "wait_time": None},
        "add_burst": {"target": None, "text": "Pull from stamping"},
        "add_flow": {"source": "control", "target": "p1", "medium": "manual"},
        "add_branch": {"into": "p4", "name": "Brackets", "step": "Bend"},
        "add_rework": {"source": "p4", "target": "p1", "share": "10%"},
        "move_to_path": {"id": "Bend", "path": "main", "after": "p1"},
        "remove": {"id": "g5"},
        "move": {"id": "p1", "x": 0, "y": 0},
        "reorder": {"id": "p5", "index": 0},
        "swap": {"id": "p2", "other": "p3"},
        "undo": {},
        "redo": {},
        "layout": {},
    }
    assert set(messages) == set(PROTOCOL_OPS)
    widget.map.set_control("MRP")
    results = {
        op: widget.handle_edit(edit(i, op, **fields)) for i, (op, fields) in enumerate(messages.items())
    }
    refused = {op: r["error"] for op, r in results.items() if not r["ok"]}
    # Adding an inventory at the end, right after the last gap, is the one refused edit.
    assert list(refused) == ["add_inventory"]
    assert widget.map.title == "Brackets"


def test_swap_message_exchanges_two_steps_in_one_undo_step(widget: MapWidget, plant: ValueStreamMap) -> None:
    order = [s.name for s in plant.steps]
    assert widget.handle_edit(edit(1, "swap", id="p1", other="p5"))["ok"] is True
    assert [s.name for s in plant.steps] == [order[4], *order[1:4], order[0]]
    # The inventories stay where they were: the first is still the coil store of 4,600.
    assert [g.quantity for g in plant.gaps] == INVENTORIES
    assert widget.document["stream"][1]["name"] == "Assembly #2"
    assert widget.handle_edit(edit(2, "undo"))["ok"] is True
    assert [s.name for s in plant.steps] == order
    refused = widget.handle_edit(edit(3, "swap", id="p1", other="nowhere"))
    assert refused["error"]["field"] == "other"
    refused = widget.handle_edit(edit(4, "swap", id="p1", other="g1"))
    assert refused["error"]["field"] == "second"
    assert [s.name for s in plant.steps] == order


def test_open_puts_a_document_in_place_of_the_map_as_one_undo_step(
    widget: MapWidget, plant: ValueStreamMap
) -> None:
    before = plant.state
    other = ValueStreamMap("Loan approval", demand=8, available_time="8 h")
    other.add_process("Check", cycle_time="20 min")
    other.add_wait("1 d")
    other.add_process("Decide", cycle_time="15 min")
    widget.selection = ["p3"]
    result = widget.handle_edit(edit(1, "open", text=to_json(other), name="loan.json"))
    assert result["ok"] is True
    assert plant.to_dict() == other.to_dict()
    assert widget.document["title"] == "Loan approval"
    # 20 + 15 min of process time; lead time adds the one-day wait (8 h working day).
    assert widget.metrics["process_time"] == 35 * 60
    assert widget.metrics["lead_time"] == 35 * 60 + 8 * 3600
    assert widget.selection == []  # p3 is not on the new map
    assert widget.handle_edit(edit(2, "undo"))["ok"] is True
    assert plant.state == before
    assert widget.metrics["lead_time"] == pytest.approx(LEAD_TIME)


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ('{"title": "x",', "$", "line 1, column 15"),
        ("", "$", "empty"),
        ('{"schema": 99, "title": "From the future"}', "schema", "newer"),
        ("[1, 2]", "$", "object"),
    ],
)
def test_open_refuses_a_bad_document_and_keeps_the_map(
    widget: MapWidget, plant: ValueStreamMap, text: str, field: str, words: str
) -> None:
    before = plant.state
    result = widget.handle_edit(edit(1, "open", text=text, name="bad.json"))
    assert result["ok"] is False
    error = result["error"]
    assert error["field"].endswith(field)
    assert "bad.json was not opened" in error["reason"]
    assert words in error["reason"]
    assert "unchanged" in error["reason"]
    assert plant.state is before
    assert plant.can_undo is False


def test_open_names_the_json_path_of_a_bad_value(widget: MapWidget, plant: ValueStreamMap) -> None:
    document = plant.to_dict()
    document["stream"][2]["cycle_time"] = -5
    result = widget.handle_edit(edit(1, "open", text=json.dumps(document), name=None))
    assert result["ok"] is False
    assert result["error"]["field"] == "$.stream[2].cycle_time"
    assert result["error"]["reason"].startswith("the document was not opened ($.stream[2].cycle_time)")
    assert widget.error["field"] == "$.stream[2].cycle_time"


def test_open_refuses_a_document_too_large_to_be_a_map(widget: MapWidget, plant: ValueStreamMap) -> None:
    # The message must fit the kernel connection (Tornado refuses websocket messages over
    # 10 MiB), even when JSON quoting doubles every character.
    assert 2 * MAX_OPEN_CHARS < 10 * 1024 * 1024
    before = plant.state
    result = widget.handle_edit(edit(1, "open", text=" " * (MAX_OPEN_CHARS + 1), name="huge.json"))
    assert result["ok"] is False
    assert result["error"]["field"] == "open"
    assert "huge.json" in result["error"]["reason"]
    assert plant.state is before


def test_comm_messages_get_a_result_reply(widget: MapWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(widget, "send", sent.append)
    widget._on_custom_msg(widget, edit(11, "update", id="p1", field="cycle_time", value="2 s"), [])
    widget._on_custom_msg(widget, {"kind": "hello"}, [])
    # The edit's patch goes first, then its result: the canvas has the change when it hears "ok".
    assert [m["kind"] for m in sent] == ["patch", "result", "result"]
    assert sent[1] == {"kind": "result", "seq": 11, "ok": True}
    assert sent[2]["ok"] is False
    assert sent[2]["error"]["field"] == "kind"


def test_an_edit_sends_only_the_nodes_it_changed(widget: MapWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(widget, "send", sent.append)
    scene_before = {node["key"]: node for node in widget.scene["nodes"]}
    widget.handle_edit(edit(1, "update", id="p2", field="cycle_time", value="35 s"))
    (patch,) = [m for m in sent if m["kind"] == "patch"]
    changed = {node["key"] for node in patch["scene"]["upsert"]}
    # The step, its rung, the totals (lead and process time) and the title line (warnings):
    # nothing that does not show the changed figure.
    assert changed <= {"p2", "p2/rung", "totals", "title"}
    assert {"p2", "p2/rung", "totals"} <= changed
    assert patch["scene"]["remove"] == []
    assert "order" not in patch["scene"]
    # The document patch holds the one step that changed.
    assert patch["document"]["top"] == {}
    assert [item["id"] for item in patch["document"]["lists"]["stream"]["upsert"]] == ["p2"]
    # The trait holds the new scene (for views that join later), and its changed nodes are new.
    after = {node["key"]: node for node in widget.scene["nodes"]}
    assert after["p1"] == scene_before["p1"]
    assert after["p2"] != scene_before["p2"]
    assert any(s.get("text") == "35 s" for s in after["p2"]["shapes"])


def test_export_request_answers_with_the_scene_as_svg(
    widget: MapWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(widget, "send", sent.append)
    widget._on_custom_msg(widget, {"kind": "export", "seq": 3, "palette": "print", "embed_font": True}, [])
    (reply,) = sent
    assert (reply["kind"], reply["seq"], reply["ok"]) == ("exported", 3, True)
    root = ET.fromstring(reply["svg"].split("\n", 1)[1])
    assert root.get("data-vsm-palette") == "print"
    assert "@font-face" in "".join(root.itertext())
    drawn = {e.get("data-vsm-node") for e in root.iter() if e.get("data-vsm-node")}
    # Every node of the canvas but its insertion handles, which are no part of a picture.
    nodes = widget.scene["nodes"]
    assert drawn == {node["key"] for node in nodes if node["kind"] != "slot"}
    assert any(node["kind"] == "slot" for node in nodes)


# --------------------------------------------------------------------------- edits from Python


def test_python_edits_reach_the_traits(widget: MapWidget, plant: ValueStreamMap) -> None:
    plant.update("Stamping", cycle_time="2 s")
    step = next(s for s in widget.document["stream"] if s["id"] == "p1")
    assert step["cycle_time"] == 2
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME + 1)
    assert widget.history == {"can_undo": True, "can_redo": False}
    with plant.batch():
        plant.add_process("Pack", cycle_time="5 s")
        plant.update("customer", demand=9_200)
    # 920 -> 460 a day doubles takt (120 s), so every waiting part now adds 120 s.
    assert math.isclose(widget.metrics["takt_time"], 120)
    assert math.isclose(widget.metrics["lead_time"], sum(INVENTORIES) * 120 + 188 + 1 + 5)


def test_whole_state_replacement_reaches_the_traits(widget: MapWidget, plant: ValueStreamMap) -> None:
    other = ValueStreamMap("Other", demand=100, available_time="1 x 8 h")
    other.add_process("Only", cycle_time="30 s")
    plant.replace_state(other.state)
    assert [s["name"] for s in widget.document["stream"]] == ["Only"]
    assert widget.metrics["lead_time"] == 30


def test_python_move_does_not_resend_metrics(widget: MapWidget, plant: ValueStreamMap) -> None:
    metrics_sent = count_changes(widget, "metrics")
    plant.move("Assembly #2", 100, 200)
    assert next(s for s in widget.document["stream"] if s["id"] == "p5")["x"] == 100
    assert metrics_sent == []


def test_one_sync_message_per_edit(widget: MapWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    states: list[dict[str, Any]] = []
    monkeypatch.setattr(widget, "_send", lambda msg, buffers=None: states.append(msg))
    widget.handle_edit(edit(1, "update", id="p1", field="cycle_time", value="3 s"))
    updates = [m for m in states if m.get("method") == "update"]
    assert len(updates) == 1
    # The scene and document travel as a patch (a custom message), not as whole traits.
    assert set(updates[0]["state"]) == {"history", "revision"}
    patches = [m for m in states if m.get("method") == "custom" and m["content"]["kind"] == "patch"]
    assert len(patches) == 1
    # A refused edit followed by a good one: the cleared error goes with the new state.
    widget.handle_edit(edit(2, "update", id="p1", field="cycle_time", value="soon"))
    states.clear()
    widget.handle_edit(edit(3, "update", id="p1", field="cycle_time", value="4 s"))
    updates = [m for m in states if m.get("method") == "update"]
    assert len(updates) == 1
    assert updates[0]["state"]["error"] == {}


def test_closed_widget_stops_following_the_map(plant: ValueStreamMap) -> None:
    w = MapWidget(plant)
    w.close()
    plant.update("Stamping", cycle_time="3 s")
    assert next(s for s in w.document["stream"] if s["id"] == "p1")["cycle_time"] == 1


# --------------------------------------------------------------------------- selection


def test_selection_from_python_drops_unknown_ids(widget: MapWidget) -> None:
    widget.selection = ["p2", "ghost", "p2", "g3"]
    assert widget.selection == ["p2", "g3"]
    assert widget.select("Assembly #1", "customer").selection == ["p4", "customer"]
    assert widget.select().selection == []


def test_selection_follows_removals_and_undo(widget: MapWidget, plant: ValueStreamMap) -> None:
    widget.selection = ["p5", "p1"]
    widget.handle_edit(edit(1, "remove", id="p5"))
    assert widget.selection == ["p1"]
    plant.remove("p1")
    assert widget.selection == []


def test_selection_set_by_the_front_end_is_cleaned(widget: MapWidget) -> None:
    # What ipywidgets does with a state update from the canvas.
    widget.set_state({"selection": ["p3", "deleted-meanwhile"]})
    assert widget.selection == ["p3"]


def test_the_moves_of_one_drag_are_one_undo_step(widget: MapWidget, plant: ValueStreamMap) -> None:
    widget.handle_edit(edit(1, "update", id="p1", field="cycle_time", value="2 s"))
    # During a drag the canvas sends a move every 150 ms, then one at the drop.
    for seq, x in enumerate((100, 140, 180), start=2):
        assert widget.handle_edit(edit(seq, "move", id="p2", x=x, y=10))["ok"]
    assert plant.get("p2").x == 180
    widget.handle_edit(edit(5, "undo"))
    assert plant.get("p2").x is None
    assert plant.get("p1").cycle_time == 2
    widget.handle_edit(edit(6, "redo"))
    assert plant.get("p2").x == 180


def test_moves_of_different_elements_stay_separate(widget: MapWidget, plant: ValueStreamMap) -> None:
    widget.handle_edit(edit(1, "move", id="p2", x=100, y=10))
    widget.handle_edit(edit(2, "move", id="p3", x=300, y=10))
    widget.handle_edit(edit(3, "move", id="p2", x=150, y=10))
    widget.handle_edit(edit(4, "undo"))
    assert (plant.get("p2").x, plant.get("p3").x) == (100, 300)
    # A refused move in the middle of a drag keeps the drag's last good position.
    result = widget.handle_edit(edit(5, "move", id="p3", x=5e6, y=10))
    assert result["error"]["field"] == "x"
    assert plant.get("p3").x == 300


def test_an_edit_that_changes_nothing_adds_no_undo_step(widget: MapWidget, plant: ValueStreamMap) -> None:
    assert widget.handle_edit(edit(1, "update", id="p2", field="cycle_time", value="30 s"))["ok"]
    # An input that commits on Enter and again when it loses focus sends the edit twice.
    documents_sent = count_changes(widget, "document")
    assert widget.handle_edit(edit(2, "update", id="p2", field="cycle_time", value="30 s"))["ok"]
    # A bare number is seconds: the value it holds, still shown in the unit typed.
    assert widget.handle_edit(edit(3, "update", id="p2", field="cycle_time", value="30"))["ok"]
    assert documents_sent == []
    widget.handle_edit(edit(4, "undo"))
    assert plant.get("p2").cycle_time == 39
    assert widget.history == {"can_undo": False, "can_redo": True}


def test_the_same_value_typed_in_another_unit_is_one_edit(widget: MapWidget, plant: ValueStreamMap) -> None:
    # 30 s typed as "0.5 min" reads back "0.5 min": how it reads changed, so it is an edit.
    assert widget.handle_edit(edit(1, "update", id="p2", field="cycle_time", value="30 s"))["ok"]
    assert widget.handle_edit(edit(2, "update", id="p2", field="cycle_time", value="0.5 min"))["ok"]
    shown = [
        s["text"]
        for s in widget.scene["nodes"][_node_index(widget, "p2")]["shapes"]
        if s.get("f") == "cycle_time"
    ]
    assert shown == ["0.5 min"]
    widget.handle_edit(edit(3, "undo"))
    assert plant.get("p2").cycle_time == 30
    assert plant.get("p2").units == (("cycle_time", "s"),)


def _node_index(widget: MapWidget, key: str) -> int:
    return next(i for i, node in enumerate(widget.scene["nodes"]) if node["key"] == key)


def test_refresh_resends_the_state(widget: MapWidget, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(widget, "_send", lambda msg, buffers=None: sent.append(msg))
    widget.refresh()
    state = sent[-1]["state"]
    assert state["document"]["title"] == "Steering brackets"
    assert math.isclose(state["metrics"]["lead_time"], LEAD_TIME)


# --------------------------------------------------------------------------- revision


def test_revision_counts_committed_changes_and_not_refused_ones(
    widget: MapWidget, plant: ValueStreamMap
) -> None:
    assert widget.revision == 0
    assert widget.handle_edit(edit(1, "update", id="p1", field="cycle_time", value="2 s"))["ok"]
    assert widget.revision == 1
    # Refused (a bad value, an unknown element, a malformed message): no change, no count.
    assert not widget.handle_edit(edit(2, "update", id="p1", field="cycle_time", value="soon"))["ok"]
    assert not widget.handle_edit(edit(3, "remove", id="ghost"))["ok"]
    assert not widget.handle_edit({"kind": "edit", "seq": 4, "op": "updte"})["ok"]
    assert widget.revision == 1
    # An edit that would change nothing is answered ok but commits nothing.
    assert widget.handle_edit(edit(5, "update", id="p1", field="cycle_time", value="2 s"))["ok"]
    assert widget.revision == 1
    widget.handle_edit(edit(6, "undo"))
    widget.handle_edit(edit(7, "redo"))
    assert widget.revision == 3
    # Edits made in Python count too, a batch as one change.
    with plant.batch():
        plant.update("Stamping", cycle_time="3 s")
        plant.update("S. Weld #1", cycle_time="40 s")
    assert widget.revision == 4


def test_revision_goes_out_with_the_edit_it_counts(
    widget: MapWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    states: list[dict[str, Any]] = []
    monkeypatch.setattr(widget, "_send", lambda msg, buffers=None: states.append(msg))
    widget.handle_edit(edit(1, "add_process", name="Pack"))
    updates = [m["state"] for m in states if m.get("method") == "update"]
    assert len(updates) == 1
    assert updates[0]["revision"] == 1
    # The new step itself travels in the patch just before (sent first, so the canvas has
    # it when the revision arrives).
    patches = [m["content"] for m in states if m.get("method") == "custom"]
    assert states.index(next(m for m in states if m.get("method") == "custom")) < states.index(
        next(m for m in states if m.get("method") == "update")
    )
    added = patches[0]["document"]["lists"]["stream"]["upsert"]
    assert [s["name"] for s in added] == ["Pack"]


def test_the_front_end_cannot_overwrite_what_follows_the_map(
    widget: MapWidget, monkeypatch: pytest.MonkeyPatch
) -> None:
    widget.handle_edit(edit(1, "update", id="p1", field="cycle_time", value="2 s"))
    document, metrics = widget.document, widget.metrics
    states: list[dict[str, Any]] = []
    monkeypatch.setattr(widget, "_send", lambda msg, buffers=None: states.append(msg))
    # What marimo sends back after a selection: every trait the page ever received,
    # here an older document and revision.
    stale = {**document, "title": "Old title"}
    widget.set_state({"selection": ["p2"], "document": stale, "revision": 0, "metrics": metrics})
    assert widget.selection == ["p2"]
    assert widget.document == document
    assert widget.revision == 1
    # The page is told the true values of what it got wrong, and nothing else is resent.
    resent = [m["state"] for m in states if m.get("method") == "update"]
    assert len(resent) == 1
    assert set(resent[0]) == {"document", "revision"}
    assert resent[0]["document"]["title"] == "Steering brackets"


def test_marimo_sees_each_canvas_edit_in_the_editors_value(plant: ValueStreamMap) -> None:
    import marimo as mo

    editor = mo.ui.anywidget(plant.editor())
    assert editor.value["revision"] == 0
    # The canvas's edit, as it reaches the widget: Assembly #1 from 62 s to 55 s.
    assert editor.widget.handle_edit(edit(1, "update", id="p4", field="cycle_time", value="55 s"))["ok"]
    assert editor.value["revision"] == 1
    assert math.isclose(editor.value["metrics"]["lead_time"], LEAD_TIME - 7)
    assert not editor.widget.handle_edit(edit(2, "update", id="p4", field="cycle_time", value="-5 s"))["ok"]
    assert editor.value["revision"] == 1
    editor.widget.handle_edit(edit(3, "undo"))
    assert editor.value["revision"] == 2
    assert math.isclose(editor.value["metrics"]["lead_time"], LEAD_TIME)


# --------------------------------------------------------------------------- branches and loops


def test_add_branch_puts_a_feeder_and_its_first_step_on_the_map_in_one_undo_step(
    widget: MapWidget, plant: ValueStreamMap
) -> None:
    before = plant.state
    result = widget.handle_edit(edit(1, "add_branch", into="p4", name="Brackets", step=""))
    assert result["ok"]
    branch_id, step_id = result["created"]
    (branch,) = plant.branches
    assert (branch.id, branch.into, branch.after, branch.name) == (branch_id, "p4", None, "Brackets")
    # An empty step name takes the next free "Process N": five steps are on the map.
    assert [item.id for item in branch.items] == [step_id]
    assert plant.get(step_id).name == "Process 6"
    assert [b["id"] for b in widget.document["branches"]] == [branch_id]
    assert widget.handle_edit(edit(2, "undo"))["ok"]
    assert plant.state is before


def test_add_branch_splits_after_a_step_and_a_bad_end_is_refused_by_name(
    widget: MapWidget, plant: ValueStreamMap
) -> None:
    result = widget.handle_edit(edit(1, "add_branch", into="p5", after="p2", step=None))
    assert result["ok"]
    assert (plant.branches[0].after, plant.branches[0].into, plant.branches[0].items) == ("p2", "p5", ())
    before = plant.state
    for fields, field in (
        ({"into": "p99"}, "into"),
        ({"into": "g2"}, "into"),
        ({"into": "p2", "after": "p4"}, "after"),  # rejoins upstream of its split: a circle
        ({"into": "p4", "after": "nowhere"}, "after"),
        ({"into": "p4", "name": "x" * 500}, "name"),
    ):
        refused = widget.handle_edit(edit(2, "add_branch", **fields))
        assert (refused["ok"], refused["error"]["field"]) == (False, field), fields
        assert refused["error"]["target"] == fields.get("after") or fields["into"]
        assert plant.state is before


def test_adds_after_a_branch_element_land_on_its_branch(widget: MapWidget, plant: ValueStreamMap) -> None:
    branch_id, bend = widget.handle_edit(edit(1, "add_branch", into="p4", step="Bend"))["created"]
    main = plant.state.stream
    stock = widget.handle_edit(edit(2, "add_inventory", before=bend, quantity=300))["created"][0]
    trim = widget.handle_edit(edit(3, "add_process", after=bend, name="Trim"))["created"][0]
    wait = widget.handle_edit(edit(4, "add_wait", after=trim, wait_time="2 h"))["created"][0]
    mid = widget.handle_edit(edit(5, "add_process", after=stock, name="Cut blanks"))["created"][0]
    assert [item.id for item in plant.get(branch_id).items] == [stock, mid, bend, trim, wait]
    assert plant.get(wait).wait_time == 7200
    assert plant.state.stream == main
    # Two gaps side by side on the branch are refused there too, naming the stream.
    before = plant.state
    refused = widget.handle_edit(edit(6, "add_wait", after=trim, wait_time="1 h"))
    assert (refused["ok"], refused["error"]["field"]) == (False, "stream")
    assert plant.state is before


def test_add_rework_adds_a_loop_whose_expected_passes_raise_the_lead_time(
    widget: MapWidget, plant: ValueStreamMap
) -> None:
    result = widget.handle_edit(edit(1, "add_rework", source="p3", target="p2", share="25%"))
    assert result["ok"]
    (loop,) = plant.reworks
    assert result["created"] == [loop.id]
    assert (loop.source, loop.target, loop.share) == ("p3", "p2", 0.25)
    # 1 / (1 - 0.25) = 4/3 passes through S. Weld #1 (39 s), the 1,700 parts between the
    # welders (1,700 x 60 s) and S. Weld #2 (46 s): a third of a pass more of those.
    extra = (39 + 1700 * TAKT + 46) / 3
    assert math.isclose(widget.metrics["lead_time"], LEAD_TIME)
    assert math.isclose(widget.metrics["lead_time_with_rework"], LEAD_TIME + extra)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"source": "p3", "target": "p2", "share": "120%"}, "share"),
        ({"source": "p3", "target": "p2", "share": "100%"}, "share"),
        ({"source": "p3", "target": "p2", "share": -0.1}, "share"),
        ({"source": "p3", "target": "p2", "share": "lots"}, "share"),
        ({"source": "p2", "target": "p3", "share": "10%"}, "target"),
        ({"source": "g2", "target": "p2", "share": "10%"}, "source"),
        ({"source": "p3", "target": "nowhere", "share": "10%"}, "target"),
    ],
)
def test_a_bad_rework_is_refused_naming_the_field(
    widget: MapWidget, plant: ValueStreamMap, fields: dict[str, Any], field: str
) -> None:
    before = plant.state
    result = widget.handle_edit(edit(1, "add_rework", **fields))
    assert (result["ok"], result["error"]["field"]) == (False, field)
    # On the step the loop was to leave from: the canvas shows it in that step's panel.
    assert result["error"]["target"] == fields["source"]
    assert widget.error["field"] == field
    assert plant.state is before
    assert not plant.can_undo


def test_move_to_path_moves_a_step_between_paths_and_refuses_bad_shapes(
    widget: MapWidget, plant: ValueStreamMap
) -> None:
    branch_id, bend = widget.handle_edit(edit(1, "add_branch", into="p4", step="Bend"))["created"]
    # S. Weld #2 stands between two inventories: taking it off the main line is refused.
    before = plant.state
    for fields, field in (
        ({"id": "p3", "path": branch_id, "after": bend}, "path"),
        ({"id": "p4", "path": branch_id, "after": bend}, "path"),  # the feeder into itself
        ({"id": "g2", "path": branch_id, "after": bend}, "id"),
        ({"id": "p99", "path": branch_id, "after": None}, "id"),
        ({"id": bend, "path": "b99", "after": None}, "path"),
        ({"id": bend, "path": "main", "after": bend}, "after"),
    ):
        refused = widget.handle_edit(edit(2, "move_to_path", **fields))
        assert (refused["ok"], refused["error"]["field"]) == (False, field), fields
        assert plant.state is before
    # A step added after Bend, then moved to the main line after Stamping.
    trim = widget.handle_edit(edit(3, "add_process", after=bend, name="Trim"))["created"][0]
    assert widget.handle_edit(edit(4, "move_to_path", id=trim, path="main", after="g1"))["ok"]
    ids = [item.id for item in plant.stream]
    assert ids[ids.index("g1") + 1] == trim
    assert [item.id for item in plant.get(branch_id).items] == [bend]
    # The last step off the feeder takes the emptied feeder with it; undo brings it back.
    moved = plant.state
    assert widget.handle_edit(edit(5, "move_to_path", id=bend, path="main", after=None))["ok"]
    assert plant.branches == ()
    assert plant.stream[0].id == bend
    assert widget.document.get("branches", []) == []
    assert widget.handle_edit(edit(6, "undo"))["ok"]
    assert plant.state is moved


def test_a_patch_says_when_the_last_branch_or_the_supplier_leaves_the_document(
    widget: MapWidget, plant: ValueStreamMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    plant.set_supplier("Michigan Steel")
    branch_id = widget.handle_edit(edit(1, "add_branch", into="p4", step="Bend"))["created"][0]
    sent: list[Any] = []
    monkeypatch.setattr(widget, "send", sent.append)
    widget.handle_edit(edit(2, "remove", id=branch_id))
    widget.handle_edit(edit(3, "remove", id="supplier"))
    tops = [m["document"]["top"] for m in sent if m["kind"] == "patch"]
    # The documents leave both out now; the canvas is told to forget them.
    assert tops == [{"branches": []}, {"supplier": None}]
