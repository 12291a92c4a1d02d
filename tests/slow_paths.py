"""The figures of a branching stream as the first edition computed them, step by step:
a reference for the metrics' one pass over the paths (tests compare the two on random maps).

Copied from vsm_widget.core.metrics as it stood before that pass: a graph of steps built
from every hop, longest ways to and from each step, each path's route walked step by step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from vsm_widget.core.fields import MapState
from vsm_widget.core.flow import flow_edges, step_order
from vsm_widget.core.metrics import GapMetrics, StepMetrics, _sum, efficiency, expected_passes

# A route: the ids of the steps and gaps along one path from a start to the end.
Route = list[str]


class _Graph:
    """The stream as a graph of steps: the hops into and out of each step, and each
    path's hops, with the steps in flow order.
    """

    def __init__(self, state: MapState) -> None:
        hops = flow_edges(state)
        self.order, _ = step_order(hops)
        self.place = {step: index for index, step in enumerate(self.order)}
        self.into: dict[str | None, list[_Hop]] = {}
        self.out: dict[str | None, list[_Hop]] = {}
        self.paths: dict[str, list[_Hop]] = {}
        for source, target, gap, path in hops:
            hop = (source, target, None if gap is None else gap.id)
            self.into.setdefault(target, []).append(hop)
            self.out.setdefault(source, []).append(hop)
            self.paths.setdefault(path, []).append(hop)
        self.heads: dict[str, str | None] = {b.id: b.after for b in state.branches}
        self.tails: dict[str, str | None] = {b.id: b.into for b in state.branches}

    def between(self, first: str, last: str) -> set[str]:
        """The steps on the way from step ``first`` to step ``last`` (both included)."""
        place, top = self.place, self.place[last]
        # Flow order bounds the search: no step after ``last`` leads back to it.
        ahead = _reach(first, self.out, 1, lambda step: place[step] <= top)
        return _reach(last, self.into, 0, ahead.__contains__) if last in ahead else set()


def _reach(start: str, hops: dict[str | None, list[_Hop]], end: int, keep: Callable[[str], bool]) -> set[str]:
    """The steps reached from ``start`` along ``hops`` (to their ``end`` side), those ``keep`` lets by."""
    found = {start}
    todo = [start]
    while todo:
        for hop in hops.get(todo.pop(), ()):
            step = hop[end]
            if step is not None and step not in found and keep(step):
                found.add(step)
                todo.append(step)
    return found


class _Flow:
    """The longest way to and from every step of a :class:`_Graph`, by given times.

    ``best_to[s]`` is the longest time (waits and step times, from ``time`` by id) from
    any start to the end of step ``s``; ``best_from[s]`` from the start of ``s`` to the
    end. The longest path through the whole of one path (the main line, or a branch) is
    the longest way to where that path starts, the path itself, and the longest way on
    from where it ends. Every path from a start to the end runs through the whole of at
    least one path (the last branch it enters, or the main line), so the longest of
    these is the critical path.
    """

    def __init__(self, graph: _Graph, time: dict[str | None, float]) -> None:
        self.graph, self.time = graph, time
        best_to: dict[str | None, float] = {None: 0.0}
        self.back: dict[str, _Hop] = {}
        for step in graph.order:
            hops = graph.into[step]
            hop = hops[0] if len(hops) == 1 else max(hops, key=lambda h: best_to[h[0]] + time[h[2]])
            best_to[step] = best_to[hop[0]] + time[hop[2]] + time[step]
            self.back[step] = hop
        best_from: dict[str | None, float] = {None: 0.0}
        self.on: dict[str, _Hop] = {}
        for step in reversed(graph.order):
            hops = graph.out[step]
            hop = hops[0] if len(hops) == 1 else max(hops, key=lambda h: time[h[2]] + best_from[h[1]])
            best_from[step] = time[step] + time[hop[2]] + best_from[hop[1]]
            self.on[step] = hop
        self.best_to, self.best_from = best_to, best_from

    def totals(self) -> dict[str, float]:
        """The longest lead time through the whole of each path, by path id."""
        time, graph = self.time, self.graph
        found = {}
        for path, hops in graph.paths.items():
            # A path's own items: the gap on each hop, and each hop's step but the last
            # (the step the path feeds, counted in the way on from it).
            own = sum(time[hop[2]] + time[hop[1]] for hop in hops[:-1]) + time[hops[-1][2]]
            found[path] = self.best_to[graph.heads.get(path)] + own + self.best_from[graph.tails.get(path)]
        return found

    def critical(self) -> tuple[str, Route]:
        """The critical path's id (the first of equals: the main line first) and its route."""
        totals = self.totals()
        best = max(totals, key=totals.__getitem__)
        return best, self.route(best)

    def route(self, path: str) -> Route:
        """The longest route through the whole of ``path``: the ids of its steps and gaps."""
        graph = self.graph
        before = _walk(graph.heads.get(path), self.back, upstream=True)
        before.reverse()
        hops = graph.paths[path]
        own: Route = []
        for index, (_, target, gap) in enumerate(hops):
            if gap is not None:
                own.append(gap)
            if index < len(hops) - 1:
                own.append(target)  # type: ignore[arg-type]
        after = _walk(graph.tails.get(path), self.on, upstream=False)
        return before + own + after


