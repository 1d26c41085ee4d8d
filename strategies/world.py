"""The fixture world of one campaign: products, customers, tokens and callers.

Every world holds at least one object of each kind a rule needs (subscribed, unsubscribed and
cross-product customers; valid and expired tokens; entitled, not entitled, unsupported-platform
and other-region callers), all named inside the campaign's namespace.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import strategies as st

from conformance.models.profiles import get_profile
from conformance.models.world import SERVICE_REGION, Caller, Customer, Fixtures, Product, RegistrationToken

from .names import Names

__all__ = ["fixture_worlds", "minimal_world"]

REGION = SERVICE_REGION
OTHER_REGION = "eu-west-1"


def minimal_world(namespace: str, profile: str) -> Fixtures:
    """The world ``fixture_worlds`` shrinks to: two products, one dimension each but two on
    the first, and one object of every kind (in 2026-11 also an AgentCore caller, agreement
    ids and a product on concurrent agreements)."""
    world = _build(Names(namespace), extra_dimensions=0, extra_customers=0, key_versions=1)
    return _with_2026(world, Names(namespace)) if get_profile(profile).concurrent_agreements else world


def fixture_worlds(namespace: str, profile: str) -> st.SearchStrategy[Fixtures]:
    """Worlds for one campaign in ``namespace``.

    Covers: 2 products (the second sharing customer identifiers with the first, for
    BMU-PRODUCT-ISOLATION), 2-4 dimensions, 1-3 extra subscribed customers, 1-2 public key
    versions; in 2026-11 the additions of :func:`minimal_world`. Shrinks toward
    :func:`minimal_world`.
    """
    names = Names(namespace)
    api_2026 = get_profile(profile).concurrent_agreements

    def build(extra_dimensions: int, extra_customers: int, key_versions: int) -> Fixtures:
        world = _build(names, extra_dimensions, extra_customers, key_versions)
        return _with_2026(world, names) if api_2026 else world

    return st.builds(
        build,
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(1, 2),
    )


def _with_2026(world: Fixtures, names: Names) -> Fixtures:
    """The 2026-11 additions: an agreement id for the first customer (RC-AGREEMENT), an
    AgentCore Runtime caller (MU-AGENTCORE), and a third product on concurrent agreements with
    two customers, one with an agreement id, and a token for each
    (BMU-CONCURRENT-AGREEMENTS, RC-AGREEMENT)."""
    first, third = names.product(0), names.product(2)
    customers = tuple(
        replace(c, agreement_id=names.agreement(c.identifier)) if c.identifier == names.customer(0) else c
        for c in world.customers
    )
    concurrent = Product(
        third, frozenset({names.dimension(0), names.dimension(1)}), concurrent_agreements=True
    )
    buyers = (
        Customer(
            names.customer(20),
            names.account(20),
            third,
            True,
            names.license_arn(20),
            names.agreement(names.customer(20)),
        ),
        Customer(names.customer(21), names.account(21), third, True, names.license_arn(21)),
    )
    tokens = (
        RegistrationToken(names.token(20), names.customer(20), third, "valid"),
        RegistrationToken(names.token(21), names.customer(21), third, "valid"),
    )
    agent = Caller(names.access_key(6), first, True, "agentcore", REGION)
    return Fixtures(
        (*world.products, concurrent),
        (*customers, *buyers),
        (*world.tokens, *tokens),
        (*world.callers, agent),
    )


def _build(names: Names, extra_dimensions: int, extra_customers: int, key_versions: int) -> Fixtures:
    first, second = names.product(0), names.product(1)
    versions = frozenset(range(1, key_versions + 1))
    products = (
        Product(first, frozenset(names.dimension(i) for i in range(2 + extra_dimensions)), versions),
        Product(second, frozenset({names.dimension(0)}), frozenset({1})),
    )
    subscribed = [
        Customer(names.customer(i), names.account(i), first, True, names.license_arn(i))
        for i in range(2 + extra_customers)
    ]
    unsubscribed = Customer(names.customer(90), names.account(90), first, False, names.license_arn(90))
    cross_product = Customer(names.customer(0), names.account(0), second, True, names.license_arn(50))
    tokens = (
        RegistrationToken(names.token(0), names.customer(0), first, "valid"),
        RegistrationToken(names.token(1), names.customer(1), first, "valid"),
        RegistrationToken(names.token(2), names.customer(90), first, "valid"),
        RegistrationToken(names.token(9), names.customer(1), first, "expired"),
    )
    callers = (
        Caller(names.access_key(0), first, True, "ecs", REGION),
        Caller(names.access_key(1), first, True, "eks", REGION),
        Caller(names.access_key(2), first, False, "ecs", REGION),
        Caller(names.access_key(3), first, True, "lambda", REGION),
        Caller(names.access_key(4), first, True, "ecs", OTHER_REGION),
        Caller(names.access_key(5), second, True, "ec2", REGION),
    )
    return Fixtures(products, (*subscribed, unsubscribed, cross_product), tokens, callers)
