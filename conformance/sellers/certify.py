"""Certifying a seller's command: run it without faults and under faults (once per seed)
against the same service, judge every client rule, and shrink the faults of each broken rule
to a minimal schedule that still breaks it.

The property is Jepsen's differential one: what the service holds after the run under faults
must equal what it holds after the run without them (CLIENT-EXACTLY-ONCE). The other client
rules need no intent: each is judged on what the code sent, in every run.
"""

from __future__ import annotations

import hashlib
import shlex
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from conformance.faults import Fault, FaultPlan, FaultRates, FaultSource, RequestFaults, Sent
from conformance.models.catalogue import CLIENT_RULES
from conformance.models.rule_ids import RuleId
from conformance.models.seller import (
    BACKOFF_STREAK,
    BACKOFF_TOTAL_SECONDS,
    Breach,
    fingerprint,
    judge_records,
)
from conformance.reporting.results import Verdict
from conformance.sellers.command import ClientRun
from conformance.sellers.pool import ServicePool
from conformance.sellers.shrink import Address, RequestAddressedFaults, addressed_faults, shrink
from conformance.sellers.wording import EXACTLY_ONCE

__all__ = [
    "BaselineError",
    "ClientConfig",
    "ClientReport",
    "ClientRuleResult",
    "ThrottledWhileQuick",
    "certify_client",
    "run_seed",
]

K = TypeVar("K")


