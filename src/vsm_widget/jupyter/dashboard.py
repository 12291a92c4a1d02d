"""Metric cards, the whole workshop view, and current against future state.

- :class:`MetricCards`: one card per headline metric (takt, lead time, process time,
  efficiency, rolled %C&A, inventory in units and days, steps over takt, bottleneck),
  each in a unit that reads well, with its formula as a tooltip, a short highlight and
  an arrow with the change whenever its value changes.
- :class:`Dashboard`: canvas, cards and charts laid out together, with one selection.
- :class:`ComparisonView`: two maps' figures side by side with the change, and their
  cumulative lead times overlaid; follows edits to either map.
- :class:`SimulationView`: the map simulated, its lead-time distribution and WIP over
  time per gap, with what-if controls (stations, batch size, uptime of a chosen step)
  that re-simulate live.

Every text that comes from users (step names) is set as text (``Label`` widgets, and the
cards' ``textContent`` in js/cards.ts), never as HTML. The only HTML here is the
package's own constant style sheet.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anywidget
import ipywidgets
import numpy as np
import traitlets

from ..core.compare import COMPARED, Comparison, MetricChange, compare
from ..core.metrics import Metrics
from ..core.model import Gap, Map, MapState, ValidationError
from ..presentation.fallback import fallback_html
from ..presentation.figures import CARDS, CardSpec, card_text, duration_text
from .charts import (  # bqplot through charts, which silences its import-time warning
    COLORS,
    VIEW_CSS,
    CycleTimeChart,
    LeadTimeHistogram,
    LiveView,
    QueueChart,
    TimeBreakdownChart,
    TimelineChart,
    _assign,
    _figure,
    _in_unit,
    _size_axis,
    _unique,
    _unit_label,
    bqplot,
    held,
    link_selection,
)
from .widget import _MISSING_BUNDLE, _bundle, display_with_fallback, editor_for

__all__ = [
    "CARDS",
    "CardSpec",
    "ComparisonView",
    "Dashboard",
    "MetricCard",
    "MetricCards",
    "SimulationView",
    "card_text",
]

_SPECS = {spec.name: spec for spec in CARDS}

# Constant CSS (no user text): card look, the change highlight and the arrow colours, in
# the palette's roles (charts.VIEW_CSS sets them for the page's theme). Two identical
# keyframes so that switching class restarts the animation on each change.
CARD_CSS = """
.vsm-cards { display: flex; flex-flow: row wrap; gap: 6px; margin: 2px 0; }
.vsm-card { display: flex; flex-direction: column; box-sizing: border-box;
  border: 1px solid var(--vsm-c-line-soft); border-radius: 6px; padding: 6px 10px;
  min-width: 150px; max-width: 320px; color: var(--jp-ui-font-color1, inherit);
  font-size: var(--jp-widgets-font-size, 13px); font-family: var(--jp-ui-font-family, inherit);
  background: var(--jp-layout-color1, var(--vsm-c-panel)); }
