"""Per-rule tests of the reference model: for each rule, where it decides and where it must not.

Each test is registered with ``@fires`` / ``@silent``; ``test_catalogue_coverage`` fails on a
catalogue rule that lacks either.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from conformance.models import (
    Accept,
    Allocation,
    BatchMeterUsageResult,
    CallContext,
    Fixtures,
    HistoryOp,
    Indeterminate,
    MeterUsageResult,
    Model,
    ProcessBatch,
    RawRequest,
    RawResponse,
    RecordResult,
    Register,
    RegisterUsage,
    RegisterUsageResult,
    Reject,
    Resolve,
    ResolveCustomer,
    ServiceError,
    WireFacts,
    World,
    judge_wire,
    linearize,
)
from conformance.models.expect import match_records
from conformance.models.world import Caller, Customer
from conformance.strategies import sized_batch
from tests.conftest import NOW
from tests.helpers import CALLER, SELLER, SelfTarget, batch, fake_sign, meter, rec, tags
from tests.rulecases import fires, silent

H = timedelta(hours=1)


def rejects(allowed: object, rule: str, code: str | None = None) -> bool:
    return any(
        isinstance(a, Reject) and a.rule == rule and (code is None or a.codes is None or code in a.codes)
        for a in allowed.alternatives  # type: ignore[attr-defined]
    )


def refused_in_either_order(allowed: Any, specific: str | None) -> None:
    """The request must be refused: with the rule's own error (any 4xx where ``specific`` is
    None) and, as a service that validates shapes first answers, with ValidationException;
    never with a 200, and the refusal records nothing."""
    codes = [specific or "InvalidParameterException", "ValidationException"]
    for code in codes:
        assert allowed.judge(ServiceError(code, 400)).conforms, code
    for success in (MeterUsageResult("r-1"), BatchMeterUsageResult(())):
        assert not allowed.judge(success).conforms
    assert not allowed.plan.recordable


def only_rejections(allowed: object) -> bool:
    return all(isinstance(a, Reject) for a in allowed.alternatives)  # type: ignore[attr-defined]


def record_options(allowed: object, index: int = 0) -> set[tuple[str, str]]:
    batch_alt = next(a for a in allowed.alternatives if isinstance(a, ProcessBatch))  # type: ignore[attr-defined]
    return {(o.rule, o.status) for o in batch_alt.records[index].options}


# -- wire --------------------------------------------------------------------------------------------


@fires("WIRE-JSON")
def test_wire_json_refuses_a_non_json_response(shapes):
    verdict = judge_wire("MeterUsage", RawResponse(200, "text/html", b"<html/>"), shapes)
    assert {m.rule for m in verdict.mismatches} == {"WIRE-JSON"}


@fires("WIRE-JSON")
def test_wire_json_reports_schema_errors_of_a_success_body(shapes):
    raw = RawResponse(200, "application/x-amz-json-1.1", b'{"MeteringRecordId": 5}')
    verdict = judge_wire("MeterUsage", raw, shapes, ["MeteringRecordId: 5 is not of type 'string'"])
    assert [m.rule for m in verdict.mismatches] == ["WIRE-JSON"]


@silent("WIRE-JSON", "WIRE-STATUS")
def test_wire_accepts_a_well_formed_success(shapes):
    raw = RawResponse(200, "application/x-amz-json-1.1", b'{"MeteringRecordId": "r"}')
    verdict = judge_wire("MeterUsage", raw, shapes)
    assert verdict.mismatches == ()
    assert "WIRE-JSON" in verdict.decided


@fires("WIRE-ERROR-SHAPE")
def test_wire_error_shape_needs_type_and_message(shapes):
    raw = RawResponse(400, "application/x-amz-json-1.1", b'{"error": "bad"}')
    rules = [m.rule for m in judge_wire("MeterUsage", raw, shapes).mismatches]
    assert rules == ["WIRE-ERROR-SHAPE", "WIRE-ERROR-SHAPE"]


@fires("WIRE-ERROR-SHAPE")
def test_wire_error_shape_refuses_an_error_of_another_operation(shapes):
    body = b'{"__type": "InvalidTokenException", "message": "m"}'
    raw = RawResponse(400, "application/x-amz-json-1.1", body)
    assert [m.rule for m in judge_wire("MeterUsage", raw, shapes).mismatches] == ["WIRE-ERROR-SHAPE"]


@silent("WIRE-ERROR-SHAPE", "WIRE-STATUS")
def test_wire_accepts_a_namespaced_modelled_error(shapes):
    body = b'{"__type": "com.amazonaws.mp#TimestampOutOfBoundsException", "message": "old"}'
    raw = RawResponse(400, "application/x-amz-json-1.1", body)
    verdict = judge_wire("BatchMeterUsage", raw, shapes)
    assert verdict.mismatches == ()
    assert {"WIRE-ERROR-SHAPE", "WIRE-STATUS"} <= verdict.decided


@fires("WIRE-STATUS")
def test_wire_status_client_error_must_be_4xx_and_fault_5xx(shapes):
    client = RawResponse(
        500, "application/x-amz-json-1.1", b'{"__type": "InvalidProductCodeException", "message": "m"}'
    )
    fault = RawResponse(
        400, "application/x-amz-json-1.1", b'{"__type": "InternalServiceErrorException", "message": "m"}'
    )
    assert [m.rule for m in judge_wire("MeterUsage", client, shapes).mismatches] == ["WIRE-STATUS"]
    assert [m.rule for m in judge_wire("MeterUsage", fault, shapes).mismatches] == ["WIRE-STATUS"]


@silent("WIRE-STATUS")
def test_wire_status_accepts_a_fault_with_500(shapes):
    raw = RawResponse(
        500, "application/x-amz-json-1.1", b'{"__type": "InternalServiceErrorException", "message": "m"}'
    )
    assert judge_wire("MeterUsage", raw, shapes).mismatches == ()


@fires("WIRE-UNKNOWN-OP")
@silent("WIRE-MALFORMED")
def test_unknown_operation_is_a_client_error(model, world):
    allowed = model.allowed(model.initial(world), RawRequest("AWSMPMeteringService.Nope", b"{}"), SELLER, NOW)
    assert allowed.alternatives == (Reject("WIRE-UNKNOWN-OP", suggested="UnknownOperationException"),)
    assert allowed.judge(ServiceError("UnknownOperationException", 400)).conforms
    assert not allowed.judge(ServiceError("InternalFailure", 500)).conforms


@fires("WIRE-MALFORMED")
@silent("WIRE-UNKNOWN-OP")
def test_malformed_body_is_a_client_error_and_changes_nothing(model, world):
    state = model.initial(world)
    allowed = model.allowed(
        state, RawRequest("AWSMPMeteringService.BatchMeterUsage", b"{not json"), SELLER, NOW
    )
    assert allowed.alternatives == (Reject("WIRE-MALFORMED", suggested="SerializationException"),)
    assert model.step(state, allowed, ServiceError("SerializationException", 400)) == state


@fires("WIRE-VALIDATION")
def test_shape_violations_are_rejected(model, world):
    state = model.initial(world)
    for request, context in [
        (meter(quantity=-1), CALLER),
        (meter(quantity=2**31), CALLER),
        (RegisterUsage("prod-a", 0), CALLER),
        (ResolveCustomer(""), SELLER),
        (batch(rec(customer=None)), SELLER),  # CustomerIdentifier required in 2025-01
        (batch(rec(), product=None), SELLER),  # ProductCode required in 2025-01
    ]:
        allowed = model.allowed(state, request, context, NOW)
        assert rejects(allowed, "WIRE-VALIDATION") and only_rejections(allowed), request


@fires("WIRE-VALIDATION")
def test_a_member_the_shape_lacks_may_be_refused_or_ignored(model, world):
    state = model.initial(world)
    received = replace(batch(rec()), wire=WireFacts(100, ("Extra",)))
    allowed = model.allowed(state, received, SELLER, NOW)
    assert allowed.alternatives[0] == Reject("WIRE-VALIDATION")
    assert allowed.alternatives[1:] == model.allowed(state, batch(rec()), SELLER, NOW).alternatives
    assert model.step(state, allowed, ServiceError("ValidationException", 400)).usage == state.usage


@fires("WIRE-VALIDATION")
def test_a_megabyte_body_may_be_refused_by_any_operation(model, world):
    state = model.initial(world)
    limit = model.profile.payload_limit
    for size, refusal_allowed in [(limit - 1, False), (limit, True)]:
        received = replace(meter(), wire=WireFacts(size))
        allowed = model.allowed(state, received, CALLER, NOW)
        assert (Reject("WIRE-VALIDATION") in allowed.alternatives) is refusal_allowed


@silent("WIRE-VALIDATION")
def test_largest_quantity_is_valid(model, world):
    allowed = model.allowed(model.initial(world), meter(quantity=2**31 - 1), CALLER, NOW)
    assert "WIRE-VALIDATION" not in allowed.decided
    assert isinstance(allowed.alternatives[0], Accept)


# -- allocations ------------------------------------------------------------------------------------


@fires("ALLOC-SUM")
def test_allocations_must_sum_to_the_quantity(model, world):
    allocations = (Allocation(1, tags(("k", "a"))), Allocation(1, tags(("k", "b"))))
    for request, context in [
        (meter(quantity=3, allocations=allocations), CALLER),
        (batch(rec(quantity=3, allocations=allocations)), SELLER),
    ]:
        allowed = model.allowed(model.initial(world), request, context, NOW)
        assert allowed.alternatives == (Reject("ALLOC-SUM", frozenset({"InvalidUsageAllocationsException"})),)


@silent("ALLOC-SUM", "ALLOC-UNIQUE-TAGS", "ALLOC-TAG-LIMIT", "ALLOC-TAG-FORMAT", "ALLOC-COUNT-LIMIT")
def test_valid_allocations_are_accepted(model, world):
    allocations = (Allocation(2, tags(("k", "a"), ("x", "y"))), Allocation(1, None))
    allowed = model.allowed(
        model.initial(world), batch(rec(quantity=3, allocations=allocations)), SELLER, NOW
    )
    assert not allowed.decided & {
        "ALLOC-SUM",
        "ALLOC-UNIQUE-TAGS",
        "ALLOC-TAG-LIMIT",
        "ALLOC-TAG-FORMAT",
        "ALLOC-COUNT-LIMIT",
    }
    assert record_options(allowed) == {("BMU-ACCEPT", "Success")}


@fires("ALLOC-UNIQUE-TAGS")
def test_allocation_tag_sets_must_be_distinct(model, world):
    same = (Allocation(1, tags(("k", "a"), ("j", "b"))), Allocation(1, tags(("j", "b"), ("k", "a"))))
    untagged = (Allocation(1), Allocation(1))
    for allocations in (same, untagged):
        allowed = model.allowed(model.initial(world), meter(quantity=2, allocations=allocations), CALLER, NOW)
        assert allowed.alternatives == (
            Reject("ALLOC-UNIQUE-TAGS", frozenset({"InvalidUsageAllocationsException"})),
        )


@fires("ALLOC-TAG-LIMIT")
def test_six_tags_are_refused(model, world):
    six = tags(*[(f"k{i}", "v") for i in range(6)])
    allowed = model.allowed(
        model.initial(world), batch(rec(quantity=1, allocations=(Allocation(1, six),))), SELLER, NOW
    )
    assert allowed.alternatives == (
        Reject("ALLOC-TAG-LIMIT", frozenset({"InvalidTagException"})),
        Reject("WIRE-VALIDATION", frozenset({"ValidationException"})),
    )
    refused_in_either_order(allowed, "InvalidTagException")


@silent("ALLOC-TAG-LIMIT")
def test_five_tags_are_accepted(model, world):
    five = tags(*[(f"k{i}", "v") for i in range(5)])
    allowed = model.allowed(
        model.initial(world), batch(rec(quantity=1, allocations=(Allocation(1, five),))), SELLER, NOW
    )
    assert "ALLOC-TAG-LIMIT" not in allowed.decided


@fires("ALLOC-TAG-FORMAT")
def test_tag_format_strict_and_lenient(model, world, shapes):
    key_max = shapes.limit("TagKey", "max")
    state = model.initial(world)

    def alternatives(key: str, value: str) -> tuple[object, ...]:
        request = batch(rec(quantity=1, allocations=(Allocation(1, tags((key, value))),)))
        return model.allowed(state, request, SELLER, NOW).alternatives

    invalid_tag = Reject("ALLOC-TAG-FORMAT", frozenset({"InvalidTagException"}))
    validation = Reject("WIRE-VALIDATION", frozenset({"ValidationException"}))
    assert alternatives("k" * (key_max + 1), "v") == (invalid_tag, validation)
    assert alternatives("k", "") == (invalid_tag, validation)
    assert alternatives("k~", "v") == (invalid_tag, validation)  # in neither character set
    for key, value in (("k" * (key_max + 1), "v"), ("k", ""), ("k~", "v")):
        request = batch(rec(quantity=1, allocations=(Allocation(1, tags((key, value))),)))
        refused_in_either_order(model.allowed(state, request, SELLER, NOW), "InvalidTagException")
    # in the regex range ' -=' but not the literal list: either reading, so a 200 is allowed
    # too; the snapshot's pattern (a regex) accepts it, so no ValidationException
    lenient = alternatives("k!", "v")
    assert lenient[0] == invalid_tag and isinstance(lenient[1], ProcessBatch)


@silent("ALLOC-TAG-FORMAT")
def test_tag_at_its_length_limits_is_accepted(model, world, shapes):
    key = "k" * shapes.limit("TagKey", "max")
    value = "v/@:._=-+ " * (shapes.limit("TagValue", "max") // 10) + "v" * (
        shapes.limit("TagValue", "max") % 10
    )
    request = batch(rec(quantity=1, allocations=(Allocation(1, tags((key, value))),)))
    assert "ALLOC-TAG-FORMAT" not in model.allowed(model.initial(world), request, SELLER, NOW).decided


@fires("ALLOC-COUNT-LIMIT")
def test_allocation_count_limit_follows_the_profile(model, model26, world):
    def request(count: int):
        allocations = tuple(Allocation(1, tags(("n", str(i)))) for i in range(count))
        return meter(quantity=count, allocations=allocations)

    assert rejects(model.allowed(model.initial(world), request(501), CALLER, NOW), "ALLOC-COUNT-LIMIT")
    assert (
        "ALLOC-COUNT-LIMIT" not in model26.allowed(model26.initial(world), request(501), CALLER, NOW).decided
    )
    assert rejects(model26.allowed(model26.initial(world), request(2501), CALLER, NOW), "ALLOC-COUNT-LIMIT")
    # past the snapshot's UsageAllocations max (2,500 in both) the shape is broken too
    for each in (model, model26):
        allowed = each.allowed(each.initial(world), request(2501), CALLER, NOW)
        refused_in_either_order(allowed, "InvalidUsageAllocationsException")


@silent("ALLOC-COUNT-LIMIT")
def test_allocation_count_at_the_limit_is_accepted(model, world):
    allocations = tuple(Allocation(1, tags(("n", str(i)))) for i in range(500))
    allowed = model.allowed(model.initial(world), meter(quantity=500, allocations=allocations), CALLER, NOW)
    assert allowed.alternatives == (Accept("MU-ACCEPT", allowed.alternatives[0].record_id),)


# -- MeterUsage -------------------------------------------------------------------------------------


@fires("MU-ACCEPT")
def test_meter_usage_accepts_a_valid_request(model, world):
    allowed = model.allowed(model.initial(world), meter(), CALLER, NOW)
    assert [(a.rule, type(a)) for a in allowed.alternatives] == [("MU-ACCEPT", Accept)]
    assert allowed.judge(MeterUsageResult("r1")).conforms
    assert not allowed.judge(MeterUsageResult("")).conforms


@fires("MU-PRODUCT")
@silent("MU-ACCEPT")
def test_meter_usage_unknown_product(model, world):
    allowed = model.allowed(model.initial(world), meter(product="prod-zzz"), CALLER, NOW)
    assert allowed.alternatives == (Reject("MU-PRODUCT", frozenset({"InvalidProductCodeException"})),)


@silent(
    "MU-PRODUCT",
    "MU-DIMENSION",
    "MU-ENTITLEMENT",
    "MU-REGION",
    "MU-WINDOW",
    "MU-FUTURE",
    "MU-DRYRUN",
    "MU-IDEMPOTENT",
    "MU-HOUR-DUPLICATE",
    "MU-CALLER-ISOLATION",
    "MU-QUANTITY-DEFAULT",
    "MU-CLIENT-TOKEN",
)
def test_a_plain_valid_meter_usage_is_decided_by_mu_accept_alone(model26, world):
    allowed = model26.allowed(model26.initial(world), meter(client_token="t-1"), CALLER, NOW)
    assert allowed.decided == {"MU-ACCEPT"}


@fires("MU-DIMENSION")
def test_meter_usage_unknown_dimension(model, world):
    allowed = model.allowed(model.initial(world), meter(dimension="cpu"), CALLER, NOW)
    assert allowed.alternatives == (Reject("MU-DIMENSION", frozenset({"InvalidUsageDimensionException"})),)


@fires("MU-WINDOW")
def test_meter_usage_older_than_the_window(model, world):
    allowed = model.allowed(model.initial(world), meter(age=timedelta(hours=6, seconds=1)), CALLER, NOW)
    assert allowed.alternatives == (Reject("MU-WINDOW", frozenset({"TimestampOutOfBoundsException"})),)


@fires("MU-FUTURE")
def test_meter_usage_in_the_future_is_lenient(model, world):
    allowed = model.allowed(model.initial(world), meter(age=timedelta(seconds=-1)), CALLER, NOW)
    assert [a.rule for a in allowed.alternatives] == ["MU-FUTURE", "MU-ACCEPT"]
    assert allowed.judge(ServiceError("TimestampOutOfBoundsException", 400)).conforms
    assert allowed.judge(MeterUsageResult("r")).conforms


@fires("MU-IDEMPOTENT")
@silent("MU-ACCEPT")
def test_meter_usage_identical_retry_returns_the_same_id(model, world):
    target = SelfTarget(model, model.initial(world))
    _, first = target.send(meter(), CALLER)
    allowed, again = target.send(meter(), CALLER)
    assert allowed.alternatives == (Accept("MU-IDEMPOTENT", replace(allowed.alternatives[0].record_id)),)
    assert again == first
    assert not allowed.judge(MeterUsageResult("another")).conforms


@fires("MU-HOUR-DUPLICATE")
def test_meter_usage_same_hour_other_quantity(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(meter(age=timedelta(minutes=50)), CALLER)
    allowed, outcome = target.send(meter(age=timedelta(minutes=10), quantity=2), CALLER)
    assert allowed.alternatives == (Reject("MU-HOUR-DUPLICATE", frozenset({"DuplicateRequestException"})),)
    assert outcome == ServiceError(
        "DuplicateRequestException", 400, "DuplicateRequestException (MU-HOUR-DUPLICATE)"
    )


@silent("MU-HOUR-DUPLICATE")
def test_meter_usage_next_hour_is_a_new_record(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(meter(age=timedelta(minutes=70)), CALLER)  # 10:50 → hour 10
    allowed, _ = target.send(meter(age=timedelta(minutes=50), quantity=2), CALLER)  # 11:10 → hour 11
    assert allowed.decided == {"MU-ACCEPT"}


@fires("MU-CALLER-ISOLATION")
def test_meter_usage_other_caller_same_key_is_independent(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(meter(), CALLER)
    allowed, outcome = target.send(meter(quantity=5), CallContext("AKIAENTITLED00000002"))
    assert [a.rule for a in allowed.alternatives] == ["MU-CALLER-ISOLATION"]
    assert isinstance(outcome, MeterUsageResult)


@fires("MU-QUANTITY-DEFAULT")
def test_omitted_quantity_is_an_explicit_zero(model, world):
    target = SelfTarget(model, model.initial(world))
    _, first = target.send(meter(quantity=0), CALLER)
    allowed, again = target.send(meter(quantity=None), CALLER)
    assert [a.rule for a in allowed.alternatives] == ["MU-QUANTITY-DEFAULT"]
    assert again == first
    omitted_vs_one = model.allowed(target.state, meter(quantity=1), CALLER, NOW)
    assert rejects(omitted_vs_one, "MU-HOUR-DUPLICATE")


@fires("MU-DRYRUN")
def test_dry_run_never_records(model, world):
    state = model.initial(world)
    allowed = model.allowed(state, meter(dry_run=True), CALLER, NOW)
    assert {a.rule for a in allowed.alternatives} == {"MU-DRYRUN"}
    assert allowed.judge(ServiceError("DryRunOperation", 412)).conforms
    assert allowed.judge(MeterUsageResult("r-dry")).conforms
    assert model.step(state, allowed, MeterUsageResult("r-dry")) == state
    bad = model.allowed(state, meter(dry_run=True, product="nope"), CALLER, NOW)
    assert {a.rule for a in bad.alternatives} == {"MU-PRODUCT", "MU-DRYRUN"}


@fires("MU-ENTITLEMENT")
def test_meter_usage_caller_not_entitled(model, world):
    state = model.initial(world)
    for context, product in [(CallContext("AKIANOTENTITLED00001"), "prod-a"), (CALLER, "prod-b")]:
        allowed = model.allowed(state, meter(product=product), context, NOW)
        assert allowed.alternatives == (
            Reject("MU-ENTITLEMENT", frozenset({"CustomerNotEntitledException"})),
        )


@fires("MU-REGION")
def test_meter_usage_from_another_region(model, world):
    allowed = model.allowed(model.initial(world), meter(), CallContext("AKIAOTHERREGION00001"), NOW)
    assert allowed.alternatives == (Reject("MU-REGION", frozenset({"InvalidEndpointRegionException"})),)


@fires("MU-CLIENT-TOKEN")
def test_client_token_conflict_and_replay(model26, world):
    target = SelfTarget(model26, model26.initial(world))
    _, first = target.send(meter(client_token="tok-a"), CALLER)
    same, again = target.send(meter(client_token="tok-a"), CALLER)
    assert [a.rule for a in same.alternatives] == ["MU-CLIENT-TOKEN"] and again == first
    other = model26.allowed(
        target.state, meter(quantity=9, age=timedelta(hours=3), client_token="tok-a"), CALLER, NOW
    )
    assert other.alternatives == (Reject("MU-CLIENT-TOKEN", frozenset({"IdempotencyConflictException"})),)


@silent("MU-CLIENT-TOKEN")
def test_client_token_is_not_part_of_the_2025_profile(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(meter(client_token="tok-a"), CALLER)
    allowed = model.allowed(target.state, meter(quantity=9, client_token="tok-a"), CALLER, NOW)
    assert allowed.decided == {"MU-HOUR-DUPLICATE"}


# -- BatchMeterUsage --------------------------------------------------------------------------------


@fires("BMU-ACCEPT", "BMU-PARTITION")
def test_batch_accepts_a_subscribed_customer(model, world):
    allowed = model.allowed(model.initial(world), batch(rec()), SELLER, NOW)
    assert allowed.decided == {"BMU-ACCEPT", "BMU-PARTITION", "BMU-API-ENABLED"}
    assert record_options(allowed) == {("BMU-ACCEPT", "Success")}


@fires("BMU-PARTITION")
def test_batch_partition_every_record_exactly_once(model, world):
    request = batch(rec(), rec(customer="cust-2"))
    allowed = model.allowed(model.initial(world), request, SELLER, NOW)
    one_missing = BatchMeterUsageResult((RecordResult(request.usage_records[0], "Success", "r1"),))
    verdict = allowed.judge(one_missing)
    assert not verdict.conforms and "BMU-PARTITION" in verdict.blamed
    changed = replace(request.usage_records[1], quantity=7)
    echo_changed = BatchMeterUsageResult(
        (RecordResult(request.usage_records[0], "Success", "r1"), RecordResult(changed, "Success", "r2"))
    )
    assert allowed.judge(echo_changed).blamed == {"BMU-PARTITION"}
    unprocessed = BatchMeterUsageResult(
        (RecordResult(request.usage_records[0], "Success", "r1"),), (request.usage_records[1],)
    )
    assert allowed.judge(unprocessed).conforms


@fires("BMU-PARTITION")
def test_a_server_failure_is_blamed_on_the_partition_and_a_refusal_on_the_record_rules(model, world):
    state = model.initial(world)
    state = replace(state, resolved_customers=frozenset({("prod-a", "cust-2")}))
    allowed = model.allowed(state, batch(rec(), rec(customer="cust-2")), SELLER, NOW)
    crash = allowed.judge(ServiceError("KeyError", 500))
    assert crash.blamed == {"BMU-PARTITION"}
    # a crash answered none of the record rules' questions: they are not decided, so a target
    # that crashes on every batch never passes them
    assert crash.decided == {"BMU-PARTITION"} and {"BMU-ACCEPT", "RC-METERABLE"} <= allowed.decided
    refusal = allowed.judge(ServiceError("ValidationException", 400))
    assert refusal.blamed == {"BMU-ACCEPT", "RC-METERABLE"} and refusal.decided == allowed.decided


@fires("BMU-IDEMPOTENT")
def test_identical_records_of_one_batch_share_an_id_under_the_idempotence_rule(model, world):
    request = batch(rec(), rec())
    state = replace(model.initial(world), resolved_customers=frozenset({("prod-a", "cust-1")}))
    allowed = model.allowed(state, request, SELLER, NOW)
    record = request.usage_records[0]
    two_ids = BatchMeterUsageResult(
        (RecordResult(record, "Success", "r1"), RecordResult(record, "Success", "r2"))
    )
    assert allowed.judge(two_ids).blamed == {"BMU-IDEMPOTENT"}


@silent("BMU-PARTITION", "BMU-ACCEPT", "BMU-SIZE-LIMIT")
def test_rejected_batch_is_not_partitioned(model, world):
    allowed = model.allowed(model.initial(world), batch(rec(age=timedelta(hours=7))), SELLER, NOW)
    assert allowed.decided == {"BMU-WINDOW", "BMU-API-ENABLED"}


@fires("BMU-SIZE-LIMIT")
def test_batch_of_26_is_refused(model, world, shapes):
    limit = shapes.limit("UsageRecordList", "max")
    records = [rec(customer="cust-1", quantity=q) for q in range(limit + 1)]
    allowed = model.allowed(model.initial(world), batch(*records), SELLER, NOW)
    assert allowed.alternatives == (
        Reject("BMU-SIZE-LIMIT"),
        Reject("WIRE-VALIDATION", frozenset({"ValidationException"})),
    )
    refused_in_either_order(allowed, None)


@silent("BMU-SIZE-LIMIT")
def test_batch_of_25_is_processed(model, world, shapes):
    limit = shapes.limit("UsageRecordList", "max")
    records = [rec(age=timedelta(minutes=5 + 10 * i)) for i in range(limit)]
    allowed = model.allowed(model.initial(world), batch(*records), SELLER, NOW)
    assert "BMU-SIZE-LIMIT" not in allowed.decided
    assert isinstance(allowed.alternatives[-1], ProcessBatch)


def padded_batch(model: Model, size: int):
    """A valid batch for cust-1 whose body is exactly ``size`` bytes."""
    return sized_batch(model.shapes, model.profile, "prod-a", "cust-1", "users", NOW - H, size)


@fires("BMU-PAYLOAD-LIMIT")
def test_payload_of_one_mebibyte_is_refused(model26, world):
    state = model26.initial(world)
    at_limit = model26.allowed(state, padded_batch(model26, model26.profile.payload_limit), SELLER, NOW)
    assert at_limit.alternatives == (Reject("BMU-PAYLOAD-LIMIT"),)
    lenient = model26.allowed(state, padded_batch(model26, model26.profile.payload_lenient_from), SELLER, NOW)
    assert lenient.alternatives[0] == Reject("BMU-PAYLOAD-LIMIT") and isinstance(
        lenient.alternatives[1], ProcessBatch
    )


@silent("BMU-PAYLOAD-LIMIT")
def test_payload_just_under_a_million_bytes_is_processed(model26, world):
    request = padded_batch(model26, model26.profile.payload_lenient_from - 1)
    allowed = model26.allowed(model26.initial(world), request, SELLER, NOW)
    assert "BMU-PAYLOAD-LIMIT" not in allowed.decided


@fires("BMU-WINDOW")
def test_batch_with_one_old_record_is_refused_whole(model, world):
    request = batch(
        rec(),
        rec(customer="cust-2"),
        rec(age=timedelta(hours=6, seconds=1), customer="cust-2", dimension="gb"),
    )
    allowed = model.allowed(model.initial(world), request, SELLER, NOW)
    assert allowed.alternatives == (Reject("BMU-WINDOW", frozenset({"TimestampOutOfBoundsException"})),)


@fires("BMU-ATOMIC")
def test_rejected_batch_recorded_nothing(model, world):
    target = SelfTarget(model, model.initial(world))
    before = target.state.usage
    _, outcome = target.send(batch(rec(quantity=1), rec(age=timedelta(hours=9), customer="cust-2")))
    assert isinstance(outcome, ServiceError) and target.state.usage == before
    allowed, later = target.send(batch(rec(quantity=2)))
    assert record_options(allowed) == {("BMU-ATOMIC", "Success")}
    assert isinstance(later, BatchMeterUsageResult) and later.results[0].status == "Success"


@silent("BMU-ATOMIC")
def test_atomic_does_not_decide_keys_never_refused(model, world):
    allowed = model.allowed(model.initial(world), batch(rec(quantity=2)), SELLER, NOW)
    assert "BMU-ATOMIC" not in allowed.decided


@fires("BMU-FUTURE")
def test_batch_record_in_the_future_is_lenient(model, world):
    allowed = model.allowed(model.initial(world), batch(rec(age=timedelta(seconds=-1))), SELLER, NOW)
    assert [a.rule for a in allowed.alternatives] == ["BMU-FUTURE", "BMU-PARTITION"]


@silent("BMU-FUTURE", "MU-FUTURE", "BMU-WINDOW", "MU-WINDOW")
def test_timestamp_equal_to_now_is_inside(model, world):
    state = model.initial(world)
    assert model.allowed(state, batch(rec(age=timedelta(0))), SELLER, NOW).decided == {
        "BMU-ACCEPT",
        "BMU-PARTITION",
        "BMU-API-ENABLED",
    }
    assert model.allowed(state, meter(age=timedelta(0)), CALLER, NOW).decided == {"MU-ACCEPT"}


@fires("BMU-PRODUCT")
def test_batch_unknown_product(model, world):
    allowed = model.allowed(model.initial(world), batch(rec(), product="prod-zzz"), SELLER, NOW)
    assert allowed.alternatives == (Reject("BMU-PRODUCT", frozenset({"InvalidProductCodeException"})),)


@fires("BMU-DIMENSION")
def test_batch_unknown_dimension(model, world):
    allowed = model.allowed(model.initial(world), batch(rec(), rec(dimension="cpu")), SELLER, NOW)
    assert allowed.alternatives == (Reject("BMU-DIMENSION", frozenset({"InvalidUsageDimensionException"})),)


@silent(
    "BMU-PRODUCT",
    "BMU-DIMENSION",
    "BMU-NOT-SUBSCRIBED",
    "BMU-UNKNOWN-CUSTOMER",
    "BMU-IDEMPOTENT",
    "BMU-DUPLICATE",
    "BMU-IN-BATCH-DUPLICATE",
    "BMU-CUSTOMER-ISOLATION",
    "BMU-PRODUCT-ISOLATION",
    "BMU-EMPTY",
    "BMU-ACCOUNT-ID",
    "BMU-LICENSE",
    "RC-METERABLE",
    "RETRY-CONVERGES",
)
def test_a_fresh_valid_batch_is_decided_by_accept_and_partition_alone(model26, world):
    allowed = model26.allowed(
        model26.initial(world), batch(rec(), rec(customer="cust-2", quantity=4)), SELLER, NOW
    )
    assert allowed.decided == {"BMU-ACCEPT", "BMU-PARTITION", "BMU-API-ENABLED"}


@fires("BMU-NOT-SUBSCRIBED")
def test_unsubscribed_customer_is_not_recorded(model, world):
    target = SelfTarget(model, model.initial(world))
    allowed, outcome = target.send(batch(rec(customer="cust-off")))
    assert record_options(allowed) == {("BMU-NOT-SUBSCRIBED", "CustomerNotSubscribed")}
    assert outcome.results[0].status == "CustomerNotSubscribed"
    assert target.state.usage == {}


@fires("BMU-UNKNOWN-CUSTOMER")
def test_unknown_customer_is_lenient(model, world):
    allowed = model.allowed(model.initial(world), batch(rec(customer="cust-nobody"), rec()), SELLER, NOW)
    assert allowed.alternatives[0] == Reject(
        "BMU-UNKNOWN-CUSTOMER", frozenset({"InvalidCustomerIdentifierException"})
    )
    assert record_options(allowed, 0) == {("BMU-UNKNOWN-CUSTOMER", "CustomerNotSubscribed")}
    assert record_options(allowed, 1) == {("BMU-ACCEPT", "Success")}


@fires("BMU-IDEMPOTENT")
def test_batch_identical_retry_and_subset_retry(model, world):
    target = SelfTarget(model, model.initial(world))
    two = batch(rec(), rec(customer="cust-2"))
    _, first = target.send(two)
    allowed, again = target.send(batch(two.usage_records[1]))
    assert record_options(allowed) == {("BMU-IDEMPOTENT", "Success")}
    assert again.results[0].metering_record_id == first.results[1].metering_record_id
    wrong = BatchMeterUsageResult((RecordResult(two.usage_records[1], "Success", "rid-new"),))
    assert allowed.judge(wrong).blamed == {"BMU-IDEMPOTENT"}


@fires("BMU-DUPLICATE")
def test_batch_same_hour_other_quantity_is_a_duplicate(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(batch(rec(age=timedelta(minutes=55))))
    allowed, outcome = target.send(batch(rec(age=timedelta(minutes=5), quantity=2)))
    assert record_options(allowed) == {("BMU-DUPLICATE", "DuplicateRecord")}
    assert outcome.results[0].status == "DuplicateRecord"
    success = BatchMeterUsageResult((RecordResult(allowed.request.usage_records[0], "Success", "rid-x"),))
    assert allowed.judge(success).blamed == {"BMU-DUPLICATE"}


@fires("BMU-IN-BATCH-DUPLICATE")
def test_conflicting_records_in_one_batch(model, world):
    request = batch(rec(quantity=1), rec(quantity=2))
    allowed = model.allowed(model.initial(world), request, SELLER, NOW)
    assert record_options(allowed, 0) == {
        ("BMU-IN-BATCH-DUPLICATE", "Success"),
        ("BMU-IN-BATCH-DUPLICATE", "DuplicateRecord"),
    }
    r0, r1 = request.usage_records
    one = BatchMeterUsageResult((RecordResult(r0, "DuplicateRecord"), RecordResult(r1, "Success", "a")))
    both = BatchMeterUsageResult((RecordResult(r0, "Success", "a"), RecordResult(r1, "Success", "b")))
    assert allowed.judge(one).conforms
    assert allowed.judge(both).blamed == {"BMU-IN-BATCH-DUPLICATE"}


@fires("BMU-CUSTOMER-ISOLATION")
def test_other_customer_same_dimension_and_hour(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(batch(rec(quantity=1)))
    allowed, outcome = target.send(batch(rec(customer="cust-2", quantity=2)))
    assert record_options(allowed) == {("BMU-CUSTOMER-ISOLATION", "Success")}
    assert outcome.results[0].status == "Success"


@fires("BMU-PRODUCT-ISOLATION")
def test_same_customer_other_product(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(batch(rec(quantity=1)))
    allowed, _ = target.send(batch(rec(quantity=2), product="prod-b"))
    assert record_options(allowed) == {("BMU-PRODUCT-ISOLATION", "Success")}


DISABLED = ServiceError("DisabledApiException", 400, "The API is disabled in the Region.")


@fires("BMU-API-ENABLED")
@pytest.mark.parametrize(
    "request_",
    [batch(rec()), batch(), batch(rec(), product="no-such-product")],
    ids=["valid", "empty: any 4xx allowed", "unknown product"],
)
def test_disabled_api_breaks_api_enabled_alone_whatever_else_is_allowed(model, world, request_):
    allowed = model.allowed(model.initial(world), request_, SELLER, NOW)
    judgement = allowed.judge(DISABLED)
    assert not judgement.conforms and judgement.blamed == {"BMU-API-ENABLED"}
    (mismatch,) = judgement.mismatches
    assert (mismatch.rule, mismatch.received) == ("BMU-API-ENABLED", "DisabledApiException")
    assert "us-east-1" in (mismatch.detail or "")


@silent("BMU-API-ENABLED")
def test_any_other_answer_is_evidence_the_api_is_enabled(model, world):
    state = model.initial(world)
    allowed = model.allowed(state, batch(rec(), product="no-such-product"), SELLER, NOW)
    refused = allowed.judge(ServiceError("InvalidProductCodeException", 400))
    assert refused.conforms and "BMU-API-ENABLED" in refused.decided
    # MeterUsage, ResolveCustomer and RegisterUsage decide nothing of it
    assert "BMU-API-ENABLED" not in model.allowed(state, meter(), CALLER, NOW).decided


@fires("BMU-EMPTY")
def test_empty_batch_is_lenient(model, world):
    state = model.initial(world)
    allowed = model.allowed(state, batch(), SELLER, NOW)
    assert allowed.alternatives == (Reject("BMU-EMPTY"), ProcessBatch("BMU-EMPTY", ()))
    assert allowed.judge(BatchMeterUsageResult(())).conforms
    assert allowed.judge(ServiceError("ValidationException", 400)).conforms
    assert model.step(state, allowed, BatchMeterUsageResult(())) == state


@fires("BMU-ACCOUNT-ID")
def test_customer_named_by_account_id(model26, world):
    target = SelfTarget(model26, model26.initial(world))
    by_account = rec(customer=None, customer_aws_account_id="111122223333")
    allowed, outcome = target.send(batch(by_account))
    assert record_options(allowed) == {("BMU-ACCOUNT-ID", "Success")}
    assert outcome.results[0].status == "Success" and outcome.results[0].metering_record_id
    same_key = model26.allowed(target.state, batch(rec(quantity=2)), SELLER, NOW)
    assert record_options(same_key) == {("BMU-DUPLICATE", "DuplicateRecord")}
    both = rec(customer="cust-1", customer_aws_account_id="111122223333")
    assert model26.allowed(target.state, batch(both), SELLER, NOW).alternatives == (Reject("BMU-ACCOUNT-ID"),)


@fires("BMU-LICENSE")
def test_license_must_match_the_customer(model26, world):
    state = model26.initial(world)
    wrong = rec(license_arn="arn:aws:license-manager::111122223333:license:l-ffffffffffffffff")
    allowed = model26.allowed(state, batch(wrong), SELLER, NOW)
    assert allowed.alternatives == (Reject("BMU-LICENSE", frozenset({"InvalidLicenseException"})),)
    right = rec(license_arn=world.customers[("prod-a", "cust-1")].license_arn)
    assert "BMU-LICENSE" not in model26.allowed(state, batch(right), SELLER, NOW).decided


def test_2026_members_are_out_of_the_2025_profile(model, world):
    from conformance.models import OutOfProfile

    with pytest.raises(OutOfProfile, match="2026-11"):
        model.allowed(
            model.initial(world), batch(rec(customer=None, customer_aws_account_id="1")), SELLER, NOW
        )


# -- ResolveCustomer --------------------------------------------------------------------------------


@fires("RC-RESOLVE")
@silent("RC-REUSE", "RC-INVALID", "RC-EXPIRED")
def test_resolve_a_valid_token(model, model26, world):
    allowed = model.allowed(model.initial(world), ResolveCustomer("tok-1"), SELLER, NOW)
    assert allowed.alternatives == (Resolve("RC-RESOLVE", "cust-1", "111122223333", "prod-a"),)
    with_license = model26.allowed(model26.initial(world), ResolveCustomer("tok-1"), SELLER, NOW)
    assert with_license.alternatives[0].license_arn == world.customers[("prod-a", "cust-1")].license_arn


@fires("RC-INVALID")
@silent("RC-RESOLVE")
def test_resolve_an_unknown_token(model, world):
    allowed = model.allowed(model.initial(world), ResolveCustomer("garbled=="), SELLER, NOW)
    assert allowed.alternatives == (Reject("RC-INVALID", frozenset({"InvalidTokenException"})),)


@fires("RC-EXPIRED")
def test_resolve_an_expired_token(model, world):
    allowed = model.allowed(model.initial(world), ResolveCustomer("tok-old"), SELLER, NOW)
    assert allowed.alternatives == (Reject("RC-EXPIRED", frozenset({"ExpiredTokenException"})),)


@fires("RC-REUSE")
def test_resolve_a_token_twice(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(ResolveCustomer("tok-1"))
    allowed = model.allowed(target.state, ResolveCustomer("tok-1"), SELLER, NOW)
    assert {a.rule for a in allowed.alternatives} == {"RC-REUSE"}
    assert allowed.judge(ServiceError("ExpiredTokenException", 400)).conforms
    other = allowed.judge(ResolveCustomerResult_("cust-2"))
    assert other.blamed == {"RC-REUSE"}


def ResolveCustomerResult_(customer: str):
    from conformance.models import ResolveCustomerResult

    return ResolveCustomerResult(customer, "444455556666", "prod-a")


@fires("RC-METERABLE")
def test_resolved_identity_is_meterable(model, world):
    target = SelfTarget(model, model.initial(world))
    _, identity = target.send(ResolveCustomer("tok-1"))
    record = rec(customer=identity.customer_identifier)
    allowed, outcome = target.send(batch(record, product=identity.product_code))
    assert record_options(allowed) == {("RC-METERABLE", "Success")}
    assert outcome.results[0].status == "Success"


# -- RegisterUsage ----------------------------------------------------------------------------------


@fires("RU-SIGNATURE")
@silent(
    "RU-NONCE",
    "RU-FIRST-CALL-ONLY",
    "RU-ENTITLEMENT",
    "RU-PLATFORM",
    "RU-PRODUCT",
    "RU-KEY-VERSION",
    "RU-REGION",
)
def test_register_usage_signature_claims(model, world):
    allowed = model.allowed(model.initial(world), RegisterUsage("prod-a", 1), CALLER, NOW)
    assert allowed.decided == {"RU-SIGNATURE"}
    expected = allowed.alternatives[0]
    assert isinstance(expected, Register)
    assert allowed.judge(RegisterUsageResult(fake_sign(expected))).conforms
    wrong_product = fake_sign(replace(expected, product_code="prod-b"))
    assert allowed.judge(RegisterUsageResult(wrong_product)).blamed == {"RU-SIGNATURE"}
    stale = fake_sign(replace(expected, now=NOW - timedelta(hours=1)))
    assert allowed.judge(RegisterUsageResult(stale)).blamed == {"RU-SIGNATURE"}
    assert allowed.judge(RegisterUsageResult("not-a-jwt")).blamed == {"RU-SIGNATURE"}


@fires("RU-NONCE")
def test_register_usage_nonce_claim(model, world):
    allowed = model.allowed(model.initial(world), RegisterUsage("prod-a", 1, "n-42"), CALLER, NOW)
    expected = allowed.alternatives[0]
    assert "RU-NONCE" in allowed.decided
    assert allowed.judge(RegisterUsageResult(fake_sign(replace(expected, nonce="n-other")))).blamed == {
        "RU-NONCE"
    }


@fires("RU-PRODUCT")
@silent("RU-SIGNATURE")
def test_register_usage_unknown_product(model, world):
    allowed = model.allowed(model.initial(world), RegisterUsage("prod-zzz", 1), CALLER, NOW)
    assert allowed.alternatives == (Reject("RU-PRODUCT", frozenset({"InvalidProductCodeException"})),)
    assert "RU-SIGNATURE" not in allowed.decided


@fires("RU-KEY-VERSION")
def test_register_usage_unknown_key_version(model, world):
    allowed = model.allowed(model.initial(world), RegisterUsage("prod-a", 3), CALLER, NOW)
    assert allowed.alternatives == (
        Reject("RU-KEY-VERSION", frozenset({"InvalidPublicKeyVersionException"})),
    )


@fires("RU-ENTITLEMENT")
def test_register_usage_first_call_not_entitled(model, world):
    allowed = model.allowed(
        model.initial(world), RegisterUsage("prod-a", 1), CallContext("AKIANOTENTITLED00001"), NOW
    )
    assert allowed.alternatives == (Reject("RU-ENTITLEMENT", frozenset({"CustomerNotEntitledException"})),)


@fires("RU-PLATFORM")
def test_register_usage_unsupported_platform(model, world):
    allowed = model.allowed(
        model.initial(world), RegisterUsage("prod-a", 1), CallContext("AKIAUNSUPPORTED00001"), NOW
    )
    assert allowed.alternatives == (Reject("RU-PLATFORM", frozenset({"PlatformNotSupportedException"})),)


@fires("RU-FIRST-CALL-ONLY")
def test_registered_caller_keeps_succeeding(model, world):
    target = SelfTarget(model, model.initial(world))
    target.send(RegisterUsage("prod-a", 1), CALLER)
    revoked = Caller("AKIAENTITLED00000001", "prod-a", entitled=False, platform="ecs", region="us-east-1")
    target.state = target.state.with_fixtures(Fixtures(callers=(revoked,)))
    allowed, outcome = target.send(RegisterUsage("prod-a", 1), CALLER)
    assert [a.rule for a in allowed.alternatives] == ["RU-FIRST-CALL-ONLY"]
    assert isinstance(outcome, RegisterUsageResult)
    assert not allowed.judge(ServiceError("CustomerNotEntitledException", 400)).conforms


@fires("RU-REGION")
def test_register_usage_from_another_region(model, world):
    allowed = model.allowed(
        model.initial(world), RegisterUsage("prod-a", 1), CallContext("AKIAOTHERREGION00001"), NOW
    )
    assert allowed.alternatives == (Reject("RU-REGION", frozenset({"InvalidRegionException"})),)


# -- across operations ------------------------------------------------------------------------------


@fires("RETRY-CONVERGES")
def test_retry_after_an_indeterminate_outcome_converges(model, world):
    state = model.initial(world)
    request = batch(rec())
    first = model.allowed(state, request, SELLER, NOW)
    state = model.step(state, first, Indeterminate("connection reset"))
    retry = model.allowed(state, request, SELLER, NOW)
    assert {r for r, _ in record_options(retry)} == {"RETRY-CONVERGES"}
    ok = BatchMeterUsageResult((RecordResult(request.usage_records[0], "Success", "r-1"),))
    assert retry.judge(ok).conforms
    state = model.step(state, retry, ok)
    again = model.allowed(state, request, SELLER, NOW)
    second = BatchMeterUsageResult((RecordResult(request.usage_records[0], "Success", "r-2"),))
    assert again.judge(second).blamed == {"BMU-IDEMPOTENT"}


@fires("RETRY-CONVERGES")
def test_meter_usage_retry_after_throttling(model, world):
    state = model.initial(world)
    first = model.allowed(state, meter(), CALLER, NOW)
    assert first.judge(ServiceError("ThrottlingException", 400)).indeterminate
    state = model.step(state, first, ServiceError("ThrottlingException", 400))
    retry = model.allowed(state, meter(), CALLER, NOW)
    assert {a.rule for a in retry.alternatives} == {"RETRY-CONVERGES"}


@fires("RETRY-CONVERGES")
def test_a_retry_by_value_of_a_record_reported_unprocessed_may_keep_the_first_record(model, world):
    """The record was processed, the answer reported it unprocessed (its id unseen); the retry,
    the same value without the allocations, is answered with the first record's id: the record
    that stands may be the first one, allocations and all."""
    state = model.initial(world)
    first = rec(allocations=(Allocation(1, tags(("k", "a"))),))
    allowed = model.allowed(state, batch(first), SELLER, NOW)
    state = model.step(state, allowed, BatchMeterUsageResult((), (first,)))
    retry = batch(rec())
    allowed = model.allowed(state, retry, SELLER, NOW)
    ok = BatchMeterUsageResult((RecordResult(retry.usage_records[0], "Success", "r-1"),))
    assert allowed.judge(ok).conforms
    (key,) = model.step(state, allowed, ok).usage
    stands = model.step(state, allowed, ok).possible(key)
    assert {(bool(e.allocations), e.record_id) for e in stands if e} == {(True, "r-1"), (False, "r-1")}


def test_records_alike_but_for_the_quantity_spelling_each_find_their_echo(model, world):
    """An omitted quantity and "0.000000" have one value; the omitted one must not take the
    decimal one's echo (then the decimal record would have none), whichever comes first."""
    omitted, decimal = rec(quantity=None), rec(quantity=None, quantity_decimal="0.000000")
    for records in ((decimal, omitted), (omitted, decimal)):
        for unprocessed in records:
            processed = next(r for r in records if r is not unprocessed)
            outcome = BatchMeterUsageResult((RecordResult(processed, "Success", "r-1"),), (unprocessed,))
            paired, problems = match_records(records, outcome)
            assert problems == []
            echoes = [p.record if isinstance(p, RecordResult) else p for p in paired]
            assert [e.quantity_decimal for e in echoes] == [r.quantity_decimal for r in records]


