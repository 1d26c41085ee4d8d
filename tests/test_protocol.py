"""Decoding what a client sends: any JSON body, of any shape, gets a 4xx or an answer, never a
crash of the reference service, and a refused body changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.emulator.service import ReferenceService
from conformance.models.requests import OPERATION_NAMES, BatchMeterUsage, CallContext, RawRequest
from conformance.models.world import Fixtures
from conformance.wire.protocol import TARGET_PREFIX, decode_request
from conformance.wire.service_model import load_shapes, model_for
from tests.conftest import WORLD_JSON

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
PROFILES = ("2025-01", "2026-11")
MEMBER_NAMES = sorted(
    {
        name
        for profile in PROFILES
        for shape in load_shapes(profile).shapes.values()
        for name in shape.get("members", {})
    }
    | {"Extra"}
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(MEMBER_NAMES), inner, max_size=4)
    ),
    max_leaves=10,
)


@pytest.mark.parametrize("profile", PROFILES)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    operation=st.sampled_from(OPERATION_NAMES),
    params=st.dictionaries(st.sampled_from(MEMBER_NAMES), json_values, max_size=5),
)
def test_any_json_object_gets_an_answer_and_a_refusal_changes_nothing(profile, operation, params):
    service = ReferenceService(model_for(profile), Fixtures.from_json(WORLD_JSON))
    before = service.state
    raw = service.handle(
        f"{TARGET_PREFIX}.{operation}", json.dumps(params).encode(), CallContext("AKIAENTITLED00000001"), NOW
    )
    assert raw.status in (200, 400), raw
    if raw.status == 400:
        assert service.state.usage == before.usage and service.records == []


def test_unknown_members_and_the_body_size_reach_the_model(model):
    body = json.dumps(
        {"ProductCode": "p", "UsageRecords": [{"Dimension": "d", "Bogus": 1}], "Extra": True}
    ).encode()
    request = decode_request(f"{TARGET_PREFIX}.BatchMeterUsage", body + b"   ", model)
    assert isinstance(request, BatchMeterUsage) and request.wire is not None
    assert request.wire.size == len(body) + 3
    assert sorted(request.wire.unknown_members) == ["Extra", "UsageRecords[0].Bogus"]


def test_members_of_a_later_api_are_unknown_to_2025_01_and_left_out(model, model26):
    record = {"Dimension": "d", "CustomerAWSAccountId": "111122223333", "QuantityAsDecimal": "1.5"}
    body = json.dumps({"ProductCode": "p", "UsageRecords": [record]}).encode()
    old = decode_request(f"{TARGET_PREFIX}.BatchMeterUsage", body, model)
    assert isinstance(old, BatchMeterUsage) and old.wire is not None
    assert sorted(old.wire.unknown_members) == [
        "UsageRecords[0].CustomerAWSAccountId",
        "UsageRecords[0].QuantityAsDecimal",
    ]
    assert old.usage_records[0].customer_aws_account_id is None
    assert old.usage_records[0].quantity_decimal is None
    new = decode_request(f"{TARGET_PREFIX}.BatchMeterUsage", body, model26)
    assert isinstance(new, BatchMeterUsage) and new.wire is not None and new.wire.unknown_members == ()
    assert new.usage_records[0].quantity_decimal == "1.5"


def test_the_sdk_idempotency_token_is_ignored_where_the_profile_has_none(model):
    body = json.dumps({"ProductCode": "p", "Timestamp": 1, "UsageDimension": "d", "ClientToken": "t"})
    request = decode_request(f"{TARGET_PREFIX}.MeterUsage", body.encode(), model)
    assert request.wire is not None and request.wire.unknown_members == ()  # type: ignore[union-attr]
    assert request.client_token is None  # type: ignore[union-attr]


def test_every_snapshot_names_the_target_prefix_the_codec_uses():
    assert {load_shapes(p).target_prefix() for p in PROFILES} == {TARGET_PREFIX}


def test_a_member_of_the_wrong_type_is_left_to_the_model_as_raw(model):
    body = json.dumps({"ProductCode": "p", "UsageRecords": [{"Quantity": "3"}]}).encode()
    assert decode_request(f"{TARGET_PREFIX}.BatchMeterUsage", body, model) == RawRequest(
        f"{TARGET_PREFIX}.BatchMeterUsage", body
    )
