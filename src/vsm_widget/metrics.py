"""Metrics of a value stream map, as pure functions of a :class:`~vsm_widget.model.MapState`.

Every duration is in seconds. A "day" is the map's lead-time day
(:attr:`MapState.day_length`): a working day (the available time per day) unless the map
says calendar days. Formulas follow VSM-DOMAIN.md section 3 and *Learning to See*.

Undefined figures are ``None``, never a crash: no demand means no takt time, and an
inventory that needs demand to become a time is named in :attr:`Metrics.warnings`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from . import units
from .model import VALUE_CLASSES, WASTE_TYPES, Gap, MapState, Process

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Metrics",
    "StepMetrics",
    "GapMetrics",
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
    "littles_law_lead_time",
    "epei",
]


# --------------------------------------------------------------------------- formulas


def available_time_per_day(state: MapState) -> float | None:
    """Available time per working day (s) = shifts x (shift length - breaks)."""
    return state.available_time


def daily_demand(state: MapState) -> float | None:
    """Daily demand (units per working day) = demand per period / working days in it."""
    return state.daily_demand


def takt_time(state: MapState) -> float | None:
    """Takt time (s per unit) = available time per day / daily demand.

    ``None`` without a calendar or without demand (zero demand has no takt).
    """
    available = state.available_time
    demand = state.daily_demand
    if available is None or not demand:
        return None
    return available / demand


def inventory_days(gap: Gap, state: MapState) -> float | None:
    """Inventory as time (days of demand) = quantity waiting / daily demand.

    Quantities of several variants are summed first. ``None`` without a quantity or
    without demand.
    """
    demand = state.daily_demand
    if gap.quantity is None or not demand:
        return None
    return gap.quantity / demand


def gap_wait_time(gap: Gap, state: MapState) -> float | None:
    """Wait on a gap's upper rung (s): its measured wait time, else its inventory days
    x the length of a day. ``None`` when neither can be known."""
    if gap.wait_time is not None:
        return gap.wait_time
    days = inventory_days(gap, state)
    return None if days is None else days * state.day_length


def step_lead_time(step: Process) -> float | None:
    """A step's time on the lower rung of the lead-time ladder (s): its own lead time
    (office maps), else its process time, else its cycle time."""
    if step.lead_time is not None:
        return step.lead_time
    return step.touch_time


def lead_time(state: MapState) -> float:
    """Total lead time (s) = sum of all gap waits + sum of the steps' lower-rung times.

    Gaps and steps whose time cannot be known count as zero (see the warnings).
    """
    waits = (gap_wait_time(g, state) for g in state.gaps)
    steps = (step_lead_time(s) for s in state.steps)
    return math.fsum(t for t in (*waits, *steps) if t is not None)


def process_time(state: MapState) -> float:
    """Total process time, the value-added time (s) = sum of process times (C/T in
    manufacturing maps, hands-on time in office maps)."""
    return math.fsum(s.touch_time for s in state.steps if s.touch_time is not None)


def efficiency(process: float, lead: float) -> float | None:
    """Process cycle efficiency (flow efficiency) = total process time / total lead time."""
    if lead <= 0:
        return None
    return process / lead


def rolled_complete_accurate(state: MapState) -> float | None:
    """Rolled %C&A = product of every step's %C&A (steps without one are left out)."""
    shares = [s.complete_accurate for s in state.steps if s.complete_accurate is not None]
    return math.prod(shares) if shares else None


def effective_cycle_time(step: Process) -> float | None:
    """Effective cycle time (s) = C/T / uptime / parallel stations.

    Uses the process time where no C/T is given. Zero uptime gives infinity: the step
    never produces. ``None`` without a time.
    """
    base = step.cycle_time if step.cycle_time is not None else step.process_time
    if base is None:
        return None
    uptime = 1.0 if step.uptime is None else step.uptime
    if uptime == 0:
        return math.inf if base > 0 else 0.0
    return base / uptime / step.parallel


def bottleneck(state: MapState) -> Process | None:
    """The step with the largest effective cycle time (the first of equals)."""
    best: Process | None = None
    best_time = -1.0
    for step in state.steps:
        time = effective_cycle_time(step)
        if time is not None and time > best_time:
            best, best_time = step, time
    return best


def capacity_per_day(step: Process, state: MapState) -> float | None:
    """Capacity per day (units) = available time per day x uptime / C/T (x parallel)."""
    available = state.available_time
    time = effective_cycle_time(step)
    if available is None or time is None:
        return None
    if time == 0:
        return math.inf
    return available / time


