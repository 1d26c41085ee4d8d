"""``conformance client``: certify a seller's own metering code under faults."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.cli._common import (
    Help,
    check_report,
    natural,
    positive,
    profile_argument,
    rate,
    schedule,
    seed_of,
)
from conformance.helptext import RATE_HELP
from conformance.sellers import (
    ClientConfig,
    ServicePool,
    certify_client,
    default_workers,
    render_client,
    write_client_report,
)
from conformance.targets import TargetUsageError, load_fixtures_file


def add_parser(sub: Any) -> None:
    client = sub.add_parser(
        "client",
        help="certify a seller's own metering code under faults",
        description="Run COMMAND (a seller's metering job) against the reference emulator behind "
        "a fault proxy on loopback: once without faults, then --runs times under them. COMMAND gets "
        "AWS_ENDPOINT_URL_MARKETPLACE_METERING and AWS_ENDPOINT_URL pointing at the proxy, "
        "throwaway credentials and region us-east-1; the emulator's clock is the wall clock. "
        "Every CLIENT-* rule gets a verdict; a broken one gets the minimal fault schedule that "
        "breaks it and a replay command. Exit 1: a rule broke; 2: bad usage or COMMAND not "
        "found; 3: COMMAND fails without faults.",
        formatter_class=Help,
    )
    profile_argument(client)
    client.add_argument(
        "--faults",
        type=rate,
        default=0.4,
        metavar="RATE",
        help=RATE_HELP,
    )
    client.add_argument(
        "--seed", type=natural, default=None, help="the seed faults are drawn from (default: random)"
    )
    client.add_argument(
        "--schedule",
        type=schedule,
        metavar="FAULTS",
        help="inject exactly these faults instead of drawing them: by request number, or by a "
        "request's fingerprint and which send of it, as a report gives them (its replay command), "
        "e.g. '3:reset-after,1f3a9c02/2:unprocessed=0'",
    )
    client.add_argument(
        "--fixtures", type=Path, metavar="FILE", help="the world (default: conformance/sellers/world.json)"
    )
    client.add_argument(
        "--caller",
        metavar="ACCESS_KEY_ID",
        help="sign as this caller, one the fixtures declare (a container or AMI product's workload, "
        "judged with its entitlement, platform and Region); default: a throwaway key",
    )
    client.add_argument(
        "--runs",
        type=positive,
        default=5,
        metavar="N",
        help="runs under faults, each with its own seed derived from SEED",
    )
    client.add_argument(
        "--timeout", type=positive, default=120, metavar="SECONDS", help="kill COMMAND after this"
    )
    client.add_argument(
        "--reruns",
        type=natural,
        default=ClientConfig.reruns,
        metavar="N",
        help="start a run under faults again when COMMAND exits non-zero, N times at most, as a "
        "scheduler reruns a job that failed; its records are judged after the last",
    )
    client.add_argument(
        "--shrink-runs", type=positive, default=40, metavar="N", help="most runs to shrink one rule's faults"
    )
    client.add_argument(
        "--shrink-time",
        type=positive,
        default=60,
        metavar="SECONDS",
        help="most time to shrink one rule's faults; a schedule cut short says it may not be minimal",
    )
    client.add_argument(
        "--workers",
        type=positive,
        default=default_workers(),
        metavar="N",
        help="runs at once, each on its own emulator and proxy (default: two per core)",
    )
    client.add_argument(
        "--report", type=Path, metavar="DIR", help="write report.json, report.md and runs/ here"
    )
    client.add_argument("--force", action="store_true", help="replace a report already in --report DIR")
    client.add_argument(
        "seller_command",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND",
        help="the seller's command and its arguments",
    )
    client.set_defaults(handler=_client)


def _client(args: argparse.Namespace) -> int:
    command = args.seller_command[1:] if args.seller_command[:1] == ["--"] else args.seller_command
    if not command:
        raise TargetUsageError("no command given; write the seller's command after --, e.g. -- python job.py")
    check_report(args)
    fixtures = load_fixtures_file(args.fixtures) if args.fixtures else None
    seed = seed_of(args)
    config = ClientConfig(
        tuple(command),
        args.profile,
        rate=args.faults,
        seed=seed,
        schedule=args.schedule,
        fixtures_file=args.fixtures,
        caller=args.caller,
        timeout=args.timeout,
        shrink_runs=args.shrink_runs,
        shrink_time=args.shrink_time,
        runs=args.runs,
        reruns=args.reruns,
    )
    try:
        pool = ServicePool(args.profile, fixtures, args.workers, args.caller)
    except ValueError as error:
        raise TargetUsageError(str(error)) from None
    with pool:
        report = certify_client(config, pool)
    print(render_client(report), end="", flush=True)
    if args.report is not None:
        write_client_report(report, args.report)
        print(f"report: {args.report / 'report.md'}")
    return report.exit_code
