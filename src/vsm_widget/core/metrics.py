"""Metrics of a value stream map, as pure functions of a :class:`~vsm_widget.core.model.MapState`.

Every duration is in seconds. A "day" is the map's lead-time day
(:attr:`MapState.day_length`): a working day (the available time per day) unless the map
says calendar days. Formulas follow VSM-DOMAIN.md section 3 and Rother and Shook,
*Learning to See*; each function's docstring gives its formula and unit.

Undefined figures are ``None``, never a crash: no demand (or zero demand) means no takt
time, and an inventory that needs demand to become a time is named, by gap id, in
:attr:`Metrics.warnings`. Zero uptime makes a step's effective cycle time infinite (it
never produces); :meth:`Metrics.to_dict` turns infinity into ``None`` for JSON.

Every function here is total over the values the model accepts, however absurd
(10^12 units a day at a takt of nanoseconds, an uptime of 10^-300): a figure too large
for a float is infinity, never an ``OverflowError``, and no figure is ever NaN.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from . import units
from .display import Display
from .fields import MAIN, VALUE_CLASSES, WASTE_TYPES, Gap, MapState, Process
from .flow import flow_edges, step_order
from .frozen import builder

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Metrics",
    "StepMetrics",
    "GapMetrics",
    "MetricWarning",
    "compute",
    "available_time_per_day",
    "daily_demand",
    "takt_time",
    "inventory_days",
    "gap_wait_time",
    "step_lead_time",
    "lead_time",
    "process_time",
    "efficiency",
    "rolled_complete_accurate",
    "effective_cycle_time",
    "bottleneck",
    "capacity_per_day",
    "operators_needed",
    "line_efficiency",
    "balance_delay",
    "littles_law_lead_time",
    "epei",
    "expected_passes",
    "paths",
]


# --------------------------------------------------------------------------- formulas


def available_time_per_day(state: MapState) -> float | None:
    """Available time per working day (s) = shifts x (shift length - breaks).

    ``None`` when the map has no shift length (no calendar).
    """
    return state.available_time


def daily_demand(state: MapState) -> float | None:
    """Daily demand (units per working day) = demand per period / working days in it.

    A demand given per day needs no working days. ``None`` without demand, or for a
    longer period without its working days.
    """
    return state.daily_demand


def takt_time(state: MapState) -> float | None:
    """Takt time (s per unit) = available time per day (s) / daily demand (units per day).

    ``None`` without a calendar or without demand; zero demand has no takt either.
    """
    available = state.available_time
    demand = state.daily_demand
    if available is None or not demand:
        return None
    return available / demand


def inventory_days(gap: Gap, state: MapState) -> float | None:
    """Inventory as time (days of demand) = quantity waiting (units) / daily demand
    (units per day).

    Quantities of several variants are summed first (the gap's quantity is their sum).
    ``None`` without a quantity, or without (or with zero) demand.
    """
    demand = state.daily_demand
    if gap.quantity is None or not demand:
        return None
    return gap.quantity / demand


def gap_wait_time(gap: Gap, state: MapState) -> float | None:
    """Wait on a gap's upper rung of the timeline (s) = its measured wait time if given,
    else inventory days x the length of one lead-time day (s).

    ``None`` when neither can be known.
    """
    if gap.wait_time is not None:
        return gap.wait_time
    days = inventory_days(gap, state)
    return None if days is None else days * state.day_length


def step_lead_time(step: Process) -> float | None:
    """A step's time on the lower rung of the timeline (s) = its own lead time (office
    maps: elapsed time through the step), else its process time, else its C/T.
    """
    if step.lead_time is not None:
        return step.lead_time
    return step.touch_time


def lead_time(state: MapState) -> float:
    """Total lead time (s) = sum of all gap waits (s) + sum of the steps' lower-rung
    times (s), along the critical path.

    A straight map's critical path is the whole stream. Where the stream branches, the
    critical path is the longest path (in lead time) from any start to the end: a feeder
    line's start, or the main line's. Gaps and steps whose time cannot be known count as
    zero (see :attr:`Metrics.warnings` and :attr:`Metrics.lead_time_complete`).
    """
    return compute(state).lead_time


def process_time(state: MapState) -> float:
    """Total process time, the value-added time (s) = sum of process times (C/T in
    manufacturing maps, hands-on time in office maps) along the critical path (the
    whole stream of a straight map).
    """
    return compute(state).process_time


def expected_passes(share: float) -> float:
    """Expected passes through a rework loop's segment = 1 / (1 - s), where s is the
    share sent back (each pass is a new try: a geometric number of tries).

    Infinity for a share of 1 (the model refuses it).
    """
    return math.inf if share >= 1 else 1 / (1 - share)


def efficiency(process: float, lead: float) -> float | None:
    """Process cycle efficiency (activity ratio, flow efficiency; a share) = total
    process time (s) / total lead time (s).

    ``None`` when the lead time is zero (an empty map).
    """
    if lead <= 0:
        return None
    return process / lead


def rolled_complete_accurate(state: MapState) -> float | None:
    """Rolled %C&A (a share) = product of every step's %C&A.

    Steps without a %C&A are left out (not measured is not 100%); ``None`` when no step
    has one.
    """
    shares = [s.complete_accurate for s in state.steps if s.complete_accurate is not None]
    return math.prod(shares) if shares else None


def effective_cycle_time(step: Process) -> float | None:
    """Effective cycle time (s) = C/T (s) / uptime / parallel stations.

    Uses the process time where no C/T is given; a step without uptime counts as 100%.
    Zero uptime gives infinity (the step never produces), unless the time is zero too.
    ``None`` without a time.
    """
    base = step.cycle_time if step.cycle_time is not None else step.process_time
    if base is None:
        return None
    uptime = 1.0 if step.uptime is None else step.uptime
    if uptime == 0:
        return math.inf if base > 0 else 0.0
    return base / uptime / step.parallel


def bottleneck(state: MapState) -> Process | None:
    """The step with the largest effective cycle time (the first of equals), on any path.

    A step whose effective cycle time exceeds takt cannot meet demand (see
    :attr:`Metrics.steps_over_takt`); a feeder that cannot keep up starves the step it
    feeds. ``None`` when no step has a time.
    """
    best: Process | None = None
    best_time = -1.0
    for step in state.all_steps:
        time = effective_cycle_time(step)
        if time is not None and time > best_time:
            best, best_time = step, time
    return best


def capacity_per_day(step: Process, state: MapState) -> float | None:
    """Capacity per day (units per day) = available time per day (s) x uptime / C/T (s),
    times the parallel stations; that is, available time / effective cycle time.

    Infinity for a zero cycle time; ``None`` without a calendar or a time.
    """
    available = state.available_time
    time = effective_cycle_time(step)
    if available is None or time is None:
        return None
    if time == 0:
        return math.inf
    return available / time


def operators_needed(work_content: float, takt: float | None) -> float | None:
    """Operators needed for line balance (people) = total work content (s) / takt time (s).

    Work content is the sum of the steps' C/T (hands-on process time for an office step
    that has no C/T). ``None`` without takt.
    """
    if not takt:
        return None
    return work_content / takt


def line_efficiency(work_content: float, stations: int, takt: float | None) -> float | None:
    """Line efficiency (a share) = work content, the sum of C/T (s) / (stations x takt (s)).

    ``None`` without takt or without stations.
    """
    if not takt or stations == 0:
        return None
    return work_content / (stations * takt)


def balance_delay(line_share: float | None) -> float | None:
    """Balance delay (a share) = 1 - line efficiency; ``None`` when that is unknown."""
    return None if line_share is None else 1 - line_share


def littles_law_lead_time(wip: float, throughput: float | None) -> float | None:
    """Little's law lead time (days) = WIP (units) / throughput (units per day).

    ``None`` without (or with zero) throughput.
    """
    if not throughput:
        return None
    return wip / throughput


def epei(step: Process, state: MapState, parts: int = 1) -> float | None:
    """Every part every interval (days) = sum of changeover times (s) /
    (available time per day (s) - daily run time (s)), where daily run time = daily
    demand (units) x effective C/T (s). With ``parts`` variants, each is changed over to
    once per interval, so the changeovers sum to ``parts x changeover``.

    Infinity when the run time leaves no time for changeovers; ``None`` when a figure is
    missing.
    """
    return _epei(step.changeover, effective_cycle_time(step), state.available_time, state.daily_demand, parts)


def _epei(
    changeover: float | None, time: float | None, available: float | None, demand: float | None, parts: int
) -> float | None:
    if changeover is None or available is None or demand is None or time is None:
        return None
    # Without demand there is nothing to run (and 0 x infinity would be NaN).
    spare = available - (demand * time if demand else 0.0)
    if spare <= 0:
        return math.inf
    return changeover * parts / spare


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class StepMetrics:
    """Figures for one step (durations in seconds, capacity in units per day, EPEI in days);
    ``path`` is the path it is on (``"main"`` or a branch id).
    """

    id: str
    name: str
    touch_time: float | None
    lead_time: float | None
    effective_cycle_time: float | None
    capacity_per_day: float | None
    epei_days: float | None
    over_takt: bool
    is_bottleneck: bool
    path: str = MAIN


@dataclass(frozen=True, slots=True)
class GapMetrics:
    """Figures for one gap (inventory in days of demand, wait in seconds).

    ``path`` is the path the gap is on (``"main"`` or a branch id) and ``downstream`` the
    step it waits for on that path (for a branch's last gap, the step the branch feeds;
    None after the main line's last step): its wait counts in that path's lead time.
    """

    id: str
    quantity: float | None
    inventory_days: float | None
    wait_time: float | None
    path: str = MAIN
    downstream: str | None = None


@dataclass(frozen=True, slots=True)
class MetricWarning:
    """A figure that could not be computed: which element (``target`` id) needs what."""

    target: str
    message: str


#: The earlier name of :class:`MetricWarning`, kept so that old code still imports.
Warning_ = MetricWarning


# Thousands of these per computation: see vsm_widget.core.frozen.
_step_metrics = builder(StepMetrics)
_gap_metrics = builder(GapMetrics)

_STEP_FIELDS = tuple(f.name for f in fields(StepMetrics))
_GAP_FIELDS = tuple(f.name for f in fields(GapMetrics))
_RATIOS = ("efficiency", "rolled_complete_accurate", "line_efficiency", "balance_delay")


@dataclass(frozen=True)
class Metrics:
    """All metrics of one map state. Durations in seconds; see the module's functions
    for each formula. Turn into a dict with :meth:`to_dict` or a one-row DataFrame with
    :meth:`to_frame`; express a duration in another unit with :meth:`in_unit`.

    ``inventory_days`` and ``littles_law_days`` are days of demand (working days);
    ``lead_time`` counts a day as ``day_length`` seconds, a working day unless
    ``day_basis`` is ``"calendar"``.

    Where the stream branches, ``lead_time``, ``process_time``, ``wait_time`` and
    ``inventory_days`` are those of the critical path (``critical_path`` names it:
    ``"main"`` or a branch id; ``critical_steps`` lists its steps), the first-pass
    figures; ``lead_time_with_rework`` counts rework loops too. Takt, the bottleneck,
    capacity, work content, line balance, rolled %C&A, inventory totals and the time by
    value class and waste consider every step and gap on every path.
    """

    day_length: float
    day_basis: str
    available_time: float | None
    daily_demand: float | None
    takt_time: float | None
    lead_time: float
    process_time: float
    wait_time: float
    efficiency: float | None
    rolled_complete_accurate: float | None
    bottleneck: str | None
    bottleneck_name: str | None
    bottleneck_cycle_time: float | None
    steps_over_takt: tuple[str, ...]
    total_inventory: float
    inventory_days: float | None
    work_content: float
    operators_needed: float | None
    line_efficiency: float | None
    balance_delay: float | None
    littles_law_days: float | None
    step_count: int
    lead_time_complete: bool
    time_by_value_class: dict[str, float] = field(default_factory=dict)
    time_by_waste: dict[str, float] = field(default_factory=dict)
    steps: tuple[StepMetrics, ...] = ()
    gaps: tuple[GapMetrics, ...] = ()
    warnings: tuple[MetricWarning, ...] = ()
    #: The map's ladder units as set (``"auto"`` or s/min/h/d): see :attr:`display`.
    lead_unit: str = "auto"
    process_unit: str = "auto"
    #: The expected lead time with rework (s): see :func:`compute`.
    lead_time_with_rework: float = 0.0
    #: The steps whose rework is estimated from their %C&A (no loop drawn from them).
    rework_estimated: tuple[str, ...] = ()
    #: The critical path's id (``"main"`` or a branch id) and its steps, in flow order.
    critical_path: str = MAIN
    critical_steps: tuple[str, ...] = ()
    path_count: int = 1

    #: Names of the scalar figures that are durations in seconds.
    DURATIONS = (
        "day_length",
        "available_time",
        "takt_time",
        "lead_time",
        "process_time",
        "wait_time",
        "work_content",
        "bottleneck_cycle_time",
        "lead_time_with_rework",
    )

    def in_unit(self, name: str, unit: str) -> float | None:
        """A duration metric in ``unit``: ``"s"``, ``"min"``, ``"h"`` or ``"d"`` (the
        map's lead-time days).
        """
        if name not in self.DURATIONS:
            raise KeyError(f"{name!r} is not a duration metric; durations: {', '.join(self.DURATIONS)}")
        value = getattr(self, name)
        return None if value is None else units.to_unit(value, unit, day=self.day_length)

    def in_minutes(self, name: str) -> float | None:
        """A duration metric in minutes."""
        return self.in_unit(name, "min")

    def in_hours(self, name: str) -> float | None:
        """A duration metric in hours."""
        return self.in_unit(name, "h")

    def in_days(self, name: str) -> float | None:
        """A duration metric in the map's lead-time days (working days unless the map
        counts calendar days).
        """
        return self.in_unit(name, "d")

    in_working_days = in_days

    @property
    def display(self) -> Display:
        """The map's display rule (:mod:`vsm_widget.core.display`): its day, and its ladder units
        as the map sets them, ``"auto"`` ones chosen from these totals.
        """
        rule = Display(self.day_length, self.day_basis, self.lead_unit, self.process_unit)
        return rule.resolve(self.lead_time, self.process_time)

    def format(self, name: str, unit: str | None = None) -> str:
        """A metric as text a person reads, by the map's one display rule (the canvas, the
        cards and the SVG read alike): ``"23.6 d"``, ``"188 s"``, ``"85%"``, ``"1,200"``.

        Lead and wait time read in the map's lead unit, process time and work content in
        its process unit (each set on the map, ``m.lead_unit = "d"``, or chosen from the
        totals), other durations in the unit that suits them; ``unit`` forces one.
        """
        value = getattr(self, name)
        display = self.display
        if name in self.DURATIONS:
            if unit is not None:
                return display.duration(value, unit)
            if name in ("lead_time", "wait_time", "lead_time_with_rework"):
                return display.lead(value)
            if name in ("process_time", "work_content"):
                return display.process(value)
            return display.duration(value)
        if name == "line_efficiency":
            return display.capacity_share(value)
        if name == "balance_delay":
            return display.balance_delay(value)
        if name in _RATIOS:
            return display.share(value)
        if name in ("inventory_days", "littles_law_days"):
            return display.days_of_demand(value)
        if value is None:
            return "–"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (int, float)):
            return display.number(value)
        if isinstance(value, tuple):
            return ", ".join(map(str, value))
        return str(value)

    def warning_for(self, target: str) -> tuple[str, ...]:
        """The warning messages about one element (by id)."""
        return tuple(w.message for w in self.warnings if w.target == target)

    def scalars(self) -> dict[str, Any]:
        """The map-level figures (no per-step detail), JSON-ready (infinity becomes None)."""
        data = {name: _finite(getattr(self, name)) for name in _SCALARS}
        data["steps_over_takt"] = list(self.steps_over_takt)
        data["rework_estimated"] = list(self.rework_estimated)
        return data

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain, JSON-ready data (infinite values become ``None``)."""
        data = self.scalars()
        data["time_by_value_class"] = {k: _finite(v) for k, v in self.time_by_value_class.items()}
        data["time_by_waste"] = {k: _finite(v) for k, v in self.time_by_waste.items()}
        data["steps"] = [
            {name: _finite(value) for name, value in zip(_STEP_FIELDS, _step_values(s), strict=True)}
            for s in self.steps
        ]
        data["gaps"] = [
            {
                "id": g.id,
                "quantity": g.quantity,
                "inventory_days": _finite(g.inventory_days),
                "wait_time": _finite(g.wait_time),
            }
            for g in self.gaps
        ]
        data["warnings"] = [{"target": w.target, "message": w.message} for w in self.warnings]
        data["critical_steps"] = list(self.critical_steps)
        for figures, gap in zip(data["gaps"], self.gaps, strict=True):
            figures["path"], figures["downstream"] = gap.path, gap.downstream
        return data

    def to_frame(self) -> pd.DataFrame:
        """The map-level figures as a one-row pandas DataFrame."""
        import pandas as pd

        row = self.scalars()
        row["steps_over_takt"] = ", ".join(self.steps_over_takt)
        row["rework_estimated"] = ", ".join(self.rework_estimated)
        return pd.DataFrame([row])

    def steps_frame(self) -> pd.DataFrame:
        """Per-step figures as a DataFrame indexed by step id."""
        import pandas as pd

        rows = [_step_values(s) for s in self.steps]
        return pd.DataFrame(rows, columns=list(_STEP_FIELDS)).set_index("id")


