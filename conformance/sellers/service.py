"""A faithful Marketplace Metering Service for a seller's own code: the reference emulator on
loopback behind a fault proxy that logs what the code sent.

:class:`MeteringService` is what ``conformance client`` runs a seller's command against and
what the ``metering_service`` pytest fixture gives a seller's tests.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Self

from conformance.emulator.server import Emulator
from conformance.faults import FaultPlan, FaultProxy, FaultRates, FaultSource, RequestFaults
from conformance.models.control_record import ControlRecord
from conformance.models.profiles import DEFAULT_PROFILE
from conformance.models.seller import ClientLimits, LoggedCall, LogJudgement, billed, judge_log
from conformance.models.world import Fixtures
from conformance.sellers.wording import breaches_text
from conformance.targets import load_fixtures_file
from conformance.wire.protocol import decode_request
from conformance.wire.service_model import model_for

__all__ = ["ACCESS_KEY_ID", "Clock", "MeteringService", "default_world"]

ACCESS_KEY_ID = "AKIACONFORMANCETEST1"
"""The throwaway access key a seller's code is given: an undeclared key, so the emulator takes
it for an entitled EC2 caller of whatever product it meters."""
_SECRET = "conformance-throwaway-secret-not-a-real-key"
REGION = "us-east-1"


def default_world() -> Fixtures:
    """The world a client run starts with when given no fixtures: products ``prod-saas``
    (dimensions ``users``, ``gb-stored``) and ``prod-container`` (``vcpu-hours``), six subscribed
    SaaS customers (``cust-acme`` ... ``cust-stark``) and a lapsed one (``cust-lapsed``)."""
    text = resources.files("conformance.sellers").joinpath("world.json").read_text()
    return Fixtures.from_json(json.loads(text))


class Clock:
    """The service's clock. It follows the wall clock (the seller's code's own clock) until
    :meth:`set` freezes it. Side effects: every method but :meth:`now` moves the service's
    clock, which judges the timestamp window."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def now(self) -> datetime:
        return self._emulator.now()

    def set(self, instant: datetime) -> None:
        """Freeze the service's clock at ``instant`` (timezone-aware)."""
        if instant.tzinfo is None:
            raise ValueError(f"clock.set({instant!r}): give a timezone-aware datetime")
        self._emulator.frozen = instant.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        """Move the frozen clock on (freezing it at the wall time first if it follows it)."""
        self._emulator.frozen = self.now() + timedelta(seconds=seconds)

    def follow_wall(self) -> None:
        self._emulator.frozen = None


class MeteringService:
    """The reference emulator of ``profile`` holding ``fixtures`` (default: :func:`default_world`),
    behind a logging fault proxy, both on 127.0.0.1. The code is given ``caller``'s access key
    (one the fixtures declare: a container or AMI product's workload, judged with that caller's
    entitlement, platform and Region), else :data:`ACCESS_KEY_ID`. Raises ValueError for a
    caller the fixtures do not declare. Side effects: binds two sockets at construction;
    :meth:`start` serves them in threads; :meth:`close` releases them."""

    def __init__(
        self, profile: str = DEFAULT_PROFILE, fixtures: Fixtures | None = None, caller: str | None = None
    ) -> None:
        self.profile = profile
        self.world = default_world() if fixtures is None else fixtures
        declared = {c.access_key_id for c in self.world.callers}
        if caller is not None and caller not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ValueError(
                f"--caller {caller}: the fixtures declare no caller of that access key id (declared: "
                f'{known}); add it under "callers" in the --fixtures file'
            )
        self.access_key_id = caller or ACCESS_KEY_ID
        model = model_for(profile)
        self._emulator = Emulator(model, self.world)
        self._proxy = FaultProxy(
            self._emulator.url,
            FaultRates(),
            read=lambda target, body: decode_request(target, body, model),
            # a record an injected fault lists unprocessed is not stored, as with the service
            unstore=lambda record_id: self._emulator.service.forget(record_id),
        )
        self.limits = ClientLimits.of(model.shapes)
        """What the client rules read from the profile's pinned service model."""
        self.clock = Clock(self._emulator)

    def start(self) -> Self:
        self._emulator.start()
        self._proxy.start()
        return self

    def close(self) -> None:
        self._proxy.close()
        self._emulator.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def endpoint_url(self) -> str:
        """Where the seller's code sends requests: the proxy."""
        return self._proxy.url

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point an AWS SDK (boto3, the SDK for JavaScript v3, the
        AWS CLI) at the service, with throwaway credentials and no config file of the machine's."""
        return {
            "AWS_ENDPOINT_URL_MARKETPLACE_METERING": self.endpoint_url,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": _SECRET,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def process_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) without any ``AWS_*`` variable of its
        own, so no real credential or endpoint reaches the code, plus :attr:`env`."""
        kept = {k: v for k, v in (os.environ if base is None else base).items() if not k.startswith("AWS_")}
        return {**kept, **self.env}

    def faults(self, rate: float, seed: int = 0) -> None:
        """Inject faults at ``rate`` from now on (as ``--faults RATE``: a request meets a fault
        with chance ``rate``; 0: none), drawn from ``seed``. Side effect: numbers requests from 1
        again and empties the log."""
        self.use(FaultPlan(FaultRates.spread(rate), seed))

    def use(self, source: FaultSource) -> None:
        """Draw later requests' faults from ``source`` (a :class:`FaultPlan` or a schedule,
        :class:`RequestFaults`). Side effect: numbers requests from 1 again, empties the log."""
        self._proxy.use(source)

    def fixtures(self, fixtures: Fixtures | Mapping[str, Any] | Path) -> None:
        """Add to the world (a :class:`Fixtures`, a control-protocol fixtures object or a file
        of one, checked as ``--fixtures`` is); an object whose key is there already replaces it."""
        if isinstance(fixtures, Path):
            fixtures = load_fixtures_file(fixtures)
        self._emulator.declare(fixtures if isinstance(fixtures, Fixtures) else Fixtures.from_json(fixtures))

    def records(self) -> list[ControlRecord]:
        """The usage records the service accepted, in order (``.to_json()`` of each is the
        control protocol's object)."""
        service = self._emulator.service
        with service.lock:
            return list(service.records)

    def log(self) -> list[LoggedCall]:
        """The requests seen since the last :meth:`reset`, :meth:`faults` or :meth:`use`, with
        the faults each met and the answer the code got. Reading leaves the log as it is."""
        return self._proxy.log()

    def fault_counts(self) -> dict[str, int]:
        return self._proxy.counts()

    def billed(self) -> Counter[str]:
        """The usage held, counted, without what differs between two runs of the same code
        (timestamps, record ids): compare it across a run without faults and one under them."""
        return billed(self.records())

    def judge(self, log: list[LoggedCall] | None = None) -> LogJudgement:
        """The client rules judged on ``log`` (default: :meth:`log`, every request since the
        last :meth:`reset`, :meth:`faults` or :meth:`use`)."""
        return judge_log(self.log() if log is None else log, self.limits)

    def check(self) -> None:
        """Raise AssertionError naming each client rule what the code sent since the last
        :meth:`reset` (or :meth:`faults`, :meth:`use`) broke, with Expected and Received."""
        breaches = self.judge().breaches
        if breaches:
            raise AssertionError("the code broke client rules:\n" + breaches_text(breaches))

    def reset(self) -> None:
        """Back to the starting world with no records, on wall time, without faults and with an
        empty log."""
        self._emulator.forget_scopes()  # the default scope starts again in the served world
        self.use(RequestFaults())
