"""Property tests: random valid maps survive JSON, frames and CSV without loss."""

from __future__ import annotations

import copy
import dataclasses
import io as text_io
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.fields import TYPED_UNITS, declared
from vsm_widget.core.model import FLOW_KINDS, VALUE_CLASSES, WASTE_TYPES, parse_field, validate_state
from vsm_widget.data import io

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text a person could type: no control characters except newline and tab, and none that
# no file can hold (surrogate halves, U+FFFE, U+FFFF).
_TYPED = {"blacklist_characters": "\ufffe\uffff"}
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t", **_TYPED),
    max_size=30,
)
LABEL = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), **_TYPED), max_size=20)
WORD = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Z"), **_TYPED), min_size=1, max_size=12
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


DURATION = st.floats(0, 1e7, allow_nan=False) | st.integers(0, 10**6)
SHARE = st.floats(0, 1, allow_nan=False)
COORD = st.floats(-1e6, 1e6, allow_nan=False)
QUANTITY = st.floats(0, 1e9, allow_nan=False) | st.integers(0, 10**9)
WASTE = st.lists(st.sampled_from(WASTE_TYPES), unique=True, max_size=3)


@st.composite
def process_fields(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "cycle_time": draw(_maybe(DURATION)),
        "process_time": draw(_maybe(DURATION)),
        "lead_time": draw(_maybe(DURATION)),
        "changeover": draw(_maybe(DURATION)),
        "uptime": draw(_maybe(SHARE)),
        "operators": draw(_maybe(st.floats(0, 1000, allow_nan=False))),
        "shifts": draw(_maybe(st.integers(1, 3))),
        "batch_size": draw(_maybe(st.floats(0.5, 1e6, allow_nan=False))),
        "parallel": draw(st.integers(1, 10)),
        "complete_accurate": draw(_maybe(SHARE)),
        "value_class": draw(_maybe(st.sampled_from(VALUE_CLASSES))),
        "waste": draw(WASTE),
        "notes": draw(TEXT),
        "x": draw(_maybe(COORD)),
        "y": draw(_maybe(COORD)),
    }


@st.composite
def gap_fields(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "wait_time": draw(_maybe(DURATION)),
        "flow": draw(st.sampled_from(FLOW_KINDS)),
        "fifo_max": draw(_maybe(st.integers(1, 10**6))),
        "waste": draw(WASTE),
        "notes": draw(TEXT),
        "x": draw(_maybe(COORD)),
        "y": draw(_maybe(COORD)),
    }
    if draw(st.booleans()):
        names = draw(st.lists(WORD | TEXT.filter(str.strip), min_size=1, max_size=3, unique=True))
        fields["variants"] = {name: draw(QUANTITY) for name in names}
    else:
        fields["quantity"] = draw(_maybe(QUANTITY))
    return fields


@st.composite
def maps(draw: st.DrawFn) -> tuple[ValueStreamMap, dict[str, Any]]:
    """A valid map and the calendar it was made with."""
    calendar: dict[str, Any] = {}
    if draw(st.booleans()):
        calendar = {
            "demand": draw(st.floats(0, 1e6, allow_nan=False)),
            "period": "month",
            "working_days": draw(st.integers(1, 31)),
            "available_time": f"{draw(st.integers(1, 3))} x {draw(st.integers(60, 28800))} s",
        }
    m = ValueStreamMap(draw(WORD), day_basis=draw(st.sampled_from(["working", "calendar"])), **calendar)
    with m.batch():
        if draw(st.booleans()):
            m.add_gap(**draw(gap_fields()))
        for index in range(draw(st.integers(0, 6))):
            # A space keeps a name from being read as an element's id.
            m.add_process(f"{draw(WORD)} {index}", **draw(process_fields()))
            if draw(st.booleans()):
                m.add_gap(**draw(gap_fields()))
    return m, calendar


