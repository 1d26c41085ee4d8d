"""Raw responses checked against schemas derived from botocore's output shapes."""

from __future__ import annotations

import json

from conformance.models import (
    BatchMeterUsageResult,
    MeterUsageResult,
    RawResponse,
    RecordResult,
    ServiceError,
    UsageRecord,
)
from conformance.reporting.wording import mismatch_text
from conformance.wire.check import check_response, schema_errors
from conformance.wire.protocol import encode_outcome
from conformance.wire.service_model import load_shapes
from tests.conftest import NOW

SHAPES = load_shapes("2026-11")


def test_reference_encoding_of_every_outcome_is_wire_clean():
    record = UsageRecord(NOW, "users", "cust-1", 1)
    for operation, outcome in [
        ("MeterUsage", MeterUsageResult("r-1")),
        ("BatchMeterUsage", BatchMeterUsageResult((RecordResult(record, "Success", "r-2"),), (record,))),
        ("BatchMeterUsage", ServiceError("TimestampOutOfBoundsException", 400, "old")),
    ]:
        assert check_response(operation, encode_outcome(outcome), SHAPES).mismatches == ()


def test_a_status_outside_the_enum_is_a_schema_error():
    body = {"Results": [{"UsageRecord": {"Timestamp": 1, "Dimension": "users"}, "Status": "Accepted"}]}
    raw = RawResponse(200, "application/x-amz-json-1.1", json.dumps(body).encode())
    errors = schema_errors("BatchMeterUsage", raw, SHAPES)
    assert errors == [
        "Results.0.Status: 'Accepted' is not one of ['Success', 'CustomerNotSubscribed', 'DuplicateRecord']"
    ]
    verdict = check_response("BatchMeterUsage", raw, SHAPES)
    assert [m.rule for m in verdict.mismatches] == ["WIRE-JSON"]


def test_a_record_id_of_the_wrong_type_is_a_schema_error():
    raw = RawResponse(200, "application/x-amz-json-1.1", b'{"MeteringRecordId": 7}')
    assert [m.rule for m in check_response("MeterUsage", raw, SHAPES).mismatches] == ["WIRE-JSON"]


def test_an_error_sent_with_status_200_breaks_wire_status():
    """botocore parses a 200 as a success whatever its body says: only the raw check sees it."""
    body = {"__type": "com.amazonaws#TimestampOutOfBoundsException", "message": "too old"}
    raw = RawResponse(200, "application/x-amz-json-1.1", json.dumps(body).encode())
    verdict = check_response("MeterUsage", raw, SHAPES)
    assert [(m.rule, mismatch_text(m)) for m in verdict.mismatches if m.rule == "WIRE-STATUS"] == [
        (
            "WIRE-STATUS",
            "200 with a body naming __type 'TimestampOutOfBoundsException': an error sent as success",
        )
    ]
    fine = RawResponse(200, "application/x-amz-json-1.1", json.dumps({"MeteringRecordId": "r"}).encode())
    assert check_response("MeterUsage", fine, SHAPES).mismatches == ()


def test_an_error_whose_status_contradicts_its_type_breaks_wire_status():
    client = {"__type": "InvalidProductCodeException", "message": "no"}
    fault = {"__type": "InternalServiceErrorException", "message": "boom"}
    for status, body in ((500, client), (400, fault)):
        raw = RawResponse(status, "application/x-amz-json-1.1", json.dumps(body).encode())
        assert "WIRE-STATUS" in {m.rule for m in check_response("MeterUsage", raw, SHAPES).mismatches}
