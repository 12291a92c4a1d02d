"""Branches and rework loops in JSON documents (schema 3 and later) and pandas frames."""

from __future__ import annotations

import copy
import dataclasses
import io as text_io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.data import io

CALENDAR: dict[str, Any] = {"demand": 480, "available_time": "8 h"}


def branched() -> ValueStreamMap:
    """A main line, a feeder that ends in a wait, a nested feeder, a parallel path, a loop."""
    m = ValueStreamMap("Branched", **CALENDAR)
    m.add_inventory(100, id="raw")
    m.add_process("Cut", cycle_time="30 s")
    m.add_wait("1 h")
    m.add_process("Assemble", cycle_time="40 s", complete_accurate="95%")
    m.add_process("Pack", cycle_time="10 s")
    m.add_wait("2 h", id="shipping")
    feeder = m.add_branch(into="Assemble", name="Brackets", id="brackets")
    feeder.add_inventory({"LH": 300, "RH": 200})
    feeder.add_process("Bend", cycle_time="20 s", x=40, y=300)
    feeder.add_wait("30 min")
    nested = m.add_branch(into="Bend", id="tubes")
    nested.add_process("Tube", cycle_time="25 s")
    side = m.add_branch(into="Pack", after="Cut", id="check")
    side.add_process("Inspect", cycle_time="5 min")
    m.add_rework(source="Pack", target="Assemble", share="25%", id="redo")
    m.add_burst("Buy tubes in", target="Tube")
    m.add_flow("customer", "Bend")
    m.clear_history()
    return m


def untyped(state: Any) -> Any:
    """The state without typed units and branch names (what a frame does not hold)."""

    def plain(item: Any) -> Any:
        return dataclasses.replace(item, units=()) if hasattr(item, "units") else item

    branches = tuple(
        dataclasses.replace(b, name="", items=tuple(plain(i) for i in b.items)) for b in state.branches
    )
    return tuple(plain(i) for i in state.stream), branches


# --------------------------------------------------------------------------- documents


def test_a_branched_map_round_trips_through_its_document_and_json(tmp_path: Path) -> None:
    m = branched()
    document = m.to_dict()
    assert document["schema"] == io.SCHEMA_VERSION
    assert [b["id"] for b in document["branches"]] == ["brackets", "tubes", "check"]
    assert document["branches"][0]["into"] == m.get("Assemble").id
    assert document["branches"][2]["after"] == m.get("Cut").id
    assert [item["type"] for item in document["branches"][0]["items"]] == ["gap", "process", "gap"]
    assert document["reworks"] == [
        {"id": "redo", "source": m.get("Pack").id, "target": m.get("Assemble").id, "share": 0.25}
    ]
    assert ValueStreamMap.from_dict(document).state == m.state
    assert io.from_json(io.to_json(m)).state == m.state
    m.save(tmp_path / "map.json")
    assert ValueStreamMap.load(tmp_path / "map.json").state == m.state
    # The document and its JSON text hold to the shipped schema.
    errors = list(Draft202012Validator(io.schema()).iter_errors(json.loads(io.to_json(m))))
    assert errors == []


def test_each_branch_step_has_a_line_of_its_own_in_the_json_text() -> None:
    text = io.to_json(branched())
    bend = next(line for line in text.splitlines() if '"name": "Bend"' in line)
    assert bend.strip().startswith('{"type": "process"')


def test_a_straight_map_writes_no_branch_lists_and_a_schema_2_document_loads_as_it_is() -> None:
    m = ValueStreamMap("Straight", **CALENDAR)
    m.add_process("Cut", cycle_time="30 s")
    m.add_wait("1 h")
    m.add_process("Pack", cycle_time="10 s")
    document = m.to_dict()
    assert "branches" not in document
    assert "reworks" not in document
    old = {**document, "schema": 2}
    frozen = copy.deepcopy(old)
    loaded = io.from_document(old)
    assert loaded.state == m.state
    assert old == frozen
    assert io.to_document(loaded)["schema"] == io.SCHEMA_VERSION


def _bend(d: dict[str, Any]) -> dict[str, Any]:
    """The feeder's step (Bend) in a document of :func:`branched`."""
    return d["branches"][0]["items"][1]


