"""The target adapter interface."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from conformance.client import Exchange
from models.requests import CallContext, Request
from models.world import Fixtures

__all__ = ["Target"]


class Target(Protocol):
    name: str

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        """Set up the world and the clock. May start a process or a server."""

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        """Forget all usage, tokens and registrations; set up the world again."""

    def set_clock(self, now: datetime) -> None:
        """Move the target's clock (a target that cannot is judged untestable on clock rules)."""

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        """Send one request. Never raises for a service error or a transport failure."""

    def close(self) -> None:
        """Stop whatever ``open`` started."""
