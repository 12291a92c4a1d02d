"""Metric cards, the whole workshop view, and current against future state.

- :class:`MetricCards`: one card per headline metric (takt, lead time, process time,
  efficiency, rolled %C&A, inventory in units and days, steps over takt, bottleneck),
  each in a unit that reads well, with its formula as a tooltip, a short highlight and
  an arrow with the change whenever its value changes.
- :class:`Dashboard`: canvas, cards and charts laid out together, with one selection.
- :class:`ComparisonView`: two maps' figures side by side with the change, and their
  cumulative lead times overlaid; follows edits to either map.

Every text that comes from users (step names) is set as widget text (``Label``), never
as HTML. The only HTML here is the package's own constant style sheet.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets
import numpy as np
import traitlets

from . import units
from .charts import (  # bqplot through charts, which silences its import-time warning
    COLORS,
    CycleTimeChart,
    MapView,
    TimeBreakdownChart,
    TimelineChart,
    axis_unit,
    bqplot,
    link_selection,
    unit_name,
)
from .compare import COMPARED, Comparison, MetricChange, compare
from .fallback import fallback_html
from .figures import CARDS, CardSpec, card_text, duration_text
from .metrics import Metrics
from .model import Gap, MapState, ValueStreamMap
from .widget import display_with_fallback

__all__ = [
    "CARDS",
    "CardSpec",
    "ComparisonView",
    "Dashboard",
    "MetricCard",
    "MetricCards",
    "card_text",
]

_SPECS = {spec.name: spec for spec in CARDS}

# Constant CSS (no user text): card look, the change highlight and the arrow colours.
# Two identical keyframes so that switching class restarts the animation on each change.
_STYLE = """<style>
.vsm-cards { gap: 6px; }
.vsm-card { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 10px; min-width: 150px;
  background: var(--jp-layout-color1, #fff); }
.vsm-card .vsm-card-title { color: #57606a; font-size: 0.85em; }
.vsm-card .vsm-card-value { font-size: 1.35em; font-weight: 600; }
.vsm-card .vsm-card-delta, .vsm-card .vsm-card-detail { font-size: 0.85em; color: #57606a; }
.vsm-card .vsm-card-better { color: #1a7f37; }
.vsm-card .vsm-card-worse { color: #b42318; }
.vsm-view-error { color: #b42318; }
@keyframes vsm-flash-a { from { background: #fff1a8; } to { background: transparent; } }
@keyframes vsm-flash-b { from { background: #fff1a8; } to { background: transparent; } }
.vsm-card.vsm-flash-a { animation: vsm-flash-a 1.5s ease-out; }
.vsm-card.vsm-flash-b { animation: vsm-flash-b 1.5s ease-out; }
</style>"""


def _delta_text(old: float, new: float, unit: str, metrics: Metrics) -> str:
    diff = new - old
    arrow = "▲" if diff > 0 else "▼"
    sign = "+" if diff > 0 else "−"
    size = abs(diff)
    display = metrics.display
    if unit in ("s", "min", "h", "d"):
        # The change in the unit that suits its own size: a lead time of 23.6 working days
        # that drops by 7 s reads "7 s", not "0.000127 working days".
        seconds = size * display.seconds_per(unit)
        return f"{arrow} {sign}{duration_text(seconds, metrics)}"
    if unit == "%":
        before = display.share(old / 100)
        if size < 0.01 and before != display.share(new / 100):
            # Hundredths of a point read as noise ("0.000537 pp"): say where it came from,
            # unless the card shows both values alike; then only the points tell them apart.
            return f"{arrow} from {before}"
        return f"{arrow} {sign}{display.number(size)} pp"
    if unit == "d-demand":
        return f"{arrow} {sign}{display.number(size)} days"
    return f"{arrow} {sign}{display.number(size)}"


def _same(new: float | str | None, old: float | str | None) -> bool:
    """Whether two card values are equal (floats up to rounding noise)."""
    if isinstance(new, float) and isinstance(old, float):
        return math.isclose(new, old, rel_tol=1e-12, abs_tol=1e-12)
    return new == old


class MetricCard(ipywidgets.VBox):
    """One card: title, value, change since the value before, and an optional detail.

    Text is set on ``Label`` widgets, so names typed by users are shown as typed.
    The title and the value carry the metric's formula as their tooltip (:attr:`formula`).
    (Not the card box itself: ipywidgets 8.1's front end fails to draw a Box with a
    tooltip, since it reads the box's missing ``description``.)
    """

    def __init__(self, spec: CardSpec, **kwargs: Any) -> None:
        self.spec = spec
        self.formula = f"{spec.title} = {spec.formula}"
        self.title_label = ipywidgets.Label(spec.title, tooltip=self.formula)
        self.value_label = ipywidgets.Label("–", tooltip=self.formula)
        self.delta_label = ipywidgets.Label("")
        self.detail_label = ipywidgets.Label("")
        for label, role in (
            (self.title_label, "title"),
            (self.value_label, "value"),
            (self.delta_label, "delta"),
            (self.detail_label, "detail"),
        ):
            label.add_class(f"vsm-card-{role}")
        super().__init__(
            [self.title_label, self.value_label, self.delta_label, self.detail_label],
            **kwargs,
        )
        self.add_class("vsm-card")
        self.add_class(f"vsm-card-{spec.name.replace('_', '-')}")
        self.value: float | str | None = None
        self.unit = ""
        self.changes = 0
        self._shown = False

    @property
    def text(self) -> str:
        """The value as shown."""
        return self.value_label.value

    @property
    def delta(self) -> str:
        """The change shown under the value (arrow and amount), or ``""``."""
        return self.delta_label.value

    def show(
        self, value: float | str | None, text: str, unit: str, metrics: Metrics, detail: str = ""
    ) -> bool:
        """Show a new value; returns whether it changed (and then flashes the card)."""
        self.detail_label.value = detail
        if self._shown and text == self.value_label.value and _same(value, self.value):
            return False
        previous, previous_unit = self.value, self.unit
        self.value, self.unit = value, unit
        self.value_label.value = text
        if not self._shown:
            self._shown = True
            return False
        self.changes += 1
        self._set_delta(previous, value, previous_unit, unit, metrics)
        # Alternate two classes with identical animations so each change restarts it.
        old, new = ("vsm-flash-a", "vsm-flash-b") if self.changes % 2 == 0 else ("vsm-flash-b", "vsm-flash-a")
        self.remove_class(old)
        self.add_class(new)
        return True

    def _set_delta(self, old: Any, new: Any, old_unit: str, unit: str, metrics: Metrics) -> None:
        label = self.delta_label
        for name in ("vsm-card-better", "vsm-card-worse"):
            label.remove_class(name)
        if isinstance(old, str) or isinstance(new, str):
            label.value = f"was {old}" if old else ""
            return
        if old is None or new is None or old_unit != unit:
            label.value = "" if new is None else "new"
            return
        label.value = _delta_text(old, new, unit, metrics)
        if self.spec.better != "none" and new != old:
            better = (new < old) == (self.spec.better == "lower")
            label.add_class("vsm-card-better" if better else "vsm-card-worse")


class MetricCards(MapView):
    """Cards for a map's headline metrics, updated after every edit.

    ``MetricCards(m)`` shows all of :data:`CARDS`; ``names=[...]`` picks some;
    ``units={"lead_time": "d"}`` fixes a duration card's unit. ``cards[name]`` is the
    :class:`MetricCard` of a metric.
    """

    def __init__(
        self,
        map: ValueStreamMap,
        *,
        names: Sequence[str] | None = None,
        units: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        chosen = tuple(names) if names is not None else tuple(_SPECS)
        unknown = [n for n in chosen if n not in _SPECS]
        if unknown:
            raise ValueError(f"names: no card {unknown[0]!r}; cards: {', '.join(_SPECS)}")
        forced = dict(units or {})
        for key, value in forced.items():
            if key not in ("takt_time", "lead_time", "process_time") or value not in ("s", "min", "h", "d"):
                raise ValueError(
                    f"units: {key}={value!r}: only takt_time, lead_time and process_time take a unit "
                    "(s, min, h or d)"
                )
        self._names = chosen
        self._units = forced
        super().__init__(map, **kwargs)

    def _build(self) -> list[ipywidgets.Widget]:
        self.cards: dict[str, MetricCard] = {name: MetricCard(_SPECS[name]) for name in self._names}
        self._style = ipywidgets.HTML(_STYLE, layout=ipywidgets.Layout(height="0px", overflow="hidden"))
        self._grid = ipywidgets.HBox(
            list(self.cards.values()), layout=ipywidgets.Layout(flex_flow="row wrap")
        )
        self._grid.add_class("vsm-cards")
        return [self._style, self._grid]

    def _owned(self) -> list[ipywidgets.Widget]:
        parts: list[ipywidgets.Widget] = [self._style, self._grid]
        for card in self.cards.values():
            parts += [card.title_label, card.value_label, card.delta_label, card.detail_label, card]
        return [*super()._owned(), *parts]

    def _update(self, state: MapState, metrics: Metrics) -> None:
        for name, card in self.cards.items():
            value, text, unit = card_text(name, metrics, self._units.get(name))
            card.show(value, text, unit, metrics, _detail(name, metrics))

    def texts(self) -> dict[str, str]:
        """Every card's text, by metric name."""
        return {name: card.text for name, card in self.cards.items()}


def _detail(name: str, metrics: Metrics) -> str:
    if name == "bottleneck" and metrics.bottleneck_cycle_time is not None:
        takt = "" if metrics.takt_time is None else f" (takt {duration_text(metrics.takt_time, metrics)})"
        return f"effective C/T {duration_text(metrics.bottleneck_cycle_time, metrics)}{takt}"
    if name == "lead_time" and not metrics.lead_time_complete:
        return "incomplete: some waits or step times are missing"
    if name == "process_time" and metrics.day_basis == "working":
        return f"1 working day = {metrics.display.duration(metrics.day_length, 'h')}"
    return ""


# --------------------------------------------------------------------------- the workshop view


class Dashboard(ipywidgets.VBox):
    """The whole workshop view of one map: canvas, metric cards and the three charts.

    ``Dashboard(m)`` makes the canvas with ``m.editor()`` (or pass ``editor=``) and
    links the selection of the canvas and every chart. Parts: :attr:`editor`,
    :attr:`cards`, :attr:`timeline`, :attr:`cycle`, :attr:`breakdown`, each usable
    alone too.
    """

    def __init__(self, map: ValueStreamMap, *, editor: Any = None, **kwargs: Any) -> None:
        self._links: list[traitlets.link] = []
        self._parts: list[ipywidgets.Widget] = []
        if not isinstance(map, ValueStreamMap):
            raise TypeError(f"Dashboard() takes a ValueStreamMap, not {type(map).__name__}")
        if editor is not None and getattr(editor, "map", map) is not map:
            raise ValueError("editor: that canvas edits another map; pass m.editor() of this map, or nothing")
        self.map = map
        self.editor = map.editor() if editor is None else editor
        self.cards = MetricCards(map)
        self.timeline = TimelineChart(map)
        self.cycle = CycleTimeChart(map)
        self.breakdown = TimeBreakdownChart(map)
        self._links = link_selection(self.editor, self.timeline, self.cycle, self.breakdown)
        # Closed with the dashboard; a canvas passed in belongs to the caller.
        self._parts = [*self.views, *([self.editor] if editor is None else [])]
        # One column: the canvas and every chart get the full width of the notebook.
        super().__init__([self.editor, self.cards, self.timeline, self.cycle, self.breakdown], **kwargs)
        self.add_class("vsm-dashboard")

    @property
    def views(self) -> tuple[MapView, ...]:
        """The cards and charts (not the canvas)."""
        return (self.cards, self.timeline, self.cycle, self.breakdown)

    def _ipython_display_(self) -> None:
        """Show the dashboard, then a static picture of the map, its figures and its steps
        for readers without JavaScript (see :func:`vsm_widget.widget.display_with_fallback`).
        """
        display_with_fallback(self, fallback_html(self.map, steps=True))

    def close(self) -> None:
        """Unlink the selection and close every part (the canvas too if made here)."""
        # Also runs from __del__, possibly after a failed __init__: use what exists.
        for link in getattr(self, "_links", []):
            link.unlink()
        self._links = []
        for part in getattr(self, "_parts", []):
            part.close()
        self._parts = []
        super().close()


# --------------------------------------------------------------------------- current vs future


class ComparisonCard(ipywidgets.VBox):
    """One compared metric: title, before → after, and the change."""

    def __init__(self, label: str, **kwargs: Any) -> None:
        self.title_label = ipywidgets.Label(label)
        self.values_label = ipywidgets.Label("")
        self.change_label = ipywidgets.Label("")
        self.title_label.add_class("vsm-card-title")
        self.values_label.add_class("vsm-card-value")
        self.change_label.add_class("vsm-card-delta")
        super().__init__([self.title_label, self.values_label, self.change_label], **kwargs)
        self.add_class("vsm-card")
        self.changes = 0

    def show(self, row: MetricChange, current: Metrics, future: Metrics) -> None:
        """Show one row of a :class:`~vsm_widget.compare.Comparison`."""
        before, after, change = row.texts(current, future)
        text = f"{before} → {after}"
        if self.values_label.value and text != self.values_label.value:
            self.changes += 1
            old, new = (
                ("vsm-flash-a", "vsm-flash-b") if self.changes % 2 == 0 else ("vsm-flash-b", "vsm-flash-a")
            )
            self.remove_class(old)
            self.add_class(new)
        self.values_label.value = text
        self.change_label.value = change
        for name in ("vsm-card-better", "vsm-card-worse"):
            self.change_label.remove_class(name)
        if row.improved is not None:
            self.change_label.add_class("vsm-card-better" if row.improved else "vsm-card-worse")


def _cumulative(state: MapState, metrics: Metrics) -> np.ndarray:
    """Cumulative lead time (s) along the stream, starting at 0 before the first element."""
    waits = {g.id: g.wait_time for g in metrics.gaps}
    steps = {s.id: s.lead_time for s in metrics.steps}
    times = [(waits[i.id] if isinstance(i, Gap) else steps[i.id]) or 0.0 for i in state.stream]
    return np.concatenate([[0.0], np.cumsum(times)]) if times else np.zeros(1)


class ComparisonView(MapView):
    """Current state against future state: both maps' figures with the change, and
    their cumulative lead times overlaid. Follows edits to either map.

    ``ComparisonView(m, f)`` with ``f = m.future()``. :attr:`comparison` is the latest
    :class:`~vsm_widget.compare.Comparison`; :attr:`cards` the card of each metric;
    :attr:`current_line` and :attr:`future_line` the overlaid timelines.
    """

    def __init__(self, current: ValueStreamMap, future: ValueStreamMap, **kwargs: Any) -> None:
        if not isinstance(current, ValueStreamMap):
            raise TypeError(f"ComparisonView() takes two ValueStreamMaps, not {type(current).__name__}")
        self._current = current
        super().__init__(future, **kwargs)
        self._unobserve_current: Callable[[], None] | None = current.observe(self._on_change)

    @property
    def current(self) -> ValueStreamMap:
        """The current-state map."""
        return self._current

    @property
    def future(self) -> ValueStreamMap:
        """The future-state map."""
        return self._map

    def _build(self) -> list[ipywidgets.Widget]:
        self.comparison: Comparison | None = None
        self.unit = "s"
        self.heading = ipywidgets.Label("")
        self.cards: dict[str, ComparisonCard] = {spec.name: ComparisonCard(spec.label) for spec in COMPARED}
        self._style = ipywidgets.HTML(_STYLE, layout=ipywidgets.Layout(height="0px", overflow="hidden"))
        self._grid = ipywidgets.HBox(
            list(self.cards.values()), layout=ipywidgets.Layout(flex_flow="row wrap")
        )
        self._grid.add_class("vsm-cards")
        xs = bqplot.LinearScale(min=0.0)
        self.y_scale = bqplot.LinearScale(min=0.0)
        # A Lines mark gives its tooltip the whole line, not a point: the tooltip names the
        # map, and the axis reads the values.
        self.current_line = bqplot.Lines(
            x=np.zeros(1),
            y=np.zeros(1),
            scales={"x": xs, "y": self.y_scale},
            colors=["#777777"],
            labels=["current state"],
            display_legend=True,
            marker="circle",
            marker_size=16,
            tooltip=bqplot.Tooltip(fields=["name"], labels=["map"]),
        )
        self.future_line = bqplot.Lines(
            x=np.zeros(1),
            y=np.zeros(1),
            scales={"x": xs, "y": self.y_scale},
            colors=[COLORS["process"]],
            labels=["future state"],
            display_legend=True,
            marker="circle",
            marker_size=16,
            tooltip=bqplot.Tooltip(fields=["name"], labels=["map"]),
        )
        self.y_axis = bqplot.Axis(scale=self.y_scale, side="left", label="cumulative lead time")
        self.x_axis = bqplot.Axis(scale=xs, label="steps and gaps along the stream", tick_format="d")
        self.figure = bqplot.Figure(
            marks=[self.current_line, self.future_line],
            axes=[
                self.x_axis,
                self.y_axis,
            ],
            title="Cumulative lead time: current and future state",
            legend_location="top-left",
            animation_duration=0,
            layout=ipywidgets.Layout(height="320px"),
        )
        self.figure.add_class("vsm-chart-compare")
        return [self._style, self.heading, self._grid, self.figure]

    def _owned(self) -> list[ipywidgets.Widget]:
        parts: list[ipywidgets.Widget] = [self._style, self.heading, self._grid, self.figure]
        for card in self.cards.values():
            parts += [card.title_label, card.values_label, card.change_label, card]
        return [*super()._owned(), *parts]

    def _update(self, state: MapState, metrics: Metrics) -> None:
        current = self._current
        result = compare(current, self._map)
        self.comparison = result
        self.heading.value = f"{current.title} → {self._map.title}"
        for row in result:
            self.cards[row.name].show(row, result.current, result.future)
        before = _cumulative(current.state, result.current)
        after = _cumulative(state, metrics)
        day = metrics.day_length
        unit = axis_unit(max(before[-1], after[-1]), day)
        self.unit = unit
        with self.figure.hold_sync(), self.current_line.hold_sync(), self.future_line.hold_sync():
            self.current_line.x = np.arange(len(before), dtype=float)
            self.current_line.y = before * units.to_unit(1.0, unit, day=day)
            self.future_line.x = np.arange(len(after), dtype=float)
            self.future_line.y = after * units.to_unit(1.0, unit, day=day)
            self.y_axis.label = f"cumulative lead time ({unit_name(unit, metrics.day_basis)})"
            # Whole-number ticks only (element counts), at most about ten of them.
            count = max(len(before), len(after)) - 1
            self.x_axis.tick_values = np.arange(0, count + 1, max(1, math.ceil(count / 10)), dtype=float)

    def close(self) -> None:
        """Stop following both maps and close the view."""
        unobserve = getattr(self, "_unobserve_current", None)
        if unobserve is not None:
            unobserve()
            self._unobserve_current = None
        super().close()
