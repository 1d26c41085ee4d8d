"""Model-aware request strategies: requests drawn from the model's current state and clock.

A :class:`Scene` is what the strategies see: the model (profile and shapes), its state (world,
recorded keys, resolved tokens, registered callers), the service's ``now`` and the campaign's
names. Every strategy shrinks toward one small valid request: one record, quantity 0, no
allocations, a subscribed customer, the first dimension, the start of the current hour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import strategies as st

from conformance.models.model import Model
from conformance.models.requests import (
    OPERATION_NAMES,
    BatchMeterUsage,
    CallContext,
    MeterUsage,
    RawRequest,
    RegisterUsage,
    Request,
    ResolveCustomer,
    UsageRecord,
    request_from_params,
)
from conformance.models.state import ModelState, UsageKey
from conformance.models.world import SERVICE_REGION, Caller, Customer, Fixtures, Product

from .aims import Aim
from .allocations import (
    Pair,
    decimal_text,
    invalid_allocations,
    invalid_quantities,
    quantity_members,
    valid_allocations,
)
from .names import Names
from .payload import sized_batch
from .shapes import one_violation
from .timestamps import edge_timestamps, inside_timestamps

__all__ = [
    "REQUEST_KINDS",
    "REQUEST_STRATEGIES",
    "Scene",
    "aim_ready",
    "batch_requests",
    "defects",
    "fixture_changes",
    "invalid_requests",
    "meter_requests",
    "raw_requests",
    "register_requests",
    "requests",
    "resolve_requests",
    "usage_records",
]

Sent = tuple[Request, CallContext]
SELLER = CallContext()
_NO_AIM = Aim()
_MEMO_LIMIT = 4096  # strategies kept per campaign at most (a campaign's possible and clocks)

K = TypeVar("K")
V = TypeVar("V")


def _once(build: Callable[..., V]) -> Callable[..., V]:
    """``build`` called at most once per distinct arguments (within one scene's strategy).

    A ``flatmap`` calls its function at every draw; a strategy it returns anew is validated
    anew by Hypothesis, which cost more than the draws themselves. The same object draws the
    same values from the same choices, so caching changes no request a seed draws.
    """
    built: dict[Any, V] = {}

    def cached(*args: Any) -> V:
        if args not in built:
            built[args] = build(*args)
        return built[args]

    return cached


@dataclass(frozen=True)
class Scene:
    """The model, its state, the service's now and the campaign's names."""

    model: Model
    state: ModelState
    now: datetime
    names: Names
    region: str = SERVICE_REGION
    heavy: bool = True  # False: no megabyte-sized bodies (they cost a campaign that needs none)
    # False where the target knows only the declared callers (no control protocol): an access key
    # nobody declared is an entitled ec2 caller by the control protocol's convention only
    undeclared_callers: bool = True
    aim: Aim = _NO_AIM  # what a campaign's rule needs drawn most (strategies.aims)
    # strategies that read only the world and the clock, kept across the scenes of one
    # campaign (see ``kept``); None keeps nothing
    memo: dict[Any, Any] | None = field(default=None, compare=False, repr=False)

    def kept(self, key: tuple[Any, ...], build: Callable[[], V]) -> V:
        """``build()``, made once per world, clock and ``key`` while the memo lasts.

        Only for strategies that read nothing of the state but its world, and the scene's now:
        Hypothesis validates every new strategy object, which costs more than drawing from
        it, and an equal strategy draws the same values from the same choices, so keeping one
        changes no request a seed draws.
        """
        if self.memo is None:
            return build()
        world = self.state.world
        full = (id(world), self.now, key)
        hit = self.memo.get(full)
        if hit is not None and hit[0] is world:  # the world object is held: its id is not reused
            return hit[1]  # type: ignore[no-any-return]
        if len(self.memo) >= _MEMO_LIMIT:
            self.memo.clear()
        value = build()
        self.memo[full] = (world, value)
        return value

    @property
    def products(self) -> list[Product]:
        return sorted(self.state.world.products.values(), key=lambda p: p.code)

    def customers(self, product: str) -> list[Customer]:
        found = [c for c in self.state.world.customers.values() if c.product_code == product]
        return sorted(found, key=lambda c: (not c.subscribed, c.identifier))

    @property
    def profile_2026(self) -> bool:
        """Records may name customers by account id and licence (the profile's shapes say)."""
        return self.model.shapes.has_member("UsageRecord", "CustomerAWSAccountId")

    @property
    def decimals(self) -> bool:
        """Quantities may be decimal strings (the profile's shapes say)."""
        return self.model.shapes.has_member("UsageRecord", "QuantityAsDecimal")

    def on_concurrent_agreements(self, product: str) -> bool:
        """Records for ``product`` must name the customer by account id (2026-11)."""
        declared = self.state.world.products.get(product)
        return bool(self.model.profile.concurrent_agreements and declared and declared.concurrent_agreements)

    def allocations(self, defect: str | None) -> st.SearchStrategy[Pair]:
        """Quantities with allocations: valid, or with the ``allocations`` or ``quantity`` defect."""
        if defect == "allocations":
            return invalid_allocations(self.model.shapes, self.model.profile, self.decimals, self.aim.rule)
        if defect == "quantity":
            return invalid_quantities()
        if self.aim.zeros:
            zero = st.sampled_from([(0, None), (None, None), *([("0", None)] if self.decimals else [])])
            return st.one_of(zero, valid_allocations(self.decimals))
        return valid_allocations(self.decimals)

    def record_defects(self) -> tuple[str, ...]:
        return RECORD_DEFECTS if self.decimals else tuple(f for f in RECORD_DEFECTS if f != "quantity")


REQUEST_KINDS = (*OPERATION_NAMES, "invalid", "raw")
"""What :func:`requests` can focus on: an operation (by its name) or a request no SDK sends."""


def requests(scene: Scene, focus: str | None = None) -> st.SearchStrategy[Sent]:
    """Any request of the four operations, a shape violation or a raw one.

    ``focus`` (one of REQUEST_KINDS) makes that kind three draws in four, so a campaign
    about one operation builds long sequences of it. Shrinks toward the valid request with the
    fewest choices (a ResolveCustomer of a valid token), or toward the simplest request of the
    focused kind.
    """
    kinds: dict[str, Callable[[Scene], st.SearchStrategy[Sent]]] = {
        **REQUEST_STRATEGIES,
        "invalid": invalid_requests,
        "raw": raw_requests,
    }
    if focus is not None and focus not in kinds:
        raise ValueError(f"focus {focus!r} is not one of {', '.join(REQUEST_KINDS)}")
    # a world declared in a fixtures file may lack what a kind needs (a product with customers
    # for a batch, any product for MeterUsage and RegisterUsage): that kind is never drawn
    skipped = _undrawable(scene)
    batch, meter = BatchMeterUsage.operation, MeterUsage.operation
    every = [batch, meter, batch, meter, RegisterUsage.operation, ResolveCustomer.operation, "invalid", "raw"]
    weighted = [kind for kind in every if kind not in skipped]
    if focus is not None and focus not in skipped:
        weighted = [focus] * 3 * len(weighted) + weighted
    build = _once(lambda kind: kinds[kind](scene))
    return st.sampled_from(weighted).flatmap(build)


def _undrawable(scene: Scene) -> set[str]:
    """The request kinds the scene's world gives nothing to draw from."""
    products = scene.products
    if not products:
        return {BatchMeterUsage.operation, MeterUsage.operation, RegisterUsage.operation}
    skipped = set() if any(scene.customers(p.code) for p in products) else {BatchMeterUsage.operation}
    if not scene.undeclared_callers and not scene.state.world.callers:
        skipped |= {MeterUsage.operation, RegisterUsage.operation}
    return skipped


def defects(*kinds: str, aimed: Sequence[str] = ()) -> st.SearchStrategy[str | None]:
    """None (a valid request) half the time, else one of the named defects; with ``aimed``
    defects among ``kinds``, those half the time and None a quarter. Shrinks to None."""
    if not kinds:
        return st.none()
    options: list[str | None] = [None] * len(kinds) + list(kinds)
    tilted = [k for k in aimed if k in kinds]
    if tilted:
        options += tilted * (len(options) // len(tilted))
    return st.sampled_from(options)


# -- BatchMeterUsage -------------------------------------------------------------------------------


def batch_requests(scene: Scene) -> st.SearchStrategy[Sent]:
    """Batches of 1-4 valid records, then (drawn after them, so a shrink can remove it) at
    most one defect: one of the records made bad (customer, dimension, timestamp or
    allocations), an unknown product, the batch grown to 25 or 26 records, no records, a
    conflicting copy of the first record, or (built only when drawn, and only in a ``heavy``
    scene) a body of exactly 10^6 - 1, 10^6, 2^20 - 1 or 2^20 bytes. Shrinks toward one valid
    record for the first product, quantity 0, no allocations, the start of the current hour.
    Only products with customers are metered (with none the strategy draws nothing)."""
    products = [p.code for p in scene.products if scene.customers(p.code)]
    if not products:
        return st.nothing()
    limit = int(scene.model.shapes.limit("UsageRecordList", "max"))
    bad_records = _once(lambda product, defect: usage_records(scene, product, defect))

    def with_fault(
        product: str, base: list[UsageRecord], defect: str | None
    ) -> st.SearchStrategy[BatchMeterUsage]:
        records: st.SearchStrategy[list[UsageRecord]] = st.just(base)
        if defect in scene.record_defects():
            bad = bad_records(product, defect)
            records = st.tuples(bad, st.integers(0, len(base) - 1)).map(
                lambda bp: [*base[: bp[1]], bp[0], *base[bp[1] + 1 :]]
            )
        elif defect == "size":
            records = st.sampled_from([limit, limit + 1]).map(lambda n: _varied(scene, product, base[0], n))
        elif defect == "empty":
            records = st.just([])
        elif defect == "conflict":
            first = base[0]
            records = st.just([*base, replace(first, quantity=(first.quantity or 0) + 1, allocations=None)])
        elif defect == "payload":
            return _sized(scene, product, base[0])
        code = scene.names.unknown("prod") if defect == "product" else product
        return records.map(lambda rs: BatchMeterUsage(code, tuple(rs)))

    def for_product(product: str) -> st.SearchStrategy[BatchMeterUsage]:
        base = st.lists(usage_records(scene, product), min_size=1, max_size=4)
        kinds = tuple(
            f
            for f in BATCH_DEFECTS
            if (f != "payload" or scene.heavy) and (f not in RECORD_DEFECTS or f in scene.record_defects())
        )
        return st.tuples(base, defects(*kinds, aimed=scene.aim.defects)).flatmap(
            lambda bf: with_fault(product, *bf)
        )

    return st.sampled_from(products).flatmap(_once(for_product)).map(lambda b: (b, SELLER))


RECORD_DEFECTS = ("customer", "dimension", "timestamp", "allocations", "quantity")
BATCH_DEFECTS = (*RECORD_DEFECTS, "product", "size", "empty", "conflict", "payload")


def _varied(scene: Scene, product: str, record: UsageRecord, count: int) -> list[UsageRecord]:
    """``count`` valid records from one: customers and dimensions cycled, so records that share
    a key are identical (one in-batch group, all Success)."""
    world_product = scene.state.world.products.get(product)
    dimensions = sorted(world_product.dimensions) if world_product else [record.dimension]
    customers: list[str | None] = [c.identifier for c in scene.customers(product) if c.subscribed]
    customers = customers or [record.customer_identifier]
    pairs = [(c, d) for c in customers for d in dimensions]
    return [
        replace(
            record,
            customer_identifier=pairs[i % len(pairs)][0],
            dimension=pairs[i % len(pairs)][1],
            customer_aws_account_id=None,
            license_arn=None,
        )
        for i in range(count)
    ]


def _sized(scene: Scene, product: str, record: UsageRecord) -> st.SearchStrategy[BatchMeterUsage]:
    """A valid batch of an exact body size around the payload limits, for ``record``'s
    customer and dimension (a subscribed customer of the first kind if it names none)."""
    profile = scene.model.profile
    customers = [c for c in scene.customers(product) if c.subscribed]
    world_product = scene.state.world.products.get(product)
    if not customers or world_product is None:
        return st.nothing()
    customer = record.customer_identifier if record.customer_identifier else customers[0].identifier
    dimension = (
        record.dimension
        if record.dimension in world_product.dimensions
        else sorted(world_product.dimensions)[0]
    )
    sizes = [
        profile.payload_lenient_from - 1,
        profile.payload_lenient_from,
        profile.payload_limit - 1,
        profile.payload_limit,
    ]
    stamp = scene.now - timedelta(minutes=1)
    return st.sampled_from(sizes).map(
        lambda size: sized_batch(scene.model.shapes, profile, product, customer, dimension, stamp, size)
    )


def usage_records(scene: Scene, product: str, defect: str | None = None) -> st.SearchStrategy[UsageRecord]:
    """One record for ``product``.

    Valid (``defect`` None): a subscribed customer (in 2026-11 also named by account id, or with
    its licence), a known dimension, a timestamp inside the window, valid allocations; or a
    record on (or beside) a key the model already holds. With a ``defect`` from RECORD_DEFECTS:
    an unsubscribed or unknown customer (2026-11: unknown account id, wrong licence, both
    names), an unknown dimension, a timestamp at or past an edge, allocations an ALLOC rule
    refuses, or (2026-11) a quantity the service refuses. For a product on concurrent
    agreements (2026-11) valid records name the customer by account id, and one named by
    CustomerIdentifier is itself the defect. Shrinks toward a fresh valid record of the first
    subscribed customer.
    """
    fresh = scene.kept(("records", product, defect), lambda: _fresh_records(scene, product, defect))
    repeats = _repeat_records(scene, "BatchMeterUsage", product) if defect is None else None
    return _fresh_or_repeated(scene, fresh, repeats)


def _fresh_records(scene: Scene, product: str, defect: str | None) -> st.SearchStrategy[UsageRecord]:
    names = scene.names
    world_product = scene.state.world.products.get(product)
    dimensions = sorted(world_product.dimensions) if world_product else [names.dimension(0)]
    customers = scene.customers(product)
    subscribed = [c for c in customers if c.subscribed] or customers
    profile = scene.model.profile
    naming = st.sampled_from([c.identifier for c in subscribed]).map(lambda i: {"customer_identifier": i})
    concurrent = scene.on_concurrent_agreements(product)
    if concurrent and subscribed:
        by_account = st.sampled_from(subscribed).map(
            lambda c: {"customer_identifier": None, "customer_aws_account_id": c.aws_account_id}
        )
        with_licence = st.sampled_from(subscribed).map(
            lambda c: {
                "customer_identifier": None,
                "customer_aws_account_id": c.aws_account_id,
                "license_arn": c.license_arn,
            }
        )
        naming = st.one_of(by_account, with_licence, naming)  # by identifier: refused
    elif scene.profile_2026 and subscribed:
        naming = st.one_of(
            naming,
            st.sampled_from(subscribed).map(
                lambda c: {"customer_identifier": None, "customer_aws_account_id": c.aws_account_id}
            ),
            st.sampled_from(subscribed).map(
                lambda c: {"customer_identifier": c.identifier, "license_arn": c.license_arn}
            ),
        )
    dimension = st.sampled_from(dimensions)
    stamp = inside_timestamps(profile, "BatchMeterUsage", scene.now)
    allocations = scene.allocations(defect)
    if defect == "customer":
        unsubscribed = [c.identifier for c in customers if not c.subscribed][:1]
        wrong: list[dict[str, Any]] = [
            {"customer_identifier": i} for i in [*unsubscribed, names.unknown("cust")]
        ]
        if scene.profile_2026 and subscribed:
            first = subscribed[0]
            wrong += [
                {"customer_identifier": None, "customer_aws_account_id": "999999999999"},
                {"customer_identifier": first.identifier, "license_arn": names.license_arn(77)},
                {"customer_identifier": first.identifier, "customer_aws_account_id": first.aws_account_id},
            ]
        naming = st.sampled_from(wrong)
    elif defect == "dimension":
        dimension = st.just(names.unknown("dim"))
    elif defect == "timestamp":
        stamp = edge_timestamps(profile, "BatchMeterUsage", scene.now)
    return st.builds(_record, naming, dimension, stamp, allocations)


def _fresh_or_repeated(
    scene: Scene, fresh: st.SearchStrategy[V], repeats: st.SearchStrategy[V] | None
) -> st.SearchStrategy[V]:
    """``fresh`` or ``repeats`` alike; repeats two times in three where the scene aims at them."""
    if repeats is None:
        return fresh
    return st.one_of(fresh, repeats, repeats) if scene.aim.repeat else st.one_of(fresh, repeats)


def _record(naming: dict[str, Any], dimension: str, timestamp: datetime, qa: Pair) -> UsageRecord:
    integer, decimal = quantity_members(qa[0])
    return UsageRecord(
        timestamp, dimension, quantity=integer, allocations=qa[1], quantity_decimal=decimal, **naming
    )


def _repeat_records(
    scene: Scene, operation: str, product: str, subject: str | None = None
) -> st.SearchStrategy[UsageRecord] | None:
    """Records on (or beside) keys the model holds something for.

    In order: the same key with the same quantity (identical; an omitted quantity for a 0; in
    2026-11 also the same value in the other form, 17 for "17.00": QTY-BY-VALUE), the same key
    with another quantity, the same dimension and hour for another subscribed
    customer of the product, and for a customer of this product whose identifier holds the
    key under another product (the isolation rules). Keys of refused batches count too
    (BMU-ATOMIC). With ``subject`` (a MeterUsage caller), that caller's own keys are drawn half
    the time.
    """
    keys = _held_keys(scene.state, operation)
    if not keys:
        return None
    own = [k for k in keys if k.product_code == product]
    mine = [k for k in own if k.subject == subject]
    if mine and len(mine) < len(own):
        own_keys: st.SearchStrategy[UsageKey] = st.one_of(st.sampled_from(mine), st.sampled_from(own))
    else:
        own_keys = st.sampled_from(own) if own else st.nothing()
    subscribed = [c.identifier for c in scene.customers(product) if c.subscribed]
    world = scene.state.world
    by_account = operation == "BatchMeterUsage" and scene.on_concurrent_agreements(product)

    def held(key: UsageKey) -> tuple[Decimal, str]:
        """The quantity recorded under ``key`` (0 if none) and how it was sent."""
        # sorted: a frozenset's order follows string hashing, which differs between processes,
        # and the same seed must draw the same requests everywhere
        entries = sorted(
            (e for e in scene.state.possible(key) if e is not None and e.quantity is not None),
            key=lambda e: (e.quantity or 0, e.record_id or "", e.quantity_text),
        )
        return (entries[0].quantity or Decimal(0), entries[0].quantity_text) if entries else (Decimal(0), "0")

    def stamp(key: UsageKey, minute: int) -> datetime:
        return min(key.hour + timedelta(minutes=minute), scene.now)

    def record(key: UsageKey, minute: int, customer: str, quantity: dict[str, Any]) -> UsageRecord:
        if by_account and (product, customer) in world.customers:
            account = world.customers[(product, customer)].aws_account_id
            return UsageRecord(
                stamp(key, minute), key.dimension, None, customer_aws_account_id=account, **quantity
            )
        return UsageRecord(stamp(key, minute), key.dimension, customer, **quantity)

    def same_key(key: UsageKey, minute: int, variant: int) -> UsageRecord:
        """variant 0: the same value (a 0 toggles omitted and explicit: MU-QUANTITY-DEFAULT;
        identical repeats in the same form come from retries), 1: another value, 2: the same
        value in the other form (QTY-BY-VALUE)."""
        value, text = held(key)
        decimal_form = text.startswith("d:")
        quantity: dict[str, Any]
        if variant == 1:
            quantity = _members(value + 1, decimal_form)
        elif variant == 2:
            quantity = _members(value, not decimal_form, respell=True)
        elif value == 0 and text != "":
            quantity = {}
        else:
            quantity = _members(value, decimal_form)
        return record(key, minute, key.subject, quantity)

    def beside(key: UsageKey, minute: int, customer: str) -> UsageRecord:
        value, text = held(key)
        return record(key, minute, customer, _members(value + 1, text.startswith("d:")))

    def other_customer(key: UsageKey, minute: int, pick: int) -> UsageRecord:
        others = [c for c in subscribed if c != key.subject] or [key.subject]
        return beside(key, minute, others[pick % len(others)])

    options: dict[str, st.SearchStrategy[UsageRecord]] = {}
    if own:
        variants = st.integers(0, 2) if scene.decimals else st.booleans().map(int)
        if scene.decimals and scene.aim.respell:
            variants = st.one_of(variants, st.just(2))
        options["same"] = st.builds(same_key, own_keys, st.integers(0, 59), variants)
        options["beside"] = st.builds(
            other_customer, st.sampled_from(own), st.integers(0, 59), st.integers(0, 7)
        )
    foreign = _foreign_keys(scene, keys, product, subscribed)
    if foreign:
        options["foreign"] = st.sampled_from(foreign).flatmap(
            lambda k: st.integers(0, 59).map(lambda m: beside(k, m, k.subject))
        )
    if not options:
        return None
    aimed = options.get(scene.aim.repeat or "")
    return st.one_of(*options.values(), *([aimed] * 3 if aimed is not None else []))


def _held_keys(state: ModelState, operation: str) -> list[UsageKey]:
    """The keys of ``operation`` the model holds a record for, or that a refused batch named."""
    recorded = {k for k in state.usage if k.operation == operation and state.recorded(k)}
    return sorted(recorded | {k for k in state.rejected_keys if k.operation == operation})


def _foreign_keys(
    scene: Scene, keys: Sequence[UsageKey], product: str, subscribed: Sequence[str]
) -> list[UsageKey]:
    """Another product's keys of a customer ``product`` has too, on a dimension ``product`` has
    (on another, the record would be refused for its dimension, never judged for isolation)."""
    world = scene.state.world
    dimensions = world.products[product].dimensions if product in world.products else ()
    return [
        k for k in keys if k.product_code != product and k.subject in subscribed and k.dimension in dimensions
    ]


def aim_ready(scene: Scene) -> bool:
    """Whether the model's state holds what the scene's aim needs before its rule can be
    decided (True for an aim that needs nothing): a customer resolved, for an aim at what comes
    after ResolveCustomer; for an aimed repeat, a key of the aimed kind's operation, one
    holding 0 for an aim at zeros, one another product shares a customer and dimension with for
    ``foreign``. A campaign searches no longer than after reaching its rule while it is not."""
    aim, state = scene.aim, scene.state
    if aim.after_resolve and not state.resolved_customers:
        return False
    operation = aim.kind_in(bool(state.resolved_customers))
    if aim.repeat is None or operation not in (BatchMeterUsage.operation, MeterUsage.operation):
        return True
    keys = _held_keys(state, operation)
    if aim.zeros:
        keys = [k for k in keys if any(e is not None and e.quantity == 0 for e in state.possible(k))]
    if aim.repeat != "foreign" or not keys:
        return bool(keys)
    return any(
        _foreign_keys(scene, keys, p.code, [c.identifier for c in scene.customers(p.code) if c.subscribed])
        for p in scene.products
    )


# -- MeterUsage ------------------------------------------------------------------------------------


def meter_requests(scene: Scene) -> st.SearchStrategy[Sent]:
    """MeterUsage, valid or with one defect.

    Valid: an entitled caller in its region (or an undeclared one, where the scene allows; a
    caller not entitled where the world declares no other) for its product, a known
    dimension, a timestamp inside the window, valid allocations; fresh or on (or beside) a key
    the model holds; in 2026-11 with a decimal quantity and with a ClientToken fresh or reused
    (an AgentCore caller several times an hour, with and without one). Defects: a caller not
    entitled, in another region or of another product; an unknown product or dimension; a
    timestamp at or past an edge; allocations an ALLOC rule refuses; DryRun; (2026-11) a
    quantity the service refuses. Shrinks toward a fresh valid request from the first entitled
    caller.
    """
    world = scene.state.world
    products = [p.code for p in scene.products]
    undeclared = scene.names.unknown("AKIA").upper()

    def good(caller: Caller) -> bool:
        return caller.entitled and caller.region == scene.region and caller.product_code in world.products

    valid_callers = [
        c.access_key_id for c in sorted(world.callers.values(), key=lambda c: c.access_key_id) if good(c)
    ]
    bad_callers = [
        c.access_key_id for c in sorted(world.callers.values(), key=lambda c: c.access_key_id) if not good(c)
    ]
    profile = scene.model.profile

    def fresh_core(defect: str | None, key: str, home: str) -> st.SearchStrategy[Any]:
        """Product, dimension, timestamp, quantity and allocations, and DryRun (the world's and
        the clock's part of a fresh request)."""
        declared = world.callers.get(key)
        product = st.just(home)
        if defect == "product":
            product = st.just(scene.names.unknown("prod"))
        elif (
            defect == "caller"
            and declared is not None
            and declared.entitled
            and declared.region == scene.region
        ):
            product = st.sampled_from([p for p in products if p != home] or [home])
        dims = _dimensions(scene, home)
        dimension = st.just(scene.names.unknown("dim")) if defect == "dimension" else st.sampled_from(dims)
        stamp = (edge_timestamps if defect == "timestamp" else inside_timestamps)(
            profile, "MeterUsage", scene.now
        )
        allocations = scene.allocations(defect)
        dry = st.just(True) if defect == "dryrun" else st.sampled_from([None, False])
        return st.tuples(product, dimension, stamp, allocations, dry)

    def build(defect: str | None, key: str) -> st.SearchStrategy[Sent]:
        declared = world.callers.get(key)
        home = declared.product_code if declared and declared.product_code in world.products else products[0]
        context = CallContext(key, scene.region)

        def make(core: tuple[str, str, datetime, Pair, bool | None], token: str | None) -> Sent:
            product, dimension, stamp, qa, dry = core
            integer, decimal = quantity_members(qa[0])
            return MeterUsage(product, stamp, dimension, integer, dry, qa[1], token, decimal), context

        core = scene.kept(("meter", defect, key), lambda: fresh_core(defect, key, home))
        fresh = st.builds(make, core, _client_tokens(scene, key))
        if defect is None and declared is not None and declared.platform in profile.agentcore_platforms:
            fresh = _fresh_or_repeated(scene, fresh, _agentcore_again(scene, key, context))
        repeats = _repeat_records(scene, "MeterUsage", home, key) if defect is None else None
        if repeats is None:
            return fresh

        def resend(record: UsageRecord, token: str | None) -> Sent:
            # a repeat of a key is sent by the caller that holds it (the key's subject), so
            # identical retries and MU-QUANTITY-DEFAULT repeats come often; a record beside a
            # key (another subject) is sent by this caller
            holder = record.customer_identifier
            sender = CallContext(holder, scene.region) if holder in (*world.callers, undeclared) else context
            request = MeterUsage(
                home,
                record.timestamp,
                record.dimension,
                record.quantity,
                client_token=token,
                usage_quantity_decimal=record.quantity_decimal,
            )
            return request, sender

        return _fresh_or_repeated(scene, fresh, st.builds(resend, repeats, _client_tokens(scene, key)))

    agentcore_callers = [k for k in valid_callers if world.callers[k].platform in profile.agentcore_platforms]

    def caller_for(defect: str | None) -> st.SearchStrategy[tuple[str | None, str]]:
        if defect == "caller":
            pool = bad_callers or valid_callers
        else:
            pool = [*valid_callers, undeclared] if scene.undeclared_callers else valid_callers or bad_callers
        callers = st.sampled_from(pool)
        if scene.aim.agentcore and agentcore_callers and defect != "caller":
            callers = st.one_of(callers, st.sampled_from(agentcore_callers))
        return callers.map(lambda k: (defect, k))

    kinds = ["caller", "product", "dimension", "timestamp", "allocations", "dryrun"]
    if scene.decimals:
        kinds.append("quantity")
    built = _once(build)
    return defects(*kinds, aimed=scene.aim.defects).flatmap(_once(caller_for)).flatmap(lambda fk: built(*fk))


def _members(value: Decimal, decimal_form: bool, respell: bool = False) -> dict[str, Any]:
    """The quantity members that send ``value``: the whole-number member where it can and
    ``decimal_form`` is False, else the decimal one; ``respell`` spells a decimal with one more
    trailing zero (17 as "17.0", 1.5 as "1.50"), the same value in other characters."""
    if not decimal_form and value == value.to_integral_value():
        return {"quantity": int(value)}
    text = decimal_text(value)
    if respell and len(text.partition(".")[2]) < 6:
        text = text + "0" if "." in text else text + ".0"
    return {"quantity_decimal": text}


def _dimensions(scene: Scene, product: str) -> list[str]:
    world_product = scene.state.world.products.get(product)
    known = sorted(world_product.dimensions) if world_product else []
    return [*known, scene.names.unknown("dim")]


def _agentcore_again(scene: Scene, access_key: str, context: CallContext) -> st.SearchStrategy[Sent] | None:
    """(2026-11) Usage an AgentCore caller sent under a ClientToken, sent again under a new one:
    the same dimension and hour many times, which only an AgentCore caller may do."""
    sent = sorted(
        (
            fingerprint
            for (caller, _), (fingerprint, _) in scene.state.client_tokens.items()
            if caller == access_key
        ),
        key=repr,
    )
    if not sent:
        return None
    fresh_token = _new_tokens(scene)

    def again(fingerprint: tuple[Any, ...], token: str) -> Sent:
        product, timestamp, dimension, quantity, _, _ = fingerprint
        members = _members(quantity, decimal_form=False) if quantity is not None else {}
        request = MeterUsage(
            product,
            timestamp,
            dimension,
            members.get("quantity"),
            client_token=token,
            usage_quantity_decimal=members.get("quantity_decimal"),
        )
        return request, context

    return st.builds(again, st.sampled_from(sent), fresh_token)


def _new_tokens(scene: Scene) -> st.SearchStrategy[str]:
    """ClientTokens no caller has used yet: numbered after the tokens the model holds, so the
    simplest draw is new too."""
    used = len(scene.state.client_tokens)
    return st.integers(0, 10**6).map(lambda n: f"{scene.names.namespace}-ct-{used}-{n}")


def _client_tokens(scene: Scene, access_key: str) -> st.SearchStrategy[str | None]:
    if not scene.model.shapes.has_member("MeterUsageRequest", "ClientToken"):
        return st.none()
    used = sorted(token for caller, token in scene.state.client_tokens if caller == access_key)
    fresh = _new_tokens(scene)
    return st.one_of(st.none(), fresh, st.sampled_from(used)) if used else st.one_of(st.none(), fresh)


# -- ResolveCustomer and RegisterUsage -------------------------------------------------------------


def resolve_requests(scene: Scene) -> st.SearchStrategy[Sent]:
    """Tokens valid, already resolved, expired, unknown, and garbled (empty: a shape violation)."""
    tokens = sorted(scene.state.world.tokens.values(), key=lambda t: (t.state != "valid", t.token))
    resolved = sorted(scene.state.resolved)
    choices = [t.token for t in tokens] + resolved + [scene.names.unknown("token"), "%%garbled==", ""]
    return st.sampled_from(list(dict.fromkeys(choices))).map(lambda t: (ResolveCustomer(t), SELLER))


def register_requests(scene: Scene) -> st.SearchStrategy[Sent]:
    """RegisterUsage, valid or with one defect.

    Valid: a caller already registered (whatever its entitlement now), an entitled caller on a
    supported platform in its region, or an undeclared one where the scene allows (any declared
    caller where none of these is); its product; a key version the
    product has; with or without a nonce. Defects: a caller not entitled, on an unsupported
    platform or in another region; an unknown product; a key version the product lacks.
    Shrinks toward the first registered (else entitled) caller, version 1, no nonce.
    """
    world = scene.state.world
    registered = sorted({key for key, _ in scene.state.registered if key in world.callers})
    platforms = scene.model.profile.register_platforms

    def good(caller: Caller) -> bool:
        return caller.entitled and caller.platform in platforms and caller.region == scene.region

    ordered = sorted(world.callers.values(), key=lambda c: c.access_key_id)
    valid = [
        *registered,
        *(c.access_key_id for c in ordered if good(c) and c.access_key_id not in registered),
    ]
    bad = [c.access_key_id for c in ordered if not good(c) and c.access_key_id not in registered]
    if scene.undeclared_callers:
        valid.append(scene.names.unknown("AKIA").upper())
    valid = valid or bad
    bad = bad or valid

    def build(defect: str | None, key: str) -> st.SearchStrategy[Sent]:
        declared = world.callers.get(key)
        home = declared.product_code if declared else scene.products[0].code
        versions = sorted(world.products[home].public_key_versions) if home in world.products else [1]
        product = scene.names.unknown("prod") if defect == "product" else home
        version = st.just(max(versions) + 1) if defect == "version" else st.sampled_from(versions)
        return st.builds(
            lambda v, nonce: (RegisterUsage(product, v, nonce), CallContext(key, scene.region)),
            version,
            st.one_of(st.none(), st.integers(0, 999).map(lambda n: f"nonce-{n}")),
        )

    built = _once(lambda f, k: scene.kept(("register", f, k), lambda: build(f, k)))
    callers = _once(lambda f: st.sampled_from(bad if f == "caller" else valid).flatmap(lambda k: built(f, k)))
    return defects("caller", "product", "version", aimed=scene.aim.defects).flatmap(callers)


# -- invalid and raw requests ----------------------------------------------------------------------


def invalid_requests(scene: Scene) -> st.SearchStrategy[Sent]:
    """A request breaking exactly one shape constraint of the profile's service model."""

    def typed(operation: str, params: dict[str, Any]) -> Sent:
        context = (
            SELLER if operation in ("BatchMeterUsage", "ResolveCustomer") else CallContext(None, scene.region)
        )
        return request_from_params(operation, params), context

    by_operation = _once(
        lambda op: scene.kept(
            ("invalid", op), lambda: one_violation(scene.model.shapes, op).map(lambda pv: typed(op, pv[0]))
        )
    )
    return st.sampled_from(OPERATION_NAMES).flatmap(by_operation)


def raw_requests(scene: Scene) -> st.SearchStrategy[Sent]:
    """A body that is not JSON for a known operation, or a known body for an unknown one."""
    prefix = scene.model.shapes.target_prefix()
    return st.one_of(
        st.sampled_from(OPERATION_NAMES).map(lambda op: RawRequest(f"{prefix}.{op}", b'{"ProductCode": ')),
        st.sampled_from(["MeterUsages", "DescribeUsage", ""]).map(
            lambda op: RawRequest(f"{prefix}.{op}", b"{}")
        ),
    ).map(lambda raw: (raw, SELLER))


# -- fixture changes -------------------------------------------------------------------------------


def fixture_changes(scene: Scene) -> st.SearchStrategy[Fixtures]:
    """One declared object replaced: a registered caller's entitlement revoked (RU-FIRST-CALL-ONLY),
    a subscription revoked or restored, a caller's entitlement toggled, a token expired."""
    registered = frozenset(key for key, _ in scene.state.registered)
    return scene.kept(("fixtures", registered), lambda: _fixture_changes(scene, registered))


def _fixture_changes(scene: Scene, registered: frozenset[str]) -> st.SearchStrategy[Fixtures]:
    world = scene.state.world
    customers: Sequence[Customer] = sorted(
        world.customers.values(), key=lambda c: (c.product_code, c.identifier)
    )
    callers = sorted(
        world.callers.values(), key=lambda c: (c.access_key_id not in registered, c.access_key_id)
    )
    tokens = sorted(world.tokens.values(), key=lambda t: t.token)
    options: list[st.SearchStrategy[Fixtures]] = []
    revocable = [k for k in callers if k.access_key_id in registered and k.entitled]
    if revocable:
        options.append(
            st.sampled_from(revocable).map(lambda k: Fixtures(callers=(replace(k, entitled=False),)))
        )
    if customers:
        options.append(
            st.sampled_from(customers).map(
                lambda c: Fixtures(customers=(replace(c, subscribed=not c.subscribed),))
            )
        )
    if callers:
        options.append(
            st.sampled_from(callers).map(lambda k: Fixtures(callers=(replace(k, entitled=not k.entitled),)))
        )
    if tokens:
        options.append(st.sampled_from(tokens).map(lambda t: Fixtures(tokens=(replace(t, state="expired"),))))
    return st.one_of(options) if options else st.nothing()


REQUEST_STRATEGIES: dict[str, Callable[[Scene], st.SearchStrategy[Sent]]] = {
    BatchMeterUsage.operation: batch_requests,
    MeterUsage.operation: meter_requests,
    ResolveCustomer.operation: resolve_requests,
    RegisterUsage.operation: register_requests,
}
"""Each operation's requests, by the operation's name (``models.operations``)."""
