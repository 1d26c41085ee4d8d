"""Usage allocations: right and wrong sums, repeated tag sets, tag counts and tag strings at and
past their limits, allocation counts at and past the profile's limit.

Every strategy here draws a ``(quantity, allocations)`` pair, because the record's quantity
must be chosen with its allocations (ALLOC-SUM). A quantity is an ``int`` (the whole-number
member), a ``str`` (the decimal member, 2026-11), both as a tuple (QTY-ONE-FORM), or None
(omitted); :func:`quantity_members` splits it into the two members.

Each strategy here is built once per arguments (``lru_cache``): Hypothesis validates every new
strategy object, which cost more than drawing from it, and one object draws the same values
from the same choices.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from hypothesis import strategies as st

from conformance.models.profiles import Profile
from conformance.models.requests import Allocation, Tag
from conformance.models.rule_ids import RuleId
from conformance.models.shapes import ShapeIndex

__all__ = [
    "DECIMAL_EDGES",
    "Quantity",
    "decimal_text",
    "invalid_allocations",
    "invalid_quantities",
    "quantified_allocations",
    "quantity_members",
    "valid_allocations",
]

Quantity = int | str | tuple[int, str] | None
Pair = tuple[Quantity, tuple[Allocation, ...] | None]

# Valid decimal quantities at their edges: zero in two spellings, the smallest step, the most
# integer digits and decimals the pattern allows, and one value in two spellings (17, 17.00).
DECIMAL_EDGES = ("0", "0.000000", "0.000001", "17", "17.00", "17.5", "2.25", "9999999999.999999")
_DECIMAL_PARTS = ("0.5", "0.25", "1", "0.000001", "3.125", "0")
# Splits whose sum is exact in decimal and not in binary floating point (0.1 + 0.2).
_FLOAT_TRAPS = (("0.1", "0.2"), ("0.7", "0.1"), ("0.1", "0.1", "0.1"))


def quantity_members(quantity: Quantity) -> tuple[int | None, str | None]:
    """The whole-number and the decimal member a drawn quantity sends."""
    if isinstance(quantity, tuple):
        return quantity
    if isinstance(quantity, str):
        return None, quantity
    return quantity, None


def decimal_text(value: Decimal) -> str:
    """The plainest decimal string of a value: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


@lru_cache(maxsize=64)
def valid_allocations(decimals: bool = False) -> st.SearchStrategy[Pair]:
    """A quantity with no allocations (0 sometimes omitted: MU-QUANTITY-DEFAULT) or with a
    correct split over distinct tag sets; with ``decimals`` (2026-11) also decimal quantities
    at their edges (:data:`DECIMAL_EDGES`), exact decimal splits, and splits that only decimal
    arithmetic sums exactly (0.1 + 0.2). Shrinks toward an explicit quantity 0, no allocations."""
    parts = st.lists(st.integers(0, 3), min_size=1, max_size=3)
    # 0 one time in three: an explicit or omitted 0 sets up MU-QUANTITY-DEFAULT's repeats
    plain = st.tuples(st.sampled_from([0, 1, 0, 2, 0, 5]), st.booleans()).map(
        lambda qo: (None if qo[1] and not qo[0] else qo[0], None)
    )
    if not decimals:
        return st.one_of(plain, parts.map(_split))
    decimal_plain = st.sampled_from(DECIMAL_EDGES).map(lambda text: (text, None))
    decimal_parts = st.lists(st.sampled_from(_DECIMAL_PARTS), min_size=1, max_size=3)
    traps = st.sampled_from(_FLOAT_TRAPS).map(lambda trap: _split_decimal(list(trap)))
    return st.one_of(plain, parts.map(_split), decimal_plain, decimal_parts.map(_split_decimal), traps)


@lru_cache(maxsize=64)
def invalid_quantities() -> st.SearchStrategy[Pair]:
    """(2026-11) A quantity the service refuses: a decimal string the pattern refuses (leading
    zero, exponent, seven decimals, eleven integer digits, a sign, a bare point), both members
    at once (QTY-ONE-FORM), or allocations in the wrong form: whole-number allocations of a
    decimal quantity and the reverse, an allocation naming both members or neither
    (ALLOC-QUANTITY-FORM). Shrinks toward a leading zero."""
    tags = (Tag("k", "v"),)
    bad: list[Pair] = [(text, None) for text in ("017", "1e3", "0.1234567", "12345678901", "-1", "1.")]
    bad += [
        ((17, "17.00"), None),
        ((0, "0"), None),
        ("2", (Allocation(2, tags),)),
        (2, (Allocation(None, tags, "2"),)),
        ("2", (Allocation(2, tags, "2"),)),
        ("2", (Allocation(None, tags),)),
    ]
    return st.sampled_from(bad)


