"""BatchMeterUsage requests of an exact body size, for BMU-PAYLOAD-LIMIT."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache

from conformance.models.profiles import Profile
from conformance.models.requests import Allocation, BatchMeterUsage, Tag, UsageRecord, wire_size
from conformance.models.shapes import ShapeIndex

__all__ = ["sized_batch"]

_PAD_TAGS = 4  # with the index tag, the most tags an allocation may have


# a campaign asks for the same four sizes at one now again and again; one batch is about 7 MB
@lru_cache(maxsize=8)
def sized_batch(
    shapes: ShapeIndex,
    profile: Profile,
    product: str,
    customer: str,
    dimension: str,
    timestamp: datetime,
    size: int,
) -> BatchMeterUsage:
    """A valid batch whose awsJson1_1 body is exactly ``size`` bytes.

    Allocations carry the padding (within the profile's allocation limit, sums right, tag sets
    distinct); when one record cannot hold them all, the next record is one hour earlier, so
    the records never share a key. ``timestamp`` must leave room for that inside the window.
    """
    value_max = int(shapes.limit("TagValue", "max"))
    full = _PAD_TAGS * value_max
    per_record = profile.allocation_limit

    def allocation(index: int, pad: int) -> Allocation:
        chunks = [pad // _PAD_TAGS + (j < pad % _PAD_TAGS) for j in range(_PAD_TAGS)]
        tags = (Tag("n", f"{index:06d}"), *(Tag(f"p{j}", "v" * c) for j, c in enumerate(chunks)))
        return Allocation(1, tags)

    def build(fulls: int, pad_a: int, pad_b: int) -> BatchMeterUsage:
        pads = [full] * fulls + [pad_a, pad_b]
        records = []
        for start in range(0, len(pads), per_record):
            chunk = pads[start : start + per_record]
            allocations = tuple(allocation(start + i, p) for i, p in enumerate(chunk))
            record = UsageRecord(timestamp, dimension, customer, len(chunk), allocations)
            records.append(record)
        return BatchMeterUsage(product, tuple(_spread(records)))

    low = wire_size(build(0, _PAD_TAGS, _PAD_TAGS))
    if size < low:
        raise ValueError(f"a sized batch is at least {low} bytes, {size} asked")
    step = wire_size(build(1, _PAD_TAGS, _PAD_TAGS)) - low
    fulls = max((size - low) // step - 2, 0)
    while wire_size(build(fulls, full, full)) < size:
        fulls += 1
    missing = size - wire_size(build(fulls, _PAD_TAGS, _PAD_TAGS))
    pad_a = _PAD_TAGS + min(missing, full - _PAD_TAGS)
    pad_b = _PAD_TAGS + missing - (pad_a - _PAD_TAGS)
    request = build(fulls, pad_a, pad_b)
    if wire_size(request) != size:
        raise AssertionError(f"sized batch is {wire_size(request)} bytes, {size} asked")
    return request


def _spread(records: list[UsageRecord]) -> list[UsageRecord]:
    """Record ``i`` one hour before record 0: same customer and dimension, different keys."""
    spread = []
    for i, record in enumerate(records):
        assert record.timestamp is not None
        spread.append(replace(record, timestamp=record.timestamp - timedelta(hours=i)))
    return spread
