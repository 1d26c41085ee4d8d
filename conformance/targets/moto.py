"""``moto``: moto's ``mock_aws`` in-process, as it ships.

moto can be told only one thing about this service's world: which customers are subscribed to
which product (written into its backend, the only way it allows). Its clock is frozen with
freezegun. Products, dimensions, tokens and callers cannot be declared to it; the rules that
need them are still judged against what moto actually does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.meteringmarketplace.models import meteringmarketplace_backends
from moto.moto_api._internal import mock_random

from conformance.models.outcomes import Indeterminate
from conformance.models.profiles import Profile
from conformance.models.requests import CallContext, RawRequest, Request
from conformance.models.world import Fixtures
from conformance.targets._moto_backend import MOTO_SEED, FrozenClock, subscribe
from conformance.targets.client import Exchange, call, make_client, new_session

__all__ = ["MotoTarget"]


class MotoTarget:
    name = "moto"
    capabilities = frozenset({"reset", "clock", "subscriptions"})

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._mock: Any = None
        self._clock: FrozenClock | None = None
        self._clients: dict[CallContext, Any] = {}
        self._session: Any = None

    def world(self, declared: Fixtures) -> Fixtures:
        # moto cannot be told products, tokens or callers: they are declared, and the rules that
        # need them are judged against what moto does with them
        return declared

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        # moto intercepts through a handler it adds to botocore's built-in ones when imported
        # (this module imports it): a session of our own takes it, where the process's shared
        # one may predate the import and send the request to the real endpoint
        self._session = new_session(self.profile.name)
        self._mock = mock_aws()
        self._mock.start()
        self._clock = FrozenClock(now)
        self.reset(fixtures, now)

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        for region_backends in meteringmarketplace_backends[DEFAULT_ACCOUNT_ID].values():
            region_backends.reset()
        mock_random.seed(MOTO_SEED)
        self.add_fixtures(fixtures)
        self.set_clock(now)

    def add_fixtures(self, fixtures: Fixtures) -> None:
        subscribe(fixtures)

    def set_clock(self, now: datetime) -> None:
        assert self._clock is not None, "open() first"
        self._clock.move_to(now)

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        if isinstance(request, RawRequest):
            # mock_aws answers boto3 only: a body boto3 cannot send does not reach it
            return Exchange(request, context, Indeterminate("moto in-process takes no raw requests"), None)
        if context not in self._clients:
            self._clients[context] = make_client(None, context, self.profile.name, session=self._session)
        return call(self._clients[context], request, context)

    def close(self) -> None:
        if self._clock is not None:
            self._clock.stop()
            self._clock = None
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        self._clients.clear()
