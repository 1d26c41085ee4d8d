"""What changed between two service models of the Metering Service: how an API change is
noticed the day an SDK ships it (``conformance drift``).

Compares operations, shapes, members, required lists, deprecations, limits, patterns, enums,
errors and documentation paragraphs. Pure: both models come in as dicts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Change", "diff_service_models"]

_LIMIT_KEYS = ("type", "min", "max", "pattern", "enum", "exception", "fault")


@dataclass(frozen=True)
class Change:
    """One difference. ``kind``: added, removed, deprecated, required, limit, error or doc;
    ``where``: an operation, a shape or ``Shape.Member``; ``detail``: what, in one line."""

    kind: str
    where: str
    detail: str

    def render(self) -> str:
        mark = {"added": "+", "removed": "-"}.get(self.kind, "~")
        return f"{mark} {self.kind:<10} {self.where}: {self.detail}"

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "detail": self.detail}


def diff_service_models(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``, operations first, then shapes by name."""
    changes: list[Change] = []
    _operations(old.get("operations", {}), new.get("operations", {}), changes)
    old_shapes, new_shapes = old.get("shapes", {}), new.get("shapes", {})
    for name in sorted(set(old_shapes) | set(new_shapes)):
        before, after = old_shapes.get(name), new_shapes.get(name)
        if before is None:
            changes.append(Change("added", name, f"shape ({_summary(after)})"))
        elif after is None:
            changes.append(Change("removed", name, f"shape ({_summary(before)})"))
        else:
            _shape(name, before, after, changes)
    return changes


def _operations(old: Mapping[str, Any], new: Mapping[str, Any], changes: list[Change]) -> None:
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before is None or after is None:
            changes.append(Change("added" if before is None else "removed", name, "operation"))
            continue
        old_errors = {e["shape"] for e in before.get("errors", [])}
        new_errors = {e["shape"] for e in after.get("errors", [])}
        changes += [Change("error", name, f"may now fail with {e}") for e in sorted(new_errors - old_errors)]
        changes += [Change("error", name, f"no longer lists {e}") for e in sorted(old_errors - new_errors)]
        _docs(name, before.get("documentation"), after.get("documentation"), changes)


def _shape(name: str, before: Mapping[str, Any], after: Mapping[str, Any], changes: list[Change]) -> None:
    for key in _LIMIT_KEYS:
        if before.get(key) != after.get(key):
            changes.append(Change("limit", name, f"{key} {before.get(key)!r} -> {after.get(key)!r}"))
    old_required, new_required = set(before.get("required", ())), set(after.get("required", ()))
    for member in sorted(new_required - old_required):
        changes.append(Change("required", f"{name}.{member}", "now required"))
    for member in sorted(old_required - new_required):
        changes.append(Change("required", f"{name}.{member}", "no longer required"))
    old_members, new_members = before.get("members", {}), after.get("members", {})
    for member in sorted(set(old_members) | set(new_members)):
        was, now = old_members.get(member), new_members.get(member)
        where = f"{name}.{member}"
        if was is None:
            changes.append(Change("added", where, f"member of shape {now['shape']}"))
        elif now is None:
            changes.append(Change("removed", where, f"member of shape {was['shape']}"))
        else:
            if was.get("shape") != now.get("shape"):
                changes.append(Change("limit", where, f"shape {was.get('shape')} -> {now.get('shape')}"))
            if now.get("deprecated") and not was.get("deprecated"):
                since = now.get("deprecatedSince", "?")
                changes.append(
                    Change("deprecated", where, f"since {since}: {now.get('deprecatedMessage', '')}")
                )
            elif was.get("deprecated") and not now.get("deprecated"):
                changes.append(Change("deprecated", where, "no longer deprecated"))
        if was is not None and now is not None:
            _docs(where, was.get("documentation"), now.get("documentation"), changes)
    _docs(name, before.get("documentation"), after.get("documentation"), changes)


def _docs(where: str, before: str | None, after: str | None, changes: list[Change]) -> None:
    old, new = _paragraphs(before), _paragraphs(after)
    changes += [Change("doc", where, f'+ "{_short(p)}"') for p in new if p not in old]
    changes += [Change("doc", where, f'- "{_short(p)}"') for p in old if p not in new]


def _paragraphs(text: str | None) -> list[str]:
    """A documentation string as plain-text paragraphs (``<p>``, ``<li>`` and ``<note>``)."""
    parts = re.split(r"</?(?:p|li|note|ul|ol)>", text or "")
    plain = (" ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split()) for part in parts)
    return list(dict.fromkeys(p for p in plain if p))


def _short(paragraph: str, limit: int = 140) -> str:
    return paragraph if len(paragraph) <= limit else paragraph[: limit - 1] + "…"


def _summary(shape: Mapping[str, Any] | None) -> str:
    if shape is None:
        return "?"
    parts = [str(shape.get("type"))]
    if "min" in shape or "max" in shape:
        parts.append(f"{shape.get('min', '')}..{shape.get('max', '')}")
    if "pattern" in shape:
        parts.append(f"pattern {shape['pattern']}")
    if shape.get("members"):
        parts.append("members " + ", ".join(shape["members"]))
    if shape.get("exception"):
        parts.append("exception")
    return ", ".join(parts)
