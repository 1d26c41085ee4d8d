"""MeterUsage: the outcomes its rules allow (MU-*, and the shared quantity, allocation and window
rules), and the state after an answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .catalogue import errors_of
from .checks import (
    Checks,
    allocation_checks,
    at_edge,
    build_allowed,
    has,
    hour_of,
    quantity_checks,
    refusal,
    shape_checks,
    unknown_dimension,
    unknown_product,
    window_checks,
)
from .expect import Accept, Allowed, Alternative, IdSpec, Reject
from .outcomes import MeterUsageResult, Outcome, ServiceError, is_indeterminate
from .plans import MeterPlan, RecordPlan
from .recording import (
    after_duplicate,
    after_success,
    bind_token,
    identical_rule,
    maybe_applied,
    neighbour,
)
from .requests import CallContext, MeterUsage, allocations_key, quantity_text
from .rule_ids import RuleId
from .state import Entry, ModelState, UsageKey
from .view import ModelView

__all__ = ["allowed_meter", "step_meter"]

_DUPLICATE_REQUEST = errors_of("MU-HOUR-DUPLICATE")


def allowed_meter(
    model: ModelView, state: ModelState, req: MeterUsage, context: CallContext, now: datetime
) -> Allowed:
    checks = Checks()
    shape_checks(model, req, checks)
    world = state.world
    product = world.products.get(req.product_code or "")
    caller_key = context.access_key_id or ""
    agentcore = False
    if product is None:
        checks.add("MU-PRODUCT", detail=unknown_product(req.product_code))
    else:
        caller = world.caller_for(context.access_key_id, product.code, context.region)
        agentcore = caller.platform in model.profile.agentcore_platforms
        if caller.product_code != product.code or not caller.entitled:
            detail = f"caller {caller_key or '(unsigned)'} is not entitled to product {product.code}"
            checks.add("MU-ENTITLEMENT", detail=detail)
        if caller.region != context.region:
            detail = f"caller {caller_key} runs in {caller.region}, not {context.region}"
            checks.add("MU-REGION", detail=detail)
        if isinstance(req.usage_dimension, str) and req.usage_dimension not in product.dimensions:
            detail = unknown_dimension(req.usage_dimension, product)
            checks.add("MU-DIMENSION", detail=detail)
    quantity_checks(req, checks)
    allocation_checks(model, req.allocations, req, checks)
    window_checks(model, "MeterUsage", ("MU-WINDOW", "MU-FUTURE"), req.timestamp, now, checks)
    with_token = req.client_token is not None and has(model, "MeterUsageRequest", "ClientToken")
    if agentcore and not with_token:
        # MU-AGENTCORE: an AgentCore Runtime caller must send a ClientToken
        checks.add("MU-AGENTCORE")

    quantity = req.value()
    key = None
    if (
        product is not None
        and not agentcore
        and isinstance(req.usage_dimension, str)
        and req.timestamp is not None
        and quantity is not None
    ):
        key = UsageKey("MeterUsage", product.code, caller_key, req.usage_dimension, hour_of(req.timestamp))
    entry = Entry(
        quantity,
        allocations_key(req.allocations),
        quantity_text=quantity_text(req.usage_quantity, req.usage_quantity_decimal),
    )

    token_binding = None
    token_alternatives: list[Alternative] = []
    if with_token:
        fingerprint = (
            req.product_code,
            req.timestamp,
            req.usage_dimension,
            quantity,
            allocations_key(req.allocations),
            bool(req.dry_run),
        )
        token_key = (caller_key, req.client_token or "")
        token_binding = (token_key, fingerprint)
        bound = state.client_tokens.get(token_key)
        if bound is not None and bound[0] != fingerprint:
            # MU-CLIENT-TOKEN: the token already names other parameters
            checks.add("MU-CLIENT-TOKEN")
        elif bound is not None and not bound[1]:
            # RETRY-CONVERGES: an indeterminate first try may or may not have recorded
            token_alternatives.append(Accept("RETRY-CONVERGES"))
        elif bound is not None:
            # MU-CLIENT-TOKEN (MU-AGENTCORE for an AgentCore caller): the same record again
            rule: RuleId = "MU-AGENTCORE" if agentcore else "MU-CLIENT-TOKEN"
            token_alternatives.append(Accept(rule, IdSpec(bound=bound[1])))
        elif agentcore:
            # MU-AGENTCORE: every new ClientToken is a new record, whatever the hour
            token_alternatives.append(Accept("MU-AGENTCORE", IdSpec(fresh=True)))

    key_alternatives = _meter_key_alternatives(model, state, key, entry, req, now) if key else []
    plan = MeterPlan((RecordPlan(key, entry),), False, token_binding, agentcore=agentcore)
    if req.dry_run:
        # MU-DRYRUN: DryRunOperation, or a 200 that records nothing; never records.
        dry: list[Alternative] = [
            refusal("MU-DRYRUN"),
            Accept("MU-DRYRUN", records=False),
        ]
        rejections = [a for a in key_alternatives if isinstance(a, Reject)]
        alternatives = [*checks.refusals(), *rejections, *dry]
        plan = MeterPlan()
    elif checks.strict:
        alternatives = checks.refusals()
    else:
        chosen = token_alternatives or key_alternatives
        alternatives = [*checks.leading(), *chosen]
        plan = replace(plan, recordable=True)
    if token_binding is not None and state.open_world and token_binding[0] not in state.client_tokens:
        # a ClientToken earlier examples or runs may have sent with other parameters (nothing
        # is reset): MU-CLIENT-TOKEN's refusal, for a request nobody here saw
        alternatives = [*alternatives, replace(refusal("MU-CLIENT-TOKEN"), unsure=True)]
    return build_allowed(req, context, now, state, alternatives, plan)


def _meter_key_alternatives(
    model: ModelView, state: ModelState, key: UsageKey, entry: Entry, req: MeterUsage, now: datetime
) -> list[Alternative]:
    possible = state.possible(key)
    retry = any(w is not None and w.pending for w in possible)
    out: list[Alternative] = []
    for possible_entry in possible:
        if possible_entry is None:
            # MU-CALLER-ISOLATION when another caller holds the same product/dimension/hour;
            # QTY-DECIMAL for a fresh decimal quantity.
            fresh: RuleId
            if neighbour(state, key, "subject"):
                fresh = "MU-CALLER-ISOLATION"
            else:
                fresh = "QTY-DECIMAL" if req.form() == "decimal" else "MU-ACCEPT"
                if fresh == "MU-ACCEPT" and at_edge(model, "MeterUsage", req.timestamp, now):
                    fresh = "MU-WINDOW"  # MU-WINDOW: the edge itself is inside (the profile says)
            out.append(Accept(fresh, IdSpec(fresh=True)))
        elif possible_entry.quantity is None:
            # a record nobody here saw (open world): identical, or MU-HOUR-DUPLICATE
            out += [Accept("MU-IDEMPOTENT", unsure=True), replace(refusal("MU-HOUR-DUPLICATE"), unsure=True)]
        elif possible_entry.quantity == entry.quantity:
            spec = IdSpec(bound=possible_entry.record_id)
            out.append(Accept(identical_rule("MU-IDEMPOTENT", possible_entry, entry), spec))
            if possible_entry.allocations != entry.allocations:
                out.append(refusal("MU-IDEMPOTENT"))
        else:
            # MU-HOUR-DUPLICATE
            out.append(refusal("MU-HOUR-DUPLICATE"))
    if retry:
        # RETRY-CONVERGES decides every answer about a key an indeterminate outcome left open.
        out = [replace(a, rule="RETRY-CONVERGES") for a in out]
    return out


def step_meter(state: ModelState, plan: MeterPlan, req: MeterUsage, outcome: Outcome) -> ModelState:
    if not plan.records:
        return state
    key, entry = plan.records[0].key, plan.records[0].entry
    assert entry is not None
    binding = plan.token_binding
    if isinstance(outcome, MeterUsageResult) and plan.recordable:
        if key is not None:
            state = state.with_possible(
                key, after_success(state.possible(key), entry, outcome.metering_record_id)
            )
        if binding is not None and outcome.metering_record_id:
            state = bind_token(state, binding, outcome.metering_record_id)
        return state
    if is_indeterminate(outcome) and plan.recordable:
        if key is not None:
            return state.with_possible(key, maybe_applied(state.possible(key), entry))
        if binding is not None and plan.agentcore and binding[0] not in state.client_tokens:
            return bind_token(state, binding, "")  # applied or not: a retry settles it
        return state
    if key is not None and isinstance(outcome, ServiceError) and outcome.code in _DUPLICATE_REQUEST:
        return state.with_possible(key, after_duplicate(state.possible(key), entry))
    return state
