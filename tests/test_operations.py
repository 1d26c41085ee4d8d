"""The model's operations table (``models.operations``): one entry per operation of the
catalogue and of the pinned service models, dispatched by request and by plan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conformance.models.catalogue import ALL_OPERATIONS, OPERATION_OF_KIND
from conformance.models.operations import OPERATIONS, operation_of_plan, operation_of_request
from conformance.models.outcomes import (
    BatchMeterUsageResult,
    MeterUsageResult,
    RecordResult,
    RegisterUsageResult,
    ResolveCustomerResult,
    ServiceError,
)
from conformance.models.requests import (
    REQUEST_TYPES,
    CallContext,
    RawRequest,
    RegisterUsage,
    Request,
    ResolveCustomer,
    request_from_params,
)
from conformance.strategies.requests import REQUEST_STRATEGIES
from conformance.wire.protocol import RESULT_CODECS, decode_outcome, encode_outcome
from conformance.wire.service_model import load_shapes
from tests.helpers import CALLER, SELLER, batch, meter, rec

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def test_one_entry_per_operation_the_catalogue_and_every_pinned_model_name():
    names = [op.name for op in OPERATIONS]
    assert names == list(ALL_OPERATIONS)
    for profile in ("2025-01", "2026-11"):
        assert set(names) == set(load_shapes(profile).model["operations"])
    assert all(op.request.operation == op.name for op in OPERATIONS)
    assert len({op.plan for op in OPERATIONS}) == len(OPERATIONS)


def _sample(name: str) -> tuple[Request, CallContext]:
    return {
        "MeterUsage": (meter(), CALLER),
        "BatchMeterUsage": (batch(rec()), SELLER),
        "ResolveCustomer": (ResolveCustomer("no-such-token"), SELLER),
        "RegisterUsage": (RegisterUsage("prod-a", 1), CALLER),
    }[name]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_the_model_dispatches_a_request_and_its_plan_to_the_same_entry(operation, model, world):
    request, context = _sample(operation.name)
    allowed = model.allowed(model.initial(world), request, context, NOW)
    assert operation_of_request(request) is operation
    assert operation_of_plan(allowed.plan) is operation


def test_a_raw_request_belongs_to_no_operation_and_steps_nothing(model, world):
    state = model.initial(world)
    raw = RawRequest("AWSMPMeteringService.Nope", b"{}")
    assert operation_of_request(raw) is None
    allowed = model.allowed(state, raw, SELLER, NOW)
    assert operation_of_plan(allowed.plan) is None
    assert model.step(state, allowed, ServiceError("UnknownOperationException", 400)) is state


def test_every_operation_has_one_strategy_one_codec_and_one_request_type_by_its_name():
    """A new operation is an entry here and one in each table the edges keep by its name: a
    missing one fails this test, not a campaign."""
    names = {op.name for op in OPERATIONS}
    assert set(REQUEST_STRATEGIES) == names
    assert set(RESULT_CODECS) == names
    assert {op.name: op.request for op in OPERATIONS} == REQUEST_TYPES
    assert set(OPERATION_OF_KIND.values()) == names
    for op in OPERATIONS:
        request, _ = _sample(op.name)
        assert request_from_params(op.name, request.to_params()) == request


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.name)
def test_a_success_body_decodes_to_the_outcome_it_was_encoded_from(operation):
    codec = RESULT_CODECS[operation.name]
    outcomes = {
        "MeterUsage": MeterUsageResult("r-1"),
        "BatchMeterUsage": BatchMeterUsageResult((RecordResult(rec(), "Success", "r-1"),), ()),
        "ResolveCustomer": ResolveCustomerResult("cust-1", "111122223333", "prod-a"),
        "RegisterUsage": RegisterUsageResult("sig"),
    }
    outcome = outcomes[operation.name]
    assert isinstance(outcome, codec.result)
    assert decode_outcome(operation.name, encode_outcome(outcome)) == outcome
