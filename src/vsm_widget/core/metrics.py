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

import bisect
import dataclasses
import functools
import itertools
import math
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from . import units
from .display import Display
from .fields import MAIN, VALUE_CLASSES, WASTE_TYPES, Gap, MapState, Process
from .frozen import builder

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Metrics",
    "StepMetrics",
    "GapMetrics",
    "MetricWarning",
    "compute",
    "PathTotals",
    "path_totals",
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

#: The last computation's figures: what they were made from (the available time, takt,
#: demand, the day's length and the parts the gaps name), its state (which keeps every
#: item alive, so that no other object can take an item's id) and every step's and gap's
#: figures by the item's id. States are immutable, and an edit's new state shares every
#: item the edit did not touch: after an edit, :func:`compute` makes the figures of the
#: touched items only. One computation's, not more: the memory of older figures is then
#: free for the next ones (holding two made a map just loaded a fifth slower to compute).
_made: list[tuple[tuple[float | None, ...], MapState | None, dict[int, Any]]] = [((), None, {})]


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
    #: The steps whose rework is estimated from their %C&A (no loop covers them).
    rework_estimated: tuple[str, ...] = ()
    #: The critical path's id (``"main"`` or a branch id) and its steps, in flow order.
    critical_path: str = MAIN
    critical_steps: tuple[str, ...] = ()
    path_count: int = 1
    #: The figures the static metrics take as the means of distributions: ``(element id,
    #: field)`` of every step or gap duration given as a distribution (see
    #: :mod:`vsm_widget.core.fields`). Their variability shows in a simulation, not here.
    means: tuple[tuple[str, str], ...] = ()

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

    @property
    def notes(self) -> tuple[str, ...]:
        """What the figures take as given, in words: ``"Weld's cycle_time is the mean of its
        distribution"``, one note per element with durations given as distributions.
        """
        named: dict[str, list[str]] = {}
        for target, name in self.means:
            named.setdefault(target, []).append(name)
        found = []
        for target, names in named.items():
            step = next((s.name for s in self.steps if s.id == target), f"gap {target}")
            what = " and ".join(names)
            if len(names) == 1:
                found.append(f"{step}'s {what} is the mean of its distribution")
            else:
                found.append(f"{step}'s {what} are the means of their distributions")
        return tuple(found)

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
        data["means"] = [{"target": target, "field": name} for target, name in self.means]
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
        "means",
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
    inline: this runs after every edit, on maps of a thousand steps. The figures of the
    steps and gaps an edit did not touch are those the last computation made (the very
    objects, where the calendar and demand are the same; see :data:`_made`).

    Where the stream branches, the lead time is that of the critical path: the longest
    path (in lead time: waits and step times) from any start, the main line's or a
    feeder's, to the end. A parallel path that splits off after one step and rejoins at
    another runs beside the main line's steps between them; the longer of the two counts.

    ``lead_time_with_rework`` is the expected lead time with rework, along the path that
    is longest once rework is counted. Each rework loop's segment (its steps from the
    loop's target to its source and the waits between them) counts 1 / (1 - share)
    times (:func:`expected_passes`; a step in two loops' segments counts the product).
    A step whose %C&A is given and below 100% and that no loop covers (it is in no
    loop's segment, and no loop is drawn from it) is an estimate, by this convention:
    1 - %C&A of its output is sent back once and redone once, so the step's own time
    counts 1 + (1 - %C&A) times and the waits once. Those
    steps are listed in ``rework_estimated``. The plain ``lead_time`` is the first-pass
    figure, with no rework.
    """
    day = state.day_length
    available = state.available_time
    demand = state.daily_demand
    takt = None if available is None or not demand else available / demand
    # Gap warnings first, then the steps', then the customer's: the order they are listed in.
    warnings: list[MetricWarning] = []
    step_warnings: list[MetricWarning] = []
    by_class = dict.fromkeys((*VALUE_CLASSES, "unclassified", "waiting"), 0.0)
    by_waste = dict.fromkeys(WASTE_TYPES, 0.0)
    step_count = 0
    gap_results: list[GapMetrics] = []
    step_results: list[StepMetrics] = []
    total_inventory = 0.0
    inventory_day_total = 0.0
    has_inventory = False
    waits: list[float] = []
    complete = True
    ends = {branch.id: branch.into for branch in state.branches}
    sources = {loop.source for loop in state.reworks}
    estimated: dict[str, float] = {}
    redo: list[float] = []
    step_lead: list[float] = []
    touches: list[float] = []
    work: list[float] = []
    shares: list[float] = []
    over: list[str] = []
    stations = 0
    top: Process | None = None
    top_index = -1
    top_time = -1.0
    top_place = (0, 0)
    inf = math.inf
    # The chains of the paths (see _Streams), filled in as the figures are made: where
    # branches join or loops rework, the longest paths are found over them.
    chained = bool(state.branches or state.reworks)
    chains = _Chains()
    # EPEI counts the parts the gaps name (their variants): known before the steps' figures.
    parts = max(
        1,
        len(
            {
                name
                for _, items in state.by_path
                for item in items
                if item.__class__ is Gap and item.variants  # type: ignore[union-attr]
                for name, _ in item.variants  # type: ignore[union-attr]
            }
        ),
    )
    # The figures of each step and gap depend on the item and on these alone (and on its
    # path, and a gap's on the step after it): see _made. Only figures made in the same
    # context are taken: a change of calendar, demand or parts changes every step's or
    # every gap's.
    context = (available, takt, demand, day, parts)
    (before, _, made_before) = _made[0]
    made_get = made_before.get if before == context else {}.get
    made: dict[int, Any] = {}
    # The figures that are means of a distribution given for them: (element id, field).
    means: list[tuple[str, str]] = []
    # The steps' shares of waste, added after the gaps' (as the sums always were: the
    # same figures to the last bit).
    step_waste: list[tuple[tuple[str, ...], float]] = []
    for path, items in state.by_path:
        last = len(items) - 1
        path_index = len(chains.at)
        at: list[int] = []
        chains.at.append(at)
        if chained:
            figures: list[Any] = [None] * len(items)
            times = [0.0] * len(items)
            # Each item's expected passes, from %C&A here and from loops in _with_rework.
            passes = [1.0] * len(items)
            chains.figures.append(figures)
            chains.times.append(times)
            chains.passes.append(passes)
        for index, item in enumerate(items):
            if item.distributions:
                means.extend((item.id, name) for name, _ in item.distributions)
            if item.__class__ is Process:
                step: Process = item  # type: ignore[assignment]
                at.append(index)
                step_count += 1
                key = id(step)
                result = made_get(key)
                if result is None or result.path != path:
                    # effective_cycle_time() and capacity_per_day(), written out: a map just loaded
                    # makes a thousand of them.
                    base = step.cycle_time if step.cycle_time is not None else step.process_time
                    time = capacity = epei_days = None
                    late = False
                    if base is not None:
                        uptime = step.uptime
                        if uptime is None:
                            time = base / step.parallel
                        elif uptime == 0:
                            time = inf if base > 0 else 0.0
                        else:
                            time = base / uptime / step.parallel
                        if available is not None:
                            capacity = inf if time == 0 else available / time
                            changeover = step.changeover
                            if changeover is not None and demand is not None:
                                # EPEI, as in epei(): changeovers / (available time - daily run time).
                                spare = available - (demand * time if demand else 0.0)
                                epei_days = changeover * parts / spare if spare > 0 else inf
                        late = takt is not None and time > takt
                    touch = step.process_time if step.process_time is not None else step.cycle_time
                    own = step.lead_time if step.lead_time is not None else touch
                    result = _step_metrics(
                        step.id, step.name, touch, own, time, capacity, epei_days, late, False, path
                    )
                made[key] = result
                time = result.effective_cycle_time
                touch, own = result.touch_time, result.lead_time
                if time is not None:
                    if time > top_time:
                        top, top_index, top_time = step, len(step_results), time
                        top_place = (path_index, index)
                    # Work content is C/T, or the hands-on time of an office step without one.
                    work.append(step.cycle_time if step.cycle_time is not None else step.process_time)  # type: ignore[arg-type]
                    stations += step.parallel
                    if result.over_takt:
                        over.append(step.id)
                share = step.complete_accurate
                if touch is not None:
                    touches.append(touch)
                if share is not None:
                    shares.append(share)
                    if share < 1 and step.id not in sources:
                        # Rework estimated from %C&A: see compute's docstring.
                        estimated[step.id] = 2 - share
                        if chained:
                            passes[index] = 2 - share
                        if own is not None:
                            redo.append((1 - share) * own)
                step_results.append(result)
                if chained:
                    figures[index] = result
                if own is None:
                    complete = False
                    step_warnings.append(MetricWarning(step.id, "step has no cycle, process or lead time"))
                    continue
                if chained:
                    times[index] = own
                step_lead.append(own)
                by_class[step.value_class or "unclassified"] += own
                if step.value_class != "value-adding" and step.waste:
                    step_waste.append((step.waste, own))
                continue
            gap: Gap = item  # type: ignore[assignment]
            # Never two gaps side by side: what follows a gap is its step, or the path's end.
            downstream = items[index + 1].id if index < last else ends.get(path)
            key = id(gap)
            made_gap = made_get(key)
            if made_gap is None or made_gap.path != path or made_gap.downstream != downstream:
                # inventory_days() and gap_wait_time(), written out.
                quantity = gap.quantity
                days = None if quantity is None or not demand else quantity / demand
                wait = gap.wait_time if gap.wait_time is not None else (None if days is None else days * day)
                made_gap = _gap_metrics(gap.id, quantity, days, wait, path, downstream)
            else:
                quantity, days, wait = gap.quantity, made_gap.inventory_days, made_gap.wait_time
            made[key] = made_gap
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
            gap_results.append(made_gap)
            if chained:
                figures[index], times[index] = made_gap, wait or 0.0

    _made[0] = (context, state, made)
    for tags, own in step_waste:
        _spread(by_waste, tags, own)
    if top is not None:
        made_step = step_results[top_index] = dataclasses.replace(step_results[top_index], is_bottleneck=True)
        if chained:
            chains.figures[top_place[0]][top_place[1]] = made_step
    warnings.extend(step_warnings)
    top_id = top.id if top is not None else None
    if step_count and takt is None:
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
    streams = ways = None
    if chained:
        streams = _Streams(state, chains)
        ways = streams.longest(streams.times)
    if state.branches and streams is not None and ways is not None:
        critical, route = ways.critical()
        count = len(streams.names)
        wait_total, lead, process, inventory_days = streams.route_figures(route)
        critical_steps = tuple(streams.steps_of(route))
    else:
        critical_steps = tuple(s.id for s in step_results)
        wait_total = _sum(waits)
        lead = wait_total + _sum(step_lead)
        process = _sum(touches)
        inventory_days = inventory_day_total if has_inventory and demand else None
    with_rework = _with_rework(state, streams, ways, estimated, lead, redo)
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
        step_count=step_count,
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
        means=tuple(means),
        critical_path=critical,
        critical_steps=critical_steps,
        path_count=count,
    )


# --------------------------------------------------------------------------- paths

# A piece of a route: the items ``lo`` to ``hi`` (excluded) of one path, by path index.
_Piece = tuple[int, int, int]


class _Chains:
    """Per path, item by item: the figures (``figures``), the times on the ladder (s;
    unknown counts as zero: ``times``), and the item index of each step (``at``): what
    :class:`_Streams` is built from. :func:`compute` fills them in as it makes the
    figures; :meth:`of` makes them from figures already made.
    """

    def __init__(self) -> None:
        self.figures: list[list[StepMetrics | GapMetrics]] = []
        self.times: list[list[float]] = []
        self.at: list[list[int]] = []
        #: Per path, item by item: the expected passes through it (1 without rework).
        self.passes: list[list[float]] = []

    @classmethod
    def of(cls, state: MapState, steps: Iterable[StepMetrics], gaps: Iterable[GapMetrics]) -> _Chains:
        """The chains of ``state`` from its figures (in :attr:`MapState.by_path` order)."""
        chains = cls()
        step_figures, gap_figures = iter(steps), iter(gaps)
        for _, items in state.by_path:
            figures: list[StepMetrics | GapMetrics] = [
                next(step_figures) if item.__class__ is Process else next(gap_figures) for item in items
            ]
            chains.figures.append(figures)
            chains.passes.append([1.0] * len(items))
            chains.at.append([i for i, item in enumerate(items) if item.__class__ is Process])
            chains.times.append(
                [
                    (f.lead_time or 0.0) if f.__class__ is StepMetrics else (f.wait_time or 0.0)  # type: ignore[union-attr]
                    for f in figures
                ]
            )
        return chains


class _Streams:
    """The stream as chains: each path (the main line, then each branch) its steps in
    order with the gap before each, joined where a branch splits off after a step
    (``after``) or feeds one (``into``).

    Built once per computation from the per-element figures. :meth:`longest` finds the
    longest way to and from every step in one pass over the chains in flow order; a run
    of steps with no branch joining or leaving is added up in one go, in the order a
    step-by-step walk adds (so every sum and every choice is the same to the last bit),
    and a choice is made only where branches meet. A path's longest route is then a few
    slices of the chains (:meth:`_Ways.route`), not a walk over its steps.
    """

    def __init__(self, state: MapState, chains: _Chains) -> None:
        self.names: list[str] = []
        self.heads: list[str | None] = []
        self.tails: list[str | None] = []
        #: Per path: its steps' ids, and the item index of the gap before each (-1: none).
        self.ids: list[list[str]] = []
        self.before: list[list[int]] = []
        #: Per path: the item index of the gap after its last step (or of its lone gap), or -1.
        self.last_gap: list[int] = []
        #: Each step's path index and place on it.
        self.loc: dict[str, tuple[int, int]] = {}
        branches = {b.id: b for b in state.branches}
        self.figures = chains.figures
        self.at = chains.at
        self.times = chains.times
        self.passes = chains.passes
        for index, ((path, items), at) in enumerate(zip(state.by_path, chains.at, strict=True)):
            ids = [items[i].id for i in at]
            self.loc.update(zip(ids, zip(itertools.repeat(index), range(len(ids))), strict=False))
            self.ids.append(ids)
            # Never two gaps side by side: a step's gap, if any, is the item just before it.
            self.before.append([i - 1 if i and items[i - 1].__class__ is Gap else -1 for i in at])
            self.last_gap.append(len(items) - 1 if items and items[-1].__class__ is Gap else -1)
            self.names.append(path)
            branch = branches.get(path)
            self.heads.append(None if branch is None else branch.after)
            self.tails.append(None if branch is None else branch.into)
        #: Each step that branches feed, and each that branches split off after: the path
        #: indices of the ways in (or out) in flow order, its own path's among them.
        self.joins: dict[str, list[int]] = {}
        self.splits: dict[str, list[int]] = {}
        for index in range(1, len(self.names)):
            self.joins.setdefault(self.tails[index], []).append(index)  # type: ignore[arg-type]
            if self.heads[index] is not None:
                self.splits.setdefault(self.heads[index], []).append(index)  # type: ignore[arg-type]
        self.feeders = {step: len(found) for step, found in self.joins.items()}
        #: Per path: the places of its steps where branches meet it, in order.
        self.meets: list[list[int]] = [[] for _ in self.names]
        self.leaves: list[list[int]] = [[] for _ in self.names]
        for table, marks in ((self.joins, self.meets), (self.splits, self.leaves)):
            for step, found in table.items():
                path, place = self.loc[step]
                bisect.insort(found, path)
                marks[path].append(place)
        for marks in (*self.meets, *self.leaves):
            marks.sort()
        #: Per path: the places of its steps where branches meet it or leave it.
        self.marks = [sorted({*meet, *leave}) for meet, leave in zip(self.meets, self.leaves, strict=True)]
        self._cache: list[tuple[list[float], list[float], list[float], list[float], list[int]]] | None = None
        self._state = state
        self._names: list[list[str]] | None = None

    @property
    def step_names(self) -> list[list[str]]:
        """Per path: its steps' names (made when first asked for: only the paths' table needs them)."""
        if self._names is None:
            self._names = [
                [items[i].name for i in at]  # type: ignore[union-attr]
                for (_, items), at in zip(self._state.by_path, self.at, strict=True)
            ]
        return self._names

    def longest(self, times: list[list[float]]) -> _Ways:
        """The longest ways to and from every step, by the items' ``times`` (per path)."""
        return _Ways(self, times)

    def _columns(self) -> list[tuple[list[float], list[float], list[float], list[float], list[int]]]:
        """Per path, item by item: the gaps' waits, the steps' own times, their process
        times and the gaps' inventory days (0 where there is none, which leaves an exact
        sum as it is), and how many items up to each have inventory days.
        """
        if self._cache is None:
            self._cache = []
            for figures in self.figures:
                gaps = [f.__class__ is GapMetrics for f in figures]
                waits = [(f.wait_time or 0.0) if gap else 0.0 for f, gap in zip(figures, gaps, strict=True)]
                own = [0.0 if gap else (f.lead_time or 0.0) for f, gap in zip(figures, gaps, strict=True)]
                touch = [
                    0.0 if gap else (f.touch_time or 0.0)  # type: ignore[union-attr]
                    for f, gap in zip(figures, gaps, strict=True)
                ]
                days = [
                    (f.inventory_days or 0.0) if gap else 0.0  # type: ignore[union-attr]
                    for f, gap in zip(figures, gaps, strict=True)
                ]
                known = [
                    gap and f.inventory_days is not None  # type: ignore[union-attr]
                    for f, gap in zip(figures, gaps, strict=True)
                ]
                self._cache.append((waits, own, touch, days, [0, *itertools.accumulate(known)]))
        return self._cache

    def route_figures(self, pieces: list[_Piece]) -> tuple[float, float, float, float | None]:
        """Wait, lead time and process time (s), and inventory days, along a route.

        Exact sums, as a straight map's are (the waits, then the step times), so a
        straight map's figures are exactly its whole stream's.
        """
        figures = list(itertools.chain.from_iterable(self.figures[path][lo:hi] for path, lo, hi in pieces))
        gaps: list[GapMetrics] = [f for f in figures if f.__class__ is GapMetrics]  # type: ignore[misc]
        steps: list[StepMetrics] = [f for f in figures if f.__class__ is StepMetrics]  # type: ignore[misc]
        wait = _sum([g.wait_time for g in gaps if g.wait_time is not None])
        lead = wait + _sum([s.lead_time for s in steps if s.lead_time is not None])
        days = [g.inventory_days for g in gaps if g.inventory_days is not None]
        touches = [s.touch_time for s in steps if s.touch_time is not None]
        return wait, lead, _sum(touches), math.fsum(days) if days else None  # type: ignore[arg-type]

    def each_route_figures(self, pieces: list[_Piece]) -> tuple[float, float, float, float | None]:
        """:meth:`route_figures`, from columns made once for the routes of every path."""
        columns = self._columns()

        def along(column: int) -> Iterator[float]:
            return itertools.chain.from_iterable(columns[path][column][lo:hi] for path, lo, hi in pieces)

        wait = _sum(along(0))
        counted = any(columns[path][4][hi] > columns[path][4][lo] for path, lo, hi in pieces)
        return wait, wait + _sum(along(1)), _sum(along(2)), math.fsum(along(3)) if counted else None

    def steps_of(self, pieces: list[_Piece], names: bool = False) -> list[str]:
        """The ids (or the ``names``) of the steps along a route, in flow order."""
        found: list[str] = []
        for path, lo, hi in pieces:
            at = self.at[path]
            which = self.step_names[path] if names else self.ids[path]
            found.extend(which[bisect.bisect_left(at, lo) : bisect.bisect_left(at, hi)])
        return found

    def ways_out(self, step: str) -> list[tuple[str | None, int, int]]:
        """The hops out of ``step``: the next step (None at the end), and the path index
        and item index of the gap on the hop (-1: none).
        """
        path, place = self.loc[step]
        ids = self.ids[path]
        if place + 1 < len(ids):
            found = [(ids[place + 1], path, self.before[path][place + 1])]
        else:
            found = [(self.tails[path], path, self.last_gap[path])]
        for branch in self.splits.get(step, ()):
            if branch == path:
                continue
            first = self.ids[branch]
            if first:
                found.append((first[0], branch, self.before[branch][0]))
            else:
                found.append((self.tails[branch], branch, self.last_gap[branch]))
        return found

    def ways_in(self, step: str) -> list[str | None]:
        """The steps with a hop into ``step`` (None for a start)."""
        path, place = self.loc[step]
        found = [self.ids[path][place - 1] if place else self.heads[path]]
        for branch in self.joins.get(step, ()):
            if branch != path:
                found.append(self.ids[branch][-1] if self.ids[branch] else self.heads[branch])
        return found

    def between(self, first: str, last: str, ways: _Ways) -> set[str]:
        """The steps on the way from step ``first`` to step ``last`` (both included)."""
        rank = ways.rank
        top = rank(last)
        # Flow order bounds the search: no step after ``last`` leads back to it.
        ahead = {first}
        todo = [first]
        while todo:
            for step, _, _ in self.ways_out(todo.pop()):
                if step is not None and step not in ahead and rank(step) <= top:
                    ahead.add(step)
                    todo.append(step)
        if last not in ahead:
            return set()
        found = {last}
        todo = [last]
        while todo:
            for step in self.ways_in(todo.pop()):
                if step is not None and step not in found and step in ahead:
                    found.add(step)
                    todo.append(step)
        return found


class _Ways:
    """The longest way (in lead time, by given times) to the end of every step from any
    start (``to``), and from its start to the end (``on``), with the choice made where
    branches meet (``back``: the path index of the way in) or split (``out``). ``to`` and
    ``on`` are kept only where they are read: at the steps where branches meet or leave
    a path, and ``on`` at the first step of each run; between, a run is summed in one go.

    The longest route through the whole of one path is the longest way to where that
    path starts, the path itself, and the longest way on from where it ends. Every route
    from a start to the end runs through the whole of at least one path (the last branch
    it enters, or the main line), so the longest of these is the critical path.
    """

    def __init__(self, streams: _Streams, times: list[list[float]], *, backward: bool = True) -> None:
        self.streams = streams
        self.times = times
        count = len(streams.names)
        # Per path: each step's time, the gap's before it (0 for none), the gap's after
        # the last step, and the two interleaved (gap, step, gap, step...) for the sums.
        own, before, after, woven, pairs = [], [], [], [], []
        for path in range(count):
            # A zero after the last item stands for the gap a step does not have (index -1).
            t = [*times[path], 0.0]
            steps = list(map(t.__getitem__, streams.at[path]))
            gaps = list(map(t.__getitem__, streams.before[path]))
            mixed = [0.0] * (2 * len(steps))
            mixed[0::2], mixed[1::2] = gaps, steps
            own.append(steps)
            before.append(gaps)
            after.append(0.0 if streams.last_gap[path] < 0 else t[streams.last_gap[path]])
            woven.append(mixed)
            if backward:
                # Each step's time with the gap's after it, for the way on from it.
                pairs.append(list(map(operator.add, steps, [*gaps[1:], after[-1]])))
        self.own, self.before, self.after, self.pairs = own, before, after, pairs
        self.to: list[list[float]] = [[0.0] * len(ids) for ids in streams.ids]
        self.on: list[list[float]] = [[0.0] * len(ids) for ids in streams.ids] if backward else []
        self.back: dict[str, int] = {}
        self.out: dict[str, int] = {}
        self.runs: list[_Piece] = []
        # Each path's way out of its last step, as a way in to the step it feeds.
        self.final = [0.0] * count
        self._forward(woven)
        # The ways on (``on``, ``out``) serve every path's totals; the longest way to the
        # end alone (:meth:`to_end`) needs the ways in only.
        if backward:
            self._backward()
        self._runs_of: list[list[tuple[int, int]]] | None = None

    def _forward(self, woven: list[list[float]]) -> None:
        streams, back, runs, final = self.streams, self.back, self.runs, self.final
        waiting = dict(streams.feeders)
        held: dict[str, tuple[int, int, float]] = {}
        ready = [
            (path, 0, 0.0) for path in reversed(range(len(streams.names))) if streams.heads[path] is None
        ]
        while ready:
            path, place, acc = ready.pop()
            ids, to, mixed, before, own = (
                streams.ids[path],
                self.to[path],
                woven[path],
                self.before[path],
                self.own[path],
            )
            marks = streams.marks[path]
            mark = bisect.bisect_left(marks, place)
            start, count = place, len(ids)
            while True:
                stop = marks[mark] if mark < len(marks) else count
                if stop > place:
                    # A run of plain steps: (best so far + gap) + step, one after another.
                    # Only the sum at its end is kept: no branch meets or leaves inside it.
                    acc = functools.reduce(operator.add, mixed[2 * place : 2 * stop], acc)
                if stop == count:
                    break
                step = ids[stop]
                ways = streams.joins.get(step)
                if ways is None:
                    acc = acc + before[stop] + own[stop]
                else:
                    if waiting[step]:
                        held[step] = (path, stop, acc)  # resumed once every branch into it is done
                        break
                    chosen, best = -1, 0.0
                    for way in ways:  # the first of equals, in flow order
                        value = acc + before[stop] if way == path else final[way]
                        if chosen < 0 or value > best:
                            chosen, best = way, value
                    back[step] = chosen
                    acc = best + own[stop]
                to[stop] = acc
                for branch in streams.splits.get(step, ()):
                    if branch != path:
                        ready.append((branch, 0, acc))
                place, mark = stop + 1, mark + 1
            runs.append((path, start, stop))
            if stop < count:
                continue  # held at a step that waits for its branches
            final[path] = acc + self.after[path]
            tail = streams.tails[path]
            if tail is not None:
                waiting[tail] -= 1
                if not waiting[tail] and tail in held:
                    ready.append(held.pop(tail))

    def _ahead(self, step: str | None) -> float:
        """The longest way on from the start of ``step`` to the end (0 at the end)."""
        if step is None:
            return 0.0
        path, place = self.streams.loc[step]
        return self.on[path][place]

    def _backward(self) -> None:
        streams, out = self.streams, self.out
        for path, lo, hi in reversed(self.runs):
            ids, on, own, before = streams.ids[path], self.on[path], self.own[path], self.before[path]
            count = len(ids)
            nxt = on[hi] if hi < count else self._ahead(streams.tails[path])
            # (step + gap after it) + the way on, one after another, from the end back.
            pairs = self.pairs[path][lo:hi]
            place = hi
            marks = streams.marks[path]
            for split in reversed(marks[bisect.bisect_left(marks, lo) : bisect.bisect_left(marks, hi)]):
                if place > split + 1:
                    nxt = functools.reduce(operator.add, reversed(pairs[split + 1 - lo : place - lo]), nxt)
                step = ids[split]
                if step not in streams.splits:
                    # A step branches feed: its way on is kept for the paths that end in it.
                    nxt = on[split] = nxt + pairs[split - lo]
                    place = split
                    continue
                chosen, best, gap, ahead = -1, 0.0, 0.0, 0.0
                for way in streams.splits[step]:  # the first of equals, in flow order
                    if way == path:
                        g = before[split + 1] if split + 1 < count else self.after[path]
                        a = nxt
                    elif streams.ids[way]:
                        g, a = self.before[way][0], self.on[way][0]
                    else:
                        g, a = self.after[way], self._ahead(streams.tails[way])
                    if chosen < 0 or g + a > best:
                        chosen, best, gap, ahead = way, g + a, g, a
                out[step] = chosen
                nxt = on[split] = own[split] + gap + ahead
                place = split
            if place > lo:
                on[lo] = functools.reduce(operator.add, reversed(pairs[: place - lo]), nxt)

    def _head(self, step: str | None) -> float:
        if step is None:
            return 0.0
        path, place = self.streams.loc[step]
        return self.to[path][place]

    def totals(self) -> dict[str, float]:
        """The longest lead time through the whole of each path, by path id."""
        streams = self.streams
        found = {}
        for path, name in enumerate(streams.names):
            # A path's own items: each step with the gap before it, and the gap after the last.
            own = sum(map(operator.add, self.before[path], self.own[path])) + self.after[path]
            found[name] = self._head(streams.heads[path]) + own + self._ahead(streams.tails[path])
        return found

    def critical(self) -> tuple[str, list[_Piece]]:
        """The critical path's id (the first of equals: the main line first) and its route."""
        totals = self.totals()
        best = max(totals, key=totals.__getitem__)
        return best, self.route(self.streams.names.index(best))

    def to_end(self) -> list[_Piece]:
        """The longest route from any start to the end, as pieces of paths (by the ways
        in alone: what the forward pass chose where branches meet).
        """
        streams = self.streams
        if not streams.ids[0]:
            return self.route(0)
        pieces = self._upstream(streams.ids[0][-1])
        last = pieces[-1]
        pieces[-1] = (last[0], last[1], len(streams.figures[0]))  # and the gap after the last step
        return pieces

    def route(self, path: int) -> list[_Piece]:
        """The longest route through the whole of path ``path``, as pieces of paths."""
        streams = self.streams
        pieces = self._upstream(streams.heads[path])
        pieces.append((path, 0, len(streams.figures[path])))
        pieces.extend(self._downstream(streams.tails[path]))
        return pieces

    def _upstream(self, step: str | None) -> list[_Piece]:
        """The pieces from a start to ``step`` (included), along the ways in chosen."""
        streams, found = self.streams, []
        while step is not None:
            path, place = streams.loc[step]
            hi = streams.at[path][place] + 1
            while True:
                meets, ids = streams.meets[path], streams.ids[path]
                mark = bisect.bisect_right(meets, place) - 1
                while mark >= 0 and self.back[ids[meets[mark]]] == path:
                    mark -= 1
                if mark < 0:
                    found.append((path, 0, hi))
                    step = streams.heads[path]
                    break
                found.append((path, streams.at[path][meets[mark]], hi))
                path = self.back[ids[meets[mark]]]
                hi = len(streams.figures[path])
                if not streams.ids[path]:
                    found.append((path, 0, hi))
                    step = streams.heads[path]
                    break
                place = len(streams.ids[path]) - 1
        found.reverse()
        return found

    def _downstream(self, step: str | None) -> list[_Piece]:
        """The pieces from ``step`` (included) to the end, along the ways out chosen."""
        streams, found = self.streams, []
        while step is not None:
            path, place = streams.loc[step]
            lo = streams.at[path][place]
            while True:
                leaves, ids = streams.leaves[path], streams.ids[path]
                mark = bisect.bisect_left(leaves, place)
                while mark < len(leaves) and self.out[ids[leaves[mark]]] == path:
                    mark += 1
                if mark == len(leaves):
                    found.append((path, lo, len(streams.figures[path])))
                    step = streams.tails[path]
                    break
                found.append((path, lo, streams.at[path][leaves[mark]] + 1))
                path, lo = self.out[ids[leaves[mark]]], 0
                if not streams.ids[path]:
                    found.append((path, 0, len(streams.figures[path])))
                    step = streams.tails[path]
                    break
                place = 0
        return found

    def rank(self, step: str) -> int:
        """The place of ``step`` in flow order (after every step that feeds it): its place in
        the run it is in, after the steps of the runs the forward pass went through before.
        """
        if self._runs_of is None:
            # Per path, its runs in place order: (first place, places before it in flow order).
            self._runs_of = [[] for _ in self.streams.names]
            done = 0
            for path, lo, hi in self.runs:
                self._runs_of[path].append((lo, done))
                done += hi - lo
            for runs in self._runs_of:
                runs.sort()
        path, place = self.streams.loc[step]
        runs = self._runs_of[path]
        lo, before = runs[bisect.bisect_right(runs, (place, math.inf)) - 1]
        return before + place - lo

    def along(self, pieces: list[_Piece]) -> float:
        """The sum of the times along a route (s)."""
        return _sum(itertools.chain.from_iterable(self.times[path][lo:hi] for path, lo, hi in pieces))


def _with_rework(
    state: MapState,
    streams: _Streams | None,
    ways: _Ways | None,
    estimated: dict[str, float],
    lead: float,
    redo: list[float],
) -> float:
    """The expected lead time with rework (s; see :func:`compute` for the rule and the
    convention). ``estimated`` holds the passes through each step whose rework is
    estimated from its %C&A, and ``redo`` the time each of them adds once redone; the
    steps that rework loops cover are taken out of ``estimated``.
    """
    if not state.reworks:
        if not estimated:
            return lead
        if not state.branches:
            # One path, the whole stream: each estimate adds its redone share once.
            return lead + _sum(redo)
    # compute chains the paths of every map with rework loops or branches.
    assert streams is not None
    assert ways is not None
    # The segment of each loop: the steps on the way from its target to its source, and
    # the gaps between two of them. A step a loop covers is reworked by the loop: its
    # %C&A is not estimated on top (that would count its defects twice).
    segments = [(loop, streams.between(loop.target, loop.source, ways)) for loop in state.reworks]
    # The passes through each item, made from 1 by compute (2 - %C&A where estimated),
    # times the expected passes of each loop whose segment covers it.
    passes, at = streams.passes, streams.at
    for _, segment in segments:
        for step in segment:
            if estimated.pop(step, None) is not None:
                path, place = streams.loc[step]
                passes[path][at[path][place]] = 1.0
    for loop, segment in segments:
        factor = expected_passes(loop.share)
        for step in segment:
            path, place = streams.loc[step]
            passes[path][at[path][place]] *= factor
            for target, gap_path, gap in streams.ways_out(step):
                if gap >= 0 and target in segment:
                    passes[gap_path][gap] *= factor
    times = [list(map(operator.mul, t, p)) for t, p in zip(streams.times, passes, strict=True)]
    again = _Ways(streams, times, backward=False)
    return again.along(again.to_end())


@dataclass(frozen=True, slots=True)
class PathTotals:
    """One path's figures (see :func:`paths`): its id, the step names along its longest
    route, that route's lead time and process time (s), and whether it is critical.
    """

    path: str
    steps: tuple[str, ...]
    lead_time: float
    process_time: float
    critical: bool


def path_totals(state: MapState, metrics: Metrics | None = None) -> tuple[PathTotals, ...]:
    """Each path's figures, main line first: what :func:`paths` tabulates, without pandas
    (the scene prints them under the ladder). ``metrics`` are the state's, if known.
    """
    metrics = metrics if metrics is not None else compute(state)
    streams = _Streams(state, _Chains.of(state, metrics.steps, metrics.gaps))
    ways = streams.longest(streams.times)
    found = []
    for index, path in enumerate(streams.names):
        route = ways.route(index)
        _, lead, process, _ = streams.each_route_figures(route)
        names = tuple(streams.steps_of(route, names=True))
        found.append(PathTotals(path, names, lead, process, path == metrics.critical_path))
    return tuple(found)


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

    rows = [
        {
            "path": row.path,
            "steps": row.steps,
            "lead_time": row.lead_time,
            "process_time": row.process_time,
            "efficiency": efficiency(row.process_time, row.lead_time),
            "critical": row.critical,
        }
        for row in path_totals(state)
    ]
    columns = ["path", "steps", "lead_time", "process_time", "efficiency", "critical"]
    return pd.DataFrame(rows, columns=columns).set_index("path")
