"""Small builders for model tests: requests relative to NOW, and the model answering itself."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import datetime, timedelta

from conformance.models import (
    Allocation,
    Allowed,
    BatchMeterUsage,
    CallContext,
    MeterUsage,
    Model,
    ModelState,
    Outcome,
    Register,
    Request,
    Tag,
    UsageRecord,
)
from conformance.models.realize import realize
from tests.conftest import NOW

SELLER = CallContext()
CALLER = CallContext("AKIAENTITLED00000001")


def ago(hours: float = 0, seconds: float = 0, now: datetime = NOW) -> datetime:
    return now - timedelta(hours=hours, seconds=seconds)


def rec(
    age: timedelta = timedelta(hours=1),
    customer: str | None = "cust-1",
    dimension: str = "users",
    quantity: int | None = 1,
    allocations: tuple[Allocation, ...] | None = None,
    now: datetime = NOW,
    **extra: object,
) -> UsageRecord:
    return UsageRecord(now - age, dimension, customer, quantity, allocations, **extra)  # type: ignore[arg-type]


def batch(*records: UsageRecord, product: str | None = "prod-a") -> BatchMeterUsage:
    return BatchMeterUsage(product, tuple(records))


def meter(
    age: timedelta = timedelta(hours=1),
    quantity: int | None = 1,
    dimension: str = "users",
    product: str = "prod-a",
    now: datetime = NOW,
    **extra: object,
) -> MeterUsage:
    return MeterUsage(product, now - age, dimension, quantity, **extra)  # type: ignore[arg-type]


def tags(*pairs: tuple[str, str]) -> tuple[Tag, ...]:
    return tuple(Tag(k, v) for k, v in pairs)


def fake_sign(expected: Register) -> str:
    """An unsigned PS256-headed JWT with the claims the model expects (the model never verifies)."""

    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {
        "productCode": expected.product_code,
        "publicKeyVersion": expected.public_key_version,
        "iat": int(expected.now.timestamp()),
        **({"nonce": expected.nonce} if expected.nonce is not None else {}),
    }
    return f"{part({'alg': 'PS256', 'typ': 'JWT'})}.{part(claims)}.c2ln"


class SelfTarget:
    """The model answering its own requests (the reference behaviour), with counted ids."""

    def __init__(self, model: Model, state: ModelState) -> None:
        self.model = model
        self.state = state
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"rid-{next(self._ids)}"

    def send(
        self, request: Request, context: CallContext = SELLER, now: datetime = NOW
    ) -> tuple[Allowed, Outcome]:
        allowed = self.model.allowed(self.state, request, context, now)
        outcome = realize(allowed, new_id=self.new_id, sign=fake_sign)
        self.state = self.model.step(self.state, allowed, outcome)
        return allowed, outcome


def loopback_client(url: str, access_key_id: str):
    """A boto3 metering client of ``url`` that never retries (each call is one request)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "meteringmarketplace",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=access_key_id,
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )
