"""The bqplot charts follow every edit in place, and share one selection with the canvas.

Expected mark data is worked out by hand from the formulas of VSM-DOMAIN.md for a small
map: 920 units a day, 2 shifts of 27,600 s (takt 55,200 / 920 = 60 s; one working day is
55,200 s), steps A (C/T 30 s), B (C/T 90 s at 75 % uptime: effective 120 s) and
C (process time 45 s, own lead time 1 h), an inventory of 460 units before B
(460 / 920 = 0.5 d = 27,600 s) and a 2 h wait before C.
"""

from __future__ import annotations

import numpy as np
import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.charts import COLORS, CycleTimeChart, TimeBreakdownChart, TimelineChart, link_selection

H = 3600.0


def small_map() -> ValueStreamMap:
    m = ValueStreamMap("Brackets", demand=920, available_time="2 x 27600 s")
    m.add_process("A", cycle_time="30 s")
    m.add_inventory(460)
    m.add_process("B", cycle_time="90 s", uptime="75%")
    m.add_wait("2 h")
    m.add_process("C", process_time="45 s", lead_time="1 h")
    return m


def long_map(steps: int) -> ValueStreamMap:
    m = ValueStreamMap("Long", demand=920, available_time="2 x 27600 s")
    with m.batch():
        for i in range(steps):
            if i:
                m.add_inventory(92)
            m.add_process(f"Step {i + 1:03d}", cycle_time=f"{20 + i % 50} s")
    return m


# --------------------------------------------------------------------------- timeline


def test_timeline_marks_hold_the_ladder_by_hand() -> None:
    m = small_map()
    chart = TimelineChart(m)
    # Lead time 30 + 27,600 + 90 + 7,200 + 3,600 = 38,520 s: under a working day, so hours.
    assert chart.unit == "h"
    assert list(chart.bars.x) == ["A", "inventory before B", "B", "wait before C", "C"]
    np.testing.assert_allclose(chart.bars.y[0], np.array([30, 0, 90, 0, 45]) / H)
    # C's own lead time of 1 h beyond its 45 s of process time is waiting in the step.
    np.testing.assert_allclose(chart.bars.y[1], np.array([0, 27600, 0, 7200, 3600 - 45]) / H)
    np.testing.assert_allclose(chart.line.y, np.array([30, 27630, 27720, 34920, 38520]) / H)
    np.testing.assert_allclose(chart.dots.y, chart.line.y)
    assert "vsm-chart-timeline" in chart.figure._dom_classes
    assert chart.y_axis.label == "time per element (h)"


def test_timeline_updates_in_place_after_an_edit() -> None:
    m = small_map()
    chart = TimelineChart(m)
    figure, bars, line, marks = chart.figure, chart.bars, chart.line, list(chart.figure.marks)
    m.update("B", cycle_time="45 s")
    assert chart.figure is figure
    assert chart.bars is bars
    assert chart.line is line
    assert list(chart.figure.marks) == marks
    np.testing.assert_allclose(chart.bars.y[0], np.array([30, 0, 45, 0, 45]) / H)
    np.testing.assert_allclose(chart.line.y, np.array([30, 27630, 27675, 34875, 38475]) / H)
    # A wait longer than a working day (55,200 s) turns the unit into working days.
    m.update(m.gaps[1].id, wait_time="2 d")
    assert chart.unit == "d"
    np.testing.assert_allclose(chart.line.y[-1], (30 + 27600 + 45 + 2 * 55200 + 3600) / 55200)
    assert chart.y_axis.label == "time per element (working days)"


def test_timeline_follows_removal_and_undo() -> None:
    m = small_map()
    chart = TimelineChart(m)
    m.remove("B")  # takes the inventory before B with it: two gaps may not stand side by side
    assert list(chart.bars.x) == ["A", "wait before C", "C"]
    np.testing.assert_allclose(chart.line.y, np.array([30, 7230, 10830]) / H)
    m.undo()
    assert len(chart.bars.x) == 5
    np.testing.assert_allclose(chart.line.y[-1], 38520 / H)


