"""The clock of a target the harness cannot set (an endpoint without the control protocol,
AWS): the wall clock, plus the offset its answers show. Each answer's ``Date`` header is the
target's time, to the second, somewhere between sending the request and reading the answer, so
it bounds the offset; the bounds of all answers so far are intersected, and the middle taken.
A remote host a few seconds off would otherwise have its window edges judged at the harness's
time: a correct target failed for a timestamp it rightly refused."""

from __future__ import annotations

import threading
import weakref
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from conformance.models.requests import CallContext, ResolveCustomer
from conformance.targets.base import Target
from conformance.targets.client import Exchange

__all__ = ["TargetClock", "target_clock"]

_SECOND = timedelta(seconds=1)


class TargetClock:
    """The target's now, learned from its answers (the wall clock until one carries a date)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bounds: tuple[timedelta, timedelta] | None = None

    @property
    def offset(self) -> timedelta:
        """How far the target's clock is ahead of this machine's (zero before any answer)."""
        with self._lock:
            if self._bounds is None:
                return timedelta(0)
            low, high = self._bounds
        return (low + high) / 2

    @property
    def learned(self) -> bool:
        return self._bounds is not None

    def now(self) -> datetime:
        """The target's time now, to the second."""
        return (datetime.now(UTC) + self.offset).replace(microsecond=0)

    def observe(self, exchange: Exchange, sent: datetime, received: datetime) -> None:
        """Narrow the offset with ``exchange``'s Date (sent between ``sent`` and ``received``,
        on this machine's clock); an answer without a readable Date changes nothing."""
        date = exchange.raw.date if exchange.raw is not None else None
        try:
            stamped = parsedate_to_datetime(date) if date else None
        except (TypeError, ValueError):
            stamped = None
        if stamped is None or stamped.tzinfo is None:
            return
        low, high = stamped - received, stamped + _SECOND - sent
        with self._lock:
            if self._bounds is not None:
                known_low, known_high = self._bounds
                if max(low, known_low) <= min(high, known_high):  # else the clock moved: start again
                    low, high = max(low, known_low), min(high, known_high)
            self._bounds = (low, high)


# by id: a target need not be hashable (a dataclass wrapping one is not); an entry goes with its target
_CLOCKS: dict[int, TargetClock] = {}
_CLOCKS_LOCK = threading.Lock()
_CALIBRATION = ResolveCustomer("conformance-clock-check")


def target_clock(target: Target) -> TargetClock:
    """The clock of ``target`` (one per target object, learned across its campaigns). Side
    effect: for a target whose clock cannot be set, the first call sends one ResolveCustomer of
    an unknown token (it records nothing) to read the target's Date before any request is
    built on its time."""
    with _CLOCKS_LOCK:
        clock = _CLOCKS.get(id(target))
        if clock is None:
            clock = _CLOCKS[id(target)] = TargetClock()
            weakref.finalize(target, _CLOCKS.pop, id(target), None)
    if "clock" not in target.capabilities and not clock.learned:
        sent = datetime.now(UTC)
        exchange = target.invoke(_CALIBRATION, CallContext(None))
        clock.observe(exchange, sent, datetime.now(UTC))
    return clock
