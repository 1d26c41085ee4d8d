"""Steps of a trace as text: what reports, replays and failures print."""

from __future__ import annotations

import json

from conformance.reporting.trace import TraceStep
from models.requests import RawRequest, to_wire

__all__ = ["labelled", "render_step"]


def render_step(number: int, step: TraceStep) -> list[str]:
    """One step as the report and the replay print it: the request, Expected, Received."""
    when = step.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if step.kind == "clock":
        return [f"{number}. clock -> {when}"]
    if step.kind == "fixtures":
        assert step.fixtures is not None
        return [
            f"{number}. fixtures changed at {when}: {json.dumps(step.fixtures.to_json(), sort_keys=True)}"
        ]
    assert step.request is not None and step.context is not None
    if isinstance(step.request, RawRequest):
        body = step.request.body[:120].decode(errors="replace")
        sent = f"raw X-Amz-Target={step.request.target!r} body={body!r}"
    else:
        sent = f"{step.request.operation} {json.dumps(to_wire(step.request), sort_keys=True)}"
    who = "seller" if step.context.access_key_id is None else "caller"
    lines = [f"{number}. at {when}, {who} in {step.context.region}: {sent}"]
    lines += labelled("Expected: ", step.expected, "   ") + labelled("Received: ", step.observed, "   ")
    lines += [f"   ✗ {reason}" for reason in step.divergence]
    return lines


def labelled(label: str, text: str, indent: str = "") -> list[str]:
    """``text`` under ``label``: its first line after the label, the rest aligned below."""
    first, *rest = text.splitlines() or [""]
    return [f"{indent}{label}{first}", *(f"{indent}{' ' * len(label)}{line}" for line in rest)]
