"""How far a map has come: what is missing, per element, and which mapping steps are done.

A coach walks a team through the ten mapping steps of VSM-DOMAIN.md section 1. This
module judges each step from the map's data alone, with fixed criteria (listed in
:data:`MAPPING_STEPS` and in docs/templates.md), and names every missing figure with the
element it belongs to, so a team knows what to collect next.

A step is *done* when the map has no ``"missing"`` item for it; ``"advice"`` items are
suggestions that never hold a step back. Steps 2 and 3 are about people (leadership,
problems): the map can only show their traces (a first map exists, problems are written
on it as kaizen bursts), and the criteria say so.

This module is pure Python (pandas only for the frames).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import units
from .fields import MAIN
from .metrics import compute
from .model import Gap, Map, MapState, Process

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["MappingStep", "MAPPING_STEPS", "ReadinessItem", "StepStatus", "Readiness", "readiness"]

#: The title a new map gets; a map still carrying it has not picked its product family.
_DEFAULT_TITLE = "Value stream"


@dataclass(frozen=True, slots=True)
class MappingStep:
    """One of the ten steps of a mapping effort, with the data criterion used to judge it."""

    number: int
    title: str
    criterion: str


#: The ten mapping steps (VSM-DOMAIN.md section 1) and how each is judged from the map.
MAPPING_STEPS: tuple[MappingStep, ...] = (
    MappingStep(1, "Pick the product family", "the map has its own title (not the default) and a scope text"),
    MappingStep(2, "Get leadership on board", "a first map exists to show: at least one step"),
    MappingStep(3, "Name the problems", "problems are written on the map: at least one kaizen burst"),
    MappingStep(4, "Set the scope", "first and last step are on the map: at least two steps"),
    MappingStep(
        5,
        "Collect process data",
        "there are steps; customer demand and available time are given (so takt is known); every step has a "
        "cycle, process or lead time; every gap has a quantity or a wait time; where any step has %C&A, "
        "every step has it",
    ),
    MappingStep(6, "Judge each step", "there are steps, and every step has a value class"),
    MappingStep(
        7,
        "Map work and information flow",
        "there are steps; a gap (inventory, queue or wait) stands between every two steps; every FIFO lane "
        "has its maximum; at least one information flow",
    ),
    MappingStep(
        8,
        "Build the timeline",
        "the lead time is complete: every step and gap has a time, inventories can become days, "
        "and where any step has its own lead time, every step has one",
    ),
    MappingStep(
        9, "Find waste and the bottleneck", "the bottleneck is known and at least one waste tag is set"
    ),
    MappingStep(10, "Draw the future state", "the map is a future state, or a future state is given"),
)
_TITLES = {step.number: step.title for step in MAPPING_STEPS}


@dataclass(frozen=True, slots=True)
class ReadinessItem:
    """One missing figure or one suggestion.

    ``step`` is the mapping step (1-10) it holds back; ``target`` the element id
    (``"map"`` and ``"customer"`` for map-wide figures); ``name`` what a person calls that
    element; ``field`` the field to fill; ``severity`` is ``"missing"`` or ``"advice"``.
    """

    step: int
    target: str
    name: str
    field: str
    message: str
    severity: str = "missing"


@dataclass(frozen=True, slots=True)
class StepStatus:
    """Whether one mapping step is done, and how many items still hold it back."""

    number: int
    title: str
    criterion: str
    done: bool
    missing: int


@dataclass(frozen=True)
class Readiness:
    """The readiness of one map: every item, and the status of the ten mapping steps.

    Show it in a notebook (HTML), print it (plain text), or take :meth:`to_frame` and
    :meth:`steps_frame` for pandas.
    """

    title: str
    items: tuple[ReadinessItem, ...]
    steps: tuple[StepStatus, ...]

    @property
    def done(self) -> tuple[int, ...]:
        """Numbers of the mapping steps that are done."""
        return tuple(s.number for s in self.steps if s.done)

    @property
    def ready(self) -> bool:
        """True when all ten mapping steps are done."""
        return all(s.done for s in self.steps)

    @property
    def missing(self) -> tuple[ReadinessItem, ...]:
        """The items that hold a step back (advice left out)."""
        return tuple(i for i in self.items if i.severity == "missing")

    def step(self, number: int) -> StepStatus:
        """The status of mapping step ``number`` (1-10)."""
        for status in self.steps:
            if status.number == number:
                return status
        raise KeyError(f"there is no mapping step {units._show(number)}; steps are numbered 1 to 10")

    def for_target(self, target: str) -> tuple[ReadinessItem, ...]:
        """The items about one element (an id, ``"map"`` or ``"customer"``)."""
        return tuple(i for i in self.items if i.target == target)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: step, step_title, target, name, field, severity, message."""
        import pandas as pd

        columns = ["step", "step_title", "target", "name", "field", "severity", "message"]
        rows = [
            {
                "step": i.step,
                "step_title": _TITLES[i.step],
                "target": i.target,
                "name": i.name,
                "field": i.field,
                "severity": i.severity,
                "message": i.message,
            }
            for i in self.items
        ]
        return pd.DataFrame(rows, columns=columns)

    def steps_frame(self) -> pd.DataFrame:
        """One row per mapping step: number, title, done, missing, criterion."""
        import pandas as pd

        rows = [
            {
                "number": s.number,
                "title": s.title,
                "done": s.done,
                "missing": s.missing,
                "criterion": s.criterion,
            }
            for s in self.steps
        ]
        return pd.DataFrame(rows, columns=["number", "title", "done", "missing", "criterion"])

    def to_text(self) -> str:
        """A plain-text checklist, the ten steps with the items under each."""
        lines = [f"Readiness of {self.title!r}: {len(self.done)} of 10 mapping steps done"]
        for status in self.steps:
            mark = "x" if status.done else " "
            lines.append(f"[{mark}] {status.number:>2}. {status.title}")
            for item in self.items:
                if item.step == status.number:
                    prefix = "-" if item.severity == "missing" else "~"
                    lines.append(f"       {prefix} {item.name}: {item.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """The checklist as an HTML table; every user string is escaped."""
        esc = html.escape
        parts = [
            '<div class="vsm-readiness">',
            f"<p><strong>{esc(self.title)}</strong>: {len(self.done)} of 10 mapping steps done</p>",
            '<table><thead><tr><th style="text-align:left">Step</th><th style="text-align:left">Status</th>'
            '<th style="text-align:left">What is missing</th></tr></thead><tbody>',
        ]
        for status in self.steps:
            notes = [
                f"<li>{'' if i.severity == 'missing' else '<em>advice:</em> '}"
                f"<strong>{esc(i.name)}</strong>: {esc(i.message)}</li>"
                for i in self.items
                if i.step == status.number
            ]
            listing = f'<ul style="margin:0">{"".join(notes)}</ul>' if notes else ""
            badge = "&#10003; done" if status.done else f"{status.missing} missing"
            parts.append(
                f'<tr><td style="text-align:left" title="{esc(status.criterion)}">{status.number}. '
                f'{esc(status.title)}</td><td style="text-align:left">{badge}</td>'
                f'<td style="text-align:left">{listing}</td></tr>'
            )
        parts.append("</tbody></table></div>")
        return "".join(parts)


def _step_label(step: Process) -> str:
    return step.name


def _gap_label(state: MapState, gap: Gap) -> str:
    """``"Gap before Welding"``: a person finds a gap by its neighbours on its path, not
    its id.
    """
    path, stream = next(((p, items) for p, items in state.by_path if gap in items), (MAIN, state.stream))
    index = stream.index(gap)
    after = next((i for i in stream[index + 1 :] if isinstance(i, Process)), None)
    if after is None and path != MAIN:
        # The last gap of a branch waits before the step the branch joins.
        into = next(b.into for b in state.branches if b.id == path)
        after = next((s for s in state.all_steps if s.id == into), None)
    before = next((i for i in reversed(stream[:index]) if isinstance(i, Process)), None)
    if after is not None:
        return f"Gap before {after.name}"
    if before is not None:
        return f"Gap after {before.name}"
    return f"Gap {gap.id}"


def readiness(source: Map | MapState, future: Map | MapState | None = None) -> Readiness:
    """Judge a map's readiness: every missing figure, and which mapping steps are done.

    ``future`` is the map's future-state map, if one exists (it completes step 10).
    """
    state = source.state if isinstance(source, Map) else source
    if not isinstance(state, MapState):
        raise TypeError(f"readiness() needs a ValueStreamMap or MapState, not {type(source).__name__}")
    future_state = future.state if isinstance(future, Map) else future
    metrics = compute(state)
    # Every path's steps and gaps: a branch's figures count as the main line's do.
    steps = state.all_steps
    gaps = state.all_gaps
    items: list[ReadinessItem] = []

    def add(step: int, target: str, name: str, field: str, message: str, severity: str = "missing") -> None:
        items.append(ReadinessItem(step, target, name, field, message, severity))

    # 1. product family
    if state.title.strip() == _DEFAULT_TITLE:
        add(
            1,
            "map",
            "Map",
            "title",
            "the map still has the default title; name the product or service family",
        )
    if not state.scope.strip():
        add(1, "map", "Map", "scope", "no scope: say which family, from which first to which last step")

    # 2. a first map to show
    if not steps:
        add(2, "map", "Map", "stream", "no steps yet: draw a first, rough map to show")

    # 3. problems named
    if not state.bursts:
        add(3, "map", "Map", "bursts", "no problem is named: add a kaizen burst for each complaint or goal")

    # 4. scope: first and last step
    if len(steps) < 2:
        add(
            4,
            "map",
            "Map",
            "stream",
            f"{len(steps)} step(s): put the first and the last step of the scope on the map",
        )

    # 5-7 judge the steps: with none there is nothing done yet (not "nothing missing")
    if not steps:
        add(5, "map", "Map", "stream", "no steps to collect process data for")
        add(6, "map", "Map", "stream", "no steps to judge")
        add(7, "map", "Map", "stream", "no steps between which work could flow")

    # 5. process data
    customer = state.customer
    if customer.demand is None:
        add(
            5,
            "customer",
            customer.name,
            "demand",
            "no customer demand, so no takt time and no inventory days",
        )
    elif state.daily_demand is None:
        add(
            5,
            "customer",
            customer.name,
            "working_days",
            f"demand is per {customer.period}: give the working days in it",
        )
    if state.available_time is None:
        add(
            5,
            "customer",
            customer.name,
            "available_time",
            "no available time per day (shifts x shift length), so no takt",
        )
    uses_ca = any(s.complete_accurate is not None for s in steps)
    for step in steps:
        if step.cycle_time is None and step.process_time is None and step.lead_time is None:
            add(
                5,
                step.id,
                _step_label(step),
                "cycle_time",
                "no time: give a cycle time, process time or lead time",
            )
        if uses_ca and step.complete_accurate is None:
            add(5, step.id, _step_label(step), "complete_accurate", "no %C&A, while other steps have one")
    for gap in gaps:
        if gap.quantity is None and gap.wait_time is None:
            add(
                5, gap.id, _gap_label(state, gap), "quantity", "neither an inventory quantity nor a wait time"
            )

    # 6. value classes
    for step in steps:
        if step.value_class is None:
            add(6, step.id, _step_label(step), "value_class", "not judged: value-adding, necessary or waste?")

    # 7. how work and information move
    for _, path_items in state.by_path:
        previous: Process | None = None
        for item in path_items:
            if isinstance(item, Process):
                if previous is not None:
                    add(
                        7,
                        item.id,
                        _step_label(item),
                        "stream",
                        f"nothing between {previous.name} and {item.name}: add the inventory, queue or "
                        "wait (a zero wait if work flows straight on)",
                    )
                previous = item
            else:
                previous = None
                if item.flow == "fifo" and item.fifo_max is None:
                    add(7, item.id, _gap_label(state, item), "fifo_max", "a FIFO lane without its maximum")
    if steps and not state.flows:
        add(7, "map", "Map", "flows", "no information flow: who tells the steps what to do, and how?")

    # 8. the timeline
    uses_lead = any(s.lead_time is not None for s in steps)
    for step in steps:
        if (
            uses_lead
            and step.lead_time is None
            and (step.cycle_time is not None or step.process_time is not None)
        ):
            add(8, step.id, _step_label(step), "lead_time", "no lead time, while other steps have one")
    for gap in gaps:
        if gap.wait_time is None and gap.quantity is not None and not state.daily_demand:
            add(
                8,
                gap.id,
                _gap_label(state, gap),
                "wait_time",
                "the inventory cannot become days without demand",
            )
    holes = sum(1 for s in steps if s.cycle_time is None and s.process_time is None and s.lead_time is None)
    holes += sum(1 for g in gaps if g.quantity is None and g.wait_time is None)
    if holes:
        add(
            8,
            "map",
            "Map",
            "lead_time",
            f"the lead time has {holes} hole(s): steps or gaps without a time (step 5)",
        )
    if not steps:
        add(8, "map", "Map", "lead_time", "no steps, so no timeline")

    # 9. waste and the bottleneck
    if metrics.bottleneck is None:
        add(9, "map", "Map", "bottleneck", "no step has a time, so the bottleneck is unknown")
    tagged = any(item.waste for item in state.all_items)
    if not tagged:
        add(9, "map", "Map", "waste", "no waste is tagged on any step or gap")
    for step in steps:
        if step.value_class == "waste" and not step.waste:
            add(
                9,
                step.id,
                _step_label(step),
                "waste",
                "classed as waste but no waste type is tagged",
                "advice",
            )

    # 10. the future state
    has_future = state.timeframe == "future" or (
        future_state is not None and future_state.timeframe == "future"
    )
    if not has_future:
        add(10, "map", "Map", "timeframe", "no future state yet: make one with map.future() and compare")
    for burst in state.bursts:
        if not burst.owner:
            label = burst.text if len(burst.text) <= 40 else burst.text[:39] + "…"
            add(10, burst.id, f"Kaizen burst '{label}'", "owner", "no owner for this improvement", "advice")

    statuses = []
    for mapping_step in MAPPING_STEPS:
        count = sum(1 for i in items if i.step == mapping_step.number and i.severity == "missing")
        statuses.append(
            StepStatus(mapping_step.number, mapping_step.title, mapping_step.criterion, count == 0, count)
        )
    return Readiness(state.title, tuple(items), tuple(statuses))
