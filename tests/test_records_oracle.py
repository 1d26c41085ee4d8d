"""The records oracle: on a target that lists what it recorded, a step may add no more records
than the model allows, and more is blamed on the rule that decided the step."""

from __future__ import annotations

import pytest

from conformance.engine import RunConfig, open_target
from conformance.engine.runner import run_rule
from conformance.targets import TargetOptions


@pytest.fixture
def dry_run_records(monkeypatch):
    """A test-only bug in the reference service: a DryRun MeterUsage is answered as a dry run
    and recorded all the same (the answer alone cannot show it)."""
    from conformance.emulator.service import ReferenceService

    handle = ReferenceService.handle

    def recording(self, target, body, context, now):
        raw = handle(self, target, body, context, now)
        if target and target.endswith(".MeterUsage") and b'"DryRun": true' in body:
            self.records.append({"operation": "MeterUsage", "dryRun": True})
        return raw

    monkeypatch.setattr(ReferenceService, "handle", recording)


def _verdict(target_options, rule="MU-DRYRUN", seed=1):
    config = RunConfig(target_options, "2025-01", (rule,), "quick", seed, 1)
    model, target = open_target(config)
    try:
        return run_rule(config, rule, model, target)
    finally:
        target.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_the_oracle_fails_mu_dryrun_when_a_dry_run_records(dry_run_records, seed):
    result = _verdict(TargetOptions("reference-server"), seed=seed)
    assert result.verdict == "fail", result.reason
    assert "the target recorded 1 usage record(s) where the model allows 0" in result.reason
    final = result.trace.steps[-1]
    assert final.request.dry_run is True


@pytest.mark.parametrize("name", ["reference", "reference-server"])
def test_the_oracle_passes_mu_dryrun_on_the_correct_emulator(name):
    assert _verdict(TargetOptions(name)).verdict == "pass"


def test_a_target_that_lists_no_records_is_not_asked():
    from conformance.targets.moto import MotoTarget

    assert "records" not in MotoTarget.capabilities
