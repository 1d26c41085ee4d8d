"""Requests of the four operations, as typed values, and their boto3 / wire forms.

Every member may hold a value the service must refuse (``None`` for a missing required member,
a negative quantity, an over-long string): the model decides what happens to such requests, so
the types do not forbid them. ``to_params`` gives the keyword arguments boto3 takes;
``to_wire`` gives the awsJson1_1 body botocore would send (timestamps as epoch seconds).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, TypeVar

T = TypeVar("T")

__all__ = [
    "OPERATION_NAMES",
    "REQUEST_TYPES",
    "Allocation",
    "BatchMeterUsage",
    "CallContext",
    "MeterUsage",
    "OperationRequest",
    "QuantityForm",
    "RawRequest",
    "RegisterUsage",
    "Request",
    "ResolveCustomer",
    "Tag",
    "UsagePart",
    "UsageRecord",
    "WireFacts",
    "allocations_from_params",
    "allocations_key",
    "decimal_value",
    "epoch",
    "from_epoch",
    "quantity_form",
    "quantity_text",
    "quantity_value",
    "record_from_params",
    "request_from_params",
    "to_wire",
    "usage_parts",
    "wire_size",
    "wire_value",
    "with_usage_parts",
]


def epoch(moment: datetime) -> int | float:
    """Epoch seconds as botocore serializes them: an int for whole seconds."""
    seconds = moment.timestamp()
    return int(seconds) if seconds == int(seconds) else seconds


def from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


QuantityForm = Literal["omitted", "integer", "decimal", "both"]


def decimal_value(text: Any) -> Decimal | None:
    """A decimal string's value (``"17.00"`` is 17), or None if it is not a finite number.
    Whether the string follows the service's pattern is a shape check, not decided here."""
    if not isinstance(text, str):
        return None
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def quantity_value(integer: Any, decimal: Any) -> Decimal | None:
    """The value of a quantity sent as an integer member, a decimal-string member, or neither
    (0, the documented default). None when the value cannot be read (a wrong type)."""
    if decimal is not None:
        return decimal_value(decimal)
    if integer is None:
        return Decimal(0)
    if isinstance(integer, bool) or not isinstance(integer, int):
        return None
    return Decimal(integer)


def quantity_form(integer: Any, decimal: Any) -> QuantityForm:
    if integer is not None and decimal is not None:
        return "both"
    if decimal is not None:
        return "decimal"
    return "integer" if integer is not None else "omitted"


def quantity_text(integer: Any, decimal: Any) -> str:
    """How a quantity was sent: ``""`` omitted, ``"17"`` an integer, ``"d:17.00"`` a decimal."""
    if decimal is not None:
        return f"d:{decimal}"
    return "" if integer is None else str(integer)


@dataclass(frozen=True)
class WireFacts:
    """What a received body showed that the typed request cannot hold.

    Set only on requests decoded from HTTP (the emulator); requests built by strategies have
    none. ``size`` is the body's length in bytes as sent, ``unknown_members`` the paths of the
    members its shape does not have (``UsageRecords[0].Extra``).
    """

    size: int
    unknown_members: tuple[str, ...] = ()


@dataclass(frozen=True)
class CallContext:
    """Who sends a request and to which regional endpoint.

    ``access_key_id`` tells buyer-side callers apart (MeterUsage, RegisterUsage); it is the
    seller's key, and irrelevant, for BatchMeterUsage and ResolveCustomer.
    """

    access_key_id: str | None = None
    region: str = "us-east-1"


@dataclass(frozen=True)
class Tag:
    key: str
    value: str

    def to_params(self) -> dict[str, str]:
        return {"Key": self.key, "Value": self.value}