@st.composite
def rich_maps(draw: st.DrawFn) -> ValueStreamMap:
    """A valid map with every kind of element."""
    m, _ = draw(maps())
    with m.batch():
        if draw(st.booleans()):
            m.set_supplier(draw(WORD), supplies=draw(LABEL), frequency=draw(LABEL), x=draw(_maybe(COORD)))
        if draw(st.booleans()):
            m.set_control(draw(WORD), notes=draw(TEXT), y=draw(_maybe(COORD)))
        for _ in range(draw(st.integers(0, 2))):
            m.add_shipment(draw(st.sampled_from(["in", "out"])), frequency=draw(LABEL), notes=draw(TEXT))
        ids = sorted(m.state.ids() - {"map"})
        for _ in range(draw(st.integers(0, 3))):
            source, target = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
            if source != target:
                m.add_flow(
                    source, target, medium=draw(st.sampled_from(["manual", "electronic"])), label=draw(LABEL)
                )
        for _ in range(draw(st.integers(0, 2))):
            target = draw(_maybe(st.sampled_from([item.id for item in m.stream] or ["customer"])))
            m.add_burst(draw(WORD), target=target, status=draw(st.sampled_from(["idea", "done"])))
    return m


@SETTINGS
@given(rich_maps())
def test_json_round_trip_is_lossless(m: ValueStreamMap) -> None:
    text = io.to_json(m)
    back = io.from_json(text)
    assert back.state == m.state
    assert io.to_json(back) == text


@SETTINGS
@given(rich_maps())
def test_every_written_document_validates_against_the_schema(m: ValueStreamMap) -> None:
    document = json.loads(json.dumps(io.to_document(m.state)))
    assert list(Draft202012Validator(io.schema()).iter_errors(document)) == []


@SETTINGS
@given(maps())
def test_frame_round_trip_is_lossless(case: tuple[ValueStreamMap, dict[str, Any]]) -> None:
    m, calendar = case
    back = ValueStreamMap.from_frame(m.steps_frame(), title=m.title, day_basis=m.state.day_basis, **calendar)
    assert back.state.stream == m.state.stream
    assert back.state.customer == m.state.customer


@SETTINGS
@given(maps())
def test_csv_round_trip_is_lossless(case: tuple[ValueStreamMap, dict[str, Any]]) -> None:
    m, calendar = case
    buffer = text_io.StringIO()
    m.steps_frame().to_csv(buffer, index=False)
    buffer.seek(0)
    frame = pd.read_csv(buffer, dtype=str, keep_default_na=False)
    back = ValueStreamMap.from_frame(frame, title=m.title, day_basis=m.state.day_basis, **calendar)
    assert back.state.stream == m.state.stream


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**13), 10**13) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


