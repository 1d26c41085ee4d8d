"""Decoding what a client sends: any JSON body, of any shape, gets a 4xx or an answer, never a
crash of the reference service, and a refused body changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.protocol import TARGET_PREFIX, decode_request
from conformance.service import ReferenceService
from conformance.service_model import load_shapes
from models.requests import BatchMeterUsage, CallContext, RawRequest
from models.shapes import OPERATIONS
from models.world import Fixtures
from tests.conftest import WORLD_JSON

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
MEMBER_NAMES = sorted(
    {name for shape in load_shapes().shapes.values() for name in shape.get("members", {})} | {"Extra"}
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(MEMBER_NAMES), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    operation=st.sampled_from(OPERATIONS),
    params=st.dictionaries(st.sampled_from(MEMBER_NAMES), json_values, max_size=5),
)
def test_any_json_object_gets_an_answer_and_a_refusal_changes_nothing(model, operation, params):
    service = ReferenceService(model, Fixtures.from_json(WORLD_JSON))
    before = service.state
    raw = service.handle(
        f"{TARGET_PREFIX}.{operation}", json.dumps(params).encode(), CallContext("AKIAENTITLED00000001"), NOW
    )
    assert raw.status in (200, 400), raw
    if raw.status == 400:
        assert service.state.usage == before.usage and service.records == []


def test_unknown_members_and_the_body_size_reach_the_model():
    body = json.dumps(
        {"ProductCode": "p", "UsageRecords": [{"Dimension": "d", "Bogus": 1}], "Extra": True}
    ).encode()
    request = decode_request(f"{TARGET_PREFIX}.BatchMeterUsage", body + b"   ")
    assert isinstance(request, BatchMeterUsage) and request.wire is not None
    assert request.wire.size == len(body) + 3
    assert sorted(request.wire.unknown_members) == ["Extra", "UsageRecords[0].Bogus"]


def test_a_member_of_the_wrong_type_is_left_to_the_model_as_raw():
    body = json.dumps({"ProductCode": "p", "UsageRecords": [{"Quantity": "3"}]}).encode()
    assert decode_request(f"{TARGET_PREFIX}.BatchMeterUsage", body) == RawRequest(
        f"{TARGET_PREFIX}.BatchMeterUsage", body
    )
