"""The ``conformance`` command line.

Exit codes (documented in the README): 0 success, 1 a rule failed (``drift``: the service model
changed), 2 bad usage or input, 3 the target could not be reached or set up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn, TypeVar

from conformance import __version__
from conformance.emulator.server import Emulator
from conformance.engine.budget import BUDGETS
from conformance.engine.replay import diff_lines, replay_file
from conformance.engine.runner import RuleResult, RunConfig, parallelism, run
from conformance.faults import FaultProxy, FaultRates
from conformance.lab.bench import BENCH_RULES, SPEED_TARGETS, measure_target, render_speed, workers_speedup
from conformance.lab.mutants import MUTANTS
from conformance.lab.mutation import Certified, Unmutated, mutant_rows, render_mutants
from conformance.models.catalogue import CLIENT_RULES, Kind, Rule, rules_for
from conformance.models.model import SHAPE_RULES
from conformance.models.profiles import NEWEST_PROFILE, PROFILES, get_profile
from conformance.options import (
    OptionError,
    check_rules_in_profile,
    check_target_options,
    parse_natural,
    parse_port,
    parse_positive,
    parse_rate,
    parse_rules,
    parse_schedule,
    refuse_existing_report,
)
from conformance.reporting.report import Report, check_destination, summary_table
from conformance.reporting.trace import TraceError
from conformance.sellers import (
    BaselineError,
    ClientCommandError,
    ClientConfig,
    MeteringService,
    certify_client,
    render_client,
    write_client_report,
)
from conformance.targets import (
    TARGET_NAMES,
    TargetOptions,
    TargetSetupError,
    TargetUsageError,
    check_faults,
    load_fixtures_file,
)
from conformance.targets.client import ClientModelError, check_client
from conformance.targets.http import ControlError
from conformance.wire.drift import diff_service_models
from conformance.wire.service_model import (
    botocore_version,
    installed_service_dict,
    load_service_dict,
    model_for,
)

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_TARGET", "EXIT_USAGE", "main"]

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TARGET = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line naming the bad input, then exit 2 (argparse would print the usage too)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="conformance",
        description="Judge an implementation of the AWS Marketplace Metering Service rule by rule.",
        epilog="Exit codes: 0 conforms, 1 a rule failed, 2 bad usage or input, 3 target unreachable. "
        "See 'conformance COMMAND --help'.",
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"metering-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    rules = sub.add_parser("rules", help="list the rule catalogue", formatter_class=_Help)
    _profile_argument(rules)
    rules.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    rules.add_argument(
        "--client", action="store_true", help="the rules of a seller's own code (conformance client) instead"
    )

    run = sub.add_parser("run", help="judge every rule of a profile against a target", formatter_class=_Help)
    _target_arguments(run, single=True)
    _profile_argument(run)
    run.add_argument("--rules", type=_rule_list, help="comma-separated rule IDs (default: all)")
    run.add_argument(
        "--budget", choices=sorted(BUDGETS), default="standard", help="how long each campaign searches"
    )
    run.add_argument("--seed", type=_natural, default=None, help="repeat a run (default: random)")
    run.add_argument(
        "--workers",
        type=_positive,
        default=_cores(),
        help=f"campaigns in parallel processes (default: the cores this process may use, {_cores()})",
    )
    run.add_argument(
        "--report", type=Path, metavar="DIR", help="write report.json, junit.xml, report.md and traces/ here"
    )
    run.add_argument("--force", action="store_true", help="replace a report already in --report DIR")
    run.add_argument(
        "--faults",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="inject faults between the harness and the target in every campaign (reference in "
        "process; reference-server and endpoint through a proxy on loopback): "
        + _RATE_HELP
        + " (RETRY-CONVERGES injects 0.8 of its own)",
    )

    replay = sub.add_parser("replay", help="replay a saved trace against a target", formatter_class=_Help)
    replay.add_argument("trace", type=Path, help="a trace file (traces/RULE.json of a report)")
    _target_arguments(replay, single=True)

    serve = sub.add_parser("serve", help="run the reference emulator on loopback", formatter_class=_Help)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only by default)")
    serve.add_argument("--port", type=_port, default=0, help="port (0: a free one)")
    _profile_argument(serve)
    serve.add_argument(
        "--fixtures", type=Path, metavar="FILE", help="start with this world (control fixtures)"
    )
    serve.add_argument(
        "--no-control",
        action="store_true",
        help="serve no /_conformance routes: an implementation the harness can only send requests "
        "to, in the --fixtures world on the wall clock (how `run --target endpoint --fixtures` sees "
        "most implementations)",
    )
    serve.add_argument(
        "--write-fixtures",
        type=Path,
        metavar="FILE",
        help="write the served world to FILE with each product's public keys (`publicKeys`): the "
        "--fixtures of a run against it without control routes, so RegisterUsage signatures are "
        "verified",
    )
    serve.add_argument(
        "--validate-shapes-first",
        action="store_true",
        help="refuse every shape violation with ValidationException before any business rule, "
        "as a service generated from the Smithy model does (default: the specific rule's error)",
    )

    proxy = sub.add_parser(
        "proxy",
        help="a fault-injecting proxy on loopback in front of an HTTP target",
        description="Forward service requests to --upstream, injecting ThrottlingException, "
        "InternalServiceErrorException, connection resets before and after the target saw the "
        "request, latency, and batch records reported unprocessed, each at RATE per request, "
        "drawn from --seed. Control routes (/_conformance) pass untouched. Ctrl-C stops it and "
        "prints the faults injected.",
        formatter_class=_Help,
    )
    proxy.add_argument("--upstream", required=True, metavar="URL", help="the target, http://host:port")
    proxy.add_argument("--faults", type=_rate, default=0.4, metavar="RATE", help=_RATE_HELP)
    proxy.add_argument("--seed", type=_natural, default=0, help="the seed faults are drawn from")
    proxy.add_argument("--port", type=_port, default=0, help="port on 127.0.0.1 (0: a free one)")

    diff = sub.add_parser(
        "diff", help="replay a trace against two targets and show where they differ", formatter_class=_Help
    )
    diff.add_argument("trace", type=Path, help="a trace file (traces/RULE.json of a report)")
    _target_arguments(diff, single=False)

    drift = sub.add_parser(
        "drift",
        help="what the installed botocore's service model changes against a profile's snapshot "
        "(exit 1: something changed)",
        formatter_class=_Help,
    )
    drift.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=NEWEST_PROFILE,
        help="the snapshot to compare with (the newest profile by default)",
    )
    drift.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="compare this service-2.json instead of the installed botocore's",
    )
    drift.add_argument("--format", choices=["text", "json"], default="text", help="output format")

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
        formatter_class=_Help,
    )
    _profile_argument(client)
    client.add_argument(
        "--faults",
        type=_rate,
        default=0.4,
        metavar="RATE",
        help=_RATE_HELP,
    )
    client.add_argument(
        "--seed", type=_natural, default=None, help="the seed faults are drawn from (default: random)"
    )
    client.add_argument(
        "--schedule",
        type=_schedule,
        metavar="FAULTS",
        help="inject exactly these faults by request, e.g. '3:reset-after,7:unprocessed=0' (a "
        "report's replay command gives it), instead of drawing them",
    )
    client.add_argument(
        "--fixtures", type=Path, metavar="FILE", help="the world (default: conformance/sellers/world.json)"
    )
    client.add_argument(
        "--runs", type=_positive, default=5, metavar="N", help="runs under faults, seeds SEED to SEED+N-1"
    )
    client.add_argument(
        "--timeout", type=_positive, default=120, metavar="SECONDS", help="kill COMMAND after this"
    )
    client.add_argument(
        "--shrink-runs", type=_positive, default=40, metavar="N", help="most runs to shrink one rule's faults"
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

    bench = sub.add_parser("bench", help="measure the harness (see BENCHMARKS.md)", formatter_class=_Help)
    kinds = bench.add_subparsers(dest="bench", required=True, parser_class=_Parser)
    speed = kinds.add_parser(
        "speed", help="requests/s, harness ms per request, overhead ratio, peak RSS", formatter_class=_Help
    )
    _profile_argument(speed)
    speed.add_argument("--budget", choices=sorted(BUDGETS), default="quick", help="each campaign's budget")
    speed.add_argument("--seed", type=_natural, default=1, help="the runs' seed")
    speed.add_argument(
        "--targets",
        type=_target_list,
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
        formatter_class=_Help,
    )
    mutants.add_argument("--seeds", type=_positive, default=5, help="certify with seeds 1..N")
    mutants.add_argument("--budget", choices=sorted(BUDGETS), default="quick", help="each campaign's budget")
    mutants.add_argument(
        "--mutants", type=_mutant_list, metavar="NAMES", help="comma-separated mutants (default: all)"
    )
    mutants.add_argument(
        "--all-rules", action="store_true", help="run every rule of the profile on each mutant (slow)"
    )
    mutants.add_argument("--workers", type=_positive, default=_cores(), help="processes certifying at once")
    return parser


class _Help(argparse.HelpFormatter):
    """Shows each option's default where it has one (not None, not a flag's False) and its help
    does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if default in (None, False, argparse.SUPPRESS) or "default" in text or not action.option_strings:
            return text
        return f"{text} (default: {default})"


