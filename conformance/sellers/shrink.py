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

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from conformance.faults import Fault, Sent
from conformance.models.seller import LoggedCall, fingerprint

__all__ = ["Address", "RequestAddressedFaults", "Shrunk", "addressed_faults", "addresses", "shrink"]

T = TypeVar("T")
Address = tuple[str, int]
"""A request's fingerprint and which send of it (from 1)."""


class RequestAddressedFaults:
    """A fault source: the faults ``chosen`` of those a run met (``met``, by
    :func:`addressed_faults`), each meeting its request again. A send taken out of ``met`` is
    taken out of its request's sends, since the retry it caused will not happen: with a throttle
    on a request's 1st send and a reset on its 2nd, the reset alone meets the 1st."""

    def __init__(self, met: Sequence[tuple[Address, Fault]], chosen: Sequence[tuple[Address, Fault]]) -> None:
        kept = dict(chosen)
        taken: Counter[str] = Counter()
        self.faults: dict[Address, Fault] = {}
        for key, send in sorted(address for address, _ in met):
            if (key, send) in kept:
                self.faults[(key, send - taken[key])] = kept[(key, send)]
            else:
                taken[key] += 1

    def fault(self, sent: Sent) -> Fault:
        return self.faults.get(sent.address, Fault())


def addresses(exchanges: Sequence[LoggedCall]) -> list[Address]:
    """Each exchange's address: its request's fingerprint and which send of it (from 1), as
    the proxy counted them when the run sent them."""
    sends: Counter[str] = Counter()
    found = []
    for exchange in exchanges:
        key = fingerprint(exchange.operation, exchange.body)
        sends[key] += 1
        found.append((key, sends[key]))
    return found


def addressed_faults(exchanges: Sequence[LoggedCall]) -> list[tuple[Address, Fault]]:
    """The faults a run met, each addressed by the request it met."""
    return [
        (address, Fault.parse(exchange.fault))
        for exchange, address in zip(exchanges, addresses(exchanges), strict=True)
        if exchange.fault != "none"
    ]


K = TypeVar("K")
U = TypeVar("U")
Chosen = tuple[tuple[K, Fault], ...]


@dataclass(frozen=True)
class Shrunk(Generic[K]):
    faults: tuple[tuple[K, Fault], ...]
    runs: int
    """How many candidate schedules were run."""
    exhausted: bool
    """The run or time budget ended the search: the faults break the rule (the fewest of any
    schedule tried that did) but may not be minimal."""


class _OutOfBudget(Exception):
    pass


def shrink(
    start: Sequence[tuple[K, Fault]],
    breaks: Callable[[Chosen[K]], bool],
    max_runs: int,
    *,
    seconds: float | None = None,
    at_once: int = 1,
    breaks_all: Callable[[list[Chosen[K]]], list[bool]] | None = None,
    streaks: bool = False,
) -> Shrunk[K]:
    """A 1-minimal subset of ``start`` (faults with their addresses: by request or by number)
    that ``breaks`` the rule (taking any one fault away stops the break), then with needless
    latency taken off each fault. ``start`` must break it; no faults must not (that is the run
    without faults). At most ``max_runs`` candidates are run, and none is started after
    ``seconds``; a search cut short returns the fewest faults it saw break the rule.

    ``at_once``: how many candidates are run together, by ``breaks_all`` (candidates to
    whether each breaks; by default ``breaks`` on each in turn); the first in order that breaks
    wins, as it would one at a time. ``streaks``: faults on consecutive sends of one request
    (addresses ``(fingerprint, send)``) are first taken away together, as the run of faults
    that makes an SDK give up is, then one by one."""
    search = _Search(breaks_all or (lambda chosen: [breaks(c) for c in chosen]), max_runs, seconds, at_once)
    search.best = tuple(start)
    items: list[tuple[K, Fault]] = list(start)
    try:
        if streaks:
            items = _one_by_one(_flat(_ddmin(_streaks(items), search.first_breaking)), search.first_breaking)
        else:
            items = _flat(_ddmin([[item] for item in items], search.first_breaking))
        for place, (address, fault) in enumerate(items):
            if fault.latency_ms and (fault.blocking or fault.unprocessed is not None):
                plainer = (address, Fault(fault.blocking, 0, fault.unprocessed))
                candidate = [*items[:place], plainer, *items[place + 1 :]]
                if search.first_breaking([[[fault] for fault in candidate]]) == 0:
                    items = candidate
    except _OutOfBudget:
        return Shrunk(search.best, search.runs, True)
    return Shrunk(tuple(items), search.runs, False)


