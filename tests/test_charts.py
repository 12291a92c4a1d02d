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

from vsm_widget import ValueStreamMap, exponential
from vsm_widget.jupyter.charts import (
    BREAKDOWN_CLASSES,
    COLORS,
    HISTOGRAM_BINS,
    QUEUE_ROLES,
    VIEW_CSS,
    CycleTimeChart,
    LeadTimeHistogram,
    QueueChart,
    TimeBreakdownChart,
    TimelineChart,
    link_selection,
    role_color,
)
from vsm_widget.presentation.palette import PALETTES, ROLES, STYLES
from vsm_widget.simulation import simulate

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


def test_timeline_marks_hold_the_ladder_by_hand_in_its_two_units() -> None:
    m = small_map()
    chart = TimelineChart(m)
    # Lead time 30 + 27,600 + 90 + 7,200 + 3,600 = 38,520 s: under a working day of
    # 55,200 s and not a whole number of hours (10.7 h), so hours; the process time,
    # 30 + 90 + 45 = 165 s, is under 10 minutes, so seconds.
    assert (chart.lead_unit, chart.process_unit) == ("h", "s")
    assert chart.labels == ["A", "inventory before B", "B", "wait before C", "C"]
    # Upper rungs: the waits, in hours.
    assert list(chart.wait_bars.x) == ["inventory before B", "wait before C"]
    np.testing.assert_allclose(chart.wait_bars.y, np.array([27600, 7200]) / H)
    # Lower rungs: the steps' process times, in seconds.
    assert list(chart.step_bars.x) == ["A", "B", "C"]
    np.testing.assert_allclose(chart.step_bars.y, [30, 90, 45])
    # C's own lead time of 1 h is longer than its 45 s of work: it shows behind, whole.
    assert list(chart.queue_bars.x) == ["C"]
    np.testing.assert_allclose(chart.queue_bars.y, [3600])
    np.testing.assert_allclose(chart.line.y, np.array([30, 27630, 27720, 34920, 38520]) / H)
    assert list(chart.total_label.text) == ["lead time 10.7 h"]  # 38,520 / 3,600 = 10.7
    assert "vsm-chart-timeline" in chart.figure._dom_classes
    assert chart.wait_axis.label == "waits, cumulative lead time (h)"
    assert chart.step_axis.label == "step times (s)"
    assert chart.wait_bars.tooltip.labels == ["gap", "wait (h)"]
    assert chart.step_bars.tooltip.labels == ["step", "process time (s)"]
    assert chart.figure.title == (
        "Lead-time ladder: lead time 10.7 h, process time 165 s, efficiency 0.428%"  # 165 / 38,520
    )


def _zero_from_top(scale) -> float:  # type: ignore[no-untyped-def]
    """Where 0 sits on a scale, as a share of the plot's height from the top."""
    share = -scale.min / (scale.max - scale.min)
    return share if scale.reverse else 1 - share


def test_timeline_levels_meet_at_one_middle_line_with_round_ticks() -> None:
    chart = TimelineChart(small_map())
    # Waits grow up from the middle line, step times down from it: 0 at the same height.
    assert chart.step_scale.reverse
    assert not chart.wait_scale.reverse
    assert _zero_from_top(chart.wait_scale) == pytest.approx(_zero_from_top(chart.step_scale))
    assert 0.4 < _zero_from_top(chart.wait_scale) < 0.8
    # Room above the lead time (10.7 h) and below the longest step time (3,600 s).
    assert chart.wait_scale.max >= 38520 / H
    assert chart.step_scale.max >= 3600
    for axis, scale in ((chart.wait_axis, chart.wait_scale), (chart.step_axis, chart.step_scale)):
        ticks = list(axis.tick_values)
        assert ticks[0] == 0
        assert all(0 <= t <= scale.max for t in ticks)
        steps = set(np.round(np.diff(ticks), 9))
        assert len(steps) == 1
        assert len(ticks) >= 3


