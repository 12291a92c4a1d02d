"""The flow of a map as a graph of steps: the hops between them, path by path.

Pure functions of a :class:`~vsm_widget.core.fields.MapState`, shared by the model (which
refuses shapes that would make a circle) and the metrics (which walk the paths).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .fields import MAIN, Gap, MapState

__all__ = ["Hop", "downstream", "flow_edges", "step_order", "successors"]


#: One hop of the flow from a step to the next: ``(from, to, gap, path)``, where ``from``
#: is None at a start, ``to`` is None at the end of the main line, ``gap`` is the gap
#: between them (or None) and ``path`` the path the hop is on.
Hop = tuple[str | None, str | None, Gap | None, str]


def flow_edges(state: MapState) -> list[Hop]:
    """Every hop of the flow between steps, path by path (see :data:`Hop`).

    The main line runs from its start to the end; a feeder branch from a start of its
    own into its step; a parallel branch from the step it splits off after into its
    step. A path's gaps lie on the hops between its steps.
    """
    hops: list[Hop] = []
    for path, items in state.by_path:
        if path == MAIN:
            previous, last = None, None
        else:
            branch = next(b for b in state.branches if b.id == path)
            previous, last = branch.after, branch.into
        pending: Gap | None = None
        for item in items:
            if isinstance(item, Gap):
                pending = item
                continue
            hops.append((previous, item.id, pending, path))
            previous, pending = item.id, None
        hops.append((previous, last, pending, path))
    return hops


def successors(hops: Iterable[Hop]) -> dict[str, list[str]]:
    """Each step's next steps (the end and the starts left out)."""
    following: dict[str, list[str]] = {}
    for source, target, _, _ in hops:
        if source is not None and target is not None:
            following.setdefault(source, []).append(target)
    return following


def downstream(following: Mapping[str, list[str]], start: str) -> set[str]:
    """The steps reachable from ``start`` (itself included)."""
    found = {start}
    todo = [start]
    while todo:
        for nxt in following.get(todo.pop(), ()):
            if nxt not in found:
                found.add(nxt)
                todo.append(nxt)
    return found


def step_order(hops: Iterable[Hop]) -> tuple[list[str], set[str]]:
    """The steps in flow order (each after every step that feeds it), and the steps that
    lie on a circle (none on a map the model accepts).
    """
    following: dict[str, list[str]] = {}
    feeding: dict[str, int] = {}
    for source, target, _, _ in hops:
        if target is not None:
            feeding[target] = feeding.get(target, 0) + (source is not None)
        if source is not None:
            feeding.setdefault(source, 0)
            if target is not None:
                following.setdefault(source, []).append(target)
    ready = [step for step, count in feeding.items() if count == 0]
    order: list[str] = []
    while ready:
        step = ready.pop()
        order.append(step)
        for nxt in following.get(step, ()):
            feeding[nxt] -= 1
            if feeding[nxt] == 0:
                ready.append(nxt)
    left = {step for step, count in feeding.items() if count > 0}
    # What is left lies on a circle or after one: trim the steps that lead nowhere in it.
    trimmed = True
    while trimmed:
        trimmed = False
        for step in list(left):
            if not any(nxt in left for nxt in following.get(step, ())):
                left.discard(step)
                trimmed = True
    return order, left
