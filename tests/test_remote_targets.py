"""moto-server (started by the harness, or already running), the aws target against a loopback
stand-in, and flaky detection."""

from __future__ import annotations

import json

import pytest
from moto.server import ThreadedMotoServer

from conformance.cli import main
from conformance.emulator.server import Emulator
from conformance.engine.runner import RunConfig, run
from conformance.models import BatchMeterUsage, ServiceError
from conformance.models.profiles import get_profile
from conformance.targets import ReferenceTarget, TargetOptions
from tests.conftest import WORLD_JSON


def verdicts(report_dir):
    report = json.loads((report_dir / "report.json").read_text())
    return {r["id"]: r for r in report["rules"]}


def test_moto_server_started_by_the_harness(tmp_path):
    # moto's server answers an operation it lacks (MeterUsage, ResolveCustomer, RegisterUsage)
    # with a bare HTML 500, which says nothing of why: those rules fail like any crash
    rules = "BMU-WINDOW,BMU-SIZE-LIMIT,ALLOC-SUM,MU-ACCEPT,RC-RESOLVE,RU-SIGNATURE,BMU-DUPLICATE"
    argv = ["run", "--target", "moto-server", "--profile", "2025-01", "--budget", "quick", "--seed", "2",
            "--report", str(tmp_path)]  # fmt: skip
    assert main([*argv, "--rules", rules]) == 1
    found = verdicts(tmp_path)
    for rule in rules.split(","):
        assert found[rule]["verdict"] == "fail", (rule, found[rule])
    assert found["MU-ACCEPT"]["received"] == "500 InternalFailure"
    assert main(["replay", str(tmp_path / "traces" / "BMU-WINDOW.json"), "--target", "moto-server"]) == 1


@pytest.fixture
def running_moto():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_moto_server_not_started_by_the_harness(running_moto, tmp_path):
    """It cannot be told who is subscribed: rules that need a subscriber are untestable, with
    the reason; the rest are judged."""
    rules = "BMU-WINDOW,ALLOC-SUM,BMU-ACCEPT,RC-RESOLVE"
    argv = ["run", "--target", "moto-server", "--endpoint-url", running_moto, "--budget", "quick"]
    assert main([*argv, "--seed", "4", "--rules", rules, "--report", str(tmp_path)]) == 1
    found = verdicts(tmp_path)
    # on wall time the model lets a timestamp within two seconds of the window's edge go either
    # way, so the counterexample is one moto accepts however its clock and ours differ
    assert found["BMU-WINDOW"]["verdict"] == "fail", found["BMU-WINDOW"]
    assert found["RC-RESOLVE"]["verdict"] == "fail", found["RC-RESOLVE"]
    assert found["BMU-ACCEPT"]["verdict"] == "untestable"
    assert "subscribe" in found["BMU-ACCEPT"]["reason"]


@pytest.fixture
def stand_in(model):
    """A loopback stand-in for AWS: the emulator, with the world already in it."""
    from conformance.models import Fixtures

    server = Emulator(model, Fixtures.from_json(WORLD_JSON)).start()
    yield server
    server.close()


def aws_fixtures(tmp_path):
    data = json.loads(json.dumps(WORLD_JSON))
    for caller in data["callers"]:
        caller["secretAccessKey"] = "stand-in-secret-" + caller["accessKeyId"][-4:]
    path = tmp_path / "aws.json"
    path.write_text(json.dumps(data))
    return path


def test_aws_target_runs_guarded_against_a_stand_in(stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASELLERSTANDIN001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "seller-secret")
    fixtures = aws_fixtures(tmp_path)
    argv = ["run", "--target", "aws", "--endpoint-url", stand_in.url, "--fixtures", str(fixtures),
            "--allow-real-billing", "--max-records", "1500", "--budget", "quick", "--seed", "1",
            "--profile", "2025-01",
            "--rules", "BMU-WINDOW,BMU-DIMENSION,RC-EXPIRED,RETRY-CONVERGES,CONC-LINEARIZABLE",
            "--report", str(tmp_path / "R")]  # fmt: skip
    # aws runs on wall time: a timestamp near the window's edge may go either way (the stand-in
    # reads its clock a moment after the model), so a correct stand-in passes every rule
    assert main(argv) == 0
    found = verdicts(tmp_path / "R")
    passed = {"BMU-WINDOW", "BMU-DIMENSION", "RC-EXPIRED"}
    assert {r for r, v in found.items() if v["verdict"] == "pass"} == passed
    # AWS cannot be made to fail on demand, reset, or have its clock set: the reasons say so
    assert "needs faults injected between the harness and the target" in found["RETRY-CONVERGES"]["reason"]
    assert "needs concurrent clients on a target the harness resets" in found["CONC-LINEARIZABLE"]["reason"]
    assert {found[r]["verdict"] for r in ("RETRY-CONVERGES", "CONC-LINEARIZABLE")} == {"untestable"}
    assert 0 < len(stand_in.service.records) <= 1500  # the record cap held; the DryRun recorded nothing
    for path in (tmp_path / "R").rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "stand-in-secret" not in text and "seller-secret" not in text


def test_aws_target_refuses_a_stand_in_that_fails_the_dry_run(tmp_path, capsys):
    fixtures = aws_fixtures(tmp_path)
    argv = ["run", "--target", "aws", "--endpoint-url", "http://127.0.0.1:9", "--fixtures", str(fixtures),
            "--allow-real-billing", "--max-records", "5"]  # fmt: skip
    assert main(argv) == 3
    assert "DryRun" in capsys.readouterr().err


class OnceWrong(ReferenceTarget):
    """Answers the first batch of its life wrongly, then like the reference: a flaky target."""

    def __init__(self, model):
        super().__init__(model)
        self.wrong = True

    def invoke(self, request, context):
        exchange = super().invoke(request, context)
        if isinstance(request, BatchMeterUsage) and self.wrong:
            self.wrong = False
            return type(exchange)(request, context, ServiceError("InvalidProductCodeException", 400), None)
        return exchange


def test_a_divergence_that_does_not_replay_is_flaky(model, monkeypatch):
    from dataclasses import replace

    from conformance.targets import TARGETS

    once_wrong = replace(TARGETS["reference"], make=lambda options, model, fixtures: OnceWrong(model))
    monkeypatch.setitem(TARGETS, "reference", once_wrong)
    (result,) = run(
        RunConfig(
            TargetOptions("reference"), get_profile("2025-01"), rules=("BMU-ACCEPT",), budget="quick", seed=1
        )
    )
    assert result.verdict == "flaky"
    assert "did not reproduce" in result.reason
    assert "InvalidProductCodeException" in result.received
    assert result.replayed is not None
    replayed, *_, recorded = result.replayed.splitlines()
    assert replayed.startswith("step ") and "InvalidProductCodeException" not in replayed
    assert recorded.startswith("(the trace received: 400 InvalidProductCodeException")


def test_aws_record_cap_holds(stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASELLERSTANDIN001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "seller-secret")
    fixtures = str(aws_fixtures(tmp_path))
    argv = ["run", "--target", "aws", "--endpoint-url", stand_in.url, "--fixtures", fixtures,
            "--allow-real-billing", "--max-records", "3", "--budget", "quick", "--seed", "2",
            "--profile", "2025-01",
            "--rules", "BMU-ACCEPT,BMU-WINDOW"]  # fmt: skip
    main(argv)
    assert 0 < len(stand_in.service.records) <= 3
