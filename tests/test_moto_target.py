"""moto as it ships, judged by the model: the divergences the engine will report."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest

from conformance.models import BatchMeterUsageResult, Fixtures, ServiceError
from conformance.models.profiles import get_profile
from conformance.targets.moto import MotoTarget
from tests.conftest import NOW, WORLD_JSON
from tests.helpers import CALLER, SELLER, batch, meter, rec


@pytest.fixture
def moto_target():
    target = MotoTarget(get_profile("2025-01"))
    target.open(Fixtures.from_json(WORLD_JSON), NOW)
    yield target
    target.close()


def judged(model, state, target, request, context):
    allowed = model.allowed(state, request, context, NOW)
    exchange = target.invoke(request, context)
    return allowed.judge(exchange.outcome), model.step(state, allowed, exchange.outcome), exchange


def test_moto_accepts_a_record_outside_the_window(model, world, moto_target):
    verdict, _, exchange = judged(
        model, model.initial(world), moto_target, batch(rec(age=timedelta(hours=6, seconds=1))), SELLER
    )
    assert isinstance(exchange.outcome, BatchMeterUsageResult)
    assert not verdict.conforms and verdict.blamed == {"BMU-WINDOW"}


def test_moto_gives_an_identical_retry_a_new_id(model, world, moto_target):
    state = model.initial(world)
    first, state, _ = judged(model, state, moto_target, batch(rec()), SELLER)
    again, state, _ = judged(model, state, moto_target, batch(rec()), SELLER)
    assert first.conforms
    assert not again.conforms and again.blamed == {"BMU-IDEMPOTENT"}


def test_moto_meter_usage_is_a_failed_request_not_a_crash(model, world, moto_target):
    verdict, _, exchange = judged(model, model.initial(world), moto_target, meter(), CALLER)
    assert exchange.outcome == ServiceError("NotImplementedError", 500, exchange.outcome.message)
    assert not verdict.indeterminate and verdict.blamed == {"MU-ACCEPT"}


def test_moto_subscriptions_come_from_the_fixtures(model, world, moto_target):
    verdict, _, exchange = judged(
        model, model.initial(world), moto_target, batch(rec(customer="cust-off")), SELLER
    )
    assert exchange.outcome.results[0].status == "CustomerNotSubscribed"
    assert verdict.conforms


def test_moto_responses_carry_no_json_content_type(moto_target):
    from conformance.wire.check import check_response
    from conformance.wire.service_model import load_shapes

    exchange = moto_target.invoke(batch(rec()), SELLER)
    assert exchange.raw is not None and exchange.raw.status == 200
    verdict = check_response("BatchMeterUsage", exchange.raw, load_shapes(moto_target.profile.name))
    assert [m.rule for m in verdict.mismatches] == ["WIRE-JSON"]
    assert verdict.mismatches[0].subject == "Content-Type"


def test_moto_intercepts_clients_of_a_session_made_before_moto_was_imported():
    """The harness shares one botocore session per profile; one made before ``import moto``
    lacks moto's interceptor, and a request would leave for the real endpoint."""
    code = """
from conformance.targets.client import make_client
from conformance.models import CallContext
make_client(None, CallContext(), "2025-01")  # the shared session, before moto is imported
import sys
assert "moto" not in sys.modules
from datetime import UTC, datetime
from conformance.targets.moto import MotoTarget
from conformance.models import BatchMeterUsage, Fixtures, UsageRecord
from conformance.models.profiles import get_profile
target = MotoTarget(get_profile("2025-01"))
now = datetime(2026, 11, 2, 12, tzinfo=UTC)
target.open(Fixtures(), now)
exchange = target.invoke(BatchMeterUsage("p", (UsageRecord(now, "d", "c", 1),)), CallContext())
target.close()
print(type(exchange.outcome).__name__, exchange.raw is not None)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["BatchMeterUsageResult", "True"]
