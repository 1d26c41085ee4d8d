"""Minimizing a failing trace by replaying smaller ones (as Jepsen and delta debugging do).

Hypothesis finds the failing sequence; shrinking it inside Hypothesis would replay the whole
generation (every candidate request drawn by a campaign's search) for each attempt, which against
an out-of-process or mocked target took minutes per rule. Here each attempt is one replay of
the trace's own steps, so a trace of n steps takes at most a few times n replays:

1. cut the trace after the first step that diverges;
2. drop each earlier step (from the last to the first) when the divergence survives without it;
3. drop records from each batch, the same way, then the usage allocations of each request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from conformance.engine.replay import ReplayResult, replay
from conformance.reporting.trace import Trace, TraceStep
from conformance.targets import Target
from models.model import Model
from models.requests import BatchMeterUsage, MeterUsage

__all__ = ["minimize"]


def minimize(trace: Trace, target: Target, model: Model, max_replays: int = 300) -> Trace:
    """The smallest trace found that still diverges on ``trace.rule``, its steps judged by the
    last replay. Side effects: replays against ``target`` (each resets it)."""
    budget = [max_replays]

    def attempt(candidate: Trace) -> ReplayResult | None:
        if budget[0] <= 0:
            return None
        budget[0] -= 1
        result = replay(candidate, target, model)
        return result if result.reproduced else None

    best = attempt(trace)
    if best is None:
        return trace  # does not reproduce: the engine reports it as flaky
    current = _cut(trace, best)
    judged = best  # the replay of the trace ``current`` was cut from: it judges the result

    def keeps_failing(candidate: Trace) -> bool:
        nonlocal judged
        result = attempt(candidate)
        if result is not None:
            judged = result
        return result is not None

    current = _drop_each(current, keeps_failing, _without_step, lambda t: len(t.steps))
    for index in range(len(current.steps)):
        if isinstance(current.steps[index].request, BatchMeterUsage):
            current = _drop_each(current, keeps_failing, _record_dropper(index), _records_at(index))
        plain = _without_allocations(current, index)
        if plain is not None and keeps_failing(plain):
            current = plain
    # the engine replays the result once more before reporting it: no confirming replay here
    return _cut(current, judged)


def _cut(trace: Trace, result: ReplayResult) -> Trace:
    """The trace up to and including its first diverging step, judged as ``result`` saw it."""
    steps: list[TraceStep] = []
    for original, replayed in zip(trace.steps, result.steps, strict=False):
        judged = replace(original, expected=replayed.step.expected, observed=replayed.step.observed)
        steps.append(replace(judged, divergence=replayed.step.divergence))
        if replayed.step.divergence:
            break
    return replace(trace, steps=tuple(steps))


def _drop_each(
    trace: Trace,
    keeps_failing: Callable[[Trace], bool],
    smaller: Callable[[Trace, int], Trace | None],
    count: Callable[[Trace], int],
) -> Trace:
    """Try removing each part (from the last to the first), keeping every removal that fails."""
    index = count(trace) - 1
    while index >= 0:
        candidate = smaller(trace, index)
        if candidate is not None and keeps_failing(candidate):
            trace = candidate
        index = min(index - 1, count(trace) - 1)
    return trace


def _records_at(step_index: int) -> Callable[[Trace], int]:
    def count(trace: Trace) -> int:
        request = trace.steps[step_index].request
        return len(request.usage_records) if isinstance(request, BatchMeterUsage) else 0

    return count


def _without_step(trace: Trace, index: int) -> Trace | None:
    if index == len(trace.steps) - 1:
        return None  # the diverging step stays
    return replace(trace, steps=trace.steps[:index] + trace.steps[index + 1 :])


def _record_dropper(step_index: int) -> Callable[[Trace, int], Trace | None]:
    """Drop record ``i`` of the batch at ``step_index``."""

    def drop(trace: Trace, i: int) -> Trace | None:
        request = trace.steps[step_index].request
        if not isinstance(request, BatchMeterUsage) or i >= len(request.usage_records):
            return None
        records = request.usage_records[:i] + request.usage_records[i + 1 :]
        step = replace(trace.steps[step_index], request=replace(request, usage_records=records))
        return replace(trace, steps=(*trace.steps[:step_index], step, *trace.steps[step_index + 1 :]))

    return drop


def _without_allocations(trace: Trace, index: int) -> Trace | None:
    """The step's request with no usage allocations (None when it has none to drop)."""
    request = trace.steps[index].request
    simpler: MeterUsage | BatchMeterUsage
    if isinstance(request, MeterUsage) and request.allocations:
        simpler = replace(request, allocations=None)
    elif isinstance(request, BatchMeterUsage) and any(r.allocations for r in request.usage_records):
        records = tuple(replace(r, allocations=None) for r in request.usage_records)
        simpler = replace(request, usage_records=records)
    else:
        return None
    step = replace(trace.steps[index], request=simpler)
    return replace(trace, steps=(*trace.steps[:index], step, *trace.steps[index + 1 :]))
