"""An Excel workbook summarising a map, written in one call.

:func:`to_excel` writes these sheets: ``Map`` (title, scope, customer and calendar),
``Steps`` (one row per step with the gap before it and its figures, the frame that
:meth:`ValueStreamMap.from_frame` reads back), ``Gaps`` (inventories and waits),
``Metrics`` (every map-level figure, raw and as a person reads it), ``Kaizen`` (the
action plan of kaizen bursts) and ``Readiness`` (what is still missing). Durations are
in seconds in columns ending ``_s``; shares are fractions from 0 to 1.

Every text goes in as text, exactly as typed: a name such as ``=1+1`` or ``@SUM(A1)``
(or a DDE payload) is never written as a formula, and ``#N/A`` is not an error code.
Excel holds at most 32,767 characters in a cell; the model's limits keep every user
text below it, and a longer derived figure (the ids of a thousand steps over takt) is
cut, saying so.

Needs openpyxl (``pip install "vsm_widget[excel]"``). The file is written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.fields import Field, summary_fields
from ..core.metrics import Metrics, compute
from ..core.model import Gap, Map, MapState, Process, ValidationError, map_from_state
from ..core.readiness import readiness
from .files import atomic_path
from .io import _number_text, distributions_text

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["SHEETS", "to_excel", "map_frame", "steps_frame", "gaps_frame", "metrics_frame", "kaizen_frame"]

#: The sheets :func:`to_excel` writes, in order.
SHEETS = ("Map", "Steps", "Gaps", "Metrics", "Kaizen", "Readiness")
#: The most characters Excel shows in one cell.
EXCEL_CELL_LIMIT = 32_767
_CUT = " [cut: Excel holds 32,767 characters in a cell]"


def _state(source: Map | MapState) -> MapState:
    state = source.state if isinstance(source, Map) else source
    if not isinstance(state, MapState):
        raise TypeError(f"expected a ValueStreamMap or MapState, not {type(source).__name__}")
    return state


def _as_map(source: Map | MapState) -> Map:
    return source if isinstance(source, Map) else map_from_state(_state(source))


def _metrics(source: Map | MapState) -> Metrics:
    return source.metrics() if isinstance(source, Map) else compute(_state(source))


def _column(spec: Field) -> str:
    """A field's column in the summary: its name, with ``_s`` for seconds."""
    return f"{spec.name}_s" if spec.kind == "duration" else spec.name


def _cell(spec: Field, value: Any) -> Any:
    """A field's value as a cell: tags, variants and distributions as text, everything else
    as stored.
    """
    if spec.kind == "waste":
        return ", ".join(value)
    if spec.kind == "variants":
        # Data, not display: each quantity as text that reads back exactly.
        return "; ".join(f"{name} {_number_text(qty)}" for name, qty in value)
    if spec.kind == "distributions":
        # Each in the text form a coach types; the duration columns hold their means.
        return distributions_text(value)
    return value


def _cells(kind: str, element: Any) -> dict[str, Any]:
    """The summary's cells of one element, by its fields' declarations (``None``: no element)."""
    return {
        _column(spec): None if element is None else _cell(spec, getattr(element, spec.name))
        for spec in summary_fields(kind)
    }


def map_frame(source: Map | MapState) -> pd.DataFrame:
    """The map's own fields, the customer's calendar, the supplier and production control,
    as ``field`` / ``value`` rows (durations in seconds, ``_s``).

    The rows follow the fields' declarations: a customer's, supplier's or control's name
    is its own row (``customer``), the supplier's and control's other fields are prefixed
    (``supplier_frequency``).
    """
    import pandas as pd

    state = _state(source)
    rows: list[tuple[str, Any]] = list(_cells("map", state).items())
    for kind, element in (
        ("customer", state.customer),
        ("supplier", state.supplier),
        ("control", state.control),
    ):
        prefix = "" if kind == "customer" else f"{kind}_"
        for name, value in _cells(kind, element).items():
            rows.append((kind if name == "name" else f"{prefix}{name}", value))
    return pd.DataFrame(rows, columns=["field", "value"])


def steps_frame(source: Map | MapState) -> pd.DataFrame:
    """One row per step with the gap before it: :func:`vsm_widget.data.io.steps_frame`.

    The same columns that :meth:`ValueStreamMap.from_frame` reads back, so the sheet
    can be edited in Excel and loaded again. Infinite figures become empty cells.
    """
    from .io import steps_frame as io_steps_frame

    return _finite(io_steps_frame(_as_map(source)))


