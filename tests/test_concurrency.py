"""CONC-LINEARIZABLE: requests sent at once, their history explained by some order of them, or
shrunk to the fewest requests no order explains and replayed at once again."""

from __future__ import annotations

import pytest

from conformance.emulator.mutants import MUTANTS
from conformance.engine.concurrency import explained, run_at_once
from conformance.engine.replay import replay
from conformance.engine.runner import START, RunConfig, run_rule
from conformance.reporting.trace import Trace
from conformance.targets import ReferenceTarget, TargetOptions
from models.requests import CallContext, MeterUsage
from strategies import minimal_world

RULE = "CONC-LINEARIZABLE"


def _key(request):
    if isinstance(request, MeterUsage):
        return request.operation, request.usage_dimension, request.timestamp
    (record,) = request.usage_records
    return request.operation, record.dimension, record.timestamp


def _run(model, seed, mutant=None):
    target = ReferenceTarget(model, mutant=mutant)
    target.open(minimal_world("setup"), START)
    config = RunConfig(TargetOptions("reference"), model.profile.name, (RULE,), "quick", seed, 1)
    return run_rule(config, RULE, model, target), target


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_correct_reference_explains_every_history(model, seed):
    result, _ = _run(model, seed)
    assert result.verdict == "pass", result.reason
    assert result.exercised == 12
    assert result.reason == "12 histories of 2 to 4 requests sent at once, each explained by some order"


def test_a_racy_history_is_shrunk_saved_and_replayed_at_once(model, tmp_path):
    result, target = _run(model, 1, MUTANTS["racy-duplicate-check"])
    assert result.verdict == "fail"
    trace = result.trace
    assert trace.concurrent and len(trace.steps) == 2
    # two requests about one key: a conflict or an identical retry, each answered as if alone
    assert len({_key(s.request) for s in trace.steps}) == 1
    trace.save(tmp_path / "t.json")
    again = Trace.load(tmp_path / "t.json")
    assert again.concurrent
    assert replay(again, target, model).reproduced


def test_two_conflicting_answers_accepted_at_once_are_explained_by_no_order(model):
    """The check itself, on the correct reference: its history is explained; the same requests
    with both answers 200 are not."""
    target = ReferenceTarget(model)
    fixtures = minimal_world("check")
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
    history = run_at_once(target, sends, START)
    assert explained(model, fixtures, history)
    accepted = [op for op in history if op.outcome.__class__.__name__ == "MeterUsageResult"]
    refused = [op for op in history if op not in accepted]
    assert len(accepted) == 1 and len(refused) == 1
    both = [*accepted, type(refused[0])(**{**refused[0].__dict__, "outcome": accepted[0].outcome})]
    assert not explained(model, fixtures, both)
