"""``reference-server``: the reference emulator started on a free loopback port and judged
over real HTTP through the control protocol, exactly as ``endpoint`` judges anyone's.

Given the URL of an emulator already running (the engine starts one for all its workers, each
working in a scope of its own), the target uses it and leaves it running. Faults are injected
by a fault proxy between the harness and the emulator, as for ``endpoint``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conformance.emulator.hooks import NO_HOOKS, Hooks
from conformance.emulator.server import Emulator
from conformance.faults import FaultRates
from conformance.models.control_record import ControlRecord
from conformance.models.model import Model
from conformance.models.requests import CallContext, Request
from conformance.models.world import Fixtures
from conformance.targets.client import Exchange
from conformance.targets.endpoint import EndpointTarget

__all__ = ["ReferenceServerTarget"]


class ReferenceServerTarget:
    name = "reference-server"

    def __init__(
        self,
        model: Model,
        url: str | None = None,
        hooks: Hooks = NO_HOOKS,
    ) -> None:
        """``hooks``: tests and benchmarks only, for the emulator this target starts (not with
        ``url``)."""
        self._emulator = Emulator(model, hooks=hooks) if url is None else None
        url = url or self._emulator.url  # type: ignore[union-attr]
        self._endpoint = EndpointTarget(url, None, model.profile)
        self._endpoint.name = self.name
        self.capabilities = self._endpoint.capabilities

    def world(self, declared: Fixtures) -> Fixtures:
        return self._endpoint.world(declared)

    def open(self, fixtures: Fixtures, now: datetime) -> None:
        if self._emulator is not None:
            self._emulator.start()
        self._endpoint.open(fixtures, now)
        self.capabilities = self._endpoint.capabilities

    def reset(self, fixtures: Fixtures, now: datetime) -> None:
        self._endpoint.reset(fixtures, now)

    def set_clock(self, now: datetime) -> None:
        self._endpoint.set_clock(now)

    def add_fixtures(self, fixtures: Fixtures) -> None:
        self._endpoint.add_fixtures(fixtures)

    def invoke(self, request: Request, context: CallContext) -> Exchange:
        return self._endpoint.invoke(request, context)

    def set_faults(self, rates: FaultRates, seed: int) -> None:
        self._endpoint.set_faults(rates, seed)

    def inject_next(self, fault: str) -> None:
        self._endpoint.inject_next(fault)

    def faults_injected(self) -> dict[str, int]:
        return self._endpoint.faults_injected()

    def public_key(self, product_code: str, version: int) -> str:
        return self._endpoint.public_key(product_code, version)

    def records(self) -> Sequence[ControlRecord]:
        return self._endpoint.records()

    def close(self) -> None:
        self._endpoint.close()
        if self._emulator is not None:
            self._emulator.close()
