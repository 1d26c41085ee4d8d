"""The model's operations table (``models.operations``): one entry per operation of the
catalogue and of the pinned service models, dispatched by request and by plan."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conformance.models.catalogue import ALL_OPERATIONS
from conformance.models.operations import OPERATIONS, operation_of_plan, operation_of_request
from conformance.models.outcomes import ServiceError
from conformance.models.requests import CallContext, RawRequest, RegisterUsage, Request, ResolveCustomer
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
