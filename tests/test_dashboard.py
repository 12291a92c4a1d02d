"""Metric cards, the workshop dashboard and the current/future comparison view.

Figures are worked out by hand from the formulas of VSM-DOMAIN.md. The map: 920 units a
day, 2 shifts of 27,600 s (available 55,200 s a day, takt 55,200 / 920 = 60 s, one
working day = 55,200 s); A (C/T 30 s), 460 units (0.5 d = 27,600 s), B (C/T 90 s at 75 %
uptime: 120 s effective, over takt), a 2 h wait, C (process time 45 s, lead time 1 h).
Lead time 30 + 27,600 + 90 + 7,200 + 3,600 = 38,520 s = 10.7 h; process time 165 s.
"""

from __future__ import annotations

import asyncio
import concurrent.futures

import ipywidgets
import numpy as np
import pytest

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.jupyter.dashboard import (
    CARDS,
    ComparisonView,
    Dashboard,
    MetricCards,
    SimulationView,
    _delta_text,
)
from vsm_widget.jupyter.widget import MapWidget

XSS = "<img src=x onerror=alert(1)>"


def small_map() -> ValueStreamMap:
    m = ValueStreamMap("Brackets", demand=920, available_time="2 x 27600 s")
    m.add_process("A", cycle_time="30 s", complete_accurate="90%")
    m.add_inventory(460)
    m.add_process("B", cycle_time="90 s", uptime="75%", complete_accurate="80%")
    m.add_wait("2 h")
    m.add_process("C", process_time="45 s", lead_time="1 h")
    return m


def walk(widget: ipywidgets.Widget) -> list[ipywidgets.Widget]:
    found = [widget]
    for child in getattr(widget, "children", ()):
        found += walk(child)
    return found


# --------------------------------------------------------------------------- cards


def test_cards_show_hand_checked_values_in_sensible_units() -> None:
    cards = MetricCards(small_map())
    assert set(cards.cards) == {spec.name for spec in CARDS}
    assert cards.texts() == {
        "takt_time": "60 s",
        "lead_time": "10.7 h",  # 38,520 s / 3,600
        "process_time": "165 s",
        "efficiency": "0.428%",  # 165 / 38,520 = 0.4283 %
        "rolled_complete_accurate": "72%",  # 0.9 x 0.8 (C has no %C&A)
        "total_inventory": "460 units",
        "inventory_days": "0.5 days of demand",  # 460 / 920
        "steps_over_takt": "1 of 3",
        "bottleneck": "B",
    }
    assert cards.cards["bottleneck"].detail == "effective C/T 120 s (takt 60 s)"
    # Every card explains its formula, on its title and value.
    assert cards.cards["takt_time"].formula == "Takt time = available time per day / daily demand"
    assert cards.cards["efficiency"].formula.endswith("= total process time / total lead time")
    drawn = {card["name"]: card for card in cards._view.cards}
    assert drawn["takt_time"]["formula"] == cards.cards["takt_time"].formula
    assert drawn["takt_time"]["text"] == "60 s"
    # ipywidgets 8.1 cannot draw a Box that has a tooltip: none of ours may have one.
    assert all(w.tooltip is None for w in walk(cards) if isinstance(w, ipywidgets.Box))
    assert all(card.delta == "" for card in cards.cards.values())


def test_a_step_edit_changes_cards_flashes_them_and_shows_the_delta() -> None:
    m = small_map()
    cards = MetricCards(m)
    m.update("B", cycle_time="45 s")  # B: 45 / 0.75 = 60 s effective, no longer over takt
    c = cards.cards
    assert c["process_time"].text == "120 s"  # 30 + 45 + 45
    assert c["process_time"].delta == "▼ −45 s"
    assert c["process_time"].verdict == "vsm-card-better"
    assert c["efficiency"].text == "0.312%"  # 120 / 38,475 = 0.3119 %
    assert c["efficiency"].delta.startswith("▼ −")
    assert c["efficiency"].delta.endswith(" pp")
    assert c["efficiency"].verdict == "vsm-card-worse"
    assert c["steps_over_takt"].text == "0 of 3"
    assert c["steps_over_takt"].delta == "▼ −1"
    # Lead time 38,475 s still reads 10.7 h, but its value changed: the card says so.
    assert c["lead_time"].text == "10.7 h"
    assert c["lead_time"].delta == "▼ −45 s"  # in the unit that suits the change, not the card's
    flashed = {name for name, card in c.items() if card.flash}
    assert flashed == {"process_time", "efficiency", "steps_over_takt", "lead_time"}
    # A second change flashes again: the highlight class alternates to restart.
    first = c["process_time"].flash
    m.update("B", cycle_time="60 s")
    assert c["process_time"].flash not in ("", first)
    assert c["process_time"].text == "135 s"
    assert c["process_time"].delta == "▲ +15 s"


