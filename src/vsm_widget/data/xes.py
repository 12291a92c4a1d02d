"""Read XES event logs (IEEE 1849) into a pandas frame, streaming, without pm4py.

An XES file is XML: a ``<log>`` of ``<trace>`` elements (one per case) holding
``<event>`` elements; each carries typed attributes such as
``<string key="concept:name" value="Check"/>`` and
``<date key="time:timestamp" value="2024-03-02T10:00:00.000+01:00"/>``. The frame has one
row per event and the XES keys as columns; trace attributes come prefixed with
``case:`` (``case:concept:name`` is the case id), as process-mining tools name them.

Example::

    df = read_xes("loans.xes.gz")
    log = EventLog(df, case="case:concept:name", activity="concept:name",
                   timestamp="time:timestamp", lifecycle="lifecycle:transition")
"""

from __future__ import annotations

import gzip
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..core.model import ValidationError
from .progress import Progress

__all__ = ["read_xes"]

_TYPES = ("string", "date", "int", "float", "boolean", "id")


def _local(tag: str) -> str:
    """A tag without its XML namespace: ``{http://www.xes-standard.org/}event`` -> ``event``."""
    return tag.rpartition("}")[2]


def _open(path: str | os.PathLike[str] | IO[bytes]) -> IO[bytes]:
    if hasattr(path, "read"):
        return path  # type: ignore[return-value]
    file = Path(path)
    if not file.exists():
        raise ValidationError("path", str(path), "no such file")
    with file.open("rb") as probe:
        head = probe.read(2)
    if head == b"\x1f\x8b":  # gzip's magic number, whatever the file is called
        return gzip.open(file, "rb")  # type: ignore[return-value]
    return file.open("rb")


def read_xes(
    path: str | os.PathLike[str] | IO[bytes], *, progress: Callable[[str, float], Any] | bool | None = None
) -> pd.DataFrame:
    """One row per event of an XES file (plain or gzipped), XES keys as columns.

    Columns: ``case:<key>`` for each trace attribute (``case:concept:name`` is the case
    id), then each event attribute under its key (``concept:name``, ``time:timestamp``,
    ``lifecycle:transition``, ``org:resource``...). Dates are time-zone-aware
    timestamps in UTC; ints, floats and booleans keep their types; an attribute an
    event lacks is missing (NaN, None or NaT). Nested attributes (lists, containers)
    are skipped. The file is read as a stream, so memory holds the rows, not the XML.
    A file that takes longer than a second shows its progress in a notebook
    (``progress=False``: never; a callable ``progress(phase, seconds)`` gets each phase,
    such as ``"20,000 events read"``, every 10,000 events).

    A file that is not XES raises :class:`~vsm_widget.core.model.ValidationError`.
    """
    columns: dict[str, list[Any]] = {}
    kinds: dict[str, str] = {}
    rows = 0
    trace_attrs: dict[str, Any] = {}
    depth_kinds: list[str] = []
    event: dict[str, Any] | None = None
    in_trace = False
    saw_log = False

    def put(row: dict[str, Any]) -> None:
        nonlocal rows
        for key in [k for k in row if k not in columns]:
            columns[key] = [None] * rows
        for key, values in columns.items():
            values.append(row.get(key))
        rows += 1
        if rows % 10_000 == 0:
            steps.step(f"{rows:,} events read")

    steps = Progress("Reading the XES file", progress)
    handle = _open(path)
    try:
        for kind, element in ET.iterparse(handle, events=("start", "end")):
            tag = _local(element.tag)
            if kind == "start":
                depth_kinds.append(tag)
                if tag == "log":
                    saw_log = True
                elif tag == "trace" and len(depth_kinds) == 2:
                    in_trace, trace_attrs = True, {}
                elif tag == "event" and in_trace:
                    event = {}
                continue
            depth_kinds.pop()
            parent = depth_kinds[-1] if depth_kinds else ""
            if tag in _TYPES and "key" in element.attrib:
                # Only attributes that sit directly on a trace or an event; nested ones are skipped.
                key, value = element.attrib["key"], element.attrib.get("value")
                if parent == "event" and event is not None:
                    event[key] = value
                    kinds.setdefault(key, tag)
                elif parent == "trace" and in_trace:
                    trace_attrs["case:" + key] = value
                    kinds.setdefault("case:" + key, tag)
            elif tag == "event" and event is not None and parent == "trace":
                put({**trace_attrs, **event})
                event = None
                element.clear()
            elif tag == "trace":
                in_trace = False
                element.clear()
    except ET.ParseError as error:
        raise ValidationError("path", str(path), f"not a readable XES file ({error})") from None
    except (OSError, EOFError) as error:
        raise ValidationError("path", str(path), f"cannot read the file ({error})") from None
    finally:
        if not hasattr(path, "read"):
            handle.close()
    if not saw_log:
        raise ValidationError("path", str(path), "not an XES file: no <log> element")
    steps.step("typing the attributes")
    frame = pd.DataFrame(columns)
    for key, kind in kinds.items():
        frame[key] = _typed(frame[key], kind, key)
    # The case attributes first, then the event's, in the order they were first seen.
    order = [k for k in frame.columns if k.startswith("case:")] + [
        k for k in frame.columns if not k.startswith("case:")
    ]
    steps.done()
    return frame[order]


def _typed(values: pd.Series, kind: str, key: str) -> pd.Series:
    """A column of XES attribute text as its declared type."""
    try:
        if kind == "date":
            return pd.to_datetime(values, utc=True, format="ISO8601")
        if kind == "int":
            return pd.to_numeric(values).astype("Int64")
        if kind == "float":
            return pd.to_numeric(values).astype(float)
        if kind == "boolean":
            return values.map({"true": True, "false": False, None: None})
    except (ValueError, TypeError) as error:
        raise ValidationError(
            key, None, f"XES {kind} attribute {key!r} holds a value that is not one ({error})"
        ) from None
    return values
