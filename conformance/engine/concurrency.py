"""CONC-LINEARIZABLE: requests sent at once from several threads, their history checked against
the model.

Each example resets the target and sends two to four requests about one usage key at the same
moment (a barrier releases the threads together): identical retries, conflicting quantities,
the same key from another caller or customer, MeterUsage beside BatchMeterUsage. Every
request's invocation time, completion time and outcome make a history; the history conforms
when some order of its requests that respects real time (one that completed before another
began comes first) explains every outcome through the model (``models.linearizability``, a
Wing & Gong search as Knossos does it).

A history no order explains is shrunk by sending fewer of its requests at once again: a
request is left out when the rest, sent together up to :data:`ATTEMPTS` times, still show a
history no order explains. Leaving a request out of the recorded history instead would be
wrong: the others' outcomes may depend on it. The trace is marked concurrent, and a replay
sends its requests at once again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from conformance.reporting.results import RuleResult, RunConfig
from conformance.reporting.trace import Trace, TraceStep
from conformance.targets import Target
from models.expect import describe_outcome
from models.linearizability import HistoryOp, linearize
from models.model import Model
from models.requests import BatchMeterUsage, CallContext, MeterUsage, Request, UsageRecord
from models.world import Fixtures, World

__all__ = ["ATTEMPTS", "CONCURRENT_RULE", "certify_linearizable", "explained", "run_at_once"]

CONCURRENT_RULE = "CONC-LINEARIZABLE"
ATTEMPTS = 5  # concurrent runs of one set of requests, while shrinking and replaying
_CALLERS = ("AKIACONCURRENT000001", "AKIACONCURRENT000002")  # undeclared: entitled ec2 callers
SELLER = CallContext()
Send = tuple[Request, CallContext]


def run_at_once(target: Target, sends: Sequence[Send], now: datetime) -> list[HistoryOp]:
    """Send every request from a thread of its own, released together; the history of what
    happened. Side effects: whatever ``target.invoke`` does."""
    barrier = threading.Barrier(len(sends))
    history: list[HistoryOp | None] = [None] * len(sends)

    def send(index: int) -> None:
        request, context = sends[index]
        barrier.wait()
        invoked = time.perf_counter()
        outcome = target.invoke(request, context).outcome
        history[index] = HistoryOp(request, context, now, invoked, time.perf_counter(), outcome)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [op for op in history if op is not None]


def explained(model: Model, fixtures: Fixtures, history: Sequence[HistoryOp]) -> bool:
    """Some real-time order of the history's requests explains every outcome."""
    return linearize(model, model.initial(World.of(fixtures)), history) is not None


def _sends(fixtures: Fixtures, rng: random.Random, now: datetime) -> list[Send]:
    """Two to four requests about one key (first product, its first dimension, this hour)."""
    product = sorted(fixtures.products, key=lambda p: p.code)[0]
    dimension = sorted(product.dimensions)[0]
    customers = sorted(
        c.identifier for c in fixtures.customers if c.product_code == product.code and c.subscribed
    )
    stamp = now.replace(minute=0, second=0) if now.minute else now - timedelta(minutes=10)

    def meter(quantity: int, caller: str) -> Send:
        return MeterUsage(product.code, stamp, dimension, quantity), CallContext(caller)

    def batch(quantity: int, customer: str) -> Send:
        return BatchMeterUsage(
            product.code, (UsageRecord(stamp, dimension, customer, quantity=quantity),)
        ), SELLER

    pool = [meter(1, _CALLERS[0]), meter(1, _CALLERS[0]), meter(2, _CALLERS[0]), meter(1, _CALLERS[1])]
    if customers:
        pool += [batch(1, customers[0]), batch(1, customers[0]), batch(3, customers[0])]
        pool += [batch(1, customers[1])] if len(customers) > 1 else []
    kind = rng.choice(["meter", "batch", "mixed"]) if customers else "meter"
    chosen = [s for s in pool if kind == "mixed" or (s[1] == SELLER) == (kind == "batch")]
    return rng.sample(chosen, rng.randint(2, min(4, len(chosen))))


