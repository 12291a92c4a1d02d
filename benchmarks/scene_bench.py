"""The whole scene of a 200-step map laid out from nothing, N times: branched or straight.

For timing from outside with ``farm-bench``, the branched map against the same 200 steps
in one line (what the branches cost the layout)::

    farm-bench --vs 'python benchmarks/scene_bench.py straight 30' -- \\
        python benchmarks/scene_bench.py branched 30

``python benchmarks/scene_bench.py branched 0`` is the start-up alone (imports, the map
and its metrics), to subtract.
"""

from __future__ import annotations

import dataclasses
import sys

from branches import build_map
from vsm_widget.core.metrics import compute
from vsm_widget.presentation.scene import build_scene


def main(argv: list[str]) -> int:
    """Build the map, then its scene ``argv[1]`` times (``argv[0]``: branched or straight)."""
    shape, repeats = argv[0], int(argv[1])
    state = build_map(200, 8).state
    if shape == "straight":
        # The same 200 steps and gaps in one line: the branches' items after the main line's.
        state = dataclasses.replace(state, stream=state.all_items, branches=(), reworks=())
    elif shape != "branched":
        raise SystemExit("shape: branched or straight")
    metrics = compute(state)
    for _ in range(repeats):
        build_scene(state, metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
