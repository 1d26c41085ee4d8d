"""The model's state: the world plus everything the service must remember.

Usage is kept per key as a set of *possible* recorded entries (``None``: nothing recorded), as
Knossos keeps a set of possible register values: an indeterminate outcome widens the set, a
later observation narrows it. The state is immutable; every step returns a new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from .outcomes import ResolveCustomerResult
from .world import Fixtures, World

__all__ = ["UNKNOWN_ENTRY", "Entry", "ModelState", "PossibleEntries", "UsageKey"]


@dataclass(frozen=True, order=True)
class UsageKey:
    """What duplicate detection compares: (caller | customer, product, dimension, hour)."""

    operation: str
    product_code: str
    subject: str  # the caller's access key (MeterUsage) or the customer identifier (batch)
    dimension: str
    hour: datetime


@dataclass(frozen=True)
class Entry:
    """One recorded record. ``quantity`` is its value (None: some record of unknown quantity,
    open world); ``quantity_text`` how it was sent (``requests.quantity_text``: ``""`` omitted)."""

    quantity: Decimal | None
    allocations: frozenset[Any] | None = None
    record_id: str | None = None
    pending: bool = False
    quantity_text: str = ""

    @property
    def quantity_omitted(self) -> bool:
        return self.quantity_text == ""


UNKNOWN_ENTRY = Entry(quantity=None)

PossibleEntries = frozenset[Entry | None]


@dataclass(frozen=True)
class ModelState:
    world: World = field(default_factory=World)
    usage: Mapping[UsageKey, PossibleEntries] = field(default_factory=dict)
    open_world: bool = False
    client_tokens: Mapping[tuple[str, str], tuple[Any, str]] = field(default_factory=dict)
    resolved: Mapping[str, ResolveCustomerResult] = field(default_factory=dict)
    resolved_customers: frozenset[tuple[str, str]] = frozenset()
    registered: frozenset[tuple[str, str]] = frozenset()
    rejected_keys: frozenset[UsageKey] = frozenset()

    def possible(self, key: UsageKey) -> PossibleEntries:
        """Possible entries for a key: untouched keys hold nothing (closed) or anything (open)."""
        if key in self.usage:
            return self.usage[key]
        return frozenset({None, UNKNOWN_ENTRY}) if self.open_world else frozenset({None})

    def with_possible(self, key: UsageKey, possible: PossibleEntries) -> ModelState:
        usage = dict(self.usage)
        usage[key] = possible
        return replace(self, usage=usage)

    def with_fixtures(self, fixtures: Fixtures) -> ModelState:
        return replace(self, world=self.world.with_fixtures(fixtures))

    def bound_ids(self) -> dict[str, Any]:
        """Every MeteringRecordId the model has seen bound to a key or to a ClientToken."""
        ids: dict[str, Any] = {
            record_id: token for token, (_, record_id) in self.client_tokens.items() if record_id
        }
        ids.update(
            (entry.record_id, key)
            for key, possible in self.usage.items()
            for entry in possible
            if entry is not None and entry.record_id
        )
        return ids

    def recorded(self, key: UsageKey) -> bool:
        """Some entry is certainly or possibly recorded under the key."""
        return any(e is not None for e in self.usage.get(key, ()))
