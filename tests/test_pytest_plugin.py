"""The pytest plugin: one test per rule, xdist, the seed in the header and handed to workers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


def run(pytester, *args):
    pytester.makepyfile(test_nothing="")  # an otherwise empty project
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--conformance-budget=quick", *args)


def test_one_test_per_rule_on_reference_with_xdist(pytester):
    rules = "BMU-WINDOW,RC-RESOLVE,RU-NONCE,RETRY-CONVERGES"
    result = run(
        pytester, "--conformance-target=reference", f"--conformance-rules={rules}", "-n", "2", "-v", "-rs"
    )
    result.assert_outcomes(passed=4)  # RETRY-CONVERGES too: its campaign injects faults in process
    text = result.stdout.str()
    for rule in rules.split(","):
        assert f"test_rule[{rule}]" in text
    # the default profile is the API as it is today
    assert re.search(r"conformance: target reference, profile 2026-11, budget quick, seed \d+", text)


def test_failing_rules_on_moto_show_expected_and_received(pytester, tmp_path):
    junit = tmp_path / "junit.xml"
    result = run(pytester, "--conformance-target=moto", "--conformance-seed=11",
                 "--conformance-rules=BMU-WINDOW,BMU-EMPTY,RETRY-CONVERGES", f"--junitxml={junit}",
                 "-rs")  # fmt: skip
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    text = result.stdout.str()
    assert "untestable: needs faults injected between the harness and the target" in text  # why
    assert "seed 11" in text
    assert "Expected: TimestampOutOfBoundsException" in text
    assert "Minimal trace" in text
    assert 'name="test_rule[BMU-WINDOW]"' in junit.read_text()


def test_without_the_option_nothing_is_added(pytester):
    result = run(pytester, "-n", "2")
    result.assert_outcomes()
    assert "conformance:" not in result.stdout.str()


def test_the_printed_replay_command_runs_as_printed(pytester, tmp_path):
    import shlex
    import subprocess
    import sys

    report = tmp_path / "conformance"
    result = run(pytester, "--conformance-target=moto", "--conformance-seed=11",
                 "--conformance-rules=BMU-WINDOW", f"--conformance-report={report}")  # fmt: skip
    result.assert_outcomes(failed=1)
    # the failure and (in CI, untruncated) the short summary both print it
    (command,) = set(re.findall(r"Replay: (conformance replay .+)", result.stdout.str()))
    assert str(report / "traces" / "BMU-WINDOW.json") in command
    assert (report / "traces" / "BMU-WINDOW.json").is_file()
    module = report / "traces" / "test_bmu_window.py"
    assert module.is_file() and "Run: pytest test_bmu_window.py" in module.read_text()
    argv = shlex.split(command)
    replayed = subprocess.run(
        [sys.executable, "-m", "conformance", *argv[1:]], capture_output=True, text=True
    )
    assert replayed.returncode == 1, replayed.stderr  # the divergence reproduces
    assert "Divergence reproduced." in replayed.stdout


def test_a_report_directory_that_cannot_be_written_stops_the_session(pytester, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run(pytester, "--conformance-target=reference", f"--conformance-report={blocker}/R")
    assert result.ret == 4  # pytest's usage error
    assert "cannot write traces there" in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_faults_are_injected_in_every_campaign_with_the_option(pytester):
    result = run(pytester, "--conformance-target=reference", "--conformance-faults=0.1",
                 "--conformance-seed=2", "--conformance-rules=BMU-IDEMPOTENT,MU-HOUR-DUPLICATE")  # fmt: skip
    result.assert_outcomes(passed=2)


def test_bad_fault_options_stop_the_session_in_one_line(pytester):
    for args, expected in (
        (["--conformance-target=reference", "--conformance-faults=0.6"], "not a fault rate from 0 to 0.5"),
        (["--conformance-target=moto", "--conformance-faults=0.1"], "needs a target the harness puts faults"),
    ):
        result = run(pytester, *args)
        assert result.ret == 4, args
        err = [line for line in result.stderr.str().splitlines() if line.strip()]
        assert len(err) == 1 and expected in err[0], err


A_FILE = Path(__file__).resolve()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--conformance-target=reference", "--conformance-budget=huge"],
         "--conformance-budget: 'huge' is not a budget; use one of deep, quick, standard, or a duration"),
        (["--conformance-target=reference", "--conformance-seed=abc"],
         "--conformance-seed: 'abc' is not a whole number >= 0"),
        (["--conformance-target=mooto"], "--conformance-target: 'mooto' is not a target; use one of"),
        (["--conformance-target=endpoint"],
         "--conformance-target endpoint needs --conformance-endpoint-url URL"),
        (["--conformance-target=reference", "--conformance-rules=NOPE"],
         "--conformance-rules: unknown rule 'NOPE'"),
        (["--conformance-target=reference", "--conformance-profile=2030"],
         "--conformance-profile: '2030' is not a profile; use one of 2025-01, 2026-11"),
        (["--conformance-target=moto", "--conformance-endpoint-url=http://127.0.0.1:9"],
         "--conformance-endpoint-url does nothing with --conformance-target moto"),
        (["--conformance-target=reference", "--conformance-faults=x"],
         "--conformance-faults: 'x' is not a fault rate"),
        (["--conformance-target=reference", f"--conformance-shared-corpus=corpus,{A_FILE}"],
         f"--conformance-shared-corpus: {A_FILE} is a file, not a corpus directory"),
    ],
)  # fmt: skip
def test_a_bad_option_stops_the_session_with_one_line(pytester, args, message):
    result = run(pytester, *args, "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and errors[0].startswith(f"ERROR: {message}"), errors
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_untestable_reasons_are_shown_without_rs(pytester):
    result = run(pytester, "--conformance-target=moto", "--conformance-seed=3",
                 "--conformance-rules=RETRY-CONVERGES,BMU-EMPTY", "-n", "2")  # fmt: skip
    result.assert_outcomes(passed=1, skipped=1)
    text = result.stdout.str()
    assert "conformance: untestable rules" in text
    assert "RETRY-CONVERGES: untestable: needs faults injected between the harness and the target" in text


def test_a_failing_rules_node_id_pastes_back_into_pytest(pytester):
    result = run(pytester, "--conformance-target=moto", "--conformance-seed=11",
                 "--conformance-rules=BMU-WINDOW,BMU-EMPTY", "-rf")  # fmt: skip
    result.assert_outcomes(passed=1, failed=1)
    (node_id,) = re.findall(r"^FAILED (\S+)", result.stdout.str(), re.M)
    assert node_id == "conformance::test_rule[BMU-WINDOW]"
    # pasted as printed: that rule alone, and nothing of the project's own tests
    pytester.makepyfile(test_project="def test_project(): pass")
    again = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--conformance-budget=quick", "--conformance-target=moto",
        "--conformance-seed=11", node_id, "-v",
    )  # fmt: skip
    again.assert_outcomes(failed=1)
    assert "conformance::test_rule[BMU-WINDOW] FAILED" in again.stdout.str()
    # beside a path, the path's tests run too
    both = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--conformance-budget=quick", "--conformance-target=moto",
        "--conformance-seed=11", node_id, "test_project.py",
    )  # fmt: skip
    both.assert_outcomes(passed=1, failed=1)


def test_an_unreachable_endpoint_stops_the_session_in_one_line(pytester):
    result = run(pytester, "--conformance-target=endpoint", "--conformance-endpoint-url=http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and "cannot be reached" in errors[0], errors
    assert len(result.stdout.lines) < 10 and "Traceback" not in result.stdout.str()


def test_a_duration_is_shared_evenly_by_the_rules(pytester):
    # pytest runs each rule as a test of its own: each gets its share of the duration
    rules = "BMU-WINDOW,RC-RESOLVE"
    result = run(pytester, "--conformance-target=reference", "--conformance-budget=6s",
                 f"--conformance-rules={rules}", "--conformance-seed=3", "--durations=0", "-v")  # fmt: skip
    result.assert_outcomes(passed=2)
    text = result.stdout.str()
    assert "budget 6s, seed 3" in text
    spent = [float(m) for m in re.findall(r"^([0-9.]+)s call\s+conformance::test_rule", text, re.M)]
    assert len(spent) == 2 and all(2.5 < s < 3 + 10 for s in spent), spent  # 3 s each; it stops