_SCALARS = tuple(
    f.name
    for f in fields(Metrics)
    # Per-element detail, and the map's display settings, which are no figures.
    if f.name
    not in (
        "time_by_value_class",
        "time_by_waste",
        "steps",
        "gaps",
        "warnings",
        "lead_unit",
        "process_unit",
        "critical_steps",
    )
)


def _step_values(step: StepMetrics) -> tuple[Any, ...]:
    return (
        step.id,
        step.name,
        step.touch_time,
        step.lead_time,
        step.effective_cycle_time,
        step.capacity_per_day,
        step.epei_days,
        step.over_takt,
        step.is_bottleneck,
        step.path,
    )


def _finite(value: Any) -> Any:
    if value.__class__ is float and not math.isfinite(value):
        return None
    return value


def _sum(values: Iterable[float]) -> float:
    """The exact sum of non-negative figures, or infinity when it is beyond a float.

    ``math.fsum`` raises on an intermediate overflow where plain addition gives infinity.
    """
    values = list(values)
    try:
        return math.fsum(values)
    except OverflowError:
        return math.inf


def _spread(totals: dict[str, float], keys: Iterable[str], seconds: float) -> None:
    keys = tuple(keys)
    share = seconds / len(keys)
    for key in keys:
        totals[key] += share


