"""The records oracle: on a target that lists what it recorded, the records must be what the model
holds after every step (one per accepted key, with what was sent; nothing for a refused request,
a DryRun or an identical retry), and a difference is blamed on the rule whose step made it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conformance.emulator.hooks import NO_HOOKS
from conformance.engine import RunConfig, open_target
from conformance.engine.runner import run_rule
from conformance.lab.mutants import MUTANTS
from conformance.models.control_record import ControlRecord
from conformance.models.profiles import get_profile
from conformance.models.records import record_differences
from conformance.models.state import Entry, ModelState, UsageKey
from conformance.models.world import Customer, Fixtures, Product, World
from conformance.strategies import minimal_world
from conformance.targets import TargetOptions
from conformance.targets.moto import MotoTarget
from conformance.targets.reference_server import ReferenceServerTarget
from tests.conftest import NOW

HOUR = datetime(2026, 11, 2, 10, tzinfo=UTC)
KEY = UsageKey("BatchMeterUsage", "prod-a", "cust-1", "users", HOUR)
WORLD = World.of(
    Fixtures(
        products=(Product("prod-a", ("users", "gb")),),
        customers=(
            Customer("cust-1", "111122223333", "prod-a"),
            Customer("cust-2", "444455556666", "prod-a"),
        ),
    )
)


def _record(customer="cust-1", dimension="users", quantity=3, minute=5, record_id="id-1", allocations=None):
    return ControlRecord.from_json(
        {
            "operation": "BatchMeterUsage",
            "productCode": "prod-a",
            "customerIdentifier": customer,
            "customerAWSAccountId": None,
            "licenseArn": None,
            "callerAccessKeyId": None,
            "dimension": dimension,
            "timestamp": HOUR.timestamp() + 60 * minute,
            "quantity": quantity,
            "allocations": allocations,
            "meteringRecordId": record_id,
        }
    )


def _state(*entries: Entry | None) -> ModelState:
    return ModelState(world=WORLD, usage={KEY: frozenset(entries)})


def _texts(state, records):
    return sorted(text for _, text in record_differences(state, records, ()))


def test_records_that_match_the_model_show_no_difference():
    state = _state(Entry(Decimal(3), frozenset(), "id-1"))
    assert _texts(state, [_record(minute=59)]) == []


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (_record(quantity=4), "quantity 4"),  # a quantity other than the one sent
        (_record(record_id="id-9"), "meteringRecordId id-9"),  # listed under another id
        (
            _record(allocations=[{"AllocatedUsageQuantity": 3, "Tags": [{"Key": "k", "Value": "v"}]}]),
            "allocations",
        ),
    ],
)
def test_a_record_unlike_what_was_sent_is_a_difference(record, expected):
    (text,) = _texts(_state(Entry(Decimal(3), frozenset(), "id-1")), [record])
    assert text.startswith("the record of BatchMeterUsage customer cust-1") and expected in text


def test_a_key_recorded_twice_missing_or_misplaced_is_a_difference():
    accepted = _state(Entry(Decimal(3), frozenset(), "id-1"))
    assert _texts(accepted, [_record(), _record(minute=30, record_id="id-2")]) == [
        "2 records of BatchMeterUsage customer cust-1, product prod-a, dimension users, "
        "hour 2026-11-02T10:00Z, where one at most may be"
    ]
    assert _texts(accepted, []) == [
        "no record of BatchMeterUsage customer cust-1, product prod-a, dimension users, "
        "hour 2026-11-02T10:00Z, which the target accepted"
    ]
    (misplaced, missing) = _texts(accepted, [_record(customer="cust-2")])
    assert (
        misplaced.startswith("a record of BatchMeterUsage customer cust-2")
        and "nothing accepted" in misplaced
    )
    assert missing.startswith("no record of BatchMeterUsage customer cust-1")
    assert _texts(accepted, [_record(customer="cust-9")]) == [
        "a record the model holds nothing like: quantity 3, meteringRecordId id-1, productCode prod-a, "
        "customerIdentifier cust-9, dimension users",
        "no record of BatchMeterUsage customer cust-1, product prod-a, dimension users, "
        "hour 2026-11-02T10:00Z, which the target accepted",
    ]


def test_what_the_model_is_unsure_of_may_go_either_way():
    unsure = _state(None, Entry(Decimal(3)))  # after an indeterminate answer
    assert _texts(unsure, []) == []
    assert _texts(unsure, [_record()]) == []
    assert _texts(ModelState(world=WORLD, open_world=True), [_record(quantity=7)]) == []


def _verdict(target, rule, seed=1):
    config = RunConfig(TargetOptions(target.name), get_profile("2025-01"), (rule,), "quick", seed, 1)
    target.open(minimal_world("setup", "2025-01"), NOW)
    try:
        return run_rule(config, rule, target.model, target)
    finally:
        target.close()


class _Served(ReferenceServerTarget):
    """The reference emulator over HTTP, with an optional test-only bug."""

    def __init__(self, model, mutant=None):
        super().__init__(model, hooks=mutant or NO_HOOKS)
        self.model = model


@pytest.mark.parametrize("seed", [1, 2])
def test_the_oracle_fails_mu_dryrun_when_a_dry_run_records(model, seed):
    result = _verdict(_Served(model, MUTANTS["dry-run-records"]), "MU-DRYRUN", seed)
    assert result.verdict == "fail", result.reason
    assert "the target's records disagree with the model: a record of MeterUsage caller" in result.reason
    assert "which nothing accepted" in result.reason
    assert result.trace.steps[-1].request.dry_run is True


def test_the_oracle_blames_an_overwritten_record_on_the_duplicate_rule(model):
    result = _verdict(_Served(model, MUTANTS["conflict-overwrites"]), "BMU-DUPLICATE")
    assert result.verdict == "fail", result.reason
    assert "the record of BatchMeterUsage customer" in result.reason
    assert "DuplicateRecord" in result.trace.steps[-1].observed


@pytest.mark.parametrize("rule", ["MU-DRYRUN", "BMU-DUPLICATE", "MU-HOUR-DUPLICATE", "BMU-ATOMIC"])
def test_the_oracle_passes_the_correct_emulator(model, rule):
    assert _verdict(_Served(model), rule).verdict == "pass"


def test_the_oracle_passes_the_in_process_reference():
    config = RunConfig(TargetOptions("reference"), get_profile("2025-01"), ("MU-DRYRUN",), "quick", 3, 1)
    model, target = open_target(config)
    try:
        assert run_rule(config, "MU-DRYRUN", model, target).verdict == "pass"
    finally:
        target.close()


def test_a_target_that_lists_no_records_is_not_asked():
    assert "records" not in MotoTarget.capabilities
