"""Inputs that used to break a map, one class at a time, through every door they can use.

The doors: the Python API, a JSON document (text, file, dict), a frame, and a canvas
message (``MapWidget.handle_edit``, packed as the kernel would pack it). Each class is
refused with a ValidationError (or a refusal message) that names the field, the map is
left exactly as it was, and whatever the map holds can still be saved, loaded, synced.
"""

from __future__ import annotations

import datetime
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from jupyter_client.session import json_packer

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.model import MAX_QUANTITY, MAX_VARIANTS
from vsm_widget.data import io
from vsm_widget.jupyter.widget import MapWidget

# Text no file can hold: lone surrogate halves (json.loads makes them from "\ud800"
# escapes, a browser from broken input) and the two non-characters XML refuses.
UNWRITABLE = ["a\ud800b", "\udfff", "pasted \udc80 bytes", "end\ufffe", "\uffff"]


# One element of each kind, and a burst on a burst (on Weld): 920 a day, 2 shifts of 27,600 s.
SAMPLE: dict[str, Any] = {
    "schema": 1,
    "title": "Sample",
    "customer": {"demand": 920, "shifts": 2, "shift_length": 27_600},
    "supplier": {"name": "Steel Co"},
    "control": {"name": "MRP"},
    "stream": [
        {"type": "process", "id": "cut", "name": "Cut", "cycle_time": 30},
        {"type": "gap", "id": "wip", "variants": [["LH", 300], ["RH", 200]]},
        {"type": "process", "id": "weld", "name": "Weld", "cycle_time": 40},
    ],
    "shipments": [{"id": "truck", "direction": "out"}],
    "flows": [{"id": "order", "source": "customer", "target": "control"}],
    "bursts": [
        {"id": "idea", "text": "Quick changeover", "target": "weld"},
        {"id": "idea2", "text": "Train a second welder", "target": "idea"},
    ],
}


def sample() -> ValueStreamMap:
    return ValueStreamMap.from_dict(SAMPLE)


def canvas(monkeypatch: pytest.MonkeyPatch) -> tuple[ValueStreamMap, MapWidget, Sent]:
    """The sample map, its canvas widget, and what the widget sends."""
    m = sample()
    widget = MapWidget(m)
    return m, widget, Sent(widget, monkeypatch)


def edit(seq: int, op: str, **fields: Any) -> dict[str, Any]:
    return {"kind": "edit", "seq": seq, "op": op, **fields}


def packable(message: Any) -> bytes:
    """``message`` packed as the kernel packs every widget message (raises if it cannot be:
    text no file can hold, NaN or infinity).
    """
    return json_packer(message)


def test_an_error_about_nan_or_infinity_is_plain_data_too() -> None:
    for value in (float("nan"), float("inf"), 10**400):
        with pytest.raises(ValidationError) as caught:
            sample().update("Cut", cycle_time=value)
        packable(caught.value.to_dict())


def assert_saves_and_syncs(m: ValueStreamMap, tmp_path: Path) -> None:
    """The map saves, loads back equal, and its document and metrics can be sent."""
    path = tmp_path / "check.json"
    m.save(path)
    assert ValueStreamMap.load(path) == m
    json.dumps(io.to_document(m.state), ensure_ascii=False).encode("utf-8")
    json.dumps(m.metrics().to_dict(), ensure_ascii=False, allow_nan=False).encode("utf-8")


