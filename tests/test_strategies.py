"""Model-aware strategies: namespaces never collide, and counterexamples shrink to the simple."""

from __future__ import annotations

import re
import string
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from conformance.models import (
    BatchMeterUsage,
    CallContext,
    ProcessBatch,
    Reject,
    UsageRecord,
    World,
    get_profile,
    window_position,
    wire_size,
)
from conformance.strategies import (
    Names,
    Scene,
    batch_requests,
    check_namespace,
    fixture_worlds,
    meter_requests,
    minimal_world,
    requests,
    sized_batch,
)
from conformance.strategies.allocations import (
    DECIMAL_EDGES,
    invalid_quantities,
    quantity_members,
    valid_allocations,
)
from conformance.wire.service_model import model_for
from tests.conftest import NOW

QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

EVERY_BATCH = {"BMU-API-ENABLED"}  # decided by any answer to any batch: never refuses one


def scene(profile: str, namespace: str = "shrink") -> Scene:
    model = model_for(profile)
    return Scene(model, model.initial(World.of(minimal_world(namespace, profile))), NOW, Names(namespace))


def out_of_window(profile: str, request: BatchMeterUsage) -> bool:
    p = get_profile(profile)
    return any(
        r.timestamp is not None and window_position(p, "BatchMeterUsage", r.timestamp, NOW) == "outside"
        for r in request.usage_records
    )


@pytest.mark.parametrize("profile", ["2025-01", "2026-11"])
def test_out_of_window_batches_shrink_to_one_record_one_second_past_the_edge(profile):
    s = scene(profile)
    found = find(
        batch_requests(s).map(lambda sent: sent[0]),
        lambda request: out_of_window(profile, request),
        settings=settings(max_examples=2000, database=None, suppress_health_check=QUIET),
    )
    window = get_profile(profile).batch_window
    assert len(found.usage_records) == 1
    (record,) = found.usage_records
    if get_profile(profile).edge_accepted:
        assert record.timestamp == NOW - window - timedelta(seconds=1)
    else:  # 2026-11 refuses the edge itself: the simplest refused timestamp is the edge
        assert record.timestamp == NOW - window
    # and nothing else is wrong with it: the window is the only rule that decides it
    allowed = s.model.allowed(s.state, found, CallContext(), NOW)
    assert allowed.decided == {"BMU-WINDOW", *EVERY_BATCH}


def test_any_request_shrinks_to_a_valid_request(shapes):
    s = scene("2025-01")
    request, context = find(
        requests(s), lambda sent: True, settings=settings(database=None, suppress_health_check=QUIET)
    )
    allowed = s.model.allowed(s.state, request, context, NOW)
    assert allowed.decided in ({"RC-RESOLVE"}, {"BMU-ACCEPT", "BMU-PARTITION"}, {"MU-ACCEPT"})


def test_batches_that_record_shrink_to_one_plain_record(shapes):
    """A property broken by any batch that records something shrinks to one valid record,
    decided by BMU-ACCEPT alone (how far its quantity shrinks is the shrinker's business)."""
    s = scene("2025-01")

    def records_something(sent) -> bool:
        allowed = s.model.allowed(s.state, sent[0], sent[1], NOW)
        return any(
            o.status == "Success"
            for alt in allowed.alternatives
            if isinstance(alt, ProcessBatch)
            for r in alt.records
            for o in r.options
        )

    request, context = find(
        batch_requests(s), records_something, settings=settings(database=None, suppress_health_check=QUIET)
    )
    assert len(request.usage_records) == 1
    assert s.model.allowed(s.state, request, context, NOW).decided == {
        "BMU-ACCEPT",
        "BMU-PARTITION",
        *EVERY_BATCH,
    }


def test_meter_usage_failures_shrink_to_a_single_fault(shapes):
    """A property broken by any refused MeterUsage shrinks to a request with one fault only."""
    s = scene("2025-01")

    def refused(sent) -> bool:
        allowed = s.model.allowed(s.state, sent[0], sent[1], NOW)
        return all(a.__class__.__name__ == "Reject" for a in allowed.alternatives)

    request, context = find(
        meter_requests(s), refused, settings=settings(database=None, suppress_health_check=QUIET)
    )
    allowed = s.model.allowed(s.state, request, context, NOW)
    assert len(allowed.decided) == 1, allowed.decided


