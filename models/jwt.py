"""Reading a JWT's header and claims without verifying it (verification needs the key, which
the harness has; the model only checks what the token claims)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["MalformedToken", "claim", "decode_unverified"]


class MalformedToken(ValueError):
    """Not three base64url parts whose first two are JSON objects."""


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedToken(f"{len(parts)} dot-separated parts, expected 3")
    header, claims = (_json_part(p) for p in parts[:2])
    return header, claims


def claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by name, ignoring case (the sources disagree on casing: productCode vs ProductCode)."""
    if name in claims:
        return claims[name]
    lowered = name.lower()
    for key, value in claims.items():
        if key.lower() == lowered:
            return value
    return None


def _json_part(part: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise MalformedToken(f"part is not base64url JSON ({exc.__class__.__name__})") from None
    if not isinstance(value, dict):
        raise MalformedToken("part is not a JSON object")
    return value
