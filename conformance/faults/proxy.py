"""The fault-injecting proxy.

Every service request (``POST /``) draws its faults from one seeded generator: at most one of
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
import random
import socket
import struct
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FAULT_KINDS", "FaultProxy", "FaultRates"]

BLOCKING = ("throttle", "internal", "reset-before", "reset-after")
FAULT_KINDS = (*BLOCKING, "latency", "unprocessed")
_MAX_LATENCY = 0.05  # seconds
_TIMEOUT = 30


@dataclass(frozen=True)
class FaultRates:
    """The probability of each fault kind per service request (each in [0, 1]; the blocking
    kinds together at most 1)."""

    throttle: float = 0.0
    internal: float = 0.0
    reset_before: float = 0.0
    reset_after: float = 0.0
    latency: float = 0.0
    unprocessed: float = 0.0

    @classmethod
    def each(cls, rate: float) -> FaultRates:
        """Every kind at ``rate``."""
        return cls(rate, rate, rate, rate, rate, rate)

    def of(self, kind: str) -> float:
        return float(getattr(self, kind.replace("-", "_")))

    def __post_init__(self) -> None:
        rates = [self.of(kind) for kind in FAULT_KINDS]
        if any(not 0 <= r <= 1 for r in rates) or sum(self.of(k) for k in BLOCKING) > 1:
            raise ValueError("fault rates must be in [0, 1], the blocking ones together at most 1")

    @property
    def any(self) -> bool:
        return any(self.of(kind) for kind in FAULT_KINDS)


@dataclass(frozen=True)
class _Draw:
    blocking: str | None
    latency: float
    unprocessed: bool


class FaultProxy:
    """A proxy on a free loopback port in front of ``upstream`` (``http://host:port``). Side
    effects: binds a socket at construction; ``start`` serves in a daemon thread; ``close``
    stops serving and releases the socket."""

    def __init__(self, upstream: str, rates: FaultRates, seed: int = 0, port: int = 0) -> None:
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream {upstream!r} must be an http://host:port URL")
        self.upstream = (parts.hostname, parts.port or 80)
        self.rates = rates
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        if self._thread is None:
            self._thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread = None
        self.server.server_close()

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected so far (kinds never injected left out)."""
        with self._lock:
            return dict(self._counts)

    def _draw(self, batch: bool) -> _Draw:
        with self._lock:
            pick = self._random.random()
            blocking = None
            for kind in BLOCKING:
                pick -= self.rates.of(kind)
                if pick < 0:
                    blocking = kind
                    break
            latency = (
                self._random.random() * _MAX_LATENCY if self._random.random() < self.rates.latency else 0.0
            )
            unprocessed = batch and self._random.random() < self.rates.unprocessed
            return _Draw(blocking, latency, unprocessed)

    def _count(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def _choose(self, count: int) -> int:
        with self._lock:
            return self._random.randrange(count)


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
            target = self.headers.get("X-Amz-Target") or ""
            draw = proxy._draw(target.endswith(".BatchMeterUsage"))
            if draw.latency:
                proxy._count("latency")
                time.sleep(draw.latency)
            if draw.blocking == "throttle":
                proxy._count("throttle")
                self._error(400, "ThrottlingException")
            elif draw.blocking == "internal":
                proxy._count("internal")
                self._error(500, "InternalServiceErrorException")
            elif draw.blocking == "reset-before":
                proxy._count("reset-before")
                self._reset()
            else:
                status, headers, answer = self._forward(body)
                if draw.blocking == "reset-after":
                    proxy._count("reset-after")
                    self._reset()
                    return
                if draw.unprocessed and status == 200:
                    answer = _lose_one(answer, proxy)
                self._reply(status, headers, answer)

        def _pass(self, body: bytes) -> None:
            self._reply(*self._forward(body))

        def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
            connection = http.client.HTTPConnection(*proxy.upstream, timeout=_TIMEOUT)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
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


def _lose_one(answer: bytes, proxy: FaultProxy) -> bytes:
    """One Success result of a BatchMeterUsage answer moved to UnprocessedRecords."""
    try:
        body = json.loads(answer)
        results = body["Results"]
        succeeded = [i for i, r in enumerate(results) if r.get("Status") == "Success" and "UsageRecord" in r]
    except (ValueError, KeyError, TypeError, AttributeError):
        return answer
    if not succeeded:
        return answer
    lost = results.pop(succeeded[proxy._choose(len(succeeded))])
    body["UnprocessedRecords"] = [*body.get("UnprocessedRecords", []), lost["UsageRecord"]]
    proxy._count("unprocessed")
    return json.dumps(body).encode()
