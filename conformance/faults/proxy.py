"""The fault-injecting proxy.

Every service request (``POST /``) meets the faults its ``X-Conformance-Fault`` header names
(the harness draws them: ``conformance.faults.plan``), or else faults the proxy draws from its
own seeded plan: at most one of ``throttle``, ``internal``, ``reset-before`` and
``reset-after``, and independently ``latency`` and ``unprocessed``. What each does is
``conformance.faults.inject``'s; the proxy turns a lost answer into a reset connection
(SO_LINGER 0).

Control routes (``/_conformance...``) pass through untouched. Every injected fault is counted
(:meth:`FaultProxy.counts`). The proxy binds 127.0.0.1 and serves in a thread.
"""

from __future__ import annotations

import http.client
import socket
import struct
import urllib.parse
from http.server import BaseHTTPRequestHandler
from typing import Any

from conformance.faults.inject import FaultInjector
from conformance.faults.plan import FAULT_HEADER, Fault, FaultPlan, FaultRates
from conformance.wire.loopback import LoopbackServer
from models.wire import RawResponse

__all__ = ["FaultProxy"]

_TIMEOUT = 30


class FaultProxy(LoopbackServer):
    """A proxy on a free loopback port in front of ``upstream`` (``http://host:port``). Side
    effects: binds a socket at construction; ``start`` serves in a daemon thread; ``close``
    stops serving and releases the socket."""

    def __init__(self, upstream: str, rates: FaultRates, seed: int = 0, port: int = 0) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream {upstream!r} must be an http://host:port URL")
        self.upstream = (parts.hostname, parts.port or 80)
        self.plan = FaultPlan(rates, seed)
        self.injector = FaultInjector()
        super().__init__(_handler(self), "127.0.0.1", port)

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far (kinds never injected left out)."""
        return self.injector.counts()


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
            named = self.headers.get(FAULT_HEADER)
            try:
                batch = (self.headers.get("X-Amz-Target") or "").endswith(".BatchMeterUsage")
                fault = Fault.parse(named) if named is not None else proxy.plan.draw(batch)
            except ValueError as exc:
                self._reply(RawResponse(400, "text/plain", str(exc).encode()))
                return
            answer = proxy.injector.apply(fault, lambda: self._forward(body))
            if answer is None:
                self._reset()
            else:
                self._reply(answer)

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
                return RawResponse(response.status, response.headers.get("Content-Type"), answer)
            except OSError as exc:  # the target is gone: the harness sees a 502, indeterminate
                return RawResponse(502, "text/plain", f"upstream: {exc}".encode())
            finally:
                connection.close()

        def _reply(self, answer: RawResponse) -> None:
            self.send_response(answer.status)
            if answer.content_type:
                self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def _reset(self) -> None:
            # SO_LINGER 0: close sends a reset, not an orderly end of stream
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler
