"""Runs on a duration (``--budget 10m``): the time spread over the rules and given to the
campaigns that still find something new, as HypoFuzz gives its time to the Hypothesis tests
where it expects progress.

A rule's search is cut into slices: slice k is round k of its campaign, with that round's seed
(:data:`conformance.engine.budget.SLICE`). First, verdicts: every rule gets its first slice
before any rule gets a second, in catalogue order, and a rule that no slice has reached yet (no
request decided it) gets the next ones, up to :data:`REACH_SLICES`, twice as long each time,
even once the time is up: these slices are the quick budget's rounds, so every rule has the
quick budget's verdict however short the duration. Then, while time is left, the next slice
goes to the rule whose slices find new behaviours fastest
(:func:`conformance.engine.campaign.behaviour`: the branches of the model's decision a request
took and the kind of answer it got).

How fast is estimated as fuzzers estimate the chance of a discovery still to come (Good–Turing;
Böhme's residual risk of greybox fuzzing): the chance that the next request shows a behaviour
never seen is about the share of requests so far whose behaviour was seen exactly once, so new
behaviours per second are about (behaviours seen once) / (seconds spent). One is added to the
behaviours seen once, so a rule that has stopped finding anything gets time again once the
others find new behaviours more slowly than one in the seconds it has had.

A rule gets no more slices once its verdict cannot change: it failed (or was flaky), its
operation is not implemented, or its slice sent no request (untestable before any campaign
ran; CONC-LINEARIZABLE, which checks its histories in one go). Its verdict is given at once,
before the time is up. Slices after those are all of the first's length (twelve examples):
a run ends at most one such slice (with a failing rule's minimizing) after its duration, and
later only where its rules' verdicts took longer than the duration.

The scheduler is given a way to run a slice (in this process, or in a pool's worker) and knows
nothing of targets: ``conformance.engine.runner`` opens them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace

from conformance.models.rule_ids import RuleId
from conformance.reporting.results import RuleResult, Verdict

__all__ = ["REACH_SLICES", "RuleTime", "Slice", "SliceDone", "at_once", "run_on_duration"]


@dataclass(frozen=True)
class Slice:
    """Slice ``number`` (from 0) of a rule's search. ``owed``: a slice owed to the rule's
    verdict, as long as the quick budget's round ``number``; else as long as its first."""

    number: int
    owed: bool = True


Submit = Callable[[RuleId, Slice], "Future[RuleResult]"]
"""Starts a slice of a rule: ``submit(rule, slice)`` answers the future of its result."""

_FINAL = (Verdict.FAIL, Verdict.FLAKY, Verdict.UNIMPLEMENTED)
REACH_SLICES = 5
"""Slices a rule is given until one reaches it, whatever the time left."""


@dataclass(frozen=True)
class SliceDone:
    """One slice finished: what the progress line of a run on a duration says."""

    rule: RuleId
    number: int  # the slice's number for its rule, from 0
    verdict: Verdict  # the slice's own
    new: int  # behaviours no earlier slice of the rule showed
    behaviours: int  # distinct behaviours over every slice of the rule so far
    seconds: float  # spent on the rule so far
    elapsed: float  # since the run started
    final: bool  # the rule gets no more slices: its verdict is given now


