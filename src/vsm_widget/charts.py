"""bqplot charts bound to a value stream map: they follow every edit and share a selection.

Each chart is an ipywidgets ``VBox`` made from a map (``TimelineChart(m)``) and is
displayable on its own. Every chart keeps its bqplot marks and changes only their data
(x, y, colours, labels) under ``hold_sync`` when the map changes, so a notebook page
never rebuilds a figure. Layout-only changes (a box dragged on the canvas) are ignored.

Selection: every view has a ``selection`` trait holding element ids, the same ids as
:attr:`vsm_widget.widget.MapWidget.selection`. Clicking a bar selects its elements;
setting ``selection`` highlights the bars. :func:`link_selection` ties several views
(and a canvas) together, which is what :class:`vsm_widget.dashboard.Dashboard` does.

All numbers come from :mod:`vsm_widget.metrics`; the charts only convert seconds to the
unit they display.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets
import numpy as np
import traitlets

with warnings.catch_warnings():
    # bqscales (bqplot's scales) passes trait metadata the pre-4.1 way, which traitlets 5
    # reports on import; it is harmless, and it must not fail runs with warnings as errors.
    warnings.filterwarnings(
        "ignore", message="metadata .* was set from the constructor", category=DeprecationWarning
    )
    import bqplot

from . import units
from .metrics import Metrics
from .model import VALUE_CLASSES, WASTE_TYPES, Change, Gap, MapState, Process, ValueStreamMap

__all__ = [
    "COLORS",
    "BREAKDOWN_CLASSES",
    "CycleTimeChart",
    "MapView",
    "TimeBreakdownChart",
    "TimelineChart",
    "axis_unit",
    "link_selection",
    "unit_name",
]

_log = logging.getLogger(__name__)

#: Colours the charts use, by meaning (colour-blind safe where it matters: Okabe-Ito).
COLORS: dict[str, str] = {
    "process": "#009E73",
    "waiting": "#E69F00",
    "cumulative": "#0072B2",
    "cycle": "#56B4E9",
    "loss": "#B8DFF5",
    "over_takt": "#E69F00",
    "over_takt_loss": "#F5D38A",
    "bottleneck": "#D55E00",
    "bottleneck_loss": "#F0B08A",
    "takt": "#CC0000",
    "value-adding": "#009E73",
    "necessary": "#56B4E9",
    "waste": "#D55E00",
    "unclassified": "#999999",
    "waste_type": "#CC79A7",
}

#: The categories of the "where the time goes" chart by value class, in display order.
BREAKDOWN_CLASSES: tuple[str, ...] = (*VALUE_CLASSES, "unclassified", "waiting")

_UNIT_NAMES = {"s": "s", "min": "min", "h": "h"}
# Above this many labels an axis shows only every k-th label (and the figure scrolls).
_MAX_LABELS = 40
_PX_PER_ITEM = 18
_MIN_WIDTH = 520


def axis_unit(seconds: float, day: float) -> str:
    """The unit a chart whose largest value is ``seconds`` reads best in.

    ``"s"`` up to 5 minutes, ``"min"`` up to 2 hours, ``"h"`` below one lead-time day
    (``day`` seconds), else ``"d"``.
    """
    if not math.isfinite(seconds) or seconds <= 300:
        return "s"
    if seconds <= 7200:
        return "min"
    if seconds < day:
        return "h"
    return "d"


def unit_name(unit: str, day_basis: str = "working") -> str:
    """How a unit is written on an axis: ``"d"`` is a working (or calendar) day."""
    if unit == "d":
        return "working days" if day_basis == "working" else "days"
    return _UNIT_NAMES.get(unit, unit)


def _in_unit(seconds: float | None, unit: str, day: float) -> float:
    """Seconds in ``unit``; unknown or infinite times draw as zero (metrics warn about them)."""
    if seconds is None or not math.isfinite(seconds):
        return 0.0
    return units.to_unit(seconds, unit, day=day)


_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _headroom(largest: float, factor: float = 1.3) -> float | None:
    """A y-scale maximum that leaves the top of the plot free for the legend
    (``None``: automatic).

    Rounded up to a round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of
    ten): the axis reads better, and a small edit leaves the scale as it was, so the
    browser redraws the changed bars only, not every mark and axis on the scale.
    """
    if not (math.isfinite(largest) and largest > 0):
        return None
    wanted = largest * factor
    power = 10.0 ** math.floor(math.log10(wanted))
    return next(step * power for step in _NICE_STEPS if step * power >= wanted * (1 - 1e-12))


def _short(label: str, limit: int = 28) -> str:
    """A category label cut to ``limit`` characters, so rotated labels stay in the figure."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _unique(labels: Sequence[str], ids: Sequence[str]) -> list[str]:
    """Labels shortened, and made unique (an ordinal axis needs distinct values) by
    adding the id where two are the same.
    """
    seen: set[str] = set()
    out: list[str] = []
    for label, element_id in zip(labels, ids, strict=True):
        short = _short(label)
        text = short if short not in seen else f"{_short(label, 20)} ({element_id})"
        seen.add(text)
        out.append(text)
    return out


