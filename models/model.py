"""The reference model: allowed outcomes of a request, and the state after an observed outcome.

``Model.allowed(state, request, context, now)`` is pure: it reads no clock and no I/O, and
returns every outcome the rules allow, each tagged with the rule ID that decides it.
``Model.step(allowed, outcome)`` returns the next state given what the target actually answered
— also when the answer was not allowed: the model then follows the target, so one divergence
does not turn into false reports on later rules.

Each rule is decided in exactly one branch below; the branch names its ID.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, Literal

from models.catalogue import RULES_BY_ID, errors_of, is_wire
from models.expect import (
    Accept,
    Allowed,
    Alternative,
    Group,
    IdSpec,
    ProcessBatch,
    RecordExpectation,
    RecordOption,
    Register,
    Reject,
    Resolve,
    match_records,
    unique,
)
from models.outcomes import (
    BatchMeterUsageResult,
    MeterUsageResult,
    Outcome,
    RecordResult,
    RegisterUsageResult,
    ResolveCustomerResult,
    ServiceError,
    is_indeterminate,
)
from models.profiles import Profile
from models.requests import (
    Allocation,
    BatchMeterUsage,
    CallContext,
    MeterUsage,
    RawRequest,
    RegisterUsage,
    Request,
    ResolveCustomer,
    UsageRecord,
    allocations_key,
    quantity_text,
    wire_size,
)
from models.shapes import ShapeIndex, Violation
from models.state import UNKNOWN_ENTRY, Entry, ModelState, UsageKey, Worlds
from models.world import Customer, Product, World

__all__ = [
    "SHAPE_RULES",
    "Model",
    "OutOfProfile",
    "Window",
    "faults",
    "hour_of",
    "isolates",
    "window_position",
]

Window = Literal["inside", "outside", "future"]

_DUPLICATE_REQUEST = errors_of("MU-HOUR-DUPLICATE")
_VALIDATION = frozenset({"ValidationException"})

# Shape constraints a specific rule decides; WIRE-VALIDATION covers every other one, and for
# these allows ValidationException beside the rule's own error (either validation order).
SHAPE_RULES: dict[tuple[str, str], str] = {
    ("UsageRecordList", "max"): "BMU-SIZE-LIMIT",
    ("TagList", "max"): "ALLOC-TAG-LIMIT",
    ("UsageAllocations", "max"): "ALLOC-COUNT-LIMIT",
    ("TagKey", "min"): "ALLOC-TAG-FORMAT",
    ("TagKey", "max"): "ALLOC-TAG-FORMAT",
    ("TagKey", "pattern"): "ALLOC-TAG-FORMAT",
    ("TagValue", "min"): "ALLOC-TAG-FORMAT",
    ("TagValue", "max"): "ALLOC-TAG-FORMAT",
    ("TagValue", "pattern"): "ALLOC-TAG-FORMAT",
}


class OutOfProfile(ValueError):
    """The request uses a member that is not part of the API in the model's profile."""


def hour_of(moment: datetime) -> datetime:
    """Duplicate detection's time: the timestamp rounded down to the hour."""
    return moment.replace(minute=0, second=0, microsecond=0)


def faults(allowed: Allowed) -> frozenset[str]:
    """The rules that refuse ``allowed.request`` as a whole, strictly or leniently. A shape
    rule's either-order ValidationException (WIRE-VALIDATION beside BMU-SIZE-LIMIT, say) is the
    same fault, not a second one."""
    refusing = {a.rule for a in allowed.alternatives if isinstance(a, Reject)}
    if refusing & set(SHAPE_RULES.values()):
        refusing.discard("WIRE-VALIDATION")
    return frozenset(refusing)


def isolates(rule: str, allowed: Allowed) -> bool:
    """Whether ``allowed.request`` shows ``rule`` alone: it breaks no other rule (a wire rule,
    which judges any answer, takes a request with at most one fault). Only such a request may
    be a counterexample for ``rule``."""
    found = faults(allowed)
    if is_wire(rule) and rule != "WIRE-VALIDATION":
        return len(found) <= 1
    return found <= {rule}


def window_position(profile: Profile, operation: str, timestamp: datetime, now: datetime) -> Window:
    """Where a timestamp stands relative to the profile's window (MU-WINDOW, BMU-WINDOW)."""
    age = now - timestamp
    if age < timedelta(0):
        return "future"
    limit = profile.meter_window if operation == "MeterUsage" else profile.batch_window
    if age > limit or (age == limit and not profile.edge_accepted):
        return "outside"
    if operation == "BatchMeterUsage" and profile.month_end_cutoff is not None:
        month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        into_month = now - month_start
        past_cutoff = into_month > profile.month_end_cutoff or (
            into_month == profile.month_end_cutoff and not profile.edge_accepted
        )
        if timestamp < month_start and past_cutoff:
            return "outside"
    return "inside"


