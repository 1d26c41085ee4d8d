"""Clients nobody here wrote, against the reference emulator over loopback: the AWS CLI and
the AWS SDK for JavaScript v3 (installed by .ci/run from tests/js/package-lock.json)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from conformance.emulator.server import Emulator
from conformance.emulator.signing import verify
from conformance.models import Fixtures, from_epoch
from conformance.wire.service_model import snapshot_dir
from tests.conftest import AGENTCORE_CALLER, WORLD_2026_JSON, WORLD_JSON

JS = Path(__file__).parent / "js"
NOW = 1793620800.0  # 2026-11-02T12:00:00Z, frozen on the emulator
CALLER = WORLD_JSON["callers"][0]["accessKeyId"]


def _frozen_emulator(model, world):
    server = Emulator(model, Fixtures.from_json(world)).start()
    server.frozen = from_epoch(NOW)
    return server


@pytest.fixture
def emulator(model):
    server = _frozen_emulator(model, WORLD_JSON)
    yield server
    server.close()


def aws_cli(emulator, *args, env=None):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIASELLERCLI0000001", "AWS_SECRET_ACCESS_KEY": "cli-test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1", **(env or {})}  # fmt: skip
    command = [sys.executable, "-m", "awscli", "meteringmarketplace", *args, "--endpoint-url", emulator.url]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def records(quantity):
    return json.dumps([{"Timestamp": NOW - 3600, "CustomerIdentifier": "cust-1", "Dimension": "users",
                        "Quantity": quantity}])  # fmt: skip


def test_aws_cli_batch_meter_usage_then_a_conflicting_resubmission(emulator):
    first = aws_cli(emulator, "batch-meter-usage", "--product-code", "prod-a", "--usage-records", records(3))
    assert [r["Status"] for r in first["Results"]] == ["Success"]
    assert first["Results"][0]["MeteringRecordId"]
    again = aws_cli(emulator, "batch-meter-usage", "--product-code", "prod-a", "--usage-records", records(4))
    assert [r["Status"] for r in again["Results"]] == ["DuplicateRecord"]
    assert len(emulator.service.records) == 1 and emulator.service.records[0].quantity == 3


@pytest.mark.skipif(
    not os.environ.get("CI") and (not (JS / "node_modules").exists() or shutil.which("node") is None),
    reason="run 'npm ci --prefix tests/js' (.ci/run does, and in CI this test never skips)",
)
def test_javascript_sdk_v3_calls_all_four_operations(emulator):
    spec = {"timestamp": NOW - 60, "product": "prod-a", "customer": "cust-1", "dimension": "users",
            "token": "tok-1", "seller": "AKIASELLERJS00000001", "caller": CALLER}  # fmt: skip
    done = subprocess.run(["node", str(JS / "all_operations.mjs"), emulator.url, json.dumps(spec)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["batch"]["ok"]["Results"][0]["Status"] == "Success"
    assert out["meter"]["ok"]["MeteringRecordId"]
    assert out["resolve"]["ok"]["CustomerIdentifier"] == "cust-1"
    assert out["resolve"]["ok"]["ProductCode"] == "prod-a"
    assert out["unknownProduct"] == {"error": "InvalidProductCodeException", "status": 400}
    pem = emulator.service.keys.public_pem("prod-a", 1)
    claims = verify(out["register"]["ok"]["Signature"], pem)
    assert claims["productCode"] == "prod-a" and claims["nonce"] == "js-nonce-1"


# -- the API of November 2026 ---------------------------------------------------------------------


@pytest.fixture
def emulator26(model26):
    server = _frozen_emulator(model26, WORLD_2026_JSON)
    yield server
    server.close()


def test_boto3_sends_decimal_quantities_client_tokens_and_reads_agreement_ids(emulator26):
    """The installed boto3 as a seller uses it (its own service model, its own ClientTokens)."""
    session = boto3.session.Session(
        aws_access_key_id=AGENTCORE_CALLER, aws_secret_access_key="x", region_name="us-east-1"
    )
    agent = session.client("meteringmarketplace", endpoint_url=emulator26.url)
    at = from_epoch(NOW - 600)
    meter = {"ProductCode": "prod-a", "Timestamp": at, "UsageDimension": "users"}
    first = agent.meter_usage(**meter, UsageQuantityAsDecimal="1.5", ClientToken="boto3-1")
    again = agent.meter_usage(**meter, UsageQuantityAsDecimal="1.50", ClientToken="boto3-1")  # by value
    other = agent.meter_usage(**meter, UsageQuantityAsDecimal="1.5", ClientToken="boto3-2")
    assert first["MeteringRecordId"] == again["MeteringRecordId"] != other["MeteringRecordId"]
    seller = boto3.session.Session(
        aws_access_key_id="AKIASELLERBOTO300001", aws_secret_access_key="x", region_name="us-east-1"
    ).client("meteringmarketplace", endpoint_url=emulator26.url)
    record = {
        "Timestamp": at,
        "CustomerIdentifier": "cust-1",
        "Dimension": "users",
        "QuantityAsDecimal": "3.0",
    }
    done = seller.batch_meter_usage(ProductCode="prod-a", UsageRecords=[record])
    result = done["Results"][0]
    assert result["Status"] == "Success" and result["UsageRecord"]["QuantityAsDecimal"] == "3.0"
    by_value = {**{k: v for k, v in record.items() if k != "QuantityAsDecimal"}, "Quantity": 3}
    again = seller.batch_meter_usage(ProductCode="prod-a", UsageRecords=[by_value])["Results"][0]
    assert again["Status"] == "Success" and again["MeteringRecordId"] == result["MeteringRecordId"]
    resolved = seller.resolve_customer(RegistrationToken="tok-1")
    assert resolved["Metadata"] == {"AgreementId": "agmt-1"} and resolved["CustomerIdentifier"] == "cust-1"
    assert [r.quantity for r in emulator26.service.records] == ["1.5", "1.5", "3.0"]


def test_aws_cli_meters_a_decimal_quantity_with_a_client_token(emulator26):
    """The AWS CLI 1.46.3 vendors botocore 1.43.62, older than the decimal members: it is given
    the 2026-11 service model through AWS_DATA_PATH, as a user of an older CLI would."""
    env = {"AWS_DATA_PATH": str(snapshot_dir("2026-11")), "AWS_ACCESS_KEY_ID": AGENTCORE_CALLER}
    args = ["meter-usage", "--product-code", "prod-a", "--timestamp", str(int(NOW - 300)),
            "--usage-dimension", "users", "--usage-quantity-as-decimal", "0.75"]  # fmt: skip
    first = aws_cli(emulator26, *args, "--client-token", "cli-1", env=env)
    again = aws_cli(emulator26, *args, "--client-token", "cli-1", env=env)
    other = aws_cli(emulator26, *args, "--client-token", "cli-2", env=env)
    assert first["MeteringRecordId"] == again["MeteringRecordId"] != other["MeteringRecordId"]
    assert [r.quantity for r in emulator26.service.records] == ["0.75", "0.75"]


@pytest.mark.skipif(
    not os.environ.get("CI") and (not (JS / "node_modules").exists() or shutil.which("node") is None),
    reason="run 'npm ci --prefix tests/js' (.ci/run does, and in CI this test never skips)",
)
def test_javascript_sdk_v3_meters_decimal_quantities_by_client_token(emulator26):
    spec = {"timestamp": NOW - 120, "product": "prod-a", "dimension": "users", "caller": AGENTCORE_CALLER}
    done = subprocess.run(["node", str(JS / "decimal_quantities.mjs"), emulator26.url, json.dumps(spec)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    first, retry, second = (out[k]["ok"]["MeteringRecordId"] for k in ("first", "retry", "second"))
    assert first == retry != second
    assert out["conflict"] == {"error": "IdempotencyConflictException", "status": 400}
    assert [r.quantity for r in emulator26.service.records] == ["1.25", "0.000001"]
