"""``conformance drift``: what the installed botocore's service model changes against a profile's snapshot."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from conformance.cli._common import EXIT_FAILED, EXIT_OK, Help
from conformance.models.profiles import NEWEST_PROFILE, PROFILES
from conformance.targets import TargetUsageError
from conformance.wire.drift import diff_service_models
from conformance.wire.service_model import botocore_version, installed_service_dict, load_service_dict


def add_parser(sub: Any) -> None:
    drift = sub.add_parser(
        "drift",
        help="what the installed botocore's service model changes against a profile's snapshot "
        "(exit 1: something changed)",
        formatter_class=Help,
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
    drift.set_defaults(handler=_drift)


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