def gaps_frame(source: Map | MapState) -> pd.DataFrame:
    """One row per gap: where it is, what waits there, and its wait as time."""
    import pandas as pd

    state = _state(source)
    figures = {g.id: g for g in _metrics(source).gaps}
    day = state.day_length
    rows = []
    stream = state.stream
    for index, item in enumerate(stream):
        if not isinstance(item, Gap):
            continue
        before = next((s.name for s in reversed(stream[:index]) if isinstance(s, Process)), None)
        after = next((s.name for s in stream[index + 1 :] if isinstance(s, Process)), None)
        f = figures[item.id]
        rows.append(
            {
                "id": item.id,
                "after_step": before,
                "before_step": after,
                **_cells("gap", item),
                "inventory_days": f.inventory_days,
                "wait_s": f.wait_time,
                "wait_days": None if f.wait_time is None else f.wait_time / day,
            }
        )
    columns = list(rows[0]) if rows else ["id", "after_step", "before_step", *_cells("gap", None)]
    return _finite(pd.DataFrame(rows, columns=columns))


def metrics_frame(source: Map | MapState) -> pd.DataFrame:
    """Every map-level figure of :meth:`Metrics.to_frame` as ``metric`` / ``value`` / ``display``.

    ``display`` is the figure as a person reads it, with its unit.
    """
    import pandas as pd

    metrics = _metrics(source)
    row = metrics.to_frame().iloc[0]
    shown = []
    for name, value in row.items():
        try:
            if name in ("day_length", "available_time") and value is not None and value == value:
                # a day in days is always "1 d": hours say what the calendar is
                text = metrics.display.duration(float(value), "h")
            else:
                text = metrics.format(str(name))
        except (AttributeError, TypeError, ValueError):
            text = "" if value is None else str(value)
        shown.append((str(name), value, text))
    return pd.DataFrame(shown, columns=["metric", "value", "display"])


def kaizen_frame(source: Map | MapState) -> pd.DataFrame:
    """The action plan: one row per kaizen burst with its target's name, owner, due, status."""
    import pandas as pd

    state = _state(source)
    names: dict[str, str] = {s.id: s.name for s in state.all_steps}  # a burst may be on a branch step
    rows = []
    for burst in state.bursts:
        target = burst.target
        where = "whole map" if target is None else names.get(target, target)
        rows.append({"id": burst.id, **_cells("burst", burst), "where": where})
    columns = ["id", *_cells("burst", None)]
    columns.insert(columns.index("target") + 1, "where")  # the place by name, after its id
    return pd.DataFrame(rows, columns=columns)


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    """Infinite figures (a step that never produces) become empty cells, as in to_dict."""
    numeric = frame.select_dtypes("number").columns
    if len(numeric):
        frame[numeric] = frame[numeric].mask(frame[numeric].abs() == float("inf"))
    return frame


def _fit(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text longer than a cell holds cut, saying so (only derived
    texts can be: the model's limits keep user text shorter).
    """

    def cut(value: Any) -> Any:
        if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
            return value[: EXCEL_CELL_LIMIT - len(_CUT)] + _CUT
        return value

    fitted = frame.copy()
    for column in frame.select_dtypes(exclude="number").columns:
        fitted[column] = frame[column].map(cut)
    return fitted


def _as_text(sheet: Any) -> None:
    """Make every text cell of ``sheet`` plain text.

    openpyxl stores text that starts with ``=`` as a formula and ``#N/A`` as an error:
    typed names would run as formulas (or DDE commands) when the file is opened.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type != "s":
                cell.data_type = "s"


def to_excel(source: Map | MapState, path: str | os.PathLike[str]) -> Path:
    """Write the map's summary workbook to ``path`` (sheets: :data:`SHEETS`), atomically.

    Returns the path written. Needs openpyxl (the ``excel`` extra).
    """
    try:
        import openpyxl  # noqa: F401 - only checked here, pandas uses it
    except ImportError:
        raise ImportError('writing Excel needs openpyxl: pip install "vsm_widget[excel]"') from None
    import pandas as pd

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValidationError("path", str(path), "an Excel workbook path must end in .xlsx")
    frames = {
        "Map": map_frame(source),
        "Steps": steps_frame(source),
        "Gaps": gaps_frame(source),
        "Metrics": metrics_frame(source),
        "Kaizen": kaizen_frame(source),
        "Readiness": readiness(_state(source)).to_frame(),
    }
    with atomic_path(target) as temporary, pd.ExcelWriter(temporary, engine="openpyxl") as writer:
        for name in SHEETS:
            frame = _fit(frames[name])
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            _as_text(sheet)
            # columns wide enough to read, but capped so long notes do not sprawl
            for index, column in enumerate(frame.columns, start=1):
                longest = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
                letter = sheet.cell(row=1, column=index).column_letter
                sheet.column_dimensions[letter].width = min(max(10, longest + 2), 60)
            sheet.freeze_panes = "A2"
    return target
