"""What a request would change if the service honoured it: the typed plan the model hands
from ``allowed`` to ``step``, one kind per operation (a raw request has none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .state import Entry, UsageKey

__all__ = ["BatchPlan", "MeterPlan", "Plan", "RecordPlan", "RegisterPlan", "ResolvePlan", "TokenBinding"]

Fingerprint = tuple[str | None, datetime | None, object, Decimal | None, object, bool]
"""What a ClientToken is bound to: product, timestamp, dimension, quantity, allocations, DryRun."""

TokenBinding = tuple[tuple[str, str], Fingerprint]
"""(caller, ClientToken) and the parameters it names."""


@dataclass(frozen=True)
class RecordPlan:
    """What one record would change if the service honoured it."""

    key: UsageKey | None
    entry: Entry | None


@dataclass(frozen=True)
class MeterPlan:
    """A MeterUsage: its record (none for a DryRun), and the ClientToken it binds."""

    records: tuple[RecordPlan, ...] = ()
    recordable: bool = False
    token_binding: TokenBinding | None = None
    agentcore: bool = False


@dataclass(frozen=True)
class BatchPlan:
    """A BatchMeterUsage: one plan per record; ``recordable`` False where it is refused whole."""

    records: tuple[RecordPlan, ...]
    recordable: bool


@dataclass(frozen=True)
class ResolvePlan:
    token: str | None


@dataclass(frozen=True)
class RegisterPlan:
    registration: tuple[str, str] | None  # (caller, product) a success registers


Plan = MeterPlan | BatchPlan | ResolvePlan | RegisterPlan
