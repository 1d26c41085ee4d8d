"""Realistic bugs, switchable in the reference service: the yardstick of the harness's power.

A mutant is the reference service with one bug. It names the rules a correct harness should
fail it under, and the profiles it is certified in. Mutants are reached only from tests and
benchmarks (``ReferenceService(..., hooks=MUTANTS[name])``, ``conformance bench mutants``);
``conformance serve`` never runs one.

A bug is written as a change to one stage of the service's answer: the model it judges with
(a profile parameter off), the request it judges (a member ignored), the outcome it answers
(an error code swapped, a fresh id, a duplicate key compared loosely), the token it signs, the
raw response (an error's status or body), or its state and records (a registration forgotten, a
dry run recorded, a conflicting quantity written over the first). One mutant, ``racy``, checks
for duplicates and records without holding the lock in between: only concurrent clients can
see it (CONC-LINEARIZABLE's campaign sends requests at once), and no sequential campaign can.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from conformance.emulator.hooks import Hooks, Turn
from conformance.emulator.signing import KeyRing
from conformance.models.control_record import ControlRecord
from conformance.models.expect import Register
from conformance.models.jwt import decode_unverified
from conformance.models.model import Model, hour_of
from conformance.models.outcomes import (
    BatchMeterUsageResult,
    MeterUsageResult,
    Outcome,
    RecordResult,
    RegisterUsageResult,
    ResolveCustomerResult,
    ServiceError,
)
from conformance.models.requests import (
    BatchMeterUsage,
    MeterUsage,
    RegisterUsage,
    Request,
    UsageRecord,
)
from conformance.models.response_rules import RawResponse
from conformance.models.rule_ids import RuleId
from conformance.models.state import UsageKey

__all__ = ["CORRECT", "MUTANTS", "Mutant", "Turn"]


@dataclass(frozen=True)
class Mutant(Hooks):
    """Hooks that make one realistic bug, with the rules it breaks and the profiles it is
    certified in."""

    name: str
    rules: tuple[RuleId, ...]  # the rules this bug breaks
    summary: str
    profiles: tuple[str, ...] = ("2025-01",)  # the profiles it is certified in


CORRECT = Mutant("correct", (), "the reference service as it ships")

_HOUR = timedelta(hours=1)
_SECOND = timedelta(seconds=1)
_BOTH = ("2025-01", "2026-11")


# -- the model it judges with ------------------------------------------------------------------------


def _longer(field: str, by: timedelta) -> Callable[[Model], Model]:
    return lambda model: replace(
        model, profile=replace(model.profile, **{field: getattr(model.profile, field) + by})
    )


def _shorter(field: str, by: timedelta) -> Callable[[Model], Model]:
    return _longer(field, -by)


def _flip_edge(model: Model) -> Model:
    return replace(model, profile=replace(model.profile, edge_accepted=not model.profile.edge_accepted))


def _no_month_cutoff(model: Model) -> Model:
    return replace(model, profile=replace(model.profile, month_end_cutoff=None))


# -- the request it judges -----------------------------------------------------------------------------


def _without_allocations(request: Request) -> Request:
    if isinstance(request, MeterUsage) and request.allocations:
        return replace(request, allocations=None)
    if isinstance(request, BatchMeterUsage):
        return replace(
            request, usage_records=tuple(replace(r, allocations=None) for r in request.usage_records)
        )
    return request


def _without_nonce(request: Request) -> Request:
    return replace(request, nonce=None) if isinstance(request, RegisterUsage) else request


# -- the outcome it answers ----------------------------------------------------------------------------


def _fresh_ids(outcome: Outcome, turn: Turn) -> Outcome:
    """Every success gets an id never given before, an identical retry included."""
    if isinstance(outcome, MeterUsageResult):
        return MeterUsageResult(turn.service.new_id())
    if isinstance(outcome, BatchMeterUsageResult):
        results = tuple(
            replace(r, metering_record_id=turn.service.new_id()) if r.status == "Success" else r
            for r in outcome.results
        )
        return replace(outcome, results=results)
    return outcome


def _code(old: str, new: str) -> Callable[[Outcome, Turn], Outcome]:
    return lambda outcome, _: (
        replace(outcome, code=new) if isinstance(outcome, ServiceError) and outcome.code == old else outcome
    )


def _api_disabled(operation: type[Request]) -> Callable[[Outcome, Turn], Outcome]:
    """Every request of ``operation`` refused with DisabledApiException."""
    disabled = ServiceError("DisabledApiException", 400, "The API is disabled in the Region.")
    return lambda outcome, turn: disabled if isinstance(turn.request, operation) else outcome


def _accepted(code: str) -> Callable[[Outcome, Turn], Outcome]:
    """The MeterUsage error ``code`` answered with a success instead (a check the service skips)."""

    def accept(outcome: Outcome, turn: Turn) -> Outcome:
        if (
            isinstance(outcome, ServiceError)
            and outcome.code == code
            and isinstance(turn.request, MeterUsage)
        ):
            return MeterUsageResult(turn.service.new_id())
        return outcome

    return accept


def _status(old: str, new: str) -> Callable[[Outcome, Turn], Outcome]:
    """Batch records of status ``old`` answered with ``new`` (a Success gets a fresh id)."""

    def swap(outcome: Outcome, turn: Turn) -> Outcome:
        if not isinstance(outcome, BatchMeterUsageResult):
            return outcome
        changed = tuple(
            replace(r, status=new, metering_record_id=turn.service.new_id() if new == "Success" else None)
            if r.status == old
            else r
            for r in outcome.results
        )
        return replace(outcome, results=changed)

    return swap


def _resolved_elsewhere(member: str) -> Callable[[Outcome, Turn], Outcome]:
    def elsewhere(outcome: Outcome, _: Turn) -> Outcome:
        if isinstance(outcome, ResolveCustomerResult) and getattr(outcome, member):
            return replace(outcome, **{member: getattr(outcome, member) + "-other"})
        return outcome

    return elsewhere


# Duplicate keys compared the wrong way. A usage is the record it makes (or made: the service's
# list), keyed as the service keys it or as a mutant gets it wrong; the subject of a key is the
# caller's access key (MeterUsage) or the customer as listed (batch).
KeyOf = Callable[[ControlRecord], object]


def _sent(turn: Turn, record: UsageRecord | None = None) -> ControlRecord | None:
    """The record the request (or the batch's ``record``) would make, if it has a timestamp."""
    request = turn.request
    if isinstance(request, MeterUsage) and request.timestamp is not None:
        return ControlRecord.of_meter(request, None, turn.context.access_key_id)
    if isinstance(request, BatchMeterUsage) and record is not None and record.timestamp is not None:
        return ControlRecord.of_usage("BatchMeterUsage", request.product_code, record, None, None)
    return None


def _duplicate_error() -> ServiceError:
    return ServiceError("DuplicateRequestException", 400, "a record for this hour exists already")


def _deduplicated_by(
    key_of: KeyOf, only: Callable[[Turn], bool] = lambda _: True
) -> Callable[[Outcome, Turn], Outcome]:
    """A new record whose ``key_of`` matches a listed record's is refused as a duplicate: keys
    that miss a field, or round the hour the wrong way."""

    def dedup(outcome: Outcome, turn: Turn) -> Outcome:
        if not only(turn):
            return outcome
        listed = turn.service.records
        taken = {key_of(record) for record in listed}
        ids = {record.metering_record_id for record in listed}
        if isinstance(outcome, MeterUsageResult) and outcome.metering_record_id not in ids:
            usage = _sent(turn)
            return _duplicate_error() if usage and key_of(usage) in taken else outcome
        if not isinstance(outcome, BatchMeterUsageResult):
            return outcome
        results = []
        for result in outcome.results:
            usage = _sent(turn, result.record)
            if result.status == "Success" and result.metering_record_id not in ids and usage:
                if key_of(usage) in taken:
                    result = replace(result, status="DuplicateRecord", metering_record_id=None)
                else:
                    taken.add(key_of(usage))
            results.append(result)
        return replace(outcome, results=tuple(results))

    return dedup


def _by_timestamp(outcome: Outcome, turn: Turn) -> Outcome:
    """Duplicates compared by the exact timestamp, not its hour: another second of a recorded
    hour is a new record."""
    exact = {_exact(record) for record in turn.service.records}
    if isinstance(outcome, ServiceError) and outcome.code == "DuplicateRequestException":
        usage = _sent(turn)
        return MeterUsageResult(turn.service.new_id()) if usage and _exact(usage) not in exact else outcome
    if not isinstance(outcome, BatchMeterUsageResult):
        return outcome
    results = tuple(
        replace(r, status="Success", metering_record_id=turn.service.new_id())
        if r.status == "DuplicateRecord" and (usage := _sent(turn, r.record)) and _exact(usage) not in exact
        else r
        for r in outcome.results
    )
    return replace(outcome, results=results)


def _sent_text(value: MeterUsage | UsageRecord) -> str:
    quantity = value.usage_quantity if isinstance(value, MeterUsage) else value.quantity
    decimal = value.usage_quantity_decimal if isinstance(value, MeterUsage) else value.quantity_decimal
    return decimal if decimal is not None else str(quantity if quantity is not None else 0)


def _compared_as_text(outcome: Outcome, turn: Turn) -> Outcome:
    """An identical retry that writes its quantity another way ("17.00" for 17) is refused as a
    conflicting duplicate: quantities compared as text, not by value."""
    texts = {record.metering_record_id: str(record.quantity) for record in turn.service.records}
    request = turn.request
    if isinstance(outcome, MeterUsageResult) and isinstance(request, MeterUsage):
        listed = texts.get(outcome.metering_record_id)
        return _duplicate_error() if listed is not None and listed != _sent_text(request) else outcome
    if not isinstance(outcome, BatchMeterUsageResult):
        return outcome
    results = tuple(
        replace(r, status="DuplicateRecord", metering_record_id=None)
        if r.status == "Success"
        and r.record
        and texts.get(r.metering_record_id, _sent_text(r.record)) != _sent_text(r.record)
        else r
        for r in outcome.results
    )
    return replace(outcome, results=results)


def _allocations_of(request: Request) -> Iterator[tuple[Decimal | None, tuple[Any, ...]]]:
    if isinstance(request, MeterUsage) and request.allocations:
        yield request.value(), request.allocations
    elif isinstance(request, BatchMeterUsage):
        for record in request.usage_records:
            if record.allocations:
                yield record.value(), record.allocations


def _float_sums(outcome: Outcome, turn: Turn) -> Outcome:
    """Allocation sums checked in floating point: 0.1 + 0.2 is not 0.3."""
    if isinstance(outcome, ServiceError):
        return outcome
    for total, allocations in _allocations_of(turn.request):
        values = [a.value() for a in allocations]
        if total is None or None in values:
            continue
        if sum(float(v) for v in values if v is not None) != float(total):
            return ServiceError(
                "InvalidUsageAllocationsException", 400, "allocations do not sum to the quantity"
            )
    return outcome


def _agentcore(turn: Turn) -> bool:
    if not isinstance(turn.request, MeterUsage):
        return False
    caller = turn.service.state.world.callers.get(turn.context.access_key_id or "")
    return caller is not None and caller.platform in turn.service.model.profile.agentcore_platforms


def _in_parts(
    batch: BatchMeterUsage,
    turn: Turn,
    parts: list[tuple[UsageRecord, ...]],
    unprocessed: tuple[UsageRecord, ...],
) -> Outcome | None:
    """The batch answered as if its ``parts`` had been sent one after another, with
    ``unprocessed`` listed as unprocessed (None if a part is refused as a whole)."""
    results: list[RecordResult] = []
    for part in parts:
        answer = turn.service.answer(replace(batch, usage_records=part), turn.context, turn.now)
        if not isinstance(answer, BatchMeterUsageResult):
            return None
        results.extend(answer.results)
        unprocessed += answer.unprocessed
    return BatchMeterUsageResult(tuple(results), unprocessed)


def _split_at_window(outcome: Outcome, turn: Turn) -> Outcome | None:
    """A batch refused for a record out of the window, answered as its records in the window
    would be, the others listed as unprocessed (None for any other answer)."""
    batch = turn.request
    if not (isinstance(outcome, ServiceError) and outcome.code == "TimestampOutOfBoundsException"):
        return None
    if not isinstance(batch, BatchMeterUsage):
        return None

    def out_of_window(record: UsageRecord) -> bool:
        alone = turn.service.answer(replace(batch, usage_records=(record,)), turn.context, turn.now)
        return isinstance(alone, ServiceError) and alone.code == "TimestampOutOfBoundsException"

    bad = tuple(r for r in batch.usage_records if out_of_window(r))
    good = tuple(r for r in batch.usage_records if r not in bad)
    return _in_parts(batch, turn, [good], bad) if bad and good else None


def _partial_batch(outcome: Outcome, turn: Turn) -> Outcome:
    """A batch with a record out of the window: the other records are processed, the bad ones
    listed as unprocessed, instead of the whole batch being refused."""
    return _split_at_window(outcome, turn) or outcome


def _twenty_six(outcome: Outcome, turn: Turn) -> Outcome:
    """An off-by-one list limit: a batch of 26 records is processed as 25 and one."""
    request = turn.request
    if (
        isinstance(outcome, ServiceError)
        and isinstance(request, BatchMeterUsage)
        and len(request.usage_records) == 26
    ):
        records = request.usage_records
        return _in_parts(request, turn, [records[:25], records[25:]], ()) or outcome
    return outcome


# -- the token it signs --------------------------------------------------------------------------------


def _iat_an_hour_old(expected: Register) -> Register:
    return replace(expected, now=expected.now - _HOUR)


def _another_product(expected: Register) -> Register:
    return replace(expected, product_code=expected.product_code + "-other")


def _next_key_version(expected: Register) -> Register:
    return replace(expected, public_key_version=expected.public_key_version + 1)


# keys of no product the service knows: a token they sign claims what it should and verifies
# with no key the service serves
_STRANGER = KeyRing()


def _signed_by_a_stranger(outcome: Outcome, _turn: Turn) -> Outcome:
    if not isinstance(outcome, RegisterUsageResult) or not outcome.signature:
        return outcome
    _, claims = decode_unverified(outcome.signature)
    product, version = str(claims.get("productCode")), int(claims.get("publicKeyVersion") or 1)
    return replace(outcome, signature=_STRANGER.sign_claims(claims, product, version))


# -- the raw response ---------------------------------------------------------------------------------


def _error_status(status: int) -> Callable[[RawResponse], RawResponse]:
    return lambda raw: replace(raw, status=status) if 400 <= raw.status < 500 else raw


def _untyped(raw: RawResponse) -> RawResponse:
    if not 400 <= raw.status < 600:
        return raw
    body = json.loads(raw.body)
    body.pop("__type", None)
    return replace(raw, body=json.dumps(body).encode())


# -- its state and records -----------------------------------------------------------------------------


def _forget_registrations(turn: Turn) -> None:
    if isinstance(turn.request, RegisterUsage):
        turn.service.state = replace(turn.service.state, registered=frozenset())


def _record_dry_runs(turn: Turn, outcome: Outcome) -> None:
    if isinstance(turn.request, MeterUsage) and turn.request.dry_run:
        turn.service.log(turn.request, turn.context, MeterUsageResult(turn.service.new_id()))


def _record_rest_of_refused_batch(turn: Turn, outcome: Outcome) -> None:
    """A batch refused for a record out of the window still records its other records."""
    partial = _split_at_window(outcome, turn)
    if partial is not None:
        turn.service.log(turn.request, turn.context, partial)


def _record_retries_again(turn: Turn, outcome: Outcome) -> None:
    """An identical retry is answered with the first record's id, and recorded once more."""
    answered = {outcome.metering_record_id} if isinstance(outcome, MeterUsageResult) else set()
    if isinstance(outcome, BatchMeterUsageResult):
        answered = {r.metering_record_id for r in outcome.results if r.status == "Success"}
    records = turn.service.records
    again = [r for r in records[: turn.listed] if r.metering_record_id in answered]
    records.extend(replace(record, metering_record_id=turn.service.new_id()) for record in again)


def _overwrite_on_conflict(turn: Turn, outcome: Outcome) -> None:
    """A conflicting quantity in a recorded hour is refused, and written over the first record."""
    conflicts: list[tuple[ControlRecord | None, str]] = []
    request = turn.request
    if (
        isinstance(outcome, ServiceError)
        and outcome.code == "DuplicateRequestException"
        and isinstance(request, MeterUsage)
    ):
        conflicts.append((_sent(turn), _sent_text(request)))
    elif isinstance(outcome, BatchMeterUsageResult):
        conflicts.extend(
            (_sent(turn, r.record), _sent_text(r.record))
            for r in outcome.results
            if r.status == "DuplicateRecord" and r.record
        )
    for usage, text in conflicts:
        if usage is None:
            continue
        records = turn.service.records
        for i, record in enumerate(records):
            if _hourly(record) == _hourly(usage):
                records[i] = replace(record, quantity=text if "." in text else int(text))


def _hourly(record: ControlRecord, shift: timedelta = timedelta(0)) -> UsageKey:
    """The record's key as the service keys usage (the hour its timestamp, moved by ``shift``,
    falls in)."""
    moment = record.moment
    assert moment is not None  # listed and sent records here all have a timestamp
    operation, product, dimension = record.operation or "", record.product_code or "", record.dimension or ""
    return UsageKey(operation, product, record.subject, dimension, hour_of(moment + shift))


def _exact(record: ControlRecord) -> tuple[UsageKey, datetime | None]:
    return _hourly(record), record.moment


def _without(member: str) -> KeyOf:
    def key(record: ControlRecord) -> tuple[object, ...]:
        hourly = _hourly(record)
        return tuple(getattr(hourly, f.name) for f in fields(hourly) if f.name != member)

    return key


def _nearest_hour(record: ControlRecord) -> UsageKey:
    return _hourly(record, timedelta(minutes=30))


_ALLOC: tuple[RuleId, ...] = ("ALLOC-SUM", "ALLOC-UNIQUE-TAGS", "ALLOC-TAG-LIMIT", "ALLOC-TAG-FORMAT")
_DUPLICATES: tuple[RuleId, ...] = ("MU-HOUR-DUPLICATE", "BMU-DUPLICATE")
_SUBJECT, _PRODUCT, _DIMENSION = "subject", "product_code", "dimension"  # UsageKey members

MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        # windows
        Mutant(
            "batch-window-hour-long",
            ("BMU-WINDOW",),
            "BatchMeterUsage accepts records an hour older than its window",
            model=_longer("batch_window", _HOUR),
            profiles=_BOTH,
        ),
        Mutant(
            "meter-window-hour-long",
            ("MU-WINDOW",),
            "MeterUsage accepts timestamps an hour older than its window",
            model=_longer("meter_window", _HOUR),
            profiles=_BOTH,
        ),
        Mutant(
            "batch-window-second-long",
            ("BMU-WINDOW",),
            "BatchMeterUsage accepts records one second older than its window",
            model=_longer("batch_window", _SECOND),
            profiles=_BOTH,
        ),
        Mutant(
            "meter-window-second-long",
            ("MU-WINDOW",),
            "MeterUsage accepts timestamps one second older than its window",
            model=_longer("meter_window", _SECOND),
            profiles=_BOTH,
        ),
        Mutant(
            "batch-window-hour-short",
            ("BMU-WINDOW", "BMU-ACCEPT", "BMU-PARTITION"),
            "BatchMeterUsage refuses records in the last hour of its window",
            model=_shorter("batch_window", _HOUR),
            profiles=_BOTH,
        ),
        Mutant(
            "meter-window-hour-short",
            ("MU-WINDOW", "MU-ACCEPT"),
            "MeterUsage refuses timestamps in the last hour of its window",
            model=_shorter("meter_window", _HOUR),
            profiles=_BOTH,
        ),
        Mutant(
            "batch-window-second-short",
            ("BMU-WINDOW", "BMU-ACCEPT", "BMU-PARTITION"),
            "BatchMeterUsage refuses a record at the window's edge and one second inside it",
            model=_shorter("batch_window", _SECOND),
            profiles=_BOTH,
        ),
        Mutant(
            "meter-window-second-short",
            ("MU-WINDOW", "MU-ACCEPT"),
            "MeterUsage refuses a timestamp at the window's edge and one second inside it",
            model=_shorter("meter_window", _SECOND),
            profiles=_BOTH,
        ),
        Mutant(
            "window-edge-flipped",
            ("BMU-WINDOW", "MU-WINDOW"),
            "a timestamp exactly at the window's edge is judged the other way",
            model=_flip_edge,
            profiles=_BOTH,
        ),
        Mutant(
            "month-end-cutoff-ignored",
            ("BMU-WINDOW",),
            "records of the previous month are accepted after 06:00 UTC on the 1st",
            model=_no_month_cutoff,
            profiles=("2026-11",),
        ),
        Mutant(
            "month-end-cutoff-at-07",
            ("BMU-WINDOW",),
            "records of the previous month are accepted until 07:00 UTC on the 1st",
            model=_longer("month_end_cutoff", _HOUR),
            profiles=("2026-11",),
        ),
        # batches as a whole
        Mutant(
            "partial-batch",
            ("BMU-WINDOW", "BMU-ATOMIC"),
            "a batch with a record out of the window processes its other records",
            outcome=_partial_batch,
        ),
        Mutant(
            "refused-batch-records-the-rest",
            ("BMU-WINDOW", "BMU-ATOMIC"),
            "a batch refused for a record out of the window records its other records all the same",
            after=_record_rest_of_refused_batch,
        ),
        Mutant(
            "twenty-six-records",
            ("BMU-SIZE-LIMIT",),
            "a batch of 26 records is processed (the list limit off by one)",
            outcome=_twenty_six,
        ),
        Mutant(
            "batch-api-disabled",
            ("BMU-API-ENABLED",),
            "BatchMeterUsage is switched off, as in a Region that does not offer it",
            outcome=_api_disabled(BatchMeterUsage),
        ),
        # duplicates and retries
        Mutant(
            "hour-duplicate-accepted",
            ("MU-HOUR-DUPLICATE",),
            "a second quantity in one hour is accepted as a new record",
            outcome=_accepted("DuplicateRequestException"),
        ),
        Mutant(
            "duplicate-recorded",
            ("BMU-DUPLICATE",),
            "a conflicting record of a recorded key succeeds",
            outcome=_status("DuplicateRecord", "Success"),
        ),
        Mutant(
            "duplicate-by-timestamp",
            _DUPLICATES,
            "duplicates are compared by the exact timestamp, not by its hour",
            outcome=_by_timestamp,
        ),
        Mutant(
            "duplicate-hour-rounded-to-nearest",
            (*_DUPLICATES, "MU-ACCEPT", "BMU-ACCEPT"),
            "duplicate detection rounds the timestamp to the nearest hour, not down",
            outcome=_deduplicated_by(_nearest_hour),
        ),
        Mutant(
            "duplicate-key-without-customer",
            ("BMU-CUSTOMER-ISOLATION", "MU-CALLER-ISOLATION"),
            "duplicate keys leave out the customer or caller: another one's record of the hour conflicts",
            outcome=_deduplicated_by(_without(_SUBJECT)),
        ),
        Mutant(
            "duplicate-key-without-product",
            ("BMU-PRODUCT-ISOLATION",),
            "duplicate keys leave out the product: a record of another product in the hour conflicts",
            outcome=_deduplicated_by(_without(_PRODUCT)),
        ),
        Mutant(
            "duplicate-key-without-dimension",
            ("MU-ACCEPT", "BMU-ACCEPT"),
            "duplicate keys leave out the dimension: a record of another dimension in the hour conflicts",
            outcome=_deduplicated_by(_without(_DIMENSION)),
        ),
        Mutant(
            "conflict-overwrites",
            _DUPLICATES,
            "a conflicting quantity is refused, and written over the first record",
            after=_overwrite_on_conflict,
        ),
        Mutant(
            "retry-recorded-again",
            ("RETRY-CONVERGES", "MU-IDEMPOTENT", "BMU-IDEMPOTENT"),
            "an identical retry gets the first record's id and is recorded a second time",
            after=_record_retries_again,
        ),
        Mutant(
            "retry-fresh-id",
            ("MU-IDEMPOTENT", "BMU-IDEMPOTENT"),
            "an identical retry gets a new MeteringRecordId",
            outcome=_fresh_ids,
        ),
        Mutant(
            "quantity-compared-as-text",
            ("QTY-BY-VALUE",),
            'an identical retry that writes its quantity another way ("17.00" for 17) is a duplicate',
            outcome=_compared_as_text,
            profiles=("2026-11",),
        ),
        Mutant(
            "agentcore-by-hour",
            ("MU-AGENTCORE",),
            "AgentCore callers are deduplicated by the hour like every other caller",
            outcome=_deduplicated_by(_hourly, only=_agentcore),
            profiles=("2026-11",),
        ),
        Mutant(
            "dry-run-records",
            ("MU-DRYRUN",),
            "a DryRun is answered as one and recorded all the same",
            after=_record_dry_runs,
        ),
        # checks skipped, errors swapped
        Mutant(
            "allocations-unchecked", _ALLOC, "usage allocations are ignored", request=_without_allocations
        ),
        Mutant(
            "allocation-sums-in-float",
            ("QTY-DECIMAL", "BMU-ACCEPT", "MU-ACCEPT"),
            "allocation sums are checked in floating point: 0.1 + 0.2 is not 0.3",
            outcome=_float_sums,
            profiles=("2026-11",),
        ),
        Mutant(
            "entitlement-unchecked",
            ("MU-ENTITLEMENT",),
            "MeterUsage from a caller without entitlement is accepted",
            outcome=_accepted("CustomerNotEntitledException"),
        ),
        Mutant(
            "region-unchecked",
            ("MU-REGION",),
            "MeterUsage from a caller of another Region is accepted",
            outcome=_accepted("InvalidEndpointRegionException"),
        ),
        Mutant(
            "unsubscribed-recorded",
            ("BMU-NOT-SUBSCRIBED", "BMU-UNKNOWN-CUSTOMER"),
            "records of customers without a subscription succeed",
            outcome=_status("CustomerNotSubscribed", "Success"),
        ),
        Mutant(
            "unknown-product-as-dimension",
            ("BMU-PRODUCT", "MU-PRODUCT"),
            "an unknown product is reported as an unknown dimension",
            outcome=_code("InvalidProductCodeException", "InvalidUsageDimensionException"),
        ),
        # customers and registrations
        Mutant(
            "expired-as-invalid",
            ("RC-EXPIRED",),
            "an expired token is reported as invalid",
            outcome=_code("ExpiredTokenException", "InvalidTokenException"),
        ),
        Mutant(
            "resolved-to-another-product",
            ("RC-RESOLVE", "RC-REUSE"),
            "ResolveCustomer answers another product code",
            outcome=_resolved_elsewhere("product_code"),
        ),
        Mutant(
            "resolved-to-another-customer",
            ("RC-RESOLVE", "RC-REUSE"),
            "ResolveCustomer answers another customer identifier",
            outcome=_resolved_elsewhere("customer_identifier"),
        ),
        Mutant(
            "key-version-as-product",
            ("RU-KEY-VERSION",),
            "an unknown public key version is reported as an unknown product",
            outcome=_code("InvalidPublicKeyVersionException", "InvalidProductCodeException"),
        ),
        Mutant(
            "nonce-dropped", ("RU-NONCE",), "the signed token leaves out the nonce", request=_without_nonce
        ),
        Mutant(
            "iat-an-hour-old",
            ("RU-SIGNATURE",),
            "the signed token's iat is an hour old",
            sign=_iat_an_hour_old,
        ),
        Mutant(
            "token-of-another-product",
            ("RU-SIGNATURE",),
            "the token claims another product and is signed with that product's key",
            sign=_another_product,
        ),
        Mutant(
            "signed-with-next-key-version",
            ("RU-SIGNATURE",),
            "the token is signed with the next public key version's key and claims it",
            sign=_next_key_version,
        ),
        Mutant(
            "signed-by-a-stranger",
            ("RU-SIGNATURE",),
            "the token claims what it should but is signed with a key the service does not serve",
            outcome=_signed_by_a_stranger,
        ),
        Mutant(
            "registration-forgotten",
            ("RU-FIRST-CALL-ONLY",),
            "RegisterUsage checks entitlement at every call",
            before=_forget_registrations,
        ),
        # the wire
        Mutant(
            "error-with-200", ("WIRE-STATUS",), "client errors sent with status 200", raw=_error_status(200)
        ),
        Mutant(
            "error-with-500", ("WIRE-STATUS",), "client errors sent with status 500", raw=_error_status(500)
        ),
        Mutant("error-without-type", ("WIRE-ERROR-SHAPE",), "error bodies carry no __type", raw=_untyped),
        Mutant(
            "json-as-text",
            ("WIRE-JSON",),
            "JSON answers labelled Content-Type text/plain",
            raw=lambda raw: replace(raw, content_type="text/plain"),
        ),
        # concurrency
        Mutant(
            "racy-duplicate-check",
            ("CONC-LINEARIZABLE",),
            "duplicates are checked, then recorded, without holding the lock in between",
            racy=True,
        ),
    )
}
