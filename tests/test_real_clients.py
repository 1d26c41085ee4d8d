"""Clients nobody here wrote, against the reference emulator over loopback: the AWS CLI and
the AWS SDK for JavaScript v3 (installed by .ci/run from tests/js/package-lock.json)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.emulator import Emulator
from conformance.signing import verify
from models import Fixtures
from tests.conftest import WORLD_JSON

JS = Path(__file__).parent / "js"
NOW = 1793620800.0  # 2026-11-02T12:00:00Z, frozen on the emulator
CALLER = WORLD_JSON["callers"][0]["accessKeyId"]


@pytest.fixture
def emulator(model):
    server = Emulator(model, Fixtures.from_json(WORLD_JSON)).start()
    server.frozen = __import__("models").from_epoch(NOW)
    yield server
    server.close()


def aws_cli(emulator, *args):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIASELLERCLI0000001", "AWS_SECRET_ACCESS_KEY": "cli-test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1"}  # fmt: skip
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
    assert len(emulator.service.records) == 1 and emulator.service.records[0]["quantity"] == 3


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
