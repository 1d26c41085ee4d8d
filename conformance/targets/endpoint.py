"""``endpoint``: any implementation at ``--endpoint-url``.

If the server speaks the control protocol (``GET /_conformance``), the harness resets it, gives
it each campaign's world and freezes and moves its clock: every rule can be judged. If it
announces ``scopes``, this target works in a scope of its own, so targets in several worker
processes run their campaigns side by side on one server. Otherwise
the world is the one a fixture file declares (``--fixtures FILE``), nothing is reset (the model
starts open world: a key may be recorded already) and the clock is the wall clock; rules that
world does not let a campaign reach are reported untestable.

Faults (``set_faults``, ``inject_next``) are injected by a fault proxy on loopback, started the
first time a request is to meet one; a request without faults goes straight to the server.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from conformance.faults import FaultProxy, FaultRates, FaultSchedule
from conformance.models.control_record import ControlRecord
from conformance.models.profiles import Profile
from conformance.models.requests import BatchMeterUsage, CallContext, Request, epoch
from conformance.models.world import Fixtures
from conformance.targets.base import TargetSetupError
from conformance.targets.client import Exchange
from conformance.targets.http import ControlClient, ControlError, HttpInvoker

__all__ = ["EndpointTarget"]


class EndpointTarget:
    name = "endpoint"

    def __init__(
        self,
        endpoint_url: str,
        fixtures: Fixtures | None,
        profile: Profile,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.declared = fixtures
        self.profile = profile
        self.control = ControlClient(endpoint_url)
        self.capabilities: frozenset[str] = frozenset({"raw", "faults"})
        self.scope: str | None = None
        self._controlled = False
        self._http = HttpInvoker(endpoint_url, profile.name)
        self._faults = FaultSchedule()
        self._proxy: FaultProxy | None = None  # started for the first request that meets faults
        self._proxied: HttpInvoker | None = None
        self._starting = threading.Lock()
        self._records: tuple[ControlRecord, ...] | None = None  # as last read, until a request is sent

    def probe(self) -> None:
        """Ask the server what it can be told. Raises TargetSetupError when nothing answers, or
        when it speaks no control protocol and no fixture file was given."""
        try:
            announced = self.control.probe()
        except ControlError as exc:
            raise TargetSetupError(f"endpoint {self.endpoint_url} cannot be reached: {exc}") from None
        if announced is not None and {"reset", "fixtures"} <= announced:
            self._controlled = True
            if "scopes" in announced and self.scope is None:
                self.scope = f"conformance-{uuid.uuid4().hex[:16]}"
                self.control = ControlClient(self.endpoint_url, self.scope)
                self._http = HttpInvoker(self.endpoint_url, self.profile.name, self.scope)
            extra = {"world", "subscriptions"} | ({"clock", "records", "public-key"} & announced)
            self.capabilities = frozenset({"reset", "raw", "faults", *extra})
        elif self.declared is None:
            raise TargetSetupError(
                f"endpoint {self.endpoint_url} does not speak the control protocol; "
                "give --fixtures FILE declaring the world it serves"
            )

    def public_key(self, product_code: str, version: int) -> str:
        """The PEM the control protocol's ``public-key`` route gives. Raises ControlError."""
        return self.control.public_key(product_code, version)

    def world(self, declared: Fixtures) -> Fixtures:
        if self._controlled or self.declared is None:
            return declared
        return self.declared

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        self.probe()
        self.reset(fixtures, now)

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        if not self._controlled:
            return
        try:
            self.control.reset()
            self.control.add_fixtures(fixtures.to_json())
        except ControlError as exc:
            raise TargetSetupError(f"endpoint {self.endpoint_url}: {exc}") from None
        self._records = ()  # a reset forgets every record
        self.set_clock(now)

    def set_clock(self, now: datetime) -> None:
        if "clock" in self.capabilities:
            self.control.set_clock(float(epoch(now)))

    def add_fixtures(self, fixtures: Fixtures) -> None:
        if self._controlled:
            self.control.add_fixtures(fixtures.to_json())

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        self._records = None  # only a request changes what is recorded
        fault = self._faults.next(isinstance(request, BatchMeterUsage))
        if fault is None:
            return self._http.invoke(request, context)
        header = fault.header()
        return replace(self._through_proxy().invoke(request, context, header), fault=header)

    def set_faults(self, rates: FaultRates, seed: int) -> None:
        """Every later service request meets faults drawn at ``rates`` from ``seed`` (none if
        every rate is 0)."""
        self._faults.set_rates(rates, seed)

    def inject_next(self, fault: str) -> None:
        """The next request meets exactly ``fault`` (an ``X-Conformance-Fault`` value; ``none``:
        no fault), not a fresh draw: how a replay meets the faults its trace recorded."""
        self._faults.inject_next(fault)

    def faults_injected(self) -> dict[str, int]:
        """The faults injected so far, by kind."""
        return self._proxy.counts() if self._proxy else {}

    def _through_proxy(self) -> HttpInvoker:
        """Side effects: the first call starts the fault proxy (it binds a loopback port)."""
        with self._starting:
            if self._proxied is None:
                # the harness names every request's faults, so the proxy draws none of its own
                self._proxy = FaultProxy(self.endpoint_url, FaultRates()).start()
                self._proxied = HttpInvoker(self._proxy.url, self.profile.name, self.scope)
            return self._proxied

    def records(self) -> Sequence[ControlRecord]:
        """The usage records the server lists (``GET /_conformance/records``, read again only
        after a request was sent)."""
        if self._records is None:
            try:
                self._records = tuple(self.control.records())
            except ControlError as exc:
                raise TargetSetupError(f"endpoint {self.endpoint_url}: {exc}") from None
        return self._records

    def close(self) -> None:
        """Side effects: a scope of our own is reset on the server (its memory freed); the fault
        proxy, if any, is closed."""
        self._http.close()
        if self._proxy is not None:
            self._proxy.close()
        if self.scope is not None:
            with contextlib.suppress(ControlError):  # a server gone already has nothing to free
                self.control.reset()
