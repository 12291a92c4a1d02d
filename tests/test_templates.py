"""The template maps: each loads in one call, validates, and holds the figures its source gives.

The stamping plant's expected figures are the published ones of Rother and Shook,
*Learning to See*: 18,400 parts a month over 20 days (920 a day), 2 shifts of 27,600 s,
takt 60 s, inventories of 5, 7.6, 1.8, 2.7, 2 and 4.5 days (23.6 days), process time
188 s, Assembly #1 (62 s) slower than takt. The illustrative templates are checked
against the totals docs/templates.md states, summed by hand from their step lists.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from importlib import resources

import pandas as pd
import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.fields import Process
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
BRANCHED = ("stamping_plant_branched", "software_delivery_branched")


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
    # and through JSON text, as a saved file holds it
    assert ValueStreamMap.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    # straight maps stay at schema 1 (loaded through the migrations); maps that branch need 4
    assert template_document(name)["schema"] == (4 if name in BRANCHED else 1)
    assert bool(m.branches) == (name in BRANCHED)
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
    steps = frame.set_index("name")["steps"]
    assert steps["stamping_plant"] == 5
    # every path's boxes count: the feeder's Bend brackets; the security scan and manual test
    assert steps["stamping_plant_branched"] == 5 + 1
    assert steps["software_delivery_branched"] == 5 + 2


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


def _plain(state) -> tuple:
    """Each path's steps and gaps without typed units, and the branches without names:
    what a steps frame holds of a map's stream.
    """

    def untyped(items: tuple) -> tuple:
        return tuple(dataclasses.replace(i, units=()) if hasattr(i, "units") else i for i in items)

    branches = tuple(dataclasses.replace(b, name="", items=untyped(b.items)) for b in state.branches)
    return untyped(state.stream), branches


@pytest.mark.parametrize("name", template_names())
def test_template_round_trips_through_the_steps_frame(name: str) -> None:
    m = load_template(name)
    c = m.customer
    calendar = {
        "demand": c.demand,
        "period": c.period,
        "working_days": c.working_days,
        "shifts": c.shifts,
        "shift_length": c.shift_length,
        "breaks": c.breaks,
    }
    frame = m.steps_frame()
    assert set(frame["path"]) == {"main", *(b.id for b in m.branches)}
    back = ValueStreamMap.from_frame(frame, title=m.title, day_basis=m.state.day_basis, **calendar)
    assert _plain(back.state) == _plain(m.state)
    # the frame holds every path, so the critical path comes back; loops live in the JSON only
    assert back.metrics().lead_time == pytest.approx(m.metrics().lead_time)
    assert back.metrics().critical_path == m.metrics().critical_path


# --------------------------------------------------------------------------- the maps that branch


@pytest.mark.parametrize("name", BRANCHED)
def test_branched_templates_give_every_path_what_readiness_asks_of_the_main_line(name: str) -> None:
    m = load_template(name)
    check = readiness(m)
    assert check.done == tuple(range(1, 10))
    assert readiness(m.future()).step(10).done
    # what readiness judges on the main line holds on the branches too
    for branch in m.branches:
        steps = [i for i in branch.items if isinstance(i, Process)]
        assert steps, branch.id
        for step in steps:
            assert step.value_class is not None, step.name
            assert any(t is not None for t in (step.cycle_time, step.process_time, step.lead_time)), step.name
        kinds = [isinstance(i, Process) for i in branch.items]
        # a gap before and after each branch step: never two steps side by side
        assert all(not (a and b) for a, b in itertools.pairwise(kinds)), branch.id
        assert not kinds[0], branch.id
        assert not kinds[-1], branch.id
    assert m.metrics().warnings == ()


def test_stamping_branched_is_the_published_map_with_a_purchased_part() -> None:
    published = load_template("stamping_plant")
    m = load_template("stamping_plant_branched")
    # everything but the feeder is the book's map
    assert m.stream == published.stream
    assert m.customer == published.customer
    assert (m.supplier, m.control) == (published.supplier, published.control)
    assert m.flows == published.flows
    assert m.shipments == published.shipments
    assert m.bursts[: len(published.bursts)] == published.bursts
    assert "Learning to See" in m.scope
    assert "illustrative" in m.scope.lower()
    (feeder,) = m.branches
    assert feeder.after is None  # a feeder with a start of its own
    assert m.get(feeder.into).name == "Assembly #1"
    assert [type(i).__name__ for i in feeder.items] == ["Gap", "Process", "Gap"]
    bought, bend, bent = feeder.items
    assert (bought.quantity, bend.name, bent.quantity) == (3680, "Bend brackets", 1380)
    assert m.reworks == ()


def test_stamping_branched_figures_by_hand() -> None:
    metrics = load_template("stamping_plant_branched").metrics()
    # The feeder reaches Assembly #1 after 3,680 + 1,380 = 5,060 parts (5.5 days); the main
    # line after 4,600 + 7,000 + 1,700 + 2,450 = 15,750 (17.1 days): the main line stays
    # critical and the lead time is the book's.
    assert pytest.approx(5.5) == (3680 + 1380) / DAILY_DEMAND
    assert metrics.critical_path == "main"
    assert metrics.lead_time == pytest.approx(sum(INVENTORIES) / DAILY_DEMAND * AVAILABLE + 188)
    assert round(metrics.in_days("lead_time"), 1) == 23.6
    assert metrics.process_time == pytest.approx(188)
    assert metrics.lead_time_with_rework == pytest.approx(metrics.lead_time)  # no loops, no %C&A
    # Every step counts for the bottleneck and the work content: Bend at 30 s / 90% = 33.3 s
    # is under takt, Assembly #1 (62 s) still the slowest.
    assert metrics.bottleneck_name == "Assembly #1"
    assert len(metrics.steps_over_takt) == 1
    assert metrics.work_content == pytest.approx(1 + 39 + 46 + 62 + 40 + 30)
    assert metrics.total_inventory == pytest.approx(sum(INVENTORIES) + 3680 + 1380)
    assert metrics.path_count == 2


def test_stamping_branched_paths_frame() -> None:
    paths = load_template("stamping_plant_branched").paths()
    assert list(paths.index) == ["main", "b_brackets"]
    assert list(paths["critical"]) == [True, False]
    feeder = paths.loc["b_brackets"]
    assert feeder["steps"] == ("Bend brackets", "Assembly #1", "Assembly #2")
    # bought 3,680 + bent 1,380, then on from Assembly #1: 1,840 + 4,140 = 11,040 parts (12 days)
    assert feeder["lead_time"] == pytest.approx(11_040 / DAILY_DEMAND * AVAILABLE + 30 + 62 + 40)
    assert feeder["process_time"] == pytest.approx(30 + 62 + 40)


DAY = 8 * HOUR  # the software team's working day


def test_software_branched_shape() -> None:
    m = load_template("software_delivery_branched")
    names = {s.id: s.name for s in m.all_steps}
    assert [s.name for s in m.steps] == [
        "Refine and estimate",
        "Develop and build",
        "Code review",
        "Automated tests",
        "Release to production",
    ]
    # two parallel test stages split after the build and rejoin at the release
    assert {b.name for b in m.branches} == {"Security scan", "Manual test"}
    for branch in m.branches:
        assert names[branch.after] == "Develop and build"
        assert names[branch.into] == "Release to production"
    (loop,) = m.reworks
    assert (names[loop.source], names[loop.target], loop.share) == ("Code review", "Develop and build", 0.2)
    assert "illustrative" in m.scope.lower()
    assert "20%" in m.scope


def test_software_branched_figures_by_hand() -> None:
    m = load_template("software_delivery_branched")
    metrics = m.metrics()
    start = 1 * DAY + 8 * DAY + 4 * DAY  # refine, backlog, develop and build
    main = 1.5 * DAY + 0.5 * DAY + 2 * HOUR + 1 * HOUR + 2 * DAY  # review queue .. release window
    security = 1 * DAY + 1 * DAY + 1 * DAY
    manual = 3 * DAY + 3 * DAY + 0.5 * DAY
    release = 0.5 * DAY
    # the manual test (6.5 d from the build to the release) outlasts the main line (4 d + 3 h)
    assert manual > main > security
    assert metrics.critical_path == "b_manual"
    assert [m.get(i).name for i in metrics.critical_steps] == [
        "Refine and estimate",
        "Develop and build",
        "Manual test",
        "Release to production",
    ]
    assert metrics.lead_time == pytest.approx(start + manual + release) == pytest.approx(20 * DAY)
    assert metrics.process_time == pytest.approx((2 + 12 + 6 + 2) * HOUR)
    assert metrics.efficiency == pytest.approx(22 / 160)
    # rework: 20% back from review to build, so the segment build, review queue, review
    # (4 + 1.5 + 0.5 d) is passed 1 / (1 - 0.2) = 1.25 times; the build's extra quarter
    # (1 d) falls on every route, the rest on the main line only
    passes = 1 / (1 - 0.2)
    extra_build = (passes - 1) * 4 * DAY
    extra_main = (passes - 1) * (1.5 + 0.5) * DAY
    with_main = start + extra_build + main + extra_main + release  # 19.4 d
    with_manual = start + extra_build + manual + release  # 21 d
    assert with_manual > with_main
    assert metrics.lead_time_with_rework == pytest.approx(with_manual) == pytest.approx(21 * DAY)
    assert metrics.rework_estimated == ()  # rework is drawn, not estimated from %C&A
    # takt 8 h / (40 / 20) = 4 h; the manual test (6 h) is the only step over it
    assert metrics.takt_time == pytest.approx(4 * HOUR)
    assert metrics.bottleneck_name == "Manual test"
    assert [m.get(i).name for i in metrics.steps_over_takt] == ["Manual test"]


def test_software_branched_paths_frame() -> None:
    paths = load_template("software_delivery_branched").paths()
    assert list(paths.index) == ["main", "b_security", "b_manual"]
    assert list(paths["critical"]) == [False, False, True]
    expected = {
        "main": ((1 + 8 + 4 + 1.5 + 0.5 + 2 + 0.5) * DAY + 3 * HOUR, (2 + 12 + 1 + 1 + 2) * HOUR),
        "b_security": ((1 + 8 + 4 + 3 + 0.5) * DAY, (2 + 12 + 2 + 2) * HOUR),
        "b_manual": ((1 + 8 + 4 + 6.5 + 0.5) * DAY, (2 + 12 + 6 + 2) * HOUR),
    }
    for path, (lead, process) in expected.items():
        assert paths.loc[path, "lead_time"] == pytest.approx(lead), path
        assert paths.loc[path, "process_time"] == pytest.approx(process), path
        assert paths.loc[path, "efficiency"] == pytest.approx(process / lead), path