def _gap_label(gap: Gap, following: Process | None) -> str:
    kind = "inventory" if gap.quantity is not None else "wait"
    return f"{kind} before {following.name}" if following is not None else f"{kind} {gap.id}"


def link_selection(first: Any, *others: Any) -> list[traitlets.link]:
    """Keep the ``selection`` trait of every view (charts, cards, canvas) the same.

    Returns the links; call ``.unlink()`` on them to undo. Selecting on any view then
    selects on all, since every link goes through ``first``.
    """
    return [traitlets.link((first, "selection"), (other, "selection")) for other in others]


class MapView(ipywidgets.VBox):
    """Base of the cards and charts: bound to one map, redrawn in place after each edit.

    Subclasses build their widgets once in :meth:`_build` and write the new figures into
    them in :meth:`_update`. An error while updating is shown in the view (and logged)
    and then raised again, so the edit that caused it reports it too.
    """

    #: Ids of the selected elements (same ids as the canvas's ``selection``).
    selection = traitlets.List(traitlets.Unicode())
    #: The last error raised while following the map, as text; ``""`` when all is well.
    last_error = traitlets.Unicode("")

    def __init__(self, map: ValueStreamMap, **kwargs: Any) -> None:
        self._unobserve: Callable[[], None] | None = None
        self._built = False
        if not isinstance(map, ValueStreamMap):
            raise TypeError(f"{type(self).__name__}() takes a ValueStreamMap, not {type(map).__name__}")
        self._map = map
        self._syncing = False
        self._error_label = ipywidgets.Label(layout=ipywidgets.Layout(display="none"))
        self._error_label.add_class("vsm-view-error")
        body = self._build()
        self._built = True
        super().__init__(children=[*body, self._error_label], **kwargs)
        self.add_class("vsm-view")
        self.refresh()
        self._unobserve = map.observe(self._on_change)
        self.observe(self._on_selection, names="selection")

    @property
    def map(self) -> ValueStreamMap:
        """The map this view follows."""
        return self._map

    def refresh(self) -> None:
        """Redraw from the map's current metrics (normally automatic after each edit)."""
        syncing, self._syncing = self._syncing, True
        try:
            self._update(self._map.state, self._map.metrics())
            self._show_selection()
        finally:
            self._syncing = syncing

    def close(self) -> None:
        """Stop following the map and close the view's widgets."""
        # Also runs from __del__, possibly on a view whose __init__ failed half-way.
        unobserve = getattr(self, "_unobserve", None)
        if unobserve is not None:
            unobserve()
            self._unobserve = None
        if getattr(self, "_built", False):
            for child in self._owned():
                child.close()
        super().close()

    # ----------------------------------------------------------------- for subclasses

    def _build(self) -> list[ipywidgets.Widget]:
        raise NotImplementedError

    def _update(self, state: MapState, metrics: Metrics) -> None:
        raise NotImplementedError

    def _owned(self) -> list[ipywidgets.Widget]:
        """Widgets made by this view, closed with it."""
        return [self._error_label]

    def _show_selection(self) -> None:
        """Show :attr:`selection` on the marks (called with ``_syncing`` set)."""

    def _select_from_marks(self, ids: list[str]) -> None:
        """A user clicked marks: make their elements the selection."""
        if not self._syncing:
            self.selection = ids

    # ----------------------------------------------------------------- internals

    def _on_selection(self, change: dict[str, Any]) -> None:
        self._syncing = True
        try:
            self._show_selection()
        finally:
            self._syncing = False

    def _on_change(self, change: Change) -> None:
        if change.layout_only:
            return
        try:
            self.refresh()
        except Exception as error:
            # Observer errors vanish in a kernel's log unless shown: show them here and
            # re-raise so that the map's edit reports them as well.
            text = f"{type(self).__name__} could not update: {type(error).__name__}: {error}"
            _log.exception("vsm_widget: %s", text)
            self.last_error = text
            self._error_label.value = text
            self._error_label.layout.display = None
            raise
        if self.last_error:
            self.last_error = ""
            self._error_label.value = ""
            self._error_label.layout.display = "none"