def test_the_ladder_chart_reads_like_the_canvas() -> None:
    m = ValueStreamMap.template("stamping_plant")
    chart = TimelineChart(m)
    # Learning to See: 21,730 parts waiting at 60 s of demand each, and 1 + 39 + 46 + 62 +
    # 40 s of work: 1,303,988 s = 23.6 working days of 55,200 s, and 188 s.
    assert chart.line.y[-1] == pytest.approx(1_303_988 / 55_200)
    assert chart.wait_axis.label == "waits, cumulative lead time (working days)"
    np.testing.assert_allclose(chart.step_bars.y, [1, 39, 46, 62, 40])
    assert list(chart.total_label.text) == ["lead time 23.6 d"]
    canvas = [text for node in m.editor().scene["nodes"] for text in _texts(node)]
    assert "23.6 d" in canvas
    assert "188 s" in canvas
    assert "46 s" in canvas


def _texts(shape: dict) -> list[str]:
    """Every text of a scene node or shape, as the canvas draws it."""
    found = [span[2] for span in shape["spans"]] if "spans" in shape else []
    if shape.get("t") == "text" and "text" in shape:
        found.append(shape["text"])
    for kid in (*shape.get("shapes", ()), *shape.get("kids", ())):
        found += _texts(kid)
    return found


def test_timeline_updates_in_place_after_an_edit() -> None:
    m = small_map()
    chart = TimelineChart(m)
    figure, bars, line, marks = chart.figure, chart.step_bars, chart.line, list(chart.figure.marks)
    m.update("B", cycle_time="45 s")
    assert chart.figure is figure
    assert chart.step_bars is bars
    assert chart.line is line
    assert list(chart.figure.marks) == marks
    np.testing.assert_allclose(chart.step_bars.y, [30, 45, 45])
    np.testing.assert_allclose(chart.line.y, np.array([30, 27630, 27675, 34875, 38475]) / H)
    # A wait longer than a working day (55,200 s) turns the lead unit into working days.
    m.update(m.gaps[1].id, wait_time="2 d")
    assert chart.lead_unit == "d"
    np.testing.assert_allclose(chart.line.y[-1], (30 + 27600 + 45 + 2 * 55200 + 3600) / 55200)
    assert chart.wait_axis.label == "waits, cumulative lead time (working days)"
    assert chart.process_unit == "s"


def test_timeline_follows_removal_and_undo() -> None:
    m = small_map()
    chart = TimelineChart(m)
    m.remove("B")  # takes the inventory before B with it: two gaps may not stand side by side
    assert chart.labels == ["A", "wait before C", "C"]
    assert list(chart.step_bars.x) == ["A", "C"]
    np.testing.assert_allclose(chart.line.y, np.array([30, 7230, 10830]) / H)
    m.undo()
    assert len(chart.labels) == 5
    np.testing.assert_allclose(chart.line.y[-1], 38520 / H)


def test_layout_only_changes_do_not_touch_the_marks() -> None:
    m = small_map()
    chart = TimelineChart(m)
    cycle = CycleTimeChart(m)
    seen: list[str] = []
    chart.step_bars.observe(lambda change: seen.append(change["name"]), names=["x", "y"])
    cycle.bars.observe(lambda change: seen.append(change["name"]), names=["x", "y", "colors"])
    m.move("A", 120, 80)
    assert seen == []
    m.update("A", cycle_time="31 s")
    assert "y" in seen