def operators_needed(work_content: float, takt: float | None) -> float | None:
    """Operators needed (line balance) = total work content (sum of C/T) / takt time."""
    if not takt:
        return None
    return work_content / takt


def line_efficiency(work_content: float, stations: int, takt: float | None) -> float | None:
    """Line efficiency = sum of C/T / (stations x takt); balance delay is 1 minus it."""
    if not takt or stations == 0:
        return None
    return work_content / (stations * takt)


def littles_law_lead_time(wip: float, throughput: float | None) -> float | None:
    """Little's law lead time (days) = WIP / throughput (units per day)."""
    if not throughput:
        return None
    return wip / throughput


def epei(step: Process, state: MapState, parts: int = 1) -> float | None:
    """Every part every interval (days) = sum of changeover times /
    (available time per day - daily run time), where daily run time = daily demand x
    effective C/T. With ``parts`` variants, each is changed over to once per interval.

    Infinity when the run time leaves no time for changeovers; ``None`` when a figure is
    missing.
    """
    available = state.available_time
    demand = state.daily_demand
    time = effective_cycle_time(step)
    if step.changeover is None or available is None or demand is None or time is None:
        return None
    spare = available - demand * time
    if spare <= 0:
        return math.inf
    return step.changeover * parts / spare


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class StepMetrics:
    """Figures for one step."""

    id: str
    name: str
    touch_time: float | None
    lead_time: float | None
    effective_cycle_time: float | None
    capacity_per_day: float | None
    epei_days: float | None
    over_takt: bool
    is_bottleneck: bool


@dataclass(frozen=True, slots=True)
class GapMetrics:
    """Figures for one gap."""

    id: str
    quantity: float | None
    inventory_days: float | None
    wait_time: float | None


@dataclass(frozen=True, slots=True)
class Warning_:
    """A figure that could not be computed, and which element needs what."""

    target: str
    message: str


@dataclass(frozen=True)
class Metrics:
    """All metrics of one map state. Durations in seconds; see the module's functions
    for each formula. Turn into a dict with :meth:`to_dict` or a one-row DataFrame with
    :meth:`to_frame`; express a duration in another unit with :meth:`in_unit`.
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
    warnings: tuple[Warning_, ...] = ()

    #: Names of the scalar figures that are durations in seconds.
    DURATIONS = ("available_time", "takt_time", "lead_time", "process_time", "wait_time", "work_content",
                 "bottleneck_cycle_time")

    def in_unit(self, name: str, unit: str) -> float | None:
        """A duration metric in ``unit``: ``"s"``, ``"min"``, ``"h"`` or ``"d"`` (the
        map's lead-time days)."""
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
        counts calendar days)."""
        return self.in_unit(name, "d")

    in_working_days = in_days

    def format(self, name: str, unit: str | None = None) -> str:
        """A metric as text a person reads: ``"23.6 d"``, ``"85%"``, ``"1,200"``."""
        value = getattr(self, name)
        if name in self.DURATIONS:
            return units.format_duration(value, unit, day=self.day_length)
        if name in ("efficiency", "rolled_complete_accurate", "line_efficiency", "balance_delay"):
            return units.format_ratio(value)
        if value is None:
            return "–"
        if isinstance(value, (int, float)):
            return units.format_number(value)
        return str(value)

    def scalars(self) -> dict[str, Any]:
        """The map-level figures (no per-step detail), JSON-ready (infinity becomes None)."""
        data = self.to_dict()
        for key in ("steps", "gaps", "warnings", "time_by_value_class", "time_by_waste"):
            data.pop(key)
        data["steps_over_takt"] = list(self.steps_over_takt)
        return data

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain, JSON-ready data (infinite values become ``None``)."""
        return _json_ready(asdict(self))

    def to_frame(self) -> pd.DataFrame:
        """The map-level figures as a one-row pandas DataFrame."""
        import pandas as pd

        row = self.scalars()
        row["steps_over_takt"] = ", ".join(self.steps_over_takt)
        return pd.DataFrame([row])

    def steps_frame(self) -> pd.DataFrame:
        """Per-step figures as a DataFrame indexed by step id."""
        import pandas as pd

        return pd.DataFrame([asdict(s) for s in self.steps], columns=list(StepMetrics.__slots__)).set_index("id")


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _spread(totals: dict[str, float], keys: Iterable[str], seconds: float) -> None:
    keys = tuple(keys)
    share = seconds / len(keys)
    for key in keys:
        totals[key] += share