class _BarView(MapView):
    """A view whose bars stand for groups of map elements (for selection)."""

    _groups: list[tuple[str, ...]]

    def _watch(self, bars: bqplot.Bars, groups: Callable[[], list[tuple[str, ...]]]) -> None:
        def clicked(change: dict[str, Any]) -> None:
            if self._syncing:
                return
            # bqplot sets None when the user clicks the figure's background: deselect.
            chosen = [] if change["new"] is None else change["new"]
            members = groups()
            ids = [i for index in chosen if 0 <= int(index) < len(members) for i in members[int(index)]]
            self._select_from_marks(list(dict.fromkeys(ids)))

        bars.observe(clicked, names="selected")

    @staticmethod
    def _mark_selection(bars: bqplot.Bars, groups: list[tuple[str, ...]], selection: Sequence[str]) -> None:
        wanted = set(selection)
        indices = [index for index, members in enumerate(groups) if wanted.intersection(members)]
        bars.selected = np.array(indices, dtype=int) if indices else None


def _bar_mark(
    xs: bqplot.OrdinalScale, ys: bqplot.LinearScale, tooltip: bqplot.Tooltip, **kwargs: Any
) -> bqplot.Bars:
    return bqplot.Bars(
        x=np.array([], dtype=str),
        y=np.array([], dtype=float),
        scales={"x": xs, "y": ys},
        tooltip=tooltip,
        interactions={"click": "select", "hover": "tooltip"},
        selected_style={"stroke": "#222", "stroke-width": 2},
        unselected_style={"opacity": 0.45},
        padding=0.15,
        **kwargs,
    )


#: Rotated category labels end at their tick, so that neighbours run side by side
#: instead of crossing (bqplot centres tick text by default).
_ROTATED_TICKS = {"text-anchor": "end"}
_LABEL_ANGLE = 40
#: Average width of a tick label character in pixels (11 px sans-serif).
_CHAR_PX = 5.8


def _size_axis(figure: bqplot.Figure, axis: bqplot.Axis, labels: list[str], plot_height: int) -> None:
    """Keep category labels readable from 3 to hundreds: rotate, thin out, and widen
    the figure (its box scrolls) so that bars keep a usable width. The margins follow
    the labels: room below for the longest, room on the left for the first; the figure
    grows by what the labels take, so the plot keeps ``plot_height`` pixels.
    """
    count = len(labels)
    longest = max((len(label) for label in labels), default=0)
    rotated = count > 6 or longest * count > 60
    axis.tick_rotate = -_LABEL_ANGLE if rotated else 0
    # bqplot applies only the keys it is given: say "middle" to undo an earlier "end".
    axis.tick_style = dict(_ROTATED_TICKS) if rotated else {"text-anchor": "middle"}
    step = max(1, math.ceil(count / _MAX_LABELS))
    shown = labels[::step]
    axis.tick_values = np.array(shown, dtype=str) if step > 1 else None
    width = max(_MIN_WIDTH, count * _PX_PER_ITEM + 120)
    figure.layout.min_width = f"{width}px"
    figure.layout.width = "100%"
    angle = math.radians(_LABEL_ANGLE)
    widest = max((len(label) for label in shown), default=0)
    below = 14 + round(widest * _CHAR_PX * math.sin(angle)) if rotated else 10
    first = len(shown[0]) if shown else 0
    left = max(70, round(first * _CHAR_PX * math.cos(angle)) - 10) if rotated else 70
    figure.fig_margin = {"top": 40, "bottom": 30 + below, "left": left, "right": 80}
    figure.layout.height = f"{plot_height + 40 + 30 + below}px"


def _scroll_box(figure: bqplot.Figure) -> ipywidgets.Box:
    return ipywidgets.Box([figure], layout=ipywidgets.Layout(overflow="auto hidden", width="100%"))


