"""Campaigns: one rule's search against a target, as Hypothesis examples of one state machine.

The machine's rules are the operations (drawn from ``strategies``), clock moves, fixture
changes and identical retries. Every outcome is judged by the model; the campaign for rule R
fails only on a divergence attributed to R (the model follows the target on the others). The
failing example's trace is then minimized by replaying smaller traces (``engine.minimize``),
not by Hypothesis's shrinker, which would replay every candidate draw of the search.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from hypothesis.errors import FlakyFailure, FlakyStrategyDefinition
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from conformance.engine._repeatable import without_source_constants
from conformance.engine.budget import BUDGETS, Budget
from conformance.engine.clock import target_clock
from conformance.engine.corpus import corpus_key
from conformance.engine.verdict import exchange_step, not_implemented
from conformance.faults import FaultRates, draw_fault
from conformance.models.catalogue import RULES_BY_ID, is_wire
from conformance.models.expect import Allowed, Judgement
from conformance.models.model import Model, isolates
from conformance.models.outcomes import BatchMeterUsageResult, Outcome, ServiceError
from conformance.models.realize import realize
from conformance.models.requests import BatchMeterUsage, CallContext, RawRequest, Request
from conformance.models.response_rules import wire_rules
from conformance.models.rule_ids import RuleId
from conformance.models.state import UNKNOWN_ENTRY, ModelState, UsageKey
from conformance.models.world import Fixtures, World
from conformance.reporting.results import Verdict
from conformance.reporting.trace import TraceStep
from conformance.strategies import (
    Aim,
    Names,
    Scene,
    aim_for,
    aim_ready,
    clock_moves,
    fixture_changes,
    requests,
)
from conformance.targets.base import CAPABILITIES, Target, fault_target

__all__ = [
    "WALL_CLOCK_TOLERANCE",
    "Campaign",
    "CampaignResult",
    "Divergence",
    "behaviour",
    "judging_model",
    "run_campaign",
]

Sent = tuple[Request, CallContext]
_AFTER_REACH = 3  # candidates per send once the example has reached its rule
_REACHED = 2  # decided requests after which an example stops searching hard for its rule


class Divergence(AssertionError):
    """The target answered outside what the rule allows."""

    def __init__(self, rule: RuleId, steps: list[TraceStep], reasons: list[str]) -> None:
        super().__init__(f"{rule}: " + "; ".join(reasons))
        self.rule = rule
        self.steps = steps
        self.reasons = reasons


_NO_FAULTS = FaultRates()


@dataclass
class Campaign:
    """One rule's search against one target. ``start`` None: the target's clock cannot be set,
    so the campaign runs on wall time and never moves the clock. ``open_world``: the target
    cannot be reset, so a key may be recorded before the campaign touches it. ``faults``: each
    fault kind's rate the target injects (set on it by the caller)."""

    rule: RuleId
    model: Model
    target: Target
    fixtures: Fixtures
    start: datetime | None
    namespace: str = "campaign"
    budget: Budget = BUDGETS["quick"]
    seed: int = 0
    open_world: bool = False
    phases: tuple[Phase, ...] = tuple(Phase)
    faults: FaultRates = _NO_FAULTS
    database: ExampleDatabase | None = None
    """The corpus (:mod:`conformance.engine.corpus`): failing examples are saved in it, and
    its examples of this campaign's rule, profile and target are replayed first."""
    first_round: int = 0
    """The round to start at: slice k of a run on a duration is round k (its seed, its length)."""
    short: bool = False
    """Every round the length of the first (a slice of a run on a duration that is not owed to
    the rule's verdict: :mod:`conformance.engine.timed`), not twice the round before's."""

    @property
    def aim(self) -> Aim:
        return aim_for(self.rule)


