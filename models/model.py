"""The reference model: allowed outcomes of a request, and the state after an observed outcome.

``Model.allowed(state, request, context, now)`` is pure: it reads no clock and no I/O, and
returns every outcome the rules allow, each tagged with the rule ID that decides it.
``Model.step(allowed, outcome)`` returns the next state given what the target actually answered
— also when the answer was not allowed: the model then follows the target, so one divergence
does not turn into false reports on later rules.

Each rule is decided in exactly one branch, which names its ID: the operations' own rules in
the sibling modules ``meter``, ``batch``, ``resolve`` and ``register``, the checks they share
(shapes, quantities, allocations, windows) in ``checks``, raw requests' wire rules here.
This module is the facade: it dispatches by operation and by plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .catalogue import is_wire
from .checks import (
    SHAPE_RULES,
    OutOfProfile,
    Window,
    hour_of,
    window_position,
)
from .expect import Allowed, Alternative, Reject
from .operations import operation_of_plan, operation_of_request
from .outcomes import Outcome
from .profiles import Profile
from .requests import (
    CallContext,
    RawRequest,
    Request,
)
from .rule_ids import RuleId
from .shapes import ShapeIndex
from .state import ModelState
from .world import World

__all__ = [
    "SHAPE_RULES",
    "Model",
    "OutOfProfile",
    "Window",
    "hour_of",
    "isolates",
    "refusing_rules",
    "window_position",
]


def refusing_rules(allowed: Allowed) -> frozenset[RuleId]:
    """The rules that refuse ``allowed.request`` as a whole, strictly or leniently (not where
    only a record the harness cannot see would: :attr:`Reject.unsure`). A shape
    rule's either-order ValidationException (WIRE-VALIDATION beside BMU-SIZE-LIMIT, say) is the
    same fault, not a second one."""
    refusing: set[RuleId] = {a.rule for a in allowed.alternatives if isinstance(a, Reject) and not a.unsure}
    if refusing & set(SHAPE_RULES.values()):
        validation: RuleId = "WIRE-VALIDATION"  # typed: discard takes any object
        refusing.discard(validation)
    return frozenset(refusing)


def isolates(rule: RuleId, allowed: Allowed) -> bool:
    """Whether ``allowed.request`` shows ``rule`` alone: it breaks no other rule (a wire rule,
    which judges any answer, takes a request with at most one fault). Only such a request may
    be a counterexample for ``rule``."""
    found = refusing_rules(allowed)
    if is_wire(rule) and rule != "WIRE-VALIDATION":
        return len(found) <= 1
    return found <= {rule}


@dataclass(frozen=True)
class Model:
    """The pure reference model for one profile, over one service model's shapes."""

    profile: Profile
    shapes: ShapeIndex
    clock_tolerance: timedelta = timedelta(0)
    """How far a target's clock may be from the ``now`` it is judged at (a target on wall time):
    a timestamp that an edge of the window falls within this of may be accepted or refused."""

    # -- public API --------------------------------------------------------------------------------

    def initial(self, world: World, *, open_world: bool = False) -> ModelState:
        """A fresh service with this world. ``open_world``: keys may be recorded already (AWS)."""
        return ModelState(world=world, open_world=open_world)

    def allowed(self, state: ModelState, request: Request, context: CallContext, now: datetime) -> Allowed:
        """Every outcome the rules allow for ``request`` sent by ``context`` at ``now``."""
        operation = operation_of_request(request)
        if operation is None:
            assert isinstance(request, RawRequest)
            return _allowed_raw(self, request, context, now)
        return operation.allowed(self, state, request, context, now)

    def step(self, state: ModelState, allowed: Allowed, outcome: Outcome) -> ModelState:
        """The state after the target answered ``outcome`` to ``allowed.request``."""
        operation = operation_of_plan(allowed.plan)
        if operation is None:
            return state  # a raw request changes nothing
        return operation.step(state, allowed.plan, allowed.request, outcome)

    def observe(
        self, state: ModelState, request: Request, context: CallContext, now: datetime, outcome: Outcome
    ) -> ModelState:
        """``step`` after ``allowed``: the next state, as a replay of one observation."""
        return self.step(state, self.allowed(state, request, context, now), outcome)


# -- raw requests ------------------------------------------------------------------------------


def _allowed_raw(model: Model, request: RawRequest, context: CallContext, now: datetime) -> Allowed:
    prefix = model.shapes.target_prefix() + "."
    operation = (request.target or "").removeprefix(prefix)
    if (
        request.target is None
        or not request.target.startswith(prefix)
        or operation not in model.shapes.model["operations"]
    ):
        # WIRE-UNKNOWN-OP
        named = f"operation {request.target!r}" if request.target else "no X-Amz-Target header"
        alternatives: list[Alternative] = [
            Reject(
                "WIRE-UNKNOWN-OP",
                suggested="UnknownOperationException",
                detail=f"{named}: not an operation of {prefix.rstrip('.')}",
            )
        ]
    elif isinstance(body := _json_or_none(request.body), dict):
        # WIRE-VALIDATION: a JSON object the operation's types cannot hold (a member of the
        # wrong type, a timestamp out of any datetime's range).
        wrong = [
            v
            for v in model.shapes.violations(model.shapes.input_shape(operation), body)
            if v.constraint == "type"
        ]
        detail = "; ".join(str(v) for v in wrong[:3]) or "a value no datetime can hold"
        alternatives = [Reject("WIRE-VALIDATION", suggested="SerializationException", detail=detail)]
    else:
        # WIRE-MALFORMED
        alternatives = [
            Reject("WIRE-MALFORMED", suggested="SerializationException", detail="the body is not JSON")
        ]
    return Allowed(request, context, now, tuple(alternatives), frozenset(), None)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None