@dataclass
class RuleTime:
    """What one rule's slices have spent and found so far."""

    rule: RuleId
    results: list[RuleResult] = field(default_factory=list)
    behaviours: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    busy: bool = False  # a slice of it is running
    final: bool = False  # its verdict cannot change

    @property
    def slices(self) -> int:
        return len(self.results)

    @property
    def reached(self) -> bool:
        """Whether a request of its slices decided it."""
        return any(r.exercised for r in self.results)

    @property
    def owed(self) -> bool:
        """Whether it gets a slice before any other rule does, time left or not."""
        return not self.slices or (not self.reached and self.slices < REACH_SLICES)

    def rate(self) -> float:
        """New behaviours a second its next slice may find (Good–Turing, plus one: see above)."""
        once = sum(1 for n in self.behaviours.values() if n == 1)
        return (once + 1) / max(self.seconds, 1e-3)

    def add(self, result: RuleResult) -> int:
        """Take a slice's result in; answers how many behaviours it showed first."""
        new = sum(1 for b, _ in result.behaviours if b not in self.behaviours)
        self.behaviours.update(dict(result.behaviours))
        self.results.append(result)
        self.seconds += result.seconds
        self.final = result.verdict in _FINAL or not result.behaviours
        return new

    def verdict(self) -> RuleResult:
        """The rule's result over its slices: the first failure (the search stopped there), else
        the last pass, else the last slice's; with the slices' decided requests, time, faults
        and behaviours added up."""
        results = self.results
        judged = [
            r
            for r in results
            if r.verdict == Verdict.PASS or (r.verdict == Verdict.UNTESTABLE and r.exercised)
        ]
        chosen = next((r for r in results if r.verdict in _FINAL), None) or (judged or results)[-1]
        faults: Counter[str] = Counter()
        for r in results:
            faults.update(dict(r.faults))
        return replace(
            chosen,
            exercised=sum(r.exercised for r in results),
            seconds=self.seconds,
            faults=tuple(sorted(faults.items())),
            histories=tuple(n for r in results for n in r.histories),
            slices=len(results),
            behaviours=tuple(sorted(self.behaviours.items())),
        )


def at_once(run_slice: Callable[[RuleId, Slice], RuleResult]) -> Submit:
    """A ``submit`` that runs the slice in this process before it answers."""

    def submit(rule: RuleId, part: Slice) -> Future[RuleResult]:
        done: Future[RuleResult] = Future()
        try:
            done.set_result(run_slice(rule, part))
        except BaseException as exc:  # re-raised by done.result(), where a pool's would be
            done.set_exception(exc)
        return done

    return submit


def run_on_duration(
    rules: Sequence[RuleId],
    seconds: float,
    submit: Submit,
    workers: int = 1,
    on_slice: Callable[[SliceDone], None] = lambda _: None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[RuleResult]:
    """Slices of ``rules`` for ``seconds``, at most ``workers`` at once, each rule's verdict
    yielded as soon as it cannot change (at the end for the others). Side effects: those of
    the slices ``submit`` starts."""
    times = {rule: RuleTime(rule) for rule in rules}
    started = clock()
    deadline = started + seconds
    running: dict[Future[RuleResult], RuleId] = {}
    given: set[RuleId] = set()
    while True:
        while len(running) < workers:
            rule = _next_rule(times.values(), clock() < deadline)
            if rule is None:
                break
            times[rule].busy = True
            running[submit(rule, Slice(times[rule].slices, times[rule].owed))] = rule
        if not running:
            break
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            spent = times[running.pop(future)]
            spent.busy = False
            result = future.result()
            new = spent.add(result)
            on_slice(
                SliceDone(
                    spent.rule,
                    spent.slices - 1,
                    result.verdict,
                    new,
                    len(spent.behaviours),
                    spent.seconds,
                    clock() - started,
                    spent.final,
                )
            )
            if spent.final:
                given.add(spent.rule)
                yield spent.verdict()
    yield from (times[rule].verdict() for rule in rules if rule not in given)


def _next_rule(times: Iterable[RuleTime], time_left: bool) -> RuleId | None:
    """The rule the next slice goes to: one owed a slice (never sliced, else not reached yet;
    in that order, then catalogue order), else while time is left the fastest finder of new
    behaviours; None when no rule is to get one now."""
    idle = [t for t in times if not t.busy and not t.final]
    owed = sorted((t for t in idle if t.owed), key=lambda t: t.slices > 0)
    if owed:
        return owed[0].rule
    if not time_left or not idle:
        return None
    return max(idle, key=RuleTime.rate).rule
