"""The operations the model knows, one entry each: its request type, its plan type, the rules
that decide what it may answer (``allowed``) and how an answer changes the state (``step``).
``Model`` dispatches through this table; a new operation is a request type, a plan type, its
rule module and one entry here; the strategies and the codec name it by ``name`` (a test checks
each has one)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from .batch import allowed_batch, step_batch
from .expect import Allowed
from .meter import allowed_meter, step_meter
from .outcomes import Outcome
from .plans import BatchPlan, MeterPlan, Plan, RegisterPlan, ResolvePlan
from .register import allowed_register, step_register
from .requests import BatchMeterUsage, CallContext, MeterUsage, RegisterUsage, Request, ResolveCustomer
from .resolve import allowed_resolve, step_resolve
from .state import ModelState
from .view import ModelView

__all__ = ["OPERATIONS", "Operation", "operation_of_plan", "operation_of_request"]

R = TypeVar("R", bound=Request)
P = TypeVar("P", bound=Plan)


@dataclass(frozen=True)
class Operation(Generic[R, P]):
    """One operation: ``allowed(model, state, request, context, now)`` is every outcome its
    rules allow; ``step(state, plan, request, outcome)`` the state after the target answered."""

    request: type[R]
    plan: type[P]
    allowed: Callable[[ModelView, ModelState, R, CallContext, datetime], Allowed]
    step: Callable[[ModelState, P, R, Outcome], ModelState]

    @property
    def name(self) -> str:
        """The operation's name (``BatchMeterUsage``), as its request type carries it."""
        return self.request.operation


OPERATIONS: tuple[Operation[Any, Any], ...] = (
    Operation(MeterUsage, MeterPlan, allowed_meter, step_meter),
    Operation(BatchMeterUsage, BatchPlan, allowed_batch, step_batch),
    Operation(ResolveCustomer, ResolvePlan, allowed_resolve, step_resolve),
    Operation(RegisterUsage, RegisterPlan, allowed_register, step_register),
)
_BY_REQUEST = {op.request: op for op in OPERATIONS}
_BY_PLAN = {op.plan: op for op in OPERATIONS}


def operation_of_request(request: Request) -> Operation[Any, Any] | None:
    """The operation ``request`` calls (None for a raw request, which names none the model types)."""
    return _BY_REQUEST.get(type(request))


def operation_of_plan(plan: Plan | None) -> Operation[Any, Any] | None:
    """The operation whose step ``plan`` is for (None: nothing to step, as for a raw request)."""
    return _BY_PLAN.get(type(plan)) if plan is not None else None
