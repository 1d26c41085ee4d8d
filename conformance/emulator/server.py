"""The reference emulator: the Metering Service on loopback, answering from the model.

Served by the standard library's ``ThreadingHTTPServer``: one thread per connection is plenty
for a test double, needs no dependency, and the service's single lock (see
:mod:`conformance.emulator.service`) makes concurrent requests safe. ``POST /`` speaks awsJson1_1 for the
four operations; ``/_conformance`` serves the control protocol v1.1, scopes included: a request
with ``X-Conformance-Scope: NAME`` goes to an independent service instance of that name (its
own world, records, clock and keys), so campaigns can run side by side on one emulator.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from conformance.emulator.hooks import NO_HOOKS, Hooks
from conformance.emulator.service import ReferenceService
from conformance.models.model import Model
from conformance.models.requests import from_epoch
from conformance.models.world import FixtureError, Fixtures
from conformance.wire.loopback import LoopbackServer, send_status
from conformance.wire.protocol import CONTENT_TYPE, SCOPE_HEADER, caller_of
from conformance.wire.schemas import SchemaError, validate

__all__ = ["DEFAULT_SCOPE", "MAX_BODY", "SCOPE_HEADER", "Emulator", "Scope"]

# Bodies up to this size reach the model (which judges the payload limits); larger ones are
# refused without being read.
MAX_BODY = 8 * 2**20
_CAPABILITIES = ["reset", "fixtures", "clock", "records", "public-key", "scopes"]
_SCOPE_NAME = re.compile(r"^[a-z0-9-]{1,64}$")
DEFAULT_SCOPE = ""


class Scope:
    """One independent service instance: its world, records, tokens, callers, keys and clock.
    ``served``: the world it starts with and a reset returns to (``conformance serve
    --fixtures``, for the default scope; other scopes start empty)."""

    def __init__(
        self, model: Model, shapes_first: bool, hooks: Hooks = NO_HOOKS, served: Fixtures | None = None
    ) -> None:
        self.service = ReferenceService(model, shapes_first=shapes_first, hooks=hooks)
        self.frozen: datetime | None = None
        self.served = served
        if served is not None:
            self.declare(served)

    def reset(self) -> None:
        """Back to the served world, with nothing recorded, on wall time."""
        self.service.reset()
        self.frozen = None
        if self.served is not None:
            self.declare(self.served)

    def now(self) -> datetime:
        return self.frozen or datetime.now(UTC)

    def declare(self, fixtures: Fixtures) -> None:
        """Add fixtures; each product's signing keys are made now, as the protocol says."""
        self.service.add_fixtures(fixtures)
        for product in fixtures.products:
            for version in product.public_key_versions:
                self.service.keys.public_pem(product.code, version)


class Emulator(LoopbackServer):
    """An emulator on ``host:port`` (port 0: a free one). ``start`` serves in a thread; ``url``
    says where. Side effects: binds a socket; ``close`` releases it. ``service``, ``frozen``,
    ``now`` and ``declare`` are the default scope's (what a client without the scope header
    sees)."""

    def __init__(
        self,
        model: Model,
        fixtures: Fixtures | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        shapes_first: bool = False,
        scopes: bool = True,
        control: bool = True,
        hooks: Hooks = NO_HOOKS,
    ) -> None:
        self.model = model
        # False: no /_conformance routes (a 404 there, as a real service gives): an implementation
        # the harness can only send requests to, for certifying without the control protocol
        self.control = control
        self.hooks = hooks  # tests and benchmarks only (conformance.emulator.hooks)
        self.shapes_first = shapes_first
        self.scopes = scopes  # False: a v1 emulator, which ignores the scope header
        self.served = fixtures
        self._scopes: dict[str, Scope] = {DEFAULT_SCOPE: self._default_scope()}
        self._scopes_lock = threading.Lock()
        super().__init__(_handler(self), host, port)

    def scope(self, name: str = DEFAULT_SCOPE) -> Scope:
        """The scope of that name, made empty on wall time at its first use."""
        with self._scopes_lock:
            if name not in self._scopes:
                self._scopes[name] = Scope(self.model, self.shapes_first, self.hooks)
            return self._scopes[name]

    def served_with_keys(self) -> dict[str, Any]:
        """The world served (control fixtures object), each product with the PEM of every key
        version it has (``publicKeys``): a fixtures file for certifying this emulator without
        its control routes."""
        served = self.served.to_json() if self.served is not None else {"products": []}
        keys = self.scope().service.keys
        for product in served["products"]:
            code = product["productCode"]
            versions = product.get("publicKeyVersions", [1])
            product["publicKeys"] = {str(v): keys.public_pem(code, v) for v in versions}
        return served

    def forget_scopes(self) -> None:
        """``reset {"allScopes": true}``: every scope forgotten, the default one reset (to the
        world the emulator was served with)."""
        with self._scopes_lock:
            self._scopes = {DEFAULT_SCOPE: self._default_scope()}

    def _default_scope(self) -> Scope:
        return Scope(self.model, self.shapes_first, self.hooks, served=self.served)

    @property
    def service(self) -> ReferenceService:
        return self.scope().service

    @property
    def frozen(self) -> datetime | None:
        return self.scope().frozen

    @frozen.setter
    def frozen(self, value: datetime | None) -> None:
        self.scope().frozen = value

    def now(self) -> datetime:
        return self.scope().now()

    def declare(self, fixtures: Fixtures) -> None:
        self.scope().declare(fixtures)