def _flashing(cards: MetricCards) -> set[str]:
    return {name for name, card in cards.cards.items() if card.flash}


def test_an_edit_and_its_undo_leave_no_change_on_the_cards() -> None:
    # The quickstart shows the dashboard, then one cell sets Assembly #1 to 55 s and undoes
    # it: after Run All the cards must look as they did before that cell.
    m = ValueStreamMap.template("stamping_plant")
    cards = MetricCards(m)
    before = cards.texts()
    m.update("Assembly #1", cycle_time="55 s")
    assert cards.cards["process_time"].text == "181 s"  # 188 - 62 + 55
    assert cards.cards["process_time"].delta == "▼ −7 s"
    m.undo()
    assert cards.texts() == before
    assert {name: card.delta for name, card in cards.cards.items() if card.delta} == {}
    assert _flashing(cards) == set()
    assert all(c.verdict == "" for c in cards.cards.values())
    # Redo is a change again.
    m.redo()
    assert cards.cards["process_time"].delta == "▼ −7 s"
    assert "process_time" in _flashing(cards)


def test_undoing_the_second_of_two_edits_shows_the_first_change_again() -> None:
    m = small_map()
    cards = MetricCards(m)
    process = cards.cards["process_time"]
    m.update("B", cycle_time="45 s")  # 165 → 120 s
    assert process.delta == "▼ −45 s"
    m.update("B", cycle_time="60 s")  # 120 → 135 s
    assert process.delta == "▲ +15 s"
    m.undo()  # back to 120 s: the card shows what it showed at 120 s
    assert process.text == "120 s"
    assert process.delta == "▼ −45 s"
    assert process.verdict == "vsm-card-better"
    m.undo()
    assert process.text == "165 s"
    assert process.delta == ""
    assert "process_time" not in _flashing(cards)


def test_a_change_of_several_cards_is_one_message_and_no_change_none() -> None:
    m = small_map()
    cards = MetricCards(m)
    m.update("B", cycle_time="60 s")  # a first change: flashing, lower is better
    sent: list[list[dict[str, str]]] = []
    cards._view.observe(lambda change: sent.append(change["new"]), names="cards")
    m.update("A", cycle_time="70 s")  # the next: worse, and the flash restarts
    assert len(sent) == 1
    drawn = {card["name"]: card for card in sent[0]}
    assert drawn["process_time"]["text"] == cards.cards["process_time"].text == "175 s"  # 70 + 60 + 45
    assert drawn["process_time"]["verdict"] == "vsm-card-worse"
    assert drawn["process_time"]["flash"] in ("vsm-flash-a", "vsm-flash-b")
    # An edit no card shows (a move) sends nothing.
    m.move("C", 400, 120)
    assert len(sent) == 1


def test_a_change_of_hundredths_of_a_point_says_where_the_share_came_from() -> None:
    m = small_map()
    cards = MetricCards(m)
    m.update("A", cycle_time="31 s")
    # 165 / 38,520 = 0.4284 % becomes 166 / 38,521 = 0.4309 %: +0.0026 points.
    efficiency = cards.cards["efficiency"]
    assert efficiency.text == "0.431%"
    assert efficiency.delta == "▲ from 0.428%"
    assert efficiency.verdict == "vsm-card-better"


def test_a_tiny_change_that_the_card_cannot_show_is_given_in_points() -> None:
    # 12.345 % and 12.349 % both read "12.3%": "from 12.3%" would contradict the card.
    assert _delta_text(12.345, 12.349, "%", small_map().metrics()) == "▲ +0.004 pp"


def test_bottleneck_card_moves_and_layout_edits_change_nothing() -> None:
    m = small_map()
    cards = MetricCards(m)
    m.update("C", cycle_time="150 s")
    card = cards.cards["bottleneck"]
    assert card.text == "C"
    assert card.delta == "was B"
    assert card.detail == "effective C/T 150 s (takt 60 s)"
    drawn = list(cards._view.cards)
    m.move("C", 400, 120)
    assert cards._view.cards == drawn


