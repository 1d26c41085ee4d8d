"""``conformance drift``: the October 2026 API change, seen by comparing the two shipped
snapshots, and the installed botocore compared with the newest profile's."""

from __future__ import annotations

import json

import pytest

from conformance.cli import main
from conformance.models.profiles import NEWEST_PROFILE, PROFILES
from conformance.wire.drift import Change, diff_service_models
from conformance.wire.service_model import botocore_version, load_service_dict, snapshot_path


def test_the_october_2026_changes_are_reported():
    changes = diff_service_models(load_service_dict("2025-01"), load_service_dict("2026-11"))
    found = {(c.kind, c.where) for c in changes}
    for member in (
        "MeterUsageRequest.UsageQuantityAsDecimal",
        "UsageRecord.QuantityAsDecimal",
        "UsageAllocation.AllocatedUsageQuantityAsDecimal",
        "ResolveCustomerResult.Metadata",
        "MeterUsageRequest.ClientToken",
    ):
        assert ("added", member) in found, member
    assert Change("added", "Metadata", "shape (structure, members AgreementId)") in changes
    assert Change("required", "UsageAllocation.AllocatedUsageQuantity", "no longer required") in changes
    deprecated = [c for c in changes if c.kind == "deprecated"]
    assert {c.where for c in deprecated} == {
        "MeterUsageRequest.UsageQuantity",
        "UsageRecord.Quantity",
        "UsageAllocation.AllocatedUsageQuantity",
    }
    assert all("since 2026-10-20" in c.detail for c in deprecated)
    assert ("error", "MeterUsage") in found and ("added", "IdempotencyConflictException") in found
    assert Change("limit", "CustomerIdentifier", "min 1 -> 0") in changes
    assert any(c.kind == "doc" and "AgentCore" in c.detail for c in changes)


def test_a_model_compared_with_itself_has_no_changes():
    assert diff_service_models(load_service_dict("2026-11"), load_service_dict("2026-11")) == []


def test_cli_drift_against_a_file_exits_1_on_change(capsys):
    newest = snapshot_path(NEWEST_PROFILE)
    assert main(["drift", "--profile", "2025-01", "--against", str(newest)]) == 1
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"conformance drift: {newest} against profile 2025-01 (botocore-1.36.3):")
    assert "+ added      UsageRecord.QuantityAsDecimal: member of shape UsageQuantityAsDecimalString" in out
    assert main(["drift", "--profile", NEWEST_PROFILE, "--against", str(newest), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["changes"] == [] and data["snapshot"] == PROFILES[NEWEST_PROFILE].service_model


def test_cli_drift_refuses_a_file_that_is_not_a_service_model(tmp_path, capsys):
    bad = tmp_path / "service-2.json"
    bad.write_text("{not json")
    assert main(["drift", "--against", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and "Traceback" not in err


@pytest.mark.skipif(
    botocore_version() != PROFILES[NEWEST_PROFILE].service_model.removeprefix("botocore-"),
    reason="the installed botocore is not the newest profile's release (constraints.txt pins it)",
)
def test_the_installed_botocore_is_the_newest_profile_s_and_older_than_nothing(capsys):
    assert main(["drift"]) == 0
    assert main(["drift", "--profile", "2025-01"]) == 1
    assert "the installed botocore" in capsys.readouterr().out