# Values at the edges of what fields allow.
EDGE_VALUES = st.sampled_from(
    [
        "",
        " ",
        "x" * 121,
        "x" * 5001,
        -1,
        -0.5,
        0,
        0.5,
        1,
        1.5,
        25,
        2e6,
        1e12 + 1,
        4e8,
        True,
        [],
        {},
        ["waiting"],
        "map",
    ]
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A valid document with one value replaced by any JSON value (often an invalid one)."""
    document = json.loads(json.dumps(io.to_document(draw(rich_maps()).state)))
    holders: list[dict[str, Any]] = [document, document["customer"]]
    for group in ("stream", "shipments", "flows", "bursts"):
        holders.extend(document[group])
    holder = draw(st.sampled_from(holders))
    key = draw(st.sampled_from(sorted(holder)) | st.text(max_size=6))
    holder[key] = draw(EDGE_VALUES | JSON_VALUES)
    return document


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_fast_check_never_passes_what_the_schema_refuses(document: dict[str, Any]) -> None:
    errors = list(io._full_validator().iter_errors(document))
    if io._fast_check()(document):
        assert errors == []
    # Either way, loading refuses it or gives a map that writes a valid document.
    if errors:
        with pytest.raises(ValidationError, match=r"^\$") as caught:
            io.from_document(document)
        # The problem named is one jsonschema finds too: at its place, within it or around it.
        found = caught.value.field
        places = {
            io._path([io._key(p) if isinstance(p, str) else p for p in e.absolute_path]) for e in errors
        }
        assert any(found.startswith(place) or place.startswith(found) for place in places), (found, places)
    else:
        # Valid structure: the model may still refuse a value, with its JSON path.
        try:
            loaded = io.from_document(document)
        except ValidationError as error:
            refused: ValidationError | None = error
        else:
            refused = None
            assert list(io._full_validator().iter_errors(io.to_document(loaded.state))) == []
        assert refused is None or refused.field.startswith("$")


def _load(document: dict[str, Any], proven: frozenset[str]) -> tuple[str, Any]:
    """Load ``document`` with the model taking fields of ``proven`` kinds as checked:
    the map's state, or the error's text.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(io, "PROVEN_KINDS", proven)
        try:
            return "loaded", io.from_document(copy.deepcopy(document)).state
        except ValidationError as error:
            return "refused", str(error)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_fields_the_schema_proves_are_not_checked_twice_and_nothing_changes(document: dict[str, Any]) -> None:
    # Loading leaves the model's check of the fields the schema proves out: any document,
    # valid or not, must load to the same state, or be refused with the same error, as
    # with every field checked again; and what it loads passes the full check.
    assert io.PROVEN_KINDS
    fast = _load(document, io.PROVEN_KINDS)
    assert fast == _load(document, frozenset())
    if fast[0] == "loaded":
        assert validate_state(fast[1]) is fast[1]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["customer", "process", "gap"]).flatmap(
        lambda kind: st.tuples(
            st.just(kind),
            st.lists(
                st.sampled_from([f.name for f in declared(kind) if f.kind == "duration"]), unique=True
            ).flatmap(st.permutations),
            st.lists(st.sampled_from(TYPED_UNITS), min_size=4, max_size=4),
        )
    )
)
def test_typed_units_of_a_checked_document_are_stored_as_the_parser_stores_them(
    case: tuple[str, list[str], list[str]],
) -> None:
    kind, names, chosen = case
    units = dict(zip(names, chosen, strict=False))
    assert io._typed_units(kind, units) == parse_field(kind, "units", units)


@SETTINGS
@given(rich_maps())
def test_fast_check_passes_every_written_document(m: ValueStreamMap) -> None:
    assert io._fast_check()(json.loads(io.to_json(m)))


# --------------------------------------------------------------------------- hostile values

