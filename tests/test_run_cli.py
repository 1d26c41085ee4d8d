"""``conformance run``, ``replay`` and ``diff`` end to end, through ``main`` (the console script's
function), with the report files checked against the schemas that ship with the project."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.reporting.trace import Trace
from conformance.wire.schemas import validate

ROOT = Path(__file__).resolve().parents[1]

MOTO_FAILS = ["BMU-WINDOW", "BMU-SIZE-LIMIT", "BMU-DUPLICATE", "ALLOC-SUM"]
# rules whose operation moto answers with 500 NotImplementedError, however it is asked
MOTO_LACKS = {"MU-ACCEPT": "MeterUsage", "MU-WINDOW": "MeterUsage", "RC-RESOLVE": "ResolveCustomer",
              "RU-SIGNATURE": "RegisterUsage"}  # fmt: skip


@pytest.fixture(scope="module")
def moto_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("moto") / "R"
    code = main(
        ["run", "--target", "moto", "--profile", "2025-01", "--budget", "quick", "--seed", "7",
         "--report", str(out),
         "--rules", ",".join([*MOTO_FAILS, *MOTO_LACKS, "BMU-EMPTY", "WIRE-MALFORMED"])]
    )  # fmt: skip
    return code, out


def test_reference_run_passes_every_rule_asked(tmp_path, capsys):
    rules = ["BMU-WINDOW", "BMU-DUPLICATE", "RC-RESOLVE", "RU-SIGNATURE", "WIRE-MALFORMED", "RETRY-CONVERGES"]
    code = main(["run", "--target", "reference", "--budget", "quick", "--seed", "3",
                 "--rules", ",".join(rules), "--report", str(tmp_path)])  # fmt: skip
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    validate("report", report)
    verdicts = {r["id"]: r["verdict"] for r in report["rules"]}
    assert verdicts == dict.fromkeys(rules, "pass")
    assert all(r["exercised"] > 0 for r in report["rules"])
    assert report["seed"] == 3 and report["budget"] == "quick" and report["target"] == "reference"
    # RETRY-CONVERGES injects faults of its own, in process; the run's other rules meet none
    faulted = {r["id"]: r["fault_rate"] for r in report["rules"] if r["faults"]}
    assert faulted == {"RETRY-CONVERGES": 1.0}  # every request meets a fault
    assert report["faults"]["rate"] == 0.0 and sum(report["faults"]["injected"].values()) > 0
    report_md = (tmp_path / "report.md").read_text()
    assert "Faults injected (chance a request meets a fault: 1.0 in RETRY-CONVERGES): " in report_md
    out = capsys.readouterr().out
    assert "seed 3" in out and "[  6/6]" in out and "6 pass" in out


def test_moto_run_fails_the_rules_moto_breaks(moto_report):
    code, out = moto_report
    assert code == 1
    report = json.loads((out / "report.json").read_text())
    verdicts = {r["id"]: r for r in report["rules"]}
    for rule in MOTO_FAILS:
        assert verdicts[rule]["verdict"] == "fail", rule
        assert verdicts[rule]["trace"] == f"traces/{rule}.json"
        assert (out / verdicts[rule]["trace"]).exists()
    assert verdicts["BMU-EMPTY"]["verdict"] == "pass"
    for rule, operation in MOTO_LACKS.items():
        assert verdicts[rule]["verdict"] == "unimplemented" and verdicts[rule]["operation"] == operation
        assert verdicts[rule]["trace"] is None
    # mock_aws takes no raw bodies, so WIRE-MALFORMED cannot be judged there: untestable with why
    assert verdicts["WIRE-MALFORMED"]["verdict"] == "untestable"
    assert "requests no SDK sends" in verdicts["WIRE-MALFORMED"]["reason"]


def test_junit_has_one_testcase_per_rule(moto_report):
    _, out = moto_report
    suite = ET.parse(out / "junit.xml").getroot()
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {*MOTO_FAILS, *MOTO_LACKS, "BMU-EMPTY", "WIRE-MALFORMED"}
    lacks = cases["MU-ACCEPT"].find("failure").get("message")
    assert lacks.startswith("unimplemented: moto does not implement MeterUsage: 500 NotImplementedError")
    assert cases["BMU-WINDOW"].find("failure") is not None
    assert cases["BMU-EMPTY"].find("failure") is None
    assert cases["WIRE-MALFORMED"].find("skipped") is not None


def test_report_md_shows_expected_received_and_the_trace(moto_report):
    _, out = moto_report
    text = (out / "report.md").read_text()
    assert "| BMU-WINDOW | fail |" in text
    section = text.split("## BMU-WINDOW: fail", 1)[1].split("\n## ", 1)[0]
    assert "Expected: TimestampOutOfBoundsException" in section
    assert "Received: 200" in section
    assert "BatchMeterUsage {" in section
    assert f"conformance replay {out}/traces/BMU-WINDOW.json --target moto" in section


def test_an_operation_moto_lacks_is_reported_once_apart_from_the_rules_it_breaks(moto_report, capsys):
    _, out = moto_report
    text = (out / "report.md").read_text()
    for operation in set(MOTO_LACKS.values()):
        assert text.count(f"**Not implemented: {operation}**") == 1
    assert "Rules it stopped: MU-ACCEPT, MU-WINDOW." in text
    assert "## MU-ACCEPT" not in text  # no failure section: nothing the rule decides was wrong
    assert text.splitlines()[2].startswith("**1 pass, 4 fail, 1 untestable, 4 unimplemented of 10 rules")


def test_no_artifact_holds_a_credential(moto_report):
    _, out = moto_report
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            for secret in ("AKIA", "conformance-not-a-secret", "Authorization", "Credential="):
                assert secret not in text, (path, secret)


def test_saved_traces_validate_and_round_trip(moto_report):
    _, out = moto_report
    for path in (out / "traces").glob("*.json"):
        data = json.loads(path.read_text())
        validate("trace", data)
        assert Trace.from_json(data).to_json() == data


@pytest.mark.parametrize("rule", ["BMU-WINDOW", "BMU-DUPLICATE", "ALLOC-SUM"])
def test_replay_reproduces_on_moto_and_not_on_reference(moto_report, rule, capsys):
    _, out = moto_report
    trace = out / "traces" / f"{rule}.json"
    assert main(["replay", str(trace), "--target", "moto"]) == 1
    assert "Divergence reproduced." in capsys.readouterr().out
    assert main(["replay", str(trace), "--target", "reference"]) == 0
    assert "does not reproduce" in capsys.readouterr().out


def test_diff_shows_where_moto_and_reference_disagree(moto_report, capsys):
    _, out = moto_report
    code = main(
        ["diff", str(out / "traces" / "BMU-WINDOW.json"), "--target", "moto", "--target", "reference"]
    )
    text = capsys.readouterr().out
    assert code == 1
    assert "moto: 200" in text and "reference: 400 TimestampOutOfBoundsException" in text


def test_generated_pytest_file_fails_while_moto_diverges(moto_report):
    _, out = moto_report
    module = out / "traces" / "test_bmu_window.py"
    assert module.exists()
    on_moto = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
                             capture_output=True, text=True)  # fmt: skip
    assert on_moto.returncode == 1, on_moto.stdout
    assert "BMU-WINDOW" in on_moto.stdout
    on_reference = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        capture_output=True, text=True, env={**__import__("os").environ, "CONFORMANCE_TARGET": "reference"},
    )  # fmt: skip
    assert on_reference.returncode == 0, on_reference.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--target", "nowhere"], "invalid choice: 'nowhere'"),
        (["run", "--target", "reference", "--rules", "BMU-NOPE"], "unknown rule 'BMU-NOPE'"),
        (["run", "--target", "reference", "--profile", "2025-01", "--rules", "MU-CLIENT-TOKEN"],
         "not in profile 2025-01"),
        (["run", "--target", "reference", "--workers", "0"], "'0' is not a whole number >= 1"),
        (["run", "--target", "endpoint"], "needs --endpoint-url"),
        (["run", "--target", "aws"], "--allow-real-billing"),
        (["run", "--target", "aws", "--allow-real-billing"], "needs --fixtures FILE"),
        (["replay", "missing.json", "--target", "reference"], "trace missing.json: cannot read it"),
        (["serve", "--port", "99999"], "'99999' is not a port; give a whole number from 0"),
        (["proxy", "--upstream", "http://127.0.0.1:9", "--port", "70000"], "'70000' is not a port"),
        (["run", "--target", "moto", "--endpoint-url", "http://127.0.0.1:9"],
         "--endpoint-url does nothing with --target moto (only reference-server, moto-server, endpoint"),
        (["run", "--target", "reference", "--fixtures", "examples/world.json"],
         "--fixtures does nothing with --target reference (only endpoint, aws read it); leave it out"),
        (["run", "--target", "reference", "--max-records", "3"], "--max-records does nothing with"),
        (["replay", "t.json", "--target", "moto", "--fixtures", "examples/world.json"],
         "--fixtures does nothing with --target moto"),
        (["diff", "t.json", "--target", "moto", "--target", "reference", "--endpoint-url", "http://h:1"],
         "--endpoint-url does nothing with --target moto or --target reference"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_bad_report_directory_or_url_stops_before_any_campaign(tmp_path, capsys, monkeypatch):
    import conformance.cli.run as run_command

    monkeypatch.setattr(run_command, "run", lambda *a, **k: pytest.fail("a campaign started"))
    a_file = tmp_path / "file"
    a_file.write_text("")
    cases = [
        (["--report", str(a_file / "R")], f"{a_file} exists and is not a directory"),
        (["--report", str(a_file)], f"{a_file} exists and is not a directory"),
        (["--report", "/proc/x"], "--report /proc/x: cannot write a report there"),
    ]
    for extra, message in cases:
        assert exit_code(["run", "--target", "reference", "--rules", "BMU-WINDOW", *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err, err
    for url in ("127.0.0.1:8080", "localhost:8080"):
        assert exit_code(["run", "--target", "endpoint", "--endpoint-url", url]) == 2
        err = capsys.readouterr().err
        assert f"write it as http://{url}" in err and err.count("\n") == 1, err


def test_version_and_help_read_as_plain_text(capsys):
    assert exit_code(["--version"]) == 0
    assert capsys.readouterr().out.startswith("metering-conformance ")
    assert exit_code(["--help"]) == 0
    out = capsys.readouterr().out
    assert "``" not in out and "Exit codes" in out
    assert exit_code(["run", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: standard)" in out and "(default: None)" not in out


def test_the_summary_table_cuts_reasons_at_a_word_and_has_no_header_when_all_pass():
    from conformance.reporting import RuleResult, summary_table
    from conformance.reporting.results import Verdict

    passed = [RuleResult("BMU-WINDOW", Verdict.PASS, 3)]
    assert summary_table(passed) == "1 pass"
    long = RuleResult("MU-ACCEPT", Verdict.UNTESTABLE, 0, "word " * 40)
    row = summary_table([*passed, long]).splitlines()[1]
    assert row.endswith("word…") and len(row.split("  ")[-1]) <= 90


def test_bad_fixture_file_names_the_problem(tmp_path, capsys):
    bad = tmp_path / "world.json"
    bad.write_text(json.dumps({"products": [{"productCode": "p"}]}))
    assert (
        main(["run", "--target", "endpoint", "--endpoint-url", "http://127.0.0.1:9", "--fixtures", str(bad)])
        == 2
    )
    err = capsys.readouterr().err
    assert "--fixtures" in err and "'dimensions' is a required property" in err and err.count("\n") == 1


def test_unreachable_endpoint_is_exit_3_and_leaves_no_report(tmp_path, capsys):
    code = main(["run", "--target", "endpoint", "--endpoint-url", "http://127.0.0.1:9",
                 "--report", str(tmp_path / "R")])  # fmt: skip
    assert code == 3
    err = capsys.readouterr().err
    assert "cannot be reached" in err and err.count("\n") == 1
    assert not (tmp_path / "R").exists()


@pytest.mark.parametrize("fixtures", [False, True])
def test_an_unresolvable_host_is_named_as_such(fixtures, tmp_path, capsys):
    """Not "does not speak the control protocol": nothing answered, whatever the fixtures."""
    world = ["--fixtures", str(ROOT / "examples" / "world.json")] if fixtures else []
    argv = ["run", "--target", "endpoint", "--endpoint-url", "http://no-such-host.invalid:8080", *world]
    assert main([*argv, "--report", str(tmp_path / "R")]) == 3
    err = capsys.readouterr().err
    assert "the host no-such-host.invalid cannot be resolved" in err and err.count("\n") == 1
    assert "control protocol" not in err and not (tmp_path / "R").exists()


def exit_code(argv):
    """``main``'s exit code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


