"""A whole run: every rule of the profile gets one campaign and one verdict.

Verdicts: ``pass``; ``fail`` (with the minimal trace, replayed once before it is reported);
``flaky`` (the trace did not reproduce on replay: both answers are kept); ``untestable`` (the
target cannot be given what the rule needs, or the harness lacks the phase that tests it);
``not-reached`` (the budget never produced a request the rule decides: a harness failure).
Campaigns run in worker processes (``workers``), each with its own target.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing import get_context

from hypothesis import Phase

from conformance.config import RunConfig
from conformance.emulator import Emulator
from conformance.engine.budget import BUDGETS, SLICE, Budget, duration_seconds, is_duration
from conformance.engine.campaign import Campaign, CampaignResult, judging_model, run_campaign
from conformance.engine.clock import target_clock
from conformance.engine.concurrency import CONCURRENT_RULE, certify_linearizable
from conformance.engine.corpus import corpus_database
from conformance.engine.minimize import minimize
from conformance.engine.replay import ReplayResult, replay
from conformance.engine.timed import Slice, SliceDone, at_once, run_on_duration
from conformance.faults import FaultRates
from conformance.models.catalogue import OPERATION_OF_KIND, RULES_BY_ID, Need
from conformance.models.model import Model
from conformance.models.needs import PASS_ONLY, Lack, lacking, untestable_reason
from conformance.models.rule_ids import RuleId
from conformance.models.world import SERVICE_REGION, World
from conformance.reporting.results import RuleResult, Verdict
from conformance.reporting.trace import Trace
from conformance.strategies import minimal_world
from conformance.targets import CAPABILITIES, TARGETS, Target, TargetSetupError, make_target
from conformance.targets.base import RECORDS, fault_target
from conformance.targets.http import ControlClient, ControlError
from conformance.wire.service_model import model_for

__all__ = [
    "RETRY_FAULTS",
    "START",
    "RuleResult",
    "RunConfig",
    "check_reachable",
    "needs_faults",
    "open_target",
    "parallelism",
    "run",
    "run_rule",
    "run_rule_for",
]

# The clock a clock-controlled target starts at: fixed, so a seed repeats a run exactly.
START = datetime(2026, 11, 2, 12, 0, 0, tzinfo=UTC)

# CONC-LINEARIZABLE sends requests at once from several threads to a target the harness resets
# and whose clock it sets, and that keeps up with threads (its registry entry's ``threads``: not
# moto in-process, not AWS); elsewhere it is untestable, for this reason.
_NOT_CONCURRENT = (
    "needs concurrent clients on a target the harness resets and sets the clock of "
    "(reference, reference-server, or an endpoint with the control protocol)"
)
# Rules that need injected faults (Need.INJECTED_FAULTS): their campaigns inject RETRY_FAULTS
# (every request meets a fault, four in five blocked: above what --faults allows a run, since
# the campaign retries every indeterminate answer until decided), on a target announcing
# ``faults``. So an answer is lost often enough to kill an emulator that records a retry twice
# in every seed: 20 of 20, where faults spread evenly over the six kinds at 1.0 kill it in 19
# (measured with the retry-recorded-again mutant, seeds 1-20, quick budget).
RETRY_FAULTS = FaultRates.blocking(0.8)


@dataclass
class _Worker:
    """One process's model and opened target, kept across the campaigns it runs."""

    config: RunConfig
    model: Model = field(init=False)
    target: Target = field(init=False)

    def __post_init__(self) -> None:
        self.model, self.target = open_target(self.config)


_worker: _Worker | None = None


def _init_worker(config: RunConfig) -> None:
    global _worker
    _worker = _Worker(config)


def _run_in_worker(rule: RuleId, part: Slice | None = None) -> RuleResult:
    assert _worker is not None
    return run_rule(_worker.config, rule, _worker.model, _worker.target, part)


def run(
    config: RunConfig,
    on_result: Callable[[RuleResult], None] = lambda _: None,
    workers: int | None = None,
    on_slice: Callable[[SliceDone], None] = lambda _: None,
) -> list[RuleResult]:
    """Run every campaign of ``config``; ``on_result`` sees each verdict as it comes;
    ``workers``: what :func:`parallelism` answered, where the caller asked already; on a
    duration (``config.budget`` such as ``10m``: :mod:`conformance.engine.timed`) ``on_slice``
    sees each slice as it ends. Raises TargetSetupError when the target cannot be reached or
    set up."""
    ids = config.rule_ids()
    results: dict[RuleId, RuleResult] = {}
    if workers is None:
        workers, _ = parallelism(config)
    for result in _results(config, ids, workers, on_slice):
        results[result.id] = result
        on_result(result)
    return [results[r] for r in ids]


