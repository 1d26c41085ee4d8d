"""The ``conformance`` command line.

Exit codes (documented in the README): 0 success, 1 a rule failed, 2 bad usage or input,
3 the target could not be reached or set up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import NoReturn

from models.catalogue import Rule, rules_for
from models.profiles import DEFAULT_PROFILE, PROFILES

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_TARGET", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TARGET = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line naming the bad input, then exit 2 (argparse would print the usage too)."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="conformance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    rules = sub.add_parser("rules", help="list the rule catalogue")
    rules.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE)
    rules.add_argument("--format", choices=["table", "json"], default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "rules":
        return _rules(args.profile, args.format)
    raise AssertionError(args.command)  # argparse allows only the commands above


def _rules(profile: str, fmt: str) -> int:
    rules = rules_for(profile)
    if fmt == "json":
        json.dump({"profile": profile, "rules": [r.to_json() for r in rules]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_rules_table(profile, rules))
    return EXIT_OK


def render_rules_table(profile: str, rules: Sequence[Rule]) -> str:
    width = max(shutil.get_terminal_size((120, 24)).columns, 80)
    id_w = max(len(r.id) for r in rules)
    conf_w = 5
    text_w = width - id_w - conf_w - 6
    lines = [f"Rule catalogue, profile {profile}: {len(rules)} rules ('~' marks a lenient rule)", ""]
    lines.append(f"{'ID'.ljust(id_w)}  {'conf'.ljust(conf_w)}  statement")
    lines.append(f"{'-' * id_w}  {'-' * conf_w}  {'-' * min(text_w, 40)}")
    for rule in rules:
        conf = rule.confidence.split(" ")[0] + ("~" if rule.lenient else "")
        wrapped = textwrap.wrap(rule.statement, text_w) or [""]
        lines.append(f"{rule.id.ljust(id_w)}  {conf.ljust(conf_w)}  {wrapped[0]}")
        lines.extend(f"{' ' * (id_w + conf_w + 4)}{more}" for more in wrapped[1:])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
