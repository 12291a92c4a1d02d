"""Where each path of a branching stream goes: its columns along the flow and its lane.

The main line runs left to right in lane 0, as a straight map always has. Every branch
gets a lane of its own under it (or shares one with branches it does not overlap), so that
nothing covers the main line's information flows, which come down from above:

- **Columns.** Each step and gap gets an automatic column, left to right in flow order:
  an item starts where the items that feed it end (the longest way from the left edge, in
  column widths), so every path reads left to right and a branch ends before the step it
  merges into. A feeder (a branch with a start of its own) is then pushed right, as close
  to the step it feeds as it can go, so its line sits under the steps it runs beside.
- **Lanes.** A branch sits deeper than the paths it leaves and joins. Among the lanes
  that allow, it takes the first where it overlaps no other branch, where its connectors
  (down from the step it splits after, up to the step it joins) cross no branch of a lane
  they pass, and where it covers no connector of a deeper branch; narrow branches are
  placed first, so that wider ones go round them. Two branches that interleave (one
  leaves a step inside the other's span and joins a step past its end) cannot both lie
  below without crossing: the second goes above the main line when no information flow
  comes down onto the stream (lanes above would cut through those); otherwise it takes
  the first lane it does not overlap, and one of its connectors crosses the other once.
- **Rework rows.** The loops of a lane run back under its boxes, each in the first row
  where it overlaps no other loop's span.

All of this is a pure function of the map's order: a dragged element's stored place is
applied afterwards, by the scene, and never moves another element.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..core.fields import MAIN, Branch, MapState, Process

__all__ = ["Lanes", "lay_out_lanes"]

#: Room each connector takes beside the step it leaves or joins (map units).
CONNECTOR_STEP = 5.0


@dataclass(frozen=True, slots=True)
class Lanes:
    """The automatic layout of a map's paths (see the module's docstring).

    ``columns`` gives each step's and gap's column as ``(left, right)``; ``lane`` each
    path's lane (0 is the main line's); ``merges`` and ``splits`` each branch's place
    among the branches joining the same step and leaving the same step (0 is the one
    whose lane is nearest the step's); ``rework_rows`` each loop's row in the band under
    its source's lane, and ``rows`` how many rows each lane's band has.
    """

    columns: dict[str, tuple[float, float]]
    lane: dict[str, int]
    merges: dict[str, tuple[int, int]]
    splits: dict[str, tuple[int, int]]
    rework_rows: dict[str, int]
    rows: dict[int, int]

    @property
    def depths(self) -> range:
        """The lanes from the top down: those above the main line (negative), the main
        line's (0), those below it.
        """
        return range(min(self.lane.values(), default=0), 1 + max(self.lane.values(), default=0))


def lay_out_lanes(state: MapState, width_of: Callable[[Process | object], float], left_edge: float) -> Lanes:
    """The automatic columns and lanes of every path of ``state``.

    ``width_of`` gives an item's column width; ``left_edge`` is where the first column
    starts.
    """
    items = state.all_items
    width = {item.id: width_of(item) for item in items}
    step_ids = {item.id for item in items if isinstance(item, Process)}
    branches = {b.id: b for b in state.branches}
    path_of = {item.id: path for path, path_items in state.by_path for item in path_items}
    joining: dict[str, list[Branch]] = {}
    leaving: dict[str, list[Branch]] = {}
    for branch in state.branches:
        if branch.into in step_ids:
            joining.setdefault(branch.into, []).append(branch)
        if branch.after is not None and branch.after in step_ids:
            leaving.setdefault(branch.after, []).append(branch)

    # The flow between items: consecutive items of a path, a branch's split and merge.
    feeds: dict[str, list[str]] = {item.id: [] for item in items}
    fed_by: dict[str, list[str]] = {item.id: [] for item in items}

    def link(source: str, target: str) -> None:
        feeds[source].append(target)
        fed_by[target].append(source)

    for path, path_items in state.by_path:
        ids = [item.id for item in path_items]
        for a, z in itertools.pairwise(ids):
            link(a, z)
        branch = branches.get(path)
        if branch is None or not ids:
            continue
        if branch.after in step_ids:
            link(branch.after, ids[0])  # type: ignore[arg-type]
        if branch.into in step_ids:
            link(ids[-1], branch.into)
    order = _flow_order(feeds, fed_by)

    # Room for connectors beside a step that several branches leave or join: each takes
    # CONNECTOR_STEP of the margin a column keeps round its box (16 units).
    def extra(count: int) -> float:
        return max(0.0, CONNECTOR_STEP * count + 3 - 16)

    left: dict[str, float] = {}
    for item in order:
        start = left_edge
        for source in fed_by[item]:
            room = extra(len(joining.get(item, ()))) + extra(len(leaving.get(source, ())))
            start = max(start, left[source] + width[source] + room)
        left[item] = start
    # Feeders float right, to the step they feed (through nested feeders too).
    floating = {bid for bid, b in branches.items() if b.after is None}
    for item in reversed(order):
        if path_of[item] in floating and feeds[item]:
            left[item] = min(
                left[target] - width[item] - extra(len(joining.get(target, ()))) for target in feeds[item]
            )
    columns = {item: (left[item], left[item] + width[item]) for item in order}

    # Each branch's span, connectors included: from where it leaves a step (or its first
    # column) to the column of the step it joins.
    def span(branch: Branch) -> tuple[float, float] | None:
        own = [columns[item.id] for item in branch.items if item.id in columns]
        lo = min((c[0] for c in own), default=None)
        hi = max((c[1] for c in own), default=None)
        if branch.after in columns:
            lo = columns[branch.after][1] - 16  # type: ignore[index]
            hi = hi if hi is not None else lo
        if branch.into in columns:
            hi = columns[branch.into][0] + 16
            lo = lo if lo is not None else hi - 60
        return None if lo is None or hi is None else (lo, hi)

    spans = {bid: span(b) for bid, b in branches.items()}
    lane = _assign_lanes(state, spans, columns, path_of)

    merges: dict[str, tuple[int, int]] = {}
    for group in joining.values():
        ranked = sorted(group, key=lambda b: abs(lane.get(b.id, 0)))
        merges.update({b.id: (i, len(ranked)) for i, b in enumerate(ranked)})
    splits: dict[str, tuple[int, int]] = {}
    for group in leaving.values():
        ranked = sorted(group, key=lambda b: abs(lane.get(b.id, 0)))
        splits.update({b.id: (i, len(ranked)) for i, b in enumerate(ranked)})

    rework_rows, rows = _rework_rows(state, columns, lane, path_of)
    return Lanes(columns, lane, merges, splits, rework_rows, rows)


def _flow_order(feeds: Mapping[str, list[str]], fed_by: Mapping[str, list[str]]) -> list[str]:
    """The items in flow order (each after every item that feeds it); items on a circle,
    which the model refuses, come last in their own order.
    """
    waiting = {item: len(sources) for item, sources in fed_by.items()}
    ready = [item for item, count in waiting.items() if count == 0]
    ready.reverse()
    order: list[str] = []
    while ready:
        item = ready.pop()
        order.append(item)
        for target in reversed(feeds[item]):
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    if len(order) < len(waiting):
        seen = set(order)
        order.extend(item for item in waiting if item not in seen)
    return order


def _assign_lanes(
    state: MapState,
    spans: Mapping[str, tuple[float, float] | None],
    columns: Mapping[str, tuple[float, float]],
    path_of: Mapping[str, str],
) -> dict[str, int]:
    """Each path's lane (see the module's docstring)."""
    lane: dict[str, int] = {MAIN: 0}
    branches = {b.id: b for b in state.branches}

    def level(bid: str, seen: frozenset[str] = frozenset()) -> int:
        branch = branches[bid]
        ends = [path_of.get(e) for e in (branch.into, branch.after) if e]
        parents = [p for p in ends if p in branches and p not in seen and p != bid]
        return 1 + max((level(p, seen | {bid}) for p in parents), default=0)

    def connectors(branch: Branch) -> list[tuple[float, int]]:
        """Where the branch's connectors run up or down: x, and the lane they reach."""
        found = []
        if branch.after in columns:
            found.append((columns[branch.after][1] - 8, lane.get(path_of[branch.after], 0)))  # type: ignore[index]
        if branch.into in columns:
            found.append((columns[branch.into][0] + 8, lane.get(path_of[branch.into], 0)))
        return found

    # Above the main line only where nothing comes down onto the stream from above: an
    # information flow to or from a step or gap would cross a lane there.
    open_above = not any(flow.source in path_of or flow.target in path_of for flow in state.flows)
    placed: list[str] = []
    order = sorted(
        branches,
        key=lambda bid: (level(bid), (spans[bid][1] - spans[bid][0]) if spans[bid] else 0.0),  # type: ignore[index]
    )
    for bid in order:
        branch = branches[bid]
        own = spans[bid]
        ends = [lane.get(path_of.get(e, MAIN), 0) for e in (branch.into, branch.after) if e]
        lowest = 1 + max(ends, default=0)
        candidates = list(range(lowest, lowest + len(branches) + 1)) if min(ends, default=0) >= 0 else []
        if open_above and max(ends, default=0) <= 0:
            highest = min(ends, default=0) - 1
            candidates += range(highest, highest - len(branches) - 1, -1)
        chosen = None
        first_free = None
        for depth in candidates:
            if own is not None and any(
                lane[other] == depth and spans[other] is not None and _overlap(own, spans[other])  # type: ignore[arg-type]
                for other in placed
            ):
                continue
            first_free = depth if first_free is None else first_free
            if _clear(bid, depth, own, placed, lane, spans, branches, connectors):
                chosen = depth
                break
        fallback = candidates[0] if candidates else lowest
        lane[bid] = chosen if chosen is not None else (first_free if first_free is not None else fallback)
        placed.append(bid)
    return lane


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _inside(x: float, span: tuple[float, float] | None) -> bool:
    return span is not None and span[0] < x < span[1]


