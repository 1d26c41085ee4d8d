"""The reference emulator over real HTTP: the control protocol, bad input, and the harness's
``endpoint`` target certifying it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conformance.cli import main
from conformance.emulator.server import Emulator
from conformance.emulator.signing import verify
from conformance.models import Fixtures
from conformance.wire.service_model import model_for as model_for_profile
from tests.conftest import WORLD_JSON


@pytest.fixture
def emulator(model):
    server = Emulator(model).start()
    yield server
    server.close()


def http(url, method="GET", body=None, headers=None):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Content-Type"), json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type"), json.loads(error.read() or b"{}")


def control(emulator, route, method="GET", body=None):
    return http(f"{emulator.url}/_conformance{route}", method, body)


def client(emulator, key="AKIASELLER0000000001"):
    return boto3.client(
        "meteringmarketplace",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_control_protocol_announces_itself(emulator):
    status, _, body = control(emulator, "")
    assert status == 200
    assert body == {
        "protocol": "metering-conformance-control",
        "version": 1,
        "capabilities": ["reset", "fixtures", "clock", "records", "public-key", "scopes"],
    }


def test_clock_freezes_and_returns_to_wall_time(emulator):
    assert control(emulator, "/clock", "POST", {"now": 1764316800.0})[2] == {"now": 1764316800.0}
    assert control(emulator, "/clock")[2] == {"now": 1764316800.0}
    assert control(emulator, "/clock", "POST", {"now": None})[2]["now"] > 1764316800.0
    assert control(emulator, "/clock", "POST", {"now": "soon"})[0] == 400


def test_records_and_reset(emulator):
    control(emulator, "/fixtures", "POST", WORLD_JSON)
    control(emulator, "/clock", "POST", {"now": 1764331200.0})
    records = [{"Timestamp": 1764327600, "CustomerIdentifier": "cust-1", "Dimension": "users", "Quantity": 3}]
    answer = client(emulator).batch_meter_usage(ProductCode="prod-a", UsageRecords=records)
    assert answer["Results"][0]["Status"] == "Success"
    client(emulator).batch_meter_usage(ProductCode="prod-a", UsageRecords=records)  # identical retry
    listed = control(emulator, "/records")[2]["records"]
    assert len(listed) == 1
    assert listed[0]["customerIdentifier"] == "cust-1" and listed[0]["quantity"] == 3
    assert listed[0]["meteringRecordId"] == answer["Results"][0]["MeteringRecordId"]
    control(emulator, "/reset", "POST", {})
    assert control(emulator, "/records")[2] == {"records": []}


def test_register_usage_signature_verifies_with_the_served_key(emulator):
    control(emulator, "/fixtures", "POST", WORLD_JSON)
    caller = WORLD_JSON["callers"][0]
    answer = client(emulator, caller["accessKeyId"]).register_usage(
        ProductCode=caller["productCode"], PublicKeyVersion=1, Nonce="n-1"
    )
    status, _, key = control(emulator, f"/public-key?productCode={caller['productCode']}&version=1")
    assert status == 200
    claims = verify(answer["Signature"], key["pem"])
    assert claims["productCode"] == caller["productCode"] and claims["nonce"] == "n-1"
    assert control(emulator, "/public-key?productCode=nope&version=1")[0] == 404


@pytest.mark.parametrize(
    ("body", "target", "status", "error"),
    [
        (b"{not json", "AWSMPMeteringService.BatchMeterUsage", 400, "SerializationException"),
        (b"{}", None, 400, "UnknownOperationException"),
        (b"{}", "AWSMPMeteringService.Nope", 400, "UnknownOperationException"),
        (json.dumps({"ProductCode": 7, "UsageRecords": []}).encode(), "AWSMPMeteringService.BatchMeterUsage",
         400, "SerializationException"),
        (json.dumps({"RegistrationToken": "t", "Extra": 1}).encode(), "AWSMPMeteringService.ResolveCustomer",
         400, "ValidationException"),
        (json.dumps({"ProductCode": "prod-a", "PublicKeyVersion": "1"}).encode(),
         "AWSMPMeteringService.RegisterUsage", 400, "SerializationException"),
        (json.dumps({"RegistrationToken": ""}).encode(), "AWSMPMeteringService.ResolveCustomer",
         400, "ValidationException"),
    ],
)  # fmt: skip
def test_bad_input_gets_a_4xx_and_changes_nothing(emulator, body, target, status, error):
    control(emulator, "/fixtures", "POST", WORLD_JSON)
    headers = {"Content-Type": "application/x-amz-json-1.1", **({"X-Amz-Target": target} if target else {})}
    got_status, content_type, answer = http(emulator.url + "/", "POST", body, headers)
    assert (got_status, answer["__type"].split("#")[-1]) == (status, error)
    assert content_type == "application/x-amz-json-1.1"
    assert control(emulator, "/records")[2] == {"records": []}


NOW = 1_793_620_800  # 2026-11-02T12:00:00Z, the emulator's frozen clock in the tests below
GOOD_RECORD = {"Timestamp": NOW - 60, "CustomerIdentifier": "cust-1", "Dimension": "users", "Quantity": 3}
GOOD_BATCH = {"ProductCode": "prod-a", "UsageRecords": [GOOD_RECORD]}


def _padded(body: dict, size: int) -> bytes:
    text = json.dumps(body).encode()
    return text[:-1] + b" " * (size - len(text)) + b"}"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({**GOOD_BATCH, "Extra": 1}, "ValidationException"),
        ({**GOOD_BATCH, "UsageRecords": [{**GOOD_RECORD, "Extra": "x"}]}, "ValidationException"),
        ({**GOOD_BATCH, "UsageRecords": [{**GOOD_RECORD, "Quantity": "3"}]}, "SerializationException"),
        ({**GOOD_BATCH, "UsageRecords": [{**GOOD_RECORD, "Timestamp": []}]}, "SerializationException"),
        ({**GOOD_BATCH, "UsageRecords": [{**GOOD_RECORD, "Timestamp": 1e300}]}, "SerializationException"),
        ({**GOOD_BATCH, "UsageRecords": "x"}, "SerializationException"),
        (_padded(GOOD_BATCH, 2**20), "ValidationException"),
    ],
    ids=["unknown-member", "unknown-nested-member", "string-quantity", "list-timestamp",
         "huge-timestamp", "string-records", "1MiB-of-whitespace"],
)  # fmt: skip
def test_a_batch_out_of_shape_changes_nothing_where_the_same_batch_in_shape_records(emulator, body, error):
    control(emulator, "/fixtures", "POST", WORLD_JSON)
    control(emulator, "/clock", "POST", {"now": NOW})
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSMPMeteringService.BatchMeterUsage",
    }
    status, _, answer = http(emulator.url + "/", "POST", body, headers)
    assert (status, answer["__type"].split("#")[-1]) == (400, error)
    assert control(emulator, "/records")[2] == {"records": []}
    status, _, answer = http(emulator.url + "/", "POST", GOOD_BATCH, headers)
    assert (status, answer["Results"][0]["Status"]) == (200, "Success")
    assert len(control(emulator, "/records")[2]["records"]) == 1


def test_bad_fixtures_are_refused_with_an_error_object(emulator):
    status, _, body = control(emulator, "/fixtures", "POST", {"products": [{"productCode": "p"}]})
    assert status == 400 and "dimensions" in body["error"]
    assert control(emulator, "/nope")[0] == 404


def test_endpoint_target_certifies_the_emulator(emulator, capsys):
    rules = "BMU-WINDOW,BMU-DUPLICATE,MU-HOUR-DUPLICATE,RU-SIGNATURE,WIRE-MALFORMED,RC-EXPIRED"
    argv = [
        "run",
        "--target",
        "endpoint",
        "--endpoint-url",
        emulator.url,
        "--budget",
        "quick",
        "--seed",
        "5",
        "--profile",
        "2025-01",
    ]  # the profile of the emulator fixture
    assert main([*argv, "--rules", rules]) == 0
    assert "6 pass" in capsys.readouterr().out


def test_serve_with_the_shipped_example_world_answers_as_the_readme_says():
    """README: ``conformance serve --fixtures examples/world.json``, then an SDK signed with the
    example caller's key meters usage, and the records route lists it."""
    world = Path(__file__).resolve().parents[1] / "examples" / "world.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--fixtures", str(world)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line).group(1)
        status, _, body = http(url + "/_conformance")
        assert status == 200 and body["version"] == 1
        status, _, key = http(url + "/_conformance/public-key?productCode=prod-saas&version=1")
        assert status == 200 and key["pem"].startswith("-----BEGIN PUBLIC KEY-----")
        client = example_caller(url)
        now = datetime.now(UTC).replace(microsecond=0)
        answer = client.meter_usage(
            ProductCode="prod-container", Timestamp=now, UsageDimension="vcpu-hours", UsageQuantity=3
        )
        batch = client.batch_meter_usage(
            ProductCode="prod-saas",
            UsageRecords=[{"Timestamp": now, "CustomerIdentifier": "cust-lapsed", "Dimension": "users"}],
        )
        assert batch["Results"][0]["Status"] == "CustomerNotSubscribed"
        status, _, listed = http(url + "/_conformance/records")
        assert [r["meteringRecordId"] for r in listed["records"]] == [answer["MeteringRecordId"]]
        # a reset forgets the usage, not the world the server was started with
        assert http(url + "/_conformance/reset", "POST", {})[0] == 200
        assert http(url + "/_conformance/records")[2]["records"] == []
        again = client.meter_usage(
            ProductCode="prod-container", Timestamp=now, UsageDimension="vcpu-hours", UsageQuantity=3
        )
        assert again["MeteringRecordId"] != answer["MeteringRecordId"]  # not a duplicate any more
        # a scope of its own starts (and resets) empty: the harness's campaigns see only their world
        scoped = {"X-Conformance-Scope": "campaign-1"}
        http(url + "/_conformance/reset", "POST", {}, scoped)
        with pytest.raises(ClientError, match="InvalidProductCodeException"):
            example_caller(url, scope="campaign-1").meter_usage(
                ProductCode="prod-container", Timestamp=now, UsageDimension="vcpu-hours", UsageQuantity=3
            )
    finally:
        process.terminate()
        process.wait(10)


