"""Strategies derived from the service model's shapes (read at run time, never copied).

``valid_params(shapes, operation)`` draws boto3 params that satisfy every constraint of the
operation's input shape; ``constraint_sites(shapes, operation)`` lists every constraint a
request can break; ``violating_params(shapes, operation, site)`` draws params that break exactly
that one. Send the latter with botocore's client parameter validation off (WIRE-VALIDATION).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from hypothesis import strategies as st

from conformance.models.shapes import ShapeIndex

__all__ = ["ConstraintSite", "constraint_sites", "one_violation", "valid_params", "violating_params"]

_LIST_CAP = 2  # list members drawn for a valid value (limits are exercised by violating_params)
_TEXT_CAP = 24
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# What a pattern's characters are drawn from: every character UTF-8 encodes (all but surrogates),
# as from_regex's default ``characters(codec="utf-8")``, which in a fresh directory first builds
# Hypothesis's table of that codec: 2.5 s and 200 MB more peak memory in every process that
# finds no ./.hypothesis/ (every CI worker). Excluding the category needs only the small
# category map.
_SURROGATE: tuple[Literal["Cs"]] = ("Cs",)
_UTF8_ENCODABLE = st.characters(exclude_categories=_SURROGATE)


@dataclass(frozen=True)
class ConstraintSite:
    """One constraint of one member: ``path`` (``UsageRecords[0].Dimension``), the member's
    shape and the constraint (``required``, ``min``, ``max``, ``pattern``) with its value."""

    path: str
    shape: str
    constraint: str
    limit: Any

    def __str__(self) -> str:
        return f"{self.path} ({self.shape}.{self.constraint} = {self.limit!r})"


def valid_value(shapes: ShapeIndex, name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value satisfying every constraint of shape ``name``; shrinks toward the shortest,
    smallest value (empty optional members left out, lists at their minimum size)."""
    shape = shapes.shapes[name]
    kind = shape["type"]
    if kind == "structure":
        members = shape["members"]
        required = set(shape.get("required", ()))
        fixed = {m: valid_value(shapes, members[m]["shape"], depth + 1) for m in members if m in required}
        optional = {
            m: valid_value(shapes, members[m]["shape"], depth + 1)
            for m in members
            if m not in required and depth < 2 and not members[m].get("idempotencyToken")
        }
        return st.fixed_dictionaries(fixed, optional=optional)
    if kind == "list":
        low = shape.get("min", 0)
        return st.lists(
            valid_value(shapes, shape["member"]["shape"], depth + 1),
            min_size=low,
            max_size=max(low, min(shape.get("max", _LIST_CAP), _LIST_CAP)),
        )
    if kind == "string":
        return _valid_text(shape)
    if kind in ("integer", "long"):
        return st.integers(shape.get("min", 0), shape.get("max", 2**31 - 1))
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(0, 86_400 * 365).map(lambda s: _EPOCH + timedelta(seconds=s))
    raise ValueError(f"shape {name} of type {kind} is not supported")


def _valid_text(shape: Mapping[str, Any]) -> st.SearchStrategy[str]:
    low = shape.get("min", 0)
    high = min(shape.get("max", _TEXT_CAP), max(low, _TEXT_CAP))
    if "enum" in shape:
        return st.sampled_from(list(shape["enum"]))
    pattern = shape.get("pattern")
    if pattern is None:
        return st.text(string.ascii_letters + string.digits, min_size=low, max_size=high)
    alphabet = _alphabet(pattern)
    simple = st.text(alphabet, min_size=max(low, 1), max_size=high) if alphabet else st.nothing()
    regex = st.from_regex(pattern, fullmatch=True, alphabet=_UTF8_ENCODABLE).filter(
        lambda s: low <= len(s) <= high
    )
    return st.one_of(simple.filter(_matcher(pattern)), regex)


def _matcher(pattern: str) -> Callable[[str], bool]:
    import re

    compiled = re.compile(pattern)
    return lambda s: compiled.search(s) is not None


def _alphabet(pattern: str) -> str:
    """Printable ASCII characters that the pattern accepts one at a time, letters first."""
    import re

    compiled = re.compile(pattern)
    accepted = [
        c for c in string.ascii_letters + string.digits + string.punctuation + " " if compiled.search(c)
    ]
    return "".join(accepted)


def constraint_sites(shapes: ShapeIndex, operation: str) -> list[ConstraintSite]:
    """Every constraint of the operation's input a request can break, one site each."""
    return list(_sites(shapes, shapes.input_shape(operation), "", 0))


def _sites(shapes: ShapeIndex, name: str, path: str, depth: int) -> Iterator[ConstraintSite]:
    shape = shapes.shapes[name]
    kind = shape["type"]
    if kind == "structure":
        for member in shape.get("required", ()):
            yield ConstraintSite(_join(path, member), name, "required", True)
        for member, spec in shape["members"].items():
            if spec.get("idempotencyToken") and "min" not in shapes.shapes[spec["shape"]]:
                continue
            yield from _sites(shapes, spec["shape"], _join(path, member), depth + 1)
        return
    for constraint in ("min", "max"):
        if constraint in shape and not (kind == "string" and constraint == "min" and shape["min"] == 0):
            if kind == "list" and constraint == "min" and shape["min"] == 0:
                continue
            yield ConstraintSite(path, name, constraint, shape[constraint])
    if kind == "string" and "pattern" in shape:
        breaker = _breaking_char(shape["pattern"])
        # a pattern only the empty string breaks is covered by ``min`` when there is one
        if breaker or (breaker == "" and not shape.get("min")):
            yield ConstraintSite(path, name, "pattern", shape["pattern"])
    if kind == "list":
        yield from _sites(shapes, shape["member"]["shape"], f"{path}[0]", depth + 1)


