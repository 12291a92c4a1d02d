"""The template maps: each loads in one call, validates, and holds the figures its source gives.

The stamping plant's expected figures are the published ones of Rother and Shook,
*Learning to See*: 18,400 parts a month over 20 days (920 a day), 2 shifts of 27,600 s,
takt 60 s, inventories of 5, 7.6, 1.8, 2.7, 2 and 4.5 days (23.6 days), process time
188 s, Assembly #1 (62 s) slower than takt. The illustrative templates are checked
against the totals docs/templates.md states, summed by hand from their step lists.
"""

from __future__ import annotations

import json
import math
from importlib import resources

import pandas as pd
import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.readiness import readiness
from vsm_widget.data.templates import (
    TEMPLATES,
    list_templates,
    load_template,
    template_document,
    template_names,
)

HOUR = 3600.0
MINUTE = 60.0
DAILY_DEMAND = 18_400 / 20
AVAILABLE = 2 * 27_600
INVENTORY_DAYS = [5, 7.6, 1.8, 2.7, 2, 4.5]  # as printed in the book, to one decimal
INVENTORIES = [4600, 4600 + 2400, 1100 + 600, 1600 + 850, 1200 + 640, 2700 + 1440]


def test_every_json_file_is_in_the_catalogue_and_back() -> None:
    files = {
        p.name[: -len(".json")]
        for p in resources.files("vsm_widget.data.templates").iterdir()
        if p.name.endswith(".json")
    }
    assert files == set(template_names())
    assert len(files) >= 4


@pytest.mark.parametrize("name", template_names())
def test_template_loads_validates_and_round_trips(name: str) -> None:
    m = load_template(name)
    assert isinstance(m, ValueStreamMap)
    assert len(m.steps) >= 5
    # the stored document is exactly what the map writes back: nothing dropped on load
    again = ValueStreamMap.from_dict(m.to_dict())
    assert again == m
    assert template_document(name)["schema"] == 1
    metrics = m.metrics()
    assert metrics.warnings == ()
    assert metrics.lead_time_complete
    assert metrics.takt_time is not None


@pytest.mark.parametrize("info", TEMPLATES, ids=lambda i: i.name)
def test_template_says_where_its_numbers_come_from(info) -> None:
    scope = load_template(info.name).scope
    if info.kind == "published":
        assert "Learning to See" in scope
        assert "Rother" in scope
    else:
        assert info.kind == "illustrative"
        assert "illustrative" in scope.lower()


def test_list_templates_is_a_frame_with_one_line_descriptions() -> None:
    frame = list_templates()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["name"]) == list(template_names())
    assert {"name", "title", "description", "kind", "source"} <= set(frame.columns)
    assert all(d and "\n" not in d for d in frame["description"])
    assert frame.set_index("name").loc["stamping_plant", "steps"] == 5


def test_unknown_template_names_the_field_and_suggests() -> None:
    with pytest.raises(ValidationError) as caught:
        load_template("stamping plant")
    assert caught.value.field == "name"
    assert "stamping_plant" in caught.value.reason
    with pytest.raises(ValidationError):
        load_template(None)  # type: ignore[arg-type]


def test_each_load_is_an_independent_map() -> None:
    first = load_template("stamping_plant")
    first.update("Stamping", cycle_time="2 s")
    second = load_template("stamping_plant")
    assert second.get("Stamping").cycle_time == 1


# --------------------------------------------------------------------------- the published case


@pytest.fixture(scope="module")
def stamping() -> ValueStreamMap:
    return load_template("stamping_plant")


def test_stamping_calendar_and_takt(stamping: ValueStreamMap) -> None:
    metrics = stamping.metrics()
    assert stamping.state.daily_demand == pytest.approx(920)
    assert metrics.available_time == pytest.approx(AVAILABLE)
    assert metrics.takt_time == pytest.approx(AVAILABLE / DAILY_DEMAND) == pytest.approx(60)


def test_stamping_steps_as_published(stamping: ValueStreamMap) -> None:
    published = [
        ("Stamping", 1, 3600, 0.85),
        ("S. Weld #1", 39, 600, 1.0),
        ("S. Weld #2", 46, 600, 0.80),
        ("Assembly #1", 62, 0, 1.0),
        ("Assembly #2", 40, 0, 1.0),
    ]
    got = [(s.name, s.cycle_time, s.changeover, s.uptime) for s in stamping.steps]
    assert got == published
    assert stamping.metrics().process_time == pytest.approx(188)


