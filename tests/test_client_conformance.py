"""``conformance client`` end to end: the shipped seller examples (Python on boto3, Node on the
AWS SDK for JavaScript v3) run as real processes against the emulator behind the fault proxy."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.faults.plan import MAX_RATE
from conformance.models.seller import BACKOFF_STREAK
from conformance.sellers.certify import ClientConfig, run_seed

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "examples" / "clients"
JS = ROOT / "tests" / "js"


def certify(tmp_path: Path, *argv: str) -> tuple[int, dict]:
    report = tmp_path / "report"
    code = main(["client", "--report", str(report), *argv])
    return code, json.loads((report / "report.json").read_text())


def verdicts(report: dict) -> dict[str, str]:
    return {rule["id"]: rule["verdict"] for rule in report["rules"]}


def python_example(name: str) -> list[str]:
    return ["--", sys.executable, str(CLIENTS / name)]


# half the seeds at the highest rate --faults allows: a correct job's retries still get through
@pytest.mark.parametrize(
    ("rate", "seed"), [(0.4, seed) for seed in range(1, 11)] + [(MAX_RATE, seed) for seed in range(11, 21)]
)
def test_the_correct_seller_passes_every_rule_under_faults(tmp_path, rate, seed):
    code, report = certify(tmp_path, "--faults", str(rate), "--seed", str(seed), *python_example("good.py"))
    assert code == 0, report
    assert set(verdicts(report).values()) <= {"pass", "not-reached"}
    assert verdicts(report)["CLIENT-EXACTLY-ONCE"] == "pass"
    assert any(sum(run["faults"].values()) > 0 for run in report["underFaults"])  # they met faults
    runs = [(run["run"], run.get("seed"), run.get("aimedAt")) for run in report["underFaults"]]
    # the default: five runs drawn from seeds of their own, and one that throttles in a row
    assert runs[:6] == [*((n, run_seed(seed, n), None) for n in range(1, 6)), (6, None, "CLIENT-BACKOFF")]
    assert report["withoutFaults"]["records"] == 39


# (example, the rules it breaks, the fault kinds its one-fault schedules may have)
BUGS = [
    # the record the answer lists unprocessed is not stored, so dropping it loses it
    ("drops_unprocessed.py", {"CLIENT-RETRY-UNPROCESSED", "CLIENT-EXACTLY-ONCE"}, ("unprocessed",)),
    # any answer the code cannot read as "not recorded" makes it retry
    ("restamps_on_retry.py", {"CLIENT-IDENTICAL-RETRY"}, ("reset-before", "reset-after", "internal")),
]


@pytest.mark.parametrize(("example", "rules", "kinds"), BUGS)
def test_each_buggy_seller_fails_its_rules_with_a_one_fault_schedule(tmp_path, capsys, example, rules, kinds):
    code, report = certify(tmp_path, "--faults", "0.5", "--seed", "1", *python_example(example))
    assert code == 1
    failed = {r["id"]: r for r in report["rules"] if r["verdict"] == "fail"}
    assert set(failed) == rules, failed
    out = capsys.readouterr().out
    for rule, found in failed.items():
        assert found["minimal"] and found["schedule"].count(":") == 1
        kind = found["schedule"].partition(":")[2]
        assert kind.startswith(kinds), found["schedule"]
        assert f"FAIL         {rule}" in out and f"Replay: {found['replay']}" in out
        run = json.loads((tmp_path / "report" / found["run"]).read_text())
        assert [request["fault"] for request in run["requests"] if request["fault"] != "none"] == [kind]
    assert "Expected: " in out and "Received: " in out

    # the replay command breaks the same rules again, with the same schedule
    found = failed[min(rules)]
    argv = shlex.split(found["replay"])
    assert argv[:2] == ["conformance", "client"]
    code, replayed = certify(tmp_path / "replay", *argv[2:])
    assert code == 1
    again = {r["id"]: r for r in replayed["rules"] if r["verdict"] == "fail"}
    assert min(rules) in again and again[min(rules)]["schedule"] == found["schedule"]
    assert again[min(rules)]["shrinkRuns"] == 0 and not again[min(rules)]["shrunk"]  # a replay runs it once
    assert replayed["runs"] == 2  # the run without faults, and the schedule's


@pytest.mark.skipif(
    not os.environ.get("CI") and (not (JS / "node_modules").exists() or shutil.which("node") is None),
    reason="run 'npm ci --prefix tests/js' (.ci/run does, and in CI this test never skips)",
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_node_seller_on_the_javascript_sdk_passes_under_faults(tmp_path, seed):
    code, report = certify(
        tmp_path, "--faults", "0.5", "--seed", str(seed), "--", "node", str(JS / "seller.mjs")
    )
    assert code == 0, report
    assert verdicts(report)["CLIENT-EXACTLY-ONCE"] == "pass"
    assert report["withoutFaults"]["records"] == 36
    assert all(run["records"] == 36 for run in report["underFaults"])


def test_no_report_holds_a_key_or_a_header(tmp_path):
    code, _ = certify(tmp_path, "--faults", "0.5", "--seed", "1", *python_example("restamps_on_retry.py"))
    assert code == 1
    for path in (tmp_path / "report").rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "AKIA" not in text and "Authorization" not in text and "throwaway-secret" not in text, path


def _conformance(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "conformance", "client", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["--", "no-such-seller-job"], 2, "'no-such-seller-job': no such command"),
        ([], 2, "no command given"),
        (["--", str(CLIENTS / "good.py")], 2, "is not executable"),
        (["--schedule", "3", "--", "true"], 2, "--schedule"),
        (["--fixtures", "missing.json", "--", "true"], 2, "--fixtures missing.json"),
        (
            ["--", sys.executable, "-c", "print('no usage today'); raise SystemExit(4)"],
            3,
            "exited 4 without faults",
        ),
        (
            ["--timeout", "1", "--", sys.executable, "-c", "import time; time.sleep(30)"],
            3,
            "killed at the timeout",
        ),
    ],
)
def test_a_bad_command_is_one_line_and_a_documented_exit_code(tmp_path, argv, code, says):
    result = _conformance("--report", str(tmp_path / "r"), *argv)
    assert result.returncode == code, result.stderr
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r" / "report.json").exists()  # no half-written report


def test_the_baseline_failure_quotes_the_commands_last_line():
    result = _conformance(
        "--", sys.executable, "-c", "print('first'); print('InvalidProductCode, giving up'); exit(1)"
    )
    assert result.returncode == 3
    assert "(its last line: InvalidProductCode, giving up)" in result.stderr


def test_the_runs_of_one_seed_are_none_of_another_seeds():
    """Seeds 1, 2 and 3 of five runs each are fifteen different fault plans, the same every time."""
    seeds = [ClientConfig(("job",), "2025-01", 0.2, seed).seeds() for seed in (1, 2, 3)]
    assert len({s for runs in seeds for s in runs}) == 15
    assert ClientConfig(("job",), "2025-01", 0.2, 2).seeds() == seeds[1]


GIVE_UP = ",".join(f"{n}:internal" for n in range(1, 9))  # botocore's standard mode: 8 attempts


def test_a_job_that_gives_up_loudly_and_recovers_on_its_rerun_is_correct(tmp_path, capsys):
    code, report = certify(tmp_path, "--schedule", GIVE_UP, *python_example("sdk_retries.py"))
    assert code == 0, report
    (run,) = report["underFaults"]
    assert [start["exitCode"] for start in run["starts"]] == [1, 0]
    assert run["starts"][0]["requests"] == 8  # it gave up on the 8th send of its first batch
    assert "exited 1, then exited 0 on rerun 1" in capsys.readouterr().out


def test_a_job_that_gives_up_with_no_rerun_loses_usage_and_says_how_it_ended(tmp_path, capsys):
    code, report = certify(
        tmp_path, "--reruns", "0", "--schedule", GIVE_UP, *python_example("sdk_retries.py")
    )
    assert code == 1
    assert {r["id"] for r in report["rules"] if r["verdict"] == "fail"} == {
        "CLIENT-EXACTLY-ONCE",
        "CLIENT-RETRY-FAILED",
    }
    out = capsys.readouterr().out
    assert "--- the run exited 1 after 8 faults in a row on one request's sends; its last lines:" in out
    assert "reached max retries: 7" in out  # botocore's own words, from the job's stderr
    assert "--reruns 0 --schedule" in out  # the replay reruns as this run did


# seeds 1-2 here; BENCHMARKS.md gives seeds 1-10 of each correct job and 1-3 of each buggy one
SDK_JOBS = {
    "sdk_retries.py": python_example("sdk_retries.py"),  # botocore's standard mode alone
    "threaded.py": python_example("threaded.py"),  # adaptive mode, four threads: any order
    "outbox.py": python_example("outbox.py"),  # a SQLite outbox, rows marked sent on an answer
    "aws_cli.sh": ["--", "bash", str(CLIENTS / "aws_cli.sh")],  # the AWS CLI from a shell script
}


@pytest.mark.parametrize("job", sorted(SDK_JOBS))
@pytest.mark.parametrize("seed", [1, 2])
def test_jobs_on_the_sdks_retries_pass_at_a_fault_rate_of_0_2(tmp_path, monkeypatch, job, seed):
    monkeypatch.setenv("METER_CLI", f"{sys.executable} -m awscli")  # the venv's CLI, on any PATH
    code, report = certify(tmp_path, "--faults", "0.2", "--seed", str(seed), *SDK_JOBS[job])
    assert code == 0, report
    assert verdicts(report)["CLIENT-EXACTLY-ONCE"] == "pass"


# each buggy variant of good.py, and the rules it must fail (at the default rate, seed 1)
# (0 faults: it breaks without faults; BACKOFF needs throttles in a row)
VARIANTS = [
    ("drops_throttled.py", {"CLIENT-RETRY-FAILED", "CLIENT-EXACTLY-ONCE"}, 1),
    ("sums_on_retry.py", {"CLIENT-IDENTICAL-RETRY", "CLIENT-EXACTLY-ONCE"}, 1),
    ("batch_of_30.py", {"CLIENT-BATCH-SIZE", "CLIENT-WELL-FORMED"}, 0),
    ("backfills_7_hours.py", {"CLIENT-WINDOW"}, 0),
    ("retry_storm.py", {"CLIENT-BACKOFF"}, BACKOFF_STREAK),
]


@pytest.mark.parametrize(("job", "rules", "faults"), VARIANTS)
def test_each_buggy_variant_fails_its_rules_with_a_minimal_schedule(tmp_path, job, rules, faults):
    code, report = certify(tmp_path, "--seed", "1", *python_example(job))
    assert code == 1
    failed = {r["id"]: r for r in report["rules"] if r["verdict"] == "fail"}
    assert set(failed) == rules, failed
    for found in failed.values():
        assert found["minimal"], found
        assert found["schedule"].count(":") == faults, found["schedule"]


def test_a_rule_no_drawn_run_reached_gets_a_run_aimed_at_it(tmp_path):
    """Seed 2 draws no unprocessed record in five runs of drops_unprocessed.py: a sixth run
    lists a record of each of the run's batches unprocessed, and the bug shows."""
    code, report = certify(tmp_path, "--seed", "2", *python_example("drops_unprocessed.py"))
    assert code == 1
    runs = report["underFaults"]
    assert [run.get("aimedAt") for run in runs] == [None] * 5 + ["CLIENT-BACKOFF", "CLIENT-RETRY-UNPROCESSED"]
    assert sum(run["faults"].get("unprocessed", 0) for run in runs[:5]) == 0
    assert verdicts(report)["CLIENT-RETRY-UNPROCESSED"] == "fail"