def run_seed(seed: int, run: int) -> int:
    """The fault seed of run ``run`` (from 1) of a certification with ``--seed seed``."""
    digest = hashlib.sha256(f"conformance client seed {seed} run {run}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


class BaselineError(Exception):
    """The command does not run cleanly without faults: nothing to compare the faulty run with."""


@dataclass(frozen=True)
class ClientConfig:
    command: tuple[str, ...]
    profile: str
    rate: float = 0.0
    seed: int = 0
    schedule: RequestFaults | None = None
    """Given (``--schedule``): the faults of the run, instead of drawing them at ``rate``."""
    fixtures_file: Path | None = None
    caller: str | None = None
    """The access key the code signs with (a caller the fixtures declare); None: a throwaway one."""
    timeout: float = 120.0
    shrink_runs: int = 40
    reruns: int = 2
    """How often a run under faults that exits non-zero is started again (as cron or a queue's
    redrive would rerun a job that said it failed); the records are judged after the last."""
    shrink_time: float = 60.0
    """Seconds a broken rule's faults may shrink for; a schedule cut short says it may not be
    minimal."""
    runs: int = 5
    """Runs under faults, each drawing from its own seed derived from ``seed`` (one run with a
    schedule)."""

    def seeds(self) -> tuple[int, ...]:
        """The fault seed of each run under faults: derived from ``seed`` and the run's number, so
        no run of one ``--seed`` is a run of another (seed 1's runs are not seed 2's shifted)."""
        if self.schedule is not None:
            return (self.seed,)
        return tuple(run_seed(self.seed, run) for run in range(1, self.runs + 1))

    def faults(self, seed: int) -> FaultSource:
        if self.schedule is not None:
            return self.schedule
        return FaultPlan(FaultRates.spread(self.rate), seed)


@dataclass(frozen=True)
class ClientRuleResult:
    rule: RuleId
    verdict: Verdict
    judged: int
    """How many times the rule had something to judge, over every run compared."""
    breaches: tuple[Breach, ...] = ()
    """What broke it, in :attr:`run` (the run of the minimal schedule)."""
    schedule: RequestFaults | None = None
    """The minimal schedule that breaks it (empty: it breaks without faults)."""
    seed: int | None = None
    """The fault seed of the run under faults that broke it first (:func:`run_seed`)."""
    run: ClientRun | None = None
    shrink_runs: int = 0
    exhausted: bool = False
    shrunk: bool = True
    """False for a schedule given with ``--schedule``: its run is reported as it broke the rule."""
    unlike: str = ""
    """For a flaky rule: how the run under the same faults that did not break it differed."""


@dataclass(frozen=True)
class ClientReport:
    config: ClientConfig
    baseline: ClientRun
    faulty: tuple[ClientRun, ...]
    """The runs under faults, one per seed of :meth:`ClientConfig.seeds`."""
    results: tuple[ClientRuleResult, ...]
    seconds: float
    runs: int = 2
    """Every run of the command: those compared and those that shrank."""
    aimed: tuple[RuleId, ...] = ()
    """The rules the last runs of :attr:`faulty` were aimed at, one each, after the drawn runs
    (a rule no drawn run reached)."""

    @property
    def exit_code(self) -> int:
        return 1 if any(r.verdict in (Verdict.FAIL, Verdict.FLAKY) for r in self.results) else 0


def certify_client(config: ClientConfig, pool: ServicePool) -> ClientReport:
    """Judge ``config.command`` on the services of ``pool``. Raises BaselineError when it fails
    without faults, ClientCommandError when it cannot be started. Side effects: runs the command
    once without faults and once per seed under faults, all at once as far as the pool has
    services, then the candidate schedules of each broken rule, as many at once; each run
    resets the service it runs on."""
    started = time.monotonic()
    counted = _Counter()

    def run_all(sources: list[FaultSource]) -> list[ClientRun]:
        counted.add(len(sources))
        return pool.run_all(config.command, sources, config.timeout, config.reruns)

    baseline, drawn, throttled = _first_runs(pool, config)
    counted.add(1 + len(drawn) + len(throttled))
    if baseline.exit_code != 0:
        raise BaselineError(
            f"{shlex.join(config.command)} {baseline.ended} without faults (its last line: "
            f"{baseline.last_line}); make it run cleanly against the emulator first"
        )
    # a rule the drawn runs never reached gets a run aimed at it (a replay gets none)
    unreached = [] if config.schedule is not None else _unreached(baseline, (*drawn, *throttled))
    aimed = (*(_BACKOFF for _ in throttled), *(rule for rule, _ in unreached))
    faulty = (*drawn, *throttled, *run_all([schedule for _, schedule in unreached]))

    logs = [r.judgement for r in (baseline, *faulty)]
    results = []
    for rule in CLIENT_RULES:
        if rule.id == EXACTLY_ONCE:
            judged = len(baseline.records)
        else:
            judged = sum(log.judged.get(rule.id, 0) for log in logs)
        breaks = _breaches_of(rule.id, baseline)
        tried = zip((*config.seeds(), *(None for _ in aimed)), faulty, strict=True)
        # a given --schedule is a replay: its one run is the answer, shrunk already
        shrink_runs = config.shrink_runs if config.schedule is None else None
        budget = _Budget(shrink_runs, config.shrink_time, pool.workers) if shrink_runs is not None else None
        results.append(_judge(rule.id, judged, baseline, tried, breaks, run_all, budget))
    seconds = time.monotonic() - started
    return ClientReport(config, baseline, faulty, tuple(results), seconds, counted.total, aimed)


_CLEAN = RequestFaults()
_BACKOFF: RuleId = "CLIENT-BACKOFF"


class ThrottledWhileQuick:
    """CLIENT-BACKOFF's run, which drawn faults seldom give: the sends of the run's first request
    are throttled in a row, BACKOFF_STREAK at most, for as long as the resends come back quickly:
    their waits since the throttles before them (as the proxy measures the waits the rule adds up,
    or less) less than BACKOFF_TOTAL_SECONDS in all. A job that resends at once meets the whole
    streak and breaks the rule; one that backs off is throttled once and goes on: its late resend
    ends every streak that could break the rule, and no more of its own sleeps are waited for (an
    SDK sleeps up to 1, 2, 4 s after throttles in a row). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: str | None = None
        self._throttled = 0
        self._waited = 0.0
        self._over = False

    def fault(self, sent: Sent) -> Fault:
        with self._lock:
            if self._first is None:
                self._first = sent.key
            elif sent.key != self._first or self._over:
                return Fault()
            else:
                waited = sent.since_answer if sent.since_answer is not None else BACKOFF_TOTAL_SECONDS
                self._waited += waited
                if self._throttled >= BACKOFF_STREAK or self._waited >= BACKOFF_TOTAL_SECONDS:
                    self._over = True
                    return Fault()
            self._throttled += 1
            return Fault("throttle")


def _first_runs(
    pool: ServicePool, config: ClientConfig
) -> tuple[ClientRun, tuple[ClientRun, ...], tuple[ClientRun, ...]]:
    """The run without faults (no rerun: it must exit 0 as it is), one per seed under faults,
    and (but for a replay) the run that throttles in a row, as many at once as the pool has
    services. The throttled run starts first: an SDK's backoff makes it the longest."""
    throttled: list[FaultSource] = [] if config.schedule is not None else [ThrottledWhileQuick()]
    sources = [_CLEAN, *throttled, *(config.faults(seed) for seed in config.seeds())]
    runs = pool.map(
        lambda faults: pool.run(
            config.command, faults, config.timeout, 0 if faults is _CLEAN else config.reruns
        ),
        sources,
    )
    return runs[0], tuple(runs[1 + len(throttled) :]), tuple(runs[1 : 1 + len(throttled)])


# The fault that reaches each rule, met on the first send of each request of these operations
_AIMS: dict[RuleId, tuple[tuple[str, ...], Fault]] = {
    "CLIENT-RETRY-FAILED": (("MeterUsage", "BatchMeterUsage"), Fault("throttle")),
    "CLIENT-RETRY-UNPROCESSED": (("BatchMeterUsage",), Fault(None, 0, 0)),
    "CLIENT-NO-STORM": (("MeterUsage", "BatchMeterUsage"), Fault("throttle")),
    "CLIENT-IDENTICAL-RETRY": (("MeterUsage", "BatchMeterUsage"), Fault("reset-after")),
}


def _unreached(baseline: ClientRun, drawn: Sequence[ClientRun]) -> list[tuple[RuleId, RequestFaults]]:
    """Each rule no drawn run reached, with a schedule that meets every first send of the
    baseline's requests it concerns with the fault that reaches it (by content, so the same
    requests of a run under faults meet it); one schedule for rules that share one."""
    aimed: list[tuple[RuleId, RequestFaults]] = []
    for rule, (operations, fault) in _AIMS.items():
        if any(run.judgement.judged.get(rule, 0) for run in (baseline, *drawn)):
            continue
        schedule = RequestFaults(
            {
                (fingerprint(e.operation, e.body), 1): fault
                for e in baseline.exchanges
                if e.operation in operations
            }
        )
        if schedule and all(schedule != other for _, other in aimed):
            aimed.append((rule, schedule))
    return aimed


def _breaches_of(rule: RuleId, baseline: ClientRun) -> Callable[[ClientRun], tuple[Breach, ...]]:
    """How a run breaks ``rule``: its records against the baseline's, or its log."""
    if rule == EXACTLY_ONCE:
        return lambda candidate: judge_records(baseline.records, candidate.records)
    return lambda candidate: candidate.judgement.of(rule)


@dataclass(frozen=True)
class _Budget:
    """What shrinking one rule's faults may take: runs, seconds, and runs at once."""

    runs: int
    seconds: float
    at_once: int


class _Counter:
    """Runs of the command so far (thread-safe)."""

    def __init__(self) -> None:
        self.total = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.total += n


def _judge(
    rule: RuleId,
    judged: int,
    baseline: ClientRun,
    faulty: Iterable[tuple[int | None, ClientRun]],
    breaks: Callable[[ClientRun], tuple[Breach, ...]],
    run_all: Callable[[list[FaultSource]], list[ClientRun]],
    budget: _Budget | None,
) -> ClientRuleResult:
    """``budget``: what shrinking may take; None: the faults met are not shrunk (a replay of a
    given schedule), and the run that broke the rule is the one reported."""
    if rule != EXACTLY_ONCE and (found := breaks(baseline)):
        return ClientRuleResult(rule, Verdict.FAIL, judged, found, RequestFaults(), None, baseline)
    seed, first = next(((seed, r) for seed, r in faulty if breaks(r)), (None, None))
    if first is None:
        return ClientRuleResult(rule, Verdict.PASS if judged else Verdict.NOT_REACHED, judged)
    if budget is None:
        return ClientRuleResult(
            rule, Verdict.FAIL, judged, breaks(first), first.schedule, seed, first, shrunk=False
        )
    started = time.monotonic()
    start = tuple(addressed_faults(first.exchanges))
    by_request: _Trials[Address] = _Trials(
        lambda chosen: run_all([RequestAddressedFaults(start, c) for c in chosen]), breaks
    )
    if not by_request.breaks(start):  # the same faults did not break it again
        held = by_request.runs[start]
        return ClientRuleResult(
            rule,
            Verdict.FLAKY,
            judged,
            breaks(first),
            first.schedule,
            seed,
            first,
            1,
            unlike=_unlike(first, held),
        )
    shrunk = shrink(
        start,
        by_request.breaks,
        budget.runs,
        seconds=budget.seconds,
        at_once=budget.at_once,
        breaks_all=by_request.breaks_all,
        streaks=True,
    )
    minimal, runs, exhausted = by_request.runs[shrunk.faults], shrunk.runs, shrunk.exhausted
    if len(minimal.schedule) > 1 and not exhausted:
        # By number too: a fault whose request an earlier fault changed (a batch regrouped
        # after UnprocessedRecords) may break the rule alone, on the request it met.
        by_number: _Trials[int] = _Trials(
            lambda chosen: run_all([RequestFaults(dict(c)) for c in chosen]), breaks
        )
        again = shrink(
            tuple((n, f) for n, f in minimal.schedule_by_number.faults.items() if isinstance(n, int)),
            by_number.breaks,
            budget.runs - runs,
            seconds=budget.seconds - (time.monotonic() - started),
            at_once=budget.at_once,
            breaks_all=by_number.breaks_all,
        )
        if len(again.faults) < len(minimal.schedule):
            minimal = by_number.runs[again.faults]
        runs, exhausted = runs + again.runs, again.exhausted
    (replayed,) = run_all([minimal.schedule])  # as the report's replay command will run it
    flaky = not breaks(replayed)
    return ClientRuleResult(
        rule,
        Verdict.FLAKY if flaky else Verdict.FAIL,
        judged,
        breaks(minimal),
        minimal.schedule,
        seed,
        minimal,
        runs + 2,
        exhausted,
        unlike=_unlike(minimal, replayed) if flaky else "",
    )


def _unlike(broke: ClientRun, held: ClientRun) -> str:
    """Why the same faults broke a rule in one run and not in another: what differed."""
    for run, which in ((broke, "the run that broke it"), (held, "the run that did not")):
        if run.exit_code is None:
            return f"{which} was killed at the timeout: give the job a longer --timeout"
    sent = [fingerprint(e.operation, e.body) for e in broke.exchanges]
    again = [fingerprint(e.operation, e.body) for e in held.exchanges]
    if sent != again:
        if sorted(sent) == sorted(again):
            return "the job sent the same requests in another order (threads, or an order of its own)"
        return "the job sent other requests under the same faults: they depend on more than the faults"
    return "the job sent the same requests under the same faults: their timing decided the rest"


class _Trials(Generic[K]):
    """Runs of the code under chosen faults, each choice run once: ``breaks_all(choices)``
    says whether the run of each breaks the rule (running those not run yet together);
    ``runs`` keeps every run by its choice."""

    def __init__(
        self,
        run_all: Callable[[list[tuple[tuple[K, Fault], ...]]], list[ClientRun]],
        breaks: Callable[[ClientRun], tuple[Breach, ...]],
    ) -> None:
        self._run_all, self._breaks = run_all, breaks
        self.runs: dict[tuple[tuple[K, Fault], ...], ClientRun] = {}

    def breaks_all(self, choices: list[tuple[tuple[K, Fault], ...]]) -> list[bool]:
        fresh = [c for c in dict.fromkeys(choices) if c not in self.runs]
        self.runs.update(zip(fresh, self._run_all(fresh), strict=True))
        return [bool(self._breaks(self.runs[c])) for c in choices]

    def breaks(self, chosen: tuple[tuple[K, Fault], ...]) -> bool:
        return self.breaks_all([chosen])[0]