def compute(state: MapState) -> Metrics:
    """Compute every metric of ``state`` in one pass over the stream.

    The per-element figures use the same formulas as the functions above, written out
    inline: this runs after every edit, on maps of a thousand steps.

    Where the stream branches, the lead time is that of the critical path: the longest
    path (in lead time: waits and step times) from any start, the main line's or a
    feeder's, to the end. A parallel path that splits off after one step and rejoins at
    another runs beside the main line's steps between them; the longer of the two counts.

    ``lead_time_with_rework`` is the expected lead time with rework, along the path that
    is longest once rework is counted. Each rework loop's segment (its steps from the
    loop's target to its source and the waits between them) counts 1 / (1 - share)
    times (:func:`expected_passes`; a step in two loops' segments counts the product).
    A step whose %C&A is given and below 100% and from which no loop is drawn is an
    estimate, by this convention: 1 - %C&A of its output is sent back once and redone
    once, so the step's own time counts 1 + (1 - %C&A) times and the waits once. Those
    steps are listed in ``rework_estimated``. The plain ``lead_time`` is the first-pass
    figure, with no rework.
    """
    day = state.day_length
    available = state.available_time
    demand = state.daily_demand
    takt = None if available is None or not demand else available / demand
    warnings: list[MetricWarning] = []
    by_class = dict.fromkeys((*VALUE_CLASSES, "unclassified", "waiting"), 0.0)
    by_waste = dict.fromkeys(WASTE_TYPES, 0.0)
    steps: list[Process] = []
    step_paths: list[str] = []
    gap_results: list[GapMetrics] = []
    variant_names: set[str] = set()
    total_inventory = 0.0
    inventory_day_total = 0.0
    has_inventory = False
    waits: list[float] = []
    complete = True
    ends = {branch.id: branch.into for branch in state.branches}
    for path, items in state.by_path:
        last = len(items) - 1
        for index, item in enumerate(items):
            if item.__class__ is Process:
                steps.append(item)  # type: ignore[arg-type]
                step_paths.append(path)
                continue
            gap: Gap = item  # type: ignore[assignment]
            # Never two gaps side by side: what follows a gap is its step, or the path's end.
            downstream = items[index + 1].id if index < last else ends.get(path)
            quantity = gap.quantity
            days = None if quantity is None or not demand else quantity / demand
            wait = gap.wait_time if gap.wait_time is not None else (None if days is None else days * day)
            if gap.variants:
                variant_names.update(name for name, _ in gap.variants)
            if quantity is not None:
                has_inventory = True
                total_inventory += quantity
                if days is not None:
                    inventory_day_total += days
            if wait is None:
                complete = False
                if quantity is None:
                    warnings.append(
                        MetricWarning(gap.id, "gap has neither an inventory quantity nor a wait time")
                    )
                elif demand == 0:
                    warnings.append(
                        MetricWarning(gap.id, "inventory cannot become a time: customer demand is zero")
                    )
                else:
                    warnings.append(MetricWarning(gap.id, "inventory needs customer demand to become a time"))
            else:
                waits.append(wait)
                by_class["waiting"] += wait
                tags = gap.waste or (("inventory",) if quantity is not None else ("waiting",))
                if len(tags) == 1:
                    by_waste[tags[0]] += wait  # the usual one tag: no share to divide
                else:
                    _spread(by_waste, tags, wait)
            gap_results.append(_gap_metrics(gap.id, quantity, days, wait, path, downstream))

    parts = max(1, len(variant_names))
    sources = {loop.source for loop in state.reworks}
    estimated: dict[str, float] = {}
    redo: list[float] = []
    step_lead: list[float] = []
    touches: list[float] = []
    work: list[float] = []
    shares: list[float] = []
    over: list[str] = []
    step_results: list[StepMetrics] = []
    stations = 0
    top: Process | None = None
    top_index = -1
    top_time = -1.0
    inf = math.inf
    for step, path in zip(steps, step_paths, strict=True):
        cycle = step.cycle_time
        touch = step.process_time if step.process_time is not None else cycle
        base = cycle if cycle is not None else step.process_time
        time: float | None = None
        capacity: float | None = None
        epei_days: float | None = None
        late = False
        if base is not None:
            uptime = step.uptime
            if uptime is None:
                time = base / step.parallel
            elif uptime == 0:
                time = inf if base > 0 else 0.0
            else:
                time = base / uptime / step.parallel
            if time > top_time:
                top, top_index, top_time = step, len(step_results), time
            # Work content is C/T, or the hands-on time of an office step without one.
            work.append(base)
            stations += step.parallel
            if available is not None:
                capacity = inf if time == 0 else available / time
                changeover = step.changeover
                if changeover is not None and demand is not None:
                    # EPEI, as in epei(): changeovers / (available time - daily run time).
                    spare = available - (demand * time if demand else 0.0)
                    epei_days = changeover * parts / spare if spare > 0 else inf
            late = takt is not None and time > takt
            if late:
                over.append(step.id)
        share = step.complete_accurate
        if touch is not None:
            touches.append(touch)
        own = step.lead_time if step.lead_time is not None else touch
        if share is not None:
            shares.append(share)
            if share < 1 and step.id not in sources:
                # Rework estimated from %C&A: see compute's docstring.
                estimated[step.id] = 2 - share
                if own is not None:
                    redo.append((1 - share) * own)
        step_results.append(
            _step_metrics(step.id, step.name, touch, own, time, capacity, epei_days, late, False, path)
        )
        if own is None:
            complete = False
            warnings.append(MetricWarning(step.id, "step has no cycle, process or lead time"))
            continue
        step_lead.append(own)
        by_class[step.value_class or "unclassified"] += own
        if step.value_class != "value-adding" and step.waste:
            _spread(by_waste, step.waste, own)
    if top is not None:
        step_results[top_index] = dataclasses.replace(step_results[top_index], is_bottleneck=True)
    top_id = top.id if top is not None else None
    if steps and takt is None:
        if available is None:
            warnings.append(MetricWarning("customer", "takt time needs the available time per day"))
        if demand is None:
            customer = state.customer
            if customer.demand is None:
                warnings.append(MetricWarning("customer", "takt time needs customer demand"))
            else:
                warnings.append(
                    MetricWarning("customer", f"takt time needs the working days in a {customer.period}")
                )
        elif demand == 0:
            warnings.append(MetricWarning("customer", "customer demand is zero: there is no takt time"))

    critical, count = MAIN, 1
    if state.branches:
        graph = _Graph(state)
        critical, route = _Flow(graph, _times(step_results, gap_results)).critical()
        count = len(graph.paths)
        by_id = {f.id: f for f in step_results}
        figures = _route_figures(route, by_id, {g.id: g for g in gap_results})
        wait_total, lead, process, inventory_days = figures
        critical_steps = tuple(item for item in route if item in by_id)
    else:
        graph = None
        critical_steps = tuple(s.id for s in steps)
        wait_total = _sum(waits)
        lead = wait_total + _sum(step_lead)
        process = _sum(touches)
        inventory_days = inventory_day_total if has_inventory and demand else None
    with_rework = _with_rework(state, graph, estimated, lead, redo, step_results, gap_results)
    work_content = _sum(work)
    line = line_efficiency(work_content, stations, takt)
    return Metrics(
        day_length=day,
        day_basis=state.day_basis,
        available_time=available,
        daily_demand=demand,
        takt_time=takt,
        lead_time=lead,
        process_time=process,
        wait_time=wait_total,
        efficiency=efficiency(process, lead),
        rolled_complete_accurate=math.prod(shares) if shares else None,
        bottleneck=top_id,
        bottleneck_name=top.name if top is not None else None,
        bottleneck_cycle_time=top_time if top is not None else None,
        steps_over_takt=tuple(over),
        total_inventory=total_inventory,
        inventory_days=inventory_days,
        work_content=work_content,
        operators_needed=operators_needed(work_content, takt),
        line_efficiency=line,
        balance_delay=balance_delay(line),
        littles_law_days=littles_law_lead_time(total_inventory, demand) if has_inventory else None,
        step_count=len(steps),
        lead_time_complete=complete,
        time_by_value_class=by_class,
        time_by_waste=by_waste,
        steps=tuple(step_results),
        gaps=tuple(gap_results),
        warnings=tuple(warnings),
        lead_unit=state.lead_unit,
        process_unit=state.process_unit,
        lead_time_with_rework=with_rework,
        rework_estimated=tuple(estimated),
        critical_path=critical,
        critical_steps=critical_steps,
        path_count=count,
    )


