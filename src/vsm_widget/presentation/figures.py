"""The headline figures of a map as a person reads them: which ones, in which unit, as text.

The cards of every view that shows the figures: the dashboard's metric cards
(:mod:`vsm_widget.jupyter.dashboard`) and the static picture a notebook keeps for readers
without JavaScript (:mod:`vsm_widget.presentation.fallback`). Every text comes from the map's one
display rule (:mod:`vsm_widget.core.display`). Pure Python: no widgets.

>>> from vsm_widget import ValueStreamMap
>>> met = ValueStreamMap.template("stamping_plant").metrics()
>>> card_text("lead_time", met)[1]
'23.6 working days'
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.compare import duration_unit
from ..core.metrics import Metrics

__all__ = ["CARDS", "CardSpec", "card_text", "duration_text"]


@dataclass(frozen=True, slots=True)
class CardSpec:
    """What one card shows: the metric, its title, its formula and which way is better."""

    name: str
    title: str
    formula: str
    better: str  # "lower", "higher" or "none"


#: The cards, in display order.
CARDS: tuple[CardSpec, ...] = (
    CardSpec("takt_time", "Takt time", "available time per day / daily demand", "none"),
    CardSpec(
        "lead_time",
        "Lead time",
        "sum of all waits (inventory days, queue times) + sum of the step times on the lower rungs",
        "lower",
    ),
    CardSpec("process_time", "Process time", "sum of the steps' process times (value-added time)", "lower"),
    CardSpec("efficiency", "Process cycle efficiency", "total process time / total lead time", "higher"),
    CardSpec("rolled_complete_accurate", "Rolled %C&A", "product of every step's %C&A", "higher"),
    CardSpec(
        "total_inventory",
        "Inventory (units)",
        "sum of the units waiting in every gap (all variants)",
        "lower",
    ),
    CardSpec("inventory_days", "Inventory (days)", "sum over gaps of quantity / daily demand", "lower"),
    CardSpec(
        "steps_over_takt",
        "Steps over takt",
        "steps whose effective cycle time (C/T / uptime / parallel stations) exceeds takt",
        "lower",
    ),
    CardSpec(
        "bottleneck",
        "Bottleneck",
        "the step with the largest effective cycle time (C/T / uptime / parallel stations)",
        "none",
    ),
)


def duration_text(seconds: float | None, metrics: Metrics, unit: str | None = None) -> str:
    """A duration as card text, by the map's display rule; a day is spelt out (working or calendar day)."""
    return metrics.display.duration_long(seconds, unit)


def card_text(name: str, metrics: Metrics, unit: str | None = None) -> tuple[float | str | None, str, str]:
    """``(value, text, unit)`` of a card: the value in its display unit (a name for the
    bottleneck), the text shown, and the unit (``"s"``, ``"min"``, ``"h"``, ``"d"``,
    ``"%"``, ``"units"``, ``"d-demand"``, ``"steps"`` or ``""``).

    Lead and process time read in the map's ladder units, as the canvas's totals do;
    ``unit`` forces a duration unit (``"s"``, ``"min"``, ``"h"``, ``"d"``).
    """
    display = metrics.display
    if name in ("takt_time", "lead_time", "process_time"):
        seconds = getattr(metrics, name)
        chosen = unit or duration_unit(name, seconds, metrics)
        value = None if seconds is None else display.in_unit(seconds, chosen)
        return value, duration_text(seconds, metrics, chosen), chosen
    if name in ("efficiency", "rolled_complete_accurate"):
        share = getattr(metrics, name)
        return (None if share is None else share * 100), display.share(share), "%"
    if name == "total_inventory":
        count = metrics.total_inventory
        return count, display.count(count, "units"), "units"
    if name == "inventory_days":
        days = metrics.inventory_days
        return days, display.days_of_demand(days, long=True), "d-demand"
    if name == "steps_over_takt":
        if metrics.takt_time is None:
            return None, "–", "steps"
        count = len(metrics.steps_over_takt)
        return float(count), f"{count} of {metrics.step_count}", "steps"
    if name == "bottleneck":
        return metrics.bottleneck_name, metrics.bottleneck_name or "–", ""
    raise KeyError(f"no card {name!r}; cards: {', '.join(spec.name for spec in CARDS)}")
