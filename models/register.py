"""RegisterUsage: the outcomes its rules allow (RU-*), and the state after an answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .checks import Checks, build_allowed, shape_checks, unknown_product
from .expect import Allowed, Alternative, Register
from .outcomes import Outcome, RegisterUsageResult
from .plans import RegisterPlan
from .requests import CallContext, RegisterUsage
from .rule_ids import RuleId
from .state import ModelState
from .view import ModelView

__all__ = ["allowed_register", "step_register"]


def allowed_register(
    model: ModelView, state: ModelState, req: RegisterUsage, context: CallContext, now: datetime
) -> Allowed:
    checks = Checks()
    shape_checks(model, req, checks)
    product = state.world.products.get(req.product_code or "")
    registration = None
    success_rule: RuleId = "RU-SIGNATURE"
    if product is None:
        checks.add("RU-PRODUCT", detail=unknown_product(req.product_code))
    else:
        if (
            isinstance(req.public_key_version, int)
            and req.public_key_version not in product.public_key_versions
        ):
            checks.add("RU-KEY-VERSION")
        caller = state.world.caller_for(context.access_key_id, product.code, context.region)
        registration = (caller.access_key_id, product.code)
        if caller.region != context.region:
            checks.add("RU-REGION")
        entitled = caller.product_code == product.code and caller.entitled
        supported = caller.platform in model.profile.register_platforms
        if registration in state.registered:
            if not (entitled and supported):
                # RU-FIRST-CALL-ONLY: a registered caller keeps succeeding.
                success_rule = "RU-FIRST-CALL-ONLY"
        else:
            if not entitled:
                checks.add("RU-ENTITLEMENT")
            if not supported:
                checks.add("RU-PLATFORM")
    alternatives: list[Alternative]
    if checks.strict or product is None or not isinstance(req.public_key_version, int):
        alternatives = checks.refusals()
    else:
        # RU-SIGNATURE (and RU-NONCE when a nonce is sent), judged on the token's claims.
        alternatives = [
            *checks.leading(),
            Register(
                success_rule,
                product.code,
                req.public_key_version,
                req.nonce,
                now,
                model.profile.iat_tolerance,
            ),
        ]
    plan = RegisterPlan(registration)
    return build_allowed(req, context, now, state, alternatives, plan)


def step_register(state: ModelState, plan: RegisterPlan, req: RegisterUsage, outcome: Outcome) -> ModelState:
    if isinstance(outcome, RegisterUsageResult) and plan.registration is not None:
        return replace(state, registered=state.registered | {plan.registration})
    return state
