"""What every operation's rules share: the shape, quantity, allocation and window checks, the
refusals found so far (``Checks``), and building an ``Allowed``. Each check names the rule ID
it decides next to its branch."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, Literal

from .catalogue import RULES_BY_ID, errors_of
from .expect import Allowed, Alternative, Forbidden, Reject, unique
from .plans import Plan
from .profiles import Profile
from .requests import Allocation, CallContext, MeterUsage, RawRequest, Request, UsageRecord, wire_size
from .rule_ids import RuleId
from .shapes import Violation
from .state import ModelState
from .view import ModelView
from .world import Product

__all__ = [
    "SHAPE_RULES",
    "Checks",
    "OutOfProfile",
    "Window",
    "allocation_checks",
    "at_edge",
    "build_allowed",
    "has",
    "hour_of",
    "quantity_checks",
    "refusal",
    "shape_checks",
    "unknown_dimension",
    "unknown_product",
    "utc_text",
    "window_checks",
    "window_position",
]

Window = Literal["inside", "outside", "future"]

_VALIDATION = frozenset({"ValidationException"})

# Shape constraints a specific rule decides; WIRE-VALIDATION covers every other one, and for
# these allows ValidationException beside the rule's own error (either validation order).
SHAPE_RULES: dict[tuple[str, str], RuleId] = {
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


def unknown_product(code: str | None) -> str:
    return f"product {code!r} is not a product of this service"


def unknown_dimension(dimension: str, product: Product) -> str:
    known = ", ".join(sorted(product.dimensions))
    return f"dimension {dimension!r} is not one of product {product.code}'s ({known})"


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment.tzinfo else moment.isoformat()


def refusal(rule: RuleId, detail: str | None = None) -> Reject:
    """A refusal under ``rule`` with the codes the catalogue gives it (None: any 4xx)."""
    return Reject(rule, RULES_BY_ID[rule].codes, detail=detail)


@dataclass(frozen=True)
class Checks:
    """Rejections found so far: strict ones must win, lenient ones may."""

    strict: list[Reject] = field(default_factory=list)
    lenient: list[Reject] = field(default_factory=list)
    validation: list[Reject] = field(default_factory=list)
    """WIRE-VALIDATION's ValidationException for a shape constraint a specific rule decides:
    allowed beside that rule's error, after it (a service may validate shapes first)."""
    forbidden: list[Forbidden] = field(default_factory=list)
    """Errors a rule never allows for this request (see :class:`Forbidden`)."""

    def add(
        self,
        rule: RuleId,
        codes: frozenset[str] | Literal["catalogue"] | None = "catalogue",
        *,
        lenient: bool = False,
        detail: str | None = None,
    ) -> None:
        """``rule`` refuses the request with ``codes`` (by default the catalogue's for it;
        None: any 4xx)."""
        made = refusal(rule, detail) if codes == "catalogue" else Reject(rule, codes, detail=detail)
        (self.lenient if lenient else self.strict).append(made)

    def forbid(self, rule: RuleId, detail: str) -> None:
        """``rule`` allows none of its catalogue codes as the answer; ``detail``: what it holds."""
        self.forbidden.append(Forbidden(rule, errors_of(rule), detail))

    def refusals(self) -> list[Alternative]:
        """Every refusal allowed, the strictest first (the emulator answers with the first)."""
        return [*self.strict, *self.lenient, *self.validation]

    def leading(self) -> list[Alternative]:
        """Refusals allowed before a success where no strict rule refuses the request."""
        return [*self.lenient, *self.validation]


def has(model: ModelView, structure: str, member: str) -> bool:
    """Whether the profile's service model has ``structure.member``."""
    return model.shapes.has_member(structure, member)


