"""Current state against future state: what changes, by how much, and the action plan.

Pure domain code (no widgets): :func:`compare` takes two maps (or their states or
metrics) and returns each headline metric before and after, with the absolute and the
percentage change; :func:`action_plan` lists a map's kaizen bursts as a table.

>>> from vsm_widget import ValueStreamMap
>>> now = ValueStreamMap("Brackets", demand=920, available_time="2 x 27600 s")
>>> _ = now.add_process("Weld", cycle_time="39 s")
>>> later = now.future()
>>> _ = later.update("Weld", cycle_time="30 s")
>>> compare(now, later)["process_time"].change
-9.0
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import units
from .display import Display, auto_unit
from .metrics import Metrics, compute
from .model import Gap, Map, MapState, Process

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["duration_unit", "COMPARED", "Comparison", "MetricChange", "action_plan", "compare"]

#: Something that has metrics: a map, one of its states, or metrics already computed.
Source = Map | MapState | Metrics


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    label: str
    kind: str  # duration | ratio | units | days | count | step
    better: str  # lower | higher | none


#: The metrics compared, in display order: (name, label, kind, which direction is better).
COMPARED: tuple[_Spec, ...] = (
    _Spec("lead_time", "Lead time", "duration", "lower"),
    _Spec("process_time", "Process time", "duration", "lower"),
    _Spec("efficiency", "Process cycle efficiency", "ratio", "higher"),
    _Spec("rolled_complete_accurate", "Rolled %C&A", "ratio", "higher"),
    _Spec("total_inventory", "Total inventory (WIP)", "units", "lower"),
    _Spec("inventory_days", "Inventory", "days", "lower"),
    _Spec("takt_time", "Takt time", "duration", "none"),
    _Spec("steps_over_takt", "Steps over takt", "count", "lower"),
    _Spec("step_count", "Steps", "count", "none"),
    _Spec("bottleneck", "Bottleneck", "step", "none"),
)


@dataclass(frozen=True, slots=True)
class MetricChange:
    """One metric before and after.

    ``before`` and ``after`` are in the metric's base unit (``kind``: seconds for
    durations, a share 0..1 for ratios, units, days of demand, a count) or the step's
    name for the bottleneck. ``change`` is ``after - before`` (for ratios that is in
    shares, so 0.01 is one percentage point); ``change_percent`` is ``change / before``
    in percent. Both are ``None`` where either side is unknown, or (percent) where
    ``before`` is zero or infinite; two equal figures (infinities too) change by 0.
    ``improved`` says whether the change is for the better (``None``: no direction is
    better, or nothing changed).
    """

    name: str
    label: str
    kind: str
    before: float | str | None
    after: float | str | None
    change: float | None
    change_percent: float | None
    improved: bool | None

    def text(self, value: float | str | None, display: Display | None = None) -> str:
        """A before or after value as text, by ``display`` (the current map's rule)."""
        display = display or Display(units.SECONDS_PER_CALENDAR_DAY, "calendar")
        if value is None:
            return "–"
        if isinstance(value, str):
            return value
        if self.kind == "duration":
            return display.duration(value)
        if self.kind == "ratio":
            return display.share(value)
        if self.kind == "days":
            return display.days_of_demand(value)
        return display.number(value)

    def texts(self, current: Metrics, future: Metrics) -> tuple[str, str, str]:
        """Before, after and the change as text, by the current map's display rule.

        Lead and process time read in the current map's ladder units (as on its canvas),
        so both maps read alike; other durations in one unit, the larger value's.
        """
        display = current.display
        unit = ""
        if self.kind == "duration":
            largest = max((v for v in (self.before, self.after) if isinstance(v, float)), default=None)
            unit = duration_unit(self.name, largest, current)
            before = display.duration_long(self.before if isinstance(self.before, float) else None, unit)
            after = display.duration_long(self.after if isinstance(self.after, float) else None, unit)
        else:
            before, after = self.text(self.before, display), self.text(self.after, display)
        if self.kind == "step":
            return before, after, "same step" if self.before == self.after else "moved"
        if self.change is None:
            return before, after, "–"
        if self.change == 0:
            return before, after, "no change"
        if self.kind == "duration":
            # The change in the unit that suits its own size: 23.6 days that lose 7 s
            # changed by "7 s", not by "0.000243 working days".
            amount = display.duration_long(abs(self.change))
        elif self.kind == "ratio":
            amount = f"{display.number(abs(self.change) * 100)} pp"
        else:
            amount = display.number(abs(self.change))
        sign = "+" if self.change > 0 else "−"
        percent = (
            "" if self.change_percent is None else f" ({sign}{display.number(abs(self.change_percent))}%)"
        )
        arrow = "▲" if self.change > 0 else "▼"
        return before, after, f"{arrow} {sign}{amount}{percent}"


def duration_unit(name: str, seconds: float | None, metrics: Metrics) -> str:
    """The unit a duration figure of a map reads in: the ladder's for lead and process time
    (as the canvas's totals), else the one that suits the value.
    """
    display = metrics.display
    if name == "lead_time":
        return display.lead_unit
    if name == "process_time":
        return display.process_unit
    if seconds is None or not math.isfinite(seconds):
        return "s"
    return auto_unit(seconds, metrics.day_length)


@dataclass(frozen=True)
class Comparison:
    """The result of :func:`compare`: every compared metric as a :class:`MetricChange`.

    Index it by metric name (``result["lead_time"]``), iterate over it, or turn it into
    a DataFrame with :meth:`to_frame`.
    """

    current: Metrics
    future: Metrics
    rows: tuple[MetricChange, ...]

    def __getitem__(self, name: str) -> MetricChange:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(
            f"{units._show(name)} is not compared; compared: {', '.join(r.name for r in self.rows)}"
        )

    def __iter__(self) -> Iterator[MetricChange]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        """A short table: each metric, current, future and the change, in the current map's units."""
        table = [("", "current", "future", "change")]
        table += [(row.label, *row.texts(self.current, self.future)) for row in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(4)]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table
        )

    def _repr_html_(self) -> str:
        """A table a coach reads: each metric before, after, and the change, which says
        whether it is better or worse in words as well as in colour (the theme's own).
        """
        rows = []
        for row in self.rows:
            before, after, change = (html.escape(t) for t in row.texts(self.current, self.future))
            verdict = _VERDICTS.get(row.improved)  # type: ignore[arg-type]
            if verdict is not None:
                word, colour = verdict
                change = f"{change} <span style='color:{colour}'>({word})</span>"
            rows.append(
                f"<tr><th style='text-align:left'>{html.escape(row.label)}</th><td>{before}</td>"
                f"<td>{after}</td><td>{change}</td></tr>"
            )
        head = "<tr><th></th><th>current</th><th>future</th><th>change</th></tr>"
        return f"<table class='vsm-comparison'>{head}{''.join(rows)}</table>"

    def to_frame(self) -> pd.DataFrame:
        """One row per metric, indexed by name: label, kind, before, after, change,
        change_percent, improved (durations in seconds, ratios as shares).
        """
        import pandas as pd

        columns = ["name", "label", "kind", "before", "after", "change", "change_percent", "improved"]
        frame = pd.DataFrame(
            [[getattr(row, c) for c in columns] for row in self.rows], columns=columns, dtype=object
        ).set_index("name")
        for column in ("change", "change_percent"):
            frame[column] = pd.to_numeric(frame[column]).astype(float)
        return frame