# --------------------------------------------------------------------------- paths

# A route: the ids of the steps and gaps along one path from a start to the end.
Route = list[str]


class _Graph:
    """The stream as a graph of steps: the hops into and out of each step, and each
    path's hops, with the steps in flow order.
    """

    def __init__(self, state: MapState) -> None:
        hops = flow_edges(state)
        self.order, _ = step_order(hops)
        self.place = {step: index for index, step in enumerate(self.order)}
        self.into: dict[str | None, list[_Hop]] = {}
        self.out: dict[str | None, list[_Hop]] = {}
        self.paths: dict[str, list[_Hop]] = {}
        for source, target, gap, path in hops:
            hop = (source, target, None if gap is None else gap.id)
            self.into.setdefault(target, []).append(hop)
            self.out.setdefault(source, []).append(hop)
            self.paths.setdefault(path, []).append(hop)
        self.heads: dict[str, str | None] = {b.id: b.after for b in state.branches}
        self.tails: dict[str, str | None] = {b.id: b.into for b in state.branches}

    def between(self, first: str, last: str) -> set[str]:
        """The steps on the way from step ``first`` to step ``last`` (both included)."""
        place, top = self.place, self.place[last]
        # Flow order bounds the search: no step after ``last`` leads back to it.
        ahead = _reach(first, self.out, 1, lambda step: place[step] <= top)
        return _reach(last, self.into, 0, ahead.__contains__) if last in ahead else set()


