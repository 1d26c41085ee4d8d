"""Minimizing a failing trace by replaying smaller ones (as Jepsen and delta debugging do).

Hypothesis finds the failing sequence; shrinking it inside Hypothesis would replay the whole
generation (every candidate request drawn by a campaign's search) for each attempt, which against
an out-of-process or mocked target took minutes per rule. Here each attempt is one replay of
the trace's own steps, so a trace of n steps takes at most a few times n replays:

1. cut the trace after the first step that diverges;
2. drop each earlier step (from the last to the first) when the divergence survives without it;
3. drop records from each batch, the same way, then the usage allocations of each request;
4. simplify values, each change kept only if the divergence survives it: names become the
   fixtures' plainest (the first product, its first dimension and customer); every occurrence of
   a quantity becomes 0, else 1; a timestamp becomes the start of its hour, else of the next;
   ``DryRun: false``
   and RegisterUsage nonces are left out. A value is changed everywhere it occurs at once, so
   a repeat stays a repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from conformance.engine.replay import ReplayResult, replay
from conformance.models.model import Model
from conformance.models.requests import (
    BatchMeterUsage,
    MeterUsage,
    RegisterUsage,
    Request,
    UsagePart,
    UsageRecord,
    usage_parts,
    with_usage_parts,
)
from conformance.reporting.trace import Trace, TraceStep
from conformance.targets import Target

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
    for simpler in _value_simplifications(current):
        candidate = simpler(current)
        if candidate != current and keeps_failing(candidate):
            current = candidate
    # the engine replays the result once more before reporting it: no confirming replay here
    return _cut(current, judged)


Simplify = Callable[[Trace], Trace]

# The member of a MeterUsage, and of a usage record, that holds each value minimizing simplifies.
_MEMBERS: dict[str, dict[type, str]] = {
    "quantity": {MeterUsage: "usage_quantity", UsageRecord: "quantity"},
    "timestamp": {MeterUsage: "timestamp", UsageRecord: "timestamp"},
    "dimension": {MeterUsage: "usage_dimension", UsageRecord: "dimension"},
    "customer": {UsageRecord: "customer_identifier"},
}


def _values(trace: Trace, kind: str) -> set[Any]:
    """Every value of ``kind`` the trace's requests hold (None left out)."""
    members = _MEMBERS[kind]
    found = {
        getattr(o, members[type(o)]) for r in _requests(trace) for o in usage_parts(r) if type(o) in members
    }
    return found - {None}


def _value_simplifications(trace: Trace) -> list[Simplify]:
    """Each simpler value to try, as a change of the whole trace: the plainest first."""
    quantities = {q for q in _values(trace, "quantity") if isinstance(q, int) and q > 1}
    stamps = {s for s in _values(trace, "timestamp") if s.minute or s.second}
    changes: list[Simplify] = [_without_plain_defaults, *_plainer_names(trace)]
    for quantity in sorted(quantities):
        changes += [_replacing("quantity", quantity, 0), _replacing("quantity", quantity, 1)]
    for stamp in sorted(stamps):
        # the start of its hour, else of the next (a second inside the window's edge stays inside)
        hour = stamp.replace(minute=0, second=0, microsecond=0)
        changes += [
            _replacing("timestamp", stamp, hour),
            _replacing("timestamp", stamp, hour + timedelta(hours=1)),
        ]
    return changes


def _plainer_names(trace: Trace) -> list[Simplify]:
    """The fixtures' plainest names for the ones a trace uses: its first product (by code), that
    product's first dimension and first subscribed customer."""
    products = sorted(trace.fixtures.products, key=lambda p: p.code)
    if not products:
        return []
    first = products[0]
    used_products = {
        code for r in _requests(trace) if isinstance(code := getattr(r, "product_code", None), str)
    }
    changes = [
        _renaming_product(code, first.code)
        for code in sorted(used_products & {p.code for p in products} - {first.code})
    ]
    subscribed = sorted(
        c.identifier for c in trace.fixtures.customers if c.product_code == first.code and c.subscribed
    )
    if subscribed:
        known = {c.identifier for c in trace.fixtures.customers}
        used = _values(trace, "customer") & known - {subscribed[0]}
        changes += [_replacing("customer", c, subscribed[0]) for c in sorted(used)]
    if first.dimensions:
        plainest = sorted(first.dimensions)[0]
        declared = {d for p in products for d in p.dimensions}
        used = _values(trace, "dimension") & declared - {plainest}
        changes += [_replacing("dimension", d, plainest) for d in sorted(used)]
    return changes


def _replacing(kind: str, old: Any, new: Any) -> Simplify:
    """Every value of ``kind`` equal to ``old`` made ``new``, wherever it occurs."""
    members = _MEMBERS[kind]

    def owner_changed(owner: UsagePart) -> UsagePart:
        member = members.get(type(owner))
        return replace(owner, **{member: new}) if member and getattr(owner, member) == old else owner

    return lambda trace: _each_owner(trace, owner_changed)


def _renaming_product(old: str, new: str) -> Simplify:
    def renamed(request: Request) -> Request:
        if isinstance(request, MeterUsage | BatchMeterUsage | RegisterUsage) and request.product_code == old:
            return replace(request, product_code=new)
        return request

    return lambda trace: _each_request(trace, renamed)


def _requests(trace: Trace) -> list[Request]:
    return [s.request for s in trace.steps if s.request is not None]


def _without_plain_defaults(trace: Trace) -> Trace:
    """``DryRun: false`` and RegisterUsage nonces left out."""

    def plain(request: Request) -> Request:
        if isinstance(request, MeterUsage) and request.dry_run is False:
            return replace(request, dry_run=None)
        if isinstance(request, RegisterUsage) and request.nonce is not None:
            return replace(request, nonce=None)
        return request

    return _each_request(trace, plain)


def _each_owner(trace: Trace, change: Callable[[UsagePart], UsagePart]) -> Trace:
    """``change`` applied to every MeterUsage and every usage record of the trace."""
    return _each_request(trace, lambda request: with_usage_parts(request, change))


def _each_request(trace: Trace, change: Callable[[Request], Request]) -> Trace:
    steps = tuple(replace(s, request=change(s.request)) if s.request is not None else s for s in trace.steps)
    return replace(trace, steps=steps)


def _cut(trace: Trace, result: ReplayResult) -> Trace:
    """The trace up to and including its first diverging step, judged as ``result`` saw it."""
    steps: list[TraceStep] = []
    for original, replayed in zip(trace.steps, result.steps, strict=False):
        judged = replace(original, expected=replayed.step.expected, observed=replayed.step.observed)
        steps.append(
            replace(judged, divergence=replayed.step.divergence, also_broken=replayed.step.also_broken)
        )
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