def _unknown_product(code: str | None) -> str:
    return f"product {code!r} is not a product of this service"


def _unknown_dimension(dimension: str, product: Product) -> str:
    known = ", ".join(sorted(product.dimensions))
    return f"dimension {dimension!r} is not one of product {product.code}'s ({known})"


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment.tzinfo else moment.isoformat()


def _refusal(rule: str, detail: str | None = None) -> Reject:
    """A refusal under ``rule`` with the codes the catalogue gives it (None: any 4xx)."""
    return Reject(rule, RULES_BY_ID[rule].codes, detail=detail)


@dataclass(frozen=True)
class _RecordPlan:
    """What one record would change if the service honoured it."""

    key: UsageKey | None
    entry: Entry | None


@dataclass(frozen=True)
class _Plan:
    operation: str
    records: tuple[_RecordPlan, ...] = ()
    recordable: bool = False
    token_binding: tuple[tuple[str, str], Any] | None = None
    registration: tuple[str, str] | None = None
    token: str | None = None
    agentcore: bool = False


@dataclass(frozen=True)
class _Checks:
    """Rejections found so far: strict ones must win, lenient ones may."""

    strict: list[Reject] = field(default_factory=list)
    lenient: list[Reject] = field(default_factory=list)
    validation: list[Reject] = field(default_factory=list)
    """WIRE-VALIDATION's ValidationException for a shape constraint a specific rule decides:
    allowed beside that rule's error, after it (a service may validate shapes first)."""

    def add(
        self,
        rule: str,
        codes: frozenset[str] | Literal["catalogue"] | None = "catalogue",
        *,
        lenient: bool = False,
        detail: str | None = None,
    ) -> None:
        """``rule`` refuses the request with ``codes`` (by default the catalogue's for it;
        None: any 4xx)."""
        refusal = _refusal(rule, detail) if codes == "catalogue" else Reject(rule, codes, detail=detail)
        (self.lenient if lenient else self.strict).append(refusal)

    def refusals(self) -> list[Alternative]:
        """Every refusal allowed, the strictest first (the emulator answers with the first)."""
        return [*self.strict, *self.lenient, *self.validation]

    def leading(self) -> list[Alternative]:
        """Refusals allowed before a success where no strict rule refuses the request."""
        return [*self.lenient, *self.validation]


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
        if isinstance(request, RawRequest):
            return self._raw(request, context, now)
        if isinstance(request, MeterUsage):
            return self._meter(state, request, context, now)
        if isinstance(request, BatchMeterUsage):
            return self._batch(state, request, context, now)
        if isinstance(request, ResolveCustomer):
            return self._resolve(state, request, context, now)
        return self._register(state, request, context, now)

    def step(self, state: ModelState, allowed: Allowed, outcome: Outcome) -> ModelState:
        """The state after the target answered ``outcome`` to ``allowed.request``."""
        plan: _Plan = allowed.plan
        if plan is None:
            return state
        if plan.operation == "MeterUsage":
            return self._step_meter(state, plan, outcome)
        if plan.operation == "BatchMeterUsage":
            assert isinstance(allowed.request, BatchMeterUsage)
            return self._step_batch(state, plan, allowed.request, outcome)
        if plan.operation == "ResolveCustomer" and isinstance(outcome, ResolveCustomerResult):
            resolved = dict(state.resolved)
            resolved.setdefault(plan.token or "", outcome)
            customers = state.resolved_customers
            if outcome.product_code and outcome.customer_identifier:
                customers = customers | {(outcome.product_code, outcome.customer_identifier)}
            return replace(state, resolved=resolved, resolved_customers=customers)
        registration = plan.registration
        if isinstance(outcome, RegisterUsageResult) and registration is not None:
            return replace(state, registered=state.registered | {registration})
        return state

    def observe(
        self, state: ModelState, request: Request, context: CallContext, now: datetime, outcome: Outcome
    ) -> ModelState:
        """``step`` after ``allowed``: the next state, as a replay of one observation."""
        return self.step(state, self.allowed(state, request, context, now), outcome)

    # -- shared checks -----------------------------------------------------------------------------

    def _has(self, structure: str, member: str) -> bool:
        return self.shapes.has_member(structure, member)

    @property
    def _ignored(self) -> frozenset[str]:
        return self.profile.ignored_members

    def _shape_checks(self, request: Request, checks: _Checks) -> list[Violation]:
        violations = self.shapes.violations(self.shapes.input_shape(request.operation), request.to_params())
        violations = [v for v in violations if f"{v.shape}.{v.member}" not in self._ignored]
        # A typed request with a member the profile's API lacks is a harness error: decoding
        # leaves such members out (and judges them as unknown members, below).
        for v in violations:
            if v.constraint == "unknown":
                raise OutOfProfile(
                    f"{v.shape}.{v.member} is not part of the API in profile {self.profile.name}; "
                    "use profile 2026-11"
                )
        detail = "; ".join(str(v) for v in violations[:3]) or None
        # WIRE-VALIDATION: a broken shape constraint that no specific rule decides.
        if any((v.shape, v.constraint) not in SHAPE_RULES for v in violations):
            checks.strict.append(Reject("WIRE-VALIDATION", detail=detail))
        elif violations:
            # WIRE-VALIDATION: every shape violation may be refused with ValidationException,
            # also where a specific rule names another error (a service generated from the
            # model validates shapes before any business rule; both orders conform).
            checks.validation.append(Reject("WIRE-VALIDATION", _VALIDATION, detail=detail))
        # WIRE-VALIDATION, lenient: members the shape lacks, and bodies of the payload limit or
        # more to operations other than BatchMeterUsage (which BMU-PAYLOAD-LIMIT decides), may be
        # refused or ignored; no source says which.
        unknown = request.wire.unknown_members if not isinstance(request, RawRequest) and request.wire else ()
        oversized = (
            request.operation != "BatchMeterUsage" and wire_size(request) >= self.profile.payload_limit
        )
        if unknown or oversized:
            what = [
                f"{name} is not a member of {self.shapes.input_shape(request.operation)}" for name in unknown
            ]
            if oversized:
                what.append(f"a body of {wire_size(request)} bytes, {self.profile.payload_limit} or more")
            checks.add("WIRE-VALIDATION", lenient=True, detail="; ".join(what))
        return violations

    def _allocation_checks(
        self, allocations: tuple[Allocation, ...] | None, owner: MeterUsage | UsageRecord, checks: _Checks
    ) -> None:
        if allocations is None:
            return
        # ALLOC-COUNT-LIMIT: the profile's limit, not botocore's (they differ in 2025-01).
        if len(allocations) > self.profile.allocation_limit:
            checks.add("ALLOC-COUNT-LIMIT")
        tag_limit = int(self.shapes.limit("TagList", "max"))
        for allocation in allocations:
            tags = allocation.tags or ()
            # ALLOC-TAG-LIMIT
            if len(tags) > tag_limit:
                checks.add("ALLOC-TAG-LIMIT")
            for tag in tags:
                for shape, text in (("TagKey", tag.key), ("TagValue", tag.value)):
                    verdict = self._tag_text(shape, text)
                    if verdict != "ok":
                        # ALLOC-TAG-FORMAT
                        checks.add("ALLOC-TAG-FORMAT", lenient=verdict == "lenient")
        tag_sets = [a.tag_set() for a in allocations]
        # ALLOC-UNIQUE-TAGS
        if len(set(tag_sets)) != len(tag_sets):
            checks.add("ALLOC-UNIQUE-TAGS")
        if self._has("UsageAllocation", "AllocatedUsageQuantityAsDecimal"):
            self._allocation_form_checks(allocations, owner, checks)
        values = [v for v in (a.value() for a in allocations) if v is not None]
        total = owner.value()
        # ALLOC-SUM, in decimal arithmetic: exact for any mix of forms
        if total is not None and len(values) == len(allocations) and sum(values, Decimal(0)) != total:
            checks.add("ALLOC-SUM")

    def _allocation_form_checks(
        self, allocations: tuple[Allocation, ...], owner: MeterUsage | UsageRecord, checks: _Checks
    ) -> None:
        """ALLOC-QUANTITY-FORM: each allocation names exactly one quantity member, of the form
        its request or record uses (whole number with whole number, decimal with decimal)."""
        record_form = owner.form()
        for allocation in allocations:
            form = allocation.form()
            if form in ("omitted", "both") or (record_form in ("integer", "decimal") and form != record_form):
                checks.add("ALLOC-QUANTITY-FORM")
            elif record_form == "omitted" and form == "decimal":
                # the quantity defaults to 0 in neither form: no source says which one it is
                checks.add("ALLOC-QUANTITY-FORM", lenient=True)

    def _quantity_checks(self, owner: MeterUsage | UsageRecord, checks: _Checks) -> None:
        # QTY-ONE-FORM: the whole-number and the decimal member together
        if owner.form() == "both":
            checks.add("QTY-ONE-FORM")

    def _tag_text(self, shape: str, text: Any) -> Literal["ok", "strict", "lenient"]:
        if not isinstance(text, str):
            return "strict"
        limits = self.shapes.shapes[shape]
        return _tag_verdict(limits.get("min") or 0, limits.get("max"), limits.get("pattern") or "", text)

    def _at_edge(self, operation: str, timestamp: datetime | None, now: datetime) -> bool:
        """The timestamp is exactly the window's age: accepted or refused as the profile's edge
        rule says, so the window rule decides its answer either way."""
        window = self.profile.meter_window if operation == "MeterUsage" else self.profile.batch_window
        return timestamp is not None and now - timestamp == window

    def _window_checks(
        self,
        operation: str,
        rules: tuple[str, str],
        timestamp: datetime | None,
        now: datetime,
        checks: _Checks,
    ) -> None:
        if timestamp is None:
            return
        tolerance = self.clock_tolerance
        around = {
            window_position(self.profile, operation, timestamp, now + d) for d in (-tolerance, tolerance)
        }
        stamp, service_now = _utc_text(timestamp), _utc_text(now)
        if "outside" in around:
            # MU-WINDOW / BMU-WINDOW (lenient where the target's clock may see it inside)
            detail = f"Timestamp {stamp} is outside the window before the service's now, {service_now}"
            checks.add(rules[0], lenient=around != {"outside"}, detail=detail)
        if "future" in around:
            # MU-FUTURE / BMU-FUTURE
            detail = f"Timestamp {stamp} is later than the service's now, {service_now}"
            checks.add(rules[1], lenient=True, detail=detail)

    def _allowed(
        self,
        request: Request,
        context: CallContext,
        now: datetime,
        state: ModelState,
        alternatives: Sequence[Alternative],
        plan: _Plan | None,
        extra: frozenset[str] = frozenset(),
    ) -> Allowed:
        return Allowed(
            request=request,
            context=context,
            now=now,
            alternatives=unique(alternatives),
            used_ids=frozenset(state.bound_ids()),
            plan=plan,
            extra_rules=extra,
        )

    # -- raw requests ------------------------------------------------------------------------------

    def _raw(self, request: RawRequest, context: CallContext, now: datetime) -> Allowed:
        prefix = self.shapes.target_prefix() + "."
        operation = (request.target or "").removeprefix(prefix)
        if (
            request.target is None
            or not request.target.startswith(prefix)
            or operation not in self.shapes.model["operations"]
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
                for v in self.shapes.violations(self.shapes.input_shape(operation), body)
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

    # -- MeterUsage --------------------------------------------------------------------------------

    def _meter(self, state: ModelState, req: MeterUsage, context: CallContext, now: datetime) -> Allowed:
        checks = _Checks()
        self._shape_checks(req, checks)
        world = state.world
        product = world.products.get(req.product_code or "")
        caller_key = context.access_key_id or ""
        agentcore = False
        if product is None:
            checks.add("MU-PRODUCT", detail=_unknown_product(req.product_code))
        else:
            caller = world.caller_for(context.access_key_id, product.code, context.region)
            agentcore = caller.platform in self.profile.agentcore_platforms
            if caller.product_code != product.code or not caller.entitled:
                detail = f"caller {caller_key or '(unsigned)'} is not entitled to product {product.code}"
                checks.add("MU-ENTITLEMENT", detail=detail)
            if caller.region != context.region:
                detail = f"caller {caller_key} runs in {caller.region}, not {context.region}"
                checks.add("MU-REGION", detail=detail)
            if isinstance(req.usage_dimension, str) and req.usage_dimension not in product.dimensions:
                detail = _unknown_dimension(req.usage_dimension, product)
                checks.add("MU-DIMENSION", detail=detail)
        self._quantity_checks(req, checks)
        self._allocation_checks(req.allocations, req, checks)
        self._window_checks("MeterUsage", ("MU-WINDOW", "MU-FUTURE"), req.timestamp, now, checks)
        with_token = req.client_token is not None and self._has("MeterUsageRequest", "ClientToken")
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
            key = UsageKey(
                "MeterUsage", product.code, caller_key, req.usage_dimension, hour_of(req.timestamp)
            )
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
                rule = "MU-AGENTCORE" if agentcore else "MU-CLIENT-TOKEN"
                token_alternatives.append(Accept(rule, IdSpec(bound=bound[1])))
            elif agentcore:
                # MU-AGENTCORE: every new ClientToken is a new record, whatever the hour
                token_alternatives.append(Accept("MU-AGENTCORE", IdSpec(fresh=True)))

        key_alternatives = self._meter_key_alternatives(state, key, entry, req, now) if key else []
        plan = _Plan("MeterUsage", (_RecordPlan(key, entry),), False, token_binding, agentcore=agentcore)
        if req.dry_run:
            # MU-DRYRUN: DryRunOperation, or a 200 that records nothing; never records.
            dry: list[Alternative] = [
                _refusal("MU-DRYRUN"),
                Accept("MU-DRYRUN", records=False),
            ]
            rejections = [a for a in key_alternatives if isinstance(a, Reject)]
            alternatives = [*checks.refusals(), *rejections, *dry]
            plan = _Plan("MeterUsage")
        elif checks.strict:
            alternatives = checks.refusals()
        else:
            chosen = token_alternatives or key_alternatives
            alternatives = [*checks.leading(), *chosen]
            plan = replace(plan, recordable=True)
        return self._allowed(req, context, now, state, alternatives, plan)

    def _meter_key_alternatives(
        self, state: ModelState, key: UsageKey, entry: Entry, req: MeterUsage, now: datetime
    ) -> list[Alternative]:
        worlds = state.worlds(key)
        retry = any(w is not None and w.pending for w in worlds)
        out: list[Alternative] = []
        for world_entry in worlds:
            if world_entry is None:
                # MU-CALLER-ISOLATION when another caller holds the same product/dimension/hour;
                # QTY-DECIMAL for a fresh decimal quantity.
                if _neighbour(state, key, "subject"):
                    rule = "MU-CALLER-ISOLATION"
                else:
                    rule = "QTY-DECIMAL" if req.form() == "decimal" else "MU-ACCEPT"
                    if rule == "MU-ACCEPT" and self._at_edge("MeterUsage", req.timestamp, now):
                        rule = "MU-WINDOW"  # MU-WINDOW: the edge itself is inside (the profile says)
                out.append(Accept(rule, IdSpec(fresh=True)))
            elif world_entry.quantity is None:
                out += [Accept("MU-IDEMPOTENT"), _refusal("MU-HOUR-DUPLICATE")]
            elif world_entry.quantity == entry.quantity:
                spec = IdSpec(bound=world_entry.record_id)
                out.append(Accept(_identical_rule("MU-IDEMPOTENT", world_entry, entry), spec))
                if world_entry.allocations != entry.allocations:
                    out.append(_refusal("MU-IDEMPOTENT"))
            else:
                # MU-HOUR-DUPLICATE
                out.append(_refusal("MU-HOUR-DUPLICATE"))
        if retry:
            # RETRY-CONVERGES decides every answer about a key an indeterminate outcome left open.
            out = [replace(a, rule="RETRY-CONVERGES") for a in out]
        return out

    def _step_meter(self, state: ModelState, plan: _Plan, outcome: Outcome) -> ModelState:
        if not plan.records:
            return state
        key, entry = plan.records[0].key, plan.records[0].entry
        assert entry is not None
        binding = plan.token_binding
        if isinstance(outcome, MeterUsageResult) and plan.recordable:
            if key is not None:
                state = state.with_worlds(
                    key, _after_success(state.worlds(key), entry, outcome.metering_record_id)
                )
            if binding is not None and outcome.metering_record_id:
                state = _bind_token(state, binding, outcome.metering_record_id)
            return state
        if is_indeterminate(outcome) and plan.recordable:
            if key is not None:
                return state.with_worlds(key, _maybe_applied(state.worlds(key), entry))
            if binding is not None and plan.agentcore and binding[0] not in state.client_tokens:
                return _bind_token(state, binding, "")  # applied or not: a retry settles it
            return state
        if key is not None and isinstance(outcome, ServiceError) and outcome.code in _DUPLICATE_REQUEST:
            return state.with_worlds(key, _after_duplicate(state.worlds(key), entry))
        return state

    # -- BatchMeterUsage ---------------------------------------------------------------------------

    def _batch(self, state: ModelState, req: BatchMeterUsage, context: CallContext, now: datetime) -> Allowed:
        checks = _Checks()
        self._shape_checks(req, checks)
        records = req.usage_records
        # BMU-SIZE-LIMIT: botocore's list limit.
        if len(records) > int(self.shapes.limit("UsageRecordList", "max")):
            checks.add("BMU-SIZE-LIMIT")
        # BMU-PAYLOAD-LIMIT
        size = wire_size(req)
        if size >= self.profile.payload_limit:
            checks.add(
                "BMU-PAYLOAD-LIMIT", detail=f"a body of {size} bytes, {self.profile.payload_limit} or more"
            )
        elif size >= self.profile.payload_lenient_from:
            detail = f"a body of {size} bytes, {self.profile.payload_lenient_from} or more"
            checks.add("BMU-PAYLOAD-LIMIT", lenient=True, detail=detail)
        extra: set[str] = set()
        if not records:
            # BMU-EMPTY: 200 with no results, or a 4xx.
            checks.add("BMU-EMPTY", lenient=True)
            extra.add("BMU-EMPTY")
        world = state.world
        product = world.products.get(req.product_code or "")
        if req.product_code is None and not self.shapes.required("BatchMeterUsageRequest", "ProductCode"):
            checks.add("BMU-PRODUCT")  # no product named: any 4xx (the reading this project takes)
        elif product is None:
            checks.add("BMU-PRODUCT", errors_of("BMU-PRODUCT"), detail=_unknown_product(req.product_code))

        customers: list[Customer | None] = []
        refused: set[int] = set()
        for index, record in enumerate(records):
            self._quantity_checks(record, checks)
            self._allocation_checks(record.allocations, record, checks)
            if (
                product is not None
                and isinstance(record.dimension, str)
                and record.dimension not in product.dimensions
            ):
                detail = f"UsageRecords[{index}]: " + _unknown_dimension(record.dimension, product)
                checks.add("BMU-DIMENSION", detail=detail)
            self._window_checks(
                "BatchMeterUsage", ("BMU-WINDOW", "BMU-FUTURE"), record.timestamp, now, checks
            )
            customer = self._batch_customer(world, product.code if product else None, record, checks)
            customers.append(customer)
            if (
                self.profile.concurrent_agreements
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
            _RecordPlan(None if i in refused else _batch_key(req, r, c), _entry(r))
            for i, (r, c) in enumerate(zip(records, customers, strict=True))
        )
        alternatives: list[Alternative]
        if checks.strict:
            alternatives = checks.refusals()
            plan = _Plan("BatchMeterUsage", plans, False)
        else:
            expectations, groups = self._record_expectations(state, req, customers, plans, refused, now)
            rule = "BMU-PARTITION" if records else "BMU-EMPTY"
            alternatives = [*checks.leading(), ProcessBatch(rule, expectations, groups)]
            plan = _Plan("BatchMeterUsage", plans, True)
        return self._allowed(req, context, now, state, alternatives, plan, frozenset(extra))

    def _batch_customer(
        self, world: World, product_code: str | None, record: UsageRecord, checks: _Checks
    ) -> Customer | None:
        by_account = record.customer_aws_account_id is not None
        by_identifier = record.customer_identifier is not None
        if (by_account and by_identifier) or (
            not by_account
            and not by_identifier
            and not self.shapes.required("UsageRecord", "CustomerIdentifier")
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
        self,
        state: ModelState,
        req: BatchMeterUsage,
        customers: list[Customer | None],
        plans: tuple[_RecordPlan, ...],
        refused: set[int],
        now: datetime,
    ) -> tuple[tuple[RecordExpectation, ...], tuple[Group, ...]]:
        by_key: dict[UsageKey, list[int]] = {}
        for i, plan in enumerate(plans):
            customer = customers[i]
            if plan.key is not None and customer is not None and customer.subscribed:
                by_key.setdefault(plan.key, []).append(i)
        groups = tuple(
            Group(tuple(ix), state.worlds(key) == frozenset({None}))
            for key, ix in by_key.items()
            if len(ix) > 1
        )
        expectations = []
        for i, (record, customer, plan) in enumerate(zip(req.usage_records, customers, plans, strict=True)):
            if customer is None or not customer.subscribed:
                rule = "BMU-UNKNOWN-CUSTOMER" if customer is None else "BMU-NOT-SUBSCRIBED"
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
                options = self._record_options(
                    state, req, record, customer, plan.key, plan.entry, siblings, i, now
                )
            expectations.append(RecordExpectation(record, options, plan.key))
        return tuple(expectations), groups

    def _record_options(
        self,
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
        worlds = state.worlds(key)
        conflicting = len({req.usage_records[i].value() for i in siblings}) > 1
        out: list[RecordOption] = []
        for world_entry in worlds:
            if world_entry is None and conflicting:
                # BMU-IN-BATCH-DUPLICATE: one of the conflicting records is honoured.
                out += [
                    RecordOption("BMU-IN-BATCH-DUPLICATE", "Success", IdSpec(fresh=True)),
                    RecordOption("BMU-IN-BATCH-DUPLICATE", "DuplicateRecord"),
                ]
            elif world_entry is None:
                # An identical record earlier in the batch is the one this repeats.
                rule = (
                    "BMU-IDEMPOTENT"
                    if index != siblings[0]
                    else self._fresh_rule(state, req, record, customer, key, now)
                )
                out.append(RecordOption(rule, "Success", IdSpec(fresh=True)))
            elif world_entry.quantity is None:
                out += [
                    RecordOption("BMU-IDEMPOTENT", "Success"),
                    RecordOption("BMU-DUPLICATE", "DuplicateRecord"),
                ]
            elif world_entry.quantity == entry.quantity:
                # BMU-IDEMPOTENT (QTY-BY-VALUE: the same value in another form)
                rule = _identical_rule("BMU-IDEMPOTENT", world_entry, entry)
                out.append(RecordOption(rule, "Success", IdSpec(bound=world_entry.record_id)))
                if world_entry.allocations != entry.allocations:
                    out.append(RecordOption("BMU-IDEMPOTENT", "DuplicateRecord"))
            else:
                # BMU-DUPLICATE
                out.append(RecordOption("BMU-DUPLICATE", "DuplicateRecord"))
        if any(w is not None and w.pending for w in worlds):
            # RETRY-CONVERGES decides every answer about a key an indeterminate outcome left open.
            out = [replace(o, rule="RETRY-CONVERGES") for o in out]
        return tuple(dict.fromkeys(out))

    def _fresh_rule(
        self,
        state: ModelState,
        req: BatchMeterUsage,
        record: UsageRecord,
        customer: Customer,
        key: UsageKey,
        now: datetime,
    ) -> str:
        """The rule that decides a Success for a key nothing is recorded under."""
        if record.customer_aws_account_id is not None:
            return "BMU-ACCOUNT-ID"
        if (customer.product_code, customer.identifier) in state.resolved_customers:
            return "RC-METERABLE"
        if key in state.rejected_keys:
            return "BMU-ATOMIC"
        if record.form() == "decimal":
            return "QTY-DECIMAL"
        if _neighbour(state, key, "product_code"):
            return "BMU-PRODUCT-ISOLATION"
        if _neighbour(state, key, "subject"):
            return "BMU-CUSTOMER-ISOLATION"
        if self._at_edge("BatchMeterUsage", record.timestamp, now):
            return "BMU-WINDOW"  # BMU-WINDOW: the edge itself is inside (the profile says)
        return "BMU-ACCEPT"

    def _step_batch(
        self, state: ModelState, plan: _Plan, req: BatchMeterUsage, outcome: Outcome
    ) -> ModelState:
        keyed = [(p.key, p.entry) for p in plan.records if p.key is not None and p.entry is not None]
        if is_indeterminate(outcome):
            if plan.recordable:
                for key, entry in keyed:
                    state = state.with_worlds(key, _maybe_applied(state.worlds(key), entry))
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
                worlds = _after_success(state.worlds(key), entry, result.metering_record_id, twins)
                state = state.with_worlds(key, worlds)
            elif isinstance(result, RecordResult) and result.status == "DuplicateRecord":
                state = state.with_worlds(key, _after_duplicate(state.worlds(key), entry))
            elif not isinstance(result, RecordResult) and plan.recordable:
                state = state.with_worlds(key, _maybe_applied(state.worlds(key), entry))
        return state

    # -- ResolveCustomer ---------------------------------------------------------------------------

    def _resolve(
        self, state: ModelState, req: ResolveCustomer, context: CallContext, now: datetime
    ) -> Allowed:
        checks = _Checks()
        self._shape_checks(req, checks)
        token = state.world.tokens.get(req.registration_token or "")
        alternatives: list[Alternative]
        if checks.strict:
            alternatives = checks.refusals()
        elif token is None:
            alternatives = [_refusal("RC-INVALID")]
        elif token.state == "expired":
            alternatives = [_refusal("RC-EXPIRED")]
        else:
            customer = state.world.customers.get((token.product_code, token.customer_identifier))
            product = state.world.products.get(token.product_code)
            with_license = self._has("ResolveCustomerResult", "LicenseArn")
            # RC-AGREEMENT: Metadata.AgreementId, and no CustomerIdentifier for a product on
            # concurrent agreements
            agreements = self._has("ResolveCustomerResult", "Metadata")
            identity = Resolve(
                "RC-RESOLVE",
                customer_identifier=token.customer_identifier,
                customer_aws_account_id=customer.aws_account_id if customer else None,
                product_code=token.product_code,
                license_arn=customer.license_arn if customer and with_license else None,
                agreement_id=customer.agreement_id if customer and agreements else None,
                agreements=agreements,
                identifier_hidden=bool(
                    self.profile.concurrent_agreements and product and product.concurrent_agreements
                ),
            )
            if req.registration_token in state.resolved:
                # RC-REUSE: the same identity again, or ExpiredTokenException.
                alternatives = [
                    replace(identity, rule="RC-REUSE"),
                    _refusal("RC-REUSE"),
                ]
            else:
                # RC-RESOLVE
                alternatives = [identity]
        if not checks.strict:
            alternatives = [*checks.leading(), *alternatives]
        plan = _Plan("ResolveCustomer", token=req.registration_token)
        return self._allowed(req, context, now, state, alternatives, plan)

    # -- RegisterUsage -----------------------------------------------------------------------------

    def _register(
        self, state: ModelState, req: RegisterUsage, context: CallContext, now: datetime
    ) -> Allowed:
        checks = _Checks()
        self._shape_checks(req, checks)
        product = state.world.products.get(req.product_code or "")
        registration = None
        success_rule = "RU-SIGNATURE"
        if product is None:
            checks.add("RU-PRODUCT", detail=_unknown_product(req.product_code))
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
            supported = caller.platform in self.profile.register_platforms
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
                    self.profile.iat_tolerance,
                ),
            ]
        plan = _Plan("RegisterUsage", registration=registration)
        return self._allowed(req, context, now, state, alternatives, plan)


