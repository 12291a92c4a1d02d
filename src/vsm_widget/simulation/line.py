"""The line a simulation runs: a map's steps and gaps read into stations and links.

Everything a user gives :func:`~vsm_widget.simulation.simulate` besides the map is checked
here, before anything runs: a refused option raises
:class:`~vsm_widget.core.model.ValidationError` naming the option (``durations``,
``servers``...) and the reason, with the step or gap as its target.

How each field of the map is read (also in docs/simulation.md):

- a step's service time is its C/T, else its process time, per item; a number is a
  fixed time, a :class:`~vsm_widget.core.distributions.Distribution` (from ``durations=``, or
  from the field itself once fields hold them) is drawn per item;
- ``parallel`` stations are parallel servers, fed first come, first served;
- ``uptime`` is a rate loss (each item takes C/T / uptime) or, with
  ``uptime="breakdowns"``, failures in busy time with a repair time, the mean time
  between failures chosen so that uptime = MTBF / (MTBF + MTTR);
- ``batch_size`` makes the step wait for a whole batch, run it with one ``changeover``
  and pass it on at once; without a batch size a step runs one product and no changeover;
- a gap's ``wait_time`` is a fixed delay (transport, curing) on the way to the next step;
- a FIFO lane's ``fifo_max`` (and ``limits=`` on a pull gap) bounds what the lane holds:
  the step before it is blocked while it is full;
- a step working fewer ``shifts`` than the customer's calendar works the first of them
  each day; the clock of the whole line is the calendar's working time.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

from ..core import units
from ..core.display import Display
from ..core.distributions import Distribution
from ..core.flow import downstream, flow_edges, step_order, successors
from ..core.metrics import expected_passes
from ..core.model import Gap, MapState, Process, ValidationError

__all__ = ["Input", "Line", "Link", "Loop", "Source", "Station", "build_line"]

#: A duration as the engine reads it: fixed seconds, or a distribution to draw from.
Source = Union[float, Distribution]  # noqa: UP007 (read at run time on Python 3.10)

UPTIME_MODELS = ("rate", "breakdowns")
#: The fields of a step that ``durations=`` may replace, and of a gap.
STEP_DURATIONS = ("cycle_time", "changeover", "repair_time")
GAP_DURATIONS = ("wait_time",)
MAX_SERVERS = 10_000
MAX_BATCH = 1_000_000


@dataclass(frozen=True, slots=True)
class Link:
    """What lies before a station (or after the last): a gap's delay and its bound.

    ``gap`` is the gap's id (None where two steps touch); ``delay`` the fixed delay (s)
    or a distribution; ``limit`` the most items the lane holds (None: unbounded).
    """

    gap: str | None
    delay: Source | None
    limit: int | None


@dataclass(frozen=True, slots=True)
class Station:
    """One step as the engine serves it. Durations in seconds of working time."""

    id: str
    name: str
    service: Source
    servers: int
    batch: int
    changeover: Source | None
    uptime: float
    repair: Source | None
    #: The share of the calendar's working day this step works (its first shifts), or 1.
    working_share: float
    before: Link
    #: Expected visits per item: the product of 1 / (1 - share) of the loops it lies in.
    passes: float = 1.0

    @property
    def mtbf(self) -> float | None:
        """Mean busy time between failures (s), where breakdowns are simulated."""
        if self.repair is None or self.uptime >= 1:
            return None
        return _mean(self.repair) * self.uptime / (1 - self.uptime)

    @property
    def mean_work(self) -> float:
        """Mean station time per item (s): service, changeover share, uptime loss."""
        work = _mean(self.service)
        if self.changeover is not None:
            work += _mean(self.changeover) / self.batch
        return work / self.uptime if self.uptime > 0 else math.inf


@dataclass(frozen=True, slots=True)
class Input:
    """One way into a station: from station ``source`` (its index in the line), or from
    a start (None: the item's arrival), through ``link``.
    """

    source: int | None
    link: Link


@dataclass(frozen=True, slots=True)
class Loop:
    """A rework loop as the engine runs it: ``share`` of the items leaving station
    ``source`` go back into the queue of station ``target`` (indexes in the line).
    """

    id: str
    source: int
    target: int
    share: float


@dataclass(frozen=True, slots=True)
class Line:
    """The stations in flow order, the ways into each, the link after the last step of
    the main line, the loops, and the calendar's day.

    A straight map is one chain (each station's input is the one before it). Where the
    map branches, a station with several inputs starts an item once every input has
    delivered it (a merge: assembly or the rejoin of a parallel path), and a station with
    several outputs hands each item to all of them (a split). ``blocks`` are the groups
    of stations served together, in an order that serves every input first: a station
    alone, or a chain coupled by bounded lanes or by a rework loop.
    """

    stations: tuple[Station, ...]
    after: Link
    day: float
    #: Seconds between arrivals at the customer's demand rate, or None without one.
    takt: float | None
    uptime_model: str
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    #: Per station, its inputs (the first is the one ``Station.before`` describes).
    inputs: tuple[tuple[Input, ...], ...] = ()
    #: The station whose items leave through ``after`` to the customer.
    last: int = -1
    loops: tuple[Loop, ...] = ()
    blocks: tuple[tuple[int, ...], ...] = ()


def _mean(source: Source) -> float:
    return source.mean if isinstance(source, Distribution) else float(source)


def _duration(value: Any, field: str, target: str, day: float) -> Source:
    """A distribution as it is, or a fixed duration read with the map's day."""
    if isinstance(value, Distribution):
        return value
    try:
        return units.parse_duration(value, day=day)
    except units.UnitError as error:
        raise ValidationError(field, value, f"{error}; or give a distribution", target) from None


def _count(value: Any, field: str, target: str | None, low: int, high: int) -> int:
    try:
        number = units.parse_number(value, integer=True)
    except units.UnitError as error:
        raise ValidationError(field, value, str(error), target) from None
    if not low <= number <= high:
        raise ValidationError(field, value, f"give a whole number from {low:,} to {high:,}", target)
    return int(number)


def _find(state: MapState, key: Any, option: str) -> Process | Gap:
    """The step (by id or name) or gap (by id) an option names."""
    for item in state.all_items:
        if item.id == key or (isinstance(item, Process) and item.name == key):
            return item
    names = ", ".join(repr(s.name) for s in state.all_steps[:8])
    raise ValidationError(option, key, f"no step or gap of this map has this id or name (steps: {names})")


def _by_element(
    state: MapState, option: str, given: Mapping[Any, Any] | None, kind: type
) -> dict[str, tuple[Any, Any]]:
    """``given`` keyed by element id: ``{id: (key as given, value)}``; keys must name a
    ``kind`` (Process or Gap) and each element once.
    """
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise ValidationError(option, given, "give a mapping: {step id or name: value}")
    found: dict[str, tuple[Any, Any]] = {}
    for key, value in given.items():
        element = _find(state, key, option)
        if not isinstance(element, kind):
            what = "step" if kind is Process else "gap"
            raise ValidationError(option, key, f"{element.id} is not a {what}")
        if element.id in found:
            raise ValidationError(option, key, f"{element.id} is given twice (by id and by name)")
        found[element.id] = (key, value)
    return found


def _durations(state: MapState, given: Mapping[Any, Any] | None, day: float) -> dict[str, dict[str, Source]]:
    """``durations=`` checked: ``{element id: {field: source}}``.

    A value may be a mapping of fields, or a bare distribution or duration for a step's
    cycle time or a gap's wait.
    """
    table: dict[str, dict[str, Source]] = {}
    for element_id, (_, value) in _by_element(state, "durations", given, (Process, Gap)).items():  # type: ignore[arg-type]
        element = _find(state, element_id, "durations")
        allowed = STEP_DURATIONS if isinstance(element, Process) else GAP_DURATIONS
        fields = value if isinstance(value, Mapping) else {allowed[0]: value}
        table[element_id] = {}
        for field, source in fields.items():
            if field not in allowed:
                raise ValidationError(
                    f"durations.{field}",
                    source,
                    f"a {element.kind} may vary {', '.join(allowed)}",
                    element_id,
                )
            table[element_id][field] = _duration(source, f"durations.{field}", element_id, day)
    return table


def _stored(state: MapState) -> dict[str, dict[str, Source]]:
    """The distributions the map's fields hold (see :mod:`vsm_widget.core.fields`), by
    element id and field, for the fields the engine draws: a step's cycle time and
    changeover, a gap's wait.
    """
    table: dict[str, dict[str, Source]] = {}
    for item in state.all_items:
        if item.distributions:
            allowed = STEP_DURATIONS if isinstance(item, Process) else GAP_DURATIONS
            drawn = {name: dist for name, dist in item.distributions if name in allowed}
            if drawn:
                table[item.id] = drawn
    return table


def build_line(
    state: MapState,
    *,
    uptime: str = "rate",
    repair_time: Any = None,
    durations: Mapping[Any, Any] | None = None,
    servers: Mapping[Any, Any] | None = None,
    limits: Mapping[Any, Any] | None = None,
) -> Line:
    """The stations and links of ``state`` with the options applied, every value checked."""
    if not isinstance(uptime, str) or uptime not in UPTIME_MODELS:
        raise ValidationError("uptime", uptime, f"the uptime model is one of {', '.join(UPTIME_MODELS)}")
    if not state.steps:
        raise ValidationError("stream", None, "the map has no step to simulate")
    day = state.available_time or state.day_length
    takt = None
    if state.available_time is not None and state.daily_demand:
        takt = state.available_time / state.daily_demand
    overrides = _stored(state)
    for element_id, fields in _durations(state, durations, day).items():
        # durations= wins over what the map stores, field by field.
        overrides[element_id] = {**overrides.get(element_id, {}), **fields}
    server_counts = {
        i: _count(v, "servers", i, 1, MAX_SERVERS)
        for i, (_, v) in _by_element(state, "servers", servers, Process).items()
    }
    lane_limits = {
        i: _count(v, "limits", i, 1, 10**9) for i, (_, v) in _by_element(state, "limits", limits, Gap).items()
    }
    default_repair = None if repair_time is None else _duration(repair_time, "repair_time", None, day)  # type: ignore[arg-type]
    assumptions: list[str] = [
        "items are customer orders, made to order: each flows through every step in stream order",
        f"the clock is the calendar's working time; a day is {Display().shift(day)} of it "
        "(the available time per day)",
    ]
    warnings: list[str] = []
    hops = flow_edges(state)
    steps = {step.id: step for step in state.all_steps}
    order = [step for step in step_order(hops)[0] if step in steps] if state.branches else list(steps)
    index = {step: place for place, step in enumerate(order)}
    inputs: list[list[Input]] = [[] for _ in order]
    outputs = [0] * len(order)
    after: Link = Link(None, None, None)
    last = -1
    for source, target, gap, _ in hops:
        link = Link(None, None, None)
        if gap is not None:
            link = _link(gap, overrides.get(gap.id, {}), lane_limits.get(gap.id), assumptions)
        if source is not None:
            outputs[index[source]] += 1
        if target is None:
            after, last = link, index[source] if source is not None else -1
        else:
            inputs[index[target]].append(Input(None if source is None else index[source], link))
    if last < 0:
        raise ValidationError("stream", None, "the main line has no step to simulate")
    if state.branches:
        assumptions.append(
            "a step fed by several paths starts an item once each of them has delivered it: "
            "one part from each feeder per item (the kit), and the item itself from every "
            "parallel path; a feeder's part is released when the order arrives"
        )
    _unbound_where_branching(order, steps, inputs, outputs, warnings)
    if after.limit is not None:
        warnings.append("the lane after the last step has no step to block: it is simulated unbounded")
        after = Link(after.gap, after.delay, None)
    loops = _loops(state, order, index, inputs, outputs, hops)
    if loops:
        assumptions.append(
            "a reworked item goes straight back into the queue of the step it returns to, "
            "behind the items there, and is worked again with fresh times"
        )
    passes = [1.0] * len(order)
    for loop, segment in loops:
        for place in segment:
            passes[place] *= expected_passes(loop.share)
    stations: list[Station] = []
    for place, step_id in enumerate(order):
        station = _station(
            state,
            steps[step_id],
            inputs[place][0].link,
            overrides.get(step_id, {}),
            server_counts.get(step_id),
            uptime,
            default_repair,
            state.customer.shifts,
            warnings,
        )
        stations.append(dataclasses.replace(station, passes=passes[place]) if passes[place] != 1 else station)
    _check_blocking(stations, inputs)
    if uptime == "rate":
        assumptions.append("uptime is a rate loss: each item takes its C/T / uptime")
    else:
        assumptions.append("uptime is breakdowns in busy time: MTBF = MTTR x uptime / (1 - uptime)")
    if any(s.changeover and (s.batch_size or 1) == 1 for s in state.all_steps):
        assumptions.append("a changeover is simulated once per batch; steps without a batch size have none")
    return Line(
        tuple(stations),
        after,
        day,
        takt,
        uptime,
        tuple(dict.fromkeys(assumptions)),
        tuple(warnings),
        inputs=tuple(tuple(i) for i in inputs),
        last=last,
        loops=tuple(loop for loop, _ in loops),
        blocks=_blocks(inputs, outputs, [segment for _, segment in loops]),
    )


def _unbound_where_branching(
    order: list[str],
    steps: Mapping[str, Process],
    inputs: list[list[Input]],
    outputs: list[int],
    warnings: list[str],
) -> None:
    """Bounds that cannot block as a chain's do are simulated unbounded, and said so: a
    lane from a start (orders arrive regardless), into a merge or out of a split.
    """
    for place, ways in enumerate(inputs):
        for position, way in enumerate(ways):
            if way.link.limit is None:
                continue
            name = steps[order[place]].name
            if way.source is None:
                # Orders arrive whatever the lane holds: a bound before a first step blocks no one.
                reason = f"the lane before {name} is bounded, but orders arrive regardless"
            elif len(ways) > 1 or outputs[way.source] > 1:
                reason = f"the lane before {name} is bounded, but a split or merge does not block"
            else:
                continue
            warnings.append(f"{reason}: it is simulated unbounded")
            ways[position] = Input(way.source, Link(way.link.gap, way.link.delay, None))


def _loops(
    state: MapState,
    order: list[str],
    index: Mapping[str, int],
    inputs: list[list[Input]],
    outputs: list[int],
    hops: list[Any],
) -> list[tuple[Loop, tuple[int, ...]]]:
    """Each rework loop and its segment (the stations from its target to its source, in
    flow order), checked to be a straight run: the simulation routes an item that comes
    back along one way.
    """
    if not state.reworks:
        return []
    following = successors(hops)
    leading: dict[str, list[str]] = {}
    for source, targets in following.items():
        for target in targets:
            leading.setdefault(target, []).append(source)
    found = []
    for loop in state.reworks:
        ahead = downstream(following, loop.target)
        segment = sorted(index[s] for s in ahead & downstream(leading, loop.source))
        for place in segment:
            name = next(s.name for s in state.all_steps if s.id == order[place])
            inside = [way for way in inputs[place] if way.source in segment]
            if place != index[loop.target] and len(inputs[place]) != len(inside):
                bad = f"{name} is fed from outside the loop"
            elif place != index[loop.source] and outputs[place] != 1:
                bad = f"the flow splits after {name}"
            else:
                continue
            raise ValidationError(
                "reworks",
                loop.id,
                f"the simulation sends rework back along one straight run of steps; inside this loop {bad}",
                loop.id,
            )
        found.append(
            (Loop(loop.id, index[loop.source], index[loop.target], float(loop.share)), tuple(segment))
        )
    return found


def _blocks(
    inputs: list[list[Input]], outputs: list[int], segments: list[tuple[int, ...]]
) -> tuple[tuple[int, ...], ...]:
    """The stations served together, in flow order: a station is joined to the one
    before it where a bounded lane or a rework loop couples them (then it has that one
    input, and the one before it that one output).
    """
    coupled = set()
    for segment in segments:
        coupled.update(segment[1:])
    blocks: list[list[int]] = []
    where: dict[int, int] = {}
    for place, ways in enumerate(inputs):
        way = ways[0]
        if len(ways) == 1 and way.source is not None and (way.link.limit is not None or place in coupled):
            group = where[way.source]
            blocks[group].append(place)
        else:
            group = len(blocks)
            blocks.append([place])
        where[place] = group
    return tuple(tuple(block) for block in blocks)


def _replace_before(station: Station, link: Link) -> Station:
    return dataclasses.replace(station, before=link)


def _link(gap: Gap, overrides: Mapping[str, Source], limit: int | None, assumptions: list[str]) -> Link:
    delay: Source | None = overrides.get("wait_time", gap.wait_time)  # type: ignore[assignment]
    if delay is not None and not isinstance(delay, Distribution) and delay == 0:
        delay = None
    if limit is None and gap.flow == "fifo" and gap.fifo_max is not None:
        limit = int(gap.fifo_max)
    if gap.flow == "pull" and limit is None:
        assumptions.append("a pull gap without limits= is an unbounded queue")
    if gap.wait_time is None and gap.quantity is not None:
        assumptions.append(
            "an inventory's counted quantity is not simulated: its queue forms from the flow "
            "(its stock is what the static lead time counts)"
        )
    return Link(gap.id, delay, limit)


def _station(
    state: MapState,
    step: Process,
    before: Link,
    overrides: Mapping[str, Source],
    servers: int | None,
    uptime_model: str,
    default_repair: Source | None,
    customer_shifts: int,
    warnings: list[str],
) -> Station:
    service: Source | None = overrides.get("cycle_time")
    if service is None:
        # A field holding a distribution already is drawn from as it is.
        service = step.cycle_time if step.cycle_time is not None else step.process_time
    if service is None:
        raise ValidationError(
            "cycle_time", None, "the simulation needs a cycle or process time for every step", step.id
        )
    uptime = 1.0 if step.uptime is None else float(step.uptime)
    if uptime == 0:
        raise ValidationError("uptime", 0.0, "a step at 0% uptime never produces; nothing can flow", step.id)
    batch_size = step.batch_size
    batch = 1
    if batch_size is not None:
        if not float(batch_size).is_integer() or batch_size > MAX_BATCH:
            raise ValidationError(
                "batch_size", batch_size, f"the simulation moves whole batches of 1 to {MAX_BATCH:,}", step.id
            )
        batch = int(batch_size)
    changeover: Source | None = overrides.get("changeover", step.changeover)  # type: ignore[assignment]
    if batch == 1 or (not isinstance(changeover, Distribution) and not changeover):
        changeover = None
    repair: Source | None = None
    if uptime_model == "breakdowns" and uptime < 1:
        repair = overrides.get("repair_time", default_repair)
        if repair is None:
            raise ValidationError(
                "repair_time",
                None,
                f"breakdowns at {step.name} ({uptime:.0%} uptime) need a repair time: give "
                "repair_time='30 min', or durations={step: {'repair_time': ...}}",
                step.id,
            )
        if _mean(repair) <= 0:
            raise ValidationError("repair_time", repair, "a repair takes some time", step.id)
    share = 1.0
    if step.shifts is not None and state.customer.shift_length is not None:
        if step.shifts < customer_shifts:
            share = step.shifts / customer_shifts
        elif step.shifts > customer_shifts:
            warnings.append(
                f"{step.name} works {step.shifts} shifts, more than the calendar's {customer_shifts}: "
                "the clock runs only in the calendar's shifts"
            )
    return Station(
        id=step.id,
        name=step.name,
        service=service,
        servers=servers if servers is not None else step.parallel,
        batch=batch,
        changeover=changeover,
        uptime=uptime if uptime_model == "rate" or repair is not None else 1.0,
        repair=repair,
        working_share=share,
        before=before,
    )


def _check_blocking(stations: list[Station], inputs: list[list[Input]]) -> None:
    """A batch that its lane cannot hold would never fill: the line would stop."""
    for station, ways in zip(stations, inputs, strict=True):
        link = ways[0].link
        if link.limit is not None and station.batch > link.limit:
            raise ValidationError(
                "fifo_max" if link.gap is not None else "limits",
                link.limit,
                f"the lane before {station.name} holds {link.limit}, fewer than its batch of "
                f"{station.batch}: the batch would never fill and the line would stop",
                link.gap,
            )
