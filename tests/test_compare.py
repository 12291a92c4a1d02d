"""Current state against future state, with every figure worked out by hand.

Calendar (both maps): 18,400 parts a month over 20 working days = 920 a day; 2 shifts of
27,600 s = 55,200 s a day, so takt = 55,200 / 920 = 60 s and one working day = 55,200 s.

Current state: Stamping (C/T 1 s, %C&A 90 %) | 4,600 units = 5 d | Welding (C/T 39 s,
%C&A 95 %) | 1,840 units = 2 d | Assembly (C/T 62 s, %C&A 80 %).
- lead time    = 5 x 55,200 + 2 x 55,200 + 1 + 39 + 62 = 386,502 s
- process time = 1 + 39 + 62 = 102 s
- efficiency   = 102 / 386,502
- rolled %C&A  = 0.90 x 0.95 x 0.80 = 0.684
- inventory    = 4,600 + 1,840 = 6,440 units = 7 days
- over takt    = Assembly (62 s > 60 s): 1 step; bottleneck Assembly

Future state: both inventories down to 460 units (0.5 d each), Assembly at 55 s and 95 %.
- lead time    = 2 x 0.5 x 55,200 + 1 + 39 + 55 = 55,295 s
- process time = 95 s; efficiency 95 / 55,295
- rolled %C&A  = 0.90 x 0.95 x 0.95 = 0.81225
- inventory    = 920 units = 1 day; no step over takt; bottleneck still Assembly (55 s)
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.core.compare import Comparison, action_plan, compare


def current_state() -> ValueStreamMap:
    m = ValueStreamMap(
        "Steering brackets", demand=18400, period="month", working_days=20, available_time="2 x 27600 s"
    )
    m.add_process("Stamping", cycle_time="1 s", complete_accurate="90%")
    m.add_inventory(4600)
    m.add_process("Welding", cycle_time="39 s", complete_accurate="95%")
    m.add_inventory(1840)
    m.add_process("Assembly", cycle_time="62 s", complete_accurate="80%")
    return m


def future_state(current: ValueStreamMap) -> ValueStreamMap:
    f = current.future()
    with f.batch():
        for gap in f.gaps:
            f.update(gap.id, quantity=460, flow="fifo", fifo_max=460)
        f.update(f.steps[-1].id, cycle_time="55 s", complete_accurate="95%")
    return f


def test_compare_a_hand_checked_pair() -> None:
    now = current_state()
    result = compare(now, future_state(now))
    assert isinstance(result, Comparison)

    lead = result["lead_time"]
    assert lead.before == 386_502
    assert lead.after == 55_295
    assert lead.change == 55_295 - 386_502
    assert lead.change_percent == pytest.approx(-331_207 / 386_502 * 100)  # -85.69 %
    assert lead.improved is True

    process = result["process_time"]
    assert (process.before, process.after, process.change) == (102, 95, -7)
    assert process.change_percent == pytest.approx(-7 / 102 * 100)

    efficiency = result["efficiency"]
    assert efficiency.before == pytest.approx(102 / 386_502)
    assert efficiency.after == pytest.approx(95 / 55_295)
    assert efficiency.change == pytest.approx(95 / 55_295 - 102 / 386_502)
    assert efficiency.improved is True

    rolled = result["rolled_complete_accurate"]
    assert rolled.before == pytest.approx(0.684)
    assert rolled.after == pytest.approx(0.81225)
    assert rolled.change == pytest.approx(0.12825)
    assert rolled.change_percent == pytest.approx(18.75)  # 0.12825 / 0.684

    wip = result["total_inventory"]
    assert (wip.before, wip.after, wip.change) == (6440, 920, -5520)
    assert wip.change_percent == pytest.approx(-5520 / 6440 * 100)
    days = result["inventory_days"]
    assert (days.before, days.after) == (pytest.approx(7.0), pytest.approx(1.0))
    assert days.change == pytest.approx(-6.0)

    takt = result["takt_time"]
    assert (takt.before, takt.after, takt.change, takt.change_percent) == (60, 60, 0, 0)
    assert takt.improved is None  # takt follows demand: neither way is better

    over = result["steps_over_takt"]
    assert (over.before, over.after, over.change, over.change_percent) == (1, 0, -1, -100)
    assert over.improved is True

    bottleneck = result["bottleneck"]
    assert (bottleneck.before, bottleneck.after) == ("Assembly", "Assembly")
    assert bottleneck.change is None


def test_comparison_as_a_dataframe() -> None:
    now = current_state()
    frame = compare(now, future_state(now)).to_frame()
    assert list(frame.columns) == ["label", "kind", "before", "after", "change", "change_percent", "improved"]
    assert set(frame.index) >= {
        "lead_time",
        "process_time",
        "efficiency",
        "rolled_complete_accurate",
        "total_inventory",
        "inventory_days",
        "bottleneck",
        "takt_time",
        "steps_over_takt",
    }
    assert frame.loc["lead_time", "change"] == 55_295 - 386_502
    assert frame.loc["total_inventory", "change_percent"] == pytest.approx(-5520 / 6440 * 100)
    assert frame.loc["bottleneck", "after"] == "Assembly"
    assert math.isnan(frame.loc["bottleneck", "change"])


def test_a_moved_bottleneck_and_unknown_figures() -> None:
    now = current_state()
    f = now.future()
    f.update("Welding", cycle_time="70 s")  # 70 s > Assembly's 62 s
    f.update("customer", demand=None)  # no demand: no takt, no inventory days
    result = compare(now, f)
    assert (result["bottleneck"].before, result["bottleneck"].after) == ("Assembly", "Welding")
    assert result["takt_time"].after is None
    assert result["takt_time"].change is None
    assert result["inventory_days"].change_percent is None
    assert result["steps_over_takt"].after is None
    # Without demand, the inventories have no time: lead time = 1 + 70 + 62 s only.
    assert result["lead_time"].after == 133


def test_compare_takes_states_and_metrics_and_refuses_other_things() -> None:
    now = current_state()
    f = future_state(now)
    by_map = compare(now, f)
    by_state = compare(now.state, f.state)
    by_metrics = compare(now.metrics(), f.metrics())
    assert [r.change for r in by_state] == [r.change for r in by_map] == [r.change for r in by_metrics]
    with pytest.raises(TypeError, match="future must be a ValueStreamMap"):
        compare(now, {"lead_time": 1})  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="'speed' is not compared"):
        by_map["speed"]


def test_action_plan_lists_the_kaizen_bursts() -> None:
    now = current_state()
    f = future_state(now)
    f.add_burst(
        "Quick changeover on the press", target="Stamping", owner="Ana", due="2026-12-15", status="planned"
    )
    gap = f.gaps[0].id
    f.add_burst("FIFO lane instead of the push inventory", target=gap, owner="Ben")
    f.add_burst("Level the schedule at the pacemaker")
    plan = action_plan(f)
    assert list(plan.columns) == ["id", "text", "target", "step", "owner", "due", "status"]
    assert plan["text"].tolist() == [
        "Quick changeover on the press",
        "FIFO lane instead of the push inventory",
        "Level the schedule at the pacemaker",
    ]
    assert plan["step"].tolist() == ["Stamping", "before Welding", "whole map"]
    assert plan["target"].tolist() == [f.get("Stamping").id, gap, ""]
    assert plan["owner"].tolist() == ["Ana", "Ben", ""]
    assert plan["status"].tolist() == ["planned", "idea", "idea"]
    assert plan.loc[0, "due"] == "2026-12-15"
    assert action_plan(now).empty
    with pytest.raises(TypeError, match="action_plan"):
        action_plan([])  # type: ignore[arg-type]


def test_endless_lead_times_compare_without_nan() -> None:
    # Two full inventories at a near-zero demand: each waits 1e308 s, the lead time is infinite.
    endless = ValueStreamMap("Absurd", demand=2.88e-292, available_time="8 h")
    endless.add_inventory(1e12)
    endless.add_process("Cut", cycle_time="10 s")
    endless.add_inventory(1e12)
    same = compare(endless, endless.future())["lead_time"]
    assert (same.change, same.change_percent, same.improved) == (0.0, None, None)
    cured = endless.future()
    cured.update("customer", demand=100)  # 100 a day: 2e12 units wait 2e10 days of 8 h
    better = compare(endless, cured)["lead_time"]
    assert better.change == -math.inf
    assert better.change_percent is None
    assert better.improved is True
    for row in compare(endless, cured).rows:
        for figure in (row.change, row.change_percent):
            assert figure is None or not math.isnan(figure)


def test_the_rich_display_is_a_table_that_says_better_or_worse_in_words() -> None:
    current = current_state()
    current.update("Assembly", name="Assembly <b>& test</b>")
    future = future_state(current)
    table = ET.fromstring(compare(current, future)._repr_html_())
    assert table.tag == "table"
    rows = {
        row[0].text: ["".join(cell.itertext()) for cell in row[1:]] for row in table.iter("tr") if row[0].text
    }
    # Lead time 386,502 s -> 55,295 s: shorter is better; the words say so, not only a colour.
    assert rows["Lead time"][2].endswith("(better)")
    # Rolled %C&A 68.4% -> 81.2%: higher is better.
    assert rows["Rolled %C&A"][2].endswith("(better)")
    # The bottleneck is Assembly on both maps: no verdict; its name is text, not markup.
    assert rows["Bottleneck"][:2] == ["Assembly <b>& test</b>", "Assembly <b>& test</b>"]
    assert not rows["Bottleneck"][2].endswith(("(better)", "(worse)"))
    assert table.find(".//b") is None
    # Taken the other way round, the same change is worse.
    backwards = ET.fromstring(compare(future, current)._repr_html_())
    lead = next(row for row in backwards.iter("tr") if row[0].text == "Lead time")
    assert "".join(lead[3].itertext()).endswith("(worse)")