def test_timeline_stays_readable_with_100_steps() -> None:
    m = long_map(100)
    chart = TimelineChart(m)
    count = len(chart.line.x)
    assert count == 199
    assert len(set(chart.labels)) == count
    assert list(chart.x_scale.domain) == chart.labels
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
    assert len(set(chart.labels)) == len(chart.labels) == 5


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
    assert list(chart.takt_label.text) == ["takt 60 s"]
    np.testing.assert_allclose(chart.takt_label.y, [60])
    assert chart.y_axis.label == "effective cycle time (s)"
    # B is over takt (120 s > 60 s) and the bottleneck: filled in the bottleneck's colour,
    # outlined as over takt, and labelled.
    assert chart.bars.colors[2:4] == [COLORS["bottleneck"]] * 2
    assert chart.bars.colors[0:2] == chart.bars.colors[4:6] == [COLORS["cycle"]] * 2
    np.testing.assert_allclose(chart.outline.y, [0, 120, 0])
    assert list(chart.mark_label.text) == ["Bottleneck"]
    assert list(chart.mark_label.x) == ["B"]
    np.testing.assert_allclose(chart.mark_label.y, [120])
    assert "vsm-chart-cycle" in chart.figure._dom_classes

    m.update("C", cycle_time="150 s")  # C: 150 s > takt, and now the slowest
    np.testing.assert_allclose(chart.bars.y, [[30, 90, 150], [0, 30, 0]])
    assert chart.bars.colors[2:4] == [COLORS["over_takt"]] * 2
    assert chart.bars.colors[4:6] == [COLORS["bottleneck"]] * 2
    np.testing.assert_allclose(chart.outline.y, [0, 120, 150])
    assert list(chart.mark_label.x) == ["C"]
    # Over takt but not the bottleneck: paler than a step within takt, as well as outlined.
    assert chart.bars.opacities[2] < chart.bars.opacities[0]
    assert chart.bars.opacities[4] == chart.bars.opacities[0]

    m.update("B", parallel=2)  # 90 / 2 stations = 45 s per station; / 0.75 = 60 s effective
    np.testing.assert_allclose(chart.bars.y[:, 1], [45, 15])
    np.testing.assert_allclose(chart.outline.y, [0, 0, 150])  # 60 s is not over takt

    m.update("customer", demand=None)  # no demand: no takt to draw or name
    assert not chart.takt.visible
    assert list(chart.takt_label.text) == []


def test_the_bottleneck_label_clears_the_takt_line() -> None:
    m = ValueStreamMap.template("stamping_plant")
    chart = CycleTimeChart(m)
    np.testing.assert_allclose(chart.mark_label.y, [62])  # Assembly #1, over takt: on its bar
    m.update("Assembly #1", cycle_time="55 s")
    # S. Weld #2 (46 s / 80% = 57.5 s) ends just under takt (60 s): its label goes over the line.
    assert list(chart.mark_label.x) == ["S. Weld #2"]
    np.testing.assert_allclose(chart.mark_label.y, [60])
    m.update("S. Weld #2", cycle_time="30 s")  # 37.5 s
    m.update("Assembly #1", cycle_time="45 s")  # the bottleneck, well under takt: on its bar
    assert list(chart.mark_label.x) == ["Assembly #1"]
    np.testing.assert_allclose(chart.mark_label.y, [45])


def test_cycle_axis_and_takt_read_in_the_unit_that_suits_them() -> None:
    m = ValueStreamMap("Quotes", demand=40, period="week", working_days=5, available_time="7.5 h")
    m.add_process("Review", cycle_time="45 min")
    m.add_process("Send", cycle_time="5 min")
    chart = CycleTimeChart(m)
    # Takt 5 x 7.5 h / 40 = 3,375 s = 56.25 min: the largest value, in minutes.
    assert chart.unit == "min"
    np.testing.assert_allclose(chart.takt.y, [56.25, 56.25])
    assert list(chart.takt_label.text) == ["takt 56.2 min"]
    np.testing.assert_allclose(chart.bars.y[0], [45, 5])
    assert chart.y_axis.label == "effective cycle time (min)"


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


def test_breakdown_reads_in_the_lead_unit() -> None:
    m = small_map()
    m.update(m.gaps[0].id, quantity=4600)  # 4,600 / 920 = 5 working days of 55,200 s
    chart = TimeBreakdownChart(m)
    assert chart.unit == "d"
    waiting = dict(zip(chart.class_bars.x, chart.class_bars.y, strict=True))["waiting"]
    assert waiting == pytest.approx((5 * 55200 + 7200) / 55200)
    assert chart.class_axis.label == "time (working days)"
    assert chart.class_bars.tooltip.labels == ["class", "time (working days)"]


# --------------------------------------------------------------------------- colours