class _StreamChart(_BarView):
    """Bars along the stream on a time axis: one group of marks per element or step,
    a figure that grows with its labels and scrolls sideways on long streams.

    Subclasses make their marks on :meth:`_scales`' scales, then :meth:`_figure`.
    """

    #: Height of the plot itself in pixels; the figure adds its title and labels.
    PLOT_HEIGHT = 240
    bars: bqplot.Bars

    def _scales(self) -> bqplot.OrdinalScale:
        """Start empty; the x scale for the marks (the time scale is :attr:`y_scale`)."""
        self.unit = "s"
        self.labels: list[str] = []
        self.ids: list[str] = []
        self._groups = []
        self.y_scale = bqplot.LinearScale(min=0.0)
        return bqplot.OrdinalScale()

    def _figure(
        self,
        xs: bqplot.OrdinalScale,
        marks: list[bqplot.Mark],
        title: str,
        css_class: str,
        legend_location: str,
        extra_axes: Sequence[bqplot.Axis] = (),
    ) -> list[ipywidgets.Widget]:
        self.x_axis = bqplot.Axis(scale=xs, label="", grid_lines="none")
        self.y_axis = bqplot.Axis(scale=self.y_scale, side="left", label="time", grid_lines="dashed")
        self.figure = bqplot.Figure(
            marks=marks,
            axes=[self.x_axis, self.y_axis, *extra_axes],
            title=title,
            legend_location=legend_location,
            animation_duration=0,
            layout=ipywidgets.Layout(height=f"{self.PLOT_HEIGHT + 120}px"),
        )
        self.figure.add_class(css_class)
        self._watch(self.bars, lambda: self._groups)
        self._box = _scroll_box(self.figure)
        return [self._box]

    def _owned(self) -> list[ipywidgets.Widget]:
        return [*super()._owned(), self._box, self.figure]

    def _show_selection(self) -> None:
        self._mark_selection(self.bars, self._groups, self.selection)


# --------------------------------------------------------------------------- timeline


