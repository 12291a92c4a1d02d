"""When items arrive: at the customer's demand rate (Poisson or every takt), between
draws of a distribution, or at given times.

Times are seconds of the calendar's working time from the start of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import units
from ..core.distributions import Distribution
from ..core.model import ValidationError

__all__ = ["ARRIVAL_KINDS", "Arrivals", "read_arrivals"]

ARRIVAL_KINDS = ("poisson", "takt")
MAX_ITEMS = 10_000_000


@dataclass(frozen=True, slots=True)
class Arrivals:
    """How items arrive: ``kind`` is ``"poisson"``, ``"takt"``, ``"distribution"`` or
    ``"series"``; ``gap`` the mean time between arrivals (s) for the first two,
    ``between`` the distribution of times between arrivals, ``times`` the given times.
    """

    kind: str
    items: int
    gap: float | None = None
    between: Distribution | None = None
    times: np.ndarray | None = None

    @property
    def label(self) -> str:
        """How a result names them."""
        if self.kind == "distribution":
            return f"between {self.between!r}"
        return self.kind

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """The arrival times of one replication, ascending."""
        if self.kind == "series":
            return self.times  # type: ignore[return-value]
        if self.kind == "takt":
            return np.arange(self.items) * self.gap
        if self.kind == "poisson":
            between = rng.exponential(self.gap, self.items)
        else:
            between = self.between.sample(rng, self.items)  # type: ignore[union-attr]
        return np.cumsum(between)


def _items(items: Any, default: int) -> int:
    if items is None:
        return default
    try:
        count = units.parse_number(items, integer=True)
    except units.UnitError as error:
        raise ValidationError("items", items, str(error)) from None
    if not 2 <= count <= MAX_ITEMS:
        raise ValidationError("items", items, f"simulate from 2 to {MAX_ITEMS:,} items")
    return int(count)


def _series(value: Any, day: float) -> np.ndarray:
    """Arrival times from a list, an array or a Series: seconds, or timedeltas since the start."""
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValidationError("arrivals", value, "give the arrival times as one list or Series")
    if array.dtype.kind == "M":
        raise ValidationError(
            "arrivals",
            value,
            "timestamps are calendar time; give the times since the start in working time "
            "(seconds or timedeltas)",
        )
    if array.dtype.kind == "m":
        if np.isnat(array).any():
            raise ValidationError("arrivals", value, "an arrival time is missing (NaT)")
        times = array.astype("timedelta64[ns]").astype(np.int64) / 1e9
    elif array.dtype.kind in "iuf":
        times = array.astype(float)
    else:
        times = np.empty(len(array))
        for index, item in enumerate(array.tolist()):
            try:
                times[index] = units.parse_duration(item, day=day)
            except units.UnitError as error:
                raise ValidationError(f"arrivals[{index}]", item, str(error)) from None
    if not np.isfinite(times).all():
        raise ValidationError("arrivals", value, "every arrival time must be a finite number of seconds")
    if (times < 0).any():
        raise ValidationError("arrivals", value, "an arrival time is negative; count from the start, 0 s")
    return np.sort(times)


def read_arrivals(arrivals: Any, items: Any, takt: float | None, day: float) -> Arrivals:
    """``arrivals=`` and ``items=`` of :func:`~vsm_widget.simulation.simulate`, checked."""
    if isinstance(arrivals, str):
        kind = arrivals.strip().lower()
        if kind not in ARRIVAL_KINDS:
            raise ValidationError(
                "arrivals", arrivals, "give 'poisson', 'takt', a distribution of the times between, or times"
            )
        if takt is None:
            raise ValidationError(
                "arrivals",
                arrivals,
                "arrivals at the customer's demand rate need a takt time: give the customer's demand "
                "and available time per day, or the arrival times",
            )
        return Arrivals(kind, _items(items, 10_000), gap=takt)
    if isinstance(arrivals, Distribution):
        return Arrivals("distribution", _items(items, 10_000), between=arrivals)
    if arrivals is None or isinstance(arrivals, (bytes, dict)) or not hasattr(arrivals, "__len__"):
        raise ValidationError(
            "arrivals", arrivals, "give 'poisson', 'takt', a distribution of the times between, or times"
        )
    times = _series(arrivals, day)
    count = _items(items, len(times))
    if count > len(times):
        raise ValidationError("items", items, f"only {len(times):,} arrival times are given")
    if count < 2:
        raise ValidationError("arrivals", arrivals, "give at least 2 arrival times")
    return Arrivals("series", count, times=times[:count])
