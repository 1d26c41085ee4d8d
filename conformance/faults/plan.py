"""What faults one request meets, how they are drawn, and how they are named.

The harness draws the faults of each request itself (:func:`draw_fault`: in a campaign from
the example's data, in the concurrency phase from a target's :class:`FaultSchedule`) and names
them as an ``X-Conformance-Fault`` value; the in-process target injects them itself, the proxy
injects what the header names and strips it. So a trace records the faults each step met and a
replay injects exactly those again. A request without the header (any other client of
``conformance proxy``) meets faults the proxy draws from its own plan.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BLOCKING",
    "FAULT_HEADER",
    "FAULT_KINDS",
    "Fault",
    "FaultPlan",
    "FaultRates",
    "FaultSchedule",
    "RequestFaults",
    "ScheduleKey",
    "Sent",
    "draw_fault",
    "parse_rate",
]

FAULT_HEADER = "X-Conformance-Fault"
BLOCKING = ("throttle", "internal", "reset-before", "reset-after")
FAULT_KINDS = (*BLOCKING, "latency", "unprocessed")
_MAX_LATENCY_MS = 50


# ``--faults RATE`` is the chance that a request meets a fault, one kind drawn evenly from those
# that apply to it: throttled, failed, reset before or after the target saw it, delayed, and for a
# batch a record reported unprocessed. At most half: a correct client's retries (and a
# campaign's, which settles an indeterminate answer in a few sends) still get through.
MAX_RATE = 0.5


def parse_rate(text: str) -> float:
    """``--faults RATE``: the chance that a request meets a fault, from 0 to MAX_RATE (see
    :meth:`FaultRates.spread`). Raises ValueError saying so."""
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= MAX_RATE:
        raise ValueError(
            f"{text!r} is not a fault rate from 0 to {MAX_RATE} (the chance that a request meets a fault)"
        )
    return rate


@dataclass(frozen=True)
class FaultRates:
    """The chance of each fault kind per service request. A request meets at most one fault, so
    the rates together (:attr:`total`) are at most 1 and are the chance that a request meets a
    fault. A request that is not a batch cannot have a record reported unprocessed: it meets a
    fault with the same total chance, its kind drawn from the others in their proportions."""

    throttle: float = 0.0
    internal: float = 0.0
    reset_before: float = 0.0
    reset_after: float = 0.0
    latency: float = 0.0
    unprocessed: float = 0.0

    @classmethod
    def spread(cls, rate: float) -> FaultRates:
        """What ``--faults RATE`` means: a request meets a fault with chance ``rate``, its kind
        drawn evenly from the six (from five for a request that is not a batch)."""
        each = rate / len(FAULT_KINDS)
        return cls(*(each for _ in FAULT_KINDS))

    @classmethod
    def blocking(cls, blocked: float) -> FaultRates:
        """Every request meets a fault: blocked with chance ``blocked`` (the four blocking kinds
        evenly), else delayed or, for a batch, a record reported unprocessed. What a campaign
        that needs answers lost injects (RETRY-CONVERGES's)."""
        each, rest = blocked / len(BLOCKING), (1 - blocked) / 2
        return cls(each, each, each, each, rest, rest)

    def of(self, kind: str) -> float:
        return float(getattr(self, kind.replace("-", "_")))

    @property
    def total(self) -> float:
        """The chance that a request meets a fault (rounded: the rate ``--faults`` was given)."""
        return round(sum(self.of(kind) for kind in FAULT_KINDS), 9)

    def __post_init__(self) -> None:
        if any(not 0 <= self.of(kind) <= 1 for kind in FAULT_KINDS) or self.total > 1:
            raise ValueError("fault rates must be in [0, 1], and together at most 1")

    @property
    def any(self) -> bool:
        return any(self.of(kind) for kind in FAULT_KINDS)


@dataclass(frozen=True)
class Fault:
    """The faults one request meets: at most one blocking kind, a delay, and for a batch
    answered 200, which Success result (by index among them, modulo their number) is reported
    unprocessed."""

    blocking: str | None = None
    latency_ms: int = 0
    unprocessed: int | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds met, as counted: ``reset-after``, ``latency``, ``unprocessed``, ..."""
        return tuple(part.partition("=")[0] for part in self._parts())

    def header(self) -> str:
        """The header value: ``none``, or parts such as ``reset-after`` ``latency=12``
        ``unprocessed=1`` joined by ``;``."""
        return ";".join(self._parts()) or "none"

    def _parts(self) -> list[str]:
        parts = [self.blocking] if self.blocking else []
        if self.latency_ms:
            parts.append(f"latency={self.latency_ms}")
        if self.unprocessed is not None:
            parts.append(f"unprocessed={self.unprocessed}")
        return parts

    @classmethod
    def parse(cls, text: str) -> Fault:
        """The inverse of :meth:`header`; raises ValueError for anything else."""
        blocking, latency, unprocessed = None, 0, None
        for part in filter(None, (p.strip() for p in text.split(";"))):
            name, _, value = part.partition("=")
            if part == "none":
                continue
            if name in BLOCKING and not value and blocking is None:
                blocking = name
            elif name == "latency" and value.isdigit():
                latency = int(value)
            elif name == "unprocessed" and value.isdigit():
                unprocessed = int(value)
            else:
                raise ValueError(f"{FAULT_HEADER} {text!r}: unknown part {part!r}")
        return cls(blocking, latency, unprocessed)


def draw_fault(rates: FaultRates, batch: bool, rng: random.Random) -> Fault:
    """The fault of one request (``batch``: a BatchMeterUsage) at ``rates``, drawn from ``rng``
    (a seeded Random, or Hypothesis's ``st.randoms()``: then the faults are part of the
    example, and replay with it)."""
    pick = rng.random()
    kinds = FAULT_KINDS if batch else tuple(k for k in FAULT_KINDS if k != "unprocessed")
    weight = sum(rates.of(kind) for kind in kinds)
    if pick >= rates.total or not weight:
        return Fault()
    pick *= weight / rates.total  # the same total chance, spread over the kinds that apply
    kind = kinds[-1]
    for candidate in kinds:
        pick -= rates.of(candidate)
        if pick < 0:
            kind = candidate
            break
    if kind == "latency":
        return Fault(latency_ms=rng.randint(1, _MAX_LATENCY_MS))
    if kind == "unprocessed":
        return Fault(unprocessed=rng.randrange(25))
    return Fault(blocking=kind)


@dataclass(frozen=True)
class Sent:
    """A request as a fault source sees it: its number in the run (from 1), its operation and
    body, and its address by content: the fingerprint of what it carries
    (:func:`conformance.models.seller.fingerprint`) and which send of that it is (from 1)."""

    index: int
    operation: str
    body: bytes
    key: str = ""
    send: int = 1
    since_answer: float | None = None
    """Seconds since the code was answered the send before this one of the same request (None
    for a first send, or while that one is unanswered): the wait CLIENT-BACKOFF judges, or less."""

    @property
    def address(self) -> tuple[str, int]:
        return (self.key, self.send)


class FaultPlan:
    """Faults drawn from ``seed`` at ``rates``, one :class:`Fault` per request. Thread-safe."""

    def __init__(self, rates: FaultRates, seed: int = 0) -> None:
        self.rates = rates
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self, batch: bool) -> Fault:
        with self._lock:
            return draw_fault(self.rates, batch, self._random)

    def fault(self, sent: Sent) -> Fault:
        """The next request's faults, whatever it is."""
        return self.draw(sent.operation == "BatchMeterUsage")


class FaultSchedule:
    """The faults of the requests one target sends: none until :meth:`set_rates` gives a rate,
    then drawn from a plan of that seed; or exactly what :meth:`inject_next` names, for the next
    request this thread sends only (how a replay meets the faults its trace recorded, requests
    sent at once from several threads included)."""

    def __init__(self) -> None:
        self._plan: FaultPlan | None = None
        self._injected = threading.local()

    def set_rates(self, rates: FaultRates, seed: int) -> None:
        """Draw every later request's faults at ``rates`` from ``seed`` (none if all are 0)."""
        self._plan = FaultPlan(rates, seed) if rates.any else None

    def inject_next(self, fault: str) -> None:
        """The next request meets exactly ``fault`` (an ``X-Conformance-Fault`` value; ``none``:
        no fault). Raises ValueError for a value :meth:`Fault.parse` refuses."""
        self._injected.fault = Fault.parse(fault)

    def next(self, batch: bool) -> Fault | None:
        """The faults of the request about to be sent (``batch``: a BatchMeterUsage); None when
        faults are off and none was injected."""
        fault: Fault | None = getattr(self._injected, "fault", None)
        self._injected.fault = None
        if fault is None and self._plan is not None:
            fault = self._plan.draw(batch)
        return fault


ScheduleKey = int | tuple[str, int]
"""Where a scheduled fault strikes: the request of that number, or by content, the ``send``-th
send of the request whose fingerprint is ``key``."""
_BY_CONTENT = re.compile(r"^([0-9a-f]{8})/([1-9][0-9]*)$")


class RequestFaults:
    """Faults by request: the ``n``-th request a proxy forwards (from 1) meets ``faults[n]``,
    and the ``s``-th send of a request whose fingerprint is ``k`` meets ``faults[(k, s)]``;
    every other request none. How a client run under faults is repeated, and shrunk: a fault
    schedule is a :class:`RequestFaults`. Written ``3:reset-after,1f3a9c02/2:unprocessed=0``:
    by content, a schedule meets the same usage however the code orders its requests."""

    def __init__(self, faults: Mapping[ScheduleKey, Fault] | None = None) -> None:
        self.faults = {k: f for k, f in sorted((faults or {}).items(), key=_order) if f != Fault()}

    def fault(self, sent: Sent) -> Fault:
        return self.faults.get(sent.index) or self.faults.get(sent.address) or Fault()

    def __len__(self) -> int:
        return len(self.faults)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RequestFaults) and self.faults == other.faults

    def __hash__(self) -> int:
        return hash(tuple(self.faults.items()))

    def text(self) -> str:
        """The schedule as ``--schedule`` takes it (empty: no fault)."""
        return ",".join(f"{_key_text(k)}:{f.header()}" for k, f in self.faults.items())

    @classmethod
    def parse(cls, text: str) -> RequestFaults:
        """The inverse of :meth:`text`; raises ValueError naming the bad part."""
        faults: dict[ScheduleKey, Fault] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            where, colon, named = part.partition(":")
            key = _parse_key(where.strip())
            if not colon or key is None or key in faults:
                raise ValueError(
                    f"{part!r} is not REQUEST:FAULT, with a new request number from 1 or a "
                    "request's fingerprint and send (1f3a9c02/2)"
                )
            faults[key] = Fault.parse(named)
        return cls(faults)


def _parse_key(text: str) -> ScheduleKey | None:
    if text.isdigit() and int(text) >= 1:
        return int(text)
    match = _BY_CONTENT.match(text)
    return (match.group(1), int(match.group(2))) if match else None


def _key_text(key: ScheduleKey) -> str:
    return str(key) if isinstance(key, int) else f"{key[0]}/{key[1]}"


def _order(item: tuple[ScheduleKey, Fault]) -> tuple[int, str, int]:
    key = item[0]
    return (0, "", key) if isinstance(key, int) else (1, key[0], key[1])  # by number first
