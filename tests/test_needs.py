"""What a rule needs of the world: every rule is reachable in the world the harness declares on
a target it controls; a fixtures file that lacks something gets the exact reason."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.models.catalogue import RULES_BY_ID, Need, rules_for
from conformance.models.needs import lacking, untestable_reason
from conformance.models.profiles import get_profile
from conformance.models.world import SERVICE_REGION, Caller, Fixtures, World
from conformance.strategies import minimal_world

WORLD = Path(__file__).resolve().parents[1] / "examples" / "world.json"
CONTROLLED = frozenset({"reset", "clock", "world", "subscriptions", "raw", "public-key", "faults"})
NO_CONTROL = frozenset({"raw", "faults"})  # an endpoint: the harness puts a fault proxy in front
PROFILES = ("2025-01", "2026-11")


def _lacking(rule: str, world: World, profile: str, capabilities: frozenset[str]) -> set[Need]:
    found = lacking(RULES_BY_ID[rule], world, get_profile(profile), SERVICE_REGION, capabilities)
    return {lack.need for lack in found}


@pytest.mark.parametrize("profile", PROFILES)
def test_the_world_the_harness_declares_meets_every_need(profile):
    world = World.of(minimal_world("needs", profile))
    assert {r.id: _lacking(r.id, world, profile, CONTROLLED) for r in rules_for(profile)} == {
        r.id: set() for r in rules_for(profile)
    }
    # without control, what no file can declare, and the keys the harness's world leaves out
    missing = {r.id: _lacking(r.id, world, profile, NO_CONTROL) for r in rules_for(profile)}
    assert {rule: needs for rule, needs in missing.items() if needs} == {
        "RU-FIRST-CALL-ONLY": {Need.FIXTURE_CHANGES},
        "RU-SIGNATURE": {Need.PUBLIC_KEY},
    }


@pytest.mark.parametrize("profile", PROFILES)
def test_an_empty_world_without_control_lacks_what_each_rule_needs(profile):
    empty = World.of(Fixtures())
    for rule in rules_for(profile):
        # the harness injects faults in front of an endpoint: that need is met
        wanted = set(rule.needs) - {Need.INJECTED_FAULTS}
        assert _lacking(rule.id, empty, profile, NO_CONTROL) == wanted, rule.id
    no_faults = frozenset({"reset", "clock"})
    assert _lacking("RETRY-CONVERGES", empty, profile, no_faults) == {Need.INJECTED_FAULTS}


def test_the_example_world_lacks_exactly_what_it_does_not_declare():
    world = World.of(Fixtures.from_json(json.loads(WORLD.read_text())))
    lacks = {
        rule.id: _lacking(rule.id, world, "2026-11", NO_CONTROL)
        for rule in rules_for("2026-11")
        if _lacking(rule.id, world, "2026-11", NO_CONTROL)
    }
    assert lacks == {
        "MU-REGION": {Need.CALLER_ELSEWHERE},
        "MU-AGENTCORE": {Need.AGENTCORE_CALLER},
        "BMU-PRODUCT-ISOLATION": {Need.CUSTOMER_OF_TWO_PRODUCTS},
        "BMU-CONCURRENT-AGREEMENTS": {Need.CONCURRENT_PRODUCT},
        "RU-PLATFORM": {Need.UNSUPPORTED_PLATFORM},
        "RU-REGION": {Need.REGISTERING_CALLER_ELSEWHERE},
        "RU-FIRST-CALL-ONLY": {Need.FIXTURE_CHANGES},
        "RU-SIGNATURE": {Need.PUBLIC_KEY},  # a file gives keys with `publicKeys`
    }


def test_a_need_is_met_only_by_what_the_rule_can_use():
    """A caller in another Region must be entitled for MU-REGION to be the one rule its request
    breaks; for RU-REGION it must also be on a platform RegisterUsage supports."""
    world = World.of(Fixtures.from_json(json.loads(WORLD.read_text())))
    elsewhere = Caller("AKIAELSEWHERE0000001", "prod-container", False, "lambda", "eu-west-1")
    for caller, mu, ru in (
        (elsewhere, {Need.CALLER_ELSEWHERE}, {Need.REGISTERING_CALLER_ELSEWHERE}),
        (replace(elsewhere, entitled=True), set(), {Need.REGISTERING_CALLER_ELSEWHERE}),
        (replace(elsewhere, entitled=True, platform="ecs"), set(), set()),
    ):
        told = world.with_fixtures(Fixtures(callers=(caller,)))
        assert _lacking("MU-REGION", told, "2025-01", NO_CONTROL) == mu
        assert _lacking("RU-REGION", told, "2025-01", NO_CONTROL) == ru
    # agentcore is a platform RegisterUsage supports in 2026-11 only
    agent = Caller("AKIAAGENT00000000001", "prod-container", True, "agentcore", SERVICE_REGION)
    told = world.with_fixtures(Fixtures(callers=(agent,)))
    assert _lacking("RU-PLATFORM", told, "2025-01", NO_CONTROL) == set()
    assert _lacking("RU-PLATFORM", told, "2026-11", NO_CONTROL) == {Need.UNSUPPORTED_PLATFORM}
    assert _lacking("MU-AGENTCORE", told, "2026-11", NO_CONTROL) == set()


def test_the_reason_says_what_to_declare_or_that_no_file_can():
    world = World.of(Fixtures())
    profile = get_profile("2025-01")
    region = lacking(RULES_BY_ID["MU-REGION"], world, profile, SERVICE_REGION, NO_CONTROL)
    assert untestable_reason(region, "world.json", "endpoint") == (
        "needs an entitled caller whose `region` is not us-east-1, the Region the harness calls: "
        "declare it in world.json"
    )
    told = untestable_reason(region, None, "moto-server")
    assert told.endswith(", which target moto-server cannot be told")
    first = lacking(RULES_BY_ID["RU-FIRST-CALL-ONLY"], world, profile, SERVICE_REGION, NO_CONTROL)
    reason = untestable_reason(first, "world.json", "endpoint")
    assert reason.startswith("needs a target the harness can tell fixture changes")
    assert reason.endswith("(ec2, ecs, eks, fargate): declare it in world.json")
