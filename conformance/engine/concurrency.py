"""CONC-LINEARIZABLE: requests sent at once from several threads, their history checked against
the model.

Each example resets the target and sends two to four requests about one usage key (or one
ClientToken) at the same moment, a barrier releasing the threads together: identical retries,
conflicting quantities, several callers, batches for one customer and for two, MeterUsage beside
BatchMeterUsage, and in 2026-11 ClientTokens and AgentCore callers. Every request's invocation
time, completion time and outcome make a history; the history conforms when some order of its
requests that respects real time (one that completed before another began comes first) explains
every outcome through the model (``conformance.models.linearizability``, a Wing & Gong search as Knossos
does it) and, on a target that lists its records, leaves the model holding what it lists (the
records oracle, ``conformance.models.records``). With injected faults each request meets its own, and an
indeterminate outcome may have taken effect or not.

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
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from conformance.config import RunConfig
from conformance.models.control_record import ControlRecord
from conformance.models.expect import describe_outcome
from conformance.models.linearizability import HistoryOp, linearize
from conformance.models.model import Model
from conformance.models.records import record_differences
from conformance.models.requests import BatchMeterUsage, CallContext, MeterUsage, Request, UsageRecord
from conformance.models.rule_ids import RuleId
from conformance.models.state import ModelState
from conformance.models.world import Fixtures, World
from conformance.reporting.results import RuleResult, Verdict
from conformance.reporting.trace import Trace, TraceStep
from conformance.targets import Target
from conformance.targets.base import fault_target, records_target

__all__ = ["ATTEMPTS", "CONCURRENT_RULE", "Happened", "certify_linearizable", "explained", "run_at_once"]

CONCURRENT_RULE: RuleId = "CONC-LINEARIZABLE"
ATTEMPTS = 5  # concurrent runs of one set of requests, while shrinking and replaying
SELLER = CallContext()
_CALLERS = ("AKIACONCURRENT000001", "AKIACONCURRENT000002")  # undeclared: callers the model entitles
Send = tuple[Request, CallContext]


@dataclass(frozen=True)
class Happened:
    """What sending some requests at once did: the history, and each request's faults (an
    ``X-Conformance-Fault`` value; None where the target injected none)."""

    history: tuple[HistoryOp, ...]
    faults: tuple[str | None, ...]
    records: tuple[ControlRecord, ...] | None  # what the target listed afterwards, if it can


def run_at_once(
    target: Target, sends: Sequence[Send], now: datetime, faults: Sequence[str | None] = ()
) -> Happened:
    """Send every request from a thread of its own, released together; what happened.
    ``faults``: the faults each request is to meet (a replay's), else the target's own draws.
    Side effects: whatever ``target.invoke`` does."""
    barrier = threading.Barrier(len(sends))
    happened: list[tuple[HistoryOp, str | None] | None] = [None] * len(sends)
    faulty = fault_target(target)

    def send(index: int) -> None:
        request, context = sends[index]
        if index < len(faults) and faulty is not None:
            faulty.inject_next(faults[index] or "none")  # this thread's next request only
        barrier.wait()
        invoked = time.perf_counter()
        exchange = target.invoke(request, context)
        op = HistoryOp(request, context, now, invoked, time.perf_counter(), exchange.outcome)
        happened[index] = (op, exchange.fault)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(sends))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [h for h in happened if h is not None]
    lister = records_target(target)
    listing = lister.records if lister is not None else None
    records = tuple(listing()) if listing is not None else None
    return Happened(tuple(op for op, _ in done), tuple(f for _, f in done), records)


def explained(model: Model, fixtures: Fixtures, happened: Happened) -> bool:
    """Some real-time order of the history's requests explains every outcome and, where the
    target lists its records, leaves the model holding exactly what it lists."""
    platforms = model.profile.agentcore_platforms
    records = happened.records

    def agrees(state: ModelState) -> bool:
        return records is None or not record_differences(state, records, platforms)

    return linearize(model, model.initial(World.of(fixtures)), happened.history, agrees) is not None


def _sends(fixtures: Fixtures, model: Model, rng: random.Random, now: datetime) -> list[Send]:
    """Two to four requests about one key (first product, its first dimension, this hour), or
    about one ClientToken: identical retries, conflicting quantities, several callers, batches
    for one customer and for two, and in 2026-11 AgentCore callers and ClientTokens."""
    product = sorted(fixtures.products, key=lambda p: p.code)[0]
    dimension = sorted(product.dimensions)[0]
    customers = sorted(
        c.identifier for c in fixtures.customers if c.product_code == product.code and c.subscribed
    )
    agentcore = model.profile.agentcore_platforms
    callers = sorted(
        k.access_key_id
        for k in fixtures.callers
        if k.product_code == product.code
        and k.entitled
        and k.region == SELLER.region
        and k.platform not in agentcore
    )[:3] or list(_CALLERS)
    agents = sorted(
        k.access_key_id
        for k in fixtures.callers
        if k.product_code == product.code and k.platform in agentcore
    )
    tokens = "MeterUsageRequest.ClientToken" not in model.profile.ignored_members  # in the API
    stamp = now.replace(minute=0, second=0) if now.minute else now - timedelta(minutes=10)

    def meter(quantity: int, caller: str, token: str | None = None) -> Send:
        return MeterUsage(product.code, stamp, dimension, quantity, client_token=token), CallContext(caller)

    def batch(*records: tuple[str, int]) -> Send:
        usage = tuple(UsageRecord(stamp, dimension, c, quantity=q) for c, q in records)
        return BatchMeterUsage(product.code, usage), SELLER

    first = callers[0]
    pools = {
        "retries": [meter(1, first)] * 3,
        "conflict": [meter(1, first), meter(2, first), meter(3, first)],
        "callers": [meter(1, c) for c in callers] + [meter(2, callers[-1])],
    }
    if customers:
        one = customers[0]
        pools["batch"] = [batch((one, 1)), batch((one, 1)), batch((one, 3))]
        if len(customers) > 1:
            two = customers[1]
            pools["batch"] += [batch((two, 1)), batch((one, 1), (two, 2)), batch((two, 2), (one, 3))]
        pools["mixed"] = [meter(1, first), meter(2, first), *pools["batch"]]
    if tokens:
        pools["tokens"] = [meter(1, first, "tok-1"), meter(1, first, "tok-1"), meter(2, first, "tok-1")]
        pools["tokens"] += [meter(1, first, "tok-2")]
    if agents:
        agent = agents[0]
        pools["agentcore"] = [
            meter(1, agent, "agent-1"),
            meter(1, agent, "agent-1"),
            meter(2, agent, "agent-1"),
        ]
        pools["agentcore"] += [meter(1, agent, "agent-2"), meter(3, agent, "agent-3"), meter(1, first)]
    pool = pools[rng.choice(sorted(pools))]
    return rng.sample(pool, rng.randint(2, min(4, len(pool))))


def _attempts(
    model: Model,
    target: Target,
    fixtures: Fixtures,
    sends: Sequence[Send],
    now: datetime,
    faults: Sequence[str | None] = (),
) -> tuple[Happened, bool]:
    """``sends`` sent at once, the target reset before each, up to ATTEMPTS times until no
    order explains what they did: what the last attempt did, and whether no order explains it.
    ``faults``: as for :func:`run_at_once`."""
    for _ in range(ATTEMPTS):
        target.reset(fixtures, now)
        happened = run_at_once(target, sends, now, faults)
        if not explained(model, fixtures, happened):
            return happened, True
    return happened, False


def _shrunk(
    model: Model, target: Target, fixtures: Fixtures, sends: list[Send], happened: Happened, now: datetime
) -> tuple[list[Send], Happened]:
    """``sends`` (what they did, ``happened``, no order explains) with every request left out
    that the rest can do without, and what is left did that no order explains."""
    index = 0
    while index < len(sends) and len(sends) > 1:
        fewer = sends[:index] + sends[index + 1 :]
        found, unexplained = _attempts(model, target, fixtures, fewer, now)
        if unexplained:
            sends, happened = fewer, found
        else:
            index += 1
    return sends, happened


def _reason(model: Model, fixtures: Fixtures, happened: Happened) -> str:
    if happened.records is not None and explained(model, fixtures, replace(happened, records=None)):
        return (
            "no order of these requests, sent at once, explains their outcomes and leaves the "
            f"{len(happened.records)} records the target lists"
        )
    return "no order of these requests, sent at once, explains their outcomes"


def _trace(
    config: RunConfig, model: Model, seed: int, fixtures: Fixtures, now: datetime, happened: Happened
) -> Trace:
    reason = _reason(model, fixtures, happened)
    last = len(happened.history) - 1
    steps = tuple(
        TraceStep(
            "request",
            now,
            op.request,
            op.context,
            expected="outcomes some sequential order of the requests sent at once explains",
            observed=describe_outcome(op.outcome),
            divergence=(reason,) if i == last else (),
            fault=fault,
        )
        for i, (op, fault) in enumerate(zip(happened.history, happened.faults, strict=True))
    )
    return Trace(
        CONCURRENT_RULE,
        config.profile.name,
        config.target.name,
        seed,
        fixtures,
        now,
        True,
        steps,
        (reason,),
        faults=config.faults,
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
    """CONC-LINEARIZABLE's campaign: ``examples`` sets of requests sent at once. Side effects:
    the target is reset before each set."""
    rng = random.Random(seed)
    started = time.perf_counter()
    sizes: list[int] = []
    for _ in range(examples):
        sends = _sends(fixtures, model, rng, now)
        target.reset(fixtures, now)
        happened = run_at_once(target, sends, now)
        sizes.append(len(sends))
        if explained(model, fixtures, happened):
            continue
        sends, happened = _shrunk(model, target, fixtures, sends, happened, now)
        trace = _trace(config, model, seed, fixtures, now, happened)
        received = "; ".join(s.observed for s in trace.steps)
        return RuleResult(
            CONCURRENT_RULE,
            Verdict.FAIL,
            len(sizes),
            trace.reasons[0],
            trace=trace,
            expected=trace.steps[0].expected,
            received=received,
            seconds=time.perf_counter() - started,
            histories=tuple(sizes),
        )
    checked = (
        f"{len(sizes)} histories of {min(sizes)} to {max(sizes)} requests sent at once "
        f"({sum(sizes)} in all), each explained by some order"
    )
    return RuleResult(
        CONCURRENT_RULE,
        Verdict.PASS,
        len(sizes),
        checked,
        seconds=time.perf_counter() - started,
        histories=tuple(sizes),
    )


def replay_at_once(trace: Trace, target: Target, model: Model) -> tuple[TraceStep, ...]:
    """The trace's requests sent at once again, each meeting the faults it met (up to ATTEMPTS
    times, until no order explains them): its steps as replayed, the last carrying the
    divergence if it came back. Side effects: the target is reset before each attempt."""
    requests = [s for s in trace.steps if s.request is not None and s.context is not None]
    sends = [(s.request, s.context) for s in requests]
    faults = [s.fault for s in requests]
    happened, reproduced = _attempts(model, target, trace.fixtures, sends, trace.start, faults)  # type: ignore[arg-type]
    steps = [
        replace(step, observed=describe_outcome(op.outcome), divergence=())
        for step, op in zip(requests, happened.history, strict=True)
    ]
    if reproduced:
        steps[-1] = replace(steps[-1], divergence=trace.reasons)
    return tuple(steps)