def _reach(start: str, hops: dict[str | None, list[_Hop]], end: int, keep: Callable[[str], bool]) -> set[str]:
    """The steps reached from ``start`` along ``hops`` (to their ``end`` side), those ``keep`` lets by."""
    found = {start}
    todo = [start]
    while todo:
        for hop in hops.get(todo.pop(), ()):
            step = hop[end]
            if step is not None and step not in found and keep(step):
                found.add(step)
                todo.append(step)
    return found


class _Flow:
    """The longest way to and from every step of a :class:`_Graph`, by given times.

    ``best_to[s]`` is the longest time (waits and step times, from ``time`` by id) from
    any start to the end of step ``s``; ``best_from[s]`` from the start of ``s`` to the
    end. The longest path through the whole of one path (the main line, or a branch) is
    the longest way to where that path starts, the path itself, and the longest way on
    from where it ends. Every path from a start to the end runs through the whole of at
    least one path (the last branch it enters, or the main line), so the longest of
    these is the critical path.
    """

    def __init__(self, graph: _Graph, time: dict[str | None, float]) -> None:
        self.graph, self.time = graph, time
        best_to: dict[str | None, float] = {None: 0.0}
        self.back: dict[str, _Hop] = {}
        for step in graph.order:
            hops = graph.into[step]
            hop = hops[0] if len(hops) == 1 else max(hops, key=lambda h: best_to[h[0]] + time[h[2]])
            best_to[step] = best_to[hop[0]] + time[hop[2]] + time[step]
            self.back[step] = hop
        best_from: dict[str | None, float] = {None: 0.0}
        self.on: dict[str, _Hop] = {}
        for step in reversed(graph.order):
            hops = graph.out[step]
            hop = hops[0] if len(hops) == 1 else max(hops, key=lambda h: time[h[2]] + best_from[h[1]])
            best_from[step] = time[step] + time[hop[2]] + best_from[hop[1]]
            self.on[step] = hop
        self.best_to, self.best_from = best_to, best_from

    def totals(self) -> dict[str, float]:
        """The longest lead time through the whole of each path, by path id."""
        time, graph = self.time, self.graph
        found = {}
        for path, hops in graph.paths.items():
            # A path's own items: the gap on each hop, and each hop's step but the last
            # (the step the path feeds, counted in the way on from it).
            own = sum(time[hop[2]] + time[hop[1]] for hop in hops[:-1]) + time[hops[-1][2]]
            found[path] = self.best_to[graph.heads.get(path)] + own + self.best_from[graph.tails.get(path)]
        return found

    def critical(self) -> tuple[str, Route]:
        """The critical path's id (the first of equals: the main line first) and its route."""
        totals = self.totals()
        best = max(totals, key=totals.__getitem__)
        return best, self.route(best)

    def route(self, path: str) -> Route:
        """The longest route through the whole of ``path``: the ids of its steps and gaps."""
        graph = self.graph
        before = _walk(graph.heads.get(path), self.back, upstream=True)
        before.reverse()
        hops = graph.paths[path]
        own: Route = []
        for index, (_, target, gap) in enumerate(hops):
            if gap is not None:
                own.append(gap)
            if index < len(hops) - 1:
                own.append(target)  # type: ignore[arg-type]
        after = _walk(graph.tails.get(path), self.on, upstream=False)
        return before + own + after


