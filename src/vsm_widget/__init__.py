"""vsm_widget: value stream mapping in Jupyter.

A :class:`ValueStreamMap` is a plain Python model (no Jupyter needed) that validates
every edit, keeps undo history and computes every lean metric.
"""

from .core.distributions import empirical, exponential, lognormal, triangular
from .core.metrics import Metrics
from .core.model import (
    FLOW_KINDS,
    VALUE_CLASSES,
    WASTE_TYPES,
    Burst,
    Change,
    Customer,
    Gap,
    InfoFlow,
    Map,
    MapState,
    Process,
    Shipment,
    ValidationError,
)
from .map import ValueStreamMap

__all__ = [
    "FLOW_KINDS",
    "VALUE_CLASSES",
    "WASTE_TYPES",
    "Burst",
    "Change",
    "Customer",
    "EventLog",
    "Gap",
    "InfoFlow",
    "Map",
    "MapState",
    "MapWidget",
    "Metrics",
    "Process",
    "Shipment",
    "ValidationError",
    "ValueStreamMap",
    "WorkCalendar",
    "dora_metrics",
    "read_xes",
    "empirical",
    "exponential",
    "lognormal",
    "triangular",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The widget needs anywidget and ipywidgets; load them only when it is asked for, so
    # that the domain works in plain Python without Jupyter.
    if name == "MapWidget":
        from .jupyter.widget import MapWidget

        return MapWidget
    if name == "EventLog":
        from .data.eventlog import EventLog

        return EventLog
    if name == "WorkCalendar":
        from .data.workcalendar import WorkCalendar

        return WorkCalendar
    if name == "dora_metrics":
        from .data.dora import dora_metrics

        return dora_metrics
    if name == "read_xes":
        from .data.xes import read_xes

        return read_xes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
