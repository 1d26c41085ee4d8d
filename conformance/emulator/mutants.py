"""Realistic bugs, switchable in the reference service: the yardstick of the harness's power.

A mutant is the reference service with one bug. It names the rules a correct harness should
fail it under. Mutants are reached only from tests and benchmarks (``Service(...,
mutant=MUTANTS[name])``); ``conformance serve`` never runs one.

A bug is written as a change to one stage of the service's answer: the model it judges with
(a profile parameter off), the request it judges (a member ignored), the outcome it answers
(an error code swapped, a fresh id), the raw response (an error's status or body), or its
state and records (a registration forgotten, a dry run recorded).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from models.model import Model
from models.outcomes import (
    BatchMeterUsageResult,
    MeterUsageResult,
    Outcome,
    ResolveCustomerResult,
    ServiceError,
)
from models.requests import BatchMeterUsage, MeterUsage, RegisterUsage, Request
from models.wire import RawResponse

# what a bug may change of the service: its ``state`` (a ModelState) and ``records``
Service = Any

__all__ = ["MUTANTS", "Mutant"]


def _same(value: Any, *_: Any) -> Any:
    return value


def _nothing(*_: Any) -> None:
    return None


@dataclass(frozen=True)
class Mutant:
    name: str
    rules: tuple[str, ...]  # the rules this bug breaks
    summary: str
    model: Callable[[Model], Model] = _same
    request: Callable[[Request], Request] = _same
    outcome: Callable[[Outcome, Request], Outcome] = _same
    raw: Callable[[RawResponse], RawResponse] = _same
    before: Callable[[Service, Request], None] = _nothing
    after: Callable[[Service, Request, Outcome], None] = _nothing


def _longer(field: str, by: timedelta) -> Callable[[Model], Model]:
    return lambda model: replace(
        model, profile=replace(model.profile, **{field: getattr(model.profile, field) + by})
    )


def _flip_edge(model: Model) -> Model:
    return replace(model, profile=replace(model.profile, edge_accepted=not model.profile.edge_accepted))


def _error_status(status: int) -> Callable[[RawResponse], RawResponse]:
    return lambda raw: replace(raw, status=status) if 400 <= raw.status < 500 else raw


def _untyped(raw: RawResponse) -> RawResponse:
    if not 400 <= raw.status < 600:
        return raw
    body = json.loads(raw.body)
    body.pop("__type", None)
    return replace(raw, body=json.dumps(body).encode())


def _fresh_ids(outcome: Outcome, request: Request) -> Outcome:
    """Every success gets an id never given before, an identical retry included."""
    if isinstance(outcome, MeterUsageResult):
        return MeterUsageResult(uuid.uuid4().hex)
    if isinstance(outcome, BatchMeterUsageResult):
        results = tuple(
            replace(r, metering_record_id=uuid.uuid4().hex) if r.status == "Success" else r
            for r in outcome.results
        )
        return replace(outcome, results=results)
    return outcome


def _code(old: str, new: str) -> Callable[[Outcome, Request], Outcome]:
    return lambda outcome, _: (
        replace(outcome, code=new) if isinstance(outcome, ServiceError) and outcome.code == old else outcome
    )


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


def _forget_registrations(service: Service, request: Request) -> None:
    if isinstance(request, RegisterUsage):
        service.state = replace(service.state, registered=frozenset())


def _record_dry_runs(service: Service, request: Request, outcome: Outcome) -> None:
    if isinstance(request, MeterUsage) and request.dry_run:
        service.records.append({"operation": "MeterUsage", "productCode": request.product_code})


def _accepted(code: str) -> Callable[[Outcome, Request], Outcome]:
    """The MeterUsage error ``code`` answered with a success instead (a check the service skips)."""

    def accept(outcome: Outcome, request: Request) -> Outcome:
        if isinstance(outcome, ServiceError) and outcome.code == code and isinstance(request, MeterUsage):
            return MeterUsageResult(uuid.uuid4().hex)
        return outcome

    return accept


def _status(old: str, new: str) -> Callable[[Outcome, Request], Outcome]:
    """Batch records of status ``old`` answered with ``new`` (a Success gets a fresh id)."""

    def swap(outcome: Outcome, request: Request) -> Outcome:
        if not isinstance(outcome, BatchMeterUsageResult):
            return outcome
        fresh = uuid.uuid4().hex if new == "Success" else None
        changed = tuple(
            replace(r, status=new, metering_record_id=fresh) if r.status == old else r
            for r in outcome.results
        )
        return replace(outcome, results=changed)

    return swap


def _resolved_elsewhere(outcome: Outcome, request: Request) -> Outcome:
    if isinstance(outcome, ResolveCustomerResult) and outcome.product_code:
        return replace(outcome, product_code=outcome.product_code + "-other")
    return outcome


def _shorter(field: str, by: timedelta) -> Callable[[Model], Model]:
    return _longer(field, -by)


_ALLOC = ("ALLOC-SUM", "ALLOC-UNIQUE-TAGS", "ALLOC-TAG-LIMIT", "ALLOC-TAG-FORMAT")
_HOUR = timedelta(hours=1)
_SECOND = timedelta(seconds=1)

MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant(
            "batch-window-hour-long",
            ("BMU-WINDOW",),
            "BatchMeterUsage accepts records an hour older than its window",
            model=_longer("batch_window", _HOUR),
        ),
        Mutant(
            "meter-window-hour-long",
            ("MU-WINDOW",),
            "MeterUsage accepts timestamps an hour older than its window",
            model=_longer("meter_window", _HOUR),
        ),
        Mutant(
            "batch-window-second-long",
            ("BMU-WINDOW",),
            "BatchMeterUsage accepts records one second older than its window",
            model=_longer("batch_window", _SECOND),
        ),
        Mutant(
            "meter-window-second-long",
            ("MU-WINDOW",),
            "MeterUsage accepts timestamps one second older than its window",
            model=_longer("meter_window", _SECOND),
        ),
        Mutant(
            "batch-window-hour-short",
            ("BMU-WINDOW", "BMU-ACCEPT", "BMU-PARTITION"),
            "BatchMeterUsage refuses records in the last hour of its window",
            model=_shorter("batch_window", _HOUR),
        ),
        Mutant(
            "meter-window-second-short",
            ("MU-WINDOW", "MU-ACCEPT"),
            "MeterUsage refuses a timestamp at the window's edge and one second inside it",
            model=_shorter("meter_window", _SECOND),
        ),
        Mutant(
            "window-edge-flipped",
            ("BMU-WINDOW", "MU-WINDOW"),
            "a timestamp exactly at the window's edge is judged the other way",
            model=_flip_edge,
        ),
        Mutant(
            "error-with-200", ("WIRE-STATUS",), "client errors sent with status 200", raw=_error_status(200)
        ),
        Mutant(
            "error-with-500", ("WIRE-STATUS",), "client errors sent with status 500", raw=_error_status(500)
        ),
        Mutant("error-without-type", ("WIRE-ERROR-SHAPE",), "error bodies carry no __type", raw=_untyped),
        Mutant(
            "dry-run-records",
            ("MU-DRYRUN",),
            "a DryRun is answered as one and recorded all the same",
            after=_record_dry_runs,
        ),
        Mutant(
            "retry-fresh-id",
            ("MU-IDEMPOTENT", "BMU-IDEMPOTENT"),
            "an identical retry gets a new MeteringRecordId",
            outcome=_fresh_ids,
        ),
        Mutant(
            "expired-as-invalid",
            ("RC-EXPIRED",),
            "an expired token is reported as invalid",
            outcome=_code("ExpiredTokenException", "InvalidTokenException"),
        ),
        Mutant(
            "unknown-product-as-dimension",
            ("BMU-PRODUCT", "MU-PRODUCT"),
            "an unknown product is reported as an unknown dimension",
            outcome=_code("InvalidProductCodeException", "InvalidUsageDimensionException"),
        ),
        Mutant(
            "key-version-as-product",
            ("RU-KEY-VERSION",),
            "an unknown public key version is reported as an unknown product",
            outcome=_code("InvalidPublicKeyVersionException", "InvalidProductCodeException"),
        ),
        Mutant(
            "hour-duplicate-accepted",
            ("MU-HOUR-DUPLICATE",),
            "a second quantity in one hour is accepted as a new record",
            outcome=_accepted("DuplicateRequestException"),
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
            "duplicate-recorded",
            ("BMU-DUPLICATE",),
            "a conflicting record of a recorded key succeeds",
            outcome=_status("DuplicateRecord", "Success"),
        ),
        Mutant(
            "resolved-to-another-product",
            ("RC-RESOLVE", "RC-REUSE"),
            "ResolveCustomer answers another product code",
            outcome=_resolved_elsewhere,
        ),
        Mutant(
            "allocations-unchecked", _ALLOC, "usage allocations are ignored", request=_without_allocations
        ),
        Mutant(
            "nonce-dropped", ("RU-NONCE",), "the signed token leaves out the nonce", request=_without_nonce
        ),
        Mutant(
            "registration-forgotten",
            ("RU-FIRST-CALL-ONLY",),
            "RegisterUsage checks entitlement at every call",
            before=_forget_registrations,
        ),
    )
}
