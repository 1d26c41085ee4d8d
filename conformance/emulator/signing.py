"""RegisterUsage signing keys: one RSA key per product and public key version, made when first
needed, used to sign PS256 tokens and served as PEM (the control route ``public-key``)."""

from __future__ import annotations

import threading
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from conformance.models.expect import Register

__all__ = ["KeyRing", "verify"]


class KeyRing:
    """Thread-safe; key generation (about 50 ms per key) happens once per product and version."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, int], RSAKey] = {}
        self._lock = threading.Lock()

    def _key(self, product_code: str, version: int) -> RSAKey:
        with self._lock:
            if (product_code, version) not in self._keys:
                self._keys[(product_code, version)] = RSAKey.generate_key(2048)
            return self._keys[(product_code, version)]

    def sign(self, expected: Register) -> str:
        """A PS256 JWT with the claims the model expects for this RegisterUsage."""
        claims: dict[str, Any] = {
            "productCode": expected.product_code,
            "publicKeyVersion": expected.public_key_version,
            "iat": int(expected.now.timestamp()),
        }
        if expected.nonce is not None:
            claims["nonce"] = expected.nonce
        return self.sign_claims(claims, expected.product_code, expected.public_key_version)

    def sign_claims(self, claims: dict[str, Any], product_code: str, version: int) -> str:
        """A PS256 JWT of ``claims``, signed with this ring's key for the product and version."""
        key = self._key(product_code, version)
        return jwt.encode({"alg": "PS256", "typ": "JWT"}, claims, key, algorithms=["PS256"])

    def public_pem(self, product_code: str, version: int) -> str:
        return self._key(product_code, version).as_pem(private=False).decode()


def verify(token: str, public_pem: str) -> dict[str, Any]:
    """The claims of a PS256 token that verifies with the key; raises ValueError otherwise."""
    try:
        decoded = jwt.decode(token, RSAKey.import_key(public_pem), algorithms=["PS256"])
    except Exception as exc:  # joserfc raises several error types for a bad token
        raise ValueError(f"signature does not verify: {exc.__class__.__name__}") from None
    return dict(decoded.claims)