@lru_cache(maxsize=64)
def invalid_allocations(
    shapes: ShapeIndex, profile: Profile, decimals: bool = False, rule: RuleId | None = None
) -> st.SearchStrategy[Pair]:
    """Allocations at or past an ALLOC rule's edge, each case equally likely: a sum one too
    high or too low, a repeated tag set, two untagged allocations, the most tags and one more,
    a tag key and a tag value at and past their length limits, characters the sources disagree
    on (``!``) or both refuse (``~``), and (built only when drawn) allocation counts at and past
    the profile's limit. With ``decimals`` (2026-11) also a decimal sum one millionth off. With
    ``rule`` (an ALLOC rule ID), that rule's cases three draws in four. Shrinks toward a sum
    one too high (toward the rule's first case, with ``rule``)."""
    tag_limit = int(shapes.limit("TagList", "max"))
    key_max = int(shapes.limit("TagKey", "max"))
    value_max = int(shapes.limit("TagValue", "max"))
    limit = profile.allocation_limit

    def tagged(*pairs: tuple[str, str]) -> Pair:
        return 1, (Allocation(1, tuple(Tag(k, v) for k, v in pairs)),)

    sums: list[Callable[[list[int]], Pair]] = [
        lambda parts: ((_split(parts)[0] or 0) + 1, _split(parts)[1]),
        lambda parts: (max((_split(parts)[0] or 0) - 1, 0) if sum(parts) else 1, _split(parts)[1]),
    ]
    if decimals:
        sums.append(lambda _: ("1.000001", (Allocation(None, (Tag("k", "v"),), "1"),)))
    by_rule: dict[RuleId, list[Callable[[list[int]], Pair]]] = {
        "ALLOC-SUM": sums,
        "ALLOC-UNIQUE-TAGS": [
            lambda _: (2, (Allocation(1, (Tag("k", "v"),)), Allocation(1, (Tag("k", "v"),)))),
            lambda _: (2, (Allocation(1), Allocation(1))),
        ],
        "ALLOC-TAG-LIMIT": [
            lambda _: tagged(*((f"k{i}", "v") for i in range(tag_limit))),
            lambda _: tagged(*((f"k{i}", "v") for i in range(tag_limit + 1))),
        ],
        "ALLOC-TAG-FORMAT": [
            lambda _: tagged(("k" * key_max, "v")),
            lambda _: tagged(("k" * (key_max + 1), "v")),
            lambda _: tagged(("k", "v" * value_max)),
            lambda _: tagged(("k", "v" * (value_max + 1))),
            lambda _: tagged(("k!", "v")),  # in the regex range ' -=' only
            lambda _: tagged(("k", "v~")),  # in neither reading
        ],
        "ALLOC-COUNT-LIMIT": [lambda _: _many(limit), lambda _: _many(limit + 1)],
    }
    cases = [case for group in by_rule.values() for case in group]
    aimed = by_rule.get(rule, []) if rule else []
    if aimed:  # the rule's own cases three draws in four, first, so a shrink stays on them
        cases = aimed * (3 * len(cases) // len(aimed)) + cases
    parts = st.lists(st.integers(0, 3), min_size=1, max_size=3)
    return st.tuples(st.sampled_from(cases), parts).map(lambda cp: cp[0](cp[1]))


@lru_cache(maxsize=4)
def _many(count: int) -> Pair:
    """``count`` allocations of 1, each its own tag set: built once per count, so a campaign
    that sends them again and again judges one object (whose body size is then measured once)."""
    return count, tuple(Allocation(1, (Tag("n", str(i)),)) for i in range(count))


def quantified_allocations(shapes: ShapeIndex, profile: Profile) -> st.SearchStrategy[Pair]:
    """:func:`valid_allocations` or :func:`invalid_allocations`; shrinks toward the valid."""
    return st.one_of(valid_allocations(), invalid_allocations(shapes, profile))


def _split_decimal(parts: list[str]) -> Pair:
    allocations = tuple(Allocation(None, (Tag("bucket", f"b{i}"),), text) for i, text in enumerate(parts))
    return decimal_text(sum((Decimal(p) for p in parts), Decimal(0))), allocations


def _split(parts: list[int]) -> tuple[int, tuple[Allocation, ...]]:
    allocations = tuple(Allocation(q, (Tag("bucket", f"b{i}"),)) for i, q in enumerate(parts))
    return sum(parts), allocations