def shape_checks(model: ModelView, request: Request, checks: Checks) -> list[Violation]:
    violations = model.shapes.violations(model.shapes.input_shape(request.operation), request.to_params())
    violations = [v for v in violations if f"{v.shape}.{v.member}" not in model.profile.ignored_members]
    # A typed request with a member the profile's API lacks is a harness error: decoding
    # leaves such members out (and judges them as unknown members, below).
    for v in violations:
        if v.constraint == "unknown":
            raise OutOfProfile(
                f"{v.shape}.{v.member} is not part of the API in profile {model.profile.name}; "
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
    oversized = request.operation != "BatchMeterUsage" and wire_size(request) >= model.profile.payload_limit
    if unknown or oversized:
        what = [
            f"{name} is not a member of {model.shapes.input_shape(request.operation)}" for name in unknown
        ]
        if oversized:
            what.append(f"a body of {wire_size(request)} bytes, {model.profile.payload_limit} or more")
        checks.add("WIRE-VALIDATION", lenient=True, detail="; ".join(what))
    return violations


def allocation_checks(
    model: ModelView,
    allocations: tuple[Allocation, ...] | None,
    owner: MeterUsage | UsageRecord,
    checks: Checks,
) -> None:
    if allocations is None:
        return
    # ALLOC-COUNT-LIMIT: the profile's limit, not botocore's (they differ in 2025-01).
    if len(allocations) > model.profile.allocation_limit:
        checks.add("ALLOC-COUNT-LIMIT")
    tag_limit = int(model.shapes.limit("TagList", "max"))
    for allocation in allocations:
        tags = allocation.tags or ()
        # ALLOC-TAG-LIMIT
        if len(tags) > tag_limit:
            checks.add("ALLOC-TAG-LIMIT")
        for tag in tags:
            for shape, text in (("TagKey", tag.key), ("TagValue", tag.value)):
                verdict = _tag_text(model, shape, text)
                if verdict != "ok":
                    # ALLOC-TAG-FORMAT
                    checks.add("ALLOC-TAG-FORMAT", lenient=verdict == "lenient")
    tag_sets = [a.tag_set() for a in allocations]
    # ALLOC-UNIQUE-TAGS
    if len(set(tag_sets)) != len(tag_sets):
        checks.add("ALLOC-UNIQUE-TAGS")
    if has(model, "UsageAllocation", "AllocatedUsageQuantityAsDecimal"):
        _allocation_form_checks(allocations, owner, checks)
    values = [v for v in (a.value() for a in allocations) if v is not None]
    total = owner.value()
    # ALLOC-SUM, in decimal arithmetic: exact for any mix of forms
    if total is not None and len(values) == len(allocations) and sum(values, Decimal(0)) != total:
        checks.add("ALLOC-SUM")


def _allocation_form_checks(
    allocations: tuple[Allocation, ...], owner: MeterUsage | UsageRecord, checks: Checks
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


def quantity_checks(owner: MeterUsage | UsageRecord, checks: Checks) -> None:
    # QTY-ONE-FORM: the whole-number and the decimal member together
    if owner.form() == "both":
        checks.add("QTY-ONE-FORM")


def _tag_text(model: ModelView, shape: str, text: Any) -> Literal["ok", "strict", "lenient"]:
    if not isinstance(text, str):
        return "strict"
    limits = model.shapes.shapes[shape]
    return _tag_verdict(limits.get("min") or 0, limits.get("max"), limits.get("pattern") or "", text)


def at_edge(model: ModelView, operation: str, timestamp: datetime | None, now: datetime) -> bool:
    """The timestamp is exactly the window's age: accepted or refused as the profile's edge
    rule says, so the window rule decides its answer either way."""
    window = model.profile.meter_window if operation == "MeterUsage" else model.profile.batch_window
    return timestamp is not None and now - timestamp == window


def window_checks(
    model: ModelView,
    operation: str,
    rules: tuple[RuleId, RuleId],
    timestamp: datetime | None,
    now: datetime,
    checks: Checks,
) -> None:
    if timestamp is None:
        return
    tolerance = model.clock_tolerance
    around = {window_position(model.profile, operation, timestamp, now + d) for d in (-tolerance, tolerance)}
    stamp, service_now = utc_text(timestamp), utc_text(now)
    if "outside" in around:
        # MU-WINDOW / BMU-WINDOW (lenient where the target's clock may see it inside)
        detail = f"Timestamp {stamp} is outside the window before the service's now, {service_now}"
        checks.add(rules[0], lenient=around != {"outside"}, detail=detail)
    if "future" in around:
        # MU-FUTURE / BMU-FUTURE
        detail = f"Timestamp {stamp} is later than the service's now, {service_now}"
        checks.add(rules[1], lenient=True, detail=detail)


def build_allowed(
    request: Request,
    context: CallContext,
    now: datetime,
    state: ModelState,
    alternatives: Sequence[Alternative],
    plan: Plan | None,
    extra: frozenset[RuleId] = frozenset(),
    forbidden: Sequence[Forbidden] = (),
) -> Allowed:
    return Allowed(
        request=request,
        context=context,
        now=now,
        alternatives=unique(alternatives),
        used_ids=frozenset(state.bound_ids()),
        plan=plan,
        extra_rules=extra,
        forbidden=tuple(forbidden),
    )


@lru_cache(maxsize=8192)  # bounded: tag texts are drawn, and an unbounded cache grew with every run
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
