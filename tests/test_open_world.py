"""A target that is not reset: what earlier examples or runs may have left is allowed, and an
answer only such a record explains decides nothing (no rule is passed on it)."""

from __future__ import annotations

from conformance.models import Fixtures, MeterUsageResult, ServiceError, World
from conformance.models.model import isolates, refusing_rules
from tests.conftest import NOW, WORLD_2026_JSON, WORLD_JSON
from tests.helpers import CALLER, SELLER, batch, meter, rec

CONFLICT = ServiceError("IdempotencyConflictException", 400, "token reused")
DUPLICATE = ServiceError("DuplicateRequestException", 400, "duplicate")


def _world() -> World:
    return World.of(Fixtures.from_json(WORLD_2026_JSON))


def test_an_unseen_client_token_may_conflict_only_where_nothing_is_reset(model26):
    request = meter(client_token="ct-reused")
    closed = model26.allowed(model26.initial(_world()), request, CALLER, NOW)
    assert not closed.judge(CONFLICT).conforms
    opened = model26.allowed(model26.initial(_world(), open_world=True), request, CALLER, NOW)
    judged = opened.judge(CONFLICT)
    assert judged.conforms and judged.decided == frozenset()
    # the possible conflict is not a fault of the request: it still shows MU-ACCEPT alone
    assert "MU-CLIENT-TOKEN" not in refusing_rules(opened) and isolates("MU-ACCEPT", opened)


def test_a_duplicate_of_a_key_nobody_here_recorded_decides_nothing(model):
    opened = model.allowed(model.initial(World.of(_fixtures_2025()), open_world=True), meter(), CALLER, NOW)
    assert opened.judge(DUPLICATE).conforms and opened.judge(DUPLICATE).decided == frozenset()
    assert {"MU-HOUR-DUPLICATE", "MU-IDEMPOTENT"}.isdisjoint(opened.decided)
    assert isolates("MU-ACCEPT", opened)
    success = opened.judge(MeterUsageResult("id-1"))
    assert success.conforms and "MU-ACCEPT" in success.decided
    # once this example recorded the key, a conflicting repeat is a duplicate for sure
    state = model.step(
        model.initial(World.of(_fixtures_2025()), open_world=True), opened, MeterUsageResult("id-1")
    )
    again = model.allowed(state, meter(quantity=2), CALLER, NOW)
    assert "MU-HOUR-DUPLICATE" in again.decided and again.judge(DUPLICATE).conforms


def test_a_batch_record_of_a_key_nobody_here_recorded_decides_neither_duplicate_rule(model):
    opened = model.allowed(
        model.initial(World.of(_fixtures_2025()), open_world=True), batch(rec()), SELLER, NOW
    )
    assert {"BMU-DUPLICATE", "BMU-IDEMPOTENT"}.isdisjoint(opened.decided)
    closed = model.allowed(model.initial(World.of(_fixtures_2025())), batch(rec()), SELLER, NOW)
    assert "BMU-ACCEPT" in closed.decided and "BMU-ACCEPT" in opened.decided


def _fixtures_2025() -> Fixtures:
    return Fixtures.from_json(WORLD_JSON)
