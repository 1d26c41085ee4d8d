"""The awsJson1_1 wire format of the Metering Service: typed requests and outcomes to and from
HTTP bodies. The reference target and the emulator answer with :func:`encode_outcome`; every
target's raw response is read back with :func:`decode_outcome`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from conformance.models.model import Model
from conformance.models.outcomes import (
    BatchMeterUsageResult,
    Indeterminate,
    MeterUsageResult,
    Outcome,
    RecordResult,
    RegisterUsageResult,
    ResolveCustomerResult,
    ServiceError,
)
from conformance.models.requests import (
    OPERATION_NAMES,
    CallContext,
    RawRequest,
    Request,
    UsageRecord,
    WireFacts,
    epoch,
    record_from_params,
    request_from_params,
    to_wire,
    wire_value,
)
from conformance.models.response_rules import RawResponse, error_code

__all__ = [
    "CONTENT_TYPE",
    "RESULT_CODECS",
    "SCOPE_HEADER",
    "HttpRequest",
    "ResultCodec",
    "caller_of",
    "decode_outcome",
    "decode_request",
    "encode_outcome",
    "encode_request",
]

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AWSMPMeteringService"  # every snapshot's metadata.targetPrefix (a test checks)
SCOPE_HEADER = "X-Conformance-Scope"  # control protocol v1.1: selects an independent instance
ResultT = TypeVar("ResultT", bound=Outcome)
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/")


@dataclass(frozen=True)
class HttpRequest:
    target: str | None
    body: bytes


def caller_of(authorization: str | None, default_region: str) -> CallContext:
    """The caller a SigV4 ``Authorization`` header names (access key id and region)."""
    match = _CREDENTIAL.search(authorization or "")
    if match is None:
        return CallContext(None, default_region)
    return CallContext(match.group(1), match.group(2))


def encode_request(request: Request) -> HttpRequest:
    """The ``X-Amz-Target`` and body an SDK sends for ``request``."""
    if isinstance(request, RawRequest):
        return HttpRequest(request.target, request.body)
    return HttpRequest(f"{TARGET_PREFIX}.{request.operation}", json.dumps(to_wire(request)).encode())


def decode_request(target: str | None, body: bytes, model: Model) -> Request:
    """The typed request for a raw HTTP request, read with ``model``'s profile and service
    model; a ``RawRequest`` when it names no known operation, its body is not a JSON object,
    or a member's value is not of its shape's type (the model decides what those get). The
    typed request keeps the body's size and the members its shape lacks as ``WireFacts``;
    those members are left out of it, and members the profile ignores (an SDK's idempotency
    token where the profile's API has none) are dropped unremarked."""
    operation = (target or "").removeprefix(f"{TARGET_PREFIX}.")
    if not target or not target.startswith(f"{TARGET_PREFIX}.") or operation not in OPERATION_NAMES:
        return RawRequest(target, body)
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        return RawRequest(target, body)
    if not isinstance(params, dict):
        return RawRequest(target, body)
    shapes = model.shapes
    violations = shapes.violations(shapes.input_shape(operation), params)
    if any(v.constraint == "type" for v in violations):
        return RawRequest(target, body)
    ignored = model.profile.ignored_members
    unknown = [v for v in violations if v.constraint == "unknown"]
    for violation in unknown:
        _drop(params, violation.path)
    paths = tuple(v.path for v in unknown if f"{v.shape}.{v.member}" not in ignored)
    try:
        return request_from_params(operation, params, WireFacts(len(body), paths))
    except (ValueError, OverflowError):  # a timestamp no datetime can hold
        return RawRequest(target, body)


def _drop(params: dict[str, Any], path: str) -> None:
    """Remove the member at ``path`` (``UsageRecords[0].Extra``) from decoded params."""
    *parents, last = path.replace("]", "").replace("[", ".").split(".")
    node: Any = params
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node.pop(last, None)


def encode_outcome(outcome: Outcome) -> RawResponse:
    """An awsJson1_1 response for a (non-indeterminate) outcome."""
    if isinstance(outcome, ServiceError):
        body: dict[str, Any] = {"__type": outcome.code, "message": outcome.message or outcome.code}
        return RawResponse(outcome.status, CONTENT_TYPE, json.dumps(body).encode())
    if isinstance(outcome, Indeterminate):
        raise ValueError("an indeterminate outcome has no response")
    return RawResponse(200, CONTENT_TYPE, json.dumps(_success_body(outcome)).encode())


def _success_body(outcome: Outcome) -> dict[str, Any]:
    for codec in RESULT_CODECS.values():
        if isinstance(outcome, codec.result):
            return codec.encode(outcome)
    raise ValueError(f"no operation answers {type(outcome).__name__}")


def _meter_body(outcome: MeterUsageResult) -> dict[str, Any]:
    return {"MeteringRecordId": outcome.metering_record_id}


def _meter_result(body: dict[str, Any]) -> MeterUsageResult:
    return MeterUsageResult(body.get("MeteringRecordId"))


def _batch_body(outcome: BatchMeterUsageResult) -> dict[str, Any]:
    return {
        "Results": [
            {
                "UsageRecord": to_wire_record(r.record),
                "Status": r.status,
                **({"MeteringRecordId": r.metering_record_id} if r.metering_record_id else {}),
            }
            for r in outcome.results
        ],
        "UnprocessedRecords": [to_wire_record(r) for r in outcome.unprocessed],
    }


def _batch_result(body: dict[str, Any]) -> BatchMeterUsageResult:
    return BatchMeterUsageResult(
        tuple(
            RecordResult(
                record_from_params(r["UsageRecord"]) if isinstance(r.get("UsageRecord"), dict) else None,
                r.get("Status"),
                r.get("MeteringRecordId"),
            )
            for r in body.get("Results") or []
            if isinstance(r, dict)
        ),
        tuple(record_from_params(r) for r in body.get("UnprocessedRecords") or [] if isinstance(r, dict)),
    )


def _resolve_body(outcome: ResolveCustomerResult) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "CustomerIdentifier": outcome.customer_identifier,
        "CustomerAWSAccountId": outcome.customer_aws_account_id,
        "ProductCode": outcome.product_code,
        "LicenseArn": outcome.license_arn,
        "Metadata": {"AgreementId": outcome.agreement_id} if outcome.agreement_id else None,
    }
    return {k: v for k, v in identity.items() if v is not None}


