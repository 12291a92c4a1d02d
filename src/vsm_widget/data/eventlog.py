"""Event logs to value streams and flow metrics.

An event log has one row per event: which item (the *case*: a ticket, an order), which
*activity* (the stage), and when it happened. With ``start`` and ``end`` columns each event
is a piece of work from start to end; with one timestamp column (``end=`` alone, or
``timestamp=``) each event marks the moment its activity ended.

Example (``df`` has one row per event)::

    log = EventLog(df, case="ticket", activity="stage", start="started", end="finished")
    log.stage_stats()      # per stage: items, hands-on time, wait before it, rework
    log.flow_metrics()     # flow time (median, p85), flow efficiency, throughput
    m = log.to_map("Support tickets")

Definitions (all durations in seconds):

- hands-on time of an event = end - start;
- wait before an event = its start - the latest end of the case's earlier events
  (zero where it starts while earlier work of the same case is still running);
- lead time of an event = wait before it + its hands-on time; with one timestamp column,
  its end - the end of the case's previous event (the only time that can be measured);
- flow time of an item = its last end - its first start (first end with one timestamp);
- active time of an item = the length of the union of its events' intervals;
- flow efficiency = total active time / total flow time over all items.

Statistics are the median, the mean, the 15th and the 85th percentile (linear
interpolation, as ``numpy.percentile`` and DuckDB's ``quantile_cont``) over every visit of
a stage, rework visits included. The work is vectorised: case ids are factorised, events
sorted once by case and time, and differences taken within cases; no Python loop runs
over events.

Real logs come in other shapes too: lifecycle rows (``lifecycle=``), status histories
(``timestamp_marks="start"``, ``waiting=``), working calendars (``calendar=``), text dates
(``dayfirst=``, ``format=``) and resources (``resource=``); see :class:`EventLog`.

Pandas frames are read directly; Dask frames compute their needed columns; polars,
pyarrow, PySpark and other frames go through narwhals (``pip install
vsm_widget[eventlog]``); a DuckDB relation is reduced inside DuckDB, so a log larger than
memory only ever comes back as one row per stage and one per case.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.model import Gap, Map, Spread, ValidationError, map_from_state, new_map
from . import logshapes
from .progress import Progress
from .workcalendar import WorkCalendar

__all__ = ["STATISTICS", "EventLog", "WorkCalendar", "from_event_log"]

#: Which statistic of a stage can be put on the map.
STATISTICS = ("median", "mean", "p85")
#: What to do with events that repeat another event exactly (same case, activity, times).
DUPLICATE_POLICIES = ("drop", "raise")
#: What a single timestamp marks: the end of its activity, or the start (a status change).
TIMESTAMP_MARKS = ("end", "start")
#: What events without a resource are counted under.
NO_RESOURCE = "(no resource)"

_NS = 1_000_000_000
# An offset (or Z) after a time of day: "10:00Z", "10:00:00.5+02:00", "10:00 -0500".
_AWARE_PATTERN = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)\s*$"
_EXAMPLES = 3
_STAT_COLUMNS = ("hands_on", "wait", "lead")
# Every figure of a stage's durations in stage_stats: STATISTICS, the 15th percentile
# (the low end of the spread shown beside a median) and the number of values behind them.
_FRAME_STATS = (*STATISTICS, "p15", "n")
# The quantiles computed per stage, and the column each goes to.
_QUANTILES = ((0.15, "p15"), (0.5, "median"), (0.85, "p85"))
# Up to this many events a radix pass before the sort pays off; beyond it (arrays larger
# than a typical last-level cache) a plain sort is faster (measured: 1.2 M and 10 M events).
_RADIX_EVENTS = 4_000_000


# --------------------------------------------------------------------------- results


@dataclass
class _Reduced:
    """What every backend reduces a log to: one row per stage and one per case."""

    start_end: bool
    aware: bool
    stages: pd.DataFrame
    case_ids: Callable[[], np.ndarray]
    case_first: np.ndarray  # int64 ns: first start (first end with one timestamp)
    case_last: np.ndarray  # int64 ns: last end
    case_events: np.ndarray
    case_stages: np.ndarray
    case_active: np.ndarray  # float seconds, NaN with one timestamp
    case_type: np.ndarray | None
    issues: list[dict[str, Any]] = field(default_factory=list)
    # Flow time per case in seconds when it is not last - first (working time).
    case_flow: np.ndarray | None = None
    # Working nanoseconds at each instant (a WorkCalendar's clock), or None for calendar time.
    clock: Callable[[np.ndarray], np.ndarray] | None = None
    time_basis: str = "calendar time"
    # Per-resource workload and hand-offs, when the log names resources.
    resources: tuple[pd.DataFrame, pd.DataFrame] | None = None
    # Whether each item's arrival is known beyond its events (a status history).
    arrival_known: bool = False


def _issue(issue: str, count: int, action: str, examples: Sequence[Any] = ()) -> dict[str, Any]:
    return {"issue": issue, "count": int(count), "action": action, "examples": list(examples)[:_EXAMPLES]}


@dataclass
class _Shape:
    """How to read a log beyond its columns: status history, calendar, date format."""

    status: bool = False
    waiting: list[Any] = field(default_factory=list)
    calendar: WorkCalendar | None = None
    dayfirst: bool | None = None
    format: str | None = None

    def plain(self) -> bool:
        """Whether the log needs nothing but its start and end columns."""
        return not self.status and self.calendar is None and self.dayfirst is None and self.format is None


# --------------------------------------------------------------------------- the public API


class EventLog:
    """An event log, checked and reduced to per-stage statistics and per-item flow.

    ``frame`` is a pandas DataFrame, a polars or pyarrow table (through narwhals), or a
    DuckDB relation (reduced inside DuckDB). ``case``, ``activity``, ``start``, ``end``
    and ``item_type`` name its columns; give ``end`` alone (or ``timestamp``) when each
    event carries one time, the moment its activity ended. ``order`` lists the stages in
    stream order; without it the order is the most common path through the stages (see
    :attr:`order`). ``duplicates="drop"`` removes events that repeat another exactly
    (and says so in :meth:`report`); ``"raise"`` refuses them.

    Real logs come in other shapes too:

    - ``lifecycle=`` names a column of transitions (``start``, ``complete``,
      ``schedule``...; XES's ``lifecycle:transition``): starts and completes of a case
      and activity are paired first in, first out into visits, a complete with no open
      start is an instant visit; the rest is reported (:mod:`vsm_widget.data.logshapes`).
    - ``timestamp_marks="start"`` reads a status history: each row's time is when the
      item entered its status, which lasts until the next change; the item's last status
      ends it. ``waiting=[...]`` names the queue statuses, whose time is the wait before
      the next working status.
    - ``calendar=`` (a :class:`WorkCalendar` or a dict of its fields) counts every
      duration in working time; see :attr:`time_basis`.
    - ``dayfirst=`` and ``format=`` read text dates; dates such as ``02.03.2024`` that
      read both ways are refused without them.
    - ``resource=`` names who did each event: :meth:`resources` and :meth:`handoffs`.

    A log that takes longer than a second to read shows its progress in a notebook;
    ``progress=False`` turns that off, and a callable ``progress(phase, seconds)`` gets
    every phase instead (:mod:`vsm_widget.data.progress`).

    Bad data raises :class:`~vsm_widget.core.model.ValidationError` naming the option and the
    reason: a missing column, missing or unparseable timestamps, naive and time-zone-aware
    times mixed, an end before its start, an empty log. Aware times are converted to UTC.
    """

    def __init__(
        self,
        frame: Any,
        *,
        case: Any,
        activity: Any,
        start: Any = None,
        end: Any = None,
        timestamp: Any = None,
        item_type: Any = None,
        order: Sequence[Any] | None = None,
        duplicates: str = "drop",
        lifecycle: Any = None,
        timestamp_marks: str = "end",
        waiting: Sequence[Any] | None = None,
        calendar: Any = None,
        dayfirst: bool | None = None,
        format: str | None = None,
        resource: Any = None,
        progress: Callable[[str, float], Any] | bool | None = None,
    ) -> None:
        if timestamp is not None:
            if end is not None or start is not None:
                raise ValidationError(
                    "timestamp", timestamp, "give either timestamp= (one time per event) or start= and end="
                )
            end = timestamp
        if end is None:
            raise ValidationError(
                "end",
                None,
                "name the column with each event's end time (or timestamp= for one time per event)",
            )
        if duplicates not in DUPLICATE_POLICIES:
            raise ValidationError("duplicates", duplicates, f"use one of {', '.join(DUPLICATE_POLICIES)}")
        if order is not None and (isinstance(order, (str, bytes)) or len(order) == 0):
            raise ValidationError("order", order, "give a non-empty list of stage names in stream order")
        if order is not None and len(set(order)) != len(order):
            raise ValidationError("order", order, "a stage is named twice")
        if timestamp_marks not in TIMESTAMP_MARKS:
            raise ValidationError(
                "timestamp_marks", timestamp_marks, f"use one of {', '.join(TIMESTAMP_MARKS)}"
            )
        one_time = start is None
        if (lifecycle is not None or timestamp_marks == "start") and not one_time:
            option = "lifecycle" if lifecycle is not None else "timestamp_marks"
            raise ValidationError(
                option,
                lifecycle or timestamp_marks,
                "it reads one timestamp per row: give timestamp=, not start= and end=",
            )
        if lifecycle is not None and timestamp_marks == "start":
            raise ValidationError(
                "timestamp_marks", timestamp_marks, "lifecycle rows say themselves what each time marks"
            )
        if waiting is not None:
            if timestamp_marks != "start":
                raise ValidationError(
                    "waiting", waiting, "waiting statuses need a status history: timestamp_marks='start'"
                )
            if isinstance(waiting, (str, bytes)):
                raise ValidationError("waiting", waiting, "give a list of status names, such as ['Blocked']")
        if dayfirst is not None and not isinstance(dayfirst, bool):
            raise ValidationError("dayfirst", dayfirst, "give True (02.03.2024 is 2 March) or False")
        if format is not None and not isinstance(format, str):
            raise ValidationError("format", format, "give a strftime format such as '%d.%m.%Y %H:%M'")
        self.case = case
        self.activity = activity
        self.start = start
        self.end = end
        self.item_type = item_type
        self.calendar = WorkCalendar.coerce(calendar)
        columns = {
            "case": case,
            "activity": activity,
            "start": start,
            "end": end,
            "item_type": item_type,
            "lifecycle": lifecycle,
            "resource": resource,
        }
        self._columns = {k: v for k, v in columns.items() if v is not None}
        shape = _Shape(
            status=timestamp_marks == "start",
            waiting=list(waiting or []),
            calendar=self.calendar,
            dayfirst=dayfirst,
            format=format,
        )
        steps = Progress("Reading the event log", progress)
        if _is_duckdb(frame) and shape.plain() and lifecycle is None and resource is None:
            self._reduced = _reduce_duckdb(frame, self._columns, order, duplicates, steps)
        else:
            steps.step("reading the columns")
            if _is_duckdb(frame):
                # Lifecycle pairing, status histories and calendars run on pandas.
                _check_columns(list(frame.columns), self._columns)
                frame = frame.select(*[_quote(c) for c in dict.fromkeys(self._columns.values())]).df()
            pdf = _to_pandas(frame, self._columns)
            self._reduced = _reduce_pandas(pdf, self._columns, order, duplicates, shape, steps)
        steps.done()

    # ----------------------------------------------------------------- reading

    @property
    def order(self) -> list[Any]:
        """The stages in stream order: as given, or the most common path.

        The most common path is the sequence of first visits that most items follow;
        stages off that path are placed by their mean position in the items' paths.
        """
        return list(self._reduced.stages.index)

    @property
    def time_basis(self) -> str:
        """What every duration counts: ``"calendar time"`` or the working calendar's hours."""
        return self._reduced.time_basis

    @property
    def has_start(self) -> bool:
        """Whether events carry a start and an end (else one time, the end)."""
        return self._reduced.start_end

    def __repr__(self) -> str:
        r = self._reduced
        events = int(r.case_events.sum())
        return f"<EventLog: {len(r.case_first):,} items, {len(r.stages)} stages, {events:,} events>"

    def stage_stats(self) -> pd.DataFrame:
        """One row per stage in stream order.

        Columns: ``position`` (1 = first), ``items`` (items that visited it), ``visits``
        (events), ``rework`` (visits beyond an item's first), ``rework_items`` (items
        that came back to it), ``skipped`` (items that reached a later stage without
        visiting this one), ``sent_back`` (visits followed by a move to an earlier
        stage), ``complete_accurate`` (1 - sent_back / visits), and for hands-on time,
        the wait before the stage and the lead time (wait + hands-on) their
        ``_median``, ``_mean`` and ``_p85`` in seconds. A wait is known only for
        visits after an item's first event; hands-on time needs a start column.
        """
        return self._reduced.stages.copy()

    def flow_times(self) -> pd.DataFrame:
        """One row per item: start, end, flow time, active time, wait time, efficiency.

        Also the number of events, distinct stages and rework visits, and the item type
        if ``item_type`` was given. Times are seconds; start and end are timestamps
        (UTC where the log was time-zone aware). With one timestamp per event an item
        with one event has no flow time (NaN).
        """
        r = self._reduced
        flow = r.case_flow.copy() if r.case_flow is not None else (r.case_last - r.case_first) / _NS
        if not r.start_end:
            flow = np.where(r.case_events > 1, flow, np.nan)
        data: dict[str, Any] = {"case": r.case_ids()}
        if r.case_type is not None:
            data["item_type"] = r.case_type
        data.update(
            start=self._timestamps(r.case_first),
            end=self._timestamps(r.case_last),
            flow_time=flow,
            active_time=r.case_active,
            wait_time=flow - r.case_active,
            efficiency=np.divide(r.case_active, flow, out=np.full(len(flow), np.nan), where=flow > 0),
            events=r.case_events,
            stages=r.case_stages,
            rework=r.case_events - r.case_stages,
        )
        return pd.DataFrame(data)

    def flow_metrics(self) -> pd.Series:
        """The flow of the whole log as one Series.

        ``items``, ``flow_time_median``, ``flow_time_p85``, ``flow_time_mean`` (s),
        ``active_time`` and ``flow_time_total`` (s, summed over items),
        ``flow_efficiency`` (total active time / total flow time), ``throughput_per_day``
        (items finished per calendar day between the first and the last event),
        ``wip_mean`` (mean items in progress over that span) and ``rework_share`` (items
        with at least one rework visit / items).
        """
        r = self._reduced
        frame = self.flow_times()
        flow = frame["flow_time"].to_numpy(dtype=float)
        known = flow[~np.isnan(flow)]
        span = 0.0
        if len(r.case_first):
            ends = np.array([r.case_first.min(), r.case_last.max()], dtype=np.int64)
            if r.clock is not None:
                ends = r.clock(ends)
            span = float(ends[1] - ends[0]) / _NS
        total_flow = float(known.sum()) if len(known) else math.nan
        active = float(np.nansum(r.case_active)) if r.start_end else math.nan
        median, p85 = np.percentile(known, [50, 85]) if len(known) else (math.nan, math.nan)
        days = span / 86_400
        return pd.Series(
            {
                "items": len(flow),
                "flow_time_median": float(median),
                "flow_time_p85": float(p85),
                "flow_time_mean": float(known.mean()) if len(known) else math.nan,
                "active_time": active,
                "flow_time_total": total_flow,
                "flow_efficiency": active / total_flow if r.start_end and total_flow > 0 else math.nan,
                "throughput_per_day": len(flow) / days if days > 0 else math.nan,
                "wip_mean": total_flow / span if span > 0 else math.nan,
                "rework_share": float(np.mean(r.case_events > r.case_stages)) if len(flow) else math.nan,
            },
            name="flow",
        )

    def wip(self, freq: str = "D") -> pd.DataFrame:
        """Items in progress (started, not yet finished) at each instant of a grid.

        The grid runs every ``freq`` (a pandas frequency: ``"h"``, ``"D"``, ``"W"``...)
        from midnight of the first event's day to the last event. An item is in progress
        at ``t`` when its first event started at or before ``t`` and its last ended
        after ``t``. Column ``wip``, plus one column per item type if one was given.
        """
        r = self._reduced
        first_ts = self._timestamps(r.case_first[[r.case_first.argmin()]])[0]
        last_ts = self._timestamps(r.case_last[[r.case_last.argmax()]])[0]
        try:
            grid = pd.date_range(first_ts.normalize(), last_ts, freq=freq, name="time")
        except ValueError as error:
            raise ValidationError("freq", freq, f"not a pandas frequency ({error})") from None
        points = _ns(grid)

        def count(mask: np.ndarray | slice) -> np.ndarray:
            starts = np.sort(r.case_first[mask])
            ends = np.sort(r.case_last[mask])
            return np.searchsorted(starts, points, side="right") - np.searchsorted(ends, points, side="right")

        data = {"wip": count(slice(None))}
        if r.case_type is not None:
            for kind in pd.unique(r.case_type):
                data[kind] = count(r.case_type == kind)
        return pd.DataFrame(data, index=grid)

    def throughput(self, freq: str = "W") -> pd.DataFrame:
        """Items finished per period (an item finishes with the end of its last event).

        ``freq`` is a pandas frequency (``"D"``, ``"W"``, ``"MS"``...), periods labelled
        as :meth:`pandas.Series.resample` labels them. Column ``items``, plus one column
        per item type if one was given.
        """
        r = self._reduced
        index = pd.DatetimeIndex(self._timestamps(r.case_last), name="time")
        ones = pd.Series(np.ones(len(index), dtype=np.int64), index=index)
        try:
            total = ones.resample(freq).sum().rename("items").to_frame()
        except ValueError as error:
            raise ValidationError("freq", freq, f"not a pandas frequency ({error})") from None
        if r.case_type is not None:
            by_type = ones.groupby([pd.Grouper(freq=freq), r.case_type]).sum().unstack(fill_value=0)
            total = total.join(by_type.reindex(total.index, fill_value=0))
        return total

    def distribution(self) -> pd.DataFrame:
        """Items by type: count, share, flow time (median, p85) and flow efficiency.

        Flow efficiency per type is the type's total active time / its total flow time
        (NaN with one timestamp per event, where active time is unknown).
        """
        r = self._reduced
        if r.case_type is None:
            raise ValidationError("item_type", None, "give item_type= (the column with each item's type)")
        frame = self.flow_times()
        grouped = frame.groupby("item_type", sort=True)
        result = pd.DataFrame(
            {
                "items": grouped.size(),
                "flow_time_median": grouped["flow_time"].median(),
                "flow_time_p85": grouped["flow_time"].quantile(0.85),
                "flow_efficiency": grouped["active_time"].sum() / grouped["flow_time"].sum(),
            }
        )
        if not r.start_end:
            result["flow_efficiency"] = np.nan  # no active time is known from one timestamp
        result.insert(1, "share", result["items"] / result["items"].sum())
        return result

    def resources(self) -> pd.DataFrame:
        """Workload per resource (``resource=`` names the column): one row each.

        Columns: ``visits`` (events), ``items`` (distinct items worked on), ``stages``
        (distinct stages), and with start and end times ``hands_on_total`` (seconds),
        ``hands_on_share`` (of all hands-on time) and ``hands_on_median``; busiest
        first. Events without a resource count under :data:`NO_RESOURCE`.
        """
        return self._resource_frames()[0].copy()

    def handoffs(self) -> pd.DataFrame:
        """Hand-offs: how often an item's next event is done by another resource.

        One row per (``from_resource``, ``to_resource``) pair with ``handoffs`` (count)
        and, with start and end times, the wait before the receiving event
        (``wait_median``, ``wait_p85``, seconds); most frequent first.
        """
        return self._resource_frames()[1].copy()

    def _resource_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self._reduced.resources is None:
            raise ValidationError("resource", None, "give resource= (the column naming who did each event)")
        return self._reduced.resources

    def report(self) -> pd.DataFrame:
        """Data-quality findings: what was found, how often, what was done, examples.

        Empty when the log was clean. Findings include dropped duplicate events,
        items with one event, events that overlap earlier work of the same item,
        events of one item at the same moment, and items with more than one type.
        """
        return pd.DataFrame(self._reduced.issues, columns=["issue", "count", "action", "examples"])

    # ----------------------------------------------------------------- the map

    def to_map(
        self,
        title: str = "Value stream",
        *,
        statistic: str = "median",
        **map_options: Any,
    ) -> Map:
        """A value stream map of the stages in :attr:`order`.

        Each stage becomes a process box whose ``process_time`` is the ``statistic``
        (median by default; ``"mean"`` or ``"p85"``) of its hands-on time and whose
        ``complete_accurate`` is the share of visits not sent back upstream. Between
        stages a wait gap carries the same statistic of the wait before the next stage.
        With one timestamp per event the boxes carry a ``lead_time`` (time from the
        previous event's end) and there are no wait gaps; a status history also has the
        wait before its first working status. ``map_options`` go to
        :class:`~vsm_widget.ValueStreamMap` (``demand=``, ``available_time=``...).

        Durations are the log's: calendar time, so the map counts calendar days
        (``day_basis="calendar"``), unless the log has a :class:`WorkCalendar`, when they
        are working time and a map day is the calendar's opening hours. Every note says
        which. The other figures are in :meth:`stage_stats`.
        """
        if statistic not in STATISTICS:
            raise ValidationError("statistic", statistic, f"use one of {', '.join(STATISTICS)}")
        stages = self._reduced.stages
        options = dict(map_options)
        if self.calendar is None:
            options.setdefault("day_basis", "calendar")
        else:
            options.setdefault("day_basis", "working")
            if not {"available_time", "shift_length", "shifts"} & set(options):
                options["available_time"] = self.calendar.hours_per_day
        m = new_map(title, **options)
        basis = self.time_basis
        spreads: list[Spread] = []
        with m.batch("event log"):
            for position, (name, row) in enumerate(stages.iterrows()):
                wait = row[f"wait_{statistic}"]
                if (position > 0 or self._reduced.arrival_known) and _finite(wait):
                    gap = m.add_wait(
                        float(wait), waste="waiting", notes=f"{statistic} wait before {name}, {basis}"
                    )
                    spreads += self._spread(gap.id, "wait_time", row, "wait")
                counts = f"{row['items']:.0f} items, {row['visits']:.0f} visits"
                fields: dict[str, Any] = {
                    "notes": f"{counts}, {row['rework']:.0f} rework; {statistic} in {basis}"
                }
                hands_on = row[f"hands_on_{statistic}"]
                if _finite(hands_on):
                    fields["process_time"] = float(hands_on)
                elif not self._reduced.start_end and _finite(row[f"lead_{statistic}"]):
                    fields["lead_time"] = float(row[f"lead_{statistic}"])
                if _finite(row["complete_accurate"]):
                    fields["complete_accurate"] = float(row["complete_accurate"])
                step = m.add_process(str(name), **fields)
                figure = self._step_figure()
                spreads += self._spread(
                    step.id, figure, row, "hands_on" if figure == "process_time" else "lead"
                )
        return map_from_state(dataclasses.replace(m.state, measured=tuple(spreads)))

    # ----------------------------------------------------------------- measured against drawn

    def compare(self, m: Map, *, names: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """A map drawn in a workshop against this log of the same stream, per step.

        One row per step and figure: the step's own time (``process_time``, or with one
        timestamp per event ``lead_time``) and the wait before it. Columns: ``step``,
        ``stage`` (the log's stage it was matched to), ``figure``, ``estimate`` (the
        map's figure, seconds: for ``process_time`` the step's process time, else its
        cycle time), the measured ``p15``, ``median`` and ``p85`` and their ``n``,
        ``gap`` (estimate - median) and ``gap_share`` (gap / median), and ``basis``
        (calendar or working time). Steps match stages by name, ignoring case and
        spaces at the ends; ``names`` maps a step name to a stage where they differ. A
        step with no stage has n = 0; a stage with no step is a row with no step.
        """
        stages = self._reduced.stages
        matched = self._match(m, names)
        figure = self._step_figure()
        label = "hands_on" if figure == "process_time" else "lead"
        rows: list[dict[str, Any]] = []
        previous: Any = None

        def add(step: str | None, stage: Any, what: str, estimate: float | None, prefix: str) -> None:
            row = stages.loc[stage] if stage is not None else None
            measured = {
                key: float(row[f"{prefix}_{key}"]) if row is not None else math.nan
                for key in ("p15", "median", "p85")
            }
            n = int(row[f"{prefix}_n"]) if row is not None else 0
            value = math.nan if estimate is None else float(estimate)
            gap = value - measured["median"]
            rows.append(
                {
                    "step": step,
                    "stage": stage,
                    "figure": what,
                    "estimate": value,
                    **measured,
                    "n": n,
                    "gap": gap,
                    "gap_share": gap / measured["median"] if measured["median"] else math.nan,
                    "basis": self.time_basis,
                }
            )

        for item in m.state.stream:
            if isinstance(item, Gap):
                previous = item
                continue
            stage = matched.get(item.id)
            wait = previous.wait_time if isinstance(previous, Gap) else None
            if figure == "process_time":
                add(item.name, stage, "wait_time", wait, "wait")
                add(item.name, stage, figure, item.touch_time, label)
            else:
                add(item.name, stage, figure, item.lead_time, label)
            previous = None
        for stage in stages.index:
            if stage not in matched.values():
                add(None, stage, figure, None, label)
        return pd.DataFrame(rows)

    def measure(self, m: Map, *, names: Mapping[str, Any] | None = None) -> Map:
        """A copy of the map ``m`` carrying this log's measured spreads.

        Each step matched to a stage (as :meth:`compare` matches them) gets the spread
        of its own time, and the wait gap right before it the spread of the wait; the
        map's figures stay as drawn. The spreads are in :meth:`MapState.spreads
        <vsm_widget.core.model.MapState.spreads>`, where a data box's spread bar reads them.
        """
        stages = self._reduced.stages
        figure = self._step_figure()
        label = "hands_on" if figure == "process_time" else "lead"
        spreads: list[Spread] = []
        previous: Any = None
        matched = self._match(m, names)
        for item in m.state.stream:
            if isinstance(item, Gap):
                previous = item
                continue
            stage = matched.get(item.id)
            if stage is not None:
                row = stages.loc[stage]
                spreads += self._spread(item.id, figure, row, label)
                if isinstance(previous, Gap) and previous.wait_time is not None:
                    spreads += self._spread(previous.id, "wait_time", row, "wait")
            previous = None
        kept = [
            s for s in m.state.measured if (s.target, s.field) not in {(n.target, n.field) for n in spreads}
        ]
        return map_from_state(dataclasses.replace(m.state, measured=(*kept, *spreads)))

    def _step_figure(self) -> str:
        return "process_time" if self._reduced.start_end else "lead_time"

    def _spread(self, target: str, figure: str, row: pd.Series, prefix: str) -> list[Spread]:
        values = [row[f"{prefix}_{key}"] for key in ("p15", "median", "p85")]
        n = int(row[f"{prefix}_n"])
        if n < 1 or not all(_finite(v) for v in values):
            return []
        p15, median, p85 = (float(v) for v in values)
        return [Spread(target, figure, p15, median, p85, n, self.time_basis)]

    def _match(self, m: Map, names: Mapping[str, Any] | None) -> dict[str, Any]:
        """Step id -> the log's stage for each step of ``m`` that has one."""
        if names is not None and not isinstance(names, Mapping):
            raise ValidationError("names", names, "give a dict of step name -> stage name")
        stages = list(self._reduced.stages.index)
        by_key = {str(stage).strip().casefold(): stage for stage in stages}
        step_names = {step.name for step in m.steps}
        for step_name, stage in (names or {}).items():
            if step_name not in step_names:
                raise ValidationError("names", step_name, "no step of the map has this name")
            if stage not in stages:
                close = difflib.get_close_matches(str(stage), [str(s) for s in stages], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValidationError("names", stage, f"no stage {stage!r} in the log{hint}")
        found: dict[str, Any] = {}
        for step in m.steps:
            if names and step.name in names:
                found[step.id] = names[step.name]
            elif step.name.strip().casefold() in by_key:
                found[step.id] = by_key[step.name.strip().casefold()]
        return found

    # ----------------------------------------------------------------- helpers

    def _timestamps(self, ns: np.ndarray) -> pd.DatetimeIndex:
        index = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"))
        return index.tz_localize("UTC") if self._reduced.aware else index


def from_event_log(
    frame: Any,
    *,
    case: Any,
    activity: Any,
    start: Any = None,
    end: Any = None,
    timestamp: Any = None,
    item_type: Any = None,
    order: Sequence[Any] | None = None,
    duplicates: str = "drop",
    lifecycle: Any = None,
    timestamp_marks: str = "end",
    waiting: Sequence[Any] | None = None,
    calendar: Any = None,
    dayfirst: bool | None = None,
    format: str | None = None,
    resource: Any = None,
    progress: Callable[[str, float], Any] | bool | None = None,
    title: str = "Value stream",
    statistic: str = "median",
    **map_options: Any,
) -> Map:
    """A value stream map from an event log in one call.

    Same options as :class:`EventLog`, then :meth:`EventLog.to_map` (``title``,
    ``statistic``, and the map's options such as ``demand=``). Use :class:`EventLog` itself for the frames of
    statistics, flow metrics and the data-quality report.
    """
    log = EventLog(
        frame,
        case=case,
        activity=activity,
        start=start,
        end=end,
        timestamp=timestamp,
        item_type=item_type,
        order=order,
        duplicates=duplicates,
        lifecycle=lifecycle,
        timestamp_marks=timestamp_marks,
        waiting=waiting,
        calendar=calendar,
        dayfirst=dayfirst,
        format=format,
        resource=resource,
        progress=progress,
    )
    return log.to_map(title, statistic=statistic, **map_options)


def _finite(value: Any) -> bool:
    return (
        value is not None
        and isinstance(value, (int, float, np.floating, np.integer))
        and math.isfinite(value)
    )


def _ns(index: pd.DatetimeIndex) -> np.ndarray:
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return np.asarray(index.as_unit("ns").asi8, dtype=np.int64)


# --------------------------------------------------------------------------- input


def _is_dask(frame: Any) -> bool:
    return type(frame).__module__.split(".")[0] == "dask" and hasattr(frame, "compute")


def _is_duckdb(frame: Any) -> bool:
    return type(frame).__module__.split(".")[0] in ("duckdb", "_duckdb") and hasattr(frame, "query")


def _to_pandas(frame: Any, columns: dict[str, Any]) -> pd.DataFrame:
    """The needed columns as a pandas frame (no copy for pandas input)."""
    if isinstance(frame, pd.DataFrame):
        pdf = frame
    elif _is_dask(frame):
        # Dask computes the needed columns itself: narwhals would do the same, but its
        # Dask support is moving to a plugin and warns about it on every use.
        _check_columns(list(frame.columns), columns)
        pdf = frame[list(dict.fromkeys(columns.values()))].compute()
    else:
        try:
            import narwhals as nw
        except ImportError:  # pragma: no cover - depends on the environment
            raise ValidationError(
                "frame",
                type(frame).__name__,
                "only pandas frames are read without narwhals; pip install 'vsm_widget[eventlog]'",
            ) from None
        try:
            native = nw.from_native(frame)
        except TypeError:
            raise ValidationError(
                "frame", type(frame).__name__, "give a pandas, polars or pyarrow frame, or a DuckDB relation"
            ) from None
        _check_columns(list(native.columns), columns)
        native = native.select(list(dict.fromkeys(columns.values())))
        if isinstance(native, nw.LazyFrame):
            native = native.collect()
        pdf = native.to_pandas()
    if not isinstance(pdf, pd.DataFrame):
        raise ValidationError("frame", type(frame).__name__, "give a pandas, polars or pyarrow frame")
    _check_columns(list(pdf.columns), columns)
    return pdf


def _check_columns(available: list[Any], columns: dict[str, Any]) -> None:
    for option, name in columns.items():
        if name not in available:
            close = difflib.get_close_matches(str(name), [str(c) for c in available], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            shown = ", ".join(repr(c) for c in available[:20])
            raise ValidationError(option, name, f"no column {name!r} in the log; {hint}columns: {shown}")


def _timestamp_ns(
    series: pd.Series, option: str, *, dayfirst: bool | None = None, format: str | None = None
) -> tuple[np.ndarray, bool]:
    """A timestamp column as int64 nanoseconds (UTC where aware) and whether it was aware.

    Text is parsed with ``format`` when given; dates such as ``02.03.2024`` need
    ``dayfirst`` unless some value settles the reading (a day above 12).
    """
    name = series.name
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        aware = True
        parsed = series
    elif pd.api.types.is_datetime64_dtype(dtype):
        aware = False
        parsed = series
    elif pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        parsed, aware = _parse_timestamps(series, option, dayfirst=dayfirst, format=format)
    else:
        raise ValidationError(
            option,
            name,
            f"column {name!r} holds {dtype}, not timestamps; convert it with pandas.to_datetime "
            "(unit='s' for epoch seconds)",
        )
    if aware:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    values = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return values, aware


_NUMERIC_DATE = r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})(?:$|[\sT])"


def _date_order(series: pd.Series, option: str, dayfirst: bool | None) -> bool | None:
    """Whether text dates such as ``02.03.2024`` are day first; ``None`` for other text.

    The reading is settled by ``dayfirst`` or by a value that fits only one reading (a
    first number above 12 is a day, a second one above 12 is a day); otherwise the
    column is ambiguous and refused rather than guessed.
    """
    name = series.name
    head = series.iloc[:64].astype(str)
    if not head.str.match(_NUMERIC_DATE).any():
        return None
    distinct = pd.Series(pd.unique(series.astype(str)))
    parts = distinct.str.extract(_NUMERIC_DATE)
    numbered = parts[0].notna()
    first = parts.loc[numbered, 0].astype(int)
    second = parts.loc[numbered, 1].astype(int)
    day_first_only = bool((first > 12).any())
    month_first_only = bool((second > 12).any())
    if day_first_only and month_first_only:
        raise ValidationError(
            option,
            name,
            f"column {name!r} mixes day-first and month-first dates (such as "
            f"{distinct[numbered][first > 12].iloc[0]!r} and {distinct[numbered][second > 12].iloc[0]!r}); "
            "give format= for the one they should all have",
        )
    if dayfirst is None:
        if not (day_first_only or month_first_only):
            raise ValidationError(
                option,
                name,
                f"column {name!r} holds dates such as {distinct[numbered].iloc[0]!r} that read both "
                "day first and month first; say which with dayfirst=True or False (or format=)",
            )
        return day_first_only
    if (dayfirst and month_first_only) or (not dayfirst and day_first_only):
        example = distinct[numbered][(second if dayfirst else first) > 12].iloc[0]
        raise ValidationError(
            "dayfirst", dayfirst, f"{example!r} in column {name!r} cannot be read with dayfirst={dayfirst}"
        )
    return dayfirst


def _parse_timestamps(
    series: pd.Series, option: str, *, dayfirst: bool | None = None, format: str | None = None
) -> tuple[pd.Series, bool]:
    name = series.name
    is_text = series.map(type).eq(str) if series.dtype == object else None
    if is_text is not None and not is_text.all():
        # Python datetime objects: naive and aware ones must not be mixed.
        objects = series[~is_text]
        if not all(hasattr(v, "tzinfo") for v in objects):
            bad = next(v for v in objects if not hasattr(v, "tzinfo"))
            raise ValidationError(option, name, f"column {name!r} holds {bad!r}, which is not a timestamp")
        aware_objects = objects.map(lambda v: v.tzinfo is not None)
        if aware_objects.any() and not aware_objects.all():
            raise ValidationError(
                option, name, f"column {name!r} mixes naive and time-zone-aware times; make them all one kind"
            )
        text_aware = series[is_text].astype(str).str.contains(_AWARE_PATTERN, regex=True)
        flags = pd.concat([aware_objects, text_aware])
    else:
        flags = series.astype(str).str.contains(_AWARE_PATTERN, regex=True)
    aware = bool(flags.any())
    if aware and not flags.all():
        naive_example = series[~flags.reindex(series.index)].iloc[0]
        raise ValidationError(
            option,
            name,
            f"column {name!r} mixes naive times (such as {naive_example!r}) with time-zone-aware ones; "
            "give every time an offset, or none",
        )
    options: dict[str, Any] = {}
    if format is not None:
        options["format"] = format
    else:
        day_first = _date_order(series, option, dayfirst)
        if day_first is not None:
            options["dayfirst"] = day_first
    try:
        parsed = pd.to_datetime(series, utc=aware, **options)
    except (ValueError, TypeError, OverflowError):
        if format is not None:
            parsed = pd.to_datetime(series, utc=aware, format=format, errors="coerce")
        else:
            parsed = pd.to_datetime(series, utc=aware, format="mixed", errors="coerce", **options)
        bad = series[parsed.isna()]
        if len(bad):
            raise ValidationError(
                option,
                name,
                f"{len(bad)} value(s) of column {name!r} are not timestamps, such as "
                f"{', '.join(repr(v) for v in bad.iloc[:_EXAMPLES])}",
            ) from None
    return parsed, aware


class _Labels:
    """The distinct values of a factorised column (a pyarrow array or a pandas Index)."""

    def __init__(self, values: Any) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def take(self, codes: np.ndarray) -> np.ndarray:
        """The values for ``codes``, as a numpy array."""
        taken = self.values.take(np.asarray(codes))
        if hasattr(taken, "to_numpy") and not isinstance(taken, pd.Index):
            return np.asarray(taken.to_numpy(zero_copy_only=False))
        return np.asarray(taken)

    def examples(self, codes: np.ndarray) -> list[Any]:
        """Up to three distinct values for ``codes``, as plain Python values."""
        unique = list(dict.fromkeys(np.asarray(codes[: _EXAMPLES * 8]).tolist()))[:_EXAMPLES]
        return [v.item() if hasattr(v, "item") else v for v in self.take(np.asarray(unique, dtype=np.int64))]

    def tolist(self) -> list[Any]:
        """Every value as a plain Python value."""
        return list(self.take(np.arange(len(self.values))).tolist())


class _Subset:
    """Some of the values of a :class:`_Labels`, renumbered from 0."""

    def __init__(self, labels: _Labels, codes: np.ndarray) -> None:
        self.labels = labels
        self.codes = codes

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, codes: np.ndarray) -> np.ndarray:
        """The values for ``codes``."""
        return self.labels.take(self.codes[np.asarray(codes)])


class _NumberedText:
    """Distinct ids of the form prefix + decimal number, kept as the numbers.

    ``width`` is the number of digits when every id has the same (zero-padded), else 0.
    """

    def __init__(self, prefix: str, width: int, numbers: np.ndarray) -> None:
        self.prefix = prefix
        self.width = width
        self.numbers = numbers

    def __len__(self) -> int:
        return len(self.numbers)

    def take(self, codes: np.ndarray) -> np.ndarray:
        """The ids for ``codes`` as Python strings."""
        prefix, width = self.prefix, self.width
        return np.array([prefix + str(v).zfill(width) for v in self.numbers[codes].tolist()], dtype=object)


_ASCII_ZEROS = np.uint64(0x3030303030303030)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_ALL_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)


