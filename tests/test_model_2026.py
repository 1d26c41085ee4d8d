"""Per-rule tests of the rules the API of November 2026 added: decimal quantities, allocations
in the quantity's form, AgentCore Runtime callers, concurrent agreements and agreement ids.

Registered with ``@fires`` / ``@silent`` like ``test_model_rules.py``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from conformance.models import (
    Accept,
    Allocation,
    BatchMeterUsageResult,
    CallContext,
    Fixtures,
    MeterUsageResult,
    ProcessBatch,
    RecordResult,
    Reject,
    Resolve,
    ResolveCustomer,
    ResolveCustomerResult,
    ServiceError,
    World,
)
from conformance.models.model import isolates
from tests.conftest import AGENTCORE_CALLER, NOW, WORLD_2026_JSON
from tests.helpers import CALLER, SELLER, SelfTarget, batch, meter, rec, tags
from tests.rulecases import fires, silent

AGENT = CallContext(AGENTCORE_CALLER)
INVALID_ALLOCATIONS = frozenset({"InvalidUsageAllocationsException", "ValidationException"})


def world_2026() -> World:
    return World.of(Fixtures.from_json(WORLD_2026_JSON))


@pytest.fixture
def target(model26):
    return SelfTarget(model26, model26.initial(world_2026()))


# -- QTY-DECIMAL -----------------------------------------------------------------------------------


@fires("QTY-DECIMAL")
def test_a_fresh_decimal_quantity_is_accepted_as_a_whole_number_would_be(model26, target):
    allowed, outcome = target.send(meter(quantity=None, usage_quantity_decimal="17.42"), CALLER)
    assert [a.rule for a in allowed.alternatives] == ["QTY-DECIMAL"]
    assert isinstance(outcome, MeterUsageResult) and outcome.metering_record_id
    allowed, _ = target.send(batch(rec(quantity=None, quantity_decimal="9999999999.999999")))
    options = {(o.rule, o.status) for o in allowed.alternatives[-1].records[0].options}  # type: ignore[union-attr]
    assert options == {("QTY-DECIMAL", "Success")}


@fires("QTY-DECIMAL")
def test_a_decimal_quantity_must_be_echoed_as_sent(target):
    record = rec(quantity=None, quantity_decimal="17.50")
    allowed = target.model.allowed(target.state, batch(record), SELLER, NOW)
    changed = BatchMeterUsageResult(
        (RecordResult(rec(quantity=None, quantity_decimal="17.5"), "Success", "r-1"),)
    )
    judgement = allowed.judge(changed)
    assert not judgement.conforms and "QTY-DECIMAL" in judgement.blamed
    kept = BatchMeterUsageResult((RecordResult(record, "Success", "r-1"),))
    assert allowed.judge(kept).conforms


@fires("WIRE-VALIDATION")
def test_decimal_strings_outside_the_pattern_are_shape_violations(target):
    for text in ("017", "1e3", "0.1234567", "12345678901", "-1", "1."):
        allowed = target.model.allowed(
            target.state, batch(rec(quantity=None, quantity_decimal=text)), SELLER, NOW
        )
        assert allowed.alternatives[0] == Reject("WIRE-VALIDATION"), text
        assert not allowed.judge(BatchMeterUsageResult(())).conforms


@silent("QTY-DECIMAL")
def test_a_whole_number_quantity_is_not_a_decimal_one(target):
    allowed, _ = target.send(meter(quantity=17), CALLER)
    assert "QTY-DECIMAL" not in allowed.decided and [a.rule for a in allowed.alternatives] == ["MU-ACCEPT"]


# -- QTY-ONE-FORM ----------------------------------------------------------------------------------


@fires("QTY-ONE-FORM")
def test_both_quantity_members_refuse_the_request_or_the_whole_batch(target):
    allowed = target.model.allowed(target.state, meter(quantity=17, usage_quantity_decimal="17"), CALLER, NOW)
    assert allowed.alternatives == (Reject("QTY-ONE-FORM"),)
    both = rec(quantity=2, quantity_decimal="2", dimension="gb")
    allowed = target.model.allowed(target.state, batch(rec(), both), SELLER, NOW)
    assert allowed.alternatives == (Reject("QTY-ONE-FORM"),)
    assert not allowed.plan.recordable


@silent("QTY-ONE-FORM")
def test_one_quantity_member_is_enough(target):
    for request in (meter(quantity=2), meter(quantity=None, usage_quantity_decimal="2")):
        assert "QTY-ONE-FORM" not in target.model.allowed(target.state, request, CALLER, NOW).decided


# -- QTY-BY-VALUE ----------------------------------------------------------------------------------


@fires("QTY-BY-VALUE")
def test_one_value_in_two_spellings_is_an_identical_request(target):
    _, first = target.send(meter(quantity=17), CALLER)
    allowed, again = target.send(meter(quantity=None, usage_quantity_decimal="17.00"), CALLER)
    assert allowed.alternatives == (Accept("QTY-BY-VALUE", allowed.alternatives[0].record_id),)  # type: ignore[union-attr]
    assert again == first
    target.send(batch(rec(quantity=None, quantity_decimal="3.0")))
    allowed, outcome = target.send(batch(rec(quantity=3)))
    assert {(o.rule, o.status) for o in allowed.alternatives[-1].records[0].options} == {  # type: ignore[union-attr]
        ("QTY-BY-VALUE", "Success")
    }
    assert isinstance(outcome, BatchMeterUsageResult) and outcome.results[0].status == "Success"


@silent("QTY-BY-VALUE")
def test_another_value_is_a_duplicate_and_the_same_spelling_is_plain_idempotency(target):
    target.send(meter(quantity=None, usage_quantity_decimal="17.5"), CALLER)
    same = target.model.allowed(
        target.state, meter(quantity=None, usage_quantity_decimal="17.5"), CALLER, NOW
    )
    assert [a.rule for a in same.alternatives] == ["MU-IDEMPOTENT"]
    other = target.model.allowed(target.state, meter(quantity=17), CALLER, NOW)
    assert other.alternatives == (Reject("MU-HOUR-DUPLICATE", frozenset({"DuplicateRequestException"})),)


# -- ALLOC-QUANTITY-FORM and ALLOC-SUM in decimals ------------------------------------------------


@fires("ALLOC-QUANTITY-FORM")
def test_allocations_use_exactly_one_member_in_the_quantity_s_form(target):
    cases = [
        meter(quantity=None, usage_quantity_decimal="2", allocations=(Allocation(2, tags(("k", "v"))),)),
        meter(quantity=2, allocations=(Allocation(None, tags(("k", "v")), "2"),)),
        meter(quantity=2, allocations=(Allocation(2, tags(("k", "v")), "2"),)),
        meter(quantity=2, allocations=(Allocation(None),)),  # "UsageAllocations": [{}]
    ]
    for request in cases:
        allowed = target.model.allowed(target.state, request, CALLER, NOW)
        assert Reject("ALLOC-QUANTITY-FORM", INVALID_ALLOCATIONS) in allowed.alternatives, request
        assert all(isinstance(a, Reject) for a in allowed.alternatives)
        assert allowed.judge(ServiceError("ValidationException", 400)).conforms
        assert not allowed.judge(MeterUsageResult("r-1")).conforms


@silent("ALLOC-QUANTITY-FORM")
def test_decimal_allocations_of_a_decimal_quantity_sum_exactly(target):
    halves = (Allocation(None, tags(("k", "a")), "0.75"), Allocation(None, tags(("k", "b")), "0.75"))
    allowed = target.model.allowed(
        target.state, meter(quantity=None, usage_quantity_decimal="1.5", allocations=halves), CALLER, NOW
    )
    assert [a.rule for a in allowed.alternatives] == ["QTY-DECIMAL"]
    # an allocation given only as AllocatedUsageQuantityAsDecimal is accepted
    only = (Allocation(None, None, "0.000001"),)
    allowed = target.model.allowed(
        target.state, batch(rec(quantity=None, quantity_decimal="0.000001", allocations=only)), SELLER, NOW
    )
    assert isinstance(allowed.alternatives[-1], ProcessBatch) and "ALLOC-QUANTITY-FORM" not in allowed.decided


@fires("ALLOC-SUM")
def test_decimal_allocation_sums_are_exact(target):
    off = (Allocation(None, tags(("k", "a")), "0.75"), Allocation(None, tags(("k", "b")), "0.749999"))
    allowed = target.model.allowed(
        target.state, meter(quantity=None, usage_quantity_decimal="1.5", allocations=off), CALLER, NOW
    )
    assert allowed.alternatives == (Reject("ALLOC-SUM", frozenset({"InvalidUsageAllocationsException"})),)


@fires("WIRE-VALIDATION")
def test_an_allocation_without_its_quantity_breaks_the_2025_01_shape(model, world):
    allowed = model.allowed(
        model.initial(world), meter(quantity=2, allocations=(Allocation(None),)), CALLER, NOW
    )
    assert allowed.alternatives[0] == Reject("WIRE-VALIDATION")
    assert "ALLOC-QUANTITY-FORM" not in allowed.decided


# -- MU-AGENTCORE ----------------------------------------------------------------------------------


@fires("MU-AGENTCORE")
def test_an_agentcore_caller_needs_a_client_token(target):
    allowed = target.model.allowed(target.state, meter(), AGENT, NOW)
    assert allowed.alternatives == (Reject("MU-AGENTCORE"),)


@fires("MU-AGENTCORE")
def test_an_agentcore_caller_meters_many_times_an_hour_keyed_by_client_token(target):
    stamp = timedelta(minutes=30)
    _, first = target.send(meter(age=stamp, quantity=3, client_token="t-1"), AGENT)
    allowed, second = target.send(meter(age=stamp, quantity=5, client_token="t-2"), AGENT)
    assert allowed.alternatives == (Accept("MU-AGENTCORE", allowed.alternatives[0].record_id),)  # type: ignore[union-attr]
    assert isinstance(first, MeterUsageResult) and isinstance(second, MeterUsageResult)
    assert first.metering_record_id != second.metering_record_id
    allowed, again = target.send(meter(age=stamp, quantity=3, client_token="t-1"), AGENT)
    assert again == first and [a.rule for a in allowed.alternatives] == ["MU-AGENTCORE"]
    conflict = target.model.allowed(
        target.state, meter(age=stamp, quantity=4, client_token="t-1"), AGENT, NOW
    )
    assert conflict.alternatives == (Reject("MU-CLIENT-TOKEN", frozenset({"IdempotencyConflictException"})),)


@silent("MU-AGENTCORE")
def test_other_callers_and_the_2025_01_profile_keep_the_hourly_rule(target, model):
    target.send(meter(quantity=3, client_token="t-1"), CALLER)
    allowed = target.model.allowed(target.state, meter(quantity=5, client_token="t-2"), CALLER, NOW)
    assert "MU-AGENTCORE" not in allowed.decided
    assert allowed.alternatives == (Reject("MU-HOUR-DUPLICATE", frozenset({"DuplicateRequestException"})),)
    old = SelfTarget(model, model.initial(world_2026()))
    old.send(meter(quantity=3), AGENT)
    allowed = model.allowed(old.state, meter(quantity=5), AGENT, NOW)
    assert "MU-AGENTCORE" not in allowed.decided and allowed.alternatives[0].rule == "MU-HOUR-DUPLICATE"


# -- BMU-CONCURRENT-AGREEMENTS ---------------------------------------------------------------------


@fires("BMU-CONCURRENT-AGREEMENTS")
def test_a_concurrent_agreement_record_named_by_identifier_is_never_recorded(target):
    allowed, outcome = target.send(batch(rec(customer="cust-ca"), product="prod-ca"))
    assert Reject("BMU-CONCURRENT-AGREEMENTS") in allowed.alternatives
    options = {(o.rule, o.status) for o in allowed.alternatives[-1].records[0].options}  # type: ignore[union-attr]
    assert options == {
        ("BMU-CONCURRENT-AGREEMENTS", "CustomerNotSubscribed"),
        ("BMU-CONCURRENT-AGREEMENTS", "DuplicateRecord"),
    }
    record = allowed.request.usage_records[0]  # type: ignore[union-attr]
    success = BatchMeterUsageResult((RecordResult(record, "Success", "r-9"),))
    assert not allowed.judge(success).conforms
    assert allowed.judge(ServiceError("InvalidCustomerIdentifierException", 400)).conforms
    assert isinstance(outcome, ServiceError) and outcome.status == 400  # the reference refuses the batch
    assert not any(target.state.recorded(k) for k in target.state.usage)


@fires("BMU-UNKNOWN-CUSTOMER")
@fires("BMU-CONCURRENT-AGREEMENTS")
def test_an_unknown_identifier_on_a_concurrent_agreement_product_may_be_refused_for_either(target):
    """The request an independent emulator was falsely failed on: a record naming an unknown
    customer by CustomerIdentifier, for a product on concurrent agreements. botocore 1.44.8's
    BatchMeterUsage documentation says CustomerIdentifier is not supported for such products,
    so a service may refuse it for that before it looks the customer up."""
    record = rec(customer="cust-nobody")
    allowed = target.model.allowed(target.state, batch(record, product="prod-ca"), SELLER, NOW)
    assert {a.rule for a in allowed.alternatives if isinstance(a, Reject)} == {
        "BMU-UNKNOWN-CUSTOMER",
        "BMU-CONCURRENT-AGREEMENTS",
    }
    assert not isolates("BMU-UNKNOWN-CUSTOMER", allowed)  # two faults: nobody's counterexample
    for answer in (
        ServiceError("InvalidCustomerIdentifierException", 400),
        ServiceError("ValidationException", 400),  # CustomerIdentifier refused, customer unread
        BatchMeterUsageResult((RecordResult(record, "CustomerNotSubscribed"),)),
        BatchMeterUsageResult((RecordResult(record, "DuplicateRecord"),)),
    ):
        assert allowed.judge(answer).conforms, answer
    success = allowed.judge(BatchMeterUsageResult((RecordResult(record, "Success", "r-1"),)))
    assert not success.conforms
    assert not allowed.judge(BatchMeterUsageResult(())).conforms  # a result per record, or a 4xx


@fires("BMU-LICENSE")
def test_a_licence_for_an_unknown_customer_may_be_refused_as_a_licence(target):
    """InvalidLicenseException's documentation: the LicenseArn must match the customer; one
    that does not exist matches none."""
    record = rec(
        customer=None,
        customer_aws_account_id="999999999999",
        license_arn="arn:aws:license-manager::999999999999:license:l-x",
    )
    allowed = target.model.allowed(target.state, batch(record), SELLER, NOW)
    assert allowed.judge(ServiceError("InvalidLicenseException", 400)).conforms
    assert allowed.judge(ServiceError("InvalidCustomerIdentifierException", 400)).conforms
    assert not allowed.judge(ServiceError("InvalidTokenException", 400)).conforms


@silent("BMU-CONCURRENT-AGREEMENTS")
def test_a_concurrent_agreement_record_named_by_account_is_accepted(target):
    record = rec(customer=None, customer_aws_account_id="222233334444")
    allowed, outcome = target.send(batch(record, product="prod-ca"))
    assert "BMU-CONCURRENT-AGREEMENTS" not in allowed.decided
    assert isinstance(outcome, BatchMeterUsageResult) and outcome.results[0].status == "Success"
    plain = target.model.allowed(target.state, batch(rec(customer="cust-2")), SELLER, NOW)
    assert "BMU-CONCURRENT-AGREEMENTS" not in plain.decided


# -- RC-AGREEMENT ----------------------------------------------------------------------------------


@fires("RC-AGREEMENT")
def test_the_agreement_id_is_the_customer_s_and_absent_without_one(target):
    allowed = target.model.allowed(target.state, ResolveCustomer("tok-1"), SELLER, NOW)
    resolve = allowed.alternatives[0]
    assert isinstance(resolve, Resolve) and resolve.agreement_id == "agmt-1"
    right = ResolveCustomerResult("cust-1", "111122223333", "prod-a", resolve.license_arn, "agmt-1")
    assert allowed.judge(right).conforms
    assert allowed.judge(
        ResolveCustomerResult("cust-1", "111122223333", "prod-a", resolve.license_arn)
    ).conforms
    wrong = allowed.judge(ResolveCustomerResult("cust-1", "111122223333", "prod-a", resolve.license_arn, "x"))
    assert not wrong.conforms and wrong.blamed == {"RC-AGREEMENT"}
    none = target.model.allowed(target.state, ResolveCustomer("tok-2"), SELLER, NOW)
    invented = none.judge(ResolveCustomerResult("cust-2", "444455556666", "prod-a", None, "agmt-1"))
    assert invented.blamed == {"RC-AGREEMENT"}


@fires("RC-AGREEMENT")
def test_a_concurrent_agreement_customer_is_named_by_account_and_licence(target):
    allowed, outcome = target.send(ResolveCustomer("tok-ca"))
    assert isinstance(outcome, ResolveCustomerResult) and outcome.customer_identifier is None
    assert outcome.customer_aws_account_id == "222233334444" and outcome.agreement_id == "agmt-ca"
    populated = allowed.judge(
        ResolveCustomerResult("cust-ca", "222233334444", "prod-ca", outcome.license_arn, "agmt-ca")
    )
    assert populated.blamed == {"RC-AGREEMENT"}


@silent("RC-AGREEMENT")
def test_2025_01_resolves_without_agreements(model, world):
    allowed = model.allowed(model.initial(world), ResolveCustomer("tok-1"), SELLER, NOW)
    assert "RC-AGREEMENT" not in allowed.decided
    resolve = allowed.alternatives[0]
    assert isinstance(resolve, Resolve) and not resolve.agreements and resolve.agreement_id is None
