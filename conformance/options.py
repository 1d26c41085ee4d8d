"""The options a user gives ``conformance`` and the pytest plugin, parsed and checked in one place.

Each parser takes the text as typed and returns the value, or raises ``OptionError`` with one
line that names the bad value and says how to fix it. The CLI wraps them as argparse types; the
pytest plugin calls them in ``pytest_configure`` and turns the error into ``pytest.UsageError``.
``check_target_options`` refuses options the chosen target would ignore, and a target whose
optional dependencies are not installed, before anything is opened.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

from conformance.engine.budget import BUDGETS, is_duration
from conformance.faults import RequestFaults
from conformance.faults import parse_rate as _parse_rate
from conformance.models.catalogue import rules_for
from conformance.models.profiles import PROFILES
from conformance.models.rule_ids import RuleId, is_rule_id
from conformance.reporting.report import REPORT_FILES
from conformance.targets import TARGET_NAMES, TARGETS, TargetOptions, TargetUsageError, check_options

__all__ = [
    "OptionError",
    "check_rules_in_profile",
    "check_target_options",
    "parse_budget",
    "parse_corpus",
    "parse_natural",
    "parse_port",
    "parse_positive",
    "parse_profile",
    "parse_rate",
    "parse_rules",
    "parse_schedule",
    "parse_target",
    "refuse_existing_report",
]


class OptionError(ValueError):
    """A bad option value; the message is one line naming it and how to fix it."""


def _one_of(text: str, known: list[str] | tuple[str, ...], what: str) -> str:
    if text not in known:
        raise OptionError(f"{text!r} is not a {what}; use one of {', '.join(known)}")
    return text


def parse_profile(text: str) -> str:
    return _one_of(text, sorted(PROFILES), "profile")


def parse_budget(text: str) -> str:
    """A level (quick, standard, deep) or a duration for the whole run (90s, 10m, 1h30m)."""
    if text in BUDGETS or is_duration(text):
        return text
    raise OptionError(
        f"{text!r} is not a budget; use one of {', '.join(sorted(BUDGETS))}, or a duration "
        "for the whole run such as 90s, 10m or 1h30m"
    )


def parse_target(text: str) -> str:
    return _one_of(text, TARGET_NAMES, "target")


def parse_natural(text: str) -> int:
    if not text.isdigit():
        raise OptionError(f"{text!r} is not a whole number >= 0")
    return int(text)


def parse_positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise OptionError(f"{text!r} is not a whole number >= 1")
    return int(text)


def parse_port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise OptionError(f"{text!r} is not a port; give a whole number from 0 (a free one) to 65535")
    return int(text)


def parse_rules(text: str, profile: str | None = None) -> tuple[RuleId, ...]:
    """Comma-separated rule IDs, each in the catalogue (and in ``profile``, when given)."""
    given = [part.strip() for part in text.split(",") if part.strip()]
    if not given:
        raise OptionError("no rule given; list them with 'conformance rules'")
    names: list[RuleId] = []
    for name in given:
        if not is_rule_id(name):
            raise OptionError(f"unknown rule {name!r}; list them with 'conformance rules'")
        names.append(name)
    if profile is not None:
        check_rules_in_profile(tuple(names), profile)
    return tuple(names)


def check_rules_in_profile(names: tuple[RuleId, ...], profile: str) -> None:
    """Raise OptionError for the first of ``names`` (catalogue IDs) not in ``profile``."""
    in_profile = {r.id for r in rules_for(profile)}
    for name in names:
        if name not in in_profile:
            raise OptionError(
                f"rule {name} is not in profile {profile}; see 'conformance rules --profile {profile}'"
            )


# what each target reads: an option any other target would silently ignore is refused
_READS_URL = tuple(name for name, kind in TARGETS.items() if kind.reads_url)
_READS_FIXTURES = tuple(name for name, kind in TARGETS.items() if kind.reads_fixtures)
_GUARDED = tuple(name for name, kind in TARGETS.items() if kind.bills)  # their guards' options


def check_target_options(options: TargetOptions, *others: str) -> None:
    """Raise TargetUsageError (one line) for options that make no target (``check_options``:
    a bad URL or fixture file, a missing option), an option that ``options.name`` (and
    ``others``, the targets the same options also go to, as with ``diff``) would all ignore, or
    a target whose optional dependencies are missing. Reads the fixture file; opens nothing."""
    names = (options.name, *others)
    for name in names:
        parse_target(name)
    given = (
        ("--endpoint-url", options.endpoint_url is not None, _READS_URL),
        ("--fixtures", options.fixtures_file is not None, _READS_FIXTURES),
        ("--allow-real-billing", options.allow_real_billing, _GUARDED),
        ("--max-records", options.max_records is not None, _GUARDED),
    )
    for flag, present, readers in given:
        if present and not set(names) & set(readers):
            targets = " or ".join(f"--target {n}" for n in names)
            raise TargetUsageError(
                f"{flag} does nothing with {targets} (only {', '.join(readers)} read it); leave it out"
            )
    for name in names:
        kind = TARGETS[name]
        if kind.url_needs_nothing and options.endpoint_url:
            continue  # a server the user started (moto's): nothing of it runs here
        missing = [m for m in kind.needs if importlib.util.find_spec(m) is None]
        if missing:
            raise TargetUsageError(
                f"--target {name} needs {missing[0]}, which is not installed; "
                "install it with: pip install 'metering-conformance[moto]'"
            )
        check_options(replace(options, name=name))


def refuse_existing_report(directory: Path) -> None:
    """Raise TargetUsageError if ``directory`` already holds a report, which writing a new one
    would replace (its traces included)."""
    found = [name for name in REPORT_FILES if (Path(directory) / name).exists()]
    if found:
        raise TargetUsageError(
            f"--report {directory} already holds a report ({found[0]}); "
            "name another directory, or add --force to replace it"
        )


def parse_rate(text: str) -> float:
    """A fault rate, 0 to 0.5 (the fault package's own parser)."""
    try:
        return _parse_rate(text)
    except ValueError as exc:
        raise OptionError(str(exc)) from None


def parse_corpus(text: str) -> str:
    """``--corpus`` / ``--shared-corpus``: a directory or a ``redis://`` URL (the engine's own
    check)."""
    from conformance.engine.corpus import check_location

    try:
        return check_location(text)
    except ValueError as exc:
        raise OptionError(str(exc)) from None


def parse_schedule(text: str) -> RequestFaults:
    """``--schedule``: faults by request, ``3:reset-after,7:unprocessed=0`` (empty: none)."""
    try:
        return RequestFaults.parse(text)
    except ValueError as exc:
        raise OptionError(str(exc)) from None