def _fails(
    model: Model, target: Target, fixtures: Fixtures, sends: Sequence[Send], now: datetime
) -> list[HistoryOp] | None:
    """A history of ``sends`` sent at once that no order explains, in up to ATTEMPTS runs."""
    for _ in range(ATTEMPTS):
        target.reset(fixtures, now)
        history = run_at_once(target, sends, now)
        if not explained(model, fixtures, history):
            return history
    return None


def _shrunk(
    model: Model,
    target: Target,
    fixtures: Fixtures,
    sends: list[Send],
    history: list[HistoryOp],
    now: datetime,
) -> tuple[list[Send], list[HistoryOp]]:
    """``sends`` (whose ``history`` no order explains) with every request left out that the rest
    can do without, and a history of what is left that no order explains."""
    index = 0
    while index < len(sends) and len(sends) > 1:
        fewer = sends[:index] + sends[index + 1 :]
        found = _fails(model, target, fixtures, fewer, now)
        if found is not None:
            sends, history = fewer, found
        else:
            index += 1
    return sends, history


def _trace(
    config: RunConfig, seed: int, fixtures: Fixtures, now: datetime, history: Sequence[HistoryOp]
) -> Trace:
    reason = "no order of these requests, sent at once, explains their outcomes"
    steps = tuple(
        TraceStep(
            "request",
            now,
            op.request,
            op.context,
            expected="outcomes some sequential order of the requests sent at once explains",
            observed=describe_outcome(op.outcome),
            divergence=(reason,) if i == len(history) - 1 else (),
        )
        for i, op in enumerate(history)
    )
    return Trace(
        CONCURRENT_RULE,
        config.profile,
        config.target.name,
        seed,
        fixtures,
        now,
        True,
        steps,
        (reason,),
        concurrent=True,
    )


def certify_linearizable(
    config: RunConfig,
    model: Model,
    target: Target,
    fixtures: Fixtures,
    now: datetime,
    seed: int,
    examples: int,
) -> RuleResult:
    """CONC-LINEARIZABLE's campaign: ``examples`` sets of requests sent at once."""
    rng = random.Random(seed)
    started = time.perf_counter()
    for _ in range(examples):
        sends = _sends(fixtures, rng, now)
        target.reset(fixtures, now)
        history = run_at_once(target, sends, now)
        if explained(model, fixtures, history):
            continue
        sends, history = _shrunk(model, target, fixtures, sends, history, now)
        trace = _trace(config, seed, fixtures, now, history)
        received = "; ".join(s.observed for s in trace.steps)
        return RuleResult(
            CONCURRENT_RULE,
            "fail",
            examples,
            trace.reasons[0],
            trace=trace,
            expected=trace.steps[0].expected,
            received=received,
            seconds=time.perf_counter() - started,
        )
    checked = f"{examples} histories of 2 to 4 requests sent at once, each explained by some order"
    return RuleResult(CONCURRENT_RULE, "pass", examples, checked, seconds=time.perf_counter() - started)


def replay_at_once(trace: Trace, target: Target, model: Model) -> tuple[TraceStep, ...]:
    """The trace's requests sent at once again (up to ATTEMPTS times, until no order explains
    them): its steps as replayed, the last carrying the divergence if it came back."""
    sends = [(s.request, s.context) for s in trace.steps if s.request is not None and s.context is not None]
    history = _fails(model, target, trace.fixtures, sends, trace.start)
    reproduced = history is not None
    if history is None:
        target.reset(trace.fixtures, trace.start)
        history = run_at_once(target, sends, trace.start)
    steps = [
        replace(step, observed=describe_outcome(op.outcome), divergence=())
        for step, op in zip((s for s in trace.steps if s.request is not None), history, strict=True)
    ]
    if reproduced:
        steps[-1] = replace(steps[-1], divergence=trace.reasons)
    return tuple(steps)