@fires("CONC-LINEARIZABLE")
def test_concurrent_identical_records_with_two_ids_are_not_linearizable(model, world):
    request = batch(rec())
    a = BatchMeterUsageResult((RecordResult(request.usage_records[0], "Success", "r-a"),))
    b = BatchMeterUsageResult((RecordResult(request.usage_records[0], "Success", "r-b"),))
    history = [HistoryOp(request, SELLER, NOW, 0.0, 2.0, a), HistoryOp(request, SELLER, NOW, 1.0, 3.0, b)]
    assert linearize(model, model.initial(world), history) is None


@silent("CONC-LINEARIZABLE")
def test_concurrent_conflicting_records_linearize(model, world):
    one, two = batch(rec(quantity=1)), batch(rec(quantity=2))
    won = BatchMeterUsageResult((RecordResult(two.usage_records[0], "Success", "r-2"),))
    lost = BatchMeterUsageResult((RecordResult(one.usage_records[0], "DuplicateRecord"),))
    history = [HistoryOp(one, SELLER, NOW, 0.0, 3.0, lost), HistoryOp(two, SELLER, NOW, 1.0, 2.0, won)]
    assert linearize(model, model.initial(world), history) == (1, 0)


def test_world_fixture_replacement_revokes_a_subscription(model, world):
    state = model.initial(world)
    revoked = Customer("cust-1", "111122223333", "prod-a", subscribed=False)
    state = state.with_fixtures(Fixtures(customers=(revoked,)))
    allowed = model.allowed(state, batch(rec()), SELLER, NOW)
    assert record_options(allowed) == {("BMU-NOT-SUBSCRIBED", "CustomerNotSubscribed")}
    assert World.of(world.fixtures()) == world
