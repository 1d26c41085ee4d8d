"""``conformance run``: judge every rule of a profile against a target."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.cli._common import (
    BUDGET_HELP,
    SHARED_CORPUS_HELP,
    Help,
    budget,
    check_report,
    cores,
    corpus_location,
    natural,
    positive,
    profile_argument,
    rate,
    rule_list,
    seed_of,
    target_arguments,
    target_options,
)
from conformance.engine.budget import is_duration
from conformance.engine.runner import RuleResult, RunConfig, parallelism, run
from conformance.engine.timed import SliceDone
from conformance.helptext import CORPUS_HELP, RATE_HELP
from conformance.models.profiles import get_profile
from conformance.options import OptionError, check_rules_in_profile, check_target_options
from conformance.reporting.report import Report, summary_table
from conformance.targets import TargetUsageError, check_faults
from conformance.targets.client import check_client


def add_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="judge every rule of a profile against a target", formatter_class=Help)
    target_arguments(run, single=True)
    profile_argument(run)
    run.add_argument("--rules", type=rule_list, help="comma-separated rule IDs (default: all)")
    run.add_argument("--budget", type=budget, default="standard", help=BUDGET_HELP)
    run.add_argument("--seed", type=natural, default=None, help="repeat a run (default: random)")
    run.add_argument(
        "--workers",
        type=positive,
        default=cores(),
        help=f"campaigns in parallel processes (default: the cores this process may use, {cores()})",
    )
    run.add_argument(
        "--report", type=Path, metavar="DIR", help="write report.json, junit.xml, report.md and traces/ here"
    )
    run.add_argument("--force", action="store_true", help="replace a report already in --report DIR")
    run.add_argument(
        "--faults",
        type=rate,
        default=0.0,
        metavar="RATE",
        help="inject faults between the harness and the target in every campaign (reference in "
        "process; reference-server and endpoint through a proxy on loopback): "
        + RATE_HELP
        + " (RETRY-CONVERGES injects faults into every request of its own)",
    )
    run.add_argument("--corpus", type=corpus_location, metavar="LOCATION", help=CORPUS_HELP)
    run.add_argument(
        "--shared-corpus",
        type=corpus_location,
        action="append",
        default=[],
        metavar="LOCATION",
        help=SHARED_CORPUS_HELP,
    )
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    rules = args.rules
    if rules:
        try:
            check_rules_in_profile(rules, args.profile)
        except OptionError as exc:
            raise TargetUsageError(f"--rules: {exc}") from None
    check_report(args)
    seed = seed_of(args)
    options = target_options(args, args.target)
    check_target_options(options)
    check_faults(args.target, args.faults)
    profile = get_profile(args.profile)
    config = RunConfig(
        options,
        profile,
        rules,
        args.budget,
        seed,
        args.workers,
        args.faults,
        args.corpus,
        tuple(args.shared_corpus),
    )
    check_client(args.profile)  # a botocore that cannot send the profile's API fails here, exit 3
    total = len(config.rule_ids())
    workers, why = parallelism(config)
    print(
        f"conformance run: target {args.target}, profile {args.profile}, budget {args.budget}, "
        f"seed {seed}, {total} rules, {workers} worker(s)" + (f" ({why})" if why else ""),
        flush=True,
    )
    done = [0]
    started = datetime.now(UTC)

    timed = is_duration(args.budget)

    def progress(result: RuleResult) -> None:
        done[0] += 1
        slices = f"  {result.slices} slices, {len(result.behaviours)} behaviours" if timed else ""
        print(
            f"[{done[0]:>3}/{total}] {result.id:<24} {result.verdict:<12} "
            f"{result.exercised:>5} decided  {result.seconds:5.1f} s{slices}",
            flush=True,
        )

    def sliced(done: SliceDone) -> None:
        # a rule's later slices, when they find something new: where the time is going
        if done.number and done.new and not done.final:
            print(
                f"      {done.elapsed:5.0f} s  {done.rule:<24} slice {done.number + 1}: "
                f"+{done.new} behaviours ({done.behaviours} in {done.seconds:.1f} s)",
                flush=True,
            )

    results = run(config, progress, workers, sliced)
    report = Report(config, tuple(results), started, (datetime.now(UTC) - started).total_seconds())
    print()
    print(summary_table(results))
    if args.report is not None:
        report.write(args.report)
        print(f"report: {args.report / 'report.md'}")
    if report.first_failure() is not None:
        print("\n".join(report.headline(args.report)[1:]))
    return report.exit_code