def test_output_is_bounded_and_the_trace_keeps_every_value(tmp_path, capsys):
    """A megabyte request is shown as its size and digest in report.md, junit.xml and replay
    output; the trace file holds it whole."""
    out = tmp_path / "R"
    main(["run", "--target", "moto", "--budget", "quick", "--seed", "7", "--rules", "BMU-PAYLOAD-LIMIT",
          "--report", str(out)])  # fmt: skip
    capsys.readouterr()
    trace = out / "traces" / "BMU-PAYLOAD-LIMIT.json"
    assert trace.stat().st_size > 500_000  # the whole body is kept
    for name in ("report.md", "junit.xml"):
        assert (out / name).stat().st_size < 20_000, name
    assert "bytes, sha256 " in (out / "report.md").read_text()
    assert main(["replay", str(trace), "--target", "moto"]) == 1
    printed = capsys.readouterr().out
    assert len(printed.encode()) < 10_000 and "Divergence reproduced." in printed


def test_a_moto_report_stays_small(moto_report):
    _, out = moto_report
    assert (out / "report.md").stat().st_size < 100_000


def test_a_rule_whose_operation_the_target_lacks_names_the_operation(tmp_path, capsys):
    out = tmp_path / "R"
    main(["run", "--target", "moto", "--budget", "quick", "--seed", "1",
          "--rules", "MU-IDEMPOTENT,RU-NONCE", "--report", str(out)])  # fmt: skip
    rules = {r["id"]: r for r in json.loads((out / "report.json").read_text())["rules"]}
    assert {r["verdict"] for r in rules.values()} == {"unimplemented"}
    assert rules["MU-IDEMPOTENT"]["reason"].startswith(
        "moto does not implement MeterUsage: 500 NotImplementedError"
    )
    assert rules["RU-NONCE"]["reason"].startswith(
        "moto does not implement RegisterUsage: 500 NotImplementedError"
    )
    out = capsys.readouterr().out
    assert "MeterUsage               unimplemented          stopped 1 rule; it answers 500" in out