def parallelism(config: RunConfig) -> tuple[int, str | None]:
    """How many campaigns run at once, and why fewer than asked (None: as asked). Side effects:
    those of :func:`check_reachable`, so a target that cannot be reached is found before any
    worker starts; raises TargetSetupError when nothing answers."""
    announced = check_reachable(config)
    asked = max(1, config.workers)
    # a target every worker would share runs campaigns one at a time (an endpoint announcing the
    # control protocol's scopes excepted: each worker works in a scope of its own)
    if asked == 1 or not TARGETS[config.target.name].shared:
        return asked, None
    if config.target.name == "endpoint" and config.target.endpoint_url:
        if {"reset", "fixtures", "scopes"} <= announced:
            return asked, None
        return 1, "the endpoint announces no scopes: campaigns run one at a time"
    return 1, f"every campaign shares the {config.target.name} target: campaigns run one at a time"


def check_reachable(config: RunConfig) -> frozenset[str]:
    """What a user-started server announces of the control protocol (empty: nothing, or an
    in-process target). Raises TargetSetupError when nothing answers. Side effects: asks an
    ``endpoint`` ``GET /_conformance``; opens (resets) a moto server the user started."""
    url = config.target.endpoint_url
    if config.target.name == "moto-server" and url:
        _, target = open_target(config)
        target.close()
    if config.target.name == "endpoint" and url:
        try:
            return ControlClient(url).probe() or frozenset()
        except ControlError as exc:
            raise TargetSetupError(f"endpoint {url} cannot be reached: {exc}") from None
    return frozenset()


def _results(
    config: RunConfig, rules: list[RuleId], workers: int, on_slice: Callable[[SliceDone], None]
) -> Iterator[RuleResult]:
    if not rules:
        return
    seconds = duration_seconds(config.budget)  # None: a level, not a duration
    if workers == 1:
        _init_worker(config)
        try:
            if seconds is None:
                yield from (_run_in_worker(rule) for rule in rules)
            else:
                yield from run_on_duration(rules, seconds, at_once(_run_in_worker), 1, on_slice)
        finally:
            assert _worker is not None
            _worker.target.close()
        return
    with _shared_emulator(config) as config:
        # spawned, not forked: a worker must not inherit what its parent had running (a moto
        # mock, a frozen clock, server threads), whoever calls run (the CLI, the plugin, a test)
        spawn = get_context("spawn")
        with ProcessPoolExecutor(workers, spawn, initializer=_init_worker, initargs=(config,)) as pool:
            if seconds is not None:
                yield from run_on_duration(
                    rules, seconds, lambda rule, k: pool.submit(_run_in_worker, rule, k), workers, on_slice
                )
                return
            futures = [pool.submit(_run_in_worker, r) for r in rules]
            yield from (done.result() for done in as_completed(futures))


@contextmanager
def _shared_emulator(config: RunConfig) -> Iterator[RunConfig]:
    """For ``reference-server`` with several workers: one emulator for all of them, started
    here (each worker's target works in a scope of its own), and the config that names it."""
    if config.target.name != "reference-server" or config.target.endpoint_url:
        yield config
        return
    emulator = Emulator(model_for(config.profile.name)).start()
    try:
        yield replace(config, target=replace(config.target, endpoint_url=emulator.url))
    finally:
        emulator.close()


def open_target(config: RunConfig) -> tuple[Model, Target]:
    """The run's model and its target, opened. Raises TargetSetupError."""
    model = model_for(config.profile.name)
    target = make_target(config.target, model)
    target.open(minimal_world("setup", config.profile.name), START)
    return model, target


def rule_seed(seed: int, rule: RuleId) -> int:
    """The campaign seed of ``rule``: the same for a rule whatever else the run includes."""
    return seed * 1_000_003 + zlib.crc32(rule.encode())


def fault_rates(config: RunConfig, rule: RuleId) -> FaultRates:
    """The faults ``rule``'s campaign injects: the run's (:meth:`FaultRates.spread`), and
    RETRY_FAULTS for a rule tested only through faults."""
    return RETRY_FAULTS if needs_faults(rule) else FaultRates.spread(config.faults)


def needs_faults(rule: RuleId) -> bool:
    """Whether ``rule`` is decided only through injected faults (RETRY-CONVERGES)."""
    return Need.INJECTED_FAULTS in RULES_BY_ID[rule].needs


