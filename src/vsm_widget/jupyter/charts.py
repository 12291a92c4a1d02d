"""bqplot charts bound to a value stream map: they follow every edit and share a selection.

Each chart is an ipywidgets ``VBox`` made from a map (``TimelineChart(m)``) and is
displayable on its own. Every chart keeps its bqplot marks and changes only their data
(x, y, colours, labels) under ``hold_sync`` when the map changes, so a notebook page
never rebuilds a figure. Layout-only changes (a box dragged on the canvas) are ignored.

Selection: every view has a ``selection`` trait holding element ids, the same ids as
:attr:`vsm_widget.jupyter.widget.MapWidget.selection`. Clicking a bar selects its elements;
setting ``selection`` highlights the bars. :func:`link_selection` ties several views
(and a canvas) together, which is what :class:`vsm_widget.jupyter.dashboard.Dashboard` does.

All numbers come from :mod:`vsm_widget.core.metrics`, and every axis, tick, tooltip and label
reads through the map's display rule (:attr:`Metrics.display
<vsm_widget.core.metrics.Metrics.display>`): the ladder chart in the map's two ladder units
(waits and lead time in the lead unit, step times in the process unit), so a "23.6 d" on
the canvas is 23.6 on the chart's axis in working days. Colours are the palette's roles
(:mod:`vsm_widget.presentation.palette`), as on the canvas, light or dark with the page:
each mark's colour is the role's CSS variable, which every view's stylesheet sets for
the theme (and the light colour stands in where the stylesheet is missing).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, ClassVar

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

from ..core.display import Display, auto_unit
from ..core.metrics import Metrics
from ..core.model import VALUE_CLASSES, WASTE_TYPES, Change, Gap, Map, MapState, Process
from ..presentation.palette import PALETTES, ROLES

#: A :class:`vsm_widget.simulation.SimulationResult`: the simulation is a sibling layer,
#: not below this one, so the charts read its results by their attributes alone.
SimulationResult = Any

__all__ = [
    "BREAKDOWN_CLASSES",
    "COLORS",
    "QUEUE_ROLES",
    "CycleTimeChart",
    "LeadTimeHistogram",
    "LiveView",
    "QueueChart",
    "TimeBreakdownChart",
    "TimelineChart",
    "VIEW_CSS",
    "held",
    "link_selection",
    "role_color",
]

_log = logging.getLogger(__name__)


def role_color(role: str) -> str:
    """A palette role as a mark colour: the theme's CSS variable, else the light colour."""
    return f"var(--vsm-c-{role}, {PALETTES['light'][role]})"


#: The palette role of each thing the charts draw (the canvas's roles for the same things).
ROLE_OF: dict[str, str] = {
    "value-adding": "va-strong",
    "necessary": "nn-strong",
    "waste": "waste-strong",
    "unclassified": "line",
    "waiting": "accent",
    "cumulative": "fg1",
    "cycle": "accent",
    "over_takt": "warn",
    "bottleneck": "error",
    "takt": "fg1",
    "waste_type": "waste-strong",
    "current": "muted",
    "future": "accent",
    "text": "fg",
    "simulated": "accent",
    "static": "fg1",
    "p85": "warn",
}

#: Colours the charts use, by meaning: palette roles as CSS colours (see :func:`role_color`).
COLORS: dict[str, str] = {meaning: role_color(role) for meaning, role in ROLE_OF.items()}

#: The categories of the "where the time goes" chart by value class, in display order.
BREAKDOWN_CLASSES: tuple[str, ...] = (*VALUE_CLASSES, "unclassified", "waiting")


def _variables(palette: dict[str, str]) -> str:
    return " ".join(f"--vsm-c-{role}: {palette[role]};" for role in ROLES)


#: The views' stylesheet: the palette's roles as CSS variables for the page's theme
#: (JupyterLab's, else the system's), a halo under chart labels that cross bars, and the
#: dashed outline of steps over takt (the canvas's "Over takt" mark is a dashed outline).
VIEW_CSS = f"""
.vsm-view {{ {_variables(PALETTES["light"])} }}
body[data-jp-theme-light="false"] .vsm-view {{ {_variables(PALETTES["dark"])} }}
@media (prefers-color-scheme: dark) {{
  body:not([data-jp-theme-light]) .vsm-view {{ {_variables(PALETTES["dark"])} }}
}}
.vsm-view .bqplot text.label {{ paint-order: stroke; stroke: var(--vsm-c-bg, #ffffff);
  stroke-width: 3px; stroke-linejoin: round; }}
.vsm-view .vsm-chart-cycle rect.bar[style*="fill: none"] {{ stroke-dasharray: 5 3; }}
"""

#: How the charts write numbers in tooltips: three significant digits with thousands
#: separators, as the display rule writes them ("57.5", "0.0144", "188").
NUMBER_FORMAT = ",.3~r"
#: Above this many labels an axis shows only every k-th label (and the figure scrolls).
_MAX_LABELS = 40
_PX_PER_ITEM = 18
_MIN_WIDTH = 520


def _in_unit(seconds: float | None, unit: str, display: Display) -> float:
    """Seconds in ``unit``; unknown or infinite times draw as zero (metrics warn about them)."""
    if seconds is None or not math.isfinite(seconds):
        return 0.0
    return display.in_unit(seconds, unit)


