"""Shape-derived strategies: valid params break nothing; each violating strategy breaks exactly
the one constraint it names; constraints come from the service model given, not from code."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.models import ShapeIndex
from conformance.models.requests import OPERATION_NAMES
from conformance.strategies.shapes import constraint_sites, one_violation, valid_params, violating_params
from conformance.wire.service_model import load_service_dict

SHAPES = ShapeIndex(load_service_dict("2026-11"))
SITES = [(op, site) for op in OPERATION_NAMES for site in constraint_sites(SHAPES, op)]


@pytest.mark.parametrize("operation", OPERATION_NAMES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_valid_params_break_no_constraint(operation, data):
    params = data.draw(valid_params(SHAPES, operation))
    assert SHAPES.violations(SHAPES.input_shape(operation), params) == []


@pytest.mark.parametrize(("operation", "site"), SITES, ids=[f"{op}:{site}" for op, site in SITES])
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_each_site_breaks_exactly_its_constraint(operation, site, data):
    params = data.draw(violating_params(SHAPES, operation, site))
    violations = SHAPES.violations(SHAPES.input_shape(operation), params)
    assert len(violations) == 1, violations
    (violation,) = violations
    assert (violation.path, violation.constraint) == (site.path, site.constraint)


def test_a_pattern_broken_at_the_longest_value_breaks_the_pattern_alone():
    """Found by the test above: the pattern site of UsageQuantityAsDecimal broke
    "1000000000.000000" (17 characters, the most allowed) by appending a character, which broke
    ``max`` too."""
    from conformance.strategies.shapes import _break

    (site,) = [
        s
        for op, s in SITES
        if op == "MeterUsage" and s.path == "UsageQuantityAsDecimal" and s.constraint == "pattern"
    ]
    params = {
        "ProductCode": "p",
        "UsageDimension": "d",
        "Timestamp": 0,
        "UsageQuantityAsDecimal": "1000000000.000000",
    }
    violations = SHAPES.violations("MeterUsageRequest", _break(SHAPES, params, site))
    assert [(v.path, v.constraint) for v in violations] == [("UsageQuantityAsDecimal", "pattern")]


def test_every_constrained_member_has_a_site():
    paths = {(op, s.path, s.constraint) for op, s in SITES}
    assert ("BatchMeterUsage", "UsageRecords", "max") in paths
    assert ("RegisterUsage", "PublicKeyVersion", "min") in paths
    assert ("ResolveCustomer", "RegistrationToken", "pattern") in paths
    assert ("MeterUsage", "UsageAllocations[0].Tags[0].Key", "pattern") in paths
    assert ("MeterUsage", "UsageQuantity", "max") in paths


def test_the_strategy_follows_a_changed_service_model():
    changed = copy.deepcopy(load_service_dict("2026-11"))
    changed["shapes"]["TagKey"]["max"] = 50
    changed["shapes"]["UsageRecordList"]["max"] = 10
    shapes = ShapeIndex(changed)
    sites = {(s.path, s.constraint): s for s in constraint_sites(shapes, "BatchMeterUsage")}
    key_site = sites[("UsageRecords[0].UsageAllocations[0].Tags[0].Key", "max")]
    size_site = sites[("UsageRecords", "max")]
    assert key_site.limit == 50 and size_site.limit == 10

    @settings(max_examples=3, deadline=None)
    @given(st.data())
    def check(data):
        params = data.draw(violating_params(shapes, "BatchMeterUsage", key_site))
        key = params["UsageRecords"][0]["UsageAllocations"][0]["Tags"][0]["Key"]
        assert len(key) == 51
        params = data.draw(violating_params(shapes, "BatchMeterUsage", size_site))
        assert len(params["UsageRecords"]) == 11
        assert len(shapes.violations("BatchMeterUsageRequest", params)) == 1

    check()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.sampled_from(OPERATION_NAMES).flatmap(lambda op: one_violation(SHAPES, op).map(lambda v: (op, *v))))
def test_one_violation_is_exactly_one(case):
    operation, params, site = case
    violations = SHAPES.violations(SHAPES.input_shape(operation), params)
    assert [(v.path, v.constraint) for v in violations] == [(site.path, site.constraint)]


_DRAW_EVERY_OPERATION = """
from hypothesis import HealthCheck, given, settings, strategies as st
from conformance.models import ShapeIndex
from conformance.models.requests import OPERATION_NAMES
from conformance.strategies.shapes import one_violation, valid_params
from conformance.wire.service_model import load_service_dict

for profile in ("2025-01", "2026-11"):
    shapes = ShapeIndex(load_service_dict(profile))
    for operation in OPERATION_NAMES:
        @settings(max_examples=20, database=None, suppress_health_check=list(HealthCheck))
        @given(st.data())
        def draw(data):
            data.draw(valid_params(shapes, operation))
            data.draw(one_violation(shapes, operation))
        draw()
"""


def test_strategies_cost_a_fresh_directory_no_codec_table(tmp_path):
    """What draws a pattern's characters never makes Hypothesis build its table of the UTF-8
    codec, which in a directory without .hypothesis/ (every CI checkout) cost 2.5 s and 200 MB
    of peak memory in each process (issue 29: harness ms a request 16.6 cold against 11.2 warm)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _DRAW_EVERY_OPERATION], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    built = sorted(p.name for p in (tmp_path / ".hypothesis").rglob("*.json.gz"))
    assert built and not [name for name in built if name.startswith("codec")], built


def test_a_shape_index_that_has_checked_values_still_pickles_and_checks_alike():
    """Its checks are closures made at first use; a pickled copy (a process pool's argument)
    makes its own."""
    import pickle

    params = {"ProductCode": "", "UsageRecords": [{"Dimension": "d"}]}
    before = SHAPES.violations("BatchMeterUsageRequest", params)
    copied = pickle.loads(pickle.dumps(SHAPES))
    assert before and copied.violations("BatchMeterUsageRequest", params) == before