def _times(steps: Iterable[StepMetrics], gaps: Iterable[GapMetrics]) -> dict[str | None, float]:
    """Every step's and gap's time on the ladder (s; unknown counts as zero), by id;
    None (no gap, no step) takes no time.
    """
    time: dict[str | None, float] = {step.id: step.lead_time or 0.0 for step in steps}
    time.update({gap.id: gap.wait_time or 0.0 for gap in gaps})
    time[None] = 0.0
    return time


def _walk(step: str | None, links: dict[str, _Hop], *, upstream: bool) -> Route:
    """The steps and gaps from ``step`` to a start (``upstream``) or to the end, along
    the hop chosen at each step (its longest way back, or on).
    """
    found: Route = []
    while step is not None:
        found.append(step)
        source, target, gap = links[step]
        if gap is not None:
            found.append(gap)
        step = source if upstream else target
    return found


# One hop of a _Flow: (from step, to step, the gap's id), None at a start, the end, no gap.
_Hop = tuple[str | None, str | None, str | None]


def _route_figures(
    route: Route, steps: dict[str, StepMetrics], gaps: dict[str, GapMetrics]
) -> tuple[float, float, float, float | None]:
    """Wait, lead time and process time (s), and inventory days, along a route.

    Summed as a straight map's are (the waits, then the step times), so a straight
    map's figures are exactly its whole stream's.
    """
    waits = [gaps[i].wait_time for i in route if i in gaps]
    days = [gaps[i].inventory_days for i in route if i in gaps]
    own = [steps[i].lead_time for i in route if i in steps]
    touches = [steps[i].touch_time for i in route if i in steps]
    wait = _sum(w for w in waits if w is not None)
    counted = [d for d in days if d is not None]
    lead = wait + _sum(t for t in own if t is not None)
    return wait, lead, _sum(t for t in touches if t is not None), math.fsum(counted) if counted else None