# -- helpers ---------------------------------------------------------------------------------------


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return None


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


def _neighbour(state: ModelState, key: UsageKey, differing: str) -> bool:
    """Something is recorded under a key equal to ``key`` but for the ``differing`` field."""
    for other in state.usage:
        if (
            other != key
            and state.recorded(other)
            and all(
                getattr(other, f) == getattr(key, f)
                for f in ("operation", "product_code", "subject", "dimension", "hour")
                if f != differing
            )
        ):
            return True
    return False


def _identical_rule(rule: str, recorded: Entry, entry: Entry) -> str:
    """The rule an identical repeat of a recorded entry exercises: MU-QUANTITY-DEFAULT when one
    of the two omits a 0 the other names, QTY-BY-VALUE when they name one value in two ways
    (17 and "17.00"), else ``rule``."""
    if recorded.quantity_omitted != entry.quantity_omitted:
        return "MU-QUANTITY-DEFAULT" if rule == "MU-IDEMPOTENT" else rule
    if recorded.quantity_text != entry.quantity_text:
        return "QTY-BY-VALUE"
    return rule


def _bind_token(state: ModelState, binding: tuple[tuple[str, str], Any], record_id: str) -> ModelState:
    tokens = dict(state.client_tokens)
    tokens[binding[0]] = (binding[1], record_id)
    return replace(state, client_tokens=tokens)