def test_long_lead_times_read_in_working_days_and_units_can_be_fixed() -> None:
    m = small_map()
    m.update(m.gaps[0].id, quantity=4600)  # 4,600 / 920 = 5 working days
    cards = MetricCards(m, units={"takt_time": "min"})
    # 30 + 5 x 55,200 + 90 + 7,200 + 3,600 = 286,920 s = 5.1978 working days
    assert cards.cards["lead_time"].text == "5.2 working days"
    assert cards.cards["takt_time"].text == "1 min"
    # Calendar days: the inventory's 5 days of demand are 5 x 86,400 s;
    # (432,000 + 30 + 90 + 7,200 + 3,600) / 86,400 = 5.126 days
    m.update("map", day_basis="calendar")
    assert cards.cards["lead_time"].text == "5.13 days"
    with pytest.raises(ValueError, match="units: efficiency"):
        MetricCards(m, units={"efficiency": "h"})
    with pytest.raises(ValueError, match="names: no card 'speed'"):
        MetricCards(m, names=["speed"])


def test_user_text_is_never_html() -> None:
    m = small_map()
    m.update("B", name=XSS)
    dash = Dashboard(m)
    card = dash.cards.cards["bottleneck"]
    assert card.text == XSS  # shown as typed, as text (js/cards.ts sets textContent)
    m.update("C", cycle_time="150 s")
    assert card.delta == f"was {XSS}"
    for widget in walk(dash):
        if isinstance(widget, (ipywidgets.HTML, ipywidgets.HTMLMath)):
            assert XSS not in widget.value
            assert "<img" not in widget.value
        if isinstance(widget, ipywidgets.Label):
            assert not widget.description_allow_html
    # Chart labels are SVG text in bqplot (set with d3's .text()), as data, not markup.
    assert XSS in list(dash.cycle.bars.x)


# --------------------------------------------------------------------------- the dashboard


def test_dashboard_lays_out_canvas_cards_and_charts_with_one_selection() -> None:
    m = small_map()
    dash = Dashboard(m)
    assert isinstance(dash.editor, MapWidget)
    assert dash.editor.map is m
    parts = walk(dash)
    for view in (dash.editor, dash.cards, dash.timeline, dash.cycle, dash.breakdown):
        assert view in parts
    figures = [w for w in parts if "vsm-chart-timeline" in getattr(w, "_dom_classes", ())]
    assert figures == [dash.timeline.figure]
    b, c = m.get("B").id, m.get("C").id
    dash.editor.selection = [b]  # a click on the canvas
    assert list(dash.cycle.bars.selected) == [1]
    assert list(dash.timeline.step_bars.selected) == [1]
    dash.cycle.bars.selected = np.array([2])  # a click on C's bar
    assert dash.editor.selection == [c]
    assert list(dash.timeline.step_bars.selected) == [2]
    m.remove("C")  # the canvas drops the removed id; the charts follow
    assert dash.editor.selection == []
    assert dash.cycle.bars.selected is None
    dash.close()
    m.update("A", cycle_time="10 s")
    # 30 + 90 s once C is gone; closed, the cards no longer follow (else 10 + 90 s).
    assert dash.cards.cards["process_time"].text == "120 s"


def test_dashboard_edit_through_the_canvas_protocol_updates_every_part() -> None:
    m = small_map()
    dash = Dashboard(m)
    b = m.get("B").id
    result = dash.editor.handle_edit(
        {"kind": "edit", "seq": 1, "op": "update", "id": b, "field": "uptime", "value": "100%"}
    )
    assert result["ok"]
    assert dash.cards.cards["bottleneck"].detail == "effective C/T 90 s (takt 60 s)"
    np.testing.assert_allclose(dash.cycle.bars.y[:, 1], [90, 0])
    refused = dash.editor.handle_edit(
        {"kind": "edit", "seq": 2, "op": "update", "id": b, "field": "uptime", "value": "150%"}
    )
    assert not refused["ok"]
    assert dash.cards.cards["bottleneck"].detail == "effective C/T 90 s (takt 60 s)"


def test_dashboard_refuses_a_canvas_of_another_map() -> None:
    with pytest.raises(ValueError, match="another map"):
        Dashboard(small_map(), editor=small_map().editor())


# --------------------------------------------------------------------------- current vs future


