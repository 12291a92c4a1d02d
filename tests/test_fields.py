"""One field list: every view of a field follows its one declaration in fields.py.

The expectations are written by hand from the issue and the old hand-made lists (the
details panel's rows, the data box's rows, the frame's columns), not read from the code.
The last test adds a field to process boxes the way a contributor would, one line in
fields.py, and follows it to the schema, the panel, the data box, Excel and documents.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import vsm_widget
from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core import fields, model
from vsm_widget.data import io
from vsm_widget.presentation.scene import build_scene

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the declarations


def test_every_field_of_every_element_is_declared() -> None:
    # Structure (ids, the stream, the customer object) and measured data (spreads from an
    # event log, never typed) is all a dataclass holds beside its fields.
    structure = {
        "map": {
            "customer",
            "supplier",
            "control",
            "stream",
            "shipments",
            "flows",
            "bursts",
            "measured",
            "branches",
            "reworks",
        },
        "customer": set(),
        "supplier": set(),
        "control": set(),
        "process": {"id"},
        "gap": {"id"},
        "shipment": {"id"},
        "flow": {"id"},
        "burst": {"id"},
        "branch": {"id", "items"},
        "rework": {"id"},
    }
    for kind, cls in fields.KINDS.items():
        names = {f.name for f in dataclasses.fields(cls)}
        declared = {spec.name for spec in fields.declared(kind)}
        assert names - declared == structure[kind], kind
        assert all(spec.kind in fields.VALUE_KINDS for spec in fields.declared(kind))
        # Data-box rows are in a clear order.
        orders = [spec.row.order for spec in fields.rows(kind) if spec.row]
        assert len(orders) == len(set(orders)), kind


def test_the_model_parses_exactly_the_declared_fields() -> None:
    for kind in fields.KINDS:
        assert tuple(model._FIELDS[kind]) == tuple(spec.name for spec in fields.declared(kind))
        assert model.editable_fields(kind) == tuple(model._FIELDS[kind])


def test_the_shipped_schema_is_the_generated_one() -> None:
    from vsm_widget.data.document_schema import SCHEMA_FILE, schema_text

    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == io.schema()
    # Written as the generator writes it, so regenerating it changes nothing.
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(io.SCHEMA_VERSION)


def test_the_schema_has_every_declared_field_with_its_limits() -> None:
    schema = io.schema()
    defs = schema["$defs"]
    for kind in ("customer", "supplier", "control", "process", "gap", "shipment", "flow", "burst"):
        assert set(defs[kind]["properties"]) - {"type", "id"} == {s.name for s in fields.declared(kind)}
    assert set(schema["properties"]) >= {s.name for s in fields.declared("map")}
    # A few limits, by hand: 1 to 24 shifts, more than 0 stations... as the model's parsers.
    assert defs["customer"]["properties"]["shifts"]["minimum"] == 1
    assert defs["customer"]["properties"]["shifts"]["maximum"] == 24
    assert defs["process"]["properties"]["parallel"]["type"] == "integer"
    assert defs["gap"]["properties"]["fifo_max"]["exclusiveMinimum"] == 0
    assert schema["properties"]["lead_unit"]["enum"] == ["auto", "s", "min", "h", "d"]
    assert defs["process"]["properties"]["units"]["properties"].keys() == {
        "cycle_time",
        "process_time",
        "lead_time",
        "changeover",
    }
    assert defs["flow"]["required"] == ["id", "source", "target"]


# --------------------------------------------------------------------------- the views


def test_the_panel_fields_are_the_declared_ones() -> None:
    panel = fields.panel_fields()
    process = [entry["name"] for entry in panel["process"]]
    # The old hand-made list's fields, now in declared order (canvas places and typed units hidden).
    assert process == [
        "name", "cycle_time", "process_time", "lead_time", "changeover", "uptime", "operators",
        "shifts", "batch_size", "parallel", "complete_accurate", "value_class", "waste", "notes",
    ]  # fmt: skip
    by_name = {entry["name"]: entry for entry in panel["process"]}
    assert by_name["uptime"]["type"] == "percent"
    assert by_name["changeover"]["type"] == "duration"
    assert by_name["value_class"] == {**by_name["value_class"], "optional": True}
    assert by_name["waste"]["options"][0] == "transport"
    assert [e["name"] for e in panel["map"]] == [
        "title",
        "scope",
        "timeframe",
        "day_basis",
        "lead_unit",
        "process_unit",
    ]
    assert [e["type"] for e in panel["flow"]][:2] == ["readonly", "readonly"]
    assert "target" not in [e["name"] for e in panel["burst"]]
    # A change to the returned data changes nothing for the next caller.
    panel["process"].clear()
    assert fields.panel_fields()["process"]


def test_the_front_end_test_fixture_is_the_declared_fields() -> None:
    # js/widget.test.ts drives the canvas with these; regenerate with panel_fields().
    fixture = json.loads((ROOT / "js" / "fields.fixture.json").read_text(encoding="utf-8"))
    assert fixture == fields.panel_fields()


def test_the_widget_sends_the_field_list_once() -> None:
    pytest.importorskip("anywidget")
    from vsm_widget.jupyter.widget import MapWidget

    widget = MapWidget(ValueStreamMap.template("stamping_plant"))
    assert widget.fields == fields.panel_fields()
    with pytest.raises(Exception, match="fields"):
        MapWidget(ValueStreamMap(), fields={})


def test_the_data_box_rows_follow_the_declarations() -> None:
    m = ValueStreamMap("Rows", demand=920, available_time="2 x 27600 s")
    m.add_process(
        "Weld",
        cycle_time="39 s",
        process_time="30 s",
        lead_time="2 min",
        changeover="10 min",
        uptime="90%",
        complete_accurate="98%",
        batch_size=50,
        shifts=2,
        parallel=3,
        operators=2,
    )
    node = build_scene(m.state, m.metrics()).node("p1")
    rows = [s.get("f") for s in node.shapes if s.get("t") == "text" and s.get("f") not in (None, "name")]
    # The order of the data box on every map so far: C/T, PT, LT, C/O, Uptime, %C&A, Batch,
    # Shifts, Stations, Operators.
    assert rows == [
        "cycle_time", "process_time", "lead_time", "changeover", "uptime", "complete_accurate",
        "batch_size", "shifts", "parallel", "operators",
    ]  # fmt: skip
    texts = {
        s["f"]: s["text"] for s in node.shapes if s.get("t") == "text" and s.get("f") not in (None, "name")
    }
    assert texts["operators"] == "2 operators"
    assert texts["parallel"] == "3"
    # One station is no row; a step with nothing given shows C/T with a dash.
    m.update("Weld", parallel=1)
    bare = m.add_process("Bare")
    scene = build_scene(m.state, m.metrics())
    assert "parallel" not in [s.get("f") for s in scene.node("p1").shapes]
    assert [(s.get("f"), s["text"]) for s in scene.node(bare.id).shapes if s.get("f") == "cycle_time"] == [
        ("cycle_time", "–")
    ]


def test_customer_and_supplier_rows() -> None:
    m = ValueStreamMap(
        "Rows", demand=18400, period="month", working_days=20, shifts=2, shift_length="8 h", breaks="20 min"
    )
    m.set_supplier("Steel", supplies="coils")
    scene = build_scene(m.state, m.metrics())
    customer = [s["text"] for s in scene.node("customer").shapes if s.get("c") == "vsm-value"]
    # 2 x (8 h - 20 min) = 15.33 h a day; 920 a day: takt 55,200 / 920 = 60 s.
    assert customer == [
        "18,400 / month",
        "20 working days",
        "2 shifts × 8 h",
        "20 min",
        "15.3 h / day",
        "60 s",
    ]
    supplier = [s["text"] for s in scene.node("supplier").shapes if s.get("c") == "vsm-value"]
    assert supplier == ["coils"]  # no frequency given: no row


def test_excel_columns_follow_the_declarations(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("openpyxl")
    m = ValueStreamMap.template("stamping_plant")
    path = m.to_excel(tmp_path / "summary.xlsx") or tmp_path / "summary.xlsx"
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets["Steps"].columns)[: len(io.STEP_COLUMNS)] == list(io.STEP_COLUMNS)
    facts = set(sheets["Map"]["field"])
    assert {"lead_unit", "process_unit", "shift_length_s", "breaks_s", "supplier_frequency"} <= facts
    assert {"quantity", "wait_time_s", "flow", "fifo_max", "notes"} <= set(sheets["Gaps"].columns)
    assert list(sheets["Kaizen"].columns) == ["id", "text", "target", "where", "owner", "due", "status"]


# --------------------------------------------------------------------------- typed units


def _box_text(m: ValueStreamMap, target: str, field: str) -> str:
    node = build_scene(m.state, m.metrics()).node(m.get(target).id)
    return next(s["text"] for s in node.shapes if s.get("f") == field)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("1 h", "1 h"),
        ("60 min", "60 min"),  # the rule alone would say "1 h"
        ("90 s", "90 s"),
        ("600 s", "600 s"),  # the rule alone: "10 min"
        ("1.5 h", "1.5 h"),
        ("90 min", "90 min"),  # the rule alone: "1.5 h"
        ("16 h", "16 h"),  # the rule alone on 8-hour days: "2 d"
        ("1 h 30 min", "1.5 h"),  # two units typed: the rule's choice
    ],
)
def test_a_duration_reads_back_as_typed(typed: str, shown: str) -> None:
    m = ValueStreamMap("Typed", demand=10, available_time="8 h")
    m.add_process("Press", changeover=typed)
    assert _box_text(m, "Press", "changeover") == shown


def test_typed_units_are_remembered_and_carried_by_documents(tmp_path: Path) -> None:
    m = ValueStreamMap("Typed", demand=10, available_time="8 h")
    m.add_process("Press", cycle_time="90 s", changeover="60 min")
    m.add_wait("16 h")
    assert m.get("Press").units == (("cycle_time", "s"), ("changeover", "min"))
    document = m.to_dict()
    assert document["stream"][0]["units"] == {"cycle_time": "s", "changeover": "min"}
    assert document["stream"][1]["units"] == {"wait_time": "h"}
    m.save(tmp_path / "typed.json")
    back = ValueStreamMap.load(tmp_path / "typed.json")
    assert back == m
    assert _box_text(back, "Press", "changeover") == "60 min"
    assert _box_text(back, back.gaps[0].id, "wait_time") == "16 h"


def test_seconds_keep_the_unit_and_other_units_replace_it() -> None:
    m = ValueStreamMap("Typed", demand=10, available_time="8 h")
    m.add_process("Press", changeover="60 min")
    m.update("Press", changeover=5400)  # seconds from Python say nothing about display
    assert m.get("Press").units == (("changeover", "min"),)
    assert _box_text(m, "Press", "changeover") == "90 min"
    m.update("Press", changeover="2 h")
    assert m.get("Press").units == (("changeover", "h"),)
    m.update("Press", changeover="1 h 30 min")
    assert m.get("Press").units == ()
    m.update("Press", changeover="1 h")
    m.update("Press", changeover=None)  # cleared: nothing to remember
    assert m.get("Press").units == ()
    # Set outright, as any field: validated, and undone like any edit.
    m.update("Press", changeover=3600, units={"changeover": "minutes"})
    assert _box_text(m, "Press", "changeover") == "60 min"
    with pytest.raises(ValidationError) as caught:
        m.update("Press", units={"uptime": "h"})
    assert caught.value.field == "units"
    m.undo()
    assert m.get("Press").units == ()


def test_a_typed_unit_that_no_longer_reads_cleanly_gives_way_to_the_rule() -> None:
    # "0.5 d" on 8-hour days is 14,400 s; on 7.5-hour days that is 0.533 d, not what was
    # typed: the rule's own choice then, 4 h (under one day, a whole number of hours).
    m = ValueStreamMap("Typed", demand=10, available_time="8 h")
    m.add_process("Press", lead_time="0.5 d")
    assert _box_text(m, "Press", "lead_time") == "0.5 d"
    m.update("customer", available_time="7.5 h")
    assert m.get("Press").lead_time == 14_400
    assert _box_text(m, "Press", "lead_time") == "4 h"


def test_a_shift_typed_in_days_reads_in_hours() -> None:
    m = ValueStreamMap("Typed", demand=10, shifts=1, shift_length="1 d", day_basis="calendar")
    customer = [
        s["text"]
        for s in build_scene(m.state, m.metrics()).node("customer").shapes
        if s.get("f") == "shift_length"
    ]
    assert customer == ["1 shift × 24 h"]


# --------------------------------------------------------------------------- ladder units


def test_the_ladder_units_are_set_per_map_and_carried_by_documents() -> None:
    m = ValueStreamMap.template("stamping_plant")
    # Learning to See: 23.6 d of lead time, 188 s of process time.
    assert m.metrics().format("lead_time") == "23.6 d"
    m.lead_unit = "h"
    m.process_unit = "min"
    # 23.6 working days of 15.33 h; 188 s = 3.13 min.
    assert m.metrics().format("lead_time") == "362 h"
    assert m.metrics().format("process_time") == "3.13 min"
    texts = [
        s.get("text") for n in build_scene(m.state, m.metrics()).nodes if n.kind == "totals" for s in n.shapes
    ]
    assert "362 h" in " ".join(t for t in texts if t)
    back = ValueStreamMap.from_dict(m.to_dict())
    assert (back.lead_unit, back.process_unit) == ("h", "min")
    m.update("map", lead_unit="auto")
    assert m.metrics().format("lead_time") == "23.6 d"
    with pytest.raises(ValidationError) as caught:
        m.lead_unit = "fortnights"
    assert caught.value.field == "lead_unit"


def test_the_future_map_reads_in_the_current_maps_units() -> None:
    m = ValueStreamMap.template("stamping_plant")
    f = m.future()
    assert (f.lead_unit, f.process_unit) == ("d", "s")
    assert m.lead_unit == "auto"  # the current map still chooses
    # Cut every inventory to a few hours: the future lead time still reads in days.
    for gap in f.gaps:
        f.update(gap.id, quantity=100, variants=None)
    assert f.metrics().format("lead_time").endswith(" d")
    before, after, _ = m.compare(f)["lead_time"].texts(m.metrics(), f.metrics())
    assert before.endswith("working days")
    assert after.endswith("working days")


def test_a_schema_1_document_loads_with_auto_units() -> None:
    document = ValueStreamMap.template("stamping_plant").to_dict()
    old = {k: v for k, v in document.items() if k not in ("lead_unit", "process_unit")}
    old["schema"] = 1
    loaded = io.from_document(old)
    assert old["schema"] == 1  # the caller's document is left as it was
    assert (loaded.lead_unit, loaded.process_unit) == ("auto", "auto")
    assert loaded.state == ValueStreamMap.template("stamping_plant").state


# --------------------------------------------------------------------------- one declaration

# A new process field, declared as a contributor would: one line in Process.
_NEW_FIELD = '    scrap: float | None = share("Scrap", help="Units scrapped.", row=Row(11, "Scrap"))\n'

_FOLLOW = textwrap.dedent(
    """
    import json, sys
    import pandas as pd
    from vsm_widget import ValidationError, ValueStreamMap
    from vsm_widget.core import fields
    from vsm_widget.data import io
    from vsm_widget.data.document_schema import SCHEMA_FILE, write
    from vsm_widget.presentation.scene import build_scene

    m = ValueStreamMap("Scrap", demand=10, available_time="8 h")
    m.add_process("Press", cycle_time="10 s", scrap="2%")
    found = {}
    found["schema"] = io.schema()["$defs"]["process"]["properties"]["scrap"]
    found["panel"] = [e for e in fields.panel_fields()["process"] if e["name"] == "scrap"]
    node = build_scene(m.state, m.metrics()).node("p1")
    found["box"] = [s["text"] for s in node.shapes if s.get("f") == "scrap"]
    found["label"] = node.label
    m.to_excel(sys.argv[1])
    steps = pd.read_excel(sys.argv[1], sheet_name="Steps")
    found["excel"] = float(steps.loc[0, "scrap"])
    back = io.from_json(io.to_json(m))
    found["document"] = back.get("Press").scrap
    found["frame"] = ValueStreamMap.from_frame(m.steps_frame()).get("Press").scrap
    try:
        m.update("Press", scrap="150%")
    except ValidationError as error:
        found["refused"] = [error.field, m.get("Press").scrap]
    from vsm_widget.jupyter.widget import MapWidget
    found["trait"] = [e["name"] for e in MapWidget(m).fields["process"]].count("scrap")
    # The shipped file is stale until the maintainer writes it again (a test says so).
    found["stale"] = json.loads(SCHEMA_FILE.read_text()) != io.schema()
    write()
    found["fresh"] = json.loads(SCHEMA_FILE.read_text()) == io.schema()
    print(json.dumps(found))
    """
)


def test_adding_a_process_field_is_one_declaration(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    package = tmp_path / "src" / "vsm_widget"
    shutil.copytree(Path(vsm_widget.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    source = (package / "core" / "fields.py").read_text(encoding="utf-8")
    anchor = "    value_class: str | None = choice(\n"
    assert source.count(anchor) == 1
    (package / "core" / "fields.py").write_text(source.replace(anchor, _NEW_FIELD + anchor), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", _FOLLOW, str(tmp_path / "scrap.xlsx")],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["schema"]["title"] == "Scrap"
    assert found["schema"]["$ref"] == "#/$defs/share"
    assert found["panel"] == [
        {
            "name": "scrap",
            "label": "Scrap",
            "title": "Scrap",
            "help": "Units scrapped.",
            "type": "percent",
        }
    ]
    assert found["box"] == ["2%"]
    assert "Scrap 2%" in found["label"]
    assert found["excel"] == 0.02
    assert found["document"] == 0.02
    assert found["frame"] == 0.02
    assert found["refused"] == ["scrap", 0.02]
    assert found["trait"] == 1
    assert found["stale"] is True
    assert found["fresh"] is True