def _profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=NEWEST_PROFILE,
        help=f"the rules as of this date ({NEWEST_PROFILE}: the API as it is today; "
        f"{', '.join(p for p in sorted(PROFILES) if p != NEWEST_PROFILE)}: as it was)",
    )


def _target_arguments(parser: argparse.ArgumentParser, *, single: bool) -> None:
    what = "the implementation to judge"
    if single:
        parser.add_argument("--target", choices=TARGET_NAMES, required=True, help=what)
    else:
        parser.add_argument(
            "--target", choices=TARGET_NAMES, action="append", required=True, help=what + " (give two)"
        )
    parser.add_argument("--endpoint-url", metavar="URL", help="endpoint / moto-server: where it listens")
    parser.add_argument("--fixtures", type=Path, metavar="FILE", help="the world of a target without control")
    parser.add_argument("--allow-real-billing", action="store_true", help="aws: confirm billable calls")
    parser.add_argument("--max-records", type=_positive, metavar="N", help="aws: most records to send")


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _names(known: Collection[str], what: str, hint: str) -> Callable[[str], tuple[str, ...]]:
    """An argparse type: comma-separated names, each one of ``known``."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(part.strip() for part in text.split(",") if part.strip())
        unknown = [n for n in names if n not in known]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {unknown[0]!r}; {hint}" if unknown else f"no {what} given"
            )
        return names

    return parse


def _typed(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a parser of ``conformance.options``: its one line, as argparse's."""

    def typed(text: str) -> T:
        try:
            return parse(text)
        except OptionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    typed.__name__ = parse.__name__.removeprefix("parse_")
    return typed


