"""boto3 clients as the harness uses them, and one call as an :class:`Exchange`.

The installed boto3 sends, but with the profile's pinned service model (``service_model``), so
what it serializes and parses never changes with a ``pip install -U``: a 2025-01 client has no
ClientToken to fill in, a 2026-11 one knows the decimal members whatever botocore is installed.
SDK retries are off (the harness sees every raw outcome), client-side parameter validation is
off (invalid requests reach the target), botocore fills in no idempotency token (the request
sent is the request judged), and each simulated caller has its own credentials.
The raw HTTP response is captured from botocore's ``response-received`` event, so every target
is judged on what it actually sent, not on what boto3 made of it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import botocore.config
import botocore.loaders
import botocore.session
from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError
from botocore.handlers import generate_idempotent_uuid

from conformance.models.outcomes import Indeterminate, Outcome, ServiceError
from conformance.models.requests import CallContext, RawRequest, Request
from conformance.models.response_rules import RawResponse
from conformance.wire.protocol import decode_outcome
from conformance.wire.service_model import SERVICE_NAME, load_service_dict, snapshot_dir

__all__ = [
    "SECRET_KEY",
    "ClientModelError",
    "Exchange",
    "call",
    "check_client",
    "make_client",
    "new_session",
]

SECRET_KEY = "conformance-not-a-secret"  # the harness's own throwaway credentials


@dataclass(frozen=True)
class Exchange:
    """One request and what came back: the typed outcome and, if there was one, the raw response."""

    request: Request
    context: CallContext
    outcome: Outcome
    raw: RawResponse | None
    fault: str | None = None  # the faults a fault proxy injected (X-Conformance-Fault), if any


class ClientModelError(RuntimeError):
    """The installed botocore cannot speak a profile's API (exit code 3); one line says why."""


def new_session(profile: str) -> Any:
    """A botocore session whose data loader finds the profile's snapshot before botocore's own
    ``service-2.json`` (everything else, endpoints included, comes from the installed botocore).
    It takes botocore's built-in handlers as they are now (moto adds its interceptor to them
    when imported). Raises ClientModelError when the installed botocore does not load the
    snapshot whole."""
    session = botocore.session.get_session()
    loader = botocore.loaders.Loader(extra_search_paths=[str(snapshot_dir(profile))])
    session.register_component("data_loader", loader)
    wanted = load_service_dict(profile)["shapes"]
    try:
        loaded = session.get_service_model(SERVICE_NAME)
        missing = [
            f"{name}.{member}"
            for name, shape in wanted.items()
            if shape["type"] == "structure"
            for member in shape.get("members", {})
            if member not in loaded.shape_for(name).members
        ]
    except Exception as exc:  # whatever an incompatible botocore raises while loading
        missing = [f"({exc.__class__.__name__}: {exc})"]
    if missing:
        raise ClientModelError(
            f"the installed botocore {botocore.__version__} cannot send profile {profile}'s API "
            f"(it lacks {missing[0]}); upgrade boto3 and botocore, or choose an older --profile"
        )
    return session


_session = cache(new_session)  # one per profile and process: a session costs ~100 ms and ~8 MB


def check_client(profile: str) -> None:
    """Raise ClientModelError now, not in the middle of a run, if ``profile``'s API cannot be
    sent with the installed botocore."""
    _session(profile)


def make_client(
    endpoint_url: str | None,
    context: CallContext,
    profile: str,
    secret: str | None = SECRET_KEY,
    session: Any = None,
) -> Any:
    """A client for ``context``'s caller that speaks ``profile``'s API. ``secret`` None: the
    default credential chain (the seller's real credentials, ``aws`` target only). ``session``:
    a :func:`new_session` of the profile (default: the process's shared one)."""
    credentials: dict[str, str] = {}
    if secret is not None:
        credentials = {
            "aws_access_key_id": context.access_key_id or "AKIACONFORMANCESELLER",
            "aws_secret_access_key": secret,
        }
    config = botocore.config.Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        parameter_validation=False,
        connect_timeout=5,
        read_timeout=30,
    )
    client = (session or _session(profile)).create_client(
        SERVICE_NAME, region_name=context.region, endpoint_url=endpoint_url, config=config, **credentials
    )
    # The request on the wire must be the request the model judged: no ClientToken of
    # botocore's own making (it fills idempotency tokens in when they are missing).
    client.meta.events.unregister("before-parameter-build", generate_idempotent_uuid)
    client.meta.events.register("response-received.meteringmarketplace", _capture)
    return client


_captured = threading.local()


def _capture(response_dict: dict[str, Any] | None = None, **_: Any) -> None:
    if response_dict is not None:
        headers = {k.lower(): v for k, v in response_dict.get("headers", {}).items()}
        body = response_dict.get("body", b"")
        if isinstance(body, str):
            body = body.encode()
        _captured.raw = RawResponse(
            response_dict["status_code"], headers.get("content-type"), body, headers.get("date")
        )
    else:
        _captured.raw = None


def call(client: Any, request: Request, context: CallContext) -> Exchange:
    """Send ``request`` with ``client``. Never raises for a service error or a transport failure:
    the first is an outcome, the second an indeterminate one. An exception raised *inside* an
    in-process target (not by botocore) is the target's answer: a failed request with the
    exception's name as its code and status 500."""
    if isinstance(request, RawRequest):
        raise TypeError("raw requests do not go through boto3; the target sends them itself")
    _captured.raw = None
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
    # nothing of one call is kept past it: a thread-local holding the last transport failure
    # kept its traceback, and through it the campaign that sent the request
    raw, _captured.raw = _captured.raw, None
    if raw is None:
        return Exchange(request, context, Indeterminate("no response"), None)
    return Exchange(request, context, decode_outcome(request.operation, raw), raw)
