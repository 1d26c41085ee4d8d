"""The hooks of the reference service: where a test double may change how it answers.

The service calls each stage of every request through one ``Hooks`` value; ``NO_HOOKS``, the
default, changes nothing. Only tests and benchmarks pass others (the mutants of
``conformance.lab.mutants`` are hooks with a name and the rules they break); ``conformance
serve`` never does. The stages, in the order a request meets them: ``model`` (the model it
judges with, once), ``request`` (the request it judges), ``before`` (the state before),
``outcome`` (the answer), ``after`` (the state and records after), ``raw`` (the bytes sent), and
``sign`` (a RegisterUsage token's claims). ``racy``: check and record without holding the lock
in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conformance.models.expect import Register
from conformance.models.model import Model
from conformance.models.outcomes import Outcome
from conformance.models.requests import CallContext, Request
from conformance.models.response_rules import RawResponse

__all__ = ["NO_HOOKS", "Hooks", "Service", "Turn"]

# the service a hook may read and change: its ``state`` (a ModelState), ``records`` (the listed
# usage), ``new_id()``, ``answer(request, context, now)`` and ``log(request, context, outcome)``
Service = Any


@dataclass(frozen=True)
class Turn:
    """One request as the hooked service handles it."""

    service: Service
    request: Request  # as judged (after the ``request`` stage)
    context: CallContext
    now: datetime
    listed: int = 0  # how many records the service listed when the request came


def _same(value: Any, *_: Any) -> Any:
    return value


def _nothing(*_: Any) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class Hooks:
    model: Callable[[Model], Model] = _same
    request: Callable[[Request], Request] = _same
    outcome: Callable[[Outcome, Turn], Outcome] = _same
    sign: Callable[[Register], Register] = _same
    raw: Callable[[RawResponse], RawResponse] = _same
    before: Callable[[Turn], None] = _nothing
    after: Callable[[Turn, Outcome], None] = _nothing
    racy: bool = False


NO_HOOKS = Hooks()
