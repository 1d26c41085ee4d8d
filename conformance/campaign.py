"""Campaigns: one Hypothesis state machine per rule, run against a target.

The machine's rules are the operations (drawn from ``strategies``), clock moves, fixture
changes and identical retries. Every outcome is judged by the model; the campaign for rule R
fails only on a divergence attributed to R (the model follows the target on the others), so
Hypothesis shrinks to the minimal request sequence that shows R broken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.client import Exchange
from conformance.targets.base import Target
from conformance.wire_check import check_response
from models.catalogue import RULES_BY_ID
from models.expect import Judgement
from models.model import Model
from models.requests import CallContext, Request
from models.state import ModelState
from models.world import Fixtures, World
from strategies import Names, Scene, clock_moves, fixture_changes, requests

__all__ = ["Campaign", "CampaignResult", "Divergence", "Step", "focus_for", "run_campaign"]

_FOCUS = {"MU": "meter", "BMU": "batch", "RC": "resolve", "RU": "register", "ALLOC": "batch"}


def focus_for(rule: str) -> str | None:
    """The request kind a campaign about ``rule`` draws three times in four (None: all kinds)."""
    return _FOCUS.get(rule.split("-", 1)[0])


@dataclass(frozen=True)
class Step:
    """One entry of a trace: a request and its judgement, or a clock move or fixture change."""

    kind: str  # "request" | "clock" | "fixtures"
    now: datetime
    request: Request | None = None
    context: CallContext | None = None
    exchange: Exchange | None = None
    judgement: Judgement | None = None
    fixtures: Fixtures | None = None


class Divergence(AssertionError):
    """The target answered outside what the rule allows."""

    def __init__(self, rule: str, steps: list[Step], reasons: list[str]) -> None:
        super().__init__(f"{rule}: " + "; ".join(reasons))
        self.rule = rule
        self.steps = steps
        self.reasons = reasons


@dataclass
class Campaign:
    rule: str
    model: Model
    target: Target
    fixtures: Fixtures
    start: datetime
    namespace: str = "campaign"
    max_examples: int = 60
    steps_per_example: int = 12

    @property
    def focus(self) -> str | None:
        return focus_for(self.rule)


@dataclass
class CampaignResult:
    rule: str
    verdict: str  # pass | fail | not-reached
    exercised: int
    steps: list[Step] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def run_campaign(campaign: Campaign) -> CampaignResult:
    """Run one campaign; side effects: the target is reset before every example."""
    if campaign.rule not in RULES_BY_ID:
        raise ValueError(f"unknown rule {campaign.rule!r}")
    exercised = [0]

    def count(n: int) -> None:
        exercised[0] += n

    machine = _machine(campaign, count)
    try:
        run_state_machine_as_test(  # type: ignore[no-untyped-call,unused-ignore]
            machine,
            settings=settings(
                max_examples=campaign.max_examples,
                stateful_step_count=campaign.steps_per_example,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    except Divergence as divergence:
        return CampaignResult(campaign.rule, "fail", exercised[0], divergence.steps, divergence.reasons)
    verdict = "pass" if exercised[0] else "not-reached"
    return CampaignResult(campaign.rule, verdict, exercised[0])


def _machine(campaign: Campaign, count: Callable[[int], None]) -> type[RuleBasedStateMachine]:
    model, target, names = campaign.model, campaign.target, Names(campaign.namespace)

    class ConformanceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.now = campaign.start
            self.state: ModelState = model.initial(World.of(campaign.fixtures))
            self.steps: list[Step] = []
            self.sent: list[tuple[Request, CallContext]] = []
            target.reset(campaign.fixtures, self.now)

        def scene(self) -> Scene:
            return Scene(model, self.state, self.now, names)

        @rule(data=st.data())
        def send(self, data: Any) -> None:
            request, context = data.draw(requests(self.scene(), campaign.focus))
            self._send(request, context)

        @precondition(lambda self: bool(self.sent))
        @rule(data=st.data())
        def retry(self, data: Any) -> None:
            self._send(*data.draw(st.sampled_from(self.sent)))

        @rule(data=st.data())
        def move_clock(self, data: Any) -> None:
            self.now = data.draw(clock_moves(model.profile, self.now))
            target.set_clock(self.now)
            self.steps.append(Step("clock", self.now))

        @rule(data=st.data())
        def change_fixtures(self, data: Any) -> None:
            fixtures = data.draw(fixture_changes(self.scene()))
            add = getattr(target, "add_fixtures", None)
            if add is None:
                return  # a target that cannot be told leaves the world as declared
            add(fixtures)
            self.state = self.state.with_fixtures(fixtures)
            self.steps.append(Step("fixtures", self.now, fixtures=fixtures))

        def _send(self, request: Request, context: CallContext) -> None:
            allowed = model.allowed(self.state, request, context, self.now)
            exchange = target.invoke(request, context)
            judgement = allowed.judge(exchange.outcome)
            self.steps.append(Step("request", self.now, request, context, exchange, judgement))
            self.sent.append((request, context))
            self.state = model.step(self.state, allowed, exchange.outcome)
            reasons = [m.reason for m in judgement.mismatches if m.rule == campaign.rule]
            decided = campaign.rule in judgement.decided
            if exchange.raw is not None and campaign.rule.startswith("WIRE-"):
                wire = check_response(None if request.operation == "Raw" else request.operation, exchange.raw)
                decided = decided or campaign.rule in wire.decided
                reasons += [m.reason for m in wire.mismatches if m.rule == campaign.rule]
            if decided:
                count(1)
            if reasons and not judgement.indeterminate:
                raise Divergence(campaign.rule, list(self.steps), reasons)

    return ConformanceMachine
