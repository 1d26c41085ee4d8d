"""How long each campaign searches: the ``--budget`` levels."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BUDGETS", "Budget"]


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
