"""Hypothesis strategies for the Metering Service: every request the rules care about.

Imports hypothesis and ``models`` only. Shape constraints come from the ``ShapeIndex`` passed in
(the profile's pinned ``service-2.json`` snapshot, loaded by ``conformance``; never the
installed botocore's), never from numbers written here.
"""

from .aims import AIMS, Aim, aim_for
from .allocations import invalid_allocations, quantified_allocations, valid_allocations
from .names import Names, check_namespace
from .payload import sized_batch
from .requests import (
    REQUEST_KINDS,
    Scene,
    aim_ready,
    batch_requests,
    defects,
    fixture_changes,
    invalid_requests,
    meter_requests,
    raw_requests,
    register_requests,
    requests,
    resolve_requests,
    usage_records,
)
from .shapes import ConstraintSite, constraint_sites, one_violation, valid_params, violating_params
from .timestamps import clock_moves, edge_timestamps, inside_timestamps, timestamps
from .world import fixture_worlds, minimal_world

__all__ = [
    "AIMS",
    "REQUEST_KINDS",
    "Aim",
    "ConstraintSite",
    "Names",
    "Scene",
    "aim_for",
    "aim_ready",
    "batch_requests",
    "check_namespace",
    "clock_moves",
    "constraint_sites",
    "defects",
    "edge_timestamps",
    "fixture_changes",
    "fixture_worlds",
    "inside_timestamps",
    "invalid_allocations",
    "invalid_requests",
    "meter_requests",
    "minimal_world",
    "one_violation",
    "quantified_allocations",
    "raw_requests",
    "register_requests",
    "requests",
    "resolve_requests",
    "sized_batch",
    "timestamps",
    "usage_records",
    "valid_allocations",
    "valid_params",
    "violating_params",
]