@dataclass(frozen=True)
class Allocation:
    quantity: int | None
    tags: tuple[Tag, ...] | None = None
    quantity_decimal: str | None = None

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.quantity is not None:
            params["AllocatedUsageQuantity"] = self.quantity
        if self.quantity_decimal is not None:
            params["AllocatedUsageQuantityAsDecimal"] = self.quantity_decimal
        if self.tags is not None:
            params["Tags"] = [t.to_params() for t in self.tags]
        return params

    def value(self) -> Decimal | None:
        """The allocated quantity's value; None when neither member names one (or it cannot be
        read)."""
        if self.quantity is None and self.quantity_decimal is None:
            return None
        return quantity_value(self.quantity, self.quantity_decimal)

    def form(self) -> QuantityForm:
        return quantity_form(self.quantity, self.quantity_decimal)

    def tag_set(self) -> frozenset[Tag]:
        return frozenset(self.tags or ())


def allocations_key(allocations: tuple[Allocation, ...] | None) -> frozenset[Any]:
    """Allocations compared as a set of (tag set, quantity value): order does not matter, and
    17 and "17.00" are the same quantity (QTY-BY-VALUE)."""
    return frozenset((a.tag_set(), a.value()) for a in allocations or ())


@dataclass(frozen=True)
class UsageRecord:
    timestamp: datetime | None
    dimension: str | None
    customer_identifier: str | None = None
    quantity: int | None = None
    allocations: tuple[Allocation, ...] | None = None
    customer_aws_account_id: str | None = None
    license_arn: str | None = None
    quantity_decimal: str | None = None

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        _put(params, "Timestamp", self.timestamp)
        _put(params, "CustomerIdentifier", self.customer_identifier)
        _put(params, "Dimension", self.dimension)
        _put(params, "Quantity", self.quantity)
        _put(params, "QuantityAsDecimal", self.quantity_decimal)
        if self.allocations is not None:
            params["UsageAllocations"] = [a.to_params() for a in self.allocations]
        _put(params, "CustomerAWSAccountId", self.customer_aws_account_id)
        _put(params, "LicenseArn", self.license_arn)
        return params

    def value(self) -> Decimal | None:
        return quantity_value(self.quantity, self.quantity_decimal)

    def form(self) -> QuantityForm:
        return quantity_form(self.quantity, self.quantity_decimal)

    def same_echo(self, other: UsageRecord) -> bool:
        """``other`` echoes this record as the service may: an omitted quantity and 0 are the
        same, and a decimal string comes back unchanged, character for character (QTY-DECIMAL)."""
        if self.quantity_decimal is not None and other.quantity_decimal != self.quantity_decimal:
            return False
        return (
            self.timestamp == other.timestamp
            and self.dimension == other.dimension
            and self.customer_identifier == other.customer_identifier
            and self.value() == other.value()
            and allocations_key(self.allocations) == allocations_key(other.allocations)
            and self.customer_aws_account_id == other.customer_aws_account_id
            and self.license_arn == other.license_arn
        )


@dataclass(frozen=True)
class MeterUsage:
    operation: ClassVar[str] = "MeterUsage"
    product_code: str | None
    timestamp: datetime | None
    usage_dimension: str | None
    usage_quantity: int | None = None
    dry_run: bool | None = None
    allocations: tuple[Allocation, ...] | None = None
    client_token: str | None = None
    usage_quantity_decimal: str | None = None
    wire: WireFacts | None = field(default=None, compare=False, repr=False)

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        _put(params, "ProductCode", self.product_code)
        _put(params, "Timestamp", self.timestamp)
        _put(params, "UsageDimension", self.usage_dimension)
        _put(params, "UsageQuantity", self.usage_quantity)
        _put(params, "UsageQuantityAsDecimal", self.usage_quantity_decimal)
        _put(params, "DryRun", self.dry_run)
        if self.allocations is not None:
            params["UsageAllocations"] = [a.to_params() for a in self.allocations]
        _put(params, "ClientToken", self.client_token)
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any], wire: WireFacts | None = None) -> MeterUsage:
        return cls(
            product_code=params.get("ProductCode"),
            timestamp=_timestamp(params.get("Timestamp")),
            usage_dimension=params.get("UsageDimension"),
            usage_quantity=params.get("UsageQuantity"),
            dry_run=params.get("DryRun"),
            allocations=allocations_from_params(params.get("UsageAllocations")),
            client_token=params.get("ClientToken"),
            usage_quantity_decimal=params.get("UsageQuantityAsDecimal"),
            wire=wire,
        )

    def value(self) -> Decimal | None:
        return quantity_value(self.usage_quantity, self.usage_quantity_decimal)

    def as_record(self) -> UsageRecord:
        """Its usage as a batch's record carries it (no customer: the caller is the subject)."""
        return UsageRecord(
            self.timestamp,
            self.usage_dimension,
            quantity=self.usage_quantity,
            allocations=self.allocations,
            quantity_decimal=self.usage_quantity_decimal,
        )

    def form(self) -> QuantityForm:
        return quantity_form(self.usage_quantity, self.usage_quantity_decimal)


