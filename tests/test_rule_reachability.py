"""Rule reachability: the strategies, driven through the model (no target), make every rule of
the catalogue decide at least one generated request, for each profile. Prints the counts."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from conformance.models import (
    HistoryOp,
    Indeterminate,
    Model,
    World,
    linearize,
    rules_for,
    wire_rules,
)
from conformance.models.realize import realize
from conformance.strategies import (
    REQUEST_KINDS,
    Aim,
    Names,
    Scene,
    aim_for,
    clock_moves,
    fixture_changes,
    fixture_worlds,
    requests,
)
from conformance.wire.service_model import model_for
from tests.conftest import NOW
from tests.helpers import fake_sign

WALKS = 200
TARGETED_WALKS = 800
STEPS = 20
ACTIONS = ["request"] * 8 + ["retry", "retry", "indeterminate", "clock", "fixture", "fixture", "concurrent"]


def walk(model: Model, data: st.DataObject, counts: Counter[str], aim: Aim | None = None) -> None:
    """``aim`` None: one drawn, a request kind or none, as a broad pass wants."""
    names = Names("reach")
    if aim is None:
        aim = Aim(data.draw(st.sampled_from([None, *REQUEST_KINDS[:4]]), label="focus"))
    world = data.draw(fixture_worlds("reach", model.profile.name), label="world")
    state = model.initial(World.of(world))
    now = NOW
    ids = (f"rid-{n}" for n in itertools.count())
    sent: list = []
    pending: list = []  # requests that ended indeterminate: retried first

    def answer(request, context, indeterminate=False):
        nonlocal state
        allowed = model.allowed(state, request, context, now)
        outcome = (
            Indeterminate("injected")
            if indeterminate
            else realize(allowed, new_id=lambda: next(ids), sign=fake_sign)
        )
        counts.update(allowed.decided | wire_rules(outcome))
        counts["requests"] += 1
        assert allowed.judge(outcome).conforms
        state = model.step(state, allowed, outcome)
        return outcome

    for _ in range(STEPS):
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        scene = Scene(model, state, now, names, aim=aim)
        if action == "clock":
            now = data.draw(clock_moves(model.profile, now), label="clock")
        elif action == "fixture":
            state = state.with_fixtures(data.draw(fixture_changes(scene), label="fixture change"))
        elif action == "retry" and (pending or sent):
            # an indeterminate request is retried before anything else, as a client would
            answer(*(pending.pop() if pending else data.draw(st.sampled_from(sent), label="retry")))
        elif action == "concurrent":
            pair = [data.draw(requests(scene, aim.kind), label="concurrent") for _ in range(2)]
            start = state
            history = [
                HistoryOp(r, c, now, float(i), 10.0 + i, answer(r, c)) for i, (r, c) in enumerate(pair)
            ]
            assert linearize(model, start, history) is not None
            counts["CONC-LINEARIZABLE"] += 1
        else:
            request, context = data.draw(requests(scene, aim.kind), label="request")
            answer(request, context, indeterminate=action == "indeterminate")
            (pending if action == "indeterminate" else sent).append((request, context))


class _Draws:
    """``data.draw`` for a ``st.composite`` draw function (labels are dropped)."""

    def __init__(self, draw):
        self._draw = draw

    def draw(self, strategy, label=None):
        return self._draw(strategy)


def walks_deciding(model: Model, aim: Aim) -> st.SearchStrategy[Counter[str]]:
    """One walk aimed like a campaign, as a value: the rules it decided and how often."""

    @st.composite
    def one_walk(draw):
        counts: Counter[str] = Counter()
        walk(model, _Draws(draw), counts, aim)
        return counts

    return one_walk()


QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@pytest.mark.parametrize("profile", ["2025-01", "2026-11"])
def test_every_rule_is_reached(profile, capsys):
    """A broad pass of WALKS random walks counts every rule's decisions; a rule the broad pass
    missed gets a targeted search (like a per-rule campaign) for a walk in which it decides."""
    model = model_for(profile)
    counts: Counter[str] = Counter()

    @settings(max_examples=WALKS, deadline=None, database=None, suppress_health_check=QUIET)
    @given(data=st.data())
    def broad(data):
        walk(model, data, counts)

    broad()
    rules = [rule.id for rule in rules_for(profile)]
    targeted: dict[str, int] = {}
    for rule in (r for r in rules if counts[r] == 0):
        tries = Counter()

        def decides(found: Counter[str], rule: str = rule, tries: Counter[str] = tries) -> bool:
            tries["walks"] += 1
            return found[rule] > 0

        try:
            find(
                walks_deciding(model, aim_for(rule)),
                decides,
                settings=settings(
                    max_examples=TARGETED_WALKS,
                    phases=[Phase.generate],
                    database=None,
                    suppress_health_check=QUIET,
                ),
            )
            targeted[rule] = tries["walks"]
        except NoSuchExample:
            targeted[rule] = 0
    with capsys.disabled():
        print(f"\nrule reachability, profile {profile}: {WALKS} walks, {counts['requests']} requests")
        for rule in rules:
            extra = (
                f"   (broad pass: 0; targeted search: found in walk {targeted[rule]})"
                if targeted.get(rule)
                else ""
            )
            print(f"  {rule:<24} {counts[rule]:>6}{extra}")
    unreached = [rule for rule in rules if counts[rule] == 0 and not targeted.get(rule)]
    assert not unreached, f"never decided a generated request: {unreached}"
