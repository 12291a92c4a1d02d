"""Timings of the simulation: the issue's figures, the cost of each feature, and the
engine against an own event loop and SimPy on the very same line.

Run ``python benchmarks/simulation.py`` (``--quick`` for fewer repeats). Prints medians
over repeated runs with the machine's load average (other work on a shared machine slows
every figure). SimPy is timed when it is installed (``pip install simpy``; it is not a
dependency of vsm_widget). Exits non-zero only on a crash or when the three engines
disagree: a missed goal is a finding to report, not a failure of the script.
"""

from __future__ import annotations

import argparse
import heapq
import os
import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from vsm_widget import ValueStreamMap, triangular
from vsm_widget.simulation import simulate
from vsm_widget.simulation.engine import _single

ITEMS = 10_000


def build_map(
    steps: int, *, lanes: bool = False, batches: bool = False, parallel: bool = False
) -> ValueStreamMap:
    """A line of ``steps`` steps at 30-46 s against takt 60 s, a wait or a lane between."""
    m = ValueStreamMap("Benchmark", demand=960, available_time="2 x 28800 s")  # takt 60 s
    with m.batch("build"):
        for i in range(steps):
            if i:
                if lanes:
                    m.add_inventory(0, flow="fifo", fifo_max=5 + i % 5)
                else:
                    m.add_wait(f"{i % 4} min")
            m.add_process(
                f"Step {i + 1}",
                cycle_time=30 + i % 17,
                uptime=f"{95 + i % 5}%",
                batch_size=(4 if batches and i % 3 == 0 else None),
                changeover=("2 min" if batches and i % 3 == 0 else None),
                parallel=(2 if parallel and i % 4 == 0 else 1),
            )
    return m


def build_branched_map() -> ValueStreamMap:
    """20 steps as the straight map's, of which 14 on the main line; a parallel path of 2
    steps after Step 3 into Step 7, feeders of 2 steps into Step 12 and Step 14, and a
    rework loop sending 10% of what leaves Step 10 back to Step 8.
    """
    m = build_map(14)
    with m.batch("branch"):
        split = m.add_branch(into="Step 7", after="Step 3", name="Check")
        split.add_process("Check 1", cycle_time=35, uptime="97%")
        split.add_wait("3 min")
        split.add_process("Check 2", cycle_time=40)
        for into, name in (("Step 12", "Parts A"), ("Step 14", "Parts B")):
            feeder = m.add_branch(into=into, name=name)
            feeder.add_process(f"{name} 1", cycle_time=38, uptime="96%")
            feeder.add_wait("2 min")
            feeder.add_process(f"{name} 2", cycle_time=33)
        m.add_rework(source="Step 10", target="Step 8", share="10%")
    return m


def triangular_times(m: ValueStreamMap) -> dict[str, Any]:
    """Each step's C/T as a triangular distribution from 80% to 130%, mode at the C/T."""
    return {s.id: triangular(0.8 * s.cycle_time, s.cycle_time, 1.3 * s.cycle_time) for s in m.all_steps}


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    return timed(run, repeats)[0]


def timed(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """The median seconds of ``repeats`` calls, and what the last call gave."""
    samples = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def line(name: str, seconds: float, goal: float | None = None, note: str = "") -> None:
    verdict = "(no goal)" if goal is None else f"goal < {goal:g} s   {'PASS' if seconds < goal else 'MISS'}"
    print(f"{name:<52} median {seconds * 1000:9.1f} ms   {verdict} {note}")


# --------------------------------------------------------------------------- three engines


def numpy_recurrence(arrival: np.ndarray, service: np.ndarray) -> np.ndarray:
    """The engine's recurrence, step after step (a line of single stations, FIFO)."""
    time_ = arrival
    for row in service:
        _, time_ = _single(time_, row)
    return time_


def event_loop(arrival: np.ndarray, service: np.ndarray) -> np.ndarray:
    """An own discrete-event loop: a heap of departures, a queue per station."""
    steps, n = service.shape
    times = service.tolist()
    queues: list[deque[int]] = [deque() for _ in range(steps)]
    busy = [False] * steps
    done = [0.0] * n
    events: list[tuple[float, int, int, int]] = [(t, k, -1, k) for k, t in enumerate(arrival.tolist())]
    heapq.heapify(events)
    order = n
    while events:
        now, _, station, item = heapq.heappop(events)
        if station >= 0:  # item leaves station
            if queues[station]:
                following = queues[station].popleft()
                order += 1
                heapq.heappush(events, (now + times[station][following], order, station, following))
            else:
                busy[station] = False
        target = station + 1
        if target == steps:
            done[item] = now
        elif busy[target]:
            queues[target].append(item)
        else:
            busy[target] = True
            order += 1
            heapq.heappush(events, (now + times[target][item], order, target, item))
    return np.asarray(done)


def simpy_line(arrival: np.ndarray, service: np.ndarray) -> np.ndarray | None:
    """The same line in SimPy: a Resource per station, a process per item."""
    try:
        import simpy
    except ImportError:
        return None
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=1) for _ in range(service.shape[0])]
    times = service.tolist()
    done = np.zeros(len(arrival))

    def item(k: int):
        for j, station in enumerate(stations):
            with station.request() as request:
                yield request
                yield env.timeout(times[j][k])
        done[k] = env.now

    def source():
        previous = 0.0
        for k, at in enumerate(arrival.tolist()):
            yield env.timeout(at - previous)
            previous = at
            env.process(item(k))

    env.process(source())
    env.run()
    return done