def _join(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _breaking_char(pattern: str) -> str | None:
    """A character whose presence makes a string fail the pattern ("" when only emptiness does)."""
    import re

    compiled = re.compile(pattern)
    for char in "~!#%^&*?<>|{}[]\"'`;,$()\t":
        if compiled.search("a" + char) is None and compiled.search(char) is None:
            return char
    return "" if compiled.search("") is None else None


def valid_params(shapes: ShapeIndex, operation: str) -> st.SearchStrategy[dict[str, Any]]:
    """boto3 params for ``operation`` that break no shape constraint."""
    return valid_value(shapes, shapes.input_shape(operation))


def violating_params(
    shapes: ShapeIndex, operation: str, site: ConstraintSite
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid params, then the one constraint at ``site`` broken (the rest left valid)."""
    return st.builds(lambda params: _break(shapes, params, site), _valid_with_path(shapes, operation, site))


def one_violation(
    shapes: ShapeIndex, operation: str
) -> st.SearchStrategy[tuple[dict[str, Any], ConstraintSite]]:
    """Params breaking exactly one constraint, with the site broken; shrinks toward the first
    site of the input shape (a missing required member)."""
    sites = constraint_sites(shapes, operation)
    return st.sampled_from(sites).flatmap(
        lambda s: violating_params(shapes, operation, s).map(lambda p: (p, s))
    )


def _valid_with_path(
    shapes: ShapeIndex, operation: str, site: ConstraintSite
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid params in which every structure on the site's path is present (lists non-empty)."""
    steps = _path_steps(site.path)
    return valid_params(shapes, operation).map(lambda p: _ensure_path(shapes, operation, p, steps))


def _path_steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        steps.append(name)
        if index:
            steps.append(int(index.rstrip("]")))
    return steps


def _ensure_path(
    shapes: ShapeIndex, operation: str, params: dict[str, Any], steps: list[str | int]
) -> dict[str, Any]:
    """Fill in the structures and first list elements the path walks through, minimally."""
    shape_name = shapes.input_shape(operation)
    node: Any = params
    for step in steps[:-1]:
        shape = shapes.shapes[shape_name]
        if isinstance(step, int):
            member_shape = shape["member"]["shape"]
            if not node:
                node.append(_minimal(shapes, member_shape))
            node, shape_name = node[step], member_shape
        else:
            member_shape = shape["members"][step]["shape"]
            if node.get(step) is None:
                node[step] = _minimal(shapes, member_shape)
            node, shape_name = node[step], member_shape
    return params


def _minimal(shapes: ShapeIndex, name: str) -> Any:
    """The smallest valid value of a shape, without drawing."""
    shape = shapes.shapes[name]
    kind = shape["type"]
    if kind == "structure":
        return {m: _minimal(shapes, shape["members"][m]["shape"]) for m in shape.get("required", ())}
    if kind == "list":
        return [_minimal(shapes, shape["member"]["shape"]) for _ in range(max(shape.get("min", 0), 1))]
    if kind == "string":
        alphabet = _alphabet(shape["pattern"]) if "pattern" in shape else "a"
        return (alphabet[:1] or "a") * max(shape.get("min", 0), 1)
    if kind in ("integer", "long"):
        return max(shape.get("min", 0), 0)
    if kind == "boolean":
        return False
    return _EPOCH


def _break(shapes: ShapeIndex, params: dict[str, Any], site: ConstraintSite) -> dict[str, Any]:
    steps = _path_steps(site.path)
    parent: Any = params
    for step in steps[:-1]:
        parent = parent[step]
    last = steps[-1]
    shape = shapes.shapes[site.shape]
    if site.constraint == "required":
        parent.pop(last, None)
        return params
    current = parent[last] if isinstance(last, int) or last in parent else _minimal(shapes, site.shape)
    parent[last] = _broken_value(shapes, site, shape, current)
    return params


def _broken_value(shapes: ShapeIndex, site: ConstraintSite, shape: Mapping[str, Any], current: Any) -> Any:
    kind = shape["type"]
    if kind in ("integer", "long"):
        return site.limit - 1 if site.constraint == "min" else site.limit + 1
    if kind == "list":
        member = shape["member"]["shape"]
        if site.constraint == "min":
            return []
        return [_distinct_member(shapes, member, i) for i in range(site.limit + 1)]
    text = current if isinstance(current, str) and current else _minimal(shapes, site.shape)
    if site.constraint == "min":
        return text[: site.limit - 1]
    if site.constraint == "max":
        return (text * (site.limit + 1))[: site.limit + 1]
    char = _breaking_char(site.limit)
    assert char is not None
    if not char:
        return ""
    # the breaking character in place of the last one where one more would break ``max`` too
    # ("1000000000.000000" is the longest decimal string the pattern allows)
    high = shape.get("max")
    return text[:-1] + char if high is not None and len(text) >= high else text + char


def _distinct_member(shapes: ShapeIndex, name: str, index: int) -> Any:
    """A valid list member that differs from the others (distinct tag sets, distinct keys)."""
    value = _minimal(shapes, name)
    shape = shapes.shapes[name]
    if shape["type"] == "structure":
        for member, spec in shape["members"].items():
            member_shape = shapes.shapes[spec["shape"]]
            if member in value and member_shape["type"] == "string" and member_shape.get("max", 99) >= 8:
                value[member] = f"{value[member]}{index:07d}"[-member_shape.get("max", 99) :]
                break
    return value