def _with_rework(
    state: MapState,
    graph: _Graph | None,
    estimated: dict[str, float],
    lead: float,
    redo: list[float],
    step_figures: list[StepMetrics],
    gap_figures: list[GapMetrics],
) -> float:
    """The expected lead time with rework (s; see :func:`compute` for the rule and the
    convention). ``estimated`` holds the passes through each step whose rework is
    estimated from its %C&A, and ``redo`` the time each of them adds once redone.
    """
    if not state.reworks:
        if not estimated:
            return lead
        if not state.branches:
            # One path, the whole stream: each estimate adds its redone share once.
            return lead + _sum(redo)
    factors = dict(estimated)
    if state.reworks:
        graph = graph or _Graph(state)
        for loop in state.reworks:
            # The segment: the steps on the way from the loop's target to its source, and
            # the gaps between two of them.
            segment = graph.between(loop.target, loop.source)
            passes = expected_passes(loop.share)
            for step in segment:
                factors[step] = factors.get(step, 1.0) * passes
                for _, target, gap in graph.out[step]:
                    if gap is not None and target in segment:
                        factors[gap] = factors.get(gap, 1.0) * passes
    time = _times(step_figures, gap_figures)
    for item, factor in factors.items():
        time[item] *= factor
    _, route = _Flow(graph or _Graph(state), time).critical()
    return _sum(time[item] for item in route)


