"""CONC-LINEARIZABLE: is a concurrent history explained by some sequential order?

A history is a list of completed operations with their invocation and completion times. An
order is admissible when it respects real time (an operation that completed before another was
invoked comes first) and every outcome is allowed by the model at its place in the order, as
in Wing & Gong's search that Knossos implements. Histories here are small (a handful of
requests per concurrent phase), so a depth-first search with real-time pruning is enough.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .model import Model
from .outcomes import Outcome
from .requests import CallContext, Request
from .state import ModelState

__all__ = ["HistoryOp", "linearize"]


@dataclass(frozen=True)
class HistoryOp:
    request: Request
    context: CallContext
    now: datetime
    invoked: float
    completed: float
    outcome: Outcome


def linearize(
    model: Model,
    state: ModelState,
    history: Sequence[HistoryOp],
    final: Callable[[ModelState], bool] = lambda _: True,
) -> tuple[int, ...] | None:
    """Indices of ``history`` in an admissible sequential order whose last state ``final``
    accepts (what the target lists as recorded agrees with it, say), or None if there is none."""
    remaining = frozenset(range(len(history)))
    return _search(model, state, history, remaining, (), final)


def _search(
    model: Model,
    state: ModelState,
    history: Sequence[HistoryOp],
    remaining: frozenset[int],
    order: tuple[int, ...],
    final: Callable[[ModelState], bool],
) -> tuple[int, ...] | None:
    if not remaining:
        return order if final(state) else None
    deadline = min(history[i].completed for i in remaining)
    for i in sorted(remaining, key=lambda j: history[j].invoked):
        op = history[i]
        if op.invoked > deadline:
            break  # an operation still to place completed before this one began
        allowed = model.allowed(state, op.request, op.context, op.now)
        if not allowed.judge(op.outcome).conforms:
            continue
        after = model.step(state, allowed, op.outcome)
        found = _search(model, after, history, remaining - {i}, (*order, i), final)
        if found is not None:
            return found
    return None
