"""CONC-LINEARIZABLE: requests sent at once, their history explained by some order of them, or
shrunk to the fewest requests no order explains and replayed at once again."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from conformance.emulator.hooks import NO_HOOKS
from conformance.engine.concurrency import _sends, explained, run_at_once
from conformance.engine.replay import replay
from conformance.engine.runner import START, RunConfig, run_rule
from conformance.lab.mutants import MUTANTS
from conformance.models.profiles import get_profile
from conformance.models.requests import BatchMeterUsage, CallContext, MeterUsage
from conformance.reporting.trace import Trace
from conformance.strategies import minimal_world
from conformance.targets import ReferenceTarget, TargetOptions

RULE = "CONC-LINEARIZABLE"


def _keys(request, context):
    """The usage keys a request is about (caller or customer, dimension, hour)."""
    if isinstance(request, MeterUsage):
        return {(context.access_key_id, request.usage_dimension, request.timestamp)}
    return {(r.customer_identifier, r.dimension, r.timestamp) for r in request.usage_records}


def _run(model, seed, mutant=None):
    target = ReferenceTarget(model, hooks=mutant or NO_HOOKS)
    target.open(minimal_world("setup", "2025-01"), START)
    config = RunConfig(TargetOptions("reference"), get_profile(model.profile.name), (RULE,), "quick", seed, 1)
    return run_rule(config, RULE, model, target), target


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("profile", ["2025-01", "2026-11"])
def test_the_correct_reference_explains_every_history(model, model26, profile, seed):
    result, _ = _run(model if profile == "2025-01" else model26, seed)
    assert result.verdict == "pass", result.reason
    sizes = result.histories
    assert result.exercised == len(sizes) == 12
    assert all(2 <= n <= 4 for n in sizes)
    assert result.reason == (
        f"12 histories of {min(sizes)} to {max(sizes)} requests sent at once ({sum(sizes)} in all), "
        "each explained by some order"
    )


def _drawn(model, draws=300):
    fixtures = minimal_world("draws", model.profile.name)
    rng = random.Random(7)
    return [_sends(fixtures, model, rng, START) for _ in range(draws)]


def test_histories_cover_retries_conflicts_callers_and_batches_in_both_profiles(model, model26):
    for m in (model, model26):
        sends = _drawn(m)
        meters = [r for s in sends for r, _ in s if isinstance(r, MeterUsage)]
        batches = [r for s in sends for r, _ in s if isinstance(r, BatchMeterUsage)]
        callers = {c.access_key_id for s in sends for r, c in s if isinstance(r, MeterUsage)}
        assert len(callers) >= 3  # several callers
        assert any(len(s) != len(set(s)) for s in sends)  # identical retries
        assert any(len({r.usage_quantity for r, _ in s if isinstance(r, MeterUsage)}) > 1 for s in sends)
        assert {len(b.usage_records) for b in batches} == {1, 2}  # one customer, and two
        assert meters and all(2 <= len(s) <= 4 for s in sends)
    tokened = [r for s in _drawn(model) for r, _ in s if getattr(r, "client_token", None)]
    assert tokened == []  # 2025-01's API has no ClientToken
    agent = next(
        k.access_key_id for k in minimal_world("draws", "2026-11").callers if k.platform == "agentcore"
    )
    drawn26 = [(r, c) for s in _drawn(model26) for r, c in s if isinstance(r, MeterUsage)]
    assert {r.client_token for r, c in drawn26 if c.access_key_id == agent} >= {"agent-1", "agent-2"}
    assert any(r.client_token == "tok-1" for r, c in drawn26 if c.access_key_id != agent)


def test_a_racy_history_is_shrunk_saved_and_replayed_at_once(model, tmp_path):
    result, target = _run(model, 1, MUTANTS["racy-duplicate-check"])
    assert result.verdict == "fail"
    trace = result.trace
    assert trace.concurrent and len(trace.steps) == 2
    # two requests about one key: a conflict or an identical retry, each answered as if alone
    first, second = (_keys(s.request, s.context) for s in trace.steps)
    assert first & second
    trace.save(tmp_path / "t.json")
    again = Trace.load(tmp_path / "t.json")
    assert again.concurrent
    assert replay(again, target, model).reproduced


def test_two_conflicting_answers_accepted_at_once_are_explained_by_no_order(model):
    """The check itself, on the correct reference: its history is explained; the same requests
    with both answers 200 are not."""
    target = ReferenceTarget(model)
    fixtures = minimal_world("check", "2025-01")
    target.open(fixtures, START)
    product = sorted(fixtures.products, key=lambda p: p.code)[0]
    stamp = START.replace(minute=0)
    sends = [
        (
            MeterUsage(product.code, stamp, sorted(product.dimensions)[0], q),
            CallContext("AKIACONCURRENT000001"),
        )
        for q in (1, 2)
    ]
    happened = run_at_once(target, sends, START)
    assert explained(model, fixtures, happened)
    history = happened.history
    accepted = [op for op in history if op.outcome.__class__.__name__ == "MeterUsageResult"]
    refused = [op for op in history if op not in accepted]
    assert len(accepted) == 1 and len(refused) == 1
    both = (*accepted, replace(refused[0], outcome=accepted[0].outcome))
    assert not explained(model, fixtures, replace(happened, history=both))
    # the records oracle: the same outcomes, with the refused request's usage listed as well
    (record,) = happened.records
    second = replace(record, quantity=refused[0].request.usage_quantity, metering_record_id="other")
    assert not explained(model, fixtures, replace(happened, records=(record, second)))
    assert not explained(model, fixtures, replace(happened, records=()))  # the accepted one missing
