"""The JSON Schema of map documents, generated from the field declarations.

Every property of every element follows from its declaration in :mod:`vsm_widget.core.fields`
(its kind of value, limits, choices, whether it clears to null), so the schema, the
model's parsers and the details panel never disagree. :func:`generate` builds the schema
(draft 2020-12) of the current document version; :mod:`vsm_widget.data.io` checks documents
against it. The package also ships it as ``schema/vsm-map.schema.json`` for other tools;
a test keeps that file equal to :func:`generate`, and ``python -m vsm_widget.data.document_schema``
writes it again after a field is added.

Values whose rules many fields share (a duration, a share, a name...) are written once in
``$defs`` and referred to; every other property is written out in place. Each
``description`` says what is allowed, in words an error message can quote.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from ..core import workshop as ws
from ..core.distributions import MAX_FIELD_VALUES
from ..core.fields import (
    ID_PATTERN,
    KINDS,
    MAX_DURATION,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_QUANTITY,
    MAX_TEXT_LENGTH,
    MAX_VARIANTS,
    RESERVED_IDS,
    SPREAD_FIELDS,
    TYPED_UNITS,
    WASTE_TYPES,
    Field,
    declared,
)

__all__ = ["PROVEN_KINDS", "SCHEMA_FILE", "SCHEMA_VERSION", "generate", "schema_text", "write"]

#: The document version this package writes; older ones are migrated on load
#: (:data:`vsm_widget.data.io.MIGRATIONS`).
SCHEMA_VERSION = 5

#: Where the package ships the schema.
SCHEMA_FILE = Path(__file__).parent / "schema" / "vsm-map.schema.json"

#: The kinds of value (:data:`~vsm_widget.core.fields.VALUE_KINDS`) whose every rule the
#: schema states: a number's type and range, a choice's options, waste tags, typed units.
#: A document that passes the schema holds, in fields of these kinds and once stored as
#: the loader stores them, exactly what the model's parsers would store, so the model
#: does not check those fields again (:func:`vsm_widget.core.model.validate_state`).
#: Text (no control characters, names without outer spaces) and variants (distinct
#: names, their sum) have rules the schema does not state: the model checks those.
PROVEN_KINDS = frozenset({"duration", "share", "number", "integer", "coordinate", "choice", "waste", "units"})

_DEF = "#/$defs/"
_TEN_YEARS = "ten years"
# The element kinds of each list of the document, and what the list holds.
_LISTS = (
    ("stream", "stream_item", "steps and gaps in order"),
    ("shipments", "shipment", "a list of shipments"),
    ("flows", "flow", "a list of information flows"),
    ("bursts", "burst", "a list of kaizen bursts"),
    ("branches", "branch", "a list of branches: feeder lines and parallel paths"),
    ("reworks", "rework", "a list of rework loops"),
)
_DESCRIPTIONS = {
    "customer": "the customer and the working calendar",
    "supplier": "the supplier",
    "control": "production control",
    "process": "a process box",
    "gap": "an inventory, a wait or a FIFO lane between steps",
    "shipment": "a delivery in or out",
    "flow": "an information flow between two elements",
    "burst": "a kaizen burst",
    "branch": "a branch: steps and gaps that feed a step (after a step, for a parallel path)",
    "rework": "a rework loop: a share of the items leaving one step go back to it or to an earlier step",
}


def _amount(value: float) -> str:
    """A limit as a person reads it: ``24``, ``100000``, ``1e12``."""
    if value == MAX_DURATION:
        return _TEN_YEARS
    if float(value).is_integer() and abs(value) < 1e9:
        return str(int(value))
    return f"{value:g}".replace("+", "")


def _options(choices: tuple[str, ...], clears: bool) -> str:
    """``"in" or "out"``; ``push, pull or fifo``; ``..., waste or null``."""
    words = [f'"{c}"' for c in choices] if len(choices) == 2 and not clears else list(choices)
    if clears:
        words.append("null")
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _limits(spec: Field) -> str:
    """``from 1 to 24``, ``more than 0``, ``more than 0, at most 366``."""
    low, high = spec.low or 0.0, spec.high
    if spec.above:
        if spec.kind == "integer":
            return f"of {_amount(low + 1)} or more"
        upper = "" if high is None or high >= MAX_QUANTITY else f", at most {_amount(high)}"
        return f"more than {_amount(low)}{upper}"
    if high is None:
        return f"of {_amount(low)} or more"
    if spec.below:
        return f"from {_amount(low)}, less than {_amount(high)}"
    return f"from {_amount(low)} to {_amount(high)}"


def _json_number(value: float) -> float | int:
    """A whole number as an integer (``316224000``, not ``316224000.0``)."""
    return int(value) if float(value).is_integer() and abs(value) < 1e15 else value


def _number_schema(spec: Field, types: str | list[str], what: str) -> dict[str, Any]:
    node: dict[str, Any] = {"type": types}
    node["exclusiveMinimum" if spec.above else "minimum"] = _json_number(spec.low or 0)
    if spec.high is not None:
        node["exclusiveMaximum" if spec.below else "maximum"] = _json_number(spec.high)
    or_null = ", or null" if spec.clears else ""
    node["description"] = f"{what} {_limits(spec)}{or_null}"
    return node


def _value_schema(spec: Field) -> dict[str, Any]:
    """The schema of one field's value, written out in full."""
    kind, null = spec.kind, spec.clears
    if kind == "duration":
        return _number_schema(spec, ["number", "null"] if null else "number", "seconds,")
    if kind == "share":
        return _number_schema(spec, ["number", "null"] if null else "number", "a fraction")
    if kind == "number":
        return _number_schema(spec, ["number", "null"] if null else "number", "a number")
    if kind == "integer":
        return _number_schema(spec, ["integer", "null"] if null else "integer", "a whole number")
    if kind == "coordinate":
        return _number_schema(spec, ["number", "null"], "a canvas coordinate")
    if kind in ("text", "longtext", "reference"):
        length = spec.length or MAX_NAME_LENGTH
        node: dict[str, Any] = {"type": "string"}
        if spec.required:
            node["minLength"] = 1
        node["maxLength"] = length
        if kind == "reference":
            node["description"] = "the id of an element of this map"
        elif spec.required:
            node["description"] = f"text of 1 to {length} characters"
        else:
            node["description"] = f"text of at most {length} characters"
        if null:
            return {"anyOf": [{"type": "null"}, node], "description": f"{node.pop('description')}, or null"}
        return node
    if kind == "choice":
        options: list[Any] = list(spec.choices)
        return {"enum": [*options, None] if null else options, "description": _options(spec.choices, null)}
    if kind == "waste":
        return {
            "type": "array",
            "uniqueItems": True,
            "maxItems": len(spec.choices),
            "items": {"enum": list(spec.choices)},
            "description": f"a list of waste types: {', '.join(spec.choices)}",
        }
    if kind == "variants":
        return {
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [
                    {"type": "string", "minLength": 1},
                    {"type": "number", "minimum": 0, "maximum": MAX_QUANTITY},
                ],
                "minItems": 2,
                "maxItems": 2,
            },
            "maxItems": MAX_VARIANTS,
            "description": f"a list of at most {MAX_VARIANTS} [variant name, quantity] pairs",
        }
    raise ValueError(f"no schema for the kind of value {kind!r}")  # units: see _units_schema