# Any text at all: surrogate halves, control characters and non-characters included.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)
HOSTILE_TEXT = (
    ANY_TEXT
    | st.sampled_from(["=1+1", "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "#N/A", '"quoted"; x=1'])
    | st.builds(lambda text, n: text * n, ANY_TEXT.filter(bool), st.integers(100, 2_000))
)
EXTREME = st.sampled_from(
    [1e308, 1e-308, 5e-324, 1e12, 1e12 + 1, 10**400, 10**15 + 1, Decimal("1e12"), Decimal("1e-9"), -0.0]
) | st.floats(allow_nan=True, allow_infinity=True)
# Fields that take text, and the rest: (kind, field) pairs of the sample map's elements.
TEXT_FIELDS = [
    ("map", "title"),
    ("map", "scope"),
    ("customer", "name"),
    ("p1", "name"),
    ("p1", "notes"),
    ("g1", "notes"),
    ("g1", "variants"),
    ("k1", "text"),
    ("k1", "owner"),
    ("k1", "target"),
    ("f1", "label"),
    ("s1", "mode"),
]
NUMBER_FIELDS = [
    ("customer", "demand"),
    ("customer", "working_days"),
    ("p1", "cycle_time"),
    ("p1", "uptime"),
    ("p1", "operators"),
    ("p1", "batch_size"),
    ("p1", "x"),
    ("g1", "quantity"),
    ("g1", "wait_time"),
    ("g1", "fifo_max"),
    ("g1", "variants"),
    ("k1", "y"),
]


@st.composite
def hostile_maps(draw: st.DrawFn) -> ValueStreamMap:
    """A map after random edits with hostile text and extreme numbers (the refused ones refused)."""
    m = ValueStreamMap("Hostile", demand=920, available_time="2 x 27600 s")
    m.add_process("Cut", cycle_time="30 s")
    m.add_inventory(100)
    m.add_process("Weld", cycle_time="40 s")
    m.add_flow("customer", "p1")
    m.add_burst("Idea", target="p1")
    m.add_shipment("out")
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            target, field = draw(st.sampled_from(TEXT_FIELDS))
            value: Any = draw(HOSTILE_TEXT)
            if field == "variants":
                value = {value: draw(st.floats(0, 1e12))}
        else:
            target, field = draw(st.sampled_from(NUMBER_FIELDS))
            value = draw(EXTREME)
            if field == "variants":
                value = {"LH": value, "RH": draw(EXTREME)}
        fields = {field: value}
        if field == "quantity":
            fields["variants"] = None  # a new total drops the breakdown in the same edit
        before = m.state
        try:
            m.update(target, **fields)
        except ValidationError:
            assert m.state is before
    return m


@SETTINGS
@given(hostile_maps())
def test_whatever_a_hostile_edit_left_saves_loads_and_syncs(m: ValueStreamMap) -> None:
    text = io.to_json(m)
    text.encode("utf-8")
    back = io.from_json(text)
    assert back.state == m.state
    assert io.to_json(back) == text
    json.dumps(io.to_document(m.state), ensure_ascii=False, allow_nan=False).encode("utf-8")
    document = json.loads(json.dumps(io.to_document(m.state)))
    assert list(Draft202012Validator(io.schema()).iter_errors(document)) == []
    json.dumps(m.metrics().to_dict(), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _in_seconds(m: ValueStreamMap) -> tuple[Any, ...]:
    """The stream as a frame holds it: durations in seconds, without the units typed."""
    return tuple(dataclasses.replace(item, units=()) for item in m.state.stream)


def _sixteen_digits(item: Any) -> Any:
    """``item`` with every float field as a workbook holds it (16 significant digits)."""
    values = {
        f.name: float(f"{v:.16g}") if isinstance(v := getattr(item, f.name), float) else v
        for f in dataclasses.fields(item)
    }
    return dataclasses.replace(item, **{k: v for k, v in values.items() if k != "id"})


@SETTINGS
@given(hostile_maps())
def test_whatever_a_hostile_edit_left_survives_frames_and_csv(m: ValueStreamMap) -> None:
    calendar = {"demand": m.customer.demand, "available_time": "2 x 27600 s"}
    back = ValueStreamMap.from_frame(m.steps_frame(), **calendar)
    assert back.state.stream == _in_seconds(m)
    buffer = text_io.StringIO()
    m.steps_frame().to_csv(buffer, index=False)
    buffer.seek(0)
    frame = pd.read_csv(buffer, dtype=str, keep_default_na=False)
    assert ValueStreamMap.from_frame(frame, **calendar).state.stream == _in_seconds(m)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_maps())
def test_whatever_a_hostile_edit_left_reads_back_from_the_excel_summary(m: ValueStreamMap) -> None:
    pytest.importorskip("openpyxl")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summary.xlsx"
        m.to_excel(path)
        # As with CSV, keep_default_na=False keeps typed text such as "#N/A" or "NA" as text.
        steps = pd.read_excel(path, sheet_name="Steps", dtype=object, keep_default_na=False)
    calendar = {"demand": m.customer.demand, "available_time": "2 x 27600 s"}
    back = ValueStreamMap.from_frame(steps, **calendar).state.stream
    # A workbook keeps 16 significant digits of a number (openpyxl writes "%.16g"; Excel
    # itself shows 15), so a float that needs 17 comes back one unit in the last place off.
    assert [_sixteen_digits(item) for item in back] == [_sixteen_digits(item) for item in _in_seconds(m)]