class Sent:
    """Every message a widget sends to the front end, packed as the kernel would."""

    def __init__(self, widget: MapWidget, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[Any] = []
        monkeypatch.setattr(widget, "_send", self.state)
        monkeypatch.setattr(widget, "send", self.custom)

    def state(self, message: Any, buffers: Any = None) -> None:
        packable(message)
        self.messages.append(message)

    def custom(self, content: Any, buffers: Any = None) -> None:
        packable(content)
        self.messages.append(content)


# --------------------------------------------------------------------------- text no file can hold


@pytest.mark.parametrize("text", UNWRITABLE)
@pytest.mark.parametrize(
    ("call", "field"),
    [
        pytest.param(lambda m, t: ValueStreamMap(t), "title", id="map-title"),
        pytest.param(lambda m, t: ValueStreamMap("Map", customer=t), "name", id="map-name"),
        pytest.param(lambda m, t: m.add_process(t), "name", id="add_process-name"),
        pytest.param(lambda m, t: m.add_process("New", notes=t), "notes", id="add_process-notes"),
        pytest.param(lambda m, t: m.add_process("New", id=f"p{t}"), "id", id="add_process-id"),
        pytest.param(lambda m, t: m.add_gap(notes=t), "notes", id="add_gap-notes"),
        pytest.param(lambda m, t: m.add_inventory({t: 5}), "variants", id="add_inventory-variants"),
        pytest.param(lambda m, t: m.add_flow("customer", f"cut{t}"), "target", id="add_flow-target"),
        pytest.param(lambda m, t: m.add_flow("customer", "cut", label=t), "label", id="add_flow-label"),
        pytest.param(lambda m, t: m.add_burst(t), "text", id="add_burst-text"),
        pytest.param(lambda m, t: m.add_burst("Idea", target=t), "target", id="add_burst-target"),
        pytest.param(lambda m, t: m.add_burst("Idea", owner=t), "owner", id="add_burst-owner"),
        pytest.param(lambda m, t: m.add_shipment("in", mode=t), "mode", id="add_shipment-mode"),
        pytest.param(lambda m, t: m.set_supplier(t), "name", id="set_supplier-name"),
        pytest.param(lambda m, t: m.set_control("MRP", notes=t), "notes", id="set_control-notes"),
        pytest.param(lambda m, t: m.update("map", scope=t), "scope", id="update-scope"),
        pytest.param(lambda m, t: m.update("idea", target=t), "target", id="update-target"),
        pytest.param(
            lambda m, t: m.update("wip", variants={"LH": 1, t: 2}), "variants", id="update-variants"
        ),
    ],
)
def test_python_refuses_text_no_file_can_hold(call: Any, field: str, text: str) -> None:
    m = sample()
    before = m.state
    with pytest.raises(ValidationError) as caught:
        call(m, text)
    assert caught.value.field == field
    assert m.state is before
    assert not m.can_undo
    # The error itself can always be sent and saved: the character is escaped in it.
    packable(caught.value.to_dict())
    assert str(caught.value).encode("utf-8")


def test_the_reason_says_which_character(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"U\+D800, half of a surrogate pair"):
        sample().update("Cut", name="Cut\ud800")
    with pytest.raises(ValidationError, match=r"U\+FFFE, a non-character"):
        sample().update("Cut", notes="\ufffe")
    # Text that every file can hold is of course kept, whatever its script.
    m = sample()
    m.update("Cut", name="Découpe 切断 ✂", notes="emoji 🏭 and a tab\tand a newline\n")
    assert_saves_and_syncs(m, tmp_path)
    assert m.to_svg()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("title", "\ud800"),
        ("scope", "x\udfffy"),
        ("customer.name", "end\ufffe"),
        ("stream.0.name", "Cut\ud800"),
        ("stream.0.notes", "\udc80"),
        ("stream.1.variants.0.0", "L\ud800H"),
        ("stream.2.id", "we\ud800ld"),
        ("flows.0.target", "con\ud800trol"),
        ("bursts.0.target", "we\udbffld"),
        ("bursts.0.text", "\uffff"),
    ],
)
def test_documents_refuse_text_no_file_can_hold(path: str, value: str, tmp_path: Path) -> None:
    document = sample().to_dict()
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    holder: Any = document
    for part in parents:
        holder = holder[part]
    holder[last] = value
    # json.dumps writes the surrogate as the escape "\ud800", which json.loads reads back.
    text = json.dumps(document)
    (tmp_path / "map.json").write_text(text, encoding="ascii")
    for load in (
        lambda: io.from_document(document),
        lambda: io.from_json(text),
        lambda: ValueStreamMap.load(tmp_path / "map.json"),
    ):
        with pytest.raises(ValidationError) as caught:
            load()
        assert caught.value.field.startswith("$.")
        packable(caught.value.to_dict())


