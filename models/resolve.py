"""ResolveCustomer: the outcomes its rules allow (RC-*), and the state after an answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .checks import Checks, build_allowed, has, refusal, shape_checks
from .expect import Allowed, Alternative, Resolve
from .outcomes import Outcome, ResolveCustomerResult
from .plans import ResolvePlan
from .requests import CallContext, ResolveCustomer
from .state import ModelState
from .view import ModelView

__all__ = ["allowed_resolve", "step_resolve"]


def allowed_resolve(
    model: ModelView, state: ModelState, req: ResolveCustomer, context: CallContext, now: datetime
) -> Allowed:
    checks = Checks()
    shape_checks(model, req, checks)
    token = state.world.tokens.get(req.registration_token or "")
    alternatives: list[Alternative]
    if checks.strict:
        alternatives = checks.refusals()
    elif token is None:
        alternatives = [refusal("RC-INVALID")]
    elif token.state == "expired":
        alternatives = [refusal("RC-EXPIRED")]
    else:
        customer = state.world.customers.get((token.product_code, token.customer_identifier))
        product = state.world.products.get(token.product_code)
        with_license = has(model, "ResolveCustomerResult", "LicenseArn")
        # RC-AGREEMENT: Metadata.AgreementId, and no CustomerIdentifier for a product on
        # concurrent agreements
        agreements = has(model, "ResolveCustomerResult", "Metadata")
        identity = Resolve(
            "RC-RESOLVE",
            customer_identifier=token.customer_identifier,
            customer_aws_account_id=customer.aws_account_id if customer else None,
            product_code=token.product_code,
            license_arn=customer.license_arn if customer and with_license else None,
            agreement_id=customer.agreement_id if customer and agreements else None,
            agreements=agreements,
            identifier_hidden=bool(
                model.profile.concurrent_agreements and product and product.concurrent_agreements
            ),
        )
        if req.registration_token in state.resolved:
            # RC-REUSE: the same identity again, or ExpiredTokenException.
            alternatives = [
                replace(identity, rule="RC-REUSE"),
                refusal("RC-REUSE"),
            ]
        else:
            # RC-RESOLVE
            alternatives = [identity]
    if not checks.strict:
        alternatives = [*checks.leading(), *alternatives]
    plan = ResolvePlan(req.registration_token)
    return build_allowed(req, context, now, state, alternatives, plan)


def step_resolve(state: ModelState, plan: ResolvePlan, req: ResolveCustomer, outcome: Outcome) -> ModelState:
    if not isinstance(outcome, ResolveCustomerResult):
        return state
    resolved = dict(state.resolved)
    resolved.setdefault(plan.token or "", outcome)
    customers = state.resolved_customers
    if outcome.product_code and outcome.customer_identifier:
        customers = customers | {(outcome.product_code, outcome.customer_identifier)}
    return replace(state, resolved=resolved, resolved_customers=customers)