def _role(style: str, prop: str) -> str:
    """The palette role the canvas paints ``prop`` of a class with (``"$warn"`` -> ``"warn"``)."""
    value = STYLES[style][prop]
    assert value.startswith("$")
    return value[1:]


def test_chart_colours_are_the_canvas_roles() -> None:
    assert role_color("warn") == f"var(--vsm-c-warn, {PALETTES['light']['warn']})"
    # Value classes as the canvas's strips on the process boxes; over takt and the
    # bottleneck as the canvas's marks ("Over takt" outlined, "Bottleneck" filled).
    for value_class in ("value-adding", "necessary", "waste"):
        assert COLORS[value_class] == role_color(_role(f"vsm-strip-{value_class}", "fill"))
    assert COLORS["over_takt"] == role_color(_role("vsm-badge-over", "stroke"))
    assert COLORS["bottleneck"] == role_color(_role("vsm-badge-bottleneck", "fill"))
    assert COLORS["over_takt"] != COLORS["bottleneck"]
    m = small_map()
    m.update("A", value_class="value-adding")
    m.update("B", value_class="necessary")
    m.update("C", value_class="waste")
    breakdown, timeline = TimeBreakdownChart(m), TimelineChart(m)
    assert breakdown.class_bars.colors == [COLORS[key] for key in BREAKDOWN_CLASSES]
    assert timeline.step_bars.colors == [COLORS["value-adding"], COLORS["necessary"], COLORS["waste"]]


def test_every_view_carries_the_palette_for_light_and_dark() -> None:
    light, dark = VIEW_CSS.split('body[data-jp-theme-light="false"]')[:2]
    for role in ROLES:
        assert f"--vsm-c-{role}: {PALETTES['light'][role]};" in light
        assert f"--vsm-c-{role}: {PALETTES['dark'][role]};" in dark.split("}")[0]
    chart = CycleTimeChart(small_map())
    style = chart.children[0]
    assert VIEW_CSS in style.value
    assert "<style>" in style.value


# --------------------------------------------------------------------------- selection


def test_selection_links_bars_both_ways() -> None:
    m = small_map()
    timeline, cycle, breakdown = TimelineChart(m), CycleTimeChart(m), TimeBreakdownChart(m)
    links = link_selection(timeline, cycle, breakdown)
    b = m.get("B").id
    cycle.bars.selected = np.array([1])  # a click on B's bar, as the front end sends it
    assert timeline.selection == [b] == cycle.selection == breakdown.selection
    assert list(timeline.step_bars.selected) == [1]  # the second step
    assert timeline.wait_bars.selected is None
    assert list(breakdown.class_bars.selected) == [3]  # B is unclassified
    breakdown.class_bars.selected = np.array([4])  # "waiting": every gap
    gaps = [g.id for g in m.gaps]
    assert cycle.selection == gaps
    assert list(timeline.wait_bars.selected) == [0, 1]
    assert timeline.step_bars.selected is None
    assert cycle.bars.selected is None  # no step is a gap
    timeline.wait_bars.selected = None  # a click on the figure's background
    assert cycle.selection == []
    assert breakdown.class_bars.selected is None
    timeline.queue_bars.selected = np.array([0])  # C's time on the ladder, behind its bar
    assert cycle.selection == [m.get("C").id]
    assert list(timeline.step_bars.selected) == [2]
    cycle.selection = [b]
    timeline.selection = []
    assert timeline.step_bars.selected is None
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
    before = chart.step_bars.y.copy()
    chart.close()
    m.update("A", cycle_time="1 h")
    np.testing.assert_allclose(chart.step_bars.y, before)


def test_charts_refuse_what_is_not_a_map() -> None:
    with pytest.raises(TypeError, match="takes a ValueStreamMap"):
        TimelineChart({"title": "x"})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- simulation charts


def simulated_line():
    """Takt 60 s (demand 60 a day of 3,600 s): A 20 s, a 10 min wait, B exponential 40 s."""
    m = ValueStreamMap("Sim", demand=60, available_time="3600 s")
    m.add_process("A", id="a", cycle_time=20)
    m.add_wait("10 min", id="w")
    m.add_process("B", id="b", cycle_time=40)
    return m, simulate(m, items=2000, seed=4, replications=3, durations={"b": exponential(40)})


def test_the_lead_time_histogram_follows_the_result() -> None:
    _, r = simulated_line()
    chart = LeadTimeHistogram(r)
    leads = r.lead_times.to_numpy()
    # Static lead time 20 + 600 + 40 = 660 s = 11 min: minutes, as the orders' lead times.
    assert r.static_lead_time == 660.0
    assert chart.unit == "min"
    # The bands run from 0 to the 99.5th percentile (or the static mark), in minutes; the
    # few beyond it fall in the last band.
    end = max(np.quantile(leads, 0.995), 660.0)
    counts = np.histogram(np.minimum(leads, end), bins=np.linspace(0, end, HISTOGRAM_BINS + 1))[0]
    assert chart.bars.y.tolist() == pytest.approx((counts / len(leads)).tolist())
    assert chart.bars.y.sum() == pytest.approx(1.0)
    assert chart.bars.x[0] == pytest.approx(end / HISTOGRAM_BINS / 2 / 60)
    # The static lead time is a labelled line at 11 min, written by the display rule.
    assert chart.static.visible
    assert chart.static.x.tolist() == [11.0, 11.0]
    assert chart.static_label.text.tolist() == ["static lead time 11 min"]
    p85 = np.quantile(leads, 0.85)
    assert chart.p85.x[0] == pytest.approx(p85 / 60)
    assert chart.p85_label.text[0] == f"85% within {r.display.duration(p85, 'min')}"
    assert chart.x_axis.label == "lead time (min, working time)"
    # Colours are the palette's roles.
    assert chart.bars.colors == [COLORS["simulated"]]
    assert chart.static.colors == [role_color("fg1")]
    # Another result redraws the same marks.
    bars = chart.bars
    other_m = ValueStreamMap("Slow", demand=60, available_time="3600 s")
    other_m.add_process("A", id="a", cycle_time=50)
    slow = simulate(other_m, items=500, seed=1, arrivals="takt", replications=1)
    chart.show(slow)
    assert chart.bars is bars
    # Every order takes exactly 50 s: one band holds them all, and the unit is seconds.
    assert chart.unit == "s"
    assert sorted(chart.bars.y.tolist())[-1] == pytest.approx(1.0)
    assert chart.static_label.text.tolist() == ["static lead time 50 s"]
    # Stock counted on the map (600 units = 10 days of demand) is not simulated: the static
    # lead time lies far beyond every order's, so it stands at the right edge, pointing on.
    other_m.add_inventory(600, at=0)
    stocked = simulate(other_m, items=500, seed=1, arrivals="takt", replications=1)
    chart.show(stocked)
    assert stocked.static_lead_time == 10 * 3600 + 50
    assert chart.static_label.text.tolist() == ["static lead time 10 d →"]
    assert chart.unit == "s"
    assert chart.static.x[0] == pytest.approx(chart.x_scale.max)


def test_the_queue_chart_draws_a_line_per_gap() -> None:
    m, r = simulated_line()
    m.add_inventory(0, id="out")
    r = simulate(m, items=2000, seed=4, replications=1, durations={"b": exponential(40)})
    chart = QueueChart(r)
    assert chart.names == ["wait before B", "inventory to ship"]
    frame = r.queue_frame(QueueChart.POINTS)
    assert chart.lines.y.shape == (2, QueueChart.POINTS)
    assert chart.lines.y[0].tolist() == frame["w"].tolist()
    # The wait holds 10 min x one order a minute on average: about 10 items.
    assert 8 < chart.lines.y[0].mean() < 12
    assert chart.lines.labels == ["wait before B", "inventory to ship"]
    assert chart.lines.colors == [role_color(QUEUE_ROLES[0]), role_color(QUEUE_ROLES[1])]
    # 2,000 orders a minute apart: about 33 working days of 1 h, so the axis reads in days.
    assert chart.unit == "d"
    assert chart.x_scale.max == pytest.approx(frame.index[-1] / 3600)