def run_rule(
    config: RunConfig, rule: RuleId, model: Model, target: Target, part: Slice | None = None
) -> RuleResult:
    """One campaign, its verdict, and for a failure the trace replayed once; with the faults
    injected meanwhile. ``part``: in a run on a duration, the campaign is that slice of the
    rule (:data:`conformance.engine.budget.SLICE`), not one of ``config.budget``. Side
    effects: the target's faults are set for the campaign (a target that cannot meet faults
    gets none, and a rule that needs them is untestable)."""
    target_clock(target)  # a target whose clock cannot be set is read before faults are set
    faulty = fault_target(target)
    rates = fault_rates(config, rule) if faulty is not None else FaultRates()
    if faulty is not None:
        # a campaign draws each request's faults from its examples; the concurrency phase from
        # this plan, seeded per rule so that it meets the same faults whichever worker runs it
        faulty.set_faults(rates, rule_seed(config.seed, rule))
    injected = faulty.faults_injected if faulty is not None else dict
    before = Counter(injected())
    result = _run_rule(config, rule, model, target, rates, part)
    during = Counter(injected())
    during.subtract(before)
    injected_now = tuple(sorted((k, n) for k, n in during.items() if n > 0))
    return replace(result, faults=injected_now, fault_rate=rates.total, slices=1)


def run_rule_for(config: RunConfig, rule: RuleId, model: Model, target: Target, seconds: float) -> RuleResult:
    """``rule`` alone on a duration of ``seconds``: its slices (:mod:`conformance.engine.timed`)
    in this process. Side effects: those of :func:`run_rule`."""
    slices = run_on_duration(
        [rule], seconds, at_once(lambda r, part: run_rule(config, r, model, target, part))
    )
    return next(iter(slices))


def _run_rule(
    config: RunConfig, rule: RuleId, model: Model, target: Target, rates: FaultRates, part: Slice | None
) -> RuleResult:
    if rule == CONCURRENT_RULE:
        if not TARGETS[config.target.name].threads or not {"reset", "clock"} <= target.capabilities:
            return RuleResult(rule, Verdict.UNTESTABLE, 0, _NOT_CONCURRENT)
        fixtures = target.world(minimal_world(rule.lower(), config.profile.name))
        return certify_linearizable(
            config,
            model,
            target,
            fixtures,
            START,
            rule_seed(config.seed, rule),
            _budget(config, part).examples,
        )
    started = datetime.now(UTC)
    clock = "clock" in target.capabilities
    model = judging_model(model, clock)
    declared = minimal_world(rule.lower(), config.profile.name)
    world = World.of(target.world(declared))
    lacks = lacking(RULES_BY_ID[rule], world, model.profile, SERVICE_REGION, target.capabilities)
    file = str(config.target.fixtures_file) if config.target.fixtures_file else None
    blocking = tuple(lack for lack in lacks if lack.need not in PASS_ONLY)
    if blocking:
        # no request this world allows could decide the rule: said before any campaign runs
        return RuleResult(rule, Verdict.UNTESTABLE, 0, untestable_reason(blocking, file, target.name))
    campaign = Campaign(
        rule,
        model,
        target,
        target.world(declared),
        START if clock else None,
        namespace=rule.lower(),
        budget=_budget(config, part),
        seed=rule_seed(config.seed, rule),
        open_world="reset" not in target.capabilities,
        phases=(Phase.explicit, Phase.generate),  # minimized by replays instead: see minimize.py
        faults=rates,
        database=corpus_database(config.corpus, config.shared_corpus),
        first_round=part.number if part else 0,
        short=part is not None and not part.owed,
    )
    result = run_campaign(campaign)
    judged = _verdict(config, campaign, result, lacks, (datetime.now(UTC) - started).total_seconds())
    return replace(judged, behaviours=tuple(sorted(result.behaviours.items())))


def _budget(config: RunConfig, part: Slice | None) -> Budget:
    """A campaign's budget: the run's level, or on a duration one slice."""
    return SLICE if part is not None or is_duration(config.budget) else BUDGETS[config.budget]


def _verdict(
    config: RunConfig, campaign: Campaign, result: CampaignResult, lacks: tuple[Lack, ...], seconds: float
) -> RuleResult:
    """The rule's result from its campaign's: for a failure, the trace minimized and replayed."""
    rule, target, model = campaign.rule, campaign.target, campaign.model
    clock = campaign.start is not None
    file = str(config.target.fixtures_file) if config.target.fixtures_file else None
    if result.verdict == Verdict.PASS and lacks:
        # what it could judge held, but a pass needs what it lacks (a key to verify signatures)
        reason = f"{untestable_reason(lacks, file, target.name)} (nothing else it judged was wrong)"
        return RuleResult(rule, Verdict.UNTESTABLE, result.exercised, reason, seconds=seconds)
    if result.verdict == Verdict.PASS:
        return RuleResult(rule, Verdict.PASS, result.exercised, _answers_only(rule, target), seconds=seconds)
    missing = _missing_operation(rule, result)
    if missing is not None:
        answer = result.answers[missing][1].splitlines()[0]
        reason = f"{target.name} does not implement {missing}: {answer}"
        return RuleResult(
            rule, Verdict.UNIMPLEMENTED, 0, reason, received=answer, seconds=seconds, operation=missing
        )
    if result.verdict == Verdict.NOT_REACHED:
        return _unreached(rule, target, config.budget, seconds, result)
    trace = minimize(_trace(config, campaign, result, clock), target, model)
    # everything reported is read off the minimal trace, never off the example it came from
    failing = trace.steps[-1]
    trace = replace(trace, reasons=failing.divergence)
    again = replay(trace, target, model)
    common = {
        "trace": trace,
        "expected": failing.expected,
        "received": failing.observed,
        "seconds": seconds,
        "found_in": result.found_in,
    }
    if again.reproduced:
        return RuleResult(rule, Verdict.FAIL, result.exercised, "; ".join(failing.divergence), **common)  # type: ignore[arg-type]
    replayed = _parted(again)
    reason = "the failing trace did not reproduce on replay: " + "; ".join(failing.divergence)
    return RuleResult(rule, Verdict.FLAKY, result.exercised, reason, replayed=replayed, **common)  # type: ignore[arg-type]