def test_comparison_view_follows_both_maps() -> None:
    m = small_map()
    f = m.future()
    view = ComparisonView(m, f)
    assert view.cards["lead_time"].values_label.value == "10.7 h → 10.7 h"
    assert view.cards["lead_time"].change_label.value == "no change"
    f.update(f.gaps[0].id, quantity=92)  # 92 / 920 = 0.1 d = 5,520 s instead of 27,600 s
    # Lead time 38,520 → 38,520 - 22,080 = 16,440 s; -22,080 / 38,520 = -57.3 %
    assert view.cards["lead_time"].values_label.value == "10.7 h → 4.57 h"
    assert view.cards["lead_time"].change_label.value == "▼ −6.13 h (−57.3%)"
    assert "vsm-card-better" in view.cards["lead_time"].change_label._dom_classes
    assert view.cards["total_inventory"].values_label.value == "460 → 92"
    # The lead time up to the end of each step, by step name, then at the customer; in
    # the current map's lead unit (hours: 38,520 s is 10.7 h).
    assert view.unit == "h"
    assert view.labels == ["A", "B", "C", "Customer"]
    assert list(view.current_line.x) == list(view.future_line.x) == view.labels
    np.testing.assert_allclose(view.current_line.y, np.array([30, 27720, 38520, 38520]) / 3600)
    np.testing.assert_allclose(view.future_line.y, np.array([30, 5640, 16440, 16440]) / 3600)
    assert view.y_axis.label == "cumulative lead time (h)"
    m.update("A", cycle_time="60 s")  # an edit to the current map shows as well
    np.testing.assert_allclose(view.current_line.y[-1], 38550 / 3600)
    assert view.cards["process_time"].values_label.value == "195 s → 165 s"
    assert "vsm-chart-compare" in view.figure._dom_classes
    f.remove("C")  # the future stream gets shorter than the current one
    assert list(view.future_line.x) == ["A", "B", "Customer"]
    np.testing.assert_allclose(view.future_line.y, np.array([30, 5640, 12840]) / 3600)
    assert view.cards["step_count"].values_label.value == "3 → 2"
    assert view.cards["step_count"].change_label.value == "▼ −1 (−33.3%)"
    view.close()


def test_comparison_chart_places_new_steps_by_name_after_their_neighbour() -> None:
    m = small_map()
    f = m.future()
    f.add_process("Pack", cycle_time="20 s", at=f.gaps[1].id)  # a new step after B
    f.update("A", name="Cut")
    view = ComparisonView(m, f)
    # The current map's names where both have the step; the new one after B.
    assert view.labels == ["A", "B", "Pack", "C", "Customer"]
    assert list(view.current_line.x) == ["A", "B", "C", "Customer"]
    assert list(view.future_line.x) == ["A", "B", "Pack", "C", "Customer"]
    # Long streams read as on the other charts: rotated, thinned labels.
    long = ValueStreamMap("Long", demand=920, available_time="2 x 27600 s")
    with long.batch():
        for i in range(60):
            long.add_process(f"Step {i + 1:02d}", cycle_time="30 s")
    wide = ComparisonView(long, long.future())
    assert wide.x_axis.tick_rotate != 0
    assert 0 < len(wide.x_axis.tick_values) <= 40


# --------------------------------------------------------------------------- simulation view


def one_step() -> ValueStreamMap:
    """One step of 5 s, an order exactly every takt of 60 s (60 a day of 3,600 s)."""
    m = ValueStreamMap("Cell", demand=60, available_time="3600 s")
    m.add_process("Press", id="s1", cycle_time=5)
    return m


def simulation_view(m: ValueStreamMap, **options: object) -> SimulationView:
    settings = {"items": 1000, "replications": 1, "arrivals": "takt", "warmup": 100, "debounce": 0}
    return SimulationView(m, **{**settings, **options})


def test_what_if_controls_re_simulate_and_change_what_they_should() -> None:
    m = one_step()
    before = m.state
    view = simulation_view(m)
    assert view.runs == 1
    # At takt nothing waits: every order takes the 5 s of the step.
    assert view.result.summary()["lead_time_mean"].value == 5.0
    assert "mean 5 s" in view.figures.value
    assert view.status.value.startswith("the map as it is")
    assert (view.operators.value, view.batch.value, view.uptime.value) == (1, 1, 100.0)
    view.batch.value = 10
    # Item k of a batch of 10 waits (9 - k) takts for it to fill, then the batch takes
    # 10 x 5 s: mean 4.5 x 60 + 50 = 320 s.
    assert view.runs == 2
    assert view.result.summary()["lead_time_mean"].value == pytest.approx(320.0)
    assert view.result.line.stations[0].batch == 10
    view.uptime.value = 50
    # A rate loss at 50% doubles each item's time: 4.5 x 60 + 100 = 370 s.
    assert view.result.summary()["lead_time_mean"].value == pytest.approx(370.0)
    view.operators.value = 2
    # A batch comes every 600 s and takes 100 s: a second station waits for none, so the
    # lead time stays, and each station works 100 / 600 / 2 of the time.
    assert view.runs == 4
    assert view.result.summary()["lead_time_mean"].value == pytest.approx(370.0)
    assert view.result.utilisation["Press"] == pytest.approx(100 / 600 / 2, abs=0.003)
    assert view.what_if == {"s1": {"batch_size": 10, "uptime": 0.5, "parallel": 2}}
    assert view.status.value.startswith("what-if Press: batch 10, uptime 50%, 2 operators")
    # The histogram follows: every order of a batch waits a different number of takts.
    assert (view.histogram.bars.y > 0).sum() >= 10
    # The map itself is never edited.
    assert m.state is before
    view.reset.click()
    assert view.what_if == {}
    assert view.result.summary()["lead_time_mean"].value == 5.0
    assert (view.operators.value, view.batch.value, view.uptime.value) == (1, 1, 100.0)
    view.close()


