"""``conformance replay`` and ``conformance diff``: a saved trace against one target, or two."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from conformance.cli._common import EXIT_FAILED, EXIT_OK, Help, target_arguments, target_options
from conformance.engine.replay import diff_lines, replay_file
from conformance.options import check_target_options
from conformance.targets import TargetUsageError


def add_parser(sub: Any) -> None:
    replay = sub.add_parser("replay", help="replay a saved trace against a target", formatter_class=Help)
    replay.add_argument("trace", type=Path, help="a trace file (traces/RULE.json of a report)")
    target_arguments(replay, single=True)
    replay.set_defaults(handler=_replay)
    diff = sub.add_parser(
        "diff", help="replay a trace against two targets and show where they differ", formatter_class=Help
    )
    diff.add_argument("trace", type=Path, help="a trace file (traces/RULE.json of a report)")
    target_arguments(diff, single=False)
    diff.set_defaults(handler=_diff)


def _replay(args: argparse.Namespace) -> int:
    check_target_options(target_options(args, args.target))
    result = replay_file(args.trace, args.target, endpoint_url=args.endpoint_url, fixtures_file=args.fixtures)
    print(result.render())
    return EXIT_FAILED if result.reproduced else EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    if len(args.target) != 2:
        raise TargetUsageError("diff needs exactly two --target options")
    check_target_options(target_options(args, args.target[0]), args.target[1])
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