def _after_success(
    worlds: Worlds, entry: Entry, record_id: str | None, twins: Sequence[Entry] = ()
) -> Worlds:
    """After a success: the record answered with a recorded id is that record, which stands
    (an identical retry changes nothing of it); any other is ``entry``, or any of its ``twins``
    (records sent beside it that the service counts as the same), or a record an indeterminate
    outcome may have left whose id nobody saw and that ``entry`` repeats by value: then this
    answer is its id, and it stands (RETRY-CONVERGES)."""
    recorded = frozenset(e for e in worlds if e is not None and record_id and e.record_id == record_id)
    if recorded:
        return recorded
    unseen = frozenset(
        replace(e, record_id=record_id, pending=False)  # settled: the answer decides the key
        for e in worlds
        if e is not None and e.pending and e.record_id is None and e.quantity == entry.quantity
    )
    return unseen | frozenset(replace(e, record_id=record_id) for e in (entry, *twins))


def _maybe_applied(worlds: Worlds, entry: Entry) -> Worlds:
    """After an indeterminate outcome: where nothing was recorded, the entry may now be.

    Worlds that already hold a record are unchanged: there the request was idempotent or a
    duplicate, whether or not it reached the service.
    """
    if None not in worlds:
        return worlds
    return worlds | {replace(entry, pending=True)}


