"""Turning the allowed set into one concrete answer: the reference behaviour.

The in-process reference target and the emulator answer from here, and the model's property
tests use it to run the model against itself. Effects are injected: ``new_id`` makes a fresh
MeteringRecordId, ``sign`` makes the RegisterUsage token, ``pick`` chooses among lenient
alternatives (the first, by default: the strictest reading comes first in every branch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .expect import (
    Accept,
    Allowed,
    IdSpec,
    ProcessBatch,
    RecordOption,
    Register,
    Reject,
    Resolve,
)
from .outcomes import (
    BatchMeterUsageResult,
    MeterUsageResult,
    Outcome,
    RecordResult,
    ResolveCustomerResult,
    ServiceError,
)
from .outcomes import RegisterUsageResult as _RegisterResult

__all__ = ["DEFAULT_CLIENT_ERROR", "first", "realize"]

T = TypeVar("T")

DEFAULT_CLIENT_ERROR = "ValidationException"
"""The code the reference answers with where the rules allow any 4xx and suggest none (the
catalogue's ``ANY_CLIENT_ERROR``, ``*``, is the rule's side: any code is allowed)."""


def first(options: Sequence[T]) -> T:
    return options[0]


def realize(
    allowed: Allowed,
    *,
    new_id: Callable[[], str],
    sign: Callable[[Register], str],
    pick: Callable[[Sequence[object]], object] = first,
    shapes_first: bool = False,
) -> Outcome:
    """One outcome the model allows for ``allowed.request``. ``shapes_first``: answer a request
    that breaks a shape constraint with WIRE-VALIDATION's ValidationException before any
    business rule, as a service generated from the Smithy model does."""
    validation = (
        [a for a in allowed.alternatives if isinstance(a, Reject) and a.rule == "WIRE-VALIDATION"]
        if shapes_first
        else []
    )
    alternative = validation[0] if validation else pick(allowed.alternatives)
    if isinstance(alternative, Reject):
        codes = (
            sorted(alternative.codes)
            if alternative.codes
            else [alternative.suggested or DEFAULT_CLIENT_ERROR]
        )
        code = str(pick(codes))
        detail = f": {alternative.detail}" if alternative.detail else ""
        return ServiceError(code, 400, f"{code}{detail} ({alternative.rule})")
    if isinstance(alternative, Accept):
        return MeterUsageResult(_record_id(alternative.record_id, new_id))
    if isinstance(alternative, ProcessBatch):
        return _batch(alternative, new_id, pick)
    if isinstance(alternative, Resolve):
        return ResolveCustomerResult(
            None if alternative.identifier_hidden else alternative.customer_identifier,
            alternative.customer_aws_account_id,
            alternative.product_code,
            alternative.license_arn,
            alternative.agreement_id,
        )
    assert isinstance(alternative, Register)
    return _RegisterResult(sign(alternative))


def _record_id(spec: IdSpec, new_id: Callable[[], str]) -> str:
    return spec.bound if spec.bound is not None else new_id()


def _batch(
    alternative: ProcessBatch, new_id: Callable[[], str], pick: Callable[[Sequence[object]], object]
) -> BatchMeterUsageResult:
    records = alternative.records
    chosen: list[RecordOption | None] = [None] * len(records)
    shared_ids: dict[int, str] = {}
    for group in alternative.groups:
        candidates = [i for i in group.indices if any(o.status == "Success" for o in records[i].options)]
        all_may_lose = all(
            any(o.status == "DuplicateRecord" for o in records[i].options) for i in group.indices
        )
        if not group.exactly_one and all_may_lose:
            candidates.append(-1)  # honour none of them (the key already holds another record)
        winner = int(pick(candidates))  # type: ignore[call-overload]
        honoured = None if winner < 0 else records[winner].record.value()
        success = (
            next((o for o in records[winner].options if o.status == "Success"), None) if winner >= 0 else None
        )
        group_id = success.record_id.bound if success and success.record_id.bound else new_id()
        for i in group.indices:
            wanted = "Success" if records[i].record.value() == honoured else "DuplicateRecord"
            chosen[i] = next(o for o in records[i].options if o.status == wanted)
            shared_ids[i] = group_id
    results = []
    for i, expectation in enumerate(records):
        option = chosen[i] or pick(expectation.options)
        assert isinstance(option, RecordOption)
        record_id = None
        if option.status == "Success":
            record_id = shared_ids[i] if i in shared_ids else _record_id(option.record_id, new_id)
        results.append(RecordResult(expectation.record, option.status, record_id))
    return BatchMeterUsageResult(tuple(results))
