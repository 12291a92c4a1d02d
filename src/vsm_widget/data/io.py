"""The map as a versioned JSON document, atomic files, and pandas frames.

A document is plain JSON: ``{"schema": 4, "title": ..., "customer": {...},
"stream": [{"type": "process", "id": "p1", ...}, {"type": "gap", ...}], ...}``; a map
that branches or loops also has ``"branches": [{"id": "b1", "into": "p3", "after": null,
"name": ..., "items": [...steps and gaps...]}]`` and ``"reworks": [{"id": "r1",
"source": "p4", "target": "p2", "share": 0.25}]``.
Its structure is described by a JSON Schema (draft 2020-12) generated from the field
declarations (:mod:`vsm_widget.data.document_schema`), which also ships as
``vsm_widget/schema/vsm-map.schema.json``; every value in it also goes through the same
validation as an edit made in Python. A problem is reported as a
:class:`~vsm_widget.core.model.ValidationError` whose ``field`` is the JSON path at fault, such
as ``$.stream[3].cycle_time``.

Documents of an older schema version are upgraded one version at a time through
:data:`MIGRATIONS`; a document of a newer version is refused.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import errno
import functools
import json
import math
import operator
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import units
from ..core.display import format_number
from ..core.distributions import Distribution, from_dict
from ..core.fields import KINDS, VARYING_KINDS, columns, declared
from ..core.frozen import builder
from ..core.model import (
    _ID_PATTERN,
    _RESERVED_IDS,
    MAIN,
    MAX_QUANTITY,
    SPREAD_FIELDS,
    Branch,
    Burst,
    Control,
    Customer,
    Gap,
    InfoFlow,
    Map,
    MapState,
    Process,
    Rework,
    Shipment,
    Spread,
    Supplier,
    ValidationError,
    _closest,
    _distributed,
    map_from_state,
    new_map,
    parse_field,
)
from ..core.units import _show, _unwritable
from .document_schema import PROVEN_KINDS, SCHEMA_VERSION
from .document_schema import generate as generate_schema
from .files import write_text_atomic

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "STEP_COLUMNS",
    "GAP_COLUMNS",
    "PATH_COLUMNS",
    "DERIVED_COLUMNS",
    "FRAME_ALIASES",
    "schema",
    "to_document",
    "from_document",
    "to_json",
    "from_json",
    "save",
    "load",
    "steps_frame",
    "from_frame",
]


def _from_schema_1(document: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 adds optional fields only: the map's ladder units (``lead_unit``,
    ``process_unit``, ``"auto"`` where absent), each element's typed ``units`` (none
    where absent) and the ``measured`` spreads (none where absent). A schema 1 document
    is a schema 2 document as it is.
    """
    return document


def _from_schema_2(document: dict[str, Any]) -> dict[str, Any]:
    """Schema 3 adds the optional ``branches`` and ``reworks`` lists (none where absent):
    a schema 2 document, a straight map, is a schema 3 document as it is.
    """
    return document


#: Upgrades of older documents: ``MIGRATIONS[n]`` takes a document of schema ``n`` (a
#: private copy it may change) and returns it in the shape of schema ``n + 1``; the
#: loader then stamps the new version.
def _from_schema_3(document: dict[str, Any]) -> dict[str, Any]:
    """Schema 4 names which picture a map is ``timeframe`` (``"current"`` or
    ``"future"``), which schema 3 called ``state``.
    """
    if "state" in document:
        document["timeframe"] = document.pop("state")
    return document


def _from_schema_4(document: dict[str, Any]) -> dict[str, Any]:
    """Schema 5 adds each step's and gap's optional ``distributions`` (none where absent):
    the distribution a duration was given as, by field, the field keeping its mean. A
    schema 4 document is a schema 5 document as it is.
    """
    return document


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: _from_schema_1,
    2: _from_schema_2,
    3: _from_schema_3,
    4: _from_schema_4,
}
# Migrations that only add optional fields: a document of the older version is already
# one of the newer, so loading it needs no private copy.
_ADDS_ONLY = frozenset({_from_schema_1, _from_schema_2, _from_schema_4})
# Migrations that change only the document's own top-level keys: a shallow copy will do.
_TOP_LEVEL_ONLY = frozenset({_from_schema_3})

