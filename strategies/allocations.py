"""Usage allocations: right and wrong sums, repeated tag sets, tag counts and tag strings at and
past their limits, allocation counts at and past the profile's limit.

Every strategy here draws a ``(quantity, allocations)`` pair, because the record's quantity
must be chosen with its allocations (ALLOC-SUM).
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from models.profiles import Profile
from models.requests import Allocation, Tag
from models.shapes import ShapeIndex

__all__ = ["invalid_allocations", "quantified_allocations", "valid_allocations"]

Pair = tuple[int | None, tuple[Allocation, ...] | None]


def valid_allocations() -> st.SearchStrategy[Pair]:
    """A quantity with no allocations (0 sometimes omitted: MU-QUANTITY-DEFAULT) or with a
    correct split over distinct tag sets. Shrinks toward an explicit quantity 0, no
    allocations."""
    parts = st.lists(st.integers(0, 3), min_size=1, max_size=3)
    # 0 one time in three: an explicit or omitted 0 sets up MU-QUANTITY-DEFAULT's repeats
    plain = st.tuples(st.sampled_from([0, 1, 0, 2, 0, 5]), st.booleans()).map(
        lambda qo: (None if qo[1] and not qo[0] else qo[0], None)
    )
    return st.one_of(plain, parts.map(_split))


def invalid_allocations(shapes: ShapeIndex, profile: Profile) -> st.SearchStrategy[Pair]:
    """Allocations at or past an ALLOC rule's edge, each case equally likely: a sum one too
    high or too low, a repeated tag set, two untagged allocations, the most tags and one more,
    a tag key and a tag value at and past their length limits, characters the sources disagree
    on (``!``) or both refuse (``~``), and (built only when drawn) allocation counts at and past
    the profile's limit. Shrinks toward a sum one too high."""
    tag_limit = int(shapes.limit("TagList", "max"))
    key_max = int(shapes.limit("TagKey", "max"))
    value_max = int(shapes.limit("TagValue", "max"))
    limit = profile.allocation_limit

    def tagged(*pairs: tuple[str, str]) -> Pair:
        return 1, (Allocation(1, tuple(Tag(k, v) for k, v in pairs)),)

    def many(count: int) -> Pair:
        return count, tuple(Allocation(1, (Tag("n", str(i)),)) for i in range(count))

    cases: list[Callable[[list[int]], Pair]] = [
        lambda parts: ((_split(parts)[0] or 0) + 1, _split(parts)[1]),
        lambda parts: (max((_split(parts)[0] or 0) - 1, 0) if sum(parts) else 1, _split(parts)[1]),
        lambda _: (2, (Allocation(1, (Tag("k", "v"),)), Allocation(1, (Tag("k", "v"),)))),
        lambda _: (2, (Allocation(1), Allocation(1))),
        lambda _: tagged(*((f"k{i}", "v") for i in range(tag_limit))),
        lambda _: tagged(*((f"k{i}", "v") for i in range(tag_limit + 1))),
        lambda _: tagged(("k" * key_max, "v")),
        lambda _: tagged(("k" * (key_max + 1), "v")),
        lambda _: tagged(("k", "v" * value_max)),
        lambda _: tagged(("k", "v" * (value_max + 1))),
        lambda _: tagged(("k!", "v")),  # in the regex range ' -=' only
        lambda _: tagged(("k", "v~")),  # in neither reading
        lambda _: many(limit),
        lambda _: many(limit + 1),
    ]
    parts = st.lists(st.integers(0, 3), min_size=1, max_size=3)
    return st.tuples(st.sampled_from(cases), parts).map(lambda cp: cp[0](cp[1]))


def quantified_allocations(shapes: ShapeIndex, profile: Profile) -> st.SearchStrategy[Pair]:
    """:func:`valid_allocations` or :func:`invalid_allocations`; shrinks toward the valid."""
    return st.one_of(valid_allocations(), invalid_allocations(shapes, profile))


def _split(parts: list[int]) -> Pair:
    allocations = tuple(Allocation(q, (Tag("bucket", f"b{i}"),)) for i, q in enumerate(parts))
    return sum(parts), allocations
