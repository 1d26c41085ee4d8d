"""What the two moto targets share about moto itself: the seed of its ids, the frozen clock and
the subscriptions written into its in-process backend. moto and freezegun are imported on use:
a moto server the user started needs neither installed."""

from __future__ import annotations

from datetime import datetime

from conformance.models.world import Fixtures

__all__ = ["MOTO_SEED", "REAL_TIME", "FrozenClock", "subscribe"]

# moto draws its ids from one seedable generator; seeded at every reset, the ids it gives (and
# so everything the model's state holds) repeat, and with them a run of a given --seed.
MOTO_SEED = 0

REAL_TIME = ("hypothesis", "_pytest", "pytest", "xdist", "conformance.engine")


class FrozenClock:
    """The process's clock, frozen for moto with freezegun. Started once (freezegun patches every
    loaded module, which is slow) and moved with ``move_to``; only the modules of REAL_TIME
    (Hypothesis's shrink timer, pytest, the engine's timings) keep real time."""

    def __init__(self, now: datetime) -> None:
        from freezegun import freeze_time

        self._freezer = freeze_time(now, ignore=list(REAL_TIME))
        self._factory = self._freezer.start()

    def move_to(self, now: datetime) -> None:
        self._factory.move_to(now)

    def stop(self) -> None:
        self._freezer.stop()


def subscribe(fixtures: Fixtures) -> None:
    """Subscribe (or unsubscribe) the fixtures' customers in this process's moto backend, the
    only part of this service's world moto can be told."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.meteringmarketplace.models import meteringmarketplace_backends

    for region in {"us-east-1", *(c.region for c in fixtures.callers)}:
        subscribed = meteringmarketplace_backends[DEFAULT_ACCOUNT_ID][region].customers_by_product
        for customer in fixtures.customers:
            present = customer.identifier in subscribed[customer.product_code]
            if customer.subscribed and not present:
                subscribed[customer.product_code].append(customer.identifier)
            elif not customer.subscribed and present:
                subscribed[customer.product_code].remove(customer.identifier)
