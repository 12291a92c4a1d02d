"""The JSON document: round trips, its schema, malformed documents and atomic files."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.model import _ID_PATTERN, MAX_DURATION, Gap, Process
from vsm_widget.data import io


def _round_trip(m: ValueStreamMap) -> ValueStreamMap:
    return io.from_document(json.loads(json.dumps(io.to_document(m.state))))


def _error(document: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        io.from_document(document)
    return caught.value


@pytest.fixture
def document(rich_map: ValueStreamMap) -> dict[str, Any]:
    return json.loads(json.dumps(io.to_document(rich_map.state)))


# --------------------------------------------------------------------------- round trips


def test_rich_map_round_trips_exactly(rich_map: ValueStreamMap) -> None:
    back = _round_trip(rich_map)
    assert back.state == rich_map.state
    # Every kind of element survived, not just the stream.
    assert back.supplier is not None
    assert back.supplier.frequency == "Tue + Thu"
    assert back.control is not None
    assert back.control.notes == "MRP, 6-week forecast"
    assert [s.direction for s in back.shipments] == ["in", "out"]
    assert [(f.source, f.target, f.medium) for f in back.flows] == [
        ("customer", "control", "electronic"),
        ("control", "p1", "manual"),
    ]
    assert [b.target for b in back.bursts] == ["p1", None]
    gap = back.get("g1")
    assert isinstance(gap, Gap)
    assert gap.variants == (("LH", 4600.0), ("RH", 2400.0))
    assert gap.quantity == 7000.0
    assert gap.waste == ("inventory", "waiting")
    stamping = back.get("Stamping")
    assert isinstance(stamping, Process)
    assert (stamping.x, stamping.y) == (120.5, 240.0)


def test_loaded_map_is_editable_and_has_no_history(rich_map: ValueStreamMap) -> None:
    back = _round_trip(rich_map)
    assert not back.can_undo
    added = back.add_process("Shipping", cycle_time=10)
    # New ids do not collide with the loaded ones.
    assert added.id not in {item.id for item in rich_map.stream}
    back.undo()
    assert back.state == rich_map.state


def test_metrics_survive_the_round_trip(rich_map: ValueStreamMap) -> None:
    assert _round_trip(rich_map).metrics() == rich_map.metrics()


def test_empty_map_round_trips() -> None:
    m = ValueStreamMap()
    assert _round_trip(m).state == m.state


def test_to_json_is_pretty_compact_and_reads_back(rich_map: ValueStreamMap) -> None:
    text = io.to_json(rich_map)
    assert text.endswith("}\n")
    lines = text.splitlines()
    # One line per top-level field and per element: 14 fields, 7 stream items,
    # 2 shipments, 2 flows, 2 bursts, and a closing bracket per non-empty list.
    assert len(lines) == 2 + 14 + 7 + 2 + 2 + 2 + 4
    assert '"ü ✓' not in text  # the newline in the notes is escaped...
    assert "ü ✓" in text  # ...but non-ASCII text is written as it is
    assert json.loads(text) == io.to_document(rich_map.state)
    assert io.from_json(text).state == rich_map.state


def test_document_fields_match_the_model(rich_map: ValueStreamMap) -> None:
    document = io.to_document(rich_map.state)
    assert document["schema"] == io.SCHEMA_VERSION == 5
    process = document["stream"][1]
    assert process["type"] == "process"
    assert process["cycle_time"] == 1.0
    assert process["changeover"] == 3600.0
    assert process["uptime"] == 0.85
    gap = document["stream"][2]
    assert gap["variants"] == [["LH", 4600.0], ["RH", 2400.0]]
    # A wait given as "2 d" is stored in seconds of the working day (2 x 27,600 s).
    assert document["stream"][-1]["wait_time"] == 2 * 2 * 27600.0


# --------------------------------------------------------------------------- the schema


def test_schema_file_is_valid_draft_2020_12() -> None:
    schema = io.schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_ships_inside_the_package() -> None:
    import vsm_widget

    path = Path(vsm_widget.__file__).parent / "data" / "schema" / "vsm-map.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == io.schema()


def test_schema_agrees_with_the_model_on_ids_and_limits() -> None:
    defs = io.schema()["$defs"]
    assert defs["id"]["pattern"] == _ID_PATTERN.pattern
    assert defs["duration"]["maximum"] == MAX_DURATION


def test_every_document_written_validates(rich_map: ValueStreamMap) -> None:
    validator = Draft202012Validator(io.schema())
    for m in (rich_map, ValueStreamMap(), rich_map.future()):
        document = json.loads(io.to_json(m))
        assert list(validator.iter_errors(document)) == []


def test_schema_copy_is_private() -> None:
    io.schema()["properties"].clear()
    assert "stream" in io.schema()["properties"]


# --------------------------------------------------------------------------- malformed documents


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda d: d["stream"][1].update(cycle_time="45 s"), "$.stream[1].cycle_time", "'45 s'"),
        (lambda d: d["stream"][1].update(cycle_time=-5), "$.stream[1].cycle_time", "-5"),
        (lambda d: d["stream"][1].update(uptime=1.5), "$.stream[1].uptime", "1.5"),
        (lambda d: d["stream"][3].update(parallel=1.5), "$.stream[3].parallel", "whole number"),
        (lambda d: d["stream"][3].update(cycle_time=float("nan")), "$.stream[3].cycle_time", "NaN"),
        (lambda d: d["stream"][3].update(cycle_time=float("inf")), "$.stream[3].cycle_time", "infinity"),
        (lambda d: d["stream"][2].update(quantity=True), "$.stream[2].quantity", "True"),
        (lambda d: d["stream"][1].update(cyle_time=3), "$.stream[1].cyle_time", "did you mean 'cycle_time'"),
        (lambda d: d.update(colour="red"), "$.colour", "unknown field"),
        (lambda d: d["stream"][1].update(type="robot"), "$.stream[1].type", "'robot'"),
        (lambda d: d["stream"][1].pop("name"), "$.stream[1].name", "missing"),
        (lambda d: d["stream"][1].update(waste=["laziness"]), "$.stream[1].waste[0]", "'laziness'"),
        (lambda d: d["stream"][2].update(flow="shove"), "$.stream[2].flow", "push, pull or fifo"),
        (lambda d: d["stream"][2].update(variants=[["LH"]]), "$.stream[2].variants[0]", "pair"),
        (lambda d: d["customer"].update(shifts=0), "$.customer.shifts", "1 to 24"),
        (lambda d: d["customer"].update(period="fortnight"), "$.customer.period", "'fortnight'"),
        (lambda d: d.update(title=""), "$.title", "1 to 120"),
        (lambda d: d.update(stream={}), "$.stream", "array"),
        (lambda d: d["stream"][1].update(id="map"), "$.stream[1].id", "reserved"),
        (lambda d: d["stream"][1].update(id="1st"), "$.stream[1].id", "'1st'"),
        (lambda d: d["flows"][0].update(medium="pigeon"), "$.flows[0].medium", "manual"),
        (lambda d: d["bursts"][0].update(status="someday"), "$.bursts[0].status", "idea"),
        (lambda d: d["shipments"][0].update(direction="sideways"), "$.shipments[0].direction", "in"),
    ],
)
def test_schema_problems_name_the_json_path(
    change: Any, path: str, words: str, document: dict[str, Any]
) -> None:
    change(document)
    error = _error(document)
    assert error.field == path
    assert str(error).startswith(f"{path}: ")
    assert words in str(error)


def test_the_first_problem_in_document_order_is_reported(document: dict[str, Any]) -> None:
    document["stream"][5].update(cycle_time=-1)
    document["stream"][3].update(uptime="high")
    document["bursts"][0].update(status="?")
    assert _error(document).field == "$.stream[3].uptime"


def test_message_names_value_and_what_is_allowed(document: dict[str, Any]) -> None:
    document["stream"][3]["cycle_time"] = -5
    message = str(_error(document))
    assert "-5" in message
    assert "seconds" in message


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda d: d["stream"][3].update(id="p1"), "$.stream[3].id", "already used at $.stream[1]"),
        (lambda d: d["bursts"][1].update(id="s1"), "$.bursts[1].id", "already used at $.shipments[0]"),
        (lambda d: d["flows"][1].update(target="p9"), "$.flows[1].target", "'p9'"),
        (lambda d: d["flows"][0].update(source="ghost"), "$.flows[0].source", "'ghost'"),
        (lambda d: d["bursts"][0].update(target="nowhere"), "$.bursts[0].target", "'nowhere'"),
        (lambda d: d["stream"][3].update(name="Stamping"), "$.stream[3].name", "another step"),
        (lambda d: d["stream"][2].update(quantity=5), "$.stream[2].quantity", "sum of the variants"),
        (lambda d: d["stream"][1].update(notes="a\x01b"), "$.stream[1].notes", "control characters"),
        (lambda d: d["customer"].update(breaks=30000), "$.customer.breaks", "shorter than the shift"),
        (lambda d: d["customer"].update(working_days=40), "$.customer.working_days", "at most 31"),
        (
            lambda d: d["stream"].insert(1, {"type": "gap", "id": "extra"}),
            "$.stream[1]",
            "side by side",
        ),
    ],
)
def test_model_rules_name_the_json_path(change: Any, path: str, words: str, document: dict[str, Any]) -> None:
    change(document)
    error = _error(document)
    assert error.field == path
    assert words in str(error)


def test_a_failed_load_changes_nothing(document: dict[str, Any]) -> None:
    before = copy.deepcopy(document)
    document["stream"][3]["cycle_time"] = -1
    _error(document)
    document["stream"][3]["cycle_time"] = before["stream"][3]["cycle_time"]
    assert document == before


def test_not_an_object_is_refused() -> None:
    error = _error([1, 2])
    assert error.field == "$"
    assert "JSON object" in str(error)
    assert "list" in str(error)


def test_waste_tags_in_any_order_are_stored_in_canonical_order(document: dict[str, Any]) -> None:
    document["stream"][5]["waste"] = ["defects", "motion"]
    step = io.from_document(document).get("Assembly")
    assert isinstance(step, Process)
    assert step.waste == ("motion", "defects")


def test_whole_numbers_load_as_the_model_stores_them(document: dict[str, Any]) -> None:
    document["stream"][3]["cycle_time"] = 39
    document["stream"][3]["parallel"] = 2.0
    step = io.from_document(document).get("Spot weld")
    assert isinstance(step, Process)
    assert step.parallel == 2
    assert type(step.cycle_time) is float
    assert type(step.parallel) is int


# --------------------------------------------------------------------------- versions


def test_missing_schema_is_refused(document: dict[str, Any]) -> None:
    del document["schema"]
    error = _error(document)
    assert error.field == "$.schema"
    assert 'no "schema" version' in str(error)


@pytest.mark.parametrize("version", ["1", 1.0, True, None, [1]])
def test_non_integer_schema_is_refused(version: Any, document: dict[str, Any]) -> None:
    document["schema"] = version
    error = _error(document)
    assert error.field == "$.schema"
    assert "whole number" in str(error)


def test_zero_schema_is_refused(document: dict[str, Any]) -> None:
    document["schema"] = 0
    assert "versions start at 1" in str(_error(document))


def test_newer_schema_is_refused_with_advice(document: dict[str, Any]) -> None:
    document["schema"] = io.SCHEMA_VERSION + 1
    message = str(_error(document))
    assert f"written by a newer vsm_widget (schema {io.SCHEMA_VERSION + 1})" in message
    assert f"reads schema {io.SCHEMA_VERSION} and older" in message
    assert "upgrade vsm_widget" in message


def test_migrations_upgrade_older_documents_in_order(
    monkeypatch: pytest.MonkeyPatch, rich_map: ValueStreamMap, document: dict[str, Any]
) -> None:
    # Pretend this release writes schema 3: schema 1 named the stream "items", and
    # schema 2 kept waste tags as one comma-separated text.
    monkeypatch.setattr(io, "SCHEMA_VERSION", 3)
    seen: list[int] = []

    def one_to_two(doc: dict[str, Any]) -> dict[str, Any]:
        seen.append(doc["schema"])
        doc["stream"] = doc.pop("items")
        for item in doc["stream"]:
            item["waste"] = ", ".join(item["waste"])
        return doc

    def two_to_three(doc: dict[str, Any]) -> dict[str, Any]:
        seen.append(doc["schema"])
        for item in doc["stream"]:
            item["waste"] = [w.strip() for w in item["waste"].split(",") if w.strip()]
        return doc

    monkeypatch.setitem(io.MIGRATIONS, 1, one_to_two)
    monkeypatch.setitem(io.MIGRATIONS, 2, two_to_three)
    old = dict(document)
    old["schema"] = 1
    old["items"] = old.pop("stream")
    original = copy.deepcopy(old)

    loaded = io.from_document(old)
    assert seen == [1, 2]  # each step ran once, in order, and saw its own version
    assert loaded.state == rich_map.state
    assert old == original  # the caller's document is untouched
    assert io.to_document(loaded.state)["schema"] == 3


def test_a_missing_migration_is_reported(monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]) -> None:
    current = io.SCHEMA_VERSION
    monkeypatch.setattr(io, "SCHEMA_VERSION", current + 1)
    error = _error(document)
    assert error.field == "$.schema"
    assert f"no migration from it to {current + 1}" in str(error)


def test_a_migrated_document_is_still_validated(
    monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]
) -> None:
    current = io.SCHEMA_VERSION
    monkeypatch.setattr(io, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(io.MIGRATIONS, current, lambda doc: {**doc, "stream": "broken"})
    assert _error(document).field == "$.stream"


# --------------------------------------------------------------------------- JSON text


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"schema": 1, "stream": [', "line 1, column 26"),
        ('{"schema": 1,\n "stream": [}\n', "line 2, column 13"),
        ("", "empty"),
        ("not json", "line 1, column 1"),
    ],
)
def test_malformed_json_names_line_and_column(text: str, words: str) -> None:
    with pytest.raises(ValidationError, match=r"not valid JSON|empty") as caught:
        io.from_json(text)
    assert words in str(caught.value)


def test_truncated_json_says_so(rich_map: ValueStreamMap) -> None:
    text = io.to_json(rich_map)
    with pytest.raises(ValidationError, match="truncated"):
        io.from_json(text[: len(text) // 2])


def test_nan_literal_in_json_text_is_refused_with_its_path(document: dict[str, Any]) -> None:
    text = json.dumps(document).replace('"cycle_time": 39.0', '"cycle_time": NaN')
    with pytest.raises(ValidationError) as caught:
        io.from_json(text)
    assert caught.value.field == "$.stream[3].cycle_time"


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="'title' appears twice"):
        io.from_json('{"schema": 1, "title": "a", "stream": [], "title": "b"}')


def test_json_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a list"):
        io.from_json("[]")


# --------------------------------------------------------------------------- files


def test_save_and_load(tmp_path: Path, rich_map: ValueStreamMap) -> None:
    path = tmp_path / "brackets.vsm.json"
    rich_map.save(path)
    text = path.read_bytes().decode("utf-8")
    assert text == io.to_json(rich_map)
    assert text.endswith("\n")
    assert ValueStreamMap.load(path).state == rich_map.state
    assert ValueStreamMap.load(str(path)).state == rich_map.state
    assert [p.name for p in tmp_path.iterdir()] == ["brackets.vsm.json"]


def test_save_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path, rich_map: ValueStreamMap) -> None:
    path = tmp_path / "map.json"
    path.write_text("{}")
    path.chmod(0o640)
    io.save(rich_map, path)
    assert path.stat().st_mode & 0o777 == 0o640


def test_failed_save_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, rich_map: ValueStreamMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "map.json"
    io.save(ValueStreamMap("Old map"), path)
    old = path.read_bytes()

    def broken_fsync(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        io.save(rich_map, path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["map.json"]


def test_failed_replace_leaves_no_temporary_file(
    tmp_path: Path, rich_map: ValueStreamMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "map.json"

    def broken_replace(source: str, target: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(io.os, "replace", broken_replace)
    with pytest.raises(PermissionError):
        io.save(rich_map, path)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_write_leaves_the_old_file(
    tmp_path: Path, rich_map: ValueStreamMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "map.json"
    io.save(ValueStreamMap("Old map"), path)
    old = path.read_bytes()
    monkeypatch.setattr(io, "to_json", lambda m: "x" * 10 + "\udcff")  # cannot be encoded as UTF-8
    with pytest.raises(UnicodeEncodeError):
        io.save(rich_map, path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["map.json"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"schema": 1, "stream": [{"type": "process", "id": "p1"', "truncated"),
        (b"", "empty"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b'{"schema": 9, "stream": []}', "newer vsm_widget (schema 9)"),
        (b'{"stream": []}', 'no "schema"'),
    ],
)
def test_load_explains_bad_files(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ValidationError) as caught:
        io.load(path)
    message = str(caught.value)
    assert words in message
    assert message.startswith("bad.json: ")


def test_load_reads_a_byte_order_mark(tmp_path: Path, rich_map: ValueStreamMap) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + io.to_json(rich_map).encode("utf-8"))
    assert io.load(path).state == rich_map.state


def test_load_of_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        io.load(tmp_path / "nope.json")


def test_save_into_the_current_folder(
    tmp_path: Path, rich_map: ValueStreamMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    io.save(rich_map, "here.json")
    assert os.listdir(tmp_path) == ["here.json"]
    assert io.load("here.json").state == rich_map.state


# --------------------------------------------------------------------------- the fast check

EDGE_VALUES: list[Any] = [
    *("", " ", "x" * 121, "x" * 5001, "push", "map", "p1", "waiting"),
    *(-1, -0.5, 0, 0.5, 1, 1.5, 25, 10**4 + 1, 2e6, 4e8, 1e12 + 1, float("nan"), float("inf")),
    *(True, None, [], {}, ["waiting"], ["waiting", "waiting"], [["LH", 1]], [["LH"]], [[1, 1]]),
]


def _small_document() -> dict[str, Any]:
    m = ValueStreamMap("Small", demand=10, available_time="8 h")
    m.set_supplier("S")
    m.set_control("C")
    m.add_inventory({"LH": 1})
    m.add_process("A", cycle_time=1)
    m.add_shipment("out")
    m.add_flow("customer", "control")
    m.add_burst("idea", target="A")
    return json.loads(io.to_json(m))


def test_fast_check_agrees_with_jsonschema_on_edge_values() -> None:
    # The fast check is trusted when it passes a document, so it must never pass one
    # that jsonschema refuses; it should also pass what jsonschema passes, or loading
    # gets slow. Try every edge value in every field of every kind of element.
    validator = io._full_validator()
    base = _small_document()
    assert io._fast_check()(base)
    assert validator.is_valid(base)
    disagreements = []
    tried = 0
    for locate in (
        lambda d: d,
        lambda d: d["customer"],
        lambda d: d["supplier"],
        lambda d: d["control"],
        lambda d: d["stream"][0],
        lambda d: d["stream"][1],
        lambda d: d["shipments"][0],
        lambda d: d["flows"][0],
        lambda d: d["bursts"][0],
    ):
        for key in [*locate(base), "unknown"]:
            for value in EDGE_VALUES:
                document = copy.deepcopy(base)
                locate(document)[key] = value
                tried += 1
                if io._fast_check()(document) != validator.is_valid(document):
                    disagreements.append((key, value))
    assert tried > 2000
    assert disagreements == []


def test_loading_a_bad_document_does_not_import_jsonschema() -> None:
    # jsonschema (with its format checkers) takes over a second to import: a bad document
    # must be answered without it.
    code = (
        "import sys\n"
        "from vsm_widget import ValidationError\nfrom vsm_widget.data import io\n"
        "try:\n"
        '    io.from_json(\'{"schema": 1, "stream": [{"type": "process", "id": "p1", "name": 5}]}\')\n'
        "except ValidationError as error:\n"
        "    print(error.field, 'jsonschema' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["$.stream[0].name", "False"]


def test_a_schema_3_document_names_its_picture_timeframe_once_loaded(document: dict[str, Any]) -> None:
    # Schema 3 called which picture a map is "state"; schema 4 calls it "timeframe".
    old = {key: value for key, value in document.items() if key != "timeframe"}
    old.update(schema=3, state="future")
    frozen = json.dumps(old, sort_keys=True)
    loaded = io.from_document(old)
    assert loaded.state.timeframe == "future"
    assert json.dumps(old, sort_keys=True) == frozen  # the caller's document is left alone
    again = io.to_document(loaded)
    assert again["timeframe"] == "future"
    assert "state" not in again
