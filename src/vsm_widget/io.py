"""The map as a versioned JSON document, atomic files, and pandas frames.

A document is plain JSON: ``{"schema": 1, "title": ..., "customer": {...},
"stream": [{"type": "process", "id": "p1", ...}, {"type": "gap", ...}], ...}``.
Every value in it goes through the same validation as an edit made in Python.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .model import (
    Burst,
    Control,
    Customer,
    Gap,
    InfoFlow,
    MapState,
    Process,
    Shipment,
    Supplier,
    ValidationError,
    ValueStreamMap,
)

__all__ = ["SCHEMA_VERSION", "to_document", "from_document"]

#: The document version this package writes; older ones are migrated on load.
SCHEMA_VERSION = 1


def _element(item: Any) -> dict[str, Any]:
    data = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = [list(v) if isinstance(v, tuple) else v for v in value]
    return data


def to_document(state: MapState) -> dict[str, Any]:
    """The state as a JSON-ready document of the current schema version."""
    stream = []
    for item in state.stream:
        stream.append({"type": item.kind, **_element(item)})
    return {
        "schema": SCHEMA_VERSION,
        "title": state.title,
        "scope": state.scope,
        "state": state.state,
        "day_basis": state.day_basis,
        "customer": _element(state.customer),
        "supplier": None if state.supplier is None else _element(state.supplier),
        "control": None if state.control is None else _element(state.control),
        "stream": stream,
        "shipments": [_element(s) for s in state.shipments],
        "flows": [_element(f) for f in state.flows],
        "bursts": [_element(b) for b in state.bursts],
    }


def from_document(document: Mapping[str, Any]) -> ValueStreamMap:
    """A map from a document, every value validated; raises :class:`ValidationError`."""
    if not isinstance(document, Mapping):
        raise ValidationError("$", document, "a map document is a JSON object")
    m = ValueStreamMap(
        document.get("title", "Value stream"),
        scope=document.get("scope", ""),
        day_basis=document.get("day_basis", "working"),
        state=document.get("state", "current"),
    )
    with m.batch("load"):
        customer = dict(document.get("customer") or {})
        if customer:
            m.update("customer", **customer)
        if document.get("supplier"):
            m.set_supplier(**document["supplier"])
        if document.get("control"):
            m.set_control(**document["control"])
        for raw in document.get("stream", []):
            item = dict(raw)
            kind = item.pop("type")
            if kind == "process":
                m.add_process(item.pop("name"), **item)
            else:
                m.add_gap(**item)
        for raw in document.get("shipments", []):
            m.add_shipment(**raw)
        for raw in document.get("flows", []):
            item = dict(raw)
            m.add_flow(item.pop("source"), item.pop("target"), **item)
        for raw in document.get("bursts", []):
            item = dict(raw)
            m.add_burst(item.pop("text"), **item)
    m.clear_history()
    return m


# Kept for the type checker: every element class appears in documents.
_ELEMENTS = (Burst, Control, Customer, Gap, InfoFlow, Process, Shipment, Supplier)
