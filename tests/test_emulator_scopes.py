"""Control protocol v1.1 scopes: independent service instances on one emulator, selected by
``X-Conformance-Scope``, and the ``endpoint`` target running campaigns side by side in them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from conformance.cli import main
from conformance.emulator.server import Emulator
from conformance.models.profiles import get_profile
from tests.conftest import WORLD_JSON
from tests.helpers import loopback_client

NOW = 1793620800.0  # 2026-11-02T12:00:00Z


def control(emulator, route, method="GET", body=None, scope=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{emulator.url}/_conformance{route}", data=data, method=method)
    if scope is not None:
        request.add_header("X-Conformance-Scope", scope)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def seller(emulator, scope=None):
    client = loopback_client(emulator.url, "AKIASELLERSCOPE00001")
    if scope is not None:

        def add(request, **_):
            request.headers["X-Conformance-Scope"] = scope

        client.meta.events.register("before-send.meteringmarketplace", add)
    return client


def meter_one(client, quantity=1):
    record = {"Timestamp": datetime.fromtimestamp(NOW - 60, UTC), "CustomerIdentifier": "cust-1",
              "Dimension": "users", "Quantity": quantity}  # fmt: skip
    return client.batch_meter_usage(ProductCode="prod-a", UsageRecords=[record])


@pytest.fixture
def emulator(model):
    server = Emulator(model).start()
    yield server
    server.close()


def test_two_scopes_see_nothing_of_each_other_and_no_header_is_v1(emulator):
    assert "scopes" in control(emulator, "")[1]["capabilities"]
    assert control(emulator, "/fixtures", "POST", WORLD_JSON, scope="a") == (200, {})
    assert control(emulator, "/clock", "POST", {"now": NOW}, scope="a") == (200, {"now": NOW})
    assert meter_one(seller(emulator, "a"))["Results"][0]["Status"] == "Success"
    for other in ("b", None):  # another scope, and the default one a v1 client talks to
        with pytest.raises(ClientError) as refused:
            meter_one(seller(emulator, other))
        assert refused.value.response["Error"]["Code"] == "InvalidProductCodeException"
        assert control(emulator, "/records", scope=other) == (200, {"records": []})
        assert control(emulator, "/clock", scope=other)[1]["now"] > NOW + 3600  # wall time
    assert len(control(emulator, "/records", scope="a")[1]["records"]) == 1
    # the same names in two scopes are unrelated: b records the same key afresh
    control(emulator, "/fixtures", "POST", WORLD_JSON, scope="b")
    control(emulator, "/clock", "POST", {"now": NOW}, scope="b")
    assert meter_one(seller(emulator, "b"), quantity=2)["Results"][0]["Status"] == "Success"
    # a client without the header: exactly v1, the default scope
    control(emulator, "/fixtures", "POST", WORLD_JSON)
    control(emulator, "/clock", "POST", {"now": NOW})
    assert meter_one(seller(emulator), quantity=3)["Results"][0]["Status"] == "Success"
    quantities = {s: [r["quantity"] for r in control(emulator, "/records", scope=s)[1]["records"]]
                  for s in ("a", "b", None)}  # fmt: skip
    assert quantities == {"a": [1], "b": [2], None: [3]}


def test_reset_is_per_scope_unless_all_scopes_are_named(emulator):
    for scope in ("a", "b"):
        control(emulator, "/fixtures", "POST", WORLD_JSON, scope=scope)
        control(emulator, "/clock", "POST", {"now": NOW}, scope=scope)
        meter_one(seller(emulator, scope))
    assert control(emulator, "/reset", "POST", {}, scope="a") == (200, {})
    assert control(emulator, "/records", scope="a")[1] == {"records": []}
    assert len(control(emulator, "/records", scope="b")[1]["records"]) == 1
    assert control(emulator, "/reset", "POST", {"allScopes": True}) == (200, {})
    assert control(emulator, "/records", scope="b")[1] == {"records": []}


def test_a_scope_name_outside_the_protocol_is_refused(emulator):
    status, body = control(emulator, "/records", scope="Not_OK")
    assert status == 400 and "X-Conformance-Scope" in body["error"]
    with pytest.raises(ClientError) as refused:
        meter_one(seller(emulator, "x" * 65))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_an_emulator_without_scopes_ignores_the_header(model):
    server = Emulator(model, scopes=False).start()
    try:
        assert "scopes" not in control(server, "")[1]["capabilities"]
        control(server, "/fixtures", "POST", WORLD_JSON, scope="a")
        control(server, "/clock", "POST", {"now": NOW}, scope="a")
        meter_one(seller(server))  # no header: the one and only instance has the world
        assert len(control(server, "/records", scope="b")[1]["records"]) == 1
    finally:
        server.close()


RULES = "BMU-WINDOW,BMU-DUPLICATE,MU-HOUR-DUPLICATE,RU-SIGNATURE,RC-EXPIRED,ALLOC-SUM"


def _verdicts(capsys, url, workers, tmp_path):
    report = tmp_path / f"w{workers}"
    argv = [
        "run",
        "--target",
        "endpoint",
        "--endpoint-url",
        url,
        "--budget",
        "quick",
        "--seed",
        "4",
        "--profile",
        "2025-01",
    ]  # the profile of the emulator it judges
    assert main([*argv, "--rules", RULES, "--workers", str(workers), "--report", str(report)]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    data = json.loads((report / "report.json").read_text())
    return header, {r["id"]: (r["verdict"], r["exercised"]) for r in data["rules"]}


def test_endpoint_campaigns_run_in_parallel_in_scopes_with_the_same_verdicts(emulator, capsys, tmp_path):
    serial_header, serial = _verdicts(capsys, emulator.url, 1, tmp_path)
    parallel_header, parallel = _verdicts(capsys, emulator.url, 2, tmp_path)
    assert serial_header.endswith("1 worker(s)") and parallel_header.endswith("2 worker(s)")
    assert parallel == serial and {v for v, _ in serial.values()} == {"pass"}


def test_without_scopes_endpoint_campaigns_run_one_at_a_time_and_say_so(model, capsys, tmp_path):
    server = Emulator(model, scopes=False).start()
    try:
        header, verdicts = _verdicts(capsys, server.url, 2, tmp_path)
    finally:
        server.close()
    assert "1 worker(s) (the endpoint announces no scopes: campaigns run one at a time)" in header
    assert {v for v, _ in verdicts.values()} == {"pass"}


def test_reference_server_workers_share_one_emulator_in_scopes_with_the_same_verdicts():
    from conformance.engine import RunConfig, run
    from conformance.engine.runner import _shared_emulator
    from conformance.targets import TargetOptions

    config = RunConfig(
        TargetOptions("reference-server"), get_profile("2025-01"), ("BMU-WINDOW", "RU-SIGNATURE"), "quick"
    )
    with _shared_emulator(config) as shared:
        url = shared.target.endpoint_url
        with urllib.request.urlopen(f"{url}/_conformance", timeout=10) as answer:
            assert "scopes" in json.loads(answer.read())["capabilities"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/_conformance", timeout=2)  # closed with the run
    one, two = (
        run(
            RunConfig(
                config.target, get_profile("2025-01"), rules=config.rules, budget="quick", seed=1, workers=w
            )
        )
        for w in (1, 2)
    )
    assert [(r.id, r.verdict, r.exercised) for r in one] == [(r.id, r.verdict, r.exercised) for r in two]
    assert {r.verdict for r in two} == {"pass"}
