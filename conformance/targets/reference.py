"""``reference``: the model itself behind boto3, in-process.

boto3 builds, signs and serializes every request for real; a ``before-send`` hook hands it to
:class:`~conformance.emulator.service.ReferenceService` instead of the network, and botocore parses the
answer for real. This is the known-good target every other target is compared with.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.awsrequest import AWSResponse

from conformance.emulator.mutants import Mutant
from conformance.emulator.service import ReferenceService
from conformance.emulator.signing import KeyRing
from conformance.targets.client import Exchange, call, make_client
from conformance.wire.protocol import caller_of, decode_outcome
from models.model import Model
from models.requests import CallContext, RawRequest, Request
from models.world import Fixtures

__all__ = ["ReferenceTarget"]

ENDPOINT = "https://metering.marketplace.{region}.amazonaws.com"


class _Body(io.BytesIO):
    def stream(self, amt: int = 1024, decode_content: bool | None = None) -> Any:
        while chunk := self.read(amt):
            yield chunk


class ReferenceTarget:
    name = "reference"
    capabilities = frozenset({"reset", "clock", "world", "subscriptions", "raw", "records"})

    def __init__(self, model: Model, keys: KeyRing | None = None, mutant: Mutant | None = None) -> None:
        self.model = model
        self.keys = keys or KeyRing()
        self.service = ReferenceService(model, keys=self.keys, mutant=mutant)
        self.now: datetime | None = None
        self._clients: dict[CallContext, Any] = {}

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
        if isinstance(request, RawRequest):
            raw = self.service.handle(request.target, request.body, context, self.now)
            return Exchange(request, context, decode_outcome("Raw", raw), raw)
        return call(self._client(context), request, context)

    def records(self) -> Sequence[Mapping[str, Any]]:
        """The usage records the service has accepted since its reset, in order (copies)."""
        return tuple(dict(record) for record in self.service.records)

    def close(self) -> None:
        self._clients.clear()

    def _client(self, context: CallContext) -> Any:
        if context not in self._clients:
            client = make_client(ENDPOINT.format(region=context.region), context, self.model.profile.name)
            client.meta.events.register("before-send.meteringmarketplace", self._answer)
            self._clients[context] = client
        return self._clients[context]

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        headers = {k.lower(): v for k, v in request.headers.items()}
        target = headers.get("x-amz-target")
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        context = caller_of(_text(headers.get("authorization")), "us-east-1")
        assert self.now is not None
        raw = self.service.handle(_text(target), body, context, self.now)
        response_headers = {"Content-Type": raw.content_type or "", "x-amzn-RequestId": "reference"}
        return AWSResponse(request.url, raw.status, response_headers, _Body(raw.body))


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
