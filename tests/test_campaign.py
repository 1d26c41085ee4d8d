"""Per-rule campaigns against the reference target (moto campaigns: see the engine issue)."""

from __future__ import annotations

import pytest

from conformance.campaign import Campaign, run_campaign
from conformance.targets import ReferenceTarget
from models import World
from strategies import minimal_world
from tests.conftest import NOW


def campaign(rule, model, target, **kw):
    return Campaign(rule, model, target, minimal_world("camp"), NOW, namespace="camp", **kw)


@pytest.mark.parametrize("rule", ["BMU-WINDOW", "BMU-IDEMPOTENT", "MU-ACCEPT"])
def test_reference_passes(rule, model):
    target = ReferenceTarget(model)
    target.open(minimal_world("camp"), NOW)
    result = run_campaign(campaign(rule, model, target, max_examples=25))
    assert result.verdict == "pass", result.reasons
    assert result.exercised > 0


def test_unknown_rule_is_refused(model):
    with pytest.raises(ValueError, match="unknown rule 'NOPE'"):
        run_campaign(campaign("NOPE", model, ReferenceTarget(model)))


def test_world_is_the_campaigns_own(model):
    assert all(p.code.startswith("camp-") for p in World.of(minimal_world("camp")).products.values())