def _units_schema(kind: str) -> dict[str, Any]:
    durations = [spec.name for spec in declared(kind) if spec.kind == "duration"]
    unit = {"enum": list(TYPED_UNITS), "description": _options(TYPED_UNITS, False)}
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: dict(unit) for name in durations},
        "description": f"the unit a duration was typed in, by field ({', '.join(durations)}): "
        f"{_options(TYPED_UNITS, False)}",
    }


def _distributions_schema(kind: str) -> dict[str, Any]:
    durations = [spec.name for spec in declared(kind) if spec.kind == "duration"]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"$ref": f"{_DEF}distribution"} for name in durations},
        "description": f"the distribution a duration was given as, by field ({', '.join(durations)}); "
        "the field holds its mean",
    }


# The parameters of each kind of distribution (vsm_widget.core.distributions), in seconds.
_DISTRIBUTION_KINDS = {
    "exponential": ("mean",),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("mean", "sd"),
    "empirical": ("values",),
}


def _distribution_schema() -> dict[str, Any]:
    """A distribution as :meth:`~vsm_widget.core.distributions.Distribution.to_dict` writes it."""
    seconds = {
        "type": "number",
        "minimum": 0,
        "maximum": _json_number(MAX_DURATION),
        "description": f"seconds, from 0 to {_TEN_YEARS}",
    }
    positive = {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": _json_number(MAX_DURATION),
        "description": f"seconds, more than 0, at most {_TEN_YEARS}",
    }
    kinds = list(_DISTRIBUTION_KINDS)
    alternatives = []
    for kind, names in _DISTRIBUTION_KINDS.items():
        properties: dict[str, Any] = {"distribution": {"const": kind}}
        for name in names:
            if name == "values":
                properties[name] = {
                    "type": "array",
                    "items": dict(seconds),
                    "minItems": 1,
                    "maxItems": MAX_FIELD_VALUES,
                    "description": f"the measured durations: 1 to {MAX_FIELD_VALUES} numbers of seconds",
                }
            else:
                properties[name] = dict(positive if kind in ("exponential", "lognormal") else seconds)
        then = {
            "required": ["distribution", *names],
            "additionalProperties": False,
            "properties": properties,
            "description": f"a {kind} distribution: {', '.join(names)}",
        }
        alternatives.append({"if": {"properties": {"distribution": {"const": kind}}}, "then": then})
    return {
        "type": "object",
        "required": ["distribution"],
        "description": 'a distribution of a duration in seconds: {"distribution": "triangular", "low": 40, '
        '"mode": 55, "high": 90}, exponential (mean), lognormal (mean, sd) or empirical (values)',
        "properties": {"distribution": {"enum": kinds, "description": _options(tuple(kinds), False)}},
        "allOf": alternatives,
    }


