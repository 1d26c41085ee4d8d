"""Wire checks of one raw response: the model's WIRE-* verdicts, with the success body
validated by jsonschema against the JSON Schema of the operation's output shape (derived at
run time from the profile's pinned service model)."""

from __future__ import annotations

import json
from functools import cache

import jsonschema

from conformance.models.response_rules import RawResponse, WireJudgement, judge_wire
from conformance.models.shapes import ShapeIndex

__all__ = ["check_response", "schema_errors"]


@cache
def _validator(shapes: ShapeIndex, operation: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(shapes.json_schema(shapes.output_shape(operation)))


def schema_errors(operation: str, raw: RawResponse, shapes: ShapeIndex) -> list[str]:
    """Where a 200 body breaks the operation's output schema (``Results.0.Status: ...``)."""
    if raw.status != 200:
        return []
    try:
        body = json.loads(raw.body)
    except ValueError:
        return []  # not JSON at all: WIRE-JSON says so without a schema
    validator = _validator(shapes, operation)
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(body)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def check_response(operation: str | None, raw: RawResponse, shapes: ShapeIndex) -> WireJudgement:
    """The WIRE-JSON / WIRE-ERROR-SHAPE / WIRE-STATUS verdicts on one response."""
    errors = schema_errors(operation, raw, shapes) if operation else []
    return judge_wire(operation, raw, shapes, errors)
