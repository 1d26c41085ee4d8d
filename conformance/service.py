"""The reference service: one HTTP request in, the model's answer out.

Shared by the in-process ``reference`` target and the ``conformance serve`` emulator. One lock
serializes every request (the model's state is one immutable value replaced per request), so
concurrent clients never lose or double a record.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from datetime import datetime

from conformance.protocol import decode_request, encode_outcome
from conformance.signing import KeyRing
from models.model import Model
from models.realize import realize
from models.requests import CallContext
from models.state import ModelState
from models.wire import RawResponse
from models.world import Fixtures, World

__all__ = ["ReferenceService"]


class ReferenceService:
    def __init__(self, model: Model, fixtures: Fixtures | None = None, keys: KeyRing | None = None) -> None:
        self.model = model
        self.keys = keys or KeyRing()
        self._lock = threading.Lock()
        self._serial = itertools.count(1)
        self._run = uuid.uuid4().hex[:8]
        self.state: ModelState = model.initial(World.of(fixtures or Fixtures()))

    def reset(self) -> None:
        with self._lock:
            self.state = self.model.initial(World())

    def add_fixtures(self, fixtures: Fixtures) -> None:
        with self._lock:
            self.state = self.state.with_fixtures(fixtures)

    def _new_id(self) -> str:
        return f"{self._run}-{next(self._serial):08d}"

    def handle(self, target: str | None, body: bytes, context: CallContext, now: datetime) -> RawResponse:
        """Answer one request. Side effect: the service's state takes the model's step."""
        request = decode_request(target, body)
        with self._lock:
            allowed = self.model.allowed(self.state, request, context, now)
            outcome = realize(allowed, new_id=self._new_id, sign=self.keys.sign)
            self.state = self.model.step(self.state, allowed, outcome)
        return encode_outcome(outcome)
