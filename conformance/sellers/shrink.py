"""The minimal fault schedule that still breaks a rule: delta debugging (Zeller's ddmin) over
the faults a failing run met, each candidate tried by running the seller's code again. The
faults shrink, never the client.

While shrinking, a fault is addressed by the request it met, not by its number: the n-th send
of the same request (:func:`conformance.models.seller.fingerprint`, timestamps aside). Taking away an early
fault takes away the retries it caused and renumbers every later request; a fault addressed by
its request still meets that request. The schedule a report gives is the minimal run's faults
by number, which replay the same way.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from conformance.faults import Fault
from conformance.models.seller import LoggedCall, fingerprint

__all__ = ["Address", "RequestAddressedFaults", "Shrunk", "addressed_faults", "shrink"]

T = TypeVar("T")
Address = tuple[str, int]
"""A request's fingerprint and which send of it (from 1)."""


class RequestAddressedFaults:
    """A fault source: the faults ``chosen`` of those a run met (``met``, by
    :func:`addressed_faults`), each meeting its request again. A send taken out of ``met`` is
    taken out of its request's sends, since the retry it caused will not happen: with a throttle
    on a request's 1st send and a reset on its 2nd, the reset alone meets the 1st. One run each:
    it counts the sends it has seen."""

    def __init__(self, met: Sequence[tuple[Address, Fault]], chosen: Sequence[tuple[Address, Fault]]) -> None:
        kept = dict(chosen)
        taken: Counter[str] = Counter()
        self.faults: dict[Address, Fault] = {}
        for key, send in sorted(address for address, _ in met):
            if (key, send) in kept:
                self.faults[(key, send - taken[key])] = kept[(key, send)]
            else:
                taken[key] += 1
        self._sends: Counter[str] = Counter()

    def fault(self, index: int, operation: str, body: bytes) -> Fault:
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        key = fingerprint(operation, request if isinstance(request, dict) else None)
        self._sends[key] += 1
        return self.faults.get((key, self._sends[key]), Fault())


def addressed_faults(exchanges: Sequence[LoggedCall]) -> list[tuple[Address, Fault]]:
    """The faults a run met, each addressed by the request it met."""
    sends: Counter[str] = Counter()
    found = []
    for exchange in exchanges:
        key = fingerprint(exchange.operation, exchange.body)
        sends[key] += 1
        if exchange.fault != "none":
            found.append(((key, sends[key]), Fault.parse(exchange.fault)))
    return found


K = TypeVar("K")


@dataclass(frozen=True)
class Shrunk(Generic[K]):
    faults: tuple[tuple[K, Fault], ...]
    runs: int
    """How many candidate schedules were run."""
    exhausted: bool
    """The run budget ended the search: the faults break the rule but may not be minimal."""


class _OutOfRuns(Exception):
    pass


def shrink(
    start: Sequence[tuple[K, Fault]],
    breaks: Callable[[tuple[tuple[K, Fault], ...]], bool],
    max_runs: int,
) -> Shrunk[K]:
    """A 1-minimal subset of ``start`` (faults with their addresses: by request or by number)
    that ``breaks`` the rule (taking any one fault away stops
    the break), then with needless latency taken off each fault. ``start`` must break it; no
    faults must not (that is the run without faults). ``breaks`` runs the code; it is called at
    most ``max_runs`` times."""
    runs = 0

    def tried(chosen: Sequence[tuple[K, Fault]]) -> bool:
        nonlocal runs
        if not chosen:
            return False
        if runs >= max_runs:
            raise _OutOfRuns
        runs += 1
        return breaks(tuple(chosen))

    items = list(start)
    try:
        items = _ddmin(items, tried)
        for place, (address, fault) in enumerate(items):
            if fault.latency_ms and (fault.blocking or fault.unprocessed is not None):
                plainer = (address, Fault(fault.blocking, 0, fault.unprocessed))
                candidate = [*items[:place], plainer, *items[place + 1 :]]
                if tried(candidate):
                    items = candidate
    except _OutOfRuns:
        return Shrunk(tuple(items), runs, True)
    return Shrunk(tuple(items), runs, False)


def _ddmin(items: list[T], breaks: Callable[[list[T]], bool]) -> list[T]:
    chunks = 2
    while len(items) >= 2:
        size = -(-len(items) // chunks)
        parts = [items[i : i + size] for i in range(0, len(items), size)]
        smaller = next((part for part in parts if breaks(part)), None)
        if smaller is not None:
            items, chunks = smaller, 2
            continue
        if len(parts) > 2:
            rests = ([x for j, part in enumerate(parts) if j != i for x in part] for i in range(len(parts)))
            rest = next((r for r in rests if breaks(r)), None)
            if rest is not None:
                items, chunks = rest, max(chunks - 1, 2)
                continue
        if chunks >= len(items):
            return items
        chunks = min(len(items), chunks * 2)
    return items