def _numbered_text(text: Any) -> tuple[str, int, np.ndarray] | None:
    """Text ids that all are one common prefix + a number of 1 to 8 digits, as numbers.

    ``None`` unless every id has that form, either with no leading zeros or all with
    the same number of digits (so that each number stands for exactly one id). Also
    returns that number of digits (0 when they vary). Works on arrow's buffers: the
    bytes after the prefix are read as one 64-bit word per id and parsed eight digits
    at once (SWAR).
    """
    import pyarrow as pa

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if text.null_count or len(text) == 0:
        return None
    # A glance at the first ids rules most other columns out at once.
    sample = [str(v) for v in text.slice(0, 64).to_pylist()]
    stems = {v.rstrip("0123456789") for v in sample}
    if len(stems) > 1 or any(len(v) - len(v.rstrip("0123456789")) > 8 for v in sample):
        return None
    if pa.types.is_large_string(text.type):
        offset_type: Any = np.int64
    elif pa.types.is_string(text.type):
        offset_type = np.int32
    else:
        return None
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=offset_type)[text.offset : text.offset + len(text) + 1]
    offsets = offsets.astype(np.int64)
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    end = int(offsets[-1])
    if len(data) < end + 8:
        data = np.concatenate((data[:end], np.zeros(8, dtype=np.uint8)))
    # A view whose element i is the (unaligned) little-endian 64-bit word at byte i.
    words = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    shortest = int(lengths.min())
    # The common prefix, eight bytes a step; every id keeps at least one byte after it.
    prefix = 0
    while prefix < shortest - 1:
        chunk = words[starts + prefix] if prefix else words[starts]
        differ = int(np.bitwise_or.reduce(chunk ^ chunk[0]))
        same = 0
        while same < 8 and not (differ >> (8 * same)) & 0xFF:
            same += 1
        prefix = min(prefix + same, shortest - 1)
        if same < 8:
            break
    rest = lengths - prefix
    if int(rest.max()) > 8:
        return None
    word = words[starts + prefix] if prefix else words[starts]
    # Right-align the digits (first digit in the highest used byte) and pad with "0".
    pad = ((8 - rest) * 8).astype(np.uint64)
    word <<= pad
    word |= _ASCII_ZEROS & ~(_ALL_ONES << pad)
    # Every byte a digit: high nibble 3, low nibble at most 9 (adding 6 does not carry).
    if np.any(word & _HIGH_NIBBLES != _ASCII_ZEROS):
        return None
    if np.any((word + np.uint64(0x0606060606060606)) & _HIGH_NIBBLES != _ASCII_ZEROS):
        return None
    width = int(rest[0]) if np.all(rest == rest[0]) else 0
    if not width:
        first_digit = (word >> pad) & np.uint64(0xFF)
        if np.any((first_digit == np.uint64(0x30)) & (rest > 1)):
            return None  # "007" and "7" would read as one number
    word -= _ASCII_ZEROS
    # Pairs, then quads, then all eight digits (the first digit sits in the low byte).
    word = (word * np.uint64(10 * 256 + 1)) >> np.uint64(8)
    word &= np.uint64(0x00FF00FF00FF00FF)
    word = (word * np.uint64(100 * 65536 + 1)) >> np.uint64(16)
    word &= np.uint64(0x0000FFFF0000FFFF)
    word = (word * np.uint64(10000 * 2**32 + 1)) >> np.uint64(32)
    head = bytes(data[int(starts[0]) : int(starts[0]) + prefix])
    try:
        return head.decode("utf-8"), width, word.view(np.int64)
    except UnicodeDecodeError:  # pragma: no cover - arrow text is valid UTF-8
        return None