# --------------------------------------------------------------------------- the schema


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the current document version, as shipped
    (a fresh copy: changing it changes nothing here).
    """
    return copy.deepcopy(_schema())


@functools.cache
def _schema() -> dict[str, Any]:
    # Generated from the field declarations, so a new field needs no second edit here.
    return generate_schema(SCHEMA_VERSION)


def _is_number(value: object) -> bool:
    # JSON has no NaN or infinity; Python's json module reads them anyway, so they are
    # refused here, where the schema's "number" is checked, with the path at fault.
    # (An int of any size is a number: math.isfinite would overflow on a huge one.)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _is_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


@functools.cache
def _full_validator() -> Any:
    """The jsonschema validator, with NaN and infinity not counted as numbers.

    The reference the fast check and the problem finder (:class:`_Locator`) are tested
    against; loading itself never imports jsonschema (its import alone takes a second).
    """
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {
            "number": lambda _checker, value: _is_number(value),
            "integer": lambda _checker, value: _is_integer(value),
        }
    )
    cls = validators.extend(Draft202012Validator, type_checker=checker)
    return cls(_schema())


# jsonschema takes about 0.3 ms per stream item here, far too slow for big maps, so a
# document is checked by plain Python generated from the same schema. The check is
# exact for the keywords it knows (it refuses to compile any other); on "invalid",
# _Locator walks the document with the same compiled checks to find and word the problem.
Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$defs"})
_OBJECT_KEYWORDS = frozenset({"properties", "required", "additionalProperties"})
_ARRAY_KEYWORDS = frozenset({"items", "prefixItems", "minItems", "maxItems"})
_TYPE_EXPRESSIONS = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "null": "{v} is None",
    "boolean": "isinstance({v}, bool)",
    # Exact types (what json.loads makes); v - v is 0 only for finite numbers.
    "number": "(type({v}) is int or (type({v}) is float and {v} - {v} == 0.0))",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
}
_COMPARISONS = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
_TEXT_KEYWORDS = ("minLength", "maxLength", "pattern")


def _unique_text(items: list[Any]) -> bool:
    # Lists of text only; anything else is left to the full validator.
    return all(isinstance(i, str) for i in items) and len(set(items)) == len(items)


class _Compiler:
    """Turns a JSON Schema (the keywords this package's schema uses) into Python source."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "_is_number": _is_number,
            "_is_integer": _is_integer,
            "_unique": _unique_text,
            "_absent": object(),
        }
        self.expanding: list[str] = []
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def build(self) -> Check:
        entry = self.function(self.root)
        scope = dict(self.names)
        exec("\n".join(self.lines), scope)  # the source is generated above from the shipped schema
        check: Check = scope[entry]
        return check

    def constant(self, value: Any) -> str:
        name = self.fresh("_k")
        self.names[name] = value
        return name

    def function(self, node: Mapping[str, Any]) -> str:
        name = self.fresh("_f")
        body = self.expression(node, "v")
        self.lines.append(f"def {name}(v):\n    return {body}\n")
        return name

    def target(self, pointer: str) -> Mapping[str, Any]:
        if not pointer.startswith("#/$defs/"):
            raise ValueError(f"only local $defs references are supported, not {pointer!r}")
        found: Mapping[str, Any] = self.root["$defs"][pointer.removeprefix("#/$defs/")]
        return found

    def expression(self, node: Mapping[str, Any], v: str) -> str:
        parts: list[str] = []
        if node.keys() & _OBJECT_KEYWORDS:
            parts.append(f"{self.object(node)}({v})")
        if node.keys() & _ARRAY_KEYWORDS:
            parts.append(f"{self.array(node)}({v})")
        for key, arg in node.items():
            if key in _ANNOTATIONS or key in _OBJECT_KEYWORDS or key in _ARRAY_KEYWORDS or key == "then":
                continue
            if key == "$ref":
                if arg in self.expanding:
                    raise ValueError(f"recursive reference {arg!r}: the fast check inlines references")
                self.expanding.append(arg)
                parts.append(self.expression(self.target(arg), v))
                self.expanding.pop()
            elif key == "type":
                parts.append(self.typed(node, arg, v))
            elif key in ("enum", "const"):
                options = [arg] if key == "const" else list(arg)
                if not all(o is None or isinstance(o, str) for o in options):
                    raise ValueError(f"{key} supports text and null only")
                texts = self.constant(frozenset(o for o in options if isinstance(o, str)))
                test = f"(isinstance({v}, str) and {v} in {texts})"
                parts.append(f"({v} is None or {test})" if None in options else test)
            elif "type" in node and (key in _COMPARISONS or key in _TEXT_KEYWORDS):
                continue  # joined to the type test (see typed)
            elif key in _COMPARISONS:
                parts.append(f"(not _is_number({v}) or {v} {_COMPARISONS[key]} {float(arg)!r})")
            elif key in _TEXT_KEYWORDS:
                parts.append(f"(not isinstance({v}, str) or {self.text_test(key, arg, v)})")
            elif key == "not":
                parts.append(f"(not {self.expression(arg, v)})")
            elif key in ("anyOf", "allOf"):
                joiner = " or " if key == "anyOf" else " and "
                parts.append("(" + joiner.join(self.expression(sub, v) for sub in arg) + ")")
            elif key == "if":
                then = self.expression(node.get("then", {}), v)
                parts.append(f"(not {self.expression(arg, v)} or {then})")
            elif key == "uniqueItems":
                if arg is not True:
                    raise ValueError("uniqueItems supports true only")
                parts.append(f"(not isinstance({v}, list) or _unique({v}))")
            else:
                raise ValueError(f"the fast checker does not know the keyword {key!r}")
        return "(" + " and ".join(parts) + ")" if parts else "True"

    def typed(self, node: Mapping[str, Any], arg: str | list[str], v: str) -> str:
        """The test of ``type``, each alternative with the keywords that apply to it alone.

        Bounds apply to numbers only and lengths and patterns to text only, so each joins
        its alternative and is tested once the type is known (the separate tests would
        hold for any other type). A number between two bounds needs no test of being
        finite: NaN and both infinities fail one of the comparisons.
        """
        bounds = [f" and {v} {_COMPARISONS[k]} {float(node[k])!r}" for k in _COMPARISONS if k in node]
        texts = [f" and {self.text_test(k, node[k], v)}" for k in _TEXT_KEYWORDS if k in node]
        bounded = any(k in node for k in ("minimum", "exclusiveMinimum")) and any(
            k in node for k in ("maximum", "exclusiveMaximum")
        )
        types = [arg] if isinstance(arg, str) else arg
        alternatives = []
        # null first: the cheapest test, and the value of most unset fields.
        for t in sorted(types, key=lambda t: t != "null"):
            if t == "number" and bounded:
                test = f"(type({v}) is float or type({v}) is int){''.join(bounds)}"
            elif t in ("number", "integer"):
                test = f"{_TYPE_EXPRESSIONS[t].format(v=v)}{''.join(bounds)}"
            elif t == "string":
                test = f"{_TYPE_EXPRESSIONS[t].format(v=v)}{''.join(texts)}"
            else:
                test = _TYPE_EXPRESSIONS[t].format(v=v)
            alternatives.append(f"({test})")
        return "(" + " or ".join(alternatives) + ")"

    def text_test(self, key: str, arg: Any, v: str) -> str:
        """The test of ``minLength``, ``maxLength`` or ``pattern`` on text ``v``."""
        if key == "pattern":
            return f"{self.constant(re.compile(arg))}.search({v}) is not None"
        return f"len({v}) {'>=' if key == 'minLength' else '<='} {int(arg)}"

    def object(self, node: Mapping[str, Any]) -> str:
        closed = node.get("additionalProperties", True)
        if closed not in (True, False):
            raise ValueError("additionalProperties supports true and false only")
        properties = node.get("properties", {})
        # Each property's test is written inline: a function call per value is what
        # makes a generic validator slow.
        tests = {key: self.expression(sub, "x") for key, sub in properties.items()}
        name = self.fresh("_o")
        lines = [f"def {name}(v):", "    if not isinstance(v, dict):", "        return True"]
        if closed is False:
            lines.append(
                f"    if not v.keys() <= {self.constant(frozenset(properties))}:\n        return False"
            )
        for key in node.get("required", ()):
            lines.append(f"    if {key!r} not in v:\n        return False")
        for key, test in tests.items():
            lines.append(f"    x = v.get({key!r}, _absent)")
            lines.append(f"    if x is not _absent and not {test}:\n        return False")
        lines.append("    return True\n")
        self.lines.append("\n".join(lines))
        return name

    def array(self, node: Mapping[str, Any]) -> str:
        prefix = [self.function(sub) for sub in node.get("prefixItems", ())]
        each = self.function(node["items"]) if "items" in node else None
        low, high = int(node.get("minItems", 0)), node.get("maxItems")
        name = self.fresh("_a")
        lines = [f"def {name}(v):", "    if not isinstance(v, list):", "        return True"]
        if low:
            lines.append(f"    if len(v) < {low}:\n        return False")
        if high is not None:
            lines.append(f"    if len(v) > {int(high)}:\n        return False")
        for index, function in enumerate(prefix):
            lines.append(f"    if len(v) > {index} and not {function}(v[{index}]):\n        return False")
        if each is not None:
            lines.append(
                f"    for item in v[{len(prefix)}:]:\n        if not {each}(item):\n            return False"
            )
        lines.append("    return True\n")
        self.lines.append("\n".join(lines))
        return name


@functools.cache
def _fast_check() -> Check:
    return _Compiler(_schema()).build()


def _path(parts: Iterable[str | int]) -> str:
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _key(key: Any) -> str:
    """A key of a JSON object as a path part: itself if short, plain and text, else shown."""
    if isinstance(key, str) and len(key) <= 60 and _PLAIN_KEY.fullmatch(key):
        return key
    return _show(key, 60)


_PLAIN_KEY = re.compile(r"[^\s.\[\]'\"\ud800-\udfff]*")
_TYPE_NAMES = {
    "object": "object",
    "array": "array",
    "string": "string",
    "null": "null",
    "boolean": "boolean",
    "number": "number",
    "integer": "integer",
}


def _has_type(value: Any, kind: str) -> bool:
    """``value`` is of the JSON Schema type ``kind``, as the fast check reads types."""
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return _is_number(value)
    return _is_integer(value)


