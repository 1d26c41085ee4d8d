"""Plain HTTP for what boto3 cannot send: raw service requests and the control protocol.

Raw requests are signed with botocore's SigV4 signer, so an emulator tells the caller apart
exactly as it does for boto3's requests. Transport failures come back as indeterminate
outcomes; the control client raises :class:`ControlError` (the target cannot be set up).
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conformance.faults import FAULT_HEADER
from conformance.models.control_record import ControlRecord
from conformance.models.outcomes import Indeterminate
from conformance.models.requests import CallContext, RawRequest, Request
from conformance.models.response_rules import RawResponse
from conformance.targets.client import SECRET_KEY, Exchange, call, make_client
from conformance.wire.protocol import CONTENT_TYPE, SCOPE_HEADER, decode_outcome

__all__ = ["ControlClient", "ControlError", "HttpInvoker", "send_raw"]

_SIGNING_NAME = "aws-marketplace"
_TIMEOUT = 30
# asking whether a server speaks the control protocol: any server answers that at once, and a
# hang here is found before a run starts rather than after half a minute
_PROBE_TIMEOUT = 5


def send_raw(
    endpoint_url: str,
    request: RawRequest,
    context: CallContext,
    scope: str | None = None,
    fault: str | None = None,
) -> Exchange:
    """POST ``request`` as it is (its target header and body) to ``endpoint_url``; ``fault``:
    the faults a fault proxy on the way is to inject (``X-Conformance-Fault``)."""
    headers = {"Content-Type": CONTENT_TYPE}
    if fault is not None:
        headers[FAULT_HEADER] = fault
    if request.target is not None:
        headers["X-Amz-Target"] = request.target
    if scope is not None:
        headers[SCOPE_HEADER] = scope
    aws = AWSRequest("POST", endpoint_url.rstrip("/") + "/", data=request.body, headers=headers)
    credentials = Credentials(context.access_key_id or "AKIACONFORMANCESELLER", SECRET_KEY)
    SigV4Auth(credentials, _SIGNING_NAME, context.region).add_auth(aws)
    http = urllib.request.Request(aws.url, data=request.body, headers=dict(aws.headers), method="POST")
    try:
        raw = _response(http)
    except OSError as exc:
        return Exchange(request, context, Indeterminate(f"{exc.__class__.__name__}: {exc}"), None)
    return Exchange(request, context, decode_outcome("Raw", raw), raw)


class HttpInvoker:
    """Sends requests to a service at ``endpoint_url``: boto3 for what an SDK sends (one client
    per caller), :func:`send_raw` for the rest; with a ``scope``, each request carries
    ``X-Conformance-Scope`` (added after signing: the header is not signed). Several threads
    may invoke at once."""

    def __init__(self, endpoint_url: str, profile: str, scope: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.profile = profile
        self.scope = scope
        self._sending = threading.local()  # the fault header of the request this thread sends
        self._lock = threading.Lock()
        self._clients: dict[CallContext, Any] = {}

    def invoke(self, request: Request, context: CallContext, fault: str | None = None) -> Exchange:
        """Send ``request``; ``fault``: the ``X-Conformance-Fault`` a fault proxy on the way is
        to inject."""
        if isinstance(request, RawRequest):
            return send_raw(self.endpoint_url, request, context, self.scope, fault)
        with self._lock:
            if context not in self._clients:
                client = make_client(self.endpoint_url, context, self.profile)
                client.meta.events.register("before-send.meteringmarketplace", self._add_headers)
                self._clients[context] = client
            client = self._clients[context]
        self._sending.fault = fault
        try:
            return call(client, request, context)
        finally:
            self._sending.fault = None

    def _add_headers(self, request: Any, **_: Any) -> None:
        if self.scope is not None:
            request.headers[SCOPE_HEADER] = self.scope
        fault = getattr(self._sending, "fault", None)
        if fault is not None:
            request.headers[FAULT_HEADER] = fault

    def close(self) -> None:
        self._clients.clear()


def _response(http: urllib.request.Request, timeout: float = _TIMEOUT) -> RawResponse:
    try:
        with urllib.request.urlopen(http, timeout=timeout) as response:
            headers = response.headers
            return RawResponse(
                response.status, headers.get("Content-Type"), response.read(), headers.get("Date")
            )
    except urllib.error.HTTPError as error:
        with error:
            return RawResponse(
                error.code, error.headers.get("Content-Type"), error.read(), error.headers.get("Date")
            )


class ControlError(RuntimeError):
    """The control protocol failed; the message says which route and why. ``unreachable``:
    nothing answered at all (the host unknown, the connection refused or timed out), as opposed
    to an answer that was not the protocol's."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


class ControlClient:
    """The control protocol v1.1 (``/_conformance``) of an emulator at ``base_url``; with a
    ``scope``, every call carries ``X-Conformance-Scope`` and concerns that scope only."""

    def __init__(self, base_url: str, scope: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.scope = scope

    def probe(self) -> frozenset[str] | None:
        """The capabilities the server announces, or None if it does not speak the protocol.
        Raises ControlError when nothing answers at all."""
        try:
            answer = self._call("GET", "", timeout=_PROBE_TIMEOUT)
        except ControlError as exc:
            if exc.unreachable:
                raise
            return None
        if answer.get("protocol") != "metering-conformance-control" or answer.get("version") != 1:
            return None
        return frozenset(str(c) for c in answer.get("capabilities", []))

    def reset(self) -> None:
        self._call("POST", "/reset", {})

    def add_fixtures(self, fixtures: dict[str, Any]) -> None:
        self._call("POST", "/fixtures", fixtures)

    def set_clock(self, now: float | None) -> None:
        self._call("POST", "/clock", {"now": now})

    def records(self) -> list[ControlRecord]:
        listed = self._call("GET", "/records").get("records")
        if not isinstance(listed, list):
            raise ControlError(f"GET /_conformance/records answered no list of records: {listed!r:.80}")
        return [ControlRecord.from_json(r if isinstance(r, dict) else {}) for r in listed]

    def public_key(self, product_code: str, version: int) -> str:
        query = urllib.parse.urlencode({"productCode": product_code, "version": version})
        return str(self._call("GET", f"/public-key?{query}")["pem"])

    def _call(self, method: str, route: str, body: Any = None, timeout: float = _TIMEOUT) -> dict[str, Any]:
        url = f"{self.base_url}/_conformance{route}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.scope is not None:
            request.add_header(SCOPE_HEADER, self.scope)
        try:
            raw = _response(request, timeout)
        except OSError as exc:
            reason = getattr(exc, "reason", exc)
            raise ControlError(f"{method} {url}: {_plain(reason, url)}", unreachable=True) from None
        if raw.status != 200:
            raise ControlError(f"{method} {url}: HTTP {raw.status} {raw.body[:200]!r}")
        try:
            answer = json.loads(raw.body)
        except ValueError:
            raise ControlError(f"{method} {url}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise ControlError(f"{method} {url}: the answer is not a JSON object")
        return answer


def _plain(reason: object, url: str) -> str:
    if isinstance(reason, socket.gaierror):
        return (
            f"the host {urllib.parse.urlsplit(url).hostname} cannot be resolved (check the URL's host name)"
        )
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    if "timed out" in text:
        return "timed out"
    if "No route" in text or "unreachable" in text:
        return "unreachable"
    return text