def test_stamping_inventories_and_lead_time(stamping: ValueStreamMap) -> None:
    gaps = stamping.gaps
    assert [g.quantity for g in gaps] == INVENTORIES
    assert [dict(g.variants) for g in gaps[1:]] == [
        {"LH": 4600, "RH": 2400},
        {"LH": 1100, "RH": 600},
        {"LH": 1600, "RH": 850},
        {"LH": 1200, "RH": 640},
        {"LH": 2700, "RH": 1440},
    ]
    metrics = stamping.metrics()
    days = [g.inventory_days for g in metrics.gaps]
    assert [round(d, 1) for d in days] == INVENTORY_DAYS
    # lead time: 21,730 parts waiting / 920 a day, plus 188 s of processing
    expected = sum(INVENTORIES) / DAILY_DEMAND + 188 / AVAILABLE
    assert metrics.in_days("lead_time") == pytest.approx(expected)
    assert round(metrics.in_days("lead_time"), 1) == 23.6


def test_stamping_bottleneck_is_assembly_one(stamping: ValueStreamMap) -> None:
    metrics = stamping.metrics()
    assert metrics.bottleneck_name == "Assembly #1"
    # S. Weld #2 at 80% uptime runs 46 / 0.8 = 57.5 s: under takt, so only Assembly #1 is over
    assert [stamping.get(i).name for i in metrics.steps_over_takt] == ["Assembly #1"]


def test_stamping_supplier_control_and_flows(stamping: ValueStreamMap) -> None:
    assert stamping.supplier is not None
    assert stamping.supplier.name == "Michigan Steel Co."
    assert "Tue" in stamping.supplier.frequency
    assert "Thu" in stamping.supplier.frequency
    assert stamping.control is not None
    electronic = [f for f in stamping.flows if f.medium == "electronic"]
    assert {f.source for f in electronic if f.target == "control"} == {"customer"}
    assert {f.target for f in electronic if f.source == "control"} == {"supplier"}
    schedules = {f.target for f in stamping.flows if f.label == "Weekly schedule"}
    assert schedules == {s.id for s in stamping.steps}
    out = [s for s in stamping.shipments if s.direction == "out"]
    assert len(out) == 1
    assert "daily" in out[0].frequency.lower()


# --------------------------------------------------------------------------- the illustrative maps

# Totals stated in docs/templates.md, summed by hand from each template's step list.
ILLUSTRATIVE = {
    # waits 8 + 1.5 + 3 + 4 + 2 d, step lead times 1 + 4 + 0.5 + 3 + 1 + 0.5 d (8 h days)
    "software_delivery": {
        "lead": 28.5 * 8 * HOUR,
        "process": 23.5 * HOUR,
        "bottleneck": "Manual regression test",
    },
    # waits 0.5 + 1 + 0.5 + 1 + 2 + 21 d, steps 2 h + 4 h + 4 h + 1 d + 2 h + 3 d (7 h days)
    "order_to_cash": {
        "lead": (26 + 4) * 7 * HOUR + 12 * HOUR,
        "process": 63 * MINUTE,
        "bottleneck": "Collect and apply cash",
    },
    # waits 20 + 55 + 30 + 40 + 60 min, step lead times 10 + 8 + 25 + 90 + 45 + 30 min
    "emergency_department": {
        "lead": 413 * MINUTE,
        "process": 75 * MINUTE,
        "bottleneck": "Diagnostics (lab, imaging)",
    },
}


@pytest.mark.parametrize("name", sorted(ILLUSTRATIVE))
def test_illustrative_totals(name: str) -> None:
    expected = ILLUSTRATIVE[name]
    metrics = load_template(name).metrics()
    assert metrics.lead_time == pytest.approx(expected["lead"])
    assert metrics.process_time == pytest.approx(expected["process"])
    assert metrics.bottleneck_name == expected["bottleneck"]
    assert metrics.efficiency == pytest.approx(expected["process"] / expected["lead"])


@pytest.mark.parametrize("name", sorted(ILLUSTRATIVE))
def test_office_style_maps_use_every_office_field(name: str) -> None:
    m = load_template(name)
    for step in m.steps:
        assert step.process_time is not None, step.name
        assert step.lead_time is not None, step.name
        assert step.lead_time >= step.process_time, step.name
        assert step.complete_accurate is not None, step.name
        assert 0 < step.complete_accurate < 1, step.name
        assert step.value_class is not None, step.name
    assert {s.value_class for s in m.steps} >= {"value-adding", "necessary"}
    assert any(item.waste for item in m.stream)
    assert len(m.bursts) >= 3
    assert all(b.target in {i.id for i in m.stream} for b in m.bursts)
    assert 0 < m.metrics().rolled_complete_accurate < 1


@pytest.mark.parametrize("name", template_names())
def test_templates_are_complete_examples_for_the_readiness_check(name: str) -> None:
    check = readiness(load_template(name))
    assert check.done == tuple(range(1, 10))
    assert not check.step(10).done


def test_template_documents_are_plain_json() -> None:
    for name in template_names():
        document = template_document(name)
        assert json.loads(json.dumps(document)) == document
        assert not any(isinstance(v, float) and math.isnan(v) for v in document["customer"].values())
