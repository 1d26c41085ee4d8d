"""One exchange judged for one rule: the model's judgement plus, for WIRE-* rules, the wire check."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.client import Exchange
from conformance.wire_check import check_response
from models.expect import Allowed, Judgement
from models.shapes import ShapeIndex

__all__ = ["RuleCheck", "check_rule"]


@dataclass(frozen=True)
class RuleCheck:
    judgement: Judgement
    decided: bool  # the rule decided this answer (and the answer was not indeterminate)
    divergence: tuple[str, ...]  # why the answer breaks the rule; empty when it does not

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
    return RuleCheck(judgement, decided, tuple(reasons))
