"""Shared fixtures.

``rich_map`` is a stamping-and-welding map (after *Learning to See*) that uses every kind
of element: supplier, production control, shipments, information flows, kaizen bursts,
variants, waste tags, canvas positions, and a gap after the last step.
``rich_calendar`` holds the calendar it was made with (for ``from_frame``).
"""

from __future__ import annotations

from typing import Any

import pytest

from vsm_widget import ValueStreamMap

RICH_CALENDAR: dict[str, Any] = {
    "demand": 18400,
    "period": "month",
    "working_days": 20,
    "available_time": "2 x 27600 s",
}


@pytest.fixture
def rich_calendar() -> dict[str, Any]:
    """The calendar of ``rich_map``: 920 parts a day, 55,200 s available a day."""
    return dict(RICH_CALENDAR)


@pytest.fixture
def rich_map() -> ValueStreamMap:
    """A map with every kind of element and field in use."""
    m = ValueStreamMap("Steering brackets", scope="Coils to shipping", **RICH_CALENDAR)
    m.set_supplier("Michigan Steel", supplies="500 ft coils", frequency="Tue + Thu", x=40, y=30)
    m.set_control("Production control", notes="MRP, 6-week forecast", x=400, y=30)
    m.add_inventory(4600, id="coils", waste=["inventory"], notes="5 days of coils")
    m.add_process(
        "Stamping",
        cycle_time="1 s",
        changeover="1 h",
        uptime="85%",
        operators=1,
        shifts=2,
        batch_size=500,
        complete_accurate="99%",
        value_class="value-adding",
        x=120.5,
        y=240,
    )
    m.add_inventory({"LH": 4600, "RH": 2400}, waste="inventory, waiting", x=180, y=300)
    m.add_process("Spot weld", cycle_time=39, changeover="10 min", uptime=1, parallel=1, operators=1)
    m.add_gap(quantity=1600, flow="fifo", fifo_max=2000)
    m.add_process(
        "Assembly",
        cycle_time=62,
        process_time=60,
        lead_time=70,
        value_class="necessary",
        waste=["motion", "defects"],
    )
    m.add_wait("2 d", notes="waiting for the truck\nsecond line: ü ✓")
    m.add_shipment("in", frequency="Tue + Thu", mode="truck")
    m.add_shipment("out", frequency="daily", notes="to the state street plant")
    m.add_flow("customer", "control", medium="electronic", label="90/60/30 day forecasts")
    m.add_flow("control", "Stamping", label="weekly schedule")
    m.add_burst(
        "SMED: changeover under 10 min", target="Stamping", owner="Ana", due="2026-12", status="planned"
    )
    m.add_burst("Pull to shipping", x=600, y=120)
    return m


@pytest.fixture
def brackets() -> ValueStreamMap:
    """Two steps with a gap between them (ids p1, g1, p2), and no history."""
    m = ValueStreamMap("Brackets", demand=920, available_time="2 x 27600 s")
    m.add_process("Stamping", cycle_time="1 s", id="p1")
    m.add_inventory(2400, id="g1")
    m.add_process("Weld", cycle_time="39 s", id="p2")
    m.clear_history()
    return m
