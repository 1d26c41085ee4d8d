"""Traces: a failing rule's minimal request sequence, as versioned JSON independent of Hypothesis.

A trace holds the profile, the fixtures, and every step (clock moves, fixture changes, requests
with what the model expected and what the target answered). Access key ids never appear: each
caller is named ``caller-N`` in the file and given a made-up key again when the trace is read.
The format is described by ``schemas/trace.schema.json`` and checked on write and on read.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conformance.models.expect import Mismatch, Problem
from conformance.models.requests import (
    CallContext,
    RawRequest,
    Request,
    epoch,
    from_epoch,
    request_from_params,
    to_wire,
    with_usage_parts,
)
from conformance.models.rule_ids import RuleId, is_rule_id
from conformance.models.world import Fixtures
from conformance.reporting.wording import mismatch_text
from conformance.wire.schemas import SchemaError, read_json, validate

__all__ = [
    "TRACE_VERSION",
    "Trace",
    "TraceError",
    "TraceStep",
    "pytest_module",
    "pytest_source",
    "shift_request",
    "write_replay",
]

TRACE_VERSION = 1
_ALIAS = re.compile(r"^caller-(\d+)$")


class TraceError(ValueError):
    """A trace file that cannot be read (one line, names the file and the problem)."""


@dataclass(frozen=True)
class TraceStep:
    """A clock move, a fixture change, or a request with its expected and observed outcomes."""

    kind: str  # "clock" | "fixtures" | "request"
    now: datetime
    request: Request | None = None
    context: CallContext | None = None
    fixtures: Fixtures | None = None
    expected: str = ""
    observed: str = ""
    divergence: tuple[str, ...] = ()  # why the answer breaks the trace's rule
    also_broken: tuple[Mismatch, ...] = ()  # the other rules the same answer breaks
    fault: str | None = None  # the faults injected into this request (X-Conformance-Fault), if any


@dataclass(frozen=True)
class Trace:
    rule: RuleId
    profile: str
    target: str
    seed: int
    fixtures: Fixtures
    start: datetime
    clock: bool  # False: recorded on wall time; a replay shifts every timestamp to its own now
    steps: tuple[TraceStep, ...]
    reasons: tuple[str, ...]
    faults: float = 0.0  # the fault rate (FaultRates.spread) of the campaign the trace comes from
    concurrent: bool = False  # the requests were sent at once (CONC-LINEARIZABLE), and are replayed so

    def to_json(self) -> dict[str, Any]:
        aliases = _Aliases()
        data = {
            "format": "metering-conformance-trace",
            "version": TRACE_VERSION,
            "rule": self.rule,
            "profile": self.profile,
            "target": self.target,
            "seed": self.seed,
            "start": epoch(self.start),
            "clock": self.clock,
            "fixtures": aliases.fixtures(self.fixtures),
            "steps": [_step_json(step, aliases) for step in self.steps],
            "reasons": list(self.reasons),
        }
        if self.faults:
            data["faults"] = self.faults
        if self.concurrent:
            data["concurrent"] = True
        validate("trace", data)
        return data

    @classmethod
    def from_json(cls, data: Any) -> Trace:
        validate("trace", data)
        if not is_rule_id(data["rule"]):
            raise SchemaError(f"rule: {data['rule']!r} is not a rule of this version's catalogue")
        keys = _Keys()
        return cls(
            rule=data["rule"],
            profile=data["profile"],
            target=data["target"],
            seed=data["seed"],
            fixtures=keys.fixtures(data["fixtures"]),
            start=from_epoch(data["start"]),
            clock=data["clock"],
            steps=tuple(_step_from_json(s, keys) for s in data["steps"]),
            reasons=tuple(data["reasons"]),
            faults=data.get("faults", 0.0),
            concurrent=data.get("concurrent", False),
        )

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> Trace:
        try:
            data = read_json(path)
        except ValueError as exc:
            raise TraceError(f"trace {path}: {exc}") from None
        try:
            return cls.from_json(data)
        except ValueError as exc:
            raise TraceError(f"trace {path} is not a version {TRACE_VERSION} trace: {exc}") from None


def shift_request(request: Request, delta: timedelta) -> Request:
    """The same request with every timestamp moved by ``delta`` (replays on wall time)."""
    return with_usage_parts(
        request, lambda part: replace(part, timestamp=part.timestamp + delta) if part.timestamp else part
    )


class _Aliases:
    """Access key id -> ``caller-N``, in order of first appearance."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    def __call__(self, key: str | None) -> str | None:
        if key is None:
            return None
        return self._names.setdefault(key, f"caller-{len(self._names) + 1}")

    def fixtures(self, fixtures: Fixtures) -> dict[str, Any]:
        data = fixtures.to_json()
        for caller in data["callers"]:
            caller["accessKeyId"] = self(caller["accessKeyId"])
        return data


