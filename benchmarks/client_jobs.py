"""Certify every example job of ``examples/clients`` over seeds, one certification at a time,
and print what issue 28 asks of each: a correct job exits 0 at ``--faults 0.2`` and its
certification takes at most 3x its no-fault run + 5 s; a buggy job exits 1 with its rules and
a minimal schedule, and the time to that counterexample.

    python benchmarks/client_jobs.py                 # correct jobs seeds 1-10, buggy 1-3
    python benchmarks/client_jobs.py --correct 3 --buggy 1

Every number comes from the report.json of a run made here, in this process's run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = ROOT / "examples" / "clients"
T = TypeVar("T")
JS = ROOT / "tests" / "js" / "seller.mjs"

CORRECT = {
    "good.py": [sys.executable, str(CLIENTS / "good.py")],
    "sdk_retries.py": [sys.executable, str(CLIENTS / "sdk_retries.py")],
    "threaded.py": [sys.executable, str(CLIENTS / "threaded.py")],
    "seller.mjs": ["node", str(JS)],
    "outbox.py": [sys.executable, str(CLIENTS / "outbox.py")],
    "aws_cli.sh": ["bash", str(CLIENTS / "aws_cli.sh")],
    "container.py": [sys.executable, str(CLIENTS / "container.py")],
}
# what a job needs beyond the command: the container task signs as the caller its world declares
OPTIONS = {
    "container.py": ["--fixtures", str(CLIENTS / "container-world.json"), "--caller", "AKIACONTAINERTASK001"],
}
BUGGY = {
    "drops_unprocessed.py": {"CLIENT-RETRY-UNPROCESSED", "CLIENT-EXACTLY-ONCE"},
    "restamps_on_retry.py": {"CLIENT-IDENTICAL-RETRY"},
    "sums_on_retry.py": {"CLIENT-IDENTICAL-RETRY", "CLIENT-EXACTLY-ONCE"},
    "drops_throttled.py": {"CLIENT-RETRY-FAILED", "CLIENT-EXACTLY-ONCE"},
    "retry_storm.py": {"CLIENT-BACKOFF"},
    "batch_of_30.py": {"CLIENT-BATCH-SIZE", "CLIENT-WELL-FORMED"},
    "backfills_7_hours.py": {"CLIENT-WINDOW"},
    "threaded_drops_unprocessed.py": {"CLIENT-RETRY-UNPROCESSED", "CLIENT-EXACTLY-ONCE"},
}


def certify(command: list[str], *options: str) -> tuple[int, dict, float]:
    env = {**os.environ, "METER_CLI": f"{sys.executable} -m awscli"}  # aws_cli.sh: the venv's CLI
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report"
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance",
                "client",
                "--report",
                str(report),
                *options,
                "--",
                *command,
            ],
            capture_output=True,
            cwd=ROOT,
            env=env,
        )
        wall = time.monotonic() - started
        return done.returncode, json.loads((report / "report.json").read_text()), wall


def _chosen(jobs: dict[str, T], only: list[str] | None, seeds: int) -> Iterator[tuple[str, T, int]]:
    """Each job (of ``only``, when given) with what it needs, once per seed 1..``seeds``."""
    for name, value in jobs.items():
        if not only or name in only:
            for seed in range(1, seeds + 1):
                yield name, value, seed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--correct", type=int, default=10, help="seeds 1..N of each correct job")
    parser.add_argument("--buggy", type=int, default=3, help="seeds 1..N of each buggy job")
    parser.add_argument("--jobs", nargs="*", help="only these jobs (file names)")
    args = parser.parse_args()
    bad = 0
    print("| correct job | seed | exit | no-fault run s | certification s | bound s (3x + 5) | within |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, command, seed in _chosen(CORRECT, args.jobs, args.correct):
        code, report, wall = certify(command, *OPTIONS.get(name, []), "--faults", "0.2", "--seed", str(seed))
        clean = report["withoutFaults"]["seconds"]
        bound = 3 * clean + 5
        ok = code == 0 and wall <= bound
        bad += not ok
        within = "yes" if ok else "NO"
        print(f"| {name} | {seed} | {code} | {clean:.2f} | {wall:.1f} | {bound:.1f} | {within} |")
    print()
    print("| buggy job | seed | exit | rules failed | schedule sizes | minimal | seconds |")
    print("|---|---:|---:|---|---|---|---:|")
    for name, rules, seed in _chosen(BUGGY, args.jobs, args.buggy):
        code, report, wall = certify([sys.executable, str(CLIENTS / name)], "--seed", str(seed))
        failed = {
            r["id"]: r for r in report["rules"] if r["verdict"] != "pass" and r["verdict"] != "not-reached"
        }
        sizes = ",".join(
            str(len([p for p in (r["schedule"] or "").split(",") if p])) for r in failed.values()
        )
        minimal = all(r.get("minimal") for r in failed.values())
        ok = code == 1 and set(failed) == rules and minimal and wall <= 60
        bad += not ok
        names = ", ".join(sorted(failed))
        print(f"| {name} | {seed} | {code} | {names} | {sizes} | {minimal} | {wall:.1f} |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