def _resolve_result(body: dict[str, Any]) -> ResolveCustomerResult:
    return ResolveCustomerResult(
        body.get("CustomerIdentifier"),
        body.get("CustomerAWSAccountId"),
        body.get("ProductCode"),
        body.get("LicenseArn"),
        _agreement_id(body.get("Metadata")),
    )


def _register_body(outcome: RegisterUsageResult) -> dict[str, Any]:
    body: dict[str, Any] = {"Signature": outcome.signature}
    if outcome.public_key_rotation_timestamp is not None:
        body["PublicKeyRotationTimestamp"] = epoch(outcome.public_key_rotation_timestamp)
    return body


def _register_result(body: dict[str, Any]) -> RegisterUsageResult:
    return RegisterUsageResult(body.get("Signature"))


@dataclass(frozen=True)
class ResultCodec(Generic[ResultT]):
    """An operation's successful answer: its outcome type and its JSON body, both ways."""

    result: type[ResultT]
    encode: Callable[[ResultT], dict[str, Any]]
    decode: Callable[[dict[str, Any]], ResultT]


RESULT_CODECS: dict[str, ResultCodec[Any]] = {
    "MeterUsage": ResultCodec(MeterUsageResult, _meter_body, _meter_result),
    "BatchMeterUsage": ResultCodec(BatchMeterUsageResult, _batch_body, _batch_result),
    "ResolveCustomer": ResultCodec(ResolveCustomerResult, _resolve_body, _resolve_result),
    "RegisterUsage": ResultCodec(RegisterUsageResult, _register_body, _register_result),
}
"""Each operation's success body codec, by the operation's name (``models.operations``)."""


def to_wire_record(record: UsageRecord | None) -> dict[str, Any]:
    return wire_value(record.to_params()) if record is not None else {}


def _agreement_id(metadata: Any) -> str | None:
    value = metadata.get("AgreementId") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None


def decode_outcome(operation: str, raw: RawResponse) -> Outcome:
    """The typed outcome of a raw response. A body that cannot be read is an error outcome
    with code ``UnreadableResponse`` (the wire rules say why); 5xx without a modelled code is
    ``InternalFailure``."""
    try:
        body = json.loads(raw.body or b"{}")
    except ValueError:
        body = None
    if raw.status != 200:
        type_field = body.get("__type") if isinstance(body, dict) else None
        code = (
            error_code(type_field)
            if isinstance(type_field, str)
            else ("InternalFailure" if raw.status >= 500 else "UnreadableResponse")
        )
        message = body.get("message", body.get("Message")) if isinstance(body, dict) else None
        return ServiceError(code, raw.status, message if isinstance(message, str) else None)
    if not isinstance(body, dict):
        return ServiceError("UnreadableResponse", raw.status, "body is not a JSON object")
    codec = RESULT_CODECS.get(operation)
    if codec is None:
        return ServiceError("UnreadableResponse", raw.status, f"a 200 for unknown operation {operation!r}")
    decoded: Outcome = codec.decode(body)
    return decoded
