"""Per-rule campaigns against the reference target, and the minimizer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from conformance.engine.budget import BUDGETS
from conformance.engine.campaign import Campaign, run_campaign
from conformance.engine.minimize import minimize
from conformance.models import BatchMeterUsage, World
from conformance.models.profiles import get_profile
from conformance.reporting.trace import Trace, TraceStep
from conformance.strategies import minimal_world
from conformance.targets import ReferenceTarget
from tests.conftest import NOW
from tests.helpers import SELLER, rec


def campaign(rule, model, target, **kw):
    return Campaign(rule, model, target, minimal_world("camp", "2025-01"), NOW, namespace="camp", **kw)


@pytest.mark.parametrize("rule", ["BMU-WINDOW", "BMU-IDEMPOTENT", "MU-ACCEPT", "ALLOC-COUNT-LIMIT"])
def test_reference_passes(rule, model):
    target = ReferenceTarget(model)
    target.open(minimal_world("camp", "2025-01"), NOW)
    result = run_campaign(campaign(rule, model, target, budget=BUDGETS["quick"], seed=1))
    assert result.verdict == "pass", result.reasons
    assert result.exercised > 0


def test_unknown_rule_is_refused(model):
    with pytest.raises(ValueError, match="unknown rule 'NOPE'"):
        run_campaign(campaign("NOPE", model, ReferenceTarget(model)))


def test_world_is_the_campaigns_own(model):
    assert all(
        p.code.startswith("camp-") for p in World.of(minimal_world("camp", "2025-01")).products.values()
    )


class NoWindow(ReferenceTarget):
    """The reference, except that it accepts batches whatever their timestamps."""

    def invoke(self, request, context):
        if isinstance(request, BatchMeterUsage):
            request = replace(
                request, usage_records=tuple(replace(r, timestamp=NOW) for r in request.usage_records)
            )
        return super().invoke(request, context)


def test_minimize_keeps_only_what_the_divergence_needs(model, world):
    target = NoWindow(model)
    target.open(world.fixtures(), NOW)
    good = BatchMeterUsage("prod-a", (rec(), rec(customer="cust-2")))
    bad = BatchMeterUsage("prod-a", (rec(), rec(customer="cust-2", age=timedelta(hours=7))))
    steps = [TraceStep("request", NOW, good, SELLER), TraceStep("clock", NOW),
             TraceStep("request", NOW, bad, SELLER), TraceStep("request", NOW, good, SELLER)]  # fmt: skip
    trace = Trace("BMU-WINDOW", "2025-01", "no-window", 0, world.fixtures(), NOW, True, tuple(steps), ())
    small = minimize(trace, target, model)
    assert len(small.steps) == 1
    (only,) = small.steps
    assert len(only.request.usage_records) == 1
    assert only.divergence and "TimestampOutOfBoundsException" in only.expected


_SENT_DIGEST = """
import hashlib, sys
sys.path.insert(0, sys.argv[1])
if len(sys.argv) > 2:
    import many_constants  # a local module full of integer constants, as a user's code may be
from conformance.engine.runner import RunConfig, open_target, run_rule
from conformance.models.profiles import get_profile
from conformance.targets import TargetOptions
config = RunConfig(TargetOptions("reference"), get_profile("2025-01"), budget="quick", seed=3)
model, target = open_target(config)
sent = []
invoke = target.invoke
target.invoke = lambda request, context: sent.append(repr(request)) or invoke(request, context)
run_rule(config, "ALLOC-COUNT-LIMIT", model, target)
print(len(sent), hashlib.sha256("".join(sent).encode()).hexdigest())
"""


def test_a_seed_draws_the_same_requests_whatever_modules_the_process_loaded(tmp_path):
    """Hypothesis draws constants from the source of loaded local modules; a campaign must not."""
    import subprocess
    import sys

    (tmp_path / "many_constants.py").write_text(
        "VALUES = [" + ", ".join(str(n) for n in range(3, 5000, 7)) + "]\n"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", _SENT_DIGEST, str(tmp_path), *extra],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        ).stdout
        for extra in ([], ["with-constants"])
    ]
    assert runs[0] == runs[1]
    assert int(runs[0].split()[0]) > 0


def _sent_and_judged(model, rule, monkeypatch, aim=None):
    """Requests sent and candidates judged by one quick campaign about ``rule`` (seed 1)."""
    import conformance.engine.campaign as campaign_module

    if aim is not None:
        monkeypatch.setattr(campaign_module.Campaign, "aim", property(lambda self: aim))
    target = ReferenceTarget(model)
    target.open(minimal_world("camp", "2025-01"), NOW)
    judged = []
    allowed = type(model).allowed  # the reference target's own calls count too, alike in both
    monkeypatch.setattr(type(model), "allowed", lambda *a: judged.append(1) or allowed(*a))
    sent = []
    invoke = target.invoke
    monkeypatch.setattr(target, "invoke", lambda r, c: sent.append(repr(r)) or invoke(r, c))
    result = run_campaign(campaign(rule, model, target, budget=BUDGETS["quick"], seed=1))
    monkeypatch.undo()
    assert result.verdict == "pass", result.reasons
    return sent, len(judged)


@pytest.mark.parametrize("rule", ["BMU-WINDOW", "ALLOC-TAG-LIMIT", "RU-KEY-VERSION"])
def test_an_aimed_campaign_judges_fewer_candidates_per_request_sent(rule, model, monkeypatch):
    from conformance.strategies import Aim, aim_for

    aimed, aimed_judged = _sent_and_judged(model, rule, monkeypatch)
    plain, plain_judged = _sent_and_judged(model, rule, monkeypatch, Aim(aim_for(rule).kind, rule=rule))
    assert aimed_judged / len(aimed) < plain_judged / len(plain)


def test_kept_strategies_draw_exactly_what_new_ones_draw(model, monkeypatch):
    """Scene.kept changes no request a seed draws: the same campaign with nothing kept sends the
    same requests."""
    from conformance.strategies import Scene

    kept, _ = _sent_and_judged(model, "BMU-DUPLICATE", monkeypatch)
    monkeypatch.setattr(Scene, "kept", lambda self, key, build: build())
    rebuilt, _ = _sent_and_judged(model, "BMU-DUPLICATE", monkeypatch)
    assert kept == rebuilt
    assert len(kept) > 5


def _machine_classes() -> set[type]:
    from hypothesis.stateful import RuleBasedStateMachine

    found, todo = set(), [RuleBasedStateMachine]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_a_run_of_every_rule_leaves_no_machine_class_nor_campaign_behind():
    """Every example of every campaign is a CampaignMachine: Hypothesis keeps what it learns of
    a machine class for the life of the process, and a class made per campaign was kept with
    its campaign's target, model and strategies (4 classes, 100 strategies after 4 rules)."""
    import gc

    from conformance.engine.campaign import CampaignMachine, _Run
    from conformance.engine.runner import RunConfig, run
    from conformance.models.catalogue import rules_for
    from conformance.targets import TargetOptions

    before = _machine_classes()
    results = run(RunConfig(TargetOptions("reference"), get_profile("2025-01"), None, "quick", 1, 1))
    assert [r.id for r in results] == [r.id for r in rules_for("2025-01")]
    assert all(r.verdict in ("pass", "untestable") for r in results), [
        r for r in results if r.verdict != "pass"
    ]
    gc.collect()
    assert _machine_classes() - before <= {CampaignMachine}
    assert not [o for o in gc.get_objects() if isinstance(o, _Run | CampaignMachine)]