class _Search(Generic[K]):
    """The candidates run so far, what each did, and the fewest faults seen to break the rule."""

    def __init__(
        self,
        evaluate: Callable[[list[Chosen[K]]], list[bool]],
        max_runs: int,
        seconds: float | None,
        at_once: int,
    ) -> None:
        self._evaluate, self._max_runs, self._at_once = evaluate, max_runs, max(1, at_once)
        self._deadline = None if seconds is None else time.monotonic() + seconds
        self._results: dict[Chosen[K], bool] = {}
        self.runs = 0
        self.best: Chosen[K] = ()

    def first_breaking(self, candidates: Sequence[Sequence[Sequence[tuple[K, Fault]]]]) -> int | None:
        """The place of the first candidate (units of faults) that breaks the rule; an empty
        one never does (that is the run without faults)."""
        chosen = [tuple(fault for unit in candidate for fault in unit) for candidate in candidates]
        for begin in range(0, len(chosen), self._at_once):
            batch = chosen[begin : begin + self._at_once]
            self._run([c for c in dict.fromkeys(batch) if c and c not in self._results])
            for place, one in enumerate(batch, begin):
                if one and self._results[one]:
                    return place
        return None

    def _run(self, fresh: list[Chosen[K]]) -> None:
        if not fresh:
            return
        if self.runs >= self._max_runs or (self._deadline is not None and time.monotonic() >= self._deadline):
            raise _OutOfBudget
        fresh = fresh[: self._max_runs - self.runs]
        self.runs += len(fresh)
        for one, broke in zip(fresh, self._evaluate(fresh), strict=True):
            self._results[one] = broke
            if broke and _simpler(one, self.best):
                self.best = one
        if any(one not in self._results for one in fresh):
            raise _OutOfBudget


def _simpler(chosen: Sequence[tuple[K, Fault]], best: Sequence[tuple[K, Fault]]) -> bool:
    """Fewer faults, or as many with less latency."""
    return (len(chosen), _latency(chosen)) < (len(best), _latency(best))


def _latency(chosen: Sequence[tuple[K, Fault]]) -> int:
    return sum(fault.latency_ms for _, fault in chosen)


def _streaks(items: Sequence[tuple[K, Fault]]) -> list[list[tuple[K, Fault]]]:
    """The faults in runs on consecutive sends of one request (an address ``(key, send)``); a
    fault of another address is a run of its own."""
    units: list[list[tuple[K, Fault]]] = []
    last: dict[object, list[tuple[K, Fault]]] = {}
    for item in sorted(items, key=lambda item: _order(item[0])):
        address = item[0]
        if isinstance(address, tuple) and len(address) == 2:
            key, send = address
            unit = last.get(key)
            if unit is not None and isinstance(send, int) and unit[-1][0] == (key, send - 1):
                unit.append(item)
                continue
            last[key] = [item]
            units.append(last[key])
        else:
            units.append([item])
    return units


def _order(address: object) -> tuple[str, int]:
    if isinstance(address, tuple) and len(address) == 2 and isinstance(address[1], int):
        return (str(address[0]), address[1])
    return (str(address), 0)


def _flat(units: Sequence[Sequence[tuple[K, Fault]]]) -> list[tuple[K, Fault]]:
    return [fault for unit in units for fault in unit]


def _one_by_one(
    start: Sequence[tuple[K, Fault]],
    first_breaking: Callable[[list[list[list[tuple[K, Fault]]]]], int | None],
) -> list[tuple[K, Fault]]:
    """Each fault taken away alone, in order, and left out where the rule still breaks: what
    makes the faults of the streaks kept 1-minimal, in as many runs as there are faults."""
    items, place = list(start), 0
    while place < len(items):
        candidates = [[[f] for f in items[:i] + items[i + 1 :]] for i in range(place, len(items))]
        found = first_breaking(candidates)
        if found is None:
            break
        place += found
        items = items[:place] + items[place + 1 :]
    return items


def _ddmin(start: Sequence[U], first_breaking: Callable[[list[list[U]]], int | None]) -> list[U]:
    """Zeller's ddmin over ``start``: ``first_breaking(candidates)`` is the place of the first
    candidate that still breaks the rule, or None."""
    items, chunks = list(start), 2
    while len(items) >= 2:
        size = -(-len(items) // chunks)
        parts = [items[i : i + size] for i in range(0, len(items), size)]
        found = first_breaking(parts)
        if found is not None:
            items, chunks = parts[found], 2
            continue
        if len(parts) > 2:
            rests = [[x for j, part in enumerate(parts) if j != i for x in part] for i in range(len(parts))]
            found = first_breaking(rests)
            if found is not None:
                items, chunks = rests[found], max(chunks - 1, 2)
                continue
        if chunks >= len(items):
            return items
        chunks = min(len(items), chunks * 2)
    return items