def _unit_label(unit: str, display: Display) -> str:
    """How a unit is written on an axis: ``"d"`` says which day ("working days")."""
    return display.day_word() if unit == "d" else unit


_NICE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def _headroom(largest: float, factor: float = 1.3) -> float | None:
    """A scale maximum a little above ``largest`` (``None``: automatic).

    Rounded up to a round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of
    ten): the axis reads better, and a small edit leaves the scale as it was, so the
    browser redraws the changed bars only, not every mark and axis on the scale.
    """
    if not (math.isfinite(largest) and largest > 0):
        return None
    wanted = largest * factor
    power = 10.0 ** math.floor(math.log10(wanted))
    return next(step * power for step in _NICE_STEPS if step * power >= wanted * (1 - 1e-12))


def _ticks(top: float, count: int = 5) -> np.ndarray:
    """Round tick values from 0 up to ``top``: about ``count`` of them, 1, 2, 2.5 or 5 apart."""
    raw = top / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1.0, 2.0, 2.5, 5.0, 10.0) if s * power >= raw * (1 - 1e-12))
    return np.arange(0.0, top * (1 + 1e-9) + step / 2, step)[: int(top / step * (1 + 1e-9)) + 1]


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
    return f"{kind} before {following.name}" if following is not None else f"{kind} to ship"


def _assign(widget: ipywidgets.Widget, **lists: list[Any]) -> None:
    """Set list traits only where they differ: traitlets checks every item of a list it is
    given (a colour per bar is a pattern match per bar), even when the list is the same.
    """
    for name, value in lists.items():
        if getattr(widget, name) != value:
            setattr(widget, name, value)


@contextmanager
def held(*widgets: ipywidgets.Widget) -> Iterator[None]:
    """Hold the sync of several widgets: each sends what changed as one message at the end."""
    with ExitStack() as stack:
        for widget in widgets:
            stack.enter_context(widget.hold_sync())
        yield


def link_selection(first: Any, *others: Any) -> list[traitlets.link]:
    """Keep the ``selection`` trait of every view (charts, cards, canvas) the same.

    Returns the links; call ``.unlink()`` on them to undo. Selecting on any view then
    selects on all, since every link goes through ``first``.
    """
    return [traitlets.link((first, "selection"), (other, "selection")) for other in others]


class LiveView(ipywidgets.VBox):
    """Base of the cards and charts: bound to one map, redrawn in place after each edit.

    Subclasses build their widgets once in :meth:`_build` and write the new figures into
    them in :meth:`_update`. An error while updating is shown in the view (and logged)
    and then raised again, so the edit that caused it reports it too.
    """

    #: The view's stylesheet (constant CSS, no user text), carried by every view so that
    #: each one shown alone has its colours; subclasses add their own rules.
    CSS = VIEW_CSS
    #: Ids of the selected elements (same ids as the canvas's ``selection``).
    selection = traitlets.List(traitlets.Unicode())
    #: The last error raised while following the map, as text; ``""`` when all is well.
    last_error = traitlets.Unicode("")

    def __init__(self, map: Map, **kwargs: Any) -> None:
        self._unobserve: Callable[[], None] | None = None
        self._built = False
        if not isinstance(map, Map):
            raise TypeError(f"{type(self).__name__}() takes a ValueStreamMap, not {type(map).__name__}")
        self._map = map
        self._syncing = False
        self._error_label = ipywidgets.Label(layout=ipywidgets.Layout(display="none"))
        self._error_label.add_class("vsm-view-error")
        self._style = ipywidgets.HTML(
            f"<style>{self.CSS}</style>", layout=ipywidgets.Layout(height="0px", overflow="hidden")
        )
        body = self._build()
        self._built = True
        super().__init__(children=[self._style, *body, self._error_label], **kwargs)
        self.add_class("vsm-view")
        self.refresh()
        self._unobserve = map.observe(self._on_change)
        self.observe(self._on_selection, names="selection")

    @property
    def map(self) -> Map:
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
        return [self._style, self._error_label]

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


class _BarView(LiveView):
    """A view whose bars stand for groups of map elements (for selection)."""

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
        selected_style={"stroke": COLORS["text"], "stroke-width": 2},
        unselected_style={"opacity": 0.45},
        padding=0.15,
        **kwargs,
    )


def _tooltip(what: str, value: str) -> bqplot.Tooltip:
    return bqplot.Tooltip(fields=["x", "y"], labels=[what, value], formats=["", NUMBER_FORMAT])


def _label_mark(scales: dict[str, Any], color: str, align: str, **kwargs: Any) -> bqplot.Label:
    """Text placed in the plot at data coordinates (a chart's own annotation, never clipped)."""
    return bqplot.Label(
        x=np.array([], dtype=float),
        y=np.array([], dtype=float),
        text=np.array([], dtype=str),
        scales=scales,
        colors=[color],
        align=align,
        default_size=12,
        font_weight="normal",
        interactions={},
        **kwargs,
    )


#: Height of a chart label's text over its anchor, in pixels.
_LABEL_PX = 20
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


def _figure(
    marks: list[bqplot.Mark], axes: list[bqplot.Axis], title: str, css_class: str, **kwargs: Any
) -> bqplot.Figure:
    """A figure whose title and axes take the theme's text colours, as the canvas's do."""
    for axis in axes:
        axis.color = COLORS["text"]
        axis.label_color = COLORS["text"]
    figure = bqplot.Figure(
        marks=marks,
        axes=axes,
        title=title,
        title_style={"fill": COLORS["text"]},
        animation_duration=0,
        **kwargs,
    )
    figure.add_class(css_class)
    return figure