# Values many fields share, written once in $defs: (name, a field of that shape).
_SHARED = (
    ("ref", Field("reference", "", required=True, length=MAX_ID_LENGTH)),
    ("name", Field("text", "", required=True, length=MAX_NAME_LENGTH)),
    ("label", Field("text", "", length=MAX_NAME_LENGTH)),
    ("notes", Field("longtext", "", length=MAX_TEXT_LENGTH)),
    ("duration", Field("duration", "", low=0.0, high=MAX_DURATION, clears=True)),
    ("share", Field("share", "", low=0.0, high=1.0, clears=True)),
    ("coordinate", Field("coordinate", "", low=-1e6, high=1e6, clears=True)),
    ("quantity", Field("number", "", low=0, high=MAX_QUANTITY, clears=True)),
)
_WASTE_DEF = "waste"


def _shape(spec: Field) -> tuple[Any, ...]:
    """What makes two fields' values follow the same rules."""
    length = spec.length or (MAX_NAME_LENGTH if spec.kind in ("text", "reference") else None)
    return (spec.kind, spec.low, spec.high, spec.above, spec.below, spec.clears, spec.required, length)


def _property(kind: str, spec: Field, shared: dict[tuple[Any, ...], str]) -> dict[str, Any]:
    """A field's property in its element's schema, with its title."""
    if spec.kind == "units":
        node = _units_schema(kind)
    elif spec.kind == "distributions":
        node = _distributions_schema(kind)
    elif spec.kind == "waste":
        node = {"$ref": f"{_DEF}{_WASTE_DEF}"}
    elif _shape(spec) in shared:
        node = {"$ref": f"{_DEF}{shared[_shape(spec)]}"}
    else:
        node = _value_schema(spec)
    return {**node, "title": spec.long_title}