@dataclass(frozen=True)
class BatchMeterUsage:
    operation: ClassVar[str] = "BatchMeterUsage"
    product_code: str | None
    usage_records: tuple[UsageRecord, ...]
    wire: WireFacts | None = field(default=None, compare=False, repr=False)

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"UsageRecords": [r.to_params() for r in self.usage_records]}
        _put(params, "ProductCode", self.product_code)
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any], wire: WireFacts | None = None) -> BatchMeterUsage:
        return cls(
            product_code=params.get("ProductCode"),
            usage_records=tuple(record_from_params(r) for r in params.get("UsageRecords") or ()),
            wire=wire,
        )


@dataclass(frozen=True)
class ResolveCustomer:
    operation: ClassVar[str] = "ResolveCustomer"
    registration_token: str | None
    wire: WireFacts | None = field(default=None, compare=False, repr=False)

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        _put(params, "RegistrationToken", self.registration_token)
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any], wire: WireFacts | None = None) -> ResolveCustomer:
        return cls(registration_token=params.get("RegistrationToken"), wire=wire)


@dataclass(frozen=True)
class RegisterUsage:
    operation: ClassVar[str] = "RegisterUsage"
    product_code: str | None
    public_key_version: int | None
    nonce: str | None = None
    wire: WireFacts | None = field(default=None, compare=False, repr=False)

    def to_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        _put(params, "ProductCode", self.product_code)
        _put(params, "PublicKeyVersion", self.public_key_version)
        _put(params, "Nonce", self.nonce)
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any], wire: WireFacts | None = None) -> RegisterUsage:
        return cls(
            product_code=params.get("ProductCode"),
            public_key_version=params.get("PublicKeyVersion"),
            nonce=params.get("Nonce"),
            wire=wire,
        )


@dataclass(frozen=True)
class RawRequest:
    """A request no SDK would send: an unknown operation, a body that is not a JSON object, or
    members whose values are not of their shapes' types.

    ``target`` is the operation named in ``X-Amz-Target`` (None: the header is missing).
    """

    operation: ClassVar[str] = "Raw"
    target: str | None
    body: bytes

    def to_params(self) -> dict[str, Any]:
        return {}


Request = MeterUsage | BatchMeterUsage | ResolveCustomer | RegisterUsage | RawRequest
OperationRequest = MeterUsage | BatchMeterUsage | ResolveCustomer | RegisterUsage

REQUEST_TYPES: dict[str, type[OperationRequest]] = {
    cls.operation: cls for cls in (MeterUsage, BatchMeterUsage, ResolveCustomer, RegisterUsage)
}
"""Each operation's request type, by the operation's name (in the service model's order)."""
OPERATION_NAMES: tuple[str, ...] = tuple(REQUEST_TYPES)


def to_wire(request: Request) -> dict[str, Any]:
    """The JSON body botocore sends for the request (timestamps as epoch seconds)."""
    return wire_value(request.to_params())  # type: ignore[no-any-return]