class _StreamChart(_BarView):
    """Bars along the stream: one category per element or step, a figure that grows
    with its labels and scrolls sideways on long streams.

    Subclasses make their marks on :attr:`x_scale`, then call :meth:`_figure`.
    """

    #: Height of the plot itself in pixels; the figure adds its title and labels.
    PLOT_HEIGHT = 240

    def _start(self) -> bqplot.OrdinalScale:
        """Start empty; the categories' scale, its domain set by every update."""
        self.labels: list[str] = []
        self.ids: list[str] = []
        self.x_scale = bqplot.OrdinalScale()
        return self.x_scale

    def _stream_figure(
        self, marks: list[bqplot.Mark], y_axes: list[bqplot.Axis], title: str, css_class: str
    ) -> list[ipywidgets.Widget]:
        self.x_axis = bqplot.Axis(scale=self.x_scale, label="", grid_lines="none")
        self.figure = _figure(
            marks,
            [self.x_axis, *y_axes],
            title,
            css_class,
            layout=ipywidgets.Layout(height=f"{self.PLOT_HEIGHT + 120}px"),
        )
        self._box = _scroll_box(self.figure)
        return [self._box]

    def _owned(self) -> list[ipywidgets.Widget]:
        return [*super()._owned(), self._box, self.figure]


# --------------------------------------------------------------------------- timeline