def _codes(series: pd.Series, option: str, what: str) -> tuple[np.ndarray, _Labels]:
    """Integer codes of a column and its distinct values; missing values are refused."""
    missing = int(series.isna().sum())
    if missing:
        raise ValidationError(
            option, series.name, f"{missing} event(s) have no {what}; drop or fill them first"
        )
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # The codes are there already; renumber them if some categories are unused.
        codes = series.cat.codes.to_numpy().astype(np.int32)
        categories = dtype.categories
        used = np.bincount(codes, minlength=len(categories)) > 0
        if not used.all():
            codes = (np.cumsum(used) - 1).astype(np.int32)[codes]
            categories = categories[used]
        return codes, _Labels(categories)
    if getattr(dtype, "storage", None) == "pyarrow" or isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa
        import pyarrow.compute as pc

        text = pa.array(series)
        numbered = _numbered_text(text)
        if numbered is not None:
            # "CASE-17"-like ids: factorising the numbers is several times faster than
            # hashing the strings, and the codes come out in the same order.
            prefix, width, numbers = numbered
            codes, uniques = pd.factorize(numbers)
            return codes, _Labels(_NumberedText(prefix, width, uniques))
        # Other arrow-backed text: arrow's hash kernel is the fastest factoriser at hand.
        encoded = pc.dictionary_encode(text)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        return encoded.indices.to_numpy(zero_copy_only=False), _Labels(encoded.dictionary)
    codes, uniques = pd.factorize(series)
    return codes, _Labels(uniques)


