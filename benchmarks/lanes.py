"""Timings of laying out a branching map: a 200-step map with 8 branches.

Run ``python benchmarks/lanes.py`` (or ``--quick`` for fewer repeats). Prints the median
and the 95th percentile of each figure next to its goal (the whole scene under 50 ms in
Python): the lanes alone, the whole scene from nothing, and the scene again after an
edit (nodes the edit did not touch reused from the cache, as the canvas does). Exits
non-zero only on a crash: a missed goal is a finding to report, not a failure.
"""

from __future__ import annotations

import argparse
import sys

from branches import build_map
from core import measure, report
from vsm_widget.core.fields import Process
from vsm_widget.core.metrics import compute
from vsm_widget.presentation.lanes import lay_out_lanes
from vsm_widget.presentation.scene import GAP_COL, PROCESS_COL, STREAM_LEFT, SceneCache, build_scene

STEPS = 200
BRANCHES = 8


def main(argv: list[str] | None = None) -> int:
    """Build the map, then time its layout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats = 7 if args.quick else 31
    m = build_map(STEPS, BRANCHES)
    state = m.state
    metrics = compute(state)
    scene = build_scene(state, metrics)
    lanes = {node.id for node in scene.nodes if node.kind == "lane"}
    print(
        f"map: {len(state.all_steps)} steps, {len(state.branches)} branches, "
        f"{len(state.reworks)} rework loops; {len(scene.nodes)} nodes, {len(lanes)} lanes drawn"
    )

    def width(item: object) -> float:
        return PROCESS_COL if isinstance(item, Process) else GAP_COL

    report(
        "lanes (columns, lanes, loop rows)",
        measure(lambda: lay_out_lanes(state, width, STREAM_LEFT), repeats),
        50.0,
    )
    report("scene from nothing (metrics given)", measure(lambda: build_scene(state, metrics), repeats), 50.0)
    report("scene with metrics", measure(lambda: build_scene(state), repeats), 50.0)
    cache = SceneCache()
    build_scene(state, metrics, cache)
    step = state.branches[3].items[1].id
    values = iter(range(10**6))

    def edit_and_lay_out() -> None:
        m.update(step, cycle_time=f"{20 + next(values) % 40} s")
        build_scene(m.state, None, cache)

    report("edit on a branch step + scene (cached nodes)", measure(edit_and_lay_out, repeats), 50.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