def _clear(
    bid: str,
    depth: int,
    own: tuple[float, float] | None,
    placed: list[str],
    lane: Mapping[str, int],
    spans: Mapping[str, tuple[float, float] | None],
    branches: Mapping[str, Branch],
    connectors: Callable[[Branch], list[tuple[float, int]]],
) -> bool:
    """Whether branch ``bid`` in lane ``depth`` crosses nothing placed so far."""
    for x, reach in connectors(branches[bid]):
        for other in placed:
            if _between(lane[other], reach, depth) and _inside(x, spans[other]):
                return False
    for other in placed:
        for x, reach in connectors(branches[other]):
            if _between(depth, reach, lane[other]) and _inside(x, own):
                return False
    return True


def _between(value: int, a: int, b: int) -> bool:
    """Whether lane ``value`` lies strictly between lanes ``a`` and ``b``."""
    return min(a, b) < value < max(a, b)


def _rework_rows(
    state: MapState,
    columns: Mapping[str, tuple[float, float]],
    lane: Mapping[str, int],
    path_of: Mapping[str, str],
) -> tuple[dict[str, int], dict[int, int]]:
    """Each rework loop's row under its source's lane, and each lane's count of rows."""
    taken: dict[int, list[list[tuple[float, float]]]] = {}
    found: dict[str, int] = {}
    spans = []
    for loop in state.reworks:
        if loop.source in columns and loop.target in columns:
            a, z = columns[loop.target], columns[loop.source]
            spans.append((max(a[1], z[1]) - min(a[0], z[0]), loop, min(a[0], z[0]), max(a[1], z[1])))
    # Narrow loops first, nearest the boxes: a wider loop then runs round them.
    spans.sort(key=lambda entry: entry[0])
    for _, loop, lo, hi in spans:
        rows = taken.setdefault(lane.get(path_of[loop.source], 0), [])
        for index, row in enumerate(rows):
            if all(hi <= r0 or lo >= r1 for r0, r1 in row):
                row.append((lo, hi))
                found[loop.id] = index
                break
        else:
            rows.append([(lo, hi)])
            found[loop.id] = len(rows) - 1
    return found, {depth: len(rows) for depth, rows in taken.items()}