class TimelineChart(_StreamChart):
    """The lead-time ladder as a chart: each step and gap along the stream.

    Stacked bars show each element's process time (value-added time: the lower rung)
    and waiting time (a gap's wait, or a step's own lead time beyond its process time);
    a line with dots shows the cumulative lead time. All in one unit chosen from the
    total lead time (s, min, h or working days). Long streams thin their labels and
    scroll sideways.

    Marks: :attr:`bars` (``y[0]`` process time, ``y[1]`` waiting time),
    :attr:`line` and :attr:`dots` (cumulative lead time).
    """

    def _build(self) -> list[ipywidgets.Widget]:
        xs = self._scales()
        self.cumulative_scale = bqplot.LinearScale(min=0.0)
        tooltip = bqplot.Tooltip(fields=["x", "y"], labels=["element", "time"], formats=["", ".3~g"])
        self.bars = _bar_mark(
            xs,
            self.y_scale,
            tooltip,
            type="stacked",
            colors=[COLORS["process"], COLORS["waiting"]],
            labels=["process time", "waiting time"],
            display_legend=True,
        )
        self.line = bqplot.Lines(
            x=np.array([], dtype=str),
            y=np.array([], dtype=float),
            scales={"x": xs, "y": self.cumulative_scale},
            colors=[COLORS["cumulative"]],
            labels=["cumulative lead time"],
            display_legend=True,
            interactions={},
        )
        self.dots = bqplot.Scatter(
            x=np.array([], dtype=str),
            y=np.array([], dtype=float),
            scales={"x": xs, "y": self.cumulative_scale},
            colors=[COLORS["cumulative"]],
            default_size=24,
            tooltip=bqplot.Tooltip(fields=["x", "y"], labels=["up to", "cumulative"], formats=["", ".3~g"]),
            interactions={"hover": "tooltip"},
        )
        self.cumulative_axis = bqplot.Axis(
            scale=self.cumulative_scale,
            side="right",
            label="cumulative",
            grid_lines="none",
        )
        return self._figure(
            xs,
            [self.bars, self.line, self.dots],
            "Lead-time ladder",
            "vsm-chart-timeline",
            "top-left",
            [self.cumulative_axis],
        )

    def _update(self, state: MapState, metrics: Metrics) -> None:
        day = metrics.day_length
        unit = axis_unit(metrics.lead_time, day)
        gap_waits = {g.id: g.wait_time for g in metrics.gaps}
        step_figures = {s.id: s for s in metrics.steps}
        labels: list[str] = []
        ids: list[str] = []
        process: list[float] = []
        waiting: list[float] = []
        stream = state.stream
        for index, item in enumerate(stream):
            ids.append(item.id)
            if isinstance(item, Gap):
                following = next((s for s in stream[index + 1 :] if isinstance(s, Process)), None)
                labels.append(_gap_label(item, following))
                process.append(0.0)
                waiting.append(_in_unit(gap_waits[item.id], unit, day))
            else:
                figures = step_figures[item.id]
                labels.append(item.name)
                touch = figures.touch_time or 0.0
                own = figures.lead_time if figures.lead_time is not None else touch
                process.append(_in_unit(touch, unit, day))
                # A step's own lead time beyond its process time is queueing inside the step.
                waiting.append(_in_unit(max(own - touch, 0.0), unit, day))
        labels = _unique(labels, ids)
        cumulative = np.cumsum(np.add(process, waiting)) if labels else np.array([], dtype=float)
        x = np.array(labels, dtype=str)
        name = unit_name(unit, metrics.day_basis)
        self.unit, self.labels, self.ids = unit, labels, ids
        self._groups = [(i,) for i in ids]
        with self.figure.hold_sync(), self.bars.hold_sync(), self.line.hold_sync(), self.dots.hold_sync():
            self.bars.x = x
            self.bars.y = np.array([process, waiting], dtype=float) if labels else np.zeros((2, 0))
            self.line.x = x
            self.line.y = np.asarray(cumulative, dtype=float)
            self.dots.x = x
            self.dots.y = np.asarray(cumulative, dtype=float)
            # The legend takes three rows at the top left: keep that third of the plot free.
            self.y_scale.max = _headroom(max(np.add(process, waiting), default=0.0), 1.5)
            self.cumulative_scale.max = _headroom(float(cumulative[-1]) if labels else 0.0, 1.5)
            self.y_axis.label = f"time per element ({name})"
            self.cumulative_axis.label = f"cumulative lead time ({name})"
            self.bars.tooltip.labels = ["element", f"time ({name})"]
            self.dots.tooltip.labels = ["up to", f"cumulative ({name})"]
            lead = units.format_duration(metrics.lead_time, unit, day=day)
            share = units.format_ratio(metrics.efficiency)
            self.figure.title = f"Lead-time ladder: lead time {lead}, process time share {share}"
            _size_axis(self.figure, self.x_axis, labels, self.PLOT_HEIGHT)


# --------------------------------------------------------------------------- cycle time vs takt


