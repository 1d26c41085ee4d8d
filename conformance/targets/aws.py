"""``aws``: the real service. Guarded: it refuses to start without ``--allow-real-billing``, a
fixture file naming the seller's test product, test customers and test callers (with their
secret keys, which never reach an artifact), and a cap on the records it may send. The first
call is a MeterUsage with DryRun. Nothing can be reset, so the model starts open world, and the
clock is the wall clock. ``endpoint_url`` replaces AWS with a loopback stand-in (tests only).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.models.outcomes import Indeterminate, ServiceError
from conformance.models.profiles import Profile
from conformance.models.requests import BatchMeterUsage, CallContext, MeterUsage, RawRequest, Request
from conformance.models.world import Fixtures
from conformance.targets.base import TargetSetupError
from conformance.targets.client import Exchange, call, make_client

__all__ = ["AwsTarget"]


class AwsTarget:
    name = "aws"
    capabilities: frozenset[str] = frozenset()

    def __init__(
        self,
        fixtures_file: Path,
        fixtures: Fixtures,
        max_records: int,
        endpoint_url: str | None,
        profile: Profile,
    ) -> None:
        self.profile = profile
        self.declared = fixtures
        self.max_records = max_records
        self.endpoint_url = endpoint_url
        self.sent_records = 0
        self._secrets = _secrets(fixtures_file)
        self._clients: dict[CallContext, Any] = {}

    def world(self, declared: Fixtures) -> Fixtures:
        return self.declared

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        """Side effect: one MeterUsage with DryRun (no usage is recorded)."""
        caller = next((c for c in self.declared.callers if c.entitled), None)
        product = self.declared.products[0] if self.declared.products else None
        if caller is None or product is None or not product.dimensions:
            raise TargetSetupError(
                "the aws fixture file needs a product with a dimension and an entitled caller"
            )
        # AWS keeps its own clock: the probe's timestamp is this machine's now, not the run's
        stamp = datetime.now(UTC).replace(microsecond=0)
        probe = MeterUsage(product.code, stamp, sorted(product.dimensions)[0], 0, dry_run=True)
        exchange = self.invoke(probe, CallContext(caller.access_key_id, caller.region))
        outcome = exchange.outcome
        if not (isinstance(outcome, ServiceError) and outcome.code == "DryRunOperation"):
            raise TargetSetupError(
                f"the DryRun MeterUsage did not answer DryRunOperation ({_short(outcome)}); "
                "check the credentials and the product in the fixture file"
            )

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        """AWS cannot be reset: the model is open world instead."""

    def set_clock(self, now: datetime) -> None:
        """AWS keeps its own clock."""

    def add_fixtures(self, fixtures: Fixtures) -> None:
        """AWS cannot be told anything."""

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        if isinstance(request, RawRequest):
            return Exchange(request, context, Indeterminate("raw requests are not sent to AWS"), None)
        count = 1 if isinstance(request, MeterUsage) and not request.dry_run else 0
        if isinstance(request, BatchMeterUsage):
            count = len(request.usage_records)
        if self.sent_records + count > self.max_records:
            return Exchange(request, context, Indeterminate(f"record cap {self.max_records} reached"), None)
        self.sent_records += count
        if context not in self._clients:
            secret = self._secrets.get(context.access_key_id or "")
            self._clients[context] = make_client(self.endpoint_url, context, self.profile.name, secret)
        return call(self._clients[context], request, context)

    def close(self) -> None:
        self._clients.clear()


def _secrets(path: Path) -> dict[str, str]:
    data = json.loads(Path(path).read_text())
    return {
        c["accessKeyId"]: c["secretAccessKey"]
        for c in data.get("callers", [])
        if isinstance(c, dict) and "secretAccessKey" in c
    }


def _short(outcome: object) -> str:
    if isinstance(outcome, ServiceError):
        return outcome.code
    return outcome.__class__.__name__
