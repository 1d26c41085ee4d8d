"""One exchange judged for one rule: the model's judgement plus, for WIRE-* rules, the wire check;
and :func:`exchange_step`, the one place a request goes allowed → invoke → judge → step → trace
(campaigns and replays both take their steps through it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from conformance.emulator.signing import verify
from conformance.engine.clock import target_clock
from conformance.models.catalogue import is_wire
from conformance.models.control_record import ControlRecord
from conformance.models.expect import Allowed, Judgement, Mismatch, Problem
from conformance.models.model import Model, isolates
from conformance.models.outcomes import Outcome, RegisterUsageResult, ServiceError
from conformance.models.records import Difference, record_differences, records_mismatches
from conformance.models.requests import CallContext, RegisterUsage, Request
from conformance.models.rule_ids import RuleId
from conformance.models.shapes import ShapeIndex
from conformance.models.state import ModelState
from conformance.reporting.trace import TraceStep
from conformance.reporting.wording import mismatch_text
from conformance.targets.base import PUBLIC_KEY, Target, records_target
from conformance.targets.client import Exchange
from conformance.targets.http import ControlError
from conformance.wire.check import check_response

__all__ = ["RuleCheck", "Stepped", "check_rule", "exchange_step", "not_implemented"]

# How implementations say they lack an operation: moto's 500 NotImplementedError, a Smithy
# server's UnknownOperationException, HTTP 501, or a message that says so.
_NOT_IMPLEMENTED_CODES = frozenset({"NotImplementedError", "NotImplemented", "UnknownOperationException"})


def not_implemented(outcome: Outcome) -> bool:
    """Whether an answer says the target does not implement the operation at all (no rule's
    answer: the operation is missing, which a report says once, apart from broken rules)."""
    if not isinstance(outcome, ServiceError):
        return False
    message = (outcome.message or "").lower()
    return (
        outcome.status == 501
        or outcome.code in _NOT_IMPLEMENTED_CODES
        or "not implemented" in message
        or "not yet implemented" in message
    )


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


def check_rule(
    rule: RuleId,
    allowed: Allowed,
    exchange: Exchange,
    shapes: ShapeIndex,
    judgement: Judgement | None = None,
    extra: tuple[Mismatch, ...] = (),
) -> RuleCheck:
    """Judge ``exchange`` against ``allowed`` (wire rules against the profile's ``shapes``),
    keeping only what concerns ``rule``. ``judgement``: ``allowed.judge`` of the outcome, where
    the caller has it; ``extra``: mismatches found beyond the answer (the records oracle's). An
    indeterminate answer (transport failure, throttling) never decides and never diverges."""
    judgement = judgement or allowed.judge(exchange.outcome)
    found = (*judgement.mismatches, *extra)
    own = [m for m in found if m.rule == rule]
    decided = rule in judgement.decided
    if exchange.raw is not None and is_wire(rule):
        operation = None if exchange.request.operation == "Raw" else exchange.request.operation
        wire = check_response(operation, exchange.raw, shapes)
        decided = decided or rule in wire.decided
        on_wire = [m for m in wire.mismatches if m.rule == rule]
        own += on_wire
        if on_wire and judgement.conforms:
            # the answer's content is as allowed, so Expected and Received would read the same:
            # Received says what on the wire differs
            differs = "; ".join(mismatch_text(m) for m in on_wire)
            judgement = replace(judgement, received=f"{judgement.received}; on the wire: {differs}")
    if judgement.indeterminate:
        return RuleCheck(judgement, False, ())
    if not own:
        return RuleCheck(judgement, decided, ())
    others = tuple(m for m in found if m.rule != rule)
    if not isolates(rule, allowed):
        # the answer contradicts the rule but cannot be blamed on it alone: it neither fails
        # the rule nor counts toward passing it (in an open world, where any key may be recorded
        # already, a valid MeterUsage answered 404 was counted decided, and MU-ACCEPT passed)
        return RuleCheck(judgement, False, (), (*own, *others))
    return RuleCheck(judgement, decided, tuple(mismatch_text(m) for m in own), others)


@dataclass(frozen=True)
class Stepped:
    """One request sent and judged: its trace step, the rule's check, the model's next state."""

    step: TraceStep
    check: RuleCheck
    state: ModelState
    outcome: Outcome  # what the target answered


def exchange_step(
    rule: RuleId,
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
    computed here otherwise). On a target that lists its records, the records oracle checks
    that the step recorded no more than the model allows. Side effects: whatever
    ``target.invoke`` does (and, with records, reading how many there are)."""
    if allowed is None:
        allowed = model.allowed(state, request, context, now)
    lister = records_target(target)
    listing = lister.records if lister is not None else None
    before = listing() if listing is not None else ()
    sent = datetime.now(UTC)
    exchange = target.invoke(request, context)
    if "clock" not in target.capabilities:
        target_clock(target).observe(exchange, sent, datetime.now(UTC))
    judgement = allowed.judge(exchange.outcome)
    next_state = model.step(state, allowed, exchange.outcome)
    extra: tuple[Mismatch, ...] = ()
    if listing is not None and not judgement.indeterminate:
        made = _differences(model, next_state, listing()) - _differences(model, state, before)
        extra = records_mismatches(allowed, judgement, made, exchange.outcome)
    if isinstance(request, RegisterUsage) and isinstance(exchange.outcome, RegisterUsageResult):
        extra += _signature_oracle(target, state, request, exchange.outcome)
    check = check_rule(rule, allowed, exchange, model.shapes, judgement, extra)
    step = TraceStep(
        "request",
        now,
        request,
        context,
        expected=check.judgement.expected,
        observed=check.judgement.received,
        divergence=check.divergence,
        also_broken=check.others,
        fault=exchange.fault,
    )
    return Stepped(step, check, next_state, exchange.outcome)


def _signature_oracle(
    target: Target, state: ModelState, request: RegisterUsage, outcome: RegisterUsageResult
) -> tuple[Mismatch, ...]:
    """RU-SIGNATURE's other half, which the model (standard library only) leaves out: the token
    verifies with the product's public key for the version asked, as a fixtures file gives it
    or the target serves it. Nothing to check without a key (the rule is then untestable:
    ``models.needs``) or without a token (the model judges that)."""
    product = state.world.products.get(request.product_code or "")
    version = request.public_key_version
    if product is None or not isinstance(version, int) or not outcome.signature:
        return ()
    pem = product.public_key(version)
    served = getattr(target, "public_key", None) if PUBLIC_KEY in target.capabilities else None
    if pem is None and served is not None:
        try:
            pem = served(product.code, version)
        except ControlError:
            return ()  # the route failed: the signature goes unchecked, never wrongly failed
    if pem is None:
        return ()
    try:
        verify(outcome.signature, pem)
    except ValueError as exc:
        subject = f"product {product.code} version {version}"
        return (Mismatch("RU-SIGNATURE", Problem.SIGNATURE, subject=subject, detail=str(exc)),)
    return ()


def _differences(model: Model, state: ModelState, records: Sequence[ControlRecord]) -> frozenset[Difference]:
    return record_differences(state, records, model.profile.agentcore_platforms)
