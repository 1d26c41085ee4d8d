"""strategies.aims: how each rule is reached, checked against the catalogue and the strategies."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.models.catalogue import RULES_BY_ID
from conformance.models.profiles import get_profile
from conformance.strategies import AIMS, REQUEST_KINDS, Aim, Scene, aim_for, defects, invalid_allocations
from conformance.strategies.requests import BATCH_DEFECTS
from tests.conftest import NOW

KIND_DEFECTS = {
    "BatchMeterUsage": set(BATCH_DEFECTS),
    "MeterUsage": {"caller", "product", "dimension", "timestamp", "allocations", "dryrun", "quantity"},
    "RegisterUsage": {"caller", "product", "version"},
}


@pytest.mark.parametrize("rule", sorted(AIMS))
def test_every_aim_names_a_rule_a_kind_and_faults_of_that_kind(rule):
    aim = AIMS[rule]
    assert rule in RULES_BY_ID
    assert aim.kind in REQUEST_KINDS
    assert set(aim.defects) <= KIND_DEFECTS.get(aim.kind, set()), aim
    assert aim.repeat in (None, "same", "beside", "foreign")
    assert aim_for(rule).rule == rule


def test_a_rule_without_an_entry_aims_at_its_family():
    assert aim_for("RC-RESOLVE") == Aim("ResolveCustomer", rule="RC-RESOLVE")
    assert aim_for("WIRE-JSON") == Aim(rule="WIRE-JSON")
    assert [r for r in RULES_BY_ID if aim_for(r).heavy] == ["BMU-PAYLOAD-LIMIT"]


def _drawn(strategy, n=300):
    seen: Counter = Counter()

    @settings(max_examples=n, database=None, derandomize=True)
    @given(strategy)
    def draw(value):
        seen[value] += 1

    draw()
    return seen


def test_aimed_faults_are_drawn_about_half_the_time_and_none_stays_the_shrink_target():
    plain = _drawn(defects("a", "b", "c", "d"))
    aimed = _drawn(defects("a", "b", "c", "d", aimed=("c",)))
    assert aimed["c"] / sum(aimed.values()) > 0.4 > plain["c"] / sum(plain.values())
    assert None in aimed and "a" in aimed  # tilted, never narrowed
    assert _drawn(defects("a", aimed=("zzz",))).keys() <= {None, "a"}


def test_an_alloc_rule_draws_its_own_cases_three_times_in_four(model):
    tags = _drawn(
        invalid_allocations(model.shapes, model.profile, rule="ALLOC-TAG-LIMIT").map(
            lambda pair: max(len(a.tags or ()) for a in pair[1]) >= 5
        )
    )
    assert tags[True] / sum(tags.values()) > 0.6


def test_kept_builds_once_per_world_clock_and_key(model, world):
    from conformance.strategies import Names

    memo: dict = {}
    scene = Scene(model, model.initial(world), NOW, Names("t"), memo=memo)
    builds = []

    def build():
        builds.append(1)
        return st.just(len(builds))

    first = scene.kept(("k",), build)
    assert scene.kept(("k",), build) is first and len(builds) == 1
    scene.kept(("other",), build)
    Scene(model, model.initial(world), NOW.replace(minute=1), Names("t"), memo=memo).kept(("k",), build)
    Scene(model, model.initial(world), NOW, Names("t"), memo=None).kept(("k",), build)
    assert len(builds) == 4


def test_rc_meterable_meters_what_it_resolved_where_its_old_aim_never_did():
    """2026-11, seed 6: aimed at ResolveCustomer throughout, the campaign never sent a batch for
    a resolved customer (not-reached, in process and over HTTP); drawing batches once a customer
    is resolved reaches it."""
    from conformance.engine.runner import RunConfig, run_rule
    from conformance.reporting.results import Verdict
    from conformance.targets import ReferenceTarget, TargetOptions
    from conformance.wire.service_model import model_for

    assert aim_for("RC-METERABLE").kind_in(False) == "ResolveCustomer"
    assert aim_for("RC-METERABLE").kind_in(True) == "BatchMeterUsage"
    model = model_for("2026-11")
    target = ReferenceTarget(model)
    try:
        config = RunConfig(TargetOptions("reference"), get_profile("2026-11"), ("RC-METERABLE",), "quick", 6)
        result = run_rule(config, "RC-METERABLE", model, target)
    finally:
        target.close()
    assert result.verdict is Verdict.PASS and result.exercised > 0


def _recorded(model, state, request, context):
    """The state after the reference answer to ``request``."""
    from conformance.models.realize import realize

    allowed = model.allowed(state, request, context, NOW)
    return model.step(state, allowed, realize(allowed, new_id=lambda: "id-1", sign=lambda _: "signed"))


def test_an_aim_is_ready_once_the_state_holds_what_its_rule_needs(model, world):
    from datetime import timedelta

    from conformance.models.requests import (
        BatchMeterUsage,
        CallContext,
        MeterUsage,
        ResolveCustomer,
        UsageRecord,
    )
    from conformance.strategies import Names, aim_ready

    def ready(rule, state):
        return aim_ready(Scene(model, state, NOW, Names("t"), aim=aim_for(rule)))

    stamp = NOW - timedelta(minutes=1)
    fresh = model.initial(world)
    assert ready("BMU-WINDOW", fresh) and ready("MU-ACCEPT", fresh)  # aims that need no state
    assert not any(ready(r, fresh) for r in ("BMU-DUPLICATE", "BMU-PRODUCT-ISOLATION", "RC-METERABLE"))

    # cust-1's usage of prod-b on "users": prod-a has cust-1 and "users" too
    shared = _recorded(
        model,
        fresh,
        BatchMeterUsage("prod-b", (UsageRecord(stamp, "users", "cust-1", quantity=1),)),
        CallContext(),
    )
    assert ready("BMU-DUPLICATE", shared) and ready("BMU-PRODUCT-ISOLATION", shared)
    assert not ready("MU-IDEMPOTENT", shared)  # a batch's key is no MeterUsage key
    # prod-a's "gb" for cust-2: no other product has either
    own = _recorded(
        model,
        fresh,
        BatchMeterUsage("prod-a", (UsageRecord(stamp, "gb", "cust-2", quantity=1),)),
        CallContext(),
    )
    assert ready("BMU-DUPLICATE", own) and not ready("BMU-PRODUCT-ISOLATION", own)

    caller = CallContext("AKIAENTITLED00000001", "us-east-1")
    one = _recorded(model, fresh, MeterUsage("prod-a", stamp, "users", 1), caller)
    zero = _recorded(model, fresh, MeterUsage("prod-a", stamp, "users", 0), caller)
    assert ready("MU-IDEMPOTENT", one) and not ready("MU-QUANTITY-DEFAULT", one)
    assert ready("MU-QUANTITY-DEFAULT", zero)

    assert ready("RC-METERABLE", _recorded(model, fresh, ResolveCustomer("tok-1"), CallContext()))