@dataclass
class CampaignResult:
    rule: RuleId
    verdict: Verdict  # pass, fail or not-reached
    exercised: int
    steps: list[TraceStep] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    seed: int = 0
    # per operation sent: whether it ever succeeded, and the first answer when it had not yet
    answers: dict[str, tuple[bool, str]] = field(default_factory=dict)
    # the operations every determinate answer of which said the target does not implement them
    unimplemented: frozenset[str] = frozenset()
    # on a target that is not reset: the usage keys found holding a record nothing in this
    # campaign sent (an earlier campaign's or run's)
    recorded_before: int = 0
    # a failure: the example it was found in, counted from 1 over every round (a corpus's
    # examples are replayed first)
    found_in: int = 0
    # what the model made of each request sent (:func:`behaviour`), and how many sends showed it
    behaviours: Counter[str] = field(default_factory=Counter)


def run_campaign(campaign: Campaign) -> CampaignResult:
    """Run one campaign: rounds of Hypothesis examples until the rule has been decided (or the
    budget's rounds are spent). Side effects: the target is reset before every example, and
    its clock is moved."""
    if campaign.rule not in RULES_BY_ID:
        raise ValueError(f"unknown rule {campaign.rule!r}")
    without_source_constants()
    progress = _Progress()

    budget = campaign.budget
    round_seed = campaign.seed
    # a target that cannot be told everything may make the rule unreachable: no longer rounds
    rounds = budget.rounds if set(CAPABILITIES) <= campaign.target.capabilities else 1
    round_number = campaign.first_round
    rounds += round_number
    while round_number < rounds:
        round_seed = campaign.seed + round_number
        factory = seed(round_seed)(_factory(campaign, progress))
        # what Hypothesis saves the campaign's examples under (the machine's digest)
        factory._hypothesis_internal_add_digest = corpus_key(  # type: ignore[attr-defined]
            campaign.rule, campaign.model.profile.name, campaign.target.name
        )
        reuse = (
            (Phase.reuse,) if campaign.database is not None and round_number == campaign.first_round else ()
        )
        try:
            run_state_machine_as_test(  # type: ignore[no-untyped-call,unused-ignore]
                factory,  # type: ignore[arg-type]  # a factory is documented, typed as a class only
                settings=settings(
                    # a hard rule gets longer rounds
                    max_examples=budget.examples * 2 ** (0 if campaign.short else round_number),
                    stateful_step_count=budget.steps,
                    deadline=None,
                    database=campaign.database,
                    suppress_health_check=list(HealthCheck),
                    print_blob=False,
                    phases=tuple(dict.fromkeys((*reuse, *campaign.phases))),
                ),
            )
        except (Divergence, FlakyFailure, FlakyStrategyDefinition) as ended:
            # Hypothesis's own replay of an example may go differently (a target without reset,
            # or on wall time, changes what the strategies draw): keep the first failure, which
            # the engine's replay judges flaky or not; with none, the examples run so far stand
            seen = ended if isinstance(ended, Divergence) else progress.first
            if seen is not None:
                return CampaignResult(
                    campaign.rule,
                    Verdict.FAIL,
                    progress.exercised,
                    seen.steps,
                    seen.reasons,
                    round_seed,
                    progress.answers,
                    progress.unimplemented(),
                    found_in=progress.found_in,
                    behaviours=progress.behaviours,
                )
            if isinstance(ended, FlakyFailure):
                raise RuntimeError(f"campaign {campaign.rule}: {ended}") from ended
            if not progress.exercised and rounds < budget.rounds:
                rounds += 1  # the target cut the round short, it was not spent: another one
        if progress.exercised:
            return CampaignResult(
                campaign.rule,
                Verdict.PASS,
                progress.exercised,
                seed=round_seed,
                behaviours=progress.behaviours,
            )
        round_number += 1
    return CampaignResult(
        campaign.rule,
        Verdict.NOT_REACHED,
        0,
        seed=round_seed,
        answers=progress.answers,
        unimplemented=progress.unimplemented(),
        recorded_before=len(progress.recorded_before),
        behaviours=progress.behaviours,
    )


# How many times a campaign (aimed at retries, or on a target with injected faults) sends one
# request while its answers are indeterminate (with 10 % of each fault, four in ten are).
_SETTLE_TRIES = 8


