"""Invariants of the model itself, over random request sequences answered by the model
(any allowed outcome), by nothing (indeterminate), or by a deviant target."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.models import (
    Allocation,
    BatchMeterUsage,
    BatchMeterUsageResult,
    CallContext,
    Indeterminate,
    MeterUsage,
    MeterUsageResult,
    Model,
    ModelState,
    Outcome,
    RecordResult,
    RegisterUsage,
    Request,
    ResolveCustomer,
    ServiceError,
    Tag,
    UsageRecord,
    allocations_key,
    hour_of,
)
from conformance.models.realize import realize
from tests.conftest import NOW
from tests.helpers import fake_sign

AGES = [
    timedelta(0),
    timedelta(minutes=30),
    timedelta(minutes=59),
    timedelta(minutes=61),
    timedelta(hours=6),
    timedelta(hours=6, seconds=1),
    timedelta(seconds=-1),
]
CALLERS = [
    CallContext("AKIAENTITLED00000001"),
    CallContext("AKIAENTITLED00000002"),
    CallContext("AKIANOTENTITLED00001"),
]


@st.composite
def allocations(draw, quantity: int):
    kind = draw(st.sampled_from(["none", "exact", "off-by-one"]))
    if kind == "none":
        return None
    split = draw(st.integers(0, quantity))
    second = quantity - split + (1 if kind == "off-by-one" else 0)
    return (Allocation(split, (Tag("team", "a"),)), Allocation(second, (Tag("team", "b"),)))


@st.composite
def usage_records(draw, now):
    quantity = draw(st.integers(0, 3))
    return UsageRecord(
        timestamp=now - draw(st.sampled_from(AGES)),
        dimension=draw(st.sampled_from(["users", "gb", "cpu"])),
        customer_identifier=draw(st.sampled_from(["cust-1", "cust-2", "cust-off", "cust-nobody"])),
        quantity=draw(st.sampled_from([quantity, None])) if quantity == 0 else quantity,
        allocations=draw(allocations(quantity)),
    )


@st.composite
def requests(draw, now) -> tuple[Request, CallContext]:
    kind = draw(st.sampled_from(["batch", "batch", "meter", "resolve", "register"]))
    if kind == "batch":
        records = draw(st.lists(usage_records(now), min_size=0, max_size=4))
        return BatchMeterUsage(
            draw(st.sampled_from(["prod-a", "prod-a", "prod-b"])), tuple(records)
        ), CallContext()
    context = draw(st.sampled_from(CALLERS))
    if kind == "meter":
        record = draw(usage_records(now))
        return MeterUsage(
            "prod-a",
            record.timestamp,
            record.dimension,
            record.quantity,
            draw(st.sampled_from([None, None, True])),
            record.allocations,
        ), context
    if kind == "resolve":
        return ResolveCustomer(draw(st.sampled_from(["tok-1", "tok-old", "nope"]))), CallContext()
    return RegisterUsage(
        "prod-a", draw(st.sampled_from([1, 2, 3])), draw(st.sampled_from([None, "n"]))
    ), context


def deviant(request: Request, draw) -> Outcome:
    """An answer a broken target might give: every record Success with a fresh id, or an error."""
    if draw(st.booleans()):
        return ServiceError(draw(st.sampled_from(["ValidationException", "DuplicateRequestException"])), 400)
    ids = (f"dev-{n}" for n in itertools.count(draw(st.integers(0, 10**6))))
    if isinstance(request, BatchMeterUsage):
        return BatchMeterUsageResult(
            tuple(RecordResult(r, "Success", next(ids)) for r in request.usage_records)
        )
    return MeterUsageResult(next(ids))


@dataclass
class Run:
    steps: list[tuple[Request, CallContext, object, Outcome]]
    final: ModelState
    honest: bool


def run(model: Model, world, data, honest: bool) -> Run:
    state = model.initial(world)
    ids = (f"rid-{n}" for n in itertools.count())
    now = NOW
    steps = []
    for _ in range(data.draw(st.integers(1, 12), label="length")):
        now += data.draw(st.sampled_from([timedelta(0), timedelta(minutes=20), timedelta(hours=1)]))
        if steps and data.draw(st.integers(0, 2), label="retry?") == 0:
            request, context, _, _ = data.draw(st.sampled_from(steps), label="retry of")
        else:
            request, context = data.draw(requests(now), label="request")
        allowed = model.allowed(state, request, context, now)
        mode = data.draw(
            st.sampled_from(["allowed", "allowed", "indeterminate"] + ([] if honest else ["deviant"]))
        )
        if mode == "allowed":
            outcome = realize(
                allowed,
                new_id=lambda: next(ids),
                sign=fake_sign,
                pick=lambda options: data.draw(st.sampled_from(list(options))),
            )
            assert allowed.judge(outcome).conforms, (allowed.describe(), outcome)
        elif mode == "indeterminate":
            outcome = data.draw(
                st.sampled_from([Indeterminate("reset"), ServiceError("ThrottlingException", 400)])
            )
        else:
            outcome = deviant(request, data.draw)
        before = state
        state = model.step(state, allowed, outcome)
        if (
            isinstance(outcome, ServiceError)
            and outcome.code != "DuplicateRequestException"
            and mode != "indeterminate"
        ):
            assert state.usage == before.usage, "a rejected request changed recorded usage"
        steps.append((request, context, now, outcome))
    return Run(steps, state, honest)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_identical_records_never_get_two_ids(model, world, data):
    result = run(model, world, data, honest=True)
    ids_by_key: dict[object, set[str]] = {}
    for request, context, _, outcome in result.steps:
        if isinstance(request, BatchMeterUsage) and isinstance(outcome, BatchMeterUsageResult):
            for res in outcome.results:
                if res.status == "Success" and res.record is not None:
                    key = (
                        request.product_code,
                        res.record.customer_identifier,
                        res.record.dimension,
                        hour_of(res.record.timestamp),
                    )
                    ids_by_key.setdefault(key, set()).add(res.metering_record_id)
        if isinstance(request, MeterUsage) and isinstance(outcome, MeterUsageResult) and not request.dry_run:
            key = (context.access_key_id, request.usage_dimension, hour_of(request.timestamp))
            ids_by_key.setdefault(key, set()).add(outcome.metering_record_id)
    assert all(len(ids) == 1 for ids in ids_by_key.values()), ids_by_key


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_key_holds_at_most_one_confirmed_record(model, world, data):
    """Where the model is sure a key is recorded, it is one record: one id and one value (which
    spelling or allocations it kept may be open, when an answer did not say which of two
    requests for it was recorded)."""
    result = run(model, world, data, honest=True)
    for key, possible in result.final.usage.items():
        confirmed = [e for e in possible if e is not None and not e.pending]
        assert len({(e.record_id, e.quantity) for e in confirmed}) <= 1, (key, possible)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_replaying_observations_gives_the_same_state(model, world, data):
    result = run(model, world, data, honest=False)
    state = model.initial(world)
    for request, context, now, outcome in result.steps:
        state = model.observe(state, request, context, now, outcome)
    assert state == result.final


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_batch_with_one_out_of_window_record_is_refused_whole(model, world, data):
    records = data.draw(st.lists(usage_records(NOW), min_size=0, max_size=5))
    old = UsageRecord(NOW - timedelta(hours=6, seconds=1), "users", "cust-1", 1)
    position = data.draw(st.integers(0, len(records)))
    request = BatchMeterUsage("prod-a", (*records[:position], old, *records[position:]))
    state = model.initial(world)
    allowed = model.allowed(state, request, CallContext(), NOW)
    assert "BMU-WINDOW" in {a.rule for a in allowed.alternatives}
    assert all(a.__class__.__name__ == "Reject" for a in allowed.alternatives)
    rejected = model.step(state, allowed, ServiceError("TimestampOutOfBoundsException", 400))
    assert rejected.usage == state.usage


def test_allocations_compare_as_sets():
    a = (Allocation(1, (Tag("x", "1"), Tag("y", "2"))), Allocation(2, None))
    b = (Allocation(2, None), Allocation(1, (Tag("y", "2"), Tag("x", "1"))))
    assert allocations_key(a) == allocations_key(b)