_rule_list = _typed(parse_rules)
_target_list = _names(SPEED_TARGETS, "target", f"use {','.join(SPEED_TARGETS)}")
_mutant_list = _names(MUTANTS, "mutant", "see conformance/lab/mutants.py")
_natural = _typed(parse_natural)
_positive = _typed(parse_positive)
_port = _typed(parse_port)
_rate = _typed(parse_rate)
_RATE_HELP = (
    "a request is blocked (throttle, 5xx, reset before or after, evenly) with chance RATE, 0 to "
    "0.5; each of those, latency and a batch record reported unprocessed has RATE/4"
)
_schedule = _typed(parse_schedule)


def _options(args: argparse.Namespace, name: str) -> TargetOptions:
    return TargetOptions(name, args.endpoint_url, args.fixtures, args.allow_real_billing, args.max_records)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "rules":
            return _rules(args.profile, args.format, args.client)
        if args.command == "run":
            return _run(args)
        if args.command == "replay":
            return _replay(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "proxy":
            return _proxy(args)
        if args.command == "drift":
            return _drift(args)
        if args.command == "client":
            return _client(args)
        if args.command == "bench":
            return _bench_mutants(args) if args.bench == "mutants" else _bench_speed(args)
    except (TargetUsageError, TraceError, ClientCommandError) as exc:
        sys.stderr.write(f"conformance {args.command}: error: {exc}\n")
        return EXIT_USAGE
    except BaselineError as exc:
        sys.stderr.write(f"conformance client: error: {exc}\n")
        return EXIT_TARGET
    except (TargetSetupError, ControlError, ClientModelError) as exc:
        sys.stderr.write(f"conformance {args.command}: target error: {exc}\n")
        return EXIT_TARGET
    raise AssertionError(args.command)  # argparse allows only the commands above


def _run(args: argparse.Namespace) -> int:
    rules = args.rules
    if rules:
        try:
            check_rules_in_profile(rules, args.profile)
        except OptionError as exc:
            raise TargetUsageError(f"--rules: {exc}") from None
    _check_report(args)
    seed = _seed(args)
    options = _options(args, args.target)
    check_target_options(options)
    check_faults(args.target, args.faults)
    profile = get_profile(args.profile)
    config = RunConfig(options, profile, rules, args.budget, seed, args.workers, args.faults)
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

    def progress(result: RuleResult) -> None:
        done[0] += 1
        print(
            f"[{done[0]:>3}/{total}] {result.id:<24} {result.verdict:<12} "
            f"{result.exercised:>5} decided  {result.seconds:5.1f} s",
            flush=True,
        )

    results = run(config, progress, workers)
    report = Report(config, tuple(results), started, (datetime.now(UTC) - started).total_seconds())
    print()
    print(summary_table(results))
    if args.report is not None:
        report.write(args.report)
        print(f"report: {args.report / 'report.md'}")
    if report.first_failure() is not None:
        print("\n".join(report.headline(args.report)[1:]))
    return report.exit_code


def _seed(args: argparse.Namespace) -> int:
    """``--seed``, or a random one (printed in the run's output, so it can be given again)."""
    return args.seed if args.seed is not None else random.randrange(10**6)


def _check_report(args: argparse.Namespace) -> None:
    """``--report DIR`` (and ``--force``): refused before any run if it cannot be written."""
    if args.report is None:
        return
    if not args.force:
        refuse_existing_report(args.report)
    try:
        check_destination(args.report)
    except OSError as exc:
        raise TargetUsageError(
            f"--report {args.report}: cannot write a report there ({exc.strerror or exc}); "
            "name a directory you can write"
        ) from None


def _client(args: argparse.Namespace) -> int:
    command = args.seller_command[1:] if args.seller_command[:1] == ["--"] else args.seller_command
    if not command:
        raise TargetUsageError("no command given; write the seller's command after --, e.g. -- python job.py")
    _check_report(args)
    fixtures = load_fixtures_file(args.fixtures) if args.fixtures else None
    seed = _seed(args)
    config = ClientConfig(
        tuple(command),
        args.profile,
        args.faults,
        seed,
        args.schedule,
        args.fixtures,
        args.timeout,
        args.shrink_runs,
        args.runs,
    )
    with MeteringService(args.profile, fixtures) as service:
        report = certify_client(config, service)
    print(render_client(report), end="", flush=True)
    if args.report is not None:
        write_client_report(report, args.report)
        print(f"report: {args.report / 'report.md'}")
    return report.exit_code


def _replay(args: argparse.Namespace) -> int:
    check_target_options(_options(args, args.target))
    result = replay_file(args.trace, args.target, endpoint_url=args.endpoint_url, fixtures_file=args.fixtures)
    print(result.render())
    return EXIT_FAILED if result.reproduced else EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    fixtures = load_fixtures_file(args.fixtures) if args.fixtures else None
    if args.write_fixtures is not None and fixtures is None:
        raise TargetUsageError("--write-fixtures needs --fixtures FILE: the world to serve")
    model = model_for(args.profile)
    try:
        emulator = Emulator(
            model,
            fixtures,
            args.host,
            args.port,
            shapes_first=args.validate_shapes_first,
            control=not args.no_control,
        )
    except OSError as exc:
        raise TargetSetupError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    if args.write_fixtures is not None:
        try:
            args.write_fixtures.write_text(json.dumps(emulator.served_with_keys(), indent=2) + "\n")
        except OSError as exc:
            emulator.server.server_close()
            raise TargetUsageError(f"--write-fixtures {args.write_fixtures}: {exc.strerror}") from None
    order = ", shapes validated first" if args.validate_shapes_first else ""
    order += ", no control routes" if args.no_control else ""
    print(f"conformance serve: listening on {emulator.url} (profile {args.profile}{order})", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.server.server_close()
    return EXIT_OK


def _proxy(args: argparse.Namespace) -> int:
    try:
        proxy = FaultProxy(args.upstream, FaultRates.spread(args.faults), args.seed, args.port)
    except ValueError as exc:
        raise TargetUsageError(f"--upstream {args.upstream}: {exc}; write it as http://host:port") from None
    except OSError as exc:
        raise TargetSetupError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    print(
        f"conformance proxy: listening on {proxy.url}, forwarding to {args.upstream}, "
        f"faults at {args.faults} (a request blocked with chance {args.faults}), seed {args.seed}",
        flush=True,
    )
    try:
        proxy.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.close()
        counts = proxy.counts()
        print("faults injected: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    if len(args.target) != 2:
        raise TargetUsageError("diff needs exactly two --target options")
    check_target_options(_options(args, args.target[0]), args.target[1])
    first, second = (
        replay_file(args.trace, name, endpoint_url=args.endpoint_url, fixtures_file=args.fixtures)
        for name in args.target
    )
    lines = diff_lines(first, second)
    if not lines:
        print(f"{args.target[0]} and {args.target[1]} answered every step of {args.trace} alike")
        return EXIT_OK
    print(f"{args.target[0]} and {args.target[1]} differ on {args.trace}:")
    print("\n".join(lines))
    return EXIT_FAILED


def _bench_speed(args: argparse.Namespace) -> int:
    cores = _cores()
    print(
        f"conformance bench speed: profile {args.profile}, budget {args.budget}, seed {args.seed}, "
        f"rules {','.join(BENCH_RULES)}; {cores} cores, Python {platform.python_version()}, "
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
    names = args.mutants or tuple(MUTANTS)
    rules = "every rule" if args.all_rules else "the rules each names"
    print(
        f"conformance bench mutants: {len(names)} mutants, seeds 1-{args.seeds}, budget {args.budget}, "
        f"{rules}; {args.workers} workers on {_cores()} cores, Python {platform.python_version()}",
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


def _drift(args: argparse.Namespace) -> int:
    if args.against is None:
        current, source = installed_service_dict(), f"the installed botocore {botocore_version()}"
    else:
        try:
            current = json.loads(args.against.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TargetUsageError(f"--against {args.against}: cannot read a service model: {exc}") from None
        if not isinstance(current, dict) or not isinstance(current.get("shapes"), dict):
            raise TargetUsageError(f"--against {args.against}: not a botocore service-2.json (no shapes)")
        source = str(args.against)
    snapshot = PROFILES[args.profile].service_model
    changes = diff_service_models(load_service_dict(args.profile), current)
    if args.format == "json":
        body = {"profile": args.profile, "snapshot": snapshot, "against": source}
        json.dump({**body, "changes": [c.to_json() for c in changes]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}" if changes else "no changes"
        print(f"conformance drift: {source} against profile {args.profile} ({snapshot}): {count}")
        for change in changes:
            print(change.render())
    return EXIT_FAILED if changes else EXIT_OK


def accepted_errors(rule: Rule) -> list[str]:
    """The codes ``rule`` refuses with (``*``: any 4xx error), and ValidationException where the
    request breaks a shape constraint too (a service may validate shapes first)."""
    shape_checked = rule.id in SHAPE_RULES.values() and "ValidationException" not in rule.errors
    return [*rule.errors, *(["ValidationException"] if shape_checked else [])]


def _rules(profile: str, fmt: str, client: bool = False) -> int:
    rules = CLIENT_RULES if client else rules_for(profile)
    if fmt == "json":
        listed = [{**r.to_json(), "errors": accepted_errors(r)} for r in rules]
        json.dump({"profile": profile, "rules": listed}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_rules_table(profile, rules))
    return EXIT_OK


def render_rules_table(profile: str, rules: Sequence[Rule]) -> str:
    width = max(shutil.get_terminal_size((120, 24)).columns, 80)
    id_w = max(len(r.id) for r in rules)
    conf_w = 5
    text_w = width - id_w - conf_w - 6
    what = "client rules" if all(r.kind is Kind.CLIENT for r in rules) else "rules"
    lines = [f"Rule catalogue, profile {profile}: {len(rules)} {what} ('~' marks a lenient rule)", ""]
    lines.append(f"{'ID'.ljust(id_w)}  {'conf'.ljust(conf_w)}  statement")
    lines.append(f"{'-' * id_w}  {'-' * conf_w}  {'-' * min(text_w, 40)}")
    for rule in rules:
        conf = rule.confidence.split(" ")[0] + ("~" if rule.lenient else "")
        errors = " or ".join("any 4xx" if e == "*" else e for e in accepted_errors(rule))
        refuses = f" Refused with: {errors}." if errors else ""
        wrapped = textwrap.wrap(rule.statement + refuses, text_w) or [""]
        lines.append(f"{rule.id.ljust(id_w)}  {conf.ljust(conf_w)}  {wrapped[0]}")
        lines.extend(f"{' ' * (id_w + conf_w + 4)}{more}" for more in wrapped[1:])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
