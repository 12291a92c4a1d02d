"""What a simulation gives back: lead times per item, figures with confidence intervals,
utilisation, queues over time, and current against future state.

Every figure is measured per replication over one window, from the arrival of the first
item after the warm-up to the last arrival (``T0`` to ``T1``; where every item arrives at
once, to the last departure):

- lead times: departure minus arrival of each item after the warm-up;
- throughput per day: the departures within the window, less one, over the time from the
  first of them to the last, times the working day;
- WIP: the time average of the items in the line (arrived, not departed) over the window;
- utilisation of a step: the time its stations work (service, changeovers, repairs; not
  blocked time) within the window / (stations x the time the step works in it);
- the queue of a gap: the items in it (left the step before, not yet started at the step
  after; waiting for a batch counts), as a time average and, for the first replication,
  over time.

:meth:`SimulationResult.summary` gives each headline figure as the mean of the
replications' figures with a confidence interval (Student's t over the replications).
All durations are seconds of the calendar's working time.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.display import Display
from .engine import Run, clock_of
from .line import Line
from .stats import interval

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..core.model import MapState

__all__ = ["SUMMARY_KEYS", "Estimate", "SimulationComparison", "SimulationResult", "Summary", "histogram_svg"]

#: The headline figures of :meth:`SimulationResult.summary`, in order.
SUMMARY_KEYS = (
    "lead_time_p50",
    "lead_time_p85",
    "lead_time_p95",
    "lead_time_mean",
    "throughput_per_day",
    "wip_mean",
)
_LABELS = {
    "lead_time_p50": "Lead time, median",
    "lead_time_p85": "Lead time, 85th percentile",
    "lead_time_p95": "Lead time, 95th percentile",
    "lead_time_mean": "Lead time, mean",
    "throughput_per_day": "Throughput per working day",
    "wip_mean": "WIP (items in the line), mean",
}
_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.85, 0.9, 0.95, 0.99)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure over replications: ``value`` (their mean) within ``low`` to ``high`` at
    ``confidence``. ``low`` and ``high`` are NaN with a single replication.
    ``kind`` is ``"duration"`` (seconds), ``"rate"`` (items per working day),
    ``"count"`` (items) or ``"share"`` (0 to 1).
    """

    value: float
    low: float
    high: float
    confidence: float
    kind: str

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN without an interval)."""
        return (self.high - self.low) / 2

    def __float__(self) -> float:
        return float(self.value)

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the interval (ends included)."""
        return bool(self.low <= value <= self.high)

    def text(self, display: Display | None = None) -> str:
        """``"3.2 h (3.1 h to 3.3 h)"``, in the map's display rule."""
        display = display or Display()
        show = {
            "duration": display.lead,
            "rate": display.number,
            "count": display.number,
            "share": display.share,
        }[self.kind]
        if math.isnan(self.low) or self.low == self.high:
            return show(self.value)
        return f"{show(self.value)} ({show(self.low)} to {show(self.high)})"

    def to_dict(self) -> dict[str, Any]:
        """Plain data; NaN and infinity become None."""
        return {
            "value": _plain(self.value),
            "low": _plain(self.low),
            "high": _plain(self.high),
            "confidence": self.confidence,
            "kind": self.kind,
        }