class _Locator:
    """Finds the first problem of an invalid document, in document order, and words it.

    It walks the document along the schema (the keywords the fast check compiles), and
    asks the fast check of each part whether to look inside it: so it takes time in
    proportion to the document, never recurses deeper than the schema, and quotes only
    a short piece of the value at fault, however large or deep that value is.
    """

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.checks: dict[int, Check] = {}

    def valid(self, node: Mapping[str, Any], value: Any) -> bool:
        check = self.checks.get(id(node))
        if check is None:
            compiler = _Compiler(self.root)
            entry = compiler.function(node)
            scope = dict(compiler.names)
            exec("\n".join(compiler.lines), scope)  # generated from the shipped schema, as _fast_check
            check = self.checks[id(node)] = scope[entry]
        return bool(check(value))

    def applying(self, node: Mapping[str, Any], value: Any, about: str | None) -> list[tuple[Any, Any]]:
        """The schemas that apply to ``value`` at ``node`` ($ref, allOf and if/then undone),
        each with the description to quote.
        """
        about = about or node.get("description")
        found = [(node, about)]
        if "$ref" in node:
            found += self.applying(_Compiler(self.root).target(node["$ref"]), value, about)
        for sub in node.get("allOf", ()):
            found += self.applying(sub, value, about)
        if "if" in node and "then" in node and self.valid(node["if"], value):
            found += self.applying(node["then"], value, about)
        return found

    def problem(
        self, value: Any, node: Mapping[str, Any], parts: list[str | int], about: str | None = None
    ) -> ValidationError | None:
        schemas = self.applying(node, value, about)
        for sub, allowed in schemas:
            types = sub.get("type")
            if types is not None:
                names = [types] if isinstance(types, str) else list(types)
                if not any(_has_type(value, t) for t in names):
                    return self._type_problem(value, names, parts, allowed)
        for sub, allowed in schemas:
            found = self._own_problem(value, sub, parts, allowed)
            if found is not None:
                return found
        if isinstance(value, dict):
            found = self._object_problem(value, schemas, parts)
        elif isinstance(value, list):
            found = self._array_problem(value, schemas, parts)
        if found is None and not self.valid(node, value):
            # Nothing more precise found (a keyword this walk does not explain): say so here.
            found = ValidationError(
                _path(parts), value, _allowed(f"{_show(value)} is not allowed here", about)
            )
        return found

    def _type_problem(
        self, value: Any, names: list[str], parts: list[str | int], allowed: str | None
    ) -> ValidationError:
        if isinstance(value, float) and not math.isfinite(value):
            reason = f"{value!r} is not allowed: JSON has no NaN or infinity; use null for 'not given'"
        else:
            wanted = ", ".join(repr(_TYPE_NAMES[n]) for n in names)
            reason = f"{_show(value)} is not of type {wanted}"
        return ValidationError(_path(parts), value, _allowed(reason, allowed))

    def _own_problem(
        self, value: Any, node: Mapping[str, Any], parts: list[str | int], allowed: str | None
    ) -> ValidationError | None:
        """A problem with a keyword about ``value`` itself (not its items or fields)."""
        shown = _show(value)
        reason: str | None = None
        if "enum" in node and not _in(value, node["enum"]):
            options = ", ".join(_show(o) for o in node["enum"])
            reason = f"{shown} is not one of [{options}]"
        elif "const" in node and not _in(value, [node["const"]]):
            reason = f"{_show(node['const'])} was expected, not {shown}"
        elif _is_number(value):
            for key, words in (
                ("minimum", "less than the minimum of"),
                ("exclusiveMinimum", "less than or equal to the minimum of"),
                ("maximum", "greater than the maximum of"),
                ("exclusiveMaximum", "greater than or equal to the maximum of"),
            ):
                if key in node and not _compare(value, key, node[key]):
                    reason = f"{shown} is {words} {_number_text(node[key])}"
                    break
        elif isinstance(value, str):
            if len(value) < node.get("minLength", 0):
                reason = f"{shown} is too short" if value else "'' should be non-empty"
            elif "maxLength" in node and len(value) > node["maxLength"]:
                reason = f"{shown} is too long ({len(value):,} characters)"
            elif "pattern" in node and re.search(node["pattern"], value) is None:
                reason = f"{shown} does not match {node['pattern']!r}"
        if reason is None and "not" in node and self.valid(node["not"], value):
            # The only "not" of the schema keeps the fixed ids out of element ids.
            reason = f"{shown} is a reserved id; pick another"
        if (
            reason is None
            and node.get("uniqueItems")
            and isinstance(value, list)
            and all(isinstance(item, str) for item in value)
            and not _unique_text(value)
        ):
            reason = f"{shown} has an item twice"
        if reason is None and "anyOf" in node and not any(self.valid(sub, value) for sub in node["anyOf"]):
            # Explain the alternative meant for a value of this type, if one is.
            for sub in node["anyOf"]:
                types = [t for resolved, _ in self.applying(sub, value, None) for t in _types(resolved)]
                if any(_has_type(value, t) for t in types):
                    return self.problem(value, sub, parts, allowed)
            reason = f"{shown} is not allowed here"
        if reason is None:
            return None
        return ValidationError(_path(parts), value, _allowed(reason, allowed))

    def _object_problem(
        self, value: dict[Any, Any], schemas: list[tuple[Any, Any]], parts: list[str | int]
    ) -> ValidationError | None:
        objects = [sub for sub, _ in schemas if sub.keys() & _OBJECT_KEYWORDS]
        for key, item in value.items():
            for sub in objects:
                properties = sub.get("properties", {})
                if key in properties:
                    if not self.valid(properties[key], item):
                        return self.problem(item, properties[key], [*parts, _key(key)])
                elif sub.get("additionalProperties", True) is False:
                    known = tuple(properties)
                    close = _closest(key, known) if isinstance(key, str) else None
                    hint = f"did you mean {close!r}? " if close else ""
                    return ValidationError(
                        _path([*parts, _key(key)]), item, f"unknown field; {hint}allowed: {', '.join(known)}"
                    )
        for sub in objects:
            for key in sub.get("required", ()):
                if key not in value:
                    kind = value.get("type")
                    what = f"a {kind}" if isinstance(kind, str) and len(kind) < 20 else "this element"
                    return ValidationError(_path([*parts, key]), None, f"is missing; {what} needs {key!r}")
        return None

    def _array_problem(
        self, value: list[Any], schemas: list[tuple[Any, Any]], parts: list[str | int]
    ) -> ValidationError | None:
        arrays = [sub for sub, _ in schemas if sub.keys() & _ARRAY_KEYWORDS]
        for sub, _ in schemas:
            if not sub.keys() & _ARRAY_KEYWORDS:
                continue
            low, high = sub.get("minItems", 0), sub.get("maxItems", len(value))
            if "prefixItems" in sub and not low <= len(value) <= high:
                # The only arrays of fixed length in the schema are a variant's pair.
                return ValidationError(_path(parts), value, f"{_show(value)} is not a [name, quantity] pair")
            if len(value) > high:
                reason = f"{len(value):,} items are too many; at most {high} are allowed"
                return ValidationError(_path(parts), value, reason)
        for index, item in enumerate(value):
            for sub in arrays:
                prefix = sub.get("prefixItems", ())
                each = prefix[index] if index < len(prefix) else sub.get("items")
                if each is not None and not self.valid(each, item):
                    return self.problem(item, each, [*parts, index])
        return None


def _types(node: Mapping[str, Any]) -> list[str]:
    kind = node.get("type", [])
    return [kind] if isinstance(kind, str) else list(kind)


def _in(value: Any, options: Iterable[Any]) -> bool:
    # JSON equality: True is not 1, and a list is never an option here.
    return any(type(value) is type(option) and value == option for option in options)


def _compare(value: float, key: str, bound: float) -> bool:
    if key == "minimum":
        return bool(value >= bound)
    if key == "exclusiveMinimum":
        return bool(value > bound)
    if key == "exclusiveMaximum":
        return bool(value < bound)
    return bool(value <= bound)


def _allowed(reason: str, allowed: str | None) -> str:
    return f"{reason}; allowed: {allowed}" if allowed and allowed not in reason else reason


@functools.cache
def _locator() -> _Locator:
    return _Locator(_schema())


def _schema_problem(document: Any) -> ValidationError | None:
    """The first schema violation in document order, worded for a person, or None.

    At one place a wrong type is told before the checks that follow from it; a missing
    field comes after the fields that are there.
    """
    return _locator().problem(document, _schema(), [])


# --------------------------------------------------------------------------- versions


