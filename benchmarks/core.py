"""Timings of the core model: metrics, a JSON round trip, one edit with its undo, and
how fast hostile documents are refused.

Run ``python benchmarks/core.py`` (or ``--quick`` for fewer repeats). Prints the median
and the 95th percentile of each figure next to its goal. Exits non-zero only on a crash:
a missed goal is a finding to report, not a failure of the script.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable

from vsm_widget import ValidationError, ValueStreamMap
from vsm_widget.core.metrics import compute
from vsm_widget.core.model import MapState, validate_state
from vsm_widget.data import io

STEPS = 1000


def build_map(steps: int = STEPS) -> ValueStreamMap:
    """A realistic long stream: a gap before every step, varied times, shares and stock."""
    m = ValueStreamMap(
        "Benchmark line", demand=18400, period="month", working_days=20, available_time="2 x 27600 s"
    )
    with m.batch("build"):
        for i in range(steps):
            if i % 3 == 0:
                m.add_inventory({"LH": 100 + i % 50, "RH": 60 + i % 30})
            else:
                m.add_wait(f"{1 + i % 7} h", waste="waiting")
            m.add_process(
                f"Step {i + 1}",
                cycle_time=f"{20 + i % 45} s",
                changeover=f"{i % 4 * 5} min",
                uptime=f"{80 + i % 21}%",
                complete_accurate=f"{90 + i % 11}%",
                operators=1 + i % 3,
                value_class=("value-adding", "necessary", "waste")[i % 3],
            )
    m.clear_history()
    return m


def edited_states(m: ValueStreamMap, count: int) -> list[MapState]:
    """``count`` states of ``m``, each one edit (a step's C/T, on any path, in turn) after
    the one before: what the canvas computes after every edit, in order. The state before
    them has been computed (a map on show); every edit changes a value (the benchmark maps'
    C/Ts are below 70 s).
    """
    compute(m.state)
    states = []
    steps = m.state.all_steps
    for k in range(count):
        m.update(steps[(k * 97) % len(steps)].id, cycle_time=f"{70 + k % 40} s")
        states.append(m.state)
    if len(set(map(id, states))) != count:
        raise AssertionError("an edit changed nothing")
    return states


def loaded_states(state: MapState, count: int) -> list[MapState]:
    """``count`` copies of ``state``, each loaded from its document: maps just opened,
    every step and gap a new object that no computation has seen.
    """
    document = ValueStreamMap.from_state(state).to_dict()
    return [ValueStreamMap.from_dict(document).state for _ in range(count)]


def measure_each(run: Callable[[MapState], object], states: list[MapState]) -> list[float]:
    """Seconds per call of ``run`` on each of ``states``, in order."""
    samples = iter(states)
    return measure(lambda: run(next(samples)), len(states))


def measure(run: Callable[[], object], repeats: int) -> list[float]:
    """Seconds per call, one sample per repeat."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return samples


def report(name: str, samples: list[float], goal_ms: float) -> None:
    """Print median and p95 in milliseconds with the goal and PASS or MISS."""
    ordered = sorted(samples)
    median = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
    verdict = "PASS" if median < goal_ms else "MISS"
    print(f"{name:<34} median {median:9.3f} ms   p95 {p95:9.3f} ms   goal < {goal_ms:g} ms   {verdict}")


def info(name: str, samples: list[float]) -> None:
    """Print a figure that has no goal, for context."""
    ordered = sorted(samples)
    median = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
    print(f"{name:<34} median {median:9.3f} ms   p95 {p95:9.3f} ms   (no goal)")


def _nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def hostile_documents() -> dict[str, Callable[[], object]]:
    """Loads that must each end in a short ValidationError: name -> the call."""
    base = build_map(20).to_dict()

    def changed(key: str, value: object) -> dict[str, object]:
        return {**base, key: value}

    deep_text = '{"schema": 1, "scope": ' + "[" * 100_000 + "]" * 100_000 + "}"
    digits_text = '{"schema": 1, "customer": {"demand": 1' + "0" * 4_000 + "}}"
    million_text = '{"schema": 1, "title": [' + ",".join(["1"] * 1_000_000) + "]}"
    late = json.loads(json.dumps(build_map(STEPS).to_dict()))
    late["stream"][-1]["cycle_time"] = -1
    deep, huge, many = (
        changed("scope", _nested(100_000)),
        changed("schema", 10**10_000),
        changed("stream", [0] * 10**6),
    )
    return {
        "text nested 100,000 deep": lambda: io.from_json(deep_text),
        "text with a 4,000-digit number": lambda: io.from_json(digits_text),
        "text with a 1,000,000-item title": lambda: io.from_json(million_text),
        "dict nested 100,000 deep": lambda: io.from_document(deep),
        "dict with a 10,000-digit integer": lambda: io.from_document(huge),
        "dict with 1,000,000 wrong items": lambda: io.from_document(many),
        f"{STEPS}-step map, last value wrong": lambda: io.from_document(late),
    }


def refused(run: Callable[[], object]) -> Callable[[], None]:
    """``run``, checked to end in a short ValidationError."""

    def check() -> None:
        try:
            run()
        except ValidationError as error:
            if len(str(error)) > 500:
                raise AssertionError(f"a long error: {len(str(error))} characters") from None
            return
        raise AssertionError("a hostile document was accepted")

    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, for a smoke run")
    args = parser.parse_args(argv)
    repeats = 5 if args.quick else 30

    start = time.perf_counter()
    m = build_map()
    built = (time.perf_counter() - start) * 1000
    print(f"map: {len(m.steps)} steps, {len(m.gaps)} gaps, built with add_* in one batch in {built:.0f} ms")

    original = m.state
    report("metrics compute, after an edit", measure_each(compute, edited_states(m, repeats * 3)), 5)
    info("metrics compute, map just loaded", measure_each(compute, loaded_states(original, repeats * 3)))
    metrics = compute(m.state)
    if metrics.step_count != STEPS:
        raise AssertionError("metrics lost steps")
    info("metrics to_dict (widget sync)", measure(metrics.to_dict, repeats * 3))
    info("validate_state (whole map)", measure(lambda: validate_state(m.state), repeats))

    def round_trip() -> ValueStreamMap:
        return ValueStreamMap.from_dict(json.loads(json.dumps(m.to_dict())))

    back = round_trip()
    if back.state != m.state:
        raise AssertionError("the JSON round trip changed the map")
    report("JSON round trip (to/from_dict)", measure(round_trip, max(3, repeats // 3)), 50)

    target = m.steps[len(m.steps) // 2].id

    def edit_and_undo() -> None:
        m.update(target, cycle_time="33 s")
        m.undo()

    before = m.state
    report("edit + undo (cycle time)", measure(edit_and_undo, repeats * 10), 1)
    if m.state is not before:
        raise AssertionError("undo did not restore the state")

    print("hostile documents, each refused with a short ValidationError:")
    for name, run in hostile_documents().items():
        # The first one also pays for compiling the schema checks once per process.
        report(f"  {name}", measure(refused(run), max(3, repeats // 5)), 250)
    return 0


if __name__ == "__main__":
    sys.exit(main())
