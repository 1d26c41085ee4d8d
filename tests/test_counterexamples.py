"""Counterexamples a person reads at a glance: the minimal trace's failing request breaks the
campaign's rule and no other, uses the fixtures' names, ASCII and round quantities, and every
line the report prints about it is true of that trace."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from conformance.engine import RunConfig, open_target
from conformance.engine.runner import run_rule
from conformance.models import BatchMeterUsage, MeterUsage
from conformance.models.model import isolates
from conformance.models.profiles import get_profile
from conformance.models.requests import UsageRecord, to_wire
from conformance.models.world import World
from conformance.reporting.report import failure_text
from conformance.reporting.wording import mismatch_text
from conformance.targets import TargetOptions


def _failing(rule, target_name, seed, model=None, target=None):
    config = RunConfig(TargetOptions(target_name), get_profile("2025-01"), (rule,), "quick", seed, 1)
    if target is None:
        model, target = open_target(config)
    try:
        return run_rule(config, rule, model, target), model
    finally:
        target.close() if target_name == "moto" else None


def _check_counterexample(result, model, on_the_hour=True):
    assert result.verdict == "fail", result.reason
    trace = result.trace
    state = model.initial(World.of(trace.fixtures))
    for step in trace.steps:
        if step.kind == "fixtures":
            state = state.with_fixtures(step.fixtures)
        if step.request is None:
            continue
        allowed = model.allowed(state, step.request, step.context, step.now)
        wire = json.dumps(to_wire(step.request))
        assert wire.isascii(), wire
        if step is trace.steps[-1]:
            assert isolates(trace.rule, allowed), (trace.rule, wire)
        records: tuple[MeterUsage | UsageRecord, ...] = ()
        if isinstance(step.request, BatchMeterUsage):
            records = step.request.usage_records
        elif isinstance(step.request, MeterUsage):
            records = (step.request,)
        for record in records:
            quantity = getattr(record, "quantity", getattr(record, "usage_quantity", None))
            if not getattr(record, "allocations", None):
                assert quantity in (None, 0, 1), wire  # no allocations tie it to another value
            # on the hour, unless the hour's start is outside the window (``on_the_hour`` False)
            # or the fault is a timestamp after now
            on_hour = record.timestamp.minute == record.timestamp.second == 0
            assert on_hour or not on_the_hour or "FUTURE" in trace.rule, wire
        product = getattr(step.request, "product_code", None)
        # the plainest name: the first product, or for a caller's request its caller's own
        plainest = {min(p.code for p in trace.fixtures.products)} | {
            c.product_code for c in trace.fixtures.callers if c.access_key_id == step.context.access_key_id
        }
        assert product is None or product in plainest or "unknown" in product, wire
        state = model.step(state, allowed, _observed(allowed, step))
    # everything the report says is about this trace: indices name its records, every
    # mismatch of the final step is printed
    text = failure_text(result, TargetOptions("t"))
    final = trace.steps[-1]
    count = len(final.request.usage_records) if isinstance(final.request, BatchMeterUsage) else 1
    for listed in re.findall(r"records? \[([\d, ]+)\]", text):
        assert all(int(i) < count for i in listed.split(",")), (listed, count)
    for mismatch in final.also_broken:
        assert f"also {mismatch.rule}: {mismatch_text(mismatch)}" in text
    assert result.reason == "; ".join(final.divergence)


def _observed(allowed, step):
    from conformance.models.realize import realize

    # the trace holds the observed answer as text only: the model's own answer is enough to
    # carry the state forward for these checks (the steps before the last conform)
    return realize(allowed, new_id=lambda: "x", sign=lambda _: "x")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("rule", ["BMU-WINDOW", "BMU-IDEMPOTENT", "ALLOC-SUM"])
def test_moto_counterexamples_show_the_rule_alone_in_plain_values(rule, seed):
    result, model = _failing(rule, "moto", seed)
    _check_counterexample(result, model)


@pytest.fixture
def forgetful_serve(model, monkeypatch):
    """``conformance serve`` with a test-only bug: MeterUsage forgets every earlier record, so a
    second quantity in one hour is accepted (MU-HOUR-DUPLICATE)."""
    from conformance.emulator import Emulator, ReferenceService

    handle = ReferenceService.handle

    def forgetting(self, target, body, context, now):
        if target and target.endswith(".MeterUsage"):
            self.state = replace(self.state, usage={})
        return handle(self, target, body, context, now)

    monkeypatch.setattr(ReferenceService, "handle", forgetting)
    emulator = Emulator(model).start()
    yield emulator
    emulator.close()


@pytest.mark.parametrize("seed", range(5))
def test_an_hour_duplicate_counterexample_is_two_plain_requests(seed, model, forgetful_serve):
    config = RunConfig(
        TargetOptions("endpoint", forgetful_serve.url), get_profile("2025-01"), None, "quick", seed, 1
    )
    opened_model, target = open_target(config)
    try:
        result = run_rule(config, "MU-HOUR-DUPLICATE", opened_model, target)
    finally:
        target.close()
    # a repeat within the hour of an earlier record near the window's edge keeps its minute
    _check_counterexample(result, opened_model, on_the_hour=False)
    assert len(result.trace.steps) == 2


def test_every_failing_rule_of_a_moto_run_has_a_plain_counterexample():
    config = RunConfig(TargetOptions("moto"), get_profile("2025-01"), None, "quick", 0, 1)
    model, target = open_target(config)
    failed = unimplemented = 0
    try:
        for rule in config.rule_ids():
            if rule in ("RETRY-CONVERGES", "CONC-LINEARIZABLE"):
                continue
            result = run_rule(config, rule, model, target)
            if result.verdict == "fail":
                failed += 1
                _check_counterexample(result, model)
            elif result.verdict == "unimplemented":  # no counterexample: the operation is missing
                unimplemented += 1
                assert result.trace is None and result.operation in result.reason
    finally:
        target.close()
    assert failed > 15 and unimplemented > 10
