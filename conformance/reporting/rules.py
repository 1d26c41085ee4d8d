"""The rule catalogue in words: the table ``conformance rules`` prints, and the codes a rule
accepts as its refusal (``rules --format json`` lists them)."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

from conformance.models.catalogue import Kind, Rule
from conformance.models.model import SHAPE_RULES

__all__ = ["accepted_errors", "render_rules_table"]


def accepted_errors(rule: Rule) -> list[str]:
    """The codes ``rule`` refuses with (``*``: any 4xx error), and ValidationException where the
    request breaks a shape constraint too (a service may validate shapes first)."""
    shape_checked = rule.id in SHAPE_RULES.values() and "ValidationException" not in rule.errors
    return [*rule.errors, *(["ValidationException"] if shape_checked else [])]


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
