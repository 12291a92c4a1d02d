"""Simulation of a value stream map: what lead time customers see, with variability.

>>> from vsm_widget import ValueStreamMap, triangular
>>> m = ValueStreamMap("Cell", demand=400, available_time="8 h")
>>> _ = m.add_process("Cut", cycle_time="50 s")
>>> _ = m.add_wait("10 min")
>>> _ = m.add_process("Weld", cycle_time="60 s")
>>> r = simulate(m, items=2_000, seed=1, arrivals="takt", replications=2)
>>> r.summary()["lead_time_mean"].value   # 50 s + 10 min + 60 s: no queue at takt 72 s
710.0
>>> r = simulate(m, seed=1, durations={"Weld": triangular("40 s", "55 s", "90 s")})

Pure Python and numpy: no widgets. The engine, its validation against queueing theory
and its speed are described in docs/simulation.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.distributions import Distribution
from ..core.model import MapState, ValidationError
from .arrivals import Arrivals, read_arrivals
from .engine import rng_for, run
from .line import Line, _count, build_line
from .results import SUMMARY_KEYS, Estimate, SimulationComparison, SimulationResult, Summary, measure

if TYPE_CHECKING:  # pragma: no cover
    from ..core.model import Map

__all__ = [
    "SUMMARY_KEYS",
    "Estimate",
    "SimulationComparison",
    "SimulationResult",
    "Summary",
    "simulate",
]

MAX_REPLICATIONS = 10_000


def _seed(seed: Any) -> int:
    if seed is None:
        # A fresh seed, kept with the result so that the run can be repeated.
        return int(np.random.SeedSequence().entropy % 2**63)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**128:
        raise ValidationError(
            "seed", seed, "give a whole number from 0 to 2**128 - 1, or None for a fresh one"
        )
    return int(seed)


def _at_means(state: MapState) -> MapState:
    """``state`` with every distribution in a field replaced by its mean: the static
    figures of a map whose fields vary.
    """

    def plain(item: Any) -> Any:
        values = {
            f.name: getattr(item, f.name).mean
            for f in dataclasses.fields(item)
            if isinstance(getattr(item, f.name), Distribution)
        }
        return dataclasses.replace(item, **values) if values else item

    return dataclasses.replace(state, stream=tuple(plain(item) for item in state.stream))


def simulate(
    m: Map | MapState,
    items: int | None = None,
    *,
    seed: int | None = None,
    arrivals: Any = "poisson",
    replications: int = 10,
    warmup: int | None = None,
    uptime: str = "rate",
    repair_time: Any = None,
    durations: Mapping[Any, Any] | None = None,
    servers: Mapping[Any, Any] | None = None,
    limits: Mapping[Any, Any] | None = None,
) -> SimulationResult:
    """Simulate ``items`` orders through the map's steps, ``replications`` times.

    - ``arrivals``: ``"poisson"`` (random, at the customer's demand rate: one per takt on
      average), ``"takt"`` (exactly one per takt), a distribution of the times between
      arrivals, or the arrival times themselves (seconds or timedeltas of working time;
      then ``items`` defaults to their number). Otherwise ``items`` defaults to 10,000.
    - ``seed``: the same seed gives the same result; None draws one, kept in the result.
    - ``warmup``: items left out of every figure while the line fills (default a tenth).
    - ``uptime``: ``"rate"`` (each item takes C/T / uptime) or ``"breakdowns"`` (failures
      with ``repair_time``, a duration or a distribution, as the mean time to repair).
    - ``durations``: ``{step: {"cycle_time": triangular(...), "changeover": ...,
      "repair_time": ...}, gap: {"wait_time": ...}}`` (a bare value is the cycle time or
      the wait): variability where the map holds averages.
    - ``servers``: ``{step: stations}``, ``limits``: ``{gap: most items}`` (a pull gap's
      supermarket, or a FIFO lane's maximum): what-ifs without editing the map.

    Steps and gaps are named by id or (steps) by name. Every option is checked first: a
    refused one raises :class:`~vsm_widget.core.model.ValidationError` and nothing runs.
    """
    state = m if isinstance(m, MapState) else m.state
    line: Line = build_line(
        state, uptime=uptime, repair_time=repair_time, durations=durations, servers=servers, limits=limits
    )
    plan: Arrivals = read_arrivals(arrivals, items, line.takt, line.day)
    count = _count(replications, "replications", None, 1, MAX_REPLICATIONS)
    first = plan.items // 10 if warmup is None else _count(warmup, "warmup", None, 0, plan.items - 2)
    seed_value = _seed(seed)
    results = []
    first_run = None
    for replication in range(count):
        times = plan.draw(rng_for(seed_value, replication, "arrivals"))
        outcome = run(line, times, seed_value, replication)
        if first_run is None:
            first_run = outcome
        results.append(measure(outcome, line, first))
    from ..core.metrics import compute

    options = {
        "arrivals": arrivals if isinstance(arrivals, str) else plan.label,
        "replications": count,
        "uptime": uptime,
        "repair_time": repair_time,
        "durations": dict(durations or {}),
        "servers": dict(servers or {}),
        "limits": dict(limits or {}),
    }
    return SimulationResult(
        state,
        line,
        results,
        first_run,  # type: ignore[arg-type]
        seed=seed_value,
        items=plan.items,
        warmup=first,
        arrivals=plan.label,
        options=options,
        static_lead_time=compute(_at_means(state)).lead_time,
    )
