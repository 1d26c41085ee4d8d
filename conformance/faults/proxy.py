"""The fault-injecting proxy.

Every service request (``POST /``) meets the faults its ``X-Conformance-Fault`` header names
(the harness draws them: ``conformance.faults.plan``), or else faults the proxy draws from its
own seeded plan: at most one of
``throttle`` (400 ThrottlingException, not forwarded), ``internal`` (500
InternalServiceErrorException, not forwarded), ``reset-before`` (the connection reset before
anything is forwarded) and ``reset-after`` (forwarded, the target's answer lost in a reset);
independently ``latency`` (a delay before forwarding) and, for a BatchMeterUsage answered 200,
``unprocessed`` (one Success result moved to UnprocessedRecords).

``unprocessed`` takes a record out of the answer, not out of the request: a record withheld from
the request could be the one that makes the service refuse the whole batch (a timestamp out of
the window), and the proxy cannot know, so what it forwarded might be accepted where the batch
must be refused. A record the service processed and the answer reports unprocessed is what a
lost answer looks like at the scale of one record, and the retry must converge either way.

Control routes (``/_conformance...``) pass through untouched. Every injected fault is counted
(:meth:`FaultProxy.counts`). The proxy binds 127.0.0.1 and serves in a thread.
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
from http.server import BaseHTTPRequestHandler
from typing import Any

from conformance.faults.plan import FAULT_HEADER, Fault, FaultPlan, FaultRates
from conformance.wire.loopback import LoopbackServer

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
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        super().__init__(_handler(self), "127.0.0.1", port)

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far (kinds never injected left out)."""
        with self._lock:
            return dict(self._counts)

    def _count(self, kinds: tuple[str, ...]) -> None:
        with self._lock:
            self._counts.update(kinds)


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
                self._reply(400, {"Content-Type": "text/plain"}, str(exc).encode())
                return
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000)
            if fault.blocking == "throttle":
                self._error(400, "ThrottlingException")
            elif fault.blocking == "internal":
                self._error(500, "InternalServiceErrorException")
            elif fault.blocking == "reset-before":
                self._reset()
            else:
                status, headers, answer = self._forward(body)
                if fault.blocking == "reset-after":
                    self._reset()
                else:
                    if fault.unprocessed is not None and status == 200:
                        answer, lost = _lose_one(answer, fault.unprocessed)
                        if not lost:
                            fault = Fault(None, fault.latency_ms)
                    self._reply(status, headers, answer)
            proxy._count(fault.kinds)

        def _pass(self, body: bytes) -> None:
            self._reply(*self._forward(body))

        def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
            connection = http.client.HTTPConnection(*proxy.upstream, timeout=_TIMEOUT)
            dropped = ("host", "connection", FAULT_HEADER.lower())
            headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                kept = {"Content-Type": response.headers.get("Content-Type", "application/x-amz-json-1.1")}
                return response.status, kept, answer
            except OSError as exc:  # the target is gone: the harness sees a 502, indeterminate
                return 502, {"Content-Type": "text/plain"}, f"upstream: {exc}".encode()
            finally:
                connection.close()

        def _error(self, status: int, code: str) -> None:
            body = json.dumps({"__type": code, "message": f"{code} injected by the conformance proxy"})
            self._reply(status, {"Content-Type": "application/x-amz-json-1.1"}, body.encode())

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _reset(self) -> None:
            # SO_LINGER 0: close sends a reset, not an orderly end of stream
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return Handler


def _lose_one(answer: bytes, which: int) -> tuple[bytes, bool]:
    """A BatchMeterUsage answer with one Success result (``which``, modulo their number) moved
    to UnprocessedRecords; whether there was one to move."""
    try:
        body = json.loads(answer)
        results = body["Results"]
        succeeded = [i for i, r in enumerate(results) if r.get("Status") == "Success" and "UsageRecord" in r]
    except (ValueError, KeyError, TypeError, AttributeError):
        return answer, False
    if not succeeded:
        return answer, False
    lost = results.pop(succeeded[which % len(succeeded)])
    body["UnprocessedRecords"] = [*body.get("UnprocessedRecords", []), lost["UsageRecord"]]
    return json.dumps(body).encode(), True