def _radix_argsort(key: np.ndarray, bits: int, order: np.ndarray | None = None) -> np.ndarray:
    """Stable argsort of non-negative integer keys below ``2**bits``, 16 bits a pass.

    numpy sorts 16-bit integers stably by radix sort in linear time, so a few passes
    beat one comparison sort of the whole key.
    """
    for shift in range(0, max(bits, 1), 16):
        digit = key if order is None else key[order]
        if shift:
            digit = digit >> shift
        step = np.argsort(digit.astype(np.uint16), kind="stable")
        order = step if order is None else order[step]
    assert order is not None
    return order.astype(np.int64, copy=False)


def _case_time_order(
    case_codes: np.ndarray, n_cases: int, time: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The permutation that groups events by case and orders each case by time.

    Ties (same case, same time) keep row order. Also returns the case codes and the
    times in that order.
    """
    same = case_codes[1:] == case_codes[:-1]
    if np.all(case_codes[1:] >= case_codes[:-1]) and not np.any(same & (time[1:] < time[:-1])):
        # Already grouped and in time order (the usual shape of an exported log).
        return np.arange(len(case_codes)), case_codes, time
    del same
    origin = int(time.min())
    if int(time.max()) - origin >= 2**62:
        return _time_then_case_order(case_codes, n_cases, time)  # times centuries apart
    rel = time - origin
    unit = 1
    for step in (_NS, 1_000_000, 1_000):
        if not np.any(rel % step):
            rel //= step
            unit = step
            break
    span = int(rel.max()) + 1
    case_bits = (n_cases - 1).bit_length()
    row_bits = max(len(rel) - 1, 1).bit_length()
    if (n_cases * span - 1).bit_length() + row_bits <= 64:
        # Case, time and row number packed in one 64-bit key (unique, thanks to the row).
        packed = case_codes.astype(np.uint64)
        packed *= np.uint64(span)
        packed += rel.view(np.uint64)
        packed <<= np.uint64(row_bits)
        packed |= np.arange(len(rel), dtype=np.uint64)
        if len(packed) <= _RADIX_EVENTS:
            # One linear radix pass on the top 16 bits of the case code leaves the keys
            # nearly sorted (only a few cases' events mixed), which a stable sort
            # (timsort) then finishes in about linear time.
            top = case_codes >> max(case_bits - 16, 0) if case_bits > 16 else case_codes
            packed = packed[np.argsort(top.astype(np.uint16), kind="stable")]
            packed.sort(kind="stable")
        else:
            # Beyond the cache the radix pass's scattered writes cost more than they
            # save: one plain sort of the (unique) keys is faster.
            packed.sort()
        # Case and time come back out of the key: cheaper than gathering them.
        key = (packed >> np.uint64(row_bits)).view(np.int64)
        codes = key // span
        key -= codes * span
        key *= unit
        key += origin
        packed &= np.uint64((1 << row_bits) - 1)
        return packed.view(np.int64), codes.astype(case_codes.dtype, copy=False), key
    time_bits = 64 - case_bits - row_bits
    if time_bits >= 16:
        return _truncated_time_order(case_codes, rel, time, case_bits, row_bits, time_bits)
    if (n_cases * span - 1).bit_length() <= 63:
        # No room for the row number: the same, with a stable argsort of the key.
        key = case_codes.astype(np.uint64)
        key *= np.uint64(span)
        key += rel.view(np.uint64)
        top = case_codes >> max(case_bits - 16, 0) if case_bits > 16 else case_codes
        group = np.argsort(top.astype(np.uint16), kind="stable")
        key = key[group]
        within = np.argsort(key, kind="stable")
        key = key[within].view(np.int64)
        codes = key // span
        key -= codes * span
        key *= unit
        key += origin
        return group[within], codes.astype(case_codes.dtype, copy=False), key
    return _time_then_case_order(case_codes, n_cases, time)


def _truncated_time_order(
    case_codes: np.ndarray, rel: np.ndarray, time: np.ndarray, case_bits: int, row_bits: int, time_bits: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Case-then-time order for times too fine to pack whole (nanoseconds over months).

    The key packs the case, the time's leading ``time_bits`` bits and the row number; one
    sort of it orders every case by time except within a bucket of the dropped bits
    (about a second for a year of nanoseconds), where rows keep their order. Those few
    buckets whose rows are out of time order are then sorted by the exact time.
    """
    shift = max(int(rel.max()).bit_length() - time_bits, 0)
    packed = case_codes.astype(np.uint64)
    packed <<= np.uint64(time_bits + row_bits)
    bucket = (rel >> shift).view(np.uint64)
    bucket <<= np.uint64(row_bits)
    packed |= bucket
    del bucket
    packed |= np.arange(len(rel), dtype=np.uint64)
    if len(packed) <= _RADIX_EVENTS:
        top = case_codes >> max(case_bits - 16, 0) if case_bits > 16 else case_codes
        packed = packed[np.argsort(top.astype(np.uint16), kind="stable")]
        packed.sort(kind="stable")
    else:
        packed.sort()
    perm = (packed & np.uint64((1 << row_bits) - 1)).view(np.int64)
    key = packed >> np.uint64(row_bits)  # case and bucket
    codes = (key >> np.uint64(time_bits)).astype(case_codes.dtype)
    t = time[perm]
    bad = (key[1:] == key[:-1]) & (t[1:] < t[:-1])
    if bad.any():
        run = np.cumsum(np.concatenate(([True], key[1:] != key[:-1])))
        rows = np.flatnonzero(np.isin(run, run[1:][bad]))
        fix = np.lexsort((perm[rows], t[rows], run[rows]))
        perm[rows] = perm[rows][fix]
        t[rows] = t[rows][fix]
    return perm, codes, t


def _time_then_case_order(
    case_codes: np.ndarray, n_cases: int, time: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same as :func:`_case_time_order` for any times: by time, then by case stably."""
    by_time = np.argsort(time, kind="stable")
    perm = by_time[_radix_argsort(case_codes[by_time], (n_cases - 1).bit_length())]
    return perm, case_codes[perm], time[perm]


def _reduce_pandas(
    frame: pd.DataFrame,
    columns: dict[str, Any],
    order: Sequence[Any] | None,
    duplicates: str,
    shape: _Shape | None = None,
    steps: Progress | None = None,
) -> _Reduced:
    shape = shape or _Shape()
    steps = steps or Progress("", False)
    steps.step("numbering cases and stages")
    if len(frame) == 0:
        raise ValidationError("frame", "empty", "the event log has no events")
    case_codes, cases = _codes(frame[columns["case"]], "case", "case id")
    act_codes, acts = _codes(frame[columns["activity"]], "activity", "activity")
    stamps: dict[str, np.ndarray] = {}
    awareness: dict[str, bool] = {}
    steps.step("reading the times")
    for option in ("start", "end"):
        if option in columns:
            series = frame[columns[option]]
            missing = int(series.isna().sum())
            if missing:
                raise ValidationError(
                    option,
                    columns[option],
                    f"{missing} event(s) have no {option} time; drop them or fill them in first",
                )
            stamps[option], awareness[option] = _timestamp_ns(
                series, option, dayfirst=shape.dayfirst, format=shape.format
            )
    if len(set(awareness.values())) > 1:
        raise ValidationError(
            "start", columns["start"], "the start times are naive and the end times aware (or the reverse)"
        )
    aware = awareness["end"]
    end = stamps["end"]
    start = stamps.get("start")
    if start is not None:
        backwards = np.flatnonzero(end < start)
        if len(backwards):
            raise ValidationError(
                "end",
                columns["end"],
                f"{len(backwards)} event(s) end before they start "
                f"(cases {cases.examples(case_codes[backwards])}); fix or drop them",
            )
    types = None
    if "item_type" in columns:
        types = _codes(frame[columns["item_type"]], "item_type", "item type")
    act_names = acts.tolist()
    issues: list[dict[str, Any]] = []
    resources = None
    no_resource = None
    if "resource" in columns:
        series = frame[columns["resource"]]
        no_resource = series.isna().to_numpy()
        if no_resource.any():
            series = series.astype("string").fillna(NO_RESOURCE)
        resources = _codes(series, "resource", "resource")
    origin = close = None
    intervals = None
    if "lifecycle" in columns:
        lifecycle = frame[columns["lifecycle"]]
        if lifecycle.isna().any():
            raise ValidationError(
                "lifecycle",
                columns["lifecycle"],
                f"{int(lifecycle.isna().sum())} event(s) have no transition",
            )
        steps.step("pairing starts and completes")
        intervals = logshapes.pair_lifecycle(case_codes, act_codes, end, lifecycle)
    elif shape.status:
        steps.step("timing each status")
        waiting = _waiting_flags(shape.waiting, act_names)
        intervals = logshapes.status_intervals(case_codes, len(cases), act_codes, end, waiting)
    if intervals is not None:
        for issue, count, action, rows in intervals.issues:
            if issue == "duplicate events" and duplicates == "raise":
                raise ValidationError(
                    "duplicates",
                    duplicates,
                    f"{count} event(s) repeat another exactly (cases {cases.examples(case_codes[rows])})",
                )
            issues.append(_issue(issue, count, action, cases.examples(case_codes[rows])))
        rows = intervals.rows
        if len(rows) == 0:
            raise ValidationError("frame", "no work", "no visit of any stage could be read from the log")
        # Renumber cases and stages to the ones that kept some work.
        kept_cases = np.bincount(case_codes[rows], minlength=len(cases)) > 0
        if not kept_cases.all():
            issues.append(
                _issue(
                    "items with no work (only waiting or final statuses, or no completed visit)",
                    int((~kept_cases).sum()),
                    "left out",
                    cases.examples(np.flatnonzero(~kept_cases)),
                )
            )
        case_map = np.cumsum(kept_cases) - 1
        kept_codes = np.flatnonzero(kept_cases)
        if intervals.origin is not None and intervals.close is not None:
            origin, close = intervals.origin[kept_codes], intervals.close[kept_codes]
        cases = _Labels(_Subset(cases, kept_codes))
        kept_acts = np.bincount(act_codes[rows], minlength=len(act_names)) > 0
        act_map = np.cumsum(kept_acts) - 1
        act_names = [name for name, kept in zip(act_names, kept_acts, strict=True) if kept]
        case_codes = case_map[case_codes[rows]].astype(np.int32)
        act_codes = act_map[act_codes[rows]].astype(np.int32)
        start, end = intervals.start, intervals.end
        if types is not None:
            types = (types[0][rows], types[1])
        if resources is not None:
            resources = (resources[0][rows], resources[1])
        if no_resource is not None:
            no_resource = no_resource[rows]
    if no_resource is not None and no_resource.any():
        issues.append(
            _issue("events without a resource", int(no_resource.sum()), f"counted under {NO_RESOURCE!r}")
        )
    clock = None
    if shape.calendar is not None:
        calendar = shape.calendar
        calendar.clock(np.zeros(0, np.int64), aware=aware)  # refuses an aware log without a zone at once
        span = (int(end.min() if start is None else start.min()), int(end.max()))
        if origin is not None and close is not None:
            span = (min(span[0], int(origin.min())), max(span[1], int(close.max())))

        def clock(values: np.ndarray) -> np.ndarray:
            # One span for every call, so that clocks of different arrays subtract.
            return calendar.clock(values, aware=aware, span=span)

    reduced = _reduce_arrays(
        case_codes,
        cases,
        act_codes,
        act_names,
        start,
        end,
        types,
        order,
        duplicates,
        aware=aware,
        origin=origin,
        close=close,
        clock=clock,
        issues=issues,
        resources=resources,
        steps=steps,
    )
    reduced.arrival_known = origin is not None
    if shape.calendar is not None:
        reduced.time_basis = shape.calendar.describe()
    return reduced


def _waiting_flags(waiting: list[Any], act_names: list[Any]) -> np.ndarray:
    """Which status codes are waiting statuses; a name not in the log is refused."""
    index = {name: i for i, name in enumerate(act_names)}
    flags = np.zeros(len(act_names), dtype=bool)
    for name in waiting:
        if name not in index:
            close = difflib.get_close_matches(str(name), [str(n) for n in act_names], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValidationError("waiting", name, f"no status {name!r} in the log{hint}")
        flags[index[name]] = True
    if flags.all():
        raise ValidationError("waiting", waiting, "every status is a waiting one: name only the queues")
    return flags


def _reduce_arrays(
    case_codes: np.ndarray,
    cases: _Labels,
    act_codes: np.ndarray,
    act_names: list[Any],
    start: np.ndarray | None,
    end: np.ndarray,
    types: tuple[np.ndarray, _Labels] | None,
    order: Sequence[Any] | None,
    duplicates: str,
    *,
    aware: bool,
    origin: np.ndarray | None = None,
    close: np.ndarray | None = None,
    clock: Callable[[np.ndarray], np.ndarray] | None = None,
    issues: list[dict[str, Any]] | None = None,
    resources: tuple[np.ndarray, _Labels] | None = None,
    steps: Progress | None = None,
) -> _Reduced:
    """Per-stage and per-case figures from events given as codes and int64 ns times.

    ``origin`` and ``close`` (per case code) are when an item arrived and ended where
    that is known beyond its events (a status history); the wait before an item's first
    event is then known. ``clock`` maps instants to working nanoseconds, so that every
    duration is counted in working time; events are still ordered by their real times.
    """
    issues = [] if issues is None else issues
    steps = steps or Progress("", False)
    steps.step("ordering the events")
    n_cases = len(cases)
    n_acts = len(act_names)
    start_end = start is not None
    first_time = start if start is not None else end
    perm, c, s = _case_time_order(case_codes, n_cases, first_time)
    same_case = c[1:] == c[:-1]
    tied = same_case & (s[1:] == s[:-1])
    if tied.any():
        # Events of one case at the same moment: order them fully so that the result
        # does not depend on row order and exact duplicates sit side by side.
        by_name = np.argsort(np.argsort(np.array([str(name) for name in act_names])))[act_codes]
        keys = (by_name, end, first_time, case_codes) if start_end else (by_name, first_time, case_codes)
        perm = np.lexsort(keys)
        c, s = case_codes[perm], first_time[perm]
        same_case = c[1:] == c[:-1]
        tied = same_case & (s[1:] == s[:-1])
    a = act_codes[perm]
    e = end[perm] if start_end else s
    if tied.any():
        dup = tied & (a[1:] == a[:-1]) & (e[1:] == e[:-1])
        n_dup = int(dup.sum())
        if n_dup:
            examples = cases.examples(c[1:][dup])
            if duplicates == "raise":
                raise ValidationError(
                    "duplicates", duplicates, f"{n_dup} event(s) repeat another exactly (cases {examples})"
                )
            issues.append(_issue("duplicate events", n_dup, "dropped", examples))
            keep = np.concatenate(([True], ~dup))
            perm, c, a, e, s = perm[keep], c[keep], a[keep], e[keep], s[keep]
            tied = (c[1:] == c[:-1]) & (s[1:] == s[:-1])
        n_tied = int(tied.sum())
        if n_tied:
            how = "ordered by end time, then activity" if start_end else "ordered by activity"
            issues.append(
                _issue("events of one item at the same moment", n_tied, how, cases.examples(c[1:][tied]))
            )
    del tied
    n = len(c)
    new_case = np.empty(n, dtype=bool)
    new_case[0] = True
    np.not_equal(c[1:], c[:-1], out=new_case[1:])
    case_starts = np.flatnonzero(new_case)
    case_events = np.diff(np.append(case_starts, n))

    # Per event: hands-on time, the wait before it and its lead time, in seconds.
    case_first = s[case_starts] if start_end else e[case_starts]
    case_last = np.maximum.reduceat(e, case_starts)
    if origin is not None and close is not None:
        case_first = np.minimum(case_first, origin[c[case_starts]])
        case_last = np.maximum(case_last, close[c[case_starts]])
    work = clock if clock is not None else (lambda values: values)
    if start_end:
        prev_end = np.empty_like(e)
        prev_end[1:] = e[:-1]
        # An item's first event waits from the item's arrival where it is known, else for nothing.
        prev_end[new_case] = s[new_case] if origin is None else origin[c[new_case]]
        overlap = s < prev_end
        if overlap.any():
            # Work overlapping earlier work of the same item: wait from the latest end so far.
            running = pd.Series(e).groupby(np.cumsum(new_case)).cummax().to_numpy()
            prev_end[1:] = running[:-1]
            prev_end[new_case] = s[new_case] if origin is None else origin[c[new_case]]
            overlap = s < prev_end
            issues.append(
                _issue(
                    "events starting before earlier work of the item ended",
                    int(overlap.sum()),
                    "wait counted as zero; active time is the union of the intervals",
                    cases.examples(c[overlap]),
                )
            )
        if clock is not None:
            # Durations in working time; max and min commute with the (monotone) clock.
            s, e, prev_end = clock(s), clock(e), clock(prev_end)
        # Kept in integer nanoseconds until grouped by stage; -1 marks "no wait known".
        busy_from = np.maximum(s, prev_end)
        waited = busy_from - prev_end
        if origin is None:
            waited[new_case] = -1
        wait: np.ndarray | None = waited
        hands: np.ndarray | None = e - s
        busy_from -= e
        np.minimum(busy_from, 0, out=busy_from)  # -(active part of the event)
        case_active = np.add.reduceat(busy_from, case_starts) / -_NS
        del busy_from, prev_end
    else:
        # The time from the previous event's end: the only duration one timestamp gives.
        e = work(e)
        wait = np.empty(n, dtype=np.int64)
        wait[1:] = e[1:] - e[:-1]
        wait[new_case] = -1
        hands = None
        case_active = np.full(len(case_starts), np.nan)
    case_flow = None
    if clock is not None:
        case_flow = (clock(case_last) - clock(case_first)) / _NS
    del s, e

    steps.step("counting visits and rework")
    first_visit, rework_items = _first_visits(c, a, case_starts, case_events, n_acts)
    case_stages = np.add.reduceat(first_visit, case_starts)

    if order is None:
        positions = _main_path_positions(a, first_visit, case_starts, case_stages, n_acts)
    else:
        positions = _given_positions(order, act_names)
    stage_index = [act_names[i] for i in np.argsort(positions)]

    stats: dict[str, np.ndarray] = {
        "visits": np.bincount(a, minlength=n_acts),
        "items": np.bincount(a[first_visit], minlength=n_acts),
        "rework_items": rework_items,
    }
    stats["rework"] = stats["visits"] - stats["items"]
    pos = positions.astype(np.int32)[a]
    # Skipped: items whose furthest stage lies beyond this one, but that never visited it.
    furthest = np.maximum.reduceat(pos, case_starts)
    beyond = n_cases - np.cumsum(np.bincount(furthest, minlength=n_acts))
    case_index = np.cumsum(new_case) - 1
    visited = pos[first_visit]
    visited_beyond = np.bincount(visited[furthest[case_index[first_visit]] > visited], minlength=n_acts)
    stats["skipped"] = (beyond - visited_beyond)[positions]
    backwards = ~new_case[1:] & (pos[1:] < pos[:-1])
    stats["sent_back"] = np.bincount(a[:-1][backwards], minlength=n_acts)
    del pos, visited, backwards
    steps.step("stage statistics")
    stats.update(_stage_duration_stats(hands, wait, a, n_acts))
    if not start_end:
        # With one timestamp the measured time is the stage's lead time, not a wait.
        for stat in _FRAME_STATS:
            stats[f"lead_{stat}"] = stats.pop(f"wait_{stat}")
            stats[f"wait_{stat}"] = np.full(n_acts, 0 if stat == "n" else np.nan)

    frame = _stage_frame(stats, positions, stage_index)
    case_type = None
    if types is not None:
        type_codes, type_labels = types
        tc = type_codes[perm]
        mixed = (tc[1:] != tc[:-1]) & ~new_case[1:]
        if mixed.any():
            mixed_cases = np.unique(case_index[1:][mixed])
            issues.append(
                _issue(
                    "items with more than one type",
                    len(mixed_cases),
                    "the type of the item's first event is used",
                    cases.examples(c[case_starts[mixed_cases]]),
                )
            )
        case_type = type_labels.take(tc[case_starts])
    single = case_events == 1
    if single.any():
        action = (
            "kept: hands-on time and flow time known, no wait"
            if start_end
            else "no flow time (one timestamp gives no duration); left out of flow times"
        )
        issues.append(
            _issue("items with one event", int(single.sum()), action, cases.examples(c[case_starts[single]]))
        )

    resource_frames = None
    if resources is not None:
        resource_frames = _resource_frames(
            resources[0][perm], resources[1], c, new_case, hands, wait if hands is not None else None, a
        )
    case_codes_sorted = c[case_starts]
    return _Reduced(
        start_end=start_end,
        aware=aware,
        stages=frame,
        case_ids=lambda: cases.take(case_codes_sorted),
        case_first=case_first,
        case_last=case_last,
        case_events=case_events,
        case_stages=case_stages,
        case_active=case_active,
        case_type=case_type,
        issues=issues,
        case_flow=case_flow,
        clock=clock,
        resources=resource_frames,
    )


def _resource_frames(
    r: np.ndarray,
    labels: _Labels,
    c: np.ndarray,
    new_case: np.ndarray,
    hands: np.ndarray | None,
    wait: np.ndarray | None,
    a: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per resource: workload; per pair of resources: hand-offs within items.

    ``r``, ``c`` and ``a`` are the events' resource, case and stage codes sorted by case
    and time; ``hands`` and ``wait`` their durations in ns (-1: wait unknown).
    """
    names = labels.tolist()
    k = len(names)
    visits = np.bincount(r, minlength=k)
    pairs = np.unique(c.astype(np.int64) * k + r)
    items = np.bincount(pairs % k, minlength=k)
    stage_pairs = np.unique(a.astype(np.int64) * k + r)
    data: dict[str, Any] = {
        "visits": visits,
        "items": items,
        "stages": np.bincount(stage_pairs % k, minlength=k),
    }
    if hands is not None:
        total = np.bincount(r, weights=hands.astype(np.float64), minlength=k) / _NS
        data["hands_on_total"] = total
        data["hands_on_share"] = total / total.sum() if total.sum() > 0 else np.full(k, np.nan)
        data["hands_on_median"] = pd.Series(hands / _NS).groupby(r).median().reindex(range(k)).to_numpy()
    workload = pd.DataFrame(data, index=pd.Index(names, name="resource"))
    workload = workload[workload["visits"] > 0]  # such as those of waiting statuses only
    workload = workload.sort_values("hands_on_total" if hands is not None else "visits", ascending=False)
    # A hand-off: the next event of the same item is done by another resource.
    moved = ~new_case[1:] & (r[1:] != r[:-1])
    giver, taker = r[:-1][moved], r[1:][moved]
    frame = pd.DataFrame({"giver": giver, "taker": taker})
    if wait is not None:
        waited = wait[1:][moved]
        frame["wait"] = np.where(waited >= 0, waited / _NS, np.nan)
    grouped = frame.groupby(["giver", "taker"], sort=False)
    handoffs = pd.DataFrame({"handoffs": grouped.size()})
    if wait is not None:
        handoffs["wait_median"] = grouped["wait"].median()
        handoffs["wait_p85"] = grouped["wait"].quantile(0.85)
    handoffs = handoffs.reset_index()
    handoffs.insert(0, "from_resource", [names[i] for i in handoffs.pop("giver")])
    handoffs.insert(1, "to_resource", [names[i] for i in handoffs.pop("taker")])
    handoffs = handoffs.sort_values(
        ["handoffs", "from_resource", "to_resource"], ascending=[False, True, True]
    )
    return workload, handoffs.reset_index(drop=True)


def _first_visits(
    c: np.ndarray, a: np.ndarray, case_starts: np.ndarray, case_events: np.ndarray, n_acts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which events are an item's first visit to their stage, and per stage the items
    that came back to it. ``c`` and ``a`` are sorted by case, then time.
    """
    n = len(c)
    first_visit = np.ones(n, dtype=bool)
    rows: np.ndarray | slice = slice(None)
    if n_acts <= 64 and hasattr(np, "bitwise_count"):
        # Items whose stages are all distinct (one bit per stage) have no revisits;
        # only the other items' events need grouping by stage.
        seen = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), a.astype(np.uint64)), case_starts)
        revisiting = np.bitwise_count(seen) < case_events
        if not revisiting.any():
            return first_visit, np.zeros(n_acts, dtype=np.int64)
        if revisiting.mean() < 0.5:
            rows = np.flatnonzero(np.repeat(revisiting, case_events))
    sub_c, sub_a = c[rows], a[rows]
    # Group by stage (stable, so each group stays in case-then-time order).
    by_act = _radix_argsort(sub_a.astype(np.int64), (n_acts - 1).bit_length())
    a_sorted = sub_a[by_act]
    c_sorted = sub_c[by_act]
    repeat = np.zeros(len(by_act), dtype=bool)
    np.equal(c_sorted[1:], c_sorted[:-1], out=repeat[1:])
    repeat[1:] &= a_sorted[1:] == a_sorted[:-1]
    first_repeat = repeat.copy()
    first_repeat[1:] &= ~repeat[:-1]
    rework_items = np.bincount(a_sorted[first_repeat], minlength=n_acts)
    again = by_act[repeat]
    first_visit[again if isinstance(rows, slice) else rows[again]] = False
    return first_visit, rework_items


def _stage_duration_stats(
    hands: np.ndarray | None, waits: np.ndarray | None, stage: np.ndarray, n_stages: int
) -> dict[str, np.ndarray]:
    """Median, mean and 85th percentile of hands-on time, wait and lead time per stage.

    ``hands`` and ``waits`` are integer nanoseconds per event and ``stage`` the events'
    stage codes, in any order; a wait of -1 is unknown (an item's first event), and the
    lead time is wait + hands-on where the wait is known.
    """
    stats = {f"{label}_{stat}": np.full(n_stages, np.nan) for label in _STAT_COLUMNS for stat in _FRAME_STATS}
    for label in _STAT_COLUMNS:
        stats[f"{label}_n"] = np.zeros(n_stages, dtype=np.int64)

    def put(label: str, ns: np.ndarray, groups: np.ndarray, counts: np.ndarray) -> None:
        for stat, values in _grouped_stats(ns, groups, counts).items():
            stats[f"{label}_{stat}"] = values
        stats[f"{label}_n"] = counts

    stage = stage.astype(np.int64)
    if hands is not None:
        put("hands_on", hands, stage, np.bincount(stage, minlength=n_stages))
    if waits is not None:
        known = waits >= 0
        everything = bool(known.all())
        wait = waits if everything else waits[known]
        groups = stage if everything else stage[known]
        counts = np.bincount(groups, minlength=n_stages)
        put("wait", wait, groups, counts)
        if hands is not None:
            put("lead", wait + (hands if everything else hands[known]), groups, counts)
    return stats


def _grouped_stats(ns: np.ndarray, groups: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Per group: mean and the :data:`_QUANTILES` (in seconds) of non-negative int64 ns.

    ``groups`` are int64 group codes and ``counts`` their sizes.

    Exact, without sorting or grouping the values: a histogram over the leading bits of
    each value's float64 form (order-preserving for non-negative values, and on a log
    scale, so every group gets fine buckets) finds the bucket holding each wanted rank;
    only the few values in those buckets are then partitioned.
    """
    k = len(counts)
    mean = np.full(k, np.nan)
    result = {"mean": mean, **{name: np.full(k, np.nan) for _, name in _QUANTILES}}
    if len(ns) == 0:
        return result
    # Exact sums: the low 26 bits and the rest summed apart stay below 2**53.
    low = np.bincount(groups, weights=(ns & ((1 << 26) - 1)).astype(np.float64), minlength=k)
    high = np.bincount(groups, weights=(ns >> 26).astype(np.float64), minlength=k)
    seen = counts > 0
    mean[seen] = (high[seen] * 2.0**26 + low[seen]) / counts[seen] / _NS
    # Bucket = the float's exponent and leading mantissa bits, offset to start at 0.
    # (0 joins 1 ns: any order-keeping map will do, and a 0 would stretch the range.)
    bits = (ns | 1).astype(np.float64).view(np.int64) >> 40
    lowest, highest = int(bits.min()), int(bits.max())
    while (highest - lowest + 1) * k > 1 << 22:  # keep the histogram small
        bits >>= 1
        lowest, highest = lowest >> 1, highest >> 1
    width = highest - lowest + 1
    bits -= lowest
    bits += groups * width
    hist = np.bincount(bits, minlength=k * width).reshape(k, width).cumsum(axis=1)
    wanted: list[tuple[int, int, int]] = []  # (group, bucket key, rank within the bucket)
    for g in np.flatnonzero(seen).tolist():
        m = int(counts[g])
        for q, _ in _QUANTILES:
            low_rank = math.floor((m - 1) * q)
            for rank in (low_rank, min(low_rank + 1, m - 1)):
                bucket = int(np.searchsorted(hist[g], rank, side="right"))
                before = int(hist[g, bucket - 1]) if bucket else 0
                wanted.append((g, g * width + bucket, rank - before))
    flag = np.zeros(k * width, dtype=bool)
    flag[[key for _, key, _ in wanted]] = True
    chosen = np.flatnonzero(flag[bits])
    chosen_bits, chosen_ns = bits[chosen], ns[chosen]
    picked: dict[tuple[int, int], float] = {}
    for _, key, rank in wanted:
        if (key, rank) not in picked:
            part = chosen_ns[chosen_bits == key]
            picked[key, rank] = float(np.partition(part, rank)[rank]) / _NS
    values = iter(picked[key, rank] for _, key, rank in wanted)
    for g in np.flatnonzero(seen).tolist():
        m = int(counts[g])
        for q, name in _QUANTILES:
            out = result[name]
            place = (m - 1) * q
            t = place - math.floor(place)
            a, b = next(values), next(values)
            # The same two-sided lerp as numpy, so the figures agree to the last bit.
            out[g] = b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t
    return result


def _stage_frame(stats: dict[str, np.ndarray], positions: np.ndarray, names: list[Any]) -> pd.DataFrame:
    """Per-activity arrays (indexed by activity code) as a frame in stream order."""
    by_position = np.argsort(positions)
    data: dict[str, Any] = {"position": np.arange(1, len(names) + 1)}
    for key in ("items", "visits", "rework", "rework_items", "skipped", "sent_back"):
        data[key] = np.asarray(stats[key])[by_position].astype(np.int64)
    visits = data["visits"]
    data["complete_accurate"] = np.where(visits > 0, 1 - data["sent_back"] / np.maximum(visits, 1), np.nan)
    for label in _STAT_COLUMNS:
        for stat in _FRAME_STATS:
            values = np.asarray(stats[f"{label}_{stat}"])[by_position]
            data[f"{label}_{stat}"] = values.astype(np.int64 if stat == "n" else float)
    return pd.DataFrame(data, index=pd.Index(names, name="stage"))


def _given_positions(order: Sequence[Any], act_names: list[Any]) -> np.ndarray:
    index = {name: i for i, name in enumerate(act_names)}
    missing = [name for name in order if name not in index]
    if missing:
        close = difflib.get_close_matches(str(missing[0]), [str(n) for n in act_names], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValidationError("order", missing, f"no events of stage(s) {missing} in the log{hint}")
    wanted = set(order)
    extra = [name for name in act_names if name not in wanted]
    if extra:
        raise ValidationError(
            "order",
            list(order),
            f"the log has stages not in order: {extra[:10]}; add them, or keep only the wanted stages",
        )
    positions = np.empty(len(act_names), dtype=np.int64)
    for p, name in enumerate(order):
        positions[index[name]] = p
    return positions


def _main_path_positions(
    a: np.ndarray, first_visit: np.ndarray, case_starts: np.ndarray, lengths: np.ndarray, n_acts: int
) -> np.ndarray:
    """Stream positions of the activities: the most common path of first visits first.

    Each case's path (its activities in order of first visit) is hashed; the most common
    hash wins (ties: the longer path, then the one seen first). Activities off that path
    go where their mean rank in the cases' paths puts them among the path's stages.
    """
    fa = a if first_visit.all() else a[first_visit]
    fstarts = np.cumsum(lengths) - lengths
    rank = np.arange(len(fa)) - np.repeat(fstarts, lengths)
    # Polynomial hash modulo 2**64 (numpy integer arrays wrap silently).
    steps = np.full(int(lengths.max()), 1_000_003, dtype=np.uint64)
    steps[0] = 1
    powers = np.cumprod(steps)
    hashes = np.add.reduceat((fa.astype(np.uint64) + np.uint64(1)) * powers[rank], fstarts)
    hashes ^= lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    # Distinct paths (few), numbered in order of first appearance: a hash table beats a sort.
    path_codes = pd.factorize(hashes)[0]
    running = np.maximum.accumulate(path_codes)
    first_case = np.flatnonzero(np.concatenate(([True], running[1:] > running[:-1])))
    counts = np.bincount(path_codes)
    best = np.lexsort((first_case, -lengths[first_case], -counts))[0]
    k = first_case[best]
    path = fa[fstarts[k] : fstarts[k] + lengths[k]]
    if len(path) == n_acts:
        return _positions_from_path(path, np.zeros(n_acts))  # no stage off the path to place
    seen = np.maximum(np.bincount(fa, minlength=n_acts), 1)
    mean_rank = np.bincount(fa, weights=rank, minlength=n_acts) / seen
    return _positions_from_path(path, mean_rank)


def _positions_from_path(path: np.ndarray, mean_rank: np.ndarray) -> np.ndarray:
    """Positions of all activities: the path's in its order, the others by mean rank."""
    n_acts = len(mean_rank)
    key = np.full(n_acts, np.nan)
    key[path] = np.arange(len(path))
    off = np.flatnonzero(np.isnan(key))
    # An off-path stage goes before the first path stage whose mean rank is larger.
    path_ranks = np.maximum.accumulate(mean_rank[path])
    key[off] = np.searchsorted(path_ranks, mean_rank[off], side="right") - 0.5
    ordered = np.lexsort((mean_rank, key))
    positions = np.empty(n_acts, dtype=np.int64)
    positions[ordered] = np.arange(n_acts)
    return positions


# --------------------------------------------------------------------------- the DuckDB reduction


def _quote(name: Any) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _duckdb_time(relation: Any, option: str, column: Any, kind: str) -> tuple[str, bool]:
    """SQL for a timestamp column as int64 ns since the epoch (UTC where aware)."""
    col = _quote(column)
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"epoch_ns({col})", True
    if kind.startswith("TIMESTAMP") or kind == "DATE":
        return f"epoch_ns(CAST({col} AS TIMESTAMP))", False
    if kind != "VARCHAR":
        raise ValidationError(option, column, f"column {column!r} holds {kind}, not timestamps")
    pattern = _AWARE_PATTERN.replace("(?:", "(").replace("\\d", "[0-9]").replace("\\s", "[ ]")
    aware_count, total = relation.query(
        "events",
        f"SELECT count(*) FILTER (WHERE regexp_matches({col}, '{pattern}')), count({col}) FROM events",
    ).fetchall()[0]
    aware = aware_count > 0
    if aware and aware_count < total:
        raise ValidationError(
            option,
            column,
            f"column {column!r} mixes naive times with time-zone-aware ones; "
            "give every time an offset, or none",
        )
    target = "TIMESTAMPTZ" if aware else "TIMESTAMP"
    bad = relation.query(
        "events",
        f"SELECT count(*), list({col})[1:3] FROM events "
        f"WHERE {col} IS NOT NULL AND try_cast({col} AS {target}) IS NULL",
    ).fetchall()[0]
    if bad[0]:
        raise ValidationError(
            option,
            column,
            f"{bad[0]} value(s) of column {column!r} are not timestamps, "
            f"such as {', '.join(map(repr, bad[1]))}",
        )
    return f"epoch_ns(CAST({col} AS {target}))", aware


def _reduce_duckdb(
    relation: Any,
    columns: dict[str, Any],
    order: Sequence[Any] | None,
    duplicates: str,
    steps: Progress | None = None,
) -> _Reduced:
    """Reduce a DuckDB relation inside DuckDB to one row per stage and one per case."""
    steps = steps or Progress("", False)
    steps.step("checking the log in DuckDB")
    _check_columns(list(relation.columns), columns)
    kinds = {name: str(kind) for name, kind in zip(relation.columns, relation.types, strict=True)}
    start_end = "start" in columns
    times = {}
    awareness = {}
    for option in ("start", "end"):
        if option in columns:
            times[option], awareness[option] = _duckdb_time(
                relation, option, columns[option], kinds[columns[option]]
            )
    if len(set(awareness.values())) > 1:
        raise ValidationError(
            "start", columns["start"], "the start times are naive and the end times aware (or the reverse)"
        )
    case_col, act_col = _quote(columns["case"]), _quote(columns["activity"])
    type_sql = f", CAST({_quote(columns['item_type'])} AS VARCHAR) AS t" if "item_type" in columns else ""
    start_sql = times.get("start", times["end"])
    events = (
        f"SELECT {case_col} AS c, CAST({act_col} AS VARCHAR) AS a, {start_sql} AS s, "
        f"{times['end']} AS e{type_sql} FROM events"
    )

    def query(sql: str) -> Any:
        return relation.query("events", sql)

    checks = query(
        f"SELECT count(*), count(*) FILTER (WHERE c IS NULL), count(*) FILTER (WHERE a IS NULL), "
        f"count(*) FILTER (WHERE s IS NULL), count(*) FILTER (WHERE e IS NULL), "
        f"count(*) FILTER (WHERE e < s), list(c) FILTER (WHERE e < s)[1:3] FROM ({events})"
    ).fetchall()[0]
    if checks[0] == 0:
        raise ValidationError("frame", "empty", "the event log has no events")
    for option, what, missing in (
        ("case", "case id", checks[1]),
        ("activity", "activity", checks[2]),
        ("start" if start_end else "end", "start time" if start_end else "end time", checks[3]),
        ("end", "end time", checks[4]),
    ):
        if missing:
            raise ValidationError(
                option, columns[option], f"{missing} event(s) have no {what}; drop or fill them first"
            )
    if checks[5]:
        raise ValidationError(
            "end",
            columns["end"],
            f"{checks[5]} event(s) end before they start (cases {checks[6]}); fix or drop them",
        )
    issues: list[dict[str, Any]] = []
    # Three float durations per event must fit in memory for quantile_cont; past a
    # quarter of DuckDB's memory limit the quantiles come from a sort instead.
    by_rank = checks[0] * 3 * 8 * 4 > _duckdb_memory_limit(query)
    fast = _duckdb_one_pass(
        query, events, order, steps, start_end=start_end, typed=bool(type_sql), by_rank=by_rank
    )
    if fast is not None:
        per_case, frame = fast
        return _duckdb_result(
            per_case, frame, issues, start_end=start_end, aware=awareness["end"], typed=bool(type_sql)
        )
    # Exact duplicates: found and dropped in a pass of their own (the slower way).
    dup = query(
        f"SELECT coalesce(sum(n - 1), 0), list(c)[1:3] FROM "
        f"(SELECT c, count(*) AS n FROM ({events}) GROUP BY c, a, s, e HAVING count(*) > 1)"
    ).fetchall()[0]
    if dup[0]:
        if duplicates == "raise":
            raise ValidationError(
                "duplicates", duplicates, f"{dup[0]} event(s) repeat another exactly (cases {dup[1]})"
            )
        issues.append(_issue("duplicate events", dup[0], "dropped", dup[1]))
    if dup[0]:
        # Exact duplicates go (one row per case, activity, start and end).
        source = f"SELECT c, a, s, e{', min(t) AS t' if type_sql else ''} FROM ({events}) GROUP BY c, a, s, e"
    else:
        source = events
    window = "PARTITION BY c ORDER BY s, e, a"

    def windows(position: Callable[[str], str] = lambda column: "NULL") -> str:
        # Per event: the latest end of the case's earlier events, the visit number at
        # its stage, and the stage position of the case's next event.
        return f"""
        WITH w AS (SELECT *,
            max(e) OVER ({window} ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end,
            lag(s) OVER ({window}) AS prev_s,
            row_number() OVER (PARTITION BY c, a ORDER BY s, e) AS visit,
            {position(f"lead(a) OVER ({window})")} AS next_pos,
            {position("a")} AS pos
          FROM ({source})),
        x AS (SELECT *,
            CASE WHEN prev_end IS NULL THEN s ELSE greatest(s, prev_end) END AS busy_from,
            {"(e - s) / 1e9" if start_end else "NULL::DOUBLE"} AS hands,
            {"(greatest(s, prev_end) - prev_end) / 1e9" if start_end else "NULL::DOUBLE"} AS wait,
            {"(greatest(s, prev_end) - prev_end + e - s)" if start_end else "(e - prev_end)"} / 1e9 AS lead
          FROM w)
        """

    steps.step("per-item figures in DuckDB")
    per_case = query(
        windows()
        + f"""SELECT c, min(s) AS first, max(e) AS last, count(*) AS events,
            count(*) FILTER (WHERE visit = 1) AS stages,
            sum(greatest(e - busy_from, 0)) AS active_ns,
            count(*) FILTER (WHERE s < prev_end) AS overlaps,
            count(*) FILTER (WHERE s = prev_s) AS ties,
            array_to_string(list(a ORDER BY s, e, a) FILTER (WHERE visit = 1), chr(31)) AS path
            {", arg_min(t, s) AS t, count(DISTINCT t) AS types" if type_sql else ""}
          FROM x GROUP BY c"""
    ).df()
    paths = per_case["path"].value_counts(sort=False)
    split_paths = [path.split("\x1f") for path in paths.index]
    act_names = sorted({name for path in split_paths for name in path})
    code = {name: i for i, name in enumerate(act_names)}
    path_codes = [np.array([code[a] for a in path], dtype=np.int64) for path in split_paths]
    positions, skipped = _paths_order(path_codes, paths.to_numpy(), act_names, order)
    literal = {name: "'" + name.replace("'", "''") + "'" for name in act_names}
    cases_sql = " ".join(f"WHEN {literal[n]} THEN {positions[code[n]]}" for n in act_names)
    steps.step("per-stage figures in DuckDB")
    stats = query(
        windows(lambda column: f"CASE {column} {cases_sql} END")
        + """SELECT a, count(*) AS visits, count(*) FILTER (WHERE visit = 1) AS items,
            count(*) FILTER (WHERE visit = 2) AS rework_items,
            count(*) FILTER (WHERE next_pos < pos) AS sent_back,
            quantile_cont(hands, [0.15, 0.5, 0.85]) AS hands_on_q, avg(hands) AS hands_on_mean,
            count(hands) AS hands_on_n,
            quantile_cont(wait, [0.15, 0.5, 0.85]) AS wait_q, avg(wait) AS wait_mean, count(wait) AS wait_n,
            quantile_cont(lead, [0.15, 0.5, 0.85]) AS lead_q, avg(lead) AS lead_mean, count(lead) AS lead_n
          FROM x GROUP BY a"""
    ).df()
    stats = stats.set_index("a").reindex(act_names)
    result: dict[str, np.ndarray] = {
        "visits": stats["visits"].to_numpy(),
        "items": stats["items"].to_numpy(),
        "rework_items": stats["rework_items"].to_numpy(),
        "skipped": skipped,
        "sent_back": stats["sent_back"].to_numpy(),
    }
    result["rework"] = result["visits"] - result["items"]
    _duckdb_quantiles(stats, result)
    frame = _stage_frame(result, positions, [act_names[i] for i in np.argsort(positions)])
    return _duckdb_result(
        per_case, frame, issues, start_end=start_end, aware=awareness["end"], typed=bool(type_sql)
    )


def _duckdb_one_pass(
    query: Callable[[str], Any],
    events: str,
    order: Sequence[Any] | None,
    steps: Progress,
    *,
    start_end: bool,
    typed: bool,
    by_rank: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """One row per case and the stage frame, from one window pass; ``None`` if the log
    has exact duplicates (the caller then drops them first).

    Case ids are numbered (a hash join) and stages coded as small integers before the
    window, so that DuckDB sorts integers, not text; every per-event figure comes out of
    one window over one sort, and the three aggregates (per case, per stage, per move
    from one stage to the next) read it once, from a materialised CTE.
    """
    steps.step("numbering cases and stages in DuckDB")
    act_names = sorted(row[0] for row in query(f"SELECT DISTINCT a FROM ({events})").fetchall())
    n_acts = len(act_names)
    literal = ", ".join(
        "(" + "'" + name.replace("'", "''") + "'" + f", {i})" for i, name in enumerate(act_names)
    )
    bits = n_acts <= 64
    # With at most 9 stages a path fits one word: 7 bits per stage code, in visit order.
    packed_path = n_acts <= 9
    bit = "(1::UBIGINT << a::UBIGINT)"  # UBIGINT throughout: an INTEGER shift widens to HUGEINT
    if bits:
        # One bit per stage: a visit is the first of its stage unless the bit was set before.
        seen = f"coalesce(bit_or({bit}) OVER before, 0::UBIGINT)"
        window_extra = f"{seen} AS seen,"
        first = "((seen >> a::UBIGINT) & 1::UBIGINT) = 0"
        revisits = f"bit_or({bit}) FILTER (WHERE NOT is_first) AS revisited,"
        rework_items = ""
    else:
        window_extra = ""
        first = "row_number() OVER (PARTITION BY k, a ORDER BY s, e) = 1"
        revisits = ""
        rework_items = "count(DISTINCT k) FILTER (WHERE NOT is_first) AS rework_items,"
    if packed_path:
        # The rank of a first visit is how many stages the item saw before it.
        path = "bit_or((a + 1)::UBIGINT << (7 * bit_count(seen))::UBIGINT) FILTER (WHERE is_first) AS path"
    else:
        path = "array_to_string(list(a ORDER BY s, e, a) FILTER (WHERE is_first), ',') AS path"
    type_col = ", t" if typed else ""
    hands = "(e - s) / 1e9" if start_end else "NULL::DOUBLE"
    wait = "(greatest(s, prev_end) - prev_end) / 1e9" if start_end else "NULL::DOUBLE"
    lead = "(greatest(s, prev_end) - prev_end + e - s)" if start_end else "(e - prev_end)"
    if by_rank:
        # Exact quantiles by a sort, which DuckDB spills to disk, at the ranks they need.
        ranks = ", ".join(f"floor((n - 1)::DOUBLE * {q}) + {d}" for q, _ in _QUANTILES for d in (0, 1))
        quantiles = ""
        picks = f""",
    figures AS (
      SELECT 'hands_on' AS figure, a, hands AS v FROM x WHERE hands IS NOT NULL
      UNION ALL SELECT 'wait', a, wait FROM x WHERE wait IS NOT NULL
      UNION ALL SELECT 'lead', a, lead FROM x WHERE lead IS NOT NULL),
    ranked AS (
      SELECT figure, a, v, row_number() OVER (p ORDER BY v) - 1 AS r, count(*) OVER p AS n
      FROM figures WINDOW p AS (PARTITION BY figure, a)),
    picks AS (SELECT figure, a, r, v FROM ranked WHERE r IN ({ranks}))"""
    else:
        # quantile_cont holds a stage's values in memory: fast while they fit.
        quantiles = (
            ", ".join(
                f"quantile_cont({column}, [{', '.join(str(q) for q, _ in _QUANTILES)}]) AS {label}_q"
                for column, label in (("hands", "hands_on"), ("wait", "wait"), ("lead", "lead"))
            )
            + ","
        )
        picks = ""
    steps.step("one pass over the events in DuckDB")
    sql = f"""
    WITH ev AS (SELECT * FROM ({events})),
    keys AS MATERIALIZED (SELECT c, (row_number() OVER ()) - 1 AS k FROM (SELECT DISTINCT c FROM ev)),
    acts(name, code) AS (VALUES {literal}),
    coded AS (SELECT k, acts.code::INTEGER AS a, s, e{type_col}
              FROM ev JOIN keys USING (c) JOIN acts ON ev.a = acts.name),
    w AS (SELECT *,
          max(e) OVER before AS prev_end,
          lag(s) OVER v AS prev_s,
          (lag(s) OVER v = s AND lag(e) OVER v = e AND lag(a) OVER v = a) AS dup,
          {window_extra}
          lead(a) OVER v AS next_a
        FROM coded
        WINDOW v AS (PARTITION BY k ORDER BY s, e, a),
               before AS (v ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
    x AS MATERIALIZED (
      SELECT *, {first} AS is_first,
        CASE WHEN prev_end IS NULL THEN s ELSE greatest(s, prev_end) END AS busy_from,
        {hands} AS hands, {wait} AS wait, {lead} / 1e9 AS lead
      FROM w),
    per_case AS (
      SELECT k, min(s) AS first, max(e) AS last, count(*) AS events,
        count(*) FILTER (WHERE is_first) AS stages,
        sum(greatest(e - busy_from, 0)) AS active_ns,
        count(*) FILTER (WHERE s < prev_end) AS overlaps,
        count(*) FILTER (WHERE s = prev_s) AS ties,
        count(*) FILTER (WHERE dup) AS dups,
        {revisits}
        {path}
        {", arg_min(t, s) AS t, count(DISTINCT t) AS types" if typed else ""}
      FROM x GROUP BY k),
    per_stage AS (
      SELECT a, count(*) AS visits, count(*) FILTER (WHERE is_first) AS items,
        {rework_items}
        {quantiles}
        avg(hands) AS hands_on_mean, count(hands) AS hands_on_n,
        avg(wait) AS wait_mean, count(wait) AS wait_n,
        avg(lead) AS lead_mean, count(lead) AS lead_n
      FROM x GROUP BY a),
    moves AS (SELECT a, next_a, count(*) AS moves FROM x WHERE next_a IS NOT NULL GROUP BY a, next_a)
    {picks}
    SELECT 'case' AS kind, per_case.*, keys.c FROM per_case JOIN keys USING (k)
    UNION ALL BY NAME SELECT 'stage' AS kind, * FROM per_stage
    UNION ALL BY NAME SELECT 'move' AS kind, * FROM moves
    {"UNION ALL BY NAME SELECT 'pick' AS kind, * FROM picks" if by_rank else ""}
    """
    import pyarrow.compute as pc

    # Split in arrow: the per-case rows (the bulk) become pandas without the per-stage columns.
    case_columns = ["first", "last", "events", "stages", "active_ns", "overlaps", "ties", "dups", "path", "c"]
    case_columns += ["revisited"] if bits else []
    case_columns += ["t", "types"] if typed else []
    # Read batch by batch: the per-case rows (the bulk) keep only their own columns, so a
    # log of many items does not hold every result column for every row at once.
    import pyarrow as pa

    case_parts: list[Any] = []
    other_parts: list[Any] = []
    result = query(sql)
    # DuckDB 2 names it to_arrow_reader; 1.x has fetch_record_batch (deprecated in 2).
    reader = getattr(result, "to_arrow_reader", None) or result.fetch_record_batch
    for batch in reader(1 << 20):
        is_case = pc.equal(batch.column("kind"), "case")
        case_parts.append(batch.filter(is_case).select(case_columns))
        rest = batch.filter(pc.invert(is_case))
        if rest.num_rows:
            other_parts.append(rest)
    per_case = pa.Table.from_batches(case_parts).to_pandas(self_destruct=True)
    del case_parts
    table = pa.Table.from_batches(other_parts) if other_parts else None
    kind = table.column("kind") if table is not None else pa.array([], pa.string())
    if per_case["dups"].sum():
        return None
    steps.step("stage order and statistics")
    assert table is not None  # a log with events has stages
    stats = table.filter(pc.equal(kind, "stage")).drop_columns(case_columns).to_pandas().set_index("a")
    stats.index = stats.index.astype(np.int64)
    stats = stats.reindex(range(n_acts))
    moves = table.filter(pc.equal(kind, "move")).select(["a", "next_a", "moves"]).to_pandas()
    if by_rank:
        _picked_quantiles(
            table.filter(pc.equal(kind, "pick")).select(["figure", "a", "r", "v"]).to_pandas(), stats
        )
    del table
    paths = per_case["path"].value_counts(sort=False)
    if packed_path:
        path_codes = [_unpacked_path(int(code)) for code in paths.index]
    else:
        path_codes = [np.array([int(v) for v in path.split(",")], dtype=np.int64) for path in paths.index]
    if bits:
        # Items that came back to a stage, from the distinct masks of revisited stages.
        masks = per_case["revisited"].dropna().astype(np.uint64).value_counts(sort=False)
        mask_bits = (masks.index.to_numpy(dtype=np.uint64)[:, None] >> np.arange(n_acts, dtype=np.uint64)) & 1
        stats["rework_items"] = (mask_bits * masks.to_numpy()[:, None]).sum(axis=0)
    positions, skipped = _paths_order(path_codes, paths.to_numpy(), act_names, order)
    src = moves["a"].to_numpy(dtype=np.int64)
    dst = moves["next_a"].to_numpy(dtype=np.int64)
    back = positions[dst] < positions[src]
    sent_back = np.bincount(src[back], weights=moves["moves"].to_numpy(dtype=float)[back], minlength=n_acts)
    result: dict[str, np.ndarray] = {
        "visits": stats["visits"].fillna(0).to_numpy(dtype=np.int64),
        "items": stats["items"].fillna(0).to_numpy(dtype=np.int64),
        "rework_items": stats["rework_items"].fillna(0).to_numpy(dtype=np.int64),
        "skipped": skipped,
        "sent_back": sent_back.astype(np.int64),
    }
    result["rework"] = result["visits"] - result["items"]
    _duckdb_quantiles(stats, result)
    frame = _stage_frame(result, positions, [act_names[i] for i in np.argsort(positions)])
    return per_case, frame


def _duckdb_memory_limit(query: Callable[[str], Any]) -> float:
    """DuckDB's memory limit in bytes (``current_setting('memory_limit')``, such as '1.8 GiB')."""
    text = str(query("SELECT current_setting('memory_limit')").fetchall()[0][0])
    match = re.match(r"\s*([\d.]+)\s*([KMGT]?i?B|bytes)?", text)
    if not match:
        return math.inf
    scale = {"": 1, "bytes": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}
    scale |= {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
    return float(match.group(1)) * scale.get(match.group(2) or "", 1)


def _picked_quantiles(picks: pd.DataFrame, stats: pd.DataFrame) -> None:
    """Each stage's quantiles from the values DuckDB picked at the ranks they need.

    Exact quantiles by a sort (which DuckDB can spill to disk) rather than by
    ``quantile_cont``, which holds every value of a group in memory. ``picks`` has the
    values at ranks floor((n - 1) q) and the one after, per figure and stage.
    """
    value = {(f, int(a), int(r)): float(v) for f, a, r, v in picks.itertuples(index=False)}
    for label in _STAT_COLUMNS:
        column = []
        for a, n in zip(stats.index, stats[f"{label}_n"].fillna(0).astype(int), strict=True):
            if n == 0:
                column.append(None)
                continue
            found = []
            for q, _ in _QUANTILES:
                place = (n - 1) * q
                low = math.floor(place)
                t = place - low
                x, y = value[label, int(a), low], value[label, int(a), min(low + 1, n - 1)]
                # The same two-sided lerp as numpy, so the figures agree to the last bit.
                found.append(y - (y - x) * (1 - t) if t >= 0.5 else x + (y - x) * t)
            column.append(found)
        stats[f"{label}_q"] = column


def _paths_order(
    path_codes: list[np.ndarray], counts: np.ndarray, act_names: list[Any], order: Sequence[Any] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Stage positions and skips from the distinct paths (stage codes) and their counts.

    The most common path wins (ties: the longer, then the first by stage names); stages
    off it go by their mean rank. One pass per distinct path, not per event.
    """
    n_acts = len(act_names)
    if order is None:
        rank_sum = np.zeros(n_acts)
        visits = np.zeros(n_acts)
        for codes, count in zip(path_codes, counts, strict=True):
            rank_sum[codes] += np.arange(len(codes)) * count
            visits[codes] += count
        lengths = np.array([len(p) for p in path_codes])
        texts = np.array(["\x1f".join(act_names[c] for c in codes) for codes in path_codes], dtype=object)
        best = np.lexsort((texts, -lengths, -counts))[0]
        positions = _positions_from_path(path_codes[best], rank_sum / np.maximum(visits, 1))
    else:
        positions = _given_positions([str(name) for name in order], act_names)
    skipped = np.zeros(n_acts, dtype=np.int64)
    for codes, count in zip(path_codes, counts, strict=True):
        visited = np.zeros(n_acts, dtype=bool)
        visited[codes] = True
        skipped += (~visited & (positions < positions[codes].max())) * count
    return positions, skipped


def _unpacked_path(code: int) -> np.ndarray:
    """The stage codes of a path packed 7 bits a stage (code + 1), first stage lowest."""
    stages = []
    while code:
        stages.append((code & 127) - 1)
        code >>= 7
    return np.array(stages, dtype=np.int64)


def _duckdb_quantiles(stats: pd.DataFrame, result: dict[str, np.ndarray]) -> None:
    """The per-stage quantile lists, means and counts of DuckDB's result into ``result``."""
    for label in _STAT_COLUMNS:
        quantiles = [
            q if isinstance(q, (list, np.ndarray)) else (np.nan,) * len(_QUANTILES)
            for q in stats[f"{label}_q"]
        ]
        table = np.array([[np.nan if v is None else v for v in q] for q in quantiles], dtype=float).reshape(
            -1, len(_QUANTILES)
        )
        for column, (_, name) in enumerate(_QUANTILES):
            result[f"{label}_{name}"] = table[:, column]
        result[f"{label}_mean"] = stats[f"{label}_mean"].to_numpy(dtype=float)
        result[f"{label}_n"] = stats[f"{label}_n"].fillna(0).to_numpy(dtype=np.int64)


def _duckdb_result(
    per_case: pd.DataFrame,
    frame: pd.DataFrame,
    issues: list[dict[str, Any]],
    *,
    start_end: bool,
    aware: bool,
    typed: bool,
) -> _Reduced:
    """The reduction from DuckDB's one row per case and the stage frame."""
    case_ids = per_case["c"].to_numpy()
    events_per_case = per_case["events"].to_numpy(dtype=np.int64)
    for column, issue, action in (
        (
            "ties",
            "events of one item at the same moment",
            "ordered by end time, then activity" if start_end else "ordered by activity",
        ),
        (
            "overlaps",
            "events starting before earlier work of the item ended",
            "wait counted as zero; active time is the union of the intervals",
        ),
    ):
        found = per_case[column].to_numpy() > 0
        if found.any():
            issues.append(
                _issue(issue, int(per_case[column].sum()), action, case_ids[found][:_EXAMPLES].tolist())
            )
    case_type = None
    if typed:
        case_type = per_case["t"].to_numpy(dtype=object)
        mixed = per_case["types"].to_numpy() > 1
        if mixed.any():
            issues.append(
                _issue(
                    "items with more than one type",
                    int(mixed.sum()),
                    "the type of the item's first event is used",
                    case_ids[mixed][:_EXAMPLES].tolist(),
                )
            )
    single = events_per_case == 1
    if single.any():
        action = (
            "kept: hands-on time and flow time known, no wait"
            if start_end
            else "no flow time (one timestamp gives no duration); left out of flow times"
        )
        issues.append(
            _issue("items with one event", int(single.sum()), action, case_ids[single][:_EXAMPLES].tolist())
        )
    return _Reduced(
        start_end=start_end,
        aware=aware,
        stages=frame,
        case_ids=lambda: case_ids,
        case_first=per_case["first"].to_numpy(dtype=np.int64),
        case_last=per_case["last"].to_numpy(dtype=np.int64),
        case_events=events_per_case,
        case_stages=per_case["stages"].to_numpy(dtype=np.int64),
        case_active=per_case["active_ns"].to_numpy(dtype=float) / _NS
        if start_end
        else np.full(len(per_case), np.nan),
        case_type=case_type,
        issues=issues,
    )
