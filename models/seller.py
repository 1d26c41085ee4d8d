"""The rules of a seller's own metering code (the ``CLIENT-*`` entries of the catalogue), judged
from what the code sent and what the service held, never from what the seller meant.

The fault proxy logs every service request a seller's code sends as a :class:`LoggedCall`: the
parsed request, the faults it met and the answer the code got (none when the connection was
reset). :func:`judge_log` walks one run's exchanges and returns the :class:`Breach` of each
log rule; :func:`judge_records` compares the usage the service held after a run under faults
with what it held after the same run without faults (CLIENT-EXACTLY-ONCE).

Usage is followed by its :class:`UsageKey` (product, customer or caller, dimension, hour): the
unit the service deduplicates, so two sends of one key are one record's send and retry.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from .catalogue import CLIENT_RULES
from .rule_ids import RuleId

__all__ = [
    "LOG_RULES",
    "Breach",
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

MAX_BATCH = 25
_METERED = ("MeterUsage", "BatchMeterUsage")
_MALFORMED = frozenset(
    {
        "ValidationException",
        "SerializationException",
        "UnknownOperationException",
        "InvalidProductCodeException",
        "InvalidUsageDimensionException",
        "InvalidCustomerIdentifierException",
        "InvalidUsageAllocationsException",
        "InvalidTagException",
    }
)

_EXACTLY_ONCE: RuleId = "CLIENT-EXACTLY-ONCE"  # decided by judge_records
LOG_RULES: tuple[RuleId, ...] = tuple(rule.id for rule in CLIENT_RULES if rule.id != _EXACTLY_ONCE)
"""The client rules :func:`judge_log` decides, in catalogue order."""


@dataclass(frozen=True)
class LoggedCall:
    """One service request as the fault proxy saw it."""

    index: int
    """Its place in the run, from 1, in the order requests reached the proxy."""
    operation: str
    """From ``X-Amz-Target`` (``BatchMeterUsage``); empty when there is none."""
    request: dict[str, Any] | None
    """The JSON body sent; None when it was not a JSON object."""
    fault: str = "none"
    """The faults met, as an ``X-Conformance-Fault`` value."""
    status: int | None = None
    """The answer's status; None when the code got no answer (a reset connection)."""
    answer: dict[str, Any] | None = None
    """The JSON body of the answer, if it had one."""

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


@dataclass(frozen=True, order=True)
class UsageKey:
    """What the service deduplicates on: one product's dimension for one customer (or, for
    MeterUsage, the caller's product) in one hour."""

    operation: str
    product: str
    customer: str
    dimension: str
    hour: int | None

    def label(self) -> str:
        who = f"{self.customer}, " if self.customer else ""
        return f"{self.product}/{who}{self.dimension} at hour {_hour_text(self.hour)}"


@dataclass(frozen=True)
class Usage:
    """One record of usage in a request: its key and what the service bills of it."""

    key: UsageKey
    timestamp: object
    quantity: object
    allocations: str
    """The allocations as canonical JSON (empty when none)."""

    @property
    def payload(self) -> tuple[str, str, str]:
        """What an identical retry repeats: timestamp, quantity, allocations."""
        return (_canonical(self.timestamp), _canonical(self.quantity), self.allocations)


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
    RETRY_CHANGED = "retry-changed"
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


@dataclass(frozen=True)
class LogJudgement:
    """The breaches of one run's log, and how often each rule had something to judge."""

    breaches: tuple[Breach, ...]
    judged: Mapping[RuleId, int] = field(default_factory=dict)

    def of(self, rule: RuleId) -> tuple[Breach, ...]:
        return tuple(b for b in self.breaches if b.rule == rule)


def usages_of(exchange: LoggedCall) -> tuple[Usage, ...]:
    """The usage a metering request carries (none for a DryRun, another operation or a body
    that is not a JSON object)."""
    body = exchange.request
    if body is None or exchange.operation not in _METERED or body.get("DryRun") is True:
        return ()
    product = str(body.get("ProductCode", ""))
    if exchange.operation == "MeterUsage":
        return (_usage("MeterUsage", product, "", body, "UsageDimension", "UsageQuantity"),)
    records = body.get("UsageRecords")
    if not isinstance(records, list):
        return ()
    return tuple(_batch_usage(product, r) for r in records if isinstance(r, dict))


_VARYING = frozenset({"Timestamp", "ClientToken"})
"""What two sends of one request may differ in: a re-stamped timestamp, and the ClientToken an
SDK fills in afresh for each call it is asked to make (botocore and the SDK for JavaScript v3
keep one only across their own retries)."""


def fingerprint(operation: str, request: Mapping[str, Any] | None) -> str:
    """What stays the same when code sends a request again, even re-stamped or through a new
    SDK call: the operation and its body without timestamps or ClientToken."""
    return operation + " " + _canonical(_invariant(request))


def _invariant(value: object) -> object:
    if isinstance(value, dict):
        return {k: _invariant(v) for k, v in value.items() if k not in _VARYING}
    if isinstance(value, list):
        return [_invariant(v) for v in value]
    return value


