"""Runs of a seller's command side by side, each against its own service.

A certification's runs are independent: each resets its service and meets its own faults. A
:class:`ServicePool` keeps one :class:`MeteringService` (emulator and fault proxy, on ports of
their own) per worker, so runs proceed at once; a run holds its service until it ends. The
command's own process is where the time goes (its SDK's backoff sleeps, its start-up), so more
workers than cores still pay.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Self, TypeVar

from conformance.faults import FaultSource
from conformance.models.world import Fixtures
from conformance.sellers.command import ClientRun, run_client
from conformance.sellers.service import MeteringService

__all__ = ["ServicePool", "default_workers"]

T = TypeVar("T")


def default_workers() -> int:
    """Two runs per core: a run mostly waits on its command."""
    return 2 * (os.cpu_count() or 1)


class ServicePool:
    """``workers`` services of one profile and world. Side effects: :meth:`start` binds and
    serves two loopback sockets per service; :meth:`close` releases them."""

    def __init__(
        self, profile: str, fixtures: Fixtures | None, workers: int, caller: str | None = None
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self._services = [MeteringService(profile, fixtures, caller) for _ in range(workers)]
        self._free: queue.Queue[MeteringService] = queue.Queue()
        for service in self._services:
            self._free.put(service)

    @property
    def workers(self) -> int:
        return len(self._services)

    @property
    def any(self) -> MeteringService:
        """One of the services (what they share: the profile's limits, the world)."""
        return self._services[0]

    def start(self) -> Self:
        for service in self._services:
            service.start()
        return self

    def close(self) -> None:
        for service in self._services:
            service.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, command: Sequence[str], faults: FaultSource, timeout: float, reruns: int = 0) -> ClientRun:
        """One run of ``command`` under ``faults`` on a free service (waits for one), with up
        to ``reruns`` reruns (:func:`run_client`). Raises ClientCommandError if the command
        cannot be started."""
        service = self._free.get()
        try:
            return run_client(service, command, faults, timeout, reruns)
        finally:
            self._free.put(service)

    def run_all(
        self, command: Sequence[str], sources: Sequence[FaultSource], timeout: float, reruns: int = 0
    ) -> list[ClientRun]:
        """A run per fault source, as many at once as there are services, in the order given."""
        return self.map(lambda faults: self.run(command, faults, timeout, reruns), sources)

    def map(self, work: Callable[[T], ClientRun], items: Sequence[T]) -> list[ClientRun]:
        """``work`` on each item, as many at once as there are services, results in order."""
        if len(items) <= 1 or self.workers == 1:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as executor:
            return list(executor.map(work, items))