def _plain(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


class Summary(Mapping[str, Estimate]):
    """The headline figures of a simulation (see :data:`SUMMARY_KEYS`), each an
    :class:`Estimate` with its confidence interval.
    """

    def __init__(self, figures: dict[str, Estimate], display: Display, replications: int) -> None:
        self._figures = figures
        self._display = display
        self._replications = replications

    def __getitem__(self, key: str) -> Estimate:
        return self._figures[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._figures)

    def __len__(self) -> int:
        return len(self._figures)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain, JSON-ready data (seconds, items per day, items)."""
        return {key: estimate.to_dict() for key, estimate in self._figures.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per figure: value, low, high (base units), and the text shown."""
        import pandas as pd

        rows = [
            {
                "figure": key,
                "label": _LABELS.get(key, key),
                "value": e.value,
                "low": e.low,
                "high": e.high,
                "text": e.text(self._display),
            }
            for key, e in self._figures.items()
        ]
        return pd.DataFrame(rows).set_index("figure")

    def _rows(self) -> list[tuple[str, str]]:
        return [(_LABELS.get(k, k), e.text(self._display)) for k, e in self._figures.items()]

    def __repr__(self) -> str:
        confidence = next(iter(self._figures.values())).confidence
        head = f"Simulated, {self._replications} replications, {confidence:.0%} intervals:"
        width = max(len(label) for label, _ in self._rows())
        return "\n".join([head, *(f"  {label:<{width}}  {text}" for label, text in self._rows())])

    def _repr_html_(self) -> str:
        return _table(self._rows())


def _table(rows: list[tuple[str, str]], header: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f'<table class="vsm-sim-table">{thead}<tbody>{body}</tbody></table>'


# --------------------------------------------------------------------------- per replication


@dataclass(frozen=True, slots=True)
class _Replication:
    """The figures of one replication."""

    lead: np.ndarray  # lead times of the items after the warm-up, by arrival
    figures: dict[str, float]
    utilisation: np.ndarray  # per station
    wait: np.ndarray  # per station: mean time in the gap before it, items after the warm-up
    passes: np.ndarray  # per station: mean visits per item after the warm-up (rework: above 1)
    queue: dict[str, float]  # per gap id: time-average content


def _overlap(start: np.ndarray, end: np.ndarray, low: float, high: float) -> float:
    """Total length of the intervals ``[start, end]`` within ``[low, high]``."""
    return float(np.clip(np.minimum(end, high) - np.maximum(start, low), 0, None).sum())


def measure(run: Run, line: Line, warmup: int) -> _Replication:
    """The figures of one replication (see the module's docstring for each definition)."""
    arrival, departure = run.arrival, run.departure
    t0 = float(arrival[warmup])
    t1 = float(arrival[-1])
    if t1 <= t0:
        t1 = float(departure.max())
    length = t1 - t0
    lead = departure[warmup:] - arrival[warmup:]
    p50, p85, p95 = np.quantile(lead, (0.5, 0.85, 0.95))
    inside = np.sort(departure[(departure >= t0) & (departure <= t1)])
    # Departures per time between the first and the last in the window: exact for a
    # steady output (k departures d apart give 1 / d), unlike a count over the window.
    span = float(inside[-1] - inside[0]) if len(inside) > 1 else 0.0
    figures = {
        "lead_time_p50": float(p50),
        "lead_time_p85": float(p85),
        "lead_time_p95": float(p95),
        "lead_time_mean": float(lead.mean()),
        "throughput_per_day": (len(inside) - 1) / span * line.day if span > 0 else math.nan,
        "wip_mean": _overlap(arrival, departure, t0, t1) / length if length > 0 else math.nan,
    }
    utilisation = []
    waits = []
    passes: list[float] = []
    for station, result in zip(line.stations, run.stations, strict=True):
        clock = clock_of(station, line)
        low, high = (float(v) for v in clock.own(np.array([t0, t1])))
        busy = _overlap(result.busy_start, result.busy_end, low, high)
        utilisation.append(busy / (station.servers * (high - low)) if high > low else math.nan)
        waits.append(float((result.start[warmup:] - result.enter[warmup:]).mean()))
        passes.append(1.0 if result.visits is None else float(result.visits[warmup:].mean()))
    queue = {
        gap: _overlap(enter, leave, t0, t1) / length if length else 0.0
        for gap, (enter, leave) in run.lanes.items()
    }
    return _Replication(lead, figures, np.asarray(utilisation), np.asarray(waits), np.asarray(passes), queue)


def _queue_series(run: Run, line: Line) -> dict[str, pd.Series]:
    """Per gap, the items in it after every change (first replication): a step function."""
    import pandas as pd

    series = {}
    for gap, (enter, start) in run.lanes.items():
        times = np.concatenate([enter, start])
        steps = np.concatenate([np.ones(len(enter)), -np.ones(len(start))])
        # At one instant, leaving before entering: the count after all of its changes.
        order = np.lexsort((steps, times))
        times, counts = times[order], np.cumsum(steps[order])
        last = np.append(times[1:] != times[:-1], True)
        series[gap] = pd.Series(
            counts[last].astype(int), index=pd.Index(times[last], name="time (s)"), name=gap
        )
    return series


# --------------------------------------------------------------------------- the result


class SimulationResult:
    """A simulation of a map: see :func:`vsm_widget.simulation.simulate`.

    Durations are seconds of the calendar's working time; a day is the working day
    (:attr:`day`). The seed is kept: the same map, options and seed give the same result.
    """

    def __init__(
        self,
        state: MapState,
        line: Line,
        replications: list[_Replication],
        first: Run,
        *,
        seed: int,
        items: int,
        warmup: int,
        arrivals: str,
        options: dict[str, Any],
        static_lead_time: float,
    ) -> None:
        self.state = state
        self.line = line
        self._replications = replications
        self._first = first
        #: The seed the random streams came from (give it again to repeat this result).
        self.seed = seed
        #: Items per replication, the warm-up among them.
        self.items = items
        #: Items left out of every figure at the start of each replication (the line fills).
        self.warmup = warmup
        #: How items arrived: ``"poisson"``, ``"takt"``, a distribution, or ``"series"``.
        self.arrivals = arrivals
        #: The options the simulation ran with (to run it again, or what-if).
        self.options = options
        #: The map's static lead time (s), from its figures: for comparison.
        self.static_lead_time = static_lead_time
        #: Seconds in one working day: the calendar's available time per day.
        self.day = line.day
        self.display = Display(line.day, "working").resolve(static_lead_time, None)
        self._queue: dict[str, pd.Series] | None = None
        self._lead_times: pd.Series | None = None

    # ----------------------------------------------------------------- figures

    @property
    def replications(self) -> int:
        """How many independent runs were made."""
        return len(self._replications)

    @property
    def assumptions(self) -> tuple[str, ...]:
        """How the map's fields were read: the model the figures come from."""
        return self.line.assumptions

    @property
    def warnings(self) -> tuple[str, ...]:
        """What the figures need read with care: an unstable step, a bound not simulated."""
        found = list(self.line.warnings)
        arrival_rate = self._arrival_rate()
        for index, station in enumerate(self.line.stations):
            load = np.nanmean([r.utilisation[index] for r in self._replications])
            offered = (
                arrival_rate * station.passes * station.mean_work / station.servers / station.working_share
            )
            if offered >= 1 or load > 0.995:
                found.append(
                    f"{station.name} is loaded at {max(offered, load):.0%}: its queue grows all run "
                    "long, so its figures depend on the run's length"
                )
        return tuple(found)

    def _arrival_rate(self) -> float:
        arrival = self._first.arrival
        span = float(arrival[-1] - arrival[0])
        return (len(arrival) - 1) / span if span > 0 else 0.0

    def summary(self, confidence: float = 0.95) -> Summary:
        """The headline figures with ``confidence`` intervals over the replications."""
        if isinstance(confidence, bool) or not isinstance(confidence, float) or not 0.5 <= confidence < 1:
            from ..core.model import ValidationError

            raise ValidationError("confidence", confidence, "give a share from 0.5 to 0.999, e.g. 0.95")
        kinds = {"throughput_per_day": "rate", "wip_mean": "count"}
        figures = {}
        for key in SUMMARY_KEYS:
            values = [r.figures[key] for r in self._replications]
            mean, low, high = interval(values, confidence)
            figures[key] = Estimate(mean, low, high, confidence, kinds.get(key, "duration"))
        return Summary(figures, self.display, self.replications)

    def within(self, promise: Any, confidence: float = 0.95) -> Estimate:
        """The share of items whose lead time is at most ``promise`` (a duration: ``"2 d"``
        is two working days), over the replications.
        """
        from ..core import units
        from ..core.model import ValidationError

        try:
            seconds = units.parse_duration(promise, day=self.day)
        except units.UnitError as error:
            raise ValidationError("promise", promise, str(error)) from None
        values = [float(np.mean(r.lead <= seconds)) for r in self._replications]
        return Estimate(*interval(values, confidence), confidence, "share")

    @property
    def lead_times(self) -> pd.Series:
        """Every item's lead time (s) after the warm-up, indexed by (replication, item)."""
        if self._lead_times is None:
            import pandas as pd

            leads = [r.lead for r in self._replications]
            index = pd.MultiIndex.from_arrays(
                [
                    np.repeat(np.arange(len(leads)), [len(x) for x in leads]),
                    np.concatenate([np.arange(self.warmup, self.warmup + len(x)) for x in leads]),
                ],
                names=["replication", "item"],
            )
            self._lead_times = pd.Series(np.concatenate(leads), index=index, name="lead_time")
        return self._lead_times

    def quantiles(self, shares: tuple[float, ...] = _QUANTILES) -> pd.Series:
        """Lead-time quantiles (s) over every item of every replication after the warm-up."""
        import pandas as pd

        values = np.quantile(np.concatenate([r.lead for r in self._replications]), shares)
        return pd.Series(values, index=pd.Index(shares, name="share"), name="lead_time")

    @property
    def utilisation(self) -> pd.Series:
        """The share of time each step's stations work, by step name (mean of replications)."""
        import pandas as pd

        values = np.mean([r.utilisation for r in self._replications], axis=0)
        return pd.Series(
            values, index=pd.Index([s.name for s in self.line.stations], name="step"), name="utilisation"
        )

    def utilisation_estimates(self, confidence: float = 0.95) -> dict[str, Estimate]:
        """Each step's utilisation with its interval over the replications, by step name."""
        return {
            station.name: Estimate(
                *interval([r.utilisation[index] for r in self._replications], confidence), confidence, "share"
            )
            for index, station in enumerate(self.line.stations)
        }

    def items_frame(self) -> pd.DataFrame:
        """The first replication's items: arrival, departure and lead time (s), by item."""
        import pandas as pd

        run = self._first
        return pd.DataFrame(
            {"arrival": run.arrival, "departure": run.departure, "lead_time": run.departure - run.arrival},
            index=pd.RangeIndex(len(run.arrival), name="item"),
        )

    @property
    def queue(self) -> dict[str, pd.Series]:
        """Per gap id, the items in it over time (first replication): a step function,
        the count after each change.
        """
        if self._queue is None:
            self._queue = _queue_series(self._first, self.line)
        return self._queue

    def queue_frame(self, points: int = 200) -> pd.DataFrame:
        """The queues of :attr:`queue` sampled at ``points`` even times, one column a gap."""
        import pandas as pd

        end = float(self._first.departure.max())
        times = np.linspace(0.0, end, points)
        columns = {}
        for gap, series in self.queue.items():
            where = np.searchsorted(series.index.to_numpy(), times, side="right") - 1
            columns[gap] = np.where(where >= 0, series.to_numpy()[np.maximum(where, 0)], 0)
        return pd.DataFrame(columns, index=pd.Index(times, name="time (s)"))

    @property
    def steps(self) -> pd.DataFrame:
        """Per step: stations, utilisation, mean wait in the gap before it (s, an item's
        first visit), mean passes per item (above 1 inside a rework loop), the simulated
        uptime model's mean time between failures (s).
        """
        import pandas as pd

        waits = np.mean([r.wait for r in self._replications], axis=0)
        passes = np.mean([r.passes for r in self._replications], axis=0)
        rows = [
            {
                "id": s.id,
                "step": s.name,
                "stations": s.servers,
                "batch": s.batch,
                "utilisation": u,
                "wait_before": w,
                "passes": p,
                "mtbf": s.mtbf,
            }
            for s, u, w, p in zip(self.line.stations, self.utilisation, waits, passes, strict=True)
        ]
        return pd.DataFrame(rows).set_index("id")

    @property
    def gaps(self) -> pd.DataFrame:
        """Per gap: its lane limit and its mean content (items, mean of replications)."""
        import pandas as pd

        limits = {
            way.link.gap: way.link.limit
            for ways in self.line.inputs
            for way in ways
            if way.link.gap is not None
        }
        if self.line.after.gap is not None:
            limits[self.line.after.gap] = None
        rows = [
            {
                "id": gap,
                "limit": limit,
                "queue_mean": float(np.mean([r.queue[gap] for r in self._replications])),
                "queue_max": int(self.queue[gap].max()) if len(self.queue[gap]) else 0,
            }
            for gap, limit in limits.items()
        ]
        return pd.DataFrame(rows, columns=["id", "limit", "queue_mean", "queue_max"]).set_index("id")

    def to_frame(self) -> pd.DataFrame:
        """The headline figures of each replication, one row per replication."""
        import pandas as pd

        return pd.DataFrame(
            [r.figures for r in self._replications],
            index=pd.RangeIndex(self.replications, name="replication"),
        )

    def compare(self, other: SimulationResult, confidence: float = 0.95) -> SimulationComparison:
        """Compare this result (the current state, say) with ``other`` (the future state)."""
        if not isinstance(other, SimulationResult):
            from ..core.model import ValidationError

            raise ValidationError("other", other, "compare with another simulation result")
        return SimulationComparison(self, other, confidence)

    # ----------------------------------------------------------------- display

    def _heading(self) -> str:
        return (
            f"{self.state.title}: {self.replications} x {self.items:,} items, arrivals {self.arrivals}, "
            f"warm-up {self.warmup:,} items, uptime as {self.line.uptime_model}, seed {self.seed}"
        )

    def __repr__(self) -> str:
        summary = self.summary()
        lines = [f"<SimulationResult {self._heading()}>", *repr(summary).splitlines()[1:]]
        lines.append(
            f"  {'Static lead time (the map)':<{max(len(v) for v in _LABELS.values())}}  "
            f"{self.display.lead(self.static_lead_time)}"
        )
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        summary = self.summary()
        rows = [*summary._rows(), ("Static lead time (the map)", self.display.lead(self.static_lead_time))]
        warnings = "".join(f"<p>{html.escape(w)}</p>" for w in self.warnings)
        chart = histogram_svg([self], self.display, mark=self.static_lead_time)
        return (
            f'<div class="vsm-simulation"><p>{html.escape(self._heading())}</p>{chart}'
            f"{_table(rows, ('Figure', f'Value ({summary[SUMMARY_KEYS[0]].confidence:.0%} interval)'))}"
            f"{warnings}</div>"
        )


# --------------------------------------------------------------------------- comparison


class SimulationComparison:
    """Two simulations side by side: each headline figure before, after and its change,
    with an interval for the change, and both lead-time distributions.

    Where both ran with the same seed and replications, the change is measured per
    replication (paired: they drew the same customers), else as a difference of means.
    """

    def __init__(self, before: SimulationResult, after: SimulationResult, confidence: float) -> None:
        self.before = before
        self.after = after
        self.confidence = confidence
        self.paired = before.seed == after.seed and before.replications == after.replications

    def change(self, key: str) -> Estimate:
        """``after - before`` of one headline figure, with its interval."""
        first = [r.figures[key] for r in self.before._replications]
        second = [r.figures[key] for r in self.after._replications]
        kind = self.before.summary(self.confidence)[key].kind
        if self.paired:
            return Estimate(
                *interval([b - a for a, b in zip(first, second, strict=True)], self.confidence),
                self.confidence,
                kind,
            )
        a, b = interval(first, self.confidence), interval(second, self.confidence)
        half = math.hypot((a[2] - a[1]) / 2, (b[2] - b[1]) / 2)
        middle = b[0] - a[0]
        return Estimate(middle, middle - half, middle + half, self.confidence, kind)

    def to_frame(self) -> pd.DataFrame:
        """One row per headline figure: before, after, change and its interval (base units)."""
        import pandas as pd

        before, after = self.before.summary(self.confidence), self.after.summary(self.confidence)
        rows = []
        for key in SUMMARY_KEYS:
            change = self.change(key)
            rows.append(
                {
                    "figure": key,
                    "label": _LABELS[key],
                    "before": before[key].value,
                    "after": after[key].value,
                    "change": change.value,
                    "change_low": change.low,
                    "change_high": change.high,
                    "clear": not change.contains(0.0) if not math.isnan(change.low) else None,
                }
            )
        return pd.DataFrame(rows).set_index("figure")

    def quantiles(self) -> pd.DataFrame:
        """Lead-time quantiles (s) of both, one column each: the two distributions."""
        import pandas as pd

        return pd.DataFrame({"before": self.before.quantiles(), "after": self.after.quantiles()})

    def _rows(self) -> list[tuple[str, str, str, str]]:
        display = self.before.display
        before, after = self.before.summary(self.confidence), self.after.summary(self.confidence)
        rows = []
        for key in SUMMARY_KEYS:
            change = self.change(key)
            sign = "" if change.value < 0 or math.isnan(change.value) else "+"
            text = f"{sign}{Estimate(change.value, math.nan, math.nan, 0, change.kind).text(display)}"
            if not math.isnan(change.low):
                ends = (
                    Estimate(change.low, math.nan, math.nan, 0, change.kind),
                    Estimate(change.high, math.nan, math.nan, 0, change.kind),
                )
                text += f" ({ends[0].text(display)} to {ends[1].text(display)})"
            rows.append((_LABELS[key], before[key].text(display), after[key].text(display), text))
        return rows

    def __repr__(self) -> str:
        rows = [("", self.before.state.title, self.after.state.title, "change"), *self._rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        body = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
        how = "paired by replication" if self.paired else "difference of means"
        return "\n".join([f"<SimulationComparison: {self.confidence:.0%} intervals, {how}>", *body])

    def _repr_html_(self) -> str:
        chart = histogram_svg([self.before, self.after], self.before.display)
        header = ("Figure", self.before.state.title, self.after.state.title, "Change")
        return f'<div class="vsm-simulation">{chart}{_table(self._rows(), header)}</div>'


# --------------------------------------------------------------------------- picture

_COLOURS = ("#4c72b0", "#dd8452")


def histogram_svg(
    results: list[SimulationResult], display: Display, *, mark: float | None = None, width: int = 520
) -> str:
    """The lead-time distributions of ``results`` as a small inline SVG (no JavaScript):
    a histogram each (outlined, so that two read through each other), their 85th
    percentiles dashed, and ``mark`` (the static lead time) as a labelled line.
    """
    height, left, bottom, top = 170, 10, 30, 22
    leads = [np.concatenate([r.lead for r in result._replications]) for result in results]
    end = max(float(np.quantile(lead, 0.995)) for lead in leads)
    if mark is not None and math.isfinite(mark) and mark <= end * 1.5:
        end = max(end, mark)
    end = end if end > 0 else 1.0
    bins = np.linspace(0.0, end, 41)
    scale_x = (width - 2 * left) / end
    histograms = [np.histogram(np.minimum(lead, end), bins=bins)[0] / len(lead) for lead in leads]
    peak = max(float(h.max()) for h in histograms) or 1.0
    scale_y = (height - bottom - top) / peak
    base = height - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="vsm-sim-histogram" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<line x1="{left}" y1="{base}" x2="{width - left}" y2="{base}" stroke="#444"/>',
    ]
    for index, (result, counts) in enumerate(zip(results, histograms, strict=True)):
        colour = _COLOURS[index % 2]
        points = [f"{left},{base}"]
        for i, share in enumerate(counts):
            y = base - share * scale_y
            points += [
                f"{left + bins[i] * scale_x:.1f},{y:.1f}",
                f"{left + bins[i + 1] * scale_x:.1f},{y:.1f}",
            ]
        points.append(f"{width - left},{base}")
        opacity = "0.35" if len(results) == 1 else "0.2"
        parts.append(
            f'<polygon points="{" ".join(points)}" fill="{colour}" fill-opacity="{opacity}" '
            f'stroke="{colour}" stroke-width="1.5"><title>{html.escape(result.state.title)}</title></polygon>'
        )
        p85 = float(np.quantile(leads[index], 0.85))
        x = left + min(p85, end) * scale_x
        label = html.escape(f"p85 {display.lead(p85)}")
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{base}" stroke="{colour}" '
            'stroke-dasharray="4 3"/>'
            f'<text x="{x + 3:.1f}" y="{top + 8 + 13 * index}" fill="{colour}">{label}</text>'
        )
    if mark is not None and math.isfinite(mark):
        x = left + min(mark, end) * scale_x
        arrow = " →" if mark > end else ""
        text = html.escape(f"static lead time {display.lead(mark)}{arrow}")
        anchor = "end" if x > width / 2 else "start"
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 12}" x2="{x:.1f}" y2="{base}" stroke="#222" stroke-width="2"/>'
            f'<text x="{x + (-4 if anchor == "end" else 4):.1f}" y="{top - 4}" '
            f'text-anchor="{anchor}">{text}</text>'
        )
    for share in (0.0, 0.5, 1.0):
        x = left + share * end * scale_x
        anchor = {0.0: "start", 0.5: "middle", 1.0: "end"}[share]
        parts.append(
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="{anchor}" fill="#444">'
            f"{html.escape(display.lead(share * end) if share else '0')}</text>"
        )
    parts.append(
        f'<text x="{width / 2:.1f}" y="{height - 2}" text-anchor="middle" fill="#444">'
        f"lead time (working time), share of items</text></svg>"
    )
    return "".join(parts)