@pytest.fixture(scope="module")
def full_moto_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("moto-all") / "R"
    main(
        [
            "run",
            "--target",
            "moto",
            "--budget",
            "quick",
            "--seed",
            "3",
            "--workers",
            "1",
            "--report",
            str(out),
        ]
    )
    return out


def test_every_note_of_a_moto_report_is_true_of_its_minimal_trace(full_moto_report):
    """Every rule of a full moto run: record indices and quoted values of each failing rule's
    note appear in its minimal trace, and every mismatch of the trace's final step is printed
    in report.md."""
    out = full_moto_report
    report = json.loads((out / "report.json").read_text())
    markdown = (out / "report.md").read_text()
    failing = [r for r in report["rules"] if r["verdict"] == "fail"]
    assert len(failing) >= 15  # moto's batch and allocation rules: enough notes to check
    for rule in failing:
        trace_text = (out / rule["trace"]).read_text()
        trace = json.loads(trace_text)
        final = trace["steps"][-1]
        assert rule["reason"] == "; ".join(final["divergence"])
        records = len(final.get("params", {}).get("UsageRecords", [None]))
        for listed in re.findall(r"records? \[([\d, ]+)\]", rule["reason"]):
            assert all(int(i) < records for i in listed.split(",")), (rule["id"], listed, records)
        for quoted in re.findall(r"'([^']+)'", rule["reason"]):
            assert quoted in trace_text, (rule["id"], quoted)
        section = markdown.split(f"## {rule['id']}: fail", 1)[1].split("\n## ", 1)[0]
        for reason in final["divergence"]:
            assert f"✗ {reason}" in section
        for mismatch in final.get("alsoBroken", []):
            assert f"✗ also {mismatch['rule']}: {mismatch['reason']}" in section