BEND = "$.branches[0].items[1]"


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda d: d["branches"][0].update(into="nowhere"), "$.branches[0].into", "no step"),
        (lambda d: d["branches"][0].update(into="raw"), "$.branches[0].into", "no step"),
        (lambda d: d["branches"][2].update(after="nowhere"), "$.branches[2].after", "no step"),
        # The feeder of tubes would feed its own step: a circle.
        (lambda d: d["branches"][1].update(into=d["branches"][1]["items"][0]["id"]),
         "$.branches[1].into", "circle"),
        (lambda d: d["reworks"][0].update(share=1), "$.reworks[0].share", "maximum"),
        (lambda d: d["reworks"][0].update(share=-0.5), "$.reworks[0].share", "minimum"),
        (lambda d: d["reworks"][0].update(target="shipping"), "$.reworks[0].target", "no step"),
        (lambda d: d["reworks"][0].update(source="raw"), "$.reworks[0].source", "no step"),
        (lambda d: d["branches"][0]["items"].insert(0, {"type": "gap", "id": "g99"}), BEND, "side by side"),
        (lambda d: _bend(d).update(id="raw"), f"{BEND}.id", "already used"),
        (lambda d: _bend(d).update(name="Cut"), f"{BEND}.name", "name"),
        (lambda d: _bend(d).update(cycle_time=-1), f"{BEND}.cycle_time", "minimum"),
        (lambda d: d["branches"][0].update(id="customer"), "$.branches[0].id", "reserved"),
        (lambda d: d["branches"][0].update(colour="red"), "$.branches[0].colour", "colour"),
    ],
)  # fmt: skip
def test_bad_branches_and_loops_in_a_document_name_their_json_path(
    change: Any, path: str, words: str
) -> None:
    document = json.loads(json.dumps(branched().to_dict()))
    change(document)
    with pytest.raises(ValidationError) as caught:
        io.from_document(document)
    assert caught.value.field == path
    assert words in str(caught.value)


# --------------------------------------------------------------------------- frames


def test_steps_frame_carries_each_steps_path() -> None:
    m = branched()
    frame = m.steps_frame()
    after = frame.columns.get_loc("distributions") + 1
    assert list(frame.columns[after:][:3]) == ["path", "path_into", "path_after"]
    rows = frame.set_index("name", drop=False)
    assert rows.loc["Cut", "path"] == "main"
    assert pd.isna(rows.loc["Cut", "path_into"])
    assert rows.loc["Bend", "path"] == "brackets"
    assert rows.loc["Bend", "path_into"] == m.get("Assemble").id
    assert rows.loc["Tube", "path_into"] == m.get("Bend").id
    assert rows.loc["Inspect", "path_after"] == m.get("Cut").id
    # Each path may end with its own end row: the feeder's wait before Assemble.
    ends = frame[frame["type"] == "end"]
    assert list(ends["path"]) == ["main", "brackets"]
    assert list(frame["path"]) == ["main"] * 4 + ["brackets"] * 2 + ["tubes", "check"]


def test_from_frame_reads_the_paths_back() -> None:
    m = branched()
    back = ValueStreamMap.from_frame(m.steps_frame(), title=m.title, **CALENDAR)
    assert untyped(back.state) == untyped(m.state)
    assert back.reworks == ()  # loops live in the JSON document
    assert back.metrics().lead_time == m.metrics().lead_time
    # Through CSV too, read back as text.
    buffer = text_io.StringIO()
    m.steps_frame().to_csv(buffer, index=False)
    buffer.seek(0)
    again = ValueStreamMap.from_frame(pd.read_csv(buffer, dtype=str, keep_default_na=False), **CALENDAR)
    assert untyped(again.state) == untyped(m.state)


def test_a_friendly_frame_names_branch_ends_by_step_name() -> None:
    frame = pd.DataFrame(
        {
            "name": ["Cut", "Assemble", "Bend", "Drill"],
            "ct": ["30 s", "40 s", "20 s", "10 s"],
            "path": ["main", "", "feeder", "feeder"],
            "path_into": [None, None, "Assemble", "Assemble"],
        }
    )
    m = ValueStreamMap.from_frame(frame, **CALENDAR)
    assert [s.name for s in m.steps] == ["Cut", "Assemble"]
    assert m.branches[0].id == "feeder"
    assert m.branches[0].into == m.get("Assemble").id
    assert [s.name for s in m.branch("feeder").steps] == ["Bend", "Drill"]
    assert m.metrics().lead_time == pytest.approx(20 + 10 + 40)


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"path": ["main", "b1"], "path_into": [None, None]}, "path_into", "name the step it feeds"),
        ({"path": ["main", "b1"], "path_into": [None, "Nowhere"]}, "path_into", "no step"),
        ({"path": ["main", "b1"], "path_into": ["A", None]}, "path_into", "main line"),
        ({"path": ["main", "b1"], "path_into": [None, "A"], "path_after": [None, "B"]},
         "path_after", "circle"),
        ({"path": ["main", "customer"], "path_into": [None, "A"]}, "path", "branch id"),
        ({"path": ["main", "A1"], "path_into": [None, "A"], "id": ["A1", "B1"]}, "path", "used"),
    ],
)  # fmt: skip
def test_bad_paths_in_a_frame_name_the_row_and_column(
    cells: dict[str, list[Any]], column: str, words: str
) -> None:
    frame = pd.DataFrame({"name": ["A", "B"], "cycle_time": [10, 20], **cells})
    with pytest.raises(ValidationError) as caught:
        ValueStreamMap.from_frame(frame, **CALENDAR)
    assert caught.value.field == f"row 1: {column}" or caught.value.field == f"row 0: {column}"
    assert words in str(caught.value)


def test_rows_of_one_branch_name_one_step() -> None:
    frame = pd.DataFrame(
        {
            "name": ["A", "B", "C"],
            "path": ["main", "b1", "b1"],
            "path_into": [None, "A", "B"],
        }
    )
    with pytest.raises(ValidationError) as caught:
        ValueStreamMap.from_frame(frame, **CALENDAR)
    assert caught.value.field == "row 2: path_into"