class CycleTimeChart(_StreamChart):
    """Effective cycle time of every step against takt time (a line balance chart).

    One bar per step, stacked: C/T per station (C/T / parallel stations) and the time
    lost to downtime (effective C/T - C/T / parallel, where effective C/T = C/T /
    uptime / parallel). Steps over takt are orange, the bottleneck red; the red line is
    takt. The map holds no breakdown by operator or work element, so those are the
    only two stacks.

    Marks: :attr:`bars` (``y[0]`` C/T per station, ``y[1]`` uptime loss), :attr:`takt`.
    """

    PLOT_HEIGHT = 260

    def _build(self) -> list[ipywidgets.Widget]:
        xs = self._scales()
        tooltip = bqplot.Tooltip(fields=["x", "y"], labels=["step", "time"], formats=["", ".3~g"])
        self.bars = _bar_mark(
            xs,
            self.y_scale,
            tooltip,
            type="stacked",
            color_mode="no_group",
            colors=[COLORS["cycle"], COLORS["loss"]],
            labels=["C/T per station", "uptime loss"],
        )
        # Takt spans the whole width: its own 0..1 x scale, no axis.
        self.takt = bqplot.Lines(
            x=np.array([0.0, 1.0]),
            y=np.array([0.0, 0.0]),
            scales={"x": bqplot.LinearScale(min=0.0, max=1.0), "y": self.y_scale},
            colors=[COLORS["takt"]],
            line_style="dashed",
            stroke_width=2,
            labels=["takt"],
            display_legend=True,
            visible=False,
            interactions={},
        )
        return self._figure(
            xs, [self.bars, self.takt], "Cycle time against takt", "vsm-chart-cycle", "top-right"
        )

    def _update(self, state: MapState, metrics: Metrics) -> None:
        day = metrics.day_length
        steps = {s.id: s for s in state.steps}
        figures = metrics.steps
        finite = [f.effective_cycle_time for f in figures if f.effective_cycle_time is not None]
        largest = max([t for t in finite if math.isfinite(t)] + [metrics.takt_time or 0.0], default=0.0)
        unit = axis_unit(largest, day)
        base: list[float] = []
        loss: list[float] = []
        colors: list[str] = []
        for f in figures:
            step = steps[f.id]
            raw = step.cycle_time if step.cycle_time is not None else step.process_time
            per_station = None if raw is None else raw / step.parallel
            effective = f.effective_cycle_time
            base.append(_in_unit(per_station, unit, day))
            extra = 0.0 if effective is None or per_station is None else effective - per_station
            loss.append(_in_unit(extra, unit, day))
            kind = "bottleneck" if f.is_bottleneck else "over_takt" if f.over_takt else "cycle"
            colors += [COLORS[kind], COLORS["loss" if kind == "cycle" else f"{kind}_loss"]]
        ids = [f.id for f in figures]
        labels = _unique([f.name for f in figures], ids)
        self.unit, self.labels, self.ids = unit, labels, ids
        self._groups = [(i,) for i in ids]
        name = unit_name(unit, metrics.day_basis)
        takt = metrics.takt_time
        with self.figure.hold_sync(), self.bars.hold_sync(), self.takt.hold_sync():
            self.bars.x = np.array(labels, dtype=str)
            self.bars.y = np.array([base, loss], dtype=float) if labels else np.zeros((2, 0))
            self.bars.colors = colors or [COLORS["cycle"], COLORS["loss"]]
            self.bars.tooltip.labels = ["step", f"time ({name})"]
            self.y_axis.label = f"effective cycle time ({name})"
            self.takt.visible = takt is not None
            value = _in_unit(takt, unit, day)
            self.takt.y = np.array([value, value])
            self.y_scale.max = _headroom(
                max([b + x for b, x in zip(base, loss, strict=True)] + [value], default=0.0)
            )
            self.takt.labels = [f"takt {units.format_duration(takt, unit, day=day)}" if takt else "takt"]
            title = "Cycle time against takt"
            if metrics.bottleneck_name is not None:
                over = len(metrics.steps_over_takt)
                title += f": bottleneck {metrics.bottleneck_name}, {over} step{'s' * (over != 1)} over takt"
            self.figure.title = title
            _size_axis(self.figure, self.x_axis, labels, self.PLOT_HEIGHT)


# --------------------------------------------------------------------------- where the time goes


