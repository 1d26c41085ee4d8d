"""The reference target: the model behind real boto3 (serialization, signing and parsing real)."""

from __future__ import annotations

from datetime import timedelta

import jsonschema
import pytest

from conformance.emulator.signing import verify
from conformance.models import (
    BatchMeterUsageResult,
    CallContext,
    Fixtures,
    MeterUsageResult,
    RawRequest,
    RegisterUsage,
    RegisterUsageResult,
    ResolveCustomer,
    ResolveCustomerResult,
    ServiceError,
    judge_wire,
)
from conformance.targets import ReferenceTarget
from tests.conftest import NOW, WORLD_JSON
from tests.helpers import CALLER, SELLER, batch, meter, rec


@pytest.fixture
def target(model):
    t = ReferenceTarget(model)
    t.open(Fixtures.from_json(WORLD_JSON), NOW)
    yield t
    t.close()


def schema_errors(shapes, operation, raw):
    import json

    schema = shapes.json_schema(shapes.output_shape(operation))
    validator = jsonschema.Draft202012Validator(schema)
    return [e.message for e in validator.iter_errors(json.loads(raw.body))]


def test_old_record_is_refused_through_boto3(target, shapes):
    exchange = target.invoke(batch(rec(age=timedelta(hours=6, seconds=1))), SELLER)
    assert exchange.outcome == ServiceError("TimestampOutOfBoundsException", 400, exchange.outcome.message)
    assert judge_wire("BatchMeterUsage", exchange.raw, shapes).mismatches == ()


def test_identical_retry_gets_the_same_id_through_boto3(target, shapes):
    first = target.invoke(batch(rec(), rec(customer="cust-2")), SELLER)
    again = target.invoke(batch(rec(customer="cust-2")), SELLER)
    assert isinstance(first.outcome, BatchMeterUsageResult) and isinstance(
        again.outcome, BatchMeterUsageResult
    )
    assert [r.status for r in first.outcome.results] == ["Success", "Success"]
    assert again.outcome.results[0].metering_record_id == first.outcome.results[1].metering_record_id
    assert again.outcome.results[0].record == rec(customer="cust-2")  # echoed unchanged
    assert schema_errors(shapes, "BatchMeterUsage", first.raw) == []


def test_meter_usage_callers_are_told_apart_by_their_access_key(target):
    one = target.invoke(meter(), CALLER)
    other = target.invoke(meter(quantity=5), CallContext("AKIAENTITLED00000002"))
    assert isinstance(one.outcome, MeterUsageResult) and isinstance(other.outcome, MeterUsageResult)
    assert one.outcome.metering_record_id != other.outcome.metering_record_id
    refused = target.invoke(meter(), CallContext("AKIANOTENTITLED00001"))
    assert refused.outcome.code == "CustomerNotEntitledException"


def test_register_usage_signature_verifies_with_the_product_key(target):
    exchange = target.invoke(RegisterUsage("prod-a", 2, "n-1"), CALLER)
    assert isinstance(exchange.outcome, RegisterUsageResult)
    claims = verify(exchange.outcome.signature, target.keys.public_pem("prod-a", 2))
    assert claims["productCode"] == "prod-a" and claims["publicKeyVersion"] == 2 and claims["nonce"] == "n-1"
    with pytest.raises(ValueError, match="does not verify"):
        verify(exchange.outcome.signature, target.keys.public_pem("prod-a", 1))


def test_resolve_customer_and_invalid_requests(target, shapes):
    resolved = target.invoke(ResolveCustomer("tok-1"), SELLER)
    assert resolved.outcome == ResolveCustomerResult("cust-1", "111122223333", "prod-a")
    invalid = target.invoke(meter(quantity=-1), CALLER)  # boto3 validation is off: it reaches the model
    assert isinstance(invalid.outcome, ServiceError) and invalid.outcome.status == 400
    raw = target.invoke(RawRequest("AWSMPMeteringService.BatchMeterUsage", b"{nope"), SELLER)
    assert isinstance(raw.outcome, ServiceError) and 400 <= raw.outcome.status < 500
    assert judge_wire("BatchMeterUsage", raw.raw, shapes).mismatches == ()