class TimelineChart(_StreamChart):
    """The lead-time ladder as a chart, element by element along the stream, in the
    map's two ladder units as on the canvas.

    Above the middle line, each gap's wait (the upper rungs) and the cumulative lead
    time, in the map's lead unit (:attr:`lead_unit`, left axis): the line ends at the
    lead time the canvas shows. Below it, each step's process time (the lower rungs) in
    the process unit (:attr:`process_unit`, right axis), coloured by the step's value
    class as on the canvas; where a step's own lead time is longer (office steps), its
    whole time on the ladder shows behind, in the colour of waiting (queueing inside the
    step). Long streams thin their labels and scroll sideways.

    Marks: :attr:`wait_bars` (one per gap), :attr:`step_bars` (one per step),
    :attr:`queue_bars` (the steps with a longer own lead time), :attr:`line` (cumulative
    lead time at every element), :attr:`total_label` (the lead time, at the line's end).
    """

    PLOT_HEIGHT = 280
    #: Share of the plot above the ladder's middle line (waits); step times take the rest.
    UPPER = 0.62

    def _build(self) -> list[ipywidgets.Widget]:
        xs = self._start()
        self.lead_unit = "d"
        self.process_unit = "s"
        self._wait_groups: list[tuple[str, ...]] = []
        self._step_groups: list[tuple[str, ...]] = []
        self._queue_groups: list[tuple[str, ...]] = []
        self.wait_scale = bqplot.LinearScale()
        # Step times grow downwards from the middle line, like the ladder's lower rungs.
        self.step_scale = bqplot.LinearScale(reverse=True)
        self.wait_bars = _bar_mark(xs, self.wait_scale, _tooltip("gap", "wait"), colors=[COLORS["waiting"]])
        # "grouped": bqplot draws stacked bars (its default, one value each too) from the
        # wrong end on a reversed scale.
        self.queue_bars = _bar_mark(
            xs,
            self.step_scale,
            _tooltip("step", "time on the ladder"),
            colors=[COLORS["waiting"]],
            type="grouped",
        )
        self.step_bars = _bar_mark(xs, self.step_scale, _tooltip("step", "process time"), type="grouped")
        self.line = bqplot.Lines(
            x=np.array([], dtype=str),
            y=np.array([], dtype=float),
            scales={"x": xs, "y": self.wait_scale},
            colors=[COLORS["cumulative"]],
            stroke_width=2,
            interactions={},
        )
        self.total_label = _label_mark(
            {"x": xs, "y": self.wait_scale}, COLORS["cumulative"], "end", y_offset=-8
        )
        self.wait_axis = bqplot.Axis(scale=self.wait_scale, side="left", label="", grid_lines="dashed")
        self.step_axis = bqplot.Axis(scale=self.step_scale, side="right", label="", grid_lines="none")
        self.wait_axis.label_location = "end"
        self.step_axis.label_location = "start"
        self._watch(self.wait_bars, lambda: self._wait_groups)
        self._watch(self.step_bars, lambda: self._step_groups)
        self._watch(self.queue_bars, lambda: self._queue_groups)
        return self._stream_figure(
            [self.wait_bars, self.queue_bars, self.step_bars, self.line, self.total_label],
            [self.wait_axis, self.step_axis],
            "Lead-time ladder",
            "vsm-chart-timeline",
        )

    def _update(self, state: MapState, metrics: Metrics) -> None:
        display = metrics.display
        lead, process = display.lead_unit, display.process_unit
        gap_waits = {g.id: g.wait_time for g in metrics.gaps}
        step_figures = {s.id: s for s in metrics.steps}
        labels: list[str] = []
        ids: list[str] = []
        gap_x: list[str] = []
        waits: list[float] = []
        step_x: list[str] = []
        touch: list[float] = []
        colors: list[str] = []
        queued: list[tuple[str, float]] = []  # (id, time on the ladder) where it exceeds the process time
        cumulative: list[float] = []
        total = 0.0
        stream = state.stream
        for index, item in enumerate(stream):
            ids.append(item.id)
            if isinstance(item, Gap):
                following = next((s for s in stream[index + 1 :] if isinstance(s, Process)), None)
                labels.append(_gap_label(item, following))
                seconds = gap_waits[item.id]
                waits.append(_in_unit(seconds, lead, display))
            else:
                figures = step_figures[item.id]
                labels.append(item.name)
                hands_on = figures.touch_time or 0.0
                seconds = figures.lead_time if figures.lead_time is not None else hands_on
                touch.append(_in_unit(hands_on, process, display))
                colors.append(COLORS[item.value_class or "unclassified"])
                if seconds > hands_on:
                    # A step's own lead time beyond its process time is queueing inside the step.
                    queued.append((item.id, _in_unit(seconds, process, display)))
            total += _in_unit(seconds, lead, display)
            cumulative.append(total)
        labels = _unique(labels, ids)
        label_of = dict(zip(ids, labels, strict=True))
        for label, item in zip(labels, stream, strict=True):
            (gap_x if isinstance(item, Gap) else step_x).append(label)
        self.lead_unit, self.process_unit, self.labels, self.ids = lead, process, labels, ids
        self._wait_groups = [(i.id,) for i in stream if isinstance(i, Gap)]
        self._step_groups = [(i.id,) for i in stream if isinstance(i, Process)]
        self._queue_groups = [(i,) for i, _ in queued]
        top = _headroom(max([*waits, total]), 1.2) or 1.0
        bottom = _headroom(max([*touch, *(t for _, t in queued)], default=0.0), 1.15) or 1.0
        lead_name, process_name = _unit_label(lead, display), _unit_label(process, display)
        complete = "" if metrics.lead_time_complete else "≥ "
        with held(self.figure, self.wait_bars, self.step_bars, self.queue_bars, self.line, self.total_label):
            _assign(self.x_scale, domain=labels)
            self.wait_bars.x = np.array(gap_x, dtype=str)
            self.wait_bars.y = np.array(waits, dtype=float)
            self.step_bars.x = np.array(step_x, dtype=str)
            self.step_bars.y = np.array(touch, dtype=float)
            _assign(self.step_bars, colors=colors or [COLORS["unclassified"]])
            self.queue_bars.x = np.array([label_of[i] for i, _ in queued], dtype=str)
            self.queue_bars.y = np.array([t for _, t in queued], dtype=float)
            self.line.x = np.array(labels, dtype=str)
            self.line.y = np.array(cumulative, dtype=float)
            # The middle line sits at UPPER of the height on both scales.
            self.wait_scale.min, self.wait_scale.max = -top * (1 - self.UPPER) / self.UPPER, top
            self.step_scale.min, self.step_scale.max = -bottom * self.UPPER / (1 - self.UPPER), bottom
            self.wait_axis.tick_values = _ticks(top)
            self.step_axis.tick_values = _ticks(bottom, 4)
            self.wait_axis.label = f"waits, cumulative lead time ({lead_name})"
            self.step_axis.label = f"step times ({process_name})"
            self.wait_bars.tooltip.labels = ["gap", f"wait ({lead_name})"]
            self.step_bars.tooltip.labels = ["step", f"process time ({process_name})"]
            self.queue_bars.tooltip.labels = ["step", f"time on the ladder ({process_name})"]
            shown = labels[-1:]
            self.total_label.x = np.array(shown, dtype=str)
            self.total_label.y = np.array([total] if shown else [], dtype=float)
            self.total_label.text = np.array(
                [f"lead time {complete}{display.lead(metrics.lead_time)}"] if shown else [], dtype=str
            )
            self.figure.title = (
                f"Lead-time ladder: lead time {complete}{display.lead(metrics.lead_time)}, "
                f"process time {display.process(metrics.process_time)}, "
                f"efficiency {display.share(metrics.efficiency)}"
            )
            _size_axis(self.figure, self.x_axis, labels, self.PLOT_HEIGHT)

    def _show_selection(self) -> None:
        self._mark_selection(self.wait_bars, self._wait_groups, self.selection)
        self._mark_selection(self.step_bars, self._step_groups, self.selection)
        self._mark_selection(self.queue_bars, self._queue_groups, self.selection)


# --------------------------------------------------------------------------- cycle time vs takt


