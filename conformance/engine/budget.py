"""How long each campaign searches: the ``--budget`` levels, or a duration for the whole run."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.config import duration_seconds, is_duration

__all__ = ["BUDGETS", "SLICE", "Budget", "duration_seconds", "is_duration"]


@dataclass(frozen=True)
class Budget:
    """``examples`` Hypothesis examples of at most ``steps`` steps, per round; a campaign that
    has not reached its rule runs another round, twice as long, with the next seed, up to
    ``rounds``. While an
    example has not yet reached the rule, each send draws up to ``search`` candidates."""

    name: str
    examples: int
    steps: int
    rounds: int
    search: int = 24


BUDGETS = {
    "quick": Budget("quick", examples=12, steps=8, rounds=5, search=12),
    "standard": Budget("standard", examples=40, steps=12, rounds=4),
    "deep": Budget("deep", examples=200, steps=20, rounds=6, search=48),
}

SLICE = Budget("slice", examples=12, steps=8, rounds=1, search=12)
"""One slice of a run on a duration (``--budget 10m``): a campaign of one round, of the quick
budget's length. Slice k of a rule is its round k, with that round's seed; the slices owed to
a rule's verdict double their examples as the quick budget's rounds do, so they are those
rounds (:mod:`conformance.engine.timed`)."""
