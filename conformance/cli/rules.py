"""``conformance rules``: the rule catalogue, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from conformance.cli._common import EXIT_OK, Help, profile_argument
from conformance.models.catalogue import CLIENT_RULES, rules_for
from conformance.reporting.rules import accepted_errors, render_rules_table


def add_parser(sub: Any) -> None:
    rules = sub.add_parser("rules", help="list the rule catalogue", formatter_class=Help)
    profile_argument(rules)
    rules.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    rules.add_argument(
        "--client", action="store_true", help="the rules of a seller's own code (conformance client) instead"
    )
    rules.set_defaults(handler=_rules_command)


def _rules(profile: str, fmt: str, client: bool = False) -> int:
    rules = CLIENT_RULES if client else rules_for(profile)
    if fmt == "json":
        listed = [{**r.to_json(), "errors": accepted_errors(r)} for r in rules]
        json.dump({"profile": profile, "rules": listed}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_rules_table(profile, rules))
    return EXIT_OK


def _rules_command(args: argparse.Namespace) -> int:
    return _rules(args.profile, args.format, args.client)
