"""Names inside a campaign's namespace, so parallel campaigns on one target never collide."""

from __future__ import annotations

import hashlib
import re

__all__ = ["Names", "check_namespace"]

_NAMESPACE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


def check_namespace(namespace: str) -> str:
    if not _NAMESPACE.match(namespace):
        raise ValueError(f"namespace {namespace!r} must be 1-31 of a-z, 0-9 and '-', starting alphanumeric")
    return namespace


class Names:
    """Deterministic names for one namespace: products, customers, tokens, access keys, accounts.

    Every name embeds the namespace (or a digest of it where the format allows only digits or a
    fixed length), so two namespaces never share a name.
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = check_namespace(namespace)
        digest = hashlib.sha256(namespace.encode()).hexdigest()
        self._key_stem = digest[:10].upper()
        self._account_stem = str(int(digest[:12], 16) % 10**8).zfill(8)

    def product(self, i: int) -> str:
        return f"{self.namespace}-prod-{i}"

    def dimension(self, i: int) -> str:
        return ("users", "gb-stored", "requests", "seats")[i] if i < 4 else f"dim-{i}"

    def customer(self, i: int) -> str:
        return f"{self.namespace}-cust-{i}"

    def account(self, i: int) -> str:
        return f"{self._account_stem}{i:04d}"

    def token(self, i: int) -> str:
        return f"{self.namespace}-token-{i}"

    def access_key(self, i: int) -> str:
        return f"AKIA{self._key_stem}{i:06d}"

    def license_arn(self, i: int) -> str:
        return f"arn:aws:license-manager::{self.account(i)}:license:l-{self._key_stem.lower()}{i:06d}"

    def agreement(self, customer: str) -> str:
        """The agreement id of a customer's subscription (2026-11)."""
        return "agmt-" + hashlib.sha256(customer.encode()).hexdigest()[:16]

    def unknown(self, what: str) -> str:
        """A name of the namespace that no fixture declares."""
        return f"{self.namespace}-unknown-{what}"