def _handler(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "metering-conformance-emulator"
        # Headers and body leave in two writes; with Nagle's algorithm the second waits for the
        # client's delayed ACK (about 40 ms a call on a kept-alive connection).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: a CI log is no place for a line per request

        def do_GET(self) -> None:
            self._control("GET")

        def do_POST(self) -> None:
            if self.path.startswith("/_conformance"):
                self._control("POST")
                return
            if self.path not in ("/", ""):
                self._send_json(404, {"__type": "UnknownOperationException", "message": "POST / only"})
                return
            body = self._body()
            if body is None:
                return
            scope = self._scope()
            if scope is None:
                message = f"{SCOPE_HEADER} must be 1-64 of a-z, 0-9 and '-'"
                self._send_json(400, {"__type": "ValidationException", "message": message})
                return
            context = caller_of(self.headers.get("Authorization"), "us-east-1")
            raw = scope.service.handle(self.headers.get("X-Amz-Target"), body, context, scope.now())
            self._send(raw.status, raw.content_type or CONTENT_TYPE, raw.body, scope.now())

        def _scope(self) -> Scope | None:
            """The scope the request names (None: a name the protocol does not allow)."""
            name = self.headers.get(SCOPE_HEADER)
            if name is None or not emulator.scopes:
                return emulator.scope()
            return emulator.scope(name) if _SCOPE_NAME.match(name) else None

        def _body(self) -> bytes | None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                message = f"request body of {length} bytes refused (at most {MAX_BODY})"
                self._send_json(413, {"__type": "ValidationException", "message": message})
                return None
            return self.rfile.read(length)

        def _control(self, method: str) -> None:
            if not emulator.control:
                self._send(404, "text/plain", b"Not Found")
                return
            url = urllib.parse.urlsplit(self.path)
            route = url.path.removeprefix("/_conformance").rstrip("/")
            body = self._body() if method == "POST" else b""
            if body is None:
                return
            scope = self._scope()
            try:
                if scope is None:
                    raise _ControlError(400, f"{SCOPE_HEADER} must be 1-64 of a-z, 0-9 and '-'")
                status, answer = _control_route(
                    emulator, scope, method, route, body, urllib.parse.parse_qs(url.query)
                )
            except _ControlError as exc:
                status, answer = exc.status, {"error": str(exc)}
            self._send_json(status, answer)

        def _send_json(self, status: int, data: Any) -> None:
            content_type = CONTENT_TYPE if "__type" in data else "application/json"
            self._send(status, content_type, json.dumps(data).encode())

        def _send(self, status: int, content_type: str, body: bytes, now: datetime | None = None) -> None:
            """``now``: the service's time, sent as the Date header (as a real service's clock
            is); without it, this machine's."""
            send_status(self, status, format_datetime(now, usegmt=True) if now else self.date_time_string())
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amzn-RequestId", "emulator")
            self.end_headers()
            self.wfile.write(body)

    return Handler


class _ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _control_route(
    emulator: Emulator,
    scope: Scope,
    method: str,
    route: str,
    body: bytes,
    query: dict[str, list[str]],
) -> tuple[int, dict[str, Any]]:
    if method == "GET" and route == "":
        capabilities = [c for c in _CAPABILITIES if emulator.scopes or c != "scopes"]
        return 200, {"protocol": "metering-conformance-control", "version": 1, "capabilities": capabilities}
    if method == "POST" and route == "/reset":
        if _json_object(body).get("allScopes") is True:
            emulator.forget_scopes()
            return 200, {}
        scope.reset()
        return 200, {}
    if method == "POST" and route == "/fixtures":
        data = _json_object(body)
        try:
            validate("fixtures", data)
            fixtures = Fixtures.from_json(data)
        except (SchemaError, FixtureError) as exc:
            raise _ControlError(400, f"bad fixtures: {exc}") from None
        scope.declare(fixtures)
        return 200, {}
    if route == "/clock" and method == "GET":
        return 200, {"now": scope.now().timestamp()}
    if route == "/clock" and method == "POST":
        now = _json_object(body).get("now", "missing")
        if now is not None and (isinstance(now, bool) or not isinstance(now, int | float)):
            raise _ControlError(400, 'body must be {"now": <epoch seconds>} or {"now": null}')
        scope.frozen = None if now is None else from_epoch(float(now))
        return 200, {"now": scope.now().timestamp()}
    if method == "GET" and route == "/records":
        with scope.service.lock:
            return 200, {"records": [record.to_json() for record in scope.service.records]}
    if method == "GET" and route == "/public-key":
        return 200, _public_key(scope, query)
    raise _ControlError(404, f"no control route {method} /_conformance{route}")


def _public_key(scope: Scope, query: dict[str, list[str]]) -> dict[str, Any]:
    product = (query.get("productCode") or [""])[0]
    version_text = (query.get("version") or [""])[0]
    if not version_text.isdigit():
        raise _ControlError(400, "give productCode=P and version=N (a whole number)")
    declared = scope.service.state.world.products.get(product)
    version = int(version_text)
    if declared is None or version not in declared.public_key_versions:
        raise _ControlError(404, f"product {product!r} has no public key version {version}")
    pem = scope.service.keys.public_pem(product, version)
    return {"productCode": product, "publicKeyVersion": version, "pem": pem}


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise _ControlError(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise _ControlError(400, "body must be a JSON object")
    return data
