"""Raw responses checked against schemas derived from botocore's output shapes."""

from __future__ import annotations

import json

from conformance.wire.check import check_response, schema_errors
from conformance.wire.protocol import encode_outcome
from conformance.wire.service_model import load_shapes
from models import (
    BatchMeterUsageResult,
    MeterUsageResult,
    RawResponse,
    RecordResult,
    ServiceError,
    UsageRecord,
)
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