class CycleTimeChart(_StreamChart):
    """Effective cycle time of every step against takt time (a line balance chart).

    One bar per step, stacked: C/T per station (C/T / parallel stations) and, paler, the
    time lost to downtime (effective C/T - C/T / parallel, where effective C/T = C/T /
    uptime / parallel). As on the canvas, a step over takt is pale in the colour of a
    warning inside a dashed outline, and the bottleneck is filled in the colour of an
    error and labelled "Bottleneck"; the dashed line is takt, named at its right end.
    The map holds no breakdown by operator or work element, so those are the only two
    stacks. The axis reads in the unit that suits its largest value (takt included).

    Marks: :attr:`bars` (``y[0]`` C/T per station, ``y[1]`` uptime loss),
    :attr:`outline` (the dashed outline of the steps over takt), :attr:`mark_label`
    ("Bottleneck" over its bar), :attr:`takt` and :attr:`takt_label`.
    """

    PLOT_HEIGHT = 260
    #: Opacity of the two stacks (C/T per station, uptime loss) by kind of step.
    OPACITY: ClassVar[dict[str, tuple[float, float]]] = {
        "cycle": (1.0, 0.4),
        "over_takt": (0.4, 0.2),
        "bottleneck": (1.0, 0.5),
    }

    def _build(self) -> list[ipywidgets.Widget]:
        xs = self._start()
        self.unit = "s"
        self._groups: list[tuple[str, ...]] = []
        self.y_scale = bqplot.LinearScale(min=0.0)
        self.bars = _bar_mark(
            xs,
            self.y_scale,
            _tooltip("step", "time"),
            type="stacked",
            color_mode="no_group",
            opacity_mode="no_group",
        )
        # Drawn over the bars, stroke only: clicks go through its empty inside to the bars.
        self.outline = bqplot.Bars(
            x=np.array([], dtype=str),
            y=np.array([], dtype=float),
            scales={"x": xs, "y": self.y_scale},
            fill=False,
            stroke=COLORS["over_takt"],
            stroke_width=2,
            padding=0.15,
            interactions={},
        )
        self.mark_label = _label_mark(
            {"x": xs, "y": self.y_scale}, COLORS["bottleneck"], "middle", y_offset=-7
        )
        # Takt spans the whole width: its own 0..1 x scale, no axis.
        whole = bqplot.LinearScale(min=0.0, max=1.0)
        self.takt = bqplot.Lines(
            x=np.array([0.0, 1.0]),
            y=np.array([0.0, 0.0]),
            scales={"x": whole, "y": self.y_scale},
            colors=[COLORS["takt"]],
            line_style="dashed",
            stroke_width=2,
            visible=False,
            interactions={},
        )
        self.takt_label = _label_mark({"x": whole, "y": self.y_scale}, COLORS["takt"], "end", y_offset=-9)
        self.y_axis = bqplot.Axis(scale=self.y_scale, side="left", label="time", grid_lines="dashed")
        self._watch(self.bars, lambda: self._groups)
        return self._stream_figure(
            [self.bars, self.outline, self.takt, self.takt_label, self.mark_label],
            [self.y_axis],
            "Cycle time against takt",
            "vsm-chart-cycle",
        )

    def _update(self, state: MapState, metrics: Metrics) -> None:
        display = metrics.display
        steps = {s.id: s for s in state.all_steps}  # every path's steps: metrics.steps holds them all
        figures = metrics.steps
        finite = [f.effective_cycle_time for f in figures if f.effective_cycle_time is not None]
        largest = max([t for t in finite if math.isfinite(t)] + [metrics.takt_time or 0.0], default=0.0)
        unit = auto_unit(largest, display.day_length)
        base: list[float] = []
        loss: list[float] = []
        over: list[float] = []
        colors: list[str] = []
        opacities: list[float] = []
        for f in figures:
            step = steps[f.id]
            raw = step.cycle_time if step.cycle_time is not None else step.process_time
            per_station = None if raw is None else raw / step.parallel
            effective = f.effective_cycle_time
            base.append(_in_unit(per_station, unit, display))
            extra = 0.0 if effective is None or per_station is None else effective - per_station
            loss.append(_in_unit(extra, unit, display))
            over.append(base[-1] + loss[-1] if f.over_takt else 0.0)
            kind = "bottleneck" if f.is_bottleneck else "over_takt" if f.over_takt else "cycle"
            colors += [COLORS[kind], COLORS[kind]]
            opacities += self.OPACITY[kind]
        ids = [f.id for f in figures]
        labels = _unique([f.name for f in figures], ids)
        self.unit, self.labels, self.ids = unit, labels, ids
        self._groups = [(i,) for i in ids]
        name = _unit_label(unit, display)
        takt = metrics.takt_time
        value = _in_unit(takt, unit, display)
        top = max([b + x for b, x in zip(base, loss, strict=True)] + [value], default=0.0)
        bottleneck = next((i for i, f in enumerate(figures) if f.is_bottleneck), None)
        x = np.array(labels, dtype=str)
        with held(self.figure, self.bars, self.outline, self.takt, self.takt_label, self.mark_label):
            _assign(self.x_scale, domain=labels)
            self.bars.x = x
            self.bars.y = np.array([base, loss], dtype=float) if labels else np.zeros((2, 0))
            _assign(self.bars, colors=colors or [COLORS["cycle"]], opacities=opacities or [1.0])
            self.outline.x = x
            self.outline.y = np.array(over, dtype=float)
            self.bars.tooltip.labels = ["step", f"time ({name})"]
            self.y_axis.label = f"effective cycle time ({name})"
            self.takt.visible = takt is not None
            self.takt.y = np.array([value, value])
            self.y_scale.max = _headroom(top)
            shown = takt is not None
            self.takt_label.x = np.array([1.0] if shown else [], dtype=float)
            self.takt_label.y = np.array([value] if shown else [], dtype=float)
            self.takt_label.text = np.array([f"takt {display.duration(takt)}"] if shown else [], dtype=str)
            marked = [] if bottleneck is None else [bottleneck]
            self.mark_label.x = np.array([labels[i] for i in marked], dtype=str)
            self.mark_label.y = np.array([self._above(base[i] + loss[i], value) for i in marked], dtype=float)
            self.mark_label.text = np.array(["Bottleneck"] * len(marked), dtype=str)
            title = "Cycle time against takt"
            if metrics.bottleneck_name is not None:
                count = len(metrics.steps_over_takt)
                title += f": bottleneck {metrics.bottleneck_name}, {count} step{'s' * (count != 1)} over takt"
            self.figure.title = title
            _size_axis(self.figure, self.x_axis, labels, self.PLOT_HEIGHT)

    def _above(self, top: float, takt: float) -> float:
        """Where a label over a bar ``top`` high goes: on the bar, or over the takt line
        where the bar ends just under it (the text would sit on the line).
        """
        scale = self.y_scale.max or top or 1.0
        room = _LABEL_PX / self.PLOT_HEIGHT * scale
        return takt if top < takt and takt - top < room else top

    def _show_selection(self) -> None:
        self._mark_selection(self.bars, self._groups, self.selection)