def paths(state: MapState) -> pd.DataFrame:
    """One row per path of the stream, indexed by path id (``"main"``, then each branch).

    A path's row is the longest route from a start to the end that runs through the
    whole of that path: for a feeder, its own start, its steps, then on from the step it
    feeds; for a parallel path, the way to the step it splits off after, its steps, then
    on from the step it rejoins. Columns: ``steps`` (the step names along the route, in
    flow order), ``lead_time`` (waits + step times, s), ``process_time`` (s),
    ``efficiency`` (process time / lead time) and ``critical`` (the route that sets the
    map's lead time: :attr:`Metrics.critical_path`). A straight map has one row, its
    whole stream.
    """
    import pandas as pd

    metrics = compute(state)
    graph = _Graph(state)
    flow = _Flow(graph, _times(metrics.steps, metrics.gaps))
    steps = {f.id: f for f in metrics.steps}
    gaps = {g.id: g for g in metrics.gaps}
    rows = []
    for path in graph.paths:
        route = flow.route(path)
        _, lead, process, _ = _route_figures(route, steps, gaps)
        names = tuple(steps[i].name for i in route if i in steps)
        rows.append(
            {
                "path": path,
                "steps": names,
                "lead_time": lead,
                "process_time": process,
                "efficiency": efficiency(process, lead),
                "critical": path == metrics.critical_path,
            }
        )
    columns = ["path", "steps", "lead_time", "process_time", "efficiency", "critical"]
    return pd.DataFrame(rows, columns=columns).set_index("path")