def _times(steps: Iterable[StepMetrics], gaps: Iterable[GapMetrics]) -> dict[str | None, float]:
    """Every step's and gap's time on the ladder (s; unknown counts as zero), by id;
    None (no gap, no step) takes no time.
    """
    time: dict[str | None, float] = {step.id: step.lead_time or 0.0 for step in steps}
    time.update({gap.id: gap.wait_time or 0.0 for gap in gaps})
    time[None] = 0.0
    return time


def _walk(step: str | None, links: dict[str, _Hop], *, upstream: bool) -> Route:
    """The steps and gaps from ``step`` to a start (``upstream``) or to the end, along
    the hop chosen at each step (its longest way back, or on).
    """
    found: Route = []
    while step is not None:
        found.append(step)
        source, target, gap = links[step]
        if gap is not None:
            found.append(gap)
        step = source if upstream else target
    return found


# One hop of a _Flow: (from step, to step, the gap's id), None at a start, the end, no gap.
_Hop = tuple[str | None, str | None, str | None]


def _route_figures(
    route: Route, steps: dict[str, StepMetrics], gaps: dict[str, GapMetrics]
) -> tuple[float, float, float, float | None]:
    """Wait, lead time and process time (s), and inventory days, along a route.

    Summed as a straight map's are (the waits, then the step times), so a straight
    map's figures are exactly its whole stream's.
    """
    waits = [gaps[i].wait_time for i in route if i in gaps]
    days = [gaps[i].inventory_days for i in route if i in gaps]
    own = [steps[i].lead_time for i in route if i in steps]
    touches = [steps[i].touch_time for i in route if i in steps]
    wait = _sum(w for w in waits if w is not None)
    counted = [d for d in days if d is not None]
    lead = wait + _sum(t for t in own if t is not None)
    return wait, lead, _sum(t for t in touches if t is not None), math.fsum(counted) if counted else None


def _with_rework(state: MapState, graph: _Graph | None, estimated: dict[str, float], *figures: Any) -> float:
    """The expected lead time with rework, along the route longest with it (s)."""
    _, _, step_figures, gap_figures = figures
    factors = dict(estimated)
    if state.reworks:
        graph = graph or _Graph(state)
        segments = [(loop, graph.between(loop.target, loop.source)) for loop in state.reworks]
        # A step a loop covers is reworked by the loop, not estimated from its %C&A too.
        for _, segment in segments:
            for step in segment:
                factors.pop(step, None)
        for loop, segment in segments:
            # The segment: the steps on the way from the loop's target to its source, and
            # the gaps between two of them.
            passes = expected_passes(loop.share)
            for step in segment:
                factors[step] = factors.get(step, 1.0) * passes
                for _, target, gap in graph.out[step]:
                    if gap is not None and target in segment:
                        factors[gap] = factors.get(gap, 1.0) * passes
    time = _times(step_figures, gap_figures)
    for item, factor in factors.items():
        time[item] *= factor
    _, route = _Flow(graph or _Graph(state), time).critical()
    return _sum(time[item] for item in route)


def figures(state: MapState, metrics: Any) -> dict[str, Any]:
    """What compute() derives from the paths, the first edition's way, from ``metrics``'
    per-element figures: the critical path and its route's figures, and the expected lead
    time with rework where it comes from a walk over the paths.
    """
    steps, gaps = list(metrics.steps), list(metrics.gaps)
    graph = _Graph(state)
    critical, route = _Flow(graph, _times(steps, gaps)).critical()
    by_id = {f.id: f for f in steps}
    wait, lead, process, days = _route_figures(route, by_id, {g.id: g for g in gaps})
    sources = {loop.source for loop in state.reworks}
    estimated: dict[str, float] = {}
    redo: list[float] = []
    for step, f in zip(state.all_steps, steps, strict=True):
        share = step.complete_accurate
        if share is not None and share < 1 and step.id not in sources:
            estimated[step.id] = 2 - share
            if f.lead_time is not None:
                redo.append((1 - share) * f.lead_time)
    return {
        "critical_path": critical,
        "critical_steps": tuple(item for item in route if item in by_id),
        "wait_time": wait,
        "lead_time": lead,
        "process_time": process,
        "inventory_days": days,
        "path_count": len(graph.paths),
    } | (
        # Without loops, and on a straight map without branches, the expected lead time
        # with rework is no walk over the paths (see compute), so it is left out here.
        {"lead_time_with_rework": _with_rework(state, graph, estimated, lead, redo, steps, gaps)}
        if state.reworks or (estimated and state.branches)
        else {}
    )


def rows(state: MapState, metrics: Any) -> list[dict[str, Any]]:
    """The rows of paths(), the first edition's way."""
    graph = _Graph(state)
    flow = _Flow(graph, _times(metrics.steps, metrics.gaps))
    steps = {f.id: f for f in metrics.steps}
    gaps = {g.id: g for g in metrics.gaps}
    found = []
    for path in graph.paths:
        route = flow.route(path)
        _, lead, process, _ = _route_figures(route, steps, gaps)
        found.append(
            {
                "path": path,
                "steps": tuple(steps[i].name for i in route if i in steps),
                "lead_time": lead,
                "process_time": process,
                "efficiency": efficiency(process, lead),
                "critical": path == metrics.critical_path,
            }
        )
    return found