# --------------------------------------------------------------------------- where the time goes


def _members(state: MapState) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Which elements put time into each value class and each waste type, following the
    rules of :func:`vsm_widget.core.metrics.compute` (a gap is waiting; an untagged gap is
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
    :attr:`Metrics.time_by_waste`, in the map's lead unit (their bars add up to the
    lead time); value classes in the canvas's colours. Clicking a bar selects the steps
    and gaps behind it; selecting elements elsewhere highlights the bars they count in.

    Marks: :attr:`class_bars`, :attr:`waste_bars`; figures :attr:`class_figure`,
    :attr:`waste_figure`.
    """

    def _build(self) -> list[ipywidgets.Widget]:
        self.unit = "d"
        self._class_groups: list[tuple[str, ...]] = []
        self._waste_groups: list[tuple[str, ...]] = []
        self.class_scale = bqplot.LinearScale(min=0.0)
        self.waste_scale = bqplot.LinearScale(min=0.0)
        class_x = bqplot.OrdinalScale()
        waste_x = bqplot.OrdinalScale()
        self.class_bars = _bar_mark(
            class_x,
            self.class_scale,
            _tooltip("class", "time"),
            colors=[COLORS[key] for key in BREAKDOWN_CLASSES],
        )
        self.waste_bars = _bar_mark(
            waste_x, self.waste_scale, _tooltip("waste", "time"), colors=[COLORS["waste_type"]]
        )
        self.class_axis = bqplot.Axis(scale=self.class_scale, side="left", label="time")
        self.waste_axis = bqplot.Axis(scale=self.waste_scale, side="left", label="time")
        self.class_figure, self.waste_figure = (
            _figure(
                [bars],
                [bqplot.Axis(scale=xs, tick_rotate=-30, tick_style=dict(_ROTATED_TICKS)), axis],
                title,
                css_class,
                fig_margin={"top": 40, "bottom": 75, "left": 70, "right": 20},
                layout=ipywidgets.Layout(height="300px", width="48%", min_width="320px"),
            )
            for bars, xs, axis, title, css_class in (
                (
                    self.class_bars,
                    class_x,
                    self.class_axis,
                    "Lead time by value class",
                    "vsm-chart-value-class",
                ),
                (self.waste_bars, waste_x, self.waste_axis, "Time by waste type", "vsm-chart-waste"),
            )
        )
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
        display = metrics.display
        unit = display.lead_unit
        name = _unit_label(unit, display)
        by_class, by_waste = _members(state)
        self.unit = unit
        self._class_groups = [tuple(by_class[key]) for key in BREAKDOWN_CLASSES]
        self._waste_groups = [tuple(by_waste[key]) for key in WASTE_TYPES]
        class_y = [
            _in_unit(metrics.time_by_value_class.get(key, 0.0), unit, display) for key in BREAKDOWN_CLASSES
        ]
        waste_y = [_in_unit(metrics.time_by_waste.get(key, 0.0), unit, display) for key in WASTE_TYPES]
        with self.class_bars.hold_sync(), self.waste_bars.hold_sync():
            self.class_bars.x = np.array(BREAKDOWN_CLASSES, dtype=str)
            self.class_bars.y = np.array(class_y, dtype=float)
            self.waste_bars.x = np.array(WASTE_TYPES, dtype=str)
            self.waste_bars.y = np.array(waste_y, dtype=float)
            for scale, axis, values in (
                (self.class_scale, self.class_axis, class_y),
                (self.waste_scale, self.waste_axis, waste_y),
            ):
                top = _headroom(max(values, default=0.0), 1.1) or 1.0
                scale.max = top
                axis.tick_values = _ticks(top)
            self.class_axis.label = f"time ({name})"
            self.waste_axis.label = f"time ({name})"
            self.class_bars.tooltip.labels = ["class", f"time ({name})"]
            self.waste_bars.tooltip.labels = ["waste", f"time ({name})"]

    def _show_selection(self) -> None:
        self._mark_selection(self.class_bars, self._class_groups, self.selection)
        self._mark_selection(self.waste_bars, self._waste_groups, self.selection)


# --------------------------------------------------------------------------- simulation

#: The palette roles of the queue chart's lines, one per gap in turn.
QUEUE_ROLES: tuple[str, ...] = ("accent", "va-strong", "warn", "nn-strong", "waste-strong", "muted", "error")
#: Bars of the lead-time histogram.
HISTOGRAM_BINS = 40


class _ResultChart(ipywidgets.VBox):
    """A chart of a simulation result (not of the map: it does not follow edits).

    :meth:`show` draws a result in place, the marks kept; the figure carries the views'
    stylesheet, so its colours follow the page's theme as the other charts' do.
    """

    def __init__(self, figure: bqplot.Figure, **kwargs: Any) -> None:
        self.figure = figure
        self._style = ipywidgets.HTML(
            f"<style>{VIEW_CSS}</style>", layout=ipywidgets.Layout(height="0px", overflow="hidden")
        )
        super().__init__([self._style, _scroll_box(figure)], **kwargs)
        self.add_class("vsm-view")

    def close(self) -> None:
        """Close the chart and its figure."""
        # Also runs from __del__, possibly on a chart whose __init__ failed half-way.
        figure = getattr(self, "figure", None)
        parts = [] if figure is None else [figure, *figure.marks, *figure.axes]
        for child in [getattr(self, "_style", None), *parts]:
            if child is not None:
                child.close()
        super().close()


def _result_axes(
    xs: bqplot.LinearScale, ys: bqplot.LinearScale, x_label: str, y_label: str, tick_format: str
) -> tuple[bqplot.Axis, bqplot.Axis]:
    """A result chart's axes: time along, a dashed grid up, its label clear of the ticks."""
    x_axis = bqplot.Axis(scale=xs, label=x_label, grid_lines="none")
    y_axis = bqplot.Axis(
        scale=ys,
        side="left",
        label=y_label,
        tick_format=tick_format,
        grid_lines="dashed",
        label_offset="55px",
    )
    return x_axis, y_axis