class _Keys:
    """``caller-N`` -> a made-up access key id, the same for the same alias."""

    def __call__(self, alias: str | None) -> str | None:
        if alias is None:
            return None
        match = _ALIAS.match(alias)
        if match is None:
            raise ValueError(f"caller {alias!r} is not of the form caller-N")
        return f"AKIAREPLAY{int(match.group(1)):010d}"

    def fixtures(self, data: dict[str, Any]) -> Fixtures:
        fixtures = Fixtures.from_json(data)
        callers = tuple(replace(c, access_key_id=self(c.access_key_id) or "") for c in fixtures.callers)
        return replace(fixtures, callers=callers)


def _step_json(step: TraceStep, aliases: _Aliases) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": step.kind, "now": epoch(step.now)}
    if step.fixtures is not None:
        data["fixtures"] = aliases.fixtures(step.fixtures)
    if step.request is not None and step.context is not None:
        data["operation"] = step.request.operation
        if isinstance(step.request, RawRequest):
            data["xAmzTarget"] = step.request.target
            data["body"] = base64.b64encode(step.request.body).decode()
        else:
            data["params"] = to_wire(step.request)
        data["caller"] = aliases(step.context.access_key_id)
        data["region"] = step.context.region
        data["expected"] = step.expected
        data["observed"] = step.observed
        data["divergence"] = list(step.divergence)
        if step.also_broken:
            data["alsoBroken"] = [{"rule": m.rule, "reason": mismatch_text(m)} for m in step.also_broken]
        if step.fault is not None:
            data["fault"] = step.fault
    return data


def _step_from_json(data: dict[str, Any], keys: _Keys) -> TraceStep:
    now = from_epoch(data["now"])
    if data["kind"] == "fixtures":
        return TraceStep("fixtures", now, fixtures=keys.fixtures(data["fixtures"]))
    if data["kind"] == "clock":
        return TraceStep("clock", now)
    request: Request
    if data["operation"] == "Raw":
        request = RawRequest(data.get("xAmzTarget"), base64.b64decode(data["body"]))
    else:
        request = request_from_params(data["operation"], data["params"])
    context = CallContext(keys(data.get("caller")), data["region"])
    return TraceStep(
        "request",
        now,
        request,
        context,
        expected=data["expected"],
        observed=data["observed"],
        divergence=tuple(data["divergence"]),
        also_broken=tuple(
            Mismatch(m["rule"], Problem.TEXT, detail=m["reason"]) for m in data.get("alsoBroken", ())
        ),
        fault=data.get("fault"),
    )


def pytest_module(rule: RuleId) -> str:
    """The file name of the pytest module that replays ``rule``'s trace: ``test_bmu_window.py``."""
    return "test_" + re.sub(r"\W", "_", rule.lower()) + ".py"


def write_replay(directory: Path, trace: Trace) -> Path:
    """``RULE.json`` and the pytest module that replays it (:func:`pytest_module`), written in
    ``directory``; the trace's path. Side effect: writes both files."""
    path = directory / f"{trace.rule}.json"
    trace.save(path)
    (directory / pytest_module(trace.rule)).write_text(pytest_source(path.name, trace))
    return path


def pytest_source(trace_file: str, trace: Trace) -> str:
    """A pytest module that replays ``trace_file`` (beside it) and fails while the divergence
    reproduces. The target is the one the trace was found on, or ``CONFORMANCE_TARGET``."""
    module = pytest_module(trace.rule)
    return f'''"""Replays {trace_file}: {trace.rule} on target {trace.target}, profile {trace.profile}.

Generated by metering-conformance. Fails while the target still diverges on this trace.
Run: pytest {module}
Another target: CONFORMANCE_TARGET=endpoint CONFORMANCE_ENDPOINT_URL=http://127.0.0.1:PORT pytest ...
"""

import os
from pathlib import Path

from conformance.engine import replay_file

TRACE = Path(__file__).with_name({trace_file!r})


def {module.removesuffix(".py")}_conforms():
    result = replay_file(
        TRACE,
        os.environ.get("CONFORMANCE_TARGET", {trace.target!r}),
        endpoint_url=os.environ.get("CONFORMANCE_ENDPOINT_URL"),
    )
    assert not result.reproduced, result.render()
'''