def test_the_view_follows_edits_of_the_map_and_lists_every_path() -> None:
    m = one_step()
    view = simulation_view(m)
    m.update("s1", cycle_time=8)
    assert view.runs == 2
    assert view.result.summary()["lead_time_mean"].value == 8.0
    branch = m.add_branch(into="Press", name="Parts")
    branch.add_process("Cut", id="cut", cycle_time=20)
    # The part is cut in 20 s, then pressed in 8 s.
    assert view.result.summary()["lead_time_mean"].value == 28.0
    assert list(view.step.options) == [("Press", "s1"), ("Cut", "cut")]
    view.step.value = "cut"
    view.set_what_if("Cut", batch_size=2)
    # Parts cut in pairs: a pair arriving at 0 and 60 s is cut from 60 to 100 s; the press
    # takes its two orders from 100 to 108 and 108 to 116 s: 108 and 56 s, mean 82 s.
    assert view.result.summary()["lead_time_mean"].value == pytest.approx((108 + 56) / 2)
    assert view.batch.value == 2
    view.close()


def test_a_what_if_the_map_refuses_keeps_the_last_result_and_says_why() -> None:
    m = one_step()
    m.add_inventory(0, id="lane")
    m.add_process("Pack", id="s2", cycle_time=5)
    m.update("lane", flow="fifo", fifo_max=3)
    view = simulation_view(m)
    shown = view.result
    view.step.value = "s2"
    view.batch.value = 6
    # A batch of 6 behind a lane of 3 would never fill: refused, the last result kept.
    assert view.result is shown
    assert view.runs == 1
    assert view.status.value.startswith("Not simulated: lane: fifo_max")
    assert "never fill" in view.status.value
    with pytest.raises(ValidationError) as caught:
        view.set_what_if("s2", operators=2)
    assert caught.value.field == "operators"
    view.close()


def test_re_simulation_waits_for_a_burst_of_changes_to_end() -> None:
    async def scenario() -> None:
        view = simulation_view(one_step(), debounce=0.05)
        assert view.runs == 1
        view.batch.value = 5
        view.batch.value = 10
        # Nothing yet: the burst may go on.
        assert view.runs == 1
        await asyncio.wait_for(view.settled(), timeout=30)
        # One re-simulation, for the last value.
        assert view.runs == 2
        assert view.result.line.stations[0].batch == 10
        view.uptime.value = 50
        view.flush()
        assert view.runs == 3
        view.close()

    # In a thread of its own: a loop of the browser tests may be running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=60)


def test_the_dashboard_shows_the_simulation_when_asked() -> None:
    m = one_step()
    plain = Dashboard(m)
    assert plain.simulation is None
    plain.close()
    board = Dashboard(m, simulation={"items": 500, "arrivals": "takt", "replications": 1})
    assert board.simulation in board.children
    assert board.simulation in board.views
    assert board.simulation.result.items == 500
    board.close()
    assert board.simulation._unobserve is None


def test_cards_of_a_branched_map_say_which_path_is_critical() -> None:
    # By hand: main line Order 1 h, a 2 h wait, Assemble 1 h = 4 h; the feeder Make part
    # 1 h, a 1 h wait, then Assemble = 3 h. At 3 h for Make part the feeder takes 5 h.
    m = ValueStreamMap("Kits", demand=10, available_time="8 h")
    m.add_process("Order", cycle_time="1 h")
    m.add_wait("2 h")
    m.add_process("Assemble", cycle_time="1 h")
    parts = m.add_branch(into="Assemble", name="Parts")
    parts.add_process("Make part", cycle_time="1 h")
    parts.add_wait("1 h")
    cards = MetricCards(m)
    lead = cards.cards["lead_time"]
    assert lead.detail == "critical path: main line"
    assert cards.cards["process_time"].detail == "critical path: main line"
    m.update("Make part", cycle_time="3 h")
    assert lead.detail == "critical path: Parts"
    assert lead.text == "5 h"
    # A straight map's cards say nothing of paths.
    straight = MetricCards(ValueStreamMap.template("stamping_plant"))
    assert "critical" not in straight.cards["lead_time"].detail
