"""What a target answered, as typed values (the harness parses raw responses into these).

A service error is an outcome like any other. ThrottlingException, InternalServiceErrorException
and transport failures are *indeterminate*: the request may or may not have been applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .requests import UsageRecord

__all__ = [
    "INDETERMINATE_ERRORS",
    "BatchMeterUsageResult",
    "Indeterminate",
    "MeterUsageResult",
    "Outcome",
    "RecordResult",
    "RegisterUsageResult",
    "ResolveCustomerResult",
    "ServiceError",
    "is_indeterminate",
]

INDETERMINATE_ERRORS = frozenset({"ThrottlingException", "InternalServiceErrorException"})


@dataclass(frozen=True)
class MeterUsageResult:
    metering_record_id: str | None


@dataclass(frozen=True)
class RecordResult:
    record: UsageRecord | None
    status: str | None
    metering_record_id: str | None = None


@dataclass(frozen=True)
class BatchMeterUsageResult:
    results: tuple[RecordResult, ...]
    unprocessed: tuple[UsageRecord, ...] = ()


@dataclass(frozen=True)
class ResolveCustomerResult:
    customer_identifier: str | None
    customer_aws_account_id: str | None
    product_code: str | None
    license_arn: str | None = None
    agreement_id: str | None = None
    """``Metadata.AgreementId`` (2026-11)."""


@dataclass(frozen=True)
class RegisterUsageResult:
    signature: str | None
    public_key_rotation_timestamp: datetime | None = None


@dataclass(frozen=True)
class ServiceError:
    """An error response: ``code`` is the ``__type`` without namespace, ``status`` the HTTP status."""

    code: str
    status: int
    message: str | None = None


@dataclass(frozen=True)
class Indeterminate:
    """No answer that says what happened: a timeout, a reset connection, a crash of the target."""

    reason: str


Outcome = (
    MeterUsageResult
    | BatchMeterUsageResult
    | ResolveCustomerResult
    | RegisterUsageResult
    | ServiceError
    | Indeterminate
)


def is_indeterminate(outcome: Outcome) -> bool:
    if isinstance(outcome, Indeterminate):
        return True
    return isinstance(outcome, ServiceError) and outcome.code in INDETERMINATE_ERRORS
