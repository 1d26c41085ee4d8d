"""The fault-injecting proxy: each fault kind does what it says to a real emulator behind it, draws
repeat with a seed, control routes pass untouched, and a correct emulator behind it passes the
rules faults touch (RETRY-CONVERGES becomes testable)."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter

import pytest

from conformance.emulator.hooks import NO_HOOKS
from conformance.emulator.server import Emulator
from conformance.engine.runner import START, RunConfig, run_rule
from conformance.faults import FaultProxy, FaultRates
from conformance.lab.mutants import MUTANTS
from conformance.models.outcomes import BatchMeterUsageResult, Indeterminate, ServiceError
from conformance.models.profiles import get_profile
from conformance.models.requests import BatchMeterUsage, CallContext, MeterUsage, UsageRecord
from conformance.models.world import Customer, Fixtures, Product
from conformance.strategies import minimal_world
from conformance.targets import ReferenceTarget, TargetOptions, TargetUsageError, check_faults
from conformance.targets.http import HttpInvoker
from conformance.targets.reference_server import ReferenceServerTarget

FIXTURES = Fixtures(
    products=(Product("prod-a", ("users",)),),
    customers=(Customer("cust-1", "111122223333", "prod-a"), Customer("cust-2", "444455556666", "prod-a")),
)
METER = MeterUsage("prod-a", START.replace(minute=0), "users", 3)
BATCH = BatchMeterUsage(
    "prod-a",
    (
        UsageRecord(START.replace(minute=0), "users", "cust-1", quantity=1),
        UsageRecord(START.replace(minute=0), "users", "cust-2", quantity=2),
    ),
)
CALLER = CallContext("AKIAFAULTSCALLER0001")


@pytest.fixture
def emulator(model):
    server = Emulator(model, FIXTURES)
    server.frozen = START
    server.start()
    yield server
    server.close()


def _through(emulator, model, **rates):
    proxy = FaultProxy(emulator.url, FaultRates(**rates), seed=3).start()
    return proxy, HttpInvoker(proxy.url, model.profile.name)


@pytest.fixture(params=["reference", "reference-server"])
def faulted(request, model):
    """A target injecting faults: in process (reference) or through a fault proxy on loopback
    (reference-server); opened on FIXTURES."""
    target = ReferenceTarget(model) if request.param == "reference" else ReferenceServerTarget(model)
    target.open(FIXTURES, START)
    yield target
    target.close()


def _meets(target, fault, request=METER, context=CALLER):
    target.inject_next(fault)
    exchange = target.invoke(request, context)
    assert exchange.fault == fault
    return exchange


def test_throttle_and_internal_errors_never_reach_the_target(faulted):
    for kind, code, status in (
        ("throttle", "ThrottlingException", 400),
        ("internal", "InternalServiceErrorException", 500),
    ):
        exchange = _meets(faulted, kind)
        assert isinstance(exchange.outcome, ServiceError)
        assert (exchange.outcome.code, exchange.raw.status) == (code, status)
    assert faulted.faults_injected() == {"throttle": 1, "internal": 1}
    assert faulted.records() == ()


def test_a_reset_before_loses_the_request_and_a_reset_after_loses_the_answer(faulted):
    assert isinstance(_meets(faulted, "reset-before").outcome, Indeterminate)
    assert faulted.records() == ()
    assert isinstance(_meets(faulted, "reset-after").outcome, Indeterminate)
    assert len(faulted.records()) == 1  # recorded, and the answer lost
    assert faulted.faults_injected() == {"reset-before": 1, "reset-after": 1}


def test_unprocessed_moves_one_processed_record_of_a_batch_answer(faulted):
    outcome = _meets(faulted, "latency=5;unprocessed=1", BATCH, CallContext()).outcome
    assert isinstance(outcome, BatchMeterUsageResult)
    assert len(outcome.results) == 1 and len(outcome.unprocessed) == 1
    assert outcome.unprocessed[0].customer_identifier == "cust-2"  # the second Success, as named
    assert len(faulted.records()) == 2  # both processed: only the answer lost one
    assert faulted.faults_injected() == {"latency": 1, "unprocessed": 1}


def test_a_target_draws_faults_only_when_given_a_rate(faulted):
    assert faulted.invoke(METER, CALLER).fault is None
    faulted.set_faults(FaultRates(throttle=1.0), seed=1)
    assert faulted.invoke(METER, CALLER).fault == "throttle"
    faulted.set_faults(FaultRates(), seed=1)
    assert faulted.invoke(METER, CALLER).fault is None
    assert faulted.faults_injected() == {"throttle": 1}


def test_the_proxy_injects_what_it_draws_for_a_client_naming_no_faults(emulator, model):
    proxy, http = _through(emulator, model, reset_before=1.0)
    assert isinstance(http.invoke(METER, CALLER).outcome, Indeterminate)
    proxy.close()
    assert emulator.service.records == []
    assert proxy.counts() == {"reset-before": 1}


def test_control_routes_pass_untouched(emulator):
    proxy = FaultProxy(emulator.url, FaultRates(throttle=1.0)).start()
    with urllib.request.urlopen(proxy.url + "/_conformance", timeout=10) as response:
        assert json.load(response)["protocol"] == "metering-conformance-control"
    proxy.close()
    assert proxy.counts() == {}


def test_the_same_seed_draws_the_same_faults(emulator, model):
    def faults(seed):
        proxy = FaultProxy(emulator.url, FaultRates.spread(0.2), seed=seed).start()
        http = HttpInvoker(proxy.url, model.profile.name)
        kinds = [type(http.invoke(METER, CALLER).outcome).__name__ for _ in range(12)]
        proxy.close()
        return kinds, proxy.counts()

    assert faults(5) == faults(5)
    assert faults(5) != faults(6)


def test_rates_are_checked():
    with pytest.raises(ValueError, match="at most 1"):
        FaultRates.spread(1.2)
    with pytest.raises(ValueError, match="at most 1"):
        FaultRates(throttle=0.6, internal=0.6)
    with pytest.raises(TargetUsageError, match="--faults needs a target the harness puts faults in front of"):
        check_faults("moto", 0.1)
    check_faults("moto", 0.0)
    check_faults("reference-server", 0.1)


def _verdict(model, rule, seed, mutant=None):
    target = ReferenceServerTarget(model, hooks=mutant or NO_HOOKS)
    target.open(minimal_world("setup", "2025-01"), START)
    try:
        config = RunConfig(
            TargetOptions("reference-server"), get_profile("2025-01"), (rule,), "quick", seed, 1, faults=0.1
        )
        return run_rule(config, rule, model, target), target.faults_injected()
    finally:
        target.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_retry_converges_passes_the_correct_emulator_through_faults(model, seed):
    result, injected = _verdict(model, "RETRY-CONVERGES", seed)
    assert result.verdict == "pass", result.reason
    assert result.exercised > 0
    assert sum(injected.values()) > 0


def test_retry_converges_fails_an_emulator_that_records_a_retry_again(model):
    results = [
        _verdict(model, "RETRY-CONVERGES", seed, MUTANTS["retry-recorded-again"])[0] for seed in (1, 2)
    ]
    assert [r.verdict for r in results] == ["fail", "fail"], [(r.verdict, r.reason) for r in results]
    for failed in results:
        assert "the target's records disagree with the model" in failed.reason
        assert len(failed.trace.steps) == 2  # the lost answer, and the retry recorded again


@pytest.mark.parametrize("name", ["reference", "reference-server"])
def test_retry_converges_is_tested_with_faults_of_its_own_when_the_run_has_none(model, name):
    target = ReferenceTarget(model) if name == "reference" else ReferenceServerTarget(model)
    target.open(minimal_world("setup", "2025-01"), START)
    try:
        config = RunConfig(
            TargetOptions(name), get_profile("2025-01"), ("RETRY-CONVERGES", "MU-ACCEPT"), "quick", 1, 1
        )
        result = run_rule(config, "RETRY-CONVERGES", model, target)
        other = run_rule(config, "MU-ACCEPT", model, target)
    finally:
        target.close()
    assert result.verdict == "pass", result.reason
    assert sum(n for _, n in result.faults) > 0
    assert other.verdict == "pass" and other.faults == ()  # the run's other rules meet none


def test_retry_converges_in_process_fails_an_emulator_that_records_a_retry_again(model):
    verdicts = []
    for seed in (1, 2):
        target = ReferenceTarget(model, hooks=MUTANTS["retry-recorded-again"])
        target.open(minimal_world("setup", "2025-01"), START)
        config = RunConfig(
            TargetOptions("reference"), get_profile("2025-01"), ("RETRY-CONVERGES",), "quick", seed, 1
        )
        verdicts.append(run_rule(config, "RETRY-CONVERGES", model, target))
    assert [r.verdict for r in verdicts] == ["fail", "fail"], [(r.verdict, r.reason) for r in verdicts]
    assert all("records disagree with the model" in r.reason for r in verdicts)


def test_a_trace_found_through_faults_replays_with_them_and_only_where_they_can_be_given(
    model, tmp_path, capsys
):
    from conformance.cli import main

    target = ReferenceTarget(model, hooks=MUTANTS["retry-recorded-again"])
    target.open(minimal_world("setup", "2025-01"), START)
    config = RunConfig(
        TargetOptions("reference"), get_profile("2025-01"), ("RETRY-CONVERGES",), "quick", 1, 1
    )
    result = run_rule(config, "RETRY-CONVERGES", model, target)
    assert result.verdict == "fail" and result.trace.faults == 1.0
    assert any(s.fault not in (None, "none") for s in result.trace.steps)
    path = tmp_path / "RETRY-CONVERGES.json"
    result.trace.save(path)
    capsys.readouterr()
    assert main(["replay", str(path), "--target", "reference"]) == 0  # the correct reference conforms
    assert main(["replay", str(path), "--target", "moto"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "met injected faults, which moto cannot be given" in err[0], err


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hypothesis_replays_an_example_with_the_faults_it_met(model, seed, monkeypatch):
    """A campaign's faults are part of its examples: Hypothesis never finds an example that
    draws differently when it runs it again (the campaign would end the round early)."""
    import conformance.engine.campaign as campaign

    monkeypatch.setattr(campaign, "FlakyStrategyDefinition", type("NeverRaised", (Exception,), {}))
    target = ReferenceTarget(model)
    target.open(minimal_world("setup", "2025-01"), START)
    config = RunConfig(
        TargetOptions("reference"), get_profile("2025-01"), ("BMU-DUPLICATE",), "quick", seed, 1, faults=0.2
    )
    result = run_rule(config, "BMU-DUPLICATE", model, target)
    assert result.verdict == "pass" and sum(n for _, n in result.faults) > 0


def test_retry_converges_on_moto_is_untestable_naming_what_is_missing(model):
    from conformance.targets.moto import MotoTarget

    target = MotoTarget(model.profile)
    config = RunConfig(TargetOptions("moto"), get_profile("2025-01"), ("RETRY-CONVERGES",), "quick", 1, 1)
    result = run_rule(config, "RETRY-CONVERGES", model, target)
    assert result.verdict == "untestable"
    assert "needs faults injected between the harness and the target" in result.reason
    assert "reference, reference-server and endpoint" in result.reason


def test_a_run_through_faults_reports_what_was_injected(tmp_path, capsys):
    from conformance.cli import main

    report = tmp_path / "report"
    rules = "RETRY-CONVERGES,BMU-IDEMPOTENT"
    argv = ["run", "--target", "reference-server", "--faults", "0.1", "--budget", "quick", "--seed", "4"]
    code = main([*argv, "--workers", "1", "--rules", rules, "--report", str(report)])
    assert code == 0, capsys.readouterr().out
    data = json.loads((report / "report.json").read_text())
    assert data["faults"]["rate"] == 0.1
    injected = data["faults"]["injected"]
    assert sum(injected.values()) > 0
    per_rule = [r["faults"] for r in data["rules"]]
    assert {k: sum(r.get(k, 0) for r in per_rule) for k in injected} == injected
    assert {r["id"]: r["fault_rate"] for r in data["rules"]} == {
        "RETRY-CONVERGES": 1.0,
        "BMU-IDEMPOTENT": 0.1,
    }
    assert (
        "Faults injected (chance a request meets a fault: 0.1 in every campaign; 1.0 in RETRY-CONVERGES): "
        in (report / "report.md").read_text()
    )


def test_a_run_in_process_injects_faults_in_every_campaign(tmp_path, capsys):
    from conformance.cli import main

    argv = ["run", "--target", "reference", "--faults", "0.1", "--budget", "quick", "--seed", "5",
            "--workers", "1", "--rules", "BMU-IDEMPOTENT,MU-HOUR-DUPLICATE,BMU-ATOMIC",
            "--report", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().out
    data = json.loads((tmp_path / "report.json").read_text())
    assert {r["verdict"] for r in data["rules"]} == {"pass"}
    assert all(r["fault_rate"] == 0.1 and sum(r["faults"].values()) > 0 for r in data["rules"])
    assert (
        "Faults injected (chance a request meets a fault: 0.1 in every campaign): "
        in (tmp_path / "report.md").read_text()
    )


def test_both_rules_are_tested_on_an_endpoint_with_the_control_protocol(tmp_path, capsys):
    """`conformance run --target endpoint` against a running emulator, no --faults: the faults
    RETRY-CONVERGES needs go through a proxy the target starts; CONC-LINEARIZABLE's histories
    are checked and counted."""
    from conformance.cli import main
    from conformance.wire.service_model import model_for

    server = Emulator(model_for("2026-11")).start()
    try:
        argv = ["run", "--target", "endpoint", "--endpoint-url", server.url, "--profile", "2026-11",
                "--budget", "quick", "--seed", "2", "--workers", "1",
                "--rules", "RETRY-CONVERGES,CONC-LINEARIZABLE", "--report", str(tmp_path)]  # fmt: skip
        assert main(argv) == 0, capsys.readouterr().out
    finally:
        server.close()
    data = json.loads((tmp_path / "report.json").read_text())
    rules = {r["id"]: r for r in data["rules"]}
    assert {r["verdict"] for r in rules.values()} == {"pass"}
    assert sum(rules["RETRY-CONVERGES"]["faults"].values()) > 0 and rules["CONC-LINEARIZABLE"]["faults"] == {}
    assert data["histories"]["checked"] == rules["CONC-LINEARIZABLE"]["histories"] == 12
    assert 24 <= data["histories"]["requests"] <= 48
    text = (tmp_path / "report.md").read_text()
    assert "Concurrent histories checked: 12, of " in text
    assert "Faults injected (chance a request meets a fault: 1.0 in RETRY-CONVERGES): " in text


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "--target", "moto", "--faults", "0.1"], "--faults needs a target the harness puts faults"),
        (["run", "--target", "reference-server", "--faults", "0.6"], "not a fault rate from 0 to 0.5"),
        (["proxy", "--upstream", "ftp://127.0.0.1:1"], "--upstream ftp://127.0.0.1:1"),
    ],
)
def test_bad_fault_options_are_one_line_and_exit_2(argv, expected, capsys):
    from conformance.cli import main

    try:
        code = main(argv)
    except SystemExit as exit_info:
        code = exit_info.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and expected in err[0], err


def test_a_rate_is_the_chance_a_request_meets_a_fault():
    """``--faults RATE`` is the chance that a request meets a fault, one kind drawn evenly from
    those that apply to it: at 0.2 one request in five; at MAX_RATE (the highest the options
    allow) half the requests meet none, so retries converge."""
    import random

    from conformance.faults.plan import FAULT_KINDS, MAX_RATE, Fault, draw_fault, parse_rate

    assert parse_rate(str(MAX_RATE)) == MAX_RATE == 0.5
    with pytest.raises(ValueError, match="the chance that a request meets a fault"):
        parse_rate("0.51")
    rng = random.Random(1)
    for rate in (0.2, MAX_RATE):
        for batch in (False, True):
            faults = [draw_fault(FaultRates.spread(rate), batch, rng) for _ in range(6000)]
            met = [f for f in faults if f != Fault()]
            assert abs(len(met) / len(faults) - rate) < 0.025, (rate, batch, len(met))
            assert all(len(f.kinds) == 1 for f in met)  # one fault a request
            kinds = Counter(f.kinds[0] for f in met)
            expected = set(FAULT_KINDS) if batch else set(FAULT_KINDS) - {"unprocessed"}
            assert set(kinds) == expected
            assert max(kinds.values()) < 1.3 * min(kinds.values())  # evenly
