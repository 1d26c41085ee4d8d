"""The target adapter interface, and what a target can be told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, cast

from conformance.faults import FaultRates
from conformance.models.control_record import ControlRecord
from conformance.models.requests import CallContext, Request
from conformance.models.world import Fixtures
from conformance.targets.client import Exchange

__all__ = [
    "CAPABILITIES",
    "FAULTS",
    "PUBLIC_KEY",
    "RECORDS",
    "FaultTarget",
    "RecordsTarget",
    "Target",
    "TargetOptions",
    "TargetSetupError",
    "TargetUsageError",
    "fault_target",
    "records_target",
]


class TargetUsageError(ValueError):
    """The options do not make a usable target (exit code 2); one line says how to fix them."""


@dataclass(frozen=True)
class TargetOptions:
    """What the command line (or the pytest plugin, or a replay) says about the target."""

    name: str
    endpoint_url: str | None = None
    fixtures_file: Path | None = None
    allow_real_billing: bool = False
    max_records: int | None = None


CAPABILITIES = {
    "reset": "forget all usage between examples",
    "clock": "freeze and move the service clock",
    "world": "declare products, dimensions, tokens and callers",
    "subscriptions": "subscribe and unsubscribe customers",
    "raw": "receive requests no SDK sends (bad JSON, unknown operations)",
}


# Announced by a target that can list what it recorded (``records()``: the record
# objects of ``GET /_conformance/records``): the records oracle compares them with the model's
# state after every step. Not needed to reach any rule, so not in CAPABILITIES.
RECORDS = "records"

# Announced by a target that gives the PEM its RegisterUsage signatures verify with
# (``public_key(product_code, version)``; the control protocol's ``public-key`` route). A
# fixtures file can give the keys instead (``products[].publicKeys``).
PUBLIC_KEY = "public-key"

# Announced by a target the harness injects faults in front of (in process, or through a fault
# proxy): it has the methods of FaultTarget.
FAULTS = "faults"


class TargetSetupError(RuntimeError):
    """The target could not be reached or set up (exit code 3); one line says why."""


class Target(Protocol):
    """An implementation of the Metering Service the harness judges. Adapters hold no rules."""

    name: str
    capabilities: frozenset[str]

    def world(self, declared: Fixtures) -> Fixtures:
        """The world the model may assume once ``declared`` has been given to ``open``: what
        the target cannot be told is left out (or, for a fixture file, replaced)."""

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        """Set up the world and the clock. May start a process or a server; raises
        TargetSetupError when the target cannot be reached or set up."""

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        """Forget all usage, tokens and registrations; set up the world again."""

    def set_clock(self, now: datetime) -> None:
        """Move the target's clock (a target without the ``clock`` capability ignores this)."""

    def add_fixtures(self, fixtures: Fixtures) -> None:
        """Add to (or replace part of) the world; a target ignores what it cannot be told."""

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        """Send one request. Never raises for a service error or a transport failure."""

    def close(self) -> None:
        """Stop whatever ``open`` started."""


class FaultTarget(Target, Protocol):
    """A target announcing ``faults``: what its requests meet can be set and injected."""

    def set_faults(self, rates: FaultRates, seed: int) -> None:
        """Every later request meets faults drawn at ``rates`` from ``seed`` (none if every rate
        is 0)."""

    def inject_next(self, fault: str) -> None:
        """The next request this thread sends meets exactly ``fault`` (an
        ``X-Conformance-Fault`` value; ``none``: no fault)."""

    def faults_injected(self) -> dict[str, int]:
        """The faults injected so far, by kind."""


def fault_target(target: Target) -> FaultTarget | None:
    """``target`` as one faults can be injected in front of, or None when it announces none."""
    return cast(FaultTarget, target) if FAULTS in target.capabilities else None


class RecordsTarget(Target, Protocol):
    """A target announcing ``records``: it lists what it has recorded (the records oracle)."""

    def records(self) -> Sequence[ControlRecord]:
        """Every usage record held, as the control protocol's ``GET /records`` lists them."""


def records_target(target: Target) -> RecordsTarget | None:
    """``target`` as one that lists its records, or None when it announces no ``records``."""
    return cast(RecordsTarget, target) if RECORDS in target.capabilities else None
