"""Bad values for every field of every element kind: a clear error, and nothing changes.

Each row is (kind, field, bad value). The table below lists each field's category by
hand; a test checks that it covers every field in ``model._FIELDS``, so a new field
cannot slip in without its bad-input rows.

Empty text ("", None, "-") clears an *optional* field: it is a valid edit, tested in
test_model.py, and is listed as bad only for the fields that cannot be empty.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core import model

# kind -> field -> category (written by hand, not read from the code under test).
CATEGORIES: dict[str, dict[str, str]] = {
    "map": {
        "title": "name",
        "scope": "notes",
        "timeframe": "choice",
        "day_basis": "choice",
        "lead_unit": "choice",
        "process_unit": "choice",
    },
    "customer": {
        "name": "name",
        "demand": "quantity?",
        "period": "choice",
        "working_days": "days?",
        "shifts": "shifts",
        "shift_length": "shift?",
        "breaks": "duration",
        "x": "coordinate?",
        "y": "coordinate?",
        "units": "units",
    },
    "supplier": {
        "name": "name",
        "supplies": "label",
        "frequency": "label",
        "x": "coordinate?",
        "y": "coordinate?",
    },
    "control": {"name": "name", "notes": "notes", "x": "coordinate?", "y": "coordinate?"},
    "process": {
        "name": "name",
        "cycle_time": "varying?",
        "process_time": "varying?",
        "lead_time": "varying?",
        "changeover": "varying?",
        "uptime": "share?",
        "operators": "people?",
        "shifts": "shifts?",
        "batch_size": "positive?",
        "parallel": "stations",
        "complete_accurate": "share?",
        "value_class": "choice?",
        "waste": "waste",
        "notes": "notes",
        "x": "coordinate?",
        "y": "coordinate?",
        "units": "units",
        "distributions": "distributions",
    },
    "gap": {
        "quantity": "quantity?",
        "variants": "variants",
        "wait_time": "varying?",
        "flow": "choice",
        "fifo_max": "positive_whole?",
        "waste": "waste",
        "notes": "notes",
        "x": "coordinate?",
        "y": "coordinate?",
        "units": "units",
        "distributions": "distributions",
    },
    "shipment": {"direction": "choice", "frequency": "label", "mode": "label", "notes": "notes"},
    "flow": {"source": "reference", "target": "reference", "medium": "choice", "label": "label"},
    "burst": {
        "text": "long_text",
        "target": "reference?",
        "owner": "label",
        "due": "label",
        "status": "choice",
        "x": "coordinate?",
        "y": "coordinate?",
    },
    "branch": {"into": "step", "after": "step?", "name": "label"},
    "rework": {"source": "step", "target": "step", "share": "loop_share"},
}

WRONG_TYPES: list[Any] = [True, [1], {"a": 1}, object()]
NUMBERS_BAD: list[Any] = [-1, "-1", math.nan, math.inf, -math.inf, "5 parsecs", "1,2345", *WRONG_TYPES]
DURATION_BAD: list[Any] = [
    -5,
    "-5 s",
    "1 h -30 min",
    math.nan,
    math.inf,
    "1e400 s",
    "5 parsecs",
    "85%",
    "11 years",
    20 * 366 * 86_400,  # absurd: twenty years
    "3000 wk",
    *WRONG_TYPES,
]
SHARE_BAD: list[Any] = [
    -0.1,
    1.5,
    "85",
    85,
    "150%",
    "-5%",
    math.nan,
    math.inf,
    "85 parsecs",
    "5 s",
    *WRONG_TYPES,
]
TEXT_WRONG: list[Any] = [5, 1.5, True, ["a"], {"a": 1}]
# Text no file can hold: lone surrogate halves (not UTF-8) and the non-characters XML refuses.
UNWRITABLE: list[Any] = ["a\ud800b", "\udfff", "pasted \udc80 bytes", "end\ufffe", "\uffff"]
BAD: dict[str, list[Any]] = {
    "name": ["", "   ", None, "x" * 121, "a\x00b", "tab\rreturn", *TEXT_WRONG, *UNWRITABLE],
    "long_text": ["", "   ", None, "x" * 5001, "bell\x07", *TEXT_WRONG, *UNWRITABLE],
    "notes": ["x" * 5001, "bell\x07", *TEXT_WRONG, *UNWRITABLE],
    "label": ["x" * 121, "escape\x1b", *TEXT_WRONG, *UNWRITABLE],
    "choice": ["", "bogus", "pushy", 5, None, True, ["push"]],
    "choice?": ["bogus", 5, True, ["waste"]],
    "duration": ["", None, *DURATION_BAD],
    "duration?": DURATION_BAD,
    # A step's or a gap's duration may be a distribution's text: not a broken one.
    "varying?": [
        "triangular(90 s, 55 s, 40 s)",
        "triangular(40 s, 55 s)",
        "exponential(0 s)",
        "exponential(-1 min)",
        "lognormal(4 min)",
        "weibull(1 min, 2)",
        "empirical()",
        "exponential(11 years)",
        "exponential(1 parsec)",
        "empirical(" + ", ".join(["1 s"] * 1001) + ")",
        *DURATION_BAD,
    ],
    "shift?": [0, "0 s", "25 h", *DURATION_BAD],
    "share?": SHARE_BAD,
    "quantity?": [*NUMBERS_BAD, 1e13],
    "positive?": [0, *NUMBERS_BAD, 1e13],
    "positive_whole?": [0, 2.5, "2.5", *NUMBERS_BAD, 1e13],
    "days?": [0, 400, *NUMBERS_BAD],
    "people?": [*NUMBERS_BAD, 1e6],
    "shifts": ["", None, 0, 25, 1.5, *NUMBERS_BAD],
    "shifts?": [0, 25, 1.5, *NUMBERS_BAD],
    "stations": ["", None, 0, 1.5, 10**6, *NUMBERS_BAD],
    "coordinate?": [math.nan, math.inf, 2e6, -2e6, "5 parsecs", "1,2345", *WRONG_TYPES],
    "waste": ["laziness", ["transport", "laziness"], 5, True, {"transport": 1}],
    "variants": [
        {"LH": -1},
        {"LH": math.nan},
        {"LH": math.inf},
        {"LH": "5 parsecs"},
        {"LH": 1e13},
        {"": 5},
        {"  ": 5},
        {5: 5},
        [("LH",)],
        [("LH", 1), ("LH", 2)],
        5,
        "LH",
        True,
        {"L\ud800H": 5},
        {"LH\ufffe": 5},
        {"LH": 6e11, "RH": 6e11},  # each within a quantity's limit, the sum is not
        {f"V{i}": 1 for i in range(101)},  # more variants than a spreadsheet cell lists
    ],
    "reference": ["", None, "nowhere", "map", "x" * 65, 5, ["weld"], "we\ud800ld"],
    # The units durations were typed in: only durations of the kind, only s, min, h, d.
    "units": [
        {"cycle_time": "parsec"},
        {"cycle_time": "wk"},
        {"cycle_time": 5},
        {"x": "h"},
        {"bogus": "h"},
        {5: "h"},
        [("cycle_time",)],
        [("cycle_time", "h"), ("cycle_time", "min")],
        5,
        "h",
        True,
    ],
    # The distributions durations were given as: only durations of the kind, only sound ones.
    "distributions": [
        {"notes": "exponential(1 min)"},
        {"bogus": "exponential(1 min)"},
        {"cycle_time": "4 min"},
        {"cycle_time": 5},
        {"cycle_time": {"distribution": "weibull"}},
        {"cycle_time": {"distribution": "triangular", "low": 5, "mode": 1, "high": 9}},
        [("cycle_time",)],
        [("cycle_time", "exponential(1 min)"), ("cycle_time", "exponential(2 min)")],
        5,
        "exponential(1 min)",
        True,
    ],
    "reference?": ["nowhere", "map", "x" * 65, 5, ["weld"], "\udfff"],
    # A branch's and a loop's ends are steps: not a gap, a shipment, a flow or a burst.
    "step": ["", None, "nowhere", "map", "wip", "truck", "order", "idea", "x" * 65, 5, ["weld"]],
    "step?": ["nowhere", "map", "wip", "customer", "x" * 65, 5, "\udfff"],
    # A loop sends back less than all of its items: 100% would never end.
    "loop_share": ["100%", 1, 1.0, "", None, *SHARE_BAD],
}

TARGETS = {
    "map": "map",
    "customer": "customer",
    "supplier": "supplier",
    "control": "control",
    "process": "weld",
    "gap": "wip",
    "shipment": "truck",
    "flow": "order",
    "burst": "idea",
    "branch": "feeder",
    "rework": "loop",
}


def rows() -> list[Any]:
    out = []
    for kind, fields in CATEGORIES.items():
        for field, category in fields.items():
            for index, value in enumerate(BAD[category]):
                out.append(pytest.param(kind, field, value, id=f"{kind}.{field}-{index}"))
    return out


def sample() -> ValueStreamMap:
    """A map with one element of each kind, and exactly one edit in its history."""
    m = ValueStreamMap("Sample", demand=920, available_time="2 x 27600 s")
    m.set_supplier("Steel Co")
    m.set_control("MRP")
    m.add_process("Cut", cycle_time="30 s", id="cut")
    m.add_inventory({"LH": 300, "RH": 200}, id="wip")
    m.add_process("Weld", cycle_time="40 s", uptime="90%", id="weld")
    m.add_shipment("out", id="truck", frequency="daily")
    m.add_flow("customer", "control", id="order")
    m.add_burst("Quick changeover", target="Weld", id="idea")
    m.add_branch(into="Weld", id="feeder").add_process("Bend", cycle_time="20 s", id="bend")
    m.add_rework(source="Weld", target="Cut", share="5%", id="loop")
    m.clear_history()
    m.update("Cut", cycle_time="31 s")
    return m


@pytest.fixture
def m() -> ValueStreamMap:
    return sample()


def test_the_table_covers_every_field_of_every_kind() -> None:
    fields = {kind: set(table) for kind, table in model._FIELDS.items()}
    assert {kind: set(table) for kind, table in CATEGORIES.items()} == fields
    assert set(BAD) >= {category for table in CATEGORIES.values() for category in table.values()}


def assert_unchanged(m: ValueStreamMap, before: Any) -> None:
    assert m.state is before
    assert m.can_undo
    assert not m.can_redo
    m.undo()  # the one edit before the failure is still the last one
    assert m.get("Cut").cycle_time == 30
    assert not m.can_undo


@pytest.mark.parametrize(("kind", "field", "value"), rows())
def test_bad_value_is_refused_and_changes_nothing(
    m: ValueStreamMap, kind: str, field: str, value: Any
) -> None:
    before = m.state
    with pytest.raises(ValidationError) as caught:
        m.update(TARGETS[kind], **{field: value})
    error = caught.value
    assert error.field == field
    message = str(error)
    assert field in message
    # The message names the value (shortened when long) and says what is allowed.
    assert error.value is value
    assert repr(value)[:20] in message or "got" in message or "empty" in message
    assert len(error.reason) > 10
    assert_unchanged(m, before)


ADD = {
    "process": lambda m, fields: m.add_process(fields.pop("name", "New"), **fields),
    "gap": lambda m, fields: m.add_gap(**fields),
    "shipment": lambda m, fields: m.add_shipment(**{"direction": "in", **fields}),
    "flow": lambda m, fields: m.add_flow(
        fields.pop("source", "customer"), fields.pop("target", "Weld"), **fields
    ),
    "burst": lambda m, fields: m.add_burst(fields.pop("text", "Idea"), **fields),
    "supplier": lambda m, fields: m.set_supplier(**fields),
    "control": lambda m, fields: m.set_control(**fields),
    "branch": lambda m, fields: m.add_branch(fields.pop("into", "Weld"), **fields),
    "rework": lambda m, fields: m.add_rework(
        fields.pop("source", "Weld"), fields.pop("target", "Cut"), fields.pop("share", "10%")
    ),
}


def add_rows() -> list[Any]:
    out = []
    for kind in ADD:
        for field, category in CATEGORIES[kind].items():
            for index, value in enumerate(BAD[category][:6]):
                out.append(pytest.param(kind, field, value, id=f"add-{kind}.{field}-{index}"))
    return out


@pytest.mark.parametrize(("kind", "field", "value"), add_rows())
def test_bad_value_in_an_add_is_refused_and_changes_nothing(
    m: ValueStreamMap, kind: str, field: str, value: Any
) -> None:
    before = m.state
    with pytest.raises(ValidationError) as caught:
        ADD[kind](m, {field: value})
    assert caught.value.field == field
    assert_unchanged(m, before)


CONSTRUCTOR_BAD = [
    ("title", ""),
    ("title", 5),
    ("demand", -1),
    ("demand", "lots"),
    ("demand", math.nan),
    ("demand", 1e13),
    ("period", "fortnight"),
    ("working_days", 0),
    ("working_days", 40),
    ("available_time", "5 parsecs"),
    ("available_time", "-8 h"),
    ("available_time", "0 x 8 h"),
    ("available_time", "0 h"),
    ("available_time", "2 x 13 h"),
    ("shifts", 0),
    ("shift_length", "8 parsecs"),
    ("breaks", "-5 min"),
    ("name", ""),  # the customer's name
    ("scope", 5),
    ("day_basis", "lunar"),
    ("timeframe", "past"),
]


@pytest.mark.parametrize(("field", "value"), CONSTRUCTOR_BAD)
def test_constructor_refuses_bad_values(field: str, value: Any) -> None:
    options: dict[str, Any] = {"demand": 100, "working_days": 20, "period": "month"}
    options["customer" if field == "name" else field] = value
    title = options.pop("title", "Map")
    with pytest.raises(ValidationError) as caught:
        ValueStreamMap(title, **options)
    # "2 x 13 h" is read as shifts and shift length; the error names the one at fault.
    assert caught.value.field in (field, "shift_length")


def test_constructor_refuses_unknown_keywords() -> None:
    with pytest.raises(TypeError):
        ValueStreamMap("Map", demnd=5)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("target", "fields", "field", "hint"),
    [
        ("weld", {"cycletime": 5}, "cycletime", "did you mean 'cycle_time'"),
        ("weld", {"id": "new"}, "id", "unknown field"),
        ("wip", {"cycle_time": 5}, "cycle_time", "allowed: quantity"),
        ("customer", {"demnd": 5}, "demnd", "did you mean 'demand'"),
        ("map", {"x": 5}, "x", "unknown field"),
        ("truck", {"x": 5}, "x", "unknown field"),
        ("Weld", {"name": "Cut"}, "name", "another step already has this name"),
        ("Weld", {"name": "wip"}, "name", "id of another element"),
        ("Weld", {"name": "customer"}, "name", "id of another element"),
        ("order", {"target": "order"}, "target", "not a flow"),
        ("order", {"target": "idea"}, "target", "not a burst"),
        ("order", {"source": "control"}, "source", "two different ends"),
    ],
)
def test_unknown_fields_and_duplicate_names(
    m: ValueStreamMap, target: str, fields: dict, field: str, hint: str
) -> None:
    before = m.state
    with pytest.raises(ValidationError, match=hint) as caught:
        m.update(target, **fields)
    assert caught.value.field == field
    assert_unchanged(m, before)


@pytest.mark.parametrize(
    ("call", "hint"),
    [
        (lambda m: m.update("Wled", cycle_time=5), "did you mean 'Weld'"),
        (lambda m: m.update("wipp", quantity=5), "did you mean 'wip'"),
        (lambda m: m.move("Cutt", 1, 2), "did you mean 'Cut'"),
        (lambda m: m.remove("idae"), "did you mean 'idea'"),
        (lambda m: m.reorder("Wel", 0), "did you mean 'Weld'"),
        (lambda m: m.update(5, cycle_time=5), "give an element's id"),
        (lambda m: m.get("nothing like it"), "no step, gap or element"),
    ],
)
def test_unknown_targets_raise_key_error_with_a_hint(m: ValueStreamMap, call: Any, hint: str) -> None:
    before = m.state
    with pytest.raises(KeyError, match=hint):
        call(m)
    assert_unchanged(m, before)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m: m.add_process("Weld"), "name"),
        (lambda m: m.add_process("Other", id="weld"), "id"),
        (lambda m: m.add_process("Other", id="customer"), "id"),
        (lambda m: m.add_process("Other", id="9lives"), "id"),
        (lambda m: m.add_process("Other", id=5), "id"),
        (lambda m: m.add_process("Other", at="truck"), "at"),
        (lambda m: m.add_process("Other", at=99), "at"),
        (lambda m: m.add_process("Other", at=1.5), "at"),
        (lambda m: m.add_process("Other", at=True), "at"),
        (lambda m: m.add_inventory(5, at="weld"), "stream"),
        (lambda m: m.add_gap(variants={"LH": 5}, quantity=6), "quantity"),
        (lambda m: m.add_shipment("sideways"), "direction"),
        (lambda m: m.add_flow("customer", "nowhere"), "target"),
        (lambda m: m.add_flow("map", "Weld"), "source"),
        (lambda m: m.add_burst("Idea", target="nowhere"), "target"),
        (lambda m: m.update("wip", quantity=10), "quantity"),
        (lambda m: m.update("Weld"), "fields"),
        (lambda m: m.reorder("Weld", "first"), "index"),
        (lambda m: m.reorder("Weld", 10), "index"),
        (lambda m: m.reorder("truck", 0), "index"),
        (lambda m: m.remove("map"), "target"),
        (lambda m: m.update("customer", available_time="2 x 8 h", shifts=3), "shifts"),
        (lambda m: m.update("customer", breaks="20 h"), "breaks"),
        (lambda m: m.update("customer", period="week", working_days=9), "working_days"),
        (lambda m: m.replace_state("state"), "state"),
    ],
)
def test_other_refused_edits(m: ValueStreamMap, call: Any, field: str) -> None:
    before = m.state
    with pytest.raises(ValidationError) as caught:
        call(m)
    assert caught.value.field == field
    assert_unchanged(m, before)


def test_reorder_that_would_put_two_gaps_together(m: ValueStreamMap) -> None:
    m.add_wait("1 h", id="tail")  # Cut, wip, Weld, tail
    before = m.state
    with pytest.raises(ValidationError, match="side by side") as caught:
        m.reorder("Weld", 0)  # Weld, Cut, wip, tail
    assert caught.value.field == "stream"
    assert m.state is before