def test_layout_only_changes_do_not_touch_the_marks() -> None:
    m = small_map()
    chart = TimelineChart(m)
    cycle = CycleTimeChart(m)
    seen: list[str] = []
    chart.bars.observe(lambda change: seen.append(change["name"]), names=["x", "y"])
    cycle.bars.observe(lambda change: seen.append(change["name"]), names=["x", "y", "colors"])
    m.move("A", 120, 80)
    assert seen == []
    m.update("A", cycle_time="31 s")
    assert "y" in seen


def test_timeline_stays_readable_with_100_steps() -> None:
    m = long_map(100)
    chart = TimelineChart(m)
    count = len(chart.bars.x)
    assert count == 199
    assert len(set(chart.bars.x)) == count
    ticks = list(chart.x_axis.tick_values)
    assert 0 < len(ticks) <= 40
    assert ticks[0] == "Step 001"
    assert chart.x_axis.tick_rotate != 0
    # Wide enough for bars of about 18 px: the figure's box scrolls sideways.
    assert int(chart.figure.layout.min_width.removesuffix("px")) >= count * 18
    three = TimelineChart(small_map())
    assert three.x_axis.tick_values is None


def test_rotated_labels_end_at_their_tick_with_room_below_and_left() -> None:
    m = long_map(8)
    chart = TimelineChart(m)
    assert chart.x_axis.tick_rotate < 0
    # Centred rotated labels would cross their neighbours.
    assert chart.x_axis.tick_style == {"text-anchor": "end"}
    margin = dict(chart.figure.fig_margin)
    m.update("Step 001", name="Step one of the stream, renamed")
    longer = dict(chart.figure.fig_margin)
    # A longer label needs more room below it and, as the first label, to the left.
    assert longer["bottom"] > margin["bottom"]
    assert longer["left"] > margin["left"]
    # A short stream keeps its labels level and centred.
    short = ValueStreamMap("Short", demand=920, available_time="2 x 27600 s")
    short.add_process("Cut", cycle_time="20 s")
    short.add_process("Weld", cycle_time="30 s")
    level = TimelineChart(short)
    assert level.x_axis.tick_rotate == 0
    assert level.x_axis.tick_style == {"text-anchor": "middle"}


def test_labels_stay_unique_when_a_step_is_named_like_a_gap() -> None:
    m = small_map()
    m.update("A", name="inventory before B")
    chart = TimelineChart(m)
    assert len(set(chart.bars.x)) == len(chart.bars.x) == 5


# --------------------------------------------------------------------------- cycle time against takt


def test_cycle_chart_by_hand_and_after_edits() -> None:
    m = small_map()
    chart = CycleTimeChart(m)
    assert chart.unit == "s"
    assert list(chart.bars.x) == ["A", "B", "C"]
    # C/T per station, then the part lost to downtime: B is 90 / 0.75 = 120 s effective.
    np.testing.assert_allclose(chart.bars.y, [[30, 90, 45], [0, 30, 0]])
    np.testing.assert_allclose(chart.takt.y, [60, 60])
    assert chart.takt.visible
    # Two colours per bar (C/T, then uptime loss); B, the bottleneck, is red.
    assert chart.bars.colors == [
        *(COLORS["cycle"], COLORS["loss"]),
        *(COLORS["bottleneck"], COLORS["bottleneck_loss"]),
        *(COLORS["cycle"], COLORS["loss"]),
    ]
    assert "vsm-chart-cycle" in chart.figure._dom_classes

    m.update("C", cycle_time="150 s")  # C: 150 s > takt, and now the slowest
    np.testing.assert_allclose(chart.bars.y, [[30, 90, 150], [0, 30, 0]])
    assert chart.bars.colors[2:4] == [COLORS["over_takt"], COLORS["over_takt_loss"]]
    assert chart.bars.colors[4:6] == [COLORS["bottleneck"], COLORS["bottleneck_loss"]]

    m.update("B", parallel=2)  # 90 / 2 stations = 45 s per station; / 0.75 = 60 s effective
    np.testing.assert_allclose(chart.bars.y[:, 1], [45, 15])

    m.update("customer", demand=None)  # no demand: no takt to draw
    assert not chart.takt.visible


# --------------------------------------------------------------------------- where the time goes