class LeadTimeHistogram(_ResultChart):
    """The lead-time distribution of a simulation: the share of orders per band of lead
    time, with the 85th percentile dashed and the map's static lead time as a labelled
    line (the figure a map promises, against what orders see). A static lead time far
    beyond the orders' (a map's counted stock, which the simulation does not hold) stands
    at the right edge, its label ending in an arrow.

    The axis reads in the unit that suits the orders' lead times, the static lead time's
    label in the map's lead unit; every number is written by the display rule. Marks: :attr:`bars` (``x`` the
    bands' middles, ``y`` the shares), :attr:`static` and :attr:`static_label`,
    :attr:`p85` and :attr:`p85_label`.
    """

    def __init__(self, result: SimulationResult | None = None, **kwargs: Any) -> None:
        self.unit = "s"
        self.x_scale = bqplot.LinearScale(min=0.0)
        self.y_scale = bqplot.LinearScale(min=0.0)
        scales = {"x": self.x_scale, "y": self.y_scale}
        self.bars = bqplot.Bars(
            x=np.array([], dtype=float),
            y=np.array([], dtype=float),
            scales=scales,
            colors=[COLORS["simulated"]],
            opacities=[0.8],
            padding=0.05,
            tooltip=bqplot.Tooltip(
                fields=["x", "y"], labels=["lead time", "share of orders"], formats=[NUMBER_FORMAT, ".1%"]
            ),
            interactions={"hover": "tooltip"},
        )
        self.static = self._marker(scales, COLORS["static"], "solid")
        self.p85 = self._marker(scales, COLORS["p85"], "dashed")
        self.static_label = _label_mark(scales, COLORS["static"], "start", x_offset=4, y_offset=-4)
        self.p85_label = _label_mark(scales, COLORS["p85"], "start", x_offset=4, y_offset=14)
        self.x_axis, self.y_axis = _result_axes(
            self.x_scale, self.y_scale, "lead time", "share of orders", ".1~%"
        )
        figure = _figure(
            [self.bars, self.static, self.p85, self.static_label, self.p85_label],
            [self.x_axis, self.y_axis],
            "Lead time customers see (simulated)",
            "vsm-chart-lead-times",
            fig_margin={"top": 40, "bottom": 50, "left": 80, "right": 40},
            layout=ipywidgets.Layout(height="320px", min_width=f"{_MIN_WIDTH}px", width="100%"),
        )
        super().__init__(figure, **kwargs)
        if result is not None:
            self.show(result)

    @staticmethod
    def _marker(scales: dict[str, Any], color: str, style: str) -> bqplot.Lines:
        return bqplot.Lines(
            x=np.array([0.0, 0.0]),
            y=np.array([0.0, 1.0]),
            scales=scales,
            colors=[color],
            line_style=style,
            stroke_width=2,
            visible=False,
            interactions={},
        )

    def show(self, result: SimulationResult) -> None:
        """Draw ``result``'s lead times (every replication's, after the warm-up)."""
        display = result.display
        leads = result.lead_times.to_numpy()
        static = result.static_lead_time
        p85 = float(np.quantile(leads, 0.85))
        # The bands reach the 99.5th percentile (a long tail would squash the body), and the
        # static mark unless it lies far beyond (a map's counted stock, which the simulation
        # does not hold): then it stands at the right edge, its label pointing on.
        end = float(np.quantile(leads, 0.995))
        if math.isfinite(static) and static <= 1.5 * end:
            end = max(end, static)
        end = end if end > 0 else 1.0
        # The axis in the unit that suits the orders' lead times (the static mark's label
        # keeps the map's lead unit, as the map shows it).
        self.unit = unit = auto_unit(end, display.day_length)
        edges = np.linspace(0.0, end, HISTOGRAM_BINS + 1)
        counts = np.histogram(np.minimum(leads, end), bins=edges)[0] / len(leads)
        middles = (edges[:-1] + edges[1:]) / 2
        top = float(counts.max()) if len(counts) else 1.0
        ceiling = top * 1.25 or 1.0
        scale = display.seconds_per(unit)
        with held(self.bars, self.static, self.p85, self.static_label, self.p85_label, self.x_axis):
            self.x_scale.max = end / scale
            self.y_scale.max = ceiling
            self.bars.x = middles / scale
            self.bars.y = counts
            self.x_axis.label = f"lead time ({_working(unit, display)})"
            beyond = " →" if math.isfinite(static) and static > end else ""
            for line, label, at, text in (
                (self.static, self.static_label, static, f"static lead time {display.lead(static)}{beyond}"),
                (self.p85, self.p85_label, p85, f"85% within {display.duration(p85, unit)}"),
            ):
                shown = math.isfinite(at)
                x = min(at, end) / scale if shown else 0.0
                line.x = np.array([x, x])
                line.y = np.array([0.0, ceiling])
                line.visible = shown
                label.x = np.array([x])
                label.y = np.array([ceiling * 0.92])
                # A label at the right edge reads leftwards, inside the plot.
                label.align = "end" if x > 0.6 * end / scale else "start"
                label.x_offset = -4 if label.align == "end" else 4
                label.text = np.array([text if shown else ""])


