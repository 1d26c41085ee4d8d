"""Registry of per-rule model tests: each rule needs one test where it decides and one where
it must not fire. ``test_catalogue_coverage`` walks the catalogue and fails on a rule without
both."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

FIRES: dict[str, list[str]] = defaultdict(list)
SILENT: dict[str, list[str]] = defaultdict(list)


def fires(*rule_ids: str) -> Callable[[F], F]:
    """Mark a test in which each rule decides the outcome the test asserts."""

    def mark(test: F) -> F:
        for rule_id in rule_ids:
            FIRES[rule_id].append(test.__name__)
        return test

    return mark


def silent(*rule_ids: str) -> Callable[[F], F]:
    """Mark a test asserting each rule does not decide the request (or finds nothing wrong)."""

    def mark(test: F) -> F:
        for rule_id in rule_ids:
            SILENT[rule_id].append(test.__name__)
        return test

    return mark