def behaviour(request: Request, judgement: Judgement, outcome: Outcome) -> str:
    """What the model made of one request and its answer, as a run on a duration counts it
    (:mod:`conformance.engine.timed`): the operation, the rules that decided the answer, and
    the kind of answer (an error's code; a batch's record statuses). Two sends show the same
    behaviour when they took the same branches of the model's decision to the same kind of
    answer, whatever their values."""
    if judgement.indeterminate:
        kind = "indeterminate"
    elif isinstance(outcome, ServiceError):
        kind = outcome.code
    elif isinstance(outcome, BatchMeterUsageResult):
        statuses = sorted(
            {str(r.status) for r in outcome.results} | ({"unprocessed"} if outcome.unprocessed else set())
        )
        kind = "+".join(statuses) or "no results"
    else:
        kind = "ok"
    return f"{request.operation} [{','.join(sorted(judgement.decided))}] {kind}"


def _builds_state(model: Model, state: ModelState, allowed: Allowed) -> bool:
    """Whether the reference answer to ``allowed.request`` would change the model's state."""
    return model.step(state, allowed, _reference_answer(allowed)) != state


def _reaches(rule: RuleId, allowed: Allowed) -> bool:
    """Whether sending ``allowed.request`` decides ``rule`` and could show it broken: the model
    says the request decides it (or, for a wire rule, which judges the response rather than
    the request, the reference answer carries it), and the request breaks no other rule
    (``isolates``: only such a request can be a counterexample)."""
    if not isolates(rule, allowed):
        return False
    if rule in allowed.decided:
        return True
    return is_wire(rule) and rule in wire_rules(_reference_answer(allowed))


def _reference_answer(allowed: Allowed) -> Outcome:
    return realize(allowed, new_id=lambda: "candidate", sign=lambda _: "candidate")


# How far a target on wall time may see another now than the model judged at: the harness's
# clock (the target's, as learned from its Date headers, to within a second) is read before a
# request is built, the target's when it handles it, whole seconds both, and a loaded machine or
# a remote host puts seconds between the two. At 2 s a correct target without control was
# reported flaky in CI: a record drawn 6 h before the harness's now reached it 6 h old.
WALL_CLOCK_TOLERANCE = timedelta(seconds=10)


def judging_model(model: Model, clock: bool) -> Model:
    """The model to judge a target with: ``model`` itself on a target whose clock the harness
    sets, else one that lets either answer stand for a timestamp near a window edge."""
    return model if clock else replace(model, clock_tolerance=WALL_CLOCK_TOLERANCE)


@dataclass
class _Progress:
    """What a campaign's examples found, across its rounds (Hypothesis re-runs and shrinks
    examples; this keeps what the first run of each saw)."""

    exercised: int = 0  # requests that decided the rule
    first: Divergence | None = None  # the first divergence seen, whatever Hypothesis does next
    examples: int = 0  # examples started, over every round
    found_in: int = 0  # the example the first divergence was seen in (0: none)
    # per operation sent: whether it ever succeeded, and the first answer when it had not yet
    answers: dict[str, tuple[bool, str]] = field(default_factory=dict)
    implemented: dict[str, bool] = field(default_factory=dict)
    # on a target that is not reset: usage keys found holding a record nothing here sent
    recorded_before: set[UsageKey] = field(default_factory=set)
    behaviours: Counter[str] = field(default_factory=Counter)  # see CampaignResult.behaviours

    def answered(self, operation: str, outcome: Outcome, observed: str) -> None:
        ever, first = self.answers.get(operation, (False, observed))
        self.answers[operation] = (ever or not isinstance(outcome, ServiceError), first)
        if operation == RawRequest.operation:
            # a raw request names an unknown operation on purpose, or sends a body no operation
            # takes: "unknown operation" is its right answer, never a sign of a missing one (a
            # target answering it with a 500 was reported unimplemented, not failing WIRE-STATUS)
            return
        self.implemented[operation] = self.implemented.get(operation, False) or not not_implemented(outcome)

    def unimplemented(self) -> frozenset[str]:
        return frozenset(op for op, known in self.implemented.items() if not known)


