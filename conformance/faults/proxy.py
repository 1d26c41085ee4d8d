"""The fault-injecting proxy.

Every service request (``POST /``) meets the faults its ``X-Conformance-Fault`` header names
(the harness draws them: ``conformance.faults.plan``), or else faults the proxy draws from its
own seeded plan: at most one of ``throttle``, ``internal``, ``reset-before`` and
``reset-after``, and independently ``latency`` and ``unprocessed``. What each does is
``conformance.faults.inject``'s; the proxy turns a lost answer into a reset connection
(SO_LINGER 0).

Control routes (``/_conformance...``) pass through untouched. Every injected fault is counted
(:meth:`FaultProxy.counts`). Given ``read`` (how the service reads a request), the proxy also
keeps every service request it saw as an :class:`conformance.models.seller.LoggedCall`, its body
read once (:meth:`FaultProxy.log`): how ``conformance client`` judges a seller's code.
:meth:`FaultProxy.use` swaps where faults come from (a seeded plan, or a schedule by request).
The proxy binds 127.0.0.1 and serves in a thread.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from conformance.faults.inject import FaultInjector
from conformance.faults.plan import FAULT_HEADER, Fault, FaultPlan, FaultRates, Sent
from conformance.models.requests import Request
from conformance.models.response_rules import RawResponse
from conformance.models.seller import LoggedCall, fingerprint
from conformance.wire.loopback import LoopbackServer, send_status

__all__ = ["FaultProxy", "FaultSource"]

_TIMEOUT = 30


class FaultSource(Protocol):
    def fault(self, sent: Sent) -> Fault:
        """The faults of the request ``sent`` (its number, content and address)."""
        ...


RequestReader = Callable[[str | None, bytes], Request]
"""How the service reads a request: its ``X-Amz-Target`` and body to a typed request."""


class FaultProxy(LoopbackServer):
    """A proxy on a free loopback port in front of ``upstream`` (``http://host:port``);
    ``unstore`` as :class:`FaultInjector` takes it. Side
    effects: binds a socket at construction; ``start`` serves in a daemon thread; ``close``
    stops serving and releases the socket."""

    def __init__(
        self,
        upstream: str,
        rates: FaultRates,
        seed: int = 0,
        port: int = 0,
        *,
        read: RequestReader | None = None,
        unstore: Callable[[str], None] | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream {upstream!r} must be an http://host:port URL")
        self.upstream = (parts.hostname, parts.port or 80)
        self._unstore = unstore
        self.injector = FaultInjector(unstore)
        self._source: FaultSource = FaultPlan(rates, seed)
        self._read = read
        self._lock = threading.Lock()
        self._requests = 0
        self._sends: Counter[str] = Counter()  # sends of each fingerprint since the last use()
        self._log: dict[int, LoggedCall] = {}  # by request number
        self._keys: dict[int, str] = {}  # each request's fingerprint, by number
        self._answered: dict[str, float] = {}  # when the last send of each fingerprint was answered
        super().__init__(_handler(self), "127.0.0.1", port)

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far (kinds never injected left out)."""
        return self.injector.counts()

    def use(self, source: FaultSource) -> None:
        """Draw the faults of later requests from ``source``, numbering them from 1 again, with
        an empty log and no faults counted."""
        with self._lock:
            self._source, self._requests, self._log = source, 0, {}
            self._sends, self._keys, self._answered = Counter(), {}, {}
            self.injector = FaultInjector(self._unstore)

    def log(self) -> list[LoggedCall]:
        """The service requests seen since the last :meth:`use`, in the order they arrived
        (with ``read`` only). Reading leaves the log as it is."""
        with self._lock:
            return [self._log[index] for index in sorted(self._log)]

    def _next(
        self, named: str | None, operation: str, body: bytes, parsed: dict[str, Any] | None
    ) -> tuple[int, Fault]:
        """The next request's number and faults; ``parsed``: its body as a JSON object."""
        key = fingerprint(operation, parsed)
        with self._lock:
            self._requests += 1
            self._sends[key] += 1
            self._keys[self._requests] = key
            answered = self._answered.pop(key, None)
            since = None if answered is None else time.monotonic() - answered
            sent = Sent(self._requests, operation, body, key, self._sends[key], since)
            fault = Fault.parse(named) if named is not None else self._source.fault(sent)
            return self._requests, fault

    def _keep(self, exchange: LoggedCall) -> None:
        """Log ``exchange`` (given ``read``; in place of what was logged of its request before), and
        note when its request was answered, for the next send's :attr:`Sent.since_answer`."""
        with self._lock:
            if self._read is not None:
                self._log[exchange.index] = exchange
            key = self._keys.get(exchange.index)
            if key is not None and exchange.answered is not None:
                self._answered[key] = exchange.answered


def _clock(answer: RawResponse | None) -> datetime | None:
    """The service's clock as its answer's ``Date`` says (none on an injected error)."""
    if answer is None or not answer.date:
        return None
    try:
        return parsedate_to_datetime(answer.date)
    except (TypeError, ValueError):
        return None


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._pass(b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/_conformance"):
                self._pass(body)
                return
            target = self.headers.get("X-Amz-Target")
            operation = (target or "").rpartition(".")[2]
            sent = _json_object(body)
            try:
                index, fault = proxy._next(self.headers.get(FAULT_HEADER), operation, body, sent)
            except ValueError as exc:
                self._reply(RawResponse(400, "text/plain", str(exc).encode()))
                return
            received = time.monotonic()
            answer = proxy.injector.apply(fault, lambda: self._forward(body))
            request = proxy._read(target, body) if proxy._read is not None else None

            def keep(answer: RawResponse | None) -> None:
                status, parsed = (
                    (None, None) if answer is None else (answer.status, _json_object(answer.body))
                )
                proxy._keep(
                    LoggedCall(
                        index,
                        operation,
                        sent,
                        request,
                        fault.header(),
                        status,
                        parsed,
                        received,
                        time.monotonic(),
                        _clock(answer),
                    )
                )

            # logged before the client can see the answer: a client that exits on the answer
            # must find its last request in the log, whoever reads it next
            keep(answer)
            if answer is None:
                self._reset()
            elif not self._reply(answer):
                keep(None)  # the client hung up first: it never got the answer

        def _pass(self, body: bytes) -> None:
            self._reply(self._forward(body))

        def _forward(self, body: bytes) -> RawResponse:
            connection = http.client.HTTPConnection(*proxy.upstream, timeout=_TIMEOUT)
            dropped = ("host", "connection", FAULT_HEADER.lower())
            headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                got = response.headers
                return RawResponse(response.status, got.get("Content-Type"), answer, got.get("Date"))
            except OSError as exc:  # the target is gone: the harness sees a 502, indeterminate
                return RawResponse(502, "text/plain", f"upstream: {exc}".encode())
            finally:
                connection.close()

        def _reply(self, answer: RawResponse) -> bool:
            """Whether the answer reached the client."""
            try:
                # the target's Date, never the proxy's (none on an injected error): a harness
                # learns the target's clock from it
                send_status(self, answer.status, answer.date)
                if answer.content_type:
                    self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                self.wfile.flush()
            except OSError:
                self.close_connection = True
                return False
            return True

        def _reset(self) -> None:
            # SO_LINGER 0: close sends a reset, not an orderly end of stream
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
