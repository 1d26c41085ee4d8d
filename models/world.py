"""The fixture world: products, customers, registration tokens and callers.

The world is what a seller or an emulator's control protocol declares before any request is
sent. It changes only through :meth:`World.with_fixtures` (add or replace), which is how a
campaign revokes a subscription or an entitlement half-way through a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The Region the harness calls the service in; a caller declared elsewhere calls from afar.
SERVICE_REGION = "us-east-1"

__all__ = [
    "SERVICE_REGION",
    "Caller",
    "Customer",
    "FixtureError",
    "Fixtures",
    "Product",
    "RegistrationToken",
    "World",
]

TOKEN_STATES = ("valid", "expired")


class FixtureError(ValueError):
    """A fixtures object that does not follow the control protocol's format."""


@dataclass(frozen=True)
class Product:
    code: str
    dimensions: frozenset[str]
    public_key_versions: frozenset[int] = frozenset({1})
    concurrent_agreements: bool = False
    """2026-11: records must name the customer by CustomerAWSAccountId, not CustomerIdentifier."""
    public_keys: tuple[tuple[int, str], ...] = ()
    """(version, PEM) pairs a fixtures file gives for a target without the control protocol:
    the keys its RegisterUsage signatures verify with. Not part of the control protocol's
    fixtures object (a controlled target makes its own keys and serves them)."""

    def public_key(self, version: int) -> str | None:
        return dict(self.public_keys).get(version)


@dataclass(frozen=True)
class Customer:
    identifier: str
    aws_account_id: str
    product_code: str
    subscribed: bool = True
    license_arn: str | None = None
    agreement_id: str | None = None
    """2026-11: what ResolveCustomer returns as ``Metadata.AgreementId``."""


@dataclass(frozen=True)
class RegistrationToken:
    token: str
    customer_identifier: str
    product_code: str
    state: str = "valid"


@dataclass(frozen=True)
class Caller:
    """A buyer-side workload (EC2 instance, ECS task, EKS pod) told apart by its access key."""

    access_key_id: str
    product_code: str
    entitled: bool = True
    platform: str = "ecs"
    region: str = SERVICE_REGION