@dataclass
class _Run:
    """What every example of one campaign shares: the campaign, its progress, and what is
    derived from them once."""

    campaign: Campaign
    progress: _Progress
    names: Names
    memo: dict[Any, Any]  # strategies of this campaign's possible and clocks (Scene.kept)
    told: bool  # the target is told the world; else it knows the declared callers only
    settle: bool  # an indeterminate answer is retried until decided
    # each request's faults are drawn from the example's data, not the target's plan: they are
    # part of the example, so Hypothesis replays an example with the faults it met (a plan the
    # target keeps would go on drawing, and a replayed example meet other faults: flaky rounds)
    rates: FaultRates | None
    # the campaign's world, one object for every example: strategies kept per world (Scene.kept)
    # then serve every example, where a world built per example missed at every first send
    world: World

    @classmethod
    def of(cls, campaign: Campaign, progress: _Progress) -> _Run:
        return cls(
            campaign,
            progress,
            Names(campaign.namespace),
            {},
            "world" in campaign.target.capabilities,
            campaign.aim.retry or campaign.faults.any,
            campaign.faults if campaign.faults.any else None,
            World.of(campaign.fixtures),
        )


def _factory(campaign: Campaign, progress: _Progress) -> Callable[[], CampaignMachine]:
    """A new machine per example, all of one class: Hypothesis keeps what it learns of a
    machine class (its rules) for the life of the process, so a class per campaign was kept
    with every campaign's strategies."""
    run = _Run.of(campaign, progress)
    return lambda: CampaignMachine(run)


class CampaignMachine(RuleBasedStateMachine):
    """One example of a campaign: requests drawn and sent one by one, each judged by the
    model. Its rules: send (two of five steps), retry a sent request, move the clock (twice as
    often in a campaign aimed at the month's end), change the fixtures. Side effects: resets
    the target when made, then sends to it, moves its clock and changes its fixtures."""

    def __init__(self, run: _Run) -> None:
        super().__init__()
        self.run = run
        run.progress.examples += 1
        campaign = run.campaign
        self.now = campaign.start or target_clock(campaign.target).now()
        self.state: ModelState = campaign.model.initial(run.world, open_world=campaign.open_world)
        self.steps: list[TraceStep] = []
        self.sent: list[Sent] = []
        self.reached = 0
        self.fault_random: random.Random | None = None
        campaign.target.reset(campaign.fixtures, self.now)

    def scene(self) -> Scene:
        campaign = self.run.campaign
        return Scene(
            campaign.model,
            self.state,
            self.now,
            self.run.names,
            heavy=campaign.aim.heavy,
            aim=campaign.aim,
            memo=self.run.memo,
            undeclared_callers=self.run.told,
        )

    @rule(data=st.data())
    def send(self, data: Any) -> None:
        # Draw candidates (new requests and repeats of sent ones) and send the first the
        # campaign's rule decides: many until the rule is reached, a few after. Shrinking
        # still simplifies every draw; only the sent request enters the trace.
        campaign = self.run.campaign
        model, aim = campaign.model, campaign.aim
        scene = self.scene()
        drawn = requests(scene, aim.kind_in(bool(self.state.resolved_customers)))
        if self.sent:
            drawn = st.one_of(drawn, st.sampled_from(self.sent))
        # per example, never across examples: generation must replay identically. A rule
        # reached only from some state (a recorded key to repeat, a resolved customer) cannot be
        # reached before it: no long search then (three in four candidates of a quick run of
        # 2026-11 were spent in searches that ended without reaching the rule)
        hard = self.reached < _REACHED and aim_ready(scene)
        tries = campaign.budget.search if hard else _AFTER_REACH
        builds: tuple[Request, CallContext, Allowed] | None = None
        repeat: tuple[Request, CallContext, Allowed] | None = None
        for _ in range(tries):
            request, context = data.draw(drawn)
            allowed = model.allowed(self.state, request, context, self.now)
            if _reaches(campaign.rule, allowed):
                if not aim.fresh or (request, context) not in self.sent:
                    break
                repeat = repeat or (request, context, allowed)
            elif builds is None and _builds_state(model, self.state, allowed):
                builds = (request, context, allowed)
        else:
            # nothing new decides the rule yet: a repeat that does, or else a request that
            # changes the model's state (a recorded key, a registration, a refused batch's
            # keys), which later requests need to reach the rule
            request, context, allowed = repeat or builds or (request, context, allowed)
        self._send(data, request, context, allowed)

    # Hypothesis picks among the rules whose preconditions hold, evenly: a second name for
    # ``send`` is its weight (sends are two steps in five, the rest retries, clock moves and
    # fixture changes), as a second name for ``move_clock`` is below.
    send_more = send

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data())
    def retry(self, data: Any) -> None:
        self._send(data, *data.draw(st.sampled_from(self.sent)))

    @precondition(lambda self: self.run.campaign.start is not None)
    @rule(data=st.data())
    def move_clock(self, data: Any) -> None:
        campaign = self.run.campaign
        self.now = data.draw(clock_moves(campaign.model.profile, self.now, campaign.aim.month_end))
        campaign.target.set_clock(self.now)
        self.steps.append(TraceStep("clock", self.now))

    # a campaign aimed at the month's end moves the clock twice as often
    move_clock_more = precondition(lambda self: self.run.campaign.aim.month_end)(move_clock)

    @precondition(lambda self: bool({"world", "subscriptions"} & self.run.campaign.target.capabilities))
    @rule(data=st.data())
    def change_fixtures(self, data: Any) -> None:
        # what the target cannot be told (target.world) is not told to the model either
        target = self.run.campaign.target
        fixtures = target.world(data.draw(fixture_changes(self.scene())))
        target.add_fixtures(fixtures)
        self.state = self.state.with_fixtures(fixtures)
        self.steps.append(TraceStep("fixtures", self.now, fixtures=fixtures))

    def _send(
        self,
        data: Any,
        request: Request,
        context: CallContext,
        allowed: Allowed | None = None,
        tries: int = 1,
    ) -> None:
        run, campaign = self.run, self.run.campaign
        target = campaign.target
        if run.rates is not None:
            if self.fault_random is None:
                # one Random per example, seeded from its data: draws at the stated rates
                # (Hypothesis's own draws lean to simple values), and the same on a replay
                self.fault_random = data.draw(st.randoms(use_true_random=True))
            fault = draw_fault(run.rates, isinstance(request, BatchMeterUsage), self.fault_random)
            faulty = fault_target(target)
            assert faulty is not None  # faults are set only on a target announcing them
            faulty.inject_next(fault.header())
        if campaign.start is None:
            self.now = target_clock(target).now()
            allowed = None  # judged at the new now
        stepped = exchange_step(
            campaign.rule, campaign.model, target, self.state, request, context, self.now, allowed
        )
        check = stepped.check
        run.progress.behaviours[behaviour(request, check.judgement, stepped.outcome)] += 1
        if not check.judgement.indeterminate:
            run.progress.answered(request.operation, stepped.outcome, stepped.step.observed)
        self.steps.append(stepped.step)
        self.sent.append((request, context))
        self.state = stepped.state
        if campaign.open_world:
            # a duplicate of a key nothing here recorded: the model holds only "some record"
            unknown = frozenset({UNKNOWN_ENTRY})
            run.progress.recorded_before.update(
                k for k, possible in self.state.usage.items() if possible == unknown
            )
        if check.decided:
            run.progress.exercised += 1
            self.reached += 1
        if check.diverges:
            divergence = Divergence(campaign.rule, list(self.steps), list(check.divergence))
            if run.progress.first is None:
                run.progress.first = divergence
                run.progress.found_in = run.progress.examples
            raise divergence
        if run.settle and check.judgement.indeterminate and tries < _SETTLE_TRIES:
            # the identical request again until an answer decides it: what RETRY-CONVERGES
            # judges, and with injected faults how every campaign builds the state it needs
            self._send(data, request, context, None, tries + 1)
