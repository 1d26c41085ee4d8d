"""One exchange judged for one rule: the model's judgement plus, for WIRE-* rules, the wire check;
and :func:`exchange_step`, the one place a request goes allowed → invoke → judge → step → trace
(campaigns and replays both take their steps through it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conformance.reporting.trace import TraceStep
from conformance.targets.base import Target
from conformance.targets.client import Exchange
from conformance.wire.check import check_response
from models.expect import Allowed, Judgement, Mismatch
from models.model import Model, isolates
from models.outcomes import Outcome
from models.requests import CallContext, Request
from models.shapes import ShapeIndex
from models.state import ModelState

__all__ = ["RuleCheck", "Stepped", "check_rule", "exchange_step"]


@dataclass(frozen=True)
class RuleCheck:
    judgement: Judgement
    decided: bool  # the rule decided this answer (and the answer was not indeterminate)
    divergence: tuple[str, ...]  # why the answer breaks the rule; empty when it does not
    # where the answer breaks the rule, every other mismatch of it: other rules', and the
    # rule's own where the request breaks other rules too (then never a counterexample:
    # models.model.isolates)
    others: tuple[Mismatch, ...] = ()

    @property
    def diverges(self) -> bool:
        return bool(self.divergence)


def check_rule(rule: str, allowed: Allowed, exchange: Exchange, shapes: ShapeIndex) -> RuleCheck:
    """Judge ``exchange`` against ``allowed`` (wire rules against the profile's ``shapes``),
    keeping only what concerns ``rule``. An indeterminate answer (transport failure,
    throttling) never decides and never diverges."""
    judgement = allowed.judge(exchange.outcome)
    reasons = [m.reason for m in judgement.mismatches if m.rule == rule]
    decided = rule in judgement.decided
    if exchange.raw is not None and rule.startswith("WIRE-"):
        operation = None if exchange.request.operation == "Raw" else exchange.request.operation
        wire = check_response(operation, exchange.raw, shapes)
        decided = decided or rule in wire.decided
        reasons += [m.reason for m in wire.mismatches if m.rule == rule]
    if judgement.indeterminate:
        return RuleCheck(judgement, False, ())
    if not reasons:
        return RuleCheck(judgement, decided, ())
    others = tuple(m for m in judgement.mismatches if m.rule != rule)
    if not isolates(rule, allowed):
        return RuleCheck(judgement, decided, (), tuple(Mismatch(rule, r) for r in reasons) + others)
    return RuleCheck(judgement, decided, tuple(reasons), others)


@dataclass(frozen=True)
class Stepped:
    """One request sent and judged: its trace step, the rule's check, the model's next state."""

    step: TraceStep
    check: RuleCheck
    state: ModelState
    outcome: Outcome  # what the target answered


def exchange_step(
    rule: str,
    model: Model,
    target: Target,
    state: ModelState,
    request: Request,
    context: CallContext,
    now: datetime,
    allowed: Allowed | None = None,
) -> Stepped:
    """Send ``request`` to ``target`` and judge the answer for ``rule``. ``allowed``: the model's
    answer for this same state, request and ``now``, where the caller has it already (it is
    computed here otherwise). Side effects: whatever ``target.invoke`` does."""
    if allowed is None:
        allowed = model.allowed(state, request, context, now)
    exchange = target.invoke(request, context)
    check = check_rule(rule, allowed, exchange, model.shapes)
    step = TraceStep(
        "request",
        now,
        request,
        context,
        expected=check.judgement.expected,
        observed=check.judgement.received,
        divergence=check.divergence,
        also_broken=check.others,
    )
    return Stepped(step, check, model.step(state, allowed, exchange.outcome), exchange.outcome)