#: How the rich display says a change is better or worse: a word, in the theme's colour.
_VERDICTS: dict[bool, tuple[str, str]] = {
    True: ("better", "var(--jp-success-color1, #1a7f37)"),
    False: ("worse", "var(--jp-error-color1, #b42318)"),
}


def _metrics(source: Source, role: str) -> Metrics:
    if isinstance(source, Metrics):
        return source
    if isinstance(source, Map):
        return source.metrics()
    if isinstance(source, MapState):
        return compute(source)
    raise TypeError(
        f"compare(): {role} must be a ValueStreamMap, a MapState or Metrics, not {type(source).__name__}"
    )


def _value(metrics: Metrics, spec: _Spec) -> float | str | None:
    if spec.name == "bottleneck":
        return metrics.bottleneck_name
    if spec.name == "steps_over_takt":
        return float(len(metrics.steps_over_takt)) if metrics.takt_time is not None else None
    value = getattr(metrics, spec.name)
    return None if value is None else float(value)


def _row(spec: _Spec, before: float | str | None, after: float | str | None) -> MetricChange:
    change: float | None = None
    percent: float | None = None
    improved: bool | None = None
    if isinstance(before, float) and isinstance(after, float):
        # Equal infinities (a step that never produces, on both maps) did not change: inf - inf is NaN.
        change = 0.0 if after == before else after - before
        percent = change / abs(before) * 100 if before != 0 and math.isfinite(before) else None
        if change != 0 and spec.better != "none":
            improved = (change < 0) == (spec.better == "lower")
    return MetricChange(spec.name, spec.label, spec.kind, before, after, change, percent, improved)


def compare(current: Source, future: Source) -> Comparison:
    """Compare two maps (typically ``m`` and ``m.future()``) metric by metric.

    Lead time, process time, process cycle efficiency, rolled %C&A, total inventory
    (WIP, units), inventory days, takt time, steps over takt, number of steps and the
    bottleneck (by name), each before and after with the change.
    """
    before, after = _metrics(current, "current"), _metrics(future, "future")
    rows = tuple(_row(spec, _value(before, spec), _value(after, spec)) for spec in COMPARED)
    return Comparison(before, after, rows)


def action_plan(future: Map | MapState) -> pd.DataFrame:
    """The kaizen bursts of a (future-state) map as an action plan.

    Columns: id, text, target (element id, empty for the whole map), step (the target
    step's name; for a gap, the step it feeds), owner, due, status.
    """
    import pandas as pd

    if isinstance(future, Map):
        state = future.state
    elif isinstance(future, MapState):
        state = future
    else:
        raise TypeError(f"action_plan() takes a ValueStreamMap or a MapState, not {type(future).__name__}")
    names: dict[str, str] = {}
    stream = state.stream
    for index, item in enumerate(stream):
        if isinstance(item, Process):
            names[item.id] = item.name
        elif isinstance(item, Gap):
            following = next((s for s in stream[index + 1 :] if isinstance(s, Process)), None)
            names[item.id] = f"before {following.name}" if following is not None else item.id
    rows: list[dict[str, Any]] = [
        {
            "id": burst.id,
            "text": burst.text,
            "target": burst.target or "",
            "step": "whole map" if burst.target is None else names.get(burst.target, burst.target),
            "owner": burst.owner,
            "due": burst.due,
            "status": burst.status,
        }
        for burst in state.bursts
    ]
    columns = ["id", "text", "target", "step", "owner", "due", "status"]
    return pd.DataFrame(rows, columns=columns)