def _check_version(document: Mapping[str, Any]) -> int:
    if "schema" not in document:
        raise ValidationError(
            "$.schema",
            None,
            'the document has no "schema" version; a vsm_widget map starts with '
            f'{{"schema": {SCHEMA_VERSION}, ...}}',
        )
    version = document["schema"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError(
            "$.schema", version, f"{_show(version)} is not a schema version; it must be a whole number"
        )
    if version > SCHEMA_VERSION:
        raise ValidationError(
            "$.schema",
            version,
            f"written by a newer vsm_widget (schema {_show(version)}); this version reads schema "
            f"{SCHEMA_VERSION} and older: upgrade vsm_widget",
        )
    if version < 1:
        raise ValidationError(
            "$.schema", version, f"{_show(version)} is not a schema version; versions start at 1"
        )
    return version


def _migrate(document: Mapping[str, Any], version: int) -> Mapping[str, Any]:
    """The document upgraded to :data:`SCHEMA_VERSION`, one version at a time."""
    if version == SCHEMA_VERSION:
        return document
    steps = []
    for old in range(version, SCHEMA_VERSION):
        step = MIGRATIONS.get(old)
        if step is None:
            raise ValidationError(
                "$.schema",
                document["schema"],
                f"schema {old} cannot be upgraded: no migration from it to {old + 1} is known",
            )
        steps.append(step)
    if all(step in _ADDS_ONLY for step in steps):
        # Nothing to change but the version: no copy of a document that may be huge.
        return {**document, "schema": SCHEMA_VERSION}
    if all(step in _ADDS_ONLY | _TOP_LEVEL_ONLY for step in steps):
        upgraded: dict[str, Any] = dict(document)
    else:
        upgraded = copy.deepcopy(dict(document))
    for step in steps:
        upgraded = step(upgraded)
        version += 1
        upgraded["schema"] = version
    return upgraded


# --------------------------------------------------------------------------- documents

#: Each element class's kind (``"process"``...).
_KIND_OF = {cls: kind for kind, cls in KINDS.items()}
#: The fields of each element class in its document: its id (if it has one), then every
#: declared field, as in :mod:`vsm_widget.core.fields`.
_GROUP_FIELDS = {
    cls: (("id",) if "id" in cls.__dataclass_fields__ else ()) + tuple(f.name for f in declared(kind))  # type: ignore[attr-defined]
    for kind, cls in KINDS.items()
    if kind != "map"
}
#: Per class: fields whose stored tuples are written as JSON lists (or, for typed units, an
#: object, left out when empty), by the kind of value.
_SHAPED_FIELDS: dict[type, tuple[tuple[str, str], ...]] = {
    cls: tuple(
        (f.name, f.kind) for f in declared(kind) if f.kind in ("waste", "variants", "units", "distributions")
    )
    for kind, cls in KINDS.items()
}
#: Per class: its numeric fields, each with whether it is stored as a whole number.
_NUMBER_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {
    cls: tuple(
        (f.name, f.kind == "integer")
        for f in declared(kind)
        if f.kind in ("duration", "share", "number", "integer", "coordinate")
    )
    for kind, cls in KINDS.items()
}
#: The map's own fields, written at the top of a document.
_MAP_FIELDS = tuple(f.name for f in declared("map"))


#: Per class: its fields' names, and one getter of all their values (in that order).
_READERS = {cls: (names, operator.attrgetter(*names)) for cls, names in _GROUP_FIELDS.items()}


def _element(item: Any, typed: bool = False) -> dict[str, Any]:
    """An element's document (a stream item's, ``typed``, starts with its type)."""
    names, read = _READERS[type(item)]
    data = {"type": item.kind} if typed else {}
    data.update(zip(names, read(item), strict=True))
    for name, kind in _SHAPED_FIELDS[type(item)]:
        if kind == "waste":
            data[name] = list(data[name])
        elif kind == "variants":
            data[name] = [list(pair) for pair in data[name]]
        elif not data[name]:
            del data[name]  # none: documents stay as they were before schema 2 (units) or 5
        elif kind == "distributions":
            data[name] = {field: dist.to_dict() for field, dist in data[name]}
        else:
            data[name] = dict(data[name])
    return data


class DocumentCache:
    """The documents of elements already written, reused while the element is the same object.

    States share their unchanged elements, so a widget that writes the document after
    every edit writes only what the edit changed, and can tell which items changed by
    identity. Elements no longer in the map are forgotten on the next write.
    """

    def __init__(self) -> None:
        self._items: dict[int, tuple[Any, dict[str, Any]]] = {}
        self._used: dict[int, tuple[Any, dict[str, Any]]] = {}

    def item(self, element: Any, make: Any) -> dict[str, Any]:
        """The document of ``element``: the one written before if it is the same object."""
        hit = self._items.get(id(element))
        if hit is None or hit[0] is not element:
            hit = (element, make(element))
        self._used[id(element)] = hit
        return hit[1]

    def finish(self) -> None:
        """End a write: keep only the elements it used."""
        self._items, self._used = self._used, {}


def _stream_element(item: Any) -> dict[str, Any]:
    return _element(item, typed=True)


def _branch_element(branch: Branch, cache: DocumentCache | None = None) -> dict[str, Any]:
    """A branch's document: its fields, then its steps and gaps as the stream's."""
    items = [_stream_element(i) if cache is None else cache.item(i, _stream_element) for i in branch.items]
    return {**_element(branch), "items": items}


def _shape_lists(state: MapState, cache: DocumentCache | None = None) -> dict[str, Any]:
    """The branches and rework loops, where the map has any (a straight map's document
    is as it was before schema 3).
    """
    lists: dict[str, Any] = {}
    if state.branches:
        lists["branches"] = [_branch_element(b, cache) for b in state.branches]
    if state.reworks:
        lists["reworks"] = [_element(r) if cache is None else cache.item(r, _element) for r in state.reworks]
    return lists


def to_document(
    state: MapState | Map, *, cache: DocumentCache | None = None, workshop: bool = False
) -> dict[str, Any]:
    """The state (or map) as a JSON-ready document of the current schema version.

    With a ``cache`` (kept between writes of one map), the dicts of unchanged elements
    are the same objects as in the document written before. With ``workshop=True`` (a
    map, not a state) the document also holds the workshop's dot votes and whys
    (``"workshop": {"votes", "whys"}``); without it, nothing of the workshop.
    """
    if workshop:
        if not isinstance(state, Map):
            raise TypeError("to_document(..., workshop=True) takes the map, not its state")
        return {**to_document(state.state), "workshop": state.workshop.record()}
    if isinstance(state, Map):
        state = state.state
    top = {"schema": SCHEMA_VERSION, **{name: getattr(state, name) for name in _MAP_FIELDS}}
    if cache is not None:
        document = {
            **top,
            "customer": cache.item(state.customer, _element),
            "supplier": None if state.supplier is None else cache.item(state.supplier, _element),
            "control": None if state.control is None else cache.item(state.control, _element),
            "stream": [cache.item(item, _stream_element) for item in state.stream],
            "shipments": [cache.item(s, _element) for s in state.shipments],
            "flows": [cache.item(f, _element) for f in state.flows],
            "bursts": [cache.item(b, _element) for b in state.bursts],
            **_shape_lists(state, cache),
        }
        cache.finish()
        return document
    return {
        **top,
        "customer": _element(state.customer),
        "supplier": None if state.supplier is None else _element(state.supplier),
        "control": None if state.control is None else _element(state.control),
        "stream": [_element(item, typed=True) for item in state.stream],
        "shipments": [_element(s) for s in state.shipments],
        "flows": [_element(f) for f in state.flows],
        "bursts": [_element(b) for b in state.bursts],
        **_shape_lists(state),
        **({"measured": [dataclasses.asdict(s) for s in spreads]} if (spreads := state.spreads()) else {}),
    }


def _values(kind: str, cls: type, raw: Mapping[str, Any], state: MapState, path: str) -> dict[str, Any]:
    """The fields of one element, in the types the model stores.

    The schema has already checked every type, range and choice, so values are stored
    as they are (whole numbers become floats where the model keeps floats; lists become
    tuples; several waste tags go through the model's parser for their canonical order,
    typed units are put in the fields' order). :meth:`ValueStreamMap.from_state` then
    checks the fields whose rules the schema does not state (text, variants: see
    :data:`~vsm_widget.data.document_schema.PROVEN_KINDS`), and every whole-map rule;
    its errors are given the JSON path.
    """
    values = dict(raw)
    values.pop("type", None)
    values.pop("id", None)
    for name, whole in _NUMBER_FIELDS[cls]:
        value = values.get(name)
        if value.__class__ is int:
            if not whole:
                values[name] = float(value)
        elif whole and value.__class__ is float:
            values[name] = int(value)  # the schema let through only whole numbers such as 2.0
    for name, kind_of in _SHAPED_FIELDS[cls]:
        value = values.get(name)
        if value.__class__ is list:
            if kind_of == "variants":
                values[name] = tuple((pair[0], float(pair[1])) for pair in value)
            elif len(value) < 2:
                values[name] = tuple(value)
            else:
                try:
                    values[name] = parse_field(kind, name, value, state)
                except ValidationError as error:
                    raise ValidationError(f"{path}.{name}", value, error.reason) from None
        elif value.__class__ is dict:
            if kind_of == "distributions":
                values[name] = _distributions(kind, value, f"{path}.{name}")
            else:
                values[name] = _typed_units(kind, value)
    return values


def _distributions(kind: str, value: dict[str, Any], path: str) -> tuple[tuple[str, Distribution], ...]:
    """Distributions as the model stores them: ``((field, distribution), ...)`` in the
    fields' order, each made by :func:`~vsm_widget.core.distributions.from_dict`, which
    checks what the schema cannot say (a triangular's mode between its low and high).
    """
    order = _duration_order(kind)
    found = []
    for name, data in value.items():
        try:
            found.append((name, from_dict(data)))
        except ValidationError as error:
            raise ValidationError(f"{path}.{name}.{error.field}", data, error.reason) from None
    return tuple(sorted(found, key=lambda pair: order[pair[0]]))


@functools.cache
def _duration_order(kind: str) -> dict[str, int]:
    """The place of each duration of ``kind`` in its declared order (typed units follow it)."""
    return {spec.name: index for index, spec in enumerate(s for s in declared(kind) if s.kind == "duration")}


def _typed_units(kind: str, value: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Typed units as the model stores them: ``((field, unit), ...)`` in the fields' order.

    The schema proved each key a duration of ``kind`` and each unit one of the model's
    own spellings, so only their order is left to settle.
    """
    order = _duration_order(kind)
    pairs = tuple(value.items())
    if len(pairs) > 1:
        pairs = tuple(sorted(pairs, key=lambda pair: order[pair[0]]))
    return pairs


# Thousands of steps and gaps per document: see vsm_widget.core.frozen.
_new_process = builder(Process)
_new_gap = builder(Gap)
#: The fields of a step and of a gap after the id, in the order of their classes
#: (not the frame columns of the same names below, which leave typed units out).
_PROCESS_ORDER = tuple(f.name for f in dataclasses.fields(Process))[1:]
_GAP_ORDER = tuple(f.name for f in dataclasses.fields(Gap))[1:]


def _made(build: Callable[..., Any], names: tuple[str, ...], item_id: str, values: dict[str, Any]) -> Any:
    """``build(id=item_id, **values)``; by position where the values are the first fields
    in order, as in every document this package writes (four times faster than by name).
    """
    if tuple(values) == names[: len(values)]:
        return build(item_id, *values.values())
    return build(id=item_id, **values)


def _settled_gap(values: dict[str, Any], path: str) -> dict[str, Any]:
    """A gap's quantity is the sum of its variants, where there are variants."""
    variants = values.get("variants")
    if variants:
        total = math.fsum(q for _, q in variants)
        if total > MAX_QUANTITY:
            return values  # the model's check of the variants names them and their sum
        given = values.get("quantity")
        if given is not None and not math.isclose(given, total):
            raise ValidationError(
                f"{path}.quantity",
                given,
                f"it differs from the sum of the variants ({format_number(total)}); give that sum or null",
            )
        values["quantity"] = total
    return values


def from_document(document: Mapping[str, Any]) -> Map:
    """A map from a document, every value validated; raises :class:`ValidationError`.

    The error's ``field`` is the JSON path of the first problem (``$.stream[3].cycle_time``)
    and its message says what was given and what is allowed. Older schema versions are
    migrated first; newer ones are refused.
    """
    if not isinstance(document, Mapping):
        raise ValidationError(
            "$",
            document,
            f'a map document is a JSON object, not {_json_kind(document)}; it starts with {{"schema": ...',
        )
    document = _migrate(document, _check_version(document))
    if not isinstance(document, dict):
        document = dict(document)
    if not _fast_check()(document):
        problem = _schema_problem(document)
        if problem is not None:
            raise problem
    m = _checked_map(_state_from(document))
    if "workshop" in document:
        m.workshop.from_record(document["workshop"], path="$.workshop")
    return m


def _state_from(document: Mapping[str, Any]) -> MapState:
    base = MapState()
    top = _values(
        "map",
        MapState,
        {k: document[k] for k in _MAP_FIELDS if k in document},
        base,
        "$",
    )
    customer = Customer(**_values("customer", Customer, document.get("customer") or {}, base, "$.customer"))
    base = dataclasses.replace(base, customer=customer, **top)
    supplier = control = None
    if document.get("supplier") is not None:
        supplier = Supplier(**_values("supplier", Supplier, document["supplier"], base, "$.supplier"))
    if document.get("control") is not None:
        control = Control(**_values("control", Control, document["control"], base, "$.control"))

    seen: dict[str, str] = {}

    def claim(item_id: str, path: str) -> str:
        if item_id in seen:
            raise ValidationError(
                f"{path}.id", item_id, f"the id {_show(item_id, 70)} is already used at {seen[item_id]}"
            )
        seen[item_id] = path
        return item_id

    def items(raws: Iterable[Mapping[str, Any]], where: str) -> tuple[Process | Gap, ...]:
        found: list[Process | Gap] = []
        for index, raw in enumerate(raws):
            path = f"{where}[{index}]"
            if raw["type"] == "process":
                values = _values("process", Process, raw, base, path)
                found.append(_made(_new_process, _PROCESS_ORDER, claim(raw["id"], path), values))
            else:
                values = _settled_gap(_values("gap", Gap, raw, base, path), path)
                found.append(_made(_new_gap, _GAP_ORDER, claim(raw["id"], path), values))
        return tuple(found)

    stream = items(document.get("stream", ()), "$.stream")
    branches = []
    for index, raw in enumerate(document.get("branches", ())):
        path = f"$.branches[{index}]"
        fields = {k: v for k, v in raw.items() if k != "items"}
        values = _values("branch", Branch, fields, base, path)
        branch_id = claim(raw["id"], path)
        branches.append(Branch(id=branch_id, items=items(raw.get("items", ()), f"{path}.items"), **values))
    reworks = []
    for index, raw in enumerate(document.get("reworks", ())):
        path = f"$.reworks[{index}]"
        reworks.append(Rework(id=claim(raw["id"], path), **_values("rework", Rework, raw, base, path)))
    shipments = []
    for index, raw in enumerate(document.get("shipments", ())):
        path = f"$.shipments[{index}]"
        shipments.append(
            Shipment(id=claim(raw["id"], path), **_values("shipment", Shipment, raw, base, path))
        )
    flows = []
    for index, raw in enumerate(document.get("flows", ())):
        path = f"$.flows[{index}]"
        flows.append(InfoFlow(id=claim(raw["id"], path), **_values("flow", InfoFlow, raw, base, path)))
    bursts = []
    for index, raw in enumerate(document.get("bursts", ())):
        path = f"$.bursts[{index}]"
        bursts.append(Burst(id=claim(raw["id"], path), **_values("burst", Burst, raw, base, path)))
    # Flows and bursts may point at any element, as edits in Python may.
    known = {"customer", *seen}
    known.update(
        name for name, element in (("supplier", supplier), ("control", control)) if element is not None
    )
    for index, flow in enumerate(flows):
        for end in ("source", "target"):
            _check_target(getattr(flow, end), known, f"$.flows[{index}].{end}")
    for index, burst in enumerate(bursts):
        if burst.target is not None:
            _check_target(burst.target, known, f"$.bursts[{index}].target")
    measured = []
    kinds = {item.id: item.kind for item in (*stream, *(i for b in branches for i in b.items))}
    for index, raw in enumerate(document.get("measured", ())):
        path = f"$.measured[{index}]"
        _check_target(raw["target"], set(kinds), f"{path}.target")
        if raw["field"] not in SPREAD_FIELDS[kinds[raw["target"]]]:
            raise ValidationError(
                f"{path}.field", raw["field"], f"a {kinds[raw['target']]} has no measured {raw['field']}"
            )
        numbers = {k: float(raw[k]) for k in ("p15", "median", "p85")}
        measured.append(Spread(**{**raw, **numbers}))
    return dataclasses.replace(
        base,
        supplier=supplier,
        control=control,
        stream=stream,
        shipments=tuple(shipments),
        flows=tuple(flows),
        bursts=tuple(bursts),
        measured=tuple(measured),
        branches=tuple(branches),
        reworks=tuple(reworks),
    )


def _check_target(target: str, known: set[str], path: str) -> None:
    if target not in known:
        close = _closest(target, sorted(known))
        hint = f"; did you mean {close!r}?" if close else ""
        raise ValidationError(path, target, f"no element of this map has the id {_show(target, 70)}{hint}")


def _checked_map(state: MapState) -> Map:
    """The map, once :meth:`ValueStreamMap.from_state` has checked the whole state (every
    field, unique names, no two gaps side by side, the calendar); its errors are given
    the JSON path of the element at fault.
    """
    try:
        # The schema check proved the fields of these kinds, and _values stored them as
        # the parsers do: they are not read a second time.
        return map_from_state(state, proven=PROVEN_KINDS)
    except ValidationError as error:
        raise ValidationError(_state_path(state, error), error.value, error.reason) from None


def _state_path(state: MapState, error: ValidationError) -> str:
    target, field = error.target, error.field
    if target in (None, "map"):
        return f"$.{field}"
    if target in ("customer", "supplier", "control"):
        return f"$.{target}.{field}"
    if field == "measured":
        for index, spread in enumerate(state.measured):
            if spread.target == target:
                return f"$.measured[{index}]"
    for group in ("stream", "shipments", "flows", "bursts", "branches", "reworks"):
        for index, item in enumerate(getattr(state, group)):
            if item.id == target:
                return f"$.{group}[{index}]" + ("" if field == "stream" else f".{field}")
    for index, branch in enumerate(state.branches):
        for place, item in enumerate(branch.items):
            if item.id == target:
                path = f"$.branches[{index}].items[{place}]"
                return path + ("" if field == "stream" else f".{field}")
    return f"$.{field}"


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


# --------------------------------------------------------------------------- JSON text and files


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def to_json(m: Map | MapState, *, workshop: bool = False) -> str:
    """The map as JSON text: one line per top-level field and per element, so that a
    change to one step is a one-line difference under version control. ``workshop=True``
    adds the workshop's votes and whys (see :func:`to_document`).
    """
    document = to_document(m, workshop=workshop)
    lines = ["{"]
    last = len(document) - 1
    for position, (key, value) in enumerate(document.items()):
        comma = "," if position < last else ""
        name = json.dumps(key)
        if isinstance(value, list) and value:
            inner = ",\n".join(f"    {_json_line(item)}" for item in value)
            lines.append(f"  {name}: [\n{inner}\n  ]{comma}")
        else:
            lines.append(f"  {name}: {_compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _json_line(item: Any) -> str:
    """One element as compact JSON; a branch's steps and gaps each on a line of their own."""
    steps = item.get("items") if isinstance(item, dict) else None
    if not steps:
        return _compact(item)
    head = _compact({k: v for k, v in item.items() if k != "items"})[:-1]
    inner = ",\n".join(f"      {_compact(step)}" for step in steps)
    return f'{head}, "items": [\n{inner}\n    ]}}'


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise ValidationError("$", twice, f"the key {_show(twice, 70)} appears twice in one object; keep one")
    return result


def from_json(text: str | bytes, *, source: str | None = None) -> Map:
    """A map from JSON text. Malformed JSON gives a :class:`ValidationError` naming the
    line and column; ``source`` (a file name) is named in errors.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(
                "$", None, f"the file is not UTF-8 text (byte {error.start} cannot be read)", source
            ) from None
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as error:
        # The value shown is the text where reading stopped.
        near = error.doc[error.pos : error.pos + 30]
        raise ValidationError("$", near, _json_error(error), source) from None
    except ValidationError as error:
        raise ValidationError(error.field, error.value, error.reason, source) from None
    except RecursionError:
        # Python's reader gives up near a thousand levels; a map has five.
        raise ValidationError(
            "$", None, "the document is nested far too deeply to be a map (lists in lists...)", source
        ) from None
    except ValueError:
        # json.loads refuses to read an integer of more than sys.get_int_max_str_digits().
        raise ValidationError(
            "$",
            None,
            "the document holds a number of thousands of digits; no value of a map is that long",
            source,
        ) from None
    try:
        return from_document(document)
    except ValidationError as error:
        if source is None:
            raise
        raise ValidationError(error.field, error.value, error.reason, source) from None


def _json_error(error: json.JSONDecodeError) -> str:
    if not error.doc.strip():
        return "the file is empty; a map document is a JSON object"
    where = f"line {error.lineno}, column {error.colno}"
    if _unclosed(error.doc):
        ending = "the text ends inside the document (is the file truncated?)"
        return f"not valid JSON at {where}: {error.msg}; {ending}"
    return f"not valid JSON at {where}: {error.msg}"


def _unclosed(text: str) -> bool:
    """Whether text ends inside a string, object or list: the mark of a cut-off file."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
    return in_string or depth > 0


def save(m: Map | MapState, path: str | os.PathLike[str], *, workshop: bool = False) -> Path:
    """Write the map to ``path`` as UTF-8 JSON, atomically, and return the path.

    The text goes to a temporary file in the same folder, is flushed to disk, and then
    replaces ``path`` in one step: a crash or an error leaves either the old file or
    the new one, never half a file, and no temporary file behind. ``workshop=True``
    saves the workshop's votes and whys too; :func:`load` restores them.
    """
    return write_text_atomic(path, to_json(m, workshop=True) if workshop else to_json(m))


def load(path: str | os.PathLike[str]) -> Map:
    """Read a map written by :func:`save`; errors name the file and the JSON path at fault.

    A path that is not a regular file (a FIFO, a device) raises ``OSError`` rather than
    waiting or reading without end.
    """
    target = Path(os.fspath(path))
    if target.exists() and not target.is_file() and not target.is_dir():
        raise OSError(errno.EINVAL, "this is not a file; give the path of a map document", str(target))
    return from_json(target.read_bytes(), source=target.name)


# --------------------------------------------------------------------------- pandas frames

# The frame columns follow the field declarations (fields.columns): a column is named as
# its field, and a gap's columns get "gap_" before the name.
_STEP_FIELDS = tuple(n for n in columns("process") if n != "name")
_GAP_FIELDS = columns("gap")
#: A step's own columns in :func:`steps_frame`, named as the model's fields.
STEP_COLUMNS = ("type", "id", "name", *_STEP_FIELDS)
#: The path of each row: ``path`` is ``"main"`` or a branch's id; a branch's rows name
#: the step it feeds (``path_into``) and, for a parallel path, the step it splits off
#: after (``path_after``).
PATH_COLUMNS = ("path", "path_into", "path_after")
#: The columns of the gap before each step.
GAP_COLUMNS = ("gap_id", *(f"gap_{n}" for n in _GAP_FIELDS))
#: Figures from :meth:`ValueStreamMap.metrics`; :func:`from_frame` ignores them.
DERIVED_COLUMNS = (
    "effective_cycle_time",
    "step_lead_time",
    "capacity_per_day",
    "over_takt",
    "is_bottleneck",
    "gap_inventory_days",
    "gap_wait",
)
#: Friendlier column names that :func:`from_frame` accepts, and the column each means.
FRAME_ALIASES = {
    "step": "name",
    "process": "name",
    "ct": "cycle_time",
    "c/t": "cycle_time",
    "co": "changeover",
    "c/o": "changeover",
    "changeover_time": "changeover",
    "%c&a": "complete_accurate",
    "c&a": "complete_accurate",
    "pca": "complete_accurate",
    "people": "operators",
    "batch": "batch_size",
    "stations": "parallel",
    "waste_type": "waste",
    "inventory": "gap_quantity",
    "quantity": "gap_quantity",
    "wip": "gap_quantity",
    "variants": "gap_variants",
    "wait": "gap_wait_time",
    "wait_time": "gap_wait_time",
    "queue": "gap_wait_time",
    "flow": "gap_flow",
    "fifo_max": "gap_fifo_max",
    "cycle": "cycle_time",
    "cycletime": "cycle_time",
    "lead": "lead_time",
    "leadtime": "lead_time",
    "pt": "process_time",
    "p/t": "process_time",
    "lt": "lead_time",
    "l/t": "lead_time",
    "hands_on_time": "process_time",
    "touch_time": "process_time",
    "value_added_time": "process_time",
    "operator": "operators",
    "batch_size_units": "batch_size",
}


def _frame_columns(*value_kinds: str) -> tuple[str, ...]:
    """The step and gap columns whose fields hold one of ``value_kinds``."""
    return tuple(
        f"{prefix}{spec.name}"
        for kind, prefix in (("process", ""), ("gap", "gap_"))
        for spec in declared(kind)
        if spec.column and spec.kind in value_kinds
    )


_INTEGER_COLUMNS = _frame_columns("integer")
_TEXT_FIELDS = frozenset(
    {"type", "id", *(c.removeprefix("gap_") for c in _frame_columns("text", "longtext", "choice", "waste"))}
)
#: Columns that hold durations: a unit in their header (``"C/T (min)"``) applies to bare numbers.
_DURATION_COLUMNS = frozenset(_frame_columns("duration"))
#: Columns that hold shares: ``"Uptime (%)"`` reads 85 as 0.85.
_SHARE_COLUMNS = frozenset(_frame_columns("share"))
# "C/T (min)", "Cycle time [sec]", "cycle time in minutes", "wait_h".
_HEADER_UNIT = re.compile(r"^(.*?)\s*(?:[(\[]\s*([^)\]]*?)\s*[)\]]|\s+in\s+([a-z%]+))\s*$")
_QUOTED = re.compile(r'^\s*"((?:[^"\\]|\\.)*)"\s*=\s*(.*)$', re.DOTALL)


def _number_text(value: float) -> str:
    """A number as short text that reads back exactly (``4600`` not ``4600.0``)."""
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _variants_text(variants: tuple[tuple[str, float], ...]) -> str:
    """``"LH=4600; RH=2400"``; a name with ``;``, ``=``, quotes or outer spaces is quoted."""
    parts = []
    for name, quantity in variants:
        plain = name == name.strip() and not any(ch in name for ch in ';="\\')
        parts.append(f"{name if plain else json.dumps(name, ensure_ascii=False)}={_number_text(quantity)}")
    return "; ".join(parts)


def _variants_from_text(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    rest = text.strip()
    while rest:
        quoted = _QUOTED.match(rest)
        if quoted:
            name = json.loads(f'"{quoted.group(1)}"')
            rest = quoted.group(2)
        else:
            head, sep, tail = rest.partition("=")
            if not sep:
                raise ValueError(f"{rest!r} has no '='; write variants as 'LH=4600; RH=2400'")
            name, rest = head.strip(), tail
        amount, _, rest = rest.partition(";")
        pairs.append((name, amount.strip()))
        rest = rest.strip()
    return pairs


def steps_frame(m: Map) -> pd.DataFrame:
    """One row per step: its fields, the gap before it (``gap_*``) and derived figures.

    Durations are seconds; waste tags read ``"waiting, motion"``; variants read
    ``"LH=4600; RH=2400"``. A gap after the last step gets one final row whose
    ``type`` is ``"end"`` (step rows have ``"process"``). Derived columns
    (:data:`DERIVED_COLUMNS`): ``effective_cycle_time``, ``step_lead_time`` (the step's
    lower rung of the timeline), ``capacity_per_day``, ``over_takt``, ``is_bottleneck``,
    ``gap_inventory_days`` and ``gap_wait`` (the gap's upper rung: its wait time, else its
    inventory days x the length of a day). The index is the row number.

    The rows of the main line come first (``path`` ``"main"``), then each branch's, its
    ``path`` its id, with ``path_into`` (the step it feeds) and ``path_after`` (the step
    it splits off after, if it is a parallel path); each path may end with its own
    ``"end"`` row. Branch names and rework loops are in the JSON document, not in frames.
    """
    import pandas as pd

    metrics = m.metrics()
    step_figures = {s.id: s for s in metrics.steps}
    gap_figures = {g.id: g for g in metrics.gaps}
    rows: list[tuple[Process | None, Gap | None, tuple[str, str | None, str | None]]] = []
    ends = {b.id: (b.id, b.into, b.after) for b in m.state.branches}
    for path, items in m.state.by_path:
        where = ends.get(path, (MAIN, None, None))
        pending: Gap | None = None
        for item in items:
            if isinstance(item, Gap):
                pending = item
            else:
                rows.append((item, pending, where))
                pending = None
        if pending is not None:
            rows.append((None, pending, where))

    names = (*STEP_COLUMNS, *PATH_COLUMNS, *GAP_COLUMNS, *DERIVED_COLUMNS)
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for step, gap, where in rows:
        columns["type"].append("process" if step is not None else "end")
        for name, value in zip(PATH_COLUMNS, where, strict=True):
            columns[name].append(value)
        for name, value in _step_cells(step).items():
            columns[name].append(value)
        for name, value in _gap_cells(gap).items():
            columns[name].append(value)
        figures = None if step is None else step_figures[step.id]
        columns["effective_cycle_time"].append(None if figures is None else figures.effective_cycle_time)
        columns["step_lead_time"].append(None if figures is None else figures.lead_time)
        columns["capacity_per_day"].append(None if figures is None else figures.capacity_per_day)
        columns["over_takt"].append(None if figures is None else figures.over_takt)
        columns["is_bottleneck"].append(None if figures is None else figures.is_bottleneck)
        gap_figure = None if gap is None else gap_figures[gap.id]
        columns["gap_inventory_days"].append(None if gap_figure is None else gap_figure.inventory_days)
        columns["gap_wait"].append(None if gap_figure is None else gap_figure.wait_time)

    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(rows)))
    numeric = (
        *_frame_columns("duration", "share", "number", "coordinate"),
        "effective_cycle_time",
        "step_lead_time",
        "capacity_per_day",
        "gap_inventory_days",
        "gap_wait",
    )
    dtypes: dict[str, str] = {name: "float64" for name in numeric}
    dtypes.update({name: "Int64" for name in _INTEGER_COLUMNS})
    dtypes.update({"over_takt": "boolean", "is_bottleneck": "boolean"})
    return frame.astype(dtypes)


def _step_cells(step: Process | None) -> dict[str, Any]:
    if step is None:
        return {"id": None, "name": None, **dict.fromkeys(_STEP_FIELDS)}
    cells = {name: getattr(step, name) for name in ("id", "name", *_STEP_FIELDS)}
    cells["waste"] = ", ".join(step.waste)
    cells["distributions"] = distributions_text(step.distributions)
    return cells


def _gap_cells(gap: Gap | None) -> dict[str, Any]:
    if gap is None:
        return dict.fromkeys(GAP_COLUMNS)
    cells = {f"gap_{name}": getattr(gap, name) for name in ("id", *_GAP_FIELDS)}
    cells["gap_waste"] = ", ".join(gap.waste)
    cells["gap_variants"] = _variants_text(gap.variants)
    cells["gap_distributions"] = distributions_text(gap.distributions)
    return cells


def distributions_text(record: tuple[tuple[str, Distribution], ...]) -> str:
    """An element's distributions as one cell's text, each in its text form:
    ``"cycle_time=triangular(40 s, 55 s, 90 s); changeover=exponential(10 min)"``.
    """
    return "; ".join(f"{name}={dist.text()}" for name, dist in record)


def _distributions_from_text(text: str) -> dict[str, str]:
    """``{field: distribution text}`` from :func:`distributions_text`'s text."""
    found: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, dist = part.partition("=")
        if not sep:
            raise ValueError(
                f"{part.strip()!r} has no '='; "
                "write distributions as 'cycle_time=triangular(40 s, 55 s, 90 s)'"
            )
        found[name.strip()] = dist.strip()
    return found


def _missing(value: Any) -> bool:
    """An empty cell: None, NaN, pandas' NA, or empty text (a blank CSV field)."""
    if value is None or (isinstance(value, str) and not value):
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover - pandas is a dependency
        return False


def _header_key(column: Any) -> tuple[str, str | None]:
    """The canonical name a header stands for and the unit it carries, if any."""
    text = str(column).strip().lower()
    unit = None
    match = _HEADER_UNIT.match(text)
    if match and match.group(1):
        text, unit = match.group(1), (match.group(2) or match.group(3) or "").strip()
    key = re.sub(r"[\s\-]+", "_", text.strip())
    key = FRAME_ALIASES.get(key, key)
    if unit is None and "_" in key:
        # "cycle_time_min", "wait_h": a unit as the last word of a known column.
        head, _, tail = key.rpartition("_")
        head = FRAME_ALIASES.get(head, head)
        if head in _DURATION_COLUMNS and tail in units._UNIT_ALIASES:
            key, unit = head, tail
    return key, unit


def _canonical_columns(
    columns: Iterable[Any], ignore: Iterable[Any] | bool = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """Canonical column name -> the frame's column (aliases resolved), and the unit each
    header names (``"C/T (min)"``: ``cycle_time`` in minutes).

    A column that is no field, alias or derived figure is refused (naming the closest
    known column where one is close), unless ``ignore`` names it or is ``True``.
    """
    known = (*STEP_COLUMNS, *PATH_COLUMNS, *GAP_COLUMNS)
    ignored = ignore if isinstance(ignore, bool) else {str(c) for c in ignore}
    found: dict[str, str] = {}
    header_units: dict[str, str] = {}
    unplaced: list[Any] = []
    for column in columns:
        key, unit = _header_key(column)
        if key in DERIVED_COLUMNS or key == "index" or key.startswith("unnamed:"):
            continue
        if key not in known:
            if ignored is True or str(column) in ignored:
                continue
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
            if close:
                raise ValidationError(str(column), None, f"unknown column; did you mean {close[0]!r}?")
            unplaced.append(column)
            continue
        if key in found:
            raise ValidationError(
                str(column), None, f"the columns {found[key]!r} and {column!r} both give {key!r}; keep one"
            )
        if unit is not None:
            header_units[key] = _header_unit(key, unit, column)
        found[key] = column
    if unplaced:
        shown = ", ".join(repr(str(c)) for c in unplaced[:10])
        raise ValidationError(
            str(unplaced[0]),
            None,
            f"from_frame cannot place the column(s) {shown}: they are no step field, gap_* field or "
            "alias (see FRAME_ALIASES); rename them, or leave them out with ignore=[...]",
        )
    return found, header_units


def _header_unit(key: str, unit: str, column: Any) -> str:
    """The canonical unit of a header, checked against what its column holds."""
    if key in _DURATION_COLUMNS:
        canonical = units._UNIT_ALIASES.get(unit)
        if canonical is None:
            raise ValidationError(
                str(column),
                unit,
                f"{unit!r} is not a duration unit; use one of {', '.join(units.DURATION_UNITS)}",
            )
        return canonical
    if key in _SHARE_COLUMNS:
        if unit != "%":
            raise ValidationError(str(column), unit, "a share is a fraction, or a percentage with '(%)'")
        return "%"
    return ""  # counts ("Inventory (pcs)"): the unit names what is counted


def _with_header_unit(value: Any, unit: str) -> Any:
    """A bare number under a header with a unit, as that quantity."""
    if not unit:
        return value
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            return value  # text with its own unit, such as "45 s"
    if number is None or math.isnan(number):
        return value
    return number / 100 if unit == "%" else f"{number!r} {unit}"


@dataclasses.dataclass
class _Row:
    label: Any
    kind: str
    step: dict[str, Any]
    gap: dict[str, Any]
    path: dict[str, Any] = dataclasses.field(default_factory=dict)


def _rows(frame: pd.DataFrame, columns: Mapping[str, str]) -> Iterator[_Row]:
    records = frame[list(columns.values())].to_dict("records") if columns else [{}] * len(frame)
    for label, record in zip(frame.index, records, strict=True):
        cells = {key: record[column] for key, column in columns.items() if not _missing(record[column])}
        if not cells or all(isinstance(v, str) and not v.strip() for v in cells.values()):
            continue  # a blank row (a spacer in a spreadsheet)
        kind = cells.pop("type", "process")
        if not isinstance(kind, str) or kind.strip().lower() not in ("process", "end"):
            raise ValidationError(
                f"row {label}: {columns['type']}", kind, f"{kind!r} is not 'process' or 'end'"
            )
        path = {k: cells.pop(k) for k in PATH_COLUMNS if k in cells}
        step = {k: v for k, v in cells.items() if not k.startswith("gap_")}
        gap = {k.removeprefix("gap_"): v for k, v in cells.items() if k.startswith("gap_")}
        yield _Row(label, kind.strip().lower(), step, gap, path)


def from_frame(
    frame: Any, title: str = "Value stream", *, ignore: Iterable[Any] | bool = (), **calendar: Any
) -> Map:
    """A map from a frame shaped like :func:`steps_frame`, or a friendlier one.

    Only ``name`` is required. Other columns are the model's fields (``cycle_time``,
    ``uptime``, ...) and, for the gap before each step, ``gap_*`` columns; friendly
    aliases such as ``inventory`` (``gap_quantity``) and ``wait`` (``gap_wait_time``)
    work too (:data:`FRAME_ALIASES`). Durations are text with units (``"45 s"``,
    ``"2 d"``), or numbers in the unit the header names (``"C/T (min)"``,
    ``"Cycle time [sec]"``, ``"wait_h"``), or else seconds; ``"Uptime (%)"`` reads 85 as
    85 %. NaN, None and empty cells mean not given. A last row of type ``"end"`` (or a
    last row without a name, holding only gap values) is the gap after the last step.
    Derived columns are skipped; any other column the tool cannot place is an error
    naming it, unless ``ignore`` lists it (``ignore=True`` leaves out every such
    column). ``calendar`` (demand, period, working_days, available_time, ...) goes to
    :class:`ValueStreamMap`.

    Errors name the row (its index label) and the column: ``"row 3: cycle_time"``.
    For an exact round trip through CSV, read it back with
    ``pd.read_csv(path, dtype=str, keep_default_na=False)`` (plain ``read_csv`` turns text
    such as ``"NA"`` or ``"None"`` into missing values). Excel reads text starting with
    ``=`` as a formula.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        try:
            frame = frame.to_pandas() if hasattr(frame, "to_pandas") else pd.DataFrame(frame)
        except UnicodeEncodeError as error:
            # pandas' text columns (Arrow) refuse what no file can hold, before the rows are read.
            problem = _unwritable(str(error.object)) or str(error)
            raise ValidationError("frame", None, f"a cell or column name is broken text: {problem}") from None
    _check_headers(frame.columns)
    columns, header_units = _canonical_columns(frame.columns, ignore)
    if "name" not in columns:
        raise ValidationError(
            "name",
            None,
            "the frame has no 'name' column (the step names); "
            f"its columns: {', '.join(map(str, frame.columns))}",
        )
    base = new_map(title, **calendar).state
    rows = list(_rows(frame, columns))
    if (
        rows
        and rows[-1].kind == "process"
        and "name" not in rows[-1].step
        and rows[-1].gap
        and not rows[-1].step
    ):
        rows[-1].kind = "end"

    def where(row: _Row, key: str, prefix: str = "") -> str:
        return f"row {row.label}: {columns.get(prefix + key, prefix + key)}"

    taken: set[str] = set()
    for row in rows:
        for key, group in (("id", row.step), ("gap_id", row.gap)):
            given = group.get(key.removeprefix("gap_"))
            if given is None:
                continue
            if not isinstance(given, str) or not _ID_PATTERN.match(given) or given in _RESERVED_IDS:
                raise ValidationError(
                    where(row, key),
                    given,
                    "an id starts with a letter and has at most 64 letters, digits or _ . : -",
                )
            if given in taken:
                raise ValidationError(where(row, key), given, "that id is used twice")
            taken.add(given)
    counters = {"p": 0, "g": 0}

    def new_id(prefix: str) -> str:
        while True:
            counters[prefix] += 1
            candidate = f"{prefix}{counters[prefix]}"
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    origin: dict[str, tuple[_Row, str]] = {}
    paths = _frame_paths(rows, where, taken)

    def path_items(path_rows: list[_Row]) -> tuple[Process | Gap, ...]:
        items: list[Process | Gap] = []
        for position, row in enumerate(path_rows):
            if row.kind == "end" and position != len(path_rows) - 1:
                raise ValidationError(
                    where(row, "type"),
                    "end",
                    "an 'end' row holds the gap after the last step of its path; "
                    "it must be the path's last row",
                )
            if row.gap:
                gap_id = row.gap.pop("id", None) or new_id("g")
                values = _frame_values(
                    "gap", row.gap, base, functools.partial(where, row, prefix="gap_"), header_units, "gap_"
                )
                try:
                    values = _settled_gap(values, "")
                except ValidationError as error:
                    raise ValidationError(where(row, "gap_quantity"), error.value, error.reason) from None
                items.append(Gap(id=gap_id, **values))
                origin[gap_id] = (row, "gap_")
            if row.kind == "end":
                if row.step:
                    key = next(iter(row.step))
                    raise ValidationError(
                        where(row, key), row.step[key], "an 'end' row holds only the gap after the last step"
                    )
                continue
            if "name" not in row.step:
                raise ValidationError(
                    where(row, "name"),
                    None,
                    "a step needs a name (a last row of type 'end' holds the gap after the last step)",
                )
            step_id = row.step.pop("id", None) or new_id("p")
            values = _frame_values("process", row.step, base, functools.partial(where, row), header_units)
            items.append(Process(id=step_id, **values))
            origin[step_id] = (row, "")
        return tuple(items)

    built = {path: path_items(path_rows) for path, path_rows in paths.items()}
    steps = {item.name: item.id for items in built.values() for item in items if isinstance(item, Process)}
    branches = []
    for path, path_rows in paths.items():
        if path == MAIN:
            continue
        into, after = (_path_end(path_rows, key, where, steps) for key in ("path_into", "path_after"))
        if into is None:
            raise ValidationError(
                where(path_rows[0], "path_into"), None, f"the rows of branch {path} name the step it feeds"
            )
        branches.append(Branch(id=path, into=into, after=after, items=built[path]))
        origin[path] = (path_rows[0], "path_")
    state = dataclasses.replace(base, stream=built.get(MAIN, ()), branches=tuple(branches))
    try:
        return map_from_state(state)
    except ValidationError as error:
        if error.target not in origin:
            raise
        row, prefix = origin[error.target]
        field = (
            "name" if error.field == "name" else f"{prefix}{'id' if error.field == 'stream' else error.field}"
        )
        raise ValidationError(where(row, field), error.value, error.reason) from None


def _frame_paths(rows: list[_Row], where: Callable[..., str], taken: set[str]) -> dict[str, list[_Row]]:
    """The frame's rows by path (:data:`MAIN` where the ``path`` cell is empty or
    ``"main"``), the paths in the order they first appear; a branch's path is its id.
    """
    paths: dict[str, list[_Row]] = {}
    for row in rows:
        given = row.path.get("path", MAIN)
        path = given.strip() if isinstance(given, str) else given
        if path != MAIN and path not in paths:
            if not isinstance(path, str) or not _ID_PATTERN.match(path) or path in _RESERVED_IDS:
                raise ValidationError(
                    where(row, "path"),
                    given,
                    "a path is 'main' or a branch id: a letter, then letters or digits",
                )
            if path in taken:
                raise ValidationError(where(row, "path"), given, "that id is used by a step or a gap too")
            taken.add(path)
        if path == MAIN and (row.path.get("path_into") is not None or row.path.get("path_after") is not None):
            key = "path_into" if row.path.get("path_into") is not None else "path_after"
            raise ValidationError(
                where(row, key), row.path[key], "the main line feeds no step; give the row a path"
            )
        paths.setdefault(path, []).append(row)
    return paths


def _path_end(rows: list[_Row], key: str, where: Callable[..., str], steps: Mapping[str, str]) -> str | None:
    """The step a branch's rows name in ``key`` (the same on every row that gives it), as an id."""
    given = [(row, row.path[key]) for row in rows if key in row.path]
    if not given:
        return None
    first_row, value = given[0]
    for row, other in given[1:]:
        if other != value:
            raise ValidationError(
                where(row, key), other, f"the rows of one branch name one step here ({_show(value)} above)"
            )
    if not isinstance(value, str):
        raise ValidationError(where(first_row, key), value, "name a step by its id or name")
    return steps.get(value.strip(), value.strip())


def _check_headers(columns: Iterable[Any]) -> None:
    """Refuse a column name holding characters no file can hold (broken text)."""
    for column in columns:
        problem = _unwritable(str(column))
        if problem is not None:
            raise ValidationError(str(column), column, f"the column name is broken: {problem}")


def _frame_values(
    kind: str,
    cells: Mapping[str, Any],
    state: MapState,
    where: Callable[[str], str],
    header_units: Mapping[str, str] | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in cells.items():
        if header_units and prefix + name in header_units:
            value = _with_header_unit(value, header_units[prefix + name])
        if name in _TEXT_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            # A column of digits comes back from CSV as numbers; the text was the digits.
            value = _number_text(value)
        if kind == "gap" and name == "variants" and isinstance(value, str):
            try:
                value = _variants_from_text(value)
            except ValueError as error:
                raise ValidationError(where(name), value, str(error)) from None
        if name == "distributions" and isinstance(value, str):
            try:
                value = _distributions_from_text(value)
            except ValueError as error:
                raise ValidationError(where(name), value, str(error)) from None
        try:
            values[name] = parse_field(kind, name, value, state)
        except ValidationError as error:
            raise ValidationError(where(name), value, error.reason) from None
    if kind in VARYING_KINDS:
        # A cell of distribution text, or the distributions column, as an edit takes them.
        try:
            values = _distributed(kind, None, cells, values, state)
        except ValidationError as error:
            raise ValidationError(where(error.field), error.value, error.reason) from None
    return values
