"""How recorded usage changes after an answer, for both metering operations: the possible a
usage key may be in after a success, a duplicate or an indeterminate answer, ClientToken
bindings, and which neighbouring keys a record is judged beside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .plans import TokenBinding
from .rule_ids import RuleId
from .state import UNKNOWN_ENTRY, Entry, ModelState, PossibleEntries, UsageKey

__all__ = ["after_duplicate", "after_success", "bind_token", "identical_rule", "maybe_applied", "neighbour"]


def neighbour(state: ModelState, key: UsageKey, differing: str) -> bool:
    """Something is recorded under a key equal to ``key`` but for the ``differing`` field."""
    for other in state.usage:
        if (
            other != key
            and state.recorded(other)
            and all(
                getattr(other, f) == getattr(key, f)
                for f in ("operation", "product_code", "subject", "dimension", "hour")
                if f != differing
            )
        ):
            return True
    return False


def identical_rule(rule: RuleId, recorded: Entry, entry: Entry) -> RuleId:
    """The rule an identical repeat of a recorded entry exercises: MU-QUANTITY-DEFAULT when one
    of the two omits a 0 the other names, QTY-BY-VALUE when they name one value in two ways
    (17 and "17.00"), else ``rule``."""
    if recorded.quantity_omitted != entry.quantity_omitted:
        return "MU-QUANTITY-DEFAULT" if rule == "MU-IDEMPOTENT" else rule
    if recorded.quantity_text != entry.quantity_text:
        return "QTY-BY-VALUE"
    return rule


def bind_token(state: ModelState, binding: TokenBinding, record_id: str) -> ModelState:
    tokens = dict(state.client_tokens)
    tokens[binding[0]] = (binding[1], record_id)
    return replace(state, client_tokens=tokens)


def after_success(
    possible: PossibleEntries, entry: Entry, record_id: str | None, twins: Sequence[Entry] = ()
) -> PossibleEntries:
    """After a success: the record answered with a recorded id is that record, which stands
    (an identical retry changes nothing of it); any other is ``entry``, or any of its ``twins``
    (records sent beside it that the service counts as the same), or a record an indeterminate
    outcome may have left whose id nobody saw and that ``entry`` repeats by value: then this
    answer is its id, and it stands (RETRY-CONVERGES)."""
    recorded = frozenset(e for e in possible if e is not None and record_id and e.record_id == record_id)
    if recorded:
        return recorded
    unseen = frozenset(
        replace(e, record_id=record_id, pending=False)  # settled: the answer decides the key
        for e in possible
        if e is not None and e.pending and e.record_id is None and e.quantity == entry.quantity
    )
    return unseen | frozenset(replace(e, record_id=record_id) for e in (entry, *twins))


def maybe_applied(possible: PossibleEntries, entry: Entry) -> PossibleEntries:
    """After an indeterminate outcome: where nothing was recorded, the entry may now be.

    PossibleEntries that already hold a record are unchanged: there the request was idempotent or a
    duplicate, whether or not it reached the service.
    """
    if None not in possible:
        return possible
    return possible | {replace(entry, pending=True)}


def after_duplicate(possible: PossibleEntries, entry: Entry) -> PossibleEntries:
    """The target said the key holds another record: keep the possible where that is so."""
    kept = frozenset(
        w
        for w in possible
        if w is not None
        and (w.quantity is None or w.quantity != entry.quantity or w.allocations != entry.allocations)
    )
    return kept or frozenset({UNKNOWN_ENTRY})