def judge_log(exchanges: Sequence[LoggedCall]) -> LogJudgement:
    """The breaches of every rule in :data:`LOG_RULES` in one run's exchanges, in order."""
    breaches: list[Breach] = []
    judged: Counter[RuleId] = Counter()
    last: dict[UsageKey, tuple[Usage, Fate, int]] = {}
    for exchange in exchanges:
        breaches.extend(_request_breaches(exchange, judged))
        unprocessed = _unprocessed(exchange)
        for usage in usages_of(exchange):
            fate = _fate(exchange, usage.key in unprocessed)
            before = last.get(usage.key)
            if before is not None:
                breaches.extend(_resend_breaches(exchange, usage, *before, judged))
            if fate.failed:
                judged["CLIENT-RETRY-UNPROCESSED" if fate is Fate.UNPROCESSED else "CLIENT-RETRY-FAILED"] += 1
            last[usage.key] = (usage, fate, exchange.index)
    for key, (_, fate, index) in sorted(last.items(), key=lambda item: item[1][2]):
        if fate is Fate.UNPROCESSED:
            breaches.append(Breach("CLIENT-RETRY-UNPROCESSED", Lapse.UNPROCESSED_DROPPED, index, usage=key))
        elif fate.failed:
            breaches.append(
                Breach("CLIENT-RETRY-FAILED", Lapse.NOT_RETRIED, index, usage=key, detail=fate.value)
            )
    return LogJudgement(tuple(sorted(breaches, key=_order)), dict(judged))


def billed(records: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """The usage the service holds, as the control protocol lists it, without what may differ
    between two runs of the same code (timestamps, record ids): each record's operation,
    product, customer, dimension, quantity and allocations, counted."""
    counted: Counter[str] = Counter()
    for r in records:
        who = r.get("customerIdentifier") or "/".join(
            str(r.get(k)) for k in ("customerAWSAccountId", "licenseArn") if r.get(k)
        )
        shown = [
            r.get("operation"),
            r.get("productCode"),
            who,  # never a MeterUsage caller's access key: the same in both runs
            r.get("dimension"),
        ]
        label = " ".join(str(part) for part in shown if part) + f" quantity {r.get('quantity')}"
        if r.get("allocations"):
            label += " allocations " + _canonical(r.get("allocations"))
        counted[label] += 1
    return counted


def judge_records(
    without_faults: Iterable[Mapping[str, Any]], with_faults: Iterable[Mapping[str, Any]]
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


def _request_breaches(exchange: LoggedCall, judged: Counter[RuleId]) -> list[Breach]:
    found = []
    body = exchange.request or {}
    if exchange.operation == "BatchMeterUsage":
        judged["CLIENT-BATCH-SIZE"] += 1
        records = body.get("UsageRecords")
        size = len(records) if isinstance(records, list) else 0
        if not 1 <= size <= MAX_BATCH:
            found.append(Breach("CLIENT-BATCH-SIZE", Lapse.BATCH_SIZE, exchange.index, detail=str(size)))
    if not exchange.from_service or exchange.operation not in (*_METERED, "ResolveCustomer", "RegisterUsage"):
        return found
    if exchange.operation in _METERED:
        judged["CLIENT-WINDOW"] += 1
    judged["CLIENT-WELL-FORMED"] += 1
    code = exchange.error
    if code == "TimestampOutOfBoundsException":
        found.append(Breach("CLIENT-WINDOW", Lapse.OUT_OF_WINDOW, exchange.index, detail=code))
    elif code in _MALFORMED:
        found.append(Breach("CLIENT-WELL-FORMED", Lapse.MALFORMED, exchange.index, detail=code))
    return found


def _resend_breaches(
    exchange: LoggedCall, usage: Usage, before: Usage, fate: Fate, index: int, judged: Counter[RuleId]
) -> list[Breach]:
    judged["CLIENT-NO-STORM"] += 1
    if not fate.failed:
        return [Breach("CLIENT-NO-STORM", Lapse.SENT_AFTER_ANSWER, exchange.index, index, usage.key)]
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
    if not isinstance(listed, list):
        return frozenset()
    product = str((exchange.request or {}).get("ProductCode", ""))
    return frozenset(_batch_usage(product, r).key for r in listed if isinstance(r, dict))


def _batch_usage(product: str, record: Mapping[str, Any]) -> Usage:
    return _usage("BatchMeterUsage", product, _customer(record), record, "Dimension", "Quantity")


def _usage(
    operation: str, product: str, customer: str, body: Mapping[str, Any], dimension: str, quantity: str
) -> Usage:
    timestamp = body.get("Timestamp")
    allocations = body.get("UsageAllocations")
    return Usage(
        UsageKey(operation, product, customer, str(body.get(dimension, "")), _hour(timestamp)),
        timestamp,
        body.get(quantity),
        _canonical(allocations) if allocations is not None else "",
    )


def _customer(record: Mapping[str, Any]) -> str:
    if "CustomerIdentifier" in record:
        return str(record["CustomerIdentifier"])
    return "/".join(str(record.get(k, "")) for k in ("CustomerAWSAccountId", "LicenseArn"))


def _hour(timestamp: object) -> int | None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
        return None
    return int(timestamp // 3600)


def _hour_text(hour: int | None) -> str:
    if hour is None:
        return "?"
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y-%m-%dT%H:00Z")


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _order(breach: Breach) -> tuple[int, int]:
    return (LOG_RULES.index(breach.rule), breach.request)
