"""Python-side time from one edit to updated cards and charts, on a 100-step map.

Run: ``python benchmarks/dashboard.py [--steps 100] [--runs 200]``

Prints the median and 95th percentile of the time ``m.update(step, cycle_time=...)``
takes with, in turn: no view (the model and metrics only), the cards and the three
charts, and the whole dashboard (canvas included). Outside a kernel the widgets' comm
is a no-op, but every trait is still validated and serialised, as in a notebook.
The goal for cards and charts is under 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from vsm_widget import ValueStreamMap
from vsm_widget.jupyter.charts import CycleTimeChart, TimeBreakdownChart, TimelineChart
from vsm_widget.jupyter.dashboard import Dashboard, MetricCards


def build(steps: int) -> ValueStreamMap:
    m = ValueStreamMap("Benchmark", demand=920, available_time="2 x 27600 s")
    with m.batch():
        for i in range(steps):
            if i:
                m.add_inventory(92 * (1 + i % 7), waste="inventory")
            m.add_process(
                f"Step {i + 1}",
                cycle_time=f"{20 + i % 45} s",
                uptime="90%",
                complete_accurate="98%",
                value_class=("value-adding", "necessary", "waste")[i % 3],
                waste="motion" if i % 3 == 2 else None,
            )
    return m


def measure(m: ValueStreamMap, runs: int) -> tuple[float, float]:
    """Median and p95 in ms of one edit that changes the metrics (a step's C/T)."""
    target = m.steps[len(m.steps) // 2].id
    samples: list[float] = []
    for i in range(runs + 10):
        value = f"{40 + i % 2} s"  # alternate so every edit changes the figures
        start = time.perf_counter()
        m.update(target, cycle_time=value)
        elapsed = (time.perf_counter() - start) * 1000
        if i >= 10:  # warm-up
            samples.append(elapsed)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    setups: list[tuple[str, Callable[[ValueStreamMap], object]]] = [
        ("model edit + metrics, no view", lambda m: m.observe(lambda change: m.metrics())),
        ("cards only", MetricCards),
        ("timeline chart only", TimelineChart),
        ("cycle-time chart only", CycleTimeChart),
        ("time-breakdown chart only", TimeBreakdownChart),
        (
            "cards + 3 charts",
            lambda m: (MetricCards(m), TimelineChart(m), CycleTimeChart(m), TimeBreakdownChart(m)),
        ),
        ("whole dashboard (with canvas)", Dashboard),
    ]
    print(f"{args.steps} steps, {args.steps - 1} inventories; one C/T edit; {args.runs} runs")
    print(f"{'setup':34s} {'median ms':>10s} {'p95 ms':>10s}")
    for name, make in setups:
        m = build(args.steps)
        views = make(m)
        median, p95 = measure(m, args.runs)
        print(f"{name:34s} {median:10.2f} {p95:10.2f}")
        del views


if __name__ == "__main__":
    main()
