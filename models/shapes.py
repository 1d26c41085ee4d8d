"""Shape constraints of the service, read from a botocore service-model dict.

The dict itself is loaded by ``conformance.wire.service_model`` from the profile's pinned snapshot, so no
number here is copied by hand: change the dict and every constraint check, strategy and JSON
Schema follows. This module only interprets it (standard library only).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

__all__ = ["ShapeIndex", "Violation"]


@dataclass(frozen=True)
class Violation:
    """One broken constraint: ``path`` like ``UsageRecords[0].Dimension``."""

    path: str
    shape: str
    member: str
    constraint: str  # required | min | max | pattern | type | unknown
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}"


class ShapeIndex:
    """Read-only view of one botocore service model (``service-2.json`` as a dict).

    A plain class, not a dataclass, so that reprs (and Hypothesis's falsifying examples) show
    the model's uid rather than the whole service description.
    """

    __slots__ = ("_checks", "model")

    def __init__(self, model: Mapping[str, Any]) -> None:
        self.model = model
        self._checks: dict[str, _Check] = {}

    def __repr__(self) -> str:
        return f"ShapeIndex({self.model.get('metadata', {}).get('uid', '?')!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # the checks made from the model are closures, not picklable: a copy makes its own
        return (ShapeIndex, (self.model,))

    @property
    def shapes(self) -> Mapping[str, Mapping[str, Any]]:
        return self.model["shapes"]  # type: ignore[no-any-return]

    def input_shape(self, operation: str) -> str:
        return str(self.model["operations"][operation]["input"]["shape"])

    def output_shape(self, operation: str) -> str:
        return str(self.model["operations"][operation]["output"]["shape"])

    def errors(self, operation: str) -> frozenset[str]:
        return frozenset(e["shape"] for e in self.model["operations"][operation].get("errors", []))

    def fault_errors(self) -> frozenset[str]:
        return frozenset(n for n, s in self.shapes.items() if s.get("exception") and s.get("fault"))

    def target_prefix(self) -> str:
        return str(self.model["metadata"]["targetPrefix"])

    def has_member(self, structure: str, member: str) -> bool:
        """The structure has the member in this service model (members come and go by profile)."""
        return member in self.shapes[structure]["members"]

    def required(self, structure: str, member: str) -> bool:
        return member in self.shapes[structure].get("required", ())

    def member_shape(self, structure: str, member: str) -> str:
        return str(self.shapes[structure]["members"][member]["shape"])

    def limit(self, shape: str, key: str) -> Any:
        """A constraint of a shape (``min``, ``max``, ``pattern``), or None."""
        return self.shapes[shape].get(key)

    def member_limit(self, structure: str, member: str, key: str) -> Any:
        return self.limit(self.member_shape(structure, member), key)

    def violations(
        self,
        shape: str,
        value: Any,
        *,
        path: str = "",
    ) -> list[Violation]:
        """Every broken constraint of ``value`` (boto3 params form) against ``shape``."""
        out: list[Violation] = []
        self._checker(shape)(value, path or None, "", out)
        return out

    def _checker(self, name: str) -> _Check:
        """The check of one shape, made once per shape: the hot path of every judged request (a
        megabyte batch holds tens of thousands of values), so each check holds its shape's
        constraints and its members' checks, and a value's path is spelled only for a violation."""
        checks: dict[str, _Check] = self._checks
        found = checks.get(name)
        if found is None:
            # members' checks are made at their first use, so a shape may contain itself
            found = checks[name] = _make_check(name, self.model["shapes"], self._checker)
        return found

    def json_schema(self, shape: str) -> dict[str, Any]:
        """A JSON Schema (draft 2020-12) for the wire form of a shape: timestamps are numbers.

        Output shapes are open (extra members allowed, as awsJson1_1 clients ignore them);
        lengths and patterns are kept, so a target that answers out of shape is caught.
        """
        defs: dict[str, Any] = {}
        root = self._schema_ref(shape, defs)
        return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": defs}

    def _schema_ref(self, name: str, defs: dict[str, Any]) -> dict[str, Any]:
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "structure":
            if name not in defs:
                defs[name] = {}  # placeholder breaks recursion
                defs[name] = {
                    "type": "object",
                    "properties": {
                        m: self._schema_ref(spec["shape"], defs) for m, spec in shape["members"].items()
                    },
                }
            return {"$ref": f"#/$defs/{name}"}
        if kind == "list":
            schema: dict[str, Any] = {
                "type": "array",
                "items": self._schema_ref(shape["member"]["shape"], defs),
            }
            _copy_bound(shape, schema, "min", "minItems")
            _copy_bound(shape, schema, "max", "maxItems")
            return schema
        if kind == "string":
            schema = {"type": "string"}
            if "enum" in shape:
                schema["enum"] = list(shape["enum"])
            _copy_bound(shape, schema, "min", "minLength")
            _copy_bound(shape, schema, "max", "maxLength")
            if "pattern" in shape:
                schema["pattern"] = shape["pattern"]
            return schema
        if kind in ("integer", "long"):
            schema = {"type": "integer"}
            _copy_bound(shape, schema, "min", "minimum")
            _copy_bound(shape, schema, "max", "maximum")
            return schema
        if kind == "boolean":
            return {"type": "boolean"}
        if kind == "timestamp":
            return {"type": "number"}
        return {}


def _copy_bound(shape: Mapping[str, Any], schema: dict[str, Any], src: str, dst: str) -> None:
    if src in shape:
        schema[dst] = shape[src]


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# Where a value sits: None (the root), a root path given by the caller, or (parent, member name
# or list index). Spelled as ``UsageRecords[0].Dimension`` only when a violation needs it.
_Where = tuple[Any, str | int] | str | None
_Check = Callable[[Any, _Where, str, list[Violation]], None]


def _spell(where: _Where) -> str:
    if where is None:
        return ""
    if isinstance(where, str):
        return where
    parent, key = where
    above = _spell(parent)
    if isinstance(key, int):
        return f"{above}[{key}]"
    return f"{above}.{key}" if above else key


def _make_check(name: str, shapes: Mapping[str, Any], checker: Callable[[str], _Check]) -> _Check:
    shape = shapes[name]
    kind = shape["type"]
    low, high = shape.get("min"), shape.get("max")

    def at(where: _Where) -> str:
        return _spell(where) or name

    def bounds(size: int, unit: str, where: _Where, member: str, out: list[Violation]) -> bool:
        if low is not None and size < low:
            out.append(Violation(at(where), name, member, "min", f"{size} {unit}, fewer than {low}"))
            return False
        if high is not None and size > high:
            out.append(Violation(at(where), name, member, "max", f"{size} {unit}, more than {high}"))
            return False
        return True

    if kind == "structure":
        required = sorted(shape.get("required", ()))
        members = {key: spec["shape"] for key, spec in shape["members"].items()}
        member_checks: dict[str, _Check] = {}

        def check_structure(value: Any, where: _Where, member: str, out: list[Violation]) -> None:
            if not isinstance(value, Mapping):
                out.append(Violation(at(where), name, member, "type", "must be an object"))
                return
            for req in required:
                if value.get(req) is None:
                    out.append(
                        Violation(_spell((where, req)), name, req, "required", "required member missing")
                    )
            for key, item in value.items():
                if key not in members:
                    out.append(
                        Violation(_spell((where, key)), name, key, "unknown", "member not in the shape")
                    )
                elif item is not None:
                    child = member_checks.get(key)
                    if child is None:
                        child = member_checks[key] = checker(members[key])
                    child(item, (where, key), key, out)

        return check_structure
    if kind == "list":
        item_shape = shape["member"]["shape"]
        items: list[_Check] = []

        def check_list(value: Any, where: _Where, member: str, out: list[Violation]) -> None:
            if not isinstance(value, list | tuple):
                out.append(Violation(at(where), name, member, "type", "must be a list"))
                return
            bounds(len(value), "items", where, member, out)
            if not items:
                items.append(checker(item_shape))
            check_item = items[0]
            for i, item in enumerate(value):
                check_item(item, (where, i), member, out)

        return check_list
    if kind == "string":
        pattern = shape.get("pattern")
        search = _compiled(pattern).search if pattern is not None else None

        def check_string(value: Any, where: _Where, member: str, out: list[Violation]) -> None:
            if not isinstance(value, str):
                out.append(Violation(at(where), name, member, "type", "must be a string"))
                return
            # One problem per value: a length failure masks the pattern (an empty string would
            # otherwise break both ``min`` and a ``+`` pattern).
            if (
                bounds(len(value), "characters", where, member, out)
                and search is not None
                and not search(value)
            ):
                out.append(Violation(at(where), name, member, "pattern", f"does not match {pattern}"))

        return check_string
    if kind in ("integer", "long"):

        def check_integer(value: Any, where: _Where, member: str, out: list[Violation]) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(Violation(at(where), name, member, "type", "must be an integer"))
                return
            if low is not None and value < low:
                out.append(Violation(at(where), name, member, "min", f"{value} is less than {low}"))
            if high is not None and value > high:
                out.append(Violation(at(where), name, member, "max", f"{value} is more than {high}"))

        return check_integer
    if kind == "boolean":

        def check_boolean(value: Any, where: _Where, member: str, out: list[Violation]) -> None:
            if not isinstance(value, bool):
                out.append(Violation(at(where), name, member, "type", "must be a boolean"))

        return check_boolean
    if kind == "timestamp":

        def check_timestamp(value: Any, where: _Where, member: str, out: list[Violation]) -> None:
            if isinstance(value, bool) or not isinstance(value, datetime | int | float):
                out.append(Violation(at(where), name, member, "type", "must be a timestamp"))

        return check_timestamp
    return lambda value, where, member, out: None