def example_caller(url, scope=None):
    """boto3 signed with examples/world.json's entitled caller; with ``scope``, in that scope."""
    client = boto3.client(
        "meteringmarketplace",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIAEXAMPLECALLER001",
        aws_secret_access_key="unused",
    )

    def add_scope(request, **_):
        request.headers["X-Conformance-Scope"] = scope

    if scope is not None:
        client.meta.events.register("before-sign.*.*", add_scope)
    return client


def test_an_oversized_body_is_refused_unread(emulator):
    """Only the headers are sent: the answer comes before any of the body is read."""
    import socket
    import urllib.parse

    from conformance.emulator.server import MAX_BODY

    control(emulator, "/fixtures", "POST", WORLD_JSON)
    url = urllib.parse.urlsplit(emulator.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSMPMeteringService.BatchMeterUsage\r\n"
            + f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode()
        )
        chunks = []
        while chunk := conn.recv(65536):  # the emulator closes the connection after answering
            chunks.append(chunk)
        answer = b"".join(chunks).decode()
    assert answer.startswith("HTTP/1.1 413")
    assert '"__type": "ValidationException"' in answer
    assert control(emulator, "/records")[2] == {"records": []}
    assert control(emulator, "")[0] == 200  # still serving


@pytest.mark.parametrize(
    ("shapes_first", "code"), [(False, "InvalidTagException"), (True, "ValidationException")]
)
def test_either_validation_order_refuses_a_shape_violation_and_records_nothing(model, shapes_first, code):
    server = Emulator(model, Fixtures.from_json(WORLD_JSON), shapes_first=shapes_first).start()
    try:
        seller = client(server)
        stamp = datetime.now(UTC)
        tags = [{"Key": f"k{i}", "Value": "v"} for i in range(6)]  # one more than TagList's max
        record = {"Timestamp": stamp, "CustomerIdentifier": "cust-1", "Dimension": "users", "Quantity": 1,
                  "UsageAllocations": [{"AllocatedUsageQuantity": 1, "Tags": tags}]}  # fmt: skip
        with pytest.raises(ClientError) as refused:
            seller.batch_meter_usage(ProductCode="prod-a", UsageRecords=[record])
        error = refused.value.response["Error"]
        assert error["Code"] == code
        if shapes_first:
            assert "UsageRecords[0].UsageAllocations[0].Tags" in error["Message"]  # names what is wrong
        assert control(server, "/records")[2] == {"records": []}
        del record["UsageAllocations"]
        done = seller.batch_meter_usage(ProductCode="prod-a", UsageRecords=[record])  # the control send
        assert done["Results"][0]["Status"] == "Success"
    finally:
        server.close()


