"""A threaded HTTP server on a loopback port, served in a daemon thread: what the reference
emulator and the fault proxy both are underneath."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

__all__ = ["LoopbackServer", "send_status"]

_POLL_SECONDS = 0.02


def send_status(handler: BaseHTTPRequestHandler, status: int, date: str | None) -> None:
    """The status line, ``Server`` and ``Date`` (``date``: the service's own, as an HTTP date;
    None: no Date at all). ``send_response`` would stamp this machine's time, which is not the
    service's when its clock is frozen or skewed, nor a proxied target's."""
    handler.log_request(status)
    handler.send_response_only(status)
    handler.send_header("Server", handler.version_string())
    if date is not None:
        handler.send_header("Date", date)


class _Server(ThreadingHTTPServer):
    """Keeps the connections it serves, so closing the server ends them: a client's kept-alive
    connection would otherwise hold its handler thread in a read for the life of the process."""

    daemon_threads = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.connections: set[socket.socket] = set()
        self.handlers: set[threading.Thread] = set()
        self._guard = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        # A handler writes its headers and its body apart: with Nagle's algorithm on, the
        # body waits for the client's delayed ACK, 40 ms an answer on Linux.
        with contextlib.suppress(OSError):
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._guard:
            self.connections.add(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._guard:
            self.handlers.add(threading.current_thread())
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._guard:
                self.handlers.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._guard:
            self.connections.discard(request)
        super().shutdown_request(request)

    def end_connections(self, timeout: float = 5.0) -> None:
        """Shut every open connection and wait (up to ``timeout``) for its handler to return."""
        with self._guard:
            connections, handlers = list(self.connections), list(self.handlers)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for handler in handlers:
            handler.join(timeout)


class LoopbackServer:
    """Binds ``host:port`` at construction (port 0: a free one); ``url`` says where. Side
    effects: ``start`` serves in a daemon thread; ``close`` stops serving and releases the
    socket."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0) -> None:
        self.server = _Server((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        if self._thread is None:
            # shutdown() waits for the loop to look again: 0.5 s by default, for every close
            self._thread = threading.Thread(
                target=self.server.serve_forever, kwargs={"poll_interval": _POLL_SECONDS}, daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self.server.serve_forever()

    def close(self) -> None:
        """Stop serving, end the connections clients keep open, release the socket. Side
        effect: no handler thread of this server outlives it."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
            self._thread = None
        self.server.server_close()
        self.server.end_connections()
