"""Profiles: named, dated sets of rule parameters (see the catalogue's profile table).

Every number a rule uses that the service has changed over time lives here, not in the rule.
Shape constraints that botocore carries (string lengths, list limits, patterns, required and
existing members) are not here: they come from the profile's pinned service model, the
snapshot of botocore's ``service-2.json`` named by ``service_model`` (shipped with the
``conformance`` package and read through :class:`conformance.models.shapes.ShapeIndex`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["DEFAULT_PROFILE", "NEWEST_PROFILE", "PROFILES", "Profile", "get_profile"]


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    service_model: str
    """The botocore release whose ``service-2.json`` this profile is pinned to."""
    meter_window: timedelta
    """How far in the past a MeterUsage timestamp may be."""
    batch_window: timedelta
    """How far in the past a BatchMeterUsage record may be."""
    edge_accepted: bool
    """A timestamp exactly at the window limit is accepted (2025-01) or refused (2026-11)."""
    month_end_cutoff: timedelta | None
    """After this long into a month, BatchMeterUsage refuses records of the previous month."""
    allocation_limit: int
    """Most allocations in one record."""
    payload_limit: int
    """A BatchMeterUsage body of this many bytes or more is refused."""
    payload_lenient_from: int
    """From this size up to ``payload_limit`` a refusal is allowed too ("1MB" read as 10^6)."""
    ignored_members: frozenset[str]
    """Members (``Shape.Member``) the profile's API lacks but current SDKs add on their own
    (MeterUsage's idempotency token): ignored, never refused."""
    register_platforms: frozenset[str]
    """Platforms RegisterUsage supports."""
    agentcore_platforms: frozenset[str]
    """Caller platforms metered per ClientToken rather than per hour (MU-AGENTCORE)."""
    concurrent_agreements: bool
    """Products may be on concurrent agreements (BMU-CONCURRENT-AGREEMENTS, RC-AGREEMENT)."""
    iat_tolerance: timedelta
    """How far a RegisterUsage token's ``iat`` may be from the service's now."""


_COMMON = dict(
    meter_window=timedelta(hours=6),
    payload_limit=1024 * 1024,
    payload_lenient_from=1_000_000,
    iat_tolerance=timedelta(minutes=5),
)

PROFILES: dict[str, Profile] = {
    "2025-01": Profile(
        name="2025-01",
        summary="The rules as written in the Go SDK v1 documentation of 2025-01-17.",
        service_model="botocore-1.36.3",
        batch_window=timedelta(hours=6),
        edge_accepted=True,
        month_end_cutoff=None,
        allocation_limit=500,
        ignored_members=frozenset({"MeterUsageRequest.ClientToken"}),
        register_platforms=frozenset({"ec2", "ecs", "eks", "fargate"}),
        agentcore_platforms=frozenset(),
        concurrent_agreements=False,
        **_COMMON,  # type: ignore[arg-type]
    ),
    "2026-11": Profile(
        name="2026-11",
        summary=(
            "The API of November 2026: 24 h batch window, month-end cutoff, 2,500 allocations, "
            "decimal quantities, AgentCore callers, concurrent agreements."
        ),
        service_model="botocore-1.44.8",
        batch_window=timedelta(hours=24),
        edge_accepted=False,
        month_end_cutoff=timedelta(hours=6),
        allocation_limit=2500,
        ignored_members=frozenset(),
        register_platforms=frozenset({"ec2", "ecs", "eks", "fargate", "agentcore"}),
        agentcore_platforms=frozenset({"agentcore"}),
        concurrent_agreements=True,
        **_COMMON,  # type: ignore[arg-type]
    ),
}

DEFAULT_PROFILE = "2025-01"
NEWEST_PROFILE = max(PROFILES)  # profile names are dates


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(sorted(PROFILES))}") from None
