"""boto3 clients as the harness uses them, and one call as an :class:`Exchange`.

SDK retries are off (the harness sees every raw outcome), client-side parameter validation is
off (invalid requests reach the target), and each simulated caller has its own credentials.
The raw HTTP response is captured from botocore's ``response-received`` event, so every target
is judged on what it actually sent, not on what boto3 made of it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError

from conformance.protocol import decode_outcome
from models.outcomes import Indeterminate, Outcome, ServiceError
from models.requests import CallContext, RawRequest, Request
from models.wire import RawResponse

__all__ = ["SECRET_KEY", "Exchange", "call", "make_client"]

SECRET_KEY = "conformance-not-a-secret"  # the harness's own throwaway credentials


@dataclass(frozen=True)
class Exchange:
    """One request and what came back: the typed outcome and, if there was one, the raw response."""

    request: Request
    context: CallContext
    outcome: Outcome
    raw: RawResponse | None


def make_client(endpoint_url: str | None, context: CallContext, secret: str | None = SECRET_KEY) -> Any:
    """A client for ``context``'s caller. ``secret`` None: boto3's own credential chain (the
    seller's real credentials, ``aws`` target only)."""
    if secret is None:
        session = boto3.session.Session(region_name=context.region)
    else:
        session = boto3.session.Session(
            aws_access_key_id=context.access_key_id or "AKIACONFORMANCESELLER",
            aws_secret_access_key=secret,
            region_name=context.region,
        )
    config = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        parameter_validation=False,
        connect_timeout=5,
        read_timeout=30,
    )
    client = session.client("meteringmarketplace", endpoint_url=endpoint_url, config=config)
    client.meta.events.register("response-received.meteringmarketplace", _capture)
    return client


_captured = threading.local()


def _capture(
    response_dict: dict[str, Any] | None = None, exception: Exception | None = None, **_: Any
) -> None:
    if response_dict is not None:
        headers = {k.lower(): v for k, v in response_dict.get("headers", {}).items()}
        body = response_dict.get("body", b"")
        if isinstance(body, str):
            body = body.encode()
        _captured.raw = RawResponse(response_dict["status_code"], headers.get("content-type"), body)
    else:
        _captured.raw = None
        _captured.error = exception


def call(client: Any, request: Request, context: CallContext) -> Exchange:
    """Send ``request`` with ``client``. Never raises for a service error or a transport failure:
    the first is an outcome, the second an indeterminate one. An exception raised *inside* an
    in-process target (not by botocore) is the target's answer: a failed request with the
    exception's name as its code and status 500."""
    if isinstance(request, RawRequest):
        raise TypeError("raw requests do not go through boto3; the target sends them itself")
    _captured.raw, _captured.error = None, None
    method = getattr(client, xform_name(request.operation))
    try:
        method(**request.to_params())
    except BotoCoreError as exc:  # transport: timeouts, resets, refused connections
        return Exchange(request, context, Indeterminate(f"{exc.__class__.__name__}: {exc}"), None)
    except ClientError:
        pass  # a service error: its raw response was captured
    except Exception as exc:  # raised by an in-process target's own code
        outcome = ServiceError(exc.__class__.__name__, 500, str(exc)[:200] or None)
        return Exchange(request, context, outcome, None)
    raw = _captured.raw
    if raw is None:
        return Exchange(request, context, Indeterminate("no response"), None)
    return Exchange(request, context, decode_outcome(request.operation, raw), raw)
