"""Steps of a trace as text: what reports, replays and failures print.

Output is bounded: a value whose JSON passes :data:`LIMIT` characters is shown elided, with
its size and a digest (``<1,048,640-byte body, 25 records, sha256 3f1a09c2b7d4>``), and so is
a line of Expected, Received or a reason. The trace file keeps every value whole.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from conformance.models.requests import RawRequest, to_wire
from conformance.reporting.trace import TraceStep
from conformance.reporting.wording import mismatch_text

__all__ = ["LIMIT", "bounded_json", "bounded_text", "labelled", "mismatch_text", "render_step"]

LIMIT = 1024  # characters of one value, or of one line, shown whole


def render_step(number: int, step: TraceStep) -> list[str]:
    """One step as the report and the replay print it: the request, Expected, Received."""
    when = step.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    if step.kind == "clock":
        return [f"{number}. clock -> {when}"]
    if step.kind == "fixtures":
        assert step.fixtures is not None
        return [f"{number}. fixtures changed at {when}: {bounded_json(step.fixtures.to_json())}"]
    assert step.request is not None and step.context is not None
    if isinstance(step.request, RawRequest):
        body = step.request.body
        shown = repr(body[:120].decode(errors="replace")) if len(body) <= LIMIT else _digest_of(body, "body")
        sent = f"raw X-Amz-Target={step.request.target!r} body={shown}"
    else:
        sent = f"{step.request.operation} {bounded_json(to_wire(step.request))}"
    who = "seller" if step.context.access_key_id is None else "caller"
    lines = [f"{number}. at {when}, {who} in {step.context.region}: {sent}"]
    lines += labelled("Expected: ", step.expected, "   ") + labelled("Received: ", step.observed, "   ")
    lines += [f"   ✗ {bounded_text(reason)}" for reason in step.divergence]
    lines += [f"   ✗ also {m.rule}: {bounded_text(mismatch_text(m))}" for m in step.also_broken]
    return lines


def labelled(label: str, text: str, indent: str = "") -> list[str]:
    """``text`` under ``label``: its first line after the label, the rest aligned below; each
    line bounded (:func:`bounded_text`)."""
    first, *rest = [bounded_text(line) for line in text.splitlines()] or [""]
    return [f"{indent}{label}{first}", *(f"{indent}{' ' * len(label)}{line}" for line in rest)]


def bounded_json(value: Any) -> str:
    """``value`` as sorted JSON, each member or item too long to read replaced by its size and
    digest, and the whole replaced the same way if it is still too long."""
    whole = json.dumps(value, sort_keys=True)
    if len(whole) <= LIMIT:
        return whole
    shown = json.dumps(_elided(value), sort_keys=True)
    return shown if len(shown) <= LIMIT else _digest_of(whole.encode(), "body", value)


def bounded_text(text: str) -> str:
    """A line shown whole up to :data:`LIMIT` characters; longer, its start, then its size and
    digest."""
    if len(text) <= LIMIT:
        return text
    return f"{text[: LIMIT // 4]}… <{len(text):,} characters, sha256 {_sha(text.encode())}>"


def _elided(value: Any) -> Any:
    if len(json.dumps(value, sort_keys=True)) <= LIMIT // 4:
        return value
    if isinstance(value, dict):
        return {key: _elided(item) for key, item in value.items()}
    if isinstance(value, list):
        items = [_elided(item) for item in value]
        if len(json.dumps(items, sort_keys=True)) <= LIMIT:
            return items
        encoded = json.dumps(value, sort_keys=True).encode()
        return f"<{len(value):,} items, {len(encoded):,} bytes, sha256 {_sha(encoded)}>"
    if isinstance(value, str):
        return f"<{len(value):,}-character string, sha256 {_sha(value.encode())}>"
    return value


def _digest_of(encoded: bytes, what: str, value: Any = None) -> str:
    records = value.get("UsageRecords") if isinstance(value, dict) else None
    count = f", {len(records)} records" if isinstance(records, list) else ""
    return f"<{len(encoded):,}-byte {what}{count}, sha256 {_sha(encoded)}>"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]