def _element_schema(kind: str, shared: dict[tuple[Any, ...], str]) -> dict[str, Any]:
    fields = {item.name: item for item in dataclasses.fields(KINDS[kind])}
    has_id = "id" in fields
    # A field without a default must be given (a step's name, a flow's ends).
    required = [
        name
        for name, item in fields.items()
        if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
    ]
    properties: dict[str, Any] = {}
    if kind in ("process", "gap"):
        properties["type"] = {"const": kind}
    if has_id:
        properties["id"] = {"$ref": f"{_DEF}id"}
    for spec in declared(kind):
        properties[spec.name] = _property(kind, spec, shared)
    if kind == "branch":
        properties["items"] = {
            "type": "array",
            "items": {"$ref": f"{_DEF}stream_item"},
            "description": "the branch's steps and gaps in order",
        }
    node: dict[str, Any] = {"type": "object"}
    if required:
        node["required"] = required
    node["additionalProperties"] = False
    node["description"] = _DESCRIPTIONS[kind]
    node["properties"] = properties
    return node


def _spread_schema() -> dict[str, Any]:
    """A measured spread (:class:`vsm_widget.core.fields.Spread`): not typed by users, so not declared."""
    seconds = {
        "type": "number",
        "minimum": 0,
        "maximum": _json_number(MAX_DURATION),
        "description": "seconds",
    }
    figures = [name for names in SPREAD_FIELDS.values() for name in names]
    step, gap = SPREAD_FIELDS["process"], SPREAD_FIELDS["gap"]
    return {
        "type": "object",
        "required": ["target", "field", "p15", "median", "p85", "n"],
        "additionalProperties": False,
        "description": "how a measured figure was spread: its 15th percentile, median and 85th percentile "
        "in seconds over n values",
        "properties": {
            "target": {"$ref": f"{_DEF}ref", "description": "the id of a step or gap"},
            "field": {
                "enum": figures,
                "description": f"{_options(step, False)} of a step; {_options(gap, False)} of a gap",
            },
            "p15": dict(seconds),
            "median": dict(seconds),
            "p85": dict(seconds),
            "n": {"type": "integer", "minimum": 1, "description": "how many values were measured"},
            "basis": {
                "$ref": f"{_DEF}label",
                "description": "what the seconds count: calendar time or a working calendar",
            },
        },
    }


def _workshop_schema() -> dict[str, Any]:
    """A workshop's record (:meth:`vsm_widget.core.workshop.Workshop.record`): saved only when asked."""
    name = {
        "type": "string",
        "maxLength": ws.MAX_NAME_LENGTH,
        "description": f"at most {ws.MAX_NAME_LENGTH} characters",
    }
    vote = {
        "type": "object",
        "required": ["burst", "person", "name", "dots"],
        "additionalProperties": False,
        "description": "a person's dots on a kaizen burst",
        "properties": {
            "burst": {"$ref": f"{_DEF}ref", "description": "the id of a kaizen burst"},
            "person": {
                "type": "string",
                "minLength": 1,
                "maxLength": ws.MAX_PERSON_LENGTH,
                "description": f"the person's id, 1 to {ws.MAX_PERSON_LENGTH} characters",
            },
            "name": dict(name),
            "dots": {
                "type": "integer",
                "minimum": 1,
                "maximum": ws.MAX_DOTS,
                "description": f"a whole number from 1 to {ws.MAX_DOTS}",
            },
        },
    }
    why = {
        "type": "object",
        "required": ["step", "text", "author", "walk", "at"],
        "additionalProperties": False,
        "description": 'a "why?" asked about a step',
        "properties": {
            "step": {"$ref": f"{_DEF}ref", "description": "the id of a step"},
            "text": {
                "type": "string",
                "minLength": 1,
                "maxLength": ws.MAX_WHY_LENGTH,
                "description": f"text of 1 to {ws.MAX_WHY_LENGTH} characters",
            },
            "author": dict(name),
            "walk": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "the walk it was asked in (1, 2...), or null outside a walk",
            },
            "at": {
                "type": "number",
                "minimum": 0,
                "maximum": 1e11,
                "description": "when it was asked, in seconds since 1970",
            },
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "description": "the workshop's dot votes and whys, saved with the map when asked",
        "properties": {
            "votes": {"type": "array", "items": vote, "description": "a list of votes"},
            "whys": {"type": "array", "items": why, "description": "a list of whys"},
        },
    }


