"""What a rule needs of the world, or of the target, before any request can decide it.

A target without the control protocol knows only the world its fixtures file declares, and the
harness cannot reset it, move its clock or change its fixtures. A rule whose every deciding
request needs something that world lacks is ``untestable``, and the report says which thing
and how to declare it, rather than running a campaign that cannot reach it (a need in
:data:`PASS_ONLY` lets the campaign run, and makes only a pass ``untestable``). Each rule names its
needs in the catalogue (:attr:`Rule.needs <conformance.models.catalogue.Rule.needs>`); this
module decides whether a world meets them.

Every need is a necessary condition read off the model branch that decides the rule (a caller
must be entitled for MU-REGION to be the only rule a request breaks, and so on), so a rule
found untestable here could not have been decided by any request the world allows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from .catalogue import Need, Rule
from .profiles import Profile
from .world import Caller, World

__all__ = ["PASS_ONLY", "Lack", "lacking", "untestable_reason"]


@dataclass(frozen=True)
class Lack:
    """One need a world or target does not meet: what is missing and how to give it."""

    need: Need
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Place:
    world: World
    profile: Profile
    region: str
    capabilities: frozenset[str]

    @property
    def told(self) -> bool:
        """Whether the target is told the world (control protocol): it then knows callers
        nobody declared as entitled ec2 callers, and can be told fixture changes."""
        return "world" in self.capabilities

    def callers(self, wanted: Callable[[Caller], bool]) -> list[Caller]:
        return [c for c in self.world.callers.values() if c.product_code in self.world.products and wanted(c)]

    def at_home(self, caller: Caller) -> bool:
        return caller.entitled and caller.region == self.region

    def registers(self, caller: Caller) -> bool:
        return self.at_home(caller) and caller.platform in self.profile.register_platforms

    def subscribed(self, product: str | None = None) -> list[str]:
        return [
            c.identifier
            for c in self.world.customers.values()
            if c.subscribed and c.product_code in self.world.products and product in (None, c.product_code)
        ]


def _entitled_caller(p: _Place) -> bool:
    return p.told or bool(p.callers(p.at_home))


def _any_caller(p: _Place) -> bool:
    return p.told or bool(p.world.callers)


def _refused_caller(p: _Place) -> bool:
    not_entitled = p.callers(lambda c: not c.entitled and c.region == p.region)
    return bool(not_entitled) or (bool(p.callers(p.at_home)) and len(p.world.products) > 1)


def _two_callers(p: _Place) -> bool:
    if p.told:
        return True
    products = [c.product_code for c in p.callers(p.at_home)]
    return any(products.count(code) > 1 for code in products)


def _caller_elsewhere(p: _Place) -> bool:
    return bool(p.callers(lambda c: c.entitled and c.region != p.region))


def _registering_elsewhere(p: _Place) -> bool:
    supported = p.profile.register_platforms
    return bool(p.callers(lambda c: c.entitled and c.region != p.region and c.platform in supported))


def _unsupported_platform(p: _Place) -> bool:
    return bool(p.callers(lambda c: p.at_home(c) and c.platform not in p.profile.register_platforms))


def _registering_caller(p: _Place) -> bool:
    return p.told or bool(p.callers(p.registers))


def _unentitled_registering(p: _Place) -> bool:
    return bool(
        p.callers(
            lambda c: not c.entitled and c.region == p.region and c.platform in p.profile.register_platforms
        )
    )


def _agentcore_caller(p: _Place) -> bool:
    return bool(p.callers(lambda c: p.at_home(c) and c.platform in p.profile.agentcore_platforms))


def _subscribed_customer(p: _Place) -> bool:
    return bool(p.subscribed())


def _any_customer(p: _Place) -> bool:
    return any(c.product_code in p.world.products for c in p.world.customers.values())


def _unsubscribed_customer(p: _Place) -> bool:
    known = p.world.customers.values()
    return any(not c.subscribed and c.product_code in p.world.products for c in known)


def _two_customers(p: _Place) -> bool:
    return any(len(p.subscribed(code)) > 1 for code in p.world.products)


def _customer_of_two_products(p: _Place) -> bool:
    for first in p.world.products.values():
        for second in p.world.products.values():
            shared = first.code < second.code and first.dimensions & second.dimensions
            if shared and set(p.subscribed(first.code)) & set(p.subscribed(second.code)):
                return True
    return False


def _concurrent_product(p: _Place) -> bool:
    concurrent = [code for code, product in p.world.products.items() if product.concurrent_agreements]
    return any(p.subscribed(code) for code in concurrent)


def _token(state: str, subscribed: bool = False) -> Callable[[_Place], bool]:
    def met(p: _Place) -> bool:
        for token in p.world.tokens.values():
            customer = p.world.customers.get((token.product_code, token.customer_identifier))
            if token.state == state and customer is not None and (customer.subscribed or not subscribed):
                return True
        return False

    return met


def _public_key(p: _Place) -> bool:
    return "public-key" in p.capabilities or any(product.public_keys for product in p.world.products.values())


def _fixture_changes(p: _Place) -> bool:
    return bool({"world", "subscriptions"} & p.capabilities)


# what each need is, how a fixtures file gives it, and whether a world meets it
_NEEDS: dict[Need, tuple[str, Callable[[_Place], bool]]] = {
    Need.ENTITLED_CALLER: (
        "an entitled caller of a declared product in {region} (a `callers` entry)",
        _entitled_caller,
    ),
    Need.ANY_CALLER: ("a caller (a `callers` entry)", _any_caller),
    Need.REFUSED_CALLER: (
        'a caller with `"entitled": false` in {region}, or an entitled one and a second product',
        _refused_caller,
    ),
    Need.TWO_CALLERS: ("two entitled callers of one product in {region}", _two_callers),
    Need.CALLER_ELSEWHERE: (
        "an entitled caller whose `region` is not {region}, the Region the harness calls",
        _caller_elsewhere,
    ),
    Need.REGISTERING_CALLER_ELSEWHERE: (
        "an entitled caller on a supported `platform` ({platforms}) whose `region` is not "
        "{region}, the Region the harness calls",
        _registering_elsewhere,
    ),
    Need.UNSUPPORTED_PLATFORM: (
        "an entitled caller in {region} on a `platform` RegisterUsage does not support "
        "(supported in profile {profile}: {platforms})",
        _unsupported_platform,
    ),
    Need.REGISTERING_CALLER: (
        "an entitled caller in {region} on a supported `platform` ({platforms})",
        _registering_caller,
    ),
    Need.UNENTITLED_REGISTERING_CALLER: (
        'a caller with `"entitled": false` in {region} on a supported `platform` ({platforms})',
        _unentitled_registering,
    ),
    Need.AGENTCORE_CALLER: (
        'an entitled caller in {region} with `"platform": "agentcore"`',
        _agentcore_caller,
    ),
    Need.ANY_CUSTOMER: ("a customer of a declared product (a `customers` entry)", _any_customer),
    Need.SUBSCRIBED_CUSTOMER: (
        "a subscribed customer of a declared product (a `customers` entry)",
        _subscribed_customer,
    ),
    Need.UNSUBSCRIBED_CUSTOMER: (
        'a customer with `"subscribed": false` of a declared product',
        _unsubscribed_customer,
    ),
    Need.TWO_CUSTOMERS: ("two subscribed customers of one product", _two_customers),
    Need.CUSTOMER_OF_TWO_PRODUCTS: (
        "one customerIdentifier subscribed to two products that share a dimension",
        _customer_of_two_products,
    ),
    Need.CONCURRENT_PRODUCT: (
        'a product with `"concurrentAgreements": true` and a subscribed customer',
        _concurrent_product,
    ),
    Need.VALID_TOKEN: (
        'a `registrationTokens` entry with `"state": "valid"` for a declared customer',
        _token("valid"),
    ),
    Need.EXPIRED_TOKEN: (
        'a `registrationTokens` entry with `"state": "expired"` for a declared customer',
        _token("expired"),
    ),
    Need.METERABLE_TOKEN: (
        "a valid registration token for a subscribed customer",
        _token("valid", subscribed=True),
    ),
    Need.FIXTURE_CHANGES: (
        "a target the harness can tell fixture changes (a caller's entitlement ending after it "
        "registered), which only the control protocol's fixtures route does",
        _fixture_changes,
    ),
    Need.INJECTED_FAULTS: (
        "faults injected between the harness and the target (a throttle, a lost answer), which "
        "the harness does in front of reference, reference-server and endpoint only",
        lambda p: "faults" in p.capabilities,
    ),
    Need.PUBLIC_KEY: (
        "the public key RegisterUsage signatures verify with (`publicKeys` of a product, "
        '{{"1": "-----BEGIN PUBLIC KEY-----..."}}; a controlled target serves it)',
        _public_key,
    ),
}
_NOT_DECLARABLE = frozenset({Need.FIXTURE_CHANGES, Need.INJECTED_FAULTS})

PASS_ONLY = frozenset({Need.PUBLIC_KEY})
"""Needs without which a rule can still be found broken (a token whose claims are wrong), but
never passed (its signature goes unverified): the campaign runs, and only a pass becomes
``untestable``."""


def untestable_reason(lacks: tuple[Lack, ...], fixtures_file: str | None, target: str) -> str:
    """One line: what the rule needs that the world or target lacks, and how to give it (in
    ``fixtures_file``, where the world is a file's; else it is what ``target`` can be told)."""
    declarable = [lack.text for lack in lacks if lack.need not in _NOT_DECLARABLE]
    other = [lack.text for lack in lacks if lack.need in _NOT_DECLARABLE]
    parts = [f"needs {text}" for text in other]
    if declarable and fixtures_file:
        parts.append(f"needs {' and '.join(declarable)}: declare it in {fixtures_file}")
    elif declarable:
        parts.append(f"needs {' and '.join(declarable)}, which target {target} cannot be told")
    return "; ".join(parts)


def lacking(
    rule: Rule, world: World, profile: Profile, region: str, capabilities: Collection[str]
) -> tuple[Lack, ...]:
    """The needs of ``rule`` that ``world``, on a target with ``capabilities`` called in
    ``region``, does not meet; empty when a campaign can reach the rule."""
    place = _Place(world, profile, region, frozenset(capabilities))
    platforms = ", ".join(sorted(profile.register_platforms))
    found = []
    for need in rule.needs:
        text, met = _NEEDS[need]
        if not met(place):
            found.append(Lack(need, text.format(region=region, profile=profile.name, platforms=platforms)))
    return tuple(found)
