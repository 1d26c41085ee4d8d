"""The ``conformance`` command line: one module per command (``run``, ``client``, ``replay`` and
``diff``, ``serve`` and ``proxy``, ``drift``, ``bench``, ``rules``), each adding its parser and
the handler it runs; what they share is in ``_common``.

Exit codes (documented in the README): 0 success, 1 a rule failed (``drift``: the service model
changed), 2 bad usage or input, 3 the target could not be reached or set up, 141 the output's
reader stopped reading.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from conformance import __version__
from conformance.cli import bench, client, drift, replay, rules, run, serve
from conformance.cli._common import EXIT_FAILED, EXIT_OK, EXIT_PIPE, EXIT_TARGET, EXIT_USAGE, Help, Parser
from conformance.reporting.trace import TraceError
from conformance.sellers import BaselineError, ClientCommandError
from conformance.targets import TargetSetupError, TargetUsageError
from conformance.targets.client import ClientModelError
from conformance.targets.http import ControlError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_PIPE", "EXIT_TARGET", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """Every command's parser, in the order ``conformance --help`` lists them."""
    parser = Parser(
        prog="conformance",
        description="Judge an implementation of the AWS Marketplace Metering Service rule by rule.",
        epilog="Exit codes: 0 conforms, 1 a rule failed, 2 bad usage or input, 3 target unreachable. "
        "See 'conformance COMMAND --help'.",
        formatter_class=Help,
    )
    parser.add_argument("--version", action="version", version=f"metering-conformance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in (rules, run, replay, serve, drift, client, bench):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # whoever read the output stopped reading (``conformance rules | head``): stop too, as a
        # Unix tool killed by SIGPIPE does, without a traceback; stdout goes to /dev/null so the
        # interpreter's last flush does not fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (TargetUsageError, TraceError, ClientCommandError) as exc:
        sys.stderr.write(f"conformance {args.command}: error: {exc}\n")
        return EXIT_USAGE
    except BaselineError as exc:
        sys.stderr.write(f"conformance client: error: {exc}\n")
        return EXIT_TARGET
    except (TargetSetupError, ControlError, ClientModelError) as exc:
        sys.stderr.write(f"conformance {args.command}: target error: {exc}\n")
        return EXIT_TARGET