def _parted(replayed: ReplayResult) -> str | None:
    """Where a replay that did not reproduce first got another kind of answer than the trace
    (an error for a success, another error), else its last answer: what a flaky verdict shows."""
    for number, step in enumerate(replayed.steps, 1):
        now, then = step.step.observed.split(" ", 2)[:2], step.recorded.split(" ", 2)[:2]
        if step.recorded and now != then:
            return (
                f"step {number}: {step.step.observed}\n(the trace received: {step.recorded.splitlines()[0]})"
            )
    return replayed.steps[-1].step.observed if replayed.steps else None


def _missing_operation(rule: RuleId, result: CampaignResult) -> str | None:
    """The operation the rule failed or went unreached for because the target does not
    implement it (every answer said so), if that is why."""
    if result.verdict == Verdict.FAIL:
        failing = result.steps[-1].request
        operation = failing.operation if failing is not None else None
    else:
        operation = OPERATION_OF_KIND.get(RULES_BY_ID[rule].kind)
    return operation if operation in result.unimplemented else None


def _unreached(
    rule: RuleId, target: Target, budget: str, seconds: float, result: CampaignResult
) -> RuleResult:
    operation = OPERATION_OF_KIND.get(RULES_BY_ID[rule].kind)
    answers = result.answers
    if result.recorded_before:
        # what a target that is not reset leaves: the keys the world allows fill up
        reason = (
            f"not reached at budget {budget}: nothing is reset, and {result.recorded_before} usage "
            f"{'key' if result.recorded_before == 1 else 'keys'} it drew held records of earlier "
            "campaigns or runs (run it on its own against a "
            f"fresh target, --rules {rule}, or declare more callers, customers or dimensions)"
        )
        return RuleResult(rule, Verdict.UNTESTABLE, 0, reason, seconds=seconds)
    if operation in answers and not answers[operation][0]:
        # the specific cause: what the rule needs never worked on this target
        answer = answers[operation][1].splitlines()[0]
        reason = f"{operation} never succeeded on {target.name}: {answer}"
        return RuleResult(rule, Verdict.UNTESTABLE, 0, reason, seconds=seconds)
    missing = sorted(set(CAPABILITIES) - set(target.capabilities))
    if missing:
        told = "; ".join(CAPABILITIES[m] for m in missing)
        reason = f"no request this target's world allows decided it (target {target.name} cannot: {told})"
        return RuleResult(rule, Verdict.UNTESTABLE, 0, reason, seconds=seconds)
    longer = "a longer --budget" if is_duration(budget) else "--budget deep"
    reason = f"budget {budget} never produced a request this rule decides (a harness failure; try {longer})"
    return RuleResult(rule, Verdict.NOT_REACHED, 0, reason, seconds=seconds)


def _answers_only(rule: RuleId, target: Target) -> str | None:
    """What a pass did not see: on a target that lists no records, what a rule says of records
    was judged only where a later answer on the same key showed it."""
    if not RULES_BY_ID[rule].about_records or RECORDS in target.capabilities:
        return None
    return (
        "judged from answers only: the target lists no records, so what it recorded was seen "
        "only where a later request met the same key"
    )


def _trace(config: RunConfig, campaign: Campaign, result: CampaignResult, clock: bool) -> Trace:
    start = campaign.start or (result.steps[0].now if result.steps else START)
    return Trace(
        rule=campaign.rule,
        profile=config.profile.name,
        target=config.target.name,
        seed=result.seed,
        fixtures=campaign.fixtures,
        start=start,
        clock=clock,
        steps=tuple(result.steps),
        reasons=tuple(result.reasons),
        faults=campaign.faults.total,
    )
