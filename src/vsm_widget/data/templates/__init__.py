"""Ready-made value stream maps to start a workshop from.

Each template is a JSON document (the format of :func:`vsm_widget.data.io.to_document`: the
straight maps at schema 1, which loads as it is, the maps that branch at schema 4) stored
next to this module, so it ships in the wheel. A template's ``scope`` says where
its numbers come from: a published case, cited, or figures marked as illustrative.

>>> from vsm_widget.data.templates import load_template
>>> m = load_template("stamping_plant")
>>> m.metrics().format("takt_time")
'60 s'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from ...core.model import Map, ValidationError, _closest
from ..io import from_document

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "TemplateInfo",
    "TEMPLATES",
    "template_names",
    "list_templates",
    "template_document",
    "load_template",
]


@dataclass(frozen=True, slots=True)
class TemplateInfo:
    """One entry of the catalogue: the file's name, a one-line description and its source."""

    name: str
    description: str
    kind: str
    source: str


#: The catalogue, in the order a workshop would show it. ``kind`` is ``"published"``
#: (figures from the cited source) or ``"illustrative"`` (a composite made for teaching).
TEMPLATES: tuple[TemplateInfo, ...] = (
    TemplateInfo(
        "stamping_plant",
        "Manufacturing line: stamping, welding and assembly of steering brackets (LH/RH)",
        "published",
        "Rother and Shook, Learning to See (Lean Enterprise Institute, 1999), Acme Stamping current state",
    ),
    TemplateInfo(
        "stamping_plant_branched",
        "Manufacturing line that branches: the stamping plant with purchased brackets joining at assembly",
        "illustrative",
        "Rother and Shook, Learning to See (Lean Enterprise Institute, 1999), Acme Stamping current state;"
        " the purchased-part feeder illustrative",
    ),
    TemplateInfo(
        "software_delivery",
        "Software delivery: feature request to production, behind a change board",
        "illustrative",
        "Composite of a typical team; figures illustrative",
    ),
    TemplateInfo(
        "software_delivery_branched",
        "Software delivery that branches: parallel test stages and a rework loop from review to development",
        "illustrative",
        "Composite of a typical team; figures illustrative",
    ),
    TemplateInfo(
        "order_to_cash",
        "Office process: order to cash at an industrial distributor",
        "illustrative",
        "Composite of a typical distributor; figures illustrative",
    ),
    TemplateInfo(
        "emergency_department",
        "Healthcare: walk-in patients through an emergency department",
        "illustrative",
        "Composite of a general hospital; figures illustrative; goal from the NHS England four-hour standard",
    ),
)
_BY_NAME = {info.name: info for info in TEMPLATES}


def template_names() -> tuple[str, ...]:
    """The names :func:`load_template` accepts, in catalogue order."""
    return tuple(_BY_NAME)


def list_templates() -> pd.DataFrame:
    """The catalogue as a DataFrame: name, title, description, kind, source, steps (the
    process boxes on every path, branches included).
    """
    import pandas as pd

    rows = []
    for info in TEMPLATES:
        document = template_document(info.name)
        paths = [document.get("stream", []), *(b.get("items", []) for b in document.get("branches", []))]
        steps = sum(1 for items in paths for item in items if item.get("type") == "process")
        rows.append(
            {
                "name": info.name,
                "title": document.get("title", ""),
                "description": info.description,
                "kind": info.kind,
                "source": info.source,
                "steps": steps,
            }
        )
    return pd.DataFrame(rows, columns=["name", "title", "description", "kind", "source", "steps"])


def _check_name(name: object) -> str:
    if not isinstance(name, str) or name not in _BY_NAME:
        close = _closest(name, _BY_NAME) if isinstance(name, str) else None
        hint = f"did you mean {close!r}? " if close else ""
        raise ValidationError("name", name, f"no such template; {hint}available: {', '.join(_BY_NAME)}")
    return name


def template_document(name: str) -> dict[str, Any]:
    """The JSON document of template ``name`` (a fresh dict each call)."""
    checked = _check_name(name)
    text = resources.files(__name__).joinpath(f"{checked}.json").read_text(encoding="utf-8")
    return json.loads(text)


def load_template(name: str) -> Map:
    """A new, independent map from template ``name`` (see :func:`list_templates`).

    An unknown name raises :class:`~vsm_widget.core.model.ValidationError` listing the names.
    """
    return from_document(template_document(name))