def _container_world(tmp_path: Path, entitled: bool) -> Path:
    world = json.loads((CLIENTS / "container-world.json").read_text())
    world["callers"][0]["entitled"] = entitled
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "world.json"
    path.write_text(json.dumps(world))
    return path


def test_a_container_task_meters_as_the_caller_the_fixtures_declare(tmp_path, capsys):
    job = ["--caller", "AKIACONTAINERTASK001", *python_example("container.py")]
    code, report = certify(tmp_path, "--fixtures", str(_container_world(tmp_path, True)), "--seed", "1", *job)
    assert code == 0, report
    assert report["withoutFaults"]["records"] == 3
    assert "--caller AKIACONTAINERTASK001" not in capsys.readouterr().out  # nothing broke: no replay
    # the same task, declared without entitlement: the service refuses it, as it would
    world = _container_world(tmp_path / "not", False)
    assert main(["client", "--fixtures", str(world), "--seed", "1", *job]) == 3
    assert "CustomerNotEntitledException" in capsys.readouterr().err


def test_a_caller_the_fixtures_do_not_declare_is_bad_usage(capsys):
    assert main(["client", "--caller", "AKIANOBODY", *python_example("container.py")]) == 2
    err = capsys.readouterr().err
    assert "--caller AKIANOBODY: the fixtures declare no caller" in err and "Traceback" not in err


