"""Wire-format rules (WIRE-JSON, WIRE-ERROR-SHAPE, WIRE-STATUS) over one raw HTTP response.

The harness validates a success body against the output shape's JSON Schema (with jsonschema,
outside this package) and passes the errors in; this module decides the verdicts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .expect import Mismatch, Problem
from .outcomes import Indeterminate, ServiceError
from .rule_ids import RuleId
from .shapes import ShapeIndex

__all__ = ["GENERIC_ERRORS", "RawResponse", "WireJudgement", "error_code", "judge_wire", "wire_rules"]

JSON_CONTENT_TYPES = ("application/x-amz-json-1.1", "application/x-amz-json-1.0")

# Protocol-level errors any awsJson1_1 operation may answer with.
GENERIC_ERRORS = frozenset(
    {
        "ValidationException",
        "SerializationException",
        "UnknownOperationException",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignature",
        "MissingAuthenticationTokenException",
        "RequestEntityTooLargeException",
        "DryRunOperation",
        "UnauthorizedException",
    }
)


@dataclass(frozen=True)
class RawResponse:
    status: int
    content_type: str | None
    body: bytes
    date: str | None = None  # the Date header as sent: the target's clock, to the second


@dataclass(frozen=True)
class WireJudgement:
    decided: frozenset[RuleId]
    mismatches: tuple[Mismatch, ...]


def error_code(type_field: str) -> str:
    """``__type`` without the ``namespace#`` prefix or the ``:uri`` suffix."""
    return type_field.rsplit("#", 1)[-1].split(":", 1)[0]


def judge_wire(
    operation: str | None,
    raw: RawResponse,
    shapes: ShapeIndex,
    schema_errors: Sequence[str] = (),
) -> WireJudgement:
    """Check one response; ``operation`` None for a request naming no known operation."""
    found: list[Mismatch] = []
    media = (raw.content_type or "").split(";", 1)[0].strip().lower()
    # WIRE-JSON
    if media not in JSON_CONTENT_TYPES:
        found.append(
            Mismatch(
                "WIRE-JSON",
                Problem.VALUE,
                expected="application/x-amz-json-1.1",
                received=repr(raw.content_type),
                subject="Content-Type",
            )
        )
    try:
        body = json.loads(raw.body or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        found.append(Mismatch("WIRE-JSON", Problem.NOT_JSON))
        return WireJudgement(frozenset({"WIRE-JSON", "WIRE-STATUS"}), tuple(found))
    decided: set[RuleId] = {"WIRE-JSON", "WIRE-STATUS"}
    type_field = body.get("__type")
    code = error_code(type_field) if isinstance(type_field, str) else None
    if raw.status == 200:
        if code is not None:
            # WIRE-STATUS: an error sent as a success, which botocore parses as one
            found.append(Mismatch("WIRE-STATUS", Problem.ERROR_AS_SUCCESS, received=repr(code)))
        found.extend(Mismatch("WIRE-JSON", Problem.OFF_SHAPE, detail=e) for e in schema_errors)
        return WireJudgement(frozenset(decided), tuple(found))
    decided.add("WIRE-ERROR-SHAPE")
    # WIRE-ERROR-SHAPE
    modelled = shapes.errors(operation) if operation else frozenset()
    if code is None:
        found.append(Mismatch("WIRE-ERROR-SHAPE", Problem.NO_TYPE))
    elif code not in modelled | GENERIC_ERRORS:
        found.append(
            Mismatch("WIRE-ERROR-SHAPE", Problem.UNKNOWN_ERROR, expected=str(operation), received=repr(code))
        )
    message = body.get("message", body.get("Message"))
    if not isinstance(message, str):
        found.append(Mismatch("WIRE-ERROR-SHAPE", Problem.NO_MESSAGE))
    # WIRE-STATUS
    fault = code in shapes.fault_errors()
    if fault and not 500 <= raw.status < 600:
        found.append(_status("WIRE-STATUS", code, raw.status, "5xx"))
    elif not fault and not 400 <= raw.status < 500:
        found.append(_status("WIRE-STATUS", code, raw.status, "4xx"))
    return WireJudgement(frozenset(decided), tuple(found))


def _status(rule: RuleId, code: str | None, status: int, expected: str) -> Mismatch:
    return Mismatch(
        rule, Problem.VALUE, expected=expected, received=str(status), subject=f"{code} with status"
    )


def wire_rules(outcome: object) -> frozenset[RuleId]:
    """The wire rules that judge the response carrying ``outcome`` (none without a response)."""
    if isinstance(outcome, Indeterminate):
        return frozenset()
    if isinstance(outcome, ServiceError):
        return frozenset({"WIRE-JSON", "WIRE-STATUS", "WIRE-ERROR-SHAPE"})
    return frozenset({"WIRE-JSON", "WIRE-STATUS"})
