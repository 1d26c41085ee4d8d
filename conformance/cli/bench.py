"""``conformance bench``: measure the harness (speed, and kills of realistic bugs)."""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Collection
from typing import Any

from conformance.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    Help,
    Parser,
    budget,
    cores,
    names_type,
    natural,
    positive,
    profile_argument,
)
from conformance.engine.budget import BUDGETS
from conformance.targets import TARGETS


def add_parser(sub: Any) -> None:
    bench = sub.add_parser("bench", help="measure the harness (see BENCHMARKS.md)", formatter_class=Help)
    kinds = bench.add_subparsers(dest="bench", required=True, parser_class=Parser)
    speed = kinds.add_parser(
        "speed", help="requests/s, harness ms per request, overhead ratio, peak RSS", formatter_class=Help
    )
    profile_argument(speed)
    speed.add_argument("--budget", choices=sorted(BUDGETS), default="quick", help="each campaign's budget")
    speed.add_argument("--seed", type=natural, default=1, help="the runs' seed")
    speed.add_argument(
        "--targets",
        type=names_type(lambda: SPEED_TARGETS, "target", f"use {','.join(SPEED_TARGETS)}"),
        default=",".join(SPEED_TARGETS),  # a string: argparse parses it like a given value
        help="comma-separated targets to measure",
    )
    speed.add_argument(
        "--no-workers", action="store_true", help="skip the full runs that time --workers 2 against 1"
    )
    mutants = kinds.add_parser(
        "mutants",
        help="kills of realistic bugs in the reference emulator, time to detect, trace length",
        description="Certify each mutant of the reference emulator (realistic bugs, in "
        "conformance.lab.mutants) with the rules it names, once per seed, and the unmutated "
        "emulator with every rule. Exit 1 when the unmutated emulator fails a rule (a false "
        "failure of the harness).",
        formatter_class=Help,
    )
    mutants.add_argument("--seeds", type=positive, default=5, help="certify with seeds 1..N")
    mutants.add_argument(
        "--budget",
        type=budget,
        default="quick",
        help="each campaign's budget, or a duration for each mutant's rules (30s, 2m): its time "
        "to detect is then its time to kill, the search time of every slice up to the first that failed",
    )
    mutants.add_argument(
        "--mutants",
        type=names_type(_mutant_names, "mutant", "see conformance/lab/mutants.py"),
        metavar="NAMES",
        help="comma-separated mutants (default: all)",
    )
    mutants.add_argument(
        "--all-rules", action="store_true", help="run every rule of the profile on each mutant (slow)"
    )
    mutants.add_argument("--workers", type=positive, default=cores(), help="processes certifying at once")
    speed.set_defaults(handler=_bench_speed)
    mutants.set_defaults(handler=_bench_mutants)


# the speed bench measures the targets the harness starts on this machine
SPEED_TARGETS = tuple(name for name, kind in TARGETS.items() if kind.local)


def _mutant_names() -> Collection[str]:
    from conformance.lab.mutants import MUTANTS  # the lab loads only when a bench names mutants

    return MUTANTS


def _bench_speed(args: argparse.Namespace) -> int:
    from conformance.lab.bench import BENCH_RULES, measure_target, render_speed, workers_speedup

    print(
        f"conformance bench speed: profile {args.profile}, budget {args.budget}, seed {args.seed}, "
        f"rules {','.join(BENCH_RULES)}; {cores()} cores, Python {platform.python_version()}, "
        f"{platform.machine()}",
        flush=True,
    )
    rows = []
    for name in args.targets:
        rows.append(measure_target(name, args.profile, args.budget, args.seed))
        print(f"  {name}: {rows[-1].requests} requests in {rows[-1].seconds:.1f} s", flush=True)
    print()
    print(render_speed(rows))
    if not args.no_workers:
        one, two = workers_speedup(args.profile, args.budget, args.seed)
        print()
        print(
            f"full {args.budget} run, reference in-process: {one:.1f} s with --workers 1, "
            f"{two:.1f} s with --workers 2: speed-up {one / two:.2f}x"
        )
    return EXIT_OK


def _bench_mutants(args: argparse.Namespace) -> int:
    from conformance.lab.mutants import MUTANTS
    from conformance.lab.mutation import Certified, Unmutated, mutant_rows, render_mutants

    names = args.mutants or tuple(MUTANTS)
    rules = "every rule" if args.all_rules else "the rules each names"
    print(
        f"conformance bench mutants: {len(names)} mutants, seeds 1-{args.seeds}, budget {args.budget}, "
        f"{rules}; {args.workers} workers on {cores()} cores, Python {platform.python_version()}",
        flush=True,
    )

    def progress(done: Certified | Unmutated) -> None:
        if isinstance(done, Unmutated):
            print(
                f"  unmutated ({done.profile}, seed {done.seed}): {len(done.failed)} rules failed", flush=True
            )
        elif done.killed:
            print(
                f"  {done.mutant} ({done.profile}, seed {done.seed}): killed under {done.failed[0]} "
                f"in {done.first_seconds:.2f} s",
                flush=True,
            )
        else:
            print(f"  {done.mutant} ({done.profile}, seed {done.seed}): not killed", flush=True)

    started = time.perf_counter()
    rows, unmutated = mutant_rows(args.seeds, args.budget, names, args.all_rules, args.workers, progress)
    print()
    print(render_mutants(rows, args.seeds, unmutated))
    print(f"Wall time: {time.perf_counter() - started:.0f} s.")
    return EXIT_FAILED if any(u.failed for u in unmutated) else EXIT_OK