def _after_duplicate(worlds: Worlds, entry: Entry) -> Worlds:
    """The target said the key holds another record: keep the worlds where that is so."""
    kept = frozenset(
        w
        for w in worlds
        if w is not None
        and (w.quantity is None or w.quantity != entry.quantity or w.allocations != entry.allocations)
    )
    return kept or frozenset({UNKNOWN_ENTRY})


def _status_rank(result: RecordResult | UsageRecord | None) -> int:
    if isinstance(result, RecordResult):
        return 0 if result.status == "Success" else 1
    return 2


@cache
@lru_cache(maxsize=8192)
def _tag_verdict(low: int, high: int | None, pattern: str, text: str) -> Literal["ok", "strict", "lenient"]:
    """A tag key or value against its length limits and both readings of its pattern:
    ``lenient`` where only one reading allows a character (memoized: the same few keys recur
    in every allocation)."""
    if len(text) < low or (high is not None and len(text) > high):
        return "strict"
    regex_set, literal_set = _tag_charsets(pattern)
    verdict: Literal["ok", "strict", "lenient"] = "ok"
    for char in set(text):
        in_regex, in_literal = char in regex_set, char in literal_set
        if not in_regex and not in_literal:
            return "strict"
        if in_regex != in_literal:
            verdict = "lenient"
    return verdict


@cache
def _tag_charsets(pattern: str) -> tuple[frozenset[str], frozenset[str]]:
    """Characters the pattern allows read as a regex, and read as the Seller Guide's literal list.

    The literal reading takes only alphanumeric ranges (a-z, 0-9) as ranges: botocore's
    ``+ -=`` is then three characters, where the regex reads a range from space to ``=``.
    """
    compiled = re.compile(pattern)
    regex_set = frozenset(chr(c) for c in range(0x20, 0x7F) if compiled.search(chr(c)))
    match = re.search(r"\[(.*)\]", pattern)
    body = match.group(1) if match else ""
    literal: set[str] = set()
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            literal.add(body[i + 1])
            i += 2
        elif i + 2 < len(body) and body[i + 1] == "-" and char.isalnum() and body[i + 2].isalnum():
            literal.update(chr(c) for c in range(ord(char), ord(body[i + 2]) + 1))
            i += 3
        else:
            literal.add(char)
            i += 1
    return regex_set, frozenset(literal)


assert all(rule in RULES_BY_ID for rule in SHAPE_RULES.values())