def compute(state: MapState) -> Metrics:
    """Compute every metric of ``state`` in one pass over the stream."""
    day = state.day_length
    available = state.available_time
    demand = state.daily_demand
    takt = takt_time(state)
    warnings: list[Warning_] = []
    by_class = dict.fromkeys((*VALUE_CLASSES, "unclassified", "waiting"), 0.0)
    by_waste = dict.fromkeys(WASTE_TYPES, 0.0)
    variant_names = {name for gap in state.gaps for name, _ in gap.variants}
    parts = max(1, len(variant_names))

    gap_results: list[GapMetrics] = []
    total_inventory = 0.0
    inventory_day_total = 0.0
    waits: list[float] = []
    complete = True
    for gap in state.gaps:
        days = inventory_days(gap, state)
        wait = gap.wait_time if gap.wait_time is not None else (None if days is None else days * day)
        if gap.quantity is not None:
            total_inventory += gap.quantity
            if days is not None:
                inventory_day_total += days
            elif not demand:
                warnings.append(Warning_(gap.id, "inventory needs customer demand to become a time"))
        if wait is None:
            complete = False
            if gap.quantity is None:
                warnings.append(Warning_(gap.id, "gap has neither an inventory quantity nor a wait time"))
        else:
            waits.append(wait)
            by_class["waiting"] += wait
            _spread(by_waste, gap.waste or (("inventory",) if gap.quantity is not None else ("waiting",)), wait)
        gap_results.append(GapMetrics(gap.id, gap.quantity, days, wait))

    effective: dict[str, float | None] = {}
    step_lead: list[float] = []
    touches: list[float] = []
    work: list[float] = []
    stations = 0
    top: Process | None = None
    top_time = -1.0
    for step in state.steps:
        time = effective_cycle_time(step)
        effective[step.id] = time
        if time is not None and time > top_time:
            top, top_time = step, time
        if step.cycle_time is not None:
            work.append(step.cycle_time)
            stations += step.parallel
        touch = step.touch_time
        if touch is not None:
            touches.append(touch)
        own = step_lead_time(step)
        if own is None:
            complete = False
            warnings.append(Warning_(step.id, "step has no cycle, process or lead time"))
            continue
        step_lead.append(own)
        by_class[step.value_class or "unclassified"] += own
        if step.value_class != "value-adding" and step.waste:
            _spread(by_waste, step.waste, own)
    if state.steps and takt is None:
        if available is None:
            warnings.append(Warning_("customer", "takt time needs the available time per day"))
        if not demand:
            warnings.append(Warning_("customer", "takt time needs customer demand"))

    over = tuple(
        step_id for step_id, time in effective.items() if takt is not None and time is not None and time > takt
    )
    step_results = tuple(
        StepMetrics(
            id=step.id,
            name=step.name,
            touch_time=step.touch_time,
            lead_time=step_lead_time(step),
            effective_cycle_time=effective[step.id],
            capacity_per_day=capacity_per_day(step, state),
            epei_days=epei(step, state, parts),
            over_takt=step.id in over,
            is_bottleneck=top is not None and step.id == top.id,
        )
        for step in state.steps
    )
    wait_total = math.fsum(waits)
    lead = wait_total + math.fsum(step_lead)
    process = math.fsum(touches)
    work_content = math.fsum(work)
    line = line_efficiency(work_content, stations, takt)
    has_inventory = any(g.quantity is not None for g in state.gaps)
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
        rolled_complete_accurate=rolled_complete_accurate(state),
        bottleneck=top.id if top else None,
        bottleneck_name=top.name if top else None,
        bottleneck_cycle_time=top_time if top else None,
        steps_over_takt=over,
        total_inventory=total_inventory,
        inventory_days=inventory_day_total if has_inventory and demand else None,
        work_content=work_content,
        operators_needed=operators_needed(work_content, takt),
        line_efficiency=line,
        balance_delay=None if line is None else 1 - line,
        littles_law_days=littles_law_lead_time(total_inventory, demand) if has_inventory else None,
        step_count=len(state.steps),
        lead_time_complete=complete,
        time_by_value_class=by_class,
        time_by_waste=by_waste,
        steps=step_results,
        gaps=tuple(gap_results),
        warnings=tuple(warnings),
    )