def test_an_unreachable_moto_server_is_one_line_before_any_worker_starts(tmp_path, capfd):
    code = main(["run", "--target", "moto-server", "--endpoint-url", "http://127.0.0.1:9", "--workers", "2",
                 "--rules", "BMU-WINDOW", "--report", str(tmp_path / "R")])  # fmt: skip
    assert code == 3
    err = capfd.readouterr().err
    assert "did not answer POST /moto-api/reset" in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "R").exists()


def test_a_report_directory_that_holds_a_report_is_refused_without_force(tmp_path, capsys):
    argv = ["run", "--target", "reference", "--rules", "RC-RESOLVE", "--budget", "quick", "--seed", "1"]
    assert main([*argv, "--report", str(tmp_path)]) == 0
    (tmp_path / "traces").mkdir()
    (tmp_path / "traces" / "MU-ACCEPT.json").write_text("{}")  # an earlier run's trace
    capsys.readouterr()
    assert exit_code([*argv, "--report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"--report {tmp_path} already holds a report (report.json)" in err and "--force" in err
    assert err.count("\n") == 1 and (tmp_path / "traces" / "MU-ACCEPT.json").exists()
    assert main([*argv, "--report", str(tmp_path), "--force"]) == 0
    assert not (tmp_path / "traces").exists()  # replaced: this run failed nothing


@pytest.mark.parametrize(
    ("target", "module"), [("moto", "moto"), ("moto", "freezegun"), ("moto-server", "flask")]
)
def test_a_target_whose_extra_is_not_installed_names_the_extra(target, module, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, module, None)  # what importlib finds when it is not installed
    assert exit_code(["run", "--target", target, "--rules", "BMU-EMPTY"]) == 2
    err = capsys.readouterr().err
    assert f"--target {target} needs {module}, which is not installed" in err
    assert "pip install 'metering-conformance[moto]'" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_report_md_opens_with_three_lines_whose_replay_runs_from_where_the_run_ran(
    tmp_path, monkeypatch, capsys
):
    import shlex

    monkeypatch.chdir(tmp_path)
    argv = ["run", "--target", "moto", "--budget", "quick", "--seed", "1", "--rules", "BMU-EMPTY,BMU-WINDOW"]
    assert main([*argv, "--report", "out/R"]) == 1
    out = capsys.readouterr().out
    head = (tmp_path / "out" / "R" / "report.md").read_text().splitlines()[2:5]
    assert head[0] == "**1 pass, 1 fail of 2 rules: exit 1.**  "
    assert head[1].startswith("First failing rule: BMU-WINDOW (fail: expected TimestampOutOfBoundsException")
    command = re.fullmatch(r"Replay it: `(.+)`", head[2]).group(1)
    assert command == "conformance replay out/R/traces/BMU-WINDOW.json --target moto"
    assert f"Replay it: {command}" in out  # the terminal ends with the same lines
    assert main(shlex.split(command)[1:]) == 1  # pasted where the run ran: the divergence again
    assert "Divergence reproduced." in capsys.readouterr().out


def test_a_run_that_passes_says_how_to_repeat_it(tmp_path):
    argv = ["run", "--target", "reference", "--budget", "quick", "--seed", "2", "--rules", "BMU-EMPTY"]
    assert main([*argv, "--profile", "2025-01", "--report", str(tmp_path)]) == 0
    head = (tmp_path / "report.md").read_text().splitlines()[2:5]
    assert head[:2] == ["**1 pass of 1 rules: exit 0.**  ", "No rule failed.  "]
    assert head[2] == (
        "Repeat the run: `conformance run --target reference --profile 2025-01 --budget quick --seed 2 "
        "--rules BMU-EMPTY`"
    )


def test_an_error_message_that_repeats_its_code_is_shown_once():
    from conformance.models import ServiceError, describe_outcome

    code = "TimestampOutOfBoundsException"
    assert describe_outcome(ServiceError(code, 400, code)) == f"400 {code}"
    assert describe_outcome(ServiceError(code, 400, f"{code}: too old")) == f"400 {code}: too old"
    assert describe_outcome(ServiceError(code, 400, "too old")) == f"400 {code}: too old"


def test_without_a_report_the_run_offers_no_trace_it_never_wrote(tmp_path, monkeypatch, capsys):
    import shlex

    monkeypatch.chdir(tmp_path)
    argv = ["run", "--target", "moto", "--budget", "quick", "--seed", "1", "--rules", "BMU-WINDOW"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "Replay it" not in out and not (tmp_path / "traces").exists()
    command = re.search(r"^Repeat it: (.+)$", out, re.M).group(1)
    assert "--rules BMU-WINDOW" in command and "--seed 1" in command
    assert main(shlex.split(command)[1:]) == 1  # the printed command finds the divergence again


def test_the_answers_that_say_an_operation_is_missing():
    from conformance.engine.verdict import not_implemented
    from conformance.models.outcomes import Indeterminate, ServiceError

    assert not_implemented(ServiceError("NotImplementedError", 500, "The meter_usage action has not been"))
    assert not_implemented(ServiceError("InternalFailure", 501))
    assert not_implemented(ServiceError("UnknownOperationException", 400))
    assert not_implemented(ServiceError("InternalFailure", 500, "API action not yet implemented"))
    assert not not_implemented(ServiceError("InternalServiceErrorException", 500, "try again"))
    assert not not_implemented(ServiceError("ThrottlingException", 400))
    assert not not_implemented(Indeterminate("connection reset"))


def test_the_default_profile_is_the_api_of_today_and_says_so(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "(2026-11: the API as it is today; 2025-01: as it was) (default: 2026-11)" in help_text
    argv = ["run", "--target", "reference", "--budget", "quick", "--seed", "1", "--rules", "BMU-EMPTY"]
    assert main(argv) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("conformance run: target reference, profile 2026-11,")
    # 2025-01 stays selectable
    assert main([*argv, "--profile", "2025-01"]) == 0
    assert "profile 2025-01" in capsys.readouterr().out.splitlines()[0]


def test_the_command_line_runs_as_a_module_too():
    """``python -m conformance`` and ``python -m conformance.cli`` (the pinned-botocore test
    runs the latter in a second interpreter)."""
    for module in ("conformance", "conformance.cli"):
        done = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.startswith("metering-conformance "), done.stderr


def test_a_reader_that_stops_reading_ends_the_command_quietly_with_141():
    # `conformance rules | head -1`, with the reader gone before the command writes a byte
    command = subprocess.Popen(
        [sys.executable, "-m", "conformance", "rules", "--profile", "2026-11"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert command.stdout is not None and command.stderr is not None
    command.stdout.close()
    err = command.stderr.read().decode()
    assert command.wait(timeout=60) == 141
    assert err == ""  # no traceback, no "Exception ignored"
