"""The engine: one replication of a straight line, step by step, as numpy recurrences.

A single station serving in first-come order obeys a closed recurrence: the job that is
ready at ``R[n]`` and takes ``S[n]`` finishes at ``D[n] = max(R[n], D[n-1]) + S[n]``.
With ``C`` the running sum of ``S``, that is ``D = C + max.accumulate(R - (C - S))``:
two numpy passes per step, whatever the number of items. Batches, changeovers, rate
losses and breakdowns change only the jobs (``R`` and ``S``), so they stay vectorised.
Parallel stations take a heap of free times (a loop in Python over the jobs of that
step). Lanes with a maximum couple neighbouring steps (an item leaves when the lane has
room), so a run of steps joined by bounded lanes is served item by item in one loop, or,
where batches or parallel stations sit next to the lanes, by a discrete-event loop.
docs/simulation.md measures each against SimPy and an event loop.

A step that works fewer shifts than the calendar serves on its own clock: the line's
working time ``t`` maps to the step's ``g(t) = floor(t / W) w + min(t mod W, w)``
(``W`` the working day, ``w`` the part of it the step works), the recurrence runs on
that clock, and times map back. ``g`` never decreases, so ``max`` commutes with it.

Random numbers: each step, gap and the arrivals draw from a stream of their own, keyed
by the seed, the replication and the element's id, so that two maps with the same ids
and seed (a current and a future state) see the same customers and the same luck where
they agree (common random numbers: their difference is measured more sharply).
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.distributions import Distribution
from .line import Line, Loop, Source, Station

__all__ = ["Run", "StationRun", "rng_for", "run"]

Array = np.ndarray


@dataclass(frozen=True, slots=True)
class StationRun:
    """What happened at one station, per item (item order, working time in seconds).

    ``enter``: the item entered the gap before the station (left the step before, or
    arrived); ``start``: work on it (its batch) began; ``leave``: it left the station,
    after any blocking. ``busy_start`` and ``busy_end`` are the jobs' intervals on the
    station's own clock, for its utilisation.
    """

    enter: Array
    start: Array
    leave: Array
    busy_start: Array
    busy_end: Array
    #: Visits per item (more than one where a rework loop sends it back), or None: one each.
    visits: Array | None = None
    #: Entries into and exits from the gap before the station, one per visit through it,
    #: where they are not ``enter`` and ``start`` (inside a rework loop), else None.
    lane: tuple[Array, Array] | None = None


@dataclass(frozen=True, slots=True)
class Run:
    """One replication: arrivals, departures (after the last gap's delay) and stations."""

    arrival: Array
    departure: Array
    stations: tuple[StationRun, ...]
    #: When each item left the last station (it entered the gap after it, if any).
    last_leave: Array
    #: Per gap id, the times items entered it and the times they left it (started at the
    #: step after it, or departed), one pair per passage: its queue over time.
    lanes: dict[str, tuple[Array, Array]] = dataclasses.field(default_factory=dict)


def rng_for(seed: int, replication: int, key: str) -> np.random.Generator:
    """The random stream of one element (by id) in one replication."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, zlib.crc32(key.encode()))))
    )


def draw(source: Source, rng: np.random.Generator, n: int) -> Array:
    """``n`` durations: a fixed one repeated, or samples of a distribution."""
    if isinstance(source, Distribution):
        return np.asarray(source.sample(rng, n), dtype=float)
    return np.full(n, float(source))


# --------------------------------------------------------------------------- clocks


@dataclass(frozen=True, slots=True)
class _Clock:
    """A station's own clock: it works ``share`` of each working day of ``day`` seconds."""

    day: float
    share: float

    @property
    def identity(self) -> bool:
        return self.share >= 1

    def own(self, t: Array) -> Array:
        if self.identity:
            return t
        w = self.share * self.day
        days = np.floor(t / self.day)
        return days * w + np.minimum(t - days * self.day, w)

    def back(self, x: Array, *, finish: bool) -> Array:
        """Line time at which own time ``x`` is reached: a finish at a window's end stays
        there; a start there waits for the next window.
        """
        if self.identity:
            return x
        w = self.share * self.day
        days = np.floor(x / w)
        rest = x - days * w
        t = days * self.day + rest
        if finish:
            t = np.where((rest == 0) & (days > 0), (days - 1) * self.day + w, t)
        return t

    def scalar(self) -> tuple[Callable[[float], float], Callable[[float], float], Callable[[float], float]]:
        """``own``, ``back`` for starts and ``back`` for finishes, on Python floats."""
        if self.identity:
            same: Callable[[float], float] = lambda t: t  # noqa: E731
            return same, same, same
        day, w = self.day, self.share * self.day

        def own(t: float) -> float:
            days = math.floor(t / day)
            return days * w + min(t - days * day, w)

        def start(x: float) -> float:
            days = math.floor(x / w)
            return days * day + (x - days * w)

        def finish(x: float) -> float:
            days = math.floor(x / w)
            rest = x - days * w
            return (days - 1) * day + w if rest == 0 and days > 0 else days * day + rest

        return own, start, finish


def clock_of(station: Station, line: Line) -> _Clock:
    """The own clock of ``station`` on ``line``."""
    return _Clock(line.day, station.working_share)


# --------------------------------------------------------------------------- jobs


def _with_uptime(station: Station, work: Array, rng: np.random.Generator) -> Array:
    """Times with the uptime applied: a rate loss, or repairs of failures in busy time.

    Failures come at rate 1 / MTBF while the station works, so ``s`` seconds of work
    meet Poisson(s / MTBF) of them, each adding one repair time. Drawn per item and per
    changeover, which adds up to the same for a batch (a sum of Poisson counts is the
    Poisson count of the sum), whatever the batch turns out to hold.
    """
    if station.repair is None:
        return work / station.uptime if station.uptime < 1 else work
    failures = rng.poisson(work / station.mtbf)
    repair = station.repair
    if not isinstance(repair, Distribution):
        return work + failures * float(repair)
    total = int(failures.sum())
    if total == 0:
        return work
    times = repair.sample(rng, total)
    return work + np.bincount(np.repeat(np.arange(len(work)), failures), weights=times, minlength=len(work))


def _single(ready: Array, work: Array) -> tuple[Array, Array]:
    """Starts and finishes of one station serving jobs in order (``ready`` sorted)."""
    cumulative = np.cumsum(work)
    finish = cumulative + np.maximum.accumulate(ready - (cumulative - work))
    # The start again as max(ready, previous finish), so that rounding in the sums never
    # puts a start before its job was ready.
    start = np.maximum(ready, np.concatenate(([-math.inf], finish[:-1])))
    return start, start + work


def _parallel(ready: Array, work: Array, servers: int) -> tuple[Array, Array]:
    """Starts and finishes with ``servers`` stations taking jobs first come, first served."""
    free = [-math.inf] * servers
    starts = []
    replace = heapq.heapreplace
    for time, length in zip(ready.tolist(), work.tolist(), strict=True):
        earliest = free[0]
        start = time if time > earliest else earliest
        starts.append(start)
        replace(free, start + length)
    start_array = np.asarray(starts, dtype=float)
    return start_array, start_array + work


def _serve(station: Station, clock: _Clock, ready: Array, rng: np.random.Generator) -> StationRun:
    """One station that nothing downstream blocks: batches, uptime, servers, its clock."""
    n = len(ready)
    order = np.argsort(ready, kind="stable")
    ranked = ready[order]
    service = _with_uptime(station, draw(station.service, rng, n), rng)[order]
    batch = station.batch
    if batch > 1:
        firsts = np.arange(0, n, batch)
        # A batch is ready when its last item is; the last batch runs with what it has.
        job_ready = ranked[np.minimum(firsts + batch - 1, n - 1)]
        work = np.add.reduceat(service, firsts)
        if station.changeover is not None:
            work = work + _with_uptime(station, draw(station.changeover, rng, len(firsts)), rng)
    else:
        job_ready, work = ranked, service
    own_ready = clock.own(job_ready)
    if station.servers == 1:
        own_start, own_finish = _single(own_ready, work)
    else:
        own_start, own_finish = _parallel(own_ready, work, station.servers)
    start = clock.back(own_start, finish=False)
    finish = clock.back(own_finish, finish=True)
    if batch > 1:
        job = np.arange(n) // batch
        start, finish = start[job], finish[job]
    item_start = np.empty(n)
    item_leave = np.empty(n)
    item_start[order] = start
    item_leave[order] = finish
    return StationRun(ready, item_start, item_leave, own_start, own_finish)


def _serve_segment(
    stations: list[Station], clocks: list[_Clock], ready: Array, rngs: list[np.random.Generator]
) -> list[StationRun]:
    """Steps joined by bounded lanes, served item by item.

    Item ``k`` may leave step ``j`` into a lane of ``b`` places once item ``k - b`` has
    started at step ``j + 1`` (then at most ``b - 1`` items wait in the lane besides it);
    until then it blocks its station. Every step but the last has one station and no
    batch, and lane delays are fixed (:func:`item_order_applies`; else :func:`_serve_events`), so
    items keep their order.
    """
    n = len(ready)
    size = len(stations)
    order = np.argsort(ready, kind="stable")
    works = [
        _with_uptime(s, draw(s.service, rng, n), rng)[order].tolist()
        for s, rng in zip(stations, rngs, strict=True)
    ]
    limits = [s.before.limit for s in stations[1:]]
    delays = [float(s.before.delay) if s.before.delay is not None else 0.0 for s in stations[1:]]  # type: ignore[arg-type]
    scalar = [c.scalar() for c in clocks]
    start = [[0.0] * n for _ in stations]
    leave = [[0.0] * n for _ in stations]
    busy_start = [[0.0] * n for _ in stations]
    busy_end = [[0.0] * n for _ in stations]
    last = [-math.inf] * size
    final_servers = stations[-1].servers
    heap = [-math.inf] * final_servers
    for k, arrival in enumerate(ready[order].tolist()):
        time = arrival
        for j in range(size):
            own, back_start, back_finish = scalar[j]
            free = heap[0] if j == size - 1 and final_servers > 1 else last[j]
            begin = own(time if time > free else free)
            end = begin + works[j][k]
            finish = back_finish(end)
            start[j][k] = back_start(begin)
            busy_start[j][k] = begin
            busy_end[j][k] = end
            if j < size - 1:
                waiting_for = k - limits[j]  # type: ignore[operator]
                if waiting_for >= 0 and start[j + 1][waiting_for] > finish:
                    finish = start[j + 1][waiting_for]
                last[j] = finish
                leave[j][k] = finish
                time = finish + delays[j]
            elif final_servers > 1:
                heapq.heapreplace(heap, finish)
                leave[j][k] = finish
            else:
                last[j] = finish
                leave[j][k] = finish
    runs: list[StationRun] = []
    for j in range(size):
        item_start, item_leave = np.empty(n), np.empty(n)
        item_start[order] = start[j]
        item_leave[order] = leave[j]
        # Each lane is entered on leaving the step before it (the first: set by run()).
        enter = runs[-1].leave if runs else ready
        runs.append(
            StationRun(enter, item_start, item_leave, np.asarray(busy_start[j]), np.asarray(busy_end[j]))
        )
    return runs


def item_order_applies(stations: list[Station]) -> bool:
    """Whether a run of steps joined by bounded lanes can be served item by item: one
    station and no batch before each lane, no batch after, fixed delays in the lanes.
    """
    return (
        all(s.servers == 1 for s in stations[:-1])
        and all(s.batch == 1 for s in stations)
        and not any(isinstance(s.before.delay, Distribution) for s in stations[1:])
    )


_ARRIVE, _FINISH = 0, 1


class _Draws:
    """The draws of one duration at one station: an item's first visit takes its own
    (``first[k]``, as a line without loops draws them), a repeat visit through a rework
    loop the next of a pool drawn from the same stream as needed.
    """

    __slots__ = ("chunk", "first", "make", "pool", "used")

    def __init__(self, make: Callable[[int], list[float]], count: int) -> None:
        self.make = make
        self.first = make(count)
        self.pool: list[float] = []
        self.used = 0
        self.chunk = max(16, count // 8)

    def get(self, index: int, repeat: bool) -> float:
        """The draw for ``index`` on a first visit, else the next repeat's."""
        if not repeat and index < len(self.first):
            return self.first[index]
        if self.used == len(self.pool):
            self.pool, self.used = self.make(self.chunk), 0
        self.used += 1
        return self.pool[self.used - 1]


def _serve_events(
    stations: list[Station],
    clocks: list[_Clock],
    ready: Array,
    rngs: list[np.random.Generator],
    loops: list[tuple[int, int, float, np.random.Generator]] | None = None,
) -> list[StationRun]:
    """Steps joined by bounded lanes or rework loops, as a discrete-event loop: any
    stations, batches, lane delays and loops (``(source, target, share, stream)`` by
    position in ``stations``).

    A lane counts what has left the step before it and not yet started at the step after
    it (in transit included, waiting for a batch to fill included). A finished job holds
    its station until each of its items has found room downstream, first finished first;
    a station that frees room lets the step before it release what it holds. An item
    leaving a loop's source goes back with the loop's share, straight into the queue of
    its target (room or not), and is worked again with fresh times. A partial batch
    starts once its last item has arrived, or, at a step inside a loop, once nothing else
    can come (no event is left).
    """
    n = len(ready)
    size = len(stations)
    loops = loops or []
    service = [
        _Draws(lambda c, s=s, rng=rng: _with_uptime(s, draw(s.service, rng, c), rng).tolist(), n)
        for s, rng in zip(stations, rngs, strict=True)
    ]
    changeovers = [
        _Draws(
            lambda c, s=s, rng=rng: _with_uptime(s, draw(s.changeover, rng, c), rng).tolist(),
            -(-n // s.batch),
        )
        if s.changeover is not None
        else None
        for s, rng in zip(stations, rngs, strict=True)
    ]
    delays = [
        None
        if s.before.delay is None
        else _Draws(lambda c, s=s, rng=rng: draw(s.before.delay, rng, c).tolist(), n)
        for s, rng in zip(stations, rngs, strict=True)
    ]
    limits = [None, *(s.before.limit for s in stations[1:])]
    scalar = [c.scalar() for c in clocks]
    looped = [False] * size
    back: dict[int, list[tuple[int, float, _Draws]]] = {}
    for source, target, share, rng in loops:
        for j in range(target, source + 1):
            looped[j] = True
        back.setdefault(source, []).append(
            (target, share, _Draws(lambda c, rng=rng: rng.random(c).tolist(), 0))
        )
    enter = [[0.0] * n for _ in stations]
    start = [[0.0] * n for _ in stations]
    leave = [[0.0] * n for _ in stations]
    visits = [[0] * n for _ in stations]
    busy: list[list[tuple[float, float]]] = [[] for _ in stations]
    queue: list[deque[int]] = [deque() for _ in stations]
    # Rework only: who is in each lane since when (returns are in no lane), and passages.
    waiting: list[dict[int, float]] = [{} for _ in stations]
    passages: list[tuple[list[float], list[float]]] = [([], []) for _ in stations]
    going: list[dict[int, int]] = [{} for _ in stations]
    lane = [0] * size
    arrived = [0] * size
    free = [s.servers for s in stations]
    held: list[deque[deque[int]]] = [deque() for _ in stations]
    jobs = [0] * size
    heap: list[tuple[float, int, int, int, Any]] = []
    sequence = 0

    def push(time: float, kind: int, station: int, payload: Any) -> None:
        nonlocal sequence
        sequence += 1
        heapq.heappush(heap, (time, sequence, kind, station, payload))

    def begin(j: int, now: float, force: bool = False) -> None:
        station = stations[j]
        own, back_start, back_finish = scalar[j]
        started = False
        everything = not looped[j] and arrived[j] == n
        while free[j] and queue[j] and (len(queue[j]) >= station.batch or everything or force):
            members = [queue[j].popleft() for _ in range(min(station.batch, len(queue[j])))]
            lane[j] -= len(members)
            free[j] -= 1
            work = math.fsum(service[j].get(k, visits[j][k] > 0) for k in members)
            changeover = changeovers[j]
            if changeover is not None:
                work += changeover.get(jobs[j], False)
            jobs[j] += 1
            own_start = own(now)
            first = back_start(own_start)
            for k in members:
                if visits[j][k] == 0:
                    start[j][k] = first
                visits[j][k] += 1
                if loops and k in waiting[j]:
                    passages[j][0].append(waiting[j].pop(k))
                    passages[j][1].append(first)
            busy[j].append((own_start, own_start + work))
            push(back_finish(own_start + work), _FINISH, j, deque(members))
            started = True
        if started and j > 0:
            release(j - 1, now)

    def release(j: int, now: float) -> None:
        bound = limits[j + 1] if j + 1 < size else None
        while held[j]:
            members = held[j][0]
            while members:
                k = members[0]
                target = going[j].pop(k, None) if loops else None
                if target is None and bound is not None and lane[j + 1] >= bound:
                    return
                members.popleft()
                leave[j][k] = now
                if target is not None:
                    lane[target] += 1
                    push(now, _ARRIVE, target, k)
                elif j + 1 < size:
                    lane[j + 1] += 1
                    repeat = visits[j + 1][k] > 0
                    if not repeat:
                        enter[j + 1][k] = now
                    if loops:
                        waiting[j + 1][k] = now
                    delay = delays[j + 1]
                    push(now + (delay.get(k, repeat) if delay is not None else 0.0), _ARRIVE, j + 1, k)
            held[j].popleft()
            free[j] += 1
            begin(j, now)

    for k, time in enumerate(ready.tolist()):
        push(time, _ARRIVE, 0, k)
    now = 0.0
    while True:
        while heap:
            now, _, kind, j, payload = heapq.heappop(heap)
            if kind == _ARRIVE:
                queue[j].append(payload)
                arrived[j] += 1
                begin(j, now)
                continue
            for target, share, uniforms in back.get(j, ()):
                for k in payload:
                    if k not in going[j] and uniforms.get(0, True) < share:
                        going[j][k] = target
            held[j].append(payload)
            release(j, now)
        # Nothing moves: a partial batch inside a loop has all it will ever get.
        stuck = [j for j in range(size) if queue[j] and free[j]]
        if not stuck:
            break
        begin(stuck[0], now, force=True)
    runs: list[StationRun] = []
    for j in range(size):
        intervals = np.asarray(busy[j], dtype=float).reshape(-1, 2)
        counted = np.asarray(visits[j]) if loops else None
        passed = (np.asarray(passages[j][0]), np.asarray(passages[j][1])) if loops and j else None
        runs.append(
            StationRun(
                np.asarray(enter[j]) if j else ready,
                np.asarray(start[j]),
                np.asarray(leave[j]),
                intervals[:, 0],
                intervals[:, 1],
                counted,
                passed,
            )
        )
    return runs


def _delayed(times: Array, delay: Source | None, rng: np.random.Generator) -> Array:
    if delay is None:
        return times
    return times + draw(delay, rng, len(times))


def run(line: Line, arrival: Array, seed: int, replication: int) -> Run:
    """Serve ``arrival`` (seconds, item order) through ``line``: one replication.

    Blocks of stations (see :class:`~vsm_widget.simulation.line.Line`) are served in
    flow order. The first station of a block is ready for an item once every input has
    delivered it: the latest of its inputs, each after its lane's delay (a merge: a kit
    of one part from each feeder, or the item back from every parallel path).
    """
    stations = line.stations
    inputs = line.inputs
    runs: list[StationRun | None] = [None] * len(stations)
    lanes: dict[str, tuple[Array, Array]] = {}
    for block in line.blocks:
        first = block[0]
        entered: Array | None = None
        ready: Array | None = None
        for way in inputs[first]:
            base = arrival if way.source is None else runs[way.source].leave  # type: ignore[union-attr]
            time = _delayed(base, way.link.delay, rng_for(seed, replication, f"gap:{way.link.gap}"))
            entered = base if entered is None else np.maximum(entered, base)
            ready = time if ready is None else np.maximum(ready, time)
        members = [stations[i] for i in block]
        block_loops = _block_loops(block, line.loops, seed, replication)
        if len(block) == 1 and not block_loops:
            results = [
                _serve(
                    members[0], clock_of(members[0], line), ready, rng_for(seed, replication, members[0].id)
                )
            ]  # type: ignore[arg-type]
        else:
            clocks = [clock_of(s, line) for s in members]
            rngs = [rng_for(seed, replication, s.id) for s in members]
            if not block_loops and item_order_applies(members):
                results = _serve_segment(members, clocks, ready, rngs)  # type: ignore[arg-type]
            else:
                results = _serve_events(members, clocks, ready, rngs, block_loops)  # type: ignore[arg-type]
        # The gap before a block is entered before its delay.
        results[0] = dataclasses.replace(results[0], enter=entered)
        for place, result in zip(block, results, strict=True):
            runs[place] = result
    for place, ways in enumerate(inputs):
        result = runs[place]
        for position, way in enumerate(ways):
            if way.link.gap is None:
                continue
            if result.lane is not None and position == 0 and way.source is not None:  # type: ignore[union-attr]
                lanes[way.link.gap] = result.lane  # type: ignore[union-attr]
            else:
                base = arrival if way.source is None else runs[way.source].leave  # type: ignore[union-attr]
                lanes[way.link.gap] = (base, result.start)  # type: ignore[union-attr]
    last_leave = runs[line.last].leave  # type: ignore[union-attr]
    departure = _delayed(last_leave, line.after.delay, rng_for(seed, replication, f"gap:{line.after.gap}"))
    if line.after.gap is not None:
        lanes[line.after.gap] = (last_leave, departure)
    return Run(arrival, departure, tuple(runs), last_leave, lanes)  # type: ignore[arg-type]


def _block_loops(
    block: tuple[int, ...], loops: tuple[Loop, ...], seed: int, replication: int
) -> list[tuple[int, int, float, np.random.Generator]]:
    """The loops of a block by position in it, each with its own random stream."""
    place = {station: position for position, station in enumerate(block)}
    return [
        (place[loop.source], place[loop.target], loop.share, rng_for(seed, replication, f"rework:{loop.id}"))
        for loop in loops
        if loop.source in place
    ]