def test_serve_validate_shapes_first_is_a_documented_option(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "--validate-shapes-first" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("body", "target", "says"),
    [
        (b"{not json", "BatchMeterUsage", "the body is not JSON"),
        (b"{}", "Nope", "operation 'AWSMPMeteringService.Nope': not an operation"),
        (json.dumps({"ProductCode": 7, "UsageRecords": []}), "BatchMeterUsage",
         "ProductCode: must be a string"),
        (json.dumps({"RegistrationToken": "t", "Extra": 1}), "ResolveCustomer",
         "Extra is not a member of ResolveCustomerRequest"),
        (json.dumps({"ProductCode": "nope", "UsageRecords": [GOOD_RECORD]}), "BatchMeterUsage",
         "product 'nope' is not a product of this service"),
        (json.dumps({"ProductCode": "prod-a", "UsageRecords": [{**GOOD_RECORD, "Dimension": "cpu"}]}),
         "BatchMeterUsage", "UsageRecords[0]: dimension 'cpu' is not one of product prod-a's"),
        (json.dumps({"ProductCode": "prod-a", "UsageRecords": [{**GOOD_RECORD, "Timestamp": NOW + 1}]}),
         "BatchMeterUsage",
         "Timestamp 2026-11-02T12:00:01Z is later than the service's now, 2026-11-02T12:00:00Z"),
        (json.dumps({"ProductCode": "prod-a", "UsageRecords": [{**GOOD_RECORD, "Timestamp": NOW - 25200}]}),
         "BatchMeterUsage", "is outside the window before the service's now, 2026-11-02T12:00:00Z"),
    ],
)  # fmt: skip
def test_an_error_message_says_what_is_wrong(emulator, body, target, says):
    control(emulator, "/fixtures", "POST", WORLD_JSON)
    control(emulator, "/clock", "POST", {"now": NOW})
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSMPMeteringService.{target}"}
    data = body if isinstance(body, bytes) else body.encode()
    status, _, answer = http(emulator.url + "/", "POST", data, headers)
    assert status == 400 and says in answer["message"], answer


def test_closing_the_emulator_ends_the_connections_clients_keep_open():
    """A kept-alive connection held a handler thread in a read for the life of the process
    (threads that outlive their server, at every pytest worker's exit)."""
    import threading

    server = Emulator(model_for_profile("2025-01"), Fixtures.from_json(WORLD_JSON)).start()
    client = boto3.client(
        "meteringmarketplace", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="AKIAKEEPALIVE0000001", aws_secret_access_key="unused",
    )  # fmt: skip
    before = set(threading.enumerate())
    with pytest.raises(ClientError):  # refused; the connection stays open
        client.batch_meter_usage(ProductCode="prod-a", UsageRecords=[])
    handlers = [t for t in threading.enumerate() if t not in before and "process_request" in t.name]
    assert handlers and all(h.is_alive() for h in handlers)
    server.close()
    assert not any(h.is_alive() for h in handlers)