@settings(max_examples=30, deadline=None, suppress_health_check=QUIET)
@given(st.data())
def test_namespaces_never_share_a_name(data):
    a, b = data.draw(
        st.lists(
            st.from_regex(
                r"[a-z0-9][a-z0-9-]{0,12}",
                fullmatch=True,
                alphabet=string.ascii_lowercase + string.digits + "-",
            ),
            min_size=2,
            max_size=2,
            unique=True,
        )
    )
    world_a, world_b = data.draw(fixture_worlds(a, "2025-01")), data.draw(fixture_worlds(b, "2025-01"))

    def names(fixtures) -> set[str]:
        return (
            {p.code for p in fixtures.products}
            | {c.identifier for c in fixtures.customers}
            | {c.aws_account_id for c in fixtures.customers}
            | {t.token for t in fixtures.tokens}
            | {k.access_key_id for k in fixtures.callers}
        )

    assert not names(world_a) & names(world_b)


def test_bad_namespace_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="namespace 'Bad Name!'"):
        check_namespace("Bad Name!")


@pytest.mark.parametrize("profile", ["2025-01", "2026-11"])
def test_sized_batches_are_exact_and_valid(profile):
    s = scene(profile)
    p = get_profile(profile)
    for size in (p.payload_lenient_from - 1, p.payload_limit):
        request = sized_batch(
            s.model.shapes,
            p,
            s.products[0].code,
            s.customers(s.products[0].code)[0].identifier,
            "users",
            NOW - timedelta(minutes=1),
            size,
        )
        allowed = s.model.allowed(s.state, request, CallContext(), NOW)
        assert wire_size(request) == size
        rules = allowed.decided - {
            "BMU-ACCEPT",
            "BMU-PARTITION",
            "BMU-IDEMPOTENT",
            "BMU-PAYLOAD-LIMIT",
            *EVERY_BATCH,
        }
        assert not rules, rules  # nothing but the payload rule may object


DECIMAL = re.compile(model_for("2026-11").shapes.limit("UsageQuantityAsDecimalString", "pattern"))


@settings(max_examples=300, database=None, suppress_health_check=QUIET)
@given(pair=valid_allocations(decimals=True))
def test_valid_decimal_quantities_follow_the_pattern_and_split_exactly(pair):
    quantity, allocations = pair
    integer, decimal = quantity_members(quantity)
    assert integer is None or decimal is None  # one form
    if decimal is not None:
        assert DECIMAL.match(decimal), decimal
        for allocation in allocations or ():
            assert allocation.quantity is None and DECIMAL.match(allocation.quantity_decimal or "")
        if allocations:
            assert sum(Decimal(a.quantity_decimal or "") for a in allocations) == Decimal(decimal)


def test_decimal_edges_are_drawn_and_refused_quantities_are_refused():
    assert {"0", "0.000000", "17", "17.00", "9999999999.999999"} <= set(DECIMAL_EDGES)
    assert all(DECIMAL.match(text) for text in DECIMAL_EDGES)
    s = scene("2026-11")
    seen = set()

    @settings(max_examples=200, database=None, suppress_health_check=QUIET)
    @given(pair=invalid_quantities())
    def refused(pair):
        quantity, allocations = pair
        integer, decimal = quantity_members(quantity)
        customer = s.customers(s.products[0].code)[0].identifier
        stamp = NOW - timedelta(minutes=5)
        record = UsageRecord(stamp, "users", customer, integer, allocations, quantity_decimal=decimal)
        allowed = s.model.allowed(s.state, BatchMeterUsage(s.products[0].code, (record,)), CallContext(), NOW)
        assert all(isinstance(a, Reject) for a in allowed.alternatives), pair
        seen.update(a.rule for a in allowed.alternatives)

    refused()
    assert {"WIRE-VALIDATION", "QTY-ONE-FORM", "ALLOC-QUANTITY-FORM"} <= seen


def test_2026_11_worlds_hold_an_agentcore_caller_and_a_concurrent_agreement_product():
    world = World.of(minimal_world("w", "2026-11"))
    assert any(c.platform == "agentcore" for c in world.callers.values())
    assert any(p.concurrent_agreements for p in world.products.values())
    assert any(c.agreement_id for c in world.customers.values())
    old = World.of(minimal_world("w", "2025-01"))
    assert not any(p.concurrent_agreements for p in old.products.values())
