"""The rules of a seller's own metering code (the ``CLIENT-*`` entries of the catalogue), judged
from what the code sent and what the service held, never from what the seller meant.

The fault proxy logs every service request a seller's code sends as a :class:`LoggedCall`: the
body sent, read once into the model's request type, the faults it met and the answer the code
got (none when the connection was reset). :func:`judge_log` walks one run's exchanges and
returns the :class:`Breach` of each log rule; :func:`judge_records` compares the usage the
service held after a run under faults with what it held after the same run without faults
(CLIENT-EXACTLY-ONCE).

Usage is followed by the model's :class:`UsageKey` (product, customer, dimension, hour): the
unit the service deduplicates, so two sends of one key are one record's send and retry. The
batch limit and the codes that mean a malformed request or a timestamp outside the window come
from the pinned service model and the catalogue (:class:`ClientLimits`).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from .catalogue import CLIENT_RULES, errors_of
from .checks import hour_of
from .control_record import ControlRecord
from .requests import BatchMeterUsage, MeterUsage, Request, UsageRecord, record_from_params
from .rule_ids import RuleId
from .shapes import ShapeIndex
from .state import UsageKey

__all__ = [
    "LOG_RULES",
    "Breach",
    "ClientLimits",
    "Fate",
    "Lapse",
    "LogJudgement",
    "LoggedCall",
    "Usage",
    "UsageKey",
    "billed",
    "fingerprint",
    "judge_log",
    "judge_records",
    "usages_of",
]

_METERED = ("MeterUsage", "BatchMeterUsage")
_EXACTLY_ONCE: RuleId = "CLIENT-EXACTLY-ONCE"  # decided by judge_records
BACKOFF_STREAK = 4
"""CLIENT-BACKOFF: resends in a row, each after a throttle, whose waits it adds up."""
BACKOFF_TOTAL_SECONDS = 0.100
"""CLIENT-BACKOFF: BACKOFF_STREAK resends in a row after throttles that wait less than this in
all break it. Botocore waits a random part of 1, 2, 4, 8 s: four that add up to less than 100 ms
come once in 15 million streaks (0.1 ** 4 / 24 / (1 * 2 * 4 * 8)); the JavaScript SDK v3, from
0.5 s for throttles, once in a million. An immediate resend takes 2-3 ms, but on a loaded
machine one took over 50 ms (a storm missed in CI when each of three waits had to be under
50 ms): a sum lets a slow resend by."""
LOG_RULES: tuple[RuleId, ...] = tuple(rule.id for rule in CLIENT_RULES if rule.id != _EXACTLY_ONCE)
"""The client rules :func:`judge_log` decides, in catalogue order."""


@dataclass(frozen=True)
class ClientLimits:
    """What the client rules read from the pinned service model and the catalogue."""

    batch_records: tuple[int, int]
    """The fewest and most usage records a BatchMeterUsage may carry."""
    malformed: frozenset[str]
    """The codes that refuse a request as malformed (CLIENT-WELL-FORMED's)."""
    out_of_window: frozenset[str]
    """The codes that refuse a timestamp outside the window (CLIENT-WINDOW's)."""

    @classmethod
    def of(cls, shapes: ShapeIndex) -> ClientLimits:
        least = shapes.member_limit("BatchMeterUsageRequest", "UsageRecords", "min") or 0
        most = shapes.member_limit("BatchMeterUsageRequest", "UsageRecords", "max")
        return cls(
            # the shape allows an empty batch, which the service may refuse (BMU-EMPTY)
            (max(1, int(least)), int(most)),
            errors_of("CLIENT-WELL-FORMED"),
            errors_of("CLIENT-WINDOW"),
        )


@dataclass(frozen=True)
class LoggedCall:
    """One service request as the fault proxy saw it."""

    index: int
    """Its place in the run, from 1, in the order requests reached the proxy."""
    operation: str
    """From ``X-Amz-Target`` (``BatchMeterUsage``); empty when there is none."""
    body: dict[str, Any] | None
    """The JSON body sent; None when it was not a JSON object."""
    request: Request | None
    """The body read as the service reads it (a ``RawRequest`` when it cannot be); None when
    the proxy was given no service model to read it with."""
    fault: str = "none"
    """The faults met, as an ``X-Conformance-Fault`` value."""
    status: int | None = None
    """The answer's status; None when the code got no answer (a reset connection)."""
    answer: dict[str, Any] | None = None
    """The JSON body of the answer, if it had one."""
    received: float = 0.0
    """When the proxy got the request (``time.monotonic()`` seconds)."""
    answered: float | None = None
    """When the proxy answered it (or reset the connection): None while it has not."""
    clock: datetime | None = None
    """The service's clock when it answered (its ``Date``); None when it did not answer."""

    @property
    def from_service(self) -> bool:
        """Whether the code got the service's own answer (not one the proxy made up or lost)."""
        met = {part.partition("=")[0] for part in self.fault.split(";")}
        return self.status is not None and not met & {"throttle", "internal"}

    @property
    def error(self) -> str | None:
        """The answer's error code (``__type`` without a namespace), if it is an error."""
        if self.status is None or self.status < 300 or not self.answer:
            return None
        code = self.answer.get("__type") or self.answer.get("code") or ""
        return str(code).rpartition("#")[2] or None


@dataclass(frozen=True)
class Usage:
    """One record of usage in a request: its key and what the service bills of it."""

    key: UsageKey
    """What the service deduplicates on; the subject is the customer (a batch's record) or
    empty (MeterUsage: the code's own caller, the same for every call of a run)."""
    timestamp: datetime
    quantity: str
    """The quantity as sent: the decimal text, else the whole number ("" when omitted)."""
    allocations: str
    """The allocations as canonical JSON (empty when none)."""

    @property
    def payload(self) -> tuple[str, str, str]:
        """What an identical retry repeats: timestamp, quantity, allocations."""
        return (self.timestamp.isoformat(), self.quantity, self.allocations)


class Fate(Enum):
    """What became of one usage in one send."""

    ANSWERED = "answered"
    """A definitive answer: recorded, a duplicate, or refused."""
    THROTTLED = "throttled"
    UNPROCESSED = "unprocessed"
    SERVER_ERROR = "server-error"
    LOST = "lost"

    @property
    def failed(self) -> bool:
        """The service did not (or may not have) billed it: a send to retry."""
        return self is not Fate.ANSWERED

    @property
    def indeterminate(self) -> bool:
        """The code cannot know whether the service billed it."""
        return self in (Fate.SERVER_ERROR, Fate.LOST)


class Lapse(Enum):
    """Which way a client rule was broken."""

    BATCH_SIZE = "batch-size"
    OUT_OF_WINDOW = "out-of-window"
    MALFORMED = "malformed"
    NOT_RETRIED = "not-retried"
    UNPROCESSED_DROPPED = "unprocessed-dropped"
    SENT_AFTER_ANSWER = "sent-after-answer"
    TWICE_IN_ONE_REQUEST = "twice-in-one-request"
    RETRY_CHANGED = "retry-changed"
    NO_BACKOFF = "no-backoff"
    LOST_USAGE = "lost-usage"
    EXTRA_USAGE = "extra-usage"


@dataclass(frozen=True)
class Breach:
    """One breach of a client rule: where it shows and what differed (words are the
    reporting layer's)."""

    rule: RuleId
    lapse: Lapse
    request: int = 0
    """The exchange that shows it (0: none, a difference of records)."""
    earlier: int = 0
    """The exchange it follows from (the send that failed or was answered), if any."""
    usage: UsageKey | None = None
    detail: str = ""
    """The data of the breach: an error code, a batch's size, the fields that changed, a record."""
    count: int = 1
    """How many times it holds (CLIENT-EXACTLY-ONCE: how many such records)."""
    allowed: str = ""
    """What the rule allows, where the service model sets it (CLIENT-BATCH-SIZE: ``1 to 25``)."""
    timestamp: datetime | None = None
    """CLIENT-WINDOW: the timestamp of the request's record furthest from :attr:`clock` (that
    record is :attr:`usage`), of :attr:`count` records."""
    clock: datetime | None = None
    """CLIENT-WINDOW: the service's clock when it refused the request."""
    later: int = 0
    """CLIENT-RETRY-FAILED: a later exchange that sent usage differing from the one never sent
    again only in its hour (:attr:`alike`): perhaps its retry, restamped into another hour."""
    alike: UsageKey | None = None


@dataclass(frozen=True)
class LogJudgement:
    """The breaches of one run's log, and how often each rule had something to judge."""

    breaches: tuple[Breach, ...]
    judged: Mapping[RuleId, int] = field(default_factory=dict)

    def of(self, rule: RuleId) -> tuple[Breach, ...]:
        return tuple(b for b in self.breaches if b.rule == rule)


def usages_of(call: LoggedCall) -> tuple[Usage, ...]:
    """The usage a metering request carries: each usage with a timestamp (none for a DryRun,
    another operation or a request the service cannot read)."""
    request = call.request
    if isinstance(request, MeterUsage) and request.dry_run is not True:
        return _usages("MeterUsage", request.product_code, (request.as_record(),))
    if isinstance(request, BatchMeterUsage):
        return _usages("BatchMeterUsage", request.product_code, request.usage_records)
    return ()


_VARYING = frozenset({"Timestamp", "ClientToken"})
"""What two sends of one request may differ in: a re-stamped timestamp, and the ClientToken an
SDK fills in afresh for each call it is asked to make (botocore and the SDK for JavaScript v3
keep one only across their own retries)."""


def fingerprint(operation: str, request: Mapping[str, Any] | None) -> str:
    """What stays the same when code sends a request again, even re-stamped or through a new
    SDK call: a digest (8 hex digits) of the operation and its body without timestamps or
    ClientToken. A fault schedule addresses a request by it (``1f3a9c02/2``: its 2nd send)."""
    text = operation + " " + _canonical(_invariant(request))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _invariant(value: object) -> object:
    if isinstance(value, dict):
        return {k: _invariant(v) for k, v in value.items() if k not in _VARYING}
    if isinstance(value, list):
        return [_invariant(v) for v in value]
    return value


def judge_log(exchanges: Sequence[LoggedCall], limits: ClientLimits) -> LogJudgement:
    """The breaches of every rule in :data:`LOG_RULES` in one run's exchanges, in order."""
    breaches: list[Breach] = []
    judged: Counter[RuleId] = Counter()
    last: dict[UsageKey, tuple[Usage, Fate, int]] = {}
    waits: dict[UsageKey, list[float]] = {}  # CLIENT-BACKOFF: the last waits in a row after throttles
    answered_at = {e.index: e.answered for e in exchanges}
    by_index = {e.index: e for e in exchanges}
    sent: list[tuple[int, Usage]] = []
    for exchange in exchanges:
        breaches.extend(_request_breaches(exchange, limits, judged))
        unprocessed = _unprocessed(exchange)
        for usage in usages_of(exchange):
            fate = _fate(exchange, usage.key in unprocessed)
            before = last.get(usage.key)
            if before is not None:
                breaches.extend(_resend_breaches(exchange, usage, *before, by_index, judged))
                breaches.extend(_backoff_breach(exchange, usage.key, before, answered_at, waits, judged))
            if fate.failed:
                judged["CLIENT-RETRY-UNPROCESSED" if fate is Fate.UNPROCESSED else "CLIENT-RETRY-FAILED"] += 1
            last[usage.key] = (usage, fate, exchange.index)
            sent.append((exchange.index, usage))
    for key, (usage, fate, index) in sorted(last.items(), key=lambda item: item[1][2]):
        if fate is Fate.UNPROCESSED:
            breaches.append(Breach("CLIENT-RETRY-UNPROCESSED", Lapse.UNPROCESSED_DROPPED, index, usage=key))
        elif fate.failed:
            later, alike = _alike_later(usage, index, sent)
            breaches.append(
                Breach(
                    "CLIENT-RETRY-FAILED",
                    Lapse.NOT_RETRIED,
                    index,
                    usage=key,
                    detail=fate.value,
                    later=later,
                    alike=alike,
                )
            )
    return LogJudgement(tuple(sorted(breaches, key=_order)), dict(judged))


def _alike_later(usage: Usage, index: int, sent: Sequence[tuple[int, Usage]]) -> tuple[int, UsageKey | None]:
    """The first usage sent after exchange ``index`` that differs from ``usage`` only in its
    hour (same operation, product, customer, dimension, quantity, allocations), of an hour not
    sent until then: what a retry restamped into another hour looks like, though it may be
    usage of its own; (0, None) when there is none."""
    before = {u.key for i, u in sent if i <= index}
    for later, other in sent:
        if later <= index or other.key in before:
            continue
        same = replace(other.key, hour=usage.key.hour) == usage.key
        if same and (other.quantity, other.allocations) == (usage.quantity, usage.allocations):
            return later, other.key
    return 0, None


def billed(records: Iterable[ControlRecord]) -> Counter[str]:
    """The usage the service holds, as the control protocol lists it, without what may differ
    between two runs of the same code (timestamps, record ids): each record's operation,
    product, customer, dimension, quantity and allocations, counted."""
    counted: Counter[str] = Counter()
    for r in records:
        who = r.customer_identifier or "/".join(
            part for part in (r.customer_aws_account_id, r.license_arn) if part
        )
        shown = (
            r.operation,
            r.product_code,
            who,  # never a MeterUsage caller's access key: the same in both runs
            r.dimension,
        )
        label = " ".join(part for part in shown if part) + f" quantity {r.quantity}"
        listed = r.to_json()["allocations"]
        if listed:
            label += " allocations " + _canonical(listed)
        counted[label] += 1
    return counted


def judge_records(
    without_faults: Iterable[ControlRecord], with_faults: Iterable[ControlRecord]
) -> tuple[Breach, ...]:
    """CLIENT-EXACTLY-ONCE: what the service billed under faults against without them, a
    breach per record lost or billed beyond it (``detail``), with how many (``count``)."""
    expected, received = billed(without_faults), billed(with_faults)
    lost, extra = expected - received, received - expected
    return tuple(
        Breach("CLIENT-EXACTLY-ONCE", lapse, detail=record, count=count)
        for lapse, counts in ((Lapse.LOST_USAGE, lost), (Lapse.EXTRA_USAGE, extra))
        for record, count in sorted(counts.items())
    )


def _request_breaches(exchange: LoggedCall, limits: ClientLimits, judged: Counter[RuleId]) -> list[Breach]:
    found = []
    if exchange.operation == "BatchMeterUsage":
        judged["CLIENT-BATCH-SIZE"] += 1
        size = _batch_size(exchange)
        least, most = limits.batch_records
        if not least <= size <= most:
            found.append(
                Breach(
                    "CLIENT-BATCH-SIZE",
                    Lapse.BATCH_SIZE,
                    exchange.index,
                    detail=str(size),
                    allowed=f"{least} to {most}",
                )
            )
    if not exchange.from_service or exchange.operation not in (*_METERED, "ResolveCustomer", "RegisterUsage"):
        return found
    if exchange.operation in _METERED:
        judged["CLIENT-WINDOW"] += 1
    judged["CLIENT-WELL-FORMED"] += 1
    code = exchange.error
    if code in limits.out_of_window:
        found.append(_window_breach(exchange, code))
    elif code in limits.malformed:
        found.append(Breach("CLIENT-WELL-FORMED", Lapse.MALFORMED, exchange.index, detail=code))
    return found


def _window_breach(exchange: LoggedCall, code: str) -> Breach:
    """CLIENT-WINDOW for a request refused for its timestamps: with the record furthest from the
    service's clock, where the answer said what its clock was."""
    usages = usages_of(exchange)
    clock = exchange.clock
    if clock is None or not usages:
        return Breach("CLIENT-WINDOW", Lapse.OUT_OF_WINDOW, exchange.index, detail=code)
    furthest = max(usages, key=lambda u: abs((u.timestamp - clock).total_seconds()))
    return Breach(
        "CLIENT-WINDOW",
        Lapse.OUT_OF_WINDOW,
        exchange.index,
        usage=furthest.key,
        detail=code,
        count=len(usages),
        timestamp=furthest.timestamp,
        clock=clock,
    )


def _batch_size(exchange: LoggedCall) -> int:
    """How many usage records a batch carried, read or not (a list of anything counts)."""
    if isinstance(exchange.request, BatchMeterUsage):
        return len(exchange.request.usage_records)
    records = (exchange.body or {}).get("UsageRecords")
    return len(records) if isinstance(records, list) else 0


def _resend_breaches(
    exchange: LoggedCall,
    usage: Usage,
    before: Usage,
    fate: Fate,
    index: int,
    by_index: Mapping[int, LoggedCall],
    judged: Counter[RuleId],
) -> list[Breach]:
    judged["CLIENT-NO-STORM"] += 1
    if index == exchange.index:  # the same usage twice in one batch
        return [Breach("CLIENT-NO-STORM", Lapse.TWICE_IN_ONE_REQUEST, exchange.index, index, usage.key)]
    if not fate.failed:
        said = _answered(by_index[index], usage.key)
        return [Breach("CLIENT-NO-STORM", Lapse.SENT_AFTER_ANSWER, exchange.index, index, usage.key, said)]
    if not fate.indeterminate:
        return []
    judged["CLIENT-IDENTICAL-RETRY"] += 1
    changed = [
        name
        for name, was, now in zip(
            ("Timestamp", "quantity", "allocations"), before.payload, usage.payload, strict=True
        )
        if was != now
    ]
    if not changed:
        return []
    return [
        Breach(
            "CLIENT-IDENTICAL-RETRY",
            Lapse.RETRY_CHANGED,
            exchange.index,
            index,
            usage.key,
            ", ".join(changed),
        )
    ]


def _backoff_breach(
    exchange: LoggedCall,
    key: UsageKey,
    before: tuple[Usage, Fate, int],
    answered_at: Mapping[int, float | None],
    waits: dict[UsageKey, list[float]],
    judged: Counter[RuleId],
) -> list[Breach]:
    """CLIENT-BACKOFF for a resend of ``key``: BACKOFF_STREAK resends in a row, each after a
    throttle, that waited less than BACKOFF_TOTAL_SECONDS in all break it (once a streak)."""
    _, fate, index = before
    throttled_at = answered_at.get(index)
    if fate is not Fate.THROTTLED or throttled_at is None:
        waits.pop(key, None)
        return []
    judged["CLIENT-BACKOFF"] += 1
    streak = waits.setdefault(key, [])
    streak.append(exchange.received - throttled_at)
    del streak[:-BACKOFF_STREAK]
    total = sum(streak)
    if len(streak) < BACKOFF_STREAK or total >= BACKOFF_TOTAL_SECONDS:
        return []
    streak.clear()
    return [
        Breach(
            "CLIENT-BACKOFF",
            Lapse.NO_BACKOFF,
            exchange.index,
            index,
            key,
            detail=f"{total * 1000:.0f} ms",
            count=BACKOFF_STREAK,
            allowed=f"{BACKOFF_TOTAL_SECONDS * 1000:.0f} ms",
        )
    ]


def _answered(exchange: LoggedCall, key: UsageKey) -> str:
    """What the service answered of the usage ``key`` in ``exchange``: its error code, a batch
    result's Status (``CustomerNotSubscribed``), or ``Success``; empty if it cannot be read."""
    if exchange.error:
        return exchange.error
    if exchange.operation != "BatchMeterUsage" or not isinstance(exchange.request, BatchMeterUsage):
        return "Success" if exchange.status == 200 else ""
    results = (exchange.answer or {}).get("Results")
    for result in results if isinstance(results, list) else ():
        try:
            record = record_from_params(result["UsageRecord"])
        except (AttributeError, KeyError, TypeError, ValueError, OverflowError):
            continue
        read = _usages("BatchMeterUsage", exchange.request.product_code, [record])
        if read and read[0].key == key:
            return str(result.get("Status") or "")
    return ""


def _fate(exchange: LoggedCall, listed_unprocessed: bool) -> Fate:
    if exchange.status is None:
        return Fate.LOST
    if exchange.status >= 500:
        return Fate.SERVER_ERROR
    if exchange.error == "ThrottlingException":
        return Fate.THROTTLED
    return Fate.UNPROCESSED if listed_unprocessed else Fate.ANSWERED


def _unprocessed(exchange: LoggedCall) -> frozenset[UsageKey]:
    """The usage a batch answered 200 lists in UnprocessedRecords, by key: not the payload,
    since an answer may echo a record reformatted."""
    listed = (exchange.answer or {}).get("UnprocessedRecords") if exchange.status == 200 else None
    if not isinstance(listed, list) or not isinstance(exchange.request, BatchMeterUsage):
        return frozenset()
    read = []
    for params in listed:
        try:
            read.append(record_from_params(params))
        except (AttributeError, TypeError, ValueError, OverflowError):
            continue  # no usage the code sent can be listed so
    return frozenset(u.key for u in _usages("BatchMeterUsage", exchange.request.product_code, read))


def _usages(operation: str, product: str | None, records: Iterable[UsageRecord]) -> tuple[Usage, ...]:
    return tuple(
        Usage(
            UsageKey(operation, product or "", _customer(r), r.dimension or "", hour_of(r.timestamp)),
            r.timestamp,
            r.quantity_decimal if r.quantity_decimal is not None else _text(r.quantity),
            _canonical([a.to_params() for a in r.allocations]) if r.allocations is not None else "",
        )
        for r in records
        if r.timestamp is not None
    )


def _customer(record: UsageRecord) -> str:
    if record.customer_identifier is not None:
        return record.customer_identifier
    # the account and license of a 2026-11 batch record; neither for MeterUsage (the caller's own)
    return "/".join(part for part in (record.customer_aws_account_id, record.license_arn) if part)


def _text(quantity: object) -> str:
    return "" if quantity is None else str(quantity)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _order(breach: Breach) -> tuple[int, int]:
    return (LOG_RULES.index(breach.rule), breach.request)