def test_breakdown_by_value_class_and_waste_by_hand() -> None:
    m = small_map()
    m.update("A", value_class="value-adding")
    m.update("B", value_class="necessary")
    m.update("C", value_class="waste", waste="overprocessing")
    chart = TimeBreakdownChart(m)
    # value-adding A 30 s; necessary B 90 s; waste C 3,600 s; waiting 27,600 + 7,200 s.
    assert list(chart.class_bars.x) == ["value-adding", "necessary", "waste", "unclassified", "waiting"]
    np.testing.assert_allclose(chart.class_bars.y, np.array([30, 90, 3600, 0, 34800]) / H)
    waste = dict(zip(chart.waste_bars.x, chart.waste_bars.y, strict=True))
    # An untagged inventory counts as inventory waste, an untagged wait as waiting.
    assert waste["inventory"] == pytest.approx(27600 / H)
    assert waste["waiting"] == pytest.approx(7200 / H)
    assert waste["overprocessing"] == pytest.approx(3600 / H)
    assert waste["transport"] == 0
    m.update("C", value_class="value-adding")
    np.testing.assert_allclose(chart.class_bars.y[:3], np.array([30 + 3600, 90, 0]) / H)
    assert dict(zip(chart.waste_bars.x, chart.waste_bars.y, strict=True))["overprocessing"] == 0
    assert {"vsm-chart-value-class"} <= set(chart.class_figure._dom_classes)
    assert "vsm-chart-waste" in chart.waste_figure._dom_classes


# --------------------------------------------------------------------------- selection


def test_selection_links_bars_both_ways() -> None:
    m = small_map()
    timeline, cycle, breakdown = TimelineChart(m), CycleTimeChart(m), TimeBreakdownChart(m)
    links = link_selection(timeline, cycle, breakdown)
    b = m.get("B").id
    cycle.bars.selected = np.array([1])  # a click on B's bar, as the front end sends it
    assert timeline.selection == [b] == cycle.selection == breakdown.selection
    assert list(timeline.bars.selected) == [2]
    assert list(breakdown.class_bars.selected) == [3]  # B is unclassified
    breakdown.class_bars.selected = np.array([4])  # "waiting": every gap
    gaps = [g.id for g in m.gaps]
    assert cycle.selection == gaps
    assert list(timeline.bars.selected) == [1, 3]
    assert cycle.bars.selected is None  # no step is a gap
    timeline.bars.selected = None  # a click on the figure's background
    assert cycle.selection == []
    assert breakdown.class_bars.selected is None
    cycle.selection = [b]
    timeline.selection = []
    assert timeline.bars.selected is None
    assert breakdown.class_bars.selected is None
    for link in links:
        link.unlink()


def test_selection_follows_edits_that_move_bars() -> None:
    m = small_map()
    cycle = CycleTimeChart(m)
    c = m.get("C").id
    cycle.selection = [c]
    assert list(cycle.bars.selected) == [2]
    m.reorder("C", 0)
    assert list(cycle.bars.x) == ["C", "A", "B"]
    assert list(cycle.bars.selected) == [0]


# --------------------------------------------------------------------------- errors and lifetime


class _Failing(CycleTimeChart):
    """A chart whose update breaks after it was first drawn (to see the error surface)."""

    broken = False

    def _update(self, state, metrics):  # type: ignore[no-untyped-def]
        if self.broken:
            raise RuntimeError("cannot draw")
        super()._update(state, metrics)


def test_observer_errors_are_shown_and_raised() -> None:
    m = small_map()
    chart = _Failing(m)
    chart.broken = True
    with pytest.raises(RuntimeError, match="cannot draw"):
        m.update("A", cycle_time="20 s")
    assert "cannot draw" in chart.last_error
    assert chart._error_label.layout.display is None  # visible
    assert m.get("A").cycle_time == 20  # the edit itself went through
    chart.broken = False
    m.update("A", cycle_time="25 s")
    assert chart.last_error == ""
    assert chart._error_label.layout.display == "none"


def test_closed_charts_stop_following_the_map() -> None:
    m = small_map()
    chart = TimelineChart(m)
    before = chart.bars.y.copy()
    chart.close()
    m.update("A", cycle_time="1 h")
    np.testing.assert_allclose(chart.bars.y, before)


def test_charts_refuse_what_is_not_a_map() -> None:
    with pytest.raises(TypeError, match="takes a ValueStreamMap"):
        TimelineChart({"title": "x"})  # type: ignore[arg-type]
