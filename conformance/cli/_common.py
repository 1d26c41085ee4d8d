"""What the commands share: the parser classes, the arguments several commands take, argparse
types built from ``conformance.options``, and the exit codes."""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Callable, Collection
from pathlib import Path
from typing import NoReturn, TypeVar

from conformance.models.profiles import NEWEST_PROFILE, PROFILES
from conformance.options import (
    OptionError,
    parse_budget,
    parse_corpus,
    parse_natural,
    parse_port,
    parse_positive,
    parse_rate,
    parse_rules,
    parse_schedule,
    refuse_existing_report,
)
from conformance.reporting.report import check_destination
from conformance.targets import TARGET_NAMES, TargetOptions, TargetUsageError

T = TypeVar("T")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TARGET = 3
EXIT_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line naming the bad input, then exit 2 (argparse would print the usage too)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class Help(argparse.HelpFormatter):
    """Shows each option's default where it has one (not None, not a flag's False) and its help
    does not already say it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if default in (None, False, argparse.SUPPRESS) or "default" in text or not action.option_strings:
            return text
        return f"{text} (default: {default})"


def profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=NEWEST_PROFILE,
        help=f"the rules as of this date ({NEWEST_PROFILE}: the API as it is today; "
        f"{', '.join(p for p in sorted(PROFILES) if p != NEWEST_PROFILE)}: as it was)",
    )


def target_arguments(parser: argparse.ArgumentParser, *, single: bool) -> None:
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
    parser.add_argument("--max-records", type=positive, metavar="N", help="aws: most records to send")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def names_type(
    known: Callable[[], Collection[str]], what: str, hint: str
) -> Callable[[str], tuple[str, ...]]:
    """An argparse type: comma-separated names, each one of ``known()`` (asked only when the
    option is given: a command line that names no mutant does not load the lab)."""

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(part.strip() for part in text.split(",") if part.strip())
        unknown = [n for n in names if n not in known()]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {unknown[0]!r}; {hint}" if unknown else f"no {what} given"
            )
        return names

    return parse


def typed(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a parser of ``conformance.options``: its one line, as argparse's."""

    def typed(text: str) -> T:
        try:
            return parse(text)
        except OptionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    typed.__name__ = parse.__name__.removeprefix("parse_")
    return typed


def target_options(args: argparse.Namespace, name: str) -> TargetOptions:
    return TargetOptions(name, args.endpoint_url, args.fixtures, args.allow_real_billing, args.max_records)


def seed_of(args: argparse.Namespace) -> int:
    """``--seed``, or a random one (printed in the run's output, so it can be given again)."""
    return args.seed if args.seed is not None else random.randrange(10**6)


def check_report(args: argparse.Namespace) -> None:
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


rule_list = typed(parse_rules)
budget = typed(parse_budget)
BUDGET_HELP = (
    "how long each campaign searches: quick, standard or deep; or a duration for the whole "
    "run (90s, 10m, 1h30m), spread over the rules and given to those still finding new "
    "behaviours"
)
natural = typed(parse_natural)
positive = typed(parse_positive)
port = typed(parse_port)
rate = typed(parse_rate)
corpus_location = typed(parse_corpus)
SHARED_CORPUS_HELP = "replay this corpus's examples first, never writing to it (repeatable)"
schedule = typed(parse_schedule)
