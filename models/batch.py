"""BatchMeterUsage: the outcomes its rules allow (BMU-*, RC-METERABLE, and the shared quantity,
allocation and window rules), per batch and per record, and the state after an answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from .catalogue import errors_of
from .checks import (
    Checks,
    allocation_checks,
    at_edge,
    build_allowed,
    hour_of,
    quantity_checks,
    shape_checks,
    unknown_dimension,
    unknown_product,
    window_checks,
)
from .expect import (
    Allowed,
    Alternative,
    Group,
    IdSpec,
    ProcessBatch,
    RecordExpectation,
    RecordOption,
    match_records,
)
from .outcomes import BatchMeterUsageResult, Outcome, RecordResult, is_indeterminate
from .plans import BatchPlan, RecordPlan
from .recording import after_duplicate, after_success, identical_rule, maybe_applied, neighbour
from .requests import (
    BatchMeterUsage,
    CallContext,
    UsageRecord,
    allocations_key,
    quantity_text,
    wire_size,
)
from .rule_ids import RuleId
from .state import Entry, ModelState, UsageKey
from .view import ModelView
from .world import Customer, World

__all__ = ["allowed_batch", "step_batch"]


def allowed_batch(
    model: ModelView, state: ModelState, req: BatchMeterUsage, context: CallContext, now: datetime
) -> Allowed:
    checks = Checks()
    # BMU-API-ENABLED: never refused as disabled in the Region it was sent to
    checks.forbid("BMU-API-ENABLED", f"BatchMeterUsage is enabled in {context.region}")
    shape_checks(model, req, checks)
    records = req.usage_records
    # BMU-SIZE-LIMIT: botocore's list limit.
    if len(records) > int(model.shapes.limit("UsageRecordList", "max")):
        checks.add("BMU-SIZE-LIMIT")
    # BMU-PAYLOAD-LIMIT
    size = wire_size(req)
    if size >= model.profile.payload_limit:
        checks.add(
            "BMU-PAYLOAD-LIMIT", detail=f"a body of {size} bytes, {model.profile.payload_limit} or more"
        )
    elif size >= model.profile.payload_lenient_from:
        detail = f"a body of {size} bytes, {model.profile.payload_lenient_from} or more"
        checks.add("BMU-PAYLOAD-LIMIT", lenient=True, detail=detail)
    extra: set[RuleId] = set()
    if not records:
        # BMU-EMPTY: 200 with no results, or a 4xx.
        checks.add("BMU-EMPTY", lenient=True)
        extra.add("BMU-EMPTY")
    world = state.world
    product = world.products.get(req.product_code or "")
    if req.product_code is None and not model.shapes.required("BatchMeterUsageRequest", "ProductCode"):
        checks.add("BMU-PRODUCT")  # no product named: any 4xx (the reading this project takes)
    elif product is None:
        checks.add("BMU-PRODUCT", errors_of("BMU-PRODUCT"), detail=unknown_product(req.product_code))

    customers: list[Customer | None] = []
    refused: set[int] = set()
    for index, record in enumerate(records):
        quantity_checks(record, checks)
        allocation_checks(model, record.allocations, record, checks)
        if (
            product is not None
            and isinstance(record.dimension, str)
            and record.dimension not in product.dimensions
        ):
            detail = f"UsageRecords[{index}]: " + unknown_dimension(record.dimension, product)
            checks.add("BMU-DIMENSION", detail=detail)
        window_checks(model, "BatchMeterUsage", ("BMU-WINDOW", "BMU-FUTURE"), record.timestamp, now, checks)
        customer = _batch_customer(model, world, product.code if product else None, record, checks)
        customers.append(customer)
        if (
            model.profile.concurrent_agreements
            and product is not None
            and product.concurrent_agreements
            and record.customer_identifier is not None
            and record.customer_aws_account_id is None
        ):
            # BMU-CONCURRENT-AGREEMENTS: a record naming the customer by CustomerIdentifier
            # only is refused, the whole batch (any 4xx) or the record alone. The service
            # model says CustomerIdentifier is not supported for such products at all, so
            # an unknown identifier may be refused for this before it is looked up.
            checks.add("BMU-CONCURRENT-AGREEMENTS", lenient=True)
            refused.add(index)

    plans = tuple(
        RecordPlan(None if i in refused else _batch_key(req, r, c), _entry(r))
        for i, (r, c) in enumerate(zip(records, customers, strict=True))
    )
    alternatives: list[Alternative]
    if checks.strict:
        alternatives = checks.refusals()
        plan = BatchPlan(plans, False)
    else:
        expectations, groups = _record_expectations(model, state, req, customers, plans, refused, now)
        rule: RuleId = "BMU-PARTITION" if records else "BMU-EMPTY"
        alternatives = [*checks.leading(), ProcessBatch(rule, expectations, groups)]
        plan = BatchPlan(plans, True)
    return build_allowed(req, context, now, state, alternatives, plan, frozenset(extra), checks.forbidden)


def _batch_customer(
    model: ModelView, world: World, product_code: str | None, record: UsageRecord, checks: Checks
) -> Customer | None:
    by_account = record.customer_aws_account_id is not None
    by_identifier = record.customer_identifier is not None
    if (by_account and by_identifier) or (
        not by_account
        and not by_identifier
        and not model.shapes.required("UsageRecord", "CustomerIdentifier")
    ):
        # BMU-ACCOUNT-ID: exactly one of CustomerIdentifier and CustomerAWSAccountId.
        checks.add("BMU-ACCOUNT-ID")
        return None
    if product_code is None:
        return None
    if by_account:
        customer = world.customer_by_account(product_code, record.customer_aws_account_id or "")
    else:
        customer = world.customers.get((product_code, record.customer_identifier or ""))
    if customer is None:
        # BMU-UNKNOWN-CUSTOMER: the whole batch may be refused instead.
        checks.add("BMU-UNKNOWN-CUSTOMER", lenient=True)
        if record.license_arn is not None:
            # BMU-LICENSE: a licence cannot match a customer that does not exist
            # (InvalidLicenseException: "matches the customer"), so it may be refused so.
            checks.add("BMU-LICENSE", lenient=True)
    elif record.license_arn is not None and record.license_arn != customer.license_arn:
        # BMU-LICENSE
        checks.add("BMU-LICENSE")
    return customer


def _record_expectations(
    model: ModelView,
    state: ModelState,
    req: BatchMeterUsage,
    customers: list[Customer | None],
    plans: tuple[RecordPlan, ...],
    refused: set[int],
    now: datetime,
) -> tuple[tuple[RecordExpectation, ...], tuple[Group, ...]]:
    by_key: dict[UsageKey, list[int]] = {}
    for i, plan in enumerate(plans):
        customer = customers[i]
        if plan.key is not None and customer is not None and customer.subscribed:
            by_key.setdefault(plan.key, []).append(i)
    groups = tuple(
        Group(tuple(ix), state.possible(key) == frozenset({None}))
        for key, ix in by_key.items()
        if len(ix) > 1
    )
    expectations = []
    for i, (record, customer, plan) in enumerate(zip(req.usage_records, customers, plans, strict=True)):
        if customer is None or not customer.subscribed:
            refused_rule: RuleId = "BMU-UNKNOWN-CUSTOMER" if customer is None else "BMU-NOT-SUBSCRIBED"
            rule = refused_rule
            options: tuple[RecordOption, ...] = (RecordOption(rule, "CustomerNotSubscribed"),)
            if i in refused:  # BMU-CONCURRENT-AGREEMENTS too: any status but Success
                options += (RecordOption("BMU-CONCURRENT-AGREEMENTS", "DuplicateRecord"),)
        elif i in refused:
            # BMU-CONCURRENT-AGREEMENTS: any status but Success
            options = (
                RecordOption("BMU-CONCURRENT-AGREEMENTS", "CustomerNotSubscribed"),
                RecordOption("BMU-CONCURRENT-AGREEMENTS", "DuplicateRecord"),
            )
        else:
            assert plan.key is not None and plan.entry is not None
            siblings = by_key[plan.key]
            options = _record_options(
                model, state, req, record, customer, plan.key, plan.entry, siblings, i, now
            )
        expectations.append(RecordExpectation(record, options, plan.key))
    return tuple(expectations), groups


def _record_options(
    model: ModelView,
    state: ModelState,
    req: BatchMeterUsage,
    record: UsageRecord,
    customer: Customer,
    key: UsageKey,
    entry: Entry,
    siblings: list[int],
    index: int,
    now: datetime,
) -> tuple[RecordOption, ...]:
    """The answers a record may get: the union over every world the key may be in."""
    possible = state.possible(key)
    conflicting = len({req.usage_records[i].value() for i in siblings}) > 1
    out: list[RecordOption] = []
    for possible_entry in possible:
        if possible_entry is None and conflicting:
            # BMU-IN-BATCH-DUPLICATE: one of the conflicting records is honoured.
            out += [
                RecordOption("BMU-IN-BATCH-DUPLICATE", "Success", IdSpec(fresh=True)),
                RecordOption("BMU-IN-BATCH-DUPLICATE", "DuplicateRecord"),
            ]
        elif possible_entry is None:
            # An identical record earlier in the batch is the one this repeats.
            rule: RuleId = (
                "BMU-IDEMPOTENT"
                if index != siblings[0]
                else _fresh_rule(model, state, req, record, customer, key, now)
            )
            out.append(RecordOption(rule, "Success", IdSpec(fresh=True)))
        elif possible_entry.quantity is None:
            # a record nobody here saw (open world): identical, or BMU-DUPLICATE
            out += [
                RecordOption("BMU-IDEMPOTENT", "Success", unsure=True),
                RecordOption("BMU-DUPLICATE", "DuplicateRecord", unsure=True),
            ]
        elif possible_entry.quantity == entry.quantity:
            # BMU-IDEMPOTENT (QTY-BY-VALUE: the same value in another form)
            rule = identical_rule("BMU-IDEMPOTENT", possible_entry, entry)
            out.append(RecordOption(rule, "Success", IdSpec(bound=possible_entry.record_id)))
            if possible_entry.allocations != entry.allocations:
                out.append(RecordOption("BMU-IDEMPOTENT", "DuplicateRecord"))
        else:
            # BMU-DUPLICATE
            out.append(RecordOption("BMU-DUPLICATE", "DuplicateRecord"))
    if any(w is not None and w.pending for w in possible):
        # RETRY-CONVERGES decides every answer about a key an indeterminate outcome left open.
        out = [replace(o, rule="RETRY-CONVERGES") for o in out]
    return tuple(dict.fromkeys(out))


def _fresh_rule(
    model: ModelView,
    state: ModelState,
    req: BatchMeterUsage,
    record: UsageRecord,
    customer: Customer,
    key: UsageKey,
    now: datetime,
) -> RuleId:
    """The rule that decides a Success for a key nothing is recorded under."""
    if record.customer_aws_account_id is not None:
        return "BMU-ACCOUNT-ID"
    if (customer.product_code, customer.identifier) in state.resolved_customers:
        return "RC-METERABLE"
    if key in state.rejected_keys:
        return "BMU-ATOMIC"
    if record.form() == "decimal":
        return "QTY-DECIMAL"
    if neighbour(state, key, "product_code"):
        return "BMU-PRODUCT-ISOLATION"
    if neighbour(state, key, "subject"):
        return "BMU-CUSTOMER-ISOLATION"
    if at_edge(model, "BatchMeterUsage", record.timestamp, now):
        return "BMU-WINDOW"  # BMU-WINDOW: the edge itself is inside (the profile says)
    return "BMU-ACCEPT"


def step_batch(state: ModelState, plan: BatchPlan, req: BatchMeterUsage, outcome: Outcome) -> ModelState:
    keyed = [(p.key, p.entry) for p in plan.records if p.key is not None and p.entry is not None]
    if is_indeterminate(outcome):
        if plan.recordable:
            for key, entry in keyed:
                state = state.with_possible(key, maybe_applied(state.possible(key), entry))
        return state
    if not isinstance(outcome, BatchMeterUsageResult):
        # BMU-ATOMIC: a refused batch recorded nothing; remember its keys for attribution.
        return replace(state, rejected_keys=state.rejected_keys | {k for k, _ in keyed})
    paired, _ = match_records(req.usage_records, outcome)
    # Successes first, so an in-batch duplicate sees the record it lost to.
    order = sorted(range(len(paired)), key=lambda i: _status_rank(paired[i]))
    for i in order:
        record_key, record_entry, result = plan.records[i].key, plan.records[i].entry, paired[i]
        if record_key is None or record_entry is None:
            continue
        key, entry = record_key, record_entry
        if isinstance(result, RecordResult) and result.status == "Success":
            # records of this batch with the same key and value are one record: which of
            # them (their allocations differ) the service kept, the answer does not say
            twins = [
                p.entry
                for p in plan.records
                if p.key == key and p.entry is not None and p.entry.quantity == entry.quantity
            ]
            possible = after_success(state.possible(key), entry, result.metering_record_id, twins)
            state = state.with_possible(key, possible)
        elif isinstance(result, RecordResult) and result.status == "DuplicateRecord":
            state = state.with_possible(key, after_duplicate(state.possible(key), entry))
        elif not isinstance(result, RecordResult) and plan.recordable:
            state = state.with_possible(key, maybe_applied(state.possible(key), entry))
    return state


def _entry(record: UsageRecord) -> Entry:
    return Entry(
        record.value(),
        allocations_key(record.allocations),
        quantity_text=quantity_text(record.quantity, record.quantity_decimal),
    )


def _batch_key(req: BatchMeterUsage, record: UsageRecord, customer: Customer | None) -> UsageKey | None:
    if (
        customer is None
        or record.timestamp is None
        or not isinstance(record.dimension, str)
        or record.value() is None
    ):
        return None
    return UsageKey(
        "BatchMeterUsage",
        customer.product_code,
        customer.identifier,
        record.dimension,
        hour_of(record.timestamp),
    )


def _status_rank(result: RecordResult | UsageRecord | None) -> int:
    if isinstance(result, RecordResult):
        return 0 if result.status == "Success" else 1
    return 2