def test_a_document_key_no_file_can_hold_is_refused_and_named_escaped() -> None:
    with pytest.raises(ValidationError, match="unknown field") as caught:
        io.from_json('{"schema": 1, "ti\\ud800tle": "Map"}')
    assert caught.value.field == "$.'ti\\ud800tle'"
    packable(caught.value.to_dict())


def object_frame(columns: list[str], rows: list[list[Any]], index: list[Any] | None = None) -> pd.DataFrame:
    """A frame of plain Python objects (pandas' Arrow text columns cannot even hold a surrogate)."""
    return pd.DataFrame(
        rows,
        columns=pd.Index(columns, dtype=object),
        index=None if index is None else pd.Index(index, dtype=object),
        dtype=object,
    )


@pytest.mark.parametrize(
    ("frame", "field"),
    [
        (object_frame(["name"], [["Cut\ud800"]]), "row 0: name"),
        (object_frame(["name", "notes"], [["Cut", "\udfff"]]), "row 0: notes"),
        (object_frame(["name", "gap_variants"], [["Cut", '"L\\ud800H"=5']]), "row 0: gap_variants"),
        (object_frame(["name", "no\udc80tes"], [["Cut", "x"]]), "no\\udc80tes"),
        (
            object_frame(["name", "cycle_time"], [["Cut", "soon"]], index=["row\ud800"]),
            "row row\\ud800: cycle_time",
        ),
        ([{"name": "Cut\ud800"}], "frame"),  # pandas refuses it while making the frame
    ],
)
def test_frames_refuse_text_no_file_can_hold_in_cells_and_headers(frame: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ValueStreamMap.from_frame(frame)
    assert caught.value.field == field
    packable(caught.value.to_dict())


@pytest.mark.parametrize("text", UNWRITABLE)
@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"op": "update", "id": "cut", "field": "name"}, "name"),
        ({"op": "update", "id": "map", "field": "title"}, "title"),
        ({"op": "update", "id": "idea", "field": "target"}, "target"),
        ({"op": "update", "id": "wip", "field": "notes"}, "notes"),
        ({"op": "add_process"}, "name"),
        ({"op": "add_burst", "target": None}, "text"),
    ],
)
def test_canvas_messages_with_text_no_file_can_hold_are_refused_and_canvas_and_python_agree(
    message: dict[str, Any], field: str, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, widget, sent = canvas(monkeypatch)
    before = m.state
    value_key = (
        "value" if message["op"] == "update" else ("name" if message["op"] == "add_process" else "text")
    )
    widget._on_custom_msg(widget, edit(7, **{**message, value_key: text}), [])
    result = sent.messages[-1]
    assert result["kind"] == "result"
    assert result["seq"] == 7
    assert result["ok"] is False
    assert result["error"]["field"] == field
    assert m.state is before
    assert widget.document == io.to_document(m.state)  # the canvas shows the map as Python has it
    assert widget.history == {"can_undo": False, "can_redo": False}
    # The next edit goes through as usual: the two sides did not drift apart.
    widget._on_custom_msg(widget, edit(8, "update", id="cut", field="name", value="Saw"), [])
    assert sent.messages[-1] == {"kind": "result", "seq": 8, "ok": True}
    assert widget.document["stream"][0]["name"] == "Saw"


def test_canvas_fields_and_ids_no_file_can_hold_are_refused_sendably(monkeypatch: pytest.MonkeyPatch) -> None:
    m, widget, sent = canvas(monkeypatch)
    for seq, message in enumerate(
        [
            edit(1, "update", id="cut", field="na\ud800me", value="x"),
            edit(2, "update", id="cu\ud800t", field="name", value="x"),
            edit(3, "remove", id="\udfff"),
            edit(4, "add_flow", source="customer", target="cut\ud800", medium="manual"),
            edit(5, "open", text='{"schema": 1, "title": "\\ud800"}', name="broken\ud800.json"),
        ],
        start=1,
    ):
        widget._on_custom_msg(widget, message, [])
        assert sent.messages[-1]["seq"] == seq
        assert sent.messages[-1]["ok"] is False
    assert m.state == sample().state


# --------------------------------------------------------------------------- limits of the whole


def test_variants_whose_sum_passes_the_quantity_limit_are_refused_through_every_door(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    half = MAX_QUANTITY / 2  # 5e11: two halves are the limit, a little more is past it
    too_many = {"LH": half, "RH": half + 1}
    m = sample()
    before = m.state
    for call in (
        lambda: m.add_inventory(too_many),
        lambda: m.add_gap(variants=too_many, at=0),
        lambda: m.update("wip", variants=too_many),
    ):
        with pytest.raises(ValidationError, match="add up to 1,000,000,000,001") as caught:
            call()
        assert caught.value.field == "variants"
        assert m.state is before
    document = m.to_dict()
    document["stream"][1]["variants"] = [["LH", half], ["RH", half + 1]]
    document["stream"][1]["quantity"] = None
    with pytest.raises(ValidationError, match="add up to") as caught:
        io.from_document(document)
    assert caught.value.field == "$.stream[1].variants"
    frame = pd.DataFrame({"name": ["Cut"], "gap_variants": [f"LH={half:.0f}; RH={half + 1:.0f}"]})
    with pytest.raises(ValidationError, match="add up to") as caught:
        ValueStreamMap.from_frame(frame)
    assert caught.value.field == "row 0: gap_variants"
    widget = MapWidget(m)
    Sent(widget, monkeypatch)
    result = widget.handle_edit(
        edit(1, "update", id="wip", field="variants", value=[["LH", half], ["RH", half + 1]])
    )
    assert (result["ok"], result["error"]["field"]) == (False, "variants")
    assert m.state is before
    # Exactly at the limit is a gap like any other, and it reads back.
    m.update("wip", variants={"LH": half, "RH": half})
    assert m.get("wip").quantity == MAX_QUANTITY
    assert_saves_and_syncs(m, tmp_path)


def test_as_many_variants_as_a_cell_can_list_and_no_more(tmp_path: Path) -> None:
    m = sample()
    with pytest.raises(ValidationError, match=f"at most {MAX_VARIANTS}"):
        m.update("wip", variants={f"V{i}": 1 for i in range(MAX_VARIANTS + 1)})
    # The longest names, each all quotes (written escaped in a frame), still fit in one cell.
    names = {f"{i:03d}{chr(34) * 117}": 1e-05 * (i + 1) for i in range(MAX_VARIANTS)}
    m.update("wip", variants=names)
    assert_saves_and_syncs(m, tmp_path)
    cell = m.steps_frame().loc[1, "gap_variants"]
    assert len(cell) < 32_767
    document = m.to_dict()
    document["stream"][1]["variants"].append(["one more", 1])
    with pytest.raises(ValidationError, match="101 items are too many"):
        io.from_document(document)


# --------------------------------------------------------------------------- edits that change nothing


def test_an_edit_that_changes_nothing_commits_nothing() -> None:
    m = sample()
    m.update("wip", notes="")
    m.update("Cut", notes="")
    m.clear_history()
    told: list[Any] = []
    m.observe(told.append)
    before = m.state
    m.update("idea", target="Weld")  # the step it is on, by name
    m.update("idea", target="weld")  # and by id
    m.update("Cut", notes=None)  # clearing what is empty
    m.update("Cut", cycle_time=30)  # what it holds, in seconds
    m.update("customer", available_time="2 x 27600 s")
    m.update("map", title="Sample")
    m.move("Cut", None, None)  # never placed
    m.reorder("Cut", 0)
    m.set_supplier("Steel Co")
    m.replace_state(before)
    with m.batch():
        m.update("Cut", cycle_time=31)
        m.update("Cut", cycle_time=30)
    assert m.state is before
    assert told == []
    assert not m.can_undo


def test_a_canvas_edit_that_changes_nothing_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _, widget, sent = canvas(monkeypatch)
    for seq, message in enumerate(
        [
            {"op": "update", "id": "idea", "field": "target", "value": "Weld"},
            {"op": "update", "id": "customer", "field": "available_time", "value": "2 x 27600 s"},
            {"op": "update", "id": "wip", "field": "notes", "value": None},
            {"op": "open", "text": io.to_json(sample()), "name": "the same map.json"},
        ]
    ):
        widget._on_custom_msg(widget, edit(seq, **message), [])
    assert sent.messages == [{"kind": "result", "seq": seq, "ok": True} for seq in range(4)]
    assert widget.history == {"can_undo": False, "can_redo": False}


@pytest.mark.parametrize(
    ("target", "on", "words"),
    [
        ("idea", "idea", "cannot sit on itself"),
        ("idea", "idea2", "idea, idea2 would sit on each other"),
    ],
)
def test_a_burst_on_itself_or_in_a_ring_is_refused(
    target: str, on: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = sample()  # idea2 sits on idea, which sits on Weld
    before = m.state
    with pytest.raises(ValidationError, match=words) as caught:
        m.update(target, target=on)
    assert (caught.value.field, caught.value.target) == ("target", target)
    assert m.state is before
    widget = MapWidget(m)
    Sent(widget, monkeypatch)
    result = widget.handle_edit(edit(1, "update", id=target, field="target", value=on))
    assert (result["ok"], result["error"]["field"]) == (False, "target")
    document = m.to_dict()
    document["bursts"][0]["target"] = on
    with pytest.raises(ValidationError, match=words) as caught:
        io.from_document(document)
    assert caught.value.field == "$.bursts[0].target"


def test_a_ring_of_three_bursts_is_refused_and_a_chain_is_fine() -> None:
    m = sample()
    m.add_burst("Third", target="idea2", id="idea3")  # idea3 -> idea2 -> idea -> Weld
    with pytest.raises(ValidationError, match="idea, idea3, idea2 would sit on each other"):
        m.update("idea", target="idea3")
    m.update("idea", target="Cut")  # a chain that ends on a step
    assert m.get("idea").target == "cut"


# --------------------------------------------------------------------------- values analysts have


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (Decimal("45.5"), 45.5),
        (datetime.timedelta(minutes=1, seconds=30), 90.0),
        (pd.Timedelta("2min"), 120.0),
        (np.timedelta64(3, "s"), 3.0),
    ],
)
def test_durations_of_every_kind_are_taken_by_the_model(value: Any, seconds: float, tmp_path: Path) -> None:
    m = sample()
    m.update("Cut", cycle_time=value, changeover=value)
    m.add_wait(value, id="queue")
    assert m.get("Cut").cycle_time == seconds
    assert m.get("queue").wait_time == seconds
    assert type(m.get("Cut").cycle_time) is float
    assert_saves_and_syncs(m, tmp_path)


def test_decimals_are_shares_quantities_and_coordinates(tmp_path: Path) -> None:
    m = sample()
    m.update("Cut", uptime=Decimal("0.85"), operators=Decimal("2"), parallel=Decimal("3"))
    m.update("wip", variants={"LH": Decimal("300.5"), "RH": Decimal("200")})
    m.update("customer", demand=Decimal("920"))
    m.move("Cut", Decimal("10.5"), Decimal("-20"))
    cut = m.get("Cut")
    assert (cut.uptime, cut.operators, cut.parallel, cut.x, cut.y) == (0.85, 2.0, 3, 10.5, -20.0)
    assert m.get("wip").quantity == 500.5
    assert_saves_and_syncs(m, tmp_path)


def test_frames_of_timedeltas_and_decimals() -> None:
    frame = pd.DataFrame(
        {
            "name": ["Cut", "Weld"],
            "cycle_time": pd.to_timedelta(["30s", "1min"]),
            "uptime": [Decimal("0.9"), Decimal("1")],
            "inventory": [None, Decimal("120")],
        }
    )
    m = ValueStreamMap.from_frame(frame)
    assert [s.cycle_time for s in m.steps] == [30.0, 60.0]
    assert [s.uptime for s in m.steps] == [0.9, 1.0]
    assert [g.quantity for g in m.gaps] == [120.0]


# --------------------------------------------------------------------------- hostile documents


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def base_document() -> dict[str, Any]:
    return sample().to_dict()


def with_value(path: str, value: Any) -> dict[str, Any]:
    document = base_document()
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    holder: Any = document
    for part in parents:
        holder = holder[part]
    holder[last] = value
    return document


def with_cycle_time(distribution: dict[str, Any]) -> dict[str, Any]:
    """The base document with the first step's cycle time given as ``distribution``."""
    return with_value("stream.0.distributions", {"cycle_time": distribution})


# Documents as dicts (from_dict, or what a script builds): (document, JSON path at fault).
HOSTILE_DICTS = [
    pytest.param(with_value("scope", nested(100_000)), "$.scope", id="deep-list-in-text"),
    pytest.param(with_value("stream.0.waste", nested(100_000)), "$.stream[0].waste[0]", id="deep-in-a-step"),
    pytest.param(with_value("schema", nested(100_000)), "$.schema", id="deep-version"),
    pytest.param(with_value("customer.demand", 10**5000), "$.customer.demand", id="5000-digit-demand"),
    pytest.param(with_value("customer.shifts", -(10**400)), "$.customer.shifts", id="400-digit-shifts"),
    pytest.param(with_value("stream.1.fifo_max", 10**309), "$.stream[1].fifo_max", id="past-float-fifo"),
    pytest.param(with_value("stream.0.x", 10**400), "$.stream[0].x", id="past-float-x"),
    pytest.param(with_value("schema", 10**5000), "$.schema", id="5000-digit-version"),
    pytest.param(with_value("title", [0] * 1_000_000), "$.title", id="million-item-title"),
    pytest.param(with_value("stream", [0] * 1_000_000), "$.stream[0]", id="million-wrong-items"),
    pytest.param(
        with_value("stream.1.variants", [["V", 1]] * 1_000_000), "$.stream[1].variants", id="million-variants"
    ),
    pytest.param(
        with_value("stream.0.waste", ["motion"] * 1_000_000), "$.stream[0].waste", id="million-waste-tags"
    ),
    pytest.param(
        with_value("stream.0.notes", "x" * 10_000_000), "$.stream[0].notes", id="ten-million-characters"
    ),
    pytest.param(
        {**base_document(), "x" * 1_000_000: 1},
        "$.'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...",
        id="megabyte-key",
    ),
    pytest.param(
        with_value("stream.0", {"type": "process", **{f"k{i}": i for i in range(100_000)}}),
        "$.stream[0].k0",
        id="many-keys",
    ),
    pytest.param(
        with_cycle_time({"distribution": "empirical", "values": [30] * 10**6}),
        "$.stream[0].distributions.cycle_time.values",
        id="million-value-distribution",
    ),
    pytest.param(
        with_cycle_time({"distribution": "triangular", "low": -10, "mode": 30, "high": 50}),
        "$.stream[0].distributions.cycle_time.low",
        id="negative-time-in-a-distribution",
    ),
    pytest.param(
        with_cycle_time({"distribution": "weibull", "shape": 2}),
        "$.stream[0].distributions.cycle_time.distribution",
        id="unknown-distribution",
    ),
    pytest.param(
        with_cycle_time({"distribution": "exponential", "mean": 10**400}),
        "$.stream[0].distributions.cycle_time.mean",
        id="400-digit-mean",
    ),
    pytest.param(
        with_value("stream.0.distributions", {"notes": {"distribution": "exponential", "mean": 30}}),
        "$.stream[0].distributions.notes",
        id="distribution-of-no-duration",
    ),
]


@pytest.mark.parametrize(("document", "path"), HOSTILE_DICTS)
def test_hostile_dicts_get_a_short_validation_error(document: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        io.from_document(document)
    error = caught.value
    assert error.field == path
    assert len(error.reason) < 300
    assert len(str(error)) < 500
    packable(error.to_dict())


def deep_text(depth: int) -> str:
    return '{"schema": 1, "scope": ' + "[" * depth + "]" * depth + "}"


# Documents as text (from_json, load, the canvas's Open…): (text, JSON path at fault, words).
HOSTILE_TEXTS = [
    pytest.param(deep_text(100_000), "$", "nested far too deeply", id="100000-deep"),
    pytest.param(deep_text(900), "$.scope", "is not of type 'string'", id="900-deep"),
    pytest.param(
        '{"schema": 1, "customer": {"demand": 1' + "0" * 5000 + "}}",
        "$",
        "thousands of digits",
        id="5000-digits",
    ),
    pytest.param(
        '{"schema": 1, "customer": {"demand": 1' + "0" * 400 + "}}",
        "$.customer.demand",
        "401 digits",
        id="400-digits",
    ),
    pytest.param('{"schema": 1' + "0" * 4000 + "}", "$.schema", "newer vsm_widget", id="4000-digit-version"),
    pytest.param(
        '{"schema": 1, "customer": {"demand": 1e999}}', "$.customer.demand", "no NaN or infinity", id="1e999"
    ),
    pytest.param(
        '{"schema": 1, "title": [' + ",".join(["1"] * 1_000_000) + "]}",
        "$.title",
        "[1, 1, 1, 1, 1, 1, ...]",
        id="million-items",
    ),
    pytest.param(
        '{"schema": 1, "' + "k" * 1_000_000 + '": 1, "' + "k" * 1_000_000 + '": 2}',
        "$",
        "appears twice",
        id="twice-a-megabyte-key",
    ),
]


@pytest.mark.parametrize(("text", "path", "words"), HOSTILE_TEXTS)
def test_hostile_texts_get_a_short_validation_error_through_every_door(
    text: str, path: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "hostile.json"
    file.write_text(text, encoding="utf-8")
    for read in (lambda: io.from_json(text), lambda: ValueStreamMap.load(file)):
        with pytest.raises(ValidationError) as caught:
            read()
        assert caught.value.field == path
        assert words in caught.value.reason
        assert len(str(caught.value)) < 500
    m, widget, sent = canvas(monkeypatch)
    widget._on_custom_msg(widget, edit(3, "open", text=text, name="hostile.json"), [])
    result = sent.messages[-1]
    assert (result["seq"], result["ok"], result["error"]["field"]) == (3, False, path)
    # One short error, sent once as the trait and once as the answer.
    assert sum(len(packable(message)) for message in sent.messages) < 2_000
    assert m.state == sample().state


def test_load_refuses_what_is_not_a_file_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a file"):
        ValueStreamMap.load(fifo)


# --------------------------------------------------------------------------- the message protocol


@pytest.mark.parametrize(
    ("message", "field", "words"),
    [
        (edit(5, "undo") | {"op": 5}, "op", "must be text"),
        (edit(5, "undo") | {"op": None}, "op", "must be text"),
        (edit(5, "undo") | {"op": ["undo"]}, "op", "must be text"),
        (edit(5, "undo") | {"op": {"undo": 1}}, "op", "must be text"),
        (edit(5, "undo") | {"op": "u" * 100_000}, "op", "unknown op"),
        (edit(5, "move", id="cut", x=10**400, y=0), "x", "must be a number"),
        (edit(5, "move", id="cut", x=0, y=-(10**400)), "y", "must be a number"),
        (edit(5, "move", id="cut", x=float("inf"), y=0), "x", "must be a number"),
        (edit(5, "reorder", id="cut", index=2**60), "index", "must be a whole number"),
        (edit(5, "add_process", after=10**30, name=None), "after", "text or null"),
        (
            edit(5, "update", id="cut", field="cycle_time", value=[1] * 1_000_000),
            "cycle_time",
            "not a duration",
        ),
        (
            edit(5, "update", id="cut", field="notes", value="x" * 10_000_000),
            "notes",
            "10,000,000 characters",
        ),
        (edit(5, "undo") | {7: "seven"}, "7", "no field 7"),
        (edit(5, "undo") | {"x" * 1_000_000: 1}, "x" * 200, "no field"),
    ],
)
def test_malformed_messages_get_a_clear_refusal_with_their_sequence_number(
    message: dict[Any, Any], field: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    m, widget, sent = canvas(monkeypatch)
    widget._on_custom_msg(widget, message, [])
    result = sent.messages[-1]
    assert result["seq"] == 5
    assert result["ok"] is False
    assert result["error"]["field"].startswith(field[:197])
    assert words in result["error"]["reason"]
    assert "internal error" not in result["error"]["reason"]
    assert len(result["error"]["message"]) < 600
    assert m.state == sample().state


@pytest.mark.parametrize(
    ("message", "seq"),
    [
        ({"kind": "result", "seq": 9, "ok": True}, 9),  # a reply sent back, or an old client
        ({"kind": ["edit"], "seq": 9}, 9),
        ({"kind": 10**5000, "seq": 9}, 9),
        ({"kind": "hello"}, None),
        ({"kind": "edit", "seq": 10**400, "op": "undo"}, None),  # no number to answer by
        ({"kind": "edit", "seq": True, "op": "undo"}, None),
    ],
)
def test_messages_of_the_wrong_kind_or_sequence_are_refused_and_answered(
    message: dict[str, Any], seq: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = sample()
    m.update("Cut", cycle_time="1 s")
    widget = MapWidget(m)
    sent = Sent(widget, monkeypatch)
    before = m.state
    widget._on_custom_msg(widget, message, [])
    result = sent.messages[-1]
    assert result["kind"] == "result"
    assert result["seq"] == seq
    assert result["ok"] is False
    assert result["error"]["field"] in ("kind", "seq")
    assert m.state is before  # not even the undo went through


# --------------------------------------------------------------------------- failures after a commit


def test_a_sync_that_fails_after_the_edit_takes_the_edit_back(monkeypatch: pytest.MonkeyPatch) -> None:
    m, widget, sent = canvas(monkeypatch)
    failures = ["the connection broke"]

    def flaky(content: Any, buffers: Any = None) -> None:
        if failures and content.get("kind") == "patch":
            raise OSError(failures.pop())
        sent.custom(content, buffers)

    monkeypatch.setattr(widget, "send", flaky)
    before = m.state
    result = widget.handle_edit(edit(4, "update", id="cut", field="cycle_time", value="35 s"))
    assert result["ok"] is False
    assert result["seq"] == 4
    assert "the map is unchanged" in result["error"]["reason"]
    assert m.state is before
    assert not m.can_undo
    assert not m.can_redo
    # The canvas was sent the map as it is (the failed edit's patch never left): its
    # scene and document are those of the map before the edit.
    patches = [message for message in sent.messages if message.get("kind") == "patch"]
    assert patches, "the canvas was told the map as it is"
    assert widget.document == io.to_document(before)
    assert widget.scene["nodes"] == MapWidget(ValueStreamMap.from_state(before)).scene["nodes"]
    # And the same edit, sent again, goes through.
    assert widget.handle_edit(edit(5, "update", id="cut", field="cycle_time", value="35 s"))["ok"] is True
    assert m.get("cut").cycle_time == 35


def test_an_observer_that_fails_on_a_canvas_edit_leaves_the_map_as_it_was() -> None:
    m = sample()
    widget = MapWidget(m)
    calls: list[str] = []

    def fragile(change: Any) -> None:
        calls.append(change.op)
        if change.op == "update":
            raise OverflowError("a chart could not scale")

    m.observe(fragile)
    before = m.state
    result = widget.handle_edit(edit(1, "update", id="wip", field="notes", value="counted"))
    assert result["ok"] is False
    assert "OverflowError" in result["error"]["reason"]
    assert m.state is before
    assert calls == ["update", "revert"]  # told of the edit, then that it was taken back
    assert widget.document == io.to_document(before)


def test_absurd_values_from_the_canvas_stand_and_every_view_shows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Demand 2.88e-292 a day with 1e12 units waiting: 1e12 / 2.88e-292 days of 55,200 s
    # is 1.9e308 s, past the largest float, so the lead time is infinite.
    m, widget, sent = canvas(monkeypatch)
    for seq, (target, field, value) in enumerate(
        [
            ("customer", "demand", 2.88e-292),
            ("wip", "variants", [["LH", 1e12]]),
            ("customer", "working_days", None),
        ]
    ):
        widget._on_custom_msg(widget, edit(seq, "update", id=target, field=field, value=value), [])
        assert sent.messages[-1]["ok"] is True
    m.add_inventory(1e12)
    assert m.metrics().lead_time == float("inf")
    assert widget.metrics["lead_time"] is None  # JSON has no infinity: the canvas shows "–"
    assert widget.document == io.to_document(m.state)