def generate(version: int) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of documents of schema ``version``, from the fields."""
    defs: dict[str, Any] = {
        "id": {
            "type": "string",
            "pattern": ID_PATTERN,
            "not": {"enum": list(RESERVED_IDS)},
            "description": f"an id: a letter, then at most {MAX_ID_LENGTH - 1} letters, digits or _ . : - "
            f"(not {', '.join(RESERVED_IDS[:-1])} or {RESERVED_IDS[-1]})",
        }
    }
    shared: dict[tuple[Any, ...], str] = {}
    for name, spec in _SHARED:
        node = _value_schema(spec)
        if spec.kind == "duration":
            node["description"] = f"seconds (a number from 0 to {_TEN_YEARS}) or null"
        defs[name] = node
        shared[_shape(spec)] = name
    defs[_WASTE_DEF] = _value_schema(Field("waste", "", choices=WASTE_TYPES))
    properties: dict[str, Any] = {
        "schema": {
            "type": "integer",
            "minimum": 1,
            "description": "the document format version, a whole number",
        }
    }
    for spec in declared("map"):
        properties[spec.name] = _property("map", spec, shared)
    properties["customer"] = {"$ref": f"{_DEF}customer"}
    for kind, what in (("supplier", "a supplier"), ("control", "a production control")):
        properties[kind] = {
            "anyOf": [{"type": "null"}, {"$ref": f"{_DEF}{kind}"}],
            "description": f"{what} object or null",
        }
    for name, item, what in _LISTS:
        properties[name] = {"type": "array", "items": {"$ref": f"{_DEF}{item}"}, "description": what}
    properties["measured"] = {
        "type": "array",
        "items": {"$ref": f"{_DEF}spread"},
        "description": "measured spreads of step and gap figures (from an event log)",
    }
    properties["workshop"] = _workshop_schema()
    for kind in ("customer", "supplier", "control"):
        defs[kind] = _element_schema(kind, shared)
    defs["stream_item"] = {
        "type": "object",
        "required": ["type"],
        "description": 'a step ({"type": "process", ...}) or a gap ({"type": "gap", ...})',
        "properties": {"type": {"enum": ["process", "gap"], "description": '"process" or "gap"'}},
        "allOf": [
            {"if": {"properties": {"type": {"const": kind}}}, "then": {"$ref": f"{_DEF}{kind}"}}
            for kind in ("process", "gap")
        ],
    }
    for kind in ("process", "gap", "shipment", "flow", "burst", "branch", "rework"):
        defs[kind] = _element_schema(kind, shared)
    defs["spread"] = _spread_schema()
    defs["distribution"] = _distribution_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/vsm-widget/vsm_widget/schema/vsm-map.schema.json",
        "title": "vsm_widget value stream map",
        "description": f"A whole value stream map, schema version {version}. Durations are seconds, shares "
        "are fractions from 0 to 1, null means not given. Ids are stable: flows and bursts refer to them.",
        "type": "object",
        "required": ["schema"],
        "additionalProperties": False,
        "properties": properties,
        "$defs": defs,
    }


def _dump(value: Any, indent: int) -> str:
    """JSON with every object or list that fits on one line written on one line."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(flat) + indent <= 110 or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        inner = [f"{pad}{json.dumps(k)}: {_dump(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(inner) + "\n" + " " * indent + "}"
    inner = [f"{pad}{_dump(v, indent + 2)}" for v in value]
    return "[\n" + ",\n".join(inner) + "\n" + " " * indent + "]"


def schema_text(version: int) -> str:
    """The schema of ``version`` as the text of the shipped file."""
    return _dump(generate(version), 0) + "\n"


def write(path: Path = SCHEMA_FILE) -> Path:
    """Write the current schema to ``path`` (the shipped file by default)."""
    path.write_text(schema_text(SCHEMA_VERSION), encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else SCHEMA_FILE))