class QueueChart(_ResultChart):
    """The items in each gap over time, a line per gap (the first replication): where
    work piles up, and whether it settles or keeps growing.

    Time reads in the unit that suits the run's length (the display rule's), items as
    counts. :attr:`lines` holds one row of ``y`` per gap, named in :attr:`names`
    ("wait before Weld"), in the palette roles of :data:`QUEUE_ROLES` in turn.
    """

    POINTS = 300

    def __init__(self, result: SimulationResult | None = None, **kwargs: Any) -> None:
        self.unit = "s"
        self.names: list[str] = []
        self.x_scale = bqplot.LinearScale(min=0.0)
        self.y_scale = bqplot.LinearScale(min=0.0)
        self.lines = bqplot.Lines(
            x=np.array([0.0, 1.0]),
            y=np.zeros((1, 2)),
            scales={"x": self.x_scale, "y": self.y_scale},
            colors=[COLORS["simulated"]],
            stroke_width=1.5,
            interpolation="step-after",
            display_legend=True,
            labels=[""],
            interactions={},
        )
        self.x_axis, self.y_axis = _result_axes(self.x_scale, self.y_scale, "time", "items in the gap", ",d")
        figure = _figure(
            [self.lines],
            [self.x_axis, self.y_axis],
            "WIP over time, per gap (simulated, first replication)",
            "vsm-chart-queues",
            fig_margin={"top": 40, "bottom": 50, "left": 80, "right": 40},
            legend_location="top-right",
            legend_text={"fill": COLORS["text"]},
            layout=ipywidgets.Layout(height="300px", min_width=f"{_MIN_WIDTH}px", width="100%"),
        )
        super().__init__(figure, **kwargs)
        if result is not None:
            self.show(result)

    def show(self, result: SimulationResult) -> None:
        """Draw ``result``'s queues."""
        frame = result.queue_frame(self.POINTS)
        state = result.state
        following = _gap_steps(state)
        gaps = {g.id: g for g in state.all_gaps}
        ids = [str(c) for c in frame.columns]
        names = _unique([_gap_label(gaps[i], following.get(i)) for i in ids], ids)
        display = result.display
        times = frame.index.to_numpy()
        unit = auto_unit(float(times[-1]) if len(times) else 0.0, display.day_length)
        self.unit = unit
        self.names = names
        with held(self.lines, self.x_axis):
            if not ids:
                self.lines.x, self.lines.y, self.lines.labels = np.array([0.0, 1.0]), np.zeros((1, 2)), [""]
                return
            self.x_scale.max = float(times[-1]) / display.seconds_per(unit) if len(times) else 1.0
            self.lines.x = times / display.seconds_per(unit)
            self.lines.y = frame.to_numpy(dtype=float).T
            self.lines.colors = [role_color(QUEUE_ROLES[i % len(QUEUE_ROLES)]) for i in range(len(ids))]
            self.lines.labels = names
            self.x_axis.label = f"time ({_working(unit, display)})"


def _working(unit: str, display: Display) -> str:
    """An axis unit of simulated (working) time: ``"working days"``, ``"min, working time"``."""
    return _unit_label(unit, display) if unit == "d" else f"{unit}, working time"


def _gap_steps(state: MapState) -> dict[str, Process | None]:
    """The step after each gap, on its own path (None after a main line's last step)."""
    steps = {s.id: s for s in state.all_steps}
    ends = {b.id: b.into for b in state.branches}
    found: dict[str, Process | None] = {}
    for path, items in state.by_path:
        for index, item in enumerate(items):
            if isinstance(item, Gap):
                after = items[index + 1] if index + 1 < len(items) else steps.get(ends.get(path, ""))
                found[item.id] = after if isinstance(after, Process) else None
    return found