.vsm-card > div { line-height: 1.6; min-height: 1.6em; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.vsm-card .vsm-card-title { color: var(--vsm-c-muted); font-size: 0.85em; }
.vsm-card .vsm-card-value { font-size: 1.35em; font-weight: 600; }
.vsm-card .vsm-card-delta, .vsm-card .vsm-card-detail { font-size: 0.85em; color: var(--vsm-c-muted); }
.vsm-card .vsm-card-better { color: var(--vsm-c-ok); }
.vsm-card .vsm-card-worse { color: var(--vsm-c-error); }
.vsm-view-error { color: var(--vsm-c-error); }
@keyframes vsm-flash-a { from { background: var(--vsm-c-nn); } to { background: transparent; } }
@keyframes vsm-flash-b { from { background: var(--vsm-c-nn); } to { background: transparent; } }
.vsm-card.vsm-flash-a { animation: vsm-flash-a 1.5s ease-out; }
.vsm-card.vsm-flash-b { animation: vsm-flash-b 1.5s ease-out; }
"""
_FLASH = ("vsm-flash-a", "vsm-flash-b")
_VERDICT = ("vsm-card-better", "vsm-card-worse")


def _set_classes(widget: ipywidgets.DOMWidget, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
    """Change a widget's classes in one message (``add_class`` and ``remove_class`` send one each)."""
    classes = [c for c in widget._dom_classes if c not in remove and c not in add] + list(add)
    if classes != list(widget._dom_classes):
        widget._dom_classes = tuple(classes)


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


@dataclass(frozen=True, slots=True)
class _Shown:
    """What a card showed after one change: its value, unit, text, delta and its colour."""

    value: float | str | None
    unit: str
    text: str
    delta: str = ""
    verdict: str = ""


class MetricCard:
    """One card: title, value, change since the value before, and an optional detail.

    The state of one card of a :class:`MetricCards` view, which draws every card from one
    synced list (:meth:`to_dict`): text is set as text in the page, so names typed by
    users are shown as typed. The title and the value carry the metric's formula as their
    tooltip (:attr:`formula`).

    A change that takes back the one before (an undo, or an edit typed back) shows the
    card as it was before that change, without a flash: an edit and its undo in one run
    leave no change on the card.
    """

    #: How many earlier states a card keeps to recognise a change taken back.
    MEMORY = 100

    def __init__(self, spec: CardSpec) -> None:
        self.spec = spec
        self.formula = f"{spec.title} = {spec.formula}"
        self.changes = 0
        self._history: list[_Shown] = []
        self._shown = _Shown(None, "", "–")
        self._detail = ""
        self._flash = ""

    @property
    def name(self) -> str:
        """The metric's name (``"lead_time"``)."""
        return self.spec.name

    @property
    def value(self) -> float | str | None:
        """The value shown, in its unit (:attr:`unit`); a name for the bottleneck."""
        return self._history[-1].value if self._history else None

    @property
    def unit(self) -> str:
        """The unit of :attr:`value`."""
        return self._history[-1].unit if self._history else ""

    @property
    def text(self) -> str:
        """The value as shown."""
        return self._shown.text

    @property
    def delta(self) -> str:
        """The change shown under the value (arrow and amount), or ``""``."""
        return self._shown.delta

    @property
    def verdict(self) -> str:
        """The change's colour class: ``"vsm-card-better"``, ``"vsm-card-worse"`` or ``""``."""
        return self._shown.verdict

    @property
    def detail(self) -> str:
        """The line under the change (the bottleneck's effective C/T and takt), or ``""``."""
        return self._detail

    @property
    def flash(self) -> str:
        """The highlight class of the last change (``"vsm-flash-a"`` or ``"vsm-flash-b"``,
        alternating so that each change restarts it), or ``""`` when none is shown.
        """
        return self._flash

    def show(
        self, value: float | str | None, text: str, unit: str, metrics: Metrics, detail: str = ""
    ) -> bool:
        """Show a new value; returns whether it changed (a new change also flashes the card)."""
        self._detail = detail
        history = self._history
        if history and text == history[-1].text and _same(value, history[-1].value):
            return False
        if not history:
            history.append(_Shown(value, unit, text))
            self._shown = history[-1]
            return False
        if len(history) > 1 and text == history[-2].text and _same(value, history[-2].value):
            # Back to what the card showed before the last change: show it as it was then.
            history.pop()
            self._draw(history[-1], flash=False)
            return True
        previous = history[-1]
        delta, verdict = self._delta(previous.value, value, previous.unit, unit, metrics)
        history.append(_Shown(value, unit, text, delta, verdict))
        del history[: -self.MEMORY]
        self.changes += 1
        self._draw(history[-1], flash=True)
        return True

    def to_dict(self) -> dict[str, str]:
        """What the page draws of the card (the cards' front end, js/cards.ts)."""
        shown = self._shown
        return {
            "name": self.spec.name,
            "title": self.spec.title,
            "formula": self.formula,
            "text": shown.text,
            "delta": shown.delta,
            "verdict": shown.verdict,
            "detail": self._detail,
            "flash": self._flash,
        }

    def _draw(self, shown: _Shown, *, flash: bool) -> None:
        self._shown = shown
        # Alternate two classes with identical animations so each change restarts it.
        self._flash = (_FLASH[1] if self._flash == _FLASH[0] else _FLASH[0]) if flash else ""

    def _delta(self, old: Any, new: Any, old_unit: str, unit: str, metrics: Metrics) -> tuple[str, str]:
        """The change as text, and its class (better or worse, where one way is better)."""
        if isinstance(old, str) or isinstance(new, str):
            return (f"was {old}" if old else ""), ""
        if old is None or new is None or old_unit != unit:
            return ("" if new is None else "new"), ""
        verdict = ""
        if self.spec.better != "none" and new != old:
            better = (new < old) == (self.spec.better == "lower")
            verdict = _VERDICT[0] if better else _VERDICT[1]
        return _delta_text(old, new, unit, metrics), verdict


class _CardsView(anywidget.AnyWidget):
    """The cards in the page: one model whose list of cards is drawn by js/cards.ts, so
    that an edit changing several cards is one widget message.
    """

    _esm = _bundle("cards.js", _MISSING_BUNDLE)
    cards = traitlets.List(traitlets.Dict()).tag(sync=True)


class MetricCards(LiveView):
    """Cards for a map's headline metrics, updated after every edit.

    ``MetricCards(m)`` shows all of :data:`CARDS`; ``names=[...]`` picks some;
    ``units={"lead_time": "d"}`` fixes a duration card's unit. ``cards[name]`` is the
    :class:`MetricCard` of a metric.
    """

    CSS = VIEW_CSS + CARD_CSS

    def __init__(
        self,
        map: Map,
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
        self._view = _CardsView()
        return [self._view]

    def _owned(self) -> list[ipywidgets.Widget]:
        return [*super()._owned(), self._view]

    def _update(self, state: MapState, metrics: Metrics) -> None:
        for name, card in self.cards.items():
            value, text, unit = card_text(name, metrics, self._units.get(name))
            card.show(value, text, unit, metrics, _detail(name, metrics, state))
        # Every card at once: one message when any changed, none when all stay.
        self._view.cards = [card.to_dict() for card in self.cards.values()]

    def texts(self) -> dict[str, str]:
        """Every card's text, by metric name."""
        return {name: card.text for name, card in self.cards.items()}


def _detail(name: str, metrics: Metrics, state: MapState) -> str:
    if name in ("lead_time", "process_time", "efficiency") and metrics.path_count > 1:
        # A branched stream: the figure is its critical path's; say which path that is.
        missing = "" if metrics.lead_time_complete or name != "lead_time" else " (incomplete)"
        return f"critical path: {state.path_name(metrics.critical_path)}{missing}"
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
    alone too. ``simulation=True`` adds a :class:`SimulationView` (:attr:`simulation`)
    under them; a mapping instead gives its options (``{"items": 2_000, "seed": 3}``).
    """

    def __init__(
        self, map: Map, *, editor: Any = None, simulation: bool | Mapping[str, Any] = False, **kwargs: Any
    ) -> None:
        self._links: list[traitlets.link] = []
        self._parts: list[ipywidgets.Widget] = []
        if not isinstance(map, Map):
            raise TypeError(f"Dashboard() takes a ValueStreamMap, not {type(map).__name__}")
        if editor is not None and getattr(editor, "map", map) is not map:
            raise ValueError("editor: that canvas edits another map; pass m.editor() of this map, or nothing")
        self.map = map
        self.editor = editor_for(map) if editor is None else editor
        self.cards = MetricCards(map)
        self.timeline = TimelineChart(map)
        self.cycle = CycleTimeChart(map)
        self.breakdown = TimeBreakdownChart(map)
        #: The simulation view, with ``simulation=True`` (or its options as a mapping).
        self.simulation: SimulationView | None = None
        if simulation:
            self.simulation = SimulationView(
                map, **(dict(simulation) if isinstance(simulation, Mapping) else {})
            )
        self._links = link_selection(self.editor, self.timeline, self.cycle, self.breakdown)
        # Closed with the dashboard; a canvas passed in belongs to the caller.
        self._parts = [*self.views, *([self.editor] if editor is None else [])]
        # One column: the canvas and every chart get the full width of the notebook.
        shown = [self.editor, self.cards, self.timeline, self.cycle, self.breakdown]
        super().__init__([*shown, *([self.simulation] if self.simulation else [])], **kwargs)
        self.add_class("vsm-dashboard")

    @property
    def views(self) -> tuple[LiveView, ...]:
        """The cards and charts (not the canvas), the simulation view too if shown."""
        shown = (self.cards, self.timeline, self.cycle, self.breakdown)
        return (*shown, self.simulation) if self.simulation is not None else shown

    def _ipython_display_(self) -> None:
        """Show the dashboard, then a static picture of the map, its figures and its steps
        for readers without JavaScript (see :func:`vsm_widget.jupyter.widget.display_with_fallback`).
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
        """Show one row of a :class:`~vsm_widget.core.compare.Comparison`."""
        before, after, change = row.texts(current, future)
        text = f"{before} → {after}"
        if self.values_label.value and text != self.values_label.value:
            self.changes += 1
            old, new = _FLASH if self.changes % 2 == 0 else _FLASH[::-1]
            _set_classes(self, [new], [old])
        self.values_label.value = text
        verdict = [] if row.improved is None else [_VERDICT[0] if row.improved else _VERDICT[1]]
        with self.change_label.hold_sync():
            self.change_label.value = change
            _set_classes(self.change_label, verdict, _VERDICT)


def _along(state: MapState, metrics: Metrics) -> list[tuple[str, str, float]]:
    """``(id, name, seconds)`` for every step: the lead time up to the end of the step
    (the waits before it included); then the customer, with the whole lead time.
    """
    waits = {g.id: g.wait_time for g in metrics.gaps}
    steps = {s.id: s.lead_time for s in metrics.steps}
    points: list[tuple[str, str, float]] = []
    total = 0.0
    for item in state.stream:
        seconds = waits[item.id] if isinstance(item, Gap) else steps[item.id]
        # Unknown or endless times count as nothing here; the metrics warn about them.
        total += seconds if seconds is not None and math.isfinite(seconds) else 0.0
        if not isinstance(item, Gap):
            points.append((item.id, item.name, total))
    points.append(("customer", state.customer.name, total))
    return points


def _merged(first: list[str], second: list[str]) -> list[str]:
    """``first``'s ids in order, with ``second``'s others placed after their predecessor there."""
    order = list(first)
    for index, element_id in enumerate(second):
        if element_id in order:
            continue
        before = next((second[j] for j in range(index - 1, -1, -1) if second[j] in order), None)
        order.insert(0 if before is None else order.index(before) + 1, element_id)
    return order


class ComparisonView(LiveView):
    """Current state against future state: both maps' figures with the change, and
    their cumulative lead times overlaid step by step. Follows edits to either map.

    ``ComparisonView(m, f)`` with ``f = m.future()``. :attr:`comparison` is the latest
    :class:`~vsm_widget.core.compare.Comparison`; :attr:`cards` the card of each metric;
    :attr:`current_line` and :attr:`future_line` the overlaid timelines: the lead time up
    to the end of each step, by step name (the steps both maps share by id in the current
    map's order, a step only one has after the one before it), ending at the customer
    with the whole lead time; in the current map's lead unit, as its canvas and the
    comparison's texts read (:attr:`unit`).
    """

    CSS = VIEW_CSS + CARD_CSS
    #: Height of the chart's plot in pixels.
    PLOT_HEIGHT = 240

    def __init__(self, current: Map, future: Map, **kwargs: Any) -> None:
        if not isinstance(current, Map):
            raise TypeError(f"ComparisonView() takes two ValueStreamMaps, not {type(current).__name__}")
        self._current = current
        super().__init__(future, **kwargs)
        self._unobserve_current: Callable[[], None] | None = current.observe(self._on_change)

    @property
    def current(self) -> Map:
        """The current-state map."""
        return self._current

    @property
    def future(self) -> Map:
        """The future-state map."""
        return self._map

    def _build(self) -> list[ipywidgets.Widget]:
        self.comparison: Comparison | None = None
        self.unit = "d"
        self.labels: list[str] = []
        self.heading = ipywidgets.Label("")
        self.cards: dict[str, ComparisonCard] = {spec.name: ComparisonCard(spec.label) for spec in COMPARED}
        self._grid = ipywidgets.HBox(
            list(self.cards.values()), layout=ipywidgets.Layout(flex_flow="row wrap")
        )
        self._grid.add_class("vsm-cards")
        self.x_scale = bqplot.OrdinalScale()
        self.y_scale = bqplot.LinearScale(min=0.0)
        lines = {}
        for name, label in (("current", "current state"), ("future", "future state")):
            # A Lines mark gives its tooltip the whole line, not a point: the tooltip names
            # the map, and the axis reads the values.
            lines[name] = bqplot.Lines(
                x=np.array([], dtype=str),
                y=np.array([], dtype=float),
                scales={"x": self.x_scale, "y": self.y_scale},
                colors=[COLORS[name]],
                labels=[label],
                display_legend=True,
                marker="circle",
                marker_size=16,
                stroke_width=2,
                tooltip=bqplot.Tooltip(fields=["name"], labels=["map"]),
            )
        self.current_line, self.future_line = lines["current"], lines["future"]
        self.y_axis = bqplot.Axis(scale=self.y_scale, side="left", label="cumulative lead time")
        self.x_axis = bqplot.Axis(scale=self.x_scale, label="", grid_lines="none")
        self.figure = _figure(
            [self.current_line, self.future_line],
            [self.x_axis, self.y_axis],
            "Cumulative lead time: current and future state",
            "vsm-chart-compare",
            legend_location="top-left",
            layout=ipywidgets.Layout(height=f"{self.PLOT_HEIGHT + 120}px"),
        )
        self._box = ipywidgets.Box(
            [self.figure], layout=ipywidgets.Layout(overflow="auto hidden", width="100%")
        )
        return [self.heading, self._grid, self._box]

    def _owned(self) -> list[ipywidgets.Widget]:
        parts: list[ipywidgets.Widget] = [self.heading, self._grid, self._box, self.figure]
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
        display = result.current.display
        unit = display.lead_unit
        before = _along(current.state, result.current)
        after = _along(state, metrics)
        order = _merged([i for i, _, _ in before], [i for i, _, _ in after])
        names = {i: name for i, name, _ in after} | {i: name for i, name, _ in before}
        labels = dict(zip(order, _unique([names[i] for i in order], order), strict=True))
        self.unit, self.labels = unit, list(labels.values())
        with held(self.figure, self.current_line, self.future_line):
            _assign(self.x_scale, domain=self.labels)
            for line, points in ((self.current_line, before), (self.future_line, after)):
                line.x = np.array([labels[i] for i, _, _ in points], dtype=str)
                line.y = np.array([_in_unit(t, unit, display) for _, _, t in points], dtype=float)
            self.y_axis.label = f"cumulative lead time ({_unit_label(unit, display)})"
            _size_axis(self.figure, self.x_axis, self.labels, self.PLOT_HEIGHT)

    def close(self) -> None:
        """Stop following both maps and close the view."""
        unobserve = getattr(self, "_unobserve_current", None)
        if unobserve is not None:
            unobserve()
            self._unobserve_current = None
        super().close()


# --------------------------------------------------------------------------- simulation

#: The step fields the what-if controls change, and how the controls name them. A step's
#: people working side by side are its parallel stations (``parallel``): the map's
#: ``operators`` count people without changing the capacity, so they would change nothing.
WHAT_IF_FIELDS = {"parallel": "Operators (stations)", "batch_size": "Batch size", "uptime": "Uptime %"}

SIMULATION_CSS = """
.vsm-simulation-view .vsm-sim-status { color: var(--vsm-c-muted); font-size: 0.85em; }
.vsm-simulation-view .vsm-sim-figures { font-weight: 600; }
"""


class SimulationView(LiveView):
    """The map simulated, with what-if controls that re-simulate live.

    ``SimulationView(m)`` simulates ``items`` orders ``replications`` times with ``seed``
    (other keywords go to :func:`vsm_widget.simulation.simulate`: ``arrivals``,
    ``durations``, ``uptime``...) and shows the headline figures, a
    :class:`~vsm_widget.jupyter.charts.LeadTimeHistogram` with the static lead time
    marked (:attr:`histogram`) and a :class:`~vsm_widget.jupyter.charts.QueueChart` of
    WIP over time per gap (:attr:`queues`).

    The controls change one step at a time (:attr:`step` picks it): its operators working
    in parallel (the ``parallel`` stations), its batch size and its uptime. They edit a
    copy of the map, never the map (:attr:`what_if` holds them, by step id; **Reset**
    clears them), and a value the map would refuse is shown, the last result kept.
    Every change, and every edit of the map, re-simulates ``debounce`` seconds after the
    last of a burst (at once with ``debounce=0``, or where no event loop runs); the same
    seed each time, so a change shows its own effect, not new luck.
    """

    CSS = VIEW_CSS + SIMULATION_CSS

    def __init__(
        self,
        map: Map,
        *,
        items: int = 5_000,
        replications: int = 5,
        seed: int = 1,
        debounce: float = 0.3,
        **options: Any,
    ) -> None:
        if not callable(getattr(map, "simulate", None)):
            raise TypeError("SimulationView() takes a ValueStreamMap (its simulate() runs the simulation)")
        if isinstance(debounce, bool) or not isinstance(debounce, (int, float)) or not 0 <= debounce <= 10:
            raise ValidationError("debounce", debounce, "give the seconds to wait, from 0 to 10")
        self._settings = {"items": items, "replications": replications, "seed": seed, **options}
        self._debounce = float(debounce)
        self._timer: asyncio.TimerHandle | None = None
        self._idle: asyncio.Future[None] | None = None
        self._quiet = False
        #: The what-ifs in force: ``{step id: {field: value}}``.
        self.what_if: dict[str, dict[str, Any]] = {}
        #: The last simulation shown.
        self.result: Any = None
        #: How many simulations have run (the first included).
        self.runs = 0
        #: Seconds the last re-simulation took (the map copied, the what-ifs applied, run).
        self.seconds = math.nan
        super().__init__(map)
        self.add_class("vsm-simulation-view")

    # ----------------------------------------------------------------- building

    def _build(self) -> list[ipywidgets.Widget]:
        self.step = ipywidgets.Dropdown(description="Step", layout=ipywidgets.Layout(width="260px"))
        self.operators = ipywidgets.BoundedIntText(
            min=1, max=1_000, description=WHAT_IF_FIELDS["parallel"], style={"description_width": "initial"}
        )
        self.batch = ipywidgets.BoundedIntText(
            min=1,
            max=1_000_000,
            description=WHAT_IF_FIELDS["batch_size"],
            style={"description_width": "initial"},
        )
        self.uptime = ipywidgets.FloatSlider(
            min=1.0,
            max=100.0,
            step=1.0,
            description=WHAT_IF_FIELDS["uptime"],
            continuous_update=False,
            readout_format=".0f",
        )
        self.reset = ipywidgets.Button(description="Reset", tooltip="Clear every what-if: the map as it is")
        self.figures = ipywidgets.Label()
        self.figures.add_class("vsm-sim-figures")
        self.status = ipywidgets.Label()
        self.status.add_class("vsm-sim-status")
        self.histogram = LeadTimeHistogram()
        self.queues = QueueChart()
        self._controls = ipywidgets.HBox(
            [self.step, self.operators, self.batch, self.uptime, self.reset],
            layout=ipywidgets.Layout(flex_flow="row wrap", grid_gap="8px"),
        )
        self.step.observe(self._on_step, names="value")
        for control, name in (
            (self.operators, "parallel"),
            (self.batch, "batch_size"),
            (self.uptime, "uptime"),
        ):
            control.observe(lambda change, name=name: self._on_control(name, change["new"]), names="value")
        self.reset.on_click(lambda _: self._reset())
        return [self._controls, self.figures, self.status, self.histogram, self.queues]

    def _owned(self) -> list[ipywidgets.Widget]:
        parts = [self._controls, self.step, self.operators, self.batch, self.uptime, self.reset]
        return [*super()._owned(), *parts, self.figures, self.status, self.histogram, self.queues]

    # ----------------------------------------------------------------- following the map

    def _update(self, state: MapState, metrics: Metrics) -> None:
        steps = state.all_steps
        options = [(s.name, s.id) for s in steps]
        ids = {s.id for s in steps}
        # What-ifs of steps that are gone go with them.
        self.what_if = {k: v for k, v in self.what_if.items() if k in ids}
        self._quiet = True
        try:
            if list(self.step.options) != options:
                chosen = self.step.value
                self.step.options = options
                self.step.value = chosen if chosen in ids else (steps[0].id if steps else None)
            self._show_step()
        finally:
            self._quiet = False
        if self.result is None:
            self._resimulate()  # the first run: at once, and its errors raise
        else:
            self._schedule()

    def _show_step(self) -> None:
        """Set the controls to the chosen step's values, what-ifs included."""
        step = next((s for s in self._map.state.all_steps if s.id == self.step.value), None)
        if step is None:
            return
        wanted = self.what_if.get(step.id, {})
        self.operators.value = int(wanted.get("parallel", step.parallel))
        batch = wanted.get("batch_size", step.batch_size)
        self.batch.value = int(batch) if batch is not None else 1
        uptime = wanted.get("uptime", step.uptime)
        self.uptime.value = 100.0 if uptime is None else round(float(uptime) * 100, 1)

    def _on_step(self, change: dict[str, Any]) -> None:
        if not self._quiet:
            self._quietly(self._show_step)

    def _on_control(self, name: str, value: Any) -> None:
        if self._quiet or self.step.value is None:
            return
        self.set_what_if(self.step.value, **{name: value / 100 if name == "uptime" else value})

    # ----------------------------------------------------------------- what-ifs

    def set_what_if(self, step: str, **fields: Any) -> None:
        """Change ``fields`` (``parallel``, ``batch_size``, ``uptime`` as a share) of
        ``step`` (an id or a name) in the simulated copy, and re-simulate.
        """
        found = next((s for s in self._map.state.all_steps if step in (s.id, s.name)), None)
        if found is None:
            raise ValidationError("step", step, "no step of this map has this id or name")
        unknown = [name for name in fields if name not in WHAT_IF_FIELDS]
        if unknown:
            raise ValidationError(
                unknown[0], fields[unknown[0]], f"a what-if changes {', '.join(WHAT_IF_FIELDS)}"
            )
        self.what_if = {**self.what_if, found.id: {**self.what_if.get(found.id, {}), **fields}}
        if found.id == self.step.value and not self._quiet:
            self._quietly(self._show_step)
        self._schedule()

    def _reset(self) -> None:
        self.what_if = {}
        self._quietly(self._show_step)
        self._schedule()

    def _quietly(self, action: Callable[[], None]) -> None:
        """Set controls without taking their changes for what-ifs."""
        quiet, self._quiet = self._quiet, True
        try:
            action()
        finally:
            self._quiet = quiet

    # ----------------------------------------------------------------- simulating

    def _schedule(self) -> None:
        """Re-simulate after ``debounce`` seconds of quiet (at once without a loop)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self._debounce == 0:
            self._resimulate()
            return
        self._timer = loop.call_later(self._debounce, self._resimulate)
        if self._idle is None or self._idle.done():
            self._idle = loop.create_future()

    async def settled(self) -> None:
        """Wait until no re-simulation is pending (for notebooks and tests)."""
        if self._idle is not None and not self._idle.done():
            await self._idle

    def flush(self) -> None:
        """Run a pending re-simulation now."""
        if self._timer is not None:
            self._timer.cancel()
            self._resimulate()

    def _resimulate(self) -> None:
        self._timer = None
        try:
            started = time.perf_counter()
            model = self._map
            if self.what_if:
                model = self._map.copy()
                for step, fields in self.what_if.items():
                    model.update(step, **fields)
            # Through the map's own method: the simulation is a sibling layer, not below this one.
            result = model.simulate(**self._settings)  # type: ignore[attr-defined]
            self.seconds = time.perf_counter() - started
        except ValidationError as error:
            if self.result is None:
                raise
            # A what-if the map refuses: say so, keep the last result on screen.
            self.status.value = f"Not simulated: {error}"
            return
        finally:
            if self._idle is not None and not self._idle.done() and self._timer is None:
                self._idle.set_result(None)
        self.result = result
        self.runs += 1
        self._show(result)

    def _show(self, result: Any) -> None:
        summary = result.summary()
        display = result.display
        texts = [
            f"Lead time p50 {summary['lead_time_p50'].text(display)}",
            f"p85 {summary['lead_time_p85'].text(display)}",
            f"mean {summary['lead_time_mean'].text(display)}",
            f"throughput {summary['throughput_per_day'].text(display)} a day",
            f"WIP {summary['wip_mean'].text(display)}",
        ]
        self.figures.value = " · ".join(texts)
        changed = [
            f"{_name_of(self._map.state, step)}: "
            + ", ".join(_what_if_text(field, value, display) for field, value in fields.items())
            for step, fields in self.what_if.items()
        ]
        what = f"what-if {'; '.join(changed)}" if changed else "the map as it is"
        self.status.value = (
            f"{what} · {result.replications} x {result.items:,} orders, seed {result.seed} · "
            f"simulated in {display.number(self.seconds * 1000)} ms"
            + (f" · {result.warnings[0]}" if result.warnings else "")
        )
        self.histogram.show(result)
        self.queues.show(result)

    def close(self) -> None:
        """Stop any pending re-simulation and close the view."""
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
            self._timer = None
        super().close()


def _name_of(state: MapState, step_id: str) -> str:
    """A step's name, by id."""
    return next((s.name for s in state.all_steps if s.id == step_id), step_id)


def _what_if_text(field: str, value: Any, display: Any) -> str:
    if field == "uptime":
        return f"uptime {display.share(value)}"
    if field == "parallel":
        return f"{display.number(value)} operators"
    return f"batch {display.number(value)}"
