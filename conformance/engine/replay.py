"""Replaying a trace against a target, step by step, and comparing two targets on one trace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from conformance.engine.campaign import judging_model
from conformance.engine.clock import target_clock
from conformance.engine.concurrency import replay_at_once
from conformance.engine.timeshift import wall_clock_shift
from conformance.engine.verdict import exchange_step
from conformance.models.catalogue import RULES_BY_ID
from conformance.models.model import Model
from conformance.models.world import World
from conformance.reporting.render import labelled, render_step
from conformance.reporting.trace import Trace, TraceStep, shift_request
from conformance.targets import FAULTABLE, Target, TargetOptions, TargetUsageError, make_target
from conformance.targets.base import FAULTS, fault_target
from conformance.wire.service_model import model_for

__all__ = ["ReplayResult", "ReplayedStep", "diff_lines", "replay", "replay_file"]


@dataclass(frozen=True)
class ReplayedStep:
    step: TraceStep  # as replayed: timestamps shifted, expected/observed from this replay
    recorded: str  # what the trace recorded as observed


@dataclass(frozen=True)
class ReplayResult:
    trace: Trace
    target: str
    steps: tuple[ReplayedStep, ...]
    assumes: tuple[str, ...] = ()
    """What the replay took for granted of a target it could not set up (no reset, no clock)."""

    @property
    def reproduced(self) -> bool:
        """The target diverged from the trace's rule again."""
        return any(s.step.divergence for s in self.steps)

    def render(self) -> str:
        rule = RULES_BY_ID.get(self.trace.rule)
        lines = [
            f"{self.trace.rule}: {rule.statement if rule else ''}".rstrip(),
            f"Target: {self.target}   Profile: {self.trace.profile}   Trace seed: {self.trace.seed}",
            *(f"Assumes: {assumption}" for assumption in self.assumes),
            "",
        ]
        for number, replayed in enumerate(self.steps, 1):
            lines += render_step(number, replayed.step)
        verdict = "reproduced" if self.reproduced else "does not reproduce: the target conforms on this trace"
        lines += ["", f"Divergence {verdict}."]
        return "\n".join(lines)


def replay(trace: Trace, target: Target, model: Model) -> ReplayResult:
    """Send the trace's steps to ``target`` (already open) and judge each answer for the trace's
    rule. Side effects: the target is reset to the trace's fixtures, its clock moved. A target
    without a clock gets every timestamp shifted by (now - the trace's start)."""
    controlled = "clock" in target.capabilities
    model = judging_model(model, controlled)
    if trace.concurrent:
        recorded = [s.observed for s in trace.steps]
        steps = replay_at_once(trace, target, model)
        return ReplayResult(trace, target.name, tuple(map(ReplayedStep, steps, recorded)))
    shift = timedelta(0)
    if not controlled:
        shift = wall_clock_shift(trace, target_clock(target).now() - trace.start, model.profile)
    now = trace.start + shift
    target.reset(trace.fixtures, now)
    state = model.initial(
        World.of(target.world(trace.fixtures)), open_world="reset" not in target.capabilities
    )
    out: list[ReplayedStep] = []
    assumes = _assumptions(target, shift)
    clock = now
    faulty = fault_target(target)
    for step in trace.steps:
        now = step.now + shift if controlled else target_clock(target).now()
        if controlled and now != clock:
            # every step carries its own now: a minimized trace may have lost the clock step
            target.set_clock(now)
            clock = now
        if step.kind == "clock":
            out.append(ReplayedStep(TraceStep("clock", now), ""))
        elif step.kind == "fixtures" and step.fixtures is not None:
            target.add_fixtures(step.fixtures)
            state = state.with_fixtures(target.world(step.fixtures))
            out.append(ReplayedStep(TraceStep("fixtures", now, fixtures=step.fixtures), ""))
        elif step.request is not None and step.context is not None:
            request = shift_request(step.request, shift)
            if faulty is not None:
                faulty.inject_next(step.fault or "none")  # the faults the step met, no others
            stepped = exchange_step(trace.rule, model, target, state, request, step.context, now)
            state = stepped.state
            out.append(ReplayedStep(stepped.step, step.observed))
    return ReplayResult(trace, target.name, tuple(out), assumes)


def _assumptions(target: Target, shift: timedelta) -> tuple[str, ...]:
    """What a replay assumes of a target it cannot reset or set the clock of."""
    said = []
    if "reset" not in target.capabilities:
        said.append(
            "nothing is reset: the target serves the world its fixtures file declares and may hold "
            "usage of earlier runs, so any key may be recorded already (the model allows for it)"
        )
    if "clock" not in target.capabilities:
        said.append(
            "the target's clock is the wall clock: every timestamp is moved by "
            f"{_duration(shift)}, about the time since the trace, so that each record keeps its "
            "hour and its side of every window edge"
        )
    return tuple(said)


def _duration(shift: timedelta) -> str:
    seconds = int(shift.total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{seconds // 3600}h{seconds % 3600 // 60:02d}m{seconds % 60:02d}s"


def replay_file(
    path: Path | str,
    target_name: str,
    *,
    endpoint_url: str | None = None,
    fixtures_file: Path | None = None,
) -> ReplayResult:
    """Load a trace, open ``target_name``, replay, close. Raises TargetUsageError when the
    trace met injected faults and the target cannot be given them."""
    trace = Trace.load(Path(path))
    model = model_for(trace.profile)
    target = make_target(TargetOptions(target_name, endpoint_url, fixtures_file), model)
    if FAULTS not in target.capabilities and any(s.fault not in (None, "none") for s in trace.steps):
        raise TargetUsageError(
            f"{path}: its requests met injected faults, which {target_name} cannot be given; "
            f"replay it against {', '.join(FAULTABLE)}"
        )
    target.open(trace.fixtures, trace.start)
    try:
        return replay(trace, target, model)
    finally:
        target.close()


def diff_lines(first: ReplayResult, second: ReplayResult) -> list[str]:
    """Where two replays of one trace received different answers, step by step."""
    lines: list[str] = []
    for number, (a, b) in enumerate(zip(first.steps, second.steps, strict=True), 1):
        if a.step.kind != "request" or a.step.observed == b.step.observed:
            continue
        lines += render_step(number, a.step)[:1]
        lines += labelled(f"{first.target}: ", a.step.observed, "   ")
        lines += labelled(f"{second.target}: ", b.step.observed, "   ")
    return lines
