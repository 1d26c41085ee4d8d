"""Shape constraints of the service, read from a botocore service-model dict.

The dict itself is loaded by ``conformance.wire.service_model`` from the profile's pinned snapshot, so no
number here is copied by hand: change the dict and every constraint check, strategy and JSON
Schema follows. This module only interprets it (standard library only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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

    __slots__ = ("model",)

    def __init__(self, model: Mapping[str, Any]) -> None:
        self.model = model

    def __repr__(self) -> str:
        return f"ShapeIndex({self.model.get('metadata', {}).get('uid', '?')!r})"

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
        self._check(shape, value, path, "", out)
        return out

    def _check(
        self,
        name: str,
        value: Any,
        path: str,
        member: str,
        out: list[Violation],
    ) -> None:
        # the hot path of every judged request (a megabyte batch holds tens of thousands of
        # values): no closure per call, one lookup of the shapes
        shapes = self.model["shapes"]
        shape = shapes[name]
        kind = shape["type"]
        if kind == "structure":
            if not isinstance(value, Mapping):
                out.append(Violation(path or name, name, member, "type", "must be an object"))
                return
            for req in sorted(shape.get("required", ())):
                if value.get(req) is None:
                    child = f"{path}.{req}" if path else req
                    out.append(Violation(child, name, req, "required", "required member missing"))
            members = shape["members"]
            for key, item in value.items():
                child = f"{path}.{key}" if path else key
                if key not in members:
                    out.append(Violation(child, name, key, "unknown", "member not in the shape"))
                elif item is not None:
                    self._check(members[key]["shape"], item, child, key, out)
        elif kind == "list":
            if not isinstance(value, list | tuple):
                out.append(Violation(path or name, name, member, "type", "must be a list"))
                return
            self._bounds(len(value), shape, "items", path or name, name, member, out)
            item_shape = shape["member"]["shape"]
            for i, item in enumerate(value):
                self._check(item_shape, item, f"{path}[{i}]", member, out)
        elif kind == "string":
            if not isinstance(value, str):
                out.append(Violation(path or name, name, member, "type", "must be a string"))
                return
            pattern = shape.get("pattern")
            # One problem per value: a length failure masks the pattern (an empty string would
            # otherwise break both ``min`` and a ``+`` pattern).
            in_bounds = self._bounds(len(value), shape, "characters", path or name, name, member, out)
            if in_bounds and pattern is not None and not _compiled(pattern).search(value):
                out.append(Violation(path or name, name, member, "pattern", f"does not match {pattern}"))
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(Violation(path or name, name, member, "type", "must be an integer"))
                return
            if "min" in shape and value < shape["min"]:
                out.append(
                    Violation(path or name, name, member, "min", f"{value} is less than {shape['min']}")
                )
            if "max" in shape and value > shape["max"]:
                out.append(
                    Violation(path or name, name, member, "max", f"{value} is more than {shape['max']}")
                )
        elif kind == "boolean" and not isinstance(value, bool):
            out.append(Violation(path or name, name, member, "type", "must be a boolean"))
        elif kind == "timestamp" and (
            isinstance(value, bool) or not isinstance(value, datetime | int | float)
        ):
            out.append(Violation(path or name, name, member, "type", "must be a timestamp"))

    @staticmethod
    def _bounds(
        size: int,
        shape: Mapping[str, Any],
        unit: str,
        path: str,
        name: str,
        member: str,
        out: list[Violation],
    ) -> bool:
        if "min" in shape and size < shape["min"]:
            out.append(Violation(path, name, member, "min", f"{size} {unit}, fewer than {shape['min']}"))
            return False
        if "max" in shape and size > shape["max"]:
            out.append(Violation(path, name, member, "max", f"{size} {unit}, more than {shape['max']}"))
            return False
        return True

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
