"""What a run was asked to do and what it found per rule: the engine fills these in, the
report, the CLI and the pytest plugin read them."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.reporting.trace import Trace
from conformance.targets import TargetOptions
from models.catalogue import rules_for

__all__ = ["RuleResult", "RunConfig"]


@dataclass(frozen=True)
class RunConfig:
    target: TargetOptions
    profile: str = "2025-01"
    rules: tuple[str, ...] | None = None
    budget: str = "standard"
    seed: int = 0
    workers: int = 1

    def rule_ids(self) -> list[str]:
        ids = [rule.id for rule in rules_for(self.profile)]
        return [r for r in ids if r in self.rules] if self.rules else ids


@dataclass(frozen=True)
class RuleResult:
    id: str
    verdict: str
    exercised: int
    reason: str | None = None
    trace: Trace | None = None
    expected: str | None = None
    received: str | None = None
    replayed: str | None = None
    seconds: float = 0.0
    faults: tuple[tuple[str, int], ...] = ()  # faults injected during the campaign, by kind
    fault_rate: float = 0.0  # each fault kind's rate per request in the campaign
    histories: tuple[int, ...] = ()  # concurrent histories checked: how many requests each had