def test_a_buggy_threaded_job_gets_a_schedule_by_content_that_breaks_it_on_every_replay(tmp_path):
    """Four threads send six customers' batches in a new order each run: the minimal schedule
    names the batch by content, so each replay meets the same batch, whatever its number."""
    code, report = certify(
        tmp_path, "--faults", "0.2", "--seed", "2", *python_example("threaded_drops_unprocessed.py")
    )
    assert code == 1
    failed = {r["id"]: r for r in report["rules"] if r["verdict"] == "fail"}
    assert set(failed) == {"CLIENT-RETRY-UNPROCESSED", "CLIENT-EXACTLY-ONCE"}, failed
    found = failed["CLIENT-RETRY-UNPROCESSED"]
    assert found["minimal"] and re.fullmatch(r"[0-9a-f]{8}/1:unprocessed=\d+", found["schedule"]), found
    orders = set()
    for replay in range(3):
        code, replayed = certify(tmp_path / f"replay-{replay}", *shlex.split(found["replay"])[2:])
        again = {r["id"]: r for r in replayed["rules"]}["CLIENT-RETRY-UNPROCESSED"]
        assert code == 1 and again["verdict"] == "fail" and again["schedule"] == found["schedule"]
        run = json.loads((tmp_path / f"replay-{replay}" / "report" / again["run"]).read_text())
        (hit,) = [request for request in run["requests"] if request["fault"] != "none"]
        orders.add(hit["index"])
        assert hit["fault"] == found["schedule"].partition(":")[2]
    print("the faulted batch was request", sorted(orders), "of the replays")
