"""``conformance bench speed``: where a run's time goes, measured in one run.

For each target, the same campaigns run in a fresh process (so peak RSS is that target's) with
every target call recorded; then exactly the recorded calls (resets, fixtures, clock moves and
requests, in order) are replayed against a freshly opened target of the same kind. Printed per
target: requests sent, requests per second, harness milliseconds per request (wall time minus
the time inside ``target.invoke``, over requests), the overhead ratio (the run's wall time over
the replay's) and peak RSS. Last, the speed-up of ``--workers 2`` over ``--workers 1`` for a
full run against the in-process reference. Numbers are ratios and rates of one run on this
machine: compare them with each other, not with another machine's.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from typing import Any

from conformance.engine.runner import RunConfig, open_target, run, run_rule
from conformance.faults import FaultRates
from conformance.models.control_record import ControlRecord
from conformance.models.profiles import get_profile
from conformance.models.requests import CallContext, Request
from conformance.models.rule_ids import RuleId
from conformance.models.world import Fixtures
from conformance.targets import TARGETS, Target, TargetOptions
from conformance.targets.base import FaultTarget, fault_target
from conformance.targets.client import Exchange

__all__ = ["BENCH_RULES", "SPEED_TARGETS", "SpeedRow", "measure_target", "render_speed", "workers_speedup"]

# The rules the per-target figures use: every operation, recording and refusing.
BENCH_RULES: tuple[RuleId, ...] = (
    "BMU-WINDOW",
    "BMU-IDEMPOTENT",
    "MU-ACCEPT",
    "ALLOC-SUM",
    "BMU-DUPLICATE",
    "RC-RESOLVE",
    "RU-SIGNATURE",
)
SPEED_TARGETS = tuple(name for name, kind in TARGETS.items() if kind.local)


@dataclass
class _Recorder:
    """A target that passes every call on, timing ``invoke`` and keeping the call log (the
    fault rates set included: drawn from a seed, the same faults meet the replayed calls)."""

    inner: Target
    calls: list[tuple[str, Any]] = field(default_factory=list)
    invoke_seconds: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities

    def world(self, declared: Fixtures) -> Fixtures:
        return self.inner.world(declared)

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        self.inner.open(fixtures, now)

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        self.calls.append(("reset", (fixtures, now)))
        self.inner.reset(fixtures, now)

    def set_clock(self, now: datetime) -> None:
        self.calls.append(("clock", now))
        self.inner.set_clock(now)

    def add_fixtures(self, fixtures: Fixtures) -> None:
        self.calls.append(("fixtures", fixtures))
        self.inner.add_fixtures(fixtures)

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        self.calls.append(("invoke", (request, context)))
        started = time.perf_counter()
        try:
            return self.inner.invoke(request, context)
        finally:
            self.invoke_seconds.append(time.perf_counter() - started)

    def set_faults(self, rates: FaultRates, seed: int) -> None:
        self.calls.append(("faults", (rates, seed)))
        _faulty(self.inner).set_faults(rates, seed)

    def records(self) -> Sequence[ControlRecord]:
        return self.inner.records()  # type: ignore[attr-defined,no-any-return]

    def faults_injected(self) -> dict[str, int]:
        return _faulty(self.inner).faults_injected()

    def close(self) -> None:
        self.inner.close()


def _faulty(target: Target) -> FaultTarget:
    faulty = fault_target(target)
    assert faulty is not None, f"{target.name} announces no faults"  # asked only of those that do
    return faulty


@dataclass(frozen=True)
class SpeedRow:
    target: str
    requests: int
    seconds: float
    invoke_seconds: float
    median_invoke_ms: float
    replay_seconds: float
    peak_rss_mb: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def harness_ms(self) -> float:
        """Milliseconds per request spent outside ``target.invoke``."""
        return 1000 * (self.seconds - self.invoke_seconds) / self.requests if self.requests else 0.0

    @property
    def overhead(self) -> float:
        return self.seconds / self.replay_seconds if self.replay_seconds else float("inf")


def _replay(config: RunConfig, calls: Sequence[tuple[str, Any]]) -> float:
    """Wall seconds to make exactly ``calls`` against a freshly opened target."""
    _, target = open_target(config)
    try:
        started = time.perf_counter()
        for kind, argument in calls:
            if kind == "reset":
                target.reset(*argument)
            elif kind == "clock":
                target.set_clock(argument)
            elif kind == "fixtures":
                target.add_fixtures(argument)
            elif kind == "faults":
                _faulty(target).set_faults(*argument)
            else:
                target.invoke(*argument)
        return time.perf_counter() - started
    finally:
        target.close()


def _measure(config: RunConfig) -> SpeedRow:
    """In this (fresh) process: the campaigns of ``config``, then their replay."""
    model, inner = open_target(config)
    recorder = _Recorder(inner)
    started = time.perf_counter()
    try:
        for rule in config.rule_ids():
            run_rule(config, rule, model, recorder)  # type: ignore[arg-type]
    finally:
        inner.close()
    seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    replay_seconds = _replay(config, recorder.calls)
    invokes = recorder.invoke_seconds
    return SpeedRow(
        config.target.name,
        len(invokes),
        seconds,
        sum(invokes),
        1000 * statistics.median(invokes) if invokes else 0.0,
        replay_seconds,
        rss_mb,
    )


def measure_target(
    target: str, profile: str, budget: str, seed: int, rules: Sequence[RuleId] = BENCH_RULES
) -> SpeedRow:
    """One target's row, measured in a fresh process. Side effects: starts that process, and
    whatever the target starts (a server on loopback)."""
    config = RunConfig(TargetOptions(target), get_profile(profile), tuple(rules), budget, seed, 1)
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_measure, config).result()


def workers_speedup(profile: str, budget: str, seed: int) -> tuple[float, float]:
    """Wall seconds of a full run against the in-process reference with one and two workers."""
    walls = []
    for workers in (1, 2):
        config = RunConfig(TargetOptions("reference"), get_profile(profile), None, budget, seed, workers)
        started = time.perf_counter()
        run(config)
        walls.append(time.perf_counter() - started)
    return walls[0], walls[1]


def render_speed(rows: Sequence[SpeedRow]) -> str:
    header = (
        "| target | requests | requests/s | harness ms/request | median invoke ms "
        "| overhead ratio | peak RSS MB |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r.target} | {r.requests} | {r.per_second:.0f} | {r.harness_ms:.1f} "
            f"| {r.median_invoke_ms:.2f} | {r.overhead:.1f}x | {r.peak_rss_mb:.0f} |"
        )
    return "\n".join(lines)