@dataclass(frozen=True)
class Fixtures:
    """One control-protocol fixtures object, as typed values."""

    products: tuple[Product, ...] = ()
    customers: tuple[Customer, ...] = ()
    tokens: tuple[RegistrationToken, ...] = ()
    callers: tuple[Caller, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> Fixtures:
        """Parse the control protocol's fixtures object; raise FixtureError naming the bad part."""
        if not isinstance(data, Mapping):
            raise FixtureError("fixtures must be a JSON object")
        unknown = set(data) - {"products", "customers", "registrationTokens", "callers"}
        if unknown:
            raise FixtureError(f"unknown fixtures key {sorted(unknown)[0]!r}")
        try:
            return cls(
                products=tuple(
                    Product(
                        code=_text(p, "productCode"),
                        dimensions=frozenset(_texts(p, "dimensions")),
                        public_key_versions=frozenset(int(v) for v in p.get("publicKeyVersions", [1])),
                        concurrent_agreements=_flag(p, "concurrentAgreements"),
                        public_keys=tuple(
                            sorted((int(v), str(pem)) for v, pem in dict(p.get("publicKeys", {})).items())
                        ),
                    )
                    for p in _list(data, "products")
                ),
                customers=tuple(
                    Customer(
                        identifier=_text(c, "customerIdentifier"),
                        aws_account_id=_text(c, "customerAWSAccountId"),
                        product_code=_text(c, "productCode"),
                        subscribed=bool(c.get("subscribed", True)),
                        license_arn=c.get("licenseArn"),
                        agreement_id=_optional_text(c, "agreementId"),
                    )
                    for c in _list(data, "customers")
                ),
                tokens=tuple(
                    RegistrationToken(
                        token=_text(t, "token"),
                        customer_identifier=_text(t, "customerIdentifier"),
                        product_code=_text(t, "productCode"),
                        state=_token_state(t),
                    )
                    for t in _list(data, "registrationTokens")
                ),
                callers=tuple(
                    Caller(
                        access_key_id=_text(k, "accessKeyId"),
                        product_code=_text(k, "productCode"),
                        entitled=bool(k.get("entitled", True)),
                        platform=str(k.get("platform", "ecs")),
                        region=str(k.get("region", SERVICE_REGION)),
                    )
                    for k in _list(data, "callers")
                ),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, FixtureError):
                raise
            raise FixtureError(f"bad fixtures value: {exc}") from None

    def to_json(self) -> dict[str, Any]:
        """The control protocol's fixtures object (sorted, so equal fixtures give equal JSON)."""
        return {
            "products": [
                {
                    "productCode": p.code,
                    "dimensions": sorted(p.dimensions),
                    "publicKeyVersions": sorted(p.public_key_versions),
                    **({"concurrentAgreements": True} if p.concurrent_agreements else {}),
                }
                for p in self.products
            ],
            "customers": [
                {
                    "customerIdentifier": c.identifier,
                    "customerAWSAccountId": c.aws_account_id,
                    "productCode": c.product_code,
                    "subscribed": c.subscribed,
                    **({"licenseArn": c.license_arn} if c.license_arn else {}),
                    **({"agreementId": c.agreement_id} if c.agreement_id else {}),
                }
                for c in self.customers
            ],
            "registrationTokens": [
                {
                    "token": t.token,
                    "customerIdentifier": t.customer_identifier,
                    "productCode": t.product_code,
                    "state": t.state,
                }
                for t in self.tokens
            ],
            "callers": [
                {
                    "accessKeyId": k.access_key_id,
                    "productCode": k.product_code,
                    "entitled": k.entitled,
                    "platform": k.platform,
                    "region": k.region,
                }
                for k in self.callers
            ],
        }


@dataclass(frozen=True)
class World:
    """Every declared object, keyed as the control protocol keys them.

    Mappings are never mutated after construction; :meth:`with_fixtures` returns a new world.
    """

    products: Mapping[str, Product] = field(default_factory=dict)
    customers: Mapping[tuple[str, str], Customer] = field(default_factory=dict)
    tokens: Mapping[str, RegistrationToken] = field(default_factory=dict)
    callers: Mapping[str, Caller] = field(default_factory=dict)

    @classmethod
    def of(cls, fixtures: Fixtures) -> World:
        return cls().with_fixtures(fixtures)

    def with_fixtures(self, fixtures: Fixtures) -> World:
        """Add the fixtures; an object whose key is already present replaces the old one."""
        return World(
            products=_merged(self.products, ((p.code, p) for p in fixtures.products)),
            customers=_merged(
                self.customers, (((c.product_code, c.identifier), c) for c in fixtures.customers)
            ),
            tokens=_merged(self.tokens, ((t.token, t) for t in fixtures.tokens)),
            callers=_merged(self.callers, ((k.access_key_id, k) for k in fixtures.callers)),
        )

    def fixtures(self) -> Fixtures:
        return Fixtures(
            products=tuple(self.products.values()),
            customers=tuple(self.customers.values()),
            tokens=tuple(self.tokens.values()),
            callers=tuple(self.callers.values()),
        )

    def customer_by_account(self, product_code: str, account_id: str) -> Customer | None:
        for customer in self.customers.values():
            if customer.product_code == product_code and customer.aws_account_id == account_id:
                return customer
        return None

    def caller_for(self, access_key_id: str | None, product_code: str, region: str) -> Caller:
        """The declared caller, or (control protocol) an entitled ec2 caller of the product."""
        declared = self.callers.get(access_key_id or "")
        if declared is not None:
            return declared
        return Caller(access_key_id or "", product_code, True, "ec2", region)


def _merged(old: Mapping[Any, Any], new: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
    merged = dict(old)
    merged.update(new)
    return merged


def _list(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise FixtureError(f"fixtures {key!r} must be a list of objects")
    return value


def _text(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise FixtureError(f"fixture member {key!r} must be a non-empty string, got {value!r}")
    return value


def _optional_text(obj: Mapping[str, Any], key: str) -> str | None:
    return None if obj.get(key) is None else _text(obj, key)


def _flag(obj: Mapping[str, Any], key: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise FixtureError(f"fixture member {key!r} must be true or false, got {value!r}")
    return value


def _texts(obj: Mapping[str, Any], key: str) -> list[str]:
    value = obj.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FixtureError(f"fixture member {key!r} must be a list of non-empty strings")
    return value


def _token_state(obj: Mapping[str, Any]) -> str:
    state = obj.get("state", "valid")
    if state not in TOKEN_STATES:
        raise FixtureError(f"token state must be one of {TOKEN_STATES}, got {state!r}")
    return str(state)