def _members(state: MapState) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Which elements put time into each value class and each waste type, following the
    rules of :func:`vsm_widget.metrics.compute` (a gap is waiting; an untagged gap is
    inventory or waiting waste; a value-adding step has no waste).
    """
    by_class: dict[str, list[str]] = {key: [] for key in BREAKDOWN_CLASSES}
    by_waste: dict[str, list[str]] = {key: [] for key in WASTE_TYPES}
    for item in state.stream:
        if isinstance(item, Gap):
            by_class["waiting"].append(item.id)
            tags = item.waste or (("inventory",) if item.quantity is not None else ("waiting",))
        else:
            by_class[item.value_class or "unclassified"].append(item.id)
            tags = item.waste if item.value_class != "value-adding" else ()
        for tag in tags:
            by_waste[tag].append(item.id)
    return by_class, by_waste


class TimeBreakdownChart(_BarView):
    """Where the time goes: lead time by value class and by waste type.

    Two bar charts from :attr:`Metrics.time_by_value_class` and
    :attr:`Metrics.time_by_waste`, in one unit chosen from the total lead time.
    Clicking a bar selects the steps and gaps behind it; selecting elements elsewhere
    highlights the bars they count in.

    Marks: :attr:`class_bars`, :attr:`waste_bars`; figures :attr:`class_figure`,
    :attr:`waste_figure`.
    """

    def _build(self) -> list[ipywidgets.Widget]:
        self.unit = "s"
        self._class_groups: list[tuple[str, ...]] = []
        self._waste_groups: list[tuple[str, ...]] = []
        self.class_scale = bqplot.LinearScale(min=0.0)
        self.waste_scale = bqplot.LinearScale(min=0.0)
        class_x = bqplot.OrdinalScale()
        waste_x = bqplot.OrdinalScale()
        self.class_bars = _bar_mark(
            class_x,
            self.class_scale,
            bqplot.Tooltip(fields=["x", "y"], labels=["class", "time"], formats=["", ".3~g"]),
            colors=[COLORS[key] if key != "waiting" else COLORS["waiting"] for key in BREAKDOWN_CLASSES],
        )
        self.waste_bars = _bar_mark(
            waste_x,
            self.waste_scale,
            bqplot.Tooltip(fields=["x", "y"], labels=["waste", "time"], formats=["", ".3~g"]),
            colors=[COLORS["waste_type"]],
        )
        self.class_axis = bqplot.Axis(scale=self.class_scale, side="left", label="time")
        self.waste_axis = bqplot.Axis(scale=self.waste_scale, side="left", label="time")
        self.class_figure = bqplot.Figure(
            marks=[self.class_bars],
            axes=[
                bqplot.Axis(scale=class_x, tick_rotate=-30, tick_style=dict(_ROTATED_TICKS)),
                self.class_axis,
            ],
            title="Lead time by value class",
            animation_duration=0,
            fig_margin={"top": 40, "bottom": 75, "left": 70, "right": 20},
            layout=ipywidgets.Layout(height="300px", width="48%", min_width="320px"),
        )
        self.waste_figure = bqplot.Figure(
            marks=[self.waste_bars],
            axes=[
                bqplot.Axis(scale=waste_x, tick_rotate=-30, tick_style=dict(_ROTATED_TICKS)),
                self.waste_axis,
            ],
            title="Time by waste type",
            animation_duration=0,
            fig_margin={"top": 40, "bottom": 75, "left": 70, "right": 20},
            layout=ipywidgets.Layout(height="300px", width="48%", min_width="320px"),
        )
        self.class_figure.add_class("vsm-chart-value-class")
        self.waste_figure.add_class("vsm-chart-waste")
        self._watch(self.class_bars, lambda: self._class_groups)
        self._watch(self.waste_bars, lambda: self._waste_groups)
        self._row = ipywidgets.HBox(
            [self.class_figure, self.waste_figure], layout=ipywidgets.Layout(flex_flow="row wrap")
        )
        return [self._row]

    @property
    def figures(self) -> tuple[bqplot.Figure, bqplot.Figure]:
        """The two figures: by value class, by waste type."""
        return self.class_figure, self.waste_figure

    def _owned(self) -> list[ipywidgets.Widget]:
        return [*super()._owned(), self._row, self.class_figure, self.waste_figure]

    def _update(self, state: MapState, metrics: Metrics) -> None:
        day = metrics.day_length
        unit = axis_unit(metrics.lead_time, day)
        name = unit_name(unit, metrics.day_basis)
        by_class, by_waste = _members(state)
        self.unit = unit
        self._class_groups = [tuple(by_class[key]) for key in BREAKDOWN_CLASSES]
        self._waste_groups = [tuple(by_waste[key]) for key in WASTE_TYPES]
        class_y = [
            _in_unit(metrics.time_by_value_class.get(key, 0.0), unit, day) for key in BREAKDOWN_CLASSES
        ]
        waste_y = [_in_unit(metrics.time_by_waste.get(key, 0.0), unit, day) for key in WASTE_TYPES]
        with self.class_bars.hold_sync(), self.waste_bars.hold_sync():
            self.class_bars.x = np.array(BREAKDOWN_CLASSES, dtype=str)
            self.class_bars.y = np.array(class_y, dtype=float)
            self.waste_bars.x = np.array(WASTE_TYPES, dtype=str)
            self.waste_bars.y = np.array(waste_y, dtype=float)
            self.class_axis.label = f"time ({name})"
            self.waste_axis.label = f"time ({name})"
            self.class_bars.tooltip.labels = ["class", f"time ({name})"]
            self.waste_bars.tooltip.labels = ["waste", f"time ({name})"]

    def _show_selection(self) -> None:
        self._mark_selection(self.class_bars, self._class_groups, self.selection)
        self._mark_selection(self.waste_bars, self._waste_groups, self.selection)
