"""``reference``: the model itself behind boto3, in-process.

boto3 builds, signs and serializes every request for real; a ``before-send`` hook hands it to
:class:`~conformance.emulator.service.ReferenceService` instead of the network, and botocore parses the
answer for real. This is the known-good target every other target is compared with.

Faults (``set_faults``, ``inject_next``) are injected in that hook, as the fault proxy injects
them over HTTP: a throttle or a service failure answered for the service, a lost request or a
lost answer raised to botocore as a closed connection, a delay, a batch record reported
unprocessed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError

from conformance.emulator.hooks import NO_HOOKS, Hooks
from conformance.emulator.service import ReferenceService
from conformance.emulator.signing import KeyRing
from conformance.faults import Fault, FaultInjector, FaultRates, FaultSchedule
from conformance.models.control_record import ControlRecord
from conformance.models.model import Model
from conformance.models.outcomes import Indeterminate
from conformance.models.requests import BatchMeterUsage, CallContext, RawRequest, Request
from conformance.models.response_rules import RawResponse
from conformance.models.world import Fixtures
from conformance.targets.client import Exchange, call, make_client
from conformance.wire.protocol import caller_of, decode_outcome

__all__ = ["ReferenceTarget"]

ENDPOINT = "https://metering.marketplace.{region}.amazonaws.com"


class _Body(io.BytesIO):
    def stream(self, amt: int = 1024, decode_content: bool | None = None) -> Any:
        while chunk := self.read(amt):
            yield chunk


class ReferenceTarget:
    name = "reference"
    capabilities = frozenset(
        {"reset", "clock", "world", "subscriptions", "raw", "records", "faults", "public-key"}
    )

    def __init__(self, model: Model, keys: KeyRing | None = None, hooks: Hooks = NO_HOOKS) -> None:
        self.model = model
        self.keys = keys or KeyRing()
        self.service = ReferenceService(model, keys=self.keys, hooks=hooks)
        self.now: datetime | None = None
        self._clients: dict[CallContext, Any] = {}
        self._lock = threading.Lock()
        self._faults = FaultSchedule()
        self._injector = FaultInjector()
        self._sending = threading.local()  # the fault of the request this thread sends

    def world(self, declared: Fixtures) -> Fixtures:
        return declared

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        self.reset(fixtures, now)

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        self.service.reset()
        self.service.add_fixtures(fixtures)
        self.now = now

    def set_clock(self, now: datetime) -> None:
        self.now = now

    def add_fixtures(self, fixtures: Fixtures) -> None:
        self.service.add_fixtures(fixtures)

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        assert self.now is not None, "open() first"
        now = self.now
        fault = self._faults.next(isinstance(request, BatchMeterUsage))
        header = fault.header() if fault is not None else None
        if isinstance(request, RawRequest):
            raw = self._injected(
                fault, lambda: self.service.handle(request.target, request.body, context, now)
            )
            if raw is None:
                return Exchange(request, context, Indeterminate("the connection was reset"), None, header)
            return Exchange(request, context, decode_outcome("Raw", raw), raw, header)
        self._sending.fault = fault
        try:
            exchange = call(self._client(context), request, context)
        finally:
            self._sending.fault = None
        return replace(exchange, fault=header) if header is not None else exchange

    def set_faults(self, rates: FaultRates, seed: int) -> None:
        """Every later request meets faults drawn at ``rates`` from ``seed`` (none if every rate
        is 0)."""
        self._faults.set_rates(rates, seed)

    def inject_next(self, fault: str) -> None:
        """The next request meets exactly ``fault`` (an ``X-Conformance-Fault`` value; ``none``:
        no fault): how a replay meets the faults its trace recorded."""
        self._faults.inject_next(fault)

    def faults_injected(self) -> dict[str, int]:
        """The faults injected so far, by kind."""
        return self._injector.counts()

    def public_key(self, product_code: str, version: int) -> str:
        return self.keys.public_pem(product_code, version)

    def records(self) -> Sequence[ControlRecord]:
        """The usage records the service has accepted since its reset, in order."""
        return tuple(self.service.records)

    def close(self) -> None:
        self._clients.clear()

    def _client(self, context: CallContext) -> Any:
        with self._lock:
            if context not in self._clients:
                endpoint = ENDPOINT.format(region=context.region)
                client = make_client(endpoint, context, self.model.profile.name)
                client.meta.events.register("before-send.meteringmarketplace", self._answer)
                self._clients[context] = client
            return self._clients[context]

    def _injected(self, fault: Fault | None, send: Callable[[], RawResponse]) -> RawResponse | None:
        return send() if fault is None else self._injector.apply(fault, send)

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        target = headers.get("x-amz-target")
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        context = caller_of(_text(headers.get("authorization")), "us-east-1")
        now = self.now
        assert now is not None
        raw = self._injected(
            getattr(self._sending, "fault", None),
            lambda: self.service.handle(_text(target), body, context, now),
        )
        if raw is None:
            raise ConnectionClosedError(endpoint_url=request.url)
        response_headers = {"Content-Type": raw.content_type or "", "x-amzn-RequestId": "reference"}
        return AWSResponse(request.url, raw.status, response_headers, _Body(raw.body))


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
