"""The reference service: one HTTP request in, the model's answer out.

Shared by the in-process ``reference`` target and the ``conformance serve`` emulator. One lock
serializes every request (the model's state is one immutable value replaced per request), so
concurrent clients never lose or double a record.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from datetime import datetime

from conformance.emulator.hooks import NO_HOOKS, Hooks, Turn
from conformance.emulator.signing import KeyRing
from conformance.models.control_record import ControlRecord
from conformance.models.expect import Register
from conformance.models.model import Model
from conformance.models.outcomes import BatchMeterUsageResult, MeterUsageResult, Outcome
from conformance.models.realize import realize
from conformance.models.requests import (
    BatchMeterUsage,
    CallContext,
    MeterUsage,
    Request,
)
from conformance.models.response_rules import RawResponse
from conformance.models.state import ModelState, UsageKey
from conformance.models.world import Fixtures, World
from conformance.wire.protocol import decode_request, encode_outcome

__all__ = ["ReferenceService"]


class ReferenceService:
    def __init__(
        self,
        model: Model,
        fixtures: Fixtures | None = None,
        keys: KeyRing | None = None,
        *,
        shapes_first: bool = False,
        hooks: Hooks = NO_HOOKS,
    ) -> None:
        self.model = model
        self.hooks = hooks  # tests and benchmarks only (conformance.emulator.hooks)
        self._judge = hooks.model(model)
        self.shapes_first = shapes_first  # answer shape violations before any business rule
        self.keys = keys or KeyRing()
        self.lock = threading.Lock()
        self._serial = itertools.count(1)
        self._run = uuid.uuid4().hex[:8]
        self.state: ModelState = model.initial(World.of(fixtures or Fixtures()))
        self.records: list[ControlRecord] = []  # accepted usage, in order (control route)
        self._seen_ids: set[str] = set()

    def reset(self) -> None:
        with self.lock:
            self.state = self.model.initial(World())
            self.records.clear()
            self._seen_ids.clear()

    def forget(self, record_id: str) -> None:
        """Unstore the batch record accepted under ``record_id``, as if it had been left
        unprocessed: its key holds nothing and the control route no longer lists it (a record
        of another kind, or an id never given, is left as it is)."""
        with self.lock:
            key = self.state.bound_ids().get(record_id)
            if not isinstance(key, UsageKey) or key.operation != "BatchMeterUsage":
                return
            self.state = self.state.with_possible(key, frozenset({None}))
            self.records[:] = [r for r in self.records if r.metering_record_id != record_id]

    def add_fixtures(self, fixtures: Fixtures) -> None:
        with self.lock:
            self.state = self.state.with_fixtures(fixtures)

    def new_id(self) -> str:
        """A MeteringRecordId never given before by this service."""
        return f"{self._run}-{next(self._serial):08d}"

    def sign(self, expected: Register) -> str:
        return self.keys.sign(self.hooks.sign(expected))

    def answer(self, request: Request, context: CallContext, now: datetime) -> Outcome:
        """What the service answers ``request`` in its current state, without taking the step
        (a hook judging part of a batch on its own)."""
        allowed = self._judge.allowed(self.state, request, context, now)
        return realize(allowed, new_id=self.new_id, sign=self.sign, shapes_first=self.shapes_first)

    def handle(self, target: str | None, body: bytes, context: CallContext, now: datetime) -> RawResponse:
        """Answer one request. Side effect: the service's state takes the model's step."""
        request = decode_request(target, body, self.model)
        hooks = self.hooks
        locked = self.lock.acquire()
        turn = Turn(self, hooks.request(request), context, now, len(self.records))
        try:
            hooks.before(turn)
            state = self.state
            allowed = self._judge.allowed(state, turn.request, context, now)
            if hooks.racy:  # checks, then records, without holding the lock in between
                self.lock.release()
                locked = False
                time.sleep(0.001)
            outcome = hooks.outcome(
                realize(allowed, new_id=self.new_id, sign=self.sign, shapes_first=self.shapes_first), turn
            )
            # a racy service steps from the state it judged, losing what others did meanwhile
            self.state = self._judge.step(state, allowed, outcome)
            self.log(request, context, outcome)
            hooks.after(turn, outcome)
        finally:
            if locked:
                self.lock.release()
        return hooks.raw(encode_outcome(outcome))

    def log(self, request: Request, context: CallContext, outcome: Outcome) -> None:
        """List the usage ``outcome`` accepted (``GET /_conformance/records``); a record id listed
        already is not listed again."""
        if isinstance(request, MeterUsage) and isinstance(outcome, MeterUsageResult):
            rid = outcome.metering_record_id
            if rid is not None and rid not in self._seen_ids:
                self._seen_ids.add(rid)
                self.records.append(ControlRecord.of_meter(request, rid, context.access_key_id))
        elif isinstance(request, BatchMeterUsage) and isinstance(outcome, BatchMeterUsageResult):
            for result in outcome.results:
                rid = result.metering_record_id
                if result.status == "Success" and rid and rid not in self._seen_ids and result.record:
                    self._seen_ids.add(rid)
                    product = request.product_code
                    self.records.append(
                        ControlRecord.of_usage("BatchMeterUsage", product, result.record, rid, None)
                    )
