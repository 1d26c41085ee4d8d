"""What a run found per rule: the engine fills these in, the report, the CLI and the pytest
plugin read them (what it was asked to do is ``conformance.config.RunConfig``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from conformance.models.rule_ids import RuleId
from conformance.reporting.trace import Trace

__all__ = ["RuleResult", "Verdict"]


class Verdict(StrEnum):
    """A rule's verdict in a run; its value is what reports, traces and the CLI print."""

    PASS = "pass"
    FAIL = "fail"  # the target diverged, again on replay
    FLAKY = "flaky"  # the minimal trace did not diverge again on replay
    UNTESTABLE = "untestable"  # the target cannot be given what the rule needs
    NOT_REACHED = "not-reached"  # the budget never produced a request the rule decides
    UNIMPLEMENTED = "unimplemented"  # the target does not implement the operation the rule needs

    @property
    def failed(self) -> bool:
        """Whether the run exits 1 for it (a missing operation is a divergence too)."""
        return self in (Verdict.FAIL, Verdict.FLAKY, Verdict.NOT_REACHED, Verdict.UNIMPLEMENTED)


@dataclass(frozen=True)
class RuleResult:
    id: RuleId
    verdict: Verdict
    exercised: int
    reason: str | None = None
    trace: Trace | None = None
    expected: str | None = None
    received: str | None = None
    replayed: str | None = None
    seconds: float = 0.0
    faults: tuple[tuple[str, int], ...] = ()  # faults injected during the campaign, by kind
    fault_rate: float = 0.0  # the campaign's fault rate: the chance a request meets a fault
    histories: tuple[int, ...] = ()  # concurrent histories checked: how many requests each had
    operation: str | None = None  # unimplemented: the operation the target does not implement
    found_in: int = 0  # fail / flaky: the campaign's example it was found in, from 1 (a corpus's first)
    slices: int = 0  # campaigns run for it (one, or on a duration as many as it was given)
    # what the model made of the requests sent (engine.campaign.behaviour), with how many showed each
    behaviours: tuple[tuple[str, int], ...] = ()
