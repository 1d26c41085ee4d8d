"""``moto-server``: moto's HTTP server, as users run it.

Started by the harness (in this process, on a free loopback port) it can be told which
customers are subscribed (written to its backend, as for ``moto``) and its clock is frozen with
freezegun. An existing server (``--endpoint-url``) can be told neither: every declared customer
is unsubscribed as far as the model knows, and it runs on wall time. Either way it is reset
through moto's own route, ``POST /moto-api/reset``.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import replace
from datetime import datetime
from typing import Any

from conformance.models.profiles import Profile
from conformance.models.requests import CallContext, Request
from conformance.models.world import Fixtures
from conformance.targets._moto_backend import MOTO_SEED, FrozenClock, subscribe
from conformance.targets.base import TargetSetupError
from conformance.targets.client import Exchange
from conformance.targets.http import HttpInvoker

__all__ = ["MotoServerTarget"]


class MotoServerTarget:
    name = "moto-server"

    def __init__(self, endpoint_url: str | None, profile: Profile) -> None:
        self.endpoint_url = endpoint_url
        self.profile = profile
        self._started = endpoint_url is None
        self.capabilities = frozenset(
            {"reset", "raw", "clock", "subscriptions"} if self._started else {"reset", "raw"}
        )
        self._server: Any = None
        self._clock: Any = None  # a FrozenClock when the server runs in this process
        self._http: HttpInvoker | None = None

    def world(self, declared: Fixtures) -> Fixtures:
        if self._started:
            return declared
        customers = tuple(replace(c, subscribed=False) for c in declared.customers)
        return replace(declared, customers=customers)

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        if self._started:
            from moto.server import ThreadedMotoServer

            # werkzeug logs a line per request and a traceback per NotImplementedError: the harness
            # records those as outcomes, so the terminal stays for progress
            logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
            self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self._server.start()
            host, port = self._server.get_host_and_port()
            self.endpoint_url = f"http://{host}:{port}"
            self._clock = FrozenClock(now)
        self.reset(fixtures, now)

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        self._moto_api("reset")
        self._moto_api(f"seed?a={MOTO_SEED}")  # the ids repeat, and with them the run
        self.add_fixtures(fixtures)
        self.set_clock(now)

    def _moto_api(self, route: str) -> None:
        assert self.endpoint_url is not None
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/{route}", data=b"", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
        except OSError as exc:
            raise TargetSetupError(
                f"moto server at {self.endpoint_url} did not answer POST /moto-api/{route} "
                f"({getattr(exc, 'reason', exc)}); is it running?"
            ) from None

    def set_clock(self, now: datetime) -> None:
        if self._clock is not None:
            self._clock.move_to(now)

    def add_fixtures(self, fixtures: Fixtures) -> None:
        if self._started:
            subscribe(fixtures)

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        assert self.endpoint_url is not None, "open() first"
        if self._http is None:
            self._http = HttpInvoker(self.endpoint_url, self.profile.name)
        return self._http.invoke(request, context)

    def close(self) -> None:
        if self._clock is not None:
            self._clock.stop()
            self._clock = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._http is not None:
            self._http.close()
