"""Certifying a seller's command: run it without faults and under faults (once per seed)
against the same service, judge every client rule, and shrink the faults of each broken rule
to a minimal schedule that still breaks it.

The property is Jepsen's differential one: what the service holds after the run under faults
must equal what it holds after the run without them (CLIENT-EXACTLY-ONCE). The other client
rules need no intent: each is judged on what the code sent, in every run.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from conformance.faults import Fault, FaultPlan, FaultRates, FaultSource, RequestFaults
from conformance.models.catalogue import CLIENT_RULES
from conformance.models.rule_ids import RuleId
from conformance.models.seller import Breach, judge_records
from conformance.reporting.results import Verdict
from conformance.sellers.command import ClientRun, run_client
from conformance.sellers.service import MeteringService
from conformance.sellers.shrink import Address, RequestAddressedFaults, addressed_faults, shrink
from conformance.sellers.wording import EXACTLY_ONCE

__all__ = ["BaselineError", "ClientConfig", "ClientReport", "ClientRuleResult", "certify_client"]

K = TypeVar("K")


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
    timeout: float = 120.0
    shrink_runs: int = 40
    runs: int = 5
    """Runs under faults, with seeds ``seed``, ``seed + 1``, ... (one with a schedule)."""

    def seeds(self) -> tuple[int, ...]:
        return (self.seed,) if self.schedule is not None else tuple(range(self.seed, self.seed + self.runs))

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
    """The seed of the run under faults that broke it first."""
    run: ClientRun | None = None
    shrink_runs: int = 0
    exhausted: bool = False
    shrunk: bool = True
    """False for a schedule given with ``--schedule``: its run is reported as it broke the rule."""


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

    @property
    def exit_code(self) -> int:
        return 1 if any(r.verdict in (Verdict.FAIL, Verdict.FLAKY) for r in self.results) else 0


def certify_client(config: ClientConfig, service: MeteringService) -> ClientReport:
    """Judge ``config.command`` on ``service``. Raises BaselineError when it fails without
    faults, ClientCommandError when it cannot be started. Side effects: runs the command once
    without faults, once per seed under faults, and once per candidate schedule while shrinking,
    resetting the service each time."""
    started = time.monotonic()
    baseline = run_client(service, config.command, RequestFaults(), config.timeout)
    if baseline.exit_code != 0:
        raise BaselineError(
            f"{shlex.join(config.command)} {baseline.ended} without faults (its last line: "
            f"{baseline.last_line}); make it run cleanly against the emulator first"
        )
    faulty = tuple(
        run_client(service, config.command, config.faults(seed), config.timeout) for seed in config.seeds()
    )
    runs = [1 + len(faulty)]

    def run(faults: FaultSource) -> ClientRun:
        runs[0] += 1
        return run_client(service, config.command, faults, config.timeout)

    logs = [r.judgement for r in (baseline, *faulty)]
    results = []
    for rule in CLIENT_RULES:
        if rule.id == EXACTLY_ONCE:
            judged = len(baseline.records)
        else:
            judged = sum(log.judged.get(rule.id, 0) for log in logs)
        breaks = _breaches_of(rule.id, baseline)
        tried = zip(config.seeds(), faulty, strict=True)
        # a given --schedule is a replay: its one run is the answer, shrunk already
        shrink_runs = config.shrink_runs if config.schedule is None else None
        results.append(_judge(rule.id, judged, baseline, tried, breaks, run, shrink_runs))
    return ClientReport(config, baseline, faulty, tuple(results), time.monotonic() - started, runs[0])


def _breaches_of(rule: RuleId, baseline: ClientRun) -> Callable[[ClientRun], tuple[Breach, ...]]:
    """How a run breaks ``rule``: its records against the baseline's, or its log."""
    if rule == EXACTLY_ONCE:
        return lambda candidate: judge_records(baseline.records, candidate.records)
    return lambda candidate: candidate.judgement.of(rule)


def _judge(
    rule: RuleId,
    judged: int,
    baseline: ClientRun,
    faulty: Iterable[tuple[int, ClientRun]],
    breaks: Callable[[ClientRun], tuple[Breach, ...]],
    run: Callable[[FaultSource], ClientRun],
    max_runs: int | None,
) -> ClientRuleResult:
    """``max_runs``: the runs shrinking may take; None: the faults met are not shrunk (a
    replay of a given schedule), and the run that broke the rule is the one reported."""
    if rule != EXACTLY_ONCE and (found := breaks(baseline)):
        return ClientRuleResult(rule, Verdict.FAIL, judged, found, RequestFaults(), None, baseline)
    seed, first = next(((seed, r) for seed, r in faulty if breaks(r)), (None, None))
    if first is None:
        return ClientRuleResult(rule, Verdict.PASS if judged else Verdict.NOT_REACHED, judged)
    if max_runs is None:
        return ClientRuleResult(
            rule, Verdict.FAIL, judged, breaks(first), first.schedule, seed, first, shrunk=False
        )
    start = tuple(addressed_faults(first.exchanges))
    by_request: _Trials[Address] = _Trials(lambda chosen: run(RequestAddressedFaults(start, chosen)), breaks)
    if not by_request.breaks(start):  # the same faults did not break it again
        return ClientRuleResult(rule, Verdict.FLAKY, judged, breaks(first), first.schedule, seed, first, 1)
    shrunk = shrink(start, by_request.breaks, max_runs)
    minimal, runs, exhausted = by_request.runs[shrunk.faults], shrunk.runs, shrunk.exhausted
    if len(minimal.schedule) > 1 and not exhausted:
        # By number too: a fault whose request an earlier fault changed (a batch regrouped
        # after UnprocessedRecords) may break the rule alone, on the request it met.
        by_number: _Trials[int] = _Trials(lambda chosen: run(RequestFaults(dict(chosen))), breaks)
        again = shrink(tuple(minimal.schedule.faults.items()), by_number.breaks, max_runs - runs)
        if len(again.faults) < len(minimal.schedule):
            minimal = by_number.runs[again.faults]
        runs, exhausted = runs + again.runs, again.exhausted
    replayed = run(minimal.schedule)  # as the report's replay command will run it
    verdict = Verdict.FAIL if breaks(replayed) else Verdict.FLAKY
    return ClientRuleResult(
        rule, verdict, judged, breaks(minimal), minimal.schedule, seed, minimal, runs + 2, exhausted
    )


class _Trials(Generic[K]):
    """Runs of the code under chosen faults, each choice run once: ``breaks(chosen)`` says
    whether its run breaks the rule; ``runs`` keeps every run by its choice."""

    def __init__(
        self,
        run: Callable[[tuple[tuple[K, Fault], ...]], ClientRun],
        breaks: Callable[[ClientRun], tuple[Breach, ...]],
    ) -> None:
        self._run, self._breaks = run, breaks
        self.runs: dict[tuple[tuple[K, Fault], ...], ClientRun] = {}

    def breaks(self, chosen: tuple[tuple[K, Fault], ...]) -> bool:
        if chosen not in self.runs:
            self.runs[chosen] = self._run(chosen)
        return bool(self._breaks(self.runs[chosen]))
