"""A usage record as the control protocol lists it (``GET /_conformance/records``), read once
into a typed value.

The emulator builds one per record it accepts (:meth:`ControlRecord.of_usage`) and serves
:meth:`ControlRecord.to_json`; a target reads another emulator's list with
:meth:`ControlRecord.from_json`. The records oracle (``models.records``), the seller's
exactly-once judge (``models.seller``) and the lab's mutants all read these fields, never the
JSON object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .requests import (
    Allocation,
    MeterUsage,
    UsageRecord,
    allocations_from_params,
    allocations_key,
    epoch,
    from_epoch,
    quantity_value,
    wire_value,
)

__all__ = ["ControlRecord"]

_TEXT = (
    ("operation", "operation"),
    ("product_code", "productCode"),
    ("customer_identifier", "customerIdentifier"),
    ("customer_aws_account_id", "customerAWSAccountId"),
    ("license_arn", "licenseArn"),
    ("caller_access_key_id", "callerAccessKeyId"),
    ("dimension", "dimension"),
)
_SHOWN = (
    "quantity",
    "allocations",
    "meteringRecordId",
    "productCode",
    "customerIdentifier",
    "customerAWSAccountId",
    "callerAccessKeyId",
    "dimension",
)
_READ_ERRORS = (AttributeError, TypeError, KeyError, ValueError, OverflowError, InvalidOperation)


@dataclass(frozen=True)
class ControlRecord:
    """One accepted usage record. MeterUsage records name their caller and no customer;
    BatchMeterUsage records name a customer (identifier, or account and license) and no caller.
    A member listed with a value of the wrong type is None here and named in ``unreadable``."""

    operation: str | None
    product_code: str | None
    customer_identifier: str | None = None
    customer_aws_account_id: str | None = None
    license_arn: str | None = None
    caller_access_key_id: str | None = None
    dimension: str | None = None
    timestamp: int | float | None = None
    """Epoch seconds."""
    quantity: int | str | None = None
    """A whole number, or the decimal text as sent."""
    allocations: tuple[Allocation, ...] | None = None
    metering_record_id: str | None = None
    unreadable: tuple[str, ...] = ()
    """The JSON members whose value could not be read (the comparison fails on them)."""

    @classmethod
    def of_usage(
        cls,
        operation: str,
        product_code: str | None,
        record: UsageRecord,
        record_id: str | None,
        caller_access_key_id: str | None,
    ) -> ControlRecord:
        """The record of usage ``record`` accepted under ``record_id`` (a batch's record, with
        no caller)."""
        return cls(
            operation=operation,
            product_code=product_code,
            customer_identifier=record.customer_identifier,
            customer_aws_account_id=record.customer_aws_account_id,
            license_arn=record.license_arn,
            caller_access_key_id=caller_access_key_id,
            dimension=record.dimension,
            timestamp=epoch(record.timestamp) if record.timestamp else None,
            # a decimal quantity as sent (a string), a whole number as a number
            quantity=record.quantity_decimal or (record.quantity if record.quantity is not None else 0),
            allocations=record.allocations or None,
            metering_record_id=record_id,
        )

    @classmethod
    def of_meter(
        cls, request: MeterUsage, record_id: str | None, caller_access_key_id: str | None
    ) -> ControlRecord:
        """The record of a MeterUsage accepted under ``record_id``, sent by that caller."""
        usage = request.as_record()
        return cls.of_usage("MeterUsage", request.product_code, usage, record_id, caller_access_key_id)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ControlRecord:
        """The record a control-protocol record object lists; never raises for a member's value."""
        values: dict[str, Any] = {}
        unreadable: list[str] = []
        for attribute, member in (*_TEXT, ("metering_record_id", "meteringRecordId")):
            value = obj.get(member)
            if value is None or isinstance(value, str):
                values[attribute] = value
            else:
                unreadable.append(member)
        values["timestamp"] = _read(obj, "timestamp", _timestamp, unreadable)
        values["quantity"] = _read(obj, "quantity", _quantity, unreadable)
        values["allocations"] = _read(obj, "allocations", _allocations, unreadable)
        return cls(**values, unreadable=tuple(unreadable))

    def to_json(self) -> dict[str, Any]:
        """The control protocol's record object (members in the protocol's order)."""
        obj: dict[str, Any] = {member: getattr(self, attribute) for attribute, member in _TEXT}
        obj["timestamp"] = self.timestamp
        obj["quantity"] = self.quantity
        obj["allocations"] = wire_value([a.to_params() for a in self.allocations or ()]) or None
        obj["meteringRecordId"] = self.metering_record_id
        return obj

    @property
    def subject(self) -> str:
        """Who the usage is of as listed: the caller's access key (MeterUsage), else the
        customer identifier, else the customer's account ("" when none is listed)."""
        return self.caller_access_key_id or self.customer_identifier or self.customer_aws_account_id or ""

    @property
    def moment(self) -> datetime | None:
        """The timestamp as a UTC datetime (None when none was listed)."""
        return from_epoch(float(self.timestamp)) if self.timestamp is not None else None

    def quantity_decimal(self) -> Decimal | None:
        """The quantity's value (None when there is none to read)."""
        if isinstance(self.quantity, str):
            return quantity_value(None, self.quantity)
        return quantity_value(self.quantity, None) if self.quantity is not None else None

    def shown(self) -> dict[str, object]:
        """The members a report names the record by (those listed with a value), what was
        billed first."""
        listed = self.to_json()
        return {member: listed[member] for member in _SHOWN if listed[member] is not None}


def _read(obj: Mapping[str, Any], member: str, read: Callable[[object], Any], unreadable: list[str]) -> Any:
    value = obj.get(member)
    if value is None:
        return None
    try:
        return read(value)
    except _READ_ERRORS:
        unreadable.append(member)
        return None


def _timestamp(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(_member_type("timestamp", value))
    seconds = float(value)
    from_epoch(seconds)  # a moment a datetime can hold
    return value if isinstance(value, int | float) else seconds


def _quantity(value: object) -> int | str:
    if isinstance(value, str) and quantity_value(None, value) is not None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(_member_type("quantity", value))


def _allocations(value: object) -> tuple[Allocation, ...]:
    if not isinstance(value, list) or not all(isinstance(a, dict) for a in value):
        raise TypeError(_member_type("allocations", value))
    read = allocations_from_params(value) or ()
    allocations_key(read)  # raises for tags that cannot be compared
    return read


def _member_type(member: str, value: object) -> str:
    return f"{member} of type {type(value).__name__}"
