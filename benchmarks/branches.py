"""Timings of the figures of a branching stream: a 1,000-step map with 50 branches.

Run ``python benchmarks/branches.py`` (or ``--quick`` for fewer repeats). Prints the
median and the 95th percentile of each figure next to its goal (metrics under 5 ms after
an edit, the live case), and, for context, the metrics of a state computed before and of
a state whose steps and gaps no computation has seen (a map just loaded).
Exits non-zero only on a crash: a missed goal is a finding to report, not a failure of
the script.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from core import edited_states, info, loaded_states, measure, measure_each, report
from vsm_widget import ValueStreamMap
from vsm_widget.core.metrics import compute
from vsm_widget.core.model import BranchBuilder

STEPS = 1000
BRANCHES = 50
STEPS_PER_BRANCH = 6


def build_map(steps: int = STEPS, branches: int = BRANCHES) -> ValueStreamMap:
    """A long main line with feeders, parallel paths and nested branches, a gap before
    every step, and a rework loop every tenth branch; ``steps`` in all.
    """
    m = ValueStreamMap(
        "Branching benchmark", demand=18400, period="month", working_days=20, available_time="2 x 27600 s"
    )
    main = steps - branches * STEPS_PER_BRANCH
    count = 0

    def add(target: ValueStreamMap | BranchBuilder, i: int) -> None:
        if i % 3 == 0:
            target.add_inventory({"LH": 100 + i % 50, "RH": 60 + i % 30})
        else:
            target.add_wait(f"{1 + i % 7} h", waste="waiting")
        target.add_process(
            f"Step {i + 1}",
            cycle_time=f"{20 + i % 45} s",
            uptime=f"{80 + i % 21}%",
            complete_accurate=f"{90 + i % 11}%",
        )

    with m.batch("build"):
        for _ in range(main):
            add(m, count)
            count += 1
        spacing = main // (branches + 1)
        for k in range(branches):
            into = m.steps[(k + 1) * spacing].id
            if k % 5 == 4:
                # Nested: a feeder into the second step of the branch before.
                into = m.branches[-1].items[3].id
            after = m.steps[(k + 1) * spacing - 5].id if k % 2 else None
            b = m.add_branch(into=into, after=None if k % 5 == 4 else after)
            for _ in range(STEPS_PER_BRANCH):
                add(b, count)
                count += 1
            if k % 10 == 0:
                m.add_rework(source=into, target=m.branches[-1].items[1].id, share="10%")
    m.clear_history()
    return m


def main(argv: list[str] | None = None) -> int:
    """Build the map, then time its metrics and its per-path table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats = 7 if args.quick else 31
    m = build_map()
    state = m.state
    met = compute(state)
    print(
        f"map: {len(state.all_steps)} steps ({len(state.steps)} on the main line), "
        f"{len(state.branches)} branches, {len(state.reworks)} rework loops; "
        f"critical path {met.critical_path}, lead time {met.format('lead_time')}, "
        f"with rework {met.format('lead_time_with_rework')}"
    )
    # The live case first: each sample computes the state one edit after the one before.
    report("metrics after an edit", measure_each(compute, edited_states(m, repeats)), 5.0)
    info("metrics again, same state", measure(lambda: compute(state), repeats))
    info("metrics of a map just loaded", measure_each(compute, loaded_states(state, repeats)))
    straight = ValueStreamMap.from_state(dataclasses.replace(state, branches=(), reworks=()))
    report(
        f"main line alone ({len(straight.steps)}) after edit",
        measure_each(compute, edited_states(straight, repeats)),
        5.0,
    )
    m.paths()  # the first call imports pandas (about a second), which no later call pays
    report("paths() table", measure(lambda: m.paths(), max(3, repeats // 3)), 50.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
