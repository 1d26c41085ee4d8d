"""The harness kills realistic bugs: each mutant of the reference service fails a rule it names
(budget quick), and the unmutated service fails none of those rules."""

from __future__ import annotations

import pytest

from conformance.emulator.mutants import MUTANTS
from conformance.engine import RunConfig
from conformance.engine.runner import run_rule
from conformance.targets import ReferenceTarget, TargetOptions
from models.catalogue import RULES_BY_ID
from strategies import minimal_world
from tests.conftest import NOW


def _verdicts(model, mutant, seed=1):
    target = ReferenceTarget(model, mutant=mutant)
    target.open(minimal_world("setup"), NOW)
    config = RunConfig(TargetOptions("reference"), "2025-01", None, "quick", seed, 1)
    rules = mutant.rules if mutant else sorted({r for m in MUTANTS.values() for r in m.rules})
    return {rule: run_rule(config, rule, model, target) for rule in rules}


def test_every_mutant_names_catalogue_rules():
    assert len(MUTANTS) >= 12
    for mutant in MUTANTS.values():
        assert mutant.rules and set(mutant.rules) <= set(RULES_BY_ID), mutant.name


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_is_killed_under_a_rule_it_names(model, name):
    results = _verdicts(model, MUTANTS[name])
    killed = [rule for rule, result in results.items() if result.verdict == "fail"]
    assert killed, {rule: (r.verdict, r.reason) for rule, r in results.items()}


def test_the_unmutated_service_fails_none_of_those_rules(model):
    assert {rule: r.verdict for rule, r in _verdicts(model, None).items() if r.verdict != "pass"} == {}