def compare_engines(repeats: int) -> None:
    rng = np.random.default_rng(1)
    for steps in (20, 200):
        arrival = np.cumsum(rng.exponential(60.0, ITEMS))
        service = rng.triangular(32, 40, 60, (steps, ITEMS))
        reference = numpy_recurrence(arrival, service)
        # The slow engines run once at 200 steps: a minute of SimPy is figure enough.
        slow = max(1, repeats // 3) if steps == 20 else 1
        engines: list[tuple[str, Callable[..., Any], int]] = [
            (f"numpy recurrence, {steps} steps x {ITEMS:,} items", numpy_recurrence, repeats),
            (f"own event loop (heapq), {steps} steps", event_loop, slow),
            (f"SimPy 4 (Resource per station), {steps} steps", simpy_line, slow),
        ]
        for name, engine, count in engines:
            if engine(arrival[:2], service[:, :2]) is None:
                print(f"{name:<52} not installed (pip install simpy to time it)")
                continue
            seconds, done = timed(lambda e=engine, a=arrival, s=service: e(a, s), count)
            assert np.allclose(done, reference, rtol=1e-9), f"{name} disagrees"
            line(name, seconds)
    print("  (all give the same departures, to 1e-9, on the same drawn times)")


# --------------------------------------------------------------------------- the figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 3 if args.quick else 9
    print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print()
    print("The issue's figures (one replication unless said; simulate() end to end):")
    m20 = build_map(20)
    t20 = triangular_times(m20)
    one = median_seconds(lambda: simulate(m20, ITEMS, seed=1, replications=1, durations=t20), repeats)
    line("20 steps, triangular times, 10,000 items", one, 1.0, "(goal 0.3 s)")
    hundred = median_seconds(
        lambda: simulate(m20, ITEMS, seed=1, replications=100, durations=t20), max(1, repeats // 3)
    )
    line("the same, 100 replications", hundred, 10.0)
    branched = build_branched_map()
    tb = triangular_times(branched)
    assert len(branched.all_steps) == 20
    line(
        "20 steps: 2 feeders, a parallel path, a 10% loop",
        median_seconds(lambda: simulate(branched, ITEMS, seed=1, replications=1, durations=tb), repeats),
        note="(the same times and items)",
    )
    line(
        "dashboard what-if, 20 steps (5 x 5,000 items, drawn)",
        what_if_seconds(m20, repeats),
        note="(copy, edit, simulate, both charts)",
    )
    m200 = build_map(200)
    t200 = triangular_times(m200)
    line(
        "200 steps, triangular times, 10,000 items",
        median_seconds(lambda: simulate(m200, ITEMS, seed=1, replications=1, durations=t200), repeats),
    )
    print()
    print("The cost of each feature (20 steps, 10,000 items, one replication; runs interleaved):")
    cases: dict[str, Callable[[], object]] = {
        "fixed times (rate-loss uptime, fixed waits)": lambda: simulate(m20, ITEMS, seed=1, replications=1),
        "triangular times": lambda: simulate(m20, ITEMS, seed=1, replications=1, durations=t20),
        "breakdowns (repairs of 10 min), triangular": lambda: simulate(
            m20, ITEMS, seed=1, replications=1, durations=t20, uptime="breakdowns", repair_time="10 min"
        ),
    }
    for name, variant in (
        ("batches of 4 on every third step, triangular", build_map(20, batches=True)),
        ("2 stations on every fourth step, triangular", build_map(20, parallel=True)),
        ("one step on 1 of the 2 shifts, triangular", _one_shift(build_map(20))),
        ("FIFO lanes of 5-9 between all steps (item loop)", build_map(20, lanes=True)),
        ("the lanes and the batches (event loop)", build_map(20, lanes=True, batches=True)),
    ):
        cases[name] = lambda v=variant: simulate(
            v, ITEMS, seed=1, replications=1, durations=triangular_times(v)
        )
    # Round after round over every case, so that a change in the machine's load falls on
    # all of them alike rather than on whichever ran then.
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, run in cases.items():
            samples[name].append(median_seconds(run, 1))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    reference = medians["triangular times"]
    for name, seconds in medians.items():
        note = (
            ""
            if name == "triangular times"
            else f"({(seconds - reference) * 1000:+.1f} ms against triangular)"
        )
        line(name, seconds, note=note)
    print()
    print("Engines on the same line (single stations, FIFO, drawn times given):")
    compare_engines(repeats)


def what_if_seconds(m: ValueStreamMap, repeats: int) -> float:
    """The dashboard's re-simulation after a what-if (its default options), end to end."""
    from vsm_widget.jupyter.dashboard import SimulationView

    view = SimulationView(m, debounce=0)
    sizes = iter(range(2, 2 + repeats))
    seconds = median_seconds(lambda: view.set_what_if("Step 5", batch_size=next(sizes)), repeats)
    view.close()
    return seconds


def _one_shift(m: ValueStreamMap) -> ValueStreamMap:
    # Half the day at 25 s a piece: 50 s per takt of 60 s.
    m.update("Step 5", shifts=1, cycle_time=25)
    return m


if __name__ == "__main__":
    main()