def wire_size(request: Request) -> int:
    """Bytes of the body as received, or as botocore sends it (``json.dumps`` with its default
    separators) for a request built here."""
    if isinstance(request, RawRequest):
        return len(request.body)
    if request.wire is not None:
        return request.wire.size
    kept = _LARGE_SIZES.get(id(request))
    if kept is not None and kept[0] is request:  # the request is held: its id is not reused
        return kept[1]
    # json.dumps turns each datetime into epoch seconds as it meets it: the body to_wire gives,
    # without copying the params first (this is judged for every batch drawn)
    size = len(json.dumps(request.to_params(), default=_epoch_of).encode("utf-8"))
    if size >= _LARGE:
        if len(_LARGE_SIZES) >= 8:
            _LARGE_SIZES.clear()
        _LARGE_SIZES[id(request)] = (request, size)
    return size


# The sizes of the few large bodies a campaign sends again and again (a payload campaign's
# megabyte batches, each built once: strategies.payload), kept by identity: measuring one
# costs tens of milliseconds, and a request is immutable.
_LARGE = 1 << 16
_LARGE_SIZES: dict[int, tuple[Request, int]] = {}


def _epoch_of(value: Any) -> int | float:
    if isinstance(value, datetime):
        return epoch(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def wire_value(value: Any) -> Any:
    """A boto3 params value in its JSON wire form: datetimes become epoch seconds."""
    if isinstance(value, datetime):
        return epoch(value)
    if isinstance(value, dict):
        return {k: wire_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_value(v) for v in value]
    return value


def _put(params: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        params[key] = value


def _timestamp(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return from_epoch(float(value))


def allocations_from_params(value: Any) -> tuple[Allocation, ...] | None:
    if value is None:
        return None
    return tuple(
        Allocation(
            quantity=a.get("AllocatedUsageQuantity"),
            tags=None
            if a.get("Tags") is None
            else tuple(Tag(t.get("Key"), t.get("Value")) for t in a["Tags"]),
            quantity_decimal=a.get("AllocatedUsageQuantityAsDecimal"),
        )
        for a in value
    )


def record_from_params(params: dict[str, Any]) -> UsageRecord:
    """A UsageRecord from boto3 params or a parsed response (epoch or datetime timestamps)."""
    return UsageRecord(
        timestamp=_timestamp(params.get("Timestamp")),
        dimension=params.get("Dimension"),
        customer_identifier=params.get("CustomerIdentifier"),
        quantity=params.get("Quantity"),
        allocations=allocations_from_params(params.get("UsageAllocations")),
        customer_aws_account_id=params.get("CustomerAWSAccountId"),
        license_arn=params.get("LicenseArn"),
        quantity_decimal=params.get("QuantityAsDecimal"),
    )


UsagePart = MeterUsage | UsageRecord
"""A part of a request that carries usage: a MeterUsage itself, or one record of a batch."""


def usage_parts(request: Request) -> tuple[UsagePart, ...]:
    """Where a request's usage is (its timestamps, dimensions and quantities): the MeterUsage,
    or each record of a batch; none for another operation."""
    if isinstance(request, MeterUsage):
        return (request,)
    if isinstance(request, BatchMeterUsage):
        return request.usage_records
    return ()


def with_usage_parts(request: Request, change: Callable[[UsagePart], UsagePart]) -> Request:
    """``request`` with ``change`` applied to each of its :func:`usage_parts`; ``change`` keeps
    each part's type."""
    if isinstance(request, MeterUsage):
        return _as(MeterUsage, change(request))
    if isinstance(request, BatchMeterUsage):
        records = tuple(_as(UsageRecord, change(r)) for r in request.usage_records)
        return replace(request, usage_records=records)
    return request


def _as(kind: type[T], value: object) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"a change of a {kind.__name__} returned a {type(value).__name__}")
    return value


def request_from_params(operation: str, params: dict[str, Any], wire: WireFacts | None = None) -> Request:
    """The typed request for an operation's boto3 params (the inverse of ``to_params``);
    ``wire`` is what the body it was read from showed."""
    if operation not in REQUEST_TYPES:
        raise ValueError(f"unknown operation {operation!r}")
    return REQUEST_TYPES[operation].from_params(params, wire)
